--
-- test/corpus/schema.sql: the write side the corpus definitions read.
--
-- A small publishing-and-shop backend in the FraiseQL layout: tb_* tables
-- with integer pk_* keys, a public uuid id, fk_* references.  On purpose it
-- has
--   * NULLs in foreign keys, texts, numerics, arrays and bytea;
--   * numerics without a typmod holding values of different scales
--     (10, 10.0, 10.50) next to numeric(10,2) columns;
--   * an interval column, a text column with a case-insensitive
--     (nondeterministic) collation, a float8 with a negative zero nearby;
--   * a partitioned table (tb_event, RANGE on occurred_at, its primary key
--     necessarily composite);
--   * a table with a composite primary key (tb_post_tag), and a 1:1
--     extension table sharing its parent's key name (tb_user_profile);
--   * views (v_user_public, the FraiseQL v_post layer) and a materialized
--     view (mv_post_stats).
--
-- corpus_seed() empties every table and loads the same rows again; the
-- harness calls it before each shape, so every shape starts from the same
-- state.  Nothing here depends on the time, on random() or on sequences.
--

CREATE COLLATION IF NOT EXISTS ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);

CREATE TABLE tb_org (
    pk_org      integer PRIMARY KEY,
    id          uuid NOT NULL UNIQUE,
    identifier  text NOT NULL UNIQUE,
    name        text NOT NULL,
    country     text                       -- NULL: unknown
);

CREATE TABLE tb_user (
    pk_user     integer PRIMARY KEY,
    id          uuid NOT NULL UNIQUE,
    fk_org      integer REFERENCES tb_org (pk_org) ON UPDATE CASCADE ON DELETE SET NULL,
    fk_manager  integer REFERENCES tb_user (pk_user) ON DELETE SET NULL,
    email       text NOT NULL UNIQUE,
    handle      text COLLATE ci NOT NULL,  -- case-insensitive: 'alice' = 'Alice'
    name        text NOT NULL,
    bio         text,
    avatar      bytea,
    is_admin    boolean NOT NULL DEFAULT false,
    balance     numeric,                   -- no typmod: 5, 5.0 and 5.00 are all kept as written
    note        text                       -- read by no definition
);
CREATE INDEX ON tb_user (fk_org);
CREATE INDEX ON tb_user (fk_manager);

-- 1:1 extension of tb_user sharing its key column name (joined USING)
CREATE TABLE tb_user_profile (
    pk_user     integer PRIMARY KEY REFERENCES tb_user (pk_user) ON DELETE CASCADE,
    website     text,
    location    text
);

CREATE TABLE tb_category (
    pk_category integer PRIMARY KEY,
    id          uuid NOT NULL UNIQUE,
    fk_parent   integer REFERENCES tb_category (pk_category),
    name        text NOT NULL,
    ancestors   integer[] NOT NULL DEFAULT '{}'   -- pk_category of every ancestor, root first
);
CREATE INDEX ON tb_category (fk_parent);

CREATE TABLE tb_post (
    pk_post      integer PRIMARY KEY,
    id           uuid NOT NULL UNIQUE,
    fk_user      integer NOT NULL REFERENCES tb_user (pk_user),
    fk_editor    integer REFERENCES tb_user (pk_user) ON DELETE SET NULL,
    fk_category  integer REFERENCES tb_category (pk_category),
    title        text NOT NULL,
    body         text,
    status       text NOT NULL DEFAULT 'draft',
    score        integer NOT NULL DEFAULT 0,
    price        numeric,                  -- NULL: free
    read_time    interval,
    published_at timestamptz,
    tag_ids      integer[],                -- denormalised copy of the tags, as some schemas keep
    author_id    uuid REFERENCES tb_user (id), -- FraiseQL "parent uuid" filter column
    internal_note text                     -- read by no definition
);
CREATE INDEX ON tb_post (fk_user);
CREATE INDEX ON tb_post (fk_editor);
CREATE INDEX ON tb_post (fk_category);

CREATE TABLE tb_comment (
    pk_comment  integer PRIMARY KEY,
    id          uuid NOT NULL UNIQUE,
    fk_post     integer NOT NULL REFERENCES tb_post (pk_post) ON DELETE CASCADE,
    fk_user     integer REFERENCES tb_user (pk_user) ON DELETE SET NULL,  -- NULL: anonymous
    body        text NOT NULL,
    rating      numeric(3,1),
    created_at  timestamptz NOT NULL
);
CREATE INDEX ON tb_comment (fk_post);
CREATE INDEX ON tb_comment (fk_user);

