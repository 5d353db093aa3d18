#!/usr/bin/env bash
# test/corpus/run.sh — run the definition corpus against a PostgreSQL 15
# cluster that has pg_readmodel installed, and print a summary.
#
#   eval "$(PGPORT=5513 bash test/cluster.sh env)"   # or any PG* settings
#   bash test/corpus/run.sh
#
# The cluster is the one the PG* environment variables name.  The run uses
# a fresh database (CORPUS_DB, default pg_readmodel_corpus, dropped and
# created again), loads schema.sql and harness.sql, then for every entry of
# shapes.sql: declares it (corpus_try), runs cycle.sql (the write script
# and the check) and reloads the seed.
#
# Environment:
#   CORPUS_DB      database name (default pg_readmodel_corpus)
#   CORPUS_KEEP=1  keep the database afterwards (default: keep it too; set
#                  CORPUS_KEEP=0 to drop it at the end)
#   CORPUS_ONLY    a regular expression: only the shapes whose name matches
#   CORPUS_MD      also write the summary as a Markdown table to this file
#   CORPUS_LOG     keep the psql output of the run in this file
#
# Exit status: 0 when the run completed (whatever the findings), 1 when the
# run itself failed.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
DB=${CORPUS_DB:-pg_readmodel_corpus}
KEEP=${CORPUS_KEEP:-1}
ONLY=${CORPUS_ONLY:-}
MD=${CORPUS_MD:-}
PSQL=(psql -X -q -v ON_ERROR_STOP=1)

die() { echo "corpus: $*" >&2; exit 1; }

command -v psql >/dev/null || die "psql not found"
"${PSQL[@]}" -d "${PGDATABASE:-postgres}" -c "SELECT 1" >/dev/null 2>&1 \
    || die "cannot connect (PGHOST=${PGHOST:-} PGPORT=${PGPORT:-} PGUSER=${PGUSER:-})"

"${PSQL[@]}" -d "${PGDATABASE:-postgres}" -c "SET client_min_messages = warning" \
    -c "DROP DATABASE IF EXISTS \"$DB\"" \
    -c "CREATE DATABASE \"$DB\" TEMPLATE template0"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The driver: every corpus_try() call in shapes.sql is followed by the write
