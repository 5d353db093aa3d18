/*-------------------------------------------------------------------------
 *
 * patch.c
 *	  Patch statements (see patch.h):
 *
 *	WITH s AS MATERIALIZED (SELECT via, v0, v1 ... FROM [ONLY] source s
 *							WHERE s.via = ANY($1))
 *	UPDATE model t SET col = s.v0,
 *					   doc = jsonb_patch(jsonb_patch(t.doc, p1, s.v1), p2, s.v2)
 *	FROM s WHERE t.out = s.via
 *	  AND (record_image_ne(ROW(t.col), ROW(s.v0)) OR
 *		   record_image_ne(ROW(t.doc #> p1), ROW(s.v1)) OR ...)
 *
 * The new values are computed once per source row, not per model row, and
 * a row is written only when a path's value differs by binary image.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "nodes/value.h"
#include "parser/parse_func.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"

#include "patch.h"
#include "queue.h"
#include "util.h"

/* A document path as a text[] literal. */
char *
readmodel_path_literal(List *keys)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "ARRAY[");
	foreach(lc, keys)
		appendStringInfo(&buf, "%s%s", lc == list_head(keys) ? "" : ", ",
						 quote_literal_cstr(strVal(lfirst(lc))));
	appendStringInfoString(&buf, "]::pg_catalog.text[]");
	return buf.data;
}

/*
 * The source value as the model stores it: in a document as
 * jsonb_build_object does (SQL NULL is JSON null), in a plain column as is.
 */
static char *
copied_value(PatchTarget *target, PatchPath *path)
{
	const char *column = readmodel_column_name(target->relid, path->att);

	if (path->keys == NIL)
		return psprintf("s.%s", column);
	return psprintf("COALESCE(pg_catalog.to_jsonb(s.%s), 'null'::pg_catalog.jsonb)",
					column);
}

/* "col = s.vN" for each plain output column, and when it differs. */
static void
append_plain_columns(StringInfo set, StringInfo differs, PatchTarget *target)
{
	ListCell   *lp;
	int			position = 0;

	foreach(lp, target->paths)
	{
		PatchPath  *path = lfirst(lp);
		const char *col = quote_identifier(path->doc_col);

		if (path->keys == NIL)
		{
			appendStringInfo(set, "%s%s = s.v%d", set->len ? ", " : "", col, position);
			appendStringInfo(differs,
							 "%spg_catalog.record_image_ne(ROW(t.%s), ROW(s.v%d))",
							 differs->len ? " OR " : "", col, position);
		}
		position++;
	}
}

/*
 * readmodel.jsonb_patch where the extension's SQL has it (0.3 on); under an
 * older script not yet updated, jsonb_set, which gives the same result.
 */
const char *
readmodel_jsonb_setter(void)
{
	Oid			args[3] = {JSONBOID, TEXTARRAYOID, JSONBOID};
	List	   *name = list_make2(makeString("readmodel"), makeString("jsonb_patch"));

	return OidIsValid(LookupFuncName(name, 3, args, true)) ?
		"readmodel.jsonb_patch" : "pg_catalog.jsonb_set";
}

/* "doc = f(f(t.doc, p0, s.v0), p1, s.v1)" for one document column. */
static void
append_document(StringInfo set, StringInfo differs, PatchTarget *target,
				const char *doc_col)
{
	const char *doc = quote_identifier(doc_col);
	const char *setter = readmodel_jsonb_setter();
	char	   *expr = psprintf("t.%s", doc);
	ListCell   *lp;
	int			position = 0;

	foreach(lp, target->paths)
	{
		PatchPath  *path = lfirst(lp);
		char	   *value = psprintf("s.v%d", position++);

		if (path->keys == NIL || strcmp(path->doc_col, doc_col) != 0)
			continue;
		expr = psprintf("%s(%s, %s, %s)", setter, expr,
						readmodel_path_literal(path->keys), value);
		appendStringInfo(differs,
						 "%spg_catalog.record_image_ne(ROW(t.%s OPERATOR(pg_catalog.#>) %s), ROW(%s))",
						 differs->len ? " OR " : "", doc,
						 readmodel_path_literal(path->keys), value);
	}
	appendStringInfo(set, "%s%s = %s", set->len ? ", " : "", doc, expr);
}

char *
readmodel_patch_sql(ReadModel *model, PatchTarget *target)
{
	StringInfoData set,
				differs,
				values;
	List	   *docs = NIL;
	ListCell   *ld,
			   *lp;
	int			position = 0;
	char	   *via = readmodel_column_name(target->relid, target->via_att);

	initStringInfo(&set);
	initStringInfo(&differs);
	initStringInfo(&values);
	foreach(lp, target->paths)
	{
		PatchPath  *path = lfirst(lp);

		if (path->keys != NIL)
			docs = list_append_unique(docs, makeString(path->doc_col));
		appendStringInfo(&values, ", %s AS v%d",
						 copied_value(target, path), position++);
	}
	append_plain_columns(&set, &differs, target);
	foreach(ld, docs)
		append_document(&set, &differs, target, strVal(lfirst(ld)));
	return psprintf("WITH s AS MATERIALIZED (SELECT s.%s AS via%s FROM %s s WHERE %s) "
					"UPDATE %s t SET %s FROM s WHERE t.%s %s s.via AND (%s)",
					via, values.data, readmodel_source_scan(target->relid),
					readmodel_any_qual(psprintf("s.%s", via), target->via_eq_opr),
					model->qualname, set.data, quote_identifier(target->out_col),
					readmodel_operator_name(target->via_eq_opr), differs.data);
}

