/*-------------------------------------------------------------------------
 *
 * capture.c
 *	  The capture trigger: statement-level AFTER INSERT/UPDATE/DELETE with
 *	  transition tables, and AFTER TRUNCATE, on every source table.
 *
 * One pass over the transition tables collects, per model and route, the
 * distinct start values of the rows whose read columns changed (compared by
 * binary image: 10.5 -> 10.50 is a change); each route is then followed
 * with one query per hop for the whole statement.  An UPDATE that changes
 * no column a model reads costs that model nothing beyond the comparison.
 *
 * A model that cannot be maintained (see maintainable.h) is not followed:
 * the first change that reaches it marks it stale in the catalog, with a
 * WARNING to the writer, whose write goes on.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "lib/stringinfo.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/tuplestore.h"
#include "utils/typcache.h"

#include "cache.h"
#include "capture.h"
#include "cascade.h"
#include "catalog.h"
#include "delta.h"
#include "keys.h"
#include "locks.h"
#include "partitions.h"
#include "queue.h"
#include "sandbox.h"
#include "suspend.h"
#include "stats.h"
#include "util.h"

PG_FUNCTION_INFO_V1(readmodel_capture);

/* set while a capture follows routes: its queries read as it left them */
static bool capturing = false;

/* A growable list of datums of one type. */
typedef struct ValueList
{
	Oid			type;
	int16		typlen;
	bool		typbyval;
	int			n;
	int			cap;
	Datum	   *values;
} ValueList;

/* What one statement collected for one model. */
typedef struct ModelCapture
{
	ReadModel  *model;
	ModelSource *msource;
	ValueList  *starts;			/* per route: start values */
	ValueList  *patches;		/* per patch target: via values */
	bool		full;			/* a change with no route: rebuild it */
	DeltaRun   *delta;			/* its rows are aggregate deltas, or NULL */
} ModelCapture;

typedef struct CaptureState
{
	SourceTable *source;
	int			nmodels;
	ModelCapture *models;
	int			nschemes;
	LockScheme **schemes;		/* how this statement's writes are locked */
	ValueList  *lockvals;		/* per scheme: written values */
	Oid			delta_owner;	/* whose settings deltas are evaluated with */
	bool		recompute_only; /* named rows (sync_source): no deltas */
} CaptureState;

static void
values_init(ValueList *list, Oid type)
{
	list->type = type;
	get_typlenbyval(type, &list->typlen, &list->typbyval);
	list->n = 0;
	list->cap = 0;
	list->values = NULL;
}

static void
values_add(ValueList *list, Datum value)
{
	if (list->n == list->cap)
	{
		list->cap = Max(16, list->cap * 2);
		list->values = list->values
			? repalloc(list->values, sizeof(Datum) * list->cap)
			: palloc(sizeof(Datum) * list->cap);
	}
	list->values[list->n++] = datumCopy(value, list->typbyval, list->typlen);
}

static void
values_add_attr(ValueList *list, TupleTableSlot *slot, AttrNumber att)
{
	if (slot != NULL && !slot->tts_isnull[att - 1])
		values_add(list, slot->tts_values[att - 1]);
}

/* The elements of an array column (its non-NULL ones). */
static void
values_add_elements(ValueList *list, TupleTableSlot *slot, AttrNumber att)
{
	ArrayType  *array;
	Datum	   *elems;
	bool	   *nulls;
	int16		typlen;
	bool		typbyval;
	char		typalign;
	int			n;
	int			i;

	if (slot == NULL || slot->tts_isnull[att - 1])
		return;
	array = DatumGetArrayTypeP(slot->tts_values[att - 1]);
	get_typlenbyvalalign(list->type, &typlen, &typbyval, &typalign);
	deconstruct_array(array, list->type, typlen, typbyval, typalign,
					  &elems, &nulls, &n);
	for (i = 0; i < n; i++)
		if (!nulls[i])
			values_add(list, elems[i]);
}

/* A root row's composite key (none if a key column is NULL). */
static void
values_add_key(ValueList *list, ReadModel *model, SourceRoute *route,
			   TupleTableSlot *slot)
{
	bool		isnull;
	Datum		key;

	if (slot == NULL)
		return;
	key = readmodel_key_from_slot(model, slot, route->key_recipe, route->key_tag,
								  &isnull);
	if (!isnull)
		values_add(list, key);
}

