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
#include "commands/trigger.h"
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
#include "access/htup_details.h"
#include "catalog/pg_index.h"
#include "utils/syscache.h"

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
PG_FUNCTION_INFO_V1(readmodel_guard);
PG_FUNCTION_INFO_V1(readmodel_explain);
PG_FUNCTION_INFO_V1(readmodel_graph);
PG_FUNCTION_INFO_V1(readmodel_model_stats);

/* set while readmodel.create() builds a table (see ctas.c) */
bool		readmodel_creating = false;

typedef struct CreateOptions
{
	char	   *key;
	bool		statement_mode;
	bool		replace;
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
			else if (strcmp(current, "replace") == 0 &&
					 (v.type == jbvBool))
				out->replace = v.val.boolean;
			else if (strcmp(current, "replace") == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("option \"replace\" must be a boolean")));
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
						 errhint("Valid options are \"key\", \"mode\" and \"replace\".")));
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
		/* a primary key: other models can join to it and use it as root */
		spi_exec(psprintf("ALTER TABLE %s ADD PRIMARY KEY (%s)", table,
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

/* Depth the model would have: one more than the deepest model it reads. */
static int
declared_depth(ModelAnalysis *analysis)
{
	int			depth = 1;
	ListCell   *lc;

	foreach(lc, analysis->sources)
	{
		ReadModel  *source = readmodel_lookup_model(((ModelSource *) lfirst(lc))->relid);

		if (source != NULL && !source->broken)
			depth = Max(depth, source->depth + 1);
	}
	return depth;
}

static void
check_depth_allowed(ModelAnalysis *analysis, const char *name)
{
	int			depth = declared_depth(analysis);

	if (depth > readmodel_max_cascade_depth)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("read model \"%s\" would be %d levels deep, past readmodel.max_cascade_depth (%d)",
						name, depth, readmodel_max_cascade_depth),
				 errhint("Read the base tables instead of a read model, or raise readmodel.max_cascade_depth.")));
}

/*
 * Replacing model `relid` with a definition over `sources` must not make it
 * read itself through other models.  Follows the catalog's sources.
 */
static void
check_no_cycle(Oid relid, List *sources, const char *name)
{
	Oid			types[2] = {OIDARRAYOID, OIDOID};
	Datum		values[2];
	Datum	   *elems = palloc(sizeof(Datum) * Max(list_length(sources), 1));
	ListCell   *lc;
	int			n = 0;

	foreach(lc, sources)
		elems[n++] = ObjectIdGetDatum(lfirst_oid(lc));
	values[0] = PointerGetDatum(construct_array(elems, n, OIDOID, sizeof(Oid),
												true, TYPALIGN_INT));
	values[1] = ObjectIdGetDatum(relid);
	if (SPI_execute_with_args("WITH RECURSIVE r(rel, path) AS ("
							  "  SELECT s, ARRAY[s] FROM unnest($1) s"
							  "  UNION ALL"
							  "  SELECT src::oid, r.path || src::oid FROM r"
							  "  JOIN readmodel.model m ON m.relid::oid = r.rel,"
							  "  unnest(m.sources) src WHERE NOT src::oid = ANY(r.path))"
							  " SELECT array_to_string(ARRAY(SELECT p::regclass::text"
							  "   FROM unnest(path) WITH ORDINALITY AS u(p, i) ORDER BY i), ' -> ')"
							  " FROM r WHERE rel = $2 LIMIT 1",
							  2, types, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read readmodel.model");
	if (SPI_processed > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
				 errmsg("read model \"%s\" would read itself", name),
				 errdetail("Each would read the next: %s -> %s.", name,
						   SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1)),
				 errhint("A read model may read other read models only when none of them reads it.")));
}

