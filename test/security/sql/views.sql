\set ECHO none
--
-- views: adversarial tests of read models over views, WITH queries and
-- subqueries in FROM (attack class 16 of README.md).
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
-- 16. Views as sources
---------------------------------------------------------------------------

-- 16a: Bob's model reads Mallory's view.  Mallory replaces the view (CREATE
-- OR REPLACE VIEW) with one that calls her function on the column Bob's
-- model reads: IMMUTABLE, then VOLATILE.  Her function would read Bob's
-- secret and grant it to her when it runs as anybody but her.  Then she and
-- a superuser write the view's table.  The replacement must be refused (or
-- the function never run as Bob or a superuser), and the model never stay
-- "maintained" while it differs from its definition.
CALL rmsec.tag('16a');
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE TABLE rmsec_m.t16a (id int PRIMARY KEY, v text);
INSERT INTO rmsec_m.t16a VALUES (1, 'a'), (2, 'b');
CREATE VIEW rmsec_m.v16a AS SELECT id, v FROM rmsec_m.t16a;
GRANT SELECT ON rmsec_m.v16a TO rmsec_bob;
SELECT rmsec.try($t$SELECT readmodel.allow_models('rmsec_m.t16a', 'rmsec_bob')$t$) AS st \gset
GRANT SELECT ON rmsec_m.t16a TO rmsec_bob;  -- maintenance reads the view's tables as Bob
SET SESSION AUTHORIZATION rmsec_bob;
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_16a', 'SELECT x.id, x.v FROM rmsec_m.v16a x')$t$) AS st_create \gset
SET SESSION AUTHORIZATION rmsec_mallory;
SELECT rmsec.try($t$CREATE OR REPLACE VIEW rmsec_m.v16a AS SELECT id, rmsec_m.evil(v) AS v FROM rmsec_m.t16a$t$) AS st_r1 \gset
SELECT rmsec.try($t$UPDATE rmsec_m.t16a SET v = 'c' WHERE id = 1$t$) AS st \gset
SELECT rmsec.try($t$CREATE OR REPLACE VIEW rmsec_m.v16a AS SELECT id, rmsec_m.evilv(v) AS v FROM rmsec_m.t16a$t$) AS st_r2 \gset
SELECT rmsec.try($t$UPDATE rmsec_m.t16a SET v = 'd' WHERE id = 1$t$) AS st \gset
RESET SESSION AUTHORIZATION;
SELECT rmsec.try($t$UPDATE rmsec_m.t16a SET v = 'e' WHERE id = 2$t$) AS st \gset
SELECT rmsec.report('16a', 'replaced view calls the view owner''s function',
    :'st_create' <> 'ok' OR rmsec.pwned_not_by('16a', 'rmsec_mallory')
    OR has_table_privilege('rmsec_mallory', 'rmsec_b.secret', 'SELECT')
    OR rmsec.silently_stale('rmsec_b.tv_16a'));

-- 16b: the same function hidden where Bob's model does not look: in a
-- column it does not read, in WHERE, in a subquery, in the view's ORDER BY,
-- in a LATERAL function or a VALUES list in FROM, in a WITH query (read
-- twice, or not at all), in a view under the view, and in a column of a
-- security_barrier view (not pulled up by the planner, so it computes
-- volatile outputs nobody reads).
CALL rmsec.tag('16b');
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE TABLE rmsec_m.t16b (id int PRIMARY KEY, v text);
INSERT INTO rmsec_m.t16b VALUES (1, 'a'), (2, 'b');
CREATE VIEW rmsec_m.v16b_in AS SELECT id, v, v AS w FROM rmsec_m.t16b;
CREATE VIEW rmsec_m.v16b AS SELECT id, v, v AS w FROM rmsec_m.v16b_in;
CREATE VIEW rmsec_m.v16b_sb WITH (security_barrier) AS SELECT id, v, v AS w FROM rmsec_m.t16b;
GRANT SELECT ON rmsec_m.v16b, rmsec_m.v16b_sb TO rmsec_bob;
SELECT rmsec.try($t$SELECT readmodel.allow_models('rmsec_m.t16b', 'rmsec_bob')$t$) AS st \gset
GRANT SELECT ON rmsec_m.t16b TO rmsec_bob;  -- maintenance reads the view's tables as Bob
SET SESSION AUTHORIZATION rmsec_bob;
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_16b', 'SELECT x.id, x.v FROM rmsec_m.v16b x')$t$) AS st_create1 \gset
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_16b_sb', 'SELECT x.id, x.v FROM rmsec_m.v16b_sb x')$t$) AS st_create2 \gset
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE TEMP TABLE r16b (st text);
INSERT INTO r16b SELECT rmsec.try(format('CREATE OR REPLACE VIEW rmsec_m.%s AS %s', v, q)) || ' ' || rmsec.try('UPDATE rmsec_m.t16b SET v = v || ''.''')
FROM (VALUES
    ('v16b', 'SELECT id, v, rmsec_m.evilv(v) AS w FROM rmsec_m.v16b_in'),
    ('v16b', 'SELECT id, v, rmsec_m.evil(v) AS w FROM rmsec_m.v16b_in'),
    ('v16b', 'SELECT id, v, w FROM rmsec_m.v16b_in WHERE rmsec_m.evil(v) IS NOT NULL'),
    ('v16b', 'SELECT id, v, w FROM rmsec_m.v16b_in WHERE EXISTS (SELECT FROM rmsec_m.t16b b WHERE rmsec_m.evil(b.v) = v)'),
    ('v16b', 'SELECT id, v, (SELECT rmsec_m.evil(b.v) FROM rmsec_m.t16b b WHERE b.id = i.id) AS w FROM rmsec_m.v16b_in i'),
    ('v16b', 'SELECT id, v, w FROM rmsec_m.v16b_in ORDER BY rmsec_m.evilv(v)'),
    ('v16b', 'SELECT i.id, i.v, f.w FROM rmsec_m.v16b_in i, LATERAL rmsec_m.evil(i.v) f(w)'),
    ('v16b', 'SELECT i.id, i.v, z.w FROM rmsec_m.v16b_in i CROSS JOIN (VALUES (rmsec_m.evilv(''x''))) z(w)'),
    ('v16b', 'WITH c AS (SELECT id, rmsec_m.evil(v) AS w FROM rmsec_m.t16b) SELECT i.id, i.v, c1.w FROM rmsec_m.v16b_in i JOIN c c1 ON c1.id = i.id JOIN c c2 ON c2.id = i.id'),
    ('v16b', 'WITH c AS MATERIALIZED (SELECT id, rmsec_m.evilv(v) AS w FROM rmsec_m.t16b) SELECT i.id, i.v, i.w FROM rmsec_m.v16b_in i WHERE EXISTS (SELECT FROM c WHERE c.id = i.id)'),
    ('v16b', 'WITH dead AS MATERIALIZED (SELECT rmsec_m.evilv(v) FROM rmsec_m.t16b), deader AS (SELECT * FROM dead) SELECT id, v, w FROM rmsec_m.v16b_in'),
    ('v16b_in', 'SELECT id, v, rmsec_m.evilv(v) AS w FROM rmsec_m.t16b'),
    ('v16b_in', 'SELECT id, rmsec_m.evil(v) AS v, v AS w FROM rmsec_m.t16b'),
    ('v16b_sb', 'SELECT id, v, rmsec_m.evilv(v) AS w FROM rmsec_m.t16b')
) a(v, q);
SELECT string_agg(st, ',') AS sts_16b FROM r16b \gset
DROP TABLE r16b;
RESET SESSION AUTHORIZATION;
SELECT rmsec.try($t$UPDATE rmsec_m.t16b SET v = v || '!'$t$) AS st \gset
SELECT rmsec.report('16b', 'replaced view hides the view owner''s function',
    :'st_create1' <> 'ok' OR :'st_create2' <> 'ok'
    OR rmsec.pwned_not_by('16b', 'rmsec_mallory')
    OR has_table_privilege('rmsec_mallory', 'rmsec_b.secret', 'SELECT')
    OR rmsec.silently_stale('rmsec_b.tv_16b') OR rmsec.silently_stale('rmsec_b.tv_16b_sb'));

