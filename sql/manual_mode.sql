--
-- manual_mode: a model of mode manual has no capture triggers; the
-- application names what it changed with readmodel.sync(model, keys),
-- readmodel.sync(model) or readmodel.sync_source(model, source, rows), and
-- the model holds the change when the call returns.  Every section ends
-- with verify(), which compares the table with a fresh run of the
-- definition by binary image.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_readmodel;
RESET client_min_messages;
CREATE SCHEMA mm;
SET search_path = mm, public;

CREATE TABLE tb_user (pk_user integer PRIMARY KEY, name text NOT NULL);
CREATE TABLE tb_post (
    pk_post integer PRIMARY KEY,
    fk_user integer NOT NULL REFERENCES tb_user,
    title   text NOT NULL,
    score   numeric(6,2) NOT NULL DEFAULT 0
);
CREATE INDEX ON tb_post (fk_user);
CREATE TABLE tb_comment (
    pk_comment integer PRIMARY KEY,
    fk_post    integer NOT NULL REFERENCES tb_post ON DELETE CASCADE,
    body       text NOT NULL
);
CREATE INDEX ON tb_comment (fk_post);
INSERT INTO tb_user VALUES (1, 'alice'), (2, 'bob');
INSERT INTO tb_post VALUES (10, 1, 'first', 1.5), (11, 2, 'second', 2), (12, 2, 'third', 0);
INSERT INTO tb_comment VALUES (100, 10, 'nice'), (101, 10, 'meh'), (102, 11, 'ok');

-- the FraiseQL shape: a post with its author and its comments
SELECT readmodel.create('tv_post', $$
    SELECT p.pk_post,
           jsonb_build_object('title', p.title, 'score', p.score, 'author', u.name,
                              'comments', COALESCE(jsonb_agg(c.body ORDER BY c.pk_comment)
                                                   FILTER (WHERE c.pk_comment IS NOT NULL), '[]')) AS data
    FROM tb_post p
    JOIN tb_user u ON u.pk_user = p.fk_user
    LEFT JOIN tb_comment c ON c.fk_post = p.pk_post
    GROUP BY p.pk_post, u.name
$$, '{"mode": "manual"}');

-- a. no capture triggers anywhere; explain and models say manual
SELECT count(*) AS capture_triggers FROM pg_trigger WHERE tgname LIKE 'readmodel_capture_%';
SELECT mode FROM readmodel.models WHERE name = 'tv_post'::regclass;
SELECT detail FROM readmodel.explain('tv_post') WHERE kind IN ('model', 'triggers') ORDER BY source::text, detail;

-- b. writes are not seen until synced; sync(keys) recomputes exactly those
UPDATE tb_post SET title = 'FIRST' WHERE pk_post = 10;
UPDATE tb_post SET title = 'SECOND' WHERE pk_post = 11;
SELECT pk_post, data->>'title' AS title FROM tv_post ORDER BY 1;
SELECT readmodel.sync('tv_post', ARRAY[10]);
SELECT pk_post, data->>'title' AS title FROM tv_post ORDER BY 1;
-- bigint and numeric keys are cast to the key's type; NULLs are skipped;
-- a key twice, or one with no row, costs nothing more
SELECT readmodel.sync('tv_post', ARRAY[11::bigint, NULL, 11, 999]);
SELECT count(*) AS problems FROM readmodel.verify('tv_post');

-- c. inside the writing transaction: the model holds the change at once
BEGIN;
INSERT INTO tb_post VALUES (13, 1, 'fourth', 3.25);
INSERT INTO tb_comment VALUES (103, 13, 'first!');
SELECT readmodel.sync('tv_post', ARRAY[13]);
SELECT data FROM tv_post WHERE pk_post = 13;
-- a delete, synced: the row leaves
DELETE FROM tb_post WHERE pk_post = 12;
SELECT readmodel.sync('tv_post', ARRAY[12]);
SELECT count(*) AS gone FROM tv_post WHERE pk_post = 12;
ROLLBACK;
-- the rollback took the synced rows with it
SELECT count(*) AS problems FROM readmodel.verify('tv_post');

