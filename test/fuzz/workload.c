/*
 * workload.c — random DML transactions over the base tables of a schema.
 *
 * The statement kinds are those of test/difftest: single and multi-row
 * INSERT, INSERT ... SELECT, UPDATE of data, reference and key columns,
 * DELETE (with foreign-key cascades), INSERT ... ON CONFLICT, MERGE, COPY
 * FROM STDIN, TRUNCATE, DO blocks, savepoints rolled back or released,
 * readmodel.flush() and readmodel.refresh() mid-transaction, rolled-back
 * transactions, REPEATABLE READ and SERIALIZABLE, two-phase commit.  On
 * top, writes of equal-but-different values (UPDATE t SET n = 10.50
 * WHERE n = 10.5) and no-op writes.
 *
 * The statements depend only on the seed and the table contents (keys are
 * read in key order before each statement), not on the read models, so a
 * shrunk definition sees the same workload.  A statement that may break a
 * constraint runs inside a savepoint; a constraint violation on a base
 * table is expected, any other error is reported.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

typedef struct Stmt
{
	char	   *sql;
	bool		may_fail;		/* may violate a constraint of a base table */
	char	   *copy_data;		/* COPY ... FROM STDIN: the rows */
} Stmt;

static void do_op(Workload *w, int depth);

/* ------------------------------------------------------------------ */
/* keys                                                                */
/* ------------------------------------------------------------------ */

static void
keys_clear(KeyList *k)
{
	for (int i = 0; i < k->n; i++)
		free(k->v[i]);
	k->n = 0;
}

static void
keys_add(KeyList *k, const char *s)
{
	if (k->n == k->cap)
	{
		k->cap = k->cap ? k->cap * 2 : 32;
		k->v = xrealloc(k->v, sizeof(char *) * k->cap);
	}
	k->v[k->n++] = xstrdup(s);
}

/* the keys of every base table, in key order, in one round trip */
static bool
load_keys(Workload *w)
{
	Buf			q = {0};
	PGresult   *r;
	Schema	   *s = w->schema;

	buf_puts(&q, "SELECT t, k FROM (");
	for (int i = 0; i < s->nbase; i++)
		buf_append(&q, "%sSELECT %d AS t, row_number() OVER (ORDER BY %s) AS n, %s::text AS k"
				   " FROM %s", i ? " UNION ALL " : "", i, s->t[i].cols[0].name,
				   s->t[i].cols[0].name, s->t[i].name);
	buf_puts(&q, ") s ORDER BY t, n");
	r = PQexec(w->conn, buf_str(&q));
	buf_free(&q);
	if (!res_ok(r))
	{
		w->failed = true;
		w->err_msg = error_text(r);
		w->err_sql = xstrdup("(reading the keys)");
		PQclear(r);
		return false;
	}
	for (int i = 0; i < s->nbase; i++)
		keys_clear(&w->keys[i]);
	for (int i = 0; i < PQntuples(r); i++)
		keys_add(&w->keys[atoi(PQgetvalue(r, i, 0))], PQgetvalue(r, i, 1));
	PQclear(r);
	return true;
}

/* a random existing key of table t as a literal, or NULL if empty */
static char *
pick_key(Workload *w, int t)
{
	KeyList    *k = &w->keys[t];

	if (k->n == 0)
		return NULL;
	return text_to_literal(&w->schema->t[t].cols[0], k->v[rnd(&w->rng, k->n)]);
}

static char *
fresh_key(Workload *w, int t)
{
	return key_literal(&w->schema->t[t].cols[0], ++w->next_key[t]);
}

/*
 * A value for reference column c: an existing parent key (sometimes in
 * another scale), NULL, or a dangling key when no FOREIGN KEY checks it.
 * Returns NULL when no valid value exists.
 */
static char *
parent_value(Workload *w, const Column *c)
{
	KeyList    *k = &w->keys[c->fk];
	char	   *t;
	char	   *r;

	if (!c->not_null && chance(&w->rng, 12))
		return strf("NULL::%s", type_sql(c));
	if (!c->fk_constraint && chance(&w->rng, 5))
		return key_literal(c, 900000 + rnd(&w->rng, 10));
	if (k->n == 0)
		return c->not_null ? NULL : strf("NULL::%s", type_sql(c));
	t = k->v[rnd(&w->rng, k->n)];
	if (c->type == TY_NUMERIC && chance(&w->rng, 30))
	{
		/* the same key, written with another scale */
		char	   *v = strf(strchr(t, '.') ? "%s0" : "%s.0", t);

		r = text_to_literal(c, v);
		free(v);
		return r;
	}
	return text_to_literal(c, t);
}

/* ------------------------------------------------------------------ */
/* statement execution                                                 */
/* ------------------------------------------------------------------ */

static void
wl_log(Workload *w, const char *s)
{
	sl_add(&w->log, s);
	sl_add(&w->all, s);
	if (opt.verbose)
		printf("    [%d] %s\n", w->txn_no, s);
}