/* Has `relid` an index whose first column is `att`? */
static bool
has_leading_index(Oid relid, AttrNumber att)
{
	Relation	rel = relation_open(relid, AccessShareLock);
	List	   *indexes = RelationGetIndexList(rel);
	ListCell   *lc;
	bool		found = false;

	foreach(lc, indexes)
	{
		HeapTuple	tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(lfirst_oid(lc)));

		if (!HeapTupleIsValid(tuple))
			continue;
		if (((Form_pg_index) GETSTRUCT(tuple))->indkey.values[0] == att)
			found = true;
		ReleaseSysCache(tuple);
	}
	relation_close(rel, AccessShareLock);
	return found;
}

/*
 * Indexes maintenance needs: on the model table, the columns patches match
 * rows by (ours to create); on sources, the columns route hops read by
 * (the user's tables: reported, not created).
 */
static void
create_propagation_indexes(Oid relid, const char *qualname,
						   ModelAnalysis *analysis)
{
	List	   *reported = NIL;	/* "relid/att" of missing indexes noticed */
	ListCell   *lc;

	foreach(lc, analysis->patches)
	{
		PatchTarget *target = lfirst(lc);
		AttrNumber	att = get_attnum(relid, target->out_col);

		if (att != InvalidAttrNumber && !has_leading_index(relid, att))
		{
			spi_exec(psprintf("CREATE INDEX ON %s (%s)", qualname,
							  quote_identifier(target->out_col)),
					 SPI_OK_UTILITY);
			CommandCounterIncrement();
		}
	}
	foreach(lc, analysis->sources)
	{
		ModelSource *msource = lfirst(lc);
		ListCell   *lr;

		foreach(lr, msource->routes)
		{
			ListCell   *lh;

			foreach(lh, ((SourceRoute *) lfirst(lr))->hops)
			{
				RouteHop   *hop = lfirst(lh);
				char	   *tag = psprintf("%u/%d", hop->relid, hop->match_att);
				ListCell   *lt;
				bool		seen = false;

				foreach(lt, reported)
					seen |= (strcmp(lfirst(lt), tag) == 0);
				if (seen || has_leading_index(hop->relid, hop->match_att))
					continue;
				reported = lappend(reported, tag);
				ereport(NOTICE,
						(errmsg("read model %s: no index on %s (%s)", qualname,
								get_rel_name(hop->relid),
								get_attname(hop->relid, hop->match_att, false)),
						 errdetail("Changes of %s are mapped to read-model rows by reading %s by that column; without an index each such statement scans the table.",
								   get_rel_name(msource->relid), get_rel_name(hop->relid)),
						 errhint("CREATE INDEX ON %s (%s);",
								 quote_qualified_identifier(get_namespace_name(get_rel_namespace(hop->relid)),
															get_rel_name(hop->relid)),
								 quote_identifier(get_attname(hop->relid, hop->match_att, false)))));
			}
		}
	}
}

/* Writes to a model table come from maintenance only. */
static void
create_write_guard(const char *table)
{
	/* a 0.1 catalog (library updated, ALTER EXTENSION UPDATE not run yet) */
	if (SPI_execute("SELECT 1 WHERE to_regprocedure('readmodel.guard()') IS NOT NULL",
					true, 1) != SPI_OK_SELECT || SPI_processed == 0)
		return;
	spi_exec(psprintf("CREATE TRIGGER readmodel_guard BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE "
					  "ON %s FOR EACH STATEMENT EXECUTE FUNCTION readmodel.guard()", table),
			 SPI_OK_UTILITY);
}

static Query *
view_query(Oid viewid)
{
	Relation	view = relation_open(viewid, AccessShareLock);
	Query	   *query = copyObject(get_view_query(view));

	relation_close(view, AccessShareLock);
	return query;
}

