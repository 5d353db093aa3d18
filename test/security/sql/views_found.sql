\set ECHO none
--
-- views_found: the attacks on read models over views (class 16 of
-- README.md) that SUCCEED on ab4b1be (and 69dd89d).  Not in the default
-- run of `make test-security` until they are fixed: `make test-security
-- SECURITY_TESTS=views_found` runs them.  expected/views_found.out is the
-- output of a secure extension (every attack blocked); when an attack is
-- fixed, move it to views.sql.  Setup and helpers as in views.sql.
--
-- The same rules as security.sql: every attack prints exactly one line,
-- "attack <id> <name>: blocked" or "... SUCCEEDED" (UNDECIDED if its
-- outcome could not be computed), and the verdict comes from facts the
-- attack observes (rows an attacker's function wrote to rmsec.pwned with
-- current_user and whether that role is a superuser, privileges, settings,
-- the model table compared with its definition by binary image, the state
-- readmodel.models reports, whether objects still exist, whether the
-- backend survived), never from error message texts.
--
-- Roles: Bob owns read models; Mallory owns the views (and the tables
-- under them) that Bob's models read, and attacks by changing them; Alice
-- owns other tables; Carol writes and has a view of her own over a model.
-- Roles and schemas are named rmsec_* as in security.sql, and removed at
-- the end (and at the start, if an earlier run left them behind).
--
\set QUIET on
\set VERBOSITY terse
\pset tuples_only on
\pset format unaligned
SET client_min_messages = error;
CREATE EXTENSION IF NOT EXISTS pg_readmodel;

-- leftovers of an interrupted run
DO $$
DECLARE r name;
BEGIN
    FOR r IN SELECT rolname FROM pg_roles WHERE rolname ~ '^rmsec_' LOOP
        EXECUTE format('DROP OWNED BY %I CASCADE', r);
        EXECUTE format('DROP ROLE %I', r);
    END LOOP;
END $$;
DROP SCHEMA IF EXISTS rmsec, rmsec_shared CASCADE;

\set session_setup 'SET client_min_messages = error; SET default_text_search_config = ''pg_catalog.english''; SET bytea_output = ''hex'';'
:session_setup

---------------------------------------------------------------------------
-- roles, schemas, test infrastructure (as in security.sql)
---------------------------------------------------------------------------
CREATE ROLE rmsec_alice;      -- owns tables
CREATE ROLE rmsec_bob;        -- owns read models over Mallory's views
CREATE ROLE rmsec_mallory;    -- the attacker: owns the views Bob's models read
CREATE ROLE rmsec_carol;      -- another user: writes, has views over models
CREATE ROLE rmsec_eve;        -- no privileges at all
CREATE SCHEMA rmsec_a AUTHORIZATION rmsec_alice;
CREATE SCHEMA rmsec_b AUTHORIZATION rmsec_bob;
CREATE SCHEMA rmsec_m AUTHORIZATION rmsec_mallory;
CREATE SCHEMA rmsec_c AUTHORIZATION rmsec_carol;
GRANT USAGE ON SCHEMA rmsec_a, rmsec_m TO PUBLIC;
GRANT USAGE ON SCHEMA rmsec_b TO rmsec_carol;

CREATE SCHEMA rmsec;
GRANT USAGE ON SCHEMA rmsec TO PUBLIC;
CREATE TABLE rmsec.pwned (tag text, who name, super boolean, detail text);
GRANT INSERT ON rmsec.pwned TO PUBLIC;
CREATE FUNCTION rmsec.note(tag text, detail text DEFAULT NULL) RETURNS boolean
    LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    INSERT INTO rmsec.pwned
    SELECT tag, current_user, r.rolsuper, detail FROM pg_roles r WHERE r.rolname = current_user;
    SELECT true $$;
-- did code of the attack run as anybody but the attacker?
CREATE FUNCTION rmsec.pwned_not_by(tag text, attacker name) RETURNS boolean
    LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    SELECT EXISTS (SELECT FROM rmsec.pwned p WHERE p.tag = $1 AND (p.who <> $2 OR p.super)) $$;
