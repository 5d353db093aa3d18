/*-------------------------------------------------------------------------
 *
 * analyze.c
 *	  Turn a read model's analyzed Query into what maintenance needs, or
 *	  refuse it.
 *
 * The soundness rule (docs/architecture.md): for every change of any
 * source row, every model key whose value can change is among the keys the
 * routes compute from that row's old and new values.  The analyzer proves
 * it for a definition by construction:
 *
 *	0. analyze_expand.c expands views, WITH queries and plain subqueries in
 *	   FROM as the planner does, so they are analysed as what they read;
 *	1. analyze_walk.c visits every query level and expression and accepts
 *	   only the constructs proven sound at their position (an allow-list);
 *	   functions must be deterministic and owned by roles the model's owner
 *	   trusts (analyze_functions.c);
 *	2. analyze_edges.c collects the equalities that hold in every row
 *	   combination that contributes, and the direction they may be used in;
 *	3. analyze_key.c finds the root and the key, and checks that each key
 *	   is one output row (grouping, N:1 joins, subqueries of at most one row);
 *	4. analyze_order.c checks that every result that depends on row order
 *	   (ordered aggregates, LIMIT, DISTINCT ON) has an order determined by
 *	   unique keys, so the definition is a function of its tables;
 *	5. every source occurrence gets a route of equalities to the key; a
 *	   table with none is refused, or, if the model was declared with
 *	   options strategy "refresh", rebuilds the whole model by diff when it
 *	   changes.
 *
 * Every refusal names the construct and where it is, with a hint.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/lsyscache.h"

#include "analysis.h"
#include "analyze_int.h"
#include "delta.h"
#include "keys.h"

void
analyze_refuse(AnalysisState *st, const char *detail, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("read model \"%s\" cannot be maintained incrementally",
					st->model_name),
			 errdetail_internal("%s", detail),
			 hint ? errhint("%s", hint) : 0));
}

const char *
analyze_position_name(QueryLevel *level)
{
	switch (level->position)
	{
		case POS_TOP:
			return "the definition's top level";
		case POS_FROM:
			return "a subquery in FROM";
		case POS_SELECT:
			return "a subquery in a select list";
		case POS_WHERE:
			return "a subquery in WHERE";
		case POS_JOIN_ON:
			return "a subquery in JOIN ... ON";
		case POS_HAVING:
			return "a subquery in HAVING";
		case POS_AGGREGATE:
			return "a subquery in an aggregate's argument";
		case POS_RECURSIVE:
			return "a WITH RECURSIVE query";
		case POS_OTHER:
			break;
	}
	return "a subquery in GROUP BY or ORDER BY";
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

RelNode *
analyze_node(AnalysisState *st, int id)
{
	return (RelNode *) list_nth(st->nodes, id);
}

/* The top level a level belongs to (a UNION ALL has one per branch). */
QueryLevel *
analyze_level_top(QueryLevel *level)
{
	while (level->parent != NULL)
		level = level->parent;
	return level;
}

const char *
analyze_node_label(RelNode *node)
{
	const char *relname = get_rel_name(node->relid);
	const char *alias = node->rte->eref->aliasname;

	if (alias && strcmp(alias, relname) != 0)
		return psprintf("%s (alias %s)", relname, alias);
	return relname;
}

/* A UNION ALL: its key is found, not named; a named one must be it. */
static void
analyze_union_key(AnalysisState *st, Query *query, const char *explicit_key,
				  ModelAnalysis *result)
{
	analyze_union(st, query, explicit_key, result);
	if (explicit_key != NULL &&
		strcmp(readmodel_key_spelling(readmodel_key_parse(explicit_key)),
			   result->key_name) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
				 errmsg("the key of read model \"%s\" is %s", st->model_name, result->key_name),
				 errdetail("The key of a UNION ALL is its branch tag and its branches' keys."),
				 errhint("Leave out options->'key', or name those columns.")));
}

/*
 * Analyse a read model definition for `owner`.  Errors out, saying which
 * construct and why, when the definition cannot be maintained exactly.
 */
ModelAnalysis *
readmodel_analyze(Query *query, Oid viewid, const char *explicit_key,
				  const char *model_name, Oid owner, bool refresh_strategy)
{
	AnalysisState st;
	QueryLevel *top;
	RelNode    *root;
	ModelAnalysis *result = palloc0(sizeof(ModelAnalysis));
	bool		grouped;

	memset(&st, 0, sizeof(st));
	st.model_name = model_name;
	st.refresh_strategy = refresh_strategy;
	st.viewid = viewid;
	st.owner = owner;

	query = analyze_expand(&st, query);
	if (query->setOperations != NULL)
		analyze_union_key(&st, query, explicit_key, result);
	else
	{
		top = analyze_walk(&st, query);
		analyze_collect_edges(&st);
		root = analyze_find_root(&st, top);
		result->root_relid = root->relid;
		root = analyze_find_key(&st, top, root, explicit_key, result);
		grouped = analyze_check_grouping(&st, top, root, result);
		analyze_check_cardinality(&st, top, root);
		analyze_check_orders(&st, top, root, grouped && result->key_unique);
		analyze_window(&st, top, root, result);
		analyze_build_routes(&st, top, root, result);

		/*
		 * A group's copied values come from one of its rows, and patches
		 * find their rows by one key column: recompute those models.
		 */
		if (result->key_unique && list_length(result->key_columns) == 1 &&
			result->unit_columns == NIL)
			analyze_patches(&st, top, root, result);
		result->delta = analyze_delta(top, root, result);
	}
	result->range_tables = st.rtes;
	result->functions = st.functions;
	result->types = st.types;
	result->views = st.views;
	return result;
}
