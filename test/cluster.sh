#!/usr/bin/env bash
# test/cluster.sh — a private, throw-away PostgreSQL 15 cluster for this checkout.
#
#   bash test/cluster.sh start     init (first time) and start; idempotent
#   bash test/cluster.sh stop      stop; safe to call at any time, even after a failed start
#   bash test/cluster.sh status    exit 0 when running, 3 when not
#   bash test/cluster.sh env       print export lines:  eval "$(bash test/cluster.sh env)"
#   bash test/cluster.sh run CMD…  start if needed, then run CMD with that environment
#   bash test/cluster.sh destroy   stop and delete the data directory
#
# Layout: data in .pgdata/, Unix socket in .pgsock/, server log in .pglog, all in
# the checkout.  No TCP (listen_addresses='').  When run as root the server runs as
# the `postgres` OS user; if that user cannot reach the checkout (e.g. under
# /root), the three live in /tmp/pg_readmodel-<hash of checkout path>/ and the
# checkout gets symlinks to them.
#
# Environment: PGPORT (default 5499), READMODEL_PRELOAD=1 to add
# shared_preload_libraries='pg_readmodel' (a running cluster is restarted when
# its settings change), PGBIN (default /usr/lib/postgresql/15/bin).
set -euo pipefail

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
PORT=${PGPORT:-5499}
PRELOAD=${READMODEL_PRELOAD:-0}
PG_MAJOR=15

die() { echo "cluster.sh: $*" >&2; exit 1; }
say() { echo "cluster.sh: $*"; }

if [ "$(id -u)" -eq 0 ]; then
    SERVER_USER=postgres
    RUNUSER=$(command -v runuser || echo /usr/sbin/runuser)
else
    SERVER_USER=$(id -un)
fi

# Run a server-side tool (initdb, pg_ctl) as the server's OS user, from a
# directory that user can read.
as_server() {
    if [ "$(id -u)" -eq 0 ]; then
        (cd / && "$RUNUSER" -u "$SERVER_USER" -- "$@")
    else
        (cd / && "$@")
    fi
}

server_user_exists() { id -u "$SERVER_USER" >/dev/null 2>&1; }

