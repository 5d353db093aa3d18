/*
 * extra.c — tables and definition shapes beyond the random schema.
 *
 * The random schema (schema.c) has single-column keys; the shapes of
 * grammar.c are keyed by the root's primary key.  This file adds, to every
 * schema, three tables of other kinds, their writes, and definitions whose
 * key is something else:
 *
 *   tb_xc  PRIMARY KEY (ta, tb), status-like NOT NULL columns (st, day), a
 *          nullable int (grp), a numeric (nk, values 1 / 1.0 / 2.5 /
 *          2.50), a reference `ref` and an array `refs` of keys of the
 *          schema's table xref
 *   tb_xm  messages: two references `a` and `b` to xref (OR routes)
 *   tb_xp  PARTITION BY RANGE (pk_xp), 2 or 3 partitions, tb_xp_2 made
 *          with another column order and attached; written through the
 *          parent (moving rows between partitions too) and directly
 *
 *   tb_xt, tb_xe  customers and events (timestamptz near day boundaries,
 *          nullable and numeric columns), views v_xe_expr and v_xe_cust:
 *          models keyed by grouping expressions (gen_gxdefinition)
 *
 * Definitions (gen_xdefinition): GROUP BY one or several root columns,
 * HAVING, SELECT DISTINCT, DISTINCT ON ... ORDER BY ..., key; composite
 * keys and options "key": [...]; UNION ALL with a tag; top-level window
 * functions partitioned by selected root columns; = ANY (array); OR of
 * equalities; "strategy": "refresh" with uncorrelated or range subqueries;
 * RIGHT JOIN with the root on the right; the partitioned table as root,
 * child, group source.  About one in six carries a variant that must be
 * refused (a nullable or numeric group key, DISTINCT ON or a window with
 * ties, a window without PARTITION BY, UNION ALL without a tag or with the
 * same tag twice, UNION, an OR with a non-equality, a partition alone, a
 * subquery without a route and without the refresh strategy).
 *
 * The tables get their own generator seeds, so the random schema, its
 * data and the definitions of grammar.c stay as they were.  Definitions
 * made here are not registered as models for later definitions.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

/* ------------------------------------------------------------------ */
/* the tables                                                          */
/* ------------------------------------------------------------------ */

static const char *const x_st[] = {"new", "paid", "sent"};
static const char *const x_tb[] = {"a", "b", "c", "d", "e", "f"};
static const char *const x_nk[] = {"1", "1.0", "2.5", "2.50", "3"};
static const char *const x_amt[] = {"NULL", "0", "1.50", "10.00", "-2.25"};
static const char *const x_w[] = {"NULL", "'alpha'", "'beta'", "'Beta'", "''"};

static const Column *
xref_pk(const Schema *s)
{
	return &s->t[s->xref].cols[0];
}

/* a reference to xref: mostly an existing key, sometimes none or a dangling one */
static char *
xref_value(Rng *r, const Schema *s, int null_pct)
{
	const Table *t = &s->t[s->xref];
	char	   *kt, *v;

	if (chance(r, null_pct))
		return strf("NULL::%s", type_sql(xref_pk(s)));
	kt = key_text(&t->cols[0], chance(r, 8) ? 1000 + rnd(r, 3) : rnd_range(r, 1, t->target_rows));
	v = text_to_literal(&t->cols[0], kt);
	free(kt);
	return v;
}

static char *
xrefs_value(Rng *r, const Schema *s)
{
	Buf			b = {0};
	int			n = rnd(r, 4);

	if (chance(r, 10))
		return strf("NULL::%s[]", type_sql(xref_pk(s)));
	buf_puts(&b, n ? "ARRAY[" : "'{}'");
	for (int i = 0; i < n; i++)
	{
		char	   *v = xref_value(r, s, 0);

		buf_append(&b, "%s%s", i ? ", " : "", v);
		free(v);
	}
	buf_append(&b, "%s::%s[]", n ? "]" : "", type_sql(xref_pk(s)));
	return b.data;
}

static char *
xc_row(Rng *r, const Schema *s, int ta, const char *tb)
{
	char	   *ref = xref_value(r, s, 15);
	char	   *refs = xrefs_value(r, s);
	char	   *row;

	row = strf("(%d, '%s', '%s', %d, %s, %s, %s, %s, %s, %s)", ta, tb, PICK(r, x_st),
			   rnd_range(r, 1, 3), chance(r, 25) ? "NULL" : strf("%d", rnd(r, 3)),
			   PICK(r, x_nk), PICK(r, x_amt),
			   chance(r, 15) ? "NULL" : strf("%d", rnd_range(r, -2, 5)), ref, refs);
	free(ref);
	free(refs);
	return row;
}

static char *
xm_row(Rng *r, const Schema *s, int pk)
{
	char	   *a = xref_value(r, s, 15);
	char	   *b = chance(r, 15) ? xstrdup(a) : xref_value(r, s, 15);
	char	   *row = strf("(%d, %s, %s, %d)", pk, a, b, rnd_range(r, 0, 9));

	free(a);
	free(b);
	return row;
}

static char *
xp_row(Rng *r, const Schema *s, int pk)
{
	char	   *ref = xref_value(r, s, 15);
	char	   *row = strf("(%d, %d, %s, %s, %s)", pk, rnd_range(r, 1, 3),
						   chance(r, 15) ? "NULL" : strf("%d", rnd_range(r, 0, 9)),
						   PICK(r, x_w), ref);

	free(ref);
	return row;
}

/*
 * tb_xt (customers) and tb_xe (events), for models keyed by grouping
 * expressions: NOT NULL columns of several types (int, text, timestamptz),
 * nullable ones (kind, y, seen_at, fk_xt2), an unscaled numeric (amt, 1 and
 * 1.0), a scaled one (price) and a float8 (score, 0 and -0).  created_at
 * takes values near day boundaries in UTC, Asia/Kathmandu (+05:45) and
 * America/St_Johns (-03:30), and around DST changes.  tb_xe.fk_xt points to
 * tb_xt (a FOREIGN KEY or not; 6 dangles).  The views v_xe_expr and
 * v_xe_cust give such expressions (and a joined customer's columns) as
 * output columns.
 */
static const char *const xe_at[] = {
	"'2024-03-09 23:30:00+00'", "'2024-03-10 00:15:00+00'", "'2024-03-09 18:14:59.5+00'",
	"'2024-03-09 18:15:00+00'", "'2024-03-10 03:29:00+00'", "'2024-03-10 03:30:00+00'",
	"'2024-12-31 23:59:59.999999+00'", "'2025-01-01 00:00:00+00'", "'2024-11-03 06:30:00+00'",
	"'2024-03-31 01:30:00+00'", "'2024-02-29 12:00:00+00'"
};
static const char *const xe_kind[] = {"NULL", "'click'", "'Click'", "'view'", "'VIEW'", "''"};
static const char *const xe_code[] = {"'ab-1'", "'AB-2'", "'ab-3'", "'cd-1'", "'cd'", "''", "'-x'"};
static const char *const xe_name[] = {"'Alice'", "'alice'", "'BOB'", "'bob'", "'Zo\xc3\xab'",
"'ZO\xc3\x8b'", "''"};
static const char *const xe_amt[] = {"1", "1.0", "2.5", "2.50", "-3"};
static const char *const xe_price[] = {"0", "1.50", "10.00", "-2.25", "19.99"};
static const char *const xe_score[] = {"0", "'-0'", "1.5", "-2"};
static const char *const xt_name[] = {"'acme'", "'Acme'", "'globex'", "'initech'", "''"};
static const char *const xt_region[] = {"NULL", "'eu'", "'us'", "'EU'"};

#define XE_COLS "pk_xe, fk_xt, fk_xt2, created_at, seen_at, kind, code, x, y, name, amt, price, score"
#define XT_COLS "pk_xt, name, region, tier"

/* one row of tb_xe; dangle: fk_xt may point to no customer */
static char *
xe_row(Rng *r, int pk, bool dangle)
{
	int			fk = dangle && chance(r, 8) ? 6 : rnd_range(r, 1, 5);
	char	   *fk2 = chance(r, 30) ? xstrdup("NULL") : strf("%d", rnd_range(r, 1, 5));
	const char *at = PICK(r, xe_at);
	const char *seen = chance(r, 30) ? "NULL" : PICK(r, xe_at);
	const char *kind = PICK(r, xe_kind);
	const char *code = PICK(r, xe_code);
	int			x = rnd_range(r, -15, 35);
	char	   *y = chance(r, 25) ? xstrdup("NULL") : strf("%d", rnd_range(r, -3, 9));
	const char *name = PICK(r, xe_name);
	const char *amt = PICK(r, xe_amt);
	const char *price = PICK(r, xe_price);
	const char *score = PICK(r, xe_score);
	char	   *row = strf("(%d, %d, %s, %s, %s, %s, %s, %d, %s, %s, %s, %s, %s)", pk, fk, fk2, at,
						   seen, kind, code, x, y, name, amt, price, score);

	free(fk2);
	free(y);
	return row;
}

/* whether tb_xe has a FOREIGN KEY to tb_xt (no dangling references then) */
static bool
xe_fk_of(const Schema *s)
{
	for (int i = 0; i < s->ddl.n; i++)
		if (strncmp(s->ddl.v[i], "CREATE TABLE tb_xe", 18) == 0)
			return strstr(s->ddl.v[i], "REFERENCES tb_xt") != NULL;
	return false;
}

static void
xe_schema(Schema *s, uint64_t seed)
{
	Rng			r;
	Buf			b = {0};
	bool		fk = false;

	rng_seed(&r, seed);
	sl_add(&s->ddl, "CREATE TABLE tb_xt (\n  pk_xt int PRIMARY KEY,\n  name text NOT NULL,\n"
		   "  region text,\n  tier int NOT NULL DEFAULT 1)");
	/* a FOREIGN KEY only when no row dangles */
	fk = chance(&r, 40);
	sl_addf(&s->ddl, "CREATE TABLE tb_xe (\n  pk_xe int PRIMARY KEY,\n  fk_xt int NOT NULL%s,\n"
			"  fk_xt2 int,\n  created_at timestamptz NOT NULL,\n  seen_at timestamptz,\n"
			"  kind text,\n  code text NOT NULL,\n  x int NOT NULL,\n  y int,\n"
			"  name text NOT NULL,\n  amt numeric NOT NULL,\n  price numeric(10,2) NOT NULL,\n"
			"  score float8 NOT NULL DEFAULT 0)",
			fk ? " REFERENCES tb_xt ON DELETE CASCADE ON UPDATE CASCADE" : "");
	if (chance(&r, 50))
		sl_add(&s->ddl, "CREATE INDEX ON tb_xe (fk_xt)");
	if (chance(&r, 40))
		sl_add(&s->ddl, "CREATE INDEX ON tb_xe (lower(name))");
	/* a writing session may put these before pg_catalog's (workload.c) */
	sl_add(&s->ddl, "CREATE SCHEMA hijack");
	sl_add(&s->ddl, "CREATE FUNCTION hijack.lower(text) RETURNS text IMMUTABLE LANGUAGE sql"
		   " AS 'SELECT ''hijacked'''");
	sl_add(&s->ddl, "CREATE FUNCTION hijack.upper(text) RETURNS text IMMUTABLE LANGUAGE sql"
		   " AS 'SELECT ''HIJACKED'''");
	sl_add(&s->ddl, "CREATE FUNCTION hijack.split_part(text, text, int) RETURNS text IMMUTABLE"
		   " LANGUAGE sql AS 'SELECT ''hijacked'''");
	sl_add(&s->ddl, "CREATE FUNCTION hijack.date_trunc(text, timestamptz) RETURNS timestamptz"
		   " STABLE LANGUAGE sql AS 'SELECT ''2000-01-01 00:00:00+00''::timestamptz'");
	sl_add(&s->ddl, "CREATE FUNCTION hijack.abs(int) RETURNS int IMMUTABLE LANGUAGE sql"
		   " AS 'SELECT -1'");
	sl_add(&s->ddl, "CREATE VIEW v_xe_expr AS SELECT e.pk_xe, e.fk_xt, e.x, e.price,"
		   " date_trunc('day', e.created_at) AS day, (e.created_at AT TIME ZONE 'UTC')::date AS d_utc,"
		   " lower(e.name) AS lname, split_part(e.code, '-', 1) AS prefix, e.x / 10 AS xb,"
		   " upper(e.kind) AS ukind FROM tb_xe e");
	sl_add(&s->ddl, "CREATE VIEW v_xe_cust AS SELECT e.pk_xe, e.fk_xt, t.name AS cname, t.tier,"
		   " lower(e.name) AS lname, e.x, e.price, e.created_at FROM tb_xe e"
		   " JOIN tb_xt t ON t.pk_xt = e.fk_xt");

	buf_puts(&b, "INSERT INTO tb_xt (" XT_COLS ") VALUES");
	for (int i = 1; i <= 5; i++)
		buf_append(&b, "%s\n  (%d, %s, %s, %d)", i > 1 ? "," : "", i, PICK(&r, xt_name),
				   PICK(&r, xt_region), rnd_range(&r, 1, 3));
	sl_add(&s->fill, buf_str(&b));
	buf_reset(&b);
	buf_puts(&b, "INSERT INTO tb_xe (" XE_COLS ") VALUES");
	for (int i = 1; i <= 14; i++)
	{
		char	   *row = xe_row(&r, i, !fk);

		buf_append(&b, "%s\n  %s", i > 1 ? "," : "", row);
		free(row);
	}
	sl_add(&s->fill, buf_str(&b));
	buf_free(&b);
}

