/*-------------------------------------------------------------------------
 *
 * analyze_expand.c
 *	  Before the walk: expand the definition as the planner would, so that
 *	  views, WITH queries and plain subqueries in FROM are analysed as the
 *	  tables and conditions they are made of.
 *
 *	1. every non-recursive WITH query is inlined where it is referenced
 *	   (MATERIALIZED or not: for the deterministic queries the walk accepts,
 *	   both give the same rows);
 *	2. every view is replaced by its stored query, views inside it too; the
 *	   view's own range-table entry is kept for the privilege checks, and
 *	   its OID is remembered so that replacing the view re-analyses the model;
 *	3. a subquery in FROM that only selects, joins and filters is pulled up
 *	   into the level that reads it, its conditions kept at its place in the
 *	   join tree, as the planner's pull-up does.  Its outputs that nothing
 *	   reads are kept as junk columns: the planner may still evaluate them,
 *	   so the walk must check them;
 *	4. "a RIGHT JOIN b" becomes "b LEFT JOIN a", so the entity a model is
 *	   about may be written on the right; a FULL JOIN whose WHERE keeps no
 *	   NULL-extended row of one side is reduced as the planner does.
 *
 * The result is only analysed: maintenance runs the definition as stored,
 * and the planner expands it the same way.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "catalog/pg_class.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "parser/parsetree.h"
#include "rewrite/rewriteDefine.h"
#include "rewrite/rewriteHandler.h"
#include "rewrite/rewriteManip.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "analyze_int.h"

/* Views being expanded, innermost last: a view cannot contain itself. */
#define MAX_EXPANSION_DEPTH 64

typedef struct ExpandState
{
	AnalysisState *st;
	List	   *owners;			/* Query *: the levels above, innermost
								 * first, for WITH references */
	int			depth;
} ExpandState;

static void expand_level(ExpandState *es, Query *query);

/*
 * A stored view query (PostgreSQL 15) starts with the rule's OLD and NEW
 * entries for the view itself; no column of them is read.  They become
 * empty entries, which keeps the range table's numbering.
 */
static void
drop_rule_placeholders(Query *query, Oid viewid)
{
	ListCell   *lc;
	int			rtindex = 0;

	foreach(lc, query->rtable)
	{
		RangeTblEntry *rte = lfirst(lc);

		if (++rtindex > 2)
			break;
		if (rte->rtekind == RTE_RELATION && rte->relid == viewid)
		{
			rte->rtekind = RTE_RESULT;
			rte->relid = InvalidOid;
			rte->requiredPerms = 0;
		}
	}
}

static CommonTableExpr *
find_cte(ExpandState *es, RangeTblEntry *rte)
{
	Query	   *owner;
	ListCell   *lc;

	if (rte->ctelevelsup >= (Index) list_length(es->owners))
		elog(ERROR, "WITH query \"%s\" not found", rte->ctename);
	owner = list_nth(es->owners, rte->ctelevelsup);
	foreach(lc, owner->cteList)
	{
		CommonTableExpr *cte = lfirst(lc);

		if (strcmp(cte->ctename, rte->ctename) == 0)
			return cte;
	}
	elog(ERROR, "WITH query \"%s\" not found", rte->ctename);
	return NULL;				/* keep compiler quiet */
}

static void
inline_cte(ExpandState *es, RangeTblEntry *rte)
{
	CommonTableExpr *cte = find_cte(es, rte);
	Query	   *sub;

	if (cte->cterecursive && !es->st->refresh_strategy)
		analyze_refuse(es->st,
					   psprintf("WITH RECURSIVE query \"%s\" is recursive: a change to one row can reach rows at any depth.",
								cte->ctename),
					   "Store the hierarchy's paths in a table (a closure or materialized-path table) and join it, or declare the model with options => '{\"strategy\": \"refresh\"}': a change of a table the recursion reads then rebuilds the whole model.");
	/* kept as it is: analysed as a whole, its recursive part unrouted */
	if (cte->cterecursive)
		return;
	sub = copyObject(castNode(Query, cte->ctequery));
	if (rte->ctelevelsup > 0)
		IncrementVarSublevelsUp((Node *) sub, rte->ctelevelsup, 1);
	rte->rtekind = RTE_SUBQUERY;
	rte->subquery = sub;
	rte->security_barrier = false;
	rte->ctename = NULL;
	rte->ctelevelsup = 0;
	rte->self_reference = false;
	rte->coltypes = rte->coltypmods = rte->colcollations = NIL;
}

