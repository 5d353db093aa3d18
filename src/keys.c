/*-------------------------------------------------------------------------
 *
 * keys.c
 *	  A read model's key: spelling, composite values, and the SQL that
 *	  selects rows by keys (see keys.h).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "executor/spi.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/ruleutils.h"
#include "utils/typcache.h"

#include "keys.h"
#include "util.h"

/* Column names of options->'key' or the catalog: a String list. */
List *
readmodel_key_parse(const char *spelling)
{
	Jsonb	   *json;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	List	   *names = NIL;

	if (spelling[0] != '[')
		return list_make1(makeString(pstrdup(spelling)));
	json = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(spelling)));
	if (!JB_ROOT_IS_ARRAY(json) || JB_ROOT_IS_SCALAR(json))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a read model key must be a column name or an array of them")));
	it = JsonbIteratorInit(&json->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok != WJB_ELEM)
			continue;
		if (v.type != jbvString)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("a read model key must be a column name or an array of them")));
		names = lappend(names, makeString(pnstrdup(v.val.string.val, v.val.string.len)));
	}
	if (names == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a read model key needs at least one column")));
	return names;
}

/* The inverse of readmodel_key_parse(). */
char *
readmodel_key_spelling(List *names)
{
	StringInfoData buf;
	ListCell   *lc;

	if (list_length(names) == 1 && strVal(linitial(names))[0] != '[')
		return pstrdup(strVal(linitial(names)));
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '[');
	foreach(lc, names)
	{
		if (lc != list_head(names))
			appendStringInfoString(&buf, ", ");
		escape_json(&buf, strVal(lfirst(lc)));
	}
	appendStringInfoChar(&buf, ']');
	return buf.data;
}

/* The table's key. */
static List *
key_columns(ReadModel *model)
{
	if (model->analysis == NULL)
		elog(ERROR, "read model %s has no analysis", model->qualname);
	return model->analysis->key_columns;
}

/* What the queue holds: the key, or the window partition it is in. */
static List *
unit_columns(ReadModel *model)
{
	return readmodel_unit_columns(model->analysis ? model->analysis : NULL,
								  key_columns(model));
}

List *
readmodel_unit_columns(ModelAnalysis *analysis, List *key)
{
	return analysis && analysis->unit_columns ? analysis->unit_columns : key;
}

/* "a, b" (and the unit of recompute when it differs): for messages. */
char *
readmodel_key_display(ReadModel *model)
{
	StringInfoData buf;
	ListCell   *lc;

	if (model->analysis == NULL)
		return pstrdup(model->key_name);
	initStringInfo(&buf);
	foreach(lc, key_columns(model))
		appendStringInfo(&buf, "%s%s", buf.len ? ", " : "",
						 ((KeyColumn *) lfirst(lc))->name);
	if (model->analysis->unit_columns == NIL)
		return buf.data;
	appendStringInfoString(&buf, ", recomputed by window partition (");
	foreach(lc, model->analysis->unit_columns)
		appendStringInfo(&buf, "%s%s", lc == list_head(model->analysis->unit_columns) ? "" : ", ",
						 ((KeyColumn *) lfirst(lc))->name);
	appendStringInfoChar(&buf, ')');
	return buf.data;
}

bool
readmodel_key_is_composite(ReadModel *model)
{
	return model->key_desc != NULL;
}

int
readmodel_key_ncolumns(ReadModel *model)
{
	return model->key_desc ? model->key_desc->natts : 1;
}

/* A composite key's record type, blessed in `context`. */
void
readmodel_key_init(ReadModel *model, MemoryContext context)
{
	List	   *columns = unit_columns(model);
	MemoryContext old;
	TupleDesc	desc;
	ListCell   *lc;
	int			i = 0;

	model->key_desc = NULL;
	if (list_length(columns) < 2)
		return;
	old = MemoryContextSwitchTo(context);
	desc = CreateTemplateTupleDesc(list_length(columns));
	foreach(lc, columns)
	{
		KeyColumn  *col = lfirst(lc);

		i++;
		TupleDescInitEntry(desc, i, col->name, col->type, -1, 0);
		TupleDescInitEntryCollation(desc, i, col->collation);
		/* hash_record() needs every column's: else lock the whole model */
		if (!OidIsValid(lookup_type_cache(col->type, TYPECACHE_HASH_PROC)->hash_proc))
			model->key_hash_fn = InvalidOid;
	}
	model->key_desc = BlessTupleDesc(desc);
	MemoryContextSwitchTo(old);
}

/*
 * A key from its columns' values (a composite key, or the value of a key
 * of one column); NULL if one of them is.
 */
