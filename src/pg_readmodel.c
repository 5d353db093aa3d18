/*-------------------------------------------------------------------------
 *
 * pg_readmodel.c
 *	  Module load: settings, transaction callbacks and shared memory.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "utils/guc.h"

#include "cache.h"
#include "cascade.h"
#include "ctas.h"
#include "deferred.h"
#include "suspend.h"
#include "last_applied.h"
#include "feed.h"
#include "pg_readmodel.h"
#include "delta.h"
#include "queue.h"
#include "read_your_writes.h"
#include "stats.h"

PG_MODULE_MAGIC;

int			readmodel_lock_escalation = 256;
int			readmodel_apply_chunk = 10000;
int			readmodel_max_cascade_depth = 16;
int			readmodel_max_queued_keys = 10000000;
bool		readmodel_enable_patch = true;
double		readmodel_rebuild_fraction = 0.9;
int			readmodel_rebuild_min_keys = 1000;
bool		readmodel_preloaded = false;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

void		_PG_init(void);

static void
xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PRE_PREPARE:
			readmodel_apply_at_commit();
			readmodel_deferred_enqueue();
			readmodel_feed_at_commit(event == XACT_EVENT_PRE_PREPARE);
			readmodel_last_applied_pre_commit();
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PREPARE:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PARALLEL_ABORT:
			readmodel_queue_reset();
			readmodel_feed_reset();
			readmodel_deferred_xact_end(event == XACT_EVENT_COMMIT,
									   event == XACT_EVENT_PREPARE);
			readmodel_suspended_xact_end();
			readmodel_last_applied_xact_end(event == XACT_EVENT_COMMIT);
			readmodel_cache_xact_end();
			break;
		default:
			break;
	}
}

static void
subxact_callback(SubXactEvent event, SubTransactionId mySubid,
				 SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_COMMIT_SUB)
	{
		readmodel_queue_subxact(true, GetCurrentTransactionNestLevel());
		readmodel_feed_subxact(true, GetCurrentTransactionNestLevel());
	}
	else if (event == SUBXACT_EVENT_ABORT_SUB)
	{
		readmodel_queue_subxact(false, GetCurrentTransactionNestLevel());
		readmodel_feed_subxact(false, GetCurrentTransactionNestLevel());
	}
}

static void
shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	readmodel_stats_shmem_request();
	readmodel_last_applied_shmem_request();
}

static void
shmem_startup(void)
{
	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	readmodel_stats_shmem_startup();
	readmodel_last_applied_shmem_startup();
}

void
_PG_init(void)
{
	DefineCustomIntVariable("readmodel.lock_escalation",
							"Values past which per-value maintenance locks are replaced by one lock per table column or model.",
							NULL, &readmodel_lock_escalation, 256, 1, 1000000,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("readmodel.apply_chunk",
							"Keys recomputed per maintenance statement.",
							NULL, &readmodel_apply_chunk, 10000, 1, 10000000,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("readmodel.max_cascade_depth",
							"Deepest chain of read models over read models that may be declared or maintained.",
							NULL, &readmodel_max_cascade_depth, 16, 1, 1000,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("readmodel.max_queued_keys",
							"Most read-model keys one transaction may queue for recomputation.",
							"Past it the transaction fails rather than refreshing part of a model; readmodel.refresh() rebuilds a model whole.",
							&readmodel_max_queued_keys, 10000000, 1, INT_MAX,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("readmodel.enable_patch",
							 "Patch copied values into documents in place instead of recomputing the rows.",
							 NULL, &readmodel_enable_patch, true,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("readmodel.enable_delta",
							 "Keep count, sum, avg, min, max, bool_and and bool_or of rollups by deltas instead of recomputing their groups.",
							 NULL, &readmodel_enable_delta, true,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomRealVariable("readmodel.rebuild_fraction",
							 "Share of a model's rows past which its queued keys are applied by one rebuilding diff.",
							 "0 turns the switch off.",
							 &readmodel_rebuild_fraction, 0.9, 0.0, 100.0,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("readmodel.rebuild_min_keys",
							"Fewest keys for which a rebuild is considered instead of a keyed recompute.",
							NULL, &readmodel_rebuild_min_keys, 1000, 1, INT_MAX,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("readmodel.ctas_prefix",
							   "Table name prefix with which CREATE TABLE ... AS declares a read model.",
							   "Takes effect when the library is preloaded; an empty string turns it off.",
							   &readmodel_ctas_prefix, "tv_",
							   PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("readmodel.read_your_writes",
							 "Apply a transaction's pending work for the read models a query reads before the query starts.",
							 "Off: the transaction's queries see its writes in models of mode commit after readmodel.flush() or the commit.",
							 &readmodel_read_your_writes, true,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	/* a server-start setting can only be defined while preloading */
	if (process_shared_preload_libraries_in_progress)
		DefineCustomStringVariable("readmodel.deferred_databases",
								   "Databases whose read models of mode deferred a background worker applies.",
								   "A comma-separated list; takes effect at server start.",
								   &readmodel_deferred_databases, "",
								   PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("readmodel.resume_replay_limit",
							"Keys a suspended read model's writers record for readmodel.resume() to replay.",
							"Past it, a transaction records that resume() must rebuild the model instead.",
							&readmodel_resume_replay_limit, 10000, 0, INT_MAX,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("readmodel.deferred_naptime",
							"Milliseconds the deferred worker sleeps when its queue is empty.",
							NULL, &readmodel_deferred_naptime, 50, 1, 60000,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("readmodel.deferred_batch_keys",
							"Keys past which the deferred worker ends a batch.",
							"A batch stops before a queue row that would take it past this many keys; its first row is always taken.",
							&readmodel_deferred_batch_keys, 100000, 1, INT_MAX,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	MarkGUCPrefixReserved("readmodel");

	readmodel_cache_init();
	RegisterXactCallback(xact_callback, NULL);
	RegisterSubXactCallback(subxact_callback, NULL);
	readmodel_read_your_writes_install();

	if (process_shared_preload_libraries_in_progress)
	{
		readmodel_preloaded = true;
		readmodel_ctas_install_hook();
		readmodel_deferred_register();
		prev_shmem_request_hook = shmem_request_hook;
		shmem_request_hook = shmem_request;
		prev_shmem_startup_hook = shmem_startup_hook;
		shmem_startup_hook = shmem_startup;
	}
}