static void
expand_view(ExpandState *es, RangeTblEntry *rte)
{
	AnalysisState *st = es->st;
	Relation	view;
	Query	   *sub;

	if (es->depth >= MAX_EXPANSION_DEPTH)
		analyze_refuse(st, "The definition's views are nested too deeply.", NULL);
	view = relation_open(rte->relid, AccessShareLock);
	sub = copyObject(get_view_query(view));
	relation_close(view, NoLock);
	drop_rule_placeholders(sub, rte->relid);

	/* the view's own entry, for the privilege checks on the view */
	st->rtes = lappend(st->rtes, copyObject(rte));
	if (!list_member_oid(st->views, rte->relid))
		st->views = lappend_oid(st->views, rte->relid);
	rte->rtekind = RTE_SUBQUERY;
	rte->subquery = sub;
	rte->relid = InvalidOid;
	rte->relkind = 0;
	rte->rellockmode = 0;
	rte->inh = false;
	rte->requiredPerms = 0;
	rte->selectedCols = rte->insertedCols = rte->updatedCols = NULL;
}

/*
 * A subquery that only selects, joins and filters.  Its ORDER BY, without
 * LIMIT, does not change its rows; pulled up, an aggregate above it can no
 * longer count on that order, which only refuses more.
 */
static bool
is_plain_subquery(RangeTblEntry *rte)
{
	Query	   *q = rte->subquery;

	return rte->rtekind == RTE_SUBQUERY && !rte->lateral &&
		q->commandType == CMD_SELECT && q->utilityStmt == NULL &&
		q->setOperations == NULL && !q->hasAggs && !q->hasWindowFuncs &&
		!q->hasTargetSRFs && q->groupClause == NIL && q->groupingSets == NIL &&
		q->havingQual == NULL && q->distinctClause == NIL &&
		q->limitCount == NULL &&
		q->limitOffset == NULL && q->rowMarks == NIL && q->cteList == NIL &&
		q->jointree != NULL && q->jointree->fromlist != NIL;
}

/* Replace RangeTblRef `rtindex` in a join tree by `replacement`. */
static Node *
replace_jointree_ref(Node *jt, Index rtindex, Node *replacement)
{
	if (IsA(jt, RangeTblRef))
		return ((RangeTblRef *) jt)->rtindex == (int) rtindex ? replacement : jt;
	if (IsA(jt, FromExpr))
	{
		ListCell   *lc;

		foreach(lc, ((FromExpr *) jt)->fromlist)
			lfirst(lc) = replace_jointree_ref(lfirst(lc), rtindex, replacement);
	}
	else if (IsA(jt, JoinExpr))
	{
		JoinExpr   *join = (JoinExpr *) jt;

		join->larg = replace_jointree_ref(join->larg, rtindex, replacement);
		join->rarg = replace_jointree_ref(join->rarg, rtindex, replacement);
	}
	return jt;
}

typedef struct ReadColumns
{
	Index		rtindex;
	int			depth;
	Bitmapset  *attnos;
} ReadColumns;

static bool
read_columns_walker(Node *node, ReadColumns *rc)
{
	if (node == NULL)
		return false;
	if (IsA(node, Var))
	{
		Var		   *var = (Var *) node;

		if (var->varno == (int) rc->rtindex && var->varlevelsup == (Index) rc->depth)
			rc->attnos = bms_add_member(rc->attnos, var->varattno);
		return false;
	}
	if (IsA(node, Query))
	{
		bool		result;

		rc->depth++;
		result = query_tree_walker((Query *) node, read_columns_walker, rc, 0);
		rc->depth--;
		return result;
	}
	return expression_tree_walker(node, read_columns_walker, rc);
}

/* The output expressions of subquery `rtindex` that nothing reads. */
static List *
unread_outputs(Query *query, Index rtindex, List *targetlist)
{
	ReadColumns rc = {rtindex, 0, NULL};
	List	   *result = NIL;
	ListCell   *lc;

	/* a join's alias list names every column; only references count */
	(void) query_tree_walker(query, read_columns_walker, &rc,
							 QTW_IGNORE_JOINALIASES);
	if (bms_is_member(0, rc.attnos))
		return NIL;				/* a whole-row reference reads them all */
	foreach(lc, targetlist)
	{
		TargetEntry *tle = lfirst(lc);

		if (!bms_is_member(tle->resno, rc.attnos))
			result = lappend(result, tle->expr);
	}
	return result;
}

