/*-------------------------------------------------------------------------
 *
 * partitions.c
 *	  Partitioned source tables (see partitions.h).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "cache.h"
#include "catalog.h"
#include "partitions.h"
#include "pg_readmodel.h"
#include "queue.h"
#include "triggers.h"

bool
readmodel_is_partitioned(Oid relid)
{
	return get_rel_relkind(relid) == RELKIND_PARTITIONED_TABLE;
}

/* Every partition below `relid`, at any depth (not relid itself). */
List *
readmodel_partition_members(Oid relid)
{
	if (!readmodel_is_partitioned(relid))
		return NIL;
	return list_delete_first(find_all_inheritors(relid, NoLock, NULL));
}

/* How a member's rows become the parent's row type; NULL: they are. */
TupleConversionMap *
readmodel_member_map(Relation member, Oid parent)
{
	Relation	rel = relation_open(parent, AccessShareLock);
	TupleConversionMap *map = convert_tuples_by_name(RelationGetDescr(member),
													 RelationGetDescr(rel));

	relation_close(rel, NoLock);
	return map;
}

/* Is `relid`, or a table it is a partition of, captured for a model? */
static bool
read_as_partition(Oid relid)
{
	ListCell   *lc;

	if (readmodel_catalog_listeners(relid) != NIL)
		return true;
	if (!get_rel_relispartition(relid))
		return false;
	foreach(lc, get_partition_ancestors(relid))
		if (readmodel_catalog_listeners(lfirst_oid(lc)) != NIL)
			return true;
	return false;
}

static void
note_attach_detach(AlterTableCmd *sub, Oid parent, List **changed,
				   List **added, List **detached)
{
	PartitionCmd *pc = (PartitionCmd *) sub->def;
	Oid			member = RangeVarGetRelid(pc->name, NoLock, true);

	if (!OidIsValid(member))
		return;
	*changed = list_append_unique_oid(*changed, parent);
	if (sub->subtype == AT_AttachPartition)
		*added = list_append_unique_oid(*added, member);
	else
		*detached = list_append_unique_oid(*detached, member);
}

/*
 * Note what a command does to partition trees: CREATE TABLE ... PARTITION
 * OF adds an empty member; ATTACH and DETACH PARTITION add or remove one
 * with its rows, changing the parent.  Returns whether it did any.
 */
bool
readmodel_partition_command(CollectedCommand *cmd, List **changed,
							List **added, List **detached)
{
	ListCell   *lc;
	bool		found = false;

	if (cmd->type == SCT_Simple && IsA(cmd->parsetree, CreateStmt) &&
		((CreateStmt *) cmd->parsetree)->partbound != NULL)
	{
		*added = list_append_unique_oid(*added, cmd->d.simple.address.objectId);
		return true;
	}
	if (cmd->type != SCT_AlterTable)
		return false;
	foreach(lc, cmd->d.alterTable.subcmds)
	{
		AlterTableCmd *sub = (AlterTableCmd *) ((CollectedATSubcmd *) lfirst(lc))->parsetree;

		if (!IsA(sub, AlterTableCmd) ||
			(sub->subtype != AT_AttachPartition &&
			 sub->subtype != AT_DetachPartition &&
			 sub->subtype != AT_DetachPartitionFinalize))
			continue;
		note_attach_detach(sub, cmd->d.alterTable.objectId, changed, added, detached);
		found = true;
	}
	return found;
}

/* Queue a rebuild of every maintained model reading `relid`. */
static void
rebuild_readers(Oid relid)
{
	SourceTable *source = readmodel_lookup_source(relid);
	ListCell   *lc;

	if (source == NULL || source->relid != relid)
		return;
	foreach(lc, source->models)
		readmodel_queue_full(lfirst(lc), relid, RM_OP_REFRESH);
}

static void
rebuild_tree_readers(Oid parent)
{
	ListCell   *lc;

	rebuild_readers(parent);
	if (get_rel_relispartition(parent))
		foreach(lc, get_partition_ancestors(parent))
			rebuild_readers(lfirst_oid(lc));
}

/*
 * New members of a read tree get the capture triggers (as the user whose
 * command made them members, who owns them); detached ones lose them; the
 * models reading a tree whose rows changed are rebuilt at commit.
 */
void
readmodel_partitions_changed(List *changed, List *added, List *detached)
{
	ListCell   *lc;

	foreach(lc, added)
		if (read_as_partition(lfirst_oid(lc)))
			readmodel_install_capture_triggers(lfirst_oid(lc), GetUserId(), false);
	foreach(lc, detached)
		if (readmodel_catalog_listeners(lfirst_oid(lc)) == NIL)
			(void) readmodel_remove_capture_triggers(lfirst_oid(lc));
	if (changed == NIL)
		return;
	CommandCounterIncrement();
	readmodel_invalidate_cache();
	foreach(lc, changed)
		rebuild_tree_readers(lfirst_oid(lc));
}

/*
 * A dropped table took capture triggers with it.  If it was a partition,
 * its rows left a partitioned source without a write, and which one is no
 * longer known: every model reading a partitioned table is rebuilt.
 */
void
readmodel_partition_dropped(void)
{
	ListCell   *lm;

	CommandCounterIncrement();
	readmodel_invalidate_cache();
	foreach(lm, readmodel_all_models())
	{
		ReadModel  *model = lfirst(lm);
		ListCell   *ls;

		/* mode manual: the application syncs after partition DDL too */
		if (!ModelIsMaintained(model) || model->manual)
			continue;
		foreach(ls, model->analysis->sources)
		{
			Oid			relid = ((ModelSource *) lfirst(ls))->relid;

			if (readmodel_is_partitioned(relid))
			{
				readmodel_queue_full(model, relid, RM_OP_REFRESH);
				break;
			}
		}
	}
}
