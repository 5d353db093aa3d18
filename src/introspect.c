/*-------------------------------------------------------------------------
 *
 * introspect.c
 *	  What operators see from psql: queue_stats(), debug_queue(),
 *	  explain(), graph(), model_stats(), and the helpers behind
 *	  health_check() and readmodel.models.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "cache.h"
#include "catalog.h"
#include "delta.h"
#include "keys.h"
#include "lifecycle.h"
#include "patch.h"
#include "queue.h"
#include "stats.h"
#include "util.h"

PG_FUNCTION_INFO_V1(readmodel_queue_stats);
PG_FUNCTION_INFO_V1(readmodel_debug_queue);
PG_FUNCTION_INFO_V1(readmodel_pending_keys);
PG_FUNCTION_INFO_V1(readmodel_in_transaction_block);
PG_FUNCTION_INFO_V1(readmodel_derived_sources);
PG_FUNCTION_INFO_V1(readmodel_is_preloaded);
PG_FUNCTION_INFO_V1(readmodel_explain);
PG_FUNCTION_INFO_V1(readmodel_graph);
PG_FUNCTION_INFO_V1(readmodel_model_stats);

Datum
readmodel_queue_stats(PG_FUNCTION_ARGS)
{
	ReadModelCounters c;
	bool		cluster_wide;
	char	   *json;

	readmodel_stats_get(&c, &cluster_wide);
	json = psprintf("{\"queue_size\": " INT64_FORMAT ", \"scope\": \"%s\", "
					"\"statements_captured\": " UINT64_FORMAT ", "
					"\"keys_queued\": " UINT64_FORMAT ", "
					"\"models_refreshed\": " UINT64_FORMAT ", "
					"\"keys_recomputed\": " UINT64_FORMAT ", "
					"\"rows_written\": " UINT64_FORMAT ", "
					"\"rows_skipped_noop\": " UINT64_FORMAT ", "
					"\"full_refreshes\": " UINT64_FORMAT ", "
					"\"rows_patched\": " UINT64_FORMAT ", "
					"\"rebuilds_chosen\": " UINT64_FORMAT ", "
					"\"total_timing_ms\": %.3f}",
					readmodel_queue_size(),
					cluster_wide ? "cluster" : "backend",
					c.statements_captured, c.keys_queued, c.models_refreshed,
					c.keys_recomputed, c.rows_written, c.rows_skipped_noop,
					c.full_refreshes, c.rows_patched, c.rebuilds_chosen,
					c.total_timing_ms);
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(json)));
}

typedef struct DebugQueueState
{
	ReturnSetInfo *rsinfo;
} DebugQueueState;

static const char *
ops_text(int ops)
{
	StringInfoData buf;

	initStringInfo(&buf);
	if (ops & RM_OP_INSERT)
		appendStringInfoString(&buf, "INSERT,");
	if (ops & RM_OP_UPDATE)
		appendStringInfoString(&buf, "UPDATE,");
	if (ops & RM_OP_DELETE)
		appendStringInfoString(&buf, "DELETE,");
	if (ops & RM_OP_TRUNCATE)
		appendStringInfoString(&buf, "TRUNCATE,");
	if (ops & RM_OP_SYNC)
		appendStringInfoString(&buf, "SYNC,");
	if (buf.len > 0)
		buf.data[--buf.len] = '\0';
	return buf.data;
}

static void
debug_queue_row(Oid model, int patch, Datum key, bool full, Oid source,
				int ops, void *arg)
{
	DebugQueueState *state = arg;
	ReadModel  *rm = readmodel_lookup_model(model);
	PatchTarget *target = NULL;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	/* keys come from queries run as the model's owner: only for its viewers */
	if (get_rel_relkind(model) != '\0' && !readmodel_may_see_model(model))
		return;
	if (rm != NULL && rm->analysis != NULL && patch >= 0 &&
		patch < list_length(rm->analysis->patches))
		target = list_nth(rm->analysis->patches, patch);
	values[0] = ObjectIdGetDatum(model);
	if (full || rm == NULL || rm->analysis == NULL)
		nulls[1] = true;
	else
		values[1] = CStringGetTextDatum(readmodel_datum_text(key,
															 target ? target->via_type : rm->key_type));
	values[2] = CStringGetTextDatum(psprintf("%s on %s%s%s", ops_text(ops),
											 get_rel_name(source),
											 full ? " (full refresh)" : "",
											 target ? psprintf(" (%s)", target->description) : ""));
	tuplestore_putvalues(state->rsinfo->setResult, state->rsinfo->setDesc,
						 values, nulls);
}

