--
-- delta_aggregates: rollups whose count, sum, avg, min, max, bool_and and
-- bool_or are kept by deltas (src/delta.h).  After every step the model
-- equals its definition by binary image (readmodel.verify), and the steps
-- that must be folded are shown to read no other row of the group.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_readmodel;
RESET client_min_messages;
CREATE SCHEMA delta_aggregates;
SET search_path = delta_aggregates, public;

CREATE TABLE tb_category (pk_category int PRIMARY KEY, name text);
CREATE TABLE tb_product (pk_product int PRIMARY KEY, fk_category int, name text,
                         price numeric(10,2), qty int, weight bigint, made date,
                         active bool);
INSERT INTO tb_category SELECT g, 'c' || g FROM generate_series(1, 4) g;
INSERT INTO tb_product
SELECT g, 1 + g % 3, 'p' || g, g * 1.25, g % 7, g * 1000000000::bigint, date '2026-01-01' + g,
       g % 5 <> 0
FROM generate_series(1, 60) g;
CREATE INDEX ON tb_product (fk_category);

-- 1. Every kind, a FILTER, and the aggregates of several input types.
SELECT readmodel.create('tv_category', $$
    SELECT c.pk_category, c.name,
           count(*) AS products, count(p.price) AS priced,
           sum(p.price) AS total, avg(p.price) AS mean,
           min(p.price) AS cheapest, max(p.price) AS dearest,
           sum(p.price) FILTER (WHERE p.qty > 3) AS total_big,
           count(*) FILTER (WHERE p.active) AS active,
           sum(p.qty) AS qty, avg(p.qty) AS mean_qty, max(p.qty) AS max_qty,
           sum(p.weight) AS weight, avg(p.weight) AS mean_weight,
           min(p.made) AS first_made, max(p.made) AS last_made,
           bool_and(p.active) AS all_active, bool_or(p.active) AS any_active,
           every(p.active) AS all_active_too
    FROM tb_category c JOIN tb_product p ON p.fk_category = c.pk_category
    GROUP BY c.pk_category, c.name
$$);
SELECT relid, state FROM readmodel.model WHERE relid = 'tv_category'::regclass;
SELECT count(*) AS state_rows FROM tv_category_state;

-- The first change of a group computes its state; the next ones fold.
INSERT INTO tb_product VALUES (100, 1, 'new', 99.99, 4, 7, '2027-01-01', true);
SELECT k, n FROM tv_category_state ORDER BY k;
SELECT * FROM readmodel.verify('tv_category');

-- A fold reads neither the products nor the categories.
SELECT pg_stat_force_next_flush();
BEGIN;
INSERT INTO tb_product VALUES (101, 1, 'more', 0.01, 9, -5, '2020-01-01', false);
SELECT readmodel.flush() AS applied;
SELECT relname, seq_scan, coalesce(idx_scan, 0) AS idx_scan
FROM pg_stat_xact_user_tables
WHERE relname IN ('tb_product', 'tb_category') ORDER BY relname;
COMMIT;
SELECT * FROM readmodel.verify('tv_category');

-- 2. Updates, in place and moving between groups, and deletes.
UPDATE tb_product SET price = price + 1, qty = qty + 1 WHERE pk_product IN (3, 6, 9);
UPDATE tb_product SET fk_category = 2 WHERE pk_product = 12;
DELETE FROM tb_product WHERE pk_product IN (15, 16);
SELECT * FROM readmodel.verify('tv_category');

-- The maximum leaves (the group is read again), then the minimum.
DELETE FROM tb_product WHERE pk_product = 100;
UPDATE tb_product SET price = 50 WHERE pk_product = 101;
SELECT * FROM readmodel.verify('tv_category');