/*
 * Pull subquery `rtindex` of `query` up: its range table is appended, its
 * output columns are replaced by their expressions wherever they are read,
 * and its join tree takes the subquery's place.
 */
static void
pull_up(Query *query, Index rtindex)
{
	RangeTblEntry *rte = rt_fetch(rtindex, query->rtable);
	Query	   *sub = rte->subquery;
	int			offset = list_length(query->rtable);
	bool		sublinks = false;
	Query	   *replaced;

	List	   *unread;
	ListCell   *lc;

	OffsetVarNodes((Node *) sub, offset, 0);
	IncrementVarSublevelsUp((Node *) sub, -1, 1);
	unread = unread_outputs(query, rtindex, sub->targetList);
	/* the mutator returns a copy: it becomes the level, in place */
	replaced = (Query *) ReplaceVarsFromTargetList((Node *) query, rtindex, 0,
												   rte, sub->targetList,
												   REPLACEVARS_REPORT_ERROR, 0,
												   &sublinks);
	memcpy(query, replaced, sizeof(Query));
	rte = rt_fetch(rtindex, query->rtable);
	/* kept as junk columns, for the walk to check (and to pull up again) */
	foreach(lc, unread)
		query->targetList = lappend(query->targetList,
									makeTargetEntry(lfirst(lc),
													list_length(query->targetList) + 1,
													NULL, true));
	query->hasSubLinks |= sublinks || sub->hasSubLinks;
	query->rtable = list_concat(query->rtable, sub->rtable);
	query->jointree = (FromExpr *)
		replace_jointree_ref((Node *) query->jointree, rtindex,
							 (Node *) sub->jointree);
	/* an empty entry keeps the range table's numbering */
	rte->rtekind = RTE_RESULT;
	rte->subquery = NULL;
}

static bool
expand_sublinks_walker(Node *node, ExpandState *es)
{
	if (node == NULL)
		return false;
	if (IsA(node, SubLink))
	{
		SubLink    *sublink = (SubLink *) node;

		(void) expand_sublinks_walker(sublink->testexpr, es);
		expand_level(es, castNode(Query, sublink->subselect));
		return false;
	}
	if (IsA(node, Query))
		return false;			/* FROM subqueries are expanded as levels */
	return expression_tree_walker(node, expand_sublinks_walker, es);
}

static void
expand_range_table(ExpandState *es, Query *query)
{
	ListCell   *lc;

	foreach(lc, query->rtable)
	{
		RangeTblEntry *rte = lfirst(lc);

		if (rte->rtekind == RTE_CTE && !rte->self_reference)
			inline_cte(es, rte);
		else if (rte->rtekind == RTE_RELATION &&
				 get_rel_relkind(rte->relid) == RELKIND_VIEW)
			expand_view(es, rte);
		if (rte->rtekind == RTE_SUBQUERY)
			expand_level(es, rte->subquery);
	}
}

/*
 * References to a join's columns become the expressions they stand for,
 * as the planner does: after a pull-up, those can be any expression the
 * subquery computed, and the walk must see them.
 */
static void
flatten_join_references(Query *query)
{
	ListCell   *lc;

	query->targetList = (List *)
		flatten_join_alias_vars(query, (Node *) query->targetList);
	query->jointree = (FromExpr *)
		flatten_join_alias_vars(query, (Node *) query->jointree);
	query->havingQual = flatten_join_alias_vars(query, query->havingQual);
	foreach(lc, query->rtable)
	{
		RangeTblEntry *rte = lfirst(lc);

		/* LATERAL items may read this level's joins */
		if (rte->rtekind == RTE_SUBQUERY)
			rte->subquery = (Query *)
				flatten_join_alias_vars(query, (Node *) rte->subquery);
		else if (rte->rtekind == RTE_FUNCTION)
			rte->functions = (List *)
				flatten_join_alias_vars(query, (Node *) rte->functions);
		else if (rte->rtekind == RTE_VALUES)
			rte->values_lists = (List *)
				flatten_join_alias_vars(query, (Node *) rte->values_lists);
	}
}

/* Every rtindex of a join tree's leaves. */
static Relids
jointree_leaves(Node *jt)
{
	Relids		result = NULL;
	ListCell   *lc;

	if (IsA(jt, RangeTblRef))
		return bms_make_singleton(((RangeTblRef *) jt)->rtindex);
	if (IsA(jt, JoinExpr))
		return bms_union(jointree_leaves(((JoinExpr *) jt)->larg),
						 jointree_leaves(((JoinExpr *) jt)->rarg));
	foreach(lc, ((FromExpr *) jt)->fromlist)
		result = bms_union(result, jointree_leaves(lfirst(lc)));
	return result;
}

