/*
 * fuzz.c — the pg_readmodel definition fuzzer: options, main loop, report.
 *
 * For each random schema (one per --per-schema definitions) it builds a
 * template database, then generates definitions one after the other.
 * Each runs as a trial (trial.c) in a clone of the template.  Accepted
 * definitions that pass become models later definitions may read.  A
 * failure is printed with everything needed to reproduce it, shrunk
 * (shrink.c), and the database of the minimal failure is kept.
 *
 * Usage: fuzz [--seed N] [--definitions N] [--seconds N] [--transactions N]
 *             [--dbname CONNINFO] [--keep-going] [--verbose]
 *             [--stop-on-failure] ... (fuzz --help)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"

const char *const progname = "fuzz";

Options		opt = {
	.seed = 0,
	.definitions = 0,
	.seconds = 0,
	.transactions = 15,
	.per_schema = 12,
	.conninfo = NULL,
	.dbprefix = "fuzz",
	.shrink_seconds = 60,
	.max_shrinks = 10,
	.profile = -1,
	.keep_failures = 5,
	.gexpr = -1,
	.rollup = 0,
};

typedef struct Count
{
	char	   *what;
	long		n;
	long		m;				/* a second count (accepted, ...) */
} Count;

typedef struct Counts
{
	Count		v[256];
	int			n;
} Counts;

/* distinct failures: a headline, how often, the smallest minimal definition */
typedef struct Distinct
{
	char	   *headline;
	long		n;
	char	   *example;		/* minimal definition, on one line */
	int			size;
	char	   *where;			/* seed, schema, model of the example */
} Distinct;

/* columns of Stats.cons */
enum
{
	CS_MADE, CS_ACCEPTED, CS_REFUSED, CS_WRONG, CS_FAILED, CS_BAD, CS_N
};

typedef struct Stats
{
	long		defs;
	long		accepted;
	long		refused;
	long		passed;
	long		txns;
	long		comparisons;
	long		outcomes[NOUTCOMES];
	long		verify_disagree;
	long		failures;
	long		flaky;			/* failures that did not happen again */
	Counts		reasons;		/* refusals by reason */
	Counts		bad;			/* deliberately bad constructs: made, accepted */
	Counts		shapes;			/* shapes: made, accepted */
	long		cons[NCONSTRUCTS + 2][CS_N];	/* by construct; last: any source, any shape */
	long		schemas;
	Distinct	distinct[64];
	int			ndistinct;
} Stats;

static Stats stats;
static int	shrinks_done;
static int	failures_kept;

static Count *
count_of(Counts *c, const char *what)
{
	for (int i = 0; i < c->n; i++)
		if (strcmp(c->v[i].what, what) == 0)
			return &c->v[i];
	if (c->n == lengthof(c->v))
		return &c->v[c->n - 1];
	c->v[c->n].what = xstrdup(what);
	c->v[c->n].n = c->v[c->n].m = 0;
	return &c->v[c->n++];
}

static int
count_cmp(const void *a, const void *b)
{
	const Count *x = a;
	const Count *y = b;

	return x->n < y->n ? 1 : x->n > y->n ? -1 : strcmp(x->what, y->what);
}

/* ------------------------------------------------------------------ */
/* reporting                                                           */
/* ------------------------------------------------------------------ */

static char *
one_line(const char *s)
{
	Buf			b = {0};
	bool		space = false;

	for (const char *p = s; *p; p++)
	{
		if (*p == '\n' || *p == ' ' || *p == '\t')
		{
			space = true;
			continue;
		}
		if (space && b.len > 0)
			buf_puts(&b, " ");
		space = false;
		buf_append(&b, "%c", *p);
	}
	return b.data ? b.data : xstrdup("");
}

