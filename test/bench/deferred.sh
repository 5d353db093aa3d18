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
# The full-speed variants run ROUNDS times (default 3), interleaved, and
# the medians are reported: on 2 cores one run's bare latency moves by 10%
# or more.  Besides pgbench's latency, each run reads the CPU time the four
# writers' server processes spent (/proc/PID/schedstat, so the script must
# run on the server's machine as its owner or root) over the transactions
# committed meanwhile: what a write costs its backend, without the client's
# share of the two cores; and, worker running, the worker's time per write.
#
# After each deferred run, readmodel.wait() and readmodel.verify() must
# find the model exact.
#
# usage: test/bench/deferred.sh [--cpu] [--products N] [--duration S] [--rounds R]
set -euo pipefail
cd "$(dirname "$0")/../.."

PRODUCTS=10000
DURATION=15
ROUNDS=3
CPU=0
while [ $# -gt 0 ]; do
    case "$1" in
        --cpu) CPU=1 ;;
        --products) PRODUCTS=$2; shift ;;
        --duration) DURATION=$2; shift ;;
        --rounds) ROUNDS=$2; shift ;;
        *) echo "usage: $0 [--cpu] [--products N] [--duration S] [--rounds R]" >&2; exit 2 ;;
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

# CPU nanoseconds the given processes have run, summed
cpu_ns() {
    local p total=0
    for p in "$@"; do total=$((total + $(cut -d' ' -f1 /proc/$p/schedstat))); done
    echo $total
}

commits() { psql -X -At -d postgres -c "SELECT xact_commit FROM pg_stat_database WHERE datname = '$DB'"; }

# extra pgbench options; prints "tps latency_ms writer_us_per_tx worker_us_per_tx"
run() {
    local writers worker c0 w0 x0 c1 w1 x1
    pgbench -n -c 4 -j 2 -T $((DURATION + 2)) "$@" -f "$dir/write.sql" $DB > "$dir/pgbench" 2>&1 &
    sleep 1
    writers=$(psql -X -At -d postgres -c "SELECT pid FROM pg_stat_activity
        WHERE datname = '$DB' AND application_name = 'pgbench'")
    worker=$(psql -X -At -d postgres -c "SELECT pid FROM pg_stat_activity
        WHERE datname = '$DB' AND backend_type = 'pg_readmodel deferred'")
    c0=$(cpu_ns $writers); w0=$(cpu_ns $worker); x0=$(commits)
    sleep "$DURATION"
    c1=$(cpu_ns $writers); w1=$(cpu_ns $worker); x1=$(commits)
    wait $!
    awk -v c=$((c1 - c0)) -v w=$((w1 - w0)) -v x=$((x1 - x0)) '
        /latency average/ { lat = $4 } /^tps/ { tps = $3 }
        END { printf "%s %s %.1f %.1f\n", tps, lat, c / 1000 / x, w / 1000 / x }' "$dir/pgbench"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

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

declare -A tps lat cpu wcpu
: > "$dir/rounds"
for round in $(seq 1 "$ROUNDS"); do
    for variant in bare commit deferred asleep; do
        setup ${variant/asleep/deferred} >/dev/null
        if [ $variant = asleep ]; then
            naptime "SET readmodel.deferred_naptime = 60000"
            read -r t l c w < <(run)
            queued=$(q -c "SELECT sum(queued_keys) FROM readmodel.freshness")
            naptime "RESET readmodel.deferred_naptime"
            t0=$(date +%s.%N)
            check_exact "worker asleep"
            drain=$(echo "$(date +%s.%N) - $t0" | bc)
            printf 'round %d asleep: %s keys queued; the worker drained them in %.1f s once awake (including up to 1 s to notice)\n' \
                "$round" "$queued" "$drain"
        else
            read -r t l c w < <(run)
            [ $variant = deferred ] && check_exact "full speed"
        fi
        echo "$round $variant $t $l $c $w" >> "$dir/rounds"
    done
done
for variant in bare commit deferred asleep; do
    tps[$variant]=$(awk -v v=$variant '$2 == v { print $3 }' "$dir/rounds" | median)
    lat[$variant]=$(awk -v v=$variant '$2 == v { print $4 }' "$dir/rounds" | median)
    cpu[$variant]=$(awk -v v=$variant '$2 == v { print $5 }' "$dir/rounds" | median)
    wcpu[$variant]=$(awk -v v=$variant '$2 == v { print $6 }' "$dir/rounds" | median)
done
# a variant's ratio to bare: the median over rounds of its ratio to the
# same round's bare run (rounds drift; pairs within a round do less)
ratio() {   # variant, column (4: latency, 5: writer CPU)
    awk -v v=$1 -v col=$2 '$2 == "bare" { b[$1] = $col } $2 == v { x[$1] = $col }
        END { for (r in x) print x[r] / b[r] }' "$dir/rounds" | median
}
echo "medians of $ROUNDS rounds (writer CPU: the 4 writers' server processes, microseconds per transaction; worker: the deferred worker's; ratios: median of each round's ratio to its bare run)"
printf '%-10s %8s %11s %10s %11s %10s %11s\n' variant tps "latency ms" "cost/bare" "writer CPU" "CPU/bare" "worker CPU"
for variant in bare commit deferred asleep; do
    printf '%-10s %8.0f %11s %10.2f %11.1f %10.2f %11.1f\n' $variant "${tps[$variant]}" "${lat[$variant]}" \
        "$(ratio $variant 4)" "${cpu[$variant]}" "$(ratio $variant 5)" "${wcpu[$variant]}"
done
echo "each round: tps, latency ms, writer CPU, worker CPU"
awk '{ printf "  round %d %-8s %8.0f %7.3f %7.1f %7.1f\n", $1, $2, $3, $4, $5, $6 }' "$dir/rounds"

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
read -r rate_tps rate_lat _ _ < <(run --rate 1000)
wait $sampler
check_exact "1,000 writes/s"
sort -n "$dir/lag" | awk -v tps="$rate_tps" '{ v[NR] = $1 } END {
    printf "at 1,000 writes/s (achieved %.0f tps): lag p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d samples)\n",
        tps, v[int(NR * 0.5) + 1], v[int(NR * 0.99) + 1], v[NR], NR }'
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
