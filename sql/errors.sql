--
-- errors: definitions that cannot be maintained are refused with a message
-- that says why, and a refused readmodel.create() leaves nothing behind: no
-- table, no _def view, no catalog row, no capture triggers.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_readmodel;
RESET client_min_messages;
CREATE SCHEMA errs;
SET search_path = errs, public;
\set VERBOSITY default

CREATE TABLE tb_user (
    pk_user integer PRIMARY KEY,
    email   text NOT NULL UNIQUE,
    name    text NOT NULL,
    created date NOT NULL DEFAULT '2024-01-01'
);
CREATE TABLE tb_post (
    pk_post integer PRIMARY KEY,
    fk_user integer NOT NULL REFERENCES tb_user (pk_user),
    title   text NOT NULL
);
CREATE TABLE tb_nokey (         -- no primary key
    id   integer,
    name text
);
INSERT INTO tb_user VALUES (1, 'a@example.com', 'alice'), (2, 'b@example.com', 'bob');
INSERT INTO tb_post VALUES (1, 1, 'one'), (2, 1, 'two'), (3, 2, 'three');

-- One valid model, so that "nothing left behind" means "only what it made".
SELECT readmodel.create('tv_ok', 'SELECT u.pk_user, u.name FROM tb_user u');

-- What exists besides the tables above: the valid model's table and view,
-- its catalog row, and the capture triggers on tb_user.
CREATE VIEW leftovers AS
SELECT (SELECT string_agg(relname, ', ' ORDER BY relname) FROM pg_class
        WHERE relnamespace = 'errs'::regnamespace AND (relname LIKE 'tv\_%' OR relname LIKE 'pg\_readmodel\_next%')) AS tv_relations,
       (SELECT string_agg(relid::text, ', ' ORDER BY relid::text)
        FROM readmodel.model) AS catalog_rows,
       (SELECT string_agg(DISTINCT tgrelid::regclass::text, ', ') FROM pg_trigger
        WHERE tgname LIKE 'readmodel\_capture\_%') AS tables_with_capture_triggers,
       (SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'readmodel\_capture\_%') AS capture_triggers;
SELECT * FROM leftovers;

-- 1. Not a single SELECT.
SELECT readmodel.create('tv_bad', 'SELECT u.pk_user FROM tb_user u; SELECT 1');
SELECT * FROM leftovers;
SELECT readmodel.create('tv_bad', $$INSERT INTO tb_user VALUES (3, 'c@example.com', 'carol')$$);
SELECT * FROM leftovers;
SELECT readmodel.create('tv_bad', 'VALUES (1, 2)');
SELECT * FROM leftovers;
SELECT readmodel.create('tv_bad', 'SELECT u.pk_user INTO tv_copy FROM tb_user u');
SELECT * FROM leftovers;
SELECT readmodel.create('tv_bad', 'SELECT u.pk_user FROM tb_user u FOR UPDATE');
SELECT * FROM leftovers;
SELECT readmodel.create('tv_bad', NULL);
SELECT * FROM leftovers;
-- a definition PostgreSQL itself rejects
SELECT readmodel.create('tv_bad', 'SELECT u.pk_user, u.missing FROM tb_user u');
SELECT * FROM leftovers;

-- 2. No usable key.
SELECT readmodel.create('tv_bad', 'SELECT u.name FROM tb_user u');
SELECT * FROM leftovers;
SELECT readmodel.create('tv_bad', 'SELECT n.id, n.name FROM tb_nokey n');
SELECT * FROM leftovers;

-- 3. Key not unique: a 1:N join without GROUP BY gives several rows per
--    user; an explicit key that is not a unique column; a key that is not
--    an output column.
SELECT readmodel.create('tv_bad', $$
    SELECT u.pk_user, p.title FROM tb_user u JOIN tb_post p ON p.fk_user = u.pk_user
$$);
SELECT * FROM leftovers;
SELECT readmodel.create('tv_bad', 'SELECT u.pk_user, u.name FROM tb_user u', '{"key": "name"}');
SELECT * FROM leftovers;
SELECT readmodel.create('tv_bad', 'SELECT u.pk_user, u.name FROM tb_user u', '{"key": "email"}');
SELECT * FROM leftovers;

