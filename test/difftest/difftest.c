/*
 * difftest.c — differential tester for pg_readmodel.
 *
 * Builds a small FraiseQL-style schema (tb_org, tb_user, tb_post,
 * tb_comment, tb_reaction partitioned in a tree of members, tb_tag with
 * the join table tb_post_tag keyed by (fk_post, fk_tag) and the array
 * tb_post.tag_ids, tb_message, and views over them) in a fresh database, declares several read models over it with
 * readmodel.create(), then runs random transactions of DML (and DDL on
 * the partition tree) driven by a seeded PRNG.  After every transaction
 * (and after mid-transaction readmodel.flush() calls) it checks whether
 * each model table still equals a fresh run of its definition, by binary
 * image: one prepared statement makes the comparison readmodel.verify()
 * makes, for every model (with --use-verify, readmodel.verify() itself is
 * asked).  Any difference is a divergence: the seed, the transaction
 * number, every SQL statement of that transaction and the
 * readmodel.verify() rows are printed and the program exits 1.
 *
 * The same seed always produces the same sequence of statements (the
 * program picks rows from the current table contents, read in key order,
 * and identity values are deterministic in a fresh database).  The
 * statements on tb_tag, tb_post_tag, tb_message, tb_post.tag_ids and
 * tb_post.created_at draw from a second PRNG stream (op_new, run only when
 * a model of the shape groups is made: --extra-models, --shape-models), so
 * that the other statements of a seed are those of the versions before
 * them (with --no-shape-models a run is the same as before them).
 *
 * Usage: difftest [--seed N[,N...]] [--transactions N] [--dbname CONNINFO]
 *                 [--testdb NAME] [--verbose] [--keep-going]
 *                 [--no-models] [--no-2pc] [--no-truncate] [--no-flush]
 *                 [--use-verify] [--models NAME,...]
 *                 [--no-partition-ddl]
 *                 [--extra-models] [--shape-models] [--no-shape-models]
 *                 [--shape-pct N] [--deferred-models]
 *                 [--set NAME=VALUE ...] [--mock-engine | --mock-engine-stale]
 *
 * --mock-engine replaces the extension by a naive plpgsql stand-in (full
 * rebuild of every model after every statement) to self-test this program:
 * it must pass.  --mock-engine-stale maintains nothing: it must fail.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "pgconn.h"
#include "strbuf.h"

const char *const progname = "difftest";

/* ------------------------------------------------------------------ */
/* options and global state                                            */
/* ------------------------------------------------------------------ */

static const char *opt_conninfo = NULL;
static const char *opt_testdb = "readmodel_difftest";
static int opt_transactions = 200;
static bool opt_verbose = false;
static bool opt_keep_going = false;
static bool opt_no_models = false;
static bool opt_no_2pc = false;
static bool opt_no_truncate = false;
static bool opt_no_flush = false;
static bool opt_extra_models = false;
static bool opt_shape_models = false;	/* --shape-models */
static bool opt_no_shape_models = false;	/* --no-shape-models */
static int opt_shape_pct = 25;	/* --shape-pct: how often an op starts with op_new */
static bool stream2_on;			/* op_new runs: a model of the shape groups is made */
static bool opt_no_part_ddl = false;
static const char *opt_models = NULL;	/* --models a,b: only these */
static bool opt_use_verify = false;	/* readmodel.verify() at every check */
static bool opt_deferred_models = false;	/* --deferred-models */
static int opt_mock = 0;
static const char *opt_set[16];  /* --set NAME=VALUE, applied per session */
static int opt_nset = 0;        /* 1: plpgsql mock engine, 2: stale mock */

static PGconn *conn;            /* connection to the test database */
static uint64_t cur_seed;
static uint64_t rng_state;
/*
 * Stream 2: the statements on tb_tag, tb_post_tag, tb_message and the
 * columns tb_post.tag_ids and created_at (op_new) and those tables' seed
 * rows draw from a PRNG of their own, so that the statements of the other
 * operations of a seed stay what they were before those tables existed.
 */
static uint64_t rng2_state;
static int txn_no;              /* current transaction number (1-based) */
static bool twopc_ok;           /* server allows PREPARE TRANSACTION */
static long checks_passed;
static long checks_failed;
static long total_txns;
static int sp_counter;          /* savepoint name counter */
static int high_pk[5];          /* counters for explicit "new" keys */

/* ------------------------------------------------------------------ */
/* PRNG: splitmix64                                                     */
/* ------------------------------------------------------------------ */

static uint64_t
next64(void)
{
	uint64_t z = (rng_state += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/* uniform in [0, n) ; n > 0 */
static int
rnd(int n)
{
	return (int) (next64() % (uint64_t) n);
}

/* uniform in [lo, hi] */
static int
rnd_range(int lo, int hi)
{
	return lo + rnd(hi - lo + 1);
}

static bool
chance(int pct)
{
	return rnd(100) < pct;
}

/* ------------------------------------------------------------------ */
/* transaction log                                                     */
/* ------------------------------------------------------------------ */

static StrList txlog;

static void
txlog_add(const char *s)
{
	sl_add(&txlog, s);
	if (opt_verbose)
		printf("  [%d] %s\n", txn_no, s);
}

static void
txlog_reset(void)
{
	sl_reset(&txlog);
}

static void
txlog_print(FILE *f)
{
	fprintf(f, "-- seed %" PRIu64 ", transaction %d: statements in order\n",
			cur_seed, txn_no);
	for (int i = 0; i < txlog.n; i++)
	{
		const char *s = txlog.v[i];
		size_t l = strlen(s);

		/* comment lines and COPY blocks are printed as is */
		if (s[0] == '-' && s[1] == '-')
			fprintf(f, "%s\n", s);
		else if (l > 0 && s[l - 1] == '.' && strstr(s, "FROM STDIN") != NULL)
			fprintf(f, "%s\n", s);
		else
			fprintf(f, "%s;\n", s);
	}
}

static void
print_summary(void)
{
	printf("%ld passed, %ld failed\n", checks_passed, checks_failed);
	fflush(stdout);
}

/* An unexpected error: report and stop (or keep going). */
static void
unexpected_error(const char *sql, const char *msg)
{
	checks_failed++;
	fflush(stdout);
	printf("\ndifftest: UNEXPECTED ERROR, seed %" PRIu64 ", transaction %d\n",
		   cur_seed, txn_no);
	printf("-- failing statement:\n%s\n-- error:\n%s\n", sql, msg);
	txlog_print(stdout);
	if (!opt_keep_going)
	{
		print_summary();
		exit(1);
	}
}

/* ------------------------------------------------------------------ */
/* SQL execution helpers                                               */
/* ------------------------------------------------------------------ */

static bool in_failed_txn;      /* set after an unexpected error */

/*
 * Run a logged statement that must succeed.  Returns the result (caller
 * frees) or NULL after an unexpected error (keep-going mode only).
 */
static PGresult *
run(const char *sql)
{
	PGresult *r;

	txlog_add(sql);
	if (in_failed_txn)
		return NULL;
	r = PQexec(conn, sql);
	if (!res_ok(r))
	{
		char *msg = xstrdup(PQerrorMessage(conn));

		PQclear(r);
		in_failed_txn = true;
		unexpected_error(sql, msg);
		free(msg);
		return NULL;
	}
	return r;
}

static void
run0(const char *sql)
{
	PGresult *r = run(sql);

	if (r)
		PQclear(r);
}

/* printf-style run0 */
static void
runf(const char *fmt, ...)
{
	Buf b = {0};
	va_list ap;

	va_start(ap, fmt);
	buf_vappend(&b, fmt, ap);
	va_end(ap);
	run0(b.data);
	free(b.data);
}

/*
 * Run a logged statement that is allowed to fail (the caller has set a
 * savepoint).  Returns true on success.
 */
static bool
run_may_fail(const char *sql)
{
	PGresult *r;
	bool ok;

	txlog_add(sql);
	if (in_failed_txn)
		return false;
	r = PQexec(conn, sql);
	ok = res_ok(r);
	if (!ok)
	{
		char *m = strf("-- (expected failure: %s)",
					   PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY)
					   ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : "?");

		txlog_add(m);
		free(m);
	}
	PQclear(r);
	return ok;
}

/* unlogged query used only to read the current state; must succeed */
static PGresult *
query(const char *sql)
{
	PGresult *r = PQexec(conn, sql);

	if (!res_ok(r))
	{
		char *msg = xstrdup(PQerrorMessage(conn));

		PQclear(r);
		in_failed_txn = true;
		unexpected_error(sql, msg);
		free(msg);
		return NULL;
	}
	return r;
}

/* run a setup statement (not part of any random transaction) */
static void
setup_exec(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);

	if (!res_ok(r))
	{
		fprintf(stderr, "difftest: setup failed: %s\n-- statement:\n%s\n",
				PQerrorMessage(c), sql);
		PQclear(r);
		checks_failed++;
		print_summary();
		exit(1);
	}
	PQclear(r);
}

/* ------------------------------------------------------------------ */
/* random values                                                       */
/* ------------------------------------------------------------------ */

static const char *const words[] = {
	"alpha", "beta", "gamma", "delta", "kappa", "lambda", "omega", "sigma",
	"red", "green", "blue", "amber", "river", "stone", "cloud", "forest",
	"O''Brien", "naïve", "café", "Zürich", "東京", "a\\b", "x\"y", "50%",
};
#define NWORDS ((int) (sizeof(words) / sizeof(words[0])))

/* a SQL literal of 1-3 words (already escaped: words contain '' forms) */
static char *
rand_text_lit(void)
{
	Buf b = {0};
	int n = rnd_range(1, 3);

	buf_append(&b, "'");
	for (int i = 0; i < n; i++)
		buf_append(&b, "%s%s", i ? " " : "", words[rnd(NWORDS)]);
	buf_append(&b, " %d'", rnd(1000));
	return b.data;
}

/* same, or NULL sometimes */
static char *
rand_text_lit_null(int null_pct)
{
	if (chance(null_pct))
		return xstrdup("NULL");
	return rand_text_lit();
}

/* COPY text-format value for a word list (unescaped -> escape \) */
static char *
rand_copy_text(void)
{
	Buf b = {0};
	int n = rnd_range(1, 3);

	if (chance(10))
		return xstrdup("\\N");
	for (int i = 0; i < n; i++)
	{
		const char *w = words[rnd(NWORDS)];

		if (i)
			buf_append(&b, " ");
		for (const char *p = w; *p; p++)
		{
			if (*p == '\'' && p[1] == '\'')
			{
				buf_append(&b, "'");
				p++;
			}
			else if (*p == '\\')
				buf_append(&b, "\\\\");
			else
				buf_append(&b, "%c", *p);
		}
	}
	buf_append(&b, " copy%d", rnd(1000));
	return b.data;
}

static const char *
rand_bool(void)
{
	return chance(50) ? "true" : "false";
}

/* ------------------------------------------------------------------ */
/* current keys of each table                                          */
/* ------------------------------------------------------------------ */

/* tb_reaction is partitioned; its keys are those of the attached members */
enum { T_ORG, T_USER, T_POST, T_COMMENT, T_REACTION, NTABLES };
static const char *const tname[NTABLES] = {"tb_org", "tb_user", "tb_post", "tb_comment",
"tb_reaction"};
static const char *const pkname[NTABLES] = {"pk_org", "pk_user", "pk_post", "pk_comment",
"pk_reaction"};
static const int target_size[NTABLES] = {5, 20, 60, 150, 80};

typedef struct
{
	int *v;
	int n;
} IntList;

static IntList keys[NTABLES];

/* the tables of stream 2 (op_new) with a key of one column */
enum { X_TAG, X_MSG, NXTABLES };
static const char *const xtname[NXTABLES] = {"tb_tag", "tb_message"};
static const char *const xpkname[NXTABLES] = {"pk_tag", "pk_message"};
static const int xtarget[NXTABLES] = {8, 40};
static IntList xkeys[NXTABLES];
static int xhigh_pk[NXTABLES];
/* the keys (fk_post, fk_tag) of tb_post_tag, in key order */
static IntList pt_post, pt_tag;
#define PT_TARGET 80

/*
 * The members of tb_reaction (partitioned by range of pk_reaction), each a
 * range of keys.  p1 was made apart with a dropped column and attached; p2
 * is partitioned itself (p2a and p2b, its DEFAULT); p3, made apart with its
 * columns in another order and a dropped one, is detached and attached
 * again; p4 is created (as PARTITION OF, or apart with rows and attached)
 * and dropped.
 */
typedef struct
{
	const char *name;
	int lo, hi;					/* keys in [lo, hi) */
} Part;

enum { P0, P1, P2, P2A, P2B, P3, P4, NPARTS };
static const Part parts[NPARTS] = {
	{"tb_reaction_p0", 0, 1000},
	{"tb_reaction_p1", 1000, 2000},
	{"tb_reaction_p2", 2000, 3000},
	{"tb_reaction_p2a", 2000, 2500},
	{"tb_reaction_p2b", 2500, 3000},
	{"tb_reaction_p3", 3000, 4000},
	{"tb_reaction_p4", 4000, 5000},
};
static const char *const kinds[] = {"like", "love", "wow", "meh", "sad"};
#define NKINDS 5

static bool p3_attached;		/* else p3 is a table of its own */
static bool p4_exists;			/* p4 is attached whenever it exists */
static IntList p3_keys;			/* the rows of p3 while it is detached */
static bool tree_ddl_unapplied;	/* partition DDL in this transaction, no flush since */

/* the state of the partition tree: DDL may be rolled back */
static bool
load_parts(void)
{
	PGresult *r = query("SELECT EXISTS (SELECT FROM pg_inherits"
						" WHERE inhrelid = 'tb_reaction_p3'::regclass),"
						" to_regclass('tb_reaction_p4') IS NOT NULL");

	if (!r)
		return false;
	p3_attached = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	p4_exists = strcmp(PQgetvalue(r, 0, 1), "t") == 0;
	PQclear(r);
	p3_keys.n = 0;
	if (!p3_attached)
	{
		r = query("SELECT pk_reaction FROM tb_reaction_p3 ORDER BY 1");
		if (!r)
			return false;
		p3_keys.n = PQntuples(r);
		p3_keys.v = xrealloc(p3_keys.v, sizeof(int) * (p3_keys.n + 1));
		for (int i = 0; i < p3_keys.n; i++)
			p3_keys.v[i] = atoi(PQgetvalue(r, i, 0));
		PQclear(r);
	}
	return true;
}

/* the keys of stream 2's tables (read by op_new only) */
static bool
load_xkeys(void)
{
	for (int t = 0; t < NXTABLES; t++)
	{
		char *sql = strf("SELECT %s FROM %s ORDER BY 1", xpkname[t], xtname[t]);
		PGresult *r = query(sql);

		free(sql);
		if (!r)
			return false;
		xkeys[t].n = PQntuples(r);
		xkeys[t].v = xrealloc(xkeys[t].v, sizeof(int) * (xkeys[t].n + 1));
		for (int i = 0; i < xkeys[t].n; i++)
			xkeys[t].v[i] = atoi(PQgetvalue(r, i, 0));
		PQclear(r);
	}
	{
		PGresult *r = query("SELECT fk_post, fk_tag FROM tb_post_tag ORDER BY 1, 2");

		if (!r)
			return false;
		pt_post.n = pt_tag.n = PQntuples(r);
		pt_post.v = xrealloc(pt_post.v, sizeof(int) * (pt_post.n + 1));
		pt_tag.v = xrealloc(pt_tag.v, sizeof(int) * (pt_tag.n + 1));
		for (int i = 0; i < pt_post.n; i++)
		{
			pt_post.v[i] = atoi(PQgetvalue(r, i, 0));
			pt_tag.v[i] = atoi(PQgetvalue(r, i, 1));
		}
		PQclear(r);
	}
	return true;
}

static bool
load_keys(void)
{
	for (int t = 0; t < NTABLES; t++)
	{
		char *sql = strf("SELECT %s FROM %s ORDER BY 1", pkname[t], tname[t]);
		PGresult *r = query(sql);

		free(sql);
		if (!r)
			return false;
		keys[t].n = PQntuples(r);
		keys[t].v = xrealloc(keys[t].v, sizeof(int) * (keys[t].n + 1));
		for (int i = 0; i < keys[t].n; i++)
			keys[t].v[i] = atoi(PQgetvalue(r, i, 0));
		PQclear(r);
	}
	return load_parts();
}

/* a random existing key of table t, or -1 if the table is empty */
static int
pick(int t)
{
	if (keys[t].n == 0)
		return -1;
	return keys[t].v[rnd(keys[t].n)];
}

/* a random existing org key as SQL, or NULL */
static char *
pick_org_or_null(int null_pct)
{
	int o = pick(T_ORG);

	if (o < 0 || chance(null_pct))
		return xstrdup("NULL");
	return strf("%d", o);
}

/* up to n distinct existing keys, as "a, b, c"; empty string if none */
static char *
pick_list(int t, int n)
{
	Buf b = {0};
	int *idx;
	int m = keys[t].n;

	buf_append(&b, "%s", "");
	if (m == 0)
		return b.data;
	if (n > m)
		n = m;
	/* partial Fisher-Yates shuffle of the indexes */
	idx = xrealloc(NULL, sizeof(int) * m);
	for (int i = 0; i < m; i++)
		idx[i] = i;
	for (int i = 0; i < n; i++)
	{
		int j = i + rnd(m - i);
		int tmp = idx[i];

		idx[i] = idx[j];
		idx[j] = tmp;
		buf_append(&b, "%s%d", i ? ", " : "", keys[t].v[idx[i]]);
	}
	free(idx);
	return b.data;
}

/* ------------------------------------------------------------------ */
/* schema, seed data and models                                        */
/* ------------------------------------------------------------------ */

