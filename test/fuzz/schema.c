/*
 * schema.c — a random FraiseQL-style schema, its value pools and its data.
 *
 * Tables tb_<stem> with a primary key pk_<stem> (int, bigint, sometimes
 * numeric, text or uuid), references fk_<stem> to earlier tables (with or
 * without a FOREIGN KEY, ON DELETE CASCADE / SET NULL / nothing, nullable
 * or not, indexed or not) and data columns of many types.  The value
 * pools hold NULLs and equal-but-different values: numeric 10.5 and
 * 10.50, interval '1 day' and '24 hours', 'alice' and 'ALICE' under a
 * case-insensitive collation, float8 0 and -0, jsonb 10.5 and 10.50.
 * Views over the tables (and over views) are read like tables; a few
 * views per table must be refused (a volatile column, a materialized view).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

/* ------------------------------------------------------------------ */
/* value pools (raw text forms)                                        */
/* ------------------------------------------------------------------ */

static const char *const pool_int[] = {"-1", "0", "1", "2", "3", "5", "7", "10", "42"};
static const char *const pool_bigint[] = {
	"0", "1", "3", "42", "5000000000", "-5000000000", "9007199254740993"
};
static const char *const pool_numeric[] = {
	"10.5", "10.50", "10.500", "0", "0.0", "0.00", "1", "1.0", "2", "2.00",
	"3.25", "-7.125", "1000", "NaN", "123456789.123456789", "0.001"
};
static const char *const pool_numeric2[] = {
	"10.5", "10.50", "0", "1", "2.25", "-3.5", "99999.99"
};
static const char *const pool_numeric4[] = {
	"10.5", "0.0001", "1", "2.2500", "-3.1416"
};
static const char *const pool_float[] = {
	"0", "-0", "0.5", "1.5", "2.25", "-3.75", "100", "1024",
	"Infinity", "-Infinity", "NaN"
};
static const char *const pool_text[] = {
	"alice", "ALICE", "Alice", "bob", "BOB", "caf\xc3\xa9", "CAF\xc3\x89",
	"cafe\xcc\x81", "Z\xc3\xbcrich", "z\xc3\xbcrich", "a b", "", "x'y",
	"10", "9"
};
static const char *const pool_bool[] = {"true", "false"};
static const char *const pool_jsonb[] = {
	"{\"x\": 10.5}", "{\"x\": 10.50}", "{\"x\": 1, \"y\": [1, 2.0]}",
	"{\"y\": [1, 2.00], \"x\": 1.0}", "[]", "{}", "null", "\"alice\"",
	"\"ALICE\"", "10.5", "10.50", "{\"x\": {\"z\": 0.0}}", "[1, \"a\", null]"
};
static const char *const pool_tstz[] = {
	"2024-01-01 00:00:00+00", "2023-12-31 19:00:00-05",
	"2024-06-30 23:59:59.5+00", "2000-02-29 12:00:00+00", "infinity",
	"-infinity", "1999-12-31 23:30:00+00"
};
static const char *const pool_interval[] = {
	"1 day", "24 hours", "1 mon", "30 days", "0", "1 day 01:00:00",
	"25 hours", "-1 day", "1 year", "12 mons", "00:00:00.5", "1 mon -30 days"
};
static const char *const pool_bytea[] = {
	"\\x", "\\x00", "\\xdeadbeef", "\\x41", "\\x4142"
};
static const char *const pool_uuid[] = {
	"00000000-0000-0000-0000-000000000001",
	"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
	"A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11",
	"ffffffff-ffff-ffff-ffff-ffffffffffff"
};

/* equal-but-different groups: equal under =, different binary images */
static const char *const ebd_numeric[][3] = {
	{"10.5", "10.50", "10.500"}, {"0", "0.0", "0.00"}, {"1", "1.0", NULL},
	{"2", "2.00", NULL}
};
static const char *const ebd_float[][3] = {{"0", "-0", NULL}};
static const char *const ebd_interval[][3] = {
	{"1 day", "24 hours", NULL}, {"1 mon", "30 days", NULL},
	{"1 day 01:00:00", "25 hours", NULL}, {"0", "1 mon -30 days", NULL}
};
static const char *const ebd_text_ci[][3] = {
	{"alice", "ALICE", "Alice"}, {"caf\xc3\xa9", "CAF\xc3\x89", "cafe\xcc\x81"},
	{"bob", "BOB", NULL}, {"z\xc3\xbcrich", "Z\xc3\xbcrich", NULL}
};
static const char *const ebd_citext[][3] = {
	{"alice", "ALICE", "Alice"}, {"bob", "BOB", NULL},
	{"caf\xc3\xa9", "CAF\xc3\x89", NULL}
};
static const char *const ebd_jsonb[][3] = {
	{"{\"x\": 10.5}", "{\"x\": 10.50}", NULL}, {"10.5", "10.50", NULL},
	{"{\"x\": 1, \"y\": [1, 2.0]}", "{\"y\": [1, 2.00], \"x\": 1.0}", NULL}
};

