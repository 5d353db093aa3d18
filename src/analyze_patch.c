/*-------------------------------------------------------------------------
 *
 * analyze_patch.c
 *	  Find the document paths a definition fills with a source column's
 *	  value unchanged, so that a change of that column can be written into
 *	  the stored documents in place instead of recomputing them.
 *
 * A path qualifies when, at the top level of a definition without
 * aggregation or grouped by its unique key, an output column is
 * jsonb_build_object(...) (possibly nested) and the value at the path is
 * a plain column reference (outside any aggregate).  The
 * source column then qualifies when every reference to it anywhere in the
 * definition is such a copy: no qual, join, expression or subquery looks at
 * it, so changing it changes nothing but those paths.
 *
 * To find the rows to patch, the source's occurrence needs a unique column
 * ("via") equal to an output column of the model in every row where the
 * occurrence contributes: the root's key, an inner-joined parent's key
 * equated with a selected foreign key, or a LEFT JOINed parent whose ON
 * clause is exactly that equality.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "nodes/nodeFuncs.h"
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

#include "analyze_int.h"
#include "util.h"

/* References to one source column, and how many are patchable copies. */
typedef struct ColumnRefs
{
	Oid			relid;
	AttrNumber	att;
	int			refs;
	int			copies;
} ColumnRefs;

typedef struct PatchState
{
	AnalysisState *st;
	QueryLevel *top;
	RelNode    *root;
	ModelAnalysis *result;
	List	   *refs;			/* ColumnRefs * */
	Bitmapset  *nullable;		/* top-level rtindexes on the nullable side
								 * of an outer join */
	List	   *copies;			/* PatchPath *, parallel to copy_nodes */
	List	   *copy_nodes;		/* RelNode * */
	QueryLevel *level;			/* during the reference walk */
	bool		grouped;		/* grouped by the key: the other grouping
								 * columns are determined by it */
} PatchState;

static ColumnRefs *
column_refs(PatchState *ps, Oid relid, AttrNumber att)
{
	ListCell   *lc;
	ColumnRefs *refs;

	foreach(lc, ps->refs)
	{
		refs = lfirst(lc);
		if (refs->relid == relid && refs->att == att)
			return refs;
	}
	refs = palloc0(sizeof(ColumnRefs));
	refs->relid = relid;
	refs->att = att;
	ps->refs = lappend(ps->refs, refs);
	return refs;
}

/* A top-level column: through join aliases, `exact` refusing casts. */
static RelNode *
top_column(PatchState *ps, Node *expr, AttrNumber *att, bool exact)
{
	RelNode    *node;

	if (expr == NULL ||
		!analyze_resolve_column(ps->st, expr, ps->top, exact, &node, att) ||
		node->level != ps->top)
		return NULL;
	return node;
}

/* ---------- counting every reference ---------- */

static bool count_walker(Node *node, PatchState *ps);

/*
 * A hidden output the top level only groups by.  Grouped by the key, a
 * grouping column is determined by it and splits no group, so grouping by
 * it does not look at its value.
 */
static bool
in_clause(List *clauses, Index ref)
{
	ListCell   *lc;

	foreach(lc, clauses)
		if (((SortGroupClause *) lfirst(lc))->tleSortGroupRef == ref)
			return true;
	return false;
}

static bool
grouping_only(TargetEntry *tle, Query *query)
{
	ListCell   *lc;

	if (!tle->resjunk || tle->ressortgroupref == 0 ||
		in_clause(query->sortClause, tle->ressortgroupref) ||
		in_clause(query->distinctClause, tle->ressortgroupref))
		return false;
	/* a window partitioned or ordered by it reads it across rows */
	foreach(lc, query->windowClause)
	{
		WindowClause *wc = lfirst(lc);

		if (in_clause(wc->partitionClause, tle->ressortgroupref) ||
			in_clause(wc->orderClause, tle->ressortgroupref))
			return false;
	}
	return true;
}

static void
count_var(PatchState *ps, Var *var)
{
	QueryLevel *target = ps->level;
	RangeTblEntry *rte;
	Index		up;

	for (up = 0; up < var->varlevelsup && target; up++)
		target = target->parent;
	if (target == NULL)
		return;
	rte = rt_fetch(var->varno, target->query->rtable);
	if (rte->rtekind == RTE_RELATION)
	{
		RelNode    *node = analyze_find_node(ps->st, target, var->varno);

		if (node != NULL)
			column_refs(ps, node->relid, var->varattno)->refs++;
	}
	else if (rte->rtekind == RTE_JOIN && var->varattno > 0 &&
			 var->varattno <= list_length(rte->joinaliasvars))
	{
		/* an alias stands for the expression it names, at its own level */
		QueryLevel *save = ps->level;

		ps->level = target;
		count_walker(list_nth(rte->joinaliasvars, var->varattno - 1), ps);
		ps->level = save;
	}
	else if (rte->rtekind == RTE_JOIN && var->varattno == 0)
		count_walker((Node *) rte->joinaliasvars, ps);
}

