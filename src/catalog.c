/*-------------------------------------------------------------------------
 *
 * catalog.c
 *	  Reading and writing readmodel.model (see catalog.h).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "parser/parse_func.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "catalog.h"
#include "model_partitions.h"
#include "sandbox.h"
#include "util.h"

static Oid	catalog_relid = InvalidOid;

Oid
readmodel_catalog_relid(bool missing_ok)
{
	Oid			nsp;

	if (OidIsValid(catalog_relid))
		return catalog_relid;
	nsp = get_namespace_oid(READMODEL_SCHEMA, true);
	catalog_relid = OidIsValid(nsp) ? get_relname_relid(READMODEL_CATALOG, nsp)
		: InvalidOid;
	if (!OidIsValid(catalog_relid) && !missing_ok)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("extension \"pg_readmodel\" is not installed in this database")));
	return catalog_relid;
}

/* The catalog's OID if already looked up (safe in invalidation callbacks). */
Oid
readmodel_catalog_relid_known(void)
{
	return catalog_relid;
}

/* After an invalidation: the extension may have been dropped or re-created. */
void
readmodel_catalog_forget(void)
{
	catalog_relid = InvalidOid;
}

Oid
readmodel_relation_owner(Oid relid)
{
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			owner;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tuple))->relowner;
	ReleaseSysCache(tuple);
	return owner;
}

Oid
readmodel_extension_owner(void)
{
	return readmodel_relation_owner(readmodel_catalog_relid(false));
}

/* Does the catalog have the column of 0.6 (state)? */
bool
readmodel_catalog_has_state(void)
{
	return get_attnum(readmodel_catalog_relid(false), "state") != InvalidAttrNumber;
}

/* A relation of the extension's schema by name, or InvalidOid. */
Oid
readmodel_extension_relation(const char *name)
{
	Oid			nsp = get_namespace_oid(READMODEL_SCHEMA, true);

	return OidIsValid(nsp) ? get_relname_relid(name, nsp) : InvalidOid;
}

/* Has the catalog the queue of suspended models' keys (0.8)? */
bool
readmodel_catalog_has_suspended_queue(void)
{
	return OidIsValid(readmodel_extension_relation("suspended_queue"));
}

/* Does the catalog have the columns of 0.4 (stale_since, stale_reason)? */
bool
readmodel_catalog_tracks_staleness(void)
{
	return get_attnum(readmodel_catalog_relid(false), "stale_reason") != InvalidAttrNumber;
}

/*
 * Run one catalog statement as the extension owner, under the latest
 * snapshot.  The caller is connected to SPI; results stay in SPI_tuptable.
 */
static uint64
catalog_statement(const char *sql, int nargs, Oid *types, Datum *values,
				  const char *nulls, bool read_only, int expected)
{
	Sandbox		sandbox;
	SPIPlanPtr	plan;
	int			rc;

	readmodel_sandbox_enter(&sandbox, readmodel_extension_owner());
	plan = SPI_prepare(sql, nargs, types);
	if (plan == NULL)
		elog(ERROR, "could not prepare catalog statement \"%s\": %s", sql,
			 SPI_result_code_string(SPI_result));
	rc = SPI_execute_snapshot(plan, values, nulls, GetLatestSnapshot(),
							  InvalidSnapshot, read_only, false, 0);
	if (rc != expected)
		elog(ERROR, "catalog statement \"%s\" failed: %s", sql,
			 SPI_result_code_string(rc));
	readmodel_sandbox_leave(&sandbox);
	if (!read_only)
	{
		CacheInvalidateRelcacheByRelid(readmodel_catalog_relid(false));
		CommandCounterIncrement();
	}
	return SPI_processed;
}

static uint64
catalog_run(const char *sql, int nargs, Oid *types, Datum *values,
			bool read_only, int expected)
{
	return catalog_statement(sql, nargs, types, values, NULL, read_only, expected);
}