/* an error of a base table's constraint, which the workload allows */
static bool
expected_error(const PGresult *r)
{
	const char *st = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	const char *tab = PQresultErrorField(r, PG_DIAG_TABLE_NAME);

	if (st == NULL || strncmp(st, "23", 2) != 0)
		return false;
	return tab == NULL || strncmp(tab, "tv_", 3) != 0;
}

static void
record_error(Workload *w, const char *sql, const PGresult *r)
{
	const char *st = PQresultErrorField(r, PG_DIAG_SQLSTATE);

	w->failed = true;
	w->crashed = conn_lost(w->conn);
	snprintf(w->err_state, sizeof w->err_state, "%s", st ? st : "?????");
	free(w->err_msg);
	free(w->err_sql);
	w->err_msg = error_text(r);
	w->err_sql = xstrdup(sql);
}

/* run one statement; false after an error (expected or not) */
static bool
exec_one(Workload *w, const char *sql, const char *copy_data, bool may_fail)
{
	PGresult   *r;
	bool		ok;

	r = PQexec(w->conn, sql);
	if (copy_data && PQresultStatus(r) == PGRES_COPY_IN)
	{
		PQclear(r);
		if (PQputCopyData(w->conn, copy_data, (int) strlen(copy_data)) != 1 ||
			PQputCopyEnd(w->conn, NULL) != 1)
		{
			w->failed = true;
			w->err_msg = xstrdup(PQerrorMessage(w->conn));
			w->err_sql = xstrdup(sql);
			return false;
		}
		r = PQgetResult(w->conn);
		while (PQgetResult(w->conn) != NULL)
			;
	}
	ok = res_ok(r);
	if (!ok && may_fail && expected_error(r))
	{
		char	   *m = strf("-- (expected failure: %s)",
							 PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY));

		wl_log(w, m);
		free(m);
	}
	else if (!ok)
		record_error(w, sql, r);
	PQclear(r);
	return ok;
}

static void
run_stmt(Workload *w, Stmt *st, bool in_block)
{
	Buf			logged = {0};
	bool		sp = st->may_fail && in_block;
	char		name[32];

	if (w->failed || st->sql == NULL)
		goto done;
	if (st->copy_data)
		buf_append(&logged, "%s;\n%s\\.", st->sql, st->copy_data);
	else
		buf_puts(&logged, st->sql);
	snprintf(name, sizeof name, "may_fail_%d", ++w->sp);
	if (sp)
	{
		char	   *s = strf("SAVEPOINT %s", name);

		wl_log(w, s);
		exec_one(w, s, NULL, false);
		free(s);
	}
	wl_log(w, buf_str(&logged));
	if (!exec_one(w, st->sql, st->copy_data, st->may_fail) && sp && !w->failed)
	{
		char	   *s = strf("ROLLBACK TO SAVEPOINT %s", name);

		wl_log(w, s);
		exec_one(w, s, NULL, false);
		free(s);
	}
	if (sp && !w->failed)
	{
		char	   *s = strf("RELEASE SAVEPOINT %s", name);

		wl_log(w, s);
		exec_one(w, s, NULL, false);
		free(s);
	}
done:
	free(st->sql);
	free(st->copy_data);
	buf_free(&logged);
}

static void
run_sql(Workload *w, const char *sql)
{
	Stmt		st = {xstrdup(sql), false, NULL};

	run_stmt(w, &st, true);
}

/* ------------------------------------------------------------------ */
/* statement builders                                                  */
/* ------------------------------------------------------------------ */

static int
pick_table(Workload *w)
{
	int			total = 0;
	int			x;

	for (int i = 0; i < w->schema->nbase; i++)
		total += w->weight[i];
	x = rnd(&w->rng, total);
	for (int i = 0; i < w->schema->nbase; i++)
	{
		if (x < w->weight[i])
			return i;
		x -= w->weight[i];
	}
	return 0;
}

/* a data column (not key, not reference), or -1 */
static int
pick_data_col(Workload *w, const Table *t)
{
	int			cands[MAXCOLS];
	int			n = 0;

	for (int i = 1; i < t->ncols; i++)
		if (t->cols[i].fk < 0)
			cands[n++] = i;
	return n ? cands[rnd(&w->rng, n)] : -1;
}

/* "(pk, fk..., cols...)" values of a new row; NULL if a parent is missing */
static char *
row_values(Workload *w, int ti, const char *key)
{
	const Table *t = &w->schema->t[ti];
	Buf			b = {0};

	buf_append(&b, "(%s", key);
	for (int i = 1; i < t->ncols; i++)
	{
		const Column *c = &t->cols[i];
		char	   *v = c->fk >= 0 ? parent_value(w, c) : value_literal(&w->rng, c, 15);

		if (v == NULL)
		{
			buf_free(&b);
			return NULL;
		}
		buf_append(&b, ", %s", v);
		free(v);
	}
	buf_puts(&b, ")");
	return b.data;
}

