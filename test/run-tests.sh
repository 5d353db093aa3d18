#!/usr/bin/env bash
# test/run-tests.sh — what `make test` does:
#   deps, build, install, start the private cluster, run every suite, stop the
#   cluster (always), print a summary, exit non-zero if anything failed.
#
# Suites: regress (pg_regress), isolation (pg_isolation_regress), pgtap
# (pg_prove), security (test/security), corpus (test/corpus), cookbook
# (the examples of docs/cookbook.md, test/cookbook), fuzz
# (test/fuzz, the definition fuzzer), difftest
# (test/difftest), tap (prove over t/*.pl), demo
# (demo/demo.sql runs cleanly and verify() finds nothing).  A suite with no
# tests yet is reported as skipped.
#
# Environment:
#   READMODEL_PRELOAD=1    run the cluster with shared_preload_libraries='pg_readmodel'
#   TEST_PRELOAD_MODES     preload settings to run regress and isolation under,
#                          e.g. "0 1" for both; default: $READMODEL_PRELOAD (0)
#   MAKE                   the make program (the Makefile passes its own)
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT" || exit 1
MAKE=${MAKE:-make}
export READMODEL_PRELOAD=${READMODEL_PRELOAD:-0}
BASE_PRELOAD=$READMODEL_PRELOAD
MODES=${TEST_PRELOAD_MODES:-$BASE_PRELOAD}

names=()
results=()
record() { names+=("$1"); results+=("$2"); }
banner() { printf '\n==== %s ====\n' "$*"; }

summary() {
    local i pass=0 fail=0 skip=0
    banner "summary"
    for i in "${!names[@]}"; do
        printf '%-5s %s\n' "${results[$i]}" "${names[$i]}"
        case "${results[$i]}" in
        PASS) pass=$((pass + 1)) ;;
        FAIL) fail=$((fail + 1)) ;;
        *) skip=$((skip + 1)) ;;
        esac
    done
    [ "$skip" -eq 0 ] || echo "($skip suite(s) skipped: no tests yet)"
    echo "$pass passed, $fail failed"
    [ "$fail" -eq 0 ]
}

cluster_up=""
stop_cluster() {
    if [ -n "$cluster_up" ]; then
        cluster_up=""
        bash test/cluster.sh stop || true
    fi
}
trap stop_cluster EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM

# Setup failures end the run: nothing can be tested without a build and a server.
setup_failed() {
    record "$1" FAIL
    stop_cluster
    echo "test: $1 failed; no test suite was run" >&2
    summary
    exit 1
}

show_file() {   # file [lines]
    if [ -s "$1" ]; then
        echo "---- $1 (first ${2:-300} lines) ----"
        head -n "${2:-300}" "$1"
    fi
}

make_var() { $MAKE -s --no-print-directory "print-$1" 2>/dev/null; }

banner "deps, build, install"
bash test/build.sh || setup_failed "build/install"

banner "cluster start"
cluster_up=1
bash test/cluster.sh start || setup_failed "cluster start"
eval "$(bash test/cluster.sh env)"

for mode in $MODES; do
    export READMODEL_PRELOAD=$mode
    sfx=""
    [ "$mode" != 1 ] || sfx=" (preloaded)"

    if [ -z "$(make_var REGRESS)" ]; then
        record "regress$sfx" SKIP
    else
        banner "regress$sfx: make test-regress ISOLATION="
        rm -f regression.diffs
        if $MAKE --no-print-directory test-regress ISOLATION=; then
            record "regress$sfx" PASS
        else
            record "regress$sfx" FAIL
            show_file regression.diffs
        fi
    fi

    if [ -z "$(make_var ISOLATION)" ]; then
        record "isolation$sfx" SKIP
    else
        banner "isolation$sfx: make test-isolation"
        rm -f test/isolation/regression.diffs
        if $MAKE --no-print-directory test-isolation; then
            record "isolation$sfx" PASS
        else
            record "isolation$sfx" FAIL
            show_file test/isolation/regression.diffs
        fi
    fi
done
export READMODEL_PRELOAD=$BASE_PRELOAD

