/*-------------------------------------------------------------------------
 *
 * analyze_routes.c
 *	  Routes: for every occurrence of every source, the hops that turn a
 *	  changed row into the keys of the model rows it can affect, found by a
 *	  breadth-first search over the edges (analyze_edges.c) to the root's
 *	  key; a table with none is refused.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "catalog/pg_index.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "optimizer/optimizer.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "analyze_int.h"
#include "keys.h"
#include "util.h"


static char *
column_label(Oid relid, AttrNumber att)
{
	return psprintf("%s.%s", get_rel_name(relid), get_attname(relid, att, false));
}

/* The operator "other's column OP current's value" for this edge, or 0. */
static Oid
oriented_operator(Edge *edge, int other)
{
	return edge->n1 == other ? edge->opno : get_commutator(edge->opno);
}

/* Follow an edge from node `current` by its direction rules. */
static bool
edge_leads(Edge *edge, int current, int *other, AttrNumber *from_att,
		   AttrNumber *other_att)
{
	if (edge->n1 == current && edge->start1)
	{
		*other = edge->n2;
		*from_att = edge->a1;
		*other_att = edge->a2;
	}
	else if (edge->n2 == current && edge->start2)
	{
		*other = edge->n1;
		*from_att = edge->a2;
		*other_att = edge->a1;
	}
	else
		return false;
	return OidIsValid(oriented_operator(edge, *other));
}

/*
 * Follow `edge` from node `current`?  Fills the other end.  An array edge
 * leads from its scalar side to the rows whose array holds the value, and
 * from its array side only where a route starts (the changed row's
 * elements are the values).
 */
static bool
edge_leads_from(Edge *edge, int current, bool at_start, int *other,
				AttrNumber *from_att, AttrNumber *other_att)
{
	if (edge->array2 && edge->n2 == current && !at_start)
		return false;
	return edge_leads(edge, current, other, from_att, other_att);
}

/* Does the edge give the root's key itself, with the key's own equality? */
static bool
lands_on_key(AnalysisState *st, Edge *edge, int current, bool at_start,
			 RelNode *root, AttrNumber key_att)
{
	int			other;
	AttrNumber	from_att,
				other_att;
	Oid			key_type = get_atttype(root->relid, key_att);

	Oid			from_type;

	if ((edge->alt_a1 != NIL && !at_start) ||
		!edge_leads_from(edge, current, at_start, &other, &from_att, &other_att) ||
		other != root->id || other_att != key_att)
		return false;
	from_type = get_atttype(analyze_node(st, current)->relid, from_att);
	if (edge->array2)
		from_type = get_element_type(from_type);
	return from_type == key_type &&
		edge->opno == lookup_type_cache(key_type, TYPECACHE_EQ_OPR)->eq_opr;
}

/*
 * How well a hop can read a table by this column, from its indexes alone
 * (so every backend chooses the same routes): 3 unique by itself, 2 with
 * an index of its own, 1 leading a wider index only (tenant_id of
 * (tenant_id, id)), 0 none.  Of two equalities joining the same tables
 * ((tenant_id, id) = (tenant_id, id)), the route takes the better one.
 */
static int
match_rank(Oid relid, AttrNumber att)
{
	Relation	rel;
	ListCell   *lc;
	int			rank = 0;

	if (readmodel_has_unique_index(relid, att))
		return 3;
	rel = relation_open(relid, AccessShareLock);
	foreach(lc, RelationGetIndexList(rel))
	{
		HeapTuple	tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(lfirst_oid(lc)));
		Form_pg_index index;

		if (!HeapTupleIsValid(tuple))
			continue;
		index = (Form_pg_index) GETSTRUCT(tuple);
		if (index->indnkeyatts >= 1 && index->indkey.values[0] == att)
			rank = Max(rank, index->indnkeyatts == 1 ? 2 : 1);
		ReleaseSysCache(tuple);
	}
	relation_close(rel, AccessShareLock);
	return rank;
}

