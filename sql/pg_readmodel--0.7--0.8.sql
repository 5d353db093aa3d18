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
