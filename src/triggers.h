/*-------------------------------------------------------------------------
 *
 * triggers.h
 *	  Installing and removing the capture triggers on sources and the write
 *	  guard on model tables.
 *
 *-------------------------------------------------------------------------
 */
#ifndef READMODEL_TRIGGERS_H
#define READMODEL_TRIGGERS_H

#include "postgres.h"

#include "commands/trigger.h"
#include "utils/relcache.h"

/* insert, update, delete, truncate */
#define READMODEL_CAPTURE_EVENTS 4
/* insert, update, delete: the row triggers of a subscriber */
#define READMODEL_ROW_EVENTS 3

extern Oid	readmodel_capture_function(void);
extern char *readmodel_capture_trigger_name(int event);
extern Trigger *readmodel_find_capture_trigger(Relation rel, int event,
											   Oid capture);
extern char *readmodel_row_trigger_name(int event);
extern Trigger *readmodel_find_row_trigger(Relation rel, int event, Oid capture);
extern void readmodel_install_capture_triggers(Oid relid, Oid role,
											   bool replicated);
extern bool readmodel_remove_capture_triggers(Oid relid);
extern void readmodel_install_write_guard(Oid relid);
extern void readmodel_install_feed_triggers(Oid relid);
extern void readmodel_remove_feed_triggers(Oid relid);
extern bool readmodel_remove_write_guard(Oid relid);

#endif							/* READMODEL_TRIGGERS_H */
