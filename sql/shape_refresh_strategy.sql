--
-- shape_refresh_strategy: options => '{"strategy": "refresh"}'.  A table
-- with no route to the key (an uncorrelated subquery: a global count shown
-- in every row; a range condition) is accepted, and any change of it
-- rebuilds the model by diff at commit; the connected tables stay
-- incremental.  Without the option such a definition is refused, with a
-- hint naming it.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_readmodel;
RESET client_min_messages;
CREATE SCHEMA shape_refresh;
SET search_path = shape_refresh, public;

CREATE TABLE tb_post (pk_post integer PRIMARY KEY, title text NOT NULL, price integer NOT NULL);
CREATE TABLE tb_like (pk_like integer PRIMARY KEY, fk_post integer NOT NULL REFERENCES tb_post);
CREATE TABLE tb_band (pk_band integer PRIMARY KEY, low integer NOT NULL, high integer NOT NULL,
                      name text NOT NULL);
CREATE INDEX ON tb_like (fk_post);
INSERT INTO tb_post VALUES (1, 'a', 5), (2, 'b', 15);
INSERT INTO tb_like VALUES (1, 1), (2, 1), (3, 2);
INSERT INTO tb_band VALUES (1, 0, 10, 'cheap'), (2, 10, 100, 'dear');

CREATE VIEW definition AS SELECT $$
    SELECT p.pk_post,
           (SELECT count(*) FROM tb_like l WHERE l.fk_post = p.pk_post) AS likes,
           (SELECT count(*) FROM tb_like) AS all_likes,
           (SELECT min(b.name) FROM tb_band b WHERE p.price >= b.low AND p.price < b.high) AS band
    FROM tb_post p $$ AS sql;
SELECT readmodel.create('tv_post', (SELECT sql FROM definition));
SELECT readmodel.create('tv_post', (SELECT sql FROM definition), '{"strategy": "refresh"}');
SELECT * FROM readmodel.explain('tv_post') WHERE kind NOT IN ('triggers', 'index');
SELECT options FROM readmodel.model WHERE relid = 'tv_post'::regclass;

-- a like changes every row's total (a rebuild) and its post's count; a
-- band's bounds move posts between bands (a rebuild); a post's price moves
-- it (a recompute of that post)
INSERT INTO tb_like VALUES (4, 2);
UPDATE tb_band SET high = 20 WHERE pk_band = 1;
UPDATE tb_band SET low = 20 WHERE pk_band = 2;
UPDATE tb_post SET price = 50 WHERE pk_post = 1;
DELETE FROM tb_like WHERE pk_like = 1;
SELECT * FROM tv_post ORDER BY pk_post;
SELECT count(*) AS verify_rows FROM readmodel.verify('tv_post');

-- replacing the definition keeps only the options given with it
SELECT readmodel.create('tv_post', $$
    SELECT p.pk_post, (SELECT count(*) FROM tb_like) AS all_likes FROM tb_post p $$,
    '{"replace": true}');
SELECT readmodel.create('tv_post', $$
    SELECT p.pk_post, (SELECT count(*) FROM tb_like) AS all_likes FROM tb_post p $$,
    '{"replace": true, "strategy": "refresh"}');
INSERT INTO tb_like VALUES (5, 1);
SELECT * FROM tv_post ORDER BY pk_post;
SELECT count(*) AS verify_rows FROM readmodel.verify('tv_post');
SELECT readmodel.create('tv_bad', 'SELECT p.pk_post FROM tb_post p', '{"strategy": "sometimes"}');

SELECT readmodel.drop('tv_post');
DROP SCHEMA shape_refresh CASCADE;
