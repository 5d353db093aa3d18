/*
 * trial.c — one run of a definition against a schema.
 *
 * A trial clones the schema's template database (schema and initial
 * data), creates the models the candidate reads and then the candidate
 * with readmodel.create().  A refused candidate must leave nothing
 * behind.  An accepted one is compared with a fresh run of its definition
 * right away and after every transaction of the workload; at the end
 * health_check() must be clean and readmodel.drop() must leave nothing.
 * The same trial (same template, definitions and workload seed) always
 * runs the same statements, which is what the shrinker relies on.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

static PGconn *admin;

static const char *const outcome_names[NOUTCOMES] = {
	"ok", "refused", "WRONG", "VERIFY-DISAGREES", "LEFTOVER", "ERROR",
	"HEALTH", "definition error", "nondeterministic definition",
	"setup failed", "CRASH"
};

const char *
outcome_name(Outcome o)
{
	return outcome_names[o];
}

bool
outcome_is_failure(Outcome o)
{
	return o == OUT_WRONG || o == OUT_VERIFY || o == OUT_LEFTOVER ||
		o == OUT_ERROR || o == OUT_HEALTH || o == OUT_CRASH;
}

static PGconn *
admin_conn(void)
{
	if (admin != NULL && conn_lost(admin))
	{
		PQfinish(admin);
		admin = NULL;
	}
	if (admin == NULL)
	{
		admin = connect_db_retry(opt.conninfo, NULL);
		if (admin == NULL)
			exit(2);
	}
	/* after a crash the first statement may still find the old session */
	if (!exec_quiet(admin, "SELECT 1"))
	{
		PQfinish(admin);
		admin = connect_db_retry(opt.conninfo, NULL);
		if (admin == NULL)
			exit(2);
	}
	return admin;
}

/*
 * Run a statement on the admin connection; when the server has just
 * crashed, wait for it to come back and try again.
 */
static void
admin_exec(const char *sql)
{
	for (int tries = 0;; tries++)
	{
		PGconn	   *a = admin_conn();
		PGresult   *r = PQexec(a, sql);

		if (res_ok(r))
		{
			PQclear(r);
			return;
		}
		if (!conn_lost(a) || tries >= 10)
		{
			fprintf(stderr, "fuzz: setup statement failed: %s-- statement:\n%s\n",
					PQerrorMessage(a), sql);
			exit(2);
		}
		PQclear(r);
		sleep(1);
	}
}

char *
work_db_name(void)
{
	return strf("%s_work", opt.dbprefix);
}

/* drop a database of ours, rolling back prepared transactions left in it */
static void
drop_database(const char *name)
{
	PGconn	   *a = admin_conn();
	const char *params[1] = {name};
	PGresult   *r = PQexecParams(a, "SELECT gid FROM pg_prepared_xacts WHERE database = $1",
								 1, NULL, params, NULL, NULL, 0);
	char	   *sql;

	if (res_ok(r) && PQntuples(r) > 0)
	{
		PGconn	   *c = connect_db_retry(opt.conninfo, name);

		for (int i = 0; c && i < PQntuples(r); i++)
		{
			char	   *g = quote_literal(PQgetvalue(r, i, 0));
			char	   *s = strf("ROLLBACK PREPARED %s", g);

			exec_quiet(c, s);
			free(s);
			free(g);
		}
		if (c)
			PQfinish(c);
	}
	PQclear(r);
	sql = strf("DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", name);
	admin_exec(sql);
	free(sql);
}

/* drop the databases of earlier runs with our prefix */
void
drop_our_databases(void)
{
	PGconn	   *a = admin_conn();
	char	   *pat = strf("%s\\_%%", opt.dbprefix);
	const char *params[1] = {pat};
	PGresult   *r = PQexecParams(a, "SELECT datname FROM pg_database WHERE datname LIKE $1",
								 1, NULL, params, NULL, NULL, 0);

	for (int i = 0; res_ok(r) && i < PQntuples(r); i++)
		drop_database(PQgetvalue(r, i, 0));
	PQclear(r);
	free(pat);
}

/* at the end of a run: the template and the work database */
void
drop_work_databases(void)
{
	char	   *t = strf("%s_tmpl", opt.dbprefix);
	char	   *w = work_db_name();

	drop_database(t);
	drop_database(w);
	free(t);
	free(w);
}

