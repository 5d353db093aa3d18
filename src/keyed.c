/*-------------------------------------------------------------------------
 *
 * keyed.c
 *	  Statements keyed by "= ANY($1)" (see keyed.h).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "optimizer/optimizer.h"
#include "utils/guc.h"
#include "utils/snapmgr.h"

#include "keyed.h"
#include "util.h"

/* "expr OPERATOR(schema.op) ANY ($1)" */
char *
readmodel_any_qual(const char *expr, Oid opno)
{
	return psprintf("%s %s ANY ($1)", expr, readmodel_operator_name(opno));
}

static SPIPlanPtr *
keyed_slot(KeyedPlan *plan, int nvalues)
{
	return nvalues <= READMODEL_GENERIC_PLAN_MAX_VALUES ? &plan->generic : &plan->custom;
}

/* The variant for this many values, or NULL while it is not prepared. */
SPIPlanPtr
readmodel_keyed_plan(KeyedPlan *plan, int nvalues)
{
	return *keyed_slot(plan, nvalues);
}

/* Prepare (from `sql`) and keep the variant for this many values. */
SPIPlanPtr
readmodel_keyed_plan_prepare(KeyedPlan *plan, const char *sql, Oid argtype,
							 int nvalues)
{
	return readmodel_keyed_plan_prepare_args(plan, sql, 1, &argtype, nvalues);
}

/* ... with several array parameters (a composite key's columns). */
SPIPlanPtr
readmodel_keyed_plan_prepare_args(KeyedPlan *plan, const char *sql, int nargs,
								  Oid *argtypes, int nvalues)
{
	SPIPlanPtr	prepared;

	prepared = SPI_prepare_cursor(sql, nargs, argtypes,
								  nvalues <= READMODEL_GENERIC_PLAN_MAX_VALUES
								  ? CURSOR_OPT_GENERIC_PLAN : CURSOR_OPT_CUSTOM_PLAN);
	if (prepared == NULL)
		elog(ERROR, "could not prepare maintenance statement \"%s\": %s", sql,
			 SPI_result_code_string(SPI_result));
	SPI_keepplan(prepared);
	*keyed_slot(plan, nvalues) = prepared;
	return prepared;
}

static void
set_planner_option(const char *name, const char *value)
{
	(void) set_config_option(name, value, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
}

/*
 * A custom plan for many values is costed with random reads barely dearer
 * than sequential ones: the rows a maintenance statement reads are those
 * just written and the rows next to them, nearly always in shared buffers.
 * At the default cost (4.0) a recompute of 1,000 keys hashed whole child
 * tables, three times slower than probing their indexes.
 */
static void
cost_random_reads_as_cached(void)
{
	double		cached = seq_page_cost * 1.1;

	if (random_page_cost > cached)
		set_planner_option("random_page_cost", psprintf("%g", cached));
}

/*
 * Run a maintenance statement for `nvalues` values under the latest
 * snapshot.  The generic variant is planned (whenever the plan cache
 * builds it) with hash and merge joins off: planned for an unknown number
 * of values it would otherwise hash whole parent tables on every call,
 * where a few index probes are what a handful of values needs.  (Turning
 * sequential scans off as well made plans over tables without a usable
 * index far worse.)
 *
 * A custom plan (many values) is costed as cost_random_reads_as_cached()
 * says.  index_probes says the statement reads tables only by columns that
 * have an index by construction (a patch: the source's unique column, the
 * model's patch column).  Its generic plan is built with sequential scans off as
 * well: estimated from a column's average, a skewed parent (one category
 * owning most rows) would otherwise make the plan scan the whole model to
 * reach the few rows of a small parent.
 */
int
readmodel_execute_keyed(SPIPlanPtr plan, int nvalues, Datum *arg,
						bool read_only, bool fire_triggers, bool index_probes)
{
	bool		generic = nvalues <= READMODEL_GENERIC_PLAN_MAX_VALUES;
	int			nestlevel = NewGUCNestLevel();
	int			rc;

	if (generic)
	{
		set_planner_option("enable_hashjoin", "off");
		set_planner_option("enable_mergejoin", "off");
		if (index_probes)
			set_planner_option("enable_seqscan", "off");
	}
	else
		cost_random_reads_as_cached();
	rc = SPI_execute_snapshot(plan, arg, NULL, GetLatestSnapshot(),
							  InvalidSnapshot, read_only, fire_triggers, 0);
	AtEOXact_GUC(false, nestlevel);
	return rc;
}

void
readmodel_keyed_plan_free(KeyedPlan *plan)
{
	if (plan->generic)
		SPI_freeplan(plan->generic);
	if (plan->custom)
		SPI_freeplan(plan->custom);
	plan->generic = plan->custom = NULL;
}