static bool
count_walker(Node *node, PatchState *ps)
{
	if (node == NULL)
		return false;
	if (IsA(node, Var))
	{
		count_var(ps, (Var *) node);
		return false;
	}
	if (IsA(node, TargetEntry) && ps->grouped && ps->level == ps->top &&
		grouping_only((TargetEntry *) node, ps->top->query))
		return false;
	if (IsA(node, Query))
	{
		QueryLevel *save = ps->level;

		ps->level = analyze_find_level(ps->st, (Query *) node);
		if (ps->level != NULL)
			query_tree_walker((Query *) node, count_walker, (void *) ps,
							  QTW_IGNORE_JOINALIASES);
		ps->level = save;
		return false;
	}
	return expression_tree_walker(node, count_walker, (void *) ps);
}

/* ---------- copies: jsonb_build_object arguments ---------- */

/* A constant text key of jsonb_build_object, or NULL. */
char *
analyze_const_key(Node *arg)
{
	Const	   *c;
	Oid			outfunc;
	bool		isvarlena;

	if (arg == NULL || !IsA(arg, Const))
		return NULL;
	c = (Const *) arg;
	if (c->constisnull ||
		(c->consttype != TEXTOID && c->consttype != UNKNOWNOID &&
		 c->consttype != VARCHAROID))
		return NULL;
	getTypeOutputInfo(c->consttype, &outfunc, &isvarlena);
	return OidOutputFunctionCall(outfunc, c->constvalue);
}

/* jsonb_build_object(k, v, ...) with its arguments spelled out. */
bool
analyze_is_build_object(Node *expr)
{
	return expr && IsA(expr, FuncExpr) &&
		((FuncExpr *) expr)->funcid == F_JSONB_BUILD_OBJECT_ANY &&
		!((FuncExpr *) expr)->funcvariadic;
}

static void
collect_copies(PatchState *ps, FuncExpr *build, List *path, const char *doc_col)
{
	int			nargs = list_length(build->args);
	char	  **keys;
	int			i,
				j;

	if (nargs % 2 != 0)
		return;
	keys = palloc0(sizeof(char *) * (nargs / 2 + 1));
	for (i = 0; i < nargs / 2; i++)
	{
		keys[i] = analyze_const_key(list_nth(build->args, 2 * i));
		/* a computed key could equal any other and override it */
		if (keys[i] == NULL)
			return;
	}

	for (i = 0; i < nargs / 2; i++)
	{
		Node	   *value = list_nth(build->args, 2 * i + 1);
		List	   *subpath;
		bool		duplicate = false;
		RelNode    *node;
		AttrNumber	att;

		/* with a repeated key the last one wins; leave those alone */
		for (j = 0; j < nargs / 2; j++)
			if (j != i && strcmp(keys[i], keys[j]) == 0)
				duplicate = true;
		if (duplicate)
			continue;
		subpath = lappend(list_copy(path), makeString(keys[i]));
		if (analyze_is_build_object(value))
		{
			collect_copies(ps, (FuncExpr *) value, subpath, doc_col);
			continue;
		}
		node = IsA(value, Var) ? top_column(ps, value, &att, true) : NULL;
		if (node == NULL)
			continue;
		{
			PatchPath  *copy = palloc0(sizeof(PatchPath));

			copy->att = att;
			copy->doc_col = pstrdup(doc_col);
			copy->keys = subpath;
			ps->copies = lappend(ps->copies, copy);
			ps->copy_nodes = lappend(ps->copy_nodes, node);
		}
	}
}

/*
 * An output column that is a plain reference to a top-level column, of
 * its very type: patched by setting it.  Key columns are the rows'
 * identity, never patched.
 */
static void
collect_plain_copy(PatchState *ps, TargetEntry *tle)
{
	PatchPath  *copy;
	RelNode    *node;
	AttrNumber	att;
	ListCell   *lc;

	foreach(lc, ps->result->key_columns)
		if (((KeyColumn *) lfirst(lc))->resno == tle->resno)
			return;
	if (!IsA(tle->expr, Var) ||
		(node = top_column(ps, (Node *) tle->expr, &att, true)) == NULL ||
		att <= 0)
		return;
	copy = palloc0(sizeof(PatchPath));
	copy->att = att;
	copy->doc_col = pstrdup(tle->resname);
	copy->keys = NIL;
	ps->copies = lappend(ps->copies, copy);
	ps->copy_nodes = lappend(ps->copy_nodes, node);
}

