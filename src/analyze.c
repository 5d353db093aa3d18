/*-------------------------------------------------------------------------
 *
 * analyze.c
 *	  Turn a read model's analyzed Query into what maintenance needs: the
 *	  root table and key, the source tables and the columns they read, and for
 *	  every occurrence of a source a route from its changed rows to the keys.
 *
 * The Query is the view's stored rule action, so every reference is already
 * resolved to a relation OID and attribute number.  We collect every
 * relation occurrence at every query level (FROM items, subqueries in FROM,
 * sublinks anywhere) as a node, and every top-level conjunct "x = y" with an
 * equality operator, whose sides resolve to columns of two nodes, as an
 * edge.  Such a conjunct holds for every row combination that contributes
 * to an output row, so a changed row can only affect the key values reached
 * by following edges from it: that is the route, and it is found by a
 * breadth-first search that prefers fewer table reads.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "catalog/catalog.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_proc.h"
#include "utils/fmgroids.h"
#include "lib/stringinfo.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parsetree.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/typcache.h"
#include "common/hashfn.h"

#include "analysis.h"
#include "analyze_int.h"

static QueryLevel *walk_query(AnalysisState *st, Query *query,
							  QueryLevel *parent, bool toplevel);
static bool joined_many_to_one(AnalysisState *st, RelNode *node);

/* Refuse a shape we cannot maintain, saying which construct and why. */
static void
refuse(AnalysisState *st, const char *detail, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("read model \"%s\" cannot be maintained incrementally",
					st->model_name),
			 errdetail_internal("%s", detail),
			 hint ? errhint("%s", hint) : 0));
}

QueryLevel *
analyze_find_level(AnalysisState *st, Query *query)
{
	ListCell   *lc;

	foreach(lc, st->levels)
	{
		QueryLevel *level = lfirst(lc);

		if (level->query == query)
			return level;
	}
	return NULL;
}

RelNode *
analyze_find_node(AnalysisState *st, QueryLevel *level, Index rtindex)
{
	ListCell   *lc;

	foreach(lc, st->nodes)
	{
		RelNode    *node = lfirst(lc);

		if (node->level == level && node->rtindex == rtindex)
			return node;
	}
	return NULL;
}

static RelNode *
node_by_id(AnalysisState *st, int id)
{
	return (RelNode *) list_nth(st->nodes, id);
}

static const char *
node_label(RelNode *node)
{
	const char *relname = get_rel_name(node->relid);
	const char *alias = node->rte->eref->aliasname;

	if (alias && strcmp(alias, relname) != 0)
		return psprintf("%s (alias %s)", relname, alias);
	return relname;
}

/* Find sublinks (and stray Query nodes) in expressions, walking into them. */
static bool
sublink_walker(Node *node, WalkContext *ctx)
{
	if (node == NULL)
		return false;
	if (IsA(node, SubLink))
	{
		SubLink    *sublink = (SubLink *) node;
		PendingSublink *pending = palloc(sizeof(PendingSublink));

		pending->sublink = sublink;
		pending->outer = ctx->level;
		pending->inner = walk_query(ctx->st, (Query *) sublink->subselect,
									ctx->level, false);
		ctx->st->sublinks = lappend(ctx->st->sublinks, pending);
		return sublink_walker(sublink->testexpr, ctx);
	}
	if (IsA(node, Query))
	{
		walk_query(ctx->st, (Query *) node, ctx->level, false);
		return false;
	}
	return expression_tree_walker(node, sublink_walker, (void *) ctx);
}

/*
 * Register a query level: its relations become nodes, its subqueries and
 * sublinks are walked.  Edges are collected later, once every level exists.
 */
static QueryLevel *
walk_query(AnalysisState *st, Query *query, QueryLevel *parent, bool toplevel)
{
	QueryLevel *level = palloc0(sizeof(QueryLevel));
	WalkContext ctx;
	ListCell   *lc;
	Index		rtindex = 0;

	level->query = query;
	level->parent = parent;
	level->toplevel = toplevel;
	st->levels = lappend(st->levels, level);

	if (query->cteList != NIL)
		refuse(st, "The definition uses a WITH query (common table expression).",
			   "Write the CTE as a subquery in FROM or in the select list.");

	ctx.st = st;
	ctx.level = level;

	foreach(lc, query->rtable)
	{
		RangeTblEntry *rte = lfirst(lc);

		rtindex++;
		switch (rte->rtekind)
		{
			case RTE_RELATION:
				{
					RelNode    *node;

					if (rte->relid == st->viewid)
						break;
					node = palloc0(sizeof(RelNode));

					node->id = list_length(st->nodes);
					node->relid = rte->relid;
					node->level = level;
					node->rtindex = rtindex;
					node->rte = rte;
					st->nodes = lappend(st->nodes, node);
					st->rtes = lappend(st->rtes, rte);
					break;
				}
			case RTE_SUBQUERY:
				walk_query(st, rte->subquery, level, false);
				break;
			case RTE_JOIN:
			case RTE_RESULT:
				break;
			default:
				/* functions, VALUES, table functions: look for sublinks */
				range_table_entry_walker(rte, sublink_walker, (void *) &ctx,
										 QTW_IGNORE_RT_SUBQUERIES);
				break;
		}
	}

	query_tree_walker(query, sublink_walker, (void *) &ctx,
					  QTW_IGNORE_RANGE_TABLE);
	return level;
}

