/*-------------------------------------------------------------------------
 *
 * apply.h
 *	  Recompute one model's queued keys (or all of it) and write only the
 *	  rows whose binary image differs.
 *
 *-------------------------------------------------------------------------
 */
#ifndef READMODEL_APPLY_H
#define READMODEL_APPLY_H

#include "pg_readmodel.h"

/* The model maintenance is writing now: the write guard lets it by */
extern Oid	readmodel_writing_model;

struct ModelWork;
extern int64 readmodel_apply_model(ReadModel *model, struct ModelWork *work,
								   bool with_patches);
extern int64 readmodel_refresh_model(ReadModel *model);
extern char *readmodel_diff_sql(ReadModel *model, bool keyed);
extern char *readmodel_row_image_differs(const char *left, const char *right,
										 List *columns);
extern List *readmodel_model_columns(Oid relid, bool versioned);

#endif							/* READMODEL_APPLY_H */
