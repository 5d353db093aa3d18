/*-------------------------------------------------------------------------
 *
 * delta_apply.c
 *	  Fold aggregate deltas into a model's state table and write the
 *	  aggregate columns from it (delta.h).  The caller holds the keys'
 *	  locks, runs in the sandbox as the model's owner, and reads with the
 *	  latest snapshot, as for a recompute.
 *
 * One statement does a batch of keys (columns k, n, then per aggregate j:
 * c<j>, and s<j>, m<j> or t<j> as its kind needs):
 *
 *	WITH d AS (the accumulators, as unnest of one array per column),
 *		 s AS (UPDATE the state rows of d's keys whose fold is exact,
 *			   RETURNING the new state),
 *		 p AS (UPDATE the model rows of s's keys whose aggregate columns'
 *			   image changes)
 *	SELECT the keys of d not in s
 *
 * A fold is exact unless the state row is missing, the group was or
 * becomes empty, or a removed input may have been the group's min or max;
 * those keys, and accumulators that saw a NaN or an infinity, are
 * recomputed by the caller, their state rows computed afresh from the
 * aggregated table.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "nodes/makefuncs.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/ruleutils.h"

#include "catalog.h"
#include "delta.h"
#include "keyed.h"
#include "patch.h"
#include "util.h"

#define OP(o) "OPERATOR(pg_catalog." o ")"

static bool
has_sum(DeltaAggregate *agg)
{
	return agg->kind == DELTA_SUM || agg->kind == DELTA_AVG;
}

static bool
has_extreme(DeltaAggregate *agg)
{
	return agg->kind == DELTA_MIN || agg->kind == DELTA_MAX;
}

static bool
has_trues(DeltaAggregate *agg)
{
	return agg->kind == DELTA_BOOL_AND || agg->kind == DELTA_BOOL_OR;
}

static Oid
sum_type(DeltaAggregate *agg)
{
	return agg->int64_sum ? INT8OID : NUMERICOID;
}

/* A column of the state table. */
typedef struct StateColumn
{
	char	   *name;
	Oid			type;
	bool		not_null;
} StateColumn;

static void
add_state_column(List **cols, char *name, Oid type, bool not_null)
{
	StateColumn *col = palloc(sizeof(StateColumn));

	col->name = name;
	col->type = type;
	col->not_null = not_null;
	*cols = lappend(*cols, col);
}

/*
 * The state table's columns after its key k: n, then per aggregate j its
 * count c<j> and, as its kind needs, s<j>, m<j> or t<j>.  The one layout
 * the table is created with and checked against.
 */
static List *
state_columns(DeltaPlan *plan)
{
	List	   *cols = NIL;
	ListCell   *lc;
	int			j = 0;

	add_state_column(&cols, "n", INT8OID, true);
	foreach(lc, plan->aggregates)
	{
		DeltaAggregate *agg = lfirst(lc);

		j++;
		add_state_column(&cols, psprintf("c%d", j), INT8OID, true);
		if (has_sum(agg))
			add_state_column(&cols, psprintf("s%d", j), sum_type(agg), true);
		if (has_extreme(agg))
			add_state_column(&cols, psprintf("m%d", j), agg->arg_type, false);
		if (has_trues(agg))
			add_state_column(&cols, psprintf("t%d", j), INT8OID, true);
	}
	return cols;
}

/* CREATE UNLOGGED TABLE of the state a plan needs. */
char *
readmodel_delta_state_ddl(Oid key_type, DeltaPlan *plan, const char *qualname)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	appendStringInfo(&buf, "CREATE UNLOGGED TABLE %s (k %s PRIMARY KEY",
					 qualname, readmodel_type_name(key_type, -1));
	foreach(lc, state_columns(plan))
	{
		StateColumn *col = lfirst(lc);

		appendStringInfo(&buf, ", %s %s%s", col->name, readmodel_type_name(col->type, -1),
						 col->not_null ? " NOT NULL" : "");
	}
	appendStringInfoChar(&buf, ')');
	return buf.data;
}

static bool
column_fits(Oid relid, const char *name, Oid type)
{
	AttrNumber	att = get_attnum(relid, name);

	return att != InvalidAttrNumber && get_atttype(relid, att) == type;
}

/*
 * Is `state` a table of the model's owner with the columns the plan
 * needs?  Otherwise (dropped, or made by another version) deltas are off.
 */
