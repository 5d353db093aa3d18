/*-------------------------------------------------------------------------
 *
 * ddl_events.c
 *	  Event triggers: what DDL on models and their sources means.
 *
 * sql_drop (readmodel._on_sql_drop):
 *	  dropping a model's table or its definition view removes the model: the
 *	  other half (as the model's owner), the catalog row, and the capture
 *	  triggers of sources no other model reads.  Dropping a capture trigger
 *	  makes the models that needed it stale at once: no later write would
 *	  tell them.  It never creates triggers.
 *
 * ddl_command_end (readmodel._on_ddl_end):
 *	  a model table's columns and constraints belong to its definition, so
 *	  ALTER TABLE on it accepts only what cannot change what maintenance
 *	  writes or make its writes fail (indexes, storage parameters,
 *	  statistics, row-level security, replica identity, clustering,
 *	  tablespace, owner, user triggers other than the write guard); the
 *	  definition view cannot be altered or replaced; rules and deferrable
 *	  triggers (which cannot fire inside maintenance's security-restricted
 *	  operation) are refused on model tables.  Disabling triggers on a
 *	  source makes the models that read it stale.  Replacing a view that
 *	  models read analyses and rebuilds them (ddl_views.c).
 *
 * The extension's own DDL (readmodel.create, replace) is let through.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "catalog/pg_trigger.h"
#include "commands/event_trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "tcop/deparse_utility.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "cache.h"
#include "capture.h"
#include "cascade.h"
#include "catalog.h"
#include "ddl_functions.h"
#include "ddl_types.h"
#include "ddl_views.h"
#include "keys.h"
#include "lifecycle.h"
#include "partitions.h"
#include "queue.h"
#include "sandbox.h"
#include "triggers.h"
#include "versioning.h"
#include "util.h"

PG_FUNCTION_INFO_V1(readmodel_on_sql_drop);
PG_FUNCTION_INFO_V1(readmodel_on_ddl_end);
PG_FUNCTION_INFO_V1(readmodel_sync_triggers);

/* Every model that cannot be maintained now has missed a change. */
static void
mark_broken_models_stale(void)
{
	ListCell   *lc;

	CommandCounterIncrement();
	readmodel_invalidate_cache();
	foreach(lc, readmodel_all_models())
	{
		ReadModel  *model = lfirst(lc);

		if (model->broken != NULL && model->stale == NULL)
			readmodel_miss_change(model);
	}
}

/*
 * Drop what is left of a removed model, as its owner, when the user who
 * removed the other half could have dropped it herself.  Otherwise (a
 * source owner's DROP ... CASCADE took the definition view) the table is
 * kept as an ordinary table: dropping it with CASCADE would reach objects
 * her command never could.
 */
static void
drop_remains(CatalogRow *row)
{
	bool		table = get_rel_relkind(row->relid) != '\0';
	bool		view = get_rel_relkind(row->viewid) != '\0';
	Oid			owner;
	Sandbox		sandbox;

	if (!table && !view)
		return;
	owner = readmodel_relation_owner(table ? row->relid : row->viewid);
	if (table && !has_privs_of_role(GetUserId(), owner))
	{
		(void) readmodel_remove_write_guard(row->relid);
		ereport(WARNING,
				(errmsg("read model %s lost its definition; its table is kept as an ordinary table",
						readmodel_relation_name(row->relid)),
				 errhint("Its owner may drop it or declare it again.")));
		table = false;
	}
	readmodel_sandbox_enter(&sandbox, owner);
	if (view)
		readmodel_spi_exec(psprintf("DROP VIEW %s", readmodel_relation_name(row->viewid)),
						   SPI_OK_UTILITY);
	if (table)
		readmodel_spi_exec(psprintf("DROP TABLE %s CASCADE", readmodel_relation_name(row->relid)),
						   SPI_OK_UTILITY);
	/* gone with the table, unless a restore lost their dependency */
	if (OidIsValid(row->state) && get_rel_relkind(row->state) != '\0' &&
		readmodel_relation_owner(row->state) == owner)
		readmodel_spi_exec(psprintf("DROP TABLE %s", readmodel_relation_name(row->state)),
						   SPI_OK_UTILITY);
	readmodel_sandbox_leave(&sandbox);
}