/* ------------------------------------------------------------------ */
/* types                                                               */
/* ------------------------------------------------------------------ */

const char *
type_name(TypeKind t)
{
	static const char *const names[NTYPES] = {
		"integer", "bigint", "numeric", "float8", "text", "citext", "boolean",
		"jsonb", "timestamptz", "interval", "bytea", "uuid", "other"
	};

	return names[t];
}

const char *
type_sql(const Column *c)
{
	if (c->type == TY_NUMERIC && c->scale == 2)
		return "numeric(10,2)";
	if (c->type == TY_NUMERIC && c->scale == 4)
		return "numeric(12,4)";
	return type_name(c->type);
}

/* equality implies the same binary image */
bool
col_strict(const Column *c)
{
	switch (c->type)
	{
		case TY_INT:
		case TY_BIGINT:
		case TY_BOOL:
		case TY_TSTZ:
		case TY_BYTEA:
		case TY_UUID:
			return true;
		case TY_TEXT:
			return c->coll == NULL || strcmp(c->coll, "ci") != 0;
		default:
			return false;
	}
}

/* min() and max() exist and their result does not depend on the order */
bool
type_ordered_minmax(const Column *c)
{
	return col_strict(c) &&
		(c->type == TY_INT || c->type == TY_BIGINT || c->type == TY_TSTZ ||
		 c->type == TY_TEXT);
}

bool
type_summable(TypeKind t)
{
	return t == TY_INT || t == TY_BIGINT || t == TY_NUMERIC ||
		t == TY_FLOAT8 || t == TY_INTERVAL;
}

static const char *const *
pool_of(const Column *c, int *n)
{
#define POOL(p) do { *n = lengthof(p); return p; } while (0)
	switch (c->type)
	{
		case TY_INT:
			POOL(pool_int);
		case TY_BIGINT:
			POOL(pool_bigint);
		case TY_NUMERIC:
			if (c->scale == 2)
				POOL(pool_numeric2);
			if (c->scale == 4)
				POOL(pool_numeric4);
			POOL(pool_numeric);
		case TY_FLOAT8:
			POOL(pool_float);
		case TY_TEXT:
		case TY_CITEXT:
			POOL(pool_text);
		case TY_BOOL:
			POOL(pool_bool);
		case TY_JSONB:
			POOL(pool_jsonb);
		case TY_TSTZ:
			POOL(pool_tstz);
		case TY_INTERVAL:
			POOL(pool_interval);
		case TY_BYTEA:
			POOL(pool_bytea);
		case TY_UUID:
			POOL(pool_uuid);
		default:
			break;
	}
#undef POOL
	*n = 0;
	return NULL;
}

/* a SQL literal for a value given in text form, typed for any context */
char *
text_to_literal(const Column *c, const char *text)
{
	char	   *q;
	char	   *r;

	switch (c->type)
	{
		case TY_INT:
		case TY_BIGINT:
		case TY_BOOL:
			return xstrdup(text);
		case TY_NUMERIC:
			if (strcmp(text, "NaN") != 0 && text[0] != '-')
				return xstrdup(text);
			break;
		case TY_TEXT:
			/* untyped: it takes the collation of what it meets */
			return quote_literal(text);
		default:
			break;
	}
	q = quote_literal(text);
	r = strf("%s::%s", q, type_sql(c));
	free(q);
	return r;
}

char *
value_literal(Rng *r, const Column *c, int null_pct)
{
	int			n;
	const char *const *pool = pool_of(c, &n);

	if ((!c->not_null && chance(r, null_pct)) || pool == NULL)
		return strf("NULL::%s", type_sql(c));
	return text_to_literal(c, pool[rnd(r, n)]);
}

