/*-------------------------------------------------------------------------
 *
 * api.c
 *	  SQL-callable functions of schema readmodel: create, drop, refresh,
 *	  flush, queue statistics and the helpers behind health_check().
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parser.h"
#include "rewrite/rewriteHandler.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/regproc.h"
#include "utils/snapmgr.h"

#include "pg_readmodel.h"

PG_FUNCTION_INFO_V1(readmodel_create);
PG_FUNCTION_INFO_V1(readmodel_drop);
PG_FUNCTION_INFO_V1(readmodel_refresh);
PG_FUNCTION_INFO_V1(readmodel_flush);
PG_FUNCTION_INFO_V1(readmodel_queue_stats);
PG_FUNCTION_INFO_V1(readmodel_debug_queue);
PG_FUNCTION_INFO_V1(readmodel_pending_keys);
PG_FUNCTION_INFO_V1(readmodel_in_transaction_block);
PG_FUNCTION_INFO_V1(readmodel_derived_sources);
PG_FUNCTION_INFO_V1(readmodel_sync_triggers);
PG_FUNCTION_INFO_V1(readmodel_is_preloaded);

typedef struct CreateOptions
{
	char	   *key;
	bool		statement_mode;
} CreateOptions;

static const char *const trigger_events[] = {"insert", "update", "delete", "truncate"};

static void
parse_options(Jsonb *options, CreateOptions *out)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *current = NULL;

	memset(out, 0, sizeof(*out));
	if (options == NULL)
		return;
	if (!JB_ROOT_IS_OBJECT(options))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("read model options must be a jsonb object")));

	it = JsonbIteratorInit(&options->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
			current = pnstrdup(v.val.string.val, v.val.string.len);
		else if (tok == WJB_VALUE)
		{
			char	   *text = (v.type == jbvString)
				? pnstrdup(v.val.string.val, v.val.string.len) : NULL;

			if (strcmp(current, "key") == 0 && text != NULL)
				out->key = text;
			else if (strcmp(current, "mode") == 0 && text != NULL &&
					 (strcmp(text, "commit") == 0 || strcmp(text, "statement") == 0))
				out->statement_mode = (strcmp(text, "statement") == 0);
			else if (strcmp(current, "mode") == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid read model mode"),
						 errhint("Use \"commit\" (apply before commit, the default) or \"statement\" (apply at the end of each statement).")));
			else if (strcmp(current, "key") == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("option \"key\" must be a column name string")));
			else
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("unrecognized read model option \"%s\"", current),
						 errhint("Valid options are \"key\" and \"mode\".")));
		}
	}
}

/* The definition must be exactly one plain SELECT. */
static void
check_single_select(const char *definition)
{
	List	   *raw = raw_parser(definition, RAW_PARSE_DEFAULT);
	RawStmt    *stmt;
	SelectStmt *select;

	if (list_length(raw) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
				 errmsg("read model definition must be a single SELECT statement"),
				 errdetail("It contains %d statements.", list_length(raw))));
	stmt = linitial_node(RawStmt, raw);
	if (!IsA(stmt->stmt, SelectStmt))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
				 errmsg("read model definition must be a single SELECT statement")));
	select = (SelectStmt *) stmt->stmt;
	if (select->intoClause != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
				 errmsg("read model definition must not use SELECT INTO")));
	if (select->lockingClause != NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
				 errmsg("read model definition must not use FOR UPDATE or FOR SHARE")));
	if (select->valuesLists != NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
				 errmsg("read model definition must be a SELECT from tables, not VALUES")));
}

static void
spi_exec(const char *sql, int expected)
{
	int			rc = SPI_execute(sql, false, 0);

	if (rc != expected)
		elog(ERROR, "pg_readmodel: \"%s\" failed: %s", sql,
			 SPI_result_code_string(rc));
}

/* Write the catalog as the extension owner: users only read it. */
static void
catalog_exec(const char *sql, int nargs, Oid *types, Datum *values)
{
	Oid			save_userid;
	int			save_sec;
	int			rc;

	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(readmodel_relation_owner(readmodel_catalog_relid(false)),
						   save_sec | SECURITY_LOCAL_USERID_CHANGE);
	rc = SPI_execute_with_args(sql, nargs, types, values, NULL, false, 0);
	SetUserIdAndSecContext(save_userid, save_sec);
	if (rc < 0)
		elog(ERROR, "pg_readmodel catalog update failed: %s",
			 SPI_result_code_string(rc));
	CacheInvalidateRelcacheByRelid(readmodel_catalog_relid(false));
}

