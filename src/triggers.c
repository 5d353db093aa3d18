/*-------------------------------------------------------------------------
 *
 * triggers.c
 *	  The capture triggers on sources and the write guard on model tables.
 *
 * Capture triggers are installed by the user declaring a model, with her
 * own rights (TRIGGER on the source), in the sandbox so that nothing in the
 * statement depends on her search_path.  They are shared by every model
 * that reads the table.  When no model reads a table any more they are
 * removed directly (PostgreSQL would require the table's owner, who may not
 * be the one dropping the model), and only if the table can be locked at
 * once: waiting would deadlock with a writer that holds the table and is
 * about to maintain the model being dropped.  Triggers left behind cost
 * their table a statement-level trigger call per write until a later drop
 * or declaration removes them; readmodel.health_check() reports them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "catalog/dependency.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_trigger.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "parser/parse_func.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "apply.h"
#include "partitions.h"
#include "pg_readmodel.h"
#include "sandbox.h"
#include "triggers.h"
#include "util.h"

PG_FUNCTION_INFO_V1(readmodel_guard);

typedef struct CaptureEvent
{
	const char *event;
	const char *referencing;
} CaptureEvent;

static const CaptureEvent capture_events[READMODEL_CAPTURE_EVENTS] = {
	{"insert", "REFERENCING NEW TABLE AS readmodel_new"},
	{"update", "REFERENCING OLD TABLE AS readmodel_old NEW TABLE AS readmodel_new"},
	{"delete", "REFERENCING OLD TABLE AS readmodel_old"},
	{"truncate", ""},
};

Oid
readmodel_capture_function(void)
{
	List	   *name = list_make2(makeString("readmodel"), makeString("capture"));

	return LookupFuncName(name, 0, NULL, true);
}

/* "readmodel_capture_<event>", for event 0 .. READMODEL_CAPTURE_EVENTS - 1 */
char *
readmodel_capture_trigger_name(int event)
{
	return psprintf(READMODEL_TRIGGER_PREFIX "%s", capture_events[event].event);
}

/* "readmodel_capture_row_<event>", for event 0 .. READMODEL_ROW_EVENTS - 1 */
char *
readmodel_row_trigger_name(int event)
{
	return psprintf(READMODEL_TRIGGER_PREFIX "row_%s", capture_events[event].event);
}

static Trigger *
find_trigger(Relation rel, const char *name, Oid capture)
{
	TriggerDesc *desc = rel->trigdesc;
	int			i;

	for (i = 0; desc != NULL && i < desc->numtriggers; i++)
		if (strcmp(desc->triggers[i].tgname, name) == 0 &&
			desc->triggers[i].tgfoid == capture)
			return &desc->triggers[i];
	return NULL;
}

/* The capture trigger for `event` on an open relation, if it calls `capture`. */
Trigger *
readmodel_find_capture_trigger(Relation rel, int event, Oid capture)
{
	return find_trigger(rel, readmodel_capture_trigger_name(event), capture);
}

/* ... and the row trigger a subscriber's apply worker fires. */
Trigger *
readmodel_find_row_trigger(Relation rel, int event, Oid capture)
{
	return find_trigger(rel, readmodel_row_trigger_name(event), capture);
}

/*
 * A logical-replication apply worker fires row triggers only, and only
 * those enabled for replica: give the table capture row triggers that fire
 * on replica alone (local writes keep firing the statement triggers), and
 * let its TRUNCATE trigger fire always (a replicated TRUNCATE fires it).
 * Firing modes are set directly: these are our triggers, which `role` was
 * allowed to create; ALTER TABLE would need the table's ownership.
 */
static void
install_row_triggers(Oid relid, const char *table)
{
	Relation	rel;
	int			i;

	for (i = 0; i < READMODEL_ROW_EVENTS; i++)
	{
		char	   *name = readmodel_row_trigger_name(i);

		if (OidIsValid(get_trigger_oid(relid, name, true)))
			continue;
		readmodel_spi_exec(psprintf("CREATE TRIGGER %s AFTER %s ON %s "
									"FOR EACH ROW EXECUTE FUNCTION readmodel.capture()",
									quote_identifier(name), capture_events[i].event, table),
						   SPI_OK_UTILITY);
	}
	CommandCounterIncrement();
	rel = table_open(relid, ShareRowExclusiveLock);
	for (i = 0; i < READMODEL_ROW_EVENTS; i++)
		EnableDisableTrigger(rel, readmodel_row_trigger_name(i),
							 TRIGGER_FIRES_ON_REPLICA, false, ShareRowExclusiveLock);
	EnableDisableTrigger(rel, readmodel_capture_trigger_name(READMODEL_CAPTURE_EVENTS - 1),
						 TRIGGER_FIRES_ALWAYS, false, ShareRowExclusiveLock);
	table_close(rel, NoLock);
}

