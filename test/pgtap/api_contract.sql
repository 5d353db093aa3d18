-- pgTAP: the SQL API contract, error SQLSTATEs, and "nothing left behind".
-- Runs in one transaction that is rolled back; readmodel.flush() applies
-- maintenance inside it.
\set ON_ERROR_STOP 1
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS pg_readmodel;

SELECT plan(54);

-- the contract's functions and view
SELECT has_function('readmodel', 'create', ARRAY['text', 'text', 'jsonb']);
SELECT has_function('readmodel', 'drop', ARRAY['text', 'boolean']);
SELECT has_function('readmodel', 'refresh', ARRAY['text']);
SELECT has_function('readmodel', 'suspend', ARRAY['text']);
SELECT has_function('readmodel', 'resume', ARRAY['text']);
SELECT has_function('readmodel', 'verify', ARRAY['text']);
SELECT has_function('readmodel', 'sync', ARRAY['text', 'anyarray']);
SELECT has_function('readmodel', 'sync', ARRAY['text']);
SELECT has_function('readmodel', 'sync_source', ARRAY['text', 'regclass', 'anyarray']);
SELECT has_function('readmodel', 'flush', ARRAY[]::text[]);
SELECT has_function('readmodel', 'queue_stats', ARRAY[]::text[]);
SELECT has_function('readmodel', 'debug_queue', ARRAY[]::text[]);
SELECT has_function('readmodel', 'health_check', ARRAY[]::text[]);
SELECT has_view('readmodel', 'models', 'readmodel.models exists');

CREATE SCHEMA tap;
CREATE TABLE tap.tb_user (pk_user int PRIMARY KEY, name text);
CREATE TABLE tap.tb_post (pk_post int PRIMARY KEY,
                          fk_user int NOT NULL REFERENCES tap.tb_user ON DELETE CASCADE,
                          title text, views int NOT NULL DEFAULT 0);
CREATE MATERIALIZED VIEW tap.mv_post AS SELECT * FROM tap.tb_post;
INSERT INTO tap.tb_user VALUES (1, 'ann'), (2, 'bo');
INSERT INTO tap.tb_post VALUES (1, 1, 'one', 0), (2, 1, 'two', 0), (3, 2, 'three', 0);

SELECT is(readmodel.create('tap.tv_post', $$
    SELECT p.pk_post, p.fk_user,
           jsonb_build_object('title', p.title, 'author', u.name) AS data
    FROM tap.tb_post p JOIN tap.tb_user u ON u.pk_user = p.fk_user $$)::text,
    'tap.tv_post', 'create returns the new table');
SELECT has_table('tap', 'tv_post', 'the read-model table exists');
SELECT has_view('tap', 'tv_post_def', 'the definition view exists');
SELECT col_is_pk('tap', 'tv_post', 'pk_post', 'the key is the primary key');
SELECT is((SELECT count(*)::int FROM pg_trigger
           WHERE tgrelid = 'tap.tb_user'::regclass AND tgname LIKE 'readmodel\_capture\_%'),
          4, 'four capture triggers on a source');
SELECT is((SELECT key::text FROM readmodel.models WHERE name = 'tap.tv_post'::regclass),
          'pk_post', 'key is the root primary key');

-- maintenance inside the transaction, through flush()
UPDATE tap.tb_user SET name = 'ANN' WHERE pk_user = 1;
SELECT is(readmodel.flush(), 2::bigint, 'flush recomputes the two posts of the renamed user');
SELECT is((SELECT data->>'author' FROM tap.tv_post WHERE pk_post = 2), 'ANN',
          'rename reached the post through the join');
UPDATE tap.tb_post SET views = views + 1;
SELECT is(readmodel._pending_keys(), 0::bigint, 'an update of an unread column queues nothing');
SELECT is_empty('SELECT * FROM readmodel.verify(''tap.tv_post'')', 'in sync after changes');

-- errors: SQLSTATE and nothing left behind
SELECT throws_ok($$SELECT readmodel.create('tap.tv_x', 'SELECT 1; SELECT 2')$$,
                 '42P17', NULL, 'two statements: invalid_object_definition');
SELECT throws_ok($$SELECT readmodel.create('tap.tv_x', 'SELECT p.title FROM tap.tb_post p')$$,
                 '42P17', NULL, 'no usable key');
SELECT throws_ok($$SELECT readmodel.create('tap.tv_x', 'SELECT p.pk_post, random() FROM tap.tb_post p')$$,
                 '42P17', NULL, 'volatile function refused');
SELECT throws_ok($$SELECT readmodel.create('tap.tv_x', 'SELECT p.pk_post, now() FROM tap.tb_post p')$$,
                 '42P17', NULL, 'time-dependent function refused');
SELECT throws_ok($$SELECT readmodel.create('tap.tv_x', 'SELECT p.pk_post FROM tap.tb_post p LIMIT 1')$$,
                 '0A000', NULL, 'LIMIT refused as not maintainable');