static void
forget_models(List *dropped)
{
	List	   *removed = readmodel_catalog_delete(dropped);
	ListCell   *lc,
			   *ls;

	foreach(lc, removed)
		drop_remains(lfirst(lc));
	foreach(lc, removed)
		foreach(ls, ((CatalogRow *) lfirst(lc))->sources)
	{
		Oid			source = lfirst_oid(ls);

		if (get_rel_relkind(source) != '\0' &&
			readmodel_catalog_listeners(source) == NIL)
			(void) readmodel_remove_capture_triggers(source);
	}
}

/*
 * A partition of a partitioned model table holds the rows of its hashes or
 * values: without it, maintenance could no longer write them (or, for a
 * range or list, would write them to the default partition).  Refused,
 * unless the model table itself goes.
 */
static void
check_model_partitions(List *dropped)
{
	ListCell   *lc;

	foreach(lc, readmodel_catalog_rows())
	{
		CatalogRow *row = lfirst(lc);

		if (row->partitions == 0 || list_member_oid(dropped, row->relid) ||
			get_rel_relkind(row->relid) == '\0')
			continue;
		if (list_length(readmodel_partition_members(row->relid)) < row->partitions)
			ereport(ERROR,
					(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
					 errmsg("cannot drop a partition of read model %s",
							readmodel_relation_name(row->relid)),
					 errdetail("Each of its partitions holds the rows of its hashes or values of the key; without one, maintenance could not write them."),
					 errhint("Drop the read model with readmodel.drop().")));
	}
}

Datum
readmodel_on_sql_drop(PG_FUNCTION_ARGS)
{
	List	   *relations = NIL;
	bool		triggers = false;
	uint64		i;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		elog(ERROR, "readmodel._on_sql_drop() must be called as an event trigger");
	readmodel_spi_connect();
	/* a trigger's address ends with its name */
	if (SPI_execute("SELECT d.classid::pg_catalog.oid, d.objid, d.objsubid, "
					"d.address_names[pg_catalog.array_upper(d.address_names, 1)] "
					"OPERATOR(pg_catalog.~~) 'readmodel\\_%' "
					"FROM pg_catalog.pg_event_trigger_dropped_objects() d",
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read pg_event_trigger_dropped_objects()");
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		HeapTuple	tuple = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		Oid			classid = DatumGetObjectId(SPI_getbinval(tuple, desc, 1, &isnull));
		Oid			objid = DatumGetObjectId(SPI_getbinval(tuple, desc, 2, &isnull));
		int32		subid = DatumGetInt32(SPI_getbinval(tuple, desc, 3, &isnull));

		if (classid == RelationRelationId && subid == 0)
			relations = lappend_oid(relations, objid);
		else if (classid == TriggerRelationId &&
				 DatumGetBool(SPI_getbinval(tuple, desc, 4, &isnull)) && !isnull)
			triggers = true;	/* ours: others' (an ATTACH drops a member's RI ones) do not matter */
	}
	if (relations != NIL)
	{
		check_model_partitions(relations);
		forget_models(relations);
	}
	readmodel_spi_finish();
	readmodel_invalidate_cache();
	if (triggers && relations != NIL)
		readmodel_partition_dropped();
	if (triggers)
		mark_broken_models_stale();
	/* statement mode: a dropped partition's rebuilds, at the DROP's end */
	if (readmodel_queue_has_pending(true))
		readmodel_apply_pending(true);
	PG_RETURN_VOID();
}

/* Called by the 0.1-0.3 event trigger: never creates triggers. */
Datum
readmodel_sync_triggers(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);

	if (readmodel_catalog_listeners(relid) == NIL)
		(void) readmodel_remove_capture_triggers(relid);
	readmodel_invalidate_cache();
	PG_RETURN_VOID();
}

static const AlterTableType allowed_on_model[] = {
	AT_SetStatistics, AT_SetOptions, AT_ResetOptions, AT_SetStorage,
	AT_SetCompression, AT_AddIndex, AT_ReAddIndex, AT_AddIndexConstraint,
	AT_ReAddComment, AT_ChangeOwner, AT_ClusterOn, AT_DropCluster,
	AT_SetLogged, AT_SetAccessMethod, AT_SetTableSpace, AT_SetRelOptions,
	AT_ResetRelOptions, AT_ReplaceRelOptions, AT_EnableTrig,
	AT_EnableAlwaysTrig, AT_EnableReplicaTrig, AT_DisableTrig,
	AT_EnableTrigAll, AT_EnableTrigUser, AT_ReplicaIdentity,
	AT_EnableRowSecurity, AT_DisableRowSecurity, AT_ForceRowSecurity,
	AT_NoForceRowSecurity, AT_ReAddStatistics,
};

