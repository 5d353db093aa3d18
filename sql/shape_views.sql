--
-- shape_views: read models over views (layered as FraiseQL's v_ views are),
-- WITH queries and a plain subquery first in FROM.  They are analysed as
-- what they read; maintenance runs the definition as written.  Replacing a
-- view a model reads re-analyses and rebuilds the model, or is refused.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_readmodel;
RESET client_min_messages;
CREATE SCHEMA shape_views;
SET search_path = shape_views, public;

CREATE TABLE tb_user (
    pk_user integer PRIMARY KEY,
    name    text NOT NULL,
    active  boolean NOT NULL DEFAULT true
);
CREATE TABLE tb_post (
    pk_post integer PRIMARY KEY,
    fk_user integer NOT NULL REFERENCES tb_user,
    title   text NOT NULL,
    deleted boolean NOT NULL DEFAULT false
);
CREATE TABLE tb_comment (
    pk_comment integer PRIMARY KEY,
    fk_post    integer NOT NULL REFERENCES tb_post,
    body       text NOT NULL
);
CREATE INDEX ON tb_post (fk_user);
CREATE INDEX ON tb_comment (fk_post);
INSERT INTO tb_user VALUES (1, 'alice'), (2, 'bob');
INSERT INTO tb_post VALUES (1, 1, 'First', false), (2, 2, 'Second', false), (3, 1, 'Gone', true);
INSERT INTO tb_comment VALUES (1, 1, 'nice'), (2, 1, 'thanks'), (3, 2, 'hm');

-- Views over views, with filters: rows enter and leave the model as the
-- filters' columns change.
CREATE VIEW v_user AS SELECT u.pk_user AS id, u.name FROM tb_user u WHERE u.active;
CREATE VIEW v_post AS
    SELECT p.pk_post, p.title, p.fk_user, u.name AS author
    FROM tb_post p JOIN tb_user u ON u.pk_user = p.fk_user
    WHERE NOT p.deleted
    ORDER BY p.pk_post;
CREATE VIEW v_post_user AS
    SELECT vp.*, vu.id AS active_author
    FROM v_post vp LEFT JOIN v_user vu ON vu.id = vp.fk_user;

SELECT readmodel.create('tv_post', $$
    SELECT p.pk_post,
           jsonb_build_object('title', p.title, 'author', p.author,
                              'comments', (SELECT COALESCE(jsonb_agg(c.body ORDER BY c.pk_comment), '[]')
                                           FROM tb_comment c WHERE c.fk_post = p.pk_post)) AS data
    FROM v_post p $$);
SELECT readmodel.create('tv_post_user', $$
    SELECT x.pk_post, x.title, x.active_author FROM v_post_user x $$);
-- a view joined N:1 to a table root
SELECT readmodel.create('tv_comment', $$
    SELECT c.pk_comment, c.body, u.name AS commenter_of_post
    FROM tb_comment c JOIN v_post p ON p.pk_post = c.fk_post
    LEFT JOIN v_user u ON u.id = p.fk_user $$);

-- WITH queries, MATERIALIZED or not, one read twice; a subquery first in FROM.
SELECT readmodel.create('tv_cte', $$
    WITH u AS (SELECT pk_user, upper(name) AS uname FROM tb_user),
         pc AS MATERIALIZED (SELECT fk_post, count(*) AS n FROM tb_comment GROUP BY fk_post)
    SELECT p.pk_post, u.uname, COALESCE(pc.n, 0) AS n,
           (SELECT pc2.n FROM pc pc2 WHERE pc2.fk_post = p.pk_post) AS n_again
    FROM tb_post p JOIN u ON u.pk_user = p.fk_user LEFT JOIN pc ON pc.fk_post = p.pk_post $$);
SELECT readmodel.create('tv_active', $$
    SELECT s.pk_user, s.name FROM (SELECT pk_user, name FROM tb_user WHERE active) s $$);

SELECT * FROM readmodel.explain('tv_post_user') WHERE kind <> 'index';

SELECT * FROM tv_post ORDER BY pk_post;
SELECT * FROM tv_post_user ORDER BY pk_post;
SELECT * FROM tv_cte ORDER BY pk_post;

-- Every DML kind on every source, through the views' filters.
UPDATE tb_user SET name = 'Alice' WHERE pk_user = 1;
UPDATE tb_post SET deleted = true WHERE pk_post = 2;     -- leaves v_post
UPDATE tb_post SET deleted = false WHERE pk_post = 3;    -- enters v_post
INSERT INTO tb_comment VALUES (4, 3, 'back');
UPDATE tb_user SET active = false WHERE pk_user = 2;     -- leaves v_user
UPDATE tb_post SET fk_user = 2 WHERE pk_post = 1;
DELETE FROM tb_comment WHERE pk_comment = 2;
INSERT INTO tb_user VALUES (3, 'carol');
INSERT INTO tb_post VALUES (4, 3, 'Fourth', false);

SELECT * FROM tv_post ORDER BY pk_post;
SELECT * FROM tv_post_user ORDER BY pk_post;
SELECT * FROM tv_comment ORDER BY pk_comment;
SELECT * FROM tv_cte ORDER BY pk_post;
SELECT * FROM tv_active ORDER BY pk_user;

CREATE FUNCTION image_diff(model text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
    EXECUTE format(
        'SELECT (SELECT count(*) FROM %1$s t WHERE NOT EXISTS
                   (SELECT FROM %1$s_def d WHERE pg_catalog.record_image_eq(ROW(t.*), ROW(d.*))))
              + (SELECT count(*) FROM %1$s_def d WHERE NOT EXISTS
                   (SELECT FROM %1$s t WHERE pg_catalog.record_image_eq(ROW(t.*), ROW(d.*))))',
        model) INTO n;
    RETURN n;
END $$;
SELECT m AS model, image_diff(m) AS differing
FROM unnest(ARRAY['tv_post', 'tv_post_user', 'tv_comment', 'tv_cte', 'tv_active']) m;

-- CREATE OR REPLACE VIEW: the models that read it are analysed again and
-- rebuilt in the same transaction.
BEGIN;
CREATE OR REPLACE VIEW v_user AS
    SELECT u.pk_user AS id, u.name FROM tb_user u WHERE u.active OR u.pk_user = 2;
SELECT * FROM tv_post_user ORDER BY pk_post;
CREATE OR REPLACE VIEW v_post AS
    SELECT p.pk_post, p.title || '!' AS title, p.fk_user, u.name AS author
    FROM tb_post p JOIN tb_user u ON u.pk_user = p.fk_user;
COMMIT;
SELECT * FROM tv_post ORDER BY pk_post;
SELECT m AS model, image_diff(m) AS differing
FROM unnest(ARRAY['tv_post', 'tv_post_user', 'tv_comment']) m;
UPDATE tb_post SET title = 'Again' WHERE pk_post = 2;
SELECT * FROM tv_post_user ORDER BY pk_post;

--   refused: a table the models do not capture, a volatile function in a
--   column no model reads (the planner may still compute it), and nothing
--   changed after the refusals.
CREATE TABLE tb_banned (pk_user integer PRIMARY KEY);
CREATE OR REPLACE VIEW v_user AS
    SELECT u.pk_user AS id, u.name FROM tb_user u
    WHERE u.active AND NOT EXISTS (SELECT FROM tb_banned b WHERE b.pk_user = u.pk_user);
CREATE OR REPLACE VIEW v_user AS
    SELECT u.pk_user AS id, random()::text AS name FROM tb_user u WHERE u.active;
SELECT pg_get_viewdef('v_user');

-- Refused as a source: a materialized view; a volatile function in a view
-- column the definition does not select.
CREATE MATERIALIZED VIEW mv_user AS SELECT * FROM tb_user;
SELECT readmodel.create('tv_bad', $$ SELECT m.pk_user, m.name FROM mv_user m $$);
CREATE VIEW v_noisy AS SELECT u.pk_user, u.name, random() AS noise FROM tb_user u;
SELECT readmodel.create('tv_bad', $$ SELECT n.pk_user, n.name FROM v_noisy n $$);
CREATE VIEW v_noisy_join AS
    SELECT p.pk_post, n.name FROM tb_post p JOIN v_noisy n ON n.pk_user = p.fk_user;
SELECT readmodel.create('tv_bad', $$ SELECT j.pk_post, j.name FROM v_noisy_join j $$);
SELECT readmodel.create('tv_bad', $$
    WITH RECURSIVE chain(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM chain WHERE n < 3)
    SELECT u.pk_user, (SELECT max(n) FROM chain) AS depth FROM tb_user u $$);
SELECT count(*) AS leftover_bad FROM pg_class WHERE relname LIKE 'tv_bad%';

-- A view's tables are read with the rights of the view's owner, and so are
-- its row-level security policies: a policy that applies to the view's
-- owner makes the model depend on who reads, and is refused.
CREATE ROLE regress_readmodel_view_owner;
CREATE TABLE tb_secret (pk_secret integer PRIMARY KEY, tenant text NOT NULL);
ALTER TABLE tb_secret ENABLE ROW LEVEL SECURITY;
CREATE POLICY by_tenant ON tb_secret USING (tenant = current_setting('app.tenant', true));
GRANT SELECT ON tb_secret TO regress_readmodel_view_owner;
GRANT USAGE, CREATE ON SCHEMA shape_views TO regress_readmodel_view_owner;
SET ROLE regress_readmodel_view_owner;
CREATE VIEW v_secret AS SELECT s.pk_secret, s.tenant FROM tb_secret s;
RESET ROLE;
SELECT readmodel.create('tv_bad', $$ SELECT s.pk_secret, s.tenant FROM v_secret s $$);

SELECT readmodel.drop(m) FROM unnest(ARRAY['tv_post', 'tv_post_user', 'tv_comment', 'tv_cte', 'tv_active']) m;
DROP SCHEMA shape_views CASCADE;
DROP ROLE regress_readmodel_view_owner;
