/*-------------------------------------------------------------------------
 *
 * grants.c
 *	  readmodel.allow_models(table, role) and disallow_models(): a table's
 *	  owner lets a role declare read models over it.
 *
 * Declaring a model installs capture triggers on its sources.  PostgreSQL's
 * TRIGGER privilege would allow that, and much more: triggers of the
 * grantee's own that run as every writer of the table.  allow_models()
 * consents to exactly the extension's capture triggers, which the
 * extension then installs with the owner's rights.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/lsyscache.h"

#include "catalog.h"

PG_FUNCTION_INFO_V1(readmodel_allow_models);
PG_FUNCTION_INFO_V1(readmodel_disallow_models);

static void
set_allowed(Oid relid, Oid role, bool allowed)
{
	if (get_rel_relkind(relid) == '\0')
		elog(ERROR, "relation %u does not exist", relid);
	if (!pg_class_ownercheck(relid, GetUserId()))
		aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_TABLE, get_rel_name(relid));
	readmodel_catalog_set_capture_allowed(relid, role, allowed);
}

Datum
readmodel_allow_models(PG_FUNCTION_ARGS)
{
	set_allowed(PG_GETARG_OID(0), PG_GETARG_OID(1), true);
	PG_RETURN_VOID();
}

Datum
readmodel_disallow_models(PG_FUNCTION_ARGS)
{
	set_allowed(PG_GETARG_OID(0), PG_GETARG_OID(1), false);
	PG_RETURN_VOID();
}