static void
record_model(Oid relid, Oid viewid, ModelAnalysis *analysis,
			 CreateOptions *options, const char *definition, bool update)
{
	Oid			types[6] = {OIDOID, OIDOID, TEXTOID, TEXTOID, TEXTOID, REGCLASSARRAYOID};
	Datum		values[6];

	values[0] = ObjectIdGetDatum(relid);
	values[1] = ObjectIdGetDatum(viewid);
	values[2] = CStringGetTextDatum(analysis->key_name);
	values[3] = CStringGetTextDatum(options->statement_mode ? "statement" : "commit");
	values[4] = CStringGetTextDatum(definition);
	values[5] = regclass_array(source_relids(analysis));
	if (update)
		catalog_exec("UPDATE readmodel.model SET viewid = $2, keycol = $3::name, mode = $4, "
					 "definition = $5, sources = $6 WHERE relid = $1",
					 6, types, values);
	else
		catalog_exec("INSERT INTO readmodel.model (relid, viewid, keycol, mode, definition, sources) "
					 "VALUES ($1, $2, $3::name, $4, $5, $6)", 6, types, values);
}

/*
 * Make the table's columns those of the new definition: add new ones, drop
 * gone ones, retype changed ones (their values are recomputed right after).
 * Dependent models keep working as long as the columns they read stay.
 */
static void
align_columns(Oid relid, Oid viewid, const char *table, const char *key)
{
	Relation	rel = relation_open(relid, AccessShareLock);
	Relation	view = relation_open(viewid, AccessShareLock);
	TupleDesc	tdesc = CreateTupleDescCopy(RelationGetDescr(rel));
	TupleDesc	vdesc = CreateTupleDescCopy(RelationGetDescr(view));
	int			i,
				j;

	relation_close(view, AccessShareLock);
	relation_close(rel, AccessShareLock);
	for (i = 0; i < tdesc->natts; i++)
	{
		Form_pg_attribute t = TupleDescAttr(tdesc, i);
		bool		found = false;

		if (t->attisdropped)
			continue;
		for (j = 0; j < vdesc->natts; j++)
		{
			Form_pg_attribute v = TupleDescAttr(vdesc, j);

			if (strcmp(NameStr(t->attname), NameStr(v->attname)) != 0)
				continue;
			found = true;
			if (t->atttypid != v->atttypid || t->atttypmod != v->atttypmod)
			{
				if (strcmp(NameStr(t->attname), key) == 0)
					ereport(ERROR,
							(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
							 errmsg("cannot change the type of key column \"%s\" of read model %s",
									key, table),
							 errhint("Drop the read model and create it again.")));
				spi_exec(psprintf("ALTER TABLE %s ALTER COLUMN %s TYPE %s USING NULL",
								  table, quote_identifier(NameStr(t->attname)),
								  format_type_with_typemod(v->atttypid, v->atttypmod)),
						 SPI_OK_UTILITY);
			}
		}
		if (!found)
			spi_exec(psprintf("ALTER TABLE %s DROP COLUMN %s", table,
							  quote_identifier(NameStr(t->attname))),
					 SPI_OK_UTILITY);
	}
	for (j = 0; j < vdesc->natts; j++)
	{
		Form_pg_attribute v = TupleDescAttr(vdesc, j);
		bool		found = false;

		for (i = 0; i < tdesc->natts; i++)
			if (!TupleDescAttr(tdesc, i)->attisdropped &&
				strcmp(NameStr(TupleDescAttr(tdesc, i)->attname), NameStr(v->attname)) == 0)
				found = true;
		if (!found)
			spi_exec(psprintf("ALTER TABLE %s ADD COLUMN %s %s", table,
							  quote_identifier(NameStr(v->attname)),
							  format_type_with_typemod(v->atttypid, v->atttypmod)),
					 SPI_OK_UTILITY);
	}
}

/*
 * Replace the definition of model `relid` in place: the table, its key and
 * its dependents stay; the columns follow the new definition and the rows
 * are recomputed (dependents pick the changes up like any other change).
 */
