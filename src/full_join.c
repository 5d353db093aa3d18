/*-------------------------------------------------------------------------
 *
 * full_join.c
 *	  A definition that is a FULL JOIN of two tables on their keys, written
 *	  into the UNION ALL that the analysis proves (see analyze_union.c).
 *
 *	SELECT COALESCE(a.k, b.k) AS id, a.x, b.y FROM a FULL JOIN b ON b.k = a.k
 *
 * becomes, in the model's definition view,
 *
 *	SELECT a.k AS id, a.x, b.y FROM a LEFT JOIN b ON b.k = a.k
 *	UNION ALL
 *	SELECT b.k, NULL, b.y FROM b WHERE NOT EXISTS (SELECT FROM a WHERE a.k = b.k)
 *
 * which has exactly the FULL JOIN's rows: the first branch those with an a,
 * the second those without, where every column of a is NULL.  The key
 * output COALESCE(a.k, b.k) is a.k in the first branch and b.k in the
 * second, and the model's key unless the options name another.  Only the plain shape is written: the two tables alone in FROM,
 * joined by one equality of two unique NOT NULL columns of one type, no
 * aggregation, subqueries, ordering or set operations, and keys of a type
 * whose equal values look alike (not numeric).  Anything else is
 * left as it is, and refused by the analysis with its reason.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "parser/parsetree.h"
#include "utils/lsyscache.h"
#include "utils/ruleutils.h"
#include "utils/typcache.h"

#include "analyze_int.h"
#include "full_join.h"

/* The two sides of the FULL JOIN and the columns they are joined by. */
typedef struct FullJoin
{
	Index		left;			/* range-table index of a */
	Index		right;			/* of b */
	AttrNumber	left_att;
	AttrNumber	right_att;
	Oid			eq_opr;
	TargetEntry *key;			/* COALESCE(a.k, b.k) */
} FullJoin;

static bool
is_table(Query *q, Index rtindex)
{
	RangeTblEntry *rte = rt_fetch(rtindex, q->rtable);

	return rte->rtekind == RTE_RELATION &&
		(rte->relkind == RELKIND_RELATION || rte->relkind == RELKIND_PARTITIONED_TABLE);
}

/* Is `node` a Var of `rtindex` at this level, and which column? */
static bool
var_of(Node *node, Index rtindex, AttrNumber *att)
{
	if (node == NULL || !IsA(node, Var) || ((Var *) node)->varlevelsup != 0 ||
		((Var *) node)->varno != rtindex || ((Var *) node)->varattno <= 0)
		return false;
	*att = ((Var *) node)->varattno;
	return true;
}

/* ON a.k = b.k (either way round), by the type's equality. */
static bool
join_columns(Query *q, JoinExpr *join, FullJoin *fj)
{
	OpExpr	   *op = (OpExpr *) join->quals;
	Node	   *l,
			   *r;
	Oid			type;

	if (op == NULL || !IsA(op, OpExpr) || list_length(op->args) != 2)
		return false;
	l = linitial(op->args);
	r = lsecond(op->args);
	if (!(var_of(l, fj->left, &fj->left_att) && var_of(r, fj->right, &fj->right_att)) &&
		!(var_of(r, fj->left, &fj->left_att) && var_of(l, fj->right, &fj->right_att)))
		return false;
	type = exprType(l);
	fj->eq_opr = lookup_type_cache(type, TYPECACHE_EQ_OPR)->eq_opr;
	/* equal keys must look alike (10.5 and 10.50 do not): the union's proof */
	return type == exprType(r) && op->opno == fj->eq_opr &&
		analyze_equal_image_type(type, -1, exprCollation(l)) &&
		analyze_is_unique_column(rt_fetch(fj->left, q->rtable)->relid, fj->left_att) &&
		analyze_is_unique_column(rt_fetch(fj->right, q->rtable)->relid, fj->right_att);
}

/* The output COALESCE(a.k, b.k) or COALESCE(b.k, a.k). */
static TargetEntry *
key_output(Query *q, FullJoin *fj)
{
	ListCell   *lc;

	foreach(lc, q->targetList)
	{
		TargetEntry *tle = lfirst(lc);
		CoalesceExpr *c = (CoalesceExpr *) tle->expr;
		AttrNumber	a1,
					a2;

		if (tle->resjunk || !IsA(c, CoalesceExpr) || list_length(c->args) != 2)
			continue;
		/* a.k and b.k stand for it exactly: same type, typmod, collation */
		if (exprTypmod((Node *) c) != exprTypmod(linitial(c->args)) ||
			exprTypmod((Node *) c) != exprTypmod(lsecond(c->args)) ||
			exprCollation((Node *) c) != exprCollation(linitial(c->args)) ||
			exprCollation((Node *) c) != exprCollation(lsecond(c->args)))
			continue;
		if ((var_of(linitial(c->args), fj->left, &a1) &&
			 var_of(lsecond(c->args), fj->right, &a2) &&
			 a1 == fj->left_att && a2 == fj->right_att) ||
			(var_of(linitial(c->args), fj->right, &a2) &&
			 var_of(lsecond(c->args), fj->left, &a1) &&
			 a1 == fj->left_att && a2 == fj->right_att))
			return tle;
	}
	return NULL;
}

