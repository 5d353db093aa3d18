--
-- test/corpus/shapes.sql: one entry per definition shape.
--
-- The shapes are the ones other incremental-view projects test or document
-- (pg_ivm: sraoss/pg_ivm sql/ and README; pg_tviews: fraiseql/pg_tviews docs
-- and ADRs; pg_trickle: trickle-labs/pg-trickle docs/DVM_OPERATORS.md and
-- DVM_SUPPORT_MATRIX.md), written again over this corpus's own schema
-- (schema.sql) in the FraiseQL style.  Nothing is copied from them; the peer
-- named is the project whose tests or documentation show the shape.
--
-- Entry format (run.sh relies on it): comment lines, then
--   SELECT corpus_try('<name>', '<shape>', '<peer>', $$
--       <definition>
--   $$, '<options>');
-- with the last line exactly "$$, '<options>');".
--
-- Every aggregate that builds an array or a string orders by a unique
-- expression, so a fresh run and the maintained rows can be compared
-- byte for byte.
--

-- Support models: the FraiseQL tv_ layer some shapes read.
SELECT corpus_support('tv_user', $$
    SELECT u.pk_user, u.id, u.fk_org,
           jsonb_build_object('id', u.id, 'name', u.name,
                              'org', jsonb_build_object('id', o.id, 'name', o.name)) AS data
    FROM tb_user u LEFT JOIN tb_org o ON o.pk_org = u.fk_org
$$, '{}');

SELECT corpus_support('tv_post', $$
    SELECT p.pk_post, p.id, p.fk_user,
           jsonb_build_object('id', p.id, 'title', p.title, 'author', a.data) AS data
    FROM tb_post p JOIN tv_user a ON a.pk_user = p.fk_user
$$, '{}');

SELECT corpus_support('tv_comment', $$
    SELECT c.pk_comment, c.id, c.fk_post, c.fk_user,
           jsonb_build_object('id', c.id, 'body', c.body, 'at', c.created_at) AS data
    FROM tb_comment c
$$, '{}');

------------------------------------------------------------------------
-- A. Projections, filters and N:1 joins
------------------------------------------------------------------------

-- 01. One table, a jsonb document of its own columns.
-- peer: pg_tviews (basic TVIEW, docs/getting-started/fraiseql-integration.md)
SELECT corpus_try('tv_shape_01', 'single table, jsonb document', 'pg_tviews: basic TVIEW', $$
    SELECT p.pk_post, p.id,
           jsonb_build_object('id', p.id, 'title', p.title, 'status', p.status,
                              'score', p.score, 'publishedAt', p.published_at) AS data
    FROM tb_post p
$$, '{}');

-- 02. A filter on a root column.
-- peer: pg_trickle (Filter operator); pg_ivm (WHERE on the base table)
SELECT corpus_try('tv_shape_02', 'WHERE on a root column', 'pg_trickle: filter', $$
    SELECT p.pk_post, p.id, jsonb_build_object('id', p.id, 'title', p.title) AS data
    FROM tb_post p
    WHERE p.status = 'published' AND p.score >= 10
$$, '{}');

-- 03. Inner N:1 join to the author, copied into a nested object.
-- peer: pg_ivm (inner join); pg_tviews (full trinity TVIEW)
SELECT corpus_try('tv_shape_03', 'inner N:1 join, nested author object', 'pg_ivm: inner join; pg_tviews: trinity TVIEW', $$
    SELECT p.pk_post, p.id, p.fk_user,
           jsonb_build_object('id', p.id, 'title', p.title,
                              'author', jsonb_build_object('id', u.id, 'name', u.name)) AS data
    FROM tb_post p JOIN tb_user u ON u.pk_user = p.fk_user
$$, '{}');

-- 04. Two N:1 hops: post -> user -> org.
-- peer: pg_tviews (multi-hop cascade, test/sql/101-multihop-cascade.sql)
SELECT corpus_try('tv_shape_04', 'two N:1 hops (post -> user -> org)', 'pg_tviews: multi-hop cascade', $$
    SELECT p.pk_post, p.id, p.fk_user,
           jsonb_build_object('title', p.title,
                              'author', jsonb_build_object('name', u.name,
                                        'org', jsonb_build_object('name', o.name, 'country', o.country))) AS data
    FROM tb_post p
    JOIN tb_user u ON u.pk_user = p.fk_user
    LEFT JOIN tb_org o ON o.pk_org = u.fk_org
$$, '{}');

-- 05. LEFT JOIN to a nullable N:1 (the editor), copied values.
-- peer: pg_ivm (outer join, sql/outer_join.sql); pg_tviews (nullable fk cascade)
SELECT corpus_try('tv_shape_05', 'LEFT JOIN nullable N:1, copied values', 'pg_ivm: left outer join; pg_tviews: nullable fk', $$
    SELECT p.pk_post, p.id, p.fk_editor,
           jsonb_build_object('title', p.title,
                              'editor', jsonb_build_object('id', e.id, 'name', e.name)) AS data
    FROM tb_post p LEFT JOIN tb_user e ON e.pk_user = p.fk_editor
$$, '{}');

-- 06. Self join N:1 (user -> manager).
-- peer: pg_ivm (self join)
SELECT corpus_try('tv_shape_06', 'self join N:1 (manager)', 'pg_ivm: self join', $$
    SELECT u.pk_user, u.id, u.fk_manager,
           jsonb_build_object('name', u.name, 'manager', m.name) AS data
    FROM tb_user u LEFT JOIN tb_user m ON m.pk_user = u.fk_manager
$$, '{}');

-- 07. JOIN ... USING on a shared key column (1:1 extension table).
-- peer: pg_ivm (INNER JOIN ... USING(i))
SELECT corpus_try('tv_shape_07', 'LEFT JOIN USING a shared key (1:1 table)', 'pg_ivm: join USING', $$
    SELECT pk_user, u.id, jsonb_build_object('name', u.name, 'website', pr.website, 'location', pr.location) AS data
    FROM tb_user u LEFT JOIN tb_user_profile pr USING (pk_user)
$$, '{}');

-- 08. Comma join with the equality in WHERE.
-- peer: pg_ivm (FROM a, b WHERE a.i = b.i)
SELECT corpus_try('tv_shape_08', 'comma join, equality in WHERE', 'pg_ivm: FROM a, b WHERE', $$
    SELECT c.pk_comment, c.id, p.title AS post_title, c.body
    FROM tb_comment c, tb_post p
    WHERE p.pk_post = c.fk_post
$$, '{}');

-- 09. Join on a composite unique key (did the commenter like the post?).
-- peer: pg_ivm (joins on several columns); pg_trickle (multi-column equi-join)
SELECT corpus_try('tv_shape_09', 'LEFT JOIN on a composite unique key', 'pg_ivm: multi-column join', $$
    SELECT c.pk_comment, c.id,
           jsonb_build_object('body', c.body, 'authorLikedPost', l.pk_like IS NOT NULL) AS data
    FROM tb_comment c
    LEFT JOIN tb_like l ON l.fk_post = c.fk_post AND l.fk_user = c.fk_user
$$, '{}');

-- 10. Join to a parent by a unique column that is not its primary key.
-- peer: pg_tviews (identifier / uuid columns of the trinity pattern)
SELECT corpus_try('tv_shape_10', 'N:1 join on a unique non-key column', 'pg_tviews: trinity identifier', $$
    SELECT p.pk_post, p.id, p.author_id,
           jsonb_build_object('title', p.title, 'author', jsonb_build_object('id', u.id, 'name', u.name)) AS data
    FROM tb_post p LEFT JOIN tb_user u ON u.id = p.author_id
$$, '{}');

