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
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "nodes/nodeFuncs.h"
#include "parser/parsetree.h"
#include "optimizer/optimizer.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "analyze_int.h"
#include "keys.h"

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
			analyze_refuse(st, psprintf("The root table (the first table in FROM) is on the nullable side of a %s join.",
										join->jointype == JOIN_FULL ? "FULL" : "RIGHT"),
						   "A FULL JOIN of two tables alone, on an equality of their keys, selecting COALESCE(a.k, b.k), is accepted as it is. Else, to keep the rows of both sides, write a UNION ALL whose second branch keeps out the first one's keys: SELECT a.k, ... FROM a LEFT JOIN b ON b.k = a.k UNION ALL SELECT b.k, ... FROM b WHERE NOT EXISTS (SELECT FROM a WHERE a.k = b.k), with a tag column ('a' AS side) in both when the join is not on both tables' keys. To keep one side's rows, put that table first and LEFT JOIN the other.");
		jt = join->larg;
	}
	if (!IsA(jt, RangeTblRef) ||
		(root = analyze_find_node(st, top, ((RangeTblRef *) jt)->rtindex)) == NULL)
		analyze_refuse(st, "The first item in FROM is not a table.",
					   "Put the entity the read model is about first in FROM.");
	return root;
}

/* The root's primary key columns, in index order (an integer list). */
static List *
primary_key_columns(Oid relid)
{
	Relation	rel = relation_open(relid, AccessShareLock);
	Oid			pkindex = RelationGetPrimaryKeyIndex(rel);
	List	   *result = NIL;

	if (OidIsValid(pkindex))
	{
		HeapTuple	tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(pkindex));

		if (HeapTupleIsValid(tuple))
		{
			Form_pg_index index = (Form_pg_index) GETSTRUCT(tuple);
			int			i;

			for (i = 0; i < index->indnkeyatts; i++)
				result = lappend_int(result, index->indkey.values[i]);
			ReleaseSysCache(tuple);
		}
	}
	relation_close(rel, AccessShareLock);
	return result;
}

/* Do these root columns, all NOT NULL, hold a unique index's key? */
static bool
unique_set(Oid relid, List *columns)
{
	Relation	rel;
	List	   *indexes;
	Bitmapset  *atts = NULL;
	bool		found = false;
	ListCell   *lc;

	foreach(lc, columns)
	{
		KeyColumn  *col = lfirst(lc);

		if (!analyze_column_not_null(relid, col->root_att))
			return false;
		atts = bms_add_member(atts, col->root_att);
	}
	rel = relation_open(relid, AccessShareLock);
	indexes = RelationGetIndexList(rel);
	foreach(lc, indexes)
	{
		HeapTuple	tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(lfirst_oid(lc)));
		Form_pg_index index = (Form_pg_index) GETSTRUCT(tuple);
		bool		covered = index->indisunique && index->indimmediate &&
			heap_attisnull(tuple, Anum_pg_index_indpred, NULL) &&
			heap_attisnull(tuple, Anum_pg_index_indexprs, NULL);
		int			i;

		for (i = 0; covered && i < index->indnkeyatts; i++)
			covered = bms_is_member(index->indkey.values[i], atts);
		found |= covered;
		ReleaseSysCache(tuple);
	}
	relation_close(rel, AccessShareLock);
	return found;
}

static KeyColumn *
key_column(TargetEntry *tle, AttrNumber att)
{
	KeyColumn  *col = palloc0(sizeof(KeyColumn));

	col->name = pstrdup(tle->resname);
	col->resno = tle->resno;
	col->root_att = att;
	col->type = exprType((Node *) tle->expr);
	col->collation = exprCollation((Node *) tle->expr);
	return col;
}

/* The output column that is root column `att` as written, or NULL. */
static KeyColumn *
output_of(AnalysisState *st, QueryLevel *top, RelNode *root, AttrNumber att)
{
	ListCell   *lc;

	foreach(lc, top->query->targetList)
	{
		TargetEntry *tle = lfirst(lc);
		RelNode    *node;
		AttrNumber	a;

		if (!tle->resjunk && tle->resname != NULL &&
			analyze_resolve_column(st, (Node *) tle->expr, top, true, &node, &a) &&
			node == root && a == att)
			return key_column(tle, att);
	}
	return NULL;
}

