
# A read model on a logical-replication subscriber, over a table the
# subscription writes (issue 9, item 20).  The apply worker fires row
# triggers only, never the statement-level capture triggers, so such a model
# cannot be maintained: health_check() must say so (not "ok"), the model's
# state is 'broken', and readmodel.refresh() still rebuilds it exactly.  A
# model over the subscriber's own tables is maintained as usual.

use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $pub = PostgreSQL::Test::Cluster->new('publisher');
$pub->init(allows_streaming => 'logical');
$pub->start;
my $sub = PostgreSQL::Test::Cluster->new('subscriber');
$sub->init;
$sub->start;

my $schema = q{
CREATE TABLE tb_item (pk_item int PRIMARY KEY, name text NOT NULL);
};
$pub->safe_psql('postgres', $schema);
$pub->safe_psql('postgres', q{
INSERT INTO tb_item VALUES (1, 'one'), (2, 'two');
CREATE PUBLICATION items FOR TABLE tb_item;
});
$sub->safe_psql('postgres', $schema);
$sub->safe_psql('postgres', q{
CREATE EXTENSION pg_readmodel;
CREATE TABLE tb_local (pk int PRIMARY KEY, v text);
INSERT INTO tb_local VALUES (1, 'a');
});
my $connstr = $pub->connstr() . ' dbname=postgres';
$sub->safe_psql('postgres', "CREATE SUBSCRIPTION items CONNECTION '$connstr' PUBLICATION items");
$pub->wait_for_catchup('items');
$sub->poll_query_until('postgres',
	"SELECT count(*) = 0 FROM pg_subscription_rel WHERE srsubstate NOT IN ('r', 's')")
  or die 'initial sync did not finish';

# Declared on the subscriber: refused, because it could never be maintained.
my ($rc, $out, $err) = $sub->psql('postgres',
	"SELECT readmodel.create('tv_item', 'SELECT i.pk_item, i.name FROM tb_item i')");
isnt($rc, 0, 'a model over a subscribed table is refused');
like($err, qr/written by a logical-replication subscription/,
	'the refusal names the subscription');

# A model over the subscriber's own table works as usual.
$sub->safe_psql('postgres',
	"SELECT readmodel.create('tv_local', 'SELECT l.pk, l.v FROM tb_local l')");
$sub->safe_psql('postgres', "UPDATE tb_local SET v = 'b'");
is($sub->safe_psql('postgres', 'SELECT v FROM tv_local'), 'b', 'a local model is maintained');

# A table that becomes a subscription target later: the model it had is
# reported as broken by health_check() (writes by the apply worker are not
# captured), and refresh() keeps rebuilding it.
$sub->safe_psql('postgres', q{
CREATE TABLE tb_late (pk int PRIMARY KEY, v text);
SELECT readmodel.create('tv_late', 'SELECT t.pk, t.v FROM tb_late t');
});
$pub->safe_psql('postgres', q{
CREATE TABLE tb_late (pk int PRIMARY KEY, v text);
INSERT INTO tb_late VALUES (1, 'x');
ALTER PUBLICATION items ADD TABLE tb_late;
});
$sub->safe_psql('postgres', 'ALTER SUBSCRIPTION items REFRESH PUBLICATION');
$pub->wait_for_catchup('items');
$sub->poll_query_until('postgres',
	"SELECT count(*) = 0 FROM pg_subscription_rel WHERE srsubstate NOT IN ('r', 's')")
  or die 'sync of tb_late did not finish';
$pub->safe_psql('postgres', "UPDATE tb_late SET v = 'y'");
$pub->wait_for_catchup('items');

is($sub->safe_psql('postgres',
		"SELECT status FROM readmodel.health_check() WHERE component = 'public.tv_late'"),
	'error', 'health_check() reports the model over a subscribed table as an error');
like($sub->safe_psql('postgres',
		"SELECT reason FROM readmodel.models WHERE name = 'tv_late'::regclass"),
	qr/logical-replication subscription/, 'readmodel.models says why');
is($sub->safe_psql('postgres', 'SELECT v FROM tb_late'), 'y', 'the subscription applied the change');
$sub->safe_psql('postgres', "SELECT readmodel.refresh('tv_late')");
is($sub->safe_psql('postgres', 'SELECT v FROM tv_late'), 'y', 'refresh() rebuilds it');
is($sub->safe_psql('postgres', "SELECT count(*) FROM readmodel.verify('tv_late')"), '0',
	'and verify() finds it exact');

$sub->stop;
$pub->stop;
done_testing();