CREATE TABLE tb_tag (
    pk_tag      integer PRIMARY KEY,
    id          uuid NOT NULL UNIQUE,
    slug        text NOT NULL UNIQUE,
    name        text NOT NULL
);

-- composite primary key, no single-column unique key
CREATE TABLE tb_post_tag (
    fk_post     integer NOT NULL REFERENCES tb_post (pk_post) ON DELETE CASCADE,
    fk_tag      integer NOT NULL REFERENCES tb_tag (pk_tag) ON DELETE CASCADE,
    weight      numeric NOT NULL DEFAULT 1,
    PRIMARY KEY (fk_post, fk_tag)
);
CREATE INDEX ON tb_post_tag (fk_tag);

CREATE TABLE tb_like (
    pk_like     integer PRIMARY KEY,
    fk_post     integer NOT NULL REFERENCES tb_post (pk_post) ON DELETE CASCADE,
    fk_user     integer NOT NULL REFERENCES tb_user (pk_user) ON DELETE CASCADE,
    UNIQUE (fk_post, fk_user)
);
CREATE INDEX ON tb_like (fk_user);

-- moderation flags; fk_post may be NULL (a flag not yet attached)
CREATE TABLE tb_flag (
    pk_flag     integer PRIMARY KEY,
    fk_post     integer REFERENCES tb_post (pk_post) ON DELETE CASCADE,
    reason      text NOT NULL
);
CREATE INDEX ON tb_flag (fk_post);

CREATE TABLE tb_product (
    pk_product  integer PRIMARY KEY,
    id          uuid NOT NULL UNIQUE,
    sku         text NOT NULL UNIQUE,
    name        text NOT NULL,
    price       numeric(10,2) NOT NULL,
    weight_kg   float8
);

CREATE TABLE tb_order (
    pk_order    integer PRIMARY KEY,
    id          uuid NOT NULL UNIQUE,
    fk_user     integer NOT NULL REFERENCES tb_user (pk_user),
    status      text NOT NULL,
    placed_on   date NOT NULL
);
CREATE INDEX ON tb_order (fk_user);

CREATE TABLE tb_order_line (
    pk_order_line integer PRIMARY KEY,
    fk_order    integer NOT NULL REFERENCES tb_order (pk_order) ON DELETE CASCADE,
    fk_product  integer NOT NULL REFERENCES tb_product (pk_product),
    quantity    integer NOT NULL,
    unit_price  numeric NOT NULL           -- no typmod: the price as charged, as written
);
CREATE INDEX ON tb_order_line (fk_order);
CREATE INDEX ON tb_order_line (fk_product);

-- price bands, joined by a range condition rather than an equality
CREATE TABLE tb_price_band (
    pk_price_band integer PRIMARY KEY,
    lo          numeric NOT NULL,
    hi          numeric NOT NULL,
    label       text NOT NULL
);

-- partitioned: its primary key has to include the partition key
CREATE TABLE tb_event (
    pk_event    integer NOT NULL,
    fk_user     integer NOT NULL REFERENCES tb_user (pk_user) ON DELETE CASCADE,
    kind        text NOT NULL,
    amount      numeric,
    occurred_at timestamptz NOT NULL,
    PRIMARY KEY (pk_event, occurred_at)
) PARTITION BY RANGE (occurred_at);
CREATE TABLE tb_event_2024 PARTITION OF tb_event
    FOR VALUES FROM ('2024-01-01 00:00+00') TO ('2025-01-01 00:00+00');
CREATE TABLE tb_event_2025 PARTITION OF tb_event
    FOR VALUES FROM ('2025-01-01 00:00+00') TO ('2026-01-01 00:00+00');
CREATE INDEX ON tb_event (fk_user);

-- a plain view, and the FraiseQL v_ layer that tv_ tables are made from
CREATE VIEW v_user_public AS
    SELECT u.pk_user, u.id, u.fk_org, u.name, u.handle
    FROM tb_user u;

