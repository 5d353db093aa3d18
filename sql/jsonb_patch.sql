--
-- jsonb_patch: the setter patches use.  It must give exactly what jsonb_set
-- gives (same bytes), splicing where the path is a chain of existing object
-- keys and handing every other case to jsonb_set.
--
CREATE EXTENSION IF NOT EXISTS pg_readmodel;
CREATE SCHEMA jp;
SET search_path = jp, public;

-- spliced: a scalar, a container, a numeric (aligned) for a string
SELECT readmodel.jsonb_patch('{"a": 1, "b": {"c": "x", "d": 2.5}}', '{b,c}', '"yy"');
SELECT readmodel.jsonb_patch('{"a": 1, "b": {"c": "x", "d": 2.5}}', '{b,d}', '{"q": [1, 2, 3.25]}');
SELECT readmodel.jsonb_patch('{"a": "x", "b": {"c": "x", "d": 2.5}}', '{a}', '3.14159');
-- handed to jsonb_set: a missing key is added, arrays are indexed, an empty
-- path changes nothing, errors are jsonb_set's own
SELECT readmodel.jsonb_patch('{"a": 1, "b": {"c": "x"}}', '{b,zz}', '3');
SELECT readmodel.jsonb_patch('{"a": 1, "b": [1, 2]}', '{b,0}', '3');
SELECT readmodel.jsonb_patch('{"a": 1}', '{}', '3');
SELECT readmodel.jsonb_patch('5', '{a}', '3');
SELECT readmodel.jsonb_patch('{"a": 1}', '{a,NULL}', '3');
SELECT readmodel.jsonb_patch('{"a": 1}', NULL, '3') IS NULL AS strict;

-- Differential: random documents (up to 40 keys per object, so past the
-- 32-entry offset stride; nested objects and arrays; numerics of every
-- length between odd-length strings), random existing or missing paths,
-- random values.  Compared by binary image (*=), not only by equality.
CREATE TYPE jbox AS (j jsonb);
SELECT setseed(0.25);
CREATE FUNCTION rnd_scalar() RETURNS jsonb LANGUAGE sql VOLATILE AS $$
  SELECT CASE (random() * 6)::int
    WHEN 0 THEN to_jsonb(repeat('s', (random() * 13)::int))
    WHEN 1 THEN to_jsonb(round((random() * 1e6)::numeric, (random() * 5)::int))
    WHEN 2 THEN to_jsonb(random() < 0.5)
    WHEN 3 THEN 'null'::jsonb
    WHEN 4 THEN to_jsonb((random() * 100)::int)
    ELSE to_jsonb(ARRAY[round(random()::numeric, 3), 7])
  END $$;
CREATE FUNCTION rnd_obj(depth int) RETURNS jsonb LANGUAGE plpgsql VOLATILE AS $$
DECLARE r jsonb := '{}';
BEGIN
  FOR i IN 1 .. (random() * 40)::int LOOP
    r := r || jsonb_build_object('k' || repeat('x', (random() * 5)::int) || i,
                                 CASE WHEN depth > 0 AND random() < 0.15
                                      THEN rnd_obj(depth - 1) ELSE rnd_scalar() END);
  END LOOP;
  RETURN r;
END $$;
CREATE FUNCTION rnd_path(d jsonb) RETURNS text[] LANGUAGE plpgsql VOLATILE AS $$
DECLARE p text[] := '{}'; k text;
BEGIN
  LOOP
    SELECT key INTO k FROM jsonb_each(d) ORDER BY random() LIMIT 1;
    IF k IS NULL OR random() < 0.05 THEN RETURN p || 'missing'::text; END IF;
    p := p || k;
    IF jsonb_typeof(d -> k) = 'object' AND random() < 0.7 THEN d := d -> k; ELSE RETURN p; END IF;
  END LOOP;
END $$;
CREATE TABLE cases AS
  SELECT d, rnd_path(d) AS p,
         CASE WHEN random() < 0.2 THEN rnd_obj(1) ELSE rnd_scalar() END AS v
  FROM (SELECT rnd_obj(2) AS d FROM generate_series(1, 300)) docs, generate_series(1, 5);
SELECT count(*) AS cases,
       count(*) FILTER (WHERE record_image_eq(ROW(readmodel.jsonb_patch(d, p, v))::jbox,
                                              ROW(jsonb_set(d, p, v))::jbox)) AS same_bytes,
       count(*) FILTER (WHERE readmodel.jsonb_patch(d, p, v) #> p = v) AS reads_back,
       count(*) FILTER (WHERE p[array_length(p, 1)] = 'missing') > 0 AS some_missing,
       count(*) FILTER (WHERE jsonb_typeof(v) = 'object') > 0 AS some_objects,
       max((SELECT count(*) FROM jsonb_object_keys(d))) > 32 AS past_stride
FROM cases;

-- A patch of a read model goes through it.
CREATE TABLE tb_cat (pk_cat int PRIMARY KEY, name text);
CREATE TABLE tb_item (pk_item int PRIMARY KEY, fk_cat int REFERENCES tb_cat, price numeric);
INSERT INTO tb_cat VALUES (1, 'tools'), (2, 'toys');
INSERT INTO tb_item SELECT i, 1 + i % 2, i * 1.5 FROM generate_series(1, 10) i;
SELECT readmodel.create('tv_item', $$
    SELECT i.pk_item, i.fk_cat,
           jsonb_build_object('price', i.price, 'cat', jsonb_build_object('name', c.name)) AS data
    FROM tb_item i JOIN tb_cat c ON c.pk_cat = i.fk_cat
$$);
SET track_functions = 'all';
BEGIN;
UPDATE tb_cat SET name = 'hardware' WHERE pk_cat = 1;
SELECT readmodel.flush();
SELECT calls FROM pg_stat_xact_user_functions WHERE funcname = 'jsonb_patch';
COMMIT;
RESET track_functions;
SELECT count(*) FILTER (WHERE data #>> '{cat,name}' = 'hardware') AS renamed FROM tv_item;
SELECT * FROM readmodel.verify('tv_item');

-- Clean up.
SET client_min_messages = warning;
DROP SCHEMA jp CASCADE;
RESET client_min_messages;
