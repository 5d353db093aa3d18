/*-------------------------------------------------------------------------
 *
 * analyze_functions.c
 *	  The code a definition runs: deterministic, and owned by roles its
 *	  owner trusts.
 *
 * Deterministic: a read model must be a function of its tables.
 *	- IMMUTABLE functions are accepted;
 *	- built-in STABLE functions only from an allow-list of those whose
 *	  result depends on nothing but their arguments and the settings
 *	  maintenance pins (time zone, date and number formats: see sandbox.c);
 *	  not now(), current_setting(), to_regclass(), the one-argument
 *	  to_tsvector() and the like;
 *	- nothing VOLATILE.
 *	A value rendered as text or JSON (a cast to text, format(), concat(),
 *	jsonb_build_object() ...) goes through its type's output function,
 *	which must be deterministic in the same sense: a regclass's text
 *	changes when the table is renamed, without any row changing.
 *
 * Trusted (docs/security.md): maintenance runs as the model's owner every
 * time anyone writes a source, so every function, operator (and its
 * estimators, which the planner calls), aggregate (and its support
 * functions) and type (and its I/O functions, domain checks, range
 * functions) a definition uses must be built in or owned by a role whose
 * code may run with the owner's rights anyway: the owner, a superuser, or
 * a role that has the owner's privileges.  Otherwise a function's owner
 * could replace its body and run code as the model's owner whenever she
 * writes a table.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_aggregate.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_range.h"
#include "catalog/pg_ts_config.h"
#include "catalog/pg_ts_config_map.h"
#include "catalog/pg_ts_dict.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "analyze_int.h"

/*
 * Built-in STABLE functions whose results depend only on their arguments,
 * their arguments' output functions (checked separately) and pinned
 * settings.
 */
static const char *const stable_allowed[] = {
	"array_to_json", "array_to_string", "anytextcat", "textanycat",
	"concat", "concat_ws", "format", "quote_literal", "quote_nullable",
	"json_agg", "json_agg_transfn", "json_build_array", "json_build_object",
	"json_object_agg", "json_object_agg_transfn", "jsonb_agg",
	"jsonb_agg_transfn", "jsonb_agg_finalfn", "jsonb_build_array",
	"jsonb_build_object", "jsonb_object_agg_transfn",
	"jsonb_object_agg_finalfn", "row_to_json", "to_json", "to_jsonb",
	"jsonb_path_exists_tz", "jsonb_path_match_tz", "jsonb_path_query_array_tz",
	"jsonb_path_query_first_tz", "json_populate_record",
	"jsonb_populate_record", "json_to_record", "jsonb_to_record",
	"date", "date_part", "extract", "date_trunc", "interval_pl_timestamptz",
	"make_timestamptz", "overlaps", "time", "timestamp", "timestamptz",
	"timetz", "timezone", "to_char", "to_date", "to_number", "to_timestamp",
	"timestamptz_pl_interval", "timestamptz_mi_interval",
	"date_in", "date_out", "timestamp_in", "timestamp_out", "timestamptz_in",
	"timestamptz_out", "interval_in", "interval_out", "time_in", "timetz_in",
	"cash_in", "cash_out", "money", "numeric", "array_in", "array_out",
	"record_in", "record_out", "range_in", "range_out", "multirange_in",
	"multirange_out", "anyarray_out", "anyrange_out", "anymultirange_out",
	"anycompatiblearray_out", "anycompatiblerange_out",
	"anycompatiblemultirange_out", "anyrange_in", "anymultirange_in",
	"anycompatiblerange_in", "anycompatiblemultirange_in", "domain_in",
	"enum_in", "enum_out", "anyenum_out", "xml_in", "xml",
	"xml_is_well_formed", "convert", "convert_from", "convert_to", "length",
	NULL
};

/* Comparisons across date, timestamp and timestamptz (the time zone). */
static const char *const tz_comparison_pairs[] = {
	"date_%s_timestamptz", "timestamp_%s_timestamptz",
	"timestamptz_%s_date", "timestamptz_%s_timestamp", NULL
};
static const char *const comparison_names[] = {
	"cmp", "eq", "ne", "lt", "le", "gt", "ge", NULL
};

/* Functions that render their arguments as text or JSON. */
static const char *const rendering_functions[] = {
	"array_to_json", "array_to_string", "anytextcat", "textanycat",
	"concat", "concat_ws", "format", "quote_literal", "quote_nullable",
	"json_agg", "json_build_array", "json_build_object", "json_object_agg",
	"jsonb_agg", "jsonb_build_array", "jsonb_build_object",
	"jsonb_object_agg", "row_to_json", "to_json", "to_jsonb", "string_agg",
	NULL
};

