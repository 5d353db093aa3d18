--
-- change_feed: options feed and notify keep the keys of the model rows a
-- transaction changes; readmodel.changes() lists them (the queue applied
-- first), and a model with notify sends them at commit (the isolation spec
-- change_feed_notify shows the notifications, whose text names a PID).
-- Every write path is seen: recompute, patch, fold, rebuild, refresh.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_readmodel;
RESET client_min_messages;
CREATE SCHEMA cf;
SET search_path = cf, public;

CREATE TABLE tb_user (pk_user integer PRIMARY KEY, name text NOT NULL);
CREATE TABLE tb_post (pk_post integer PRIMARY KEY, fk_user integer NOT NULL REFERENCES tb_user,
                      title text NOT NULL, score integer NOT NULL DEFAULT 0);
CREATE INDEX ON tb_post (fk_user);
INSERT INTO tb_user VALUES (1, 'alice'), (2, 'bob');
INSERT INTO tb_post VALUES (10, 1, 'first', 1), (11, 2, 'second', 2), (12, 2, 'third', 3);

SELECT readmodel.create('tv_post', $$
    SELECT p.pk_post, p.fk_user, jsonb_build_object('title', p.title, 'author', u.name) AS data
    FROM tb_post p JOIN tb_user u ON u.pk_user = p.fk_user
$$, '{"notify": true}');
-- a rollup kept by deltas, with a feed but no notifications
SELECT readmodel.create('tv_user_score', $$
    SELECT p.fk_user, count(*) AS posts, sum(p.score) AS score FROM tb_post p GROUP BY p.fk_user
$$, '{"feed": true}');
-- a composite key
CREATE TABLE tb_stock (warehouse text, sku integer, qty integer NOT NULL, PRIMARY KEY (warehouse, sku));
INSERT INTO tb_stock VALUES ('north', 1, 5), ('south', 1, 7);
SELECT readmodel.create('tv_stock', $$
    SELECT s.warehouse, s.sku, s.qty FROM tb_stock s
$$, '{"key": ["warehouse", "sku"], "feed": true}');
SELECT relid::regclass AS model, options FROM readmodel.model ORDER BY 1::text;
SELECT tgrelid::regclass AS tbl, tgname FROM pg_trigger
WHERE tgname LIKE 'readmodel_feed_%' ORDER BY tgrelid::regclass::text, tgname;

-- a. a recompute and a fold; changes() applies the queue first
BEGIN;
UPDATE tb_user SET name = 'BOB' WHERE pk_user = 2;
UPDATE tb_post SET score = score + 1 WHERE pk_post = 10;
SELECT * FROM readmodel.changes() ORDER BY model::text, key;
-- b. a delete, a patch (title is copied), an insert; a no-op writes nothing
DELETE FROM tb_post WHERE pk_post = 12;
UPDATE tb_post SET title = 'FIRST' WHERE pk_post = 10;
INSERT INTO tb_post VALUES (13, 1, 'fourth', 4);
UPDATE tb_user SET name = name WHERE pk_user = 1;
SELECT * FROM readmodel.changes() ORDER BY model::text, key;
-- c. a rolled-back savepoint takes its changes with it
SAVEPOINT s;
INSERT INTO tb_post VALUES (14, 2, 'fifth', 5);
SELECT count(*) AS with_14 FROM readmodel.changes() WHERE key = '14';
ROLLBACK TO s;
SELECT count(*) AS with_14 FROM readmodel.changes() WHERE key = '14';
-- d. a key deleted and written again ends as changed
DELETE FROM tb_post WHERE pk_post = 13;
SELECT key, deleted FROM readmodel.changes() WHERE model = 'tv_post'::regclass AND key = '13';
INSERT INTO tb_post VALUES (13, 1, 'fourth again', 4);
SELECT key, deleted FROM readmodel.changes() WHERE model = 'tv_post'::regclass AND key = '13';
COMMIT;
-- a new transaction starts with none
SELECT count(*) AS changes FROM readmodel.changes();

-- e. composite keys are JSON arrays; a rebuild (TRUNCATE) lists every row
BEGIN;
UPDATE tb_stock SET qty = qty + 1 WHERE warehouse = 'north';
SELECT * FROM readmodel.changes();
TRUNCATE tb_stock;
SELECT * FROM readmodel.changes() ORDER BY key;
ROLLBACK;

-- f. refresh() and a mutation that returns what it touched
BEGIN;
SELECT readmodel.refresh('tv_post') AS rows_written;
SELECT count(*) AS changes FROM readmodel.changes();
CREATE FUNCTION rename_user(u integer, n text) RETURNS TABLE (model regclass, key text)
LANGUAGE plpgsql AS $f$
BEGIN
    UPDATE cf.tb_user SET name = n WHERE pk_user = u;
    RETURN QUERY SELECT c.model, c.key FROM readmodel.changes() c WHERE NOT c.deleted;
END
$f$;
SELECT * FROM rename_user(1, 'Alice') ORDER BY 1::text, 2;
-- the documents of the changed rows, by the key's type
SELECT p.pk_post, p.data->>'author' AS author
FROM readmodel.changes() c JOIN tv_post p ON p.pk_post = c.key::integer
WHERE c.model = 'tv_post'::regclass ORDER BY 1;
COMMIT;

-- g. a prepared transaction commits, without notifications
BEGIN;
UPDATE tb_post SET title = 'prepared' WHERE pk_post = 11;
PREPARE TRANSACTION 'cf_feed';
COMMIT PREPARED 'cf_feed';
SELECT data->>'title' AS title FROM tv_post WHERE pk_post = 11;

-- h. only the models the caller may read
CREATE ROLE cf_reader;
GRANT USAGE ON SCHEMA cf TO cf_reader;
GRANT SELECT ON tv_user_score TO cf_reader;
GRANT UPDATE, SELECT ON tb_post TO cf_reader;
SET ROLE cf_reader;
BEGIN;
UPDATE tb_post SET score = 0 WHERE pk_post = 11;
SELECT model, key FROM readmodel.changes() ORDER BY 1::text, 2;
COMMIT;
RESET ROLE;

-- i. options: bad values; replace without the option drops the triggers
SELECT readmodel.create('tv_bad', $$ SELECT u.pk_user FROM tb_user u $$, '{"feed": "yes"}');
SELECT readmodel.create('tv_bad', $$ SELECT u.pk_user FROM tb_user u $$, '{"notify": ""}');
SELECT readmodel.create('tv_bad', $$ SELECT u.pk_user FROM tb_user u $$, '{"notify": 3}');
SELECT readmodel.create('tv_stock', $$
    SELECT s.warehouse, s.sku, s.qty FROM tb_stock s
$$, '{"key": ["warehouse", "sku"], "replace": true}');
SELECT count(*) AS feed_triggers FROM pg_trigger WHERE tgrelid = 'tv_stock'::regclass AND tgname LIKE 'readmodel_feed_%';
SELECT options FROM readmodel.model WHERE relid = 'tv_stock'::regclass;
-- the feed's trigger fires for maintenance only: the write guard refuses others
INSERT INTO tv_post VALUES (99, 1, '{}');

SELECT count(*) AS problems FROM readmodel.verify('tv_post');
SELECT count(*) AS problems FROM readmodel.verify('tv_user_score');

SET client_min_messages = warning;
DROP SCHEMA cf CASCADE;
DROP ROLE cf_reader;
