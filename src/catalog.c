/*-------------------------------------------------------------------------
 *
 * catalog.c
 *	  Per-backend cache of declared read models, built from the catalog
 *	  table readmodel.model and the analysis of each model's definition
 *	  view.
 *
 * The cache is rebuilt lazily after a relcache invalidation of the catalog
 * table, a model table, a definition view or a source table (DDL on any of
 * them, and readmodel.create/drop, which invalidate the catalog table
 * explicitly).  A superseded cache may still be referenced further up the
 * stack, so it is kept until the end of the transaction and freed then,
 * together with its prepared plans.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "rewrite/rewriteHandler.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "catalog/pg_class.h"
#include "access/htup_details.h"

#include "pg_readmodel.h"

typedef struct ModelCache
{
	MemoryContext context;
	HTAB	   *models;			/* Oid -> ModelEntry */
	HTAB	   *sources;		/* Oid -> SourceEntry */
	HTAB	   *watched;		/* Oid -> Oid: relations whose DDL matters */
	List	   *model_list;		/* ReadModel * */
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
static Oid	catalog_relid = InvalidOid;

static void
relcache_callback(Datum arg, Oid relid)
{
	if (!cache_valid)
		return;
	if (!OidIsValid(relid) || relid == catalog_relid ||
		(cache != NULL && hash_search(cache->watched, &relid, HASH_FIND, NULL)))
		cache_valid = false;
}

void
readmodel_cache_init(void)
{
	CacheRegisterRelcacheCallback(relcache_callback, (Datum) 0);
}

void
readmodel_invalidate_cache(void)
{
	cache_valid = false;
	catalog_relid = InvalidOid;
}

Oid
readmodel_catalog_relid(bool missing_ok)
{
	Oid			nsp;

	if (OidIsValid(catalog_relid) && cache_valid)
		return catalog_relid;
	nsp = get_namespace_oid(READMODEL_SCHEMA, true);
	catalog_relid = OidIsValid(nsp) ? get_relname_relid(READMODEL_CATALOG, nsp)
		: InvalidOid;
	if (!OidIsValid(catalog_relid) && !missing_ok)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("extension \"pg_readmodel\" is not installed in this database")));
	return catalog_relid;
}

static void
free_plans(ReadModel *model)
{
	ListCell   *ls;

	if (model->broken)
		return;
	readmodel_keyed_plan_free(&model->apply_plan);
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
			SourceRoute *route = lfirst(lr);
			ListCell   *lh;

			foreach(lh, route->hops)
			{
				RouteHop   *hop = lfirst(lh);

				readmodel_keyed_plan_free(&hop->plan);
			}
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

static SourceTable *
source_entry(ModelCache *c, Oid relid)
{
	bool		found;
	SourceEntry *entry = hash_search(c->sources, &relid, HASH_ENTER, &found);

	if (!found)
	{
		entry->source = palloc0(sizeof(SourceTable));
		entry->source->relid = relid;
	}
	return entry->source;
}

Oid
readmodel_relation_owner(Oid relid)
{
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			owner;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tuple))->relowner;
	ReleaseSysCache(tuple);
	return owner;
}

/* Build one model from its catalog row; runs in the cache context. */
static ReadModel *
load_model(ModelCache *c, Oid relid, Oid viewid, const char *keycol,
		   const char *mode)
{
	ReadModel  *model = palloc0(sizeof(ReadModel));
	Relation	view;
	Query	   *query;

	model->relid = relid;
	model->viewid = viewid;
	model->owner = readmodel_relation_owner(relid);
	model->qualname = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
												 get_rel_name(relid));
	model->view_qualname = quote_qualified_identifier(get_namespace_name(get_rel_namespace(viewid)),
													  get_rel_name(viewid));
	model->key_name = pstrdup(keycol);
	model->statement_mode = (strcmp(mode, "statement") == 0);

	view = relation_open(viewid, AccessShareLock);
	query = copyObject(get_view_query(view));
	relation_close(view, AccessShareLock);

	model->analysis = readmodel_analyze(query, viewid, keycol, model->qualname);
	model->key_type = model->analysis->key_type;
	get_typlenbyval(model->key_type, &model->key_typlen, &model->key_typbyval);
	return model;
}

