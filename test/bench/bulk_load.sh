#!/usr/bin/env bash
# Loading rows into the source of read models, with and without
# readmodel.suspend() (issue 12: "measure loading 1,000,000 rows with and
# without suspend").  Against the server PGHOST/PGPORT name (default: the
# private cluster), in database readmodel_bulk.
#
# The sources are the design's catalog (1,000 categories, 100 suppliers);
# the models are the design's tv_product (GROUP BY over LEFT JOINs,
# jsonb_agg ... FILTER, avg over reviews) and a rollup per category
# (count, sum, avg, max of the prices, kept by aggregate deltas).  Each
# variant loads ROWS products (default 1,000,000) in batches of BATCH
# (default 100,000) rows, each batch one INSERT ... SELECT and one
# transaction, into empty tables:
#
#   bare       the tables without models
#   maintained the models maintained at each commit
#   suspended  readmodel.suspend() before, readmodel.resume() after (its
#              time included)
#
# Then, on the loaded tables, a few changes while suspended: both models
# are suspended, 100 transactions each update the price of 10 random
# products, and the resume is timed, twice: replaying the keys the writers
# recorded (readmodel.resume_replay_limit at its default), and rebuilding
# by diff (the limit 0, so the writers record only that a rebuild is due).
#
# Every model is verified against its definition at the end (readmodel.verify
# returns no row).  The times are client side, in seconds.
#
# usage: test/bench/bulk_load.sh [--cpu] [--rows N] [--batch N]
#   --cpu   fsync, synchronous_commit and full_page_writes off for the run
#           (ALTER SYSTEM, reset at the end)
set -euo pipefail
cd "$(dirname "$0")/../.."

ROWS=1000000
BATCH=100000
CPU=0
while [ $# -gt 0 ]; do
    case "$1" in
        --cpu) CPU=1 ;;
        --rows) ROWS=$2; shift ;;
        --batch) BATCH=$2; shift ;;
        *) echo "usage: $0 [--cpu] [--rows N] [--batch N]" >&2; exit 2 ;;
    esac
    shift
done

. test/bench/server.sh
. test/bench/product_schema.sh
DB=readmodel_bulk

if [ $CPU = 1 ]; then
    bench_settings SET "= off"
    trap 'bench_settings RESET ""' EXIT
fi

q() { psql -X -q -At -v ON_ERROR_STOP=1 -d $DB "$@"; }

setup() {
    local with_models=$1
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
    q <<'SQL'
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
INSERT INTO tb_category SELECT g, 'category ' || g FROM generate_series(1, 1000) g;
INSERT INTO tb_supplier SELECT g, 'supplier ' || g FROM generate_series(1, 100) g;
SQL
    if [ "$with_models" = 1 ]; then
        product_model '{}' | q
        q <<'SQL'
SET client_min_messages = warning;
SELECT readmodel.create('tv_category', $$
    SELECT c.pk_category, c.name, count(*) AS products, sum(p.price) AS total_price,
           avg(p.price) AS avg_price, max(p.price) AS max_price
    FROM tb_category c JOIN tb_product p ON p.fk_category = c.pk_category
    GROUP BY c.pk_category, c.name
$$) IS NOT NULL;
SQL
    fi
}

load() {
    local from=1
    while [ $from -le $ROWS ]; do
        local to=$((from + BATCH - 1))
        [ $to -gt $ROWS ] && to=$ROWS
        q -c "INSERT INTO tb_product (pk_product, fk_category, fk_supplier, name, price)
              SELECT g, 1 + g % 1000, 1 + g % 100, 'product ' || g, (g % 99900) / 100.0 + 1
              FROM generate_series($from, $to) g" >/dev/null
        from=$((to + 1))
    done
}

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc; }

run() {
    local variant=$1 t0 t1
    case $variant in
        bare) setup 0 >/dev/null ;;
        *) setup 1 >/dev/null ;;
    esac
    t0=$(now)
    [ $variant = suspended ] && q -c "SELECT readmodel.suspend('tv_product'), readmodel.suspend('tv_category')" >/dev/null
    load
    [ $variant = suspended ] && q -c "SELECT readmodel.resume('tv_product'), readmodel.resume('tv_category')" >/dev/null
    t1=$(now)
    [ $variant = bare ] || verify_models $variant
    printf '%-11s %8s s  (%d rows in batches of %d)\n' "$variant" "$(elapsed $t0 $t1)" $ROWS $BATCH
}

verify_models() {
    local bad
    bad=$(q -c "SELECT (SELECT count(*) FROM readmodel.verify('tv_product')) +
                       (SELECT count(*) FROM readmodel.verify('tv_category'))")
    [ "$bad" = 0 ] || { echo "bulk_load: $1: verify found $bad rows" >&2; exit 1; }
}

# few_changes LABEL LIMIT: suspend, 100 small transactions, timed resume
few_changes() {
    local label=$1 limit=$2 t0 t1 i
    q -c "SELECT readmodel.suspend('tv_product'), readmodel.suspend('tv_category')" >/dev/null
    for i in $(seq 1 100); do
        echo "UPDATE tb_product SET price = price + 1 WHERE pk_product IN
              (SELECT 1 + (random() * ($ROWS - 1))::int FROM generate_series(1, 10));"
    done | PGOPTIONS="-c readmodel.resume_replay_limit=$limit" q >/dev/null
    t0=$(now)
    PGOPTIONS="-c readmodel.resume_replay_limit=$limit" \
        q -c "SELECT readmodel.resume('tv_product'), readmodel.resume('tv_category')" >/dev/null
    t1=$(now)
    verify_models "$label"
    printf '%-11s %8s s  (resume after 100 transactions of 10 updates)\n' "$label" "$(elapsed $t0 $t1)"
}

echo "bulk_load: $(psql -X -At -d postgres -c 'SHOW server_version'), cpu-bound: $CPU"
for v in bare maintained suspended; do
    run $v
done
few_changes replay 10000
few_changes rebuild 0
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB"
