/*-------------------------------------------------------------------------
 *
 * analyze_edges.c
 *	  Equalities between columns that hold in every contributing row
 *	  combination, and the routes they give from a changed row to keys.
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
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "lib/stringinfo.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parsetree.h"
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

static Edge *
new_edge(AnalysisState *st, RelNode *n1, AttrNumber a1, RelNode *n2,
		 AttrNumber a2, OpExpr *op, QueryLevel *level)
{
	Edge	   *edge = palloc0(sizeof(Edge));

	edge->n1 = n1->id;
	edge->a1 = a1;
	edge->n2 = n2->id;
	edge->a2 = a2;
	edge->opno = op->opno;
	edge->collation = op->inputcollid;
	edge->level = level;
	st->edges = lappend(st->edges, edge);
	return edge;
}

static void
add_edge(AnalysisState *st, QualSite *site, OpExpr *op, bool start1, bool start2)
{
	RelNode    *n1,
			   *n2;
	AttrNumber	a1,
				a2;
	Edge	   *edge;

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
	Oid			elem;
	Edge	   *edge;

	if (!op->useOr || list_length(op->args) != 2 ||
		!IsA(strip_relabel(array), Var) ||
		!analyze_resolve_column(st, scalar, site->level, false, &n1, &a1) ||
		!analyze_resolve_column(st, array, site->level, false, &n2, &a2) ||
		n1 == n2)
		return;
	elem = get_element_type(get_atttype(n2->relid, a2));
	if (!OidIsValid(elem) || elem != get_atttype(n1->relid, a1) ||
		op->opno != lookup_type_cache(elem, TYPECACHE_EQ_OPR)->eq_opr ||
		op->inputcollid != get_typcollation(elem))
		return;
	edge = palloc0(sizeof(Edge));
	edge->n1 = n1->id;
	edge->a1 = a1;
	edge->n2 = n2->id;
	edge->a2 = a2;
	edge->opno = op->opno;
	edge->collation = op->inputcollid;
	edge->level = site->level;
	edge->array2 = true;
	edge->start1 = may_start(site, scalar);
	edge->start2 = may_start(site, array);
	st->array_edges = lappend(st->array_edges, edge);
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
			edge = palloc0(sizeof(Edge));
			edge->n1 = n1->id;
			edge->a1 = a1;
			edge->n2 = n2->id;
			edge->a2 = a2;
			edge->opno = opno;
			edge->collation = op->inputcollid;
			edge->level = site->level;
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
		add_array_edge(st, site, (ScalarArrayOpExpr *) qual);
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

/* ---------- routes ---------- */

static char *
column_label(Oid relid, AttrNumber att)
{
	return psprintf("%s.%s", get_rel_name(relid), get_attname(relid, att, false));
}

/* The operator "other's column OP current's value" for this edge, or 0. */
static Oid
oriented_operator(Edge *edge, int other)
{
	return edge->n1 == other ? edge->opno : get_commutator(edge->opno);
}

/* Follow an edge from node `current` by its direction rules. */
static bool
edge_leads(Edge *edge, int current, int *other, AttrNumber *from_att,
		   AttrNumber *other_att)
{
	if (edge->n1 == current && edge->start1)
	{
		*other = edge->n2;
		*from_att = edge->a1;
		*other_att = edge->a2;
	}
	else if (edge->n2 == current && edge->start2)
	{
		*other = edge->n1;
		*from_att = edge->a2;
		*other_att = edge->a1;
	}
	else
		return false;
	return OidIsValid(oriented_operator(edge, *other));
}

/*
 * Follow `edge` from node `current`?  Fills the other end.  An array edge
 * leads from its scalar side to the rows whose array holds the value, and
 * from its array side only where a route starts (the changed row's
 * elements are the values).
 */
static bool
edge_leads_from(Edge *edge, int current, bool at_start, int *other,
				AttrNumber *from_att, AttrNumber *other_att)
{
	if (edge->array2 && edge->n2 == current && !at_start)
		return false;
	return edge_leads(edge, current, other, from_att, other_att);
}

