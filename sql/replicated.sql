--
-- replicated: option {"replicated": true} gives the sources capture row
-- triggers that fire for replica only, as a logical-replication apply
-- worker needs: it fires no statement trigger (t/008_subscriber.pl runs a
-- real subscription).  Here a superuser's session with
-- session_replication_role = replica writes: the statement triggers, which
-- fire always, and the row triggers both capture, and the models stay exact
-- (the rows the row triggers capture recompute; nothing counts twice).
-- A model without the option is captured in that session too.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_readmodel;
RESET client_min_messages;
CREATE SCHEMA rp;
SET search_path = rp, public;

CREATE TABLE tb_group (pk_group integer PRIMARY KEY, name text NOT NULL);
CREATE TABLE tb_item (
    pk_item  integer PRIMARY KEY,
    fk_group integer NOT NULL,
    price    numeric(8,2) NOT NULL,
    label    text NOT NULL
);
CREATE INDEX ON tb_item (fk_group);
INSERT INTO tb_group VALUES (1, 'g1'), (2, 'g2');
INSERT INTO tb_item VALUES (1, 1, 1.50, 'a'), (2, 1, 2.00, 'b'), (3, 2, 9.99, 'c');

SELECT readmodel.create('tv_group', $$
    SELECT g.pk_group, g.name, count(i.pk_item) AS items, sum(i.price) AS total,
           jsonb_agg(i.label ORDER BY i.pk_item) FILTER (WHERE i.pk_item IS NOT NULL) AS labels
    FROM tb_group g LEFT JOIN tb_item i ON i.fk_group = g.pk_group
    GROUP BY g.pk_group
$$, '{"replicated": true}');
-- a rollup kept by deltas: rows captured by the row triggers recompute
SELECT readmodel.create('tv_group_sum', $$
    SELECT i.fk_group, count(*) AS n, sum(i.price) AS total FROM tb_item i GROUP BY i.fk_group
$$, '{"replicated": true}');

SELECT tgrelid::regclass AS tbl, tgname, tgenabled
FROM pg_trigger WHERE tgname LIKE 'readmodel_capture_%' ORDER BY tgrelid::regclass::text, tgname;

-- a. as the apply worker: replica role
SET session_replication_role = replica;
INSERT INTO tb_item VALUES (4, 2, 0.10, 'd');
UPDATE tb_item SET price = 2.50 WHERE pk_item = 2;
UPDATE tb_item SET fk_group = 2 WHERE pk_item = 1;      -- moves between groups
UPDATE tb_group SET name = 'G2' WHERE pk_group = 2;
DELETE FROM tb_item WHERE pk_item = 3;
BEGIN;
UPDATE tb_item SET price = price * 2;                    -- many rows in one statement
SAVEPOINT s;
DELETE FROM tb_item WHERE pk_item = 4;
ROLLBACK TO s;
COMMIT;
SELECT * FROM tv_group ORDER BY 1;
SELECT count(*) AS problems FROM readmodel.verify('tv_group');
SELECT count(*) AS problems FROM readmodel.verify('tv_group_sum');
TRUNCATE tb_item;
SELECT count(*) AS problems FROM readmodel.verify('tv_group');
SELECT count(*) AS rows_left FROM tv_group_sum;
RESET session_replication_role;

-- b. local writes fire the statement triggers only, as before
INSERT INTO tb_item VALUES (5, 1, 3.00, 'e'), (6, 1, 4.00, 'f');
UPDATE tb_item SET price = price + 1;
SELECT count(*) AS problems FROM readmodel.verify('tv_group');
SELECT count(*) AS problems FROM readmodel.verify('tv_group_sum');
SELECT (readmodel.queue_stats()->>'queue_size')::int AS queued;

-- c. the option is a boolean, and means nothing with mode manual
SELECT readmodel.create('tv_bad', $$ SELECT g.pk_group FROM tb_group g $$, '{"replicated": "yes"}');
SELECT readmodel.create('tv_bad', $$ SELECT g.pk_group FROM tb_group g $$,
                        '{"replicated": true, "mode": "manual"}');

-- d. without the option: the statement triggers fire always
CREATE TABLE tb_note (pk_note integer PRIMARY KEY, body text NOT NULL);
SELECT readmodel.create('tv_note', $$ SELECT n.pk_note, n.body FROM tb_note n $$);
SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'tb_note'::regclass ORDER BY tgname;
SET session_replication_role = replica;
INSERT INTO tb_note VALUES (1, 'in replica role');
UPDATE tb_note SET body = 'still captured';
RESET session_replication_role;
SELECT * FROM tv_note;
SELECT readmodel.drop('tv_note');

-- e. dropping the last model removes the row triggers with the others
SELECT readmodel.drop('tv_group');
SELECT readmodel.drop('tv_group_sum');
SELECT count(*) AS capture_triggers FROM pg_trigger WHERE tgname LIKE 'readmodel_capture_%';

SET client_min_messages = warning;
DROP SCHEMA rp CASCADE;