static char *
column_list(const Table *t)
{
	Buf			b = {0};

	for (int i = 0; i < t->ncols; i++)
		buf_append(&b, "%s%s", i ? ", " : "", t->cols[i].name);
	return b.data;
}

static Stmt
st_insert(Workload *w, int ti, int nrows)
{
	const Table *t = &w->schema->t[ti];
	Stmt		st = {NULL, false, NULL};
	Buf			b = {0};
	char	   *cols = column_list(t);

	buf_append(&b, "INSERT INTO %s (%s) VALUES ", t->name, cols);
	for (int i = 0; i < nrows; i++)
	{
		char	   *k = fresh_key(w, ti);
		char	   *v = row_values(w, ti, k);

		free(k);
		if (v == NULL)
		{
			buf_free(&b);
			free(cols);
			return st;
		}
		buf_append(&b, "%s%s", i ? ", " : "", v);
		free(v);
	}
	st.sql = b.data;
	free(cols);
	return st;
}

/* copy existing rows under new keys */
static Stmt
st_insert_select(Workload *w, int ti)
{
	const Table *t = &w->schema->t[ti];
	Stmt		st = {NULL, false, NULL};
	Buf			b = {0};
	char	   *cols = column_list(t);
	int			n = rnd_range(&w->rng, 1, 3);

	if (w->keys[ti].n == 0)
	{
		free(cols);
		return st_insert(w, ti, 1);
	}
	buf_append(&b, "INSERT INTO %s (%s) SELECT v.k", t->name, cols);
	for (int i = 1; i < t->ncols; i++)
		buf_append(&b, ", s.%s", t->cols[i].name);
	buf_puts(&b, " FROM (VALUES ");
	for (int i = 0; i < n; i++)
	{
		char	   *k = fresh_key(w, ti);
		char	   *o = pick_key(w, ti);

		buf_append(&b, "%s(%s, %s)", i ? ", " : "", k, o);
		free(k);
		free(o);
	}
	buf_append(&b, ") v(k, o) JOIN %s s ON s.%s = v.o", t->name, t->cols[0].name);
	st.sql = b.data;
	free(cols);
	return st;
}

/* WHERE clause choosing some rows of t */
static char *
where_rows(Workload *w, int ti)
{
	const Table *t = &w->schema->t[ti];
	int			x = rnd(&w->rng, 100);
	int			dc = pick_data_col(w, t);

	if (x < 65 || w->keys[ti].n < 3)
	{
		char	   *k = pick_key(w, ti);
		char	   *r = strf("%s = %s", t->cols[0].name, k ? k : "NULL");

		free(k);
		return r;
	}
	if (x < 85 || dc < 0)
	{
		char	   *a = pick_key(w, ti);
		char	   *b = pick_key(w, ti);
		char	   *r = strf("%s IN (%s, %s)", t->cols[0].name, a, b);

		free(a);
		free(b);
		return r;
	}
	return strf("%s IS %sNULL", t->cols[dc].name, chance(&w->rng, 50) ? "NOT " : "");
}

static Stmt
st_update_data(Workload *w, int ti)
{
	const Table *t = &w->schema->t[ti];
	Stmt		st = {NULL, false, NULL};
	int			c1 = pick_data_col(w, t);
	int			c2 = pick_data_col(w, t);
	char	   *v1, *v2, *wh;

	if (c1 < 0)
		return st;
	v1 = value_literal(&w->rng, &t->cols[c1], 15);
	v2 = value_literal(&w->rng, &t->cols[c2], 15);
	wh = where_rows(w, ti);
	if (c1 != c2 && chance(&w->rng, 30))
		st.sql = strf("UPDATE %s SET %s = %s, %s = %s WHERE %s", t->name,
					  t->cols[c1].name, v1, t->cols[c2].name, v2, wh);
	else if (chance(&w->rng, 10))
		st.sql = strf("UPDATE %s SET %s = %s WHERE %s", t->name, t->cols[c1].name,
					  t->cols[c1].name, wh);
	else
		st.sql = strf("UPDATE %s SET %s = %s WHERE %s", t->name, t->cols[c1].name, v1, wh);
	free(v1);
	free(v2);
	free(wh);
	return st;
}

/* UPDATE t SET n = 10.50 WHERE n = 10.5: equal, but not the same */
static Stmt
st_update_ebd(Workload *w, int ti)
{
	const Table *t = &w->schema->t[ti];
	Stmt		st = {NULL, false, NULL};
	int			cands[MAXCOLS];
	int			nc = 0;
	int			n;
	const char *const *grp;
	const Column *c;
	int			a, b;
	char	   *va, *vb;

	for (int i = 1; i < t->ncols; i++)
		if (t->cols[i].fk < 0 && ebd_group(&w->rng, &t->cols[i], &n))
			cands[nc++] = i;
	if (nc == 0)
		return st_update_data(w, ti);
	c = &t->cols[cands[rnd(&w->rng, nc)]];
	grp = ebd_group(&w->rng, c, &n);
	a = rnd(&w->rng, n);
	b = (a + 1 + rnd(&w->rng, n - 1)) % n;
	va = text_to_literal(c, grp[a]);
	vb = text_to_literal(c, grp[b]);
	if (chance(&w->rng, 60))
		st.sql = strf("UPDATE %s SET %s = %s WHERE %s = %s", t->name, c->name, vb,
					  c->name, va);
	else
	{
		char	   *wh = where_rows(w, ti);

		st.sql = strf("UPDATE %s SET %s = %s WHERE %s", t->name, c->name, vb, wh);
		free(wh);
	}
	free(va);
	free(vb);
	return st;
}

