/*-------------------------------------------------------------------------
 *
 * locks.h
 *	  Key locks and route locks; the protocol is described in
 *	  pg_readmodel.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef READMODEL_LOCKS_H
#define READMODEL_LOCKS_H

#include "pg_readmodel.h"

extern void readmodel_lock_keys(ReadModel *model, Datum *keys, int nkeys);
extern void readmodel_lock_model(ReadModel *model);
extern void readmodel_lock_route_values(Oid relid, const LockScheme *scheme,
										bool writer, Datum *values,
										int nvalues);

#endif							/* READMODEL_LOCKS_H */
