--
-- suspend_replay: while a model is suspended its writers record the keys
-- they change in readmodel.suspended_queue (one row per transaction), up to
-- readmodel.resume_replay_limit keys; past it a row with NULL keys marks
-- that resume() must rebuild, and later writers record nothing.  resume()
-- replays the keys when they are few, else rebuilds by diff; either way
-- the model is exact and the queue empty afterwards.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_readmodel;
RESET client_min_messages;
CREATE SCHEMA sr;
SET search_path = sr, public;

CREATE TABLE tb_user (pk_user integer PRIMARY KEY, name text NOT NULL);
CREATE TABLE tb_post (pk_post integer PRIMARY KEY, fk_user integer NOT NULL REFERENCES tb_user,
                      title text NOT NULL, score integer NOT NULL DEFAULT 0);
CREATE INDEX ON tb_post (fk_user);
INSERT INTO tb_user SELECT g, 'user ' || g FROM generate_series(1, 10) g;
INSERT INTO tb_post SELECT g, 1 + g % 10, 'post ' || g, g FROM generate_series(1, 100) g;

SELECT readmodel.create('tv_post', $$
    SELECT p.pk_post, p.fk_user, jsonb_build_object('title', p.title, 'author', u.name) AS data
    FROM tb_post p JOIN tb_user u ON u.pk_user = p.fk_user
$$);
-- a rollup with aggregate deltas, and a model reading tv_post
SELECT readmodel.create('tv_user_score', $$
    SELECT p.fk_user, count(*) AS posts, sum(p.score) AS score FROM tb_post p GROUP BY p.fk_user
$$);
SELECT readmodel.create('tv_author_titles', $$
    SELECT p.fk_user, jsonb_agg(p.data->>'title' ORDER BY p.pk_post) AS titles
    FROM tv_post p WHERE p.fk_user IS NOT NULL GROUP BY p.fk_user
$$);
-- a composite key
SELECT readmodel.create('tv_title', $$
    SELECT p.fk_user, p.title, count(*) AS n FROM tb_post p GROUP BY p.fk_user, p.title
$$, '{"key": ["fk_user", "title"]}');

CREATE VIEW queued AS
SELECT q.model::text AS model, count(*) AS rows, count(*) FILTER (WHERE q.keys IS NULL) AS markers,
       sum(cardinality(q.keys)) AS keys
FROM readmodel.suspended_queue q GROUP BY q.model;
CREATE FUNCTION problems() RETURNS bigint LANGUAGE sql AS $$
    SELECT sum((SELECT count(*) FROM readmodel.verify(m.name::text)))
    FROM readmodel.models m
$$;

