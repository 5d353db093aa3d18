--
-- test/corpus/repro.sql: the accepted-but-not-exact findings of the corpus,
-- each reduced to a minimal definition, written by hand to confirm them.
-- Run in an empty database of a cluster with pg_readmodel installed:
--
--   createdb repro && psql -X -d repro -f test/corpus/repro.sql
--
-- Each section prints what the read-model table holds next to a fresh run
-- of the definition, and what readmodel.verify() says.
--
SET client_min_messages = warning;
CREATE EXTENSION pg_readmodel;
-- F1a: a numeric written as 10.00 where it was 10: the row is not rewritten
--      (the apply compares with IS DISTINCT FROM), and refresh() does not
--      rewrite it either; verify() compares jsonb, where 10 = 10.00.
CREATE TABLE tb_item (pk_item int PRIMARY KEY, price numeric, label text);
INSERT INTO tb_item VALUES (1, 10, 'a');
SELECT readmodel.create('tv_item', $$SELECT i.pk_item, i.price FROM tb_item i$$);
UPDATE tb_item SET price = 10.00 WHERE pk_item = 1;
SELECT 'F1a table' AS what, price::text FROM tv_item UNION ALL SELECT 'F1a source', price::text FROM tb_item;
SELECT count(*) AS f1a_verify_rows FROM readmodel.verify('tv_item');
SELECT readmodel.refresh('tv_item');
SELECT 'F1a after refresh' AS what, price::text FROM tv_item;
-- F1b: the same through the patch path (a copied value): the patch also
--      compares with IS DISTINCT FROM, on jsonb.
SELECT readmodel.create('tv_item_doc', $$SELECT i.pk_item, jsonb_build_object('price', i.price) AS data FROM tb_item i$$);
SELECT * FROM readmodel.explain('tv_item_doc');
UPDATE tb_item SET price = 10.0 WHERE pk_item = 1;
SELECT 'F1b table' AS what, data::text FROM tv_item_doc UNION ALL SELECT 'F1b fresh', jsonb_build_object('price', price)::text FROM tb_item;
SELECT count(*) AS f1b_verify_rows FROM readmodel.verify('tv_item_doc');
-- F1c: an aggregate whose result changes scale (4.00 -> 4.0).
CREATE TABLE tb_cart (pk_cart int PRIMARY KEY);
CREATE TABLE tb_line (pk_line int PRIMARY KEY, fk_cart int NOT NULL REFERENCES tb_cart, amount numeric NOT NULL);
INSERT INTO tb_cart VALUES (1);
INSERT INTO tb_line VALUES (1, 1, 1.5), (2, 1, 2.50);
SELECT readmodel.create('tv_cart', $$SELECT c.pk_cart, (SELECT sum(l.amount) FROM tb_line l WHERE l.fk_cart = c.pk_cart) AS total FROM tb_cart c$$);
BEGIN; DELETE FROM tb_line WHERE pk_line = 2; INSERT INTO tb_line VALUES (3, 1, 2.5); COMMIT;
SELECT 'F1c table' AS what, total::text FROM tv_cart UNION ALL SELECT 'F1c fresh', sum(amount)::text FROM tb_line;
SELECT count(*) AS f1c_verify_rows FROM readmodel.verify('tv_cart');
-- F1d: interval '24 hours' -> '1 day', 'alice' -> 'Alice' under a
--      case-insensitive collation, 0 -> -0: verify() sees the first two
--      (their jsonb is a string) and refresh() cannot repair them.
CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE TABLE tb_thing (pk_thing int PRIMARY KEY, d interval, h text COLLATE ci, w float8);
INSERT INTO tb_thing VALUES (1, '24 hours', 'alice', 0);
SELECT readmodel.create('tv_thing', $$SELECT t.pk_thing, t.d, t.h, t.w FROM tb_thing t$$);
UPDATE tb_thing SET d = '1 day', h = 'Alice', w = '-0';
SELECT 'F1d table' AS what, d::text, h, w::text FROM tv_thing UNION ALL SELECT 'F1d source', d::text, h, w::text FROM tb_thing;
SELECT problem, table_row, definition_row FROM readmodel.verify('tv_thing');
SELECT readmodel.refresh('tv_thing');
SELECT 'F1d after refresh' AS what, d::text, h, w::text FROM tv_thing;
SELECT count(*) AS f1d_verify_after_refresh FROM readmodel.verify('tv_thing');
-- F2: a system column: an update of a column the model does not read
--      changes xmin, and capture ignores system columns.
CREATE TABLE tb_doc (pk_doc int PRIMARY KEY, title text, note text);
INSERT INTO tb_doc VALUES (1, 't', NULL);
SELECT readmodel.create('tv_doc', $$SELECT d.pk_doc, d.xmin::text AS version, d.title FROM tb_doc d$$);
UPDATE tb_doc SET note = 'unread column';
SELECT 'F2 table' AS what, version FROM tv_doc UNION ALL SELECT 'F2 source', xmin::text FROM tb_doc;
SELECT count(*) AS f2_verify_rows FROM readmodel.verify('tv_doc');
-- F3: a NULL in the subquery of NOT IN / IN changes every outer row, but
--      the NULL maps to no key.
CREATE TABLE tb_p (pk_p int PRIMARY KEY);
CREATE TABLE tb_f (pk_f int PRIMARY KEY, fk_p int REFERENCES tb_p);
INSERT INTO tb_p VALUES (1), (2); INSERT INTO tb_f VALUES (1, 1);
SELECT readmodel.create('tv_p_clean', $$SELECT p.pk_p FROM tb_p p WHERE p.pk_p NOT IN (SELECT f.fk_p FROM tb_f f)$$);
SELECT readmodel.create('tv_p_flag', $$SELECT p.pk_p, p.pk_p IN (SELECT f.fk_p FROM tb_f f) AS flagged FROM tb_p p$$);
INSERT INTO tb_f VALUES (2, NULL);
SELECT 'F3 clean table' AS what, array_agg(pk_p ORDER BY pk_p)::text FROM tv_p_clean
UNION ALL SELECT 'F3 clean fresh', array_agg(pk_p ORDER BY pk_p)::text FROM tb_p p WHERE p.pk_p NOT IN (SELECT f.fk_p FROM tb_f f);
SELECT 'F3 flag table' AS what, pk_p, flagged FROM tv_p_flag
UNION ALL SELECT 'F3 flag fresh', p.pk_p, p.pk_p IN (SELECT f.fk_p FROM tb_f f) FROM tb_p p ORDER BY 1, 2;
SELECT 'clean' m, count(*) FROM readmodel.verify('tv_p_clean') UNION ALL SELECT 'flag', count(*) FROM readmodel.verify('tv_p_flag');
CREATE TABLE tb_a (pk_a int PRIMARY KEY);
CREATE TABLE tb_b (pk_b int PRIMARY KEY, fk_a int NOT NULL REFERENCES tb_a, score int NOT NULL);
INSERT INTO tb_a VALUES (1), (2);
INSERT INTO tb_b VALUES (1, 1, 10), (2, 1, 20), (3, 2, 30);
-- F4: a subquery level whose rows depend on other rows (window, DISTINCT
--     ON, LIMIT), reached through an equality: only the changed row's key
--     is recomputed.
-- F4a: window in a subquery, row_number within the parent
SELECT readmodel.create('tv_b_pos', $$
  SELECT b.pk_b, (SELECT n.pos FROM (SELECT k.pk_b, row_number() OVER (PARTITION BY k.fk_a ORDER BY k.score, k.pk_b) AS pos FROM tb_b k) n
                  WHERE n.pk_b = b.pk_b) AS pos
  FROM tb_b b$$);
