--
-- timeouts: statement_timeout bounds the work maintenance does at COMMIT
-- (PostgreSQL disarms it before committing; the extension arms it again).
-- (Issue 9, item 12.)
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_readmodel;
RESET client_min_messages;
CREATE SCHEMA timeouts;
SET search_path = timeouts, public;
CREATE TABLE tb_item (pk integer PRIMARY KEY, n integer NOT NULL);
INSERT INTO tb_item VALUES (1, 1);
-- slow for one value only (declared IMMUTABLE: a test of the clock, not of
-- the definition)
CREATE FUNCTION slow(n integer) RETURNS integer LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE t timestamptz := clock_timestamp();
BEGIN
    WHILE n = 42 AND clock_timestamp() < t + interval '5 seconds' LOOP END LOOP;
    RETURN n;
END $$;
SELECT readmodel.create('tv_item', 'SELECT i.pk, timeouts.slow(i.n) AS n FROM tb_item i');
SET statement_timeout = '300ms';
BEGIN;
UPDATE tb_item SET n = 42;
SELECT clock_timestamp() AS before_commit \gset
\set VERBOSITY terse
COMMIT;
\set VERBOSITY default
SELECT clock_timestamp() - :'before_commit'::timestamptz < interval '4 seconds' AS bounded;
RESET statement_timeout;
-- nothing of the timed-out transaction stayed
SELECT n FROM tb_item;
SELECT n FROM tv_item;
-- without a timeout the same commit completes
UPDATE tb_item SET n = 2;
SELECT n FROM tv_item;

-- Clean up.
SET client_min_messages = warning;
DROP SCHEMA timeouts CASCADE;
RESET client_min_messages;
DROP EXTENSION pg_readmodel;