-- 16c: the same hiding places in the views Bob declares his models over:
-- the column is there before Bob declares.  Each declaration must be
-- refused, or the function never run as Bob or a superuser.  The join's
-- alias column (j.w) is one of them.
CALL rmsec.tag('16c');
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE TABLE rmsec_m.t16c (id int PRIMARY KEY, v text);
INSERT INTO rmsec_m.t16c VALUES (1, 'a'), (2, 'b');
SELECT rmsec.try($t$SELECT readmodel.allow_models('rmsec_m.t16c', 'rmsec_bob')$t$) AS st \gset
GRANT SELECT ON rmsec_m.t16c TO rmsec_bob;  -- maintenance reads the view's tables as Bob
CREATE TEMP TABLE q16c (n int, q text);
INSERT INTO q16c VALUES
    (1, 'SELECT id, v, rmsec_m.evilv(v) AS w FROM rmsec_m.t16c'),
    (2, 'SELECT id, v, rmsec_m.evil(v) AS w FROM rmsec_m.t16c'),
    (3, 'SELECT id, v FROM rmsec_m.t16c WHERE rmsec_m.evil(v) IS NOT NULL'),
    (4, 'SELECT id, v FROM rmsec_m.t16c ORDER BY rmsec_m.evilv(v)'),
    (5, 'SELECT t.id, t.v, f.w FROM rmsec_m.t16c t, LATERAL rmsec_m.evil(t.v) f(w)'),
    (6, 'WITH c AS (SELECT id, rmsec_m.evil(v) AS w FROM rmsec_m.t16c) SELECT t.id, t.v FROM rmsec_m.t16c t JOIN c c1 ON c1.id = t.id JOIN c c2 ON c2.id = t.id'),
    (7, 'WITH dead AS MATERIALIZED (SELECT rmsec_m.evilv(v) FROM rmsec_m.t16c), deader AS (SELECT * FROM dead) SELECT id, v FROM rmsec_m.t16c'),
    (8, 'SELECT id, v FROM (SELECT id, v, rmsec_m.evilv(v) AS w FROM rmsec_m.t16c) s'),
    (9, 'SELECT id, v, rmsec_m.evilv(v) AS w FROM rmsec_m.t16c');
SELECT string_agg(rmsec.try(format('CREATE VIEW rmsec_m.v16c_%s %s AS %s', n,
                                   CASE WHEN n = 9 THEN 'WITH (security_barrier)' ELSE '' END, q))
                  || rmsec.try(format('GRANT SELECT ON rmsec_m.v16c_%s TO rmsec_bob', n)), ',') AS st
FROM q16c \gset
DROP TABLE q16c;
SET SESSION AUTHORIZATION rmsec_bob;
CREATE TABLE rmsec_b.o16c (id int PRIMARY KEY, note text);
INSERT INTO rmsec_b.o16c VALUES (1, 'x'), (2, 'y');
CREATE TEMP TABLE d16c (name text, def text);
INSERT INTO d16c SELECT 'rmsec_b.tv_16c_' || n, format('SELECT x.id, x.v FROM rmsec_m.v16c_%s x', n)
FROM generate_series(1, 9) n;
INSERT INTO d16c VALUES
    ('rmsec_b.tv_16c_j1', 'SELECT j.id, j.w FROM (rmsec_b.o16c o JOIN rmsec_m.v16c_1 x USING (id)) j'),
    ('rmsec_b.tv_16c_j2', 'SELECT j.id, j.note FROM (rmsec_b.o16c o JOIN rmsec_m.v16c_2 x USING (id)) j WHERE j.w IS NOT NULL'),
    ('rmsec_b.tv_16c_j3', 'SELECT j.id, j.note FROM (rmsec_b.o16c o LEFT JOIN rmsec_m.v16c_1 x USING (id)) j'),
    ('rmsec_b.tv_16c_c1', 'WITH unused AS (SELECT rmsec_m.evilv(x.v) FROM rmsec_m.v16c_8 x) SELECT o.id, o.note FROM rmsec_b.o16c o'),
    ('rmsec_b.tv_16c_c2', 'WITH c AS (SELECT x.id, x.w FROM rmsec_m.v16c_2 x) SELECT o.id, (SELECT c.w FROM c WHERE c.id = o.id) AS a, (SELECT c.w FROM c WHERE c.id = o.id) AS b FROM rmsec_b.o16c o');
