/*-------------------------------------------------------------------------
 *
 * analyze_union.c
 *	  A definition that is a UNION ALL of branches (a polymorphic feed: a
 *	  row per post and a row per comment).
 *
 * Each branch is analysed as a definition of its own (its root, key,
 * grouping, cardinality, order, routes).  The model's key is a branch tag
 * plus the branches' keys: an output column that is a distinct constant in
 * every branch (so the branches' rows never share a key), and the key
 * columns every branch has at the same output positions.  The key is
 * composite (keys.h); each branch's routes form its keys from its root's
 * columns and its tag.  UNION without ALL is accepted on the same terms:
 * rows of one branch differ by their key, rows of two by their tag, so it
 * removes no row and is a UNION ALL.  A UNION without a tag is keyed by
 * all of its columns (each branch read as a SELECT DISTINCT of them): a
 * value is a row when any branch has it.  A UNION ALL without a tag is
 * accepted when its second branch keeps out the first one's keys with NOT
 * EXISTS (a FULL JOIN written out).  INTERSECT and EXCEPT are
 * refused: a row's presence there depends on the other branch's rows.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "nodes/nodeFuncs.h"
#include "parser/parse_clause.h"
#include "parser/parse_oper.h"
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

#include "analyze_int.h"
#include "keys.h"

typedef struct Branch
{
	QueryLevel *top;
	RelNode    *root;
	ModelAnalysis *analysis;
	Const	   *tag;
} Branch;

/* The leaves of a tree of UNIONs, as range-table indexes. */
static List *
union_leaves(AnalysisState *st, Node *node)
{
	SetOperationStmt *op;

	if (IsA(node, RangeTblRef))
		return list_make1_int(((RangeTblRef *) node)->rtindex);
	op = castNode(SetOperationStmt, node);
	if (op->op != SETOP_UNION)
		analyze_refuse(st, psprintf("The definition uses %s: whether a row is in it depends on the other branch's rows.",
									op->op == SETOP_INTERSECT ? "INTERSECT" : "EXCEPT"),
					   op->op == SETOP_INTERSECT ?
					   "Keep the rows of one branch that have a match with WHERE EXISTS (SELECT ... WHERE <the columns are equal>)." :
					   "Keep the rows of one branch that have no match with WHERE NOT EXISTS (SELECT ... WHERE <the columns are equal>).");
	return list_concat(union_leaves(st, op->larg), union_leaves(st, op->rarg));
}

/*
 * Does the tree's last set operation remove duplicates (UNION, no ALL)?
 * Only then is every row of the result distinct: A UNION B UNION ALL C
 * keeps C's duplicates.
 */
static bool
removes_duplicates(Node *node)
{
	return IsA(node, SetOperationStmt) && !((SetOperationStmt *) node)->all;
}

/*
 * A UNION without a tag: a row is in it when it is in any branch, so the
 * key is all of its columns, and each branch is read as a SELECT DISTINCT
 * of them (its rows are mapped to the values of its columns).  The
 * analysis's copy of the branch gets the DISTINCT; its definition is
 * evaluated as written.
 */
static void
read_as_distinct(Query *q)
{
	ListCell   *lc;

	if (q->groupClause != NIL || q->distinctClause != NIL || q->hasAggs ||
		q->hasWindowFuncs)
		return;
	foreach(lc, q->targetList)
	{
		TargetEntry *tle = lfirst(lc);
		SortGroupClause *sgc;
		Oid			sortop;
		Oid			eqop;
		bool		hashable;

		if (tle->resjunk)
			continue;
		get_sort_group_operators(exprType((Node *) tle->expr), false, true, false,
								 &sortop, &eqop, NULL, &hashable);
		sgc = makeNode(SortGroupClause);
		sgc->tleSortGroupRef = assignSortGroupRef(tle, q->targetList);
		sgc->eqop = eqop;
		sgc->sortop = sortop;
		sgc->hashable = hashable;
		q->distinctClause = lappend(q->distinctClause, sgc);
	}
}

/*
 * Without a tag, rows of two branches with equal values are one row: the
 * union's own column types (their common typmod) must have equal images
 * for equal values (numeric(10,1) and numeric(10,2) make numeric).
 */
