/*-------------------------------------------------------------------------
 *
 * lifecycle.c
 *	  readmodel.create (and replace), drop and refresh.
 *
 * Declaring a model, in the caller's transaction (an error leaves nothing
 * behind):
 *	1. the definition becomes a view, <table>_def, created with the caller's
 *	   search_path, which is how she meant the names she wrote;
 *	2. its Query is analysed, as the caller, and refused unless provably
 *	   maintainable;
 *	3. the caller must hold SELECT on every table and column read, and
 *	   TRIGGER on every source, unless its owner allowed her with
 *	   readmodel.allow_models() (the triggers are then installed with the
 *	   owner's rights: TRIGGER would let her run triggers of her own);
 *	4. every source is locked against writers (ShareRowExclusiveLock, as
 *	   CREATE TRIGGER takes it), which waits for writers already running:
 *	   their changes are committed before the table is built, with the latest
 *	   snapshot, and writers after us see the capture triggers;
 *	5. capture triggers, the table, its primary key, the write guard and the
 *	   indexes patches need are created in the sandbox, as the caller;
 *	6. the catalog row is written, and the model as the cache loads it must
 *	   be maintainable (privileges, row-level security, triggers), or the
 *	   declaration fails with the reason.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parser.h"
#include "rewrite/rewriteHandler.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"
#include "utils/rel.h"
#include "utils/regproc.h"
#include "utils/snapmgr.h"

#include "analysis.h"
#include "apply.h"
#include "cache.h"
#include "cascade.h"
#include "catalog.h"
#include "deferred.h"
#include "delta.h"
#include "full_join.h"
#include "keys.h"
#include "lifecycle.h"
#include "maintainable.h"
#include "model_partitions.h"
#include "online.h"
#include "queue.h"
#include "sandbox.h"
#include "suspend.h"
#include "triggers.h"
#include "util.h"
#include "versioning.h"

PG_FUNCTION_INFO_V1(readmodel_create);
PG_FUNCTION_INFO_V1(readmodel_drop);
PG_FUNCTION_INFO_V1(readmodel_suspend);
PG_FUNCTION_INFO_V1(readmodel_resume);
PG_FUNCTION_INFO_V1(readmodel_refresh);

bool		readmodel_creating = false;

typedef struct CreateOptions
{
	char	   *key;
	const char *mode;			/* "commit", "statement" or "manual" */
	bool		replicated;		/* capture what a subscription applies too */
	bool		versioned;		/* add version and projected_at */
	char	   *expected_lag;	/* mode deferred: health_check() limits, */
	char	   *max_lag;		/* as interval texts, or NULL */
	bool		feed;			/* keep the keys each transaction changes */
	char	   *notify_channel; /* and NOTIFY them there at commit */
	bool		replace;
	bool		online;			/* declared empty, built by resume() */
	bool		refresh_strategy;
	ModelPartitioning *partitioning;	/* NULL: an ordinary table */
} CreateOptions;

/* options->'key': a column name, or an array of them. */
static char *
key_option(JsonbValue *v)
{
	if (v->type == jbvString)
		return pnstrdup(v->val.string.val, v->val.string.len);
	if (v->type == jbvBinary && JsonContainerIsArray(v->val.binary.data))
		return readmodel_key_spelling(
									  readmodel_key_parse(JsonbToCString(NULL, v->val.binary.data,
																		 v->val.binary.len)));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("option \"key\" must be a column name or an array of column names")));
	return NULL;				/* keep compiler quiet */
}

/* Mode deferred needs its worker: the library preloaded, this database listed. */
static void
check_deferred_allowed(void)
{
	char	   *db = get_database_name(MyDatabaseId);

	if (!readmodel_preloaded)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("mode \"deferred\" needs pg_readmodel in shared_preload_libraries"),
				 errdetail("A background worker applies the changes of a deferred read model."),
				 errhint("Add pg_readmodel to shared_preload_libraries, add \"%s\" to readmodel.deferred_databases, and restart the server.",
						 db)));
	if (!readmodel_deferred_database_listed(db))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("no deferred worker runs in database \"%s\"", db),
				 errhint("Add \"%s\" to readmodel.deferred_databases and restart the server.", db)));
}

/* Its queue holds keys, not window partitions. */
static void
check_deferred_key(ModelAnalysis *analysis, CreateOptions *options, const char *qualname)
{
	if (strcmp(options->mode, "deferred") != 0)
		return;
	if (analysis->unit_columns != NIL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("read model %s cannot have mode \"deferred\"", qualname),
				 errdetail("Mode deferred supports models recomputed by key, not by window partition."),
				 errhint("Use mode \"commit\".")));
}

/* options->'feed': a boolean; options->'notify': a channel name, or a boolean */
static void
feed_option(CreateOptions *out, const char *name, JsonbValue *v, char *text)
{
	bool		notify = (strcmp(name, "notify") == 0);

	if (v->type == jbvBool)
	{
		if (!v->val.boolean)
			return;
		out->feed = true;
		if (notify)
			out->notify_channel = "";	/* the table's name, set later */
		return;
	}
	if (!notify)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"feed\" must be a boolean")));
	if (text == NULL || text[0] == '\0' || strlen(text) >= NAMEDATALEN)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"notify\" must be a channel name of at most %d bytes, or a boolean",
						NAMEDATALEN - 1)));
	out->feed = true;
	out->notify_channel = text;
}