CREATE VIEW v_post AS
    SELECT p.pk_post, p.id, p.fk_user,
           jsonb_build_object('id', p.id, 'title', p.title,
                              'author', jsonb_build_object('id', u.id, 'name', u.name)) AS data
    FROM tb_post p JOIN tb_user u ON u.pk_user = p.fk_user;

-- refreshed by hand only
CREATE MATERIALIZED VIEW mv_post_stats AS
    SELECT c.fk_post, count(*) AS comments
    FROM tb_comment c GROUP BY c.fk_post
    WITH NO DATA;

-- An IMMUTABLE helper a definition may call.
CREATE FUNCTION slugify(t text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN lower(regexp_replace(t, '[^A-Za-z0-9]+', '-', 'g'));

-- A STABLE lookup that reads a table (the kind of function pg_tviews asks to declare).
CREATE FUNCTION org_name(p_org integer) RETURNS text
    LANGUAGE sql STABLE
    RETURN (SELECT o.name FROM tb_org o WHERE o.pk_org = p_org);

--
-- The seed.  Deterministic uuids: md5 of a label.
--
CREATE FUNCTION corpus_uuid(label text) RETURNS uuid
    LANGUAGE sql IMMUTABLE STRICT RETURN md5(label)::uuid;

CREATE FUNCTION corpus_seed() RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
    TRUNCATE tb_event, tb_order_line, tb_order, tb_product, tb_price_band,
             tb_flag, tb_like, tb_post_tag, tb_tag, tb_comment, tb_post,
             tb_category, tb_user_profile, tb_user, tb_org;

    INSERT INTO tb_org VALUES
        (1, corpus_uuid('org-1'), 'acme',    'Acme',    'FR'),
        (2, corpus_uuid('org-2'), 'globex',  'Globex',  NULL),
        (3, corpus_uuid('org-3'), 'initech', 'Initech', 'US');

    INSERT INTO tb_user (pk_user, id, fk_org, fk_manager, email, handle, name, bio, avatar, is_admin, balance) VALUES
        (1, corpus_uuid('user-1'), 1, NULL, 'alice@acme.test', 'alice', 'Alice', 'Writes about databases', '\x0102', true,  10),
        (2, corpus_uuid('user-2'), 1, 1,    'bob@acme.test',   'bob',   'Bob',   NULL,                     NULL,    false, 10.0),
        (3, corpus_uuid('user-3'), 2, NULL, 'carol@globex.test','carol','Carol', 'Editor',                 '\xff',  false, 3.125),
        (4, corpus_uuid('user-4'), NULL, 3, 'dave@none.test',  'dave',  'Dave',  NULL,                     NULL,    false, NULL),
        (5, corpus_uuid('user-5'), 3, NULL, 'erin@initech.test','erin', 'Erin',  'No posts, many comments', NULL,   false, 0);

    INSERT INTO tb_user_profile VALUES
        (1, 'https://alice.test', 'Lyon'), (3, NULL, 'Berlin'), (5, 'https://erin.test', NULL);

    INSERT INTO tb_category VALUES
        (1, corpus_uuid('cat-1'), NULL, 'Tech',      '{}'),
        (2, corpus_uuid('cat-2'), 1,    'Databases', '{1}'),
        (3, corpus_uuid('cat-3'), 2,    'Postgres',  '{1,2}'),
        (4, corpus_uuid('cat-4'), NULL, 'Life',      '{}');

    INSERT INTO tb_post (pk_post, id, fk_user, fk_editor, fk_category, title, body, status, score,
                         price, read_time, published_at, tag_ids, author_id, internal_note) VALUES
        (1, corpus_uuid('post-1'), 1, 3,    3,    'Hello Postgres',   'First post',  'published', 10, NULL,  '5 minutes',  '2024-03-01 10:00+00', '{1,2}', corpus_uuid('user-1'), NULL),
        (2, corpus_uuid('post-2'), 1, NULL, 2,    'Indexes 101',      'B-trees',     'published', 25, 4.50,  '24 hours',   '2024-04-01 09:30+00', '{2}',   corpus_uuid('user-1'), NULL),
        (3, corpus_uuid('post-3'), 2, 1,    NULL, 'Draft thoughts',   NULL,          'draft',      3, NULL,  NULL,         NULL,                  NULL,    NULL,                  'todo'),
        (4, corpus_uuid('post-4'), 3, NULL, 4,    'Gardening',        'Tomatoes',    'published', 25, 10,    '1 hour',     '2025-01-15 08:00+00', '{}',    corpus_uuid('user-3'), NULL),
        (5, corpus_uuid('post-5'), 3, 3,    3,    'Vacuum explained', 'Dead tuples', 'published',  7, 2.5,   '90 minutes', '2025-02-01 12:00+00', '{1,3}', corpus_uuid('user-3'), NULL);

    INSERT INTO tb_comment VALUES
        (1, corpus_uuid('comment-1'), 1, 2,    'Nice',         4.5, '2024-03-02 10:00+00'),
        (2, corpus_uuid('comment-2'), 1, 5,    'Thanks',       NULL,'2024-03-03 10:00+00'),
        (3, corpus_uuid('comment-3'), 1, NULL, 'Anonymous hi', 3.0, '2024-03-04 10:00+00'),
        (4, corpus_uuid('comment-4'), 2, 5,    'Great',        5.0, '2024-04-02 10:00+00'),
        (5, corpus_uuid('comment-5'), 4, 1,    'Yum',          2.5, '2025-01-16 10:00+00'),
        (6, corpus_uuid('comment-6'), 5, 5,    'Finally',      4.0, '2025-02-02 10:00+00'),
        (7, corpus_uuid('comment-7'), 5, 2,    'More please',  NULL,'2025-02-03 10:00+00');

    INSERT INTO tb_tag VALUES
        (1, corpus_uuid('tag-1'), 'sql',     'SQL'),
        (2, corpus_uuid('tag-2'), 'perf',    'Performance'),
        (3, corpus_uuid('tag-3'), 'ops',     'Operations'),
        (4, corpus_uuid('tag-4'), 'garden',  'Garden');

    INSERT INTO tb_post_tag VALUES
        (1, 1, 1), (1, 2, 0.5), (2, 2, 1.0), (5, 1, 2), (5, 3, 1.25), (4, 4, 1);

    INSERT INTO tb_like VALUES
        (1, 1, 2), (2, 1, 3), (3, 2, 2), (4, 4, 1), (5, 5, 1), (6, 5, 2), (7, 5, 4);

    INSERT INTO tb_flag VALUES
        (1, 3, 'spam'), (2, 4, 'off-topic');

    INSERT INTO tb_product VALUES
        (1, corpus_uuid('product-1'), 'BK-1', 'Postgres book', 39.90, 0.8),
        (2, corpus_uuid('product-2'), 'MG-1', 'Mug',            9.00, 0.35),
        (3, corpus_uuid('product-3'), 'ST-1', 'Sticker',        0.50, 0),
        (4, corpus_uuid('product-4'), 'TS-1', 'T-shirt',       19.00, NULL);

    INSERT INTO tb_order VALUES
        (1, corpus_uuid('order-1'), 1, 'paid',    '2024-05-01'),
        (2, corpus_uuid('order-2'), 2, 'paid',    '2024-05-02'),
        (3, corpus_uuid('order-3'), 2, 'pending', '2024-06-01'),
        (4, corpus_uuid('order-4'), 4, 'paid',    '2025-01-03');

    INSERT INTO tb_order_line VALUES
        (1, 1, 1, 1, 39.90),
        (2, 1, 2, 2, 9),
        (3, 2, 3, 10, 0.5),
        (4, 2, 2, 1, 9.00),
        (5, 3, 4, 1, 19),
        (6, 4, 1, 2, 35.5),
        (7, 4, 3, 4, 0.50);

    INSERT INTO tb_price_band VALUES
        (1, 0, 5, 'cheap'), (2, 5, 20, 'regular'), (3, 20, 1000, 'premium');

    INSERT INTO tb_event VALUES
        (1, 1, 'login',    NULL,  '2024-02-01 08:00+00'),
        (2, 1, 'purchase', 49.9,  '2024-05-01 12:00+00'),
        (3, 2, 'purchase', 18.00, '2024-05-02 12:00+00'),
        (4, 2, 'login',    NULL,  '2025-01-02 08:00+00'),
        (5, 4, 'purchase', 71,    '2025-01-03 12:00+00');

    REFRESH MATERIALIZED VIEW mv_post_stats;
END
$fn$;

SELECT corpus_seed();