-- d. sync_source: rows of a source, mapped by the model's routes
UPDATE tb_user SET name = 'BOB' WHERE pk_user = 2;
SELECT readmodel.sync_source('tv_post', 'tb_user',
                             (SELECT array_agg(u) FROM tb_user u WHERE pk_user = 2));
SELECT pk_post, data->>'author' AS author FROM tv_post ORDER BY 1;
-- a moved comment: its old and new rows, from the statement itself
WITH old AS (SELECT c FROM tb_comment c WHERE pk_comment = 101),
     moved AS (UPDATE tb_comment SET fk_post = 11 WHERE pk_comment = 101 RETURNING tb_comment)
SELECT readmodel.sync_source('tv_post', 'tb_comment',
                             (SELECT array_agg(c) FROM old) || (SELECT array_agg(tb_comment) FROM moved));
SELECT pk_post, data->'comments' AS comments FROM tv_post ORDER BY 1;
-- a deleted comment: the row DELETE ... RETURNING gives
WITH gone AS (DELETE FROM tb_comment WHERE pk_comment = 100 RETURNING tb_comment)
SELECT readmodel.sync_source('tv_post', 'tb_comment', (SELECT array_agg(tb_comment) FROM gone));
SELECT count(*) AS problems FROM readmodel.verify('tv_post');
-- a scale-only change is a change (10.5 and 10.50 are different documents)
UPDATE tb_post SET score = 1.50 WHERE pk_post = 10;
UPDATE tb_post SET score = 2.00 WHERE pk_post = 11;
SELECT readmodel.sync_source('tv_post', 'tb_post', (SELECT array_agg(p) FROM tb_post p WHERE pk_post = 11));
SELECT pk_post, data->'score' AS score FROM tv_post WHERE pk_post = 11;

-- e. sync(model): a rebuild by diff, for whatever was not named
UPDATE tb_post SET title = 'unsynced' WHERE pk_post = 12;
DELETE FROM tb_comment WHERE pk_comment = 102;
SELECT count(*) > 0 AS differs FROM readmodel.verify('tv_post');
SELECT readmodel.sync('tv_post');
SELECT count(*) AS problems FROM readmodel.verify('tv_post');

-- f. bad input: clear errors, nothing queued
SELECT readmodel.sync('tv_post', ARRAY['x']);
SELECT readmodel.sync('tv_post', ARRAY[now()]);
SELECT readmodel.sync_source('tv_post', 'tb_user', ARRAY[1]);
SELECT readmodel.sync_source('tv_post', 'tb_post', (SELECT array_agg(u) FROM tb_user u));
CREATE TABLE tb_other (id integer PRIMARY KEY);
SELECT readmodel.sync_source('tv_post', 'tb_other', '{}'::tb_other[]);
-- STRICT: no rows (array_agg of none is NULL) is nothing to do
SELECT readmodel.sync_source('tv_post', 'tb_user', (SELECT array_agg(u) FROM tb_user u WHERE false)) IS NULL AS nothing;
SELECT readmodel.sync('tb_user', ARRAY[1]);
SELECT readmodel.sync('tv_post', NULL::int[]);
SELECT count(*) AS queued FROM readmodel.debug_queue();

