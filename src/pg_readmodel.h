/*-------------------------------------------------------------------------
 *
 * pg_readmodel.h
 *	  The structures every subsystem of pg_readmodel shares: what the
 *	  analysis of a definition produces, and a declared read model as the
 *	  per-backend cache holds it.  Each subsystem has its own header for
 *	  its functions (analysis.h, cache.h, capture.h, queue.h, apply.h,
 *	  patch.h, cascade.h, locks.h, ...).
 *
 * How a change flows
 * ------------------
 * 1. readmodel.create() stores the definition as a view (<table>_def), so
 *	  PostgreSQL keeps the analyzed Query, its dependencies on the sources and
 *	  its column references across renames.  The analysis (analysis.h) walks
 *	  that Query, refuses what it cannot prove maintainable, and derives for
 *	  every occurrence of every source table a *route*: the hops that turn a
 *	  changed source row into the keys of the read-model rows it can affect.
 * 2. capture.c runs as statement-level AFTER triggers with transition
 *	  tables on every source.  It follows the routes set-based (one query per
 *	  hop and model, never one per row) and queues the keys.
 * 3. queue.c keeps the keys per transaction, coalesced, and savepoint-aware.
 * 4. cascade.c applies the queued work just before commit (or at the end of
 *	  the statement in mode 'statement'), shallowest model first; apply.c
 *	  recomputes a model's keys with one diffing statement per chunk, and
 *	  patch.c writes copied values into documents in place.
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
 * Values are hashed for these locks with the hash functions of the
 * equality the lock stands for (the join operator's hash family, the key
 * type's default hash opclass, with the operator's collation), never by
 * their bytes: values that are equal with different bytes (numeric 5 and
 * 5.0, 'a' and 'A' under a case-insensitive collation) or of different
 * types (int4 = int8) take the same lock.  An equality with no hash
 * function locks the whole column.
 *
 * Writers that touch unrelated rows take disjoint locks and never wait for
 * each other; there is no lock that serializes every writer of a model.
 *-------------------------------------------------------------------------
 */
#ifndef PG_READMODEL_H
#define PG_READMODEL_H

#include "postgres.h"

#include "nodes/bitmapset.h"
#include "nodes/pg_list.h"

#include "keyed.h"

#define READMODEL_TRIGGER_PREFIX "readmodel_capture_"
#define READMODEL_GUARD_TRIGGER	"readmodel_guard"
#define READMODEL_FEED_PREFIX	"readmodel_feed_"
#define READMODEL_DEF_SUFFIX	"_def"

/* Changed-row operations, as a bitmask (queue reasons). */
#define RM_OP_INSERT	0x01
#define RM_OP_UPDATE	0x02
#define RM_OP_DELETE	0x04
#define RM_OP_TRUNCATE	0x08
#define RM_OP_REFRESH	0x10
#define RM_OP_SYNC		0x20	/* readmodel.sync(), sync_source() */

/*
 * How the values of one column are hashed for route locks: writers of the
 * column hash its own values with col_hash_fn, mappers hash the values they
 * look the column up by (of another type, maybe) with in_hash_fn; both come
 * from the hash family of the equality that joins them, so equal values
 * hash alike.  salt tells apart the equalities one column is joined by.
 * Without a hash function (InvalidOid) only column-level locks are taken.
 */
typedef struct LockScheme
{
	AttrNumber	att;
	Oid			col_hash_fn;
	Oid			in_hash_fn;
	Oid			collation;
	uint32		salt;
	bool		elements;		/* an array column: writers lock each
								 * element's value */
} LockScheme;

/*
 * One hop of a route: read table relid where match_att OP any incoming
 * value, and pass on the distinct values of emit_att.
 */