static Stmt
st_update_fk(Workload *w, int ti)
{
	const Table *t = &w->schema->t[ti];
	Stmt		st = {NULL, false, NULL};
	int			fks[MAXCOLS];
	int			n = schema_fk_cols(t, fks);
	const Column *c;
	char	   *v;
	char	   *k;

	if (n == 0 || w->keys[ti].n == 0)
		return st_update_data(w, ti);
	c = &t->cols[fks[rnd(&w->rng, n)]];
	if (chance(&w->rng, 20) && w->keys[c->fk].n >= 2)
	{
		/* swap the children of two parents */
		char	   *a = text_to_literal(c, w->keys[c->fk].v[rnd(&w->rng, w->keys[c->fk].n)]);
		char	   *b = text_to_literal(c, w->keys[c->fk].v[rnd(&w->rng, w->keys[c->fk].n)]);

		st.sql = strf("UPDATE %s SET %s = CASE WHEN %s = %s THEN %s ELSE %s END"
					  " WHERE %s IN (%s, %s)", t->name, c->name, c->name, a, b, a,
					  c->name, a, b);
		free(a);
		free(b);
		return st;
	}
	v = parent_value(w, c);
	k = where_rows(w, ti);
	if (v)
		st.sql = strf("UPDATE %s SET %s = %s WHERE %s", t->name, c->name, v, k);
	free(v);
	free(k);
	return st;
}

/* a new primary key; for numeric keys sometimes the same value, rescaled */
static Stmt
st_update_pk(Workload *w, int ti)
{
	const Table *t = &w->schema->t[ti];
	Stmt		st = {NULL, true, NULL};
	char	   *k = pick_key(w, ti);
	char	   *nk;

	if (k == NULL)
		return st_insert(w, ti, 1);
	if (t->cols[0].type == TY_NUMERIC && chance(&w->rng, 50))
		nk = strf("round(%s, %d)", t->cols[0].name, rnd_range(&w->rng, 1, 3));
	else
		nk = fresh_key(w, ti);
	st.sql = strf("UPDATE %s SET %s = %s WHERE %s = %s", t->name, t->cols[0].name,
				  nk, t->cols[0].name, k);
	free(k);
	free(nk);
	return st;
}

static Stmt
st_delete(Workload *w, int ti)
{
	const Table *t = &w->schema->t[ti];
	Stmt		st = {NULL, true, NULL};
	int			fks[MAXCOLS];
	int			n = schema_fk_cols(t, fks);

	if (n > 0 && chance(&w->rng, 30))
	{
		const Column *c = &t->cols[fks[rnd(&w->rng, n)]];
		char	   *v = parent_value(w, c);

		if (v && strncmp(v, "NULL", 4) != 0)
		{
			st.sql = strf("DELETE FROM %s WHERE %s = %s", t->name, c->name, v);
			free(v);
			return st;
		}
		free(v);
	}
	{
		char	   *wh = where_rows(w, ti);

		st.sql = strf("DELETE FROM %s WHERE %s", t->name, wh);
		free(wh);
	}
	return st;
}

static Stmt
st_upsert(Workload *w, int ti)
{
	const Table *t = &w->schema->t[ti];
	Stmt		st = {NULL, false, NULL};
	char	   *k = chance(&w->rng, 70) ? pick_key(w, ti) : NULL;
	char	   *v;
	char	   *cols = column_list(t);
	int			dc = pick_data_col(w, t);
	int			fks[MAXCOLS];
	int			nfk = schema_fk_cols(t, fks);

	if (k == NULL)
		k = fresh_key(w, ti);
	v = row_values(w, ti, k);
	if (v == NULL)
		goto done;
	if (dc < 0 || chance(&w->rng, 20))
		st.sql = strf("INSERT INTO %s (%s) VALUES %s ON CONFLICT (%s) DO NOTHING",
					  t->name, cols, v, t->cols[0].name);
	else if (nfk > 0 && chance(&w->rng, 30))
		st.sql = strf("INSERT INTO %s (%s) VALUES %s ON CONFLICT (%s) DO UPDATE SET"
					  " %s = EXCLUDED.%s, %s = EXCLUDED.%s", t->name, cols, v,
					  t->cols[0].name, t->cols[dc].name, t->cols[dc].name,
					  t->cols[fks[0]].name, t->cols[fks[0]].name);
	else
		st.sql = strf("INSERT INTO %s (%s) VALUES %s ON CONFLICT (%s) DO UPDATE SET"
					  " %s = EXCLUDED.%s", t->name, cols, v, t->cols[0].name,
					  t->cols[dc].name, t->cols[dc].name);
done:
	free(k);
	free(v);
	free(cols);
	return st;
}

