-- pg_readmodel 0.3 -> 0.4: safe under an adversary, exact by binary image.
\echo Use "ALTER EXTENSION pg_readmodel UPDATE TO '0.4'" to load this file. \quit

-- A model that missed a change (it could not be maintained when a source
-- changed) is stale until readmodel.refresh() rebuilds it.
ALTER TABLE readmodel.model
    ADD COLUMN stale_since timestamptz,
    ADD COLUMN stale_reason text;

-- Definitions are visible to those who may see the model (readmodel.models),
-- not to everyone; the extension reads its catalog as its owner.
REVOKE ALL ON readmodel.model FROM PUBLIC;

CREATE FUNCTION readmodel._model_state(regclass, OUT status text, OUT reason text)
    AS 'MODULE_PATHNAME', 'readmodel_model_state' LANGUAGE C STRICT;
CREATE FUNCTION readmodel._check_statements(regclass) RETURNS text
    AS 'MODULE_PATHNAME', 'readmodel_check_statements' LANGUAGE C STRICT;
CREATE FUNCTION readmodel._orphan_capture_tables() RETURNS SETOF regclass
    AS 'MODULE_PATHNAME', 'readmodel_orphan_capture_tables' LANGUAGE C;

-- Each role sees the models it owns or whose table it may read.
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
       m.stale_since
FROM readmodel.model m
JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) m.relid::pg_catalog.oid
CROSS JOIN LATERAL readmodel._model_state(m.relid) s
WHERE pg_catalog.pg_has_role(c.relowner, 'USAGE')
   OR pg_catalog.has_table_privilege(m.relid::pg_catalog.oid, 'SELECT');
GRANT SELECT ON readmodel.models TO PUBLIC;

-- The definition is evaluated as the model's owner, in the sandbox, and
-- rows are compared by binary image.
CREATE OR REPLACE FUNCTION readmodel.verify(name text)
    RETURNS TABLE (problem text, key text, table_row jsonb, definition_row jsonb)
    AS 'MODULE_PATHNAME', 'readmodel_verify' LANGUAGE C STRICT;

-- Dropping a model's table or view: done in C, with nobody's rights but
-- those each step needs.
CREATE OR REPLACE FUNCTION readmodel._on_sql_drop() RETURNS event_trigger
    AS 'MODULE_PATHNAME', 'readmodel_on_sql_drop' LANGUAGE C;

-- DDL on model tables and definition views is limited to what cannot make
-- a model inexact or its maintenance fail; disabling capture triggers
-- makes models stale.
CREATE FUNCTION readmodel._on_ddl_end() RETURNS event_trigger
    AS 'MODULE_PATHNAME', 'readmodel_on_ddl_end' LANGUAGE C;
CREATE EVENT TRIGGER readmodel_on_ddl_end ON ddl_command_end
    WHEN TAG IN ('ALTER TABLE', 'ALTER VIEW', 'CREATE VIEW', 'CREATE TRIGGER',
                 'CREATE RULE', 'CREATE TABLE')
    EXECUTE FUNCTION readmodel._on_ddl_end();

-- Health checks, one row per check: status is ok, warning or error.  Each
-- model's checks are those maintenance depends on: its state (see
-- readmodel.models), that every maintenance statement prepares as its
-- owner, that the catalog lists the sources the definition reads, and the
-- write guard.
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
        IF m.status = 'stale' THEN
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

-- A table's owner lets a role declare read models over the table without
-- granting it TRIGGER (which would let it run triggers of its own as every
-- writer): readmodel.allow_models(table, role).  The capture triggers are
-- then installed with the owner's rights.
CREATE TABLE readmodel.capture_grant (
    source      regclass NOT NULL,
    grantee     regrole NOT NULL,
    PRIMARY KEY (source, grantee)
);
SELECT pg_catalog.pg_extension_config_dump('readmodel.capture_grant', '');
REVOKE ALL ON readmodel.capture_grant FROM PUBLIC;

CREATE FUNCTION readmodel.allow_models(source regclass, grantee regrole) RETURNS void
    AS 'MODULE_PATHNAME', 'readmodel_allow_models' LANGUAGE C STRICT;
COMMENT ON FUNCTION readmodel.allow_models(regclass, regrole) IS
    'let a role declare read models over a table you own, without the TRIGGER privilege';
CREATE FUNCTION readmodel.disallow_models(source regclass, grantee regrole) RETURNS void
    AS 'MODULE_PATHNAME', 'readmodel_disallow_models' LANGUAGE C STRICT;
COMMENT ON FUNCTION readmodel.disallow_models(regclass, regrole) IS
    'withdraw allow_models(); models already declared keep working';
