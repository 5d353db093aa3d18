/*-------------------------------------------------------------------------
 *
 * keys.h
 *	  A read model's key: one output column, or several (a composite key).
 *
 * A composite key travels through capture, the queue and the key locks as
 * one value: a record of an anonymous type whose columns are the key
 * columns, blessed once per backend (ReadModel.key_desc).  Its values are
 * detoasted before the record is formed, so equal keys have equal images
 * (the queue compares images), and its hash is hash_record(), which hashes
 * the columns' values (key locks agree across backends).  Statements get
 * it as one array parameter per key column.
 *
 * In the catalog and in options->'key', a composite key is spelled as a
 * JSON array of column names; one column is its plain name (a name that
 * itself starts with '[' is spelled as an array too).
 *
 *-------------------------------------------------------------------------
 */
#ifndef READMODEL_KEYS_H
#define READMODEL_KEYS_H

#include "postgres.h"

#include "access/tupdesc.h"
#include "executor/tuptable.h"
#include "lib/stringinfo.h"
#include "nodes/pg_list.h"

#include "pg_readmodel.h"

extern List *readmodel_key_parse(const char *spelling);
extern char *readmodel_key_spelling(List *names);
extern char *readmodel_key_display(ReadModel *model);

extern bool readmodel_key_is_composite(ReadModel *model);
extern bool readmodel_row_key_is_composite(ReadModel *model);
extern List *readmodel_unit_columns(ModelAnalysis *analysis, List *key);
extern void readmodel_key_init(ReadModel *model, MemoryContext context);
extern int	readmodel_key_ncolumns(ReadModel *model);
extern Datum readmodel_key_form(ReadModel *model, Datum *values, bool *nulls,
								bool *isnull);
extern Datum readmodel_key_from_slot(ReadModel *model, TupleTableSlot *slot,
									 List *recipe, struct Const *tag,
									 bool *isnull);

extern void readmodel_key_emit_sql(Oid relid, List *recipe, List *key_columns,
								   Node *filter, StringInfo emit, StringInfo skip);
extern Datum readmodel_key_from_result(ReadModel *model, List *recipe,
									   List *key_columns, struct Const *tag,
									   HeapTuple tuple, TupleDesc desc,
									   bool *isnull);
extern char *readmodel_key_out(ReadModel *model, Datum key);
extern bool readmodel_key_output_is_fixed(ReadModel *model);
extern Datum readmodel_key_in(ReadModel *model, char *text);
extern Datum *readmodel_key_array_in(ReadModel *model, Datum array, int *nkeys);
extern void readmodel_key_arg_types(ReadModel *model, Oid *types);
extern void readmodel_key_args(ReadModel *model, Datum *keys, int nkeys,
							   Datum *args);
extern char *readmodel_key_any_sql(ReadModel *model, const char *alias);
extern char *readmodel_key_equal_sql(ReadModel *model, const char *left,
									 const char *right);
extern char *readmodel_key_list_sql(ReadModel *model, const char *alias);
extern char *readmodel_key_text_sql(ReadModel *model, const char *left,
									const char *right);

#endif							/* READMODEL_KEYS_H */