static Stmt
st_merge(Workload *w, int ti)
{
	const Table *t = &w->schema->t[ti];
	Stmt		st = {NULL, true, NULL};
	Buf			b = {0};
	int			dc = pick_data_col(w, t);
	int			n = rnd_range(&w->rng, 1, 3);
	char	   *used[3] = {NULL, NULL, NULL};

	if (dc < 0)
		return st_insert(w, ti, 1);
	buf_puts(&b, "MERGE INTO ");
	buf_append(&b, "%s x USING (VALUES ", t->name);
	for (int i = 0; i < n; i++)
	{
		char	   *k = chance(&w->rng, 60) ? pick_key(w, ti) : NULL;
		char	   *v = value_literal(&w->rng, &t->cols[dc], 20);

		/* a target row may be matched once only */
		for (int j = 0; k && j < i; j++)
			if (strcmp(used[j], k) == 0)
			{
				free(k);
				k = NULL;
			}
		if (k == NULL)
			k = fresh_key(w, ti);
		used[i] = xstrdup(k);
		buf_append(&b, "%s(%s, %s", i ? ", " : "", k, v);
		for (int j = 1; j < t->ncols; j++)
			if (t->cols[j].fk >= 0)
			{
				char	   *p = parent_value(w, &t->cols[j]);

				/* typed: a VALUES column of NULLs alone would be text */
				if (p)
					buf_append(&b, ", %s", p);
				else
					buf_append(&b, ", NULL::%s", type_sql(&t->cols[j]));
				free(p);
			}
		buf_puts(&b, ")");
		free(k);
		free(v);
	}
	buf_puts(&b, ") AS v(k, c");
	for (int j = 1; j < t->ncols; j++)
		if (t->cols[j].fk >= 0)
			buf_append(&b, ", f%d", j);
	buf_append(&b, ") ON x.%s = v.k WHEN MATCHED AND v.c IS NULL THEN DELETE"
			   " WHEN MATCHED THEN UPDATE SET %s = v.c WHEN NOT MATCHED THEN INSERT (%s, %s",
			   t->cols[0].name, t->cols[dc].name, t->cols[0].name, t->cols[dc].name);
	for (int j = 1; j < t->ncols; j++)
		if (t->cols[j].fk >= 0)
			buf_append(&b, ", %s", t->cols[j].name);
	buf_puts(&b, ") VALUES (v.k, v.c");
	for (int j = 1; j < t->ncols; j++)
		if (t->cols[j].fk >= 0)
			buf_append(&b, ", v.f%d", j);
	buf_puts(&b, ")");
	st.sql = b.data;
	for (int i = 0; i < n; i++)
		free(used[i]);
	return st;
}

static Stmt
st_copy(Workload *w, int ti)
{
	const Table *t = &w->schema->t[ti];
	Stmt		st = {NULL, false, NULL};
	Buf			data = {0};
	char	   *cols = column_list(t);
	int			n = rnd_range(&w->rng, 1, 4);

	for (int r = 0; r < n; r++)
	{
		char	   *k = key_text(&t->cols[0], ++w->next_key[ti]);

		buf_append(&data, "%s", k);
		free(k);
		for (int i = 1; i < t->ncols; i++)
		{
			const Column *c = &t->cols[i];
			char	   *v;

			if (c->fk >= 0)
			{
				KeyList    *kk = &w->keys[c->fk];

				if (kk->n == 0 || (!c->not_null && chance(&w->rng, 15)))
				{
					if (c->not_null)
					{
						buf_free(&data);
						free(cols);
						return st;
					}
					v = xstrdup("\\N");
				}
				else
					v = xstrdup(kk->v[rnd(&w->rng, kk->n)]);
			}
			else
				v = value_copy_text(&w->rng, c);
			buf_append(&data, "\t%s", v);
			free(v);
		}
		buf_puts(&data, "\n");
	}
	st.sql = strf("COPY %s (%s) FROM STDIN", t->name, cols);
	st.copy_data = data.data;
	free(cols);
	return st;
}

/*
 * Deferred foreign keys: a child row referencing a parent key that does
 * not exist yet, then the parent.  Returns false when no table has one.
 */
