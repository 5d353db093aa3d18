\set ECHO none
--
-- security: adversarial tests of pg_readmodel.
--
-- Every attack prints exactly one line, "attack <id> <name>: blocked" or
-- "attack <id> <name>: SUCCEEDED" (or UNDECIDED when its outcome could not
-- be computed).  The verdict comes from facts the attack can observe: rows
-- an attacker's function wrote to rmsec.pwned (with current_user and
-- whether that role is a superuser), privileges, row counts, settings read
-- back afterwards, whether objects still exist.  Never from error message
-- texts: statements that may fail run through rmsec.try(), which returns
-- 'ok' or the SQLSTATE.  expected/security.out is the output of a secure
-- extension: every attack blocked.  README.md lists the attacks.
--
-- Roles and schemas are prefixed rmsec_ and removed at the end (and at the
-- start, if an earlier run left them behind).  The script runs as a
-- superuser and acts as the other roles with SET SESSION AUTHORIZATION, in
-- one connection except where it reconnects (\c) for a fresh backend.
-- Attack 15d comes last, after the cleanup: against a vulnerable server it
-- crashes the backend, which ends the script.
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

-- the settings the comparisons below assume for the superuser's session;
-- repeated after every reconnection (\c)
\set session_setup 'SET client_min_messages = error; SET default_text_search_config = ''pg_catalog.english''; SET bytea_output = ''hex'';'
:session_setup

---------------------------------------------------------------------------
-- roles, schemas, test infrastructure
---------------------------------------------------------------------------
CREATE ROLE rmsec_alice;      -- owns source tables
CREATE ROLE rmsec_bob;        -- owns read models (over Alice's and Mallory's tables)
CREATE ROLE rmsec_mallory;    -- the attacker
CREATE ROLE rmsec_carol;      -- another user, writes shared tables
CREATE ROLE rmsec_eve;        -- no privileges at all
CREATE ROLE rmsec_reader;     -- reads read models under RLS
CREATE SCHEMA rmsec_a AUTHORIZATION rmsec_alice;
CREATE SCHEMA rmsec_b AUTHORIZATION rmsec_bob;
CREATE SCHEMA rmsec_m AUTHORIZATION rmsec_mallory;
CREATE SCHEMA rmsec_c AUTHORIZATION rmsec_carol;
GRANT USAGE ON SCHEMA rmsec_a, rmsec_m TO PUBLIC;
-- a schema everybody may create in (like public before PostgreSQL 15)
CREATE SCHEMA rmsec_shared;
GRANT USAGE, CREATE ON SCHEMA rmsec_shared TO PUBLIC;

CREATE SCHEMA rmsec;
GRANT USAGE ON SCHEMA rmsec TO PUBLIC;
-- what attackers' functions record: the tag of the attack, the role the
-- code ran as, whether that role is a superuser, and what it got
CREATE TABLE rmsec.pwned (tag text, who name, super boolean, detail text);
GRANT INSERT ON rmsec.pwned TO PUBLIC;
CREATE FUNCTION rmsec.note(tag text, detail text DEFAULT NULL) RETURNS boolean
    LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    INSERT INTO rmsec.pwned
    SELECT tag, current_user, r.rolsuper, detail FROM pg_roles r WHERE r.rolname = current_user;
    SELECT true $$;
CREATE FUNCTION rmsec.pwned_super(tag text) RETURNS boolean
    LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    SELECT EXISTS (SELECT FROM rmsec.pwned p WHERE p.tag = $1 AND p.super) $$;
CREATE FUNCTION rmsec.pwned_as(tag text, role name) RETURNS boolean
    LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    SELECT EXISTS (SELECT FROM rmsec.pwned p WHERE p.tag = $1 AND p.who = $2) $$;
-- run one statement as the current role, apply the queue as commit would;
-- 'ok' or the SQLSTATE
CREATE FUNCTION rmsec.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE sql;
    PERFORM readmodel.flush();
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END $$;
GRANT EXECUTE ON FUNCTION rmsec.try(text) TO PUBLIC;
-- the value of a one-value query (as text), or 'ERR <sqlstate>'
CREATE FUNCTION rmsec.val(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text;
BEGIN
    EXECUTE sql INTO r;
    RETURN r;
EXCEPTION WHEN OTHERS THEN
    RETURN 'ERR ' || SQLSTATE;
END $$;
-- how many rows a query returns, -1 if it fails
CREATE FUNCTION rmsec.rows(sql text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
    EXECUTE 'SELECT count(*) FROM (' || sql || ') q' INTO n;
    RETURN n;
EXCEPTION WHEN OTHERS THEN
    RETURN -1;
END $$;
GRANT EXECUTE ON FUNCTION rmsec.val(text), rmsec.rows(text) TO PUBLIC;
-- Rows in which a model table and its definition differ, the definition
-- computed now, under the settings maintenance documents as pinned and the
-- session's defaults for everything else; -1 if it cannot be computed.
CREATE FUNCTION rmsec.drift(model text, def text DEFAULT NULL) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    SET TimeZone = 'UTC' SET DateStyle = 'ISO, MDY' SET IntervalStyle = 'postgres'
    SET extra_float_digits = 1
AS $$
DECLARE n bigint;
BEGIN
    EXECUTE format('SELECT count(*) FROM (SELECT to_jsonb(t) AS j FROM %s t) a
                    FULL JOIN (SELECT to_jsonb(d) AS j FROM %s d) b ON a.j = b.j
                    WHERE a.j IS NULL OR b.j IS NULL',
                   model, coalesce(def, model || '_def')) INTO n;
    RETURN n;
EXCEPTION WHEN OTHERS THEN
    RETURN -1;
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
-- a harmless model of Bob's
CREATE TABLE rmsec_b.t0 (id int PRIMARY KEY, v text);
INSERT INTO rmsec_b.t0 VALUES (1, 'a'), (2, 'b');
ALTER TABLE rmsec_b.t0 OWNER TO rmsec_bob;
SET SESSION AUTHORIZATION rmsec_bob;
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_b0', 'SELECT id, v FROM rmsec_b.t0')$t$) AS st \gset
RESET SESSION AUTHORIZATION;

---------------------------------------------------------------------------
-- 1. Unqualified names and injection in the SQL the extension builds
---------------------------------------------------------------------------

-- 1a: readmodel.create() inserts the catalog row as the extension owner
-- while the caller's search_path is in force; the row casts a parameter to
-- "name".  Mallory puts her schema before pg_catalog and defines a domain
-- "name" whose CHECK calls her function.
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE TABLE rmsec_m.t1a (id int PRIMARY KEY, v text);
INSERT INTO rmsec_m.t1a VALUES (1, 'x');
CREATE FUNCTION rmsec_m.pwn1a(v text) RETURNS boolean LANGUAGE sql AS $$ SELECT rmsec.note('1a', v) $$;
CREATE DOMAIN rmsec_m.name AS text CHECK (rmsec_m.pwn1a(VALUE));
SET search_path = rmsec_m, pg_catalog;
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_m.tv_1a', 'SELECT id, v FROM rmsec_m.t1a')$t$) AS st \gset
RESET search_path;
DROP DOMAIN rmsec_m.name;
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('1a', 'create: catalog write finds type "name" in caller schema', rmsec.pwned_super('1a'));

-- 1b: the same with nothing but the TEMP privilege and the default
-- search_path: pg_temp is searched first for type names.
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE TABLE rmsec_m.t1b (id int PRIMARY KEY, v text);
INSERT INTO rmsec_m.t1b VALUES (1, 'x');
CREATE FUNCTION pg_temp.pwn1b(v text) RETURNS boolean LANGUAGE sql AS $$ SELECT rmsec.note('1b', v) $$;
CREATE DOMAIN pg_temp.name AS text CHECK (pg_temp.pwn1b(VALUE));
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_m.tv_1b', 'SELECT id, v FROM rmsec_m.t1b')$t$) AS st \gset
DROP DOMAIN pg_temp.name;
DROP FUNCTION pg_temp.pwn1b(text);
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('1b', 'create: catalog write finds temp domain "name"', rmsec.pwned_super('1b'));

-- 1c: replacing a definition updates the catalog "WHERE relid = $1"
-- (regclass = oid, for which pg_catalog has no exact operator).  Mallory's
-- operator =(regclass, oid) is an exact match, even with pg_catalog first.
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE TABLE rmsec_m.t1c (id int PRIMARY KEY, v text);
INSERT INTO rmsec_m.t1c VALUES (1, 'x');
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_m.tv_1c', 'SELECT id, v FROM rmsec_m.t1c')$t$) AS st \gset
CREATE FUNCTION rmsec_m.eq1c(a regclass, b oid) RETURNS boolean LANGUAGE sql
    AS $$ SELECT rmsec.note('1c', a::text) AND a::oid OPERATOR(pg_catalog.=) b $$;
CREATE OPERATOR rmsec_m.= (LEFTARG = regclass, RIGHTARG = oid, FUNCTION = rmsec_m.eq1c);
SET search_path = rmsec_m;
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_m.tv_1c', 'SELECT id, v, 1 AS w FROM rmsec_m.t1c', '{"replace": true}')$t$) AS st \gset
RESET search_path;
DROP OPERATOR rmsec_m.= (regclass, oid);
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('1c', 'replace: catalog update uses attacker operator =(regclass,oid)', rmsec.pwned_super('1c'));

-- 1d: a database whose public schema is writable (created before
-- PostgreSQL 15).  Mallory defines public.=(regclass, oid); a superuser
-- with the default search_path calls readmodel.explain() on a model.
GRANT CREATE ON SCHEMA public TO rmsec_mallory;
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE FUNCTION public.rmsec_eq1d(a regclass, b oid) RETURNS boolean LANGUAGE sql
    AS $$ SELECT rmsec.note('1d', a::text) AND a::oid OPERATOR(pg_catalog.=) b $$;
CREATE OPERATOR public.= (LEFTARG = regclass, RIGHTARG = oid, FUNCTION = public.rmsec_eq1d);
RESET SESSION AUTHORIZATION;
SELECT rmsec.try($t$SELECT count(*) FROM readmodel.explain('rmsec_b.tv_b0')$t$) AS st \gset
SET SESSION AUTHORIZATION rmsec_mallory;
DROP OPERATOR public.= (regclass, oid);
DROP FUNCTION public.rmsec_eq1d(regclass, oid);
RESET SESSION AUTHORIZATION;
REVOKE CREATE ON SCHEMA public FROM rmsec_mallory;
SELECT rmsec.report('1d', 'superuser explain() uses attacker operator in public', rmsec.pwned_super('1d'));

-- 1e: writable public again.  The per-backend model cache is loaded with
-- "array_to_string(sources::oid[], ',')" as the current user; Mallory's
-- public.array_to_string(oid[], text) is a better match than pg_catalog's
-- (anyarray, text).  A superuser's ordinary write loads the cache.
GRANT CREATE ON SCHEMA public TO rmsec_mallory;
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE TABLE rmsec_m.t1e (id int PRIMARY KEY, v text);
INSERT INTO rmsec_m.t1e VALUES (1, 'x');
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_m.tv_1e', 'SELECT id, v FROM rmsec_m.t1e')$t$) AS st \gset
CREATE FUNCTION public.array_to_string(a oid[], sep text) RETURNS text LANGUAGE sql
    AS $$ SELECT CASE WHEN rmsec.note('1e') THEN pg_catalog.array_to_string(a, sep) END $$;
-- DDL on a source invalidates the model cache of every backend
ALTER TABLE rmsec_m.t1e ADD COLUMN w int;
RESET SESSION AUTHORIZATION;
SELECT rmsec.try($t$UPDATE rmsec_m.t1e SET v = 'y'$t$) AS st \gset
SET SESSION AUTHORIZATION rmsec_mallory;
DROP FUNCTION public.array_to_string(oid[], text);
RESET SESSION AUTHORIZATION;
REVOKE CREATE ON SCHEMA public FROM rmsec_mallory;
SELECT rmsec.report('1e', 'superuser write loads cache with attacker array_to_string', rmsec.pwned_super('1e'));

-- 1f: quotes, semicolons and comment markers in the model name, the source
-- table and column names, the key option, the output column names and the
-- jsonb keys a patch writes by path.  The canary must survive and the model
-- must stay equal to its definition through patches and recomputes.
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE TABLE rmsec_m.canary (x int);
CREATE TABLE rmsec_m.p1f (pk int PRIMARY KEY, name text);
CREATE TABLE rmsec_m."c1f ""x""; DROP TABLE rmsec_m.canary; --" ("k'"");--" int PRIMARY KEY, fk int, v text);
INSERT INTO rmsec_m.p1f VALUES (1, 'one'), (2, 'two');
INSERT INTO rmsec_m."c1f ""x""; DROP TABLE rmsec_m.canary; --" VALUES (10, 1, 'a'), (11, 2, 'b');
SELECT rmsec.try($t$SELECT readmodel.create(
    'rmsec_m."tv ""1f""; DROP TABLE rmsec_m.canary; --"',
    $d$SELECT c."k'"");--", c.fk,
              jsonb_build_object('a''b\"c', p.name, 'v''); DROP TABLE rmsec_m.canary; --', c.v) AS "d""oc"
       FROM rmsec_m."c1f ""x""; DROP TABLE rmsec_m.canary; --" c
       JOIN rmsec_m.p1f p ON p.pk = c.fk$d$,
    '{"key": "k''\");--"}')$t$) AS st_create \gset
SELECT rmsec.try($t$UPDATE rmsec_m.p1f SET name = 'uno' WHERE pk = 1$t$) AS st_w1 \gset
SELECT rmsec.try($t$UPDATE rmsec_m."c1f ""x""; DROP TABLE rmsec_m.canary; --" SET v = 'z', fk = 2 WHERE "k'"");--" = 10$t$) AS st_w2 \gset
SELECT rmsec.try($t$INSERT INTO rmsec_m."c1f ""x""; DROP TABLE rmsec_m.canary; --" VALUES (12, 1, 'c')$t$) AS st_w3 \gset
SELECT rmsec.try($t$DELETE FROM rmsec_m."c1f ""x""; DROP TABLE rmsec_m.canary; --" WHERE "k'"");--" = 11$t$) AS st_w4 \gset
SELECT rmsec.try($t$UPDATE rmsec_m.p1f SET name = 'dos' WHERE pk = 2$t$) AS st_w5 \gset
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_m.tv_1f2', 'SELECT pk, name FROM rmsec_m.p1f',
    '{"mode": "commit''); DROP TABLE rmsec_m.canary; --"}')$t$) AS st_o1 \gset
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_m.tv_1f3', 'SELECT pk, name FROM rmsec_m.p1f',
    '{"x''); DROP TABLE rmsec_m.canary; --": true}')$t$) AS st_o2 \gset