SELECT string_agg(rmsec.try(format('SELECT readmodel.create(%L, %L)', name, def)), ',') AS sts_16c FROM d16c \gset
DROP TABLE d16c;
SET SESSION AUTHORIZATION rmsec_mallory;
SELECT rmsec.try($t$UPDATE rmsec_m.t16c SET v = v || '.'$t$) AS st \gset
SET SESSION AUTHORIZATION rmsec_bob;
SELECT rmsec.try($t$UPDATE rmsec_b.o16c SET note = note || '.'$t$) AS st \gset
RESET SESSION AUTHORIZATION;
SELECT rmsec.try($t$UPDATE rmsec_m.t16c SET v = v || '!'$t$) AS st \gset
SELECT count(*) FILTER (WHERE rmsec.silently_stale(c.oid::regclass::text)) AS n_16c
FROM pg_class c WHERE c.relnamespace = 'rmsec_b'::regnamespace AND c.relname LIKE 'tv\_16c\_%' AND c.relkind = 'r' \gset
SELECT rmsec.report('16c', 'declared over views hiding the view owner''s function',
    rmsec.pwned_not_by('16c', 'rmsec_mallory') OR :n_16c > 0
    OR has_table_privilege('rmsec_mallory', 'rmsec_b.secret', 'SELECT'));

-- 16d: Mallory replaces the view with one that reads a table Bob may not
-- read, which only she may read, and which no capture trigger watches; then
-- she writes that table.  Refused, or the model says it is not maintained.
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE TABLE rmsec_m.t16d (id int PRIMARY KEY, v text);
INSERT INTO rmsec_m.t16d VALUES (1, 'a'), (2, 'b');
CREATE TABLE rmsec_m.p16d (id int PRIMARY KEY, hidden text);
INSERT INTO rmsec_m.p16d VALUES (1, 'mallory-only-16d');
CREATE VIEW rmsec_m.v16d AS SELECT id, v FROM rmsec_m.t16d;
GRANT SELECT ON rmsec_m.v16d TO rmsec_bob;
SELECT rmsec.try($t$SELECT readmodel.allow_models('rmsec_m.t16d', 'rmsec_bob')$t$) AS st \gset
GRANT SELECT ON rmsec_m.t16d TO rmsec_bob;  -- maintenance reads the view's tables as Bob
SET SESSION AUTHORIZATION rmsec_bob;
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_16d', 'SELECT x.id, x.v FROM rmsec_m.v16d x')$t$) AS st_create \gset
SET SESSION AUTHORIZATION rmsec_mallory;
SELECT rmsec.try($t$CREATE OR REPLACE VIEW rmsec_m.v16d AS
    SELECT t.id, coalesce(p.hidden, t.v) AS v FROM rmsec_m.t16d t LEFT JOIN rmsec_m.p16d p ON p.id = t.id$t$) AS st_r \gset
SELECT rmsec.try($t$INSERT INTO rmsec_m.p16d VALUES (2, 'mallory-only-16d-2')$t$) AS st_w \gset
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('16d', 'replaced view reads a table only its owner reads, uncaptured',
    :'st_create' <> 'ok' OR :'st_w' <> 'ok' OR rmsec.silently_stale('rmsec_b.tv_16d'));

-- 16e: as 15b, through a view.  Mallory may SELECT Alice's table, which a
-- model of Bob's captures, but holds no TRIGGER on it.  Her model reads her
-- own view of her own table and has a trigger; she replaces the view with
-- one over Alice's table.  Alice writes her table: does Mallory's trigger
-- run in Alice's transaction?
CALL rmsec.tag('16e');
SET SESSION AUTHORIZATION rmsec_alice;
CREATE TABLE rmsec_a.t16e (id int PRIMARY KEY, v text);
INSERT INTO rmsec_a.t16e VALUES (1, 'a');
GRANT SELECT ON rmsec_a.t16e TO rmsec_mallory;
GRANT SELECT, TRIGGER ON rmsec_a.t16e TO rmsec_bob;
SET SESSION AUTHORIZATION rmsec_bob;
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_16e', 'SELECT id, v FROM rmsec_a.t16e')$t$) AS st \gset
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE TABLE rmsec_m.m16e (id int PRIMARY KEY, v text);
CREATE VIEW rmsec_m.v16e AS SELECT id, v FROM rmsec_m.m16e;
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_m.tv_16e', 'SELECT x.id, x.v FROM rmsec_m.v16e x')$t$) AS st \gset
CREATE FUNCTION rmsec_m.trg16e() RETURNS trigger LANGUAGE plpgsql
    AS $$ BEGIN PERFORM rmsec.note('16e', session_user::text); RETURN NULL; END $$;
SELECT rmsec.try($t$CREATE TRIGGER trg16e AFTER INSERT OR UPDATE OR DELETE ON rmsec_m.tv_16e FOR EACH ROW EXECUTE FUNCTION rmsec_m.trg16e()$t$) AS st \gset
SELECT rmsec.try($t$CREATE OR REPLACE VIEW rmsec_m.v16e AS SELECT a.id, a.v FROM rmsec_a.t16e a$t$) AS st \gset
SET SESSION AUTHORIZATION rmsec_alice;
SELECT rmsec.try($t$UPDATE rmsec_a.t16e SET v = 'b' WHERE id = 1$t$) AS st \gset
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('16e', 'replaced view reads a table captured for another model',
    EXISTS (SELECT FROM rmsec.pwned WHERE tag = '16e' AND detail = 'rmsec_alice'));

-- 16f: Mallory replaces the view with one whose result depends on the
-- session: the current or session user, a setting, the search_path, the
-- time, the backend, the catalog.  Carol then writes the view's table with
-- settings of her own.  Refused, or the model equal to its definition as
-- Bob evaluates it.
CALL rmsec.tag('16f');
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE TABLE rmsec_m.t16f (id int PRIMARY KEY, v text);
INSERT INTO rmsec_m.t16f VALUES (1, 'a'), (2, 'b');
GRANT SELECT, UPDATE ON rmsec_m.t16f TO rmsec_carol;
CREATE VIEW rmsec_m.v16f AS SELECT id, v FROM rmsec_m.t16f;
GRANT SELECT ON rmsec_m.v16f TO rmsec_bob;
SELECT rmsec.try($t$SELECT readmodel.allow_models('rmsec_m.t16f', 'rmsec_bob')$t$) AS st \gset
GRANT SELECT ON rmsec_m.t16f TO rmsec_bob;  -- maintenance reads the view's tables as Bob
SET SESSION AUTHORIZATION rmsec_bob;
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_16f', 'SELECT x.id, x.v FROM rmsec_m.v16f x')$t$) AS st_create \gset
SET SESSION AUTHORIZATION rmsec_mallory;
-- an operator of hers that the replacement resolves with her search_path
CREATE FUNCTION rmsec_m.eq16f(a text, b text) RETURNS boolean LANGUAGE plpgsql IMMUTABLE
    AS $$ BEGIN PERFORM rmsec_m.grab('16f'); RETURN a OPERATOR(pg_catalog.=) b; END $$;
