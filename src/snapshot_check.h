/*-------------------------------------------------------------------------
 *
 * snapshot_check.h
 *	  A serialization failure instead of maintenance, before commit under
 *	  REPEATABLE READ or SERIALIZABLE, that would write on top of model rows
 *	  the transaction's snapshot cannot see.
 *
 *-------------------------------------------------------------------------
 */
#ifndef READMODEL_SNAPSHOT_CHECK_H
#define READMODEL_SNAPSHOT_CHECK_H

#include "pg_readmodel.h"

extern void readmodel_check_snapshot_sees(ReadModel *model, Datum *keys, int nkeys);

#endif							/* READMODEL_SNAPSHOT_CHECK_H */
