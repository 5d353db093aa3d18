--
-- shape_recursive: WITH RECURSIVE hierarchies (category paths, descendant
-- counts).  A change to a node can reach rows at any depth, so such a
-- definition is accepted only with options => '{"strategy": "refresh"}':
-- any change of a table the recursion reads rebuilds the model by diff.
-- Everything else is checked as usual: an aggregate over the recursion's
-- rows must sort by all of its columns, functions must be deterministic.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_readmodel;
RESET client_min_messages;
CREATE SCHEMA shape_recursive;
SET search_path = shape_recursive, public;

CREATE TABLE tb_category (pk_category integer PRIMARY KEY,
                          fk_parent integer REFERENCES tb_category, name text NOT NULL);
CREATE INDEX ON tb_category (fk_parent);
INSERT INTO tb_category VALUES (1, NULL, 'all'), (2, 1, 'tools'), (3, 2, 'saws'), (4, 1, 'toys');

CREATE VIEW paths AS SELECT $$
    SELECT c.pk_category, c.name,
           (WITH RECURSIVE up (pk, parent, name, depth) AS (
                SELECT a.pk_category, a.fk_parent, a.name, 0 FROM tb_category a
                WHERE a.pk_category = c.fk_parent
                UNION ALL
                SELECT b.pk_category, b.fk_parent, b.name, up.depth + 1
                FROM tb_category b JOIN up ON b.pk_category = up.parent)
            SELECT string_agg(up.name, ' < ' ORDER BY up.depth, up.pk, up.parent, up.name) FROM up) AS path,
           (WITH RECURSIVE down (pk) AS (
                SELECT d.pk_category FROM tb_category d WHERE d.fk_parent = c.pk_category
                UNION
                SELECT e.pk_category FROM tb_category e JOIN down ON e.fk_parent = down.pk)
            SELECT count(*) FROM down) AS descendants
    FROM tb_category c $$ AS sql;
SELECT readmodel.create('tv_category', (SELECT sql FROM paths));
SELECT readmodel.create('tv_category', (SELECT sql FROM paths), '{"strategy": "refresh"}');
SELECT * FROM readmodel.explain('tv_category') WHERE kind NOT IN ('triggers', 'index');
SELECT * FROM tv_category ORDER BY pk_category;

-- refused even so: an aggregate over the recursion's rows that does not
-- sort by all its columns; a volatile function inside the recursion
SELECT readmodel.create('tv_bad', $$
    SELECT c.pk_category,
           (WITH RECURSIVE up (pk, parent, depth) AS (
                SELECT a.pk_category, a.fk_parent, 0 FROM tb_category a WHERE a.pk_category = c.fk_parent
                UNION ALL
                SELECT b.pk_category, b.fk_parent, up.depth + 1 FROM tb_category b JOIN up ON b.pk_category = up.parent)
            SELECT jsonb_agg(up.pk ORDER BY up.depth) FROM up) AS path
    FROM tb_category c $$, '{"strategy": "refresh"}');
SELECT readmodel.create('tv_bad', $$
    SELECT c.pk_category,
           (WITH RECURSIVE up (pk, parent) AS (
                SELECT a.pk_category, a.fk_parent FROM tb_category a WHERE a.pk_category = c.fk_parent
                UNION ALL
                SELECT b.pk_category, b.fk_parent FROM tb_category b JOIN up ON b.pk_category = up.parent
                WHERE random() < 2)
            SELECT count(*) FROM up) AS n
    FROM tb_category c $$, '{"strategy": "refresh"}');

-- Writes: an ancestor renamed, a subtree moved, nodes added and removed.
UPDATE tb_category SET name = 'All' WHERE pk_category = 1;
UPDATE tb_category SET fk_parent = 4 WHERE pk_category = 3;
INSERT INTO tb_category VALUES (5, 3, 'blades');
DELETE FROM tb_category WHERE pk_category = 2;
SELECT * FROM tv_category ORDER BY pk_category;
SELECT count(*) AS verify_rows FROM readmodel.verify('tv_category');

SELECT readmodel.drop('tv_category');
DROP SCHEMA shape_recursive CASCADE;
