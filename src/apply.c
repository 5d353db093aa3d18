/*-------------------------------------------------------------------------
 *
 * apply.c
 *	  Recompute queued keys and write only what differs.
 *
 * One statement per model and chunk of keys does the whole job:
 *
 *	WITH n AS MATERIALIZED (SELECT * FROM <view> v WHERE v.key = ANY($1)),
 *		 o AS MATERIALIZED (the keys among them the model has now),
 *		 d AS (DELETE rows of those keys that are no longer produced),
 *		 u AS (UPDATE rows whose binary image differs from the recomputed),
 *		 i AS (INSERT rows that are new)
 *	SELECT counts
 *
 * The key qual is pushed down into the definition view by the planner, so
 * the cost is that of computing the affected rows.  Rows are compared by
 * binary image (the record operator *<>), never with the type's "=": 10.5
 * and 10.50 are different documents.  The statement runs under the latest
 * snapshot, after the keys were locked (see locks.c), as the model's owner
 * in the sandbox.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "catalog/pg_statistic.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "optimizer/plancat.h"
#include "portability/instr_time.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "apply.h"
#include "last_applied.h"
#include "catalog.h"
#include "delta.h"
#include "keys.h"
#include "locks.h"
#include "snapshot_check.h"
#include "versioning.h"
#include "partitions.h"
#include "patch.h"
#include "queue.h"
#include "sandbox.h"
#include "stats.h"
#include "util.h"

Oid			readmodel_writing_model = InvalidOid;

/*
 * The quoted names of a model table's columns, in attribute order; with
 * option version, without the two it adds (versioning.c).
 */
List *
readmodel_model_columns(Oid relid, bool versioned)
{
	Relation	rel = relation_open(relid, AccessShareLock);
	TupleDesc	desc = RelationGetDescr(rel);
	List	   *result = NIL;
	int			i;

	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(desc, i);

		if (attr->attisdropped ||
			(versioned && readmodel_is_version_column(NameStr(attr->attname))))
			continue;
		result = lappend(result, pstrdup(quote_identifier(NameStr(attr->attname))));
	}
	relation_close(rel, AccessShareLock);
	return result;
}

static char *
column_list(const char *alias, List *columns)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, columns)
		appendStringInfo(&buf, "%s%s%s%s", buf.len ? ", " : "",
						 alias ? alias : "", alias ? "." : "",
						 (char *) lfirst(lc));
	return buf.data;
}

/*
 * "record_image_ne(ROW(l.a, l.b), ROW(r.a, r.b))": a function call, since
 * an operator between two row constructors compares column by column.
 */
char *
readmodel_row_image_differs(const char *left, const char *right, List *columns)
{
	return psprintf("pg_catalog.record_image_ne(ROW(%s), ROW(%s))",
					column_list(left, columns), column_list(right, columns));
}

/*
 * The diffing statement; `keyed` restricts it to keys = ANY($1), else it
 * covers the whole model (full refresh).  Keyed, the rows that exist are
 * found once by the key's index (o), so that inserting new keys does not
 * plan an anti-join against the whole model (not by unit, see below).
 */
