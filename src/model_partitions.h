/*-------------------------------------------------------------------------
 *
 * model_partitions.h
 *	  Partitioned model tables: options->'partition_by'.
 *
 *	  {"hash": N}                      N partitions <table>_p0 ... by hash
 *	                                   of the key
 *	  {"range": "col", "partitions":   one partition <table>_<name> per
 *	     {"name": {"from": v, "to": w}}}  entry, FOR VALUES FROM (v) TO (w)
 *	  {"list": "col", "partitions":    FOR VALUES IN (v, ...)
 *	     {"name": [v, ...]}}
 *
 * Range and list tables also get <table>_default, so that every row the
 * definition returns has a partition to go to.  The partition column must
 * be a key column (a primary key on a partitioned table includes it).  The
 * option is kept in the catalog as given; its partitions must all stay
 * (ddl_events.c refuses dropping one).
 *
 *-------------------------------------------------------------------------
 */
#ifndef READMODEL_MODEL_PARTITIONS_H
#define READMODEL_MODEL_PARTITIONS_H

#include "postgres.h"

#include "utils/jsonb.h"

#include "pg_readmodel.h"

typedef struct ModelPartitioning
{
	char		kind;			/* 'h' (hash), 'r' (range) or 'l' (list) */
	int			modulus;		/* hash: the number of partitions */
	char	   *column;			/* range, list: the partition column */
	List	   *names;			/* range, list: partition name suffixes */
	List	   *bounds;			/* ... and their FOR VALUES clauses */
	char	   *spec;			/* the option as JSON text */
} ModelPartitioning;

extern ModelPartitioning *readmodel_partitioning_parse(JsonbValue *v);
extern int	readmodel_partitioning_count(const char *spec);
extern void readmodel_partitioning_check_key(ModelPartitioning *p,
											 ModelAnalysis *analysis,
											 const char *qualname);
extern char *readmodel_partitioned_table(ModelPartitioning *p, const char *qualname,
										 const char *view_qualname,
										 const char *key_list, Oid nsp,
										 const char *relname);

#endif							/* READMODEL_MODEL_PARTITIONS_H */