/* Is the definition that FULL JOIN, alone and unadorned? */
static bool
match_full_join(Query *q, FullJoin *fj)
{
	JoinExpr   *join;

	if (q->commandType != CMD_SELECT || q->setOperations || q->cteList ||
		q->hasAggs || q->hasWindowFuncs || q->hasTargetSRFs || q->hasSubLinks ||
		q->groupClause || q->groupingSets || q->havingQual || q->distinctClause ||
		q->sortClause || q->limitCount || q->limitOffset || q->rowMarks ||
		list_length(q->jointree->fromlist) != 1 ||
		!IsA(linitial(q->jointree->fromlist), JoinExpr))
		return false;
	join = linitial(q->jointree->fromlist);
	if (join->jointype != JOIN_FULL || join->usingClause != NIL || join->alias != NULL ||
		!IsA(join->larg, RangeTblRef) || !IsA(join->rarg, RangeTblRef))
		return false;
	fj->left = ((RangeTblRef *) join->larg)->rtindex;
	fj->right = ((RangeTblRef *) join->rarg)->rtindex;
	return is_table(q, fj->left) && is_table(q, fj->right) &&
		join_columns(q, join, fj) && (fj->key = key_output(q, fj)) != NULL;
}

/* Column `att` of range-table entry `rtindex`, as Var `varno` of a level. */
static Var *
side_var(Query *q, Index rtindex, AttrNumber att, Index varno, Index levelsup)
{
	RangeTblEntry *rte = rt_fetch(rtindex, q->rtable);
	Oid			type;
	int32		typmod;
	Oid			collation;

	get_atttypetypmodcoll(rte->relid, att, &type, &typmod, &collation);
	return makeVar(varno, att, type, typmod, collation, levelsup);
}

/* The first branch: a LEFT JOIN b, the key a.k. */
static Query *
left_branch(Query *q, FullJoin *fj)
{
	Query	   *branch = copyObject(q);
	JoinExpr   *join = linitial(branch->jointree->fromlist);
	TargetEntry *key = get_tle_by_resno(branch->targetList, fj->key->resno);

	join->jointype = JOIN_LEFT;
	rt_fetch(join->rtindex, branch->rtable)->jointype = JOIN_LEFT;
	key->expr = (Expr *) side_var(branch, fj->left, fj->left_att, fj->left, 0);
	return branch;
}

/* Every Var of a (this level) is NULL in the rows without an a. */
static Node *
null_left_mutator(Node *node, Index *left)
{
	if (node == NULL)
		return NULL;
	if (IsA(node, Var) && ((Var *) node)->varno == *left &&
		((Var *) node)->varlevelsup == 0)
	{
		Var		   *var = (Var *) node;

		return (Node *) makeNullConst(var->vartype, var->vartypmod, var->varcollid);
	}
	return expression_tree_mutator(node, null_left_mutator, (void *) left);
}

/* NOT EXISTS (SELECT FROM a WHERE a.k = b.k), in the second branch. */
static Node *
no_left_row(Query *q, FullJoin *fj)
{
	Query	   *sub = makeNode(Query);
	RangeTblEntry *rte = copyObject(rt_fetch(fj->left, q->rtable));
	SubLink    *link = makeNode(SubLink);
	RangeTblRef *ref = makeNode(RangeTblRef);
	/* a's column as the subquery's only table; b's one level up */
	Var		   *inner = side_var(q, fj->left, fj->left_att, 1, 0);
	Var		   *outer = side_var(q, fj->right, fj->right_att, fj->right, 1);
	OpExpr	   *match;

	match = (OpExpr *) make_opclause(fj->eq_opr, BOOLOID, false, (Expr *) inner,
									 (Expr *) outer, InvalidOid, inner->varcollid);
	set_opfuncid(match);
	sub->commandType = CMD_SELECT;
	sub->querySource = QSRC_ORIGINAL;
	sub->canSetTag = true;
	sub->rtable = list_make1(rte);
	ref->rtindex = 1;
	sub->jointree = makeFromExpr(list_make1(ref), (Node *) match);
	link->subLinkType = EXISTS_SUBLINK;
	link->subselect = (Node *) sub;
	link->location = -1;
	return (Node *) makeBoolExpr(NOT_EXPR, list_make1(link), -1);
}

/* The second branch: b alone, a's columns NULL, the key b.k. */
static Query *
right_branch(Query *q, FullJoin *fj)
{
	Query	   *branch = copyObject(q);
	JoinExpr   *join = linitial(branch->jointree->fromlist);
	RangeTblEntry *unused = rt_fetch(join->rtindex, branch->rtable);
	TargetEntry *key;
	Node	   *where;
	RangeTblRef *ref = makeNode(RangeTblRef);

	/* the join is gone; its entry stays (indexes must not move), empty */
	unused->rtekind = RTE_RESULT;
	unused->joinaliasvars = unused->joinleftcols = unused->joinrightcols = NIL;
	unused->alias = NULL;
	unused->eref = makeAlias("unused", NIL);

	branch->targetList = (List *) null_left_mutator((Node *) branch->targetList, &fj->left);
	key = get_tle_by_resno(branch->targetList, fj->key->resno);
	key->expr = (Expr *) side_var(branch, fj->right, fj->right_att, fj->right, 0);
	where = null_left_mutator(branch->jointree->quals, &fj->left);
	ref->rtindex = fj->right;
	branch->jointree->fromlist = list_make1(ref);
	branch->jointree->quals = where ?
		(Node *) makeBoolExpr(AND_EXPR, list_make2(where, no_left_row(branch, fj)), -1) :
		no_left_row(branch, fj);
	branch->hasSubLinks = true;
	return branch;
}

/*
 * The UNION ALL text for a definition that is a FULL JOIN on two keys, or
 * NULL when it is not one; *key gets the name of its key output.
 */
char *
readmodel_full_join_as_union(Query *query, char **key)
{
	FullJoin	fj;

	memset(&fj, 0, sizeof(fj));
	if (!match_full_join(query, &fj))
		return NULL;
	*key = pstrdup(fj.key->resname);
	return psprintf("%s UNION ALL %s",
					pg_get_querydef(left_branch(query, &fj), false),
					pg_get_querydef(right_branch(query, &fj), false));
}
