/*-------------------------------------------------------------------------
 *
 * sync.c
 *	  Mode manual: readmodel.sync() and readmodel.sync_source(), which an
 *	  application calls for the keys or the source rows it changed.
 *
 * A model of mode manual has no capture triggers: nothing happens when
 * its sources change until the application names what changed.  Each
 * call queues what it names, as a capture would, and applies the queue at
 * once (as readmodel.flush() does), so the model holds the change when the
 * call returns, inside the writing transaction or after it.  A recompute
 * reads with the latest snapshot under the key lock (see pg_readmodel.h),
 * so a call is idempotent and two calls for one key, concurrent or not,
 * leave it exact.  The functions work for models of every mode.
 *
 * Who may call them: a role that may read the model (the result counts
 * its rows) and that owns it or writes one of its sources (sync_source:
 * the source it names).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_coerce.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

#include "cache.h"
#include "capture.h"
#include "cascade.h"
#include "catalog.h"
#include "keys.h"
#include "lifecycle.h"
#include "queue.h"
#include "util.h"

PG_FUNCTION_INFO_V1(readmodel_sync_keys);
PG_FUNCTION_INFO_V1(readmodel_sync_model);
PG_FUNCTION_INFO_V1(readmodel_sync_source);

#define WRITE_PRIVILEGES (ACL_INSERT | ACL_UPDATE | ACL_DELETE | ACL_TRUNCATE)

static bool
writes_table(Oid relid)
{
	return pg_class_aclmask(relid, GetUserId(), WRITE_PRIVILEGES, ACLMASK_ANY) != 0;
}

/* May the caller sync `model` (for changes of `source`, if valid)? */
static void
check_sync_allowed(ReadModel *model, Oid source)
{
	ListCell   *lc;

	if (pg_class_aclcheck(model->relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_TABLE, get_rel_name(model->relid));
	if (has_privs_of_role(GetUserId(), model->owner))
		return;
	if (OidIsValid(source) && writes_table(source))
		return;
	if (!OidIsValid(source) && model->analysis != NULL)
		foreach(lc, model->analysis->sources)
			if (writes_table(((ModelSource *) lfirst(lc))->relid))
				return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied to sync read model %s", model->qualname),
			 OidIsValid(source) ?
			 errdetail("Only its owner and the writers of table %s (INSERT, UPDATE, DELETE or TRUNCATE) may sync it for that table's rows.",
					   readmodel_relation_name(source)) :
			 errdetail("Only its owner and the writers of its sources (INSERT, UPDATE, DELETE or TRUNCATE) may sync it.")));
}

/* The model a name names, which the caller may sync now. */
static ReadModel *
sync_target(text *name, Oid source)
{
	Oid			relid = readmodel_model_by_name(name);
	ReadModel  *model = readmodel_lookup_model(relid);

	if (model == NULL)
		elog(ERROR, "read model %u is not in the cache", relid);
	check_sync_allowed(model, source);
	if (!ModelIsMaintained(model))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("read model %s is not maintained", model->qualname),
				 errdetail("%s", model->stale ? model->stale : model->broken),
				 ModelStaleReasonIs(model, READMODEL_SUSPENDED) ?
				 errhint("Its owner can resume it with readmodel.resume('%s').",
						 model->qualname) :
				 errhint("Its owner can rebuild it with readmodel.refresh('%s') once the cause is fixed.",
						 model->qualname)));
	return model;
}

