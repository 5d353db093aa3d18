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

#include "nodes/pg_list.h"

extern int64 readmodel_apply_pending(bool statement_mode_only);
extern int64 readmodel_apply_models(List *relids);
extern int64 readmodel_apply_everything(void);
extern bool readmodel_apply_in_progress(void);
extern bool readmodel_apply_at_commit_in_progress(void);
extern void readmodel_apply_at_commit(void);

#endif							/* READMODEL_CASCADE_H */
