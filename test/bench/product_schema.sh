# test/bench/product_schema.sh -- sourced by read_your_writes.sh, deferred.sh
# (tables and model) and bulk_load.sh (the model): the design's catalog and
# its tv_product, as SQL on stdout.

# product_tables N: 100 categories, 20 suppliers, N products, 5 reviews each
product_tables() {
    cat <<SQL
SET client_min_messages = warning;
CREATE EXTENSION pg_readmodel;
CREATE TABLE tb_category (pk_category int PRIMARY KEY, name text NOT NULL);
CREATE TABLE tb_supplier (pk_supplier int PRIMARY KEY, name text NOT NULL);
CREATE TABLE tb_product (pk_product int PRIMARY KEY, id uuid NOT NULL DEFAULT gen_random_uuid(),
                         fk_category int REFERENCES tb_category, fk_supplier int REFERENCES tb_supplier,
                         name text NOT NULL, price numeric(10,2));
CREATE TABLE tb_review (pk_review int PRIMARY KEY, fk_product int REFERENCES tb_product,
                        rating int, body text);
CREATE INDEX ON tb_product (fk_category);
CREATE INDEX ON tb_product (fk_supplier);
CREATE INDEX ON tb_review (fk_product);
INSERT INTO tb_category SELECT g, 'category ' || g FROM generate_series(1, 100) g;
INSERT INTO tb_supplier SELECT g, 'supplier ' || g FROM generate_series(1, 20) g;
INSERT INTO tb_product (pk_product, fk_category, fk_supplier, name, price)
SELECT g, 1 + g % 100, 1 + g % 20, 'product ' || g, (g % 9990) / 10.0 + 1
FROM generate_series(1, $1) g;
INSERT INTO tb_review SELECT g, 1 + (g - 1) / 5, 1 + g % 5, 'review ' || g
FROM generate_series(1, $1 * 5) g;
ANALYZE;
SQL
}

# product_model OPTIONS: the design's tv_product exactly as written
product_model() {
    cat <<SQL
SET client_min_messages = warning;
SELECT readmodel.create('tv_product', \$\$
    SELECT p.pk_product, p.id, p.fk_category, p.fk_supplier,
           jsonb_build_object(
               'id', p.id, 'name', p.name, 'price', p.price,
               'category', jsonb_build_object('id', c.pk_category, 'name', c.name),
               'supplier', jsonb_build_object('id', s.pk_supplier, 'name', s.name),
               'reviews', COALESCE(jsonb_agg(jsonb_build_object('rating', r.rating, 'body', r.body)
                                             ORDER BY r.pk_review)
                                   FILTER (WHERE r.pk_review IS NOT NULL), '[]'::jsonb),
               'avg_rating', avg(r.rating)) AS data
    FROM tb_product p
    LEFT JOIN tb_category c ON c.pk_category = p.fk_category
    LEFT JOIN tb_supplier s ON s.pk_supplier = p.fk_supplier
    LEFT JOIN tb_review r ON r.fk_product = p.pk_product
    GROUP BY p.pk_product, p.id, p.fk_category, p.fk_supplier, p.name, p.price,
             c.pk_category, c.name, s.pk_supplier, s.name
\$\$, '$1') IS NOT NULL;
SQL
}
