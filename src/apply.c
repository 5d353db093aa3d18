/*-------------------------------------------------------------------------
 *
 * apply.c
 *	  Recompute queued keys and write only what differs.
 *
 * One statement per model and chunk of keys does the whole job:
 *
 *	WITH n AS MATERIALIZED (SELECT * FROM <view> WHERE key = ANY($1)),
 *		 d AS (DELETE rows of those keys that are no longer produced),
 *		 u AS (UPDATE rows whose recomputed value IS DISTINCT FROM the stored),
 *		 i AS (INSERT rows that are new)
 *	SELECT counts
 *
 * The key qual is pushed down into the definition view by the planner, so
 * the cost is that of computing the affected rows.  The statement runs
 * under the latest snapshot, after the keys were locked (see locks.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/value.h"
#include "optimizer/plancat.h"
#include "parser/parse_func.h"
#include "portability/instr_time.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/typcache.h"

#include "pg_readmodel.h"

#define MAX_APPLY_ROUNDS 100

/* >0 while maintenance writes model tables: the write guard lets them by */
int			readmodel_model_writes = 0;

/* set while the apply loop runs; captures inside it only queue */
static bool applying = false;

char *
readmodel_datum_text(Datum value, Oid type)
{
	Oid			outfunc;
	bool		isvarlena;

	getTypeOutputInfo(type, &outfunc, &isvarlena);
	return OidOutputFunctionCall(outfunc, value);
}

static SPIPlanPtr *
keyed_slot(KeyedPlan *plan, int nvalues)
{
	return nvalues <= READMODEL_GENERIC_PLAN_MAX_VALUES ? &plan->generic : &plan->custom;
}

/* The variant for this many values, or NULL while it is not prepared. */
SPIPlanPtr
readmodel_keyed_plan(KeyedPlan *plan, int nvalues)
{
	return *keyed_slot(plan, nvalues);
}

/* Prepare (from `sql`) and keep the variant for this many values. */
SPIPlanPtr
readmodel_keyed_plan_prepare(KeyedPlan *plan, const char *sql, Oid argtype,
							 int nvalues)
{
	SPIPlanPtr	prepared;

	prepared = SPI_prepare_cursor(sql, 1, &argtype,
								  nvalues <= READMODEL_GENERIC_PLAN_MAX_VALUES
								  ? CURSOR_OPT_GENERIC_PLAN : CURSOR_OPT_CUSTOM_PLAN);
	if (prepared == NULL)
		elog(ERROR, "could not prepare maintenance statement \"%s\": %s", sql,
			 SPI_result_code_string(SPI_result));
	SPI_keepplan(prepared);
	*keyed_slot(plan, nvalues) = prepared;
	return prepared;
}

/*
 * Run a maintenance statement for `nvalues` values under the latest
 * snapshot.  The generic variant is planned (whenever the plan cache
 * builds it) with hash and merge joins off: planned for an unknown number
 * of values it would otherwise hash whole parent tables on every call,
 * where a few index probes are what a handful of values needs.  (Turning
 * sequential scans off as well made plans over tables without a usable
 * index far worse.)
 *
 * index_probes says the statement reads tables only by columns that have an
 * index by construction (a patch: the source's unique column, the model's
 * patch column).  Its generic plan is built with sequential scans off as
 * well: estimated from a column's average, a skewed parent (one category
 * owning most rows) would otherwise make the plan scan the whole model to
 * reach the few rows of a small parent.
 */
