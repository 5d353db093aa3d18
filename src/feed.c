/*-------------------------------------------------------------------------
 *
 * feed.c
 *	  The change feed: the keys of the model rows a transaction changed,
 *	  for readmodel.changes() and, at commit, a NOTIFY per model (options
 *	  "feed" and "notify").
 *
 * A model with a feed has statement-level AFTER INSERT/UPDATE/DELETE
 * triggers with transition tables on its own table (readmodel.feed()).
 * Every write to the table is maintenance (the write guard refuses the
 * others), and maintenance writes only rows whose image changes, so the
 * rows in the transition tables are exactly the changes, whichever path
 * wrote them: a recompute, a patch, a fold, a rebuild.
 *
 * The keys are kept per transaction as text, with the subtransaction level
 * that wrote them: a rolled-back savepoint takes its keys with it.  The
 * text of a key is its output (a composite key: a JSON array of its
 * columns' outputs), computed as the model's owner with the pinned
 * settings, so a session's DateStyle cannot change it.
 *
 * At commit, after the queue is applied, each model with option notify
 * gets NOTIFY <channel>, '{"model": ..., "changed": [...], "deleted":
 * [...]}', in as many notifications as the 8000-byte payload limit needs.
 * A prepared transaction sends none: PostgreSQL refuses NOTIFY there.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/async.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/tuplestore.h"

#include "cache.h"
#include "cascade.h"
#include "catalog.h"
#include "feed.h"
#include "keys.h"
#include "sandbox.h"
#include "util.h"

PG_FUNCTION_INFO_V1(readmodel_feed);
PG_FUNCTION_INFO_V1(readmodel_changes);

/* leave room in the 8000-byte payload for the model's name and brackets */
#define FEED_PAYLOAD_KEYS 7000

typedef struct FeedEntry
{
	char	   *key;			/* its text */
	bool		deleted;		/* the write removed the row */
	int			level;			/* subtransaction level that wrote it */
} FeedEntry;

typedef struct FeedModel
{
	Oid			model;
	bool		composite;		/* keys are JSON arrays */
	List	   *entries;		/* FeedEntry *, in write order */
} FeedModel;

static List *feed_models = NIL;
static MemoryContext feed_context = NULL;

static MemoryContext
feed_memory(void)
{
	if (feed_context == NULL)
		feed_context = AllocSetContextCreate(TopTransactionContext,
											 "pg_readmodel feed",
											 ALLOCSET_DEFAULT_SIZES);
	return feed_context;
}

static FeedModel *
feed_for(Oid model)
{
	ListCell   *lc;
	FeedModel  *feed;
	MemoryContext old;

	foreach(lc, feed_models)
		if (((FeedModel *) lfirst(lc))->model == model)
			return lfirst(lc);
	old = MemoryContextSwitchTo(feed_memory());
	feed = palloc0(sizeof(FeedModel));
	feed->model = model;
	feed_models = lappend(feed_models, feed);
	MemoryContextSwitchTo(old);
	return feed;
}

/* The model table's key columns; returns how many. */
static int
key_attnums(ReadModel *model, AttrNumber *atts, int max)
{
	ListCell   *lc;
	int			n = 0;

	foreach(lc, readmodel_key_parse(model->key_name))
		if (n < max)
			atts[n++] = get_attnum(model->relid, strVal(lfirst(lc)));
	return n;
}

static char *
column_text(TupleTableSlot *slot, AttrNumber att)
{
	Oid			typoutput;
	bool		isvarlena;
	bool		isnull;
	Datum		value = slot_getattr(slot, att, &isnull);

	if (isnull)
		return NULL;
	getTypeOutputInfo(TupleDescAttr(slot->tts_tupleDescriptor, att - 1)->atttypid,
					  &typoutput, &isvarlena);
	return OidOutputFunctionCall(typoutput, value);
}

