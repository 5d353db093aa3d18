--
-- drop_refresh: removing read models (readmodel.drop, DROP TABLE, DROP
-- VIEW of the definition, dropping a source or the schema) cleans up the
-- table, the _def view, the catalog row and the capture triggers that no
-- other model needs; refresh() repairs a table that was changed behind the
-- engine's back; DDL on the sources after declaration.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_readmodel;
RESET client_min_messages;
CREATE SCHEMA dr;
SET search_path = dr, public;

CREATE TABLE tb_org (
    pk_org integer PRIMARY KEY,
    name   text NOT NULL
);
CREATE TABLE tb_user (
    pk_user integer PRIMARY KEY,
    fk_org  integer REFERENCES tb_org (pk_org),
    name    text NOT NULL
);
INSERT INTO tb_org VALUES (1, 'Acme'), (2, 'Globex');
INSERT INTO tb_user VALUES (1, 1, 'alice'), (2, 1, 'bob'), (3, 2, 'carol');

-- What the extension has made: relations in this schema, catalog rows and
-- capture triggers (by table).
CREATE VIEW made AS
SELECT 'relation' AS kind, c.relname::text AS name
FROM pg_class c
WHERE c.relnamespace = 'dr'::regnamespace AND c.relname LIKE 'tv\_%' AND c.relkind IN ('r', 'v')
UNION ALL
SELECT 'catalog row', m.relid::text FROM readmodel.model m
UNION ALL
SELECT 'triggers on', t.tgrelid::regclass::text || ' (' || count(*) || ')'
FROM pg_trigger t WHERE t.tgname LIKE 'readmodel\_capture\_%'
GROUP BY t.tgrelid;

SELECT readmodel.create('tv_user', $$
    SELECT u.pk_user, u.name, o.name AS org
    FROM tb_user u LEFT JOIN tb_org o ON o.pk_org = u.fk_org
$$);
SELECT readmodel.create('tv_org', 'SELECT o.pk_org, o.name FROM tb_org o');
SELECT readmodel.create('tv_user_name', 'SELECT u.pk_user, u.name FROM tb_user u');
SELECT * FROM made ORDER BY 1, 2;

-- 1. readmodel.drop(): tv_org goes; tb_org keeps its triggers because
--    tv_user still reads it.
SELECT readmodel.drop('tv_org');
SELECT * FROM made ORDER BY 1, 2;
SELECT to_regclass('tv_org') AS tv_org, to_regclass('tv_org_def') AS tv_org_def;
UPDATE tb_org SET name = 'Acme Inc' WHERE pk_org = 1;
SELECT * FROM tv_user ORDER BY pk_user;
SELECT * FROM readmodel.verify('tv_user');

-- 2. DROP TABLE tv_user: the event trigger removes the model, its view,
--    and the triggers on tb_org (nothing reads it any more); tb_user keeps
--    them for tv_user_name.
DROP TABLE tv_user;
SELECT * FROM made ORDER BY 1, 2;
UPDATE tb_org SET name = 'Acme' WHERE pk_org = 1;
UPDATE tb_user SET name = 'alice.smith' WHERE pk_user = 1;
SELECT * FROM tv_user_name ORDER BY pk_user;
SELECT * FROM readmodel.verify('tv_user_name');

-- 3. DROP VIEW of the definition removes the model and its table too.
DROP VIEW tv_user_name_def;
SELECT * FROM made ORDER BY 1, 2;
SELECT to_regclass('tv_user_name') AS tv_user_name;
-- the sources work as before, with nothing to maintain
UPDATE tb_user SET name = 'alice' WHERE pk_user = 1;
SELECT * FROM readmodel.health_check() WHERE component <> 'library';

-- 4. readmodel.drop(name, cascade): a view over the read model blocks a
--    plain drop; cascade drops it too.
SELECT readmodel.create('tv_org', 'SELECT o.pk_org, o.name FROM tb_org o');
CREATE VIEW org_names AS SELECT name FROM tv_org;
\set VERBOSITY default
SELECT readmodel.drop('tv_org');
\set VERBOSITY terse
SELECT * FROM made ORDER BY 1, 2;
SELECT readmodel.drop('tv_org', true);
SELECT to_regclass('org_names') AS org_names;
SELECT * FROM made ORDER BY 1, 2;

