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

extern void readmodel_install_capture_triggers(Oid relid, Oid role);
extern bool readmodel_remove_capture_triggers(Oid relid);
extern void readmodel_install_write_guard(Oid relid);
extern bool readmodel_remove_write_guard(Oid relid);

#endif							/* READMODEL_TRIGGERS_H */