static void
check_union_columns(AnalysisState *st, Query *query)
{
	SetOperationStmt *op = castNode(SetOperationStmt, query->setOperations);
	ListCell   *lt,
			   *lm,
			   *lc;
	int			i = 0;

	forthree(lt, op->colTypes, lm, op->colTypmods, lc, op->colCollations)
	{
		i++;
		if (!analyze_equal_image_type(lfirst_oid(lt), lfirst_int(lm), lfirst_oid(lc)))
			analyze_refuse(st, psprintf("Column %d of the UNION is of type %s, for which equal values can look different (1.0 and 1.00), so which one a row holds would depend on the plan.",
										i, format_type_with_typemod(lfirst_oid(lt), lfirst_int(lm))),
						   "Cast the column to one type with a scale in every branch (::numeric(10,2)), or add a column that tells the branches apart.");
	}
}

/* Without a tag, every column of a branch must be in its key. */
static void
check_keyed_by_all(AnalysisState *st, Branch *b, int number)
{
	ListCell   *lc;
	int			columns = 0;

	foreach(lc, b->top->query->targetList)
		columns += ((TargetEntry *) lfirst(lc))->resjunk ? 0 : 1;
	if (list_length(b->analysis->key_columns) != columns)
		analyze_refuse(st, psprintf("Branch %d of the UNION has columns that are not its key, and no output column tells the branches apart, so two branches could give different rows with the same key.",
									number),
					   "Add a column that is a different constant in each branch (SELECT 'post' AS kind, ...), or select only the key columns in each branch.");
}

/* Output column `resno` of a branch, if it is a non-NULL constant. */
static Const *
branch_constant(Query *q, AttrNumber resno)
{
	TargetEntry *tle = get_tle_by_resno(q->targetList, resno);
	Node	   *expr = tle ? strip_implicit_coercions((Node *) tle->expr) : NULL;

	if (expr == NULL || !IsA(expr, Const) || ((Const *) expr)->constisnull)
		return NULL;
	return (Const *) expr;
}

/* Is output column `resno` a distinct constant in every branch? */
static bool
is_tag_column(List *branches, AttrNumber resno)
{
	ListCell   *lb;

	foreach(lb, branches)
	{
		Branch	   *b = lfirst(lb);
		Const	   *c = branch_constant(b->top->query, resno);
		ListCell   *lo;

		if (c == NULL ||
			!analyze_equal_image_type(c->consttype, c->consttypmod, c->constcollid))
			return false;
		foreach(lo, branches)
		{
			Const	   *other;

			if (lo == lb)
				break;
			other = ((Branch *) lfirst(lo))->tag;
			if (other->consttype == c->consttype &&
				datumIsEqual(other->constvalue, c->constvalue, c->constbyval, c->constlen))
				return false;
		}
		b->tag = c;
	}
	return true;
}

/* The first output column that tags the branches, or 0. */
static AttrNumber
find_tag(List *branches, Query *query)
{
	ListCell   *lc;

	foreach(lc, query->targetList)
	{
		TargetEntry *tle = lfirst(lc);

		if (!tle->resjunk && is_tag_column(branches, tle->resno))
			return tle->resno;
	}
	foreach(lc, branches)
		((Branch *) lfirst(lc))->tag = NULL;
	return InvalidAttrNumber;
}

/* Is `var` the plain key column `key` of range-table entry `rtindex`? */
static bool
is_key_var(Node *var, Index rtindex, KeyColumn *key, Index levelsup)
{
	return var && IsA(var, Var) && ((Var *) var)->varlevelsup == levelsup &&
		((Var *) var)->varno == rtindex && ((Var *) var)->varattno == key->root_att;
}

/*
 * Is `cond` NOT EXISTS (SELECT FROM r WHERE r.k = <key>), r and k the first
 * branch's root and key, <key> the second branch's key column, compared by
 * the key type's equality?
 */