CREATE OPERATOR rmsec_m.= (LEFTARG = text, RIGHTARG = text, FUNCTION = rmsec_m.eq16f);
CREATE TEMP TABLE r16f (st text);
INSERT INTO r16f SELECT rmsec.try(format('CREATE OR REPLACE VIEW rmsec_m.v16f AS SELECT id, (%s) COLLATE "default" AS v FROM rmsec_m.t16f', e))
FROM (VALUES ('v || current_user'), ('v || session_user'), ('v || current_role'),
             ('v || current_schema'), ('v || current_setting(''app.x16f'', true)'),
             ('v || current_schemas(true)::text'), ('v || now()::text'),
             ('v || localtimestamp::text'), ('v || pg_backend_pid()'),
             ('v || pg_catalog.txid_current()'), ('v || inet_client_port()'),
             ('v || (SELECT count(*) FROM pg_catalog.pg_stat_activity)'),
             ('v || to_regclass(''t16f'')::oid::text'),
             ('v || has_table_privilege(''rmsec_b.secret'', ''SELECT'')'),
             ('v || pg_has_role(''rmsec_mallory'', ''USAGE'')'),
             ('v || row_security_active(''rmsec_m.t16f'')')) a(e);
SET search_path = rmsec_m, pg_catalog;
INSERT INTO r16f SELECT rmsec.try('CREATE OR REPLACE VIEW rmsec_m.v16f AS SELECT id, v FROM rmsec_m.t16f WHERE v = v');
RESET search_path;
SELECT string_agg(st, ',') AS sts_16f FROM r16f \gset
DROP TABLE r16f;
SET SESSION AUTHORIZATION rmsec_carol;
SET app.x16f = 'carol';
SET search_path = rmsec_c, rmsec_m, pg_catalog;
SELECT rmsec.try($t$UPDATE rmsec_m.t16f SET v = v || '.' WHERE id = 1$t$) AS st_w \gset
RESET search_path;
RESET app.x16f;
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('16f', 'replaced view depends on the session, user, settings, time',
    :'st_create' <> 'ok' OR :'st_w' <> 'ok' OR rmsec.pwned_not_by('16f', 'rmsec_mallory')
    OR rmsec.silently_stale('rmsec_b.tv_16f'));

-- 16g: a view with security_invoker reads Alice's table, whose policies
-- apply to Bob (he may SELECT it, and is not its owner): his model over
-- the view must be refused, as it is over the table itself.
SET SESSION AUTHORIZATION rmsec_alice;
CREATE TABLE rmsec_a.t16g (id int PRIMARY KEY, tenant text);
INSERT INTO rmsec_a.t16g VALUES (1, 'a'), (2, 'b');
ALTER TABLE rmsec_a.t16g ENABLE ROW LEVEL SECURITY;
CREATE POLICY p16g ON rmsec_a.t16g USING (tenant = current_setting('app.tenant', true));
GRANT SELECT ON rmsec_a.t16g TO rmsec_bob, rmsec_mallory;
SELECT rmsec.try($t$SELECT readmodel.allow_models('rmsec_a.t16g', 'rmsec_bob')$t$) AS st \gset
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE VIEW rmsec_m.v16g WITH (security_invoker = true) AS SELECT id, tenant FROM rmsec_a.t16g;
GRANT SELECT ON rmsec_m.v16g TO rmsec_bob;
SET SESSION AUTHORIZATION rmsec_bob;
SET app.tenant = 'a';
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_16g', 'SELECT x.id, x.tenant FROM rmsec_m.v16g x')$t$) AS st_16g \gset
RESET app.tenant;
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('16g', 'security_invoker view over a table whose policies apply to the owner',
    :'st_16g' = 'ok');

-- 16h: the other way round: Bob owns the table (its policies do not apply
-- to him), Mallory's ordinary view reads it with her rights, and the
-- policies apply to her.  Bob's model over her view must be refused.
SET SESSION AUTHORIZATION rmsec_bob;
CREATE TABLE rmsec_b.t16h (id int PRIMARY KEY, tenant text);
INSERT INTO rmsec_b.t16h VALUES (1, 'a'), (2, 'b');
ALTER TABLE rmsec_b.t16h ENABLE ROW LEVEL SECURITY;
CREATE POLICY p16h ON rmsec_b.t16h USING (tenant = current_setting('app.tenant', true));
GRANT USAGE ON SCHEMA rmsec_b TO rmsec_mallory;
GRANT SELECT ON rmsec_b.t16h TO rmsec_mallory;
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE VIEW rmsec_m.v16h AS SELECT id, tenant FROM rmsec_b.t16h;
GRANT SELECT ON rmsec_m.v16h TO rmsec_bob;
SET SESSION AUTHORIZATION rmsec_bob;
SET app.tenant = 'a';
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_16h', 'SELECT x.id, x.tenant FROM rmsec_m.v16h x')$t$) AS st_16h \gset
RESET app.tenant;
REVOKE USAGE ON SCHEMA rmsec_b FROM rmsec_mallory;
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('16h', 'view owner subject to policies the model owner is not',
    :'st_16h' = 'ok');

