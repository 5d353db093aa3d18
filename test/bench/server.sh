# test/bench/server.sh — sourced by the shell benchmarks (capture_cost.sh,
# bulk_load.sh): the server PGHOST/PGPORT name, else the private cluster,
# and the switch to CPU-bound settings.

if [ -z "${PGHOST:-}" ]; then
    eval "$(bash test/cluster.sh env)"
fi

# ALTER SYSTEM SET (or RESET) fsync, synchronous_commit, full_page_writes.
bench_settings() {
    for s in fsync synchronous_commit full_page_writes; do
        psql -X -q -d postgres -c "ALTER SYSTEM $1 $s $2" >/dev/null
    done
    psql -X -q -d postgres -c "SELECT pg_reload_conf()" >/dev/null
}
