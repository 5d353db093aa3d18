--
-- online_rebuild: a definition change as a dual projection.  The new
-- definition is declared beside the old with option online (an empty
-- table; its writers record keys, nothing is built under a lock on the
-- sources), readmodel.resume() fills it and catches up with the writes
-- made since, readmodel.compare() shows how it differs from the old one,
-- and readmodel.swap() exchanges their names atomically; the old one stays
-- maintained until it is dropped.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_readmodel;
RESET client_min_messages;
CREATE SCHEMA onl;
SET search_path = onl, public;

CREATE TABLE tb_user (pk_user integer PRIMARY KEY, name text NOT NULL);
CREATE TABLE tb_post (pk_post integer PRIMARY KEY, fk_user integer NOT NULL REFERENCES tb_user,
                      title text NOT NULL, price numeric(10,2) NOT NULL DEFAULT 0);
CREATE INDEX ON tb_post (fk_user);
INSERT INTO tb_user SELECT g, 'user ' || g FROM generate_series(1, 5) g;
INSERT INTO tb_post SELECT g, 1 + g % 5, 'post ' || g, g / 4.0 FROM generate_series(1, 20) g;

SELECT readmodel.create('tv_post', $$
    SELECT p.pk_post, p.fk_user, jsonb_build_object('title', p.title, 'author', u.name) AS data
    FROM tb_post p JOIN tb_user u ON u.pk_user = p.fk_user
$$);

-- a. the new definition, declared online: empty, and its writers record keys
SELECT readmodel.create('tv_post_next', $$
    SELECT p.pk_post, p.fk_user,
           jsonb_build_object('title', p.title, 'author', u.name, 'price', p.price) AS data
    FROM tb_post p JOIN tb_user u ON u.pk_user = p.fk_user
$$, '{"online": true}');
SELECT count(*) AS rows_before_build FROM tv_post_next;
SELECT name, status, reason FROM readmodel.models WHERE name = 'tv_post_next'::regclass;
SELECT status, message FROM readmodel.health_check() WHERE component = 'onl.tv_post_next';
UPDATE tb_user SET name = 'renamed' WHERE pk_user = 2;
INSERT INTO tb_post VALUES (21, 2, 'new', 9.5);
SELECT count(*) AS queued_rows FROM readmodel.suspended_queue
WHERE model = 'tv_post_next'::regclass;

-- b. resume() builds it, then catches up
SET client_min_messages = debug1;
SELECT readmodel.resume('tv_post_next') AS rows_built;
RESET client_min_messages;
SELECT name, status FROM readmodel.models ORDER BY 1;
SELECT count(*) AS problems FROM readmodel.verify('tv_post_next');
SELECT count(*) AS queued_rows FROM readmodel.suspended_queue;
-- both are maintained now
UPDATE tb_post SET price = 12.50 WHERE pk_post = 3;
SELECT (SELECT count(*) FROM readmodel.verify('tv_post')) +
       (SELECT count(*) FROM readmodel.verify('tv_post_next')) AS problems;

-- c. compare(): every key differs (the new document has a price); text
--    comparison sees 10.5 and 10.50 apart
SELECT count(*) AS differing FROM readmodel.compare('tv_post', 'tv_post_next');
SELECT key, a_row->'data', b_row->'data' FROM readmodel.compare('tv_post', 'tv_post_next')
WHERE key = '3';
SELECT count(*) AS same FROM readmodel.compare('tv_post', 'tv_post');
SELECT readmodel.create('tv_s1', 'SELECT p.pk_post, p.price AS v FROM tb_post p');
SELECT readmodel.create('tv_s2', 'SELECT p.pk_post, round(p.price, 1) AS v FROM tb_post p');
SELECT key, a_row->>'v' AS a, b_row->>'v' AS b, (a_row->'v') = (b_row->'v') AS equal_as_jsonb
FROM readmodel.compare('tv_s1', 'tv_s2') WHERE key IN ('2', '4') ORDER BY 1;
SELECT readmodel.drop('tv_s1'), readmodel.drop('tv_s2');

