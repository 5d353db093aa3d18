/*-------------------------------------------------------------------------
 *
 * analyze_delta.c
 *	  Decide whether a definition's aggregates can be kept by deltas
 *	  (delta.h), and what state they need.
 *
 * This is not part of the soundness rule: a definition that does not
 * qualify is recomputed per key, as before.  It qualifies when all of:
 *
 *	- its top level groups by the key, a single column, with no HAVING,
 *	  DISTINCT, window, set operation, subquery or set-returning function;
 *	- it reads one table A alone, grouped by A's key column (never NULL),
 *	  or the root and A, the root's unique key equal to a column x of A of
 *	  the same type (INNER or LEFT JOIN, or the equality in WHERE), grouped
 *	  by root columns; every other condition reads A alone or the root
 *	  alone (a LEFT JOIN's ON, A alone): a row of A is then in the group of
 *	  its x, or in none, whatever the root does;
 *	- every output column is either free of aggregates, or one aggregate of
 *	  the kinds in delta.h over a column of A, with no DISTINCT or ORDER
 *	  BY, and a FILTER on A's columns alone (maybe in COALESCE(aggregate,
 *	  constant)), or a jsonb_build_object(...)
 *	  document (nested or not, constant distinct keys) whose values are
 *	  such aggregates or free of them;
 *	- conditions and filters call built-in functions only, since capture
 *	  evaluates them in C on the changed rows.
 *
 * The key's type must have one image per value (the queue and the state
 * join on it), and so must the inputs of sum, avg, min and max: numeric
 * only with a scale (numeric(p, s)), whose values all have that scale, so
 * that a sum kept by deltas has the scale a fresh sum would.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_aggregate.h"
#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "parser/parsetree.h"
#include "optimizer/optimizer.h"
#include "rewrite/rewriteManip.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

#include "analyze_int.h"
#include "delta.h"

static uint32 next_plan_id = 1;

static bool
plain_grouping(Query *q)
{
	return q->groupClause != NIL && q->groupingSets == NIL &&
		q->havingQual == NULL && q->distinctClause == NIL &&
		!q->hasWindowFuncs && !q->hasSubLinks && !q->hasTargetSRFs &&
		!q->hasRecursive && q->cteList == NIL && q->setOperations == NULL &&
		q->limitCount == NULL && q->limitOffset == NULL &&
		q->rowMarks == NIL && !q->hasForUpdate;
}

static bool
not_builtin(Oid funcid, void *context)
{
	return funcid >= FirstNormalObjectId;
}

static bool
calls_other_functions(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (check_functions_in_node(node, not_builtin, NULL))
		return true;
	if (IsA(node, Aggref) || IsA(node, WindowFunc) || IsA(node, SubLink) ||
		IsA(node, Param) || IsA(node, SubPlan))
		return true;
	return expression_tree_walker(node, calls_other_functions, context);
}

/*
 * An expression of A's columns alone, that capture can evaluate; varno 1,
 * planned here (as the owner, in the sandbox), not at each capture.
 */
static Node *
row_expression(Node *expr, Index a_index)
{
	Bitmapset  *varnos = pull_varnos(NULL, expr);
	Node	   *copy;

	if (!bms_is_subset(varnos, bms_make_singleton(a_index)) ||
		contain_vars_of_level((Node *) expr, 1) ||
		calls_other_functions(expr, NULL))
		return NULL;
	copy = copyObject(expr);
	ChangeVarNodes(copy, a_index, 1, 0);
	return (Node *) expression_planner((Expr *) copy);
}

/* Which kind an aggregate is, and whether its input type may be used. */
static bool
aggregate_kind(Oid aggfnoid, DeltaKind *kind)
{
	switch (aggfnoid)
	{
		case F_COUNT_:
			*kind = DELTA_COUNT_ROWS;
			return true;
		case F_COUNT_ANY:
			*kind = DELTA_COUNT;
			return true;
		case F_SUM_INT2:
		case F_SUM_INT4:
		case F_SUM_INT8:
		case F_SUM_NUMERIC:
			*kind = DELTA_SUM;
			return true;
		case F_AVG_INT2:
		case F_AVG_INT4:
		case F_AVG_INT8:
		case F_AVG_NUMERIC:
			*kind = DELTA_AVG;
			return true;
		case F_MIN_INT2:
		case F_MIN_INT4:
		case F_MIN_INT8:
		case F_MIN_NUMERIC:
		case F_MIN_DATE:
		case F_MIN_TIMESTAMP:
		case F_MIN_TIMESTAMPTZ:
			*kind = DELTA_MIN;
			return true;
		case F_MAX_INT2:
		case F_MAX_INT4:
		case F_MAX_INT8:
		case F_MAX_NUMERIC:
		case F_MAX_DATE:
		case F_MAX_TIMESTAMP:
		case F_MAX_TIMESTAMPTZ:
			*kind = DELTA_MAX;
			return true;
		case F_BOOL_AND:
		case F_EVERY:
			*kind = DELTA_BOOL_AND;
			return true;
		case F_BOOL_OR:
			*kind = DELTA_BOOL_OR;
			return true;
	}
	return false;
}