/* The output column called `name`, as a root column, or NULL. */
static KeyColumn *
output_named(AnalysisState *st, QueryLevel *top, RelNode *root, const char *name)
{
	ListCell   *lc;

	foreach(lc, top->query->targetList)
	{
		TargetEntry *tle = lfirst(lc);
		RelNode    *node;
		AttrNumber	att;

		if (tle->resjunk || tle->resname == NULL || strcmp(tle->resname, name) != 0)
			continue;
		if (analyze_resolve_column(st, (Node *) tle->expr, top, true, &node, &att) &&
			node == root)
			return key_column(tle, att);
		return NULL;
	}
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_COLUMN),
			 errmsg("key column \"%s\" is not an output column of read model \"%s\"",
					name, st->model_name)));
	return NULL;				/* keep compiler quiet */
}

/*
 * A unique key: the columns named in options->'key' if they are root
 * columns holding a unique index, else the root's primary key, all of its
 * columns selected.  NIL when there is none.
 */
static List *
unique_key(AnalysisState *st, QueryLevel *top, RelNode *root, List *names)
{
	List	   *columns = NIL;
	ListCell   *lc;

	if (names != NIL)
	{
		foreach(lc, names)
		{
			KeyColumn  *col = output_named(st, top, root, strVal(lfirst(lc)));

			if (col == NULL)
				return NIL;
			columns = lappend(columns, col);
		}
		return unique_set(root->relid, columns) ? columns : NIL;
	}
	foreach(lc, primary_key_columns(root->relid))
	{
		KeyColumn  *col = output_of(st, top, root, lfirst_int(lc));

		if (col == NULL)
			return NIL;
		columns = lappend(columns, col);
	}
	return columns;
}

/* The AND-ed conditions of the top level's WHERE. */
List *
analyze_top_conditions(QueryLevel *top)
{
	Node	   *quals = top->query->jointree->quals;

	if (quals == NULL)
		return NIL;
	return is_andclause(quals) ? ((BoolExpr *) quals)->args : list_make1(quals);
}

