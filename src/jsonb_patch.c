/*-------------------------------------------------------------------------
 *
 * jsonb_patch.c
 *	  readmodel.jsonb_patch(doc, path, value): jsonb_set for the patches.
 *
 * A patch replaces one value, at a path of object keys, in every document it
 * reaches.  jsonb_set does that by unpacking the whole document into a tree
 * and serializing it again, which is most of the cost of a patched row.  This
 * function splices bytes instead: along the path, each object is written
 * anew from its children's stored bytes (only their padding and JEntries
 * change), and everything off the path is copied as it is.  The result is
 * the same bytes jsonb_set would produce.
 *
 * Anything else jsonb_set knows how to do (a missing key, an array on the
 * path, a scalar document) is handed to jsonb_set itself.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "pg_readmodel.h"

PG_FUNCTION_INFO_V1(readmodel_jsonb_patch);

/* The bytes and JEntry type of a value to store. */
typedef struct NewValue
{
	const char *data;
	int			len;
	uint32		type;			/* JENTRY_IS* */
} NewValue;

static int
child_count(const JsonbContainer *c)
{
	int			n = c->header & JB_CMASK;

	return (c->header & JB_FOBJECT) ? n * 2 : n;
}

static const char *
data_area(const JsonbContainer *c)
{
	return (const char *) &c->children[child_count(c)];
}

/* Numerics and containers start at a 4-byte boundary, padding included. */
static bool
is_aligned_type(uint32 type)
{
	return type == JENTRY_ISNUMERIC || type == JENTRY_ISCONTAINER;
}

/* Index of key `key` among the object's keys (sorted by length, then bytes). */
static int
find_key(const JsonbContainer *c, const char *key, int keylen)
{
	int			lo = 0,
				hi = c->header & JB_CMASK;
	const char *data = data_area(c);

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;
		int			len = getJsonbLength(c, mid);
		int			cmp;

		cmp = (len == keylen) ? memcmp(data + getJsonbOffset(c, mid), key, keylen)
			: (len < keylen ? -1 : 1);
		if (cmp == 0)
			return mid;
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static void
pad_to_int(StringInfo buf)
{
	int			pad = INTALIGN(buf->len) - buf->len;

	if (pad > 0)
	{
		enlargeStringInfo(buf, pad);
		memset(buf->data + buf->len, 0, pad);
		buf->len += pad;
		buf->data[buf->len] = '\0';
	}
}

/* A stored child's own bytes, without the padding in front of them. */
static NewValue
stored_child(const JsonbContainer *c, int index)
{
	NewValue	v;
	uint32		off = getJsonbOffset(c, index);
	uint32		end = off + getJsonbLength(c, index);

	v.type = c->children[index] & JENTRY_TYPEMASK;
	if (is_aligned_type(v.type))
		off = INTALIGN(off);
	v.data = data_area(c) + off;
	v.len = end - off;
	return v;
}

static bool append_patched(StringInfo buf, const JsonbContainer *c,
						   Datum *path, int depth, int npath,
						   const NewValue *value);

/*
 * Append child `index` of `c`: the stored bytes, the new value, or (on the
 * path) the child container patched further down.  Returns false where
 * jsonb_set has to do it.
 */
static bool
append_child(StringInfo buf, const JsonbContainer *c, int index,
			 int patched, Datum *path, int depth, int npath,
			 const NewValue *value, uint32 *type)
{
	NewValue	child = stored_child(c, index);

	if (index == patched && depth + 1 < npath)
	{
		if (child.type != JENTRY_ISCONTAINER)
			return false;
		pad_to_int(buf);
		*type = JENTRY_ISCONTAINER;
		return append_patched(buf, (const JsonbContainer *) child.data,
							  path, depth + 1, npath, value);
	}
	if (index == patched)
		child = *value;
	if (is_aligned_type(child.type))
		pad_to_int(buf);
	appendBinaryStringInfo(buf, child.data, child.len);
	*type = child.type;
	return true;
}

/*
 * Append object `c` with the value at path[depth..] replaced.  The object is
 * laid out as convertJsonbObject does: keys' JEntries, values' JEntries,
 * keys' data, values' data; every JB_OFFSET_STRIDE-th JEntry holds an end
 * offset, the others a length.
 */
static bool
append_patched(StringInfo buf, const JsonbContainer *c, Datum *path,
			   int depth, int npath, const NewValue *value)
{
	text	   *key = DatumGetTextPP(path[depth]);
	int			nchildren,
				pair,
				patched,
				entries,
				data_start,
				i;

	if ((c->header & JB_FOBJECT) == 0)
		return false;
	pair = find_key(c, VARDATA_ANY(key), VARSIZE_ANY_EXHDR(key));
	if (pair < 0)
		return false;
	nchildren = child_count(c);
	patched = (c->header & JB_CMASK) + pair;

	Assert(buf->len == INTALIGN(buf->len));
	appendBinaryStringInfo(buf, (const char *) &c->header, sizeof(uint32));
	entries = buf->len;
	enlargeStringInfo(buf, sizeof(JEntry) * nchildren);
	buf->len += sizeof(JEntry) * nchildren;
	data_start = buf->len;

	for (i = 0; i < nchildren; i++)
	{
		int			before = buf->len;
		uint32		type;
		uint32		total;
		JEntry		entry;

		if (!append_child(buf, c, i, patched, path, depth, npath, value, &type))
			return false;
		total = buf->len - data_start;
		if (total > JENTRY_OFFLENMASK)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("patched jsonb object exceeds the maximum of %u bytes",
							JENTRY_OFFLENMASK)));
		entry = (i % JB_OFFSET_STRIDE == 0) ? (type | JENTRY_HAS_OFF | total)
			: (type | (buf->len - before));
		memcpy(buf->data + entries + sizeof(JEntry) * i, &entry, sizeof(JEntry));
	}
	return true;
}

