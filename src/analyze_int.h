/*-------------------------------------------------------------------------
 *
 * analyze_int.h
 *	  The analysis state shared by the stages of the analyzer:
 *
 *	  analyze_expand.c     views, WITH queries and plain FROM subqueries
 *	                       expanded as the planner would
 *	  analyze_walk.c       the allow-list walk over every query level and
 *	                       expression (the soundness rule's constructs)
 *	  analyze_functions.c  functions, operators, aggregates and types:
 *	                       deterministic, and owned by trusted roles
 *	  analyze_sql_bodies.c the bodies of the SQL functions it calls
 *	  analyze_edges.c      column resolution, equality edges
 *	  analyze_routes.c     routes from changed rows to keys
 *	  analyze_union.c      UNION ALL: branches and their tag
 *	  analyze_window.c     window functions: partitions recomputed whole
 *	  analyze_order.c      deterministic order and equal-image values
 *	  analyze_key.c        root, key, grouping and top-level cardinality
 *	  analyze_key_expr.c   grouping expressions of root columns as keys
 *	  analyze_patch.c      document paths that can be patched in place
 *	  analyze.c            the entry point, running the stages in order
 *
 *-------------------------------------------------------------------------
 */
#ifndef ANALYZE_INT_H
#define ANALYZE_INT_H

#include "nodes/parsenodes.h"

#include "pg_readmodel.h"

/* Where a query level sits in the definition. */
typedef enum LevelPosition
{
	POS_TOP,					/* the definition itself */
	POS_FROM,					/* a subquery in FROM (LATERAL or not) */
	POS_SELECT,					/* a subquery in a select list */
	POS_WHERE,					/* a subquery in WHERE */
	POS_JOIN_ON,				/* a subquery in JOIN ... ON */
	POS_HAVING,					/* a subquery in HAVING */
	POS_AGGREGATE,				/* a subquery in an aggregate's argument,
								 * FILTER or ORDER BY */
	POS_RECURSIVE,				/* a WITH RECURSIVE query (strategy refresh) */
	POS_OTHER					/* GROUP BY, ORDER BY, function in FROM */
} LevelPosition;

typedef struct QueryLevel
{
	Query	   *query;
	struct QueryLevel *parent;
	LevelPosition position;
	SubLinkType sublink_type;	/* for sublink levels */
	Index		parent_rtindex; /* for FROM subqueries: its RTE in parent */
} QueryLevel;

typedef struct RelNode
{
	int			id;
	Oid			relid;
	QueryLevel *level;
	Index		rtindex;
	RangeTblEntry *rte;
} RelNode;

/*
 * An equality "n1.a1 = n2.a2" that holds in every combination of rows of
 * its level that contributes to the result.  A route may go from n1 to n2
 * only when start1 (and the other way with start2): not from a node of an
 * outer level (a correlated subquery's condition does not restrict the
 * outer rows), not from the preserved side of an outer join's ON, not from
 * the outer side of "x IN (SELECT y ...)".
 */
typedef struct Edge
{
	int			n1;
	AttrNumber	a1;
	int			n2;
	AttrNumber	a2;
	Oid			opno;			/* (n1, a1) opno (n2, a2) */
	Oid			collation;
	QueryLevel *level;			/* where the condition is */
	bool		start1;
	bool		start2;
	bool		outer_on;		/* in the ON of an outer join */
	bool		sole_on;		/* ... and the whole of that ON */
	Index		rarg_rtindex;	/* a LEFT JOIN's right table, if a table */
	Index		var1_rtindex;	/* the columns as written at `level`, */
	AttrNumber	var1_attno;		/* before looking through subqueries */
	Index		var2_rtindex;
	AttrNumber	var2_attno;
	bool		array2;			/* "n1.a1 = ANY (n2.a2)": a2 is an array
								 * column (in array_edges only) */
	List	   *alt_a1;			/* "n1.a1 = n2.a2 OR n1.x = n2.a2 ...": the
								 * other columns x (in or_edges only) */
	struct QueryLevel *unnest_level;	/* "n1.a1 = u.x", u unnest(n2.a2): */
	Index		unnest_rtindex; /* where u is (array_edges only) */
} Edge;

typedef struct PendingSublink
{
	SubLink    *sublink;
	QueryLevel *outer;
	QueryLevel *inner;
	bool		positive;		/* a top-level AND condition of WHERE or ON */
} PendingSublink;

/* An aggregate whose order sensitivity is checked once edges are known. */
typedef struct PendingAggregate
{
	Aggref	   *aggref;
	QueryLevel *level;			/* the level whose rows it aggregates */
} PendingAggregate;

typedef struct AnalysisState
{
	const char *model_name;
	bool		refresh_strategy;	/* a table with no route rebuilds */
	Oid			viewid;			/* the view's OLD/NEW placeholders are not sources */
	Oid			owner;			/* the model's owner: who must trust the code */
	List	   *levels;			/* QueryLevel * */
	List	   *nodes;			/* RelNode * */
	List	   *edges;			/* Edge * */
	List	   *array_edges;	/* Edge *, array2: routes only */
	List	   *or_edges;		/* Edge *, alt_a1: routes only */
	List	   *sublinks;		/* PendingSublink * */
	List	   *aggregates;		/* PendingAggregate * */
	List	   *rtes;			/* RangeTblEntry *, relations only */
	List	   *functions;		/* Oid list: functions used */
	List	   *types;			/* Oid list: types of values */
	List	   *views;			/* Oid list: views expanded */
} AnalysisState;

