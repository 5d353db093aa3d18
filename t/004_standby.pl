
# A streaming hot standby of a primary with read models.  The tv_ tables
# are ordinary WAL-logged tables, so after catch-up the standby must hold
# the primary's rows byte for byte; and a standby user must be able to use
# the read side: read the models, list them, run verify(), health_check()
# and the other read-only functions.  Writes are refused there.  Finally
# the standby is promoted and maintains the models itself.

use strict;
use warnings FATAL => 'all';
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use ReadModelTest;

my $primary = rm_node('primary', allows_streaming => 1);
rm_create_schema($primary);
$primary->safe_psql('postgres', 'CREATE EXTENSION pageinspect');

$primary->backup('base');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'base', has_streaming => 1);
$standby->start;

# Writes on the primary after the base backup: they reach the standby only
# by streaming.
$primary->safe_psql('postgres', q{
BEGIN;
UPDATE tb_org SET name = 'acme (streamed)' WHERE pk_org = 1;
INSERT INTO tb_post VALUES (20, 6, 'streamed post', 2.50);
INSERT INTO tb_comment VALUES (200, 20, 1, 'streamed comment');
COMMIT;
UPDATE tb_post SET fk_user = 3 WHERE pk_post = 1;
DELETE FROM tb_comment WHERE pk_comment IN (1, 2);
UPDATE tb_post SET score = NULL WHERE pk_post = 5;
-- a document too large to stay in the row: stored in tv_post_thread's TOAST table
UPDATE tb_comment SET body = (SELECT string_agg(md5(i::text), ' ') FROM generate_series(1, 300) i)
WHERE pk_comment = 7;
});
rm_check_models($primary, 'postgres', 'primary');
$primary->wait_for_catchup($standby);

is($standby->safe_psql('postgres', 'SELECT pg_is_in_recovery()'),
	't', 'the standby is in recovery');
for my $name (rm_model_names())
{
	my $sql = rm_table_image_sql($name);
	my $on_primary = $primary->safe_psql('postgres', $sql);
	like($on_primary, qr/^[1-9]\d*\|[0-9a-f]{32}$/,
		"$name on the primary: rows and image digest");
	is($standby->safe_psql('postgres', $sql),
		$on_primary, "$name: the standby's rows equal the primary's by binary image");
}
cmp_ok($primary->safe_psql('postgres',
		"SELECT pg_relation_size(reltoastrelid) FROM pg_class WHERE oid = 'tv_post_thread'::regclass"),
	'>', 0, 'the long comment made a document stored out of line (compared detoasted)');

# What a standby user can do.
for my $m (rm_models())
{
	is($standby->safe_psql('postgres', rm_image_diff_sql($m->{name}, $m->{def})),
		'0', "standby: $m->{name} equals its definition by binary image");
}
is( $standby->safe_psql('postgres', q{
SELECT (SELECT data->'author'->>'org' FROM tv_post WHERE pk_post = 20) || '|' ||
       (SELECT data->'comments'->0->>'body' FROM tv_post_thread WHERE pk_post = 20) || '|' ||
       (SELECT data->>'post_count' FROM tv_user WHERE pk_user = 6)}),
	'acme (streamed)|streamed comment|1',
	'standby: the read models show the streamed writes');

for my $name (rm_model_names())
{
	my ($ret, $out, $err) = $standby->psql('postgres',
		"SELECT count(*) FROM readmodel.verify('$name')");
	is("$ret|$out|$err", "0|0|",
		"standby: readmodel.verify('$name') runs read-only and returns no rows");
}

is( $standby->safe_psql('postgres',
		"SELECT string_agg(name::text || ':' || key || ':' || mode || ':' || row_count, ',' ORDER BY name::text)
		 FROM readmodel.models"),
	$primary->safe_psql('postgres',
		"SELECT string_agg(name::text || ':' || key || ':' || mode || ':' || row_count, ',' ORDER BY name::text)
		 FROM readmodel.models"),
	'standby: readmodel.models lists the models with their row counts');
is( $standby->safe_psql('postgres',
		"SELECT count(*) FILTER (WHERE status <> 'ok') || '|' || count(*) FROM readmodel.health_check()"),
	'0|6', 'standby: health_check() runs and reports nothing but ok');
is( $standby->safe_psql('postgres', "SELECT readmodel.queue_stats()->>'scope'"),
	'backend', 'standby: queue_stats() runs');
cmp_ok($standby->safe_psql('postgres',
		"SELECT count(*) FROM readmodel.explain('tv_post')"),
	'>', 0, 'standby: explain() runs');
like($standby->safe_psql('postgres', 'SELECT readmodel.graph()'),
	qr/tv_post_thread/, 'standby: graph() runs');
is($standby->safe_psql('postgres', 'SELECT count(*) FROM readmodel.debug_queue()'),
	'0', 'standby: debug_queue() runs');

# Writes are refused, of sources and of read models, and so are the
# functions that write.
for my $case (
	[ 'a source write', "UPDATE tb_post SET title = 'x' WHERE pk_post = 2" ],
	[ 'a read-model write', "DELETE FROM tv_post WHERE pk_post = 2" ],
	[ 'readmodel.refresh()', "SELECT readmodel.refresh('tv_post')" ],
	[ 'readmodel.create()',
		"SELECT readmodel.create('tv_org', 'SELECT o.pk_org, o.name FROM tb_org o')" ],)
{
	my ($ret, $out, $err) = $standby->psql('postgres', $case->[1]);
	like($err, qr/read-only transaction|during recovery/,
		"standby: $case->[0] is refused as a write");
}

# More writes on the primary while the standby has a session open, then
# promotion: the promoted standby maintains the models itself.
$primary->safe_psql('postgres', q{
UPDATE tb_user SET name = 'user 3 (before promotion)' WHERE pk_user = 3;
});
$primary->wait_for_catchup($standby);
is( $standby->safe_psql('postgres',
		"SELECT data->'author'->>'name' FROM tv_post WHERE pk_post = 1"),
	'user 3 (before promotion)', 'standby: a later write is streamed');
$primary->stop;
$standby->promote;
is($standby->safe_psql('postgres', 'SELECT pg_is_in_recovery()'),
	'f', 'the standby is promoted');
$standby->safe_psql('postgres', q{
BEGIN;
UPDATE tb_user SET name = 'user 3 (promoted)' WHERE pk_user = 3;
INSERT INTO tb_comment VALUES (300, 1, 6, 'on the promoted standby');
COMMIT;
DELETE FROM tb_post WHERE pk_post = 20;
});
is( $standby->safe_psql('postgres', q{
SELECT (SELECT data->'author'->>'name' FROM tv_post WHERE pk_post = 1) || '|' ||
       (SELECT data->'comments'->-1->>'body' FROM tv_post_thread WHERE pk_post = 1) || '|' ||
       (SELECT count(*) FROM tv_post WHERE pk_post = 20)}),
	'user 3 (promoted)|on the promoted standby|0',
	'promoted: writes are maintained');
rm_check_models($standby, 'postgres', 'promoted');

$standby->stop;
done_testing();