RESET SESSION AUTHORIZATION;
SELECT rmsec.drift('rmsec_m."tv ""1f""; DROP TABLE rmsec_m.canary; --"',
                   'rmsec_m."tv ""1f""; DROP TABLE rmsec_m.canary; --_def"') AS drift_1f \gset
SELECT rmsec.report('1f', 'quotes and semicolons in names, key, options, jsonb keys',
    to_regclass('rmsec_m.canary') IS NULL
    OR '42601' IN (:'st_create', :'st_w1', :'st_w2', :'st_w3', :'st_w4', :'st_w5', :'st_o1', :'st_o2')
    OR (:'st_create' = 'ok' AND (:'st_w1' <> 'ok' OR :'st_w2' <> 'ok' OR :'st_w3' <> 'ok'
                                 OR :'st_w4' <> 'ok' OR :'st_w5' <> 'ok' OR :drift_1f <> 0)));

-- 1g: a definition that carries a second statement, plainly and hidden in
-- a string literal read with standard_conforming_strings off.
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE TABLE rmsec_m.t1g (id int PRIMARY KEY);
INSERT INTO rmsec_m.t1g VALUES (1);
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_m.tv_1g', 'SELECT id FROM rmsec_m.t1g; DROP TABLE rmsec_m.canary')$t$) AS st \gset
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_m.tv_1g2', 'SELECT id FROM rmsec_m.t1g /* */; DROP TABLE rmsec_m.canary; --')$t$) AS st \gset
SET escape_string_warning = off;
SET standard_conforming_strings = off;
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_m.tv_1g3', $d$SELECT id, 'a\' AS x; DROP TABLE rmsec_m.canary; --' AS y FROM rmsec_m.t1g$d$)$t$) AS st \gset
RESET standard_conforming_strings;
RESET escape_string_warning;
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('1g', 'second statement smuggled in a definition', to_regclass('rmsec_m.canary') IS NULL);

-- 1h: writable public again.  explain() listed a model's triggers with
-- "tgname || CASE ... END" under the caller's search_path; Mallory's
-- public.||(name, text) is an exact match and beats pg_catalog's
-- ||(text, text).  A superuser calls explain().
GRANT CREATE ON SCHEMA public TO rmsec_mallory;
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE FUNCTION public.rmsec_cat1h(a name, b text) RETURNS text LANGUAGE sql
    AS $$ SELECT CASE WHEN rmsec.note('1h', a::text) THEN a::text OPERATOR(pg_catalog.||) b END $$;
CREATE OPERATOR public.|| (LEFTARG = name, RIGHTARG = text, FUNCTION = public.rmsec_cat1h);
RESET SESSION AUTHORIZATION;
SELECT rmsec.try($t$SELECT count(*) FROM readmodel.explain('rmsec_b.tv_b0')$t$) AS st \gset
SET SESSION AUTHORIZATION rmsec_mallory;
DROP OPERATOR public.|| (name, text);
DROP FUNCTION public.rmsec_cat1h(name, text);
RESET SESSION AUTHORIZATION;
REVOKE CREATE ON SCHEMA public FROM rmsec_mallory;
SELECT rmsec.report('1h', 'superuser explain() trigger list uses attacker operator ||', rmsec.pwned_super('1h'));

---------------------------------------------------------------------------
-- 2. Settings changed by code that maintenance runs
---------------------------------------------------------------------------

-- 2a: a function in Mallory's definition sets search_path (not LOCAL);
-- a superuser refreshes her model; the superuser's next unqualified call
-- finds Mallory's lower(text).
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE TABLE rmsec_m.t2a (id int PRIMARY KEY, v text);
INSERT INTO rmsec_m.t2a VALUES (1, 'x');
CREATE FUNCTION rmsec_m.lower(text) RETURNS text LANGUAGE sql
    AS $$ SELECT CASE WHEN rmsec.note('2a', $1) THEN pg_catalog.lower($1) END $$;
