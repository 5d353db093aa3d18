/*
 * compare.c — is a read-model table equal to a fresh run of its definition?
 *
 * Both are fetched in libpq's binary result format.  A row is the
 * concatenation of its column values, each as a NULL marker or a length
 * and the value's binary image; the two multisets of rows are sorted and
 * compared.  Nothing is compared with SQL =, so numeric 10.5 and 10.50,
 * '1 day' and '24 hours', 'alice' and 'ALICE' under a case-insensitive
 * collation, float8 0 and -0 all count as different.
 *
 * The fresh run happens in a session whose output settings are pinned
 * (pinned_settings below, the one list to adjust), in the same snapshot
 * as the read of the table and the call of readmodel.verify().
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

/* The settings of the comparing session.  Keep this the only list. */
static const char *const pinned_settings[][2] = {
	{"TimeZone", "UTC"},
	{"DateStyle", "ISO, MDY"},
	{"IntervalStyle", "postgres"},
	{"extra_float_digits", "1"},
	{"bytea_output", "hex"},
	{"lc_monetary", "C"},
	{"lc_numeric", "C"},
	{"lc_time", "C"},
};

/*
 * Settings of a writing session that renders values differently: a read
 * model must not depend on which session wrote last.
 */
static const char *const hostile_settings[][2] = {
	{"TimeZone", "Asia/Kathmandu"},
	{"DateStyle", "SQL, DMY"},
	{"IntervalStyle", "sql_standard"},
	{"extra_float_digits", "0"},
	{"bytea_output", "escape"},
	{"lc_monetary", "C.utf8"},
	{"lc_numeric", "C.utf8"},
	{"lc_time", "C.utf8"},
};

/* plan variants a deterministic definition must not care about */
static const char *const plan_variants[] = {
	"SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off;"
	" SET LOCAL enable_seqscan = off",
	"SET LOCAL enable_nestloop = off; SET LOCAL enable_indexscan = off;"
	" SET LOCAL enable_bitmapscan = off; SET LOCAL enable_indexonlyscan = off",
	"SET LOCAL enable_hashagg = off; SET LOCAL enable_sort = off;"
	" SET LOCAL jit = off",
};

#define MAXSHOW 20

static void
apply_list(PGconn *c, const char *const list[][2], int n, Buf *log)
{
	for (int i = 0; i < n; i++)
	{
		char	   *v = quote_literal(list[i][1]);
		char	   *sql = strf("SET %s = %s", list[i][0], v);

		exec_or_die(c, sql);
		if (log)
			buf_append(log, "%s;\n", sql);
		free(sql);
		free(v);
	}
}

void
apply_pinned_settings(PGconn *c)
{
	apply_list(c, pinned_settings, lengthof(pinned_settings), NULL);
}

/* 0: the pinned settings; 1: the hostile ones */
void
apply_profile(PGconn *c, int profile, Buf *log)
{
	if (profile == 1)
		apply_list(c, hostile_settings, lengthof(hostile_settings), log);
	else
		apply_list(c, pinned_settings, lengthof(pinned_settings), log);
}

const char *
profile_name(int profile)
{
	return profile == 1 ? "hostile" : "pinned";
}

/* ------------------------------------------------------------------ */
/* row images                                                          */
/* ------------------------------------------------------------------ */

static int
img_cmp(const void *a, const void *b)
{
	const RowImg *x = a;
	const RowImg *y = b;
	size_t		n = x->len < y->len ? x->len : y->len;
	int			c = memcmp(x->img, y->img, n);

	if (c != 0)
		return c;
	return x->len < y->len ? -1 : x->len > y->len ? 1 : 0;
}

/*
 * Sort both multisets and flag the rows without a partner on the other
 * side.  only_a/only_b are indexed like the sorted arrays.  Returns the
 * number of unmatched rows on both sides.
 */
