/*-------------------------------------------------------------------------
 *
 * sandbox.h
 *	  The context every evaluation of a definition runs in.
 *
 * Maintenance, refresh, verify and the initial build run as the model's
 * owner, inside a security-restricted operation (no SET ROLE, no temporary
 * objects, no deferred triggers), with every setting that changes what a
 * value looks like pinned, and with row-level security off: a query that a
 * policy would affect fails instead of silently reading fewer rows; the
 * session's custom settings (request.jwt.claims, app.*) read as empty.  On
 * leaving, every setting changed inside (by us or by code the definition
 * ran) is rolled back, as PostgreSQL does for its own security-restricted
 * operations, so nothing leaks into the session that triggered the work.
 *
 *-------------------------------------------------------------------------
 */
#ifndef READMODEL_SANDBOX_H
#define READMODEL_SANDBOX_H

#include "postgres.h"

typedef struct Sandbox
{
	Oid			save_userid;
	int			save_sec;
	int			nestlevel;
} Sandbox;

extern void readmodel_sandbox_enter(Sandbox *sandbox, Oid role);
extern void readmodel_sandbox_leave(Sandbox *sandbox);

#endif							/* READMODEL_SANDBOX_H */