-- 11. Computed fields: immutable expressions and an IMMUTABLE user function.
-- peer: pg_tviews (computed fields); pg_trickle (IMMUTABLE functions)
SELECT corpus_try('tv_shape_11', 'computed fields, IMMUTABLE user function', 'pg_tviews: computed fields', $$
    SELECT p.pk_post, p.id,
           jsonb_build_object('slug', slugify(p.title),
                              'words', array_length(string_to_array(COALESCE(p.body, ''), ' '), 1),
                              'hot', CASE WHEN p.score > 20 THEN 'hot' ELSE 'normal' END,
                              'priceCents', (p.price * 100)::bigint) AS data
    FROM tb_post p
$$, '{}');

-- 12. ORDER BY at the top level.
-- peer: pg_ivm (refuses ORDER BY in a definition)
SELECT corpus_try('tv_shape_12', 'ORDER BY at the top level', 'pg_ivm: ORDER BY (refused there)', $$
    SELECT p.pk_post, p.id, p.title FROM tb_post p ORDER BY p.score DESC, p.pk_post
$$, '{}');

-- 13. NULL handling in documents: NULL members, jsonb_strip_nulls, flags.
-- peer: pg_tviews (test/sql/80_edge_cases.sql, NULL values in JSONB)
SELECT corpus_try('tv_shape_13', 'NULLs in documents, jsonb_strip_nulls', 'pg_tviews: NULL edge cases', $$
    SELECT u.pk_user, u.id,
           jsonb_build_object('bio', u.bio, 'hasBio', u.bio IS NOT NULL) AS data,
           jsonb_strip_nulls(jsonb_build_object('bio', u.bio, 'org', u.fk_org)) AS compact
    FROM tb_user u
$$, '{}');

-- 14. The public uuid as the key.
-- peer: pg_tviews (trinity id, ADR 0169 row identity)
SELECT corpus_try('tv_shape_14', 'uuid key named with the key option', 'pg_tviews: row identity', $$
    SELECT p.id, p.pk_post, jsonb_build_object('title', p.title, 'author', u.name) AS data
    FROM tb_post p JOIN tb_user u ON u.pk_user = p.fk_user
$$, '{"key": "id"}');

-- 15. Statement mode: the same join maintained after each statement.
-- peer: pg_ivm (immediate maintenance in AFTER triggers)
SELECT corpus_try('tv_shape_15', 'N:1 join, statement mode', 'pg_ivm: immediate maintenance', $$
    SELECT p.pk_post, p.id, p.fk_user,
           jsonb_build_object('title', p.title, 'author', u.name, 'org', o.name) AS data
    FROM tb_post p JOIN tb_user u ON u.pk_user = p.fk_user LEFT JOIN tb_org o ON o.pk_org = u.fk_org
$$, '{"mode": "statement"}');

-- 16. Plain filter columns next to the document: numeric, interval,
--     case-insensitive text (FraiseQL keeps fk_/filter columns on tv_).
-- peer: pg_tviews (filter columns on tv_); pg_ivm (README: use numeric)
SELECT corpus_try('tv_shape_16', 'plain numeric / interval columns next to the document', 'pg_tviews: filter columns; pg_ivm: numeric', $$
    SELECT p.pk_post, p.id, p.price, p.read_time,
           jsonb_build_object('title', p.title) AS data
    FROM tb_post p
$$, '{}');

-- 17. A case-insensitive handle as a plain column next to the document.
-- peer: pg_tviews (identifier columns)
SELECT corpus_try('tv_shape_17', 'plain text column with a nondeterministic collation', 'pg_tviews: identifier columns', $$
    SELECT u.pk_user, u.id, u.handle, jsonb_build_object('name', u.name) AS data
    FROM tb_user u
$$, '{}');

-- 18. A numeric copied into the document (the patch path).
-- peer: pg_tviews (smart JSONB patching of copied values)
SELECT corpus_try('tv_shape_18', 'numeric value copied into the document', 'pg_tviews: smart patch', $$
    SELECT u.pk_user, u.id,
           jsonb_build_object('name', u.name, 'balance', u.balance) AS data
    FROM tb_user u
$$, '{}');

-- 19. A system column as a version number (optimistic concurrency token).
-- peer: pg_ivm (refuses system columns in the target list)
SELECT corpus_try('tv_shape_19', 'system column xmin as a version', 'pg_ivm: system columns (refused there)', $$
    SELECT p.pk_post, p.id, p.xmin::text AS version,
           jsonb_build_object('title', p.title) AS data
    FROM tb_post p
$$, '{}');

------------------------------------------------------------------------
-- B. Children in correlated subqueries
------------------------------------------------------------------------

-- 20. jsonb_agg of the children, ordered.
-- peer: pg_tviews (array relationships); FraiseQL nested lists
SELECT corpus_try('tv_shape_20', 'jsonb_agg of children in a correlated subquery', 'pg_tviews: array relationships', $$
    SELECT p.pk_post, p.id,
           jsonb_build_object('title', p.title,
               'comments', COALESCE((SELECT jsonb_agg(jsonb_build_object('id', c.id, 'body', c.body)
                                                      ORDER BY c.created_at, c.pk_comment)
                                     FROM tb_comment c WHERE c.fk_post = p.pk_post), '[]')) AS data
    FROM tb_post p
$$, '{}');

-- 21. Children with their own N:1 parent (comment author).
-- peer: pg_tviews (nested object inside an array)
SELECT corpus_try('tv_shape_21', 'children with their N:1 parent inside', 'pg_tviews: nested arrays', $$
    SELECT p.pk_post, p.id,
           (SELECT jsonb_agg(jsonb_build_object('body', c.body, 'author', u.name)
                             ORDER BY c.pk_comment)
            FROM tb_comment c LEFT JOIN tb_user u ON u.pk_user = c.fk_user
            WHERE c.fk_post = p.pk_post) AS comments
    FROM tb_post p
$$, '{}');

-- 22. Many-to-many through a join table with a composite primary key.
-- peer: pg_tviews (array relationships through tb_post_tag)
SELECT corpus_try('tv_shape_22', 'many-to-many through a composite-key join table', 'pg_tviews: M:N array', $$
    SELECT p.pk_post, p.id,
           (SELECT jsonb_agg(jsonb_build_object('slug', t.slug, 'name', t.name, 'weight', pt.weight)
                             ORDER BY t.slug)
            FROM tb_post_tag pt JOIN tb_tag t ON t.pk_tag = pt.fk_tag
            WHERE pt.fk_post = p.pk_post) AS tags
    FROM tb_post p
$$, '{}');

