--
-- upgrade: a database whose extension SQL is still 0.1 (the library is the
-- current one) is updated to 0.2 and then 0.3 with its models working: the
-- write guard is added, the new functions work, and patches use jsonb_set
-- until jsonb_patch exists.  (A model built by the 0.1 library
-- had a unique index instead of a primary key; the upgrade script promotes
-- it, which the current library, adding a primary key itself, cannot show.)
--
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS pg_readmodel;
CREATE EXTENSION pg_readmodel VERSION '0.1';
RESET client_min_messages;
CREATE SCHEMA upgrade;
SET search_path = upgrade, public;
CREATE TABLE tb_user (pk_user integer PRIMARY KEY, name text NOT NULL);
INSERT INTO tb_user VALUES (1, 'alice');
SELECT readmodel.create('tv_user', $$
    SELECT u.pk_user, jsonb_build_object('name', u.name) AS data FROM tb_user u
$$);
-- under the 0.1 SQL there is no guard function, so no guard
SELECT count(*) AS guards FROM pg_trigger
WHERE tgrelid = 'tv_user'::regclass AND tgname = 'readmodel_guard';
ALTER EXTENSION pg_readmodel UPDATE TO '0.2';
SELECT extversion FROM pg_extension WHERE extname = 'pg_readmodel';
SELECT (SELECT count(*) FROM pg_constraint WHERE conrelid = 'tv_user'::regclass AND contype = 'p') AS primary_keys,
       (SELECT count(*) FROM pg_trigger WHERE tgrelid = 'tv_user'::regclass
          AND tgname = 'readmodel_guard') AS guards;
UPDATE tb_user SET name = 'alicia';
SELECT * FROM tv_user;
SELECT kind FROM readmodel.explain('tv_user') ORDER BY kind;
DELETE FROM tv_user;
-- 0.2 has no jsonb_patch: the patch above went through jsonb_set
SELECT to_regprocedure('readmodel.jsonb_patch(jsonb,text[],jsonb)') IS NULL AS no_jsonb_patch;
ALTER EXTENSION pg_readmodel UPDATE TO '0.3';
SELECT extversion FROM pg_extension WHERE extname = 'pg_readmodel';
-- a session keeps the patch statements it prepared (with jsonb_set, the
-- same result); a new one uses jsonb_patch
\c
SET search_path = upgrade, public;
SET track_functions = 'all';
BEGIN;
UPDATE tb_user SET name = 'alice';
SELECT readmodel.flush();
SELECT calls FROM pg_stat_xact_user_functions WHERE funcname = 'jsonb_patch';
COMMIT;
RESET track_functions;
SELECT * FROM tv_user;
SELECT * FROM readmodel.verify('tv_user');
-- 0.4: the catalog is no longer readable by PUBLIC (readmodel.models is,
-- filtered), models have a state, verify() is the C function, DDL on model
-- tables is guarded
ALTER EXTENSION pg_readmodel UPDATE TO '0.4';
SELECT extversion FROM pg_extension WHERE extname = 'pg_readmodel';
SELECT has_table_privilege('public', 'readmodel.model', 'SELECT') AS catalog_public,
       has_table_privilege('public', 'readmodel.models', 'SELECT') AS models_public;
SELECT name, status FROM readmodel.models;
UPDATE tb_user SET name = 'alicia';
SELECT * FROM tv_user;
SELECT * FROM readmodel.verify('tv_user');
SELECT l.lanname AS verify_language
FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang WHERE p.oid = 'readmodel.verify(text)'::regprocedure;
\set VERBOSITY terse
ALTER TABLE tv_user ADD COLUMN extra integer;
\set VERBOSITY default
-- 0.5: the DDL event trigger sees ALTER TYPE (a renamed enum value
-- rebuilds the models holding the type's values)
ALTER EXTENSION pg_readmodel UPDATE TO '0.5';
SELECT extversion FROM pg_extension WHERE extname = 'pg_readmodel';
SELECT 'ALTER TYPE' = ANY (evttags) AS sees_alter_type
FROM pg_event_trigger WHERE evtname = 'readmodel_on_ddl_end';
SELECT name, status FROM readmodel.models;
SELECT * FROM readmodel.verify('tv_user');
-- before 0.7 the catalog refuses mode manual, with a hint
CREATE TABLE tb_tag (pk_tag integer PRIMARY KEY, label text NOT NULL);
SELECT readmodel.create('tv_tag', $$ SELECT t.pk_tag, t.label FROM tb_tag t $$,
                        '{"mode": "manual"}');
-- 0.6: the delta state column, suspend and resume
ALTER EXTENSION pg_readmodel UPDATE TO '0.6';
SELECT extversion FROM pg_extension WHERE extname = 'pg_readmodel';
SELECT readmodel.suspend('tv_user');
SELECT name, status FROM readmodel.models;
SELECT readmodel.resume('tv_user');
-- 0.7: mode manual and readmodel.sync(); capture triggers made before it
-- fired on origin only (as this one, set back so): they fire always now
ALTER TABLE tb_user ENABLE TRIGGER readmodel_capture_update;
SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'tb_user'::regclass ORDER BY tgname;
ALTER EXTENSION pg_readmodel UPDATE TO '0.7';
SELECT extversion FROM pg_extension WHERE extname = 'pg_readmodel';
SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'tb_user'::regclass ORDER BY tgname;
SELECT readmodel.create('tv_tag', $$ SELECT t.pk_tag, t.label FROM tb_tag t $$,
                        '{"mode": "manual"}');
INSERT INTO tb_tag VALUES (1, 'pg');
SELECT readmodel.sync('tv_tag', ARRAY[1]);
SELECT * FROM tv_tag;
SELECT name, mode, status FROM readmodel.models ORDER BY 1;
-- before 0.8 a suspended model's writers record nothing
SELECT readmodel.suspend('tv_user');
UPDATE tb_user SET name = 'suspended under 0.7';
SELECT to_regclass('readmodel.suspended_queue') AS no_queue;
-- 0.8: the keys of suspended models' writers, replayed by resume()
ALTER EXTENSION pg_readmodel UPDATE TO '0.8';
SELECT extversion FROM pg_extension WHERE extname = 'pg_readmodel';
-- suspended before: marked for a rebuild, which the 0.7 write needs
SELECT count(*) AS markers FROM readmodel.suspended_queue WHERE keys IS NULL;
UPDATE tb_user SET name = 'suspended under 0.8';
SELECT readmodel.resume('tv_user');
SELECT data FROM tv_user;
SELECT * FROM readmodel.verify('tv_user');
SELECT count(*) AS queued_rows FROM readmodel.suspended_queue;
-- 0.9: the deferred queue loses its primary key (each writer's commit
-- inserts into it); the worker sorts the queue by id and deletes by ctid
ALTER EXTENSION pg_readmodel UPDATE TO '0.9';
SELECT extversion FROM pg_extension WHERE extname = 'pg_readmodel';
SELECT count(*) AS queue_indexes FROM pg_index
WHERE indrelid = 'readmodel.deferred_queue'::regclass;

-- Clean up.
SET client_min_messages = warning;
DROP SCHEMA upgrade CASCADE;
RESET client_min_messages;
DROP EXTENSION pg_readmodel;