/* Built-in output functions that depend only on pinned settings. */
static const char *const output_allowed[] = {
	"date_out", "timestamp_out", "timestamptz_out", "interval_out",
	"cash_out", "enum_out", NULL
};

static bool
in_list(const char *name, const char *const *list)
{
	int			i;

	for (i = 0; list[i] != NULL; i++)
		if (strcmp(name, list[i]) == 0)
			return true;
	return false;
}

static bool
is_tz_comparison(const char *name)
{
	int			i,
				j;

	for (i = 0; tz_comparison_pairs[i] != NULL; i++)
		for (j = 0; comparison_names[j] != NULL; j++)
			if (strcmp(name, psprintf(tz_comparison_pairs[i], comparison_names[j])) == 0)
				return true;
	return false;
}

static bool
is_builtin(Oid oid)
{
	return oid < FirstNormalObjectId;
}

/* May code owned by `owner` run with the model owner's rights? */
static bool
trusted_owner(AnalysisState *st, Oid owner)
{
	return owner == st->owner || superuser_arg(owner) ||
		has_privs_of_role(owner, st->owner);
}

static void
refuse_untrusted(AnalysisState *st, const char *what, Oid owner)
{
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("read model \"%s\" uses %s, owned by role %s",
					st->model_name, what, GetUserNameFromId(owner, false)),
			 errdetail("Maintenance runs the definition with the rights of the model's owner, %s, whenever a source changes; code owned by another role could be replaced and run with those rights.",
					   GetUserNameFromId(st->owner, false)),
			 errhint("Use code owned by the model's owner or a superuser, or declare the model as a role whose privileges that owner already has.")));
}

static void
refuse_nondeterministic(AnalysisState *st, Oid funcid, const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
			 errmsg("read model \"%s\" uses function %s(), whose result can change without any change to the source tables",
					st->model_name, get_func_name(funcid)),
			 errdetail("%s", why),
			 is_builtin(funcid) ?
			 errhint("Use an IMMUTABLE function (for text search, the form with a configuration, e.g. to_tsvector('english', ...)), or compute the value at query time.") :
			 errhint("Write what the function reads into the definition, as a join or a correlated subquery (SELECT o.name FROM tb_org o WHERE o.pk_org = u.fk_org); do not mark a function that reads tables IMMUTABLE, or the model will not see those tables change.")));
}

static Oid
func_owner(Oid funcid)
{
	HeapTuple	tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	Oid			owner;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for function %u", funcid);
	owner = ((Form_pg_proc) GETSTRUCT(tuple))->proowner;
	ReleaseSysCache(tuple);
	return owner;
}

/* A built-in STABLE function on the allow-list? */
static bool
stable_builtin_allowed(Oid funcid, int nargs)
{
	char	   *name;

	if (get_func_namespace(funcid) != PG_CATALOG_NAMESPACE)
		return false;
	name = get_func_name(funcid);
	/* age(x) measures against the current date; age(x, y) does not */
	if (strcmp(name, "age") == 0)
		return nargs == 2;
	return in_list(name, stable_allowed) || is_tz_comparison(name);
}

/* Support functions (estimators, I/O) need trust, not determinism. */
static void
check_support_function(AnalysisState *st, Oid funcid, const char *what)
{
	if (!OidIsValid(funcid) || is_builtin(funcid))
		return;
	if (!trusted_owner(st, func_owner(funcid)))
		refuse_untrusted(st, psprintf("%s %s()", what, get_func_name(funcid)),
						 func_owner(funcid));
	st->functions = list_append_unique_oid(st->functions, funcid);
}

/*
 * A function called inside the SQL body of one the definition calls: it
 * runs with the model owner's rights as well, and is watched like it.
 */
void
analyze_check_nested_function(AnalysisState *st, Oid funcid, const char *caller)
{
	st->functions = list_append_unique_oid(st->functions, funcid);
	if (!is_builtin(funcid) && !trusted_owner(st, func_owner(funcid)))
		refuse_untrusted(st, psprintf("function %s() (which %s() calls)",
									  get_func_name(funcid), caller),
						 func_owner(funcid));
}

