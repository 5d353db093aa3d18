/*-------------------------------------------------------------------------
 *
 * partitions.h
 *	  Partitioned source tables: their members, the capture triggers on
 *	  each, and what attaching, detaching and dropping partitions means.
 *
 * A read model reads a partitioned table as a whole.  A write through the
 * parent fires the parent's statement triggers only, with every routed row
 * in the parent's row type; a write to a partition fires that partition's
 * only, in its own row type (its column numbers may differ).  So every
 * member of the partition tree has the capture triggers, the model cache
 * maps each member to the parent's SourceTable, and the capture converts a
 * member's rows to the parent's row type.  Attaching or detaching a
 * partition changes the parent's rows without a write: the models reading
 * it are rebuilt by diff at commit.
 *
 *-------------------------------------------------------------------------
 */
#ifndef READMODEL_PARTITIONS_H
#define READMODEL_PARTITIONS_H

#include "postgres.h"

#include "access/tupconvert.h"
#include "nodes/pg_list.h"
#include "tcop/deparse_utility.h"

extern bool readmodel_is_partitioned(Oid relid);
extern List *readmodel_partition_members(Oid relid);
extern TupleConversionMap *readmodel_member_map(Relation member, Oid parent);
extern bool readmodel_partition_command(CollectedCommand *cmd, List **changed,
										List **added, List **detached);
extern void readmodel_partitions_changed(List *changed, List *added,
										 List *detached);
extern void readmodel_partition_dropped(void);

#endif							/* READMODEL_PARTITIONS_H */