int
compare_images(RowImg *a, int na, RowImg *b, int nb, bool *only_a, bool *only_b)
{
	int			i = 0;
	int			j = 0;
	int			diff = 0;

	qsort(a, na, sizeof(RowImg), img_cmp);
	qsort(b, nb, sizeof(RowImg), img_cmp);
	while (i < na || j < nb)
	{
		int			c = i >= na ? 1 : j >= nb ? -1 : img_cmp(&a[i], &b[j]);

		if (c == 0)
		{
			only_a[i++] = false;
			only_b[j++] = false;
			continue;
		}
		diff++;
		if (c < 0)
			only_a[i++] = true;
		else
			only_b[j++] = true;
	}
	return diff;
}

/*
 * The rows of a binary result; the last column is the text of the row,
 * for display only.
 */
static RowImg *
result_images(const PGresult *r, int *n)
{
	int			nt = PQntuples(r);
	int			nf = PQnfields(r) - 1;
	RowImg	   *rows = xmalloc(sizeof(RowImg) * (nt ? nt : 1));

	for (int i = 0; i < nt; i++)
	{
		size_t		len = 0;
		unsigned char *p;

		for (int f = 0; f < nf; f++)
			len += 1 + (PQgetisnull(r, i, f) ? 0 : 4 + PQgetlength(r, i, f));
		p = rows[i].img = xmalloc(len ? len : 1);
		for (int f = 0; f < nf; f++)
		{
			uint32_t	l;

			if (PQgetisnull(r, i, f))
			{
				*p++ = 0;
				continue;
			}
			l = PQgetlength(r, i, f);
			*p++ = 1;
			*p++ = l >> 24;
			*p++ = l >> 16;
			*p++ = l >> 8;
			*p++ = l;
			memcpy(p, PQgetvalue(r, i, f), l);
			p += l;
		}
		rows[i].len = len;
		rows[i].text = xstrdup(PQgetisnull(r, i, nf) ? "NULL" : PQgetvalue(r, i, nf));
	}
	*n = nt;
	return rows;
}

static void
free_images(RowImg *rows, int n)
{
	for (int i = 0; i < n; i++)
	{
		free(rows[i].img);
		free(rows[i].text);
	}
	free(rows);
}

static PGresult *
exec_binary(PGconn *c, const char *sql)
{
	return PQexecParams(c, sql, 0, NULL, NULL, NULL, NULL, 1);
}

/* same column count and types, the text column aside */
static bool
same_shape(const PGresult *a, const PGresult *b, Buf *report)
{
	int			n = PQnfields(a);

	if (n != PQnfields(b))
	{
		buf_append(report, "-- the table has %d columns, the definition %d\n",
				   n - 1, PQnfields(b) - 1);
		return false;
	}
	for (int i = 0; i < n - 1; i++)
		if (PQftype(a, i) != PQftype(b, i))
		{
			buf_append(report, "-- column %s: type oid %u in the table, %u in the definition\n",
					   PQfname(a, i), PQftype(a, i), PQftype(b, i));
			return false;
		}
	return true;
}

static void
report_side(Buf *report, const char *what, RowImg *rows, int n, const bool *only, int count)
{
	int			shown = 0;

	if (count == 0)
		return;
	buf_append(report, "-- %d row(s) only in %s:\n", count, what);
	for (int i = 0; i < n && shown < MAXSHOW; i++)
		if (only[i])
		{
			buf_append(report, "   %s\n", rows[i].text);
			shown++;
		}
	if (count > shown)
		buf_append(report, "   ... %d more\n", count - shown);
}

static void
read_verify(PGconn *c, const char *name, CompareResult *out)
{
	const char *params[1] = {name};
	PGresult   *r = PQexecParams(c,
								 "SELECT problem, key, table_row::text, definition_row::text"
								 " FROM readmodel.verify($1)",
								 1, NULL, params, NULL, NULL, 0);

	if (!res_ok(r))
	{
		char	   *e = error_text(r);

		buf_append(&out->report, "-- readmodel.verify('%s') failed: %s\n", name, e);
		free(e);
		out->verify_rows = -1;
		PQclear(r);
		return;
	}
	out->verify_rows = PQntuples(r);
	if (out->verify_rows > 0)
		buf_append(&out->report, "-- readmodel.verify('%s') returned %d row(s):\n",
				   name, out->verify_rows);
	else
		buf_append(&out->report, "-- readmodel.verify('%s') returned no rows\n", name);
	for (int i = 0; i < PQntuples(r) && i < 10; i++)
		buf_append(&out->report, "   %s key=%s\n     table_row=%s\n     definition_row=%s\n",
				   PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
				   PQgetisnull(r, i, 2) ? "NULL" : PQgetvalue(r, i, 2),
				   PQgetisnull(r, i, 3) ? "NULL" : PQgetvalue(r, i, 3));
	PQclear(r);
}