typedef struct RouteSearch
{
	int		   *dist;
	Edge	  **via;
	int			end;
	Edge	   *final_edge;
} RouteSearch;

/*
 * Breadth-first search from `start` to the root key.  Reaching a node costs
 * one read of its table; an edge that lands on the root's key column ends
 * the route without reading anything more.
 */
static bool
search_route(AnalysisState *st, RelNode *start, RelNode *root,
			 AttrNumber key_att, RouteSearch *rs)
{
	int			nnodes = list_length(st->nodes);
	int		   *queue = palloc(sizeof(int) * nnodes);
	List	   *all_edges = list_concat(list_concat_copy(st->edges, st->array_edges),
											st->or_edges);
	int			head = 0,
				tail = 0;
	int			i;

	rs->dist = palloc(sizeof(int) * nnodes);
	rs->via = palloc0(sizeof(Edge *) * nnodes);
	rs->end = -1;
	rs->final_edge = NULL;
	for (i = 0; i < nnodes; i++)
		rs->dist[i] = -1;
	rs->dist[start->id] = 0;
	queue[tail++] = start->id;
	while (head < tail)
	{
		int			current = queue[head++];
		bool		at_start = (current == start->id);
		ListCell   *lc;
		int			rank;

		if (current == root->id)
		{
			rs->end = current;
			return true;
		}
		foreach(lc, all_edges)
		{
			if (lands_on_key(st, lfirst(lc), current, at_start, root, key_att))
			{
				rs->end = current;
				rs->final_edge = lfirst(lc);
				return true;
			}
		}
		/* the most selective column of a table first (see match_rank) */
		for (rank = 3; rank >= 0; rank--)
			foreach(lc, all_edges)
		{
			Edge	   *edge = lfirst(lc);
			int			other;
			AttrNumber	from_att,
						other_att;

			if (edge->alt_a1 != NIL)
				continue;		/* lands on the key only */
			if (edge_leads_from(edge, current, at_start, &other, &from_att, &other_att) &&
				rs->dist[other] < 0 &&
				match_rank(analyze_node(st, other)->relid, other_att) == rank)
			{
				rs->dist[other] = rs->dist[current] + 1;
				rs->via[other] = edge;
				queue[tail++] = other;
			}
		}
	}
	return false;
}

/*
 * An edge may equate columns through a binary-compatible cast (text and
 * citext): the hop then looks the column up as the operator's left type and
 * passes the values as its right type, which have the same bytes.
 */
static void
operator_types(RouteHop *hop)
{
	Oid			left;
	Oid			right;

	op_input_types(hop->opno, &left, &right);
	if (!OidIsValid(left) || !OidIsValid(right) ||
		get_typtype(left) == TYPTYPE_PSEUDO || get_typtype(right) == TYPTYPE_PSEUDO)
		return;
	if (left != get_atttype(hop->relid, hop->match_att))
		hop->match_cast = left;
	hop->in_type = right;
}

/*
 * Read next's rows by the edge's column.  Over an array edge towards the
 * array, those whose array holds an incoming value (the element type's
 * equality, as "= ANY" has): "match && $1", and writers of the column lock
 * each element's value.
 */
static RouteHop *
make_hop(RelNode *next, AttrNumber match_att, AttrNumber emit_att, Oid in_type,
		 Edge *edge)
{
	RouteHop   *hop = palloc0(sizeof(RouteHop));

	hop->relid = next->relid;
	hop->match_att = match_att;
	hop->emit_att = emit_att;
	hop->in_type = in_type;
	hop->emit_type = get_atttype(next->relid, emit_att);
	hop->match_overlap = edge->array2 && edge->n2 == next->id;
	hop->opno = hop->match_overlap ? edge->opno : oriented_operator(edge, next->id);
	hop->lock = *analyze_lock_scheme(match_att, hop->opno, edge->collation);
	hop->lock.elements = hop->match_overlap;
	if (!hop->match_overlap)
		operator_types(hop);
	return hop;
}

