/*-------------------------------------------------------------------------
 *
 * analyze_edges.c
 *	  Equalities between columns that hold in every contributing row
 *	  combination (the routes they give are built in analyze_routes.c).
 *
 * An edge is a top-level AND condition "x = y" (a merge- or hash-joinable
 * equality) of a WHERE, an ON, or the test of "x IN (SELECT y ...)" when
 * that sublink is itself a top-level AND condition of WHERE, whose sides
 * resolve to columns of two relation occurrences.  Resolution looks through
 * join alias variables, binary-compatible casts, and the output columns of
 * subqueries in FROM, but only where the subquery's rows for a value of
 * that column depend on no other rows (grouped by it, DISTINCT, DISTINCT ON
 * it; no LIMIT).  A conversion between types (int = numeric) is not looked
 * through: values equal after conversion may differ before it.
 *
 * A route may leave a node over an edge only when the edge restricts the
 * combinations that node's rows take part in (see Edge in analyze_int.h).
 * Two more kinds serve routes only: "x = ANY (t.arr)" (array edges) and
 * "c.a = p.k OR c.b = p.k" (OR edges).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "lib/stringinfo.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parsetree.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "analyze_int.h"
#include "util.h"

static Node *
strip_relabel(Node *expr)
{
	while (expr && IsA(expr, RelabelType))
		expr = (Node *) ((RelabelType *) expr)->arg;
	return expr;
}

/* Do a subquery's rows for a value of output `tle` depend only on rows with that value? */
static bool
partitions_by(Query *sub, TargetEntry *tle)
{
	ListCell   *lc;

	if (sub->setOperations != NULL || sub->limitCount != NULL ||
		sub->limitOffset != NULL || sub->hasWindowFuncs)
		return false;
	if (sub->groupClause != NIL)
	{
		foreach(lc, sub->groupClause)
			if (((SortGroupClause *) lfirst(lc))->tleSortGroupRef == tle->ressortgroupref &&
				tle->ressortgroupref != 0)
				return true;
		return false;
	}
	if (sub->hasAggs)
		return false;
	if (sub->hasDistinctOn)
	{
		foreach(lc, sub->distinctClause)
			if (((SortGroupClause *) lfirst(lc))->tleSortGroupRef == tle->ressortgroupref &&
				tle->ressortgroupref != 0)
				return true;
		return false;
	}
	return true;
}

/*
 * Resolve an expression evaluated at `level` to a column of a relation
 * node.  `exact` (patches) looks through nothing but join aliases.
 */
bool
analyze_resolve_column(AnalysisState *st, Node *expr, QueryLevel *level,
					   bool exact, RelNode **node, AttrNumber *attno)
{
	Var		   *var;
	QueryLevel *target = level;
	RangeTblEntry *rte;
	Index		up;

	if (!exact)
		expr = strip_relabel(expr);
	if (expr == NULL || !IsA(expr, Var))
		return false;
	var = (Var *) expr;
	if (var->varattno <= 0)
		return false;
	for (up = 0; up < var->varlevelsup; up++)
		if ((target = target->parent) == NULL)
			return false;
	rte = rt_fetch(var->varno, target->query->rtable);
	if (rte->rtekind == RTE_RELATION)
	{
		*node = analyze_find_node(st, target, var->varno);
		*attno = var->varattno;
		return *node != NULL;
	}
	if (rte->rtekind == RTE_JOIN && var->varattno <= list_length(rte->joinaliasvars))
		return analyze_resolve_column(st, list_nth(rte->joinaliasvars, var->varattno - 1),
									  target, exact, node, attno);
	if (rte->rtekind == RTE_SUBQUERY && !exact)
	{
		QueryLevel *sub = analyze_find_level(st, rte->subquery);
		TargetEntry *tle;

		if (sub == NULL ||
			(tle = get_tle_by_resno(sub->query->targetList, var->varattno)) == NULL ||
			!partitions_by(sub->query, tle))
			return false;
		return analyze_resolve_column(st, (Node *) tle->expr, sub, exact, node, attno);
	}
	return false;
}