/* COPY text format: \N for NULL, backslashes doubled */
char *
value_copy_text(Rng *r, const Column *c)
{
	int			n;
	const char *const *pool = pool_of(c, &n);
	Buf			b = {0};

	if ((!c->not_null && chance(r, 10)) || pool == NULL)
		return xstrdup("\\N");
	for (const char *p = pool[rnd(r, n)]; *p; p++)
	{
		if (*p == '\\')
			buf_puts(&b, "\\\\");
		else
			buf_append(&b, "%c", *p);
	}
	return b.data ? b.data : xstrdup("");
}

/*
 * A group of equal-but-different values for the column's type (text
 * forms), or NULL when the type has none.  *n is the group size.
 */
const char *const *
ebd_group(Rng *r, const Column *c, int *n)
{
	const char *const *g = NULL;

	switch (c->type)
	{
		case TY_NUMERIC:
			if (c->scale < 0)
				g = ebd_numeric[rnd(r, lengthof(ebd_numeric))];
			break;
		case TY_FLOAT8:
			g = ebd_float[0];
			break;
		case TY_INTERVAL:
			g = ebd_interval[rnd(r, lengthof(ebd_interval))];
			break;
		case TY_TEXT:
			if (c->coll && strcmp(c->coll, "ci") == 0)
				g = ebd_text_ci[rnd(r, lengthof(ebd_text_ci))];
			break;
		case TY_CITEXT:
			g = ebd_citext[rnd(r, lengthof(ebd_citext))];
			break;
		case TY_JSONB:
			g = ebd_jsonb[rnd(r, lengthof(ebd_jsonb))];
			break;
		default:
			break;
	}
	if (g == NULL)
		return NULL;
	*n = g[2] ? 3 : 2;
	return g;
}

/* the text form of key number n of a primary key column */
char *
key_text(const Column *pk, long n)
{
	switch (pk->type)
	{
		case TY_BIGINT:
			return strf("%ld", 10000000000L + n);
		case TY_NUMERIC:
			/* the same kind of value in three scales */
			return strf(n % 3 == 0 ? "%ld.0" : n % 3 == 1 ? "%ld" : "%ld.00", n);
		case TY_TEXT:
			return strf("k%03ld", n);
		case TY_UUID:
			return strf("00000000-0000-4000-8000-%012ld", n);
		default:
			return strf("%ld", n);
	}
}

char *
key_literal(const Column *pk, long n)
{
	char	   *t = key_text(pk, n);
	char	   *r = text_to_literal(pk, t);

	free(t);
	return r;
}

int
schema_fk_cols(const Table *t, int *out)
{
	int			n = 0;

	for (int i = 0; i < t->ncols; i++)
		if (t->cols[i].fk >= 0 && !t->cols[i].hidden)
			out[n++] = i;
	return n;
}

/* ------------------------------------------------------------------ */
/* generation                                                          */
/* ------------------------------------------------------------------ */

static const char *const stems[] = {
	"org", "user", "post", "comment", "tag", "item", "order", "line",
	"team", "event", "ticket", "note", "shop", "city"
};

static Column *
add_col(Table *t)
{
	Column	   *c = &t->cols[t->ncols++];

	memset(c, 0, sizeof(Column));
	c->fk = -1;
	c->scale = -1;
	return c;
}

static TypeKind
random_pk_type(Rng *r)
{
	int			x = rnd(r, 100);

	if (x < 60)
		return TY_INT;
	if (x < 75)
		return TY_BIGINT;
	if (x < 85)
		return TY_NUMERIC;
	if (x < 95)
		return TY_TEXT;
	return TY_UUID;
}

static void
add_fk(Rng *r, Schema *s, Table *t, int target, bool self)
{
	Column	   *c = add_col(t);
	const Column *pk = &s->t[target].cols[0];
	int			same = 0;

	for (int i = 0; i < t->ncols - 1; i++)
		if (t->cols[i].fk == target)
			same++;
	if (self)
		snprintf(c->name, NAMELEN, "fk_parent");
	else if (same)
		snprintf(c->name, NAMELEN, "fk_%.40s_%d", s->t[target].stem, same + 1);
	else
		snprintf(c->name, NAMELEN, "fk_%.40s", s->t[target].stem);
	c->fk = target;
	c->type = pk->type;
	c->scale = -1;
	c->fk_constraint = chance(r, 75);
	if (pk->type == TY_INT && chance(r, 10))
		c->type = TY_BIGINT;	/* a cross-type FOREIGN KEY is allowed */
	else if ((pk->type == TY_INT || pk->type == TY_BIGINT) && chance(r, 8))
	{
		c->type = TY_NUMERIC;	/* no btree family in common: no FK */
		c->fk_constraint = false;
	}
	c->not_null = !self && chance(r, 45);
	if (c->fk_constraint)
	{
		int			x = rnd(r, 100);

		if (x < 40)
			c->on_delete = "CASCADE";
		else if (x < 65 && !c->not_null)
			c->on_delete = "SET NULL";
		c->on_update_cascade = chance(r, 50);
		c->deferred = !self && chance(r, 20);
	}
	c->indexed = chance(r, 60);
}