/* analyze.c */
extern void analyze_refuse(AnalysisState *st, const char *detail,
						   const char *hint) pg_attribute_noreturn();
extern const char *analyze_position_name(QueryLevel *level);
extern RelNode *analyze_find_node(AnalysisState *st, QueryLevel *level,
								  Index rtindex);
extern QueryLevel *analyze_find_level(AnalysisState *st, Query *query);
extern RelNode *analyze_node(AnalysisState *st, int id);
extern const char *analyze_node_label(RelNode *node);
extern QueryLevel *analyze_level_top(QueryLevel *level);

/* analyze_expand.c */
extern Query *analyze_expand(AnalysisState *st, Query *query);

/* analyze_walk.c */
extern QueryLevel *analyze_walk(AnalysisState *st, Query *query);

/* analyze_functions.c */
extern void analyze_check_function(AnalysisState *st, Oid funcid,
								   int nargs, List *args);
extern void analyze_check_operator(AnalysisState *st, Oid opno);
extern void analyze_check_aggregate(AnalysisState *st, Aggref *aggref);
extern void analyze_check_type(AnalysisState *st, Oid typid);
extern void analyze_check_rendered(AnalysisState *st, Node *expr);
extern void analyze_check_text_search(AnalysisState *st, Node *expr);
extern void analyze_check_text_input(AnalysisState *st, Oid type);
extern void analyze_check_nested_function(AnalysisState *st, Oid funcid,
										  const char *caller);

/* analyze_sql_bodies.c */
extern bool analyze_sql_body_reads_tables(AnalysisState *st, Oid funcid);

/* analyze_edges.c */
extern bool analyze_resolve_column(AnalysisState *st, Node *expr,
								   QueryLevel *level, bool exact,
								   RelNode **node, AttrNumber *attno);
extern void analyze_collect_edges(AnalysisState *st);
extern Bitmapset *analyze_nullable_rtindexes(Node *jt);
extern void analyze_written_var(Node *expr, Index *rtindex, AttrNumber *attno);
extern bool analyze_is_equality(OpExpr *op);
extern bool analyze_is_unique_column(Oid relid, AttrNumber att);
extern bool analyze_column_not_null(Oid relid, AttrNumber att);
extern LockScheme *analyze_lock_scheme(AttrNumber att, Oid opno, Oid collation);

/* analyze_union.c */
extern void analyze_union(AnalysisState *st, Query *query,
						  const char *explicit_key, ModelAnalysis *result);

/* analyze_routes.c */
extern void analyze_build_routes(AnalysisState *st, QueryLevel *top,
								 RelNode *root, ModelAnalysis *result);

/* analyze_order.c */
extern bool analyze_equal_image_type(Oid typid, int32 typmod, Oid collation);
extern Bitmapset *analyze_determined_nodes(AnalysisState *st, QueryLevel *level,
										  Bitmapset *fixed);
extern void analyze_check_orders(AnalysisState *st, QueryLevel *top,
								 RelNode *root, bool grouped_by_key);
extern List *analyze_subquery_unique_sets(AnalysisState *st, QueryLevel *sub);
extern bool analyze_order_is_total(AnalysisState *st, QueryLevel *level,
								   List *sortclauses, List *tlist);

/* analyze_key.c */
extern RelNode *analyze_find_root(AnalysisState *st, QueryLevel *top);
extern RelNode *analyze_find_key(AnalysisState *st, QueryLevel *top, RelNode *root,
								 const char *explicit_key, ModelAnalysis *result);
extern bool analyze_check_grouping(AnalysisState *st, QueryLevel *top,
								   RelNode *root, ModelAnalysis *result);
extern void analyze_check_cardinality(AnalysisState *st, QueryLevel *top,
									  RelNode *root);
extern List *analyze_top_conditions(QueryLevel *top);
extern bool analyze_filtered_not_null(QueryLevel *top, RelNode *root, AttrNumber att);

/* analyze_key_expr.c */
extern KeyColumn *analyze_key_expression(AnalysisState *st, QueryLevel *top,
										  RelNode *root, TargetEntry *tle);
extern Node *analyze_key_filter(AnalysisState *st, QueryLevel *top, RelNode *root,
								List *key);

/* analyze_window.c */
extern void analyze_window(AnalysisState *st, QueryLevel *top, RelNode *root,
						   ModelAnalysis *result);

/* analyze_patch.c */
extern void analyze_patches(AnalysisState *st, QueryLevel *top, RelNode *root,
							ModelAnalysis *result);
extern char *analyze_const_key(Node *arg);
extern bool analyze_is_build_object(Node *expr);

#endif							/* ANALYZE_INT_H */
