/*-------------------------------------------------------------------------
 *
 * util.c
 *	  Qualified names, SPI calls and datum arrays (see util.h).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "access/relation.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "catalog/pg_operator.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "common/hashfn.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/resowner.h"
#include "utils/syscache.h"

#include "util.h"

/* "schema"."relation", quoted as needed. */
char *
readmodel_relation_name(Oid relid)
{
	char	   *relname = get_rel_name(relid);

	if (relname == NULL)
		elog(ERROR, "cache lookup failed for relation %u", relid);
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
									  relname);
}

/*
 * A source as a FROM item: "ONLY s.t" for an ordinary table (a model reads
 * an inheritance parent only that way), "s.t" for a partitioned one, whose
 * rows are all in its partitions.
 */
char *
readmodel_source_scan(Oid relid)
{
	char	   *name = readmodel_relation_name(relid);

	if (get_rel_relkind(relid) == RELKIND_PARTITIONED_TABLE)
		return name;
	return psprintf("ONLY %s", name);
}

char *
readmodel_column_name(Oid relid, AttrNumber att)
{
	return pstrdup(quote_identifier(get_attname(relid, att, false)));
}

Oid
readmodel_column_collation(Oid relid, AttrNumber att)
{
	Oid			type;
	int32		typmod;
	Oid			collation;

	get_atttypetypmodcoll(relid, att, &type, &typmod, &collation);
	return collation;
}

/* OPERATOR("schema".op): found whatever the search_path is. */
char *
readmodel_operator_name(Oid opno)
{
	HeapTuple	tuple = SearchSysCache1(OPEROID, ObjectIdGetDatum(opno));
	Form_pg_operator form;
	char	   *result;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for operator %u", opno);
	form = (Form_pg_operator) GETSTRUCT(tuple);
	result = psprintf("OPERATOR(%s.%s)",
					  quote_identifier(get_namespace_name(form->oprnamespace)),
					  NameStr(form->oprname));
	ReleaseSysCache(tuple);
	return result;
}

char *
readmodel_type_name(Oid typid, int32 typmod)
{
	return format_type_extended(typid, typmod,
								FORMAT_TYPE_TYPEMOD_GIVEN | FORMAT_TYPE_FORCE_QUALIFY);
}

char *
readmodel_datum_text(Datum value, Oid type)
{
	Oid			outfunc;
	bool		isvarlena;

	getTypeOutputInfo(type, &outfunc, &isvarlena);
	return OidOutputFunctionCall(outfunc, value);
}

void
readmodel_spi_connect(void)
{
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
}

void
readmodel_spi_finish(void)
{
	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");
}

void
readmodel_spi_exec(const char *sql, int expected)
{
	int			rc = SPI_execute(sql, false, 0);

	if (rc != expected)
		elog(ERROR, "pg_readmodel: \"%s\" failed: %s", sql,
			 SPI_result_code_string(rc));
}

/*
 * Run fn(arg) in a subtransaction, allocating in `context`.  Returns NULL,
 * or the message of the error it raised (the subtransaction rolled back).
 * Rolling back switches to the parent's memory context: we switch back.
 */
char *
readmodel_run_guarded(void (*fn) (void *arg), void *arg, MemoryContext context)
{
	MemoryContext caller = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	char	   *volatile message = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(context);
	PG_TRY();
	{
		fn(arg);
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(context);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		message = edata->message;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(caller);
	CurrentResourceOwner = owner;
	return message;
}

ArrayType *
readmodel_datum_array(Datum *values, int nvalues, Oid type)
{
	int16		typlen;
	bool		typbyval;
	char		typalign;

	get_typlenbyvalalign(type, &typlen, &typbyval, &typalign);
	return construct_array(values, nvalues, type, typlen, typbyval, typalign);
}

/* An array of OIDs typed as `elemtype` (oid, regclass). */
Datum
readmodel_oid_array(List *oids, Oid elemtype)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(list_length(oids), 1));
	ListCell   *lc;
	int			n = 0;

	foreach(lc, oids)
		elems[n++] = ObjectIdGetDatum(lfirst_oid(lc));
	return PointerGetDatum(readmodel_datum_array(elems, n, elemtype));
}

/* A hash of a value's stored bytes, for de-duplicating by binary image. */
uint32
readmodel_image_hash(Datum value, int16 typlen, bool typbyval)
{
	if (typbyval)
		return hash_bytes_uint32((uint32) (value ^ (value >> 32)));
	if (typlen > 0)
		return hash_bytes((const unsigned char *) DatumGetPointer(value), typlen);
	if (typlen == -1)
	{
		struct varlena *v = PG_DETOAST_DATUM_PACKED(value);

		return hash_bytes((const unsigned char *) VARDATA_ANY(v),
						  VARSIZE_ANY_EXHDR(v));
	}
	/* cstring */
	return hash_bytes((const unsigned char *) DatumGetPointer(value),
					  strlen(DatumGetPointer(value)));
}

/*
 * Has `relid` an index whose first column is `att`?  With `unique_alone`,
 * a unique index on `att` alone, without a predicate.
 */
/* The access method of index `indexid`. */
static Oid
index_am(Oid indexid)
{
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(indexid));
	Oid			am;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for relation %u", indexid);
	am = ((Form_pg_class) GETSTRUCT(tuple))->relam;
	ReleaseSysCache(tuple);
	return am;
}

static bool
index_on_column(Oid relid, AttrNumber att, bool unique_alone, Oid am)
{
	Relation	rel = relation_open(relid, AccessShareLock);
	List	   *indexes = RelationGetIndexList(rel);
	ListCell   *lc;
	bool		found = false;

	foreach(lc, indexes)
	{
		HeapTuple	tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(lfirst_oid(lc)));
		Form_pg_index index;

		if (!HeapTupleIsValid(tuple))
			continue;
		index = (Form_pg_index) GETSTRUCT(tuple);
		if (index->indkey.values[0] == att &&
			(!OidIsValid(am) || index_am(lfirst_oid(lc)) == am) &&
			(!unique_alone ||
			 (index->indisunique && index->indnkeyatts == 1 &&
			  heap_attisnull(tuple, Anum_pg_index_indpred, NULL))))
			found = true;
		ReleaseSysCache(tuple);
	}
	relation_close(rel, AccessShareLock);
	return found;
}

bool
readmodel_has_leading_index(Oid relid, AttrNumber att)
{
	return index_on_column(relid, att, false, InvalidOid);
}

/* A GIN index whose first column is `att` (what && of an array needs). */
bool
readmodel_has_gin_index(Oid relid, AttrNumber att)
{
	return index_on_column(relid, att, false, GIN_AM_OID);
}

/* Is `att` alone unique in `relid` (by an index without predicate)? */
bool
readmodel_has_unique_index(Oid relid, AttrNumber att)
{
	return index_on_column(relid, att, true, InvalidOid);
}
