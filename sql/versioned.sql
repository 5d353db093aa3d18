--
-- versioned: option version gives a model table version bigint (1 when a
-- row is first written, one more at each change) and projected_at
-- timestamptz (when it was last written), kept by a trigger for every write
-- path, and left out of every comparison with the definition.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_readmodel;
RESET client_min_messages;
CREATE SCHEMA vs;
SET search_path = vs, public;

CREATE TABLE tb_user (pk_user integer PRIMARY KEY, name text NOT NULL);
CREATE TABLE tb_post (pk_post integer PRIMARY KEY, fk_user integer NOT NULL REFERENCES tb_user,
                      title text NOT NULL, score integer NOT NULL DEFAULT 0);
CREATE INDEX ON tb_post (fk_user);
INSERT INTO tb_user VALUES (1, 'alice'), (2, 'bob');
INSERT INTO tb_post VALUES (10, 1, 'first', 1), (11, 2, 'second', 2), (12, 2, 'third', 3);

SELECT readmodel.create('tv_post', $$
    SELECT p.pk_post, p.fk_user, jsonb_build_object('title', p.title, 'author', u.name) AS data
    FROM tb_post p JOIN tb_user u ON u.pk_user = p.fk_user
$$, '{"version": true}');
SELECT readmodel.create('tv_user_score', $$
    SELECT p.fk_user, count(*) AS posts, sum(p.score) AS score FROM tb_post p GROUP BY p.fk_user
$$, '{"version": true}');
SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
WHERE attrelid = 'tv_post'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum;
SELECT pk_post, version, projected_at IS NOT NULL AS has_time FROM tv_post ORDER BY 1;
CREATE TABLE before_times AS SELECT pk_post, projected_at FROM tv_post;

-- a. a recompute, a patch (title is copied), a fold; a no-op changes nothing
UPDATE tb_user SET name = 'BOB' WHERE pk_user = 2;
UPDATE tb_post SET title = 'FIRST' WHERE pk_post = 10;
UPDATE tb_post SET score = score + 1 WHERE pk_post = 11;
UPDATE tb_user SET name = name;
SELECT pk_post, version FROM tv_post ORDER BY 1;
SELECT fk_user, posts, score, version FROM tv_user_score ORDER BY 1;
SELECT t.pk_post, t.projected_at > b.projected_at AS later
FROM tv_post t JOIN before_times b USING (pk_post) ORDER BY 1;
-- b. two changes in one transaction are one write at commit: one version
BEGIN;
UPDATE tb_post SET title = 'x' WHERE pk_post = 12;
UPDATE tb_post SET title = 'y' WHERE pk_post = 12;
COMMIT;
SELECT version FROM tv_post WHERE pk_post = 12;
-- ... unless a read applies them in between (read-your-writes)
BEGIN;
UPDATE tb_post SET title = 'z' WHERE pk_post = 12;
SELECT data->>'title' AS title FROM tv_post WHERE pk_post = 12;
UPDATE tb_post SET title = 'zz' WHERE pk_post = 12;
COMMIT;
SELECT version FROM tv_post WHERE pk_post = 12;
-- c. a row deleted and written again starts at 1
DELETE FROM tb_post WHERE pk_post = 11;
INSERT INTO tb_post VALUES (11, 2, 'second again', 2);
SELECT pk_post, version FROM tv_post WHERE pk_post = 11;
-- d. the columns are not the definition's: verify and the shape ignore them
SELECT count(*) AS problems FROM readmodel.verify('tv_post');
SELECT count(*) AS problems FROM readmodel.verify('tv_user_score');
SELECT status FROM readmodel.models WHERE name = 'tv_post'::regclass;
-- e. nobody writes them but maintenance; no other BEFORE row trigger
UPDATE tv_post SET version = 100;
CREATE FUNCTION bump() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN NEW.version := 0; RETURN NEW; END $f$;
CREATE TRIGGER readmodel_version_2 BEFORE UPDATE ON tv_post FOR EACH ROW EXECUTE FUNCTION bump();
-- f. replace keeps the versions of rows it does not change; without the
-- option the columns go; with it again they come back at 1
SELECT readmodel.create('tv_post', $$
    SELECT p.pk_post, p.fk_user, jsonb_build_object('title', p.title, 'author', u.name) AS data
    FROM tb_post p JOIN tb_user u ON u.pk_user = p.fk_user
$$, '{"version": true, "replace": true}');
SELECT pk_post, version FROM tv_post ORDER BY 1;
SELECT readmodel.create('tv_post', $$
    SELECT p.pk_post, p.fk_user, jsonb_build_object('title', p.title, 'author', u.name) AS data
    FROM tb_post p JOIN tb_user u ON u.pk_user = p.fk_user
$$, '{"replace": true}');
SELECT count(*) AS version_columns FROM pg_attribute
WHERE attrelid = 'tv_post'::regclass AND attname IN ('version', 'projected_at') AND NOT attisdropped;
SELECT count(*) AS version_triggers FROM pg_trigger WHERE tgrelid = 'tv_post'::regclass AND tgname = 'readmodel_version';
SELECT readmodel.create('tv_post', $$
    SELECT p.pk_post, p.fk_user, jsonb_build_object('title', p.title, 'author', u.name) AS data
    FROM tb_post p JOIN tb_user u ON u.pk_user = p.fk_user
$$, '{"replace": true, "version": true}');
SELECT pk_post, version FROM tv_post ORDER BY 1;
UPDATE tb_post SET title = 'again' WHERE pk_post = 10;
SELECT pk_post, version FROM tv_post WHERE pk_post = 10;
SELECT count(*) AS problems FROM readmodel.verify('tv_post');
-- g. a definition with a column of that name cannot have the option
SELECT readmodel.create('tv_bad', $$ SELECT p.pk_post, p.score AS version FROM tb_post p $$,
                        '{"version": true}');
SELECT readmodel.create('tv_bad', $$ SELECT p.pk_post FROM tb_post p $$, '{"version": 1}');

SET client_min_messages = warning;
DROP SCHEMA vs CASCADE;