bool
analyze_is_equality(OpExpr *op)
{
	Oid			lefttype;

	if (list_length(op->args) != 2)
		return false;
	lefttype = exprType(linitial(op->args));
	return op_mergejoinable(op->opno, lefttype) ||
		op_hashjoinable(op->opno, lefttype);
}

/* Where a condition sits, for the direction of its edges. */
typedef struct QualSite
{
	QueryLevel *level;
	bool		outer_on;		/* the ON of an outer join */
	Bitmapset  *nullable;		/* its nullable side's rtindexes */
	bool		sole_on;		/* the condition is the whole ON */
	Index		rarg_rtindex;	/* LEFT JOIN's right table */
} QualSite;

/* May a route leave the column `expr` (at the qual's level) over this edge? */
static bool
may_start(QualSite *site, Node *expr)
{
	Var		   *var = (Var *) strip_relabel(expr);

	if (var == NULL || !IsA(var, Var) || var->varlevelsup > 0)
		return false;
	return !site->outer_on || bms_is_member(var->varno, site->nullable);
}

/* The column `expr` names at its own level, as written (0, 0 if none). */
void
analyze_written_var(Node *expr, Index *rtindex, AttrNumber *attno)
{
	Var		   *var = (Var *) strip_relabel(expr);

	*rtindex = 0;
	*attno = 0;
	if (var && IsA(var, Var) && var->varlevelsup == 0)
	{
		*rtindex = var->varno;
		*attno = var->varattno;
	}
}

/* "n1.a1 opno n2.a2" at `level`, in no list yet. */
static Edge *
make_edge(RelNode *n1, AttrNumber a1, RelNode *n2, AttrNumber a2, Oid opno,
		  Oid collation, QueryLevel *level)
{
	Edge	   *edge = palloc0(sizeof(Edge));

	edge->n1 = n1->id;
	edge->a1 = a1;
	edge->n2 = n2->id;
	edge->a2 = a2;
	edge->opno = opno;
	edge->collation = collation;
	edge->level = level;
	return edge;
}

static Edge *
new_edge(AnalysisState *st, RelNode *n1, AttrNumber a1, RelNode *n2,
		 AttrNumber a2, OpExpr *op, QueryLevel *level)
{
	Edge	   *edge = make_edge(n1, a1, n2, a2, op->opno, op->inputcollid, level);

	st->edges = lappend(st->edges, edge);
	return edge;
}

/*
 * "n1.a1 = <an element of n2.a2>", kept in array_edges: the array's
 * element type must be n1.a1's, compared with its own equality.  NULL when
 * it is not.
 */
static Edge *
new_array_edge(AnalysisState *st, QualSite *site, RelNode *n1, AttrNumber a1,
			   RelNode *n2, AttrNumber a2, Oid opno, Oid collation)
{
	Oid			elem = get_element_type(get_atttype(n2->relid, a2));
	Edge	   *edge;

	if (!OidIsValid(elem) || elem != get_atttype(n1->relid, a1) ||
		opno != lookup_type_cache(elem, TYPECACHE_EQ_OPR)->eq_opr ||
		collation != get_typcollation(elem))
		return NULL;
	edge = make_edge(n1, a1, n2, a2, opno, collation, site->level);
	edge->array2 = true;
	st->array_edges = lappend(st->array_edges, edge);
	return edge;
}

/*
 * The function RTE `expr` reads the element column of, when it is
 * unnest(<an array column>): the column (n, att) and where it is read.
 */