static void
set_option(CreateOptions *out, const char *name, JsonbValue *v)
{
	char	   *text = (v->type == jbvString)
		? pnstrdup(v->val.string.val, v->val.string.len) : NULL;

	if (strcmp(name, "key") == 0)
		out->key = key_option(v);
	else if (strcmp(name, "mode") == 0)
	{
		if (text == NULL || (strcmp(text, "commit") != 0 && strcmp(text, "statement") != 0 &&
							 strcmp(text, "manual") != 0 && strcmp(text, "deferred") != 0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid read model mode"),
					 errhint("Use \"commit\" (apply before commit, the default), \"statement\" (apply at the end of each statement), \"deferred\" (a background worker applies after commit) or \"manual\" (no capture: the application calls readmodel.sync()).")));
		if (strcmp(text, "deferred") == 0)
			check_deferred_allowed();
		if (strcmp(text, "manual") == 0 && !readmodel_catalog_allows_manual())
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("mode \"manual\" needs the catalog of pg_readmodel 0.7"),
					 errhint("Run ALTER EXTENSION pg_readmodel UPDATE.")));
		out->mode = text;
	}
	else if (strcmp(name, "strategy") == 0)
	{
		if (text == NULL || (strcmp(text, "incremental") != 0 && strcmp(text, "refresh") != 0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid read model strategy"),
					 errhint("Use \"incremental\" (the default: every source must be connected to the key) or \"refresh\" (a change of a table with no route to the key rebuilds the whole model).")));
		out->refresh_strategy = (strcmp(text, "refresh") == 0);
	}
	else if (strcmp(name, "feed") == 0 || strcmp(name, "notify") == 0)
		feed_option(out, name, v, text);
	else if (strcmp(name, "expected_lag") == 0 || strcmp(name, "max_lag") == 0)
	{
		if (text == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"%s\" must be an interval, such as \"100 ms\"", name)));
		/* an error here names the bad interval */
		(void) DirectFunctionCall3(interval_in, CStringGetDatum(text),
								   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
		if (strcmp(name, "expected_lag") == 0)
			out->expected_lag = text;
		else
			out->max_lag = text;
	}
	else if (strcmp(name, "partition_by") == 0)
		out->partitioning = readmodel_partitioning_parse(v);
	else if (strcmp(name, "replace") == 0 || strcmp(name, "replicated") == 0 ||
			 strcmp(name, "version") == 0 || strcmp(name, "online") == 0)
	{
		if (v->type != jbvBool)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"%s\" must be a boolean", name)));
		if (strcmp(name, "replace") == 0)
			out->replace = v->val.boolean;
		else if (strcmp(name, "replicated") == 0)
			out->replicated = v->val.boolean;
		else if (strcmp(name, "online") == 0)
			out->online = v->val.boolean;
		else
			out->versioned = v->val.boolean;
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unrecognized read model option \"%s\"", name),
				 errhint("Valid options are \"key\", \"mode\", \"strategy\", \"partition_by\", \"replace\", \"replicated\", \"feed\", \"notify\", \"version\", \"online\", \"expected_lag\" and \"max_lag\".")));
}

static void
parse_options(Jsonb *options, CreateOptions *out)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *current = NULL;

	memset(out, 0, sizeof(*out));
	out->mode = "commit";
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
			set_option(out, current, &v);
	}
	if ((out->expected_lag || out->max_lag) && strcmp(out->mode, "deferred") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options \"expected_lag\" and \"max_lag\" are for mode \"deferred\""),
				 errdetail("A read model of another mode is up to date when its writers commit.")));
	if (out->online)
		readmodel_check_online_options(out->replace, strcmp(out->mode, "manual") == 0,
									   out->partitioning != NULL);
	if (out->replicated && strcmp(out->mode, "manual") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"replicated\" cannot be used with mode \"manual\""),
				 errdetail("A model of mode manual has no capture triggers, for a subscription or otherwise.")));
}

/* The definition must be exactly one plain SELECT. */
static void
check_single_select(const char *definition)
{
	List	   *raw = raw_parser(definition, RAW_PARSE_DEFAULT);
	SelectStmt *select;

	if (list_length(raw) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
				 errmsg("read model definition must be a single SELECT statement"),
				 errdetail("It contains %d statements.", list_length(raw))));
	if (!IsA(linitial_node(RawStmt, raw)->stmt, SelectStmt))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
				 errmsg("read model definition must be a single SELECT statement")));
	select = (SelectStmt *) linitial_node(RawStmt, raw)->stmt;
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

static List *
source_relids(ModelAnalysis *analysis)
{
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, analysis->sources)
		result = lappend_oid(result, ((ModelSource *) lfirst(lc))->relid);
	return result;
}

/*
 * The caller may read every table and column (SELECT), and may have
 * capture triggers on every source: she holds TRIGGER on it, or its owner
 * allowed her with readmodel.allow_models() (mode manual installs none).
 * Returns the sources whose triggers are to be installed with their
 * owner's rights.
 */
static List *
check_sources_allowed(ModelAnalysis *analysis, CreateOptions *options)
{
	List	   *by_owner = NIL;
	ListCell   *lc;

	foreach(lc, analysis->sources)
	{
		Oid			relid = ((ModelSource *) lfirst(lc))->relid;

		if (strcmp(options->mode, "manual") == 0)
			break;				/* it installs no triggers */
		if (pg_class_aclcheck(relid, GetUserId(), ACL_TRIGGER) == ACLCHECK_OK)
			continue;
		if (!readmodel_catalog_capture_allowed(relid, GetUserId()))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied to maintain a read model over table \"%s\"",
							get_rel_name(relid)),
					 errdetail("A read model installs capture triggers on the tables it reads."),
					 errhint("The table's owner can allow it with SELECT readmodel.allow_models('%s', '%s'), or grant TRIGGER.",
							 readmodel_relation_name(relid),
							 GetUserNameFromId(GetUserId(), false))));
		by_owner = lappend_oid(by_owner, relid);
	}
	/* SELECT on every table and column read, as the declaring user */
	readmodel_check_owner_reads(analysis);
	return by_owner;
}

