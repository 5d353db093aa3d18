/*-------------------------------------------------------------------------
 *
 * locks.c
 *	  Key locks and route locks; the protocol is described in
 *	  pg_readmodel.h.
 *
 * All locks are transaction-scoped, in the advisory lock method, with
 * locktag_field4 set to one of our own classes so they never collide with
 * user advisory locks (which use 1 and 2).  They show up in pg_locks as
 * locktype 'advisory' with objsubid = the class below.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "utils/lsyscache.h"

#include "pg_readmodel.h"

/* locktag_field4 values */
#define RM_LOCK_KEY				0x5201	/* (model, hash(key)) */
#define RM_LOCK_MODEL			0x5202	/* (model, 0): all keys of a model */
#define RM_LOCK_ROUTE_VALUE		0x5203	/* (table, hash(column, value)) */
#define RM_LOCK_ROUTE_WRITERS	0x5204	/* (table, column): writers present */
#define RM_LOCK_ROUTE_MAPPERS	0x5205	/* (table, column): mappers present */

static void
acquire(uint32 field2, uint32 field3, uint16 class, LOCKMODE mode)
{
	LOCKTAG		tag;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, field2, field3, class);
	(void) LockAcquire(&tag, mode, false, false);
}

uint32
readmodel_hash_datum(Datum value, int16 typlen, bool typbyval)
{
	if (typbyval)
		return hash_bytes_uint32((uint32) (value ^ (value >> 32)));
	if (typlen > 0)
		return hash_bytes((const unsigned char *) DatumGetPointer(value), typlen);
	if (typlen == -1)
	{
		struct varlena *v = PG_DETOAST_DATUM_PACKED(value);

		return hash_bytes((const unsigned char *) VARDATA_ANY(v),
						  VARSIZE_ANY_EXHDR(v));
	}
	/* cstring */
	return hash_bytes((const unsigned char *) DatumGetPointer(value),
					  strlen(DatumGetPointer(value)));
}

static int
compare_uint32(const void *a, const void *b)
{
	uint32		x = *(const uint32 *) a;
	uint32		y = *(const uint32 *) b;

	return (x > y) - (x < y);
}

/* Sorted, de-duplicated hashes; returns how many remain. */
static int
sorted_hashes(Datum *values, int nvalues, int16 typlen, bool typbyval,
			  uint32 salt, uint32 *out)
{
	int			i,
				n = 0;

	for (i = 0; i < nvalues; i++)
		out[i] = hash_combine(salt,
							  readmodel_hash_datum(values[i], typlen, typbyval));
	qsort(out, nvalues, sizeof(uint32), compare_uint32);
	for (i = 0; i < nvalues; i++)
		if (n == 0 || out[n - 1] != out[i])
			out[n++] = out[i];
	return n;
}

/*
 * Lock the keys about to be recomputed, in sorted order so that two
 * appliers cannot deadlock on each other's keys.
 */
void
readmodel_lock_keys(ReadModel *model, Datum *keys, int nkeys)
{
	uint32	   *hashes;
	int			n,
				i;

	if (nkeys == 0)
		return;
	if (nkeys > readmodel_lock_escalation)
	{
		readmodel_lock_model(model);
		return;
	}
	hashes = palloc(sizeof(uint32) * nkeys);
	n = sorted_hashes(keys, nkeys, model->key_typlen, model->key_typbyval,
					  0, hashes);
	acquire(model->relid, 0, RM_LOCK_MODEL, RowExclusiveLock);
	for (i = 0; i < n; i++)
		acquire(model->relid, hashes[i], RM_LOCK_KEY, ExclusiveLock);
	pfree(hashes);
}

/* Every key of the model at once: full refresh, or too many keys. */
void
readmodel_lock_model(ReadModel *model)
{
	acquire(model->relid, 0, RM_LOCK_MODEL, ExclusiveLock);
}

/*
 * Route locks on (relid, att, value).  Writers of the table take
 * RowExclusiveLock per value and mappers ShareLock, so only a writer and a
 * mapper of the same value wait for each other.  Past the escalation limit
 * one lock on the other class's (relid, att) tag stands for all values:
 * every writer holds RowExclusiveLock on the writers' tag and every mapper
 * on the mappers' tag, and an escalated writer (mapper) takes ShareLock on
 * the mappers' (writers') tag.
 */
void
readmodel_lock_route_values(Oid relid, AttrNumber att, Oid type,
							Datum *values, int nvalues, bool writer)
{
	int16		typlen;
	bool		typbyval;
	uint32	   *hashes;
	int			n,
				i;
	uint16		own = writer ? RM_LOCK_ROUTE_WRITERS : RM_LOCK_ROUTE_MAPPERS;
	uint16		other = writer ? RM_LOCK_ROUTE_MAPPERS : RM_LOCK_ROUTE_WRITERS;

	if (nvalues == 0)
		return;
	acquire(relid, att, own, RowExclusiveLock);
	if (nvalues > readmodel_lock_escalation)
	{
		acquire(relid, att, other, ShareLock);
		return;
	}
	get_typlenbyval(type, &typlen, &typbyval);
	hashes = palloc(sizeof(uint32) * nvalues);
	n = sorted_hashes(values, nvalues, typlen, typbyval, (uint32) att, hashes);
	for (i = 0; i < n; i++)
		acquire(relid, hashes[i], RM_LOCK_ROUTE_VALUE,
				writer ? RowExclusiveLock : ShareLock);
	pfree(hashes);
}
