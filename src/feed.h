/*-------------------------------------------------------------------------
 *
 * feed.h
 *	  The change feed of models with option feed or notify: the keys a
 *	  transaction changed, readmodel.changes(), NOTIFY at commit.
 *
 *-------------------------------------------------------------------------
 */
#ifndef READMODEL_FEED_H
#define READMODEL_FEED_H

#include "postgres.h"

extern void readmodel_feed_subxact(bool commit, int level);
extern void readmodel_feed_reset(void);
extern void readmodel_feed_at_commit(bool prepare);

#endif							/* READMODEL_FEED_H */