#define XC_COLS "ta, tb, st, day, grp, nk, amt, n, ref, refs"
#define XM_COLS "pk_xm, a, b, v"
#define XP_COLS "pk_xp, part, v, w, ref"

void
extra_schema(Schema *s, uint64_t seed)
{
	Rng			r;
	const char *kt;
	Buf			b = {0};
	int			pick[MAXTABLES];
	int			n = 0;

	rng_seed(&r, seed);
	/* a referenced table of a key type that arrays and ORs compare cleanly */
	for (int i = 0; i < s->nbase; i++)
		if (s->t[i].cols[0].type != TY_NUMERIC || chance(&r, 30))
			pick[n++] = i;
	s->xref = n ? pick[rnd(&r, n)] : 0;
	s->xparts = chance(&r, 50) ? 3 : 2;
	kt = type_sql(xref_pk(s));

	sl_addf(&s->ddl, "CREATE TABLE tb_xc (\n  ta int NOT NULL,\n  tb text NOT NULL,\n"
			"  st text NOT NULL DEFAULT 'new',\n  day int NOT NULL DEFAULT 1,\n  grp int,\n"
			"  nk numeric NOT NULL DEFAULT 0,\n  amt numeric(10,2),\n  n int,\n  ref %s,\n"
			"  refs %s[],\n  PRIMARY KEY (ta, tb))", kt, kt);
	if (chance(&r, 60))
		sl_add(&s->ddl, "CREATE INDEX ON tb_xc USING gin (refs)");
	sl_addf(&s->ddl, "CREATE TABLE tb_xm (\n  pk_xm int PRIMARY KEY,\n  a %s,\n  b %s,\n"
			"  v int NOT NULL DEFAULT 0)", kt, kt);
	if (chance(&r, 50))
		sl_add(&s->ddl, "CREATE INDEX ON tb_xm (a)");
	sl_addf(&s->ddl, "CREATE TABLE tb_xp (\n  pk_xp int NOT NULL,\n  part int NOT NULL,\n"
			"  v int,\n  w text,\n  ref %s,\n  PRIMARY KEY (pk_xp)) PARTITION BY RANGE (pk_xp)", kt);
	sl_add(&s->ddl, "CREATE TABLE tb_xp_1 PARTITION OF tb_xp FOR VALUES FROM (MINVALUE) TO (100)");
	/* another column order, attached */
	sl_addf(&s->ddl, "CREATE TABLE tb_xp_2 (w text, ref %s, v int, part int NOT NULL,"
			" pk_xp int NOT NULL)", kt);
	sl_addf(&s->ddl, "ALTER TABLE tb_xp ATTACH PARTITION tb_xp_2 FOR VALUES FROM (100) TO (%s)",
			s->xparts == 3 ? "200" : "MAXVALUE");
	if (s->xparts == 3)
		sl_add(&s->ddl, "CREATE TABLE tb_xp_3 PARTITION OF tb_xp FOR VALUES FROM (200) TO (MAXVALUE)");

	/* data */
	buf_puts(&b, "INSERT INTO tb_xc (" XC_COLS ") VALUES");
	n = 0;
	for (int ta = 1; ta <= 3; ta++)
		for (int i = 0; i < lengthof(x_tb); i++)
			if (chance(&r, 55))
			{
				char	   *row = xc_row(&r, s, ta, x_tb[i]);

				buf_append(&b, "%s\n  %s", n++ ? "," : "", row);
				free(row);
			}
	if (n == 0)
	{
		char	   *row = xc_row(&r, s, 1, "a");

		buf_append(&b, "\n  %s", row);
		free(row);
	}
	sl_add(&s->fill, buf_str(&b));
	buf_reset(&b);
	buf_puts(&b, "INSERT INTO tb_xm (" XM_COLS ") VALUES");
	for (int i = 1; i <= 10; i++)
	{
		char	   *row = xm_row(&r, s, i);

		buf_append(&b, "%s\n  %s", i > 1 ? "," : "", row);
		free(row);
	}
	sl_add(&s->fill, buf_str(&b));
	buf_reset(&b);
	buf_puts(&b, "INSERT INTO tb_xp (" XP_COLS ") VALUES");
	for (int i = 1; i <= 12; i++)
	{
		char	   *row = xp_row(&r, s, rnd_range(&r, 0, 99) + 100 * rnd(&r, s->xparts) + 0 * i);

		buf_append(&b, "%s\n  %s", i > 1 ? "," : "", row);
		free(row);
	}
	buf_puts(&b, "\nON CONFLICT DO NOTHING");
	sl_add(&s->fill, buf_str(&b));
	buf_free(&b);
	/* grouping expressions: tables of their own, with a seed of their own */
	xe_schema(s, mix_seed(seed, 0x78657870));
}

/* ------------------------------------------------------------------ */
/* their writes                                                        */
/* ------------------------------------------------------------------ */

/* one existing row, chosen by position in key order */
static char *
nth(Rng *r, const char *cols, const char *table)
{
	return strf("(%s) IN (SELECT %s FROM %s ORDER BY %s OFFSET %d LIMIT 1)", cols, cols,
				table, cols, rnd(r, 12));
}

static char *
xc_stmt(Rng *r, const Schema *s, bool *may_fail)
{
	int			k = rnd(r, 100);
	char	   *w = chance(r, 80) ? nth(r, "ta, tb", "tb_xc") :
		strf("day = %d", rnd_range(r, 1, 3));
	char	   *sql;

	if (k < 20)
	{
		char	   *row = xc_row(r, s, rnd_range(r, 1, 4), PICK(r, x_tb));

		sql = strf("INSERT INTO tb_xc (" XC_COLS ") VALUES %s%s", row,
				   chance(r, 50) ? " ON CONFLICT DO NOTHING" :
				   " ON CONFLICT (ta, tb) DO UPDATE SET st = EXCLUDED.st, amt = EXCLUDED.amt");
		free(row);
		*may_fail = true;
	}
	else if (k < 32)
		sql = strf("UPDATE tb_xc SET st = '%s' WHERE %s", PICK(r, x_st), w);
	else if (k < 40)
		sql = strf("UPDATE tb_xc SET day = %d, grp = %s WHERE %s", rnd_range(r, 1, 3),
				   chance(r, 30) ? "NULL" : "coalesce(grp, 0) + 1", w);
	else if (k < 47)
		sql = strf("UPDATE tb_xc SET nk = %s, amt = %s WHERE %s", PICK(r, x_nk), PICK(r, x_amt), w);
	else if (k < 52)
		/* equal but not identical */
		sql = strf("UPDATE tb_xc SET nk = CASE nk WHEN 1 THEN '%s'::numeric ELSE '2.50'::numeric END"
				   " WHERE %s", chance(r, 50) ? "1.0" : "1", w);
	else if (k < 62)
	{
		char	   *v = xref_value(r, s, 20);

		sql = strf("UPDATE tb_xc SET ref = %s WHERE %s", v, w);
		free(v);
	}
	else if (k < 74)
	{
		char	   *v = chance(r, 50) ? xrefs_value(r, s) : NULL;
		char	   *e = xref_value(r, s, 0);

		sql = v ? strf("UPDATE tb_xc SET refs = %s WHERE %s", v, w) :
			strf("UPDATE tb_xc SET refs = %s(refs, %s) WHERE %s",
				 chance(r, 50) ? "array_append" : "array_remove", e, w);
		free(v);
		free(e);
	}
	else if (k < 82)
	{
		sql = strf("UPDATE tb_xc SET %s WHERE %s", chance(r, 50) ? "ta = ta + 1" :
				   strf("tb = '%s'", PICK(r, x_tb)), w);
		*may_fail = true;
	}
	else if (k < 92)
		sql = strf("DELETE FROM tb_xc WHERE %s", w);
	else
		sql = strf("UPDATE tb_xc SET n = coalesce(n, 0) + 1 WHERE %s", w);
	free(w);
	return sql;
}

static char *
xm_stmt(Rng *r, const Schema *s, bool *may_fail)
{
	int			k = rnd(r, 100);
	char	   *w = nth(r, "pk_xm", "tb_xm");
	char	   *sql;

	if (k < 25)
	{
		char	   *row = xm_row(r, s, rnd_range(r, 1, 30));

		sql = strf("INSERT INTO tb_xm (" XM_COLS ") VALUES %s ON CONFLICT DO NOTHING", row);
		free(row);
		*may_fail = true;
	}
	else if (k < 50)
	{
		char	   *v = xref_value(r, s, 15);

		sql = strf("UPDATE tb_xm SET %s = %s WHERE %s", chance(r, 50) ? "a" : "b", v, w);
		free(v);
	}
	else if (k < 58)
		sql = strf("UPDATE tb_xm SET a = b, b = a WHERE %s", w);
	else if (k < 75)
		sql = strf("UPDATE tb_xm SET v = v + %d WHERE %s", rnd_range(r, 1, 3), w);
	else if (k < 80)
	{
		sql = strf("UPDATE tb_xm SET pk_xm = pk_xm + 50 WHERE %s", w);
		*may_fail = true;
	}
	else
		sql = strf("DELETE FROM tb_xm WHERE %s", w);
	free(w);
	return sql;
}

static char *
xp_stmt(Rng *r, const Schema *s, bool *may_fail)
{
	int			k = rnd(r, 100);
	int			p = rnd(r, s->xparts);
	bool		direct = chance(r, 40);
	char	   *tab = direct ? strf("tb_xp_%d", p + 1) : xstrdup("tb_xp");
	char	   *w = nth(r, "pk_xp", tab);
	char	   *sql;

	if (k < 25)
	{
		/* a key in the partition's range: direct inserts must fit */
		char	   *row = xp_row(r, s, p * 100 + rnd(r, 100));

		sql = strf("INSERT INTO %s (" XP_COLS ") VALUES %s", tab, row);
		free(row);
		*may_fail = true;
	}
	else if (k < 45)
		sql = strf("UPDATE %s SET v = %s WHERE %s", tab,
				   chance(r, 20) ? "NULL" : "coalesce(v, 0) + 1", w);
	else if (k < 55)
		sql = strf("UPDATE %s SET part = %d, w = %s WHERE %s", tab, rnd_range(r, 1, 3),
				   PICK(r, x_w), w);
	else if (k < 63)
	{
		char	   *v = xref_value(r, s, 15);

		sql = strf("UPDATE %s SET ref = %s WHERE %s", tab, v, w);
		free(v);
	}
	else if (k < 75)
	{
		/* through the parent: rows move to another partition */
		free(w);
		w = nth(r, "pk_xp", "tb_xp");
		sql = strf("UPDATE tb_xp SET pk_xp = (pk_xp + %d) %% %d WHERE %s",
				   100 * rnd_range(r, 1, 2) + rnd(r, 3), 100 * s->xparts, w);
		*may_fail = true;
	}
	else
		sql = strf("DELETE FROM %s WHERE %s", tab, w);
	free(w);
	free(tab);
	return sql;
}

char *
extra_stmt(Rng *r, const Schema *s, bool *may_fail)
{
	int			k = rnd(r, 3);

	*may_fail = false;
	return k == 0 ? xc_stmt(r, s, may_fail) : k == 1 ? xm_stmt(r, s, may_fail) :
		xp_stmt(r, s, may_fail);
}

/*
 * Writes of tb_xe and tb_xt for models keyed by grouping expressions: most
 * change an expression's inputs, so rows move between groups (a timestamp
 * over a day boundary, a name to another case, x by 7, kind to NULL, the
 * customer of an event, a customer's name).  Some values depend on the
 * writing session's TimeZone (a literal without an offset, + interval
 * '1 day', date_trunc): the data then differs, the model must follow it.
 */