/*
 * A primary key or unique constraint (how pg_restore recreates the key),
 * and the NOT NULL of the key column that goes with it.
 */
static bool
key_constraint(AlterTableCmd *cmd, CatalogRow *row)
{
	if (cmd->subtype == AT_CheckNotNull)
		return true;
	if (cmd->subtype == AT_SetNotNull)
	{
		ListCell   *lc;

		if (cmd->name == NULL)
			return false;
		foreach(lc, readmodel_key_parse(row->keycol))
			if (strcmp(cmd->name, strVal(lfirst(lc))) == 0)
				return true;
		return false;
	}
	if (cmd->subtype == AT_AddConstraint && cmd->def && IsA(cmd->def, Constraint))
		return ((Constraint *) cmd->def)->contype == CONSTR_PRIMARY ||
			((Constraint *) cmd->def)->contype == CONSTR_UNIQUE;
	return false;
}

static bool
allowed_subcommand(AlterTableCmd *cmd, CatalogRow *row)
{
	int			i;

	if (key_constraint(cmd, row))
		return true;
	/* the write guard keeps direct writes out: it stays on */
	if (cmd->subtype == AT_DisableTrig && cmd->name != NULL &&
		strcmp(cmd->name, READMODEL_GUARD_TRIGGER) == 0)
		return false;
	for (i = 0; i < lengthof(allowed_on_model); i++)
		if (cmd->subtype == allowed_on_model[i])
			return true;
	return false;
}

static void
refuse_model_ddl(Oid relid, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("cannot %s read model %s", what, readmodel_relation_name(relid)),
			 errdetail("A read model's columns, constraints and definition come from its definition; maintenance writes it."),
			 errhint("Change the definition with readmodel.create(name, definition, '{\"replace\": true}'); indexes, policies, grants, comments and storage parameters can be changed directly.")));
}

static CatalogRow *
model_of(List *models, Oid relid, bool *is_view)
{
	ListCell   *lc;

	/* a partition of a partitioned model table is the model's */
	List	   *ancestors = get_rel_relispartition(relid) ? get_partition_ancestors(relid) : NIL;

	foreach(lc, models)
	{
		CatalogRow *row = lfirst(lc);

		if (row->relid == relid || row->viewid == relid ||
			list_member_oid(ancestors, row->relid))
		{
			*is_view = (row->viewid == relid);
			return row;
		}
	}
	return NULL;
}

/* ALTER TABLE (or VIEW) on a model: check each subcommand. */
static void
check_alter_model(CollectedCommand *cmd, CatalogRow *row, bool is_view)
{
	ListCell   *lc;
	bool		owner_changed = false;

	foreach(lc, cmd->d.alterTable.subcmds)
	{
		AlterTableCmd *sub = (AlterTableCmd *) ((CollectedATSubcmd *) lfirst(lc))->parsetree;

		if (is_view || !IsA(sub, AlterTableCmd) || !allowed_subcommand(sub, row))
			refuse_model_ddl(row->relid,
							 is_view ? "alter the definition view of" :
							 sub->subtype >= AT_EnableTrig && sub->subtype <= AT_DisableTrigUser
							 ? "disable the write guard of" :
							 "change the columns or constraints of");
		owner_changed |= (sub->subtype == AT_ChangeOwner);
	}
	if (owner_changed)
	{
		Oid			owner = readmodel_relation_owner(row->relid);

		/* the view follows: maintenance reads it with its owner's rights */
		readmodel_creating = true;
		PG_TRY();
		{
			readmodel_spi_exec(psprintf("ALTER VIEW %s OWNER TO %s",
										readmodel_relation_name(row->viewid),
										quote_identifier(GetUserNameFromId(owner, false))),
							   SPI_OK_UTILITY);
			/* and the deltas' state, which must be the owner's */
			if (OidIsValid(row->state) && get_rel_relkind(row->state) != '\0')
				readmodel_spi_exec(psprintf("ALTER TABLE %s OWNER TO %s",
											readmodel_relation_name(row->state),
											quote_identifier(GetUserNameFromId(owner, false))),
								   SPI_OK_UTILITY);
		}
		PG_FINALLY();
		{
			readmodel_creating = false;
		}
		PG_END_TRY();
	}
}

