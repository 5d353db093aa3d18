--
-- partitioned_models: options => '{"partition_by": {"hash": N}}' creates
-- the model table partitioned by hash of its key into N partitions
-- (<table>_p0 ...); {"range": col, "partitions": {...}} and {"list": ...}
-- by a key column into the named partitions and <table>_default.
-- Maintenance writes through the parent (a row whose key changes moves to
-- its partition); each partition refuses direct writes like the table; a
-- partition cannot be dropped or detached while the model exists; verify,
-- refresh and models over it work as on any model.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_readmodel;
RESET client_min_messages;
CREATE SCHEMA partitioned_models;
SET search_path = partitioned_models, public;

CREATE TABLE tb_user (pk_user integer PRIMARY KEY, name text NOT NULL);
CREATE TABLE tb_post (pk_post integer PRIMARY KEY, fk_user integer NOT NULL REFERENCES tb_user,
                      title text NOT NULL);
CREATE INDEX ON tb_post (fk_user);
INSERT INTO tb_user SELECT g, 'u' || g FROM generate_series(1, 20) g;
INSERT INTO tb_post SELECT g, 1 + g % 20, 't' || g FROM generate_series(1, 200) g;

SELECT readmodel.create('tv_post', $$
    SELECT p.pk_post, p.fk_user, jsonb_build_object('title', p.title, 'author', u.name) AS data
    FROM tb_post p JOIN tb_user u ON u.pk_user = p.fk_user $$,
    '{"partition_by": {"hash": 4}}');
SELECT c.relname, c.relkind,
       (SELECT count(*) FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = 'readmodel_guard') AS guards
FROM pg_class c WHERE c.relnamespace = 'partitioned_models'::regnamespace AND c.relname LIKE 'tv_post%'
  AND c.relkind IN ('r', 'p') ORDER BY 1;
SELECT tableoid::regclass AS partition, count(*) FROM tv_post GROUP BY 1 ORDER BY 1;
SELECT options FROM readmodel.model WHERE relid = 'tv_post'::regclass;

-- writes routed to the partitions, a parent rename reaching many
UPDATE tb_user SET name = 'U1' WHERE pk_user = 1;
UPDATE tb_post SET title = 'T5' WHERE pk_post = 5;
INSERT INTO tb_post VALUES (1000, 2, 'new');
DELETE FROM tb_post WHERE pk_post = 7;
SELECT count(*) AS verify_rows FROM readmodel.verify('tv_post');
SELECT data FROM tv_post WHERE pk_post IN (5, 1000) ORDER BY pk_post;

-- refused: a direct write to a partition or the table, dropping or
-- detaching a partition, a bad option
INSERT INTO tv_post_p0 VALUES (5000, 1, '{}');
UPDATE tv_post SET data = '{}' WHERE pk_post = 1;
DROP TABLE tv_post_p1;
ALTER TABLE tv_post DETACH PARTITION tv_post_p2;
SELECT readmodel.create('tv_bad', 'SELECT u.pk_user FROM tb_user u', '{"partition_by": {"hash": 1}}');
SELECT readmodel.create('tv_bad', 'SELECT u.pk_user FROM tb_user u', '{"partition_by": {"range": "pk_user"}}');
SELECT readmodel.create('tv_bad', 'SELECT u.pk_user, u.name FROM tb_user u',
                        '{"partition_by": {"list": "name", "partitions": {"a": ["u1"]}}}');
SELECT readmodel.create('tv_bad', 'SELECT u.pk_user FROM tb_user u',
                        '{"partition_by": {"range": "pk_user", "partitions": {"a": {"from": 1}}}}');
SELECT readmodel.create('tv_bad', 'SELECT u.pk_user FROM tb_user u',
                        '{"partition_by": {"list": "pk_user", "partitions": {"default": [1]}}}');
SELECT count(*) AS leftover_bad FROM pg_class WHERE relname LIKE 'tv_bad%';

-- refresh, and a model over the partitioned model
SELECT readmodel.refresh('tv_post');
SELECT readmodel.create('tv_user_posts', $$
    SELECT u.pk_user, (SELECT jsonb_agg(x.pk_post ORDER BY x.pk_post) FROM tv_post x
                       WHERE x.fk_user = u.pk_user) AS posts
    FROM tb_user u $$);
