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
#include "portability/instr_time.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/typcache.h"

#include "pg_readmodel.h"

#define MAX_APPLY_ROUNDS 100

char *
readmodel_datum_text(Datum value, Oid type)
{
	Oid			outfunc;
	bool		isvarlena;

	getTypeOutputInfo(type, &outfunc, &isvarlena);
	return OidOutputFunctionCall(outfunc, value);
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
				sql;
	const char *key = quote_identifier(model->key_name);
	int			i;
	bool		first = true;

	initStringInfo(&set);
	initStringInfo(&differs);
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
					 "i AS (INSERT INTO %s SELECT n.* FROM n WHERE NOT EXISTS (SELECT FROM %s t WHERE t.%s = n.%s) RETURNING 1) "
					 "SELECT (SELECT count(*) FROM d), (SELECT count(*) FROM u), (SELECT count(*) FROM i)",
					 model->view_qualname,
					 keyed ? psprintf(" WHERE v.%s = ANY($1)", key) : "",
					 model->qualname,
					 keyed ? psprintf("t.%s = ANY($1) AND", key) : "",
					 key, key,
					 model->qualname, set.data, key, key, differs.data,
					 model->qualname, model->qualname, key, key);
	return sql.data;
}

/* Run the diff; returns rows written and adds to the counters. */
static int64
run_diff(SPIPlanPtr plan, Datum *arg, ReadModelCounters *delta)
{
	int64		deleted,
				updated,
				inserted;
	bool		isnull;
	HeapTuple	tuple;
	TupleDesc	desc;

	if (SPI_execute_snapshot(plan, arg, NULL, GetLatestSnapshot(),
							 InvalidSnapshot, false, true, 0) != SPI_OK_SELECT)
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
	if (model->apply_plan == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare(diff_sql(model, true), 1, &arraytype);

		if (plan == NULL)
			elog(ERROR, "could not prepare maintenance of %s: %s",
				 model->qualname, SPI_result_code_string(SPI_result));
		SPI_keepplan(plan);
		model->apply_plan = plan;
	}

	readmodel_lock_keys(model, keys, nkeys);
	for (start = 0; start < nkeys; start += chunk)
	{
		int			n = Min(chunk, nkeys - start);
		Datum		arg;
		int64		written;

		arg = PointerGetDatum(construct_array(keys + start, n, model->key_type,
											  model->key_typlen,
											  model->key_typbyval, typalign));
		written = run_diff(model->apply_plan, &arg, delta);
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
	run_diff(plan, NULL, delta);
	SPI_freeplan(plan);
	delta->full_refreshes++;
}

/* Apply one model's work as its owner, in the pinned maintenance context. */
static int64
apply_model(ReadModel *model, Datum *keys, int nkeys, bool full)
{
	ReadModelCounters delta;
	instr_time	start,
				duration;
	Oid			save_userid;
	int			save_sec;
	int			nestlevel;

	readmodel_check_not_broken(model);
	memset(&delta, 0, sizeof(delta));
	INSTR_TIME_SET_CURRENT(start);

	readmodel_enter_maintenance(model->owner, &nestlevel, &save_userid,
								&save_sec);
	if (full)
		apply_full(model, &delta);
	else
		apply_keys(model, keys, nkeys, &delta);
	readmodel_leave_maintenance(nestlevel, save_userid, save_sec);

	INSTR_TIME_SET_CURRENT(duration);
	INSTR_TIME_SUBTRACT(duration, start);
	delta.models_refreshed = 1;
	delta.total_timing_ms = INSTR_TIME_GET_MILLISEC(duration);
	readmodel_stats_add(&delta);

	model->stat_applies++;
	model->stat_rows_written += delta.rows_written;
	model->stat_rows_skipped += delta.rows_skipped_noop;
	model->stat_ms += delta.total_timing_ms;
	return full ? (int64) delta.rows_written : nkeys;
}

/*
 * Apply everything pending (or only statement-mode models).  A user
 * trigger on a read-model table may write sources and queue more work, so
 * repeat until the queue is empty, within reason.
 */
int64
readmodel_apply_pending(bool statement_mode_only)
{
	int64		total = 0;
	int			rounds = 0;
	bool		pushed = false;

	if (!readmodel_queue_has_pending(statement_mode_only))
		return 0;
	if (!ActiveSnapshotSet())
	{
		PushActiveSnapshot(GetTransactionSnapshot());
		pushed = true;
	}
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	while (readmodel_queue_has_pending(statement_mode_only))
	{
		List	   *models = readmodel_queue_pending_models(statement_mode_only);
		ListCell   *lc;

		if (++rounds > MAX_APPLY_ROUNDS)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("read model maintenance did not settle after %d rounds",
							MAX_APPLY_ROUNDS),
					 errdetail("A trigger on a read-model table keeps changing the tables it is derived from.")));
		foreach(lc, models)
		{
			Oid			relid = lfirst_oid(lc);
			ReadModel  *model = readmodel_lookup_model(relid);
			Datum	   *keys;
			int			nkeys;
			bool		full;

			readmodel_queue_take(relid, &keys, &nkeys, &full);
			if (model == NULL)
				continue;		/* dropped in this transaction */
			total += apply_model(model, keys, nkeys, full);
		}
	}

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
	written = apply_model(model, NULL, 0, true);
	SPI_finish();
	return written;
}
