--
-- shape_union: a UNION ALL of branches (an activity feed: a row per post
-- and a row per comment).  The key is the branch tag (a different constant
-- in each branch) and the branches' keys at the same output column; each
-- branch is maintained as a definition of its own.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_readmodel;
RESET client_min_messages;
CREATE SCHEMA shape_union;
SET search_path = shape_union, public;

CREATE TABLE tb_user (pk_user integer PRIMARY KEY, name text NOT NULL);
CREATE TABLE tb_post (pk_post integer PRIMARY KEY, fk_user integer NOT NULL REFERENCES tb_user,
                      title text NOT NULL);
CREATE TABLE tb_comment (pk_comment integer PRIMARY KEY,
                         fk_post integer NOT NULL REFERENCES tb_post ON DELETE CASCADE,
                         fk_user integer NOT NULL REFERENCES tb_user, body text NOT NULL);
CREATE INDEX ON tb_post (fk_user);
CREATE INDEX ON tb_comment (fk_post);
CREATE INDEX ON tb_comment (fk_user);
INSERT INTO tb_user VALUES (1, 'ann'), (2, 'ben');
INSERT INTO tb_post VALUES (1, 1, 'hello'), (2, 2, 'world');
INSERT INTO tb_comment VALUES (1, 1, 2, 'nice'), (2, 2, 1, 'ok');

SELECT readmodel.create('tv_activity', $$
    SELECT 'post' AS kind, p.pk_post AS id, u.name AS who, p.title AS what
    FROM tb_post p JOIN tb_user u ON u.pk_user = p.fk_user
    UNION ALL
    SELECT 'comment', c.pk_comment, u.name, c.body || ' on ' || p.title
    FROM tb_comment c JOIN tb_user u ON u.pk_user = c.fk_user
    JOIN tb_post p ON p.pk_post = c.fk_post $$);
-- three branches, one grouped: a row per user with their post count
SELECT readmodel.create('tv_feed', $$
    SELECT 1 AS branch, p.pk_post AS id, p.title AS label FROM tb_post p
    UNION ALL
    SELECT 2, c.pk_comment, c.body FROM tb_comment c
    UNION ALL
    SELECT 3, u.pk_user, u.name || ' (' || (SELECT count(*) FROM tb_post x WHERE x.fk_user = u.pk_user) || ')'
    FROM tb_user u $$);
-- UNION without ALL: the tag and the branches' keys prove it removes no
-- row, so it is maintained as a UNION ALL
SELECT readmodel.create('tv_names', $$
    SELECT 'user' AS kind, u.pk_user AS id, u.name FROM tb_user u
    UNION
    SELECT 'post', p.pk_post, p.title FROM tb_post p $$);
-- a UNION without a tag: keyed by all its columns, a row per value that
-- any branch has (the users who posted or commented)
SELECT readmodel.create('tv_writers', $$
    SELECT p.fk_user AS who FROM tb_post p UNION SELECT c.fk_user FROM tb_comment c $$);
-- branches keyed by expressions, each of its own table's columns
SELECT readmodel.create('tv_initials', $$
    SELECT 'post' AS kind, upper(left(p.title, 1)) AS initial, count(*) AS n
    FROM tb_post p GROUP BY upper(left(p.title, 1))
    UNION ALL
    SELECT 'comment', upper(left(c.body, 1)), count(*)
    FROM tb_comment c GROUP BY upper(left(c.body, 1)) $$);
SELECT * FROM readmodel.explain('tv_activity') WHERE kind NOT IN ('triggers', 'index');
SELECT name, key FROM readmodel.models WHERE name::text LIKE 'tv_%' ORDER BY name::text;
SELECT * FROM tv_activity ORDER BY kind, id;

-- refused: no tag, a tag shared by two branches, UNION without a tag,
-- branch keys at other positions, INTERSECT, EXCEPT
SELECT readmodel.create('tv_bad', $$
    SELECT p.pk_post AS id, p.title FROM tb_post p UNION ALL SELECT c.pk_comment, c.body FROM tb_comment c $$);
SELECT readmodel.create('tv_bad', $$
    SELECT 'p' AS k, p.pk_post AS id FROM tb_post p UNION ALL SELECT 'p', c.pk_comment FROM tb_comment c $$);
SELECT readmodel.create('tv_bad', $$
    SELECT p.fk_user AS id, p.title FROM tb_post p GROUP BY p.fk_user, p.title
    UNION SELECT c.fk_user, min(c.body) FROM tb_comment c GROUP BY c.fk_user $$);
SELECT readmodel.create('tv_bad', $$
    SELECT 'p' AS k, p.pk_post AS id, p.fk_user AS other FROM tb_post p
    UNION ALL SELECT 'c', c.fk_post, c.pk_comment FROM tb_comment c $$);
-- without a tag only a UNION that is last removes every duplicate; and
-- its columns' common type must have one image per value
SELECT readmodel.create('tv_bad', $$
    SELECT p.fk_user AS who FROM tb_post p UNION SELECT c.fk_user FROM tb_comment c
    UNION ALL SELECT u.pk_user FROM tb_user u $$);
SELECT readmodel.create('tv_bad', $$
    SELECT p.pk_post::numeric(10,1) AS n FROM tb_post p
    UNION SELECT c.pk_comment::numeric(10,2) FROM tb_comment c $$);
SELECT readmodel.create('tv_bad', $$
    SELECT p.pk_post AS id FROM tb_post p INTERSECT SELECT c.fk_post FROM tb_comment c $$);
SELECT readmodel.create('tv_bad', $$
    SELECT p.pk_post AS id FROM tb_post p EXCEPT SELECT c.fk_post FROM tb_comment c $$);