static RangeTblEntry *
unnest_of(AnalysisState *st, Node *expr, QueryLevel *level, Index *rtindex,
		  Node **array, QueryLevel **rte_level)
{
	Var		   *var = (Var *) strip_relabel(expr);
	QueryLevel *target = level;
	RangeTblEntry *rte;
	RangeTblFunction *rtf;
	FuncExpr   *func;
	Index		up;

	if (var == NULL || !IsA(var, Var) || var->varattno != 1)
		return NULL;
	for (up = 0; up < var->varlevelsup; up++)
		if ((target = target->parent) == NULL)
			return NULL;
	rte = rt_fetch(var->varno, target->query->rtable);
	if (rte->rtekind != RTE_FUNCTION || list_length(rte->functions) != 1)
		return NULL;
	rtf = linitial(rte->functions);
	func = (FuncExpr *) rtf->funcexpr;
	if (!IsA(func, FuncExpr) || func->funcid != F_UNNEST_ANYARRAY ||
		list_length(func->args) != 1)
		return NULL;
	*rtindex = var->varno;
	*array = linitial(func->args);
	*rte_level = target;
	return rte;
}

/*
 * "t.pk = u.x" where u is unnest(p.arr): the same as "t.pk = ANY
 * (p.arr)" for routes, an array edge; it remembers the unnest, whose rows
 * are then fixed by t's (analyze_order.c).
 */
static bool
add_unnest_edge(AnalysisState *st, QualSite *site, OpExpr *op, Node *scalar,
				Node *element)
{
	Index		rtindex;
	Node	   *array;
	QueryLevel *rte_level;
	RelNode    *n1,
			   *n2;
	AttrNumber	a1,
				a2;
	Edge	   *edge;

	if (unnest_of(st, element, site->level, &rtindex, &array, &rte_level) == NULL ||
		!analyze_resolve_column(st, scalar, site->level, false, &n1, &a1) ||
		!analyze_resolve_column(st, array, rte_level, false, &n2, &a2) || n1 == n2)
		return false;
	edge = new_array_edge(st, site, n1, a1, n2, a2, op->opno, op->inputcollid);
	if (edge == NULL)
		return false;
	edge->start1 = may_start(site, scalar);
	edge->start2 = rte_level == site->level && may_start(site, array);
	edge->unnest_level = rte_level;
	edge->unnest_rtindex = rtindex;
	return true;
}

static void
add_edge(AnalysisState *st, QualSite *site, OpExpr *op, bool start1, bool start2)
{
	RelNode    *n1,
			   *n2;
	AttrNumber	a1,
				a2;
	Edge	   *edge;

	if (add_unnest_edge(st, site, op, linitial(op->args), lsecond(op->args)) ||
		add_unnest_edge(st, site, op, lsecond(op->args), linitial(op->args)))
		return;
	if (!analyze_resolve_column(st, linitial(op->args), site->level, false, &n1, &a1) ||
		!analyze_resolve_column(st, lsecond(op->args), site->level, false, &n2, &a2) ||
		n1 == n2)
		return;
	edge = new_edge(st, n1, a1, n2, a2, op, site->level);
	edge->start1 = start1;
	edge->start2 = start2;
	edge->outer_on = site->outer_on;
	edge->sole_on = site->sole_on;
	edge->rarg_rtindex = site->rarg_rtindex;
	analyze_written_var(linitial(op->args), &edge->var1_rtindex, &edge->var1_attno);
	analyze_written_var(lsecond(op->args), &edge->var2_rtindex, &edge->var2_attno);
}

/*
 * "x = ANY (t.arr)": x is compared with the elements of the array column,
 * with the element type's own equality (what the && of a route hop uses).
 * Only routes use it: one x matches many rows, nothing is determined.
 */
static void
add_array_edge(AnalysisState *st, QualSite *site, ScalarArrayOpExpr *op)
{
	Node	   *scalar = linitial(op->args);
	Node	   *array = lsecond(op->args);
	RelNode    *n1,
			   *n2;
	AttrNumber	a1,
				a2;
	Edge	   *edge;

	if (!op->useOr || list_length(op->args) != 2 ||
		!IsA(strip_relabel(array), Var) ||
		!analyze_resolve_column(st, scalar, site->level, false, &n1, &a1) ||
		!analyze_resolve_column(st, array, site->level, false, &n2, &a2) ||
		n1 == n2)
		return;
	edge = new_array_edge(st, site, n1, a1, n2, a2, op->opno, op->inputcollid);
	if (edge == NULL)
		return;
	edge->start1 = may_start(site, scalar);
	edge->start2 = may_start(site, array);
}