static void
compare_results(PGresult *tr, PGresult *dr, CompareResult *out)
{
	int			na, nb;
	RowImg	   *a = result_images(tr, &na);
	RowImg	   *b = result_images(dr, &nb);
	bool	   *only_a = xmalloc(na + 1);
	bool	   *only_b = xmalloc(nb + 1);

	out->table_rows = na;
	out->def_rows = nb;
	compare_images(a, na, b, nb, only_a, only_b);
	for (int i = 0; i < na; i++)
		out->only_table += only_a[i];
	for (int i = 0; i < nb; i++)
		out->only_def += only_b[i];
	report_side(&out->report, "the read-model table", a, na, only_a, out->only_table);
	report_side(&out->report, "a fresh run of the definition", b, nb, only_b, out->only_def);
	free(only_a);
	free(only_b);
	free_images(a, na);
	free_images(b, nb);
}

/*
 * Compare model table `name` with a fresh run of `definition` on the
 * comparing connection c (pinned settings).  Returns false when the
 * comparison itself could not run (out->error says why).
 */
bool
compare_model(PGconn *c, const char *name, const char *definition, CompareResult *out)
{
	char	   *tq = strf("SELECT t.*, t::text FROM %s t", name);
	char	   *dq = strf("SELECT d.*, d::text FROM (%s) d", definition);
	PGresult   *tr = NULL;
	PGresult   *dr = NULL;
	bool		ok = false;

	memset(out, 0, sizeof(CompareResult));
	if (!exec_quiet(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"))
	{
		out->error = xstrdup(PQerrorMessage(c));
		free(tq);
		free(dq);
		return false;
	}
	tr = exec_binary(c, tq);
	if (!res_ok(tr))
	{
		out->error = error_text(tr);
		goto done;
	}
	dr = exec_binary(c, dq);
	if (!res_ok(dr))
	{
		out->query_error = true;
		out->error = error_text(dr);
		goto done;
	}
	if (!same_shape(tr, dr, &out->report))
		out->shape_differs = true;
	else
		compare_results(tr, dr, out);
	read_verify(c, name, out);
	ok = true;
done:
	PQclear(tr);
	PQclear(dr);
	exec_quiet(c, "ROLLBACK");
	free(tq);
	free(dq);
	return ok;
}

bool
compare_differs(const CompareResult *r)
{
	return r->shape_differs || r->only_table > 0 || r->only_def > 0;
}

/*
 * Does a fresh run of the definition depend on the plan?  Then a
 * difference is the generator's fault, not the engine's.
 */
bool
definition_is_nondeterministic(PGconn *c, const char *name, const char *definition)
{
	char	   *dq = strf("SELECT d.*, d::text FROM (%s) d", definition);
	PGresult   *base;
	bool		nondet = false;

	(void) name;
	if (!exec_quiet(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"))
	{
		free(dq);
		return false;
	}
	base = exec_binary(c, dq);
	for (int v = 0; v < lengthof(plan_variants) && res_ok(base) && !nondet; v++)
	{
		PGresult   *r;
		CompareResult cr;

		exec_quiet(c, "SAVEPOINT plan_variant");
		exec_quiet(c, plan_variants[v]);
		r = exec_binary(c, dq);
		if (res_ok(r))
		{
			memset(&cr, 0, sizeof cr);
			compare_results(base, r, &cr);
			nondet = compare_differs(&cr);
			compare_result_free(&cr);
		}
		PQclear(r);
		exec_quiet(c, "ROLLBACK TO SAVEPOINT plan_variant");
	}
	PQclear(base);
	exec_quiet(c, "ROLLBACK");
	free(dq);
	return nondet;
}

void
compare_result_free(CompareResult *r)
{
	free(r->error);
	buf_free(&r->report);
	r->error = NULL;
}