CREATE FUNCTION rmsec_m.f2a(t text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    PERFORM pg_catalog.set_config('search_path', 'rmsec_m, pg_catalog, public', false);
    RETURN t;
END $$;
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_m.tv_2a', 'SELECT id, rmsec_m.f2a(v) AS v FROM rmsec_m.t2a')$t$) AS st \gset
RESET search_path;
RESET SESSION AUTHORIZATION;
RESET search_path;
SELECT current_setting('search_path') AS sp_before \gset
SELECT rmsec.try($t$SELECT readmodel.refresh('rmsec_m.tv_2a')$t$) AS st \gset
SELECT current_setting('search_path') AS sp_after \gset
SELECT rmsec.try($t$SELECT lower('ABC')$t$) AS st \gset
RESET search_path;
SELECT rmsec.report('2a', 'definition function sets search_path in superuser refresh',
    :'sp_after' <> :'sp_before' OR rmsec.pwned_super('2a'));

-- 2b: a trigger on Mallory's model table sets search_path; a superuser
-- writes Mallory's source table.
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE TABLE rmsec_m.t2b (id int PRIMARY KEY, v text);
INSERT INTO rmsec_m.t2b VALUES (1, 'x');
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_m.tv_2b', 'SELECT id, v FROM rmsec_m.t2b')$t$) AS st \gset
CREATE FUNCTION rmsec_m.upper(text) RETURNS text LANGUAGE sql
    AS $$ SELECT CASE WHEN rmsec.note('2b', $1) THEN pg_catalog.upper($1) END $$;
CREATE FUNCTION rmsec_m.trg2b() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_catalog.set_config('search_path', 'rmsec_m, pg_catalog, public', false);
    RETURN NULL;
END $$;
SELECT rmsec.try($t$CREATE TRIGGER trg2b AFTER INSERT OR UPDATE OR DELETE ON rmsec_m.tv_2b
    FOR EACH ROW EXECUTE FUNCTION rmsec_m.trg2b()$t$) AS st \gset
RESET SESSION AUTHORIZATION;
RESET search_path;
SELECT current_setting('search_path') AS sp_before \gset
SELECT rmsec.try($t$UPDATE rmsec_m.t2b SET v = 'y' WHERE id = 1$t$) AS st \gset
SELECT current_setting('search_path') AS sp_after \gset
SELECT rmsec.try($t$SELECT upper('abc')$t$) AS st \gset
RESET search_path;
SELECT rmsec.report('2b', 'model-table trigger sets search_path in superuser write',
    :'sp_after' <> :'sp_before' OR rmsec.pwned_super('2b'));

-- 2c: even a setting maintenance pins (DateStyle) stays changed in the
-- writer's session when Mallory's definition sets it.
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE TABLE rmsec_m.t2c (id int PRIMARY KEY, v text);
INSERT INTO rmsec_m.t2c VALUES (1, 'x');
GRANT SELECT, INSERT ON rmsec_m.t2c TO rmsec_carol;
CREATE FUNCTION rmsec_m.f2c(t text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    PERFORM pg_catalog.set_config('DateStyle', 'SQL, DMY', false);
    RETURN t;
END $$;
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_m.tv_2c', 'SELECT id, rmsec_m.f2c(v) AS v FROM rmsec_m.t2c')$t$) AS st \gset
RESET DateStyle;
SET SESSION AUTHORIZATION rmsec_carol;
SELECT current_setting('DateStyle') AS ds_before \gset
SELECT rmsec.try($t$INSERT INTO rmsec_m.t2c VALUES (2, 'y')$t$) AS st \gset
SELECT current_setting('DateStyle') AS ds_after \gset
RESET DateStyle;
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('2c', 'definition function changes pinned DateStyle of the writer',
    :'ds_after' <> :'ds_before');

---------------------------------------------------------------------------
-- 3. readmodel.verify()
---------------------------------------------------------------------------

-- 3a: verify evaluates the definition as its caller: a superuser verifying
-- Mallory's model runs Mallory's function as superuser.
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE TABLE rmsec_m.t3a (id int PRIMARY KEY, v text);
INSERT INTO rmsec_m.t3a VALUES (1, 'x');
CREATE FUNCTION rmsec_m.f3a(t text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    PERFORM rmsec.note('3a', t);
    RETURN t;
END $$;
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_m.tv_3a', 'SELECT id, rmsec_m.f3a(v) AS v FROM rmsec_m.t3a')$t$) AS st \gset
RESET SESSION AUTHORIZATION;
SELECT rmsec.try($t$SELECT count(*) FROM readmodel.verify('rmsec_m.tv_3a')$t$) AS st \gset
SELECT rmsec.report('3a', 'superuser verify() runs model owner code as superuser', rmsec.pwned_super('3a'));

-- 3b: verify resolves its own SQL with the caller's search_path; in a
-- database with a writable public schema, Mallory's public.=(regclass,
-- regclass) runs when a superuser verifies anybody's model.  (A fresh
-- session: PL/pgSQL keeps plans made before the operator existed.)
\c
:session_setup
GRANT CREATE ON SCHEMA public TO rmsec_mallory;
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE FUNCTION public.rmsec_eq3b(a regclass, b regclass) RETURNS boolean LANGUAGE sql
    AS $$ SELECT rmsec.note('3b', a::text) AND a::oid OPERATOR(pg_catalog.=) b::oid $$;
CREATE OPERATOR public.= (LEFTARG = regclass, RIGHTARG = regclass, FUNCTION = public.rmsec_eq3b);
RESET SESSION AUTHORIZATION;
SELECT rmsec.try($t$SELECT count(*) FROM readmodel.verify('rmsec_b.tv_b0')$t$) AS st \gset
SET SESSION AUTHORIZATION rmsec_mallory;
DROP OPERATOR public.= (regclass, regclass);
DROP FUNCTION public.rmsec_eq3b(regclass, regclass);
RESET SESSION AUTHORIZATION;
REVOKE CREATE ON SCHEMA public FROM rmsec_mallory;
SELECT rmsec.report('3b', 'superuser verify() uses attacker operator in public', rmsec.pwned_super('3b'));

---------------------------------------------------------------------------
-- 4. Source owners and model owners
---------------------------------------------------------------------------

-- 4a: Bob's model reads Mallory's table.  Mallory adds a row-level
-- security policy whose function reads Bob's secret; her own write makes
-- Bob's maintenance run it as Bob.
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE TABLE rmsec_m.items4a (id int PRIMARY KEY, label text);
INSERT INTO rmsec_m.items4a VALUES (1, 'a'), (2, 'b');
GRANT SELECT, TRIGGER ON rmsec_m.items4a TO rmsec_bob;
SET SESSION AUTHORIZATION rmsec_bob;
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_4a', 'SELECT i.id, i.label FROM rmsec_m.items4a i')$t$) AS st \gset
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE FUNCTION rmsec_m.spy4a() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rmsec.note('4a', (SELECT string_agg(s, ',') FROM rmsec_b.secret));
    RETURN true;
EXCEPTION WHEN insufficient_privilege THEN
    RETURN true;
END $$;
ALTER TABLE rmsec_m.items4a ENABLE ROW LEVEL SECURITY;
CREATE POLICY p4a ON rmsec_m.items4a USING (rmsec_m.spy4a());
SELECT rmsec.try($t$UPDATE rmsec_m.items4a SET label = 'c' WHERE id = 1$t$) AS st \gset
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('4a', 'source RLS policy runs as model owner, reads his secret',
    EXISTS (SELECT FROM rmsec.pwned WHERE tag = '4a' AND who = 'rmsec_bob' AND detail = 'bob-secret'));

-- 4b: Bob's definition calls a function Mallory owns.  She replaces it
-- with one that grants her Bob's secret table; her own write runs it as
-- Bob.
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE TABLE rmsec_m.items4b (id int PRIMARY KEY, label text);
INSERT INTO rmsec_m.items4b VALUES (1, 'a'), (2, 'b');
GRANT SELECT, TRIGGER ON rmsec_m.items4b TO rmsec_bob;
CREATE FUNCTION rmsec_m.fmt4b(t text) RETURNS text LANGUAGE plpgsql IMMUTABLE
    AS $$ BEGIN RETURN initcap(t); END $$;
SET SESSION AUTHORIZATION rmsec_bob;
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_4b', 'SELECT i.id, rmsec_m.fmt4b(i.label) AS label FROM rmsec_m.items4b i')$t$) AS st \gset
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE FUNCTION rmsec_m.grab4b() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF current_user <> 'rmsec_mallory' THEN
        EXECUTE 'GRANT USAGE ON SCHEMA rmsec_b TO rmsec_mallory';
        EXECUTE 'GRANT SELECT ON rmsec_b.secret TO rmsec_mallory';
    END IF;
EXCEPTION WHEN OTHERS THEN
    NULL;
END $$;
CREATE OR REPLACE FUNCTION rmsec_m.fmt4b(t text) RETURNS text LANGUAGE plpgsql IMMUTABLE
    AS $$ BEGIN PERFORM rmsec_m.grab4b(); RETURN initcap(t); END $$;
SELECT rmsec.try($t$UPDATE rmsec_m.items4b SET label = 'zzz' WHERE id = 1$t$) AS st \gset
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('4b', 'source owner replaces function in definition, gets grant',
    has_table_privilege('rmsec_mallory', 'rmsec_b.secret', 'SELECT'));

-- 4c: a model needs capture triggers on its sources.  With TRIGGER, Mallory
-- could add a trigger of her own, which runs as whoever writes Alice's
-- table, so Alice consents with readmodel.allow_models() instead, which
-- covers the extension's capture triggers only.
SET SESSION AUTHORIZATION rmsec_alice;
CREATE TABLE rmsec_a.t4c (id int PRIMARY KEY, v text);
INSERT INTO rmsec_a.t4c VALUES (1, 'a');
GRANT SELECT ON rmsec_a.t4c TO rmsec_mallory;
SET SESSION AUTHORIZATION rmsec_mallory;
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_m.tv_4c', 'SELECT id, v FROM rmsec_a.t4c')$t$) AS st_4c \gset
SELECT :'st_4c' = '42501' AS need_trigger \gset
\if :need_trigger
SET SESSION AUTHORIZATION rmsec_alice;
SELECT readmodel.allow_models('rmsec_a.t4c', 'rmsec_mallory');
SET SESSION AUTHORIZATION rmsec_mallory;
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_m.tv_4c', 'SELECT id, v FROM rmsec_a.t4c')$t$) AS st_4c \gset
\endif
CREATE FUNCTION rmsec_m.trg4c() RETURNS trigger LANGUAGE plpgsql
    AS $$ BEGIN PERFORM rmsec.note('4c'); RETURN NULL; END $$;
SELECT rmsec.try($t$CREATE TRIGGER rmsec_own AFTER INSERT ON rmsec_a.t4c FOR EACH STATEMENT EXECUTE FUNCTION rmsec_m.trg4c()$t$) AS st \gset
SET SESSION AUTHORIZATION rmsec_alice;
SELECT rmsec.try($t$INSERT INTO rmsec_a.t4c VALUES (2, 'b')$t$) AS st \gset
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('4c', 'TRIGGER grant a model needs lets owner run code as writers',
    :'st_4c' <> 'ok' OR rmsec.pwned_as('4c', 'rmsec_alice'));

-- 4d: Mallory's model reads Alice's table; a trigger on Mallory's model
-- table runs in the transaction of whoever writes Alice's table and reads
-- that session's settings (here a token, as PostgREST keeps them).
SET SESSION AUTHORIZATION rmsec_alice;
CREATE TABLE rmsec_a.t4d (id int PRIMARY KEY, v text);
INSERT INTO rmsec_a.t4d VALUES (1, 'a');
GRANT SELECT, TRIGGER ON rmsec_a.t4d TO rmsec_mallory;
SET SESSION AUTHORIZATION rmsec_mallory;
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_m.tv_4d', 'SELECT id, v FROM rmsec_a.t4d')$t$) AS st \gset
CREATE FUNCTION rmsec_m.trg4d() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rmsec.note('4d', current_setting('request.jwt.claims', true));
    RETURN NULL;
END $$;
SELECT rmsec.try($t$CREATE TRIGGER trg4d AFTER INSERT OR UPDATE ON rmsec_m.tv_4d FOR EACH ROW EXECUTE FUNCTION rmsec_m.trg4d()$t$) AS st \gset
SET SESSION AUTHORIZATION rmsec_alice;
SET request.jwt.claims = '{"sub": "alice", "token": "alice-token-4d"}';
SELECT rmsec.try($t$UPDATE rmsec_a.t4d SET v = 'b' WHERE id = 1$t$) AS st \gset
RESET request.jwt.claims;
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('4d', 'model owner code reads the writer''s session settings',
    EXISTS (SELECT FROM rmsec.pwned WHERE tag = '4d' AND detail LIKE '%alice-token-4d%'));

-- 4e: Mallory drops her source table with CASCADE.  PostgreSQL would drop
-- Bob's definition view only; the extension also drops Bob's table with
-- CASCADE, as superuser, and with it Carol's view that reads Bob's table.
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE TABLE rmsec_m.items4e (id int PRIMARY KEY, label text);
INSERT INTO rmsec_m.items4e VALUES (1, 'a');
GRANT SELECT, TRIGGER ON rmsec_m.items4e TO rmsec_bob;
SET SESSION AUTHORIZATION rmsec_bob;
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_4e', 'SELECT i.id, i.label FROM rmsec_m.items4e i')$t$) AS st \gset
GRANT USAGE ON SCHEMA rmsec_b TO rmsec_carol;
SELECT rmsec.try($t$GRANT SELECT ON rmsec_b.tv_4e TO rmsec_carol$t$) AS st \gset
SET SESSION AUTHORIZATION rmsec_carol;
SELECT rmsec.try($t$CREATE VIEW rmsec_c.v4e AS SELECT id FROM rmsec_b.tv_4e$t$) AS st_4e \gset
SET SESSION AUTHORIZATION rmsec_mallory;
SELECT rmsec.try($t$DROP TABLE rmsec_m.items4e CASCADE$t$) AS st \gset
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('4e', 'source DROP CASCADE drops third party view of the model',
    :'st_4e' = 'ok' AND to_regclass('rmsec_c.v4e') IS NULL);

---------------------------------------------------------------------------
-- 5. Row-level security
---------------------------------------------------------------------------

-- 5a: Alice's table shows each session its tenant's rows.  Bob declares a
-- model in a session of tenant a, then refreshes it in a session of tenant
-- b: the model's content depends on the session.
SET SESSION AUTHORIZATION rmsec_alice;
CREATE TABLE rmsec_a.docs5 (id int PRIMARY KEY, tenant text, body text);
INSERT INTO rmsec_a.docs5 VALUES (1, 'a', 'a1'), (2, 'a', 'a2'), (3, 'b', 'b1');
ALTER TABLE rmsec_a.docs5 ENABLE ROW LEVEL SECURITY;
CREATE POLICY p5 ON rmsec_a.docs5 USING (tenant = current_setting('app.tenant', true));
GRANT SELECT, TRIGGER ON rmsec_a.docs5 TO rmsec_bob;
SET SESSION AUTHORIZATION rmsec_bob;
SET app.tenant = 'a';
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_5a', 'SELECT d.id, d.tenant, d.body FROM rmsec_a.docs5 d')$t$) AS st_5a \gset
RESET SESSION AUTHORIZATION;
SELECT rmsec.val($t$SELECT coalesce(string_agg(id::text, ',' ORDER BY id), '') FROM rmsec_b.tv_5a$t$) AS rows_create \gset
SET SESSION AUTHORIZATION rmsec_bob;
SET app.tenant = 'b';
SELECT rmsec.try($t$SELECT readmodel.refresh('rmsec_b.tv_5a')$t$) AS st \gset
RESET app.tenant;
RESET SESSION AUTHORIZATION;
SELECT rmsec.val($t$SELECT coalesce(string_agg(id::text, ',' ORDER BY id), '') FROM rmsec_b.tv_5a$t$) AS rows_refresh \gset
SELECT rmsec.report('5a', 'session-dependent source policy: content depends on session',
    :'st_5a' = 'ok' AND :'rows_create' <> :'rows_refresh');

-- 5b: a source policy on session_user.  Carol writes a message only she
-- may read; maintenance runs as Bob in Carol's session and copies it into
-- Bob's model, a row Bob himself can never select.
SET SESSION AUTHORIZATION rmsec_alice;
CREATE TABLE rmsec_a.inbox5 (id int PRIMARY KEY, recipient text, msg text);
ALTER TABLE rmsec_a.inbox5 ENABLE ROW LEVEL SECURITY;
CREATE POLICY p5b ON rmsec_a.inbox5 USING (recipient = session_user) WITH CHECK (recipient = session_user);
GRANT SELECT, INSERT ON rmsec_a.inbox5 TO rmsec_carol;
GRANT SELECT, TRIGGER ON rmsec_a.inbox5 TO rmsec_bob;
SET SESSION AUTHORIZATION rmsec_bob;
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_5b', 'SELECT i.id, i.recipient, i.msg FROM rmsec_a.inbox5 i')$t$) AS st \gset
SET SESSION AUTHORIZATION rmsec_carol;
SELECT rmsec.try($t$INSERT INTO rmsec_a.inbox5 VALUES (1, 'rmsec_carol', 'carol-private')$t$) AS st \gset
SET SESSION AUTHORIZATION rmsec_bob;
SELECT rmsec.rows($t$SELECT FROM rmsec_a.inbox5 WHERE msg = 'carol-private'$t$) AS bob_source \gset
SELECT rmsec.rows($t$SELECT FROM rmsec_b.tv_5b WHERE msg = 'carol-private'$t$) AS bob_model \gset
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('5b', 'session_user policy: rows owner cannot select land in model',
    :bob_model > 0 AND :bob_source = 0);

-- 5c: RLS on the model table itself, for its readers: readers see their
-- tenant's rows, maintenance keeps the table exact.
SET SESSION AUTHORIZATION rmsec_bob;
CREATE TABLE rmsec_b.src5c (id int PRIMARY KEY, tenant text, v text);
INSERT INTO rmsec_b.src5c VALUES (1, 'a', 'a1'), (2, 'b', 'b1');
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_5c', 'SELECT s.id, s.tenant, s.v FROM rmsec_b.src5c s')$t$) AS st \gset
SELECT rmsec.try($t$ALTER TABLE rmsec_b.tv_5c ENABLE ROW LEVEL SECURITY$t$) AS st \gset
SELECT rmsec.try($t$CREATE POLICY r5c ON rmsec_b.tv_5c FOR SELECT TO rmsec_reader USING (tenant = current_setting('app.tenant', true))$t$) AS st \gset
GRANT USAGE ON SCHEMA rmsec_b TO rmsec_reader;
SELECT rmsec.try($t$GRANT SELECT ON rmsec_b.tv_5c TO rmsec_reader$t$) AS st \gset
SELECT rmsec.try($t$INSERT INTO rmsec_b.src5c VALUES (3, 'a', 'a3'), (4, 'b', 'b4')$t$) AS st_w1 \gset
SELECT rmsec.try($t$UPDATE rmsec_b.src5c SET v = 'a1x' WHERE id = 1$t$) AS st_w2 \gset
SELECT rmsec.try($t$DELETE FROM rmsec_b.src5c WHERE id = 2$t$) AS st_w3 \gset
SET SESSION AUTHORIZATION rmsec_reader;
SET app.tenant = 'a';
SELECT rmsec.rows('SELECT FROM rmsec_b.tv_5c') AS reader_rows \gset
RESET app.tenant;
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('5c', 'reader RLS on model table breaks maintenance or readers',
    NOT (:'st_w1' = 'ok' AND :'st_w2' = 'ok' AND :'st_w3' = 'ok'
         AND rmsec.drift('rmsec_b.tv_5c') = 0 AND :reader_rows = 2));

-- 5d: the same with FORCE ROW LEVEL SECURITY on the model table.
SET SESSION AUTHORIZATION rmsec_bob;
CREATE TABLE rmsec_b.src5d (id int PRIMARY KEY, tenant text, v text);
INSERT INTO rmsec_b.src5d VALUES (1, 'a', 'a1'), (2, 'b', 'b1');
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_5d', 'SELECT s.id, s.tenant, s.v FROM rmsec_b.src5d s')$t$) AS st \gset
SELECT rmsec.try($t$ALTER TABLE rmsec_b.tv_5d ENABLE ROW LEVEL SECURITY$t$) AS st \gset
SELECT rmsec.try($t$ALTER TABLE rmsec_b.tv_5d FORCE ROW LEVEL SECURITY$t$) AS st \gset
SELECT rmsec.try($t$CREATE POLICY r5d ON rmsec_b.tv_5d FOR SELECT TO rmsec_reader USING (tenant = current_setting('app.tenant', true))$t$) AS st \gset
SELECT rmsec.try($t$GRANT SELECT ON rmsec_b.tv_5d TO rmsec_reader$t$) AS st \gset
SELECT rmsec.try($t$INSERT INTO rmsec_b.src5d VALUES (3, 'a', 'a3'), (4, 'b', 'b4')$t$) AS st_w1 \gset
SELECT rmsec.try($t$UPDATE rmsec_b.src5d SET v = 'a1x' WHERE id = 1$t$) AS st_w2 \gset
SELECT rmsec.try($t$DELETE FROM rmsec_b.src5d WHERE id = 2$t$) AS st_w3 \gset
SET SESSION AUTHORIZATION rmsec_reader;
SET app.tenant = 'a';
SELECT rmsec.rows('SELECT FROM rmsec_b.tv_5d') AS reader_rows \gset
RESET app.tenant;
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('5d', 'FORCE RLS on model table breaks maintenance or readers',
    NOT (:'st_w1' = 'ok' AND :'st_w2' = 'ok' AND :'st_w3' = 'ok'
         AND rmsec.drift('rmsec_b.tv_5d') = 0 AND :reader_rows = 2));

-- 5e: row_security = off in a writer's session: Alice, the owner of the
-- RLS table of 5a, writes it and her write fails because of Bob's model.
SET SESSION AUTHORIZATION rmsec_alice;
SET row_security = off;
SELECT rmsec.try($t$UPDATE rmsec_a.docs5 SET body = 'b1x' WHERE id = 3$t$) AS st \gset
RESET row_security;
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('5e', 'row_security=off in writer session fails source writes', :'st' <> 'ok');

---------------------------------------------------------------------------
-- 6. Source owners' privileges and DDL
---------------------------------------------------------------------------

-- 6a: Alice revokes SELECT from Bob; her own writes must go on.
SET SESSION AUTHORIZATION rmsec_alice;
CREATE TABLE rmsec_a.t6a (id int PRIMARY KEY, v text);
INSERT INTO rmsec_a.t6a VALUES (1, 'a');
GRANT SELECT, TRIGGER ON rmsec_a.t6a TO rmsec_bob;
SET SESSION AUTHORIZATION rmsec_bob;
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_6a', 'SELECT id, v FROM rmsec_a.t6a')$t$) AS st \gset
SET SESSION AUTHORIZATION rmsec_alice;
REVOKE SELECT ON rmsec_a.t6a FROM rmsec_bob;
SELECT rmsec.try($t$UPDATE rmsec_a.t6a SET v = 'b' WHERE id = 1$t$) AS st \gset
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('6a', 'source owner REVOKE SELECT makes her writes fail', :'st' <> 'ok');

-- 6b: Alice removes the capture triggers from her table and revokes
-- TRIGGER from Bob.  Bob drops one of his two models over it: the drop
-- event trigger (as superuser) puts the triggers back.
SET SESSION AUTHORIZATION rmsec_alice;
CREATE TABLE rmsec_a.t6b (id int PRIMARY KEY, v text);
INSERT INTO rmsec_a.t6b VALUES (1, 'a');
GRANT SELECT, TRIGGER ON rmsec_a.t6b TO rmsec_bob;
SET SESSION AUTHORIZATION rmsec_bob;
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_6b1', 'SELECT id, v FROM rmsec_a.t6b')$t$) AS st \gset
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_6b2', 'SELECT id FROM rmsec_a.t6b')$t$) AS st \gset
SET SESSION AUTHORIZATION rmsec_alice;
DO $$
DECLARE t name;
BEGIN
    FOR t IN SELECT tgname FROM pg_trigger WHERE tgrelid = 'rmsec_a.t6b'::regclass AND NOT tgisinternal LOOP
        EXECUTE format('DROP TRIGGER %I ON rmsec_a.t6b', t);
    END LOOP;
END $$;
REVOKE TRIGGER ON rmsec_a.t6b FROM rmsec_bob;
SET SESSION AUTHORIZATION rmsec_bob;
SELECT rmsec.try($t$SELECT readmodel.drop('rmsec_b.tv_6b2')$t$) AS st \gset
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('6b', 'drop event trigger re-creates triggers the owner removed',
    EXISTS (SELECT FROM pg_trigger WHERE tgrelid = 'rmsec_a.t6b'::regclass AND NOT tgisinternal));

-- 6c: Alice drops the primary key of her table, which Bob's model joins
-- by; her own writes must go on.
SET SESSION AUTHORIZATION rmsec_alice;
CREATE TABLE rmsec_a.t6c (id int CONSTRAINT t6c_pkey PRIMARY KEY, v text);
INSERT INTO rmsec_a.t6c VALUES (1, 'a');
GRANT SELECT, TRIGGER ON rmsec_a.t6c TO rmsec_bob;
SET SESSION AUTHORIZATION rmsec_bob;
CREATE TABLE rmsec_b.r6c (id int PRIMARY KEY, fk int);
INSERT INTO rmsec_b.r6c VALUES (10, 1);
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_6c', 'SELECT r.id, a.v FROM rmsec_b.r6c r JOIN rmsec_a.t6c a ON a.id = r.fk')$t$) AS st \gset
SET SESSION AUTHORIZATION rmsec_alice;
ALTER TABLE rmsec_a.t6c DROP CONSTRAINT t6c_pkey;
SELECT rmsec.try($t$UPDATE rmsec_a.t6c SET v = 'b' WHERE id = 1$t$) AS st \gset
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('6c', 'source owner DDL (drop primary key) makes her writes fail', :'st' <> 'ok');
-- A broken model's cache entry outlives the transaction that loaded it
-- (attack 15d): drop the model from a fresh backend, then start another.
\c
:session_setup
SET SESSION AUTHORIZATION rmsec_bob;
SELECT rmsec.try($t$SELECT readmodel.drop('rmsec_b.tv_6c')$t$) AS st \gset
RESET SESSION AUTHORIZATION;
\c
:session_setup

---------------------------------------------------------------------------
-- 7. Output-affecting settings in the writer's session
---------------------------------------------------------------------------
-- Bob writes his own sources with one setting changed; the model must
-- still equal what the definition gives (rmsec.drift, default settings).

-- 7a: bytea_output
SET SESSION AUTHORIZATION rmsec_bob;
CREATE TABLE rmsec_b.t7a (id int PRIMARY KEY, b bytea);
INSERT INTO rmsec_b.t7a VALUES (1, '\x41');
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_7a', 'SELECT id, jsonb_build_object(''b'', b) AS data FROM rmsec_b.t7a')$t$) AS st \gset
SET bytea_output = 'escape';
SELECT rmsec.try($t$INSERT INTO rmsec_b.t7a VALUES (2, '\x42')$t$) AS st \gset
RESET bytea_output;
SET bytea_output = 'hex';
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('7a', 'bytea_output of the writer changes model content',
    :'st' <> 'ok' OR rmsec.drift('rmsec_b.tv_7a') <> 0);

-- 7b: quote_all_identifiers (regclass output)
SET SESSION AUTHORIZATION rmsec_bob;
CREATE TABLE rmsec_b.t7b (id int PRIMARY KEY, r regclass);
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_7b', 'SELECT id, jsonb_build_object(''r'', r) AS data FROM rmsec_b.t7b')$t$) AS cst \gset
SET quote_all_identifiers = on;
SELECT rmsec.try($t$INSERT INTO rmsec_b.t7b VALUES (1, 'rmsec_b.t7b')$t$) AS st \gset
RESET quote_all_identifiers;
RESET SESSION AUTHORIZATION;
-- refusing the definition (a regclass rendered as text depends on the
-- catalog) blocks it as well as pinning the setting does
SELECT rmsec.report('7b', 'quote_all_identifiers of the writer changes model content',
    :'cst' = 'ok' AND (:'st' <> 'ok' OR rmsec.drift('rmsec_b.tv_7b') <> 0));

-- 7c: default_text_search_config (through to_tsvector(text))
SET SESSION AUTHORIZATION rmsec_bob;
CREATE TABLE rmsec_b.t7c (id int PRIMARY KEY, body text);
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_7c', 'SELECT id, to_tsvector(body) AS ts FROM rmsec_b.t7c')$t$) AS cst \gset
SET default_text_search_config = 'pg_catalog.simple';
SELECT rmsec.try($t$INSERT INTO rmsec_b.t7c VALUES (1, 'running dogs')$t$) AS st \gset
SET default_text_search_config = 'pg_catalog.english';
RESET SESSION AUTHORIZATION;
-- refusing the definition (to_tsvector(text) reads the setting) blocks it
SELECT rmsec.report('7c', 'default_text_search_config of the writer changes content',
    :'cst' = 'ok' AND (:'st' <> 'ok' OR rmsec.drift('rmsec_b.tv_7c') <> 0));

-- 7d: xmloption (text::xml)
SET SESSION AUTHORIZATION rmsec_bob;
CREATE TABLE rmsec_b.t7d (id int PRIMARY KEY, body text);
INSERT INTO rmsec_b.t7d VALUES (1, '<a/>');
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_7d', 'SELECT id, body::xml AS doc FROM rmsec_b.t7d')$t$) AS st \gset
SET xmloption = document;
SELECT rmsec.try($t$INSERT INTO rmsec_b.t7d VALUES (2, 'plain text')$t$) AS st \gset
RESET xmloption;
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('7d', 'xmloption of the writer fails or changes maintenance',
    :'st' <> 'ok' OR rmsec.drift('rmsec_b.tv_7d') <> 0);

-- 7e: array_nulls (text::text[])
SET SESSION AUTHORIZATION rmsec_bob;
CREATE TABLE rmsec_b.t7e (id int PRIMARY KEY, tags text);
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_7e', 'SELECT id, tags::text[] AS tags FROM rmsec_b.t7e')$t$) AS st \gset
SET array_nulls = off;
SELECT rmsec.try($t$INSERT INTO rmsec_b.t7e VALUES (1, '{x,NULL}')$t$) AS st \gset
RESET array_nulls;
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('7e', 'array_nulls of the writer changes model content',
    :'st' <> 'ok' OR rmsec.drift('rmsec_b.tv_7e') <> 0);

-- 7f: DateStyle, one of the pinned settings (a control: must hold)
SET SESSION AUTHORIZATION rmsec_bob;
CREATE TABLE rmsec_b.t7f (id int PRIMARY KEY, d date);
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_7f', 'SELECT id, jsonb_build_object(''d'', d::text) AS data FROM rmsec_b.t7f')$t$) AS st \gset
SET DateStyle = 'SQL, DMY';
SELECT rmsec.try($t$INSERT INTO rmsec_b.t7f VALUES (1, '2024-01-31')$t$) AS st \gset
RESET DateStyle;
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('7f', 'DateStyle (pinned) of the writer changes model content',
    :'st' <> 'ok' OR rmsec.drift('rmsec_b.tv_7f') <> 0);

---------------------------------------------------------------------------
-- 8. What other users can learn
---------------------------------------------------------------------------

-- 8a: readmodel.models for its users: a model owner lists her models.
SET SESSION AUTHORIZATION rmsec_bob;
SELECT rmsec.rows($t$SELECT FROM readmodel.models WHERE name = 'rmsec_b.tv_b0'::regclass$t$) AS n \gset
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('8a', 'readmodel.models unreadable for a non-superuser owner', :n <> 1);

-- 8b: readmodel.model shows every model's definition to everybody; Eve,
-- who may read none of Bob's tables, reads a literal from his definition.
-- (pg_get_viewdef on the definition view shows the same to everybody.)
SET SESSION AUTHORIZATION rmsec_bob;
CREATE TABLE rmsec_b.t8b (id int PRIMARY KEY, code text);
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_8b', 'SELECT id, code FROM rmsec_b.t8b WHERE code <> ''bob-confidential-8b''')$t$) AS st \gset
SET SESSION AUTHORIZATION rmsec_eve;
SELECT rmsec.rows($t$SELECT FROM readmodel.model WHERE definition LIKE '%bob-confidential-8b%'$t$) AS n \gset
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('8b', 'other users read a model''s definition in readmodel.model', :n > 0);

-- 8c: Bob's model joins his private orders to Mallory's customers.
-- Mallory changes a customer and reads, in readmodel.debug_queue(), the
-- keys of Bob's orders that route queries found as Bob.
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE TABLE rmsec_m.customers8 (id int PRIMARY KEY, name text);
INSERT INTO rmsec_m.customers8 VALUES (1, 'c1'), (2, 'c2');
GRANT SELECT, TRIGGER ON rmsec_m.customers8 TO rmsec_bob;
SET SESSION AUTHORIZATION rmsec_bob;
CREATE TABLE rmsec_b.orders8 (id int PRIMARY KEY, customer int, note text);
INSERT INTO rmsec_b.orders8 VALUES (101, 1, 'x'), (102, 1, 'y'), (103, 2, 'z');
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_8c', 'SELECT o.id, o.customer, upper(c.name) AS cname FROM rmsec_b.orders8 o JOIN rmsec_m.customers8 c ON c.id = o.customer')$t$) AS st \gset
SET SESSION AUTHORIZATION rmsec_mallory;
-- change a customer, read the queue, roll the change back
CREATE FUNCTION rmsec_m.peek8() RETURNS text LANGUAGE plpgsql AS $$
DECLARE k text;
BEGIN
    UPDATE rmsec_m.customers8 SET name = 'c1x' WHERE id = 1;
    SELECT string_agg(q.key, ',' ORDER BY q.key) INTO k FROM readmodel.debug_queue() q;
    RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = coalesce(k, '');
EXCEPTION WHEN raise_exception THEN
    RETURN SQLERRM;
WHEN OTHERS THEN
    RETURN 'ERR ' || SQLSTATE;
END $$;
SELECT rmsec_m.peek8() AS keys8 \gset
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('8c', 'debug_queue shows keys of a table the writer cannot read',
    :'keys8' LIKE '%101%');

---------------------------------------------------------------------------
-- 9. The API on somebody else's model
---------------------------------------------------------------------------
-- Bob's model in a schema everybody may create in.
SET SESSION AUTHORIZATION rmsec_bob;
CREATE TABLE rmsec_shared.src9 (id int PRIMARY KEY, v text);
INSERT INTO rmsec_shared.src9 VALUES (1, 'bob-row-data-9');
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_shared.tv_9', 'SELECT id, v FROM rmsec_shared.src9')$t$) AS st \gset
SET SESSION AUTHORIZATION rmsec_mallory;
SELECT rmsec.try($t$SELECT readmodel.refresh('rmsec_shared.tv_9')$t$) AS st_9a \gset
SELECT rmsec.try($t$SELECT readmodel.drop('rmsec_shared.tv_9')$t$) AS st_9b \gset
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_shared.tv_9', 'SELECT id, ''mallory-9c''::text AS v FROM rmsec_shared.src9', '{"replace": true}')$t$) AS st_9c \gset
SET SESSION AUTHORIZATION rmsec_eve;
SELECT rmsec.rows($t$SELECT FROM readmodel.explain('rmsec_shared.tv_9') WHERE detail LIKE '%bob-row-data-9%'$t$) AS n_9d \gset
SELECT rmsec.rows($t$SELECT FROM readmodel.verify('rmsec_shared.tv_9')$t$) AS n_9e \gset
SELECT rmsec.rows($t$SELECT FROM readmodel.verify('rmsec_shared.tv_9') WHERE definition_row::text LIKE '%bob-row-data-9%' OR table_row::text LIKE '%bob-row-data-9%'$t$) AS n_9e \gset
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('9a', 'non-owner refresh()', :'st_9a' = 'ok');
SELECT rmsec.report('9b', 'non-owner drop()', :'st_9b' = 'ok' OR to_regclass('rmsec_shared.tv_9') IS NULL);
SELECT rmsec.report('9c', 'non-owner replace', :'st_9c' = 'ok'
    OR EXISTS (SELECT FROM readmodel.model WHERE definition LIKE '%mallory-9c%'));
SELECT rmsec.report('9d', 'non-owner explain() shows row data', :n_9d > 0);
SELECT rmsec.report('9e', 'non-owner verify() shows row data', :n_9e > 0);

---------------------------------------------------------------------------
-- 10. The write guard
---------------------------------------------------------------------------
-- Bob grants DML on his model table (say, to an application role).
SET SESSION AUTHORIZATION rmsec_bob;
SELECT rmsec.try($t$GRANT SELECT, INSERT, UPDATE, DELETE ON rmsec_shared.tv_9 TO rmsec_mallory$t$) AS st \gset
-- 10a: a direct write
SET SESSION AUTHORIZATION rmsec_mallory;
SELECT rmsec.try($t$INSERT INTO rmsec_shared.tv_9 VALUES (900, 'forged-10a')$t$) AS st \gset
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('10a', 'direct write to a model table by a grantee',
    EXISTS (SELECT FROM rmsec_shared.tv_9 WHERE id = 900));
-- 10b: the write comes from a trigger on Mallory's own model table, while
-- maintenance of her model has the guard open.
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE TABLE rmsec_m.t10 (id int PRIMARY KEY, v text);
INSERT INTO rmsec_m.t10 VALUES (1, 'x');
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_m.tv_10', 'SELECT id, v FROM rmsec_m.t10')$t$) AS st \gset
CREATE FUNCTION rmsec_m.trg10() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO rmsec_shared.tv_9 VALUES (901, 'forged-10b');
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    RETURN NULL;
END $$;
SELECT rmsec.try($t$CREATE TRIGGER trg10 AFTER INSERT OR UPDATE ON rmsec_m.tv_10 FOR EACH ROW EXECUTE FUNCTION rmsec_m.trg10()$t$) AS st \gset
SELECT rmsec.try($t$UPDATE rmsec_m.t10 SET v = 'y' WHERE id = 1$t$) AS st \gset
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('10b', 'write guard open to other tables during maintenance',
    EXISTS (SELECT FROM rmsec_shared.tv_9 WHERE id = 901));

---------------------------------------------------------------------------
-- 11. Names that collide with other users' objects
---------------------------------------------------------------------------
SET SESSION AUTHORIZATION rmsec_alice;
CREATE TABLE rmsec_shared.t11 (id int);
INSERT INTO rmsec_shared.t11 VALUES (1);
CREATE VIEW rmsec_shared.tv_11c_def AS SELECT 1 AS alice_view;
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE TABLE rmsec_m.t11 (id int PRIMARY KEY);
INSERT INTO rmsec_m.t11 VALUES (7);
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_shared.t11', 'SELECT id FROM rmsec_m.t11')$t$) AS st_11a \gset
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_shared.t11', 'SELECT id FROM rmsec_m.t11', '{"replace": true}')$t$) AS st_11b \gset
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_shared.tv_11c', 'SELECT id FROM rmsec_m.t11')$t$) AS st_11c \gset
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_11d', 'SELECT id FROM rmsec_m.t11')$t$) AS st_11d \gset
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('11a', 'model named like another user''s table',
    :'st_11a' = 'ok' OR rmsec.val('SELECT string_agg(id::text, '','') FROM rmsec_shared.t11') <> '1');
SELECT rmsec.report('11b', 'replace option on another user''s plain table',
    :'st_11b' = 'ok' OR rmsec.val('SELECT string_agg(id::text, '','') FROM rmsec_shared.t11') <> '1'
    OR EXISTS (SELECT FROM readmodel.model WHERE relid = 'rmsec_shared.t11'::regclass));
SELECT rmsec.report('11c', 'model whose _def view name is another user''s view',
    :'st_11c' = 'ok' OR pg_get_viewdef('rmsec_shared.tv_11c_def'::regclass) NOT LIKE '%alice_view%');
SELECT rmsec.report('11d', 'model in a schema the caller may not create in',
    :'st_11d' = 'ok' OR to_regclass('rmsec_b.tv_11d') IS NOT NULL);

---------------------------------------------------------------------------
-- 12. Privileges on sources
---------------------------------------------------------------------------
SET SESSION AUTHORIZATION rmsec_alice;
CREATE TABLE rmsec_a.t12 (id int PRIMARY KEY, pub text, secret text);
INSERT INTO rmsec_a.t12 VALUES (1, 'p1', 's1');
CREATE TABLE rmsec_a.t12c (id int PRIMARY KEY, pub text);
INSERT INTO rmsec_a.t12c VALUES (1, 'p1');
GRANT TRIGGER ON rmsec_a.t12 TO rmsec_mallory;
GRANT SELECT ON rmsec_a.t12c TO rmsec_mallory;
SET SESSION AUTHORIZATION rmsec_mallory;
-- 12a: no SELECT at all
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_m.tv_12a', 'SELECT id, pub FROM rmsec_a.t12')$t$) AS st_12a \gset
-- 12b: SELECT on some columns only; the definition reads another one
SET SESSION AUTHORIZATION rmsec_alice;
GRANT SELECT (id, pub) ON rmsec_a.t12 TO rmsec_mallory;
SET SESSION AUTHORIZATION rmsec_mallory;
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_m.tv_12b', 'SELECT id, secret FROM rmsec_a.t12')$t$) AS st_12b1 \gset
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_m.tv_12b2', 'SELECT id, pub FROM rmsec_a.t12 WHERE secret = ''s1''')$t$) AS st_12b2 \gset
-- 12c: SELECT but no TRIGGER
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_m.tv_12c', 'SELECT id, pub FROM rmsec_a.t12c')$t$) AS st_12c \gset
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('12a', 'model over a table the caller cannot SELECT', :'st_12a' = 'ok');
SELECT rmsec.report('12b', 'model reads a column the caller cannot SELECT',
    :'st_12b1' = 'ok' OR :'st_12b2' = 'ok');
