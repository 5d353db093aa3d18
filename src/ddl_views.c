/*-------------------------------------------------------------------------
 *
 * ddl_views.c
 *	  CREATE OR REPLACE VIEW of a view that read models read (directly or
 *	  through other views).
 *
 * A definition that reads a view is analysed as the view's query
 * (analyze_expand.c), so replacing the view changes what the model
 * contains.  In the same command, each model reading it is analysed again
 * as its owner and rebuilt by diff, so it is exact when the command
 * commits.  The replacement is refused when a model could no longer be
 * maintained, or when the view now reads a table the model has no capture
 * triggers on (its owner's consent to install them is given at declaration).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "rewrite/rewriteHandler.h"
#include "utils/lsyscache.h"

#include "analysis.h"
#include "apply.h"
#include "cache.h"
#include "catalog.h"
#include "ddl_views.h"
#include "lifecycle.h"
#include "sandbox.h"
#include "util.h"

static CatalogRow *
catalog_row(Oid relid)
{
	ListCell   *lc;

	foreach(lc, readmodel_catalog_rows())
	{
		CatalogRow *row = lfirst(lc);

		if (row->relid == relid)
			return row;
	}
	return NULL;
}

static void
refuse_replacement(Oid view, ReadModel *model, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("cannot replace view %s: read model %s reads it",
					readmodel_relation_name(view), model->qualname),
			 errdetail_internal("%s", detail),
			 errhint("Drop the read model with readmodel.drop(), replace the view, and declare the model again.")));
}

typedef struct ReplacedView
{
	Oid			view;
	const char *model;
} ReplacedView;

static void
replaced_view_context(void *arg)
{
	ReplacedView *rv = arg;

	errcontext("analysing read model %s, which reads view %s, after the view was replaced",
			   rv->model, readmodel_relation_name(rv->view));
}

/* Analyse again, as the owner, to report why the model is refused. */
static void
report_analysis(Oid view, ReadModel *model, CatalogRow *row)
{
	ErrorContextCallback callback;
	ReplacedView rv = {view, model->qualname};
	Sandbox		sandbox;
	Relation	rel;
	Query	   *query;

	callback.callback = replaced_view_context;
	callback.arg = &rv;
	callback.previous = error_context_stack;
	error_context_stack = &callback;
	readmodel_sandbox_enter(&sandbox, model->owner);
	rel = relation_open(row->viewid, AccessShareLock);
	query = copyObject(get_view_query(rel));
	relation_close(rel, AccessShareLock);
	(void) readmodel_analyze(query, row->viewid, row->keycol, model->qualname,
							 model->owner, row->refresh_strategy);
	readmodel_sandbox_leave(&sandbox);
	error_context_stack = callback.previous;
	/* it failed in the cache: say so even if it passes now */
	refuse_replacement(view, model, model->broken);
}

/* Analyse `model` again with the view as it now is, and rebuild it. */
static void
reanalyse_model(Oid view, Oid relid)
{
	CatalogRow *row = catalog_row(relid);
	ReadModel  *model = readmodel_lookup_model(relid);
	ListCell   *lc;

	if (row == NULL || model == NULL)
		return;
	if (model->analysis == NULL)
		report_analysis(view, model, row);
	foreach(lc, model->analysis->sources)
	{
		Oid			source = ((ModelSource *) lfirst(lc))->relid;

		if (!list_member_oid(row->sources, source))
			refuse_replacement(view, model,
							   psprintf("The new view reads table %s, on which the model has no capture triggers.",
										readmodel_relation_name(source)));
	}
	if (!ModelIsMaintained(model))
		readmodel_wait_for_source_writers(model);
	(void) readmodel_refresh_model(model);
}

void
readmodel_views_replaced(List *views)
{
	ListCell   *lv;

	if (views == NIL)
		return;
	CommandCounterIncrement();
	readmodel_invalidate_cache();
	foreach(lv, views)
	{
		Oid			view = lfirst_oid(lv);
		ListCell   *lm;

		foreach(lm, readmodel_catalog_view_readers(view))
			reanalyse_model(view, lfirst_oid(lm));
	}
}
