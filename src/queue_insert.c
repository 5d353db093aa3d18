/*-------------------------------------------------------------------------
 *
 * queue_insert.c
 *	  One row into readmodel.deferred_queue, written directly (heap and
 *	  index inserts, the sequence), not through SPI: every commit of a
 *	  deferred writer does it, and the executor's start-up for a one-row
 *	  INSERT cost about as much as the insert itself (docs/benchmarks.md).
 *
 * The table is the extension's, written by its code only (writers have no
 * privilege on it, and it has no triggers, rules, defaults that matter or
 * policies), so what an INSERT would check beyond its primary key does not
 * arise; the primary key is checked by the index insert as usual.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "executor/executor.h"
#include "nodes/execnodes.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "catalog.h"
#include "deferred.h"

/* The queue's columns, as the 0.7 script makes them. */
static const char *const queue_columns[] = {"id", "model", "keys", "queued_at"};

/*
 * Insert (model, keys) with the next id and the current time; returns the
 * id.  keys_null: a rebuild.
 */
int64
readmodel_deferred_queue_insert(Oid model, Datum keys, bool keys_null)
{
	Oid			relid = readmodel_extension_relation("deferred_queue");
	Oid			seqid = readmodel_extension_relation("deferred_queue_id_seq");
	Datum		values[lengthof(queue_columns)];
	bool		nulls[lengthof(queue_columns)] = {false, false, keys_null, false};
	Relation	rel;
	EState	   *estate;
	ResultRelInfo *rri;
	TupleTableSlot *slot;
	int64		id;
	int			c;

	if (!OidIsValid(relid) || !OidIsValid(seqid))
		elog(ERROR, "readmodel.deferred_queue is missing");
	id = nextval_internal(seqid, false);
	values[0] = Int64GetDatum(id);
	values[1] = ObjectIdGetDatum(model);
	values[2] = keys;
	values[3] = TimestampTzGetDatum(GetCurrentTimestamp());
	rel = table_open(relid, RowExclusiveLock);
	estate = CreateExecutorState();
	rri = makeNode(ResultRelInfo);
	InitResultRelInfo(rri, rel, 1, NULL, 0);
	ExecOpenIndices(rri, false);
	slot = MakeSingleTupleTableSlot(RelationGetDescr(rel), &TTSOpsVirtual);
	ExecClearTuple(slot);
	for (c = 0; c < RelationGetDescr(rel)->natts; c++)
		slot->tts_isnull[c] = true;
	for (c = 0; c < lengthof(queue_columns); c++)
	{
		AttrNumber	att = get_attnum(relid, queue_columns[c]);

		if (att == InvalidAttrNumber)
			elog(ERROR, "readmodel.deferred_queue has no column %s", queue_columns[c]);
		slot->tts_isnull[att - 1] = nulls[c];
		slot->tts_values[att - 1] = values[c];
	}
	ExecStoreVirtualTuple(slot);
	simple_table_tuple_insert(rel, slot);
	(void) ExecInsertIndexTuples(rri, slot, estate, false, false, NULL, NIL);
	ExecCloseIndices(rri);
	ExecDropSingleTupleTableSlot(slot);
	FreeExecutorState(estate);
	table_close(rel, NoLock);
	return id;
}