static Node *
strip_value_preserving(Node *expr)
{
	for (;;)
	{
		if (expr && IsA(expr, RelabelType))
			expr = (Node *) ((RelabelType *) expr)->arg;
		else
		{
			Node	   *stripped = strip_implicit_coercions(expr);

			if (stripped == expr)
				return expr;
			expr = stripped;
		}
	}
}

/*
 * Resolve an expression evaluated at `level` to a column of a relation
 * node, looking through join alias variables and subquery outputs.
 */
static bool
resolve_column(AnalysisState *st, Node *expr, QueryLevel *level,
			   RelNode **node, AttrNumber *attno)
{
	Var		   *var;
	QueryLevel *target = level;
	RangeTblEntry *rte;
	Index		up;

	expr = strip_value_preserving(expr);
	if (expr == NULL || !IsA(expr, Var))
		return false;
	var = (Var *) expr;
	if (var->varattno <= 0)
		return false;
	for (up = 0; up < var->varlevelsup; up++)
	{
		target = target->parent;
		if (target == NULL)
			return false;
	}
	rte = rt_fetch(var->varno, target->query->rtable);
	switch (rte->rtekind)
	{
		case RTE_RELATION:
			*node = analyze_find_node(st, target, var->varno);
			*attno = var->varattno;
			return *node != NULL;
		case RTE_JOIN:
			if (var->varattno > list_length(rte->joinaliasvars))
				return false;
			return resolve_column(st, list_nth(rte->joinaliasvars,
											   var->varattno - 1),
								  target, node, attno);
		case RTE_SUBQUERY:
			{
				QueryLevel *sub = analyze_find_level(st, rte->subquery);
				TargetEntry *tle;

				if (sub == NULL || sub->query->setOperations != NULL)
					return false;
				tle = get_tle_by_resno(sub->query->targetList, var->varattno);
				if (tle == NULL)
					return false;
				return resolve_column(st, (Node *) tle->expr, sub, node, attno);
			}
		default:
			return false;
	}
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

static void
add_edge(AnalysisState *st, RelNode *n1, AttrNumber a1,
		 RelNode *n2, AttrNumber a2, OpExpr *op)
{
	Edge	   *edge;

	if (n1 == n2)
		return;
	edge = palloc(sizeof(Edge));
	edge->n1 = n1->id;
	edge->a1 = a1;
	edge->n2 = n2->id;
	edge->a2 = a2;
	edge->opno = op->opno;
	edge->collation = op->inputcollid;
	st->edges = lappend(st->edges, edge);
}

/* Edges from the top-level AND conjuncts of a qual evaluated at `level`. */
static void
collect_qual_edges(AnalysisState *st, Node *qual, QueryLevel *level)
{
	if (qual == NULL)
		return;
	if (IsA(qual, List))
	{
		ListCell   *lc;

		foreach(lc, (List *) qual)
			collect_qual_edges(st, lfirst(lc), level);
	}
	else if (is_andclause(qual))
		collect_qual_edges(st, (Node *) ((BoolExpr *) qual)->args, level);
	else if (IsA(qual, OpExpr) && analyze_is_equality((OpExpr *) qual))
	{
		OpExpr	   *op = (OpExpr *) qual;
		RelNode    *n1,
				   *n2;
		AttrNumber	a1,
					a2;

		if (resolve_column(st, linitial(op->args), level, &n1, &a1) &&
			resolve_column(st, lsecond(op->args), level, &n2, &a2))
			add_edge(st, n1, a1, n2, a2, op);
	}
}

static void
collect_jointree_edges(AnalysisState *st, Node *jtnode, QueryLevel *level)
{
	if (jtnode == NULL)
		return;
	if (IsA(jtnode, FromExpr))
	{
		FromExpr   *from = (FromExpr *) jtnode;
		ListCell   *lc;

		foreach(lc, from->fromlist)
			collect_jointree_edges(st, lfirst(lc), level);
		collect_qual_edges(st, from->quals, level);
	}
	else if (IsA(jtnode, JoinExpr))
	{
		JoinExpr   *join = (JoinExpr *) jtnode;

		collect_jointree_edges(st, join->larg, level);
		collect_jointree_edges(st, join->rarg, level);
		collect_qual_edges(st, join->quals, level);
	}
}

/* "x IN (SELECT y ...)" relates x and the subselect's output column. */
static void
collect_sublink_edges(AnalysisState *st, PendingSublink *pending)
{
	SubLink    *sublink = pending->sublink;
	List	   *conjuncts;
	ListCell   *lc;

	if (sublink->subLinkType != ANY_SUBLINK || sublink->testexpr == NULL)
		return;
	if (is_andclause(sublink->testexpr))
		conjuncts = ((BoolExpr *) sublink->testexpr)->args;
	else
		conjuncts = list_make1(sublink->testexpr);

	foreach(lc, conjuncts)
	{
		OpExpr	   *op = lfirst(lc);
		Node	   *inner;
		TargetEntry *tle;
		RelNode    *n1,
				   *n2;
		AttrNumber	a1,
					a2;

		if (!IsA(op, OpExpr) || !analyze_is_equality(op))
			continue;
		inner = strip_value_preserving(lsecond(op->args));
		if (!IsA(inner, Param) || ((Param *) inner)->paramkind != PARAM_SUBLINK)
			continue;
		tle = get_tle_by_resno(pending->inner->query->targetList,
							   ((Param *) inner)->paramid);
		if (tle == NULL)
			continue;
		if (resolve_column(st, linitial(op->args), pending->outer, &n1, &a1) &&
			resolve_column(st, (Node *) tle->expr, pending->inner, &n2, &a2))
			add_edge(st, n1, a1, n2, a2, op);
	}
}

/* ---------- determinism ---------- */

typedef struct DeterminismContext
{
	Oid			bad_func;
	bool		bad_sqlvalue;
} DeterminismContext;

static bool
is_time_or_session_dependent(Oid funcid)
{
	static const char *const names[] = {
		"now", "statement_timestamp", "transaction_timestamp",
		"clock_timestamp", "timeofday", "current_setting", "current_schema",
		"current_schemas", "pg_backend_pid", "inet_client_addr",
		"inet_client_port", "pg_my_temp_schema", "txid_current",
		"pg_current_xact_id", NULL
	};
	char	   *name;
	int			i;

	if (get_func_namespace(funcid) != PG_CATALOG_NAMESPACE)
		return false;
	name = get_func_name(funcid);
	if (name == NULL)
		return false;
	for (i = 0; names[i] != NULL; i++)
		if (strcmp(name, names[i]) == 0)
			return true;
	/* age(timestamp) measures against the current date */
	return strcmp(name, "age") == 0 && get_func_nargs(funcid) == 1;
}

static bool
nondeterministic_func_checker(Oid funcid, void *context)
{
	DeterminismContext *ctx = context;

	if (func_volatile(funcid) == PROVOLATILE_VOLATILE ||
		is_time_or_session_dependent(funcid) ||
		(get_func_namespace(funcid) != PG_CATALOG_NAMESPACE &&
		 func_volatile(funcid) != PROVOLATILE_IMMUTABLE))
	{
		ctx->bad_func = funcid;
		return true;
	}
	return false;
}

static bool
determinism_walker(Node *node, DeterminismContext *ctx)
{
	if (node == NULL)
		return false;
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, determinism_walker,
								 (void *) ctx, 0);
	if (IsA(node, SQLValueFunction))
	{
		ctx->bad_sqlvalue = true;
		return true;
	}
	if (IsA(node, NextValueExpr))
	{
		ctx->bad_func = F_NEXTVAL;
		return true;
	}
	if (check_functions_in_node(node, nondeterministic_func_checker, ctx))
		return true;
	return expression_tree_walker(node, determinism_walker, (void *) ctx);
}