/* the template of a schema: extension, tables, data, statistics */
void
build_template(const Schema *s, const char *name)
{
	char	   *sql;
	PGconn	   *c;

	drop_database(name);
	sql = strf("CREATE DATABASE \"%s\"", name);
	admin_exec(sql);
	free(sql);
	c = connect_db(opt.conninfo, name);
	if (c == NULL)
		exit(2);
	exec_or_die(c, "SET client_min_messages = warning");
	exec_or_die(c, "CREATE EXTENSION pg_readmodel");
	for (int i = 0; i < s->ddl.n; i++)
		exec_or_die(c, s->ddl.v[i]);
	for (int i = 0; i < s->fill.n; i++)
		exec_or_die(c, s->fill.v[i]);
	exec_or_die(c, "ANALYZE");
	PQfinish(c);
}

static PGconn *
clone_database(const char *tmpl, const char *name)
{
	char	   *sql;
	PGconn	   *c;

	drop_database(name);
	sql = strf("CREATE DATABASE \"%s\" TEMPLATE \"%s\"", name, tmpl);
	admin_exec(sql);
	free(sql);
	c = connect_db_retry(opt.conninfo, name);
	if (c == NULL)
		exit(2);
	exec_or_die(c, "SET client_min_messages = warning");
	exec_or_die(c, "SET statement_timeout = '120s'");
	return c;
}

/* ------------------------------------------------------------------ */
/* refusals and leftovers                                              */
/* ------------------------------------------------------------------ */

