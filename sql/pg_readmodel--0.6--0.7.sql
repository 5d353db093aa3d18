-- pg_readmodel 0.6 -> 0.7: mode manual (issue 12).
\echo Use "ALTER EXTENSION pg_readmodel UPDATE TO '0.7'" to load this file. \quit

-- A model of mode manual has no capture triggers; the application names
-- what it changed with readmodel.sync() or readmodel.sync_source().
ALTER TABLE readmodel.model DROP CONSTRAINT model_mode_check;
ALTER TABLE readmodel.model ADD CONSTRAINT model_mode_check
    CHECK (mode IN ('commit', 'statement', 'manual', 'deferred'));

-- Each queues what it names and applies it at once (as flush() does);
-- callers need SELECT on the model, and own it or write one of its sources
-- (checked in C: src/sync.c).
CREATE FUNCTION readmodel.sync(name text, keys anyarray) RETURNS bigint
    AS 'MODULE_PATHNAME', 'readmodel_sync_keys' LANGUAGE C STRICT;
COMMENT ON FUNCTION readmodel.sync(text, anyarray) IS
    'recompute these keys of a read model now (mode manual, or any); returns the keys applied';
CREATE FUNCTION readmodel.sync(name text) RETURNS bigint
    AS 'MODULE_PATHNAME', 'readmodel_sync_model' LANGUAGE C STRICT;
COMMENT ON FUNCTION readmodel.sync(text) IS
    'rebuild a read model by diff now; returns the keys applied';
CREATE FUNCTION readmodel.sync_source(name text, source regclass, rows anyarray) RETURNS bigint
    AS 'MODULE_PATHNAME', 'readmodel_sync_source' LANGUAGE C STRICT;
COMMENT ON FUNCTION readmodel.sync_source(text, regclass, anyarray) IS
    'map rows of a source the caller changed (old and new) to the keys of a read model by its routes, and recompute them now';

-- The change feed (options feed and notify): a trigger on the model table
-- keeps the keys each transaction changed; readmodel.changes() lists them.
CREATE FUNCTION readmodel.feed() RETURNS trigger
    AS 'MODULE_PATHNAME', 'readmodel_feed' LANGUAGE C;
CREATE FUNCTION readmodel.changes()
    RETURNS TABLE (model regclass, key text, deleted boolean)
    AS 'MODULE_PATHNAME', 'readmodel_changes' LANGUAGE C;
COMMENT ON FUNCTION readmodel.changes() IS
    'the keys of the rows of models with a feed that this transaction changed (the queue applied first)';

-- Option version: a model table's version and projected_at columns, kept by
-- this BEFORE INSERT OR UPDATE row trigger on it.
CREATE FUNCTION readmodel.version() RETURNS trigger
    AS 'MODULE_PATHNAME', 'readmodel_version' LANGUAGE C;

-- Capture triggers fire always, not only on origin: writes of a session
-- with session_replication_role = replica must not leave models stale.
-- (Triggers created by this version are created so; older ones change here.)
DO $$
DECLARE
    t record;
BEGIN
    FOR t IN
        SELECT tr.tgrelid::regclass AS tbl, tr.tgname
        FROM pg_catalog.pg_trigger tr
        WHERE tr.tgfoid = 'readmodel.capture()'::regprocedure
          AND tr.tgname OPERATOR(pg_catalog.~~) 'readmodel\_capture\_%'
          AND tr.tgname OPERATOR(pg_catalog.!~~) 'readmodel\_capture\_row\_%'
          AND tr.tgenabled OPERATOR(pg_catalog.=) 'O'
          AND NOT tr.tgisinternal
    LOOP
        EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE ALWAYS TRIGGER %I', t.tbl, t.tgname);
    END LOOP;
END
$$;

-- Mode deferred: a writer's transaction records the keys it changed, one
-- row per model, in this WAL-logged queue (src/deferred.c); the background
-- worker of its database applies them after commit and deletes the rows in
-- the same transaction (src/deferred_worker.c).  keys NULL: a rebuild.
-- Written and read by the extension's code only.
CREATE TABLE readmodel.deferred_queue (
    id          bigserial PRIMARY KEY,
    model       regclass NOT NULL,
    keys        text[],
    queued_at   timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp()
);
CREATE INDEX ON readmodel.deferred_queue (model, id);
REVOKE ALL ON readmodel.deferred_queue FROM PUBLIC;
-- per model: the worker's last apply
CREATE TABLE readmodel.deferred_applied (
    model       regclass PRIMARY KEY,
    applied_at  timestamptz NOT NULL,
    batches     bigint NOT NULL,
    keys        bigint NOT NULL
);
REVOKE ALL ON readmodel.deferred_applied FROM PUBLIC;

-- Lag of the deferred models this role owns or may read.
CREATE VIEW readmodel.freshness WITH (security_barrier) AS
SELECT m.relid AS name,
       q.queued_batches,
       q.queued_keys,
       q.oldest_queued_at,
       CASE WHEN q.oldest_queued_at IS NULL THEN interval '0'
            ELSE pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) q.oldest_queued_at END AS lag,
       a.applied_at AS last_applied_at,
       a.batches AS batches_applied,
       a.keys AS keys_applied
FROM readmodel.model m
JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) m.relid::pg_catalog.oid
CROSS JOIN LATERAL (
    SELECT pg_catalog.count(*) AS queued_batches,
           pg_catalog.sum(pg_catalog.cardinality(d.keys)) AS queued_keys,
           pg_catalog.min(d.queued_at) AS oldest_queued_at
    FROM readmodel.deferred_queue d WHERE d.model OPERATOR(pg_catalog.=) m.relid) q
LEFT JOIN readmodel.deferred_applied a ON a.model OPERATOR(pg_catalog.=) m.relid
WHERE m.mode OPERATOR(pg_catalog.=) 'deferred'
  AND (pg_catalog.pg_has_role(c.relowner, 'USAGE')
       OR pg_catalog.has_table_privilege(m.relid::pg_catalog.oid, 'SELECT'));
GRANT SELECT ON readmodel.freshness TO PUBLIC;

CREATE FUNCTION readmodel.wait(name text, timeout interval DEFAULT '10 s') RETURNS boolean
    AS 'MODULE_PATHNAME', 'readmodel_wait' LANGUAGE C STRICT;
COMMENT ON FUNCTION readmodel.wait(text, interval) IS
    'wait until the background worker applied this session''s last committed changes of a deferred read model (or everything queued for it when there are none); false on timeout';
-- keys queued when a dump is taken are restored with it
SELECT pg_catalog.pg_extension_config_dump('readmodel.deferred_queue', '');
SELECT pg_catalog.pg_extension_config_dump('readmodel.deferred_queue_id_seq', '');

-- health_check(): a deferred model with no worker in its database is an
-- error; options expected_lag and max_lag make its lag a warning or an error.
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