/*
 * The capture triggers just created fire always, not only on origin: a
 * session with session_replication_role = replica (a superuser's bulk
 * sync) still writes the table, and its writes must not leave the models
 * silently stale.  A subscription's apply worker fires no statement
 * trigger at all, whatever its mode; option replicated is for it.
 */
static void
fire_always(Oid relid, bool *created)
{
	Relation	rel = table_open(relid, ShareRowExclusiveLock);
	int			i;

	for (i = 0; i < READMODEL_CAPTURE_EVENTS; i++)
		if (created[i])
			EnableDisableTrigger(rel, readmodel_capture_trigger_name(i),
								 TRIGGER_FIRES_ALWAYS, false, ShareRowExclusiveLock);
	table_close(rel, NoLock);
}

/* Create the missing capture triggers on one table, as `role`. */
static void
install_capture_triggers(Oid relid, Oid role, bool replicated)
{
	char	   *table = readmodel_relation_name(relid);
	Sandbox		sandbox;
	bool		created[READMODEL_CAPTURE_EVENTS] = {false};
	int			i;

	readmodel_spi_connect();
	readmodel_sandbox_enter(&sandbox, role);
	for (i = 0; i < READMODEL_CAPTURE_EVENTS; i++)
	{
		char	   *name = readmodel_capture_trigger_name(i);

		if (OidIsValid(get_trigger_oid(relid, name, true)))
			continue;			/* ours, or in the way: the checks tell */
		created[i] = true;
		readmodel_spi_exec(psprintf("CREATE TRIGGER %s AFTER %s ON %s %s "
									"FOR EACH STATEMENT EXECUTE FUNCTION readmodel.capture()",
									quote_identifier(name), capture_events[i].event,
									table, capture_events[i].referencing),
						   SPI_OK_UTILITY);
	}
	if (replicated)
		install_row_triggers(relid, table);
	readmodel_sandbox_leave(&sandbox);
	readmodel_spi_finish();
	CommandCounterIncrement();
	fire_always(relid, created);
}

/*
 * ... on relid and, if it is partitioned, on every partition below it;
 * `replicated`: also the row triggers a subscriber's apply worker fires
 * (on the partitions by cloning).
 */
void
readmodel_install_capture_triggers(Oid relid, Oid role, bool replicated)
{
	ListCell   *lc;

	install_capture_triggers(relid, role, replicated);
	foreach(lc, readmodel_partition_members(relid))
		install_capture_triggers(lfirst_oid(lc), role, false);
}

/*
 * Remove the capture triggers of one table.  Returns false when it could
 * not be locked at once (they stay).
 */
static bool
remove_capture_triggers(Oid relid)
{
	Oid			capture = readmodel_capture_function();
	List	   *doomed = NIL;
	ListCell   *lc;
	Relation	rel;
	int			i;

	if (!ConditionalLockRelationOid(relid, AccessExclusiveLock))
		return false;
	rel = relation_open(relid, NoLock);
	for (i = 0; i < READMODEL_CAPTURE_EVENTS; i++)
	{
		Trigger    *trig = readmodel_find_capture_trigger(rel, i, capture);

		if (trig != NULL)
			doomed = lappend_oid(doomed, trig->tgoid);
		/* a partition's clone of its parent's row trigger goes with it */
		trig = i < READMODEL_ROW_EVENTS ? readmodel_find_row_trigger(rel, i, capture) : NULL;
		if (trig != NULL && !trig->tgisclone)
			doomed = lappend_oid(doomed, trig->tgoid);
	}
	relation_close(rel, NoLock);
	foreach(lc, doomed)
	{
		ObjectAddress object;

		ObjectAddressSet(object, TriggerRelationId, lfirst_oid(lc));
		performDeletion(&object, DROP_RESTRICT, PERFORM_DELETION_INTERNAL);
	}
	CommandCounterIncrement();
	return true;
}

/* ... of a table no model reads any more, and of its partitions. */
bool
readmodel_remove_capture_triggers(Oid relid)
{
	List	   *members = readmodel_partition_members(relid);
	bool		removed = remove_capture_triggers(relid);
	ListCell   *lc;

	foreach(lc, members)
		removed &= remove_capture_triggers(lfirst_oid(lc));
	return removed;
}

