-- pg_readmodel 0.1 -> 0.2: cascades between read models, write guard,
-- explain() and graph(), replace, dependent-aware drop.
\echo Use "ALTER EXTENSION pg_readmodel UPDATE TO '0.2'" to load this file. \quit

-- Refuses writes to a read-model table unless maintenance is writing it.
CREATE FUNCTION readmodel.guard() RETURNS trigger
    AS 'MODULE_PATHNAME', 'readmodel_guard' LANGUAGE C;

CREATE FUNCTION readmodel.explain(name text)
    RETURNS TABLE (source regclass, kind text, detail text)
    AS 'MODULE_PATHNAME', 'readmodel_explain' LANGUAGE C STRICT;
COMMENT ON FUNCTION readmodel.explain(text) IS
    'how changes of each source reach the read model: routes, patches, triggers';

CREATE FUNCTION readmodel.graph() RETURNS text
    AS 'MODULE_PATHNAME', 'readmodel_graph' LANGUAGE C;
COMMENT ON FUNCTION readmodel.graph() IS
    'the dependency graph of all read models and their sources, as Graphviz DOT';

CREATE FUNCTION readmodel.model_stats()
    RETURNS TABLE (model regclass, depth integer, applies bigint, rows_written bigint,
                   rows_patched bigint, rows_skipped_noop bigint, rebuilds_chosen bigint,
                   total_ms double precision)
    AS 'MODULE_PATHNAME', 'readmodel_model_stats' LANGUAGE C;
COMMENT ON FUNCTION readmodel.model_stats() IS
    'per read model, what maintenance in this backend did: applies, rows written and patched, no-op rows skipped, rebuilds chosen over keyed recomputes, time';

COMMENT ON FUNCTION readmodel.drop(text, boolean) IS
    'drop a read model; with cascade => true also the read models that read it';

-- Models declared under 0.1 get the write guard, and their unique key index
-- becomes the primary key (0.2 models have one, so other models can join
-- to them and use them as root).
DO $$
DECLARE
    m record;
    idx name;
BEGIN
    FOR m IN SELECT relid, keycol FROM readmodel.model LOOP
        SELECT c.relname INTO idx
        FROM pg_catalog.pg_index i
        JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
        JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
        WHERE i.indrelid = m.relid AND i.indisunique AND i.indnkeyatts = 1
          AND a.attname = m.keycol
          AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k
                          WHERE k.conrelid = m.relid AND k.contype = 'p')
        LIMIT 1;
        IF idx IS NOT NULL THEN
            EXECUTE pg_catalog.format('ALTER TABLE %s ADD PRIMARY KEY USING INDEX %I', m.relid, idx);
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger
                       WHERE tgrelid = m.relid AND tgname = 'readmodel_guard') THEN
            EXECUTE pg_catalog.format('CREATE TRIGGER readmodel_guard BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE '
                                      'ON %s FOR EACH STATEMENT EXECUTE FUNCTION readmodel.guard()', m.relid);
        END IF;
    END LOOP;
END
$$;

-- A model whose definition view went with a DROP ... CASCADE takes the
-- models that read it along (their views depend on its table).
CREATE OR REPLACE FUNCTION readmodel._on_sql_drop() RETURNS event_trigger
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
            EXECUTE format('DROP TABLE %s CASCADE', m.relid::regclass);
        END IF;
        FOREACH src IN ARRAY m.sources LOOP
            IF EXISTS (SELECT 1 FROM pg_class WHERE oid = src::oid) THEN
                PERFORM readmodel._sync_triggers(src);
            END IF;
        END LOOP;
    END LOOP;
END
$$;

-- CREATE TABLE tv_x AS SELECT ... declares a read model when the library is
-- preloaded (a ProcessUtility hook).  Otherwise this refuses the statement
-- rather than create a plain table that looks like a read model.
CREATE FUNCTION readmodel._on_ctas() RETURNS event_trigger
    AS 'MODULE_PATHNAME', 'readmodel_on_ctas' LANGUAGE C;
CREATE EVENT TRIGGER readmodel_on_ctas ON ddl_command_end
    WHEN TAG IN ('CREATE TABLE AS', 'SELECT INTO')
    EXECUTE FUNCTION readmodel._on_ctas();
