/*-------------------------------------------------------------------------
 *
 * maintainable.c
 *	  The checks that a model can be maintained exactly (see
 *	  maintainable.h).  Each raises an error naming the cause; the model
 *	  cache keeps the message as the reason the model is not maintained.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "catalog/pg_subscription.h"
#include "catalog/pg_subscription_rel.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/syscache.h"

#include "catalog.h"
#include "maintainable.h"
#include "partitions.h"
#include "triggers.h"
#include "versioning.h"
#include "util.h"

/* Definition view and table must belong to the same role. */
static void
check_owners(ReadModel *model)
{
	Oid			view_owner = readmodel_relation_owner(model->viewid);

	if (view_owner != model->owner)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("definition view %s belongs to role %s, but read model %s belongs to %s",
						model->view_qualname, GetUserNameFromId(view_owner, false),
						model->qualname, GetUserNameFromId(model->owner, false))));
}

/*
 * The tables a view reads, the current user (the owner) must be able to
 * read as well: routes and patches read them directly, not through the
 * view.
 */
static List *
read_as_current_user(List *range_tables)
{
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, range_tables)
	{
		RangeTblEntry *rte = lfirst(lc);

		if (rte->relkind != RELKIND_VIEW && OidIsValid(rte->checkAsUser))
		{
			rte = copyObject(rte);
			rte->checkAsUser = InvalidOid;
			result = lappend(result, rte);
		}
	}
	return result;
}

/* At declaration: errors as for a query the declaring user runs. */
void
readmodel_check_owner_reads(ModelAnalysis *analysis)
{
	ExecCheckRTPerms(analysis->range_tables, true);
	ExecCheckRTPerms(read_as_current_user(analysis->range_tables), true);
}

/* The owner reads every source (columns too) and writes the model table. */
static void
check_privileges(ReadModel *model)
{
	List	   *rtes = list_concat(list_copy(model->analysis->range_tables),
								   read_as_current_user(model->analysis->range_tables));
	ListCell   *lc;

	foreach(lc, rtes)
	{
		RangeTblEntry *rte = lfirst(lc);

		if (!ExecCheckRTPerms(list_make1(rte), false))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("role %s may no longer read table %s (or a column of it that read model %s reads)",
							GetUserNameFromId(model->owner, false),
							readmodel_relation_name(rte->relid), model->qualname)));
	}
	if (pg_class_aclcheck(model->relid, model->owner,
						  ACL_SELECT | ACL_INSERT | ACL_UPDATE | ACL_DELETE) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("role %s may no longer read and write its read model table %s",
						GetUserNameFromId(model->owner, false), model->qualname)));
	/* else every write to a source would fail at "permission denied" */
	foreach(lc, model->analysis->functions)
		if (pg_proc_aclcheck(lfirst_oid(lc), model->owner, ACL_EXECUTE) != ACLCHECK_OK)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("role %s may no longer execute function %s(), which read model %s calls",
							GetUserNameFromId(model->owner, false),
							get_func_name(lfirst_oid(lc)), model->qualname)));
}

/*
 * Maintenance reads without FORCE ROW LEVEL SECURITY (the sandbox, like a
 * foreign-key check), so a forced policy that applies to `reader` as the
 * table's owner outside it would be bypassed: refused.
 */
static void
check_forced_row_security(Oid relid, Oid reader, const char *qualname)
{
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Form_pg_class form;
	bool		forced;

	if (!HeapTupleIsValid(tuple))
		return;
	form = (Form_pg_class) GETSTRUCT(tuple);
	forced = form->relrowsecurity && form->relforcerowsecurity &&
		has_privs_of_role(reader, form->relowner) &&
		!has_bypassrls_privilege(reader) && !superuser_arg(reader);
	ReleaseSysCache(tuple);
	if (forced)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("row-level security of table %s is forced on its owner, and role %s reads it for read model %s",
						readmodel_relation_name(relid), GetUserNameFromId(reader, false), qualname),
				 errdetail("Maintenance reads as foreign-key checks do, without FORCE ROW LEVEL SECURITY, so the model would hold rows its definition hides."),
				 errhint("Use ALTER TABLE ... NO FORCE ROW LEVEL SECURITY, or read the table as a role the policies do not apply to.")));
}

/*
 * Maintenance must see every row whoever triggers it: no policy may apply
 * to the owner, or to the owner of a view it reads the table through
 * (called in the owner's sandbox).
 */
void
readmodel_check_row_security(ModelAnalysis *analysis, Oid owner,
							 const char *qualname)
{
	ListCell   *lc;

	foreach(lc, analysis->range_tables)
	{
		RangeTblEntry *rte = lfirst(lc);
		/* a view's tables are read as its owner, and directly as ours */
		Oid			reader = OidIsValid(rte->checkAsUser) ? rte->checkAsUser : owner;

		if (rte->relkind == RELKIND_VIEW)
			continue;
		check_forced_row_security(rte->relid, reader, qualname);
		check_forced_row_security(rte->relid, owner, qualname);
		if (check_enable_rls(rte->relid, owner, true) == RLS_ENABLED)
			reader = owner;
		else if (check_enable_rls(rte->relid, reader, true) != RLS_ENABLED)
			continue;
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("row-level security policies of table %s apply to role %s, %s read model %s",
						readmodel_relation_name(rte->relid),
						GetUserNameFromId(reader, false),
						reader == owner ? "the owner of" :
						"which reads it through a view for", qualname),
				 errdetail("The model's content would depend on the session that maintains it."),
				 reader == owner ?
				 errhint("Declare the model as the table's owner or as a role with BYPASSRLS, or disable row-level security on the table.") :
				 errhint("Have the view owned by the table's owner or by a role with BYPASSRLS, or disable row-level security on the table.")));
	}
}

