--
-- dml_kinds: every way of writing a source table is captured: multi-row
-- INSERT, UPDATE, DELETE, INSERT ... ON CONFLICT, MERGE, COPY, TRUNCATE,
-- foreign-key actions, writes from functions, DO blocks and triggers,
-- savepoints, flush() inside a savepoint, two-phase commit and a writable
-- CTE that changes two tables in one statement.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_readmodel;
RESET client_min_messages;
CREATE SCHEMA dml;
SET search_path = dml, public;

CREATE TABLE tb_author (
    pk_author  integer PRIMARY KEY,
    name       text NOT NULL,
    book_count integer NOT NULL DEFAULT 0   -- kept by a trigger on tb_book
);
CREATE TABLE tb_book (
    pk_book   integer PRIMARY KEY,
    fk_author integer NOT NULL REFERENCES tb_author (pk_author) ON DELETE CASCADE,
    fk_editor integer REFERENCES tb_author (pk_author) ON DELETE SET NULL,
    title     text NOT NULL
);

-- A trigger on a source table that writes another source table: the
-- author's book_count follows inserts, deletes and moves of books.
CREATE FUNCTION book_count_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE tb_author SET book_count = book_count - 1 WHERE pk_author = OLD.fk_author;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        UPDATE tb_author SET book_count = book_count + 1 WHERE pk_author = NEW.fk_author;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER book_count AFTER INSERT OR DELETE OR UPDATE OF fk_author ON tb_book
    FOR EACH ROW EXECUTE FUNCTION book_count_trigger();

-- An author with the books he wrote (two ways: the trigger-kept counter
-- and a count) and the number of books he edits.
SELECT readmodel.create('tv_author', $$
    SELECT a.pk_author, a.name, a.book_count,
           (SELECT count(*) FROM tb_book b WHERE b.fk_author = a.pk_author) AS books,
           (SELECT string_agg(b.title, ', ' ORDER BY b.pk_book)
            FROM tb_book b WHERE b.fk_author = a.pk_author) AS titles,
           (SELECT count(*) FROM tb_book e WHERE e.fk_editor = a.pk_author) AS edits
    FROM tb_author a
$$);
-- A book with its author's and editor's names.
SELECT readmodel.create('tv_book', $$
    SELECT b.pk_book, b.title, au.name AS author, ed.name AS editor
    FROM tb_book b
    JOIN tb_author au ON au.pk_author = b.fk_author
    LEFT JOIN tb_author ed ON ed.pk_author = b.fk_editor
$$);

-- 1. Multi-row INSERT.
INSERT INTO tb_author (pk_author, name) VALUES (1, 'Austen'), (2, 'Brontë'), (3, 'Carroll');
INSERT INTO tb_book VALUES
    (1, 1, NULL, 'Emma'),
    (2, 1, 2,    'Persuasion'),
    (3, 2, 1,    'Villette'),
    (4, 3, 1,    'Sylvie and Bruno');
SELECT * FROM tv_author ORDER BY pk_author;
SELECT * FROM tv_book ORDER BY pk_book;
SELECT * FROM readmodel.verify('tv_author');
SELECT * FROM readmodel.verify('tv_book');

-- 2. UPDATE of several rows, and UPDATE ... FROM another table.
UPDATE tb_book SET title = upper(title) WHERE pk_book IN (1, 3);
UPDATE tb_book b SET fk_editor = a.pk_author
FROM tb_author a WHERE a.name = 'Carroll' AND b.fk_editor IS NULL;
SELECT * FROM tv_author ORDER BY pk_author;
SELECT * FROM tv_book ORDER BY pk_book;
SELECT * FROM readmodel.verify('tv_author');
SELECT * FROM readmodel.verify('tv_book');

-- 3. DELETE, and DELETE ... USING.
DELETE FROM tb_book WHERE pk_book = 3;
DELETE FROM tb_book b USING tb_author a
WHERE a.pk_author = b.fk_author AND a.name = 'Carroll';
SELECT * FROM tv_author ORDER BY pk_author;
SELECT * FROM tv_book ORDER BY pk_book;
SELECT * FROM readmodel.verify('tv_author');
SELECT * FROM readmodel.verify('tv_book');