static bool
op_child_first(Workload *w)
{
	Schema	   *s = w->schema;

	for (int tries = 0; tries < 8; tries++)
	{
		int			ti = pick_table(w);
		const Table *t = &s->t[ti];

		for (int i = 1; i < t->ncols; i++)
		{
			const Column *c = &t->cols[i];
			const Table *pt = &s->t[c->fk];
			long		pn;
			char	   *pk, *prow, *ck, *kt, *ref, *ccols, *pcols;
			Buf			v = {0};
			Stmt		st = {NULL, false, NULL};

			if (!c->deferred || c->fk == ti)
				continue;
			pn = ++w->next_key[c->fk];
			pk = key_literal(&pt->cols[0], pn);
			prow = row_values(w, c->fk, pk);
			if (prow == NULL)
			{
				free(pk);
				return false;
			}
			kt = key_text(&pt->cols[0], pn);
			ref = text_to_literal(c, kt);
			ck = fresh_key(w, ti);
			buf_append(&v, "(%s", ck);
			for (int j = 1; j < t->ncols; j++)
			{
				char	   *x = j == i ? xstrdup(ref) : t->cols[j].fk >= 0 ?
					parent_value(w, &t->cols[j]) : value_literal(&w->rng, &t->cols[j], 15);

				buf_append(&v, ", %s", x ? x : "NULL");
				free(x);
			}
			buf_puts(&v, ")");
			ccols = column_list(t);
			pcols = column_list(pt);
			st.sql = strf("INSERT INTO %s (%s) VALUES %s", t->name, ccols, buf_str(&v));
			st.may_fail = true;
			run_stmt(w, &st, true);
			st.may_fail = false;
			/* the parent the child references, later in the transaction */
			st.sql = strf("INSERT INTO %s (%s) VALUES %s", pt->name, pcols, prow);
			run_stmt(w, &st, true);
			free(pk);
			free(prow);
			free(kt);
			free(ref);
			free(ck);
			free(ccols);
			free(pcols);
			buf_free(&v);
			return true;
		}
	}
	return false;
}

/* two statements in a DO block, the second sometimes undone */
static Stmt
st_do(Workload *w, int ti)
{
	Stmt		a = st_update_data(w, ti);
	Stmt		b = st_update_ebd(w, pick_table(w));
	Stmt		st = {NULL, false, NULL};

	if (a.sql && b.sql)
	{
		if (chance(&w->rng, 50))
			st.sql = strf("DO $$ BEGIN\n  %s;\n  BEGIN\n    %s;\n    RAISE EXCEPTION 'undo';\n"
						  "  EXCEPTION WHEN raise_exception THEN NULL;\n  END;\nEND $$",
						  a.sql, b.sql);
		else
			st.sql = strf("DO $$ BEGIN\n  %s;\n  %s;\nEND $$", a.sql, b.sql);
	}
	free(a.sql);
	free(b.sql);
	return st;
}

/* ------------------------------------------------------------------ */
/* operations                                                          */
/* ------------------------------------------------------------------ */

typedef enum OpKind
{
	OP_INSERT, OP_INSERT_MULTI, OP_INSERT_SELECT, OP_UPDATE, OP_UPDATE_EBD,
	OP_UPDATE_FK, OP_UPDATE_PK, OP_DELETE, OP_UPSERT, OP_MERGE, OP_COPY,
	OP_DO, OP_TRUNCATE, OP_SAVEPOINT, OP_FLUSH, OP_REFRESH, OP_CHILD_FIRST,
	OP_ADD_COLUMN, NOPS
} OpKind;

static const int op_weight[NOPS] = {
	[OP_INSERT] = 10,
	[OP_INSERT_MULTI] = 5,
	[OP_INSERT_SELECT] = 3,
	[OP_UPDATE] = 20,
	[OP_UPDATE_EBD] = 12,
	[OP_UPDATE_FK] = 10,
	[OP_UPDATE_PK] = 3,
	[OP_DELETE] = 8,
	[OP_UPSERT] = 5,
	[OP_MERGE] = 4,
	[OP_COPY] = 3,
	[OP_DO] = 2,
	[OP_TRUNCATE] = 1,
	[OP_SAVEPOINT] = 5,
	[OP_FLUSH] = 4,
	[OP_REFRESH] = 1,
	[OP_CHILD_FIRST] = 3,
	[OP_ADD_COLUMN] = 1,
};

static OpKind
pick_op(Workload *w)
{
	int			total = 0;
	int			x;

	for (int i = 0; i < NOPS; i++)
		total += op_weight[i];
	x = rnd(&w->rng, total);
	for (int i = 0; i < NOPS; i++)
	{
		if (x < op_weight[i])
			return (OpKind) i;
		x -= op_weight[i];
	}
	return OP_UPDATE;
}

/* a table whose size left its range, and a statement that brings it back */
static bool
rebalance(Workload *w, Stmt *st)
{
	for (int i = 0; i < w->schema->nbase; i++)
	{
		const Table *t = &w->schema->t[i];

		if (w->keys[i].n < t->target_rows / 2 && chance(&w->rng, 60))
		{
			*st = st_insert(w, i, rnd_range(&w->rng, 1, 3));
			return true;
		}
		if (w->keys[i].n > t->target_rows * 2 + 5 && chance(&w->rng, 60))
		{
			st->sql = strf("DELETE FROM %s WHERE %s IN (SELECT %s FROM %s ORDER BY %s DESC LIMIT %d)",
						   t->name, t->cols[0].name, t->cols[0].name, t->name,
						   t->cols[0].name, w->keys[i].n - t->target_rows);
			st->may_fail = true;
			st->copy_data = NULL;
			return true;
		}
	}
	return false;
}

