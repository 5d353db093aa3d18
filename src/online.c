/*-------------------------------------------------------------------------
 *
 * online.c
 *	  Building a read model beside a running system, comparing two models
 *	  and swapping their names: the dual projection a definition change
 *	  goes through without blocking readers or writers.
 *
 * readmodel.create(name, definition, '{"online": true}') declares the
 * model with an empty table, its capture triggers (a brief SHARE ROW
 * EXCLUSIVE lock on the sources, which waits for the writers in progress)
 * and the state READMODEL_BUILDING, in which its writers record the keys
 * they change as for a suspended model (suspend.c).  readmodel.resume()
 * then fills the table from the definition with no lock on the sources, so
 * writers go on meanwhile and record their keys; only then does it wait
 * for the writers in progress and replay what they recorded (as a resume
 * does), with SHARE ROW EXCLUSIVE held for that catch-up alone.  A writer
 * that committed before the fill's snapshot is in the fill; one that
 * commits after it recorded its keys, since every writer that started
 * before the declaration's commit had finished when it took its lock.
 *
 * readmodel.compare(a, b) lists the keys whose rows differ, as documents;
 * readmodel.swap(a, b) exchanges the names of the two tables and of their
 * definition views in one transaction, after the writers of their sources
 * in progress and under ACCESS EXCLUSIVE, so readers see the old model or
 * the new one, whole.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"
#include "utils/snapmgr.h"

#include "apply.h"
#include "cache.h"
#include "catalog.h"
#include "keys.h"
#include "lifecycle.h"
#include "online.h"
#include "queue.h"
#include "sandbox.h"
#include "suspend.h"
#include "util.h"

PG_FUNCTION_INFO_V1(readmodel_swap);
PG_FUNCTION_INFO_V1(readmodel_compare);

/* Options that cannot go with "online", at parse time. */
void
readmodel_check_online_options(bool replace, bool manual, bool partitioned)
{
	const char *with = replace ? "replace" : manual ? "mode \"manual\"" :
		partitioned ? "partition_by" : NULL;

	if (with != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("option \"online\" cannot be used with %s", with),
				 errdetail("Option online declares a new model, empty, whose writers record the keys they change until readmodel.resume() builds it."),
				 errhint(replace ? "Declare the new definition online under another name, resume it, then exchange the two with readmodel.swap()." :
						 "Declare the model without option online.")));
	if (!readmodel_catalog_has_suspended_queue())
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("option \"online\" needs the catalog of pg_readmodel 0.8"),
				 errhint("Run ALTER EXTENSION pg_readmodel UPDATE.")));
}

/* Writers must be able to name its keys: not window partitions. */
void
readmodel_check_online_analysis(ModelAnalysis *analysis, const char *qualname)
{
	if (analysis->unit_columns != NIL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("read model %s cannot be declared online", qualname),
				 errdetail("It is recomputed by window partition, and its writers cannot record keys for a later catch-up."),
				 errhint("Declare it without option online.")));
}

/*
 * resume() of a model declared online: fill it with no lock on the
 * sources, then catch up with what its writers recorded meanwhile.
 */
int64
readmodel_build_online(ReadModel *model)
{
	ModelWork	work;
	int64		rows;
	Snapshot	before;

	if (XactIsoLevel != XACT_READ_COMMITTED)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("read model %s can be built online only in READ COMMITTED", model->qualname),
				 errdetail("The catch-up reads what was committed after the fill's snapshot."),
				 errhint("Call readmodel.resume('%s') in a READ COMMITTED transaction.",
						 model->qualname)));
	/* what was recorded before this snapshot is in the fill, taken after it */
	before = RegisterSnapshot(GetLatestSnapshot());
	memset(&work, 0, sizeof(work));
	work.full = true;
	readmodel_spi_connect();
	rows = readmodel_apply_model(model, &work, false);
	readmodel_spi_finish();
	CommandCounterIncrement();
	readmodel_suspended_clear(model->relid, before);
	UnregisterSnapshot(before);
	elog(DEBUG1, "read model %s filled online: %lld rows", model->qualname, (long long) rows);
	(void) readmodel_resume_by_replay(model);
	return rows;
}

/* A model of the caller's, maintained, that no model reads. */
static ReadModel *
swappable_model(text *name)
{
	ReadModel  *model = readmodel_owned_model(name);
	List	   *readers = readmodel_catalog_readers(model->relid);

	if (!ModelIsMaintained(model))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("read model %s is not maintained", model->qualname),
				 errdetail("%s", model->stale ? model->stale : model->broken),
				 errhint("Bring it up to date first, with readmodel.resume() or readmodel.refresh().")));
	if (readers != NIL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("read model %s cannot be swapped: other read models read it",
						model->qualname),
				 errdetail("They read it by its table, which keeps its identity when names are exchanged (%s first).",
						   readmodel_relation_name(linitial_oid(readers))),
				 errhint("Drop the models that read it, swap, and declare them again.")));
	return model;
}

static void
rename_relation(Oid relid, const char *newname)
{
	readmodel_spi_exec(psprintf("ALTER %s %s RENAME TO %s",
								get_rel_relkind(relid) == RELKIND_VIEW ? "VIEW" : "TABLE",
								readmodel_relation_name(relid), quote_identifier(newname)),
					   SPI_OK_UTILITY);
}

