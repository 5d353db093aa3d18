--
-- ddl_guard: what DDL may do to a model table, its definition view and its
-- sources, and what health_check() and readmodel.models then report.
-- (Issue 9, items 6, 19 and 20.)
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_readmodel;
DROP ROLE IF EXISTS rm_guard_owner;
DROP ROLE IF EXISTS rm_guard_source;
RESET client_min_messages;
CREATE ROLE rm_guard_owner;
CREATE ROLE rm_guard_source;
CREATE SCHEMA guard AUTHORIZATION rm_guard_owner;
GRANT USAGE ON SCHEMA guard TO rm_guard_source;
GRANT CREATE ON SCHEMA guard TO rm_guard_source;
SET search_path = guard, public;

SET ROLE rm_guard_source;
CREATE TABLE guard.tb_user (pk_user integer PRIMARY KEY, name text NOT NULL);
INSERT INTO guard.tb_user VALUES (1, 'ann'), (2, 'bob');
GRANT SELECT ON guard.tb_user TO rm_guard_owner;
SELECT readmodel.allow_models('guard.tb_user', 'rm_guard_owner');
SET ROLE rm_guard_owner;
CREATE TABLE guard.tb_post (pk_post integer PRIMARY KEY, fk_user integer NOT NULL, title text);
CREATE INDEX ON guard.tb_post (fk_user);
INSERT INTO guard.tb_post VALUES (1, 1, 'one'), (2, 2, 'two');
SELECT readmodel.create('guard.tv_post', $$
    SELECT p.pk_post, p.fk_user, jsonb_build_object('title', p.title, 'author', u.name) AS data
    FROM guard.tb_post p JOIN guard.tb_user u ON u.pk_user = p.fk_user $$);

-- 19. Column-changing DDL on a model table is refused, with a hint.
\set VERBOSITY default
ALTER TABLE tv_post ADD COLUMN extra integer;
ALTER TABLE tv_post DROP COLUMN data;
ALTER TABLE tv_post ALTER COLUMN fk_user TYPE bigint;
ALTER TABLE tv_post RENAME COLUMN data TO doc;
ALTER TABLE tv_post ADD CONSTRAINT tv_post_chk CHECK (pk_post > 0);
ALTER TABLE tv_post DROP CONSTRAINT tv_post_pkey;
ALTER TABLE tv_post DISABLE TRIGGER readmodel_guard;
CREATE RULE tv_post_nothing AS ON UPDATE TO tv_post DO INSTEAD NOTHING;
CREATE OR REPLACE VIEW tv_post_def AS
    SELECT p.pk_post, p.fk_user, jsonb_build_object('title', p.title) AS data FROM guard.tb_post p;
ALTER VIEW tv_post_def ALTER COLUMN data SET DEFAULT '{}';
\set VERBOSITY terse
--   what does not change what maintenance writes stays allowed:
CREATE INDEX tv_post_author ON tv_post ((data->>'author'));
ALTER TABLE tv_post SET (fillfactor = 80);
ALTER TABLE tv_post ALTER COLUMN data SET STATISTICS 200;
COMMENT ON TABLE tv_post IS 'posts with their author';
GRANT SELECT ON tv_post TO rm_guard_source;
--   row-level security on the model table, even forced, keeps maintenance
--   writes working; readers see their rows.
ALTER TABLE tv_post ENABLE ROW LEVEL SECURITY;
ALTER TABLE tv_post FORCE ROW LEVEL SECURITY;
CREATE POLICY only_ann ON tv_post FOR SELECT USING (data->>'author' LIKE 'ann%');
--   a user trigger that is not deferrable fires inside maintenance;
--   deferrable ones cannot (a security-restricted operation) and are refused,
--   as is a deferrable foreign key referencing the model:
CREATE TABLE guard.post_log (pk_post integer, at_depth integer);
CREATE FUNCTION guard.log_post() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO guard.post_log VALUES (NEW.pk_post, pg_trigger_depth()); RETURN NULL; END $$;
CREATE TRIGGER log_post AFTER UPDATE ON tv_post FOR EACH ROW EXECUTE FUNCTION guard.log_post();
CREATE CONSTRAINT TRIGGER log_later AFTER UPDATE ON tv_post DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION guard.log_post();
CREATE TABLE guard.tb_pin (pk integer PRIMARY KEY,
    fk_post integer REFERENCES guard.tv_post DEFERRABLE INITIALLY DEFERRED);
