/*-------------------------------------------------------------------------
 *
 * model_cache.c
 *	  The per-backend cache of declared read models (see cache.h).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "access/xact.h"
#include "miscadmin.h"
#include "rewrite/rewriteHandler.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "analysis.h"
#include "delta.h"
#include "cache.h"
#include "catalog.h"
#include "keys.h"
#include "maintainable.h"
#include "partitions.h"
#include "sandbox.h"
#include "util.h"

typedef struct ModelCache
{
	MemoryContext context;
	HTAB	   *models;			/* Oid -> ModelEntry */
	HTAB	   *sources;		/* Oid -> SourceEntry */
	HTAB	   *watched;		/* Oid -> Oid: relations whose DDL matters */
	List	   *watched_objects;	/* syscache hash values of functions and
									 * types definitions use (int list) */
	List	   *model_list;		/* ReadModel * */
	bool		watch_all;		/* a model could not be analysed: which
								 * relations it reads is unknown */
} ModelCache;

typedef struct ModelEntry
{
	Oid			relid;
	ReadModel  *model;
} ModelEntry;

typedef struct SourceEntry
{
	Oid			relid;
	SourceTable *source;
} SourceEntry;

static ModelCache *cache = NULL;
static bool cache_valid = false;
static List *retired = NIL;		/* ModelCache *, freed at transaction end */

void
readmodel_invalidate_cache(void)
{
	cache_valid = false;
	readmodel_catalog_forget();
}

static void
relcache_callback(Datum arg, Oid relid)
{
	if (!OidIsValid(relid) || relid == readmodel_catalog_relid_known())
		readmodel_invalidate_cache();
	else if (cache_valid && cache != NULL &&
			 (cache->watch_all ||
			  hash_search(cache->watched, &relid, HASH_FIND, NULL)))
		cache_valid = false;
}

/* Schemas and roles: any change (renames, memberships, BYPASSRLS). */
static void
syscache_any_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	cache_valid = false;
}

/* Functions and types: only those a definition uses. */
static void
syscache_object_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	if (!cache_valid || cache == NULL)
		return;
	if (hashvalue == 0 ||
		list_member_int(cache->watched_objects, (int) hashvalue))
		cache_valid = false;
}

