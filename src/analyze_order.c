/*-------------------------------------------------------------------------
 *
 * analyze_order.c
 *	  A read model must be a function of its tables, byte for byte.  Where
 *	  a result depends on the order rows are read in, or on which of several
 *	  equal values survives, that order must be determined by unique keys.
 *
 *	- An aggregate that is not order-insensitive (jsonb_agg, array_agg,
 *	  string_agg, sum of floats, min/max of a type whose equal values may
 *	  differ in bytes, such as numeric 1.0 and 1.00, user aggregates, ...)
 *	  needs an ORDER BY that fixes the order of every aggregated row: it
 *	  includes a unique key of every table whose rows it aggregates, unless
 *	  that table's rows are fixed by others (joined on its unique key).
 *	  DISTINCT over values whose equality means equal bytes also fixes it.
 *	- LIMIT/OFFSET and DISTINCT ON in a subquery need the same of their
 *	  ORDER BY (LIMIT inside EXISTS does not: only whether rows exist counts).
 *	- GROUP BY and DISTINCT in a subquery may output only values whose
 *	  equality means equal bytes.
 *
 * "Equality means equal bytes" is PostgreSQL's own equalimage property of
 * the type's default btree operator class (what deduplication of B-tree
 * indexes relies on): true for integers, text under a deterministic
 * collation, uuid...; false for numeric, floats, nondeterministic
 * collations.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/nbtree.h"
#include "access/relation.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_index.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "nodes/nodeFuncs.h"
#include "parser/parsetree.h"
#include "optimizer/optimizer.h"
#include "optimizer/clauses.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "analyze_int.h"

bool
analyze_equal_image_type(Oid typid, int32 typmod, Oid collation)
{
	Oid			base = getBaseType(typid);
	Oid			opclass = GetDefaultOpClass(base, BTREE_AM_OID);
	Oid			opcintype;
	Oid			proc;

	if (!OidIsValid(opclass))
		return false;
	/* numeric(p, s) stores every value with scale s: equal means identical */
	if (base == NUMERICOID && typmod >= 0 && typid == base)
		return true;
	opcintype = get_opclass_input_type(opclass);
	proc = get_opfamily_proc(get_opclass_family(opclass), opcintype, opcintype,
							 BTEQUALIMAGE_PROC);
	if (!OidIsValid(proc))
		return false;
	if (type_is_collatable(base) && !OidIsValid(collation))
		collation = DEFAULT_COLLATION_OID;
	return DatumGetBool(OidFunctionCall1Coll(proc, collation,
											 ObjectIdGetDatum(opcintype)));
}

/* A column of an ORDER BY, with the operator and collation it sorts by. */
typedef struct OrderColumn
{
	int			node;			/* the column, resolved (-1: not a column) */
	AttrNumber	att;
	Index		rtindex;		/* the column as written at the level */
	AttrNumber	resno;
	Oid			sortop;
	Oid			collation;
} OrderColumn;

static List *
order_columns(AnalysisState *st, QueryLevel *level, List *sortclauses,
			  List *tlist)
{
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, sortclauses)
	{
		SortGroupClause *sgc = lfirst(lc);
		TargetEntry *tle = get_sortgroupclause_tle(sgc, tlist);
		RelNode    *node;
		AttrNumber	att;
		OrderColumn *col = palloc0(sizeof(OrderColumn));

		col->node = -1;
		if (analyze_resolve_column(st, (Node *) tle->expr, level, false, &node, &att) &&
			node->level == level)
		{
			col->node = node->id;
			col->att = att;
		}
		analyze_written_var((Node *) tle->expr, &col->rtindex, &col->resno);
		col->sortop = sgc->sortop;
		col->collation = exprCollation((Node *) tle->expr);
		result = lappend(result, col);
	}
	return result;
}

static bool
collation_orders_uniquely(Oid collation, Oid index_collation)
{
	return collation == index_collation || !OidIsValid(collation) ||
		get_collation_isdeterministic(collation);
}