int
readmodel_execute_keyed(SPIPlanPtr plan, int nvalues, Datum *arg,
						bool read_only, bool fire_triggers, bool index_probes)
{
	bool		generic = nvalues <= READMODEL_GENERIC_PLAN_MAX_VALUES;
	int			nestlevel = 0;
	int			rc;

	if (generic)
	{
		nestlevel = NewGUCNestLevel();
		(void) set_config_option("enable_hashjoin", "off", PGC_USERSET,
								 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
		(void) set_config_option("enable_mergejoin", "off", PGC_USERSET,
								 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
		if (index_probes)
			(void) set_config_option("enable_seqscan", "off", PGC_USERSET,
									 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	}
	rc = SPI_execute_snapshot(plan, arg, NULL, GetLatestSnapshot(),
							  InvalidSnapshot, read_only, fire_triggers, 0);
	if (generic)
		AtEOXact_GUC(true, nestlevel);
	return rc;
}

void
readmodel_keyed_plan_free(KeyedPlan *plan)
{
	if (plan->generic)
		SPI_freeplan(plan->generic);
	if (plan->custom)
		SPI_freeplan(plan->custom);
	plan->generic = plan->custom = NULL;
}

/* Fail closed: never leave a model silently stale. */
void
readmodel_check_not_broken(ReadModel *model)
{
	if (model->broken != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("read model %s cannot be maintained", model->qualname),
				 errdetail("%s", model->broken),
				 errhint("Restore what its definition needs, or drop it with readmodel.drop().")));
}

/*
 * The diffing statement; `keyed` restricts it to keys = ANY($1), else it
 * covers the whole model (full refresh).
 */
static char *
diff_sql(ReadModel *model, bool keyed)
{
	Relation	rel = relation_open(model->relid, AccessShareLock);
	TupleDesc	desc = RelationGetDescr(rel);
	StringInfoData set,
				differs,
				cols,
				sql;
	const char *key = quote_identifier(model->key_name);
	int			i;
	bool		first = true;

	initStringInfo(&set);
	initStringInfo(&differs);
	initStringInfo(&cols);
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(desc, i);
		const char *col;
		TypeCacheEntry *tc;

		if (attr->attisdropped)
			continue;
		col = quote_identifier(NameStr(attr->attname));
		tc = lookup_type_cache(attr->atttypid, TYPECACHE_EQ_OPR);
		appendStringInfo(&set, "%s%s = n.%s", first ? "" : ", ", col, col);
		appendStringInfo(&cols, "%s%s", first ? "" : ", ", col);
		if (OidIsValid(tc->eq_opr))
			appendStringInfo(&differs, "%st.%s IS DISTINCT FROM n.%s",
							 first ? "" : " OR ", col, col);
		else
			appendStringInfo(&differs, "%st.%s::text IS DISTINCT FROM n.%s::text",
							 first ? "" : " OR ", col, col);
		first = false;
	}
	relation_close(rel, AccessShareLock);

	initStringInfo(&sql);
	appendStringInfo(&sql,
					 "WITH n AS MATERIALIZED (SELECT * FROM %s v%s), "
					 "d AS (DELETE FROM %s t WHERE %s NOT EXISTS (SELECT FROM n WHERE n.%s = t.%s) RETURNING 1), "
					 "u AS (UPDATE %s t SET %s FROM n WHERE t.%s = n.%s AND (%s) RETURNING 1), "
					 "i AS (INSERT INTO %s (%s) SELECT %s FROM n WHERE NOT EXISTS (SELECT FROM %s t WHERE t.%s = n.%s) RETURNING 1) "
					 "SELECT (SELECT count(*) FROM d), (SELECT count(*) FROM u), (SELECT count(*) FROM i)",
					 model->view_qualname,
					 keyed ? psprintf(" WHERE v.%s = ANY($1)", key) : "",
					 model->qualname,
					 keyed ? psprintf("t.%s = ANY($1) AND", key) : "",
					 key, key,
					 model->qualname, set.data, key, key, differs.data,
					 model->qualname, cols.data, cols.data, model->qualname,
					 key, key);
	return sql.data;
}

/* Run the diff; returns rows written and adds to the counters. */
static int64
run_diff(SPIPlanPtr plan, int nkeys, Datum *arg, ReadModelCounters *delta)
{
	int64		deleted,
				updated,
				inserted;
	bool		isnull;
	HeapTuple	tuple;
	TupleDesc	desc;

	if (readmodel_execute_keyed(plan, nkeys, arg, false, true, false) != SPI_OK_SELECT)
		elog(ERROR, "read model diff failed");
	tuple = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	deleted = DatumGetInt64(SPI_getbinval(tuple, desc, 1, &isnull));
	updated = DatumGetInt64(SPI_getbinval(tuple, desc, 2, &isnull));
	inserted = DatumGetInt64(SPI_getbinval(tuple, desc, 3, &isnull));
	SPI_freetuptable(SPI_tuptable);
	delta->rows_written += deleted + updated + inserted;
	return deleted + updated + inserted;
}

static void
apply_keys(ReadModel *model, Datum *keys, int nkeys, ReadModelCounters *delta)
{
	Oid			arraytype = get_array_type(model->key_type);
	int16		typlen;
	bool		typbyval;
	char		typalign;
	int			chunk = Max(readmodel_apply_chunk, 1);
	int			start;

	get_typlenbyvalalign(model->key_type, &typlen, &typbyval, &typalign);
	for (start = 0; start < nkeys; start += chunk)
	{
		int			n = Min(chunk, nkeys - start);
		Datum		arg;
		int64		written;
		SPIPlanPtr	plan;

		arg = PointerGetDatum(construct_array(keys + start, n, model->key_type,
											  model->key_typlen,
											  model->key_typbyval, typalign));
		plan = readmodel_keyed_plan(&model->apply_plan, n);
		if (plan == NULL)
			plan = readmodel_keyed_plan_prepare(&model->apply_plan,
												diff_sql(model, true), arraytype, n);
		written = run_diff(plan, n, &arg, delta);
		delta->keys_recomputed += n;
		delta->rows_skipped_noop += Max(n - written, 0);
	}
}

static void
apply_full(ReadModel *model, ReadModelCounters *delta)
{
	SPIPlanPtr	plan;

	readmodel_lock_model(model);
	plan = SPI_prepare(diff_sql(model, false), 0, NULL);
	if (plan == NULL)
		elog(ERROR, "could not prepare refresh of %s", model->qualname);
	run_diff(plan, INT_MAX, NULL, delta);
	SPI_freeplan(plan);
	delta->full_refreshes++;
}

/* ---------- patches ---------- */

static char *
path_literal(List *keys)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "ARRAY[");
	foreach(lc, keys)
		appendStringInfo(&buf, "%s%s", lc == list_head(keys) ? "" : ", ",
						 quote_literal_cstr(strVal(lfirst(lc))));
	appendStringInfoString(&buf, "]::pg_catalog.text[]");
	return buf.data;
}

