--
-- shape_group_by: GROUP BY the root key with LEFT JOINed children; count,
-- sum, avg, min, max and jsonb_agg ... ORDER BY ... FILTER (WHERE ...).
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_readmodel;
RESET client_min_messages;
CREATE SCHEMA shape_group;
SET search_path = shape_group, public;

CREATE TABLE tb_customer (
    pk_customer integer PRIMARY KEY,
    name        text NOT NULL
);
CREATE TABLE tb_product (
    pk_product integer PRIMARY KEY,
    name       text NOT NULL
);
CREATE TABLE tb_order (
    pk_order    integer PRIMARY KEY,
    fk_customer integer NOT NULL REFERENCES tb_customer (pk_customer),
    fk_product  integer REFERENCES tb_product (pk_product),
    amount      numeric(10,2) NOT NULL,
    status      text NOT NULL DEFAULT 'open'
);

INSERT INTO tb_customer VALUES (1, 'alice'), (2, 'bob'), (3, 'carol');
INSERT INTO tb_product VALUES (1, 'apple'), (2, 'banana');
INSERT INTO tb_order VALUES
    (1, 1, 1, 10.00, 'paid'),
    (2, 1, 2, 20.00, 'open'),
    (3, 1, 1, 30.00, 'paid'),
    (4, 2, 2,  5.00, 'paid');

-- One row per customer; customers without orders get count 0 and NULL
-- sums (LEFT JOIN).  GROUP BY the root key alone is enough for c.name (it
-- depends on the primary key).
SELECT readmodel.create('tv_customer', $$
    SELECT c.pk_customer, c.name,
           count(o.pk_order)                 AS orders,
           count(*) FILTER (WHERE o.status = 'paid') AS paid,
           sum(o.amount)                     AS total,
           round(avg(o.amount), 2)           AS average,
           min(o.amount)                     AS smallest,
           max(o.amount)                     AS largest,
           jsonb_agg(o.pk_order ORDER BY o.pk_order DESC)
               FILTER (WHERE o.status = 'paid') AS paid_orders
    FROM tb_customer c
    LEFT JOIN tb_order o ON o.fk_customer = c.pk_customer
    GROUP BY c.pk_customer
$$);

-- Grouped over two joined levels: order -> product.  GROUP BY the key and
-- another column of the root.
SELECT readmodel.create('tv_customer_products', $$
    SELECT c.pk_customer,
           jsonb_agg(DISTINCT p.name ORDER BY p.name) FILTER (WHERE p.name IS NOT NULL) AS products,
           string_agg(p.name || ':' || o.amount, ', ' ORDER BY o.pk_order) AS lines
    FROM tb_customer c
    LEFT JOIN tb_order o ON o.fk_customer = c.pk_customer
    LEFT JOIN tb_product p ON p.pk_product = o.fk_product
    GROUP BY c.pk_customer, c.name
$$);

SELECT name, key, sources FROM readmodel.models ORDER BY name::text;
SELECT * FROM tv_customer ORDER BY pk_customer;
SELECT * FROM tv_customer_products ORDER BY pk_customer;

-- 1. Carol's first order (open): she goes from no orders to one.
INSERT INTO tb_order VALUES (5, 3, 2, 7.50, 'open');
SELECT * FROM tv_customer ORDER BY pk_customer;
SELECT * FROM tv_customer_products ORDER BY pk_customer;
SELECT * FROM readmodel.verify('tv_customer');
SELECT * FROM readmodel.verify('tv_customer_products');

-- 2. Pay it (the FILTER changes), and change an amount (sum, avg, max).
UPDATE tb_order SET status = 'paid' WHERE pk_order = 5;
UPDATE tb_order SET amount = 50.00 WHERE pk_order = 2;
SELECT * FROM tv_customer ORDER BY pk_customer;
SELECT * FROM readmodel.verify('tv_customer');
SELECT * FROM readmodel.verify('tv_customer_products');

-- 3. Move order 3 from alice to bob: both customers change.
BEGIN;
UPDATE tb_order SET fk_customer = 2 WHERE pk_order = 3;
SELECT model, key, reason FROM readmodel.debug_queue() ORDER BY model::text, key;
COMMIT;
SELECT * FROM tv_customer ORDER BY pk_customer;
SELECT * FROM tv_customer_products ORDER BY pk_customer;
SELECT * FROM readmodel.verify('tv_customer');
SELECT * FROM readmodel.verify('tv_customer_products');

-- 4. Rename a product: every customer who ordered it changes in the second
--    model (two hops: product -> order -> customer); the first model does
--    not read tb_product.
BEGIN;
UPDATE tb_product SET name = 'banana split' WHERE pk_product = 2;
SELECT model, key, reason FROM readmodel.debug_queue() ORDER BY model::text, key;
COMMIT;
SELECT * FROM tv_customer_products ORDER BY pk_customer;
SELECT * FROM readmodel.verify('tv_customer_products');

-- 5. Rename a customer (a grouped root column).
UPDATE tb_customer SET name = 'Bob' WHERE pk_customer = 2;
SELECT pk_customer, name, orders FROM tv_customer ORDER BY pk_customer;
SELECT * FROM readmodel.verify('tv_customer');

-- 6. Delete all of alice's orders: count 0, NULL aggregates, the FILTERed
--    jsonb_agg over no rows is NULL.
DELETE FROM tb_order WHERE fk_customer = 1;
SELECT * FROM tv_customer ORDER BY pk_customer;
SELECT * FROM tv_customer_products ORDER BY pk_customer;
SELECT * FROM readmodel.verify('tv_customer');
SELECT * FROM readmodel.verify('tv_customer_products');

-- 7. A new customer with orders, and a deleted customer, in one transaction.
BEGIN;
INSERT INTO tb_customer VALUES (4, 'dave');
INSERT INTO tb_order VALUES (6, 4, 1, 1.25, 'paid'), (7, 4, NULL, 2.75, 'paid'), (8, 4, 1, 3.00, 'open');
DELETE FROM tb_customer WHERE pk_customer = 1;
COMMIT;
SELECT * FROM tv_customer ORDER BY pk_customer;
SELECT * FROM tv_customer_products ORDER BY pk_customer;
SELECT * FROM readmodel.verify('tv_customer');
SELECT * FROM readmodel.verify('tv_customer_products');

-- Clean up.
SET client_min_messages = warning;
DROP SCHEMA shape_group CASCADE;
RESET client_min_messages;
DROP EXTENSION pg_readmodel;
