#!/usr/bin/env bash
# test/bench/frozen.sh — a frozen build of one commit on a server of its own,
# for benchmark runs that the checkout's installs cannot change mid-run.
#
#   bash test/bench/frozen.sh build [COMMIT]   export COMMIT (default HEAD) with
#                                              git archive, build it, install it
#                                              into a private copy of PostgreSQL 15
#   bash test/bench/frozen.sh start            initdb (first time) and start the server
#   bash test/bench/frozen.sh stop | status
#   bash test/bench/frozen.sh env              print the PGHOST/PGPORT/PGUSER exports
#   bash test/bench/frozen.sh run [bench options ...]
#                                              start, then test/bench/run.sh --env-server
#   bash test/bench/frozen.sh destroy          stop and remove the copy and the cluster
#
# Layout (FROZEN_DIR, default /tmp/bench5505):
#   pg/usr/lib/postgresql/15, pg/usr/share/postgresql/15
#         a copy of the system's PostgreSQL 15 with the frozen pg_readmodel
#         installed into it (make install DESTDIR=...).  PostgreSQL finds
#         $libdir and its share directory relative to its own binary, so the
#         server started from the copy loads the frozen library and the
#         system-wide installation is neither read nor written.
#   data/ the cluster (initdb -A trust -U postgres); the socket is FROZEN_DIR
#         itself, port FROZEN_PORT (default 5505), no TCP listener,
#         shared_buffers=1GB, everything else at its default.
#   commit the commit that was built; log: the server log.
# The sources are exported to FROZEN_SRC (default /tmp/benchbuild).  As root,
# the server runs as the postgres OS user.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
DIR=${FROZEN_DIR:-/tmp/bench5505}
SRC=${FROZEN_SRC:-/tmp/benchbuild}
PORT=${FROZEN_PORT:-5505}
SYS_LIB=/usr/lib/postgresql/15
SYS_SHARE=/usr/share/postgresql/15
BIN=$DIR/pg$SYS_LIB/bin
MAKE=${MAKE:-make}

die() { echo "frozen.sh: $*" >&2; exit 2; }

# Run a PostgreSQL server program as the cluster's owner.
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        su postgres -s /bin/bash -c "$(printf '%q ' "$@")"
    else
        "$@"
    fi
}

running() { [ -d "$DIR/data" ] && as_owner "$BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; }

cmd_build() {
    local commit sha
    commit=${1:-HEAD}
    sha=$(git -C "$ROOT" rev-parse --verify "$commit^{commit}") || die "no commit $commit"
    [ -x "$SYS_LIB/bin/postgres" ] || die "PostgreSQL 15 is not installed in $SYS_LIB"
    if running; then
        die "the frozen server is running; stop it first (bash $0 stop)"
    fi
    rm -rf "$SRC" "$DIR/pg"
    mkdir -p "$SRC" "$DIR/pg/usr/lib/postgresql" "$DIR/pg/usr/share/postgresql"
    git -C "$ROOT" archive "$sha" | tar -x -C "$SRC"
    cp -a "$SYS_LIB" "$DIR/pg/usr/lib/postgresql/"
    cp -a "$SYS_SHARE" "$DIR/pg/usr/share/postgresql/"
    # built against the system's headers and pg_config, installed into the copy
    $MAKE --no-print-directory -C "$SRC" -j"$(nproc)" PG_CONFIG="$SYS_LIB/bin/pg_config" >"$DIR/build.log" 2>&1 ||
        { tail -20 "$DIR/build.log" >&2; die "build failed (log: $DIR/build.log)"; }
    $MAKE --no-print-directory -C "$SRC" install PG_CONFIG="$SYS_LIB/bin/pg_config" DESTDIR="$DIR/pg" \
        >>"$DIR/build.log" 2>&1 || { tail -20 "$DIR/build.log" >&2; die "install failed"; }
    [ -f "$DIR/pg$SYS_LIB/lib/pg_readmodel.so" ] || die "pg_readmodel.so was not installed into the copy"
    git -C "$ROOT" log -1 --format='%h %s' "$sha" >"$DIR/commit"
    chmod 755 "$DIR"
    echo "frozen.sh: built $(cat "$DIR/commit") into $DIR/pg"
}

cmd_start() {
    [ -x "$BIN/postgres" ] || die "no frozen build in $DIR (bash $0 build [COMMIT])"
    if running; then
        echo "frozen.sh: already running on port $PORT ($(cat "$DIR/commit"))"
        return
    fi
    if [ ! -d "$DIR/data" ]; then
        mkdir -p "$DIR/data"
        [ "$(id -u)" = 0 ] && chown postgres: "$DIR" "$DIR/data"
        as_owner "$BIN/initdb" -A trust -U postgres -D "$DIR/data" >"$DIR/initdb.log" 2>&1 ||
            { cat "$DIR/initdb.log" >&2; die "initdb failed"; }
    fi
    [ "$(id -u)" = 0 ] && chown postgres: "$DIR"
    as_owner "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w \
        -o "-p $PORT -k $DIR -c listen_addresses='' -c shared_buffers=1GB" start >/dev/null ||
        { tail -20 "$DIR/log" >&2; die "the server did not start"; }
    echo "frozen.sh: started on port $PORT, socket $DIR ($(cat "$DIR/commit"))"
}

cmd_stop() {
    if running; then
        as_owner "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null
        echo "frozen.sh: stopped"
    fi
}

cmd_env() {
    echo "export PGHOST=$DIR PGPORT=$PORT PGUSER=postgres PGDATABASE=postgres"
}

case ${1:-} in
build) shift; cmd_build "$@" ;;
start) cmd_start ;;
stop) cmd_stop ;;
status)
    if running; then echo "running on port $PORT ($(cat "$DIR/commit"))"; else echo "not running"; exit 1; fi ;;
env) cmd_env ;;
run)
    shift
    cmd_start
    PGHOST=$DIR PGPORT=$PORT PGUSER=postgres exec bash "$ROOT/test/bench/run.sh" --env-server "$@" ;;
destroy)
    cmd_stop
    rm -rf "$DIR" "$SRC" ;;
*)
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2 ;;
esac