/* The source value as jsonb_build_object stores it (SQL NULL is JSON null). */
static char *
copied_value(PatchTarget *target, PatchPath *path)
{
	return psprintf("COALESCE(pg_catalog.to_jsonb(s.%s), 'null'::pg_catalog.jsonb)",
					quote_identifier(get_attname(target->relid, path->att, false)));
}

/* Its column in the CTE of source rows: v<position of the path>. */
static char *
copied_column(int position)
{
	return psprintf("s.v%d", position);
}

/*
 * readmodel.jsonb_patch where the extension's SQL has it (0.3 on); under an
 * older script not yet updated, jsonb_set, which gives the same result.
 */
static const char *
set_function(void)
{
	Oid			args[3] = {JSONBOID, TEXTARRAYOID, JSONBOID};
	List	   *name = list_make2(makeString("readmodel"), makeString("jsonb_patch"));

	return OidIsValid(LookupFuncName(name, 3, args, true)) ?
		"readmodel.jsonb_patch" : "pg_catalog.jsonb_set";
}

/*
 * WITH s AS MATERIALIZED (SELECT via, v0, v1 ... FROM ONLY source
 *                         WHERE via = ANY($1))
 * UPDATE model t SET doc = jsonb_patch(jsonb_patch(t.doc, p0, s.v0), p1, s.v1)
 * FROM s WHERE t.out = s.via AND (t.doc #> p0 IS DISTINCT FROM s.v0 OR ...)
 */