static DeltaAggregate *delta_aggregate(Aggref *aggref, Index a_index, const char *resname);

/*
 * A value that is an aggregate, or COALESCE(aggregate, constant) (the sum
 * of no rows shown as 0): its delta, or NULL.
 */
static DeltaAggregate *
value_aggregate(Node *value, Index a_index, const char *resname)
{
	CoalesceExpr *coalesce = (CoalesceExpr *) value;
	DeltaAggregate *agg;
	Node	   *fallback;

	if (IsA(value, Aggref))
		return delta_aggregate((Aggref *) value, a_index, resname);
	if (!IsA(value, CoalesceExpr) || list_length(coalesce->args) != 2 ||
		!IsA(linitial(coalesce->args), Aggref) ||
		calls_other_functions(lsecond(coalesce->args), NULL) ||
		contain_var_clause(lsecond(coalesce->args)))
		return NULL;
	/* 0 for a numeric sum is numeric(0): folded to its constant */
	fallback = eval_const_expressions(NULL, copyObject(lsecond(coalesce->args)));
	if (!IsA(fallback, Const) || ((Const *) fallback)->constisnull)
		return NULL;
	agg = delta_aggregate(linitial(coalesce->args), a_index, resname);
	if (agg != NULL)
		agg->fallback = (Const *) fallback;
	return agg;
}

/* The aggregate of one output column, or NULL if it has no delta. */
static DeltaAggregate *
delta_aggregate(Aggref *aggref, Index a_index, const char *resname)
{
	DeltaAggregate *agg = palloc0(sizeof(DeltaAggregate));
	Var		   *arg;

	if (aggref->aggdistinct != NIL || aggref->aggorder != NIL ||
		aggref->aggkind != AGGKIND_NORMAL || aggref->agglevelsup != 0 ||
		aggref->aggdirectargs != NIL || !aggregate_kind(aggref->aggfnoid, &agg->kind))
		return NULL;
	agg->out_col = pstrdup(quote_identifier(resname));
	if (aggref->aggfilter != NULL &&
		(agg->filter = row_expression((Node *) aggref->aggfilter, a_index)) == NULL)
		return NULL;
	if (agg->kind == DELTA_COUNT_ROWS)
		return agg;

	if (list_length(aggref->args) != 1)
		return NULL;
	arg = (Var *) ((TargetEntry *) linitial(aggref->args))->expr;
	if (!IsA(arg, Var) || arg->varno != (int) a_index || arg->varlevelsup != 0 ||
		arg->varattno <= 0)
		return NULL;
	/*
	 * Sums and extremes of values whose equal values look alike: numeric
	 * only with a scale, every value then having that one.
	 */
	if (agg->kind != DELTA_COUNT &&
		!analyze_equal_image_type(arg->vartype, arg->vartypmod, arg->varcollid))
		return NULL;
	agg->arg_att = arg->varattno;
	agg->arg_type = arg->vartype;
	get_typlenbyval(agg->arg_type, &agg->arg_typlen, &agg->arg_typbyval);
	agg->int64_sum = (arg->vartype == INT2OID || arg->vartype == INT4OID);
	return agg;
}

/*
 * The aggregates of a jsonb_build_object(...) document, at their paths:
 * false unless every value holding an aggregate is one (or a nested
 * document), and every key of the levels on the way is a distinct constant.
 */
static bool
document_aggregates(FuncExpr *build, Index a_index, const char *doc_col,
					List *path, List **aggs)
{
	int			npairs = list_length(build->args) / 2;
	char	  **keys = palloc0(sizeof(char *) * (npairs + 1));
	int			i,
				j;

	if (list_length(build->args) % 2 != 0)
		return false;
	for (i = 0; i < npairs; i++)
	{
		if ((keys[i] = analyze_const_key(list_nth(build->args, 2 * i))) == NULL)
			return false;
		for (j = 0; j < i; j++)
			if (strcmp(keys[i], keys[j]) == 0)
				return false;	/* the last one would win */
	}
	for (i = 0; i < npairs; i++)
	{
		Node	   *value = list_nth(build->args, 2 * i + 1);
		List	   *subpath = lappend(list_copy(path), makeString(keys[i]));
		DeltaAggregate *agg;

		if (!contain_agg_clause(value))
			continue;
		if (analyze_is_build_object(value))
		{
			if (!document_aggregates((FuncExpr *) value, a_index, doc_col, subpath, aggs))
				return false;
			continue;
		}
		if ((agg = value_aggregate(value, a_index, doc_col)) == NULL)
			return false;
		agg->keys = subpath;
		*aggs = lappend(*aggs, agg);
	}
	return true;
}