static char *
xe_stmt(Rng *r, const Schema *s, bool *may_fail)
{
	int			k = rnd(r, 100);
	char	   *w = chance(r, 85) ? nth(r, "pk_xe", "tb_xe") :
		strf("x %s %d", chance(r, 50) ? ">" : "<=", rnd_range(r, -5, 20));
	bool		fk = xe_fk_of(s);
	char	   *sql;

	if (k < 14)
	{
		char	   *row = xe_row(r, rnd_range(r, 1, 40), !fk);

		sql = strf("INSERT INTO tb_xe (" XE_COLS ") VALUES %s%s", row,
				   chance(r, 50) ? " ON CONFLICT DO NOTHING" :
				   " ON CONFLICT (pk_xe) DO UPDATE SET created_at = EXCLUDED.created_at,"
				   " name = EXCLUDED.name, x = EXCLUDED.x");
		free(row);
		*may_fail = true;
	}
	else if (k < 30)
	{
		static const char *const at[] = {
			"created_at + interval '%d hours'", "created_at - interval '%d hours'",
			"created_at + interval '1 day'", "date_trunc('day', created_at) + interval '%d hours'",
			"'2024-03-10 00:%02d:00'", "created_at + interval '%d minutes'"
		};
		const char *f = PICK(r, at);
		char	   *v = chance(r, 30) ? xstrdup(PICK(r, xe_at)) : strf(f, rnd_range(r, 1, 23));

		sql = strf("UPDATE tb_xe SET created_at = %s%s WHERE %s", v,
				   chance(r, 25) ? ", seen_at = created_at" : "", w);
		free(v);
	}
	else if (k < 36)
		sql = strf("UPDATE tb_xe SET seen_at = %s WHERE %s",
				   chance(r, 30) ? "NULL" : PICK(r, xe_at), w);
	else if (k < 44)
		sql = strf("UPDATE tb_xe SET kind = %s WHERE %s", chance(r, 30) ? "upper(kind)" :
				   PICK(r, xe_kind), w);
	else if (k < 52)
		sql = strf("UPDATE tb_xe SET name = %s WHERE %s", chance(r, 20) ? "upper(name)" :
				   chance(r, 20) ? "lower(name)" : PICK(r, xe_name), w);
	else if (k < 57)
		sql = strf("UPDATE tb_xe SET code = %s WHERE %s", PICK(r, xe_code), w);
	else if (k < 65)
		sql = strf("UPDATE tb_xe SET x = x %s %d, y = %s WHERE %s", chance(r, 50) ? "+" : "-",
				   rnd_range(r, 1, 13), chance(r, 30) ? "NULL" : "coalesce(y, 0) + 1", w);
	else if (k < 72)
	{
		sql = strf("UPDATE tb_xe SET fk_xt = %d%s WHERE %s",
				   fk ? rnd_range(r, 1, 5) : rnd_range(r, 1, 6),
				   chance(r, 40) ? ", fk_xt2 = fk_xt" : "", w);
		*may_fail = fk;
	}
	else if (k < 77)
		/* equal but not identical */
		sql = strf("UPDATE tb_xe SET amt = %s, price = %s, score = %s WHERE %s", PICK(r, xe_amt),
				   PICK(r, xe_price), PICK(r, xe_score), w);
	else if (k < 80)
		sql = strf("DELETE FROM tb_xe WHERE %s", w);
	else if (k < 84)
	{
		int			pk = rnd_range(r, 1, 24);
		const char *at = PICK(r, xe_at);
		const char *name = PICK(r, xe_name);
		int			customer = rnd_range(r, 1, 5);
		int			xv = rnd_range(r, -5, 25);

		sql = strf("MERGE INTO tb_xe e USING (VALUES (%d, %s::timestamptz, %s)) v(pk, at, nm)"
				   " ON e.pk_xe = v.pk WHEN MATCHED AND e.x %% 2 = 0 THEN DELETE"
				   " WHEN MATCHED THEN UPDATE SET created_at = v.at, name = v.nm, x = e.x + 3"
				   " WHEN NOT MATCHED THEN INSERT (pk_xe, fk_xt, created_at, code, x, name, amt, price)"
				   " VALUES (v.pk, %d, v.at, 'ab-9', %d, v.nm, 1.0, 2.50)", pk, at, name, customer, xv);
		/* the customer may have been deleted, like an UPDATE of fk_xt's */
		*may_fail = fk;
	}
	else if (k < 88)
	{
		sql = strf("UPDATE tb_xe SET pk_xe = pk_xe + 50 WHERE %s", w);
		*may_fail = true;
	}
	else
	{
		/* the customer: its name is grouped by through fk_xt */
		char	   *wt = nth(r, "pk_xt", "tb_xt");
		int			j = rnd(r, 100);

		if (j < 40)
			sql = strf("UPDATE tb_xt SET name = %s WHERE %s", chance(r, 30) ? "upper(name)" :
					   PICK(r, xt_name), wt);
		else if (j < 55)
			sql = strf("UPDATE tb_xt SET tier = tier %% 3 + 1, region = %s WHERE %s",
					   PICK(r, xt_region), wt);
		else if (j < 72)
		{
			sql = strf("INSERT INTO tb_xt (" XT_COLS ") VALUES (%d, %s, %s, %d)%s",
					   rnd_range(r, 1, 7), PICK(r, xt_name), PICK(r, xt_region), rnd_range(r, 1, 3),
					   chance(r, 50) ? " ON CONFLICT DO NOTHING" :
					   " ON CONFLICT (pk_xt) DO UPDATE SET name = EXCLUDED.name");
			*may_fail = true;
		}
		else if (j < 85)
			sql = strf("DELETE FROM tb_xt WHERE %s", wt);
		else
		{
			sql = strf("UPDATE tb_xt SET pk_xt = pk_xt + 10 WHERE %s", wt);
			*may_fail = true;
		}
		free(wt);
	}
	free(w);
	return sql;
}

/* a TimeZone of a writing session: offsets of 45 and 30 minutes, DST, UTC */
const char *
extra_timezone(Rng *r)
{
	static const char *const zones[] = {
		"Asia/Kathmandu", "America/St_Johns", "Pacific/Chatham", "Pacific/Kiritimati",
		"America/Los_Angeles", "Europe/Berlin", "Etc/GMT+12", "UTC"
	};

	return PICK(r, zones);
}

char *
extra_xe_stmt(Rng *r, const Schema *s, bool *may_fail)
{
	*may_fail = false;
	return xe_stmt(r, s, may_fail);
}

/* ------------------------------------------------------------------ */
/* definitions                                                         */
/* ------------------------------------------------------------------ */

typedef struct Q
{
	Frag	   *top;
	Frag	   *selkw;
	Frag	   *sel;
	Frag	   *from;
	Frag	   *where;
	Frag	   *groupby;
	Frag	   *having;
	Frag	   *tail;
} Q;

typedef struct X
{
	Rng			r;
	Schema	   *s;
	Def		   *d;
	int			nitem;
	int			nalias;
	bool		keyopt;			/* write options "key": [the key columns] */
	char		keys[4][NAMELEN];
	int			nkeys;
	bool		refresh;		/* options "strategy": "refresh" */
} X;

static void
q_init(Q *q)
{
	q->top = fr_seq();
	q->selkw = fr_addt(q->top, "SELECT ");
	q->sel = fr_add(q->top, fr_list(NULL, ",\n       ", NULL));
	fr_addt(q->top, "\nFROM ");
	q->from = fr_add(q->top, fr_seq());
	q->where = fr_add(q->top, fr_list("\nWHERE ", "\n  AND ", NULL));
	q->groupby = fr_add(q->top, fr_list("\nGROUP BY ", ", ", NULL));
	q->having = fr_add(q->top, fr_list("\nHAVING ", " AND ", NULL));
	q->tail = fr_add(q->top, fr_seq());
}

static void
use(X *x, int ti)
{
	if (ti >= 0 && ti < x->s->nbase)
		x->d->used |= UINT64_C(1) << ti;
}

static const Table *
tab(X *x, int ti)
{
	return &x->s->t[ti];
}

static const char *
pkname(X *x, int ti)
{
	return tab(x, ti)->cols[0].name;
}

/* a key column of the model, selected under its own name */
static void
key_item(X *x, Q *q, const char *alias, const char *col)
{
	fr_addt(q->sel, "%s.%s", alias, col);
	if (x->nkeys < 4)
		snprintf(x->keys[x->nkeys++], NAMELEN, "%s", col);
}

/* an optional item, under a name of its own */
static Frag *
item(X *x, Q *q, const char *fmt,...) __attribute__((format(printf, 3, 4)));
static Frag *
item(X *x, Q *q, const char *fmt,...)
{
	va_list		ap;
	char	   *s;
	Frag	   *f;

	va_start(ap, fmt);
	s = vstrf(fmt, ap);
	va_end(ap);
	f = fr_add(q->sel, fr_drop(fr_text("%s AS c%d", s, ++x->nitem)));
	free(s);
	return f;
}

/* column i of table ti satisfying ok, other than the key; -1 if none */
static int
pick_col(X *x, int ti, bool (*ok) (const Column *c), bool nullable_ok)
{
	const Table *t = tab(x, ti);
	int			c[MAXCOLS];
	int			n = 0;

	for (int i = 1; i < t->ncols; i++)
		if (!t->cols[i].hidden && (ok == NULL || ok(&t->cols[i])) &&
			(nullable_ok || t->cols[i].not_null))
			c[n++] = i;
	return n ? c[rnd(&x->r, n)] : -1;
}

static bool
p_num(const Column *c)
{
	return c->type == TY_INT || c->type == TY_BIGINT || c->type == TY_NUMERIC;
}

static bool
p_int(const Column *c)
{
	return c->type == TY_INT || c->type == TY_BIGINT;
}

/* a numeric with a scale: equal values are identical */
static bool
p_key(const Column *c)
{
	return col_strict(c) || (c->type == TY_NUMERIC && c->scale >= 0 && c->fk < 0);
}

static bool
p_numeric_noscale(const Column *c)
{
	return c->type == TY_NUMERIC && c->scale < 0 && c->fk < 0;
}

static bool
p_minmax(const Column *c)
{
	return type_ordered_minmax(c);
}

static bool
p_plainjson(const Column *c)
{
	return c->type == TY_INT || c->type == TY_BIGINT || c->type == TY_NUMERIC ||
		c->type == TY_TEXT || c->type == TY_BOOL || c->type == TY_JSONB ||
		c->type == TY_UUID || c->type == TY_CITEXT;
}

static bool
p_text(const Column *c)
{
	return c->type == TY_TEXT || c->type == TY_CITEXT;
}

static bool
p_bool(const Column *c)
{
	return c->type == TY_BOOL;
}

static bool
p_any(const Column *c)
{
	(void) c;
	return true;
}

/* some columns of table ti as optional items */
static void
some_items(X *x, Q *q, const char *a, int ti, int max)
{
	for (int i = rnd_range(&x->r, 1, max); i > 0; i--)
	{
		int			c = pick_col(x, ti, NULL, true);

		if (c >= 0)
			item(x, q, "%s.%s", a, tab(x, ti)->cols[c].name);
	}
}

/* a row filter on table ti, or NULL */
static char *
row_cond(X *x, const char *a, int ti)
{
	int			c;

	switch (rnd(&x->r, 3))
	{
		case 0:
			if ((c = pick_col(x, ti, p_num, true)) >= 0 && tab(x, ti)->cols[c].fk < 0)
				return strf("%s.%s > %d", a, tab(x, ti)->cols[c].name, rnd_range(&x->r, 0, 3));
			break;
		case 1:
			if ((c = pick_col(x, ti, p_bool, true)) >= 0)
				return strf("%s.%s IS NOT %s", a, tab(x, ti)->cols[c].name,
							chance(&x->r, 50) ? "TRUE" : "FALSE");
			break;
		default:
			break;
	}
	if ((c = pick_col(x, ti, NULL, true)) >= 0)
		return strf("%s.%s IS %sNULL", a, tab(x, ti)->cols[c].name,
					chance(&x->r, 70) ? "NOT " : "");
	return NULL;
}

static void
maybe_where(X *x, Q *q, const char *a, int ti, int pct)
{
	if (chance(&x->r, pct))
	{
		char	   *c = row_cond(x, a, ti);

		if (c)
			fr_add(q->where, fr_drop(fr_text("%s", c)));
		free(c);
	}
}

/* a table other than ti with a reference to it, and the column */
static int
child_of(X *x, int ti, int *col)
{
	int			c[MAXTABLES * 4], k[MAXTABLES * 4];
	int			n = 0;

	for (int t = 0; t < x->s->nbase; t++)
		for (int i = 1; i < tab(x, t)->ncols; i++)
			if (tab(x, t)->cols[i].fk == ti && !tab(x, t)->cols[i].hidden && n < lengthof(c))
			{
				c[n] = t;
				k[n++] = i;
			}
	if (n == 0)
		return -1;
	n = rnd(&x->r, n);
	*col = k[n];
	return c[n];
}

/* correlated aggregates over the children of a row of ti */
static void
child_aggs(X *x, Q *q, const char *a, int ti, const char *key)
{
	int			col;
	int			ct = child_of(x, ti, &col);
	char		al[16];
	int			v;

	if (ct < 0)
		return;
	use(x, ct);
	snprintf(al, sizeof al, "c%d", ++x->nalias);
	v = pick_col(x, ct, p_plainjson, true);
	if (v >= 0 && chance(&x->r, 50))
		item(x, q, "(SELECT jsonb_agg(%s.%s ORDER BY %s.%s) FROM %s %s WHERE %s.%s = %s.%s)",
			 al, tab(x, ct)->cols[v].name, al, pkname(x, ct), tab(x, ct)->name, al, al,
			 tab(x, ct)->cols[col].name, a, key);
	else
		item(x, q, "(SELECT count(*) FROM %s %s WHERE %s.%s = %s.%s)", tab(x, ct)->name, al,
			 al, tab(x, ct)->cols[col].name, a, key);
}

/* a parent of ti joined (LEFT or inner), with some of its columns */
static void
parent_join(X *x, Q *q, const char *a, int ti, bool agg)
{
	int			fk[MAXCOLS];
	int			n = schema_fk_cols(tab(x, ti), fk);
	const Column *c;
	int			pt, v;
	char		al[16];

	if (n == 0)
		return;
	c = &tab(x, ti)->cols[fk[rnd(&x->r, n)]];
	pt = c->fk;
	use(x, pt);
	snprintf(al, sizeof al, "p%d", ++x->nalias);
	fr_add(q->from, fr_text("\n%s %s %s ON %s.%s = %s.%s", chance(&x->r, 60) ? "LEFT JOIN" : "JOIN",
							tab(x, pt)->name, al, al, pkname(x, pt), a, c->name));
	v = pick_col(x, pt, agg ? p_minmax : NULL, true);
	if (v < 0)
	{
		if (agg)
			item(x, q, "count(%s.%s)", al, pkname(x, pt));
		return;
	}
	if (agg)
		item(x, q, "%s(%s.%s)", chance(&x->r, 50) ? "max" : "min", al, tab(x, pt)->cols[v].name);
	else
		item(x, q, "%s.%s", al, tab(x, pt)->cols[v].name);
}