# cycle.  An entry ends with the line that closes its call: "$$, '...');".
# corpus_support() entries (which end the same way) pass through unchanged.  With CORPUS_ONLY, entries
# whose name does not match are left out.
awk -v only="$ONLY" -v cycle="$HERE/cycle.sql" '
    function flush() {
        if (buf != "" && (!is_try || only == "" || name ~ only)) {
            printf "%s", buf
            if (is_try) print "\\ir " cycle
        }
        buf = ""; name = ""; is_try = 0
    }
    /^SELECT corpus_try\(/ {
        is_try = 1
        n = $0; sub(/^SELECT corpus_try\(\x27/, "", n); sub(/\x27.*/, "", n); name = n
    }
    { buf = buf $0 "\n" }
    /^\$\$, *\x27.*\x27\);[[:space:]]*$/ { flush() }
    END { flush() }
' "$HERE/shapes.sql" > "$work/driver.sql"

{
    echo "SET client_min_messages = warning;"
    echo "CREATE EXTENSION pg_readmodel;"
    echo "\\ir $HERE/schema.sql"
    echo "\\ir $HERE/harness.sql"
    echo "\\set ON_ERROR_STOP 0"
    echo "\\pset tuples_only on"
    echo "\\ir $work/driver.sql"
} > "$work/main.sql"

# The write steps may fail for a shape: that is recorded, not fatal.  Errors
# in the harness itself show up in the log.
if ! psql -X -q -d "$DB" -f "$work/main.sql" > "$work/log" 2>&1; then
    cat "$work/log" >&2
    die "the run failed"
fi
[ -z "${CORPUS_LOG:-}" ] || cp "$work/log" "$CORPUS_LOG"
if grep -q 'ERROR:' "$work/log"; then
    echo "corpus: errors reported while running (write-step errors are expected and recorded):" >&2
    grep -B1 -A2 'ERROR:' "$work/log" | head -40 >&2
fi

echo
"${PSQL[@]}" -d "$DB" -P pager=off -P format=aligned -c "SELECT * FROM corpus_summary"
"${PSQL[@]}" -d "$DB" -P pager=off -t -c "
    SELECT format('%s shapes: %s accepted (%s exact, %s not exact, %s check errors, %s with failed writes), %s refused',
                  count(*), count(*) FILTER (WHERE accepted),
                  count(*) FILTER (WHERE accepted AND exact),
                  count(*) FILTER (WHERE accepted AND NOT exact),
                  count(*) FILTER (WHERE accepted AND check_error IS NOT NULL),
                  count(*) FILTER (WHERE accepted AND write_errors IS NOT NULL),
                  count(*) FILTER (WHERE NOT accepted))
    FROM corpus_result"

echo "Not exact: the steps after which the table differed, and the first differing row:"
"${PSQL[@]}" -d "$DB" -P pager=off -P format=aligned -c "
    SELECT name, stale_steps AS steps, verify_rows AS verify_end, image_diff AS image_end, sample
    FROM corpus_result WHERE accepted AND NOT exact ORDER BY seq"
echo "Refusals, with their DETAIL:"
"${PSQL[@]}" -d "$DB" -P pager=off -P format=aligned -c "
    SELECT name, sqlstate, COALESCE(detail, split_part(message, E'\\n', 1)) AS detail
    FROM corpus_result WHERE NOT accepted ORDER BY seq"
echo "Failed writes:"
"${PSQL[@]}" -d "$DB" -P pager=off -P format=aligned -c "
    SELECT name, write_errors FROM corpus_result WHERE write_errors IS NOT NULL ORDER BY seq"

if [ -n "$MD" ]; then
    # The same table in Markdown; for refusals the DETAIL follows the message.
    "${PSQL[@]}" -d "$DB" -P pager=off -t -A -c "
        SELECT '| # | name | shape | peer | accepted? | exact? | refusal SQLSTATE + message (detail) |'
        UNION ALL SELECT '|---|---|---|---|---|---|---|'
        UNION ALL (SELECT format('| %s | %s | %s | %s | %s | %s | %s |', s.\"#\", s.name,
                            replace(s.shape, '|', '\\|'), replace(s.peer, '|', '\\|'), s.\"accepted?\",
                            s.\"exact?\" || CASE WHEN s.writes <> '' THEN ' (' || s.writes || ')' ELSE '' END,
                            replace(s.\"refusal / error\" || COALESCE(' (' || r.detail || ')', ''), '|', '\\|'))
                   FROM corpus_summary s JOIN corpus_result r ON r.name = s.name
                   ORDER BY s.\"#\")" > "$MD"
    echo "Markdown summary written to $MD"
fi

# With CORPUS_CHECK=1 (make test): every accepted shape must be exact with
# no failed writes, and each shape must be accepted or refused as recorded in
# test/corpus/expected_decisions.txt (a change there is reviewed, not silent).
status=0
if [ "${CORPUS_CHECK:-0}" = 1 ]; then
    bad=$("${PSQL[@]}" -d "$DB" -t -A -c "
        SELECT count(*) FROM corpus_result
        WHERE accepted AND (NOT exact OR write_errors IS NOT NULL)")
    decisions=$("${PSQL[@]}" -d "$DB" -t -A -c "
        SELECT name || ' ' || CASE WHEN accepted THEN 'accepted' ELSE 'refused' END
        FROM corpus_result ORDER BY name")
    if [ "$bad" != 0 ]; then
        echo "corpus: $bad accepted shape(s) not exact or with failed writes"
        status=1
    fi
    if ! diff -u "$(dirname "$0")/expected_decisions.txt" <(printf '%s\n' "$decisions"); then
        echo "corpus: decisions differ from test/corpus/expected_decisions.txt"
        status=1
    fi
fi

if [ "$KEEP" = 0 ]; then
    "${PSQL[@]}" -d "${PGDATABASE:-postgres}" -c "DROP DATABASE \"$DB\""
fi
exit $status
