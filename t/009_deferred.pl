
# Mode deferred (issue 12): writers record the keys they changed in
# readmodel.deferred_queue in their own transaction; the background worker
# of each listed database applies committed rows and deletes them in one
# transaction.  Checked here: the model is exact once readmodel.wait()
# returns, for single writes, a burst of transactions, a rebuild (TRUNCATE),
# a cascade to a commit-mode model, a composite key, suspend and resume,
# two databases; after the worker is
# killed (the postmaster restarts every backend: crash recovery) with keys
# queued, and after a clean restart with keys queued; and the refusal
# where no worker runs.

use strict;
use warnings FATAL => 'all';
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use ReadModelTest;

my $node = rm_node('deferred', preload => 1,
	conf => "readmodel.deferred_databases = 'postgres, second'\n"
	  . "readmodel.deferred_naptime = 20\n"
	  . "restart_after_crash = on\n");
$node->safe_psql('postgres', 'CREATE DATABASE second');
$node->safe_psql('postgres', 'CREATE DATABASE unlisted');

my $schema = q{
CREATE EXTENSION pg_readmodel;
CREATE TABLE tb_user (pk_user int PRIMARY KEY, name text NOT NULL);
CREATE TABLE tb_post (pk_post int PRIMARY KEY, fk_user int NOT NULL REFERENCES tb_user,
                      title text NOT NULL);
CREATE INDEX ON tb_post (fk_user);
INSERT INTO tb_user SELECT g, 'user ' || g FROM generate_series(1, 20) g;
INSERT INTO tb_post SELECT g, 1 + g % 20, 'post ' || g FROM generate_series(1, 200) g;
SELECT readmodel.create('tv_post', $$
    SELECT p.pk_post, p.fk_user, jsonb_build_object('title', p.title, 'author', u.name) AS data
    FROM tb_post p JOIN tb_user u ON u.pk_user = p.fk_user
$$, '{"mode": "deferred"}');
-- lag limits for health_check()
SELECT readmodel.create('tv_user_lag', $$ SELECT u.pk_user, u.name FROM tb_user u $$,
                        '{"mode": "deferred", "expected_lag": "1 ms", "max_lag": "1 h"}');
-- a composite key, with titles that need quoting as a record
SELECT readmodel.create('tv_title_count', $$
    SELECT p.fk_user, p.title, count(*) AS n FROM tb_post p GROUP BY p.fk_user, p.title
$$, '{"mode": "deferred", "key": ["fk_user", "title"]}');
-- a commit-mode model reading the deferred one: the worker's apply cascades
SELECT readmodel.create('tv_user_posts', $$
    SELECT p.fk_user, count(*) AS posts, max(p.data->>'author') AS author
    FROM tv_post p WHERE p.fk_user IS NOT NULL GROUP BY p.fk_user
$$);
};
$node->safe_psql($_, $schema) for ('postgres', 'second');

sub exact
{
	my ($db, $label) = @_;
	is($node->safe_psql($db, "SELECT readmodel.wait('tv_post', '30 s')"), 't',
		"$label: wait() returns true");
	is($node->safe_psql($db,
			"SELECT readmodel.wait('tv_title_count', '30 s')"), 't',
		"$label: wait() returns true for the composite key");
	is($node->safe_psql($db,
			"SELECT (SELECT count(*) FROM readmodel.verify('tv_post')) + "
			  . "(SELECT count(*) FROM readmodel.verify('tv_title_count')) + "
			  . "(SELECT count(*) FROM readmodel.verify('tv_user_posts'))"),
		'0', "$label: the models are exact");
}