/* group a (shrunk) failure with the others of the same headline */
static void
note_distinct(const Trial *t, const TrialResult *res, int schema_no)
{
	const Def  *d = t->defs[res->model];
	const char *h = res->headline ? res->headline : outcome_name(res->kind);
	int			size = fr_size(d->frag);
	Distinct   *x = NULL;

	for (int i = 0; i < stats.ndistinct; i++)
		if (strcmp(stats.distinct[i].headline, h) == 0)
			x = &stats.distinct[i];
	if (x == NULL && stats.ndistinct < lengthof(stats.distinct))
	{
		x = &stats.distinct[stats.ndistinct++];
		x->headline = xstrdup(h);
	}
	if (x == NULL)
		return;
	x->n++;
	if (x->example == NULL || size < x->size)
	{
		char	   *text = def_text(d);

		free(x->example);
		free(x->where);
		x->example = one_line(text);
		x->size = size;
		x->where = strf("seed %" PRIu64 ", schema %d, %s", opt.seed, schema_no, d->name);
		free(text);
	}
}

static void
print_distinct(void)
{
	if (stats.ndistinct == 0)
		return;
	printf("distinct failures (by headline; the smallest minimal definition of each):\n");
	for (int i = 0; i < stats.ndistinct; i++)
		printf("  %5ld  %s\n         %s: %s\n", stats.distinct[i].n, stats.distinct[i].headline,
			   stats.distinct[i].where, stats.distinct[i].example);
}

static void
print_stats(double elapsed)
{
	long		fail = stats.outcomes[OUT_WRONG] + stats.outcomes[OUT_LEFTOVER] +
		stats.outcomes[OUT_ERROR] + stats.outcomes[OUT_HEALTH] + stats.outcomes[OUT_VERIFY] +
		stats.outcomes[OUT_CRASH];

	printf("\n==== fuzz statistics (seed %" PRIu64 ", %.0f s, %ld schemas) ====\n",
		   opt.seed, elapsed, stats.schemas);
	printf("definitions generated  %ld\n", stats.defs);
	printf("accepted               %ld (%.1f%%), passed %ld\n", stats.accepted,
		   stats.defs ? 100.0 * stats.accepted / stats.defs : 0.0, stats.passed);
	printf("refused                %ld\n", stats.refused);
	qsort(stats.reasons.v, stats.reasons.n, sizeof(Count), count_cmp);
	for (int i = 0; i < stats.reasons.n; i++)
		printf("  %5ld  %s\n", stats.reasons.v[i].n, stats.reasons.v[i].what);
	printf("by shape (generated / accepted):\n");
	for (int i = 0; i < stats.shapes.n; i++)
		printf("  %-22s %5ld / %ld\n", stats.shapes.v[i].what, stats.shapes.v[i].n,
			   stats.shapes.v[i].m);
	printf("by construct (definitions that have one: generated / accepted (share)"
		   " / refused / wrong / other failures; with a bad construct):\n");
	for (int i = 0; i < NCONSTRUCTS + 2; i++)
	{
		const long *c = stats.cons[i];

		if (i == NSOURCES)
			printf("  -- keys, set operations, windows, routes, sources of extra.c:\n");
		if (i == 21)
			printf("  -- grouping expressions as keys (extra.c):\n");
		if (i == NCONSTRUCTS)
			printf("  --\n");
		printf("  %-24s %5ld / %ld (%.1f%%) / %ld / %ld / %ld; bad %ld\n",
			   i < NCONSTRUCTS ? construct_names[i] : i == NCONSTRUCTS ?
			   "any source construct" : "any extra.c shape", c[CS_MADE],
			   c[CS_ACCEPTED], c[CS_MADE] ? 100.0 * c[CS_ACCEPTED] / c[CS_MADE] : 0.0,
			   c[CS_REFUSED], c[CS_WRONG], c[CS_FAILED], c[CS_BAD]);
	}
	printf("deliberately bad constructs (generated / accepted):\n");
	qsort(stats.bad.v, stats.bad.n, sizeof(Count), count_cmp);
	for (int i = 0; i < stats.bad.n; i++)
		printf("  %5ld / %-4ld %s\n", stats.bad.v[i].n, stats.bad.v[i].m, stats.bad.v[i].what);
	printf("transactions run       %ld\n", stats.txns);
	printf("comparisons made       %ld\n", stats.comparisons);
	printf("wrong                  %ld\n", stats.outcomes[OUT_WRONG]);
	printf("verify disagreements   %ld\n", stats.verify_disagree);
	printf("leftovers              %ld\n", stats.outcomes[OUT_LEFTOVER]);
	printf("write errors           %ld\n", stats.outcomes[OUT_ERROR]);
	printf("health problems        %ld\n", stats.outcomes[OUT_HEALTH]);
	printf("server crashes         %ld\n", stats.outcomes[OUT_CRASH]);
	printf("(not counted as failures: definition errors %ld, nondeterministic %ld,"
		   " setup %ld, not reproducible %ld)\n", stats.outcomes[OUT_DEFERROR],
		   stats.outcomes[OUT_NONDET], stats.outcomes[OUT_SETUP] - stats.flaky, stats.flaky);
	print_distinct();
	printf("fuzz: %s\n", fail ? "FAILED" : "ok");
}