/*
 * The aggregates of the output, or NIL if one column cannot have deltas:
 * each is an output column of its own or a value of a document.
 */
static List *
delta_aggregates(Query *q, Index a_index, bool *ok)
{
	List	   *result = NIL;
	ListCell   *lc;

	*ok = false;
	foreach(lc, q->targetList)
	{
		TargetEntry *tle = lfirst(lc);
		DeltaAggregate *agg;

		if (tle->resjunk || !contain_agg_clause((Node *) tle->expr))
			continue;
		if (analyze_is_build_object((Node *) tle->expr))
		{
			if (!document_aggregates((FuncExpr *) tle->expr, a_index, tle->resname,
									 NIL, &result))
				return NIL;
			continue;
		}
		if ((agg = value_aggregate((Node *) tle->expr, a_index, tle->resname)) == NULL)
			return NIL;
		result = lappend(result, agg);
	}
	*ok = result != NIL;
	return result;
}

/* The conjuncts of a qual, flattened. */
static List *
conjuncts(Node *quals)
{
	if (quals == NULL)
		return NIL;
	return make_ands_implicit((Expr *) quals);
}

/* Is this "A.x = root.key", x of the key's type, by its equality? */
static bool
key_equality(Node *cond, Index a_index, Index r_index, KeyColumn *key,
			 AttrNumber *x)
{
	OpExpr	   *op = (OpExpr *) cond;
	Var		   *l,
			   *r,
			   *a_var,
			   *r_var;

	if (!IsA(op, OpExpr) || list_length(op->args) != 2)
		return false;
	l = linitial(op->args);
	r = lsecond(op->args);
	if (!IsA(l, Var) || !IsA(r, Var) || l->varlevelsup != 0 || r->varlevelsup != 0)
		return false;
	a_var = (l->varno == (int) a_index) ? l : r;
	r_var = (a_var == l) ? r : l;
	if (a_var->varno != (int) a_index || r_var->varno != (int) r_index ||
		r_var->varattno != key->root_att || a_var->varattno <= 0 ||
		a_var->vartype != key->type ||
		op->opno != lookup_type_cache(key->type, TYPECACHE_EQ_OPR)->eq_opr)
		return false;
	*x = a_var->varattno;
	return true;
}

/*
 * Sort one condition: A's alone goes to *a_conds; the root's alone is only
 * about the group's existence; the key equality gives x.  False for any
 * other.
 */
static bool
sort_condition(Node *cond, Index a_index, Index r_index, KeyColumn *key,
			   bool root_allowed, List **a_conds, AttrNumber *x)
{
	Bitmapset  *varnos = pull_varnos(NULL, cond);

	if (bms_equal(varnos, bms_make_singleton(a_index)))
	{
		*a_conds = lappend(*a_conds, cond);
		return true;
	}
	if (bms_equal(varnos, bms_make_singleton(r_index)))
		return root_allowed;
	if (*x == InvalidAttrNumber && key_equality(cond, a_index, r_index, key, x))
		return true;
	return false;
}

/* The root joined to A: A's rtindex, x, and the conditions on A. */
static bool
joined_child(Query *q, List *tables, Index r_index, KeyColumn *key,
			 Index *a_index, AttrNumber *x, List **a_conds)
{
	FromExpr   *from = q->jointree;
	List	   *on = NIL;
	List	   *where_a = NIL;
	bool		left = false;
	ListCell   *lc;

	*a_index = linitial_int(tables) == (int) r_index ? lsecond_int(tables) : linitial_int(tables);
	if (*a_index == r_index)
		return false;
	if (list_length(from->fromlist) == 1 && IsA(linitial(from->fromlist), JoinExpr))
	{
		JoinExpr   *join = linitial(from->fromlist);

		if (!IsA(join->larg, RangeTblRef) || !IsA(join->rarg, RangeTblRef))
			return false;
		left = join->jointype == JOIN_LEFT;
		if (join->jointype != JOIN_INNER &&
			!(left && ((RangeTblRef *) join->larg)->rtindex == (int) r_index))
			return false;
		on = conjuncts(join->quals);
	}
	else if (list_length(from->fromlist) != 2)
		return false;

	*x = InvalidAttrNumber;
	foreach(lc, on)
		if (!sort_condition(lfirst(lc), *a_index, r_index, key, !left, a_conds, x))
			return false;
	foreach(lc, conjuncts(from->quals))
		if (!sort_condition(lfirst(lc), *a_index, r_index, key, true, &where_a, x))
			return false;

	/*
	 * Under a LEFT JOIN, a WHERE condition on A that a row of NULLs may pass
	 * (c.x IS NULL) keeps the root's row when no row of A matches, and a row
	 * of A that matches but fails it removes that row: the group then
	 * depends on rows no delta counts.  Only conditions that refuse a row of
	 * NULLs, as the planner's reduction of outer joins asks, are kept.
	 */
	if (left && where_a != NIL &&
		!bms_is_member(*a_index, find_nonnullable_rels((Node *) make_ands_explicit(where_a))))
		return false;
	*a_conds = list_concat(*a_conds, where_a);
	return *x != InvalidAttrNumber;
}

