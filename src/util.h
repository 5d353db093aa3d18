/*-------------------------------------------------------------------------
 *
 * util.h
 *	  Small helpers shared by every subsystem: quoted, schema-qualified
 *	  names for the SQL the extension builds, SPI calls that fail loudly,
 *	  a subtransaction that reports an error instead of raising it, and
 *	  datum arrays.
 *
 * Every name that goes into SQL we build comes from here, so that no
 * statement depends on the search_path in force: relations and types are
 * schema-qualified, and operators are spelled OPERATOR(schema.op).
 *
 *-------------------------------------------------------------------------
 */
#ifndef READMODEL_UTIL_H
#define READMODEL_UTIL_H

#include "postgres.h"

#include "nodes/pg_list.h"
#include "utils/array.h"

extern char *readmodel_relation_name(Oid relid);
extern char *readmodel_source_scan(Oid relid);
extern char *readmodel_column_name(Oid relid, AttrNumber att);
extern Oid	readmodel_column_collation(Oid relid, AttrNumber att);
extern char *readmodel_operator_name(Oid opno);
extern char *readmodel_type_name(Oid typid, int32 typmod);
extern char *readmodel_datum_text(Datum value, Oid type);

extern bool readmodel_has_leading_index(Oid relid, AttrNumber att);
extern bool readmodel_has_gin_index(Oid relid, AttrNumber att);
extern bool readmodel_has_unique_index(Oid relid, AttrNumber att);

extern void readmodel_spi_connect(void);
extern void readmodel_spi_finish(void);
extern void readmodel_spi_exec(const char *sql, int expected);
extern char *readmodel_run_guarded(void (*fn) (void *arg), void *arg,
								   MemoryContext context);

extern uint32 readmodel_image_hash(Datum value, int16 typlen, bool typbyval);
extern ArrayType *readmodel_datum_array(Datum *values, int nvalues, Oid type);
extern Datum readmodel_oid_array(List *oids, Oid elemtype);

#endif							/* READMODEL_UTIL_H */