static void
check_deterministic(AnalysisState *st, Query *query)
{
	DeterminismContext ctx = {InvalidOid, false};

	if (!determinism_walker((Node *) query, &ctx))
		return;
	if (ctx.bad_sqlvalue)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
				 errmsg("read model \"%s\" depends on the time or the session",
						st->model_name),
				 errdetail("The definition uses CURRENT_DATE, CURRENT_TIMESTAMP, CURRENT_USER or a similar SQL value function."),
				 errhint("A read model must be a function of its source tables; compute such values at query time.")));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
			 errmsg("read model \"%s\" uses function %s(), whose result can change without any change to the source tables",
					st->model_name, get_func_name(ctx.bad_func)),
			 errdetail("Functions that are volatile, depend on the time or the session, or are user-defined and not IMMUTABLE (they may read tables the read model cannot track) cannot be maintained."),
			 errhint("Inline the function's query into the definition, mark it IMMUTABLE if it only uses its arguments, or compute the value at query time.")));
}

/* ---------- shape checks ---------- */

static void
check_top_shape(AnalysisState *st, Query *query)
{
	if (query->commandType != CMD_SELECT || query->utilityStmt != NULL)
		refuse(st, "The definition is not a SELECT.", NULL);
	if (query->setOperations != NULL)
		refuse(st, "The definition's top level is a set operation (UNION, INTERSECT or EXCEPT).",
			   "Declare one read model per branch, or move the set operation into a subquery.");
	if (query->hasWindowFuncs)
		refuse(st, "The definition's top level uses window functions, so one row depends on other rows.",
			   "Compute per-entity values in correlated subqueries instead.");
	if (query->limitCount != NULL || query->limitOffset != NULL)
		refuse(st, "The definition's top level uses LIMIT or OFFSET, so a row's presence depends on other rows.",
			   "Filter with WHERE, or apply LIMIT when reading the read model.");
	if (query->distinctClause != NIL)
		refuse(st, "The definition's top level uses DISTINCT.",
			   "Each read-model row must come from one root row; use GROUP BY the root key.");
	if (query->hasTargetSRFs)
		refuse(st, "The definition's select list returns sets (set-returning functions).",
			   "Aggregate the set into an array or jsonb value.");
	if (query->groupingSets != NIL)
		refuse(st, "The definition uses GROUPING SETS, ROLLUP or CUBE.", NULL);
	if (query->rowMarks != NIL)
		refuse(st, "The definition uses FOR UPDATE or FOR SHARE.", NULL);
	if (query->jointree == NULL || query->jointree->fromlist == NIL)
		refuse(st, "The definition has no FROM clause, so it has no root table.", NULL);
}