Datum
readmodel_debug_queue(PG_FUNCTION_ARGS)
{
	DebugQueueState state;

	InitMaterializedSRF(fcinfo, 0);
	state.rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	readmodel_queue_visit(debug_queue_row, &state);
	return (Datum) 0;
}

Datum
readmodel_pending_keys(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(readmodel_queue_size());
}

Datum
readmodel_in_transaction_block(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(IsTransactionBlock());
}

Datum
readmodel_is_preloaded(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(readmodel_preloaded);
}

/* The sources the definition reads now, for health_check(). */
Datum
readmodel_derived_sources(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	ReadModel  *model = readmodel_lookup_model(relid);
	List	   *sources = NIL;
	ListCell   *lc;

	if (model == NULL || model->analysis == NULL || !readmodel_may_see_model(relid))
		PG_RETURN_NULL();
	foreach(lc, model->analysis->sources)
		sources = lappend_oid(sources, ((ModelSource *) lfirst(lc))->relid);
	PG_RETURN_DATUM(readmodel_oid_array(sources, REGCLASSOID));
}

static const char *
route_kind(ReadModel *model, ModelSource *msource, SourceRoute *route)
{
	bool		embedded = readmodel_lookup_model(msource->relid) != NULL;
	const char *kind;

	if (route->in_subquery)
		kind = "subquery";
	else if (route->hops == NIL && msource->relid == model->analysis->root_relid)
		kind = "direct key";
	else
		kind = "join";
	return embedded ? psprintf("%s, embedded read model", kind) : kind;
}

static int
compare_names(const ListCell *a, const ListCell *b)
{
	return strcmp(lfirst(a), lfirst(b));
}

/* The triggers of relid whose name is `name` or, with `prefix`, starts with it. */
static char *
trigger_list(Oid relid, const char *name, bool prefix)
{
	Relation	rel = relation_open(relid, AccessShareLock);
	TriggerDesc *desc = rel->trigdesc;
	List	   *names = NIL;
	StringInfoData buf;
	ListCell   *lc;
	int			i;

	for (i = 0; desc != NULL && i < desc->numtriggers; i++)
	{
		Trigger    *trig = &desc->triggers[i];

		if (prefix ? strncmp(trig->tgname, name, strlen(name)) != 0
			: strcmp(trig->tgname, name) != 0)
			continue;
		names = lappend(names, psprintf("%s%s", trig->tgname,
										trig->tgenabled == TRIGGER_DISABLED ? " (disabled)" : ""));
	}
	relation_close(rel, AccessShareLock);
	list_sort(names, compare_names);
	initStringInfo(&buf);
	foreach(lc, names)
		appendStringInfo(&buf, "%s%s", buf.len ? ", " : "", (char *) lfirst(lc));
	return buf.len ? buf.data : "none";
}

static char *
index_report(Oid relid, AttrNumber att, bool gin)
{
	const char *column = get_attname(relid, att, false);

	return (gin ? readmodel_has_gin_index(relid, att) : readmodel_has_leading_index(relid, att))
		? psprintf("%s (%s): indexed", get_rel_name(relid), column)
		: psprintf("%s (%s): no index, each mapping scans the table", get_rel_name(relid), column);
}

