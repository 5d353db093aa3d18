/*-------------------------------------------------------------------------
 *
 * versioning.c
 *	  Option version: a model table's version and projected_at columns.
 *
 * The table gets two columns the definition does not have, version bigint
 * (1 when the row is written first, one more at each change) and
 * projected_at timestamptz (when it was last written), and a BEFORE
 * INSERT OR UPDATE row trigger, readmodel.version(), that sets them.  The
 * trigger sees every write, whichever path makes it, and maintenance writes
 * only rows whose image changed, so the version counts changes.  The two
 * columns are left out wherever rows are compared with the definition (the
 * diff, verify, the table's shape).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "parser/parse_func.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "util.h"
#include "versioning.h"

PG_FUNCTION_INFO_V1(readmodel_version);

#define VERSION_TRIGGER "readmodel_version"

bool
readmodel_is_version_column(const char *name)
{
	return strcmp(name, READMODEL_VERSION_COLUMN) == 0 ||
		strcmp(name, READMODEL_PROJECTED_AT_COLUMN) == 0;
}

static Oid
version_function(void)
{
	return LookupFuncName(list_make2(makeString("readmodel"), makeString("version")),
						  0, NULL, true);
}

/* Is this CREATE TRIGGER the one add_columns() runs? */
bool
readmodel_is_version_trigger(CreateTrigStmt *stmt)
{
	Oid			function = version_function();

	return OidIsValid(function) && strcmp(stmt->trigname, VERSION_TRIGGER) == 0 &&
		LookupFuncName(stmt->funcname, 0, NULL, true) == function;
}

/* A definition that has a column of one of those names cannot have them. */
void
readmodel_version_check_view(Oid viewid, const char *qualname)
{
	const char *names[2] = {READMODEL_VERSION_COLUMN, READMODEL_PROJECTED_AT_COLUMN};
	int			i;

	for (i = 0; i < 2; i++)
		if (get_attnum(viewid, names[i]) != InvalidAttrNumber)
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_COLUMN),
					 errmsg("read model %s already has a column \"%s\"", qualname, names[i]),
					 errdetail("Option \"version\" adds the columns \"%s\" and \"%s\".",
							   READMODEL_VERSION_COLUMN, READMODEL_PROJECTED_AT_COLUMN),
					 errhint("Name the definition's column otherwise.")));
}

/* Add the columns and the trigger (with SPI connected, as the owner). */
void
readmodel_version_add(Oid relid)
{
	char	   *table = readmodel_relation_name(relid);

	if (get_attnum(relid, READMODEL_VERSION_COLUMN) == InvalidAttrNumber)
		readmodel_spi_exec(psprintf("ALTER TABLE %s ADD COLUMN %s pg_catalog.int8 NOT NULL DEFAULT 1, "
									"ADD COLUMN %s pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now()",
									table, READMODEL_VERSION_COLUMN,
									READMODEL_PROJECTED_AT_COLUMN),
						   SPI_OK_UTILITY);
	if (!OidIsValid(get_trigger_oid(relid, VERSION_TRIGGER, true)))
		readmodel_spi_exec(psprintf("CREATE TRIGGER " VERSION_TRIGGER
									" BEFORE INSERT OR UPDATE ON %s FOR EACH ROW "
									"EXECUTE FUNCTION readmodel.version()", table),
						   SPI_OK_UTILITY);
}

/* ... and remove them, when a replace turns the option off. */
void
readmodel_version_drop(Oid relid)
{
	char	   *table = readmodel_relation_name(relid);

	if (OidIsValid(get_trigger_oid(relid, VERSION_TRIGGER, true)))
		readmodel_spi_exec(psprintf("DROP TRIGGER " VERSION_TRIGGER " ON %s", table),
						   SPI_OK_UTILITY);
	if (get_attnum(relid, READMODEL_VERSION_COLUMN) != InvalidAttrNumber)
		readmodel_spi_exec(psprintf("ALTER TABLE %s DROP COLUMN %s, DROP COLUMN %s", table,
									READMODEL_VERSION_COLUMN, READMODEL_PROJECTED_AT_COLUMN),
						   SPI_OK_UTILITY);
}

/*
 * readmodel.version(): BEFORE INSERT OR UPDATE ... FOR EACH ROW on the table
 * of a model with option version.
 */
Datum
readmodel_version(PG_FUNCTION_ARGS)
{
	TriggerData *trig = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	HeapTuple	row;
	int			cols[2];
	Datum		values[2];
	bool		nulls[2] = {false, false};

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(trig->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trig->tg_event) || TRIGGER_FIRED_BY_DELETE(trig->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("readmodel.version() must be fired BEFORE INSERT OR UPDATE ... FOR EACH ROW")));
	desc = RelationGetDescr(trig->tg_relation);
	row = TRIGGER_FIRED_BY_UPDATE(trig->tg_event) ? trig->tg_newtuple : trig->tg_trigtuple;
	cols[0] = SPI_fnumber(desc, READMODEL_VERSION_COLUMN);
	cols[1] = SPI_fnumber(desc, READMODEL_PROJECTED_AT_COLUMN);
	if (cols[0] <= 0 || cols[1] <= 0)
		return PointerGetDatum(row);
	values[0] = Int64GetDatum(1);
	if (TRIGGER_FIRED_BY_UPDATE(trig->tg_event))
	{
		bool		isnull;
		Datum		old = heap_getattr(trig->tg_trigtuple, cols[0], desc, &isnull);

		values[0] = Int64GetDatum(isnull ? 1 : DatumGetInt64(old) + 1);
	}
	values[1] = TimestampTzGetDatum(GetCurrentTimestamp());
	return PointerGetDatum(heap_modify_tuple_by_cols(row, desc, 2, cols, values, nulls));
}