static void
install_triggers(List *sources, List *by_owner, CreateOptions *options)
{
	ListCell   *lc;

	if (strcmp(options->mode, "manual") == 0)
		return;

	foreach(lc, sources)
		readmodel_install_capture_triggers(lfirst_oid(lc),
										   list_member_oid(by_owner, lfirst_oid(lc))
										   ? readmodel_relation_owner(lfirst_oid(lc))
										   : GetUserId(), options->replicated);
}

/* Depth the model would have: one more than the deepest model it reads. */
static void
check_depth_allowed(ModelAnalysis *analysis, const char *name)
{
	int			depth = 1;
	ListCell   *lc;

	foreach(lc, analysis->sources)
	{
		ReadModel  *source = readmodel_lookup_model(((ModelSource *) lfirst(lc))->relid);

		if (source != NULL && source->analysis != NULL)
			depth = Max(depth, source->depth + 1);
	}
	if (depth > readmodel_max_cascade_depth)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("read model \"%s\" would be %d levels deep, past readmodel.max_cascade_depth (%d)",
						name, depth, readmodel_max_cascade_depth),
				 errhint("Read the base tables instead of a read model, or raise readmodel.max_cascade_depth.")));
}

/*
 * Wait for the writers of every source and keep new ones out until
 * commit, in OID order (two declarations lock alike).
 */
static void
readmodel_lock_sources(List *sources)
{
	List	   *sorted = list_copy(sources);
	ListCell   *lc;

	list_sort(sorted, list_oid_cmp);
	foreach(lc, sorted)
	{
		LockRelationOid(lfirst_oid(lc), ShareRowExclusiveLock);
		/* a writer of a partition locks that partition, not its parent */
		if (get_rel_relkind(lfirst_oid(lc)) == RELKIND_PARTITIONED_TABLE)
			(void) find_all_inheritors(lfirst_oid(lc), ShareRowExclusiveLock, NULL);
	}
}

/*
 * Wait for the writers of a model's sources, and keep new ones out until
 * commit: a model that is not maintained is about to be rebuilt, and
 * writers in progress skipped it (they queue nothing).
 */
void
readmodel_wait_for_source_writers(ReadModel *model)
{
	readmodel_lock_sources(source_relids(model->analysis));
}

/* The key columns, quoted: "a, b". */
static char *
key_column_list(ModelAnalysis *analysis)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, analysis->key_columns)
		appendStringInfo(&buf, "%s%s", buf.len ? ", " : "",
						 quote_identifier(((KeyColumn *) lfirst(lc))->name));
	return buf.data;
}

static void
create_key_index(const char *table, ModelAnalysis *analysis, const char *name)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	char	   *key = key_column_list(analysis);

	PG_TRY();
	{
		/* a primary key: other models can join to it and use it as root */
		readmodel_spi_exec(psprintf("ALTER TABLE %s ADD PRIMARY KEY (%s)", table, key),
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
				 errmsg("key (%s) of read model \"%s\" is not unique", key, name),
				 edata->detail ? errdetail("%s", edata->detail) : 0,
				 errhint("A read model has one row per root row; aggregate children in a subquery or GROUP BY the key.")));
	}
	PG_END_TRY();
}

/* Patches match model rows by a column: ours to index (connected to SPI). */
static void
create_patch_indexes(Oid relid, ModelAnalysis *analysis)
{
	ListCell   *lc;

	foreach(lc, analysis->patches)
	{
		PatchTarget *target = lfirst(lc);
		AttrNumber	att = get_attnum(relid, target->out_col);

		if (att != InvalidAttrNumber && !readmodel_has_leading_index(relid, att))
		{
			readmodel_spi_exec(psprintf("CREATE INDEX ON %s (%s)",
										readmodel_relation_name(relid),
										quote_identifier(target->out_col)),
							   SPI_OK_UTILITY);
			CommandCounterIncrement();
		}
	}
}

/*
 * A model recomputed by window partitions finds its rows by the partition
 * columns: ours to index, like patch columns (connected to SPI).
 */
static void
create_unit_index(Oid relid, ModelAnalysis *analysis)
{
	StringInfoData cols;
	ListCell   *lc;

	if (analysis->unit_columns == NIL ||
		readmodel_has_leading_index(relid, get_attnum(relid,
													   ((KeyColumn *) linitial(analysis->unit_columns))->name)))
		return;
	initStringInfo(&cols);
	foreach(lc, analysis->unit_columns)
		appendStringInfo(&cols, "%s%s", cols.len ? ", " : "",
						 quote_identifier(((KeyColumn *) lfirst(lc))->name));
	readmodel_spi_exec(psprintf("CREATE INDEX ON %s (%s)", readmodel_relation_name(relid),
								cols.data),
					   SPI_OK_UTILITY);
	CommandCounterIncrement();
}