/* Does the ORDER BY include every column of this unique index? */
static bool
ordered_by_index(Form_pg_index index, HeapTuple tuple, int node, List *order)
{
	bool		isnull;
	oidvector  *opclasses = (oidvector *) DatumGetPointer(
														  SysCacheGetAttr(INDEXRELID, tuple, Anum_pg_index_indclass, &isnull));
	oidvector  *collations = (oidvector *) DatumGetPointer(
														   SysCacheGetAttr(INDEXRELID, tuple, Anum_pg_index_indcollation, &isnull));
	int			k;

	for (k = 0; k < index->indnkeyatts; k++)
	{
		Oid			opfamily = get_opclass_family(opclasses->values[k]);
		ListCell   *lc;
		bool		found = false;

		foreach(lc, order)
		{
			OrderColumn *col = lfirst(lc);

			if (col->node == node && col->att == index->indkey.values[k] &&
				get_op_opfamily_strategy(col->sortop, opfamily) != 0 &&
				collation_orders_uniquely(col->collation, collations->values[k]))
				found = true;
		}
		if (!found)
			return false;
	}
	return true;
}

/* Is column (node, att) equated, at its level, to a determined or outer node? */
static bool
equated_to_determined(AnalysisState *st, RelNode *node, AttrNumber att,
					  Bitmapset *determined)
{
	ListCell   *lc;

	foreach(lc, st->edges)
	{
		Edge	   *edge = lfirst(lc);
		int			other;

		if (edge->level != node->level)
			continue;
		if (edge->n1 == node->id && edge->a1 == att)
			other = edge->n2;
		else if (edge->n2 == node->id && edge->a2 == att)
			other = edge->n1;
		else
			continue;
		if (bms_is_member(other, determined) ||
			analyze_node(st, other)->level != node->level)
			return true;
	}
	return false;
}

static bool
usable_unique_index(HeapTuple tuple)
{
	Form_pg_index index = (Form_pg_index) GETSTRUCT(tuple);

	return index->indisunique && index->indisvalid && index->indimmediate &&
		heap_attisnull(tuple, Anum_pg_index_indpred, NULL) &&
		heap_attisnull(tuple, Anum_pg_index_indexprs, NULL);
}

/*
 * Is every row of `node` fixed: one of its unique keys ordered by `order`
 * or equated to determined nodes (or outer, correlated, values)?
 */
static bool
node_determined(AnalysisState *st, RelNode *node, Bitmapset *determined,
				List *order)
{
	Relation	rel = relation_open(node->relid, AccessShareLock);
	List	   *indexes = RelationGetIndexList(rel);
	ListCell   *lc;
	bool		found = false;

	foreach(lc, indexes)
	{
		HeapTuple	tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(lfirst_oid(lc)));
		Form_pg_index index;
		int			k;
		bool		equated = true;

		if (!HeapTupleIsValid(tuple))
			continue;
		index = (Form_pg_index) GETSTRUCT(tuple);
		if (usable_unique_index(tuple))
		{
			for (k = 0; equated && k < index->indnkeyatts; k++)
				equated = equated_to_determined(st, node, index->indkey.values[k],
												determined);
			found = equated || ordered_by_index(index, tuple, node->id, order);
		}
		ReleaseSysCache(tuple);
		if (found)
			break;
	}
	relation_close(rel, AccessShareLock);
	return found;
}

/* Grow `determined` to a fixpoint over the relation nodes of `level`. */
static Bitmapset *
determine_nodes(AnalysisState *st, QueryLevel *level, Bitmapset *determined,
				List *order)
{
	bool		changed = true;

	while (changed)
	{
		ListCell   *lc;

		changed = false;
		foreach(lc, st->nodes)
		{
			RelNode    *node = lfirst(lc);

			if (node->level != level || bms_is_member(node->id, determined))
				continue;
			if (node_determined(st, node, determined, order))
			{
				determined = bms_add_member(determined, node->id);
				changed = true;
			}
		}
	}
	return determined;
}

/*
 * The nodes of `level` each of whose rows is fixed by the `fixed` nodes:
 * joined on a unique key to them, directly or through others (N:1).
 */