-- 23. Counts of children as scalar subqueries.
-- peer: pg_tviews (#157 scalar subquery in the select list)
SELECT corpus_try('tv_shape_23', 'count(*) scalar subqueries', 'pg_tviews: scalar subquery (#157)', $$
    SELECT p.pk_post, p.id,
           (SELECT count(*) FROM tb_comment c WHERE c.fk_post = p.pk_post) AS comments,
           (SELECT count(*) FROM tb_like l WHERE l.fk_post = p.pk_post) AS likes
    FROM tb_post p
$$, '{}');

-- 24. Two levels: user -> posts -> comment counts.
-- peer: pg_tviews (multi-level documents)
SELECT corpus_try('tv_shape_24', 'two nested levels of correlated subqueries', 'pg_tviews: multi-level', $$
    SELECT u.pk_user, u.id,
           (SELECT jsonb_agg(jsonb_build_object('title', p.title,
                              'comments', (SELECT count(*) FROM tb_comment c WHERE c.fk_post = p.pk_post))
                             ORDER BY p.pk_post)
            FROM tb_post p WHERE p.fk_user = u.pk_user) AS posts
    FROM tb_user u
$$, '{}');

-- 25. EXISTS as a flag on a self-referencing table.
-- peer: pg_tviews (test/sql/80_edge_cases.sql, hasChildren)
SELECT corpus_try('tv_shape_25', 'EXISTS flag on a self-referencing table', 'pg_tviews: self-referential', $$
    SELECT c.pk_category, c.id,
           jsonb_build_object('name', c.name,
                              'hasChildren', EXISTS (SELECT 1 FROM tb_category k WHERE k.fk_parent = c.pk_category)) AS data
    FROM tb_category c
$$, '{}');

-- 26. WHERE EXISTS (semi-join).
-- peer: pg_ivm (EXISTS subquery); pg_trickle (semi-join)
SELECT corpus_try('tv_shape_26', 'WHERE EXISTS semi-join', 'pg_ivm: EXISTS subquery', $$
    SELECT p.pk_post, p.id, p.title
    FROM tb_post p
    WHERE EXISTS (SELECT 1 FROM tb_comment c WHERE c.fk_post = p.pk_post)
$$, '{}');

-- 27. WHERE NOT EXISTS (anti-join).
-- peer: pg_trickle (anti-join)
SELECT corpus_try('tv_shape_27', 'WHERE NOT EXISTS anti-join', 'pg_trickle: anti-join', $$
    SELECT u.pk_user, u.id, u.name
    FROM tb_user u
    WHERE NOT EXISTS (SELECT 1 FROM tb_post p WHERE p.fk_user = u.pk_user)
$$, '{}');

-- 28. EXISTS combined with OR.
-- peer: pg_ivm (refuses EXISTS under OR); pg_trickle
SELECT corpus_try('tv_shape_28', 'EXISTS under OR', 'pg_ivm: EXISTS ... OR (refused there)', $$
    SELECT p.pk_post, p.id, p.title
    FROM tb_post p
    WHERE p.score > 20 OR EXISTS (SELECT 1 FROM tb_like l WHERE l.fk_post = p.pk_post AND l.fk_user = 1)
$$, '{}');

-- 29. Nested EXISTS, two levels deep.
-- peer: pg_ivm (refuses nested EXISTS)
SELECT corpus_try('tv_shape_29', 'nested EXISTS', 'pg_ivm: nested EXISTS (refused there)', $$
    SELECT p.pk_post, p.id, p.title
    FROM tb_post p
    WHERE EXISTS (SELECT 1 FROM tb_comment c
                  WHERE c.fk_post = p.pk_post
                    AND EXISTS (SELECT 1 FROM tb_user u WHERE u.pk_user = c.fk_user AND u.is_admin))
$$, '{}');

-- 30. IN (SELECT ...) in WHERE.
-- peer: pg_trickle (IN semi-join); pg_ivm (refuses IN subquery)
SELECT corpus_try('tv_shape_30', 'WHERE x IN (SELECT ...)', 'pg_trickle: IN semi-join', $$
    SELECT p.pk_post, p.id, p.title
    FROM tb_post p
    WHERE p.pk_post IN (SELECT l.fk_post FROM tb_like l WHERE l.fk_user = 2)
$$, '{}');

-- 31. NOT IN over a nullable column.
-- peer: pg_trickle (NOT IN anti-join)
SELECT corpus_try('tv_shape_31', 'WHERE x NOT IN (SELECT nullable column)', 'pg_trickle: NOT IN anti-join', $$
    SELECT p.pk_post, p.id, p.title
    FROM tb_post p
    WHERE p.pk_post NOT IN (SELECT f.fk_post FROM tb_flag f)
$$, '{}');

-- 32. IN (SELECT ...) as a value in the select list.
-- peer: pg_trickle (semi-join / scalar subquery)
SELECT corpus_try('tv_shape_32', 'x IN (SELECT nullable column) as a select-list value', 'pg_trickle: semi-join', $$
    SELECT p.pk_post, p.id, p.pk_post IN (SELECT f.fk_post FROM tb_flag f) AS flagged
    FROM tb_post p
$$, '{}');

-- 33. The latest child: ORDER BY ... LIMIT 1 in a correlated scalar subquery.
-- peer: pg_trickle (TopK, LATERAL ... LIMIT 1)
SELECT corpus_try('tv_shape_33', 'latest child via ORDER BY LIMIT 1 scalar subquery', 'pg_trickle: TopK lateral', $$
    SELECT p.pk_post, p.id,
           (SELECT c.body FROM tb_comment c WHERE c.fk_post = p.pk_post
            ORDER BY c.created_at DESC, c.pk_comment DESC LIMIT 1) AS last_comment
    FROM tb_post p
$$, '{}');

-- 34. Comparison with an aggregate over the row's group (above the author's average).
-- peer: pg_trickle (correlated aggregate subquery, TPC-H q20-like)
SELECT corpus_try('tv_shape_34', 'compare with a correlated aggregate of the same table', 'pg_trickle: correlated aggregate subquery', $$
    SELECT p.pk_post, p.id,
           p.score > (SELECT avg(p2.score) FROM tb_post p2 WHERE p2.fk_user = p.fk_user) AS above_author_average
    FROM tb_post p
$$, '{}');

-- 35. An uncorrelated scalar subquery (share of all likes).
-- peer: pg_trickle (non-correlated scalar subquery)
SELECT corpus_try('tv_shape_35', 'uncorrelated scalar subquery', 'pg_trickle: non-correlated scalar subquery', $$
    SELECT p.pk_post, p.id,
           (SELECT count(*) FROM tb_like l WHERE l.fk_post = p.pk_post)::numeric
             / NULLIF((SELECT count(*) FROM tb_like), 0) AS like_share
    FROM tb_post p
$$, '{}');