-- a. a few writes while suspended: recorded, one row per transaction, and
--    replayed; what reads the model follows
SELECT readmodel.suspend('tv_post');
SELECT readmodel.suspend('tv_user_score');
SELECT readmodel.suspend('tv_title');
UPDATE tb_user SET name = 'renamed' WHERE pk_user = 3;
BEGIN;
UPDATE tb_post SET title = 'changed', score = 1000 WHERE pk_post = 5;
INSERT INTO tb_post VALUES (101, 3, 'a "quoted", (odd) title\', 7);
DELETE FROM tb_post WHERE pk_post = 6;
COMMIT;
-- a title-only change is a patch when maintained: here it is a key
UPDATE tb_post SET title = 'patched' WHERE pk_post = 7;
SELECT * FROM queued ORDER BY 1;
SELECT data->>'author' AS still_old FROM tv_post WHERE pk_post = 3;
SELECT name, status FROM readmodel.models WHERE status <> 'maintained' ORDER BY 1;
SET client_min_messages = debug1;
SELECT readmodel.resume('tv_post');
SELECT readmodel.resume('tv_user_score');
SELECT readmodel.resume('tv_title');
RESET client_min_messages;
SELECT * FROM queued;
SELECT problems();
SELECT data->>'author' AS author, (SELECT titles->>0 FROM tv_author_titles WHERE fk_user = 3) AS first
FROM tv_post WHERE pk_post = 3;
SELECT n FROM tv_title WHERE fk_user = 3 AND title = 'a "quoted", (odd) title\';

-- b. a rolled-back savepoint records nothing of its own
SELECT readmodel.suspend('tv_post');
BEGIN;
UPDATE tb_post SET title = 'kept' WHERE pk_post = 8;
SAVEPOINT s;
UPDATE tb_post SET title = 'undone' WHERE pk_post IN (9, 10, 11);
ROLLBACK TO SAVEPOINT s;
COMMIT;
BEGIN;
UPDATE tb_post SET title = 'rolled back' WHERE pk_post = 12;
ROLLBACK;
SELECT * FROM queued;
SET client_min_messages = debug1;
SELECT readmodel.resume('tv_post');
RESET client_min_messages;
SELECT problems();

-- c. a statement past the limit: a marker, nothing per row; later writers
--    see it and record nothing; resume rebuilds
SET readmodel.resume_replay_limit = 5;
SELECT readmodel.suspend('tv_post');
UPDATE tb_post SET score = score + 1 WHERE pk_post <= 3;
SELECT * FROM queued;
UPDATE tb_post SET title = title || '!' WHERE pk_post <= 20;
SELECT * FROM queued;
UPDATE tb_post SET title = 'after the marker' WHERE pk_post = 30;
SELECT * FROM queued;
SET client_min_messages = debug1;
SELECT readmodel.resume('tv_post') AS rows_written;
RESET client_min_messages;
SELECT * FROM queued;
SELECT problems();

-- d. small transactions that add up past the limit: resume rebuilds
SELECT readmodel.suspend('tv_post');
UPDATE tb_post SET title = 'small ' || pk_post WHERE pk_post IN (1, 2, 3);
UPDATE tb_post SET title = 'small ' || pk_post WHERE pk_post IN (4, 5, 7);
SELECT * FROM queued;
SET client_min_messages = debug1;
SELECT readmodel.resume('tv_post') AS rows_written;
RESET client_min_messages;
SELECT problems();
RESET readmodel.resume_replay_limit;

-- e. TRUNCATE while suspended is a rebuild
SELECT readmodel.suspend('tv_user_score');
CREATE TABLE saved AS SELECT * FROM tb_post;
TRUNCATE tb_post;
INSERT INTO tb_post SELECT * FROM saved;
SELECT * FROM queued;
SELECT readmodel.resume('tv_user_score') AS rows_written;
SELECT * FROM queued;
SELECT problems();

-- f. suspend, write and resume in one transaction; and a write by the
--    resuming transaction before it resumes
BEGIN;
SELECT readmodel.suspend('tv_post');
UPDATE tb_user SET name = 'in one transaction' WHERE pk_user = 4;
SELECT readmodel.resume('tv_post');
UPDATE tb_user SET name = 'after resume' WHERE pk_user = 5;
COMMIT;
SELECT problems();
SELECT readmodel.suspend('tv_post');
BEGIN;
UPDATE tb_user SET name = 'before resume' WHERE pk_user = 6;
SELECT readmodel.resume('tv_post');
COMMIT;
SELECT problems();
SELECT * FROM queued;

-- g. refresh() of a suspended model rebuilds it and drops what was recorded
SELECT readmodel.suspend('tv_post');
UPDATE tb_user SET name = 'refreshed' WHERE pk_user = 7;
SELECT * FROM queued;
SELECT readmodel.refresh('tv_post') > 0 AS rebuilt;
SELECT name, status FROM readmodel.models WHERE name = 'tv_post'::regclass;
SELECT * FROM queued;
SELECT problems();

-- h. dropping a suspended model drops what it recorded
SELECT readmodel.suspend('tv_title');
UPDATE tb_post SET title = 'dropped' WHERE pk_post = 40;
SELECT * FROM queued;
SELECT readmodel.drop('tv_title');
SELECT count(*) AS left_over FROM readmodel.suspended_queue;

-- i. the queue is the extension's: writers may not read or forge it
CREATE ROLE sr_writer;
GRANT USAGE ON SCHEMA sr TO sr_writer;
GRANT SELECT, UPDATE ON tb_post TO sr_writer;
SELECT readmodel.suspend('tv_post');
SET ROLE sr_writer;
UPDATE tb_post SET title = 'by a writer' WHERE pk_post = 41;
SELECT count(*) FROM readmodel.suspended_queue;
INSERT INTO readmodel.suspended_queue (model, keys) VALUES ('tv_post', NULL);
RESET ROLE;
SELECT * FROM queued;
SELECT readmodel.resume('tv_post');
SELECT problems();

-- j. a suspension rolled back with its savepoint: the writes after it, and
--    those held for it before, are applied at commit
BEGIN;
UPDATE tb_post SET title = 'before the savepoint' WHERE pk_post = 42;
SAVEPOINT s;
SELECT readmodel.suspend('tv_post');
UPDATE tb_post SET title = 'while suspended, undone' WHERE pk_post = 43;
SELECT readmodel.flush();
ROLLBACK TO SAVEPOINT s;
UPDATE tb_post SET title = 'after the rollback' WHERE pk_post = 44;
COMMIT;
SELECT name, status FROM readmodel.models WHERE name = 'tv_post'::regclass;
SELECT problems();
SELECT count(*) AS queued_rows FROM readmodel.suspended_queue;

-- k. resumed and suspended again in one transaction: what it knew of the
--    old marker does not stop it recording
SET readmodel.resume_replay_limit = 2;
SELECT readmodel.suspend('tv_post');
UPDATE tb_post SET title = 'past the limit' WHERE pk_post <= 5;
RESET readmodel.resume_replay_limit;
BEGIN;
UPDATE tb_post SET title = 'sees the marker' WHERE pk_post = 45;
SELECT readmodel.resume('tv_post') >= 0 AS resumed;
SELECT readmodel.suspend('tv_post');
UPDATE tb_post SET title = 'recorded again' WHERE pk_post = 46;
COMMIT;
SELECT * FROM queued;
SELECT readmodel.resume('tv_post');
SELECT problems();

-- l. one row that reaches more keys than the limit (a rename of a user
--    with 10 posts): the keys are let go, a rebuild is due
SET readmodel.resume_replay_limit = 5;
SELECT readmodel.suspend('tv_post');
UPDATE tb_user SET name = 'many posts' WHERE pk_user = 1;
SELECT * FROM queued;
RESET readmodel.resume_replay_limit;
SELECT readmodel.resume('tv_post') > 0 AS rebuilt;
SELECT problems();

-- Clean up.
SET client_min_messages = warning;
DROP SCHEMA sr CASCADE;
DROP ROLE sr_writer;
RESET client_min_messages;