static bool
excludes_first_keys(Node *cond, Branch *first, Branch *second)
{
	KeyColumn  *k1 = linitial(first->analysis->key_columns);
	KeyColumn  *k2 = linitial(second->analysis->key_columns);
	SubLink    *sub;
	Query	   *q;
	RangeTblEntry *rte;
	OpExpr	   *op;
	Node	   *inner,
			   *outer;

	if (!is_notclause(cond) ||
		!IsA((sub = (SubLink *) get_notclausearg((Expr *) cond)), SubLink) ||
		sub->subLinkType != EXISTS_SUBLINK)
		return false;
	q = castNode(Query, sub->subselect);
	if (q->setOperations || q->groupClause || q->havingQual || q->limitCount ||
		q->limitOffset || q->cteList || q->hasAggs || q->hasWindowFuncs ||
		q->hasTargetSRFs || list_length(q->rtable) != 1 ||
		list_length(q->jointree->fromlist) != 1 ||
		!IsA(linitial(q->jointree->fromlist), RangeTblRef))
		return false;
	rte = linitial(q->rtable);
	op = (OpExpr *) q->jointree->quals;
	if (rte->rtekind != RTE_RELATION || rte->relid != first->root->relid ||
		rte->inh != first->root->rte->inh || op == NULL || !IsA(op, OpExpr) ||
		list_length(op->args) != 2 ||
		op->opno != lookup_type_cache(k1->type, TYPECACHE_EQ_OPR)->eq_opr)
		return false;
	inner = linitial(op->args);
	outer = lsecond(op->args);
	if (IsA(inner, Var) && ((Var *) inner)->varlevelsup == 1)
	{
		Node	   *swap = inner;

		inner = outer;
		outer = swap;
	}
	return is_key_var(inner, 1, k1, 0) &&
		is_key_var(outer, second->root->rtindex, k2, 1);
}

/*
 * Could a UNION ALL without a tag be proven to keep its branches apart?
 * Two branches, the second with a NOT EXISTS condition.  Else it is
 * refused before its branches are, with the reason that matters.
 */
static bool
may_be_disjoint(List *branches)
{
	ListCell   *lc;

	if (list_length(branches) != 2)
		return false;
	foreach(lc, analyze_top_conditions(((Branch *) llast(branches))->top))
		if (is_notclause(lfirst(lc)) &&
			IsA(get_notclausearg((Expr *) lfirst(lc)), SubLink))
			return true;
	return false;
}

static void
refuse_untagged(AnalysisState *st)
{
	analyze_refuse(st, "No output column of the UNION ALL is a different constant in each branch, so rows of two branches could have the same key.",
				   "Add a column that tells the branches apart, e.g. SELECT 'post' AS kind, p.pk_post AS id, ... UNION ALL SELECT 'comment', c.pk_comment, ...; or, for the rows of a FULL JOIN, keep out of the second branch the first one's keys: ... FROM b WHERE NOT EXISTS (SELECT FROM a WHERE a.k = b.k).");
}

/*
 * A UNION ALL without a tag: accepted when its two branches are keyed by
 * one plain root column each, of one equal-image type, and the second
 * keeps only keys the first's root does not have (NOT EXISTS): each key
 * of the first is a row of its root, so no key is in both (a FULL JOIN
 * written out).
 */
static void
check_disjoint(AnalysisState *st, List *branches)
{
	Branch	   *first = linitial(branches);
	Branch	   *second = llast(branches);
	KeyColumn  *k1 = linitial(first->analysis->key_columns);
	ListCell   *lc;

	if (list_length(branches) == 2 && first->analysis->key_unique &&
		second->analysis->key_unique &&
		list_length(first->analysis->key_columns) == 1 &&
		list_length(second->analysis->key_columns) == 1 &&
		k1->expr == NULL && k1->root_att > 0 &&
		((KeyColumn *) linitial(second->analysis->key_columns))->root_att > 0 &&
		analyze_equal_image_type(k1->type, -1, k1->collation))
	{
		foreach(lc, analyze_top_conditions(second->top))
			if (excludes_first_keys(lfirst(lc), first, second))
				return;
	}
	refuse_untagged(st);
}