static char *
patch_sql(ReadModel *model, PatchTarget *target)
{
	StringInfoData set,
				differs,
				values;
	List	   *docs = NIL;
	ListCell   *ld,
			   *lp;
	int			position = 0;
	const char *setter = set_function();

	initStringInfo(&set);
	initStringInfo(&differs);
	initStringInfo(&values);
	foreach(lp, target->paths)
	{
		docs = list_append_unique(docs, makeString(((PatchPath *) lfirst(lp))->doc_col));
		appendStringInfo(&values, ", %s AS v%d",
						 copied_value(target, lfirst(lp)), position++);
	}
	foreach(ld, docs)
	{
		const char *doc = quote_identifier(strVal(lfirst(ld)));
		char	   *expr = psprintf("t.%s", doc);

		position = 0;
		foreach(lp, target->paths)
		{
			PatchPath  *path = lfirst(lp);
			char	   *value = copied_column(position++);

			if (strcmp(path->doc_col, strVal(lfirst(ld))) != 0)
				continue;
			expr = psprintf("%s(%s, %s, %s)", setter, expr,
							path_literal(path->keys), value);
			appendStringInfo(&differs, "%s(t.%s #> %s) IS DISTINCT FROM %s",
							 differs.len ? " OR " : "", doc,
							 path_literal(path->keys), value);
		}
		appendStringInfo(&set, "%s%s = %s", set.len ? ", " : "", doc, expr);
	}
	/* the new values are computed once per source row, not per model row */
	return psprintf("WITH s AS MATERIALIZED (SELECT s.%s AS via%s FROM ONLY %s s WHERE s.%s = ANY($1)) "
					"UPDATE %s t SET %s FROM s WHERE t.%s = s.via AND (%s)",
					quote_identifier(get_attname(target->relid, target->via_att, false)),
					values.data,
					quote_qualified_identifier(get_namespace_name(get_rel_namespace(target->relid)),
											   get_rel_name(target->relid)),
					quote_identifier(get_attname(target->relid, target->via_att, false)),
					model->qualname, set.data,
					quote_identifier(target->out_col),
					differs.data);
}

/* A patch taken from the queue: its target and the via values, as an array. */
typedef struct PendingPatch
{
	PatchTarget *target;
	Datum		arg;
	int			nvalues;
	int			nrows;			/* rows it will touch, as of the key query */
	Datum	   *values;
} PendingPatch;

/* Room for `more` keys after the `nkeys` in *keys. */
static void
grow_keys(Datum **keys, int nkeys, int more)
{
	*keys = *keys ? repalloc(*keys, sizeof(Datum) * (nkeys + more))
		: palloc(sizeof(Datum) * more);
}

/* Add the keys of the rows a patch will touch, to lock them with the rest. */
static void
add_patched_keys(ReadModel *model, PendingPatch *patch, Datum **keys,
				 int *nkeys)
{
	PatchTarget *target = patch->target;
	SPIPlanPtr	plan;
	uint64		i;

	/* matched by the model's key itself: the values are the keys */
	if (strcmp(target->out_col, model->key_name) == 0)
	{
		grow_keys(keys, *nkeys, patch->nvalues);
		memcpy(*keys + *nkeys, patch->values, sizeof(Datum) * patch->nvalues);
		*nkeys += patch->nvalues;
		patch->nrows = patch->nvalues;
		return;
	}
	plan = readmodel_keyed_plan(&target->keys_plan, patch->nvalues);
	if (plan == NULL)
		plan = readmodel_keyed_plan_prepare(&target->keys_plan,
											psprintf("SELECT t.%s FROM %s t WHERE t.%s = ANY($1)",
													 quote_identifier(model->key_name),
													 model->qualname,
													 quote_identifier(target->out_col)),
											get_array_type(target->via_type),
											patch->nvalues);
	if (readmodel_execute_keyed(plan, patch->nvalues, &patch->arg, true, false, true) != SPI_OK_SELECT)
		elog(ERROR, "patch key query failed");
	patch->nrows = (int) SPI_processed;
	if (SPI_processed > 0)
		grow_keys(keys, *nkeys, (int) SPI_processed);
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;

		(*keys)[(*nkeys)++] = datumCopy(SPI_getbinval(SPI_tuptable->vals[i],
													  SPI_tuptable->tupdesc,
													  1, &isnull),
										model->key_typbyval,
										model->key_typlen);
	}
	SPI_freetuptable(SPI_tuptable);
}

/*
 * Patch the rows reached from changed source rows (their via values).  The
 * route lock on the matched column was taken at capture, as a mapper does;
 * the key locks were taken together with the recomputed keys.
 */
static void
apply_patch(ReadModel *model, PendingPatch *patch, ReadModelCounters *delta)
{
	PatchTarget *target = patch->target;

	/*
	 * Planned by the number of source rows: however many model rows they
	 * fan out to, the generic plan probes the matched column's index.
	 */
	int			size = patch->nvalues;
	SPIPlanPtr	plan = readmodel_keyed_plan(&target->plan, size);

	if (plan == NULL)
		plan = readmodel_keyed_plan_prepare(&target->plan, patch_sql(model, target),
											get_array_type(target->via_type), size);
	if (readmodel_execute_keyed(plan, size, &patch->arg, false, true, true) != SPI_OK_UPDATE)
		elog(ERROR, "read model patch failed");
	delta->rows_written += SPI_processed;
	delta->rows_patched += SPI_processed;
}