static void
add_data_col(Rng *r, Table *t)
{
	static const TypeKind kinds[] = {
		TY_INT, TY_INT, TY_BIGINT, TY_NUMERIC, TY_NUMERIC, TY_NUMERIC,
		TY_FLOAT8, TY_TEXT, TY_TEXT, TY_TEXT, TY_CITEXT, TY_BOOL, TY_BOOL,
		TY_JSONB, TY_JSONB, TY_TSTZ, TY_INTERVAL, TY_INTERVAL, TY_BYTEA, TY_UUID
	};
	static const char *const colls[] = {NULL, NULL, "C", "en-x-icu", "ci", "ci"};
	Column	   *c = add_col(t);
	const char *prefix;

	c->type = PICK(r, kinds);
	switch (c->type)
	{
		case TY_INT:
			prefix = "i";
			break;
		case TY_BIGINT:
			prefix = "big";
			break;
		case TY_NUMERIC:
			c->scale = chance(r, 60) ? -1 : chance(r, 50) ? 2 : 4;
			prefix = c->scale < 0 ? "num" : c->scale == 2 ? "num2" : "num4";
			break;
		case TY_FLOAT8:
			prefix = "f";
			break;
		case TY_TEXT:
			c->coll = PICK(r, colls);
			prefix = c->coll == NULL ? "t" : strcmp(c->coll, "C") == 0 ? "tc" :
				strcmp(c->coll, "ci") == 0 ? "tci" : "tu";
			break;
		case TY_CITEXT:
			prefix = "ct";
			break;
		case TY_BOOL:
			prefix = "b";
			break;
		case TY_JSONB:
			prefix = "j";
			break;
		case TY_TSTZ:
			prefix = "ts";
			break;
		case TY_INTERVAL:
			prefix = "iv";
			break;
		case TY_BYTEA:
			prefix = "by";
			break;
		default:
			prefix = "u";
			break;
	}
	snprintf(c->name, NAMELEN, "%s_%d", prefix, t->ncols - 1);
	c->not_null = chance(r, 15);
	c->indexed = chance(r, 15);
}

static const char *
default_of(const Column *c)
{
	switch (c->type)
	{
		case TY_TEXT:
		case TY_CITEXT:
			return "''";
		case TY_BOOL:
			return "false";
		case TY_JSONB:
			return "'{}'";
		case TY_TSTZ:
			return "'2000-01-01 00:00:00+00'";
		case TY_INTERVAL:
			return "'0'";
		case TY_BYTEA:
			return "'\\x'";
		case TY_UUID:
			return "'00000000-0000-0000-0000-000000000000'";
		default:
			return "0";
	}
}

static void
table_ddl(const Schema *s, const Table *t, StrList *out)
{
	Buf			b = {0};

	buf_append(&b, "CREATE TABLE %s (", t->name);
	for (int i = 0; i < t->ncols; i++)
	{
		const Column *c = &t->cols[i];

		buf_append(&b, "%s\n  %s %s", i ? "," : "", c->name, type_sql(c));
		if (c->coll)
			buf_append(&b, " COLLATE \"%s\"", c->coll);
		if (c->is_pk)
			buf_puts(&b, " PRIMARY KEY");
		else if (c->not_null)
			buf_puts(&b, " NOT NULL");
		if (c->not_null && !c->is_pk && c->fk < 0)
			buf_append(&b, " DEFAULT %s", default_of(c));
		if (c->fk >= 0 && c->fk_constraint)
		{
			buf_append(&b, " REFERENCES %s", s->t[c->fk].name);
			if (c->on_delete)
				buf_append(&b, " ON DELETE %s", c->on_delete);
			if (c->on_update_cascade)
				buf_puts(&b, " ON UPDATE CASCADE");
			if (c->deferred)
				buf_puts(&b, " DEFERRABLE INITIALLY DEFERRED");
		}
	}
	buf_puts(&b, ")");
	sl_add(out, buf_str(&b));
	for (int i = 0; i < t->ncols; i++)
		if (t->cols[i].indexed)
			sl_addf(out, "CREATE INDEX ON %s (%s)", t->name, t->cols[i].name);
	buf_free(&b);
}

