/*-------------------------------------------------------------------------
 *
 * snapshot_check.c
 *	  Maintenance before commit under REPEATABLE READ or SERIALIZABLE.
 *
 * Maintenance reads and writes with the latest snapshot, under its key
 * locks (pg_readmodel.h).  At commit that is what makes it exact.  Before
 * commit (readmodel.flush(), mode statement, readmodel.sync()) in a
 * transaction that keeps one snapshot, it is not enough: when a transaction
 * that committed after that snapshot had rewritten a model row, the new
 * version is written on top of its version, which this transaction cannot
 * see, while it still sees the version before it.  Its next query would
 * return both: two rows of one key.  An UPDATE of a row changed that way
 * fails with a serialization failure; so does this maintenance, once its
 * keys are locked and before it writes anything.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/snapmgr.h"

#include "cascade.h"
#include "keys.h"
#include "snapshot_check.h"

/*
 * The model rows of these keys (all rows if keys is NULL), as one text, as
 * the snapshot it runs under sees them: the table and tuple id of each
 * version.
 */
static SPIPlanPtr
versions_plan(ReadModel *model, bool keyed)
{
	int			nargs = keyed ? readmodel_key_ncolumns(model) : 0;
	Oid		   *argtypes = palloc(sizeof(Oid) * Max(nargs, 1));
	SPIPlanPtr	plan;

	if (keyed)
		readmodel_key_arg_types(model, argtypes);
	plan = SPI_prepare(psprintf("SELECT pg_catalog.string_agg(s.v, ',' ORDER BY s.v) FROM "
								"(SELECT t.tableoid::pg_catalog.text OPERATOR(pg_catalog.||) ':' "
								"OPERATOR(pg_catalog.||) t.ctid::pg_catalog.text AS v FROM %s t%s) s",
								model->qualname,
								keyed ? psprintf(" WHERE %s", readmodel_key_any_sql(model, "t")) : ""),
					   nargs, argtypes);
	if (plan == NULL)
		elog(ERROR, "could not prepare the row versions of %s", model->qualname);
	return plan;
}

static char *
row_versions(SPIPlanPtr plan, Datum *args, Snapshot snapshot)
{
	bool		isnull;
	Datum		value;

	if (SPI_execute_snapshot(plan, args, NULL, snapshot, InvalidSnapshot,
							 true, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the row versions of a read model");
	value = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? "" : TextDatumGetCString(value);
}

void
readmodel_check_snapshot_sees(ReadModel *model, Datum *keys, int nkeys)
{
	SPIPlanPtr	plan;
	Datum	   *args;
	char	   *latest;
	char	   *own;

	if (!IsolationUsesXactSnapshot() || readmodel_apply_at_commit_in_progress() ||
		(keys != NULL && nkeys == 0))
		return;
	plan = versions_plan(model, keys != NULL);
	args = palloc(sizeof(Datum) * Max(readmodel_key_ncolumns(model), 1));
	if (keys)
		readmodel_key_args(model, keys, nkeys, args);
	latest = row_versions(plan, args, GetLatestSnapshot());
	own = row_versions(plan, args, GetTransactionSnapshot());
	SPI_freeplan(plan);
	if (strcmp(latest, own) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("could not serialize access due to concurrent update of read model %s",
						model->qualname),
				 errdetail("A transaction that committed after this transaction's snapshot changed rows of the model that this transaction would maintain before its commit."),
				 errhint("Retry the transaction; or let its work be applied at commit (no readmodel.flush(), no mode statement), or run it in READ COMMITTED.")));
}