bool
readmodel_delta_state_fits(ReadModel *model, Oid state)
{
	ListCell   *lc;

	if (get_rel_relkind(state) != RELKIND_RELATION ||
		readmodel_relation_owner(state) != model->owner ||
		!column_fits(state, "k", model->key_type))
		return false;
	foreach(lc, state_columns(model->analysis->delta))
	{
		StateColumn *col = lfirst(lc);

		if (!column_fits(state, col->name, col->type))
			return false;
	}
	return true;
}

/* What the model column of aggregate j is, from state row `s`. */
static char *aggregate_expression(DeltaAggregate *agg, int j);

static char *
output_expression(DeltaAggregate *agg, int j)
{
	Const	   *fallback = agg->fallback;

	if (fallback == NULL)
		return aggregate_expression(agg, j);
	return psprintf("COALESCE(%s, %s::%s)", aggregate_expression(agg, j),
					quote_literal_cstr(readmodel_datum_text(fallback->constvalue,
															fallback->consttype)),
					readmodel_type_name(fallback->consttype, fallback->consttypmod));
}

static char *
aggregate_expression(DeltaAggregate *agg, int j)
{
	const char *some = psprintf("CASE WHEN s.c%d " OP(">") " 0 THEN", j);

	switch (agg->kind)
	{
		case DELTA_COUNT_ROWS:
		case DELTA_COUNT:
			return psprintf("s.c%d", j);
		case DELTA_SUM:
			return psprintf("%s s.s%d END", some, j);
		case DELTA_AVG:
			/* as int8_avg, numeric_poly_avg and numeric_avg compute it */
			return psprintf("%s s.s%d::pg_catalog.numeric " OP("/")
							" s.c%d::pg_catalog.numeric END", some, j, j);
		case DELTA_MIN:
		case DELTA_MAX:
			return psprintf("%s s.m%d END", some, j);
		case DELTA_BOOL_AND:
			return psprintf("%s s.t%d " OP("=") " s.c%d END", some, j, j);
		case DELTA_BOOL_OR:
			return psprintf("%s s.t%d " OP(">") " 0 END", some, j);
	}
	return NULL;
}

/* Parts of the fold statement, per aggregate. */
typedef struct FoldSql
{
	StringInfoData columns;		/* d's column names */
	StringInfoData set;			/* state SET list */
	StringInfoData exact;		/* conditions of an exact fold */
	StringInfoData model_set;	/* model SET list */
	StringInfoData old_row;		/* model columns, for the image test */
	StringInfoData new_row;
	List	   *doc_cols;		/* documents holding aggregates ... */
	List	   *doc_exprs;		/* ... and their new values, so far */
	int			nparams;
} FoldSql;

static void
fold_column(FoldSql *f, const char *col, const char *set)
{
	appendStringInfo(&f->columns, ", %s", col);
	f->nparams++;
	if (set != NULL)
		appendStringInfo(&f->set, ", %s = %s", col, set);
}

/*
 * An aggregate at a path of a document: set there as jsonb_build_object
 * stores it (SQL NULL as JSON null), and compared at that path.
 */
static void
fold_document_value(FoldSql *f, DeltaAggregate *agg, const char *expr)
{
	char	   *value = psprintf("COALESCE(pg_catalog.to_jsonb(%s), 'null'::pg_catalog.jsonb)",
								 expr);
	char	   *path = readmodel_path_literal(agg->keys);
	ListCell   *lc,
			   *le;

	appendStringInfo(&f->old_row, "%st.%s OPERATOR(pg_catalog.#>) %s",
					 f->old_row.len ? ", " : "", agg->out_col, path);
	appendStringInfo(&f->new_row, "%s%s", f->new_row.len ? ", " : "", value);
	forboth(lc, f->doc_cols, le, f->doc_exprs)
	{
		if (strcmp(lfirst(lc), agg->out_col) == 0)
		{
			lfirst(le) = psprintf("%s(%s, %s, %s)", readmodel_jsonb_setter(),
								  (char *) lfirst(le), path, value);
			return;
		}
	}
	f->doc_cols = lappend(f->doc_cols, agg->out_col);
	f->doc_exprs = lappend(f->doc_exprs,
						   psprintf("%s(t.%s, %s, %s)", readmodel_jsonb_setter(),
									agg->out_col, path, value));
}

