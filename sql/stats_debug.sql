--
-- stats_debug: readmodel.queue_stats() counters, readmodel.debug_queue()
-- inside a transaction, readmodel.health_check() and readmodel.flush().
-- Timings and the statistics scope depend on the run, so only stable fields
-- (and differences of counters) are shown.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_readmodel;
RESET client_min_messages;
CREATE SCHEMA stats;
SET search_path = stats, public;

CREATE TABLE tb_cat (
    pk_cat integer PRIMARY KEY,
    name   text NOT NULL
);
CREATE TABLE tb_item (
    pk_item integer PRIMARY KEY,
    fk_cat  integer REFERENCES tb_cat (pk_cat),
    name    text NOT NULL,
    active  boolean NOT NULL DEFAULT true
);
INSERT INTO tb_cat VALUES (1, 'tools'), (2, 'toys');
INSERT INTO tb_item VALUES (1, 1, 'Hammer', true), (2, 1, 'Saw', true), (3, 2, 'Ball', true);

-- The name is shown in lower case, so changing only its case changes
-- nothing in the read model.
SELECT readmodel.create('tv_item', $$
    SELECT i.pk_item, lower(i.name) AS name, c.name AS category
    FROM tb_item i LEFT JOIN tb_cat c ON c.pk_cat = i.fk_cat
    WHERE i.active
$$);
SELECT readmodel.create('tv_cat_now', $$
    SELECT c.pk_cat, c.name,
           (SELECT count(*) FROM tb_item i WHERE i.fk_cat = c.pk_cat) AS items
    FROM tb_cat c
$$, '{"mode": "statement"}');
SELECT * FROM tv_item ORDER BY pk_item;
SELECT * FROM tv_cat_now ORDER BY pk_cat;

-- 1. queue_stats(): its keys and their JSON types.
SELECT key, jsonb_typeof(value) AS type FROM jsonb_each(readmodel.queue_stats()) ORDER BY key;
-- the scope matches how the library was loaded
SELECT readmodel.queue_stats()->>'scope' =
       CASE WHEN h.message LIKE 'preloaded%' THEN 'cluster' ELSE 'backend' END AS scope_matches
FROM readmodel.health_check() h WHERE h.component = 'library';
SELECT readmodel.queue_stats()->'queue_size' AS queue_size;

-- 2. Counter differences over known work.  :before holds the counters
--    before each step; the query below prints what each step added.
\set deltas 'SELECT key, (readmodel.queue_stats()->>key)::bigint - (:''before''::jsonb->>key)::bigint AS added FROM jsonb_object_keys(:''before''::jsonb) AS key WHERE key NOT IN (''scope'', ''total_timing_ms'', ''queue_size'') ORDER BY key;'

-- a) Two names change case only: two keys recomputed, nothing written.
SELECT readmodel.queue_stats() AS before \gset
UPDATE tb_item SET name = upper(name) WHERE pk_item IN (1, 2);
:deltas
SELECT * FROM tv_item ORDER BY pk_item;

-- b) Three rows inserted, one of them filtered out: three keys of tv_item
--    (two rows written, one skipped) and two keys of tv_cat_now (both
--    categories' counts change), in one captured statement.
SELECT readmodel.queue_stats() AS before \gset
INSERT INTO tb_item VALUES (4, 2, 'Kite', true), (5, 2, 'Yo-yo', false), (6, 1, 'Drill', true);
:deltas
SELECT * FROM tv_item ORDER BY pk_item;
SELECT * FROM tv_cat_now ORDER BY pk_cat;

-- c) The same row updated three times in one transaction: three keys
--    queued, coalesced into one recomputation at commit.
SELECT readmodel.queue_stats() AS before \gset
BEGIN;
UPDATE tb_item SET name = 'Ball 1' WHERE pk_item = 3;
UPDATE tb_item SET name = 'Ball 2' WHERE pk_item = 3;
UPDATE tb_item SET name = 'Ball 3' WHERE pk_item = 3;
SELECT (readmodel.queue_stats()->>'queue_size')::integer AS queue_size_in_transaction;
COMMIT;
:deltas
SELECT readmodel.queue_stats()->'queue_size' AS queue_size_after_commit;

