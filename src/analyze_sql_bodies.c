/*-------------------------------------------------------------------------
 *
 * analyze_sql_bodies.c
 *	  The bodies of the LANGUAGE sql functions a definition calls.
 *
 * Such a function runs inside maintenance like the definition: what it
 * calls runs with the model owner's rights, and a table it reads is one
 * whose changes the model cannot see.  Its body is read, and the bodies of
 * the SQL functions it calls in turn: every function and operator they
 * call must be owned by a role the model's owner trusts (and is watched
 * for replacement, as the definition's own are), and none may read a
 * table.  A RETURN or BEGIN ATOMIC body is resolved; a text body is
 * resolved only when it runs, so every function or operator of a name it
 * uses counts, in any schema (or the one it names).  Bodies in other
 * languages cannot be read: their owner vouches for them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_language.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_proc.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/catcache.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "analyze_int.h"

/* How deep SQL functions calling SQL functions are read. */
#define SQL_BODY_DEPTH 16

typedef struct BodyWalk
{
	AnalysisState *st;
	const char *caller;			/* the function whose body this is */
	int			depth;
} BodyWalk;

static bool body_reads_tables(AnalysisState *st, Oid funcid, int depth);

/* A function the body calls: trusted, and its own body read too. */
static bool
called(BodyWalk *walk, Oid funcid)
{
	if (!OidIsValid(funcid) || funcid < FirstNormalObjectId)
		return false;
	analyze_check_nested_function(walk->st, funcid, walk->caller);
	return body_reads_tables(walk->st, funcid, walk->depth + 1);
}

/* Every function (or operator's function) of a name, as a text body uses it. */
static bool
called_by_name(BodyWalk *walk, List *names, bool operator)
{
	char	   *schema;
	char	   *name;
	Oid			nsp;
	CatCList   *list;
	bool		found = false;
	int			i;

	DeconstructQualifiedName(names, &schema, &name);
	nsp = schema ? get_namespace_oid(schema, true) : InvalidOid;
	list = SearchSysCacheList1(operator ? OPERNAMENSP : PROCNAMEARGSNSP,
							   CStringGetDatum(name));
	for (i = 0; i < list->n_members && !found; i++)
	{
		HeapTuple	tuple = &list->members[i]->tuple;
		Oid			fn;

		if (operator)
		{
			Form_pg_operator op = (Form_pg_operator) GETSTRUCT(tuple);

			if (schema && op->oprnamespace != nsp)
				continue;
			fn = op->oprcode;
		}
		else
		{
			Form_pg_proc proc = (Form_pg_proc) GETSTRUCT(tuple);

			if (schema && proc->pronamespace != nsp)
				continue;
			fn = proc->oid;
		}
		found = called(walk, fn);
	}
	ReleaseSysCacheList(list);
	return found;
}

static bool
raw_walker(Node *node, BodyWalk *walk)
{
	if (node == NULL)
		return false;
	if (IsA(node, RangeVar))
		return true;
	if (IsA(node, FuncCall) && called_by_name(walk, ((FuncCall *) node)->funcname, false))
		return true;
	if (IsA(node, A_Expr) && ((A_Expr *) node)->kind == AEXPR_OP &&
		called_by_name(walk, ((A_Expr *) node)->name, true))
		return true;
	return raw_expression_tree_walker(node, raw_walker, walk);
}

static bool
resolved_walker(Node *node, BodyWalk *walk)
{
	if (node == NULL)
		return false;
	if (IsA(node, RangeTblEntry))
		return ((RangeTblEntry *) node)->rtekind == RTE_RELATION;
	if (IsA(node, FuncExpr) && called(walk, ((FuncExpr *) node)->funcid))
		return true;
	if (IsA(node, OpExpr))
	{
		set_opfuncid((OpExpr *) node);
		if (called(walk, ((OpExpr *) node)->opfuncid))
			return true;
	}
	if (IsA(node, Aggref) && called(walk, ((Aggref *) node)->aggfnoid))
		return true;
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, resolved_walker, walk,
								 QTW_EXAMINE_RTES_BEFORE);
	return expression_tree_walker(node, resolved_walker, walk);
}

static bool
body_reads_tables(AnalysisState *st, Oid funcid, int depth)
{
	HeapTuple	tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	BodyWalk	walk = {st, NULL, depth};
	bool		isnull;
	Datum		body;
	bool		found = false;
	ListCell   *lc;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for function %u", funcid);
	if (((Form_pg_proc) GETSTRUCT(tuple))->prolang != SQLlanguageId)
	{
		ReleaseSysCache(tuple);
		return false;
	}
	if (depth > SQL_BODY_DEPTH)
		analyze_refuse(st, psprintf("Function %s() calls SQL functions more than %d deep, which is too deep to check what they read.",
									get_func_name(funcid), SQL_BODY_DEPTH),
					   "Call fewer levels of SQL functions, or write what they compute into the definition.");
	walk.caller = get_func_name(funcid);
	body = SysCacheGetAttr(PROCOID, tuple, Anum_pg_proc_prosqlbody, &isnull);
	if (!isnull)
		found = resolved_walker(stringToNode(TextDatumGetCString(body)), &walk);
	else
	{
		body = SysCacheGetAttr(PROCOID, tuple, Anum_pg_proc_prosrc, &isnull);
		if (!isnull)
			foreach(lc, pg_parse_query(TextDatumGetCString(body)))
				found |= raw_walker(((RawStmt *) lfirst(lc))->stmt, &walk);
	}
	ReleaseSysCache(tuple);
	return found;
}

/*
 * Does the body of function `funcid` (if LANGUAGE sql), or of a SQL
 * function it calls, read a table?  Refuses calls of untrusted code.
 */
bool
analyze_sql_body_reads_tables(AnalysisState *st, Oid funcid)
{
	return body_reads_tables(st, funcid, 0);
}
