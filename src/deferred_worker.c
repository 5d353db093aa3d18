/*-------------------------------------------------------------------------
 *
 * deferred_worker.c
 *	  Mode deferred, the worker's side: one background worker per database
 *	  named in readmodel.deferred_databases applies the committed rows of
 *	  readmodel.deferred_queue.
 *
 * Every readmodel.deferred_naptime milliseconds, and again at once while
 * batches come full, the worker takes up to DEFERRED_BATCH rows, sweeping
 * the queue in ctid order (FOR UPDATE SKIP LOCKED), and as many keys as
 * readmodel.deferred_batch_keys allows, queues them as a writer's capture
 * would, deletes the rows and commits: the commit applies the queue (the
 * deferred models' work is visible in this process), with the cascade to
 * the models that read them.  Apply and dequeue commit together.  Many
 * writers' transactions are applied by one worker transaction, each key
 * once; keys are recomputed under the key locks with the latest snapshot,
 * so the order of the rows does not change the result.
 *
 * Needs shared_preload_libraries; without it the declaration is refused.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
#include "utils/varlena.h"

#include "cache.h"
#include "catalog.h"
#include "deferred.h"
#include "keys.h"
#include "queue.h"
#include "sandbox.h"
#include "suspend.h"
#include "util.h"

PGDLLEXPORT void readmodel_deferred_main(Datum arg);

/*
 * Rows per batch.  The queue has no index (0.9): the worker sweeps it in
 * ctid order, each batch going on where the last one stopped (a TID range
 * scan), and starts again from the first page once it reaches the end, so
 * a backlog is read once per pass, not once per batch.
 */
#define DEFERRED_BATCH 10000

/* Where the next batch starts reading the queue. */
static ItemPointerData sweep_from;

/* One worker per listed database (at server start). */
void
readmodel_deferred_register(void)
{
	char	   *copy;
	List	   *names;
	ListCell   *lc;

	if (readmodel_deferred_databases == NULL || readmodel_deferred_databases[0] == '\0')
		return;
	copy = pstrdup(readmodel_deferred_databases);
	if (!SplitIdentifierString(copy, ',', &names))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("readmodel.deferred_databases must be a list of database names")));
	foreach(lc, names)
	{
		BackgroundWorker worker;

		memset(&worker, 0, sizeof(worker));
		worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
		worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
		worker.bgw_restart_time = 2;
		snprintf(worker.bgw_library_name, BGW_MAXLEN, "pg_readmodel");
		snprintf(worker.bgw_function_name, BGW_MAXLEN, "readmodel_deferred_main");
		snprintf(worker.bgw_name, BGW_MAXLEN, "pg_readmodel deferred %s", (char *) lfirst(lc));
		snprintf(worker.bgw_type, BGW_MAXLEN, "pg_readmodel deferred");
		strlcpy(worker.bgw_extra, (char *) lfirst(lc), BGW_EXTRALEN);
		RegisterBackgroundWorker(&worker);
	}
}

/*
 * The keys of one queue row, read back as the model's owner (a domain's
 * CHECK is her code).  In a subtransaction: a CHECK she tightened since, or
 * that fails, must not stop the worker for every model of the database;
 * NULL then, and the model is rebuilt instead.
 */
