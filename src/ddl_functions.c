/*-------------------------------------------------------------------------
 *
 * ddl_functions.c
 *	  CREATE OR REPLACE FUNCTION or ALTER FUNCTION of a function read
 *	  models call.
 *
 * A new body (or new volatility, owner or settings) can change every value
 * a model computed with the function without any row changing.  After such
 * a command the models are analysed again: those that can still be
 * maintained and call the function are rebuilt by diff in the same
 * command; one the new function makes unmaintainable (its body now reads a
 * table, it is no longer IMMUTABLE, its owner is not trusted) is marked
 * stale, with a WARNING, as after any change it cannot follow.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_proc.h"
#include "nodes/parsenodes.h"

#include "apply.h"
#include "cache.h"
#include "capture.h"
#include "ddl_functions.h"
#include "pg_readmodel.h"

/* The function a command created or altered, appended to `functions`. */
List *
readmodel_function_command(CollectedCommand *cmd, List *functions)
{
	if (cmd->type != SCT_Simple ||
		cmd->d.simple.address.classId != ProcedureRelationId)
		return functions;
	/* a new function is called by no model yet */
	if (IsA(cmd->parsetree, CreateFunctionStmt) &&
		!((CreateFunctionStmt *) cmd->parsetree)->replace)
		return functions;
	return list_append_unique_oid(functions, cmd->d.simple.address.objectId);
}

static bool
calls_any(ReadModel *model, List *functions)
{
	ListCell   *lc;

	if (model->analysis == NULL)
		return model->broken != NULL;	/* it may have: cannot tell */
	foreach(lc, functions)
		if (list_member_oid(model->analysis->functions, lfirst_oid(lc)))
			return true;
	return false;
}

void
readmodel_functions_replaced(List *functions)
{
	ListCell   *lm;
	List	   *callers = NIL;

	if (functions == NIL)
		return;
	foreach(lm, readmodel_all_models())
		if (calls_any(lfirst(lm), functions))
			callers = lappend_oid(callers, ((ReadModel *) lfirst(lm))->relid);
	if (callers == NIL)
		return;
	CommandCounterIncrement();
	readmodel_invalidate_cache();
	foreach(lm, readmodel_all_models())
	{
		ReadModel  *model = lfirst(lm);

		if (!list_member_oid(callers, model->relid))
			continue;
		if (model->broken != NULL && model->stale == NULL)
			readmodel_miss_change(model);
		else if (ModelIsMaintained(model))
			(void) readmodel_refresh_model(model);
	}
}
