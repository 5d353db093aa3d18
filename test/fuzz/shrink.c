/*
 * shrink.c — make a failing definition as small as it can be.
 *
 * Repeatedly remove one fragment of the failing model's definition (a
 * select-list item, a join, a WHERE or ON conjunct, an aggregate's FILTER,
 * a LIMIT or OFFSET, a jsonb_build_object pair, a cast) or replace one by
 * something simpler (a subquery by NULL), and run the same trial again:
 * same template database, same other models, same workload seed, up to
 * the failing transaction.  A change is kept when the trial still fails
 * the same way in the same model.  Passes repeat until none helps or the
 * time budget is spent.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

/* does r fail the way the original failure did? */
static bool
same_failure(const TrialResult *orig, const TrialResult *r)
{
	if (r->kind != orig->kind || r->model != orig->model)
		return false;
	if (orig->kind == OUT_ERROR)
		return strcmp(orig->sqlstate, r->sqlstate) == 0;
	return true;
}

/* try fragment f changed one way; keep it when the failure stays */
static bool
try_change(Trial *t, TrialResult *best, Frag *f, bool alt, int *trials)
{
	TrialResult r;

	if (alt)
		f->use_alt = true;
	else
		f->dropped = true;
	run_trial(t, &r);
	(*trials)++;
	if (same_failure(best, &r))
	{
		trial_result_free(best);
		*best = r;
		if (r.txn > 0 && r.txn < t->ntxns)
			t->ntxns = r.txn;
		return true;
	}
	trial_result_free(&r);
	f->use_alt = false;
	f->dropped = false;
	return false;
}

/* one pass over the current candidates; true if something was removed */
static bool
shrink_pass(Trial *t, Def *d, TrialResult *best, double deadline, int *trials)
{
	Frag	  **cands;
	int			n = fr_candidates(d->frag, &cands);
	bool		progress = false;

	for (int i = 0; i < n && now_seconds() < deadline; i++)
	{
		Frag	   *f = cands[i];

		if (f->dropped || f->use_alt)
			continue;
		if ((f->flags & F_DROP) && try_change(t, best, f, false, trials))
		{
			progress = true;
			continue;
		}
		if ((f->flags & F_ALT) && now_seconds() < deadline &&
			try_change(t, best, f, true, trials))
			progress = true;
	}
	free(cands);
	return progress;
}

/*
 * Shrink the failing model of trial t (res says how it failed); append
 * the minimal definition and its failure report to out and leave the
 * minimal failure in res.
 */
void
shrink_failure(Trial *t, TrialResult *res, double budget_s, Buf *out)
{
	Def		   *d = t->defs[res->model];
	double		start = now_seconds();
	double		deadline = start + budget_s;
	int			trials = 0;
	int			before = fr_size(d->frag);
	int			saved_ntxns = t->ntxns;
	char	   *text;

	t->ntxns = res->txn;
	while (now_seconds() < deadline && shrink_pass(t, d, res, deadline, &trials))
		;
	text = def_text(d);
	buf_append(out, "-- shrinking: %d trials in %.1f s, %d -> %d fragments%s\n",
			   trials, now_seconds() - start, before, fr_size(d->frag),
			   now_seconds() >= deadline ? " (time budget spent)" : "");
	buf_append(out, "-- minimal definition of %s (options %s), still %s:\n%s\n",
			   d->name, d->options, outcome_name(res->kind), text);
	free(text);
	(void) saved_ntxns;
}