char *
readmodel_diff_sql(ReadModel *model, bool keyed)
{
	List	   *columns = readmodel_model_columns(model->relid, model->versioned);
	const char *n_is_t = readmodel_key_equal_sql(model, "n", "t");
	const char *t_is_n = readmodel_key_equal_sql(model, "t", "n");
	StringInfoData set;
	ListCell   *lc;

	/*
	 * Recomputed by unit (a window's partition), a row that moves to a unit
	 * of another chunk is still in the model under its old unit: whether a
	 * key is new is asked of the whole model.
	 */
	bool		existing = keyed && (model->analysis == NULL ||
									 model->analysis->unit_columns == NIL);

	initStringInfo(&set);
	foreach(lc, columns)
		appendStringInfo(&set, "%s%s = n.%s", set.len ? ", " : "",
						 (char *) lfirst(lc), (char *) lfirst(lc));

	return psprintf("WITH n AS MATERIALIZED (SELECT * FROM %s v%s), %s"
					"d AS (DELETE FROM %s t WHERE %s NOT EXISTS (SELECT FROM n WHERE %s) RETURNING 1), "
					"u AS (UPDATE %s t SET %s FROM n WHERE %s AND %s RETURNING 1), "
					"i AS (INSERT INTO %s (%s) SELECT %s FROM n WHERE NOT EXISTS (SELECT FROM %s t WHERE %s) RETURNING 1) "
					"SELECT (SELECT pg_catalog.count(*) FROM d), (SELECT pg_catalog.count(*) FROM u), "
					"(SELECT pg_catalog.count(*) FROM i)",
					model->view_qualname,
					keyed ? psprintf(" WHERE %s", readmodel_key_any_sql(model, "v")) : "",
					existing ? psprintf("o AS MATERIALIZED (SELECT %s FROM %s t WHERE %s), ",
										readmodel_key_list_sql(model, "t"), model->qualname,
										readmodel_key_any_sql(model, "t")) : "",
					model->qualname,
					keyed ? psprintf("%s AND", readmodel_key_any_sql(model, "t")) : "",
					n_is_t,
					model->qualname, set.data, t_is_n,
					readmodel_row_image_differs("t", "n", columns),
					model->qualname, column_list(NULL, columns),
					column_list("n", columns), existing ? "o" : model->qualname, t_is_n);
}

/* Run the diff; returns rows written and adds to the counters. */
static int64
run_diff(SPIPlanPtr plan, int nkeys, Datum *arg, ReadModelCounters *delta)
{
	int64		written = 0;
	bool		isnull;
	HeapTuple	tuple;
	TupleDesc	desc;
	int			i;

	if (readmodel_execute_keyed(plan, nkeys, arg, false, true, false) != SPI_OK_SELECT)
		elog(ERROR, "read model diff failed");
	tuple = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	for (i = 1; i <= 3; i++)
		written += DatumGetInt64(SPI_getbinval(tuple, desc, i, &isnull));
	SPI_freetuptable(SPI_tuptable);
	delta->rows_written += written;
	return written;
}

static double estimated_rows(Oid relid);

/* Fewer distinct keys than this, and the diff is planned for its keys. */
#define FEW_KEY_VALUES 1000

#define PLAN_BY_KEY_COUNT	1		/* generic for a few keys, custom for many */
#define PLAN_FOR_ACTUAL_KEYS	2

/*
 * The root's distinct values of a one-column key, from the statistics
 * (-1 when there are none): its rows for a unique key, else the column's
 * n_distinct.
 */
static double
distinct_key_values(ModelAnalysis *analysis)
{
	KeyColumn  *col;
	HeapTuple	tuple;
	double		reltuples;
	double		distinct = -1;

	if (list_length(analysis->key_columns) != 1 || analysis->root_relid == InvalidOid)
		return -1;
	col = linitial(analysis->key_columns);
	if (col->expr != NULL || col->root_att <= 0)
		return -1;
	reltuples = estimated_rows(analysis->root_relid);
	if (analysis->key_unique)
		return reltuples;
	tuple = SearchSysCache3(STATRELATTINH, ObjectIdGetDatum(analysis->root_relid),
							Int16GetDatum(col->root_att), BoolGetDatum(false));
	if (HeapTupleIsValid(tuple))
	{
		float4		stadistinct = ((Form_pg_statistic) GETSTRUCT(tuple))->stadistinct;

		distinct = stadistinct >= 0 ? stadistinct : -stadistinct * reltuples;
		ReleaseSysCache(tuple);
	}
	return distinct;
}

/*
 * How many keys the diff is planned for.  Planned once for any few keys,
 * "= ANY($1)" is read as about ten of the key's values: with a key of few
 * distinct values (a rollup's ten categories) that is most of the root,
 * and the plan scans whole child tables for one group.  Such a model is
 * planned for its actual keys on every call: planning costs far less than
 * the group does.
 */