static uint64
catalog_run_nulls(const char *sql, int nargs, Oid *types, Datum *values,
				  const char *nulls, int expected)
{
	return catalog_statement(sql, nargs, types, values, nulls, false, expected);
}

static List *
oid_list_from_array(Datum array)
{
	Datum	   *elems;
	int			nelems;
	int			i;
	List	   *result = NIL;

	deconstruct_array(DatumGetArrayTypeP(array), OIDOID, sizeof(Oid), true,
					  TYPALIGN_INT, &elems, NULL, &nelems);
	for (i = 0; i < nelems; i++)
		result = lappend_oid(result, DatumGetObjectId(elems[i]));
	return result;
}

static char *
text_column(HeapTuple tuple, TupleDesc desc, int col)
{
	char	   *value = SPI_getvalue(tuple, desc, col);

	return value ? pstrdup(value) : NULL;
}

/*
 * A CatalogRow from columns relid, viewid, keycol, mode, definition,
 * sources, stale_reason, strategy.
 */
static CatalogRow *
row_from_tuple(HeapTuple tuple, TupleDesc desc)
{
	CatalogRow *row = palloc0(sizeof(CatalogRow));
	bool		isnull;

	row->relid = DatumGetObjectId(SPI_getbinval(tuple, desc, 1, &isnull));
	row->viewid = DatumGetObjectId(SPI_getbinval(tuple, desc, 2, &isnull));
	row->keycol = text_column(tuple, desc, 3);
	row->mode = text_column(tuple, desc, 4);
	row->definition = text_column(tuple, desc, 5);
	row->sources = oid_list_from_array(SPI_getbinval(tuple, desc, 6, &isnull));
	row->stale_reason = text_column(tuple, desc, 7);
	if (desc->natts >= 8)
	{
		char	   *strategy = text_column(tuple, desc, 8);

		row->refresh_strategy = strategy != NULL && strcmp(strategy, "refresh") == 0;
	}
	if (desc->natts >= 9)
	{
		row->partition_spec = text_column(tuple, desc, 9);
		row->partitions = row->partition_spec ?
			readmodel_partitioning_count(row->partition_spec) : 0;
	}
	if (desc->natts >= 10)
	{
		Datum		state = SPI_getbinval(tuple, desc, 10, &isnull);

		row->state = isnull ? InvalidOid : DatumGetObjectId(state);
	}
	if (desc->natts >= 12)
	{
		char	   *feed = text_column(tuple, desc, 11);

		row->notify_channel = text_column(tuple, desc, 12);
		row->feed = (feed != NULL && strcmp(feed, "true") == 0) || row->notify_channel != NULL;
	}
	if (desc->natts >= 13)
	{
		char	   *version = text_column(tuple, desc, 13);

		row->versioned = version != NULL && strcmp(version, "true") == 0;
	}
	return row;
}

/* The CatalogRows of the last statement's result, in `caller`'s context. */
static List *
rows_of_result(uint64 n, MemoryContext caller)
{
	List	   *result = NIL;
	uint64		i;

	for (i = 0; i < n; i++)
	{
		MemoryContext spi = MemoryContextSwitchTo(caller);

		result = lappend(result, row_from_tuple(SPI_tuptable->vals[i],
												SPI_tuptable->tupdesc));
		MemoryContextSwitchTo(spi);
	}
	return result;
}

#define ROW_COLUMNS "m.relid::pg_catalog.oid, m.viewid::pg_catalog.oid, " \
	"m.keycol::pg_catalog.text, m.mode, m.definition, m.sources::pg_catalog.oid[], "

