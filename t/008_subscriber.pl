
# A read model on a logical-replication subscriber, over a table the
# subscription writes (issue 9, item 20; issue 12).  The apply worker fires
# row triggers enabled for replica only, never the statement-level capture
# triggers, so without option replicated such a model cannot be maintained:
# health_check() must say so (not "ok"), the model's state is 'broken', and
# readmodel.refresh() still rebuilds it exactly.  With the option, the row
# triggers capture what the subscription applies.  A model over the
# subscriber's own tables is maintained as usual.

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

# Option replicated: capture row triggers enabled for replica, which the
# apply worker fires.  A model over the subscribed table alone, one that
# joins it to a local table, a rollup, and tv_late redeclared with the option.
$sub->safe_psql('postgres', q{
CREATE TABLE tb_tag (pk_item int PRIMARY KEY, tag text NOT NULL);
INSERT INTO tb_tag VALUES (1, 'red'), (2, 'blue'), (3, 'green');
SELECT readmodel.create('tv_item_r', 'SELECT i.pk_item, i.name FROM tb_item i', '{"replicated": true}');
SELECT readmodel.create('tv_tag_r', $$
    SELECT t.pk_item, t.tag, i.name FROM tb_tag t LEFT JOIN tb_item i ON i.pk_item = t.pk_item
$$, '{"replicated": true}');
SELECT readmodel.create('tv_item_len', $$
    SELECT length(i.name) AS len, count(*) AS n FROM tb_item i GROUP BY length(i.name)
$$, '{"replicated": true}');
SELECT readmodel.create('tv_late', 'SELECT t.pk, t.v FROM tb_late t', '{"replace": true, "replicated": true}');
});
is($sub->safe_psql('postgres',
		"SELECT count(*) FROM readmodel.health_check() WHERE status <> 'ok' AND component LIKE 'public.tv_%'"),
	'0', 'with option replicated, health_check() finds nothing wrong');

$pub->safe_psql('postgres', q{
INSERT INTO tb_item VALUES (3, 'three'), (4, 'four');
UPDATE tb_item SET name = 'ONE' WHERE pk_item = 1;
DELETE FROM tb_item WHERE pk_item = 2;
UPDATE tb_late SET v = 'z';
BEGIN;
UPDATE tb_item SET name = name || '!';
INSERT INTO tb_item SELECT g, 'bulk' FROM generate_series(10, 60) g;
COMMIT;
});
$pub->wait_for_catchup('items');
for my $m ('tv_item_r', 'tv_tag_r', 'tv_item_len', 'tv_late')
{
	is($sub->safe_psql('postgres', "SELECT count(*) FROM readmodel.verify('$m')"), '0',
		"$m is exact after the subscription applied inserts, updates and deletes");
}
is($sub->safe_psql('postgres', 'SELECT name FROM tv_tag_r WHERE pk_item = 1'), 'ONE!',
	'the join to the local table follows the replicated rename');
is($sub->safe_psql('postgres', 'SELECT v FROM tv_late'), 'z', 'tv_late follows the subscription');

# A replicated TRUNCATE fires the TRUNCATE trigger, enabled always.
$pub->safe_psql('postgres', 'TRUNCATE tb_item');
$pub->wait_for_catchup('items');
is($sub->safe_psql('postgres', 'SELECT count(*) FROM tv_item_r'), '0', 'a replicated TRUNCATE empties the model');
is($sub->safe_psql('postgres', "SELECT count(*) FROM readmodel.verify('tv_tag_r')"), '0',
	'and the joined model is exact');

# Mode manual needs no trigger: the application syncs on the subscriber.
$sub->safe_psql('postgres',
	q{SELECT readmodel.create('tv_item_m', 'SELECT i.pk_item, i.name FROM tb_item i', '{"mode": "manual"}')});
$pub->safe_psql('postgres', "INSERT INTO tb_item VALUES (7, 'seven'), (8, 'eight')");
$pub->wait_for_catchup('items');
is($sub->safe_psql('postgres', 'SELECT count(*) FROM tv_item_m'), '0', 'a manual model waits for its sync');
$sub->safe_psql('postgres', "SELECT readmodel.sync('tv_item_m', ARRAY[7, 8])");
is($sub->safe_psql('postgres', "SELECT count(*) FROM readmodel.verify('tv_item_m')"), '0',
	'and is exact after it');

# The subscriber's own writes to the local table are captured as usual.
$sub->safe_psql('postgres', "UPDATE tb_tag SET tag = 'crimson' WHERE pk_item = 1");
is($sub->safe_psql('postgres', 'SELECT tag FROM tv_tag_r WHERE pk_item = 1'), 'crimson',
	'local writes on the subscriber are captured');

$sub->stop;
$pub->stop;
done_testing();