/* The value to store: a scalar's own bytes, or the whole container. */
static NewValue
new_value(Jsonb *value)
{
	NewValue	v;

	if (JB_ROOT_IS_SCALAR(value))
		return stored_child(&value->root, 0);
	v.data = (const char *) &value->root;
	v.len = VARSIZE(value) - VARHDRSZ;
	v.type = JENTRY_ISCONTAINER;
	return v;
}

Datum
readmodel_jsonb_patch(PG_FUNCTION_ARGS)
{
	Jsonb	   *doc = PG_GETARG_JSONB_P(0);
	ArrayType  *path = PG_GETARG_ARRAYTYPE_P(1);
	Jsonb	   *value = PG_GETARG_JSONB_P(2);
	Datum	   *keys;
	bool	   *nulls;
	int			nkeys;
	int			i;
	NewValue	v;
	StringInfoData buf;

	if (ARR_NDIM(path) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("wrong number of array subscripts")));
	deconstruct_array(path, TEXTOID, -1, false, TYPALIGN_INT,
					  &keys, &nulls, &nkeys);
	for (i = 0; i < nkeys; i++)
		if (nulls[i])
			nkeys = 0;			/* jsonb_set reports a NULL path element */

	v = new_value(value);
	initStringInfo(&buf);
	appendStringInfoSpaces(&buf, VARHDRSZ);
	if (nkeys > 0 && !JB_ROOT_IS_SCALAR(doc) &&
		append_patched(&buf, &doc->root, keys, 0, nkeys, &v))
	{
		SET_VARSIZE(buf.data, buf.len);
		PG_RETURN_POINTER(buf.data);
	}
	pfree(buf.data);
	return DirectFunctionCall4(jsonb_set, JsonbPGetDatum(doc),
							   PointerGetDatum(path), JsonbPGetDatum(value),
							   BoolGetDatum(true));
}