Bitmapset *
analyze_determined_nodes(AnalysisState *st, QueryLevel *level, Bitmapset *fixed)
{
	return determine_nodes(st, level, bms_copy(fixed), NIL);
}

/*
 * Is the order of the rows of `level` fixed by `order` (given the nodes
 * already fixed)?  Subqueries, functions and VALUES in its FROM have no
 * key to order by.
 */
static bool order_is_total(AnalysisState *st, QueryLevel *level,
						   Bitmapset *fixed, List *order);

/*
 * Are the rows of FROM subquery `rtindex` fixed by the ORDER BY columns
 * taken from it?  Either they include a set of its output columns it is
 * unique on, or, mapped to the columns inside it, they fix its own rows.
 */
static bool
subquery_ordered(AnalysisState *st, RangeTblEntry *rte, Index rtindex,
				 List *order)
{
	QueryLevel *sub = analyze_find_level(st, rte->subquery);
	Bitmapset  *ordered = NULL;
	List	   *inner = NIL;
	ListCell   *lc;

	foreach(lc, order)
	{
		OrderColumn *col = lfirst(lc);
		TargetEntry *tle;
		RelNode    *node;
		AttrNumber	att;

		if (col->rtindex != rtindex || col->resno <= 0)
			continue;
		ordered = bms_add_member(ordered, col->resno);
		tle = get_tle_by_resno(sub->query->targetList, col->resno);
		if (tle && analyze_resolve_column(st, (Node *) tle->expr, sub, false, &node, &att) &&
			node->level == sub)
		{
			OrderColumn *mapped = palloc(sizeof(OrderColumn));

			*mapped = *col;
			mapped->node = node->id;
			mapped->att = att;
			mapped->rtindex = 0;
			inner = lappend(inner, mapped);
		}
	}
	foreach(lc, analyze_subquery_unique_sets(st, sub))
		if (bms_is_subset((Bitmapset *) lfirst(lc), ordered))
			return true;
	return sub->query->groupClause == NIL && sub->query->distinctClause == NIL &&
		!sub->query->hasAggs && order_is_total(st, sub, NULL, inner);
}

/*
 * The rows of a WITH RECURSIVE query have no known unique key: an order
 * fixes them only when it sorts by every one of its columns, all of
 * equal-image types (rows that still tie are identical).
 */
static bool
cte_ordered(RangeTblEntry *rte, Index rtindex, List *order)
{
	Bitmapset  *sorted = NULL;
	ListCell   *lc;
	ListCell   *lt,
			   *lm,
			   *lcoll;
	int			column = 0;

	foreach(lc, order)
	{
		OrderColumn *col = lfirst(lc);

		if (col->rtindex == rtindex && col->resno > 0)
			sorted = bms_add_member(sorted, col->resno);
	}
	forthree(lt, rte->coltypes, lm, rte->coltypmods, lcoll, rte->colcollations)
	{
		column++;
		if (!bms_is_member(column, sorted) ||
			!analyze_equal_image_type(lfirst_oid(lt), lfirst_int(lm), lfirst_oid(lcoll)))
			return false;
	}
	return true;
}

/*
 * unnest(p.arr) u joined by "t.pk = u.x" to a fixed table t: each of its
 * rows is fixed by t's row (a repeated element gives rows alike in every
 * column), unless WITH ORDINALITY tells such rows apart.
 */
static bool
unnest_fixed(AnalysisState *st, QueryLevel *level, Index rtindex,
			 RangeTblEntry *rte, Bitmapset *determined)
{
	ListCell   *lc;

	if (rte->funcordinality)
		return false;
	foreach(lc, st->array_edges)
	{
		Edge	   *edge = lfirst(lc);

		/* alike rows only where equal elements have one image */
		if (edge->unnest_level == level && edge->unnest_rtindex == rtindex &&
			bms_is_member(edge->n1, determined) &&
			analyze_equal_image_type(get_element_type(get_atttype(analyze_node(st, edge->n2)->relid,
																	edge->a2)),
									 -1, edge->collation))
			return true;
	}
	return false;
}