/* aggregates over the rows of a group of table ti */
static void
group_aggs(X *x, Q *q, const char *a, int ti, const char *order)
{
	int			c;

	if (chance(&x->r, 80))
		item(x, q, "count(*)");
	if (chance(&x->r, 60) && (c = pick_col(x, ti, p_num, true)) >= 0)
		item(x, q, "sum(%s.%s)", a, tab(x, ti)->cols[c].name);
	if (chance(&x->r, 40) && (c = pick_col(x, ti, p_minmax, true)) >= 0)
		item(x, q, "%s(%s.%s)", chance(&x->r, 50) ? "max" : "min", a, tab(x, ti)->cols[c].name);
	if (chance(&x->r, 50) && (c = pick_col(x, ti, p_plainjson, true)) >= 0)
		item(x, q, "jsonb_agg(%s.%s ORDER BY %s)", a, tab(x, ti)->cols[c].name, order);
	if (chance(&x->r, 25) && (c = pick_col(x, ti, p_any, true)) >= 0)
		item(x, q, "count(DISTINCT %s.%s)", a, tab(x, ti)->cols[c].name);
	if (chance(&x->r, 20) && (c = pick_col(x, ti, p_bool, true)) >= 0)
		item(x, q, "bool_or(%s.%s)", a, tab(x, ti)->cols[c].name);
}

static void
having(X *x, Q *q, const char *num)
{
	x->d->constructs |= C_HAVING;
	if (num && chance(&x->r, 50))
		fr_add(q->having, fr_drop(fr_text("coalesce(sum(%s), 0) %s %d", num,
										  chance(&x->r, 50) ? ">" : "<=", rnd_range(&x->r, 0, 5))));
	else
		fr_add(q->having, fr_drop(fr_text("count(*) %s %d", chance(&x->r, 70) ? ">" : "=",
										  rnd_range(&x->r, 1, 2))));
}

/*
 * The key columns of a group of table ti: one or several columns whose
 * equal values are identical, NOT NULL or filtered; or a bad one.
 */
static int
group_cols(X *x, Q *q, const char *a, int ti, int *cols, bool allow_bad)
{
	int			n = chance(&x->r, 30) ? 2 : 1;
	int			got = 0;
	int			bad = allow_bad && chance(&x->r, 18) ? rnd(&x->r, 2) : -1;

	for (int tries = 0; tries < 8 && got < n; tries++)
	{
		int			c = pick_col(x, ti, p_key, true);

		if (c < 0)
			break;
		if (got == 1 && cols[0] == c)
			continue;
		cols[got++] = c;
	}
	if (bad == 1)
	{
		int			c = pick_col(x, ti, p_numeric_noscale, true);

		if (c >= 0)
		{
			if (got == 0)
				got = 1;
			cols[got - 1] = c;
			x->d->bad = "numeric group key";
		}
	}
	for (int i = 0; i < got; i++)
	{
		const Column *c = &tab(x, ti)->cols[cols[i]];

		if (c->not_null)
			continue;
		if (bad == 0 && x->d->bad == NULL)
		{
			x->d->bad = "nullable group key without a filter";
			continue;
		}
		fr_addt(q->where, "%s.%s IS NOT NULL", a, c->name);
	}
	return got;
}

static void
set_key_constructs(X *x, int n)
{
	x->d->constructs |= n > 1 ? C_GKEYN : C_GKEY1;
}

/* GROUP BY, DISTINCT or DISTINCT ON columns of a regular table */
static bool
xs_group(X *x, Q *q, int kind)
{
	int			ti = rnd(&x->r, x->s->nbase);
	int			cols[2];
	int			n;
	char		a[8] = "o";
	Buf			order = {0};

	use(x, ti);
	fr_addt(q->from, "%s %s", tab(x, ti)->name, a);
	n = group_cols(x, q, a, ti, cols, true);
	if (n == 0)
		return false;
	if (kind == 0)
	{
		x->d->shape = "group key";
		set_key_constructs(x, n);
		for (int i = 0; i < n; i++)
		{
			key_item(x, q, a, tab(x, ti)->cols[cols[i]].name);
			fr_addt(q->groupby, "%s.%s", a, tab(x, ti)->cols[cols[i]].name);
		}
		buf_append(&order, "%s.%s", a, pkname(x, ti));
		group_aggs(x, q, a, ti, buf_str(&order));
		if (chance(&x->r, 25))
			parent_join(x, q, a, ti, true);
		if (chance(&x->r, 35))
		{
			int			c = pick_col(x, ti, p_num, true);
			char	   *num = c >= 0 ? strf("%s.%s", a, tab(x, ti)->cols[c].name) : NULL;

			having(x, q, num);
			free(num);
		}
		x->keyopt = chance(&x->r, 20);
	}
	else if (kind == 1)
	{
		x->d->shape = "distinct";
		x->d->constructs |= C_DISTINCT;
		free(q->selkw->text);
		q->selkw->text = xstrdup("SELECT DISTINCT ");
		for (int i = 0; i < n; i++)
			key_item(x, q, a, tab(x, ti)->cols[cols[i]].name);
		x->keyopt = chance(&x->r, 15);
	}
	else
	{
		/* DISTINCT ON (k...) k..., cols ORDER BY k..., c [DESC], pk */
		int			c = pick_col(x, ti, NULL, true);
		bool		ties = x->d->bad == NULL && chance(&x->r, 15);

		x->d->shape = "distinct on";
		x->d->constructs |= C_DISTINCT_ON;
		free(q->selkw->text);
		buf_puts(&order, "SELECT DISTINCT ON (");
		for (int i = 0; i < n; i++)
			buf_append(&order, "%s%s.%s", i ? ", " : "", a, tab(x, ti)->cols[cols[i]].name);
		buf_puts(&order, ") ");
		q->selkw->text = xstrdup(buf_str(&order));
		buf_reset(&order);
		for (int i = 0; i < n; i++)
			key_item(x, q, a, tab(x, ti)->cols[cols[i]].name);
		some_items(x, q, a, ti, 3);
		if (chance(&x->r, 25))
			parent_join(x, q, a, ti, false);
		buf_puts(&order, "\nORDER BY ");
		for (int i = 0; i < n; i++)
			buf_append(&order, "%s.%s, ", a, tab(x, ti)->cols[cols[i]].name);
		if (c >= 0)
			buf_append(&order, "%s.%s%s%s", a, tab(x, ti)->cols[c].name,
					   chance(&x->r, 40) ? " DESC" : "", chance(&x->r, 20) ? " NULLS FIRST" : "");
		if (ties && c >= 0)
			x->d->bad = "DISTINCT ON with ties";
		else
			buf_append(&order, "%s%s.%s%s", c >= 0 ? ", " : "", a, pkname(x, ti),
					   chance(&x->r, 30) ? " DESC" : "");
		fr_addt(q->tail, "%s", buf_str(&order));
		x->keyopt = chance(&x->r, 15);
	}
	maybe_where(x, q, a, ti, 35);
	buf_free(&order);
	return true;
}

static void
use_x(X *x, unsigned what)
{
	x->d->xused = true;
	x->d->constructs |= what;
	use(x, x->s->xref);
}

/* tb_xc: the composite key as the model's, or grouped by st, day */
static bool
xs_composite(X *x, Q *q)
{
	int			k = rnd(&x->r, 100);
	const char *refk = pkname(x, x->s->xref);
	const char *reft = tab(x, x->s->xref)->name;

	use_x(x, C_COMPOSITE);
	fr_addt(q->from, "tb_xc x");
	if (k < 45)
	{
		x->d->shape = "composite key";
		if (chance(&x->r, 20))
		{
			key_item(x, q, "x", "tb");
			key_item(x, q, "x", "ta");
		}
		else
		{
			key_item(x, q, "x", "ta");
			key_item(x, q, "x", "tb");
		}
		for (int i = rnd_range(&x->r, 1, 3); i > 0; i--)
		{
			static const char *const cols[] = {"st", "day", "grp", "nk", "amt", "n", "ref", "refs"};

			item(x, q, "x.%s", PICK(&x->r, cols));
		}
		if (chance(&x->r, 40))
		{
			fr_add(q->from, fr_text("\n%s %s t ON t.%s = x.ref", chance(&x->r, 70) ? "LEFT JOIN" : "JOIN",
									reft, refk));
			item(x, q, "t.%s", refk);
		}
		if (chance(&x->r, 30))
			item(x, q, "(SELECT count(*) FROM tb_xm m WHERE m.a = x.ref)");
		if (chance(&x->r, 30))
			fr_add(q->where, fr_drop(fr_text("x.%s", PICK(&x->r, ((const char *const[]) {
				"day > 1", "st <> 'sent'", "grp IS NOT NULL", "amt > 0", "nk = 1"})))));
		x->keyopt = chance(&x->r, 30);
		return true;
	}
	if (k < 80)
	{
		/* GROUP BY st, day (or one of them, or a bad column) */
		static const char *const good[] = {"st", "day", "ta", "tb"};
		const char *g1 = PICK(&x->r, good);
		const char *g2 = PICK(&x->r, good);
		int			b = rnd(&x->r, 100);

		x->d->shape = "composite group key";
		if (b < 8)
		{
			g1 = "grp";
			x->d->bad = "nullable group key without a filter";
		}
		else if (b < 16)
		{
			g1 = "nk";
			x->d->bad = "numeric group key";
		}
		else if (b < 28)
		{
			g1 = "grp";
			fr_addt(q->where, "x.grp IS NOT NULL");
		}
		key_item(x, q, "x", g1);
		fr_addt(q->groupby, "x.%s", g1);
		if (strcmp(g1, g2) != 0 && chance(&x->r, 70))
		{
			key_item(x, q, "x", g2);
			fr_addt(q->groupby, "x.%s", g2);
		}
		set_key_constructs(x, x->nkeys);
		item(x, q, "count(*)");
		if (chance(&x->r, 60))
			item(x, q, "sum(x.amt)");
		if (chance(&x->r, 50))
			item(x, q, "jsonb_agg(x.tb ORDER BY x.ta, x.tb)");
		if (chance(&x->r, 30))
			item(x, q, "max(x.n)");
		if (chance(&x->r, 30))
			item(x, q, "array_agg(x.ref ORDER BY x.ta DESC, x.tb)");
		if (chance(&x->r, 30))
			having(x, q, "x.amt");
		x->keyopt = chance(&x->r, 30);
		return true;
	}
	/* DISTINCT ON (st) ... ORDER BY st, day, ta, tb */
	x->d->shape = "composite distinct on";
	x->d->constructs |= C_DISTINCT_ON;
	free(q->selkw->text);
	q->selkw->text = xstrdup("SELECT DISTINCT ON (x.st) ");
	key_item(x, q, "x", "st");
	item(x, q, "x.ta");
	item(x, q, "x.tb");
	if (chance(&x->r, 50))
		item(x, q, "x.amt");
	if (chance(&x->r, 15))
	{
		fr_addt(q->tail, "\nORDER BY x.st, x.day DESC, x.ta");
		x->d->bad = "DISTINCT ON with ties";
	}
	else
		fr_addt(q->tail, "\nORDER BY x.st, x.day%s, x.ta, x.tb%s", chance(&x->r, 50) ? " DESC" : "",
				chance(&x->r, 30) ? " DESC" : "");
	return true;
}

/* a UNION ALL branch over source (base table ti, or -1: tb_xm, -2: tb_xp) */
static Frag *
branch(X *x, int src, const char *tag, bool tag_first, bool notag, int nv, bool cnt)
{
	Q			q;
	const char *name, *pk;
	char		a[16];
	int			c;

	q_init(&q);
	snprintf(a, sizeof a, "u%d", ++x->nalias);
	if (src >= 0)
	{
		name = tab(x, src)->name;
		pk = pkname(x, src);
		use(x, src);
	}
	else
	{
		name = src == -1 ? "tb_xm" : "tb_xp";
		pk = src == -1 ? "pk_xm" : "pk_xp";
		use_x(x, src == -2 ? C_PART : 0);
	}
	fr_addt(q.from, "%s %s", name, a);
	if (!notag && tag_first)
		fr_addt(q.sel, "%s AS kind", tag);
	fr_addt(q.sel, "%s.%s AS id", a, pk);
	if (!notag && !tag_first)
		fr_addt(q.sel, "%s AS kind", tag);
	if (nv >= 1)
	{
		if (src >= 0 && (c = pick_col(x, src, p_num, true)) >= 0)
			fr_addt(q.sel, "%s.%s::numeric AS v1", a, tab(x, src)->cols[c].name);
		else if (src < 0)
			fr_addt(q.sel, "%s.v::numeric AS v1", a);
		else
			fr_addt(q.sel, "NULL::numeric AS v1");
	}
	if (nv >= 2)
	{
		if (src >= 0 && (c = pick_col(x, src, p_text, true)) >= 0)
			fr_addt(q.sel, tab(x, src)->cols[c].type == TY_TEXT ? "%s.%s COLLATE \"C\" AS v2" :
					"%s.%s::text AS v2", a, tab(x, src)->cols[c].name);
		else if (src == -2)
			fr_addt(q.sel, "%s.w AS v2", a);
		else
			fr_addt(q.sel, "NULL::text AS v2");
	}
	if (cnt)
	{
		int			col;
		int			ct = src >= 0 ? child_of(x, src, &col) : -1;
		char		al[16];

		snprintf(al, sizeof al, "c%d", ++x->nalias);
		if (ct >= 0)
		{
			use(x, ct);
			fr_addt(q.sel, "(SELECT count(*) FROM %s %s WHERE %s.%s = %s.%s) AS v3",
					tab(x, ct)->name, al, al, tab(x, ct)->cols[col].name, a, pk);
		}
		else if (src == -1 && x->s->t[x->s->xref].cols[0].type == TY_INT)
			fr_addt(q.sel, "(SELECT count(*) FROM tb_xp %s WHERE %s.ref = %s.a) AS v3", al, al, a);
		else
			fr_addt(q.sel, "0::bigint AS v3");
	}
	if (src >= 0)
		maybe_where(x, &q, a, src, 30);
	else if (chance(&x->r, 30))
		fr_addt(q.where, "%s.v > %d", a, rnd_range(&x->r, 0, 4));
	return q.top;
}

