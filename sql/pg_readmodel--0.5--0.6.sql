-- pg_readmodel 0.5 -> 0.6: aggregates kept by deltas.
\echo Use "ALTER EXTENSION pg_readmodel UPDATE TO '0.6'" to load this file. \quit

-- The table in which a model's aggregate deltas keep their state per key
-- (src/delta.h): an unlogged cache of its owner's, emptied by any rebuild.
-- Models declared before 0.6 have none and recompute their aggregates
-- until they are replaced.
ALTER TABLE readmodel.model ADD COLUMN state regclass;

-- Suspend and resume (issue 12): a suspended model is not maintained (its
-- sources' captures only skip it, as for a stale one) until resume
-- rebuilds it by diff.  Owner only, as refresh.
CREATE FUNCTION readmodel.suspend(name text) RETURNS void
    AS 'MODULE_PATHNAME', 'readmodel_suspend' LANGUAGE C STRICT;
COMMENT ON FUNCTION readmodel.suspend(text) IS
    'stop maintaining a read model (bulk loads): writes to its sources cost it nothing until readmodel.resume()';
CREATE FUNCTION readmodel.resume(name text) RETURNS bigint
    AS 'MODULE_PATHNAME', 'readmodel_resume' LANGUAGE C STRICT;
COMMENT ON FUNCTION readmodel.resume(text) IS
    'rebuild a suspended read model by diff, after the writers in progress, and maintain it again; returns rows written';

-- health_check(): a suspended model is a warning, not an error.
CREATE OR REPLACE FUNCTION readmodel.health_check()
    RETURNS TABLE (status text, component text, message text)
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m record;
    src regclass;
    derived regclass[];
    problem text;
    n bigint;
BEGIN
    FOR m IN SELECT * FROM readmodel.models ORDER BY name::text LOOP
        IF m.status = 'suspended' THEN
            RETURN QUERY SELECT 'warning', m.name::text,
                format('suspended (readmodel.suspend()): writes are not maintained; readmodel.resume(%L) rebuilds it',
                       m.name::text);
            CONTINUE;
        ELSIF m.status = 'stale' THEN
            RETURN QUERY SELECT 'error', m.name::text,
                format('stale (it missed a change): %s; fix the cause, then run readmodel.refresh(%L)',
                       m.reason, m.name::text);
            CONTINUE;
        ELSIF m.status = 'broken' THEN
            RETURN QUERY SELECT 'error', m.name::text,
                format('cannot be maintained: %s; the next change it misses makes it stale', m.reason);
            CONTINUE;
        END IF;
        problem := readmodel._check_statements(m.name);
        IF problem IS NOT NULL THEN
            RETURN QUERY SELECT 'error', m.name::text,
                format('a maintenance statement fails: %s', problem);
            CONTINUE;
        END IF;
        derived := readmodel._derived_sources(m.name);
        IF NOT (derived @> m.sources AND derived <@ m.sources) THEN
            RETURN QUERY SELECT 'error', m.name::text,
                format('catalog lists sources %s but the definition reads %s', m.sources, derived);
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_trigger t
                       WHERE t.tgrelid = m.name AND t.tgname = 'readmodel_guard'
                         AND t.tgenabled <> 'D') THEN
            RETURN QUERY SELECT 'warning', m.name::text,
                'the write guard readmodel_guard is missing or disabled: direct writes are not refused';
        END IF;
        RETURN QUERY SELECT 'ok', m.name::text,
            format('key %I, mode %s, %s source(s), maintained', m.key, m.mode, cardinality(m.sources));
    END LOOP;

    FOR src IN SELECT * FROM readmodel._orphan_capture_tables() LOOP
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