-- NULL inputs: counts, sums and averages of what is not NULL.
UPDATE tb_product SET price = NULL, qty = NULL, active = NULL WHERE fk_category = 3;
SELECT pk_category, products, priced, total, mean, cheapest, all_active, any_active
FROM tv_category ORDER BY 1;
SELECT * FROM readmodel.verify('tv_category');
UPDATE tb_product SET price = 2.50 WHERE pk_product = 2;
SELECT * FROM readmodel.verify('tv_category');

-- 3. A new group, an emptied group, a group with a NaN.
INSERT INTO tb_product VALUES (200, 4, 'first', 1.00, 1, 1, '2026-06-01', true);
SELECT pk_category, products, total FROM tv_category WHERE pk_category = 4;
INSERT INTO tb_product VALUES (201, 4, 'nan', 'NaN', 1, 1, '2026-06-02', true);
SELECT pk_category, products, total, mean, dearest FROM tv_category WHERE pk_category = 4;
INSERT INTO tb_product VALUES (202, 4, 'after', 3.00, 1, 1, '2026-06-03', true);
SELECT * FROM readmodel.verify('tv_category');
DELETE FROM tb_product WHERE pk_product = 201;
SELECT pk_category, products, total, mean, dearest FROM tv_category WHERE pk_category = 4;
DELETE FROM tb_product WHERE fk_category = 4;
SELECT count(*) AS category_4 FROM tv_category WHERE pk_category = 4;
SELECT * FROM readmodel.verify('tv_category');

-- 4. Savepoints: what a rolled back savepoint added is gone, also after a
-- flush inside it.
BEGIN;
INSERT INTO tb_product VALUES (300, 1, 'kept', 7.00, 2, 2, '2026-02-02', true);
SAVEPOINT s;
INSERT INTO tb_product VALUES (301, 1, 'undone', 700.00, 2, 2, '2026-02-03', true);
ROLLBACK TO s;
INSERT INTO tb_product VALUES (302, 2, 'kept too', 8.00, 2, 2, '2026-02-04', false);
SAVEPOINT t;
UPDATE tb_product SET price = price * 2 WHERE fk_category = 2;
SELECT readmodel.flush() > 0 AS flushed;
ROLLBACK TO t;
COMMIT;
SELECT * FROM readmodel.verify('tv_category');

-- 5. Many rows in one statement, COPY, MERGE, a repeated change in one
-- transaction, TRUNCATE.
UPDATE tb_product SET price = price + 0.01 WHERE pk_product % 2 = 0;
COPY tb_product FROM stdin;
400	2	copied	4.40	4	4	2026-04-04	t
401	3	copied	\N	\N	\N	\N	\N
\.
MERGE INTO tb_product p USING (VALUES (400, 9.99), (402, 1.11)) v(k, price) ON p.pk_product = v.k
WHEN MATCHED THEN UPDATE SET price = v.price
WHEN NOT MATCHED THEN INSERT (pk_product, fk_category, price) VALUES (v.k, 1, v.price);
BEGIN;
UPDATE tb_product SET qty = qty + 1 WHERE pk_product = 400;
UPDATE tb_product SET qty = qty + 1 WHERE pk_product = 400;
DELETE FROM tb_product WHERE pk_product = 402;
COMMIT;
SELECT * FROM readmodel.verify('tv_category');
TRUNCATE tb_product;
SELECT count(*) AS rows, (SELECT count(*) FROM tv_category_state) AS state_rows FROM tv_category;
INSERT INTO tb_product VALUES (500, 1, 'again', 5.00, 5, 5, '2026-05-05', true),
                              (501, 1, 'again', 6.00, 6, 6, '2026-05-06', true);
INSERT INTO tb_product VALUES (502, 1, 'again', 7.00, 7, 7, '2026-05-07', true);
SELECT * FROM readmodel.verify('tv_category');