/* the initial rows of table ti, keys 1..target_rows */
static void
table_fill(Rng *r, Schema *s, int ti)
{
	Table	   *t = &s->t[ti];
	Buf			b = {0};

	buf_append(&b, "INSERT INTO %s (", t->name);
	for (int i = 0; i < t->ncols; i++)
		buf_append(&b, "%s%s", i ? ", " : "", t->cols[i].name);
	buf_puts(&b, ") VALUES");
	for (long k = 1; k <= t->target_rows; k++)
	{
		buf_append(&b, "%s\n  (", k > 1 ? "," : "");
		for (int i = 0; i < t->ncols; i++)
		{
			const Column *c = &t->cols[i];
			char	   *v;

			if (c->is_pk)
				v = key_literal(c, k);
			else if (c->fk >= 0)
			{
				int			max = c->fk == ti ? (int) k - 1 : s->t[c->fk].target_rows;

				if ((!c->not_null && chance(r, 15)) || max < 1)
					v = strf("NULL::%s", type_sql(c));
				else if (!c->fk_constraint && chance(r, 10))
					v = key_literal(c, max + 50);
				else
				{
					/* the parent's key, in the reference column's type */
					char	   *kt = key_text(&s->t[c->fk].cols[0], rnd_range(r, 1, max));

					v = text_to_literal(c, kt);
					free(kt);
				}
			}
			else
				v = value_literal(r, c, 15);
			buf_append(&b, "%s%s", i ? ", " : "", v);
			free(v);
		}
		buf_puts(&b, ")");
	}
	sl_add(&s->fill, buf_str(&b));
	buf_free(&b);
}

/*
 * A user trigger: writing a child row bumps a counter of its parent, so
 * some writes reach the read models through nested statements.
 */
static void
add_trigger(Rng *r, Schema *s)
{
	for (int tries = 0; tries < 10; tries++)
	{
		int			ti = rnd_range(r, 1, s->nbase - 1);
		const Table *t = &s->t[ti];
		int			fks[MAXCOLS];
		int			n = schema_fk_cols(t, fks);
		const Column *fk;
		const Table *p;
		const char *counter = NULL;

		if (n == 0)
			continue;
		fk = &t->cols[fks[rnd(r, n)]];
		p = &s->t[fk->fk];
		if (fk->fk == ti)
			continue;
		for (int i = 1; i < p->ncols; i++)
			if (p->cols[i].type == TY_INT && p->cols[i].fk < 0)
				counter = p->cols[i].name;
		if (counter == NULL)
			continue;
		sl_addf(&s->ddl, "CREATE FUNCTION fn_touch_%s() RETURNS trigger LANGUAGE plpgsql AS $$\n"
				"BEGIN\n"
				"  UPDATE %s SET %s = coalesce(%s, 0) + 1 WHERE %s = NEW.%s;\n"
				"  RETURN NULL;\n"
				"END $$", p->stem, p->name, counter, counter, p->cols[0].name, fk->name);
		sl_addf(&s->ddl, "CREATE TRIGGER touch_parent AFTER INSERT OR UPDATE OF %s ON %s"
				" FOR EACH ROW EXECUTE FUNCTION fn_touch_%s()", fk->name, t->name, p->stem);
		return;
	}
}

/* ------------------------------------------------------------------ */
/* views                                                               */
/* ------------------------------------------------------------------ */

/* a column of view v: src renamed (or not), without table properties */
static Column *
view_col(Table *v, const Column *src, const char *name)
{
	Column	   *c;

	if (v->ncols >= MAXCOLS)
		return NULL;
	c = &v->cols[v->ncols++];
	*c = *src;
	if (name)
		snprintf(c->name, NAMELEN, "%s", name);
	c->is_pk = c->indexed = c->fk_constraint = c->on_update_cascade = false;
	c->deferred = c->hidden = false;
	c->on_delete = NULL;
	return c;
}

static bool
view_has(const Table *v, const char *name)
{
	for (int i = 0; i < v->ncols; i++)
		if (strcmp(v->cols[i].name, name) == 0)
			return true;
	return false;
}

