/*-------------------------------------------------------------------------
 *
 * analyze_int.h
 *	  The analysis state shared by analyze.c (routes) and analyze_patch.c
 *	  (document paths that can be patched in place).
 *
 *-------------------------------------------------------------------------
 */
#ifndef ANALYZE_INT_H
#define ANALYZE_INT_H

#include "nodes/parsenodes.h"

#include "pg_readmodel.h"

typedef struct QueryLevel
{
	Query	   *query;
	struct QueryLevel *parent;
	bool		toplevel;
} QueryLevel;

typedef struct RelNode
{
	int			id;
	Oid			relid;
	QueryLevel *level;
	Index		rtindex;
	RangeTblEntry *rte;
} RelNode;

typedef struct Edge
{
	int			n1;
	AttrNumber	a1;
	int			n2;
	AttrNumber	a2;
	Oid			opno;			/* (n1, a1) opno (n2, a2) */
	Oid			collation;
} Edge;

typedef struct PendingSublink
{
	SubLink    *sublink;
	QueryLevel *outer;
	QueryLevel *inner;
} PendingSublink;

typedef struct AnalysisState
{
	const char *model_name;
	Oid			viewid;			/* the view's OLD/NEW placeholders are not sources */
	List	   *levels;			/* QueryLevel * */
	List	   *nodes;			/* RelNode * */
	List	   *edges;			/* Edge * */
	List	   *sublinks;		/* PendingSublink * */
	List	   *rtes;			/* RangeTblEntry *, relations only */
} AnalysisState;

typedef struct WalkContext
{
	AnalysisState *st;
	QueryLevel *level;
} WalkContext;

extern QueryLevel *analyze_find_level(AnalysisState *st, Query *query);
extern RelNode *analyze_find_node(AnalysisState *st, QueryLevel *level,
								  Index rtindex);
extern bool analyze_is_equality(OpExpr *op);
extern bool analyze_is_unique_column(Oid relid, AttrNumber att);
extern LockScheme *analyze_lock_scheme(AttrNumber att, Oid opno, Oid collation);

/* analyze_patch.c */
extern void analyze_patches(AnalysisState *st, QueryLevel *top, RelNode *root,
							ModelAnalysis *result);

#endif							/* ANALYZE_INT_H */
