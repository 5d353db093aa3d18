/*-------------------------------------------------------------------------
 *
 * delta.h
 *	  Algebraic aggregate deltas: a rollup's count, sum, avg, min, max,
 *	  bool_and and bool_or kept up to date from the changed rows alone,
 *	  without reading the rest of the group.
 *
 * Which definitions qualify (analyze_delta.c): the model groups one table A
 * by its key, either A alone grouped by one of its columns, or a root table
 * joined by its unique key to a column of A (inner or LEFT JOIN); every
 * output column is a grouping column or a bare aggregate of one of A's
 * columns, of a kind whose state adds up exactly (see DeltaKind).
 *
 * The state: per key, a row of an unlogged table the model owner owns
 * (<table>_state, named in readmodel.model.state): n, the rows of A in the
 * group, and per aggregate j its inputs counted (c<j>) and, as it needs,
 * their sum (s<j>), extreme (m<j>) or trues (t<j>).
 *
 * The state table is a cache, never a source of truth: a key it lacks is
 * computed from A, under the key lock and the latest snapshot as a
 * recompute is; a full refresh empties it; a crash empties it (unlogged).
 * So it can be cold, but present means exact.
 *
 * Flow:
 *	- capture (delta_capture.c): each changed row of A that passes the
 *	  definition's conditions on A is added, signed, to its key's
 *	  accumulator (DeltaAcc) in the transaction's queue; no SQL runs;
 *	- apply (delta_apply.c): the keys are locked with the model's other
 *	  keys; one statement folds the accumulators into the state rows and
 *	  writes the aggregate columns from them where their image changes;
 *	- a key whose state is missing, whose group was or becomes empty,
 *	  whose min or max may have left, or whose change held a NaN or an
 *	  infinity is recomputed instead, and its state computed afresh.
 *
 * The queue is savepoint-aware (queue.c): a rollback that undoes part of
 * an accumulator, or a fold, turns its key into a plain recompute.
 *
 *-------------------------------------------------------------------------
 */
#ifndef READMODEL_DELTA_H
#define READMODEL_DELTA_H

#include "executor/tuptable.h"
#include "nodes/pg_list.h"

#include "pg_readmodel.h"

typedef enum DeltaKind
{
	DELTA_COUNT_ROWS,			/* count(*) */
	DELTA_COUNT,				/* count(x) */
	DELTA_SUM,					/* sum(x): integers, numeric(p, s) */
	DELTA_AVG,					/* avg(x): the same */
	DELTA_MIN,					/* min(x), max(x): types whose equal */
	DELTA_MAX,					/* values have one image */
	DELTA_BOOL_AND,				/* bool_and(x), every(x) */
	DELTA_BOOL_OR				/* bool_or(x) */
} DeltaKind;

/* One aggregate output column. */
typedef struct DeltaAggregate
{
	DeltaKind	kind;
	char	   *out_col;		/* the model's column, quoted */
	List	   *keys;			/* its path in that jsonb document (String
								 * nodes), or NIL: the column itself */
	AttrNumber	arg_att;		/* A's column; 0 for count(*) */
	Oid			arg_type;
	int16		arg_typlen;
	bool		arg_typbyval;
	Node	   *filter;			/* FILTER (WHERE ...): Vars of A, varno 1 */
	struct Const *fallback;		/* COALESCE(aggregate, fallback), or NULL */
	bool		int64_sum;		/* the sum of int2/int4 values: int8 */
} DeltaAggregate;

typedef struct DeltaPlan
{
	uint32		id;				/* tells accumulators of this plan apart */
	Oid			relid;			/* A, the table whose rows are aggregated */
	AttrNumber	group_att;		/* its column holding the model's key */
	Node	   *where;			/* conditions on A's rows alone (Vars varno
								 * 1), or NULL */
	List	   *aggregates;		/* DeltaAggregate * */
	bool		evaluates;		/* a condition or a filter to evaluate */
} DeltaPlan;

/* What the changed rows of one key add to one aggregate. */
typedef struct DeltaAggAcc
{
	int64		count;			/* inputs counted (non-NULL, filtered) */
	int64		trues;			/* bool_and/bool_or: true inputs */
	int64		int_sum;		/* int64_sum */
	Datum		sum;			/* numeric sum, or 0 for none yet */
	Datum		added;			/* min/max: extreme of the added inputs */
	Datum		removed;		/* ... and of the removed ones */
	bool		has_added;
	bool		has_removed;
} DeltaAggAcc;

/* What the changed rows of one key add to its state. */
typedef struct DeltaAcc
{
	uint32		plan_id;
	bool		invalid;		/* NaN, infinity or overflow: recompute */
	int64		rows;			/* signed count of rows in the group */
	DeltaAggAcc aggs[FLEXIBLE_ARRAY_MEMBER];
} DeltaAcc;

#define DeltaAccSize(plan) \
	(offsetof(DeltaAcc, aggs) + sizeof(DeltaAggAcc) * list_length((plan)->aggregates))

/* analyze_delta.c */
struct QueryLevel;
struct RelNode;
extern DeltaPlan *analyze_delta(struct QueryLevel *top, struct RelNode *root,
								ModelAnalysis *result);

/* delta_capture.c */
typedef struct DeltaRun DeltaRun;

extern bool readmodel_enable_delta;
extern bool readmodel_delta_captures(ReadModel *model, Oid source);
extern DeltaRun *readmodel_delta_begin(ReadModel *model, Oid source);
extern void readmodel_delta_row(DeltaRun *run, TupleTableSlot *slot, int sign);
extern void readmodel_delta_end(DeltaRun *run);

/* delta_apply.c */
extern Datum *readmodel_apply_deltas(ReadModel *model, Datum *keys,
									 DeltaAcc **accs, int nkeys, int *nrecompute);
extern void readmodel_delta_reset_state(ReadModel *model, Datum *keys, int nkeys,
										bool fill);
extern void readmodel_delta_forget_state(ReadModel *model);
extern bool readmodel_delta_state_fits(ReadModel *model, Oid state);
extern char *readmodel_delta_verify_sql(ReadModel *model);
extern char *readmodel_delta_state_ddl(Oid key_type, DeltaPlan *plan,
									   const char *qualname);

#endif							/* READMODEL_DELTA_H */