/* Is `relid` written by a logical-replication subscription? */
static bool
is_subscription_target(Oid relid)
{
	Relation	rel = table_open(SubscriptionRelRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	bool		found;

	ScanKeyInit(&key, Anum_pg_subscription_rel_srrelid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(relid));
	scan = systable_beginscan(rel, SubscriptionRelSrrelidSrsubidIndexId, true,
							  NULL, 1, &key);
	found = HeapTupleIsValid(systable_getnext(scan));
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

static bool
fires_on_replica(Trigger *trig)
{
	return trig != NULL && (trig->tgenabled == TRIGGER_FIRES_ALWAYS ||
							trig->tgenabled == TRIGGER_FIRES_ON_REPLICA);
}

/*
 * A logical-replication subscription's apply worker fires row triggers
 * only, those enabled for replica: a table it writes needs the capture row
 * triggers and a TRUNCATE trigger that fires always (option replicated).
 */
static void
check_replica_triggers(ReadModel *model, Relation rel, Oid capture)
{
	bool		ok = fires_on_replica(readmodel_find_capture_trigger(rel, READMODEL_CAPTURE_EVENTS - 1,
																  capture));
	int			e;

	for (e = 0; e < READMODEL_ROW_EVENTS; e++)
		ok &= fires_on_replica(readmodel_find_row_trigger(rel, e, capture));
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("table %s is written by a logical-replication subscription, whose changes do not fire the capture triggers of read model %s",
						RelationGetRelationName(rel), model->qualname),
				 errhint("Declare the model with the option {\"replicated\": true} (for a declared one, with {\"replace\": true, \"replicated\": true}), or declare it on the publisher.")));
}

/* The four capture triggers exist and fire for every change of `relid`. */
static void
check_capture_triggers(ReadModel *model, Oid relid, Oid capture)
{
	Relation	rel = relation_open(relid, AccessShareLock);
	int			e;

	if (is_subscription_target(relid))
		check_replica_triggers(model, rel, capture);
	for (e = 0; e < READMODEL_CAPTURE_EVENTS; e++)
	{
		Trigger    *trig = readmodel_find_capture_trigger(rel, e, capture);
		const char *problem = "missing";

		if (trig != NULL)
			problem = (trig->tgenabled == TRIGGER_FIRES_ALWAYS ||
					   trig->tgenabled == TRIGGER_FIRES_ON_ORIGIN) ? NULL : "disabled";
		if (problem != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("capture trigger %s on table %s is %s, so read model %s misses changes",
							readmodel_capture_trigger_name(e), RelationGetRelationName(rel),
							problem, model->qualname)));
	}
	relation_close(rel, AccessShareLock);
}

static bool
same_column(Form_pg_attribute a, TupleDesc desc)
{
	int			j;

	for (j = 0; j < desc->natts; j++)
	{
		Form_pg_attribute b = TupleDescAttr(desc, j);

		if (!b->attisdropped && strcmp(NameStr(a->attname), NameStr(b->attname)) == 0)
			return a->atttypid == b->atttypid && a->atttypmod == b->atttypmod;
	}
	return false;
}

/* The table has exactly the definition's columns, of the same types. */
static void
check_table_shape(ReadModel *model)
{
	Relation	rel = relation_open(model->relid, AccessShareLock);
	Relation	view = relation_open(model->viewid, AccessShareLock);
	TupleDesc	tdesc = RelationGetDescr(rel);
	TupleDesc	vdesc = RelationGetDescr(view);
	int			tcols = 0;
	int			vcols = 0;
	int			i;
	bool		ok = true;

	for (i = 0; i < tdesc->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(tdesc, i);

		if (attr->attisdropped ||
			(model->versioned && readmodel_is_version_column(NameStr(attr->attname))))
			continue;
		tcols++;
		ok &= same_column(attr, vdesc);
	}
	for (i = 0; i < vdesc->natts; i++)
		vcols += !TupleDescAttr(vdesc, i)->attisdropped;
	relation_close(view, AccessShareLock);
	relation_close(rel, AccessShareLock);
	if (!ok || tcols != vcols)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the columns of read model table %s no longer match its definition",
						model->qualname)));
}

/*
 * Everything maintenance needs; without `triggers`, everything a rebuild
 * needs (a model whose changes are not captured can still be rebuilt).
 */
void
readmodel_check_maintainable(ReadModel *model, bool triggers)
{
	Oid			capture = readmodel_capture_function();
	ListCell   *lc;

	check_owners(model);
	check_table_shape(model);
	check_privileges(model);
	readmodel_check_row_security(model->analysis, model->owner, model->qualname);
	if (!triggers)
		return;
	foreach(lc, model->analysis->sources)
	{
		Oid			relid = ((ModelSource *) lfirst(lc))->relid;
		ListCell   *lm;

		check_capture_triggers(model, relid, capture);
		foreach(lm, readmodel_partition_members(relid))
			check_capture_triggers(model, lfirst_oid(lm), capture);
	}
}
