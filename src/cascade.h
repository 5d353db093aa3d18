/*-------------------------------------------------------------------------
 *
 * cascade.h
 *	  Applying the queued work of every model in dependency order.
 *
 *-------------------------------------------------------------------------
 */
#ifndef READMODEL_CASCADE_H
#define READMODEL_CASCADE_H

#include "postgres.h"

extern int64 readmodel_apply_pending(bool statement_mode_only);
extern void readmodel_apply_at_commit(void);

#endif							/* READMODEL_CASCADE_H */