static bool
xs_union(X *x, Q *q)
{
	int			srcs[MAXTABLES + 2];
	int			nsrc = 0;
	int			first, nb = rnd_range(&x->r, 2, 3);
	bool		tag_first = chance(&x->r, 70);
	bool		text_tag = chance(&x->r, 60);
	int			nv = rnd(&x->r, 3);
	bool		cnt = chance(&x->r, 35);
	int			b = rnd(&x->r, 100);
	Frag	   *u;
	TypeKind	kt;
	static const char *const tags[] = {"post", "comment", "event", "note"};

	x->d->shape = "union all";
	x->d->constructs |= C_UNION;
	if (chance(&x->r, 20))
	{
		/* tb_xc twice: a composite key in each branch */
		bool		notag = b < 12;

		use_x(x, C_COMPOSITE);
		u = fr_seq();
		fr_addt(u, "SELECT %sx.ta, x.tb, x.st AS v FROM tb_xc x WHERE x.day = 1\n"
				"UNION ALL\nSELECT %sy.ta, y.tb, y.st FROM tb_xc y WHERE y.day <> 1",
				notag ? "" : "'first' AS kind, ", notag ? "" : "'second', ");
		if (notag)
			x->d->bad = "UNION ALL without a tag";
		fr_free(q->top);
		q->top = u;
		return true;
	}
	first = rnd(&x->r, x->s->nbase + 2) - 2;
	kt = first >= 0 ? tab(x, first)->cols[0].type : TY_INT;
	for (int i = 0; i < x->s->nbase; i++)
		if (tab(x, i)->cols[0].type == kt)
			srcs[nsrc++] = i;
	if (kt == TY_INT)
	{
		srcs[nsrc++] = -1;
		srcs[nsrc++] = -2;
	}
	/* b < 10: a UNION with a tag, which removes no row (a good one) */
	u = fr_list(NULL, b < 10 ? "\nUNION\n" : "\nUNION ALL\n", NULL);
	if (b >= 10 && b < 18)
		x->d->bad = "UNION ALL without a tag";
	else if (b >= 18 && b < 23)
		x->d->bad = "UNION ALL with a repeated tag";
	for (int i = 0; i < nb; i++)
	{
		int			src = i == 0 ? first : srcs[rnd(&x->r, nsrc)];
		char	   *tag = text_tag ? strf("'%s'", tags[i]) : strf("%d", i + 1);
		Frag	   *f;

		if (b >= 18 && b < 23 && i == 1)
		{
			free(tag);
			tag = text_tag ? strf("'%s'", tags[0]) : strf("1");
		}
		f = branch(x, src, tag, tag_first, b >= 10 && b < 18, nv, cnt);
		fr_add(u, i >= 2 ? fr_drop(f) : f);
		free(tag);
	}
	fr_free(q->top);
	q->top = u;
	return true;
}

/* window functions over table ti (or tb_xp, tb_xc), partitioned by selected columns */
static bool
xs_window(X *x, Q *q)
{
	int			k = rnd(&x->r, 100);
	int			b = rnd(&x->r, 100);
	const char *a = "o";
	char		part[NAMELEN * 2 + 8];
	char		ord[NAMELEN * 4 + 32];
	char		tie[NAMELEN * 2 + 16];
	char		num[NAMELEN + 8];
	char		val[NAMELEN + 8];
	Buf			over = {0};
	bool		named = chance(&x->r, 25);

	x->d->shape = "window";
	x->d->constructs |= C_WINDOW;
	if (k < 20)
	{
		use_x(x, C_PART);
		fr_addt(q->from, "tb_xp o");
		key_item(x, q, a, "pk_xp");
		snprintf(part, sizeof part, "o.part");
		fr_addt(q->sel, "o.part");
		snprintf(ord, sizeof ord, "o.v%s", chance(&x->r, 40) ? " DESC" : "");
		snprintf(tie, sizeof tie, "o.pk_xp");
		snprintf(num, sizeof num, "o.v");
		snprintf(val, sizeof val, "o.w");
	}
	else if (k < 35)
	{
		use_x(x, C_COMPOSITE);
		fr_addt(q->from, "tb_xc o");
		key_item(x, q, a, "ta");
		key_item(x, q, a, "tb");
		if (chance(&x->r, 50))
		{
			snprintf(part, sizeof part, "o.st");
			fr_addt(q->sel, "o.st");
		}
		else
		{
			snprintf(part, sizeof part, "o.ta");
		}
		snprintf(ord, sizeof ord, "o.%s%s", chance(&x->r, 50) ? "day" : "amt",
				 chance(&x->r, 40) ? " DESC" : "");
		snprintf(tie, sizeof tie, "o.ta, o.tb");
		snprintf(num, sizeof num, "o.amt");
		snprintf(val, sizeof val, "o.n");
	}
	else
	{
		int			ti = rnd(&x->r, x->s->nbase);
		int			pc = pick_col(x, ti, p_key, true);
		int			oc = pick_col(x, ti, NULL, true);
		int			nc = pick_col(x, ti, p_num, true);
		int			vc = pick_col(x, ti, NULL, true);

		if (pc < 0 || oc < 0)
			return false;
		use(x, ti);
		fr_addt(q->from, "%s o", tab(x, ti)->name);
		key_item(x, q, a, pkname(x, ti));
		snprintf(part, sizeof part, "o.%s", tab(x, ti)->cols[pc].name);
		fr_addt(q->sel, "o.%s", tab(x, ti)->cols[pc].name);
		if (!tab(x, ti)->cols[pc].not_null)
		{
			if (b >= 16 && chance(&x->r, 12))
				x->d->bad = "window partitioned by a nullable column";
			else
				fr_addt(q->where, "o.%s IS NOT NULL", tab(x, ti)->cols[pc].name);
		}
		snprintf(ord, sizeof ord, "o.%s%s", tab(x, ti)->cols[oc].name,
				 chance(&x->r, 40) ? " DESC NULLS LAST" : "");
		snprintf(tie, sizeof tie, "o.%s%s", pkname(x, ti), chance(&x->r, 30) ? " DESC" : "");
		snprintf(num, sizeof num, nc >= 0 ? "o.%s" : "1", nc >= 0 ? tab(x, ti)->cols[nc].name : "");
		snprintf(val, sizeof val, "o.%s", tab(x, ti)->cols[vc].name);
		maybe_where(x, q, a, ti, 30);
		if (chance(&x->r, 20))
			parent_join(x, q, a, ti, false);
	}
	if (b < 8)
	{
		buf_append(&over, "ORDER BY %s, %s", ord, tie);
		x->d->bad = "window without PARTITION BY";
	}
	else if (b < 16)
	{
		buf_append(&over, "PARTITION BY %s ORDER BY %s", part, ord);
		x->d->bad = "window ordered with ties";
	}
	else
		buf_append(&over, "PARTITION BY %s ORDER BY %s, %s", part, ord, tie);
	if (named)
		fr_addt(q->tail, "\nWINDOW w AS (%s)", buf_str(&over));
	for (int i = rnd_range(&x->r, 1, 3); i > 0; i--)
	{
		static const char *const fns[] = {"rank()", "row_number()", "dense_rank()", "sum", "lag",
		"first_value", "count"};
		const char *fn = PICK(&x->r, fns);
		char	   *w = named ? xstrdup("w") : strf("(%s)", buf_str(&over));

		if (strcmp(fn, "sum") == 0)
			item(x, q, "sum(%s) OVER %s", num, w);
		else if (strcmp(fn, "lag") == 0)
			item(x, q, "lag(%s) OVER %s", val, w);
		else if (strcmp(fn, "first_value") == 0)
			item(x, q, "first_value(%s) OVER %s", val, w);
		else if (strcmp(fn, "count") == 0)
			item(x, q, "count(*) OVER %s", w);
		else
			item(x, q, "%s OVER %s", fn, w);
		free(w);
	}
	buf_free(&over);
	return true;
}

/* = ANY (array): tb_xc's refs, from either side */
static bool
xs_any(X *x, Q *q)
{
	int			ti = x->s->xref;
	const char *pk = pkname(x, ti);
	int			v = pick_col(x, ti, p_plainjson, true);

	use_x(x, C_ANY | C_COMPOSITE);
	x->d->shape = "array route";
	if (chance(&x->r, 50))
	{
		fr_addt(q->from, "tb_xc x");
		key_item(x, q, "x", "ta");
		key_item(x, q, "x", "tb");
		item(x, q, "(SELECT count(*) FROM %s t WHERE t.%s = ANY (x.refs))", tab(x, ti)->name, pk);
		item(x, q, "(SELECT jsonb_agg(t.%s ORDER BY t.%s) FROM %s t WHERE t.%s = ANY (x.refs))",
			 v >= 0 ? tab(x, ti)->cols[v].name : pk, pk, tab(x, ti)->name, pk);
		if (chance(&x->r, 30))
			fr_add(q->where, fr_drop(fr_text("EXISTS (SELECT 1 FROM %s t WHERE t.%s = ANY (x.refs))",
											 tab(x, ti)->name, pk)));
		return true;
	}
	fr_addt(q->from, "%s t", tab(x, ti)->name);
	key_item(x, q, "t", pk);
	some_items(x, q, "t", ti, 2);
	item(x, q, "(SELECT count(*) FROM tb_xc x WHERE t.%s = ANY (x.refs))", pk);
	if (chance(&x->r, 60))
		item(x, q, "(SELECT jsonb_agg(x.tb ORDER BY x.ta, x.tb) FROM tb_xc x WHERE t.%s = ANY (x.refs)%s)",
			 pk, chance(&x->r, 30) ? " AND x.st <> 'new'" : "");
	if (chance(&x->r, 25))
		fr_add(q->where, fr_drop(fr_text("%sEXISTS (SELECT 1 FROM tb_xc x WHERE t.%s = ANY (x.refs))",
										 chance(&x->r, 30) ? "NOT " : "", pk)));
	return true;
}

/* an OR of equalities to the key: tb_xm's a and b, or two references of a child */
static bool
xs_or(X *x, Q *q)
{
	int			ti = x->s->xref;
	const char *pk = pkname(x, ti);
	bool		bad = chance(&x->r, 15);
	char	   *c = bad ? strf("m.a = t.%s OR m.v > 3", pk) : strf("m.a = t.%s OR m.b = t.%s", pk, pk);

	use_x(x, C_OR);
	x->d->shape = "or route";
	if (bad)
		x->d->bad = "OR with a non-equality";
	fr_addt(q->from, "%s t", tab(x, ti)->name);
	key_item(x, q, "t", pk);
	some_items(x, q, "t", ti, 2);
	item(x, q, "(SELECT count(*) FROM tb_xm m WHERE %s)", c);
	if (chance(&x->r, 50))
		item(x, q, "(SELECT jsonb_agg(m.v ORDER BY m.pk_xm) FROM tb_xm m WHERE %s)", c);
	if (chance(&x->r, 30))
		item(x, q, "(SELECT coalesce(sum(m.v), 0) FROM tb_xm m WHERE (%s) AND m.v > 1)", c);
	if (chance(&x->r, 20))
		fr_add(q->where, fr_drop(fr_text("EXISTS (SELECT 1 FROM tb_xm m WHERE %s)", c)));
	/* a regular child with two references to the same table */
	for (int t = 0; t < x->s->nbase; t++)
	{
		int			r1 = -1, r2 = -1;

		for (int i = 1; i < tab(x, t)->ncols; i++)
			if (tab(x, t)->cols[i].fk == ti && !tab(x, t)->cols[i].hidden)
			{
				if (r1 < 0)
					r1 = i;
				else if (r2 < 0)
					r2 = i;
			}
		if (r2 >= 0 && chance(&x->r, 70))
		{
			use(x, t);
			item(x, q, "(SELECT count(*) FROM %s k WHERE k.%s = t.%s OR k.%s = t.%s)",
				 tab(x, t)->name, tab(x, t)->cols[r1].name, pk, tab(x, t)->cols[r2].name, pk);
			break;
		}
	}
	free(c);
	return true;
}