static AttrNumber
edge_att(Edge *edge, int node)
{
	return edge->n1 == node ? edge->a1 : edge->a2;
}

/* Turn the search's path into hops. */
static SourceRoute *
route_from_search(AnalysisState *st, RelNode *start, AttrNumber key_att,
				  RouteSearch *rs)
{
	SourceRoute *route = palloc0(sizeof(SourceRoute));
	List	   *path = NIL;
	StringInfoData desc;
	ListCell   *lc;
	int			at = start->id;
	int			i;
	Oid			in_type;
	Edge	   *first;

	for (i = rs->end; i != start->id;)
	{
		path = lcons(rs->via[i], path);
		i = (rs->via[i]->n1 == i) ? rs->via[i]->n2 : rs->via[i]->n1;
	}
	initStringInfo(&desc);
	first = path != NIL ? linitial(path) : rs->final_edge;
	route->start_att = first ? edge_att(first, start->id) : key_att;
	appendStringInfoString(&desc, column_label(start->relid, route->start_att));
	in_type = get_atttype(start->relid, route->start_att);
	/* an OR of equalities: every disjunct's column gives keys */
	if (first != NULL && first->alt_a1 != NIL)
	{
		ListCell   *la;

		route->start_alt_atts = first->alt_a1;
		foreach(la, first->alt_a1)
			appendStringInfo(&desc, ", %s", get_attname(start->relid, lfirst_int(la), false));
	}
	/* leaving an array column: its elements are the values */
	route->start_elements = first != NULL && first->array2 && first->n2 == start->id;
	if (route->start_elements)
	{
		in_type = get_element_type(in_type);
		appendStringInfoString(&desc, " (elements)");
	}
	foreach(lc, path)
	{
		Edge	   *edge = lfirst(lc);
		int			next = (edge->n1 == at) ? edge->n2 : edge->n1;
		RelNode    *next_node = analyze_node(st, next);
		AttrNumber	match_att = edge_att(edge, next);
		ListCell   *after = lnext(path, lc);
		AttrNumber	emit_att;

		if (after != NULL)
			emit_att = edge_att(lfirst(after), next);
		else if (rs->final_edge != NULL)
			emit_att = edge_att(rs->final_edge, next);
		else
			emit_att = key_att;	/* read the root itself */
		route->hops = lappend(route->hops,
							  make_hop(next_node, match_att, emit_att, in_type, edge));
		appendStringInfo(&desc, " -> %s%s", column_label(next_node->relid, match_att),
						 edge->array2 && next == edge->n2 ? " (holding)" : "");
		if (emit_att != match_att)
			appendStringInfo(&desc, " (%s)", get_attname(next_node->relid, emit_att, false));
		in_type = get_atttype(next_node->relid, emit_att);
		at = next;
	}
	appendStringInfoString(&desc, " -> key");
	route->start_type = get_atttype(start->relid, route->start_att);
	if (route->start_elements)
		route->start_type = get_element_type(route->start_type);
	route->description = desc.data;
	return route;
}

/* Is a key column an expression (analyze_key_expr.c)? */
static bool
computed_key(List *columns)
{
	ListCell   *lc;

	foreach(lc, columns)
		if (((KeyColumn *) lfirst(lc))->expr != NULL)
			return true;
	return false;
}

/*
 * A composite key, or one computed by expressions: routes were searched
 * for its anchor column.  The root's
 * own rows start from their whole key; a route whose last hop reads the
 * root emits the whole key; one that ends with anchor values (a column
 * equal to it) gets a last hop reading the root by the anchor.
 */