/* Every model, in relid order, allocated in the caller's memory context. */
List *
readmodel_catalog_rows(void)
{
	MemoryContext caller = CurrentMemoryContext;
	List	   *result;
	uint64		n;

	readmodel_spi_connect();
	n = catalog_run(psprintf("SELECT " ROW_COLUMNS "%s, "
							 "m.options OPERATOR(pg_catalog.->>) 'strategy', "
							 "m.options OPERATOR(pg_catalog.->>) 'partition_by', %s, "
							 "m.options OPERATOR(pg_catalog.->>) 'feed', "
							 "m.options OPERATOR(pg_catalog.->>) 'notify', "
							 "m.options OPERATOR(pg_catalog.->>) 'version' "
							 "FROM readmodel.model m ORDER BY m.relid::pg_catalog.oid",
							 readmodel_catalog_tracks_staleness()
							 ? "m.stale_reason" : "NULL::pg_catalog.text",
							 readmodel_catalog_has_state()
							 ? "m.state::pg_catalog.oid" : "NULL::pg_catalog.oid"),
					0, NULL, NULL, true, SPI_OK_SELECT);
	result = rows_of_result(n, caller);
	readmodel_spi_finish();
	return result;
}

bool
readmodel_catalog_is_model(Oid relid)
{
	Oid			type = OIDOID;
	Datum		value = ObjectIdGetDatum(relid);
	uint64		n;

	readmodel_spi_connect();
	n = catalog_run("SELECT 1 FROM readmodel.model m "
					"WHERE m.relid::pg_catalog.oid OPERATOR(pg_catalog.=) $1",
					1, &type, &value, true, SPI_OK_SELECT);
	readmodel_spi_finish();
	return n > 0;
}

/* The first column of a catalog query with one oid parameter. */
static List *
catalog_oids(const char *sql, Oid arg)
{
	Oid			type = OIDOID;
	Datum		value = ObjectIdGetDatum(arg);
	List	   *result = NIL;
	uint64		n;
	uint64		i;
	MemoryContext caller = CurrentMemoryContext;

	readmodel_spi_connect();
	n = catalog_run(sql, 1, &type, &value, true, SPI_OK_SELECT);
	for (i = 0; i < n; i++)
	{
		bool		isnull;
		Oid			oid = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i],
														 SPI_tuptable->tupdesc,
														 1, &isnull));
		MemoryContext spi = MemoryContextSwitchTo(caller);

		result = lappend_oid(result, oid);
		MemoryContextSwitchTo(spi);
	}
	readmodel_spi_finish();
	return result;
}

/* The models whose catalog row lists `relid` among their sources. */
List *
readmodel_catalog_readers(Oid relid)
{
	return catalog_oids("SELECT m.relid::pg_catalog.oid FROM readmodel.model m "
						"WHERE $1 OPERATOR(pg_catalog.=) ANY (m.sources::pg_catalog.oid[]) "
						"ORDER BY 1", relid);
}

/*
 * The models that capture changes of `relid`: its readers but those of mode
 * manual.  A table needs capture triggers while it has one.
 */
List *
readmodel_catalog_listeners(Oid relid)
{
	return catalog_oids("SELECT m.relid::pg_catalog.oid FROM readmodel.model m "
						"WHERE $1 OPERATOR(pg_catalog.=) ANY (m.sources::pg_catalog.oid[]) "
						"AND m.mode OPERATOR(pg_catalog.<>) 'manual' "
						"ORDER BY 1", relid);
}

/* The 0.7 catalog accepts mode manual; it brought readmodel.sync(). */
bool
readmodel_catalog_allows_manual(void)
{
	Oid			argtypes[1] = {TEXTOID};

	return OidIsValid(LookupFuncName(list_make2(makeString(READMODEL_SCHEMA),
												makeString("sync")),
									 1, argtypes, true));
}

