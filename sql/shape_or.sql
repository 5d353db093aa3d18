--
-- shape_or: a correlation that is an OR of equalities to the key, or an IN
-- list of columns ("the messages a user sent or received").  A changed message's sender and
-- recipient, old and new, are the keys to recompute.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_readmodel;
RESET client_min_messages;
CREATE SCHEMA shape_or;
SET search_path = shape_or, public;

CREATE TABLE tb_user (pk_user integer PRIMARY KEY, name text NOT NULL);
CREATE TABLE tb_message (
    pk_message   integer PRIMARY KEY,
    sender_id    integer NOT NULL REFERENCES tb_user,
    recipient_id integer NOT NULL REFERENCES tb_user,
    body         text NOT NULL
);
CREATE INDEX ON tb_message (sender_id);
CREATE INDEX ON tb_message (recipient_id);
INSERT INTO tb_user VALUES (1, 'ann'), (2, 'ben'), (3, 'cat');
INSERT INTO tb_message VALUES (1, 1, 2, 'hi'), (2, 2, 1, 'yo'), (3, 3, 1, 'hey');

SELECT readmodel.create('tv_inbox', $$
    SELECT u.pk_user,
           (SELECT count(*) FROM tb_message m
            WHERE m.sender_id = u.pk_user OR u.pk_user = m.recipient_id) AS involved,
           (SELECT COALESCE(jsonb_agg(m.body ORDER BY m.pk_message), '[]') FROM tb_message m
            WHERE m.sender_id = u.pk_user OR m.recipient_id = u.pk_user) AS bodies
    FROM tb_user u $$);
-- the same as an IN list: "u.pk_user IN (m.sender_id, m.recipient_id)"
SELECT readmodel.create('tv_inbox_in', $$
    SELECT u.pk_user,
           (SELECT count(*) FROM tb_message m WHERE u.pk_user IN (m.sender_id, m.recipient_id)) AS involved
    FROM tb_user u $$);
SELECT * FROM readmodel.explain('tv_inbox') WHERE kind NOT IN ('triggers', 'index');
-- refused: a disjunct that is not an equality to the key
SELECT readmodel.create('tv_bad', $$
    SELECT u.pk_user, (SELECT count(*) FROM tb_message m
                       WHERE m.sender_id = u.pk_user OR m.body = 'urgent') AS n
    FROM tb_user u $$);

INSERT INTO tb_message VALUES (4, 2, 3, 'new');
UPDATE tb_message SET recipient_id = 2 WHERE pk_message = 3;
UPDATE tb_message SET sender_id = 1, recipient_id = 3 WHERE pk_message = 2;
DELETE FROM tb_message WHERE pk_message = 1;
UPDATE tb_user SET name = 'Ann' WHERE pk_user = 1;
SELECT * FROM tv_inbox ORDER BY pk_user;
SELECT * FROM tv_inbox_in ORDER BY pk_user;
SELECT m AS model, (SELECT count(*) FROM readmodel.verify(m)) AS verify_rows
FROM unnest(ARRAY['tv_inbox', 'tv_inbox_in']) m;

SELECT readmodel.drop('tv_inbox'), readmodel.drop('tv_inbox_in');
DROP SCHEMA shape_or CASCADE;
