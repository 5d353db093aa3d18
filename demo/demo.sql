-- pg_readmodel demo: a small blog whose read side is two tv_ tables.
-- `make demo` runs this file with psql in a fresh database readmodel_demo.

-- ---------------------------------------------------------------------
-- 1. The write side: ordinary normalized tables.
-- ---------------------------------------------------------------------
CREATE TABLE tb_org (
    pk_org  integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id      uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
    name    text NOT NULL
);

CREATE TABLE tb_user (
    pk_user integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id      uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
    fk_org  integer NOT NULL REFERENCES tb_org (pk_org),
    name    text NOT NULL
);

CREATE TABLE tb_post (
    pk_post integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id      uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
    fk_user integer NOT NULL REFERENCES tb_user (pk_user),
    title   text NOT NULL
);

CREATE TABLE tb_comment (
    pk_comment integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id         uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
    fk_post    integer NOT NULL REFERENCES tb_post (pk_post) ON DELETE CASCADE,
    fk_user    integer NOT NULL REFERENCES tb_user (pk_user),
    body       text NOT NULL
);

INSERT INTO tb_org (name) VALUES ('Acme'), ('Globex');
INSERT INTO tb_user (fk_org, name) VALUES (1, 'alice'), (1, 'bob'), (2, 'carol');
INSERT INTO tb_post (fk_user, title) VALUES
    (1, 'Hello, read models'),
    (1, 'Keeping JSON in sync'),
    (2, 'Why not a materialized view?');
INSERT INTO tb_comment (fk_post, fk_user, body) VALUES
    (1, 2, 'Nice intro'),
    (1, 3, 'Waiting for part two'),
    (3, 1, 'Because REFRESH rebuilds everything');

-- ---------------------------------------------------------------------
-- 2. The read side: declare tv_ tables from SELECTs.
-- ---------------------------------------------------------------------
CREATE EXTENSION pg_readmodel;

-- One row per post, with its author and comments nested as JSON.
SELECT readmodel.create('tv_post', $$
    SELECT p.pk_post, p.id, p.fk_user,
           jsonb_build_object(
               'id', p.id,
               'title', p.title,
               'author', jsonb_build_object('id', u.id, 'name', u.name),
               'comments', COALESCE((SELECT jsonb_agg(jsonb_build_object('id', c.id, 'body', c.body)
                                                      ORDER BY c.pk_comment)
                                     FROM tb_comment c
                                     WHERE c.fk_post = p.pk_post), '[]'::jsonb)
           ) AS data
    FROM tb_post p
    JOIN tb_user u ON u.pk_user = p.fk_user
$$);

-- One row per user, with an aggregate over its posts.
SELECT readmodel.create('tv_user', $$
    SELECT u.pk_user, u.id, u.fk_org,
           jsonb_build_object(
               'id', u.id,
               'name', u.name,
               'org', o.name,
               'post_count', count(p.pk_post)
           ) AS data
    FROM tb_user u
    JOIN tb_org o ON o.pk_org = u.fk_org
    LEFT JOIN tb_post p ON p.fk_user = u.pk_user
    GROUP BY u.pk_user, u.id, u.fk_org, u.name, o.name
$$);

SELECT name, key, mode, row_count FROM readmodel.models ORDER BY name;

-- The tv_ tables are ordinary tables: read them like any other.
SELECT pk_post,
       data->>'title'                      AS title,
       data->'author'->>'name'             AS author,
       jsonb_array_length(data->'comments') AS comments
FROM tv_post ORDER BY pk_post;

SELECT pk_user, data->>'name' AS name, data->>'org' AS org, data->'post_count' AS post_count
FROM tv_user ORDER BY pk_user;

SELECT jsonb_pretty(data) FROM tv_post WHERE pk_post = 1;

SELECT readmodel.queue_stats();

-- ---------------------------------------------------------------------
-- 3. Writes.  Each statement below commits on its own; at commit the
--    affected tv_ rows are recomputed.
-- ---------------------------------------------------------------------

-- Rename a user: the author of posts 1 and 2 and the row in tv_user change.
UPDATE tb_user SET name = 'alice.smith' WHERE pk_user = 1;

-- Inside a transaction the work is queued until COMMIT.
BEGIN;
INSERT INTO tb_comment (fk_post, fk_user, body) VALUES (2, 2, 'Which keys get refreshed?');
SELECT model, key, reason FROM readmodel.debug_queue() ORDER BY 1, 2;
COMMIT;

-- Move a comment from post 1 to post 2: both posts change.
UPDATE tb_comment SET fk_post = 2 WHERE pk_comment = 2;

-- Delete a post (its comments go with it, ON DELETE CASCADE).
DELETE FROM tb_post WHERE pk_post = 3;

-- ---------------------------------------------------------------------
-- 4. The read side after the writes.
-- ---------------------------------------------------------------------
SELECT pk_post,
       data->>'title'                      AS title,
       data->'author'->>'name'             AS author,
       jsonb_array_length(data->'comments') AS comments
FROM tv_post ORDER BY pk_post;

SELECT pk_user, data->>'name' AS name, data->>'org' AS org, data->'post_count' AS post_count
FROM tv_user ORDER BY pk_user;

SELECT jsonb_pretty(data) FROM tv_post WHERE pk_post = 2;

SELECT readmodel.queue_stats();

-- verify() recomputes the definition and compares: no rows means in sync.
SELECT * FROM readmodel.verify('tv_post');
SELECT * FROM readmodel.verify('tv_user');

SELECT * FROM readmodel.health_check();