-- 16i: ALTER VIEW ... SET (security_invoker) after the model exists.
-- Mallory's table has a policy that shows no row to anybody but her (its
-- owner); Bob may SELECT it.  Through her ordinary view Bob sees every row;
-- she makes the view security_invoker, so Bob would see none.  A second
-- view starts as security_invoker over Bob's own such table and is made an
-- ordinary view.  Then the tables are written.  The models must not say
-- they are maintained while they differ from their definitions.
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE TABLE rmsec_m.t16i (id int PRIMARY KEY, v text);
INSERT INTO rmsec_m.t16i VALUES (1, 'a'), (2, 'b');
ALTER TABLE rmsec_m.t16i ENABLE ROW LEVEL SECURITY;
CREATE POLICY p16i ON rmsec_m.t16i USING (false);
GRANT SELECT ON rmsec_m.t16i TO rmsec_bob;
SELECT rmsec.try($t$SELECT readmodel.allow_models('rmsec_m.t16i', 'rmsec_bob')$t$) AS st \gset
GRANT SELECT ON rmsec_m.t16i TO rmsec_bob;  -- maintenance reads the view's tables as Bob
CREATE VIEW rmsec_m.v16i AS SELECT id, v FROM rmsec_m.t16i;
GRANT SELECT ON rmsec_m.v16i TO rmsec_bob;
SET SESSION AUTHORIZATION rmsec_bob;
CREATE TABLE rmsec_b.t16i (id int PRIMARY KEY, v text);
INSERT INTO rmsec_b.t16i VALUES (1, 'a'), (2, 'b');
ALTER TABLE rmsec_b.t16i ENABLE ROW LEVEL SECURITY;
CREATE POLICY p16i ON rmsec_b.t16i USING (false);
GRANT USAGE ON SCHEMA rmsec_b TO rmsec_mallory;
GRANT SELECT, UPDATE ON rmsec_b.t16i TO rmsec_mallory;
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE VIEW rmsec_m.v16i2 WITH (security_invoker = true) AS SELECT id, v FROM rmsec_b.t16i;
GRANT SELECT ON rmsec_m.v16i2 TO rmsec_bob;
SET SESSION AUTHORIZATION rmsec_bob;
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_16i', 'SELECT x.id, x.v FROM rmsec_m.v16i x')$t$) AS st_c1 \gset
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_16i2', 'SELECT x.id, x.v FROM rmsec_m.v16i2 x')$t$) AS st_c2 \gset
REVOKE USAGE ON SCHEMA rmsec_b FROM rmsec_mallory;
SET SESSION AUTHORIZATION rmsec_mallory;
SELECT rmsec.try($t$ALTER VIEW rmsec_m.v16i SET (security_invoker = true)$t$) AS st_a1 \gset
SELECT rmsec.try($t$ALTER VIEW rmsec_m.v16i2 SET (security_invoker = false)$t$) AS st_a2 \gset
RESET SESSION AUTHORIZATION;
SELECT rmsec.silently_stale('rmsec_b.tv_16i') OR rmsec.silently_stale('rmsec_b.tv_16i2') AS silent_before \gset
SET SESSION AUTHORIZATION rmsec_mallory;
SELECT rmsec.try($t$UPDATE rmsec_m.t16i SET v = v || '.' WHERE id = 1$t$) AS st_w1 \gset
SET SESSION AUTHORIZATION rmsec_bob;
SELECT rmsec.try($t$UPDATE rmsec_b.t16i SET v = v || '.' WHERE id = 1$t$) AS st_w2 \gset
RESET SESSION AUTHORIZATION;
-- (tv_16i is refused at declaration: maintenance reads t16i as Bob, whom
-- its policy applies to; that blocks the attack on it.)
SELECT rmsec.report('16i', 'ALTER VIEW SET (security_invoker) under a model',
    :'st_c2' <> 'ok' OR :'st_w1' <> 'ok' OR :'st_w2' <> 'ok' OR :'silent_before'::boolean
    OR rmsec.silently_stale('rmsec_b.tv_16i') OR rmsec.silently_stale('rmsec_b.tv_16i2'));

-- 16j: security_barrier set and reset on a view under a model (a control:
-- nothing changes what the view returns).
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE TABLE rmsec_m.t16j (id int PRIMARY KEY, v text, hidden boolean);
INSERT INTO rmsec_m.t16j VALUES (1, 'a', false), (2, 'b', true);
CREATE VIEW rmsec_m.v16j AS SELECT id, v FROM rmsec_m.t16j WHERE NOT hidden;
GRANT SELECT ON rmsec_m.v16j TO rmsec_bob;
SELECT rmsec.try($t$SELECT readmodel.allow_models('rmsec_m.t16j', 'rmsec_bob')$t$) AS st \gset
GRANT SELECT ON rmsec_m.t16j TO rmsec_bob;  -- maintenance reads the view's tables as Bob
SET SESSION AUTHORIZATION rmsec_bob;
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_16j', 'SELECT x.id, x.v FROM rmsec_m.v16j x WHERE x.v <> ''z''')$t$) AS st_c \gset
SET SESSION AUTHORIZATION rmsec_mallory;
SELECT rmsec.try($t$ALTER VIEW rmsec_m.v16j SET (security_barrier = true)$t$) AS st \gset
SELECT rmsec.try($t$UPDATE rmsec_m.t16j SET hidden = NOT hidden$t$) AS st_w1 \gset
SELECT rmsec.try($t$ALTER VIEW rmsec_m.v16j RESET (security_barrier)$t$) AS st \gset
SELECT rmsec.try($t$INSERT INTO rmsec_m.t16j VALUES (3, 'c', false), (4, 'd', true)$t$) AS st_w2 \gset
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('16j', 'ALTER VIEW SET (security_barrier) under a model',
    :'st_c' <> 'ok' OR :'st_w1' <> 'ok' OR :'st_w2' <> 'ok'
    OR rmsec.status('rmsec_b.tv_16j') <> 'maintained' OR rmsec.drift('rmsec_b.tv_16j') <> 0);

-- 16k: a view over a table of another schema, declared and written with
-- hostile search_paths.  Mallory puts a table, a view, a function and an
-- operator named like the ones the definitions use in a schema anybody may
-- create in; Bob declares one model with that schema first on his path,
-- and another with the default path; Carol writes with that schema, and
-- then her temporary schema (with a table and a view named like them)
-- first on her path.
CALL rmsec.tag('16k');
CREATE SCHEMA rmsec_shared;
GRANT USAGE, CREATE ON SCHEMA rmsec_shared TO PUBLIC;
SET SESSION AUTHORIZATION rmsec_alice;
CREATE TABLE rmsec_a.t16k (id int PRIMARY KEY, v text);
INSERT INTO rmsec_a.t16k VALUES (1, 'a'), (2, 'b');
GRANT SELECT, UPDATE ON rmsec_a.t16k TO rmsec_carol;
GRANT SELECT ON rmsec_a.t16k TO rmsec_bob;  -- maintenance reads the view's tables as Bob
SELECT rmsec.try($t$SELECT readmodel.allow_models('rmsec_a.t16k', 'rmsec_bob')$t$) AS st \gset
CREATE VIEW rmsec_a.v16k AS SELECT id, upper(v) AS v FROM rmsec_a.t16k WHERE v <> 'z';
GRANT SELECT ON rmsec_a.v16k TO rmsec_bob;
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE FUNCTION rmsec_shared.upper(t text) RETURNS text LANGUAGE plpgsql IMMUTABLE
    AS $$ BEGIN PERFORM rmsec_m.grab('16k'); RETURN pg_catalog.upper(t); END $$;
CREATE FUNCTION rmsec_shared.ne16k(a text, b text) RETURNS boolean LANGUAGE plpgsql IMMUTABLE
    AS $$ BEGIN PERFORM rmsec_m.grab('16k'); RETURN a OPERATOR(pg_catalog.<>) b; END $$;
CREATE OPERATOR rmsec_shared.<> (LEFTARG = text, RIGHTARG = text, FUNCTION = rmsec_shared.ne16k);
CREATE TABLE rmsec_shared.t16k (id int PRIMARY KEY, v text);
INSERT INTO rmsec_shared.t16k VALUES (1, 'mallory-16k');
CREATE VIEW rmsec_shared.v16k AS SELECT id, v FROM rmsec_shared.t16k;
GRANT SELECT ON rmsec_shared.t16k, rmsec_shared.v16k TO PUBLIC;
SET SESSION AUTHORIZATION rmsec_bob;
SET search_path = rmsec_shared, rmsec_a, pg_catalog;
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_16k', 'SELECT x.id, upper(x.v) AS v FROM v16k x WHERE x.v <> ''y''')$t$) AS st_c1 \gset
RESET search_path;
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_16k2', 'SELECT x.id, upper(x.v) AS v FROM rmsec_a.v16k x WHERE x.v <> ''y''')$t$) AS st_c2 \gset
SET SESSION AUTHORIZATION rmsec_carol;
CREATE TEMP TABLE t16k (id int, v text);
CREATE TEMP VIEW v16k AS SELECT 1 AS id, 'temp-16k'::text AS v;
SET search_path = rmsec_shared, rmsec_a, pg_catalog;
SELECT rmsec.try($t$UPDATE rmsec_a.t16k SET v = 'c' WHERE id = 1$t$) AS st_w1 \gset
SET search_path = pg_temp, rmsec_shared, pg_catalog;
SELECT rmsec.try($t$UPDATE rmsec_a.t16k SET v = 'd' WHERE id = 2$t$) AS st_w2 \gset
RESET search_path;
DROP VIEW pg_temp.v16k;
DROP TABLE pg_temp.t16k;
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('16k', 'hostile search_path at declaration and write over a view',
    rmsec.pwned_not_by('16k', 'rmsec_mallory') OR :'st_c2' <> 'ok' OR :'st_w1' <> 'ok' OR :'st_w2' <> 'ok'
    OR rmsec.status('rmsec_b.tv_16k2') <> 'maintained' OR rmsec.drift('rmsec_b.tv_16k2') <> 0
    OR rmsec.val('SELECT count(*) FROM rmsec_b.tv_16k2 WHERE v ILIKE ''%16k%''') <> '0'
    OR (:'st_c1' = 'ok' AND (rmsec.status('rmsec_b.tv_16k') <> 'maintained'
                             OR rmsec.drift('rmsec_b.tv_16k') <> 0)));

