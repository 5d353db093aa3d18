/*-------------------------------------------------------------------------
 *
 * ddl_views.h
 *	  Replacing a view that read models read.
 *
 *-------------------------------------------------------------------------
 */
#ifndef READMODEL_DDL_VIEWS_H
#define READMODEL_DDL_VIEWS_H

#include "postgres.h"

#include "nodes/pg_list.h"

extern void readmodel_views_replaced(List *views);

#endif							/* READMODEL_DDL_VIEWS_H */
