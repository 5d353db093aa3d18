
# pg_dump / restore of a database with read models must give working read
# models (the TAP version of test/dump_restore.sh, every check and assertion
# kept).
#
# Builds readmodel_dump_src (three tables, four read models: tv_user,
# tv_post reading tv_user, tv_org reading both, and a statement-mode model
# in a second schema), dumps it with pg_dump -Fc and restores it with plain
# pg_restore into readmodel_dump_dst, and dumps it as plain SQL restored
# with psql -v ON_ERROR_STOP=1 into readmodel_dump_sql.  Each restored
# database is then checked: same models, verify() clean, health_check()
# clean, maintenance working after DML, the write guard and the
# dependent-aware drop still in place.

use strict;
use warnings FATAL => 'all';
use FindBin;
use lib $FindBin::RealBin;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use ReadModelTest;

my $SRC = 'readmodel_dump_src';
my $DST = 'readmodel_dump_dst';
my $SQLDB = 'readmodel_dump_sql';

my $node = PostgreSQL::Test::Cluster->new('dump_restore');
$node->init;
$node->start;
my $work = PostgreSQL::Test::Utils::tempdir;

# A client program against the node, with $stdin as its input (undef: none);
# returns (it exited with 0, its stdout and stderr together).
sub run_client
{
	my ($stdin, @cmd) = @_;
	local $ENV{PGOPTIONS} = '-c client_min_messages=warning';
	my ($out, $err) = ('', '');
	my $ok = IPC::Run::run(\@cmd, '<', \$stdin, '>', \$out, '2>', \$err);
	return ($ok ? 1 : 0, $out . $err);
}