static const char *const schema_sql[] = {
	"CREATE TABLE tb_org ("
	" pk_org int GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	" id uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,"
	" name text NOT NULL,"
	" note text)",

	"CREATE TABLE tb_user ("
	" pk_user int GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	" id uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,"
	" fk_org int REFERENCES tb_org ON DELETE SET NULL ON UPDATE CASCADE,"
	" name text NOT NULL,"
	" active bool NOT NULL DEFAULT true,"
	" note text)",

	"CREATE TABLE tb_post ("
	" pk_post int GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	" id uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,"
	" fk_user int NOT NULL REFERENCES tb_user ON DELETE CASCADE ON UPDATE CASCADE,"
	" title text,"
	" score int,"
	" published bool NOT NULL DEFAULT false,"
	" note text,"
	" created_at timestamptz NOT NULL DEFAULT '2026-01-01 12:00:00+00',"
	" tag_ids int[])",

	"CREATE TABLE tb_comment ("
	" pk_comment int GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	" id uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,"
	" fk_post int NOT NULL REFERENCES tb_post ON DELETE CASCADE ON UPDATE CASCADE"
	" DEFERRABLE INITIALLY IMMEDIATE,"
	" fk_user int NOT NULL REFERENCES tb_user ON DELETE CASCADE ON UPDATE CASCADE,"
	" body text,"
	" likes int NOT NULL DEFAULT 0,"
	" note text)",

	"CREATE INDEX ON tb_user (fk_org)",
	"CREATE INDEX ON tb_post (fk_user)",
	"CREATE INDEX ON tb_comment (fk_post)",
	"CREATE INDEX ON tb_comment (fk_user)",

	/*
	 * Tags: as a many-to-many join table keyed by both sides' keys
	 * (tb_post_tag), and as an array of references in the post
	 * (tb_post.tag_ids, not checked: elements may be missing tags, repeated
	 * or NULL).  Messages have two references to tb_user (sender or
	 * recipient).  Written by the ops of stream 2 (op_new).
	 */
	"CREATE TABLE tb_tag ("
	" pk_tag int GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	" name text NOT NULL,"
	" note text)",

	"CREATE TABLE tb_post_tag ("
	" fk_post int NOT NULL REFERENCES tb_post ON DELETE CASCADE ON UPDATE CASCADE,"
	" fk_tag int NOT NULL REFERENCES tb_tag ON DELETE CASCADE ON UPDATE CASCADE,"
	" weight int NOT NULL,"
	" note text,"
	" PRIMARY KEY (fk_post, fk_tag))",

	"CREATE TABLE tb_message ("
	" pk_message int GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	" sender_id int NOT NULL REFERENCES tb_user ON DELETE CASCADE ON UPDATE CASCADE,"
	" recipient_id int NOT NULL REFERENCES tb_user ON DELETE CASCADE ON UPDATE CASCADE,"
	" body text,"
	" note text)",

	"CREATE INDEX ON tb_post_tag (fk_tag)",
	"CREATE INDEX ON tb_post USING gin (tag_ids)",
	"CREATE INDEX ON tb_message (sender_id)",
	"CREATE INDEX ON tb_message (recipient_id)",

	/* partitioned; see parts[] for its members */
	"CREATE TABLE tb_reaction ("
	" pk_reaction int NOT NULL PRIMARY KEY,"
	" fk_post int NOT NULL REFERENCES tb_post ON DELETE CASCADE ON UPDATE CASCADE,"
	" fk_user int NOT NULL REFERENCES tb_user ON DELETE CASCADE ON UPDATE CASCADE,"
	" kind text NOT NULL,"
	" weight int NOT NULL,"
	" note text)"
	" PARTITION BY RANGE (pk_reaction)",

	"CREATE TABLE tb_reaction_p0 PARTITION OF tb_reaction FOR VALUES FROM (0) TO (1000)",

	"CREATE TABLE tb_reaction_p1 (gone int, pk_reaction int NOT NULL,"
	" fk_post int NOT NULL, fk_user int NOT NULL, kind text NOT NULL,"
	" weight int NOT NULL, note text)",
	"ALTER TABLE tb_reaction_p1 DROP COLUMN gone",
	"ALTER TABLE tb_reaction ATTACH PARTITION tb_reaction_p1 FOR VALUES FROM (1000) TO (2000)",

	"CREATE TABLE tb_reaction_p2 PARTITION OF tb_reaction FOR VALUES FROM (2000) TO (3000)"
	" PARTITION BY RANGE (pk_reaction)",
	"CREATE TABLE tb_reaction_p2a PARTITION OF tb_reaction_p2 FOR VALUES FROM (2000) TO (2500)",
	"CREATE TABLE tb_reaction_p2b PARTITION OF tb_reaction_p2 DEFAULT",

	"CREATE TABLE tb_reaction_p3 (note text, weight int NOT NULL, gone text,"
	" kind text NOT NULL, fk_user int NOT NULL, fk_post int NOT NULL,"
	" pk_reaction int NOT NULL)",
	"ALTER TABLE tb_reaction_p3 DROP COLUMN gone",
	"ALTER TABLE tb_reaction ATTACH PARTITION tb_reaction_p3 FOR VALUES FROM (3000) TO (4000)",

	"CREATE INDEX ON tb_reaction (fk_post)",
	"CREATE INDEX ON tb_reaction (fk_user)",

	/* plpgsql helpers used by the random operations */
	"CREATE FUNCTION fn_like_post_comments(p_post int, p_delta int)"
	" RETURNS int LANGUAGE plpgsql AS $$\n"
	"DECLARE n int;\n"
	"BEGIN\n"
	"  UPDATE tb_comment SET likes = likes + p_delta WHERE fk_post = p_post;\n"
	"  GET DIAGNOSTICS n = ROW_COUNT;\n"
	"  RETURN n;\n"
	"END $$",

	"CREATE FUNCTION fn_add_post(p_user int, p_title text, p_ncomments int)"
	" RETURNS int LANGUAGE plpgsql AS $$\n"
	"DECLARE v_pk int;\n"
	"BEGIN\n"
	"  INSERT INTO tb_post (fk_user, title, score, published)"
	"    VALUES (p_user, p_title, 0, true) RETURNING pk_post INTO v_pk;\n"
	"  FOR i IN 1..p_ncomments LOOP\n"
	"    INSERT INTO tb_comment (fk_post, fk_user, body, likes)"
	"      VALUES (v_pk, p_user, p_title || ' #' || i, i);\n"
	"  END LOOP;\n"
	"  RETURN v_pk;\n"
	"END $$",

	/* the inner block is a subtransaction that is undone for even posts */
	"CREATE FUNCTION fn_try_move(p_comment int, p_post int)"
	" RETURNS bool LANGUAGE plpgsql AS $$\n"
	"BEGIN\n"
	"  BEGIN\n"
	"    UPDATE tb_comment SET fk_post = p_post WHERE pk_comment = p_comment;\n"
	"    UPDATE tb_post SET score = coalesce(score, 0) + 100 WHERE pk_post = p_post;\n"
	"    IF p_post % 2 = 0 THEN RAISE EXCEPTION 'undo move'; END IF;\n"
	"  EXCEPTION WHEN raise_exception THEN\n"
	"    RETURN false;\n"
	"  END;\n"
	"  RETURN true;\n"
	"END $$",

	/* a user trigger writing to another table (nested statements) */
	"CREATE FUNCTION fn_comment_trg() RETURNS trigger LANGUAGE plpgsql AS $$\n"
	"BEGIN\n"
	"  UPDATE tb_user SET note = 'commented ' || NEW.pk_comment"
	"    WHERE pk_user = NEW.fk_user;\n"
	"  IF NEW.likes >= 9 THEN\n"
	"    UPDATE tb_post SET score = coalesce(score, 0) + 1 WHERE pk_post = NEW.fk_post;\n"
	"  END IF;\n"
	"  RETURN NULL;\n"
	"END $$",

	"CREATE TRIGGER comment_side_effects AFTER INSERT ON tb_comment"
	" FOR EACH ROW EXECUTE FUNCTION fn_comment_trg()",

	/* a deferred trigger: writes to a read column at COMMIT time */
	"CREATE FUNCTION fn_post_score_deferred() RETURNS trigger LANGUAGE plpgsql AS $$\n"
	"BEGIN\n"
	"  UPDATE tb_post SET published = true"
	"    WHERE pk_post = NEW.pk_post AND score >= 40 AND NOT published;\n"
	"  UPDATE tb_user SET name = name || '^'"
	"    WHERE pk_user = NEW.fk_user AND NEW.score < -5;\n"
	"  RETURN NULL;\n"
	"END $$",

	"CREATE CONSTRAINT TRIGGER post_score_deferred AFTER UPDATE OF score ON tb_post"
	" DEFERRABLE INITIALLY DEFERRED"
	" FOR EACH ROW EXECUTE FUNCTION fn_post_score_deferred()",

	/*
	 * Views the models of the v group read: filters (rows enter and leave
	 * as their columns change), a join inside a view, and a view over two
	 * views with a LEFT JOIN.
	 */
	"CREATE VIEW v_user_active AS"
	" SELECT u.pk_user, u.id, u.fk_org, u.name FROM tb_user u WHERE u.active",

	"CREATE VIEW v_post_pub AS"
	" SELECT p.pk_post, p.fk_user, p.title, p.score, u.name AS author"
	" FROM tb_post p JOIN tb_user u ON u.pk_user = p.fk_user"
	" WHERE p.published",

	"CREATE VIEW v_post_pub_active AS"
	" SELECT vp.*, vu.fk_org, vu.name AS active_author"
	" FROM v_post_pub vp LEFT JOIN v_user_active vu ON vu.pk_user = vp.fk_user",

	/* a filtered view over the partitioned table */
	"CREATE VIEW v_reaction_pos AS"
	" SELECT r.pk_reaction, r.fk_post, r.fk_user, r.kind, r.weight"
	" FROM tb_reaction r WHERE r.weight > 0",
	NULL
};

typedef struct
{
	const char *name;
	const char *options;
	const char *definition;
} Model;