RESET ROLE;
SET ROLE rm_guard_source;
UPDATE guard.tb_user SET name = 'ann2' WHERE pk_user = 1;
SET ROLE rm_guard_owner;
SELECT pk_post FROM guard.post_log;
SELECT pk_post, data->>'author' AS author FROM tv_post ORDER BY pk_post;
RESET ROLE;
SELECT pk_post, data->>'author' AS author FROM guard.tv_post ORDER BY pk_post;
SELECT count(*) AS out_of_sync FROM readmodel.verify('guard.tv_post');
--   a new owner: the definition view follows, and so does maintenance
ALTER TABLE guard.tv_post OWNER TO rm_guard_source;
SELECT c.relname, c.relowner::regrole FROM pg_class c
WHERE c.oid IN ('guard.tv_post'::regclass, 'guard.tv_post_def'::regclass) ORDER BY 1;
ALTER TABLE guard.tv_post OWNER TO rm_guard_owner;
GRANT SELECT ON guard.tv_post TO rm_guard_source;

-- 6. and 20. The source owner withdraws the model owner's SELECT: her own
-- writes still succeed, the model is stale and says why; readmodel.models
-- and health_check() report it.
SET ROLE rm_guard_source;
REVOKE SELECT ON guard.tb_user FROM rm_guard_owner;
SELECT status FROM readmodel.models WHERE name = 'guard.tv_post'::regclass;
UPDATE guard.tb_user SET name = 'ann3' WHERE pk_user = 1;
SET ROLE rm_guard_owner;
SELECT status, reason FROM readmodel.models WHERE name = 'guard.tv_post'::regclass;
SELECT status, component FROM readmodel.health_check() WHERE component LIKE 'guard.%';
SELECT readmodel.refresh('guard.tv_post');
RESET ROLE;
GRANT SELECT ON guard.tb_user TO rm_guard_owner;
SET ROLE rm_guard_owner;
SELECT readmodel.refresh('guard.tv_post') >= 0 AS refreshed;
SELECT status FROM readmodel.models WHERE name = 'guard.tv_post'::regclass;
SELECT status, component FROM readmodel.health_check() WHERE component LIKE 'guard.%';
RESET ROLE;
SELECT count(*) AS out_of_sync FROM readmodel.verify('guard.tv_post');

-- Row-level security on a source that applies to the model owner: the
-- declaration is refused; enabled later, the model misses the next change.
SET ROLE rm_guard_source;
CREATE TABLE guard.tb_tenant (pk integer PRIMARY KEY, tenant text);
INSERT INTO guard.tb_tenant VALUES (1, 'a'), (2, 'b');
GRANT SELECT ON guard.tb_tenant TO rm_guard_owner;
SELECT readmodel.allow_models('guard.tb_tenant', 'rm_guard_owner');
ALTER TABLE guard.tb_tenant ENABLE ROW LEVEL SECURITY;
CREATE POLICY by_tenant ON guard.tb_tenant USING (tenant = current_setting('app.tenant', true));
SET ROLE rm_guard_owner;
SELECT readmodel.create('guard.tv_tenant', 'SELECT t.pk, t.tenant FROM guard.tb_tenant t');
SET ROLE rm_guard_source;
ALTER TABLE guard.tb_tenant DISABLE ROW LEVEL SECURITY;
SET ROLE rm_guard_owner;
SELECT readmodel.create('guard.tv_tenant', 'SELECT t.pk, t.tenant FROM guard.tb_tenant t');
SET ROLE rm_guard_source;
ALTER TABLE guard.tb_tenant ENABLE ROW LEVEL SECURITY;
SET app.tenant = 'a';
INSERT INTO guard.tb_tenant VALUES (3, 'a');
RESET app.tenant;
RESET ROLE;
SELECT name, status FROM readmodel.models WHERE name = 'guard.tv_tenant'::regclass;
SELECT pk, tenant FROM guard.tv_tenant ORDER BY pk;

-- model_stats() survives the cache rebuilds DDL causes.
SET ROLE rm_guard_owner;
UPDATE guard.tb_post SET title = 'one!' WHERE pk_post = 1;
SELECT applies > 0 AS applied FROM readmodel.model_stats() WHERE model = 'guard.tv_post'::regclass;
CREATE INDEX ON guard.tb_post (title);
SELECT applies > 0 AS still_counted FROM readmodel.model_stats() WHERE model = 'guard.tv_post'::regclass;
RESET ROLE;