-- F4b: DISTINCT ON in a subquery, joined by the non-key column
SELECT readmodel.create('tv_b_best', $$
  SELECT b.pk_b, EXISTS (SELECT 1 FROM (SELECT DISTINCT ON (k.fk_a) k.pk_b FROM tb_b k ORDER BY k.fk_a, k.score DESC, k.pk_b) x
                         WHERE x.pk_b = b.pk_b) AS best
  FROM tb_b b$$);
-- F4c: LIMIT in an IN subquery
SELECT readmodel.create('tv_b_top', $$
  SELECT b.pk_b, b.pk_b IN (SELECT k.pk_b FROM tb_b k ORDER BY k.score DESC, k.pk_b LIMIT 2) AS top2
  FROM tb_b b$$);
INSERT INTO tb_b VALUES (4, 1, 5), (5, 1, 99);
SELECT 'pos' m, b.pk_b, t.pos AS in_table, (SELECT n.pos FROM (SELECT k.pk_b, row_number() OVER (PARTITION BY k.fk_a ORDER BY k.score, k.pk_b) AS pos FROM tb_b k) n WHERE n.pk_b = b.pk_b) AS fresh
  FROM tb_b b JOIN tv_b_pos t USING (pk_b) ORDER BY 2;
SELECT 'best' m, t.pk_b, t.best AS in_table FROM tv_b_best t ORDER BY 2;
SELECT 'top2' m, t.pk_b, t.top2 AS in_table FROM tv_b_top t ORDER BY 2;
SELECT 'pos' m, count(*) FROM readmodel.verify('tv_b_pos') UNION ALL SELECT 'best', count(*) FROM readmodel.verify('tv_b_best')
 UNION ALL SELECT 'top2', count(*) FROM readmodel.verify('tv_b_top');
