/*
 * selftest.c — proves that the comparator catches what it must.
 *
 * First the multiset comparison on hand-made row images (duplicates,
 * order, prefixes).  Then a real model: after it is built, one row is
 * corrupted at a time behind the write guard (a jsonb 10.5 written as
 * 10.50, a numeric column's scale only, float8 -0, interval '24 hours'
 * for '1 day', 'ALICE' for 'alice' under a case-insensitive collation, a
 * NULL, a missing and an extra row) and compare_model() must report
 * exactly the corrupted row; after each repair it must report nothing.
 * Last, a change the capture triggers do not see must be reported too.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static int	passed;
static int	failed;

static void
check(bool ok, const char *what)
{
	if (ok)
		passed++;
	else
		failed++;
	printf("selftest: %s: %s\n", ok ? "ok" : "FAILED", what);
}

static RowImg
img(const char *s)
{
	RowImg		r;

	r.len = strlen(s);
	r.img = (unsigned char *) xstrdup(s);
	r.text = NULL;
	return r;
}

static int
diff_of(const char *const *a, int na, const char *const *b, int nb)
{
	RowImg		ra[8], rb[8];
	bool		oa[8], ob[8];
	int			d;

	for (int i = 0; i < na; i++)
		ra[i] = img(a[i]);
	for (int i = 0; i < nb; i++)
		rb[i] = img(b[i]);
	d = compare_images(ra, na, rb, nb, oa, ob);
	for (int i = 0; i < na; i++)
		free(ra[i].img);
	for (int i = 0; i < nb; i++)
		free(rb[i].img);
	return d;
}

static void
unit_tests(void)
{
	static const char *const xxy[] = {"x", "x", "y"};
	static const char *const xyy[] = {"x", "y", "y"};
	static const char *const yx[] = {"y", "x"};
	static const char *const xy[] = {"x", "y"};
	static const char *const ab[] = {"ab"};
	static const char *const abc[] = {"abc"};

	check(diff_of(xxy, 3, xyy, 3) == 2, "multisets {x,x,y} and {x,y,y} differ by two rows");
	check(diff_of(xy, 2, yx, 2) == 0, "row order does not matter");
	check(diff_of(ab, 1, abc, 1) == 2, "a row that is a prefix of another differs");
	check(diff_of(xy, 2, xxy, 3) == 1, "a duplicate row is one difference");
}

typedef struct Corruption
{
	const char *what;
	const char *corrupt;
	const char *repair;
	int			only_table;
	int			only_def;
} Corruption;

static const Corruption corruptions[] = {
	{"jsonb 10.5 written as 10.50 inside data",
		"UPDATE tv_selftest SET data = jsonb_set(data, '{x}', '10.50') WHERE pk_s = 1",
	"UPDATE tv_selftest SET data = jsonb_build_object('x', n) WHERE pk_s = 1", 1, 1},
	{"numeric column 10.5 written as 10.50 (scale only)",
		"UPDATE tv_selftest SET n = 10.50 WHERE pk_s = 1",
	"UPDATE tv_selftest SET n = 10.5 WHERE pk_s = 1", 1, 1},
	{"float8 0 written as -0",
		"UPDATE tv_selftest SET f = '-0' WHERE pk_s = 1",
	"UPDATE tv_selftest SET f = 0 WHERE pk_s = 1", 1, 1},
	{"interval '1 day' written as '24 hours'",
		"UPDATE tv_selftest SET iv = '24 hours' WHERE pk_s = 1",
	"UPDATE tv_selftest SET iv = '1 day' WHERE pk_s = 1", 1, 1},
	{"'alice' written as 'ALICE' under a nondeterministic collation",
		"UPDATE tv_selftest SET t = 'ALICE' WHERE pk_s = 1",
	"UPDATE tv_selftest SET t = 'alice' WHERE pk_s = 1", 1, 1},
	{"a value written as NULL",
		"UPDATE tv_selftest SET t = NULL WHERE pk_s = 2",
	"UPDATE tv_selftest SET t = 'bob' WHERE pk_s = 2", 1, 1},
	{"a missing row",
		"DELETE FROM tv_selftest WHERE pk_s = 2",
	"INSERT INTO tv_selftest SELECT * FROM tv_selftest_def WHERE pk_s = 2", 0, 1},
	{"an extra row",
		"INSERT INTO tv_selftest VALUES (3, 1, 1, '1 day', 'x', '{}')",
	"DELETE FROM tv_selftest WHERE pk_s = 3", 1, 0},
};

static const char *const setup_sql[] = {
	"SET client_min_messages = warning",
	"CREATE EXTENSION pg_readmodel",
	"CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false)",
	"CREATE TABLE tb_s (pk_s int PRIMARY KEY, n numeric, f float8, iv interval,"
	" t text COLLATE ci, j jsonb)",
	"INSERT INTO tb_s VALUES (1, 10.5, 0, '1 day', 'alice', '{\"x\": 10.5}'),"
	" (2, 3, 1.5, '1 mon', 'bob', '{}')",
};

static const char *const model_def =
"SELECT s.pk_s, s.n, s.f, s.iv, s.t, jsonb_build_object('x', s.n) AS data FROM tb_s s";

/*
 * Write to the model table behind its write guard: disable the guard, or,
 * where the engine refuses that, write in replica mode (ordinary triggers
 * do not fire; superuser only).
 */