/* A root row as a value of the root's row type (start_rows routes). */
static void
values_add_row(ValueList *list, TupleTableSlot *slot)
{
	TupleDesc	desc;
	HeapTuple	tuple;

	if (slot == NULL)
		return;
	/* a partition's rows have the same columns, not the same type */
	desc = lookup_rowtype_tupdesc(list->type, -1);
	tuple = heap_form_tuple(desc, slot->tts_values, slot->tts_isnull);
	values_add(list, heap_copy_tuple_as_datum(tuple, desc));
	ReleaseTupleDesc(desc);
}

typedef struct HashedDatum
{
	uint32		hash;
	Datum		value;
} HashedDatum;

static int
compare_hashed(const void *a, const void *b)
{
	uint32		x = ((const HashedDatum *) a)->hash;
	uint32		y = ((const HashedDatum *) b)->hash;

	return (x > y) - (x < y);
}

/* Remove duplicates (equal images); order is not preserved. */
static void
values_dedupe(ValueList *list)
{
	HashedDatum *items;
	int			i,
				n = 0;

	if (list->n < 2)
		return;
	items = palloc(sizeof(HashedDatum) * list->n);
	for (i = 0; i < list->n; i++)
	{
		items[i].value = list->values[i];
		items[i].hash = readmodel_image_hash(list->values[i], list->typlen,
											 list->typbyval);
	}
	qsort(items, list->n, sizeof(HashedDatum), compare_hashed);
	for (i = 0; i < list->n; i++)
	{
		int			j;
		bool		seen = false;

		/* compare with the kept items of the same hash */
		for (j = n - 1; j >= 0 && items[j].hash == items[i].hash; j--)
			if (datum_image_eq(items[j].value, items[i].value,
							   list->typbyval, list->typlen))
			{
				seen = true;
				break;
			}
		if (!seen)
			items[n++] = items[i];
	}
	for (i = 0; i < n; i++)
		list->values[i] = items[i].value;
	list->n = n;
	pfree(items);
}

/* Changed, by binary image: 10.5 -> 10.50 is a change. */
static bool
attr_changed(TupleTableSlot *old, TupleTableSlot *new, AttrNumber att)
{
	Form_pg_attribute attr = TupleDescAttr(old->tts_tupleDescriptor, att - 1);
	bool		oldnull = old->tts_isnull[att - 1];
	bool		newnull = new->tts_isnull[att - 1];

	if (oldnull || newnull)
		return oldnull != newnull;
	return !datum_image_eq(old->tts_values[att - 1], new->tts_values[att - 1],
						   attr->attbyval, attr->attlen);
}

/* Did an UPDATE change anything this model reads? */
static bool
read_columns_changed(ModelSource *msource, TupleTableSlot *old,
					 TupleTableSlot *new)
{
	int			natts = old->tts_tupleDescriptor->natts;
	int			member = -1;

	while ((member = bms_next_member(msource->read_cols, member)) >= 0)
	{
		AttrNumber	att = member + FirstLowInvalidHeapAttributeNumber;

		if (att > 0 && att <= natts && attr_changed(old, new, att))
			return true;
	}
	return false;
}

/*
 * Did the UPDATE change only columns the model copies into documents at
 * patchable paths?  Then the rows can be patched instead of recomputed.
 */
static bool
only_patch_columns_changed(ModelSource *msource, TupleTableSlot *old,
						   TupleTableSlot *new)
{
	int			natts = old->tts_tupleDescriptor->natts;
	int			member = -1;

	if (!readmodel_enable_patch || msource->patches == NIL)
		return false;
	while ((member = bms_next_member(msource->read_cols, member)) >= 0)
	{
		AttrNumber	att = member + FirstLowInvalidHeapAttributeNumber;

		if (att <= 0 || att > natts)
			continue;
		if (!bms_is_member(att, msource->patch_cols) &&
			attr_changed(old, new, att))
			return false;
	}
	return true;
}

/* Does this change add or remove a join between this row and another? */
static bool
join_columns_changed(SourceTable *source, TupleTableSlot *old,
					 TupleTableSlot *new)
{
	int			att = -1;

	if (old == NULL || new == NULL)
		return true;
	while ((att = bms_next_member(source->edge_cols, att)) >= 0)
		if (attr_changed(old, new, att))
			return true;
	return false;
}

