/*-------------------------------------------------------------------------
 *
 * analyze_patch.c
 *	  Find the document paths a definition fills with a source column's
 *	  value unchanged, so that a change of that column can be written into
 *	  the stored documents in place instead of recomputing them.
 *
 * A path qualifies when, at the top level of a definition without
 * aggregation, an output column is jsonb_build_object(...) (possibly
 * nested) and the value at the path is a plain column reference.  The
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

/* A top-level column equality that holds in every output row. */
typedef struct TopEdge
{
	RelNode    *n1;
	AttrNumber	a1;
	RelNode    *n2;
	AttrNumber	a2;
} TopEdge;

/* The single ON equality of a LEFT JOINed table. */
typedef struct OuterVia
{
	RelNode    *node;
	AttrNumber	att;			/* the table's column */
	RelNode    *other;
	AttrNumber	other_att;
} OuterVia;

typedef struct PatchState
{
	AnalysisState *st;
	QueryLevel *top;
	RelNode    *root;
	ModelAnalysis *result;
	List	   *refs;			/* ColumnRefs * */
	List	   *edges;			/* TopEdge * */
	List	   *outer_vias;		/* OuterVia * */
	Bitmapset  *nullable;		/* node ids on the nullable side of a join */
	List	   *copies;			/* PatchPath *, parallel to copy_nodes */
	List	   *copy_nodes;		/* RelNode * */
	QueryLevel *level;			/* during the reference walk */
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

static Var *
plain_var(Node *expr)
{
	while (expr && IsA(expr, RelabelType))
		expr = (Node *) ((RelabelType *) expr)->arg;
	return (expr && IsA(expr, Var)) ? (Var *) expr : NULL;
}

/*
 * A top-level Var, through join aliases, to a relation column.  `exact`
 * refuses binary-compatible casts on the way: a copy must have the column's
 * own type, whose JSON form the patch reproduces.
 */
static RelNode *
resolve_top(PatchState *ps, Var *var, AttrNumber *att, bool exact)
{
	while (var != NULL && var->varlevelsup == 0 && var->varattno > 0)
	{
		RangeTblEntry *rte = rt_fetch(var->varno, ps->top->query->rtable);

		if (rte->rtekind == RTE_RELATION)
		{
			*att = var->varattno;
			return analyze_find_node(ps->st, ps->top, var->varno);
		}
		if (rte->rtekind != RTE_JOIN ||
			var->varattno > list_length(rte->joinaliasvars))
			return NULL;
		var = exact ? (Var *) list_nth(rte->joinaliasvars, var->varattno - 1)
			: plain_var(list_nth(rte->joinaliasvars, var->varattno - 1));
		if (var != NULL && !IsA(var, Var))
			return NULL;
	}
	return NULL;
}

static RelNode *
top_column(PatchState *ps, Var *var, AttrNumber *att)
{
	return resolve_top(ps, var, att, false);
}

static void *
copy_struct(const void *src, Size size)
{
	void	   *dst = palloc(size);

	memcpy(dst, src, size);
	return dst;
}

/* ---------- counting every reference ---------- */

static bool count_walker(Node *node, PatchState *ps);

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

static char *
const_key(Node *arg)
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

static bool
is_build_object(Node *expr)
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
		keys[i] = const_key(list_nth(build->args, 2 * i));
		/* a computed key could equal any other and override it */
		if (keys[i] == NULL)
			return;
	}

	for (i = 0; i < nargs / 2; i++)
	{
		Node	   *value = list_nth(build->args, 2 * i + 1);
		List	   *subpath;
		bool		duplicate = false;
		Var		   *var;
		RelNode    *node;
		AttrNumber	att;

		if (keys[i] == NULL)
			continue;
		/* with a repeated key the last one wins; leave those alone */
		for (j = 0; j < nargs / 2; j++)
			if (j != i && keys[j] && strcmp(keys[i], keys[j]) == 0)
				duplicate = true;
		if (duplicate)
			continue;
		subpath = lappend(list_copy(path), makeString(keys[i]));
		if (is_build_object(value))
		{
			collect_copies(ps, (FuncExpr *) value, subpath, doc_col);
			continue;
		}
		var = IsA(value, Var) ? (Var *) value : NULL;
		node = var ? resolve_top(ps, var, &att, true) : NULL;
		if (node == NULL || node->level != ps->top)
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

/* ---------- which equalities hold in every output row ---------- */

static void
add_top_edges(PatchState *ps, Node *qual)
{
	ListCell   *lc;

	if (qual == NULL)
		return;
	if (IsA(qual, BoolExpr) && ((BoolExpr *) qual)->boolop == AND_EXPR)
	{
		foreach(lc, ((BoolExpr *) qual)->args)
			add_top_edges(ps, lfirst(lc));
		return;
	}
	if (IsA(qual, List))
	{
		foreach(lc, (List *) qual)
			add_top_edges(ps, lfirst(lc));
		return;
	}
	if (IsA(qual, OpExpr) && analyze_is_equality((OpExpr *) qual))
	{
		OpExpr	   *op = (OpExpr *) qual;
		TopEdge		edge;

		edge.n1 = top_column(ps, plain_var(linitial(op->args)), &edge.a1);
		edge.n2 = top_column(ps, plain_var(lsecond(op->args)), &edge.a2);
		if (edge.n1 && edge.n2 && edge.n1 != edge.n2)
			ps->edges = lappend(ps->edges, copy_struct(&edge, sizeof(edge)));
	}
}

static void
mark_nullable(PatchState *ps, Node *jt)
{
	if (IsA(jt, RangeTblRef))
	{
		RelNode    *node = analyze_find_node(ps->st, ps->top,
											 ((RangeTblRef *) jt)->rtindex);

		if (node)
			ps->nullable = bms_add_member(ps->nullable, node->id);
	}
	else if (IsA(jt, JoinExpr))
	{
		mark_nullable(ps, ((JoinExpr *) jt)->larg);
		mark_nullable(ps, ((JoinExpr *) jt)->rarg);
	}
	else if (IsA(jt, FromExpr))
	{
		ListCell   *lc;

		foreach(lc, ((FromExpr *) jt)->fromlist)
			mark_nullable(ps, lfirst(lc));
	}
}

/* LEFT JOIN t ON t.u = o.x, with nothing else in ON: remember it. */
static void
note_outer_via(PatchState *ps, JoinExpr *join)
{
	OpExpr	   *op = (OpExpr *) join->quals;
	RelNode    *node;
	OuterVia	via;
	AttrNumber	a1,
				a2;
	RelNode    *n1,
			   *n2;

	if (!IsA(join->rarg, RangeTblRef) || op == NULL || !IsA(op, OpExpr) ||
		!analyze_is_equality(op))
		return;
	node = analyze_find_node(ps->st, ps->top, ((RangeTblRef *) join->rarg)->rtindex);
	n1 = top_column(ps, plain_var(linitial(op->args)), &a1);
	n2 = top_column(ps, plain_var(lsecond(op->args)), &a2);
	if (node == NULL || n1 == NULL || n2 == NULL || n1 == n2)
		return;
	via.node = node;
	via.att = (n1 == node) ? a1 : a2;
	via.other = (n1 == node) ? n2 : n1;
	via.other_att = (n1 == node) ? a2 : a1;
	if (n1 != node && n2 != node)
		return;
	ps->outer_vias = lappend(ps->outer_vias, copy_struct(&via, sizeof(via)));
}

static void
walk_top_jointree(PatchState *ps, Node *jt)
{
	if (IsA(jt, FromExpr))
	{
		FromExpr   *from = (FromExpr *) jt;
		ListCell   *lc;

		foreach(lc, from->fromlist)
			walk_top_jointree(ps, lfirst(lc));
		add_top_edges(ps, from->quals);
	}
	else if (IsA(jt, JoinExpr))
	{
		JoinExpr   *join = (JoinExpr *) jt;

		walk_top_jointree(ps, join->larg);
		walk_top_jointree(ps, join->rarg);
		switch (join->jointype)
		{
			case JOIN_INNER:
				add_top_edges(ps, join->quals);
				break;
			case JOIN_LEFT:
				mark_nullable(ps, join->rarg);
				note_outer_via(ps, join);
				break;
			case JOIN_RIGHT:
				mark_nullable(ps, join->larg);
				break;
			default:
				mark_nullable(ps, join->larg);
				mark_nullable(ps, join->rarg);
				break;
		}
	}
}

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
		Var		   *var = plain_var((Node *) tle->expr);
		RelNode    *n;
		AttrNumber	a;

		if (tle->resjunk || tle->resname == NULL || var == NULL)
			continue;
		n = top_column(ps, var, &a);
		if (n == node && a == att)
			return tle;
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
	ListCell   *lc;

	target->relid = node->relid;
	if (node == ps->root)
	{
		target->via_att = ps->result->root_key_att;
		target->out_col = pstrdup(ps->result->key_name);
	}
	else if (!bms_is_member(node->id, ps->nullable))
	{
		/* an equality between the source's unique column and a selected one */
		foreach(lc, ps->edges)
		{
			TopEdge    *e = lfirst(lc);
			AttrNumber	att = (e->n1 == node) ? e->a1 : (e->n2 == node) ? e->a2 : 0;

			if (att == 0 || !analyze_is_unique_column(node->relid, att))
				continue;
			out_node = (e->n1 == node) ? e->n2 : e->n1;
			out_att = (e->n1 == node) ? e->a2 : e->a1;
			tle = output_column(ps, out_node, out_att);
			if (tle != NULL)
			{
				target->via_att = att;
				break;
			}
		}
	}
	else
	{
		foreach(lc, ps->outer_vias)
		{
			OuterVia   *via = lfirst(lc);

			if (via->node != node ||
				!analyze_is_unique_column(node->relid, via->att))
				continue;
			tle = output_column(ps, via->other, via->other_att);
			if (tle != NULL)
			{
				target->via_att = via->att;
				out_node = via->other;
				out_att = via->other_att;
				break;
			}
		}
	}
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
						 path->doc_col);
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

void
analyze_patches(AnalysisState *st, QueryLevel *top, RelNode *root,
				ModelAnalysis *result)
{
	PatchState	ps;
	Query	   *query = top->query;
	ListCell   *lc;

	/* aggregation mixes rows: nothing at the top is a plain copy */
	if (query->hasAggs || query->groupClause != NIL)
		return;
	memset(&ps, 0, sizeof(ps));
	ps.st = st;
	ps.top = top;
	ps.root = root;
	ps.result = result;

	foreach(lc, query->targetList)
	{
		TargetEntry *tle = lfirst(lc);

		if (!tle->resjunk && tle->resname != NULL &&
			exprType((Node *) tle->expr) == JSONBOID &&
			is_build_object((Node *) tle->expr))
			collect_copies(&ps, (FuncExpr *) tle->expr, NIL, tle->resname);
	}
	if (ps.copies == NIL)
		return;

	walk_top_jointree(&ps, (Node *) query->jointree);
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
}