void
analyze_check_function(AnalysisState *st, Oid funcid, int nargs, List *args)
{
	char		volatility = func_volatile(funcid);
	ListCell   *lc;

	st->functions = list_append_unique_oid(st->functions, funcid);
	if (volatility == PROVOLATILE_VOLATILE)
		refuse_nondeterministic(st, funcid, "It is VOLATILE.");
	if (is_builtin(funcid))
	{
		if (volatility == PROVOLATILE_STABLE && !stable_builtin_allowed(funcid, nargs))
			refuse_nondeterministic(st, funcid,
									"It is STABLE: it may depend on the time, the session, the catalog or a setting maintenance does not pin.");
		if (get_func_namespace(funcid) == PG_CATALOG_NAMESPACE &&
			in_list(get_func_name(funcid), rendering_functions))
			foreach(lc, args)
				analyze_check_rendered(st, lfirst(lc));
		return;
	}
	if (volatility != PROVOLATILE_IMMUTABLE)
		refuse_nondeterministic(st, funcid,
								"User-defined functions must be IMMUTABLE: a STABLE one may read tables the read model cannot track.");
	if (analyze_sql_body_reads_tables(st, funcid))
		refuse_nondeterministic(st, funcid,
								"It is declared IMMUTABLE, but its SQL body reads a table, whose changes the read model would not see.");
	if (!trusted_owner(st, func_owner(funcid)))
		refuse_untrusted(st, psprintf("function %s()", get_func_name(funcid)),
						 func_owner(funcid));
}

void
analyze_check_operator(AnalysisState *st, Oid opno)
{
	HeapTuple	tuple = SearchSysCache1(OPEROID, ObjectIdGetDatum(opno));
	Form_pg_operator form;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for operator %u", opno);
	form = (Form_pg_operator) GETSTRUCT(tuple);
	if (!is_builtin(opno) && !trusted_owner(st, form->oprowner))
		refuse_untrusted(st, psprintf("operator %s", NameStr(form->oprname)),
						 form->oprowner);
	check_support_function(st, form->oprrest, "selectivity estimator");
	check_support_function(st, form->oprjoin, "join selectivity estimator");
	ReleaseSysCache(tuple);
	analyze_check_function(st, get_opcode(opno), 2, NIL);
}

void
analyze_check_aggregate(AnalysisState *st, Aggref *aggref)
{
	HeapTuple	tuple;
	Form_pg_aggregate agg;
	ListCell   *lc;

	analyze_check_function(st, aggref->aggfnoid, list_length(aggref->args), NIL);
	if (get_func_namespace(aggref->aggfnoid) == PG_CATALOG_NAMESPACE &&
		in_list(get_func_name(aggref->aggfnoid), rendering_functions))
		foreach(lc, aggref->args)
			analyze_check_rendered(st, (Node *) ((TargetEntry *) lfirst(lc))->expr);
	if (is_builtin(aggref->aggfnoid))
		return;
	tuple = SearchSysCache1(AGGFNOID, ObjectIdGetDatum(aggref->aggfnoid));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for aggregate %u", aggref->aggfnoid);
	agg = (Form_pg_aggregate) GETSTRUCT(tuple);
	analyze_check_function(st, agg->aggtransfn, 2, NIL);
	if (OidIsValid(agg->aggfinalfn))
		analyze_check_function(st, agg->aggfinalfn, 1, NIL);
	check_support_function(st, agg->aggcombinefn, "aggregate combine function");
	check_support_function(st, agg->aggserialfn, "aggregate serialization function");
	check_support_function(st, agg->aggdeserialfn, "aggregate deserialization function");
	check_support_function(st, agg->aggmtransfn, "aggregate function");
	check_support_function(st, agg->aggminvtransfn, "aggregate function");
	check_support_function(st, agg->aggmfinalfn, "aggregate function");
	ReleaseSysCache(tuple);
}

static void check_domain(AnalysisState *st, Oid typid);

static void
check_range_type(AnalysisState *st, Oid typid)
{
	HeapTuple	tuple = SearchSysCache1(RANGETYPE, ObjectIdGetDatum(typid));
	Form_pg_range range;

	if (!HeapTupleIsValid(tuple))
		return;
	range = (Form_pg_range) GETSTRUCT(tuple);
	check_support_function(st, range->rngcanonical, "range canonical function");
	check_support_function(st, range->rngsubdiff, "range difference function");
	analyze_check_type(st, range->rngsubtype);
	ReleaseSysCache(tuple);
}

/*
 * A text search configuration named by a constant: its mapping and its
 * dictionaries' options decide what to_tsvector() returns, and their
 * owners can change them, so they must be trusted like a function's.
 */