static void
replace_model(Oid relid, const char *qualname, const char *definition,
			  CreateOptions *options)
{
	Oid			nsp = get_rel_namespace(relid);
	ReadModel  *old = readmodel_lookup_model(relid);
	char	   *next = psprintf("pg_readmodel_next_%u", relid);
	char	   *next_qualname = qualified_name(nsp, next);
	Oid			old_viewid;
	Oid			viewid;
	ModelAnalysis *analysis;
	List	   *sources;
	ListCell   *lc;

	if (old == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a read model", qualname),
				 errhint("Option \"replace\" changes the definition of an existing read model.")));
	if (!pg_class_ownercheck(relid, GetUserId()))
		aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_TABLE, get_rel_name(relid));
	old_viewid = old->viewid;

	spi_exec(psprintf("CREATE VIEW %s AS %s", next_qualname, definition),
			 SPI_OK_UTILITY);
	viewid = get_relname_relid(next, nsp);
	analysis = readmodel_analyze(view_query(viewid), viewid, options->key, qualname);
	if (!old->broken && strcmp(analysis->key_name, old->key_name) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot change the key of read model %s from \"%s\" to \"%s\"",
						qualname, old->key_name, analysis->key_name),
				 errhint("Drop the read model and create it again.")));
	check_sources_allowed(analysis, qualname);
	sources = source_relids(analysis);
	check_no_cycle(relid, sources, qualname);
	check_depth_allowed(analysis, qualname);

	align_columns(relid, viewid, qualname, analysis->key_name);
	CommandCounterIncrement();
	create_propagation_indexes(relid, qualname, analysis);
	record_model(relid, viewid, analysis, options, definition, true);
	/* the catalog no longer names the old view: dropping it drops nothing else */
	spi_exec(psprintf("DROP VIEW %s", quote_qualified_identifier(get_namespace_name(nsp),
																  get_rel_name(old_viewid))),
			 SPI_OK_UTILITY);
	spi_exec(psprintf("ALTER VIEW %s RENAME TO %s", next_qualname,
					  quote_identifier(psprintf("%s" READMODEL_DEF_SUFFIX, get_rel_name(relid)))),
			 SPI_OK_UTILITY);
	foreach(lc, sources)
		sync_triggers(lfirst_oid(lc));
	foreach(lc, old->broken ? NIL : source_relids(old->analysis))
		sync_triggers(lfirst_oid(lc));
	readmodel_invalidate_cache();

	/* rebuild under a snapshot that sees the catalog row just updated */
	CommandCounterIncrement();
	PushCopiedSnapshot(GetActiveSnapshot());
	UpdateActiveSnapshotCommandId();
	readmodel_refresh_model(readmodel_lookup_model(relid));
	PopActiveSnapshot();
}

static Oid
create_model(RangeVar *rv, Oid nsp, const char *qualname,
			 const char *definition, CreateOptions *options)
{
	char	   *viewname = psprintf("%s" READMODEL_DEF_SUFFIX, rv->relname);
	char	   *view_qualname;
	Oid			viewid;
	Oid			relid;
	ModelAnalysis *analysis;
	ListCell   *lc;
	Oid			save_userid;
	int			save_sec;
	int			nestlevel;

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

	/* 1. the definition view: PostgreSQL analyses it and records dependencies */
	view_qualname = qualified_name(nsp, viewname);
	spi_exec(psprintf("CREATE VIEW %s AS %s", view_qualname, definition),
			 SPI_OK_UTILITY);
	viewid = get_relname_relid(viewname, nsp);

	/* 2. can we maintain it, and may this user? */
	analysis = readmodel_analyze(view_query(viewid), viewid, options->key, qualname);
	check_sources_allowed(analysis, qualname);
	check_depth_allowed(analysis, qualname);

	/* 3. build the table in the same pinned context maintenance uses */
	readmodel_enter_maintenance(GetUserId(), &nestlevel, &save_userid, &save_sec);
	spi_exec(psprintf("CREATE TABLE %s WITH (fillfactor = 90) AS SELECT * FROM %s",
					  qualname, view_qualname),
			 SPI_OK_UTILITY);
	create_unique_key_index(qualname, analysis->key_name, qualname);
	create_write_guard(qualname);
	relid = get_relname_relid(rv->relname, nsp);
	create_propagation_indexes(relid, qualname, analysis);
	readmodel_leave_maintenance(nestlevel, save_userid, save_sec);

	/* 4. record it, then capture changes */
	record_model(relid, viewid, analysis, options, definition, false);
	foreach(lc, source_relids(analysis))
		sync_triggers(lfirst_oid(lc));
	return relid;
}

