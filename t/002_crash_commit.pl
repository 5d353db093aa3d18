
# The whole server stopped with mode immediate (no shutdown checkpoint: the
# next start is crash recovery) while a COMMIT is blocked inside read-model
# maintenance.  After the restart, the work committed before is there (the
# read-model rows of it are redone from WAL), the interrupted transaction
# left nothing, every model equals its definition, and writes after the
# restart are maintained.
#
# How the COMMIT is held in apply: through the engine's own key lock.  A
# second session writes a comment of post 2 and calls readmodel.flush(),
# which applies its queued keys now and keeps the key lock on
# (tv_post_thread, 2) until that session ends.  The writer's COMMIT then
# writes tv_post and tv_user and waits for that key lock.

use strict;
use warnings FATAL => 'all';
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use ReadModelTest;

my $node = rm_node('crash_commit');
rm_create_schema($node);
rm_check_models($node, 'postgres', 'after setup');

# Committed after the last checkpoint: recovery must redo these model rows.
$node->safe_psql('postgres', 'CHECKPOINT');
$node->safe_psql('postgres', q{
BEGIN;
UPDATE tb_org SET name = 'acme (committed)' WHERE pk_org = 1;
UPDATE tb_post SET score = 99.99 WHERE pk_post = 4;
INSERT INTO tb_comment VALUES (500, 2, 1, 'committed before the crash');
COMMIT;
DELETE FROM tb_comment WHERE pk_comment = 5;
});
rm_check_models($node, 'postgres', 'committed before the crash');
my $committed_sql = q{
SELECT (SELECT count(*) FROM tv_post WHERE data->'author'->>'org' = 'acme (committed)') || '|' ||
       (SELECT data->>'score' FROM tv_user WHERE pk_user = (SELECT fk_user FROM tb_post WHERE pk_post = 4)) || '|' ||
       (SELECT data->'comments'->-1->>'body' FROM tv_post_thread WHERE pk_post = 2) || '|' ||
       (SELECT count(*) FROM tv_post_thread WHERE data @> '{"comments": [{"pk": 5}]}')};
my $committed = $node->safe_psql('postgres', $committed_sql);
like($committed, qr/^[1-9]\d*\|\d+\.\d\d\|committed before the crash\|0$/,
	'the committed work is in the read models');

# The key-lock holder: its flush has written tv_post_thread row 2, and it
# stays in its transaction.
my $holder = $node->background_psql('postgres');
$holder->query_safe(q{
SET application_name = 'key_holder';
BEGIN;
INSERT INTO tb_comment VALUES (600, 2, 4, 'flushed, never committed');
});
cmp_ok($holder->query_safe('SELECT readmodel.flush()'),
	'>', 0, 'readmodel.flush() applies the holder\'s keys before commit');

my $writer = $node->background_psql('postgres');
$writer->query_safe(q{
SET application_name = 'crash_writer';
BEGIN;
UPDATE tb_user SET email = 'interrupted@example.test' WHERE pk_user = 3;
UPDATE tb_post SET title = 'interrupted ' || pk_post WHERE pk_post IN (2, 7);
INSERT INTO tb_post VALUES (700, 6, 'interrupted post', 7.00);
});
$writer->query_until(qr/committing/, "\\echo committing\nCOMMIT;\n");
my $pid = rm_wait_for_blocked_commit($node, 'postgres', 'crash_writer');
is( $node->safe_psql('postgres',
		"SELECT wait_event FROM pg_stat_activity WHERE pid = $pid"),
	'advisory',
	'the COMMIT waits for the read-model key lock (an advisory lock)');
is( $node->safe_psql('postgres', qq{
SELECT pg_blocking_pids($pid) =
       ARRAY(SELECT pid FROM pg_stat_activity WHERE application_name = 'key_holder')}),
	't', 'it waits for the session that flushed the same key');
my $xid = $node->safe_psql('postgres',
	"SELECT backend_xid FROM pg_stat_activity WHERE pid = $pid");
cmp_ok($node->safe_psql('postgres',
		"SELECT count(*) FROM tv_post WHERE xmax = '$xid'::xid"),
	'>', 0, 'before the stop, the blocked COMMIT has rewritten rows of tv_post');

# Stop the server, no checkpoint.
$node->stop('immediate');
rm_end_session($writer);
rm_end_session($holder);
$node->start;
pass('the server restarted after the immediate stop');
ok($node->log_contains(qr/database system was interrupted|was not properly shut down/),
	'the restart was a crash recovery');

is($node->safe_psql('postgres', $committed_sql),
	$committed, 'after the restart the committed work is in the read models');
is( $node->safe_psql('postgres', q{
SELECT (SELECT count(*) FROM tb_post WHERE title LIKE 'interrupted%' OR pk_post = 700) || '|' ||
       (SELECT count(*) FROM tb_user WHERE email LIKE 'interrupted%') || '|' ||
       (SELECT count(*) FROM tb_comment WHERE pk_comment = 600) || '|' ||
       (SELECT count(*) FROM tv_post WHERE data::text ~ 'interrupted|never committed' OR pk_post = 700) || '|' ||
       (SELECT count(*) FROM tv_post_thread WHERE data::text ~ 'interrupted|never committed' OR pk_post = 700) || '|' ||
       (SELECT count(*) FROM tv_user WHERE data::text ~ 'interrupted')}),
	'0|0|0|0|0|0',
	'the interrupted transactions left nothing in sources or read models');
rm_check_models($node, 'postgres', 'after the restart');

# Writes after the restart, on the keys that were locked.
$node->safe_psql('postgres', q{
INSERT INTO tb_comment VALUES (601, 2, 4, 'after the restart');
BEGIN;
UPDATE tb_user SET email = 'after@example.test' WHERE pk_user = 3;
UPDATE tb_post SET title = 'after ' || pk_post WHERE pk_post IN (2, 7);
INSERT INTO tb_post VALUES (701, 6, 'after post', 7.00);
COMMIT;
UPDATE tb_post SET fk_user = 1 WHERE pk_post = 701;
});
is( $node->safe_psql('postgres', q{
SELECT (SELECT data->'comments'->-1->>'body' FROM tv_post_thread WHERE pk_post = 2) || '|' ||
       (SELECT data->>'title' FROM tv_post WHERE pk_post = 7) || '|' ||
       (SELECT data->'author'->>'name' FROM tv_post WHERE pk_post = 701)}),
	'after the restart|after 7|user 1',
	'writes after the restart reach the read models');
rm_check_models($node, 'postgres', 'after writes following the restart');

$node->stop;
done_testing();