static const Model models[] = {
	/* (1) root alone, jsonb_build_object, WHERE filter: rows enter/leave */
	{"tv_post_published", "{\"mode\":\"statement\"}",
		"SELECT p.pk_post, p.id, p.fk_user,\n"
		"       jsonb_build_object('id', p.id, 'title', p.title,"
		" 'score', p.score) AS data\n"
		"FROM tb_post p\n"
		"WHERE p.published"},

	/* (2a) N:1 over two hops: post -> user -> org (org optional); with
	 * version columns and a change feed */
	{"tv_post_author", "{\"version\":true,\"feed\":true}",
		"SELECT p.pk_post, p.id, p.fk_user, u.fk_org,\n"
		"       jsonb_build_object('id', p.id, 'title', p.title,"
		" 'published', p.published,\n"
		"         'author', jsonb_build_object('id', u.id, 'name', u.name,"
		" 'active', u.active,\n"
		"           'org', CASE WHEN o.pk_org IS NULL THEN NULL"
		" ELSE jsonb_build_object('id', o.id, 'name', o.name) END)) AS data\n"
		"FROM tb_post p\n"
		"JOIN tb_user u ON u.pk_user = p.fk_user\n"
		"LEFT JOIN tb_org o ON o.pk_org = u.fk_org"},

	/* (2b) tb_user under two aliases, three hops, statement mode, notify */
	{"tv_comment", "{\"mode\":\"statement\",\"notify\":\"difftest\"}",
		"SELECT c.pk_comment, c.id, c.fk_post, c.fk_user,\n"
		"       jsonb_build_object('id', c.id, 'body', c.body,"
		" 'likes', c.likes,\n"
		"         'author', jsonb_build_object('id', cu.id, 'name', cu.name),\n"
		"         'post', jsonb_build_object('id', p.id, 'title', p.title,\n"
		"           'author', jsonb_build_object('id', pu.id, 'name', pu.name,\n"
		"             'org', o.name))) AS data\n"
		"FROM tb_comment c\n"
		"JOIN tb_user cu ON cu.pk_user = c.fk_user\n"
		"JOIN tb_post p ON p.pk_post = c.fk_post\n"
		"JOIN tb_user pu ON pu.pk_user = p.fk_user\n"
		"LEFT JOIN tb_org o ON o.pk_org = pu.fk_org"},

	/* (3) 1:N children through correlated scalar subqueries */
	{"tv_post", "{}",
		"SELECT p.pk_post, p.id, p.fk_user,\n"
		"       (SELECT count(*) FROM tb_comment c WHERE c.fk_post = p.pk_post)"
		" AS comment_count,\n"
		"       jsonb_build_object('id', p.id, 'title', p.title,"
		" 'score', p.score, 'published', p.published,\n"
		"         'comments', COALESCE((SELECT jsonb_agg(jsonb_build_object("
		"'id', c.id, 'body', c.body, 'likes', c.likes,"
		" 'author', cu.name) ORDER BY c.pk_comment)\n"
		"            FROM tb_comment c JOIN tb_user cu ON cu.pk_user = c.fk_user\n"
		"            WHERE c.fk_post = p.pk_post), '[]'::jsonb)) AS data\n"
		"FROM tb_post p"},

	/* (4) GROUP BY the root key over LEFT JOINed children */
	{"tv_user", "{}",
		"SELECT u.pk_user, u.id, u.fk_org,\n"
		"       jsonb_build_object('id', u.id, 'name', u.name,"
		" 'active', u.active,\n"
		"         'n_posts', count(p.pk_post), 'total_score', sum(p.score),\n"
		"         'avg_score', avg(p.score), 'min_score', min(p.score),"
		" 'max_score', max(p.score),\n"
		"         'published', COALESCE(jsonb_agg(jsonb_build_object("
		"'id', p.id, 'title', p.title) ORDER BY p.pk_post)"
		" FILTER (WHERE p.published), '[]'::jsonb)) AS data\n"
		"FROM tb_user u\n"
		"LEFT JOIN tb_post p ON p.fk_user = u.pk_user\n"
		"GROUP BY u.pk_user"},

	/* (5) mix: org grouped over users, each with a nested posts subquery */
	{"tv_org", "{}",
		"SELECT o.pk_org, o.id,\n"
		"       jsonb_build_object('id', o.id, 'name', o.name,\n"
		"         'n_users', count(u.pk_user),"
		" 'n_active', count(u.pk_user) FILTER (WHERE u.active),\n"
		"         'users', COALESCE(jsonb_agg(jsonb_build_object("
		"'id', u.id, 'name', u.name,\n"
		"           'posts', COALESCE((SELECT jsonb_agg(jsonb_build_object("
		"'id', p.id, 'title', p.title, 'score', p.score) ORDER BY p.pk_post)\n"
		"              FROM tb_post p WHERE p.fk_user = u.pk_user), '[]'::jsonb))\n"
		"           ORDER BY u.pk_user) FILTER (WHERE u.pk_user IS NOT NULL),"
		" '[]'::jsonb)) AS data\n"
		"FROM tb_org o\n"
		"LEFT JOIN tb_user u ON u.fk_org = o.pk_org\n"
		"GROUP BY o.pk_org"},

	/* (6) filter through joined tables: rows enter/leave on parent updates */
	{"tv_comment_visible", "{}",
		"SELECT c.pk_comment, c.id, c.fk_post, c.fk_user,\n"
		"       jsonb_build_object('body', c.body, 'author', cu.name,"
		" 'post', p.title) AS data\n"
		"FROM tb_comment c\n"
		"JOIN tb_user cu ON cu.pk_user = c.fk_user\n"
		"JOIN tb_post p ON p.pk_post = c.fk_post\n"
		"WHERE cu.active AND p.published"},

	/* (7) EXISTS filter over children, statement mode */
	{"tv_post_hot", "{\"mode\":\"statement\"}",
		"SELECT p.pk_post, p.id, p.fk_user,\n"
		"       jsonb_build_object('title', p.title,"
		" 'best', (SELECT max(c.likes) FROM tb_comment c WHERE c.fk_post = p.pk_post))"
		" AS data\n"
		"FROM tb_post p\n"
		"WHERE EXISTS (SELECT 1 FROM tb_comment c"
		" WHERE c.fk_post = p.pk_post AND c.likes > 5)"},

	/*
	 * Harder shapes beyond the basic contract list; only with
	 * --extra-models.  Keep them after the basic ones (see NBASIC).
	 */
	/* (m1) mode manual: no capture; sync_manual_models() names every key
	 * of the table and of the definition before each check, as an
	 * application that syncs what it touched would */
	{"tv_m_post_author", "{\"mode\":\"manual\"}",
		"SELECT p.pk_post, p.fk_user,\n"
		"       jsonb_build_object('title', p.title, 'author', u.name,"
		" 'comments', (SELECT count(*) FROM tb_comment c WHERE c.fk_post = p.pk_post)) AS data\n"
		"FROM tb_post p\n"
		"JOIN tb_user u ON u.pk_user = p.fk_user"},
	/* (m2) mode deferred, only with --deferred-models (it needs a preloaded
	 * server whose worker serves the test database): readmodel.wait()
	 * before each check between transactions; inside one, the check
	 * follows readmodel.flush(), which applies its work too */
	{"tv_m_post_deferred", "{\"mode\":\"deferred\"}",
		"SELECT p.pk_post, p.fk_user,\n"
		"       jsonb_build_object('title', p.title, 'author', u.name, 'org', o.name,"
		" 'comments', (SELECT count(*) FROM tb_comment c WHERE c.fk_post = p.pk_post)) AS data\n"
		"FROM tb_post p\n"
		"JOIN tb_user u ON u.pk_user = p.fk_user\n"
		"LEFT JOIN tb_org o ON o.pk_org = u.fk_org"},
	/* (e1) extra conditions in ON, including on the nullable side */
	{"tv_x_onfilter", "{}",
		"SELECT p.pk_post, p.id, p.fk_user,\n"
		"       jsonb_build_object('title', p.title, 'org', o.name) AS data\n"
		"FROM tb_post p\n"
		"JOIN tb_user u ON u.pk_user = p.fk_user AND u.active\n"
		"LEFT JOIN tb_org o ON o.pk_org = u.fk_org AND o.name NOT LIKE 'a%'"},

	/* (e2) filtered two-table subquery; non-equality correlation */
	{"tv_x_rank", "{\"mode\":\"statement\"}",
		"SELECT p.pk_post, p.id, p.fk_user,\n"
		"       jsonb_build_object(\n"
		"         'active_comments', (SELECT count(*) FROM tb_comment c"
		" JOIN tb_user cu ON cu.pk_user = c.fk_user"
		" WHERE c.fk_post = p.pk_post AND cu.active),\n"
		"         'rank', (SELECT count(*) FROM tb_post p2"
		" WHERE p2.fk_user = p.fk_user"
		" AND coalesce(p2.score, 0) > coalesce(p.score, 0))) AS data\n"
		"FROM tb_post p"},

	/* (e3) grouped over a three-level LEFT JOIN chain, DISTINCT aggregate */
	{"tv_x_user_deep", "{}",
		"SELECT u.pk_user, u.id, u.fk_org,\n"
		"       jsonb_build_object('org', max(o.name), 'likes', sum(c.likes),\n"
		"         'n_posts', count(DISTINCT p.pk_post),"
		" 'n_comments', count(c.pk_comment)) AS data\n"
		"FROM tb_user u\n"
		"LEFT JOIN tb_org o ON o.pk_org = u.fk_org\n"
		"LEFT JOIN tb_post p ON p.fk_user = u.pk_user\n"
		"LEFT JOIN tb_comment c ON c.fk_post = p.pk_post\n"
		"GROUP BY u.pk_user"},

	/* (e4) top-3 per org through a LIMIT subquery */
	{"tv_x_org_top", "{}",
		"SELECT o.pk_org, o.id,\n"
		"       jsonb_build_object('top', (SELECT jsonb_agg(x.title"
		" ORDER BY x.score DESC NULLS LAST, x.pk_post)\n"
		"         FROM (SELECT p.pk_post, p.title, p.score FROM tb_post p"
		" JOIN tb_user u ON u.pk_user = p.fk_user\n"
		"               WHERE u.fk_org = o.pk_org"
		" ORDER BY p.score DESC NULLS LAST, p.pk_post LIMIT 3) x)) AS data\n"
		"FROM tb_org o"},

	/* (e5) siblings: the same table correlated with itself */
	{"tv_x_siblings", "{\"mode\":\"statement\"}",
		"SELECT c.pk_comment, c.id, c.fk_post,\n"
		"       jsonb_build_object('body', c.body,"
		" 'siblings', (SELECT count(*) FROM tb_comment c2"
		" WHERE c2.fk_post = c.fk_post),\n"
		"         'max_likes', (SELECT max(c2.likes) FROM tb_comment c2"
		" WHERE c2.fk_post = c.fk_post)) AS data\n"
		"FROM tb_comment c"},

	/* (e6) DISTINCT aggregate and a scalar N:1 subquery */
	{"tv_x_commenters", "{}",
		"SELECT p.pk_post, p.id,\n"
		"       jsonb_build_object('commenters', (SELECT jsonb_agg(DISTINCT cu.name)"
		" FROM tb_comment c JOIN tb_user cu ON cu.pk_user = c.fk_user"
		" WHERE c.fk_post = p.pk_post),\n"
		"         'org', (SELECT o.name FROM tb_user u JOIN tb_org o"
		" ON o.pk_org = u.fk_org WHERE u.pk_user = p.fk_user)) AS data\n"
		"FROM tb_post p"},

	/* (e7) inner join + WHERE + HAVING: groups enter and leave */
	{"tv_x_prolific", "{}",
		"SELECT u.pk_user, u.id,\n"
		"       jsonb_build_object('n', count(*), 'best', max(p.score)) AS data\n"
		"FROM tb_user u\n"
		"JOIN tb_post p ON p.fk_user = u.pk_user\n"
		"WHERE p.published\n"
		"GROUP BY u.pk_user\n"
		"HAVING count(*) > 1"},

	/*
	 * Models over models (cascades), also with --extra-models: c1 is read
	 * by c2 (embedded document, patched in place when only copied columns
	 * change), c3 aggregates arrays of c1 and c2 documents (three levels),
	 * c4 embeds c2 at the root and c3 through a LEFT JOIN (four levels).
	 */
	{"tv_c_user", "{}",
		"SELECT u.pk_user, u.id, u.fk_org,\n"
		"       jsonb_build_object('id', u.id, 'name', u.name,"
		" 'active', u.active, 'note', u.note) AS data\n"
		"FROM tb_user u"},

	{"tv_c_post", "{}",
		"SELECT p.pk_post, p.id, p.fk_user,\n"
		"       jsonb_build_object('title', p.title, 'score', p.score,"
		" 'author', a.data,\n"
		"         'comments', (SELECT COALESCE(jsonb_agg(jsonb_build_object("
		"'body', c.body, 'likes', c.likes) ORDER BY c.pk_comment), '[]')\n"
		"            FROM tb_comment c WHERE c.fk_post = p.pk_post)) AS data\n"
		"FROM tb_post p\n"
		"JOIN tv_c_user a ON a.pk_user = p.fk_user"},

	{"tv_c_org", "{\"mode\":\"statement\"}",
		"SELECT o.pk_org, o.id,\n"
		"       jsonb_build_object('name', o.name,\n"
		"         'members', (SELECT COALESCE(jsonb_agg(cu.data ORDER BY cu.pk_user), '[]')"
		" FROM tv_c_user cu WHERE cu.fk_org = o.pk_org),\n"
		"         'posts', (SELECT COALESCE(jsonb_agg(cp.data ORDER BY cp.pk_post), '[]')"
		" FROM tv_c_post cp JOIN tb_user u ON u.pk_user = cp.fk_user"
		" WHERE u.fk_org = o.pk_org)) AS data\n"
		"FROM tb_org o"},

	{"tv_c_post_org", "{}",
		"SELECT p.pk_post, p.fk_user, u.fk_org,\n"
		"       jsonb_build_object('post', tp.data, 'org', og.data,"
		" 'user_note', u.note) AS data\n"
		"FROM tb_post p\n"
		"JOIN tv_c_post tp ON tp.pk_post = p.pk_post\n"
		"JOIN tb_user u ON u.pk_user = p.fk_user\n"
		"LEFT JOIN tv_c_org og ON og.pk_org = u.fk_org"},
	/*
	 * Views, WITH queries and a subquery first in FROM (expanded by the
	 * analyzer, run as written), also with --extra-models.
	 */
	/* (v1) a filtered view with a join inside as the root */
	{"tv_v_post", "{}",
		"SELECT p.pk_post, p.fk_user,\n"
		"       jsonb_build_object('title', p.title, 'author', p.author,"
		" 'score', p.score,\n"
		"         'comments', (SELECT count(*) FROM tb_comment c"
		" WHERE c.fk_post = p.pk_post)) AS data\n"
		"FROM v_post_pub p"},

	/* (v2) a view over two views (LEFT JOIN), joined N:1 to a table */
	{"tv_v_post_active", "{\"mode\":\"statement\"}",
		"SELECT x.pk_post, x.fk_org, x.title, x.author, x.active_author,"
		" o.name AS org\n"
		"FROM v_post_pub_active x\n"
		"LEFT JOIN tb_org o ON o.pk_org = x.fk_org"},

	/* (v3) a table root with filtered views joined N:1 */
	{"tv_v_comment", "{}",
		"SELECT c.pk_comment, c.body, p.title, p.author, u.name AS commenter\n"
		"FROM tb_comment c\n"
		"JOIN v_post_pub p ON p.pk_post = c.fk_post\n"
		"LEFT JOIN v_user_active u ON u.pk_user = c.fk_user"},

	/* (v4) WITH queries, one MATERIALIZED and read twice */
	{"tv_w_cte", "{}",
		"WITH au AS (SELECT pk_user, upper(name) AS uname, active FROM tb_user),\n"
		"     pc AS MATERIALIZED (SELECT fk_post, count(*) AS n, sum(likes) AS likes"
		" FROM tb_comment GROUP BY fk_post)\n"
		"SELECT p.pk_post, au.uname, au.active, COALESCE(pc.n, 0) AS n,\n"
		"       (SELECT pc2.likes FROM pc pc2 WHERE pc2.fk_post = p.pk_post)"
		" AS likes\n"
		"FROM tb_post p\n"
		"JOIN au ON au.pk_user = p.fk_user\n"
		"LEFT JOIN pc ON pc.fk_post = p.pk_post"},

	/* (v5) a plain subquery first in FROM, filtered and joined inside */
	{"tv_w_sub", "{\"mode\":\"statement\"}",
		"SELECT s.pk_user, s.name, s.org,\n"
		"       (SELECT count(*) FROM tb_post p WHERE p.fk_user = s.pk_user)"
		" AS n_posts\n"
		"FROM (SELECT u.pk_user, u.name, o.name AS org FROM tb_user u"
		" LEFT JOIN tb_org o ON o.pk_org = u.fk_org WHERE u.active) s"},

	/*
	 * Keyed by the one root column the top level groups by (no dimension
	 * table): each row is a group of root rows.  Also with --extra-models.
	 */
	/* (g1) GROUP BY a bool of the root, joined N:1 */
	{"tv_g_published", "{}",
		"SELECT p.published, count(*) AS n, sum(p.score) AS total,\n"
		"       jsonb_agg(jsonb_build_object('id', p.pk_post, 'author', u.name)"
		" ORDER BY p.pk_post) AS posts\n"
		"FROM tb_post p\n"
		"JOIN tb_user u ON u.pk_user = p.fk_user\n"
		"GROUP BY p.published"},

	/* (g2) GROUP BY a foreign key, WHERE and HAVING: groups enter and leave */
	{"tv_g_user_posts", "{\"mode\":\"statement\"}",
		"SELECT p.fk_user, count(*) AS n, max(p.score) AS best,"
		" min(p.title) AS first_title\n"
		"FROM tb_post p\n"
		"WHERE p.published\n"
		"GROUP BY p.fk_user\n"
		"HAVING count(*) > 1"},

	/* (g3) SELECT DISTINCT of one column */
	{"tv_g_commented", "{}",
		"SELECT DISTINCT c.fk_post FROM tb_comment c WHERE c.likes > 3"},

	/* (g4) DISTINCT ON, the ORDER BY ending in the unique key */
	{"tv_g_top_comment", "{}",
		"SELECT DISTINCT ON (c.fk_post) c.fk_post, c.pk_comment, c.likes,"
		" c.body, cu.name AS author\n"
		"FROM tb_comment c\n"
		"JOIN tb_user cu ON cu.pk_user = c.fk_user\n"
		"ORDER BY c.fk_post, c.likes DESC, c.pk_comment DESC"},

	/*
	 * RIGHT JOIN with the entity on the right, and the latest N children
	 * per parent through LEFT JOIN LATERAL.  Also with --extra-models.
	 */
	/* (r1) the entity on the right, the optional parent on the left */
	{"tv_r_user_org", "{}",
		"SELECT u.pk_user, u.name, o.name AS org, o.note AS org_note\n"
		"FROM tb_org o\n"
		"RIGHT JOIN tb_user u ON u.fk_org = o.pk_org"},

	/* (r2) RIGHT JOIN, then a LEFT JOIN off the nullable side */
	{"tv_r_post_author", "{\"mode\":\"statement\"}",
		"SELECT p.pk_post, p.title, u.name AS author, o.name AS org\n"
		"FROM tb_user u\n"
		"RIGHT JOIN tb_post p ON p.fk_user = u.pk_user\n"
		"LEFT JOIN tb_org o ON o.pk_org = u.fk_org"},

	/* (l1) the best comment per post: LATERAL ... ORDER BY ... LIMIT 1 */
	{"tv_l_best_comment", "{}",
		"SELECT p.pk_post, best.body, best.likes\n"
		"FROM tb_post p\n"
		"LEFT JOIN LATERAL (SELECT c.body, c.likes FROM tb_comment c"
		" WHERE c.fk_post = p.pk_post\n"
		"                   ORDER BY c.likes DESC, c.pk_comment DESC LIMIT 1)"
		" best ON true"},

	/* (l2) the latest two comments per post, aggregated */
	{"tv_l_last_two", "{\"mode\":\"statement\"}",
		"SELECT p.pk_post,\n"
		"       COALESCE(jsonb_agg(l.body ORDER BY l.pk_comment DESC)"
		" FILTER (WHERE l.pk_comment IS NOT NULL), '[]') AS last_two\n"
		"FROM tb_post p\n"
		"LEFT JOIN LATERAL (SELECT c.pk_comment, c.body FROM tb_comment c"
		" WHERE c.fk_post = p.pk_post\n"
		"                   ORDER BY c.pk_comment DESC LIMIT 2) l ON true\n"
		"GROUP BY p.pk_post"},

	/*
	 * Over the partitioned tb_reaction, also with --extra-models: written
	 * through the parent and to members at every depth, members attached,
	 * detached, created, truncated and dropped.
	 */
	/* (p1) the partitioned table as the root, filtered */
	{"tv_p_reaction", "{}",
		"SELECT r.pk_reaction, r.fk_post, r.fk_user, r.kind, r.weight\n"
		"FROM tb_reaction r\n"
		"WHERE r.weight <> 0"},

	/* (p2) children in the partitioned table, statement mode */
	{"tv_p_post", "{\"mode\":\"statement\"}",
		"SELECT p.pk_post,\n"
		"       (SELECT count(*) FROM tb_reaction r WHERE r.fk_post = p.pk_post) AS n,\n"
		"       (SELECT jsonb_agg(jsonb_build_object('kind', r.kind, 'w', r.weight)"
		" ORDER BY r.pk_reaction)\n"
		"          FROM tb_reaction r WHERE r.fk_post = p.pk_post) AS reactions\n"
		"FROM tb_post p"},

	/* (p3) keyed by a grouping column of the partitioned root */
	{"tv_p_kind", "{}",
		"SELECT r.kind, count(*) AS n, sum(r.weight) AS total,"
		" max(r.pk_reaction) AS last\n"
		"FROM tb_reaction r\n"
		"GROUP BY r.kind"},

	/* (p4) SELECT DISTINCT through a filtered view over it, statement mode */
	{"tv_p_kinds_pos", "{\"mode\":\"statement\"}",
		"SELECT DISTINCT v.kind FROM v_reaction_pos v"},

	/* (p5) the partitioned root joined N:1: changes of the parents map
	 * to its keys through hops that read the partitioned table */
	{"tv_p_reaction_join", "{}",
		"SELECT r.pk_reaction, r.fk_post, r.kind, r.weight, u.name AS author,"
		" p.title\n"
		"FROM tb_reaction r\n"
		"JOIN tb_user u ON u.pk_user = r.fk_user\n"
		"JOIN tb_post p ON p.pk_post = r.fk_post"},

	/* (p6) columns copied into a document: updates of only those patch it */
	{"tv_p_reaction_doc", "{}",
		"SELECT r.pk_reaction, r.fk_post,\n"
		"       jsonb_build_object('kind', r.kind, 'note', r.note) AS data\n"
		"FROM tb_reaction r"},

	/* (p7) grouped by the key of a table root over the partitioned table */
	{"tv_p_post_sum", "{}",
		"SELECT p.pk_post, count(r.pk_reaction) AS n, sum(r.weight) AS total,\n"
		"       COALESCE(jsonb_agg(r.kind ORDER BY r.pk_reaction)"
		" FILTER (WHERE r.pk_reaction IS NOT NULL), '[]') AS kinds\n"
		"FROM tb_post p\n"
		"LEFT JOIN tb_reaction r ON r.fk_post = p.pk_post\n"
		"GROUP BY p.pk_post"},

	/* (p8) the heaviest reaction per user through LATERAL ... LIMIT 1 */
	{"tv_p_user_top", "{}",
		"SELECT u.pk_user, top.kind, top.weight\n"
		"FROM tb_user u\n"
		"LEFT JOIN LATERAL (SELECT r.kind, r.weight FROM tb_reaction r"
		" WHERE r.fk_user = u.pk_user\n"
		"                   ORDER BY r.weight DESC, r.pk_reaction DESC LIMIT 1)"
		" top ON true"},

	/*
	 * Cascades over the models above (also with --extra-models): a group-key
	 * model joined to a table (k1), a view-based model aggregated per org
	 * (k2), a group-key model over the partitioned table as the root (k3).
	 */
	{"tv_k_user", "{}",
		"SELECT u.pk_user, u.name, g.n AS prolific_posts, g.best\n"
		"FROM tb_user u\n"
		"LEFT JOIN tv_g_user_posts g ON g.fk_user = u.pk_user"},

	{"tv_k_org", "{\"mode\":\"statement\"}",
		"SELECT o.pk_org, o.name,\n"
		"       (SELECT COALESCE(jsonb_agg(jsonb_build_object('title', v.title,"
		" 'author', v.active_author) ORDER BY v.pk_post), '[]')\n"
		"          FROM tv_v_post_active v WHERE v.fk_org = o.pk_org) AS posts\n"
		"FROM tb_org o"},

	{"tv_k_kind", "{}",
		"SELECT k.kind, k.n, k.total FROM tv_p_kind k WHERE k.n > 1"},

	/*
	 * Composite keys (also with --extra-models): the many-to-many rows
	 * (the join table as the root, keyed by both sides' keys), the join
	 * table alone, a GROUP BY of two root columns.  tb_post_tag, tb_tag,
	 * tb_message and tb_post.tag_ids/created_at are written by op_new.
	 */
	/* (n1) many-to-many rows, a model table partitioned by range of pk_post */
	{"tv_n_post_tag",
		"{\"partition_by\": {\"range\": \"pk_post\", \"partitions\": {"
		"\"lo\": {\"from\": 0, \"to\": 40}, \"hi\": {\"from\": 40, \"to\": 150}}}}",
		"SELECT p.pk_post, t.pk_tag, pt.weight, p.title, t.name AS tag\n"
		"FROM tb_post p\n"
		"JOIN tb_post_tag pt ON pt.fk_post = p.pk_post\n"
		"JOIN tb_tag t ON t.pk_tag = pt.fk_tag"},

	/* (n2) the composite-key table as the root, filtered, with a sibling count */
	{"tv_n_link", "{\"mode\":\"statement\"}",
		"SELECT pt.fk_post, pt.fk_tag, pt.weight,\n"
		"       (SELECT count(*) FROM tb_post_tag pt2 WHERE pt2.fk_tag = pt.fk_tag)"
		" AS tag_uses\n"
		"FROM tb_post_tag pt\n"
		"WHERE pt.weight > 0"},

	/* (n3) GROUP BY two root columns, a model table partitioned by hash */
	{"tv_n_user_post", "{\"partition_by\": {\"hash\": 4}}",
		"SELECT c.fk_post, c.fk_user, count(*) AS n, sum(c.likes) AS likes,"
		" max(c.pk_comment) AS last\n"
		"FROM tb_comment c\n"
		"GROUP BY c.fk_post, c.fk_user"},

	/*
	 * GROUP BY expressions of root columns, a parent's column beside the
	 * group, DISTINCT ON an expression.  Also with --extra-models.
	 */
	/* (ge1) per author and day, partitioned by range of the day */
	{"tv_ge_day",
		"{\"partition_by\": {\"range\": \"day\", \"partitions\": {"
		"\"d1\": {\"from\": \"2026-01-01\", \"to\": \"2026-01-04\"},"
		" \"d2\": {\"from\": \"2026-01-04\", \"to\": \"2026-01-07\"}}}}",
		"SELECT p.fk_user, u.name, date_trunc('day', p.created_at) AS day,"
		" count(*) AS n, sum(p.score) AS total\n"
		"FROM tb_post p\n"
		"JOIN tb_user u ON u.pk_user = p.fk_user\n"
		"GROUP BY p.fk_user, u.name, date_trunc('day', p.created_at)"},

	/* (ge2) the first letter of a nullable column, statement mode */
	{"tv_ge_initial", "{\"mode\":\"statement\"}",
		"SELECT upper(left(p.title, 1)) AS initial, count(*) AS n,"
		" max(p.pk_post) AS last, sum(p.score) AS total\n"
		"FROM tb_post p\n"
		"WHERE upper(left(p.title, 1)) IS NOT NULL\n"
		"GROUP BY upper(left(p.title, 1))"},

	/* (ge3) integer bands beside a parent's column */
	{"tv_ge_band", "{}",
		"SELECT p.fk_user, u.name AS author, p.score / 10 AS band, count(*) AS n,\n"
		"       jsonb_agg(p.pk_post ORDER BY p.pk_post) AS posts\n"
		"FROM tb_post p\n"
		"JOIN tb_user u ON u.pk_user = p.fk_user\n"
		"WHERE p.score IS NOT NULL\n"
		"GROUP BY p.fk_user, u.name, p.score / 10"},

	/* (ge4) DISTINCT ON an expression: the best comment per initial */
	{"tv_ge_first_word", "{}",
		"SELECT DISTINCT ON (upper(left(c.body, 1))) upper(left(c.body, 1)) AS initial,"
		" c.pk_comment, c.body, c.likes\n"
		"FROM tb_comment c\n"
		"WHERE upper(left(c.body, 1)) IS NOT NULL\n"
		"ORDER BY upper(left(c.body, 1)), c.likes DESC, c.pk_comment"},

	/* (ge5) DISTINCT ON a day: the latest post of each day, statement mode */
	{"tv_ge_latest_day", "{\"mode\":\"statement\"}",
		"SELECT DISTINCT ON (date_trunc('day', p.created_at))"
		" date_trunc('day', p.created_at) AS day, p.pk_post, p.title\n"
		"FROM tb_post p\n"
		"ORDER BY date_trunc('day', p.created_at), p.created_at DESC, p.pk_post DESC"},

	/*
	 * UNION ALL and UNION with a tag, UNION without one, a window function
	 * partitioned by a selected root column.  Also with --extra-models.
	 */
	/* (u1) an activity feed, a model table partitioned by list of the tag */
	{"tv_u_feed",
		"{\"partition_by\": {\"list\": \"kind\", \"partitions\": {\"posts\": [\"post\"]}}}",
		"SELECT 'post' AS kind, p.pk_post AS id, p.fk_user, p.title AS text\n"
		"FROM tb_post p\n"
		"UNION ALL\n"
		"SELECT 'comment', c.pk_comment, c.fk_user, c.body\n"
		"FROM tb_comment c"},

	/* (u2) UNION with a tag, grouped branches, statement mode */
	{"tv_u_counts", "{\"mode\":\"statement\"}",
		"SELECT 'posts' AS kind, p.fk_user, count(*) AS n FROM tb_post p"
		" GROUP BY p.fk_user\n"
		"UNION\n"
		"SELECT 'comments', c.fk_user, count(*) FROM tb_comment c"
		" WHERE c.likes > 2 GROUP BY c.fk_user"},

	/* (u3) UNION without a tag, keyed by all its columns */
	{"tv_u_people", "{}",
		"SELECT p.fk_user FROM tb_post p\n"
		"UNION\n"
		"SELECT c.fk_user FROM tb_comment c"},

	/* (u4) UNION ALL without a tag: the second branch keeps out the first's keys */
	{"tv_u_tag_or_org", "{\"mode\":\"statement\"}",
		"SELECT t.pk_tag AS id, t.name FROM tb_tag t\n"
		"UNION ALL\n"
		"SELECT o.pk_org, o.name FROM tb_org o\n"
		"WHERE NOT EXISTS (SELECT FROM tb_tag t WHERE t.pk_tag = o.pk_org)"},

	/* (fj1) a FULL JOIN of two tables on their keys (their values overlap) */
	{"tv_fj_user_org", "{}",
		"SELECT COALESCE(u.pk_user, o.pk_org) AS id, u.name AS user_name,"
		" o.name AS org_name,\n"
		"       jsonb_build_object('active', u.active, 'note', o.note) AS data\n"
		"FROM tb_user u FULL JOIN tb_org o ON o.pk_org = u.pk_user\n"
		"WHERE u.active OR u.pk_user IS NULL"},

	/* (wn1) rank and running total within the author, totally ordered */
	{"tv_wn_rank", "{}",
		"SELECT p.pk_post, p.fk_user, p.score,\n"
		"       rank() OVER (PARTITION BY p.fk_user"
		" ORDER BY p.score DESC NULLS LAST, p.pk_post) AS rnk,\n"
		"       sum(p.score) OVER (PARTITION BY p.fk_user"
		" ORDER BY p.score DESC NULLS LAST, p.pk_post) AS running\n"
		"FROM tb_post p"},

	/* (wn2) over the composite-key table, ordered by the whole key */
	{"tv_wn_link", "{\"mode\":\"statement\"}",
		"SELECT pt.fk_post, pt.fk_tag, pt.weight,\n"
		"       row_number() OVER (PARTITION BY pt.fk_tag"
		" ORDER BY pt.weight DESC, pt.fk_post, pt.fk_tag) AS pos,\n"
		"       sum(pt.weight) OVER (PARTITION BY pt.fk_tag"
		" ORDER BY pt.weight DESC, pt.fk_post, pt.fk_tag) AS running\n"
		"FROM tb_post_tag pt"},

	/*
	 * Arrays of references (= ANY, unnest), an OR of equalities, the refresh
	 * strategy with an uncorrelated subquery.  Also with --extra-models.
	 */
	/* (a1) a post's tags through = ANY and through unnest (repeats kept) */
	{"tv_a_post_tags", "{}",
		"SELECT p.pk_post,\n"
		"       (SELECT jsonb_agg(t.name ORDER BY t.pk_tag) FROM tb_tag t"
		" WHERE t.pk_tag = ANY (p.tag_ids)) AS tags,\n"
		"       (SELECT jsonb_agg(t.name ORDER BY t.pk_tag) FROM unnest(p.tag_ids) u(id)"
		" JOIN tb_tag t ON t.pk_tag = u.id) AS tags_rep\n"
		"FROM tb_post p"},

	/* (a2) from the tag's side, statement mode */
	{"tv_a_tag_posts", "{\"mode\":\"statement\"}",
		"SELECT t.pk_tag, t.name,\n"
		"       (SELECT count(*) FROM tb_post p WHERE t.pk_tag = ANY (p.tag_ids)) AS n,\n"
		"       (SELECT count(*) FROM tb_post p, unnest(p.tag_ids) u(id)"
		" WHERE u.id = t.pk_tag) AS n_rep,\n"
		"       (SELECT jsonb_agg(p.pk_post ORDER BY p.pk_post) FROM tb_post p"
		" WHERE t.pk_tag = ANY (p.tag_ids) AND p.published) AS published\n"
		"FROM tb_tag t"},

	/* (a3) unnest at the top level, grouped by the root key */
	{"tv_a_unnest_top", "{}",
		"SELECT p.pk_post, count(t.pk_tag) AS n, count(u.id) AS n_elems,\n"
		"       COALESCE(jsonb_agg(t.name ORDER BY t.pk_tag)"
		" FILTER (WHERE t.pk_tag IS NOT NULL), '[]') AS names\n"
		"FROM tb_post p\n"
		"LEFT JOIN LATERAL unnest(p.tag_ids) u(id) ON true\n"
		"LEFT JOIN tb_tag t ON t.pk_tag = u.id\n"
		"GROUP BY p.pk_post"},

	/* (o1) a user's messages, sent or received */
	{"tv_o_user_msgs", "{}",
		"SELECT u.pk_user, u.name,\n"
		"       (SELECT count(*) FROM tb_message m"
		" WHERE m.sender_id = u.pk_user OR m.recipient_id = u.pk_user) AS n,\n"
		"       (SELECT jsonb_agg(m.body ORDER BY m.pk_message) FROM tb_message m"
		" WHERE u.pk_user IN (m.sender_id, m.recipient_id)) AS bodies\n"
		"FROM tb_user u"},

	/* (s1) a global total in every row: {"strategy": "refresh"} */
	{"tv_s_tag_share", "{\"strategy\": \"refresh\"}",
		"SELECT t.pk_tag, t.name,\n"
		"       (SELECT count(*) FROM tb_post p WHERE p.published) AS n_published,\n"
		"       (SELECT count(*) FROM tb_post_tag pt WHERE pt.fk_tag = t.pk_tag)"
		" AS n_links\n"
		"FROM tb_tag t"},

	/* (s2) the root read uncorrelated too, statement mode, refresh strategy */
	{"tv_s_best", "{\"strategy\": \"refresh\", \"mode\": \"statement\"}",
		"SELECT p.pk_post, p.score,\n"
		"       p.score = (SELECT max(p2.score) FROM tb_post p2) AS is_best,\n"
		"       (SELECT count(*) FROM tb_message m) AS n_messages,\n"
		"       (SELECT count(*) FROM tb_comment c WHERE c.fk_post = p.pk_post)"
		" AS n_comments\n"
		"FROM tb_post p"},

	/*
	 * Cascades (also with --extra-models): over the composite-key model
	 * partitioned by range (q1), over the UNION models (q2), over the
	 * partitioned models by range and hash, grouped (q3, q4).
	 */
	{"tv_q_tag", "{}",
		"SELECT t.pk_tag, t.name,\n"
		"       (SELECT count(*) FROM tv_n_post_tag x WHERE x.pk_tag = t.pk_tag) AS n,\n"
		"       (SELECT jsonb_agg(x.title ORDER BY x.pk_post, x.pk_tag)"
		" FROM tv_n_post_tag x WHERE x.pk_tag = t.pk_tag) AS titles\n"
		"FROM tb_tag t"},

	{"tv_q_feed_user", "{\"mode\":\"statement\"}",
		"SELECT u.pk_user, u.name,\n"
		"       (SELECT count(*) FROM tv_u_feed f WHERE f.fk_user = u.pk_user) AS n,\n"
		"       (SELECT jsonb_agg(f.text ORDER BY f.kind, f.id) FROM tv_u_feed f"
		" WHERE f.fk_user = u.pk_user) AS items,\n"
		"       EXISTS (SELECT FROM tv_u_people x WHERE x.fk_user = u.pk_user)"
		" AS writes\n"
		"FROM tb_user u"},

	{"tv_q_day", "{}",
		"SELECT d.day, count(*) AS authors, sum(d.n) AS n\n"
		"FROM tv_ge_day d\n"
		"GROUP BY d.day"},

	{"tv_q_pair", "{}",
		"SELECT x.fk_user, count(*) AS posts, sum(x.n) AS n, max(x.last) AS last\n"
		"FROM tv_n_user_post x\n"
		"GROUP BY x.fk_user"},

	/*
	 * Aggregates kept by deltas (src/delta.h), also with --extra-models: a
	 * rollup of every kind over an inner join (d1), a LEFT JOIN with a
	 * condition on the nullable side and a FILTER (d2), a document (d4), one
	 * table grouped by its own column with a WHERE (d3).
	 */
	{"tv_d_user_posts", "{}",
		"SELECT u.pk_user, u.name, count(*) AS posts, count(p.score) AS scored,\n"
		"       sum(p.score) AS total, avg(p.score) AS mean, min(p.score) AS low,\n"
		"       max(p.score) AS high, bool_and(p.published) AS all_published,\n"
		"       bool_or(p.published) AS any_published, max(p.created_at) AS last\n"
		"FROM tb_user u JOIN tb_post p ON p.fk_user = u.pk_user\n"
		"GROUP BY u.pk_user, u.name"},

	{"tv_d_post_likes", "{}",
		"SELECT p.pk_post, count(*) AS n, count(c.pk_comment) AS comments,\n"
		"       sum(c.likes) FILTER (WHERE c.body IS NOT NULL) AS liked,\n"
		"       avg(c.likes) AS mean, max(c.likes) AS best\n"
		"FROM tb_post p LEFT JOIN tb_comment c ON c.fk_post = p.pk_post AND c.likes > 0\n"
		"WHERE p.published\n"
		"GROUP BY p.pk_post"},

	/* (d4) a document of aggregates beside a copied column, COALESCE(sum, 0);
	 * its folds bump a version */
	{"tv_d_user_doc", "{\"version\":true,\"feed\":true}",
		"SELECT u.pk_user, jsonb_build_object('name', u.name, 'posts', count(p.pk_post),\n"
		"       'score', COALESCE(sum(p.score), 0), 'best', max(p.score),\n"
		"       'last', max(p.created_at)) AS data\n"
		"FROM tb_user u LEFT JOIN tb_post p ON p.fk_user = u.pk_user\n"
		"GROUP BY u.pk_user, u.name"},

	{"tv_d_commenter", "{}",
		"SELECT c.fk_user, count(*) AS n, sum(c.likes) AS likes, avg(c.likes) AS mean,\n"
		"       min(c.likes) AS least\n"
		"FROM tb_comment c\n"
		"WHERE c.likes <> 3\n"
		"GROUP BY c.fk_user"},

};
#define NMODELS ((int) (sizeof(models) / sizeof(models[0])))
#define NBASIC 8				/* models[0..NBASIC-1] always; rest with --extra-models */
#define NSHAPE 45				/* models[NSHAPE..]: the shape groups n ge u wn a o s q */