-- 6. The root's changes: a rename is patched, a new category with products.
UPDATE tb_category SET name = 'renamed' WHERE pk_category = 1;
INSERT INTO tb_category VALUES (5, 'c5');
INSERT INTO tb_product VALUES (600, 5, 'x', 1.00, 1, 1, '2026-01-01', true);
DELETE FROM tb_category WHERE pk_category = 5;
SELECT * FROM readmodel.verify('tv_category');
INSERT INTO tb_product VALUES (601, 5, 'y', 2.00, 1, 1, '2026-01-01', true);
INSERT INTO tb_category VALUES (5, 'c5 again');
SELECT pk_category, name, products, total FROM tv_category ORDER BY 1;
SELECT * FROM readmodel.verify('tv_category');

-- 7. A writer that turns deltas off recomputes, and the state of the keys
-- it recomputed is dropped, so later folds start from the truth.
SET readmodel.enable_delta = off;
UPDATE tb_product SET price = 100 WHERE pk_product = 500;
RESET readmodel.enable_delta;
SELECT count(*) AS state_of_1 FROM tv_category_state WHERE k = 1;
UPDATE tb_product SET price = 1 WHERE pk_product = 501;
SELECT * FROM readmodel.verify('tv_category');

-- 8. A LEFT JOIN keeps the categories without products (count(*) is 1 for
-- them), and a group whose WHERE on the products leaves no row.
CREATE TABLE tb_order (pk_order int PRIMARY KEY, fk_category int, amount numeric(12,3),
                       status text);
SELECT readmodel.create('tv_order_stats', $$
    SELECT c.pk_category, count(*) AS n, count(o.pk_order) AS orders,
           sum(o.amount) AS amount, avg(o.amount) AS mean, max(o.amount) AS top
    FROM tb_category c LEFT JOIN tb_order o ON o.fk_category = c.pk_category AND o.status <> 'void'
    WHERE c.pk_category < 5
    GROUP BY c.pk_category
$$);
INSERT INTO tb_order VALUES (1, 1, 10.000, 'ok'), (2, 1, 20.500, 'ok'), (3, 2, 1.001, 'void');
INSERT INTO tb_order VALUES (4, 1, 0.125, 'ok');
UPDATE tb_order SET status = 'void' WHERE pk_order = 2;
UPDATE tb_order SET status = 'ok' WHERE pk_order = 3;
SELECT * FROM tv_order_stats ORDER BY 1;
DELETE FROM tb_order WHERE pk_order IN (1, 4);
SELECT * FROM tv_order_stats ORDER BY 1;
SELECT * FROM readmodel.verify('tv_order_stats');
-- A WHERE on the nullable side that a row of NULLs passes keeps categories
-- without orders, and an order that fails it removes its category: no
-- delta counts that, so this one recomputes (found by the fuzzer).
SELECT readmodel.create('tv_order_open', $$
    SELECT c.pk_category, count(*) AS n, sum(o.amount) AS amount
    FROM tb_category c LEFT JOIN tb_order o ON o.fk_category = c.pk_category
    WHERE o.status IS NULL
    GROUP BY c.pk_category
$$);
SELECT state FROM readmodel.model WHERE relid = 'tv_order_open'::regclass;
INSERT INTO tb_order VALUES (10, 4, 1.000, 'ok'), (11, 3, 2.000, NULL);
SELECT * FROM tv_order_open ORDER BY 1;
SELECT * FROM readmodel.verify('tv_order_open');

-- 9. One table grouped by its own column, with a WHERE on it.
CREATE TABLE tb_event (pk_event int PRIMARY KEY, fk_user int NOT NULL, points int,
                       kind text);