/* A key's text: its output, or for several columns a JSON array of them. */
static char *
key_text(TupleTableSlot *slot, AttrNumber *atts, int n)
{
	StringInfoData buf;
	int			i;

	if (n == 1)
		return column_text(slot, atts[0]);
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '[');
	for (i = 0; i < n; i++)
	{
		char	   *text = column_text(slot, atts[i]);

		if (i > 0)
			appendStringInfoString(&buf, ", ");
		if (text == NULL)
			appendStringInfoString(&buf, "null");
		else
			escape_json(&buf, text);
	}
	appendStringInfoChar(&buf, ']');
	return buf.data;
}

/* Add the keys of the rows in `store` to the feed. */
static void
collect(FeedModel *feed, ReadModel *model, Tuplestorestate *store,
		TupleDesc desc, bool deleted)
{
	AttrNumber	atts[INDEX_MAX_KEYS];
	int			n = key_attnums(model, atts, INDEX_MAX_KEYS);
	TupleTableSlot *slot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
	int			ptr = tuplestore_alloc_read_pointer(store, EXEC_FLAG_REWIND);
	int			level = GetCurrentTransactionNestLevel();

	/* a read pointer of our own: the capture trigger reads these rows too */
	tuplestore_copy_read_pointer(store, 0, ptr);
	tuplestore_select_read_pointer(store, ptr);
	tuplestore_rescan(store);
	feed->composite = (n > 1);
	while (tuplestore_gettupleslot(store, true, false, slot))
	{
		char	   *key = key_text(slot, atts, n);
		MemoryContext old;
		FeedEntry  *entry;

		if (key == NULL)
			continue;
		old = MemoryContextSwitchTo(feed_memory());
		entry = palloc(sizeof(FeedEntry));
		entry->key = pstrdup(key);
		entry->deleted = deleted;
		entry->level = level;
		feed->entries = lappend(feed->entries, entry);
		MemoryContextSwitchTo(old);
	}
	ExecDropSingleTupleTableSlot(slot);
}

/*
 * readmodel.feed(): AFTER INSERT/UPDATE/DELETE ... FOR EACH STATEMENT with
 * transition tables, on the table of a model with a feed.
 */
Datum
readmodel_feed(PG_FUNCTION_ARGS)
{
	TriggerData *trig = (TriggerData *) fcinfo->context;
	ReadModel  *model;
	bool		deleted;
	Tuplestorestate *store;
	Sandbox		sandbox;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(trig->tg_event) ||
		!TRIGGER_FIRED_FOR_STATEMENT(trig->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("readmodel.feed() must be fired AFTER ... FOR EACH STATEMENT")));
	model = readmodel_lookup_model(RelationGetRelid(trig->tg_relation));
	deleted = TRIGGER_FIRED_BY_DELETE(trig->tg_event);
	store = deleted ? trig->tg_oldtable : trig->tg_newtable;
	if (model == NULL || store == NULL)
		return PointerGetDatum(NULL);
	/* key outputs (dates, timestamps) with the owner's pinned settings */
	readmodel_sandbox_enter(&sandbox, model->owner);
	collect(feed_for(model->relid), model, store,
			RelationGetDescr(trig->tg_relation), deleted);
	readmodel_sandbox_leave(&sandbox);
	return PointerGetDatum(NULL);
}

/* A savepoint's keys go with its rollback, or up a level with its release. */
void
readmodel_feed_subxact(bool commit, int level)
{
	ListCell   *lf;

	foreach(lf, feed_models)
	{
		FeedModel  *feed = lfirst(lf);
		ListCell   *le;

		foreach(le, feed->entries)
		{
			FeedEntry  *entry = lfirst(le);

			if (entry->level < level)
				continue;
			if (commit)
				entry->level = level - 1;
			else
				feed->entries = foreach_delete_current(feed->entries, le);
		}
	}
}

void
readmodel_feed_reset(void)
{
	feed_models = NIL;
	feed_context = NULL;		/* deleted with TopTransactionContext */
}

typedef struct Ordered
{
	FeedEntry  *entry;
	int			position;
} Ordered;

