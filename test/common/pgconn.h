/*
 * pgconn.h — libpq helpers shared by the C test programs (test/fuzz,
 * test/difftest).  Messages start with progname (strbuf.h).
 */
#ifndef PGCONN_H
#define PGCONN_H

#include <stdbool.h>

#include <libpq-fe.h>

/* the statement succeeded (with or without rows) */
extern bool res_ok(const PGresult *r);

/*
 * Connect to dbname (NULL: the database named by conninfo, or by
 * PGDATABASE, or postgres), as application_name appname.  Notices are
 * printed to stdout while *verbose is true.  Returns NULL after printing
 * the error.
 */
extern PGconn *pg_connect(const char *conninfo, const char *dbname,
						  const char *appname, const bool *verbose);

#endif							/* PGCONN_H */