/*
 * "c.a = p.k OR c.b = p.k": a row of c meets the rows of p whose k is any
 * of its a and b.  Only a route that starts at c and lands on p.k (the
 * key) uses it: a changed row's values of every disjunct's column are keys.
 */
static void
add_or_edge(AnalysisState *st, QualSite *site, BoolExpr *or)
{
	Edge	   *edge = NULL;
	ListCell   *lc;

	foreach(lc, or->args)
	{
		OpExpr	   *op = lfirst(lc);
		RelNode    *n1,
				   *n2;
		AttrNumber	a1,
					a2;
		Node	   *mine;
		Node	   *theirs;
		Oid			opno;

		if (!IsA(op, OpExpr) || !analyze_is_equality(op))
			return;
		/* the side of this level's table first */
		mine = may_start(site, linitial(op->args)) ? linitial(op->args) : lsecond(op->args);
		theirs = mine == linitial(op->args) ? lsecond(op->args) : linitial(op->args);
		opno = mine == linitial(op->args) ? op->opno : get_commutator(op->opno);
		if (!may_start(site, mine) || !OidIsValid(opno) ||
			!analyze_resolve_column(st, mine, site->level, false, &n1, &a1) ||
			!analyze_resolve_column(st, theirs, site->level, false, &n2, &a2) ||
			n1 == n2)
			return;
		if (edge == NULL)
		{
			edge = make_edge(n1, a1, n2, a2, opno, op->inputcollid, site->level);
			edge->start1 = true;
		}
		else if (n1->id != edge->n1 || n2->id != edge->n2 || a2 != edge->a2 ||
				 opno != edge->opno || op->inputcollid != edge->collation)
			return;
		else
			edge->alt_a1 = lappend_int(edge->alt_a1, a1);
	}
	if (edge != NULL && edge->alt_a1 != NIL)
		st->or_edges = lappend(st->or_edges, edge);
}

/* "x = ANY (ARRAY[a, b])" as the OR of its equalities. */
static BoolExpr *
in_list_as_or(ScalarArrayOpExpr *saop)
{
	List	   *ors = NIL;
	ListCell   *lc;

	foreach(lc, ((ArrayExpr *) lsecond(saop->args))->elements)
	{
		OpExpr	   *op = makeNode(OpExpr);

		op->opno = saop->opno;
		op->opfuncid = saop->opfuncid;
		op->opresulttype = BOOLOID;
		op->inputcollid = saop->inputcollid;
		op->args = list_make2(linitial(saop->args), lfirst(lc));
		op->location = saop->location;
		ors = lappend(ors, op);
	}
	return (BoolExpr *) makeBoolExpr(OR_EXPR, ors, saop->location);
}

static void
collect_qual(AnalysisState *st, Node *qual, QualSite *site)
{
	OpExpr	   *op;

	if (qual == NULL)
		return;
	if (IsA(qual, List))
	{
		ListCell   *lc;

		foreach(lc, (List *) qual)
			collect_qual(st, lfirst(lc), site);
		return;
	}
	if (is_andclause(qual))
	{
		site->sole_on = false;
		collect_qual(st, (Node *) ((BoolExpr *) qual)->args, site);
		return;
	}
	if (IsA(qual, ScalarArrayOpExpr))
	{
		ScalarArrayOpExpr *saop = (ScalarArrayOpExpr *) qual;

		/* "x IN (a, b)" is "x = a OR x = b" */
		if (saop->useOr && IsA(lsecond(saop->args), ArrayExpr))
			add_or_edge(st, site, in_list_as_or(saop));
		else
			add_array_edge(st, site, saop);
		return;
	}
	if (is_orclause(qual))
	{
		add_or_edge(st, site, (BoolExpr *) qual);
		return;
	}
	if (!IsA(qual, OpExpr) || !analyze_is_equality((OpExpr *) qual))
		return;
	op = (OpExpr *) qual;
	add_edge(st, site, op, may_start(site, linitial(op->args)),
			 may_start(site, lsecond(op->args)));
}

