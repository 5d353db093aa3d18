--
-- shape_subqueries: children aggregated by correlated scalar subqueries in
-- the select list (jsonb_agg ... ORDER BY, count(*), COALESCE to '[]'),
-- a subquery that joins inside (comment -> its author), and EXISTS / IN
-- sublinks in the select list and in WHERE.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_readmodel;
RESET client_min_messages;
CREATE SCHEMA shape_sub;
SET search_path = shape_sub, public;

CREATE TABLE tb_user (
    pk_user integer PRIMARY KEY,
    name    text NOT NULL
);
CREATE TABLE tb_post (
    pk_post integer PRIMARY KEY,
    title   text NOT NULL
);
CREATE TABLE tb_comment (
    pk_comment integer PRIMARY KEY,
    fk_post    integer NOT NULL REFERENCES tb_post (pk_post),
    fk_user    integer NOT NULL REFERENCES tb_user (pk_user),
    body       text NOT NULL,
    hidden     boolean NOT NULL DEFAULT false
);
CREATE TABLE tb_tag (
    pk_tag integer PRIMARY KEY,
    name   text NOT NULL
);
CREATE TABLE tb_post_tag (
    fk_post integer NOT NULL REFERENCES tb_post (pk_post),
    fk_tag  integer NOT NULL REFERENCES tb_tag (pk_tag),
    PRIMARY KEY (fk_post, fk_tag)
);

INSERT INTO tb_user VALUES (1, 'alice'), (2, 'bob');
INSERT INTO tb_post VALUES (1, 'First'), (2, 'Second'), (3, 'Third');
INSERT INTO tb_comment VALUES
    (1, 1, 2, 'nice', false),
    (2, 1, 1, 'thanks', false),
    (3, 2, 2, 'spam', true);
INSERT INTO tb_tag VALUES (1, 'featured'), (2, 'sql');
INSERT INTO tb_post_tag VALUES (1, 2), (2, 1);

-- Comments as a JSON array (empty array, not NULL, when there are none),
-- visible comments counted, and each comment's author looked up inside the
-- subquery.
SELECT readmodel.create('tv_post', $$
    SELECT p.pk_post, p.title,
           COALESCE((SELECT jsonb_agg(jsonb_build_object('id', c.pk_comment,
                                                         'body', c.body,
                                                         'by', u.name)
                                      ORDER BY c.pk_comment)
                     FROM tb_comment c
                     JOIN tb_user u ON u.pk_user = c.fk_user
                     WHERE c.fk_post = p.pk_post AND NOT c.hidden),
                    '[]'::jsonb) AS comments,
           (SELECT count(*) FROM tb_comment c2
            WHERE c2.fk_post = p.pk_post AND NOT c2.hidden) AS comment_count
    FROM tb_post p
$$);

-- Tags: EXISTS and IN sublinks in the select list, and a tag array.
SELECT readmodel.create('tv_post_tags', $$
    SELECT p.pk_post,
           EXISTS (SELECT 1 FROM tb_post_tag pt JOIN tb_tag t ON t.pk_tag = pt.fk_tag
                   WHERE pt.fk_post = p.pk_post AND t.name = 'featured') AS featured,
           p.pk_post IN (SELECT pt2.fk_post FROM tb_post_tag pt2 WHERE pt2.fk_tag = 2) AS tagged_sql,
           ARRAY(SELECT t3.name FROM tb_post_tag pt3 JOIN tb_tag t3 ON t3.pk_tag = pt3.fk_tag
                 WHERE pt3.fk_post = p.pk_post ORDER BY t3.name) AS tags
    FROM tb_post p
$$);

-- Only posts that have a visible comment (EXISTS in WHERE), and only posts
-- commented by alice (IN in WHERE).
SELECT readmodel.create('tv_commented_post', $$
    SELECT p.pk_post, p.title
    FROM tb_post p
    WHERE EXISTS (SELECT 1 FROM tb_comment c WHERE c.fk_post = p.pk_post AND NOT c.hidden)
$$);
SELECT readmodel.create('tv_post_with_alice', $$
    SELECT p.pk_post, p.title
    FROM tb_post p
    WHERE p.pk_post IN (SELECT c.fk_post FROM tb_comment c
                        JOIN tb_user u ON u.pk_user = c.fk_user
                        WHERE u.name = 'alice')
$$);

SELECT name, key, sources FROM readmodel.models ORDER BY name::text;
SELECT * FROM tv_post ORDER BY pk_post;
SELECT * FROM tv_post_tags ORDER BY pk_post;
SELECT * FROM tv_commented_post ORDER BY pk_post;
SELECT * FROM tv_post_with_alice ORDER BY pk_post;

