/*-------------------------------------------------------------------------
 *
 * suspend.c
 *	  The keys the writers of a suspended model record for
 *	  readmodel.resume(), in readmodel.suspended_queue.
 *
 * While a model is suspended (readmodel.suspend()), capture queues its keys
 * as usual, held apart from the apply (queue.c); at commit deferred.c
 * writes them as one text[] row per model and transaction, as the
 * extension's owner.  A transaction whose keys would pass
 * readmodel.resume_replay_limit records a row with NULL keys instead, a
 * marker that the resume must rebuild; a statement that would pass it is
 * not mapped to keys at all, and once a marker is committed the writers
 * that see it record nothing.  So a bulk load costs nothing per row, and a
 * handful of writes during a suspension are replayed, not rebuilt.
 *
 * resume() first waits for the sources' writers in progress (lifecycle.c),
 * so every transaction that saw the model suspended has committed its row
 * or rolled back; then it replays the keys, or rebuilds by diff when a
 * marker is there or the keys are more than the limit, and deletes the
 * model's rows in the same transaction.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "storage/lmgr.h"

#include "catalog.h"
#include "keys.h"
#include "queue.h"
#include "sandbox.h"
#include "suspend.h"
#include "util.h"

int			readmodel_resume_replay_limit = 10000;

/* models whose marker this transaction saw, and those it looked for */
static List *marked_models = NIL;	/* in TopTransactionContext */
static List *probed_models = NIL;

/*
 * Lock the queue: resume() takes SHARE, so that the deferred worker, which
 * takes ROW EXCLUSIVE before it looks at a model's state (deferred_worker.c),
 * neither moves rows in after resume() read them nor decides on a state
 * resume() is changing.
 */
void
readmodel_suspended_queue_lock(LOCKMODE mode)
{
	LockRelationOid(readmodel_extension_relation("suspended_queue"), mode);
}

/* One statement on the queue, as the extension's owner, under `snapshot`. */
static void
queue_statement_as_of(const char *sql, Oid relid, Datum keys, bool keys_null, int expected,
					  Snapshot snapshot)
{
	Oid			types[2] = {OIDOID, TEXTARRAYOID};
	Datum		values[2] = {ObjectIdGetDatum(relid), keys};
	char		nulls[2] = {' ', keys_null ? 'n' : ' '};
	Sandbox		sandbox;
	SPIPlanPtr	plan;

	readmodel_sandbox_enter(&sandbox, readmodel_extension_owner());
	plan = SPI_prepare(sql, strstr(sql, "$2") ? 2 : 1, types);
	if (plan == NULL ||
		SPI_execute_snapshot(plan, values, nulls, snapshot, InvalidSnapshot,
							 false, false, 0) != expected)
		elog(ERROR, "could not use readmodel.suspended_queue");
	SPI_freeplan(plan);
	readmodel_sandbox_leave(&sandbox);
}

/* ... under the latest snapshot */
static void
queue_statement(const char *sql, Oid relid, Datum keys, bool keys_null, int expected)
{
	queue_statement_as_of(sql, relid, keys, keys_null, expected, GetLatestSnapshot());
}

/* Has a committed transaction marked the model for a rebuild? */
static bool
rebuild_marked(Oid relid)
{
	bool		marked;
	MemoryContext old;

	if (list_member_oid(probed_models, relid))
		return list_member_oid(marked_models, relid);
	readmodel_spi_connect();
	queue_statement("SELECT FROM readmodel.suspended_queue "
					"WHERE model OPERATOR(pg_catalog.=) $1::pg_catalog.regclass "
					"AND keys IS NULL LIMIT 1", relid, (Datum) 0, true, SPI_OK_SELECT);
	marked = SPI_processed > 0;
	readmodel_spi_finish();
	old = MemoryContextSwitchTo(TopTransactionContext);
	probed_models = lappend_oid(probed_models, relid);
	if (marked)
		marked_models = lappend_oid(marked_models, relid);
	MemoryContextSwitchTo(old);
	return marked;
}

/*
 * Should capture map `nrows` changed rows to keys of the suspended model?
 * Not once a rebuild is due: then this transaction records a marker, or a
 * committed one says so already.
 */