static void
index_model(ModelCache *c, ReadModel *model)
{
	ModelAnalysis *analysis = model->analysis;
	ListCell   *ls,
			   *lr,
			   *la;

	watch(c, model->relid);
	watch(c, model->viewid);
	foreach(ls, analysis->sources)
	{
		ModelSource *msource = lfirst(ls);
		SourceTable *source = source_entry(c, msource->relid);

		watch(c, msource->relid);
		source->models = lappend(source->models, model);
		source->msources = lappend(source->msources, msource);
		foreach(lr, msource->routes)
		{
			SourceRoute *route = lfirst(lr);
			ListCell   *lh;

			foreach(lh, route->hops)
			{
				RouteHop   *hop = lfirst(lh);
				SourceTable *read = source_entry(c, hop->relid);

				read->hop_cols = bms_add_member(read->hop_cols, hop->match_att);
			}
		}
	}
	foreach(lr, analysis->patches)
	{
		PatchTarget *target = lfirst(lr);

		/* writers of the column a patch matches rows by must lock it */
		if (OidIsValid(target->lock_relid))
		{
			SourceTable *read = source_entry(c, target->lock_relid);

			read->hop_cols = bms_add_member(read->hop_cols, target->lock_att);
		}
	}
	forboth(lr, analysis->edge_relids, la, analysis->edge_attnos)
	{
		SourceTable *source = source_entry(c, lfirst_oid(lr));

		source->edge_cols = bms_add_member(source->edge_cols, lfirst_int(la));
	}
}

/* A broken model blocks writes to the sources the catalog lists for it. */
static void
index_broken_model(ModelCache *c, ReadModel *model, char *sources)
{
	char	   *tok;
	char	   *save = NULL;

	watch(c, model->relid);
	watch(c, model->viewid);
	for (tok = strtok_r(sources, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
	{
		Oid			relid = (Oid) strtoul(tok, NULL, 10);
		SourceTable *source = source_entry(c, relid);

		watch(c, relid);
		source->broken = lappend(source->broken, model);
	}
}

typedef struct CatalogRow
{
	Oid			relid;
	Oid			viewid;
	char	   *keycol;
	char	   *mode;
	char	   *sources;		/* comma-separated OIDs */
} CatalogRow;

/*
 * Load a model inside a subtransaction: a model whose definition can no
 * longer be analysed (say, a source lost its primary key) is kept as
 * broken, so that writes to its own sources fail with the reason while
 * every other model keeps working.
 */
static ReadModel *
load_model_guarded(ModelCache *c, CatalogRow *row)
{
	MemoryContext caller = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	ReadModel  *model = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(c->context);
	PG_TRY();
	{
		model = load_model(c, row->relid, row->viewid, row->keycol, row->mode);
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(c->context);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		model = palloc0(sizeof(ReadModel));
		model->relid = row->relid;
		model->viewid = row->viewid;
		model->qualname = quote_qualified_identifier(get_namespace_name(get_rel_namespace(row->relid)),
													 get_rel_name(row->relid));
		model->broken = edata->message;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(caller);
	CurrentResourceOwner = owner;
	return model;
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

			if (model->broken)
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
build_cache(void)
{
	ModelCache *c;
	MemoryContext context;
	MemoryContext old;
	HASHCTL		ctl;
	bool		pushed = false;
	uint64		i;
	uint64		nrows;
	CatalogRow *rows;

	context = AllocSetContextCreate(CacheMemoryContext,
									"pg_readmodel model cache",
									ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(context);
	c = palloc0(sizeof(ModelCache));
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
	MemoryContextSwitchTo(old);

	if (!OidIsValid(readmodel_catalog_relid(true)))
		return c;

	if (!ActiveSnapshotSet())
	{
		PushActiveSnapshot(GetTransactionSnapshot());
		pushed = true;
	}
	SPI_connect();
	if (SPI_execute("SELECT relid::oid, viewid::oid, keycol::text, mode, "
					"array_to_string(sources::oid[], ',') "
					"FROM readmodel.model ORDER BY relid",
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read readmodel.model");
	nrows = SPI_processed;
	rows = MemoryContextAlloc(context, sizeof(CatalogRow) * Max(nrows, 1));
	for (i = 0; i < nrows; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;

		rows[i].relid = DatumGetObjectId(SPI_getbinval(tuple, desc, 1, &isnull));
		rows[i].viewid = DatumGetObjectId(SPI_getbinval(tuple, desc, 2, &isnull));
		rows[i].keycol = MemoryContextStrdup(context, SPI_getvalue(tuple, desc, 3));
		rows[i].mode = MemoryContextStrdup(context, SPI_getvalue(tuple, desc, 4));
		rows[i].sources = MemoryContextStrdup(context, SPI_getvalue(tuple, desc, 5));
	}
	SPI_finish();

	for (i = 0; i < nrows; i++)
	{
		ReadModel  *model;
		ModelEntry *entry;

		/* a model whose table or view is gone is being dropped right now */
		if (get_rel_relkind(rows[i].relid) == '\0' ||
			get_rel_relkind(rows[i].viewid) == '\0')
			continue;
		model = load_model_guarded(c, &rows[i]);
		old = MemoryContextSwitchTo(context);
		entry = hash_search(c->models, &rows[i].relid, HASH_ENTER, NULL);
		entry->model = model;
		c->model_list = lappend(c->model_list, model);
		if (model->broken == NULL)
			index_model(c, model);
		else
			index_broken_model(c, model, rows[i].sources);
		MemoryContextSwitchTo(old);
	}
	compute_depths(c);
	if (pushed)
		PopActiveSnapshot();
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
