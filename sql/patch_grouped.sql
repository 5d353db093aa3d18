--
-- patch_grouped: a definition grouped by its unique key (the design's
-- tv_product: LEFT JOINs, GROUP BY, jsonb_agg ... FILTER, avg) patches the
-- root's and the N:1 parents' copied columns in place; a column that an
-- aggregate, a qual or HAVING also reads is recomputed.  Every step ends
-- equal to the definition.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_readmodel;
RESET client_min_messages;
CREATE SCHEMA patch_grouped;
SET search_path = patch_grouped, public;

CREATE TABLE tb_category (pk_category int PRIMARY KEY, name text);
CREATE TABLE tb_supplier (pk_supplier int PRIMARY KEY, name text NOT NULL, country text);
CREATE TABLE tb_product (pk_product int PRIMARY KEY, fk_category int REFERENCES tb_category,
                         fk_supplier int REFERENCES tb_supplier, name text, price numeric(10,2));
CREATE TABLE tb_review (pk_review int PRIMARY KEY,
                        fk_product int NOT NULL REFERENCES tb_product ON DELETE CASCADE,
                        rating int, body text);
INSERT INTO tb_category VALUES (1, 'tools'), (2, 'toys');
INSERT INTO tb_supplier VALUES (1, 'acme', 'FR'), (2, 'globex', NULL);
INSERT INTO tb_product VALUES (1, 1, 1, 'hammer', 10.50), (2, 1, 2, 'saw', 20.00),
                              (3, 2, 1, 'kite', 5.25), (4, NULL, 2, 'misc', NULL);
INSERT INTO tb_review VALUES (1, 1, 5, 'great'), (2, 1, 3, 'ok'), (3, 3, 4, 'fun');

SELECT readmodel.create('tv_product', $$
    SELECT p.pk_product, p.fk_category, p.fk_supplier,
           jsonb_build_object(
             'name', p.name, 'price', p.price,
             'category', jsonb_build_object('id', c.pk_category, 'name', c.name),
             'supplier', jsonb_build_object('name', s.name, 'country', s.country),
             'reviews', COALESCE(jsonb_agg(jsonb_build_object('rating', r.rating, 'body', r.body)
                                           ORDER BY r.pk_review) FILTER (WHERE r.pk_review IS NOT NULL),
                                 '[]'::jsonb),
             'avg_rating', avg(r.rating)) AS data
    FROM tb_product p
    LEFT JOIN tb_category c ON c.pk_category = p.fk_category
    LEFT JOIN tb_supplier s ON s.pk_supplier = p.fk_supplier
    LEFT JOIN tb_review r ON r.fk_product = p.pk_product
    GROUP BY p.pk_product, p.fk_category, p.fk_supplier, p.name, p.price,
             c.pk_category, c.name, s.name, s.country
$$);
CREATE INDEX ON tv_product (fk_category);
CREATE INDEX ON tv_product (fk_supplier);
SELECT source, detail FROM readmodel.explain('tv_product') WHERE kind = 'patch' ORDER BY source;

CREATE FUNCTION patched(m regclass = 'tv_product')
RETURNS TABLE (rows_patched bigint, rows_written bigint)
LANGUAGE sql AS $$ SELECT rows_patched, rows_written FROM readmodel.model_stats()
                   WHERE model = m $$;
CREATE TEMP TABLE base AS SELECT * FROM patched();
CREATE FUNCTION since() RETURNS TABLE (patched bigint, written bigint)
LANGUAGE sql AS $$ SELECT p.rows_patched - b.rows_patched, p.rows_written - b.rows_written
                   FROM patched() p, base b $$;

-- 1. A parent rename reaching two groups, a root price with a new scale,
--    a NULL country: patched.
UPDATE tb_category SET name = 'hardware' WHERE pk_category = 1;
UPDATE tb_product SET price = 10.5 WHERE pk_product = 1;
UPDATE tb_supplier SET country = NULL WHERE pk_supplier = 1;
UPDATE tb_product SET price = 1.00 WHERE pk_product = 4;
SELECT * FROM since();
SELECT pk_product, data FROM tv_product ORDER BY pk_product;
SELECT * FROM readmodel.verify('tv_product');

-- 2. Reviews, a move to another category and a new product: recomputed
--    (written, none patched).
TRUNCATE base; INSERT INTO base SELECT * FROM patched();
INSERT INTO tb_review VALUES (4, 2, 1, 'bad');
DELETE FROM tb_review WHERE pk_review = 2;
UPDATE tb_product SET fk_category = 2 WHERE pk_product = 2;
INSERT INTO tb_product VALUES (5, 2, 1, 'ball', 2.00);
SELECT * FROM since();
SELECT * FROM readmodel.verify('tv_product');