/*
 * Keep this model's changes of the source as aggregate deltas?  Conditions
 * are evaluated in one sandbox for the whole scan: of one owner only.
 */
static void
delta_init(CaptureState *state, ModelCapture *mc, Oid source)
{
	DeltaPlan  *plan;

	if (state->recompute_only || ModelQueuesKeysOnly(mc->model) ||
		list_length(mc->msource->routes) != 1 ||
		!readmodel_delta_captures(mc->model, source))
		return;
	plan = mc->model->analysis->delta;
	if (plan->evaluates)
	{
		if (OidIsValid(state->delta_owner) && state->delta_owner != mc->model->owner)
			return;
		state->delta_owner = mc->model->owner;
	}
	mc->delta = readmodel_delta_begin(mc->model, source);
}

/*
 * Set up the capture of `nrows` rows for the source's models; a suspended
 * model past its budget (suspend.c) is left out.
 */
static void
capture_init(CaptureState *state, SourceTable *source, TupleDesc desc, int64 nrows)
{
	ListCell   *lm,
			   *ls;
	int			i = 0;

	state->source = source;
	state->models = palloc0(sizeof(ModelCapture) * Max(list_length(source->models), 1));
	forboth(lm, source->models, ls, source->msources)
	{
		ModelCapture *mc;
		ListCell   *lr;
		int			r = 0;

		if (((ReadModel *) lfirst(lm))->suspended &&
			!readmodel_suspended_records(lfirst(lm), nrows))
			continue;
		mc = &state->models[i++];
		mc->model = lfirst(lm);
		mc->msource = lfirst(ls);
		mc->starts = palloc(sizeof(ValueList) * Max(list_length(mc->msource->routes), 1));
		foreach(lr, mc->msource->routes)
		{
			SourceRoute *route = lfirst(lr);

			/* a full route collects no values (any type will do) */
			values_init(&mc->starts[r++], route->full ? BOOLOID :
						route->start_key ? RECORDOID : route->start_type);
		}
		mc->patches = palloc(sizeof(ValueList) * Max(list_length(mc->msource->patches), 1));
		r = 0;
		foreach(lr, mc->msource->patches)
			values_init(&mc->patches[r++], ((PatchTarget *) lfirst(lr))->via_type);
		delta_init(state, mc, source->relid);
	}
	state->nmodels = i;
	state->nschemes = list_length(source->lock_schemes);
	state->schemes = palloc(sizeof(LockScheme *) * Max(state->nschemes, 1));
	state->lockvals = palloc(sizeof(ValueList) * Max(state->nschemes, 1));
	i = 0;
	foreach(ls, source->lock_schemes)
	{
		Oid			type;

		state->schemes[i] = lfirst(ls);
		type = TupleDescAttr(desc, state->schemes[i]->att - 1)->atttypid;
		values_init(&state->lockvals[i],
					state->schemes[i]->elements ? get_element_type(type) : type);
		i++;
	}
}

static void
delta_end(CaptureState *state)
{
	int			i;

	for (i = 0; i < state->nmodels; i++)
		if (state->models[i].delta != NULL)
			readmodel_delta_end(state->models[i].delta);
}

