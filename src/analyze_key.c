/*-------------------------------------------------------------------------
 *
 * analyze_key.c
 *	  The root table, the key, and that each key is one output row.
 *
 * The root is the first table in FROM, the key its primary key (or a
 * unique NOT NULL column named with options->'key') selected as an output
 * column.  Each root row is one read-model row: either the definition is
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
			analyze_refuse(st, "The root table (the first table in FROM) is on the nullable side of a RIGHT or FULL join.",
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
			 errhint("Select the root table's primary key column, or name a unique column with options => '{\"key\": \"column\"}'.")));
}

void
analyze_find_key(AnalysisState *st, QueryLevel *top, RelNode *root,
				 const char *explicit_key, ModelAnalysis *result)
{
	AttrNumber	pk = primary_key_column(root->relid);
	ListCell   *lc;

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