/* a word that names an object, not the construct: replaced by _ */
static bool
is_name_word(const char *w, size_t n)
{
	static const char *const prefixes[] = {"tb_", "tv_", "v_", "pk_", "fk_", "public."};

	for (int i = 0; i < lengthof(prefixes); i++)
		if (n >= strlen(prefixes[i]) && strncmp(w, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	for (size_t i = 0; i < n; i++)
		if (w[i] >= '0' && w[i] <= '9')
			return true;
	return false;
}

/* the reason of a refusal, without names: for statistics */
static char *
normalize_reason(const char *sqlstate, const char *msg, const char *detail)
{
	Buf			b = {0};
	int			words = 0;
	const char *parts[2] = {msg ? msg : "", detail ? detail : ""};
	int			limits[2] = {detail ? 9 : 16, 12};

	buf_append(&b, "%s", sqlstate ? sqlstate : "?????");
	for (int p = 0; p < 2; p++)
	{
		const char *s = parts[p];
		int			limit = limits[p];

		if (*s == '\0')
			continue;
		buf_puts(&b, p == 0 ? " " : " | ");
		words = 0;
		while (*s && words < limit)
		{
			size_t		n;

			while (*s == ' ')
				s++;
			if (*s == '"')
			{
				const char *e = strchr(s + 1, '"');

				n = e ? (size_t) (e - s + 1) : strlen(s);
				buf_puts(&b, words ? " _" : "_");
			}
			else
			{
				n = strcspn(s, " ");
				if (is_name_word(s, n))
					buf_puts(&b, words ? " _" : "_");
				else
					buf_append(&b, "%s%.*s", words ? " " : "", (int) n, s);
			}
			s += n;
			words++;
		}
	}
	return b.data;
}

/*
 * Objects a model left behind: relations named like it, catalog rows of
 * models not in `remaining`, capture triggers no model needs (a partition's
 * belong to a model of its partitioned table), and what
 * health_check() complains about.  Appends them to out; returns the count.
 */
static int
leftovers(PGconn *c, const char *name, const Trial *t, int nremaining, Buf *out)
{
	Buf			names = {0};
	const char *params[2];
	PGresult   *r;
	int			n;

	buf_puts(&names, "{");
	for (int i = 0; i < nremaining; i++)
		buf_append(&names, "%s%s", i ? "," : "", t->defs[i]->name);
	buf_puts(&names, "}");
	params[0] = name;
	params[1] = buf_str(&names);
	r = PQexecParams(c,
					 "SELECT 'relation ' || c.relname FROM pg_class c"
					 " WHERE c.relname = $1 OR left(c.relname, length($1) + 1) = $1 || '_'"
					 " UNION ALL SELECT 'catalog row ' || m.relid::oid::text FROM readmodel.model m"
					 " WHERE NOT EXISTS (SELECT 1 FROM pg_class k WHERE k.oid = m.relid::oid"
					 "   AND k.relname = ANY($2::text[]))"
					 " UNION ALL SELECT 'capture trigger ' || t.tgname || ' on ' || t.tgrelid::regclass"
					 " FROM pg_trigger t WHERE t.tgname LIKE 'readmodel\\_capture\\_%'"
					 " AND NOT EXISTS (SELECT 1 FROM readmodel.model m WHERE t.tgrelid = ANY(m.sources)"
					 "   OR EXISTS (SELECT 1 FROM pg_partition_ancestors(t.tgrelid) a"
					 "     WHERE a.relid = ANY(m.sources)))"
					 " UNION ALL SELECT 'health_check: ' || h.status || ' ' || h.component || ': ' || h.message"
					 " FROM readmodel.health_check() h WHERE h.status <> 'ok'",
					 2, NULL, params, NULL, NULL, 0);
	buf_free(&names);
	if (!res_ok(r))
	{
		char	   *e = error_text(r);

		buf_append(out, "-- the leftover check failed: %s\n", e);
		free(e);
		PQclear(r);
		return 1;
	}
	n = PQntuples(r);
	for (int i = 0; i < n; i++)
		buf_append(out, "   left behind: %s\n", PQgetvalue(r, i, 0));
	PQclear(r);
	return n;
}

/* ------------------------------------------------------------------ */
/* the trial                                                           */
/* ------------------------------------------------------------------ */

/*
 * Maintenance settings a trial may use (bit i of Trial.engine): small
 * chunks and lock escalation thresholds, rebuilds of a few keys, no
 * patches.  The content of a model must not depend on any of them.
 */
static const char *const engine_settings[][2] = {
	{"readmodel.apply_chunk", "2"},
	{"readmodel.lock_escalation", "3"},
	{"readmodel.rebuild_min_keys", "1"},
	{"readmodel.rebuild_fraction", "0.3"},
	{"readmodel.enable_patch", "off"},
};

int
n_engine_settings(void)
{
	return lengthof(engine_settings);
}

static void
apply_engine_settings(PGconn *c, unsigned bits, Buf *log)
{
	for (int i = 0; i < lengthof(engine_settings); i++)
		if (bits & (1u << i))
		{
			char	   *sql = strf("SET %s = '%s'", engine_settings[i][0], engine_settings[i][1]);

			exec_or_die(c, sql);
			buf_append(log, "%s;\n", sql);
			free(sql);
		}
}

typedef struct Run
{
	const Trial *t;
	TrialResult *res;
	PGconn	   *w;				/* writes, with the trial's settings */
	PGconn	   *c;				/* compares, with the pinned settings */
	char	   *texts[MAXDEFS];
	Buf			settings;		/* the SET statements of the writing session */
	int			txn;
	Workload	wl;
	bool		failed;
	long		extra_wrong;	/* --keep-going: wrong checks after the first */
} Run;

static void
fail(Run *run, Outcome kind, int model, const char *fmt, const char *arg)
{
	TrialResult *res = run->res;

	run->failed = true;
	if (outcome_is_failure(res->kind))
	{
		/* --keep-going: the first failure is the one reported */
		buf_append(&res->report, "-- also: %s at transaction %d\n", outcome_name(kind), run->txn);
		return;
	}
	res->kind = kind;
	res->model = model;
	res->txn = run->txn;
	buf_append(&res->report, "fuzz: %s: model %s, ", outcome_name(kind),
			   run->t->defs[model]->name);
	buf_append(&res->report, fmt, arg);
	buf_puts(&res->report, "\n");
	{
		/* without names, numbers and the DETAIL: for grouping failures */
		char	   *line = strf(fmt, arg);
		char	   *nl = strchr(line, '\n');

		if (nl)
			*nl = '\0';
		free(res->headline);
		res->headline = normalize_reason(outcome_name(kind), line, NULL);
		free(line);
	}
	if (run->settings.len > 0)
		buf_append(&res->report, "-- the writing session ran:\n%s", buf_str(&run->settings));
}

static bool
create_model(Run *run, int i)
{
	const Def  *d = run->t->defs[i];
	const char *params[3] = {d->name, run->texts[i], d->options};
	PGresult   *r = PQexecParams(run->w, "SELECT readmodel.create($1, $2, $3::jsonb)",
								 3, NULL, params, NULL, NULL, 0);
	bool		ok = res_ok(r);

	if (!ok && conn_lost(run->w))
	{
		fail(run, OUT_CRASH, i, "the server crashed in readmodel.create(): %s",
			 PQerrorMessage(run->w));
		PQclear(r);
		return false;
	}
	if (!ok && i < run->t->ndefs - 1)
	{
		char	   *e = error_text(r);

		fail(run, OUT_SETUP, i, "a model read by the candidate was refused: %s", e);
		run->res->kind = OUT_SETUP;
		free(e);
	}
	else if (!ok)
	{
		const char *st = PQresultErrorField(r, PG_DIAG_SQLSTATE);

		snprintf(run->res->sqlstate, sizeof run->res->sqlstate, "%s", st ? st : "?????");
		run->res->reason = normalize_reason(st, PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY),
											PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL));
		run->res->kind = OUT_REFUSED;
		if (opt.verbose)
		{
			char	   *e = error_text(r);

			printf("  refused: %s\n", e);
			free(e);
		}
	}
	PQclear(r);
	return ok;
}

