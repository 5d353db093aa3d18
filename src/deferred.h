/*-------------------------------------------------------------------------
 *
 * deferred.h
 *	  Mode deferred: the durable queue writers fill at commit (deferred.c)
 *	  and the background worker that applies it (deferred_worker.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef READMODEL_DEFERRED_H
#define READMODEL_DEFERRED_H

#include "postgres.h"

extern bool readmodel_in_deferred_worker;
extern char *readmodel_deferred_databases;
extern int	readmodel_deferred_naptime;
extern int	readmodel_deferred_batch_keys;

extern bool readmodel_deferred_database_listed(const char *name);
extern int64 readmodel_deferred_queue_insert(Oid model, Datum keys, bool keys_null);
extern void readmodel_deferred_enqueue(void);
extern void readmodel_deferred_xact_end(bool commit, bool prepare);
extern void readmodel_deferred_register(void);

#endif							/* READMODEL_DEFERRED_H */
