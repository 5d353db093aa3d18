#!/usr/bin/env bash
# test/pgtap.sh — run every test/pgtap/*.sql with pg_prove against the
# private cluster of test/cluster.sh (started if it is not running; left
# running).  Used by `make test-pgtap`.
#
# Each file runs in its own fresh database `readmodel_pgtap`, created from a
# template that has only the pgtap extension: a test file does its own
# CREATE EXTENSION pg_readmodel and may commit freely.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT"

shopt -s nullglob
files=(test/pgtap/*.sql)
if [ ${#files[@]} -eq 0 ]; then
    echo "pgtap: no tests in test/pgtap/ yet; skipping"
    exit 0
fi

command -v pg_prove >/dev/null || { echo "pgtap: pg_prove not found; run: make deps" >&2; exit 1; }
bash test/cluster.sh start
eval "$(bash test/cluster.sh env)"

TPL=readmodel_pgtap_template
DB=readmodel_pgtap
psql() { PGOPTIONS="-c client_min_messages=warning" command psql -X -q -v ON_ERROR_STOP=1 -d postgres "$@"; }

psql -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "DROP DATABASE IF EXISTS $TPL WITH (FORCE)"
psql -c "CREATE DATABASE $TPL"
psql -d "$TPL" -c "CREATE EXTENSION pgtap"

failed=()
for f in "${files[@]}"; do
    psql -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB TEMPLATE $TPL"
    if ! pg_prove --dbname "$DB" "$f"; then
        failed+=("$f")
    fi
done

echo "pgtap: $(( ${#files[@]} - ${#failed[@]} )) of ${#files[@]} files passed"
if [ ${#failed[@]} -ne 0 ]; then
    printf 'pgtap: FAILED %s\n' "${failed[@]}"
    exit 1
fi
