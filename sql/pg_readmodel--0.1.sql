-- pg_readmodel 0.1: incrementally maintained read models.
\echo Use "CREATE EXTENSION pg_readmodel" to load this file. \quit

-- The catalog: one row per read model.  Written by the extension's C code
-- as the extension owner; readable by everyone.
CREATE TABLE readmodel.model (
    relid       regclass PRIMARY KEY,   -- the read-model table
    viewid      regclass NOT NULL UNIQUE,  -- its definition view (<table>_def)
    keycol      name NOT NULL,
    mode        text NOT NULL DEFAULT 'commit' CHECK (mode IN ('commit', 'statement')),
    definition  text NOT NULL,          -- as declared
    sources     regclass[] NOT NULL,    -- the tables it reads
    options     jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now()
);
SELECT pg_catalog.pg_extension_config_dump('readmodel.model', '');
REVOKE ALL ON readmodel.model FROM PUBLIC;
GRANT SELECT ON readmodel.model TO PUBLIC;
GRANT USAGE ON SCHEMA readmodel TO PUBLIC;

CREATE FUNCTION readmodel.capture() RETURNS trigger
    AS 'MODULE_PATHNAME', 'readmodel_capture' LANGUAGE C;

CREATE FUNCTION readmodel.create(name text, definition text, options jsonb DEFAULT '{}')
    RETURNS regclass
    AS 'MODULE_PATHNAME', 'readmodel_create' LANGUAGE C CALLED ON NULL INPUT;
COMMENT ON FUNCTION readmodel.create(text, text, jsonb) IS
    'declare a read model: create table NAME kept equal to the SELECT DEFINITION';

CREATE FUNCTION readmodel.drop(name text, cascade boolean DEFAULT false)
    RETURNS void
    AS 'MODULE_PATHNAME', 'readmodel_drop' LANGUAGE C STRICT;

CREATE FUNCTION readmodel.refresh(name text) RETURNS bigint
    AS 'MODULE_PATHNAME', 'readmodel_refresh' LANGUAGE C STRICT;
COMMENT ON FUNCTION readmodel.refresh(text) IS
    'recompute a read model from its definition; returns the rows written';

CREATE FUNCTION readmodel.flush() RETURNS bigint
    AS 'MODULE_PATHNAME', 'readmodel_flush' LANGUAGE C;
COMMENT ON FUNCTION readmodel.flush() IS
    'apply the pending queue now, so the transaction reads its own writes; returns the keys applied';

CREATE FUNCTION readmodel.queue_stats() RETURNS jsonb
    AS 'MODULE_PATHNAME', 'readmodel_queue_stats' LANGUAGE C;

CREATE FUNCTION readmodel.debug_queue()
    RETURNS TABLE (model regclass, key text, reason text)
    AS 'MODULE_PATHNAME', 'readmodel_debug_queue' LANGUAGE C;

CREATE FUNCTION readmodel._pending_keys() RETURNS bigint
    AS 'MODULE_PATHNAME', 'readmodel_pending_keys' LANGUAGE C;
CREATE FUNCTION readmodel._in_transaction_block() RETURNS boolean
    AS 'MODULE_PATHNAME', 'readmodel_in_transaction_block' LANGUAGE C;
CREATE FUNCTION readmodel._is_preloaded() RETURNS boolean
    AS 'MODULE_PATHNAME', 'readmodel_is_preloaded' LANGUAGE C;
CREATE FUNCTION readmodel._derived_sources(regclass) RETURNS regclass[]
    AS 'MODULE_PATHNAME', 'readmodel_derived_sources' LANGUAGE C STRICT;
CREATE FUNCTION readmodel._sync_triggers(regclass) RETURNS void
    AS 'MODULE_PATHNAME', 'readmodel_sync_triggers' LANGUAGE C STRICT;
REVOKE ALL ON FUNCTION readmodel._sync_triggers(regclass) FROM PUBLIC;

-- Rows where the table differs from a fresh run of its definition.  Runs
-- with the same pinned settings as maintenance, as the caller.
CREATE FUNCTION readmodel.verify(name text)
    RETURNS TABLE (problem text, key text, table_row jsonb, definition_row jsonb)
    LANGUAGE plpgsql
    SET TimeZone = 'UTC'
    SET DateStyle = 'ISO, MDY'
    SET IntervalStyle = 'postgres'
    SET extra_float_digits = 1
AS $$
DECLARE
    m readmodel.model;
BEGIN
    -- the name resolves with the caller's search_path; the rest is qualified
    SELECT * INTO m FROM readmodel.model WHERE relid = pg_catalog.to_regclass(verify.name);
    IF NOT FOUND THEN
        RAISE EXCEPTION '"%" is not a read model', verify.name
            USING ERRCODE = 'wrong_object_type',
                  HINT = 'The read models are listed in readmodel.models.';
    END IF;
    RETURN QUERY EXECUTE pg_catalog.format(
        'WITH t AS (SELECT x.%1$I AS k, to_jsonb(x) AS j FROM %2$s x),
              d AS (SELECT y.%1$I AS k, to_jsonb(y) AS j FROM %3$s y)
         SELECT CASE WHEN t.k IS NULL THEN ''missing''
                     WHEN d.k IS NULL THEN ''extra''
                     ELSE ''different'' END,
                COALESCE(t.k, d.k)::text, t.j, d.j
         FROM t FULL JOIN d ON t.k = d.k
         WHERE t.j IS DISTINCT FROM d.j
         ORDER BY COALESCE(t.k, d.k)',
        m.keycol, m.relid, m.viewid);
