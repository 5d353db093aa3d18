--
-- shape_arrays: correlations through "= ANY (array column)" (tag arrays).
-- A post lists the names of the tags its tag_ids holds: a renamed tag is
-- mapped to the posts whose array holds it (tb_post read with &&, by its
-- GIN index).  A tag counts the posts holding it: a post's old and new
-- elements are the tags to recompute.  The same through unnest(): a join
-- "t.pk_tag = u.id" with unnest(p.tag_ids) u(id) is routed as = ANY, in a
-- subquery or grouped at the top level, repeated elements included.
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
SELECT readmodel.create('tv_post_unnest', $$
    SELECT p.pk_post,
           (SELECT COALESCE(jsonb_agg(t.name ORDER BY t.pk_tag), '[]')
            FROM unnest(p.tag_ids) u(id) JOIN tb_tag t ON t.pk_tag = u.id) AS tags
    FROM tb_post p $$);
SELECT readmodel.create('tv_tag_unnest', $$
    SELECT t.pk_tag,
           (SELECT count(*) FROM tb_post p, unnest(p.tag_ids) u(id) WHERE u.id = t.pk_tag) AS uses
    FROM tb_tag t $$);
SELECT readmodel.create('tv_post_grouped', $$
    SELECT p.pk_post, count(t.pk_tag) AS n, jsonb_agg(t.name ORDER BY t.name, t.pk_tag) AS names
    FROM tb_post p CROSS JOIN LATERAL unnest(p.tag_ids) u(id) JOIN tb_tag t ON t.pk_tag = u.id
    GROUP BY p.pk_post $$);
SELECT * FROM readmodel.explain('tv_post') WHERE kind <> 'triggers';
SELECT * FROM readmodel.explain('tv_tag') WHERE kind <> 'triggers';
SELECT * FROM readmodel.explain('tv_post_unnest') WHERE kind NOT IN ('triggers', 'index');
SELECT * FROM readmodel.explain('tv_tag_unnest') WHERE kind NOT IN ('triggers', 'index');

-- refused: an array of another element type (bigint elements, integer key)
SELECT readmodel.create('tv_bad', $$
    SELECT p.pk_post,
           (SELECT count(*) FROM tb_tag t WHERE t.pk_tag = ANY (p.big_ids)) AS n
    FROM tb_post p $$);
-- refused: WITH ORDINALITY tells repeated elements apart, and ordering by
-- the tag does not order them
SELECT readmodel.create('tv_bad', $$
    SELECT p.pk_post,
           (SELECT jsonb_agg(u.ord ORDER BY t.pk_tag)
            FROM unnest(p.tag_ids) WITH ORDINALITY u(id, ord) JOIN tb_tag t ON t.pk_tag = u.id) AS n
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
UPDATE tb_post SET tag_ids = '{1,1,4}' WHERE pk_post = 3;
SELECT * FROM tv_post_unnest ORDER BY pk_post;
SELECT * FROM tv_tag_unnest ORDER BY pk_tag;
SELECT * FROM tv_post_grouped ORDER BY pk_post;
SELECT m AS model, (SELECT count(*) FROM readmodel.verify(m)) AS verify_rows
FROM unnest(ARRAY['tv_post', 'tv_tag', 'tv_post_unnest', 'tv_tag_unnest', 'tv_post_grouped']) m;

SELECT readmodel.drop('tv_post'), readmodel.drop('tv_tag'), readmodel.drop('tv_post_unnest'),
       readmodel.drop('tv_tag_unnest'), readmodel.drop('tv_post_grouped');
DROP SCHEMA shape_arrays CASCADE;