/* models whose readmodel.create() succeeded (others are reported, skipped) */
static bool model_ok[NMODELS];

static char *
sql_lit(PGconn *c, const char *s)
{
	char *e = PQescapeLiteral(c, s, strlen(s));
	char *r = xstrdup(e);

	PQfreemem(e);
	return r;
}

static void
seed_data(void)
{
	Buf b = {0};

	buf_append(&b, "INSERT INTO tb_org (name) VALUES ");
	for (int i = 0; i < 5; i++)
	{
		char *n = rand_text_lit();

		buf_append(&b, "%s(%s)", i ? ", " : "", n);
		free(n);
	}
	setup_exec(conn, b.data);

	buf_reset(&b);
	buf_append(&b, "INSERT INTO tb_user (fk_org, name, active) VALUES ");
	for (int i = 0; i < 20; i++)
	{
		char *n = rand_text_lit();

		if (chance(15))
			buf_append(&b, "%s(NULL, %s, %s)", i ? ", " : "", n, rand_bool());
		else
			buf_append(&b, "%s(%d, %s, %s)", i ? ", " : "", rnd_range(1, 5), n,
					   rand_bool());
		free(n);
	}
	setup_exec(conn, b.data);

	buf_reset(&b);
	buf_append(&b, "INSERT INTO tb_post (fk_user, title, score, published) VALUES ");
	for (int i = 0; i < 60; i++)
	{
		char *t = rand_text_lit_null(5);

		if (chance(10))
			buf_append(&b, "%s(%d, %s, NULL, %s)", i ? ", " : "",
					   rnd_range(1, 20), t, rand_bool());
		else
			buf_append(&b, "%s(%d, %s, %d, %s)", i ? ", " : "",
					   rnd_range(1, 20), t, rnd_range(-5, 50), rand_bool());
		free(t);
	}
	setup_exec(conn, b.data);

	buf_reset(&b);
	buf_append(&b, "INSERT INTO tb_comment (fk_post, fk_user, body, likes) VALUES ");
	for (int i = 0; i < 150; i++)
	{
		char *t = rand_text_lit_null(5);

		buf_append(&b, "%s(%d, %d, %s, %d)", i ? ", " : "",
				   rnd_range(1, 60), rnd_range(1, 20), t, rnd_range(0, 10));
		free(t);
	}
	setup_exec(conn, b.data);

	/* reactions in p0..p3 (p2 routes them on to p2a or p2b) */
	buf_reset(&b);
	buf_append(&b, "INSERT INTO tb_reaction (pk_reaction, fk_post, fk_user, kind, weight) VALUES ");
	for (int i = 0; i < 60; i++)
		buf_append(&b, "%s(%d, %d, %d, '%s', %d)", i ? ", " : "",
				   parts[i % 4 == 3 ? P3 : i % 4].lo + (i / 4) * 13 + rnd(13),
				   rnd_range(1, 60), rnd_range(1, 20), kinds[rnd(NKINDS)],
				   rnd_range(-2, 9));
	setup_exec(conn, b.data);
	free(b.data);
}

/* ------------------------------------------------------------------ */
/* verification                                                        */
/* ------------------------------------------------------------------ */

/*
 * Verify one model.  Returns true when it matches.  `when` says where in
 * the transaction we are (for the report).
 */
static bool
verify_model(int m, const char *when)
{
	const char *params[1] = {models[m].name};
	PGresult *r;
	int n;

	r = PQexecParams(conn,
					 "SELECT problem, key, table_row::text, definition_row::text"
					 " FROM readmodel.verify($1)",
					 1, NULL, params, NULL, NULL, 0);
	if (!res_ok(r))
	{
		char *sql = strf("SELECT * FROM readmodel.verify('%s')", models[m].name);
		char *msg = xstrdup(PQerrorMessage(conn));

		PQclear(r);
		in_failed_txn = true;
		unexpected_error(sql, msg);
		free(sql);
		free(msg);
		return false;
	}
	n = PQntuples(r);
	if (n == 0)
	{
		checks_passed++;
		PQclear(r);
		return true;
	}

	checks_failed++;
	fflush(stdout);
	printf("\ndifftest: DIVERGENCE in model %s %s, seed %" PRIu64
		   ", transaction %d\n", models[m].name, when, cur_seed, txn_no);
	printf("-- model options: %s\n-- model definition:\n%s\n",
		   models[m].options, models[m].definition);
	txlog_print(stdout);
	printf("-- readmodel.verify('%s') returned %d row(s):\n", models[m].name, n);
	for (int i = 0; i < n && i < 50; i++)
		printf("   problem=%s key=%s\n     table_row=%s\n     definition_row=%s\n",
			   PQgetisnull(r, i, 0) ? "NULL" : PQgetvalue(r, i, 0),
			   PQgetisnull(r, i, 1) ? "NULL" : PQgetvalue(r, i, 1),
			   PQgetisnull(r, i, 2) ? "NULL" : PQgetvalue(r, i, 2),
			   PQgetisnull(r, i, 3) ? "NULL" : PQgetvalue(r, i, 3));
	if (n > 50)
		printf("   ... %d more\n", n - 50);
	PQclear(r);
	if (!opt_keep_going)
	{
		print_summary();
		exit(1);
	}
	/* keep going: rebuild the model so later checks are meaningful */
	{
		char *sql = strf("SELECT readmodel.refresh('%s')", models[m].name);
		PGresult *rr = PQexec(conn, sql);

		if (!res_ok(rr))
			printf("-- (refresh after divergence failed: %s)\n", PQerrorMessage(conn));
		PQclear(rr);
		free(sql);
	}
	return false;
}

/*
 * The check of every model after each transaction is one prepared
 * statement, made after readmodel.create(): for each model, whether its
 * table and a fresh run of its definition (the <model>_def view) differ in
 * a key or, by binary image, in a row -- the comparison readmodel.verify()
 * makes, but planned once instead of at every call (with forty models that was
 * most of the run time).  A model it finds is verified again with
 * readmodel.verify() for the report.  --use-verify (and the mock engine)
 * ask readmodel.verify() of every model at every check instead.
 */
static bool fast_verify;		/* the statement is prepared on conn */

static void
prepare_fast_verify(void)
{
	Buf q = {0};
	PGresult *r;
	int n = 0;

	fast_verify = false;
	if (opt_mock || opt_use_verify || opt_no_models)
		return;
	/* joined on the columns of the model table's primary key (its key) */
	r = PQexec(conn,
			   "SELECT m.name::text, format('SELECT %L::text AS m WHERE EXISTS ("
			   "SELECT FROM %s t FULL JOIN %s d ON %s"
			   " WHERE t.%I IS NULL OR d.%I IS NULL"
			   " OR pg_catalog.record_image_ne(ROW(%s), ROW(%s)))',"
			   " m.name::text, m.name, (m.name::text || '_def')::regclass,"
			   " k.cond, k.first, k.first,"
			   " string_agg('t.' || quote_ident(a.attname), ', ' ORDER BY a.attnum),"
			   " string_agg('d.' || quote_ident(a.attname), ', ' ORDER BY a.attnum))"
			   " FROM readmodel.models m"
			   " CROSS JOIN LATERAL (SELECT string_agg(format('t.%1$I = d.%1$I', ka.attname),"
			   " ' AND ' ORDER BY u.ord) AS cond,"
			   " (array_agg(ka.attname ORDER BY u.ord))[1] AS first"
			   " FROM pg_constraint c, unnest(c.conkey) WITH ORDINALITY u(attnum, ord),"
			   " pg_attribute ka WHERE c.conrelid = m.name AND c.contype = 'p'"
			   " AND ka.attrelid = c.conrelid AND ka.attnum = u.attnum) k"
			   " JOIN pg_attribute a ON a.attrelid = m.name AND a.attnum > 0"
			   " AND NOT a.attisdropped"
			   /* option version's columns are not the definition's */
			   " AND EXISTS (SELECT FROM pg_attribute va"
			   " WHERE va.attrelid = (m.name::text || '_def')::regclass"
			   " AND va.attname = a.attname AND NOT va.attisdropped)"
			   " GROUP BY m.name, k.cond, k.first ORDER BY 1");
	if (!res_ok(r))
	{
		fprintf(stderr, "difftest: reading the models failed: %s", PQerrorMessage(conn));
		PQclear(r);
		checks_failed++;
		print_summary();
		exit(1);
	}
	for (int m = 0; m < NMODELS; m++)
	{
		bool found = false;

		if (!model_ok[m])
			continue;
		for (int i = 0; i < PQntuples(r) && !found; i++)
			if (strcmp(PQgetvalue(r, i, 0), models[m].name) == 0)
			{
				buf_append(&q, "%s%s", n++ ? " UNION ALL " : "", PQgetvalue(r, i, 1));
				found = true;
			}
		if (!found)
		{
			fprintf(stderr, "difftest: model %s is not in readmodel.models\n",
					models[m].name);
			exit(1);
		}
	}
	PQclear(r);
	if (n > 0)
	{
		r = PQprepare(conn, "difftest_verify", q.data, 0, NULL);
		if (!res_ok(r))
		{
			fprintf(stderr, "difftest: preparing the check failed: %s\n-- statement:\n%s\n",
					PQerrorMessage(conn), q.data);
			exit(1);
		}
		PQclear(r);
		fast_verify = true;
	}
	free(q.data);
}

/*
 * Verify every model.  The models the check finds (all of them with
 * --use-verify) are verified with readmodel.verify() for the report; when
 * the check found a difference verify does not see, that is reported too.
 */
/*
 * Models of mode manual are exact only once the application syncs them:
 * sync every key the table or the definition holds, by key (not the
 * rebuild of sync(model)), in the transaction if one is open.
 */
static void
sync_manual_models(void)
{
	for (int m = 0; m < NMODELS; m++)
		if (model_ok[m] && strstr(models[m].options, "manual") != NULL && !in_failed_txn)
			runf("SELECT readmodel.sync('%s', ARRAY(SELECT pk_post FROM %s UNION SELECT pk_post FROM %s_def))",
				 models[m].name, models[m].name, models[m].name);
}

/*
 * Models of mode deferred are exact once the worker has applied what was
 * committed: wait for it between transactions (a timeout is a failure).
 */
static void
wait_deferred_models(void)
{
	if (PQtransactionStatus(conn) != PQTRANS_IDLE)
		return;
	for (int m = 0; m < NMODELS; m++)
		if (model_ok[m] && strstr(models[m].options, "deferred") != NULL)
		{
			PGresult *r = PQexec(conn, strf("SELECT readmodel.wait('%s', '60 s')",
											models[m].name));

			if (!res_ok(r) || strcmp(PQgetvalue(r, 0, 0), "t") != 0)
			{
				printf("difftest: FAILED: readmodel.wait('%s') did not return true: %s\n",
					   models[m].name, PQerrorMessage(conn));
				checks_failed++;
			}
			PQclear(r);
		}
}

static void
verify_all(const char *when)
{
	PGresult *r;
	bool bad[NMODELS];

	if (opt_no_models || in_failed_txn)
		return;
	if (!opt_mock)
	{
		sync_manual_models();
		wait_deferred_models();
	}
	if (in_failed_txn)
		return;
	for (int m = 0; m < NMODELS; m++)
		bad[m] = !fast_verify;
	if (fast_verify)
	{
		r = PQexecPrepared(conn, "difftest_verify", 0, NULL, NULL, NULL, 0);
		if (!res_ok(r))
		{
			char *msg = xstrdup(PQerrorMessage(conn));

			PQclear(r);
			in_failed_txn = true;
			unexpected_error("EXECUTE difftest_verify -- the check of every model", msg);
			free(msg);
			return;
		}
		for (int i = 0; i < PQntuples(r); i++)
			for (int m = 0; m < NMODELS; m++)
				if (model_ok[m] && strcmp(PQgetvalue(r, i, 0), models[m].name) == 0)
					bad[m] = true;
		PQclear(r);
	}
	for (int m = 0; m < NMODELS; m++)
	{
		if (!model_ok[m])
			continue;
		if (!bad[m])
			checks_passed++;
		else if (verify_model(m, when) && fast_verify)
		{
			/* the check differs from readmodel.verify(): a failure too */
			checks_passed--;
			checks_failed++;
			printf("\ndifftest: DIVERGENCE in model %s %s, seed %" PRIu64
				   ", transaction %d: the check found a difference, readmodel.verify()"
				   " returned no row\n", models[m].name, when, cur_seed, txn_no);
			txlog_print(stdout);
			if (!opt_keep_going)
			{
				print_summary();
				exit(1);
			}
		}
	}
}

/* ------------------------------------------------------------------ */
/* random operations                                                   */
/* ------------------------------------------------------------------ */

static void do_random_op(int depth);
static void op_flush_verify(void);
static void reaction_insert_parent(int n);

/* choose a table with weights org 10, user 20, post 30, comment 40 */
static int
rand_table(void)
{
	int r = rnd(100);

	if (r < 10)
		return T_ORG;
	if (r < 30)
		return T_USER;
	if (r < 60)
		return T_POST;
	return T_COMMENT;
}

static void
insert_row(int t)
{
	char *txt = NULL;
	char *org = NULL;
	int u, p;

	/* fall back to the parent table when a needed parent is missing */
	if (t == T_COMMENT && (keys[T_POST].n == 0 || keys[T_USER].n == 0))
		t = keys[T_USER].n == 0 ? T_USER : T_POST;
	if (t == T_POST && keys[T_USER].n == 0)
		t = T_USER;

	switch (t)
	{
		case T_ORG:
			txt = rand_text_lit();
			runf("INSERT INTO tb_org (name) VALUES (%s)", txt);
			break;
		case T_USER:
			txt = rand_text_lit();
			org = pick_org_or_null(15);
			runf("INSERT INTO tb_user (fk_org, name, active) VALUES (%s, %s, %s)",
				 org, txt, rand_bool());
			break;
		case T_POST:
			txt = rand_text_lit_null(5);
			u = pick(T_USER);
			if (chance(50))
				runf("INSERT INTO tb_post (fk_user, title, score, published)"
					 " VALUES (%d, %s, %d, %s)", u, txt, rnd_range(-5, 50), rand_bool());
			else
				runf("INSERT INTO tb_post (fk_user, title) VALUES (%d, %s)"
					 " RETURNING pk_post", u, txt);
			break;
		case T_REACTION:
			reaction_insert_parent(1);
			break;
		default:
			txt = rand_text_lit_null(5);
			p = pick(T_POST);
			u = pick(T_USER);
			runf("INSERT INTO tb_comment (fk_post, fk_user, body, likes)"
				 " VALUES (%d, %d, %s, %d)", p, u, txt, rnd_range(0, 10));
			break;
	}
	free(txt);
	free(org);
}

static void
op_insert_single(void)
{
	insert_row(rand_table());
}

static void
op_insert_multi(void)
{
	Buf b = {0};
	int n = rnd_range(2, 5);
	int r = rnd(4);

	if (keys[T_USER].n == 0)
	{
		insert_row(T_USER);
		return;
	}
	if (r == 0)
	{
		buf_append(&b, "INSERT INTO tb_user (fk_org, name, active) VALUES ");
		for (int i = 0; i < n; i++)
		{
			char *t = rand_text_lit();
			char *o = pick_org_or_null(20);

			buf_append(&b, "%s(%s, %s, %s)", i ? ", " : "", o, t, rand_bool());
			free(t);
			free(o);
		}
	}
	else if (r == 1 || keys[T_POST].n == 0)
	{
		buf_append(&b, "INSERT INTO tb_post (fk_user, title, score, published) VALUES ");
		for (int i = 0; i < n; i++)
		{
			char *t = rand_text_lit_null(5);

			buf_append(&b, "%s(%d, %s, %d, %s)", i ? ", " : "", pick(T_USER), t,
					   rnd_range(-5, 50), rand_bool());
			free(t);
		}
	}
	else if (r == 2)
	{
		buf_append(&b, "INSERT INTO tb_comment (fk_post, fk_user, body, likes) VALUES ");
		for (int i = 0; i < n; i++)
		{
			char *t = rand_text_lit_null(5);

			buf_append(&b, "%s(%d, %d, %s, %d)", i ? ", " : "", pick(T_POST),
					   pick(T_USER), t, rnd_range(0, 10));
			free(t);
		}
	}
	else
	{
		/* INSERT ... SELECT: copy the comments of one post onto another */
		buf_append(&b, "INSERT INTO tb_comment (fk_post, fk_user, body, likes)"
				   " SELECT %d, fk_user, body || ' (copy)', likes"
				   " FROM tb_comment WHERE fk_post = %d ORDER BY pk_comment",
				   pick(T_POST), pick(T_POST));
	}
	run0(b.data);
	free(b.data);
}