shopt -s nullglob
pgtap_files=(test/pgtap/*.sql)
shopt -u nullglob
if [ ${#pgtap_files[@]} -eq 0 ]; then
    record pgtap SKIP
else
    banner "pgtap: make test-pgtap"
    if $MAKE --no-print-directory test-pgtap; then record pgtap PASS; else record pgtap FAIL; fi
fi

banner "security: make test-security"
rm -f test/security/regression.diffs
if $MAKE --no-print-directory test-security; then
    record security PASS
else
    record security FAIL
    show_file test/security/regression.diffs
fi

banner "corpus: make test-corpus"
corpus_log=$(mktemp)
if $MAKE --no-print-directory test-corpus >"$corpus_log" 2>&1; then
    record corpus PASS
    grep 'shapes:' "$corpus_log"
else
    record corpus FAIL
    tail -n 80 "$corpus_log"
fi
rm -f "$corpus_log"

banner "cookbook: make test-cookbook"
cookbook_log=$(mktemp)
if $MAKE --no-print-directory test-cookbook >"$cookbook_log" 2>&1; then
    record cookbook PASS
    grep 'recipes' "$cookbook_log"
else
    record cookbook FAIL
    tail -n 60 "$cookbook_log"
fi
rm -f "$cookbook_log"

banner "fuzz: make test-fuzz (self-test, then a short pass of the definition fuzzer)"
fuzz_log=$(mktemp)
if $MAKE --no-print-directory test-fuzz >"$fuzz_log" 2>&1; then
    record fuzz PASS
    tail -n 12 "$fuzz_log"
else
    record fuzz FAIL
    tail -n 120 "$fuzz_log"
fi
rm -f "$fuzz_log"

if [ ! -f test/difftest/Makefile ]; then
    record difftest SKIP
else
    banner "difftest: make test-difftest"
    if $MAKE --no-print-directory test-difftest; then record difftest PASS; else record difftest FAIL; fi
fi

# TAP tests (t/*.pl, PostgreSQL::Test::Cluster): crash during apply,
# immediate stop, two-phase commit, streaming standby, preloading, CREATE
# TABLE AS, pg_dump / restore, a logical-replication subscriber.  They make
# their own clusters under tmp_check/; the private cluster is not used.
shopt -s nullglob
tap_files=(t/*.pl)
shopt -u nullglob
if [ ${#tap_files[@]} -eq 0 ]; then
    record tap SKIP
else
    banner "tap: make test-tap"
    if $MAKE --no-print-directory test-tap; then
        record tap PASS
    else
        record tap FAIL
        # the failed assertions, with what was expected and got
        grep -h -A8 '^\[[0-9:.]*\]([0-9.]*s) not ok' tmp_check/log/regress_log_* 2>/dev/null | head -n 200
        echo "tap: logs of each test and its clusters are in tmp_check/log/"
    fi
fi

banner "demo: demo/demo.sql in a fresh database, then verify()"
demo_log=$(mktemp)
demo_ok=""
if bash test/cluster.sh start >/dev/null &&
    PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -d postgres \
        -c "DROP DATABASE IF EXISTS readmodel_demo_check WITH (FORCE)" \
        -c "CREATE DATABASE readmodel_demo_check" &&
    psql -X -q -v ON_ERROR_STOP=1 -d readmodel_demo_check -f demo/demo.sql >"$demo_log" 2>&1; then
    out_of_sync=$(psql -X -At -v ON_ERROR_STOP=1 -d readmodel_demo_check -c \
        "SELECT count(*) FROM readmodel.models m, LATERAL readmodel.verify(m.name::text) v" 2>&1)
    if [ "$out_of_sync" = 0 ]; then
        demo_ok=1
        echo "demo ran; verify() finds every model in sync"
    else
        echo "demo ran, but verify() over readmodel.models returned: $out_of_sync"
    fi
else
    echo "demo/demo.sql failed; last lines of its output:"
    tail -n 40 "$demo_log"
fi
rm -f "$demo_log"
if [ -n "$demo_ok" ]; then record demo PASS; else record demo FAIL; fi

banner "cluster stop"
stop_cluster
summary