static void
fold_aggregate(FoldSql *f, DeltaAggregate *agg, int j)
{
	char	   *expr = output_expression(agg, j);

	fold_column(f, psprintf("c%d", j), psprintf("s.c%d " OP("+") " d.c%d", j, j));
	if (has_sum(agg))
		fold_column(f, psprintf("s%d", j), psprintf("s.s%d " OP("+") " d.s%d", j, j));
	if (has_extreme(agg))
	{
		fold_column(f, psprintf("a%d", j), NULL);
		fold_column(f, psprintf("r%d", j), NULL);
		appendStringInfo(&f->set, ", m%d = %s(s.m%d, d.a%d)", j,
						 agg->kind == DELTA_MAX ? "GREATEST" : "LEAST", j, j);
		/* a removed input short of the extreme leaves it in place */
		appendStringInfo(&f->exact, " AND (d.r%d IS NULL OR d.r%d %s s.m%d)", j, j,
						 agg->kind == DELTA_MAX ? OP("<") : OP(">"), j);
	}
	if (has_trues(agg))
		fold_column(f, psprintf("t%d", j), psprintf("s.t%d " OP("+") " d.t%d", j, j));
	if (agg->keys != NIL)
	{
		fold_document_value(f, agg, expr);
		return;
	}
	appendStringInfo(&f->model_set, "%s%s = %s", f->model_set.len ? ", " : "",
					 agg->out_col, expr);
	appendStringInfo(&f->old_row, "%st.%s", f->old_row.len ? ", " : "", agg->out_col);
	appendStringInfo(&f->new_row, "%s%s", f->new_row.len ? ", " : "", expr);
}

static char *
fold_sql(ReadModel *model, DeltaPlan *plan)
{
	FoldSql		f;
	StringInfoData params;
	ListCell   *lc,
			   *lc2;
	int			j = 0;
	int			i;
	const char *eq = readmodel_operator_name(model->key_eq_opr);

	initStringInfo(&f.columns);
	initStringInfo(&f.set);
	initStringInfo(&f.exact);
	initStringInfo(&f.model_set);
	initStringInfo(&f.old_row);
	initStringInfo(&f.new_row);
	initStringInfo(&params);
	f.nparams = 2;
	f.doc_cols = f.doc_exprs = NIL;
	foreach(lc, plan->aggregates)
		fold_aggregate(&f, lfirst(lc), ++j);
	forboth(lc, f.doc_cols, lc2, f.doc_exprs)
		appendStringInfo(&f.model_set, "%s%s = %s", f.model_set.len ? ", " : "",
						 (char *) lfirst(lc), (char *) lfirst(lc2));
	for (i = 1; i <= f.nparams; i++)
		appendStringInfo(&params, "%spg_catalog.unnest($%d)", i > 1 ? ", " : "", i);
	return psprintf("WITH d AS (SELECT * FROM ROWS FROM (%s) AS d(k, n%s)), "
					"s AS (UPDATE %s s SET n = s.n " OP("+") " d.n%s FROM d "
					"WHERE s.k %s d.k AND s.n " OP(">") " 0 AND s.n " OP("+") " d.n " OP(">") " 0%s "
					"RETURNING s.*), "
					"p AS (UPDATE %s t SET %s FROM s WHERE t.%s %s s.k "
					"AND pg_catalog.record_image_ne(ROW(%s), ROW(%s))) "
					"SELECT d.k FROM d WHERE NOT EXISTS (SELECT FROM s WHERE s.k %s d.k)",
					params.data, f.columns.data,
					readmodel_relation_name(model->state_relid), f.set.data,
					eq, f.exact.data,
					model->qualname, f.model_set.data,
					quote_identifier(model->key_name), eq,
					f.old_row.data, f.new_row.data, eq);
}

/* The array parameters of the fold, one element per accumulator. */
typedef struct FoldArgs
{
	Oid		   *types;			/* element types */
	Datum	  **values;
	bool	  **nulls;
	int			n;				/* elements so far */
} FoldArgs;