/*
 * Take the model's pending patches off the queue.  A patch queued against
 * an analysis that has changed since (the definition was replaced, source
 * DDL re-analysed it) cannot be trusted: *stale asks for a full refresh.
 */
static List *
take_patches(ReadModel *model, bool *stale)
{
	List	   *pending = readmodel_queue_pending_patches(model->relid);
	List	   *result = NIL;
	ListCell   *lc;

	*stale = false;
	foreach(lc, pending)
	{
		int			index = lfirst_int(lc);
		PatchTarget *target = NULL;
		Datum	   *values;
		int			nvalues;
		Oid			relid;
		AttrNumber	via;
		PendingPatch *patch;
		int16		typlen;
		bool		typbyval;
		char		typalign;

		readmodel_queue_take_patch(model->relid, index, &values, &nvalues,
								   &relid, &via);
		if (index < list_length(model->analysis->patches))
			target = list_nth(model->analysis->patches, index);
		if (target == NULL || target->relid != relid || target->via_att != via)
		{
			*stale = true;
			continue;
		}
		if (nvalues == 0)
			continue;
		get_typlenbyvalalign(target->via_type, &typlen, &typbyval, &typalign);
		patch = palloc(sizeof(PendingPatch));
		patch->target = target;
		patch->nvalues = nvalues;
		patch->values = values;
		patch->arg = PointerGetDatum(construct_array(values, nvalues,
													 target->via_type, typlen,
													 typbyval, typalign));
		result = lappend(result, patch);
	}
	return result;
}

/*
 * Would one diff over the whole definition be cheaper than recomputing
 * these keys?  Measured on the fan-out benchmark, a keyed recompute of half
 * a model cost about what one rebuilding diff of all of it did, so the
 * rebuild wins only when nearly every row is recomputed:
 * readmodel.rebuild_fraction (0.9) of the model's estimated rows.
 */
static bool
rebuild_is_cheaper(ReadModel *model, int nkeys)
{
	Relation	rel;
	BlockNumber pages;
	double		tuples;
	double		allvisfrac;

	if (readmodel_rebuild_fraction <= 0 || nkeys < readmodel_rebuild_min_keys)
		return false;
	rel = relation_open(model->relid, AccessShareLock);
	estimate_rel_size(rel, NULL, &pages, &tuples, &allvisfrac);
	relation_close(rel, AccessShareLock);
	return nkeys > readmodel_rebuild_fraction * tuples;
}

static void
check_depth(ReadModel *model)
{
	if (model->depth > readmodel_max_cascade_depth)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("read model %s is %d levels deep, past readmodel.max_cascade_depth (%d)",
						model->qualname, model->depth, readmodel_max_cascade_depth),
				 errhint("Raise readmodel.max_cascade_depth.")));
}

/*
 * Apply one model's queued work as its owner, in the pinned maintenance
 * context: recompute keys (or everything), then patch.  Recomputing first
 * means the patches match rows by current values.
 */