static void
guarded(PGconn *c, const char *sql)
{
	if (exec_quiet(c, "ALTER TABLE tv_selftest DISABLE TRIGGER readmodel_guard"))
	{
		exec_or_die(c, sql);
		exec_or_die(c, "ALTER TABLE tv_selftest ENABLE TRIGGER readmodel_guard");
		return;
	}
	exec_or_die(c, "SET session_replication_role = replica");
	exec_or_die(c, sql);
	exec_or_die(c, "RESET session_replication_role");
}

static void
expect(PGconn *c, int only_table, int only_def, const char *what)
{
	CompareResult cr;
	bool		ok = compare_model(c, "tv_selftest", model_def, &cr);
	char	   *msg;

	msg = strf("%s: %d/%d rows only in table/definition (want %d/%d), verify() %d rows",
			   what, cr.only_table, cr.only_def, only_table, only_def, cr.verify_rows);
	check(ok && cr.only_table == only_table && cr.only_def == only_def, msg);
	if (ok && compare_differs(&cr) && cr.verify_rows == 0)
		printf("selftest:   (readmodel.verify() did not notice: the fuzzer reports"
			   " that as a verify disagreement)\n");
	free(msg);
	compare_result_free(&cr);
}

static void
db_tests(void)
{
	char	   *db = strf("%s_selftest", opt.dbprefix);
	PGconn	   *admin = connect_db(opt.conninfo, NULL);
	PGconn	   *c;
	char	   *sql;
	const char *params[2] = {"tv_selftest", model_def};
	PGresult   *r;

	if (admin == NULL)
		exit(2);
	sql = strf("DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", db);
	exec_or_die(admin, sql);
	free(sql);
	sql = strf("CREATE DATABASE \"%s\"", db);
	exec_or_die(admin, sql);
	free(sql);
	c = connect_db(opt.conninfo, db);
	if (c == NULL)
		exit(2);
	for (int i = 0; i < lengthof(setup_sql); i++)
		exec_or_die(c, setup_sql[i]);
	r = PQexecParams(c, "SELECT readmodel.create($1, $2)", 2, NULL, params, NULL, NULL, 0);
	check(res_ok(r), "readmodel.create of the self-test model");
	PQclear(r);
	apply_pinned_settings(c);

	expect(c, 0, 0, "right after readmodel.create");
	for (int i = 0; i < lengthof(corruptions); i++)
	{
		const Corruption *k = &corruptions[i];
		char	   *after = strf("after repairing: %s", k->what);

		guarded(c, k->corrupt);
		expect(c, k->only_table, k->only_def, k->what);
		guarded(c, k->repair);
		expect(c, 0, 0, after);
		free(after);
	}

	/* a write the capture triggers do not see leaves the model stale */
	exec_or_die(c, "ALTER TABLE tb_s DISABLE TRIGGER USER");
	exec_or_die(c, "UPDATE tb_s SET n = 10.50 WHERE pk_s = 1");
	exec_or_die(c, "ALTER TABLE tb_s ENABLE TRIGGER USER");
	expect(c, 1, 1, "a source write of 10.50 for 10.5 that maintenance did not see");

	PQfinish(c);
	sql = strf("DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", db);
	exec_or_die(admin, sql);
	free(sql);
	PQfinish(admin);
	free(db);
}

/*
 * The whole loop: generated definitions whose capture triggers are
 * disabled after create must be found WRONG by the workload and the
 * comparison, and the shrinker must keep them failing.
 */
static void
loop_tests(void)
{
	const char *saved = opt.dbprefix;
	char	   *prefix = strf("%s_self", opt.dbprefix);
	char	   *tmpl;
	Schema	   *s = xmalloc(sizeof(Schema));
	int			accepted = 0;
	int			caught = 0;
	bool		shrunk = false;

	opt.dbprefix = prefix;
	tmpl = strf("%s_tmpl", prefix);
	schema_generate(s, 424242);
	build_template(s, tmpl);
	for (int i = 0; i < 60 && accepted < 6; i++)
	{
		Def		   *d = gen_definition(s, mix_seed(424242, i), i, false);
		Trial		t;
		TrialResult r;

		memset(&t, 0, sizeof t);
		t.schema = s;
		t.template_db = tmpl;
		t.defs[t.ndefs++] = d;
		t.work_seed = mix_seed(424242, 1000 + i);
		t.ntxns = 0;
		for (int j = 0; j < s->nbase; j++)
			t.weight[j] = (d->used >> j) & 1 ? 4 : 1;
		t.xweight = d->xused ? 35 : 5;
		t.xeweight = d->xe ? 45 : 0;
		t.tz = d->tzwrite;
		run_trial(&t, &r);
		if (r.kind == OUT_OK)
		{
			accepted++;
			trial_result_free(&r);
			t.ntxns = 20;
			t.sabotage = true;
			run_trial(&t, &r);
			if (r.kind == OUT_WRONG)
			{
				caught++;
				if (!shrunk)
				{
					Buf			b = {0};
					int			before = fr_size(d->frag);

					shrink_failure(&t, &r, 30, &b);
					shrunk = true;
					check(r.kind == OUT_WRONG && fr_size(d->frag) <= before,
						  "the shrinker keeps a sabotaged model failing, and does not grow it");
					printf("%s", buf_str(&b));
					buf_free(&b);
				}
			}
		}
		trial_result_free(&r);
		def_free(d);
	}
	{
		char	   *msg = strf("with capture disabled, %d of %d accepted definitions"
							   " were found WRONG", caught, accepted);

		check(accepted > 0 && caught * 2 >= accepted, msg);
		free(msg);
	}
	drop_our_databases();
	opt.dbprefix = saved;
	free(tmpl);
	free(prefix);
	free(s);
}

int
run_selftest(void)
{
	unit_tests();
	db_tests();
	loop_tests();
	printf("selftest: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