/* One changed row (old, new, or both for an UPDATE). */
static void
capture_row(CaptureState *state, TupleTableSlot *old, TupleTableSlot *new)
{
	bool		update = (old != NULL && new != NULL);
	int			i;

	if (state->nschemes > 0 && join_columns_changed(state->source, old, new))
	{
		for (i = 0; i < state->nschemes; i++)
		{
			if (state->schemes[i]->elements)
			{
				values_add_elements(&state->lockvals[i], old, state->schemes[i]->att);
				values_add_elements(&state->lockvals[i], new, state->schemes[i]->att);
				continue;
			}
			values_add_attr(&state->lockvals[i], old, state->schemes[i]->att);
			values_add_attr(&state->lockvals[i], new, state->schemes[i]->att);
		}
	}
	for (i = 0; i < state->nmodels; i++)
	{
		ModelCapture *mc = &state->models[i];
		ListCell   *lr;
		int			r = 0;

		if (update && !read_columns_changed(mc->msource, old, new))
			continue;			/* nothing this model reads changed */
		if (mc->delta != NULL)
		{
			readmodel_delta_row(mc->delta, old, -1);
			readmodel_delta_row(mc->delta, new, 1);
			continue;
		}
		/* the durable queues hold keys: no patches */
		if (update && !ModelQueuesKeysOnly(mc->model) &&
			only_patch_columns_changed(mc->msource, old, new))
		{
			foreach(lr, mc->msource->patches)
				values_add_attr(&mc->patches[r++], new,
								((PatchTarget *) lfirst(lr))->via_att);
			continue;
		}
		foreach(lr, mc->msource->routes)
		{
			SourceRoute *route = lfirst(lr);

			if (route->full)
				mc->full = true;
			else if (route->start_key)
			{
				values_add_key(&mc->starts[r], mc->model, route, old);
				values_add_key(&mc->starts[r], mc->model, route, new);
			}
			else if (route->start_rows)
			{
				values_add_row(&mc->starts[r], old);
				values_add_row(&mc->starts[r], new);
			}
			else if (route->start_elements)
			{
				values_add_elements(&mc->starts[r], old, route->start_att);
				values_add_elements(&mc->starts[r], new, route->start_att);
			}
			else
			{
				ListCell   *la;

				values_add_attr(&mc->starts[r], old, route->start_att);
				values_add_attr(&mc->starts[r], new, route->start_att);
				foreach(la, route->start_alt_atts)
				{
					values_add_attr(&mc->starts[r], old, lfirst_int(la));
					values_add_attr(&mc->starts[r], new, lfirst_int(la));
				}
			}
			r++;
		}
	}
}

/*
 * Read hop->relid where match OP any incoming value, emitting emit_att (or
 * the root's key).
 */
char *
readmodel_hop_sql(RouteHop *hop)
{
	char	   *match = psprintf("t.%s", readmodel_column_name(hop->relid, hop->match_att));
	StringInfoData emit;
	StringInfoData keep;

	initStringInfo(&emit);
	initStringInfo(&keep);
	if (hop->emit_key_atts == NIL)
	{
		appendStringInfo(&emit, "t.%s", readmodel_column_name(hop->relid, hop->emit_att));
		appendStringInfo(&keep, "%s IS NOT NULL", emit.data);
	}
	else
		readmodel_key_emit_sql(hop->relid, hop->emit_key_atts, hop->key_columns,
							   hop->key_filter, &emit, &keep);
	if (OidIsValid(hop->match_cast))
		match = psprintf("(%s)::%s", match, readmodel_type_name(hop->match_cast, -1));
	return psprintf("SELECT %s FROM %s t WHERE %s AND %s",
					emit.data, readmodel_source_scan(hop->relid),
					hop->match_overlap ?
					psprintf("%s OPERATOR(pg_catalog.&&) $1", match) :
					readmodel_any_qual(match, hop->opno),
					keep.data);
}

/* Compute the keys of changed root rows ($1, an array of its row type). */
char *
readmodel_rows_key_sql(SourceRoute *route, Oid root_relid)
{
	StringInfoData emit;
	StringInfoData keep;

	initStringInfo(&emit);
	initStringInfo(&keep);
	readmodel_key_emit_sql(root_relid, route->key_recipe, route->key_columns,
						   route->key_filter, &emit, &keep);
	return psprintf("SELECT %s FROM pg_catalog.unnest($1) t WHERE %s",
					emit.data, keep.data);
}

/* Collect the keys a route query returned. */
static void
collect_keys(ReadModel *model, List *recipe, List *key_columns, Const *tag,
			 ValueList *out, MemoryContext workcxt)
{
	MemoryContext old = MemoryContextSwitchTo(workcxt);
	uint64		i;

	values_init(out, readmodel_key_is_composite(model) ? RECORDOID : model->key_type);
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Datum		value = readmodel_key_from_result(model, recipe, key_columns, tag,
													  SPI_tuptable->vals[i],
													  SPI_tuptable->tupdesc, &isnull);

		if (!isnull)
			values_add(out, value);
	}
	MemoryContextSwitchTo(old);
	SPI_freetuptable(SPI_tuptable);
}

