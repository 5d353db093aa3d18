--
-- strategy: a statement that touches a large share of a model is applied by
-- one rebuilding diff instead of a keyed recompute; the choice is counted
-- in queue_stats() and model_stats(), and the result is the same.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_readmodel;
RESET client_min_messages;
CREATE SCHEMA strategy;
SET search_path = strategy, public;

CREATE TABLE tb_item (pk_item integer PRIMARY KEY, grp integer NOT NULL, price integer NOT NULL);
INSERT INTO tb_item SELECT g, g % 10, g FROM generate_series(1, 2000) g;
SELECT readmodel.create('tv_item', $$
    SELECT i.pk_item, jsonb_build_object('price', i.price, 'twice', i.price * 2) AS data
    FROM tb_item i
$$);
CREATE FUNCTION stat(name text) RETURNS bigint LANGUAGE sql
AS $$ SELECT (readmodel.queue_stats()->>name)::bigint $$;
CREATE TEMP TABLE before AS SELECT stat('rebuilds_chosen') AS rebuilds, stat('keys_recomputed') AS keys;

-- 1. A few keys: recomputed as keys.
UPDATE tb_item SET price = price + 1 WHERE pk_item <= 10;
SELECT stat('rebuilds_chosen') - rebuilds AS rebuilds, stat('keys_recomputed') - keys AS keys FROM before;

-- 2. Every row: one rebuild (past readmodel.rebuild_fraction = 0.9).
UPDATE tb_item SET price = price + 1 WHERE pk_item <= 1900;
SELECT stat('rebuilds_chosen') - rebuilds AS rebuilds, stat('keys_recomputed') - keys AS keys FROM before;
SELECT * FROM readmodel.verify('tv_item');

-- 3. With the switch off, the same statement is recomputed key by key.
SET readmodel.rebuild_fraction = 0;
UPDATE tb_item SET price = price + 1 WHERE pk_item <= 1900;
RESET readmodel.rebuild_fraction;
SELECT stat('rebuilds_chosen') - rebuilds AS rebuilds, stat('keys_recomputed') - keys AS keys FROM before;
SELECT * FROM readmodel.verify('tv_item');

-- 4. Per model, in this backend.
SELECT model, depth, applies, rebuilds_chosen, rows_written > 0 AS wrote
FROM readmodel.model_stats();

-- 5. A skewed parent: category 1 owns 4,990 of 5,000 items.  Renaming the
-- small category patches its 10 rows through the index on fk_cat; planned
-- from the column's average (2 distinct values), the patch would scan the
-- whole model instead.
CREATE TABLE tb_cat (pk_cat int PRIMARY KEY, name text);
CREATE TABLE tb_thing (pk_thing int PRIMARY KEY, fk_cat int REFERENCES tb_cat);
INSERT INTO tb_cat VALUES (1, 'big'), (2, 'small');
INSERT INTO tb_thing SELECT i, CASE WHEN i <= 10 THEN 2 ELSE 1 END FROM generate_series(1, 5000) i;
CREATE INDEX ON tb_thing (fk_cat);
SELECT readmodel.create('tv_thing', $$
    SELECT t.pk_thing, t.fk_cat, jsonb_build_object('cat', c.name) AS data
    FROM tb_thing t JOIN tb_cat c ON c.pk_cat = t.fk_cat
$$);
ANALYZE tv_thing;
SELECT pg_stat_force_next_flush();	-- the counts below are this transaction's only
BEGIN;
UPDATE tb_cat SET name = 'little' WHERE pk_cat = 2;
SELECT readmodel.flush() AS patched;
SELECT seq_scan, idx_scan > 0 AS probed FROM pg_stat_xact_user_tables WHERE relid = 'tv_thing'::regclass;
COMMIT;
SELECT * FROM readmodel.verify('tv_thing');

-- 6. A rollup over few groups (10 groups of 10,000 members): planned once
-- for any few keys, "= ANY($1)" would read as most of the categories and the
-- recompute of one group would scan every product.  Its diff is planned for
-- the actual key, and reads only that category's products by the index.
CREATE TABLE tb_group (pk_group int PRIMARY KEY, name text NOT NULL);
CREATE TABLE tb_member (pk_member int PRIMARY KEY, fk_group int NOT NULL REFERENCES tb_group,
                        name text, price numeric(10,2));
INSERT INTO tb_group SELECT g, 'g' || g FROM generate_series(1, 10) g;
INSERT INTO tb_member SELECT i, 1 + i % 10, 'm' || i, i % 1000 / 10.0 FROM generate_series(1, 100000) i;
CREATE INDEX ON tb_member (fk_group);
VACUUM ANALYZE tb_group, tb_member;
SELECT readmodel.create('tv_group', $$
    SELECT g.pk_group, g.name, count(*) AS members, sum(m.price) AS total,
           avg(m.price) AS mean, max(m.price) AS top
    FROM tb_group g JOIN tb_member m ON m.fk_group = g.pk_group
    GROUP BY g.pk_group, g.name
$$);
SELECT pg_stat_force_next_flush();
BEGIN;
INSERT INTO tb_member VALUES (100001, 3, 'new', 7.25);
SELECT readmodel.flush() AS recomputed;
SELECT seq_scan, idx_scan > 0 AS probed FROM pg_stat_xact_user_tables WHERE relid = 'tb_member'::regclass;
COMMIT;
DELETE FROM tb_member WHERE pk_member IN (1, 100001);
SELECT * FROM readmodel.verify('tv_group');

-- Clean up.
SET client_min_messages = warning;
DROP SCHEMA strategy CASCADE;
RESET client_min_messages;
DROP EXTENSION pg_readmodel;