/* Is a NULL root `att` excluded by a top-level WHERE condition? */
bool
analyze_filtered_not_null(QueryLevel *top, RelNode *root, AttrNumber att)
{
	ListCell   *lc;

	foreach(lc, analyze_top_conditions(top))
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

/* The top-level table other than the root whose column `tle` is, or NULL. */
static RelNode *
other_node(AnalysisState *st, QueryLevel *top, TargetEntry *tle)
{
	RelNode    *node;
	AttrNumber	att;

	if (tle->resjunk ||
		!analyze_resolve_column(st, (Node *) tle->expr, top, true, &node, &att) ||
		node->level != top)
		return NULL;
	return node;
}

/* "o.fk_customer": a root column equated to a primary key column of node. */
static char *
joining_root_column(AnalysisState *st, QueryLevel *top, RelNode *root, RelNode *node)
{
	List	   *pk = primary_key_columns(node->relid);
	ListCell   *lc;

	foreach(lc, st->edges)
	{
		Edge	   *e = lfirst(lc);
		AttrNumber	root_att = 0;

		if (e->level != top)
			continue;
		if (e->n1 == root->id && e->n2 == node->id && list_member_int(pk, e->a2))
			root_att = e->a1;
		else if (e->n2 == root->id && e->n1 == node->id && list_member_int(pk, e->a1))
			root_att = e->a2;
		if (root_att != 0)
			return psprintf("%s.%s", quote_identifier(root->rte->eref->aliasname),
							quote_identifier(get_attname(root->relid, root_att, false)));
	}
	return NULL;
}

/* Refuse grouping by `tle`: not the root's, nor fixed by its key. */
static void
refuse_grouping(AnalysisState *st, QueryLevel *top, RelNode *root, TargetEntry *tle)
{
	RelNode    *node = other_node(st, top, tle);
	char	   *joining = node ? joining_root_column(st, top, root, node) : NULL;

	if (node != NULL && node != root)
		analyze_refuse(st, psprintf("The definition groups by \"%s\", a column of %s, which is not the root table \"%s\" (the first table in FROM), and no column grouped by fixes its row.",
									tle->resname, analyze_node_label(node), get_rel_name(root->relid)),
					   joining ?
					   psprintf("Group by the root column it is joined on as well (GROUP BY %s, ...): a row per row of %s; for a row per value of \"%s\", put %s first in FROM.",
								joining, get_rel_name(node->relid), tle->resname,
								get_rel_name(node->relid)) :
					   top->query->groupClause == NIL ?
					   psprintf("A row per distinct combination of two tables' columns has no key of one table: select the primary key of the table whose rows you want instead of DISTINCT, and aggregate the other's values per row (jsonb_agg in a correlated subquery); or put %s first in FROM and select the root column that joins the other table too.",
								get_rel_name(node->relid)) :
					   psprintf("Put %s first in FROM: another table's columns can be grouped by only where root columns grouped by fix its row (joined on its primary key).",
								get_rel_name(node->relid)));
	analyze_refuse(st, psprintf("The definition groups by \"%s\", which is neither a column of the root table \"%s\" (the first table in FROM) nor an expression of its columns alone.",
								tle->resname, get_rel_name(root->relid)),
				   "Group by columns of the root table, or by expressions of them alone (date_trunc('day', created_at)); columns of tables joined to those on their primary key may be grouped by as well.");
}

/* A column grouped by, as a key column: a root column, never NULL, exact. */
static KeyColumn *
group_column(AnalysisState *st, QueryLevel *top, RelNode *root, TargetEntry *tle)
{
	Node	   *expr = (Node *) tle->expr;
	RelNode    *node;
	AttrNumber	att;
	KeyColumn  *col = NULL;

	if (tle->resjunk || tle->resname == NULL)
		return NULL;			/* rows of two groups could look alike */
	if (!analyze_resolve_column(st, expr, top, true, &node, &att) || node != root)
	{
		col = analyze_key_expression(st, top, root, tle);
		if (col == NULL)
			refuse_grouping(st, top, root, tle);
	}
	else if (!analyze_column_not_null(root->relid, att) && !analyze_filtered_not_null(top, root, att))
		analyze_refuse(st, psprintf("The key column \"%s\" (a column the definition groups by) may be NULL, and a read-model key cannot be.",
									tle->resname),
					   psprintf("Declare the column NOT NULL, or add WHERE %s.%s IS NOT NULL.",
								root->rte->eref->aliasname, get_attname(root->relid, att, false)));
	if (!analyze_equal_image_type(exprType(expr), exprTypmod(expr), exprCollation(expr)))
		analyze_refuse(st, psprintf("The key column \"%s\" is of type %s: of several equal values with different representations (1.0 and 1.00), which one is the key would depend on the order rows are read in.",
									tle->resname, format_type_be(exprType(expr))),
					   "Group by a column of a type whose equal values are identical (an integer or text key), or cast it to text in the definition.");
	return col != NULL ? col : key_column(tle, att);
}

/* Put `columns` in the order of `names`; NIL unless they are the same set. */
static List *
in_named_order(List *columns, List *names)
{
	List	   *result = NIL;
	ListCell   *ln;

	if (list_length(columns) != list_length(names))
		return NIL;
	foreach(ln, names)
	{
		ListCell   *lc;
		KeyColumn  *found = NULL;

		foreach(lc, columns)
			if (strcmp(((KeyColumn *) lfirst(lc))->name, strVal(lfirst(ln))) == 0)
				found = lfirst(lc);
		if (found == NULL)
			return NIL;
		result = lappend(result, found);
	}
	return result;
}

static bool
other_table_column(AnalysisState *st, QueryLevel *top, RelNode *root,
				   TargetEntry *tle)
{
	RelNode    *node = other_node(st, top, tle);

	return node != NULL && node != root;
}

/* Is (node, att) equated at the top level to a column in `fixed`? */
static bool
equated_to_fixed(AnalysisState *st, QueryLevel *top, RelNode *node, AttrNumber att,
				 RelNode *root, List *key, Bitmapset *fixed)
{
	ListCell   *lc;

	foreach(lc, st->edges)
	{
		Edge	   *e = lfirst(lc);
		int			other;
		AttrNumber	other_att;

		if (e->level != top)
			continue;
		if (e->n1 == node->id && e->a1 == att)
		{
			other = e->n2;
			other_att = e->a2;
		}
		else if (e->n2 == node->id && e->a2 == att)
		{
			other = e->n1;
			other_att = e->a1;
		}
		else
			continue;
		if (bms_is_member(other, fixed))
			return true;
		if (other == root->id)
		{
			ListCell   *lk;

			foreach(lk, key)
				if (((KeyColumn *) lfirst(lk))->root_att == other_att)
					return true;
		}
	}
	return false;
}

/*
 * The top-level tables whose row is fixed by the root's plain key columns:
 * their primary key equated to them, or to tables so fixed (N:1 parents
 * of the group).
 */
static Bitmapset *
key_determined_nodes(AnalysisState *st, QueryLevel *top, RelNode *root, List *key)
{
	Bitmapset  *fixed = NULL;
	bool		changed = true;

	while (changed)
	{
		ListCell   *ln;

		changed = false;
		foreach(ln, st->nodes)
		{
			RelNode    *node = lfirst(ln);
			List	   *pk = primary_key_columns(node->relid);
			bool		all = pk != NIL;
			ListCell   *lc;

			if (node->level != top || node == root || bms_is_member(node->id, fixed))
				continue;
			foreach(lc, pk)
				all = all && equated_to_fixed(st, top, node, lfirst_int(lc), root, key, fixed);
			if (all)
			{
				fixed = bms_add_member(fixed, node->id);
				changed = true;
			}
		}
	}
	return fixed;
}

/*
 * A group key: the root columns and expressions the top level groups by
 * (GROUP BY, DISTINCT, DISTINCT ON), in that order or the order
 * options->'key' names them, leaving out columns of tables the key fixes.
 * NIL when there is none.
 */
static List *
group_key(AnalysisState *st, QueryLevel *top, RelNode *root, List *names)
{
	Query	   *q = top->query;
	List	   *clauses = q->groupClause != NIL ? q->groupClause : q->distinctClause;
	List	   *columns = NIL;
	List	   *others = NIL;
	ListCell   *lc;

	if (clauses == NIL || q->groupingSets != NIL)
		return NIL;
	foreach(lc, clauses)
	{
		TargetEntry *tle = get_sortgroupclause_tle(lfirst(lc), q->targetList);
		KeyColumn  *col;

		if (other_table_column(st, top, root, tle))
		{
			others = lappend(others, tle);
			continue;
		}
		/* a constant (a UNION branch's tag) groups nothing */
		if (!tle->resjunk && IsA(strip_implicit_coercions((Node *) tle->expr), Const))
			continue;
		col = group_column(st, top, root, tle);
		if (col == NULL)
			return NIL;
		columns = lappend(columns, col);
	}
	/* a parent's columns are one value per key when it is joined by it */
	foreach(lc, others)
		if (columns == NIL ||
			!bms_is_member(other_node(st, top, lfirst(lc))->id,
						   key_determined_nodes(st, top, root, columns)))
			(void) group_column(st, top, root, lfirst(lc)); /* refuses */
	return names != NIL ? in_named_order(columns, names) : columns;
}

/* Which GROUP BY expression is not in the output, if one is not. */
static char *
grouped_not_selected(Query *q)
{
	ListCell   *lc;

	if (q->groupingSets != NIL)
		return NULL;
	foreach(lc, q->groupClause)
	{
		TargetEntry *tle = get_sortgroupclause_tle(lfirst(lc), q->targetList);

		if (tle->resjunk)
			return psprintf("the expression at position %d of GROUP BY",
							foreach_current_index(lc) + 1);
	}
	return NULL;
}

static void
refuse_no_key(AnalysisState *st, QueryLevel *top, RelNode *root, List *names)
{
	const char *rootname = get_rel_name(root->relid);
	List	   *pk = primary_key_columns(root->relid);
	StringInfoData pknames;
	ListCell   *lc;

	initStringInfo(&pknames);
	foreach(lc, pk)
		appendStringInfo(&pknames, "%s%s", pknames.len ? ", " : "",
						 get_attname(root->relid, lfirst_int(lc), false));
	if (grouped_not_selected(top->query) != NULL)
		analyze_refuse(st, psprintf("The definition groups by %s, which it does not select: the columns grouped by are the key of a row per group.",
									grouped_not_selected(top->query)),
					   "Select every expression the definition groups by, with a name.");
	if (top->query->hasAggs && top->query->groupClause == NIL && names == NIL)
		analyze_refuse(st, "The definition aggregates all the rows it reads into one row, and one row has no key.",
					   "Group by a column with few values (GROUP BY p.status) and add the rows up when reading (SELECT sum(n) FROM tv_x).");
	if (top->query->distinctClause != NIL)
		analyze_refuse(st, "The definition uses DISTINCT, and some of its columns are not columns of the root table.",
					   "Use SELECT DISTINCT or DISTINCT ON of root columns only, or GROUP BY root columns.");
	if (names != NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
				 errmsg("key %s of read model \"%s\" is neither unique in root table \"%s\" nor what the definition groups by",
						list_length(names) == 1 ? psprintf("\"%s\"", strVal(linitial(names))) :
						readmodel_key_spelling(names), st->model_name, rootname),
				 errdetail("The key must be output columns that are plain references to NOT NULL columns of the root table holding a unique index, or the root columns of the GROUP BY, DISTINCT or DISTINCT ON."),
				 errhint("Name the root table's primary key columns as the key.")));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
			 errmsg("read model \"%s\" has no usable key", st->model_name),
			 pk != NIL ?
			 errdetail("The key is the primary key of the root table \"%s\" (%s), and the definition does not select all of it.",
					   rootname, pknames.data) :
			 errdetail("The root table \"%s\" has no primary key.", rootname),
			 pk != NIL ?
			 errhint("Select the root table's primary key columns, name unique columns with options => '{\"key\": [\"a\", \"b\"]}', or GROUP BY columns of the root table.") :
			 errhint("Give %s a primary key (ALTER TABLE %s ADD COLUMN pk bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY), name NOT NULL columns with a unique index with options => '{\"key\": [\"a\", \"b\"]}', or GROUP BY columns of it.",
					 rootname, rootname)));
}