SELECT readmodel.create('tv_user_points', $$
    SELECT e.fk_user, count(*) AS events, sum(e.points) AS points,
           avg(e.points) FILTER (WHERE e.kind = 'bonus') AS mean_bonus
    FROM tb_event e WHERE e.kind IN ('bonus', 'sale')
    GROUP BY e.fk_user
$$);
SELECT count(*) AS has_state FROM readmodel.model WHERE relid = 'tv_user_points'::regclass AND state IS NOT NULL;
INSERT INTO tb_event SELECT g, g % 4, g, CASE g % 3 WHEN 0 THEN 'bonus' WHEN 1 THEN 'sale' ELSE 'other' END
FROM generate_series(1, 40) g;
UPDATE tb_event SET kind = 'bonus' WHERE pk_event IN (2, 5, 8);
UPDATE tb_event SET points = points * 10 WHERE fk_user = 1;
DELETE FROM tb_event WHERE fk_user = 2 AND kind = 'sale';
UPDATE tb_event SET fk_user = 9 WHERE pk_event = 3;
SELECT * FROM tv_user_points ORDER BY 1;
SELECT * FROM readmodel.verify('tv_user_points');
SELECT kind, detail FROM readmodel.explain('tv_user_points') WHERE kind = 'delta';

-- 10. Definitions without deltas recompute, as before: numeric without a
-- scale, DISTINCT, an expression's aggregate.  Aggregates inside a
-- document have deltas (see 13).
SELECT readmodel.create('tv_no_scale', $$
    SELECT c.pk_category, sum(p.price::numeric) AS total
    FROM tb_category c JOIN tb_product p ON p.fk_category = c.pk_category GROUP BY c.pk_category
$$);
SELECT readmodel.create('tv_doc', $$
    SELECT c.pk_category, jsonb_build_object('n', count(*), 'total', sum(p.price)) AS data
    FROM tb_category c JOIN tb_product p ON p.fk_category = c.pk_category GROUP BY c.pk_category
$$);
SELECT readmodel.create('tv_distinct', $$
    SELECT c.pk_category, count(DISTINCT p.qty) AS qtys
    FROM tb_category c JOIN tb_product p ON p.fk_category = c.pk_category GROUP BY c.pk_category
$$);
SELECT readmodel.create('tv_expression', $$
    SELECT c.pk_category, every(p.qty > 0) AS all_stocked
    FROM tb_category c JOIN tb_product p ON p.fk_category = c.pk_category GROUP BY c.pk_category
$$);
SELECT relid, state FROM readmodel.model
WHERE relid IN ('tv_no_scale'::regclass, 'tv_doc'::regclass, 'tv_distinct'::regclass,
                'tv_expression'::regclass) ORDER BY 1;
UPDATE tb_product SET price = price + 1;
SELECT * FROM readmodel.verify('tv_no_scale');
SELECT * FROM readmodel.verify('tv_doc');
SELECT * FROM readmodel.verify('tv_distinct');
SELECT * FROM readmodel.verify('tv_expression');
SELECT * FROM readmodel.verify('tv_category');

