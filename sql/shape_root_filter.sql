--
-- shape_root_filter: a model over its root table alone, built with
-- jsonb_build_object and filtered by WHERE.  Rows enter and leave the read
-- model as the filter flips; changes to columns the definition does not read
-- queue nothing.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_readmodel;
RESET client_min_messages;
CREATE SCHEMA shape_root;
SET search_path = shape_root, public;

CREATE TABLE tb_product (
    pk_product integer PRIMARY KEY,
    sku        text NOT NULL,
    name       text NOT NULL,
    price      numeric(10,2) NOT NULL,
    active     boolean NOT NULL DEFAULT true,
    stock      integer NOT NULL DEFAULT 0,
    notes      text            -- not read by the model
);
INSERT INTO tb_product VALUES
    (1, 'A-1', 'anvil',   10.00, true,  5, NULL),
    (2, 'B-2', 'bucket',   2.50, false, 0, NULL),
    (3, 'C-3', 'crowbar',  7.25, true,  0, 'fragile');

SELECT readmodel.create('tv_product', $$
    SELECT p.pk_product,
           jsonb_build_object('sku', p.sku, 'name', p.name, 'price', p.price,
                              'in_stock', p.stock > 0) AS data
    FROM tb_product p
    WHERE p.active AND p.price < 100
$$);
SELECT name, key, sources, mode, row_count FROM readmodel.models;
SELECT * FROM tv_product ORDER BY pk_product;

-- A new active product enters, an inactive one does not.
INSERT INTO tb_product VALUES (4, 'D-4', 'drill', 49.90, true, 2, NULL),
                              (5, 'E-5', 'easel', 30.00, false, 1, NULL);
SELECT * FROM tv_product ORDER BY pk_product;
SELECT * FROM readmodel.verify('tv_product');

-- Flip the filter: 2 enters, 1 leaves.
UPDATE tb_product SET active = NOT active WHERE pk_product IN (1, 2);
SELECT * FROM tv_product ORDER BY pk_product;
SELECT * FROM readmodel.verify('tv_product');

-- A price over 100 takes 4 out; back under 100 brings it back with the new price.
UPDATE tb_product SET price = 149.00 WHERE pk_product = 4;
SELECT * FROM tv_product ORDER BY pk_product;
UPDATE tb_product SET price = 99.99 WHERE pk_product = 4;
SELECT * FROM tv_product ORDER BY pk_product;
SELECT * FROM readmodel.verify('tv_product');

-- Leave and come back within one transaction: the row ends as it started,
-- except for the new name.
BEGIN;
UPDATE tb_product SET active = false WHERE pk_product = 3;
UPDATE tb_product SET name = 'crowbar XL' WHERE pk_product = 3;
UPDATE tb_product SET active = true WHERE pk_product = 3;
COMMIT;
SELECT * FROM tv_product ORDER BY pk_product;
SELECT * FROM readmodel.verify('tv_product');

-- Changing the primary key moves the row: the old key leaves, the new one enters.
UPDATE tb_product SET pk_product = 30 WHERE pk_product = 3;
SELECT * FROM tv_product ORDER BY pk_product;
SELECT * FROM readmodel.verify('tv_product');

-- Deleting removes rows; deleting a filtered-out row changes nothing.
DELETE FROM tb_product WHERE pk_product IN (2, 5);
SELECT * FROM tv_product ORDER BY pk_product;
SELECT * FROM readmodel.verify('tv_product');

-- Updating a column the definition does not read queues no key: the
-- counter keys_queued does not move.  A read column does.
SELECT (readmodel.queue_stats()->>'keys_queued')::bigint AS keys_before \gset
UPDATE tb_product SET notes = 'checked' WHERE pk_product IN (2, 4, 30);
SELECT (readmodel.queue_stats()->>'keys_queued')::bigint - :keys_before AS keys_queued_by_notes;

SELECT (readmodel.queue_stats()->>'keys_queued')::bigint AS keys_before \gset
BEGIN;
UPDATE tb_product SET notes = notes || '!' WHERE pk_product = 4;
SELECT model, key, reason FROM readmodel.debug_queue();
COMMIT;
SELECT (readmodel.queue_stats()->>'keys_queued')::bigint - :keys_before AS keys_queued_by_notes;

-- Setting a read column to the value it already has is not a change either.
SELECT (readmodel.queue_stats()->>'keys_queued')::bigint AS keys_before \gset
UPDATE tb_product SET name = name, price = price WHERE pk_product = 4;
SELECT (readmodel.queue_stats()->>'keys_queued')::bigint - :keys_before AS keys_queued_by_same_value;

-- A read column: one key per updated row.
SELECT (readmodel.queue_stats()->>'keys_queued')::bigint AS keys_before \gset
UPDATE tb_product SET stock = stock + 1 WHERE pk_product IN (4, 30);
SELECT (readmodel.queue_stats()->>'keys_queued')::bigint - :keys_before AS keys_queued_by_stock;
SELECT * FROM tv_product ORDER BY pk_product;
SELECT * FROM readmodel.verify('tv_product');

-- A read column that only the filter reads counts as read, too.
SELECT (readmodel.queue_stats()->>'keys_queued')::bigint AS keys_before \gset
UPDATE tb_product SET active = true WHERE pk_product = 4;  -- already true
UPDATE tb_product SET active = false WHERE pk_product = 4;
SELECT (readmodel.queue_stats()->>'keys_queued')::bigint - :keys_before AS keys_queued_by_active;
SELECT * FROM tv_product ORDER BY pk_product;
SELECT * FROM readmodel.verify('tv_product');

-- Clean up.
SET client_min_messages = warning;
DROP SCHEMA shape_root CASCADE;
RESET client_min_messages;
DROP EXTENSION pg_readmodel;