Datum
readmodel_key_form(ReadModel *model, Datum *values, bool *nulls, bool *isnull)
{
	TupleDesc	desc = model->key_desc;
	Datum	   *flat;
	int			i;

	if (desc == NULL)
	{
		*isnull = nulls[0];
		return nulls[0] || model->key_typlen != -1 ? values[0] :
			PointerGetDatum(PG_DETOAST_DATUM_PACKED(values[0]));
	}
	flat = palloc(sizeof(Datum) * desc->natts);
	*isnull = false;
	for (i = 0; i < desc->natts; i++)
	{
		if (nulls[i])
		{
			*isnull = true;
			return (Datum) 0;
		}
		/* compressed or out-of-line values would give other images */
		flat[i] = TupleDescAttr(desc, i)->attlen == -1 ?
			PointerGetDatum(PG_DETOAST_DATUM_PACKED(values[i])) : values[i];
	}
	return HeapTupleGetDatum(heap_form_tuple(desc, flat, nulls));
}

/*
 * The key of a root row (a source slot in the root's row type): `recipe`
 * gives the root column of each key column, 0 for the branch tag `tag`.
 */
Datum
readmodel_key_from_slot(ReadModel *model, TupleTableSlot *slot, List *recipe,
						Const *tag, bool *isnull)
{
	Datum	   *values = palloc(sizeof(Datum) * list_length(recipe));
	bool	   *nulls = palloc(sizeof(bool) * list_length(recipe));
	ListCell   *lc;
	int			i = 0;

	foreach(lc, recipe)
	{
		if (lfirst_int(lc) == 0)
		{
			values[i] = tag->constvalue;
			nulls[i] = tag->constisnull;
		}
		else
			values[i] = slot_getattr(slot, lfirst_int(lc), &nulls[i]);
		i++;
	}
	return readmodel_key_form(model, values, nulls, isnull);
}

/*
 * A key as text, for the durable queues (deferred.c): the output of its
 * type, a record's for a composite key.  Callers pin the output settings.
 */
char *
readmodel_key_out(ReadModel *model, Datum key)
{
	Oid			typoutput;
	bool		isvarlena;

	getTypeOutputInfo(model->key_desc ? RECORDOID : model->key_type,
					  &typoutput, &isvarlena);
	return OidOutputFunctionCall(typoutput, key);
}

/*
 * The keys of a text[] readmodel_key_out() spelled (NULL elements left
 * out), in *nkeys.  Input functions may run the owner's code (a domain's
 * CHECK): callers run this as the model's owner.
 */
Datum *
readmodel_key_array_in(ReadModel *model, Datum array, int *nkeys)
{
	Datum	   *texts;
	bool	   *nulls;
	Datum	   *keys;
	int			n;
	int			i;

	deconstruct_array(DatumGetArrayTypeP(array), TEXTOID, -1, false, TYPALIGN_INT,
					  &texts, &nulls, &n);
	keys = palloc(sizeof(Datum) * Max(n, 1));
	*nkeys = 0;
	for (i = 0; i < n; i++)
		if (!nulls[i])
			keys[(*nkeys)++] = readmodel_key_in(model, TextDatumGetCString(texts[i]));
	return keys;
}

/* Does this type's output depend on no setting (DateStyle, TimeZone, ...)? */
static bool
output_is_fixed(Oid type)
{
	switch (getBaseType(type))
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case OIDOID:
		case BOOLOID:
		case NUMERICOID:
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
		case NAMEOID:
		case CHAROID:
		case UUIDOID:
			return true;
		default:
			return false;
	}
}

/* Is readmodel_key_out() the same under any settings? */
bool
readmodel_key_output_is_fixed(ReadModel *model)
{
	int			i;

	if (model->key_desc == NULL)
		return output_is_fixed(model->key_type);
	for (i = 0; i < model->key_desc->natts; i++)
		if (!output_is_fixed(TupleDescAttr(model->key_desc, i)->atttypid))
			return false;
	return true;
}

/* The key readmodel_key_out() spelled, formed as capture forms it. */
Datum
readmodel_key_in(ReadModel *model, char *text)
{
	TupleDesc	desc = model->key_desc;
	Oid			typinput;
	Oid			typioparam;
	HeapTupleHeader header;
	HeapTupleData tuple;
	Datum	   *values;
	bool	   *nulls;
	bool		isnull;

	getTypeInputInfo(desc ? RECORDOID : model->key_type, &typinput, &typioparam);
	if (desc == NULL)
		return OidInputFunctionCall(typinput, text, typioparam, -1);
	header = DatumGetHeapTupleHeader(OidInputFunctionCall(typinput, text, typioparam,
														  desc->tdtypmod));
	tuple.t_len = HeapTupleHeaderGetDatumLength(header);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = header;
	values = palloc(sizeof(Datum) * desc->natts);
	nulls = palloc(sizeof(bool) * desc->natts);
	heap_deform_tuple(&tuple, desc, values, nulls);
	return readmodel_key_form(model, values, nulls, &isnull);
}

