-- pg_readmodel 0.8 -> 0.9

\echo Use "ALTER EXTENSION pg_readmodel UPDATE TO '0.9'" to load this file. \quit

-- The deferred queue keeps no index.  Every deferred writer's commit
-- inserts one row, and four writers at full speed paid about a tenth of a
-- bare write for the primary key's entries (docs/benchmarks.md, "Mode
-- deferred").  The worker reads the short queue in id order by a sort and
-- deletes the rows it took by ctid; wait() and the freshness view read it
-- whole, as they already did for the model.
ALTER TABLE readmodel.deferred_queue DROP CONSTRAINT deferred_queue_pkey;
