/*-------------------------------------------------------------------------
 *
 * analyze_key.c
 *	  The root table, the key, and that each key is one output row.
 *
 * The root is the first table in FROM, the key its primary key (or a
 * unique NOT NULL column named with options->'key') selected as an output
 * column, or else the one column of the root the top level groups by
 * (GROUP BY, DISTINCT, DISTINCT ON): then each key is a group of root rows,
 * and the column must be NOT NULL and of an equal-image type.  With a
 * unique key, each root row is one read-model row: either the definition is
 * grouped by the key (then other grouping columns must be the root's or
 * those of tables joined to it N:1), or every other table at the top level
 * is joined N:1 (on a unique key, directly or through other N:1 tables) and
 * every subquery in FROM gives at most one row per root row (an aggregate
 * without GROUP BY, LIMIT 1, or joined on the columns it is grouped,
 * DISTINCT or unique by).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "catalog/pg_index.h"
#include "nodes/nodeFuncs.h"
#include "parser/parsetree.h"
#include "optimizer/optimizer.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "analyze_int.h"

RelNode *
analyze_find_root(AnalysisState *st, QueryLevel *top)
{
	Node	   *jt = linitial(top->query->jointree->fromlist);
	RelNode    *root;

	/* a view or subquery first in FROM has been pulled up: look inside */
	while (IsA(jt, JoinExpr) || IsA(jt, FromExpr))
	{
		JoinExpr   *join = (JoinExpr *) jt;

		if (IsA(jt, FromExpr))
		{
			jt = linitial(((FromExpr *) jt)->fromlist);
			continue;
		}
		if (join->jointype == JOIN_RIGHT || join->jointype == JOIN_FULL)
			analyze_refuse(st, "The root table (the first table in FROM) is on the nullable side of a FULL join.",
						   "Put the entity the read model is about first in FROM and join the rest with JOIN or LEFT JOIN.");
		jt = join->larg;
	}
	if (!IsA(jt, RangeTblRef) ||
		(root = analyze_find_node(st, top, ((RangeTblRef *) jt)->rtindex)) == NULL)
		analyze_refuse(st, "The first item in FROM is not a table.",
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

static void
refuse_no_key(AnalysisState *st, RelNode *root, const char *explicit_key,
			  AttrNumber pk)
{
	const char *rootname = get_rel_name(root->relid);

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
			 errhint("Select the root table's primary key column, name a unique column with options => '{\"key\": \"column\"}', or GROUP BY one column of the root table.")));
}

/* Is a NULL root `att` excluded by a top-level WHERE condition? */
static bool
filtered_not_null(QueryLevel *top, RelNode *root, AttrNumber att)
{
	Node	   *quals = top->query->jointree->quals;
	List	   *conds = quals == NULL ? NIL :
		is_andclause(quals) ? ((BoolExpr *) quals)->args : list_make1(quals);
	ListCell   *lc;

	foreach(lc, conds)
	{
		NullTest   *test = lfirst(lc);
		Var		   *var;

		if (!IsA(test, NullTest) || test->nulltesttype != IS_NOT_NULL ||
			test->argisrow || !IsA(test->arg, Var))
			continue;
		var = (Var *) test->arg;
		if (var->varlevelsup == 0 && var->varno == (int) root->rtindex &&
			var->varattno == att)
			return true;
	}
	return false;
}

/*
 * The one column of the root the top level groups by (GROUP BY, DISTINCT
 * of one output column, DISTINCT ON), as the key.
 */
static bool
find_group_key(AnalysisState *st, QueryLevel *top, RelNode *root,
			   const char *explicit_key, ModelAnalysis *result)
{
	Query	   *q = top->query;
	List	   *clauses = q->groupClause != NIL ? q->groupClause : q->distinctClause;
	TargetEntry *tle;
	RelNode    *node;
	AttrNumber	att;
	Node	   *expr;

	if (list_length(clauses) != 1 || q->groupingSets != NIL)
		return false;
	tle = get_sortgroupclause_tle(linitial(clauses), q->targetList);
	expr = (Node *) tle->expr;
	if (tle->resjunk || tle->resname == NULL ||
		(explicit_key && strcmp(tle->resname, explicit_key) != 0))
		return false;
	if (!analyze_resolve_column(st, expr, top, true, &node, &att) || node != root)
		analyze_refuse(st, psprintf("The definition groups by \"%s\", which is not a column of the root table \"%s\" (the first table in FROM).",
									tle->resname, get_rel_name(root->relid)),
					   "Put the table whose column you group by first in FROM, and group by that column as written.");
	if (!analyze_column_not_null(root->relid, att) && !filtered_not_null(top, root, att))
		analyze_refuse(st, psprintf("The key \"%s\" (the column the definition groups by) may be NULL, and a read-model key cannot be.",
									tle->resname),
					   psprintf("Declare the column NOT NULL, or add WHERE %s.%s IS NOT NULL.",
								root->rte->eref->aliasname, get_attname(root->relid, att, false)));
	if (!analyze_equal_image_type(exprType(expr), exprTypmod(expr), exprCollation(expr)))
		analyze_refuse(st, psprintf("The key \"%s\" is of type %s: of several equal values with different representations (1.0 and 1.00), which one is the key would depend on the order rows are read in.",
									tle->resname, format_type_be(exprType(expr))),
					   "Group by a column of a type whose equal values are identical (an integer or text key), or cast it to text in the definition.");
	result->root_key_att = att;
	result->key_name = pstrdup(tle->resname);
	result->key_resno = tle->resno;
	result->key_type = exprType(expr);
	result->key_collation = exprCollation(expr);
	result->key_unique = false;
	return true;
}