-- 5. A drop rolled back with its transaction leaves the model working;
--    a drop with keys pending in the same transaction commits cleanly.
SELECT readmodel.create('tv_user', $$
    SELECT u.pk_user, u.name, o.name AS org
    FROM tb_user u LEFT JOIN tb_org o ON o.pk_org = u.fk_org
$$);
BEGIN;
SELECT readmodel.drop('tv_user');
SELECT * FROM made ORDER BY 1, 2;
ROLLBACK;
SELECT * FROM made ORDER BY 1, 2;
UPDATE tb_user SET name = 'bob.jones' WHERE pk_user = 2;
SELECT * FROM tv_user ORDER BY pk_user;
SELECT * FROM readmodel.verify('tv_user');
BEGIN;
UPDATE tb_user SET name = 'bob' WHERE pk_user = 2;
SELECT model, key FROM readmodel.debug_queue();
SELECT readmodel.drop('tv_user');
COMMIT;
SELECT * FROM made ORDER BY 1, 2;

-- 6. Dropping a source table with CASCADE drops the definition view, and
--    with it the model; the other source loses its triggers.
SELECT readmodel.create('tv_user', $$
    SELECT u.pk_user, u.name, o.name AS org
    FROM tb_user u LEFT JOIN tb_org o ON o.pk_org = u.fk_org
$$);
CREATE TABLE tb_badge (pk_badge integer PRIMARY KEY, fk_user integer NOT NULL, label text NOT NULL);
SELECT readmodel.create('tv_user_badges', $$
    SELECT u.pk_user,
           ARRAY(SELECT b.label FROM tb_badge b WHERE b.fk_user = u.pk_user ORDER BY b.label) AS badges
    FROM tb_user u
$$);
SELECT * FROM made ORDER BY 1, 2;
DROP TABLE tb_badge;
SET client_min_messages = warning;
DROP TABLE tb_badge CASCADE;
RESET client_min_messages;
SELECT * FROM made ORDER BY 1, 2;

-- 7. Models in their own schema over sources elsewhere: dropping that
--    schema removes the triggers from the sources.
CREATE SCHEMA dr_models;
SELECT readmodel.create('dr_models.tv_org', 'SELECT o.pk_org, o.name FROM dr.tb_org o');
SELECT * FROM made ORDER BY 1, 2;
SET client_min_messages = warning;
DROP SCHEMA dr_models CASCADE;
RESET client_min_messages;
SELECT * FROM made ORDER BY 1, 2;

-- 8. refresh() after the table was changed behind the engine's back.
--    session_replication_role = replica lets us write the table directly.
SET session_replication_role = replica;
UPDATE tv_user SET name = 'mallory' WHERE pk_user = 1;
DELETE FROM tv_user WHERE pk_user = 2;
INSERT INTO tv_user VALUES (99, 'ghost', NULL);
RESET session_replication_role;
SELECT * FROM tv_user ORDER BY pk_user;
SELECT * FROM readmodel.verify('tv_user');
SELECT readmodel.refresh('tv_user') AS rows_written;
SELECT * FROM tv_user ORDER BY pk_user;
SELECT * FROM readmodel.verify('tv_user');
-- nothing to repair: nothing written
SELECT readmodel.refresh('tv_user') AS rows_written;

-- Under session_replication_role = replica the capture triggers fire all
-- the same (they are enabled always): source changes made that way are
-- maintained, and refresh() finds nothing to repair.
SET session_replication_role = replica;
UPDATE tb_org SET name = 'Globex Corp' WHERE pk_org = 2;
INSERT INTO tb_user VALUES (4, 2, 'dave');
RESET session_replication_role;
SELECT * FROM readmodel.verify('tv_user');
SELECT readmodel.refresh('tv_user') AS rows_written;
SELECT * FROM tv_user ORDER BY pk_user;
SELECT * FROM readmodel.verify('tv_user');