static void
print_failure(const Schema *s, int schema_no, Trial *t, TrialResult *res)
{
	Buf			b = {0};

	stats.failures++;
	printf("\n======================================================================\n");
	printf("fuzz: failure %ld: %s in %s; seed %" PRIu64 ", schema %d (schema seed %" PRIu64
		   "), %s\n", stats.failures, outcome_name(res->kind), t->defs[res->model]->name,
		   opt.seed, schema_no, s->seed, t->defs[t->ndefs - 1]->name);
	schema_print(s, stdout);
	trial_describe(t, &b);
	printf("%s%s", buf_str(&b), buf_str(&res->report));
	fflush(stdout);
	buf_free(&b);
}

/* shrink, print the minimal failure, keep its database */
static void
shrink_and_keep(Trial *t, TrialResult *res, int schema_no)
{
	Buf			b = {0};
	Def		   *d = t->defs[res->model];
	TrialResult again;

	if (opt.shrink_seconds > 0 && shrinks_done < opt.max_shrinks)
	{
		shrinks_done++;
		shrink_failure(t, res, opt.shrink_seconds, &b);
		printf("%s%s", buf_str(&b), buf_str(&res->report));
		buf_free(&b);
	}
	if (failures_kept < opt.keep_failures)
	{
		char	   *name = strf("%s_fail_%ld", opt.dbprefix, stats.failures);

		t->keep_db = name;
		/* a crash loses the last commits (synchronous_commit may be off) */
		t->ntxns = res->kind == OUT_CRASH && res->txn > 0 ? res->txn - 1 : res->txn;
		run_trial(t, &again);
		if (res->kind == OUT_CRASH)
			printf("-- kept database %s: the state before the failing transaction,"
				   " with the models created (%s)\n", name, outcome_name(again.kind));
		else
			printf("-- kept database %s: the state after the failing transaction"
				   " (%s again)\n", name, outcome_name(again.kind));
		trial_result_free(&again);
		t->keep_db = NULL;
		free(name);
		failures_kept++;
	}
	fflush(stdout);
	note_distinct(t, res, schema_no);
	fr_reset(d->frag);
}

/* ------------------------------------------------------------------ */
/* the main loop                                                       */
/* ------------------------------------------------------------------ */

typedef struct SchemaRun
{
	Schema		s;
	int			no;
	Def		   *models[MAXTABLES];	/* by schema table index */
	char	   *tmpl;
} SchemaRun;

static bool
time_left(double start)
{
	if (opt.seconds > 0 && now_seconds() - start >= opt.seconds)
		return false;
	if (opt.definitions > 0 && stats.defs >= opt.definitions)
		return false;
	return true;
}