SELECT rmsec.report('12c', 'model over a table without TRIGGER privilege', :'st_12c' = 'ok');

---------------------------------------------------------------------------
-- 13. Hostile "IMMUTABLE" functions during a superuser's write
---------------------------------------------------------------------------
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE TABLE rmsec_m.t13 (id int PRIMARY KEY, v text);
INSERT INTO rmsec_m.t13 VALUES (1, 'x');
-- 13a: reads a superuser-only catalog
CREATE FUNCTION rmsec_m.f13a(t text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    PERFORM rmsec.note('13a', (SELECT count(*)::text FROM pg_catalog.pg_authid));
    RETURN t;
EXCEPTION WHEN insufficient_privilege THEN
    RETURN t;
END $$;
-- 13b: becomes the session user (a superuser, in a superuser's session)
CREATE FUNCTION rmsec_m.f13b(t text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    BEGIN
        PERFORM pg_catalog.set_config('role', 'none', false);
    EXCEPTION WHEN OTHERS THEN NULL;
    END;
    BEGIN
        PERFORM pg_catalog.set_config('session_authorization', session_user::text, false);
    EXCEPTION WHEN OTHERS THEN NULL;
    END;
    PERFORM rmsec.note('13b', current_user::text);
    RETURN t;
END $$;
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_m.tv_13', 'SELECT id, rmsec_m.f13a(v) AS a, rmsec_m.f13b(v) AS b FROM rmsec_m.t13')$t$) AS st \gset
RESET SESSION AUTHORIZATION;
SELECT rmsec.try($t$UPDATE rmsec_m.t13 SET v = 'y' WHERE id = 1$t$) AS st \gset
RESET ROLE;
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('13a', 'definition function reads pg_authid in superuser write',
    EXISTS (SELECT FROM rmsec.pwned WHERE tag = '13a'));
SELECT rmsec.report('13b', 'definition function takes over superuser session role',
    rmsec.pwned_super('13b'));

---------------------------------------------------------------------------
-- 14. Temporary objects shadowing names during maintenance
---------------------------------------------------------------------------
SET SESSION AUTHORIZATION rmsec_bob;
CREATE TABLE rmsec_b.par14 (pk int PRIMARY KEY, name text);
CREATE TABLE rmsec_b.src14 (id int PRIMARY KEY, fk int, v text);
INSERT INTO rmsec_b.par14 VALUES (1, 'p1'), (2, 'p2');
INSERT INTO rmsec_b.src14 VALUES (1, 1, 'a'), (2, 2, 'b');
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_14', 'SELECT s.id, s.fk, jsonb_build_object(''v'', s.v, ''p'', p.name) AS data FROM rmsec_b.src14 s JOIN rmsec_b.par14 p ON p.pk = s.fk')$t$) AS st \gset
GRANT USAGE ON SCHEMA rmsec_b TO rmsec_carol;
GRANT SELECT, INSERT, UPDATE ON rmsec_b.par14, rmsec_b.src14 TO rmsec_carol;
SET SESSION AUTHORIZATION rmsec_carol;
CREATE TEMP TABLE par14 (pk int, name text);
INSERT INTO par14 VALUES (1, 'temp-shadow'), (2, 'temp-shadow');
CREATE TEMP TABLE src14 (id int, fk int, v text);
INSERT INTO src14 VALUES (1, 1, 'temp-shadow'), (3, 1, 'temp-shadow');
CREATE TEMP VIEW tv_14_def AS SELECT 1 AS id, 1 AS fk, '{"v": "temp-shadow"}'::jsonb AS data;
CREATE TEMP TABLE tv_14 (id int, fk int, data jsonb);
CREATE TEMP TABLE model (relid regclass, viewid regclass, keycol name, mode text, definition text, sources regclass[]);
SELECT rmsec.try($t$UPDATE rmsec_b.par14 SET name = 'p1x' WHERE pk = 1$t$) AS st_w1 \gset
SELECT rmsec.try($t$INSERT INTO rmsec_b.src14 VALUES (3, 1, 'c')$t$) AS st_w2 \gset
SELECT rmsec.try($t$UPDATE rmsec_b.src14 SET fk = 1 WHERE id = 2$t$) AS st_w3 \gset
DROP TABLE pg_temp.par14, pg_temp.src14, pg_temp.tv_14, pg_temp.model;
DROP VIEW pg_temp.tv_14_def;
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('14a', 'writer''s temp tables shadow names during maintenance',
    NOT (:'st_w1' = 'ok' AND :'st_w2' = 'ok' AND :'st_w3' = 'ok')
    OR rmsec.drift('rmsec_b.tv_14') <> 0
    OR EXISTS (SELECT FROM rmsec_b.tv_14 WHERE data::text LIKE '%temp-shadow%'));

---------------------------------------------------------------------------
-- 15. Further attacks
---------------------------------------------------------------------------

-- 15a: readmodel.jsonb_patch (C, callable by everybody) against jsonb_set
-- on edge cases: empty and multibyte keys, keys of equal length, many keys
-- (past the offset stride), long strings, numerics next to odd lengths,
-- containers and scalars as values, nested paths.  Compared by binary
-- image; a crash would end the script here.
CREATE TYPE rmsec.jbox AS (j jsonb);
CREATE TABLE rmsec.jcases (d jsonb, p text[], v jsonb);
INSERT INTO rmsec.jcases
SELECT d, p, v
FROM (VALUES
        ('{"": 1, "a": 2}'::jsonb),
        ('{"é": "x", "e": 1.5, "ß": {"ü": [1, {"k": 2}]}}'),
        ('{"ab": 1, "ba": 2, "aa": 3, "bb": {"ab": 1, "ba": 2}}'),
        ((SELECT jsonb_object_agg('k' || i, CASE WHEN i % 3 = 0 THEN to_jsonb(i * 1.25)
                                                  WHEN i % 3 = 1 THEN to_jsonb(repeat('s', i))
                                                  ELSE jsonb_build_object('n', i, 's', repeat('t', i % 7)) END)
          FROM generate_series(1, 70) i)),
        (jsonb_build_object('big', repeat('x', 300000), 'n', 1, 'o', jsonb_build_object('n', 2.5)))
     ) docs(d)
CROSS JOIN LATERAL (
    SELECT ARRAY[k] AS p FROM jsonb_object_keys(d) k
    UNION ALL
    SELECT ARRAY[k, k2] FROM jsonb_each(d) e(k, x), LATERAL jsonb_object_keys(CASE WHEN jsonb_typeof(x) = 'object' THEN x ELSE '{}' END) k2
) paths
CROSS JOIN (VALUES
        ('null'::jsonb), ('true'), ('0'), ('1e-30'), ('123456789.123456789'), ('"odd"'), ('""'),
        ('[]'), ('{}'), ('[1, "two", 3.0, null]'), ('{"nested": {"deep": [1.5]}}'),
        (to_jsonb(repeat('v', 5001)))
     ) vals(v);
SELECT count(*) AS bad_15a FROM rmsec.jcases
WHERE NOT (ROW(readmodel.jsonb_patch(d, p, v))::rmsec.jbox *= ROW(jsonb_set(d, p, v))::rmsec.jbox) \gset
SELECT rmsec.report('15a', 'jsonb_patch differs from jsonb_set on edge cases', :bad_15a > 0);

-- 15b: Mallory may SELECT Alice's table but holds no TRIGGER on it; Bob's
-- model already captures it.  Mallory replaces her own model's definition
-- view directly (CREATE OR REPLACE VIEW) with a query over Alice's table:
-- her model-table trigger then runs in Alice's transactions.
SET SESSION AUTHORIZATION rmsec_alice;
CREATE TABLE rmsec_a.t15 (id int PRIMARY KEY, v text);
INSERT INTO rmsec_a.t15 VALUES (1, 'a');
GRANT SELECT ON rmsec_a.t15 TO rmsec_mallory;
GRANT SELECT, TRIGGER ON rmsec_a.t15 TO rmsec_bob;
SET SESSION AUTHORIZATION rmsec_bob;
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_15', 'SELECT id, v FROM rmsec_a.t15')$t$) AS st \gset
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE TABLE rmsec_m.m15 (id int PRIMARY KEY, v text);
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_m.tv_15', 'SELECT id, v FROM rmsec_m.m15')$t$) AS st \gset
CREATE FUNCTION rmsec_m.trg15() RETURNS trigger LANGUAGE plpgsql
    AS $$ BEGIN PERFORM rmsec.note('15b', session_user::text); RETURN NULL; END $$;
SELECT rmsec.try($t$CREATE TRIGGER trg15 AFTER INSERT OR UPDATE OR DELETE ON rmsec_m.tv_15 FOR EACH ROW EXECUTE FUNCTION rmsec_m.trg15()$t$) AS st \gset
SELECT rmsec.try($t$CREATE OR REPLACE VIEW rmsec_m.tv_15_def AS SELECT a.id, a.v FROM rmsec_a.t15 a$t$) AS st \gset
SET SESSION AUTHORIZATION rmsec_alice;
SELECT rmsec.try($t$UPDATE rmsec_a.t15 SET v = 'b' WHERE id = 1$t$) AS st \gset
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('15b', 'replaced _def view reads a table without TRIGGER grant',
    EXISTS (SELECT FROM rmsec.pwned WHERE tag = '15b' AND detail = 'rmsec_alice'));

-- 15c: readmodel._sync_triggers() is not for users: Mallory tries it on
-- Alice's table of 6b, whose owner removed the triggers again.
SET SESSION AUTHORIZATION rmsec_alice;
DO $$
DECLARE t name;
BEGIN
    FOR t IN SELECT tgname FROM pg_trigger WHERE tgrelid = 'rmsec_a.t6b'::regclass AND NOT tgisinternal LOOP
        EXECUTE format('DROP TRIGGER %I ON rmsec_a.t6b', t);
    END LOOP;
END $$;
SET SESSION AUTHORIZATION rmsec_mallory;
SELECT rmsec.try($t$SELECT readmodel._sync_triggers('rmsec_a.t6b')$t$) AS st \gset
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('15c', 'user calls _sync_triggers() on another user''s table',
    EXISTS (SELECT FROM pg_trigger WHERE tgrelid = 'rmsec_a.t6b'::regclass AND NOT tgisinternal));

-- 15e: a writer sets the extension's own user-settable limits in her
-- session (readmodel.max_queued_keys, readmodel.max_cascade_depth) and
-- writes a table that Bob's models read.  Her write may fail; Bob's
-- models must not miss a change because of her settings.
SET SESSION AUTHORIZATION rmsec_bob;
CREATE TABLE rmsec_b.src15e (id int PRIMARY KEY, v text);
INSERT INTO rmsec_b.src15e VALUES (1, 'a');
GRANT SELECT, INSERT, UPDATE ON rmsec_b.src15e TO rmsec_carol;
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_15e1', 'SELECT id, v FROM rmsec_b.src15e')$t$) AS st \gset
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_15e2', 'SELECT id, v FROM rmsec_b.tv_15e1')$t$) AS st \gset
SET SESSION AUTHORIZATION rmsec_carol;
SET readmodel.max_queued_keys = 1;
SELECT rmsec.try($t$INSERT INTO rmsec_b.src15e VALUES (2, 'b'), (3, 'c')$t$) AS st \gset
RESET readmodel.max_queued_keys;
SET readmodel.max_cascade_depth = 1;
SELECT rmsec.try($t$INSERT INTO rmsec_b.src15e VALUES (4, 'd')$t$) AS st \gset
RESET readmodel.max_cascade_depth;
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('15e', 'writer''s readmodel.* limits make others'' models miss changes',
    rmsec.drift('rmsec_b.tv_15e1') <> 0 OR rmsec.drift('rmsec_b.tv_15e2') <> 0);

---------------------------------------------------------------------------
-- 17. Aggregate deltas (src/delta.h): Bob's rollup over Alice's table,
-- written by Mallory
---------------------------------------------------------------------------
SET SESSION AUTHORIZATION rmsec_alice;
CREATE TABLE rmsec_a.g17 (id int PRIMARY KEY, fk int NOT NULL, amount numeric(10,2),
                          at timestamptz NOT NULL DEFAULT '2026-01-01 20:00+00');
INSERT INTO rmsec_a.g17 SELECT i, i % 3, i * 1.5 FROM generate_series(1, 30) i;
GRANT SELECT, TRIGGER ON rmsec_a.g17 TO rmsec_bob;
GRANT SELECT, INSERT, UPDATE, DELETE ON rmsec_a.g17 TO rmsec_mallory;
SET SESSION AUTHORIZATION rmsec_bob;
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_17', $d$
    SELECT g.fk, count(*) AS n, sum(g.amount) AS total, avg(g.amount) AS mean,
           max(g.amount) AS top,
           count(*) FILTER (WHERE g.at::date = date '2026-01-01') AS on_new_year
    FROM rmsec_a.g17 g GROUP BY g.fk $d$)$t$) AS st \gset
RESET SESSION AUTHORIZATION;
SELECT state IS NOT NULL AS has_state_17 FROM readmodel.model
WHERE relid = 'rmsec_b.tv_17'::regclass \gset
-- warm the state of every group
UPDATE rmsec_a.g17 SET amount = amount + 1 WHERE id <= 3;
UPDATE rmsec_a.g17 SET amount = amount - 1 WHERE id <= 3;

-- 17a: Mallory writes with a search_path that puts her operators for
-- bigint + bigint, numeric + numeric and int = int first, and with another
-- TimeZone (the FILTER's ::date depends on it): the fold must run none of
-- her code (her own statements call it, as hers) and the model must stay
-- exact.
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE FUNCTION rmsec_m.add17(bigint, bigint) RETURNS bigint LANGUAGE sql
    AS $$ SELECT CASE WHEN rmsec.note('17a') THEN $1 OPERATOR(pg_catalog.+) $2 END $$;
CREATE FUNCTION rmsec_m.addn17(numeric, numeric) RETURNS numeric LANGUAGE sql
    AS $$ SELECT CASE WHEN rmsec.note('17a') THEN $1 OPERATOR(pg_catalog.+) $2 END $$;
CREATE FUNCTION rmsec_m.eq17(int, int) RETURNS boolean LANGUAGE sql
    AS $$ SELECT rmsec.note('17a') AND $1 OPERATOR(pg_catalog.=) $2 $$;
CREATE OPERATOR rmsec_m.+ (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = rmsec_m.add17);
CREATE OPERATOR rmsec_m.+ (LEFTARG = numeric, RIGHTARG = numeric, FUNCTION = rmsec_m.addn17);
CREATE OPERATOR rmsec_m.= (LEFTARG = int, RIGHTARG = int, FUNCTION = rmsec_m.eq17);
SET search_path = rmsec_m, pg_catalog;
SET TimeZone = 'Asia/Kathmandu';
SELECT rmsec.try($t$INSERT INTO rmsec_a.g17 VALUES (100, 1, 9.99, '2026-01-01 20:00+00')$t$) AS st \gset
SELECT rmsec.try($t$UPDATE rmsec_a.g17 SET amount = amount + 1 WHERE id = 4$t$) AS st \gset
SELECT rmsec.try($t$DELETE FROM rmsec_a.g17 WHERE id = 5$t$) AS st \gset
RESET TimeZone;
RESET search_path;
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('17a', 'rollup fold runs the writer''s operators or settings',
                    :'has_state_17' <> 't'
                    OR EXISTS (SELECT FROM rmsec.pwned WHERE tag = '17a' AND who <> 'rmsec_mallory')
                    OR rmsec.drift('rmsec_b.tv_17') <> 0);

-- 17b: Mallory writes Bob's state table directly, to make later folds
-- start from her numbers.
SET SESSION AUTHORIZATION rmsec_mallory;
SELECT rmsec.try($t$UPDATE rmsec_b.tv_17_state SET n = n + 1000, s2 = s2 + 1000$t$) AS st_17b \gset
SELECT rmsec.try($t$INSERT INTO rmsec_a.g17 VALUES (101, 2, 1.00)$t$) AS st \gset
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('17b', 'writer tampers with a rollup''s state table',
                    :'st_17b' = 'ok' OR rmsec.drift('rmsec_b.tv_17') <> 0);

-- 17c: Mallory creates the state table's name first, in a schema Bob
-- declares in: Bob's model must not keep its state in her table.
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE TABLE rmsec_shared.tv_17c_state (k int PRIMARY KEY, n bigint, c1 bigint);
GRANT ALL ON rmsec_shared.tv_17c_state TO PUBLIC;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION rmsec_bob;
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_shared.tv_17c', $d$
    SELECT g.fk, count(*) AS n FROM rmsec_a.g17 g GROUP BY g.fk $d$)$t$) AS st \gset
