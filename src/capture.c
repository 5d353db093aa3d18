/*-------------------------------------------------------------------------
 *
 * capture.c
 *	  The capture trigger: statement-level AFTER INSERT/UPDATE/DELETE with
 *	  transition tables, and AFTER TRUNCATE, on every source table.
 *
 * One pass over the transition tables collects, per model and route, the
 * distinct start values of the rows whose read columns changed; each route
 * is then followed with one query per hop for the whole statement.  An
 * UPDATE that changes no column a model reads costs that model nothing
 * beyond the comparison.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/trigger.h"
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
#include "utils/snapmgr.h"
#include "utils/tuplestore.h"

#include "pg_readmodel.h"

PG_FUNCTION_INFO_V1(readmodel_capture);

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
		items[i].hash = readmodel_hash_datum(list->values[i], list->typlen,
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

	if (msource->reads_whole_row)
	{
		AttrNumber	att;

		for (att = 1; att <= natts; att++)
			if (!TupleDescAttr(old->tts_tupleDescriptor, att - 1)->attisdropped &&
				attr_changed(old, new, att))
				return true;
		return false;
	}
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

	if (!readmodel_enable_patch || msource->patches == NIL ||
		msource->reads_whole_row)
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

static ArrayType *
values_array(ValueList *list)
{
	int16		typlen;
	bool		typbyval;
	char		typalign;

	get_typlenbyvalalign(list->type, &typlen, &typbyval, &typalign);
	return construct_array(list->values, list->n, list->type, typlen,
						   typbyval, typalign);
}

/* Read hop->relid where match = ANY(in) and return the distinct emits. */
static void
run_hop(RouteHop *hop, ValueList *in, ValueList *out, MemoryContext workcxt)
{
	Datum		arg;
	uint64		i;
	MemoryContext old;
	SPIPlanPtr	plan = readmodel_keyed_plan(&hop->plan, in->n);

	if (plan == NULL)
	{
		Oid			argtype = get_array_type(hop->in_type);
		char	   *relname = quote_qualified_identifier(get_namespace_name(get_rel_namespace(hop->relid)),
														 get_rel_name(hop->relid));
		const char *match = quote_identifier(get_attname(hop->relid, hop->match_att, false));
		const char *emit = quote_identifier(get_attname(hop->relid, hop->emit_att, false));

		if (!OidIsValid(argtype))
			elog(ERROR, "type %s has no array type", format_type_be(hop->in_type));
		plan = readmodel_keyed_plan_prepare(&hop->plan,
											psprintf("SELECT DISTINCT t.%s FROM ONLY %s t WHERE t.%s = ANY($1) AND t.%s IS NOT NULL",
													 emit, relname, match, emit),
											argtype, in->n);
	}

	arg = PointerGetDatum(values_array(in));
	if (readmodel_execute_keyed(plan, in->n, &arg, false, false, false) != SPI_OK_SELECT)
		elog(ERROR, "route query failed");

	old = MemoryContextSwitchTo(workcxt);
	values_init(out, hop->emit_type);
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Datum		value = SPI_getbinval(SPI_tuptable->vals[i],
										  SPI_tuptable->tupdesc, 1, &isnull);

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

	if (route->hops != NIL)
	{
		Oid			save_userid;
		int			save_sec;
		int			nestlevel;

		readmodel_enter_maintenance(model->owner, &nestlevel, &save_userid,
									&save_sec);
		foreach(lc, route->hops)
		{
			RouteHop   *hop = lfirst(lc);
			ValueList  *next = MemoryContextAlloc(workcxt, sizeof(ValueList));

			readmodel_lock_route_values(hop->relid, hop->match_att,
										hop->in_type, current->values,
										current->n, false);
			run_hop(hop, current, next, workcxt);
			current = next;
			if (current->n == 0)
				break;
		}
		readmodel_leave_maintenance(nestlevel, save_userid, save_sec);
	}

	for (i = 0; i < current->n; i++)
		readmodel_queue_key(model, current->values[i], source, op);
	return current->n;
}

static void
open_reader(Tuplestorestate *store)
{
	int			ptr = tuplestore_alloc_read_pointer(store, EXEC_FLAG_REWIND);

	tuplestore_copy_read_pointer(store, 0, ptr);
	tuplestore_select_read_pointer(store, ptr);
	tuplestore_rescan(store);
}

/*
 * Scan the transition tables once; collect route start values per model
 * and the join-column values writers must lock.
 */
