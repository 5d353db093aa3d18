/*-------------------------------------------------------------------------
 *
 * analyze_walk.c
 *	  The allow-list walk: every query level of a definition and every
 *	  expression in it is visited, and only the constructs proven sound at
 *	  their position are accepted.  Anything else is refused, naming the
 *	  construct and where it is.
 *
 * Query levels (docs/architecture.md has the table):
 *	- at the top level: FROM tables, joins and subqueries, WHERE, GROUP BY
 *	  (checked against the key in analyze_key.c), HAVING, aggregates;
 *	- in a subquery (FROM, select list, WHERE, ON, HAVING, aggregate
 *	  arguments) also DISTINCT, DISTINCT ON and LIMIT/OFFSET with constant
 *	  counts (their order must be determined: analyze_order.c), functions
 *	  and VALUES in FROM;
 *	  (views, WITH queries and plain subqueries in FROM were expanded
 *	  before the walk: analyze_expand.c);
 *	- at the top level, window functions (analyze_window.c);
 *	- nowhere: set operations (but a top-level UNION ALL, analyze_union.c),
 *	  WITH RECURSIVE, window functions below the top level, set-returning
 *	  functions in a select list, grouping sets, FOR UPDATE, TABLESAMPLE,
 *	  system columns, whole-row references.
 * Expressions: column references, constants, operators and functions
 * that are deterministic and trusted (analyze_functions.c), CASE,
 * COALESCE, NULLIF, GREATEST/LEAST, IS [NOT] NULL, boolean tests, casts,
 * arrays, rows, field selection, subscripts, collations, domain coercions,
 * aggregates, and sublinks (EXISTS, IN/ANY, ALL, scalar, ARRAY, row
 * comparison).  Nothing else.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/catalog.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "optimizer/clauses.h"
#include "utils/lsyscache.h"

#include "analyze_int.h"

typedef struct WalkContext
{
	AnalysisState *st;
	QueryLevel *level;
	LevelPosition position;		/* of sublinks met here */
} WalkContext;

static QueryLevel *walk_level(AnalysisState *st, Query *query,
							  QueryLevel *parent, LevelPosition position,
							  SubLinkType sublink_type, Index parent_rtindex);
static bool check_expr(Node *node, WalkContext *ctx);

/* "The definition's top level uses <what>." */
static char *
uses(QueryLevel *level, const char *what)
{
	char	   *sentence = psprintf("%s uses %s.", analyze_position_name(level), what);

	sentence[0] = pg_toupper((unsigned char) sentence[0]);
	return sentence;
}

static void
refuse_at(AnalysisState *st, QueryLevel *level, const char *what,
		  const char *hint)
{
	analyze_refuse(st, uses(level, what), hint);
}

/* A LIMIT or OFFSET count: constants and casts of constants only. */
static bool
constant_count(Node *count)
{
	if (count == NULL || IsA(count, Const))
		return true;
	count = eval_const_expressions(NULL, count);
	return IsA(count, Const);
}

/* A table cannot have a column of an anonymous record type. */
static void
check_output_types(AnalysisState *st, Query *q)
{
	ListCell   *lc;

	foreach(lc, q->targetList)
	{
		TargetEntry *tle = lfirst(lc);

		if (!tle->resjunk && exprType((Node *) tle->expr) == RECORDOID)
			analyze_refuse(st, psprintf("Output column \"%s\" is an anonymous record (ROW(...)), which a table column cannot hold.",
										tle->resname ? tle->resname : "?"),
						   "Select its fields as columns of their own, or make it a document (jsonb_build_object(...)).");
	}
}