RESET SESSION AUTHORIZATION;
UPDATE rmsec_a.g17 SET fk = 0 WHERE id = 6;
SELECT rmsec.report('17c', 'rollup keeps its state in a table its writer''s enemy made',
                    EXISTS (SELECT FROM readmodel.model WHERE relid = 'rmsec_shared.tv_17c'::regclass
                            AND state = 'rmsec_shared.tv_17c_state'::regclass)
                    OR EXISTS (SELECT FROM rmsec_shared.tv_17c_state)
                    OR rmsec.drift('rmsec_shared.tv_17c') <> 0);

-- 18: mode manual.  Bob's model over Alice's table installs no triggers
-- (Bob holds SELECT only); Mallory may read the model and write the table.
CREATE TABLE rmsec_a.a18 (id int PRIMARY KEY, fk int NOT NULL, v text NOT NULL);
INSERT INTO rmsec_a.a18 VALUES (1, 1, 'one'), (2, 1, 'two'), (3, 2, 'three');
ALTER TABLE rmsec_a.a18 OWNER TO rmsec_alice;
GRANT SELECT ON rmsec_a.a18 TO rmsec_bob;
GRANT SELECT, INSERT, UPDATE, DELETE ON rmsec_a.a18 TO rmsec_mallory;
SET SESSION AUTHORIZATION rmsec_bob;
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_18', $d$
    SELECT a.fk, count(*) AS n, string_agg(a.v, ',' ORDER BY a.id) AS vs
    FROM rmsec_a.a18 a GROUP BY a.fk $d$, '{"mode": "manual"}')$t$) AS st_18 \gset
