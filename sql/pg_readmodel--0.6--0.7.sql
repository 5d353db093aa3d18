-- pg_readmodel 0.6 -> 0.7: mode manual (issue 12).
\echo Use "ALTER EXTENSION pg_readmodel UPDATE TO '0.7'" to load this file. \quit

-- A model of mode manual has no capture triggers; the application names
-- what it changed with readmodel.sync() or readmodel.sync_source().
ALTER TABLE readmodel.model DROP CONSTRAINT model_mode_check;
ALTER TABLE readmodel.model ADD CONSTRAINT model_mode_check
    CHECK (mode IN ('commit', 'statement', 'manual'));

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