/* "strategy": "refresh": an uncorrelated subquery, or a range condition */
static bool
xs_refresh(X *x, Q *q)
{
	int			ti = rnd(&x->r, x->s->nbase);
	int			u = rnd(&x->r, x->s->nbase + 2) - 2;
	bool		bad = chance(&x->r, 15);
	int			oc = pick_col(x, ti, p_int, true);
	const char *un;
	char		uc[NAMELEN];

	x->d->shape = "refresh";
	x->d->constructs |= C_REFRESH;
	x->refresh = !bad;
	if (bad)
		x->d->bad = "no route without the refresh strategy";
	use(x, ti);
	fr_addt(q->from, "%s o", tab(x, ti)->name);
	key_item(x, q, "o", pkname(x, ti));
	some_items(x, q, "o", ti, 2);
	if (u >= 0)
	{
		int			c = pick_col(x, u, p_int, true);

		use(x, u);
		un = tab(x, u)->name;
		snprintf(uc, sizeof uc, "%s", c >= 0 ? tab(x, u)->cols[c].name : "");
	}
	else
	{
		use_x(x, u == -1 ? C_COMPOSITE : C_PART);
		un = u == -1 ? "tb_xc" : "tb_xp";
		snprintf(uc, sizeof uc, "%s", u == -1 ? "day" : "v");
	}
	if (oc >= 0 && uc[0] && chance(&x->r, 55))
		item(x, q, "(SELECT count(*) FROM %s r WHERE r.%s %s o.%s)", un, uc,
			 chance(&x->r, 50) ? ">" : "<=", tab(x, ti)->cols[oc].name);
	else
		item(x, q, "(SELECT count(*) FROM %s r)", un);
	if (uc[0] && chance(&x->r, 30))
		item(x, q, "(SELECT max(r.%s) FROM %s r)", uc, un);
	if (chance(&x->r, 40))
		child_aggs(x, q, "o", ti, pkname(x, ti));
	maybe_where(x, q, "o", ti, 25);
	return true;
}

/* RIGHT JOIN with the root on the right */
static bool
xs_right(X *x, Q *q)
{
	int			ti = rnd(&x->r, x->s->nbase);
	int			fk[MAXCOLS];
	int			n = schema_fk_cols(tab(x, ti), fk);
	const Column *c;
	int			pt, v;

	if (n == 0)
		return false;
	c = &tab(x, ti)->cols[fk[rnd(&x->r, n)]];
	pt = c->fk;
	x->d->shape = "right join";
	x->d->constructs |= C_RIGHT;
	use(x, ti);
	use(x, pt);
	fr_addt(q->from, "%s p RIGHT JOIN %s o ON %s", tab(x, pt)->name, tab(x, ti)->name,
			chance(&x->r, 50) ? strf("p.%s = o.%s", pkname(x, pt), c->name) :
			strf("o.%s = p.%s", c->name, pkname(x, pt)));
	key_item(x, q, "o", pkname(x, ti));
	some_items(x, q, "o", ti, 2);
	v = pick_col(x, pt, NULL, true);
	item(x, q, "p.%s", v >= 0 ? tab(x, pt)->cols[v].name : pkname(x, pt));
	if (chance(&x->r, 30))
		parent_join(x, q, "o", ti, false);
	if (chance(&x->r, 30))
		child_aggs(x, q, "o", ti, pkname(x, ti));
	if (chance(&x->r, 25))
		fr_add(q->where, fr_drop(fr_text("p.%s IS NULL", pkname(x, pt))));
	return true;
}

/* the partitioned table: as root, grouped by part, or as a child */
static bool
xs_part(X *x, Q *q)
{
	int			k = rnd(&x->r, 100);
	int			ti = x->s->xref;
	const char *pk = pkname(x, ti);

	use_x(x, C_PART);
	if (k < 40)
	{
		bool		alone = chance(&x->r, 12);

		x->d->shape = "partitioned root";
		if (alone)
			fr_addt(q->from, "tb_xp_%d x", rnd_range(&x->r, 1, x->s->xparts));
		else
			fr_addt(q->from, "tb_xp x");
		if (alone)
			x->d->bad = "a partition alone";
		key_item(x, q, "x", "pk_xp");
		for (int i = rnd_range(&x->r, 1, 3); i > 0; i--)
		{
			static const char *const cols[] = {"part", "v", "w", "ref"};

			item(x, q, "x.%s", PICK(&x->r, cols));
		}
		if (chance(&x->r, 40))
		{
			fr_add(q->from, fr_text("\nLEFT JOIN %s t ON t.%s = x.ref", tab(x, ti)->name, pk));
			item(x, q, "t.%s", pk);
		}
		if (chance(&x->r, 25))
			item(x, q, "(SELECT count(*) FROM tb_xm m WHERE m.pk_xm = x.v)");
		if (chance(&x->r, 30))
			fr_add(q->where, fr_drop(fr_text("x.%s", PICK(&x->r, ((const char *const[]) {
				"v > 2", "part <> 2", "w IS NOT NULL", "pk_xp >= 50"})))));
		return true;
	}
	if (k < 65)
	{
		x->d->shape = "partitioned group key";
		fr_addt(q->from, "tb_xp x");
		key_item(x, q, "x", "part");
		fr_addt(q->groupby, "x.part");
		x->d->constructs |= C_GKEY1;
		item(x, q, "count(*)");
		if (chance(&x->r, 60))
			item(x, q, "sum(x.v)");
		if (chance(&x->r, 50))
			item(x, q, "jsonb_agg(x.w ORDER BY x.pk_xp)");
		if (chance(&x->r, 30))
			having(x, q, "x.v");
		return true;
	}
	x->d->shape = "partitioned child";
	fr_addt(q->from, "%s t", tab(x, ti)->name);
	key_item(x, q, "t", pk);
	some_items(x, q, "t", ti, 2);
	item(x, q, "(SELECT count(*) FROM tb_xp x WHERE x.ref = t.%s)", pk);
	if (chance(&x->r, 60))
		item(x, q, "(SELECT jsonb_agg(x.v ORDER BY x.pk_xp) FROM tb_xp x WHERE x.ref = t.%s%s)", pk,
			 chance(&x->r, 30) ? " AND x.part = 1" : "");
	if (chance(&x->r, 25))
		fr_add(q->where, fr_drop(fr_text("EXISTS (SELECT 1 FROM tb_xp x WHERE x.ref = t.%s)", pk)));
	return true;
}

/* ------------------------------------------------------------------ */
/* grouping expressions as keys                                        */
/* ------------------------------------------------------------------ */

/*
 * An expression template: '@' stands for the column (or alias.column).
 * kind: C_GX_ARITH, C_GX_TEXT or C_GX_TIME; nullable: NULL when its input
 * is, so a top-level WHERE <expr> IS NOT NULL must go with it.
 */
typedef struct GxTmpl
{
	const char *t;
	unsigned	kind;
	bool		nullable;
	const char *col;			/* nullable: the column, a filter on it does too */
} GxTmpl;

/* over tb_xe's columns ('@' is the alias) */
static const GxTmpl xe_good[] = {
	{"@.x / 10", C_GX_ARITH, false, NULL},
	{"@.x % 3", C_GX_ARITH, false, NULL},
	{"abs(@.x)", C_GX_ARITH, false, NULL},
	{"@.x + @.fk_xt", C_GX_ARITH, false, NULL},
	{"(@.x / 5) * 5", C_GX_ARITH, false, NULL},
	{"@.x > 0", C_GX_ARITH, false, NULL},
	{"@.amt::numeric(10,2)", C_GX_ARITH, false, NULL},
	{"@.y / 2", C_GX_ARITH, true, "y"},
	{"lower(@.name)", C_GX_TEXT, false, NULL},
	{"upper(@.name)", C_GX_TEXT, false, NULL},
	{"split_part(@.code, '-', 1)", C_GX_TEXT, false, NULL},
	{"left(@.code, 2)", C_GX_TEXT, false, NULL},
	{"@.code || '/' || lower(@.name)", C_GX_TEXT, false, NULL},
	{"length(@.name)", C_GX_TEXT, false, NULL},
	{"upper(@.kind)", C_GX_TEXT, true, "kind"},
	{"lower(@.kind)", C_GX_TEXT, true, "kind"},
	{"date_trunc('day', @.created_at)", C_GX_TIME, false, NULL},
	{"date_trunc('hour', @.created_at)", C_GX_TIME, false, NULL},
	{"(@.created_at AT TIME ZONE 'UTC')::date", C_GX_TIME, false, NULL},
	{"(@.created_at AT TIME ZONE 'Asia/Kathmandu')::date", C_GX_TIME, false, NULL},
	{"date_trunc('month', @.created_at AT TIME ZONE 'UTC')", C_GX_TIME, false, NULL},
	{"@.created_at::date", C_GX_TIME, false, NULL},
	{"date_trunc('day', @.created_at, 'America/St_Johns')", C_GX_TIME, false, NULL},
	{"date_trunc('day', @.seen_at)", C_GX_TIME, true, "seen_at"},
	{"(@.seen_at AT TIME ZONE 'UTC')::date", C_GX_TIME, true, "seen_at"},
	{"coalesce(@.kind, 'none')", C_GX_TEXT, false, NULL},
	{"lower(coalesce(@.kind, @.code))", C_GX_TEXT, false, NULL},
	{"coalesce(@.y, 0) / 3", C_GX_ARITH, false, NULL},
};

static const char *const xe_bad_numeric[] = {
	"@.amt + 0", "@.price * 2", "round(@.amt)", "extract(day from @.created_at)"
};
static const char *const xe_bad_now[] = {
	"(now() - @.created_at) > interval '1 day'", "date_trunc('day', now()) > @.created_at",
	"current_date - (@.created_at AT TIME ZONE 'UTC')::date",
	"now()::date - (@.created_at AT TIME ZONE 'UTC')::date"
};
static const char *const xe_bad_float[] = {"@.score * 2", "@.score + @.x"};

/* over a column of the random schema ('@' is alias.column) */
static const char *const gx_int[] = {"@ / 3", "@ % 4", "abs(@)", "@ + 1", "@ * 2"};
static const char *const gx_text[] = {"lower(@)", "upper(@)", "left(@, 1)", "length(@)",
"split_part(@, ' ', 1)", "@ || '!'"};
static const char *const gx_tstz[] = {"date_trunc('day', @)", "(@ AT TIME ZONE 'UTC')::date",
"date_trunc('year', @)", "date_trunc('hour', @)"};

enum
{
	GB_NONE, GB_NULLABLE, GB_JOINED_EXPR, GB_UNFIXED, GB_NUMERIC, GB_NOW, GB_FLOAT, GB_N
};

static const char *const gb_names[GB_N] = {
	NULL, "nullable group expression without a filter", "group expression over a joined column",
	"joined column not fixed by a grouped root column", "numeric group expression",
	"now() in a group expression", "float group expression"
};

static char *
subst(const char *tmpl, const char *what)
{
	Buf			b = {0};

	for (const char *p = tmpl; *p; p++)
		if (*p == '@')
			buf_puts(&b, what);
		else
			buf_append(&b, "%c", *p);
	return b.data;
}

/* a grouped item: the expression, its output name, whether it is in the key */
typedef struct GItem
{
	char	   *sql;
	char		name[NAMELEN];
	bool		key;
} GItem;

typedef struct GList
{
	GItem		v[6];
	int			n;
} GList;

static void
gl_add(GList *g, char *sql, const char *name, bool key)
{
	if (g->n == lengthof(g->v))
	{
		free(sql);
		return;
	}
	g->v[g->n].sql = sql;
	snprintf(g->v[g->n].name, NAMELEN, "%s", name);
	g->v[g->n].key = key;
	g->n++;
}

static void
gl_free(GList *g)
{
	for (int i = 0; i < g->n; i++)
		free(g->v[i].sql);
	g->n = 0;
}

static void
gx_mark(X *x, unsigned what)
{
	x->d->constructs |= what | C_GX_ANY;
}

/*
 * The grouped items: selected first (so their positions do not move when
 * the shrinker drops items), under their names, in GROUP BY as the
 * expression, the output name or the position.  Key items are recorded for
 * the "key" option.
 */
static void
gl_emit(X *x, Q *q, const GList *g)
{
	for (int i = 0; i < g->n; i++)
	{
		const GItem *it = &g->v[i];
		int			m = rnd(&x->r, 100);

		fr_addt(q->sel, "%s AS %s", it->sql, it->name);
		if (it->key && x->nkeys < 4)
			snprintf(x->keys[x->nkeys++], NAMELEN, "%s", it->name);
		if (m < 60)
			fr_addt(q->groupby, "%s", it->sql);
		else if (m < 80)
			fr_addt(q->groupby, "%s", it->name);
		else
			fr_addt(q->groupby, "%d", i + 1);
	}
}

/* a top-level filter that makes an expression NOT NULL */
static void
gx_filter(X *x, Q *q, const char *sql)
{
	gx_mark(x, C_GX_FILTER);
	fr_addt(q->where, "%s IS NOT NULL", sql);
}

/* aggregates over tb_xe's rows (alias a) */
static void
xe_aggs(X *x, Q *q, const char *a)
{
	if (chance(&x->r, 80))
		item(x, q, "count(*)");
	if (chance(&x->r, 50))
		item(x, q, "sum(%s.price)", a);
	if (chance(&x->r, 30))
		item(x, q, "sum(%s.x)", a);
	if (chance(&x->r, 30))
		item(x, q, "%s(%s.created_at)", chance(&x->r, 50) ? "max" : "min", a);
	if (chance(&x->r, 30))
		item(x, q, "jsonb_agg(%s.pk_xe ORDER BY %s.pk_xe)", a, a);
	if (chance(&x->r, 20))
		item(x, q, "array_agg(%s.code ORDER BY %s.created_at, %s.pk_xe)", a, a, a);
	if (chance(&x->r, 20))
		item(x, q, "count(DISTINCT %s.kind)", a);
	if (chance(&x->r, 15))
		item(x, q, "bool_or(%s.x > 5)", a);
}