/* The models whose definition view reads `view`, through views at any depth. */
List *
readmodel_catalog_view_readers(Oid view)
{
	return catalog_oids("WITH RECURSIVE reader(oid) AS ("
						"  SELECT $1"
						"  UNION"
						"  SELECT r.ev_class FROM pg_catalog.pg_depend d"
						"  JOIN pg_catalog.pg_rewrite r ON r.oid OPERATOR(pg_catalog.=) d.objid"
						"  JOIN reader ON d.refobjid OPERATOR(pg_catalog.=) reader.oid"
						"  WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_rewrite'::pg_catalog.regclass"
						"    AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass"
						"    AND r.ev_class OPERATOR(pg_catalog.<>) reader.oid) "
						"SELECT m.relid::pg_catalog.oid FROM readmodel.model m"
						"  JOIN reader ON m.viewid::pg_catalog.oid OPERATOR(pg_catalog.=) reader.oid "
						"ORDER BY 1", view);
}

/*
 * Would model `relid`, reading `sources`, read itself through other
 * models?  Returns the chain ("a -> b -> a") or NULL.
 */
char *
readmodel_catalog_cycle(Oid relid, List *sources)
{
	Oid			types[2] = {OIDARRAYOID, OIDOID};
	Datum		values[2];
	char	   *result = NULL;
	MemoryContext caller = CurrentMemoryContext;

	values[0] = readmodel_oid_array(sources, OIDOID);
	values[1] = ObjectIdGetDatum(relid);
	readmodel_spi_connect();
	if (catalog_run("WITH RECURSIVE r(rel, path) AS ("
					"  SELECT s, ARRAY[s] FROM pg_catalog.unnest($1) s"
					"  UNION ALL"
					"  SELECT src::pg_catalog.oid, r.path OPERATOR(pg_catalog.||) src::pg_catalog.oid"
					"  FROM r JOIN readmodel.model m"
					"    ON m.relid::pg_catalog.oid OPERATOR(pg_catalog.=) r.rel,"
					"  pg_catalog.unnest(m.sources) src"
					"  WHERE NOT src::pg_catalog.oid OPERATOR(pg_catalog.=) ANY (r.path))"
					" SELECT pg_catalog.array_to_string(ARRAY(SELECT p::pg_catalog.regclass::pg_catalog.text"
					"   FROM pg_catalog.unnest(r.path) WITH ORDINALITY AS u(p, i) ORDER BY u.i), ' -> ')"
					" FROM r WHERE r.rel OPERATOR(pg_catalog.=) $2 LIMIT 1",
					2, types, values, true, SPI_OK_SELECT) > 0)
	{
		char	   *chain = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

		result = MemoryContextStrdup(caller, chain);
	}
	readmodel_spi_finish();
	return result;
}

/* The options a model keeps in the catalog, as JSON text. */
static char *
options_text(CatalogRow *row)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	if (row->refresh_strategy)
		appendStringInfoString(&buf, "\"strategy\": \"refresh\"");
	if (row->partition_spec != NULL)
		appendStringInfo(&buf, "%s\"partition_by\": %s",
						 row->refresh_strategy ? ", " : "", row->partition_spec);
	if (row->feed)
		appendStringInfo(&buf, "%s\"feed\": true", buf.len > 1 ? ", " : "");
	if (row->notify_channel != NULL)
	{
		appendStringInfoString(&buf, ", \"notify\": ");
		escape_json(&buf, row->notify_channel);
	}
	if (row->versioned)
		appendStringInfo(&buf, "%s\"version\": true", buf.len > 1 ? ", " : "");
	if (row->expected_lag)
	{
		appendStringInfo(&buf, "%s\"expected_lag\": ", buf.len > 1 ? ", " : "");
		escape_json(&buf, row->expected_lag);
	}
	if (row->max_lag)
	{
		appendStringInfo(&buf, "%s\"max_lag\": ", buf.len > 1 ? ", " : "");
		escape_json(&buf, row->max_lag);
	}
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

