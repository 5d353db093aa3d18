
# The differential tester with a model of mode deferred (difftest.c, m2),
# on a preloaded server whose worker serves the test database: random
# transactions (savepoints, 2PC, TRUNCATE, COPY, MERGE, cascades, partition
# DDL) against the basic models and m2, and after each one readmodel.wait()
# for m2, then every model compared with its definition by binary image.

use strict;
use warnings FATAL => 'all';
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use ReadModelTest;

my $root = "$FindBin::RealBin/..";
my $difftest = "$root/test/difftest/difftest";
# built by make test-tap (as root, when the tests run as the postgres user)
-x $difftest or system('make', '-s', '-C', "$root/test/difftest", 'difftest') == 0
  or die 'could not build the differential tester';

my $node = rm_node('difftest_deferred', preload => 1,
	conf => "readmodel.deferred_databases = 'readmodel_difftest'\n"
	  . "readmodel.deferred_naptime = 10\n");

my ($stdout, $stderr);
my $ok = IPC::Run::run(
	[
		$difftest, '--dbname', $node->connstr('postgres'),
		'--seed', '21,22,23', '--transactions', '150',
		'--deferred-models', '--models', 'tv_m_post_deferred,tv_post_author,tv_comment'
	],
	'>', \$stdout, '2>', \$stderr);
note($stdout) unless $ok;
ok($ok, 'the differential tester passes with a model of mode deferred');
like($stdout, qr/tv_m_post_deferred=\d+/, 'the deferred model was made and checked');
like($stdout, qr/\b(\d+) passed, 0 failed/, 'no check failed');

$node->stop;
done_testing();
