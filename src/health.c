/*-------------------------------------------------------------------------
 *
 * health.c
 *	  The C side of readmodel.health_check() and readmodel.models: each
 *	  model's state, and a test that every maintenance statement of a
 *	  model can be prepared as its owner, in the sandbox, today.
 *
 * A model is 'maintained' (its analysis holds and every check of
 * maintainable.h passes), 'broken' (it cannot be maintained now: the next
 * change it misses makes it stale), 'stale' (it missed a change and
 * holds old data until readmodel.refresh()), or 'suspended' (by
 * readmodel.suspend(), until readmodel.resume()).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "apply.h"
#include "cache.h"
#include "capture.h"
#include "catalog.h"
#include "keys.h"
#include "patch.h"
#include "sandbox.h"
#include "util.h"

PG_FUNCTION_INFO_V1(readmodel_model_state);
PG_FUNCTION_INFO_V1(readmodel_check_statements);
PG_FUNCTION_INFO_V1(readmodel_orphan_capture_tables);

/* (status, reason) of a model the caller may see; NULLs otherwise. */
Datum
readmodel_model_state(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	ReadModel  *model;
	TupleDesc	desc;
	Datum		values[2];
	bool		nulls[2] = {false, false};

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	model = readmodel_lookup_model(relid);
	if (model == NULL || !readmodel_may_see_model(relid))
		nulls[0] = nulls[1] = true;
	else if (model->stale != NULL)
	{
		values[0] = CStringGetTextDatum(ModelStaleReasonIs(model, READMODEL_SUSPENDED) ||
										ModelStaleReasonIs(model, READMODEL_BUILDING) ?
										"suspended" : "stale");
		values[1] = CStringGetTextDatum(model->stale);
	}
	else if (model->broken != NULL)
	{
		values[0] = CStringGetTextDatum("broken");
		values[1] = CStringGetTextDatum(model->broken);
	}
	else
	{
		values[0] = CStringGetTextDatum("maintained");
		nulls[1] = true;
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc),
													  values, nulls)));
}

static void
prepare_args(const char *sql, int nargs, Oid *argtypes)
{
	SPIPlanPtr	plan = SPI_prepare(sql, nargs, argtypes);

	if (plan == NULL)
		elog(ERROR, "could not prepare \"%s\": %s", sql,
			 SPI_result_code_string(SPI_result));
	SPI_freeplan(plan);
}

static void
prepare_one(const char *sql, Oid argtype)
{
	prepare_args(sql, OidIsValid(argtype) ? 1 : 0, &argtype);
}

/* Parse and analyse every statement maintenance would run for the model. */
static void
prepare_statements(void *arg)
{
	ReadModel  *model = arg;
	Sandbox		sandbox;
	Oid		   *keytypes = palloc(sizeof(Oid) * readmodel_key_ncolumns(model));
	ListCell   *ls,
			   *lr,
			   *lh;

	readmodel_key_arg_types(model, keytypes);
	readmodel_spi_connect();
	readmodel_sandbox_enter(&sandbox, model->owner);
	prepare_args(readmodel_diff_sql(model, true), readmodel_key_ncolumns(model), keytypes);
	prepare_one(readmodel_diff_sql(model, false), InvalidOid);
	foreach(ls, model->analysis->sources)
		foreach(lr, ((ModelSource *) lfirst(ls))->routes)
		{
			SourceRoute *route = lfirst(lr);

			if (route->start_rows)
				prepare_one(readmodel_rows_key_sql(route, ((ModelSource *) lfirst(ls))->relid),
							get_array_type(route->start_type));
			foreach(lh, route->hops)
			{
				RouteHop   *hop = lfirst(lh);

				prepare_one(readmodel_hop_sql(hop), get_array_type(hop->in_type));
			}
		}
	foreach(ls, model->analysis->patches)
	{
		PatchTarget *target = lfirst(ls);

		prepare_one(readmodel_patch_sql(model, target), get_array_type(target->via_type));
		prepare_one(readmodel_patch_keys_sql(model, target),
					get_array_type(target->via_type));
	}
	readmodel_sandbox_leave(&sandbox);
	readmodel_spi_finish();
}

/*
 * NULL when every maintenance statement of a maintained model prepares;
 * else the error, reported, not raised.
 */
Datum
readmodel_check_statements(PG_FUNCTION_ARGS)
{
	ReadModel  *model = readmodel_lookup_model(PG_GETARG_OID(0));
	char	   *problem;

	if (model == NULL || !ModelIsMaintained(model) ||
		!readmodel_may_see_model(model->relid))
		PG_RETURN_NULL();
	problem = readmodel_run_guarded(prepare_statements, model, CurrentMemoryContext);
	if (problem == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(problem));
}

/* Tables with capture triggers that no model reads (left by a drop). */
Datum
readmodel_orphan_capture_tables(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo;
	Sandbox		sandbox;
	uint64		i;

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	readmodel_spi_connect();
	readmodel_sandbox_enter(&sandbox, readmodel_extension_owner());
	if (SPI_execute("SELECT DISTINCT t.tgrelid FROM pg_catalog.pg_trigger t "
					"WHERE t.tgname OPERATOR(pg_catalog.~~) 'readmodel\\_capture\\_%' "
					"AND NOT EXISTS (SELECT FROM readmodel.model m "
					"  WHERE t.tgrelid OPERATOR(pg_catalog.=) ANY (m.sources::pg_catalog.oid[])) "
	/* a partition captures for the partitioned tables above it */
					"AND NOT EXISTS (SELECT FROM pg_catalog.pg_partition_ancestors(t.tgrelid) a "
					"  JOIN readmodel.model m "
					"  ON a.relid::pg_catalog.oid OPERATOR(pg_catalog.=) ANY (m.sources::pg_catalog.oid[])) "
					"ORDER BY 1", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read pg_trigger");
	readmodel_sandbox_leave(&sandbox);
	for (i = 0; i < SPI_processed; i++)
	{
		Datum		value;
		bool		isnull;

		value = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &value, &isnull);
	}
	readmodel_spi_finish();
	return (Datum) 0;
}