/* a filter on column c of alias a: NULLs and values in and out */
static char *
view_cond(Rng *r, const char *a, const Column *c)
{
	char	   *v1, *v2, *res;
	int			x = rnd(r, 4);

	if (c->type == TY_BOOL)
		return strf(x == 0 ? "%s.%s IS NOT FALSE" : x == 1 ? "NOT %s.%s" : "%s.%s", a, c->name);
	if (c->type == TY_JSONB || c->type == TY_OTHER || x == 0)
		return strf("%s.%s IS %sNULL", a, c->name, chance(r, 80) ? "NOT " : "");
	v1 = value_literal(r, c, 0);
	v2 = value_literal(r, c, 0);
	if (x == 1)
		res = strf("%s.%s <> %s", a, c->name, v1);
	else if (x == 2)
		res = strf("%s.%s >= %s", a, c->name, v1);
	else
		res = strf("%s.%s IN (%s, %s)", a, c->name, v1, v2);
	free(v1);
	free(v2);
	return res;
}

/* an immutable expression over column c as a view column, or NULL */
static char *
view_expr(const char *a, const Column *c, Column *out)
{
	*out = *c;
	out->fk = -1;
	switch (c->type)
	{
		case TY_INT:
			return strf("(%s.%s * 2)", a, c->name);
		case TY_NUMERIC:
			out->scale = -1;
			return strf("round(%s.%s, 1)", a, c->name);
		case TY_TEXT:
			return strf("upper(%s.%s)", a, c->name);
		case TY_BOOL:
			return strf("(NOT %s.%s)", a, c->name);
		case TY_JSONB:
			return strf("(%s.%s -> 'x')", a, c->name);
		case TY_INTERVAL:
			return strf("justify_hours(%s.%s)", a, c->name);
		default:
			return NULL;
	}
}

/* a base table with a reference to base table T, and that reference */
static bool
view_child(Rng *r, const Schema *s, int T, int *ct, int *col)
{
	int			tabs[64], cols[64], n = 0;

	for (int i = 0; i < s->nbase; i++)
		for (int j = 1; j < s->t[i].ncols && n < 64; j++)
			if (s->t[i].cols[j].fk == T)
			{
				tabs[n] = i;
				cols[n++] = j;
			}
	if (n == 0)
		return false;
	n = rnd(r, n);
	*ct = tabs[n];
	*col = cols[n];
	return true;
}

/*
 * CREATE VIEW over table or view src: its key (maybe renamed), a subset of
 * its columns or all of them, immutable expressions, sometimes a parent
 * (table or view) joined on src's reference, a correlated count of
 * children, a filter, an ORDER BY.  Registered as t[ntables] so
 * definitions can read it like a table; its key is the key of src's root.
 */
