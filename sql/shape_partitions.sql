--
-- shape_partitions: partitioned source tables (metrics partitioned by
-- month, one partition itself partitioned).  Every member of the tree has
-- the capture triggers; writes routed through the parent and written to a
-- partition directly (whose column numbers differ from the parent's) are
-- both seen; ATTACH, DETACH, CREATE ... PARTITION OF, TRUNCATE and DROP of
-- a partition keep the models exact.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_readmodel;
RESET client_min_messages;
CREATE SCHEMA shape_parts;
SET search_path = shape_parts, public;
SET datestyle = ISO;

CREATE TABLE tb_device (pk_device integer PRIMARY KEY, name text NOT NULL);
CREATE TABLE tb_metric (
    pk_metric integer NOT NULL,
    fk_device integer NOT NULL,
    at        date NOT NULL,
    value     integer NOT NULL,
    PRIMARY KEY (pk_metric, at)
) PARTITION BY RANGE (at);
CREATE TABLE tb_metric_01 PARTITION OF tb_metric FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
-- a partition made apart, with a dropped column: its attribute numbers differ
CREATE TABLE tb_metric_02 (extra integer, pk_metric integer NOT NULL, fk_device integer NOT NULL,
                           at date NOT NULL, value integer NOT NULL);
ALTER TABLE tb_metric_02 DROP COLUMN extra;
ALTER TABLE tb_metric ATTACH PARTITION tb_metric_02 FOR VALUES FROM ('2026-02-01') TO ('2026-03-01');
-- a partition that is partitioned itself
CREATE TABLE tb_metric_03 PARTITION OF tb_metric FOR VALUES FROM ('2026-03-01') TO ('2026-04-01')
    PARTITION BY RANGE (at);
CREATE TABLE tb_metric_03_early PARTITION OF tb_metric_03 FOR VALUES FROM ('2026-03-01') TO ('2026-03-16');
CREATE TABLE tb_metric_03_rest PARTITION OF tb_metric_03 DEFAULT;
CREATE INDEX ON tb_metric (fk_device);
INSERT INTO tb_device VALUES (1, 'pump'), (2, 'fan');
INSERT INTO tb_metric VALUES (1, 1, '2026-01-05', 10), (2, 1, '2026-02-05', 20), (3, 2, '2026-01-07', 5);

SELECT readmodel.create('tv_device', $$
    SELECT d.pk_device, d.name,
           (SELECT count(*) FROM tb_metric m WHERE m.fk_device = d.pk_device) AS readings,
           (SELECT COALESCE(sum(m.value), 0) FROM tb_metric m WHERE m.fk_device = d.pk_device) AS total
    FROM tb_device d $$);
SELECT readmodel.create('tv_day', $$
    SELECT m.at, count(*) AS readings, sum(m.value) AS total FROM tb_metric m GROUP BY m.at $$);
-- the partitioned table as the root (its primary key is composite): a
-- device rename reads the partitioned table by fk_device
SELECT readmodel.create('tv_reading', $$
    SELECT m.pk_metric, m.at, m.value, d.name AS device
    FROM tb_metric m JOIN tb_device d ON d.pk_device = m.fk_device $$);
-- a partition alone is refused: writes through the parent would be missed
SELECT readmodel.create('tv_bad', $$ SELECT m.pk_metric, m.at FROM tb_metric_01 m $$);

CREATE VIEW capture_tables AS
    SELECT tgrelid::regclass AS member, count(*) AS triggers FROM pg_trigger
    WHERE tgname LIKE 'readmodel_capture%' AND tgrelid::regclass::text LIKE 'tb_metric%'
    GROUP BY 1 ORDER BY tgrelid::regclass::text;
SELECT * FROM capture_tables;

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
CREATE VIEW exactness AS
    SELECT m AS model, image_diff(m) AS differing,
           (SELECT count(*) FROM readmodel.verify(m)) AS verify_rows
    FROM unnest(ARRAY['tv_device', 'tv_day', 'tv_reading']) m;

-- Writes through the parent and to partitions directly, at every depth.
INSERT INTO tb_metric VALUES (4, 2, '2026-02-10', 7), (5, 1, '2026-03-02', 1);
INSERT INTO tb_metric_02 VALUES (6, 1, '2026-02-11', 100);
INSERT INTO tb_metric_03_rest VALUES (7, 2, '2026-03-23', 30);
UPDATE tb_metric_02 SET value = value + 1 WHERE pk_metric = 2;
UPDATE tb_metric SET at = '2026-02-07' WHERE pk_metric = 3;        -- moves between partitions
UPDATE tb_metric SET at = '2026-03-20' WHERE pk_metric = 5;        -- moves between sub-partitions
UPDATE tb_metric_03 SET value = 2 WHERE pk_metric = 5;             -- to the middle of the tree
DELETE FROM tb_metric_01 WHERE pk_metric = 1;
UPDATE tb_device SET name = 'Pump' WHERE pk_device = 1;
SELECT * FROM tv_reading ORDER BY pk_metric;
SELECT * FROM tv_device ORDER BY pk_device;
SELECT * FROM tv_day ORDER BY at;
SELECT * FROM exactness;

-- ATTACH a table with rows; CREATE ... PARTITION OF; DETACH; TRUNCATE and
-- DROP of a partition.
CREATE TABLE tb_metric_04 (LIKE tb_metric);
INSERT INTO tb_metric_04 VALUES (8, 2, '2026-04-02', 1000);
ALTER TABLE tb_metric ATTACH PARTITION tb_metric_04 FOR VALUES FROM ('2026-04-01') TO ('2026-05-01');
SELECT * FROM exactness;
INSERT INTO tb_metric_04 VALUES (9, 2, '2026-04-03', 1);
CREATE TABLE tb_metric_05 PARTITION OF tb_metric FOR VALUES FROM ('2026-05-01') TO ('2026-06-01');
INSERT INTO tb_metric_05 VALUES (10, 1, '2026-05-02', 3);
SELECT * FROM capture_tables;
SELECT * FROM exactness;
ALTER TABLE tb_metric DETACH PARTITION tb_metric_01;
SELECT * FROM exactness;
INSERT INTO tb_metric_01 VALUES (11, 1, '2026-01-09', 9);        -- no longer a member
TRUNCATE tb_metric_02;
SELECT * FROM exactness;
DROP TABLE tb_metric_04;
SELECT * FROM exactness;
SELECT * FROM capture_tables;
SELECT * FROM tv_device ORDER BY pk_device;
SELECT * FROM tv_day ORDER BY at;
SELECT status, component FROM readmodel.health_check() WHERE component LIKE 'shape_parts.%' OR status <> 'ok';

-- A member whose capture trigger is disabled makes the models stale, as a
-- source's would.
ALTER TABLE tb_metric_05 DISABLE TRIGGER readmodel_capture_insert;
SELECT name, status FROM readmodel.models
WHERE name IN ('tv_device'::regclass, 'tv_day'::regclass, 'tv_reading'::regclass) ORDER BY 1;
ALTER TABLE tb_metric_05 ENABLE TRIGGER readmodel_capture_insert;
SELECT readmodel.refresh('tv_device'), readmodel.refresh('tv_day'), readmodel.refresh('tv_reading');
SELECT * FROM exactness;

-- Attaching a table that has the parent's foreign keys (a detached member
-- keeps them; ATTACH drops its own RI triggers) keeps the models
-- maintained.  A statement-mode model is exact right after a DETACH or a
-- DROP of a member inside a transaction, not only at the next write.
CREATE TABLE tb_rx (pk_rx integer NOT NULL, fk_device integer NOT NULL REFERENCES tb_device,
                    kind text NOT NULL, PRIMARY KEY (pk_rx)) PARTITION BY RANGE (pk_rx);
