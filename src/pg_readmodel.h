/*-------------------------------------------------------------------------
 *
 * pg_readmodel.h
 *	  Shared declarations of pg_readmodel: incrementally maintained read
 *	  models (tv_ tables) declared from a SQL SELECT.
 *
 * How a change flows
 * ------------------
 * 1. readmodel.create() stores the definition as a view (<table>_def), so
 *	  PostgreSQL keeps the analyzed Query, its dependencies on the sources and
 *	  its column references across renames.  analyze.c walks that Query into
 *	  a graph of equality edges between the tables it reads and derives, for
 *	  every occurrence of every source table, a *route*: the hops that turn a
 *	  changed source row into the keys of the read-model rows it can affect.
 * 2. capture.c runs as statement-level AFTER triggers with transition
 *	  tables on every source.  It follows the routes set-based (one query per
 *	  hop and model, never one per row) and queues the keys.
 * 3. queue.c keeps the keys per transaction, coalesced, and savepoint-aware:
 *	  work queued inside a rolled back subtransaction is discarded, and work
 *	  applied inside one is queued again.
 * 4. apply.c recomputes the queued keys just before commit (or at the end of
 *	  the statement in mode 'statement') with one diffing statement per model
 *	  and chunk: delete rows that left, update rows whose value differs, insert
 *	  rows that entered.  Unchanged rows are not written.
 *
 * Locking protocol (locks.c)
 * --------------------------
 * All maintenance reads use the latest snapshot, as foreign-key checks do,
 * so the result reflects everything committed plus the transaction's own
 * work whatever the isolation level.  Two kinds of lock make that exact
 * under concurrency, both transaction-scoped advisory-tag locks in a space of
 * our own (locktag_field4 distinguishes them from user advisory locks):
 *
 *	- key locks: before recomputing key K of model M, ExclusiveLock on (M, K)
 *	  plus RowExclusiveLock on (M, *).  Two transactions that touch the same
 *	  read-model row recompute it one after the other, and the second one
 *	  reads with a snapshot taken after the first committed.  A full refresh
 *	  takes ExclusiveLock on (M, *).  Keys are locked in sorted order.
 *
 *	- route locks: a route hop reads table T by column c.  Before it reads,
 *	  the mapper takes ShareLock on (T, c, v) for each value v it looks up; a
 *	  writer that inserts or deletes a row of T, or changes one of its join
 *	  columns, takes RowExclusiveLock on (T, c, v) for the old and new value
 *	  of c.  So a transaction that moves a post to user 2 and one that renames
 *	  user 2 cannot both miss each other: whichever locks second waits, and
 *	  then either maps with a snapshot that sees the move or recomputes with
 *	  one that sees the rename.  Writers do not block writers, mappers do not
 *	  block mappers.  Past lock_escalation values in one statement, the
 *	  per-value locks are replaced by one lock on (T, c, *) (see locks.c).
 *
 * Writers that touch unrelated rows take disjoint locks and never wait for
 * each other; there is no lock that serializes every writer of a model.
 *-------------------------------------------------------------------------
 */
#ifndef PG_READMODEL_H
#define PG_READMODEL_H

#include "postgres.h"

#include "executor/spi.h"
#include "nodes/bitmapset.h"
#include "nodes/parsenodes.h"
#include "nodes/pg_list.h"
#include "utils/jsonb.h"

#define READMODEL_SCHEMA		"readmodel"
#define READMODEL_CATALOG		"model"
#define READMODEL_TRIGGER_PREFIX "readmodel_capture_"
#define READMODEL_DEF_SUFFIX	"_def"

/* Changed-row operations, as a bitmask (queue reasons). */
#define RM_OP_INSERT	0x01
#define RM_OP_UPDATE	0x02
#define RM_OP_DELETE	0x04
#define RM_OP_TRUNCATE	0x08
#define RM_OP_REFRESH	0x10

/*
 * A maintenance statement keyed by = ANY($1), prepared twice: a generic
 * plan for a few values (planning the definition on every call would cost
 * more than running it) and a custom-planned one for many (where a plan
 * made for a handful of values would be far too slow).
 */
typedef struct KeyedPlan
{
	SPIPlanPtr	generic;
	SPIPlanPtr	custom;
} KeyedPlan;

/* Up to this many values, the generic plan is used. */
#define READMODEL_GENERIC_PLAN_MAX_VALUES 64

