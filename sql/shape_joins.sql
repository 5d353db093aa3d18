--
-- shape_joins: N:1 joins from the root, two hops (post -> user -> org),
-- LEFT JOINs, and one table read under two aliases (a post's author and its
-- editor are both rows of tb_user).  Renames propagate to every row that
-- shows the renamed entity; moving a foreign key refreshes the row under its
-- new parent and detaches it from the old one.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_readmodel;
RESET client_min_messages;
CREATE SCHEMA shape_joins;
SET search_path = shape_joins, public;

CREATE TABLE tb_org (
    pk_org integer PRIMARY KEY,
    name   text NOT NULL
);
CREATE TABLE tb_user (
    pk_user integer PRIMARY KEY,
    fk_org  integer REFERENCES tb_org (pk_org) ON DELETE SET NULL,
    name    text NOT NULL
);
CREATE TABLE tb_category (      -- no foreign key points here: rows may dangle
    pk_category integer PRIMARY KEY,
    name        text NOT NULL
);
CREATE TABLE tb_post (
    pk_post     integer PRIMARY KEY,
    fk_author   integer NOT NULL REFERENCES tb_user (pk_user),
    fk_editor   integer REFERENCES tb_user (pk_user),
    fk_category integer NOT NULL,
    title       text NOT NULL
);

INSERT INTO tb_org VALUES (1, 'Acme'), (2, 'Globex');
INSERT INTO tb_user VALUES (1, 1, 'alice'), (2, 1, 'bob'), (3, 2, 'carol'), (4, NULL, 'dave');
INSERT INTO tb_category VALUES (10, 'news'), (20, 'howto');
INSERT INTO tb_post VALUES
    (1, 1, NULL, 10, 'Hello'),
    (2, 1, 3,    20, 'Joins'),
    (3, 2, 1,    10, 'Keys'),
    (4, 3, 4,    20, 'Routes');

-- One row per post: its category (inner join), its author and the author's
-- organization (two hops), its editor and the editor's organization (the
-- same two tables again under other aliases, through LEFT JOINs).
SELECT readmodel.create('tv_post', $$
    SELECT p.pk_post, p.title,
           c.name  AS category,
           a.name  AS author,
           ao.name AS author_org,
           e.name  AS editor,
           eo.name AS editor_org
    FROM tb_post p
    JOIN tb_category c ON c.pk_category = p.fk_category
    JOIN tb_user a ON a.pk_user = p.fk_author
    LEFT JOIN tb_org ao ON ao.pk_org = a.fk_org
    LEFT JOIN tb_user e ON e.pk_user = p.fk_editor
    LEFT JOIN tb_org eo ON eo.pk_org = e.fk_org
$$);

-- One row per user, with the organization nested as JSON.
SELECT readmodel.create('tv_user', $$
    SELECT u.pk_user,
           jsonb_build_object('name', u.name,
                              'org', jsonb_build_object('id', o.pk_org, 'name', o.name)) AS data
    FROM tb_user u
    LEFT JOIN tb_org o ON o.pk_org = u.fk_org
$$);

SELECT name, key, sources FROM readmodel.models ORDER BY name::text;
SELECT * FROM tv_post ORDER BY pk_post;
SELECT * FROM tv_user ORDER BY pk_user;

-- 1. Rename alice: she wrote posts 1 and 2 and edits post 3.
BEGIN;
UPDATE tb_user SET name = 'alice.smith' WHERE pk_user = 1;
SELECT model, key, reason FROM readmodel.debug_queue() ORDER BY model::text, key;
COMMIT;
SELECT * FROM tv_post ORDER BY pk_post;
SELECT * FROM tv_user ORDER BY pk_user;
SELECT * FROM readmodel.verify('tv_post');
SELECT * FROM readmodel.verify('tv_user');

-- 2. Rename an organization: two hops away from the posts.  Acme holds
--    alice (author of 1, 2; editor of 3) and bob (author of 3).
BEGIN;
UPDATE tb_org SET name = 'Acme Inc' WHERE pk_org = 1;
SELECT model, key, reason FROM readmodel.debug_queue() ORDER BY model::text, key;
COMMIT;
SELECT * FROM tv_post ORDER BY pk_post;
SELECT * FROM tv_user ORDER BY pk_user;
SELECT * FROM readmodel.verify('tv_post');
SELECT * FROM readmodel.verify('tv_user');