static bool
order_is_total(AnalysisState *st, QueryLevel *level, Bitmapset *fixed, List *order)
{
	Bitmapset  *determined = determine_nodes(st, level, fixed, order);
	ListCell   *lc;
	Index		rtindex = 0;

	foreach(lc, level->query->rtable)
	{
		RangeTblEntry *rte = lfirst(lc);

		rtindex++;
		if (rte->rtekind == RTE_FUNCTION && unnest_fixed(st, level, rtindex, rte, determined))
			continue;
		if (rte->rtekind == RTE_FUNCTION || rte->rtekind == RTE_VALUES ||
			(rte->rtekind == RTE_SUBQUERY && !subquery_ordered(st, rte, rtindex, order)) ||
			(rte->rtekind == RTE_CTE && !cte_ordered(rte, rtindex, order)))
			return false;
	}
	foreach(lc, st->nodes)
	{
		RelNode    *node = lfirst(lc);

		if (node->level == level && !bms_is_member(node->id, determined))
			return false;
	}
	return true;
}

static bool
arg_types_equal_image(List *args)
{
	ListCell   *lc;

	foreach(lc, args)
	{
		Node	   *expr = (Node *) ((TargetEntry *) lfirst(lc))->expr;

		if (!analyze_equal_image_type(exprType(expr), exprTypmod(expr), exprCollation(expr)))
			return false;
	}
	return true;
}

static bool
exact_numeric_type(Oid typid)
{
	typid = getBaseType(typid);
	return typid == INT2OID || typid == INT4OID || typid == INT8OID ||
		typid == NUMERICOID || typid == INTERVALOID || typid == MONEYOID;
}

/* Aggregates whose result is the same whatever order the rows come in. */
static bool
order_insensitive(Aggref *aggref)
{
	char	   *name;
	Node	   *arg;

	if (aggref->aggfnoid >= FirstNormalObjectId ||
		get_func_namespace(aggref->aggfnoid) != PG_CATALOG_NAMESPACE)
		return false;
	name = get_func_name(aggref->aggfnoid);
	if (strcmp(name, "count") == 0 || strcmp(name, "bool_and") == 0 ||
		strcmp(name, "bool_or") == 0 || strcmp(name, "every") == 0 ||
		strcmp(name, "bit_and") == 0 || strcmp(name, "bit_or") == 0 ||
		strcmp(name, "bit_xor") == 0)
		return true;
	if (list_length(aggref->args) != 1)
		return false;
	arg = (Node *) ((TargetEntry *) linitial(aggref->args))->expr;
	if (strcmp(name, "min") == 0 || strcmp(name, "max") == 0)
		return analyze_equal_image_type(exprType(arg), exprTypmod(arg), exprCollation(arg));
	if (strcmp(name, "sum") == 0 || strcmp(name, "avg") == 0 ||
		strncmp(name, "stddev", 6) == 0 || strncmp(name, "var", 3) == 0)
		return exact_numeric_type(exprType(arg));
	return false;
}

/*
 * Are rows that tie in the ORDER BY bound to give the same arguments?
 * They do when every argument that is not a constant is one of the ORDER
 * BY values and those are of equal-image types: string_agg(t.name, ', '
 * ORDER BY t.name), or an ordered-set aggregate such as percentile_disc,
 * whose arguments are the sorted values themselves.
 */
static bool
ties_are_identical(Aggref *aggref)
{
	ListCell   *lc;

	if (aggref->aggorder == NIL)
		return false;
	foreach(lc, aggref->args)
	{
		TargetEntry *tle = lfirst(lc);
		Node	   *expr = (Node *) tle->expr;

		if (IsA(expr, Const))
			continue;
		if (tle->ressortgroupref == 0 ||
			!analyze_equal_image_type(exprType(expr), exprTypmod(expr), exprCollation(expr)))
			return false;
	}
	return true;
}

