/*-------------------------------------------------------------------------
 *
 * analyze_window.c
 *	  Window functions at the top level (rank within a category, running
 *	  totals per account).
 *
 * A row's window values depend on every row of its partition, so the unit
 * of recompute is the partition: the model keeps its key (the root's), but
 * the queue, the locks and the routes hold PARTITION BY values, and a
 * change recomputes the whole partitions it touches, old and new (the
 * planner pushes a condition on PARTITION BY columns below the window).
 * So every window must be partitioned by the same root columns, selected
 * in the output, never NULL and of equal-image types, and must order its
 * rows completely; a window over all rows is refused (any change could
 * change every row).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "analyze_int.h"

/* A PARTITION BY column as a unit column: a root column, never NULL. */
static KeyColumn *
partition_column(AnalysisState *st, QueryLevel *top, RelNode *root, TargetEntry *tle)
{
	Node	   *expr = (Node *) tle->expr;
	KeyColumn  *col = palloc0(sizeof(KeyColumn));
	RelNode    *node;
	AttrNumber	att;

	if (tle->resjunk || tle->resname == NULL ||
		!analyze_resolve_column(st, expr, top, true, &node, &att) || node != root)
		analyze_refuse(st, "A window is partitioned by a value that is not a selected column of the root table (the first table in FROM).",
					   "PARTITION BY columns of the root table, and select them.");
	if (!analyze_column_not_null(root->relid, att) && !analyze_filtered_not_null(top, root, att))
		analyze_refuse(st, psprintf("The window's partition column \"%s\" may be NULL.", tle->resname),
					   psprintf("Declare the column NOT NULL, or add WHERE %s.%s IS NOT NULL.",
								root->rte->eref->aliasname, get_attname(root->relid, att, false)));
	if (!analyze_equal_image_type(exprType(expr), exprTypmod(expr), exprCollation(expr)))
		analyze_refuse(st, psprintf("The window's partition column \"%s\" is of type %s, whose equal values can have different representations.",
									tle->resname, format_type_be(exprType(expr))),
					   "Partition by a column of an integer or text type.");
	col->name = pstrdup(tle->resname);
	col->resno = tle->resno;
	col->root_att = att;
	col->type = exprType(expr);
	col->collation = exprCollation(expr);
	return col;
}

/* The partition columns of one window, as output resnos. */
static Bitmapset *
partition_resnos(Query *q, WindowClause *wc)
{
	Bitmapset  *resnos = NULL;
	ListCell   *lc;

	foreach(lc, wc->partitionClause)
		resnos = bms_add_member(resnos,
								get_sortgroupclause_tle(lfirst(lc), q->targetList)->resno);
	return resnos;
}

static void
check_windows(AnalysisState *st, QueryLevel *top)
{
	Query	   *q = top->query;
	Bitmapset  *first = NULL;
	ListCell   *lc;

	if (q->groupClause != NIL || q->groupingSets != NIL || q->distinctClause != NIL ||
		q->hasAggs)
		analyze_refuse(st, "The definition's top level uses window functions together with GROUP BY, DISTINCT or aggregates.",
					   "Compute the groups in a read model of their own, and the window over it in another.");
	foreach(lc, q->windowClause)
	{
		WindowClause *wc = lfirst(lc);
		Bitmapset  *resnos = partition_resnos(q, wc);

		if (resnos == NULL)
			analyze_refuse(st, "A window is not partitioned: any change could change every row.",
						   "PARTITION BY a root column the definition selects (rank within a category) and end the window's ORDER BY with a unique key, or compute it when reading.");
		if (first == NULL)
			first = resnos;
		else if (!bms_equal(first, resnos))
			analyze_refuse(st, "The definition's windows are partitioned by different columns.",
						   "Partition every window by the same root columns.");
		/* within a partition its columns are fixed: they order too */
		if (!analyze_order_is_total(st, top,
									list_concat_copy(wc->partitionClause, wc->orderClause),
									q->targetList))
			analyze_refuse(st, "A window does not order its rows completely, so which row gets which value depends on the plan.",
						   "End the window's ORDER BY with a unique key, e.g. OVER (PARTITION BY p.fk_category ORDER BY p.price DESC, p.pk_product).");
	}
}

/*
 * For a definition with window functions: the partition columns become
 * the unit of recompute (routes are searched for them).
 */
void
analyze_window(AnalysisState *st, QueryLevel *top, RelNode *root, ModelAnalysis *result)
{
	Query	   *q = top->query;
	WindowClause *wc;
	List	   *unit = NIL;
	ListCell   *lc;

	if (!q->hasWindowFuncs)
		return;
	check_windows(st, top);
	wc = linitial(q->windowClause);
	foreach(lc, wc->partitionClause)
		unit = lappend(unit, partition_column(st, top, root,
											  get_sortgroupclause_tle(lfirst(lc), q->targetList)));
	result->unit_columns = unit;
	result->root_key_att = ((KeyColumn *) llast(unit))->root_att;
	result->key_recipe = NIL;
	foreach(lc, unit)
		result->key_recipe = lappend_int(result->key_recipe, ((KeyColumn *) lfirst(lc))->root_att);
	result->key_type = list_length(unit) == 1 ? ((KeyColumn *) linitial(unit))->type : RECORDOID;
	result->key_collation = list_length(unit) == 1 ? ((KeyColumn *) linitial(unit))->collation : InvalidOid;
}