CREATE FUNCTION rmsec.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE sql;
    PERFORM readmodel.flush();
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END $$;
GRANT EXECUTE ON FUNCTION rmsec.try(text) TO PUBLIC;
CREATE FUNCTION rmsec.val(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text;
BEGIN
    EXECUTE sql INTO r;
    RETURN r;
EXCEPTION WHEN OTHERS THEN
    RETURN 'ERR ' || SQLSTATE;
END $$;
GRANT EXECUTE ON FUNCTION rmsec.val(text) TO PUBLIC;
-- Rows in which a model table and its definition view differ by binary
-- image (record_image_eq), the definition evaluated now as the caller,
-- under the settings maintenance pins; -1 if it cannot be computed.
CREATE FUNCTION rmsec.drift(model text, def text DEFAULT NULL) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    SET TimeZone = 'UTC' SET DateStyle = 'ISO, MDY' SET IntervalStyle = 'postgres'
    SET extra_float_digits = 1
AS $$
DECLARE n bigint;
BEGIN
    EXECUTE format('SELECT (SELECT count(*) FROM %1$s t WHERE NOT EXISTS
                              (SELECT FROM %2$s d WHERE record_image_eq(ROW(t.*), ROW(d.*))))
                         + (SELECT count(*) FROM %2$s d WHERE NOT EXISTS
                              (SELECT FROM %1$s t WHERE record_image_eq(ROW(t.*), ROW(d.*))))',
                   model, coalesce(def, model || '_def')) INTO n;
    RETURN n;
EXCEPTION WHEN OTHERS THEN
    RETURN -1;
END $$;
GRANT EXECUTE ON FUNCTION rmsec.drift(text, text) TO PUBLIC;
-- What readmodel.models says of a model: maintained, broken, stale, or
-- 'gone' when the catalog has no such model.
CREATE FUNCTION rmsec.status(model text) RETURNS text
    LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce((SELECT m.status FROM readmodel.models m
                     WHERE m.name::oid = to_regclass(model)::oid), 'gone') $$;