typedef struct RouteHop
{
	Oid			relid;
	AttrNumber	match_att;
	AttrNumber	emit_att;
	Oid			in_type;		/* type of the incoming values */
	Oid			opno;			/* match column OP incoming value */
	Oid			match_cast;		/* the column's binary-compatible type for
								 * opno, or InvalidOid: its own */
	bool		match_overlap;	/* match_att is an array column: read the rows
								 * whose array holds an incoming value */
	Oid			emit_type;
	List	   *emit_key_atts;	/* a key recipe (ModelAnalysis.key_recipe):
								 * emit the root's key instead */
	List	   *key_columns;	/* KeyColumn *: the recipe's expressions */
	Node	   *key_filter;		/* ModelAnalysis.key_filter, or NULL */
	struct Const *key_tag;		/* a UNION ALL branch's tag, or NULL */
	LockScheme	lock;
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
	bool		start_key;		/* the root itself: its rows' composite key
								 * is the start (start_att unused) */
	bool		start_rows;		/* the root itself, keyed by expressions: its
								 * changed rows are the start, and
								 * rows_plan computes their keys */
	List	   *key_recipe;		/* for start_key and start_rows */
	List	   *key_columns;	/* KeyColumn *: the recipe's expressions */
	Node	   *key_filter;		/* ModelAnalysis.key_filter, or NULL */
	struct Const *key_tag;
	bool		start_elements; /* start_att is an array column: its
								 * elements are the start values */
	List	   *start_alt_atts; /* integer list: more columns whose values
								 * start it too (an OR of equalities) */
	bool		full;			/* no route: any change rebuilds the model
								 * (options strategy "refresh") */
	char	   *description;	/* human-readable, for debug_queue/explain */
	bool		in_subquery;	/* the occurrence is below the top level */
	KeyedPlan	rows_plan;		/* start_rows: prepared lazily, kept */
} SourceRoute;

/* A path of a jsonb output column that holds a source column unchanged. */
typedef struct PatchPath
{
	AttrNumber	att;			/* the source column */
	char	   *doc_col;		/* the model's jsonb column, or the column
								 * itself when keys is NIL */
	List	   *keys;			/* path in the document: String nodes; NIL
								 * for a plain output column */
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
	Oid			via_eq_opr;		/* ... its type's equality ... */
	char	   *out_col;		/* ... equal to this model column */
	Oid			lock_relid;		/* the table out_col comes from, whose */
	LockScheme	lock;			/* writers must be waited for; relid 0: none */
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
	List	   *routes;			/* SourceRoute * */
	Bitmapset  *patch_cols;		/* plain attnums only ever copied into
								 * documents at patchable paths */
	List	   *patches;		/* PatchTarget * */
} ModelSource;

/*
 * One column of a model's key: an output column that is a root column, or
 * an expression of root columns the definition groups by.
 */
typedef struct KeyColumn
{
	char	   *name;
	AttrNumber	resno;			/* in the output */
	AttrNumber	root_att;		/* in the root table; 0 for an expression */
	Node	   *expr;			/* or the expression, its Vars varno 1 and
								 * the root's attnos; else NULL */
	bool		null_filtered;	/* rows where expr is NULL are filtered out
								 * (else it is never NULL, checked at run) */
	List	   *filtered_atts;	/* root columns a WHERE condition keeps NOT
								 * NULL: rows where one is NULL are skipped */
	Oid			type;
	Oid			collation;
} KeyColumn;

/*
 * A key recipe (an integer list) gives how each key column is found in a
 * root row: a positive root attnum, 0 for the branch tag of a UNION ALL,
 * or KEY_RECIPE_EXPR(i) for key column i's expression.
 */
#define KEY_RECIPE_EXPR(i)		(-1 - (i))
#define KEY_RECIPE_EXPR_INDEX(entry)	(-1 - (entry))

/*
 * The result of analysing a definition.  A key of several columns (a
 * composite key) is handled as one value of an anonymous record type whose
 * columns are the key columns (keys.h); key_type is then RECORD, key_name
 * the key's spelling in the catalog, and root_key_att the column routes
 * are searched for (the anchor: the last key column).
 */