/* Route hops read sources by join columns: the user's to index, we say so. */
static void
report_missing_indexes(const char *qualname, ModelAnalysis *analysis)
{
	List	   *reported = NIL;
	ListCell   *ls,
			   *lr,
			   *lh;

	foreach(ls, analysis->sources)
		foreach(lr, ((ModelSource *) lfirst(ls))->routes)
			foreach(lh, ((SourceRoute *) lfirst(lr))->hops)
		{
			Oid			source = ((ModelSource *) lfirst(ls))->relid;
			RouteHop   *hop = lfirst(lh);
			int			tag = (int) (hop->relid * 1000 + hop->match_att);

			if (list_member_int(reported, tag) ||
				(hop->match_overlap ? readmodel_has_gin_index(hop->relid, hop->match_att) :
				 readmodel_has_leading_index(hop->relid, hop->match_att)))
				continue;
			reported = lappend_int(reported, tag);
			ereport(NOTICE,
					(errmsg("read model %s: no index on %s (%s)", qualname,
							get_rel_name(hop->relid),
							get_attname(hop->relid, hop->match_att, false)),
					 errdetail("Changes of %s are mapped to read-model rows by reading %s by that column; without an index each such statement scans the table.",
							   get_rel_name(source), get_rel_name(hop->relid)),
					 errhint("CREATE INDEX ON %s%s (%s);",
							 readmodel_relation_name(hop->relid),
							 hop->match_overlap ? " USING gin" : "",
							 readmodel_column_name(hop->relid, hop->match_att))));
		}
}

static Query *
view_query(Oid viewid)
{
	Relation	view = relation_open(viewid, AccessShareLock);
	Query	   *query = copyObject(get_view_query(view));

	relation_close(view, AccessShareLock);
	return query;
}

/*
 * A definition that is a FULL JOIN on two keys: its view becomes the UNION
 * ALL the analysis proves (full_join.c), keyed by the COALESCE of the two
 * keys unless the options name the key.  Written and read back with an
 * empty search_path, so that every name in it is qualified and means what
 * it meant.
 */
static void
write_out_full_join(Oid viewid, CreateOptions *options)
{
	int			nestlevel = NewGUCNestLevel();
	char	   *key = NULL;
	char	   *sql;

	(void) set_config_option("search_path", "", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	sql = readmodel_full_join_as_union(view_query(viewid), &key);
	if (sql != NULL)
	{
		if (options->key == NULL)
			options->key = readmodel_key_spelling(list_make1(makeString(key)));
		readmodel_spi_exec(psprintf("CREATE OR REPLACE VIEW %s AS %s",
									readmodel_relation_name(viewid), sql),
						   SPI_OK_UTILITY);
		CommandCounterIncrement();
	}
	AtEOXact_GUC(true, nestlevel);
}

static ModelAnalysis *
analyze_view(Oid viewid, CreateOptions *options, const char *qualname)
{
	Sandbox		sandbox;
	ModelAnalysis *analysis;

	write_out_full_join(viewid, options);
	readmodel_sandbox_enter(&sandbox, GetUserId());
	analysis = readmodel_analyze(view_query(viewid), viewid, options->key, qualname,
								 GetUserId(), options->refresh_strategy);
	readmodel_check_row_security(analysis, GetUserId(), qualname);
	readmodel_sandbox_leave(&sandbox);
	return analysis;
}

/*
 * The unlogged table aggregate deltas keep their state in (delta.h),
 * <table>_state, created as the caller and dropped with the model table;
 * InvalidOid when the definition has none, in statement mode, or when
 * the name is taken (the aggregates are then recomputed).  `old` is a
 * replaced model's, dropped.
 */
static Oid
create_state_table(ModelAnalysis *analysis, Oid relid, Oid old,
				   CreateOptions *options)
{
	Oid			nsp = get_rel_namespace(relid);
	char	   *name = psprintf("%s_state", get_rel_name(relid));
	char	   *qualname = quote_qualified_identifier(get_namespace_name(nsp), name);
	ObjectAddress table;
	ObjectAddress state;
	Oid			existing;

	if (OidIsValid(old) && get_rel_relkind(old) != '\0')
		readmodel_spi_exec(psprintf("DROP TABLE %s", readmodel_relation_name(old)),
						   SPI_OK_UTILITY);
	/* statement mode recomputes (delta_capture.c); manual captures nothing */
	if (analysis->delta == NULL || strcmp(options->mode, "commit") != 0 ||
		!readmodel_catalog_has_state() || strlen(name) >= NAMEDATALEN)
		return InvalidOid;
	existing = get_relname_relid(name, nsp);
	if (OidIsValid(existing))
	{
		ereport(NOTICE,
				(errmsg("read model %s recomputes its aggregates", readmodel_relation_name(relid)),
				 errdetail("Relation %s exists; its aggregates would keep their state in it.",
						   qualname)));
		return InvalidOid;
	}
	readmodel_spi_exec(readmodel_delta_state_ddl(analysis->key_type, analysis->delta, qualname),
					   SPI_OK_UTILITY);
	CommandCounterIncrement();
	ObjectAddressSet(state, RelationRelationId, get_relname_relid(name, nsp));
	ObjectAddressSet(table, RelationRelationId, relid);
	recordDependencyOn(&state, &table, DEPENDENCY_AUTO);
	return state.objectId;
}

static void
record_model(Oid relid, Oid viewid, ModelAnalysis *analysis,
			 CreateOptions *options, const char *definition, bool update,
			 Oid state)
{
	CatalogRow	row;

	memset(&row, 0, sizeof(row));
	row.state = state;
	row.relid = relid;
	row.viewid = viewid;
	row.keycol = analysis->key_name;
	row.mode = (char *) options->mode;
	row.refresh_strategy = options->refresh_strategy;
	row.partition_spec = options->partitioning ? options->partitioning->spec : NULL;
	row.feed = options->feed;
	row.versioned = options->versioned;
	row.expected_lag = options->expected_lag;
	row.max_lag = options->max_lag;
	/* notify: true names the channel after the table */
	row.notify_channel = options->notify_channel == NULL ? NULL :
		options->notify_channel[0] != '\0' ? options->notify_channel : get_rel_name(relid);
	row.definition = (char *) definition;
	row.sources = source_relids(analysis);
	if (update)
		readmodel_catalog_update(&row);
	else
		readmodel_catalog_insert(&row);
}

/* The model as the cache now loads it must be maintainable. */
static ReadModel *
maintainable_model(Oid relid)
{
	ReadModel  *model;

	CommandCounterIncrement();
	readmodel_invalidate_cache();
	model = readmodel_lookup_model(relid);
	if (model == NULL)
		elog(ERROR, "read model %u is not in the cache", relid);
	if (model->broken != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("read model %s could not be maintained", model->qualname),
				 errdetail("%s", model->broken)));
	return model;
}