static void
trial_for(SchemaRun *sr, Def *d, uint64_t dseed, Trial *t)
{
	Rng			r;

	memset(t, 0, sizeof(Trial));
	rng_seed(&r, mix_seed(dseed, 77));
	t->schema = &sr->s;
	t->template_db = sr->tmpl;
	for (int i = 0; i < d->ndeps; i++)
		t->defs[t->ndefs++] = sr->models[d->deps[i]];
	t->defs[t->ndefs++] = d;
	t->work_seed = mix_seed(dseed, 1);
	t->ntxns = opt.transactions;
	t->profile = opt.profile >= 0 ? opt.profile : chance(&r, 25);
	for (int i = 0; i < n_engine_settings(); i++)
		if (chance(&r, 15))
			t->engine |= 1u << i;
	for (int i = 0; i < sr->s.nbase; i++)
		t->weight[i] = (d->used >> i) & 1 ? 4 : 1;
	t->xweight = d->xused ? 35 : 5;
	t->xeweight = d->xe ? 45 : 0;
	t->tz = d->tzwrite;
}

static void
count_outcome(Def *d, TrialResult *res)
{
	Count	   *sh = count_of(&stats.shapes, d->shape);

	stats.defs++;
	sh->n++;
	if (d->bad)
		count_of(&stats.bad, d->bad)->n++;
	stats.outcomes[res->kind]++;
	stats.txns += res->txns;
	stats.comparisons += res->comparisons;
	stats.verify_disagree += res->verify_disagree;
	if (res->kind == OUT_REFUSED || (res->kind == OUT_LEFTOVER && res->reason))
	{
		stats.refused++;
		count_of(&stats.reasons, res->reason ? res->reason : "?")->n++;
		return;
	}
	if (res->kind == OUT_SETUP)
		return;
	stats.accepted++;
	sh->m++;
	if (d->bad)
		count_of(&stats.bad, d->bad)->m++;
	if (res->kind == OUT_OK)
		stats.passed++;
}

/*
 * The source constructs of a definition (views, WITH queries, plain
 * subqueries), counted with its final outcome (after the second run).
 */
static void
count_constructs(const Def *d, const TrialResult *res, Outcome kind)
{
	bool		refused = kind == OUT_REFUSED || (kind == OUT_LEFTOVER && res->reason);

	unsigned	sources = (1u << NSOURCES) - 1;

	for (int i = 0; i < NCONSTRUCTS + 2; i++)
	{
		long	   *c = stats.cons[i];

		if (i < NCONSTRUCTS ? !(d->constructs & (1u << i)) :
			i == NCONSTRUCTS ? !(d->constructs & sources) : !(d->constructs & ~sources))
			continue;
		c[CS_MADE]++;
		if (d->bad)
			c[CS_BAD]++;
		if (refused)
			c[CS_REFUSED]++;
		else if (kind != OUT_SETUP)
			c[CS_ACCEPTED]++;
		if (kind == OUT_WRONG)
			c[CS_WRONG]++;
		else if (outcome_is_failure(kind))
			c[CS_FAILED]++;
	}
}

/* a failure must happen again, the same way, before it is reported */
static bool
reproduces(const Trial *t, const TrialResult *res)
{
	TrialResult again;
	bool		same;

	run_trial(t, &again);
	same = again.kind == res->kind && again.model == res->model;
	trial_result_free(&again);
	return same;
}