-- Writes reaching one branch, both, or a parent of both.
UPDATE tb_user SET name = 'Ann' WHERE pk_user = 1;
UPDATE tb_post SET title = 'Hello' WHERE pk_post = 1;
INSERT INTO tb_comment VALUES (3, 1, 1, 'self');
DELETE FROM tb_comment WHERE pk_comment = 2;
INSERT INTO tb_post VALUES (3, 2, 'third');
DELETE FROM tb_post WHERE pk_post = 1;
SELECT * FROM tv_activity ORDER BY kind, id;
SELECT * FROM tv_feed ORDER BY branch, id;
UPDATE tb_user SET name = 'hello' WHERE pk_user = 2;  -- a user named like a post
SELECT * FROM tv_names ORDER BY kind, id;
INSERT INTO tb_comment VALUES (4, 2, 1, 'yes'), (5, 2, 2, 'wow');
UPDATE tb_comment SET body = 'Yes!' WHERE pk_comment = 5;
SELECT * FROM tv_initials ORDER BY kind, initial;
DELETE FROM tb_comment WHERE fk_user = 1;
SELECT * FROM tv_writers ORDER BY who;
SELECT m AS model, (SELECT count(*) FROM readmodel.verify(m)) AS verify_rows
FROM unnest(ARRAY['tv_activity', 'tv_feed', 'tv_names', 'tv_initials', 'tv_writers']) m;

-- A FULL JOIN's rows of both sides as a tagged UNION ALL; the second
-- branch is keyed by a unique NOT NULL column named in the options.
CREATE TABLE tb_profile (pk_profile integer PRIMARY KEY, fk_user integer NOT NULL UNIQUE,
                         bio text);
INSERT INTO tb_profile VALUES (1, 2, 'second user'), (2, 9, 'no user yet');
SELECT readmodel.create('tv_user_or_profile', $$
    SELECT 'user' AS side, u.pk_user AS id, u.name, pr.bio
    FROM tb_user u LEFT JOIN tb_profile pr ON pr.fk_user = u.pk_user
    UNION ALL
    SELECT 'profile', pr.fk_user, NULL, pr.bio
    FROM tb_profile pr WHERE NOT EXISTS (SELECT FROM tb_user u WHERE u.pk_user = pr.fk_user)
$$, '{"key": ["side", "id"]}');
SELECT * FROM tv_user_or_profile ORDER BY side, id;
INSERT INTO tb_user VALUES (9, 'ninth');               -- the orphan profile finds its user
UPDATE tb_profile SET fk_user = 8 WHERE pk_profile = 1;  -- and another loses it
SELECT * FROM tv_user_or_profile ORDER BY side, id;
SELECT count(*) AS verify_rows FROM readmodel.verify('tv_user_or_profile');
-- a named key that is unique in neither branch's root
SELECT readmodel.create('tv_bad', $$
    SELECT 'user' AS side, u.name AS id FROM tb_user u
    UNION ALL SELECT 'profile', pr.bio FROM tb_profile pr $$, '{"key": ["side", "id"]}');
SELECT readmodel.drop('tv_user_or_profile');
-- The same without a tag: the second branch keeps out the first one's keys
-- (NOT EXISTS on the first branch's root and key), so no key is in both,
-- and the rows are exactly those of the FULL JOIN.
SELECT readmodel.create('tv_user_full', $$
    SELECT u.pk_user AS id, u.name, pr.bio
    FROM tb_user u LEFT JOIN tb_profile pr ON pr.fk_user = u.pk_user
    UNION ALL
    SELECT pr.fk_user, NULL, pr.bio
    FROM tb_profile pr WHERE NOT EXISTS (SELECT FROM tb_user u WHERE pr.fk_user = u.pk_user)
$$, '{"key": "id"}');
INSERT INTO tb_profile VALUES (3, 7, 'seven');
DELETE FROM tb_user WHERE pk_user = 9;                  -- its profile is an orphan again
UPDATE tb_profile SET fk_user = 1 WHERE pk_profile = 1;
SELECT * FROM tv_user_full ORDER BY id;
SELECT count(*) AS verify_rows FROM readmodel.verify('tv_user_full');
SELECT count(*) AS differ FROM (
    (SELECT * FROM tv_user_full EXCEPT ALL
     SELECT COALESCE(u.pk_user, pr.fk_user), u.name, pr.bio
     FROM tb_user u FULL JOIN tb_profile pr ON pr.fk_user = u.pk_user)
    UNION ALL
    (SELECT COALESCE(u.pk_user, pr.fk_user), u.name, pr.bio
     FROM tb_user u FULL JOIN tb_profile pr ON pr.fk_user = u.pk_user
     EXCEPT ALL SELECT * FROM tv_user_full)) d;
SELECT readmodel.drop('tv_user_full');
-- refused: the NOT EXISTS narrowed by another condition, or over another table
SELECT readmodel.create('tv_bad', $$
    SELECT u.pk_user AS id FROM tb_user u
    UNION ALL SELECT pr.fk_user FROM tb_profile pr
    WHERE NOT EXISTS (SELECT FROM tb_user u WHERE u.pk_user = pr.fk_user AND u.name <> 'x') $$,
    '{"key": "id"}');
SELECT readmodel.create('tv_bad', $$
    SELECT u.pk_user AS id FROM tb_user u
    UNION ALL SELECT pr.fk_user FROM tb_profile pr
    WHERE NOT EXISTS (SELECT FROM tb_profile p2 WHERE p2.fk_user = pr.fk_user) $$,
    '{"key": "id"}');

SELECT readmodel.drop('tv_activity'), readmodel.drop('tv_feed'), readmodel.drop('tv_names'),
       readmodel.drop('tv_initials'), readmodel.drop('tv_writers');
DROP SCHEMA shape_union CASCADE;