static void
check_sources(AnalysisState *st)
{
	ListCell   *lc;

	foreach(lc, st->nodes)
	{
		RelNode    *node = lfirst(lc);
		char		relkind = get_rel_relkind(node->relid);
		const char *relname = get_rel_name(node->relid);

		if (relkind != RELKIND_RELATION)
		{
			const char *what =
				relkind == RELKIND_VIEW ? "a view" :
				relkind == RELKIND_MATVIEW ? "a materialized view" :
				relkind == RELKIND_FOREIGN_TABLE ? "a foreign table" :
				relkind == RELKIND_PARTITIONED_TABLE ? "a partitioned table" :
				"not an ordinary table";

			ereport(ERROR,
					(errcode(ERRCODE_WRONG_OBJECT_TYPE),
					 errmsg("read model \"%s\" reads \"%s\", which is %s",
							st->model_name, relname, what),
					 errdetail("Read models are maintained by triggers on the ordinary tables they read."),
					 relkind == RELKIND_VIEW ?
					 errhint("Write the view's query into the definition.") : 0));
		}
		if (get_rel_relispartition(node->relid))
			ereport(ERROR,
					(errcode(ERRCODE_WRONG_OBJECT_TYPE),
					 errmsg("read model \"%s\" reads \"%s\", which is a partition",
							st->model_name, relname),
					 errdetail("Writes made through the partitioned parent would not be captured.")));
		if (bms_is_member(0 - FirstLowInvalidHeapAttributeNumber,
						  node->rte->selectedCols))
			refuse(st, psprintf("The definition uses a whole-row reference to table %s, whose value changes when a column is added.",
								node_label(node)),
				   "List the columns, e.g. jsonb_build_object('a', t.a, 'b', t.b) instead of to_jsonb(t).");
		if (IsCatalogRelationOid(node->relid))
			ereport(ERROR,
					(errcode(ERRCODE_WRONG_OBJECT_TYPE),
					 errmsg("read model \"%s\" reads system catalog \"%s\"",
							st->model_name, relname)));
		if (get_rel_persistence(node->relid) == RELPERSISTENCE_TEMP)
			ereport(ERROR,
					(errcode(ERRCODE_WRONG_OBJECT_TYPE),
					 errmsg("read model \"%s\" reads temporary table \"%s\"",
							st->model_name, relname),
					 errdetail("A read model outlives the session that owns a temporary table.")));
		if (node->rte->inh && has_subclass(node->relid))
			refuse(st, psprintf("Table \"%s\" has inheritance children, whose changes would not be captured.", relname),
				   "Read the parent with ONLY, or read the children explicitly.");
	}
}