-- A model that says it is maintained but differs from its definition
-- (evaluated as `role`, the model's owner) is silently stale.
CREATE FUNCTION rmsec.silently_stale(model text, role name DEFAULT 'rmsec_bob') RETURNS boolean
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE d bigint;
BEGIN
    IF to_regclass(model) IS NULL OR rmsec.status(model) <> 'maintained' THEN
        RETURN false;
    END IF;
    PERFORM set_config('role', role, true);
    d := rmsec.drift(model);
    PERFORM set_config('role', 'none', true);
    RETURN d <> 0;
END $$;
CREATE FUNCTION rmsec.report(id text, name text, succeeded boolean) RETURNS text
    LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    SELECT 'attack ' || id || ' ' || name || ': ' ||
           CASE WHEN succeeded THEN 'SUCCEEDED' WHEN NOT succeeded THEN 'blocked'
                ELSE 'UNDECIDED' END $$;

-- Bob's private data, which no other role may read
CREATE TABLE rmsec_b.secret (s text);
INSERT INTO rmsec_b.secret VALUES ('bob-secret');
ALTER TABLE rmsec_b.secret OWNER TO rmsec_bob;

-- Mallory's hostile functions.  They record where they ran and, when they
-- do not run as Mallory, try to take what the role they run as has:
-- Bob's secret (read and granted to Mallory).  Declared IMMUTABLE, and
-- once more VOLATILE.
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE TABLE rmsec_m.tag (tag text);
GRANT SELECT ON rmsec_m.tag TO PUBLIC;
CREATE FUNCTION rmsec_m.grab(tag text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rmsec.note(tag, session_user::text);
    IF current_user <> 'rmsec_mallory' THEN
        BEGIN
            PERFORM rmsec.note(tag, (SELECT string_agg(s, ',') FROM rmsec_b.secret));
            EXECUTE 'GRANT USAGE ON SCHEMA rmsec_b TO rmsec_mallory';
            EXECUTE 'GRANT SELECT ON rmsec_b.secret TO rmsec_mallory';
        EXCEPTION WHEN OTHERS THEN
            NULL;
        END;
    END IF;
END $$;
CREATE FUNCTION rmsec_m.evil(t text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    PERFORM rmsec_m.grab(coalesce((SELECT max(tag) FROM rmsec_m.tag), 'untagged'));
    RETURN t;
END $$;
CREATE FUNCTION rmsec_m.evilv(t text) RETURNS text LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM rmsec_m.grab(coalesce((SELECT max(tag) FROM rmsec_m.tag), 'untagged'));
    RETURN t;
END $$;
GRANT EXECUTE ON FUNCTION rmsec_m.grab(text), rmsec_m.evil(text), rmsec_m.evilv(text) TO PUBLIC;
RESET SESSION AUTHORIZATION;
-- which attack the hostile functions record themselves under
CREATE PROCEDURE rmsec.tag(t text) LANGUAGE sql AS $$
    DELETE FROM rmsec_m.tag; INSERT INTO rmsec_m.tag VALUES (t) $$;

---------------------------------------------------------------------------
-- 16. Views as sources: attacks that succeed on ab4b1be
---------------------------------------------------------------------------

-- 16q: CREATE OR REPLACE RULE "_RETURN" replaces a view's query as CREATE
-- OR REPLACE VIEW does, but is not a ViewStmt: the models that read the
-- view are neither analysed again nor rebuilt.  Mallory replaces her view
-- (read by Bob's model) so that it returns one row, upper-cased, instead
-- of two.  Bob's model must not say it is maintained while it differs.
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE TABLE rmsec_m.t16q (id int PRIMARY KEY, v text);
INSERT INTO rmsec_m.t16q VALUES (1, 'a'), (2, 'b');
CREATE VIEW rmsec_m.v16q AS SELECT id, v FROM rmsec_m.t16q;
GRANT SELECT ON rmsec_m.v16q TO rmsec_bob;
SELECT rmsec.try($t$SELECT readmodel.allow_models('rmsec_m.t16q', 'rmsec_bob')$t$) AS st \gset
GRANT SELECT ON rmsec_m.t16q TO rmsec_bob;  -- maintenance reads the view's tables as Bob
SET SESSION AUTHORIZATION rmsec_bob;
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_16q', 'SELECT x.id, x.v FROM rmsec_m.v16q x')$t$) AS st_c \gset
SET SESSION AUTHORIZATION rmsec_mallory;
SELECT rmsec.try($t$CREATE OR REPLACE RULE "_RETURN" AS ON SELECT TO rmsec_m.v16q
    DO INSTEAD SELECT id, upper(v) AS v FROM rmsec_m.t16q WHERE id = 1$t$) AS st_r \gset
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('16q', 'CREATE OR REPLACE RULE "_RETURN" of a view leaves the model stale',
    :'st_c' = 'ok' AND :'st_r' = 'ok' AND rmsec.silently_stale('rmsec_b.tv_16q'));

-- 16r: as 16e (and 15b), through CREATE OR REPLACE RULE "_RETURN".
-- Mallory may SELECT Alice's table, which a model of Bob's captures, but
-- holds no TRIGGER on it and no consent.  Her model reads her own view;
-- she points the view at Alice's table with a rule.  Alice writes her
-- table: Mallory's trigger on her model table runs in Alice's transaction.
SET SESSION AUTHORIZATION rmsec_alice;
CREATE TABLE rmsec_a.t16r (id int PRIMARY KEY, v text);
INSERT INTO rmsec_a.t16r VALUES (1, 'a');
GRANT SELECT ON rmsec_a.t16r TO rmsec_mallory;
GRANT SELECT, TRIGGER ON rmsec_a.t16r TO rmsec_bob;
SET SESSION AUTHORIZATION rmsec_bob;
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_16r', 'SELECT id, v FROM rmsec_a.t16r')$t$) AS st \gset
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE TABLE rmsec_m.m16r (id int PRIMARY KEY, v text);
CREATE VIEW rmsec_m.v16r AS SELECT id, v FROM rmsec_m.m16r;
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_m.tv_16r', 'SELECT x.id, x.v FROM rmsec_m.v16r x')$t$) AS st \gset
CREATE FUNCTION rmsec_m.trg16r() RETURNS trigger LANGUAGE plpgsql
    AS $$ BEGIN PERFORM rmsec.note('16r', session_user::text); RETURN NULL; END $$;
SELECT rmsec.try($t$CREATE TRIGGER trg16r AFTER INSERT OR UPDATE OR DELETE ON rmsec_m.tv_16r FOR EACH ROW EXECUTE FUNCTION rmsec_m.trg16r()$t$) AS st \gset
SELECT rmsec.try($t$CREATE OR REPLACE RULE "_RETURN" AS ON SELECT TO rmsec_m.v16r
    DO INSTEAD SELECT a.id, a.v FROM rmsec_a.t16r a$t$) AS st \gset
SET SESSION AUTHORIZATION rmsec_alice;
SELECT rmsec.try($t$UPDATE rmsec_a.t16r SET v = 'b' WHERE id = 1$t$) AS st \gset
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('16r', 'rule points a view at a table captured for another model',
    EXISTS (SELECT FROM rmsec.pwned WHERE tag = '16r' AND detail = 'rmsec_alice'));

-- 16s: maintenance reads the tables under a view with the model owner's
-- rights, not the view owner's.  Mallory's view joins her posts to her
-- users; Bob may read the view, not the tables, and Mallory consents to
-- capture triggers.  The route from a user to the posts, and the patch of
-- a post's title, read Mallory's tables as Bob: Mallory's own writes of
-- her own tables fail.
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE TABLE rmsec_m.usr16s (id int PRIMARY KEY, name text);
CREATE TABLE rmsec_m.post16s (id int PRIMARY KEY, uid int NOT NULL REFERENCES rmsec_m.usr16s, title text);
CREATE INDEX ON rmsec_m.post16s (uid);
INSERT INTO rmsec_m.usr16s VALUES (1, 'u1'), (2, 'u2');
INSERT INTO rmsec_m.post16s VALUES (10, 1, 'p10'), (11, 2, 'p11');
CREATE VIEW rmsec_m.v16s AS
    SELECT p.id, p.title, u.name FROM rmsec_m.post16s p JOIN rmsec_m.usr16s u ON u.id = p.uid;
GRANT SELECT ON rmsec_m.v16s TO rmsec_bob;
SELECT rmsec.try($t$SELECT readmodel.allow_models('rmsec_m.usr16s', 'rmsec_bob')$t$) AS st \gset
GRANT SELECT ON rmsec_m.usr16s TO rmsec_bob;  -- maintenance reads the view's tables as Bob
SELECT rmsec.try($t$SELECT readmodel.allow_models('rmsec_m.post16s', 'rmsec_bob')$t$) AS st \gset
GRANT SELECT ON rmsec_m.post16s TO rmsec_bob;  -- maintenance reads the view's tables as Bob
SET SESSION AUTHORIZATION rmsec_bob;
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_16s',
    'SELECT x.id, jsonb_build_object(''title'', x.title, ''author'', x.name) AS data FROM rmsec_m.v16s x')$t$) AS st_c \gset
SET SESSION AUTHORIZATION rmsec_mallory;
SELECT rmsec.try($t$UPDATE rmsec_m.usr16s SET name = 'U1' WHERE id = 1$t$) AS st_w1 \gset
SELECT rmsec.try($t$UPDATE rmsec_m.post16s SET title = 'P11' WHERE id = 11$t$) AS st_w2 \gset
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('16s', 'maintenance reads a view''s tables as the model owner',
    :'st_c' = 'ok' AND (:'st_w1' <> 'ok' OR :'st_w2' <> 'ok'));

-- 16t: a table owner bypasses FORCE ROW LEVEL SECURITY in maintenance
-- (docs/security.md), also when it is the owner of a view a model reads,
-- not the model's owner.  Mallory's table forces a policy on herself that
-- hides a row, so her view never shows it; Bob may read the view.  Bob's
-- model over the view holds the hidden row.
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE TABLE rmsec_m.t16t (id int PRIMARY KEY, v text, hidden boolean NOT NULL);
INSERT INTO rmsec_m.t16t VALUES (1, 'public-16t', false), (2, 'mallory-hidden-16t', true);
ALTER TABLE rmsec_m.t16t ENABLE ROW LEVEL SECURITY;
ALTER TABLE rmsec_m.t16t FORCE ROW LEVEL SECURITY;
CREATE POLICY p16t ON rmsec_m.t16t USING (NOT hidden);
CREATE VIEW rmsec_m.v16t AS SELECT id, v FROM rmsec_m.t16t;
GRANT SELECT ON rmsec_m.v16t TO rmsec_bob;
SELECT rmsec.try($t$SELECT readmodel.allow_models('rmsec_m.t16t', 'rmsec_bob')$t$) AS st \gset
GRANT SELECT ON rmsec_m.t16t TO rmsec_bob;  -- maintenance reads the view's tables as Bob
SET SESSION AUTHORIZATION rmsec_bob;
SELECT rmsec.val($t$SELECT count(*) FROM rmsec_m.v16t WHERE v = 'mallory-hidden-16t'$t$) AS n_view \gset
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_16t', 'SELECT x.id, x.v FROM rmsec_m.v16t x')$t$) AS st_c \gset
SELECT rmsec.val($t$SELECT count(*) FROM rmsec_b.tv_16t WHERE v = 'mallory-hidden-16t'$t$) AS n_model \gset
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('16t', 'FORCE RLS of the view owner''s table bypassed: hidden rows in model',
    :'n_view' = '0' AND :'n_model' <> '0' AND :'n_model' NOT LIKE 'ERR%');

-- 16u: Mallory replaces her view with input conversions of text whose
-- result depends on the time and the session: 'now'::timestamptz, and a
-- relation name converted to regclass (resolved, in maintenance, with
-- pg_catalog and then the writer's temporary schema).  Built-in input
-- functions (timestamptz_in, regclassin) are not checked when a cast
-- calls them (CoerceViaIO).  Carol, who has a temporary table of that
-- name, writes the table.
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE TABLE rmsec_m.t16u (id int PRIMARY KEY, v text);
INSERT INTO rmsec_m.t16u VALUES (1, 'now'), (2, 'pg_class');
GRANT SELECT, UPDATE ON rmsec_m.t16u TO rmsec_carol;
CREATE VIEW rmsec_m.v16u AS SELECT id, v, NULL::timestamptz AS ts, NULL::oid AS o FROM rmsec_m.t16u;
GRANT SELECT ON rmsec_m.v16u TO rmsec_bob;
SELECT rmsec.try($t$SELECT readmodel.allow_models('rmsec_m.t16u', 'rmsec_bob')$t$) AS st \gset
GRANT SELECT ON rmsec_m.t16u TO rmsec_bob;  -- maintenance reads the view's tables as Bob
SET SESSION AUTHORIZATION rmsec_bob;
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_16u', 'SELECT x.id, x.v, x.ts, x.o FROM rmsec_m.v16u x')$t$) AS st_c \gset
SET SESSION AUTHORIZATION rmsec_mallory;
SELECT rmsec.try($t$CREATE OR REPLACE VIEW rmsec_m.v16u AS
    SELECT id, v, CASE WHEN id = 1 THEN v::timestamptz END AS ts,
           CASE WHEN id = 2 THEN v::name::regclass::oid END AS o
    FROM rmsec_m.t16u$t$) AS st_r \gset
SET SESSION AUTHORIZATION rmsec_carol;
CREATE TEMP TABLE t16u_carol (x int);
SELECT 'pg_temp.t16u_carol'::regclass::oid AS carol_oid \gset
SELECT rmsec.try($t$UPDATE rmsec_m.t16u SET v = 't16u_carol' WHERE id = 2$t$) AS st_w \gset
DROP TABLE pg_temp.t16u_carol;
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('16u', 'replaced view converts text to now() and to a regclass',
    :'st_c' = 'ok' AND :'st_r' = 'ok'
    AND (rmsec.silently_stale('rmsec_b.tv_16u')
         OR rmsec.val('SELECT o FROM rmsec_b.tv_16u WHERE id = 2') = :'carol_oid'));

-- 16v: a CREATE OR REPLACE VIEW that is refused (and rolled back) leaves
-- the backend's model cache with the verdict on the refused query: the
-- model is "broken" there, and the next write of a source in that backend
-- marks it stale in the catalog, for a definition that never committed.
-- Carol's table is written by Mallory (an application role); Mallory's
-- view of it is read by Bob's model.
SET SESSION AUTHORIZATION rmsec_carol;
CREATE TABLE rmsec_c.t16v (id int PRIMARY KEY, v text);
INSERT INTO rmsec_c.t16v VALUES (1, 'a');
GRANT USAGE ON SCHEMA rmsec_c TO rmsec_mallory;
GRANT SELECT, INSERT ON rmsec_c.t16v TO rmsec_mallory;
SELECT rmsec.try($t$SELECT readmodel.allow_models('rmsec_c.t16v', 'rmsec_bob')$t$) AS st \gset
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE VIEW rmsec_m.v16v AS SELECT id, v FROM rmsec_c.t16v;
GRANT SELECT ON rmsec_m.v16v TO rmsec_bob;
SET SESSION AUTHORIZATION rmsec_bob;
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_16v', 'SELECT x.id, x.v FROM rmsec_m.v16v x')$t$) AS st_c \gset
SET SESSION AUTHORIZATION rmsec_mallory;
SELECT rmsec.try($t$CREATE OR REPLACE VIEW rmsec_m.v16v AS SELECT id, v || random()::text AS v FROM rmsec_c.t16v$t$) AS st_r \gset
SELECT rmsec.try($t$INSERT INTO rmsec_c.t16v VALUES (2, 'b')$t$) AS st_w \gset
RESET SESSION AUTHORIZATION;
\c
:session_setup
SELECT rmsec.report('16v', 'refused view replacement leaves the model broken, then stale',
    :'st_c' = 'ok' AND :'st_r' <> 'ok' AND :'st_w' = 'ok'
    AND rmsec.status('rmsec_b.tv_16v') <> 'maintained'
    AND pg_get_viewdef('rmsec_m.v16v'::regclass) NOT LIKE '%random%');

-- 16w: a text search configuration is neither code nor a table, and its
-- owner can change what to_tsvector(config, text) (IMMUTABLE) returns.
-- Mallory's view computes a tsvector with her configuration; Bob's model
-- reads it; Mallory changes a mapping of the configuration.
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE TABLE rmsec_m.t16w (id int PRIMARY KEY, body text);
INSERT INTO rmsec_m.t16w VALUES (1, 'running dogs'), (2, 'the cat');
CREATE TEXT SEARCH CONFIGURATION rmsec_m.cfg16w (COPY = pg_catalog.english);
CREATE VIEW rmsec_m.v16w AS SELECT id, to_tsvector('rmsec_m.cfg16w', body) AS ts FROM rmsec_m.t16w;
GRANT SELECT ON rmsec_m.v16w TO rmsec_bob;
SELECT rmsec.try($t$SELECT readmodel.allow_models('rmsec_m.t16w', 'rmsec_bob')$t$) AS st \gset
GRANT SELECT ON rmsec_m.t16w TO rmsec_bob;  -- maintenance reads the view's tables as Bob
SET SESSION AUTHORIZATION rmsec_bob;
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_16w', 'SELECT x.id, x.ts FROM rmsec_m.v16w x')$t$) AS st_c \gset
SET SESSION AUTHORIZATION rmsec_mallory;
SELECT rmsec.try($t$ALTER TEXT SEARCH CONFIGURATION rmsec_m.cfg16w ALTER MAPPING FOR asciiword WITH simple$t$) AS st_a \gset
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('16w', 'view owner alters the text search configuration of a view',
    :'st_c' = 'ok' AND :'st_a' = 'ok' AND rmsec.silently_stale('rmsec_b.tv_16w'));

---------------------------------------------------------------------------
-- clean up
---------------------------------------------------------------------------
RESET ROLE;
RESET SESSION AUTHORIZATION;
RESET search_path;
DO $$
DECLARE r name;
BEGIN
    FOR r IN SELECT rolname FROM pg_roles WHERE rolname ~ '^rmsec_' ORDER BY rolname LOOP
        EXECUTE format('DROP OWNED BY %I CASCADE', r);
    END LOOP;
    FOR r IN SELECT rolname FROM pg_roles WHERE rolname ~ '^rmsec_' LOOP
        EXECUTE format('DROP ROLE %I', r);
    END LOOP;
END $$;
DROP SCHEMA IF EXISTS rmsec, rmsec_shared CASCADE;
SELECT 'roles left: ' || count(*) FROM pg_roles WHERE rolname ~ '^rmsec_';