static bool
is_read_model(Oid relid)
{
	Oid			type = OIDOID;
	Datum		value = ObjectIdGetDatum(relid);

	if (SPI_execute_with_args("SELECT 1 FROM readmodel.model WHERE relid = $1",
							  1, &type, &value, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read readmodel.model");
	return SPI_processed > 0;
}

static List *
source_relids(ModelAnalysis *analysis)
{
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, analysis->sources)
		result = lappend_oid(result, ((ModelSource *) lfirst(lc))->relid);
	return result;
}

static void
check_sources_allowed(ModelAnalysis *analysis, const char *name)
{
	ListCell   *lc;

	foreach(lc, analysis->sources)
	{
		Oid			relid = ((ModelSource *) lfirst(lc))->relid;

		if (is_read_model(relid))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("read model \"%s\" reads read model \"%s\"",
							name, get_rel_name(relid)),
					 errdetail("Definitions over other read models are not supported yet."),
					 errhint("Read the source tables of \"%s\" directly.",
							 get_rel_name(relid))));
		if (pg_class_aclcheck(relid, GetUserId(), ACL_TRIGGER) != ACLCHECK_OK)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied to maintain a read model over table \"%s\"",
							get_rel_name(relid)),
					 errdetail("A read model installs capture triggers on the tables it reads, which needs the TRIGGER privilege.")));
	}
	/* SELECT on every table and column read, as the declaring user */
	ExecCheckRTPerms(analysis->range_tables, true);
}

static char *
qualified_name(Oid nsp, const char *relname)
{
	return quote_qualified_identifier(get_namespace_name(nsp), relname);
}

/* Create (or drop, when no model reads it any more) the capture triggers. */
static void
sync_triggers(Oid relid)
{
	Oid			type = OIDOID;
	Datum		value = ObjectIdGetDatum(relid);
	bool		wanted;
	char	   *table;
	int			i;

	if (get_rel_relkind(relid) == '\0')
		return;
	if (SPI_execute_with_args("SELECT 1 FROM readmodel.model WHERE $1 = ANY(sources::oid[])",
							  1, &type, &value, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read readmodel.model");
	wanted = SPI_processed > 0;
	table = qualified_name(get_rel_namespace(relid), get_rel_name(relid));

	for (i = 0; i < lengthof(trigger_events); i++)
	{
		const char *event = trigger_events[i];
		char	   *tgname = psprintf(READMODEL_TRIGGER_PREFIX "%s", event);
		Datum		args[2];
		Oid			types[2] = {OIDOID, TEXTOID};
		bool		exists;

		args[0] = value;
		args[1] = CStringGetTextDatum(tgname);
		if (SPI_execute_with_args("SELECT 1 FROM pg_catalog.pg_trigger WHERE tgrelid = $1 AND tgname = $2::name",
								  2, types, args, NULL, false, 1) != SPI_OK_SELECT)
			elog(ERROR, "could not read pg_trigger");
		exists = SPI_processed > 0;

		if (wanted && !exists)
		{
			const char *referencing =
				strcmp(event, "insert") == 0 ? "REFERENCING NEW TABLE AS readmodel_new" :
				strcmp(event, "update") == 0 ? "REFERENCING OLD TABLE AS readmodel_old NEW TABLE AS readmodel_new" :
				strcmp(event, "delete") == 0 ? "REFERENCING OLD TABLE AS readmodel_old" : "";

			spi_exec(psprintf("CREATE TRIGGER %s AFTER %s ON %s %s FOR EACH STATEMENT EXECUTE FUNCTION readmodel.capture()",
							  quote_identifier(tgname), event, table, referencing),
					 SPI_OK_UTILITY);
		}
		else if (!wanted && exists)
			spi_exec(psprintf("DROP TRIGGER %s ON %s", quote_identifier(tgname), table),
					 SPI_OK_UTILITY);
	}
}

static Datum
regclass_array(List *relids)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(list_length(relids), 1));
	ListCell   *lc;
	int			n = 0;

	foreach(lc, relids)
		elems[n++] = ObjectIdGetDatum(lfirst_oid(lc));
	return PointerGetDatum(construct_array(elems, n, REGCLASSOID, sizeof(Oid),
										   true, TYPALIGN_INT));
}

static void
create_unique_key_index(const char *table, const char *key, const char *name)
{
	MemoryContext oldcxt = CurrentMemoryContext;

	PG_TRY();
	{
		spi_exec(psprintf("CREATE UNIQUE INDEX ON %s (%s)", table,
						  quote_identifier(key)),
				 SPI_OK_UTILITY);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		if (edata->sqlerrcode != ERRCODE_UNIQUE_VIOLATION)
			PG_RE_THROW();
		FlushErrorState();
		ereport(ERROR,
				(errcode(ERRCODE_UNIQUE_VIOLATION),
				 errmsg("key column \"%s\" of read model \"%s\" is not unique", key, name),
				 edata->detail ? errdetail("%s", edata->detail) : 0,
				 errhint("A read model has one row per root row; aggregate children in a subquery or GROUP BY the key.")));
	}
	PG_END_TRY();
}

