/*-------------------------------------------------------------------------
 *
 * ddl_types.h
 *	  ALTER TYPE of a type whose values read models hold or render.
 *
 *-------------------------------------------------------------------------
 */
#ifndef READMODEL_DDL_TYPES_H
#define READMODEL_DDL_TYPES_H

#include "postgres.h"

#include "nodes/pg_list.h"
#include "tcop/deparse_utility.h"

extern List *readmodel_type_command(CollectedCommand *cmd, List *types);
extern void readmodel_types_altered(List *types);

#endif							/* READMODEL_DDL_TYPES_H */