-- 1. A new comment on post 3 (which had none) by alice.
INSERT INTO tb_comment VALUES (4, 3, 1, 'first!', false);
SELECT * FROM tv_post ORDER BY pk_post;
SELECT * FROM tv_commented_post ORDER BY pk_post;
SELECT * FROM tv_post_with_alice ORDER BY pk_post;
SELECT * FROM readmodel.verify('tv_post');
SELECT * FROM readmodel.verify('tv_commented_post');
SELECT * FROM readmodel.verify('tv_post_with_alice');

-- 2. Edit a comment body; unhide the spam.
UPDATE tb_comment SET body = 'very nice' WHERE pk_comment = 1;
UPDATE tb_comment SET hidden = false WHERE pk_comment = 3;
SELECT * FROM tv_post ORDER BY pk_post;
SELECT * FROM tv_commented_post ORDER BY pk_post;
SELECT * FROM readmodel.verify('tv_post');
SELECT * FROM readmodel.verify('tv_commented_post');

-- 3. Move comment 2 (alice's) from post 1 to post 2: both posts change.
BEGIN;
UPDATE tb_comment SET fk_post = 2 WHERE pk_comment = 2;
SELECT model, key, reason FROM readmodel.debug_queue() ORDER BY model::text, key;
COMMIT;
SELECT * FROM tv_post ORDER BY pk_post;
SELECT * FROM tv_post_with_alice ORDER BY pk_post;
SELECT * FROM readmodel.verify('tv_post');
SELECT * FROM readmodel.verify('tv_post_with_alice');

-- 4. Rename a user: the posts holding her comments change (comment ->
--    post inside the subquery); renaming her away from 'alice' empties the
--    IN filter.
UPDATE tb_user SET name = 'alice.smith' WHERE pk_user = 1;
SELECT pk_post, comments FROM tv_post ORDER BY pk_post;
SELECT * FROM tv_post_with_alice ORDER BY pk_post;
UPDATE tb_user SET name = 'alice' WHERE pk_user = 1;
SELECT * FROM tv_post_with_alice ORDER BY pk_post;
SELECT * FROM readmodel.verify('tv_post');
SELECT * FROM readmodel.verify('tv_post_with_alice');

-- 5. Delete every comment of post 1 and hide the only comment of post 3:
--    comments falls back to '[]', the count to 0, and both posts leave
--    tv_commented_post.
DELETE FROM tb_comment WHERE fk_post = 1;
UPDATE tb_comment SET hidden = true WHERE pk_comment = 4;
SELECT * FROM tv_post ORDER BY pk_post;
SELECT * FROM tv_commented_post ORDER BY pk_post;
SELECT * FROM readmodel.verify('tv_post');
SELECT * FROM readmodel.verify('tv_commented_post');

-- 6. Tags: tag post 3, rename a tag, untag post 2, move post 1 from sql
--    to featured.
INSERT INTO tb_post_tag VALUES (3, 1), (3, 2);
SELECT * FROM tv_post_tags ORDER BY pk_post;
BEGIN;
UPDATE tb_tag SET name = 'pinned' WHERE pk_tag = 1;
SELECT model, key, reason FROM readmodel.debug_queue() ORDER BY model::text, key;
COMMIT;
SELECT * FROM tv_post_tags ORDER BY pk_post;
UPDATE tb_tag SET name = 'featured' WHERE pk_tag = 1;
DELETE FROM tb_post_tag WHERE fk_post = 2;
UPDATE tb_post_tag SET fk_tag = 1 WHERE fk_post = 1 AND fk_tag = 2;
SELECT * FROM tv_post_tags ORDER BY pk_post;
SELECT * FROM readmodel.verify('tv_post_tags');

-- 7. A new post with comments and tags in one transaction.
BEGIN;
INSERT INTO tb_post VALUES (4, 'Fourth');
INSERT INTO tb_comment VALUES (5, 4, 2, 'b1', false), (6, 4, 1, 'a1', false), (7, 4, 2, 'b2', false);
INSERT INTO tb_post_tag VALUES (4, 1);
COMMIT;
SELECT * FROM tv_post ORDER BY pk_post;
SELECT * FROM tv_post_tags ORDER BY pk_post;
SELECT * FROM tv_commented_post ORDER BY pk_post;
SELECT * FROM tv_post_with_alice ORDER BY pk_post;
SELECT * FROM readmodel.verify('tv_post');
SELECT * FROM readmodel.verify('tv_post_tags');
SELECT * FROM readmodel.verify('tv_commented_post');
SELECT * FROM readmodel.verify('tv_post_with_alice');

-- Clean up.
SET client_min_messages = warning;
DROP SCHEMA shape_sub CASCADE;
RESET client_min_messages;
DROP EXTENSION pg_readmodel;