Datum
readmodel_create(PG_FUNCTION_ARGS)
{
	char	   *name;
	char	   *definition;
	CreateOptions options;
	RangeVar   *rv;
	Oid			nsp;
	char	   *qualname;
	char	   *viewname;
	char	   *view_qualname;
	Oid			viewid;
	Oid			relid;
	Relation	view;
	Query	   *query;
	ModelAnalysis *analysis;
	List	   *sources;
	ListCell   *lc;
	Oid			save_userid;
	int			save_sec;
	int			nestlevel;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("read model name and definition must not be null")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	definition = text_to_cstring(PG_GETARG_TEXT_PP(1));
	parse_options(PG_ARGISNULL(2) ? NULL : PG_GETARG_JSONB_P(2), &options);

	rv = makeRangeVarFromNameList(stringToQualifiedNameList(name));
	nsp = RangeVarGetAndCheckCreationNamespace(rv, NoLock, NULL);
	qualname = qualified_name(nsp, rv->relname);
	if (OidIsValid(get_relname_relid(rv->relname, nsp)))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_TABLE),
				 errmsg("relation %s already exists", qualname),
				 errhint("Drop it first, or choose another name for the read model.")));
	viewname = psprintf("%s" READMODEL_DEF_SUFFIX, rv->relname);
	if (strlen(viewname) >= NAMEDATALEN)
		ereport(ERROR,
				(errcode(ERRCODE_NAME_TOO_LONG),
				 errmsg("read model name \"%s\" is too long", rv->relname),
				 errdetail("Its definition view \"%s\" needs a name of at most %d bytes.",
						   viewname, NAMEDATALEN - 1)));
	if (OidIsValid(get_relname_relid(viewname, nsp)))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_TABLE),
				 errmsg("relation %s already exists", qualified_name(nsp, viewname)),
				 errdetail("A read model keeps its definition in a view named after its table with the suffix \"%s\".",
						   READMODEL_DEF_SUFFIX)));
	check_single_select(definition);
	(void) readmodel_catalog_relid(false);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	/* 1. the definition view: PostgreSQL analyses it and records dependencies */
	view_qualname = qualified_name(nsp, viewname);
	spi_exec(psprintf("CREATE VIEW %s AS %s", view_qualname, definition),
			 SPI_OK_UTILITY);
	viewid = get_relname_relid(viewname, nsp);
	view = relation_open(viewid, AccessShareLock);
	query = copyObject(get_view_query(view));
	relation_close(view, AccessShareLock);

	/* 2. can we maintain it, and may this user? */
	analysis = readmodel_analyze(query, viewid, options.key, qualname);
	check_sources_allowed(analysis, qualname);
	sources = source_relids(analysis);

	/* 3. build the table in the same pinned context maintenance uses */
	readmodel_enter_maintenance(GetUserId(), &nestlevel, &save_userid, &save_sec);
	spi_exec(psprintf("CREATE TABLE %s WITH (fillfactor = 90) AS SELECT * FROM %s",
					  qualname, view_qualname),
			 SPI_OK_UTILITY);
	create_unique_key_index(qualname, analysis->key_name, qualname);
	readmodel_leave_maintenance(nestlevel, save_userid, save_sec);
	relid = get_relname_relid(rv->relname, nsp);

	/* 4. record it, then capture changes */
	{
		Oid			types[6] = {OIDOID, OIDOID, TEXTOID, TEXTOID, TEXTOID, REGCLASSARRAYOID};
		Datum		values[6];

		values[0] = ObjectIdGetDatum(relid);
		values[1] = ObjectIdGetDatum(viewid);
		values[2] = CStringGetTextDatum(analysis->key_name);
		values[3] = CStringGetTextDatum(options.statement_mode ? "statement" : "commit");
		values[4] = CStringGetTextDatum(definition);
		values[5] = regclass_array(sources);
		catalog_exec("INSERT INTO readmodel.model (relid, viewid, keycol, mode, definition, sources) "
					 "VALUES ($1, $2, $3::name, $4, $5, $6)", 6, types, values);
	}
	foreach(lc, sources)
		sync_triggers(lfirst_oid(lc));

	SPI_finish();
	readmodel_invalidate_cache();
	PG_RETURN_OID(relid);
}

static Oid
lookup_model_relid(text *name)
{
	RangeVar   *rv = makeRangeVarFromNameList(stringToQualifiedNameList(text_to_cstring(name)));
	Oid			relid = RangeVarGetRelid(rv, NoLock, false);
	bool		found;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	found = is_read_model(relid);
	SPI_finish();
	if (!found)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a read model", text_to_cstring(name)),
				 errhint("The read models are listed in readmodel.models.")));
	return relid;
}

