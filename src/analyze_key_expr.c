/*-------------------------------------------------------------------------
 *
 * analyze_key_expr.c
 *	  Grouping expressions of root columns as key columns:
 *	  GROUP BY o.tenant_id, date_trunc('day', o.created_at).
 *
 * Such a key column is found in a changed root row by evaluating the
 * expression on the row's old and new values (capture.c, in SQL, as the
 * model's owner with the pinned settings, as the definition is evaluated).
 * The expression is kept with its Vars rewritten to the root's own
 * columns (varno 1), whatever views or subqueries they were read through.
 *
 * A key cannot be NULL, so the expression must be provably not NULL:
 * filtered by a top-level WHERE "expr IS NOT NULL", or built of strict
 * functions and operators (and COALESCE with an argument that is not NULL)
 * over constants and columns that are NOT NULL, declared or by a WHERE
 * condition (rows where those are NULL are not the model's and are
 * skipped).  A strict function may still return NULL for some arguments;
 * maintenance then raises an error naming the key rather than leaving a
 * row out.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "utils/lsyscache.h"

#include "analyze_int.h"

typedef struct RootVarsContext
{
	AnalysisState *st;
	QueryLevel *top;
	RelNode    *root;
	bool		foreign;		/* a Var that is not a root column */
} RootVarsContext;

/* Each Var as the root column it reads, varno 1; else mark foreign. */
static Node *
root_vars_mutator(Node *node, RootVarsContext *cxt)
{
	RelNode    *rel;
	AttrNumber	att;

	if (node == NULL)
		return NULL;
	if (IsA(node, Var))
	{
		Var		   *var = (Var *) node;

		if (var->varlevelsup != 0 ||
			!analyze_resolve_column(cxt->st, node, cxt->top, true, &rel, &att) ||
			rel != cxt->root || att <= 0)
		{
			cxt->foreign = true;
			return node;
		}
		return (Node *) makeVar(1, att, var->vartype, var->vartypmod,
								var->varcollid, 0);
	}
	if (IsA(node, Aggref) || IsA(node, WindowFunc) || IsA(node, SubLink) ||
		IsA(node, Param) || IsA(node, GroupingFunc))
	{
		cxt->foreign = true;
		return node;
	}
	return expression_tree_mutator(node, root_vars_mutator, (void *) cxt);
}

typedef struct NotNullContext
{
	QueryLevel *top;
	RelNode    *root;
	bool		unproven;
	List	   *filtered_atts;	/* columns NOT NULL by a WHERE condition */
} NotNullContext;

static bool not_null_walker(Node *node, NotNullContext *cxt);

/* COALESCE is not NULL when one of its arguments never is. */
static void
coalesce_not_null(CoalesceExpr *coalesce, NotNullContext *cxt)
{
	ListCell   *lc;

	foreach(lc, coalesce->args)
	{
		NotNullContext arg = {cxt->top, cxt->root, false, NIL};

		not_null_walker(lfirst(lc), &arg);
		if (!arg.unproven)
		{
			cxt->filtered_atts = list_concat(cxt->filtered_atts, arg.filtered_atts);
			return;
		}
	}
	cxt->unproven = true;
}

/* Is every node of the expression one whose non-NULL inputs give non-NULL? */
static bool
not_null_walker(Node *node, NotNullContext *cxt)
{
	if (node == NULL || cxt->unproven)
		return false;
	switch (nodeTag(node))
	{
		case T_Var:
			{
				AttrNumber	att = ((Var *) node)->varattno;

				if (analyze_column_not_null(cxt->root->relid, att))
					return false;
				if (analyze_filtered_not_null(cxt->top, cxt->root, att))
					cxt->filtered_atts = list_append_unique_int(cxt->filtered_atts, att);
				else
					cxt->unproven = true;
				return false;
			}
		case T_CoalesceExpr:
			coalesce_not_null((CoalesceExpr *) node, cxt);
			return false;
		case T_Const:
			cxt->unproven = ((Const *) node)->constisnull;
			return false;
		case T_FuncExpr:
			if (!func_strict(((FuncExpr *) node)->funcid) ||
				((FuncExpr *) node)->funcretset)
				cxt->unproven = true;
			break;
		case T_OpExpr:
			set_opfuncid((OpExpr *) node);
			if (!func_strict(((OpExpr *) node)->opfuncid))
				cxt->unproven = true;
			break;
		case T_RelabelType:
		case T_CoerceViaIO:
		case T_CollateExpr:
			break;
		default:
			cxt->unproven = true;
			return false;
	}
	return expression_tree_walker(node, not_null_walker, (void *) cxt);
}

/* Does a top-level WHERE condition say "expr IS NOT NULL"? */
static bool
filtered_not_null(QueryLevel *top, Node *expr)
{
	ListCell   *lc;

	foreach(lc, analyze_top_conditions(top))
	{
		NullTest   *test = lfirst(lc);

		if (IsA(test, NullTest) && test->nulltesttype == IS_NOT_NULL &&
			!test->argisrow && equal(test->arg, expr))
			return true;
	}
	return false;
}

/*
 * The key column for a grouping expression `tle` of root columns, or NULL
 * when it reads anything else.  Refuses one that may be NULL.
 */
KeyColumn *
analyze_key_expression(AnalysisState *st, QueryLevel *top, RelNode *root,
					   TargetEntry *tle)
{
	RootVarsContext vars = {st, top, root, false};
	NotNullContext nulls = {top, root, false, NIL};
	Node	   *expr = root_vars_mutator(copyObject((Node *) tle->expr), &vars);
	KeyColumn  *col;

	if (vars.foreign || !contain_var_clause(expr) ||
		contain_volatile_functions(expr) || expression_returns_set(expr))
		return NULL;
	col = palloc0(sizeof(KeyColumn));
	col->name = pstrdup(tle->resname);
	col->resno = tle->resno;
	col->expr = expr;
	col->type = exprType(expr);
	col->collation = exprCollation(expr);
	col->null_filtered = filtered_not_null(top, (Node *) tle->expr);
	if (col->null_filtered)
		return col;
	not_null_walker(expr, &nulls);
	col->filtered_atts = nulls.filtered_atts;
	if (nulls.unproven)
		analyze_refuse(st, psprintf("The key column \"%s\" (an expression the definition groups by) may be NULL, and a read-model key cannot be.",
									tle->resname),
					   "Add WHERE <the expression> IS NOT NULL to the definition, or group by an expression of NOT NULL columns made of strict functions and operators.");
	return col;
}

/*
 * For a key with expressions: the top-level WHERE conditions that read
 * root columns alone, as one expression of them (varno 1), or NULL.  A
 * changed row failing them is in no model row, so its key is not needed,
 * and computing it could fail where the definition never does (x / 0 on
 * a row the WHERE leaves out).
 */
Node *
analyze_key_filter(AnalysisState *st, QueryLevel *top, RelNode *root, List *key)
{
	List	   *conds = NIL;
	ListCell   *lc;
	bool		expressions = false;

	foreach(lc, key)
		expressions |= ((KeyColumn *) lfirst(lc))->expr != NULL;
	if (!expressions)
		return NULL;
	foreach(lc, analyze_top_conditions(top))
	{
		RootVarsContext vars = {st, top, root, false};
		Node	   *cond = root_vars_mutator(copyObject((Node *) lfirst(lc)), &vars);

		if (!vars.foreign && contain_var_clause(cond) && !contain_volatile_functions(cond))
			conds = lappend(conds, cond);
	}
	if (conds == NIL)
		return NULL;
	return list_length(conds) == 1 ? linitial(conds) : (Node *) make_andclause(conds);
}
