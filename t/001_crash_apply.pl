
# A backend killed with SIGKILL in the middle of read-model maintenance at
# COMMIT.  The postmaster then terminates every backend and recovers; the
# killed transaction must leave nothing behind, neither in its source tables
# nor in the read models it had already written, and every model must still
# equal its definition.
#
# How the COMMIT is held in the middle of apply: a second session row-locks
# a row of tv_post_thread with SELECT ... FOR UPDATE (a read: the write
# guard of read-model tables only refuses INSERT, UPDATE, DELETE and
# TRUNCATE).  Maintenance applies models of the same depth in relid order,
# so at COMMIT the writer first writes tv_post and tv_user, then waits for
# that row lock while recomputing tv_post_thread.

use strict;
use warnings FATAL => 'all';
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use ReadModelTest;

# PostgreSQL::Test::Cluster turns restart_after_crash off; this test needs
# the postmaster to reinitialize after the kill.
my $node = rm_node('crash_apply', conf => "restart_after_crash = on\n");
rm_create_schema($node);

rm_check_comparison($node);
rm_check_models($node, 'postgres', 'after setup');

# Committed work before the crash.
$node->safe_psql('postgres', q{
BEGIN;
UPDATE tb_user SET name = 'user 2 (committed)' WHERE pk_user = 2;
INSERT INTO tb_comment VALUES (500, 3, 2, 'committed before the crash');
COMMIT;
});
rm_check_models($node, 'postgres', 'committed before the crash');
# two more comments of user 2 fold into the state its first one computed
$node->safe_psql('postgres', q{
INSERT INTO tb_comment VALUES (501, 4, 2, 'folded');
INSERT INTO tb_comment VALUES (502, 5, 2, 'folded');
});
is($node->safe_psql('postgres', 'SELECT count(*) FROM tv_user_comments_state WHERE k = 2'),
	'1', 'the rollup has a state row for user 2 before the crash');

# The locker: a row lock on a read-model row.
my $locker = $node->background_psql('postgres');
is( $locker->query_safe(
		"SET application_name = 'row_locker'; BEGIN;\n"
		  . 'SELECT pk_post FROM tv_post_thread WHERE pk_post = 1 FOR UPDATE;'),
	'1',
	'SELECT ... FOR UPDATE on a read-model table is allowed');

# The writer: changes that reach all three models; post 1 gets a comment,
# so its tv_post_thread row must be rewritten at COMMIT.  One key per
# maintenance statement, so the apply of a model is several statements.
my $writer = $node->background_psql('postgres');
$writer->query_safe(q{
SET application_name = 'crash_writer';
SET readmodel.apply_chunk = 1;
BEGIN;
UPDATE tb_user SET name = 'user 1 (killed)' WHERE pk_user = 1;
UPDATE tb_post SET score = score + 0.25, title = title || ' (killed)' WHERE fk_user = 2;
INSERT INTO tb_comment VALUES (1000, 1, 3, 'killed with its transaction');
INSERT INTO tb_post VALUES (1000, 6, 'killed post', 1.00);
});
$writer->query_until(qr/committing/, "\\echo committing\nCOMMIT;\n");

my $pid = rm_wait_for_blocked_commit($node, 'postgres', 'crash_writer');
my $locker_pid = $node->safe_psql('postgres',
	"SELECT pid FROM pg_stat_activity WHERE application_name = 'row_locker'");
is( $node->safe_psql('postgres', "SELECT pg_blocking_pids($pid) = ARRAY[$locker_pid]"),
	't', 'the COMMIT waits for the session holding the read-model row lock');

# The writer is in the middle of maintenance: it has already rewritten rows
# of tv_post and tv_user (their visible versions carry its xid as xmax) and
# has not committed.
my $xid = $node->safe_psql('postgres',
	"SELECT backend_xid FROM pg_stat_activity WHERE pid = $pid");
