/*
 * util.c — PRNG and libpq helpers for the fuzzer (memory and strings:
 * test/common/strbuf.c; connecting: test/common/pgconn.c).
 */
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"

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

/*
 * Connect to dbname (NULL: the database named by conninfo or PGDATABASE).
 * Returns NULL after printing the error.
 */
PGconn *
connect_db(const char *conninfo, const char *dbname)
{
	return pg_connect(conninfo, dbname, "readmodel_fuzz", &opt.verbose);
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