/*
 * Does this ALTER TABLE make triggers fire for fewer writes: disable them,
 * or enable one for replica only (but the capture row triggers, which are
 * meant to be)?  Enabling never loses a change; pg_restore enables each
 * capture trigger right after creating it, while the others are missing.
 */
static bool
narrows_triggers(CollectedCommand *cmd)
{
	ListCell   *lc;

	foreach(lc, cmd->d.alterTable.subcmds)
	{
		AlterTableCmd *sub = (AlterTableCmd *) ((CollectedATSubcmd *) lfirst(lc))->parsetree;

		if (!IsA(sub, AlterTableCmd))
			continue;
		if (sub->subtype == AT_DisableTrig || sub->subtype == AT_DisableTrigAll ||
			sub->subtype == AT_DisableTrigUser)
			return true;
		if (sub->subtype == AT_EnableReplicaTrig &&
			(sub->name == NULL ||
			 strncmp(sub->name, READMODEL_TRIGGER_PREFIX "row_",
					 strlen(READMODEL_TRIGGER_PREFIX "row_")) != 0))
			return true;
	}
	return false;
}

/*
 * A rule, a renamed column, a replaced view: never on a model.  Other
 * replaced views are added to *replaced.
 */
static void
check_simple_command(CollectedCommand *cmd, List *models, List **replaced)
{
	Node	   *tree = cmd->parsetree;
	CatalogRow *row;
	bool		is_view;
	Oid			relid = InvalidOid;

	if (IsA(tree, RuleStmt))
		relid = RangeVarGetRelid(((RuleStmt *) tree)->relation, NoLock, true);
	else if (IsA(tree, CreateTrigStmt) && ((CreateTrigStmt *) tree)->row &&
			 ((CreateTrigStmt *) tree)->timing != TRIGGER_TYPE_AFTER &&
			 !readmodel_is_version_trigger((CreateTrigStmt *) tree))
		relid = RangeVarGetRelid(((CreateTrigStmt *) tree)->relation, NoLock, true);
	else if (IsA(tree, RenameStmt) && ((RenameStmt *) tree)->renameType == OBJECT_COLUMN)
		relid = cmd->d.simple.address.objectId;
	else if (IsA(tree, ViewStmt) && ((ViewStmt *) tree)->replace)
		relid = cmd->d.simple.address.objectId;
	if (!OidIsValid(relid))
		return;
	if ((row = model_of(models, relid, &is_view)) == NULL)
	{
		/* CREATE RULE "_RETURN" replaces a view's query as well */
		if (IsA(tree, ViewStmt) || IsA(tree, RuleStmt))
			*replaced = list_append_unique_oid(*replaced, relid);
		return;
	}
	if (IsA(tree, RuleStmt))
		refuse_model_ddl(row->relid, "create a rule on");
	/* it could change the rows maintenance writes */
	if (IsA(tree, CreateTrigStmt))
		refuse_model_ddl(row->relid, "create a BEFORE or INSTEAD OF row trigger on");
	if (IsA(tree, RenameStmt))
		refuse_model_ddl(row->relid, "rename a column of");
	refuse_model_ddl(row->relid, "replace the definition view of");
}

/* Deferred triggers cannot fire inside maintenance: none on model tables. */
static void
check_no_deferrable_triggers(void)
{
	Sandbox		sandbox;

	/* not read-only: the query must see the command's own new triggers */
	readmodel_sandbox_enter(&sandbox, readmodel_extension_owner());
	if (SPI_execute("SELECT t.tgrelid::pg_catalog.regclass::pg_catalog.text, "
					"       COALESCE(c.conname, t.tgname) "
					"FROM pg_catalog.pg_trigger t JOIN readmodel.model m "
					"  ON m.relid::pg_catalog.oid OPERATOR(pg_catalog.=) t.tgrelid "
					"LEFT JOIN pg_catalog.pg_constraint c "
					"  ON c.oid OPERATOR(pg_catalog.=) t.tgconstraint AND t.tgisinternal "
					"WHERE t.tgdeferrable LIMIT 1", false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read pg_trigger");
	readmodel_sandbox_leave(&sandbox);
	if (SPI_processed > 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("read model %s cannot have the deferrable trigger or constraint %s",
						SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1),
						SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2)),
				 errdetail("Maintenance writes read models in a security-restricted operation, where deferred triggers cannot fire; a foreign key referencing a read model must not be DEFERRABLE either."),
				 errhint("Make the trigger or constraint NOT DEFERRABLE.")));
}

