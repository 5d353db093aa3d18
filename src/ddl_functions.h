/*-------------------------------------------------------------------------
 *
 * ddl_functions.h
 *	  CREATE OR REPLACE FUNCTION or ALTER FUNCTION of a function read
 *	  models call.
 *
 *-------------------------------------------------------------------------
 */
#ifndef READMODEL_DDL_FUNCTIONS_H
#define READMODEL_DDL_FUNCTIONS_H

#include "postgres.h"

#include "nodes/pg_list.h"
#include "tcop/deparse_utility.h"

extern List *readmodel_function_command(CollectedCommand *cmd, List *functions);
extern void readmodel_functions_replaced(List *functions);

#endif							/* READMODEL_DDL_FUNCTIONS_H */