for my $t ('tv_post', 'tv_user')
{
	cmp_ok($node->safe_psql('postgres',
			"SELECT count(*) FROM $t WHERE xmax = '$xid'::xid"),
		'>', 0, "before the kill, the blocked COMMIT has written rows of $t");
}
is( $node->safe_psql('postgres',
		"SELECT count(*) FROM tb_comment WHERE pk_comment = 1000"),
	'0', 'before the kill, its writes are not visible');

# Kill it.  The postmaster treats that as a crash: every backend goes,
# shared memory is reinitialized and the server recovers from WAL.
my $log_offset = -s $node->logfile;
ok(kill('KILL', $pid), "SIGKILL sent to the backend blocked in COMMIT ($pid)");
$node->wait_for_log(qr/server process \(PID $pid\) was terminated by signal 9/,
	$log_offset);
$node->wait_for_log(qr/all server processes terminated; reinitializing/,
	$log_offset);
$node->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()', 't')
  or die 'the server did not come back after the crash';
$node->wait_for_log(qr/database system is ready to accept connections/,
	$log_offset);
pass('the server recovered after the kill');

rm_end_session($writer);
rm_end_session($locker);

# Nothing of the killed transaction is left.
is( $node->safe_psql('postgres', q{
SELECT (SELECT name FROM tb_user WHERE pk_user = 1) || '|' ||
       (SELECT count(*) FROM tb_post WHERE title LIKE '%(killed)' OR pk_post = 1000) || '|' ||
       (SELECT count(*) FROM tb_comment WHERE pk_comment = 1000)}),
	'user 1|0|0', "the killed transaction's source writes are absent");
is( $node->safe_psql('postgres', q{
SELECT (SELECT count(*) FROM tv_post WHERE data::text LIKE '%killed%' OR pk_post = 1000) || '|' ||
       (SELECT count(*) FROM tv_user WHERE data::text LIKE '%killed%') || '|' ||
       (SELECT count(*) FROM tv_post_thread WHERE data::text LIKE '%killed%' OR pk_post = 1000)}),
	'0|0|0', "the killed transaction's read-model writes are absent");

# Everything committed before is there.
is( $node->safe_psql('postgres', q{
SELECT (SELECT data->'author'->>'name' FROM tv_post WHERE pk_post = 1) || '|' ||
       (SELECT data->'comments'->-1->>'body' FROM tv_post_thread WHERE pk_post = 3)}),
	'user 2 (committed)|committed before the crash',
	'the work committed before the crash is in the read models');
rm_check_models($node, 'postgres', 'after the crash');
# the rollup's state is unlogged: recovery empties it, and it is computed
# again on the next change
is($node->safe_psql('postgres', 'SELECT count(*) FROM tv_user_comments_state'),
	'0', 'crash recovery empties the rollup state (an unlogged cache)');

# Writes after recovery, to the same keys the killed transaction had
# locked, are maintained (its key locks died with it).
$node->safe_psql('postgres', q{
BEGIN;
UPDATE tb_user SET name = 'user 1 (after)' WHERE pk_user = 1;
UPDATE tb_post SET score = score + 0.25 WHERE fk_user = 2;
INSERT INTO tb_comment VALUES (1001, 1, 3, 'after the crash');
COMMIT;
DELETE FROM tb_comment WHERE pk_comment = 10;
UPDATE tb_comment SET fk_post = 2 WHERE pk_comment = 20;
});
is( $node->safe_psql('postgres',
		"SELECT data->'comments'->-1->>'body' FROM tv_post_thread WHERE pk_post = 1"),
	'after the crash', 'a write after recovery reaches the read model');
rm_check_models($node, 'postgres', 'after writes following the crash');
$node->safe_psql('postgres', q{
INSERT INTO tb_comment VALUES (1002, 2, 2, 'cold state');
INSERT INTO tb_comment VALUES (1003, 3, 2, 'warm state');
});
is($node->safe_psql('postgres', 'SELECT count(*) FROM tv_user_comments_state WHERE k = 2'),
	'1', 'the state of user 2 is computed again after the crash');
rm_check_models($node, 'postgres', 'after folds following the crash');

$node->stop;
done_testing();