void
analyze_find_key(AnalysisState *st, QueryLevel *top, RelNode *root,
				 const char *explicit_key, ModelAnalysis *result)
{
	AttrNumber	pk = primary_key_column(root->relid);
	ListCell   *lc;

	/* DISTINCT is only meaningful over what a key groups */
	if (top->query->distinctClause != NIL)
	{
		if (!find_group_key(st, top, root, explicit_key, result))
			analyze_refuse(st, "The definition uses DISTINCT over more than one column, or DISTINCT ON more than one value.",
						   "Use SELECT DISTINCT of one root column, DISTINCT ON (one root column), or GROUP BY one root column.");
		return;
	}
	result->key_unique = true;
	foreach(lc, top->query->targetList)
	{
		TargetEntry *tle = lfirst(lc);
		RelNode    *node;
		AttrNumber	att;

		if (tle->resjunk || tle->resname == NULL ||
			(explicit_key && strcmp(tle->resname, explicit_key) != 0))
			continue;
		if (!analyze_resolve_column(st, (Node *) tle->expr, top, true, &node, &att) ||
			node != root ||
			(explicit_key ? !analyze_is_unique_column(root->relid, att) : att != pk))
		{
			if (explicit_key && find_group_key(st, top, root, explicit_key, result))
				return;
			if (explicit_key)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
						 errmsg("key column \"%s\" of read model \"%s\" is not a unique column of root table \"%s\"",
								explicit_key, st->model_name, get_rel_name(root->relid)),
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
	if (find_group_key(st, top, root, explicit_key, result))
		return;
	refuse_no_key(st, root, explicit_key, pk);
}

/*
 * GROUP BY must contain the key; other grouping columns must be the
 * root's or those of tables joined to it N:1 (one value per key).  Returns
 * whether the definition is grouped.
 */
bool
analyze_check_grouping(AnalysisState *st, QueryLevel *top, RelNode *root,
					   ModelAnalysis *result)
{
	Bitmapset  *determined;
	ListCell   *lc;
	bool		has_key = false;

	if (top->query->groupClause == NIL)
		return false;
	determined = analyze_determined_nodes(st, top, bms_make_singleton(root->id));
	foreach(lc, top->query->groupClause)
	{
		TargetEntry *tle = get_sortgroupclause_tle(lfirst(lc), top->query->targetList);
		RelNode    *node;
		AttrNumber	att;

		if (!analyze_resolve_column(st, (Node *) tle->expr, top, false, &node, &att) ||
			!bms_is_member(node->id, determined))
			analyze_refuse(st, "The definition groups by an expression that is not a column of the root table or of a table joined to it on a unique key, so one key could give several rows.",
						   psprintf("GROUP BY the root key \"%s\" alone; PostgreSQL then lets you select the root's other columns.",
									result->key_name));
		if (node == root && att == result->root_key_att)
			has_key = true;
	}
	if (!has_key)
		analyze_refuse(st, "The definition uses GROUP BY without the key column.",
					   psprintf("GROUP BY the root key \"%s\" so that each read-model row comes from one root row.",
								result->key_name));
	return true;
}

/* The output columns of FROM subquery `rtindex` equated to another table's. */
static Bitmapset *
equated_outputs(AnalysisState *st, QueryLevel *top, Index rtindex)
{
	Bitmapset  *result = NULL;
	ListCell   *lc;

	foreach(lc, st->edges)
	{
		Edge	   *edge = lfirst(lc);

		if (edge->level != top)
			continue;
		if (edge->var1_rtindex == rtindex && edge->var2_rtindex != rtindex)
			result = bms_add_member(result, edge->var1_attno);
		if (edge->var2_rtindex == rtindex && edge->var1_rtindex != rtindex)
			result = bms_add_member(result, edge->var2_attno);
	}
	return result;
}

static bool
subquery_at_most_one(AnalysisState *st, QueryLevel *top, Index rtindex,
					 RangeTblEntry *rte)
{
	QueryLevel *sub = analyze_find_level(st, rte->subquery);
	Bitmapset  *equated = equated_outputs(st, top, rtindex);
	ListCell   *lc;

	foreach(lc, analyze_subquery_unique_sets(st, sub))
		if (bms_is_subset((Bitmapset *) lfirst(lc), equated))
			return true;
	return false;
}

void
analyze_check_cardinality(AnalysisState *st, QueryLevel *top, RelNode *root)
{
	Bitmapset  *determined;
	ListCell   *lc;
	Index		rtindex = 0;

	if (top->query->groupClause != NIL)
		return;					/* grouped by the key: joins may fan out */
	foreach(lc, top->query->rtable)
	{
		RangeTblEntry *rte = lfirst(lc);

		rtindex++;
		if (rte->rtekind == RTE_SUBQUERY && !subquery_at_most_one(st, top, rtindex, rte))
			analyze_refuse(st, psprintf("Subquery \"%s\" in FROM may return several rows per root row.",
										rte->eref->aliasname),
						   "Aggregate it (one row per root row), group it by the columns it is joined on, LIMIT it to 1 row, move it into a correlated subquery in the select list, or GROUP BY the root key.");
	}
	determined = analyze_determined_nodes(st, top, bms_make_singleton(root->id));
	foreach(lc, st->nodes)
	{
		RelNode    *node = lfirst(lc);

		if (node->level == top && !bms_is_member(node->id, determined))
			analyze_refuse(st, psprintf("Table %s is not joined on a unique key, so one root row could produce several read-model rows.",
										analyze_node_label(node)),
						   "Join parents on their primary key (N:1); aggregate children in a correlated subquery, or GROUP BY the root key.");
	}
}