/* Build the table in the sandbox, as the caller, from the latest snapshot. */
static uint64
build_table(const char *qualname, const char *view_qualname,
			ModelAnalysis *analysis, CreateOptions *options, Oid nsp,
			const char *relname)
{
	SPIPlanPtr	plan;
	Sandbox		sandbox;
	uint64		rows;
	const char *build = psprintf("CREATE TABLE %s WITH (fillfactor = 90) AS SELECT * FROM %s%s",
								 qualname, view_qualname,
								 options->online ? " WITH NO DATA" : "");

	readmodel_sandbox_enter(&sandbox, GetUserId());
	if (options->partitioning != NULL)
		build = readmodel_partitioned_table(options->partitioning, qualname, view_qualname,
											key_column_list(analysis), nsp, relname);
	plan = SPI_prepare(build, 0, NULL);
	if (plan == NULL ||
		SPI_execute_snapshot(plan, NULL, NULL, GetLatestSnapshot(),
							 InvalidSnapshot, false, false, 0) !=
		(options->partitioning != NULL ? SPI_OK_INSERT : SPI_OK_UTILITY))
		elog(ERROR, "could not build read model table %s", qualname);
	rows = SPI_processed;
	readmodel_sandbox_leave(&sandbox);
	return rows;
}

static Oid
create_model(RangeVar *rv, Oid nsp, const char *definition,
			 CreateOptions *options, uint64 *rows)
{
	char	   *qualname = quote_qualified_identifier(get_namespace_name(nsp), rv->relname);
	char	   *viewname = psprintf("%s" READMODEL_DEF_SUFFIX, rv->relname);
	char	   *view_qualname = quote_qualified_identifier(get_namespace_name(nsp), viewname);
	Oid			viewid;
	Oid			relid;
	ModelAnalysis *analysis;
	List	   *by_owner;
	Sandbox		sandbox;
	Oid			state;

	if (strlen(viewname) >= NAMEDATALEN)
		ereport(ERROR,
				(errcode(ERRCODE_NAME_TOO_LONG),
				 errmsg("read model name \"%s\" is too long", rv->relname),
				 errdetail("Its definition view \"%s\" needs a name of at most %d bytes.",
						   viewname, NAMEDATALEN - 1)));
	if (OidIsValid(get_relname_relid(viewname, nsp)))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_TABLE),
				 errmsg("relation %s already exists", view_qualname),
				 errdetail("A read model keeps its definition in a view named after its table with the suffix \"%s\".",
						   READMODEL_DEF_SUFFIX)));

	/* 1. the view, resolved with the caller's search_path */
	readmodel_spi_exec(psprintf("CREATE VIEW %s AS %s", view_qualname, definition),
					   SPI_OK_UTILITY);
	viewid = get_relname_relid(viewname, nsp);

	/* 2. and 3. */
	analysis = analyze_view(viewid, options, qualname);
	check_deferred_key(analysis, options, qualname);
	if (options->online)
		readmodel_check_online_analysis(analysis, qualname);
	if (options->versioned)
		readmodel_version_check_view(viewid, qualname);
	if (options->partitioning != NULL)
		readmodel_partitioning_check_key(options->partitioning, analysis, qualname);
	by_owner = check_sources_allowed(analysis, options);
	check_depth_allowed(analysis, qualname);

	/* 4. and 5. */
	readmodel_lock_sources(source_relids(analysis));
	install_triggers(source_relids(analysis), by_owner, options);
	*rows = build_table(qualname, view_qualname, analysis, options, nsp, rv->relname);
	relid = get_relname_relid(rv->relname, nsp);
	readmodel_sandbox_enter(&sandbox, GetUserId());
	create_key_index(qualname, analysis, qualname);
	create_patch_indexes(relid, analysis);
	create_unit_index(relid, analysis);
	if (options->versioned)
		readmodel_version_add(relid);
	state = create_state_table(analysis, relid, InvalidOid, options);
	readmodel_sandbox_leave(&sandbox);
	readmodel_install_write_guard(relid);
	if (options->feed)
		readmodel_install_feed_triggers(relid);
	report_missing_indexes(qualname, analysis);

	/* 6. */
	record_model(relid, viewid, analysis, options, definition, false, state);
	if (options->online)
		(void) readmodel_catalog_mark_stale(relid, READMODEL_BUILDING);
	(void) maintainable_model(relid);
	return relid;
}

static bool
is_key_column(ModelAnalysis *analysis, const char *name)
{
	ListCell   *lc;

	foreach(lc, analysis->key_columns)
		if (strcmp(((KeyColumn *) lfirst(lc))->name, name) == 0)
			return true;
	return false;
}