static void
gx_having(X *x, Q *q, const char *num)
{
	gx_mark(x, C_GX_HAVING);
	switch (rnd(&x->r, 3))
	{
		case 0:
			fr_add(q->having, fr_drop(fr_text("count(*) %s %d", chance(&x->r, 70) ? ">" : "=",
											  rnd_range(&x->r, 1, 2))));
			break;
		case 1:
			fr_add(q->having, fr_drop(fr_text("coalesce(sum(%s), 0) %s %d", num,
											  chance(&x->r, 50) ? ">" : "<=",
											  rnd_range(&x->r, -2, 10))));
			break;
		default:
			fr_add(q->having, fr_drop(fr_text("max(%s) > %d", num, rnd_range(&x->r, -3, 8))));
			break;
	}
}

static void
use_xe(X *x)
{
	x->d->xe = true;
}

/* one good expression of tb_xe (alias a) into g; its filter if it needs one */
static void
xe_expr(X *x, Q *q, GList *g, const char *a, bool no_filter)
{
	const GxTmpl *t;
	char	   *sql;
	char		name[NAMELEN];

	for (int tries = 0;; tries++)
	{
		bool		dup = false;

		t = &PICK(&x->r, xe_good);
		sql = subst(t->t, a);
		for (int i = 0; i < g->n; i++)
			dup |= strcmp(g->v[i].sql, sql) == 0;
		if (!dup || tries > 8)
			break;
		free(sql);
	}
	gx_mark(x, t->kind);
	if (t->nullable && !no_filter && t->col && chance(&x->r, 35))
	{
		/* the column filtered: strict over it is NOT NULL as well */
		gx_mark(x, C_GX_FILTER);
		fr_addt(q->where, "%s.%s IS NOT NULL", a, t->col);
	}
	else if (t->nullable && !no_filter)
		gx_filter(x, q, sql);
	snprintf(name, sizeof name, "g%d", g->n + 1);
	gl_add(g, sql, name, true);
}

/* a bad expression of tb_xe of the kind asked for */
static void
xe_bad_expr(X *x, GList *g, const char *a, int bad)
{
	const char *t = bad == GB_NUMERIC ? PICK(&x->r, xe_bad_numeric) :
		bad == GB_NOW ? PICK(&x->r, xe_bad_now) : PICK(&x->r, xe_bad_float);
	char		name[NAMELEN];

	snprintf(name, sizeof name, "g%d", g->n + 1);
	gl_add(g, subst(t, a), name, true);
	x->d->bad = gb_names[bad];
}

static void
gx_where(X *x, Q *q, const char *a)
{
	static const char *const conds[] = {
		"@.x > 0", "@.kind IS NOT NULL", "@.price > 0", "@.code <> ''",
		"@.created_at >= '2024-03-10 00:00:00+00'", "@.y IS NULL"
	};

	/*
	 * No timestamptz literal without an offset: readmodel.create() binds it
	 * in the creating session's TimeZone (as CREATE VIEW does), while the
	 * fresh run binds it in UTC (README, finding 8).
	 */

	/* a nullable expression must stay so: no filter on its column */
	if (chance(&x->r, 30) && x->d->bad != gb_names[GB_NULLABLE])
	{
		char	   *c = subst(PICK(&x->r, conds), a);

		fr_add(q->where, fr_drop(fr_text("%s", c)));
		free(c);
	}
}

/*
 * tb_xe grouped by one or two expressions, maybe with a plain column
 * (fk_xt, code, x) and a customer's columns fixed by fk_xt; or a bad variant.
 */
static bool
gx_events(X *x, Q *q, int bad)
{
	GList		g = {0};
	int			nexpr = chance(&x->r, 30) ? 2 : 1;
	bool		parent = chance(&x->r, 35) || bad == GB_JOINED_EXPR || bad == GB_UNFIXED;
	bool		plain = parent || chance(&x->r, 40);
	const char *pcol = "fk_xt";

	x->d->shape = "group expr";
	use_xe(x);
	fr_addt(q->from, "tb_xe e");
	if (bad == GB_UNFIXED)
	{
		/* the customer joined on a column that is not grouped */
		if (chance(&x->r, 50))
			plain = false;
		else
		{
			fr_add(q->from, fr_text("\nLEFT JOIN tb_xt t ON t.pk_xt = e.fk_xt2"));
			parent = false;		/* joined already */
		}
		x->d->bad = gb_names[bad];
	}
	else if (plain && !parent && chance(&x->r, 40))
		pcol = chance(&x->r, 50) ? "code" : "x";
	if (parent)
		fr_add(q->from, fr_text("\n%s tb_xt t ON %s", chance(&x->r, 60) ? "JOIN" : "LEFT JOIN",
								chance(&x->r, 50) ? "t.pk_xt = e.fk_xt" : "e.fk_xt = t.pk_xt"));
	if (plain && chance(&x->r, 50))
		gl_add(&g, strf("e.%s", pcol), pcol, true);
	for (int i = 0; i < nexpr; i++)
	{
		if (i == nexpr - 1 && (bad == GB_NUMERIC || bad == GB_NOW || bad == GB_FLOAT))
			xe_bad_expr(x, &g, "e", bad);
		else if (i == 0 && bad == GB_NULLABLE)
		{
			static const char *const nl[] = {"upper(@.kind)", "@.y / 2", "date_trunc('day', @.seen_at)",
			"(@.seen_at AT TIME ZONE 'UTC')::date", "lower(@.kind)"};

			gl_add(&g, subst(PICK(&x->r, nl), "e"), "g1", true);
			x->d->bad = gb_names[bad];
		}
		else
			xe_expr(x, q, &g, "e", false);
	}
	if (plain && (g.n == nexpr))
		gl_add(&g, strf("e.%s", pcol), pcol, true);
	if (plain && g.n > 1)
		gx_mark(x, C_GX_MIXED);
	if (bad == GB_UNFIXED && !plain)
		gl_add(&g, xstrdup("t.name"), "cname", false);
	else if (bad == GB_UNFIXED)
		gl_add(&g, xstrdup("t.name"), "cname", false);
	else if (parent)
	{
		if (bad == GB_JOINED_EXPR)
		{
			gl_add(&g, xstrdup(chance(&x->r, 50) ? "upper(t.name)" : "t.tier * 10"), "cexpr", false);
			x->d->bad = gb_names[bad];
		}
		else
		{
			gx_mark(x, C_GX_PARENT);
			gl_add(&g, xstrdup(chance(&x->r, 70) ? "t.name" : "t.region"), "cname", false);
			if (chance(&x->r, 30))
				gl_add(&g, xstrdup("t.tier"), "ctier", false);
		}
	}
	gl_emit(x, q, &g);
	xe_aggs(x, q, "e");
	if (!parent && bad != GB_UNFIXED && chance(&x->r, 30))
	{
		/* a customer's columns aggregated: its writes route through tb_xe */
		fr_add(q->from, fr_text("\nLEFT JOIN tb_xt t ON t.pk_xt = e.fk_xt"));
		item(x, q, "max(t.name)");
		if (chance(&x->r, 50))
			item(x, q, "sum(t.tier)");
	}
	if (plain && strcmp(pcol, "fk_xt") == 0 && chance(&x->r, 35))
	{
		/* correlated on the plain key column */
		if (chance(&x->r, 50))
			item(x, q, "(SELECT t2.name FROM tb_xt t2 WHERE t2.pk_xt = e.fk_xt)");
		else
			item(x, q, "(SELECT count(*) FROM tb_xe e2 WHERE e2.fk_xt = e.fk_xt AND e2.x > 0)");
	}
	if (chance(&x->r, 30))
		gx_having(x, q, chance(&x->r, 50) ? "e.x" : "e.price");
	gx_where(x, q, "e");
	x->keyopt = chance(&x->r, 20);
	gl_free(&g);
	return true;
}

/* a base table of the random schema grouped by expressions of its columns */
static bool
gx_table(X *x, Q *q, int bad)
{
	int			ti = rnd(&x->r, x->s->nbase);
	const Table *t = tab(x, ti);
	GList		g = {0};
	int			cand[MAXCOLS], nc = 0;
	int			nexpr = chance(&x->r, 30) ? 2 : 1;
	char		col[NAMELEN * 2 + 16];
	char		order[NAMELEN + 8];
	const Column *badc = NULL;

	for (int i = 1; i < t->ncols; i++)
	{
		const Column *c = &t->cols[i];

		if (c->hidden)
			continue;
		if (c->type == TY_INT || c->type == TY_BIGINT || c->type == TY_TSTZ || c->type == TY_CITEXT ||
			(c->type == TY_TEXT && col_strict(c)))
			cand[nc++] = i;
	}
	if (nc == 0)
		return false;
	x->d->shape = "group expr table";
	use(x, ti);
	fr_addt(q->from, "%s o", t->name);
	if (bad == GB_NULLABLE || bad == GB_NUMERIC || bad == GB_FLOAT)
	{
		int			c = -1;

		for (int tries = 0; tries < 12 && c < 0; tries++)
		{
			int			k = rnd_range(&x->r, 1, t->ncols - 1);
			const Column *cc = &t->cols[k];

			if (cc->hidden)
				continue;
			if (bad == GB_NULLABLE && !cc->not_null && cc->type == TY_INT)
				c = k;
			else if (bad == GB_NUMERIC && cc->type == TY_NUMERIC)
				c = k;
			else if (bad == GB_FLOAT && cc->type == TY_FLOAT8 && cc->not_null)
				c = k;
		}
		if (c >= 0)
		{
			snprintf(col, sizeof col, "o.%s", t->cols[c].name);
			gl_add(&g, subst(bad == GB_NULLABLE ? "@ / 3" : bad == GB_NUMERIC ? "@ + 1" : "@ * 2",
							 col), "g1", true);
			x->d->bad = gb_names[bad];
			badc = &t->cols[c];
			nexpr--;
		}
	}
	for (int i = 0; i < nexpr; i++)
	{
		const Column *c = &t->cols[cand[rnd(&x->r, nc)]];
		const char *tm;
		unsigned	kind;
		char		name[NAMELEN];
		char	   *sql;

		if (c->type == TY_CITEXT)
			snprintf(col, sizeof col, "o.%s::text", c->name);
		else
			snprintf(col, sizeof col, "o.%s", c->name);
		if (c->type == TY_INT || c->type == TY_BIGINT)
		{
			tm = PICK(&x->r, gx_int);
			kind = C_GX_ARITH;
		}
		else if (c->type == TY_TSTZ)
		{
			tm = PICK(&x->r, gx_tstz);
			kind = C_GX_TIME;
		}
		else
		{
			tm = PICK(&x->r, gx_text);
			kind = C_GX_TEXT;
		}
		sql = subst(tm, col);
		for (int j = 0; j < g.n; j++)
			if (strcmp(g.v[j].sql, sql) == 0)
			{
				free(sql);
				sql = NULL;
				break;
			}
		if (sql == NULL)
			continue;
		gx_mark(x, kind);
		if (!c->not_null && chance(&x->r, 35))
		{
			gx_mark(x, C_GX_FILTER);
			fr_addt(q->where, "o.%s IS NOT NULL", c->name);
		}
		else if (!c->not_null)
			gx_filter(x, q, sql);
		snprintf(name, sizeof name, "g%d", g.n + 1);
		gl_add(&g, sql, name, true);
	}
	/* a plain column too, or a parent's columns fixed by a grouped reference */
	if (chance(&x->r, 45))
	{
		int			fk[MAXCOLS];
		int			n = schema_fk_cols(t, fk);
		const Column *c = n ? &t->cols[fk[rnd(&x->r, n)]] : NULL;

		if (c && p_key(c) && (chance(&x->r, 60) || bad == GB_UNFIXED))
		{
			int			pt = c->fk;
			int			v = pick_col(x, pt, p_key, true);
			char		al[16];

			use(x, pt);
			snprintf(al, sizeof al, "p%d", ++x->nalias);
			fr_add(q->from, fr_text("\n%s %s %s ON %s.%s = o.%s",
									chance(&x->r, 60) ? "JOIN" : "LEFT JOIN", tab(x, pt)->name,
									al, al, pkname(x, pt), c->name));
			if (bad != GB_UNFIXED)
			{
				gl_add(&g, strf("o.%s", c->name), c->name, true);
				if (!c->not_null)
					fr_addt(q->where, "o.%s IS NOT NULL", c->name);
				if (c == badc && x->d->bad == gb_names[GB_NULLABLE])
					x->d->bad = NULL;	/* filtered after all */
				gx_mark(x, C_GX_MIXED);
			}
			else
				x->d->bad = gb_names[bad];
			if (bad != GB_UNFIXED)
				gx_mark(x, C_GX_PARENT);
			gl_add(&g, strf("%s.%s", al, v >= 0 ? tab(x, pt)->cols[v].name : pkname(x, pt)),
				   "pcol", false);
		}
		else
		{
			int			cc = pick_col(x, ti, p_key, true);

			if (cc >= 0 && !t->cols[cc].not_null && x->d->bad == gb_names[GB_NULLABLE])
				cc = -1;
			if (cc >= 0)
			{
				gl_add(&g, strf("o.%s", t->cols[cc].name), t->cols[cc].name, true);
				if (!t->cols[cc].not_null)
					fr_addt(q->where, "o.%s IS NOT NULL", t->cols[cc].name);
				gx_mark(x, C_GX_MIXED);
			}
		}
	}
	if (g.n == 0)
		return false;
	gl_emit(x, q, &g);
	snprintf(order, sizeof order, "o.%s", pkname(x, ti));
	group_aggs(x, q, "o", ti, order);
	if (chance(&x->r, 25))
		parent_join(x, q, "o", ti, true);
	if (chance(&x->r, 30))
	{
		int			c = pick_col(x, ti, p_int, true);

		if (c >= 0)
		{
			snprintf(col, sizeof col, "o.%s", t->cols[c].name);
			gx_having(x, q, col);
		}
	}
	if (x->d->bad != gb_names[GB_NULLABLE])
		maybe_where(x, q, "o", ti, 25);
	x->keyopt = chance(&x->r, 15);
	gl_free(&g);
	return true;
}

