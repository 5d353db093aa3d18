/*-------------------------------------------------------------------------
 *
 * analysis.h
 *	  From a definition's analyzed Query to what maintenance needs, or a
 *	  refusal naming the construct that cannot be maintained exactly.
 *
 *-------------------------------------------------------------------------
 */
#ifndef READMODEL_ANALYSIS_H
#define READMODEL_ANALYSIS_H

#include "nodes/parsenodes.h"

#include "pg_readmodel.h"

extern ModelAnalysis *readmodel_analyze(Query *query, Oid viewid,
										const char *explicit_key,
										const char *model_name, Oid owner,
										bool refresh_strategy);

#endif							/* READMODEL_ANALYSIS_H */