CREATE TABLE tb_rx_0 PARTITION OF tb_rx FOR VALUES FROM (0) TO (100);
CREATE TABLE tb_rx_1 (pk_rx integer NOT NULL, fk_device integer NOT NULL REFERENCES tb_device,
                      kind text NOT NULL);
INSERT INTO tb_rx VALUES (1, 1, 'a');
INSERT INTO tb_rx_1 VALUES (101, 1, 'a'), (102, 1, 'b');
SELECT readmodel.create('tv_rx', 'SELECT r.kind, count(*) AS n FROM tb_rx r GROUP BY r.kind');
SELECT readmodel.create('tv_rx_stmt', 'SELECT r.kind, count(*) AS n FROM tb_rx r GROUP BY r.kind',
                        '{"mode": "statement"}');
ALTER TABLE tb_rx ATTACH PARTITION tb_rx_1 FOR VALUES FROM (100) TO (200);
SELECT name, status FROM readmodel.models
WHERE name IN ('tv_rx'::regclass, 'tv_rx_stmt'::regclass) ORDER BY 1;
BEGIN;
ALTER TABLE tb_rx DETACH PARTITION tb_rx_1;
SELECT * FROM tv_rx_stmt ORDER BY kind;
SELECT count(*) AS verify_rows FROM readmodel.verify('tv_rx_stmt');
DROP TABLE tb_rx_0;
SELECT count(*) AS verify_rows FROM readmodel.verify('tv_rx_stmt');
COMMIT;
SELECT m AS model, (SELECT count(*) FROM readmodel.verify(m)) AS verify_rows
FROM unnest(ARRAY['tv_rx', 'tv_rx_stmt']) m;
SELECT readmodel.drop('tv_rx'), readmodel.drop('tv_rx_stmt');

-- A foreign partition's writes never reach this server's triggers: one
-- cannot be attached under a model (its capture triggers cannot be
-- installed), and a table with one is refused.
CREATE FOREIGN DATA WRAPPER shape_parts_fdw;
CREATE SERVER shape_parts_srv FOREIGN DATA WRAPPER shape_parts_fdw;
CREATE TABLE tb_sample (at integer NOT NULL, v integer) PARTITION BY RANGE (at);
CREATE TABLE tb_sample_local PARTITION OF tb_sample FOR VALUES FROM (0) TO (10);
CREATE FOREIGN TABLE tb_sample_remote (at integer NOT NULL, v integer) SERVER shape_parts_srv;
SELECT readmodel.create('tv_sample', 'SELECT s.at, count(*) AS n FROM tb_sample s GROUP BY s.at');
ALTER TABLE tb_sample ATTACH PARTITION tb_sample_remote FOR VALUES FROM (10) TO (20);
SELECT readmodel.drop('tv_sample');
ALTER TABLE tb_sample ATTACH PARTITION tb_sample_remote FOR VALUES FROM (10) TO (20);
SELECT readmodel.create('tv_sample', 'SELECT s.at, count(*) AS n FROM tb_sample s GROUP BY s.at');

SELECT readmodel.drop('tv_device'), readmodel.drop('tv_day'), readmodel.drop('tv_reading');
SELECT count(*) AS capture_triggers_left FROM pg_trigger WHERE tgname LIKE 'readmodel_capture%'
    AND tgrelid::regclass::text LIKE 'tb_metric%';
DROP SCHEMA shape_parts CASCADE;
DROP SERVER shape_parts_srv;
DROP FOREIGN DATA WRAPPER shape_parts_fdw;
