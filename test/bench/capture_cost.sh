#!/usr/bin/env bash
# The cost of capturing changes, by trigger kind (issue 11: "row-level
# capture ... choose by measurement").  With pgbench, against the server that
# PGHOST/PGPORT name (default: the private cluster), in database
# readmodel_capture:
#
#   bare       UPDATE of one row (or of 1,000) of a table without triggers
#   statement  the same with an AFTER UPDATE ... FOR EACH STATEMENT trigger
#              with transition tables (how pg_readmodel captures)
#   row        the same with an AFTER UPDATE ... FOR EACH ROW trigger
#   readmodel  the same on a table a read model reads, updating a column it
#              does not read (the whole capture path, nothing queued)
#
# The two trigger functions are the same PL/pgSQL no-op, so the difference
# between "statement" and "row" is the trigger machinery: transition tables
# against the per-row event queue and calls.  Each variant runs DURATION
# seconds (default 10), twice, interleaved; the latency averages are printed.
#
# usage: test/bench/capture_cost.sh [--cpu] [--duration S]
#   --cpu   fsync, synchronous_commit and full_page_writes off for the run
#           (ALTER SYSTEM, reset at the end)
set -euo pipefail
cd "$(dirname "$0")/../.."

DURATION=10
CPU=0
while [ $# -gt 0 ]; do
    case "$1" in
        --cpu) CPU=1 ;;
        --duration) DURATION=$2; shift ;;
        *) echo "usage: $0 [--cpu] [--duration S]" >&2; exit 2 ;;
    esac
    shift
done

. test/bench/server.sh
DB=readmodel_capture
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

if [ $CPU = 1 ]; then
    bench_settings SET "= off"
    trap 'bench_settings RESET ""; rm -rf "$WORK"' EXIT
fi

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
psql -X -q -d $DB -v ON_ERROR_STOP=1 <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION pg_readmodel;
CREATE FUNCTION noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE TABLE t_bare (pk int PRIMARY KEY, a int, b int);
CREATE TABLE t_statement (LIKE t_bare INCLUDING ALL);
CREATE TABLE t_row (LIKE t_bare INCLUDING ALL);
CREATE TABLE t_readmodel (LIKE t_bare INCLUDING ALL);
INSERT INTO t_bare SELECT g, g, g FROM generate_series(1, 100000) g;
INSERT INTO t_statement SELECT * FROM t_bare;
INSERT INTO t_row SELECT * FROM t_bare;
INSERT INTO t_readmodel SELECT * FROM t_bare;
CREATE TRIGGER noop_statement AFTER UPDATE ON t_statement
    REFERENCING OLD TABLE AS o NEW TABLE AS n FOR EACH STATEMENT EXECUTE FUNCTION noop();
CREATE TRIGGER noop_row AFTER UPDATE ON t_row FOR EACH ROW EXECUTE FUNCTION noop();
DO $$ BEGIN PERFORM readmodel.create('tv_readmodel', 'SELECT t.pk, t.a FROM t_readmodel t'); END $$;
VACUUM ANALYZE;
SQL

for v in bare statement row readmodel; do
    printf '\\set k random(1, 99000)\nUPDATE t_%s SET b = b + 1 WHERE pk = :k;\n' $v > "$WORK/one_$v.sql"
    printf '\\set k random(1, 99000)\nUPDATE t_%s SET b = b + 1 WHERE pk BETWEEN :k AND :k + 999;\n' $v > "$WORK/batch_$v.sql"
done

latency() {
    pgbench -n -d $DB -f "$1" -T "$DURATION" 2>&1 |
        sed -n 's/^latency average = \([0-9.]*\) ms$/\1/p'
}

echo "capture cost: duration ${DURATION}s per run, cpu-bound=$CPU," \
     "$(psql -X -At -d $DB -c 'SHOW server_version')"
printf '%-10s %-10s %12s %12s\n' rows variant "run 1 (ms)" "run 2 (ms)"
for kind in one batch; do
    declare -A first=()
    for v in bare statement row readmodel; do first[$v]=$(latency "$WORK/${kind}_$v.sql"); done
    for v in readmodel row statement bare; do
        second=$(latency "$WORK/${kind}_$v.sql")
        printf '%-10s %-10s %12s %12s\n' "$kind" "$v" "${first[$v]}" "$second"
    done
    unset first
done
psql -X -q -d postgres -c "DROP DATABASE $DB"
