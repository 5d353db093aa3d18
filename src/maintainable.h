/*-------------------------------------------------------------------------
 *
 * maintainable.h
 *	  Can a model's owner maintain it exactly, right now?
 *
 * Checked whenever the model cache loads a model, as the owner, after the
 * analysis: the owner may read every table and column the definition
 * reads and write the model table; no row-level-security policy applies to
 * the owner on any of them (maintenance would depend on the session); the
 * capture triggers are in place and fire for every change, including
 * changes a logical-replication subscription applies; the table still has
 * the definition's columns.  A model that fails a check is not maintained;
 * the first write it misses marks it stale (see capture.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef READMODEL_MAINTAINABLE_H
#define READMODEL_MAINTAINABLE_H

#include "pg_readmodel.h"

extern void readmodel_check_maintainable(ReadModel *model, bool triggers);
extern void readmodel_check_row_security(ModelAnalysis *analysis, Oid owner,
										 const char *qualname);
extern void readmodel_check_owner_reads(ModelAnalysis *analysis);

#endif							/* READMODEL_MAINTAINABLE_H */