static void
report_txn(Run *run)
{
	Buf		   *rep = &run->res->report;

	if (run->txn == 0)
	{
		buf_puts(rep, "-- (right after readmodel.create, before any transaction)\n");
		return;
	}
	buf_append(rep, "-- statements of transaction %d, in order:\n", run->txn);
	workload_print_log(&run->wl, rep);
}

/* compare one model; false after a failure that ends the trial */
static bool
check_model(Run *run, int i)
{
	const Def  *d = run->t->defs[i];
	CompareResult cr;
	TrialResult *res = run->res;

	if (!compare_model(run->c, d->name, run->texts[i], &cr) && conn_lost(run->c))
	{
		fail(run, OUT_CRASH, i, "the server crashed while comparing: %s",
			 cr.error ? cr.error : "?");
		compare_result_free(&cr);
		return false;
	}
	if (cr.error)
	{
		res->kind = cr.query_error ? OUT_DEFERROR : OUT_ERROR;
		if (cr.query_error)
		{
			res->model = i;
			res->txn = run->txn;
			buf_append(&res->report, "fuzz: the definition of %s fails: %s\n", d->name, cr.error);
			run->failed = true;
		}
		else
			fail(run, OUT_ERROR, i, "reading the model table failed: %s", cr.error);
		compare_result_free(&cr);
		return false;
	}
	res->comparisons++;
	if (compare_differs(&cr))
	{
		if (run->res->kind == OUT_WRONG)
		{
			run->extra_wrong++;
			compare_result_free(&cr);
			return true;
		}
		if (definition_is_nondeterministic(run->c, d->name, run->texts[i]))
		{
			res->kind = OUT_NONDET;
			res->model = i;
			run->failed = true;
			compare_result_free(&cr);
			return false;
		}
		{
			char		when[64];

			if (run->txn)
				snprintf(when, sizeof when, "after transaction %d", run->txn);
			else
				snprintf(when, sizeof when, "right after readmodel.create");
			fail(run, OUT_WRONG, i, "differs from a fresh run of its definition %s", when);
		}
		res->verify_missed = cr.verify_rows == 0;
		if (res->verify_missed)
			res->verify_disagree++;
		report_txn(run);
		buf_puts(&res->report, buf_str(&cr.report));
		if (res->verify_missed)
			buf_puts(&res->report, "-- and readmodel.verify() did not notice (a second finding)\n");
		compare_result_free(&cr);
		if (opt.keep_going)
		{
			run->failed = false;
			return true;
		}
		return false;
	}
	if (cr.verify_rows != 0)
	{
		res->verify_disagree++;
		fail(run, OUT_VERIFY, i, "readmodel.verify() reports rows where the binary comparison"
			 " finds none %s", run->txn ? "(after a transaction)" : "(right after create)");
		report_txn(run);
		buf_puts(&res->report, buf_str(&cr.report));
		compare_result_free(&cr);
		return false;
	}
	compare_result_free(&cr);
	return true;
}

static bool
check_all(Run *run)
{
	for (int i = 0; i < run->t->ndefs; i++)
		if (!check_model(run, i))
			return false;
	return !run->failed;
}

static void
run_refused(Run *run)
{
	Buf			lo = {0};
	int			n = leftovers(run->c, run->t->defs[run->t->ndefs - 1]->name, run->t,
							  run->t->ndefs - 1, &lo);

	if (n > 0)
	{
		fail(run, OUT_LEFTOVER, run->t->ndefs - 1, "%s", "was refused but left objects behind");
		buf_append(&run->res->report, "-- refused with: %s\n", run->res->reason);
		buf_puts(&run->res->report, buf_str(&lo));
	}
	buf_free(&lo);
}