/* Does the edge give the root's key itself, with the key's own equality? */
static bool
lands_on_key(AnalysisState *st, Edge *edge, int current, bool at_start,
			 RelNode *root, AttrNumber key_att)
{
	int			other;
	AttrNumber	from_att,
				other_att;
	Oid			key_type = get_atttype(root->relid, key_att);

	Oid			from_type;

	if ((edge->alt_a1 != NIL && !at_start) ||
		!edge_leads_from(edge, current, at_start, &other, &from_att, &other_att) ||
		other != root->id || other_att != key_att)
		return false;
	from_type = get_atttype(analyze_node(st, current)->relid, from_att);
	if (edge->array2)
		from_type = get_element_type(from_type);
	return from_type == key_type &&
		edge->opno == lookup_type_cache(key_type, TYPECACHE_EQ_OPR)->eq_opr;
}

typedef struct RouteSearch
{
	int		   *dist;
	Edge	  **via;
	int			end;
	Edge	   *final_edge;
} RouteSearch;

/*
 * Breadth-first search from `start` to the root key.  Reaching a node costs
 * one read of its table; an edge that lands on the root's key column ends
 * the route without reading anything more.
 */
static bool
search_route(AnalysisState *st, RelNode *start, RelNode *root,
			 AttrNumber key_att, RouteSearch *rs)
{
	int			nnodes = list_length(st->nodes);
	int		   *queue = palloc(sizeof(int) * nnodes);
	List	   *all_edges = list_concat(list_concat_copy(st->edges, st->array_edges),
											st->or_edges);
	int			head = 0,
				tail = 0;
	int			i;

	rs->dist = palloc(sizeof(int) * nnodes);
	rs->via = palloc0(sizeof(Edge *) * nnodes);
	rs->end = -1;
	rs->final_edge = NULL;
	for (i = 0; i < nnodes; i++)
		rs->dist[i] = -1;
	rs->dist[start->id] = 0;
	queue[tail++] = start->id;
	while (head < tail)
	{
		int			current = queue[head++];
		ListCell   *lc;

		if (current == root->id)
		{
			rs->end = current;
			return true;
		}
		foreach(lc, all_edges)
		{
			Edge	   *edge = lfirst(lc);
			int			other;
			AttrNumber	from_att,
						other_att;
			bool		at_start = (current == start->id);

			if (lands_on_key(st, edge, current, at_start, root, key_att))
			{
				rs->end = current;
				rs->final_edge = edge;
				return true;
			}
			if (edge->alt_a1 != NIL)
				continue;		/* lands on the key only, see below */
			if (edge_leads_from(edge, current, at_start, &other, &from_att, &other_att) &&
				rs->dist[other] < 0)
			{
				rs->dist[other] = rs->dist[current] + 1;
				rs->via[other] = edge;
				queue[tail++] = other;
			}
		}
	}
	return false;
}

/*
 * An edge may equate columns through a binary-compatible cast (text and
 * citext): the hop then looks the column up as the operator's left type and
 * passes the values as its right type, which have the same bytes.
 */
static void
operator_types(RouteHop *hop)
{
	Oid			left;
	Oid			right;

	op_input_types(hop->opno, &left, &right);
	if (!OidIsValid(left) || !OidIsValid(right) ||
		get_typtype(left) == TYPTYPE_PSEUDO || get_typtype(right) == TYPTYPE_PSEUDO)
		return;
	if (left != get_atttype(hop->relid, hop->match_att))
		hop->match_cast = left;
	hop->in_type = right;
}

/*
 * Read next's rows by the edge's column.  Over an array edge towards the
 * array, those whose array holds an incoming value (the element type's
 * equality, as "= ANY" has): "match && $1", and writers of the column lock
 * each element's value.
 */
static RouteHop *
make_hop(RelNode *next, AttrNumber match_att, AttrNumber emit_att, Oid in_type,
		 Edge *edge)
{
	RouteHop   *hop = palloc0(sizeof(RouteHop));

	hop->relid = next->relid;
	hop->match_att = match_att;
	hop->emit_att = emit_att;
	hop->in_type = in_type;
	hop->emit_type = get_atttype(next->relid, emit_att);
	hop->match_overlap = edge->array2 && edge->n2 == next->id;
	hop->opno = hop->match_overlap ? edge->opno : oriented_operator(edge, next->id);
	hop->lock = *analyze_lock_scheme(match_att, hop->opno, edge->collation);
	hop->lock.elements = hop->match_overlap;
	if (!hop->match_overlap)
		operator_types(hop);
	return hop;
}

