/*-------------------------------------------------------------------------
 *
 * stats.h
 *	  Maintenance counters: cluster-wide (shared memory, when preloaded) or
 *	  per backend, and per model in this backend.
 *
 *-------------------------------------------------------------------------
 */
#ifndef READMODEL_STATS_H
#define READMODEL_STATS_H

#include "postgres.h"

typedef struct ReadModelCounters
{
	uint64		statements_captured;
	uint64		keys_queued;
	uint64		models_refreshed;
	uint64		keys_recomputed;
	uint64		rows_written;
	uint64		rows_skipped_noop;
	uint64		full_refreshes;
	uint64		rows_patched;	/* rows whose documents were patched in place */
	uint64		rebuilds_chosen;	/* key sets so large a rebuild was cheaper */
	uint64		keys_folded;	/* keys kept by aggregate deltas */
	double		total_timing_ms;
} ReadModelCounters;

/* What this backend's maintenance did for one model; survives cache rebuilds. */
typedef struct ModelStats
{
	Oid			relid;
	uint64		applies;
	uint64		rows_written;
	uint64		rows_skipped;
	uint64		rows_patched;
	uint64		rebuilds;
	double		ms;
} ModelStats;

extern void readmodel_stats_add(const ReadModelCounters *delta);
extern void readmodel_stats_get(ReadModelCounters *out, bool *cluster_wide);
extern void readmodel_stats_add_model(Oid relid, const ReadModelCounters *delta);
extern ModelStats readmodel_stats_for_model(Oid relid);
extern void readmodel_stats_shmem_request(void);
extern void readmodel_stats_shmem_startup(void);

#endif							/* READMODEL_STATS_H */