/* The array types of the statement parameters keys are passed as. */
void
readmodel_key_arg_types(ReadModel *model, Oid *types)
{
	int			i;

	if (!readmodel_key_is_composite(model))
	{
		types[0] = get_array_type(model->key_type);
		return;
	}
	for (i = 0; i < model->key_desc->natts; i++)
		types[i] = get_array_type(TupleDescAttr(model->key_desc, i)->atttypid);
}

/* Is the table's key (not the unit of recompute) several columns? */
bool
readmodel_row_key_is_composite(ReadModel *model)
{
	return list_length(key_columns(model)) > 1;
}

/* Keys as statement parameters: one array, or one per key column. */
void
readmodel_key_args(ReadModel *model, Datum *keys, int nkeys, Datum *args)
{
	TupleDesc	desc = model->key_desc;
	Datum	   *column;
	int			c;
	int			k;

	if (!readmodel_key_is_composite(model))
	{
		args[0] = PointerGetDatum(readmodel_datum_array(keys, nkeys, model->key_type));
		return;
	}
	column = palloc(sizeof(Datum) * Max(nkeys, 1));
	for (c = 0; c < desc->natts; c++)
	{
		for (k = 0; k < nkeys; k++)
		{
			HeapTupleHeader header = DatumGetHeapTupleHeader(keys[k]);
			HeapTupleData tuple;
			bool		isnull;

			tuple.t_len = HeapTupleHeaderGetDatumLength(header);
			ItemPointerSetInvalid(&tuple.t_self);
			tuple.t_tableOid = InvalidOid;
			tuple.t_data = header;
			column[k] = heap_getattr(&tuple, c + 1, desc, &isnull);
		}
		args[c] = PointerGetDatum(readmodel_datum_array(column, nkeys,
														TupleDescAttr(desc, c)->atttypid));
	}
}

static const char *
column_name(List *columns, int i)
{
	return quote_identifier(((KeyColumn *) list_nth(columns, i))->name);
}

static const char *
column_equality(List *columns, int i)
{
	KeyColumn  *col = list_nth(columns, i);
	TypeCacheEntry *tc = lookup_type_cache(col->type, TYPECACHE_EQ_OPR);

	if (!OidIsValid(tc->eq_opr))
		elog(ERROR, "key type %s has no default equality operator",
			 format_type_be(col->type));
	return readmodel_operator_name(tc->eq_opr);
}

/*
 * "alias.k = ANY ($1)"; for a composite key each column against its array
 * (conditions the planner pushes into the definition and into indexes),
 * then the exact pairs.
 */
char *
readmodel_key_any_sql(ReadModel *model, const char *alias)
{
	StringInfoData buf;
	StringInfoData rows;
	StringInfoData pairs;
	List	   *unit = unit_columns(model);
	int			n = list_length(unit);
	int			i;

	if (n == 1)
		return readmodel_any_qual(psprintf("%s.%s", alias, column_name(unit, 0)),
								  model->key_eq_opr);
	initStringInfo(&buf);
	initStringInfo(&rows);
	initStringInfo(&pairs);
	for (i = 0; i < n; i++)
	{
		appendStringInfo(&buf, "%s.%s %s ANY ($%d) AND ", alias, column_name(unit, i),
						 column_equality(unit, i), i + 1);
		appendStringInfo(&rows, "%spg_catalog.unnest($%d)", i ? ", " : "", i + 1);
		appendStringInfo(&pairs, "%sk.c%d %s %s.%s", i ? " AND " : "", i + 1,
						 column_equality(unit, i), alias, column_name(unit, i));
	}
	appendStringInfo(&buf, "EXISTS (SELECT FROM ROWS FROM (%s) AS k(", rows.data);
	for (i = 0; i < n; i++)
		appendStringInfo(&buf, "%sc%d", i ? ", " : "", i + 1);
	appendStringInfo(&buf, ") WHERE %s)", pairs.data);
	return buf.data;
}

/* "l.a = r.a AND l.b = r.b" */
char *
readmodel_key_equal_sql(ReadModel *model, const char *left, const char *right)
{
	List	   *key = key_columns(model);
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < list_length(key); i++)
		appendStringInfo(&buf, "%s%s.%s %s %s.%s", i ? " AND " : "",
						 left, column_name(key, i), column_equality(key, i),
						 right, column_name(key, i));
	return buf.data;
}

/* "alias.a, alias.b" */
char *
readmodel_key_list_sql(ReadModel *model, const char *alias)
{
	List	   *key = key_columns(model);
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < list_length(key); i++)
		appendStringInfo(&buf, "%s%s.%s", i ? ", " : "", alias, column_name(key, i));
	return buf.data;
}

