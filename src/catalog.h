/*-------------------------------------------------------------------------
 *
 * catalog.h
 *	  Access to the catalog table readmodel.model.
 *
 * Users cannot read or write the catalog; every statement here runs as the
 * extension's owner inside the sandbox (pinned search_path, security-
 * restricted), reads with the latest snapshot (a model committed after a
 * REPEATABLE READ writer's snapshot was taken must still be maintained by
 * its writes), and invalidates every backend's model cache after a write.
 *
 *-------------------------------------------------------------------------
 */
#ifndef READMODEL_CATALOG_H
#define READMODEL_CATALOG_H

#include "postgres.h"

#include "nodes/pg_list.h"

#define READMODEL_SCHEMA		"readmodel"
#define READMODEL_CATALOG		"model"

/* the stale_reason of a model readmodel.suspend() suspended */
#define READMODEL_SUSPENDED		"suspended by readmodel.suspend()"
/* ... and of one declared with option online, not built yet (online.c) */
#define READMODEL_BUILDING		"declared online: readmodel.resume() builds it"
#define ModelStaleReasonIs(model, reason) \
	((model)->stale != NULL && strcmp((model)->stale, (reason)) == 0)

/* One row of readmodel.model. */
typedef struct CatalogRow
{
	Oid			relid;			/* the model table */
	Oid			viewid;			/* its definition view */
	char	   *keycol;
	char	   *mode;
	char	   *definition;
	List	   *sources;		/* Oid list: the tables it reads */
	char	   *stale_reason;	/* why it is no longer maintained, or NULL */
	bool		refresh_strategy;	/* options->'strategy' = 'refresh' */
	char	   *partition_spec; /* options->'partition_by' as JSON, or NULL */
	int			partitions;		/* how many partitions it must keep, or 0 */
	Oid			state;			/* its aggregate deltas' state table, or 0 */
	bool		feed;			/* options->'feed' */
	char	   *notify_channel; /* options->'notify', or NULL */
	bool		versioned;		/* options->'version' */
	char	   *expected_lag;	/* options->'expected_lag', written only */
	char	   *max_lag;		/* options->'max_lag', written only */
} CatalogRow;

extern Oid	readmodel_catalog_relid(bool missing_ok);
extern Oid	readmodel_catalog_relid_known(void);
extern void readmodel_catalog_forget(void);
extern Oid	readmodel_extension_owner(void);
extern Oid	readmodel_relation_owner(Oid relid);

extern List *readmodel_catalog_rows(void);
extern bool readmodel_catalog_is_model(Oid relid);
extern List *readmodel_catalog_readers(Oid relid);
extern List *readmodel_catalog_listeners(Oid relid);
extern bool readmodel_catalog_allows_manual(void);
extern List *readmodel_catalog_view_readers(Oid view);
extern char *readmodel_catalog_cycle(Oid relid, List *sources);
extern void readmodel_catalog_insert(CatalogRow *row);
extern void readmodel_catalog_update(CatalogRow *row);
extern List *readmodel_catalog_delete(List *relids);
extern bool readmodel_catalog_mark_stale(Oid relid, const char *reason);
extern void readmodel_catalog_clear_stale(Oid relid);
extern bool readmodel_catalog_tracks_staleness(void);
extern bool readmodel_catalog_has_state(void);
extern Oid	readmodel_extension_relation(const char *name);
extern bool readmodel_catalog_has_suspended_queue(void);
extern bool readmodel_may_see_model(Oid relid);
extern bool readmodel_catalog_capture_allowed(Oid source, Oid role);
extern void readmodel_catalog_set_capture_allowed(Oid source, Oid role, bool allowed);

#endif							/* READMODEL_CATALOG_H */