-- F5: LEFT JOIN inside a correlated subquery with the correlation in its
--     ON: every row of the preserved side contributes, but its changes are
--     mapped as if the ON equalities held for it.
CREATE TABLE tb_opt (pk_opt int PRIMARY KEY, name text NOT NULL);
CREATE TABLE tb_pick (fk_a int REFERENCES tb_a, fk_opt int REFERENCES tb_opt, PRIMARY KEY (fk_a, fk_opt));
INSERT INTO tb_opt VALUES (1, 'x'), (2, 'y'); INSERT INTO tb_pick VALUES (1, 1);
SELECT readmodel.create('tv_a_choices', $$
  SELECT a.pk_a, (SELECT jsonb_agg(jsonb_build_object('opt', o.name, 'on', pk.fk_a IS NOT NULL) ORDER BY o.pk_opt)
                  FROM tb_opt o LEFT JOIN tb_pick pk ON pk.fk_opt = o.pk_opt AND pk.fk_a = a.pk_a) AS choices
  FROM tb_a a$$);
SELECT * FROM readmodel.explain('tv_a_choices') WHERE source = 'tb_opt'::regclass;
INSERT INTO tb_opt VALUES (3, 'z');
SELECT pk_a, choices FROM tv_a_choices ORDER BY 1;
SELECT count(*) AS f5_verify_rows FROM readmodel.verify('tv_a_choices');
-- F6: settings a writer may change that maintenance does not pin
--     (default_text_search_config for to_tsvector(text), bytea_output for
--     bytea in jsonb).
CREATE TABLE tb_s (pk_s int PRIMARY KEY, title text, blob bytea);
INSERT INTO tb_s VALUES (1, 'running planners', '\x0a');
SELECT readmodel.create('tv_s', $$SELECT s.pk_s, to_tsvector(s.title) AS tsv, jsonb_build_object('blob', s.blob) AS data FROM tb_s s$$);
BEGIN; SET LOCAL default_text_search_config = 'pg_catalog.simple'; SET LOCAL bytea_output = 'escape';
UPDATE tb_s SET title = 'running the planners', blob = '\x0b'; COMMIT;
SELECT tsv::text, data::text FROM tv_s;
SELECT to_tsvector(title)::text AS fresh_tsv, jsonb_build_object('blob', blob)::text AS fresh_data FROM tb_s;
SELECT count(*) AS f6_verify_rows FROM readmodel.verify('tv_s');
