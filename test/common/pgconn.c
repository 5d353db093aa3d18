/*
 * pgconn.c — libpq helpers shared by the C test programs; see pgconn.h.
 */
#include <stdio.h>
#include <stdlib.h>

#include "pgconn.h"
#include "strbuf.h"

bool
res_ok(const PGresult *r)
{
	ExecStatusType st = PQresultStatus(r);

	return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

static void
notice_quiet(void *arg, const char *msg)
{
	const bool *verbose = arg;

	if (*verbose)
		fprintf(stdout, "  notice: %s", msg);
}

PGconn *
pg_connect(const char *conninfo, const char *dbname, const char *appname,
		   const bool *verbose)
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
	val[i] = appname;
	i++;
	kw[i] = NULL;
	val[i] = NULL;
	c = PQconnectdbParams(kw, val, 1);
	if (PQstatus(c) != CONNECTION_OK)
	{
		fprintf(stderr, "%s: cannot connect%s%s: %s", progname,
				dbname ? " to " : "", dbname ? dbname : "", PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	PQsetNoticeProcessor(c, notice_quiet, (void *) verbose);
	return c;
}