static Stmt
build_stmt(Workload *w, OpKind op, int ti)
{
	switch (op)
	{
		case OP_INSERT:
			return st_insert(w, ti, 1);
		case OP_INSERT_MULTI:
			return st_insert(w, ti, rnd_range(&w->rng, 2, 4));
		case OP_INSERT_SELECT:
			return st_insert_select(w, ti);
		case OP_UPDATE_EBD:
			return st_update_ebd(w, ti);
		case OP_UPDATE_FK:
			return st_update_fk(w, ti);
		case OP_UPDATE_PK:
			return st_update_pk(w, ti);
		case OP_DELETE:
			return st_delete(w, ti);
		case OP_UPSERT:
			return st_upsert(w, ti);
		case OP_MERGE:
			return st_merge(w, ti);
		case OP_COPY:
			return st_copy(w, ti);
		case OP_DO:
			return st_do(w, ti);
		default:
			return st_update_data(w, ti);
	}
}

static void
op_savepoint(Workload *w, int depth)
{
	int			sp = ++w->sp;
	char	   *s = strf("SAVEPOINT sp%d", sp);

	run_sql(w, s);
	free(s);
	for (int i = rnd_range(&w->rng, 1, 3); i > 0 && !w->failed; i--)
		do_op(w, depth + 1);
	if (chance(&w->rng, 30))
		run_sql(w, "SELECT readmodel.flush()");
	s = strf(chance(&w->rng, 60) ? "ROLLBACK TO SAVEPOINT sp%d" : "RELEASE SAVEPOINT sp%d", sp);
	run_sql(w, s);
	free(s);
}

static void
do_op(Workload *w, int depth)
{
	OpKind		op;
	Stmt		st = {NULL, false, NULL};
	int			ti;

	if (w->failed || !load_keys(w))
		return;
	if (rebalance(w, &st))
	{
		run_stmt(w, &st, true);
		return;
	}
	if (w->xeweight > 0 && chance(&w->rng, w->xeweight))
	{
		/* tb_xe and tb_xt (extra.c): rows move between groups */
		st.sql = extra_xe_stmt(&w->rng, w->schema, &st.may_fail);
		run_stmt(w, &st, true);
		return;
	}
	if (w->xweight > 0 && chance(&w->rng, w->xweight))
	{
		/* the extra tables (extra.c): composite keys, arrays, partitions */
		st.sql = extra_stmt(&w->rng, w->schema, &st.may_fail);
		run_stmt(w, &st, true);
		return;
	}
	op = pick_op(w);
	ti = pick_table(w);
	if (op == OP_SAVEPOINT)
	{
		if (depth < 2)
			op_savepoint(w, depth);
		return;
	}
	if (op == OP_FLUSH)
	{
		run_sql(w, "SELECT readmodel.flush()");
		return;
	}
	if (op == OP_REFRESH)
	{
		if (w->nmodels > 0)
		{
			char	   *s = strf("SELECT readmodel.refresh('%s')",
								 w->model_names[rnd(&w->rng, w->nmodels)]);

			run_sql(w, s);
			free(s);
		}
		return;
	}
	if (op == OP_CHILD_FIRST && op_child_first(w))
		return;
	/*
	 * Neither runs while trigger events are pending, as after any write to
	 * a table with a deferred foreign key: only first in a transaction.
	 */
	if ((op == OP_ADD_COLUMN || op == OP_TRUNCATE) && w->log.n > 1)
		op = OP_UPDATE;
	if (op == OP_ADD_COLUMN)
	{
		char	   *s;

		w->nadded++;
		s = strf("ALTER TABLE %s ADD COLUMN added_%d int DEFAULT %d",
				 w->schema->t[ti].name, w->nadded, w->nadded);

		run_sql(w, s);
		free(s);
		return;
	}
	if (op == OP_TRUNCATE)
	{
		char	   *s = strf("TRUNCATE %s CASCADE", w->schema->t[ti].name);

		run_sql(w, s);
		free(s);
		return;
	}
	st = build_stmt(w, op, ti);
	run_stmt(w, &st, true);
}

/* ------------------------------------------------------------------ */
/* transactions                                                        */
/* ------------------------------------------------------------------ */

void
workload_init(Workload *w, PGconn *c, Schema *s, uint64_t seed)
{
	PGresult   *r;

	memset(w, 0, sizeof(Workload));
	w->conn = c;
	w->schema = s;
	rng_seed(&w->rng, seed);
	for (int i = 0; i < s->nbase; i++)
	{
		w->next_key[i] = 1000;
		w->weight[i] = 1;
	}
	r = PQexec(c, "SHOW max_prepared_transactions");
	w->twopc = res_ok(r) && atoi(PQgetvalue(r, 0, 0)) > 0;
	PQclear(r);
}

