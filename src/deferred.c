/*-------------------------------------------------------------------------
 *
 * deferred.c
 *	  Mode deferred, the writer's side: at commit, the keys a transaction
 *	  queued for models of mode deferred go to the durable queue
 *	  readmodel.deferred_queue, one row per model, instead of being applied;
 *	  and readmodel.wait(), read-your-writes across transactions.
 *
 * Capture runs as for every mode (it is what finds the keys), and the keys
 * wait in the transaction's queue, hidden from the apply loop (queue.c).
 * Just before commit, after the other models' work is applied, each
 * deferred model's keys are written as one text[] row, as the extension's
 * owner (writers may not touch the queue).  The row commits with the
 * transaction or not at all; the background worker of the database
 * (deferred_worker.c) applies committed rows and deletes them in one
 * transaction, so a crash between the two applies them again, idempotently,
 * and nothing is lost or half-applied.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/varlena.h"

#include "cache.h"
#include "catalog.h"
#include "deferred.h"
#include "keys.h"
#include "lifecycle.h"
#include "queue.h"
#include "sandbox.h"
#include "suspend.h"
#include "util.h"

PG_FUNCTION_INFO_V1(readmodel_wait);

bool		readmodel_in_deferred_worker = false;
char	   *readmodel_deferred_databases = NULL;
int			readmodel_deferred_naptime = 50;
int			readmodel_deferred_batch_keys = 100000;

/* the queue rows this transaction wrote, and those of this session's commits */
typedef struct Enqueued
{
	Oid			model;
	int64		id;
} Enqueued;

static List *pending_ids = NIL;		/* in TopTransactionContext */
static List *committed_ids = NIL;	/* in TopMemoryContext */

/* Is `name` one of readmodel.deferred_databases? */
bool
readmodel_deferred_database_listed(const char *name)
{
	char	   *copy;
	List	   *names;
	ListCell   *lc;

	if (readmodel_deferred_databases == NULL)
		return false;
	copy = pstrdup(readmodel_deferred_databases);
	if (!SplitIdentifierString(copy, ',', &names))
		return false;
	foreach(lc, names)
		if (strcmp((char *) lfirst(lc), name) == 0)
			return true;
	return false;
}

/*
 * A model's work as text keys (those kept as deltas too), spelled with the
 * caller's pinned settings; NULL (`*rebuild`) for a rebuild.  Output
 * functions run no code of the model's owner (a domain, an enum, a
 * composite or an array has its base types' built-in outputs; only a
 * superuser can make others), so this runs in no sandbox of the owner's
 * (only the settings are pinned, where the key type's output reads them);
 * reading keys back does (a domain's CHECK is the owner's code; suspend.c,
 * deferred_worker.c).
 */