static void
explain_row(ReturnSetInfo *rsinfo, Oid source, const char *kind, const char *detail)
{
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	values[0] = ObjectIdGetDatum(source);
	values[1] = CStringGetTextDatum(kind);
	values[2] = CStringGetTextDatum(detail);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/* Which aggregates a model keeps by deltas, and where. */
static char *
delta_report(ReadModel *model)
{
	static const char *const kinds[] = {"count(*)", "count", "sum", "avg", "min", "max",
	"bool_and", "bool_or"};
	DeltaPlan  *plan = model->analysis->delta;
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, plan->aggregates)
	{
		DeltaAggregate *agg = lfirst(lc);

		appendStringInfo(&buf, "%s%s%s%s (%s%s)", buf.len ? ", " : "", agg->out_col,
						 agg->keys ? " #> " : "",
						 agg->keys ? readmodel_path_literal(agg->keys) : "",
						 kinds[agg->kind], agg->filter ? " FILTER" : "");
	}
	appendStringInfo(&buf, " kept by deltas of its rows, the state in %s; a group that "
					 "empties, a min or max that leaves, a NaN or an infinity recompute the group",
					 readmodel_relation_name(model->state_relid));
	return buf.data;
}

/* readmodel.explain(name): how each source's changes reach the model. */
Datum
readmodel_explain(PG_FUNCTION_ARGS)
{
	Oid			relid = readmodel_model_by_name(PG_GETARG_TEXT_PP(0));
	ReadModel  *model = readmodel_lookup_model(relid);
	ReturnSetInfo *rsinfo;
	ListCell   *ls;

	if (!readmodel_may_see_model(relid))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for read model %s", get_rel_name(relid)),
				 errdetail("A read model is explained to its owner and to roles that may read its table.")));
	InitMaterializedSRF(fcinfo, 0);
	rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	if (model == NULL || model->analysis == NULL)
	{
		explain_row(rsinfo, relid, "broken", model ? model->broken : "not loaded");
		return (Datum) 0;
	}
	explain_row(rsinfo, relid, "model",
				psprintf("key %s, depth %d, mode %s, write guard: %s",
						 readmodel_key_display(model), model->depth,
						 model->manual ? "manual" : model->statement_mode ? "statement" : "commit",
						 trigger_list(relid, READMODEL_GUARD_TRIGGER, false)));
	foreach(ls, model->analysis->views)
		explain_row(rsinfo, lfirst_oid(ls), "view",
					"expanded into the tables it reads; replacing it re-analyses and rebuilds the model");
	foreach(ls, model->analysis->sources)
	{
		ModelSource *msource = lfirst(ls);
		ListCell   *lc;

		foreach(lc, msource->routes)
		{
			SourceRoute *route = lfirst(lc);

			explain_row(rsinfo, msource->relid, route_kind(model, msource, route),
						route->full ? route->description :
						psprintf("%s, recompute", route->description));
		}
		foreach(lc, msource->patches)
		{
			PatchTarget *target = lfirst(lc);
			StringInfoData cols;
			int			att = -1;

			initStringInfo(&cols);
			while ((att = bms_next_member(msource->patch_cols, att)) >= 0)
				appendStringInfo(&cols, "%s%s", cols.len ? ", " : "",
								 get_attname(msource->relid, att, false));
			explain_row(rsinfo, msource->relid, "patch",
						psprintf("%s; used when an UPDATE changes only %s",
								 target->description,
								 cols.len ? cols.data : "(no column: every copied column is also read elsewhere)"));
		}
		if (model->analysis->delta != NULL && model->analysis->delta->relid == msource->relid)
			explain_row(rsinfo, msource->relid, "delta", delta_report(model));
		foreach(lc, msource->routes)
		{
			ListCell   *lh;

			foreach(lh, ((SourceRoute *) lfirst(lc))->hops)
			{
				RouteHop   *hop = lfirst(lh);

				explain_row(rsinfo, msource->relid, "index",
							index_report(hop->relid, hop->match_att, hop->match_overlap));
			}
		}
		foreach(lc, msource->patches)
		{
			PatchTarget *target = lfirst(lc);

			explain_row(rsinfo, msource->relid, "index",
						index_report(relid, get_attnum(relid, target->out_col), false));
		}
		explain_row(rsinfo, msource->relid, "triggers",
					trigger_list(msource->relid, READMODEL_TRIGGER_PREFIX, true));
	}
	return (Datum) 0;
}