/*
 * COMMIT or PREPARE TRANSACTION; a deferred foreign key the workload broke
 * makes it fail, which is not the engine's doing.  Returns false then.
 */
static bool
run_commit(Workload *w, const char *sql)
{
	Stmt		st = {xstrdup(sql), true, NULL};
	int			before = w->log.n;

	run_stmt(w, &st, false);
	return !w->failed && w->log.n == before + 1;
}

/* end the transaction: COMMIT, ROLLBACK or two-phase */
static TxEnd
finish(Workload *w)
{
	int			x = rnd(&w->rng, 100);
	char		gid[64];
	char	   *s;

	if (w->failed)
		return TX_ERROR;
	if (x < 10)
	{
		run_sql(w, "ROLLBACK");
		return w->failed ? TX_ERROR : TX_ROLLED_BACK;
	}
	if (x >= 82 && w->twopc)
	{
		snprintf(gid, sizeof gid, "fuzz_%d_%d", w->txn_no, rnd(&w->rng, 1000000));
		s = strf("PREPARE TRANSACTION '%s'", gid);
		if (!run_commit(w, s))
		{
			free(s);
			return w->failed ? TX_ERROR : TX_ROLLED_BACK;
		}
		free(s);
		s = strf(x < 95 ? "COMMIT PREPARED '%s'" : "ROLLBACK PREPARED '%s'", gid);
		run_sql(w, s);
		free(s);
		if (w->failed)
			return TX_ERROR;
		return x < 95 ? TX_COMMITTED : TX_ROLLED_BACK;
	}
	if (!run_commit(w, "COMMIT"))
		return w->failed ? TX_ERROR : TX_ROLLED_BACK;
	return TX_COMMITTED;
}

TxEnd
workload_txn(Workload *w)
{
	int			x = rnd(&w->rng, 100);
	int			nops = chance(&w->rng, 5) ? rnd_range(&w->rng, 8, 16) : rnd_range(&w->rng, 1, 5);
	TxEnd		end;

	sl_reset(&w->log);
	w->failed = false;
	w->txn_no++;
	sl_addf(&w->all, "-- transaction %d", w->txn_no);
	if (w->tz && chance(&w->rng, 15))
	{
		/* for this and the following transactions */
		char	   *s = strf("SET TimeZone = '%s'", extra_timezone(&w->rng));

		run_sql(w, s);
		free(s);
	}
	if (x < 10)
	{
		/* one statement in autocommit mode */
		Stmt		st;
		OpKind		op = pick_op(w);

		if (!load_keys(w))
			return TX_ERROR;
		if (op == OP_SAVEPOINT || op == OP_FLUSH || op == OP_REFRESH ||
			op == OP_TRUNCATE || op == OP_CHILD_FIRST || op == OP_ADD_COLUMN)
			op = OP_UPDATE_EBD;
		st = build_stmt(w, op, pick_table(w));
		run_stmt(w, &st, false);
		return w->failed ? TX_ERROR : TX_COMMITTED;
	}
	run_sql(w, x < 18 ? "BEGIN ISOLATION LEVEL REPEATABLE READ" :
			x < 23 ? "BEGIN ISOLATION LEVEL SERIALIZABLE" : "BEGIN");
	if (w->tz && chance(&w->rng, 50))
	{
		char	   *s = strf("SET LOCAL TimeZone = '%s'", extra_timezone(&w->rng));

		run_sql(w, s);
		free(s);
	}
	if (w->tz && chance(&w->rng, 20))
		/* functions of schema hijack (extra.c) before pg_catalog's */
		run_sql(w, "SET LOCAL search_path = hijack, pg_catalog, public");
	for (int i = 0; i < nops && !w->failed; i++)
		do_op(w, 0);
	end = finish(w);
	if (end == TX_ERROR)
	{
		exec_quiet(w->conn, "ROLLBACK");
	}
	return end;
}

static void
print_list(const Workload *w, const StrList *l, Buf *out)
{
	for (int i = 0; i < l->n; i++)
	{
		const char *s = l->v[i];
		size_t		l = strlen(s);

		if ((s[0] == '-' && s[1] == '-') || (l > 2 && strcmp(s + l - 2, "\\.") == 0))
			buf_append(out, "%s\n", s);
		else
			buf_append(out, "%s;\n", s);
	}
	if (w->failed && w->err_msg)
		buf_append(out, "-- error in: %s\n-- %s\n", w->err_sql, w->err_msg);
}

void
workload_print_log(const Workload *w, Buf *out)
{
	print_list(w, &w->log, out);
}

/* the whole session: failures that depend on what the session did before */
void
workload_print_all(const Workload *w, Buf *out)
{
	print_list(w, &w->all, out);
}

void
workload_free(Workload *w)
{
	for (int i = 0; i < MAXTABLES; i++)
	{
		keys_clear(&w->keys[i]);
		free(w->keys[i].v);
	}
	sl_reset(&w->log);
	free(w->log.v);
	sl_reset(&w->all);
	free(w->all.v);
	free(w->err_msg);
	free(w->err_sql);
}