-- 16l: Mallory drops her view with CASCADE.  PostgreSQL drops Bob's
-- definition view with it; Bob's model table, and Carol's view over it,
-- must survive her command (she could not drop either herself), the model
-- must leave the catalog, and the backend must not crash.
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE TABLE rmsec_m.t16l (id int PRIMARY KEY, v text);
INSERT INTO rmsec_m.t16l VALUES (1, 'a');
CREATE VIEW rmsec_m.v16l_in AS SELECT id, v FROM rmsec_m.t16l;
CREATE VIEW rmsec_m.v16l AS SELECT id, v FROM rmsec_m.v16l_in;
GRANT SELECT ON rmsec_m.v16l TO rmsec_bob;
SELECT rmsec.try($t$SELECT readmodel.allow_models('rmsec_m.t16l', 'rmsec_bob')$t$) AS st \gset
GRANT SELECT ON rmsec_m.t16l TO rmsec_bob;  -- maintenance reads the view's tables as Bob
SET SESSION AUTHORIZATION rmsec_bob;
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_16l', 'SELECT x.id, x.v FROM rmsec_m.v16l x')$t$) AS st_c \gset
SELECT rmsec.try($t$GRANT SELECT ON rmsec_b.tv_16l TO rmsec_carol$t$) AS st \gset
SET SESSION AUTHORIZATION rmsec_carol;
SELECT rmsec.try($t$CREATE VIEW rmsec_c.v16l AS SELECT id FROM rmsec_b.tv_16l$t$) AS st_cv \gset
SELECT pg_backend_pid() AS pid_16l \gset
SET SESSION AUTHORIZATION rmsec_mallory;
SELECT rmsec.try($t$DROP VIEW rmsec_m.v16l_in CASCADE$t$) AS st_drop \gset
SELECT rmsec.try($t$INSERT INTO rmsec_m.t16l VALUES (2, 'b')$t$) AS st_w \gset
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('16l', 'view owner DROP VIEW CASCADE under a model',
    pg_backend_pid() <> :pid_16l OR :'st_c' <> 'ok' OR :'st_cv' <> 'ok' OR :'st_w' <> 'ok'
    OR to_regclass('rmsec_c.v16l') IS NULL OR to_regclass('rmsec_b.tv_16l') IS NULL
    OR EXISTS (SELECT FROM readmodel.model WHERE relid::oid = 'rmsec_b.tv_16l'::regclass::oid)
    OR EXISTS (SELECT FROM pg_trigger WHERE tgrelid = 'rmsec_m.t16l'::regclass AND NOT tgisinternal));