SELECT throws_ok($$SELECT readmodel.create('tap.tv_x', 'SELECT v.pk_post FROM tap.mv_post v')$$,
                 '42809', NULL, 'a materialized view as source: wrong_object_type');
SELECT throws_ok($$SELECT readmodel.create('tap.tv_post', 'SELECT p.pk_post FROM tap.tb_post p')$$,
                 '42P07', NULL, 'existing name: duplicate_table');
SELECT throws_ok($$SELECT readmodel.create('tap.tv_x', 'SELECT u.pk_user, p.title FROM tap.tb_user u JOIN tap.tb_post p ON p.fk_user = u.pk_user')$$,
                 '0A000', NULL, '1:N join without GROUP BY refused');
SELECT throws_ok($$SELECT readmodel.create('tap.tv_x', 'SELECT p.pk_post FROM tap.tb_post p', '{"mode": "sometimes"}')$$,
                 '22023', NULL, 'bad mode: invalid_parameter_value');
SELECT hasnt_table('tap', 'tv_x', 'failed declarations leave no table');
SELECT hasnt_view('tap', 'tv_x_def', 'failed declarations leave no view');
SELECT is((SELECT count(*)::int FROM readmodel.model WHERE relid::text LIKE '%tv\_x%'), 0,
          'failed declarations leave no catalog row');

-- models over models, the write guard, explain, graph, drop with readers
SELECT lives_ok($$SELECT readmodel.create('tap.tv_post_count', $q$
    SELECT u.pk_user, (SELECT count(*) FROM tap.tv_post p WHERE p.fk_user = u.pk_user) AS n
    FROM tap.tb_user u $q$)$$, 'a model may read another model');
SELECT throws_ok($$INSERT INTO tap.tv_post VALUES (99, 1, '{}')$$,
                 '42809', NULL, 'direct writes to a model: wrong_object_type');
SELECT throws_ok($$SELECT readmodel.drop('tap.tv_post')$$,
                 '2BP01', NULL, 'drop of a model others read: dependent_objects_still_exist');
SELECT is((SELECT string_agg(source::text, ',' ORDER BY source::text)
           FROM readmodel.explain('tap.tv_post') WHERE kind = 'patch'),
          'tap.tb_post,tap.tb_user', 'explain shows a patch for each copied source');
SELECT matches(readmodel.graph(), '"tap.tv_post" -> "tap.tv_post_count"',
               'graph has the edge between the models');
INSERT INTO tap.tb_post VALUES (4, 2, 'four', 0);
SELECT is((SELECT n FROM tap.tv_post_count WHERE pk_user = 2) , 2::bigint,
          'a query of the reader applies the pending work of both models first');
SET LOCAL readmodel.read_your_writes = off;
INSERT INTO tap.tb_post VALUES (5, 2, 'five', 0);
SELECT is((SELECT n FROM tap.tv_post_count WHERE pk_user = 2) , 2::bigint,
          'with read_your_writes off, the reader is current only after the flush ...');
SELECT ok(readmodel.flush() > 0, 'flush applies the pending work');
SELECT is((SELECT n FROM tap.tv_post_count WHERE pk_user = 2) , 3::bigint,
          '... which applies both models in order');
SET LOCAL readmodel.read_your_writes = on;
SELECT lives_ok($$SELECT readmodel.drop('tap.tv_post_count')$$, 'the reader drops alone');

-- drop removes everything
DROP TABLE tap.tv_post;
SELECT hasnt_view('tap', 'tv_post_def', 'DROP TABLE removes the definition view');
SELECT is((SELECT count(*)::int FROM pg_trigger
           WHERE tgrelid = 'tap.tb_user'::regclass AND tgname LIKE 'readmodel\_capture\_%'),
          0, 'DROP TABLE removes capture triggers no model needs');

-- mode manual: no triggers, sync by key and by row, SQLSTATEs of bad input
SELECT lives_ok($$SELECT readmodel.create('tap.tv_user_m', 'SELECT u.pk_user, u.name FROM tap.tb_user u',
                                           '{"mode": "manual"}')$$, 'a manual model is declared');
SELECT is((SELECT count(*)::int FROM pg_trigger
           WHERE tgrelid = 'tap.tb_user'::regclass AND tgname LIKE 'readmodel\_capture\_%'),
          0, 'it installs no capture trigger');
UPDATE tap.tb_user SET name = 'ann2' WHERE pk_user = 1;
SELECT is(readmodel.sync('tap.tv_user_m', ARRAY[1]), 1::bigint, 'sync(keys) applies the key');
SELECT is((SELECT name FROM tap.tv_user_m WHERE pk_user = 1), 'ann2', 'the model holds the change at once');
SELECT throws_ok($$SELECT readmodel.sync('tap.tv_user_m', ARRAY['x'])$$,
                 '42804', NULL, 'keys of another type: datatype_mismatch');
SELECT throws_ok($$SELECT readmodel.sync_source('tap.tv_user_m', 'tap.tb_post', '{}'::tap.tb_post[])$$,
                 '22023', NULL, 'a table the model does not read: invalid_parameter_value');

SELECT * FROM finish();
ROLLBACK;
