/*-------------------------------------------------------------------------
 *
 * keyed.h
 *	  Maintenance statements keyed by "column = ANY($1)": how they are
 *	  written, prepared and run.
 *
 * Every statement maintenance runs for a set of values (route hops, the
 * diff of a model's keys, patches and their key lookups) takes the values
 * as one array parameter, compared with the equality operator the
 * definition itself uses, spelled OPERATOR(schema.op).
 *
 * Each is prepared twice (KeyedPlan): a generic plan for a few values,
 * since planning the definition on every call would cost more than running
 * it, and a custom-planned one for many, since a plan made for a handful of
 * values would be far too slow there.
 *
 *-------------------------------------------------------------------------
 */
#ifndef READMODEL_KEYED_H
#define READMODEL_KEYED_H

#include "postgres.h"

#include "executor/spi.h"

typedef struct KeyedPlan
{
	SPIPlanPtr	generic;
	SPIPlanPtr	custom;
} KeyedPlan;

/* Up to this many values, the generic plan is used. */
#define READMODEL_GENERIC_PLAN_MAX_VALUES 64

extern char *readmodel_any_qual(const char *expr, Oid opno);
extern SPIPlanPtr readmodel_keyed_plan(KeyedPlan *plan, int nvalues);
extern SPIPlanPtr readmodel_keyed_plan_prepare(KeyedPlan *plan, const char *sql,
											   Oid argtype, int nvalues);
extern SPIPlanPtr readmodel_keyed_plan_prepare_args(KeyedPlan *plan, const char *sql,
													int nargs, Oid *argtypes,
													int nvalues);
extern int	readmodel_execute_keyed(SPIPlanPtr plan, int nvalues, Datum *arg,
									bool read_only, bool fire_triggers,
									bool index_probes);
extern void readmodel_keyed_plan_free(KeyedPlan *plan);

#endif							/* READMODEL_KEYED_H */