static void
check_aggregate_order(AnalysisState *st, PendingAggregate *pending,
					  QueryLevel *top, RelNode *root, bool grouped_by_key)
{
	Aggref	   *aggref = pending->aggref;
	Bitmapset  *fixed = NULL;

	if (order_insensitive(aggref) || ties_are_identical(aggref) ||
		(aggref->aggdistinct != NIL && arg_types_equal_image(aggref->args)))
		return;
	/* grouped by the root's key, a group's root row is one and the same */
	if (pending->level == top && grouped_by_key)
		fixed = bms_make_singleton(root->id);
	if (aggref->aggorder != NIL &&
		order_is_total(st, pending->level, fixed,
					   order_columns(st, pending->level, aggref->aggorder, aggref->args)))
		return;
	analyze_refuse(st,
				   psprintf("Aggregate %s() in %s depends on the order of the rows it aggregates, and %s.",
							get_func_name(aggref->aggfnoid), analyze_position_name(pending->level),
							aggref->aggorder ? "its ORDER BY does not fix that order"
							: "it has no ORDER BY"),
				   "Add ORDER BY ending with a unique key of every table whose rows it aggregates, e.g. jsonb_agg(... ORDER BY c.created_at, c.pk_comment).");
}

static void
check_group_outputs(AnalysisState *st, QueryLevel *level)
{
	Query	   *q = level->query;
	ListCell   *lc;
	List	   *clauses = q->groupClause != NIL ? q->groupClause :
		(q->hasDistinctOn ? NIL : q->distinctClause);

	foreach(lc, clauses)
	{
		TargetEntry *tle = get_sortgroupclause_tle(lfirst(lc), q->targetList);
		Node	   *expr = (Node *) tle->expr;

		if (!tle->resjunk &&
			!analyze_equal_image_type(exprType(expr), exprTypmod(expr), exprCollation(expr)))
			analyze_refuse(st,
						   psprintf("%s groups or removes duplicates by a value of type %s and outputs it; of several equal values with different representations (1.0 and 1.00), which one is output depends on the order rows are read in.",
									analyze_position_name(level), format_type_be(exprType(expr))),
						   "Group by a column of a type whose equal values are identical (an integer or text key), or cast the value to text before grouping.");
	}
}

/* LIMIT/OFFSET and DISTINCT ON in subqueries, GROUP BY and DISTINCT outputs. */
static void
check_level_order(AnalysisState *st, QueryLevel *level)
{
	Query	   *q = level->query;
	bool		limited = q->limitCount != NULL || q->limitOffset != NULL;
	bool		single_row = q->hasAggs && q->groupClause == NIL;

	if (level->position == POS_TOP)
	{
		/* the key's own image is checked in analyze_key.c */
		if (q->hasDistinctOn &&
			!order_is_total(st, level, NULL, order_columns(st, level, q->sortClause, q->targetList)))
			analyze_refuse(st, "DISTINCT ON picks one row per key, and the ORDER BY does not fix which.",
						   "Order by the key, then by columns that end with a unique key of every table, e.g. ORDER BY e.entity_id, e.created_at DESC, e.pk_event DESC.");
		return;
	}
	check_group_outputs(st, level);
	if (q->hasDistinctOn &&
		!order_is_total(st, level, NULL, order_columns(st, level, q->sortClause, q->targetList)))
		analyze_refuse(st,
					   psprintf("DISTINCT ON in %s picks one row per value, and its ORDER BY does not fix which.",
								analyze_position_name(level)),
					   "End the ORDER BY with a unique key of every table in that subquery.");
	if (limited && !single_row && level->sublink_type != EXISTS_SUBLINK &&
		!order_is_total(st, level, NULL, order_columns(st, level, q->sortClause, q->targetList)))
		analyze_refuse(st,
					   psprintf("LIMIT or OFFSET in %s keeps some rows, and its ORDER BY does not fix which.",
								analyze_position_name(level)),
					   "Order by columns that end with a unique key of every table in that subquery, e.g. ORDER BY c.created_at DESC, c.pk_comment DESC LIMIT 1.");
}