static void
add_view(Rng *r, Schema *s, int src)
{
	const Table *st = &s->t[src];
	Table	   *v;
	Buf			sel = {0};
	Buf			from = {0};
	Buf			where = {0};
	int			vi;
	int			depth = st->is_view ? st->view_depth + 1 : 1;
	char		pfx = (char) ('p' + depth - 1);
	int			fks[MAXCOLS];
	int			nfk = schema_fk_cols(st, fks);
	int			ct, ccol;
	char		root_stem[NAMELEN];

	snprintf(root_stem, NAMELEN, "%s", s->t[st->root].stem);
	if (s->ntables >= MAXTABLES - 16)
		return;
	vi = s->ntables++;
	s->nviews++;
	v = &s->t[vi];
	memset(v, 0, sizeof(Table));
	snprintf(v->name, NAMELEN, "v_%.40s_%d", root_stem, s->nviews);
	snprintf(v->stem, NAMELEN, "v");
	v->is_view = true;
	v->root = st->root;
	v->used = st->is_view ? st->used : UINT64_C(1) << src;
	if (chance(r, 15))
	{
		buf_puts(&sel, "s.*");
		for (int i = 0; i < st->ncols; i++)
			view_col(v, &st->cols[i], NULL);
	}
	else
	{
		char		kname[NAMELEN];

		snprintf(kname, NAMELEN, "id_%.40s", root_stem);
		if (chance(r, 15) && !view_has(st, kname))
		{
			buf_append(&sel, "s.%s AS %s", st->cols[0].name, kname);
			view_col(v, &st->cols[0], kname);
		}
		else
		{
			buf_append(&sel, "s.%s", st->cols[0].name);
			view_col(v, &st->cols[0], NULL);
		}
		for (int i = 1; i < st->ncols; i++)
		{
			const Column *c = &st->cols[i];
			Column		ec;
			char	   *e;

			if (!chance(r, 65))
				continue;
			if (chance(r, 12) && (e = view_expr("s", c, &ec)) != NULL)
			{
				char		en[NAMELEN];

				snprintf(en, NAMELEN, "e%d_%.40s", depth, c->name);
				buf_append(&sel, ", %s AS %s", e, en);
				view_col(v, &ec, en);
				free(e);
			}
			else
			{
				buf_append(&sel, ", s.%s", c->name);
				view_col(v, c, NULL);
			}
		}
	}
	if (chance(r, 12) && view_child(r, s, st->root, &ct, &ccol))
	{
		Column		n;
		char		nn[NAMELEN];

		memset(&n, 0, sizeof n);
		n.type = TY_BIGINT;
		n.scale = -1;
		n.fk = -1;
		snprintf(nn, NAMELEN, "n%d_%.40s", depth, s->t[ct].stem);
		if (!view_has(v, nn))
		{
			buf_append(&sel, ",\n           (SELECT count(*) FROM %s c WHERE c.%s = s.%s) AS %s",
					   s->t[ct].name, s->t[ct].cols[ccol].name, st->cols[0].name, nn);
			view_col(v, &n, nn);
			v->used |= UINT64_C(1) << ct;
		}
	}
	buf_append(&from, "\n    FROM %s s", st->name);
	if (nfk > 0 && chance(r, 40))
	{
		const Column *fk = &st->cols[fks[rnd(r, nfk)]];
		int			pi = fk->fk;
		int			cands[MAXTABLES], nc = 0;
		const Table *pt;
		bool		left = chance(r, 65);

		for (int i = s->nbase; i < vi; i++)
			if (s->t[i].root == fk->fk)
				cands[nc++] = i;
		if (nc > 0 && chance(r, 35))
			pi = cands[rnd(r, nc)];
		pt = &s->t[pi];
		buf_append(&from, "\n    %s %s p ON p.%s = s.%s", left ? "LEFT JOIN" : "JOIN",
				   pt->name, pt->cols[0].name, fk->name);
		v->used |= pt->is_view ? pt->used : UINT64_C(1) << pi;
		if (pt->is_view && pt->view_depth + 1 > depth)
			depth = pt->view_depth + 1;
		for (int k = rnd_range(r, 1, 2); k > 0 && pt->ncols > 1; k--)
		{
			const Column *c = &pt->cols[rnd_range(r, 1, pt->ncols - 1)];
			char		pn[NAMELEN];
			Column	   *vc;

			snprintf(pn, NAMELEN, "%c_%.40s", pfx, c->name);
			if (view_has(v, pn))
				continue;
			buf_append(&sel, ", p.%s AS %s", c->name, pn);
			vc = view_col(v, c, pn);
			if (vc && left)
				vc->not_null = false;
		}
		if (chance(r, 40))
		{
			char	   *cond = view_cond(r, "p", &pt->cols[rnd(r, pt->ncols)]);

			buf_append(&where, "%s", cond);
			free(cond);
		}
	}
	if (chance(r, 50))
	{
		char	   *cond = view_cond(r, "s", &st->cols[rnd(r, st->ncols)]);

		buf_append(&where, "%s%s", where.len ? " AND " : "", cond);
		free(cond);
	}
	if (chance(r, 8) && view_child(r, s, st->root, &ct, &ccol))
	{
		buf_append(&where, "%s%sEXISTS (SELECT 1 FROM %s c WHERE c.%s = s.%s)",
				   where.len ? " AND " : "", chance(r, 40) ? "NOT " : "",
				   s->t[ct].name, s->t[ct].cols[ccol].name, st->cols[0].name);
		v->used |= UINT64_C(1) << ct;
	}
	v->view_depth = depth;
	sl_addf(&s->ddl, "CREATE VIEW %s AS\n    SELECT %s%s%s%s%s", v->name, buf_str(&sel),
			buf_str(&from), where.len ? "\n    WHERE " : "", buf_str(&where),
			chance(r, 8) ? "\n    ORDER BY 1" : "");
	buf_free(&sel);
	buf_free(&from);
	buf_free(&where);
}

/*
 * The views definitions may read (a few over tables, some over views),
 * and for every table the views they must not: one with a volatile
 * column, one over that one, a materialized view.
 */
