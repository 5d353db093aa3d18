
# Two-phase commit.  Maintenance runs at PREPARE TRANSACTION, so a prepared
# transaction holds its read-model rows (written, not yet visible) and its
# key locks; both must survive a restart with the transaction still
# prepared.  Then COMMIT PREPARED makes its rows visible, ROLLBACK PREPARED
# discards another's, and every model equals its definition.
#
# The two prepared transactions touch disjoint keys of every model, so the
# second PREPARE does not wait for the first's key locks.
#   rm_a: post 1's title (tv_post 1, tv_post_thread 1), a comment on post 2
#         (tv_post_thread 2), a new user 7 (tv_user 7)
#   rm_b: post 3's score (tv_post 3, tv_user 4), a new post 13 of user 6
#         (tv_post 13, tv_user 6, tv_post_thread 13), a deleted comment of
#         post 4 (tv_post_thread 4)

use strict;
use warnings FATAL => 'all';
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use ReadModelTest;

my $node = rm_node('twophase');    # max_prepared_transactions = 5
rm_create_schema($node);
rm_check_models($node, 'postgres', 'after setup');

my $before = $node->safe_psql('postgres', q{
SELECT (SELECT data->>'title' FROM tv_post WHERE pk_post = 1) || '|' ||
       (SELECT data->>'score' FROM tv_post WHERE pk_post = 3)});

my $a = $node->background_psql('postgres');
$a->query_safe(q{
BEGIN;
UPDATE tb_post SET title = 'prepared and committed' WHERE pk_post = 1;
INSERT INTO tb_comment VALUES (100, 2, 5, 'prepared and committed');
INSERT INTO tb_user VALUES (7, 1, 'user 7 (prepared)', NULL);
});
cmp_ok($a->query_safe('SELECT count(*) FROM readmodel.debug_queue()'),
	'>', 0, 'rm_a: keys are queued before PREPARE');
$a->query_safe("PREPARE TRANSACTION 'rm_a'");
is($a->query_safe('SELECT count(*) FROM readmodel.debug_queue()'),
	'0', 'rm_a: PREPARE TRANSACTION applied the queue');
is( $a->query_safe(
		"SELECT status || ' ' || message FROM readmodel.health_check() WHERE component = 'queue'"),
	'ok empty', 'rm_a: the session is clean after PREPARE');

my $b = $node->background_psql('postgres');
$b->query_safe(q{
BEGIN;
UPDATE tb_post SET score = 77.77 WHERE pk_post = 3;
INSERT INTO tb_post VALUES (13, 6, 'prepared and rolled back', 1.00);
DELETE FROM tb_comment WHERE pk_comment = 3;
PREPARE TRANSACTION 'rm_b';
});
is( $node->safe_psql('postgres', 'SELECT string_agg(gid, \',\' ORDER BY gid) FROM pg_prepared_xacts'),
	'rm_a,rm_b', 'both transactions are prepared');

# Maintenance ran at PREPARE: the read-model rows each prepared transaction
# would change carry its xid as xmax, and are not visible yet.
my $xids_sql = q{
SELECT string_agg(g, ',' ORDER BY g) FROM (
    SELECT 'a:' || count(*) FILTER (WHERE x.xmax = (SELECT transaction FROM pg_prepared_xacts WHERE gid = 'rm_a'))
           || ',b:' || count(*) FILTER (WHERE x.xmax = (SELECT transaction FROM pg_prepared_xacts WHERE gid = 'rm_b')) AS g
    FROM (SELECT xmax FROM tv_post WHERE pk_post IN (1, 3)
          UNION ALL SELECT xmax FROM tv_post_thread WHERE pk_post IN (1, 2, 4)
          UNION ALL SELECT xmax FROM tv_user WHERE pk_user IN (4, 6)) x) s};
is($node->safe_psql('postgres', $xids_sql),
	'a:3,b:4', 'PREPARE TRANSACTION wrote the read-model rows of both');
