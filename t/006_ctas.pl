
# CREATE TABLE tv_x AS SELECT ... with and without the library preloaded
# (the TAP version of test/ctas.sh, every check and assertion kept).
# Without preloading the statement is refused (it would create a plain
# table that looks like a read model); preloaded, it declares a read model.
# One cluster, first without shared_preload_libraries, then restarted with
# it; each half in a fresh database.
#
# Each check runs its SQL as one psql -c (rm_psql_c: one implicit
# transaction, as the shell script did), with client_min_messages =
# warning, and compares psql's output (stdout and stderr) with the
# expected text.

use strict;
use warnings FATAL => 'all';
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use ReadModelTest;

my $DB = 'readmodel_ctas';
my $node = PostgreSQL::Test::Cluster->new('ctas');
$node->init;
$node->start;

sub q_c { return rm_psql_c($node, $DB, $_[0]); }

sub expect
{
	my ($label, $expected, $sql) = @_;
	my (undef, $out) = q_c($sql);
	is($out, $expected, $label);
}

sub expect_error
{
	my ($label, $message, $sql) = @_;
	my ($ok, $out) = q_c($sql);
	ok(!$ok, "$label (fails)");
	like($out, qr/\Q$message\E/, $label);
}

sub fresh_db
{
	$node->safe_psql('postgres', qq{
SET client_min_messages = warning;
DROP DATABASE IF EXISTS $DB WITH (FORCE);
CREATE DATABASE $DB;});
	$node->safe_psql($DB, q{
CREATE EXTENSION pg_readmodel;
CREATE TABLE tb_user (pk_user int PRIMARY KEY, name text NOT NULL);
CREATE TABLE tb_post (pk_post int PRIMARY KEY, fk_user int NOT NULL REFERENCES tb_user, title text);
INSERT INTO tb_user VALUES (1, 'alice'), (2, 'bob');
INSERT INTO tb_post VALUES (1, 1, 'hello'), (2, 2, 'hi');
});
	return;
}

my $POST_DEF = q{SELECT p.pk_post, p.fk_user, jsonb_build_object('title', p.title, 'author', u.name) AS data
          FROM tb_post p JOIN tb_user u ON u.pk_user = p.fk_user};

# --- not preloaded ---------------------------------------------------------
fresh_db();
expect('not preloaded: library is not preloaded',
	'f', 'SELECT readmodel._is_preloaded()');
expect_error(
	'not preloaded: CREATE TABLE tv_ AS is refused',
	'would create a plain table, not a read model',
	"CREATE TABLE tv_post AS $POST_DEF");
expect('not preloaded: nothing is left behind',
	'0', "SELECT count(*) FROM pg_class WHERE relname LIKE 'tv\\_post%'");
expect('not preloaded: an empty prefix allows a plain table',
	'plain',
	"SET readmodel.ctas_prefix = ''; CREATE TABLE tv_plain AS SELECT 1 AS x; SELECT 'plain' FROM tv_plain"
);
expect('not preloaded: other names are plain CREATE TABLE AS',
	'2',
	'CREATE TABLE copy_post AS SELECT * FROM tb_post; SELECT count(*) FROM copy_post');
expect('not preloaded: readmodel.create still works',
	'tv_post', "SELECT readmodel.create('tv_post', \$\$$POST_DEF\$\$)");

# --- preloaded -------------------------------------------------------------
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'pg_readmodel'");
$node->restart;
fresh_db();
expect('preloaded: library is preloaded',
	't', 'SELECT readmodel._is_preloaded()');
expect('preloaded: CREATE TABLE tv_ AS declares a read model',
	'tv_post|pk_post',
	"CREATE TABLE tv_post AS $POST_DEF; SELECT name, key FROM readmodel.models");
my ($ok) = q_c("UPDATE tb_user SET name = 'bobby' WHERE pk_user = 2");
ok($ok, 'preloaded: UPDATE of a source succeeds');
expect('preloaded: it is maintained',
	'0|bobby',
	"SELECT (SELECT count(*) FROM readmodel.verify('tv_post')), data->>'author' FROM tv_post WHERE pk_post = 2"
);
is($node->safe_psql($DB, rm_image_diff_sql('tv_post', $POST_DEF)),
	'0', 'preloaded: the declared model equals its definition by binary image');
expect('preloaded: the table has the write guard',
	'1',
	"SELECT count(*) FROM pg_trigger WHERE tgrelid = 'tv_post'::regclass AND tgname = 'readmodel_guard'"
);
expect('preloaded: IF NOT EXISTS on an existing model does nothing',
	'2',
	'CREATE TABLE IF NOT EXISTS tv_post AS SELECT 1 AS x; SELECT count(*) FROM tv_post');
expect_error(
	'preloaded: a definition that cannot be maintained is refused',
	'cannot be maintained incrementally',
	'CREATE TABLE tv_bad AS SELECT p.pk_post FROM tb_post p LIMIT 1');
expect_error(
	'preloaded: a column list is refused',
	'cannot use a column name list',
	'CREATE TABLE tv_cols (a, b) AS SELECT p.pk_post, p.title FROM tb_post p');
expect('preloaded: failures leave nothing behind',
	'0|1', q{SELECT (SELECT count(*) FROM pg_class WHERE relname LIKE 'tv\_bad%' OR relname LIKE 'tv\_cols%'),
            (SELECT count(*) FROM readmodel.model)});
# psql shows the command tag only without -q: CREATE TABLE AS reports the
# rows the model was built with (issue 9, item 21: it printed SELECT 0)
{
	local $ENV{PGOPTIONS} = '-c client_min_messages=warning';
	my ($out, $err) = ('', '');
	IPC::Run::run([ $node->installed_command('psql'), '-X', '-d', $node->connstr($DB),
			'-c', "CREATE TABLE tv_counted AS $POST_DEF" ],
		'<', \undef, '>', \$out, '2>', \$err);
	like($out, qr/^SELECT 2$/m, 'preloaded: CREATE TABLE AS reports the rows it built the model with');
}
expect('preloaded: temporary tables stay plain',
	'1', 'CREATE TEMP TABLE tv_tmp AS SELECT 1 AS x; SELECT count(*) FROM tv_tmp');

$node->stop;
done_testing();