-- 3. Patches and a recompute of the same rows in one transaction.
BEGIN;
UPDATE tb_category SET name = 'games' WHERE pk_category = 2;
INSERT INTO tb_review VALUES (5, 5, 2, 'meh');
UPDATE tb_product SET name = 'football' WHERE pk_product = 5;
COMMIT;
SELECT pk_product, data FROM tv_product WHERE pk_product IN (3, 5) ORDER BY pk_product;
SELECT * FROM readmodel.verify('tv_product');

-- 4. Columns that something else reads are not patched: a name in an
--    aggregate, a price in HAVING, a country in WHERE.
SELECT readmodel.create('tv_product_read', $$
    SELECT p.pk_product, p.fk_category,
           jsonb_build_object('name', p.name, 'price', p.price, 'category', c.name,
                              'country', s.country, 'longest', max(length(c.name || r.body))) AS data
    FROM tb_product p
    LEFT JOIN tb_category c ON c.pk_category = p.fk_category
    LEFT JOIN tb_supplier s ON s.pk_supplier = p.fk_supplier
    LEFT JOIN tb_review r ON r.fk_product = p.pk_product
    WHERE s.country IS DISTINCT FROM 'XX'
    GROUP BY p.pk_product, c.name, s.country
    HAVING p.price IS NULL OR p.price < 1000
$$);
SELECT source, detail FROM readmodel.explain('tv_product_read') WHERE kind = 'patch' ORDER BY source;
UPDATE tb_category SET name = 'outdoor' WHERE pk_category = 2;
UPDATE tb_product SET price = 2000 WHERE pk_product = 3;
UPDATE tb_supplier SET country = 'XX' WHERE pk_supplier = 2;
SELECT pk_product, data FROM tv_product_read ORDER BY pk_product;
SELECT * FROM readmodel.verify('tv_product_read');
SELECT * FROM readmodel.verify('tv_product');

-- 5. Grouped by a column that is not unique: a group holds several root
--    rows, so nothing is patched.
SELECT readmodel.create('tv_by_category', $$
    SELECT p.fk_category, c.name AS category,
           jsonb_build_object('category', c.name, 'products', count(*)) AS data
    FROM tb_product p JOIN tb_category c ON c.pk_category = p.fk_category
    WHERE p.fk_category IS NOT NULL
    GROUP BY p.fk_category, c.name
$$);
SELECT count(*) AS patches FROM readmodel.explain('tv_by_category') WHERE kind = 'patch';
UPDATE tb_category SET name = 'camping' WHERE pk_category = 2;
SELECT * FROM tv_by_category ORDER BY fk_category;
SELECT * FROM readmodel.verify('tv_by_category');

-- 6. Plain output columns copied from the root and from a parent are set
--    in place too (pgbench's accounts joined to branches).  A new key, or a
--    join column, is recomputed.
CREATE TABLE branches (bid int PRIMARY KEY, bbalance numeric, bname varchar(8));
CREATE TABLE accounts (aid int PRIMARY KEY, bid int NOT NULL REFERENCES branches,
                       abalance numeric(12,2), filler text);
CREATE INDEX ON accounts (bid);
INSERT INTO branches VALUES (1, 0, 'north'), (2, 5.5, NULL);
INSERT INTO accounts SELECT g, 1 + g % 2, g * 1.5, 'x' FROM generate_series(1, 6) g;
SELECT readmodel.create('tv_account', $$
    SELECT a.aid, a.bid, a.abalance, b.bbalance, b.bname
    FROM accounts a JOIN branches b ON b.bid = a.bid
$$);
CREATE INDEX ON tv_account (bid);
SELECT source, detail FROM readmodel.explain('tv_account') WHERE kind = 'patch' ORDER BY source;
CREATE TEMP TABLE account_base AS SELECT * FROM patched('tv_account');
UPDATE branches SET bbalance = 10.50 WHERE bid = 1;        -- three accounts
UPDATE branches SET bbalance = 10.5, bname = 'south' WHERE bid = 2;
UPDATE accounts SET abalance = abalance + 1 WHERE aid = 3;
UPDATE branches SET bbalance = NULL WHERE bid = 2;
SELECT s.rows_patched - b.rows_patched AS patched FROM patched('tv_account') s, account_base b;
UPDATE accounts SET aid = 60 WHERE aid = 6;                -- the key: recomputed
UPDATE accounts SET bid = 2 WHERE aid = 1;                 -- a join column: recomputed
SELECT aid, bid, abalance, bbalance, bname FROM tv_account ORDER BY aid;
SELECT * FROM readmodel.verify('tv_account');

-- Clean up.
SET client_min_messages = warning;
DROP SCHEMA patch_grouped CASCADE;
RESET client_min_messages;
