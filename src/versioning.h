/*-------------------------------------------------------------------------
 *
 * versioning.h
 *	  Option version: the version and projected_at columns a model table
 *	  gets beside its definition's, and the trigger that keeps them.
 *
 *-------------------------------------------------------------------------
 */
#ifndef READMODEL_VERSIONING_H
#define READMODEL_VERSIONING_H

#include "postgres.h"

#include "nodes/parsenodes.h"

#define READMODEL_VERSION_COLUMN		"version"
#define READMODEL_PROJECTED_AT_COLUMN	"projected_at"

extern bool readmodel_is_version_column(const char *name);
extern bool readmodel_is_version_trigger(CreateTrigStmt *stmt);
extern void readmodel_version_check_view(Oid viewid, const char *qualname);
extern void readmodel_version_add(Oid relid);
extern void readmodel_version_drop(Oid relid);

#endif							/* READMODEL_VERSIONING_H */