-- ALTER TYPE changes how values look without changing a row: a renamed
-- enum value (a group key of its text, a JSON document), a renamed
-- attribute of a composite type (its JSON key).  The models holding values
-- of the type are rebuilt at commit.
CREATE TYPE guard.mood AS ENUM ('sad', 'ok', 'happy');
CREATE TYPE guard.pair AS (a integer, b text);
CREATE TABLE guard.tb_feel (pk_feel integer PRIMARY KEY, m guard.mood NOT NULL,
                            p guard.pair, moods guard.mood[]);
INSERT INTO guard.tb_feel VALUES (1, 'sad', ROW(1, 'x'), '{ok}'), (2, 'ok', ROW(2, 'y'), '{sad,ok}'),
                                 (3, 'ok', NULL, '{}');
SELECT readmodel.create('guard.tv_mood', $$
    SELECT f.m::text AS mood, count(*) AS n FROM guard.tb_feel f GROUP BY f.m::text $$);
SELECT readmodel.create('guard.tv_feel', $$
    SELECT f.pk_feel, jsonb_build_object('m', f.m, 'p', f.p, 'moods', f.moods) AS data
    FROM guard.tb_feel f $$);
CREATE TYPE guard.feeling AS (m guard.mood, since integer);
CREATE TABLE guard.tb_diary (pk_diary integer PRIMARY KEY, f guard.feeling NOT NULL);
INSERT INTO guard.tb_diary VALUES (1, ROW('ok', 3));
SELECT readmodel.create('guard.tv_diary', $$
    SELECT d.pk_diary, d.f::text AS f, to_jsonb(d.f) AS fj FROM guard.tb_diary d $$);
ALTER TYPE guard.mood RENAME VALUE 'ok' TO 'fine';
ALTER TYPE guard.pair RENAME ATTRIBUTE b TO label;
SELECT f, fj FROM guard.tv_diary;
SELECT count(*) AS verify_rows FROM readmodel.verify('guard.tv_diary');
UPDATE guard.tb_feel SET m = 'happy' WHERE pk_feel = 1;
SELECT * FROM guard.tv_mood ORDER BY mood;
SELECT data FROM guard.tv_feel ORDER BY pk_feel;
SELECT m AS model, (SELECT count(*) FROM readmodel.verify(m)) AS verify_rows
FROM unnest(ARRAY['guard.tv_mood', 'guard.tv_feel']) m;

-- CREATE OR REPLACE FUNCTION of a function a model calls: a new body
-- rebuilds the model in the same command; one that reads a table makes it
-- stale, with a WARNING (it cannot follow that table).
CREATE TABLE guard.tb_rate (k integer PRIMARY KEY, r integer NOT NULL);
INSERT INTO guard.tb_rate VALUES (1, 10);
CREATE FUNCTION guard.scale(x integer) RETURNS integer LANGUAGE sql IMMUTABLE RETURN x * 2;
SELECT readmodel.create('guard.tv_scaled', $$
    SELECT f.pk_feel, guard.scale(f.pk_feel) AS s FROM guard.tb_feel f $$);
CREATE OR REPLACE FUNCTION guard.scale(x integer) RETURNS integer LANGUAGE sql IMMUTABLE RETURN x * 3;
SELECT * FROM guard.tv_scaled ORDER BY pk_feel;
SELECT count(*) AS verify_rows FROM readmodel.verify('guard.tv_scaled');
CREATE OR REPLACE FUNCTION guard.scale(x integer) RETURNS integer LANGUAGE sql IMMUTABLE
    RETURN (SELECT r FROM guard.tb_rate WHERE k = 1) * x;
SELECT name, status FROM readmodel.models WHERE name = 'guard.tv_scaled'::regclass;

-- A BEFORE row trigger on a model table could change what maintenance
-- writes: refused; an AFTER one (to notify, to audit) is not.
CREATE FUNCTION guard.tamper() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.n := -1; RETURN NEW; END $$;
CREATE TRIGGER tamper BEFORE INSERT OR UPDATE ON guard.tv_mood
    FOR EACH ROW EXECUTE FUNCTION guard.tamper();
CREATE FUNCTION guard.noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE TRIGGER audit AFTER INSERT OR UPDATE ON guard.tv_mood
    FOR EACH ROW EXECUTE FUNCTION guard.noop();
UPDATE guard.tb_feel SET m = 'sad' WHERE pk_feel = 3;
SELECT count(*) AS verify_rows FROM readmodel.verify('guard.tv_mood');

-- Clean up.
SET client_min_messages = warning;
DROP SCHEMA guard CASCADE;
DROP OWNED BY rm_guard_owner, rm_guard_source;
DROP ROLE rm_guard_owner;
DROP ROLE rm_guard_source;
RESET client_min_messages;
DROP EXTENSION pg_readmodel;
