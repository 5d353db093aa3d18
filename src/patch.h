/*-------------------------------------------------------------------------
 *
 * patch.h
 *	  Writing copied source values into stored documents in place.
 *
 * When an UPDATE changes only columns a definition copies verbatim into
 * documents (see analyze_patch.c), capture queues the changed rows' via
 * values instead of model keys; at apply time one statement per patch
 * target sets the paths in every affected row whose value differs by
 * binary image.
 *
 *-------------------------------------------------------------------------
 */
#ifndef READMODEL_PATCH_H
#define READMODEL_PATCH_H

#include "pg_readmodel.h"
#include "stats.h"

/* A patch taken from the queue: its target and the via values, as an array. */
typedef struct PendingPatch
{
	PatchTarget *target;
	Datum		arg;
	int			nvalues;
	Datum	   *values;
} PendingPatch;

extern char *readmodel_patch_sql(ReadModel *model, PatchTarget *target);
extern char *readmodel_patch_keys_sql(ReadModel *model, PatchTarget *target);
extern List *readmodel_take_patches(ReadModel *model, bool *stale);
extern void readmodel_add_patched_keys(ReadModel *model, PendingPatch *patch,
									   Datum **keys, int *nkeys);
extern void readmodel_apply_patch(ReadModel *model, PendingPatch *patch,
								  ReadModelCounters *delta);
extern char *readmodel_path_literal(List *keys);
extern const char *readmodel_jsonb_setter(void);

#endif							/* READMODEL_PATCH_H */