-- 16m: Mallory renames her view, one of its columns, moves it to another
-- schema, and renames the table under it and its column; then she writes
-- the table.  The model must stay exact (or say it is not).
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE TABLE rmsec_m.t16m (id int PRIMARY KEY, v text);
INSERT INTO rmsec_m.t16m VALUES (1, 'a'), (2, 'b');
CREATE VIEW rmsec_m.v16m AS SELECT id, v FROM rmsec_m.t16m;
GRANT SELECT ON rmsec_m.v16m TO rmsec_bob;
SELECT rmsec.try($t$SELECT readmodel.allow_models('rmsec_m.t16m', 'rmsec_bob')$t$) AS st \gset
GRANT SELECT ON rmsec_m.t16m TO rmsec_bob;  -- maintenance reads the view's tables as Bob
SET SESSION AUTHORIZATION rmsec_bob;
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_16m', 'SELECT x.id, x.v FROM rmsec_m.v16m x')$t$) AS st_c \gset
RESET SESSION AUTHORIZATION;
CREATE SCHEMA rmsec_m2 AUTHORIZATION rmsec_mallory;
GRANT USAGE ON SCHEMA rmsec_m2 TO PUBLIC;
SET SESSION AUTHORIZATION rmsec_mallory;
SELECT rmsec.try($t$ALTER VIEW rmsec_m.v16m RENAME TO v16m_renamed$t$)
    || rmsec.try($t$ALTER VIEW rmsec_m.v16m_renamed RENAME COLUMN v TO v_renamed$t$)
    || rmsec.try($t$ALTER VIEW rmsec_m.v16m_renamed SET SCHEMA rmsec_m2$t$)
    || rmsec.try($t$CREATE VIEW rmsec_m.v16m AS SELECT 1 AS id, 'decoy'::text AS v$t$)
    || rmsec.try($t$ALTER TABLE rmsec_m.t16m RENAME COLUMN v TO w$t$)
    || rmsec.try($t$ALTER TABLE rmsec_m.t16m RENAME TO t16m_renamed$t$)
    || rmsec.try($t$ALTER TABLE rmsec_m.t16m_renamed ADD COLUMN extra text DEFAULT 'x'$t$) AS st_ddl \gset
SELECT rmsec.try($t$UPDATE rmsec_m.t16m_renamed SET w = w || '.'$t$) AS st_w1 \gset
SELECT rmsec.try($t$INSERT INTO rmsec_m.t16m_renamed VALUES (3, 'c')$t$) AS st_w2 \gset
SELECT rmsec.try($t$DELETE FROM rmsec_m.t16m_renamed WHERE id = 1$t$) AS st_w3 \gset
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('16m', 'renames under a model that reads a view',
    :'st_c' <> 'ok' OR :'st_w1' <> 'ok' OR :'st_w2' <> 'ok' OR :'st_w3' <> 'ok'
    OR rmsec.silently_stale('rmsec_b.tv_16m') OR EXISTS (SELECT FROM rmsec_b.tv_16m WHERE v = 'decoy'));

