--
-- cascades: read models over read models, three levels deep, applied in
-- dependency order in the same transaction; surgical patches of copied
-- values; skipped propagation when nothing changed; the limits.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_readmodel;
RESET client_min_messages;
CREATE SCHEMA cascades;
SET search_path = cascades, public;

CREATE TABLE tb_org (pk_org integer PRIMARY KEY, name text NOT NULL);
CREATE TABLE tb_user (
    pk_user integer PRIMARY KEY,
    fk_org  integer REFERENCES tb_org,
    name    text NOT NULL,
    email   text,
    secret  text                    -- read by no model
);
CREATE TABLE tb_post (
    pk_post integer PRIMARY KEY,
    fk_user integer NOT NULL REFERENCES tb_user ON DELETE CASCADE,
    title   text NOT NULL,
    score   integer NOT NULL DEFAULT 0
);
INSERT INTO tb_org VALUES (1, 'acme'), (2, 'globex');
INSERT INTO tb_user VALUES (1, 1, 'alice', 'a@x', 's1'), (2, 1, 'bob', NULL, 's2'), (3, NULL, 'carol', 'c@x', 's3');
INSERT INTO tb_post VALUES (1, 1, 'hello', 5), (2, 1, 'again', 1), (3, 2, 'bob here', 7), (4, 3, 'carol', 0);

-- level 1: the user document
SELECT readmodel.create('tv_user', $$
    SELECT u.pk_user, u.fk_org,
           jsonb_build_object('name', u.name, 'email', u.email) AS data
    FROM tb_user u
$$);
-- level 2: a post embeds its author's document
SELECT readmodel.create('tv_post', $$
    SELECT p.pk_post, p.fk_user,
           jsonb_build_object('title', p.title, 'score', p.score,
                              'author', a.data) AS data
    FROM tb_post p JOIN tv_user a ON a.pk_user = p.fk_user
$$);
-- level 3: an org holds arrays of its members' and their posts' documents
SELECT readmodel.create('tv_org', $$
    SELECT o.pk_org,
           jsonb_build_object(
             'name', o.name,
             'members', (SELECT coalesce(jsonb_agg(u.data ORDER BY u.pk_user), '[]')
                         FROM tv_user u WHERE u.fk_org = o.pk_org),
             'posts', (SELECT coalesce(jsonb_agg(p.data->'title' ORDER BY p.pk_post), '[]')
                       FROM tv_post p JOIN tb_user u ON u.pk_user = p.fk_user
                       WHERE u.fk_org = o.pk_org)) AS data
    FROM tb_org o
$$);
SELECT name, row_count FROM readmodel.models ORDER BY name::text;

CREATE VIEW all_verified AS
SELECT m.relid::text AS model, count(v.*) AS rows_out_of_sync
FROM readmodel.model m LEFT JOIN LATERAL readmodel.verify(m.relid::text) v ON true
WHERE m.relid::text LIKE 'tv\_%'
GROUP BY m.relid ORDER BY 1;

CREATE FUNCTION stat(name text) RETURNS bigint LANGUAGE sql
AS $$ SELECT (readmodel.queue_stats()->>name)::bigint $$;

-- 1. A rename flows down three levels in one transaction: the name is
--    patched into tv_user's row and, as part of the author document, into
--    tv_post's two rows (3 rows patched); tv_org recomputes its member
--    array (1 key).
CREATE TEMP TABLE before AS
SELECT stat('rows_patched') AS patched, stat('keys_recomputed') AS recomputed;
UPDATE tb_user SET name = 'alicia' WHERE pk_user = 1;
SELECT stat('rows_patched') - patched AS rows_patched,
       stat('keys_recomputed') - recomputed AS keys_recomputed
FROM before;
SELECT pk_post, data->'author'->>'name' AS author FROM tv_post ORDER BY pk_post;
SELECT data->'members' FROM tv_org WHERE pk_org = 1;
SELECT * FROM all_verified;

-- 2. Several paths reach tv_org (through tv_user and through tv_post); in
--    one transaction each model is applied once, after the models it reads.
BEGIN;
UPDATE tb_user SET email = 'bob@x' WHERE pk_user = 2;
UPDATE tb_post SET title = 'bob again' WHERE pk_post = 3;
UPDATE tb_org SET name = 'acme inc' WHERE pk_org = 1;
SELECT model, key, reason FROM readmodel.debug_queue() ORDER BY 1, 2;
DROP TABLE before;
CREATE TEMP TABLE before AS SELECT stat('models_refreshed') AS applied;
COMMIT;
SELECT stat('models_refreshed') - applied AS models_applied FROM before;
SELECT * FROM all_verified;

-- 3. No propagation when a model's row does not change: a column no model
--    reads, and a write of the same value.
DROP TABLE before;
CREATE TEMP TABLE before AS
SELECT stat('rows_written') AS written, stat('models_refreshed') AS applied;
UPDATE tb_user SET secret = 'changed' WHERE pk_user = 1;
UPDATE tb_user SET name = name WHERE pk_user = 2;
UPDATE tb_post SET score = score WHERE pk_post = 1;
SELECT stat('rows_written') - written AS rows_written,
       stat('models_refreshed') - applied AS models_applied
