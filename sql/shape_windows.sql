--
-- shape_windows: window functions at the top level, partitioned by root
-- columns (rank within a category, running totals).  A change recomputes
-- the whole partitions it touches, old and new; the model keeps its key.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_readmodel;
RESET client_min_messages;
CREATE SCHEMA shape_windows;
SET search_path = shape_windows, public;

CREATE TABLE tb_category (pk_category integer PRIMARY KEY, name text NOT NULL);
CREATE TABLE tb_product (pk_product integer PRIMARY KEY,
                         fk_category integer NOT NULL REFERENCES tb_category,
                         price integer NOT NULL, name text NOT NULL);
CREATE TABLE tb_entry (pk_entry integer PRIMARY KEY, account text NOT NULL, amount numeric(10,2) NOT NULL);
CREATE INDEX ON tb_product (fk_category);
CREATE INDEX ON tb_entry (account);
INSERT INTO tb_category VALUES (1, 'tools'), (2, 'toys');
INSERT INTO tb_product VALUES (1, 1, 10, 'saw'), (2, 1, 20, 'drill'), (3, 1, 15, 'file'), (4, 2, 5, 'ball');
INSERT INTO tb_entry VALUES (1, 'a', 10.00), (2, 'a', -2.50), (3, 'b', 7.00);

SELECT readmodel.create('tv_product_rank', $$
    SELECT p.pk_product, p.fk_category, c.name AS category,
           rank() OVER w AS price_rank,
           sum(p.price) OVER w AS running,
           count(*) OVER (PARTITION BY p.fk_category ORDER BY p.pk_product) AS nth
    FROM tb_product p JOIN tb_category c ON c.pk_category = p.fk_category
    WINDOW w AS (PARTITION BY p.fk_category ORDER BY p.price DESC, p.pk_product) $$);
SELECT readmodel.create('tv_balance', $$
    SELECT e.pk_entry, e.account,
           sum(e.amount) OVER (PARTITION BY e.account ORDER BY e.pk_entry) AS balance,
           lag(e.amount) OVER (PARTITION BY e.account ORDER BY e.pk_entry) AS previous
    FROM tb_entry e $$);
SELECT * FROM readmodel.explain('tv_product_rank') WHERE kind NOT IN ('triggers', 'index');

-- refused: a window over all rows, ties in its order, a partition column
-- that is not selected, windows partitioned differently, a window with
-- GROUP BY, a window in a subquery
SELECT readmodel.create('tv_bad', $$ SELECT p.pk_product, rank() OVER (ORDER BY p.price, p.pk_product) AS r FROM tb_product p $$);
SELECT readmodel.create('tv_bad', $$ SELECT p.pk_product, p.fk_category, rank() OVER (PARTITION BY p.fk_category ORDER BY p.price) AS r FROM tb_product p $$);
SELECT readmodel.create('tv_bad', $$ SELECT p.pk_product, rank() OVER (PARTITION BY p.fk_category ORDER BY p.price, p.pk_product) AS r FROM tb_product p $$);
SELECT readmodel.create('tv_bad', $$
    SELECT p.pk_product, p.fk_category, p.name,
           rank() OVER (PARTITION BY p.fk_category ORDER BY p.pk_product) AS a,
           rank() OVER (PARTITION BY p.name ORDER BY p.pk_product) AS b
    FROM tb_product p $$);
SELECT readmodel.create('tv_bad', $$
    SELECT p.fk_category, count(*) AS n,
           rank() OVER (PARTITION BY p.fk_category ORDER BY p.fk_category) AS r
    FROM tb_product p GROUP BY p.fk_category $$);
SELECT readmodel.create('tv_bad', $$
    SELECT c.pk_category, (SELECT max(r) FROM (SELECT rank() OVER (ORDER BY p.price, p.pk_product) AS r
                                               FROM tb_product p WHERE p.fk_category = c.pk_category) x) AS m
    FROM tb_category c $$);

-- Writes: a price change reranks its category; a product moves category
-- (both reranked); a category rename; insert and delete; entries.
UPDATE tb_product SET price = 30 WHERE pk_product = 1;
INSERT INTO tb_product VALUES (5, 2, 50, 'kite');
UPDATE tb_product SET fk_category = 2 WHERE pk_product = 2;
UPDATE tb_category SET name = 'Tools' WHERE pk_category = 1;
DELETE FROM tb_product WHERE pk_product = 4;
INSERT INTO tb_entry VALUES (4, 'a', 1.25), (5, 'b', -7.00);
UPDATE tb_entry SET amount = 3.00 WHERE pk_entry = 2;
UPDATE tb_entry SET account = 'b' WHERE pk_entry = 1;
SELECT * FROM tv_product_rank ORDER BY pk_product;
SELECT * FROM tv_balance ORDER BY pk_entry;
SELECT m AS model, (SELECT count(*) FROM readmodel.verify(m)) AS verify_rows
FROM unnest(ARRAY['tv_product_rank', 'tv_balance']) m;

-- Within a partition its columns are fixed, so they count for a total
-- order: over a key (account, seq), ORDER BY seq alone is total.
CREATE TABLE tb_line (account text NOT NULL, seq integer NOT NULL, amount integer NOT NULL,
                      PRIMARY KEY (account, seq));
INSERT INTO tb_line VALUES ('a', 1, 5), ('a', 2, 7), ('b', 1, 1);
SELECT readmodel.create('tv_line', $$
    SELECT l.account, l.seq, sum(l.amount) OVER (PARTITION BY l.account ORDER BY l.seq) AS running
    FROM tb_line l $$);
INSERT INTO tb_line VALUES ('a', 0, 100);
UPDATE tb_line SET amount = 8 WHERE account = 'a' AND seq = 2;
SELECT * FROM tv_line ORDER BY account, seq;
SELECT count(*) AS verify_rows FROM readmodel.verify('tv_line');

-- A row that moves to another partition, the two partitions recomputed in
-- separate chunks (one unit each), in either order: the new partition's
-- rows find the moved one in the model under its old partition.
SET readmodel.apply_chunk = 1;
UPDATE tb_entry SET account = 'c' WHERE pk_entry = 1;
UPDATE tb_entry SET account = 'a' WHERE pk_entry = 1;
UPDATE tb_entry SET account = 'b' WHERE pk_entry IN (1, 4);
UPDATE tb_entry SET account = 'a' WHERE pk_entry IN (1, 4);
RESET readmodel.apply_chunk;
SELECT count(*) AS verify_rows FROM readmodel.verify('tv_balance');

SELECT readmodel.drop('tv_product_rank'), readmodel.drop('tv_balance'), readmodel.drop('tv_line');
DROP SCHEMA shape_windows CASCADE;