static int
fold_arg_types(ReadModel *model, DeltaPlan *plan, Oid *types)
{
	ListCell   *lc;
	int			i = 0;

	types[i++] = model->key_type;
	types[i++] = INT8OID;
	foreach(lc, plan->aggregates)
	{
		DeltaAggregate *agg = lfirst(lc);

		types[i++] = INT8OID;
		if (has_sum(agg))
			types[i++] = sum_type(agg);
		if (has_extreme(agg))
		{
			types[i++] = agg->arg_type;
			types[i++] = agg->arg_type;
		}
		if (has_trues(agg))
			types[i++] = INT8OID;
	}
	return i;
}

static void
fold_arg(FoldArgs *args, int *i, Datum value, bool isnull)
{
	args->values[*i][args->n] = value;
	args->nulls[*i][args->n] = isnull;
	(*i)++;
}

static void
add_fold_args(FoldArgs *args, DeltaPlan *plan, Datum key, DeltaAcc *acc)
{
	ListCell   *lc;
	int			i = 0;
	int			j = 0;

	fold_arg(args, &i, key, false);
	fold_arg(args, &i, Int64GetDatum(acc->rows), false);
	foreach(lc, plan->aggregates)
	{
		DeltaAggregate *agg = lfirst(lc);
		DeltaAggAcc *a = &acc->aggs[j++];

		fold_arg(args, &i, Int64GetDatum(a->count), false);
		if (has_sum(agg))
			fold_arg(args, &i, agg->int64_sum ? Int64GetDatum(a->int_sum) :
					 a->sum != (Datum) 0 ? a->sum : NumericGetDatum(int64_to_numeric(0)),
					 false);
		if (has_extreme(agg))
		{
			fold_arg(args, &i, a->added, !a->has_added);
			fold_arg(args, &i, a->removed, !a->has_removed);
		}
		if (has_trues(agg))
			fold_arg(args, &i, Int64GetDatum(a->trues), false);
	}
	args->n++;
}

static Datum *
fold_arrays(FoldArgs *args, int nparams)
{
	Datum	   *arrays = palloc(sizeof(Datum) * nparams);
	int			i;

	for (i = 0; i < nparams; i++)
	{
		int			dims[1] = {args->n};
		int			lbs[1] = {1};
		int16		typlen;
		bool		typbyval;
		char		typalign;

		get_typlenbyvalalign(args->types[i], &typlen, &typbyval, &typalign);
		arrays[i] = PointerGetDatum(construct_md_array(args->values[i], args->nulls[i],
													   1, dims, lbs, args->types[i],
													   typlen, typbyval, typalign));
	}
	return arrays;
}

static SPIPlanPtr
fold_plan(ReadModel *model, DeltaPlan *plan, int nkeys, int nparams, Oid *types)
{
	SPIPlanPtr	spi = readmodel_keyed_plan(&model->fold_plan, nkeys);
	Oid		   *arraytypes;
	int			i;

	if (spi != NULL)
		return spi;
	arraytypes = palloc(sizeof(Oid) * nparams);
	for (i = 0; i < nparams; i++)
		arraytypes[i] = get_array_type(types[i]);
	return readmodel_keyed_plan_prepare_args(&model->fold_plan, fold_sql(model, plan),
											 nparams, arraytypes, nkeys);
}

/* Run the fold for valid accumulators; appends the keys it left out. */
static void
run_fold(ReadModel *model, Datum *keys, DeltaAcc **accs, int nkeys,
		 Datum *recompute, int *nrecompute)
{
	DeltaPlan  *plan = model->analysis->delta;
	int			maxparams = 2 + 4 * list_length(plan->aggregates);
	FoldArgs	args;
	int			nparams;
	SPIPlanPtr	spi;
	bool		isnull;
	uint64		row;
	int			i;

	args.types = palloc(sizeof(Oid) * maxparams);
	args.values = palloc(sizeof(Datum *) * maxparams);
	args.nulls = palloc(sizeof(bool *) * maxparams);
	args.n = 0;
	nparams = fold_arg_types(model, plan, args.types);
	for (i = 0; i < maxparams; i++)
	{
		args.values[i] = palloc(sizeof(Datum) * nkeys);
		args.nulls[i] = palloc(sizeof(bool) * nkeys);
	}
	for (i = 0; i < nkeys; i++)
	{
		if (accs[i]->invalid || accs[i]->plan_id != plan->id)
			recompute[(*nrecompute)++] = keys[i];
		else
			add_fold_args(&args, plan, keys[i], accs[i]);
	}
	if (args.n == 0)
		return;
	spi = fold_plan(model, plan, args.n, nparams, args.types);
	if (readmodel_execute_keyed(spi, args.n, fold_arrays(&args, nparams),
								false, true, false) != SPI_OK_SELECT)
		elog(ERROR, "fold of aggregate deltas failed for %s", model->qualname);
	/* the keys whose fold was not exact */
	for (row = 0; row < SPI_processed; row++)
		recompute[(*nrecompute)++] =
			datumCopy(SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, 1, &isnull),
					  model->key_typbyval, model->key_typlen);
	SPI_freetuptable(SPI_tuptable);
}

