--
-- shape_group_keys: read models keyed by a column the top level groups by,
-- with no dimension table as root: GROUP BY o.status (a dashboard row per
-- status), HAVING, SELECT DISTINCT of one column, and DISTINCT ON (the
-- largest order per customer).  Each key is a group of root rows; rows
-- enter and leave as groups appear, empty or pass the HAVING.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_readmodel;
RESET client_min_messages;
CREATE SCHEMA shape_gk;
SET search_path = shape_gk, public;

CREATE TABLE tb_customer (pk_customer integer PRIMARY KEY, name text NOT NULL);
CREATE TABLE tb_order (
    pk_order    integer PRIMARY KEY,
    fk_customer integer NOT NULL REFERENCES tb_customer,
    status      text NOT NULL,
    amount      numeric NOT NULL,
    region      text
);
CREATE INDEX ON tb_order (status);
CREATE INDEX ON tb_order (fk_customer);
INSERT INTO tb_customer VALUES (1, 'ann'), (2, 'ben');
INSERT INTO tb_order VALUES
    (1, 1, 'new', 10.5, 'eu'), (2, 1, 'new', 2.25, 'us'), (3, 2, 'paid', 7, NULL);

SELECT readmodel.create('tv_status', $$
    SELECT o.status, count(*) AS n, sum(o.amount) AS total,
           jsonb_agg(jsonb_build_object('id', o.pk_order, 'customer', c.name)
                     ORDER BY o.pk_order) AS orders
    FROM tb_order o JOIN tb_customer c ON c.pk_customer = o.fk_customer
    GROUP BY o.status $$);
SELECT readmodel.create('tv_busy_status', $$
    SELECT o.status, count(*) AS n FROM tb_order o GROUP BY o.status HAVING count(*) > 1 $$);
SELECT readmodel.create('tv_region', $$
    SELECT o.region, count(*) AS n FROM tb_order o WHERE o.region IS NOT NULL GROUP BY o.region $$);
SELECT readmodel.create('tv_statuses', $$ SELECT DISTINCT o.status FROM tb_order o $$);
SELECT readmodel.create('tv_top_order', $$
    SELECT DISTINCT ON (o.fk_customer) o.fk_customer, o.pk_order, o.amount, c.name
    FROM tb_order o JOIN tb_customer c ON c.pk_customer = o.fk_customer
    ORDER BY o.fk_customer, o.amount DESC, o.pk_order DESC $$);
SELECT readmodel.create('tv_per_customer', $$
    SELECT o.fk_customer AS customer, count(*) AS n, max(o.pk_order) AS last_order
    FROM tb_order o GROUP BY o.fk_customer $$, '{"key": "customer"}');
SELECT * FROM readmodel.explain('tv_status') WHERE kind <> 'index';

-- Refused, each with a way out: a key that may be NULL, a key of a type
-- with equal values of different images, DISTINCT ON with ties, a grouping
-- column of a joined table.  (Several grouping columns make a composite
-- key: shape_composite_keys.)
SELECT readmodel.create('tv_bad', $$ SELECT o.region, count(*) AS n FROM tb_order o GROUP BY o.region $$);
SELECT readmodel.create('tv_bad', $$ SELECT o.amount, count(*) AS n FROM tb_order o GROUP BY o.amount $$);
SELECT readmodel.create('tv_bad', $$
    SELECT DISTINCT ON (o.fk_customer) o.fk_customer, o.pk_order FROM tb_order o
    ORDER BY o.fk_customer, o.amount DESC $$);
SELECT readmodel.create('tv_bad', $$
    SELECT c.name, count(*) AS n FROM tb_order o JOIN tb_customer c ON c.pk_customer = o.fk_customer
    GROUP BY c.name $$);
SELECT count(*) AS leftover_bad FROM pg_class WHERE relname LIKE 'tv_bad%';

-- Writes: a row moves between groups, a group appears, one empties, a
-- HAVING flips, a joined table changes, TRUNCATE.
UPDATE tb_order SET status = 'paid' WHERE pk_order = 1;
INSERT INTO tb_order VALUES (4, 2, 'shipped', 1, 'eu'), (5, 1, 'paid', 100, 'eu');
UPDATE tb_customer SET name = 'Ann' WHERE pk_customer = 1;
DELETE FROM tb_order WHERE pk_order = 3;
UPDATE tb_order SET amount = 50, region = NULL WHERE pk_order = 2;
UPDATE tb_order SET fk_customer = 2 WHERE pk_order = 2;

SELECT * FROM tv_status ORDER BY status;
SELECT * FROM tv_busy_status ORDER BY status;
SELECT * FROM tv_region ORDER BY region;
SELECT * FROM tv_statuses ORDER BY status;
SELECT * FROM tv_top_order ORDER BY fk_customer;
SELECT * FROM tv_per_customer ORDER BY customer;

CREATE FUNCTION image_diff(model text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
    EXECUTE format(
        'SELECT (SELECT count(*) FROM %1$s t WHERE NOT EXISTS
                   (SELECT FROM %1$s_def d WHERE pg_catalog.record_image_eq(ROW(t.*), ROW(d.*))))
              + (SELECT count(*) FROM %1$s_def d WHERE NOT EXISTS
                   (SELECT FROM %1$s t WHERE pg_catalog.record_image_eq(ROW(t.*), ROW(d.*))))',
        model) INTO n;
    RETURN n;
END $$;
CREATE VIEW models AS
    SELECT unnest(ARRAY['tv_status', 'tv_busy_status', 'tv_region', 'tv_statuses',
                        'tv_top_order', 'tv_per_customer']) AS m;
SELECT m AS model, image_diff(m) AS differing FROM models;

DELETE FROM tb_order WHERE status = 'paid';
SELECT * FROM tv_status ORDER BY status;
SELECT * FROM tv_busy_status ORDER BY status;
TRUNCATE tb_order CASCADE;
SELECT m AS model, image_diff(m) AS differing,
       (SELECT count(*) FROM readmodel.verify(m)) AS verify_rows FROM models;

SELECT readmodel.drop(m) FROM models;
DROP SCHEMA shape_gk CASCADE;
