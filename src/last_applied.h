/*-------------------------------------------------------------------------
 *
 * last_applied.h
 *	  Per model, the time and WAL position of the last commit that applied
 *	  its work (last_applied.c; shared memory, when preloaded).
 *
 *-------------------------------------------------------------------------
 */
#ifndef READMODEL_LAST_APPLIED_H
#define READMODEL_LAST_APPLIED_H

#include "postgres.h"

extern void readmodel_last_applied_shmem_request(void);
extern void readmodel_last_applied_shmem_startup(void);
extern void readmodel_last_applied_note(Oid relid);
extern void readmodel_last_applied_pre_commit(void);
extern void readmodel_last_applied_xact_end(bool commit);

#endif							/* READMODEL_LAST_APPLIED_H */