static int64
capture_rows(TriggerData *trig, SourceTable *source, int op,
			 MemoryContext workcxt)
{
	Relation	rel = trig->tg_relation;
	TupleDesc	desc = RelationGetDescr(rel);
	Tuplestorestate *olds = (op & (RM_OP_UPDATE | RM_OP_DELETE)) ? trig->tg_oldtable : NULL;
	Tuplestorestate *news = (op & (RM_OP_UPDATE | RM_OP_INSERT)) ? trig->tg_newtable : NULL;
	TupleTableSlot *oslot = olds ? MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple) : NULL;
	TupleTableSlot *nslot = news ? MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple) : NULL;
	int			nmodels = list_length(source->models);
	ValueList **starts = palloc0(sizeof(ValueList *) * nmodels);
	ValueList **patches = palloc0(sizeof(ValueList *) * nmodels);
	int			nhopcols = bms_num_members(source->hop_cols);
	ValueList  *lockvals = palloc0(sizeof(ValueList) * Max(nhopcols, 1));
	int			i,
				member;
	int64		queued = 0;
	ListCell   *lm,
			   *ls;

	for (i = 0, member = -1; (member = bms_next_member(source->hop_cols, member)) >= 0; i++)
		values_init(&lockvals[i], TupleDescAttr(desc, member - 1)->atttypid);
	i = 0;
	forboth(lm, source->models, ls, source->msources)
	{
		ModelSource *msource = lfirst(ls);
		ListCell   *lr;
		int			r = 0;

		starts[i] = palloc(sizeof(ValueList) * list_length(msource->routes));
		foreach(lr, msource->routes)
			values_init(&starts[i][r++], ((SourceRoute *) lfirst(lr))->start_type);
		patches[i] = palloc(sizeof(ValueList) * Max(list_length(msource->patches), 1));
		r = 0;
		foreach(lr, msource->patches)
			values_init(&patches[i][r++], ((PatchTarget *) lfirst(lr))->via_type);
		i++;
	}

	if (olds)
		open_reader(olds);
	if (news)
		open_reader(news);

	for (;;)
	{
		TupleTableSlot *old = NULL;
		TupleTableSlot *new = NULL;

		if (olds && tuplestore_gettupleslot(olds, true, false, oslot))
		{
			slot_getallattrs(oslot);
			old = oslot;
		}
		if (news && tuplestore_gettupleslot(news, true, false, nslot))
		{
			slot_getallattrs(nslot);
			new = nslot;
		}
		if (old == NULL && new == NULL)
			break;

		if (nhopcols > 0 && join_columns_changed(source, old, new))
		{
			for (i = 0, member = -1; (member = bms_next_member(source->hop_cols, member)) >= 0; i++)
			{
				values_add_attr(&lockvals[i], old, member);
				values_add_attr(&lockvals[i], new, member);
			}
		}

		i = 0;
		forboth(lm, source->models, ls, source->msources)
		{
			ModelSource *msource = lfirst(ls);
			ListCell   *lr;
			int			r = 0;
			bool		update = (old != NULL && new != NULL);
			bool		changed = !update || read_columns_changed(msource, old, new);

			if (!changed)
			{
				/* nothing this model reads changed */
			}
			else if (update && only_patch_columns_changed(msource, old, new))
			{
				foreach(lr, msource->patches)
					values_add_attr(&patches[i][r++], new,
									((PatchTarget *) lfirst(lr))->via_att);
			}
			else
			{
				foreach(lr, msource->routes)
				{
					SourceRoute *route = lfirst(lr);

					values_add_attr(&starts[i][r], old, route->start_att);
					values_add_attr(&starts[i][r], new, route->start_att);
					r++;
				}
			}
			i++;
		}
	}

	for (i = 0, member = -1; (member = bms_next_member(source->hop_cols, member)) >= 0; i++)
	{
		values_dedupe(&lockvals[i]);
		readmodel_lock_route_values(source->relid, member, lockvals[i].type,
									lockvals[i].values, lockvals[i].n, true);
	}

	i = 0;
	forboth(lm, source->models, ls, source->msources)
	{
		ModelSource *msource = lfirst(ls);
		ListCell   *lr;
		int			r = 0;

		foreach(lr, msource->routes)
		{
			queued += follow_route(lfirst(lm), lfirst(lr), &starts[i][r],
								   source->relid, op, workcxt);
			r++;
		}
		r = 0;
		foreach(lr, msource->patches)
		{
			ValueList  *values = &patches[i][r++];
			PatchTarget *target = lfirst(lr);
			int			v;

			values_dedupe(values);
			/* like a mapper: wait for writers of the matched column now */
			if (OidIsValid(target->lock_relid))
				readmodel_lock_route_values(target->lock_relid, target->lock_att,
											target->via_type, values->values,
											values->n, false);
			for (v = 0; v < values->n; v++)
				readmodel_queue_patch(lfirst(lm), target, values->values[v],
									  source->relid);
			queued += values->n;
		}
		i++;
	}

	if (oslot)
		ExecDropSingleTupleTableSlot(oslot);
	if (nslot)
		ExecDropSingleTupleTableSlot(nslot);
	return queued;
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

Datum
readmodel_capture(PG_FUNCTION_ARGS)
{
	TriggerData *trig = (TriggerData *) fcinfo->context;
	SourceTable *source;
	ReadModelCounters delta;
	MemoryContext workcxt;
	MemoryContext old;
	int			op;

	if (!CALLED_AS_TRIGGER(fcinfo) ||
		!TRIGGER_FIRED_AFTER(trig->tg_event) ||
		!TRIGGER_FIRED_FOR_STATEMENT(trig->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("readmodel.capture() must be fired AFTER ... FOR EACH STATEMENT")));

	source = readmodel_lookup_source(RelationGetRelid(trig->tg_relation));
	if (source != NULL && source->broken != NIL)
		readmodel_check_not_broken(linitial(source->broken));
	if (source == NULL || source->models == NIL)
		return PointerGetDatum(NULL);

	op = trigger_op(trig);
	memset(&delta, 0, sizeof(delta));
	delta.statements_captured = 1;

	workcxt = AllocSetContextCreate(CurrentMemoryContext,
									"pg_readmodel capture",
									ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(workcxt);
	if (op == RM_OP_TRUNCATE)
	{
		ListCell   *lc;

		foreach(lc, source->models)
			readmodel_queue_full(lfirst(lc), source->relid, op);
	}
	else
	{
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		delta.keys_queued = capture_rows(trig, source, op, workcxt);
		SPI_finish();
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(workcxt);
	readmodel_stats_add(&delta);

	if (readmodel_queue_has_pending(true))
		readmodel_apply_pending(true);
	return PointerGetDatum(NULL);
}