Datum
readmodel_drop(PG_FUNCTION_ARGS)
{
	Oid			relid = lookup_model_relid(PG_GETARG_TEXT_PP(0));
	bool		cascade = PG_ARGISNULL(1) ? false : PG_GETARG_BOOL(1);
	char	   *qualname = qualified_name(get_rel_namespace(relid), get_rel_name(relid));

	/* the sql_drop event trigger removes the view, catalog row and triggers */
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	spi_exec(psprintf("DROP TABLE %s%s", qualname, cascade ? " CASCADE" : ""),
			 SPI_OK_UTILITY);
	SPI_finish();
	readmodel_invalidate_cache();
	PG_RETURN_VOID();
}

Datum
readmodel_refresh(PG_FUNCTION_ARGS)
{
	Oid			relid = lookup_model_relid(PG_GETARG_TEXT_PP(0));
	ReadModel  *model = readmodel_lookup_model(relid);

	if (model == NULL)
		elog(ERROR, "read model %u is not in the cache", relid);
	if (!pg_class_ownercheck(relid, GetUserId()))
		aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_TABLE, get_rel_name(relid));
	PG_RETURN_INT64(readmodel_refresh_model(model));
}

Datum
readmodel_flush(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(readmodel_apply_pending(false));
}

Datum
readmodel_queue_stats(PG_FUNCTION_ARGS)
{
	ReadModelCounters c;
	bool		cluster_wide;
	char	   *json;

	readmodel_stats_get(&c, &cluster_wide);
	json = psprintf("{\"queue_size\": " INT64_FORMAT ", \"scope\": \"%s\", "
					"\"statements_captured\": " UINT64_FORMAT ", "
					"\"keys_queued\": " UINT64_FORMAT ", "
					"\"models_refreshed\": " UINT64_FORMAT ", "
					"\"keys_recomputed\": " UINT64_FORMAT ", "
					"\"rows_written\": " UINT64_FORMAT ", "
					"\"rows_skipped_noop\": " UINT64_FORMAT ", "
					"\"full_refreshes\": " UINT64_FORMAT ", "
					"\"total_timing_ms\": %.3f}",
					readmodel_queue_size(),
					cluster_wide ? "cluster" : "backend",
					c.statements_captured, c.keys_queued, c.models_refreshed,
					c.keys_recomputed, c.rows_written, c.rows_skipped_noop,
					c.full_refreshes, c.total_timing_ms);
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(json)));
}

typedef struct DebugQueueState
{
	ReturnSetInfo *rsinfo;
} DebugQueueState;

static const char *
ops_text(int ops)
{
	StringInfoData buf;

	initStringInfo(&buf);
	if (ops & RM_OP_INSERT)
		appendStringInfoString(&buf, "INSERT,");
	if (ops & RM_OP_UPDATE)
		appendStringInfoString(&buf, "UPDATE,");
	if (ops & RM_OP_DELETE)
		appendStringInfoString(&buf, "DELETE,");
	if (ops & RM_OP_TRUNCATE)
		appendStringInfoString(&buf, "TRUNCATE,");
	if (buf.len > 0)
		buf.data[--buf.len] = '\0';
	return buf.data;
}

static void
debug_queue_row(Oid model, Datum key, bool full, Oid source, int ops, void *arg)
{
	DebugQueueState *state = arg;
	ReadModel  *rm = readmodel_lookup_model(model);
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	values[0] = ObjectIdGetDatum(model);
	if (full || rm == NULL || rm->broken)
		nulls[1] = true;
	else
		values[1] = CStringGetTextDatum(readmodel_datum_text(key, rm->key_type));
	values[2] = CStringGetTextDatum(psprintf("%s on %s%s", ops_text(ops),
											 get_rel_name(source),
											 full ? " (full refresh)" : ""));
	tuplestore_putvalues(state->rsinfo->setResult, state->rsinfo->setDesc,
						 values, nulls);
}

Datum
readmodel_debug_queue(PG_FUNCTION_ARGS)
{
	DebugQueueState state;

	InitMaterializedSRF(fcinfo, 0);
	state.rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	readmodel_queue_visit(debug_queue_row, &state);
	return (Datum) 0;
}

Datum
readmodel_pending_keys(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(readmodel_queue_size());
}

Datum
readmodel_in_transaction_block(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(IsTransactionBlock());
}

Datum
readmodel_is_preloaded(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(readmodel_preloaded);
}

/* The sources the definition reads now, for health_check(). */
Datum
readmodel_derived_sources(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	ReadModel  *model = readmodel_lookup_model(relid);

	if (model == NULL || model->broken)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(regclass_array(source_relids(model->analysis)));
}

/* Called by the sql_drop event trigger for the sources of dropped models. */
Datum
readmodel_sync_triggers(PG_FUNCTION_ARGS)
{
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	sync_triggers(PG_GETARG_OID(0));
	SPI_finish();
	readmodel_invalidate_cache();
	PG_RETURN_VOID();
}
