/*-------------------------------------------------------------------------
 *
 * queue_insert.c
 *	  One row into readmodel.deferred_queue, written directly (heap insert,
 *	  any index), not through SPI: every commit of a deferred writer does
 *	  it, and the executor's start-up for a one-row INSERT cost about as
 *	  much as the insert itself (docs/benchmarks.md).
 *
 * The table is the extension's, written by its code only (writers have no
 * privilege on it, and it has no triggers, rules, defaults that matter or
 * policies), so what an INSERT would check does not arise.  Since 0.9 it
 * has no index (the worker sweeps it by ctid and deletes by ctid); a 0.8
 * catalog's primary key, or any index a superuser adds, is maintained.
 *
 * The row's id is the WAL insert position when it is written (0.9; the
 * column's sequence before): it never goes back (a crash neither), and it
 * needs no exclusive lock of the one sequence page that every deferred
 * writer's commit would otherwise queue on.  wait() compares ids with <=,
 * so two rows sharing an id (the queue has no key) are both waited for.
 * Rows restored by pg_dump into another cluster keep their old ids, which
 * may be above the new cluster's: they are still applied, in the worker's
 * ctid order.  With an index on the queue the sequence gives the ids, as
 * in 0.8, since two writers may read the same insert position.
 *
 * The table's OID and its columns' numbers are looked up once per session
 * and forgotten on any invalidation of it (ALTER, DROP EXTENSION), so a
 * writer's commit does no catalog lookup.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "access/tableam.h"
#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "executor/executor.h"
#include "nodes/execnodes.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "catalog.h"
#include "deferred.h"

/* The queue's columns, as the 0.7 script makes them. */
static const char *const queue_columns[] = {"id", "model", "keys", "queued_at"};

#define QUEUE_COLUMNS lengthof(queue_columns)

/* What the insert needs to know of the catalog; valid while relid is. */
static struct
{
	Oid			relid;
	AttrNumber	attnums[QUEUE_COLUMNS];
	uint64		invalidations;	/* seen by forget_layout, to detect races */
	bool		callback_registered;
}			queue_layout;

static void
forget_layout(Datum arg, Oid relid)
{
	queue_layout.invalidations++;
	if (!OidIsValid(relid) || relid == queue_layout.relid)
		queue_layout.relid = InvalidOid;
}

/*
 * Look the queue up, unless a lookup since the last invalidation did.  The
 * catalog reads may take in invalidations themselves: a lookup during
 * which one arrived is done again.
 */
static void
load_layout(void)
{
	Oid			relid;
	uint64		seen;
	int			c;

	if (!queue_layout.callback_registered)
	{
		CacheRegisterRelcacheCallback(forget_layout, (Datum) 0);
		queue_layout.callback_registered = true;
	}
	while (!OidIsValid(queue_layout.relid))
	{
		seen = queue_layout.invalidations;
		relid = readmodel_extension_relation("deferred_queue");
		if (!OidIsValid(relid))
			elog(ERROR, "readmodel.deferred_queue is missing");
		for (c = 0; c < QUEUE_COLUMNS; c++)
		{
			queue_layout.attnums[c] = get_attnum(relid, queue_columns[c]);
			if (queue_layout.attnums[c] == InvalidAttrNumber)
				elog(ERROR, "readmodel.deferred_queue has no column %s", queue_columns[c]);
		}
		if (seen == queue_layout.invalidations)
			queue_layout.relid = relid;
	}
}

/* The id a catalog with an index on the queue (0.8's key) takes. */
static int64
next_sequence_id(void)
{
	Oid			seqid = readmodel_extension_relation("deferred_queue_id_seq");

	if (!OidIsValid(seqid))
		elog(ERROR, "readmodel.deferred_queue_id_seq is missing");
	return nextval_internal(seqid, false);
}

/* The entries of the queue's indexes: 0.8's key, or any a superuser added. */
static void
insert_index_entries(Relation rel, TupleTableSlot *slot)
{
	EState	   *estate = CreateExecutorState();
	ResultRelInfo *rri = makeNode(ResultRelInfo);

	InitResultRelInfo(rri, rel, 1, NULL, 0);
	ExecOpenIndices(rri, false);
	(void) ExecInsertIndexTuples(rri, slot, estate, false, false, NULL, NIL);
	ExecCloseIndices(rri);
	FreeExecutorState(estate);
}

/*
 * Insert (model, keys) with the next id and the current time; returns the
 * id.  keys_null: a rebuild.
 */
int64
readmodel_deferred_queue_insert(Oid model, Datum keys, bool keys_null)
{
	Datum		values[QUEUE_COLUMNS];
	bool		nulls[QUEUE_COLUMNS] = {false, false, keys_null, false};
	Oid			relid;
	Relation	rel;
	TupleTableSlot *slot;
	List	   *indexes;
	int64		id;
	int			c;

	/*
	 * Opening the table takes in invalidations, which may forget the
	 * layout: the relid looked up is kept here, and checked again once the
	 * table is locked (an ALTER EXTENSION UPDATE since?).
	 */
	load_layout();
	relid = queue_layout.relid;
	rel = table_open(relid, RowExclusiveLock);
	load_layout();
	if (queue_layout.relid != relid)
		elog(ERROR, "readmodel.deferred_queue was replaced during the commit");
	/* relhasindex stays set after the index is dropped, until a VACUUM */
	indexes = RelationGetIndexList(rel);
	if (indexes != NIL)
		id = next_sequence_id();
	else
		id = (int64) GetXLogInsertRecPtr();
	values[0] = Int64GetDatum(id);
	values[1] = ObjectIdGetDatum(model);
	values[2] = keys;
	values[3] = TimestampTzGetDatum(GetCurrentTimestamp());
	slot = MakeSingleTupleTableSlot(RelationGetDescr(rel), &TTSOpsVirtual);
	ExecClearTuple(slot);
	for (c = 0; c < RelationGetDescr(rel)->natts; c++)
		slot->tts_isnull[c] = true;
	for (c = 0; c < QUEUE_COLUMNS; c++)
	{
		slot->tts_isnull[queue_layout.attnums[c] - 1] = nulls[c];
		slot->tts_values[queue_layout.attnums[c] - 1] = values[c];
	}
	ExecStoreVirtualTuple(slot);
	simple_table_tuple_insert(rel, slot);
	if (indexes != NIL)
		insert_index_entries(rel, slot);
	list_free(indexes);
	ExecDropSingleTupleTableSlot(slot);
	table_close(rel, NoLock);
	return id;
}