static void
complete_composite_route(RelNode *node, RelNode *root, ModelAnalysis *result,
						 SourceRoute *route)
{
	RouteHop   *last = route->hops ? llast(route->hops) : NULL;
	AttrNumber	anchor = result->root_key_att;
	RouteHop   *hop;
	TypeCacheEntry *tc;
	StringInfoData keys;
	ListCell   *lc;
	List	   *unit = readmodel_unit_columns(result, result->key_columns);

	if (list_length(unit) < 2 && !computed_key(unit))
		return;
	initStringInfo(&keys);
	foreach(lc, unit)
		appendStringInfo(&keys, "%s%s", keys.len ? ", " : "(", ((KeyColumn *) lfirst(lc))->name);
	appendStringInfoChar(&keys, ')');
	/* the description ends in " -> key" */
	route->description[strlen(route->description) - strlen(" -> key")] = '\0';
	if (node == root && route->hops == NIL && route->start_att == anchor)
	{
		route->start_key = !computed_key(unit);
		route->start_rows = computed_key(unit);
		if (route->start_rows)
			route->start_type = get_rel_type_id(root->relid);
		route->key_recipe = result->key_recipe;
		route->key_columns = unit;
		route->key_filter = result->key_filter;
		route->key_tag = result->key_tag;
		route->description = psprintf("%s %s -> key", get_rel_name(root->relid), keys.data);
		return;
	}
	if (last != NULL && last->relid == root->relid && last->emit_att == anchor)
	{
		last->emit_key_atts = result->key_recipe;
		last->key_columns = unit;
		last->key_filter = result->key_filter;
		last->emit_type = result->key_type;
		last->key_tag = result->key_tag;
		route->description = psprintf("%s %s -> key", route->description, keys.data);
		return;
	}
	route->description = psprintf("%s -> %s.%s %s -> key", route->description,
								  get_rel_name(root->relid),
								  get_attname(root->relid, anchor, false), keys.data);
	tc = lookup_type_cache(get_atttype(root->relid, anchor), TYPECACHE_EQ_OPR);
	hop = palloc0(sizeof(RouteHop));
	hop->relid = root->relid;
	hop->match_att = anchor;
	hop->emit_att = anchor;
	hop->in_type = last ? last->emit_type : route->start_type;
	hop->emit_type = result->key_type;
	hop->opno = tc->eq_opr;
	hop->lock = *analyze_lock_scheme(anchor, tc->eq_opr, readmodel_column_collation(root->relid, anchor));
	hop->emit_key_atts = result->key_recipe;
	hop->key_columns = unit;
	hop->key_filter = result->key_filter;
	hop->key_tag = result->key_tag;
	route->hops = lappend(route->hops, hop);
	/* writers of the root lock their anchor values, as for a join */
	result->edge_relids = lappend_oid(result->edge_relids, root->relid);
	result->edge_attnos = lappend_int(result->edge_attnos, anchor);
}

static ModelSource *
source_for(List **sources, Oid relid)
{
	ListCell   *lc;
	ModelSource *source;

	foreach(lc, *sources)
	{
		source = lfirst(lc);
		if (source->relid == relid)
			return source;
	}
	source = palloc0(sizeof(ModelSource));
	source->relid = relid;
	*sources = lappend(*sources, source);
	return source;
}

static void
refuse_unconnected(AnalysisState *st, RelNode *node, RelNode *root)
{
	analyze_refuse(st,
				   psprintf("Table %s (in %s) is not connected to the root table \"%s\" by equality conditions that hold for its rows.",
							analyze_node_label(node), analyze_position_name(node->level),
							get_rel_name(root->relid)),
				   "Changes are mapped to read-model rows by following conditions like a.x = b.y to the root's key.  Join or correlate every table that way, in WHERE or in an inner join's ON, or from the nullable side of an outer join's ON; compare columns of the same type (int = numeric needs a conversion and does not count, and neither does a cast in the definition: declare the columns with one type).  Or declare the model with options => '{\"strategy\": \"refresh\"}': a change of such a table then rebuilds the whole model.");
}

/*
 * A change of what a root row's key is made of (a key column, or a column
 * a key expression reads) moves the row between keys, as a change of a
 * join column moves it between parents: its writers lock their join
 * values for it too, so that a mapper following a join to the root (a
 * parent's rename) and such a writer never miss each other.
 */
