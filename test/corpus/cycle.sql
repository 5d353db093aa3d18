--
-- test/corpus/cycle.sql: the fixed write script run after each accepted
-- shape, with a comparison after every step, then the check.  Included by
-- the driver after every corpus_try().
--
-- Each step is one transaction sent as one multi-statement query (psql's
-- \; joins the statements), so the first failing statement ends it and its
-- error is the one psql keeps in LAST_ERROR_*; maintenance runs at each
-- COMMIT (or after each statement, for models in statement mode).  The
-- steps are the same for every shape; together they insert, update and
-- delete rows of every source table (also through foreign-key cascades, a
-- writable CTE, MERGE and an upsert), move rows between parents, set and
-- clear NULLs, write values that are equal to the old ones but not the same
-- (10 -> 10.00), roll back, and write from a session whose settings differ
-- from the defaults.  After each step corpus_after_step() records a failed
-- write and compares the table with a fresh run of the definition: a model
-- that is wrong after step 3 and healed by an unrelated write in step 9 is
-- still reported.
--
SELECT accepted AS corpus_accepted FROM corpus_result
 WHERE name = (SELECT current FROM corpus_state) \gset
\if :corpus_accepted

-- 0. Nothing written yet: the freshly declared table.
SELECT corpus_after_step('0 declared', '00000', '') AS corpus_step_outcome \gset

-- 1. Inserts: a new org, user, post with tags, comments (one of them the
--    earliest comment on post 1), likes, an order, events, a tag nobody uses.
--    Post 6 gets the highest score, so the top three by score change.
\set LAST_ERROR_SQLSTATE 00000
\set LAST_ERROR_MESSAGE ''
BEGIN \;
INSERT INTO tb_org VALUES (4, corpus_uuid('org-4'), 'hooli', 'Hooli', 'US') \;
INSERT INTO tb_user (pk_user, id, fk_org, fk_manager, email, handle, name, bio, avatar, is_admin, balance)
    VALUES (6, corpus_uuid('user-6'), 4, 1, 'frank@hooli.test', 'frank', 'Frank', 'New here', '\x00', false, 1.50) \;
INSERT INTO tb_user_profile VALUES (6, 'https://frank.test', 'Paris') \;
INSERT INTO tb_post (pk_post, id, fk_user, fk_editor, fk_category, title, body, status, score,
                     price, read_time, published_at, tag_ids, author_id)
    VALUES (6, corpus_uuid('post-6'), 6, NULL, 3, 'Window functions', 'OVER ()', 'published',
            30, 1.0, '15 minutes', '2025-03-01 10:00+00', '{1,4}', corpus_uuid('user-6')) \;
INSERT INTO tb_post_tag VALUES (6, 1, 1.5), (6, 4, 0.75) \;
INSERT INTO tb_comment VALUES
    (8, corpus_uuid('comment-8'), 6, 1, 'Welcome',    5.0, '2025-03-01 11:00+00'),
    (9, corpus_uuid('comment-9'), 1, 6, 'Early bird', 1.5, '2024-03-01 10:30+00') \;
INSERT INTO tb_like VALUES (8, 6, 2), (9, 2, 6) \;
INSERT INTO tb_order VALUES (5, corpus_uuid('order-5'), 6, 'paid', '2025-03-02') \;
INSERT INTO tb_order_line VALUES (8, 5, 2, 3, 9.000), (9, 1, 3, 1, 0.5) \;
INSERT INTO tb_event VALUES (6, 6, 'purchase', 27.000, '2025-03-02 12:00+00'),
                            (7, 1, 'login', NULL, '2024-12-31 23:59+00') \;
INSERT INTO tb_tag VALUES (5, corpus_uuid('tag-5'), 'new', 'New') \;
COMMIT;
SELECT corpus_after_step('1 inserts', :'LAST_ERROR_SQLSTATE', :'LAST_ERROR_MESSAGE') AS corpus_step_outcome \gset

-- 2. A primary key change cascading to referencing rows, and a TRUNCATE
--    followed by inserts in the same transaction.
\set LAST_ERROR_SQLSTATE 00000
\set LAST_ERROR_MESSAGE ''
BEGIN \;
UPDATE tb_org SET pk_org = 30 WHERE pk_org = 3 \;
TRUNCATE tb_flag \;
INSERT INTO tb_flag VALUES (4, 1, 'duplicate'), (5, 3, 'spam') \;
COMMIT;
SELECT corpus_after_step('2 key change, truncate', :'LAST_ERROR_SQLSTATE', :'LAST_ERROR_MESSAGE') AS corpus_step_outcome \gset