/* Every branch's key must be at the same output positions, of one type. */
static void
check_branch_keys(AnalysisState *st, List *branches, AttrNumber tag)
{
	ModelAnalysis *first = ((Branch *) linitial(branches))->analysis;
	ListCell   *lb;

	foreach(lb, branches)
	{
		ModelAnalysis *a = ((Branch *) lfirst(lb))->analysis;
		ListCell   *lf,
				   *la;
		bool		same = list_length(a->key_columns) == list_length(first->key_columns);

		forboth(lf, first->key_columns, la, a->key_columns)
		{
			KeyColumn  *f = lfirst(lf);
			KeyColumn  *k = lfirst(la);

			same &= (f->resno == k->resno && f->type == k->type && k->resno != tag);
		}
		if (!same)
			analyze_refuse(st, "The branches of the UNION ALL do not have their keys at the same output columns, of the same types.",
						   "Select each branch's key (its root's primary key) in the same position, e.g. the second column, with the tag column first.");
	}
}

/* The model's key: the tag, then the branches' key columns. */
static void
union_key(Query *query, List *branches, AttrNumber tag, ModelAnalysis *result)
{
	ModelAnalysis *first = ((Branch *) linitial(branches))->analysis;
	TargetEntry *tle = tag ? get_tle_by_resno(query->targetList, tag) : NULL;
	KeyColumn  *tagcol = palloc0(sizeof(KeyColumn));
	List	   *names = NIL;
	ListCell   *lc;

	result->key_columns = NIL;
	if (tag != InvalidAttrNumber)
	{
		tagcol->name = pstrdup(tle->resname);
		tagcol->resno = tag;
		tagcol->type = exprType((Node *) tle->expr);
		tagcol->collation = exprCollation((Node *) tle->expr);
		result->key_columns = lcons(tagcol, NIL);
	}
	foreach(lc, first->key_columns)
	{
		KeyColumn  *col = palloc(sizeof(KeyColumn));

		*col = *(KeyColumn *) lfirst(lc);
		col->name = get_tle_by_resno(query->targetList, col->resno)->resname;
		col->root_att = InvalidAttrNumber;	/* per branch */
		result->key_columns = lappend(result->key_columns, col);
	}
	foreach(lc, result->key_columns)
		names = lappend(names, makeString(((KeyColumn *) lfirst(lc))->name));
	result->key_name = readmodel_key_spelling(names);
	result->key_resno = ((KeyColumn *) linitial(result->key_columns))->resno;
	result->key_type = RECORDOID;
	result->key_collation = InvalidOid;
	result->key_unique = (tag != InvalidAttrNumber);
	if (list_length(result->key_columns) == 1)
	{
		result->key_type = ((KeyColumn *) linitial(result->key_columns))->type;
		result->key_collation = ((KeyColumn *) linitial(result->key_columns))->collation;
	}
}

static void merge_branch(ModelAnalysis *a, ModelAnalysis *result);

/* A branch's routes, into the model's sources. */
static void
branch_routes(AnalysisState *st, Branch *b, ModelAnalysis *result)
{
	ModelAnalysis *a = b->analysis;
	ListCell   *lc;
	List	   *recipe = NIL;

	if (b->tag == NULL)
	{
		/* a UNION without a tag: each branch keyed by all its columns */
		analyze_build_routes(st, b->top, b->root, a);
		merge_branch(a, result);
		return;
	}
	/* composite: the tag, then this branch's own key columns */
	a->key_columns = lcons(linitial(result->key_columns), a->key_columns);
	foreach(lc, a->key_recipe)
	{
		int			entry = lfirst_int(lc);

		/* an expression's index moves past the tag */
		recipe = lappend_int(recipe, entry >= 0 ? entry :
							 KEY_RECIPE_EXPR(KEY_RECIPE_EXPR_INDEX(entry) + 1));
	}
	a->key_recipe = lcons_int(0, recipe);
	a->key_tag = b->tag;
	analyze_build_routes(st, b->top, b->root, a);
	merge_branch(a, result);
}