static void
op_update_read(void)
{
	int t = rand_table();
	char *txt = NULL;
	int k = pick(t);

	if (k < 0)
	{
		insert_row(t);
		return;
	}
	switch (t)
	{
		case T_ORG:
			txt = rand_text_lit();
			if (chance(20))
				runf("UPDATE tb_org SET name = name WHERE pk_org = %d", k);
			else
				runf("UPDATE tb_org SET name = %s WHERE pk_org = %d", txt, k);
			break;
		case T_USER:
			txt = rand_text_lit();
			switch (rnd(4))
			{
				case 0:
					runf("UPDATE tb_user SET name = %s WHERE pk_user = %d", txt, k);
					break;
				case 1:
					runf("UPDATE tb_user SET active = NOT active WHERE pk_user = %d", k);
					break;
				case 2:
					runf("UPDATE tb_user SET name = %s, active = %s WHERE pk_user = %d",
						 txt, rand_bool(), k);
					break;
				default:
					runf("UPDATE tb_user SET id = gen_random_uuid() WHERE pk_user = %d", k);
					break;
			}
			break;
		case T_POST:
			txt = rand_text_lit_null(10);
			switch (rnd(5))
			{
				case 0:
					runf("UPDATE tb_post SET title = %s WHERE pk_post = %d", txt, k);
					break;
				case 1:
					runf("UPDATE tb_post SET score = coalesce(score, 0) + %d"
						 " WHERE pk_post = %d", rnd_range(-10, 10), k);
					break;
				case 2:
					runf("UPDATE tb_post SET published = NOT published"
						 " WHERE pk_post = %d", k);
					break;
				case 3:
					runf("UPDATE tb_post SET score = NULL WHERE pk_post = %d", k);
					break;
				default:
					{
						char *l = pick_list(T_POST, rnd_range(2, 4));

						runf("UPDATE tb_post SET score = %d, published = %s"
							 " WHERE pk_post IN (%s)", rnd_range(-5, 50),
							 rand_bool(), l);
						free(l);
					}
					break;
			}
			break;
		default:
			txt = rand_text_lit_null(10);
			switch (rnd(3))
			{
				case 0:
					runf("UPDATE tb_comment SET body = %s WHERE pk_comment = %d", txt, k);
					break;
				case 1:
					runf("UPDATE tb_comment SET likes = likes + %d"
						 " WHERE pk_comment = %d", rnd_range(-3, 5), k);
					break;
				default:
					runf("UPDATE tb_comment SET likes = likes WHERE pk_comment = %d", k);
					break;
			}
			break;
	}
	free(txt);
}

static void
op_update_unread(void)
{
	int t = rand_table();
	int k = pick(t);
	char *txt = rand_text_lit_null(20);

	if (k < 0)
		insert_row(t);
	else if (chance(80))
		runf("UPDATE %s SET note = %s WHERE %s = %d", tname[t], txt, pkname[t], k);
	else
		runf("UPDATE %s SET note = %s WHERE %s %% %d = %d", tname[t], txt,
			 pkname[t], rnd_range(2, 5), rnd(2));
	free(txt);
}

static void
op_update_fk(void)
{
	int r = rnd(6);

	if (keys[T_USER].n == 0 || keys[T_POST].n == 0 || keys[T_COMMENT].n == 0)
	{
		op_insert_multi();
		return;
	}
	switch (r)
	{
		case 0:
			runf("UPDATE tb_comment SET fk_post = %d WHERE pk_comment = %d",
				 pick(T_POST), pick(T_COMMENT));
			break;
		case 1:
			runf("UPDATE tb_comment SET fk_user = %d WHERE pk_comment = %d",
				 pick(T_USER), pick(T_COMMENT));
			break;
		case 2:
			runf("UPDATE tb_post SET fk_user = %d WHERE pk_post = %d",
				 pick(T_USER), pick(T_POST));
			break;
		case 3:
			{
				char *o = pick_org_or_null(30);

				runf("UPDATE tb_user SET fk_org = %s WHERE pk_user = %d", o, pick(T_USER));
				free(o);
			}
			break;
		case 4:
			{
				/* swap all comments between two posts */
				int a = pick(T_POST), b = pick(T_POST);

				runf("UPDATE tb_comment SET fk_post = CASE WHEN fk_post = %d"
					 " THEN %d ELSE %d END WHERE fk_post IN (%d, %d)", a, b, a, a, b);
			}
			break;
		default:
			/* move and change a read column at once */
			runf("UPDATE tb_post SET fk_user = %d, title = title || '!'"
				 " WHERE pk_post = %d", pick(T_USER), pick(T_POST));
			break;
	}
}

/* change a primary key; ON UPDATE CASCADE moves the children along */
static void
op_update_pk(void)
{
	int t = rand_table();
	int k = pick(t);

	if (k < 0)
	{
		insert_row(t);
		return;
	}
	if (chance(70))
		runf("UPDATE %s SET %s = %d WHERE %s = %d", tname[t], pkname[t],
			 100000 + (++high_pk[t]), pkname[t], k);
	else
	{
		/* swap-free shift of two keys in one statement */
		int k2 = pick(t);
		int base = 100000 + (++high_pk[t]);

		++high_pk[t];
		runf("UPDATE %s SET %s = CASE WHEN %s = %d THEN %d ELSE %d END"
			 " WHERE %s IN (%d, %d)", tname[t], pkname[t], pkname[t], k, base,
			 base + 1, pkname[t], k, k2);
	}
}

/*
 * tb_comment has deferred foreign-key checks queued in this transaction;
 * PostgreSQL refuses TRUNCATE of a table with pending trigger events.
 */
static bool comment_checks_deferred;

/* deferred constraints: child before parent, deferred triggers fired early */
static void
op_deferred(void)
{
	int u = pick(T_USER);

	if (u < 0)
	{
		insert_row(T_USER);
		return;
	}
	if (chance(70))
	{
		int k = 100000 + (++high_pk[T_POST]);
		char *t = rand_text_lit();

		run0("SET CONSTRAINTS tb_comment_fk_post_fkey DEFERRED");
		runf("INSERT INTO tb_comment (fk_post, fk_user, body, likes)"
			 " VALUES (%d, %d, 'child first', %d)", k, u, rnd_range(0, 10));
		if (chance(50))
			runf("UPDATE tb_comment SET likes = likes + 1 WHERE fk_post = %d", k);
		runf("INSERT INTO tb_post (pk_post, fk_user, title, score, published)"
			 " VALUES (%d, %d, %s, %d, %s)", k, pick(T_USER), t,
			 rnd_range(0, 50), rand_bool());
		free(t);
		if (chance(50))
			run0("SET CONSTRAINTS ALL IMMEDIATE");
		else
			comment_checks_deferred = true;
	}
	else
	{
		/* queue deferred trigger events, then fire them before commit */
		int p = pick(T_POST);

		if (p < 0)
		{
			insert_row(T_POST);
			return;
		}
		runf("UPDATE tb_post SET score = %d WHERE pk_post = %d",
			 chance(50) ? rnd_range(40, 60) : rnd_range(-10, -6), p);
		run0("SET CONSTRAINTS post_score_deferred IMMEDIATE");
		run0("SET CONSTRAINTS post_score_deferred DEFERRED");
	}
}

/* many rows at once: more than the engine's default escalation threshold */
static void
op_bulk_rows(void)
{
	if (keys[T_POST].n == 0)
	{
		insert_row(T_POST);
		return;
	}
	switch (rnd(3))
	{
		case 0:
			runf("INSERT INTO tb_comment (fk_post, fk_user, body, likes)"
				 " SELECT p.pk_post, p.fk_user, 'bulk ' || g, g %% 7"
				 " FROM tb_post p, generate_series(1, %d) g ORDER BY p.pk_post, g", rnd_range(3, 6));
			break;
		case 1:
			run0("DELETE FROM tb_comment WHERE body LIKE 'bulk%'");
			break;
		default:
			runf("UPDATE tb_comment SET likes = likes + 1, fk_user = %d"
				 " WHERE pk_comment %% 2 = %d", pick(T_USER), rnd(2));
			break;
	}
}

static void
op_delete(void)
{
	int t = rand_table();
	int k;

	/* keep table sizes around their targets */
	if (keys[t].n < target_size[t] / 2)
	{
		insert_row(t);
		return;
	}
	if (t == T_USER && keys[T_USER].n < 5)
		t = T_COMMENT;
	k = pick(t);
	if (k < 0)
		return;
	switch (t)
	{
		case T_ORG:
			runf("DELETE FROM tb_org WHERE pk_org = %d", k);
			break;
		case T_USER:
			runf("DELETE FROM tb_user WHERE pk_user = %d", k);
			break;
		case T_POST:
			if (chance(25) && keys[T_USER].n > 0)
			{
				/* delete then re-insert the same key */
				char *txt = rand_text_lit_null(5);

				runf("DELETE FROM tb_post WHERE pk_post = %d", k);
				runf("INSERT INTO tb_post (pk_post, fk_user, title, score, published)"
					 " VALUES (%d, %d, %s, %d, %s)", k, pick(T_USER), txt,
					 rnd_range(-5, 50), rand_bool());
				free(txt);
			}
			else
				runf("DELETE FROM tb_post WHERE pk_post = %d", k);
			break;
		default:
			switch (rnd(4))
			{
				case 0:
					runf("DELETE FROM tb_comment WHERE fk_post = %d", pick(T_POST));
					break;
				case 1:
					if (keys[T_USER].n > 0)
					{
						runf("DELETE FROM tb_comment c USING tb_post p"
							 " WHERE p.pk_post = c.fk_post AND p.fk_user = %d"
							 " AND c.likes < %d", pick(T_USER), rnd_range(2, 8));
						break;
					}
					/* FALLTHROUGH */
				default:
					runf("DELETE FROM tb_comment WHERE pk_comment = %d", k);
					break;
			}
			break;
	}
}

/* an existing key (70%) or a fresh explicit one */
static int
upsert_key(int t)
{
	if (keys[t].n > 0 && chance(70))
		return pick(t);
	return 100000 + (++high_pk[t]);
}

static void
op_upsert(void)
{
	int r = rnd(4);
	char *txt = NULL;

	if (keys[T_USER].n == 0 || keys[T_POST].n == 0)
	{
		op_insert_multi();
		return;
	}
	txt = rand_text_lit_null(5);
	if (r == 0)
	{
		int k = upsert_key(T_POST);

		runf("INSERT INTO tb_post (pk_post, fk_user, title, score, published)"
			 " VALUES (%d, %d, %s, %d, %s)"
			 " ON CONFLICT (pk_post) DO UPDATE SET title = EXCLUDED.title,"
			 " score = coalesce(tb_post.score, 0) + EXCLUDED.score,"
			 " published = EXCLUDED.published%s",
			 k, pick(T_USER), txt, rnd_range(-5, 20), rand_bool(),
			 chance(30) ? ", fk_user = EXCLUDED.fk_user" : "");
	}
	else if (r == 1)
	{
		/* multi-row upsert of comments, distinct keys */
		Buf b = {0};
		int n = rnd_range(1, 4);
		int used[4];

		buf_append(&b, "INSERT INTO tb_comment (pk_comment, fk_post, fk_user, body, likes) VALUES ");
		for (int i = 0; i < n; i++)
		{
			int k;
			bool dup;
			char *t = rand_text_lit_null(5);

			do
			{
				k = upsert_key(T_COMMENT);
				dup = false;
				for (int j = 0; j < i; j++)
					if (used[j] == k)
						dup = true;
			} while (dup);
			used[i] = k;
			buf_append(&b, "%s(%d, %d, %d, %s, %d)", i ? ", " : "", k,
					   pick(T_POST), pick(T_USER), t, rnd_range(0, 10));
			free(t);
		}
		if (chance(25))
			buf_append(&b, " ON CONFLICT (pk_comment) DO NOTHING");
		else
			buf_append(&b, " ON CONFLICT (pk_comment) DO UPDATE SET"
					   " likes = tb_comment.likes + EXCLUDED.likes,"
					   " body = EXCLUDED.body%s",
					   chance(30) ? ", fk_post = EXCLUDED.fk_post" : "");
		run0(b.data);
		free(b.data);
	}
	else if (r == 2)
	{
		int k = upsert_key(T_USER);
		char *o = pick_org_or_null(20);
		char *n = rand_text_lit();

		runf("INSERT INTO tb_user (pk_user, fk_org, name, active)"
			 " VALUES (%d, %s, %s, %s)"
			 " ON CONFLICT (pk_user) DO UPDATE SET active = EXCLUDED.active,"
			 " fk_org = EXCLUDED.fk_org", k, o, n, rand_bool());
		free(o);
		free(n);
	}
	else
	{
		/* conditional DO UPDATE ... WHERE */
		int k = upsert_key(T_POST);

		runf("INSERT INTO tb_post (pk_post, fk_user, title, score, published)"
			 " VALUES (%d, %d, %s, %d, true)"
			 " ON CONFLICT (pk_post) DO UPDATE SET published = NOT tb_post.published"
			 " WHERE tb_post.score > %d",
			 k, pick(T_USER), txt, rnd_range(0, 30), rnd_range(0, 30));
	}
	free(txt);
}

static void
op_merge(void)
{
	Buf b = {0};
	int n = rnd_range(1, 4);
	int used[4];

	if (keys[T_USER].n == 0 || keys[T_POST].n == 0)
	{
		op_insert_multi();
		return;
	}
	if (chance(50))
	{
		buf_append(&b, "MERGE INTO tb_comment c USING (VALUES ");
		for (int i = 0; i < n; i++)
		{
			int k;
			bool dup;

			do
			{
				k = upsert_key(T_COMMENT);
				dup = false;
				for (int j = 0; j < i; j++)
					if (used[j] == k)
						dup = true;
			} while (dup);
			used[i] = k;
			buf_append(&b, "%s(%d, %d, %d, %d)", i ? ", " : "", k, pick(T_POST),
					   pick(T_USER), rnd_range(-2, 6));
		}
		buf_append(&b, ") AS v(pk, post, usr, delta) ON c.pk_comment = v.pk"
				   " WHEN MATCHED AND c.likes + v.delta > 12 THEN DELETE"
				   " WHEN MATCHED THEN UPDATE SET likes = c.likes + v.delta,"
				   " body = c.body || '+'"
				   " WHEN NOT MATCHED THEN INSERT (fk_post, fk_user, body, likes)"
				   " VALUES (v.post, v.usr, 'merged', v.delta)");
	}
	else
	{
		buf_append(&b, "MERGE INTO tb_post p USING (VALUES ");
		for (int i = 0; i < n; i++)
		{
			int k;
			bool dup;

			do
			{
				k = upsert_key(T_POST);
				dup = false;
				for (int j = 0; j < i; j++)
					if (used[j] == k)
						dup = true;
			} while (dup);
			used[i] = k;
			buf_append(&b, "%s(%d, %d, %d)", i ? ", " : "", k, pick(T_USER),
					   rnd_range(-8, 8));
		}
		buf_append(&b, ") AS v(pk, usr, delta) ON p.pk_post = v.pk"
				   " WHEN MATCHED AND coalesce(p.score, 0) + v.delta < -3 THEN DELETE"
				   " WHEN MATCHED AND v.delta > 5 THEN UPDATE SET fk_user = v.usr"
				   " WHEN MATCHED THEN UPDATE SET score = coalesce(p.score, 0) + v.delta,"
				   " published = NOT p.published"
				   " WHEN NOT MATCHED AND v.delta >= 0 THEN INSERT (fk_user, title, score, published)"
				   " VALUES (v.usr, 'merged', v.delta, true)");
	}
	run0(b.data);
	free(b.data);
}

/* COPY cmd FROM STDIN with data (text format, one row a line), logged */
static void
run_copy(const char *cmd, const char *data)
{
	Buf logged = {0};
	PGresult *r;

	buf_append(&logged, "%s;\n%s\\.", cmd, data);
	txlog_add(logged.data);
	if (in_failed_txn)
		goto done;

	r = PQexec(conn, cmd);
	if (PQresultStatus(r) != PGRES_COPY_IN)
	{
		char *msg = xstrdup(PQerrorMessage(conn));

		PQclear(r);
		in_failed_txn = true;
		unexpected_error(cmd, msg);
		free(msg);
		goto done;
	}
	PQclear(r);
	if (PQputCopyData(conn, data, (int) strlen(data)) != 1 ||
		PQputCopyEnd(conn, NULL) != 1)
	{
		in_failed_txn = true;
		unexpected_error(logged.data, PQerrorMessage(conn));
		goto done;
	}
	while ((r = PQgetResult(conn)) != NULL)
	{
		if (!res_ok(r) && !in_failed_txn)
		{
			in_failed_txn = true;
			unexpected_error(logged.data, PQerrorMessage(conn));
		}
		PQclear(r);
	}
done:
	free(logged.data);
}

static void
op_copy(void)
{
	Buf data = {0};
	int n = rnd_range(1, 8);

	if (keys[T_USER].n == 0 || keys[T_POST].n == 0)
	{
		op_insert_multi();
		return;
	}
	for (int i = 0; i < n; i++)
	{
		char *t = rand_copy_text();

		buf_append(&data, "%d\t%d\t%s\t%d\n", pick(T_POST), pick(T_USER), t,
				   rnd_range(0, 10));
		free(t);
	}
	run_copy("COPY tb_comment (fk_post, fk_user, body, likes) FROM STDIN", data.data);
	free(data.data);
}

/* ------------------------------------------------------------------ */
/* stream 2: tags (join table and array), messages, post days          */
/* ------------------------------------------------------------------ */

/* run fn with the PRNG of stream 2 */
static void
with_stream2(void (*fn) (void))
{
	uint64_t save = rng_state;

	rng_state = rng2_state;
	fn();
	rng2_state = rng_state;
	rng_state = save;
}

static int
xpick(int t)
{
	if (xkeys[t].n == 0)
		return -1;
	return xkeys[t].v[rnd(xkeys[t].n)];
}

/* an existing tag key (mostly), or one no tag has */
static int
tag_ref(void)
{
	if (xkeys[X_TAG].n == 0 || chance(15))
		return chance(50) ? 999 : xhigh_pk[X_TAG] + 100001;
	return xpick(X_TAG);
}

static bool
has_pair(int post, int tag)
{
	for (int i = 0; i < pt_post.n; i++)
		if (pt_post.v[i] == post && pt_tag.v[i] == tag)
			return true;
	return false;
}

/* a random tb_post.tag_ids value: repeats, missing tags, NULL, {} */
static char *
rand_tag_array(void)
{
	Buf b = {0};
	int n;

	if (chance(10))
		return xstrdup("NULL");
	if (chance(10))
		return xstrdup("'{}'");
	n = rnd_range(1, 4);
	buf_append(&b, "ARRAY[");
	for (int i = 0; i < n; i++)
	{
		if (chance(5))
			buf_append(&b, "%sNULL", i ? ", " : "");
		else
			buf_append(&b, "%s%d", i ? ", " : "", tag_ref());
	}
	buf_append(&b, "]::int[]");
	return b.data;
}

/* a time in the first days of 2026, sometimes written with an offset */
static char *
rand_ts(void)
{
	static const char *const offs[] = {"+00", "+00", "+09", "-05", "+05:30"};

	return strf("'2026-01-%02d %02d:%02d:00%s'", rnd_range(1, 9), rnd(24),
				rnd(60), offs[rnd(5)]);
}

static void
new_tag_insert(void)
{
	char *n = rand_text_lit();

	if (chance(30))
	{
		char *n2 = rand_text_lit();

		runf("INSERT INTO tb_tag (name) VALUES (%s), (%s)", n, n2);
		free(n2);
	}
	else
		runf("INSERT INTO tb_tag (name) VALUES (%s)", n);
	free(n);
}

static void
new_post_tag_insert(void)
{
	int p = pick(T_POST), t = xpick(X_TAG);

	if (p < 0 || t < 0)
	{
		new_tag_insert();
		return;
	}
	runf("INSERT INTO tb_post_tag (fk_post, fk_tag, weight) VALUES (%d, %d, %d)"
		 " ON CONFLICT DO NOTHING", p, t, rnd_range(-2, 9));
}

