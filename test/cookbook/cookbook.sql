--
-- test/cookbook/cookbook.sql: every example of docs/cookbook.md, run.
--
--   make test-cookbook                      # on the private cluster
--   psql -X -v ON_ERROR_STOP=1 -f test/cookbook/cookbook.sql   # any cluster
--
-- The script makes (and at the end drops) the database readmodel_cookbook.
-- Recipes A1..A24 are definitions the cookbook says are accepted: each is
-- declared with readmodel.create(), written to, and checked with
-- cookbook.exact(), which fails unless readmodel.verify() returns no rows and
-- the table equals a fresh run of its definition by binary image.  Recipes
-- B2..B22 are idioms the cookbook says are not accepted yet (B1, grouping by
-- an expression, is accepted now and is A23): cookbook.refused()
-- fails unless the declaration is refused with exactly the SQLSTATE, message,
-- DETAIL and HINT the cookbook quotes, and each one's rewrite is then declared
-- and checked like an A recipe.  At the end every source is written once more and every model
-- still standing is checked again.
--
-- Run with ON_ERROR_STOP: any refusal of an accepted example, any difference,
-- any refusal that changed its text (or became an acceptance) stops the
-- script with an error that starts with "COOKBOOK FAIL", and psql exits 3.
--
\set ON_ERROR_STOP on
\set VERBOSITY default
SET client_min_messages = warning;
DROP DATABASE IF EXISTS readmodel_cookbook;
CREATE DATABASE readmodel_cookbook TEMPLATE template0;
\c readmodel_cookbook
SET client_min_messages = warning;
\pset tuples_only on
\pset format unaligned
CREATE EXTENSION pg_readmodel;

------------------------------------------------------------------------------
-- Helpers (not part of the recipes)
------------------------------------------------------------------------------
CREATE SCHEMA cookbook;

CREATE TABLE cookbook.result (
    seq     serial,
    recipe  text NOT NULL,
    kind    text NOT NULL,          -- 'exact' or 'refused'
    what    text NOT NULL
);

-- The check every accepted example ends with: verify() returns no rows, the
-- table and a fresh run of the definition hold the same rows by binary
-- image, the same number of them, and the model is maintained.
CREATE FUNCTION cookbook.exact(recipe text, model text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    v bigint; d bigint; nt bigint; nd bigint; st text; why text;
BEGIN
    SELECT m.status, m.reason INTO st, why FROM readmodel.models m WHERE m.name = model::regclass;
    IF st IS DISTINCT FROM 'maintained' THEN
        RAISE EXCEPTION 'COOKBOOK FAIL: [%] % is %: %', recipe, model, COALESCE(st, 'not a read model'), why;
    END IF;
    SELECT count(*) INTO v FROM readmodel.verify(model);
    EXECUTE format(
        'SELECT (SELECT count(*) FROM %1$s t WHERE NOT EXISTS
                   (SELECT FROM %1$s_def d WHERE pg_catalog.record_image_eq(ROW(t.*), ROW(d.*))))
              + (SELECT count(*) FROM %1$s_def d WHERE NOT EXISTS
                   (SELECT FROM %1$s t WHERE pg_catalog.record_image_eq(ROW(t.*), ROW(d.*)))),
                (SELECT count(*) FROM %1$s), (SELECT count(*) FROM %1$s_def)',
        model) INTO d, nt, nd;
    IF v <> 0 OR d <> 0 OR nt <> nd THEN
        RAISE EXCEPTION 'COOKBOOK FAIL: [%] % is not exact: verify() rows %, rows differing by image %, rows % in the table and % in the definition',
            recipe, model, v, d, nt, nd;
    END IF;
    INSERT INTO cookbook.result (recipe, kind, what) VALUES (recipe, 'exact', model);
    RETURN format('ok [%s] %s exact (%s rows)', recipe, model, nt);
END $$;

-- Every model still standing, checked again (after the final writes).
CREATE FUNCTION cookbook.exact_all(recipe text) RETURNS SETOF text
LANGUAGE sql AS $$
    SELECT cookbook.exact(recipe, m.name::text) FROM readmodel.models m ORDER BY m.name::text
$$;

-- The check every "not yet" example ends with: declaring it fails with the
-- SQLSTATE, message, DETAIL and HINT the cookbook quotes (want_message and
-- want_hint NULL: not compared; want_hint '': there must be none).  An acceptance is a failure too: the cookbook
-- would then be wrong.
CREATE FUNCTION cookbook.refused(recipe text, model text, definition text, options jsonb,
                                 want_sqlstate text, want_detail text,
                                 want_message text DEFAULT NULL, want_hint text DEFAULT NULL) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    s text; m text; d text; h text;
BEGIN
    BEGIN
        PERFORM readmodel.create(model, definition, options);
        s := 'accepted';
        RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = 'cookbook: accepted';
    EXCEPTION WHEN OTHERS THEN
        IF s IS NULL THEN
            GET STACKED DIAGNOSTICS s = RETURNED_SQLSTATE, m = MESSAGE_TEXT,
                                    d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
        END IF;
    END;
    IF s = 'accepted' THEN
        RAISE EXCEPTION 'COOKBOOK FAIL: [%] was expected to be refused, but it is accepted now; move it to the accepted recipes', recipe;
    END IF;
    IF s <> want_sqlstate OR COALESCE(d, '') <> COALESCE(want_detail, '')
       OR m <> COALESCE(want_message, m) OR COALESCE(h, '') <> COALESCE(want_hint, h, '') THEN
        RAISE EXCEPTION 'COOKBOOK FAIL: [%] refused, but not as the cookbook says', recipe
            USING DETAIL = format(E'want %s: %s\n      %s\n      %s\ngot  %s: %s\n      %s\n      %s',
                                  want_sqlstate, want_message, want_detail, want_hint, s, m, d, h);
    END IF;
    INSERT INTO cookbook.result (recipe, kind, what) VALUES (recipe, 'refused', s);
    RETURN format(E'ok [%s] refused (%s)\n  ERROR:  %s\n  DETAIL:  %s%s', recipe, s, m, d,
                  COALESCE(E'\n  HINT:  ' || NULLIF(h, ''), ''));
END $$;

-- A statement that must fail (B21), with the SQLSTATE and DETAIL shown.
CREATE FUNCTION cookbook.fails(recipe text, stmt text, want_sqlstate text, want_detail text,
                               want_message text DEFAULT NULL, want_hint text DEFAULT NULL)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    s text; m text; d text; h text;
BEGIN
    BEGIN
        EXECUTE stmt;
        s := 'succeeded';
        RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = 'cookbook: succeeded';
    EXCEPTION WHEN OTHERS THEN
        IF s IS NULL THEN
            GET STACKED DIAGNOSTICS s = RETURNED_SQLSTATE, m = MESSAGE_TEXT,
                                    d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
        END IF;
    END;
    IF s = 'succeeded' THEN
        RAISE EXCEPTION 'COOKBOOK FAIL: [%] was expected to fail, but it succeeded', recipe;
    END IF;
    IF s <> want_sqlstate OR COALESCE(d, '') <> COALESCE(want_detail, '')
       OR m <> COALESCE(want_message, m) OR COALESCE(h, '') <> COALESCE(want_hint, h, '') THEN
        RAISE EXCEPTION 'COOKBOOK FAIL: [%] failed, but not as the cookbook says', recipe
            USING DETAIL = format(E'want %s: %s\n      %s\n      %s\ngot  %s: %s\n      %s\n      %s',
                                  want_sqlstate, want_message, want_detail, want_hint, s, m, d, h);
    END IF;
    INSERT INTO cookbook.result (recipe, kind, what) VALUES (recipe, 'refused', s);
    RETURN format(E'ok [%s] fails\n  ERROR:  %s\n  DETAIL:  %s%s', recipe, m, d,
                  COALESCE(E'\n  HINT:  ' || NULLIF(h, ''), ''));
END $$;

