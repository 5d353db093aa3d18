--
-- shape_group_expressions: read models keyed by expressions the top level
-- groups by, over the root's columns alone: events per tenant and day
-- (date_trunc over a timestamptz, in UTC whatever the session's TimeZone),
-- per day, per upper(kind), per month through a view, the latest event of
-- each day (DISTINCT ON), and columns of a parent fixed by a grouped root
-- column (the tenant's name).  Changed rows are mapped to keys by
-- evaluating the expressions on their old and new values.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_readmodel;
RESET client_min_messages;
CREATE SCHEMA shape_ge;
SET search_path = shape_ge, public;

CREATE TABLE tb_tenant (pk_tenant integer PRIMARY KEY, name text NOT NULL);
CREATE TABLE tb_event (
    pk_event   integer PRIMARY KEY,
    fk_tenant  integer NOT NULL REFERENCES tb_tenant,
    created_at timestamptz NOT NULL,
    amount     numeric NOT NULL,
    kind       text,
    code       text NOT NULL
);
CREATE INDEX ON tb_event (fk_tenant);
INSERT INTO tb_tenant VALUES (1, 'acme'), (2, 'bolt');
INSERT INTO tb_event VALUES
    (1, 1, '2026-03-01 09:00+00', 10.5, 'click', 'eu-1'),
    (2, 1, '2026-03-01 23:30+00', 2.25, NULL,   'eu-2'),
    (3, 2, '2026-03-02 00:30+00', 7,    'view', 'us-1'),
    (4, 2, '2026-03-02 12:00+00', 1.50, 'click', 'us-2');
CREATE VIEW v_event AS
    SELECT e.*, date_trunc('month', e.created_at) AS month FROM tb_event e;

SELECT readmodel.create('tv_tenant_day', $$
    SELECT e.fk_tenant, t.name AS tenant, date_trunc('day', e.created_at) AS day,
           count(*) AS n, sum(e.amount) AS total
    FROM tb_event e JOIN tb_tenant t ON t.pk_tenant = e.fk_tenant
    GROUP BY e.fk_tenant, t.name, date_trunc('day', e.created_at) $$);
SELECT readmodel.create('tv_busy_day', $$
    SELECT (e.created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n
    FROM tb_event e GROUP BY 1 HAVING count(*) > 1 $$);
SELECT readmodel.create('tv_kind', $$
    SELECT upper(e.kind) AS kind, count(*) AS n
    FROM tb_event e WHERE upper(e.kind) IS NOT NULL GROUP BY upper(e.kind) $$);
SELECT readmodel.create('tv_month', $$
    SELECT v.month, count(*) AS n, max(v.pk_event) AS last_event FROM v_event v GROUP BY v.month $$);
SELECT readmodel.create('tv_day_last', $$
    SELECT DISTINCT ON (date_trunc('day', e.created_at)) date_trunc('day', e.created_at) AS day,
           e.pk_event, e.amount
    FROM tb_event e ORDER BY date_trunc('day', e.created_at), e.created_at DESC, e.pk_event DESC $$);
SELECT readmodel.create('tv_region', $$
    SELECT split_part(e.code, '-', 1) AS region, e.fk_tenant, count(*) AS n
    FROM tb_event e GROUP BY split_part(e.code, '-', 1), e.fk_tenant $$,
    '{"key": ["fk_tenant", "region"]}');
-- NOT NULL by a WHERE condition on the column (rows where it is NULL are
-- not the model's, and are skipped), and COALESCE with a constant.
SELECT readmodel.create('tv_kind_len', $$
    SELECT length(e.kind) AS len, count(*) AS n FROM tb_event e
    WHERE e.kind IS NOT NULL GROUP BY length(e.kind) $$);
SELECT readmodel.create('tv_kind_or_none', $$
    SELECT COALESCE(e.kind, 'none') AS kind, count(*) AS n FROM tb_event e GROUP BY 1 $$);
SELECT * FROM readmodel.explain('tv_tenant_day') WHERE kind NOT IN ('index', 'triggers');
SELECT * FROM readmodel.explain('tv_busy_day') WHERE kind NOT IN ('index', 'triggers');
SELECT c.relname, pg_get_constraintdef(k.oid) FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
WHERE k.contype = 'p' AND c.relname IN ('tv_tenant_day', 'tv_region') ORDER BY 1;

-- Refused, each with a way out: an expression that may be NULL, one of a
-- type with equal values of different images, one over another table, a
-- parent's column with no grouped column fixing its row, now().
SELECT readmodel.create('tv_bad', $$
    SELECT upper(e.kind) AS kind, count(*) AS n FROM tb_event e GROUP BY 1 $$);
SELECT readmodel.create('tv_bad', $$
    SELECT round(e.amount, 1) AS amount, count(*) AS n FROM tb_event e GROUP BY 1 $$);
SELECT readmodel.create('tv_bad', $$
    SELECT lower(t.name) AS tenant, count(*) AS n
    FROM tb_event e JOIN tb_tenant t ON t.pk_tenant = e.fk_tenant GROUP BY 1 $$);
SELECT readmodel.create('tv_bad', $$
    SELECT t.name, date_trunc('day', e.created_at) AS day, count(*) AS n
    FROM tb_event e JOIN tb_tenant t ON t.pk_tenant = e.fk_tenant GROUP BY 1, 2 $$);
SELECT readmodel.create('tv_bad', $$
    SELECT e.created_at - now() AS age, count(*) AS n FROM tb_event e GROUP BY 1 $$);
SELECT readmodel.create('tv_bad', $$
    SELECT count(*) AS n FROM tb_event e GROUP BY date_trunc('day', e.created_at) $$);
SELECT count(*) AS leftover_bad FROM pg_class WHERE relname LIKE 'tv_bad%';

-- The session's TimeZone and a hostile search_path do not change a key:
-- maintenance evaluates the expressions with the settings it pins.
SET TimeZone = 'Asia/Tokyo';
CREATE FUNCTION pg_temp.date_trunc(text, timestamptz) RETURNS timestamptz
    LANGUAGE sql AS $$ SELECT 'epoch'::timestamptz $$;
CREATE FUNCTION shape_ge.upper(text) RETURNS text LANGUAGE sql AS $$ SELECT 'HIJACKED' $$;
SET search_path = pg_temp, shape_ge, public;

-- Writes: rows move between days and tenants, a day appears, one empties,
-- a HAVING flips, a parent is renamed, NULLs leave and enter a filtered key.
INSERT INTO tb_event VALUES (5, 2, '2026-03-02 23:59+09', 4, 'view', 'us-3');
UPDATE tb_event SET created_at = created_at + interval '1 day' WHERE pk_event = 2;
UPDATE tb_event SET fk_tenant = 2 WHERE pk_event = 1;
UPDATE tb_tenant SET name = 'Bolt' WHERE pk_tenant = 2;
UPDATE tb_event SET kind = 'Click' WHERE pk_event = 2;
UPDATE tb_event SET kind = NULL WHERE pk_event = 3;
UPDATE tb_event SET code = 'ap-' || pk_event WHERE pk_event IN (4, 5);
DELETE FROM tb_event WHERE pk_event = 4;
SET TimeZone = 'UTC';   -- for display
SET search_path = shape_ge, public;

SELECT * FROM tv_tenant_day ORDER BY fk_tenant, day;
SELECT * FROM tv_busy_day ORDER BY day;
SELECT * FROM tv_kind ORDER BY kind;
SELECT * FROM tv_month ORDER BY month;
SELECT * FROM tv_day_last ORDER BY day;
SELECT * FROM tv_region ORDER BY fk_tenant, region;
SELECT * FROM tv_kind_len ORDER BY len;
SELECT * FROM tv_kind_or_none ORDER BY kind;

-- The definition as maintenance evaluates it: in UTC, whatever the session.
CREATE FUNCTION image_diff(model text) RETURNS bigint LANGUAGE plpgsql
SET TimeZone = 'UTC' AS $$
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
CREATE VIEW models AS
    SELECT unnest(ARRAY['tv_tenant_day', 'tv_busy_day', 'tv_kind', 'tv_month',
                        'tv_day_last', 'tv_region', 'tv_kind_len', 'tv_kind_or_none']) AS m;
SELECT m AS model, image_diff(m) AS differing FROM models;

-- A model over a model keyed by an expression: per tenant, its busiest day.
SELECT readmodel.create('tv_tenant_best', $$
    SELECT d.fk_tenant, max(d.n) AS best_day_events, count(*) AS days
    FROM tv_tenant_day d GROUP BY d.fk_tenant $$);
INSERT INTO tb_event VALUES (6, 1, '2026-03-05 10:00+00', 3, 'view', 'eu-6'),
                            (7, 1, '2026-03-05 11:00+00', 3, 'view', 'eu-7');
UPDATE tb_event SET created_at = '2026-03-05 12:00+00' WHERE pk_event = 3;
SELECT * FROM tv_tenant_best ORDER BY fk_tenant;
SELECT image_diff('tv_tenant_best') AS differing;

-- A strict function may still return NULL (substring finds no match): a
-- write that would give a row a NULL key fails, naming the key, and the
-- model stays exact.
SELECT readmodel.create('tv_prefix', $$
    SELECT substring(e.code from '^([a-z]+)-') AS prefix, count(*) AS n
    FROM tb_event e GROUP BY 1 $$);
INSERT INTO tb_event VALUES (8, 1, '2026-03-06 10:00+00', 1, NULL, '99');
SELECT * FROM tv_prefix ORDER BY prefix;
SELECT image_diff('tv_prefix') AS differing;

DELETE FROM tb_event WHERE created_at < '2026-03-02';
TRUNCATE tb_event;
SELECT m AS model, image_diff(m) AS differing,
       (SELECT count(*) FROM readmodel.verify(m)) AS verify_rows
FROM (SELECT m FROM models UNION ALL VALUES ('tv_tenant_best'), ('tv_prefix')) ms;

SELECT readmodel.drop('tv_tenant_best');
SELECT readmodel.drop(m) FROM models;
SELECT readmodel.drop('tv_prefix');

-- A key expression is not computed for a row the WHERE leaves out (on root
-- columns): that row is in no model row, and the expression may fail on
-- it (a NULL from substring, a division by zero) where the definition
-- never evaluates it.
SELECT readmodel.create('tv_active_prefix', $$
    SELECT e.fk_tenant, t.name, substring(e.code from '^([a-z]+)-') AS prefix, count(*) AS n
    FROM tb_event e JOIN tb_tenant t ON t.pk_tenant = e.fk_tenant
    WHERE e.kind IS DISTINCT FROM 'legacy'
    GROUP BY e.fk_tenant, t.name, substring(e.code from '^([a-z]+)-') $$);
SELECT readmodel.create('tv_per_unit', $$
    SELECT (e.amount / (e.pk_event - 6))::integer AS per_unit, count(*) AS n
    FROM tb_event e WHERE e.pk_event <> 6 GROUP BY 1 $$);
INSERT INTO tb_event VALUES (20, 1, '2026-03-07 10:00+00', 2, NULL, 'eu-20'),
                            (21, 1, '2026-03-07 10:00+00', 2, 'legacy', 'nodash');
UPDATE tb_tenant SET name = 'Acme' WHERE pk_tenant = 1;   -- reaches the legacy row
INSERT INTO tb_event VALUES (6, 2, '2026-03-07 11:00+00', 5, NULL, 'ap-6');   -- 6: left out
UPDATE tb_event SET kind = 'legacy', code = 'gone' WHERE pk_event = 20;  -- leaves the model
SELECT m AS model, image_diff(m) AS differing
FROM unnest(ARRAY['tv_active_prefix', 'tv_per_unit']) m;
SELECT readmodel.drop('tv_active_prefix'), readmodel.drop('tv_per_unit');

DROP SCHEMA shape_ge CASCADE;