bool
readmodel_suspended_records(ReadModel *model, int64 nrows)
{
	bool		full;
	int64		queued = readmodel_queue_model_keys(model->relid, &full);

	if (full || rebuild_marked(model->relid))
		return false;
	if (queued + nrows > readmodel_resume_replay_limit)
	{
		readmodel_queue_full(model, model->relid, RM_OP_SYNC);
		return false;
	}
	return true;
}

/*
 * After a statement's capture: keys past the budget (routes fan out, one
 * row can reach many keys) are let go, and a rebuild is due instead.
 */
void
readmodel_suspended_check_budget(ReadModel *model)
{
	bool		full;

	if (readmodel_queue_model_keys(model->relid, &full) > readmodel_resume_replay_limit)
	{
		readmodel_queue_take_all(model->relid);
		readmodel_queue_full(model, model->relid, RM_OP_SYNC);
	}
}

/*
 * At commit (deferred.c): record a transaction's keys of the model, text
 * spelled with the pinned settings, or a marker.  The caller is connected
 * to SPI.
 */
void
readmodel_suspended_enqueue(ReadModel *model, Datum keys, bool rebuild)
{
	if (rebuild && list_member_oid(marked_models, model->relid))
		return;					/* one marker is enough */
	queue_statement("INSERT INTO readmodel.suspended_queue (model, keys) "
					"VALUES ($1::pg_catalog.regclass, $2)",
					model->relid, keys, rebuild, SPI_OK_INSERT);
}

/*
 * Is a rebuild due instead of a replay: a marker, or more keys than the
 * limit?  Decided before any row is read into memory.
 */
static bool
rebuild_due(Oid relid)
{
	bool		isnull;
	bool		due;

	readmodel_spi_connect();
	/* sum(integer) is a bigint; no rows: false, 0 */
	queue_statement("SELECT COALESCE(pg_catalog.bool_or(keys IS NULL), false), "
					"COALESCE(pg_catalog.sum(pg_catalog.cardinality(keys)), 0) "
					"FROM readmodel.suspended_queue "
					"WHERE model OPERATOR(pg_catalog.=) $1::pg_catalog.regclass",
					relid, (Datum) 0, true, SPI_OK_SELECT);
	due = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)) ||
		DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull)) >
		readmodel_resume_replay_limit;
	readmodel_spi_finish();
	return due;
}

/*
 * resume(): queue the recorded keys of a model maintained again, for the
 * caller's apply.  Returns how many, or -1 when a rebuild is due instead
 * (a marker, more keys than the limit); then nothing is queued.
 */
int64
readmodel_suspended_replay(ReadModel *model)
{
	int64		total = 0;
	uint64		i;
	Sandbox		sandbox;

	if (rebuild_due(model->relid))
		return -1;
	readmodel_spi_connect();
	queue_statement("SELECT keys FROM readmodel.suspended_queue "
					"WHERE model OPERATOR(pg_catalog.=) $1::pg_catalog.regclass ORDER BY id",
					model->relid, (Datum) 0, true, SPI_OK_SELECT);
	/*
	 * Key input runs as the model's owner (a domain's CHECK is her code),
	 * with the pinned settings the keys were written with.
	 */
	readmodel_sandbox_enter(&sandbox, model->owner);
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Datum	   *keys;
		int			nkeys;
		int			k;

		keys = readmodel_key_array_in(model, SPI_getbinval(SPI_tuptable->vals[i],
														   SPI_tuptable->tupdesc, 1, &isnull),
									  &nkeys);
		for (k = 0; k < nkeys; k++)
			readmodel_queue_key(model, keys[k], model->relid, RM_OP_SYNC);
		total += nkeys;
	}
	readmodel_sandbox_leave(&sandbox);
	readmodel_spi_finish();
	return total;
}

/*
 * The model's recorded rows are applied or moot: those `snapshot` sees, or
 * all (NULL).  What this transaction knew of markers goes with them.
 */
void
readmodel_suspended_clear(Oid relid, Snapshot snapshot)
{
	readmodel_spi_connect();
	queue_statement_as_of("DELETE FROM readmodel.suspended_queue "
						  "WHERE model OPERATOR(pg_catalog.=) $1::pg_catalog.regclass",
						  relid, (Datum) 0, true, SPI_OK_DELETE,
						  snapshot ? snapshot : GetLatestSnapshot());
	readmodel_spi_finish();
	readmodel_suspended_xact_end();
}

void
readmodel_suspended_xact_end(void)
{
	marked_models = NIL;
	probed_models = NIL;
}
