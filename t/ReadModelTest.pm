
# t/ReadModelTest.pm — what the TAP tests in t/ share: a node factory, the
# small FraiseQL-like schema (tb_org, tb_user, tb_post, tb_comment) with its
# three read models, and the checks that a read model equals its definition.
#
# Every test file makes its own clusters and calls these on them; no file
# depends on another having run.

package ReadModelTest;

use strict;
use warnings FATAL => 'all';

use Exporter 'import';
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

our @EXPORT = qw(
  rm_node rm_schema_sql rm_models rm_create_schema rm_check_models
  rm_image_diff_sql rm_model_names rm_wait_for_blocked_commit
  rm_table_image_sql rm_check_comparison rm_end_session rm_psql_c
);

# The read models, in the order they are declared (so also in relid order,
# which is the order maintenance applies models of the same depth in).
#   tv_post         the post document with its author joined N:1 (two hops:
#                   post -> user -> org)
#   tv_user         a user grouped over its posts (count and sum of a numeric,
#                   so the dscale of the sum is part of the binary image)
#   tv_post_thread  a post with a correlated jsonb_agg of its comments ORDER
#                   BY pk, each comment with its author joined inside
my @MODELS = (
	{
		name => 'tv_post',
		key => 'pk_post',
		def => q{
    SELECT p.pk_post, p.fk_user,
           jsonb_build_object('title', p.title,
                              'score', p.score,
                              'author', jsonb_build_object('name', u.name,
                                                           'email', u.email,
                                                           'org', o.name)) AS data
    FROM tb_post p
    JOIN tb_user u ON u.pk_user = p.fk_user
    JOIN tb_org o ON o.pk_org = u.fk_org},
	},
	{
		name => 'tv_user',
		key => 'pk_user',
		def => q{
    SELECT u.pk_user, u.fk_org,
           jsonb_build_object('name', u.name,
                              'org', o.name,
                              'post_count', count(p.pk_post),
                              'score', sum(p.score)) AS data
    FROM tb_user u
    JOIN tb_org o ON o.pk_org = u.fk_org
    LEFT JOIN tb_post p ON p.fk_user = u.pk_user
    GROUP BY u.pk_user, u.fk_org, u.name, o.name},
	},
	{
		name => 'tv_post_thread',
		key => 'pk_post',
		def => q{
    SELECT p.pk_post,
           jsonb_build_object(
               'title', p.title,
               'comments', COALESCE((SELECT jsonb_agg(jsonb_build_object('pk', c.pk_comment,
                                                                         'body', c.body,
                                                                         'by', cu.name)
                                                      ORDER BY c.pk_comment)
                                     FROM tb_comment c
                                     JOIN tb_user cu ON cu.pk_user = c.fk_user
                                     WHERE c.fk_post = p.pk_post), '[]'::jsonb)) AS data
    FROM tb_post p},
	},
	{
		# a rollup kept by aggregate deltas, its state in an unlogged table
		name => 'tv_user_comments',
		key => 'pk_user',
		def => q{
    SELECT u.pk_user, count(*) AS comments, sum(c.fk_post) AS post_sum,
           avg(c.pk_comment) AS mean_pk, max(c.pk_comment) AS last,
           min(c.fk_post) AS first_post
    FROM tb_user u JOIN tb_comment c ON c.fk_user = u.pk_user
    GROUP BY u.pk_user},
	},);

sub rm_models { return @MODELS; }

sub rm_model_names { return map { $_->{name} } @MODELS; }

=pod

rm_node($name, preload => 0|1, allows_streaming => 0|1, conf => '...')

A started node, with max_prepared_transactions = 5.  preload puts
pg_readmodel in shared_preload_libraries; conf is appended to
postgresql.conf.

=cut

sub rm_node
{
	my ($name, %opt) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init(allows_streaming => $opt{allows_streaming} ? 1 : 0);
	$node->append_conf('postgresql.conf', "max_prepared_transactions = 5\n");
	$node->append_conf('postgresql.conf',
		"shared_preload_libraries = 'pg_readmodel'\n")
	  if $opt{preload};
	$node->append_conf('postgresql.conf', $opt{conf}) if $opt{conf};
	$node->start;
	return $node;
}

