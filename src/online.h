/*-------------------------------------------------------------------------
 *
 * online.h
 *	  Models declared online and built by resume(), compare() and swap()
 *	  (online.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef READMODEL_ONLINE_H
#define READMODEL_ONLINE_H

#include "pg_readmodel.h"

extern void readmodel_check_online_options(bool replace, bool manual, bool partitioned);
extern void readmodel_check_online_analysis(ModelAnalysis *analysis, const char *qualname);
extern int64 readmodel_build_online(ReadModel *model);

#endif							/* READMODEL_ONLINE_H */