/* self-test: the sources' triggers off, so the models go stale */
static void
sabotage(Run *run)
{
	for (int i = 0; i < run->t->schema->nbase; i++)
	{
		char	   *sql = strf("ALTER TABLE %s DISABLE TRIGGER USER", run->t->schema->t[i].name);

		exec_or_die(run->w, sql);
		free(sql);
	}
	/* the extra tables (extra.c); tb_xp's partitions with it */
	exec_or_die(run->w, "ALTER TABLE tb_xc DISABLE TRIGGER USER");
	exec_or_die(run->w, "ALTER TABLE tb_xm DISABLE TRIGGER USER");
	exec_or_die(run->w, "ALTER TABLE tb_xp DISABLE TRIGGER USER");
	exec_or_die(run->w, "ALTER TABLE tb_xe DISABLE TRIGGER USER");
	exec_or_die(run->w, "ALTER TABLE tb_xt DISABLE TRIGGER USER");
}

static void
run_workload(Run *run)
{
	const Trial *t = run->t;

	workload_init(&run->wl, run->w, t->schema, t->work_seed);
	memcpy(run->wl.weight, t->weight, sizeof t->weight);
	run->wl.xweight = t->xweight;
	run->wl.xeweight = t->xeweight;
	run->wl.tz = t->tz;
	for (int i = 0; i < t->ndefs; i++)
		run->wl.model_names[run->wl.nmodels++] = t->defs[i]->name;
	for (run->txn = 1; run->txn <= t->ntxns; run->txn++)
	{
		TxEnd		e = workload_txn(&run->wl);

		run->res->txns++;
		if (e == TX_ERROR && run->wl.crashed)
		{
			fail(run, OUT_CRASH, t->ndefs - 1, "the server crashed: %s", run->wl.err_msg);
			buf_puts(&run->res->report, "-- every statement of the writing session"
					 " (after readmodel.create), in order:\n");
			workload_print_all(&run->wl, &run->res->report);
			return;
		}
		if (e == TX_ERROR)
		{
			fail(run, OUT_ERROR, t->ndefs - 1, "a transaction failed: %s", run->wl.err_msg);
			run->res->model = t->ndefs - 1;
			snprintf(run->res->sqlstate, sizeof run->res->sqlstate, "%s", run->wl.err_state);
			report_txn(run);
			return;
		}
		if (!check_all(run))
			return;
	}
	run->txn = t->ntxns;
}

/*
 * The models the candidate read: the first dropped with cascade => true
 * (its readers go with it), then the others, readers first.  Nothing of
 * any of them may remain.
 */
static void
drop_the_rest(Run *run, Buf *lo)
{
	const Trial *t = run->t;

	for (int i = -1; i < t->ndefs - 1; i++)
	{
		const char *name = t->defs[i < 0 ? 0 : t->ndefs - 2 - i]->name;
		const char *params[2] = {name, i < 0 ? "true" : "false"};
		PGresult   *r = PQexecParams(run->w, "SELECT readmodel.drop($1, $2::boolean)"
									 " WHERE to_regclass($1) IS NOT NULL",
									 2, NULL, params, NULL, NULL, 0);

		if (!res_ok(r))
		{
			char	   *e = error_text(r);

			fail(run, OUT_ERROR, 0, "dropping the models read by the candidate failed: %s", e);
			free(e);
			PQclear(r);
			return;
		}
		PQclear(r);
	}
	for (int i = 0; i < t->ndefs - 1; i++)
		if (leftovers(run->c, t->defs[i]->name, t, 0, lo) > 0)
		{
			fail(run, OUT_LEFTOVER, i, "%s", "dropping all models left objects behind");
			buf_puts(&run->res->report, buf_str(lo));
			return;
		}
}

/* at the end: health_check() clean, readmodel.drop() leaves nothing */
static void
run_finish(Run *run)
{
	const Trial *t = run->t;
	const char *name = t->defs[t->ndefs - 1]->name;
	const char *params[1] = {name};
	Buf			lo = {0};
	PGresult   *r;

	if (leftovers(run->c, "-", t, t->ndefs, &lo) > 0)
	{
		fail(run, OUT_HEALTH, t->ndefs - 1, "%s", "health or catalog check failed after the workload");
		buf_puts(&run->res->report, buf_str(&lo));
		buf_free(&lo);
		return;
	}
	if (t->keep_db)
		return;					/* a kept database keeps its models */
	r = PQexecParams(run->w, "SELECT readmodel.drop($1)", 1, NULL, params, NULL, NULL, 0);
	if (!res_ok(r))
	{
		char	   *e = error_text(r);

		fail(run, OUT_ERROR, t->ndefs - 1, "readmodel.drop() failed: %s", e);
		free(e);
	}
	else if (leftovers(run->c, name, t, t->ndefs - 1, &lo) > 0)
	{
		fail(run, OUT_LEFTOVER, t->ndefs - 1, "%s", "readmodel.drop() left objects behind");
		buf_puts(&run->res->report, buf_str(&lo));
	}
	else if (t->ndefs > 1)
		drop_the_rest(run, &lo);
	PQclear(r);
	buf_free(&lo);
}