/* What DDL did to partition trees, for readmodel_partitions_changed(). */
typedef struct PartitionChanges
{
	List	   *changed;
	List	   *added;
	List	   *detached;
	List	   *types;			/* types altered (ALTER TYPE) */
	List	   *functions;		/* functions replaced or altered */
} PartitionChanges;

static bool
check_command(CollectedCommand *cmd, List *models, bool *toggled,
			  List **replaced, PartitionChanges *parts)
{
	CatalogRow *row;
	bool		is_view;

	(void) readmodel_partition_command(cmd, &parts->changed, &parts->added,
									   &parts->detached);
	parts->types = readmodel_type_command(cmd, parts->types);
	parts->functions = readmodel_function_command(cmd, parts->functions);
	if (cmd->type == SCT_Simple)
	{
		check_simple_command(cmd, models, replaced);
		return IsA(cmd->parsetree, CreateTrigStmt) || IsA(cmd->parsetree, CreateStmt);
	}
	if (cmd->type != SCT_AlterTable)
		return false;
	row = model_of(models, cmd->d.alterTable.objectId, &is_view);
	if (row != NULL)
		check_alter_model(cmd, row, is_view);
	else if (narrows_triggers(cmd))
		*toggled = true;
	return true;
}

/*
 * CREATE TABLE ... PARTITION OF a model table: the new partition would
 * have no write guard, and would count for one the model needs.  Its
 * partitions are those its options name.
 */
static void
refuse_model_partitions_added(List *added, List *models)
{
	ListCell   *la;
	ListCell   *lm;

	foreach(la, added)
	{
		List	   *ancestors = get_partition_ancestors(lfirst_oid(la));

		foreach(lm, models)
		{
			CatalogRow *row = lfirst(lm);

			if (list_member_oid(ancestors, row->relid))
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("cannot add a partition to read model %s",
								readmodel_relation_name(row->relid)),
						 errdetail("A read model's partitions are the ones its options name."),
						 errhint("Drop the read model and create it again with the partitions you want in \"partition_by\".")));
		}
	}
}

Datum
readmodel_on_ddl_end(PG_FUNCTION_ARGS)
{
	List	   *models;
	bool		toggled = false;
	bool		may_add_triggers = false;
	List	   *replaced = NIL;
	PartitionChanges parts = {NIL, NIL, NIL, NIL, NIL};
	MemoryContext caller = CurrentMemoryContext;
	CollectedCommand **commands;
	uint64		i;
	uint64		n;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		elog(ERROR, "readmodel._on_ddl_end() must be called as an event trigger");
	if (readmodel_creating || !OidIsValid(readmodel_catalog_relid(true)))
		PG_RETURN_VOID();
	models = readmodel_catalog_rows();
	readmodel_spi_connect();
	if (SPI_execute("SELECT c.command FROM pg_catalog.pg_event_trigger_ddl_commands() c",
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read pg_event_trigger_ddl_commands()");
	/* collected first: checking may run statements of its own */
	n = SPI_processed;
	commands = palloc0(sizeof(CollectedCommand *) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		bool		isnull;
		Datum		command = SPI_getbinval(SPI_tuptable->vals[i],
											SPI_tuptable->tupdesc, 1, &isnull);

		commands[i] = isnull ? NULL : (CollectedCommand *) DatumGetPointer(command);
	}
	for (i = 0; i < n; i++)
		if (commands[i] != NULL)
			may_add_triggers |= check_command(commands[i], models, &toggled,
											  &replaced, &parts);
	if (may_add_triggers && models != NIL)
		check_no_deferrable_triggers();
	/* out of SPI's memory before it goes */
	MemoryContextSwitchTo(caller);
	replaced = list_copy(replaced);
	parts.changed = list_copy(parts.changed);
	parts.added = list_copy(parts.added);
	parts.detached = list_copy(parts.detached);
	parts.types = list_copy(parts.types);
	parts.functions = list_copy(parts.functions);
	readmodel_spi_finish();
	refuse_model_partitions_added(parts.added, models);
	if (toggled)
		mark_broken_models_stale();
	if (models != NIL)
	{
		readmodel_views_replaced(replaced);
		readmodel_partitions_changed(parts.changed, parts.added, parts.detached);
		readmodel_types_altered(parts.types);
		readmodel_functions_replaced(parts.functions);
	}
	/* statement mode: the rebuilds this DDL queued, at its end */
	if (readmodel_queue_has_pending(true))
		readmodel_apply_pending(true);
	PG_RETURN_VOID();
}