-- 11. The state is the owner's alone; a dropped state table turns deltas
-- off; a refresh empties it; replace makes a new one; drop removes it.
CREATE ROLE delta_reader;
GRANT USAGE ON SCHEMA delta_aggregates TO delta_reader;
SET ROLE delta_reader;
SELECT count(*) FROM tv_category_state;
RESET ROLE;
REVOKE USAGE ON SCHEMA delta_aggregates FROM delta_reader;
DROP ROLE delta_reader;
-- A new owner takes the state table with the model.
CREATE ROLE delta_owner;
GRANT USAGE ON SCHEMA delta_aggregates TO delta_owner;
GRANT SELECT, TRIGGER ON tb_category, tb_product TO delta_owner;
ALTER TABLE tv_category OWNER TO delta_owner;
SELECT c.relname, pg_get_userbyid(c.relowner) AS owner FROM pg_class c
WHERE c.relname IN ('tv_category', 'tv_category_def', 'tv_category_state') ORDER BY 1;
UPDATE tb_product SET price = price + 1 WHERE pk_product = 500;
UPDATE tb_product SET price = price - 2 WHERE pk_product = 500;
SELECT count(*) AS state_rows FROM tv_category_state;
SELECT * FROM readmodel.verify('tv_category');
ALTER TABLE tv_category OWNER TO CURRENT_USER;
REVOKE ALL ON tb_category, tb_product FROM delta_owner;
REVOKE USAGE ON SCHEMA delta_aggregates FROM delta_owner;
DROP ROLE delta_owner;
-- verify() checks the state too: a state row that a fresh computation
-- would not give is reported (here the owner's own tampering), and a
-- refresh empties the state.
UPDATE tv_category_state SET n = n + 1, c3 = c3 + 1 WHERE k = 1;
SELECT problem, key FROM readmodel.verify('tv_category');
SELECT readmodel.refresh('tv_category') >= 0 AS refreshed;
SELECT count(*) AS state_rows FROM tv_category_state;
SELECT count(*) AS problems FROM readmodel.verify('tv_category');
DROP TABLE tv_order_stats_state;
INSERT INTO tb_order VALUES (5, 3, 3.300, 'ok');
SELECT * FROM readmodel.verify('tv_order_stats');
SELECT readmodel.create('tv_order_stats', $$
    SELECT c.pk_category, count(o.pk_order) AS orders, sum(o.amount) AS amount
    FROM tb_category c JOIN tb_order o ON o.fk_category = c.pk_category
    GROUP BY c.pk_category
$$, '{"replace": true}');
\d tv_order_stats_state
INSERT INTO tb_order VALUES (6, 3, 6.600, 'ok');
SELECT * FROM readmodel.verify('tv_order_stats');
SELECT readmodel.drop('tv_order_stats');
SELECT count(*) AS left_behind FROM pg_class WHERE relname = 'tv_order_stats_state';

-- 12. A MERGE fires its DELETE, UPDATE and INSERT triggers one after the
-- other, and a row trigger may flush while the statement's own captures
-- are still to come: the state is not computed from a table ahead of them.
-- A model in statement mode recomputes (no state table).
CREATE TABLE tb_post (pk_post int PRIMARY KEY, published bool NOT NULL DEFAULT true);
CREATE TABLE tb_comment (pk_comment int GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                         fk_post int NOT NULL, body text, likes int NOT NULL DEFAULT 0);
INSERT INTO tb_post VALUES (14), (15);
INSERT INTO tb_comment (fk_post, body, likes) VALUES (14, 'a', 1), (14, 'b', 2), (15, 'c', 3);
SELECT readmodel.create('tv_likes', $$
    SELECT p.pk_post, count(*) AS n, count(c.pk_comment) AS comments,
           sum(c.likes) FILTER (WHERE c.body IS NOT NULL) AS liked, avg(c.likes) AS mean,
           max(c.likes) AS best
    FROM tb_post p LEFT JOIN tb_comment c ON c.fk_post = p.pk_post AND c.likes > 0
    WHERE p.published GROUP BY p.pk_post
$$);
SELECT readmodel.create('tv_likes_now', $$
    SELECT p.pk_post, count(c.pk_comment) AS comments, sum(c.likes) AS likes
    FROM tb_post p LEFT JOIN tb_comment c ON c.fk_post = p.pk_post GROUP BY p.pk_post
$$, '{"mode": "statement"}');
SELECT relid, state FROM readmodel.model WHERE relid IN ('tv_likes'::regclass, 'tv_likes_now'::regclass)
ORDER BY 1;
BEGIN ISOLATION LEVEL REPEATABLE READ;
MERGE INTO tb_comment c USING (VALUES (1, 14, 20), (100008, 14, 6), (3, 15, 3)) AS v(pk, post, delta)
ON c.pk_comment = v.pk
WHEN MATCHED AND c.likes + v.delta > 12 THEN DELETE
WHEN MATCHED THEN UPDATE SET likes = c.likes + v.delta, body = c.body || '+'
WHEN NOT MATCHED THEN INSERT (fk_post, body, likes) VALUES (v.post, 'merged', v.delta);
COMMIT;
SELECT * FROM readmodel.verify('tv_likes');
SELECT * FROM readmodel.verify('tv_likes_now');
CREATE FUNCTION flush_now() RETURNS trigger LANGUAGE plpgsql
AS $$BEGIN PERFORM readmodel.flush(); RETURN NULL; END$$;
CREATE TRIGGER zz_flush AFTER INSERT OR UPDATE OR DELETE ON tb_comment
    FOR EACH ROW EXECUTE FUNCTION flush_now();
BEGIN;
UPDATE tb_comment SET likes = likes + 1 WHERE fk_post = 14;
MERGE INTO tb_comment c USING (VALUES (2, 14, 20), (100009, 14, 6), (100010, 14, 7)) AS v(pk, post, delta)
ON c.pk_comment = v.pk
WHEN MATCHED AND c.likes + v.delta > 12 THEN DELETE
WHEN MATCHED THEN UPDATE SET likes = c.likes + v.delta
WHEN NOT MATCHED THEN INSERT (fk_post, body, likes) VALUES (v.post, 'merged', v.delta);
INSERT INTO tb_comment (fk_post, body, likes) VALUES (14, 'x', 1), (15, 'y', 1);
COMMIT;
SELECT * FROM readmodel.verify('tv_likes');
SELECT * FROM readmodel.verify('tv_likes_now');
SELECT k, n, c2 FROM tv_likes_state ORDER BY k;

-- 13. Aggregates inside a document (FraiseQL's data jsonb), nested, beside
-- copied root columns, one in COALESCE(..., 0): the fold sets their paths;
-- a rename is a patch.
CREATE TABLE tb_shop (pk_shop int PRIMARY KEY, name text NOT NULL);
CREATE TABLE tb_sale (pk_sale int PRIMARY KEY, fk_shop int NOT NULL, amount numeric(8,2),
                      sold date NOT NULL, paid bool);
INSERT INTO tb_shop VALUES (1, 'north'), (2, 'south');
INSERT INTO tb_sale SELECT g, 1 + g % 2, g * 0.5, date '2026-03-01' + g, g % 3 = 0
FROM generate_series(1, 20) g;
SELECT readmodel.create('tv_shop', $$
    SELECT s.pk_shop,
           jsonb_build_object('name', s.name,
                              'sales', jsonb_build_object('n', count(*), 'total', sum(x.amount),
                                                          'mean', avg(x.amount), 'last', max(x.sold),
                                                          'paid', COALESCE(sum(x.amount) FILTER (WHERE x.paid), 0)),
                              'all_paid', bool_and(x.paid)) AS data
    FROM tb_shop s LEFT JOIN tb_sale x ON x.fk_shop = s.pk_shop
    GROUP BY s.pk_shop, s.name
$$);
SELECT kind, detail FROM readmodel.explain('tv_shop') WHERE kind IN ('delta', 'patch') ORDER BY kind;
UPDATE tb_sale SET amount = amount + 1 WHERE pk_sale IN (1, 2);
SELECT pg_stat_force_next_flush();
BEGIN;
INSERT INTO tb_sale VALUES (100, 1, NULL, '2027-01-01', true);
INSERT INTO tb_sale VALUES (101, 1, 2.25, '2026-01-01', NULL);
SELECT readmodel.flush() AS applied;
SELECT relname, seq_scan, coalesce(idx_scan, 0) AS idx_scan
FROM pg_stat_xact_user_tables
WHERE relname IN ('tb_shop', 'tb_sale') ORDER BY relname;
COMMIT;
UPDATE tb_sale SET paid = NULL WHERE pk_sale = 4;
UPDATE tb_shop SET name = 'North' WHERE pk_shop = 1;
DELETE FROM tb_sale WHERE fk_shop = 2;
INSERT INTO tb_shop VALUES (3, 'east');
SELECT pk_shop, data FROM tv_shop ORDER BY 1;
SELECT * FROM readmodel.verify('tv_shop');

-- Clean up.
SET client_min_messages = warning;
DROP SCHEMA delta_aggregates CASCADE;
RESET client_min_messages;
DROP EXTENSION pg_readmodel;