/*
 * Routes to a key of expressions only are searched for a root column whose
 * rows they are computed from: the last column of the root's primary key
 * (reading the root by it is exact), else the first column they read.
 */
static AttrNumber
anchor_for_expressions(Oid root_relid, List *columns)
{
	List	   *pk = primary_key_columns(root_relid);
	List	   *vars;

	if (pk != NIL)
		return llast_int(pk);
	vars = pull_var_clause(((KeyColumn *) linitial(columns))->expr, 0);
	return ((Var *) linitial(vars))->varattno;
}

/*
 * Key fields from its columns.  For several, the routes are searched for
 * the last root column (the anchor: in (tenant_id, id) the selective one).
 */
static void
set_key(ModelAnalysis *result, Oid root_relid, List *columns, bool unique)
{
	KeyColumn  *first = linitial(columns);
	List	   *names = NIL;
	ListCell   *lc;

	result->key_columns = columns;
	result->key_unique = unique;
	result->key_recipe = NIL;
	result->root_key_att = 0;
	foreach(lc, columns)
	{
		KeyColumn  *col = lfirst(lc);

		result->key_recipe = lappend_int(result->key_recipe, col->expr == NULL ? col->root_att :
										 KEY_RECIPE_EXPR(foreach_current_index(lc)));
		if (col->root_att != 0)
			result->root_key_att = col->root_att;
	}
	if (result->root_key_att == 0)
		result->root_key_att = anchor_for_expressions(root_relid, columns);
	result->key_resno = first->resno;
	if (list_length(columns) == 1)
	{
		result->key_name = first->name;
		result->key_type = first->type;
		result->key_collation = first->collation;
		return;
	}
	foreach(lc, columns)
		names = lappend(names, makeString(((KeyColumn *) lfirst(lc))->name));
	result->key_name = readmodel_key_spelling(names);
	/* the catalog keeps the spelling in a column of type name */
	if (strlen(result->key_name) >= NAMEDATALEN)
		ereport(ERROR,
				(errcode(ERRCODE_NAME_TOO_LONG),
				 errmsg("the key columns' names are too long together: %s",
						result->key_name),
				 errdetail("A composite key is recorded as a JSON array of its column names, of at most %d bytes.",
						   NAMEDATALEN - 1),
				 errhint("Give the key columns shorter names in the definition (e.g. SELECT b.tenant_id AS t, ...).")));
	result->key_type = RECORDOID;
	result->key_collation = InvalidOid;
}

