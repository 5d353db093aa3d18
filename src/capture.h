/*-------------------------------------------------------------------------
 *
 * capture.h
 *	  The capture trigger on every source table, and what happens to a
 *	  model that cannot be maintained when a change reaches it.
 *
 *-------------------------------------------------------------------------
 */
#ifndef READMODEL_CAPTURE_H
#define READMODEL_CAPTURE_H

#include "access/htup.h"
#include "access/tupdesc.h"

#include "pg_readmodel.h"

extern void readmodel_miss_change(ReadModel *model);
extern bool readmodel_capture_in_progress(void);
extern char *readmodel_hop_sql(RouteHop *hop);
extern char *readmodel_rows_key_sql(SourceRoute *route, Oid root_relid);
extern int64 readmodel_capture_named_rows(ReadModel *model, ModelSource *msource,
										  TupleDesc desc, HeapTupleHeader *rows,
										  int nrows);

#endif							/* READMODEL_CAPTURE_H */