-- 4. INSERT ... ON CONFLICT DO UPDATE: book 2 is updated (and moves to
--    Carroll), book 5 is inserted; ON CONFLICT DO NOTHING changes nothing.
INSERT INTO tb_book VALUES (2, 3, 2, 'Persuasion (2nd ed.)'), (5, 2, NULL, 'Shirley')
ON CONFLICT (pk_book) DO UPDATE SET title = EXCLUDED.title, fk_author = EXCLUDED.fk_author;
INSERT INTO tb_book VALUES (5, 1, 1, 'ignored') ON CONFLICT DO NOTHING;
SELECT * FROM tv_author ORDER BY pk_author;
SELECT * FROM tv_book ORDER BY pk_book;
SELECT * FROM readmodel.verify('tv_author');
SELECT * FROM readmodel.verify('tv_book');

-- 5. MERGE: update book 1, delete book 5, insert book 6.
MERGE INTO tb_book t
USING (VALUES (1, 1, 3, 'Emma (annotated)', 'upsert'),
              (5, 2, NULL, NULL, 'delete'),
              (6, 2, 3, 'Jane Eyre', 'upsert')) AS s (pk_book, fk_author, fk_editor, title, action)
ON t.pk_book = s.pk_book
WHEN MATCHED AND s.action = 'delete' THEN DELETE
WHEN MATCHED THEN UPDATE SET title = s.title, fk_editor = s.fk_editor
WHEN NOT MATCHED THEN INSERT VALUES (s.pk_book, s.fk_author, s.fk_editor, s.title);
SELECT * FROM tv_author ORDER BY pk_author;
SELECT * FROM tv_book ORDER BY pk_book;
SELECT * FROM readmodel.verify('tv_author');
SELECT * FROM readmodel.verify('tv_book');

-- 6. COPY FROM STDIN.
COPY tb_author (pk_author, name) FROM STDIN;
4	Dickens
5	Eliot
\.
COPY tb_book FROM STDIN (FORMAT csv);
7,4,5,Bleak House
8,4,,Little Dorrit
9,5,4,Middlemarch
\.
SELECT * FROM tv_author ORDER BY pk_author;
SELECT * FROM tv_book ORDER BY pk_book;
SELECT * FROM readmodel.verify('tv_author');
SELECT * FROM readmodel.verify('tv_book');

-- 7. TRUNCATE of the child table: both models read tb_book and are
--    recomputed completely.  (TRUNCATE fires no row triggers, so
--    book_count keeps its old values until we reset it.)
BEGIN;
TRUNCATE tb_book;
SELECT model, key, reason FROM readmodel.debug_queue() ORDER BY model::text, key::integer;
COMMIT;
SELECT * FROM tv_author ORDER BY pk_author;
SELECT * FROM tv_book ORDER BY pk_book;
SELECT * FROM readmodel.verify('tv_author');
SELECT * FROM readmodel.verify('tv_book');
UPDATE tb_author SET book_count = 0;
INSERT INTO tb_book VALUES (1, 1, 2, 'Emma'), (2, 2, 1, 'Villette'), (3, 4, NULL, 'Hard Times');
SELECT * FROM tv_author ORDER BY pk_author;
SELECT * FROM tv_book ORDER BY pk_book;
SELECT * FROM readmodel.verify('tv_author');
SELECT * FROM readmodel.verify('tv_book');

-- TRUNCATE of the root table (CASCADE empties tb_book too), then new rows
-- in the same transaction.
BEGIN;
TRUNCATE tb_author CASCADE;
INSERT INTO tb_author (pk_author, name) VALUES
    (1, 'Austen'), (2, 'Brontë'), (3, 'Carroll'), (4, 'Dickens'), (5, 'Eliot');
INSERT INTO tb_book VALUES (1, 1, NULL, 'Emma'), (2, 1, 2, 'Persuasion'),
                           (3, 2, 1, 'Villette'), (4, 3, 1, 'Sylvie and Bruno'),
                           (5, 4, 5, 'Bleak House'), (6, 5, 4, 'Middlemarch');
