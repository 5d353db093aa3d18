#!/usr/bin/env bash
# test/demo.sh — what `make demo` does: build and install the extension, start
# the private cluster, run demo/demo.sql in a fresh database readmodel_demo,
# stop the cluster.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT"

bash test/build.sh

trap 'bash test/cluster.sh stop' EXIT
bash test/cluster.sh start
eval "$(bash test/cluster.sh env)"

PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -d postgres \
    -c "DROP DATABASE IF EXISTS readmodel_demo WITH (FORCE)" \
    -c "CREATE DATABASE readmodel_demo"

echo
echo "==== demo/demo.sql in database readmodel_demo ===="
psql -X -v ON_ERROR_STOP=1 --echo-all --pset=pager=off -d readmodel_demo -f demo/demo.sql
bash test/cluster.sh stop
trap - EXIT
echo
echo "demo: finished.  The database readmodel_demo stays in the cluster; to look at it:"
echo "    make cluster-start && eval \"\$(bash test/cluster.sh env)\" && psql -d readmodel_demo"