/* Fold the accumulators of `keys`; returns the keys to recompute instead. */
Datum *
readmodel_apply_deltas(ReadModel *model, Datum *keys, DeltaAcc **accs, int nkeys,
					   int *nrecompute)
{
	Datum	   *recompute = palloc(sizeof(Datum) * Max(nkeys, 1));

	*nrecompute = 0;
	run_fold(model, keys, accs, nkeys, recompute, nrecompute);
	return recompute;
}

/* A condition on the aggregated table as SQL, every name qualified. */
static char *
condition_sql(Node *cond, List *context)
{
	int			nestlevel = NewGUCNestLevel();
	char	   *sql;

	(void) set_config_option("search_path", "", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	sql = deparse_expression(cond, context, true, false);
	AtEOXact_GUC(true, nestlevel);
	return sql;
}

/*
 * The state's rows computed afresh from the aggregated table: for keys =
 * ANY($1) when keyed, else for all.  *cols gets the column list.
 */
static char *
fresh_state_select(ReadModel *model, DeltaPlan *plan, bool keyed, char **cols_out)
{
	List	   *context = deparse_context_for("a", plan->relid);
	const char *group = readmodel_column_name(plan->relid, plan->group_att);
	StringInfoData cols;
	StringInfoData vals;
	ListCell   *lc;
	int			j = 0;

	initStringInfo(&cols);
	initStringInfo(&vals);
	foreach(lc, plan->aggregates)
	{
		DeltaAggregate *agg = lfirst(lc);
		char	   *arg = agg->arg_att ? psprintf("a.%s", readmodel_column_name(plan->relid, agg->arg_att)) : NULL;
		char	   *filter = agg->filter ?
			psprintf(" AND (%s)", condition_sql(agg->filter, context)) : "";
		char	   *where = psprintf("FILTER (WHERE true%s)", filter);

		j++;
		appendStringInfo(&cols, ", c%d", j);
		appendStringInfo(&vals, ", pg_catalog.count(%s) %s AS c%d", arg ? arg : "*", where, j);
		if (has_sum(agg))
		{
			appendStringInfo(&cols, ", s%d", j);
			appendStringInfo(&vals, ", COALESCE(pg_catalog.sum(%s) %s, 0) AS s%d", arg, where, j);
		}
		if (has_extreme(agg))
		{
			appendStringInfo(&cols, ", m%d", j);
			appendStringInfo(&vals, ", pg_catalog.%s(%s) %s AS m%d",
							 agg->kind == DELTA_MAX ? "max" : "min", arg, where, j);
		}
		if (has_trues(agg))
		{
			appendStringInfo(&cols, ", t%d", j);
			appendStringInfo(&vals, ", pg_catalog.count(*) FILTER (WHERE %s IS TRUE%s) AS t%d",
							 arg, filter, j);
		}
	}
	*cols_out = cols.data;
	return psprintf("SELECT a.%s AS k, pg_catalog.count(*) AS n%s FROM %s a "
					"WHERE %s%s GROUP BY a.%s",
					group, vals.data, readmodel_source_scan(plan->relid),
					keyed ? readmodel_any_qual(psprintf("a.%s", group), model->key_eq_opr) : "true",
					plan->where ? psprintf(" AND (%s)", condition_sql(plan->where, context)) : "",
					group);
}

/* Compute the state of keys = ANY($1) afresh into the state table. */
static char *
fresh_state_sql(ReadModel *model, DeltaPlan *plan)
{
	char	   *cols;
	char	   *select = fresh_state_select(model, plan, true, &cols);

	return psprintf("INSERT INTO %s (k, n%s) %s",
					readmodel_relation_name(model->state_relid), cols, select);
}

/*
 * For readmodel.verify(): the state rows that differ from a fresh
 * computation, as (problem, key, state row, fresh row).  A sum or an
 * extreme is compared only where its count is not 0: the output ignores it
 * there.
 */
char *
readmodel_delta_verify_sql(ReadModel *model)
{
	DeltaPlan  *plan = model->analysis->delta;
	StringInfoData mine;
	StringInfoData fresh;
	ListCell   *lc;
	char	   *cols;
	char	   *select = fresh_state_select(model, plan, false, &cols);
	int			j = 0;

	initStringInfo(&mine);
	initStringInfo(&fresh);
	foreach(lc, plan->aggregates)
	{
		DeltaAggregate *agg = lfirst(lc);
		const char *col = has_sum(agg) ? "s" : has_extreme(agg) ? "m" : has_trues(agg) ? "t" : NULL;

		j++;
		appendStringInfo(&mine, ", s.c%d", j);
		appendStringInfo(&fresh, ", f.c%d", j);
		if (col == NULL)
			continue;
		appendStringInfo(&mine, ", CASE WHEN s.c%d " OP("<>") " 0 THEN s.%s%d END", j, col, j);
		appendStringInfo(&fresh, ", CASE WHEN f.c%d " OP("<>") " 0 THEN f.%s%d END", j, col, j);
	}
	return psprintf("SELECT 'state', s.k::pg_catalog.text, pg_catalog.to_jsonb(s.*), "
					"CASE WHEN f.k IS NULL THEN NULL ELSE pg_catalog.to_jsonb(f.*) END "
					"FROM %s s LEFT JOIN (%s) f ON f.k %s s.k "
					"WHERE f.k IS NULL OR pg_catalog.record_image_ne(ROW(s.n%s), ROW(f.n%s)) "
					"ORDER BY s.k",
					readmodel_relation_name(model->state_relid), select,
					readmodel_operator_name(model->key_eq_opr), mine.data, fresh.data);
}

typedef char *(*StateSql) (ReadModel *model, DeltaPlan *plan);

static char *
forget_state_sql(ReadModel *model, DeltaPlan *plan)
{
	return psprintf("DELETE FROM %s s WHERE %s", readmodel_relation_name(model->state_relid),
					readmodel_any_qual("s.k", model->key_eq_opr));
}

/* Run a statement on the state for keys = ANY($1), prepared once. */
static void
run_keyed(ReadModel *model, KeyedPlan *plans, StateSql make_sql, Datum *keys,
		  int nkeys, int expected)
{
	SPIPlanPtr	spi = readmodel_keyed_plan(plans, nkeys);
	Datum		arg = PointerGetDatum(readmodel_datum_array(keys, nkeys, model->key_type));

	if (spi == NULL)
		spi = readmodel_keyed_plan_prepare(plans, make_sql(model, model->analysis->delta),
										   get_array_type(model->key_type), nkeys);
	if (readmodel_execute_keyed(spi, nkeys, &arg, false, false, false) != expected)
		elog(ERROR, "could not maintain the aggregate state of %s", model->qualname);
}

/*
 * Keys recomputed without their deltas: drop their state rows, and with
 * `fill` compute them afresh (the keys whose fold was not exact).
 */
void
readmodel_delta_reset_state(ReadModel *model, Datum *keys, int nkeys, bool fill)
{
	if (nkeys == 0 || !OidIsValid(model->state_relid) || model->analysis->delta == NULL)
		return;
	run_keyed(model, &model->state_plan, forget_state_sql, keys, nkeys, SPI_OK_DELETE);

	/*
	 * The table holds changes whose deltas are still to come while a
	 * capture trigger of it is pending (a flush from within a statement):
	 * a state computed now would count them twice.  It is computed later.
	 */
	if (fill && !AfterTriggerPendingOnRel(model->analysis->delta->relid))
		run_keyed(model, &model->fill_plan, fresh_state_sql, keys, nkeys, SPI_OK_INSERT);
}

/* A full refresh: every state row may be wrong now. */
void
readmodel_delta_forget_state(ReadModel *model)
{
	if (!OidIsValid(model->state_relid))
		return;
	readmodel_spi_exec(psprintf("TRUNCATE %s", readmodel_relation_name(model->state_relid)),
					   SPI_OK_UTILITY);
}