-- 3. Updates of values definitions copy or compute with.
\set LAST_ERROR_SQLSTATE 00000
\set LAST_ERROR_MESSAGE ''
BEGIN \;
UPDATE tb_user SET name = 'Alice Martin' WHERE pk_user = 1 \;
UPDATE tb_org SET name = 'Acme Corp' WHERE pk_org = 1 \;
UPDATE tb_post SET title = 'Hello, Postgres', score = 12 WHERE pk_post = 1 \;
UPDATE tb_post SET status = 'published', published_at = '2024-06-01 10:00+00' WHERE pk_post = 3 \;
UPDATE tb_tag SET name = 'Perf' WHERE pk_tag = 2 \;
UPDATE tb_product SET name = 'Postgres book, 2nd ed.', price = 42.00 WHERE pk_product = 1 \;
UPDATE tb_category SET name = 'PostgreSQL' WHERE pk_category = 3 \;
UPDATE tb_user_profile SET location = 'Lyon, FR' WHERE pk_user = 1 \;
UPDATE tb_comment SET rating = 2.0 WHERE pk_comment = 6 \;
COMMIT;
SELECT corpus_after_step('3 updates', :'LAST_ERROR_SQLSTATE', :'LAST_ERROR_MESSAGE') AS corpus_step_outcome \gset

-- 4. New values equal to the old ones under the type's = but not the same:
--    numeric scale, an interval written in other units, text under a
--    case-insensitive collation, float8 negative zero.
\set LAST_ERROR_SQLSTATE 00000
\set LAST_ERROR_MESSAGE ''
BEGIN \;
UPDATE tb_post SET price = 4.5 WHERE pk_post = 2 \;
UPDATE tb_post SET price = 10.00 WHERE pk_post = 4 \;
UPDATE tb_post SET read_time = '1 day' WHERE pk_post = 2 \;
UPDATE tb_user SET handle = 'Alice' WHERE pk_user = 1 \;
UPDATE tb_user SET balance = 10.00 WHERE pk_user = 1 \;
UPDATE tb_order_line SET unit_price = 9.0 WHERE pk_order_line = 2 \;
UPDATE tb_post_tag SET weight = 1.00 WHERE fk_post = 1 AND fk_tag = 1 \;
UPDATE tb_product SET weight_kg = '-0' WHERE pk_product = 3 \;
UPDATE tb_event SET amount = 18 WHERE pk_event = 3 \;
COMMIT;
SELECT corpus_after_step('4 equal but not identical', :'LAST_ERROR_SQLSTATE', :'LAST_ERROR_MESSAGE') AS corpus_step_outcome \gset

-- 5. Rows moving between parents.
\set LAST_ERROR_SQLSTATE 00000
\set LAST_ERROR_MESSAGE ''
BEGIN \;
UPDATE tb_comment SET fk_post = 2 WHERE pk_comment = 3 \;
UPDATE tb_post SET fk_user = 2, author_id = corpus_uuid('user-2') WHERE pk_post = 5 \;
UPDATE tb_post SET fk_editor = 2 WHERE pk_post = 2 \;
UPDATE tb_post SET fk_editor = NULL WHERE pk_post = 1 \;
UPDATE tb_user SET fk_org = 2 WHERE pk_user = 2 \;
UPDATE tb_user SET fk_manager = 1 WHERE pk_user = 4 \;
UPDATE tb_category SET fk_parent = 4, ancestors = '{4}' WHERE pk_category = 2 \;
UPDATE tb_category SET ancestors = '{4,2}' WHERE pk_category = 3 \;
UPDATE tb_order_line SET fk_order = 2 WHERE pk_order_line = 1 \;
UPDATE tb_event SET fk_user = 2 WHERE pk_event = 2 \;
UPDATE tb_like SET fk_post = 3 WHERE pk_like = 7 \;
COMMIT;
SELECT corpus_after_step('5 moves', :'LAST_ERROR_SQLSTATE', :'LAST_ERROR_MESSAGE') AS corpus_step_outcome \gset

