--
-- shape_lateral: the latest N children per parent (LEFT JOIN LATERAL ...
-- ORDER BY ... LIMIT n, one row or aggregated), RIGHT JOIN with the entity
-- on the right (read as the LEFT JOIN it is), and a FULL JOIN that WHERE
-- reduces to a LEFT JOIN.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_readmodel;
RESET client_min_messages;
CREATE SCHEMA shape_lateral;
SET search_path = shape_lateral, public;

CREATE TABLE tb_user (pk_user integer PRIMARY KEY, name text NOT NULL);
CREATE TABLE tb_post (pk_post integer PRIMARY KEY, fk_user integer REFERENCES tb_user, title text NOT NULL);
CREATE TABLE tb_comment (
    pk_comment integer PRIMARY KEY,
    fk_post    integer NOT NULL REFERENCES tb_post,
    body       text NOT NULL,
    created_at integer NOT NULL
);
CREATE INDEX ON tb_comment (fk_post);
CREATE INDEX ON tb_post (fk_user);
INSERT INTO tb_user VALUES (1, 'ann'), (2, 'ben');
INSERT INTO tb_post VALUES (1, 1, 'one'), (2, NULL, 'two'), (3, 2, 'three');
INSERT INTO tb_comment VALUES (1, 1, 'a', 10), (2, 1, 'b', 20), (3, 1, 'c', 20), (4, 2, 'd', 5);

SELECT readmodel.create('tv_last_comment', $$
    SELECT p.pk_post, last.body AS last_comment, last.created_at AS last_at
    FROM tb_post p
    LEFT JOIN LATERAL (SELECT c.body, c.created_at FROM tb_comment c WHERE c.fk_post = p.pk_post
                       ORDER BY c.created_at DESC, c.pk_comment DESC LIMIT 1) last ON true $$);
SELECT readmodel.create('tv_last_two', $$
    SELECT p.pk_post,
           COALESCE(jsonb_agg(last.body ORDER BY last.created_at DESC, last.pk_comment DESC)
                    FILTER (WHERE last.pk_comment IS NOT NULL), '[]') AS last_two
    FROM tb_post p
    LEFT JOIN LATERAL (SELECT c.pk_comment, c.body, c.created_at FROM tb_comment c
                       WHERE c.fk_post = p.pk_post
                       ORDER BY c.created_at DESC, c.pk_comment DESC LIMIT 2) last ON true
    GROUP BY p.pk_post $$);
SELECT readmodel.create('tv_post_author', $$
    SELECT p.pk_post, p.title, u.name AS author
    FROM tb_user u RIGHT JOIN tb_post p ON p.fk_user = u.pk_user $$);
-- a FULL JOIN whose WHERE keeps only the posts' rows is a LEFT JOIN
SELECT readmodel.create('tv_post_full', $$
    SELECT p.pk_post, u.name AS author
    FROM tb_post p FULL JOIN tb_user u ON u.pk_user = p.fk_user
    WHERE p.pk_post IS NOT NULL $$);
-- refused: ties in the LIMIT's ORDER BY, and the entity on the nullable
-- side of a FULL join
SELECT readmodel.create('tv_bad', $$
    SELECT p.pk_post, last.body
    FROM tb_post p
    LEFT JOIN LATERAL (SELECT c.body FROM tb_comment c WHERE c.fk_post = p.pk_post
                       ORDER BY c.created_at DESC LIMIT 1) last ON true $$);
SELECT readmodel.create('tv_bad', $$
    SELECT p.pk_post, u.name FROM tb_user u FULL JOIN tb_post p ON p.fk_user = u.pk_user $$);

SELECT * FROM tv_last_comment ORDER BY pk_post;
SELECT * FROM tv_last_two ORDER BY pk_post;
SELECT * FROM tv_post_author ORDER BY pk_post;

-- A new latest comment pushes one out; an older one changes nothing shown
-- but is recomputed; a comment moves between posts; a deletion brings an
-- older one back; a post changes author; an author is renamed.
INSERT INTO tb_comment VALUES (5, 1, 'e', 30);
INSERT INTO tb_comment VALUES (6, 1, 'old', 1);
UPDATE tb_comment SET fk_post = 3 WHERE pk_comment = 2;
DELETE FROM tb_comment WHERE pk_comment = 5;
UPDATE tb_post SET fk_user = 1 WHERE pk_post = 2;
UPDATE tb_user SET name = 'Ben' WHERE pk_user = 2;
DELETE FROM tb_post WHERE pk_post = 3 AND NOT EXISTS (SELECT FROM tb_comment WHERE fk_post = 3);

SELECT * FROM tv_last_comment ORDER BY pk_post;
SELECT * FROM tv_last_two ORDER BY pk_post;
SELECT * FROM tv_post_author ORDER BY pk_post;
SELECT m AS model, (SELECT count(*) FROM readmodel.verify(m)) AS verify_rows
FROM unnest(ARRAY['tv_last_comment', 'tv_last_two', 'tv_post_author', 'tv_post_full']) m;

SELECT readmodel.drop(m) FROM unnest(ARRAY['tv_last_comment', 'tv_last_two', 'tv_post_author', 'tv_post_full']) m;
DROP SCHEMA shape_lateral CASCADE;