-- g. a composite key: keys are rows of the key's types
CREATE TABLE tb_stock (warehouse text, sku integer, qty integer NOT NULL, PRIMARY KEY (warehouse, sku));
INSERT INTO tb_stock VALUES ('north', 1, 5), ('south', 1, 7);
SELECT readmodel.create('tv_stock', $$
    SELECT s.warehouse, s.sku, jsonb_build_object('qty', s.qty) AS data FROM tb_stock s
$$, '{"mode": "manual", "key": ["warehouse", "sku"]}');
UPDATE tb_stock SET qty = qty + 1;
SELECT readmodel.sync('tv_stock', ARRAY[ROW('north'::text, 1)]);
SELECT warehouse, sku, data FROM tv_stock ORDER BY 1, 2;
SELECT readmodel.sync('tv_stock', ARRAY[ROW('south', 1::bigint)]);
SELECT readmodel.sync('tv_stock', ARRAY[1]);
SELECT readmodel.sync_source('tv_stock', 'tb_stock', (SELECT array_agg(s) FROM tb_stock s WHERE warehouse = 'south'));
SELECT count(*) AS problems FROM readmodel.verify('tv_stock');

-- h. a window model is recomputed by partition: sync_source or a rebuild
CREATE TABLE tb_score (pk_score integer PRIMARY KEY, team integer NOT NULL, points integer NOT NULL);
INSERT INTO tb_score VALUES (1, 1, 10), (2, 1, 20), (3, 2, 5);
SELECT readmodel.create('tv_rank', $$
    SELECT s.pk_score, s.team, rank() OVER (PARTITION BY s.team ORDER BY s.points DESC, s.pk_score) AS rnk FROM tb_score s
$$, '{"mode": "manual"}');
UPDATE tb_score SET points = 30 WHERE pk_score = 1 RETURNING *;
SELECT readmodel.sync('tv_rank', ARRAY[1]);
SELECT readmodel.sync_source('tv_rank', 'tb_score', (SELECT array_agg(s) FROM tb_score s WHERE pk_score = 1));
SELECT * FROM tv_rank ORDER BY 1;
SELECT count(*) AS problems FROM readmodel.verify('tv_rank');

-- i. cascade: a commit-mode model reading a manual one follows its syncs
SELECT readmodel.create('tv_user_posts', $$
    SELECT u.pk_user, count(p.pk_post) AS posts, jsonb_agg(p.data ORDER BY p.pk_post) AS docs
    FROM tb_user u JOIN tb_post t ON t.fk_user = u.pk_user JOIN tv_post p ON p.pk_post = t.pk_post
    GROUP BY u.pk_user
$$);
SELECT tgrelid::regclass AS captured FROM pg_trigger
WHERE tgname = 'readmodel_capture_insert' ORDER BY tgrelid::regclass::text;
UPDATE tb_post SET title = 'cascaded' WHERE pk_post = 10;
-- tv_user_posts captures tb_post itself: its document of post 10 is stale until tv_post syncs
SELECT readmodel.sync('tv_post', ARRAY[10]);
SELECT docs->0->>'title' AS title FROM tv_user_posts WHERE pk_user = 1;
SELECT count(*) AS problems FROM readmodel.verify('tv_post');
SELECT count(*) AS problems FROM readmodel.verify('tv_user_posts');
SELECT readmodel.drop('tv_user_posts');

-- j. no aggregate-delta state for a manual model (deltas come from capture)
CREATE TABLE tb_sale (pk_sale integer PRIMARY KEY, fk_user integer NOT NULL, amount integer NOT NULL);
SELECT readmodel.create('tv_sales', $$
    SELECT s.fk_user, count(*) AS n, sum(s.amount) AS total FROM tb_sale s GROUP BY s.fk_user
$$, '{"mode": "manual"}');
SELECT state IS NULL AS no_state FROM readmodel.model WHERE relid = 'tv_sales'::regclass;
INSERT INTO tb_sale VALUES (1, 1, 5), (2, 1, 6);
SELECT readmodel.sync('tv_sales', ARRAY[1]);
SELECT * FROM tv_sales;