/* Every rtindex (tables and joins) in a join tree. */
static Bitmapset *
jointree_rtindexes(Node *jt)
{
	Bitmapset  *result = NULL;
	ListCell   *lc;

	if (IsA(jt, RangeTblRef))
		return bms_make_singleton(((RangeTblRef *) jt)->rtindex);
	if (IsA(jt, JoinExpr))
	{
		JoinExpr   *join = (JoinExpr *) jt;

		result = bms_union(jointree_rtindexes(join->larg), jointree_rtindexes(join->rarg));
		return join->rtindex ? bms_add_member(result, join->rtindex) : result;
	}
	if (IsA(jt, FromExpr))
		foreach(lc, ((FromExpr *) jt)->fromlist)
			result = bms_union(result, jointree_rtindexes(lfirst(lc)));
	return result;
}

/* The rtindexes on the nullable side of some outer join of a join tree. */
Bitmapset *
analyze_nullable_rtindexes(Node *jt)
{
	Bitmapset  *result = NULL;
	ListCell   *lc;

	if (IsA(jt, JoinExpr))
	{
		JoinExpr   *join = (JoinExpr *) jt;

		result = bms_union(analyze_nullable_rtindexes(join->larg),
						   analyze_nullable_rtindexes(join->rarg));
		if (join->jointype == JOIN_LEFT || join->jointype == JOIN_FULL)
			result = bms_union(result, jointree_rtindexes(join->rarg));
		if (join->jointype == JOIN_RIGHT || join->jointype == JOIN_FULL)
			result = bms_union(result, jointree_rtindexes(join->larg));
	}
	else if (IsA(jt, FromExpr))
		foreach(lc, ((FromExpr *) jt)->fromlist)
			result = bms_union(result, analyze_nullable_rtindexes(lfirst(lc)));
	return result;
}

static void
collect_jointree(AnalysisState *st, Node *jt, QueryLevel *level)
{
	QualSite	site;

	if (jt == NULL)
		return;
	memset(&site, 0, sizeof(site));
	site.level = level;
	if (IsA(jt, FromExpr))
	{
		ListCell   *lc;

		foreach(lc, ((FromExpr *) jt)->fromlist)
			collect_jointree(st, lfirst(lc), level);
		collect_qual(st, ((FromExpr *) jt)->quals, &site);
	}
	else if (IsA(jt, JoinExpr))
	{
		JoinExpr   *join = (JoinExpr *) jt;

		collect_jointree(st, join->larg, level);
		collect_jointree(st, join->rarg, level);
		site.outer_on = (join->jointype != JOIN_INNER);
		/* a FULL join has no side that is only nullable */
		if (join->jointype == JOIN_LEFT)
			site.nullable = jointree_rtindexes(join->rarg);
		else if (join->jointype == JOIN_RIGHT)
			site.nullable = jointree_rtindexes(join->larg);
		site.sole_on = (join->jointype == JOIN_LEFT);
		if (join->jointype == JOIN_LEFT && IsA(join->rarg, RangeTblRef))
			site.rarg_rtindex = ((RangeTblRef *) join->rarg)->rtindex;
		collect_qual(st, join->quals, &site);
	}
}

/*
 * "x IN (SELECT y ...)" as a top-level AND condition of WHERE or an inner
 * ON: an outer row is kept when some inner row has y = x, so a changed
 * inner row affects the outer rows with x = y (provided the inner rows
 * with a value of y depend on no other rows: no LIMIT, grouped by y).  Elsewhere (under NOT, in a
 * select list) the result also depends on whether y has NULLs or no rows
 * at all, which no route reaches, so it gives no edge, unless neither
 * side can be NULL: then the result is just whether a matching row exists.
 */
bool
analyze_column_not_null(Oid relid, AttrNumber att)
{
	HeapTuple	tuple = SearchSysCacheAttNum(relid, att);
	bool		result;

	if (!HeapTupleIsValid(tuple))
		return false;
	result = ((Form_pg_attribute) GETSTRUCT(tuple))->attnotnull;
	ReleaseSysCache(tuple);
	return result;
}

