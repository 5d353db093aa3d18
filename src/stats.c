/*-------------------------------------------------------------------------
 *
 * stats.c
 *	  Maintenance counters.  Every backend keeps its own; when the library
 *	  is in shared_preload_libraries the counters are also added to a
 *	  cluster-wide copy in shared memory, guarded by one spinlock (updates
 *	  are a handful of additions once per applied statement, not per row).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "stats.h"

typedef struct SharedCounters
{
	slock_t		mutex;
	ReadModelCounters counters;
} SharedCounters;

static ReadModelCounters backend_counters;
static SharedCounters *shared = NULL;
static HTAB *model_stats = NULL;	/* Oid -> ModelStats, in TopMemoryContext */

void
readmodel_stats_shmem_request(void)
{
	RequestAddinShmemSpace(MAXALIGN(sizeof(SharedCounters)));
}

void
readmodel_stats_shmem_startup(void)
{
	bool		found;

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	shared = ShmemInitStruct("pg_readmodel counters", sizeof(SharedCounters),
							 &found);
	if (!found)
	{
		SpinLockInit(&shared->mutex);
		memset(&shared->counters, 0, sizeof(ReadModelCounters));
	}
	LWLockRelease(AddinShmemInitLock);
}

static void
add_counters(ReadModelCounters *to, const ReadModelCounters *delta)
{
	to->statements_captured += delta->statements_captured;
	to->keys_queued += delta->keys_queued;
	to->models_refreshed += delta->models_refreshed;
	to->keys_recomputed += delta->keys_recomputed;
	to->rows_written += delta->rows_written;
	to->rows_skipped_noop += delta->rows_skipped_noop;
	to->full_refreshes += delta->full_refreshes;
	to->rows_patched += delta->rows_patched;
	to->rebuilds_chosen += delta->rebuilds_chosen;
	to->total_timing_ms += delta->total_timing_ms;
}

void
readmodel_stats_add(const ReadModelCounters *delta)
{
	add_counters(&backend_counters, delta);
	if (shared != NULL)
	{
		SpinLockAcquire(&shared->mutex);
		add_counters(&shared->counters, delta);
		SpinLockRelease(&shared->mutex);
	}
}

void
readmodel_stats_get(ReadModelCounters *out, bool *cluster_wide)
{
	*cluster_wide = (shared != NULL);
	if (shared != NULL)
	{
		SpinLockAcquire(&shared->mutex);
		*out = shared->counters;
		SpinLockRelease(&shared->mutex);
	}
	else
		*out = backend_counters;
}

static ModelStats *
model_entry(Oid relid, bool create)
{
	bool		found;
	ModelStats *entry;

	if (model_stats == NULL)
	{
		HASHCTL		ctl;

		if (!create)
			return NULL;
		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(ModelStats);
		ctl.hcxt = TopMemoryContext;
		model_stats = hash_create("pg_readmodel model statistics", 16, &ctl,
								  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	entry = hash_search(model_stats, &relid, create ? HASH_ENTER : HASH_FIND,
						&found);
	if (entry != NULL && !found)
	{
		memset(entry, 0, sizeof(ModelStats));
		entry->relid = relid;
	}
	return entry;
}

/* One application of a model's work. */
void
readmodel_stats_add_model(Oid relid, const ReadModelCounters *delta)
{
	ModelStats *entry = model_entry(relid, true);

	entry->applies++;
	entry->rows_written += delta->rows_written;
	entry->rows_skipped += delta->rows_skipped_noop;
	entry->rows_patched += delta->rows_patched;
	entry->rebuilds += delta->rebuilds_chosen;
	entry->ms += delta->total_timing_ms;
}

ModelStats
readmodel_stats_for_model(Oid relid)
{
	ModelStats *entry = model_entry(relid, false);
	ModelStats	zero;

	if (entry != NULL)
		return *entry;
	memset(&zero, 0, sizeof(zero));
	zero.relid = relid;
	return zero;
}
