/*-------------------------------------------------------------------------
 *
 * queue.c
 *	  The per-transaction queue of read-model keys to recompute.
 *
 * Keys are coalesced per model in a hash table, so a row updated a thousand
 * times in one transaction is recomputed once.  Each entry remembers the
 * subtransaction level at which it became pending and, once applied, the
 * level at which it was applied:
 *
 *	- a rolled back subtransaction discards keys that became pending in it,
 *	  because the source changes that queued them are gone;
 *	- a rolled back subtransaction that had applied keys (readmodel.flush(),
 *	  statement mode) also undid those read-model writes, so such keys are
 *	  pending again in the enclosing level;
 *	- committing a subtransaction moves its entries one level up.
 *
 * Everything lives in a child of TopTransactionContext and disappears with
 * the transaction.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "common/hashfn.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "delta.h"
#include "cache.h"
#include "queue.h"
#include "util.h"

/*
 * Where one piece of queued work (a key, or a model's full refresh) stands
 * against the open subtransactions.  Levels are transaction nest levels; 0
 * means none.
 */
typedef struct LevelState
{
	int			pending;		/* lowest level it is queued at, unapplied */
	int			applied;		/* level whose write applied it, while that
								 * write can still be rolled back */
	int			origin;			/* lowest level it was pending at when applied */
} LevelState;

typedef struct QueueEntry
{
	Datum		key;
	uint32		hash;
	char		status;			/* for simplehash */
	uint8		ops;			/* RM_OP_* of the capture that queued it */
	LevelState	state;
	Oid			source;			/* first source table that queued it */
	bool		recompute;		/* else every change is in acc */
	int			acc_level;		/* deepest level that added to acc */
	DeltaAcc   *acc;			/* aggregate deltas (delta.h), or NULL */
} QueueEntry;

typedef struct KeyTypeInfo
{
	int16		typlen;
	bool		typbyval;
} KeyTypeInfo;

static inline uint32 keyq_hash_key(void *private_data, Datum key);
static inline bool keyq_equal_key(void *private_data, Datum a, Datum b);

#define SH_PREFIX keyq
#define SH_ELEMENT_TYPE QueueEntry
#define SH_KEY_TYPE Datum
#define SH_KEY key
#define SH_HASH_KEY(tb, key) keyq_hash_key((tb)->private_data, key)
#define SH_EQUAL(tb, a, b) keyq_equal_key((tb)->private_data, a, b)
#define SH_STORE_HASH
#define SH_GET_HASH(tb, a) ((a)->hash)
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

/*
 * A model has one queue of keys to recompute (patch = -1) and one queue
 * per patch target of source key values whose copied columns changed.
 */
typedef struct ModelQueue
{
	Oid			model;
	int			patch;			/* PatchTarget index, or -1 */
	Oid			patch_relid;	/* the target's source and via column, to */
	AttrNumber	patch_via;		/* detect a model re-analysed meanwhile */
	bool		statement_mode;
	bool		deferred;		/* mode deferred: hidden unless shown */
	bool		suspended;		/* held for readmodel.suspended_queue */
	KeyTypeInfo keytype;
	keyq_hash  *keys;
	int64		npending;
	int			max_level;		/* deepest level any entry refers to */
	LevelState	full;			/* a full refresh, kept like a key */
	Oid			full_source;
	uint8		full_ops;
} ModelQueue;

static MemoryContext queue_context = NULL;
static List *model_queues = NIL;	/* ModelQueue * */

/*
 * Whether the work of models of mode deferred is pending like the rest: in
 * the deferred worker, and while flush() or sync() runs.  Otherwise it
 * waits for deferred.c to move it to the durable queue at commit.
 */
static bool show_deferred = false;

bool
readmodel_queue_show_deferred(bool show)
{
	bool		was = show_deferred;

	show_deferred = show;
	return was;
}

/* Whether the work of suspended models is pending: only to deferred.c. */
static bool show_suspended = false;