void
run_trial(const Trial *t, TrialResult *res)
{
	Run			run;
	char	   *db = t->keep_db ? xstrdup(t->keep_db) : work_db_name();

	memset(res, 0, sizeof(TrialResult));
	memset(&run, 0, sizeof run);
	run.t = t;
	run.res = res;
	res->kind = OUT_OK;
	run.w = clone_database(t->template_db, db);
	run.c = connect_db_retry(opt.conninfo, db);
	if (run.c == NULL)
		exit(2);
	if (t->profile == 1)
		apply_profile(run.w, t->profile, &run.settings);
	else
		apply_profile(run.w, t->profile, NULL);
	apply_engine_settings(run.w, t->engine, &run.settings);
	if (t->tz && t->profile != 1)
	{
		/* readmodel.create() in another TimeZone too (hostile: Asia/Kathmandu) */
		exec_or_die(run.w, "SET TimeZone = 'America/St_Johns'");
		buf_puts(&run.settings, "SET TimeZone = 'America/St_Johns';\n");
	}
	apply_pinned_settings(run.c);
	exec_or_die(run.c, "SET statement_timeout = '120s'");
	for (int i = 0; i < t->ndefs; i++)
		run.texts[i] = def_text(t->defs[i]);

	for (int i = 0; i < t->ndefs && !run.failed; i++)
		if (!create_model(&run, i))
			break;
	if (res->kind == OUT_REFUSED)
		run_refused(&run);
	else if (!run.failed && check_all(&run))
	{
		if (t->sabotage)
			sabotage(&run);
		run_workload(&run);
		if (!run.failed)
			run_finish(&run);
	}
	if (run.extra_wrong)
		buf_append(&res->report, "-- (--keep-going: %ld more wrong comparisons after this one)\n",
				   run.extra_wrong);
	workload_free(&run.wl);
	PQfinish(run.w);
	PQfinish(run.c);
	if (res->kind == OUT_CRASH)
		sleep(1);				/* let the postmaster restart the cluster */
	if (!t->keep_db)
		drop_database(db);
	for (int i = 0; i < t->ndefs; i++)
		free(run.texts[i]);
	buf_free(&run.settings);
	free(db);
}

/* the models, the candidate, its options and the session settings */
void
trial_describe(const Trial *t, Buf *out)
{
	for (int i = 0; i < t->ndefs; i++)
	{
		const Def  *d = t->defs[i];
		char	   *text = def_text(d);
		char	   *lit = quote_literal(d->options);

		buf_append(out, "-- %s %s (mode/options %s):\n", i == t->ndefs - 1 ?
				   "the definition" : "a model it reads,", d->name, d->options);
		buf_append(out, "SELECT readmodel.create('%s', $$\n%s\n$$, %s);\n", d->name, text, lit);
		free(text);
		free(lit);
	}
	buf_append(out, "-- writing session settings: %s", profile_name(t->profile));
	if (t->profile == 1)
		buf_puts(out, " (TimeZone, DateStyle, IntervalStyle, extra_float_digits,"
				 " bytea_output differ from the comparing session; see compare.c)");
	for (int i = 0; i < lengthof(engine_settings); i++)
		if (t->engine & (1u << i))
			buf_append(out, "; %s = %s", engine_settings[i][0], engine_settings[i][1]);
	if (t->tz)
		buf_puts(out, "; TimeZone America/St_Johns (unless hostile) at create, and SET [LOCAL]"
				 " TimeZone in some transactions");
	buf_append(out, "\n-- workload seed %" PRIu64 ", %d transactions\n", t->work_seed, t->ntxns);
}

void
trial_result_free(TrialResult *r)
{
	free(r->reason);
	r->reason = NULL;
	free(r->headline);
	r->headline = NULL;
	buf_free(&r->report);
}
