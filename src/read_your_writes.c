/*-------------------------------------------------------------------------
 *
 * read_your_writes.c
 *	  In mode commit, a query of the writing transaction that reads a read
 *	  model sees the transaction's writes in it.
 *
 * Work stays queued until commit, coalesced, unless a query reads a model
 * it concerns: just before such a query starts (ExecutorStart), the work
 * queued for the models in its range table, and for the models those read,
 * at any depth, is applied, and the query runs with a snapshot taken after
 * those writes, as if it had started after them.  The snapshot it had is
 * not changed in place, because an enclosing query (a function called by a
 * query that scans the model) may share it and must not see rows change
 * under its scan.  What no query reads is applied once, at commit; what is
 * applied early is not applied again unless written again.
 *
 * Only in READ COMMITTED, where each statement takes a new snapshot anyway.
 * Under REPEATABLE READ or SERIALIZABLE the transaction keeps its snapshot,
 * which cannot see the concurrent commits maintenance builds on: its
 * models are brought up to date at commit.
 *
 * Queries that maintenance itself runs (capture following routes, the
 * apply loop) are left alone, as is EXPLAIN without ANALYZE.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "executor/executor.h"
#include "nodes/parsenodes.h"
#include "utils/snapmgr.h"

#include "cache.h"
#include "capture.h"
#include "cascade.h"
#include "queue.h"
#include "read_your_writes.h"

bool		readmodel_read_your_writes = true;

static ExecutorStart_hook_type prev_executor_start = NULL;

/*
 * Add `model` and the models it reads, at any depth, to *closure; returns
 * whether any of them has pending work.
 */
static bool
collect_closure(ReadModel *model, List *pending, List **closure, int depth)
{
	bool		any;
	ListCell   *lc;

	if (list_member_oid(*closure, model->relid))
		return list_member_oid(pending, model->relid);
	*closure = lappend_oid(*closure, model->relid);
	any = list_member_oid(pending, model->relid);
	if (model->analysis == NULL || depth > readmodel_max_cascade_depth)
		return any;
	foreach(lc, model->analysis->sources)
	{
		ReadModel  *source = readmodel_lookup_model(((ModelSource *) lfirst(lc))->relid);

		if (source != NULL)
			any |= collect_closure(source, pending, closure, depth + 1);
	}
	return any;
}

/* The models the query reads, with what they read, if any is pending. */
static List *
models_to_apply(PlannedStmt *stmt)
{
	List	   *pending = readmodel_queue_pending_models(false);
	List	   *closure = NIL;
	bool		any = false;
	ListCell   *lc;

	if (pending == NIL)
		return NIL;
	foreach(lc, stmt->rtable)
	{
		RangeTblEntry *rte = lfirst(lc);
		ReadModel  *model;

		if (rte->rtekind != RTE_RELATION)
			continue;
		model = readmodel_lookup_model(rte->relid);
		if (model != NULL)
			any |= collect_closure(model, pending, &closure, 1);
	}
	return any ? closure : NIL;
}

/*
 * Give the query a new snapshot, taken after the writes just made, as if
 * it had started after them.  Advancing the old one's command id would not
 * do: maintenance reads and rewrites, under its key locks, row versions of
 * transactions that committed after that snapshot was taken, and the query
 * would see both the version its snapshot sees and the one written on top.
 */
static void
renew_snapshot(QueryDesc *queryDesc)
{
	Snapshot	fresh;

	CommandCounterIncrement();
	PushCopiedSnapshot(GetLatestSnapshot());
	fresh = RegisterSnapshot(GetActiveSnapshot());
	PopActiveSnapshot();
	UnregisterSnapshot(queryDesc->snapshot);
	queryDesc->snapshot = fresh;
}

/* Apply what the query reads, if anything; the cache's own loading queries come here too. */
static void
apply_for_query(QueryDesc *queryDesc)
{
	static bool busy = false;

	if (busy)
		return;
	busy = true;
	PG_TRY();
	{
		List	   *models = models_to_apply(queryDesc->plannedstmt);

		if (models != NIL)
		{
			readmodel_apply_models(models);
			renew_snapshot(queryDesc);
		}
	}
	PG_FINALLY();
	{
		busy = false;
	}
	PG_END_TRY();
}

static void
executor_start(QueryDesc *queryDesc, int eflags)
{
	if (readmodel_read_your_writes &&
		(eflags & EXEC_FLAG_EXPLAIN_ONLY) == 0 &&
		queryDesc->snapshot != NULL &&
		IsTransactionState() &&
		!IsolationUsesXactSnapshot() &&
		!readmodel_apply_in_progress() &&
		!readmodel_capture_in_progress() &&
		readmodel_queue_has_pending(false))
		apply_for_query(queryDesc);
	if (prev_executor_start)
		prev_executor_start(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);
}

void
readmodel_read_your_writes_install(void)
{
	prev_executor_start = ExecutorStart_hook;
	ExecutorStart_hook = executor_start;
}