sub psql_script
{
	my ($db, $script) = @_;
	return run_client($script, $node->installed_command('psql'),
		'-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr($db));
}

# Run SQL that must succeed and print exactly $expected.
sub check_eq
{
	my ($label, $db, $sql, $expected) = @_;
	my ($ok, $out) = rm_psql_c($node, $db, $sql);
	ok($ok, "$label (runs)") or diag($out);
	is($out, $expected, $label);
}

# Run SQL that must fail with an error matching $pattern.
sub check_fails
{
	my ($label, $db, $sql, $pattern) = @_;
	my ($ok, $out) = rm_psql_c($node, $db, $sql);
	ok(!$ok, "$label (fails)") or diag("the statement succeeded: $out");
	like($out, $pattern, $label);
}

# --------------------------------------------------------- the source database
$node->safe_psql('postgres', "CREATE DATABASE $SRC");
my ($setup_ok, $setup_out) = psql_script($SRC, q{
CREATE EXTENSION pg_readmodel;

CREATE TABLE tb_org (pk_org int PRIMARY KEY, name text);
CREATE TABLE tb_user (pk_user int PRIMARY KEY, fk_org int REFERENCES tb_org,
                      name text NOT NULL, email text);
CREATE TABLE tb_post (pk_post int PRIMARY KEY,
                      fk_user int NOT NULL REFERENCES tb_user ON DELETE CASCADE,
                      title text NOT NULL);

INSERT INTO tb_org VALUES (1, 'acme'), (2, 'globex'), (3, 'empty org');
INSERT INTO tb_user VALUES
    (1, 1, 'alice', 'alice@acme.test'),
    (2, 1, 'bob', NULL),
    (3, 2, 'carol', 'carol@globex.test'),
    (4, 2, 'dave', 'dave@globex.test'),
    (5, NULL, 'eve', NULL);
INSERT INTO tb_post VALUES
    (1, 1, 'hello'), (2, 1, 'second'), (3, 2, 'bob writes'),
    (4, 3, 'carol one'), (5, 4, 'dave one'), (6, 4, 'dave two'), (7, 5, 'eve');

SELECT readmodel.create('tv_user', $$
    SELECT u.pk_user, u.fk_org,
           jsonb_build_object('name', u.name, 'email', u.email) AS data
    FROM tb_user u
$$);

SELECT readmodel.create('tv_post', $$
    SELECT p.pk_post, p.fk_user,
           jsonb_build_object('title', p.title, 'author', a.data) AS data
    FROM tb_post p JOIN tv_user a ON a.pk_user = p.fk_user
$$);

SELECT readmodel.create('tv_org', $$
    SELECT o.pk_org,
           jsonb_build_object(
               'name', o.name,
               'members', (SELECT coalesce(jsonb_agg(u.data ORDER BY u.pk_user), '[]')
                           FROM tv_user u WHERE u.fk_org = o.pk_org),
               'posts', (SELECT count(*) FROM tv_post p JOIN tb_user u ON u.pk_user = p.fk_user
                         WHERE u.fk_org = o.pk_org)) AS data
    FROM tb_org o
$$);

-- a composite key named as an array, a composite group key, a view source
SELECT readmodel.create('tv_post_owner', $$
    SELECT p.pk_post, p.fk_user, p.title FROM tb_post p
$$, options => '{"key": ["fk_user", "pk_post"]}');
SELECT readmodel.create('tv_user_titles', $$
    SELECT p.fk_user, p.title, count(*) AS n FROM tb_post p GROUP BY p.fk_user, p.title
$$);
CREATE VIEW v_named_user AS SELECT u.pk_user, u.name FROM tb_user u WHERE u.email IS NOT NULL;
SELECT readmodel.create('tv_post_parts', $$
    SELECT p.pk_post, p.fk_user, p.title FROM tb_post p
$$, options => '{"partition_by": {"hash": 3}}');
SELECT readmodel.create('tv_named_user', $$ SELECT v.pk_user, v.name FROM v_named_user v $$);
-- a key of expressions, and a table partitioned by list of a key column
SELECT readmodel.create('tv_title_letter', $$
    SELECT upper(left(p.title, 1)) AS letter, p.fk_user, count(*) AS n
    FROM tb_post p GROUP BY upper(left(p.title, 1)), p.fk_user
$$, options => '{"partition_by": {"list": "letter", "partitions": {"a_to_c": ["A", "B", "C"], "d": ["D"]}}}');

-- version columns and their trigger, a change feed, replica row triggers
SELECT readmodel.create('tv_org_feed', $$ SELECT o.pk_org, o.name FROM tb_org o $$,
                        options => '{"version": true, "notify": true, "replicated": true}');

CREATE SCHEMA reports;
SELECT readmodel.create('reports.tv_user_activity', $$
    SELECT u.pk_user,
           jsonb_build_object('name', u.name,
                              'posts', (SELECT count(*) FROM public.tb_post p
                                        WHERE p.fk_user = u.pk_user)) AS data
    FROM public.tb_user u
$$, options => '{"mode": "statement"}');
});
ok($setup_ok, "built $SRC") or die("could not build $SRC:\n$setup_out");

my $MODELS_SQL =
  "SELECT name::text || '|' || key || '|' || mode FROM readmodel.models ORDER BY name::text";
my $SRC_MODELS = $node->safe_psql($SRC, $MODELS_SQL);
my @model_names = split /\n/,
  $node->safe_psql($SRC, 'SELECT name::text FROM readmodel.models ORDER BY name::text');
is(scalar(@model_names), 10, "$SRC has 10 read models")
  or die("$SRC should have 10 read models, has:\n$SRC_MODELS");

# The expected verify result: one "name|0" line per model.
my $VERIFY_EXPECTED = join("\n", map { "$_|0" } @model_names);
my $VERIFY_SQL = join(" UNION ALL\n",
	map { "SELECT '$_' || '|' || (SELECT count(*) FROM readmodel.verify('$_'))" }
	  @model_names);

check_eq('[source] every model verifies 0 rows before the dump',
	$SRC, $VERIFY_SQL, $VERIFY_EXPECTED);

# ------------------------------------------------------------ dump and restore
my $dump_fc = "$work/src.dump";
my $dump_sql = "$work/src.sql";
my ($ok, $out) = run_client(undef, $node->installed_command('pg_dump'),
	'-Fc', '-f', $dump_fc, '-d', $node->connstr($SRC));
ok($ok, 'pg_dump -Fc') or die("pg_dump -Fc failed:\n$out");
($ok, $out) = run_client(undef, $node->installed_command('pg_dump'),
	'-Fp', '-f', $dump_sql, '-d', $node->connstr($SRC));
ok($ok, 'pg_dump (plain)') or die("pg_dump (plain) failed:\n$out");

$node->safe_psql('postgres', "CREATE DATABASE $DST");
($ok, $out) = run_client(undef, $node->installed_command('pg_restore'),
	'-d', $node->connstr($DST), $dump_fc);
ok($ok, "[custom] pg_restore -d $DST exits 0") or diag($out);

$node->safe_psql('postgres', "CREATE DATABASE $SQLDB");
{
	# psql's output (the dump's SELECTs) goes to /dev/null; errors are kept
	local $ENV{PGOPTIONS} = '-c client_min_messages=warning';
	my $err = '';
	my $psql_ok = IPC::Run::run(
		[
			$node->installed_command('psql'), '-X', '-q',
			'-v', 'ON_ERROR_STOP=1', '-d', $node->connstr($SQLDB), '-f', $dump_sql
		],
		'<', \undef, '>', '/dev/null', '2>', \$err);
	ok($psql_ok, "[plain] psql -v ON_ERROR_STOP=1 -f dump.sql into $SQLDB exits 0")
	  or diag($err);
}

# ------------------------------------------------------- checks per database
sub check_restored
{
	my ($tag, $db) = @_;

	check_eq("[$tag] readmodel.models lists the source's models (name, key, mode)",
		$db, $MODELS_SQL, $SRC_MODELS);

	check_eq("[$tag] every model verifies 0 rows right after restore",
		$db, $VERIFY_SQL, $VERIFY_EXPECTED);

	check_eq("[$tag] health_check() reports nothing but ok",
		$db,
		"SELECT status || ' ' || component || ': ' || message FROM readmodel.health_check() WHERE status <> 'ok'",
		'');

	# DML on the sources, one committed statement each, then one transaction
	my ($dml_ok, $dml_out) = psql_script($db, q{
UPDATE tb_user SET name = 'alice renamed' WHERE pk_user = 1;
UPDATE tb_post SET fk_user = 3 WHERE pk_post = 2;
INSERT INTO tb_post VALUES (100, 1, 'after restore');
DELETE FROM tb_user WHERE pk_user = 4;
BEGIN;
UPDATE tb_user SET fk_org = 2 WHERE pk_user = 2;
INSERT INTO tb_user VALUES (6, 3, 'frank', NULL);
INSERT INTO tb_post VALUES (101, 6, 'frank one');
COMMIT;
});
	ok($dml_ok,
		"[$tag] DML on the source tables succeeds (rename, move, insert, delete)")
	  or diag($dml_out);

	check_eq("[$tag] every model verifies 0 rows after DML",
		$db, $VERIFY_SQL, $VERIFY_EXPECTED);

	check_eq("[$tag] tv_post shows the renamed author",
		$db,
		"SELECT string_agg(pk_post || ':' || (data->'author'->>'name'), ',' ORDER BY pk_post) FROM tv_post WHERE fk_user = 1",
		'1:alice renamed,100:alice renamed');

	check_eq("[$tag] tv_post follows the moved post and the deleted user",
		$db, q{
SELECT (SELECT data->'author'->>'name' FROM tv_post WHERE pk_post = 2) || ',' ||
       (SELECT count(*) FROM tv_post WHERE pk_post IN (5, 6)) || ',' ||
       (SELECT count(*) FROM tv_user WHERE pk_user = 4)},
		'carol,0,0');

	check_eq("[$tag] tv_org reflects the changes three levels up",
		$db,
		"SELECT string_agg(pk_org || ':' || (data->>'posts') || ':' || jsonb_array_length(data->'members'), ',' ORDER BY pk_org) FROM tv_org",
		'1:2:1,2:3:2,3:1:1');

	check_eq("[$tag] the write guard readmodel_guard is on every model table",
		$db, q{
SELECT string_agg(m.name::text, ',' ORDER BY m.name::text) FROM readmodel.models m
WHERE EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = m.name AND t.tgname = 'readmodel_guard' AND t.tgenabled <> 'D')},
		join(',', @model_names));

	check_fails("[$tag] direct INSERT INTO tv_user is refused by the write guard",
		$db, "INSERT INTO tv_user VALUES (999, NULL, '{}')",
		qr/cannot change read model "tv_user" directly/);

	check_fails("[$tag] readmodel.drop('tv_user') is refused while tv_post reads it",
		$db, "SELECT readmodel.drop('tv_user')",
		qr/cannot drop read model .*tv_user.* because other read models read it/);

	check_eq("[$tag] tv_user is still a read model after the refused drop",
		$db, "SELECT count(*) FROM readmodel.models WHERE name = 'tv_user'::regclass",
		'1');
	return;
}

check_restored('custom', $DST);
check_restored('plain', $SQLDB);

$node->stop;
done_testing();