static AttrNumber
edge_att(Edge *edge, int node)
{
	return edge->n1 == node ? edge->a1 : edge->a2;
}

/* Turn the search's path into hops. */
static SourceRoute *
route_from_search(AnalysisState *st, RelNode *start, AttrNumber key_att,
				  RouteSearch *rs)
{
	SourceRoute *route = palloc0(sizeof(SourceRoute));
	List	   *path = NIL;
	StringInfoData desc;
	ListCell   *lc;
	int			at = start->id;
	int			i;
	Oid			in_type;
	Edge	   *first;

	for (i = rs->end; i != start->id;)
	{
		path = lcons(rs->via[i], path);
		i = (rs->via[i]->n1 == i) ? rs->via[i]->n2 : rs->via[i]->n1;
	}
	initStringInfo(&desc);
	first = path != NIL ? linitial(path) : rs->final_edge;
	route->start_att = first ? edge_att(first, start->id) : key_att;
	appendStringInfoString(&desc, column_label(start->relid, route->start_att));
	in_type = get_atttype(start->relid, route->start_att);
	/* an OR of equalities: every disjunct's column gives keys */
	if (first != NULL && first->alt_a1 != NIL)
	{
		ListCell   *la;

		route->start_alt_atts = first->alt_a1;
		foreach(la, first->alt_a1)
			appendStringInfo(&desc, ", %s", get_attname(start->relid, lfirst_int(la), false));
	}
	/* leaving an array column: its elements are the values */
	route->start_elements = first != NULL && first->array2 && first->n2 == start->id;
	if (route->start_elements)
	{
		in_type = get_element_type(in_type);
		appendStringInfoString(&desc, " (elements)");
	}
	foreach(lc, path)
	{
		Edge	   *edge = lfirst(lc);
		int			next = (edge->n1 == at) ? edge->n2 : edge->n1;
		RelNode    *next_node = analyze_node(st, next);
		AttrNumber	match_att = edge_att(edge, next);
		ListCell   *after = lnext(path, lc);
		AttrNumber	emit_att;

		if (after != NULL)
			emit_att = edge_att(lfirst(after), next);
		else if (rs->final_edge != NULL)
			emit_att = edge_att(rs->final_edge, next);
		else
			emit_att = key_att;	/* read the root itself */
		route->hops = lappend(route->hops,
							  make_hop(next_node, match_att, emit_att, in_type, edge));
		appendStringInfo(&desc, " -> %s%s", column_label(next_node->relid, match_att),
						 edge->array2 && next == edge->n2 ? " (holding)" : "");
		if (emit_att != match_att)
			appendStringInfo(&desc, " (%s)", get_attname(next_node->relid, emit_att, false));
		in_type = get_atttype(next_node->relid, emit_att);
		at = next;
	}
	appendStringInfoString(&desc, " -> key");
	route->start_type = get_atttype(start->relid, route->start_att);
	if (route->start_elements)
		route->start_type = get_element_type(route->start_type);
	route->description = desc.data;
	return route;
}

static List *
key_atts(ModelAnalysis *result)
{
	List	   *atts = NIL;
	ListCell   *lc;

	foreach(lc, result->key_columns)
		atts = lappend_int(atts, ((KeyColumn *) lfirst(lc))->root_att);
	return atts;
}

/*
 * A composite key: routes were searched for its anchor column.  The root's
 * own rows start from their whole key; a route whose last hop reads the
 * root emits the whole key; one that ends with anchor values (a column
 * equal to it) gets a last hop reading the root by the anchor.
 */