SELECT rmsec.try('GRANT USAGE ON SCHEMA rmsec_b TO rmsec_mallory, rmsec_eve, rmsec_carol') AS st \gset
SELECT rmsec.try('GRANT SELECT ON rmsec_b.tv_18 TO rmsec_mallory, rmsec_eve') AS st \gset
RESET SESSION AUTHORIZATION;

-- 18a: Mallory syncs with her own = (int) and || (text) first in her
-- search_path and other output settings: the recompute and the routes run as
-- Bob, fully qualified, with the pinned settings.
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE FUNCTION rmsec_m.eq18(int, int) RETURNS boolean LANGUAGE sql
    AS $$ SELECT rmsec.note('18a') AND $1 OPERATOR(pg_catalog.=) $2 $$;
DROP OPERATOR rmsec_m.= (int, int);   -- 17a's
CREATE OPERATOR rmsec_m.= (LEFTARG = int, RIGHTARG = int, FUNCTION = rmsec_m.eq18);
CREATE FUNCTION rmsec_m.cat18(text, text) RETURNS text LANGUAGE sql
    AS $$ SELECT CASE WHEN rmsec.note('18a') THEN 'x' END $$;
CREATE OPERATOR rmsec_m.|| (LEFTARG = text, RIGHTARG = text, FUNCTION = rmsec_m.cat18);
SET search_path = rmsec_m, pg_catalog;
SET DateStyle = 'German';
SELECT rmsec.try($t$UPDATE rmsec_a.a18 SET v = 'uno' WHERE id = 1$t$) AS st \gset
SELECT rmsec.try($t$SELECT readmodel.sync('rmsec_b.tv_18', ARRAY[1])$t$) AS st_18a1 \gset
SELECT rmsec.try($t$UPDATE rmsec_a.a18 SET fk = 2 WHERE id = 2$t$) AS st \gset
SELECT rmsec.try($t$SELECT readmodel.sync_source('rmsec_b.tv_18', 'rmsec_a.a18',
    ARRAY[ROW(2, 1, 'two')::rmsec_a.a18, ROW(2, 2, 'two')::rmsec_a.a18])$t$) AS st_18a2 \gset
