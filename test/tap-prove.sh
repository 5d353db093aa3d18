#!/usr/bin/env bash
# test/tap-prove.sh — the PROVE program of `make test-tap` when make runs as
# root.  initdb refuses to run as root, so PostgreSQL::Test::Cluster cannot
# create clusters; this hands tmp_check/ (just made by PGXS's
# prove_installcheck) to the postgres OS user and runs prove as that user
# with the environment prove_installcheck set up (TESTDIR, PATH, PGPORT,
# PG_REGRESS, ...).  As any other user the Makefile runs prove directly.
set -euo pipefail

PROVE_BIN=${PROVE_BIN:-/usr/bin/prove}
SERVER_USER=${TAP_SERVER_USER:-postgres}

if [ "$(id -u)" -ne 0 ]; then
    exec "$PROVE_BIN" "$@"
fi

RUNUSER=$(command -v runuser || echo /usr/sbin/runuser)
: "${TESTDIR:?TESTDIR is not set: run this through make test-tap}"

if ! id -u "$SERVER_USER" >/dev/null 2>&1; then
    echo "tap: running as root needs the OS user $SERVER_USER (initdb refuses root)" >&2
    exit 1
fi
if ! "$RUNUSER" -u "$SERVER_USER" -- test -r "$PWD/t" -a -x "$PWD/t"; then
    echo "tap: the OS user $SERVER_USER cannot read $PWD/t; run make test-tap as" \
        "an ordinary user, or from a checkout $SERVER_USER can read" >&2
    exit 1
fi

mkdir -p "$TESTDIR/tmp_check"
chown -R "$SERVER_USER": "$TESTDIR/tmp_check"
# -p keeps the whole environment (PATH with the server's bindir first, TESTDIR,
# PGPORT, PG_REGRESS, PG_TEST_* settings); HOME stays root's, which nothing in
# the tests writes to.
exec "$RUNUSER" -p -u "$SERVER_USER" -- "$PROVE_BIN" "$@"