static void
complete_composite_route(RelNode *node, RelNode *root, ModelAnalysis *result,
						 SourceRoute *route)
{
	RouteHop   *last = route->hops ? llast(route->hops) : NULL;
	AttrNumber	anchor = result->root_key_att;
	RouteHop   *hop;
	TypeCacheEntry *tc;

	StringInfoData keys;
	ListCell   *lc;

	if (list_length(result->key_columns) < 2)
		return;
	initStringInfo(&keys);
	foreach(lc, result->key_columns)
		appendStringInfo(&keys, "%s%s", keys.len ? ", " : "(", ((KeyColumn *) lfirst(lc))->name);
	appendStringInfoChar(&keys, ')');
	/* the description ends in " -> key" */
	route->description[strlen(route->description) - strlen(" -> key")] = '\0';
	if (node == root && route->hops == NIL && route->start_att == anchor)
	{
		route->start_key = true;
		route->description = psprintf("%s %s -> key", get_rel_name(root->relid), keys.data);
		return;
	}
	if (last != NULL && last->relid == root->relid && last->emit_att == anchor)
	{
		last->emit_key_atts = key_atts(result);
		route->description = psprintf("%s %s -> key", route->description, keys.data);
		return;
	}
	route->description = psprintf("%s -> %s.%s %s -> key", route->description,
								  get_rel_name(root->relid),
								  get_attname(root->relid, anchor, false), keys.data);
	tc = lookup_type_cache(get_atttype(root->relid, anchor), TYPECACHE_EQ_OPR);
	hop = palloc0(sizeof(RouteHop));
	hop->relid = root->relid;
	hop->match_att = anchor;
	hop->emit_att = anchor;
	hop->in_type = last ? last->emit_type : route->start_type;
	hop->emit_type = RECORDOID;
	hop->opno = tc->eq_opr;
	hop->lock = *analyze_lock_scheme(anchor, tc->eq_opr,
									 ((KeyColumn *) llast(result->key_columns))->collation);
	hop->emit_key_atts = key_atts(result);
	route->hops = lappend(route->hops, hop);
	/* writers of the root lock their anchor values, as for a join */
	result->edge_relids = lappend_oid(result->edge_relids, root->relid);
	result->edge_attnos = lappend_int(result->edge_attnos, anchor);
}

static ModelSource *
source_for(List **sources, Oid relid)
{
	ListCell   *lc;
	ModelSource *source;

	foreach(lc, *sources)
	{
		source = lfirst(lc);
		if (source->relid == relid)
			return source;
	}
	source = palloc0(sizeof(ModelSource));
	source->relid = relid;
	*sources = lappend(*sources, source);
	return source;
}

static void
refuse_unconnected(AnalysisState *st, RelNode *node, RelNode *root)
{
	analyze_refuse(st,
				   psprintf("Table %s (in %s) is not connected to the root table \"%s\" by equality conditions that hold for its rows.",
							analyze_node_label(node), analyze_position_name(node->level),
							get_rel_name(root->relid)),
				   "Changes are mapped to read-model rows by following conditions like a.x = b.y to the root's key.  Join or correlate every table that way, in WHERE or in an inner join's ON, or from the nullable side of an outer join's ON; compare columns of the same type (int = numeric needs a conversion and does not count).");
}

void
analyze_build_routes(AnalysisState *st, RelNode *root, ModelAnalysis *result)
{
	ListCell   *lc;

	foreach(lc, st->nodes)
	{
		RelNode    *node = lfirst(lc);
		ModelSource *source = source_for(&result->sources, node->relid);
		RouteSearch rs;
		SourceRoute *route;
		ListCell   *lh;

		source->read_cols = bms_union(source->read_cols, node->rte->selectedCols);
		if (!search_route(st, node, root, result->root_key_att, &rs))
			refuse_unconnected(st, node, root);
		route = route_from_search(st, node, result->root_key_att, &rs);
		route->in_subquery = (node->level->position != POS_TOP);
		complete_composite_route(node, root, result, route);
		source->routes = lappend(source->routes, route);
		foreach(lh, route->hops)
		{
			RouteHop   *hop = lfirst(lh);

			result->lock_relids = lappend_oid(result->lock_relids, hop->relid);
			result->lock_schemes = lappend(result->lock_schemes, &hop->lock);
		}
	}
	foreach(lc, list_concat(list_concat_copy(st->edges, st->array_edges), st->or_edges))
	{
		Edge	   *edge = lfirst(lc);
		ListCell   *la;

		foreach(la, edge->alt_a1)
		{
			result->edge_relids = lappend_oid(result->edge_relids, analyze_node(st, edge->n1)->relid);
			result->edge_attnos = lappend_int(result->edge_attnos, lfirst_int(la));
		}
		result->edge_relids = lappend_oid(result->edge_relids, analyze_node(st, edge->n1)->relid);
		result->edge_attnos = lappend_int(result->edge_attnos, edge->a1);
		result->edge_relids = lappend_oid(result->edge_relids, analyze_node(st, edge->n2)->relid);
		result->edge_attnos = lappend_int(result->edge_attnos, edge->a2);
	}
}
