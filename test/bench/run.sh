#!/usr/bin/env bash
# test/bench/run.sh — build test/bench/bench and run it (`make bench`).
#
#   bash test/bench/run.sh [--install] [--env-server] [bench options ...]
#
#   --install      first run test/build.sh: install missing Debian packages,
#                  build pg_readmodel and install it (what `make test` does)
#   --env-server   use the server that the libpq environment (PGHOST, PGPORT,
#                  PGUSER) names, instead of the checkout's private cluster
#
# Every other argument goes to ./bench (`test/bench/bench --help`), e.g.
#   bash test/bench/run.sh --scales 1000,10000,100000 --refresh-budget 30
# By default bench runs everything twice, CPU-bound and durable
# (--settings cpu,durable): it switches fsync, synchronous_commit and
# full_page_writes with ALTER SYSTEM and pg_reload_conf() and puts them back
# at exit.  For numbers from a build that cannot change mid-run, on a server
# of its own, see test/bench/frozen.sh.
#
# Server: by default the private cluster of this checkout.  If it is not
# running, it is started with `bash test/cluster.sh start` (PGPORT and
# READMODEL_PRELOAD apply as for the other targets), used through
# `eval "$(bash test/cluster.sh env)"` and stopped again at the end.  If it is
# already running it is used as it is, on its own port, and left running
# (`cluster.sh start` would restart it when the environment's port or preload
# setting differs).  The benchmark drops and recreates database
# readmodel_bench there (and switches the settings above, on the server).
#
# Output: the human-readable tables on stdout, also saved with the CSV and
# Markdown versions in test/bench/results/ (bench.log, bench.csv, bench.md)
# unless --csv / --markdown are given.  Exit status: bench's (0 ok, 1 a
# correctness check failed, 2 error).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
BENCH_DIR=$ROOT/test/bench
MAKE=${MAKE:-make}

die() { echo "bench/run.sh: $*" >&2; exit 2; }

INSTALL=0
ENV_SERVER=0
ARGS=()
HAVE_CSV=0
HAVE_MD=0
for a in "$@"; do
    case $a in
    --install) INSTALL=1 ;;
    --env-server) ENV_SERVER=1 ;;
    *)
        [ "$a" = --csv ] && HAVE_CSV=1
        [ "$a" = --markdown ] && HAVE_MD=1
        ARGS+=("$a") ;;
    esac
done

if [ "$INSTALL" = 1 ]; then
    MAKE=$MAKE bash "$ROOT/test/build.sh"
fi

if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
    echo "bench/run.sh: checkout $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- src sql 2>/dev/null || echo ' (src/ or sql/ modified)')"
fi
echo "bench/run.sh: building $BENCH_DIR/bench"
$MAKE --no-print-directory -C "$BENCH_DIR" bench

# ---- server -------------------------------------------------------------
STARTED_CLUSTER=0
cleanup() {
    if [ "$STARTED_CLUSTER" = 1 ]; then
        bash "$ROOT/test/cluster.sh" stop >&2 || true
    fi
}
trap cleanup EXIT

if [ "$ENV_SERVER" = 1 ]; then
    echo "bench/run.sh: using the server of the environment (${PGHOST:-<default socket>}:${PGPORT:-5432})"
elif STATUS=$(bash "$ROOT/test/cluster.sh" status 2>/dev/null); then
    # Already running: use it as it is.  `cluster.sh start` would restart it
    # if its port or preload setting differs from this environment's, which
    # would cut off whoever else is using it.
    RUNNING_PORT=$(sed -n 's/.* port \([0-9][0-9]*\)).*/\1/p' <<<"$STATUS")
    [ -n "$RUNNING_PORT" ] || die "cannot tell the running private cluster's port from: $STATUS"
    echo "bench/run.sh: the private cluster is already running (port $RUNNING_PORT); using it as it is"
    eval "$(PGPORT=$RUNNING_PORT bash "$ROOT/test/cluster.sh" env)"
else
    STARTED_CLUSTER=1
    bash "$ROOT/test/cluster.sh" start
    eval "$(bash "$ROOT/test/cluster.sh" env)"
fi
export PGUSER=${PGUSER:-postgres}

# ---- run ----------------------------------------------------------------
OUT=$BENCH_DIR/results
mkdir -p "$OUT"
[ "$HAVE_CSV" = 1 ] || ARGS+=(--csv "$OUT/bench.csv")
[ "$HAVE_MD" = 1 ] || ARGS+=(--markdown "$OUT/bench.md")

set +e
"$BENCH_DIR/bench" "${ARGS[@]}" 2>&1 | tee "$OUT/bench.log"
rc=${PIPESTATUS[0]}
set -e
echo "bench/run.sh: exit status $rc; output in $OUT/"
exit "$rc"