static void
add_views(Rng *r, Schema *s)
{
	for (int i = rnd_range(r, 2, 4); i > 0; i--)
		add_view(r, s, rnd(r, s->nbase));
	for (int i = rnd_range(r, 0, 2); i > 0; i--)
		add_view(r, s, rnd_range(r, s->nbase, s->ntables - 1));
	for (int ti = 0; ti < s->nbase; ti++)
	{
		const Table *t = &s->t[ti];
		Buf			b = {0};

		sl_addf(&s->ddl, "CREATE VIEW v_noisy_%s AS SELECT s.*, random() AS noise FROM %s s",
				t->stem, t->name);
		buf_append(&b, "CREATE VIEW v_noisy2_%s AS SELECT ", t->stem);
		for (int i = 0; i < t->ncols; i++)
			buf_append(&b, "%sn.%s", i ? ", " : "", t->cols[i].name);
		buf_append(&b, " FROM v_noisy_%s n", t->stem);
		sl_add(&s->ddl, buf_str(&b));
		buf_free(&b);
		sl_addf(&s->ddl, "CREATE MATERIALIZED VIEW v_mat_%s AS SELECT * FROM %s",
				t->stem, t->name);
	}
}

void
schema_generate(Schema *s, uint64_t seed)
{
	Rng			r;
	int			used[lengthof(stems)] = {0};

	memset(s, 0, sizeof(Schema));
	s->seed = seed;
	rng_seed(&r, seed);
	s->nbase = s->ntables = rnd_range(&r, 3, 6);
	for (int ti = 0; ti < s->nbase; ti++)
	{
		Table	   *t = &s->t[ti];
		Column	   *pk;
		int			st;
		int			nfk = ti == 0 ? 0 : rnd_range(&r, 1, 2);

		do
			st = rnd(&r, lengthof(stems));
		while (used[st]);
		used[st] = 1;
		snprintf(t->stem, NAMELEN, "%s", stems[st]);
		snprintf(t->name, NAMELEN, "tb_%.40s", stems[st]);
		t->root = ti;
		t->target_rows = ti == 0 ? rnd_range(&r, 4, 8) : rnd_range(&r, 8, 30);
		pk = add_col(t);
		snprintf(pk->name, NAMELEN, "pk_%.40s", t->stem);
		pk->type = random_pk_type(&r);
		pk->is_pk = pk->not_null = true;
		for (int i = 0; i < nfk; i++)
			add_fk(&r, s, t, rnd(&r, ti), false);
		if (chance(&r, ti == 0 ? 25 : 12))
			add_fk(&r, s, t, ti, true);
		for (int i = rnd_range(&r, 3, 7); i > 0; i--)
			add_data_col(&r, t);
	}

	sl_add(&s->ddl, "CREATE EXTENSION citext");
	sl_add(&s->ddl, "CREATE COLLATION ci (provider = icu,"
		   " locale = 'und-u-ks-level2', deterministic = false)");
	for (int ti = 0; ti < s->nbase; ti++)
		table_ddl(s, &s->t[ti], &s->ddl);
	/* views: their own generator, so that the tables and data stay as they were */
	{
		Rng			vr;

		rng_seed(&vr, mix_seed(seed, 0x76696577));
		add_views(&vr, s);
	}
	/* functions a definition must not use, or may */
	sl_add(&s->ddl, "CREATE FUNCTION fn_stable(numeric) RETURNS numeric"
		   " STABLE LANGUAGE sql AS 'SELECT $1 + 1'");
	sl_add(&s->ddl, "CREATE FUNCTION fn_immutable(numeric) RETURNS numeric"
		   " IMMUTABLE LANGUAGE sql AS 'SELECT $1 * 2'");
	if (chance(&r, 50))
		add_trigger(&r, s);
	for (int ti = 0; ti < s->nbase; ti++)
		table_fill(&r, s, ti);
	/* composite keys, arrays, two references, partitions: extra.c */
	extra_schema(s, mix_seed(seed, 0x65787472));
}

void
schema_print(const Schema *s, FILE *f)
{
	fprintf(f, "-- schema (seed %" PRIu64 "):\n", s->seed);
	for (int i = 0; i < s->ddl.n; i++)
		fprintf(f, "%s;\n", s->ddl.v[i]);
	fprintf(f, "-- initial data: ");
	for (int i = 0; i < s->nbase; i++)
		fprintf(f, "%s%s %d rows", i ? ", " : "", s->t[i].name, s->t[i].target_rows);
	fprintf(f, "\n");
}