static char *
dot_id(Oid relid)
{
	StringInfoData buf;
	const char *name = readmodel_relation_name(relid);
	const char *p;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '"');
	for (p = name; *p; p++)
	{
		if (*p == '"' || *p == '\\')
			appendStringInfoChar(&buf, '\\');
		appendStringInfoChar(&buf, *p);
	}
	appendStringInfoChar(&buf, '"');
	return buf.data;
}

/* readmodel.graph(): the dependency graph as Graphviz DOT. */
Datum
readmodel_graph(PG_FUNCTION_ARGS)
{
	List	   *models = NIL;
	List	   *tables = NIL;
	StringInfoData dot;
	ListCell   *lm;

	/* the models this role may see */
	foreach(lm, readmodel_all_models())
		if (readmodel_may_see_model(((ReadModel *) lfirst(lm))->relid))
			models = lappend(models, lfirst(lm));
	initStringInfo(&dot);
	appendStringInfoString(&dot, "digraph readmodel {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n");
	foreach(lm, models)
	{
		ReadModel  *model = lfirst(lm);

		appendStringInfo(&dot, "  %s [shape=box, style=filled, fillcolor=\"%s\", label=\"%s\\n(depth %d)\"];\n",
						 dot_id(model->relid), ModelIsMaintained(model) ? "#d9ead3" : "#f4cccc",
						 get_rel_name(model->relid), model->analysis ? model->depth : 0);
	}
	foreach(lm, models)
	{
		ReadModel  *model = lfirst(lm);
		ListCell   *ls;

		if (model->analysis == NULL)
			continue;
		foreach(ls, model->analysis->sources)
		{
			ModelSource *msource = lfirst(ls);
			const char *label;

			if (readmodel_lookup_model(msource->relid) == NULL)
				tables = list_append_unique_oid(tables, msource->relid);
			label = msource->relid == model->analysis->root_relid ? "root" :
				msource->patches != NIL && msource->patch_cols != NULL ? "patch / recompute" :
				"recompute";
			appendStringInfo(&dot, "  %s -> %s [label=\"%s\"];\n",
							 dot_id(msource->relid), dot_id(model->relid), label);
		}
	}
	foreach(lm, tables)
		appendStringInfo(&dot, "  %s [shape=cylinder, label=\"%s\"];\n",
						 dot_id(lfirst_oid(lm)), get_rel_name(lfirst_oid(lm)));
	appendStringInfoString(&dot, "}\n");
	PG_RETURN_TEXT_P(cstring_to_text(dot.data));
}

/* readmodel.model_stats(): what this backend's maintenance did per model. */
Datum
readmodel_model_stats(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo;
	ListCell   *lc;

	InitMaterializedSRF(fcinfo, 0);
	rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	foreach(lc, readmodel_all_models())
	{
		ReadModel  *model = lfirst(lc);
		ModelStats	stats = readmodel_stats_for_model(model->relid);
		Datum		values[8];
		bool		nulls[8] = {false};

		if (!readmodel_may_see_model(model->relid))
			continue;

		values[0] = ObjectIdGetDatum(model->relid);
		values[1] = Int32GetDatum(model->analysis ? model->depth : 0);
		values[2] = Int64GetDatum((int64) stats.applies);
		values[3] = Int64GetDatum((int64) stats.rows_written);
		values[4] = Int64GetDatum((int64) stats.rows_patched);
		values[5] = Int64GetDatum((int64) stats.rows_skipped);
		values[6] = Int64GetDatum((int64) stats.rebuilds);
		values[7] = Float8GetDatum(stats.ms);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