/* The query-level constructs allowed at this level's position. */
static void
check_level(AnalysisState *st, QueryLevel *level)
{
	Query	   *q = level->query;
	bool		top = (level->position == POS_TOP);

	if (q->commandType != CMD_SELECT || q->utilityStmt != NULL)
		refuse_at(st, level, "a statement that is not a SELECT", NULL);
	/* a recursive query is a set operation, kept under strategy refresh */
	if (q->setOperations != NULL && level->position != POS_RECURSIVE)
		refuse_at(st, level, "a set operation (UNION, INTERSECT or EXCEPT)",
				  "In a subquery, write one subquery per branch and combine their values ((SELECT count(*) FROM a ...) + (SELECT count(*) FROM b ...)); at the top level, a UNION ALL with a column that tells the branches apart is accepted.");
	if (q->hasWindowFuncs && !top)
		refuse_at(st, level, "window functions, so a row depends on other rows",
				  "Compute per-entity values with correlated subqueries (count(*), max(...), ORDER BY ... LIMIT 1).");
	if (q->hasTargetSRFs)
		refuse_at(st, level, "set-returning functions in a select list",
				  "Aggregate the set into an array or jsonb value.");
	if (q->groupingSets != NIL)
		refuse_at(st, level, "GROUPING SETS, ROLLUP, CUBE or GROUP BY ()",
				  "Declare one read model per grouping (GROUP BY o.region, o.status; GROUP BY o.region), and add up a grand total when reading (SELECT sum(n) FROM ...).");
	if (q->rowMarks != NIL)
		refuse_at(st, level, "FOR UPDATE or FOR SHARE",
				  "Leave the locking clause out: a definition only reads.");
	if (top && (q->limitCount != NULL || q->limitOffset != NULL))
		refuse_at(st, level, "LIMIT or OFFSET, so a row's presence depends on other rows",
				  "Filter with WHERE, or apply LIMIT when reading the read model.");
	if (top && (q->jointree == NULL || q->jointree->fromlist == NIL))
		analyze_refuse(st, "The definition has no FROM clause, so it has no root table.",
					   "Read a table: the first table in FROM is the root, and the model's rows come from its rows.");
	if (!constant_count(q->limitCount) || !constant_count(q->limitOffset))
		refuse_at(st, level, "LIMIT or OFFSET with a count that is not a constant",
				  "Use a constant count (LIMIT 5).");
	if (top)
		check_output_types(st, q);
}

static const char *
relkind_name(char relkind)
{
	switch (relkind)
	{
		case RELKIND_VIEW:
			return "a view";
		case RELKIND_MATVIEW:
			return "a materialized view";
		case RELKIND_FOREIGN_TABLE:
			return "a foreign table";
		case RELKIND_PARTITIONED_TABLE:
			return "a partitioned table";
		default:
			return "not an ordinary table";
	}
}

/* Every partition must be an ordinary table: its writes fire our triggers. */
static void
check_partitions(AnalysisState *st, Oid relid)
{
	ListCell   *lc;

	foreach(lc, find_all_inheritors(relid, NoLock, NULL))
	{
		char		kind = get_rel_relkind(lfirst_oid(lc));

		if (kind != RELKIND_RELATION && kind != RELKIND_PARTITIONED_TABLE)
			ereport(ERROR,
					(errcode(ERRCODE_WRONG_OBJECT_TYPE),
					 errmsg("read model \"%s\" reads \"%s\", whose partition \"%s\" is %s",
							st->model_name, get_rel_name(relid),
							get_rel_name(lfirst_oid(lc)), relkind_name(kind)),
					 errdetail("Writes to it are not captured by triggers on this server."),
					 errhint("Keep every partition of a table read models read an ordinary table.")));
	}
}

/*
 * Only ordinary or partitioned, permanent, user tables whose every change
 * is captured (a partitioned table's partitions capture for it:
 * partitions.h).
 */
static void
check_source(AnalysisState *st, RangeTblEntry *rte)
{
	char		relkind = get_rel_relkind(rte->relid);
	const char *relname = get_rel_name(rte->relid);

	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("read model \"%s\" reads \"%s\", which is %s",
						st->model_name, relname, relkind_name(relkind)),
				 errdetail("Read models are maintained by triggers on the ordinary tables they read."),
				 relkind == RELKIND_MATVIEW ?
				 errhint("Read the tables it is made from, or declare its query as a read model, which is maintained without REFRESH.") :
				 errhint("Read the ordinary tables it is made from.")));
	if (get_rel_relispartition(rte->relid))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("read model \"%s\" reads \"%s\", which is a partition",
						st->model_name, relname),
				 errdetail("Writes made through the partitioned parent would not be captured."),
				 errhint("Read the partitioned table, with a WHERE condition on its partition key if only some rows are wanted.")));
	if (IsCatalogRelationOid(rte->relid))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("read model \"%s\" reads system catalog \"%s\"",
						st->model_name, relname),
				 errdetail("Changes to the system catalogs are not captured."),
				 errhint("Read tables of your own; copy what you need from the catalog into one.")));
	if (get_rel_persistence(rte->relid) == RELPERSISTENCE_TEMP)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("read model \"%s\" reads temporary table \"%s\"",
						st->model_name, relname),
				 errdetail("A read model outlives the session that owns a temporary table.")));
	if (rte->inh && relkind == RELKIND_RELATION && has_subclass(rte->relid))
		analyze_refuse(st, psprintf("Table \"%s\" has inheritance children, whose changes would not be captured.", relname),
					   "Read the parent with ONLY, or read the children explicitly.");
	if (rte->tablesample != NULL)
		analyze_refuse(st, psprintf("Table \"%s\" is read with TABLESAMPLE, which picks rows at random.", relname),
					   "Read the whole table.");
	if (relkind == RELKIND_PARTITIONED_TABLE)
		check_partitions(st, rte->relid);
}