/*
 * Make the table's columns those of the new definition: add new ones, drop
 * gone ones, retype changed ones (their values are recomputed right after).
 * Dependent models keep working as long as the columns they read stay.
 */
static void
align_columns(Oid relid, Oid viewid, const char *table, ModelAnalysis *analysis,
			  bool versioned)
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

		/* option version's columns are not the definition's */
		if (t->attisdropped || (versioned && readmodel_is_version_column(NameStr(t->attname))))
			continue;
		for (j = 0; j < vdesc->natts; j++)
		{
			Form_pg_attribute v = TupleDescAttr(vdesc, j);

			if (strcmp(NameStr(t->attname), NameStr(v->attname)) != 0)
				continue;
			found = true;
			if (t->atttypid == v->atttypid && t->atttypmod == v->atttypmod)
				continue;
			if (is_key_column(analysis, NameStr(t->attname)))
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("cannot change the type of key column \"%s\" of read model %s",
								NameStr(t->attname), table),
						 errhint("Drop the read model and create it again.")));
			readmodel_spi_exec(psprintf("ALTER TABLE %s ALTER COLUMN %s TYPE %s USING NULL",
										table, quote_identifier(NameStr(t->attname)),
										readmodel_type_name(v->atttypid, v->atttypmod)),
							   SPI_OK_UTILITY);
		}
		if (!found)
			readmodel_spi_exec(psprintf("ALTER TABLE %s DROP COLUMN %s", table,
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
			readmodel_spi_exec(psprintf("ALTER TABLE %s ADD COLUMN %s %s", table,
										quote_identifier(NameStr(v->attname)),
										readmodel_type_name(v->atttypid, v->atttypmod)),
							   SPI_OK_UTILITY);
	}
}

static void keep_partitioning(Oid relid, const char *qualname, CreateOptions *options);

static ReadModel *
model_to_replace(Oid relid, const char *qualname, CreateOptions *options)
{
	ReadModel  *old = readmodel_lookup_model(relid);

	if (old == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a read model", qualname),
				 errhint("Option \"replace\" changes the definition of an existing read model.")));
	if (!pg_class_ownercheck(relid, GetUserId()))
		aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_TABLE, get_rel_name(relid));
	keep_partitioning(relid, qualname, options);
	return old;
}

/* The new view, owned like the table, and its analysis. */
static Oid
create_next_view(Oid relid, ReadModel *old, const char *definition,
				 CreateOptions *options, ModelAnalysis **analysis)
{
	Oid			nsp = get_rel_namespace(relid);
	char	   *next = psprintf("pg_readmodel_next_%u", relid);
	char	   *next_qualname = quote_qualified_identifier(get_namespace_name(nsp), next);
	Oid			viewid;

	readmodel_spi_exec(psprintf("CREATE VIEW %s AS %s", next_qualname, definition),
					   SPI_OK_UTILITY);
	if (GetUserId() != old->owner)
		readmodel_spi_exec(psprintf("ALTER VIEW %s OWNER TO %s", next_qualname,
									quote_identifier(GetUserNameFromId(old->owner, false))),
						   SPI_OK_UTILITY);
	viewid = get_relname_relid(next, nsp);
	*analysis = analyze_view(viewid, options, old->qualname);
	if (old->analysis != NULL && strcmp((*analysis)->key_name, old->key_name) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot change the key of read model %s from \"%s\" to \"%s\"",
						old->qualname, old->key_name, (*analysis)->key_name),
				 errhint("Drop the read model and create it again.")));
	return viewid;
}

/*
 * A replacement keeps the table and so its partitions: options naming
 * others are refused, and none means the same ones.
 */
static Jsonb *
spec_jsonb(const char *spec)
{
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(spec)));
}

