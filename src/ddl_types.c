/*-------------------------------------------------------------------------
 *
 * ddl_types.c
 *	  ALTER TYPE of a type whose values read models hold or render.
 *
 * Renaming an enum's value (ALTER TYPE ... RENAME VALUE) or a composite
 * type's attribute (or a column of a table whose row type is used as a
 * column's type) changes what its values look like as text or JSON
 * (e.m::text, to_jsonb(e.m), row_to_json(x.c)) without any row changing:
 * no capture trigger fires.  Every maintained model whose definition has
 * values holding the type (as it, a domain or an array of it, or an
 * attribute of a composite, at any depth) is rebuilt by diff at commit,
 * as after a view it reads is replaced.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "cache.h"
#include "ddl_types.h"
#include "pg_readmodel.h"
#include "queue.h"

/* Does an ALTER TABLE (or RENAME) add, drop, rename or retype a column? */
static bool
changes_columns(CollectedCommand *cmd)
{
	ListCell   *lc;

	if (cmd->type == SCT_Simple)
		return IsA(cmd->parsetree, RenameStmt) &&
			(((RenameStmt *) cmd->parsetree)->renameType == OBJECT_COLUMN ||
			 ((RenameStmt *) cmd->parsetree)->renameType == OBJECT_ATTRIBUTE);
	foreach(lc, cmd->d.alterTable.subcmds)
	{
		AlterTableCmd *sub = (AlterTableCmd *) ((CollectedATSubcmd *) lfirst(lc))->parsetree;

		if (IsA(sub, AlterTableCmd) &&
			(sub->subtype == AT_AddColumn || sub->subtype == AT_DropColumn ||
			 sub->subtype == AT_AlterColumnType))
			return true;
	}
	return false;
}

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
	/* a relation's columns are the attributes of its row type */
	if (address.classId == RelationRelationId && changes_columns(cmd) &&
		OidIsValid(get_rel_type_id(address.objectId)))
		return list_append_unique_oid(types, get_rel_type_id(address.objectId));
	return types;
}

/*
 * Does a value of type `typid` hold a value of `altered`: is it, or a
 * domain or an array of it, or a composite with such an attribute?
 */
static bool
is_of_type(Oid typid, Oid altered, int depth)
{
	Oid			elem;
	Oid			relid;
	bool		found = false;

	typid = getBaseType(typid);
	if (typid == altered)
		return true;
	if (depth > 8)
		return false;
	elem = get_element_type(typid);
	if (OidIsValid(elem))
		return is_of_type(elem, altered, depth + 1);
	relid = get_typ_typrelid(typid);
	if (OidIsValid(relid))
	{
		Relation	rel = relation_open(relid, AccessShareLock);
		TupleDesc	desc = RelationGetDescr(rel);
		int			i;

		for (i = 0; i < desc->natts && !found; i++)
			if (!TupleDescAttr(desc, i)->attisdropped)
				found = is_of_type(TupleDescAttr(desc, i)->atttypid, altered, depth + 1);
		relation_close(rel, AccessShareLock);
	}
	return found;
}

static bool
holds_any(ReadModel *model, List *types)
{
	ListCell   *lt;
	ListCell   *la;

	foreach(lt, model->analysis->types)
		foreach(la, types)
			if (is_of_type(lfirst_oid(lt), lfirst_oid(la), 0))
				return true;
	return false;
}

void
readmodel_types_altered(List *types)
{
	ListCell   *lm;
	List	   *holders = NIL;

	if (types == NIL)
		return;
	/* which models hold such values, by the analyses they have now */
	foreach(lm, readmodel_all_models())
		if (ModelIsMaintained((ReadModel *) lfirst(lm)) && holds_any(lfirst(lm), types))
			holders = lappend_oid(holders, ((ReadModel *) lfirst(lm))->relid);
	if (holders == NIL)
		return;
	CommandCounterIncrement();
	readmodel_invalidate_cache();
	foreach(lm, readmodel_all_models())
	{
		ReadModel  *model = lfirst(lm);

		if (ModelIsMaintained(model) && list_member_oid(holders, model->relid))
			readmodel_queue_full(model, model->relid, RM_OP_REFRESH);
	}
}