/* one statement on the tables of stream 2 (or on tb_post's new columns) */
static void
op_new(void)
{
	int k, i;
	char *s;

	if (!load_xkeys())
		return;
	/* keep the sizes near their targets */
	if (xkeys[X_TAG].n < xtarget[X_TAG] / 2)
	{
		new_tag_insert();
		return;
	}
	if (pt_post.n < PT_TARGET / 2 && chance(70))
	{
		int u = pick(T_USER), t = xpick(X_TAG);

		if (u >= 0)
			runf("INSERT INTO tb_post_tag (fk_post, fk_tag, weight)"
				 " SELECT p.pk_post, %d, p.pk_post %% 7 - 1 FROM tb_post p"
				 " WHERE p.fk_user = %d OR p.pk_post %% 9 = %d ORDER BY 1"
				 " ON CONFLICT DO NOTHING", t, u, rnd(9));
		return;
	}
	if (xkeys[X_MSG].n < xtarget[X_MSG] / 2 && keys[T_USER].n > 0)
	{
		runf("INSERT INTO tb_message (sender_id, recipient_id, body)"
			 " SELECT u.pk_user, %d, 'hello ' || u.pk_user FROM tb_user u"
			 " WHERE u.pk_user %% 3 = %d ORDER BY 1", pick(T_USER), rnd(3));
		return;
	}
	if (xkeys[X_TAG].n > xtarget[X_TAG] * 2 && chance(50))
	{
		runf("DELETE FROM tb_tag WHERE pk_tag = %d", xpick(X_TAG));
		return;
	}
	if (pt_post.n > PT_TARGET * 2 && chance(50))
	{
		runf("DELETE FROM tb_post_tag WHERE fk_tag = %d", xpick(X_TAG));
		return;
	}
	if (xkeys[X_MSG].n > xtarget[X_MSG] * 2 && chance(50))
	{
		runf("DELETE FROM tb_message WHERE pk_message %% 3 = %d", rnd(3));
		return;
	}

	switch (rnd(24))
	{
		case 0:
			new_tag_insert();
			break;
		case 1:
			s = rand_text_lit();
			runf("UPDATE tb_tag SET name = %s WHERE pk_tag = %d", s, xpick(X_TAG));
			free(s);
			break;
		case 2:
			if (chance(70))
				runf("DELETE FROM tb_tag WHERE pk_tag = %d", xpick(X_TAG));
			else
			{
				/* a new key: tb_post_tag follows, tb_post.tag_ids does not */
				runf("UPDATE tb_tag SET pk_tag = %d WHERE pk_tag = %d",
					 100000 + (++xhigh_pk[X_TAG]), xpick(X_TAG));
			}
			break;
		case 3:
		case 4:
			new_post_tag_insert();
			break;
		case 5:
			if (pt_post.n == 0)
				new_post_tag_insert();
			else
			{
				/* the weight crosses 0: tv_n_link's filter */
				i = rnd(pt_post.n);
				runf("UPDATE tb_post_tag SET weight = weight + %d"
					 " WHERE fk_post = %d AND fk_tag = %d", rnd_range(-4, 4),
					 pt_post.v[i], pt_tag.v[i]);
			}
			break;
		case 6:
		case 7:
			/* a new key of one side: the row moves between groups and partitions */
			if (pt_post.n == 0)
				new_post_tag_insert();
			else
			{
				bool tag_side = chance(50);
				int np = tag_side ? -1 : pick(T_POST), nt = tag_side ? xpick(X_TAG) : -1;

				i = rnd(pt_post.n);
				if (tag_side && nt >= 0 && !has_pair(pt_post.v[i], nt))
					runf("UPDATE tb_post_tag SET fk_tag = %d"
						 " WHERE fk_post = %d AND fk_tag = %d", nt, pt_post.v[i], pt_tag.v[i]);
				else if (!tag_side && np >= 0 && !has_pair(np, pt_tag.v[i]))
					runf("UPDATE tb_post_tag SET fk_post = %d%s"
						 " WHERE fk_post = %d AND fk_tag = %d", np,
						 chance(30) ? ", weight = -weight" : "", pt_post.v[i], pt_tag.v[i]);
			}
			break;
		case 8:
			if (pt_post.n == 0)
				new_post_tag_insert();
			else
			{
				i = rnd(pt_post.n);
				switch (rnd(3))
				{
					case 0:
						runf("DELETE FROM tb_post_tag WHERE fk_post = %d AND fk_tag = %d",
							 pt_post.v[i], pt_tag.v[i]);
						break;
					case 1:
						runf("DELETE FROM tb_post_tag WHERE fk_post = %d", pt_post.v[i]);
						break;
					default:
						runf("DELETE FROM tb_post_tag WHERE fk_tag = %d AND weight < %d",
							 pt_tag.v[i], rnd_range(0, 5));
						break;
				}
			}
			break;
		case 9:
			{
				/* multi-row upsert on the composite key */
				int p1 = pick(T_POST), p2 = pick(T_POST), t = xpick(X_TAG);

				if (p1 < 0 || t < 0)
					break;
				if (p1 == p2)
					runf("INSERT INTO tb_post_tag (fk_post, fk_tag, weight) VALUES (%d, %d, %d)"
						 " ON CONFLICT (fk_post, fk_tag) DO UPDATE SET"
						 " weight = tb_post_tag.weight + EXCLUDED.weight", p1, t, rnd_range(-3, 3));
				else
					runf("INSERT INTO tb_post_tag (fk_post, fk_tag, weight) VALUES (%d, %d, %d),"
						 " (%d, %d, %d) ON CONFLICT (fk_post, fk_tag) DO UPDATE SET"
						 " weight = tb_post_tag.weight + EXCLUDED.weight, note = 'upserted'",
						 p1, t, rnd_range(-3, 3), p2, t, rnd_range(-3, 3));
			}
			break;
		case 10:
			{
				/* MERGE on the composite key */
				int p = pick(T_POST), t1 = xpick(X_TAG), t2 = xpick(X_TAG);

				if (p < 0 || t1 < 0)
					break;
				if (t1 == t2)
					runf("MERGE INTO tb_post_tag pt USING (VALUES (%d, %d, %d)) AS v(post, tag, delta)"
						 " ON pt.fk_post = v.post AND pt.fk_tag = v.tag"
						 " WHEN MATCHED AND pt.weight + v.delta < 0 THEN DELETE"
						 " WHEN MATCHED THEN UPDATE SET weight = pt.weight + v.delta"
						 " WHEN NOT MATCHED THEN INSERT (fk_post, fk_tag, weight)"
						 " VALUES (v.post, v.tag, v.delta)", p, t1, rnd_range(-4, 4));
				else
					runf("MERGE INTO tb_post_tag pt USING (VALUES (%d, %d, %d), (%d, %d, %d))"
						 " AS v(post, tag, delta)"
						 " ON pt.fk_post = v.post AND pt.fk_tag = v.tag"
						 " WHEN MATCHED AND pt.weight + v.delta < 0 THEN DELETE"
						 " WHEN MATCHED THEN UPDATE SET weight = pt.weight + v.delta"
						 " WHEN NOT MATCHED THEN INSERT (fk_post, fk_tag, weight)"
						 " VALUES (v.post, v.tag, v.delta)", p, t1, rnd_range(-4, 4),
						 p, t2, rnd_range(-4, 4));
			}
			break;
		case 11:
		case 12:
			k = pick(T_POST);
			if (k < 0)
				break;
			s = rand_tag_array();
			runf("UPDATE tb_post SET tag_ids = %s WHERE pk_post = %d", s, k);
			free(s);
			break;
		case 13:
			{
				/* array elements change in place, on several posts */
				int t = tag_ref();

				switch (rnd(4))
				{
					case 0:
						runf("UPDATE tb_post SET tag_ids = array_append(tag_ids, %d)"
							 " WHERE fk_user = %d", t, pick(T_USER));
						break;
					case 1:
						runf("UPDATE tb_post SET tag_ids = array_remove(tag_ids, %d)"
							 " WHERE %d = ANY (tag_ids)", t, t);
						break;
					case 2:
						runf("UPDATE tb_post SET tag_ids = array_replace(tag_ids, %d, %d)"
							 " WHERE tag_ids && ARRAY[%d]", t, tag_ref(), t);
						break;
					default:
						runf("UPDATE tb_post SET tag_ids = tag_ids || tag_ids"
							 " WHERE pk_post %% 5 = %d AND cardinality(tag_ids) < 4", rnd(5));
						break;
				}
			}
			break;
		case 14:
		case 15:
			/* the day of a post: groups and partitions of tv_ge_day */
			k = pick(T_POST);
			if (k < 0)
				break;
			if (chance(70))
			{
				s = rand_ts();
				runf("UPDATE tb_post SET created_at = %s WHERE pk_post = %d", s, k);
				free(s);
			}
			else
				runf("UPDATE tb_post SET created_at = created_at + interval '%d hours'"
					 " WHERE fk_user = %d", rnd_range(-30, 30), pick(T_USER));
			break;
		case 16:
			{
				/* several columns at once, the title's initial too */
				char *t = rand_text_lit_null(10), *a = rand_tag_array(), *ts = rand_ts();

				k = pick(T_POST);
				if (k >= 0)
					runf("UPDATE tb_post SET title = %s, tag_ids = %s, created_at = %s"
						 " WHERE pk_post = %d", t, a, ts, k);
				free(t);
				free(a);
				free(ts);
			}
			break;
		case 17:
		case 18:
			if (keys[T_USER].n == 0)
				break;
			{
				int n = rnd_range(1, 3);
				Buf b = {0};

				buf_append(&b, "INSERT INTO tb_message (sender_id, recipient_id, body) VALUES ");
				for (i = 0; i < n; i++)
				{
					char *t = rand_text_lit_null(10);
					int a = pick(T_USER);

					buf_append(&b, "%s(%d, %d, %s)", i ? ", " : "", a,
							   chance(10) ? a : pick(T_USER), t);
					free(t);
				}
				run0(b.data);
				free(b.data);
			}
			break;
		case 19:
			k = xpick(X_MSG);
			if (k < 0 || keys[T_USER].n == 0)
				break;
			switch (rnd(4))
			{
				case 0:
					runf("UPDATE tb_message SET sender_id = recipient_id,"
						 " recipient_id = sender_id WHERE pk_message = %d", k);
					break;
				case 1:
					runf("UPDATE tb_message SET recipient_id = %d WHERE pk_message = %d",
						 pick(T_USER), k);
					break;
				case 2:
					runf("UPDATE tb_message SET sender_id = %d, recipient_id = %d"
						 " WHERE pk_message = %d", pick(T_USER), pick(T_USER), k);
					break;
				default:
					runf("UPDATE tb_message SET recipient_id = sender_id WHERE pk_message = %d", k);
					break;
			}
			break;
		case 20:
			k = xpick(X_MSG);
			if (k < 0)
				break;
			s = rand_text_lit_null(10);
			if (chance(50))
				runf("UPDATE tb_message SET body = %s WHERE pk_message = %d", s, k);
			else
				runf("UPDATE tb_message SET note = %s WHERE sender_id = %d", s, pick(T_USER));
			free(s);
			break;
		case 21:
			k = xpick(X_MSG);
			if (k < 0)
				break;
			if (chance(60))
				runf("DELETE FROM tb_message WHERE pk_message = %d", k);
			else
				runf("DELETE FROM tb_message WHERE sender_id = %d OR recipient_id = %d",
					 pick(T_USER), pick(T_USER));
			break;
		case 22:
			/* columns no model reads */
			s = rand_text_lit_null(20);
			if (chance(50))
				runf("UPDATE tb_tag SET note = %s WHERE pk_tag = %d", s, xpick(X_TAG));
			else if (pt_post.n > 0)
				runf("UPDATE tb_post_tag SET note = %s WHERE fk_tag = %d", s, pt_tag.v[rnd(pt_tag.n)]);
			free(s);
			break;
		default:
			if (opt_no_truncate || chance(60))
				new_post_tag_insert();
			else if (chance(40))
				run0("TRUNCATE tb_post_tag");
			else if (chance(50))
				run0("TRUNCATE tb_message");
			else
				run0("TRUNCATE tb_tag, tb_post_tag");
			break;
	}
}

/* one op of stream 2 a quarter of the time (the draw is of stream 2 too) */
static void
op_new_maybe(void)
{
	if (chance(opt_shape_pct))
		op_new();
}

/* the seed rows of stream 2's tables and columns (after seed_data) */
static void
seed_data_new(void)
{
	Buf b = {0};

	buf_append(&b, "INSERT INTO tb_tag (name) VALUES ");
	for (int i = 0; i < 8; i++)
	{
		char *n = rand_text_lit();

		buf_append(&b, "%s(%s)", i ? ", " : "", n);
		free(n);
	}
	setup_exec(conn, b.data);

	buf_reset(&b);
	buf_append(&b, "INSERT INTO tb_post_tag (fk_post, fk_tag, weight) VALUES ");
	for (int i = 0; i < 90; i++)
		buf_append(&b, "%s(%d, %d, %d)", i ? ", " : "", rnd_range(1, 60),
				   rnd_range(1, 8), rnd_range(-2, 9));
	buf_append(&b, " ON CONFLICT DO NOTHING");
	setup_exec(conn, b.data);

	buf_reset(&b);
	buf_append(&b, "UPDATE tb_post p SET tag_ids = v.a::int[], created_at = v.t::timestamptz"
			   " FROM (VALUES ");
	for (int i = 1; i <= 60; i++)
	{
		char *a = rand_tag_array(), *t = rand_ts();

		buf_append(&b, "%s(%d, %s, %s)", i > 1 ? ", " : "", i, a, t);
		free(a);
		free(t);
	}
	buf_append(&b, ") AS v(pk, a, t) WHERE p.pk_post = v.pk");
	setup_exec(conn, b.data);

	buf_reset(&b);
	buf_append(&b, "INSERT INTO tb_message (sender_id, recipient_id, body) VALUES ");
	for (int i = 0; i < 40; i++)
	{
		char *t = rand_text_lit_null(10);

		buf_append(&b, "%s(%d, %d, %s)", i ? ", " : "", rnd_range(1, 20),
				   rnd_range(1, 20), t);
		free(t);
	}
	setup_exec(conn, b.data);
	free(b.data);
}

/* ------------------------------------------------------------------ */
/* the partitioned table: writes through the parent and to members     */
/* ------------------------------------------------------------------ */