static void
add_node(AnalysisState *st, QueryLevel *level, Index rtindex, RangeTblEntry *rte)
{
	RelNode    *node = palloc0(sizeof(RelNode));

	check_source(st, rte);
	node->id = list_length(st->nodes);
	node->relid = rte->relid;
	node->level = level;
	node->rtindex = rtindex;
	node->rte = rte;
	st->nodes = lappend(st->nodes, node);
	st->rtes = lappend(st->rtes, rte);
}

static void
walk_range_table(AnalysisState *st, QueryLevel *level)
{
	WalkContext ctx = {st, level, POS_OTHER};
	ListCell   *lc;
	Index		rtindex = 0;

	foreach(lc, level->query->rtable)
	{
		RangeTblEntry *rte = lfirst(lc);

		rtindex++;
		switch (rte->rtekind)
		{
			case RTE_RELATION:
				if (rte->relid != st->viewid)
					add_node(st, level, rtindex, rte);
				break;
			case RTE_SUBQUERY:
				walk_level(st, rte->subquery, level, POS_FROM, EXPR_SUBLINK, rtindex);
				break;
			case RTE_JOIN:
			case RTE_RESULT:
				break;
			case RTE_CTE:
				/* only recursive ones are left, read as a set of rows */
				if (!rte->self_reference && level->position == POS_TOP &&
					level->query->groupClause == NIL)
					analyze_refuse(st, psprintf("WITH RECURSIVE query \"%s\" in FROM may return several rows per root row.",
												rte->eref->aliasname),
								   "Aggregate its rows in a correlated subquery in the select list.");
				break;
			case RTE_FUNCTION:
			case RTE_VALUES:
				/* grouped by the key, its rows are aggregated */
				if (level->position == POS_TOP && level->query->groupClause == NIL)
					analyze_refuse(st, psprintf("FROM item \"%s\" may return several rows per root row.",
												rte->eref->aliasname),
								   "Aggregate the set in the select list, or GROUP BY the root key.");
				if (rte->rtekind == RTE_FUNCTION)
					(void) check_expr((Node *) rte->functions, &ctx);
				else
					(void) check_expr((Node *) rte->values_lists, &ctx);
				break;
			default:
				refuse_at(st, level, psprintf("FROM item \"%s\", which is not a table or a subquery",
											  rte->eref->aliasname), NULL);
		}
	}
}

static void
check_sublink(SubLink *sublink, WalkContext *ctx, bool positive)
{
	PendingSublink *pending;

	if (sublink->subLinkType == MULTIEXPR_SUBLINK ||
		sublink->subLinkType == CTE_SUBLINK)
		refuse_at(ctx->st, ctx->level, "a kind of subquery that is not supported", NULL);
	(void) check_expr(sublink->testexpr, ctx);
	pending = palloc0(sizeof(PendingSublink));
	pending->sublink = sublink;
	pending->outer = ctx->level;
	pending->positive = positive;
	pending->inner = walk_level(ctx->st, (Query *) sublink->subselect, ctx->level,
								ctx->position,
								sublink->subLinkType, 0);
	ctx->st->sublinks = lappend(ctx->st->sublinks, pending);
}

/* The level whose rows an aggregate aggregates. */
static QueryLevel *
aggregate_level(QueryLevel *level, Index levelsup)
{
	while (levelsup-- > 0 && level != NULL)
		level = level->parent;
	return level;
}

static void
check_aggref(Aggref *aggref, WalkContext *ctx)
{
	PendingAggregate *pending = palloc0(sizeof(PendingAggregate));
	WalkContext inner = *ctx;

	analyze_check_aggregate(ctx->st, aggref);
	pending->aggref = aggref;
	pending->level = aggregate_level(ctx->level, aggref->agglevelsup);
	ctx->st->aggregates = lappend(ctx->st->aggregates, pending);
	inner.position = POS_AGGREGATE;
	(void) check_expr((Node *) aggref->aggdirectargs, &inner);
	(void) check_expr((Node *) aggref->args, &inner);
	(void) check_expr((Node *) aggref->aggfilter, &inner);
}