static Datum *
read_keys(ReadModel *model, Datum array, int *nkeys)
{
	MemoryContext outer = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	Datum	   *volatile keys = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(outer);
	PG_TRY();
	{
		Sandbox		sandbox;

		readmodel_sandbox_enter(&sandbox, model->owner);
		keys = readmodel_key_array_in(model, array, nkeys);
		readmodel_sandbox_leave(&sandbox);
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(outer);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(outer);
		CurrentResourceOwner = owner;
		ereport(WARNING,
				(errmsg("queued keys of read model %s could not be read: %s",
						model->qualname, edata->message),
				 errdetail("The model is rebuilt instead.")));
		return NULL;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(outer);
	CurrentResourceOwner = owner;
	return keys;
}

/*
 * Queue one row's keys (NULL: a rebuild) for its model; `size` of them.
 * Keys alone past readmodel.max_queued_keys (its writer's setting may have
 * been higher) would fail this batch and every retry of it: a rebuild.
 */
static int
queue_row(Oid relid, Datum keys, bool isnull, int64 size)
{
	ReadModel  *model = readmodel_lookup_model(relid);
	int			i;
	int			nkeys = 0;
	Datum	   *values;

	if (size > readmodel_max_queued_keys)
		isnull = true;
	if (model == NULL || !model->deferred)
		return 0;				/* dropped, or no longer deferred: moot */
	if (model->suspended)
	{
		/* suspended since: the keys wait for readmodel.resume() */
		readmodel_suspended_enqueue(model, keys, isnull);
		return 0;
	}
	if (isnull)
	{
		readmodel_queue_full(model, model->relid, RM_OP_SYNC);
		return 1;
	}
	values = read_keys(model, keys, &nkeys);
	if (values == NULL)
	{
		readmodel_queue_full(model, model->relid, RM_OP_SYNC);
		return 1;
	}
	for (i = 0; i < nkeys; i++)
		readmodel_queue_key(model, values[i], model->relid, RM_OP_SYNC);
	return nkeys;
}

/* Record the batch per model in readmodel.deferred_applied. */
static void
record_applied(Oid relid, int64 keys)
{
	Oid			types[2] = {OIDOID, INT8OID};
	Datum		values[2] = {ObjectIdGetDatum(relid), Int64GetDatum(keys)};

	if (SPI_execute_with_args("INSERT INTO readmodel.deferred_applied AS a (model, applied_at, batches, keys) "
							  "VALUES ($1::pg_catalog.regclass, pg_catalog.clock_timestamp(), 1, $2) "
							  "ON CONFLICT (model) DO UPDATE SET applied_at = excluded.applied_at, "
							  "batches = a.batches OPERATOR(pg_catalog.+) 1, "
							  "keys = a.keys OPERATOR(pg_catalog.+) excluded.keys",
							  2, types, values, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not record the deferred apply");
}

/* The rows of a batch that were taken, in ctid order. */
typedef struct BatchRows
{
	uint64		n;
	ItemPointerData *tids;
	Oid		   *models;
	int64	   *counts;			/* keys queued per row */
} BatchRows;

/*
 * The keys a batch may queue: the worker's transaction counts against
 * readmodel.max_queued_keys like any other, and the apply's cascade adds
 * to it.
 */
static int64
batch_key_budget(void)
{
	return Min(readmodel_deferred_batch_keys, readmodel_max_queued_keys);
}

/*
 * Queue the keys of the rows read, in order, until the next row would take
 * the batch past the budget; the first row is always taken.  Returns the
 * number of rows read but left.
 */
static uint64
queue_rows(SPITupleTable *rows, uint64 nread, BatchRows *batch)
{
	TupleDesc	desc = rows->tupdesc;
	int64		total = 0;
	uint64		i;

	batch->tids = palloc(sizeof(ItemPointerData) * nread);
	batch->models = palloc(sizeof(Oid) * nread);
	batch->counts = palloc(sizeof(int64) * nread);
	for (i = 0; i < nread; i++)
	{
		HeapTuple	row = rows->vals[i];
		bool		no_ctid;
		bool		no_model;
		bool		keys_null;
		bool		size_null;
		Datum		ctid = SPI_getbinval(row, desc, 1, &no_ctid);
		Datum		keys = SPI_getbinval(row, desc, 3, &keys_null);
		Datum		size = SPI_getbinval(row, desc, 4, &size_null);
		int64		nkeys = size_null ? 1 : DatumGetInt32(size);

		if (i > 0 && total + nkeys > batch_key_budget())
			break;
		total += nkeys;
		ItemPointerCopy((ItemPointer) DatumGetPointer(ctid), &batch->tids[i]);
		batch->models[i] = DatumGetObjectId(SPI_getbinval(row, desc, 2, &no_model));
		batch->counts[i] = queue_row(batch->models[i], keys, keys_null, nkeys);
	}
	batch->n = i;
	/* the next batch starts at the first row left, or after the last taken */
	if (i < nread)
	{
		bool		no_ctid;
		Datum		ctid = SPI_getbinval(rows->vals[i], desc, 1, &no_ctid);

		ItemPointerCopy((ItemPointer) DatumGetPointer(ctid), &sweep_from);
	}
	else
		ItemPointerSet(&sweep_from, ItemPointerGetBlockNumber(&batch->tids[i - 1]),
					   ItemPointerGetOffsetNumber(&batch->tids[i - 1]) + 1);
	return nread - i;
}

/* Delete the rows taken: they are locked, so their ctids stand. */
static void
dequeue_rows(BatchRows *batch)
{
	Oid			type = TIDARRAYOID;
	Datum	   *ctids = palloc(sizeof(Datum) * batch->n);
	Datum		ctid_array;
	uint64		i;

	for (i = 0; i < batch->n; i++)
		ctids[i] = PointerGetDatum(&batch->tids[i]);
	ctid_array = PointerGetDatum(construct_array(ctids, batch->n, TIDOID, sizeof(ItemPointerData),
												 false, TYPALIGN_SHORT));

	if (SPI_execute_with_args("DELETE FROM readmodel.deferred_queue WHERE ctid OPERATOR(pg_catalog.=) ANY ($1)",
							  1, &type, &ctid_array, NULL, false, 0) != SPI_OK_DELETE)
		elog(ERROR, "could not dequeue the deferred keys");
}

/* One record per model of the batch (rows come in ctid order, not grouped). */
static void
record_batch(BatchRows *batch)
{
	uint64		i;

	for (i = 0; i < batch->n; i++)
	{
		uint64		j;
		bool		first = true;
		int64		keys = batch->counts[i];

		for (j = 0; j < i && first; j++)
			first = (batch->models[j] != batch->models[i]);
		if (!first)
			continue;
		for (j = i + 1; j < batch->n; j++)
			if (batch->models[j] == batch->models[i])
				keys += batch->counts[j];
		record_applied(batch->models[i], keys);
	}
}

/*
 * Take a batch, queue it, dequeue it; the caller's commit applies it.
 * Returns whether more rows may be waiting: the batch came full, or this
 * pass did not start at the first page (rows may have gone into pages
 * before it since, into space a VACUUM freed).
 */
static bool
take_batch(void)
{
	BatchRows	batch;
	uint64		nread;
	Oid			type = TIDOID;
	Datum		from = PointerGetDatum(&sweep_from);
	bool		from_start = ItemPointerGetBlockNumber(&sweep_from) == 0 &&
		ItemPointerGetOffsetNumber(&sweep_from) == 0;

	if (SPI_execute_with_args("SELECT ctid, model::pg_catalog.oid, keys, pg_catalog.cardinality(keys) "
							  "FROM readmodel.deferred_queue WHERE ctid OPERATOR(pg_catalog.>=) $1 "
							  "LIMIT " CppAsString2(DEFERRED_BATCH) " FOR UPDATE SKIP LOCKED",
							  1, &type, &from, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the deferred queue");
	nread = SPI_processed;
	if (nread > 0)
	{
		uint64		left;

		/* before any model's state is looked at: see suspend.c */
		if (readmodel_catalog_has_suspended_queue())
			readmodel_suspended_queue_lock(RowExclusiveLock);
		left = queue_rows(SPI_tuptable, nread, &batch);
		dequeue_rows(&batch);
		record_batch(&batch);
		if (left > 0 || nread == DEFERRED_BATCH)
			return true;
	}
	/* the end of the table: the next pass starts again at the first page */
	ItemPointerSet(&sweep_from, 0, 0);
	return !from_start;
}

/*
 * One transaction: a batch applied and dequeued, or nothing to do.
 * Returns whether another batch may be waiting.
 */
static bool
apply_batch(void)
{
	bool		more = false;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, "pg_readmodel: applying deferred read-model keys");
	if (OidIsValid(get_extension_oid("pg_readmodel", true)) &&
		OidIsValid(readmodel_extension_relation("deferred_queue")))
	{
		Sandbox		sandbox;

		/*
		 * As the extension's owner with the pinned settings: the keys were
		 * written so (deferred.c), and no object of the database's users
		 * is on this search_path.  Each model's apply, at the commit, runs
		 * as its owner.
		 */
		readmodel_spi_connect();
		readmodel_sandbox_enter(&sandbox, readmodel_extension_owner());
		more = take_batch();
		readmodel_sandbox_leave(&sandbox);
		readmodel_spi_finish();
	}
	PopActiveSnapshot();
	CommitTransactionCommand();		/* applies the queue, then commits */
	pgstat_report_activity(STATE_IDLE, NULL);
	return more;
}

void
readmodel_deferred_main(Datum arg)
{
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(MyBgworkerEntry->bgw_extra, NULL, 0);

	readmodel_in_deferred_worker = true;
	(void) readmodel_queue_show_deferred(true);
	for (;;)
	{
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 readmodel_deferred_naptime, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		while (apply_batch())
			CHECK_FOR_INTERRUPTS();
	}
}
