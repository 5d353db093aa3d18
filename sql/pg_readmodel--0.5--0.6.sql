-- pg_readmodel 0.5 -> 0.6: aggregates kept by deltas.
\echo Use "ALTER EXTENSION pg_readmodel UPDATE TO '0.6'" to load this file. \quit

-- The table in which a model's aggregate deltas keep their state per key
-- (src/delta.h): an unlogged cache of its owner's, emptied by any rebuild.
-- Models declared before 0.6 have none and recompute their aggregates
-- until they are replaced.
ALTER TABLE readmodel.model ADD COLUMN state regclass;