static void
row_values(CatalogRow *row, Datum *values, char *nulls)
{
	memset(nulls, ' ', 8);
	values[7] = ObjectIdGetDatum(row->state);
	if (!OidIsValid(row->state))
		nulls[7] = 'n';
	values[0] = ObjectIdGetDatum(row->relid);
	values[1] = ObjectIdGetDatum(row->viewid);
	values[2] = DirectFunctionCall1(namein, CStringGetDatum(row->keycol));
	values[3] = CStringGetTextDatum(row->mode);
	values[4] = CStringGetTextDatum(row->definition);
	values[5] = readmodel_oid_array(row->sources, REGCLASSOID);
	values[6] = DirectFunctionCall1(jsonb_in, CStringGetDatum(options_text(row)));
}

static Oid	row_types[8] = {REGCLASSOID, REGCLASSOID, NAMEOID, TEXTOID, TEXTOID,
REGCLASSARRAYOID, JSONBOID, REGCLASSOID};

void
readmodel_catalog_insert(CatalogRow *row)
{
	Datum		values[8];
	char		nulls[8];
	bool		state = readmodel_catalog_has_state();

	row_values(row, values, nulls);
	readmodel_spi_connect();
	(void) catalog_run_nulls(psprintf("INSERT INTO readmodel.model (relid, viewid, keycol, mode, definition, sources, options%s) "
									  "VALUES ($1, $2, $3, $4, $5, $6, $7%s)",
									  state ? ", state" : "", state ? ", $8" : ""),
							 state ? 8 : 7, row_types, values, nulls, SPI_OK_INSERT);
	readmodel_spi_finish();
}

/* A new definition for an existing model; it is maintained again. */
void
readmodel_catalog_update(CatalogRow *row)
{
	Datum		values[8];
	char		nulls[8];
	bool		state = readmodel_catalog_has_state();

	row_values(row, values, nulls);
	readmodel_spi_connect();
	(void) catalog_run_nulls(psprintf("UPDATE readmodel.model SET viewid = $2, keycol = $3, mode = $4, "
									  "definition = $5, sources = $6, options = $7%s%s "
									  "WHERE relid::pg_catalog.oid OPERATOR(pg_catalog.=) $1::pg_catalog.oid",
									  readmodel_catalog_tracks_staleness()
									  ? ", stale_since = NULL, stale_reason = NULL" : "",
									  state ? ", state = $8" : ""),
							 state ? 8 : 7, row_types, values, nulls, SPI_OK_UPDATE);
	readmodel_spi_finish();
}

/*
 * Delete the rows of models whose table or view is among `relids`;
 * returns them (relid, viewid, sources and state filled).
 */
List *
readmodel_catalog_delete(List *relids)
{
	Oid			type = OIDARRAYOID;
	Datum		value = readmodel_oid_array(relids, OIDOID);
	List	   *result;
	uint64		n;
	MemoryContext caller = CurrentMemoryContext;

	readmodel_spi_connect();
	n = catalog_run(psprintf("DELETE FROM readmodel.model m "
							 "WHERE m.relid::pg_catalog.oid OPERATOR(pg_catalog.=) ANY ($1) "
							 "   OR m.viewid::pg_catalog.oid OPERATOR(pg_catalog.=) ANY ($1) "
							 "RETURNING " ROW_COLUMNS "NULL::pg_catalog.text, NULL::pg_catalog.text, "
							 "NULL::pg_catalog.text, %s",
							 readmodel_catalog_has_state()
							 ? "m.state::pg_catalog.oid" : "NULL::pg_catalog.oid"),
					1, &type, &value, false, SPI_OK_DELETE_RETURNING);
	result = rows_of_result(n, caller);
	if (n > 0 && readmodel_catalog_has_suspended_queue())
		(void) catalog_run("DELETE FROM readmodel.suspended_queue q "
						   "WHERE q.model::pg_catalog.oid OPERATOR(pg_catalog.=) ANY ($1)",
						   1, &type, &value, false, SPI_OK_DELETE);
	readmodel_spi_finish();
	return result;
}

