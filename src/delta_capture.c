/*-------------------------------------------------------------------------
 *
 * delta_capture.c
 *	  Add the changed rows of an aggregated table to their keys'
 *	  accumulators (delta.h), in C, as capture reads the transition tables.
 *
 * A row counts with sign +1 (inserted, or the new version of an update)
 * or -1 (deleted, or the old version).  Conditions and filters are
 * evaluated with the model owner's pinned settings: capture.c enters the
 * sandbox around its scan when one has any.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/int.h"
#include "executor/executor.h"
#include "nodes/makefuncs.h"
#include "utils/datum.h"
#include "utils/fmgrprotos.h"
#include "utils/numeric.h"
#include "utils/typcache.h"

#include "delta.h"
#include "queue.h"

bool		readmodel_enable_delta = true;

struct DeltaRun
{
	ReadModel  *model;
	DeltaPlan  *plan;
	Oid			source;
	ExprContext *econtext;
	ExprState  *where;
	ExprState **filters;		/* per aggregate, or NULL */
	FmgrInfo  **compare;		/* per aggregate: min/max's comparison */
};

/*
 * Are changes of `source` kept for `model` by deltas?  Not in statement
 * mode: it applies inside the capture trigger, while the same statement's
 * other triggers (a MERGE's, a writable WITH's) may not have fired yet, so
 * the state could never be computed from the table (delta_apply.c).
 */
bool
readmodel_delta_captures(ReadModel *model, Oid source)
{
	return readmodel_enable_delta && !model->statement_mode && model->analysis != NULL &&
		model->analysis->delta != NULL &&
		model->analysis->delta->relid == source && OidIsValid(model->state_relid);
}

/* A condition analyze_delta.c planned, ready to run on changed rows. */
static ExprState *
prepare_condition(Node *cond)
{
	if (cond == NULL)
		return NULL;
	return ExecInitQual(make_ands_implicit((Expr *) cond), NULL);
}

DeltaRun *
readmodel_delta_begin(ReadModel *model, Oid source)
{
	DeltaRun   *run = palloc0(sizeof(DeltaRun));
	DeltaPlan  *plan = model->analysis->delta;
	int			n = list_length(plan->aggregates);
	ListCell   *lc;
	int			j = 0;

	run->model = model;
	run->plan = plan;
	run->source = source;
	run->econtext = CreateStandaloneExprContext();
	run->where = prepare_condition(plan->where);
	run->filters = palloc0(sizeof(ExprState *) * n);
	run->compare = palloc0(sizeof(FmgrInfo *) * n);
	foreach(lc, plan->aggregates)
	{
		DeltaAggregate *agg = lfirst(lc);

		run->filters[j] = prepare_condition(agg->filter);
		if (agg->kind == DELTA_MIN || agg->kind == DELTA_MAX)
			run->compare[j] = &lookup_type_cache(agg->arg_type,
												 TYPECACHE_CMP_PROC_FINFO)->cmp_proc_finfo;
		j++;
	}
	return run;
}

void
readmodel_delta_end(DeltaRun *run)
{
	FreeExprContext(run->econtext, true);
}

/* A numeric input, detoasted in the row's memory; NULL if not finite. */
static Numeric
finite_numeric(DeltaAggregate *agg, Datum value)
{
	Numeric		num = (agg->arg_type == INT8OID) ?
		int64_to_numeric(DatumGetInt64(value)) : DatumGetNumeric(value);

	return (numeric_is_nan(num) || numeric_is_inf(num)) ? NULL : num;
}

static void
add_to_sum(DeltaAcc *acc, DeltaAggregate *agg, DeltaAggAcc *a, Datum value,
		   int sign, MemoryContext keep)
{
	Numeric		num;
	Datum		prev = a->sum;
	MemoryContext old;

	if (agg->int64_sum)
	{
		int64		v = (agg->arg_type == INT2OID) ? DatumGetInt16(value) : DatumGetInt32(value);

		if (pg_add_s64_overflow(a->int_sum, sign * v, &a->int_sum))
			acc->invalid = true;
		return;
	}
	if ((num = finite_numeric(agg, value)) == NULL)
	{
		acc->invalid = true;
		return;
	}
	old = MemoryContextSwitchTo(keep);
	if (prev == (Datum) 0)
		a->sum = sign > 0 ? NumericGetDatum(DatumGetNumericCopy(NumericGetDatum(num))) :
			DirectFunctionCall1(numeric_uminus, NumericGetDatum(num));
	else
	{
		a->sum = DirectFunctionCall2(sign > 0 ? numeric_add : numeric_sub, prev,
									 NumericGetDatum(num));
		pfree(DatumGetPointer(prev));
	}
	MemoryContextSwitchTo(old);
}

