/*-------------------------------------------------------------------------
 *
 * model_partitions.c
 *	  Partitioned model tables: the partition_by option and the table's
 *	  partitions (see model_partitions.h).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"

#include "model_partitions.h"
#include "util.h"

#define PARTITION_USAGE \
	"option \"partition_by\" must be {\"hash\": N}, {\"range\": \"column\", \"partitions\": {...}} or {\"list\": \"column\", \"partitions\": {...}}"

static void
usage_error(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg(PARTITION_USAGE),
			 errdetail("%s", detail),
			 errhint("For example {\"range\": \"day\", \"partitions\": {\"2026_03\": {\"from\": \"2026-03-01\", \"to\": \"2026-04-01\"}}} or {\"list\": \"region\", \"partitions\": {\"eu\": [\"eu\", \"uk\"]}}.")));
}

static JsonbValue *
member(JsonbValue *object, const char *name)
{
	JsonbValue	key;

	if (object->type != jbvBinary || !JsonContainerIsObject(object->val.binary.data))
		return NULL;
	key.type = jbvString;
	key.val.string.val = (char *) name;
	key.val.string.len = strlen(name);
	return findJsonbValueFromContainer(object->val.binary.data, JB_FOBJECT, &key);
}

/* A bound value as a quoted literal, coerced later to the column's type. */
static char *
bound_literal(JsonbValue *v)
{
	if (v != NULL && v->type == jbvString)
		return quote_literal_cstr(pnstrdup(v->val.string.val, v->val.string.len));
	if (v != NULL && v->type == jbvNumeric)
		return quote_literal_cstr(DatumGetCString(DirectFunctionCall1(numeric_out,
																	  NumericGetDatum(v->val.numeric))));
	usage_error("A partition bound must be a JSON string or number.");
	return NULL;				/* keep compiler quiet */
}

/* A list partition's values: FOR VALUES IN ('a', 'b'). */
static char *
list_bound(JsonbValue *v)
{
	StringInfoData buf;
	JsonbIterator *it;
	JsonbValue	elem;
	JsonbIteratorToken tok;

	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data) ||
		JsonContainerSize(v->val.binary.data) == 0)
		usage_error("A list partition's values must be a non-empty JSON array.");
	initStringInfo(&buf);
	appendStringInfoString(&buf, "FOR VALUES IN (");
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &elem, true)) != WJB_DONE)
		if (tok == WJB_ELEM)
			appendStringInfo(&buf, "%s%s", buf.data[buf.len - 1] == '(' ? "" : ", ",
							 bound_literal(&elem));
	appendStringInfoChar(&buf, ')');
	return buf.data;
}

static char *
range_bound(JsonbValue *v)
{
	JsonbValue *from = member(v, "from");
	JsonbValue *to = member(v, "to");

	if (from == NULL || to == NULL)
		usage_error("A range partition is {\"from\": v, \"to\": w}.");
	return psprintf("FOR VALUES FROM (%s) TO (%s)", bound_literal(from), bound_literal(to));
}

/* The named partitions of a range or list option. */
static void
parse_partitions(ModelPartitioning *p, JsonbValue *partitions)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *name = NULL;

	if (partitions == NULL || partitions->type != jbvBinary ||
		!JsonContainerIsObject(partitions->val.binary.data) ||
		JsonContainerSize(partitions->val.binary.data) == 0)
		usage_error("\"partitions\" must be a non-empty object naming each partition.");
	it = JsonbIteratorInit(partitions->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			name = pnstrdup(v.val.string.val, v.val.string.len);
			if (name[0] == '\0' || strcmp(name, "default") == 0 || strcmp(name, "def") == 0)
				usage_error("A partition needs a name other than \"\", \"default\" (the default partition is always made) and \"def\" (<table>_def is the definition view).");
			continue;
		}
		if (tok != WJB_VALUE)
			continue;
		p->names = lappend(p->names, name);
		p->bounds = lappend(p->bounds, p->kind == 'r' ? range_bound(&v) : list_bound(&v));
	}
}

