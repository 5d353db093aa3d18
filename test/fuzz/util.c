/*
 * util.c — memory, strings, PRNG and libpq helpers for the fuzzer.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"

/* ------------------------------------------------------------------ */
/* memory and strings                                                  */
/* ------------------------------------------------------------------ */

void *
xmalloc(size_t n)
{
	return xrealloc(NULL, n);
}

void *
xrealloc(void *p, size_t n)
{
	void	   *r = realloc(p, n ? n : 1);

	if (r == NULL)
	{
		fprintf(stderr, "fuzz: out of memory\n");
		exit(2);
	}
	return r;
}

char *
xstrdup(const char *s)
{
	size_t		n = strlen(s) + 1;
	char	   *r = xmalloc(n);

	memcpy(r, s, n);
	return r;
}

static void
buf_vappend(Buf *b, const char *fmt, va_list ap)
{
	for (;;)
	{
		va_list		aq;
		int			n;
		size_t		avail = b->cap - b->len;

		va_copy(aq, ap);
		n = vsnprintf(b->data ? b->data + b->len : NULL, avail, fmt, aq);
		va_end(aq);
		if (n < 0)
		{
			fprintf(stderr, "fuzz: vsnprintf failed\n");
			exit(2);
		}
		if ((size_t) n < avail)
		{
			b->len += n;
			return;
		}
		b->cap = (b->cap + n + 1) * 2;
		b->data = xrealloc(b->data, b->cap);
	}
}

void
buf_append(Buf *b, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	buf_vappend(b, fmt, ap);
	va_end(ap);
}

void
buf_puts(Buf *b, const char *s)
{
	buf_append(b, "%s", s);
}

void
buf_reset(Buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void
buf_free(Buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

const char *
buf_str(const Buf *b)
{
	return b->data ? b->data : "";
}

char *
strf(const char *fmt,...)
{
	Buf			b = {0};
	va_list		ap;

	va_start(ap, fmt);
	buf_vappend(&b, fmt, ap);
	va_end(ap);
	if (b.data == NULL)
		return xstrdup("");
	return b.data;
}

void
sl_add(StrList *l, const char *s)
{
	if (l->n == l->cap)
	{
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = xrealloc(l->v, sizeof(char *) * l->cap);
	}
	l->v[l->n++] = xstrdup(s);
}

void
sl_addf(StrList *l, const char *fmt,...)
{
	Buf			b = {0};
	va_list		ap;

	va_start(ap, fmt);
	buf_vappend(&b, fmt, ap);
	va_end(ap);
	sl_add(l, buf_str(&b));
	buf_free(&b);
}

void
sl_reset(StrList *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->v[i]);
	l->n = 0;
}

/* ------------------------------------------------------------------ */
/* PRNG: splitmix64                                                    */
/* ------------------------------------------------------------------ */

void
rng_seed(Rng *r, uint64_t seed)
{
	r->state = seed;
}

uint64_t
rng_next(Rng *r)
{
	uint64_t	z = (r->state += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/* uniform in [0, n); n > 0 */
int
rnd(Rng *r, int n)
{
	return (int) (rng_next(r) % (uint64_t) n);
}

/* uniform in [lo, hi] */
int
rnd_range(Rng *r, int lo, int hi)
{
	return lo + rnd(r, hi - lo + 1);
}

bool
chance(Rng *r, int pct)
{
	return rnd(r, 100) < pct;
}

/* a seed derived from two others, for independent streams */
uint64_t
mix_seed(uint64_t a, uint64_t b)
{
	Rng			r;

	rng_seed(&r, a ^ (b * UINT64_C(0xD1B54A32D192ED03)));
	rng_next(&r);
	return rng_next(&r);
}

double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------------ */
/* libpq                                                               */
/* ------------------------------------------------------------------ */

bool
res_ok(const PGresult *r)
{
	ExecStatusType st = PQresultStatus(r);

	return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

static void
notice_quiet(void *arg, const char *msg)
{
	(void) arg;
	if (opt.verbose)
		fprintf(stdout, "  notice: %s", msg);
}

/*
 * Connect to dbname (NULL: the database named by conninfo or PGDATABASE).
 * Returns NULL after printing the error.
 */
PGconn *
connect_db(const char *conninfo, const char *dbname)
{
	const char *kw[4];
	const char *val[4];
	int			i = 0;
	PGconn	   *c;

	kw[i] = "dbname";
	val[i] = conninfo ? conninfo :
		(getenv("PGDATABASE") ? getenv("PGDATABASE") : "postgres");
	i++;
	if (dbname)
	{
		kw[i] = "dbname";
		val[i] = dbname;
		i++;
	}
	kw[i] = "application_name";
	val[i] = "readmodel_fuzz";
	i++;
	kw[i] = NULL;
	val[i] = NULL;
	c = PQconnectdbParams(kw, val, 1);
	if (PQstatus(c) != CONNECTION_OK)
	{
		fprintf(stderr, "fuzz: cannot connect%s%s: %s", dbname ? " to " : "",
				dbname ? dbname : "", PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	PQsetNoticeProcessor(c, notice_quiet, NULL);
	return c;
}

/* the server lost the connection (a crashed backend, a restart) */
bool
conn_lost(PGconn *c)
{
	return PQstatus(c) != CONNECTION_OK;
}

/*
 * connect_db, waiting up to a minute for a server that is restarting
 * after a crash.
 */
PGconn *
connect_db_retry(const char *conninfo, const char *dbname)
{
	for (int i = 0; i < 120; i++)
	{
		const char *kw[3] = {"dbname", dbname ? "dbname" : NULL, NULL};
		const char *val[3] = {conninfo ? conninfo :
			(getenv("PGDATABASE") ? getenv("PGDATABASE") : "postgres"), dbname, NULL};
		PGconn	   *c = PQconnectdbParams(kw, val, 1);

		if (PQstatus(c) == CONNECTION_OK)
		{
			PQfinish(c);
			return connect_db(conninfo, dbname);
		}
		PQfinish(c);
		usleep(500000);
	}
	return connect_db(conninfo, dbname);
}

bool
exec_quiet(PGconn *c, const char *sql)
{
	PGresult   *r = PQexec(c, sql);
	bool		ok = res_ok(r);

	PQclear(r);
	return ok;
}

void
exec_or_die(PGconn *c, const char *sql)
{
	PGresult   *r = PQexec(c, sql);

	if (!res_ok(r))
	{
		fprintf(stderr, "fuzz: setup statement failed: %s-- statement:\n%s\n",
				PQerrorMessage(c), sql);
		exit(2);
	}
	PQclear(r);
}

/* "SQLSTATE: message (DETAIL: ...)" of a failed result */
char *
error_text(const PGresult *r)
{
	const char *st = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	const char *m = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
	const char *d = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL);
	const char *ctx = PQresultErrorField(r, PG_DIAG_CONTEXT);

	return strf("%s: %s%s%s%s%s", st ? st : "?????",
				m ? m : PQresultErrorMessage(r),
				d ? "\n   DETAIL: " : "", d ? d : "",
				ctx ? "\n   CONTEXT: " : "", ctx ? ctx : "");
}

/* a SQL string literal (standard_conforming_strings on) */
char *
quote_literal(const char *s)
{
	Buf			b = {0};

	buf_puts(&b, "'");
	for (const char *p = s; *p; p++)
	{
		if (*p == '\'')
			buf_puts(&b, "''");
		else
			buf_append(&b, "%c", *p);
	}
	buf_puts(&b, "'");
	return b.data;
}