/* An orphaned model table becomes writable again (if it can be locked now). */
bool
readmodel_remove_write_guard(Oid relid)
{
	ListCell   *lc;

	if (!ConditionalLockRelationOid(relid, AccessExclusiveLock))
		return false;
	foreach(lc, lcons_oid(relid, readmodel_partition_members(relid)))
	{
		Oid			tgoid = get_trigger_oid(lfirst_oid(lc), READMODEL_GUARD_TRIGGER, true);
		ObjectAddress object;

		if (!OidIsValid(tgoid))
			continue;
		ObjectAddressSet(object, TriggerRelationId, tgoid);
		performDeletion(&object, DROP_RESTRICT, PERFORM_DELETION_INTERNAL);
	}
	return true;
}

static const CaptureEvent feed_events[READMODEL_ROW_EVENTS] = {
	{"insert", "REFERENCING NEW TABLE AS readmodel_new"},
	{"update", "REFERENCING NEW TABLE AS readmodel_new"},
	{"delete", "REFERENCING OLD TABLE AS readmodel_old"},
};

/*
 * The change feed's triggers on a model table (options feed, notify), as
 * its owner, the current user: an UPDATE changes no key, so its new rows
 * say which keys changed.
 */
void
readmodel_install_feed_triggers(Oid relid)
{
	char	   *table = readmodel_relation_name(relid);
	Sandbox		sandbox;
	int			i;

	readmodel_spi_connect();
	readmodel_sandbox_enter(&sandbox, GetUserId());
	for (i = 0; i < READMODEL_ROW_EVENTS; i++)
	{
		char	   *name = psprintf(READMODEL_FEED_PREFIX "%s", feed_events[i].event);

		if (OidIsValid(get_trigger_oid(relid, name, true)))
			continue;
		readmodel_spi_exec(psprintf("CREATE TRIGGER %s AFTER %s ON %s %s "
									"FOR EACH STATEMENT EXECUTE FUNCTION readmodel.feed()",
									quote_identifier(name), feed_events[i].event, table,
									feed_events[i].referencing),
						   SPI_OK_UTILITY);
	}
	readmodel_sandbox_leave(&sandbox);
	readmodel_spi_finish();
	CommandCounterIncrement();
}

void
readmodel_remove_feed_triggers(Oid relid)
{
	int			i;

	for (i = 0; i < READMODEL_ROW_EVENTS; i++)
	{
		Oid			tgoid = get_trigger_oid(relid, psprintf(READMODEL_FEED_PREFIX "%s",
															 feed_events[i].event), true);
		ObjectAddress object;

		if (!OidIsValid(tgoid))
			continue;
		ObjectAddressSet(object, TriggerRelationId, tgoid);
		performDeletion(&object, DROP_RESTRICT, PERFORM_DELETION_INTERNAL);
	}
	CommandCounterIncrement();
}

/* Writes to a model table come from maintenance only. */
void
readmodel_install_write_guard(Oid relid)
{
	List	   *name = list_make2(makeString("readmodel"), makeString("guard"));
	Sandbox		sandbox;
	ListCell   *lc;

	/* a 0.1 catalog (library updated, ALTER EXTENSION UPDATE not run yet) */
	if (!OidIsValid(LookupFuncName(name, 0, NULL, true)))
		return;
	readmodel_spi_connect();
	readmodel_sandbox_enter(&sandbox, GetUserId());
	/* a partitioned model's partitions refuse direct writes too */
	foreach(lc, lcons_oid(relid, readmodel_partition_members(relid)))
		readmodel_spi_exec(psprintf("CREATE TRIGGER " READMODEL_GUARD_TRIGGER
									" BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE "
									"ON %s FOR EACH STATEMENT EXECUTE FUNCTION readmodel.guard()",
									readmodel_relation_name(lfirst_oid(lc))),
						   SPI_OK_UTILITY);
	readmodel_sandbox_leave(&sandbox);
	readmodel_spi_finish();
}

/*
 * BEFORE ... FOR EACH STATEMENT on every model table: a read model holds
 * derived data, so only maintenance (and readmodel.refresh) of that very
 * model may write it; not, say, a trigger that maintenance fires.
 */
Datum
readmodel_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trig = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("readmodel.guard() must be fired as a trigger")));
	if (RelationGetRelid(trig->tg_relation) == readmodel_writing_model)
		return PointerGetDatum(NULL);
	ereport(ERROR,
			(errcode(ERRCODE_WRONG_OBJECT_TYPE),
			 errmsg("cannot change read model \"%s\" directly",
					RelationGetRelationName(trig->tg_relation)),
			 errdetail("A read model holds data derived from its definition; it changes when the tables it reads change."),
			 errhint("Change its source tables, or rebuild it with readmodel.refresh().")));
	return PointerGetDatum(NULL);
}