ModelPartitioning *
readmodel_partitioning_parse(JsonbValue *v)
{
	ModelPartitioning *p = palloc0(sizeof(ModelPartitioning));
	JsonbValue *hash = member(v, "hash");
	JsonbValue *range = member(v, "range");
	JsonbValue *list = member(v, "list");
	JsonbValue *column = range ? range : list;

	if (hash != NULL && hash->type == jbvNumeric && range == NULL && list == NULL)
	{
		p->kind = 'h';
		p->modulus = DatumGetInt32(DirectFunctionCall1(numeric_int4,
													   NumericGetDatum(hash->val.numeric)));
		if (p->modulus < 2 || p->modulus > 1024)
			usage_error("A hash-partitioned model table has from 2 to 1024 partitions.");
		p->spec = psprintf("{\"hash\": %d}", p->modulus);
		return p;
	}
	if (column == NULL || (range != NULL && list != NULL) || column->type != jbvString)
		usage_error("Name the partition method: \"hash\" with a number, \"range\" or \"list\" with an output column.");
	p->kind = range ? 'r' : 'l';
	p->column = pnstrdup(column->val.string.val, column->val.string.len);
	parse_partitions(p, member(v, "partitions"));
	p->spec = JsonbToCString(NULL, v->val.binary.data, v->val.binary.len);
	return p;
}

/* How many partitions a model table with this option must keep. */
int
readmodel_partitioning_count(const char *spec)
{
	Jsonb	   *json = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(spec)));
	JsonbValue	root;
	JsonbValue *hash;
	JsonbValue *partitions;

	root.type = jbvBinary;
	root.val.binary.data = &json->root;
	root.val.binary.len = VARSIZE(json) - VARHDRSZ;
	if ((hash = member(&root, "hash")) != NULL && hash->type == jbvNumeric)
		return DatumGetInt32(DirectFunctionCall1(numeric_int4,
												 NumericGetDatum(hash->val.numeric)));
	partitions = member(&root, "partitions");
	if (partitions == NULL || partitions->type != jbvBinary)
		return 0;
	return JsonContainerSize(partitions->val.binary.data) + 1;
}

/* A range or list partition column must be a key column. */
void
readmodel_partitioning_check_key(ModelPartitioning *p, ModelAnalysis *analysis,
								 const char *qualname)
{
	ListCell   *lc;

	if (p->kind == 'h')
		return;
	foreach(lc, analysis->key_columns)
		if (strcmp(((KeyColumn *) lfirst(lc))->name, p->column) == 0)
			return;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
			 errmsg("read model %s cannot be partitioned by \"%s\"", qualname, p->column),
			 errdetail("The partition column must be one of the key columns (%s): the key is the table's primary key, which must include it.",
					   analysis->key_name),
			 errhint("Partition by a key column, or by hash: {\"hash\": 8}.")));
}

static void
create_partition(const char *qualname, Oid nsp, const char *relname,
				 const char *suffix, const char *bound)
{
	char	   *name = psprintf("%s_%s", relname, suffix);

	if (strlen(name) >= NAMEDATALEN)
		ereport(ERROR,
				(errcode(ERRCODE_NAME_TOO_LONG),
				 errmsg("partition name \"%s\" is too long", name),
				 errdetail("A model table's partitions are named <table>_<name>, of at most %d bytes.",
						   NAMEDATALEN - 1)));
	readmodel_spi_exec(psprintf("CREATE TABLE %s PARTITION OF %s %s WITH (fillfactor = 90)",
								quote_qualified_identifier(get_namespace_name(nsp), name),
								qualname, bound),
					   SPI_OK_UTILITY);
}

/*
 * Create the partitioned table and its partitions; return the statement
 * that fills it.
 */
char *
readmodel_partitioned_table(ModelPartitioning *p, const char *qualname,
							const char *view_qualname, const char *key_list,
							Oid nsp, const char *relname)
{
	ListCell   *ln;
	ListCell   *lb;
	int			i;

	readmodel_spi_exec(psprintf("CREATE TABLE %s (LIKE %s) PARTITION BY %s (%s)",
								qualname, view_qualname,
								p->kind == 'h' ? "HASH" : p->kind == 'r' ? "RANGE" : "LIST",
								p->kind == 'h' ? key_list : quote_identifier(p->column)),
					   SPI_OK_UTILITY);
	for (i = 0; i < p->modulus; i++)
		create_partition(qualname, nsp, relname, psprintf("p%d", i),
						 psprintf("FOR VALUES WITH (MODULUS %d, REMAINDER %d)", p->modulus, i));
	forboth(ln, p->names, lb, p->bounds)
		create_partition(qualname, nsp, relname, lfirst(ln), lfirst(lb));
	if (p->kind != 'h')
		create_partition(qualname, nsp, relname, "default", "DEFAULT");
	return psprintf("INSERT INTO %s SELECT * FROM %s", qualname, view_qualname);
}