/* The keys of changed rows of `root`, computed by expressions. */
static void
run_rows_keys(SourceRoute *route, ReadModel *model, Oid root, ValueList *rows,
			  ValueList *out, MemoryContext workcxt)
{
	Datum		arg;
	SPIPlanPtr	plan = readmodel_keyed_plan(&route->rows_plan, rows->n);

	if (plan == NULL)
		plan = readmodel_keyed_plan_prepare(&route->rows_plan,
											readmodel_rows_key_sql(route, root),
											get_array_type(rows->type), rows->n);
	arg = PointerGetDatum(readmodel_datum_array(rows->values, rows->n, rows->type));
	if (readmodel_execute_keyed(plan, rows->n, &arg, false, false, false) != SPI_OK_SELECT)
		elog(ERROR, "key query failed");
	collect_keys(model, route->key_recipe, route->key_columns, route->key_tag,
				 out, workcxt);
}

/* Run a hop for the incoming values; return the emits. */
static void
run_hop(RouteHop *hop, ReadModel *model, ValueList *in, ValueList *out,
		MemoryContext workcxt)
{
	Datum		arg;
	uint64		i;
	MemoryContext old;
	SPIPlanPtr	plan = readmodel_keyed_plan(&hop->plan, in->n);

	if (plan == NULL)
		plan = readmodel_keyed_plan_prepare(&hop->plan, readmodel_hop_sql(hop),
											get_array_type(hop->in_type), in->n);

	arg = PointerGetDatum(readmodel_datum_array(in->values, in->n, hop->in_type));
	if (readmodel_execute_keyed(plan, in->n, &arg, false, false, false) != SPI_OK_SELECT)
		elog(ERROR, "route query failed");
	if (hop->emit_key_atts != NIL)
	{
		collect_keys(model, hop->emit_key_atts, hop->key_columns, hop->key_tag,
					 out, workcxt);
		return;
	}
	old = MemoryContextSwitchTo(workcxt);
	values_init(out, hop->emit_type);
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Datum		value = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc,
										  1, &isnull);

		if (!isnull)
			values_add(out, value);
	}
	MemoryContextSwitchTo(old);
	SPI_freetuptable(SPI_tuptable);
}

/* Follow a route from its start values and queue the keys it reaches. */
static int64
follow_route(ReadModel *model, SourceRoute *route, ValueList *start,
			 Oid source, int op, MemoryContext workcxt)
{
	ValueList  *current = start;
	ListCell   *lc;
	int			i;

	values_dedupe(current);
	if (current->n == 0)
		return 0;

	if (route->hops != NIL || route->start_rows)
	{
		Sandbox		sandbox;

		readmodel_sandbox_enter(&sandbox, model->owner);
		if (route->start_rows)
		{
			ValueList  *keys = MemoryContextAlloc(workcxt, sizeof(ValueList));

			/* a UNION ALL branch's root: the table whose rows these are */
			run_rows_keys(route, model, source, current, keys, workcxt);
			values_dedupe(keys);
			current = keys;
		}
		foreach(lc, route->hops)
		{
			RouteHop   *hop = lfirst(lc);
			ValueList  *next = MemoryContextAlloc(workcxt, sizeof(ValueList));

			readmodel_lock_route_values(hop->relid, &hop->lock, false,
										current->values, current->n);
			run_hop(hop, model, current, next, workcxt);
			values_dedupe(next);
			current = next;
			if (current->n == 0)
				break;
		}
		readmodel_sandbox_leave(&sandbox);
	}

	for (i = 0; i < current->n; i++)
		readmodel_queue_key(model, current->values[i], source, op);
	return current->n;
}

/* Queue the via values of rows whose copied columns changed. */
static int64
queue_patches(ModelCapture *mc, Oid source)
{
	ListCell   *lr;
	int			r = 0;
	int64		queued = 0;

	foreach(lr, mc->msource->patches)
	{
		ValueList  *values = &mc->patches[r++];
		PatchTarget *target = lfirst(lr);
		int			v;

		values_dedupe(values);
		/* like a mapper: wait for writers of the matched column now */
		if (OidIsValid(target->lock_relid))
			readmodel_lock_route_values(target->lock_relid, &target->lock, false,
										values->values, values->n);
		for (v = 0; v < values->n; v++)
			readmodel_queue_patch(mc->model, target, values->values[v], source);
		queued += values->n;
	}
	return queued;
}