-- 16n: Alice changes the tables under Mallory's view: drops the primary
-- key of the table the view joins to, then enables row-level security
-- with policies that apply to Mallory (the view's owner), then adds an
-- inheritance child with rows the view now returns.  Each time she writes
-- her tables: her writes must go on, and the model must never say it is
-- maintained while it differs from its definition.
SET SESSION AUTHORIZATION rmsec_alice;
CREATE TABLE rmsec_a.par16n (id int CONSTRAINT par16n_pkey PRIMARY KEY, name text);
CREATE TABLE rmsec_a.ch16n (id int PRIMARY KEY, fk int, v text);
INSERT INTO rmsec_a.par16n VALUES (1, 'p1'), (2, 'p2');
INSERT INTO rmsec_a.ch16n VALUES (10, 1, 'a'), (11, 2, 'b');
GRANT SELECT ON rmsec_a.par16n, rmsec_a.ch16n TO rmsec_mallory, rmsec_bob;  -- Bob: maintenance reads them
SELECT rmsec.try($t$SELECT readmodel.allow_models('rmsec_a.par16n', 'rmsec_bob')$t$) AS st \gset
SELECT rmsec.try($t$SELECT readmodel.allow_models('rmsec_a.ch16n', 'rmsec_bob')$t$) AS st \gset
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE VIEW rmsec_m.v16n AS
    SELECT c.id, c.v, p.name FROM rmsec_a.ch16n c JOIN rmsec_a.par16n p ON p.id = c.fk;
GRANT SELECT ON rmsec_m.v16n TO rmsec_bob;
SET SESSION AUTHORIZATION rmsec_bob;
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_16n', 'SELECT x.id, x.v, x.name FROM rmsec_m.v16n x')$t$) AS st_c \gset
SET SESSION AUTHORIZATION rmsec_alice;
SELECT rmsec.try($t$ALTER TABLE rmsec_a.par16n DROP CONSTRAINT par16n_pkey$t$) AS st_ddl1 \gset
SELECT rmsec.try($t$UPDATE rmsec_a.par16n SET name = 'p1x' WHERE id = 1$t$) AS st_w1 \gset
RESET SESSION AUTHORIZATION;
SELECT rmsec.silently_stale('rmsec_b.tv_16n') AS silent1 \gset
\c
:session_setup
SET SESSION AUTHORIZATION rmsec_bob;
SELECT rmsec.try($t$SELECT readmodel.drop('rmsec_b.tv_16n')$t$) AS st \gset
SET SESSION AUTHORIZATION rmsec_alice;
SELECT rmsec.try($t$ALTER TABLE rmsec_a.par16n ADD PRIMARY KEY (id)$t$) AS st \gset
SET SESSION AUTHORIZATION rmsec_bob;
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_16n', 'SELECT x.id, x.v, x.name FROM rmsec_m.v16n x')$t$) AS st_c2 \gset
SET SESSION AUTHORIZATION rmsec_alice;
SELECT rmsec.try($t$ALTER TABLE rmsec_a.ch16n ENABLE ROW LEVEL SECURITY$t$)
    || rmsec.try($t$CREATE POLICY p16n ON rmsec_a.ch16n USING (v <> 'b')$t$) AS st_ddl2 \gset
SELECT rmsec.try($t$UPDATE rmsec_a.ch16n SET v = 'a2' WHERE id = 10$t$) AS st_w2 \gset
RESET SESSION AUTHORIZATION;
SELECT rmsec.silently_stale('rmsec_b.tv_16n') AS silent2 \gset
SET SESSION AUTHORIZATION rmsec_alice;
SELECT rmsec.try($t$ALTER TABLE rmsec_a.ch16n DISABLE ROW LEVEL SECURITY$t$) AS st \gset
SET SESSION AUTHORIZATION rmsec_bob;
SELECT rmsec.try($t$SELECT readmodel.refresh('rmsec_b.tv_16n')$t$) AS st \gset
SET SESSION AUTHORIZATION rmsec_alice;
SELECT rmsec.try($t$CREATE TABLE rmsec_a.ch16n_kid () INHERITS (rmsec_a.ch16n)$t$)
    || rmsec.try($t$GRANT SELECT ON rmsec_a.ch16n_kid TO rmsec_mallory$t$) AS st_ddl3 \gset
SELECT rmsec.try($t$INSERT INTO rmsec_a.ch16n_kid VALUES (12, 1, 'kid')$t$) AS st_w3 \gset
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('16n', 'source DDL under a view: primary key, policies, inheritance',
    :'st_c' <> 'ok' OR :'st_c2' <> 'ok' OR :'st_w1' <> 'ok' OR :'st_w2' <> 'ok' OR :'st_w3' <> 'ok'
    OR :'silent1'::boolean OR :'silent2'::boolean OR rmsec.silently_stale('rmsec_b.tv_16n'));

-- 16o: Alice drops the table under Mallory's view with CASCADE: that
-- takes Mallory's view and Bob's definition view.  Carol's view over Bob's
-- model table must survive, and the model must leave the catalog.
SET SESSION AUTHORIZATION rmsec_alice;
CREATE TABLE rmsec_a.t16o (id int PRIMARY KEY, v text);
INSERT INTO rmsec_a.t16o VALUES (1, 'a');
GRANT SELECT ON rmsec_a.t16o TO rmsec_mallory, rmsec_bob;  -- Bob: maintenance reads it
SELECT rmsec.try($t$SELECT readmodel.allow_models('rmsec_a.t16o', 'rmsec_bob')$t$) AS st \gset
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE VIEW rmsec_m.v16o AS SELECT id, v FROM rmsec_a.t16o;
GRANT SELECT ON rmsec_m.v16o TO rmsec_bob;
SET SESSION AUTHORIZATION rmsec_bob;
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_16o', 'SELECT x.id, x.v FROM rmsec_m.v16o x')$t$) AS st_c \gset
SELECT rmsec.try($t$GRANT SELECT ON rmsec_b.tv_16o TO rmsec_carol$t$) AS st \gset
SET SESSION AUTHORIZATION rmsec_carol;
SELECT rmsec.try($t$CREATE VIEW rmsec_c.v16o AS SELECT id FROM rmsec_b.tv_16o$t$) AS st_cv \gset
SELECT pg_backend_pid() AS pid_16o \gset
SET SESSION AUTHORIZATION rmsec_alice;
SELECT rmsec.try($t$DROP TABLE rmsec_a.t16o CASCADE$t$) AS st_drop \gset
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('16o', 'table owner DROP TABLE CASCADE under a view under a model',
    pg_backend_pid() <> :pid_16o OR :'st_c' <> 'ok' OR :'st_cv' <> 'ok'
    OR to_regclass('rmsec_c.v16o') IS NULL
    OR EXISTS (SELECT FROM readmodel.model m WHERE to_regclass('rmsec_b.tv_16o') IS NOT NULL
                                            AND m.relid::oid = to_regclass('rmsec_b.tv_16o')::oid));

-- 16p: rules on a model's own definition view (CREATE OR REPLACE RULE
-- "_RETURN" replaces a view's query without CREATE OR REPLACE VIEW): the
-- owner, and a role with the owner's privileges, must be refused.
SET SESSION AUTHORIZATION rmsec_bob;
CREATE TABLE rmsec_b.t16p (id int PRIMARY KEY, v text);
INSERT INTO rmsec_b.t16p VALUES (1, 'a'), (2, 'b');
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_16p', 'SELECT id, v FROM rmsec_b.t16p')$t$) AS st_c \gset
SELECT rmsec.try($t$CREATE OR REPLACE RULE "_RETURN" AS ON SELECT TO rmsec_b.tv_16p_def DO INSTEAD SELECT id, upper(v) AS v FROM rmsec_b.t16p WHERE id = 1$t$) AS st_r \gset
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('16p', 'CREATE OR REPLACE RULE "_RETURN" on a definition view',
    :'st_c' <> 'ok' OR :'st_r' = 'ok' OR rmsec.silently_stale('rmsec_b.tv_16p'));

-- 16x: (since c83117a, partitioned tables as sources) Mallory's view reads
-- her partitioned table.  Under Bob's model she attaches a table that
-- already has rows, creates a partition and writes it directly, and
-- detaches a partition and writes it.  Her writes must go on, and the
-- model must never say it is maintained while it differs.
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE TABLE rmsec_m.t16x (id int PRIMARY KEY, v text) PARTITION BY RANGE (id);
CREATE TABLE rmsec_m.t16x_1 PARTITION OF rmsec_m.t16x FOR VALUES FROM (0) TO (100);
INSERT INTO rmsec_m.t16x VALUES (1, 'a'), (2, 'b');
CREATE VIEW rmsec_m.v16x AS SELECT id, v FROM rmsec_m.t16x;
GRANT SELECT ON rmsec_m.v16x TO rmsec_bob;
SELECT rmsec.try($t$SELECT readmodel.allow_models('rmsec_m.t16x', 'rmsec_bob')$t$) AS st \gset
GRANT SELECT ON rmsec_m.t16x TO rmsec_bob;  -- maintenance reads the view's tables as Bob
SET SESSION AUTHORIZATION rmsec_bob;
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_16x', 'SELECT x.id, x.v FROM rmsec_m.v16x x')$t$) AS st_c \gset
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE TABLE rmsec_m.t16x_2 (id int PRIMARY KEY, v text);
INSERT INTO rmsec_m.t16x_2 VALUES (150, 'attached-with-rows');
SELECT rmsec.try($t$ALTER TABLE rmsec_m.t16x ATTACH PARTITION rmsec_m.t16x_2 FOR VALUES FROM (100) TO (200)$t$)
    || rmsec.try($t$CREATE TABLE rmsec_m.t16x_3 PARTITION OF rmsec_m.t16x FOR VALUES FROM (200) TO (300)$t$) AS st_ddl1 \gset
SELECT rmsec.try($t$INSERT INTO rmsec_m.t16x_3 VALUES (250, 'into-partition')$t$) AS st_w1 \gset
SELECT rmsec.try($t$INSERT INTO rmsec_m.t16x VALUES (251, 'into-parent')$t$) AS st_w2 \gset
SELECT rmsec.try($t$ALTER TABLE rmsec_m.t16x DETACH PARTITION rmsec_m.t16x_1$t$) AS st_ddl2 \gset
SELECT rmsec.try($t$UPDATE rmsec_m.t16x_1 SET v = 'detached'$t$) AS st_w3 \gset
SELECT rmsec.try($t$UPDATE rmsec_m.t16x SET v = v || '.'$t$) AS st_w4 \gset
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('16x', 'partitions attached, created, detached under a view',
    :'st_c' = 'ok' AND (:'st_w1' <> 'ok' OR :'st_w2' <> 'ok' OR :'st_w3' <> 'ok' OR :'st_w4' <> 'ok'
                        OR rmsec.silently_stale('rmsec_b.tv_16x')));

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