/*
 * A FULL JOIN under a WHERE condition that no NULL-extended row of one side
 * passes (p.pk IS NOT NULL, p.x = 1) is a LEFT or RIGHT join (or inner),
 * as the planner reduces it.  Only joins not themselves on a nullable side
 * are looked at: the level's WHERE filters them directly.
 */
static void
reduce_full_joins(Node *jt, Relids nonnullable)
{
	JoinExpr   *join;

	if (IsA(jt, FromExpr))
	{
		ListCell   *lc;

		foreach(lc, ((FromExpr *) jt)->fromlist)
			reduce_full_joins(lfirst(lc), nonnullable);
		return;
	}
	if (!IsA(jt, JoinExpr))
		return;
	join = (JoinExpr *) jt;
	if (join->jointype == JOIN_FULL)
	{
		bool		left = bms_overlap(nonnullable, jointree_leaves(join->larg));
		bool		right = bms_overlap(nonnullable, jointree_leaves(join->rarg));

		if (left && right)
			join->jointype = JOIN_INNER;
		else if (left)
			join->jointype = JOIN_LEFT;
		else if (right)
			join->jointype = JOIN_RIGHT;
	}
	/* the inner join's and the preserved sides' leaves stay filtered */
	if (join->jointype == JOIN_INNER || join->jointype == JOIN_LEFT)
		reduce_full_joins(join->larg, nonnullable);
	if (join->jointype == JOIN_INNER || join->jointype == JOIN_RIGHT)
		reduce_full_joins(join->rarg, nonnullable);
}

/* "a RIGHT JOIN b" is "b LEFT JOIN a": the analysis knows LEFT JOIN only. */
static void
right_joins_as_left(Node *jt)
{
	if (IsA(jt, FromExpr))
	{
		ListCell   *lc;

		foreach(lc, ((FromExpr *) jt)->fromlist)
			right_joins_as_left(lfirst(lc));
	}
	else if (IsA(jt, JoinExpr))
	{
		JoinExpr   *join = (JoinExpr *) jt;

		if (join->jointype == JOIN_RIGHT)
		{
			Node	   *left = join->larg;

			join->larg = join->rarg;
			join->rarg = left;
			join->jointype = JOIN_LEFT;
		}
		right_joins_as_left(join->larg);
		right_joins_as_left(join->rarg);
	}
}

/* Expand one query level and everything below it, in place. */
static void
expand_level(ExpandState *es, Query *query)
{
	Index		rtindex = 0;
	int			nrtes;
	List	   *kept = NIL;
	ListCell   *lc;

	es->owners = lcons(query, es->owners);
	es->depth++;
	foreach(lc, query->cteList)
	{
		CommonTableExpr *cte = lfirst(lc);

		if (cte->cterecursive && es->st->refresh_strategy)
		{
			expand_level(es, castNode(Query, cte->ctequery));
			kept = lappend(kept, cte);
		}
	}
	expand_range_table(es, query);
	(void) query_tree_walker(query, expand_sublinks_walker, es,
							 QTW_IGNORE_RANGE_TABLE);
	es->depth--;
	es->owners = list_delete_first(es->owners);
	/* the others were inlined where they were read */
	query->cteList = kept;

	/* a set operation's branches stay what they are */
	if (query->setOperations != NULL)
		return;
	/* pulled-up subqueries append entries, already expanded: skip them */
	nrtes = list_length(query->rtable);
	for (rtindex = 1; rtindex <= (Index) nrtes; rtindex++)
	{
		RangeTblEntry *rte = rt_fetch(rtindex, query->rtable);

		if (rte->rtekind == RTE_SUBQUERY && is_plain_subquery(rte))
			pull_up(query, rtindex);
	}
	flatten_join_references(query);
	reduce_full_joins((Node *) query->jointree,
					  find_nonnullable_rels(query->jointree->quals));
	right_joins_as_left((Node *) query->jointree);
}

Query *
analyze_expand(AnalysisState *st, Query *query)
{
	ExpandState es = {st, NIL, 0};

	query = copyObject(query);
	drop_rule_placeholders(query, st->viewid);
	expand_level(&es, query);
	return query;
}