/* Lock what this statement wrote, then follow every route and patch. */
static int64
capture_finish(CaptureState *state, int op, MemoryContext workcxt)
{
	Oid			relid = state->source->relid;
	int64		queued = 0;
	int			i;

	for (i = 0; i < state->nschemes; i++)
	{
		values_dedupe(&state->lockvals[i]);
		readmodel_lock_route_values(relid, state->schemes[i], true,
									state->lockvals[i].values,
									state->lockvals[i].n);
	}
	for (i = 0; i < state->nmodels; i++)
	{
		ModelCapture *mc = &state->models[i];
		ListCell   *lr;
		int			r = 0;

		if (mc->full)
			readmodel_queue_full(mc->model, relid, op);
		foreach(lr, mc->msource->routes)
			queued += follow_route(mc->model, lfirst(lr), &mc->starts[r++],
								   relid, op, workcxt);
		queued += queue_patches(mc, relid);
	}
	return queued;
}

static void
open_reader(Tuplestorestate *store)
{
	int			ptr = tuplestore_alloc_read_pointer(store, EXEC_FLAG_REWIND);

	tuplestore_copy_read_pointer(store, 0, ptr);
	tuplestore_select_read_pointer(store, ptr);
	tuplestore_rescan(store);
}

static TupleTableSlot *
next_row(Tuplestorestate *store, TupleTableSlot *slot)
{
	if (store == NULL || !tuplestore_gettupleslot(store, true, false, slot))
		return NULL;
	slot_getallattrs(slot);
	return slot;
}

/*
 * Transition rows in the source's row type: a partition's rows are
 * converted to its partitioned source's when their columns differ.
 */
typedef struct RowReader
{
	Tuplestorestate *store;
	TupleTableSlot *slot;		/* as stored */
	TupleTableSlot *converted;	/* in the source's row type, or NULL */
	TupleConversionMap *map;
} RowReader;

static void
reader_init(RowReader *reader, Tuplestorestate *store, TupleDesc desc,
			TupleConversionMap *map)
{
	reader->store = store;
	reader->map = map;
	reader->slot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
	reader->converted = map ? MakeSingleTupleTableSlot(map->outdesc, &TTSOpsVirtual) : NULL;
	if (store)
		open_reader(store);
}

static TupleTableSlot *
reader_next(RowReader *reader)
{
	TupleTableSlot *slot = next_row(reader->store, reader->slot);

	if (slot == NULL || reader->map == NULL)
		return slot;
	return execute_attr_map_slot(reader->map->attrMap, slot, reader->converted);
}

static void
reader_end(RowReader *reader)
{
	ExecDropSingleTupleTableSlot(reader->slot);
	if (reader->converted)
		ExecDropSingleTupleTableSlot(reader->converted);
}

/* Scan the transition tables once, then map what changed to keys. */
static int64
capture_rows(TriggerData *trig, SourceTable *source, int op,
			 MemoryContext workcxt)
{
	Relation	rel = trig->tg_relation;
	TupleConversionMap *map = RelationGetRelid(rel) == source->relid ? NULL :
		readmodel_member_map(rel, source->relid);
	RowReader	olds;
	RowReader	news;
	CaptureState state;
	Sandbox		sandbox;
	int64		queued;

	reader_init(&olds, (op & (RM_OP_UPDATE | RM_OP_DELETE)) ? trig->tg_oldtable : NULL,
				RelationGetDescr(rel), map);
	reader_init(&news, (op & (RM_OP_UPDATE | RM_OP_INSERT)) ? trig->tg_newtable : NULL,
				RelationGetDescr(rel), map);
	memset(&state, 0, sizeof(state));
	/* an UPDATE's old and new rows are mostly the same keys */
	capture_init(&state, source, map ? map->outdesc : RelationGetDescr(rel),
				 Max(olds.store ? tuplestore_tuple_count(olds.store) : 0,
					 news.store ? tuplestore_tuple_count(news.store) : 0));
	if (state.nmodels == 0)
	{
		/* only suspended models past their budget: nothing per row */
		reader_end(&olds);
		reader_end(&news);
		return 0;
	}
	if (OidIsValid(state.delta_owner))
		readmodel_sandbox_enter(&sandbox, state.delta_owner);
	for (;;)
	{
		TupleTableSlot *old = reader_next(&olds);
		TupleTableSlot *new = reader_next(&news);

		if (old == NULL && new == NULL)
			break;
		capture_row(&state, old, new);
	}
	if (OidIsValid(state.delta_owner))
		readmodel_sandbox_leave(&sandbox);
	delta_end(&state);
	queued = capture_finish(&state, op, workcxt);
	reader_end(&olds);
	reader_end(&news);
	return queued;
}

