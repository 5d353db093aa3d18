/*-------------------------------------------------------------------------
 *
 * queue.h
 *	  The per-transaction queue of read-model keys to recompute and of
 *	  source values whose copied columns are to be patched.
 *
 *-------------------------------------------------------------------------
 */
#ifndef READMODEL_QUEUE_H
#define READMODEL_QUEUE_H

#include "pg_readmodel.h"

struct DeltaAcc;

/* A model's pending work, as taken for an apply. */
typedef struct ModelWork
{
	Datum	   *keys;			/* to recompute */
	int			nkeys;
	Datum	   *delta_keys;		/* to fold deltas into */
	struct DeltaAcc **deltas;	/* ... their accumulators */
	int			ndeltas;
	bool		full;			/* a full refresh instead */
} ModelWork;

extern void readmodel_queue_key(ReadModel *model, Datum key, Oid source, int op);
extern struct DeltaAcc *readmodel_queue_delta(ReadModel *model, Datum key, Oid source,
											  MemoryContext *keep);
extern void readmodel_queue_patch(ReadModel *model, PatchTarget *target,
								  Datum value, Oid source);
extern void readmodel_queue_full(ReadModel *model, Oid source, int op);
extern bool readmodel_queue_has_pending(bool statement_mode_only);
extern bool readmodel_queue_show_deferred(bool show);
extern bool readmodel_queue_show_suspended(bool show);
extern int64 readmodel_queue_model_keys(Oid model, bool *full);
extern void readmodel_queue_hold(ReadModel *model, bool hold);
extern void readmodel_queue_release_held(void);
extern int64 readmodel_queue_size(void);
extern List *readmodel_queue_pending_models(bool statement_mode_only);
extern bool readmodel_queue_take(Oid model, ModelWork *work);
extern List *readmodel_queue_pending_patches(Oid model);
extern void readmodel_queue_take_all(Oid model);
extern bool readmodel_queue_take_patch(Oid model, int patch, Datum **values,
									   int *nvalues, Oid *relid,
									   AttrNumber *via);
extern void readmodel_queue_subxact(bool commit, int level);
extern void readmodel_queue_reset(void);

typedef void (*QueueVisitor) (Oid model, int patch, Datum key, bool full,
							  Oid source, int ops, void *arg);
extern void readmodel_queue_visit(QueueVisitor visitor, void *arg);

#endif							/* READMODEL_QUEUE_H */
