--
-- declaration: readmodel.create() makes a table, a unique index on the key,
-- a <table>_def view, a catalog row and capture triggers on every source.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_readmodel;
RESET client_min_messages;
CREATE SCHEMA decl;
SET search_path = decl, public;

CREATE TABLE tb_org (
    pk_org integer PRIMARY KEY,
    code   text NOT NULL UNIQUE,
    name   text NOT NULL
);
CREATE TABLE tb_user (
    pk_user integer PRIMARY KEY,
    fk_org  integer REFERENCES tb_org (pk_org),
    name    text NOT NULL,
    note    text
);
INSERT INTO tb_org VALUES (1, 'ACME', 'Acme Corp'), (2, 'GLOBEX', 'Globex');
INSERT INTO tb_user VALUES (1, 1, 'alice', NULL), (2, 1, 'bob', NULL), (3, NULL, 'carol', NULL);

-- 1. Default options: the key is the root table's primary key column.
SELECT readmodel.create('tv_user', $$
    SELECT u.pk_user, u.fk_org,
           jsonb_build_object('name', u.name, 'org', o.name) AS data
    FROM tb_user u
    LEFT JOIN tb_org o ON o.pk_org = u.fk_org
$$);

SELECT * FROM tv_user ORDER BY pk_user;

-- The model as listed in readmodel.models.
SELECT name, key, sources, mode, row_count FROM readmodel.models ORDER BY name::text;
SELECT definition FROM readmodel.models WHERE name = 'tv_user'::regclass;

-- An ordinary table with a unique index on the key column.
\d tv_user

-- The definition, kept as a view named <table>_def.
\d+ tv_user_def

-- The catalog row points at both.
SELECT relid, viewid, keycol, mode, sources, options FROM readmodel.model ORDER BY relid::text;

-- Capture triggers: four statement-level AFTER triggers on each source.
SELECT tgrelid::regclass AS source, tgname, tgenabled
FROM pg_trigger
WHERE tgname LIKE 'readmodel\_capture\_%'
ORDER BY tgrelid::regclass::text, tgname;
SELECT pg_get_triggerdef(oid) AS triggerdef
FROM pg_trigger
WHERE tgrelid = 'tb_user'::regclass AND tgname LIKE 'readmodel\_capture\_%'
ORDER BY tgname;

-- The table follows its sources.
UPDATE tb_org SET name = 'Acme Inc' WHERE pk_org = 1;
UPDATE tb_user SET fk_org = 2 WHERE pk_user = 3;
INSERT INTO tb_user VALUES (4, 2, 'dave', NULL);
SELECT * FROM tv_user ORDER BY pk_user;
SELECT * FROM readmodel.verify('tv_user');

-- 2. The key column may be renamed in the output; it is still the root's
--    primary key.
SELECT readmodel.create('tv_user_renamed', $$
    SELECT u.name, u.pk_user AS user_id FROM tb_user u
$$);
SELECT name, key, sources FROM readmodel.models WHERE name = 'tv_user_renamed'::regclass;
\d tv_user_renamed
SELECT * FROM tv_user_renamed ORDER BY user_id;
SELECT * FROM readmodel.verify('tv_user_renamed');

-- 3. Option "key": another unique NOT NULL column of the root table.
--    A schema-qualified name puts the model (and its view) in that schema.
SELECT readmodel.create('decl.tv_org', $$
    SELECT o.code, o.name,
           (SELECT count(*) FROM tb_user u WHERE u.fk_org = o.pk_org) AS users
    FROM tb_org o
$$, '{"key": "code"}');
SELECT name, key, sources, mode, row_count FROM readmodel.models WHERE name = 'tv_org'::regclass;
\d tv_org
SELECT * FROM tv_org ORDER BY code;
UPDATE tb_user SET fk_org = 2 WHERE pk_user = 2;
SELECT * FROM tv_org ORDER BY code;
SELECT * FROM readmodel.verify('tv_org');

-- NULL options mean the defaults.
SELECT readmodel.create('tv_org_plain', 'SELECT o.pk_org, o.name FROM tb_org o', NULL);
SELECT name, key, mode FROM readmodel.models WHERE name = 'tv_org_plain'::regclass;

-- 4. Mode "commit" (default): inside a transaction, the table still shows the
--    old row until COMMIT.  Mode "statement": the table follows at the end
--    of each statement.
SELECT readmodel.create('tv_user_now', $$
    SELECT u.pk_user, u.name, o.code AS org
    FROM tb_user u
    LEFT JOIN tb_org o ON o.pk_org = u.fk_org
$$, '{"mode": "statement"}');
SELECT name, key, mode FROM readmodel.models ORDER BY name::text;
SELECT * FROM tv_user_now ORDER BY pk_user;

BEGIN;
UPDATE tb_user SET name = 'alice.smith' WHERE pk_user = 1;
-- statement mode: already there
SELECT * FROM tv_user_now WHERE pk_user = 1;
-- only the commit-mode models have keys queued
SELECT model, key, reason FROM readmodel.debug_queue() ORDER BY model::text, key;
-- commit mode: a query that reads the model applies its queued work first
-- (read-your-writes), and so does not see the state before the UPDATE
SELECT pk_user, data FROM tv_user WHERE pk_user = 1;
SELECT model, key, reason FROM readmodel.debug_queue() ORDER BY model::text, key;
SELECT name FROM tv_user_renamed WHERE user_id = 1;
UPDATE tb_org SET code = 'ACME2' WHERE pk_org = 1;
SELECT * FROM tv_user_now ORDER BY pk_user;
COMMIT;
SELECT pk_user, data FROM tv_user ORDER BY pk_user;
SELECT * FROM tv_user_renamed ORDER BY user_id;
SELECT * FROM tv_org ORDER BY code;
SELECT * FROM tv_user_now ORDER BY pk_user;

-- A statement-mode change rolled back with its transaction leaves nothing.
BEGIN;
DELETE FROM tb_user WHERE pk_user = 4;
SELECT * FROM tv_user_now ORDER BY pk_user;
ROLLBACK;
SELECT * FROM tv_user_now ORDER BY pk_user;

SELECT * FROM readmodel.verify('tv_user');
SELECT * FROM readmodel.verify('tv_user_renamed');
SELECT * FROM readmodel.verify('tv_org');
SELECT * FROM readmodel.verify('tv_org_plain');
SELECT * FROM readmodel.verify('tv_user_now');

-- Clean up: dropping the schema drops the models with their tables.
SET client_min_messages = warning;
DROP SCHEMA decl CASCADE;
RESET client_min_messages;
SELECT count(*) AS models_left FROM readmodel.model;
DROP EXTENSION pg_readmodel;
