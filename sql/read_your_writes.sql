--
-- read_your_writes: in mode commit, a query of the writing transaction that
-- reads a read model sees the transaction's writes: just before it starts,
-- the work queued for the models it reads (and the models those read) is
-- applied.  Work for models nobody reads stays queued until commit.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_readmodel;
RESET client_min_messages;
CREATE SCHEMA ryw;
SET search_path = ryw, public;

CREATE TABLE tb_user (pk_user integer PRIMARY KEY, name text NOT NULL);
CREATE TABLE tb_post (pk_post integer PRIMARY KEY, fk_user integer NOT NULL REFERENCES tb_user,
                      title text NOT NULL);
CREATE INDEX ON tb_post (fk_user);
INSERT INTO tb_user VALUES (1, 'alice'), (2, 'bob');
INSERT INTO tb_post VALUES (10, 1, 'first'), (11, 2, 'second');
SELECT readmodel.create('tv_post', $$
    SELECT p.pk_post, p.fk_user, jsonb_build_object('title', p.title, 'author', u.name) AS data
    FROM tb_post p JOIN tb_user u ON u.pk_user = p.fk_user
$$);
-- reads tv_post: a cascade one level down
SELECT readmodel.create('tv_user_posts', $$
    SELECT p.fk_user, count(*) AS posts, jsonb_agg(p.data ORDER BY p.pk_post) AS docs
    FROM tv_post p WHERE p.fk_user IS NOT NULL GROUP BY p.fk_user
$$);
-- reads tb_user only: not in the closure of a query on tv_post
SELECT readmodel.create('tv_user', $$ SELECT u.pk_user, u.name FROM tb_user u $$);
CREATE VIEW v_titles AS SELECT pk_post, data->>'title' AS title FROM tv_post;

-- a. a read applies the work of what it reads, and of nothing else
BEGIN;
UPDATE tb_user SET name = 'BOB' WHERE pk_user = 2;
SELECT model, key FROM readmodel.debug_queue() ORDER BY model::text, key;
SELECT pk_post, data->>'author' AS author FROM tv_post ORDER BY 1;
-- tv_post's rows changed, so tv_user_posts is queued now; tv_user still waits
SELECT model, key FROM readmodel.debug_queue() ORDER BY model::text, key;
-- a read of the cascade applies it (its source has nothing left pending)
SELECT fk_user, docs->0->>'author' AS author FROM tv_user_posts ORDER BY 1;
SELECT model, key FROM readmodel.debug_queue() ORDER BY model::text, key;
COMMIT;
SELECT count(*) AS problems FROM readmodel.verify('tv_user');

-- b. reading the cascade first applies the models it reads, deepest last
BEGIN;
INSERT INTO tb_post VALUES (12, 2, 'third');
SELECT fk_user, posts FROM tv_user_posts ORDER BY 1;
SELECT count(*) AS queued FROM readmodel.debug_queue();
COMMIT;

-- c. through a view, a prepared statement, a cursor, a join of both models
BEGIN;
UPDATE tb_post SET title = 'FIRST' WHERE pk_post = 10;
SELECT title FROM v_titles WHERE pk_post = 10;
PREPARE q(integer) AS SELECT data->>'title' AS title FROM tv_post WHERE pk_post = $1;
UPDATE tb_post SET title = 'First!' WHERE pk_post = 10;
EXECUTE q(10);
UPDATE tb_post SET title = 'First?' WHERE pk_post = 10;
DECLARE c CURSOR FOR SELECT data->>'title' AS title FROM tv_post WHERE pk_post = 10;
FETCH c;
CLOSE c;
SELECT u.posts, p.data->>'title' AS title
FROM tv_user_posts u JOIN tv_post p ON p.fk_user = u.fk_user WHERE p.pk_post = 10;
DEALLOCATE q;
COMMIT;

-- d. a mutation function writes and returns the document it touched
CREATE FUNCTION rename_post(post integer, t text) RETURNS jsonb LANGUAGE plpgsql AS $f$
BEGIN
    UPDATE ryw.tb_post SET title = t WHERE pk_post = post;
    RETURN (SELECT data FROM ryw.tv_post WHERE pk_post = post);
END
$f$;
SELECT rename_post(11, 'renamed');
-- ... called for each row of a scan of the model it changes: the outer scan
-- keeps its snapshot, so it sees each row once, as it was when it started
SELECT count(*) AS rows_seen, count(DISTINCT pk_post) AS posts
FROM (SELECT p.pk_post, rename_post(p.pk_post, 'again ' || p.pk_post) FROM tv_post p) s;
SELECT pk_post, data->>'title' AS title FROM tv_post ORDER BY 1;

-- e. savepoints: work applied inside a rolled-back savepoint is applied
-- again by the next read, from the state the rollback left
BEGIN;
UPDATE tb_user SET name = 'Alice' WHERE pk_user = 1;
SAVEPOINT s;
UPDATE tb_user SET name = 'ALICE!' WHERE pk_user = 1;
SELECT data->>'author' AS author FROM tv_post WHERE pk_post = 10;
ROLLBACK TO s;
SELECT data->>'author' AS author FROM tv_post WHERE pk_post = 10;
COMMIT;

-- f. EXPLAIN without ANALYZE applies nothing; the setting turns it off
BEGIN;
UPDATE tb_user SET name = 'al' WHERE pk_user = 1;
EXPLAIN (COSTS OFF) SELECT * FROM tv_post WHERE pk_post = 10;
SELECT count(*) AS queued FROM readmodel.debug_queue() WHERE model = 'tv_post'::regclass;
SET LOCAL readmodel.read_your_writes = off;
SELECT data->>'author' AS author FROM tv_post WHERE pk_post = 10;
SELECT readmodel.flush() > 0 AS flushed;
SELECT data->>'author' AS author FROM tv_post WHERE pk_post = 10;
COMMIT;

-- g. a write that reads a model (CREATE TABLE AS) sees the writes too
BEGIN;
INSERT INTO tb_post VALUES (13, 1, 'fourth');
CREATE TABLE snapshot_of_posts AS SELECT fk_user, posts FROM tv_user_posts;
SELECT * FROM snapshot_of_posts ORDER BY 1;
COMMIT;

SELECT count(*) AS problems FROM readmodel.verify('tv_post');
SELECT count(*) AS problems FROM readmodel.verify('tv_user_posts');
SELECT count(*) AS problems FROM readmodel.verify('tv_user');

SET client_min_messages = warning;
DROP SCHEMA ryw CASCADE;