# single writes, then read-your-writes across transactions with wait()
$node->safe_psql('postgres', q{
UPDATE tb_user SET name = 'renamed' WHERE pk_user = 3;
INSERT INTO tb_post VALUES (1000, 3, 'new');
DELETE FROM tb_post WHERE pk_post = 7;
INSERT INTO tb_post VALUES (1001, 4, 'a "quoted", (odd) title\'), (1002, 4, ''), (1003, 4, '');
});
exact('postgres', 'single writes');
is($node->safe_psql('postgres',
		"SELECT string_agg(n || ':' || title, '|' ORDER BY title) FROM tv_title_count WHERE fk_user = 4 "
		  . "AND (title = '' OR title LIKE 'a %')"),
	'2:|1:a "quoted", (odd) title\\', 'composite keys that need quoting are applied');
is($node->safe_psql('postgres', "SELECT data->>'author' FROM tv_post WHERE pk_post = 1000"),
	'renamed', 'the new post shows the renamed author');
is($node->safe_psql('postgres',
		"SELECT queued_batches FROM readmodel.freshness WHERE name = 'tv_post'::regclass"),
	'0', 'freshness: nothing queued');
ok($node->safe_psql('postgres',
		"SELECT batches_applied > 0 AND last_applied_at IS NOT NULL FROM readmodel.freshness "
		  . "WHERE name = 'tv_post'::regclass") eq 't', 'freshness: the worker applied batches');

# a burst of 300 transactions, each its own commit
$node->safe_psql('postgres', q{
CREATE PROCEDURE burst() LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1..300 LOOP
        UPDATE tb_post SET title = 'burst ' || i WHERE pk_post = 1 + i % 200;
        COMMIT;
    END LOOP;
END $$;
CALL burst();
});
exact('postgres', 'a burst of 300 transactions');

# the queue's relation is invalidated between a writer's capture and its
# commit (here by an ALTER of its options from another session): the
# commit looks the queue up again and queues its keys
my $writer = $node->background_psql('postgres');
$writer->query_safe("UPDATE tb_post SET title = 'before the invalidation' WHERE pk_post = 2");
$writer->query_safe("BEGIN; UPDATE tb_post SET title = 'across the invalidation' WHERE pk_post = 2");
$node->safe_psql('postgres',
	'ALTER TABLE readmodel.deferred_queue SET (autovacuum_vacuum_scale_factor = 0.2); '
	  . 'ALTER TABLE readmodel.deferred_queue RESET (autovacuum_vacuum_scale_factor)');
$writer->query_safe('COMMIT');
is($writer->query_safe("SELECT readmodel.wait('tv_post', '30 s')"), 't',
	'invalidated queue: the commit queued its keys');
$writer->quit;
is($node->safe_psql('postgres', "SELECT data->>'title' FROM tv_post WHERE pk_post = 2"),
	'across the invalidation', 'invalidated queue: the change is applied');
exact('postgres', 'invalidated queue');

# a batch ends before a row that would take it past
# readmodel.deferred_batch_keys keys, and takes its first row whatever its
# size: with 4, three transactions of 3, 3 and 10 keys are three batches
$node->safe_psql('postgres', q{
CREATE TABLE tb_batch (k int PRIMARY KEY, v int NOT NULL);
INSERT INTO tb_batch SELECT g, 0 FROM generate_series(1, 20) g;
SELECT readmodel.create('tv_batch', $$ SELECT b.k, b.v FROM tb_batch b $$, '{"mode": "deferred"}');
});
is($node->safe_psql('postgres', "SELECT readmodel.wait('tv_batch', '30 s')"), 't',
	'batch keys: the model is built and nothing is queued');
# tv_batch's values in key order, and what verify() finds wrong
sub batch_image
{
	return $node->safe_psql('postgres',
		"SELECT string_agg(v::text, '' ORDER BY k) || ' ' || "
		  . "(SELECT count(*) FROM readmodel.verify('tv_batch')) FROM tv_batch");
}
my $batches_sql =
  "SELECT coalesce(batches_applied, 0) FROM readmodel.freshness WHERE name = 'tv_batch'::regclass";
my $batches_before = $node->safe_psql('postgres', $batches_sql);
$node->safe_psql('postgres', q{
ALTER SYSTEM SET readmodel.deferred_naptime = 60000;
ALTER SYSTEM SET readmodel.deferred_batch_keys = 4;
SELECT pg_reload_conf();
});
sleep 1;
$node->safe_psql('postgres', 'UPDATE tb_batch SET v = 1 WHERE k <= 3');
$node->safe_psql('postgres', 'UPDATE tb_batch SET v = 2 WHERE k BETWEEN 4 AND 6');
$node->safe_psql('postgres', 'UPDATE tb_batch SET v = 3 WHERE k BETWEEN 7 AND 16');
$node->safe_psql('postgres', q{
ALTER SYSTEM RESET readmodel.deferred_naptime;
SELECT pg_reload_conf();
});
is($node->safe_psql('postgres', "SELECT readmodel.wait('tv_batch', '30 s')"), 't',
	'batch keys: the queue drains');
is($node->safe_psql('postgres', $batches_sql) - $batches_before, 3,
	'batch keys: three batches, the third larger than the limit');
is(batch_image(),
	'11122233333333330000 0', 'batch keys: every key applied, the model exact');
# a row whose keys alone are past the worker's readmodel.max_queued_keys
# (its writer had raised the setting): a rebuild of the model, not a batch
# that fails at every retry
$node->safe_psql('postgres', q{
ALTER SYSTEM RESET readmodel.deferred_batch_keys;
ALTER SYSTEM SET readmodel.max_queued_keys = 5;
SELECT pg_reload_conf();
});
sleep 1;
$node->safe_psql('postgres',
	'SET readmodel.max_queued_keys = 1000; UPDATE tb_batch SET v = 4 WHERE k BETWEEN 5 AND 14');
is($node->safe_psql('postgres', "SELECT readmodel.wait('tv_batch', '30 s')"), 't',
	'oversized row: the queue drains');
is(batch_image(),
	'11124444444444330000 0', 'oversized row: rebuilt, the model exact');
unlike(slurp_file($node->logfile), qr/transaction queued more than 5 read-model keys/,
	'oversized row: the worker did not fail on it');
$node->safe_psql('postgres', q{
ALTER SYSTEM RESET readmodel.max_queued_keys;
SELECT pg_reload_conf();
});

# a rebuild: TRUNCATE and refill in one transaction
$node->safe_psql('postgres', q{
BEGIN;
TRUNCATE tb_post;
INSERT INTO tb_post SELECT g, 1 + g % 7, 'refilled ' || g FROM generate_series(1, 50) g;
COMMIT;
});
exact('postgres', 'TRUNCATE and refill');

# suspended: writers record keys for resume(), and rows the worker takes
# for a model suspended since are moved there too; resume replays them
$node->safe_psql('postgres', q{
ALTER SYSTEM SET readmodel.deferred_naptime = 3000;
SELECT pg_reload_conf();
});
sleep(1);
$node->safe_psql('postgres', q{
UPDATE tb_user SET name = 'queued, then suspended' WHERE pk_user = 5;
SELECT readmodel.suspend('tv_post');
UPDATE tb_user SET name = 'while suspended' WHERE pk_user = 6;
ALTER SYSTEM RESET readmodel.deferred_naptime;
SELECT pg_reload_conf();
});
$node->poll_query_until('postgres',
	"SELECT NOT EXISTS (SELECT FROM readmodel.deferred_queue q WHERE q.model = 'tv_post'::regclass)")
  or die 'the worker did not take the queued row';
is($node->safe_psql('postgres',
		"SELECT count(*) FROM readmodel.suspended_queue WHERE model = 'tv_post'::regclass"),
	'2', 'suspended: the writer\'s row and the one the worker moved wait for resume()');
ok($node->safe_psql('postgres', "SELECT readmodel.resume('tv_post')") > 0,
	'resume() replays them');
exact('postgres', 'suspended and resumed');

# keys the worker cannot read back (the owner's domain CHECK tightened
# since they were queued): a warning, the model rebuilt, the worker alive
$node->safe_psql('postgres', q{
CREATE DOMAIN small_id AS int CHECK (VALUE > 0);
CREATE TABLE tb_dom (id small_id PRIMARY KEY, v text);
INSERT INTO tb_dom SELECT g, 'v' || g FROM generate_series(1, 9) g;
SELECT readmodel.create('tv_dom', 'SELECT d.id, d.v FROM tb_dom d', '{"mode": "deferred"}');
ALTER SYSTEM SET readmodel.deferred_naptime = 3000;
SELECT pg_reload_conf();
});
sleep(1);
$node->safe_psql('postgres', q{
UPDATE tb_dom SET v = 'queued' WHERE id = 7;
ALTER DOMAIN small_id ADD CONSTRAINT below_five CHECK (VALUE < 5) NOT VALID;
ALTER SYSTEM RESET readmodel.deferred_naptime;
SELECT pg_reload_conf();
});
is($node->safe_psql('postgres', "SELECT readmodel.wait('tv_dom', '30 s')"), 't',
	'unreadable keys: the queue drains');
is($node->safe_psql('postgres',
		"SELECT (SELECT v FROM tv_dom WHERE id = 7) || ' ' || (SELECT count(*) FROM readmodel.verify('tv_dom'))"),
	'queued 0', 'the model was rebuilt instead, and is exact');
like(slurp_file($node->logfile), qr/queued keys of read model public\.tv_dom could not be read/,
	'the worker logged why');
exact('postgres', 'the worker goes on after unreadable keys');

# a key whose text depends on settings: spelled with them pinned, whatever
# the writer's DateStyle and TimeZone, and read back by the worker
$node->safe_psql('postgres', q{
CREATE TABLE tb_event (at timestamptz PRIMARY KEY, what text);
INSERT INTO tb_event VALUES ('2026-01-02 03:04:05.678+00', 'a'), ('2026-05-06 07:08:09+00', 'b');
SELECT readmodel.create('tv_event', 'SELECT e.at, e.what FROM tb_event e', '{"mode": "deferred"}');
});
$node->safe_psql('postgres', q{
SET DateStyle = 'German, DMY';
SET TimeZone = 'Asia/Tokyo';
UPDATE tb_event SET what = 'changed' WHERE what = 'a';
});
is($node->safe_psql('postgres', "SELECT readmodel.wait('tv_event', '30 s')"), 't',
	'timestamptz keys: the queue drains');
is($node->safe_psql('postgres',
		"SELECT (SELECT what FROM tv_event WHERE at = '2026-01-02 03:04:05.678+00') || ' ' || "
		  . "(SELECT count(*) FROM readmodel.verify('tv_event'))"),
	'changed 0', 'the key was applied as written');
unlike(slurp_file($node->logfile), qr/queued keys of read model public\.tv_event could not be read/,
	'and read back without a rebuild');

# the second database has its own worker
$node->safe_psql('second', "UPDATE tb_user SET name = 'second db' WHERE pk_user = 1");
exact('second', 'second database');

# a 0.8 catalog (the queue with its primary key, before ALTER EXTENSION
# UPDATE) under this library: ids come from the sequence again, the key's
# entries are written, and the worker takes the rows as before
$node->safe_psql('second', q{
ALTER TABLE readmodel.deferred_queue ADD CONSTRAINT deferred_queue_pkey PRIMARY KEY (id);
UPDATE tb_user SET name = 'second db, keyed queue' WHERE pk_user = 1;
INSERT INTO tb_post VALUES (1100, 1, 'keyed queue');
});
exact('second', 'keyed queue');
is($node->safe_psql('second', q{
SELECT data->>'author' FROM tv_post WHERE pk_post = 1100}),
	'second db, keyed queue', 'keyed queue: applied');
$node->safe_psql('second',
	'ALTER TABLE readmodel.deferred_queue DROP CONSTRAINT deferred_queue_pkey');

# the worker is killed with keys queued: crash recovery, then applied
$node->safe_psql('postgres', q{
ALTER SYSTEM SET readmodel.deferred_naptime = 5000;
SELECT pg_reload_conf();
});
sleep(1);
$node->safe_psql('postgres', "UPDATE tb_user SET name = 'before the crash' WHERE pk_user = 2");
usleep(100_000);
is($node->safe_psql('postgres',
		"SELECT status FROM readmodel.health_check() WHERE component = 'public.tv_user_lag'"),
	'warning', 'health_check(): a lag over expected_lag is a warning');
like($node->safe_psql('postgres',
		"SELECT message FROM readmodel.health_check() WHERE component = 'public.tv_user_lag'"),
	qr/exceeds expected_lag/, 'and says so');
my $pid = $node->safe_psql('postgres',
	"SELECT pid FROM pg_stat_activity WHERE backend_type = 'pg_readmodel deferred' "
	  . "AND datname = 'postgres'");
ok($pid =~ /^\d+$/, 'the worker of database postgres runs');
kill 'KILL', $pid;
$node->poll_query_until('postgres', 'SELECT true') or die 'server did not come back';
$node->safe_psql('postgres', q{
ALTER SYSTEM RESET readmodel.deferred_naptime;
SELECT pg_reload_conf();
});
exact('postgres', 'after the worker was killed');
is($node->safe_psql('postgres', "SELECT data->>'author' FROM tv_post WHERE pk_post = 1"),
	'before the crash', 'the change queued before the crash is applied');

# a clean restart with keys queued
$node->stop;
$node->start;
$node->safe_psql('postgres', "UPDATE tb_user SET name = 'after restart' WHERE pk_user = 1");
$node->restart;
exact('postgres', 'after a restart');
is($node->safe_psql('postgres', "SELECT readmodel.wait('tv_user_lag', '30 s')"), 't',
	'the lag-limited model drains too');
is($node->safe_psql('postgres',
		"SELECT status FROM readmodel.health_check() WHERE component = 'public.tv_user_lag'"),
	'ok', 'health_check(): drained, it is ok');

# no worker in this database: refused, with a hint
$node->safe_psql('unlisted', 'CREATE EXTENSION pg_readmodel; CREATE TABLE t (id int PRIMARY KEY)');
my ($rc, $out, $err) = $node->psql('unlisted',
	q{SELECT readmodel.create('tv_t', 'SELECT t.id FROM t', '{"mode": "deferred"}')});
isnt($rc, 0, 'a deferred model where no worker runs is refused');
like($err, qr/no deferred worker runs in database "unlisted"/, 'the refusal says why');

$node->stop;
done_testing();