/* one definition; returns false to stop the run */
static bool
run_definition(SchemaRun *sr, int i)
{
	uint64_t	dseed = mix_seed(sr->s.seed, 1000 + i);
	Def		   *d = gen_definition(&sr->s, dseed, i, true);
	Trial		t;
	TrialResult res;
	bool		keep = false;
	bool		go_on = true;

	trial_for(sr, d, dseed, &t);
	if (opt.verbose)
	{
		char	   *text = def_text(d);

		printf("fuzz: %s (%s, %s)%s%s%s:\n%s\n", d->name, d->shape, d->options,
			   d->bad ? " [bad: " : "", d->bad ? d->bad : "", d->bad ? "]" : "", text);
		free(text);
	}
	run_trial(&t, &res);
	count_outcome(d, &res);
	if (opt.verbose)
		printf("fuzz: %s: %s%s%s\n", d->name, outcome_name(res.kind),
			   res.reason ? ": " : "", res.reason ? res.reason : "");
	if (outcome_is_failure(res.kind) && !reproduces(&t, &res))
	{
		stats.flaky++;
		printf("fuzz: %s in %s did not happen again on a second run: not counted"
			   " (was the engine reinstalled meanwhile?)\n%s", outcome_name(res.kind),
			   t.defs[res.model]->name, buf_str(&res.report));
		stats.outcomes[res.kind]--;
		stats.outcomes[OUT_SETUP]++;
		count_constructs(d, &res, OUT_SETUP);
	}
	else if (outcome_is_failure(res.kind))
	{
		count_constructs(d, &res, res.kind);
		print_failure(&sr->s, sr->no, &t, &res);
		shrink_and_keep(&t, &res, sr->no);
		go_on = !opt.stop_on_failure;
	}
	else
		count_constructs(d, &res, res.kind);
	if (res.kind == OUT_OK)
	{
		int			ti = schema_register_model(&sr->s, d);

		if (ti >= 0)
		{
			sr->models[ti] = d;
			keep = true;
		}
	}
	trial_result_free(&res);
	if (!keep)
		def_free(d);
	return go_on;
}

static bool
run_schema(int no, double start)
{
	SchemaRun  *sr = xmalloc(sizeof(SchemaRun));
	double		t0 = now_seconds();
	long		defs0 = stats.defs;
	long		acc0 = stats.accepted;
	long		fail0 = stats.failures;
	bool		go_on = true;

	memset(sr, 0, sizeof(SchemaRun));
	sr->no = no;
	schema_generate(&sr->s, mix_seed(opt.seed, no));
	sr->tmpl = strf("%s_tmpl", opt.dbprefix);
	build_template(&sr->s, sr->tmpl);
	stats.schemas++;
	for (int i = 0; i < opt.per_schema && go_on; i++)
	{
		if (!time_left(start))
		{
			go_on = false;
			break;
		}
		go_on = run_definition(sr, i);
	}
	printf("fuzz: schema %d (%d tables): %ld definitions, %ld accepted, %ld failures"
		   " (%.1f s)\n", no, sr->s.nbase, stats.defs - defs0, stats.accepted - acc0,
		   stats.failures - fail0, now_seconds() - t0);
	fflush(stdout);
	for (int i = 0; i < MAXTABLES; i++)
		def_free(sr->models[i]);
	free(sr->tmpl);
	free(sr);
	return go_on;
}

/* ------------------------------------------------------------------ */
/* options                                                             */
/* ------------------------------------------------------------------ */

static void
usage(void)
{
	fprintf(stderr,
			"usage: fuzz [options]\n"
			"  --seed N            base seed (default: from the clock, printed)\n"
			"  --definitions N     stop after N definitions\n"
			"  --seconds N         stop starting definitions after N seconds\n"
			"                      (without either: 100 definitions)\n"
			"  --transactions N    workload transactions per accepted definition (15)\n"
			"  --per-schema N      definitions per random schema (12)\n"
			"  --dbname CONNINFO   where to connect to create databases (libpq env)\n"
			"  --prefix NAME       names of the databases created (fuzz_*)\n"
			"  --profile P         writing-session settings: pinned, hostile, random\n"
			"  --shrink-seconds N  time budget per shrunk failure, 0: no shrinking (60)\n"
			"  --max-shrinks N     shrink at most N failures (10)\n"
			"  --keep-failures N   keep the databases of N failures (5)\n"
			"  --rollup N          N%% of the definitions in the shapes aggregate deltas keep\n"
			"  --gexpr N           N%% of the definitions keyed by grouping expressions\n"
			"                      (default: the usual mix, about 10%%)\n"
			"  --keep-going        after a wrong comparison, go on with the workload\n"
			"  --stop-on-failure   stop at the first failure\n"
			"  --verbose           print definitions, outcomes and statements\n"
			"  --selftest          prove that the comparator catches corrupted rows\n");
	exit(2);
}

