--
-- lifecycle: the write guard, drop with and without dependents, source DDL,
-- replacing a definition in place, explain() and graph().
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_readmodel;
RESET client_min_messages;
CREATE SCHEMA lifecycle;
SET search_path = lifecycle, public;

CREATE TABLE tb_user (pk_user integer PRIMARY KEY, name text NOT NULL, email text);
CREATE TABLE tb_post (
    pk_post integer PRIMARY KEY,
    fk_user integer NOT NULL REFERENCES tb_user,
    title   text NOT NULL
);
INSERT INTO tb_user VALUES (1, 'alice', 'a@x'), (2, 'bob', NULL);
INSERT INTO tb_post VALUES (1, 1, 'hello'), (2, 2, 'hi');
SELECT readmodel.create('tv_user', $$
    SELECT u.pk_user, jsonb_build_object('name', u.name, 'email', u.email) AS data
    FROM tb_user u
$$);
SELECT readmodel.create('tv_post', $$
    SELECT p.pk_post, p.fk_user,
           jsonb_build_object('title', p.title, 'author', a.data) AS data
    FROM tb_post p JOIN tv_user a ON a.pk_user = p.fk_user
$$);

CREATE VIEW state AS
SELECT (SELECT string_agg(relname, ', ' ORDER BY relname) FROM pg_class
        WHERE relnamespace = 'lifecycle'::regnamespace AND relname LIKE 'tv\_%') AS tv_relations,
       (SELECT string_agg(relid::text, ', ' ORDER BY relid::text) FROM readmodel.model) AS models,
       (SELECT string_agg(DISTINCT tgrelid::regclass::text, ', ') FROM pg_trigger
        WHERE tgname LIKE 'readmodel\_capture\_%') AS captured;
SELECT * FROM state;

-- 1. explain() and graph()
SELECT * FROM readmodel.explain('tv_post');
SELECT readmodel.graph();

-- 2. Direct writes to a read model are refused, whoever the user; the
--    extension's own maintenance and readmodel.refresh() still write.
INSERT INTO tv_user VALUES (9, '{}');
UPDATE tv_post SET data = '{}';
DELETE FROM tv_user;
TRUNCATE tv_post;
SELECT readmodel.refresh('tv_post');
UPDATE tb_user SET name = 'alicia' WHERE pk_user = 1;
SELECT * FROM readmodel.verify('tv_post');

-- 3. Dropping a model that others read: refused, with the readers named;
--    with cascade both go, and the capture triggers follow.
SELECT readmodel.drop('tv_user');
DROP TABLE tv_user;
SELECT * FROM state;

-- 4. Source DDL.  Renaming a read column keeps the model working; changing
--    its type and dropping the table are refused while a model reads them.
ALTER TABLE tb_user RENAME COLUMN name TO full_name;
UPDATE tb_user SET full_name = 'bobby' WHERE pk_user = 2;
SELECT pk_post, data->'author'->>'name' AS author FROM tv_post ORDER BY 1;
SELECT * FROM readmodel.verify('tv_post');
ALTER TABLE tb_user ALTER COLUMN email TYPE varchar(100);
DROP TABLE tb_user;
ALTER TABLE tb_user ADD COLUMN age integer;      -- a column no model reads
UPDATE tb_user SET age = 30;
SELECT * FROM readmodel.verify('tv_user');

-- 5. Replacing a definition in place: a new column, a changed document;
--    the model that reads it keeps working and picks the change up.
SELECT readmodel.create('tv_user', $$
    SELECT u.pk_user, u.age,
           jsonb_build_object('name', u.full_name, 'contact', u.email) AS data
    FROM tb_user u
$$, '{"replace": true}');
SELECT * FROM tv_user ORDER BY pk_user;
SELECT pk_post, data FROM tv_post ORDER BY pk_post;
SELECT definition LIKE '%contact%' AS new_definition FROM readmodel.model WHERE relid = 'tv_user'::regclass;
UPDATE tb_user SET email = 'b@x' WHERE pk_user = 2;
SELECT * FROM readmodel.verify('tv_user');
SELECT * FROM readmodel.verify('tv_post');
-- a replacement that drops a column the reader uses is refused by
-- PostgreSQL's own dependency check, and changes nothing
SELECT readmodel.create('tv_user', 'SELECT u.pk_user FROM tb_user u', '{"replace": true}');
SELECT * FROM state;
-- changing the key is refused
SELECT readmodel.create('tv_user', $$
    SELECT u.pk_user AS user_id, jsonb_build_object('name', u.full_name) AS data FROM tb_user u
$$, '{"replace": true}');

-- 6. DROP TABLE ... CASCADE on a model drops its readers as models too.
SET client_min_messages = warning;
DROP TABLE tv_user CASCADE;
RESET client_min_messages;
SELECT * FROM state;
-- tb_user and tb_post are plain tables again
UPDATE tb_user SET email = NULL;

-- Clean up.
SET client_min_messages = warning;
DROP SCHEMA lifecycle CASCADE;
RESET client_min_messages;
DROP EXTENSION pg_readmodel;