static void
check_var(Var *var, WalkContext *ctx)
{
	if (var->varattno < 0)
		refuse_at(ctx->st, ctx->level, "a system column (ctid, xmin, tableoid, ...), which changes without the row's values changing",
				  "Read only user columns.");
	if (var->varattno == 0)
		refuse_at(ctx->st, ctx->level, "a whole-row reference, whose value changes when a column is added",
				  "List the columns, e.g. jsonb_build_object('a', t.a, 'b', t.b) instead of to_jsonb(t).");
	analyze_check_type(ctx->st, var->vartype);
}

/*
 * A window function, at the top level only (analyze_window.c checks its
 * partitions and order): a built-in one, as a user-defined aggregate's
 * support functions are not checked here.
 */
static bool
check_window_function(WindowFunc *wfunc, WalkContext *ctx)
{
	if (ctx->level->position != POS_TOP)
		return false;
	if (wfunc->winfnoid >= FirstNormalObjectId)
		refuse_at(ctx->st, ctx->level, psprintf("the user-defined window function %s()",
												get_func_name(wfunc->winfnoid)),
				  "Use a built-in window function, or compute the value with a correlated subquery.");
	analyze_check_function(ctx->st, wfunc->winfnoid, list_length(wfunc->args), wfunc->args);
	return true;
}

/* Operators and functions of one expression node; true when handled. */
static bool
check_callable(Node *node, WalkContext *ctx)
{
	AnalysisState *st = ctx->st;

	switch (nodeTag(node))
	{
		case T_FuncExpr:
			analyze_check_function(st, ((FuncExpr *) node)->funcid,
								   list_length(((FuncExpr *) node)->args),
								   ((FuncExpr *) node)->args);
			return true;
		case T_OpExpr:
		case T_DistinctExpr:
		case T_NullIfExpr:
			analyze_check_operator(st, ((OpExpr *) node)->opno);
			return true;
		case T_ScalarArrayOpExpr:
			analyze_check_operator(st, ((ScalarArrayOpExpr *) node)->opno);
			return true;
		case T_RowCompareExpr:
			{
				ListCell   *lc;

				foreach(lc, ((RowCompareExpr *) node)->opnos)
					analyze_check_operator(st, lfirst_oid(lc));
				return true;
			}
		case T_CoerceViaIO:
			analyze_check_rendered(st, (Node *) ((CoerceViaIO *) node)->arg);
			analyze_check_type(st, ((CoerceViaIO *) node)->resulttype);
			analyze_check_text_input(st, ((CoerceViaIO *) node)->resulttype);
			return true;
		case T_CoerceToDomain:
			analyze_check_type(st, ((CoerceToDomain *) node)->resulttype);
			return true;
		case T_MinMaxExpr:
			analyze_check_type(st, ((MinMaxExpr *) node)->minmaxtype);
			return true;
		case T_WindowFunc:
			return check_window_function((WindowFunc *) node, ctx);
		default:
			return false;
	}
}

/* Nodes that need no check of their own; their children are walked. */
static bool
is_plain_node(Node *node)
{
	switch (nodeTag(node))
	{
		case T_List:
		case T_TargetEntry:
		case T_Const:
		case T_Param:
		case T_BoolExpr:
		case T_CaseExpr:
		case T_CaseWhen:
		case T_CaseTestExpr:
		case T_CoalesceExpr:
		case T_NullTest:
		case T_BooleanTest:
		case T_RelabelType:
		case T_ArrayCoerceExpr:
		case T_ConvertRowtypeExpr:
		case T_CollateExpr:
		case T_ArrayExpr:
		case T_RowExpr:
		case T_FieldSelect:
		case T_SubscriptingRef:
		case T_CoerceToDomainValue:
		case T_SortGroupClause:
		case T_RangeTblFunction:
			return true;
		default:
			return false;
	}
}

static const char *
refused_expression(Node *node)
{
	switch (nodeTag(node))
	{
		case T_SQLValueFunction:
			return "CURRENT_DATE, CURRENT_USER or a similar SQL value function, which depends on the time or the session";
		case T_NextValueExpr:
			return "a sequence's next value, which changes on every call";
		case T_WindowFunc:
			return "a window function";
		case T_GroupingFunc:
			return "GROUPING()";
		case T_XmlExpr:
			return "an XML expression";
		default:
			return psprintf("an expression of a kind that is not supported (node %d)",
							(int) nodeTag(node));
	}
}