static void
check_text_search_config(AnalysisState *st, Oid cfgid)
{
	HeapTuple	tuple = SearchSysCache1(TSCONFIGOID, ObjectIdGetDatum(cfgid));
	Oid			owner;
	Relation	map;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	entry;

	if (!HeapTupleIsValid(tuple))
		return;
	owner = ((Form_pg_ts_config) GETSTRUCT(tuple))->cfgowner;
	ReleaseSysCache(tuple);
	if (!trusted_owner(st, owner))
		refuse_untrusted(st, psprintf("text search configuration %u", cfgid), owner);
	map = table_open(TSConfigMapRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_ts_config_map_mapcfg, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(cfgid));
	scan = systable_beginscan(map, TSConfigMapIndexId, true, NULL, 1, &key);
	while (HeapTupleIsValid(entry = systable_getnext(scan)))
	{
		Oid			dict = ((Form_pg_ts_config_map) GETSTRUCT(entry))->mapdict;
		HeapTuple	dtuple = SearchSysCache1(TSDICTOID, ObjectIdGetDatum(dict));

		if (!HeapTupleIsValid(dtuple))
			continue;
		owner = ((Form_pg_ts_dict) GETSTRUCT(dtuple))->dictowner;
		ReleaseSysCache(dtuple);
		if (!trusted_owner(st, owner))
			refuse_untrusted(st, psprintf("text search dictionary %u", dict), owner);
	}
	systable_endscan(scan);
	table_close(map, AccessShareLock);
}

/*
 * Values that name text search objects: only constants, of trusted
 * configurations and dictionaries.
 */
void
analyze_check_text_search(AnalysisState *st, Node *expr)
{
	Oid			type = exprType(expr);
	Const	   *c = (Const *) expr;

	if (type != REGCONFIGOID && type != REGDICTIONARYOID)
		return;
	if (!IsA(expr, Const))
		analyze_refuse(st, "A text search configuration or dictionary is chosen by a value that is not a constant.",
					   "Name the configuration as a constant, e.g. to_tsvector('english', ...).");
	if (c->constisnull || is_builtin(DatumGetObjectId(c->constvalue)))
		return;
	if (type == REGCONFIGOID)
		check_text_search_config(st, DatumGetObjectId(c->constvalue));
	else
	{
		HeapTuple	tuple = SearchSysCache1(TSDICTOID, c->constvalue);

		if (!HeapTupleIsValid(tuple))
			return;
		if (!trusted_owner(st, ((Form_pg_ts_dict) GETSTRUCT(tuple))->dictowner))
			refuse_untrusted(st, "a text search dictionary",
							 ((Form_pg_ts_dict) GETSTRUCT(tuple))->dictowner);
		ReleaseSysCache(tuple);
	}
}

/*
 * A cast through text into `type` runs its input function, which for
 * dates and times reads 'now' and 'today' and for reg* types searches the
 * catalog: only IMMUTABLE ones (and enum_in, which reads the type's
 * labels) are accepted.
 */
void
analyze_check_text_input(AnalysisState *st, Oid type)
{
	Oid			infunc;
	Oid			ioparam;
	Oid			base = getBaseType(type);

	/* an array's or a domain's input is its element's or base type's */
	if (base != type)
	{
		analyze_check_text_input(st, base);
		return;
	}
	if (OidIsValid(get_element_type(type)) && type_is_array(type))
	{
		analyze_check_text_input(st, get_element_type(type));
		return;
	}
	getTypeInputInfo(type, &infunc, &ioparam);
	st->functions = list_append_unique_oid(st->functions, infunc);
	if (func_volatile(infunc) != PROVOLATILE_IMMUTABLE && infunc != F_ENUM_IN)
		analyze_refuse(st,
					   psprintf("A value is converted to type %s through its text input function %s(), which is not IMMUTABLE (dates and times accept 'now' and 'today'; reg* types search the catalog).",
								format_type_be(type), get_func_name(infunc)),
					   "Store the value with that type, or convert it with an IMMUTABLE function.");
}