bool
readmodel_queue_show_suspended(bool show)
{
	bool		was = show_suspended;

	show_suspended = show;
	return was;
}

static bool
queue_visible(ModelQueue *queue, bool statement_mode_only)
{
	return (!statement_mode_only || queue->statement_mode) &&
		(show_deferred || !queue->deferred) &&
		(show_suspended || !queue->suspended);
}
static int64 queued_total = 0;	/* entries created in this transaction */

static inline uint32
keyq_hash_key(void *private_data, Datum key)
{
	KeyTypeInfo *info = private_data;

	return readmodel_image_hash(key, info->typlen, info->typbyval);
}

static inline bool
keyq_equal_key(void *private_data, Datum a, Datum b)
{
	KeyTypeInfo *info = private_data;

	return datum_image_eq(a, b, info->typbyval, info->typlen);
}

static void
level_queue(LevelState *state, int level)
{
	state->pending = state->pending ? Min(state->pending, level) : level;
}

/* It is being applied now, at `level`. */
static void
level_take(LevelState *state, int level)
{
	/* remember where the queuing came from, in case the apply is undone */
	state->origin = (state->applied > 0 && state->origin > 0)
		? Min(state->origin, state->pending) : state->pending;
	state->pending = 0;
	/* applied at top level: no subtransaction can undo it any more */
	state->applied = (level > 1) ? level : 0;
}

/* Subtransaction `level` ends. */
static void
level_subxact(LevelState *state, bool commit, int level)
{
	int			keep;

	if (commit)
	{
		if (state->pending == level)
			state->pending = level - 1;
		if (state->origin == level)
			state->origin = level - 1;
		if (state->applied == level)
			state->applied = (level - 1 > 1) ? level - 1 : 0;
		return;
	}

	/* queuings made inside the aborted level are gone with their changes */
	keep = (state->pending > 0 && state->pending < level) ? state->pending : 0;
	if (state->applied >= level)
	{
		/*
		 * The write that applied it was rolled back: pending again where it
		 * was originally queued, if that queuing survives the rollback.
		 */
		if (state->origin > 0 && state->origin < level)
			keep = keep ? Min(keep, state->origin) : state->origin;
		state->applied = 0;
		state->origin = 0;
	}
	state->pending = keep;
}

static ModelQueue *
find_queue(Oid model, int patch)
{
	ListCell   *lc;

	foreach(lc, model_queues)
	{
		ModelQueue *queue = lfirst(lc);

		if (queue->model == model && queue->patch == patch)
			return queue;
	}
	return NULL;
}

static ModelQueue *
queue_for(ReadModel *model, int patch, Oid keytype)
{
	ModelQueue *queue = find_queue(model->relid, patch);
	MemoryContext old;

	if (queue != NULL)
		return queue;
	if (queue_context == NULL)
		queue_context = AllocSetContextCreate(TopTransactionContext,
											  "pg_readmodel queue",
											  ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(queue_context);
	queue = palloc0(sizeof(ModelQueue));
	queue->model = model->relid;
	queue->patch = patch;
	queue->statement_mode = model->statement_mode;
	queue->deferred = model->deferred;
	queue->suspended = model->suspended;
	get_typlenbyval(keytype, &queue->keytype.typlen, &queue->keytype.typbyval);
	queue->keys = keyq_create(queue_context, 64, &queue->keytype);
	model_queues = lappend(model_queues, queue);
	MemoryContextSwitchTo(old);
	return queue;
}

static void
check_queue_limit(ReadModel *model)
{
	if (++queued_total > readmodel_max_queued_keys)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("transaction queued more than %d read-model keys",
						readmodel_max_queued_keys),
				 errdetail("The limit was reached while queuing keys of read model %s.",
						   model->qualname),
				 errhint("Raise readmodel.max_queued_keys, or split the change into smaller transactions.")));
}