void
readmodel_cache_init(void)
{
	CacheRegisterRelcacheCallback(relcache_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(NAMESPACEOID, syscache_any_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHOID, syscache_any_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHMEMROLEMEM, syscache_any_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(OPEROID, syscache_any_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(PROCOID, syscache_object_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(TYPEOID, syscache_object_callback, (Datum) 0);
}

static void
free_plans(ReadModel *model)
{
	ListCell   *ls;

	readmodel_keyed_plan_free(&model->apply_plan);
	readmodel_keyed_plan_free(&model->fold_plan);
	readmodel_keyed_plan_free(&model->state_plan);
	readmodel_keyed_plan_free(&model->fill_plan);
	if (model->analysis == NULL)
		return;
	foreach(ls, model->analysis->patches)
	{
		PatchTarget *target = lfirst(ls);

		readmodel_keyed_plan_free(&target->keys_plan);
		readmodel_keyed_plan_free(&target->plan);
	}
	foreach(ls, model->analysis->sources)
	{
		ModelSource *source = lfirst(ls);
		ListCell   *lr;

		foreach(lr, source->routes)
		{
			ListCell   *lh;

			readmodel_keyed_plan_free(&((SourceRoute *) lfirst(lr))->rows_plan);
			foreach(lh, ((SourceRoute *) lfirst(lr))->hops)
				readmodel_keyed_plan_free(&((RouteHop *) lfirst(lh))->plan);
		}
	}
}

void
readmodel_cache_xact_end(void)
{
	ListCell   *lc;

	foreach(lc, retired)
	{
		ModelCache *old = lfirst(lc);
		ListCell   *lm;

		foreach(lm, old->model_list)
			free_plans(lfirst(lm));
		MemoryContextDelete(old->context);
	}
	list_free(retired);
	retired = NIL;
}

static void
watch(ModelCache *c, Oid relid)
{
	(void) hash_search(c->watched, &relid, HASH_ENTER, NULL);
}

static void
watch_objects(ModelCache *c, int cacheid, List *oids)
{
	ListCell   *lc;

	foreach(lc, oids)
		c->watched_objects = lappend_int(c->watched_objects,
										 (int) GetSysCacheHashValue1(cacheid,
																	 ObjectIdGetDatum(lfirst_oid(lc))));
}

/*
 * The partitions of a partitioned source capture for it: they map to its
 * entry (whose relid tells the capture to convert their rows).
 */
static void
index_partitions(ModelCache *c, SourceTable *source)
{
	ListCell   *lc;

	foreach(lc, readmodel_partition_members(source->relid))
	{
		Oid			member = lfirst_oid(lc);
		SourceEntry *entry = hash_search(c->sources, &member, HASH_ENTER, NULL);

		entry->source = source;
		watch(c, member);
	}
}

static SourceTable *
source_entry(ModelCache *c, Oid relid)
{
	bool		found;
	SourceEntry *entry = hash_search(c->sources, &relid, HASH_ENTER, &found);

	if (!found)
	{
		entry->source = palloc0(sizeof(SourceTable));
		entry->source->relid = relid;
		index_partitions(c, entry->source);
	}
	return entry->source;
}

static void
set_key_operators(ReadModel *model)
{
	TypeCacheEntry *tc = lookup_type_cache(model->key_type,
										   TYPECACHE_EQ_OPR | TYPECACHE_HASH_PROC);

	if (!OidIsValid(tc->eq_opr))
		elog(ERROR, "key type %s has no default equality operator",
			 format_type_be(model->key_type));
	model->key_eq_opr = tc->eq_opr;
	model->key_hash_fn = tc->hash_proc;
	get_typlenbyval(model->key_type, &model->key_typlen, &model->key_typbyval);
}

/* A model being loaded from its catalog row. */
typedef struct ModelLoad
{
	ReadModel  *model;
	CatalogRow *row;
} ModelLoad;

/* Analyse one model as its owner; errors mean it cannot be maintained. */
static void
analyze_model(void *arg)
{
	ReadModel  *model = ((ModelLoad *) arg)->model;
	CatalogRow *row = ((ModelLoad *) arg)->row;
	Sandbox		sandbox;
	Relation	view;
	Query	   *query;

	readmodel_sandbox_enter(&sandbox, model->owner);
	view = relation_open(row->viewid, AccessShareLock);
	query = copyObject(get_view_query(view));
	relation_close(view, AccessShareLock);

	model->analysis = readmodel_analyze(query, row->viewid, row->keycol,
										model->qualname, model->owner,
										row->refresh_strategy);
	model->key_type = model->analysis->key_type;
	model->key_collation = model->analysis->key_collation;
	set_key_operators(model);
	readmodel_key_init(model, GetMemoryChunkContext(model));
	/* deltas need their state table, as this plan lays it out */
	if (model->analysis->delta == NULL || !OidIsValid(row->state) ||
		!readmodel_delta_state_fits(model, row->state))
		model->analysis->delta = NULL;
	else
		model->state_relid = row->state;
	readmodel_sandbox_leave(&sandbox);
}

/* Can its owner maintain it now (privileges, row security, triggers)? */
static void
check_model(void *arg)
{
	ReadModel  *model = ((ModelLoad *) arg)->model;
	Sandbox		sandbox;

	readmodel_sandbox_enter(&sandbox, model->owner);
	readmodel_check_maintainable(model, !model->manual);
	readmodel_sandbox_leave(&sandbox);
}

static ReadModel *
new_model(CatalogRow *row)
{
	ReadModel  *model = palloc0(sizeof(ReadModel));

	model->relid = row->relid;
	model->viewid = row->viewid;
	model->owner = readmodel_relation_owner(row->relid);
	model->qualname = readmodel_relation_name(row->relid);
	model->view_qualname = readmodel_relation_name(row->viewid);
	model->key_name = pstrdup(row->keycol);
	model->statement_mode = (strcmp(row->mode, "statement") == 0);
	model->manual = (strcmp(row->mode, "manual") == 0);
	model->deferred = (strcmp(row->mode, "deferred") == 0);
	model->feed = row->feed;
	model->versioned = row->versioned;
	model->notify_channel = row->notify_channel ? pstrdup(row->notify_channel) : NULL;
	model->stale = row->stale_reason ? pstrdup(row->stale_reason) : NULL;
	return model;
}

/*
 * Suspended, do its writers record keys for resume()?  Not where capture
 * cannot map them (broken, window partitions), in mode manual, or with a
 * catalog older than 0.8.
 */
static bool
records_while_suspended(ReadModel *model)
{
	return (ModelStaleReasonIs(model, READMODEL_SUSPENDED) ||
			ModelStaleReasonIs(model, READMODEL_BUILDING)) &&
		model->broken == NULL && model->analysis != NULL &&
		model->analysis->unit_columns == NIL && !model->manual &&
		readmodel_catalog_has_suspended_queue();
}

/*
 * A model whose definition can no longer be analysed (a source lost its
 * primary key) has no analysis; one its owner cannot maintain now (a
 * privilege was revoked) keeps it.  Either is broken, and every other
 * model keeps working.
 */
static ReadModel *
load_model_guarded(ModelCache *c, CatalogRow *row)
{
	MemoryContext old = MemoryContextSwitchTo(c->context);
	ModelLoad	load = {new_model(row), row};

	MemoryContextSwitchTo(old);
	/* everything is allocated in the cache's context, messages too */
	load.model->broken = readmodel_run_guarded(analyze_model, &load, c->context);
	if (load.model->broken != NULL)
		load.model->analysis = NULL;
	else
		load.model->broken = readmodel_run_guarded(check_model, &load, c->context);
	load.model->suspended = records_while_suspended(load.model);
	return load.model;
}

static void
index_lock_schemes(ModelCache *c, ModelAnalysis *analysis)
{
	ListCell   *lr,
			   *ls;

	forboth(lr, analysis->lock_relids, ls, analysis->lock_schemes)
	{
		SourceTable *source = source_entry(c, lfirst_oid(lr));
		LockScheme *scheme = lfirst(ls);
		ListCell   *lc;
		bool		known = false;

		foreach(lc, source->lock_schemes)
		{
			LockScheme *other = lfirst(lc);

			known |= (other->att == scheme->att && other->salt == scheme->salt &&
					  other->col_hash_fn == scheme->col_hash_fn &&
					  other->collation == scheme->collation);
		}
		if (!known)
			source->lock_schemes = lappend(source->lock_schemes, scheme);
	}
}

static void
index_model(ModelCache *c, ReadModel *model)
{
	ModelAnalysis *analysis = model->analysis;
	ListCell   *ls,
			   *la;

	watch(c, model->relid);
	watch(c, model->viewid);
	watch_objects(c, PROCOID, analysis->functions);
	watch_objects(c, TYPEOID, analysis->types);
	foreach(ls, analysis->views)
		watch(c, lfirst_oid(ls));
	foreach(ls, analysis->sources)
	{
		ModelSource *msource = lfirst(ls);
		SourceTable *source = source_entry(c, msource->relid);

		watch(c, msource->relid);
		if (model->manual)
			continue;			/* its sources' writes are not captured */
		if (ModelIsMaintained(model) || model->suspended)
		{
			source->models = lappend(source->models, model);
			source->msources = lappend(source->msources, msource);
		}
		else
			source->unmaintained = lappend(source->unmaintained, model);
	}
	if (model->manual)
		return;					/* sync_source() locks as its writers would */
	index_lock_schemes(c, analysis);
	forboth(ls, analysis->edge_relids, la, analysis->edge_attnos)
	{
		SourceTable *source = source_entry(c, lfirst_oid(ls));

		source->edge_cols = bms_add_member(source->edge_cols, lfirst_int(la));
	}
}

/* A broken model is not maintained on the sources the catalog lists. */
static void
index_broken_model(ModelCache *c, ReadModel *model, List *sources)
{
	ListCell   *lc;

	watch(c, model->relid);
	watch(c, model->viewid);
	/* e.g. a view it reads was replaced by a change that may roll back */
	if (model->analysis == NULL)
		c->watch_all = true;
	else
		foreach(lc, model->analysis->views)
			watch(c, lfirst_oid(lc));
	foreach(lc, sources)
	{
		SourceTable *source = source_entry(c, lfirst_oid(lc));

		watch(c, lfirst_oid(lc));
		source->unmaintained = lappend(source->unmaintained, model);
	}
}

/*
 * depth = 1 + the depth of the deepest read model a model reads.  Apply
 * runs models in increasing depth, so a model is recomputed after every
 * model it reads.  Declarations cannot form cycles; should the catalog hold
 * one anyway, depths stop growing past the number of models and apply
 * refuses them through max_cascade_depth.
 */
static void
compute_depths(ModelCache *c)
{
	int			limit = list_length(c->model_list) + 1;
	bool		changed = true;
	ListCell   *lm;

	foreach(lm, c->model_list)
		((ReadModel *) lfirst(lm))->depth = 1;
	while (changed && limit-- > 0)
	{
		changed = false;
		foreach(lm, c->model_list)
		{
			ReadModel  *model = lfirst(lm);
			ListCell   *ls;

			if (model->analysis == NULL)
				continue;
			foreach(ls, model->analysis->sources)
			{
				Oid			relid = ((ModelSource *) lfirst(ls))->relid;
				ModelEntry *entry = hash_search(c->models, &relid, HASH_FIND, NULL);

				if (entry && entry->model->depth + 1 > model->depth)
				{
					model->depth = entry->model->depth + 1;
					changed = true;
				}
			}
		}
	}
}

static ModelCache *
new_cache(MemoryContext context)
{
	ModelCache *c = MemoryContextAllocZero(context, sizeof(ModelCache));
	HASHCTL		ctl;

	c->context = context;
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(Oid);
	ctl.hcxt = context;
	ctl.entrysize = sizeof(ModelEntry);
	c->models = hash_create("pg_readmodel models", 16, &ctl,
							HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	ctl.entrysize = sizeof(SourceEntry);
	c->sources = hash_create("pg_readmodel sources", 16, &ctl,
							 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	ctl.entrysize = sizeof(Oid);
	c->watched = hash_create("pg_readmodel watched relations", 16, &ctl,
							 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	return c;
}

static void
add_model(ModelCache *c, CatalogRow *row)
{
	ReadModel  *model = load_model_guarded(c, row);
	MemoryContext old = MemoryContextSwitchTo(c->context);
	ModelEntry *entry = hash_search(c->models, &row->relid, HASH_ENTER, NULL);

	entry->model = model;
	c->model_list = lappend(c->model_list, model);
	if (model->analysis != NULL)
		index_model(c, model);
	else
		index_broken_model(c, model, row->sources);
	MemoryContextSwitchTo(old);
}

/*
 * Build a cache in a context of its own, made a child of the caller's
 * context first, so that an error frees it with everything else, and of
 * CacheMemoryContext once complete.
 */
static ModelCache *
build_cache(void)
{
	MemoryContext context = AllocSetContextCreate(CurrentMemoryContext,
												  "pg_readmodel model cache",
												  ALLOCSET_DEFAULT_SIZES);
	ModelCache *c = new_cache(context);
	ListCell   *lc;

	if (OidIsValid(readmodel_catalog_relid(true)))
	{
		List	   *rows = readmodel_catalog_rows();

		foreach(lc, rows)
		{
			CatalogRow *row = lfirst(lc);

			/* a model whose table or view is gone is being dropped right now */
			if (get_rel_relkind(row->relid) == '\0' ||
				get_rel_relkind(row->viewid) == '\0')
				continue;
			add_model(c, row);
		}
		compute_depths(c);
	}
	MemoryContextSetParent(context, CacheMemoryContext);
	return c;
}

static ModelCache *
current_cache(void)
{
	if (cache_valid && cache != NULL)
		return cache;
	if (cache != NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		retired = lappend(retired, cache);
		MemoryContextSwitchTo(old);
	}
	cache = NULL;
	/* Set first: an invalidation arriving while we build marks it stale. */
	cache_valid = true;
	PG_TRY();
	{
		cache = build_cache();
	}
	PG_CATCH();
	{
		cache_valid = false;
		PG_RE_THROW();
	}
	PG_END_TRY();
	return cache;
}

ReadModel *
readmodel_lookup_model(Oid relid)
{
	ModelCache *c = current_cache();
	ModelEntry *entry = hash_search(c->models, &relid, HASH_FIND, NULL);

	return entry ? entry->model : NULL;
}

SourceTable *
readmodel_lookup_source(Oid relid)
{
	ModelCache *c = current_cache();
	SourceEntry *entry = hash_search(c->sources, &relid, HASH_FIND, NULL);

	return entry ? entry->source : NULL;
}

List *
readmodel_all_models(void)
{
	return current_cache()->model_list;
}
