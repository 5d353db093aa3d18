/*-------------------------------------------------------------------------
 *
 * suspend.h
 *	  Suspended models: the keys their writers record for readmodel.resume()
 *	  (suspend.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef READMODEL_SUSPEND_H
#define READMODEL_SUSPEND_H

#include "storage/lockdefs.h"
#include "utils/snapshot.h"

#include "pg_readmodel.h"

struct ModelWork;

extern int	readmodel_resume_replay_limit;

extern bool readmodel_suspended_records(ReadModel *model, int64 nrows);
extern void readmodel_suspended_check_budget(ReadModel *model);
extern void readmodel_suspended_enqueue(ReadModel *model, Datum keys, bool rebuild);
extern int64 readmodel_suspended_replay(ReadModel *model);
extern void readmodel_suspended_clear(Oid relid, Snapshot snapshot);
extern void readmodel_suspended_queue_lock(LOCKMODE mode);
extern void readmodel_suspended_xact_end(void);

#endif							/* READMODEL_SUSPEND_H */
