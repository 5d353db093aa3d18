
# The same workload on two clusters, one with shared_preload_libraries =
# 'pg_readmodel' and one without.  Maintenance must be the same; what
# differs is the scope of queue_stats() (cluster-wide counters in shared
# memory, or this backend's) and CREATE TABLE tv_x AS SELECT ..., which
# declares a read model when preloaded and is refused, with a hint, when
# not; and readmodel.models' last applied commit, kept when preloaded.

use strict;
use warnings FATAL => 'all';
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use ReadModelTest;

# A fourth model, declared by CREATE TABLE AS where that is possible.
my $org_def = q{
    SELECT o.pk_org,
           jsonb_build_object('name', o.name,
                              'users', (SELECT count(*) FROM tb_user u
                                        WHERE u.fk_org = o.pk_org)) AS data
    FROM tb_org o};

# The workload: one statement per transaction, a multi-statement
# transaction, a savepoint rolled back, and a write from a second session.
sub workload
{
	my ($node) = @_;
	$node->safe_psql('postgres', q{
UPDATE tb_user SET name = 'user 1 (renamed)' WHERE pk_user = 1;
INSERT INTO tb_post VALUES (30, 6, 'first post of user 6', 0.10);
BEGIN;
UPDATE tb_post SET fk_user = 1 WHERE pk_post = 2;
INSERT INTO tb_comment VALUES (300, 30, 2, 'on post 30');
SAVEPOINT s;
DELETE FROM tb_comment WHERE fk_post = 1;
ROLLBACK TO SAVEPOINT s;
UPDATE tb_comment SET fk_post = 30 WHERE pk_comment = 4;
COMMIT;
});
	$node->safe_psql('postgres', q{
INSERT INTO tb_user VALUES (8, 3, 'user 8', NULL);
UPDATE tb_org SET name = 'globex (renamed)' WHERE pk_org = 2;
DELETE FROM tb_post WHERE pk_post = 12;
});
	return;
}

for my $preload (1, 0)
{
	my $tag = $preload ? 'preloaded' : 'not preloaded';
	my $node = rm_node($preload ? 'preloaded' : 'on_demand', preload => $preload);
	rm_create_schema($node);

	is($node->safe_psql('postgres', 'SELECT readmodel._is_preloaded()'),
		$preload ? 't' : 'f', "$tag: readmodel._is_preloaded()");
	is( $node->safe_psql('postgres', "SELECT readmodel.queue_stats()->>'scope'"),
		$preload ? 'cluster' : 'backend',
		"$tag: queue_stats()->>'scope'");
	is( $node->safe_psql('postgres',
			"SELECT message FROM readmodel.health_check() WHERE component = 'library'"),
		$preload
		? 'preloaded: cluster-wide statistics'
		: 'loaded on demand: per-backend statistics',
		"$tag: health_check() reports how the library is loaded");

	# CREATE TABLE tv_org AS ...
	my ($ret, $out, $err) = $node->psql('postgres', "CREATE TABLE tv_org AS $org_def",
		extra_params => [ '-v', 'VERBOSITY=verbose' ]);
	if ($preload)
	{
		is($ret, 0, "$tag: CREATE TABLE tv_org AS SELECT ... succeeds");
		is( $node->safe_psql('postgres',
				"SELECT key || '|' || mode FROM readmodel.models WHERE name = 'tv_org'::regclass"),
			'pk_org|commit', "$tag: it declared the read model tv_org");
	}
	else
	{
		isnt($ret, 0, "$tag: CREATE TABLE tv_org AS SELECT ... fails");
		like($err, qr/CREATE TABLE tv_org AS would create a plain table, not a read model/,
			"$tag: the error says why");
		like($err, qr/HINT:.*readmodel\.create\(\).*shared_preload_libraries.*ctas_prefix/,
			"$tag: the hint names readmodel.create(), preloading and ctas_prefix");
		is( $node->safe_psql('postgres',
				"SELECT count(*) FROM pg_class WHERE relname LIKE 'tv\\_org%'"),
			'0', "$tag: nothing is left behind");
		$node->safe_psql('postgres',
			"SELECT readmodel.create('tv_org', \$def\$$org_def\$def\$)");
		pass("$tag: readmodel.create() declares tv_org instead");
	}

	# The counters: in a new session, before it writes anything, the
	# cluster-wide counters include the other sessions' maintenance; a
	# backend's own start at zero.
	workload($node);
	my $stats = $node->safe_psql('postgres', q{
SELECT (s->>'scope') || '|' || ((s->>'models_refreshed')::bigint > 0) || '|' ||
       ((s->>'rows_written')::bigint > 0)
FROM readmodel.queue_stats() s});
	is($stats,
		$preload ? 'cluster|true|true' : 'backend|false|false',
		"$tag: a new session's queue_stats() "
		  . ($preload ? 'counts the maintenance of the other sessions' : 'counts its own only'));
	is( $node->safe_psql('postgres', q{
UPDATE tb_post SET title = 'counted' WHERE pk_post = 3;
SELECT (s->>'models_refreshed')::bigint > 0 FROM readmodel.queue_stats() s}),
		't', "$tag: a session's own maintenance is counted");

	is( $node->safe_psql('postgres', q{
SELECT (SELECT data->'author'->>'org' FROM tv_post WHERE pk_post = 2) || '|' ||
       (SELECT data->>'users' FROM tv_org WHERE pk_org = 3) || '|' ||
       (SELECT jsonb_array_length(data->'comments') FROM tv_post_thread WHERE pk_post = 30)}),
		'globex (renamed)|3|2', "$tag: the workload reached the read models");
	rm_check_models($node, 'postgres', $tag);
	is($node->safe_psql('postgres', "SELECT count(*) FROM readmodel.verify('tv_org')"),
		'0', "$tag: readmodel.verify('tv_org') returns no rows");
	is($node->safe_psql('postgres', rm_image_diff_sql('tv_org', $org_def)),
		'0', "$tag: tv_org equals its definition by binary image");

	# the last commit that applied a model's work: its time and the end of
	# its commit record, kept when preloaded
	my $before = $node->safe_psql('postgres', 'SELECT pg_current_wal_insert_lsn()');
	$node->safe_psql('postgres', "UPDATE tb_org SET name = 'last applied' WHERE pk_org = 3");
	my $after = $node->safe_psql('postgres', 'SELECT pg_current_wal_insert_lsn()');
	is( $node->safe_psql('postgres', qq{
SELECT last_applied_lsn > '$before' AND last_applied_lsn <= '$after'
       AND last_applied_at > now() - interval '1 min'
FROM readmodel.models WHERE name = 'tv_org'::regclass}),
		$preload ? 't' : '', "$tag: readmodel.models: "
		  . ($preload ? 'the last applied commit of tv_org is the update' : 'no last applied commit'));
	$node->safe_psql('postgres', 'CREATE ROLE outsider');
	is( $node->safe_psql('postgres',
			"SET ROLE outsider; SELECT at IS NULL AND lsn IS NULL FROM readmodel._last_applied('tv_org')"),
		't', "$tag: a role that may not read the model learns nothing of its commits");

	$node->stop;
}

done_testing();