static int
plan_size(ReadModel *model, int nkeys)
{
	if (model->plan_for_keys == 0)
	{
		double		distinct = model->analysis ? distinct_key_values(model->analysis) : -1;

		model->plan_for_keys = (distinct >= 0 && distinct < FEW_KEY_VALUES) ?
			PLAN_FOR_ACTUAL_KEYS : PLAN_BY_KEY_COUNT;
	}
	if (model->plan_for_keys == PLAN_FOR_ACTUAL_KEYS)
		return Max(nkeys, READMODEL_GENERIC_PLAN_MAX_VALUES + 1);
	return nkeys;
}

static void
apply_keys(ReadModel *model, Datum *keys, int nkeys, ReadModelCounters *delta)
{
	int			nargs = readmodel_key_ncolumns(model);
	Oid		   *argtypes = palloc(sizeof(Oid) * nargs);
	Datum	   *args = palloc(sizeof(Datum) * nargs);
	int			chunk = Max(readmodel_apply_chunk, 1);
	int			start;

	readmodel_key_arg_types(model, argtypes);
	for (start = 0; start < nkeys; start += chunk)
	{
		int			n = Min(chunk, nkeys - start);
		int			planned = plan_size(model, n);
		int64		written;
		SPIPlanPtr	plan;

		readmodel_key_args(model, keys + start, n, args);
		plan = readmodel_keyed_plan(&model->apply_plan, planned);
		if (plan == NULL)
			plan = readmodel_keyed_plan_prepare_args(&model->apply_plan,
													 readmodel_diff_sql(model, true),
													 nargs, argtypes, planned);
		written = run_diff(plan, planned, args, delta);
		delta->keys_recomputed += n;
		delta->rows_skipped_noop += Max(n - written, 0);
	}
}

static void
apply_full(ReadModel *model, ReadModelCounters *delta)
{
	SPIPlanPtr	plan;

	readmodel_lock_model(model);
	readmodel_check_snapshot_sees(model, NULL, 0);
	readmodel_delta_forget_state(model);
	plan = SPI_prepare(readmodel_diff_sql(model, false), 0, NULL);
	if (plan == NULL)
		elog(ERROR, "could not prepare refresh of %s", model->qualname);
	run_diff(plan, INT_MAX, NULL, delta);
	SPI_freeplan(plan);
	delta->full_refreshes++;
}

/*
 * Would one diff over the whole definition be cheaper than recomputing
 * these keys?  Measured on the fan-out benchmark, a keyed recompute of half
 * a model cost about what one rebuilding diff of all of it did, so the
 * rebuild wins only when nearly every row is recomputed:
 * readmodel.rebuild_fraction (0.9) of the model's estimated rows.
 */
static double
estimated_rows(Oid relid)
{
	Relation	rel = relation_open(relid, AccessShareLock);
	BlockNumber pages;
	double		tuples;
	double		allvisfrac;

	estimate_rel_size(rel, NULL, &pages, &tuples, &allvisfrac);
	relation_close(rel, AccessShareLock);
	return tuples;
}