-- k. replace changes the mode: triggers come and go with it
SELECT readmodel.create('tv_sales', $$
    SELECT s.fk_user, count(*) AS n, sum(s.amount) AS total FROM tb_sale s GROUP BY s.fk_user
$$, '{"replace": true}');
SELECT count(*) AS capture_triggers FROM pg_trigger WHERE tgrelid = 'tb_sale'::regclass;
INSERT INTO tb_sale VALUES (3, 1, 7);
SELECT * FROM tv_sales;
SELECT readmodel.create('tv_sales', $$
    SELECT s.fk_user, count(*) AS n, sum(s.amount) AS total FROM tb_sale s GROUP BY s.fk_user
$$, '{"replace": true, "mode": "manual"}');
SELECT count(*) AS capture_triggers FROM pg_trigger WHERE tgrelid = 'tb_sale'::regclass;
SELECT state IS NULL AS no_state FROM readmodel.model WHERE relid = 'tv_sales'::regclass;

-- l. suspended or stale models are not synced
SELECT readmodel.suspend('tv_sales');
SELECT readmodel.sync('tv_sales', ARRAY[1]);
SELECT readmodel.sync('tv_sales');
SELECT readmodel.resume('tv_sales');
SELECT readmodel.sync('tv_sales', ARRAY[1]);

-- m. privileges: SELECT on the model, and its owner or a writer of a source
CREATE ROLE mm_reader;
CREATE ROLE mm_writer;
CREATE ROLE mm_stranger;
GRANT USAGE ON SCHEMA mm TO mm_reader, mm_writer, mm_stranger;
GRANT SELECT ON tv_post TO mm_reader, mm_writer;
GRANT SELECT, UPDATE ON tb_user TO mm_writer;
GRANT SELECT ON tb_user, tb_comment TO mm_reader;
SET ROLE mm_stranger;
SELECT readmodel.sync('tv_post', ARRAY[10]);
SET ROLE mm_reader;
SELECT readmodel.sync('tv_post', ARRAY[10]);
SELECT readmodel.sync_source('tv_post', 'tb_user', (SELECT array_agg(u) FROM tb_user u));
SET ROLE mm_writer;
UPDATE tb_user SET name = 'Alice' WHERE pk_user = 1;
SELECT readmodel.sync_source('tv_post', 'tb_user', (SELECT array_agg(u) FROM tb_user u WHERE pk_user = 1));
-- a writer of tb_user is not a writer of tb_comment
SELECT readmodel.sync_source('tv_post', 'tb_comment', '{}'::tb_comment[]);
SELECT readmodel.sync('tv_post', ARRAY[10]);
-- maintenance ran as the owner: the writer gained nothing on tv_post
SELECT has_table_privilege('tv_post', 'INSERT') AS writer_may_insert;
RESET ROLE;
SELECT data->>'author' AS author FROM tv_post WHERE pk_post = 10;
SELECT count(*) AS problems FROM readmodel.verify('tv_post');

-- n. a hostile search_path and output settings change nothing
SET search_path = pg_temp, public;
SET extra_float_digits = 3;
SET DateStyle = 'German';
UPDATE mm.tb_post SET title = 'path' WHERE pk_post = 11;
SELECT readmodel.sync('mm.tv_post', ARRAY[11]);
RESET DateStyle;
RESET extra_float_digits;
SET search_path = mm, public;
SELECT count(*) AS problems FROM readmodel.verify('tv_post');

-- o. mode deferred needs its background worker (t/009_deferred.pl runs it);
-- lag limits are intervals, and only for it
SELECT readmodel.create('tv_deferred', $$ SELECT u.pk_user, u.name FROM tb_user u $$,
                        '{"mode": "deferred"}');
SELECT readmodel.create('tv_deferred', $$ SELECT u.pk_user, u.name FROM tb_user u $$,
                        '{"max_lag": "1 s"}');
SELECT readmodel.create('tv_deferred', $$ SELECT u.pk_user, u.name FROM tb_user u $$,
                        '{"expected_lag": "soon"}');

RESET ROLE;
SET client_min_messages = warning;
DROP SCHEMA mm CASCADE;
DROP ROLE mm_reader;
DROP ROLE mm_writer;
DROP ROLE mm_stranger;