static bool
has_key(const IntList *l, int k)
{
	int lo = 0, hi = l->n;

	while (lo < hi)
	{
		int mid = (lo + hi) / 2;

		if (l->v[mid] == k)
			return true;
		if (l->v[mid] < k)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* index of the first key >= k in a sorted list */
static int
lower_bound(const IntList *l, int k)
{
	int lo = 0, hi = l->n;

	while (lo < hi)
	{
		int mid = (lo + hi) / 2;

		if (l->v[mid] < k)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * An unused reaction key of member p's range, not among the n keys of
 * taken[] either (keys of the same statement); -1 if the range is full.
 */
static int
fresh_reaction_key(int p, const int *taken, int n)
{
	int lo = parts[p].lo, span = parts[p].hi - parts[p].lo;
	int start = rnd(span);

	for (int i = 0; i < span; i++)
	{
		int k = lo + (start + i) % span;
		bool used = has_key(&keys[T_REACTION], k) || has_key(&p3_keys, k);

		for (int j = 0; j < n && !used; j++)
			used = taken[j] == k;
		if (!used)
			return k;
	}
	return -1;
}

/* a random member of tb_reaction itself that is attached */
static int
rand_attached_top(void)
{
	int c[5], n = 0;

	c[n++] = P0;
	c[n++] = P1;
	c[n++] = P2;
	if (p3_attached)
		c[n++] = P3;
	if (p4_exists)
		c[n++] = P4;
	return c[rnd(n)];
}

/* a random member at any depth that exists (p3 attached or not) */
static int
rand_member(void)
{
	int p = rnd(p4_exists ? NPARTS : NPARTS - 1);

	return p;
}

/* an existing key of member p (of detached p3's rows too), or -1 */
static int
pick_in_member(int p)
{
	const IntList *l = (p == P3 && !p3_attached) ? &p3_keys : &keys[T_REACTION];
	int a = lower_bound(l, parts[p].lo), b = lower_bound(l, parts[p].hi);

	if (a >= b)
		return -1;
	return l->v[a + rnd(b - a)];
}

static const char *const reaction_cols = "(pk_reaction, fk_post, fk_user, kind, weight)";

/* INSERT of 1..n rows through the parent, into any attached member */
static void
reaction_insert_parent(int n)
{
	Buf b = {0};
	int taken[4];
	int m = 0;

	if (keys[T_POST].n == 0 || keys[T_USER].n == 0)
	{
		insert_row(T_POST);
		return;
	}
	if (n > 4)
		n = 4;
	buf_append(&b, "INSERT INTO tb_reaction %s VALUES ", reaction_cols);
	for (int i = 0; i < n; i++)
	{
		int k = fresh_reaction_key(rand_attached_top(), taken, m);

		if (k < 0)
			continue;
		buf_append(&b, "%s(%d, %d, %d, '%s', %d)", m ? ", " : "", k, pick(T_POST),
				   pick(T_USER), kinds[rnd(NKINDS)], rnd_range(-2, 9));
		taken[m++] = k;
	}
	if (m > 0)
		run0(b.data);
	free(b.data);
}

/* INSERT straight into member p (a detached p3 too) */
static void
reaction_insert_member(int p)
{
	int k = fresh_reaction_key(p, NULL, 0);

	if (k < 0 || keys[T_POST].n == 0 || keys[T_USER].n == 0)
		return;
	runf("INSERT INTO %s %s VALUES (%d, %d, %d, '%s', %d)", parts[p].name,
		 reaction_cols, k, pick(T_POST), pick(T_USER), kinds[rnd(NKINDS)], rnd_range(-2, 9));
}

static void
reaction_update_parent(void)
{
	int k = pick(T_REACTION);

	if (k < 0)
	{
		reaction_insert_parent(2);
		return;
	}
	switch (rnd(7))
	{
		case 0:
			runf("UPDATE tb_reaction SET weight = weight + %d WHERE pk_reaction = %d",
				 rnd_range(-3, 4), k);
			break;
		case 1:
			runf("UPDATE tb_reaction SET kind = '%s' WHERE pk_reaction = %d",
				 kinds[rnd(NKINDS)], k);
			break;
		case 2:
			{
				/* a new key: the row moves to another member */
				int nk = fresh_reaction_key(rand_attached_top(), NULL, 0);

				if (nk >= 0)
					runf("UPDATE tb_reaction SET pk_reaction = %d%s WHERE pk_reaction = %d",
						 nk, chance(30) ? ", weight = weight * 2" : "", k);
			}
			break;
		case 3:
			if (chance(50))
				runf("UPDATE tb_reaction SET fk_post = %d WHERE pk_reaction = %d",
					 pick(T_POST), k);
			else
				runf("UPDATE tb_reaction SET fk_user = %d, kind = '%s' WHERE pk_reaction = %d",
					 pick(T_USER), kinds[rnd(NKINDS)], k);
			break;
		case 4:
			runf("UPDATE tb_reaction SET weight = weight + 1 WHERE fk_post = %d",
				 pick(T_POST));
			break;
		case 5:
			runf("UPDATE tb_reaction SET weight = weight - 1, kind = '%s' WHERE kind = '%s'",
				 kinds[rnd(NKINDS)], kinds[rnd(NKINDS)]);
			break;
		default:
			{
				char *t = rand_text_lit_null(20);

				runf("UPDATE tb_reaction SET note = %s WHERE pk_reaction = %d", t, k);
				free(t);
			}
			break;
	}
}

/* UPDATE straight on member p (p2 moves rows between p2a and p2b) */
static void
reaction_update_member(int p)
{
	int k = pick_in_member(p);

	if (k < 0)
	{
		reaction_insert_member(p);
		return;
	}
	switch (rnd(5))
	{
		case 0:
			runf("UPDATE %s SET weight = weight + %d WHERE pk_reaction = %d",
				 parts[p].name, rnd_range(-3, 4), k);
			break;
		case 1:
			runf("UPDATE %s SET kind = '%s', weight = weight + 1 WHERE pk_reaction = %d",
				 parts[p].name, kinds[rnd(NKINDS)], k);
			break;
		case 2:
			{
				int nk = fresh_reaction_key(p, NULL, 0);

				if (nk >= 0)
					runf("UPDATE %s SET pk_reaction = %d WHERE pk_reaction = %d",
						 parts[p].name, nk, k);
			}
			break;
		case 3:
			runf("UPDATE %s SET weight = weight - 1 WHERE weight > %d",
				 parts[p].name, rnd_range(3, 8));
			break;
		default:
			{
				char *t = rand_text_lit_null(20);

				runf("UPDATE %s SET note = %s, fk_post = %d WHERE pk_reaction = %d",
					 parts[p].name, t, pick(T_POST), k);
				free(t);
			}
			break;
	}
}

static void
reaction_upsert(void)
{
	int taken[3];
	int n = rnd_range(1, 3), m = 0;
	Buf b = {0};

	if (keys[T_POST].n == 0 || keys[T_USER].n == 0)
	{
		insert_row(T_POST);
		return;
	}
	buf_append(&b, "INSERT INTO tb_reaction %s VALUES ", reaction_cols);
	for (int i = 0; i < n; i++)
	{
		int k = -1;

		if (keys[T_REACTION].n > 0 && chance(60))
		{
			k = pick(T_REACTION);
			for (int j = 0; j < m; j++)
				if (taken[j] == k)
					k = -1;
		}
		if (k < 0)
			k = fresh_reaction_key(rand_attached_top(), taken, m);
		if (k < 0)
			continue;
		buf_append(&b, "%s(%d, %d, %d, '%s', %d)", m ? ", " : "", k, pick(T_POST),
				   pick(T_USER), kinds[rnd(NKINDS)], rnd_range(-2, 9));
		taken[m++] = k;
	}
	/* DO UPDATE may not move the row to another member: weight and note */
	if (chance(25))
		buf_append(&b, " ON CONFLICT (pk_reaction) DO NOTHING");
	else
		buf_append(&b, " ON CONFLICT (pk_reaction) DO UPDATE SET"
				   " weight = tb_reaction.weight + EXCLUDED.weight, note = 'upserted'");
	if (m > 0)
		run0(b.data);
	free(b.data);
}

static void
reaction_merge(void)
{
	int taken[3];
	int n = rnd_range(1, 3), m = 0;
	Buf b = {0};

	if (keys[T_POST].n == 0 || keys[T_USER].n == 0)
	{
		insert_row(T_POST);
		return;
	}
	buf_append(&b, "MERGE INTO tb_reaction r USING (VALUES ");
	for (int i = 0; i < n; i++)
	{
		int k = -1;

		if (keys[T_REACTION].n > 0 && chance(60))
		{
			k = pick(T_REACTION);
			for (int j = 0; j < m; j++)
				if (taken[j] == k)
					k = -1;
		}
		if (k < 0)
			k = fresh_reaction_key(rand_attached_top(), taken, m);
		if (k < 0)
			continue;
		buf_append(&b, "%s(%d, %d, %d, '%s', %d)", m ? ", " : "", k, pick(T_POST),
				   pick(T_USER), kinds[rnd(NKINDS)], rnd_range(-4, 6));
		taken[m++] = k;
	}
	buf_append(&b, ") AS v(pk, post, usr, kind, delta) ON r.pk_reaction = v.pk"
			   " WHEN MATCHED AND r.weight + v.delta < -2 THEN DELETE"
			   " WHEN MATCHED THEN UPDATE SET weight = r.weight + v.delta"
			   " WHEN NOT MATCHED THEN INSERT %s"
			   " VALUES (v.pk, v.post, v.usr, v.kind, v.delta)", reaction_cols);
	if (m > 0)
		run0(b.data);
	free(b.data);
}

static void
reaction_copy(void)
{
	Buf data = {0};
	int taken[4];
	int n = rnd_range(1, 4), m = 0;
	int p = chance(70) ? -1 : P1;	/* through the parent, or to p1 */

	if (keys[T_POST].n == 0 || keys[T_USER].n == 0)
	{
		insert_row(T_POST);
		return;
	}
	for (int i = 0; i < n; i++)
	{
		int k = fresh_reaction_key(p < 0 ? rand_attached_top() : p, taken, m);

		if (k < 0)
			continue;
		buf_append(&data, "%d\t%d\t%d\t%s\t%d\n", k, pick(T_POST), pick(T_USER),
				   kinds[rnd(NKINDS)], rnd_range(-2, 9));
		taken[m++] = k;
	}
	if (m > 0)
	{
		char *cmd = strf("COPY %s %s FROM STDIN", p < 0 ? "tb_reaction" : parts[p].name,
						 reaction_cols);

		run_copy(cmd, data.data);
		free(cmd);
	}
	free(data.data);
}

static void
op_reaction(void)
{
	int p;

	switch (rnd(16))
	{
		case 0:
		case 1:
			reaction_insert_parent(rnd_range(1, 3));
			break;
		case 2:
		case 3:
			reaction_insert_member(rand_member());
			break;
		case 4:
		case 5:
		case 6:
			reaction_update_parent();
			break;
		case 7:
		case 8:
			reaction_update_member(rand_member());
			break;
		case 9:
			{
				int k = pick(T_REACTION);

				if (k < 0 || chance(30))
					runf("DELETE FROM tb_reaction WHERE fk_user = %d AND weight < %d",
						 pick(T_USER), rnd_range(0, 4));
				else
					runf("DELETE FROM tb_reaction WHERE pk_reaction = %d", k);
			}
			break;
		case 10:
			{
				int k;

				p = rand_member();
				k = pick_in_member(p);
				if (k < 0 || chance(30))
					runf("DELETE FROM %s WHERE weight < %d", parts[p].name, rnd_range(-1, 2));
				else
					runf("DELETE FROM %s WHERE pk_reaction = %d", parts[p].name, k);
			}
			break;
		case 11:
			reaction_upsert();
			break;
		case 12:
			reaction_merge();
			break;
		case 13:
			reaction_copy();
			break;
		case 14:
			/* a write the models must not see, or one to p1 */
			if (!p3_attached)
			{
				if (chance(50))
					reaction_insert_member(P3);
				else
					reaction_update_member(P3);
			}
			else
				reaction_update_member(P1);
			break;
		default:
			if (chance(60))
				reaction_insert_parent(2);
			else if (chance(15))
				run0("TRUNCATE tb_reaction");
			else
			{
				static const int victims[] = {P0, P2B, P1, P3, P4};

				p = victims[rnd(p4_exists ? 5 : 4)];
				runf("TRUNCATE %s", parts[p].name);
			}
			break;
	}
}

/*
 * DDL on the partition tree: detach p3 or attach it again (with the rows
 * written to it meanwhile); create p4 (as PARTITION OF, or apart with rows
 * and then attached) or drop it (attached, or detached first).  Runs
 * inside a random transaction (in_txn) or between two, in autocommit.
 */
static void
op_part_ddl(bool in_txn)
{
	if (in_txn)
		tree_ddl_unapplied = true;
	if (chance(50))
	{
		if (p3_attached)
		{
			/*
			 * The detached member keeps its foreign keys: attaching it back
			 * drops its own RI triggers (which once made every model of the
			 * tree stale, fixed in 5186380).
			 */
			run0("ALTER TABLE tb_reaction DETACH PARTITION tb_reaction_p3");
		}
		else
		{
			if (chance(50))
				reaction_insert_member(P3);
			run0("ALTER TABLE tb_reaction ATTACH PARTITION tb_reaction_p3"
				 " FOR VALUES FROM (3000) TO (4000)");
		}
	}
	else if (p4_exists)
	{
		if (chance(30))
			run0("ALTER TABLE tb_reaction DETACH PARTITION tb_reaction_p4");
		run0("DROP TABLE tb_reaction_p4");
		p4_exists = false;
	}
	else if (chance(50))
	{
		run0("CREATE TABLE tb_reaction_p4 PARTITION OF tb_reaction"
			 " FOR VALUES FROM (4000) TO (5000)");
		p4_exists = true;
		if (chance(50))
			reaction_insert_member(P4);
	}
	else
	{
		run0("CREATE TABLE tb_reaction_p4 (LIKE tb_reaction)");
		if (keys[T_POST].n > 0 && keys[T_USER].n > 0)
			runf("INSERT INTO tb_reaction_p4 %s VALUES (%d, %d, %d, '%s', %d),"
				 " (%d, %d, %d, '%s', %d)", reaction_cols,
				 4000 + rnd(500), pick(T_POST), pick(T_USER), kinds[rnd(NKINDS)],
				 rnd_range(-2, 9), 4500 + rnd(500), pick(T_POST), pick(T_USER),
				 kinds[rnd(NKINDS)], rnd_range(-2, 9));
		run0("ALTER TABLE tb_reaction ATTACH PARTITION tb_reaction_p4"
			 " FOR VALUES FROM (4000) TO (5000)");
		p4_exists = true;
	}
	/* the stand-in maintains nothing on DDL: rebuild every model */
	if (opt_mock == 1 && !in_failed_txn)
	{
		if (p4_exists)
			run0("DROP TRIGGER IF EXISTS zz_mock ON tb_reaction_p4");
		if (p4_exists)
			run0("CREATE TRIGGER zz_mock AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE"
				 " ON tb_reaction_p4 FOR EACH STATEMENT"
				 " EXECUTE FUNCTION readmodel.mock_refresh_all()");
		run0("SELECT readmodel.mock_refresh_models()");
	}
}

static void
op_bulk_update(void)
{
	int r = rnd(6);

	switch (r)
	{
		case 0:
			runf("UPDATE tb_comment SET likes = likes + 1 WHERE pk_comment %% %d = %d",
				 rnd_range(2, 4), rnd(2));
			break;
		case 1:
			runf("UPDATE tb_post SET score = (coalesce(score, 0) * 3 + 1) %% 50"
				 " WHERE fk_user IN (SELECT pk_user FROM tb_user WHERE fk_org = %d)",
				 pick(T_ORG));
			break;
		case 2:
			runf("UPDATE tb_post p SET published = NOT p.published FROM tb_user u"
				 " WHERE u.pk_user = p.fk_user AND u.fk_org = %d", pick(T_ORG));
			break;
		case 3:
			runf("UPDATE tb_user SET active = (pk_user %% 2 = %d)", rnd(2));
			break;
		case 4:
			{
				/* writable CTE: move comments and count them on the target */
				int a = pick(T_POST), b = pick(T_POST);

				if (a < 0)
				{
					op_insert_multi();
					return;
				}
				runf("WITH moved AS (UPDATE tb_comment SET fk_post = %d"
					 " WHERE fk_post = %d RETURNING pk_comment)"
					 " UPDATE tb_post SET score = coalesce(score, 0)"
					 " + (SELECT count(*) FROM moved) WHERE pk_post = %d", b, a, b);
			}
			break;
		default:
			runf("UPDATE tb_comment SET body = upper(body) WHERE likes < %d",
				 rnd_range(1, 6));
			break;
	}
}

static void
op_savepoint(int depth)
{
	int sp = ++sp_counter;
	int n = rnd_range(1, 3);
	bool ddl_before = tree_ddl_unapplied;

	runf("SAVEPOINT sp%d", sp);
	for (int i = 0; i < n && !in_failed_txn; i++)
	{
		if (!load_keys())
			return;
		do_random_op(depth + 1);
	}
	/* applying work inside a subtransaction that may be rolled back */
	if (chance(30))
		op_flush_verify();
	if (chance(60))
	{
		runf("ROLLBACK TO SAVEPOINT sp%d", sp);
		/* work a flush applied in there may be pending again */
		tree_ddl_unapplied |= ddl_before;
	}
	else
		runf("RELEASE SAVEPOINT sp%d", sp);
}

static void
op_plpgsql(void)
{
	int r = rnd(opt_no_models || opt_no_flush ? 5 : 6);

	if (keys[T_USER].n == 0 || keys[T_POST].n == 0 || keys[T_COMMENT].n == 0)
	{
		op_insert_multi();
		return;
	}
	switch (r)
	{
		case 0:
			{
				char *t = rand_text_lit_null(5);

				runf("DO $$ BEGIN\n"
					 "  UPDATE tb_post SET score = coalesce(score, 0) + 1 WHERE pk_post = %d;\n"
					 "  INSERT INTO tb_comment (fk_post, fk_user, body, likes) VALUES (%d, %d, %s, 1);\n"
					 "  UPDATE tb_user SET name = name || '.' WHERE pk_user = %d;\n"
					 "END $$", pick(T_POST), pick(T_POST), pick(T_USER), t, pick(T_USER));
				free(t);
			}
			break;
		case 1:
			/* exception block: inner writes undone, outer write kept */
			runf("DO $$ BEGIN\n"
				 "  BEGIN\n"
				 "    INSERT INTO tb_comment (fk_post, fk_user, body) VALUES (%d, %d, 'doomed');\n"
				 "    UPDATE tb_post SET published = NOT published WHERE pk_post = %d;\n"
				 "    DELETE FROM tb_comment WHERE pk_comment = %d;\n"
				 "    RAISE EXCEPTION 'undo';\n"
				 "  EXCEPTION WHEN raise_exception THEN NULL;\n"
				 "  END;\n"
				 "  UPDATE tb_comment SET likes = likes + 2 WHERE pk_comment = %d;\n"
				 "END $$", pick(T_POST), pick(T_USER), pick(T_POST), pick(T_COMMENT),
				 pick(T_COMMENT));
			break;
		case 2:
			runf("SELECT fn_like_post_comments(%d, %d)", pick(T_POST), rnd_range(-2, 3));
			break;
		case 3:
			{
				char *t = rand_text_lit();

				runf("SELECT fn_add_post(%d, %s, %d)", pick(T_USER), t, rnd_range(0, 3));
				free(t);
			}
			break;
		case 5:
			/* flush inside an exception block that is sometimes undone */
			runf("DO $$ BEGIN\n"
				 "  UPDATE tb_post SET title = title || '*' WHERE pk_post = %d;\n"
				 "  BEGIN\n"
				 "    UPDATE tb_user SET name = name || '~' WHERE pk_user = %d;\n"
				 "    PERFORM readmodel.flush();\n"
				 "    UPDATE tb_comment SET likes = likes + 1 WHERE pk_comment = %d;\n"
				 "    IF %s THEN RAISE EXCEPTION 'undo'; END IF;\n"
				 "  EXCEPTION WHEN raise_exception THEN NULL;\n"
				 "  END;\n"
				 "END $$", pick(T_POST), pick(T_USER), pick(T_COMMENT), rand_bool());
			break;
		default:
			if (chance(50))
				runf("SELECT fn_try_move(%d, %d)", pick(T_COMMENT), pick(T_POST));
			else
				runf("DO $$ DECLARE r record; BEGIN\n"
					 "  FOR r IN SELECT pk_post FROM tb_post WHERE fk_user = %d ORDER BY pk_post LOOP\n"
					 "    UPDATE tb_post SET score = coalesce(score, 0) - 1 WHERE pk_post = r.pk_post;\n"
					 "  END LOOP;\n"
					 "END $$", pick(T_USER));
			break;
	}
}

/* statements that fail on purpose, inside a savepoint */
static void
op_risky(void)
{
	int sp = ++sp_counter;
	int r = rnd(5);

	if (keys[T_USER].n == 0 || keys[T_POST].n == 0 || keys[T_COMMENT].n == 0)
	{
		op_insert_multi();
		return;
	}
	runf("SAVEPOINT risky%d", sp);
	/* some valid work first, so there is something to undo */
	runf("UPDATE tb_post SET score = coalesce(score, 0) + 7 WHERE pk_post = %d",
		 pick(T_POST));
	switch (r)
	{
		case 0:
			/* first row fine, second violates the FK at end of statement */
			{
				char *s = strf("INSERT INTO tb_comment (fk_post, fk_user, body) VALUES"
							   " (%d, %d, 'ok'), (999999, %d, 'bad')",
							   pick(T_POST), pick(T_USER), pick(T_USER));

				run_may_fail(s);
				free(s);
			}
			break;
		case 1:
			{
				char *s = strf("UPDATE tb_post SET fk_user = 999999 WHERE pk_post = %d",
							   pick(T_POST));

				run_may_fail(s);
				free(s);
			}
			break;
		case 2:
			{
				/* duplicate key after a valid row */
				int fresh = 100000 + (++high_pk[T_ORG]);
				int dup = keys[T_ORG].n ? pick(T_ORG) : fresh;
				char *s = strf("INSERT INTO tb_org (pk_org, name) VALUES"
							   " (%d, 'fresh'), (%d, 'dup')", fresh, dup);

				run_may_fail(s);
				free(s);
			}
			break;
		case 4:
			{
				/*
				 * a row no member takes after a valid one, through the parent,
				 * or a row outside the member's range written to it directly
				 */
				int k = fresh_reaction_key(P0, NULL, 0);
				char *s;

				if (chance(50))
					s = strf("INSERT INTO tb_reaction %s VALUES (%d, %d, %d, 'wow', 1),"
							 " (%d, %d, %d, 'wow', 1)", reaction_cols, k, pick(T_POST),
							 pick(T_USER), chance(50) ? 9999 : 3500, pick(T_POST),
							 pick(T_USER));
				else
					s = strf("UPDATE tb_reaction_p2a SET pk_reaction = pk_reaction + 500"
							 " WHERE weight > %d", rnd_range(-3, 3));
				run_may_fail(s);
				free(s);
			}
			break;
		default:
			{
				/* division by zero part way through a multi-row update */
				int k = pick(T_COMMENT);
				char *s = strf("UPDATE tb_comment SET likes = likes + 100 / (pk_comment - %d)"
							   " WHERE pk_comment BETWEEN %d AND %d",
							   k, k - 5, k + 5);

				run_may_fail(s);
				free(s);
			}
			break;
	}
	runf("ROLLBACK TO SAVEPOINT risky%d", sp);
	runf("RELEASE SAVEPOINT risky%d", sp);
}

static void
op_truncate(void)
{
	if (comment_checks_deferred)
	{
		/* fire the pending checks first, as an application would have to */
		run0("SET CONSTRAINTS ALL IMMEDIATE");
		comment_checks_deferred = false;
	}
	run0("TRUNCATE tb_comment");
}

static void
op_flush_verify(void)
{
	if (opt_no_models || opt_no_flush)
		return;
	run0("SELECT readmodel.flush()");
	tree_ddl_unapplied = false;
	if (!in_failed_txn)
	{
		txlog_add("-- (verify of every model inside the transaction)");
		verify_all("inside the transaction after readmodel.flush()");
	}
}

/*
 * Statement-mode models must be current after every statement, no flush,
 * DDL on the partition tree included (its rebuilds are applied at the end
 * of the DDL statement since 5186380).
 */
static void
op_verify_statement_models(void)
{
	if (opt_no_models || in_failed_txn)
		return;
	txlog_add("-- (verify of the statement-mode models inside the transaction, no flush)");
	for (int m = 0; m < NMODELS; m++)
		if (model_ok[m] && strstr(models[m].options, "statement") != NULL)
		{
			verify_model(m, "inside the transaction (statement mode, no flush)");
		}
}

static void
op_refresh(void)
{
	int m;

	if (opt_no_models)
		return;
	/* of the models before the shape groups when those are left out */
	m = rnd(stream2_on ? NMODELS : NSHAPE);
	if (model_ok[m])
		runf("SELECT readmodel.refresh('%s')", models[m].name);
}

typedef enum
{
	OP_INSERT_SINGLE, OP_INSERT_MULTI, OP_UPDATE_READ, OP_UPDATE_UNREAD,
	OP_UPDATE_FK, OP_DELETE, OP_UPSERT, OP_MERGE, OP_COPY, OP_BULK,
	OP_SAVEPOINT, OP_PLPGSQL, OP_RISKY, OP_TRUNCATE, OP_FLUSH, OP_REFRESH,
	OP_VERIFY_STMT, OP_UPDATE_PK, OP_BULK_ROWS, OP_DEFERRED,
	OP_REACTION, OP_PART_DDL,
	NOPS
} OpKind;

static const int op_weight[NOPS] = {
	[OP_INSERT_SINGLE] = 12,
	[OP_INSERT_MULTI] = 7,
	[OP_UPDATE_READ] = 18,
	[OP_UPDATE_UNREAD] = 6,
	[OP_UPDATE_FK] = 12,
	[OP_DELETE] = 10,
	[OP_UPSERT] = 6,
	[OP_MERGE] = 5,
	[OP_COPY] = 4,
	[OP_BULK] = 4,
	[OP_SAVEPOINT] = 5,
	[OP_PLPGSQL] = 5,
	[OP_RISKY] = 3,
	[OP_TRUNCATE] = 1,			/* out of ~100, and then only half the time */
	[OP_FLUSH] = 4,
	[OP_REFRESH] = 1,
	[OP_VERIFY_STMT] = 3,
	[OP_UPDATE_PK] = 3,
	[OP_BULK_ROWS] = 2,
	[OP_DEFERRED] = 3,
	[OP_REACTION] = 14,
	[OP_PART_DDL] = 1,
};

static void
do_random_op(int depth)
{
	int total = 0, r;
	OpKind op = OP_INSERT_SINGLE;

	/* sometimes first a statement of stream 2 (it changes no key of keys[]) */
	if (stream2_on)
	{
		with_stream2(op_new_maybe);
		if (in_failed_txn)
			return;
	}

	/* keep table sizes near their targets so random DML hits shared rows */
	for (int t = 0; t < NTABLES; t++)
	{
		if (keys[t].n < target_size[t] / 2 && chance(50))
		{
			if (t == T_COMMENT && chance(50) && keys[T_POST].n > 0)
				op_copy();
			else
				insert_row(t);
			return;
		}
		if (keys[t].n > target_size[t] * 3 / 2 && chance(50))
		{
			int k = pick(t);

			if (t == T_COMMENT && keys[t].n > target_size[t] * 2)
				runf("DELETE FROM tb_comment WHERE pk_comment IN (SELECT pk_comment"
					 " FROM tb_comment ORDER BY pk_comment DESC LIMIT %d)",
					 keys[t].n - target_size[t]);
			else if (t == T_COMMENT && chance(50))
			{
				char *l = pick_list(T_COMMENT, 5);

				runf("DELETE FROM tb_comment WHERE pk_comment IN (%s)", l);
				free(l);
			}
			else
				runf("DELETE FROM %s WHERE %s = %d", tname[t], pkname[t], k);
			return;
		}
	}

	for (int i = 0; i < NOPS; i++)
		total += op_weight[i];
	r = rnd(total);
	for (int i = 0; i < NOPS; i++)
	{
		if (r < op_weight[i])
		{
			op = (OpKind) i;
			break;
		}
		r -= op_weight[i];
	}

	switch (op)
	{
		case OP_INSERT_SINGLE:
			op_insert_single();
			break;
		case OP_INSERT_MULTI:
			op_insert_multi();
			break;
		case OP_UPDATE_READ:
			op_update_read();
			break;
		case OP_UPDATE_UNREAD:
			op_update_unread();
			break;
		case OP_UPDATE_FK:
			op_update_fk();
			break;
		case OP_DELETE:
			op_delete();
			break;
		case OP_UPSERT:
			op_upsert();
			break;
		case OP_MERGE:
			op_merge();
			break;
		case OP_COPY:
			op_copy();
			break;
		case OP_BULK:
			op_bulk_update();
			break;
		case OP_SAVEPOINT:
			if (depth < 2)
				op_savepoint(depth);
			else
				op_update_read();
			break;
		case OP_PLPGSQL:
			op_plpgsql();
			break;
		case OP_RISKY:
			op_risky();
			break;
		case OP_TRUNCATE:
			if (!opt_no_truncate && chance(50))
				op_truncate();
			else
				op_update_read();
			break;
		case OP_FLUSH:
			op_flush_verify();
			break;
		case OP_REFRESH:
			op_refresh();
			break;
		case OP_VERIFY_STMT:
			op_verify_statement_models();
			break;
		case OP_UPDATE_PK:
			op_update_pk();
			break;
		case OP_BULK_ROWS:
			op_bulk_rows();
			break;
		case OP_DEFERRED:
			op_deferred();
			break;
		case OP_REACTION:
			op_reaction();
			break;
		case OP_PART_DDL:
			if (!opt_no_part_ddl)
				op_part_ddl(true);
			else
				op_reaction();
			break;
		default:
			break;
	}
}

/* ------------------------------------------------------------------ */
/* one transaction                                                     */
/* ------------------------------------------------------------------ */

static void
run_transaction(void)
{
	int nops = chance(5) ? rnd_range(10, 25) : rnd_range(1, 6);
	int end = rnd(100);
	const char *how;

	txlog_reset();
	in_failed_txn = false;
	if (chance(4) && !opt_no_part_ddl)
	{
		/* DDL on the partition tree between two transactions */
		txlog_add("-- (partition DDL between transactions, autocommit)");
		if (load_keys())
			op_part_ddl(false);
		if (!in_failed_txn)
			verify_all("after partition DDL between transactions");
		in_failed_txn = false;
	}
	{
		int iso = rnd(100);

		if (iso < 10)
			run0("BEGIN ISOLATION LEVEL REPEATABLE READ");
		else if (iso < 15)
			run0("BEGIN ISOLATION LEVEL SERIALIZABLE");
		else
			run0("BEGIN");
	}
	comment_checks_deferred = false;
	tree_ddl_unapplied = false;
	for (int i = 0; i < nops && !in_failed_txn; i++)
	{
		if (!load_keys())
			break;
		do_random_op(0);
	}

	if (in_failed_txn)
	{
		/* keep-going mode after an unexpected error: clean up */
		PGresult *r = PQexec(conn, "ROLLBACK");

		PQclear(r);
		in_failed_txn = false;
		how = "after ROLLBACK (unexpected error)";
	}
	else if (end < 12)
	{
		run0("ROLLBACK");
		how = "after ROLLBACK";
	}
	else if (end < 20 && twopc_ok)
	{
		char gid[64];

		snprintf(gid, sizeof gid, "difftest_%" PRIu64 "_%d", cur_seed, txn_no);
		runf("PREPARE TRANSACTION '%s'", gid);
		if (!in_failed_txn)
		{
			if (end < 18)
			{
				runf("COMMIT PREPARED '%s'", gid);
				how = "after COMMIT PREPARED";
			}
			else
			{
				runf("ROLLBACK PREPARED '%s'", gid);
				how = "after ROLLBACK PREPARED";
			}
		}
		else
			how = "after failed PREPARE";
		if (in_failed_txn)
		{
			PGresult *r = PQexec(conn, "ROLLBACK");

			PQclear(r);
			r = PQexec(conn, strf("ROLLBACK PREPARED '%s'", gid));
			PQclear(r);
			in_failed_txn = false;
		}
	}
	else
	{
		run0("COMMIT");
		how = "after COMMIT";
		if (in_failed_txn)
			in_failed_txn = false;
	}
	verify_all(how);
}

/* ------------------------------------------------------------------ */
/* database setup                                                      */
/* ------------------------------------------------------------------ */

static PGconn *
connect_db(const char *dbname)
{
	return pg_connect(opt_conninfo, dbname, "difftest", &opt_verbose);
}

static void
fresh_database(void)
{
	PGconn *admin = connect_db(NULL);
	PGconn *old;
	char *lit, *sql;
	PGresult *r;

	if (!admin)
		exit(2);

	/* roll back prepared transactions a crashed earlier run left behind */
	lit = sql_lit(admin, opt_testdb);
	sql = strf("SELECT 1 FROM pg_database WHERE datname = %s", lit);
	r = PQexec(admin, sql);
	free(sql);
	if (res_ok(r) && PQntuples(r) > 0)
	{
		PQclear(r);
		old = connect_db(opt_testdb);
		if (old)
		{
			sql = strf("SELECT gid FROM pg_prepared_xacts WHERE database = %s", lit);
			r = PQexec(old, sql);
			free(sql);
			if (res_ok(r))
				for (int i = 0; i < PQntuples(r); i++)
				{
					char *g = sql_lit(old, PQgetvalue(r, i, 0));
					char *s = strf("ROLLBACK PREPARED %s", g);

					setup_exec(old, s);
					free(s);
					free(g);
				}
			PQclear(r);
			PQfinish(old);
		}
	}
	else
		PQclear(r);
	free(lit);

	{
		char *id = PQescapeIdentifier(admin, opt_testdb, strlen(opt_testdb));

		sql = strf("DROP DATABASE IF EXISTS %s WITH (FORCE)", id);
		setup_exec(admin, sql);
		free(sql);
		sql = strf("CREATE DATABASE %s", id);
		setup_exec(admin, sql);
		free(sql);
		PQfreemem(id);
	}
	PQfinish(admin);

	conn = connect_db(opt_testdb);
	if (!conn)
		exit(2);
	setup_exec(conn, "SET client_min_messages = warning");
	for (int i = 0; i < opt_nset; i++)
	{
		const char *eq = strchr(opt_set[i], '=');
		char *raw, *name, *val, *sql;

		raw = strf("%.*s", (int) (eq - opt_set[i]), opt_set[i]);
		name = sql_lit(conn, raw);
		val = sql_lit(conn, eq + 1);
		sql = strf("SELECT set_config(%s, %s, false)", name, val);
		setup_exec(conn, sql);
		free(sql);
		free(val);
		free(name);
		free(raw);
	}

	r = PQexec(conn, "SHOW max_prepared_transactions");
	twopc_ok = !opt_no_2pc && res_ok(r) && atoi(PQgetvalue(r, 0, 0)) > 0;
	PQclear(r);
}

/*
 * A deliberately naive stand-in for the extension, used only to self-test
 * this program (--mock-engine): every statement on a base table rebuilds
 * every model.  With --mock-engine-stale nothing is maintained, so the
 * first change must be reported as a divergence.
 */
static const char *const mock_sql[] = {
	"CREATE SCHEMA readmodel",
	"CREATE TABLE readmodel.mock_model (name text PRIMARY KEY, definition text NOT NULL)",
	"CREATE FUNCTION readmodel.create(name text, definition text, options jsonb DEFAULT '{}')"
	" RETURNS void LANGUAGE plpgsql AS $$\n"
	"BEGIN\n"
	"  EXECUTE format('CREATE TABLE %I AS %s', name, definition);\n"
	"  INSERT INTO readmodel.mock_model VALUES (name, definition);\n"
	"END $$",
	"CREATE FUNCTION readmodel.refresh(p_name text) RETURNS void LANGUAGE plpgsql AS $$\n"
	"DECLARE d text;\n"
	"BEGIN\n"
	"  SELECT definition INTO STRICT d FROM readmodel.mock_model WHERE name = p_name;\n"
	"  EXECUTE format('DELETE FROM %I', p_name);\n"
	"  EXECUTE format('INSERT INTO %I %s', p_name, d);\n"
	"END $$",
	"CREATE FUNCTION readmodel.flush() RETURNS void LANGUAGE sql AS $$ SELECT $$",
	"CREATE FUNCTION readmodel.drop(p_name text) RETURNS void LANGUAGE plpgsql AS $$\n"
	"BEGIN\n"
	"  EXECUTE format('DROP TABLE %I', p_name);\n"
	"  DELETE FROM readmodel.mock_model WHERE name = p_name;\n"
	"END $$",
	"CREATE FUNCTION readmodel.verify(p_name text)"
	" RETURNS TABLE(problem text, key text, table_row jsonb, definition_row jsonb)"
	" LANGUAGE plpgsql AS $$\n"
	"DECLARE d text;\n"
	"BEGIN\n"
	"  SELECT definition INTO STRICT d FROM readmodel.mock_model WHERE name = p_name;\n"
	"  RETURN QUERY EXECUTE format("
	"'SELECT ''missing''::text, NULL::text, NULL::jsonb, to_jsonb(d) FROM (%s) d"
	" WHERE NOT EXISTS (SELECT 1 FROM %I t WHERE to_jsonb(t) = to_jsonb(d))"
	" UNION ALL SELECT ''extra'', NULL, to_jsonb(t), NULL FROM %I t"
	" WHERE NOT EXISTS (SELECT 1 FROM (%s) d WHERE to_jsonb(d) = to_jsonb(t))',"
	" d, p_name, p_name, d);\n"
	"END $$",
	"CREATE FUNCTION readmodel.mock_refresh_models() RETURNS void LANGUAGE plpgsql AS $$\n"
	"DECLARE m record;\n"
	"BEGIN\n"
	"  FOR m IN SELECT name FROM readmodel.mock_model LOOP\n"
	"    PERFORM readmodel.refresh(m.name);\n"
	"  END LOOP;\n"
	"END $$",
	"CREATE FUNCTION readmodel.mock_refresh_all() RETURNS trigger LANGUAGE plpgsql AS $$\n"
	"BEGIN\n"
	"  PERFORM readmodel.mock_refresh_models();\n"
	"  RETURN NULL;\n"
	"END $$",
	NULL
};

static void
setup_mock(void)
{
	for (int i = 0; mock_sql[i]; i++)
		setup_exec(conn, mock_sql[i]);
	if (opt_mock == 1)
		for (int t = 0; t < NTABLES; t++)
		{
			char *s = strf("CREATE TRIGGER zz_mock AFTER INSERT OR UPDATE OR DELETE"
						   " OR TRUNCATE ON %s FOR EACH STATEMENT"
						   " EXECUTE FUNCTION readmodel.mock_refresh_all()", tname[t]);

			setup_exec(conn, s);
			free(s);
		}
	if (opt_mock == 1)
	{
		static const char *const more[] = {"tb_tag", "tb_post_tag", "tb_message"};

		for (int t = 0; t < 3; t++)
		{
			char *s = strf("CREATE TRIGGER zz_mock AFTER INSERT OR UPDATE OR DELETE"
						   " OR TRUNCATE ON %s FOR EACH STATEMENT"
						   " EXECUTE FUNCTION readmodel.mock_refresh_all()", more[t]);

			setup_exec(conn, s);
			free(s);
		}
	}
	/* statement triggers are not inherited: one on every member too */
	if (opt_mock == 1)
		for (int p = 0; p < NPARTS; p++)
		{
			char *s;

			if (p == P4)
				continue;		/* made later by op_part_ddl */
			s = strf("CREATE TRIGGER zz_mock AFTER INSERT OR UPDATE OR DELETE"
					 " OR TRUNCATE ON %s FOR EACH STATEMENT"
					 " EXECUTE FUNCTION readmodel.mock_refresh_all()", parts[p].name);
			setup_exec(conn, s);
			free(s);
		}
}

/* is name one of the comma-separated names of list? */
static bool
name_in_list(const char *name, const char *list)
{
	size_t l = strlen(name);

	for (const char *p = list; *p;)
	{
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t) (e - p) : strlen(p);

		if (n == l && strncmp(p, name, l) == 0)
			return true;
		if (!e)
			break;
		p = e + 1;
	}
	return false;
}

/* is models[m] made (by --extra-models, --shape-models, --models)? */
static bool
model_selected(int m)
{
	if (strstr(models[m].options, "deferred") != NULL && !opt_deferred_models)
		return false;
	if (opt_models)
		return name_in_list(models[m].name, opt_models);
	if (m >= NSHAPE)
		return opt_shape_models || (opt_extra_models && !opt_no_shape_models);
	return m < NBASIC || opt_extra_models;
}

static void
setup_models(void)
{
	if (opt_mock)
		setup_mock();
	else
		setup_exec(conn, "CREATE EXTENSION pg_readmodel");
	for (int m = 0; m < NMODELS; m++)
	{
		const char *params[3] = {models[m].name, models[m].definition, models[m].options};
		PGresult *r;

		model_ok[m] = false;
		if (!model_selected(m))
			continue;
		r = PQexecParams(conn, "SELECT readmodel.create($1, $2, $3::jsonb)",
						 3, NULL, params, NULL, NULL, 0);

		model_ok[m] = res_ok(r);
		if (!model_ok[m])
		{
			/* a failure; the other models are still exercised */
			printf("difftest: FAILED: readmodel.create('%s', ..., '%s') failed: %s"
				   "-- definition:\n%s\n", models[m].name, models[m].options,
				   PQerrorMessage(conn), models[m].definition);
			checks_failed++;
		}
		else
			checks_passed++;
		PQclear(r);
	}
	prepare_fast_verify();
	txlog_reset();
	txlog_add("-- (initial verify after readmodel.create)");
	verify_all("right after readmodel.create");
}

/* drop every model, then make sure DML on the base tables still works */
static void
teardown_models(void)
{
	Buf b = {0};

	/* how many rows each model holds at the end (the checks were not vacuous) */
	buf_append(&b, "difftest: seed %" PRIu64 ": model rows:", cur_seed);
	for (int m = 0; m < NMODELS; m++)
		if (model_ok[m])
		{
			char *sql = strf("SELECT count(*) FROM %s", models[m].name);
			PGresult *r = PQexec(conn, sql);

			buf_append(&b, " %s=%s", models[m].name,
					   res_ok(r) ? PQgetvalue(r, 0, 0) : "?");
			PQclear(r);
			free(sql);
		}
	printf("%s\n", b.data);
	free(b.data);

	txn_no++;
	txlog_reset();
	/* readers first: a model that others read cannot be dropped alone */
	for (int m = NMODELS - 1; m >= 0; m--)
		if (model_ok[m])
			runf("SELECT readmodel.drop('%s')", models[m].name);
	if (!load_keys())
		return;
	run0("BEGIN");
	for (int i = 0; i < 4 && !in_failed_txn; i++)
		op_update_read();
	insert_row(T_COMMENT);
	reaction_insert_parent(2);
	reaction_update_member(P1);
	reaction_update_member(P3);
	if (stream2_on)
		with_stream2(op_new);
	if (keys[T_POST].n > 0)
		runf("DELETE FROM tb_post WHERE pk_post = %d", pick(T_POST));
	run0("COMMIT");
	if (!in_failed_txn)
		checks_passed++;        /* DML after readmodel.drop works */
	in_failed_txn = false;
}

static int
count_models(void)
{
	int n = 0;

	for (int m = 0; m < NMODELS; m++)
		n += model_ok[m];
	return n;
}

static void
run_seed(uint64_t seed)
{
	time_t t0 = time(NULL);
	long failed_before = checks_failed;

	cur_seed = seed;
	rng_state = seed;
	rng2_state = seed ^ UINT64_C(0x5DEECE66D2B7E151);
	memset(xhigh_pk, 0, sizeof xhigh_pk);
	txn_no = 0;
	sp_counter = 0;
	memset(high_pk, 0, sizeof high_pk);
	p3_keys.n = 0;

	printf("difftest: seed %" PRIu64 ", %d transactions, database %s\n",
		   seed, opt_transactions, opt_testdb);
	fflush(stdout);

	fresh_database();
	for (int i = 0; schema_sql[i]; i++)
		setup_exec(conn, schema_sql[i]);
	seed_data();
	with_stream2(seed_data_new);
	if (!opt_no_models)
		setup_models();

	for (txn_no = 1; txn_no <= opt_transactions; txn_no++)
	{
		run_transaction();
		total_txns++;
		if (opt_verbose || txn_no % 100 == 0)
		{
			printf("difftest: seed %" PRIu64 ": %d transactions done"
				   " (org=%d user=%d post=%d comment=%d reaction=%d", seed, txn_no,
				   keys[T_ORG].n, keys[T_USER].n, keys[T_POST].n, keys[T_COMMENT].n,
				   keys[T_REACTION].n);
			/* as of the last op_new */
			if (stream2_on)
				printf(" tag=%d post_tag=%d message=%d", xkeys[X_TAG].n, pt_post.n,
					   xkeys[X_MSG].n);
			printf(")\n");
			fflush(stdout);
		}
	}
	if (!opt_no_models)
		teardown_models();

	{
		PGresult *r = PQexec(conn,
							 "SELECT (SELECT count(*) FROM tb_org), (SELECT count(*) FROM tb_user),"
							 " (SELECT count(*) FROM tb_post), (SELECT count(*) FROM tb_comment),"
							 " (SELECT count(*) FROM tb_reaction), (SELECT count(*) FROM tb_tag),"
							 " (SELECT count(*) FROM tb_post_tag), (SELECT count(*) FROM tb_message)");

		if (res_ok(r))
			printf("difftest: seed %" PRIu64 ": final sizes org=%s user=%s post=%s"
				   " comment=%s reaction=%s tag=%s post_tag=%s message=%s (%ld s)\n",
				   seed, PQgetvalue(r, 0, 0),
				   PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2), PQgetvalue(r, 0, 3),
				   PQgetvalue(r, 0, 4), PQgetvalue(r, 0, 5), PQgetvalue(r, 0, 6),
				   PQgetvalue(r, 0, 7), (long) (time(NULL) - t0));
		PQclear(r);
	}
	printf("difftest: %d transactions, %d models, seed %" PRIu64 ": %s\n",
		   opt_transactions, count_models(), seed,
		   checks_failed > failed_before ? "FAILED" : "ok");
	fflush(stdout);
	PQfinish(conn);
	conn = NULL;
}

static void
usage(void)
{
	fprintf(stderr,
			"usage: difftest [--seed N[,N...]] [--transactions N] [--dbname CONNINFO]\n"
			"                [--testdb NAME] [--verbose] [--keep-going]\n"
			"                [--no-models] [--no-2pc] [--no-truncate] [--no-flush]\n"
			"                [--use-verify]   (readmodel.verify() of every model at every check)\n"
			"                [--models NAME,...]   (only these models, to narrow a failure)\n"
			"                [--no-partition-ddl]   (no ATTACH/DETACH/CREATE/DROP of members)\n"
			"                [--deferred-models]   (also m2, of mode deferred: a preloaded\n"
			"                                    server with a worker for the test database)\n"
			"                [--extra-models]   (also e1..e7, cascades, groups v g r l p k,\n"
			"                                    n ge u wn a o s q)\n"
			"                [--shape-models]   (the groups n ge u wn a o s q, and the writes\n"
			"                                    to tb_tag, tb_post_tag, tb_message)\n"
			"                [--no-shape-models]   (--extra-models without them)\n"
			"                [--shape-pct N]   (%% of the operations that start with one of\n"
			"                                    those writes; default 25)\n"
			"                [--set NAME=VALUE ...]   (session settings, e.g. GUCs)\n"
			"                [--mock-engine | --mock-engine-stale]   (self-test)\n"
			"Connects with the standard libpq environment (PGHOST, PGPORT, PGUSER...),\n"
			"recreates database NAME (default readmodel_difftest) and runs random\n"
			"transactions, comparing every model with its definition after each.\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	uint64_t seeds[64];
	int nseeds = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc; i++)
	{
		const char *a = argv[i];
		const char *v = NULL;

#define NEEDARG() do { if (i + 1 >= argc) usage(); v = argv[++i]; } while (0)
		if (strcmp(a, "--seed") == 0 || strcmp(a, "--seeds") == 0)
		{
			char *p, *end;

			NEEDARG();
			p = (char *) v;
			while (*p && nseeds < 64)
			{
				errno = 0;
				seeds[nseeds++] = strtoull(p, &end, 10);
				if (errno || end == p)
					usage();
				p = end;
				if (*p == ',')
					p++;
				else if (*p)
					usage();
			}
		}
		else if (strcmp(a, "--transactions") == 0 || strcmp(a, "-n") == 0)
		{
			NEEDARG();
			opt_transactions = atoi(v);
		}
		else if (strcmp(a, "--dbname") == 0 || strcmp(a, "-d") == 0)
		{
			NEEDARG();
			opt_conninfo = v;
		}
		else if (strcmp(a, "--testdb") == 0)
		{
			NEEDARG();
			opt_testdb = v;
		}
		else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0)
			opt_verbose = true;
		else if (strcmp(a, "--keep-going") == 0)
			opt_keep_going = true;
		else if (strcmp(a, "--no-models") == 0)
			opt_no_models = true;
		else if (strcmp(a, "--no-2pc") == 0)
			opt_no_2pc = true;
		else if (strcmp(a, "--no-truncate") == 0)
			opt_no_truncate = true;
		else if (strcmp(a, "--no-flush") == 0)
			opt_no_flush = true;
		else if (strcmp(a, "--extra-models") == 0)
			opt_extra_models = true;
		else if (strcmp(a, "--shape-models") == 0)
			opt_shape_models = true;
		else if (strcmp(a, "--no-shape-models") == 0)
			opt_no_shape_models = true;
		else if (strcmp(a, "--shape-pct") == 0)
		{
			NEEDARG();
			opt_shape_pct = atoi(v);
		}
		else if (strcmp(a, "--no-partition-ddl") == 0)
			opt_no_part_ddl = true;
		else if (strcmp(a, "--use-verify") == 0)
			opt_use_verify = true;
		else if (strcmp(a, "--deferred-models") == 0)
			opt_deferred_models = true;
		else if (strcmp(a, "--models") == 0)
		{
			NEEDARG();
			opt_models = v;
		}
		else if (strcmp(a, "--set") == 0)
		{
			NEEDARG();
			if (strchr(v, '=') == NULL || opt_nset >= 16)
				usage();
			opt_set[opt_nset++] = v;
		}
		else if (strcmp(a, "--mock-engine") == 0)
			opt_mock = 1;
		else if (strcmp(a, "--mock-engine-stale") == 0)
			opt_mock = 2;
		else
			usage();
#undef NEEDARG
	}
	if (nseeds == 0)
		seeds[nseeds++] = (uint64_t) time(NULL) ^ ((uint64_t) getpid() << 16);
	if (strcmp(models[NSHAPE].name, "tv_n_post_tag") != 0)
	{
		fprintf(stderr, "difftest: NSHAPE does not name the first model of the shape groups\n");
		return 2;
	}
	/* the writes of stream 2 when a model of the shape groups reads them */
	for (int m = NSHAPE; m < NMODELS; m++)
		stream2_on |= model_selected(m);

	for (int s = 0; s < nseeds; s++)
		run_seed(seeds[s]);

	if (nseeds > 1)
		printf("difftest: %ld transactions over %d seeds, %d models: %s\n",
			   total_txns, nseeds, count_models(),
			   checks_failed ? "FAILED" : "ok");
	print_summary();
	return checks_failed ? 1 : 0;
}