/*
 * One hop of a route: read table relid where match_att = ANY(incoming
 * values), and pass on the distinct values of emit_att.
 */
typedef struct RouteHop
{
	Oid			relid;
	AttrNumber	match_att;
	AttrNumber	emit_att;
	Oid			in_type;		/* type of the incoming values */
	Oid			emit_type;
	KeyedPlan	plan;			/* prepared lazily, kept */
} RouteHop;

/*
 * How changes of one occurrence of a source table reach the model's keys:
 * take start_att of the changed rows, follow hops (none: the values are the
 * keys already).
 */
typedef struct SourceRoute
{
	AttrNumber	start_att;
	Oid			start_type;
	List	   *hops;			/* RouteHop * */
	char	   *description;	/* human-readable, for debug_queue/explain */
	bool		in_subquery;	/* the occurrence is below the top level */
} SourceRoute;

/* A path of a jsonb output column that holds a source column unchanged. */
typedef struct PatchPath
{
	AttrNumber	att;			/* the source column */
	char	   *doc_col;		/* the model's jsonb column */
	List	   *keys;			/* path in the document: String nodes */
} PatchPath;

/*
 * One occurrence of a source whose copied columns can be patched in place:
 * when an UPDATE changes only those, the rows whose out_col equals the
 * source row's via_att get the new values set at their paths, in one
 * statement, instead of being recomputed.
 */
typedef struct PatchTarget
{
	int			index;			/* in ModelAnalysis.patches */
	Oid			relid;			/* the source */
	AttrNumber	via_att;		/* its unique, not null column ... */
	Oid			via_type;
	char	   *out_col;		/* ... equal to this model column */
	Oid			lock_relid;		/* the table out_col comes from, whose */
	AttrNumber	lock_att;		/* writers of it must be waited for; 0: none */
	List	   *paths;			/* PatchPath * */
	char	   *description;
	KeyedPlan	keys_plan;		/* prepared lazily, kept */
	KeyedPlan	plan;
} PatchTarget;

/* A table read by a model, with every occurrence's route. */
typedef struct ModelSource
{
	Oid			relid;
	Bitmapset  *read_cols;		/* attnums read, offset by
								 * FirstLowInvalidHeapAttributeNumber */
	bool		reads_whole_row;
	List	   *routes;			/* SourceRoute * */
	Bitmapset  *patch_cols;		/* plain attnums only ever copied into
								 * documents at patchable paths */
	List	   *patches;		/* PatchTarget * */
} ModelSource;

/* The result of analysing a definition. */
typedef struct ModelAnalysis
{
	Oid			root_relid;
	AttrNumber	root_key_att;	/* key column in the root table */
	char	   *key_name;		/* key column in the output */
	AttrNumber	key_resno;		/* its position in the output */
	Oid			key_type;
	List	   *sources;		/* ModelSource *, one per distinct table */
	List	   *range_tables;	/* every RangeTblEntry, for permission checks */
	List	   *edge_relids;	/* join columns: Oid list ... */
	List	   *edge_attnos;	/* ... and the parallel attnum list */
	List	   *patches;		/* PatchTarget *, all sources */
} ModelAnalysis;

/* A declared read model, as cached per backend. */
typedef struct ReadModel
{
	Oid			relid;			/* the tv_ table */
	Oid			viewid;			/* its definition view */
	Oid			owner;
	char	   *qualname;		/* quoted schema.table */
	char	   *view_qualname;
	char	   *key_name;
	Oid			key_type;
	int16		key_typlen;
	bool		key_typbyval;
	bool		statement_mode;
	ModelAnalysis *analysis;
	int			depth;			/* 1 + the deepest read model it reads */
	char	   *broken;			/* why it cannot be maintained now, or NULL */
	KeyedPlan	apply_plan;		/* diff for keys = ANY($1) */
	uint64		stat_applies;	/* per-backend per-model statistics */
	uint64		stat_rows_written;
	uint64		stat_rows_skipped;
	uint64		stat_rows_patched;
	uint64		stat_rebuilds;
	double		stat_ms;
} ReadModel;

/* Which models read a table, and which of its columns routes depend on. */
typedef struct SourceTable
{
	Oid			relid;
	List	   *models;			/* ReadModel * */
	List	   *msources;		/* ModelSource *, parallel to models */
	Bitmapset  *edge_cols;		/* join columns (plain attnums) */
	Bitmapset  *hop_cols;		/* columns some hop reads this table by */
	List	   *broken;			/* ReadModel *: models that cannot be maintained */
} SourceTable;