/* A branch's sources, routes and locks, into the model's. */
static void
merge_branch(ModelAnalysis *a, ModelAnalysis *result)
{
	ListCell   *lc;

	foreach(lc, a->sources)
	{
		ModelSource *src = lfirst(lc);
		ModelSource *into = NULL;
		ListCell   *ls;

		foreach(ls, result->sources)
			if (((ModelSource *) lfirst(ls))->relid == src->relid)
				into = lfirst(ls);
		if (into == NULL)
			result->sources = lappend(result->sources, src);
		else
		{
			into->read_cols = bms_union(into->read_cols, src->read_cols);
			into->routes = list_concat(into->routes, src->routes);
		}
	}
	result->lock_relids = list_concat(result->lock_relids, a->lock_relids);
	result->lock_schemes = list_concat(result->lock_schemes, a->lock_schemes);
	result->edge_relids = list_concat(result->edge_relids, a->edge_relids);
	result->edge_attnos = list_concat(result->edge_attnos, a->edge_attnos);
}

static void
branch_context(void *arg)
{
	errcontext("in branch %d of the UNION, which is analysed as a definition of its own",
			   *(int *) arg);
}

/*
 * The key named in the options, as the branch's own column names: the
 * union's columns but the tag, by position (a branch may name them
 * otherwise).  NULL when none is named.
 */
static char *
branch_key_names(Query *query, Query *branch, const char *explicit_key,
				 AttrNumber tag)
{
	List	   *names = NIL;
	ListCell   *lc;

	if (explicit_key == NULL)
		return NULL;
	foreach(lc, readmodel_key_parse(explicit_key))
	{
		ListCell   *lt;

		foreach(lt, query->targetList)
		{
			TargetEntry *tle = lfirst(lt);

			if (tle->resno != tag && strcmp(tle->resname, strVal(lfirst(lc))) == 0)
				names = lappend(names, makeString(get_tle_by_resno(branch->targetList,
																   tle->resno)->resname));
		}
	}
	return names ? readmodel_key_spelling(names) : NULL;
}

/* A branch's root, key and checks, as if it were the whole definition. */
static void
analyze_branch(AnalysisState *st, Branch *b, int number, const char *key_names)
{
	ErrorContextCallback callback;
	bool		grouped;

	callback.callback = branch_context;
	callback.arg = &number;
	callback.previous = error_context_stack;
	error_context_stack = &callback;
	b->root = analyze_find_root(st, b->top);
	b->analysis = palloc0(sizeof(ModelAnalysis));
	b->root = analyze_find_key(st, b->top, b->root, key_names, b->analysis);
	grouped = analyze_check_grouping(st, b->top, b->root, b->analysis);
	analyze_check_cardinality(st, b->top, b->root);
	analyze_check_orders(st, b->top, b->root, grouped && b->analysis->key_unique);
	error_context_stack = callback.previous;
}

void
analyze_union(AnalysisState *st, Query *query, const char *explicit_key,
			  ModelAnalysis *result)
{
	int			number = 0;
	List	   *branches = NIL;
	ListCell   *lc;
	AttrNumber	tag;
	bool		by_all;

	foreach(lc, union_leaves(st, query->setOperations))
	{
		Branch	   *b = palloc0(sizeof(Branch));

		b->top = analyze_walk(st, rt_fetch(lfirst_int(lc), query->rtable)->subquery);
		branches = lappend(branches, b);
	}
	analyze_collect_edges(st);
	tag = find_tag(branches, query);
	by_all = (tag == InvalidAttrNumber && removes_duplicates(query->setOperations));
	if (by_all)
		check_union_columns(st, query);
	else if (tag == InvalidAttrNumber && !may_be_disjoint(branches))
		refuse_untagged(st);
	foreach(lc, branches)
	{
		Branch	   *b = lfirst(lc);

		if (by_all)
			read_as_distinct(b->top->query);
		analyze_branch(st, b, ++number,
					   by_all ? NULL : branch_key_names(query, b->top->query, explicit_key, tag));
		if (by_all)
			check_keyed_by_all(st, b, number);
	}
	if (tag == InvalidAttrNumber && !by_all)
		check_disjoint(st, branches);
	check_branch_keys(st, branches, tag);
	union_key(query, branches, tag, result);
	result->key_unique = !by_all;
	result->root_relid = ((Branch *) linitial(branches))->root->relid;
	foreach(lc, branches)
		branch_routes(st, lfirst(lc), result);
}
