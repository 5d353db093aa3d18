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
 * Values are hashed with the hash function of the equality the lock stands
 * for, so that values equal under it take the same lock whatever their
 * bytes or types.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/lock.h"

#include "locks.h"

/* locktag_field4 values */
#define RM_LOCK_KEY				0x5201	/* (model, hash(key)) */
#define RM_LOCK_MODEL			0x5202	/* (model, 0): all keys of a model */
#define RM_LOCK_ROUTE_VALUE		0x5203	/* (table, hash(salt, value)) */
#define RM_LOCK_ROUTE_WRITERS	0x5204	/* (table, column): writers present */
#define RM_LOCK_ROUTE_MAPPERS	0x5205	/* (table, column): mappers present */

static void
acquire(uint32 field2, uint32 field3, uint16 class, LOCKMODE mode)
{
	LOCKTAG		tag;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, field2, field3, class);
	(void) LockAcquire(&tag, mode, false, false);
}

static int
compare_uint32(const void *a, const void *b)
{
	uint32		x = *(const uint32 *) a;
	uint32		y = *(const uint32 *) b;

	return (x > y) - (x < y);
}

/*
 * Hash the values with `hash_fn` (a standard hash support function) under
 * `collation`, combined with `salt`; sorted and de-duplicated.  Returns how
 * many remain.
 */
static int
sorted_hashes(Datum *values, int nvalues, Oid hash_fn, Oid collation,
			  uint32 salt, uint32 *out)
{
	FmgrInfo	finfo;
	int			i,
				n = 0;

	fmgr_info(hash_fn, &finfo);
	for (i = 0; i < nvalues; i++)
		out[i] = hash_combine(salt,
							  DatumGetUInt32(FunctionCall1Coll(&finfo, collation,
															   values[i])));
	qsort(out, nvalues, sizeof(uint32), compare_uint32);
	for (i = 0; i < nvalues; i++)
		if (n == 0 || out[n - 1] != out[i])
			out[n++] = out[i];
	return n;
}

/*
 * Lock the keys about to be recomputed, in sorted order so that two
 * appliers cannot deadlock on each other's keys.  A key type without a hash
 * function locks the whole model.
 */
void
readmodel_lock_keys(ReadModel *model, Datum *keys, int nkeys)
{
	uint32	   *hashes;
	int			n,
				i;

	if (nkeys == 0)
		return;
	if (nkeys > readmodel_lock_escalation || !OidIsValid(model->key_hash_fn))
	{
		readmodel_lock_model(model);
		return;
	}
	hashes = palloc(sizeof(uint32) * nkeys);
	n = sorted_hashes(keys, nkeys, model->key_hash_fn, model->key_collation,
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
 * Route locks on (relid, column, value).  Writers of the table take
 * RowExclusiveLock per value and mappers ShareLock, so only a writer and a
 * mapper of the same value wait for each other.  Past the escalation limit,
 * or without a hash function, one lock on the other class's (relid, column)
 * tag stands for all values: every writer holds RowExclusiveLock on the
 * writers' tag and every mapper on the mappers' tag, and an escalated
 * writer (mapper) takes ShareLock on the mappers' (writers') tag.
 */
void
readmodel_lock_route_values(Oid relid, const LockScheme *scheme, bool writer,
							Datum *values, int nvalues)
{
	Oid			hash_fn = writer ? scheme->col_hash_fn : scheme->in_hash_fn;
	uint16		own = writer ? RM_LOCK_ROUTE_WRITERS : RM_LOCK_ROUTE_MAPPERS;
	uint16		other = writer ? RM_LOCK_ROUTE_MAPPERS : RM_LOCK_ROUTE_WRITERS;
	uint32	   *hashes;
	int			n,
				i;

	if (nvalues == 0)
		return;
	acquire(relid, scheme->att, own, RowExclusiveLock);
	if (nvalues > readmodel_lock_escalation || !OidIsValid(hash_fn))
	{
		acquire(relid, scheme->att, other, ShareLock);
		return;
	}
	hashes = palloc(sizeof(uint32) * nvalues);
	n = sorted_hashes(values, nvalues, hash_fn, scheme->collation,
					  scheme->salt, hashes);
	for (i = 0; i < n; i++)
		acquire(relid, hashes[i], RM_LOCK_ROUTE_VALUE,
				writer ? RowExclusiveLock : ShareLock);
	pfree(hashes);
}