-- d. swap(): names exchange, the models keep their definitions
SELECT readmodel.swap('tv_post', 'tv_post_next');
SELECT data->'price' AS price FROM tv_post WHERE pk_post = 3;
SELECT data ? 'price' AS old_has_price FROM tv_post_next WHERE pk_post = 3;
SELECT c.relname FROM pg_class c
WHERE c.relnamespace = 'onl'::regnamespace AND c.relname LIKE 'tv\_post%' AND c.relkind IN ('r', 'v')
ORDER BY 1;
SELECT name, pg_get_viewdef(viewid) LIKE '%price%' AS view_has_price
FROM readmodel.models m JOIN readmodel.model r ON r.relid = m.name ORDER BY 1;
UPDATE tb_user SET name = 'after the swap' WHERE pk_user = 3;
SELECT (SELECT count(*) FROM readmodel.verify('tv_post')) +
       (SELECT count(*) FROM readmodel.verify('tv_post_next')) AS problems;
-- swapping back is the same call; then the old one is dropped
SELECT readmodel.swap('tv_post', 'tv_post_next');
SELECT readmodel.swap('tv_post', 'tv_post_next');
SELECT readmodel.drop('tv_post_next');
SELECT name FROM readmodel.models ORDER BY 1;

-- e. refusals: options, a model not built, a model read by another, other
--    schemas, not the owner, REPEATABLE READ
SELECT readmodel.create('tv_x', 'SELECT p.pk_post FROM tb_post p', '{"online": true, "replace": true}');
SELECT readmodel.create('tv_x', 'SELECT p.pk_post FROM tb_post p', '{"online": true, "mode": "manual"}');
SELECT readmodel.create('tv_x', 'SELECT p.pk_post FROM tb_post p', '{"online": "yes"}');
SELECT readmodel.create('tv_w', $$
    SELECT p.pk_post, p.fk_user, row_number() OVER (PARTITION BY p.fk_user ORDER BY p.pk_post) AS n
    FROM tb_post p
$$, '{"online": true}');
SELECT readmodel.create('tv_b', 'SELECT p.pk_post, p.title FROM tb_post p', '{"online": true}');
SELECT readmodel.swap('tv_post', 'tv_b');
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT readmodel.resume('tv_b');
ROLLBACK;
SELECT readmodel.resume('tv_b') AS rows_built;
SELECT readmodel.create('tv_reader', $$
    SELECT b.pk_post, b.title FROM tv_b b
$$);
SELECT readmodel.swap('tv_post', 'tv_b');
SELECT readmodel.drop('tv_reader');
CREATE SCHEMA onl2;
SELECT readmodel.create('onl2.tv_c', 'SELECT p.pk_post, p.title FROM onl.tb_post p');
SELECT readmodel.swap('tv_post', 'onl2.tv_c');
SELECT readmodel.swap('tv_post', 'tv_post');
SELECT * FROM readmodel.compare('tv_post', 'tv_missing');
CREATE TABLE tb_k (a int, b int, PRIMARY KEY (a, b));
SELECT readmodel.create('tv_k', 'SELECT k.a, k.b FROM tb_k k', '{"key": ["a", "b"]}');
SELECT * FROM readmodel.compare('tv_k', 'tv_post');
CREATE ROLE onl_other;
GRANT USAGE ON SCHEMA onl TO onl_other;
GRANT SELECT ON tv_post, tv_b TO onl_other;
SET ROLE onl_other;
SELECT readmodel.swap('tv_post', 'tv_b');
SELECT count(*) FROM readmodel.compare('tv_post', 'tv_b');
RESET ROLE;
-- compare() runs as the models' owner (casts of hers run in it): a role
-- without her privileges is refused even with SELECT on both
RESET ROLE;

-- Clean up.
SET client_min_messages = warning;
DROP SCHEMA onl, onl2 CASCADE;
DROP ROLE onl_other;
RESET client_min_messages;
