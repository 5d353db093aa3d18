/*-------------------------------------------------------------------------
 *
 * cascade.c
 *	  Apply everything pending, shallowest model first.
 *
 * Writing a model fires the capture triggers of the models that read it;
 * inside the loop those only queue, and the loop takes the next shallowest
 * pending model, so each model is applied once per flush, after every model
 * it reads, and a model whose rows did not change queues nothing
 * downstream.
 *
 * Before a model is applied its table is locked, and the model looked up
 * again: the lock waits for a concurrent DROP or RENAME to finish, and the
 * cache sees its result.  Work for a model that vanished is moot; a model
 * that can no longer be maintained misses the change (it is marked stale)
 * and the writer's transaction goes on.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "fmgr.h"
#include "storage/lmgr.h"
#include "storage/proc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timeout.h"

#include "apply.h"
#include "cache.h"
#include "capture.h"
#include "cascade.h"
#include "queue.h"
#include "util.h"

PG_FUNCTION_INFO_V1(readmodel_flush);

#define MAX_APPLY_ROUNDS 100

/* set while the apply loop runs; captures inside it only queue */
static bool applying = false;

/* set while the work is applied just before COMMIT or PREPARE */
static bool applying_at_commit = false;

/* The pending model to apply next: the shallowest, so readers come later. */
static Oid
next_model(List *pending)
{
	ReadModel  *best = NULL;
	ListCell   *lc;

	foreach(lc, pending)
	{
		ReadModel  *model = readmodel_lookup_model(lfirst_oid(lc));

		if (model == NULL)
			return lfirst_oid(lc);	/* dropped: handled first */
		/* ties in relid order, so that transactions lock models alike */
		if (best == NULL || model->depth < best->depth ||
			(model->depth == best->depth && model->relid < best->relid))
			best = model;
	}
	return best->relid;
}

/* Lock the model's table, then find the model as that left it. */
static ReadModel *
lock_model(Oid relid)
{
	LockRelationOid(relid, RowExclusiveLock);
	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
		return NULL;
	return readmodel_lookup_model(relid);
}

static int64
apply_one(Oid relid)
{
	ReadModel  *model = lock_model(relid);
	ModelWork	work;

	if (model == NULL)
	{
		/* dropped in this or a concurrent transaction: its work is moot */
		readmodel_queue_take_all(relid);
		return 0;
	}
	if (model->suspended)
	{
		/* suspended since the keys were queued: they wait for resume() */
		readmodel_queue_hold(model, true);
		return 0;
	}
	if (!ModelIsMaintained(model))
	{
		readmodel_queue_take_all(relid);
		readmodel_miss_change(model);
		return 0;
	}
	readmodel_queue_take(relid, &work);
	return readmodel_apply_model(model, &work, true);
}

/* The pending models, of `only` if it is not NIL. */
static List *
pending_models(bool statement_mode_only, List *only)
{
	List	   *pending = readmodel_queue_pending_models(statement_mode_only);
	List	   *result = NIL;
	ListCell   *lc;

	if (only == NIL)
		return pending;
	foreach(lc, pending)
		if (list_member_oid(only, lfirst_oid(lc)))
			result = lappend_oid(result, lfirst_oid(lc));
	return result;
}

static int64
apply_loop(bool statement_mode_only, List *only, MemoryContext applycxt)
{
	int64		total = 0;
	int			applied = 0;
	int			limit = MAX_APPLY_ROUNDS * (list_length(readmodel_all_models()) + 1);

	while (readmodel_queue_has_pending(statement_mode_only))
	{
		MemoryContext old = MemoryContextSwitchTo(applycxt);
		List	   *pending = pending_models(statement_mode_only, only);

		if (pending == NIL)
		{
			MemoryContextSwitchTo(old);
			break;				/* what is left is for models not asked for */
		}

		if (++applied > limit)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("read model maintenance did not settle after %d model applications",
							limit),
					 errdetail("A trigger on a read-model table keeps changing the tables it is derived from.")));
		total += apply_one(next_model(pending));
		MemoryContextSwitchTo(old);
		MemoryContextReset(applycxt);
	}
	return total;
}

/*
 * Apply everything pending (or only statement-mode models, or only the
 * models in `only`).  Each model's application allocates in a context that
 * is reset after it.
 */
static int64
apply_pending(bool statement_mode_only, List *only)
{
	int64		total = 0;
	volatile bool pushed = false;
	MemoryContext applycxt;

	if (applying || !readmodel_queue_has_pending(statement_mode_only))
		return 0;
	if (!ActiveSnapshotSet())
	{
		PushActiveSnapshot(GetTransactionSnapshot());
		pushed = true;
	}
	applycxt = AllocSetContextCreate(CurrentMemoryContext,
									 "pg_readmodel apply",
									 ALLOCSET_DEFAULT_SIZES);
	readmodel_spi_connect();
	applying = true;
	PG_TRY();
	{
		total = apply_loop(statement_mode_only, only, applycxt);
	}
	PG_FINALLY();
	{
		applying = false;
	}
	PG_END_TRY();
	readmodel_spi_finish();
	MemoryContextDelete(applycxt);
	if (pushed)
		PopActiveSnapshot();
	return total;
}

int64
readmodel_apply_pending(bool statement_mode_only)
{
	return apply_pending(statement_mode_only, NIL);
}

/* Everything, the work of deferred models too: flush(), sync(), changes(). */
int64
readmodel_apply_everything(void)
{
	bool		shown = readmodel_queue_show_deferred(true);
	volatile int64 total = 0;

	readmodel_queue_release_held();
	PG_TRY();
	{
		total = apply_pending(false, NIL);
	}
	PG_FINALLY();
	{
		readmodel_queue_show_deferred(shown);
	}
	PG_END_TRY();
	return total;
}

/* Apply the pending work of these models only (read_your_writes.c). */
int64
readmodel_apply_models(List *relids)
{
	return relids == NIL ? 0 : apply_pending(false, relids);
}

bool
readmodel_apply_in_progress(void)
{
	return applying;
}

bool
readmodel_apply_at_commit_in_progress(void)
{
	return applying_at_commit;
}

static void
apply_committing(void)
{
	applying_at_commit = true;
	PG_TRY();
	{
		readmodel_apply_pending(false);
	}
	PG_FINALLY();
	{
		applying_at_commit = false;
	}
	PG_END_TRY();
}

/*
 * Just before COMMIT or PREPARE.  PostgreSQL disarms statement_timeout
 * before committing, so commit-time work would run unbounded: arm it again
 * for the maintenance, with the session's setting.
 */
void
readmodel_apply_at_commit(void)
{
	bool		armed = false;

	readmodel_queue_release_held();
	if (!readmodel_queue_has_pending(false))
		return;
	if (StatementTimeout > 0 && !get_timeout_active(STATEMENT_TIMEOUT))
	{
		enable_timeout_after(STATEMENT_TIMEOUT, StatementTimeout);
		armed = true;
	}
	apply_committing();
	if (armed)
		disable_timeout(STATEMENT_TIMEOUT, false);
}

/* readmodel.flush(): apply the queue now, so the transaction reads its writes. */
Datum
readmodel_flush(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(readmodel_apply_everything());
}