-- Shapes that give several rows per root row as soon as the data allows
-- it must be refused even while the data happens to be unique: GROUP BY the
-- key plus a column of a 1:N child, and a set-returning function in FROM.
-- (The outcome is printed as accepted or refused.)
CREATE FUNCTION try_create(p_name text, p_definition text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM readmodel.create(p_name, p_definition);
    RETURN 'accepted';
EXCEPTION WHEN feature_not_supported OR invalid_object_definition OR wrong_object_type THEN
    RETURN 'refused';
END
$$;
CREATE TABLE tb_address (
    pk_address integer PRIMARY KEY,
    fk_user    integer NOT NULL REFERENCES tb_user (pk_user),
    city       text NOT NULL
);
INSERT INTO tb_address VALUES (1, 1, 'Oslo'), (2, 2, 'Rome');   -- one per user, for now
SELECT try_create('tv_user_city', $$
    SELECT u.pk_user, a.city, count(*) AS n
    FROM tb_user u LEFT JOIN tb_address a ON a.fk_user = u.pk_user
    GROUP BY u.pk_user, a.city
$$) AS outcome;
SELECT try_create('tv_address_part', $$
    SELECT a.pk_address, part
    FROM tb_address a CROSS JOIN LATERAL regexp_split_to_table(a.city, '/') AS part
$$) AS outcome;
-- what accepting them leads to: a second address for user 1, a city with
-- two parts
INSERT INTO tb_address VALUES (3, 1, 'Paris');
UPDATE tb_address SET city = 'Rome/Milan' WHERE pk_address = 2;
SELECT m.relid, count(v.*) AS rows_out_of_sync
FROM readmodel.model m LEFT JOIN LATERAL readmodel.verify(m.relid::text) v ON true
WHERE m.relid::text IN ('tv_user_city', 'tv_address_part')
GROUP BY m.relid ORDER BY m.relid::text;
DO $$
BEGIN
    IF to_regclass('tv_user_city') IS NOT NULL THEN
        PERFORM readmodel.drop('tv_user_city');
    END IF;
    IF to_regclass('tv_address_part') IS NOT NULL THEN
        PERFORM readmodel.drop('tv_address_part');
    END IF;
END
$$;
SELECT * FROM leftovers;

-- 4. Options.
SELECT readmodel.create('tv_bad', 'SELECT u.pk_user FROM tb_user u', '{"mode": "eventually"}');
SELECT readmodel.create('tv_bad', 'SELECT u.pk_user FROM tb_user u', '{"key": 1}');
SELECT readmodel.create('tv_bad', 'SELECT u.pk_user FROM tb_user u', '{"refresh": "nightly"}');
SELECT readmodel.create('tv_bad', 'SELECT u.pk_user FROM tb_user u', '["key", "pk_user"]');
SELECT * FROM leftovers;

-- 5. Sources that are not ordinary tables (views are expanded into what
-- they read: shape_views).
CREATE MATERIALIZED VIEW mv_user AS SELECT * FROM tb_user;
CREATE TEMP TABLE tmp_user (pk_user integer PRIMARY KEY, name text);
SELECT readmodel.create('tv_bad', 'SELECT m.pk_user, m.name FROM mv_user m');
SELECT * FROM leftovers;
SELECT readmodel.create('tv_bad', 'SELECT t.pk_user, t.name FROM tmp_user t');
SELECT * FROM leftovers;
-- a temporary table read by a subquery of a proper root
SELECT readmodel.create('tv_bad', $$
    SELECT p.pk_post, (SELECT t.name FROM tmp_user t WHERE t.pk_user = p.fk_user) AS name
    FROM tb_post p
$$);
SELECT * FROM leftovers;

-- inheritance parents with children, system catalogs (partitioned tables
-- are sources: shape_partitions; a partition alone is not, below)
CREATE TABLE tb_event (pk_event integer PRIMARY KEY, kind text NOT NULL) PARTITION BY RANGE (pk_event);
CREATE TABLE tb_event_low PARTITION OF tb_event FOR VALUES FROM (0) TO (100);
CREATE TABLE tb_animal (pk_animal integer PRIMARY KEY, name text NOT NULL);
CREATE TABLE tb_dog () INHERITS (tb_animal);
SELECT readmodel.create('tv_bad', 'SELECT a.pk_animal, a.name FROM tb_animal a');
SELECT * FROM leftovers;
SELECT readmodel.create('tv_bad', 'SELECT c.oid, c.relname FROM pg_class c');
SELECT * FROM leftovers;
-- (ONLY the parent is fine: its children are not read.)
SELECT readmodel.create('tv_animal', 'SELECT a.pk_animal, a.name FROM ONLY tb_animal a');
INSERT INTO tb_animal VALUES (1, 'cat');
INSERT INTO tb_dog VALUES (2, 'dog');
SELECT * FROM tv_animal ORDER BY pk_animal;
SELECT * FROM readmodel.verify('tv_animal');
SELECT readmodel.drop('tv_animal');

-- A partition read directly is an ordinary table, but rows written through
-- its partitioned parent do not fire the partition's own statement
-- triggers.  Such a model must either be refused or see those writes:
-- either way, no model may end up out of sync.
DO $$
BEGIN
    PERFORM readmodel.create('tv_event_low', 'SELECT e.pk_event, e.kind FROM tb_event_low e');
EXCEPTION WHEN feature_not_supported OR wrong_object_type THEN
    NULL;   -- refused
END
$$;
INSERT INTO tb_event VALUES (1, 'via parent'), (2, 'via parent');
UPDATE tb_event SET kind = 'changed via parent' WHERE pk_event = 2;
INSERT INTO tb_event_low VALUES (3, 'direct');
SELECT count(v.*) AS rows_out_of_sync
FROM readmodel.model m, LATERAL readmodel.verify(m.relid::text) v
WHERE m.relid::text = 'tv_event_low';
DO $$
BEGIN
    IF to_regclass('tv_event_low') IS NOT NULL THEN
        PERFORM readmodel.drop('tv_event_low');
    END IF;
END
$$;
SELECT * FROM leftovers;

-- 6. Results that change without any change to the sources.
SELECT readmodel.create('tv_bad', 'SELECT u.pk_user, random() AS r FROM tb_user u');
SELECT * FROM leftovers;
SELECT readmodel.create('tv_bad', 'SELECT u.pk_user, now() - u.created AS age FROM tb_user u');
SELECT * FROM leftovers;
SELECT readmodel.create('tv_bad', 'SELECT u.pk_user FROM tb_user u WHERE u.created > CURRENT_DATE - 30');
SELECT * FROM leftovers;
SELECT readmodel.create('tv_bad', 'SELECT u.pk_user, current_user AS who FROM tb_user u');
SELECT * FROM leftovers;

-- A STABLE function may read tables that the definition does not name, so
-- their changes reach no capture trigger.  Such a model must either be
-- refused or stay in sync.
CREATE FUNCTION post_count(p_user integer) RETURNS bigint LANGUAGE sql STABLE
AS $$ SELECT count(*) FROM errs.tb_post WHERE fk_user = p_user $$;
DO $$
BEGIN
    PERFORM readmodel.create('tv_post_count',
        'SELECT u.pk_user, post_count(u.pk_user) AS posts FROM tb_user u');
EXCEPTION WHEN feature_not_supported OR invalid_object_definition OR wrong_object_type THEN
    NULL;   -- refused
END
$$;
INSERT INTO tb_post VALUES (4, 2, 'four');
SELECT count(v.*) AS rows_out_of_sync
FROM readmodel.model m, LATERAL readmodel.verify(m.relid::text) v
WHERE m.relid::text = 'tv_post_count';
DELETE FROM tb_post WHERE pk_post = 4;
DO $$
BEGIN
    IF to_regclass('tv_post_count') IS NOT NULL THEN
        PERFORM readmodel.drop('tv_post_count');
    END IF;
END
$$;
SELECT * FROM leftovers;
-- The same function mislabelled IMMUTABLE: its SQL body is read, and it
-- names a table (in either form of body), so it is refused.
CREATE FUNCTION post_count_imm(p_user integer) RETURNS bigint LANGUAGE sql IMMUTABLE
AS $$ SELECT count(*) FROM errs.tb_post WHERE fk_user = p_user $$;
CREATE FUNCTION post_count_atomic(p_user integer) RETURNS bigint LANGUAGE sql IMMUTABLE
RETURN (SELECT count(*) FROM errs.tb_post WHERE fk_user = p_user);
CREATE FUNCTION post_count_nested(p_user integer) RETURNS bigint LANGUAGE sql IMMUTABLE
AS $$ SELECT errs.post_count_imm(p_user) $$;
CREATE FUNCTION post_count_nested_atomic(p_user integer) RETURNS bigint LANGUAGE sql IMMUTABLE
RETURN post_count_atomic(p_user) + 0;
CREATE FUNCTION twice(x integer) RETURNS integer LANGUAGE sql IMMUTABLE RETURN x * 2;
CREATE FUNCTION twice_twice(x integer) RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT errs.twice(errs.twice(x)) $$;
SELECT readmodel.create('tv_bad', 'SELECT u.pk_user, post_count_imm(u.pk_user) AS posts FROM tb_user u');
SELECT readmodel.create('tv_bad', 'SELECT u.pk_user, post_count_atomic(u.pk_user) AS posts FROM tb_user u');
SELECT readmodel.create('tv_bad', 'SELECT u.pk_user, post_count_nested(u.pk_user) AS posts FROM tb_user u');
SELECT readmodel.create('tv_bad', 'SELECT u.pk_user, post_count_nested_atomic(u.pk_user) AS posts FROM tb_user u');
SELECT * FROM leftovers;
SELECT readmodel.create('tv_twice', 'SELECT u.pk_user, twice(u.pk_user) AS t, twice_twice(u.pk_user) AS tt FROM tb_user u');
SELECT readmodel.drop('tv_twice');

-- 7. Shapes: recursive CTE, LIMIT, window functions, INTERSECT, DISTINCT,
--    set-returning functions, no FROM.
SELECT readmodel.create('tv_bad', $$
    WITH RECURSIVE u AS (SELECT * FROM tb_user UNION ALL SELECT * FROM u WHERE false)
    SELECT u.pk_user, u.name FROM u
$$);
SELECT * FROM leftovers;
SELECT readmodel.create('tv_bad', 'SELECT u.pk_user, u.name FROM tb_user u ORDER BY u.pk_user LIMIT 1');
SELECT * FROM leftovers;
SELECT readmodel.create('tv_bad', $$
    SELECT u.pk_user, rank() OVER (ORDER BY u.name) AS position FROM tb_user u
$$);
SELECT * FROM leftovers;
SELECT readmodel.create('tv_bad', $$
    SELECT u.pk_user, u.name FROM tb_user u
    INTERSECT SELECT p.pk_post, p.title FROM tb_post p
$$);
SELECT * FROM leftovers;
SELECT readmodel.create('tv_bad', 'SELECT DISTINCT u.name, p.title FROM tb_user u JOIN tb_post p ON p.fk_user = u.pk_user');
SELECT * FROM leftovers;
SELECT readmodel.create('tv_bad', $$
    SELECT u.pk_user, regexp_split_to_table(u.name, 'i') AS part FROM tb_user u
$$);
SELECT * FROM leftovers;
SELECT readmodel.create('tv_bad', 'SELECT 1 AS pk_user');
SELECT * FROM leftovers;
SELECT readmodel.create('tv_bad', $$
    SELECT u.pk_user, p.title FROM tb_post p FULL JOIN tb_user u ON u.pk_user = p.fk_user
$$);
SELECT * FROM leftovers;

-- 8. GROUP BY without the key: the key is email, grouped by pk_user.
SELECT readmodel.create('tv_bad', $$
    SELECT u.email, count(p.pk_post) AS posts
    FROM tb_user u LEFT JOIN tb_post p ON p.fk_user = u.pk_user
    GROUP BY u.pk_user
$$, '{"key": "email"}');
SELECT * FROM leftovers;

-- 9. A table not connected to the root by equality conditions.
SELECT readmodel.create('tv_bad', $$
    SELECT u.pk_user, (SELECT count(*) FROM tb_post p WHERE p.fk_user < u.pk_user) AS earlier_posts
    FROM tb_user u
$$);
SELECT * FROM leftovers;
SELECT readmodel.create('tv_bad', $$
    SELECT u.pk_user, (SELECT count(*) FROM tb_post p) AS all_posts FROM tb_user u
$$);
SELECT * FROM leftovers;
SELECT readmodel.create('tv_bad', $$
    SELECT u.pk_user, p.title FROM tb_user u JOIN tb_post p ON p.pk_post > u.pk_user
$$);
SELECT * FROM leftovers;

-- 10. A name that already exists, as a table or as the _def view.
SELECT readmodel.create('tv_ok', 'SELECT u.pk_user, u.email FROM tb_user u');
SELECT readmodel.create('tb_post', 'SELECT u.pk_user, u.email FROM tb_user u');
CREATE VIEW tv_taken_def AS SELECT 1 AS x;
SELECT readmodel.create('tv_taken', 'SELECT u.pk_user, u.email FROM tb_user u');
DROP VIEW tv_taken_def;
SELECT * FROM leftovers;

-- 11. Models over models: a replacement that would make a model read
--     itself through another, the cascade depth limit, and a replacement of
--     something that is not a read model.  Nothing may be left behind.
SELECT readmodel.create('tv_over', 'SELECT t.pk_user, t.name FROM tv_ok t');
SELECT readmodel.create('tv_ok', $$
    SELECT u.pk_user, u.name FROM tb_user u JOIN tv_over o ON o.pk_user = u.pk_user
$$, '{"replace": true}');
SET readmodel.max_cascade_depth = 2;
SELECT readmodel.create('tv_bad', 'SELECT t.pk_user, t.name FROM tv_over t');
RESET readmodel.max_cascade_depth;
SELECT readmodel.create('tb_post', 'SELECT u.pk_user FROM tb_user u', '{"replace": true}');
SELECT readmodel.create('tv_ok', 'SELECT u.pk_user FROM tb_user u', '{"replace": "yes"}');
SELECT readmodel.drop('tv_over');
SELECT * FROM leftovers;

-- 12. Privileges: a role that may create in the schema but lacks privileges
--     on a source.
CREATE ROLE regress_readmodel_errors;
GRANT USAGE, CREATE ON SCHEMA errs TO regress_readmodel_errors;
GRANT SELECT ON tb_user TO regress_readmodel_errors;      -- no TRIGGER
GRANT TRIGGER ON tb_post TO regress_readmodel_errors;     -- no SELECT
SET ROLE regress_readmodel_errors;
-- SELECT but no TRIGGER
SELECT readmodel.create('tv_bad', 'SELECT u.pk_user, u.name FROM tb_user u');
-- TRIGGER but no SELECT
SELECT readmodel.create('tv_bad', 'SELECT p.pk_post, p.title FROM tb_post p');
RESET ROLE;
SELECT * FROM leftovers;
-- with both privileges the same role may declare the model
GRANT SELECT ON tb_post TO regress_readmodel_errors;
SET ROLE regress_readmodel_errors;
SELECT readmodel.create('tv_granted', 'SELECT p.pk_post, p.title FROM tb_post p');
SELECT * FROM tv_granted ORDER BY pk_post;
RESET ROLE;
SELECT relid::regclass, pg_get_userbyid(c.relowner) AS owner
FROM readmodel.model m JOIN pg_class c ON c.oid = m.relid ORDER BY relid::text;
UPDATE tb_post SET title = 'ONE' WHERE pk_post = 1;
SELECT * FROM tv_granted ORDER BY pk_post;
SELECT * FROM readmodel.verify('tv_granted');
SELECT readmodel.drop('tv_granted');
SELECT * FROM leftovers;
-- A function the owner may no longer execute makes the model stale, not
-- every write to its sources fail.
CREATE FUNCTION errs.plus1(x integer) RETURNS integer LANGUAGE sql IMMUTABLE RETURN x + 1;
SET ROLE regress_readmodel_errors;
SELECT readmodel.create('tv_exec', 'SELECT p.pk_post, errs.plus1(p.pk_post) AS n FROM tb_post p');
RESET ROLE;
REVOKE EXECUTE ON FUNCTION errs.plus1(integer) FROM PUBLIC;
UPDATE tb_post SET title = 'One' WHERE pk_post = 1;
SELECT name, status, reason FROM readmodel.models WHERE name = 'tv_exec'::regclass;
GRANT EXECUTE ON FUNCTION errs.plus1(integer) TO PUBLIC;
SET ROLE regress_readmodel_errors;
SELECT readmodel.refresh('tv_exec') IS NOT NULL AS refreshed;
SELECT readmodel.drop('tv_exec');
RESET ROLE;
-- A function another role owns, called from inside one the model's owner
-- owns, would run with the owner's rights when a source changes, like one
-- the definition calls: refused too.
CREATE FUNCTION errs.theirs(x integer) RETURNS integer LANGUAGE sql IMMUTABLE RETURN x + 1;
ALTER FUNCTION errs.theirs(integer) OWNER TO regress_readmodel_errors;
CREATE FUNCTION errs.mine(x integer) RETURNS integer LANGUAGE sql IMMUTABLE
AS $$ SELECT errs.theirs(x) * 2 $$;
CREATE FUNCTION errs.mine_atomic(x integer) RETURNS integer LANGUAGE sql IMMUTABLE
RETURN errs.theirs(x) * 2;
SELECT readmodel.create('tv_bad', 'SELECT u.pk_user, errs.mine(u.pk_user) AS m FROM tb_user u');
SELECT readmodel.create('tv_bad', 'SELECT u.pk_user, errs.mine_atomic(u.pk_user) AS m FROM tb_user u');
SELECT * FROM leftovers;

-- 13. Functions called on something that is not a read model.
SELECT * FROM readmodel.verify('tb_user');
SELECT readmodel.refresh('tb_user');
SELECT readmodel.drop('tb_user');
SELECT readmodel.drop('tv_missing');

-- The valid model was never disturbed.
SELECT * FROM tv_ok ORDER BY pk_user;
SELECT * FROM readmodel.verify('tv_ok');

-- Clean up.
\set VERBOSITY terse
SET client_min_messages = warning;
DROP SCHEMA errs CASCADE;
RESET client_min_messages;
DROP OWNED BY regress_readmodel_errors;
DROP ROLE regress_readmodel_errors;
DROP EXTENSION pg_readmodel;
