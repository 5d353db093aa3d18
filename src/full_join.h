/*-------------------------------------------------------------------------
 *
 * full_join.h
 *	  A FULL JOIN of two tables on their keys, as the UNION ALL the
 *	  analysis can prove (see full_join.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef READMODEL_FULL_JOIN_H
#define READMODEL_FULL_JOIN_H

#include "nodes/parsenodes.h"

extern char *readmodel_full_join_as_union(Query *query, char **key);

#endif							/* READMODEL_FULL_JOIN_H */
