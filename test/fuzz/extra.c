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
	u = fr_list(NULL, b < 10 ? "\nUNION\n" : "\nUNION ALL\n", NULL);
	if (b < 10)
		x->d->bad = "UNION without ALL";
	else if (b < 18)
		x->d->bad = "UNION ALL without a tag";
	else if (b < 23)
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

Def *
gen_xdefinition(Schema *s, uint64_t seed, int def_no)
{
	static const int weights[] = {12, 6, 8, 12, 12, 14, 9, 8, 8, 7, 10};
	Def		   *d = xmalloc(sizeof(Def));
	X			x;
	bool		ok = false;

	memset(&x, 0, sizeof x);
	rng_seed(&x.r, seed);
	x.s = s;
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
