/*-------------------------------------------------------------------------
 *
 * last_applied.c
 *	  Per model, the last commit that applied its work: the commit's time
 *	  and the end of its WAL record, shown in readmodel.models.
 *
 * Kept in shared memory, so only when the library is preloaded; without
 * it, or for a model no commit has applied since the server started, both
 * are NULL.  A transaction notes the models it applied (apply.c); at
 * COMMIT, after its commit record is written, it stores XactLastCommitEnd
 * and its stop timestamp for each, under one LWLock, a handful of
 * comparisons per model and commit.  The table has a fixed number of
 * slots; when it is full the model applied longest ago gives its slot up.
 * A prepared transaction's models are not recorded (COMMIT PREPARED runs
 * in another session, which does not know them).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/pg_lsn.h"
#include "utils/timestamp.h"

#include "catalog.h"
#include "last_applied.h"

PG_FUNCTION_INFO_V1(readmodel_last_applied);

#define LAST_APPLIED_SLOTS 1024

typedef struct LastApplied
{
	Oid			dbid;			/* InvalidOid: a free slot */
	Oid			relid;
	TimestampTz at;
	XLogRecPtr	lsn;
} LastApplied;

typedef struct LastAppliedTable
{
	LWLock	   *lock;
	LastApplied slots[LAST_APPLIED_SLOTS];
} LastAppliedTable;

static LastAppliedTable *table = NULL;
static List *applied_models = NIL;	/* in TopTransactionContext */
static bool wrote = false;		/* has an xid at PRE_COMMIT: a commit record */

void
readmodel_last_applied_shmem_request(void)
{
	RequestAddinShmemSpace(MAXALIGN(sizeof(LastAppliedTable)));
	RequestNamedLWLockTranche("pg_readmodel last applied", 1);
}

void
readmodel_last_applied_shmem_startup(void)
{
	bool		found;

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	table = ShmemInitStruct("pg_readmodel last applied", sizeof(LastAppliedTable), &found);
	if (!found)
	{
		memset(table->slots, 0, sizeof(table->slots));
		table->lock = &(GetNamedLWLockTranche("pg_readmodel last applied"))->lock;
	}
	LWLockRelease(AddinShmemInitLock);
}

/* This transaction applied work of the model. */
void
readmodel_last_applied_note(Oid relid)
{
	MemoryContext old;

	if (table == NULL)
		return;
	old = MemoryContextSwitchTo(TopTransactionContext);
	applied_models = list_append_unique_oid(applied_models, relid);
	MemoryContextSwitchTo(old);
}

/*
 * Just before commit, after the apply: a transaction with no xid writes
 * no commit record, and XactLastCommitEnd would be an earlier one's.
 */
void
readmodel_last_applied_pre_commit(void)
{
	wrote = TransactionIdIsValid(GetTopTransactionIdIfAny());
}

/* The model's slot, else a free one, else the one applied longest ago. */
static LastApplied *
slot_for(Oid relid)
{
	LastApplied *choice = NULL;
	int			i;

	for (i = 0; i < LAST_APPLIED_SLOTS; i++)
	{
		LastApplied *slot = &table->slots[i];

		if (slot->dbid == MyDatabaseId && slot->relid == relid)
			return slot;
		if (choice == NULL || (OidIsValid(choice->dbid) &&
							   (!OidIsValid(slot->dbid) || slot->at < choice->at)))
			choice = slot;
	}
	return choice;
}

/* At the end of a transaction: a commit stores what it applied. */
void
readmodel_last_applied_xact_end(bool commit)
{
	ListCell   *lc;
	TimestampTz at;

	if (commit && wrote && applied_models != NIL && table != NULL &&
		!XLogRecPtrIsInvalid(XactLastCommitEnd))
	{
		at = GetCurrentTransactionStopTimestamp();
		LWLockAcquire(table->lock, LW_EXCLUSIVE);
		foreach(lc, applied_models)
		{
			LastApplied *slot = slot_for(lfirst_oid(lc));

			slot->dbid = MyDatabaseId;
			slot->relid = lfirst_oid(lc);
			slot->at = at;
			slot->lsn = XactLastCommitEnd;
		}
		LWLockRelease(table->lock);
	}
	applied_models = NIL;
	wrote = false;
}

/*
 * readmodel._last_applied(model regclass, OUT at timestamptz, OUT lsn
 * pg_lsn): NULLs when not known, or the caller may not see the model.
 */
Datum
readmodel_last_applied(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	TupleDesc	desc;
	Datum		values[2] = {0, 0};
	bool		nulls[2] = {true, true};
	int			i;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "readmodel._last_applied must return a record");
	/* a role that may not see the model learns nothing of its commits */
	if (table != NULL && readmodel_may_see_model(relid))
	{
		LWLockAcquire(table->lock, LW_SHARED);
		for (i = 0; i < LAST_APPLIED_SLOTS; i++)
			if (table->slots[i].dbid == MyDatabaseId && table->slots[i].relid == relid)
			{
				values[0] = TimestampTzGetDatum(table->slots[i].at);
				values[1] = LSNGetDatum(table->slots[i].lsn);
				nulls[0] = nulls[1] = false;
				break;
			}
		LWLockRelease(table->lock);
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls)));
}