/* Keep the extreme, in the aggregate's direction, of added or removed. */
static void
add_extreme(DeltaRun *run, int j, DeltaAcc *acc, DeltaAggAcc *a, Datum value,
			int sign, MemoryContext keep)
{
	DeltaAggregate *agg = list_nth(run->plan->aggregates, j);
	Datum	   *slot = sign > 0 ? &a->added : &a->removed;
	bool	   *has = sign > 0 ? &a->has_added : &a->has_removed;
	MemoryContext old;
	int32		cmp;

	if (agg->arg_type == NUMERICOID)
	{
		Numeric		num = finite_numeric(agg, value);

		if (num == NULL)
		{
			acc->invalid = true;
			return;
		}
		value = NumericGetDatum(num);
	}
	if (*has)
	{
		cmp = DatumGetInt32(FunctionCall2Coll(run->compare[j], InvalidOid, value, *slot));
		if (agg->kind == DELTA_MAX ? cmp <= 0 : cmp >= 0)
			return;
		if (!agg->arg_typbyval)
			pfree(DatumGetPointer(*slot));
	}
	old = MemoryContextSwitchTo(keep);
	*slot = datumCopy(value, agg->arg_typbyval, agg->arg_typlen);
	MemoryContextSwitchTo(old);
	*has = true;
}

static void
add_input(DeltaRun *run, int j, DeltaAcc *acc, TupleTableSlot *slot, int sign,
		  MemoryContext keep)
{
	DeltaAggregate *agg = list_nth(run->plan->aggregates, j);
	DeltaAggAcc *a = &acc->aggs[j];
	bool		isnull;
	Datum		value;

	if (run->filters[j] != NULL && !ExecQual(run->filters[j], run->econtext))
		return;
	if (agg->kind == DELTA_COUNT_ROWS)
	{
		a->count += sign;
		return;
	}
	value = slot_getattr(slot, agg->arg_att, &isnull);
	if (isnull)
		return;
	a->count += sign;
	switch (agg->kind)
	{
		case DELTA_SUM:
		case DELTA_AVG:
			add_to_sum(acc, agg, a, value, sign, keep);
			break;
		case DELTA_MIN:
		case DELTA_MAX:
			add_extreme(run, j, acc, a, value, sign, keep);
			break;
		case DELTA_BOOL_AND:
		case DELTA_BOOL_OR:
			if (DatumGetBool(value))
				a->trues += sign;
			break;
		default:
			break;
	}
}

/* One changed row of the aggregated table; slot may be NULL. */
void
readmodel_delta_row(DeltaRun *run, TupleTableSlot *slot, int sign)
{
	ExprContext *econtext = run->econtext;
	MemoryContext old;
	MemoryContext keep;
	DeltaAcc   *acc;
	bool		isnull;
	Datum		key;
	int			j;

	if (slot == NULL)
		return;
	key = slot_getattr(slot, run->plan->group_att, &isnull);
	if (isnull)
		return;					/* joins no group */
	econtext->ecxt_scantuple = slot;
	old = MemoryContextSwitchTo(econtext->ecxt_per_tuple_memory);
	if (run->where == NULL || ExecQual(run->where, econtext))
	{
		acc = readmodel_queue_delta(run->model, key, run->source, &keep);
		if (acc != NULL)
		{
			acc->rows += sign;
			for (j = 0; j < list_length(run->plan->aggregates); j++)
				add_input(run, j, acc, slot, sign, keep);
		}
	}
	MemoryContextSwitchTo(old);
	ResetExprContext(econtext);
}