static bool
rebuild_is_cheaper(ReadModel *model, int nkeys)
{
	double		tuples = 0;
	ListCell   *lc;

	if (readmodel_rebuild_fraction <= 0 || nkeys < readmodel_rebuild_min_keys)
		return false;
	/* a partitioned model's rows are in its partitions */
	foreach(lc, lcons_oid(model->relid, readmodel_partition_members(model->relid)))
		if (get_rel_relkind(lfirst_oid(lc)) == RELKIND_RELATION)
			tuples += estimated_rows(lfirst_oid(lc));
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
 * Fold the aggregate deltas, then recompute the keys queued for it and
 * those whose fold was not exact.  A key recomputed otherwise than by its
 * deltas loses its state row: its changes did not go through it.
 */
static void
apply_deltas_and_keys(ReadModel *model, ModelWork *work, ReadModelCounters *delta)
{
	Datum	   *more = NULL;
	int			nmore = 0;

	if (work->ndeltas > 0)
		more = readmodel_apply_deltas(model, work->delta_keys, work->deltas,
									  work->ndeltas, &nmore);
	/* a fold writes the aggregate columns in place */
	delta->keys_folded += work->ndeltas - nmore;
	delta->rows_patched += work->ndeltas - nmore;
	if (work->nkeys > 0)
	{
		readmodel_delta_reset_state(model, work->keys, work->nkeys, false);
		apply_keys(model, work->keys, work->nkeys, delta);
	}
	if (nmore > 0)
	{
		readmodel_delta_reset_state(model, more, nmore, true);
		apply_keys(model, more, nmore, delta);
	}
}

/* Recompute keys and patch, one sorted batch of key locks for both. */
static void
apply_keys_and_patches(ReadModel *model, ModelWork *work, List *patches,
					   ReadModelCounters *delta)
{
	int			nlocked = work->nkeys + work->ndeltas;
	Datum	   *locked = palloc(sizeof(Datum) * Max(nlocked, 1));
	ListCell   *lc;

	memcpy(locked, work->keys, sizeof(Datum) * work->nkeys);
	memcpy(locked + work->nkeys, work->delta_keys, sizeof(Datum) * work->ndeltas);
	foreach(lc, patches)
		readmodel_add_patched_keys(model, lfirst(lc), &locked, &nlocked);

	/* patches and deltas cost little per row; only recomputes count */
	if (rebuild_is_cheaper(model, work->nkeys))
	{
		delta->rebuilds_chosen++;
		apply_full(model, delta);
		return;
	}
	readmodel_lock_keys(model, locked, nlocked);
	readmodel_check_snapshot_sees(model, locked, nlocked);
	apply_deltas_and_keys(model, work, delta);
	/* after the recomputes, so patches match rows by current values */
	foreach(lc, patches)
		readmodel_apply_patch(model, lfirst(lc), delta);
}

static void
record_stats(ReadModel *model, ReadModelCounters *delta, instr_time start)
{
	instr_time	duration;

	INSTR_TIME_SET_CURRENT(duration);
	INSTR_TIME_SUBTRACT(duration, start);
	delta->models_refreshed = 1;
	delta->total_timing_ms = INSTR_TIME_GET_MILLISEC(duration);
	readmodel_stats_add(delta);
	readmodel_stats_add_model(model->relid, delta);
	readmodel_last_applied_note(model->relid);
}

/*
 * Apply one model's queued work as its owner, in the sandbox: recompute
 * keys (or everything), then patch.  The caller checked that the model is
 * maintained and connected to SPI.
 */
int64
readmodel_apply_model(ReadModel *model, ModelWork *work, bool with_patches)
{
	ReadModelCounters delta;
	instr_time	start;
	Sandbox		sandbox;
	Oid			save_writing = readmodel_writing_model;

	check_depth(model);
	memset(&delta, 0, sizeof(delta));
	INSTR_TIME_SET_CURRENT(start);

	readmodel_sandbox_enter(&sandbox, model->owner);
	readmodel_writing_model = model->relid;
	PG_TRY();
	{
		List	   *patches = NIL;
		bool		stale = false;

		if (with_patches)
			patches = readmodel_take_patches(model, &stale);
		if (work->full || stale)
			apply_full(model, &delta);
		else
			apply_keys_and_patches(model, work, patches, &delta);
	}
	PG_FINALLY();
	{
		readmodel_writing_model = save_writing;
	}
	PG_END_TRY();
	readmodel_sandbox_leave(&sandbox);

	record_stats(model, &delta, start);
	if (work->full)
		return (int64) delta.rows_written;
	return work->nkeys + work->ndeltas +
		(int64) (delta.rows_patched - delta.keys_folded);
}

/*
 * readmodel.refresh(): rebuild one model from its definition, diffing.  A
 * stale model is exact again afterwards.
 */
int64
readmodel_refresh_model(ReadModel *model)
{
	int64		written;
	ModelWork	work;

	memset(&work, 0, sizeof(work));
	work.full = true;
	readmodel_spi_connect();
	written = readmodel_apply_model(model, &work, false);
	readmodel_spi_finish();
	if (model->stale != NULL)
		readmodel_catalog_clear_stale(model->relid);
	return written;
}
