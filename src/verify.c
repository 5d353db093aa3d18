/*-------------------------------------------------------------------------
 *
 * verify.c
 *	  readmodel.verify(name): the rows where a model's table differs from a
 *	  fresh run of its definition.
 *
 * Rows are compared by binary image, as apply compares them, so a model
 * holding 10.50 where the definition gives 10.5 is reported.  The
 * definition is evaluated the way maintenance evaluates it: as the model's
 * owner, in the sandbox.  Hence only the owner (or a member of the owning
 * role) may verify a model: the definition's rows are what the owner may
 * read.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xlog.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "apply.h"
#include "cache.h"
#include "catalog.h"
#include "delta.h"
#include "keys.h"
#include "lifecycle.h"
#include "sandbox.h"
#include "util.h"

PG_FUNCTION_INFO_V1(readmodel_verify);

static char *
verify_sql(ReadModel *model)
{
	List	   *columns = readmodel_model_columns(model->relid, model->versioned);
	/* key columns are never NULL: one NULL says the row is missing */
	const char *key = quote_identifier(((KeyColumn *) linitial(model->analysis->key_columns))->name);
	const char *key_text = readmodel_key_text_sql(model, "t", "d");

	return psprintf("WITH t AS (SELECT * FROM %s), d AS (SELECT * FROM %s) "
					"SELECT CASE WHEN t.%s IS NULL THEN 'missing' "
					"            WHEN d.%s IS NULL THEN 'extra' ELSE 'different' END, "
					"       %s, "
					"       CASE WHEN t.%s IS NULL THEN NULL ELSE pg_catalog.to_jsonb(t.*) END, "
					"       CASE WHEN d.%s IS NULL THEN NULL ELSE pg_catalog.to_jsonb(d.*) END "
					"FROM t FULL JOIN d ON %s "
					"WHERE t.%s IS NULL OR d.%s IS NULL OR %s "
					"ORDER BY %s",
					model->qualname, model->view_qualname,
					key, key, key_text, key, key,
					readmodel_key_equal_sql(model, "t", "d"),
					key, key, readmodel_row_image_differs("t", "d", columns),
					readmodel_row_key_is_composite(model) ? "2" :
					psprintf("COALESCE(t.%s, d.%s)", key, key));
}

static void
return_rows(ReturnSetInfo *rsinfo)
{
	uint64		i;

	for (i = 0; i < SPI_processed; i++)
	{
		Datum		values[4];
		bool		nulls[4];
		int			c;

		for (c = 0; c < 4; c++)
			values[c] = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc,
									  c + 1, &nulls[c]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

Datum
readmodel_verify(PG_FUNCTION_ARGS)
{
	Oid			relid = readmodel_model_by_name(PG_GETARG_TEXT_PP(0));
	ReadModel  *model = readmodel_lookup_model(relid);
	ReturnSetInfo *rsinfo;
	Sandbox		sandbox;

	if (model == NULL)
		elog(ERROR, "read model %u is not in the cache", relid);
	if (!pg_class_ownercheck(relid, GetUserId()))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("must be owner of read model %s to verify it", model->qualname),
				 errdetail("verify() evaluates the definition with the owner's rights.")));
	if (!OidIsValid(model->key_eq_opr) || model->analysis == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("read model %s cannot be verified", model->qualname),
				 errdetail("%s", model->broken ? model->broken : "its key is unknown")));
	InitMaterializedSRF(fcinfo, 0);
	rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	readmodel_spi_connect();
	readmodel_sandbox_enter(&sandbox, model->owner);
	if (SPI_execute(verify_sql(model), false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not verify read model %s", model->qualname);
	return_rows(rsinfo);
	/*
	 * The deltas' state, where present, must be what the table gives.  A
	 * standby has none to check: its unlogged tables cannot be read.
	 */
	if (model->analysis->delta != NULL && OidIsValid(model->state_relid) &&
		!RecoveryInProgress())
	{
		if (SPI_execute(readmodel_delta_verify_sql(model), false, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not verify the aggregate state of %s", model->qualname);
		return_rows(rsinfo);
	}
	readmodel_sandbox_leave(&sandbox);
	readmodel_spi_finish();
	return (Datum) 0;
}