/* Does `node` reach its unique key through equalities with other top-level nodes? */
static bool
joined_many_to_one(AnalysisState *st, RelNode *node)
{
	Relation	rel = relation_open(node->relid, AccessShareLock);
	List	   *indexes = RelationGetIndexList(rel);
	ListCell   *lc;
	bool		found = false;

	foreach(lc, indexes)
	{
		HeapTuple	tuple = SearchSysCache1(INDEXRELID,
											ObjectIdGetDatum(lfirst_oid(lc)));
		Form_pg_index index;
		int			k;
		bool		covered = true;

		if (!HeapTupleIsValid(tuple))
			continue;
		index = (Form_pg_index) GETSTRUCT(tuple);
		if (!index->indisunique || !index->indisvalid ||
			!heap_attisnull(tuple, Anum_pg_index_indpred, NULL) ||
			!heap_attisnull(tuple, Anum_pg_index_indexprs, NULL))
			covered = false;
		for (k = 0; covered && k < index->indnkeyatts; k++)
		{
			AttrNumber	col = index->indkey.values[k];
			ListCell   *le;
			bool		equated = false;

			foreach(le, st->edges)
			{
				Edge	   *edge = lfirst(le);

				if ((edge->n1 == node->id && edge->a1 == col &&
					 node_by_id(st, edge->n2)->level == node->level) ||
					(edge->n2 == node->id && edge->a2 == col &&
					 node_by_id(st, edge->n1)->level == node->level))
					equated = true;
			}
			covered = equated;
		}
		ReleaseSysCache(tuple);
		if (covered)
		{
			found = true;
			break;
		}
	}
	relation_close(rel, AccessShareLock);
	return found;
}

/* A FROM subquery at the top level must give at most one row per outer row. */
static bool
is_single_row_subquery(Query *sub)
{
	return sub->hasAggs && sub->groupClause == NIL &&
		sub->groupingSets == NIL && !sub->hasTargetSRFs &&
		sub->setOperations == NULL;
}

static void
check_top_level_cardinality(AnalysisState *st, QueryLevel *top, RelNode *root)
{
	ListCell   *lc;

	if (top->query->groupClause != NIL)
		return;					/* grouped by the key: joins may fan out */

	foreach(lc, top->query->rtable)
	{
		RangeTblEntry *rte = lfirst(lc);

		if (rte->rtekind == RTE_FUNCTION || rte->rtekind == RTE_TABLEFUNC ||
			rte->rtekind == RTE_VALUES)
			refuse(st, psprintf("FROM item \"%s\" may return several rows per root row.",
								rte->eref->aliasname),
				   "Aggregate the set in the select list, or GROUP BY the root key.");
		if (rte->rtekind == RTE_SUBQUERY && !is_single_row_subquery(rte->subquery))
			refuse(st, psprintf("Subquery \"%s\" in FROM may return several rows per root row.",
								rte->eref->aliasname),
				   "Aggregate it (one row per root row), move it into a correlated subquery in the select list, or GROUP BY the root key.");
	}

	foreach(lc, st->nodes)
	{
		RelNode    *node = lfirst(lc);

		if (node->level != top || node == root)
			continue;
		if (!joined_many_to_one(st, node))
			refuse(st, psprintf("Table %s is not joined on a unique key, so one root row could produce several read-model rows.",
								node_label(node)),
				   "Join parents on their primary key (N:1); aggregate children in a correlated subquery, or GROUP BY the root key.");
	}
}

static RelNode *
find_root(AnalysisState *st, QueryLevel *top)
{
	Node	   *jt = linitial(top->query->jointree->fromlist);
	RelNode    *root;

	while (IsA(jt, JoinExpr))
	{
		JoinExpr   *join = (JoinExpr *) jt;

		if (join->jointype == JOIN_RIGHT || join->jointype == JOIN_FULL)
			refuse(st, "The root table (the first table in FROM) is on the nullable side of a RIGHT or FULL join.",
				   "Put the entity the read model is about first in FROM and join the rest with JOIN or LEFT JOIN.");
		jt = join->larg;
	}
	if (!IsA(jt, RangeTblRef))
		refuse(st, "The first item in FROM is not a table.", NULL);
	root = analyze_find_node(st, top, ((RangeTblRef *) jt)->rtindex);
	if (root == NULL)
		refuse(st, "The first item in FROM is not a table.",
			   "Put the entity the read model is about first in FROM.");
	return root;
}