/* ---------- which rows a source occurrence's values reach ---------- */

/*
 * The output column that is exactly column (node, att), if any.  The patch
 * matches rows by it and locks it against writers, so it must be the
 * column the source is joined by, not a copy of the source's own key.
 */
static TargetEntry *
output_column(PatchState *ps, RelNode *node, AttrNumber att)
{
	ListCell   *lc;

	foreach(lc, ps->top->query->targetList)
	{
		TargetEntry *tle = lfirst(lc);
		RelNode    *n;
		AttrNumber	a;

		if (tle->resjunk || tle->resname == NULL)
			continue;
		n = top_column(ps, (Node *) tle->expr, &a, false);
		if (n == node && a == att)
			return tle;
	}
	return NULL;
}

/*
 * An edge by which `node`'s unique column equals a selected column in
 * every row where the node contributes: a WHERE or inner ON equality, or,
 * for a LEFT JOINed table, its ON when that is exactly the equality.  The
 * equality must be its type's own, the one the patch statement matches by.
 */
static bool
via_edge(PatchState *ps, RelNode *node, Edge *e, AttrNumber *att,
		 RelNode **other, AttrNumber *other_att)
{
	bool		nullable = bms_is_member(node->rtindex, ps->nullable);

	if (e->level != ps->top || (e->n1 != node->id && e->n2 != node->id))
		return false;
	if (nullable ? !(e->outer_on && e->sole_on && e->rarg_rtindex == node->rtindex)
		: e->outer_on)
		return false;
	*att = (e->n1 == node->id) ? e->a1 : e->a2;
	*other = analyze_node(ps->st, (e->n1 == node->id) ? e->n2 : e->n1);
	*other_att = (e->n1 == node->id) ? e->a2 : e->a1;
	return (*other)->level == ps->top &&
		e->opno == lookup_type_cache(get_atttype(node->relid, *att), TYPECACHE_EQ_OPR)->eq_opr &&
		analyze_is_unique_column(node->relid, *att);
}

static TargetEntry *
find_via(PatchState *ps, RelNode *node, PatchTarget *target,
		 RelNode **out_node, AttrNumber *out_att)
{
	ListCell   *lc;

	foreach(lc, ps->st->edges)
	{
		AttrNumber	att;
		TargetEntry *tle;

		if (via_edge(ps, node, lfirst(lc), &att, out_node, out_att) &&
			(tle = output_column(ps, *out_node, *out_att)) != NULL)
		{
			target->via_att = att;
			return tle;
		}
	}
	return NULL;
}

/* Build the patch target of one occurrence, or NULL when it has no via. */
static PatchTarget *
make_target(PatchState *ps, RelNode *node)
{
	PatchTarget *target = palloc0(sizeof(PatchTarget));
	TargetEntry *tle = NULL;
	RelNode    *out_node = NULL;
	AttrNumber	out_att = 0;

	target->relid = node->relid;
	if (node == ps->root)
	{
		target->via_att = ps->result->root_key_att;
		target->out_col = pstrdup(ps->result->key_name);
	}
	else
		tle = find_via(ps, node, target, &out_node, &out_att);
	if (target->via_att == 0)
		return NULL;
	/* writers lock the matched column's values: same type, same lock tag */
	if (tle != NULL &&
		get_atttype(out_node->relid, out_att) != get_atttype(node->relid, target->via_att))
		return NULL;
	target->via_type = get_atttype(node->relid, target->via_att);
	target->via_eq_opr = lookup_type_cache(target->via_type, TYPECACHE_EQ_OPR)->eq_opr;
	if (!OidIsValid(target->via_eq_opr))
		return NULL;
	if (tle != NULL)
	{
		target->out_col = pstrdup(tle->resname);
		target->lock_relid = out_node->relid;
		target->lock = *analyze_lock_scheme(out_att, target->via_eq_opr,
											readmodel_column_collation(out_node->relid, out_att));
		ps->result->lock_relids = lappend_oid(ps->result->lock_relids, target->lock_relid);
		ps->result->lock_schemes = lappend(ps->result->lock_schemes, &target->lock);
	}
	return target;
}