static long
num_arg(const char *v)
{
	char	   *end;
	long		n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || n < 0)
		usage();
	return n;
}

static bool
parse_options(int argc, char **argv)
{
	bool		selftest = false;

	for (int i = 1; i < argc; i++)
	{
		const char *a = argv[i];
		const char *v = NULL;

#define ARG() do { if (i + 1 >= argc) usage(); v = argv[++i]; } while (0)
		if (strcmp(a, "--seed") == 0)
		{
			ARG();
			opt.seed = strtoull(v, NULL, 10);
		}
		else if (strcmp(a, "--definitions") == 0)
		{
			ARG();
			opt.definitions = num_arg(v);
		}
		else if (strcmp(a, "--seconds") == 0)
		{
			ARG();
			opt.seconds = num_arg(v);
		}
		else if (strcmp(a, "--transactions") == 0)
		{
			ARG();
			opt.transactions = num_arg(v);
		}
		else if (strcmp(a, "--per-schema") == 0)
		{
			ARG();
			opt.per_schema = num_arg(v) ? num_arg(v) : 1;
		}
		else if (strcmp(a, "--dbname") == 0)
		{
			ARG();
			opt.conninfo = v;
		}
		else if (strcmp(a, "--prefix") == 0)
		{
			ARG();
			opt.dbprefix = v;
		}
		else if (strcmp(a, "--profile") == 0)
		{
			ARG();
			opt.profile = strcmp(v, "pinned") == 0 ? 0 : strcmp(v, "hostile") == 0 ? 1 : -1;
		}
		else if (strcmp(a, "--shrink-seconds") == 0)
		{
			ARG();
			opt.shrink_seconds = num_arg(v);
		}
		else if (strcmp(a, "--max-shrinks") == 0)
		{
			ARG();
			opt.max_shrinks = num_arg(v);
		}
		else if (strcmp(a, "--keep-failures") == 0)
		{
			ARG();
			opt.keep_failures = num_arg(v);
		}
		else if (strcmp(a, "--rollup") == 0)
		{
			ARG();
			opt.rollup = num_arg(v);
			if (opt.rollup > 100)
				usage();
		}
		else if (strcmp(a, "--gexpr") == 0)
		{
			ARG();
			opt.gexpr = num_arg(v);
			if (opt.gexpr > 100)
				usage();
		}
		else if (strcmp(a, "--keep-going") == 0)
			opt.keep_going = true;
		else if (strcmp(a, "--stop-on-failure") == 0)
			opt.stop_on_failure = true;
		else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0)
			opt.verbose = true;
		else if (strcmp(a, "--selftest") == 0)
			selftest = true;
		else
			usage();
#undef ARG
	}
	if (opt.seed == 0)
		opt.seed = (uint64_t) time(NULL) ^ ((uint64_t) getpid() << 16);
	if (opt.definitions == 0 && opt.seconds == 0)
		opt.definitions = 100;
	return selftest;
}

int
main(int argc, char **argv)
{
	double		start;
	long		fail;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (parse_options(argc, argv))
		return run_selftest();
	start = now_seconds();
	printf("fuzz: seed %" PRIu64 ", %d definitions, %d s, %d transactions per definition\n",
		   opt.seed, opt.definitions, opt.seconds, opt.transactions);
	drop_our_databases();
	for (int no = 0; time_left(start); no++)
		if (!run_schema(no, start))
			break;
	drop_work_databases();
	print_stats(now_seconds() - start);
	fail = stats.outcomes[OUT_WRONG] + stats.outcomes[OUT_LEFTOVER] +
		stats.outcomes[OUT_ERROR] + stats.outcomes[OUT_HEALTH] + stats.outcomes[OUT_VERIFY] +
		stats.outcomes[OUT_CRASH];
	return fail ? 1 : 0;
}