-- An assertion inside a recipe.
CREATE FUNCTION cookbook.must(recipe text, ok boolean, what text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    IF ok IS NOT TRUE THEN
        RAISE EXCEPTION 'COOKBOOK FAIL: [%] %', recipe, what;
    END IF;
    RETURN format('ok [%s] %s', recipe, what);
END $$;

------------------------------------------------------------------------------
-- The write side every recipe reads (docs/cookbook.md, "The schema")
------------------------------------------------------------------------------
CREATE TABLE tb_org (
    pk_org integer PRIMARY KEY,
    name   text NOT NULL
);
CREATE TABLE tb_user (
    pk_user    integer PRIMARY KEY,
    id         uuid NOT NULL UNIQUE,
    fk_org     integer NOT NULL REFERENCES tb_org,
    fk_manager integer REFERENCES tb_user,
    name       text NOT NULL,
    active     boolean NOT NULL DEFAULT true
);
CREATE TABLE tb_category (
    pk_category integer PRIMARY KEY,
    fk_parent   integer REFERENCES tb_category,
    name        text NOT NULL,
    ancestors   integer[] NOT NULL DEFAULT '{}'   -- root first
);
-- The same hierarchy as rows: one per (category, ancestor), itself at depth 0.
CREATE TABLE tb_category_path (
    fk_category integer NOT NULL REFERENCES tb_category,
    fk_ancestor integer NOT NULL REFERENCES tb_category,
    depth       integer NOT NULL,
    PRIMARY KEY (fk_category, fk_ancestor)
);
CREATE TABLE tb_post (
    pk_post      integer PRIMARY KEY,
    id           uuid NOT NULL UNIQUE,
    fk_user      integer NOT NULL REFERENCES tb_user,
    fk_category  integer REFERENCES tb_category,
    title        text NOT NULL,
    status       text NOT NULL,
    published_at timestamp,
    version      integer NOT NULL DEFAULT 1
);
CREATE TABLE tb_comment (
    pk_comment integer PRIMARY KEY,
    fk_post    integer NOT NULL REFERENCES tb_post ON DELETE CASCADE,
    fk_user    integer NOT NULL REFERENCES tb_user,
    body       text NOT NULL,
    created_at timestamp NOT NULL
);
CREATE TABLE tb_tag (
    pk_tag integer PRIMARY KEY,
    name   text NOT NULL UNIQUE
);
CREATE TABLE tb_post_tag (
    fk_post     integer NOT NULL REFERENCES tb_post ON DELETE CASCADE,
    fk_tag      integer NOT NULL REFERENCES tb_tag,
    PRIMARY KEY (fk_post, fk_tag)
);
CREATE TABLE tb_order (
    pk_order   integer PRIMARY KEY,
    fk_user    integer NOT NULL REFERENCES tb_user,
    status     text NOT NULL,
    region     text,
    amount     numeric(12,2) NOT NULL,
    weight     double precision NOT NULL,
    placed_at  timestamp NOT NULL,
    placed_day date NOT NULL GENERATED ALWAYS AS (placed_at::date) STORED   -- A23
);
-- A partitioned source (A16).
CREATE TABLE tb_event (
    pk_event    integer NOT NULL,
    fk_user     integer NOT NULL,
    kind        text NOT NULL,
    occurred_at timestamp NOT NULL,
    PRIMARY KEY (pk_event, occurred_at)
) PARTITION BY RANGE (occurred_at);
CREATE TABLE tb_event_2026_01 PARTITION OF tb_event
    FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
CREATE TABLE tb_event_2026_02 PARTITION OF tb_event
    FOR VALUES FROM ('2026-02-01') TO ('2026-03-01');
CREATE TABLE tb_event_rest PARTITION OF tb_event DEFAULT;
-- Two kinds of content a feed would UNION (B2).
CREATE TABLE tb_article (
    pk_article integer PRIMARY KEY,
    fk_user    integer NOT NULL REFERENCES tb_user,
    title      text NOT NULL
);
CREATE TABLE tb_video (
    pk_video integer PRIMARY KEY,
    fk_user  integer NOT NULL REFERENCES tb_user,
    title    text NOT NULL,
    seconds  integer NOT NULL
);

-- Indexes on the columns changes are mapped by (the NOTICE at declaration
-- names any that is missing).
CREATE INDEX ON tb_user (fk_org);
CREATE INDEX ON tb_user (fk_manager);
CREATE INDEX ON tb_post (fk_user);
CREATE INDEX ON tb_post (fk_category);
CREATE INDEX ON tb_comment (fk_post);
CREATE INDEX ON tb_comment (fk_user);
CREATE INDEX ON tb_post_tag (fk_tag);
CREATE INDEX ON tb_category_path (fk_ancestor);
CREATE INDEX ON tb_category USING gin (ancestors);
CREATE INDEX ON tb_order (fk_user);
CREATE INDEX ON tb_order (status);
CREATE INDEX ON tb_order (placed_day);
CREATE INDEX ON tb_event (fk_user);
CREATE INDEX ON tb_event (kind);
CREATE INDEX ON tb_article (fk_user);
CREATE INDEX ON tb_video (fk_user);

INSERT INTO tb_org VALUES (1, 'Acme'), (2, 'Globex');
INSERT INTO tb_user VALUES
    (1, '00000000-0000-0000-0000-000000000001', 1, NULL, 'alice', true),
    (2, '00000000-0000-0000-0000-000000000002', 1, 1,    'bob',   true),
    (3, '00000000-0000-0000-0000-000000000003', 2, NULL, 'carol', false);
INSERT INTO tb_category VALUES
    (1, NULL, 'root', '{}'), (2, 1, 'databases', '{1}'), (3, 2, 'postgres', '{1,2}');
INSERT INTO tb_category_path VALUES
    (1, 1, 0), (2, 2, 0), (2, 1, 1), (3, 3, 0), (3, 2, 1), (3, 1, 2);
INSERT INTO tb_post VALUES
    (1, '00000000-0000-0000-0000-000000000101', 1, 3, 'Hello',  'published', '2026-01-01 10:00', 1),
    (2, '00000000-0000-0000-0000-000000000102', 1, NULL, 'Draft', 'draft',   NULL,               1),
    (3, '00000000-0000-0000-0000-000000000103', 2, 2, 'Bob''s', 'published', '2026-01-02 09:00', 1);
INSERT INTO tb_comment VALUES
    (1, 1, 2, 'nice',   '2026-01-01 11:00'),
    (2, 1, 3, 'thanks', '2026-01-01 11:00'),     -- same time as 1: ties are normal
    (3, 3, 1, 'hm',     '2026-01-03 08:00');
INSERT INTO tb_tag VALUES (1, 'sql'), (2, 'postgres');
INSERT INTO tb_post_tag (fk_post, fk_tag) VALUES (1, 1), (1, 2), (3, 2);
INSERT INTO tb_order VALUES
    (1, 1, 'new',  'eu', 10.50, 1.5, '2026-01-01 10:00'),
    (2, 1, 'paid', 'us',  2.25, 0.1, '2026-01-02 12:00'),
    (3, 2, 'paid', NULL,  7.00, 0.2, '2026-01-02 13:00');
INSERT INTO tb_event VALUES
    (1, 1, 'login', '2026-01-05 08:00'), (2, 1, 'logout', '2026-02-07 09:00'),
    (3, 2, 'login', '2026-03-01 10:00');
INSERT INTO tb_article VALUES (1, 1, 'Why SQL'), (2, 2, 'Indexes');
INSERT INTO tb_video VALUES (1, 1, 'Intro', 90);

------------------------------------------------------------------------------
-- A. Accepted: the idiom translates directly
------------------------------------------------------------------------------

-- [A1] A table, filtered (pg_ivm: create_immv('m', 'SELECT * FROM t');
--      pg_tviews: a tv_user over tb_user).
SELECT readmodel.create('tv_active_user', $$
    SELECT u.pk_user, u.id, u.name, u.fk_org
    FROM tb_user u
    WHERE u.active
$$);
UPDATE tb_user SET active = true WHERE pk_user = 3;      -- enters the model
UPDATE tb_user SET active = false WHERE pk_user = 2;     -- leaves it
UPDATE tb_user SET name = 'Alice' WHERE pk_user = 1;
SELECT cookbook.exact('A1', 'tv_active_user');

-- [A2] N:1 joins, a chain of them, and a self join (pg_ivm: inner joins,
--      self joins; pg_tviews: the author embedded in tv_post).
SELECT readmodel.create('tv_user_card', $$
    SELECT u.pk_user, u.name, o.name AS org, m.name AS manager
    FROM tb_user u
    JOIN tb_org o ON o.pk_org = u.fk_org
    LEFT JOIN tb_user m ON m.pk_user = u.fk_manager
$$);
SELECT readmodel.create('tv_post_org', $$
    SELECT p.pk_post, p.title, u.name AS author, o.name AS org
    FROM tb_post p
    JOIN tb_user u ON u.pk_user = p.fk_user
    JOIN tb_org o ON o.pk_org = u.fk_org
$$);
UPDATE tb_org SET name = 'Acme Inc' WHERE pk_org = 1;     -- reaches users and posts of org 1
UPDATE tb_user SET fk_org = 2 WHERE pk_user = 2;          -- bob moves org
UPDATE tb_user SET name = 'Al' WHERE pk_user = 1;         -- the manager of bob is renamed
UPDATE tb_user SET fk_manager = 3 WHERE pk_user = 2;
SELECT cookbook.exact('A2', 'tv_user_card');
SELECT cookbook.exact('A2', 'tv_post_org');

-- [A3] A JSON document per entity: nested jsonb_build_object, children as a
--      correlated jsonb_agg ordered by a unique key (pg_tviews' tv_post).
SELECT readmodel.create('tv_post', $$
    SELECT p.pk_post, p.id, p.fk_user,
           jsonb_build_object(
               'id', p.id,
               'title', p.title,
               'author', jsonb_build_object('id', u.id, 'name', u.name),
               'comments', COALESCE(
                   (SELECT jsonb_agg(jsonb_build_object('body', c.body, 'by', cu.name)
                                     ORDER BY c.created_at, c.pk_comment)
                    FROM tb_comment c JOIN tb_user cu ON cu.pk_user = c.fk_user
                    WHERE c.fk_post = p.pk_post),
                   '[]'::jsonb)) AS data
    FROM tb_post p
    JOIN tb_user u ON u.pk_user = p.fk_user
$$);
INSERT INTO tb_comment VALUES (4, 2, 1, 'first!', '2026-01-04 10:00');
UPDATE tb_comment SET body = 'very nice' WHERE pk_comment = 1;
UPDATE tb_user SET name = 'Carol' WHERE pk_user = 3;      -- a commenter, in another post's array
UPDATE tb_comment SET fk_post = 3 WHERE pk_comment = 2;   -- moves: both posts change
DELETE FROM tb_comment WHERE pk_comment = 3;
SELECT cookbook.exact('A3', 'tv_post');

-- [A4] GROUP BY the root key with LEFT JOINs that fan out, jsonb_agg with
--      FILTER (pg_tviews' DDL reference shape; ORDER BY added, see B14).
SELECT readmodel.create('tv_post_grouped', $$
    SELECT p.pk_post, p.id,
           jsonb_build_object(
               'title', p.title,
               'author', u.name,
               'comments', COALESCE(
                   jsonb_agg(jsonb_build_object('body', c.body, 'by', cu.name)
                             ORDER BY c.created_at, c.pk_comment)
                       FILTER (WHERE c.pk_comment IS NOT NULL),
                   '[]'::jsonb),
               'n_comments', count(c.pk_comment)) AS data
    FROM tb_post p
    JOIN tb_user u ON u.pk_user = p.fk_user
    LEFT JOIN tb_comment c ON c.fk_post = p.pk_post
    LEFT JOIN tb_user cu ON cu.pk_user = c.fk_user
    GROUP BY p.pk_post, p.id, p.title, u.name
$$);
INSERT INTO tb_comment VALUES (5, 1, 2, 'again', '2026-01-05 10:00'), (6, 2, 3, 'hi', '2026-01-05 11:00');
UPDATE tb_user SET name = 'Bobby' WHERE pk_user = 2;
DELETE FROM tb_comment WHERE fk_post = 2;                 -- post 2 back to no comments
SELECT cookbook.exact('A4', 'tv_post_grouped');

-- [A5] Aggregates per value of a column, HAVING (pg_ivm: SELECT i, sum(j),
--      count(*), avg(j), min(j), max(j) FROM t GROUP BY i; HAVING is
--      refused there).
SELECT readmodel.create('tv_order_status', $$
    SELECT o.status, count(*) AS n, sum(o.amount) AS total, avg(o.amount) AS mean,
           min(o.amount) AS smallest, max(o.placed_at) AS last_at
    FROM tb_order o
    GROUP BY o.status
$$);
SELECT readmodel.create('tv_busy_status', $$
    SELECT o.status, count(*) AS n
    FROM tb_order o
    GROUP BY o.status
    HAVING count(*) > 1
$$);
INSERT INTO tb_order VALUES (4, 2, 'new', 'eu', 1.00, 0.3, '2026-01-03 09:00');   -- 'new' passes the HAVING
UPDATE tb_order SET status = 'shipped' WHERE pk_order = 2;                        -- a new group
UPDATE tb_order SET amount = 99.99 WHERE pk_order = 1;
DELETE FROM tb_order WHERE pk_order = 3;                                          -- 'paid' empties
SELECT cookbook.exact('A5', 'tv_order_status');
SELECT cookbook.exact('A5', 'tv_busy_status');

-- [A6] An aggregate per parent (pg_tviews: pg_tviews_create_aggregate with
--      group_keys '{"tb_order": "fk_user", ...}').  No group_keys: routes
--      come from the definition.
SELECT readmodel.create('tv_user_orders', $$
    SELECT o.fk_user, count(*) AS n, sum(o.amount) AS total
    FROM tb_order o
    GROUP BY o.fk_user
$$);
-- With the parent's columns: make the parent the root.
SELECT readmodel.create('tv_user_summary', $$
    SELECT u.pk_user, u.id,
           jsonb_build_object('name', u.name, 'orders', count(*), 'total', sum(o.amount)) AS data
    FROM tb_user u
    JOIN tb_order o ON o.fk_user = u.pk_user
    GROUP BY u.pk_user
$$);
UPDATE tb_order SET fk_user = 2 WHERE pk_order = 1;       -- moves between groups
INSERT INTO tb_order VALUES (5, 3, 'new', 'us', 5.00, 0.4, '2026-01-04 09:00');  -- carol's first
UPDATE tb_user SET name = 'Bob' WHERE pk_user = 2;
SELECT cookbook.exact('A6', 'tv_user_orders');
SELECT cookbook.exact('A6', 'tv_user_summary');

-- [A7] SELECT DISTINCT of one column (pg_ivm: SELECT DISTINCT j FROM t).
SELECT readmodel.create('tv_statuses', $$
    SELECT DISTINCT o.status FROM tb_order o
$$);
INSERT INTO tb_order VALUES (6, 1, 'cancelled', NULL, 3.00, 0.5, '2026-01-06 09:00');
UPDATE tb_order SET status = 'new' WHERE pk_order = 2;    -- 'shipped' disappears
SELECT cookbook.exact('A7', 'tv_statuses');

-- [A8] DISTINCT ON at the top level: the latest order of each user
--      (pg_tviews: the DISTINCT ON key is the identity).
SELECT readmodel.create('tv_latest_order', $$
    SELECT DISTINCT ON (o.fk_user) o.fk_user, o.pk_order, o.amount, o.placed_at
    FROM tb_order o
    ORDER BY o.fk_user, o.placed_at DESC, o.pk_order DESC
$$);
INSERT INTO tb_order VALUES (7, 1, 'new', 'eu', 8.00, 0.6, '2026-02-01 09:00');   -- alice's latest
DELETE FROM tb_order WHERE pk_order = 7;                                          -- and back
UPDATE tb_order SET placed_at = '2026-03-01 00:00' WHERE pk_order = 4;
SELECT cookbook.exact('A8', 'tv_latest_order');

-- [A9] EXISTS, IN, NOT EXISTS (pg_ivm: EXISTS in WHERE; pg_trickle: semi
--      and anti joins).
SELECT readmodel.create('tv_author', $$
    SELECT u.pk_user, u.name
    FROM tb_user u
    WHERE EXISTS (SELECT 1 FROM tb_post p WHERE p.fk_user = u.pk_user AND p.status = 'published')
$$);
SELECT readmodel.create('tv_buyer', $$
    SELECT u.pk_user, u.name
    FROM tb_user u
    WHERE u.pk_user IN (SELECT o.fk_user FROM tb_order o WHERE o.status = 'new')
$$);
SELECT readmodel.create('tv_not_a_manager', $$
    SELECT u.pk_user, u.name
    FROM tb_user u
    WHERE NOT EXISTS (SELECT FROM tb_user r WHERE r.fk_manager = u.pk_user)
$$);
UPDATE tb_post SET status = 'published', published_at = '2026-01-07 10:00' WHERE pk_post = 2;
UPDATE tb_post SET status = 'draft' WHERE pk_post = 3;    -- bob is no longer an author
UPDATE tb_order SET status = 'paid' WHERE fk_user = 3;
UPDATE tb_user SET fk_manager = 1 WHERE pk_user = 3;
SELECT cookbook.exact('A9', 'tv_author');
SELECT cookbook.exact('A9', 'tv_buyer');
SELECT cookbook.exact('A9', 'tv_not_a_manager');

-- [A10] Subqueries in FROM and WITH (pg_ivm: simple subqueries and CTEs,
--       also a CTE read twice; a grouped subquery is refused there).
SELECT readmodel.create('tv_post_stats', $$
    WITH counts AS MATERIALIZED (
        SELECT c.fk_post, count(*) AS n FROM tb_comment c GROUP BY c.fk_post
    ),
    authors AS (
        SELECT u.pk_user, upper(u.name) AS shout FROM tb_user u
    )
    SELECT p.pk_post, a.shout, COALESCE(n1.n, 0) AS comments,
           (SELECT n2.n FROM counts n2 WHERE n2.fk_post = p.pk_post) AS again
    FROM tb_post p
    JOIN authors a ON a.pk_user = p.fk_user
    LEFT JOIN counts n1 ON n1.fk_post = p.pk_post
$$);
SELECT readmodel.create('tv_published', $$
    SELECT s.pk_post, s.title
    FROM (SELECT p.pk_post, p.title FROM tb_post p WHERE p.status = 'published') s
$$);
INSERT INTO tb_comment VALUES (7, 2, 2, 'ok', '2026-01-08 10:00');
UPDATE tb_user SET name = 'alice' WHERE pk_user = 1;
UPDATE tb_post SET status = 'draft' WHERE pk_post = 1;
SELECT cookbook.exact('A10', 'tv_post_stats');
SELECT cookbook.exact('A10', 'tv_published');

-- [A11] Views, and views over views, as sources (pg_tviews: the v_ layer;
--       pg_ivm refuses views).  CREATE OR REPLACE VIEW rebuilds the models
--       that read the view.
CREATE VIEW v_user AS
    SELECT u.pk_user, u.name, u.fk_org FROM tb_user u WHERE u.active;
CREATE VIEW v_post AS
    SELECT p.pk_post, p.title, p.fk_user, vu.name AS author
    FROM tb_post p JOIN v_user vu ON vu.pk_user = p.fk_user;
SELECT readmodel.create('tv_post_from_view', $$
    SELECT vp.pk_post, jsonb_build_object('title', vp.title, 'author', vp.author) AS data
    FROM v_post vp
$$);
UPDATE tb_user SET active = false WHERE pk_user = 1;      -- alice's posts leave v_post
UPDATE tb_user SET active = true WHERE pk_user = 2;
UPDATE tb_post SET title = 'Bob''s post' WHERE pk_post = 3;
SELECT cookbook.exact('A11', 'tv_post_from_view');
CREATE OR REPLACE VIEW v_user AS
    SELECT u.pk_user, initcap(u.name) AS name, u.fk_org FROM tb_user u;
SELECT cookbook.exact('A11', 'tv_post_from_view');

-- [A12] Outer joins: an optional parent (LEFT JOIN), and the entity on the
--       right of a RIGHT JOIN (pg_ivm 1.13 outer joins; pg_tviews LEFT JOIN).
SELECT readmodel.create('tv_post_category', $$
    SELECT p.pk_post, p.title, c.name AS category
    FROM tb_post p
    LEFT JOIN tb_category c ON c.pk_category = p.fk_category
$$);
SELECT readmodel.create('tv_post_author', $$
    SELECT p.pk_post, p.title, u.name AS author
    FROM tb_user u
    RIGHT JOIN tb_post p ON p.fk_user = u.pk_user
$$);
UPDATE tb_post SET fk_category = 1 WHERE pk_post = 2;
UPDATE tb_post SET fk_category = NULL WHERE pk_post = 1;
UPDATE tb_category SET name = 'DB' WHERE pk_category = 2;
UPDATE tb_user SET name = 'bob' WHERE pk_user = 2;
SELECT cookbook.exact('A12', 'tv_post_category');
SELECT cookbook.exact('A12', 'tv_post_author');

-- [A13] The first or latest child(ren): LEFT JOIN LATERAL ... ORDER BY ...
--       LIMIT n, and a DISTINCT ON subquery joined on its DISTINCT ON
--       column (pg_tviews: the first-row join; see B4 for ROW_NUMBER).
SELECT readmodel.create('tv_post_last_comment', $$
    SELECT p.pk_post, last.body AS last_comment, last.created_at AS last_at
    FROM tb_post p
    LEFT JOIN LATERAL (
        SELECT c.body, c.created_at FROM tb_comment c
        WHERE c.fk_post = p.pk_post
        ORDER BY c.created_at DESC, c.pk_comment DESC
        LIMIT 1) last ON true
$$);
SELECT readmodel.create('tv_post_last_two', $$
    SELECT p.pk_post,
           COALESCE(jsonb_agg(l.body ORDER BY l.created_at DESC, l.pk_comment DESC)
                        FILTER (WHERE l.pk_comment IS NOT NULL), '[]') AS last_two
    FROM tb_post p
    LEFT JOIN LATERAL (
        SELECT c.pk_comment, c.body, c.created_at FROM tb_comment c
        WHERE c.fk_post = p.pk_post
        ORDER BY c.created_at DESC, c.pk_comment DESC
        LIMIT 2) l ON true
    GROUP BY p.pk_post
$$);
SELECT readmodel.create('tv_user_first_order', $$
    SELECT u.pk_user, u.name, f.pk_order AS first_order, f.amount AS first_amount
    FROM tb_user u
    LEFT JOIN (SELECT DISTINCT ON (o.fk_user) o.fk_user, o.pk_order, o.amount
               FROM tb_order o
               ORDER BY o.fk_user, o.placed_at, o.pk_order) f ON f.fk_user = u.pk_user
$$);
INSERT INTO tb_comment VALUES (8, 1, 3, 'latest', '2026-02-01 10:00');   -- pushes one out
DELETE FROM tb_comment WHERE pk_comment = 8;                             -- brings it back
INSERT INTO tb_order VALUES (8, 3, 'new', 'eu', 4.00, 0.7, '2025-12-31 23:00');  -- carol's new first
UPDATE tb_order SET placed_at = '2027-01-01 00:00' WHERE pk_order = 8;           -- and not any more
SELECT cookbook.exact('A13', 'tv_post_last_comment');
SELECT cookbook.exact('A13', 'tv_post_last_two');
SELECT cookbook.exact('A13', 'tv_user_first_order');

-- [A14] Arrays: an ARRAY(...) subquery and array_agg ordered by a unique key,
--       functions of an array column (pg_tviews: array columns).
SELECT readmodel.create('tv_post_tags', $$
    SELECT p.pk_post,
           ARRAY(SELECT t.name FROM tb_post_tag pt JOIN tb_tag t ON t.pk_tag = pt.fk_tag
                 WHERE pt.fk_post = p.pk_post ORDER BY t.name) AS tags,
           (SELECT array_agg(pt.fk_tag ORDER BY pt.fk_tag) FROM tb_post_tag pt
            WHERE pt.fk_post = p.pk_post) AS tag_ids
    FROM tb_post p
$$);
SELECT readmodel.create('tv_category_depth', $$
    SELECT c.pk_category, c.name, cardinality(c.ancestors) AS depth, c.ancestors[1] AS top
    FROM tb_category c
$$);
INSERT INTO tb_tag VALUES (3, 'cqrs');
INSERT INTO tb_post_tag (fk_post, fk_tag) VALUES (2, 3), (1, 3);
UPDATE tb_tag SET name = 'pg' WHERE pk_tag = 2;
DELETE FROM tb_post_tag WHERE fk_post = 1 AND fk_tag = 1;
UPDATE tb_category SET ancestors = '{1}', fk_parent = 1 WHERE pk_category = 3;
SELECT cookbook.exact('A14', 'tv_post_tags');
SELECT cookbook.exact('A14', 'tv_category_depth');

-- [A15] count(DISTINCT ...), FILTER, string_agg and ordered-set aggregates
--       (pg_ivm refuses aggregates with options).
SELECT readmodel.create('tv_post_activity', $$
    SELECT p.pk_post,
           (SELECT count(DISTINCT c.fk_user) FROM tb_comment c WHERE c.fk_post = p.pk_post) AS commenters,
           (SELECT count(*) FILTER (WHERE length(c.body) > 3) FROM tb_comment c
            WHERE c.fk_post = p.pk_post) AS long_comments,
           (SELECT string_agg(c.body, ' / ' ORDER BY c.body) FROM tb_comment c
            WHERE c.fk_post = p.pk_post) AS bodies
    FROM tb_post p
$$);
SELECT readmodel.create('tv_status_median', $$
    SELECT o.status, percentile_disc(0.5) WITHIN GROUP (ORDER BY o.amount) AS median
    FROM tb_order o
    GROUP BY o.status
$$);
INSERT INTO tb_comment VALUES (9, 1, 2, 'yes', '2026-02-02 10:00'), (10, 1, 2, 'longer one', '2026-02-02 11:00');
UPDATE tb_order SET amount = 0.50 WHERE pk_order = 4;
SELECT cookbook.exact('A15', 'tv_post_activity');
SELECT cookbook.exact('A15', 'tv_status_median');

-- [A16] A partitioned table as a source, as a child and as the root of a
--       GROUP BY (pg_ivm refuses partitioned tables; pg_tviews maps writes
--       to partitions).
SELECT readmodel.create('tv_user_events', $$
    SELECT u.pk_user,
           (SELECT count(*) FROM tb_event e WHERE e.fk_user = u.pk_user) AS events,
           (SELECT max(e.occurred_at) FROM tb_event e WHERE e.fk_user = u.pk_user) AS last_event
    FROM tb_user u
$$);
SELECT readmodel.create('tv_event_kind', $$
    SELECT e.kind, count(*) AS n FROM tb_event e GROUP BY e.kind
$$);
INSERT INTO tb_event VALUES (4, 3, 'login', '2026-02-10 10:00');
INSERT INTO tb_event_2026_01 VALUES (5, 2, 'purchase', '2026-01-20 10:00');      -- into a partition
UPDATE tb_event SET occurred_at = '2026-04-01 10:00' WHERE pk_event = 1;         -- moves partition
DELETE FROM tb_event WHERE pk_event = 2;
-- the partitioned table as the root of a model that joins a parent: a
-- change to tb_user is mapped by reading tb_event by fk_user
SELECT readmodel.create('tv_event_who', $$
    SELECT e.pk_event, e.occurred_at, u.name AS who
    FROM tb_event e JOIN tb_user u ON u.pk_user = e.fk_user
$$);
UPDATE tb_user SET name = 'Bob' WHERE pk_user = 2;
UPDATE tb_event SET fk_user = 1 WHERE pk_event = 3;
SELECT cookbook.exact('A16', 'tv_user_events');
SELECT cookbook.exact('A16', 'tv_event_kind');
SELECT cookbook.exact('A16', 'tv_event_who');

-- [A17] Models reading models: embed another model's document, aggregate
--       a model's rows (pg_tviews: embedding tv_user in tv_post, and an
--       aggregate TVIEW in another).
SELECT readmodel.create('tv_user', $$
    SELECT u.pk_user, u.id, jsonb_build_object('id', u.id, 'name', u.name) AS data
    FROM tb_user u
$$);
SELECT readmodel.create('tv_post_embed', $$
    SELECT p.pk_post, p.fk_user,
           jsonb_build_object('title', p.title, 'author', a.data) AS data
    FROM tb_post p
    JOIN tv_user a ON a.pk_user = p.fk_user
$$);
SELECT readmodel.create('tv_user_page', $$
    SELECT u.pk_user,
           jsonb_build_object(
               'user', u.data,
               'orders', s.n,
               'posts', (SELECT COALESCE(jsonb_agg(pe.data ORDER BY pe.pk_post), '[]')
                         FROM tv_post_embed pe WHERE pe.fk_user = u.pk_user)) AS data
    FROM tv_user u
    LEFT JOIN tv_user_orders s ON s.fk_user = u.pk_user
$$);
UPDATE tb_user SET name = 'ALICE' WHERE pk_user = 1;      -- flows tv_user -> tv_post_embed -> tv_user_page
INSERT INTO tb_post VALUES (4, '00000000-0000-0000-0000-000000000104', 3, NULL, 'Carol''s', 'draft', NULL, 1);
INSERT INTO tb_order VALUES (9, 1, 'new', 'us', 1.25, 0.8, '2026-02-03 10:00');
SELECT cookbook.exact('A17', 'tv_user');
SELECT cookbook.exact('A17', 'tv_post_embed');
SELECT cookbook.exact('A17', 'tv_user_page');

-- [A18] Maintained after every statement instead of at commit (pg_ivm's
--       immediate maintenance): {"mode": "statement"}, or readmodel.flush().
SELECT readmodel.create('tv_org', $$
    SELECT o.pk_org, o.name, (SELECT count(*) FROM tb_user u WHERE u.fk_org = o.pk_org) AS members
    FROM tb_org o
$$, '{"mode": "statement"}');
BEGIN;
INSERT INTO tb_org VALUES (3, 'Initech');
SELECT cookbook.must('A18', (SELECT members FROM tv_org WHERE pk_org = 3) = 0,
                     'statement mode: the new org is in tv_org before COMMIT');
UPDATE tb_user SET fk_org = 3 WHERE pk_user = 3;
SELECT cookbook.must('A18', (SELECT members FROM tv_org WHERE pk_org = 3) = 1,
                     'statement mode: the member count follows the UPDATE');
COMMIT;
BEGIN;
UPDATE tb_user SET name = 'bob!' WHERE pk_user = 2;
SELECT readmodel.flush() > 0 AS flushed;
SELECT cookbook.must('A18', (SELECT name FROM tv_user_card WHERE pk_user = 2) = 'bob!',
                     'commit mode: readmodel.flush() applies the queued work before COMMIT');
COMMIT;
SELECT cookbook.exact('A18', 'tv_org');
SELECT cookbook.exact('A18', 'tv_user_card');

-- [A19] refresh, replace, drop (pg_ivm: refresh_immv; pg_tviews:
--       pg_tviews_refresh, pg_tviews_create_or_replace, pg_tviews_drop).
SELECT readmodel.refresh('tv_post') >= 0 AS refreshed;
SELECT readmodel.create('tv_active_user', $$
    SELECT u.pk_user, u.id, u.name, u.fk_org, u.fk_manager
    FROM tb_user u
    WHERE u.active
$$, '{"replace": true}');
UPDATE tb_user SET fk_manager = 2 WHERE pk_user = 1;
SELECT cookbook.exact('A19', 'tv_post');
SELECT cookbook.exact('A19', 'tv_active_user');
-- every model, rebuilt (pg_tviews_refresh_all; models reading others follow)
SELECT count(readmodel.refresh(m.name::text)) AS refreshed FROM readmodel.models m;
-- what pg_tviews_health_check / _debug_queue / _mapping_query report
SELECT cookbook.must('A19', NOT EXISTS (SELECT FROM readmodel.health_check() WHERE status <> 'ok'),
                     'readmodel.health_check() reports every model ok');
SELECT cookbook.must('A19', EXISTS (SELECT FROM readmodel.explain('tv_post')
                                    WHERE source = 'tb_comment'::regclass AND kind = 'subquery'),
                     'readmodel.explain() shows how tb_comment reaches tv_post');
BEGIN;
UPDATE tb_user SET name = 'bob' WHERE pk_user = 2;
SELECT cookbook.must('A19', EXISTS (SELECT FROM readmodel.debug_queue() WHERE model = 'tv_user_card'::regclass),
                     'readmodel.debug_queue() lists the keys queued in this transaction');
COMMIT;
SELECT readmodel.create('tv_scratch', $$ SELECT t.pk_tag, t.name FROM tb_tag t $$);
SELECT readmodel.drop('tv_scratch');
SELECT cookbook.must('A19', to_regclass('tv_scratch') IS NULL AND to_regclass('tv_scratch_def') IS NULL,
                     'readmodel.drop removes the table and its definition view');

-- [A20] Keyed by another unique NOT NULL column: the public uuid.
SELECT readmodel.create('tv_user_by_id', $$
    SELECT u.id, u.name, o.name AS org
    FROM tb_user u JOIN tb_org o ON o.pk_org = u.fk_org
$$, '{"key": "id"}');
UPDATE tb_user SET name = 'carol' WHERE pk_user = 3;
UPDATE tb_org SET name = 'Globex Corp' WHERE pk_org = 2;
SELECT cookbook.exact('A20', 'tv_user_by_id');

-- [A21] Composite keys: a root with a two-column primary key, GROUP BY,
--       DISTINCT and DISTINCT ON of two columns, a partitioned root keyed by
--       its (id, partition key) primary key, and options key as an array
--       (pg_ivm: GROUP BY i, j and DISTINCT over several columns; pg_tviews
--       refuses a composite DISTINCT ON).
SELECT readmodel.create('tv_post_tag', $$
    SELECT pt.fk_post, pt.fk_tag, t.name AS tag
    FROM tb_post_tag pt JOIN tb_tag t ON t.pk_tag = pt.fk_tag
$$);
SELECT readmodel.create('tv_status_user', $$
    SELECT o.status, o.fk_user, count(*) AS n, sum(o.amount) AS total
    FROM tb_order o
    GROUP BY o.status, o.fk_user
$$);
SELECT readmodel.create('tv_user_statuses', $$
    SELECT DISTINCT o.fk_user, o.status FROM tb_order o
$$);
SELECT readmodel.create('tv_latest_per_user_status', $$
    SELECT DISTINCT ON (o.fk_user, o.status) o.fk_user, o.status, o.pk_order, o.amount
    FROM tb_order o
    ORDER BY o.fk_user, o.status, o.placed_at DESC, o.pk_order DESC
$$);
SELECT readmodel.create('tv_event', $$
    SELECT e.pk_event, e.occurred_at, e.kind, e.fk_user
    FROM tb_event e
$$);
SELECT readmodel.create('tv_tag_post', $$
    SELECT pt.fk_tag, pt.fk_post, p.title
    FROM tb_post_tag pt JOIN tb_post p ON p.pk_post = pt.fk_post
$$, '{"key": ["fk_tag", "fk_post"]}');
INSERT INTO tb_post_tag (fk_post, fk_tag) VALUES (4, 1);
UPDATE tb_tag SET name = 'SQL' WHERE pk_tag = 1;
DELETE FROM tb_post_tag WHERE fk_post = 3;
INSERT INTO tb_order VALUES (10, 2, 'paid', 'eu', 6.00, 0.9, '2026-02-04 10:00');
UPDATE tb_order SET fk_user = 3 WHERE pk_order = 2;       -- moves between (status, user) groups
UPDATE tb_order SET status = 'paid' WHERE pk_order = 5;
DELETE FROM tb_order WHERE pk_order = 6;
UPDATE tb_event SET occurred_at = '2026-02-15 10:00' WHERE pk_event = 4;   -- the key changes
UPDATE tb_user SET name = 'Carol' WHERE pk_user = 3;
SELECT cookbook.exact('A21', 'tv_post_tag');
SELECT cookbook.exact('A21', 'tv_status_user');
SELECT cookbook.exact('A21', 'tv_user_statuses');
SELECT cookbook.exact('A21', 'tv_latest_per_user_status');
SELECT cookbook.exact('A21', 'tv_event');
SELECT cookbook.exact('A21', 'tv_tag_post');

-- [A22] Joining through an array column: = ANY (c.ancestors) (pg_tviews:
--       joining on an array of keys).  A GIN index on the array serves the
--       lookups a change of a referenced row makes.
SELECT readmodel.create('tv_category_ancestors', $$
    SELECT c.pk_category, c.name,
           (SELECT jsonb_agg(a.name ORDER BY a.pk_category) FROM tb_category a
            WHERE a.pk_category = ANY (c.ancestors)) AS path
    FROM tb_category c
$$);
UPDATE tb_category SET name = 'Root' WHERE pk_category = 1;      -- in the path of every category under it
UPDATE tb_category SET ancestors = '{1,2}' WHERE pk_category = 3; -- an element added
INSERT INTO tb_category VALUES (4, 3, 'pg16', '{1,2,3}');
UPDATE tb_category SET name = 'PostgreSQL' WHERE pk_category = 3;
UPDATE tb_category SET ancestors = '{1,3}' WHERE pk_category = 4; -- an element removed
DELETE FROM tb_category WHERE pk_category = 4;
SELECT cookbook.exact('A22', 'tv_category_ancestors');

-- [A23] Grouping by an expression of root columns (pg_ivm: expressions in
--       GROUP BY; this was B1): date_trunc('day', ...) as the key, a column
--       and a cast as a two-part key, an expression of a nullable column
--       filtered by WHERE <the expression> IS NOT NULL, and the generated
--       column that was B1's rewrite.
CREATE INDEX ON tb_order (date_trunc('day', placed_at));   -- recomputing a day reads its orders
SELECT readmodel.create('tv_orders_per_day', $$
    SELECT date_trunc('day', o.placed_at) AS day, count(*) AS n, sum(o.amount) AS total
    FROM tb_order o GROUP BY 1
$$);
SELECT readmodel.create('tv_user_days', $$
    SELECT o.fk_user, o.placed_at::date AS day, count(*) AS n
    FROM tb_order o
    GROUP BY o.fk_user, o.placed_at::date
$$);
SELECT readmodel.create('tv_posts_per_month', $$
    SELECT date_trunc('month', p.published_at) AS month, count(*) AS n
    FROM tb_post p
    WHERE date_trunc('month', p.published_at) IS NOT NULL
    GROUP BY 1
$$);
--   (tb_order.placed_day date NOT NULL GENERATED ALWAYS AS (placed_at::date) STORED)
SELECT readmodel.create('tv_orders_per_placed_day', $$
    SELECT o.placed_day, count(*) AS n, sum(o.amount) AS total
    FROM tb_order o GROUP BY o.placed_day
$$);
INSERT INTO tb_order VALUES (11, 1, 'new', 'eu', 2.00, 1.0, '2026-01-02 23:59');   -- joins order 2's day
UPDATE tb_order SET placed_at = placed_at + interval '1 day' WHERE pk_order = 4;   -- its day empties, the next appears
UPDATE tb_order SET placed_at = '2026-01-02 08:00' WHERE pk_order = 5;            -- into a day that has orders
DELETE FROM tb_order WHERE pk_order = 8;                                          -- the last order of its day
UPDATE tb_order SET amount = amount + 1 WHERE pk_order = 2;                       -- same day, new total
UPDATE tb_post SET published_at = NULL WHERE pk_post = 3;                         -- leaves January's count
UPDATE tb_post SET published_at = '2026-02-10 10:00' WHERE pk_post = 4;           -- February appears
SELECT cookbook.exact('A23', 'tv_orders_per_day');
SELECT cookbook.exact('A23', 'tv_user_days');
SELECT cookbook.exact('A23', 'tv_posts_per_month');
SELECT cookbook.exact('A23', 'tv_orders_per_placed_day');

-- [A24] Grouping by a parent's columns next to the root column that joins
--       it (pg_tviews' aggregate TVIEW: GROUP BY o.fk_user, u.id, u.name;
--       this was the first definition of B16).  The key is o.fk_user; the
--       user's row, and the org's row through it, are fixed by it.
SELECT readmodel.create('tv_order_user', $$
    SELECT o.fk_user, u.id, count(*) AS n
    FROM tb_order o JOIN tb_user u ON u.pk_user = o.fk_user
    GROUP BY o.fk_user, u.id
$$);
SELECT readmodel.create('tv_order_user_card', $$
    SELECT o.fk_user, u.id, u.name, g.name AS org, count(*) AS n, sum(o.amount) AS total
    FROM tb_order o
    JOIN tb_user u ON u.pk_user = o.fk_user
    JOIN tb_org g ON g.pk_org = u.fk_org
    GROUP BY o.fk_user, u.id, u.name, g.name
$$);
UPDATE tb_user SET id = '00000000-0000-0000-0000-0000000000b2' WHERE pk_user = 2;   -- bob's row follows
UPDATE tb_user SET name = 'Bob' WHERE pk_user = 2;
UPDATE tb_user SET fk_org = 2 WHERE pk_user = 3;          -- carol moves org
UPDATE tb_org SET name = 'Globex' WHERE pk_org = 2;       -- reaches bob's and carol's rows
UPDATE tb_order SET fk_user = 3 WHERE fk_user = 1;        -- alice's group empties
INSERT INTO tb_order VALUES (17, 1, 'new', 'us', 3.50, 0.2, '2026-02-05 10:00');   -- and is back
SELECT cookbook.exact('A24', 'tv_order_user');
SELECT cookbook.exact('A24', 'tv_order_user_card');

-- [A25] Explicit sync (FraiseQL's sync_post_stats(id), the pattern for
--       tables without triggers): mode manual installs no capture
--       triggers; the mutation names what it changed.
SELECT readmodel.create('tv_post_synced', $$
    SELECT p.pk_post, count(c.pk_comment) AS comments, max(c.created_at) AS last_comment_at
    FROM tb_post p LEFT JOIN tb_comment c ON c.fk_post = p.pk_post
    GROUP BY p.pk_post
$$, '{"mode": "manual"}');
CREATE FUNCTION cookbook.add_comment(post integer, author integer, body text, id integer)
RETURNS bigint LANGUAGE plpgsql AS $f$
BEGIN
    INSERT INTO tb_comment VALUES (id, post, author, body, '2026-02-01 10:00');
    RETURN (SELECT comments FROM tv_post_synced WHERE pk_post = post
            AND readmodel.sync('tv_post_synced', ARRAY[post]) >= 0);
END
$f$;
SELECT cookbook.must('A25', (SELECT count(*) FROM pg_trigger t JOIN readmodel.model m ON true
                             WHERE m.relid = 'tv_post_synced'::regclass
                               AND t.tgrelid = ANY (m.sources::oid[])
                               AND t.tgname LIKE 'readmodel_capture_%'
                               AND NOT EXISTS (SELECT FROM readmodel.model o
                                               WHERE o.mode <> 'manual'
                                                 AND t.tgrelid = ANY (o.sources::oid[]))) = 0,
                     'no capture trigger serves tv_post_synced');
BEGIN;
SELECT cookbook.must('A25', cookbook.add_comment(1, 2, 'synced', 20) =
                            (SELECT count(*) FROM tb_comment WHERE fk_post = 1),
                     'the mutation reads the synced count in its own transaction');
COMMIT;
-- a comment moved to another post: its old and new rows
WITH old AS (SELECT c FROM tb_comment c WHERE pk_comment = 20),
     moved AS (UPDATE tb_comment SET fk_post = 2 WHERE pk_comment = 20 RETURNING tb_comment)
SELECT readmodel.sync_source('tv_post_synced', 'tb_comment',
                             (SELECT array_agg(c) FROM old) || (SELECT array_agg(tb_comment) FROM moved));
SELECT cookbook.exact('A25', 'tv_post_synced');

-- [A26] Changing a definition without blocking (the dual projection): the
--       new one is declared online beside the old, built and caught up by
--       resume(), compared, and swapped in.
SELECT readmodel.create('tv_post_card', $$
    SELECT p.pk_post, jsonb_build_object('title', p.title) AS data FROM tb_post p
$$);
SELECT readmodel.create('tv_post_card_next', $$
    SELECT p.pk_post,
           jsonb_build_object('title', p.title,
                              'comments', (SELECT count(*) FROM tb_comment c
                                           WHERE c.fk_post = p.pk_post)) AS data
    FROM tb_post p
$$, '{"online": true}');
INSERT INTO tb_comment VALUES (21, 1, 2, 'while it is built', '2026-02-02 12:00');
SELECT cookbook.must('A26', readmodel.resume('tv_post_card_next') > 0,
                     'resume() builds it and catches up with the comment');
SELECT cookbook.must('A26', (SELECT count(*) FROM readmodel.compare('tv_post_card', 'tv_post_card_next'))
                            = (SELECT count(*) FROM tb_post),
                     'compare() lists every post: each document gains a field');
SELECT readmodel.swap('tv_post_card', 'tv_post_card_next');
SELECT cookbook.must('A26', (SELECT data->>'comments' FROM tv_post_card WHERE pk_post = 1)::int
                            = (SELECT count(*) FROM tb_comment WHERE fk_post = 1),
                     'after the swap the name serves the new definition');
SELECT readmodel.drop('tv_post_card_next');
SELECT cookbook.exact('A26', 'tv_post_card');

------------------------------------------------------------------------------
-- B. Not accepted yet: the error, and the closest accepted rewrite
------------------------------------------------------------------------------

-- [B1] Grouping by an expression is accepted now: A23.

-- [B2] UNION ALL of two tables (pg_tviews: UNION TVIEWs with disjoint keys).
SELECT cookbook.refused('B2', 'tv_feed', $$
    SELECT a.pk_article AS pk_item, 'article' AS kind, a.title FROM tb_article a
    UNION ALL
    SELECT v.pk_video + 1000000, 'video', v.title FROM tb_video v
$$, '{}', '42P17', 'The key is the primary key of the root table "tb_video" (pk_video), and the definition does not select all of it.',
    'read model "public.tv_feed" has no usable key',
    'Select the root table''s primary key columns, name unique columns with options => ''{"key": ["a", "b"]}'', or GROUP BY columns of the root table.');
--   rewrite: the branches' own keys and a tag column: key (kind, pk_item).
SELECT readmodel.create('tv_feed', $$
    SELECT 'article' AS kind, a.pk_article AS pk_item, a.title FROM tb_article a
    UNION ALL
    SELECT 'video', v.pk_video, v.title FROM tb_video v
$$);
INSERT INTO tb_video VALUES (3, 1, 'Short', 60);
UPDATE tb_article SET title = title || '!' WHERE pk_article = 1;
DELETE FROM tb_video WHERE pk_video = 3;
SELECT cookbook.exact('B2', 'tv_feed');
SELECT readmodel.drop('tv_feed');
--   or one model per branch; UNION ALL when reading (a plain view).
SELECT readmodel.create('tv_article', $$
    SELECT a.pk_article, a.title, u.name AS author FROM tb_article a JOIN tb_user u ON u.pk_user = a.fk_user
$$);
SELECT readmodel.create('tv_video', $$
    SELECT v.pk_video, v.title, u.name AS author, v.seconds FROM tb_video v JOIN tb_user u ON u.pk_user = v.fk_user
$$);
CREATE VIEW v_feed AS
    SELECT 'article' AS kind, pk_article AS pk, title, author FROM tv_article
    UNION ALL
    SELECT 'video', pk_video, title, author FROM tv_video;
INSERT INTO tb_video VALUES (2, 2, 'Deep dive', 600);
UPDATE tb_user SET name = 'bob' WHERE pk_user = 2;
DELETE FROM tb_article WHERE pk_article = 1;
SELECT cookbook.exact('B2', 'tv_article');
SELECT cookbook.exact('B2', 'tv_video');
SELECT cookbook.must('B2', (SELECT count(*) FROM v_feed) = 3, 'the feed view reads both models');

-- [B3] FULL JOIN (pg_ivm 1.13: full outer joins).
SELECT cookbook.refused('B3', 'tv_post_or_user', $$
    SELECT p.pk_post, p.title, u.name AS author
    FROM tb_post p FULL JOIN tb_user u ON u.pk_user = p.fk_user
$$, '{}', '0A000', 'The root table (the first table in FROM) is on the nullable side of a FULL join.',
    'read model "public.tv_post_or_user" cannot be maintained incrementally',
    'A FULL JOIN of two tables alone, on an equality of their keys, selecting COALESCE(a.k, b.k), is accepted as it is. Else, to keep the rows of both sides, write a UNION ALL whose second branch keeps out the first one''s keys: SELECT a.k, ... FROM a LEFT JOIN b ON b.k = a.k UNION ALL SELECT b.k, ... FROM b WHERE NOT EXISTS (SELECT FROM a WHERE a.k = b.k), with a tag column (''a'' AS side) in both when the join is not on both tables'' keys. To keep one side''s rows, put that table first and LEFT JOIN the other.');
--   rewrite, exact: a UNION ALL keyed by a tag and the id, the users
--   without posts found by NOT EXISTS:
SELECT readmodel.create('tv_post_or_user', $$
    SELECT 'post' AS side, p.pk_post AS id, p.title, u.name AS author
    FROM tb_post p LEFT JOIN tb_user u ON u.pk_user = p.fk_user
    UNION ALL
    SELECT 'user', u.pk_user, NULL, u.name
    FROM tb_user u WHERE NOT EXISTS (SELECT FROM tb_post p WHERE p.fk_user = u.pk_user)
$$);
SELECT cookbook.exact('B3', 'tv_post_or_user');
INSERT INTO tb_user (pk_user, id, fk_org, name)
    VALUES (77, '00000000-0000-0000-0000-000000000077', (SELECT min(pk_org) FROM tb_org), 'nopost');
UPDATE tb_post SET fk_user = 77 WHERE pk_post = (SELECT min(pk_post) FROM tb_post);
SELECT cookbook.exact('B3', 'tv_post_or_user');
--   or a model per side; the unmatched rows of the other side are a
--   filter when reading (posts always have an author here: tv_post_author
--   of A12; users without posts):
SELECT readmodel.create('tv_user_posts', $$
    SELECT u.pk_user, u.name,
           (SELECT count(*) FROM tb_post p WHERE p.fk_user = u.pk_user) AS posts
    FROM tb_user u
$$);
DELETE FROM tb_post WHERE pk_post = 4;
UPDATE tb_post SET fk_user = 3 WHERE pk_post = 2;
SELECT cookbook.exact('B3', 'tv_user_posts');

-- [B4] Window functions: the first order per user with ROW_NUMBER() = 1
--      (pg_tviews: the first-row join).
SELECT cookbook.refused('B4', 'tv_user_first_order_rn', $$
    SELECT u.pk_user, f.pk_order AS first_order
    FROM tb_user u
    LEFT JOIN (SELECT o.fk_user, o.pk_order,
                      row_number() OVER (PARTITION BY o.fk_user ORDER BY o.placed_at, o.pk_order) AS rn
               FROM tb_order o) f ON f.fk_user = u.pk_user AND f.rn = 1
$$, '{}', '0A000', 'A subquery in FROM uses window functions, so a row depends on other rows.',
    'read model "public.tv_user_first_order_rn" cannot be maintained incrementally',
    'Compute per-entity values with correlated subqueries (count(*), max(...), ORDER BY ... LIMIT 1).');
SELECT cookbook.refused('B4', 'tv_order_rank', $$
    SELECT o.pk_order, rank() OVER (PARTITION BY o.fk_user ORDER BY o.amount DESC) AS rank_in_user
    FROM tb_order o
$$, '{}', '0A000', 'A window does not order its rows completely, so which row gets which value depends on the plan.',
    'read model "public.tv_order_rank" cannot be maintained incrementally',
    'End the window''s ORDER BY with a unique key, e.g. OVER (PARTITION BY p.fk_category ORDER BY p.price DESC, p.pk_product).');
--   rewrite: the window itself, with its partition column selected and its
--   order ending with the key: a change reranks the user's orders.
SELECT readmodel.create('tv_order_rank_window', $$
    SELECT o.pk_order, o.fk_user,
           rank() OVER (PARTITION BY o.fk_user ORDER BY o.amount DESC, o.pk_order) AS rank_in_user
    FROM tb_order o
$$);
UPDATE tb_order SET amount = amount + 5 WHERE pk_order = 1;
UPDATE tb_order SET fk_user = 2 WHERE pk_order = 2;
SELECT cookbook.exact('B4', 'tv_order_rank_window');
SELECT readmodel.drop('tv_order_rank_window');
--   rewrite: LATERAL ... ORDER BY ... LIMIT 1 (or the DISTINCT ON subquery
--   of A13); a rank as a correlated count within the partition.
SELECT readmodel.create('tv_user_first_order_lateral', $$
    SELECT u.pk_user, f.pk_order AS first_order
    FROM tb_user u
    LEFT JOIN LATERAL (SELECT o.pk_order FROM tb_order o WHERE o.fk_user = u.pk_user
                       ORDER BY o.placed_at, o.pk_order LIMIT 1) f ON true
$$);
SELECT readmodel.create('tv_order_rank', $$
    SELECT o.pk_order,
           1 + (SELECT count(*) FROM tb_order b
                WHERE b.fk_user = o.fk_user AND b.amount > o.amount) AS rank_in_user
    FROM tb_order o
$$);
INSERT INTO tb_order VALUES (12, 2, 'new', 'us', 50.00, 1.1, '2025-06-01 10:00');
UPDATE tb_order SET amount = 60.00 WHERE pk_order = 10;
DELETE FROM tb_order WHERE pk_order = 12;
SELECT cookbook.exact('B4', 'tv_user_first_order_lateral');
SELECT cookbook.exact('B4', 'tv_order_rank');

-- [B5] WITH RECURSIVE over a hierarchy (pg_trickle: recursive CTEs).
SELECT cookbook.refused('B5', 'tv_category', $$
    WITH RECURSIVE up(pk_category, fk_ancestor, depth) AS (
        SELECT c.pk_category, c.fk_parent, 1 FROM tb_category c WHERE c.fk_parent IS NOT NULL
        UNION ALL
        SELECT up.pk_category, p.fk_parent, up.depth + 1
        FROM up JOIN tb_category p ON p.pk_category = up.fk_ancestor
        WHERE p.fk_parent IS NOT NULL)
    SELECT c.pk_category, (SELECT max(up.depth) FROM up WHERE up.pk_category = c.pk_category) AS depth
    FROM tb_category c
$$, '{}', '0A000', 'WITH RECURSIVE query "up" is recursive: a change to one row can reach rows at any depth.',
    'read model "public.tv_category" cannot be maintained incrementally',
    'Store the hierarchy''s paths in a table (a closure or materialized-path table) and join it, or declare the model with options => ''{"strategy": "refresh"}'': a change of a table the recursion reads then rebuilds the whole model.');
--   rewrite: keep the paths as rows (a closure table the writer maintains)
--   and join it.
SELECT readmodel.create('tv_category', $$
    SELECT c.pk_category, c.name,
           (SELECT jsonb_agg(a.name ORDER BY cp.depth DESC, a.pk_category)
            FROM tb_category_path cp JOIN tb_category a ON a.pk_category = cp.fk_ancestor
            WHERE cp.fk_category = c.pk_category) AS path,
           (SELECT count(*) FROM tb_category_path d
            WHERE d.fk_ancestor = c.pk_category AND d.depth > 0) AS descendants
    FROM tb_category c
$$);
UPDATE tb_category SET name = 'Databases' WHERE pk_category = 2;
BEGIN;   -- move "postgres" (3) from under "databases" to directly under root
UPDATE tb_category SET fk_parent = 1 WHERE pk_category = 3;
DELETE FROM tb_category_path WHERE fk_category = 3 AND fk_ancestor = 2;
UPDATE tb_category_path SET depth = 1 WHERE fk_category = 3 AND fk_ancestor = 1;
COMMIT;
SELECT cookbook.exact('B5', 'tv_category');

-- [B6] GROUPING SETS / ROLLUP / CUBE.
SELECT cookbook.refused('B6', 'tv_status_rollup', $$
    SELECT o.status, count(*) AS n FROM tb_order o GROUP BY ROLLUP (o.status)
$$, '{}', '0A000', 'The definition''s top level uses GROUPING SETS, ROLLUP, CUBE or GROUP BY ().',
    'read model "public.tv_status_rollup" cannot be maintained incrementally',
    'Declare one read model per grouping (GROUP BY o.region, o.status; GROUP BY o.region), and add up a grand total when reading (SELECT sum(n) FROM ...).');
--   rewrite, as the hint says: a model per grouping (GROUP BY o.status is
--   tv_order_status of A5); the total row is a sum over that small table
--   when reading:
SELECT cookbook.must('B6',
    (SELECT sum(n) FROM tv_order_status) = (SELECT count(*) FROM tb_order),
    'the rollup row, summed from tv_order_status when reading');

-- [B7] An uncorrelated subquery: a global total in every row.
SELECT cookbook.refused('B7', 'tv_post_with_total', $$
    SELECT p.pk_post, p.title, (SELECT count(*) FROM tb_post) AS all_posts FROM tb_post p
$$, '{}', '0A000', 'Table tb_post (in a subquery in a select list) is not connected to the root table "tb_post" by equality conditions that hold for its rows.',
    'read model "public.tv_post_with_total" cannot be maintained incrementally',
    'Changes are mapped to read-model rows by following conditions like a.x = b.y to the root''s key.  Join or correlate every table that way, in WHERE or in an inner join''s ON, or from the nullable side of an outer join''s ON; compare columns of the same type (int = numeric needs a conversion and does not count, and neither does a cast in the definition: declare the columns with one type).  Or declare the model with options => ''{"strategy": "refresh"}'': a change of such a table then rebuilds the whole model.');
--   rewrite: read the total when reading (one row per post would otherwise
--   change on every insert):
--   SELECT p.*, (SELECT count(*) FROM tv_published) AS all_posts FROM tv_published p;
--   or accept the rebuild on every change of tb_post's count, as the hint says:
SELECT readmodel.create('tv_post_with_total', $$
    SELECT p.pk_post, p.title, (SELECT count(*) FROM tb_post) AS all_posts FROM tb_post p
$$, '{"strategy": "refresh"}');
INSERT INTO tb_post (pk_post, id, fk_user, title, status)
    SELECT 900, gen_random_uuid(), fk_user, 'extra', status FROM tb_post ORDER BY pk_post LIMIT 1;
SELECT cookbook.exact('B7', 'tv_post_with_total');
DELETE FROM tb_post WHERE pk_post = 900;
SELECT cookbook.exact('B7', 'tv_post_with_total');
SELECT readmodel.drop('tv_post_with_total');

-- [B8] Aggregates without GROUP BY (pg_ivm: SELECT sum(j), count(j) FROM t).
SELECT cookbook.refused('B8', 'tv_order_totals', $$
    SELECT count(*) AS n, sum(o.amount) AS total FROM tb_order o
$$, '{}', '0A000', 'The definition aggregates all the rows it reads into one row, and one row has no key.',
    'read model "public.tv_order_totals" cannot be maintained incrementally',
    'Group by a column with few values (GROUP BY p.status) and add the rows up when reading (SELECT sum(n) FROM tv_x).');
--   rewrite: group by a column (tv_order_status, A5) and sum its few rows
--   when reading:
SELECT cookbook.must('B8',
    (SELECT sum(total) FROM tv_order_status) = (SELECT sum(amount) FROM tb_order),
    'the grand total, summed from tv_order_status when reading');

-- [B9] A materialized view as a source.
CREATE MATERIALIZED VIEW mv_user AS SELECT u.pk_user, u.name FROM tb_user u;
SELECT cookbook.refused('B9', 'tv_user_from_mv', $$
    SELECT m.pk_user, m.name FROM mv_user m
$$, '{}', '42809', 'Read models are maintained by triggers on the ordinary tables they read.',
    'read model "public.tv_user_from_mv" reads "mv_user", which is a materialized view',
    'Read the tables it is made from, or declare its query as a read model, which is maintained without REFRESH.');
--   rewrite: read a plain view (A11) or a read model (A17) instead:
--   tv_user reads tb_user and replaces mv_user with no REFRESH.

-- [B10] now(), CURRENT_DATE, random() (pg_tviews: time-dependent TVIEWs
--       refreshed at a boundary).
SELECT cookbook.refused('B10', 'tv_post_recent', $$
    SELECT p.pk_post, p.published_at > now() - interval '7 days' AS recent FROM tb_post p
$$, '{}', '42P17', 'It is STABLE: it may depend on the time, the session, the catalog or a setting maintenance does not pin.',
    'read model "public.tv_post_recent" uses function now(), whose result can change without any change to the source tables',
    'Use an IMMUTABLE function (for text search, the form with a configuration, e.g. to_tsvector(''english'', ...)), or compute the value at query time.');
SELECT cookbook.refused('B10', 'tv_post_age', $$
    SELECT p.pk_post, CURRENT_DATE - p.published_at::date AS age_days FROM tb_post p
$$, '{}', '42P17', 'The definition''s top level uses CURRENT_DATE, CURRENT_USER or a similar SQL value function, which depends on the time or the session.',
    'read model "public.tv_post_age" depends on the time or the session',
    'A read model must be a function of its source tables; compute such values at query time.');
SELECT cookbook.refused('B10', 'tv_post_shuffled', $$
    SELECT p.pk_post, random() AS shuffle FROM tb_post p
$$, '{}', '42P17', 'It is VOLATILE.',
    'read model "public.tv_post_shuffled" uses function random(), whose result can change without any change to the source tables',
    'Use an IMMUTABLE function (for text search, the form with a configuration, e.g. to_tsvector(''english'', ...)), or compute the value at query time.');
--   rewrite: keep the timestamp in the model; compare with now() when reading.
SELECT readmodel.create('tv_post_published', $$
    SELECT p.pk_post, p.title, p.published_at FROM tb_post p WHERE p.published_at IS NOT NULL
$$);
UPDATE tb_post SET published_at = '2026-02-05 10:00' WHERE pk_post = 1;
SELECT cookbook.exact('B10', 'tv_post_published');
--   SELECT * FROM tv_post_published WHERE published_at > now() - interval '7 days';

-- [B11] System columns (pg_ivm refuses them too).
SELECT cookbook.refused('B11', 'tv_post_version', $$
    SELECT p.pk_post, p.xmin::text AS row_version FROM tb_post p
$$, '{}', '0A000', 'The definition''s top level uses a system column (ctid, xmin, tableoid, ...), which changes without the row''s values changing.',
    'read model "public.tv_post_version" cannot be maintained incrementally',
    'Read only user columns.');
--   rewrite: a version column the writer bumps.
SELECT readmodel.create('tv_post_version', $$
    SELECT p.pk_post, p.version FROM tb_post p
$$);
UPDATE tb_post SET title = 'Hello again', version = version + 1 WHERE pk_post = 1;
SELECT cookbook.exact('B11', 'tv_post_version');

-- [B12] Whole-row references: to_jsonb(t), row_to_json(t.*).
SELECT cookbook.refused('B12', 'tv_post_row', $$
    SELECT p.pk_post, to_jsonb(p) AS data FROM tb_post p
$$, '{}', '0A000', 'The definition''s top level uses a whole-row reference, whose value changes when a column is added.',
    'read model "public.tv_post_row" cannot be maintained incrementally',
    'List the columns, e.g. jsonb_build_object(''a'', t.a, ''b'', t.b) instead of to_jsonb(t).');
--   rewrite: list the columns (SELECT p.* is fine too: it is expanded when
--   the model is declared).
SELECT readmodel.create('tv_post_row', $$
    SELECT p.pk_post,
           jsonb_build_object('pk_post', p.pk_post, 'id', p.id, 'fk_user', p.fk_user,
                              'title', p.title, 'status', p.status,
                              'published_at', p.published_at) AS data
    FROM tb_post p
$$);
SELECT readmodel.create('tv_post_star', $$ SELECT p.* FROM tb_post p $$);
UPDATE tb_post SET status = 'archived' WHERE pk_post = 3;
SELECT cookbook.exact('B12', 'tv_post_row');
SELECT cookbook.exact('B12', 'tv_post_star');

-- [B13] A table without a primary key (pg_ivm keeps duplicates of such rows).
CREATE TABLE tb_audit (msg text NOT NULL, at timestamp NOT NULL);
INSERT INTO tb_audit VALUES ('boot', '2026-01-01 00:00'), ('boot', '2026-01-01 00:00');
SELECT cookbook.refused('B13', 'tv_audit', $$
    SELECT a.msg, a.at FROM tb_audit a
$$, '{}', '42P17', 'The root table "tb_audit" has no primary key.',
    'read model "public.tv_audit" has no usable key',
    'Give tb_audit a primary key (ALTER TABLE tb_audit ADD COLUMN pk bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY), name NOT NULL columns with a unique index with options => ''{"key": ["a", "b"]}'', or GROUP BY columns of it.');
--   rewrite, as the hint says: give it a primary key.
ALTER TABLE tb_audit ADD COLUMN pk_audit bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;
SELECT readmodel.create('tv_audit', $$
    SELECT a.pk_audit, a.msg, a.at FROM tb_audit a
$$);
INSERT INTO tb_audit (msg, at) VALUES ('login', '2026-01-02 00:00');
DELETE FROM tb_audit WHERE pk_audit = 1;
SELECT cookbook.exact('B13', 'tv_audit');

-- [B14] Aggregates whose result depends on the order rows are read in:
--       jsonb_agg without ORDER BY (pg_tviews' DDL reference), ORDER BY a
--       column with ties, sum() over floats.
SELECT cookbook.refused('B14', 'tv_post_bodies', $$
    SELECT p.pk_post, COALESCE(jsonb_agg(c.body) FILTER (WHERE c.pk_comment IS NOT NULL), '[]') AS bodies
    FROM tb_post p LEFT JOIN tb_comment c ON c.fk_post = p.pk_post
    GROUP BY p.pk_post
$$, '{}', '0A000', 'Aggregate jsonb_agg() in the definition''s top level depends on the order of the rows it aggregates, and it has no ORDER BY.',
    'read model "public.tv_post_bodies" cannot be maintained incrementally',
    'Add ORDER BY ending with a unique key of every table whose rows it aggregates, e.g. jsonb_agg(... ORDER BY c.created_at, c.pk_comment).');
SELECT cookbook.refused('B14', 'tv_post_bodies', $$
    SELECT p.pk_post,
           (SELECT jsonb_agg(c.body ORDER BY c.created_at) FROM tb_comment c
            WHERE c.fk_post = p.pk_post) AS bodies
    FROM tb_post p
$$, '{}', '0A000', 'Aggregate jsonb_agg() in a subquery in a select list depends on the order of the rows it aggregates, and its ORDER BY does not fix that order.',
    'read model "public.tv_post_bodies" cannot be maintained incrementally',
    'Add ORDER BY ending with a unique key of every table whose rows it aggregates, e.g. jsonb_agg(... ORDER BY c.created_at, c.pk_comment).');
SELECT cookbook.refused('B14', 'tv_user_weight', $$
    SELECT u.pk_user, (SELECT sum(o.weight) FROM tb_order o WHERE o.fk_user = u.pk_user) AS weight
    FROM tb_user u
$$, '{}', '0A000', 'Aggregate sum() in a subquery in a select list depends on the order of the rows it aggregates, and it has no ORDER BY.',
    'read model "public.tv_user_weight" cannot be maintained incrementally',
    'Add ORDER BY ending with a unique key of every table whose rows it aggregates, e.g. jsonb_agg(... ORDER BY c.created_at, c.pk_comment).');
--   rewrite: end ORDER BY with a unique key (A3, A4); sum floats in a fixed
--   order, or as numeric.
SELECT readmodel.create('tv_user_weight', $$
    SELECT u.pk_user,
           (SELECT sum(o.weight ORDER BY o.pk_order) FROM tb_order o WHERE o.fk_user = u.pk_user) AS weight,
           (SELECT sum(o.weight::numeric) FROM tb_order o WHERE o.fk_user = u.pk_user) AS weight_exact
    FROM tb_user u
$$);
UPDATE tb_order SET weight = 0.7 WHERE pk_order = 4;
INSERT INTO tb_order VALUES (13, 3, 'new', 'eu', 3.00, 0.3, '2026-02-06 10:00');
SELECT cookbook.exact('B14', 'tv_user_weight');

-- [B15] A group key that may be NULL.
SELECT cookbook.refused('B15', 'tv_orders_per_region', $$
    SELECT o.region, count(*) AS n FROM tb_order o GROUP BY o.region
$$, '{}', '0A000', 'The key column "region" (a column the definition groups by) may be NULL, and a read-model key cannot be.',
    'read model "public.tv_orders_per_region" cannot be maintained incrementally',
    'Declare the column NOT NULL, or add WHERE o.region IS NOT NULL.');
--   rewrite: leave the NULL group out (or declare the column NOT NULL).
SELECT readmodel.create('tv_orders_per_region', $$
    SELECT o.region, count(*) AS n FROM tb_order o WHERE o.region IS NOT NULL GROUP BY o.region
$$);
--   COALESCE(o.region, '-') as the group, to keep the NULL orders as a group
--   of their own: never NULL (a constant last argument), so accepted.
SELECT readmodel.create('tv_orders_per_region_all', $$
    SELECT COALESCE(o.region, '-') AS region, count(*) AS n FROM tb_order o GROUP BY 1
$$);
UPDATE tb_order SET region = NULL WHERE pk_order = 1;     -- leaves 'eu' for '-'
UPDATE tb_order SET region = 'apac' WHERE pk_order = 3;
UPDATE tb_order SET region = 'eu' WHERE pk_order = 17;
SELECT cookbook.exact('B15', 'tv_orders_per_region');
SELECT cookbook.exact('B15', 'tv_orders_per_region_all');

-- [B16] Grouping by a joined table's column alone: orders per org name
--       through two joins, and per org key (the first B16 definition,
--       GROUP BY o.fk_user, u.id, is accepted now: A24).
SELECT cookbook.refused('B16', 'tv_org_orders', $$
    SELECT g.name AS org, count(*) AS orders
    FROM tb_order o JOIN tb_user u ON u.pk_user = o.fk_user JOIN tb_org g ON g.pk_org = u.fk_org
    GROUP BY g.name
$$, '{}', '0A000', 'The definition groups by "org", a column of tb_org (alias g), which is not the root table "tb_order" (the first table in FROM), and no column grouped by fixes its row.',
    'read model "public.tv_org_orders" cannot be maintained incrementally',
    'Put tb_org first in FROM: another table''s columns can be grouped by only where root columns grouped by fix its row (joined on its primary key).');
SELECT cookbook.refused('B16', 'tv_org_orders', $$
    SELECT u.fk_org, count(*) AS orders
    FROM tb_order o JOIN tb_user u ON u.pk_user = o.fk_user
    GROUP BY u.fk_org
$$, '{}', '0A000', 'The definition groups by "fk_org", a column of tb_user (alias u), which is not the root table "tb_order" (the first table in FROM), and no column grouped by fixes its row.',
    'read model "public.tv_org_orders" cannot be maintained incrementally',
    'Group by the root column it is joined on as well (GROUP BY o.fk_user, ...): a row per row of tb_user; for a row per value of "fk_org", put tb_user first in FROM.');
--   rewrite, as the first hint says: tb_org first in FROM, the rest as it
--   was (inner joins: the same rows, the same groups).
SELECT readmodel.create('tv_org_orders', $$
    SELECT g.name AS org, count(*) AS orders
    FROM tb_org g JOIN tb_user u ON u.fk_org = g.pk_org JOIN tb_order o ON o.fk_user = u.pk_user
    GROUP BY g.name
$$);
--   or a row per org, also for orgs without orders: a correlated subquery.
SELECT readmodel.create('tv_org_order_count', $$
    SELECT g.pk_org, g.name,
           (SELECT count(*) FROM tb_order o JOIN tb_user u ON u.pk_user = o.fk_user
            WHERE u.fk_org = g.pk_org) AS orders
    FROM tb_org g
$$);
UPDATE tb_user SET fk_org = 1 WHERE pk_user = 3;          -- carol's orders move org
UPDATE tb_org SET name = 'Acme Inc' WHERE pk_org = 2;     -- two orgs, one name: one row of tv_org_orders
INSERT INTO tb_order VALUES (14, 2, 'new', 'eu', 1.00, 0.1, '2026-02-07 10:00');
SELECT cookbook.exact('B16', 'tv_org_orders');
SELECT cookbook.exact('B16', 'tv_org_order_count');

-- [B17] A 1:N join at the top level with no grouping (pg_ivm join views
--       that repeat the parent per child).
SELECT cookbook.refused('B17', 'tv_comment', $$
    SELECT p.pk_post, p.title, c.body FROM tb_post p JOIN tb_comment c ON c.fk_post = p.pk_post
$$, '{}', '0A000', 'Table tb_comment (alias c) is not joined on a unique key, so one root row could produce several read-model rows.',
    'read model "public.tv_comment" cannot be maintained incrementally',
    'Select tb_comment''s primary key (c.pk_comment) to have a row per row of it; or join parents on their primary key (N:1) by comparing the columns themselves (u.pk_user = p.fk_user, not an expression of them or a range), aggregate children in a correlated subquery, or GROUP BY the root key.');
--   rewrite, as the hint says: select the comment's key (one row per
--   comment; the comment table becomes the root), or aggregate the
--   children (A3, A4).
SELECT readmodel.create('tv_comment', $$
    SELECT p.pk_post, p.title, c.pk_comment, c.body FROM tb_post p JOIN tb_comment c ON c.fk_post = p.pk_post
$$);
UPDATE tb_post SET title = 'Hello, world' WHERE pk_post = 1;
INSERT INTO tb_comment VALUES (11, 3, 3, 'late', '2026-02-08 10:00');
SELECT cookbook.exact('B17', 'tv_comment');

-- [B18] LIMIT at the top level.
SELECT cookbook.refused('B18', 'tv_post_titles', $$
    SELECT p.pk_post, p.title FROM tb_post p ORDER BY p.pk_post DESC LIMIT 10
$$, '{}', '0A000', 'The definition''s top level uses LIMIT or OFFSET, so a row''s presence depends on other rows.',
    'read model "public.tv_post_titles" cannot be maintained incrementally',
    'Filter with WHERE, or apply LIMIT when reading the read model.');
--   rewrite: keep all rows; LIMIT when reading (an ORDER BY alone is fine).
SELECT readmodel.create('tv_post_titles', $$
    SELECT p.pk_post, p.title FROM tb_post p ORDER BY p.pk_post DESC
$$);
SELECT cookbook.exact('B18', 'tv_post_titles');
--   SELECT * FROM tv_post_titles ORDER BY pk_post DESC LIMIT 10;

-- [B19] A STABLE function that reads a table (pg_tviews: "function_reads").
CREATE FUNCTION org_name(integer) RETURNS text STABLE LANGUAGE sql
    AS $f$ SELECT name FROM tb_org WHERE pk_org = $1 $f$;
SELECT cookbook.refused('B19', 'tv_user_org', $$
    SELECT u.pk_user, org_name(u.fk_org) AS org FROM tb_user u
$$, '{}', '42P17', 'User-defined functions must be IMMUTABLE: a STABLE one may read tables the read model cannot track.',
    'read model "public.tv_user_org" uses function org_name(), whose result can change without any change to the source tables',
    'Write what the function reads into the definition, as a join or a correlated subquery (SELECT o.name FROM tb_org o WHERE o.pk_org = u.fk_org); do not mark a function that reads tables IMMUTABLE, or the model will not see those tables change.');
--   rewrite, as the hint says: write the read as a join (A2) or a
--   correlated subquery.
SELECT readmodel.create('tv_user_org', $$
    SELECT u.pk_user, (SELECT g.name FROM tb_org g WHERE g.pk_org = u.fk_org) AS org FROM tb_user u
$$);
UPDATE tb_org SET name = 'ACME' WHERE pk_org = 1;
SELECT cookbook.exact('B19', 'tv_user_org');

-- [B20] An inheritance parent (pg_ivm refuses it too).
CREATE TABLE tb_asset (pk_asset integer PRIMARY KEY, label text NOT NULL);
CREATE TABLE tb_asset_archived (archived_at timestamp) INHERITS (tb_asset);
SELECT cookbook.refused('B20', 'tv_asset', $$
    SELECT a.pk_asset, a.label FROM tb_asset a
$$, '{}', '0A000', 'Table "tb_asset" has inheritance children, whose changes would not be captured.',
    'read model "public.tv_asset" cannot be maintained incrementally',
    'Read the parent with ONLY, or read the children explicitly.');
--   rewrite: read the parent's own rows with ONLY (and each child as its
--   own source), or turn the hierarchy into a partitioned table (A16).
SELECT readmodel.create('tv_asset', $$
    SELECT a.pk_asset, a.label FROM ONLY tb_asset a
$$);
INSERT INTO tb_asset VALUES (1, 'laptop');
INSERT INTO tb_asset_archived VALUES (2, 'old laptop', '2026-01-01');   -- not a row of ONLY tb_asset
UPDATE tb_asset SET label = 'Laptop' WHERE pk_asset = 1;
SELECT cookbook.exact('B20', 'tv_asset');

-- [B21] CREATE TABLE tv_x AS SELECT ... (pg_tviews' DDL form).  Without
--       shared_preload_libraries it is refused; with it, it declares a model.
SELECT current_setting('shared_preload_libraries') ~ '(^|[ ,])pg_readmodel($|[ ,])' AS preloaded \gset
\if :preloaded
CREATE TABLE tv_tag AS SELECT t.pk_tag, t.name FROM tb_tag t;
\else
SELECT cookbook.fails('B21', $s$ CREATE TABLE tv_tag AS SELECT t.pk_tag, t.name FROM tb_tag t $s$,
    '55000', 'CREATE TABLE ... AS declares a read model only when pg_readmodel is in shared_preload_libraries.',
    'CREATE TABLE tv_tag AS would create a plain table, not a read model',
    'Call readmodel.create(), add pg_readmodel to shared_preload_libraries, or set readmodel.ctas_prefix = '''' to create a plain table.');
--   rewrite: the function form.
SELECT readmodel.create('tv_tag', $$ SELECT t.pk_tag, t.name FROM tb_tag t $$);
\endif
UPDATE tb_tag SET name = 'Postgres' WHERE pk_tag = 2;
SELECT cookbook.exact('B21', 'tv_tag');

-- [B22] An aggregating view (or a grouped subquery or WITH query) first in
--       FROM (pg_tviews: a tv_ over a v_ view that groups).
CREATE VIEW v_user_order_stats AS
    SELECT o.fk_user, count(*) AS n, sum(o.amount) AS total FROM tb_order o GROUP BY o.fk_user;
SELECT cookbook.refused('B22', 'tv_user_order_stats', $$
    SELECT s.fk_user, s.n, s.total FROM v_user_order_stats s
$$, '{}', '0A000', 'The first item in FROM is not a table.',
    'read model "public.tv_user_order_stats" cannot be maintained incrementally',
    'Put the entity the read model is about first in FROM.');
--   rewrite: put the entity first and join the view on the column it groups
--   by (or write the GROUP BY at the top level, tv_user_orders of A6).
SELECT readmodel.create('tv_user_order_stats', $$
    SELECT u.pk_user, s.n, s.total
    FROM tb_user u JOIN v_user_order_stats s ON s.fk_user = u.pk_user
$$);
INSERT INTO tb_order VALUES (16, 3, 'new', 'eu', 4.50, 0.2, '2026-02-08 10:00');
UPDATE tb_order SET fk_user = 1 WHERE pk_order = 16;
DELETE FROM tb_order WHERE fk_user = 2;
SELECT cookbook.exact('B22', 'tv_user_order_stats');

------------------------------------------------------------------------------
-- Final round: write every source once more, then check every model
------------------------------------------------------------------------------
BEGIN;
INSERT INTO tb_org VALUES (4, 'Umbrella');
INSERT INTO tb_user VALUES (4, '00000000-0000-0000-0000-000000000004', 4, 1, 'dave', true);
INSERT INTO tb_post VALUES (5, '00000000-0000-0000-0000-000000000105', 4, 3, 'Dave''s', 'published', '2026-02-09 10:00', 1);
INSERT INTO tb_comment VALUES (12, 5, 1, 'welcome', '2026-02-09 11:00'), (13, 5, 4, 'thanks', '2026-02-09 11:00');
INSERT INTO tb_post_tag (fk_post, fk_tag) VALUES (5, 1), (5, 2);
INSERT INTO tb_order VALUES (15, 4, 'paid', 'eu', 12.34, 2.5, '2026-02-09 12:00');
INSERT INTO tb_event VALUES (6, 4, 'login', '2026-02-09 09:00');
INSERT INTO tb_article VALUES (3, 4, 'Hello from Dave');
COMMIT;
BEGIN;
UPDATE tb_user SET name = name || '.', active = NOT active;
UPDATE tb_org SET name = upper(name);
UPDATE tb_post SET status = CASE status WHEN 'draft' THEN 'published' ELSE 'draft' END,
                   fk_category = COALESCE(fk_category, 2), version = version + 1;
UPDATE tb_comment SET created_at = created_at + interval '1 hour' WHERE pk_comment % 2 = 0;
UPDATE tb_order SET status = 'paid', amount = amount + 1 WHERE status = 'new';
UPDATE tb_tag SET name = lower(name);
UPDATE tb_event SET kind = 'logout' WHERE pk_event = 4;
UPDATE tb_video SET seconds = seconds * 2;
UPDATE tb_category SET name = name || '.', ancestors = ancestors || pk_category WHERE pk_category > 1;
COMMIT;
DELETE FROM tb_comment WHERE pk_comment IN (1, 12);
DELETE FROM tb_order WHERE pk_order IN (4, 15);
DELETE FROM tb_post WHERE pk_post = 3;                    -- its comments and tags go by cascade
TRUNCATE tb_post_tag;
INSERT INTO tb_post_tag (fk_post, fk_tag) VALUES (1, 3), (5, 3);
DELETE FROM tb_event WHERE kind = 'purchase';
DELETE FROM tb_video WHERE pk_video = 1;
SELECT readmodel.sync('tv_post_synced');    -- A25: mode manual, the round named nothing
SELECT cookbook.exact_all('final');

SELECT cookbook.must('summary',
    (SELECT count(*) FROM readmodel.models WHERE status <> 'maintained') = 0,
    format('%s recipes: %s models exact, %s refusals as documented',
           (SELECT count(DISTINCT recipe) FROM cookbook.result WHERE recipe ~ '^[AB][0-9]+$'),
           (SELECT count(DISTINCT what) FROM cookbook.result WHERE kind = 'exact'),
           (SELECT count(*) FROM cookbook.result WHERE kind = 'refused')));

\c postgres
SET client_min_messages = warning;
DROP DATABASE readmodel_cookbook;
