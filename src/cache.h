/*-------------------------------------------------------------------------
 *
 * cache.h
 *	  The per-backend cache of declared read models.
 *
 * Built lazily from the catalog and the analysis of each model's
 * definition view, in a memory context of its own.  It is rebuilt after an
 * invalidation of the catalog table, a model table, a definition view or a
 * source table (DDL on any of them, and readmodel.create/drop), and after
 * changes to schemas, roles and role memberships, and to the functions and
 * types a definition uses.  A superseded cache may still be referenced
 * further up the stack, so it is kept until the end of the transaction and
 * freed then, together with its prepared plans.
 *
 *-------------------------------------------------------------------------
 */
#ifndef READMODEL_CACHE_H
#define READMODEL_CACHE_H

#include "pg_readmodel.h"

extern ReadModel *readmodel_lookup_model(Oid relid);
extern SourceTable *readmodel_lookup_source(Oid relid);
extern List *readmodel_all_models(void);
extern void readmodel_invalidate_cache(void);
extern void readmodel_cache_init(void);
extern void readmodel_cache_xact_end(void);

#endif							/* READMODEL_CACHE_H */
