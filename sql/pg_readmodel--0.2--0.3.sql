-- pg_readmodel 0.2 -> 0.3: patches splice documents instead of rebuilding them.
\echo Use "ALTER EXTENSION pg_readmodel UPDATE TO '0.3'" to load this file. \quit

-- jsonb_set(doc, path, value) for a path of object keys, without unpacking
-- the document.  Under older SQL the library uses jsonb_set (same result);
-- a session that prepared its patch statements before this update keeps
-- them until it reconnects.
CREATE FUNCTION readmodel.jsonb_patch(doc jsonb, path text[], value jsonb)
    RETURNS jsonb
    AS 'MODULE_PATHNAME', 'readmodel_jsonb_patch'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION readmodel.jsonb_patch(jsonb, text[], jsonb) IS
    'jsonb_set(doc, path, value) for read-model patches: splices the stored bytes along the path';
