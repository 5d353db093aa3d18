-- pg_readmodel 0.4 -> 0.5: models follow ALTER TYPE of the types they hold.
\echo Use "ALTER EXTENSION pg_readmodel UPDATE TO '0.5'" to load this file. \quit

-- ALTER TYPE too: renaming an enum's value or a composite type's attribute
-- changes how its values look in a model without any row changing, so the
-- models holding such values are rebuilt (src/ddl_types.c); and CREATE OR
-- REPLACE FUNCTION or ALTER FUNCTION of a function a model calls
-- (src/ddl_functions.c).
DROP EVENT TRIGGER readmodel_on_ddl_end;
CREATE EVENT TRIGGER readmodel_on_ddl_end ON ddl_command_end
    WHEN TAG IN ('ALTER TABLE', 'ALTER VIEW', 'CREATE VIEW', 'CREATE TRIGGER',
                 'CREATE RULE', 'CREATE TABLE', 'ALTER TYPE', 'CREATE FUNCTION',
                 'ALTER FUNCTION', 'ALTER ROUTINE', 'CREATE AGGREGATE',
                 'ALTER AGGREGATE')
    EXECUTE FUNCTION readmodel._on_ddl_end();
