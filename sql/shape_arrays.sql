--
-- shape_arrays: correlations through "= ANY (array column)" (tag arrays).
-- A post lists the names of the tags its tag_ids holds: a renamed tag is
-- mapped to the posts whose array holds it (tb_post read with &&, by its
-- GIN index).  A tag counts the posts holding it: a post's old and new
-- elements are the tags to recompute.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_readmodel;
RESET client_min_messages;
CREATE SCHEMA shape_arrays;
SET search_path = shape_arrays, public;

CREATE TABLE tb_tag (pk_tag integer PRIMARY KEY, name text NOT NULL);
CREATE TABLE tb_post (pk_post integer PRIMARY KEY, title text NOT NULL,
                      tag_ids integer[] NOT NULL DEFAULT '{}', big_ids bigint[]);
CREATE INDEX ON tb_post USING gin (tag_ids);
INSERT INTO tb_tag VALUES (1, 'sql'), (2, 'pg'), (3, 'c');
INSERT INTO tb_post VALUES (1, 'a', '{1,2}'), (2, 'b', '{2}'), (3, 'c', '{}');

SELECT readmodel.create('tv_post', $$
    SELECT p.pk_post, p.title,
           (SELECT COALESCE(jsonb_agg(t.name ORDER BY t.pk_tag), '[]')
            FROM tb_tag t WHERE t.pk_tag = ANY (p.tag_ids)) AS tags
    FROM tb_post p $$);
SELECT readmodel.create('tv_tag', $$
    SELECT t.pk_tag, t.name,
           (SELECT count(*) FROM tb_post p WHERE t.pk_tag = ANY (p.tag_ids)) AS posts
    FROM tb_tag t $$);
SELECT * FROM readmodel.explain('tv_post') WHERE kind <> 'triggers';
SELECT * FROM readmodel.explain('tv_tag') WHERE kind <> 'triggers';

-- refused: an array of another element type (bigint elements, integer key)
SELECT readmodel.create('tv_bad', $$
    SELECT p.pk_post,
           (SELECT count(*) FROM tb_tag t WHERE t.pk_tag = ANY (p.big_ids)) AS n
    FROM tb_post p $$);

-- Tags renamed, added to and removed from arrays, created and deleted;
-- NULL elements; posts deleted.
UPDATE tb_tag SET name = 'SQL' WHERE pk_tag = 1;
UPDATE tb_post SET tag_ids = '{3,1}' WHERE pk_post = 2;
INSERT INTO tb_tag VALUES (4, 'new');
UPDATE tb_post SET tag_ids = tag_ids || 4 WHERE pk_post = 3;
UPDATE tb_post SET tag_ids = '{4,NULL}' WHERE pk_post = 1;
DELETE FROM tb_tag WHERE pk_tag = 2;
UPDATE tb_tag SET pk_tag = 5 WHERE pk_tag = 3;
DELETE FROM tb_post WHERE pk_post = 2;
SELECT * FROM tv_post ORDER BY pk_post;
SELECT * FROM tv_tag ORDER BY pk_tag;
SELECT m AS model, (SELECT count(*) FROM readmodel.verify(m)) AS verify_rows
FROM unnest(ARRAY['tv_post', 'tv_tag']) m;

SELECT readmodel.drop('tv_post'), readmodel.drop('tv_tag');
DROP SCHEMA shape_arrays CASCADE;