-- 6. Updates of columns no definition reads.
\set LAST_ERROR_SQLSTATE 00000
\set LAST_ERROR_MESSAGE ''
BEGIN \;
UPDATE tb_post SET internal_note = 'reviewed' WHERE pk_post IN (1, 2) \;
UPDATE tb_user SET note = 'vip' WHERE pk_user = 3 \;
COMMIT;
SELECT corpus_after_step('6 unread columns', :'LAST_ERROR_SQLSTATE', :'LAST_ERROR_MESSAGE') AS corpus_step_outcome \gset

-- 7. Deletes, some cascading through foreign keys.
\set LAST_ERROR_SQLSTATE 00000
\set LAST_ERROR_MESSAGE ''
BEGIN \;
DELETE FROM tb_comment WHERE pk_comment = 4 \;
DELETE FROM tb_like WHERE pk_like = 1 \;
DELETE FROM tb_post_tag WHERE fk_post = 5 AND fk_tag = 3 \;
DELETE FROM tb_post WHERE pk_post = 4 \;
DELETE FROM tb_user WHERE pk_user = 5 \;
DELETE FROM tb_order WHERE pk_order = 3 \;
DELETE FROM tb_tag WHERE pk_tag = 4 \;
DELETE FROM tb_event WHERE pk_event = 1 \;
COMMIT;
SELECT corpus_after_step('7 deletes', :'LAST_ERROR_SQLSTATE', :'LAST_ERROR_MESSAGE') AS corpus_step_outcome \gset

-- 8. NULLs set and cleared; a flag attached to no post.
\set LAST_ERROR_SQLSTATE 00000
\set LAST_ERROR_MESSAGE ''
BEGIN \;
UPDATE tb_user SET bio = NULL WHERE pk_user = 1 \;
UPDATE tb_user SET bio = 'Now with a bio' WHERE pk_user = 2 \;
UPDATE tb_user SET avatar = NULL WHERE pk_user = 3 \;
UPDATE tb_post SET published_at = NULL, status = 'draft' WHERE pk_post = 2 \;
UPDATE tb_post SET fk_category = NULL, tag_ids = NULL WHERE pk_post = 5 \;
UPDATE tb_comment SET fk_user = NULL WHERE pk_comment = 7 \;
UPDATE tb_org SET country = NULL WHERE pk_org = 1 \;
UPDATE tb_user_profile SET website = NULL WHERE pk_user = 1 \;
INSERT INTO tb_user_profile VALUES (2, NULL, 'Nantes') \;
INSERT INTO tb_flag VALUES (6, NULL, 'unattached') \;
COMMIT;
SELECT corpus_after_step('8 nulls', :'LAST_ERROR_SQLSTATE', :'LAST_ERROR_MESSAGE') AS corpus_step_outcome \gset

-- 9. Several statements on the same rows in one transaction: a comment
--    inserted, edited and moved to the front of its post; a post inserted
--    and deleted again; scores of one author's posts bumped.
\set LAST_ERROR_SQLSTATE 00000
\set LAST_ERROR_MESSAGE ''
BEGIN \;
INSERT INTO tb_comment VALUES (10, corpus_uuid('comment-10'), 5, 3, 'Draft comment', 2.0, '2025-02-04 10:00+00') \;
UPDATE tb_comment SET body = 'Edited comment' WHERE pk_comment = 10 \;
UPDATE tb_comment SET created_at = '2025-02-01 12:30+00' WHERE pk_comment = 10 \;
INSERT INTO tb_post (pk_post, id, fk_user, title, status, score)
    VALUES (7, corpus_uuid('post-7'), 3, 'Short lived', 'published', 99) \;
DELETE FROM tb_post WHERE pk_post = 7 \;
UPDATE tb_post SET score = score + 1 WHERE fk_user = 1 \;
COMMIT;
SELECT corpus_after_step('9 same rows twice', :'LAST_ERROR_SQLSTATE', :'LAST_ERROR_MESSAGE') AS corpus_step_outcome \gset