static char *
describe_target(PatchTarget *target)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	appendStringInfo(&buf, "patch");
	foreach(lc, target->paths)
	{
		PatchPath  *path = lfirst(lc);
		ListCell   *lk;

		appendStringInfo(&buf, "%s %s", lc == list_head(target->paths) ? "" : ",",
						 quote_identifier(path->doc_col));
		foreach(lk, path->keys)
			appendStringInfo(&buf, "->'%s'", strVal(lfirst(lk)));
		appendStringInfo(&buf, " := %s", get_attname(target->relid, path->att, false));
	}
	appendStringInfo(&buf, " where %s = %s.%s", target->out_col,
					 get_rel_name(target->relid),
					 get_attname(target->relid, target->via_att, false));
	return buf.data;
}

static ModelSource *
model_source(ModelAnalysis *result, Oid relid)
{
	ListCell   *lc;

	foreach(lc, result->sources)
		if (((ModelSource *) lfirst(lc))->relid == relid)
			return lfirst(lc);
	return NULL;
}

/* Group the copies by occurrence into targets; count the patchable ones. */
static void
build_targets(PatchState *ps)
{
	List	   *done = NIL;
	ListCell   *lc,
			   *ln;

	forboth(lc, ps->copies, ln, ps->copy_nodes)
	{
		RelNode    *node = lfirst(ln);
		PatchTarget *target;
		ListCell   *lc2,
				   *ln2;

		if (list_member_ptr(done, node))
			continue;
		done = lappend(done, node);
		target = make_target(ps, node);
		if (target == NULL)
			continue;
		forboth(lc2, ps->copies, ln2, ps->copy_nodes)
		{
			PatchPath  *copy = lfirst(lc2);

			if (lfirst(ln2) != node)
				continue;
			target->paths = lappend(target->paths, copy);
			column_refs(ps, node->relid, copy->att)->copies++;
		}
		target->index = list_length(ps->result->patches);
		target->description = describe_target(target);
		ps->result->patches = lappend(ps->result->patches, target);
		model_source(ps->result, node->relid)->patches =
			lappend(model_source(ps->result, node->relid)->patches, target);
	}
}

/*
 * A plain output column that is not patchable (a join column, a key) is
 * never changed by a patch's UPDATE: leave it out of the statement.
 */
static void
drop_unpatchable_columns(PatchTarget *target, ModelSource *source)
{
	List	   *kept = NIL;
	ListCell   *lc;

	foreach(lc, target->paths)
	{
		PatchPath  *path = lfirst(lc);

		if (path->keys != NIL || bms_is_member(path->att, source->patch_cols))
			kept = lappend(kept, path);
	}
	if (kept != NIL && list_length(kept) < list_length(target->paths))
	{
		target->paths = kept;
		target->description = describe_target(target);
	}
}

void
analyze_patches(AnalysisState *st, QueryLevel *top, RelNode *root,
				ModelAnalysis *result)
{
	PatchState	ps;
	Query	   *query = top->query;
	ListCell   *lc;

	/*
	 * Aggregation mixes rows, unless each group is one root row (grouped by
	 * the unique key): then the top level's plain columns are its own or
	 * those of tables joined to it N:1, one value per group.
	 */
	if ((query->hasAggs || query->groupClause != NIL) &&
		(query->groupClause == NIL || !result->key_unique ||
		 query->groupingSets != NIL))
		return;
	memset(&ps, 0, sizeof(ps));
	ps.grouped = (query->groupClause != NIL);
	ps.st = st;
	ps.top = top;
	ps.root = root;
	ps.result = result;

	foreach(lc, query->targetList)
	{
		TargetEntry *tle = lfirst(lc);

		if (tle->resjunk || tle->resname == NULL)
			continue;
		if (exprType((Node *) tle->expr) == JSONBOID &&
			analyze_is_build_object((Node *) tle->expr))
			collect_copies(&ps, (FuncExpr *) tle->expr, NIL, tle->resname);
		else
			collect_plain_copy(&ps, tle);
	}
	if (ps.copies == NIL)
		return;

	ps.nullable = analyze_nullable_rtindexes((Node *) query->jointree);
	ps.level = top;
	query_tree_walker(query, count_walker, (void *) &ps, QTW_IGNORE_JOINALIASES);
	build_targets(&ps);

	/* a column is patchable when every reference to it is a patched copy */
	foreach(lc, ps.refs)
	{
		ColumnRefs *refs = lfirst(lc);
		ModelSource *source = model_source(result, refs->relid);

		if (source && refs->copies > 0 && refs->copies == refs->refs)
			source->patch_cols = bms_add_member(source->patch_cols, refs->att);
	}
	foreach(lc, result->patches)
		drop_unpatchable_columns(lfirst(lc), model_source(result, ((PatchTarget *) lfirst(lc))->relid));
}