void
analyze_check_type(AnalysisState *st, Oid typid)
{
	HeapTuple	tuple;
	Form_pg_type form;

	if (!OidIsValid(typid) || is_builtin(typid) ||
		list_member_oid(st->types, typid))
		return;
	st->types = lappend_oid(st->types, typid);
	tuple = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for type %u", typid);
	form = (Form_pg_type) GETSTRUCT(tuple);
	/* a table's row type belongs to the table, its columns are checked */
	if (!OidIsValid(form->typrelid) && !trusted_owner(st, form->typowner))
		refuse_untrusted(st, psprintf("type %s", format_type_be(typid)), form->typowner);
	check_support_function(st, form->typinput, "input function");
	check_support_function(st, form->typoutput, "output function");
	check_support_function(st, form->typreceive, "receive function");
	check_support_function(st, form->typsend, "send function");
	check_support_function(st, form->typmodin, "type modifier function");
	check_support_function(st, form->typmodout, "type modifier function");
	check_support_function(st, form->typanalyze, "analyze function");
	check_support_function(st, form->typsubscript, "subscript function");
	if (OidIsValid(form->typelem) && form->typsubscript == F_ARRAY_SUBSCRIPT_HANDLER)
		analyze_check_type(st, form->typelem);
	if (form->typtype == TYPTYPE_DOMAIN)
		check_domain(st, typid);
	if (form->typtype == TYPTYPE_RANGE)
		check_range_type(st, typid);
	ReleaseSysCache(tuple);
}

static bool
constraint_walker(Node *node, AnalysisState *st)
{
	if (node == NULL)
		return false;
	if (IsA(node, FuncExpr))
		analyze_check_function(st, ((FuncExpr *) node)->funcid,
							   list_length(((FuncExpr *) node)->args), NIL);
	else if (IsA(node, OpExpr))
		analyze_check_operator(st, ((OpExpr *) node)->opno);
	return expression_tree_walker(node, constraint_walker, (void *) st);
}

/* A domain: its base type, and its CHECK constraints (run on every cast to it). */
static void
check_domain(AnalysisState *st, Oid typid)
{
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;

	analyze_check_type(st, getBaseType(typid));
	rel = table_open(ConstraintRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_constraint_contypid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(typid));
	scan = systable_beginscan(rel, ConstraintTypidIndexId, true, NULL, 1, &key);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		bool		isnull;
		Datum		bin = heap_getattr(tuple, Anum_pg_constraint_conbin,
									   RelationGetDescr(rel), &isnull);

		if (!isnull)
			(void) constraint_walker(stringToNode(TextDatumGetCString(bin)), st);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

/* The text of a value of `typid` depends only on it and pinned settings. */
static void
check_output_type(AnalysisState *st, Oid typid, int depth)
{
	Oid			base = getBaseType(typid);
	Oid			outfunc;
	bool		isvarlena;
	Oid			elem;
	TypeCacheEntry *tc;

	if (depth > 32)
		return;
	getTypeOutputInfo(base, &outfunc, &isvarlena);
	if ((elem = get_element_type(base)) != InvalidOid)
		return check_output_type(st, elem, depth + 1);
	tc = lookup_type_cache(base, 0);
	if (tc->typtype == TYPTYPE_RANGE && (tc = lookup_type_cache(base, TYPECACHE_RANGE_INFO))->rngelemtype)
		return check_output_type(st, tc->rngelemtype->type_id, depth + 1);
	if (type_is_rowtype(base) && base != RECORDOID)
	{
		TupleDesc	desc = lookup_rowtype_tupdesc(base, -1);
		int			i;

		for (i = 0; i < desc->natts; i++)
			if (!TupleDescAttr(desc, i)->attisdropped)
				check_output_type(st, TupleDescAttr(desc, i)->atttypid, depth + 1);
		ReleaseTupleDesc(desc);
		return;
	}
	if (func_volatile(outfunc) == PROVOLATILE_IMMUTABLE ||
		(is_builtin(outfunc) && in_list(get_func_name(outfunc), output_allowed)))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
			 errmsg("read model \"%s\" renders a value of type %s as text",
					st->model_name, format_type_be(typid)),
			 errdetail("Its text (from %s()) depends on the catalog or the session, and can change without any change to the source tables.",
					   get_func_name(outfunc)),
			 errhint("Render a column that identifies it instead (for a regclass, the relation's name from a table of your own).")));
}

/* An expression whose value is rendered as text or JSON. */
void
analyze_check_rendered(AnalysisState *st, Node *expr)
{
	ListCell   *lc;

	if (expr == NULL)
		return;
	if (IsA(expr, RowExpr))
	{
		foreach(lc, ((RowExpr *) expr)->args)
			analyze_check_rendered(st, lfirst(lc));
		return;
	}
	if (IsA(expr, ArrayExpr))
	{
		foreach(lc, ((ArrayExpr *) expr)->elements)
			analyze_check_rendered(st, lfirst(lc));
		return;
	}
	if (exprType(expr) == RECORDOID)
		return;					/* a function's record: its fields were checked where built */
	check_output_type(st, exprType(expr), 0);
}