static int
compare_ordered(const void *a, const void *b)
{
	const Ordered *x = a;
	const Ordered *y = b;
	int			c = strcmp(x->entry->key, y->entry->key);

	return c != 0 ? c : (x->position > y->position) - (x->position < y->position);
}

/* One entry per key, in key order: its last write says whether it is gone. */
static List *
final_entries(FeedModel *feed)
{
	int			n = list_length(feed->entries);
	Ordered    *all = palloc(sizeof(Ordered) * Max(n, 1));
	List	   *result = NIL;
	ListCell   *lc;
	int			i = 0;

	foreach(lc, feed->entries)
	{
		all[i].entry = lfirst(lc);
		all[i].position = i;
		i++;
	}
	qsort(all, n, sizeof(Ordered), compare_ordered);
	for (i = 0; i < n; i++)
		if (i + 1 == n || strcmp(all[i].entry->key, all[i + 1].entry->key) != 0)
			result = lappend(result, all[i].entry);
	return result;
}

static void
notify_one(ReadModel *model, StringInfo changed, StringInfo deleted)
{
	StringInfoData payload;

	initStringInfo(&payload);
	appendStringInfoString(&payload, "{\"model\": ");
	escape_json(&payload, model->qualname);
	appendStringInfo(&payload, ", \"changed\": [%s], \"deleted\": [%s]}",
					 changed->data, deleted->data);
	Async_Notify(model->notify_channel, payload.data);
	resetStringInfo(changed);
	resetStringInfo(deleted);
}

/* NOTIFY the model's channel with its changed keys, in payloads that fit. */
static void
notify_model(ReadModel *model, FeedModel *feed)
{
	StringInfoData changed;
	StringInfoData deleted;
	ListCell   *lc;

	initStringInfo(&changed);
	initStringInfo(&deleted);
	foreach(lc, final_entries(feed))
	{
		FeedEntry  *entry = lfirst(lc);
		StringInfo	into = entry->deleted ? &deleted : &changed;
		StringInfoData json;

		initStringInfo(&json);
		if (feed->composite)
			appendStringInfoString(&json, entry->key);
		else
			escape_json(&json, entry->key);
		if (json.len > FEED_PAYLOAD_KEYS)
			continue;			/* no payload can hold it: see docs */
		if (changed.len + deleted.len + json.len + 2 > FEED_PAYLOAD_KEYS)
			notify_one(model, &changed, &deleted);
		appendStringInfo(into, "%s%s", into->len ? ", " : "", json.data);
	}
	if (changed.len + deleted.len > 0)
		notify_one(model, &changed, &deleted);
}

/* Just before COMMIT, after the queue is applied. */
void
readmodel_feed_at_commit(bool prepare)
{
	ListCell   *lc;

	if (prepare)
		return;					/* PostgreSQL refuses NOTIFY in a prepared transaction */
	foreach(lc, feed_models)
	{
		FeedModel  *feed = lfirst(lc);
		ReadModel  *model = readmodel_lookup_model(feed->model);

		if (model != NULL && model->notify_channel != NULL && feed->entries != NIL)
			notify_model(model, feed);
	}
}

/*
 * readmodel.changes(): the keys of the model rows this transaction changed
 * so far, in the models with a feed the caller may read; the queued work
 * is applied first, as flush() does.
 */
Datum
readmodel_changes(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ListCell   *lf;

	(void) readmodel_apply_everything();
	InitMaterializedSRF(fcinfo, 0);
	foreach(lf, feed_models)
	{
		FeedModel  *feed = lfirst(lf);
		ListCell   *le;

		if (get_rel_relkind(feed->model) == '\0' || !readmodel_may_see_model(feed->model))
			continue;
		foreach(le, final_entries(feed))
		{
			FeedEntry  *entry = lfirst(le);
			Datum		values[3];
			bool		nulls[3] = {false, false, false};

			values[0] = ObjectIdGetDatum(feed->model);
			values[1] = CStringGetTextDatum(entry->key);
			values[2] = BoolGetDatum(entry->deleted);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	return (Datum) 0;
}