SELECT model, key FROM readmodel.debug_queue() ORDER BY model::text, key::integer;
COMMIT;
SELECT * FROM tv_author ORDER BY pk_author;
SELECT * FROM tv_book ORDER BY pk_book;
SELECT * FROM readmodel.verify('tv_author');
SELECT * FROM readmodel.verify('tv_book');

-- 8. Foreign-key actions: deleting Austen deletes the books she wrote (ON
--    DELETE CASCADE) and clears her as editor (ON DELETE SET NULL).
DELETE FROM tb_author WHERE pk_author = 1;
SELECT * FROM tv_author ORDER BY pk_author;
SELECT * FROM tv_book ORDER BY pk_book;
SELECT * FROM readmodel.verify('tv_author');
SELECT * FROM readmodel.verify('tv_book');

-- 9. Writes inside a plpgsql function.
CREATE FUNCTION add_book(p_book integer, p_author integer, p_title text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tb_book VALUES (p_book, p_author, NULL, p_title);
    UPDATE tb_author SET name = name || '+' WHERE pk_author = p_author;
END
$$;
SELECT add_book(10, 2, 'The Professor');
SELECT * FROM tv_author ORDER BY pk_author;
SELECT * FROM tv_book ORDER BY pk_book;
SELECT * FROM readmodel.verify('tv_author');
SELECT * FROM readmodel.verify('tv_book');

-- 10. Writes inside a DO block, one statement per loop iteration.
DO $$
DECLARE
    i integer;
BEGIN
    FOR i IN 11..13 LOOP
        INSERT INTO tb_book VALUES (i, 3, 2, 'Carroll volume ' || i);
    END LOOP;
    UPDATE tb_author SET name = 'Lewis Carroll' WHERE pk_author = 3;
    DELETE FROM tb_book WHERE pk_book = 12;
END
$$;
SELECT * FROM tv_author ORDER BY pk_author;
SELECT * FROM tv_book ORDER BY pk_book;
SELECT * FROM readmodel.verify('tv_author');
SELECT * FROM readmodel.verify('tv_book');

-- 11. The trigger's own write is captured: inserting one book is two
--     captured statements, the INSERT on tb_book and the trigger's UPDATE
--     on tb_author (book_count).
SELECT (readmodel.queue_stats()->>'statements_captured')::bigint AS captured_before \gset
BEGIN;
INSERT INTO tb_book VALUES (14, 4, NULL, 'Oliver Twist');
SELECT (readmodel.queue_stats()->>'statements_captured')::bigint - :captured_before AS statements_captured;
SELECT model, key FROM readmodel.debug_queue() ORDER BY model::text, key::integer;
COMMIT;
SELECT * FROM tv_author WHERE pk_author = 4;
SELECT * FROM readmodel.verify('tv_author');
SELECT * FROM readmodel.verify('tv_book');

-- 12. Savepoints: work rolled back to a savepoint is discarded, work in a
--     released savepoint is kept.
BEGIN;
INSERT INTO tb_book VALUES (20, 5, NULL, 'Adam Bede');
SAVEPOINT s1;
INSERT INTO tb_book VALUES (21, 5, NULL, 'Romola');
UPDATE tb_author SET name = 'George Eliot' WHERE pk_author = 5;
SELECT model, key FROM readmodel.debug_queue() ORDER BY model::text, key::integer;
ROLLBACK TO SAVEPOINT s1;
SELECT model, key FROM readmodel.debug_queue() ORDER BY model::text, key::integer;
SAVEPOINT s2;
UPDATE tb_book SET title = 'Adam Bede (1859)' WHERE pk_book = 20;
RELEASE SAVEPOINT s2;
COMMIT;
SELECT * FROM tv_author ORDER BY pk_author;
SELECT * FROM tv_book ORDER BY pk_book;
SELECT * FROM readmodel.verify('tv_author');
SELECT * FROM readmodel.verify('tv_book');

-- 13. flush() inside a savepoint, then ROLLBACK TO: the read-model writes
--     are undone together with the source change.
BEGIN;
SAVEPOINT s1;
UPDATE tb_author SET name = 'Mary Ann Evans' WHERE pk_author = 5;
SELECT readmodel.flush();
SELECT pk_author, name FROM tv_author WHERE pk_author = 5;
SELECT pk_book, author FROM tv_book WHERE pk_book = 20;
ROLLBACK TO SAVEPOINT s1;
SELECT pk_author, name FROM tv_author WHERE pk_author = 5;
SELECT pk_book, author FROM tv_book WHERE pk_book = 20;
COMMIT;
SELECT * FROM readmodel.verify('tv_author');
SELECT * FROM readmodel.verify('tv_book');

-- The source change made before the savepoint survives: the keys that
-- flush() applied inside the rolled back savepoint are queued again, and
-- applied by the next query that reads their model, or at COMMIT.
BEGIN;
UPDATE tb_author SET name = 'G. Eliot' WHERE pk_author = 5;
SAVEPOINT s1;
SELECT readmodel.flush();
SELECT pk_author, name FROM tv_author WHERE pk_author = 5;
ROLLBACK TO SAVEPOINT s1;
SELECT pk_author, name FROM tv_author WHERE pk_author = 5;
SELECT model, key FROM readmodel.debug_queue() ORDER BY model::text, key::integer;
COMMIT;
SELECT * FROM tv_author ORDER BY pk_author;
SELECT * FROM tv_book ORDER BY pk_book;
SELECT * FROM readmodel.verify('tv_author');
SELECT * FROM readmodel.verify('tv_book');

-- flush() in a nested savepoint that is released, then the outer one
-- rolled back.
BEGIN;
SAVEPOINT outer_sp;
DELETE FROM tb_book WHERE pk_book = 14;
SAVEPOINT inner_sp;
SELECT readmodel.flush();
RELEASE SAVEPOINT inner_sp;
SELECT pk_book FROM tv_book WHERE pk_book = 14;
ROLLBACK TO SAVEPOINT outer_sp;
SELECT pk_book, title FROM tv_book WHERE pk_book = 14;
COMMIT;
SELECT * FROM readmodel.verify('tv_author');
SELECT * FROM readmodel.verify('tv_book');

-- 14. Two-phase commit: the work is applied at PREPARE TRANSACTION and
--     becomes visible with COMMIT PREPARED; ROLLBACK PREPARED discards it.
BEGIN;
UPDATE tb_author SET name = 'Charles Dickens' WHERE pk_author = 4;
INSERT INTO tb_book VALUES (30, 4, 5, 'Great Expectations');
PREPARE TRANSACTION 'readmodel_dml_commit';
SELECT pk_author, name, books FROM tv_author WHERE pk_author = 4;
COMMIT PREPARED 'readmodel_dml_commit';
SELECT pk_author, name, books FROM tv_author WHERE pk_author = 4;
SELECT * FROM tv_book WHERE pk_book = 30;

BEGIN;
DELETE FROM tb_book WHERE fk_author = 4;
UPDATE tb_author SET name = 'Boz' WHERE pk_author = 4;
PREPARE TRANSACTION 'readmodel_dml_rollback';
ROLLBACK PREPARED 'readmodel_dml_rollback';
SELECT * FROM tv_author ORDER BY pk_author;
SELECT * FROM tv_book ORDER BY pk_book;
SELECT * FROM readmodel.verify('tv_author');
SELECT * FROM readmodel.verify('tv_book');

-- 15. A writable CTE that changes both tables in one statement.
WITH renamed AS (
    UPDATE tb_author SET name = 'C. L. Dodgson' WHERE pk_author = 3 RETURNING pk_author
), added AS (
    INSERT INTO tb_book SELECT 40, pk_author, 5, 'Euclid and his Modern Rivals' FROM renamed
    RETURNING pk_book
), removed AS (
    DELETE FROM tb_book WHERE pk_book = 11 RETURNING pk_book
)
SELECT (SELECT count(*) FROM renamed) AS renamed,
       (SELECT count(*) FROM added) AS added,
       (SELECT count(*) FROM removed) AS removed;
SELECT * FROM tv_author ORDER BY pk_author;
SELECT * FROM tv_book ORDER BY pk_book;
SELECT * FROM readmodel.verify('tv_author');
SELECT * FROM readmodel.verify('tv_book');

-- Clean up.
SET client_min_messages = warning;
DROP SCHEMA dml CASCADE;
RESET client_min_messages;
DROP EXTENSION pg_readmodel;