static Datum
work_keys_text(ReadModel *model, ModelWork *work, bool *rebuild)
{
	int			n = work->nkeys + work->ndeltas;
	Datum	   *texts;
	int			i;

	*rebuild = work->full || (model->suspended && n > readmodel_resume_replay_limit);
	if (*rebuild)
		return (Datum) 0;
	texts = palloc(sizeof(Datum) * Max(n, 1));
	for (i = 0; i < work->nkeys; i++)
		texts[i] = CStringGetTextDatum(readmodel_key_out(model, work->keys[i]));
	for (i = 0; i < work->ndeltas; i++)
		texts[work->nkeys + i] = CStringGetTextDatum(readmodel_key_out(model, work->delta_keys[i]));
	return PointerGetDatum(construct_array(texts, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/* A deferred model's row; its id is this session's to wait for. */
static void
enqueue_deferred(ReadModel *model, Datum keys, bool rebuild)
{
	int64		id = readmodel_deferred_queue_insert(model->relid, keys, rebuild);
	MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);
	Enqueued   *entry = palloc(sizeof(Enqueued));

	entry->model = model->relid;
	entry->id = id;
	pending_ids = lappend(pending_ids, entry);
	MemoryContextSwitchTo(old);
}

/* A model's pending work, to the durable queue its state calls for. */
static void
enqueue_model(ReadModel *model)
{
	ModelWork	work;
	Datum		keys;
	bool		rebuild;
	bool		pinned;
	Sandbox		sandbox;
	/* patch values held for a suspended model are not keys: a rebuild */
	bool		patches = model->suspended &&
		readmodel_queue_pending_patches(model->relid) != NIL;

	if (!readmodel_queue_take(model->relid, &work) && !patches)
		return;
	if (patches)
	{
		readmodel_queue_take_all(model->relid);
		work.full = true;
	}
	if (!work.full && work.nkeys + work.ndeltas == 0)
		return;
	/* keys whose text may depend on settings are spelled with them pinned */
	pinned = !readmodel_key_output_is_fixed(model);
	if (pinned)
		readmodel_sandbox_enter(&sandbox, readmodel_extension_owner());
	keys = work_keys_text(model, &work, &rebuild);
	if (pinned)
		readmodel_sandbox_leave(&sandbox);
	if (model->suspended)
		readmodel_suspended_enqueue(model, keys, rebuild);
	else
		enqueue_deferred(model, keys, rebuild);
}

/*
 * A pending model's work: a suspended one's to its queue (in the worker
 * too: suspended while the worker applied it), a deferred one's to the
 * worker's, unless this is the worker, which applied it.
 */
static void
enqueue_pending(ReadModel *model)
{
	if (model == NULL)
		return;
	if (model->suspended || (model->deferred && !readmodel_in_deferred_worker))
		enqueue_model(model);
}

/*
 * Just before commit, after the queue is applied: the work of deferred
 * models goes to the durable queue, which the worker applies (its own work
 * it applies at once), and that of suspended ones to theirs.
 */
void
readmodel_deferred_enqueue(void)
{
	bool		shown_deferred;
	bool		shown_suspended;
	volatile bool pushed = false;
	List	   *pending;
	ListCell   *lc;

	shown_deferred = readmodel_queue_show_deferred(true);
	shown_suspended = readmodel_queue_show_suspended(true);
	PG_TRY();
	{
		pending = readmodel_queue_pending_models(false);
		if (pending != NIL)
		{
			/* just before commit no statement is running: no snapshot is set */
			if (!ActiveSnapshotSet())
			{
				PushActiveSnapshot(GetTransactionSnapshot());
				pushed = true;
			}
			readmodel_spi_connect();
			foreach(lc, pending)
				enqueue_pending(readmodel_lookup_model(lfirst_oid(lc)));
			readmodel_spi_finish();
			if (pushed)
				PopActiveSnapshot();
		}
	}
	PG_FINALLY();
	{
		readmodel_queue_show_deferred(shown_deferred);
		readmodel_queue_show_suspended(shown_suspended);
	}
	PG_END_TRY();
}

/* At COMMIT: the rows written are this session's to wait for. */
void
readmodel_deferred_xact_end(bool commit, bool prepare)
{
	ListCell   *lc;

	foreach(lc, pending_ids)
	{
		Enqueued   *entry = lfirst(lc);
		MemoryContext old;
		Enqueued   *copy;
		ListCell   *lk;

		if (!commit && !prepare)
			continue;			/* rolled back: the last commit's id stands */
		/*
		 * A newer row of the model: this one's id, or, prepared (it commits
		 * later, maybe elsewhere), none, so that wait() waits for all.
		 */
		foreach(lk, committed_ids)
			if (((Enqueued *) lfirst(lk))->model == entry->model)
			{
				committed_ids = foreach_delete_current(committed_ids, lk);
				break;
			}
		if (prepare)
			continue;
		old = MemoryContextSwitchTo(TopMemoryContext);
		copy = palloc(sizeof(Enqueued));
		*copy = *entry;
		committed_ids = lappend(committed_ids, copy);
		MemoryContextSwitchTo(old);
	}
	pending_ids = NIL;
}

/* The id to wait for: this session's last row, else the newest one now. */
static int64
target_id(Oid model)
{
	ListCell   *lc;
	bool		isnull;
	Datum		arg = ObjectIdGetDatum(model);
	Oid			type = OIDOID;

	foreach(lc, committed_ids)
		if (((Enqueued *) lfirst(lc))->model == model)
			return ((Enqueued *) lfirst(lc))->id;
	if (SPI_execute_with_args("SELECT pg_catalog.max(id) FROM readmodel.deferred_queue "
							  "WHERE model OPERATOR(pg_catalog.=) $1::pg_catalog.regclass",
							  1, &type, &arg, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the deferred queue");
	arg = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? 0 : DatumGetInt64(arg);
}

/* Is a row of `model` up to `id` still queued, as committed now? */
static bool
still_queued(Oid model, int64 id)
{
	Oid			types[2] = {OIDOID, INT8OID};
	Datum		args[2] = {ObjectIdGetDatum(model), Int64GetDatum(id)};
	SPIPlanPtr	plan = SPI_prepare("SELECT FROM readmodel.deferred_queue "
								   "WHERE model OPERATOR(pg_catalog.=) $1::pg_catalog.regclass "
								   "AND id OPERATOR(pg_catalog.<=) $2 LIMIT 1", 2, types);

	if (plan == NULL ||
		SPI_execute_snapshot(plan, args, NULL, GetLatestSnapshot(), InvalidSnapshot,
							 true, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the deferred queue");
	SPI_freeplan(plan);
	return SPI_processed > 0;
}

/*
 * readmodel.wait(name, timeout): wait until the worker applied this
 * session's last committed changes of a deferred model; false on timeout.
 */
Datum
readmodel_wait(PG_FUNCTION_ARGS)
{
	Oid			relid = readmodel_model_by_name(PG_GETARG_TEXT_PP(0));
	Interval   *timeout = PG_GETARG_INTERVAL_P(1);
	TimestampTz deadline;
	ReadModel  *model = readmodel_lookup_model(relid);
	Sandbox		sandbox;
	bool		done = false;
	int64		id;

	if (model == NULL || !readmodel_may_see_model(relid))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for read model %s", get_rel_name(relid))));
	if (!model->deferred)
		PG_RETURN_BOOL(true);	/* applied by its writers' commits */
	deadline = DatumGetTimestampTz(DirectFunctionCall2(timestamptz_pl_interval,
													   TimestampTzGetDatum(GetCurrentTimestamp()),
													   IntervalPGetDatum(timeout)));
	readmodel_spi_connect();
	readmodel_sandbox_enter(&sandbox, readmodel_extension_owner());
	id = target_id(relid);
	while (!(done = !still_queued(relid, id)) && GetCurrentTimestamp() < deadline)
	{
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 10, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
	readmodel_sandbox_leave(&sandbox);
	readmodel_spi_finish();
	PG_RETURN_BOOL(done);
}