/*
 * Is `expr` (at `level`) a column that is never NULL there: NOT NULL, of a
 * table not on the nullable side of an outer join?
 */
static bool
never_null(AnalysisState *st, Node *expr, QueryLevel *level)
{
	Var		   *var = (Var *) strip_relabel(expr);
	RangeTblEntry *rte;
	RelNode    *node;
	AttrNumber	att;

	if (var == NULL || !IsA(var, Var) || var->varlevelsup > 0 ||
		!analyze_resolve_column(st, (Node *) var, level, false, &node, &att) ||
		node->level != level)
		return false;
	rte = rt_fetch(var->varno, level->query->rtable);
	if (rte->rtekind != RTE_RELATION || !analyze_column_not_null(node->relid, att))
		return false;
	return !bms_is_member(var->varno,
						  analyze_nullable_rtindexes((Node *) level->query->jointree));
}

static void
collect_sublink(AnalysisState *st, PendingSublink *pending)
{
	SubLink    *sublink = pending->sublink;
	List	   *conjuncts;
	ListCell   *lc;

	if (sublink->subLinkType != ANY_SUBLINK || sublink->testexpr == NULL)
		return;
	conjuncts = is_andclause(sublink->testexpr)
		? ((BoolExpr *) sublink->testexpr)->args : list_make1(sublink->testexpr);
	foreach(lc, conjuncts)
	{
		OpExpr	   *op = lfirst(lc);
		Node	   *inner;
		TargetEntry *tle;
		RelNode    *n1,
				   *n2;
		AttrNumber	a1,
					a2;
		Edge	   *edge;

		if (!IsA(op, OpExpr) || !analyze_is_equality(op))
			continue;
		inner = strip_relabel(lsecond(op->args));
		if (!IsA(inner, Param) || ((Param *) inner)->paramkind != PARAM_SUBLINK ||
			(tle = get_tle_by_resno(pending->inner->query->targetList,
									((Param *) inner)->paramid)) == NULL ||
			!partitions_by(pending->inner->query, tle))
			continue;
		/* elsewhere, NULLs on either side make the result depend on more */
		if (!pending->positive &&
			!(list_length(conjuncts) == 1 &&
			  never_null(st, linitial(op->args), pending->outer) &&
			  never_null(st, (Node *) tle->expr, pending->inner)))
			continue;
		if (!analyze_resolve_column(st, linitial(op->args), pending->outer, false, &n1, &a1) ||
			!analyze_resolve_column(st, (Node *) tle->expr, pending->inner, false, &n2, &a2) ||
			n1 == n2)
			continue;
		/* only a change of the inner row is mapped through it */
		edge = new_edge(st, n1, a1, n2, a2, op, pending->inner);
		edge->start2 = true;
	}
}

void
analyze_collect_edges(AnalysisState *st)
{
	ListCell   *lc;

	foreach(lc, st->levels)
	{
		QueryLevel *level = lfirst(lc);

		collect_jointree(st, (Node *) level->query->jointree, level);
	}
	foreach(lc, st->sublinks)
		collect_sublink(st, lfirst(lc));
}

/* Is `att` of `relid` alone a unique, non-null key? */
bool
analyze_is_unique_column(Oid relid, AttrNumber att)
{
	return analyze_column_not_null(relid, att) && readmodel_has_unique_index(relid, att);
}

/*
 * How writers of column `att` and mappers that look it up with `opno`
 * (column OP value) hash values for route locks.
 */
LockScheme *
analyze_lock_scheme(AttrNumber att, Oid opno, Oid collation)
{
	LockScheme *scheme = palloc0(sizeof(LockScheme));

	scheme->att = att;
	scheme->collation = collation;
	scheme->salt = hash_combine((uint32) att, hash_bytes_uint32((uint32) opno));
	if (!get_op_hash_functions(opno, &scheme->col_hash_fn, &scheme->in_hash_fn))
		scheme->col_hash_fn = scheme->in_hash_fn = InvalidOid;
	return scheme;
}