RESET DateStyle;
RESET search_path;
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('18a', 'sync runs the caller''s operators or settings',
                    :'st_18' <> 'ok' OR :'st_18a1' <> 'ok' OR :'st_18a2' <> 'ok'
                    OR EXISTS (SELECT FROM rmsec.pwned WHERE tag = '18a' AND who <> 'rmsec_mallory')
                    OR rmsec.drift('rmsec_b.tv_18') <> 0);

-- 18b: Mallory passes forged rows (a value the table does not hold, a group
-- that does not exist): the model can only become what its definition says.
SET SESSION AUTHORIZATION rmsec_mallory;
SELECT rmsec.try($t$SELECT readmodel.sync_source('rmsec_b.tv_18', 'rmsec_a.a18',
    ARRAY[ROW(1, 1, 'forged')::rmsec_a.a18, ROW(99, 7, 'ghost')::rmsec_a.a18])$t$) AS st \gset
SELECT rmsec.try($t$SELECT readmodel.sync('rmsec_b.tv_18', ARRAY[7, 8])$t$) AS st \gset
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('18b', 'forged rows or keys put values into a synced model',
                    EXISTS (SELECT FROM rmsec_b.tv_18 WHERE vs LIKE '%forged%' OR vs LIKE '%ghost%' OR fk = 7)
                    OR rmsec.drift('rmsec_b.tv_18') <> 0);