/*
 * Output column equal to root column `att`: itself, or a column of another
 * table equated to it by an inner top-level equality of its type.
 */
static KeyColumn *
output_equal_to(AnalysisState *st, QueryLevel *top, RelNode *root, AttrNumber att)
{
	KeyColumn  *col = output_of(st, top, root, att);
	Oid			type = get_atttype(root->relid, att);
	ListCell   *lc;

	foreach(lc, st->edges)
	{
		Edge	   *e = lfirst(lc);
		bool		mine1 = (e->n1 == root->id && e->a1 == att);
		RelNode    *other;
		AttrNumber	other_att;

		if (col != NULL)
			break;
		if (e->level != top || e->outer_on || !(mine1 || (e->n2 == root->id && e->a2 == att)) ||
			e->opno != lookup_type_cache(type, TYPECACHE_EQ_OPR)->eq_opr)
			continue;
		other = analyze_node(st, mine1 ? e->n2 : e->n1);
		other_att = mine1 ? e->a2 : e->a1;
		if (get_atttype(other->relid, other_att) != type)
			continue;
		col = output_of(st, top, other, other_att);
		if (col != NULL)
			col->root_att = att;
	}
	return col;
}

/* "a.x, a.y": a table's primary key columns as the definition reads them. */
static char *
pk_names(RelNode *node)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, primary_key_columns(node->relid))
		appendStringInfo(&buf, "%s%s.%s", buf.len ? ", " : "",
						 quote_identifier(node->rte->eref->aliasname),
						 quote_identifier(get_attname(node->relid, lfirst_int(lc), false)));
	return buf.len ? buf.data : "it has none";
}

