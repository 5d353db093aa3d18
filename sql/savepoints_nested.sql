-- Keys applied by flush() inside nested savepoints: rolling back any of
-- the enclosing savepoints undoes the apply, and the key must still be
-- applied at commit when it was queued outside the rolled-back part.
CREATE EXTENSION IF NOT EXISTS pg_readmodel;
CREATE SCHEMA spn;
SET search_path = spn, public;
CREATE TABLE tb_post (pk_post int PRIMARY KEY, title text);
CREATE TABLE tb_comment (pk_comment int PRIMARY KEY, fk_post int, body text);
INSERT INTO tb_post VALUES (1, 'old'), (2, 'old');
INSERT INTO tb_comment VALUES (1, 1, 'c1');
SELECT readmodel.create('spn.tv_post', $$
    SELECT p.pk_post, p.title,
           (SELECT count(*) FROM tb_comment c WHERE c.fk_post = p.pk_post) AS ncomments
    FROM tb_post p $$);

-- queued at top level, applied two savepoints deep, outer savepoint rolled back
BEGIN;
UPDATE tb_post SET title = 'new' WHERE pk_post = 1;
SAVEPOINT a;
SAVEPOINT b;
SELECT readmodel.flush();
ROLLBACK TO SAVEPOINT a;
SELECT key, reason FROM readmodel.debug_queue();
COMMIT;
SELECT * FROM tv_post ORDER BY pk_post;
SELECT * FROM readmodel.verify('spn.tv_post');

-- the same, rolling back the inner savepoint first
BEGIN;
UPDATE tb_post SET title = 'newer' WHERE pk_post = 1;
SAVEPOINT a;
SAVEPOINT b;
SELECT readmodel.flush();
ROLLBACK TO SAVEPOINT b;
ROLLBACK TO SAVEPOINT a;
COMMIT;
SELECT * FROM tv_post ORDER BY pk_post;
SELECT * FROM readmodel.verify('spn.tv_post');

-- queued inside the rolled-back savepoint: discarded, nothing to apply
BEGIN;
SAVEPOINT a;
UPDATE tb_post SET title = 'gone' WHERE pk_post = 2;
SAVEPOINT b;
SELECT readmodel.flush();
ROLLBACK TO SAVEPOINT a;
SELECT count(*) AS pending FROM readmodel.debug_queue();
COMMIT;
SELECT * FROM tv_post ORDER BY pk_post;

-- a full refresh (TRUNCATE) queued at top level survives the same rollback
BEGIN;
TRUNCATE tb_comment;
SAVEPOINT a;
SAVEPOINT b;
SELECT readmodel.flush() > 0 AS applied;
ROLLBACK TO SAVEPOINT a;
SELECT key IS NULL AS full_refresh, reason FROM readmodel.debug_queue();
COMMIT;
SELECT * FROM tv_post ORDER BY pk_post;
SELECT * FROM readmodel.verify('spn.tv_post');

-- plpgsql: nested exception blocks around a flush
DO $$
BEGIN
    UPDATE tb_post SET title = 'from do' WHERE pk_post = 2;
    BEGIN
        BEGIN
            PERFORM readmodel.flush();
            RAISE EXCEPTION 'inner';
        EXCEPTION WHEN raise_exception THEN
            RAISE EXCEPTION 'outer';
        END;
    EXCEPTION WHEN raise_exception THEN
        NULL;
    END;
END $$;
SELECT * FROM tv_post ORDER BY pk_post;
SELECT * FROM readmodel.verify('spn.tv_post');

SELECT readmodel.drop('spn.tv_post');
DROP SCHEMA spn CASCADE;
