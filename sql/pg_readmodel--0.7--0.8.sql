-- pg_readmodel 0.7 -> 0.8

\echo Use "ALTER EXTENSION pg_readmodel UPDATE TO '0.8'" to load this file. \quit

-- While a model is suspended (readmodel.suspend()), each writer's
-- transaction records the keys it changed here at commit, one row per
-- model, as long as they stay within readmodel.resume_replay_limit; past it
-- the row's keys are NULL, and readmodel.resume() rebuilds by diff instead
-- of replaying them (src/suspend.c).  Written and read by the extension's
-- code only.
CREATE TABLE readmodel.suspended_queue (
    id          bigserial PRIMARY KEY,
    model       regclass NOT NULL,
    keys        text[],
    queued_at   timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp()
);
CREATE INDEX ON readmodel.suspended_queue (model, id);
REVOKE ALL ON readmodel.suspended_queue FROM PUBLIC;
-- The writers of a model suspended before 0.8 recorded nothing: it rebuilds.
INSERT INTO readmodel.suspended_queue (model, keys)
SELECT m.relid, NULL FROM readmodel.model m
WHERE m.stale_reason OPERATOR(pg_catalog.=) 'suspended by readmodel.suspend()';
-- keys recorded when a dump is taken are restored with it
SELECT pg_catalog.pg_extension_config_dump('readmodel.suspended_queue', '');
SELECT pg_catalog.pg_extension_config_dump('readmodel.suspended_queue_id_seq', '');

COMMENT ON FUNCTION readmodel.resume(text) IS
    'bring a suspended read model up to date, by replaying the keys its writers recorded or by a diffing rebuild, whichever is cheaper, and maintain it again; returns the keys replayed or the rows the rebuild wrote';
COMMENT ON FUNCTION readmodel.suspend(text) IS
    'stop maintaining a read model (bulk loads): its writers record the keys they change while they are few, and a large load costs nothing per row, until readmodel.resume()';

-- Per model, the last commit that applied its work (src/last_applied.c):
-- kept in shared memory when the library is preloaded, else NULL.
CREATE FUNCTION readmodel._last_applied(regclass, OUT at timestamptz, OUT lsn pg_lsn)
    AS 'MODULE_PATHNAME', 'readmodel_last_applied' LANGUAGE C STRICT;
CREATE OR REPLACE VIEW readmodel.models WITH (security_barrier) AS
SELECT m.relid AS name,
       m.keycol AS key,
       m.definition,
       m.sources,
       m.mode,
       readmodel._row_count(m.relid) AS row_count,
       c.relowner::pg_catalog.regrole AS owner,
       s.status,
       s.reason,
       m.stale_since,
       l.at AS last_applied_at,
       l.lsn AS last_applied_lsn
FROM readmodel.model m
JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) m.relid::pg_catalog.oid
CROSS JOIN LATERAL readmodel._model_state(m.relid) s
CROSS JOIN LATERAL readmodel._last_applied(m.relid) l
WHERE pg_catalog.pg_has_role(c.relowner, 'USAGE')
   OR pg_catalog.has_table_privilege(m.relid::pg_catalog.oid, 'SELECT');

-- A definition change without blocking readers or writers (src/online.c):
-- declare the new one beside the old with option online, build it with
-- resume(), compare the two, then exchange their names.
CREATE FUNCTION readmodel.compare(a text, b text)
    RETURNS TABLE (key text, a_row jsonb, b_row jsonb)
    AS 'MODULE_PATHNAME', 'readmodel_compare' LANGUAGE C STRICT;
COMMENT ON FUNCTION readmodel.compare(text, text) IS
    'the keys whose rows differ between two read models (by the key of the first), with each row as a document compared by text';
CREATE FUNCTION readmodel.swap(a text, b text) RETURNS void
    AS 'MODULE_PATHNAME', 'readmodel_swap' LANGUAGE C STRICT;
COMMENT ON FUNCTION readmodel.swap(text, text) IS
    'exchange the names of two read models of one schema (tables and definition views), atomically; owner only';

-- Every deferred writer's commit inserts into the deferred queue: one index
-- (the primary key, which the worker takes rows by) instead of two.
-- wait() and the freshness view filter by model without an index of their
-- own; the queue stays short while the worker keeps up.
DROP INDEX readmodel.deferred_queue_model_id_idx;