static int64
apply_model(ReadModel *model, Datum *keys, int nkeys, bool full,
			bool with_patches)
{
	ReadModelCounters delta;
	instr_time	start,
				duration;
	Oid			save_userid;
	int			save_sec;
	int			nestlevel;

	readmodel_check_not_broken(model);
	check_depth(model);
	memset(&delta, 0, sizeof(delta));
	INSTR_TIME_SET_CURRENT(start);

	readmodel_enter_maintenance(model->owner, &nestlevel, &save_userid,
								&save_sec);
	readmodel_model_writes++;
	PG_TRY();
	{
		List	   *patches = NIL;
		bool		stale = false;

		if (with_patches)
			patches = take_patches(model, &stale);
		if (full || stale)
			apply_full(model, &delta);
		else
		{
			Datum	   *locked = NULL;
			int			nlocked = 0;
			ListCell   *lc;

			/* one sorted batch of key locks for recomputes and patches */
			if (nkeys > 0)
			{
				locked = palloc(sizeof(Datum) * nkeys);
				memcpy(locked, keys, sizeof(Datum) * nkeys);
				nlocked = nkeys;
			}
			foreach(lc, patches)
				add_patched_keys(model, lfirst(lc), &locked, &nlocked);

			/* patches cost little per row; only recomputes count */
			if (rebuild_is_cheaper(model, nkeys))
			{
				delta.rebuilds_chosen++;
				apply_full(model, &delta);
			}
			else
			{
				readmodel_lock_keys(model, locked, nlocked);
				if (nkeys > 0)
					apply_keys(model, keys, nkeys, &delta);
				foreach(lc, patches)
					apply_patch(model, lfirst(lc), &delta);
			}
		}
	}
	PG_FINALLY();
	{
		readmodel_model_writes--;
	}
	PG_END_TRY();
	readmodel_leave_maintenance(nestlevel, save_userid, save_sec);

	INSTR_TIME_SET_CURRENT(duration);
	INSTR_TIME_SUBTRACT(duration, start);
	delta.models_refreshed = 1;
	delta.total_timing_ms = INSTR_TIME_GET_MILLISEC(duration);
	readmodel_stats_add(&delta);

	model->stat_applies++;
	model->stat_rows_written += delta.rows_written;
	model->stat_rows_skipped += delta.rows_skipped_noop;
	model->stat_rows_patched += delta.rows_patched;
	model->stat_rebuilds += delta.rebuilds_chosen;
	model->stat_ms += delta.total_timing_ms;
	return full ? (int64) delta.rows_written : nkeys + (int64) delta.rows_patched;
}

/* The pending model to apply next: the shallowest, so readers come later. */
static ReadModel *
next_model(List *pending, Oid *relid)
{
	ReadModel  *best = NULL;
	ListCell   *lc;

	*relid = InvalidOid;
	foreach(lc, pending)
	{
		ReadModel  *model = readmodel_lookup_model(lfirst_oid(lc));

		if (model == NULL)
		{
			*relid = lfirst_oid(lc);	/* dropped in this transaction */
			return NULL;
		}
		/* ties in relid order, so that transactions lock models alike */
		if (best == NULL || model->depth < best->depth ||
			(model->depth == best->depth && model->relid < best->relid))
			best = model;
	}
	*relid = best->relid;
	return best;
}

static int64
apply_loop(bool statement_mode_only)
{
	int64		total = 0;
	int			applied = 0;
	int			limit = MAX_APPLY_ROUNDS * (list_length(readmodel_all_models()) + 1);

	while (readmodel_queue_has_pending(statement_mode_only))
	{
		List	   *pending = readmodel_queue_pending_models(statement_mode_only);
		Oid			relid;
		ReadModel  *model = next_model(pending, &relid);
		Datum	   *keys;
		int			nkeys;
		bool		full;

		if (++applied > limit)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("read model maintenance did not settle after %d model applications",
							limit),
					 errdetail("A trigger on a read-model table keeps changing the tables it is derived from.")));
		if (model == NULL)
		{
			/* dropped in this transaction: its work is moot */
			readmodel_queue_take_all(relid);
			continue;
		}
		readmodel_queue_take(relid, &keys, &nkeys, &full);
		total += apply_model(model, keys, nkeys, full, true);
		list_free(pending);
	}
	return total;
}

/*
 * Apply everything pending (or only statement-mode models), shallowest
 * model first: writing a model queues work for the models that read it,
 * which come later.  Captures fired by those writes only queue; this loop
 * picks their work up.
 */
int64
readmodel_apply_pending(bool statement_mode_only)
{
	int64		total = 0;
	volatile bool pushed = false;

	if (applying || !readmodel_queue_has_pending(statement_mode_only))
		return 0;
	if (!ActiveSnapshotSet())
	{
		PushActiveSnapshot(GetTransactionSnapshot());
		pushed = true;
	}
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	applying = true;
	PG_TRY();
	{
		total = apply_loop(statement_mode_only);
	}
	PG_FINALLY();
	{
		applying = false;
	}
	PG_END_TRY();

	SPI_finish();
	if (pushed)
		PopActiveSnapshot();
	return total;
}

/* readmodel.refresh(): rebuild one model from its definition, diffing. */
int64
readmodel_refresh_model(ReadModel *model)
{
	int64		written;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	written = apply_model(model, NULL, 0, true, false);
	SPI_finish();
	return written;
}