/* Evaluate `array` cast to an array of `elemtype`, as an assignment would. */
static ArrayType *
coerce_key_array(ReadModel *model, Datum array, Oid from, Oid elemtype)
{
	Oid			to = get_array_type(elemtype);
	Node	   *expr = (Node *) makeConst(from, -1, get_typcollation(from), -1,
										  array, false, false);
	EState	   *estate;
	ExprState  *state;
	bool		isnull;
	Datum		result;

	if (from == to)
		return DatumGetArrayTypeP(array);
	expr = coerce_to_target_type(NULL, expr, from, to, -1, COERCION_ASSIGNMENT,
								 COERCE_IMPLICIT_CAST, -1);
	if (expr == NULL || !OidIsValid(to))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("keys of type %s are not keys of read model %s",
						format_type_be(from), model->qualname),
				 errdetail("Its key %s is of type %s.", model->key_name,
						   format_type_be(elemtype)),
				 errhint("Pass an array of %s.", format_type_be(elemtype))));
	estate = CreateExecutorState();
	state = ExecPrepareExpr((Expr *) expression_planner((Expr *) expr), estate);
	result = ExecEvalExprSwitchContext(state, GetPerTupleExprContext(estate), &isnull);
	result = datumCopy(result, false, -1);
	FreeExecutorState(estate);
	return DatumGetArrayTypeP(result);
}

static char *
key_types_text(TupleDesc keydesc)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < keydesc->natts; i++)
		appendStringInfo(&buf, "%s%s", i ? ", " : "",
						 format_type_be(TupleDescAttr(keydesc, i)->atttypid));
	return buf.data;
}

/* One element of a record array as a composite key. */
static bool
record_key(ReadModel *model, HeapTupleHeader rec, Datum *key)
{
	TupleDesc	keydesc = model->key_desc;
	TupleDesc	desc = lookup_rowtype_tupdesc(HeapTupleHeaderGetTypeId(rec),
											  HeapTupleHeaderGetTypMod(rec));
	HeapTupleData tuple;
	Datum	   *values = palloc(sizeof(Datum) * Max(desc->natts, 1));
	bool	   *nulls = palloc(sizeof(bool) * Max(desc->natts, 1));
	bool		isnull;
	int			i;
	bool		fits = (desc->natts == keydesc->natts);

	for (i = 0; fits && i < desc->natts; i++)
		fits = !TupleDescAttr(desc, i)->attisdropped &&
			TupleDescAttr(desc, i)->atttypid == TupleDescAttr(keydesc, i)->atttypid;
	if (!fits)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("keys of type %s are not keys of read model %s",
						format_type_be(HeapTupleHeaderGetTypeId(rec)), model->qualname),
				 errdetail("Its key is %s, of types %s.",
						   readmodel_key_display(model), key_types_text(keydesc)),
				 errhint("Pass rows of those types, as ROW(...) with each value cast.")));
	tuple.t_len = HeapTupleHeaderGetDatumLength(rec);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = rec;
	heap_deform_tuple(&tuple, desc, values, nulls);
	ReleaseTupleDesc(desc);
	*key = readmodel_key_form(model, values, nulls, &isnull);
	return !isnull;
}

/* The keys an array names (NULLs skipped), as the queue holds them. */
static Datum *
named_keys(ReadModel *model, Datum array, Oid array_type, int *nkeys)
{
	bool		composite = readmodel_key_is_composite(model);
	Oid			elemtype = composite ? RECORDOID : model->key_type;
	ArrayType  *keys;
	Datum	   *elems;
	bool	   *nulls;
	Datum	   *result;
	int			n;
	int			i;
	int16		typlen;
	bool		typbyval;
	char		typalign;

	if (model->analysis->unit_columns != NIL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("read model %s is recomputed by window partition, not by key",
						model->qualname),
				 errhint("Name the rows you changed with readmodel.sync_source(), or rebuild it with readmodel.sync('%s').",
						 model->qualname)));
	keys = composite ? DatumGetArrayTypeP(array) :
		coerce_key_array(model, array, array_type, elemtype);
	if (composite && !type_is_rowtype(ARR_ELEMTYPE(keys)))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("read model %s has a key of %d columns, %s",
						model->qualname, model->key_desc->natts,
						readmodel_key_display(model)),
				 errhint("Pass an array of rows: ARRAY[ROW(...), ...].")));
	get_typlenbyvalalign(ARR_ELEMTYPE(keys), &typlen, &typbyval, &typalign);
	deconstruct_array(keys, ARR_ELEMTYPE(keys), typlen, typbyval, typalign,
					  &elems, &nulls, &n);
	result = palloc(sizeof(Datum) * Max(n, 1));
	*nkeys = 0;
	for (i = 0; i < n; i++)
	{
		bool		isnull = nulls[i];

		if (!isnull && composite)
			isnull = !record_key(model, DatumGetHeapTupleHeader(elems[i]),
								 &result[*nkeys]);
		else if (!isnull)
			result[*nkeys] = readmodel_key_form(model, &elems[i], &nulls[i], &isnull);
		if (!isnull)
			(*nkeys)++;
	}
	return result;
}