-- 36. Lookup through an array column: = ANY(p.tag_ids).
-- peer: pg_tviews (#182 array membership)
SELECT corpus_try('tv_shape_36', 'lookup by = ANY(array column)', 'pg_tviews: array membership (#182)', $$
    SELECT p.pk_post, p.id,
           (SELECT jsonb_agg(t.slug ORDER BY t.slug) FROM tb_tag t WHERE t.pk_tag = ANY (p.tag_ids)) AS tags
    FROM tb_post p
$$, '{}');

-- 37. Ancestors through a path array.
-- peer: pg_tviews (#182 hierarchy stored as a path of ids)
SELECT corpus_try('tv_shape_37', 'ancestors through a path array', 'pg_tviews: path hierarchy (#182)', $$
    SELECT c.pk_category, c.id,
           (SELECT jsonb_agg(a.name ORDER BY array_position(c.ancestors, a.pk_category))
            FROM tb_category a WHERE a.pk_category = ANY (c.ancestors)) AS breadcrumb
    FROM tb_category c
$$, '{}');

-- 38. LATERAL unnest of an array, grouped back by the key.
-- peer: pg_tviews (#182 LATERAL unnest); pg_trickle (LATERAL SRF)
SELECT corpus_try('tv_shape_38', 'LATERAL unnest grouped by the key', 'pg_tviews: LATERAL unnest (#182)', $$
    SELECT p.pk_post, p.id, count(t.tag) AS tag_count, array_agg(t.tag ORDER BY t.tag) AS tag_list
    FROM tb_post p LEFT JOIN LATERAL unnest(p.tag_ids) AS t(tag) ON true
    GROUP BY p.pk_post
$$, '{}');

-- 39. DISTINCT ON in a subquery, aligned with the correlation (each user's latest post).
-- peer: pg_tviews (ADR 0169, DISTINCT ON identity)
SELECT corpus_try('tv_shape_39', 'DISTINCT ON subquery aligned with the correlation', 'pg_tviews: DISTINCT ON', $$
    SELECT u.pk_user, u.id,
           (SELECT x.title FROM (SELECT DISTINCT ON (p.fk_user) p.fk_user, p.title
                                 FROM tb_post p ORDER BY p.fk_user, p.published_at DESC NULLS LAST, p.pk_post DESC) x
            WHERE x.fk_user = u.pk_user) AS latest_title
    FROM tb_user u
$$, '{}');

-- 40. DISTINCT ON in a subquery, joined by a non-key column (is this post its author's latest?).
-- peer: pg_tviews (#194 inbound columns of a DISTINCT ON level)
SELECT corpus_try('tv_shape_40', 'DISTINCT ON subquery joined by a non-key column', 'pg_tviews: DISTINCT ON inbound column (#194)', $$
    SELECT p.pk_post, p.id,
           EXISTS (SELECT 1 FROM (SELECT DISTINCT ON (q.fk_user) q.pk_post
                                  FROM tb_post q ORDER BY q.fk_user, q.score DESC, q.pk_post) best
                   WHERE best.pk_post = p.pk_post) AS authors_best
    FROM tb_post p
$$, '{}');

-- 41. A window function in a subquery, partitioned by another column (rank among the author's posts).
-- peer: pg_tviews (#187 window partitions); pg_trickle (partition recompute)
SELECT corpus_try('tv_shape_41', 'window rank in a subquery, PARTITION BY another column', 'pg_tviews: window partitions (#187)', $$
    SELECT p.pk_post, p.id,
           (SELECT r.rnk FROM (SELECT q.pk_post, rank() OVER (PARTITION BY q.fk_user ORDER BY q.score DESC) AS rnk
                               FROM tb_post q) r
            WHERE r.pk_post = p.pk_post) AS rank_for_author
    FROM tb_post p
$$, '{}');

-- 42. row_number() position of a comment within its post.
-- peer: pg_trickle (ROW_NUMBER partition-scoped recompute)
SELECT corpus_try('tv_shape_42', 'row_number position within the parent', 'pg_trickle: ROW_NUMBER', $$
    SELECT c.pk_comment, c.id,
           (SELECT n.pos FROM (SELECT k.pk_comment,
                                      row_number() OVER (PARTITION BY k.fk_post ORDER BY k.created_at, k.pk_comment) AS pos
                               FROM tb_comment k) n
            WHERE n.pk_comment = c.pk_comment) AS position
    FROM tb_comment c
$$, '{}');

-- 43. Membership in a top-N list: IN (SELECT ... ORDER BY ... LIMIT 3).
-- peer: pg_trickle (TopK ORDER BY ... LIMIT)
SELECT corpus_try('tv_shape_43', 'membership in a top-N LIMIT subquery', 'pg_trickle: TopK', $$
    SELECT p.pk_post, p.id,
           p.pk_post IN (SELECT q.pk_post FROM tb_post q ORDER BY q.score DESC, q.pk_post LIMIT 3) AS trending
    FROM tb_post p
$$, '{}');

-- 44. All tags, each with a flag, through a LEFT JOIN whose ON holds the correlation.
-- peer: pg_ivm (outer joins, sql/outer_join.sql); pg_trickle (LEFT JOIN)
SELECT corpus_try('tv_shape_44', 'LEFT JOIN in a subquery, correlation in its ON', 'pg_ivm: outer join; pg_trickle: left join', $$
    SELECT p.pk_post, p.id,
           (SELECT jsonb_agg(jsonb_build_object('tag', t.slug, 'checked', pt.fk_post IS NOT NULL) ORDER BY t.slug)
            FROM tb_tag t LEFT JOIN tb_post_tag pt ON pt.fk_tag = t.pk_tag AND pt.fk_post = p.pk_post) AS tag_choices
    FROM tb_post p
$$, '{}');

-- 45. UNION ALL of two child kinds inside a correlated subquery.
-- peer: pg_tviews (UNION scopes, ADR 0157 amendment #188); pg_trickle (UNION ALL)
SELECT corpus_try('tv_shape_45', 'UNION ALL inside a correlated subquery', 'pg_tviews: UNION scopes (#188)', $$
    SELECT p.pk_post, p.id,
           (SELECT count(*) FROM (SELECT c.fk_post FROM tb_comment c
                                  UNION ALL SELECT l.fk_post FROM tb_like l) a
            WHERE a.fk_post = p.pk_post) AS activity
    FROM tb_post p
$$, '{}');

-- 46. IN over a grouped subquery with HAVING (authors with two posts or more).
-- peer: pg_trickle (HAVING); pg_ivm (refuses HAVING)
SELECT corpus_try('tv_shape_46', 'IN over GROUP BY ... HAVING subquery', 'pg_trickle: HAVING', $$
    SELECT p.pk_post, p.id, p.title
    FROM tb_post p
    WHERE p.fk_user IN (SELECT q.fk_user FROM tb_post q GROUP BY q.fk_user HAVING count(*) >= 2)
$$, '{}');

-- 47. Correlated subquery reading a tb_ table by a non-equality (price band).
-- peer: pg_tviews (non-equality correlations, ADR 0157 "Mapped")
SELECT corpus_try('tv_shape_47', 'correlated subquery with a range condition', 'pg_tviews: non-equality correlation', $$
    SELECT p.pk_post, p.id,
           (SELECT b.label FROM tb_price_band b WHERE p.price >= b.lo AND p.price < b.hi) AS band
    FROM tb_post p
$$, '{}');

------------------------------------------------------------------------
-- C. GROUP BY at the top level
------------------------------------------------------------------------

-- 48. count / sum / avg / min / max over LEFT JOINed children.
-- peer: pg_ivm (count, sum, avg, min, max)
SELECT corpus_try('tv_shape_48', 'GROUP BY key: count, sum, avg, min, max', 'pg_ivm: aggregates', $$
    SELECT o.pk_order, o.id,
           count(l.pk_order_line) AS lines,
           sum(l.quantity) AS items,
           sum(l.quantity * l.unit_price) AS total,
           avg(l.unit_price) AS avg_price,
           min(l.unit_price) AS cheapest,
           max(l.unit_price) AS dearest
    FROM tb_order o LEFT JOIN tb_order_line l ON l.fk_order = o.pk_order
    GROUP BY o.pk_order
$$, '{}');

-- 49. count(*) FILTER (WHERE ...).
-- peer: pg_trickle (FILTER); pg_ivm (refuses FILTER)
SELECT corpus_try('tv_shape_49', 'aggregate FILTER', 'pg_trickle: FILTER', $$
    SELECT u.pk_user, u.id,
           count(p.pk_post) FILTER (WHERE p.status = 'published') AS published,
           count(p.pk_post) FILTER (WHERE p.status = 'draft') AS drafts
    FROM tb_user u LEFT JOIN tb_post p ON p.fk_user = u.pk_user
    GROUP BY u.pk_user
$$, '{}');

-- 50. count(DISTINCT) and sum(DISTINCT).
-- peer: pg_trickle (COUNT(DISTINCT), SUM(DISTINCT)); pg_ivm (refuses)
SELECT corpus_try('tv_shape_50', 'count(DISTINCT), sum(DISTINCT)', 'pg_trickle: DISTINCT aggregates', $$
    SELECT u.pk_user, u.id,
           count(DISTINCT l.fk_product) AS distinct_products,
           sum(DISTINCT l.unit_price) AS distinct_prices
    FROM tb_user u
    LEFT JOIN tb_order o ON o.fk_user = u.pk_user
    LEFT JOIN tb_order_line l ON l.fk_order = o.pk_order
    GROUP BY u.pk_user
$$, '{}');

-- 51. string_agg and array_agg with ORDER BY.
-- peer: pg_trickle (STRING_AGG, ARRAY_AGG group rescan); pg_ivm (refuses)
SELECT corpus_try('tv_shape_51', 'string_agg / array_agg ORDER BY', 'pg_trickle: STRING_AGG, ARRAY_AGG', $$
    SELECT p.pk_post, p.id,
           string_agg(t.name, ', ' ORDER BY t.name) AS tag_names,
           array_agg(t.pk_tag ORDER BY t.pk_tag) FILTER (WHERE t.pk_tag IS NOT NULL) AS tag_keys
    FROM tb_post p
    LEFT JOIN tb_post_tag pt ON pt.fk_post = p.pk_post
    LEFT JOIN tb_tag t ON t.pk_tag = pt.fk_tag
    GROUP BY p.pk_post
$$, '{}');

-- 52. bool_and / bool_or / every.
-- peer: pg_trickle (BOOL_AND, BOOL_OR, EVERY)
SELECT corpus_try('tv_shape_52', 'bool_and / bool_or', 'pg_trickle: BOOL_AND, BOOL_OR', $$
    SELECT o.pk_order, o.id,
           bool_and(l.quantity > 1) AS all_multi,
           bool_or(l.unit_price >= 20) AS any_expensive
    FROM tb_order o LEFT JOIN tb_order_line l ON l.fk_order = o.pk_order
    GROUP BY o.pk_order
$$, '{}');

-- 53. HAVING on a model grouped by its key.
-- peer: pg_trickle (HAVING); pg_ivm (refuses HAVING)
SELECT corpus_try('tv_shape_53', 'GROUP BY key HAVING', 'pg_trickle: HAVING', $$
    SELECT p.pk_post, p.id, count(c.pk_comment) AS comments
    FROM tb_post p JOIN tb_comment c ON c.fk_post = p.pk_post
    GROUP BY p.pk_post
    HAVING count(c.pk_comment) >= 2
$$, '{}');

-- 54. GROUP BY the key and a column of an N:1 parent.
-- peer: pg_ivm (GROUP BY several columns)
SELECT corpus_try('tv_shape_54', 'GROUP BY key and a parent column', 'pg_ivm: GROUP BY several columns', $$
    SELECT p.pk_post, u.name AS author, count(l.pk_like) AS likes
    FROM tb_post p JOIN tb_user u ON u.pk_user = p.fk_user
    LEFT JOIN tb_like l ON l.fk_post = p.pk_post
    GROUP BY p.pk_post, u.name
$$, '{}');

-- 55. Expressions over aggregates.
-- peer: pg_ivm (refuses expressions containing aggregates)
SELECT corpus_try('tv_shape_55', 'expressions over aggregates', 'pg_ivm: aggregate expressions (refused there)', $$
    SELECT o.pk_order, o.id,
           round(sum(l.quantity * l.unit_price) / NULLIF(sum(l.quantity), 0), 2) AS price_per_item,
           sum(l.quantity) * 2 AS double_items
    FROM tb_order o LEFT JOIN tb_order_line l ON l.fk_order = o.pk_order
    GROUP BY o.pk_order
$$, '{}');

-- 56. GROUP BY a non-key column (posts per status).
-- peer: pg_ivm (GROUP BY an arbitrary column)
SELECT corpus_try('tv_shape_56', 'GROUP BY a non-key column', 'pg_ivm: GROUP BY arbitrary column', $$
    SELECT p.status, count(*) AS posts, sum(p.score) AS score
    FROM tb_post p GROUP BY p.status
$$, '{"key": "status"}');

-- 57. GROUP BY a foreign key of the root (posts per author, rooted at tb_post).
-- peer: pg_ivm (SELECT i, SUM(j) ... GROUP BY i)
SELECT corpus_try('tv_shape_57', 'GROUP BY a foreign key column', 'pg_ivm: GROUP BY i', $$
    SELECT p.fk_user, count(*) AS posts, max(p.score) AS best
    FROM tb_post p GROUP BY p.fk_user
$$, '{}');

-- 58. An aggregate without GROUP BY (one row of totals).
-- peer: pg_ivm (aggregates without GROUP BY)
SELECT corpus_try('tv_shape_58', 'aggregate without GROUP BY', 'pg_ivm: aggregate without GROUP BY', $$
    SELECT count(*) AS posts, sum(p.score) AS score FROM tb_post p
$$, '{}');

-- 59. ROLLUP.
-- peer: pg_trickle (GROUP BY ROLLUP / CUBE / GROUPING SETS)
SELECT corpus_try('tv_shape_59', 'GROUP BY ROLLUP', 'pg_trickle: grouping sets', $$
    SELECT p.pk_post, p.status, count(*) AS n
    FROM tb_post p GROUP BY ROLLUP (p.pk_post, p.status)
$$, '{}');

-- 60. Ordered-set aggregates: percentile_disc, mode.
-- peer: pg_trickle (PERCENTILE_CONT/DISC, MODE)
SELECT corpus_try('tv_shape_60', 'percentile_disc / mode WITHIN GROUP', 'pg_trickle: ordered-set aggregates', $$
    SELECT p.pk_post, p.id,
           percentile_disc(0.5) WITHIN GROUP (ORDER BY c.rating) AS median_rating,
           mode() WITHIN GROUP (ORDER BY c.fk_user) AS top_commenter
    FROM tb_post p LEFT JOIN tb_comment c ON c.fk_post = p.pk_post
    GROUP BY p.pk_post
$$, '{}');

-- 61. jsonb_object_agg.
-- peer: pg_trickle (JSONB_OBJECT_AGG)
SELECT corpus_try('tv_shape_61', 'jsonb_object_agg', 'pg_trickle: JSONB_OBJECT_AGG', $$
    SELECT p.pk_post, p.id,
           jsonb_object_agg(t.slug, pt.weight) FILTER (WHERE t.slug IS NOT NULL) AS weights
    FROM tb_post p
    LEFT JOIN tb_post_tag pt ON pt.fk_post = p.pk_post
    LEFT JOIN tb_tag t ON t.pk_tag = pt.fk_tag
    GROUP BY p.pk_post
$$, '{}');

-- 62. Two fan-out children in one GROUP BY.
-- peer: pg_trickle (multi-table joins, >= 3 scans)
SELECT corpus_try('tv_shape_62', 'two fan-out LEFT JOINs in one GROUP BY', 'pg_trickle: multi-table join', $$
    SELECT p.pk_post, p.id,
           count(DISTINCT c.pk_comment) AS comments,
           count(DISTINCT l.pk_like) AS likes
    FROM tb_post p
    LEFT JOIN tb_comment c ON c.fk_post = p.pk_post
    LEFT JOIN tb_like l ON l.fk_post = p.pk_post
    GROUP BY p.pk_post
$$, '{}');

-- 63. Order -> lines -> product, grouped, the FraiseQL document with a nested list.
-- peer: pg_tviews (aggregate embed); pg_trickle (3-table join aggregate)
SELECT corpus_try('tv_shape_63', 'GROUP BY key with jsonb_agg over a 3-table chain', 'pg_tviews: aggregate embed', $$
    SELECT o.pk_order, o.id, o.fk_user,
           jsonb_build_object('status', o.status,
               'lines', COALESCE(jsonb_agg(jsonb_build_object('sku', pr.sku, 'name', pr.name,
                                                              'qty', l.quantity, 'price', l.unit_price)
                                           ORDER BY l.pk_order_line)
                                 FILTER (WHERE l.pk_order_line IS NOT NULL), '[]'),
               'total', COALESCE(sum(l.quantity * l.unit_price), 0)) AS data
    FROM tb_order o
    LEFT JOIN tb_order_line l ON l.fk_order = o.pk_order
    LEFT JOIN tb_product pr ON pr.pk_product = l.fk_product
    GROUP BY o.pk_order
$$, '{}');

-- 64. min / max over groups that become empty (NULL results).
-- peer: pg_ivm (min/max with NULLs and deleted minimum)
SELECT corpus_try('tv_shape_64', 'min / max when the minimum is deleted', 'pg_ivm: min/max maintenance', $$
    SELECT t.pk_tag, t.slug, min(pt.weight) AS lightest, max(pt.weight) AS heaviest, count(pt.fk_post) AS posts
    FROM tb_tag t LEFT JOIN tb_post_tag pt ON pt.fk_tag = t.pk_tag
    GROUP BY t.pk_tag
$$, '{}');

-- 65. Aggregate over a partitioned child table.
-- peer: pg_tviews (partitioned tables, ADR 0157); pg_trickle (docs/tutorials/PARTITIONED_TABLES.md)
SELECT corpus_try('tv_shape_65', 'aggregate over a partitioned child table', 'pg_tviews / pg_trickle: partitioned sources', $$
    SELECT u.pk_user, u.id,
           (SELECT count(*) FROM tb_event e WHERE e.fk_user = u.pk_user) AS events,
           (SELECT sum(e.amount) FROM tb_event e WHERE e.fk_user = u.pk_user AND e.kind = 'purchase') AS spent
    FROM tb_user u
$$, '{}');

------------------------------------------------------------------------
-- D. Other joins and FROM items
------------------------------------------------------------------------

-- 66. RIGHT JOIN with the entity on the right.
-- peer: pg_trickle (RIGHT JOIN, rewritten to LEFT JOIN)
SELECT corpus_try('tv_shape_66', 'RIGHT JOIN, entity on the right', 'pg_trickle: RIGHT JOIN', $$
    SELECT p.pk_post, p.id, u.name AS author
    FROM tb_user u RIGHT JOIN tb_post p ON p.fk_user = u.pk_user
$$, '{}');

-- 67. FULL JOIN.
-- peer: pg_ivm (3-way full outer joins); pg_trickle (FULL OUTER JOIN)
SELECT corpus_try('tv_shape_67', 'FULL JOIN to an optional parent', 'pg_ivm: full outer join', $$
    SELECT p.pk_post, p.id, c.name AS category
    FROM tb_post p FULL JOIN tb_category c ON c.pk_category = p.fk_category
    WHERE p.pk_post IS NOT NULL
$$, '{}');

-- 68. LEFT JOIN chained on the nullable side (left & left).
-- peer: pg_ivm (3-way outer join, left & left)
SELECT corpus_try('tv_shape_68', 'LEFT JOIN chain on the nullable side', 'pg_ivm: outer join left & left', $$
    SELECT p.pk_post, p.id, e.name AS editor, eo.name AS editor_org
    FROM tb_post p
    LEFT JOIN tb_user e ON e.pk_user = p.fk_editor
    LEFT JOIN tb_org eo ON eo.pk_org = e.fk_org
$$, '{}');

-- 69. INNER JOIN after a LEFT JOIN (category and its parent).
-- peer: pg_ivm (3-way outer join, left & inner)
SELECT corpus_try('tv_shape_69', 'LEFT JOIN then INNER JOIN', 'pg_ivm: outer join left & inner', $$
    SELECT p.pk_post, p.id, c.name AS category, pc.name AS parent_category
    FROM tb_post p
    LEFT JOIN (tb_category c JOIN tb_category pc ON pc.pk_category = c.fk_parent)
           ON c.pk_category = p.fk_category
$$, '{}');

-- 70. A join on a range condition.
-- peer: pg_trickle (theta joins); pg_tviews (non-equality correlation)
SELECT corpus_try('tv_shape_70', 'join on a range condition', 'pg_trickle: theta join', $$
    SELECT pr.pk_product, pr.sku, b.label
    FROM tb_product pr LEFT JOIN tb_price_band b ON pr.price >= b.lo AND pr.price < b.hi
$$, '{}');

-- 71. A join on an expression.
-- peer: pg_tviews (computed columns in predicates, #182 amendment)
SELECT corpus_try('tv_shape_71', 'join on an expression', 'pg_tviews: computed-column predicate', $$
    SELECT p.pk_post, p.id, u.name AS author
    FROM tb_post p JOIN tb_user u ON u.pk_user = p.fk_user + 0
$$, '{}');

-- 72. CROSS JOIN LATERAL a single-row aggregate.
-- peer: pg_trickle (LATERAL subquery)
SELECT corpus_try('tv_shape_72', 'CROSS JOIN LATERAL single-row aggregate', 'pg_trickle: LATERAL', $$
    SELECT p.pk_post, p.id, s.n AS comments, s.best AS best_rating
    FROM tb_post p
    CROSS JOIN LATERAL (SELECT count(*) AS n, max(c.rating) AS best
                        FROM tb_comment c WHERE c.fk_post = p.pk_post) s
$$, '{}');

-- 73. LEFT JOIN LATERAL ... ORDER BY ... LIMIT 1 (latest comment row).
-- peer: pg_trickle (LATERAL TopK)
SELECT corpus_try('tv_shape_73', 'LEFT JOIN LATERAL ... LIMIT 1', 'pg_trickle: LATERAL TopK', $$
    SELECT p.pk_post, p.id, last.body AS last_comment, last.created_at AS last_at
    FROM tb_post p
    LEFT JOIN LATERAL (SELECT c.body, c.created_at FROM tb_comment c WHERE c.fk_post = p.pk_post
                       ORDER BY c.created_at DESC, c.pk_comment DESC LIMIT 1) last ON true
$$, '{}');

-- 74. A simple subquery in FROM as the root.
-- peer: pg_ivm (simple subquery in FROM)
SELECT corpus_try('tv_shape_74', 'simple subquery in FROM as the root', 'pg_ivm: simple subquery in FROM', $$
    SELECT s.pk_post, s.id, s.title
    FROM (SELECT p.pk_post, p.id, p.title FROM tb_post p WHERE p.status = 'published') s
$$, '{}');

-- 75. A simple subquery in FROM as the joined parent.
-- peer: pg_ivm (join with a subquery in FROM)
SELECT corpus_try('tv_shape_75', 'simple subquery in FROM as a joined parent', 'pg_ivm: join subquery', $$
    SELECT p.pk_post, p.id, a.name AS author
    FROM tb_post p JOIN (SELECT u.pk_user, u.name FROM tb_user u) a ON a.pk_user = p.fk_user
$$, '{}');

------------------------------------------------------------------------
-- E. CTEs, set operations, DISTINCT, windows, LIMIT at the top
------------------------------------------------------------------------

-- 76. A simple CTE.
-- peer: pg_ivm (simple CTE); pg_trickle (non-recursive WITH)
SELECT corpus_try('tv_shape_76', 'simple CTE', 'pg_ivm: simple CTE', $$
    WITH authors AS (SELECT u.pk_user, u.name FROM tb_user u)
    SELECT p.pk_post, p.id, a.name AS author
    FROM tb_post p JOIN authors a ON a.pk_user = p.fk_user
$$, '{}');

-- 77. A CTE referenced twice.
-- peer: pg_ivm (multiply-referenced CTE)
SELECT corpus_try('tv_shape_77', 'CTE referenced twice', 'pg_ivm: multiply-referenced CTE', $$
    WITH people AS (SELECT u.pk_user, u.name FROM tb_user u)
    SELECT p.pk_post, p.id, a.name AS author, e.name AS editor
    FROM tb_post p JOIN people a ON a.pk_user = p.fk_user
    LEFT JOIN people e ON e.pk_user = p.fk_editor
$$, '{}');

-- 78. A recursive CTE (category path).
-- peer: pg_tviews (#183 recursive CTEs); pg_trickle (WITH RECURSIVE)
SELECT corpus_try('tv_shape_78', 'recursive CTE', 'pg_tviews: recursive CTE (#183)', $$
    WITH RECURSIVE up AS (
        SELECT c.pk_category AS leaf, c.pk_category AS node, c.fk_parent, 0 AS depth FROM tb_category c
        UNION ALL
        SELECT up.leaf, k.pk_category, k.fk_parent, up.depth + 1
        FROM up JOIN tb_category k ON k.pk_category = up.fk_parent)
    SELECT c.pk_category, c.id, (SELECT max(depth) FROM up WHERE up.leaf = c.pk_category) AS depth
    FROM tb_category c
$$, '{}');

-- 79. UNION ALL of two entities with disjoint keys.
-- peer: pg_tviews (ADR 0216 union keys); pg_trickle (UNION ALL)
SELECT corpus_try('tv_shape_79', 'top-level UNION ALL with disjoint keys', 'pg_tviews: UNION TVIEW (ADR 0216)', $$
    SELECT p.pk_post AS pk_item, 'post' AS kind, p.title AS label FROM tb_post p
    UNION ALL
    SELECT -c.pk_comment, 'comment', c.body FROM tb_comment c
$$, '{}');

-- 80. DISTINCT ON at the top level.
-- peer: pg_tviews (ADR 0169 DISTINCT ON identity); pg_ivm (refuses DISTINCT ON)
SELECT corpus_try('tv_shape_80', 'top-level DISTINCT ON', 'pg_tviews: DISTINCT ON TVIEW', $$
    SELECT DISTINCT ON (c.fk_post) c.fk_post, c.pk_comment, c.body
    FROM tb_comment c ORDER BY c.fk_post, c.created_at DESC, c.pk_comment DESC
$$, '{}');

-- 81. DISTINCT at the top level.
-- peer: pg_ivm (DISTINCT with multiplicity counting)
SELECT corpus_try('tv_shape_81', 'top-level DISTINCT', 'pg_ivm: DISTINCT', $$
    SELECT DISTINCT p.pk_post, p.id, p.title
    FROM tb_post p JOIN tb_comment c ON c.fk_post = p.pk_post
$$, '{}');

-- 82. A window function at the top level, partitioned.
-- peer: pg_tviews (#187); pg_trickle (window functions)
SELECT corpus_try('tv_shape_82', 'top-level window function with PARTITION BY', 'pg_tviews: window partitions (#187)', $$
    SELECT p.pk_post, p.id,
           row_number() OVER (PARTITION BY p.fk_user ORDER BY p.score DESC, p.pk_post) AS rank_for_author
    FROM tb_post p
$$, '{}');

-- 83. ORDER BY ... LIMIT at the top level.
-- peer: pg_trickle (TopK)
SELECT corpus_try('tv_shape_83', 'top-level ORDER BY LIMIT', 'pg_trickle: TopK', $$
    SELECT p.pk_post, p.id, p.title FROM tb_post p ORDER BY p.score DESC, p.pk_post LIMIT 3
$$, '{}');

------------------------------------------------------------------------
-- F. Kinds of sources
------------------------------------------------------------------------

-- 84. A view joined as a parent.
-- peer: pg_tviews (views as sources, ADR 0157 recursing into views)
SELECT corpus_try('tv_shape_84', 'plain view joined as a parent', 'pg_tviews: views as sources', $$
    SELECT p.pk_post, p.id, a.name AS author
    FROM tb_post p JOIN v_user_public a ON a.pk_user = p.fk_user
$$, '{}');

-- 85. The FraiseQL v_ layer: the tv_ is SELECT * of its v_ view.
-- peer: pg_tviews (tb_ -> v_ -> tv_ layers)
SELECT corpus_try('tv_shape_85', 'FraiseQL v_ view as the whole definition', 'pg_tviews: v_/tv_ layers', $$
    SELECT v.pk_post, v.id, v.fk_user, v.data FROM v_post v
$$, '{}');

-- 86. A materialized view as a source.
-- peer: pg_tviews (#189 materialized views)
SELECT corpus_try('tv_shape_86', 'materialized view as a source', 'pg_tviews: materialized views (#189)', $$
    SELECT p.pk_post, p.id, s.comments
    FROM tb_post p LEFT JOIN mv_post_stats s ON s.fk_post = p.pk_post
$$, '{}');

-- 87. A partitioned table as the root.
-- peer: pg_trickle (partitioned sources)
SELECT corpus_try('tv_shape_87', 'partitioned table as the root', 'pg_trickle: partitioned sources', $$
    SELECT e.pk_event, e.kind, e.amount, u.name AS who
    FROM tb_event e JOIN tb_user u ON u.pk_user = e.fk_user
$$, '{}');

-- 88. A partition read directly.
-- peer: pg_tviews (partitions get their own triggers, ADR 0157)
SELECT corpus_try('tv_shape_88', 'one partition read directly', 'pg_tviews: partitions', $$
    SELECT u.pk_user, u.id,
           (SELECT count(*) FROM tb_event_2025 e WHERE e.fk_user = u.pk_user) AS events_2025
    FROM tb_user u
$$, '{}');

-- 89. A table with a composite primary key as the root.
-- peer: pg_ivm (index on all primary key columns); pg_tviews (composite key edge case)
SELECT corpus_try('tv_shape_89', 'composite primary key root', 'pg_ivm: composite primary key', $$
    SELECT pt.fk_post, pt.fk_tag, pt.weight, t.slug
    FROM tb_post_tag pt JOIN tb_tag t ON t.pk_tag = pt.fk_tag
$$, '{}');

-- 90. A whole-row reference: the document is the row minus internals.
-- peer: none documents it; a common hand-written FraiseQL spelling (to_jsonb(t) - 'pk_...')
SELECT corpus_try('tv_shape_90', 'whole-row to_jsonb(t) minus columns', '(no peer: common FraiseQL spelling)', $$
    SELECT t.pk_tag, to_jsonb(t) - 'pk_tag' AS data FROM tb_tag t
$$, '{}');

-- 91. A STABLE user function that reads a table.
-- peer: pg_tviews (#193 invisible inputs, function_reads)
SELECT corpus_try('tv_shape_91', 'STABLE user function reading a table', 'pg_tviews: function_reads (#193)', $$
    SELECT u.pk_user, u.id, org_name(u.fk_org) AS org
    FROM tb_user u
$$, '{}');

-- 92. now() in a definition.
-- peer: pg_tviews (#193 time_refresh); pg_trickle (STABLE is FULL-only)
SELECT corpus_try('tv_shape_92', 'now() in a filter', 'pg_tviews: time-dependent (#193)', $$
    SELECT p.pk_post, p.id FROM tb_post p WHERE p.published_at < now()
$$, '{}');

-- 93. random().
-- peer: pg_ivm (refuses mutable functions)
SELECT corpus_try('tv_shape_93', 'volatile function', 'pg_ivm: mutable functions (refused there)', $$
    SELECT p.pk_post, p.id, random() AS r FROM tb_post p
$$, '{}');

-- 94. A search vector with the one-argument to_tsvector (reads default_text_search_config).
-- peer: pg_trickle (only IMMUTABLE expressions are differential)
SELECT corpus_try('tv_shape_94', 'to_tsvector(text): a STABLE built-in reading a setting', 'pg_trickle: volatility rules', $$
    SELECT p.pk_post, p.id, to_tsvector(p.title || ' ' || COALESCE(p.body, '')) AS search
    FROM tb_post p
$$, '{}');

-- 95. bytea in a document (its text form follows bytea_output).
-- peer: pg_tviews (JSONB documents of arbitrary columns)
SELECT corpus_try('tv_shape_95', 'bytea value in a document', 'pg_tviews: JSONB documents', $$
    SELECT u.pk_user, u.id, jsonb_build_object('name', u.name, 'avatar', u.avatar) AS data
    FROM tb_user u
$$, '{}');

-- 96. Time formatting with the session time zone (pinned by the extension).
-- peer: pg_trickle (STABLE functions); pg_tviews (time columns in documents)
SELECT corpus_try('tv_shape_96', 'timestamptz formatted with to_char and ::date', 'pg_trickle: STABLE built-ins', $$
    SELECT c.pk_comment, c.id, to_char(c.created_at, 'YYYY-MM-DD HH24:MI TZ') AS at_text,
           c.created_at::date AS on_day
    FROM tb_comment c
$$, '{}');

-- 97. A float8 value, negative zero included.
-- peer: pg_ivm (README: float sums are unsafe, use numeric)
SELECT corpus_try('tv_shape_97', 'float8 plain column and in a document', 'pg_ivm: float caveat', $$
    SELECT pr.pk_product, pr.sku, pr.weight_kg, jsonb_build_object('w', pr.weight_kg) AS data
    FROM tb_product pr
$$, '{}');

------------------------------------------------------------------------
-- G. Read models reading read models (the FraiseQL tv_ layer)
------------------------------------------------------------------------

-- 98. Embed another model's document (N:1).
-- peer: pg_tviews (cascade, tv_post embeds tv_user)
SELECT corpus_try('tv_shape_98', 'embed a tv_ document N:1', 'pg_tviews: cascade embed', $$
    SELECT c.pk_comment, c.id, c.fk_post,
           jsonb_build_object('body', c.body, 'post', p.data) AS data
    FROM tb_comment c JOIN tv_post p ON p.pk_post = c.fk_post
$$, '{"corpus_needs": ["tv_user", "tv_post"]}');

-- 99. Aggregate another model's documents (1:N).
-- peer: pg_tviews (aggregate embed of a child TVIEW)
SELECT corpus_try('tv_shape_99', 'jsonb_agg of tv_ documents', 'pg_tviews: aggregate embed', $$
    SELECT p.pk_post, p.id,
           jsonb_build_object('title', p.title,
               'comments', COALESCE((SELECT jsonb_agg(c.data ORDER BY c.pk_comment)
                                     FROM tv_comment c WHERE c.fk_post = p.pk_post), '[]')) AS data
    FROM tb_post p
$$, '{"corpus_needs": ["tv_comment"]}');

-- 100. A tv_ model as the root, filtered on its document.
-- peer: pg_tviews (#191 reads of another TVIEW's table)
SELECT corpus_try('tv_shape_100', 'tv_ model as root, filter on its document', 'pg_tviews: reads of a TVIEW table (#191)', $$
    SELECT u.pk_user, u.id, u.data -> 'org' ->> 'name' AS org_name
    FROM tv_user u WHERE u.data -> 'org' ->> 'name' IS NOT NULL
$$, '{"corpus_needs": ["tv_user"]}');

-- 101. Three layers: comments embedding posts embedding users, grouped per user.
-- peer: pg_tviews (multi-level cascade)
SELECT corpus_try('tv_shape_101', 'three tv_ layers, aggregated per user', 'pg_tviews: multi-level cascade', $$
    SELECT u.pk_user, u.id,
           (SELECT jsonb_agg(p.data ORDER BY p.pk_post) FROM tv_post p WHERE p.fk_user = u.pk_user) AS posts
    FROM tb_user u
$$, '{"corpus_needs": ["tv_user", "tv_post"]}');

------------------------------------------------------------------------
-- H. Copied values written in place (the patch path)
------------------------------------------------------------------------

-- 102. The same parent table twice (author and editor), both copied.
-- peer: pg_tviews (fan-out patch #120 of copied parent fields)
SELECT corpus_try('tv_shape_102', 'one parent table copied through two foreign keys', 'pg_tviews: fan-out patch', $$
    SELECT p.pk_post, p.id, p.fk_user, p.fk_editor,
           jsonb_build_object('title', p.title, 'author', a.name, 'editor', e.name) AS data
    FROM tb_post p JOIN tb_user a ON a.pk_user = p.fk_user
    LEFT JOIN tb_user e ON e.pk_user = p.fk_editor
$$, '{}');

-- 103. A LEFT JOIN whose ON has a second condition, copied.
-- peer: pg_tviews (smart patch vs refresh selection, ADR 0077)
SELECT corpus_try('tv_shape_103', 'LEFT JOIN with an extra ON condition, copied', 'pg_tviews: patch selection', $$
    SELECT p.pk_post, p.id, p.fk_editor,
           jsonb_build_object('title', p.title, 'adminEditor', e.name) AS data
    FROM tb_post p LEFT JOIN tb_user e ON e.pk_user = p.fk_editor AND e.is_admin
$$, '{}');

-- 104. A document key given twice: the last value wins.
-- peer: pg_tviews (JSONB field maps for patching)
SELECT corpus_try('tv_shape_104', 'jsonb_build_object with a repeated key', 'pg_tviews: field maps', $$
    SELECT p.pk_post, p.id, p.fk_user,
           jsonb_build_object('label', u.name, 'label', p.title) AS data
    FROM tb_post p JOIN tb_user u ON u.pk_user = p.fk_user
$$, '{}');

-- 105. A grandparent value copied, matched by a selected foreign key of the parent.
-- peer: pg_tviews (multi-hop fan-out patch)
SELECT corpus_try('tv_shape_105', 'grandparent value copied via the parent''s fk', 'pg_tviews: multi-hop patch', $$
    SELECT p.pk_post, p.id, u.fk_org,
           jsonb_build_object('title', p.title, 'org', o.name, 'orgCountry', o.country) AS data
    FROM tb_post p JOIN tb_user u ON u.pk_user = p.fk_user
    LEFT JOIN tb_org o ON o.pk_org = u.fk_org
$$, '{}');

-- 106. Copied values in statement mode.
-- peer: pg_ivm (immediate maintenance); pg_tviews (smart patch)
SELECT corpus_try('tv_shape_106', 'copied parent value, statement mode', 'pg_ivm: immediate; pg_tviews: smart patch', $$
    SELECT c.pk_comment, c.id, c.fk_user,
           jsonb_build_object('body', c.body, 'author', jsonb_build_object('name', u.name, 'handle', u.handle)) AS data
    FROM tb_comment c LEFT JOIN tb_user u ON u.pk_user = c.fk_user
$$, '{"mode": "statement"}');