-- 3. Move bob to Globex (the middle hop's foreign key moves).
UPDATE tb_user SET fk_org = 2 WHERE pk_user = 2;
SELECT * FROM tv_post ORDER BY pk_post;
SELECT * FROM tv_user ORDER BY pk_user;
SELECT * FROM readmodel.verify('tv_post');
SELECT * FROM readmodel.verify('tv_user');

-- 4. Move post 1 from author alice to author dave.
UPDATE tb_post SET fk_author = 4 WHERE pk_post = 1;
SELECT * FROM tv_post ORDER BY pk_post;
SELECT * FROM readmodel.verify('tv_post');

-- Now renaming alice no longer touches post 1; renaming dave does.
BEGIN;
UPDATE tb_user SET name = 'alice' WHERE pk_user = 1;
SELECT model, key, reason FROM readmodel.debug_queue() ORDER BY model::text, key;
COMMIT;
BEGIN;
UPDATE tb_user SET name = 'dave.jones' WHERE pk_user = 4;
SELECT model, key, reason FROM readmodel.debug_queue() ORDER BY model::text, key;
COMMIT;
SELECT * FROM tv_post ORDER BY pk_post;
SELECT * FROM readmodel.verify('tv_post');

-- 5. Move a post and rename both its old and its new author in one
--    transaction, in that order and the other way round.
BEGIN;
UPDATE tb_post SET fk_author = 3 WHERE pk_post = 2;   -- alice -> carol
UPDATE tb_user SET name = 'alice (old)' WHERE pk_user = 1;
UPDATE tb_user SET name = 'carol (new)' WHERE pk_user = 3;
COMMIT;
BEGIN;
UPDATE tb_user SET name = 'bob (old)' WHERE pk_user = 2;
UPDATE tb_user SET name = 'dave (new)' WHERE pk_user = 4;
UPDATE tb_post SET fk_author = 4 WHERE pk_post = 3;   -- bob -> dave
COMMIT;
SELECT * FROM tv_post ORDER BY pk_post;
SELECT * FROM readmodel.verify('tv_post');

-- 6. Editors come and go (LEFT JOIN: missing editor gives NULLs); swap the
--    author and the editor of post 4.
UPDATE tb_post SET fk_editor = NULL WHERE pk_post = 3;
UPDATE tb_post SET fk_editor = 2 WHERE pk_post = 1;
UPDATE tb_post SET fk_author = fk_editor, fk_editor = fk_author WHERE pk_post = 4;
SELECT * FROM tv_post ORDER BY pk_post;
SELECT * FROM readmodel.verify('tv_post');

-- 7. Inner join on a parent without a foreign key: deleting the category
--    takes its posts out of the model, inserting it again brings them back.
DELETE FROM tb_category WHERE pk_category = 10;
SELECT * FROM tv_post ORDER BY pk_post;
SELECT * FROM readmodel.verify('tv_post');
INSERT INTO tb_category VALUES (10, 'news again');
SELECT * FROM tv_post ORDER BY pk_post;
SELECT * FROM readmodel.verify('tv_post');
-- changing a parent's key detaches its children as well
UPDATE tb_category SET pk_category = 21 WHERE pk_category = 20;
SELECT * FROM tv_post ORDER BY pk_post;
UPDATE tb_post SET fk_category = 21 WHERE fk_category = 20;
SELECT * FROM tv_post ORDER BY pk_post;
SELECT * FROM readmodel.verify('tv_post');

-- 8. Deleting an organization sets its users' fk_org to NULL (ON DELETE SET
--    NULL): the users and every post that shows them lose the org.
DELETE FROM tb_org WHERE pk_org = 2;
SELECT * FROM tv_post ORDER BY pk_post;
SELECT * FROM tv_user ORDER BY pk_user;
SELECT * FROM readmodel.verify('tv_post');
SELECT * FROM readmodel.verify('tv_user');

-- 9. New rows at every level in one transaction.
BEGIN;
INSERT INTO tb_org VALUES (3, 'Initech');
INSERT INTO tb_user VALUES (5, 3, 'erin');
INSERT INTO tb_post VALUES (5, 5, 1, 21, 'Fresh');
UPDATE tb_user SET fk_org = 3 WHERE pk_user = 1;
COMMIT;
SELECT * FROM tv_post ORDER BY pk_post;
SELECT * FROM tv_user ORDER BY pk_user;
SELECT * FROM readmodel.verify('tv_post');
SELECT * FROM readmodel.verify('tv_user');

-- Clean up.
SET client_min_messages = warning;
DROP SCHEMA shape_joins CASCADE;
RESET client_min_messages;
DROP EXTENSION pg_readmodel;