/* Queue a key; *was_pending tells whether it was pending already. */
static QueueEntry *
queue_entry(ModelQueue *queue, ReadModel *model, Datum key, Oid source,
			int op, bool *was_pending)
{
	int			level = GetCurrentTransactionNestLevel();
	QueueEntry *entry;
	bool		found;

	entry = keyq_insert(queue->keys, key, &found);
	if (!found)
	{
		MemoryContext old = MemoryContextSwitchTo(queue_context);

		check_queue_limit(model);
		entry->key = datumCopy(key, queue->keytype.typbyval,
							   queue->keytype.typlen);
		MemoryContextSwitchTo(old);
		entry->ops = 0;
		memset(&entry->state, 0, sizeof(LevelState));
		entry->source = source;
		entry->recompute = true;
		entry->acc = NULL;
		entry->acc_level = 0;
	}
	if (entry->ops == 0)
		entry->ops = op;		/* why it was queued: the first capture */
	*was_pending = entry->state.pending > 0;
	if (!*was_pending)
		queue->npending++;
	level_queue(&entry->state, level);
	queue->max_level = Max(queue->max_level, level);
	return entry;
}

void
readmodel_queue_key(ReadModel *model, Datum key, Oid source, int op)
{
	bool		was_pending;

	queue_entry(queue_for(model, -1, model->key_type), model, key, source, op,
				&was_pending)->recompute = true;
}

/*
 * Queue a key whose changes are aggregate deltas: returns its accumulator
 * (allocated in *keep, where its values go too), or NULL when the key is
 * recomputed anyway.
 */
DeltaAcc *
readmodel_queue_delta(ReadModel *model, Datum key, Oid source, MemoryContext *keep)
{
	DeltaPlan  *plan = model->analysis->delta;
	ModelQueue *queue = queue_for(model, -1, model->key_type);
	bool		was_pending;
	QueueEntry *entry = queue_entry(queue, model, key, source, RM_OP_UPDATE,
									&was_pending);

	/* pending again after an apply: the applied part is in the state */
	if (!was_pending)
	{
		entry->recompute = false;
		entry->acc = NULL;
	}
	if (entry->recompute)
		return NULL;
	if (entry->acc == NULL)
		entry->acc = MemoryContextAllocZero(queue_context, DeltaAccSize(plan));
	else if (entry->acc->plan_id != plan->id)
	{
		/* re-analysed meanwhile: the accumulator's layout is not the plan's */
		entry->recompute = true;
		return NULL;
	}
	entry->acc->plan_id = plan->id;
	entry->acc_level = Max(entry->acc_level, GetCurrentTransactionNestLevel());
	*keep = queue_context;
	return entry->acc;
}

/* The copied columns of source row `value` (its via column) changed. */
void
readmodel_queue_patch(ReadModel *model, PatchTarget *target, Datum value,
					  Oid source)
{
	ModelQueue *queue = queue_for(model, target->index, target->via_type);
	bool		was_pending;

	queue->patch_relid = target->relid;
	queue->patch_via = target->via_att;
	queue_entry(queue, model, value, source, RM_OP_UPDATE, &was_pending);
}

void
readmodel_queue_full(ReadModel *model, Oid source, int op)
{
	ModelQueue *queue = queue_for(model, -1, model->key_type);
	int			level = GetCurrentTransactionNestLevel();

	if (queue->full.pending == 0)
		queue->full_source = source;
	level_queue(&queue->full, level);
	queue->full_ops |= op;
	queue->max_level = Max(queue->max_level, level);
}

static bool
queue_has_pending(ModelQueue *queue)
{
	return queue->npending > 0 || queue->full.pending > 0;
}

bool
readmodel_queue_has_pending(bool statement_mode_only)
{
	ListCell   *lc;

	foreach(lc, model_queues)
	{
		ModelQueue *queue = lfirst(lc);

		if (queue_visible(queue, statement_mode_only) && queue_has_pending(queue))
			return true;
	}
	return false;
}

