/*-------------------------------------------------------------------------
 *
 * ddl_functions.c
 *	  CREATE OR REPLACE FUNCTION or ALTER FUNCTION of a function read
 *	  models call.
 *
 * A new body (or new volatility, owner or settings) can change every value
 * a model computed with the function without any row changing; so can a
 * new function of the same name, which a text body calling that name may
 * now resolve to.  The functions a model calls include those the bodies
 * of its SQL functions call (analyze_sql_bodies.c).  After such
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
#include "utils/lsyscache.h"

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
	/* a new one too: a text body calling another of its name may now call it */
	return list_append_unique_oid(functions, cmd->d.simple.address.objectId);
}

static bool
calls_any(ReadModel *model, List *functions)
{
	ListCell   *lc;

	if (model->analysis == NULL)
		return model->broken != NULL;	/* it may have: cannot tell */
	foreach(lc, functions)
	{
		ListCell   *lm;
		char	   *name = get_func_name(lfirst_oid(lc));

		/* by name: a new overload changes what a text body calls */
		foreach(lm, model->analysis->functions)
		{
			char	   *other = get_func_name(lfirst_oid(lm));

			if (lfirst_oid(lm) == lfirst_oid(lc) ||
				(name && other && strcmp(other, name) == 0))
				return true;
		}
	}
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