/* Every grouping column is a column of the root, the key among them. */
static bool
grouped_by_root(Query *q, Index r_index, KeyColumn *key)
{
	ListCell   *lc;
	bool		has_key = false;

	foreach(lc, q->groupClause)
	{
		Var		   *var = (Var *) get_sortgroupclause_expr(lfirst(lc), q->targetList);

		if (!IsA(var, Var) || var->varno != (int) r_index || var->varlevelsup != 0)
			return false;
		has_key |= var->varattno == key->root_att;
	}
	return has_key;
}

/* The sole table, grouped by its key column alone. */
static bool
grouped_table(Query *q, RelNode *root, KeyColumn *key, ModelAnalysis *result)
{
	Var		   *var;

	if (result->key_unique || list_length(q->groupClause) != 1)
		return false;
	var = (Var *) get_sortgroupclause_expr(linitial(q->groupClause), q->targetList);
	return IsA(var, Var) && var->varno == (int) root->rtindex &&
		var->varattno == key->root_att &&
		(key->null_filtered || analyze_column_not_null(root->relid, key->root_att));
}

/* The rtindexes of the tables the join tree reads; false if not tables. */
static bool
jointree_tables(Node *node, Query *q, List **tables)
{
	if (IsA(node, RangeTblRef))
	{
		int			rtindex = ((RangeTblRef *) node)->rtindex;
		RangeTblEntry *rte = rt_fetch(rtindex, q->rtable);

		*tables = lappend_int(*tables, rtindex);
		return rte->rtekind == RTE_RELATION && rte->tablesample == NULL;
	}
	if (IsA(node, JoinExpr))
		return jointree_tables(((JoinExpr *) node)->larg, q, tables) &&
			jointree_tables(((JoinExpr *) node)->rarg, q, tables);
	if (IsA(node, FromExpr))
	{
		ListCell   *lc;

		foreach(lc, ((FromExpr *) node)->fromlist)
			if (!jointree_tables(lfirst(lc), q, tables))
				return false;
		return true;
	}
	return false;
}

DeltaPlan *
analyze_delta(QueryLevel *top, RelNode *root, ModelAnalysis *result)
{
	Query	   *q = top->query;
	KeyColumn  *key;
	DeltaPlan  *plan;
	Index		a_index = root->rtindex;
	AttrNumber	x = InvalidAttrNumber;
	List	   *a_conds = NIL;
	List	   *tables = NIL;
	int			nrels;
	bool		ok;
	ListCell   *lc;

	if (list_length(result->key_columns) != 1 || result->unit_columns != NIL ||
		!plain_grouping(q) || !jointree_tables((Node *) q->jointree, q, &tables))
		return NULL;
	nrels = list_length(tables);
	if (nrels < 1 || nrels > 2)
		return NULL;
	key = linitial(result->key_columns);
	if (key->expr != NULL || key->root_att <= 0 ||
		!analyze_equal_image_type(key->type, -1, key->collation))
		return NULL;
	if (nrels == 1)
	{
		if (!grouped_table(q, root, key, result))
			return NULL;
		x = key->root_att;
		a_conds = conjuncts(q->jointree->quals);
	}
	else if (!result->key_unique || !grouped_by_root(q, root->rtindex, key) ||
			 !joined_child(q, tables, root->rtindex, key, &a_index, &x, &a_conds))
		return NULL;

	plan = palloc0(sizeof(DeltaPlan));
	plan->id = next_plan_id++;
	plan->relid = rt_fetch(a_index, q->rtable)->relid;
	plan->group_att = x;
	plan->aggregates = delta_aggregates(q, a_index, &ok);
	if (!ok)
		return NULL;
	if (a_conds != NIL &&
		(plan->where = row_expression((Node *) make_ands_explicit(a_conds), a_index)) == NULL)
		return NULL;
	plan->evaluates = plan->where != NULL;
	foreach(lc, plan->aggregates)
		plan->evaluates |= ((DeltaAggregate *) lfirst(lc))->filter != NULL;
	return plan;
}