static void
add_key_inputs(ModelAnalysis *result, Oid root_relid, List *columns)
{
	ListCell   *lc;

	foreach(lc, columns)
	{
		KeyColumn  *col = lfirst(lc);
		ListCell   *lv;

		if (col->root_att > 0)
		{
			result->edge_relids = lappend_oid(result->edge_relids, root_relid);
			result->edge_attnos = lappend_int(result->edge_attnos, col->root_att);
		}
		if (col->expr == NULL)
			continue;
		foreach(lv, pull_var_clause(col->expr, 0))
		{
			result->edge_relids = lappend_oid(result->edge_relids, root_relid);
			result->edge_attnos = lappend_int(result->edge_attnos,
											  ((Var *) lfirst(lv))->varattno);
		}
	}
}

/*
 * The columns the key filter reads, likewise: a row entering or leaving it
 * enters or leaves its key, and a mapper skips the rows it filters out.
 */
static void
add_filter_inputs(ModelAnalysis *result, Oid root_relid)
{
	ListCell   *lv;

	if (result->key_filter == NULL)
		return;
	foreach(lv, pull_var_clause(result->key_filter, 0))
	{
		result->edge_relids = lappend_oid(result->edge_relids, root_relid);
		result->edge_attnos = lappend_int(result->edge_attnos,
										  ((Var *) lfirst(lv))->varattno);
	}
}

void
analyze_build_routes(AnalysisState *st, QueryLevel *top, RelNode *root,
					 ModelAnalysis *result)
{
	ListCell   *lc;

	foreach(lc, st->nodes)
	{
		RelNode    *node = lfirst(lc);
		ModelSource *source;
		RouteSearch rs;
		SourceRoute *route;
		ListCell   *lh;

		if (analyze_level_top(node->level) != top)
			continue;			/* another branch of a UNION ALL */
		source = source_for(&result->sources, node->relid);
		source->read_cols = bms_union(source->read_cols, node->rte->selectedCols);
		if (!search_route(st, node, root, result->root_key_att, &rs))
		{
			if (!st->refresh_strategy)
				refuse_unconnected(st, node, root);
			route = palloc0(sizeof(SourceRoute));
			route->full = true;
			route->in_subquery = (node->level->position != POS_TOP);
			route->description = psprintf("%s: no route, any change rebuilds the model (strategy refresh)",
										  get_rel_name(node->relid));
			source->routes = lappend(source->routes, route);
			continue;
		}
		route = route_from_search(st, node, result->root_key_att, &rs);
		route->in_subquery = (node->level->position != POS_TOP);
		complete_composite_route(node, root, result, route);
		source->routes = lappend(source->routes, route);
		foreach(lh, route->hops)
		{
			RouteHop   *hop = lfirst(lh);

			result->lock_relids = lappend_oid(result->lock_relids, hop->relid);
			result->lock_schemes = lappend(result->lock_schemes, &hop->lock);
		}
	}
	add_key_inputs(result, root->relid, result->key_columns);
	add_filter_inputs(result, root->relid);
	if (result->unit_columns != NIL)
		add_key_inputs(result, root->relid, result->unit_columns);
	foreach(lc, list_concat(list_concat_copy(st->edges, st->array_edges), st->or_edges))
	{
		Edge	   *edge = lfirst(lc);
		ListCell   *la;

		foreach(la, edge->alt_a1)
		{
			result->edge_relids = lappend_oid(result->edge_relids, analyze_node(st, edge->n1)->relid);
			result->edge_attnos = lappend_int(result->edge_attnos, lfirst_int(la));
		}
		result->edge_relids = lappend_oid(result->edge_relids, analyze_node(st, edge->n1)->relid);
		result->edge_attnos = lappend_int(result->edge_attnos, edge->a1);
		result->edge_relids = lappend_oid(result->edge_relids, analyze_node(st, edge->n2)->relid);
		result->edge_attnos = lappend_int(result->edge_attnos, edge->a2);
	}
}