/*
 * Record that a model missed a change and is no longer maintained.
 * Returns false when it was already marked (or the catalog predates 0.4).
 */
bool
readmodel_catalog_mark_stale(Oid relid, const char *reason)
{
	Oid			types[2] = {OIDOID, TEXTOID};
	Datum		values[2];
	uint64		n;

	if (!readmodel_catalog_tracks_staleness())
		return false;
	values[0] = ObjectIdGetDatum(relid);
	values[1] = CStringGetTextDatum(reason);
	readmodel_spi_connect();
	n = catalog_run("UPDATE readmodel.model SET stale_since = pg_catalog.now(), stale_reason = $2 "
					"WHERE relid::pg_catalog.oid OPERATOR(pg_catalog.=) $1 AND stale_since IS NULL",
					2, types, values, false, SPI_OK_UPDATE);
	readmodel_spi_finish();
	return n > 0;
}

/* A full rebuild made the model exact again. */
void
readmodel_catalog_clear_stale(Oid relid)
{
	Oid			type = OIDOID;
	Datum		value = ObjectIdGetDatum(relid);

	if (!readmodel_catalog_tracks_staleness())
		return;
	readmodel_spi_connect();
	(void) catalog_run("UPDATE readmodel.model SET stale_since = NULL, stale_reason = NULL "
					   "WHERE relid::pg_catalog.oid OPERATOR(pg_catalog.=) $1 AND stale_since IS NOT NULL",
					   1, &type, &value, false, SPI_OK_UPDATE);
	readmodel_spi_finish();
}

/*
 * May the current user see this model (its definition, sources, state)?
 * Its owner and those who may read its table.
 */
bool
readmodel_may_see_model(Oid relid)
{
	return has_privs_of_role(GetUserId(), readmodel_relation_owner(relid)) ||
		pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) == ACLCHECK_OK;
}

/* Has the table's owner let `role` (or a role it belongs to) declare models over it? */
bool
readmodel_catalog_capture_allowed(Oid source, Oid role)
{
	Oid			types[2] = {OIDOID, OIDOID};
	Datum		values[2];
	uint64		n;
	Oid			nsp = get_namespace_oid(READMODEL_SCHEMA, true);

	if (!OidIsValid(nsp) || !OidIsValid(get_relname_relid("capture_grant", nsp)))
		return false;
	values[0] = ObjectIdGetDatum(source);
	values[1] = ObjectIdGetDatum(role);
	readmodel_spi_connect();
	n = catalog_run("SELECT 1 FROM readmodel.capture_grant g "
					"WHERE g.source::pg_catalog.oid OPERATOR(pg_catalog.=) $1 "
					"AND pg_catalog.pg_has_role($2, g.grantee::pg_catalog.oid, 'USAGE')",
					2, types, values, true, SPI_OK_SELECT);
	readmodel_spi_finish();
	return n > 0;
}

/* Record or remove such a permission (the caller owns the table). */
void
readmodel_catalog_set_capture_allowed(Oid source, Oid role, bool allowed)
{
	Oid			types[2] = {REGCLASSOID, REGROLEOID};
	Datum		values[2];

	values[0] = ObjectIdGetDatum(source);
	values[1] = ObjectIdGetDatum(role);
	readmodel_spi_connect();
	if (allowed)
		(void) catalog_run("INSERT INTO readmodel.capture_grant (source, grantee) VALUES ($1, $2) "
						   "ON CONFLICT DO NOTHING", 2, types, values, false, SPI_OK_INSERT);
	else
		(void) catalog_run("DELETE FROM readmodel.capture_grant "
						   "WHERE source::pg_catalog.oid OPERATOR(pg_catalog.=) $1::pg_catalog.oid "
						   "AND grantee::pg_catalog.oid OPERATOR(pg_catalog.=) $2::pg_catalog.oid",
						   2, types, values, false, SPI_OK_DELETE);
	readmodel_spi_finish();
}