-- d) TRUNCATE and refresh(): full refreshes.  The statement-mode model is
--    refreshed at the end of the TRUNCATE and again by refresh(); the
--    refresh queued for tv_item is discarded by the ROLLBACK.
SELECT readmodel.queue_stats() AS before \gset
BEGIN;
TRUNCATE tb_item;
SELECT readmodel.refresh('tv_cat_now') AS rows_written;
ROLLBACK;
:deltas
SELECT * FROM tv_item ORDER BY pk_item;

-- e) Small chunks and an early lock escalation change how the work is
--    done, not its result.
SET readmodel.apply_chunk = 2;
SET readmodel.lock_escalation = 3;
SELECT readmodel.queue_stats() AS before \gset
UPDATE tb_item SET name = name || '!';
:deltas
RESET readmodel.apply_chunk;
RESET readmodel.lock_escalation;
SELECT * FROM tv_item ORDER BY pk_item;
SELECT * FROM readmodel.verify('tv_item');
SELECT * FROM readmodel.verify('tv_cat_now');

-- 3. debug_queue() inside a transaction: each key with its reason.  The
--    statement-mode model never has anything queued between statements.
BEGIN;
INSERT INTO tb_item VALUES (7, 1, 'Wrench', true);
UPDATE tb_item SET active = false WHERE pk_item = 6;
DELETE FROM tb_item WHERE pk_item = 4;
SELECT model, key, reason FROM readmodel.debug_queue() ORDER BY model::text, key;
UPDATE tb_cat SET name = 'toys & games' WHERE pk_cat = 2;
SELECT model, key, reason FROM readmodel.debug_queue() ORDER BY model::text, key;
TRUNCATE tb_item;
SELECT model, key, reason FROM readmodel.debug_queue() ORDER BY model::text, key;
ROLLBACK;
SELECT model, key, reason FROM readmodel.debug_queue();

-- The reason names the table that was written.  Item 1 is queued first by
-- the rename of its category, then by its own deletion: the reasons for
-- key 1 must name tb_item and must not claim a DELETE on tb_cat.
BEGIN;
UPDATE tb_cat SET name = 'hardware' WHERE pk_cat = 1;
DELETE FROM tb_item WHERE pk_item = 1;
SELECT bool_or(reason LIKE '%tb_item%') AS names_tb_item,
       bool_or(reason ~ 'DELETE[A-Z,]* on tb_cat') AS claims_delete_on_tb_cat
FROM readmodel.debug_queue() WHERE model = 'tv_item'::regclass AND key = '1';
ROLLBACK;

-- Work rolled back to a savepoint is gone from the reasons, too.
BEGIN;
INSERT INTO tb_item VALUES (8, 2, 'Doll', true);
SAVEPOINT sp;
UPDATE tb_item SET name = 'Doll house' WHERE pk_item = 8;
SELECT model, key, reason FROM readmodel.debug_queue() ORDER BY model::text, key;
ROLLBACK TO SAVEPOINT sp;
SELECT model, key, reason FROM readmodel.debug_queue() ORDER BY model::text, key;
COMMIT;
SELECT * FROM tv_item ORDER BY pk_item;
SELECT * FROM readmodel.verify('tv_item');