FROM before;

-- 4. What a patch cannot do is recomputed: moving a post to another user,
--    deleting a user (its posts go by ON DELETE CASCADE), changing a user's
--    org (moves its document between member arrays), NULL values.
UPDATE tb_post SET fk_user = 3 WHERE pk_post = 2;
UPDATE tb_user SET email = NULL WHERE pk_user = 3;
UPDATE tb_user SET fk_org = 2 WHERE pk_user = 2;
DELETE FROM tb_user WHERE pk_user = 1;
SELECT * FROM tv_post ORDER BY pk_post;
SELECT * FROM tv_org ORDER BY pk_org;
SELECT * FROM all_verified;

-- 5. Patched and recomputed rows are identical: the same change made with
--    patching off, undone, and made again with patching on gives the same
--    table.
SET readmodel.enable_patch = off;
UPDATE tb_user SET name = upper(name);
CREATE TEMP TABLE recomputed AS SELECT * FROM tv_post;
UPDATE tb_user SET name = lower(name);
RESET readmodel.enable_patch;
DROP TABLE before;
CREATE TEMP TABLE before AS SELECT stat('rows_patched') AS patched;
UPDATE tb_user SET name = upper(name);
SELECT stat('rows_patched') - patched AS rows_patched FROM before;
SELECT count(*) AS differing
FROM ((SELECT * FROM tv_post EXCEPT SELECT * FROM recomputed)
      UNION ALL (SELECT * FROM recomputed EXCEPT SELECT * FROM tv_post)) d;
SELECT * FROM all_verified;

-- 6. Savepoints: a patch applied by flush() inside a savepoint that rolls
--    back is applied again at commit.
BEGIN;
UPDATE tb_user SET name = 'Bobby' WHERE pk_user = 2;
SAVEPOINT s;
SELECT readmodel.flush() > 0 AS flushed;
ROLLBACK TO SAVEPOINT s;
COMMIT;
SELECT data->'author'->>'name' AS author FROM tv_post WHERE fk_user = 2;
SELECT * FROM all_verified;

-- 7. Limits: keys queued per transaction, cascade depth at apply time.
SET readmodel.max_queued_keys = 2;
UPDATE tb_post SET score = score + 1;
RESET readmodel.max_queued_keys;
SET readmodel.max_cascade_depth = 2;
UPDATE tb_org SET name = 'globex corp' WHERE pk_org = 2;
RESET readmodel.max_cascade_depth;
SELECT * FROM all_verified;

-- 8. What is not a plain copy is recomputed: a cast (the JSON form of oid
--    differs from int4's), a key computed at run time that may override a
--    constant one, and an output column that is the source's own key rather
--    than the column the source is joined by.
ALTER TABLE tb_user ADD COLUMN uid integer NOT NULL DEFAULT 0;
SELECT readmodel.create('tv_cast', $$
    SELECT p.pk_post, p.fk_user,
           jsonb_build_object('uid', u.uid::oid, 'name', u.name) AS data
    FROM tb_post p JOIN tb_user u ON u.pk_user = p.fk_user
$$);
SELECT readmodel.create('tv_dupkey', $$
    SELECT p.pk_post, p.fk_user,
           jsonb_build_object('1', u.name, 1, p.title) AS data
    FROM tb_post p JOIN tb_user u ON u.pk_user = p.fk_user
$$);
SELECT readmodel.create('tv_ownkey', $$
    SELECT p.pk_post, u.pk_user AS user_id, jsonb_build_object('n', u.name) AS data
    FROM tb_post p JOIN tb_user u ON u.pk_user = p.fk_user
$$);
SELECT m::text AS model, count(e.*) FILTER (WHERE e.kind = 'patch' AND e.source = 'tb_user'::regclass) AS user_patches
FROM unnest(ARRAY['tv_cast', 'tv_dupkey', 'tv_ownkey']) m
LEFT JOIN LATERAL readmodel.explain(m) e ON true
GROUP BY m ORDER BY 1;
UPDATE tb_user SET uid = 7, name = 'BOB7' WHERE pk_user = 2;
SELECT * FROM all_verified;

-- 9. A patch queued before the model's definition is replaced in the same
--    transaction is not applied against the new definition: the model is
--    rebuilt instead.
BEGIN;
UPDATE tb_user SET name = 'zed' WHERE pk_user = 2;
SELECT model, key, reason FROM readmodel.debug_queue() WHERE model = 'tv_cast'::regclass;
SELECT readmodel.create('tv_cast', $$
    SELECT p.pk_post, p.fk_user, jsonb_build_object('t', p.title) AS data
    FROM tb_post p JOIN tb_user u ON u.pk_user = p.fk_user
$$, '{"replace": true}');
COMMIT;
SELECT * FROM all_verified;

-- Clean up.
SET client_min_messages = warning;
DROP SCHEMA cascades CASCADE;
RESET client_min_messages;
DROP EXTENSION pg_readmodel;