extern void readmodel_check_not_broken(ReadModel *model);

/* pg_readmodel.c */
extern int	readmodel_lock_escalation;
extern int	readmodel_apply_chunk;
extern int	readmodel_max_cascade_depth;
extern int	readmodel_max_queued_keys;
extern bool readmodel_enable_patch;
extern double readmodel_rebuild_fraction;
extern int	readmodel_rebuild_min_keys;
extern int	readmodel_model_writes;
extern bool readmodel_creating;
extern char *readmodel_ctas_prefix;
extern bool readmodel_preloaded;
extern void readmodel_enter_maintenance(Oid owner, int *nestlevel,
										Oid *save_userid, int *save_sec);
extern void readmodel_leave_maintenance(int nestlevel, Oid save_userid,
										int save_sec);

/* ctas.c */
extern void readmodel_ctas_install_hook(void);

/* analyze.c */
extern ModelAnalysis *readmodel_analyze(Query *query, Oid viewid,
										const char *explicit_key,
										const char *model_name);

/* catalog.c */
extern Oid	readmodel_catalog_relid(bool missing_ok);
extern Oid	readmodel_relation_owner(Oid relid);
extern ReadModel *readmodel_lookup_model(Oid relid);
extern SourceTable *readmodel_lookup_source(Oid relid);
extern List *readmodel_all_models(void);
extern void readmodel_invalidate_cache(void);
extern void readmodel_cache_init(void);
extern void readmodel_cache_xact_end(void);

/* queue.c */
extern void readmodel_queue_key(ReadModel *model, Datum key, Oid source, int op);
extern void readmodel_queue_patch(ReadModel *model, PatchTarget *target,
								  Datum value, Oid source);
extern void readmodel_queue_full(ReadModel *model, Oid source, int op);
extern bool readmodel_queue_has_pending(bool statement_mode_only);
extern int64 readmodel_queue_size(void);
extern List *readmodel_queue_pending_models(bool statement_mode_only);
extern bool readmodel_queue_take(Oid model, Datum **keys, int *nkeys,
								 bool *full);
extern List *readmodel_queue_pending_patches(Oid model);
extern void readmodel_queue_take_all(Oid model);
extern bool readmodel_queue_take_patch(Oid model, int patch, Datum **values,
									   int *nvalues, Oid *relid,
									   AttrNumber *via);
extern void readmodel_queue_subxact(bool commit, int level);
extern void readmodel_queue_reset(void);
typedef void (*QueueVisitor) (Oid model, int patch, Datum key, bool full,
							  Oid source, int ops, void *arg);
extern void readmodel_queue_visit(QueueVisitor visitor, void *arg);

/* apply.c */
extern int64 readmodel_apply_pending(bool statement_mode_only);
extern int64 readmodel_refresh_model(ReadModel *model);
extern char *readmodel_datum_text(Datum value, Oid type);
extern SPIPlanPtr readmodel_keyed_plan(KeyedPlan *plan, int nvalues);
extern SPIPlanPtr readmodel_keyed_plan_prepare(KeyedPlan *plan, const char *sql,
											   Oid argtype, int nvalues);
extern int	readmodel_execute_keyed(SPIPlanPtr plan, int nvalues, Datum *arg,
									bool read_only, bool fire_triggers,
									bool index_probes);
extern void readmodel_keyed_plan_free(KeyedPlan *plan);

/* locks.c */
extern void readmodel_lock_keys(ReadModel *model, Datum *keys, int nkeys);
extern void readmodel_lock_model(ReadModel *model);
extern void readmodel_lock_route_values(Oid relid, AttrNumber att, Oid type,
										Datum *values, int nvalues,
										bool writer);
extern uint32 readmodel_hash_datum(Datum value, int16 typlen, bool typbyval);

/* stats.c */
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
	double		total_timing_ms;
} ReadModelCounters;

extern void readmodel_stats_add(const ReadModelCounters *delta);
extern void readmodel_stats_get(ReadModelCounters *out, bool *cluster_wide);
extern void readmodel_stats_shmem_request(void);
extern void readmodel_stats_shmem_startup(void);

#endif							/* PG_READMODEL_H */