static AttrNumber
primary_key_column(Oid relid)
{
	Relation	rel = relation_open(relid, AccessShareLock);
	Oid			pkindex = RelationGetPrimaryKeyIndex(rel);
	AttrNumber	result = InvalidAttrNumber;

	if (OidIsValid(pkindex))
	{
		HeapTuple	tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(pkindex));

		if (HeapTupleIsValid(tuple))
		{
			Form_pg_index index = (Form_pg_index) GETSTRUCT(tuple);

			if (index->indnkeyatts == 1)
				result = index->indkey.values[0];
			ReleaseSysCache(tuple);
		}
	}
	relation_close(rel, AccessShareLock);
	return result;
}

/* Is `att` of `relid` alone a unique, non-null key? */
bool
analyze_is_unique_column(Oid relid, AttrNumber att)
{
	Relation	rel = relation_open(relid, AccessShareLock);
	List	   *indexes = RelationGetIndexList(rel);
	ListCell   *lc;
	bool		result = false;

	if (!TupleDescAttr(RelationGetDescr(rel), att - 1)->attnotnull)
	{
		relation_close(rel, AccessShareLock);
		return false;
	}
	foreach(lc, indexes)
	{
		HeapTuple	tuple = SearchSysCache1(INDEXRELID,
											ObjectIdGetDatum(lfirst_oid(lc)));
		Form_pg_index index;

		if (!HeapTupleIsValid(tuple))
			continue;
		index = (Form_pg_index) GETSTRUCT(tuple);
		if (index->indisunique && index->indnkeyatts == 1 &&
			index->indkey.values[0] == att &&
			heap_attisnull(tuple, Anum_pg_index_indpred, NULL))
			result = true;
		ReleaseSysCache(tuple);
	}
	relation_close(rel, AccessShareLock);
	return result;
}

static void
find_key(AnalysisState *st, QueryLevel *top, RelNode *root,
		 const char *explicit_key, ModelAnalysis *result)
{
	AttrNumber	pk = primary_key_column(root->relid);
	const char *rootname = get_rel_name(root->relid);
	ListCell   *lc;

	foreach(lc, top->query->targetList)
	{
		TargetEntry *tle = lfirst(lc);
		RelNode    *node;
		AttrNumber	att;

		if (tle->resjunk || tle->resname == NULL)
			continue;
		if (explicit_key && strcmp(tle->resname, explicit_key) != 0)
			continue;
		if (!resolve_column(st, (Node *) tle->expr, top, &node, &att) ||
			node != root ||
			(explicit_key ? !analyze_is_unique_column(root->relid, att) : att != pk))
		{
			if (explicit_key)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
						 errmsg("key column \"%s\" of read model \"%s\" is not a unique column of root table \"%s\"",
								explicit_key, st->model_name, rootname),
						 errdetail("The key must be an output column that is a plain reference to a NOT NULL column of the root table with a single-column unique index."),
						 errhint("Name the root table's primary key column as the key.")));
			continue;
		}
		result->root_key_att = att;
		result->key_name = pstrdup(tle->resname);
		result->key_resno = tle->resno;
		result->key_type = exprType((Node *) tle->expr);
		result->key_collation = exprCollation((Node *) tle->expr);
		return;
	}

	if (explicit_key)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("key column \"%s\" is not an output column of read model \"%s\"",
						explicit_key, st->model_name)));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
			 errmsg("read model \"%s\" has no usable key", st->model_name),
			 OidIsValid(pk) ?
			 errdetail("The key is the first output column that is the primary key column \"%s\" of the root table \"%s\", and the definition does not select it.",
					   get_attname(root->relid, pk, false), rootname) :
			 errdetail("The root table \"%s\" has no single-column primary key.",
					   rootname),
			 errhint("Select the root table's primary key column, or name a unique column with options => '{\"key\": \"column\"}'.")));
}

