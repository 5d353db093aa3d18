/*-------------------------------------------------------------------------
 *
 * ddl_types.c
 *	  ALTER TYPE of a type whose values read models hold or render.
 *
 * Renaming an enum's value (ALTER TYPE ... RENAME VALUE) or a composite
 * type's attribute changes what its values look like as text or JSON
 * (e.m::text, to_jsonb(e.m), row_to_json(x.c)) without any row changing:
 * no capture trigger fires.  Every maintained model whose definition has
 * values of the type (or arrays or domains of it) is rebuilt by diff at
 * commit, as after a view it reads is replaced.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "utils/lsyscache.h"

#include "cache.h"
#include "ddl_types.h"
#include "pg_readmodel.h"
#include "queue.h"

/* The type a command altered, appended to `types`. */
List *
readmodel_type_command(CollectedCommand *cmd, List *types)
{
	ObjectAddress address;

	if (cmd->type != SCT_Simple && cmd->type != SCT_AlterTable)
		return types;
	if (cmd->type == SCT_Simple)
		address = cmd->d.simple.address;
	else
	{
		address.classId = cmd->d.alterTable.classId;
		address.objectId = cmd->d.alterTable.objectId;
	}
	if (address.classId == TypeRelationId)
		return list_append_unique_oid(types, address.objectId);
	/* a composite type's attributes are those of its relation */
	if (address.classId == RelationRelationId &&
		get_rel_relkind(address.objectId) == RELKIND_COMPOSITE_TYPE)
		return list_append_unique_oid(types, get_rel_type_id(address.objectId));
	return types;
}

/* Does a value of type `typid` stand for a value of `altered`? */
static bool
is_of_type(Oid typid, Oid altered)
{
	Oid			elem;

	if (typid == altered || getBaseType(typid) == altered)
		return true;
	elem = get_element_type(typid);
	return OidIsValid(elem) && (elem == altered || getBaseType(elem) == altered);
}

void
readmodel_types_altered(List *types)
{
	ListCell   *lm;

	if (types == NIL)
		return;
	CommandCounterIncrement();
	readmodel_invalidate_cache();
	foreach(lm, readmodel_all_models())
	{
		ReadModel  *model = lfirst(lm);
		ListCell   *lt;
		ListCell   *la;
		bool		uses = false;

		if (!ModelIsMaintained(model))
			continue;
		foreach(lt, model->analysis->types)
			foreach(la, types)
				uses |= is_of_type(lfirst_oid(lt), lfirst_oid(la));
		if (uses)
			readmodel_queue_full(model, model->relid, RM_OP_REFRESH);
	}
}