-- 4. health_check(): one row per model, the queue, the library.  (The
--    library's message says whether it was preloaded, so only its status
--    is shown.)
SELECT status, component, message FROM readmodel.health_check() WHERE component <> 'library';
SELECT status, component FROM readmodel.health_check() WHERE component = 'library';
-- inside a transaction with keys pending (health_check() counts the rows
-- of every model: with read_your_writes on, that applies them first)
BEGIN;
UPDATE tb_item SET active = NOT active WHERE pk_item IN (2, 3);
SET LOCAL readmodel.read_your_writes = off;
SELECT status, component, message FROM readmodel.health_check() WHERE component = 'queue';
RESET readmodel.read_your_writes;
SELECT status, component, message FROM readmodel.health_check() WHERE component = 'queue';
ROLLBACK;
-- a disabled capture trigger is an error: the models that need it miss
-- changes from then on, so they are stale at once, and stay stale until
-- refreshed even after the trigger is enabled again
ALTER TABLE tb_cat DISABLE TRIGGER readmodel_capture_update;
SELECT status, component, message FROM readmodel.health_check() WHERE status <> 'ok';
ALTER TABLE tb_cat ENABLE TRIGGER readmodel_capture_update;
SELECT name, status FROM readmodel.models ORDER BY name::text;
SELECT readmodel.refresh('tv_item') >= 0 AS refreshed, readmodel.refresh('tv_cat_now') >= 0 AS refreshed;
SELECT name, status FROM readmodel.models ORDER BY name::text;
-- a capture trigger on a table no model reads is a warning
CREATE TABLE tb_other (pk integer PRIMARY KEY);
CREATE TRIGGER readmodel_capture_insert AFTER INSERT ON tb_other
    FOR EACH STATEMENT EXECUTE FUNCTION readmodel.capture();
SELECT status, component, message FROM readmodel.health_check() WHERE status <> 'ok';
INSERT INTO tb_other VALUES (1);   -- the stray trigger does nothing
DROP TABLE tb_other;
SELECT status, component, message FROM readmodel.health_check() WHERE status <> 'ok';

-- 5. flush(): applies the queue now and returns how many keys it applied.
--    With read_your_writes on, a query reading the model would apply its
--    work first; off, the transaction sees it after flush() (or commit).
SET readmodel.read_your_writes = off;
SELECT readmodel.flush() AS applied_outside_a_transaction;
BEGIN;
SELECT readmodel.flush() AS applied_with_nothing_queued;
UPDATE tb_item SET name = 'Hammer XL' WHERE pk_item = 1;
UPDATE tb_cat SET name = 'hardware' WHERE pk_cat = 1;
SELECT model, key FROM readmodel.debug_queue() ORDER BY model::text, key;
SELECT * FROM tv_item ORDER BY pk_item;
SELECT readmodel.flush() AS applied;
SELECT model, key FROM readmodel.debug_queue() ORDER BY model::text, key;
SELECT readmodel.queue_stats()->'queue_size' AS queue_size;
SELECT * FROM tv_item ORDER BY pk_item;
SELECT * FROM readmodel.verify('tv_item');
-- more work after the flush is queued again and applied at commit
UPDATE tb_item SET active = true WHERE pk_item = 5;
SELECT model, key FROM readmodel.debug_queue() ORDER BY model::text, key;
COMMIT;
SELECT * FROM tv_item ORDER BY pk_item;
SELECT * FROM readmodel.verify('tv_item');

-- a flush in a transaction that rolls back is rolled back with it
BEGIN;
DELETE FROM tb_item WHERE pk_item = 2;
SELECT readmodel.flush() AS applied;
SELECT * FROM tv_item ORDER BY pk_item;
ROLLBACK;
SELECT * FROM tv_item ORDER BY pk_item;

-- a full refresh queued by TRUNCATE: flush() returns the rows written
BEGIN;
TRUNCATE tb_item;
SELECT readmodel.flush() AS applied;
SELECT count(*) AS items_left FROM tv_item;
ROLLBACK;
SELECT * FROM readmodel.verify('tv_item');
SELECT * FROM readmodel.verify('tv_cat_now');

RESET readmodel.read_your_writes;

-- Clean up.
SET client_min_messages = warning;
DROP SCHEMA stats CASCADE;
RESET client_min_messages;
DROP EXTENSION pg_readmodel;