UPDATE tb_post SET fk_user = 3 WHERE pk_post = 10;
SELECT posts FROM tv_user_posts WHERE pk_user IN (3, 11) ORDER BY pk_user;
SELECT m AS model, (SELECT count(*) FROM readmodel.verify(m)) AS verify_rows
FROM unnest(ARRAY['tv_post', 'tv_user_posts']) m;
SELECT status, component FROM readmodel.health_check() WHERE status <> 'ok';

-- Range and list: posts per author and month (key (fk_user, month)),
-- partitioned by month; authors' post counts, listed by author.
ALTER TABLE tb_post ADD COLUMN posted date NOT NULL DEFAULT '2026-01-15';
UPDATE tb_post SET posted = '2026-02-10' WHERE pk_post % 3 = 0;
SELECT readmodel.create('tv_month', $$
    SELECT p.fk_user, date_trunc('month', p.posted)::date AS month, count(*) AS posts
    FROM tb_post p GROUP BY p.fk_user, date_trunc('month', p.posted)::date $$,
    '{"partition_by": {"range": "month", "partitions": {
        "2026_01": {"from": "2026-01-01", "to": "2026-02-01"},
        "2026_02": {"from": "2026-02-01", "to": "2026-03-01"}}}}');
SELECT readmodel.create('tv_author', $$
    SELECT p.fk_user, count(*) AS posts FROM tb_post p GROUP BY p.fk_user $$,
    '{"partition_by": {"list": "fk_user", "partitions": {"low": [1, 2, 3], "four": [4]}}}');
SELECT tableoid::regclass AS partition, count(*) FROM tv_month GROUP BY 1 ORDER BY 1;
SELECT tableoid::regclass AS partition, count(*) FROM tv_author GROUP BY 1 ORDER BY 1;
SELECT options FROM readmodel.model WHERE relid = 'tv_month'::regclass;
-- rows move between partitions, one lands in the default partition
UPDATE tb_post SET posted = '2026-02-20' WHERE fk_user = 2;
INSERT INTO tb_post VALUES (2000, 4, 'march', '2026-03-03');
UPDATE tb_post SET fk_user = 4 WHERE pk_post IN (1, 2, 3);
DELETE FROM tb_post WHERE fk_user = 3;
SELECT tableoid::regclass AS partition, fk_user, month, posts FROM tv_month
WHERE fk_user IN (2, 3, 4) ORDER BY fk_user, month;
SELECT tableoid::regclass AS partition, fk_user, posts FROM tv_author
WHERE fk_user <= 5 ORDER BY fk_user;
DROP TABLE tv_month_2026_02;
ALTER TABLE tv_author DETACH PARTITION tv_author_default;
CREATE TABLE tv_month_2030 PARTITION OF tv_month FOR VALUES FROM ('2030-01-01') TO ('2031-01-01');
-- a replacement keeps the partitions: others are refused, none keeps them
SELECT readmodel.create('tv_author', $$
    SELECT p.fk_user, count(*) AS posts FROM tb_post p GROUP BY p.fk_user $$,
    '{"replace": true, "partition_by": {"list": "fk_user", "partitions": {"low": [1, 2]}}}');
SELECT readmodel.create('tv_author', $$
    SELECT p.fk_user, count(*) AS posts, max(p.pk_post) AS last FROM tb_post p GROUP BY p.fk_user $$,
    '{"replace": true}');
SELECT options FROM readmodel.model WHERE relid = 'tv_author'::regclass;
DROP TABLE tv_author_four;
UPDATE tv_month_default SET posts = 0;
SELECT readmodel.refresh('tv_month');
SELECT m AS model, (SELECT count(*) FROM readmodel.verify(m)) AS verify_rows
FROM unnest(ARRAY['tv_month', 'tv_author']) m;
SELECT readmodel.drop('tv_month'), readmodel.drop('tv_author');

SELECT readmodel.drop('tv_user_posts'), readmodel.drop('tv_post');
SELECT count(*) AS left_over FROM pg_class
WHERE relnamespace = 'partitioned_models'::regnamespace AND relname LIKE 'tv_post%';
DROP SCHEMA partitioned_models CASCADE;
