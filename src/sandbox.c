/*-------------------------------------------------------------------------
 *
 * sandbox.c
 *	  Run as a role, security-restricted, with pinned settings (see
 *	  sandbox.h).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/guc.h"
#include "utils/guc_tables.h"

#include "sandbox.h"

/*
 * Every setting that changes what a value looks like (output functions,
 * input parsing of casts, locale-dependent formatting), that changes which
 * rows a query returns (row_security, gin_fuzzy_search_limit), or whether
 * the capture triggers of dependent models fire (session_replication_role).
 */
typedef struct PinnedSetting
{
	const char *name;
	const char *value;
	GucContext	context;
} PinnedSetting;

static const PinnedSetting pinned_settings[] = {
	{"search_path", "pg_catalog, pg_temp", PGC_USERSET},
	{"TimeZone", "UTC", PGC_USERSET},
	{"DateStyle", "ISO, MDY", PGC_USERSET},
	{"IntervalStyle", "postgres", PGC_USERSET},
	{"extra_float_digits", "1", PGC_USERSET},
	{"bytea_output", "hex", PGC_USERSET},
	{"xmlbinary", "base64", PGC_USERSET},
	{"xmloption", "content", PGC_USERSET},
	{"lc_monetary", "C", PGC_USERSET},
	{"lc_numeric", "C", PGC_USERSET},
	{"lc_time", "C", PGC_USERSET},
	{"array_nulls", "on", PGC_USERSET},
	{"standard_conforming_strings", "on", PGC_USERSET},
	{"quote_all_identifiers", "off", PGC_USERSET},
	{"timezone_abbreviations", "Default", PGC_USERSET},
	{"default_text_search_config", "pg_catalog.simple", PGC_USERSET},
	{"gin_fuzzy_search_limit", "0", PGC_USERSET},
	{"row_security", "off", PGC_USERSET},
	{"session_replication_role", "origin", PGC_SUSET},
};

/*
 * Set the pinned settings at the current GUC nest level.  A setting that
 * already has its value is left alone (loading timezone_abbreviations, for
 * one, reads a file); whatever changes it later at this level is rolled
 * back all the same.
 */
static void
pin_settings(void)
{
	int			i;

	for (i = 0; i < lengthof(pinned_settings); i++)
	{
		const PinnedSetting *s = &pinned_settings[i];
		const char *current = GetConfigOption(s->name, true, false);

		if (current != NULL && strcmp(current, s->value) == 0)
			continue;
		(void) set_config_option(s->name, s->value, s->context,
								 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0,
								 false);
	}
}

/*
 * Hide the session's custom settings (placeholders such as
 * request.jwt.claims or app.tenant): code that maintenance runs belongs to
 * the model's owner, and must not read what the writer's session holds.
 */
static void
clear_custom_settings(void)
{
	struct config_generic **vars = get_guc_variables();
	int			n = GetNumConfigOptions();
	List	   *names = NIL;
	ListCell   *lc;
	int			i;

	for (i = 0; i < n; i++)
	{
		struct config_generic *var = vars[i];

		if ((var->flags & GUC_CUSTOM_PLACEHOLDER) && var->vartype == PGC_STRING &&
			*((struct config_string *) var)->variable != NULL &&
			**((struct config_string *) var)->variable != '\0')
			names = lappend(names, pstrdup(var->name));
	}
	foreach(lc, names)
		(void) set_config_option(lfirst(lc), "", PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
}

void
readmodel_sandbox_enter(Sandbox *sandbox, Oid role)
{
	GetUserIdAndSecContext(&sandbox->save_userid, &sandbox->save_sec);
	SetUserIdAndSecContext(role, sandbox->save_sec |
						   SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION |
						   SECURITY_NOFORCE_RLS);
	sandbox->nestlevel = NewGUCNestLevel();
	pin_settings();
	clear_custom_settings();
}

/*
 * Roll back every setting changed since enter: ours, and any a function or
 * trigger changed with set_config().  Errors restore all of it through
 * (sub)transaction abort instead.
 */
void
readmodel_sandbox_leave(Sandbox *sandbox)
{
	AtEOXact_GUC(false, sandbox->nestlevel);
	SetUserIdAndSecContext(sandbox->save_userid, sandbox->save_sec);
}