END
$$;

CREATE FUNCTION readmodel._row_count(regclass) RETURNS bigint
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n bigint;
BEGIN
    EXECUTE format('SELECT count(*) FROM %s', $1) INTO n;
    RETURN n;
EXCEPTION WHEN insufficient_privilege THEN
    RETURN NULL;
END
$$;

CREATE VIEW readmodel.models AS
SELECT m.relid AS name,
       m.keycol AS key,
       m.definition,
       m.sources,
       m.mode,
       readmodel._row_count(m.relid) AS row_count
FROM readmodel.model m;

-- Health checks, one row per check: status is ok, warning or error.
CREATE FUNCTION readmodel.health_check()
    RETURNS TABLE (status text, component text, message text)
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m record;
    src regclass;
    missing text;
    derived regclass[];
    n bigint;
BEGIN
    FOR m IN SELECT * FROM readmodel.model ORDER BY relid::text LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_index i
                       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                       WHERE i.indrelid = m.relid AND i.indisunique AND i.indnkeyatts = 1
                         AND a.attname = m.keycol) THEN
            RETURN QUERY SELECT 'error', m.relid::text,
                format('no unique index on key column %I', m.keycol);
        END IF;
        derived := readmodel._derived_sources(m.relid);
        IF derived IS NULL THEN
            RETURN QUERY SELECT 'error', m.relid::text,
                'the definition can no longer be maintained; writes to its sources fail until it is fixed or dropped';
            CONTINUE;
        ELSIF NOT (derived @> m.sources AND derived <@ m.sources) THEN
            RETURN QUERY SELECT 'error', m.relid::text,
                format('catalog lists sources %s but the definition reads %s', m.sources, derived);
        END IF;
        FOREACH src IN ARRAY m.sources LOOP
            SELECT string_agg(e, ', ') INTO missing
            FROM unnest(ARRAY['insert', 'update', 'delete', 'truncate']) e
            WHERE NOT EXISTS (SELECT 1 FROM pg_trigger t
                              WHERE t.tgrelid = src AND t.tgenabled <> 'D'
                                AND t.tgname = 'readmodel_capture_' || e);
            IF missing IS NOT NULL THEN
                RETURN QUERY SELECT 'error', m.relid::text,
                    format('capture triggers missing or disabled on %s: %s', src, missing);
            END IF;
        END LOOP;
        RETURN QUERY SELECT 'ok', m.relid::text,
            format('key %I, mode %s, %s source(s)', m.keycol, m.mode, cardinality(m.sources));
    END LOOP;

    FOR src IN SELECT DISTINCT t.tgrelid::regclass FROM pg_trigger t
               WHERE t.tgname LIKE 'readmodel\_capture\_%'
                 AND NOT EXISTS (SELECT 1 FROM readmodel.model mm WHERE t.tgrelid = ANY(mm.sources)) LOOP
        RETURN QUERY SELECT 'warning', src::text,
            'capture triggers installed but no read model reads this table';
    END LOOP;

    n := readmodel._pending_keys();
    IF n > 0 AND NOT readmodel._in_transaction_block() THEN
        RETURN QUERY SELECT 'error', 'queue', format('%s keys pending outside a transaction block', n);
    ELSIF n > 0 THEN
        RETURN QUERY SELECT 'ok', 'queue', format('%s keys pending, applied at commit', n);
    ELSE
        RETURN QUERY SELECT 'ok', 'queue', 'empty';
    END IF;
    RETURN QUERY SELECT 'ok', 'library',
        CASE WHEN readmodel._is_preloaded() THEN 'preloaded: cluster-wide statistics'
             ELSE 'loaded on demand: per-backend statistics' END;
END
$$;

-- Dropping a read-model table or its definition view removes the model:
-- the other object, its catalog row and, where no model needs them any
-- more, the capture triggers on its sources.
CREATE FUNCTION readmodel._on_sql_drop() RETURNS event_trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m record;
    src regclass;
BEGIN
    FOR m IN
        DELETE FROM readmodel.model mm
        USING pg_event_trigger_dropped_objects() d
        WHERE d.classid = 'pg_class'::regclass AND d.objsubid = 0
          AND d.objid IN (mm.relid, mm.viewid)
        RETURNING mm.relid::oid AS relid, mm.viewid::oid AS viewid, mm.sources
    LOOP
        IF EXISTS (SELECT 1 FROM pg_class WHERE oid = m.viewid) THEN
            EXECUTE format('DROP VIEW %s', m.viewid::regclass);
        END IF;
        IF EXISTS (SELECT 1 FROM pg_class WHERE oid = m.relid) THEN
            EXECUTE format('DROP TABLE %s', m.relid::regclass);
        END IF;
        FOREACH src IN ARRAY m.sources LOOP
            IF EXISTS (SELECT 1 FROM pg_class WHERE oid = src::oid) THEN
                PERFORM readmodel._sync_triggers(src);
            END IF;
        END LOOP;
    END LOOP;
END
$$;

CREATE EVENT TRIGGER readmodel_on_sql_drop ON sql_drop
    EXECUTE FUNCTION readmodel._on_sql_drop();