void
analyze_check_orders(AnalysisState *st, QueryLevel *top, RelNode *root,
					 bool grouped_by_key)
{
	ListCell   *lc;

	foreach(lc, st->aggregates)
		if (((PendingAggregate *) lfirst(lc))->level == NULL ||
			analyze_level_top(((PendingAggregate *) lfirst(lc))->level) == top)
			check_aggregate_order(st, lfirst(lc), top, root, grouped_by_key);
	foreach(lc, st->levels)
		if (analyze_level_top(lfirst(lc)) == top)
			check_level_order(st, lfirst(lc));
}

static Bitmapset *
output_resnos(List *clauses, List *tlist)
{
	Bitmapset  *result = NULL;
	ListCell   *lc;

	foreach(lc, clauses)
	{
		TargetEntry *tle = get_sortgroupclause_tle(lfirst(lc), tlist);

		if (tle->resjunk)
			return NULL;		/* a hidden column cannot be joined on */
		result = bms_add_member(result, tle->resno);
	}
	return result;
}

static bool
is_limit_one(Node *count)
{
	if (count != NULL && !IsA(count, Const))
		count = eval_const_expressions(NULL, count);
	return count != NULL && IsA(count, Const) && !((Const *) count)->constisnull &&
		DatumGetInt64(((Const *) count)->constvalue) == 1;
}

/* Unique keys of a single table output plainly by a one-table subquery. */
static List *
single_table_keys(AnalysisState *st, QueryLevel *sub)
{
	List	   *fromlist = sub->query->jointree->fromlist;
	RelNode    *node;
	Relation	rel;
	ListCell   *lc;
	List	   *result = NIL;

	if (list_length(fromlist) != 1 || !IsA(linitial(fromlist), RangeTblRef) ||
		(node = analyze_find_node(st, sub, ((RangeTblRef *) linitial(fromlist))->rtindex)) == NULL)
		return NIL;
	rel = relation_open(node->relid, AccessShareLock);
	foreach(lc, RelationGetIndexList(rel))
	{
		HeapTuple	tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(lfirst_oid(lc)));
		Bitmapset  *resnos = NULL;
		int			k;

		if (!HeapTupleIsValid(tuple))
			continue;
		if (usable_unique_index(tuple))
		{
			Form_pg_index index = (Form_pg_index) GETSTRUCT(tuple);

			for (k = 0; k < index->indnkeyatts; k++)
			{
				ListCell   *lt;
				bool		found = false;

				foreach(lt, sub->query->targetList)
				{
					TargetEntry *tle = lfirst(lt);
					Var		   *var = (Var *) tle->expr;

					if (!tle->resjunk && IsA(var, Var) && var->varlevelsup == 0 &&
						var->varno == node->rtindex && var->varattno == index->indkey.values[k])
					{
						resnos = bms_add_member(resnos, tle->resno);
						found = true;
					}
				}
				if (!found)
					resnos = NULL;
				if (!found)
					break;
			}
			if (resnos != NULL)
				result = lappend(result, resnos);
		}
		ReleaseSysCache(tuple);
	}
	relation_close(rel, AccessShareLock);
	return result;
}

/*
 * Sets of output columns on which a FROM subquery's rows are unique (an
 * empty set: at most one row at all).
 */
List *
analyze_subquery_unique_sets(AnalysisState *st, QueryLevel *sub)
{
	Query	   *q = sub->query;
	List	   *result = NIL;
	Bitmapset  *set;

	if ((q->hasAggs && q->groupClause == NIL) || is_limit_one(q->limitCount))
		return list_make1(NULL);
	if (q->groupClause != NIL)
	{
		if ((set = output_resnos(q->groupClause, q->targetList)) != NULL)
			result = lappend(result, set);
		return result;
	}
	if (q->distinctClause != NIL &&
		(set = output_resnos(q->distinctClause, q->targetList)) != NULL)
		result = lappend(result, set);
	if (q->distinctClause == NIL && !q->hasAggs)
		result = list_concat(result, single_table_keys(st, sub));
	return result;
}

/* Does `sortclauses` (over `tlist`) fix the order of the level's rows? */
bool
analyze_order_is_total(AnalysisState *st, QueryLevel *level, List *sortclauses,
					   List *tlist)
{
	return order_is_total(st, level, NULL, order_columns(st, level, sortclauses, tlist));
}