/* The keys of the model rows a patch matches. */
char *
readmodel_patch_keys_sql(ReadModel *model, PatchTarget *target)
{
	return psprintf("SELECT t.%s FROM %s t WHERE %s",
					quote_identifier(model->key_name), model->qualname,
					readmodel_any_qual(psprintf("t.%s", quote_identifier(target->out_col)),
									   target->via_eq_opr));
}

/* Room for `more` keys after the `nkeys` in *keys. */
static void
grow_keys(Datum **keys, int nkeys, int more)
{
	*keys = *keys ? repalloc(*keys, sizeof(Datum) * (nkeys + more))
		: palloc(sizeof(Datum) * more);
}

/* Add the keys of the rows a patch will touch, to lock them with the rest. */
void
readmodel_add_patched_keys(ReadModel *model, PendingPatch *patch, Datum **keys,
						   int *nkeys)
{
	PatchTarget *target = patch->target;
	SPIPlanPtr	plan;
	uint64		i;

	/* matched by the model's key itself: the values are the keys */
	if (strcmp(target->out_col, model->key_name) == 0)
	{
		grow_keys(keys, *nkeys, patch->nvalues);
		memcpy(*keys + *nkeys, patch->values, sizeof(Datum) * patch->nvalues);
		*nkeys += patch->nvalues;
		return;
	}
	plan = readmodel_keyed_plan(&target->keys_plan, patch->nvalues);
	if (plan == NULL)
		plan = readmodel_keyed_plan_prepare(&target->keys_plan,
											readmodel_patch_keys_sql(model, target),
											get_array_type(target->via_type),
											patch->nvalues);
	if (readmodel_execute_keyed(plan, patch->nvalues, &patch->arg, true, false, true) != SPI_OK_SELECT)
		elog(ERROR, "patch key query failed");
	if (SPI_processed > 0)
		grow_keys(keys, *nkeys, (int) SPI_processed);
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;

		(*keys)[(*nkeys)++] = datumCopy(SPI_getbinval(SPI_tuptable->vals[i],
													  SPI_tuptable->tupdesc,
													  1, &isnull),
										model->key_typbyval,
										model->key_typlen);
	}
	SPI_freetuptable(SPI_tuptable);
}

/*
 * Patch the rows reached from changed source rows (their via values).  The
 * route lock on the matched column was taken at capture, as a mapper does;
 * the key locks were taken together with the recomputed keys.  Planned by
 * the number of source rows: however many model rows they fan out to, the
 * generic plan probes the matched column's index.
 */
void
readmodel_apply_patch(ReadModel *model, PendingPatch *patch,
					  ReadModelCounters *delta)
{
	PatchTarget *target = patch->target;
	int			size = patch->nvalues;
	SPIPlanPtr	plan = readmodel_keyed_plan(&target->plan, size);

	if (plan == NULL)
		plan = readmodel_keyed_plan_prepare(&target->plan, readmodel_patch_sql(model, target),
											get_array_type(target->via_type), size);
	if (readmodel_execute_keyed(plan, size, &patch->arg, false, true, true) != SPI_OK_UPDATE)
		elog(ERROR, "read model patch failed");
	delta->rows_written += SPI_processed;
	delta->rows_patched += SPI_processed;
}

/*
 * Take the model's pending patches off the queue.  A patch queued against
 * an analysis that has changed since (the definition was replaced, source
 * DDL re-analysed it) cannot be trusted: *stale asks for a full refresh.
 */
List *
readmodel_take_patches(ReadModel *model, bool *stale)
{
	List	   *pending = readmodel_queue_pending_patches(model->relid);
	List	   *result = NIL;
	ListCell   *lc;

	*stale = false;
	foreach(lc, pending)
	{
		int			index = lfirst_int(lc);
		PatchTarget *target = NULL;
		Datum	   *values;
		int			nvalues;
		Oid			relid;
		AttrNumber	via;
		PendingPatch *patch;

		readmodel_queue_take_patch(model->relid, index, &values, &nvalues,
								   &relid, &via);
		if (index < list_length(model->analysis->patches))
			target = list_nth(model->analysis->patches, index);
		if (target == NULL || target->relid != relid || target->via_att != via)
		{
			*stale = true;
			continue;
		}
		if (nvalues == 0)
			continue;
		patch = palloc(sizeof(PendingPatch));
		patch->target = target;
		patch->nvalues = nvalues;
		patch->values = values;
		patch->arg = PointerGetDatum(readmodel_datum_array(values, nvalues,
														   target->via_type));
		result = lappend(result, patch);
	}
	return result;
}