static void
check_grouping(AnalysisState *st, QueryLevel *top, RelNode *root,
			   ModelAnalysis *result)
{
	ListCell   *lc;
	bool		has_key = false;

	if (top->query->groupClause == NIL)
		return;

	foreach(lc, top->query->groupClause)
	{
		SortGroupClause *sgc = lfirst(lc);
		TargetEntry *tle = get_sortgroupclause_tle(sgc, top->query->targetList);
		RelNode    *node;
		AttrNumber	att;

		/* root columns depend on the key; anything else may split a key */
		if (!resolve_column(st, (Node *) tle->expr, top, &node, &att) ||
			(node != root &&
			 (node->level != top || !joined_many_to_one(st, node))))
			refuse(st, "The definition groups by an expression that is not a column of the root table, so one key could give several rows.",
				   psprintf("GROUP BY the root key \"%s\" alone; PostgreSQL then lets you select the root's other columns.",
							result->key_name));
		if (att == result->root_key_att)
			has_key = true;
	}
	if (!has_key)
		refuse(st, "The definition uses GROUP BY without the key column.",
			   psprintf("GROUP BY the root key \"%s\" so that each read-model row comes from one root row.",
						result->key_name));
}

/* ---------- routes ---------- */

static char *
column_label(Oid relid, AttrNumber att)
{
	return psprintf("%s.%s", get_rel_name(relid), get_attname(relid, att, false));
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

/* A hop reading `relid` by `match_att`, with the edge's operator turned that way. */
static RouteHop *
make_hop(Oid relid, AttrNumber match_att, AttrNumber emit_att, Oid in_type,
		 Edge *edge, bool match_is_left)
{
	RouteHop   *hop = palloc0(sizeof(RouteHop));
	LockScheme *scheme;

	hop->relid = relid;
	hop->match_att = match_att;
	hop->emit_att = emit_att;
	hop->in_type = in_type;
	hop->emit_type = get_atttype(relid, emit_att);
	hop->opno = match_is_left ? edge->opno : get_commutator(edge->opno);
	if (!OidIsValid(hop->opno))
		elog(ERROR, "operator %u has no commutator", edge->opno);
	scheme = analyze_lock_scheme(match_att, hop->opno, edge->collation);
	hop->lock = *scheme;
	return hop;
}

/*
 * Breadth-first search from `start` to the root key.  Reaching a node costs
 * one read of its table; an edge that lands on the root's key column ends
 * the route without reading anything more.
 */
static SourceRoute *
find_route(AnalysisState *st, RelNode *start, RelNode *root, AttrNumber key_att)
{
	int			nnodes = list_length(st->nodes);
	int		   *dist = palloc(sizeof(int) * nnodes);
	Edge	  **via = palloc0(sizeof(Edge *) * nnodes);
	int		   *queue = palloc(sizeof(int) * nnodes);
	int			head = 0,
				tail = 0;
	int			end = -1;
	Edge	   *final_edge = NULL;
	List	   *path = NIL;
	SourceRoute *route = palloc0(sizeof(SourceRoute));
	StringInfoData desc;
	int			i;

	for (i = 0; i < nnodes; i++)
		dist[i] = -1;
	dist[start->id] = 0;
	queue[tail++] = start->id;

	while (head < tail && end < 0)
	{
		int			current = queue[head++];
		ListCell   *lc;

		if (current == root->id)
		{
			end = current;
			break;
		}
		foreach(lc, st->edges)
		{
			Edge	   *edge = lfirst(lc);
			int			other;
			AttrNumber	other_att;

			if (edge->n1 == current)
				other = edge->n2, other_att = edge->a2;
			else if (edge->n2 == current)
				other = edge->n1, other_att = edge->a1;
			else
				continue;
			/* the edge lands on the key; values of another type need a read */
			if (other == root->id && other_att == key_att &&
				get_atttype(node_by_id(st, current)->relid,
							edge->n1 == current ? edge->a1 : edge->a2) ==
				get_atttype(root->relid, key_att) &&
				edge->opno == lookup_type_cache(get_atttype(root->relid, key_att),
												TYPECACHE_EQ_OPR)->eq_opr)
			{
				end = current;
				final_edge = edge;
				break;
			}
			if (dist[other] < 0)
			{
				dist[other] = dist[current] + 1;
				via[other] = edge;
				queue[tail++] = other;
			}
		}
	}
	if (end < 0)
		return NULL;

	/* walk back from the end to the start */
	for (i = end; i != start->id;)
	{
		Edge	   *edge = via[i];

		path = lcons(edge, path);
		i = (edge->n1 == i) ? edge->n2 : edge->n1;
	}

	initStringInfo(&desc);
	if (path == NIL)
	{
		/* the changed row itself carries the key */
		Edge	   *edge = final_edge;

		route->start_att = final_edge ?
			(edge->n1 == start->id ? edge->a1 : edge->a2) : key_att;
		appendStringInfo(&desc, "%s", column_label(start->relid, route->start_att));
	}
	else
	{
		ListCell   *lc;
		int			at = start->id;
		Oid			in_type = InvalidOid;

		foreach(lc, path)
		{
			Edge	   *edge = lfirst(lc);
			bool		forward = (edge->n1 == at);
			AttrNumber	from_att = forward ? edge->a1 : edge->a2;
			int			next = forward ? edge->n2 : edge->n1;
			AttrNumber	match_att = forward ? edge->a2 : edge->a1;
			RelNode    *next_node = node_by_id(st, next);
			AttrNumber	emit_att;
			ListCell   *after = lnext(path, lc);

			if (lc == list_head(path))
			{
				route->start_att = from_att;
				in_type = get_atttype(start->relid, from_att);
				appendStringInfo(&desc, "%s", column_label(start->relid, from_att));
			}
			if (after != NULL)
			{
				Edge	   *out = lfirst(after);

				emit_att = (out->n1 == next) ? out->a1 : out->a2;
			}
			else if (final_edge != NULL)
				emit_att = (final_edge->n1 == next) ? final_edge->a1 : final_edge->a2;
			else
				emit_att = key_att;	/* read the root itself */
			route->hops = lappend(route->hops,
								  make_hop(next_node->relid, match_att, emit_att,
										   in_type, edge, !forward));
			appendStringInfo(&desc, " -> %s", column_label(next_node->relid, match_att));
			if (emit_att != match_att)
				appendStringInfo(&desc, " (%s)", get_attname(next_node->relid, emit_att, false));
			in_type = get_atttype(next_node->relid, emit_att);
			at = next;
		}
	}
	appendStringInfoString(&desc, " -> key");
	route->start_type = get_atttype(start->relid, route->start_att);
	route->description = desc.data;
	return route;
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
build_routes(AnalysisState *st, RelNode *root, ModelAnalysis *result)
{
	ListCell   *lc;

	foreach(lc, st->nodes)
	{
		RelNode    *node = lfirst(lc);
		ModelSource *source = source_for(&result->sources, node->relid);
		SourceRoute *route;
		ListCell   *lh;

		source->read_cols = bms_union(source->read_cols, node->rte->selectedCols);

		route = find_route(st, node, root, result->root_key_att);
		if (route == NULL)
			refuse(st,
				   psprintf("Table %s is not connected to the root table \"%s\" by equality conditions.",
							node_label(node), get_rel_name(root->relid)),
				   "Changes are mapped to read-model rows by following conditions like a.x = b.y to the root's key; join or correlate every table that way.");
		route->in_subquery = !node->level->toplevel;
		source->routes = lappend(source->routes, route);
		foreach(lh, route->hops)
		{
			RouteHop   *hop = lfirst(lh);

			result->lock_relids = lappend_oid(result->lock_relids, hop->relid);
			result->lock_schemes = lappend(result->lock_schemes, &hop->lock);
		}
	}

	foreach(lc, st->edges)
	{
		Edge	   *edge = lfirst(lc);

		result->edge_relids = lappend_oid(result->edge_relids,
										  node_by_id(st, edge->n1)->relid);
		result->edge_attnos = lappend_int(result->edge_attnos, edge->a1);
		result->edge_relids = lappend_oid(result->edge_relids,
										  node_by_id(st, edge->n2)->relid);
		result->edge_attnos = lappend_int(result->edge_attnos, edge->a2);
	}
}

/*
 * Analyse a read model definition.  Errors out, saying which construct and
 * why, when the definition cannot be maintained incrementally.
 */
ModelAnalysis *
readmodel_analyze(Query *query, Oid viewid, const char *explicit_key,
				  const char *model_name, Oid owner)
{
	AnalysisState st;
	QueryLevel *top;
	RelNode    *root;
	ModelAnalysis *result = palloc0(sizeof(ModelAnalysis));
	ListCell   *lc;

	memset(&st, 0, sizeof(st));
	st.model_name = model_name;
	st.viewid = viewid;

	check_top_shape(&st, query);
	check_deterministic(&st, query);
	top = walk_query(&st, query, NULL, true);
	foreach(lc, st.levels)
	{
		QueryLevel *level = lfirst(lc);

		collect_jointree_edges(&st, (Node *) level->query->jointree, level);
	}
	foreach(lc, st.sublinks)
		collect_sublink_edges(&st, lfirst(lc));

	check_sources(&st);
	root = find_root(&st, top);
	result->root_relid = root->relid;
	find_key(&st, top, root, explicit_key, result);
	check_grouping(&st, top, root, result);
	check_top_level_cardinality(&st, top, root);
	build_routes(&st, root, result);
	analyze_patches(&st, top, root, result);
	result->range_tables = st.rtes;
	return result;
}