static bool
check_expr(Node *node, WalkContext *ctx)
{
	if (node == NULL)
		return false;
	if (IsA(node, Var))
	{
		check_var((Var *) node, ctx);
		analyze_check_text_search(ctx->st, node);
		return false;
	}
	if (IsA(node, SubLink))
	{
		check_sublink((SubLink *) node, ctx, false);
		return false;
	}
	if (IsA(node, Aggref))
	{
		check_aggref((Aggref *) node, ctx);
		return false;
	}
	if (IsA(node, Query))
		refuse_at(ctx->st, ctx->level, "a subquery in an unexpected place", NULL);
	if (IsA(node, SQLValueFunction) || IsA(node, NextValueExpr))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
				 errmsg("read model \"%s\" depends on the time or the session",
						ctx->st->model_name),
				 errdetail_internal("%s", uses(ctx->level, refused_expression(node))),
				 errhint("A read model must be a function of its source tables; compute such values at query time.")));
	if (!check_callable(node, ctx) && !is_plain_node(node))
		refuse_at(ctx->st, ctx->level, refused_expression(node), NULL);
	if (IsA(node, Const))
	{
		analyze_check_type(ctx->st, ((Const *) node)->consttype);
		analyze_check_text_search(ctx->st, node);
	}
	return expression_tree_walker(node, check_expr, (void *) ctx);
}

/*
 * A qual: its top-level AND conditions that are sublinks are positive (a
 * false or unknown result drops the row), which lets "x IN (SELECT y)" be
 * read as an equality (analyze_edges.c).
 */
static void
check_qual(Node *qual, WalkContext *ctx, bool positive)
{
	if (qual == NULL)
		return;
	if (IsA(qual, List))
	{
		ListCell   *lc;

		foreach(lc, (List *) qual)
			check_qual(lfirst(lc), ctx, positive);
	}
	else if (is_andclause(qual))
		check_qual((Node *) ((BoolExpr *) qual)->args, ctx, positive);
	else if (IsA(qual, SubLink))
		check_sublink((SubLink *) qual, ctx, positive);
	else
		(void) check_expr(qual, ctx);
}

static void
walk_jointree(Node *jt, WalkContext *ctx)
{
	if (jt == NULL)
		return;
	if (IsA(jt, FromExpr))
	{
		ListCell   *lc;

		foreach(lc, ((FromExpr *) jt)->fromlist)
			walk_jointree(lfirst(lc), ctx);
		ctx->position = POS_WHERE;
		check_qual(((FromExpr *) jt)->quals, ctx, true);
	}
	else if (IsA(jt, JoinExpr))
	{
		JoinExpr   *join = (JoinExpr *) jt;

		walk_jointree(join->larg, ctx);
		walk_jointree(join->rarg, ctx);
		ctx->position = POS_JOIN_ON;
		check_qual(join->quals, ctx, join->jointype == JOIN_INNER);
	}
}

static void
walk_expressions(AnalysisState *st, QueryLevel *level)
{
	WalkContext ctx = {st, level, POS_SELECT};
	Query	   *q = level->query;

	(void) check_expr((Node *) q->targetList, &ctx);
	walk_jointree((Node *) q->jointree, &ctx);
	ctx.position = POS_HAVING;
	check_qual(q->havingQual, &ctx, false);
}

/* The WITH RECURSIVE queries left by the expansion (strategy refresh). */
static void
walk_recursive_queries(AnalysisState *st, QueryLevel *level)
{
	ListCell   *lc;

	foreach(lc, level->query->cteList)
		(void) walk_level(st, castNode(Query, ((CommonTableExpr *) lfirst(lc))->ctequery),
						  level, POS_RECURSIVE, EXPR_SUBLINK, 0);
}

/*
 * Register a query level: check its constructs, its relations become
 * nodes, its subqueries and sublinks are walked.  Edges are collected
 * later, once every level exists.
 */
static QueryLevel *
walk_level(AnalysisState *st, Query *query, QueryLevel *parent,
		   LevelPosition position, SubLinkType sublink_type,
		   Index parent_rtindex)
{
	QueryLevel *level = palloc0(sizeof(QueryLevel));

	level->query = query;
	level->parent = parent;
	level->position = position;
	level->sublink_type = sublink_type;
	level->parent_rtindex = parent_rtindex;
	st->levels = lappend(st->levels, level);
	check_level(st, level);
	walk_range_table(st, level);
	walk_expressions(st, level);
	walk_recursive_queries(st, level);
	return level;
}

QueryLevel *
analyze_walk(AnalysisState *st, Query *query)
{
	return walk_level(st, query, NULL, POS_TOP, EXPR_SUBLINK, 0);
}