/*
 * readmodel.sync(name, keys): recompute exactly these keys of the model
 * now; returns the keys applied (the cascade's included).
 */
Datum
readmodel_sync_keys(PG_FUNCTION_ARGS)
{
	ReadModel  *model = sync_target(PG_GETARG_TEXT_PP(0), InvalidOid);
	int			nkeys;
	Datum	   *keys = named_keys(model, PG_GETARG_DATUM(1),
								  get_fn_expr_argtype(fcinfo->flinfo, 1), &nkeys);
	int			i;

	for (i = 0; i < nkeys; i++)
		readmodel_queue_key(model, keys[i], model->relid, RM_OP_SYNC);
	PG_RETURN_INT64(readmodel_apply_everything());
}

/* readmodel.sync(name): rebuild the whole model by diff now. */
Datum
readmodel_sync_model(PG_FUNCTION_ARGS)
{
	ReadModel  *model = sync_target(PG_GETARG_TEXT_PP(0), InvalidOid);

	readmodel_queue_full(model, model->relid, RM_OP_SYNC);
	PG_RETURN_INT64(readmodel_apply_everything());
}

/* The definition's occurrences of `relid`, or an error. */
static ModelSource *
model_source(ReadModel *model, Oid relid)
{
	ListCell   *lc;

	foreach(lc, model->analysis->sources)
		if (((ModelSource *) lfirst(lc))->relid == relid)
			return lfirst(lc);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("read model %s does not read table %s", model->qualname,
					readmodel_relation_name(relid)),
			 errhint("readmodel.explain('%s') lists the tables it reads.",
					 model->qualname)));
	return NULL;				/* keep compiler quiet */
}

/*
 * readmodel.sync_source(name, source, rows): the rows of `source` the
 * caller changed (for an UPDATE, old and new; for a DELETE, the old row)
 * are mapped to the model's keys by its routes, which are recomputed now.
 */
Datum
readmodel_sync_source(PG_FUNCTION_ARGS)
{
	Oid			source = PG_GETARG_OID(1);
	ReadModel  *model = sync_target(PG_GETARG_TEXT_PP(0), source);
	ModelSource *msource = model_source(model, source);
	ArrayType  *rows = PG_GETARG_ARRAYTYPE_P(2);
	Oid			rowtype = get_rel_type_id(source);
	TupleDesc	desc;
	Datum	   *elems;
	bool	   *nulls;
	HeapTupleHeader *tuples;
	int			n;
	int			i;
	int			ntuples = 0;
	int16		typlen;
	bool		typbyval;
	char		typalign;

	if (ARR_ELEMTYPE(rows) != rowtype)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("rows of type %s are not rows of table %s",
						format_type_be(ARR_ELEMTYPE(rows)), readmodel_relation_name(source)),
				 errhint("Pass an array of the table's row type, such as (SELECT array_agg(t) FROM %s t WHERE ...), or the rows of INSERT/UPDATE/DELETE ... RETURNING.",
						 readmodel_relation_name(source))));
	get_typlenbyvalalign(rowtype, &typlen, &typbyval, &typalign);
	deconstruct_array(rows, rowtype, typlen, typbyval, typalign, &elems, &nulls, &n);
	tuples = palloc(sizeof(HeapTupleHeader) * Max(n, 1));
	for (i = 0; i < n; i++)
		if (!nulls[i])
			tuples[ntuples++] = DatumGetHeapTupleHeader(elems[i]);
	desc = lookup_rowtype_tupdesc_copy(rowtype, -1);
	(void) readmodel_capture_named_rows(model, msource, desc, tuples, ntuples);
	PG_RETURN_INT64(readmodel_apply_everything());
}