-- 10. A rolled-back transaction and a rolled-back savepoint.
\set LAST_ERROR_SQLSTATE 00000
\set LAST_ERROR_MESSAGE ''
BEGIN \;
UPDATE tb_user SET name = 'Nobody' WHERE pk_user = 2 \;
ROLLBACK;
BEGIN \;
SAVEPOINT a \;
UPDATE tb_post SET title = 'Rolled back' WHERE pk_post = 1 \;
ROLLBACK TO SAVEPOINT a \;
UPDATE tb_post SET title = 'Kept' WHERE pk_post = 6 \;
COMMIT;
SELECT corpus_after_step('10 rollbacks', :'LAST_ERROR_SQLSTATE', :'LAST_ERROR_MESSAGE') AS corpus_step_outcome \gset

-- 11. A writer whose session settings differ from the defaults.  The
--     extension pins TimeZone, DateStyle, IntervalStyle, extra_float_digits
--     and search_path during maintenance; bytea_output and
--     default_text_search_config are changed here too.
\set LAST_ERROR_SQLSTATE 00000
\set LAST_ERROR_MESSAGE ''
BEGIN \;
SET LOCAL TimeZone = 'Asia/Tokyo' \;
SET LOCAL DateStyle = 'German' \;
SET LOCAL bytea_output = 'escape' \;
SET LOCAL default_text_search_config = 'pg_catalog.simple' \;
UPDATE tb_user SET avatar = '\x0a0b' WHERE pk_user = 1 \;
UPDATE tb_post SET title = 'Running the planners', body = 'The planner chooses plans' WHERE pk_post = 6 \;
UPDATE tb_comment SET body = 'Nicer' WHERE pk_comment = 1 \;
UPDATE tb_event SET amount = 50 WHERE pk_event = 6 \;
COMMIT;
SELECT corpus_after_step('11 session settings', :'LAST_ERROR_SQLSTATE', :'LAST_ERROR_MESSAGE') AS corpus_step_outcome \gset

-- 12. The partitioned table: an event moved to another partition, one
--     written through a partition directly.
\set LAST_ERROR_SQLSTATE 00000
\set LAST_ERROR_MESSAGE ''
BEGIN \;
UPDATE tb_event SET occurred_at = '2025-06-01 12:00+00' WHERE pk_event = 3 \;
INSERT INTO tb_event_2025 VALUES (8, 2, 'login', NULL, '2025-07-01 08:00+00') \;
COMMIT;
SELECT corpus_after_step('12 partitions', :'LAST_ERROR_SQLSTATE', :'LAST_ERROR_MESSAGE') AS corpus_step_outcome \gset

-- 13. Several tables written by one statement (a writable CTE), MERGE,
--     and INSERT ... ON CONFLICT DO UPDATE.
\set LAST_ERROR_SQLSTATE 00000
\set LAST_ERROR_MESSAGE ''
BEGIN \;
WITH u AS (UPDATE tb_user SET name = 'Carol Smith' WHERE pk_user = 3 RETURNING 1),
     p AS (UPDATE tb_post SET fk_user = 3, fk_editor = 3 WHERE pk_post = 3 RETURNING 1),
     c AS (INSERT INTO tb_comment VALUES (11, corpus_uuid('comment-11'), 3, 3, 'Same statement', 4.0,
                                          '2024-06-02 10:00+00') RETURNING 1),
     d AS (DELETE FROM tb_like WHERE pk_like = 2 RETURNING 1)
SELECT count(*) FROM u, p, c, d \;
MERGE INTO tb_post_tag t
USING (VALUES (3, 1, 2.0), (1, 2, 0.25)) AS s(fk_post, fk_tag, weight)
   ON t.fk_post = s.fk_post AND t.fk_tag = s.fk_tag
WHEN MATCHED THEN UPDATE SET weight = s.weight
WHEN NOT MATCHED THEN INSERT VALUES (s.fk_post, s.fk_tag, s.weight) \;
INSERT INTO tb_like VALUES (10, 3, 1), (11, 6, 6)
    ON CONFLICT (fk_post, fk_user) DO UPDATE SET pk_like = EXCLUDED.pk_like \;
COMMIT;
SELECT corpus_after_step('13 writable CTE, MERGE, upsert', :'LAST_ERROR_SQLSTATE', :'LAST_ERROR_MESSAGE') AS corpus_step_outcome \gset

\endif

SELECT corpus_check() AS corpus_outcome \gset
\echo :corpus_outcome
SELECT corpus_seed() \gset corpus_ignore_