/* The lock schemes of `model`'s writers of `relid`. */
static List *
model_lock_schemes(ReadModel *model, Oid relid)
{
	List	   *schemes = NIL;
	ListCell   *lr,
			   *ls;

	forboth(lr, model->analysis->lock_relids, ls, model->analysis->lock_schemes)
		if (lfirst_oid(lr) == relid)
			schemes = lappend(schemes, lfirst(ls));
	return schemes;
}

/*
 * readmodel.sync_source(): rows of a source an application names, taken as
 * a capture takes inserted rows.  Their route columns are locked as their
 * writer's capture would lock them, so a concurrent mapper cannot miss
 * them; their routes are followed and the keys queued for a recompute.
 */
int64
readmodel_capture_named_rows(ReadModel *model, ModelSource *msource,
							 TupleDesc desc, HeapTupleHeader *rows, int nrows)
{
	SourceTable source;
	CaptureState state;
	MemoryContext workcxt;
	MemoryContext old;
	TupleTableSlot *slot;
	int64		queued;
	int			i;

	workcxt = AllocSetContextCreate(CurrentMemoryContext, "pg_readmodel sync",
									ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(workcxt);
	memset(&source, 0, sizeof(source));
	source.relid = msource->relid;
	source.models = list_make1(model);
	source.msources = list_make1(msource);
	source.lock_schemes = model_lock_schemes(model, msource->relid);
	memset(&state, 0, sizeof(state));
	state.recompute_only = true;
	capture_init(&state, &source, desc, nrows);
	slot = MakeSingleTupleTableSlot(desc, &TTSOpsHeapTuple);
	for (i = 0; i < nrows; i++)
	{
		HeapTupleData tuple;

		tuple.t_len = HeapTupleHeaderGetDatumLength(rows[i]);
		ItemPointerSetInvalid(&tuple.t_self);
		tuple.t_tableOid = InvalidOid;
		tuple.t_data = rows[i];
		ExecStoreHeapTuple(&tuple, slot, false);
		slot_getallattrs(slot);
		capture_row(&state, NULL, slot);
	}
	readmodel_spi_connect();
	queued = capture_finish(&state, RM_OP_SYNC, workcxt);
	readmodel_spi_finish();
	ExecDropSingleTupleTableSlot(slot);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(workcxt);
	return queued;
}

/*
 * A change reached a model that cannot be maintained: from now on it is
 * stale, until readmodel.refresh() rebuilds it.  The writer's own write
 * goes on (a source owner must not be blocked by a model she cannot fix).
 * With a catalog older than 0.4 there is nowhere to record it: fail.
 */
void
readmodel_miss_change(ReadModel *model)
{
	if (model->stale != NULL)
		return;
	if (!readmodel_catalog_tracks_staleness())
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("read model %s cannot be maintained", model->qualname),
				 errdetail("%s", model->broken),
				 errhint("Restore what its definition needs, or drop it with readmodel.drop().")));
	if (readmodel_catalog_mark_stale(model->relid, model->broken))
		ereport(WARNING,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("read model %s is no longer maintained", model->qualname),
				 errdetail("%s", model->broken),
				 errhint("Fix the cause, then rebuild it with readmodel.refresh('%s').",
						 model->qualname)));
	model->stale = model->broken;
}

bool
readmodel_capture_in_progress(void)
{
	return capturing;
}

static int
trigger_op(TriggerData *trig)
{
	if (TRIGGER_FIRED_BY_INSERT(trig->tg_event))
		return RM_OP_INSERT;
	if (TRIGGER_FIRED_BY_UPDATE(trig->tg_event))
		return RM_OP_UPDATE;
	if (TRIGGER_FIRED_BY_DELETE(trig->tg_event))
		return RM_OP_DELETE;
	return RM_OP_TRUNCATE;
}