int64
readmodel_queue_size(void)
{
	ListCell   *lc;
	int64		total = 0;

	foreach(lc, model_queues)
		total += ((ModelQueue *) lfirst(lc))->npending;
	return total;
}

/*
 * Release held work whose model is no longer suspended: the suspension was
 * rolled back with a savepoint, or resumed.  Held queues are rare.
 */
void
readmodel_queue_release_held(void)
{
	ListCell   *lc;

	foreach(lc, model_queues)
	{
		ModelQueue *queue = lfirst(lc);
		ReadModel  *model;

		if (!queue->suspended)
			continue;
		model = readmodel_lookup_model(queue->model);
		if (model == NULL || !model->suspended)
			queue->suspended = false;
	}
}

/* The keys queued for `model` in this transaction, and whether a rebuild is. */
int64
readmodel_queue_model_keys(Oid model, bool *full)
{
	ModelQueue *queue = find_queue(model, -1);

	*full = (queue != NULL && queue->full.pending > 0);
	return queue ? queue->npending : 0;
}

List *
readmodel_queue_pending_models(bool statement_mode_only)
{
	ListCell   *lc;
	List	   *result = NIL;

	foreach(lc, model_queues)
	{
		ModelQueue *queue = lfirst(lc);

		if (queue_visible(queue, statement_mode_only) && queue_has_pending(queue))
			result = list_append_unique_oid(result, queue->model);
	}
	return result;
}

/* Patch targets of `model` with pending values, as PatchTarget indexes. */
List *
readmodel_queue_pending_patches(Oid model)
{
	ListCell   *lc;
	List	   *result = NIL;

	foreach(lc, model_queues)
	{
		ModelQueue *queue = lfirst(lc);

		if (queue->model == model && queue->patch >= 0 &&
			queue_has_pending(queue))
			result = lappend_int(result, queue->patch);
	}
	return result;
}

/*
 * Hand out a model's pending keys (palloc'd in the caller's context), the
 * keys to recompute apart from those with deltas, and mark them applied at
 * the current level.  work->full says a full refresh is due instead, in
 * which case every pending key is marked applied too.
 */
static bool
take_queue(ModelQueue *queue, ModelWork *work)
{
	int			level = GetCurrentTransactionNestLevel();
	keyq_iterator it;
	QueueEntry *entry;

	memset(work, 0, sizeof(ModelWork));
	if (queue == NULL || !queue_has_pending(queue))
		return false;

	/* a rollback of this level must find what was applied in it */
	queue->max_level = Max(queue->max_level, level);
	work->full = queue->full.pending > 0;
	if (work->full)
		level_take(&queue->full, level);
	if (queue->npending > 0)
	{
		work->keys = palloc(sizeof(Datum) * queue->npending);
		work->delta_keys = palloc(sizeof(Datum) * queue->npending);
		work->deltas = palloc(sizeof(DeltaAcc *) * queue->npending);
	}

	keyq_start_iterate(queue->keys, &it);
	while ((entry = keyq_iterate(queue->keys, &it)) != NULL)
	{
		if (entry->state.pending == 0)
			continue;
		if (entry->recompute || entry->acc == NULL)
			work->keys[work->nkeys++] = entry->key;
		else
		{
			work->delta_keys[work->ndeltas] = entry->key;
			work->deltas[work->ndeltas++] = entry->acc;
		}
		/* the next delta starts from what this apply leaves in the state */
		entry->acc = NULL;
		level_take(&entry->state, level);
	}
	Assert(work->nkeys + work->ndeltas == queue->npending);
	queue->npending = 0;
	if (level <= 1)
		keyq_reset(queue->keys);
	return true;
}

/* Take every queue of a model that no longer exists, applying nothing. */
void
readmodel_queue_take_all(Oid model)
{
	ListCell   *lc;

	foreach(lc, model_queues)
	{
		ModelQueue *queue = lfirst(lc);
		ModelWork	work;

		if (queue->model == model)
			take_queue(queue, &work);
	}
}