/* DISTINCT ON (expr[, ...]) expr, ... ORDER BY expr..., col, pk */
static bool
gx_distinct_on(X *x, Q *q)
{
	GList		g = {0};
	Buf			b = {0};
	int			nexpr = chance(&x->r, 25) ? 2 : 1;
	bool		plain = chance(&x->r, 30);
	static const char *const ord[] = {"e.created_at", "e.x", "e.name", "e.price", "e.seen_at"};

	x->d->shape = "distinct on expr";
	gx_mark(x, C_GX_DON);
	use_xe(x);
	fr_addt(q->from, "tb_xe e");
	if (plain)
		gl_add(&g, xstrdup("e.fk_xt"), "fk_xt", true);
	for (int i = 0; i < nexpr; i++)
		xe_expr(x, q, &g, "e", false);
	if (plain)
		gx_mark(x, C_GX_MIXED);
	buf_puts(&b, "SELECT DISTINCT ON (");
	for (int i = 0; i < g.n; i++)
		buf_append(&b, "%s%s", i ? ", " : "", chance(&x->r, 70) ? g.v[i].sql : g.v[i].name);
	buf_puts(&b, ") ");
	free(q->selkw->text);
	q->selkw->text = xstrdup(buf_str(&b));
	for (int i = 0; i < g.n; i++)
	{
		fr_addt(q->sel, "%s AS %s", g.v[i].sql, g.v[i].name);
		if (x->nkeys < 4)
			snprintf(x->keys[x->nkeys++], NAMELEN, "%s", g.v[i].name);
	}
	item(x, q, "e.pk_xe");
	for (int i = rnd_range(&x->r, 0, 2); i > 0; i--)
	{
		static const char *const cols[] = {"e.x", "e.name", "e.created_at", "e.kind", "e.price"};

		item(x, q, "%s", PICK(&x->r, cols));
	}
	if (chance(&x->r, 25))
	{
		fr_add(q->from, fr_text("\nLEFT JOIN tb_xt t ON t.pk_xt = e.fk_xt"));
		item(x, q, "t.name");
	}
	buf_reset(&b);
	buf_puts(&b, "\nORDER BY ");
	for (int i = 0; i < g.n; i++)
		buf_append(&b, "%s, ", chance(&x->r, 70) ? g.v[i].sql : g.v[i].name);
	buf_append(&b, "%s%s%s, e.pk_xe%s", PICK(&x->r, ord), chance(&x->r, 40) ? " DESC" : "",
			   chance(&x->r, 20) ? " NULLS FIRST" : "", chance(&x->r, 30) ? " DESC" : "");
	fr_addt(q->tail, "%s", buf_str(&b));
	gx_where(x, q, "e");
	x->keyopt = chance(&x->r, 15);
	buf_free(&b);
	gl_free(&g);
	return true;
}

/*
 * Through a view (or a FROM subquery) whose output columns are such
 * expressions: v_xe_expr, v_xe_cust (a customer's name, fixed by fk_xt).
 */
static bool
gx_view(X *x, Q *q, int bad)
{
	int			k = rnd(&x->r, 100);
	GList		g = {0};
	bool		don = chance(&x->r, 20);
	static const struct
	{
		const char *col;
		unsigned	kind;
		bool		nullable;
	}			ecols[] = {
		{"day", C_GX_TIME, false}, {"d_utc", C_GX_TIME, false}, {"lname", C_GX_TEXT, false},
		{"prefix", C_GX_TEXT, false}, {"xb", C_GX_ARITH, false}, {"ukind", C_GX_TEXT, true}
	};

	x->d->shape = "group expr view";
	gx_mark(x, C_GX_VIEW);
	use_xe(x);
	if (k < 55 || k >= 80)
	{
		int			n = chance(&x->r, 30) ? 2 : 1;
		int			first = -1;

		if (k < 55)
			fr_addt(q->from, "v_xe_expr v");
		else
			fr_addt(q->from, "(SELECT e.pk_xe, e.fk_xt, e.x, e.price, date_trunc('day', e.created_at) AS day,"
					" (e.created_at AT TIME ZONE 'UTC')::date AS d_utc, lower(e.name) AS lname,"
					" split_part(e.code, '-', 1) AS prefix, e.x / 10 AS xb, upper(e.kind) AS ukind"
					" FROM tb_xe e) v");
		if (chance(&x->r, 35))
		{
			gl_add(&g, xstrdup("v.fk_xt"), "fk_xt", true);
			gx_mark(x, C_GX_MIXED);
		}
		for (int i = 0; i < n; i++)
		{
			int			c = rnd(&x->r, lengthof(ecols));
			char	   *sql;

			if (bad == GB_NULLABLE && i == 0)
				c = lengthof(ecols) - 1;
			if (c == first)
				continue;
			first = c;
			sql = strf("v.%s", ecols[c].col);
			gx_mark(x, ecols[c].kind);
			if (ecols[c].nullable)
			{
				if (bad == GB_NULLABLE)
					x->d->bad = gb_names[bad];
				else
					gx_filter(x, q, sql);
			}
			gl_add(&g, sql, ecols[c].col, true);
		}
	}
	else
	{
		/* v_xe_cust: fk_xt and the customer's name, or the name alone (bad) */
		fr_addt(q->from, "v_xe_cust v");
		if (bad == GB_UNFIXED)
			x->d->bad = gb_names[bad];
		else
		{
			gl_add(&g, xstrdup("v.fk_xt"), "fk_xt", true);
			gx_mark(x, C_GX_PARENT);
		}
		if (chance(&x->r, 50) || bad == GB_UNFIXED)
		{
			gl_add(&g, xstrdup("v.lname"), "lname", true);
			gx_mark(x, C_GX_TEXT | (g.n > 1 ? C_GX_MIXED : 0));
		}
		gl_add(&g, xstrdup("v.cname"), "cname", false);
		if (chance(&x->r, 30))
			gl_add(&g, xstrdup("v.tier"), "tier", false);
	}
	if (don && bad == GB_NONE && g.v[0].key)
	{
		/* DISTINCT ON the view's expression columns */
		Buf			b = {0};
		int			nk = 0;

		gx_mark(x, C_GX_DON);
		buf_puts(&b, "SELECT DISTINCT ON (");
		for (int i = 0; i < g.n && g.v[i].key; i++, nk++)
			buf_append(&b, "%s%s", i ? ", " : "", g.v[i].sql);
		buf_puts(&b, ") ");
		free(q->selkw->text);
		q->selkw->text = xstrdup(buf_str(&b));
		for (int i = 0; i < nk; i++)
		{
			fr_addt(q->sel, "%s", g.v[i].sql);
			if (x->nkeys < 4)
				snprintf(x->keys[x->nkeys++], NAMELEN, "%s", g.v[i].name);
		}
		item(x, q, "v.pk_xe");
		item(x, q, "v.x");
		buf_reset(&b);
		buf_puts(&b, "\nORDER BY ");
		for (int i = 0; i < nk; i++)
			buf_append(&b, "%s, ", g.v[i].sql);
		buf_append(&b, "v.x%s, v.pk_xe", chance(&x->r, 50) ? " DESC" : "");
		fr_addt(q->tail, "%s", buf_str(&b));
		buf_free(&b);
	}
	else
	{
		gl_emit(x, q, &g);
		if (chance(&x->r, 80))
			item(x, q, "count(*)");
		if (chance(&x->r, 50))
			item(x, q, "sum(v.price)");
		if (chance(&x->r, 30))
			item(x, q, "jsonb_agg(v.pk_xe ORDER BY v.pk_xe)");
		if (chance(&x->r, 25))
			gx_having(x, q, "v.x");
	}
	if (chance(&x->r, 25))
		fr_add(q->where, fr_drop(fr_text("v.x %s %d", chance(&x->r, 50) ? ">" : "<=",
										 rnd_range(&x->r, -5, 20))));
	x->keyopt = chance(&x->r, 15);
	gl_free(&g);
	return true;
}

/* models keyed by grouping expressions; about one in five is a bad variant */
static bool
xs_gexpr(X *x, Q *q)
{
	int			k = rnd(&x->r, 100);
	int			b = rnd(&x->r, 100);
	int			bad = b < 24 ? 1 + b % (GB_N - 1) : GB_NONE;
	bool		ok;

	if (k < 40)
		ok = gx_events(x, q, bad);
	else if (k < 62)
		ok = gx_table(x, q, bad == GB_NULLABLE || bad == GB_NUMERIC || bad == GB_FLOAT ||
					  bad == GB_UNFIXED ? bad : GB_NONE);
	else if (k < 80)
		ok = gx_distinct_on(x, q);
	else
		ok = gx_view(x, q, bad == GB_NULLABLE || bad == GB_UNFIXED ? bad : GB_NONE);
	if (!ok)
		return false;
	/* the writing session in another TimeZone, per transaction or for good */
	if (x->d->constructs & C_GX_TIME ? chance(&x->r, 75) : chance(&x->r, 25))
	{
		x->d->tzwrite = true;
		x->d->constructs |= C_GX_TZ;
	}
	return true;
}

static void
x_options(X *x)
{
	int			m = rnd(&x->r, 100);
	Buf			b = {0};
	const char *sep = "";

	buf_puts(&b, "{");
	if (m < 35 || m >= 85)
	{
		buf_append(&b, "\"mode\": \"%s\"", m < 35 ? "statement" : "commit");
		sep = ", ";
	}
	if (x->keyopt && x->nkeys > 0)
	{
		x->d->constructs |= C_KEYOPT;
		buf_append(&b, "%s\"key\": [", sep);
		for (int i = 0; i < x->nkeys; i++)
			buf_append(&b, "%s\"%s\"", i ? ", " : "", x->keys[i]);
		buf_puts(&b, "]");
		sep = ", ";
	}
	if (x->refresh)
		buf_append(&b, "%s\"strategy\": \"refresh\"", sep);
	buf_puts(&b, "}");
	snprintf(x->d->options, sizeof x->d->options, "%s", buf_str(&b));
	buf_free(&b);
}

/* a definition keyed by grouping expressions (xs_gexpr) */
Def *
gen_gxdefinition(Schema *s, uint64_t seed, int def_no)
{
	Def		   *d = xmalloc(sizeof(Def));
	X			x;
	bool		ok = false;

	memset(&x, 0, sizeof x);
	x.s = s;
	rng_seed(&x.r, mix_seed(seed, 0x67657871));
	for (int tries = 0; !ok; tries++)
	{
		Q			q;

		memset(d, 0, sizeof(Def));
		d->def_no = def_no;
		snprintf(d->name, NAMELEN, "tv_f%d", def_no);
		d->root = s->xref;
		x.d = d;
		x.nkeys = 0;
		x.nitem = x.nalias = 0;
		x.keyopt = x.refresh = false;
		q_init(&q);
		ok = tries > 20 ? gx_events(&x, &q, GB_NONE) : xs_gexpr(&x, &q);
		if (!ok)
		{
			fr_free(q.top);
			continue;
		}
		d->frag = q.top;
	}
	x_options(&x);
	return d;
}

Def *
gen_xdefinition(Schema *s, uint64_t seed, int def_no)
{
	static const int weights[] = {12, 6, 8, 12, 12, 14, 9, 8, 8, 7, 10};
	Def		   *d = xmalloc(sizeof(Def));
	X			x;
	bool		ok = false;

	memset(&x, 0, sizeof x);
	x.s = s;
	/*
	 * Grouping expressions as keys: decided by a generator of their own, so
	 * that the other definitions of this file stay as they were.
	 */
	{
		Rng			gr;

		rng_seed(&gr, mix_seed(seed, 0x67657870));
		if (chance(&gr, 30))
		{
			free(d);
			return gen_gxdefinition(s, seed, def_no);
		}
	}
	rng_seed(&x.r, seed);
	for (int tries = 0; !ok; tries++)
	{
		Q			q;
		int			total = 0, w, k = 0;

		memset(d, 0, sizeof(Def));
		d->def_no = def_no;
		snprintf(d->name, NAMELEN, "tv_f%d", def_no);
		d->root = s->xref;
		x.d = d;
		x.nkeys = 0;
		x.keyopt = x.refresh = false;
		q_init(&q);
		for (int i = 0; i < lengthof(weights); i++)
			total += weights[i];
		w = rnd(&x.r, total);
		while (w >= weights[k])
			w -= weights[k++];
		if (tries > 20)
			k = 3;				/* tb_xc is always there */
		switch (k)
		{
			case 0:
			case 1:
			case 2:
				ok = xs_group(&x, &q, k);
				break;
			case 3:
				ok = xs_composite(&x, &q);
				break;
			case 4:
				ok = xs_union(&x, &q);
				break;
			case 5:
				ok = xs_window(&x, &q);
				break;
			case 6:
				ok = xs_any(&x, &q);
				break;
			case 7:
				ok = xs_or(&x, &q);
				break;
			case 8:
				ok = xs_refresh(&x, &q);
				break;
			case 9:
				ok = xs_right(&x, &q);
				break;
			default:
				ok = xs_part(&x, &q);
				break;
		}
		if (!ok)
		{
			fr_free(q.top);
			continue;
		}
		d->frag = q.top;
	}
	x_options(&x);
	return d;
}