Datum
readmodel_create(PG_FUNCTION_ARGS)
{
	char	   *name;
	char	   *definition;
	CreateOptions options;
	RangeVar   *rv;
	Oid			nsp;
	Oid			existing;
	char	   *qualname;
	volatile Oid relid;

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
	existing = get_relname_relid(rv->relname, nsp);
	if (OidIsValid(existing) && !options.replace)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_TABLE),
				 errmsg("relation %s already exists", qualname),
				 errhint("Drop it first, choose another name, or pass options => '{\"replace\": true}' to change a read model's definition.")));
	check_single_select(definition);
	(void) readmodel_catalog_relid(false);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	readmodel_creating = true;
	PG_TRY();
	{
		if (OidIsValid(existing))
		{
			replace_model(existing, qualname, definition, &options);
			relid = existing;
		}
		else
			relid = create_model(rv, nsp, qualname, definition, &options);
	}
	PG_FINALLY();
	{
		readmodel_creating = false;
	}
	PG_END_TRY();
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
	if (!cascade)
	{
		Oid			type = OIDOID;
		Datum		value = ObjectIdGetDatum(relid);

		if (SPI_execute_with_args("SELECT string_agg(relid::text, ', ' ORDER BY relid::text) "
								  "FROM readmodel.model WHERE $1 = ANY(sources::oid[]) HAVING count(*) > 0",
								  1, &type, &value, NULL, true, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not read readmodel.model");
		if (SPI_processed > 0)
			ereport(ERROR,
					(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
					 errmsg("cannot drop read model %s because other read models read it", qualname),
					 errdetail("Read models reading it: %s.",
							   SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1)),
					 errhint("Use readmodel.drop(name, cascade => true) to drop them too.")));
	}
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
					"\"rows_patched\": " UINT64_FORMAT ", "
					"\"rebuilds_chosen\": " UINT64_FORMAT ", "
					"\"total_timing_ms\": %.3f}",
					readmodel_queue_size(),
					cluster_wide ? "cluster" : "backend",
					c.statements_captured, c.keys_queued, c.models_refreshed,
					c.keys_recomputed, c.rows_written, c.rows_skipped_noop,
					c.full_refreshes, c.rows_patched, c.rebuilds_chosen,
					c.total_timing_ms);
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
debug_queue_row(Oid model, int patch, Datum key, bool full, Oid source,
				int ops, void *arg)
{
	DebugQueueState *state = arg;
	ReadModel  *rm = readmodel_lookup_model(model);
	PatchTarget *target = NULL;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	if (rm != NULL && !rm->broken && patch >= 0 &&
		patch < list_length(rm->analysis->patches))
		target = list_nth(rm->analysis->patches, patch);
	values[0] = ObjectIdGetDatum(model);
	if (full || rm == NULL || rm->broken)
		nulls[1] = true;
	else
		values[1] = CStringGetTextDatum(readmodel_datum_text(key,
															 target ? target->via_type : rm->key_type));
	values[2] = CStringGetTextDatum(psprintf("%s on %s%s%s", ops_text(ops),
											 get_rel_name(source),
											 full ? " (full refresh)" : "",
											 target ? psprintf(" (%s)", target->description) : ""));
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

/*
 * BEFORE ... FOR EACH STATEMENT on every model table: a read model holds
 * derived data, so only maintenance (and readmodel.refresh) may write it.
 */
Datum
readmodel_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trig = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("readmodel.guard() must be fired as a trigger")));
	if (readmodel_model_writes > 0)
		return PointerGetDatum(NULL);
	ereport(ERROR,
			(errcode(ERRCODE_WRONG_OBJECT_TYPE),
			 errmsg("cannot change read model \"%s\" directly",
					RelationGetRelationName(trig->tg_relation)),
			 errdetail("A read model holds data derived from its definition; it changes when the tables it reads change."),
			 errhint("Change its source tables, or rebuild it with readmodel.refresh().")));
	return PointerGetDatum(NULL);
}