/* Is every table at the top level joined N:1 from `node`? */
static bool
determines_all(AnalysisState *st, QueryLevel *top, RelNode *node)
{
	Bitmapset  *determined = analyze_determined_nodes(st, top, bms_make_singleton(node->id));
	ListCell   *lc;

	foreach(lc, st->nodes)
	{
		RelNode    *n = lfirst(lc);

		if (n->level == top && !bms_is_member(n->id, determined))
			return false;
	}
	return true;
}

/*
 * A many-to-many join keyed by its join table: SELECT p.pk_post,
 * t.pk_tag FROM tb_post p JOIN tb_post_tag pt ON ... JOIN tb_tag t ON ...
 * has one row per row of tb_post_tag, whose primary key the output holds
 * (through the join's equalities).  Only tables of inner joins qualify; the
 * one found becomes the root.
 */
static RelNode *
join_table_key(AnalysisState *st, QueryLevel *top, RelNode *root, List **columns)
{
	Bitmapset  *nullable = analyze_nullable_rtindexes((Node *) top->query->jointree);
	ListCell   *ln;

	foreach(ln, st->nodes)
	{
		RelNode    *node = lfirst(ln);
		List	   *pk = primary_key_columns(node->relid);
		List	   *found = NIL;
		ListCell   *lc;

		if (node->level != top || node == root || pk == NIL ||
			bms_is_member(node->rtindex, nullable) || !determines_all(st, top, node))
			continue;
		foreach(lc, pk)
		{
			KeyColumn  *col = output_equal_to(st, top, node, lfirst_int(lc));

			if (col == NULL)
				break;
			found = lappend(found, col);
		}
		if (list_length(found) == list_length(pk))
		{
			*columns = found;
			return node;
		}
	}
	return NULL;
}