/* The key of a row of "l FULL JOIN r", as text (for verify()). */
char *
readmodel_key_text_sql(ReadModel *model, const char *left, const char *right)
{
	List	   *key = key_columns(model);
	StringInfoData buf;
	int			i;

	if (list_length(key) == 1)
		return psprintf("COALESCE(%s.%s, %s.%s)::pg_catalog.text",
						left, column_name(key, 0), right, column_name(key, 0));
	initStringInfo(&buf);
	appendStringInfoString(&buf, "ROW(");
	for (i = 0; i < list_length(key); i++)
		appendStringInfo(&buf, "%sCOALESCE(%s.%s, %s.%s)", i ? ", " : "",
						 left, column_name(key, i), right, column_name(key, i));
	appendStringInfoString(&buf, ")::pg_catalog.text");
	return buf.data;
}

/*
 * The select list that computes a key recipe from the rows of relid read
 * as "t" (the branch tag is added in C), and the condition that skips
 * rows not in the model: a key column, or a column a key expression reads,
 * that is NULL where the definition filters NULLs out, or a row failing
 * the definition's conditions on root columns (`filter`).  The key
 * expressions, in the select list, are evaluated only for rows it keeps.
 */
void
readmodel_key_emit_sql(Oid relid, List *recipe, List *key_columns, Node *filter,
					   StringInfo emit, StringInfo skip)
{
	List	   *context = deparse_context_for("t", relid);
	StringInfoData filtered;
	ListCell   *lc;

	initStringInfo(&filtered);
	foreach(lc, recipe)
	{
		int			entry = lfirst_int(lc);
		KeyColumn  *col;
		char	   *sql;

		if (entry == 0)
			continue;
		if (entry > 0)
		{
			sql = psprintf("t.%s", readmodel_column_name(relid, entry));
			appendStringInfo(&filtered, "%s%s", filtered.len ? ", " : "", sql);
		}
		else
		{
			ListCell   *la;

			col = list_nth(key_columns, KEY_RECIPE_EXPR_INDEX(entry));
			sql = deparse_expression(col->expr, context, true, false);
			if (col->null_filtered)
				appendStringInfo(&filtered, "%s%s", filtered.len ? ", " : "", sql);
			foreach(la, col->filtered_atts)
				appendStringInfo(&filtered, "%st.%s", filtered.len ? ", " : "",
								 readmodel_column_name(relid, lfirst_int(la)));
		}
		appendStringInfo(emit, "%s%s", emit->len ? ", " : "", sql);
	}
	if (filter == NULL)
		appendStringInfoString(skip, filtered.len ? psprintf("ROW(%s) IS NOT NULL", filtered.data) :
							   "true");
	else						/* CASE: nothing evaluated for a row failing it */
		appendStringInfo(skip, "CASE WHEN %s THEN %s ELSE false END",
						 deparse_expression(filter, context, true, false),
						 filtered.len ? psprintf("ROW(%s) IS NOT NULL", filtered.data) : "true");
}

/*
 * The key a query's result row computed with readmodel_key_emit_sql().  A
 * computed key column that is NULL although no condition filters it (a
 * strict function that returned NULL) is an error: the row would be lost.
 */
Datum
readmodel_key_from_result(ReadModel *model, List *recipe, List *key_columns,
						  Const *tag, HeapTuple tuple, TupleDesc desc,
						  bool *isnull)
{
	int			n = list_length(recipe);
	Datum	   *values = palloc(sizeof(Datum) * n);
	bool	   *nulls = palloc(sizeof(bool) * n);
	ListCell   *lc;
	int			i = 0;
	int			col = 0;

	foreach(lc, recipe)
	{
		int			entry = lfirst_int(lc);

		if (entry == 0)
		{
			values[i] = tag->constvalue;
			nulls[i++] = tag->constisnull;
			continue;
		}
		values[i] = SPI_getbinval(tuple, desc, ++col, &nulls[i]);
		if (nulls[i] && entry < 0 &&
			!((KeyColumn *) list_nth(key_columns, KEY_RECIPE_EXPR_INDEX(entry)))->null_filtered)
			ereport(ERROR,
					(errcode(ERRCODE_NOT_NULL_VIOLATION),
					 errmsg("key column \"%s\" of read model %s is NULL for a changed row",
							((KeyColumn *) list_nth(key_columns, KEY_RECIPE_EXPR_INDEX(entry)))->name,
							model->qualname),
					 errdetail("The expression the definition groups by returned NULL, and a read-model key cannot be NULL."),
					 errhint("Add WHERE <the expression> IS NOT NULL to the definition and replace the read model.")));
		i++;
	}
	return readmodel_key_form(model, values, nulls, isnull);
}