static const char *
route_kind(ReadModel *model, ModelSource *msource, SourceRoute *route)
{
	bool		embedded = readmodel_lookup_model(msource->relid) != NULL;
	const char *kind;

	if (route->in_subquery)
		kind = "subquery";
	else if (route->hops == NIL && msource->relid == model->analysis->root_relid)
		kind = "direct key";
	else
		kind = "join";
	return embedded ? psprintf("%s, embedded read model", kind) : kind;
}

static char *
trigger_list(Oid relid, const char *pattern)
{
	Oid			types[2] = {OIDOID, TEXTOID};
	Datum		values[2];

	values[0] = ObjectIdGetDatum(relid);
	values[1] = CStringGetTextDatum(pattern);
	if (SPI_execute_with_args("SELECT coalesce(string_agg(tgname || CASE WHEN tgenabled = 'D' THEN ' (disabled)' ELSE '' END, ', ' ORDER BY tgname), 'none') "
							  "FROM pg_catalog.pg_trigger WHERE tgrelid = $1 AND tgname LIKE $2",
							  2, types, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read pg_trigger");
	return SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
}

static char *
index_report(Oid relid, AttrNumber att)
{
	const char *column = get_attname(relid, att, false);

	return has_leading_index(relid, att)
		? psprintf("%s (%s): indexed", get_rel_name(relid), column)
		: psprintf("%s (%s): no index, each mapping scans the table", get_rel_name(relid), column);
}

static void
explain_row(ReturnSetInfo *rsinfo, Oid source, const char *kind, const char *detail)
{
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	values[0] = ObjectIdGetDatum(source);
	values[1] = CStringGetTextDatum(kind);
	values[2] = CStringGetTextDatum(detail);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/* readmodel.explain(name): how each source's changes reach the model. */
Datum
readmodel_explain(PG_FUNCTION_ARGS)
{
	Oid			relid = lookup_model_relid(PG_GETARG_TEXT_PP(0));
	ReadModel  *model = readmodel_lookup_model(relid);
	ReturnSetInfo *rsinfo;
	ListCell   *ls;

	InitMaterializedSRF(fcinfo, 0);
	rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	if (model == NULL || model->broken)
	{
		explain_row(rsinfo, relid, "broken", model ? model->broken : "not loaded");
		return (Datum) 0;
	}
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	explain_row(rsinfo, relid, "model",
				psprintf("key %s, depth %d, mode %s, write guard: %s",
						 model->key_name, model->depth,
						 model->statement_mode ? "statement" : "commit",
						 trigger_list(relid, "readmodel\\_guard")));
	foreach(ls, model->analysis->sources)
	{
		ModelSource *msource = lfirst(ls);
		ListCell   *lc;

		foreach(lc, msource->routes)
		{
			SourceRoute *route = lfirst(lc);

			explain_row(rsinfo, msource->relid, route_kind(model, msource, route),
						psprintf("%s, recompute", route->description));
		}
		foreach(lc, msource->patches)
		{
			PatchTarget *target = lfirst(lc);
			StringInfoData cols;
			int			att = -1;

			initStringInfo(&cols);
			while ((att = bms_next_member(msource->patch_cols, att)) >= 0)
				appendStringInfo(&cols, "%s%s", cols.len ? ", " : "",
								 get_attname(msource->relid, att, false));
			explain_row(rsinfo, msource->relid, "patch",
						psprintf("%s; used when an UPDATE changes only %s",
								 target->description,
								 cols.len ? cols.data : "(no column: every copied column is also read elsewhere)"));
		}
		foreach(lc, msource->routes)
		{
			ListCell   *lh;

			foreach(lh, ((SourceRoute *) lfirst(lc))->hops)
			{
				RouteHop   *hop = lfirst(lh);

				explain_row(rsinfo, msource->relid, "index",
							index_report(hop->relid, hop->match_att));
			}
		}
		foreach(lc, msource->patches)
		{
			PatchTarget *target = lfirst(lc);

			explain_row(rsinfo, msource->relid, "index",
						index_report(relid, get_attnum(relid, target->out_col)));
		}
		explain_row(rsinfo, msource->relid, "triggers",
					trigger_list(msource->relid, "readmodel\\_capture\\_%"));
	}
	SPI_finish();
	return (Datum) 0;
}

static char *
dot_id(Oid relid)
{
	StringInfoData buf;
	const char *name = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
												  get_rel_name(relid));
	const char *p;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '"');
	for (p = name; *p; p++)
	{
		if (*p == '"' || *p == '\\')
			appendStringInfoChar(&buf, '\\');
		appendStringInfoChar(&buf, *p);
	}
	appendStringInfoChar(&buf, '"');
	return buf.data;
}

/* readmodel.graph(): the dependency graph as Graphviz DOT. */
Datum
readmodel_graph(PG_FUNCTION_ARGS)
{
	List	   *models = readmodel_all_models();
	List	   *tables = NIL;
	StringInfoData dot;
	ListCell   *lm;

	initStringInfo(&dot);
	appendStringInfoString(&dot, "digraph readmodel {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n");
	foreach(lm, models)
	{
		ReadModel  *model = lfirst(lm);

		appendStringInfo(&dot, "  %s [shape=box, style=filled, fillcolor=\"%s\", label=\"%s\\n(depth %d)\"];\n",
						 dot_id(model->relid), model->broken ? "#f4cccc" : "#d9ead3",
						 get_rel_name(model->relid), model->broken ? 0 : model->depth);
	}
	foreach(lm, models)
	{
		ReadModel  *model = lfirst(lm);
		ListCell   *ls;

		if (model->broken)
			continue;
		foreach(ls, model->analysis->sources)
		{
			ModelSource *msource = lfirst(ls);
			const char *label;

			if (readmodel_lookup_model(msource->relid) == NULL)
				tables = list_append_unique_oid(tables, msource->relid);
			label = msource->relid == model->analysis->root_relid ? "root" :
				msource->patches != NIL && msource->patch_cols != NULL ? "patch / recompute" :
				"recompute";
			appendStringInfo(&dot, "  %s -> %s [label=\"%s\"];\n",
							 dot_id(msource->relid), dot_id(model->relid), label);
		}
	}
	foreach(lm, tables)
		appendStringInfo(&dot, "  %s [shape=cylinder, label=\"%s\"];\n",
						 dot_id(lfirst_oid(lm)), get_rel_name(lfirst_oid(lm)));
	appendStringInfoString(&dot, "}\n");
	PG_RETURN_TEXT_P(cstring_to_text(dot.data));
}

/* readmodel.model_stats(): what this backend's maintenance did per model. */
Datum
readmodel_model_stats(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo;
	ListCell   *lc;

	InitMaterializedSRF(fcinfo, 0);
	rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	foreach(lc, readmodel_all_models())
	{
		ReadModel  *model = lfirst(lc);
		Datum		values[8];
		bool		nulls[8] = {false};

		values[0] = ObjectIdGetDatum(model->relid);
		values[1] = Int32GetDatum(model->broken ? 0 : model->depth);
		values[2] = Int64GetDatum((int64) model->stat_applies);
		values[3] = Int64GetDatum((int64) model->stat_rows_written);
		values[4] = Int64GetDatum((int64) model->stat_rows_patched);
		values[5] = Int64GetDatum((int64) model->stat_rows_skipped);
		values[6] = Int64GetDatum((int64) model->stat_rebuilds);
		values[7] = Float8GetDatum(model->stat_ms);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
