#!/usr/bin/env bash
# Mode deferred (issue 12: "with 4 writers at full speed on the tv_product
# shape, writer cost <= 1.2x bare, p99 lag < 100 ms at 1,000 writes/s, and
# the model exact once the queue drains"), with pgbench against the server
# PGHOST/PGPORT name, in database readmodel_deferred.  The server must have
# pg_readmodel in shared_preload_libraries and readmodel_deferred in
# readmodel.deferred_databases; the script checks and says how otherwise.
#
# The model is the design's tv_product exactly as written (GROUP BY over
# LEFT JOINs, jsonb_agg ... FILTER, avg over reviews), over PRODUCTS
# products (default 10,000) with 5 reviews each.  A transaction updates one
# random product's price.  Runs of DURATION seconds (default 15):
#
#   full speed, 4 clients: bare (no model), mode commit, mode deferred:
#       transactions per second and mean latency, ratios to bare; and mode
#       deferred with the worker asleep (readmodel.deferred_naptime at its
#       maximum for the run): what the writers pay themselves, without the
#       worker competing for the CPU, then the time the worker takes to
#       drain what they queued
#   1,000 writes/s (pgbench --rate), 4 clients, mode deferred: the lag
#       readmodel.freshness shows, sampled every 50 ms: p50, p99, max
#
# After each deferred run, readmodel.wait() and readmodel.verify() must
# find the model exact.
#
# usage: test/bench/deferred.sh [--cpu] [--products N] [--duration S]
set -euo pipefail
cd "$(dirname "$0")/../.."

PRODUCTS=10000
DURATION=15
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
DB=readmodel_deferred
command -v pgbench >/dev/null || PATH=/usr/lib/postgresql/15/bin:$PATH

preload=$(psql -X -At -d postgres -c "SHOW shared_preload_libraries")
dbs=$(psql -X -At -d postgres -c "SELECT current_setting('readmodel.deferred_databases', true)")
case ",$(echo "$dbs" | tr -d ' ')," in
    *",$DB,"*) ;;
    *) cat >&2 <<MSG
deferred.sh: the server needs (shared_preload_libraries = '$preload', readmodel.deferred_databases = '$dbs'):
  ALTER SYSTEM SET shared_preload_libraries = 'pg_readmodel';
  ALTER SYSTEM SET readmodel.deferred_databases = '$DB';
and a restart (for the frozen server: bash test/bench/frozen.sh stop; bash test/bench/frozen.sh start)
MSG
       exit 2 ;;
esac

if [ $CPU = 1 ]; then
    bench_settings SET "= off"
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"; [ $CPU = 1 ] && bench_settings RESET ""' EXIT

q() { psql -X -q -At -v ON_ERROR_STOP=1 -d $DB "$@"; }

setup() {   # mode, or "bare"
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
    product_tables "$PRODUCTS" | q
    [ "$1" = bare ] || product_model "{\"mode\": \"$1\"}" | q
    # the worker lost its database with the DROP: wait until it is back
    for _ in $(seq 1 100); do
        [ "$(psql -X -At -d postgres -c "SELECT count(*) FROM pg_stat_activity
              WHERE backend_type = 'pg_readmodel deferred' AND datname = '$DB'")" = 1 ] && return
        sleep 0.1
    done
    echo "deferred.sh: the deferred worker of $DB did not start" >&2
    exit 1
}

cat > "$dir/write.sql" <<SQL
\\set id random(1, $PRODUCTS)
UPDATE tb_product SET price = (:id % 9990) / 10.0 + random()::numeric(3,2) WHERE pk_product = :id;
SQL

run() {   # extra pgbench options; prints "tps latency_ms"
    pgbench -n -c 4 -j 2 -T "$DURATION" "$@" -f "$dir/write.sql" $DB 2>&1 |
        awk '/latency average/ { lat = $4 } /^tps/ { tps = $3 } END { print tps, lat }'
}

check_exact() {
    local done bad
    done=$(q -c "SELECT readmodel.wait('tv_product', '60 s')")
    bad=$(q -c "SELECT count(*) FROM readmodel.verify('tv_product')")
    [ "$done" = t ] && [ "$bad" = 0 ] ||
        { echo "deferred.sh: $1: wait=$done, verify found $bad rows" >&2; exit 1; }
}

echo "deferred: $(psql -X -At -d postgres -c 'SHOW server_version'), cpu-bound: $CPU, $PRODUCTS products, ${DURATION}s per run, 4 clients"
naptime() {   # set or reset readmodel.deferred_naptime, and wait for the worker to see it
    psql -X -q -d postgres -c "ALTER SYSTEM $1" -c "SELECT pg_reload_conf()" >/dev/null
    sleep 1
}

declare -A tps lat
for variant in bare commit deferred asleep; do
    setup ${variant/asleep/deferred} >/dev/null
    if [ $variant = asleep ]; then
        naptime "SET readmodel.deferred_naptime = 60000"
        read -r tps[$variant] lat[$variant] < <(run)
        queued=$(q -c "SELECT sum(queued_keys) FROM readmodel.freshness")
        naptime "RESET readmodel.deferred_naptime"
        t0=$(date +%s.%N)
        check_exact "worker asleep"
        drain=$(echo "$(date +%s.%N) - $t0" | bc)
    else
        read -r tps[$variant] lat[$variant] < <(run)
        [ $variant = deferred ] && check_exact "full speed"
    fi
done
printf '%-10s %10s %10s %10s\n' variant tps "latency ms" "cost/bare"
for variant in bare commit deferred asleep; do
    printf '%-10s %10.0f %10s %10.2f\n' $variant "${tps[$variant]}" "${lat[$variant]}" \
        "$(echo "${lat[$variant]} / ${lat[bare]}" | bc -l)"
done
printf 'asleep: %s keys queued; the worker drained them in %.1f s once awake (including up to 1 s to notice)\n' \
    "$queued" "$drain"

# the lag at 1,000 writes/s
setup deferred >/dev/null
: > "$dir/lag"
(
    end=$(( $(date +%s) + DURATION ))
    while [ "$(date +%s)" -lt "$end" ]; do
        q -c "SELECT extract(epoch FROM lag) * 1000 FROM readmodel.freshness" >> "$dir/lag"
        sleep 0.05
    done
) &
sampler=$!
read -r rate_tps rate_lat < <(run --rate 1000)
wait $sampler
check_exact "1,000 writes/s"
sort -n "$dir/lag" | awk -v tps="$rate_tps" '{ v[NR] = $1 } END {
    printf "at 1,000 writes/s (achieved %.0f tps): lag p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d samples)\n",
        tps, v[int(NR * 0.5) + 1], v[int(NR * 0.99) + 1], v[NR], NR }'
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