/*
 * Hold the work of a model that was suspended since it was queued (or
 * release it: resumed), for readmodel.suspended_queue.  Patch values are
 * not keys: held, they become a rebuild.
 */
void
readmodel_queue_hold(ReadModel *model, bool hold)
{
	ListCell   *lc;
	bool		patches = false;

	foreach(lc, model_queues)
	{
		ModelQueue *queue = lfirst(lc);
		ModelWork	work;

		if (queue->model != model->relid)
			continue;
		queue->suspended = hold;
		if (hold && queue->patch >= 0)
			patches |= take_queue(queue, &work);
	}
	if (patches)
	{
		readmodel_queue_full(model, model->relid, RM_OP_SYNC);
		find_queue(model->relid, -1)->suspended = true;
	}
}

bool
readmodel_queue_take(Oid model, ModelWork *work)
{
	return take_queue(find_queue(model, -1), work);
}

bool
readmodel_queue_take_patch(Oid model, int patch, Datum **values, int *nvalues,
						   Oid *relid, AttrNumber *via)
{
	ModelQueue *queue = find_queue(model, patch);
	ModelWork	work;
	bool		taken;

	*relid = queue ? queue->patch_relid : InvalidOid;
	*via = queue ? queue->patch_via : InvalidAttrNumber;
	taken = take_queue(queue, &work);
	*values = work.keys;
	*nvalues = work.nkeys;
	return taken;
}

/*
 * A rolled back level undid part of what an accumulator holds, or a fold
 * of one: recompute the key, if it stays pending.
 */
static void
subxact_delta(QueueEntry *entry, bool commit, int level)
{
	if (commit)
	{
		if (entry->acc_level == level)
			entry->acc_level = level - 1;
		return;
	}
	if (entry->acc_level >= level || entry->state.applied >= level)
		entry->recompute = true;
	entry->acc_level = Min(entry->acc_level, level - 1);
}

void
readmodel_queue_subxact(bool commit, int level)
{
	ListCell   *lc;

	foreach(lc, model_queues)
	{
		ModelQueue *queue = lfirst(lc);
		keyq_iterator it;
		QueueEntry *entry;
		List	   *dead = NIL;
		ListCell   *ld;

		if (queue->max_level < level)
			continue;

		keyq_start_iterate(queue->keys, &it);
		while ((entry = keyq_iterate(queue->keys, &it)) != NULL)
		{
			bool		was_pending = entry->state.pending > 0;

			subxact_delta(entry, commit, level);
			level_subxact(&entry->state, commit, level);
			queue->npending += (entry->state.pending > 0) - (was_pending ? 1 : 0);
			if (entry->state.pending == 0 && entry->state.applied == 0)
				dead = lappend(dead, entry);
		}
		foreach(ld, dead)
			keyq_delete_item(queue->keys, lfirst(ld));
		list_free(dead);

		level_subxact(&queue->full, commit, level);

		queue->max_level = level - 1;
	}
}

void
readmodel_queue_reset(void)
{
	/* the memory goes with TopTransactionContext */
	queue_context = NULL;
	model_queues = NIL;
	queued_total = 0;
}

void
readmodel_queue_visit(QueueVisitor visitor, void *arg)
{
	ListCell   *lc;

	foreach(lc, model_queues)
	{
		ModelQueue *queue = lfirst(lc);
		keyq_iterator it;
		QueueEntry *entry;

		if (queue->full.pending > 0)
			visitor(queue->model, -1, (Datum) 0, true, queue->full_source,
					queue->full_ops, arg);
		keyq_start_iterate(queue->keys, &it);
		while ((entry = keyq_iterate(queue->keys, &it)) != NULL)
		{
			if (entry->state.pending > 0)
				visitor(queue->model, queue->patch, entry->key, false,
						entry->source, entry->ops, arg);
		}
	}
}