/* Exchange the names of two relations of one schema. */
static void
exchange_names(Oid a, Oid b)
{
	char	   *name_a = pstrdup(get_rel_name(a));
	char	   *name_b = pstrdup(get_rel_name(b));
	char	   *parked = psprintf("readmodel_swap_%u", a);

	rename_relation(a, parked);
	rename_relation(b, name_a);
	rename_relation(a, name_b);
}

/*
 * readmodel.swap(a, b): the two models exchange names, tables and
 * definition views, atomically.
 */
Datum
readmodel_swap(PG_FUNCTION_ARGS)
{
	ReadModel  *a = swappable_model(PG_GETARG_TEXT_PP(0));
	ReadModel  *b = swappable_model(PG_GETARG_TEXT_PP(1));
	Oid			relids[4] = {a->relid, b->relid, a->viewid, b->viewid};
	int			i;

	if (a->relid == b->relid)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("read model %s cannot be swapped with itself", a->qualname)));
	if (get_rel_namespace(a->relid) != get_rel_namespace(b->relid))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("read models %s and %s are in different schemas", a->qualname, b->qualname),
				 errhint("Declare the replacement in the schema of the model it replaces.")));
	/*
	 * Writers first (SHARE ROW EXCLUSIVE on the sources, as a resume takes):
	 * one in progress may still apply to either table at its commit, and
	 * would deadlock with a swap holding one table and waiting for the
	 * other.  Then the tables and views, whose readers finish first.
	 */
	readmodel_wait_for_source_writers(a);
	readmodel_wait_for_source_writers(b);
	for (i = 0; i < 4; i++)
		LockRelationOid(relids[i], AccessExclusiveLock);
	readmodel_spi_connect();
	exchange_names(a->relid, b->relid);
	exchange_names(a->viewid, b->viewid);
	readmodel_spi_finish();
	readmodel_invalidate_cache();
	PG_RETURN_VOID();
}

/* The SELECT of one side: key as text, row as a document (no version columns). */
static char *
side_sql(ReadModel *model, List *key_columns, const char *alias)
{
	StringInfoData key;
	ListCell   *lc;

	initStringInfo(&key);
	foreach(lc, key_columns)
		appendStringInfo(&key, "%st.%s", lc == list_head(key_columns) ? "" : ", ",
						 quote_identifier(((KeyColumn *) lfirst(lc))->name));
	return psprintf("(SELECT %s%s%s::pg_catalog.text AS k, pg_catalog.to_jsonb(t)%s AS j "
					"FROM %s t) %s",
					list_length(key_columns) > 1 ? "ROW(" : "", key.data,
					list_length(key_columns) > 1 ? ")" : "",
					model->versioned ? " OPERATOR(pg_catalog.-) 'version'::pg_catalog.text "
					"OPERATOR(pg_catalog.-) 'projected_at'::pg_catalog.text" : "",
					model->qualname, alias);
}

/* b has a's key columns, or the comparison means nothing. */
static void
check_same_key(ReadModel *a, ReadModel *b)
{
	ListCell   *lc;

	foreach(lc, a->analysis->key_columns)
		if (get_attnum(b->relid, ((KeyColumn *) lfirst(lc))->name) == InvalidAttrNumber)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("read model %s has no key column \"%s\" of %s",
							b->qualname, ((KeyColumn *) lfirst(lc))->name, a->qualname),
					 errdetail("Two read models are compared row by row by the key of the first.")));
}

/*
 * readmodel.compare(a, b): per key whose rows differ, the row of each as a
 * document (NULL where there is none), compared by text, so 10.5 and 10.50
 * differ.  The text and the documents go through casts the owner may have
 * made, so it runs as the owner of both (the caller must have her
 * privileges), in the sandbox.
 */
Datum
readmodel_compare(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			ids[2] = {readmodel_model_by_name(PG_GETARG_TEXT_PP(0)),
						  readmodel_model_by_name(PG_GETARG_TEXT_PP(1))};
	ReadModel  *a = readmodel_lookup_model(ids[0]);
	ReadModel  *b = readmodel_lookup_model(ids[1]);
	Sandbox		sandbox;
	uint64		i;

	if (a == NULL || b == NULL || a->analysis == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("read models that cannot be analysed cannot be compared")));
	if (a->owner != b->owner)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("read models %s and %s have different owners", a->qualname, b->qualname),
				 errdetail("The comparison runs as the owner of both.")));
	if (!has_privs_of_role(GetUserId(), a->owner))
		aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_TABLE, get_rel_name(a->relid));
	check_same_key(a, b);
	InitMaterializedSRF(fcinfo, 0);
	readmodel_spi_connect();
	readmodel_sandbox_enter(&sandbox, a->owner);
	if (SPI_execute(psprintf("SELECT COALESCE(x.k, y.k), x.j, y.j FROM %s FULL JOIN %s "
							 "ON x.k OPERATOR(pg_catalog.=) y.k "
							 "WHERE x.j::pg_catalog.text IS DISTINCT FROM y.j::pg_catalog.text "
							 "ORDER BY 1",
							 side_sql(a, a->analysis->key_columns, "x"),
							 side_sql(b, a->analysis->key_columns, "y")),
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not compare read models %s and %s", a->qualname, b->qualname);
	readmodel_sandbox_leave(&sandbox);
	for (i = 0; i < SPI_processed; i++)
	{
		Datum		values[3];
		bool		nulls[3];
		int			c;

		for (c = 0; c < 3; c++)
			values[c] = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, c + 1,
									  &nulls[c]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	readmodel_spi_finish();
	return (Datum) 0;
}
