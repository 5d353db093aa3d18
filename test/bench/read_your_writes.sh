#!/usr/bin/env bash
# What read-your-writes costs (issue 12: "document the cost model"), with
# pgbench against the server PGHOST/PGPORT name (default: the private
# cluster), in database readmodel_ryw.
#
# The model is the design's tv_product exactly as written (GROUP BY over
# LEFT JOINs, jsonb_agg ... FILTER, avg over reviews), over PRODUCTS
# products (default 10,000) with 5 reviews each.  Each transaction picks a
# random product and runs one of:
#
#   write        UPDATE tb_product SET price = ... (one row)
#   write+read   the UPDATE, then SELECT data FROM tv_product for that row
#                (bare: SELECT the product row from tb_product instead)
#   write+read+write+read  twice in one transaction
#
# for three variants: bare (no model), maintained with
# readmodel.read_your_writes = on (the read applies the queued key first),
# and = off (the read sees the state before the transaction; the key is
# applied at commit).  It prints the mean latency per transaction (pgbench,
# one client, DURATION seconds each, default 10) and its ratio to bare, and
# verifies the model at the end.
#
# usage: test/bench/read_your_writes.sh [--cpu] [--products N] [--duration S]
#   --cpu   fsync, synchronous_commit and full_page_writes off for the run
set -euo pipefail
cd "$(dirname "$0")/../.."

PRODUCTS=10000
DURATION=10
CPU=0
while [ $# -gt 0 ]; do
    case "$1" in
        --cpu) CPU=1 ;;
        --products) PRODUCTS=$2; shift ;;
        --duration) DURATION=$2; shift ;;
        *) echo "usage: $0 [--cpu] [--products N] [--duration S]" >&2; exit 2 ;;
    esac
    shift
done

. test/bench/server.sh
. test/bench/product_schema.sh
DB=readmodel_ryw
command -v pgbench >/dev/null || PATH=/usr/lib/postgresql/15/bin:$PATH

if [ $CPU = 1 ]; then
    bench_settings SET "= off"
    trap 'bench_settings RESET ""' EXIT
fi

q() { psql -X -q -At -v ON_ERROR_STOP=1 -d $DB "$@"; }

setup() {
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
    product_tables "$PRODUCTS" | q
}

create_model() {
    product_model '{}' | q
}

dir=$(mktemp -d)
trap 'rm -rf "$dir"; [ $CPU = 1 ] && bench_settings RESET ""' EXIT

script() {   # name, read target ("model" or "table"), rounds
    local f=$dir/$1.sql read
    if [ "$2" = model ]; then
        read='SELECT data FROM tv_product WHERE pk_product = :id;'
    else
        read='SELECT name, price FROM tb_product WHERE pk_product = :id;'
    fi
    {
        echo "\\set id random(1, $PRODUCTS)"
        echo "BEGIN;"
        for _ in $(seq 1 "$3"); do
            echo "UPDATE tb_product SET price = (:id % 9990) / 10.0 + random()::numeric(3,2) WHERE pk_product = :id;"
            [ "$4" = read ] && echo "$read"
        done
        echo "COMMIT;"
    } > "$f"
    echo "$f"
}

latency() {   # script file, setting value
    PGOPTIONS="-c readmodel.read_your_writes=$2" pgbench -n -c 1 -T "$DURATION" -f "$1" $DB 2>&1 |
        awk '/latency average/ { print $4 }'
}

declare -A result
shapes="write write+read write+read+write+read"
measure() {   # variant, setting, read target
    for shape in $shapes; do
        local f
        case $shape in
            write) f=$(script w "$3" 1 none) ;;
            write+read) f=$(script wr "$3" 1 read) ;;
            *) f=$(script wrwr "$3" 2 read) ;;
        esac
        result[$1,$shape]=$(latency "$f" "$2")
    done
}

echo "read_your_writes: $(psql -X -At -d postgres -c 'SHOW server_version'), cpu-bound: $CPU, $PRODUCTS products, ${DURATION}s per run"
setup >/dev/null
measure bare on table
create_model >/dev/null
measure on on model
measure off off model
bad=$(q -c "SELECT count(*) FROM readmodel.verify('tv_product')")
[ "$bad" = 0 ] || { echo "read_your_writes: verify found $bad rows" >&2; exit 1; }

printf '%-24s %10s %10s %8s %10s %8s\n' shape "bare ms" "on ms" "on/bare" "off ms" "off/bare"
for shape in $shapes; do
    b=${result[bare,$shape]} on=${result[on,$shape]} off=${result[off,$shape]}
    printf '%-24s %10s %10s %8.2f %10s %8.2f\n' "$shape" "$b" "$on" "$(echo "$on / $b" | bc -l)" \
        "$off" "$(echo "$off / $b" | bc -l)"
done
echo "(off: the reads see the model as it was before the transaction)"
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB"
