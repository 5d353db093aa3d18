--
-- shape_full_join: a FULL JOIN of two tables on their keys (every user and
-- every profile, matched where they can be) is maintained as the UNION ALL
-- it equals: the first table LEFT JOINed, then the second's rows that
-- match nothing.  The model must equal the FULL JOIN itself, row for row
-- and byte for byte (compared as text: 10.5 and 10.50 differ).
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_readmodel;
RESET client_min_messages;
CREATE SCHEMA shape_full_join;
SET search_path = shape_full_join, public;

CREATE TABLE tb_user (pk_user int PRIMARY KEY, name text NOT NULL, score numeric);
CREATE TABLE tb_profile (pk_profile int PRIMARY KEY, fk_user int NOT NULL UNIQUE,
                         bio text, rating numeric(4,2));
INSERT INTO tb_user VALUES (1, 'ann', 10.5), (2, 'bob', NULL), (3, 'cy', 7);
INSERT INTO tb_profile VALUES (10, 2, 'builder', 4.5), (11, 9, 'orphan', NULL);

CREATE VIEW v_full AS
    SELECT COALESCE(u.pk_user, pr.fk_user) AS id, u.name, pr.bio,
           jsonb_build_object('name', u.name, 'score', u.score, 'rating', pr.rating,
                              'has_profile', pr.pk_profile IS NOT NULL) AS data
    FROM tb_user u FULL JOIN tb_profile pr ON pr.fk_user = u.pk_user
    WHERE u.score IS NULL OR u.score < 100;
SELECT readmodel.create('tv_full', $$
    SELECT COALESCE(u.pk_user, pr.fk_user) AS id, u.name, pr.bio,
           jsonb_build_object('name', u.name, 'score', u.score, 'rating', pr.rating,
                              'has_profile', pr.pk_profile IS NOT NULL) AS data
    FROM tb_user u FULL JOIN tb_profile pr ON pr.fk_user = u.pk_user
    WHERE u.score IS NULL OR u.score < 100
$$, '{"key": "id"}');
SELECT source, kind, detail FROM readmodel.explain('tv_full')
WHERE kind NOT IN ('triggers', 'index') ORDER BY 1, 2, 3;
-- the definition is kept as written; its view holds the UNION ALL
SELECT definition LIKE '%FULL JOIN%' AS as_written FROM readmodel.models WHERE name = 'tv_full'::regclass;
SELECT pg_get_viewdef('tv_full_def') LIKE '%UNION ALL%' AS written_out;

CREATE FUNCTION differ() RETURNS bigint LANGUAGE sql AS $$
    SELECT count(*) FROM (
        (SELECT t::text FROM tv_full t EXCEPT ALL SELECT v::text FROM v_full v)
        UNION ALL
        (SELECT v::text FROM v_full v EXCEPT ALL SELECT t::text FROM tv_full t)) d $$;
SELECT * FROM tv_full ORDER BY id;
SELECT differ();

-- a profile finds its user, a user loses hers, keys move on both sides
INSERT INTO tb_user VALUES (9, 'ivy', 1);
DELETE FROM tb_user WHERE pk_user = 2;
UPDATE tb_profile SET fk_user = 3 WHERE pk_profile = 11;
UPDATE tb_user SET pk_user = 20 WHERE pk_user = 1;
INSERT INTO tb_profile VALUES (12, 20, 'moved', 3.10);
SELECT * FROM tv_full ORDER BY id;
SELECT differ(), (SELECT count(*) FROM readmodel.verify('tv_full')) AS verify_rows;

-- the WHERE on the first table's columns, and scales
UPDATE tb_user SET score = 500 WHERE pk_user = 3;     -- leaves; its profile does not come back
UPDATE tb_user SET score = 1.50 WHERE pk_user = 9;
UPDATE tb_profile SET rating = 3.1 WHERE pk_profile = 12;
SELECT * FROM tv_full ORDER BY id;
SELECT differ(), (SELECT count(*) FROM readmodel.verify('tv_full')) AS verify_rows;

-- in one transaction, with a savepoint rolled back; then TRUNCATE
BEGIN;
DELETE FROM tb_user WHERE pk_user = 9;
SAVEPOINT s;
DELETE FROM tb_profile;
ROLLBACK TO SAVEPOINT s;
INSERT INTO tb_profile VALUES (13, 30, 'new', 1);
COMMIT;
SELECT differ(), (SELECT count(*) FROM readmodel.verify('tv_full')) AS verify_rows;
TRUNCATE tb_profile;
SELECT differ(), (SELECT count(*) FROM readmodel.verify('tv_full')) AS verify_rows;

-- replaced by another FULL JOIN, keyed by its COALESCE without naming it
SELECT readmodel.create('tv_full', $$
    SELECT COALESCE(pr.fk_user, u.pk_user) AS id, u.name, pr.bio
    FROM tb_user u FULL JOIN tb_profile pr ON u.pk_user = pr.fk_user
$$, '{"replace": true}');
SELECT key FROM readmodel.models WHERE name = 'tv_full'::regclass;
INSERT INTO tb_profile VALUES (14, 3, 'back', 2), (15, 44, 'alone', 2);
SELECT * FROM tv_full ORDER BY id;
SELECT count(*) AS verify_rows FROM readmodel.verify('tv_full');

-- Not written out, and refused: a condition besides the equality, a column
-- that is not unique, no COALESCE of the two keys, grouping.
SELECT readmodel.create('tv_bad', $$
    SELECT COALESCE(u.pk_user, pr.fk_user) AS id FROM tb_user u
    FULL JOIN tb_profile pr ON pr.fk_user = u.pk_user AND pr.bio <> 'x' $$);
SELECT readmodel.create('tv_bad', $$
    SELECT COALESCE(u.pk_user, pr.pk_profile) AS id FROM tb_user u
    FULL JOIN tb_profile pr ON pr.rating = u.score $$);
SELECT readmodel.create('tv_bad', $$
    SELECT u.pk_user, pr.bio FROM tb_user u FULL JOIN tb_profile pr ON pr.fk_user = u.pk_user $$);
SELECT readmodel.create('tv_bad', $$
    SELECT COALESCE(u.pk_user, pr.fk_user) AS id, count(*) AS n FROM tb_user u
    FULL JOIN tb_profile pr ON pr.fk_user = u.pk_user GROUP BY 1 $$);
-- keys whose equal values can look different (10.5 and 10.50)
CREATE TABLE tb_na (k numeric PRIMARY KEY);
CREATE TABLE tb_nb (k numeric PRIMARY KEY);
SELECT readmodel.create('tv_bad', $$
    SELECT COALESCE(a.k, b.k) AS k FROM tb_na a FULL JOIN tb_nb b ON b.k = a.k $$);
SELECT count(*) AS leftovers FROM pg_class WHERE relname LIKE 'tv_bad%';

-- Clean up.
SET client_min_messages = warning;
DROP SCHEMA shape_full_join CASCADE;
RESET client_min_messages;
