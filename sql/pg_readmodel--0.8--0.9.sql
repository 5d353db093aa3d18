-- pg_readmodel 0.8 -> 0.9

\echo Use "ALTER EXTENSION pg_readmodel UPDATE TO '0.9'" to load this file. \quit

-- The deferred queue keeps no index.  Every deferred writer's commit
-- inserts one row, and the primary key's entry was the largest part of
-- that insert in a profile of four writers at full speed
-- (docs/benchmarks.md, "Mode deferred").  The worker sweeps the queue by
-- ctid, a batch at a time, and deletes the rows it took by ctid; wait()
-- and the freshness view read it whole, as they already did per model.
ALTER TABLE readmodel.deferred_queue DROP CONSTRAINT deferred_queue_pkey;
-- Its id is now the WAL insert position at the writer's insert
-- (src/queue_insert.c): no sequence page for every writer to lock.  The
-- column keeps its default, which the extension's code does not use.

-- health_check(): a suspended model's writers record their keys since 0.8,
-- and resume() replays them or rebuilds; a model declared online is
-- suspended until its build.  The message says so (it said resume rebuilds).
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
    lag interval;
    expected interval;
    maximum interval;
BEGIN
    FOR m IN SELECT * FROM readmodel.models ORDER BY name::text LOOP
        IF m.status = 'suspended' THEN
            RETURN QUERY SELECT 'warning', m.name::text,
                format('%s; writes are recorded, not applied: readmodel.resume(%L) brings it up to date',
                       m.reason, m.name::text);
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
        IF m.mode = 'deferred' THEN
            SELECT f.lag, (o.options ->> 'expected_lag')::interval, (o.options ->> 'max_lag')::interval
              INTO lag, expected, maximum
              FROM readmodel.freshness f JOIN readmodel.model o ON o.relid = f.name
             WHERE f.name = m.name;
            IF NOT EXISTS (SELECT FROM pg_stat_activity a
                           WHERE a.backend_type = 'pg_readmodel deferred'
                             AND a.datname = current_database()) THEN
                RETURN QUERY SELECT 'error', m.name::text,
                    'mode deferred, but no deferred worker runs in this database: its changes wait in readmodel.deferred_queue';
                CONTINUE;
            ELSIF maximum IS NOT NULL AND lag > maximum THEN
                RETURN QUERY SELECT 'error', m.name::text,
                    format('lag %s exceeds max_lag %s (readmodel.freshness)', lag, maximum);
                CONTINUE;
            ELSIF expected IS NOT NULL AND lag > expected THEN
                RETURN QUERY SELECT 'warning', m.name::text,
                    format('lag %s exceeds expected_lag %s (readmodel.freshness)', lag, expected);
                CONTINUE;
            END IF;
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