is( $node->safe_psql('postgres', q{
SELECT (SELECT data->>'title' FROM tv_post WHERE pk_post = 1) || '|' ||
       (SELECT data->>'score' FROM tv_post WHERE pk_post = 3)}),
	$before, 'the prepared rows are not visible');
rm_check_models($node, 'postgres', 'while prepared');

$a->quit;
$b->quit;

# Restart with both still prepared.
$node->restart;
is( $node->safe_psql('postgres', 'SELECT string_agg(gid, \',\' ORDER BY gid) FROM pg_prepared_xacts'),
	'rm_a,rm_b', 'after the restart both transactions are still prepared');
is($node->safe_psql('postgres', $xids_sql),
	'a:3,b:4', 'after the restart their read-model rows are still theirs');
rm_check_models($node, 'postgres', 'prepared, after the restart');

# The key locks came back with the prepared transaction: a new transaction
# that adds a comment to post 1 (no conflict on any source row: rm_a
# changed a non-key column of tb_post 1) waits at COMMIT for rm_a's key
# lock on (tv_post_thread, 1), and then recomputes the row with rm_a's
# title.  Without the lock it would compute the row from a snapshot without
# rm_a's change and write it over rm_a's row once rm_a commits.
my $c = $node->background_psql('postgres');
$c->query_safe(q{
SET application_name = 'after_restart';
BEGIN;
INSERT INTO tb_comment VALUES (101, 1, 2, 'waited for rm_a');
});
$c->query_until(qr/committing/, "\\echo committing\nCOMMIT;\n");
my $pid = rm_wait_for_blocked_commit($node, 'postgres', 'after_restart');
is( $node->safe_psql('postgres',
		"SELECT wait_event FROM pg_stat_activity WHERE pid = $pid"),
	'advisory', "a COMMIT touching rm_a's key waits for rm_a's recovered key lock");

$node->safe_psql('postgres', "COMMIT PREPARED 'rm_a'");
$c->query_safe('SELECT 1');    # its COMMIT has returned
$c->quit;
$node->safe_psql('postgres', "ROLLBACK PREPARED 'rm_b'");
is($node->safe_psql('postgres', 'SELECT count(*) FROM pg_prepared_xacts'),
	'0', 'no prepared transaction left');

is( $node->safe_psql('postgres', q{
SELECT (SELECT data->>'title' FROM tv_post WHERE pk_post = 1) || '|' ||
       (SELECT data->>'title' || ':' || (data->'comments'->-1->>'body') FROM tv_post_thread WHERE pk_post = 1) || '|' ||
       (SELECT data->'comments'->-1->>'body' FROM tv_post_thread WHERE pk_post = 2) || '|' ||
       (SELECT data->>'name' FROM tv_user WHERE pk_user = 7)}),
	'prepared and committed|prepared and committed:waited for rm_a|prepared and committed|user 7 (prepared)',
	"COMMIT PREPARED: rm_a's rows are visible, and the waiting transaction's are on top");
is( $node->safe_psql('postgres', q{
SELECT (SELECT data->>'score' FROM tv_post WHERE pk_post = 3) || '|' ||
       (SELECT count(*) FROM tv_post WHERE pk_post = 13) || '|' ||
       (SELECT count(*) FROM tv_post_thread WHERE data @> '{"comments": [{"pk": 3}]}')}),
	'3.75|0|1', "ROLLBACK PREPARED: rm_b's rows are gone");
rm_check_models($node, 'postgres', 'after COMMIT PREPARED and ROLLBACK PREPARED');

# Two-phase again after all that, with a write that the other side reads.
$node->safe_psql('postgres', q{
BEGIN;
UPDATE tb_user SET name = 'user 2 (2pc)' WHERE pk_user = 2;
PREPARE TRANSACTION 'rm_c';
COMMIT PREPARED 'rm_c';
});
is( $node->safe_psql('postgres',
		"SELECT data->'author'->>'name' FROM tv_post WHERE pk_post = 1"),
	'user 2 (2pc)', 'a later PREPARE / COMMIT PREPARED is maintained');
rm_check_models($node, 'postgres', 'after a second two-phase commit');

$node->stop;
done_testing();