# The schema, its data and the models, as one SQL script.  Deterministic
# data: 3 orgs, 6 users (user 6 has no posts, one user has no email), 12
# posts (post 12 has no score, post 11 no comments), 24 comments.
sub rm_schema_sql
{
	my $sql = q{
CREATE EXTENSION pg_readmodel;

CREATE TABLE tb_org (pk_org int PRIMARY KEY, name text NOT NULL);
CREATE TABLE tb_user (pk_user int PRIMARY KEY,
                      fk_org int NOT NULL REFERENCES tb_org,
                      name text NOT NULL, email text);
CREATE TABLE tb_post (pk_post int PRIMARY KEY,
                      fk_user int NOT NULL REFERENCES tb_user,
                      title text NOT NULL, score numeric);
CREATE TABLE tb_comment (pk_comment int PRIMARY KEY,
                         fk_post int NOT NULL REFERENCES tb_post ON DELETE CASCADE,
                         fk_user int NOT NULL REFERENCES tb_user,
                         body text NOT NULL);
CREATE INDEX ON tb_user (fk_org);
CREATE INDEX ON tb_post (fk_user);
CREATE INDEX ON tb_comment (fk_post);
CREATE INDEX ON tb_comment (fk_user);

INSERT INTO tb_org VALUES (1, 'acme'), (2, 'globex'), (3, 'initech');
INSERT INTO tb_user
SELECT i, 1 + i % 3, 'user ' || i,
       CASE WHEN i = 4 THEN NULL ELSE 'u' || i || '@example.test' END
FROM generate_series(1, 6) i;
INSERT INTO tb_post
SELECT i, 1 + i % 5, 'post ' || i,
       CASE WHEN i = 12 THEN NULL ELSE (i * 1.25)::numeric(6, 2) END
FROM generate_series(1, 12) i;
INSERT INTO tb_comment
SELECT i, 1 + i % 10, 1 + i % 6, 'comment ' || i
FROM generate_series(1, 24) i;
};
	for my $m (@MODELS)
	{
		$sql .= "SELECT readmodel.create('$m->{name}', \$def\$$m->{def}\n\$def\$);\n";
	}
	return $sql;
}

# Build the schema in $db (created unless it is 'postgres').
sub rm_create_schema
{
	my ($node, $db) = @_;
	$db //= 'postgres';
	$node->safe_psql('postgres', "CREATE DATABASE $db") if $db ne 'postgres';
	$node->safe_psql($db,
		"SET client_min_messages = warning;\n" . rm_schema_sql());
	return;
}

=pod

rm_image_diff_sql($table, $definition)

A query returning one number, 0 exactly when $table holds the multiset of
rows a fresh run of $definition returns, column for column, byte for byte
(otherwise the number of positions, in binary-image order, where the two
sides differ).

Why this formulation.  readmodel.verify() compares to_jsonb() of the rows,
which is blind to differences jsonb does not show (and a comparison with =
calls 1.0 and 1.00 equal, and a NULL column never equal).  The operators
*= and *< (the record_image_ops btree operator class) compare records by
the binary image of each column instead: two columns are equal when both
are NULL or when their (detoasted) bytes are the same.  *< is a total order
consistent with *=, so two multisets of rows are equal exactly when,
sorted by *<, they are equal position by position under *=.  Each side is
numbered by row_number() in that order, the two are FULL JOINed on that
number and a pair counts when a side is missing (different row counts) or
the two rows differ by image.  The join column is the row number, never
NULL, so rows that are entirely NULL, or have NULL keys, are still paired
correctly (joining on a.* IS NULL would not be).  *= also refuses (with an
error) rows whose column types differ, so a table column of another type
than the definition's fails the check instead of passing it.

=cut

sub rm_image_diff_sql
{
	my ($table, $def) = @_;
	return qq{
WITH t AS (SELECT row_number() OVER (ORDER BY x USING OPERATOR(pg_catalog.*<)) AS n, x
           FROM $table x),
     d AS (SELECT row_number() OVER (ORDER BY y USING OPERATOR(pg_catalog.*<)) AS n, y
           FROM ($def
           ) y)
SELECT count(*)
FROM t FULL JOIN d ON t.n = d.n
WHERE t.n IS NULL OR d.n IS NULL OR NOT (t.x OPERATOR(pg_catalog.*=) d.y)};
}

=pod

rm_check_comparison($node)

Negative controls for rm_image_diff_sql on a scratch table: it finds a
numeric dscale that = and jsonb = ignore, a missing duplicate and a changed
all-NULL row, and accepts equal multisets that contain NULL rows.

=cut

sub rm_check_comparison
{
	my ($node) = @_;
	$node->safe_psql('postgres', q{
CREATE TABLE image_check (k int, d jsonb, n numeric);
INSERT INTO image_check VALUES
    (1, '{"s": 1.50}', 1.50), (NULL, NULL, NULL), (NULL, NULL, NULL)});
	my $rest = q{UNION ALL SELECT NULL::int, NULL::jsonb, NULL::numeric};
	my @cases = (
		[ "equal multisets, with two all-NULL rows", 0,
		  qq{SELECT 1, '{"s": 1.50}'::jsonb, 1.50 $rest $rest} ],
		[ "jsonb 1.5 against 1.50 (jsonb = calls them equal)", 1,
		  qq{SELECT 1, '{"s": 1.5}'::jsonb, 1.50 $rest $rest} ],
		[ "numeric 1.5 against 1.50", 1,
		  qq{SELECT 1, '{"s": 1.50}'::jsonb, 1.5 $rest $rest} ],
		[ "one all-NULL row fewer", 1,
		  qq{SELECT 1, '{"s": 1.50}'::jsonb, 1.50 $rest} ],
		[ "an all-NULL row against a row with one value", 1,
		  qq{SELECT 1, '{"s": 1.50}'::jsonb, 1.50 $rest
		     UNION ALL SELECT NULL, NULL, 0} ],);
	for my $c (@cases)
	{
		my $n = $node->safe_psql('postgres',
			rm_image_diff_sql('image_check', $c->[2]));
		if ($c->[1])
		{
			cmp_ok($n, '>', 0, "image comparison finds: $c->[0]");
		}
		else
		{
			is($n, '0', "image comparison accepts: $c->[0]");
		}
	}
	my ($ret, $out, $err) = $node->psql('postgres',
		rm_image_diff_sql('image_check',
			qq{SELECT 1, '{"s": 1.50}'::jsonb, 1.50::float8 $rest $rest}));
	like($err, qr/cannot compare dissimilar column types/,
		"image comparison refuses a column of another type");
	$node->safe_psql('postgres', 'DROP TABLE image_check');
	return;
}

