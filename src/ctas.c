/*-------------------------------------------------------------------------
 *
 * ctas.c
 *	  CREATE TABLE <prefix>x AS SELECT ... declares a read model.
 *
 * With the library in shared_preload_libraries, a ProcessUtility hook turns
 * such a statement (prefix readmodel.ctas_prefix, 'tv_' by default) into
 * readmodel.create(name, definition), the definition being the analysed
 * query deparsed the way PostgreSQL stores views.  Without preloading the
 * hook cannot be relied on (it would exist only in sessions that happened
 * to load the library), so the ddl_command_end event trigger refuses the
 * statement instead of letting it create a plain table that looks like a
 * read model.  (EXPLAIN ANALYZE CREATE TABLE ... AS runs the statement
 * without ProcessUtility or event triggers, so it still creates a plain
 * table.)
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "commands/event_trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "nodes/parsenodes.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/ruleutils.h"

#include "apply.h"
#include "catalog.h"
#include "ctas.h"
#include "lifecycle.h"
#include "pg_readmodel.h"

PG_FUNCTION_INFO_V1(readmodel_on_ctas);

char	   *readmodel_ctas_prefix = NULL;
static ProcessUtility_hook_type prev_process_utility = NULL;

/* Does this CREATE TABLE AS name a read model? */
static bool
ctas_names_model(CreateTableAsStmt *stmt)
{
	const char *relname = stmt->into->rel->relname;

	/* CREATE TABLE AS and SELECT INTO, not into a temporary table */
	if (stmt->into->rel->schemaname != NULL &&
		strncmp(stmt->into->rel->schemaname, "pg_temp", 7) == 0)
		return false;
	return stmt->objtype == OBJECT_TABLE &&
		stmt->into->rel->relpersistence == RELPERSISTENCE_PERMANENT &&
		readmodel_ctas_prefix != NULL && readmodel_ctas_prefix[0] != '\0' &&
		strncmp(relname, readmodel_ctas_prefix, strlen(readmodel_ctas_prefix)) == 0;
}

static void
refuse_clause(const char *clause)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("CREATE TABLE ... AS declaring a read model cannot use %s", clause),
			 errhint("Name the columns in the SELECT list, or call readmodel.create().")));
}

/* Declare the model; returns the number of rows it was built with. */
static uint64
declare_from_ctas(CreateTableAsStmt *stmt)
{
	IntoClause *into = stmt->into;
	RangeVar   *rv = into->rel;
	char	   *definition;
	char	   *name;
	uint64		rows;

	if (into->colNames != NIL)
		refuse_clause("a column name list");
	if (into->options != NIL || into->accessMethod || into->tableSpaceName ||
		into->onCommit != ONCOMMIT_NOOP)
		refuse_clause("WITH, USING, TABLESPACE or ON COMMIT");
	if (into->skipData)
		refuse_clause("WITH NO DATA");

	definition = pg_get_querydef(copyObject(castNode(Query, stmt->query)), false);
	name = rv->schemaname
		? quote_qualified_identifier(rv->schemaname, rv->relname)
		: pstrdup(quote_identifier(rv->relname));
	(void) readmodel_declare(name, definition, NULL, &rows);
	return rows;
}

static bool
relation_exists(RangeVar *rv)
{
	return OidIsValid(RangeVarGetRelid(rv, NoLock, true));
}

static void
process_utility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
				ProcessUtilityContext context, ParamListInfo params,
				QueryEnvironment *queryEnv, DestReceiver *dest,
				QueryCompletion *qc)
{
	Node	   *parsetree = pstmt->utilityStmt;

	/* readmodel.create() builds its table with CREATE TABLE AS itself */
	if (!readmodel_creating && IsA(parsetree, CreateTableAsStmt) &&
		ctas_names_model((CreateTableAsStmt *) parsetree) &&
		IsA(((CreateTableAsStmt *) parsetree)->query, Query) &&
		OidIsValid(readmodel_catalog_relid(true)))
	{
		CreateTableAsStmt *stmt = (CreateTableAsStmt *) parsetree;
		uint64		rows;

		if (stmt->if_not_exists && relation_exists(stmt->into->rel))
		{
			ereport(NOTICE,
					(errcode(ERRCODE_DUPLICATE_TABLE),
					 errmsg("relation \"%s\" already exists, skipping",
							stmt->into->rel->relname)));
			return;
		}
		rows = declare_from_ctas(stmt);
		if (qc)
			SetQueryCompletion(qc, CMDTAG_SELECT, rows);
		return;
	}
	if (prev_process_utility)
		prev_process_utility(pstmt, queryString, readOnlyTree, context, params,
							 queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);
}

void
readmodel_ctas_install_hook(void)
{
	prev_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = process_utility;
}

/*
 * ddl_command_end for CREATE TABLE AS: reached for a prefixed name only
 * when the hook did not run, i.e. the library is not preloaded.
 */
Datum
readmodel_on_ctas(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata = (EventTriggerData *) fcinfo->context;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		elog(ERROR, "readmodel._on_ctas() must be called as an event trigger");
	if (!OidIsValid(readmodel_writing_model) && !readmodel_creating &&
		IsA(trigdata->parsetree, CreateTableAsStmt) &&
		ctas_names_model((CreateTableAsStmt *) trigdata->parsetree))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("CREATE TABLE %s AS would create a plain table, not a read model",
						((CreateTableAsStmt *) trigdata->parsetree)->into->rel->relname),
				 errdetail("CREATE TABLE ... AS declares a read model only when pg_readmodel is in shared_preload_libraries."),
				 errhint("Call readmodel.create(), add pg_readmodel to shared_preload_libraries, or set readmodel.ctas_prefix = '' to create a plain table.")));
	PG_RETURN_VOID();
}