typedef struct ModelAnalysis
{
	Oid			root_relid;
	AttrNumber	root_key_att;	/* key column in the root table */
	char	   *key_name;		/* key column in the output */
	AttrNumber	key_resno;		/* its position in the output */
	Oid			key_type;
	Oid			key_collation;
	List	   *key_columns;	/* KeyColumn *, in key order: the table's key */
	List	   *unit_columns;	/* KeyColumn *: what a recompute is for, if
								 * not a key (a window's PARTITION BY): the
								 * queue, locks and routes hold these */
	List	   *key_recipe;		/* a key recipe (KEY_RECIPE_EXPR); per
								 * branch of a UNION ALL while its routes
								 * are built */
	struct Const *key_tag;
	Node	   *key_filter;		/* with key expressions: the top-level WHERE
								 * conditions on root columns alone (Vars
								 * varno 1); a row failing them is in no
								 * model row, and its key is not computed */
	bool		key_unique;		/* each key is one root row; else a group of
								 * them (GROUP BY, DISTINCT, DISTINCT ON) */
	List	   *sources;		/* ModelSource *, one per distinct table */
	List	   *range_tables;	/* every RangeTblEntry, for permission checks */
	List	   *edge_relids;	/* join columns: Oid list ... */
	List	   *edge_attnos;	/* ... and the parallel attnum list */
	List	   *lock_relids;	/* columns writers lock: Oid list ... */
	List	   *lock_schemes;	/* ... and the parallel LockScheme * list */
	List	   *patches;		/* PatchTarget *, all sources */
	List	   *functions;		/* Oid list: functions the definition calls */
	List	   *types;			/* Oid list: types its values have */
	List	   *views;			/* Oid list: views it reads, at any depth */
	struct DeltaPlan *delta;	/* aggregates kept by deltas (delta.h), or
								 * NULL */
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
	Oid			key_eq_opr;		/* the key type's default equality */
	Oid			key_hash_fn;	/* and its hash function, or InvalidOid */
	Oid			key_collation;
	struct TupleDescData *key_desc; /* a composite key's record type
									 * (blessed), or NULL */
	bool		statement_mode;
	bool		manual;			/* mode manual: no capture, readmodel.sync() */
	bool		deferred;		/* mode deferred: the worker applies (deferred.c) */
	bool		suspended;		/* by readmodel.suspend(): writers record its
								 * keys for resume() (suspend.c) */
	bool		feed;			/* options feed or notify: feed.c keeps its changes */
	char	   *notify_channel; /* options notify: NOTIFY this at commit */
	bool		versioned;		/* options version: versioning.c */
	ModelAnalysis *analysis;
	int			depth;			/* 1 + the deepest read model it reads */
	char	   *broken;			/* why it cannot be maintained now, or NULL */
	char	   *stale;			/* why it was not maintained, or NULL */
	KeyedPlan	apply_plan;		/* diff for keys = ANY($1) */
	Oid			state_relid;	/* the deltas' state table, or InvalidOid:
								 * no deltas (delta.h) */
	KeyedPlan	fold_plan;		/* delta_apply.c's statements */
	KeyedPlan	state_plan;
	KeyedPlan	fill_plan;
	int			plan_for_keys;	/* 0 not decided yet, else see apply.c */
} ReadModel;

/* Its writers' keys go to a durable queue: recomputed later, no deltas or patches. */
#define ModelQueuesKeysOnly(model) ((model)->deferred || (model)->suspended)

/* Maintained: its analysis holds and it has not missed a change. */
#define ModelIsMaintained(model) ((model)->broken == NULL && (model)->stale == NULL)

/* Which models read a table, and which of its columns routes depend on. */
typedef struct SourceTable
{
	Oid			relid;
	List	   *models;			/* ReadModel *: maintained models */
	List	   *msources;		/* ModelSource *, parallel to models */
	Bitmapset  *edge_cols;		/* join columns (plain attnums) */
	List	   *lock_schemes;	/* LockScheme *: how writers lock columns */
	List	   *unmaintained;	/* ReadModel *: broken or stale models */
} SourceTable;

/* pg_readmodel.c: settings */
extern int	readmodel_lock_escalation;
extern int	readmodel_apply_chunk;
extern int	readmodel_max_cascade_depth;
extern int	readmodel_max_queued_keys;
extern bool readmodel_enable_patch;
extern double readmodel_rebuild_fraction;
extern int	readmodel_rebuild_min_keys;
extern char *readmodel_ctas_prefix;
extern bool readmodel_preloaded;

#endif							/* PG_READMODEL_H */