-- refresh() inside a transaction, with keys of the same model pending
-- (read_your_writes off: the rebuild's own read would apply them first).
BEGIN;
SET LOCAL readmodel.read_your_writes = off;
UPDATE tb_user SET name = 'carol.b' WHERE pk_user = 3;
SELECT readmodel.refresh('tv_user') AS rows_written;
SELECT * FROM tv_user WHERE pk_user = 3;
UPDATE tb_user SET fk_org = 1 WHERE pk_user = 3;
COMMIT;
SELECT * FROM tv_user ORDER BY pk_user;
SELECT * FROM readmodel.verify('tv_user');

-- 9. Renames: the read-model table, a source table and a source column.
ALTER TABLE tv_user RENAME TO tv_member;
SELECT name, key, sources FROM readmodel.models ORDER BY name::text;
ALTER TABLE tb_org RENAME TO tb_organization;
ALTER TABLE tb_user RENAME COLUMN name TO full_name;
UPDATE tb_organization SET name = 'ACME' WHERE pk_org = 1;
UPDATE tb_user SET full_name = 'Bob' WHERE pk_user = 2;
SELECT * FROM tv_member ORDER BY pk_user;
SELECT * FROM readmodel.verify('tv_member');
-- (the definition view keeps the name it was created with)
SELECT relid, viewid FROM readmodel.model;
\d+ tv_user_def
SELECT readmodel.drop('tv_member');

-- 10. DDL on a source after declaration that the engine can no longer
--     maintain must not break writes to the sources of other models, and
--     health_check() must report it rather than fail.
CREATE TABLE tb_tag (pk_tag integer PRIMARY KEY, name text NOT NULL);
INSERT INTO tb_tag VALUES (1, 'red');
SELECT readmodel.create('tv_tag', 'SELECT t.pk_tag, t.name FROM tb_tag t');
SELECT readmodel.create('tv_user', $$
    SELECT u.pk_user, u.full_name, o.name AS org
    FROM tb_user u LEFT JOIN tb_organization o ON o.pk_org = u.fk_org
$$);

-- a) the root table of tv_tag loses its primary key
ALTER TABLE tb_tag DROP CONSTRAINT tb_tag_pkey;
UPDATE tb_user SET full_name = 'Carol' WHERE pk_user = 3;
SELECT * FROM tv_user ORDER BY pk_user;
SELECT * FROM readmodel.verify('tv_user');
SELECT DISTINCT status, component FROM readmodel.health_check() WHERE status <> 'ok' ORDER BY 2;
SELECT readmodel.drop('tv_tag');

-- b) a source of tv_tag gets an inheritance child
ALTER TABLE tb_tag ADD PRIMARY KEY (pk_tag);
SELECT readmodel.create('tv_tag', 'SELECT t.pk_tag, t.name FROM tb_tag t');
CREATE TABLE tb_special_tag () INHERITS (tb_tag);
UPDATE tb_user SET full_name = 'Dave' WHERE pk_user = 4;
SELECT * FROM tv_user ORDER BY pk_user;
SELECT * FROM readmodel.verify('tv_user');
SELECT DISTINCT status, component FROM readmodel.health_check() WHERE status <> 'ok' ORDER BY 2;
SELECT readmodel.drop('tv_tag');
SELECT * FROM readmodel.verify('tv_user');

-- c) A whole-row reference (to_jsonb(l)) follows the table's current row
--    type, so ADD COLUMN changes every row of the definition without any
--    row being written.  Such a model must either be refused or stay in
--    sync.
CREATE TABLE tb_label (pk_label integer PRIMARY KEY, name text NOT NULL);
INSERT INTO tb_label VALUES (1, 'new'), (2, 'sale');
DO $$
BEGIN
    PERFORM readmodel.create('tv_label', 'SELECT l.pk_label, to_jsonb(l) AS doc FROM tb_label l');
EXCEPTION WHEN feature_not_supported OR invalid_object_definition OR wrong_object_type THEN
    NULL;   -- refused
END
$$;
ALTER TABLE tb_label ADD COLUMN color text NOT NULL DEFAULT 'red';
SELECT count(v.*) AS rows_out_of_sync
FROM readmodel.model m, LATERAL readmodel.verify(m.relid::text) v
WHERE m.relid::text = 'tv_label';
DO $$
BEGIN
    IF to_regclass('tv_label') IS NOT NULL THEN
        PERFORM readmodel.drop('tv_label');
    END IF;
END
$$;

-- d) Suspend for a bulk load, then resume: the model is not maintained
--    meanwhile, health_check warns, and resume, after the writers in
--    progress, replays the keys they recorded (sql/suspend_replay).
SELECT readmodel.suspend('tv_user');
SELECT name, status, reason FROM readmodel.models WHERE name = 'tv_user'::regclass;
UPDATE tb_user SET full_name = full_name || '!';
SELECT (SELECT count(*) FROM readmodel.verify('tv_user')) > 0 AS behind;
SELECT status, message FROM readmodel.health_check() WHERE component = 'dr.tv_user';
SELECT readmodel.suspend('tv_user');
SELECT readmodel.resume('tv_user') > 0 AS rebuilt;
SELECT name, status FROM readmodel.models WHERE name = 'tv_user'::regclass;
SELECT count(*) AS problems FROM readmodel.verify('tv_user');
SELECT readmodel.resume('tv_user');
UPDATE tb_user SET full_name = 'Eve' WHERE pk_user = 4;
SELECT count(*) AS problems FROM readmodel.verify('tv_user');

-- Clean up.
SET client_min_messages = warning;
DROP SCHEMA dr CASCADE;
RESET client_min_messages;
SELECT count(*) AS models_left FROM readmodel.model;
DROP EXTENSION pg_readmodel;
