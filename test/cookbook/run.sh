#!/usr/bin/env bash
# test/cookbook/run.sh — run the cookbook's examples (test/cookbook/cookbook.sql,
# shown in docs/cookbook.md) against the cluster the PG* variables name:
#
#   make test-cookbook                                  # the private cluster
#   eval "$(bash test/cluster.sh env)"; bash test/cookbook/run.sh
#
# The script makes and drops the database readmodel_cookbook.  On success this
# prints the summary line; COOKBOOK_VERBOSE=1 prints every check (and the full
# text of every refusal).  On failure it prints the whole output, whose last
# error says which recipe failed ("COOKBOOK FAIL: [A3] ..."), and exits 1.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
command -v psql >/dev/null || { echo "cookbook: psql not found" >&2; exit 1; }

log=$(mktemp)
trap 'rm -f "$log"' EXIT
if psql -X -q -v ON_ERROR_STOP=1 -d "${PGDATABASE:-postgres}" -f "$HERE/cookbook.sql" >"$log" 2>&1; then
    if [ "${COOKBOOK_VERBOSE:-0}" = 1 ]; then cat "$log"; fi
    grep '^ok \[summary\]' "$log" | sed 's/^ok \[summary\] /cookbook: /'
    exit 0
fi
cat "$log"
echo "cookbook: FAILED (see the last ERROR above)" >&2
exit 1