static void
keep_partitioning(Oid relid, const char *qualname, CreateOptions *options)
{
	ListCell   *lc;

	foreach(lc, readmodel_catalog_rows())
	{
		CatalogRow *row = lfirst(lc);
		Jsonb	   *now;

		if (row->relid != relid)
			continue;
		now = row->partition_spec ? spec_jsonb(row->partition_spec) : NULL;
		if (options->partitioning == NULL)
		{
			if (now != NULL)
			{
				JsonbValue	v;

				v.type = jbvBinary;
				v.val.binary.data = &now->root;
				v.val.binary.len = VARSIZE(now) - VARHDRSZ;
				options->partitioning = readmodel_partitioning_parse(&v);
			}
			return;
		}
		if (now == NULL ||
			compareJsonbContainers(&now->root,
								   &spec_jsonb(options->partitioning->spec)->root) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("cannot change the partitions of read model %s", qualname),
					 errdetail("A replacement keeps the model's table, and with it its partitions."),
					 errhint("Drop the read model and create it again with the new \"partition_by\".")));
		return;
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
	ReadModel  *old = model_to_replace(relid, qualname, options);
	Oid			old_viewid = old->viewid;
	Oid			old_state = old->state_relid;
	Oid			state;
	List	   *old_sources = old->analysis ? source_relids(old->analysis) : NIL;
	ModelAnalysis *analysis;
	Oid			viewid = create_next_view(relid, old, definition, options, &analysis);
	List	   *sources = source_relids(analysis);
	char	   *cycle;
	ListCell   *lc;
	Sandbox		sandbox;
	List	   *by_owner = check_sources_allowed(analysis, options);

	cycle = readmodel_catalog_cycle(relid, sources);
	if (cycle != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
				 errmsg("read model \"%s\" would read itself", qualname),
				 errdetail("Each would read the next: %s -> %s.", qualname, cycle),
				 errhint("A read model may read other read models only when none of them reads it.")));
	check_depth_allowed(analysis, qualname);
	readmodel_lock_sources(sources);
	install_triggers(sources, by_owner, options);

	readmodel_sandbox_enter(&sandbox, GetUserId());
	check_deferred_key(analysis, options, qualname);
	if (options->versioned)
		readmodel_version_check_view(viewid, qualname);
	align_columns(relid, viewid, qualname, analysis, old->versioned);
	if (options->versioned)
		readmodel_version_add(relid);
	else if (old->versioned)
		readmodel_version_drop(relid);
	CommandCounterIncrement();
	create_patch_indexes(relid, analysis);
	create_unit_index(relid, analysis);
	state = create_state_table(analysis, relid, old_state, options);
	readmodel_sandbox_leave(&sandbox);
	if (options->feed)
		readmodel_install_feed_triggers(relid);
	else
		readmodel_remove_feed_triggers(relid);
	report_missing_indexes(qualname, analysis);
	record_model(relid, viewid, analysis, options, definition, true, state);
	/* the catalog no longer names the old view: dropping it drops nothing else */
	readmodel_spi_exec(psprintf("DROP VIEW %s", readmodel_relation_name(old_viewid)),
					   SPI_OK_UTILITY);
	readmodel_spi_exec(psprintf("ALTER VIEW %s RENAME TO %s", readmodel_relation_name(viewid),
								quote_identifier(psprintf("%s" READMODEL_DEF_SUFFIX,
														  get_rel_name(relid)))),
					   SPI_OK_UTILITY);
	/* sources it no longer reads, or no longer captures (mode manual) */
	foreach(lc, list_concat_unique_oid(old_sources, sources))
		if (readmodel_catalog_listeners(lfirst_oid(lc)) == NIL)
			(void) readmodel_remove_capture_triggers(lfirst_oid(lc));

	/* rebuild under a snapshot that sees the catalog row just updated */
	PushCopiedSnapshot(GetActiveSnapshot());
	UpdateActiveSnapshotCommandId();
	readmodel_refresh_model(maintainable_model(relid));
	PopActiveSnapshot();
}

/*
 * Declare (or, with {"replace": true}, redefine) a model; returns its
 * table and, in *rows, the rows a new table was built with.
 */
Oid
readmodel_declare(const char *name, const char *definition, Jsonb *options,
				  uint64 *rows)
{
	CreateOptions opts;
	RangeVar   *rv;
	Oid			nsp;
	Oid			existing;
	volatile Oid relid = InvalidOid;

	parse_options(options, &opts);
	rv = makeRangeVarFromNameList(stringToQualifiedNameList(name));
	nsp = RangeVarGetAndCheckCreationNamespace(rv, NoLock, NULL);
	existing = get_relname_relid(rv->relname, nsp);
	if (OidIsValid(existing) && !opts.replace)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_TABLE),
				 errmsg("relation %s already exists",
						quote_qualified_identifier(get_namespace_name(nsp), rv->relname)),
				 errhint("Drop it first, choose another name, or pass options => '{\"replace\": true}' to change a read model's definition.")));
	check_single_select(definition);
	(void) readmodel_catalog_relid(false);

	*rows = 0;
	readmodel_spi_connect();
	readmodel_creating = true;
	PG_TRY();
	{
		if (OidIsValid(existing))
		{
			replace_model(existing, readmodel_relation_name(existing), definition, &opts);
			relid = existing;
		}
		else
			relid = create_model(rv, nsp, definition, &opts, rows);
	}
	PG_FINALLY();
	{
		readmodel_creating = false;
	}
	PG_END_TRY();
	readmodel_spi_finish();
	readmodel_invalidate_cache();
	return relid;
}

Datum
readmodel_create(PG_FUNCTION_ARGS)
{
	uint64		rows;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("read model name and definition must not be null")));
	PG_RETURN_OID(readmodel_declare(text_to_cstring(PG_GETARG_TEXT_PP(0)),
									text_to_cstring(PG_GETARG_TEXT_PP(1)),
									PG_ARGISNULL(2) ? NULL : PG_GETARG_JSONB_P(2),
									&rows));
}

/* The model table a name (resolved with the caller's search_path) names. */
Oid
readmodel_model_by_name(text *name)
{
	RangeVar   *rv = makeRangeVarFromNameList(stringToQualifiedNameList(text_to_cstring(name)));
	Oid			relid = RangeVarGetRelid(rv, NoLock, false);

	if (!readmodel_catalog_is_model(relid))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a read model", text_to_cstring(name)),
				 errhint("The read models are listed in readmodel.models.")));
	return relid;
}

static char *
readers_text(List *readers)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, readers)
		appendStringInfo(&buf, "%s%s", buf.len ? ", " : "",
						 readmodel_relation_name(lfirst_oid(lc)));
	return buf.data;
}

Datum
readmodel_drop(PG_FUNCTION_ARGS)
{
	Oid			relid = readmodel_model_by_name(PG_GETARG_TEXT_PP(0));
	bool		cascade = PG_ARGISNULL(1) ? false : PG_GETARG_BOOL(1);
	char	   *qualname = readmodel_relation_name(relid);
	List	   *readers = readmodel_catalog_readers(relid);

	if (!cascade && readers != NIL)
		ereport(ERROR,
				(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
				 errmsg("cannot drop read model %s because other read models read it", qualname),
				 errdetail("Read models reading it: %s.", readers_text(readers)),
				 errhint("Use readmodel.drop(name, cascade => true) to drop them too.")));
	/* as the caller; the sql_drop event trigger removes the rest */
	readmodel_spi_connect();
	readmodel_spi_exec(psprintf("DROP TABLE %s%s", qualname, cascade ? " CASCADE" : ""),
					   SPI_OK_UTILITY);
	readmodel_spi_finish();
	readmodel_invalidate_cache();
	PG_RETURN_VOID();
}