# Work out where data, socket and log live.  No side effects.
layout() {
    local hash
    hash=$(printf '%s' "$ROOT" | md5sum | cut -c1-12)
    ALT=/tmp/pg_readmodel-$hash
    MODE=checkout
    if [ "$(id -u)" -eq 0 ]; then
        if ! server_user_exists || ! "$RUNUSER" -u "$SERVER_USER" -- test -x "$ROOT" 2>/dev/null; then
            MODE=tmp
        fi
    fi
    if [ "$MODE" = tmp ]; then
        DATA=$ALT/data SOCK=$ALT/sock LOG=$ALT/log
    else
        DATA=$ROOT/.pgdata SOCK=$ROOT/.pgsock LOG=$ROOT/.pglog
        # Unix socket paths are limited to ~107 bytes.
        if [ $(( ${#SOCK} + ${#PORT} + 12 )) -gt 100 ]; then
            SOCK=$ALT/sock
        fi
    fi
}

# In checkout mode a .pgdata symlink is left over from another layout (or
# copied from another checkout): it is not ours to use.
data_is_ours() {
    [ "$MODE" = tmp ] || [ ! -L "$DATA" ]
}

postmaster_pid() {
    local f=$DATA/postmaster.pid
    [ -f "$f" ] && head -n1 "$f" 2>/dev/null | tr -dc '0-9'
}

is_running() {
    data_is_ours || return 1
    [ -f "$DATA/PG_VERSION" ] || return 1
    server_user_exists || return 1
    [ -x "$PGBIN/pg_ctl" ] || return 1
    as_server "$PGBIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

settings() {
    cat <<EOF
# Written by test/cluster.sh on every start; edits here are overwritten.
port = $PORT
listen_addresses = ''
unix_socket_directories = '$SOCK'
max_prepared_transactions = 10
fsync = off
synchronous_commit = off
full_page_writes = off
log_line_prefix = '%m [%p] %q%u@%d '
EOF
    if [ "$PRELOAD" = 1 ]; then
        echo "shared_preload_libraries = 'pg_readmodel'"
    fi
}

# Make a path that belongs to the server user (root only).
give() {
    if [ "$(id -u)" -eq 0 ]; then chown "$SERVER_USER": "$@"; fi
}

link_into_checkout() {   # name target
    local link=$ROOT/$1 target=$2
    if [ -L "$link" ]; then
        [ "$(readlink "$link")" = "$target" ] && return 0
        rm -f "$link"
    elif [ -e "$link" ]; then
        rm -rf "$link"          # scratch state from another layout
    fi
    ln -s "$target" "$link"
}

drop_stale_links() {
    local n
    for n in .pgdata .pgsock .pglog; do
        if [ -L "$ROOT/$n" ]; then rm -f "$ROOT/$n"; fi
    done
}

prepare_dirs() {
    if [ "$MODE" = tmp ] || [ "${SOCK#"$ALT"}" != "$SOCK" ]; then
        if [ -e "$ALT" ] && [ ! -O "$ALT" ] && [ "$(stat -c %U "$ALT")" != "$SERVER_USER" ]; then
            die "$ALT exists and belongs to $(stat -c %U "$ALT"); remove it"
        fi
        mkdir -p "$ALT"
        chmod 755 "$ALT"
        give "$ALT"
    fi
    if [ "$MODE" = tmp ]; then
        link_into_checkout .pgdata "$DATA"
        link_into_checkout .pgsock "$SOCK"
        link_into_checkout .pglog "$LOG"
    else
        drop_stale_links
        if [ "${SOCK#"$ALT"}" != "$SOCK" ]; then link_into_checkout .pgsock "$SOCK"; fi
    fi
    mkdir -p "$SOCK"
    chmod 755 "$SOCK"
    give "$SOCK"
    touch "$LOG"
    give "$LOG"
}

init_data() {
    # Anything that is not a complete cluster of ours is scratch: start over.
    if [ -e "$DATA" ]; then
        local why=""
        if [ ! -f "$DATA/PG_VERSION" ]; then
            why="incomplete (no PG_VERSION)"
        elif [ "$(cat "$DATA/PG_VERSION")" != "$PG_MAJOR" ]; then
            why="made by another PostgreSQL version"
        elif [ "$(stat -c %U "$DATA")" != "$SERVER_USER" ]; then
            why="owned by $(stat -c %U "$DATA"), not $SERVER_USER"
        elif [ ! -f "$DATA/readmodel.conf" ]; then
            why="not made by this script"
        fi
        if [ -n "$why" ]; then
            say "data directory $DATA is $why; recreating it"
            rm -rf "$DATA"
        fi
    fi
    [ -f "$DATA/PG_VERSION" ] && return 0

    say "initdb $DATA"
    mkdir -p "$DATA"
    chmod 700 "$DATA"
    give "$DATA"
    local out
    out=$(mktemp)
    if ! as_server "$PGBIN/initdb" -D "$DATA" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$out" 2>&1; then
        cat "$out" >&2
        rm -f "$out"
        die "initdb failed"
    fi
    rm -f "$out"
    echo "include_if_exists = 'readmodel.conf'" >>"$DATA/postgresql.conf"
    settings >"$DATA/readmodel.conf"
    give "$DATA/readmodel.conf"
}

cmd_start() {
    layout
    if [ ! -x "$PGBIN/initdb" ] || [ ! -x "$PGBIN/pg_ctl" ]; then
        die "PostgreSQL $PG_MAJOR server binaries not found in $PGBIN; run: make deps"
    fi
    server_user_exists || die "OS user '$SERVER_USER' does not exist; run: make deps"
    [ "$(id -u)" -eq 0 ] || [ "$MODE" = checkout ] || die "internal: tmp layout without root"

    local wanted
    wanted=$(settings)
    if is_running; then
        if [ "$wanted" = "$(cat "$DATA/readmodel.conf" 2>/dev/null)" ]; then
            say "already running (socket $SOCK, port $PORT, preload=$PRELOAD)"
            return 0
        fi
        say "settings changed; restarting"
        as_server "$PGBIN/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >/dev/null
    fi

    prepare_dirs
    init_data
    printf '%s\n' "$wanted" >"$DATA/readmodel.conf"
    give "$DATA/readmodel.conf"

    if ! as_server "$PGBIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start >/dev/null; then
        echo "---- last lines of $LOG ----" >&2
        tail -n 30 "$LOG" >&2 || true
        die "server did not start"
    fi
    say "started (data $DATA, socket $SOCK, port $PORT, preload=$PRELOAD)"
}

cmd_stop() {
    layout
    if ! data_is_ours || [ ! -d "$DATA" ]; then
        say "not running (no data directory)"
        return 0
    fi
    local was=""
    if is_running; then
        was=1
        if ! as_server "$PGBIN/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >/dev/null; then
            say "fast shutdown failed; trying immediate"
            as_server "$PGBIN/pg_ctl" -D "$DATA" -m immediate -w -t 30 stop >/dev/null || true
        fi
    fi
    # A postmaster that pg_ctl cannot see (half-done start): stop it by pid,
    # but only if it really is a postgres running on this data directory.
    local pid
    pid=$(postmaster_pid || true)
    if [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] &&
        tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "-D $DATA"; then
        was=1
        kill -TERM "$pid" 2>/dev/null || true
        local _
        for _ in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.2
        done
    fi
    if [ -n "$was" ]; then say "stopped"; else say "not running"; fi
}

cmd_status() {
    layout
    if is_running; then
        say "running (data $DATA, socket $SOCK, port $(awk -F' = ' '/^port/{print $2}' "$DATA/readmodel.conf"))"
        return 0
    fi
    say "not running (data $DATA)"
    return 3
}

cmd_env() {
    layout
    printf 'export PGHOST=%q\n' "$SOCK"
    printf 'export PGPORT=%q\n' "$PORT"
    printf 'export PGUSER=postgres\n'
    printf 'export PGDATABASE=postgres\n'
}

cmd_destroy() {
    cmd_stop
    layout
    if data_is_ours && [ -e "$DATA" ]; then rm -rf "$DATA"; fi
    drop_stale_links
    if [ -d "$ALT" ]; then rm -rf "$ALT"; fi
    rm -rf "$ROOT/.pgsock" "$ROOT/.pglog" "$ROOT/.pgdata"
    say "destroyed"
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
env) cmd_env ;;
run)
    shift
    [ $# -gt 0 ] || die "usage: $0 run COMMAND [ARGS...]"
    cmd_start >&2
    eval "$(cmd_env)"
    exec "$@"
    ;;
destroy) cmd_destroy ;;
*)
    echo "usage: $0 start|stop|status|env|run CMD...|destroy" >&2
    exit 2
    ;;
esac