/*
 * The key, and the root it belongs to: the first table in FROM, or for a
 * many-to-many join without GROUP BY its join table.
 */
RelNode *
analyze_find_key(AnalysisState *st, QueryLevel *top, RelNode *root,
				 const char *explicit_key, ModelAnalysis *result)
{
	List	   *names = explicit_key ? readmodel_key_parse(explicit_key) : NIL;
	List	   *columns;
	RelNode    *other;
	Query	   *q = top->query;

	/* a join that multiplies the root's rows may be keyed by its join table */
	if (q->groupClause == NIL && q->distinctClause == NIL &&
		!determines_all(st, top, root) &&
		(other = join_table_key(st, top, root, &columns)) != NULL &&
		(names == NIL || (columns = in_named_order(columns, names)) != NIL))
	{
		set_key(result, other->relid, columns, true);
		result->root_relid = other->relid;
		return other;
	}
	/* DISTINCT is only meaningful over what a key groups */
	if (q->distinctClause == NIL &&
		(columns = unique_key(st, top, root, names)) != NIL)
		set_key(result, root->relid, columns, true);
	else if ((columns = group_key(st, top, root, names)) != NIL)
	{
		set_key(result, root->relid, columns, false);
		result->key_filter = analyze_key_filter(st, top, root, columns);
	}
	else
		refuse_no_key(st, top, root, names);
	return root;
}

/* Is `tle` the output of a key column computed by an expression? */
static bool
computed_key_column(ModelAnalysis *result, TargetEntry *tle)
{
	ListCell   *lc;

	foreach(lc, result->key_columns)
	{
		KeyColumn  *col = lfirst(lc);

		if (col->expr != NULL && col->resno == tle->resno)
			return true;
	}
	return false;
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
	ListCell   *lk;
	int			grouped_key_columns = 0;

	if (top->query->groupClause == NIL)
		return false;
	determined = analyze_determined_nodes(st, top, bms_make_singleton(root->id));
	foreach(lc, top->query->groupClause)
	{
		TargetEntry *tle = get_sortgroupclause_tle(lfirst(lc), top->query->targetList);
		RelNode    *node;
		AttrNumber	att;

		if (computed_key_column(result, tle))
		{
			grouped_key_columns++;
			continue;
		}
		if (!analyze_resolve_column(st, (Node *) tle->expr, top, false, &node, &att) ||
			!bms_is_member(node->id, determined))
			analyze_refuse(st, "The definition groups by an expression that is not a column of the root table or of a table joined to it on a unique key, so one key could give several rows.",
						   psprintf("GROUP BY the root key \"%s\" alone; PostgreSQL then lets you select the root's other columns.",
									result->key_name));
		foreach(lk, result->key_columns)
			if (node == root && att == ((KeyColumn *) lfirst(lk))->root_att)
				grouped_key_columns++;
	}
	if (grouped_key_columns < list_length(result->key_columns))
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
						   psprintf("Select %s's primary key (%s) to have a row per row of it; or join parents on their primary key (N:1) by comparing the columns themselves (u.pk_user = p.fk_user, not an expression of them or a range), aggregate children in a correlated subquery, or GROUP BY the root key.",
									get_rel_name(node->relid), pk_names(node)));
	}
}