=pod

rm_psql_c($node, $db, $sql)

Run $sql as one "psql -X -q -At -v ON_ERROR_STOP=1 -c" (several statements
in it are one implicit transaction), with client_min_messages = warning;
return (psql succeeded, its stdout and stderr together, without the last
newline).  This is how the retired shell suites ran their checks.

=cut

sub rm_psql_c
{
	my ($node, $db, $sql) = @_;
	local $ENV{PGOPTIONS} = '-c client_min_messages=warning';
	my ($out, $err) = ('', '');
	my $ok = IPC::Run::run(
		[
			$node->installed_command('psql'), '-X', '-q', '-At',
			'-v', 'ON_ERROR_STOP=1', '-d', $node->connstr($db), '-c', $sql
		],
		'<', \undef, '>', \$out, '2>', \$err);
	my $all = $out . $err;
	chomp $all;
	return ($ok ? 1 : 0, $all);
}

=pod

rm_end_session($session)

Quit a background psql session whose server process may have died (killed,
or the server restarted): psql has then exited, and quit's "\q" would hit
a closed pipe.

=cut

sub rm_end_session
{
	my ($session) = @_;
	eval { $session->{run}->pump_nb() };
	if (eval { $session->{run}->pumpable() })
	{
		eval { $session->quit };
	}
	else
	{
		eval { $session->{run}->finish };
	}
	return;
}

=pod

rm_table_image_sql($table)

A query returning "rows|md5" over the on-disk bytes of the visible rows of
$table (pageinspect's heap_page_item_attrs, detoasted), independent of
where the rows are stored.  Two servers holding the same rows, byte for
byte, give the same result; used to compare a standby with its primary,
where the rows cannot be joined.  Needs the pageinspect extension and a
superuser, and runs on a hot standby.

=cut

sub rm_table_image_sql
{
	my ($table) = @_;
	return qq{
WITH blocks AS (
         SELECT b::int AS blk
         FROM generate_series(0, pg_relation_size('$table')
                                 / current_setting('block_size')::int - 1) b),
     items AS (
         SELECT format('(%s,%s)', blocks.blk, i.lp)::tid AS ctid,
                (SELECT string_agg(coalesce(encode(a, 'hex'), 'NULL'), ':' ORDER BY o)
                 FROM unnest(i.t_attrs) WITH ORDINALITY u(a, o)) AS image
         FROM blocks,
              heap_page_item_attrs(get_raw_page('$table', blocks.blk), '$table'::regclass, true) i
         WHERE i.lp_flags = 1 AND i.t_attrs IS NOT NULL)
SELECT count(*) || '|' || coalesce(md5(string_agg(items.image, ',' ORDER BY items.image)), '')
FROM items JOIN $table v ON v.ctid = items.ctid};
}

=pod

rm_check_models($node, $db, $label)

For every model: readmodel.verify() returns no rows, and the table equals a
fresh run of its definition (the text the test declared, not the stored
view) by binary image.

=cut

sub rm_check_models
{
	my ($node, $db, $label) = @_;
	for my $m (@MODELS)
	{
		is( $node->safe_psql($db,
				"SELECT count(*) FROM readmodel.verify('$m->{name}')"),
			'0',
			"$label: readmodel.verify('$m->{name}') returns no rows");
		is($node->safe_psql($db, rm_image_diff_sql($m->{name}, $m->{def})),
			'0', "$label: $m->{name} equals its definition by binary image");
	}
	return;
}

=pod

rm_wait_for_blocked_commit($node, $db, $application_name)

Wait until the session with that application_name is executing COMMIT (or
PREPARE TRANSACTION) and waiting for a lock; return its pid.

=cut

sub rm_wait_for_blocked_commit
{
	my ($node, $db, $appname, $command) = @_;
	$command //= 'COMMIT';
	my $cond = qq{
        SELECT count(*) FROM pg_stat_activity
        WHERE application_name = '$appname' AND wait_event_type = 'Lock'
          AND query ~* '^\\s*$command'};
	$node->poll_query_until($db, $cond, '1')
	  or die "the $command of $appname never blocked";
	return $node->safe_psql($db,
		"SELECT pid FROM pg_stat_activity WHERE application_name = '$appname'");
}

1;