/* The model a name names, for its owner. */
ReadModel *
readmodel_owned_model(text *name)
{
	Oid			relid = readmodel_model_by_name(name);
	ReadModel  *model = readmodel_lookup_model(relid);

	if (model == NULL)
		elog(ERROR, "read model %u is not in the cache", relid);
	if (!pg_class_ownercheck(relid, GetUserId()))
		aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_TABLE, get_rel_name(relid));
	return model;
}

/* Rebuild a model its owner asked for: refresh(), resume(). */
static int64
rebuild_model(ReadModel *model)
{
	if (model->analysis == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("read model %s cannot be maintained", model->qualname),
				 errdetail("%s", model->broken),
				 errhint("Restore what its definition needs, or drop it with readmodel.drop().")));
	/* one whose changes are not captured can still be rebuilt */
	if (model->broken != NULL)
	{
		Sandbox		sandbox;

		readmodel_sandbox_enter(&sandbox, model->owner);
		readmodel_check_maintainable(model, false);
		readmodel_sandbox_leave(&sandbox);
	}

	/*
	 * Writers in progress skipped a model that is not maintained, and will
	 * not queue their changes: wait for them, as a declaration does, so
	 * that the rebuild's snapshot holds what they wrote.
	 */
	if (!ModelIsMaintained(model))
		readmodel_wait_for_source_writers(model);
	/* what the writers of a suspended one recorded is in the rebuild */
	if (model->suspended)
		readmodel_queue_hold(model, false);
	if (!ModelIsMaintained(model) && readmodel_catalog_has_suspended_queue())
		readmodel_suspended_clear(model->relid, NULL);
	return readmodel_refresh_model(model);
}

/*
 * readmodel.suspend(name): the model is no longer maintained until
 * readmodel.resume(); its writers record the keys they change, while they
 * are few (suspend.c).
 */
Datum
readmodel_suspend(PG_FUNCTION_ARGS)
{
	ReadModel  *model = readmodel_owned_model(PG_GETARG_TEXT_PP(0));

	if (!readmodel_catalog_tracks_staleness())
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("the catalog of pg_readmodel predates 0.4"),
				 errhint("Run ALTER EXTENSION pg_readmodel UPDATE.")));
	if (!readmodel_catalog_mark_stale(model->relid, READMODEL_SUSPENDED))
		ereport(NOTICE,
				(errmsg("read model %s is not maintained already", model->qualname),
				 errdetail("%s", model->stale ? model->stale : model->broken)));
	else if (readmodel_catalog_has_suspended_queue())
		readmodel_suspended_clear(model->relid, NULL);	/* a dropped model's, if any */
	readmodel_invalidate_cache();
	PG_RETURN_VOID();
}

/*
 * Replay what the writers of a suspended model recorded, if that is
 * cheaper than a rebuild; -1 if it is not.  The model is maintained again
 * first, so that the replayed keys are applied, with the caller's own
 * held ones.
 */
int64
readmodel_resume_by_replay(ReadModel *model)
{
	Oid			relid = model->relid;
	int64		keys;

	readmodel_wait_for_source_writers(model);
	/* and for the deferred worker, which moves rows of suspended models */
	readmodel_suspended_queue_lock(ShareLock);
	readmodel_catalog_clear_stale(relid);
	readmodel_invalidate_cache();
	model = readmodel_lookup_model(relid);
	if (model == NULL || !ModelIsMaintained(model))
		elog(ERROR, "read model %u could not be resumed", relid);
	readmodel_queue_hold(model, false);
	keys = readmodel_suspended_replay(model);
	if (keys < 0)
	{
		/* the caller's own held keys are in the rebuild too */
		readmodel_queue_take_all(relid);
		keys = readmodel_refresh_model(model);
		elog(DEBUG1, "read model %s resumed by a rebuild: %lld rows written",
			 model->qualname, (long long) keys);
	}
	else
	{
		(void) readmodel_apply_models(list_make1_oid(relid));
		elog(DEBUG1, "read model %s resumed by replaying %lld keys",
			 model->qualname, (long long) keys);
	}
	readmodel_suspended_clear(relid, NULL);
	return keys;
}

/*
 * readmodel.resume(name): bring a suspended model up to date, by replaying
 * its writers' keys or by a rebuild, and maintain it again.
 */
Datum
readmodel_resume(PG_FUNCTION_ARGS)
{
	ReadModel  *model = readmodel_owned_model(PG_GETARG_TEXT_PP(0));

	if (model->stale == NULL)
	{
		ereport(NOTICE,
				(errmsg("read model %s is not suspended", model->qualname)));
		PG_RETURN_INT64(0);
	}
	if (ModelStaleReasonIs(model, READMODEL_BUILDING))
		PG_RETURN_INT64(readmodel_build_online(model));
	if (!ModelStaleReasonIs(model, READMODEL_SUSPENDED))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("read model %s is stale, not suspended", model->qualname),
				 errdetail("%s", model->stale),
				 errhint("Fix the cause, then rebuild it with readmodel.refresh('%s').",
						 model->qualname)));
	if (model->suspended)
		PG_RETURN_INT64(readmodel_resume_by_replay(model));
	PG_RETURN_INT64(rebuild_model(model));
}

Datum
readmodel_refresh(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(rebuild_model(readmodel_owned_model(PG_GETARG_TEXT_PP(0))));
}