static void
capture_statement(TriggerData *trig, SourceTable *source)
{
	ReadModelCounters delta;
	MemoryContext workcxt;
	MemoryContext old;
	int			op = trigger_op(trig);
	ListCell   *lc;

	memset(&delta, 0, sizeof(delta));
	delta.statements_captured = 1;
	workcxt = AllocSetContextCreate(CurrentMemoryContext,
									"pg_readmodel capture",
									ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(workcxt);
	if (op == RM_OP_TRUNCATE)
	{
		foreach(lc, source->models)
			readmodel_queue_full(lfirst(lc), source->relid, op);
	}
	else
	{
		readmodel_spi_connect();
		delta.keys_queued = capture_rows(trig, source, op, workcxt);
		readmodel_spi_finish();
		foreach(lc, source->models)
			if (((ReadModel *) lfirst(lc))->suspended)
				readmodel_suspended_check_budget(lfirst(lc));
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(workcxt);
	readmodel_stats_add(&delta);
}

static TupleTableSlot *
replicated_slot(TupleTableSlot *slot, TupleConversionMap *map)
{
	if (slot == NULL)
		return NULL;
	slot_getallattrs(slot);
	if (map == NULL)
		return slot;
	return execute_attr_map_slot(map->attrMap, slot,
								 MakeSingleTupleTableSlot(map->outdesc, &TTSOpsVirtual));
}

/*
 * A row a logical-replication apply worker wrote: it fires row triggers
 * only (option replicated).  Each row is captured alone, and its keys are
 * recomputed, never folded as deltas: a table's initial sync fires the
 * statement triggers too, for the same rows, and a recompute counts
 * nothing twice.
 */
static void
capture_replicated_row(TriggerData *trig, SourceTable *source)
{
	Relation	rel = trig->tg_relation;
	TupleConversionMap *map = RelationGetRelid(rel) == source->relid ? NULL :
		readmodel_member_map(rel, source->relid);
	int			op = trigger_op(trig);
	ReadModelCounters delta;
	CaptureState state;
	MemoryContext workcxt;
	MemoryContext old;

	memset(&delta, 0, sizeof(delta));
	delta.statements_captured = 1;
	workcxt = AllocSetContextCreate(CurrentMemoryContext, "pg_readmodel capture",
									ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(workcxt);
	memset(&state, 0, sizeof(state));
	state.recompute_only = true;
	capture_init(&state, source, map ? map->outdesc : RelationGetDescr(rel), 1);
	capture_row(&state,
				replicated_slot(op == RM_OP_INSERT ? NULL : trig->tg_trigslot, map),
				replicated_slot(op == RM_OP_INSERT ? trig->tg_trigslot :
								op == RM_OP_UPDATE ? trig->tg_newslot : NULL, map));
	readmodel_spi_connect();
	delta.keys_queued = capture_finish(&state, op, workcxt);
	readmodel_spi_finish();
	MemoryContextSwitchTo(old);
	MemoryContextDelete(workcxt);
	readmodel_stats_add(&delta);
}

Datum
readmodel_capture(PG_FUNCTION_ARGS)
{
	TriggerData *trig = (TriggerData *) fcinfo->context;
	SourceTable *source;
	ListCell   *lc;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(trig->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("readmodel.capture() must be fired AFTER ... FOR EACH STATEMENT, or FOR EACH ROW on a subscriber")));

	source = readmodel_lookup_source(RelationGetRelid(trig->tg_relation));
	if (source == NULL)
		return PointerGetDatum(NULL);
	foreach(lc, source->unmaintained)
		readmodel_miss_change(lfirst(lc));
	if (source->models == NIL)
		return PointerGetDatum(NULL);
	capturing = true;
	PG_TRY();
	{
		if (TRIGGER_FIRED_FOR_ROW(trig->tg_event))
			capture_replicated_row(trig, source);
		else
			capture_statement(trig, source);
	}
	PG_FINALLY();
	{
		capturing = false;
	}
	PG_END_TRY();
	if (readmodel_queue_has_pending(true))
		readmodel_apply_pending(true);
	return PointerGetDatum(NULL);
}