-- 18c: Eve may read the model but writes none of its sources; Carol writes
-- neither it nor them.  Neither may sync it (each sync costs its owner).
SET SESSION AUTHORIZATION rmsec_eve;
SELECT rmsec.try($t$SELECT readmodel.sync('rmsec_b.tv_18')$t$) AS st_18c1 \gset
SELECT rmsec.try($t$SELECT readmodel.sync_source('rmsec_b.tv_18', 'rmsec_a.a18',
    ARRAY[ROW(1, 1, 'x')::rmsec_a.a18])$t$) AS st_18c2 \gset
SET SESSION AUTHORIZATION rmsec_carol;
SELECT rmsec.try($t$SELECT readmodel.sync('rmsec_b.tv_18', ARRAY[1])$t$) AS st_18c3 \gset
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('18c', 'a role that writes no source syncs a model',
                    :'st_18c1' = 'ok' OR :'st_18c2' = 'ok' OR :'st_18c3' = 'ok');

-- 19: the change feed, option version, read-your-writes.  Bob's model over
-- Alice's table has a feed and version columns; Mallory writes the table
-- but may not read the model.
CREATE TABLE rmsec_a.a19 (id int PRIMARY KEY, v text NOT NULL);
INSERT INTO rmsec_a.a19 VALUES (1, 'one'), (2, 'two');
ALTER TABLE rmsec_a.a19 OWNER TO rmsec_alice;
GRANT SELECT, TRIGGER ON rmsec_a.a19 TO rmsec_bob;
GRANT SELECT, INSERT, UPDATE, DELETE ON rmsec_a.a19 TO rmsec_mallory;
SET SESSION AUTHORIZATION rmsec_bob;
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_b.tv_19', $d$
    SELECT a.id, upper(a.v) AS v FROM rmsec_a.a19 a $d$, '{"feed": true, "version": true}')$t$) AS st_19 \gset
RESET SESSION AUTHORIZATION;

-- 19a: after her own write, Mallory asks readmodel.changes() for the keys
-- maintenance wrote in Bob's model, which she may not read.
SET SESSION AUTHORIZATION rmsec_mallory;
BEGIN;
UPDATE rmsec_a.a19 SET v = 'uno' WHERE id = 1;
SELECT count(*) AS n_19a FROM readmodel.changes() \gset
COMMIT;
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('19a', 'changes() lists keys of a model the caller may not read',
                    :'st_19' <> 'ok' OR :'n_19a' <> '0');

-- 19b: Mallory makes her own model over Alice's table (without option
-- version), then a BEFORE row trigger named like option version's but
-- calling her function, or calling readmodel.version() under another name,
-- to change the rows maintenance writes (a model others may read).
GRANT TRIGGER ON rmsec_a.a19 TO rmsec_mallory;
SET SESSION AUTHORIZATION rmsec_mallory;
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_m.tv_19b', $d$
    SELECT a.id, a.v FROM rmsec_a.a19 a $d$)$t$) AS st \gset
CREATE FUNCTION rmsec_m.lie19() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM rmsec.note('19b'); NEW.v := 'lie'; RETURN NEW; END $$;
SELECT rmsec.try($t$CREATE TRIGGER readmodel_version BEFORE INSERT OR UPDATE ON rmsec_m.tv_19b
    FOR EACH ROW EXECUTE FUNCTION rmsec_m.lie19()$t$) AS st_19b1 \gset
SELECT rmsec.try($t$CREATE TRIGGER readmodel_version_x BEFORE UPDATE ON rmsec_m.tv_19b
    FOR EACH ROW EXECUTE FUNCTION readmodel.version()$t$) AS st_19b2 \gset
SELECT rmsec.try($t$UPDATE rmsec_a.a19 SET v = 'dos' WHERE id = 2$t$) AS st \gset
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('19b', 'a BEFORE row trigger named like option version''s changes a model',
                    :'st_19b1' = 'ok' OR :'st_19b2' = 'ok'
                    OR EXISTS (SELECT FROM rmsec.pwned WHERE tag = '19b')
                    OR (SELECT count(*) FROM readmodel.verify('rmsec_m.tv_19b')) <> 0);

-- 19c: Mallory writes and then reads Bob's model in one transaction with a
-- search_path and settings of hers: the early apply runs as Bob, pinned, as
-- at commit, and a read she may not make stays refused.
SET SESSION AUTHORIZATION rmsec_mallory;
SET search_path = rmsec_m, pg_catalog;
SET DateStyle = 'German';
BEGIN;
UPDATE rmsec_a.a19 SET v = 'tres' WHERE id = 1;
SELECT rmsec.try('SELECT * FROM rmsec_b.tv_19') AS st_19c \gset
ROLLBACK;
BEGIN;
UPDATE rmsec_a.a19 SET v = 'cuatro' WHERE id = 1;
COMMIT;
RESET DateStyle;
RESET search_path;
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('19c', 'reading one''s writes runs maintenance as the writer or reads a model without SELECT',
                    :'st_19c' = 'ok' OR (SELECT count(*) FROM readmodel.verify('rmsec_b.tv_19')) <> 0
                    OR (SELECT v FROM rmsec_b.tv_19 WHERE id = 1) IS DISTINCT FROM 'CUATRO');

-- 20a: Mallory's own model over her own table has a key of her domain,
-- whose CHECK calls a function of hers (declared IMMUTABLE, as the analyzer
-- demands) that fails with her own SQLSTATE when it runs as a superuser.
-- She suspends the model, writes, and resumes it: the recorded keys are
-- read back (domain input, her CHECK) before they are replayed.  That must
-- run as her, not as the extension's owner who wrote the queue.
SET SESSION AUTHORIZATION rmsec_mallory;
CREATE FUNCTION rmsec_m.probe20(v int) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = current_user) THEN
        RAISE EXCEPTION 'running as a superuser' USING ERRCODE = 'RM020';
    END IF;
    RETURN true;
END $$;
CREATE DOMAIN rmsec_m.d20 AS int CHECK (rmsec_m.probe20(VALUE));
CREATE TABLE rmsec_m.m20 (id rmsec_m.d20 PRIMARY KEY, v text);
INSERT INTO rmsec_m.m20 VALUES (1, 'a'), (2, 'b');
SELECT rmsec.try($t$SELECT readmodel.create('rmsec_m.tv_20', 'SELECT m.id, m.v FROM rmsec_m.m20 m')$t$) AS st_20 \gset
SELECT rmsec.try($t$SELECT readmodel.suspend('rmsec_m.tv_20')$t$) AS st_20s \gset
UPDATE rmsec_m.m20 SET v = 'changed' WHERE id = 2;
SELECT rmsec.try($t$SELECT readmodel.resume('rmsec_m.tv_20')$t$) AS st_20r \gset
RESET SESSION AUTHORIZATION;
SELECT :'st_20' = 'ok' AND :'st_20s' = 'ok' AS set_up_20a, :'st_20r' AS resumed_20a,
       (SELECT v FROM rmsec_m.tv_20 WHERE id = 2) AS replayed_20a;
SELECT rmsec.report('20a', 'replaying a suspended model''s keys runs its owner''s domain CHECK as the extension owner',
                    :'st_20r' = 'RM020');

-- 20b: Mallory asks readmodel.compare() for the rows of Bob's model
-- rmsec_b.tv_19, which she may not read, and readmodel.swap() to exchange
-- the names of two of Bob's models (she owns neither).
SET SESSION AUTHORIZATION rmsec_mallory;
SELECT rmsec.try($t$SELECT count(*) FROM readmodel.compare('rmsec_b.tv_19', 'rmsec_b.tv_19')$t$) AS st_20b1 \gset
SELECT rmsec.try($t$SELECT readmodel.swap('rmsec_b.tv_19', 'rmsec_b.tv_18')$t$) AS st_20b2 \gset
RESET SESSION AUTHORIZATION;
SELECT rmsec.report('20b', 'compare() shows rows of a model the caller may not read, or swap() renames another''s models',
                    :'st_20b1' = 'ok' OR :'st_20b2' = 'ok');

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
DROP SCHEMA rmsec, rmsec_shared CASCADE;
SELECT 'roles left: ' || count(*) FROM pg_roles WHERE rolname ~ '^rmsec_';

---------------------------------------------------------------------------
-- 15d, last because a vulnerable server crashes here (and takes every
-- other backend with it), so it runs after the cleanup with its own role.
---------------------------------------------------------------------------
-- A model whose definition can no longer be analysed is kept as "broken".
-- Its cache entry is allocated after the subtransaction that tried the
-- analysis was rolled back, i.e. in a transaction-lifetime memory context,
-- while the cache itself lives on: a later transaction reads and frees it.
-- Mallory needs nothing but her own table: she drops its primary key.
CREATE ROLE rmsec_zed;
CREATE SCHEMA rmsec_z AUTHORIZATION rmsec_zed;
SET SESSION AUTHORIZATION rmsec_zed;
CREATE FUNCTION rmsec_z.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE sql;
    PERFORM readmodel.flush();
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END $$;
CREATE TABLE rmsec_z.a (id int CONSTRAINT a_pkey PRIMARY KEY, v text);
INSERT INTO rmsec_z.a VALUES (1, 'a');
CREATE TABLE rmsec_z.r (id int PRIMARY KEY, fk int);
INSERT INTO rmsec_z.r VALUES (10, 1);
CREATE TABLE rmsec_z.b (id int PRIMARY KEY, x text);
CREATE TABLE rmsec_z.c (id int PRIMARY KEY, x text);
SELECT rmsec_z.try($t$SELECT readmodel.create('rmsec_z.tv_r', 'SELECT r.id, a.v FROM rmsec_z.r r JOIN rmsec_z.a a ON a.id = r.fk')$t$) AS st \gset
ALTER TABLE rmsec_z.a DROP CONSTRAINT a_pkey;
SELECT pg_backend_pid() AS pid_15d \gset
SELECT rmsec_z.try($t$UPDATE rmsec_z.a SET v = 'b' WHERE id = 1$t$) AS st \gset
SELECT rmsec_z.try($t$SELECT readmodel.create('rmsec_z.tv_b', 'SELECT id, x FROM rmsec_z.b')$t$) AS st \gset
SELECT rmsec_z.try($t$INSERT INTO rmsec_z.b VALUES (1, 'x')$t$) AS st \gset
SELECT rmsec_z.try($t$SELECT readmodel.create('rmsec_z.tv_c', 'SELECT id, x FROM rmsec_z.c')$t$) AS st \gset
SELECT rmsec_z.try($t$INSERT INTO rmsec_z.c VALUES (1, 'x')$t$) AS st \gset
SELECT rmsec_z.try($t$UPDATE rmsec_z.a SET v = 'c' WHERE id = 1$t$) AS st \gset
SELECT rmsec_z.try($t$INSERT INTO rmsec_z.b VALUES (2, 'y')$t$) AS st \gset
RESET SESSION AUTHORIZATION;
-- reached only if the backend survived
SELECT 'attack 15d broken model cache entry used after free: ' ||
       CASE WHEN pg_backend_pid() = :pid_15d THEN 'blocked' ELSE 'SUCCEEDED' END;
DROP OWNED BY rmsec_zed CASCADE;
DROP ROLE rmsec_zed;
