/*-------------------------------------------------------------------------
 *
 * lifecycle.h
 *	  Declaring, replacing, dropping and refreshing read models.
 *
 *-------------------------------------------------------------------------
 */
#ifndef READMODEL_LIFECYCLE_H
#define READMODEL_LIFECYCLE_H

#include "postgres.h"

#include "utils/jsonb.h"

/* set while the extension itself runs DDL on models (see ddl_events.c) */
extern bool readmodel_creating;

extern Oid	readmodel_declare(const char *name, const char *definition,
							  Jsonb *options, uint64 *rows);
extern Oid	readmodel_model_by_name(text *name);
extern void readmodel_wait_for_source_writers(struct ReadModel *model);
extern struct ReadModel *readmodel_owned_model(text *name);
extern int64 readmodel_resume_by_replay(struct ReadModel *model);

#endif							/* READMODEL_LIFECYCLE_H */
