#!/usr/bin/env bash
# test/dump_restore.sh — pg_dump / restore of a database with read models must
# give working read models.
#
#   bash test/dump_restore.sh
#
# Uses the server named by PGHOST / PGPORT (and PGUSER) when PGHOST or PGPORT is
# set; otherwise starts the private cluster (test/cluster.sh) and stops it again
# at the end if this script started it.
#
# Builds readmodel_dump_src (three tables, four read models: tv_user, tv_post
# reading tv_user, tv_org reading both, and a statement-mode model in a second
# schema), dumps it with pg_dump -Fc and restores it with plain pg_restore into
# readmodel_dump_dst, and dumps it as plain SQL restored with
# psql -v ON_ERROR_STOP=1 into readmodel_dump_sql.  Each restored database is
# then checked: same models, verify() clean, health_check() clean, maintenance
# working after DML, the write guard and the dependent-aware drop still in
# place.  One line per check, then "dump_restore: N passed, M failed"; exits 0
# only when every check passed.  The three databases are dropped at the end,
# also on failure.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
SRC=readmodel_dump_src
DST=readmodel_dump_dst
SQLDB=readmodel_dump_sql

PASSED=0
FAILED=0
STARTED_CLUSTER=
WORK=

say() { echo "dump_restore: $*"; }
die() { echo "dump_restore: error: $*" >&2; exit 1; }

# ---------------------------------------------------------------- the server
if [ -n "${PGHOST:-}" ] || [ -n "${PGPORT:-}" ]; then
    say "using the server at PGHOST=${PGHOST:-<default>} PGPORT=${PGPORT:-<default>} PGUSER=${PGUSER:-<default>}"
else
    if ! bash "$ROOT/test/cluster.sh" status >/dev/null 2>&1; then
        STARTED_CLUSTER=1
    fi
    bash "$ROOT/test/cluster.sh" start
    eval "$(bash "$ROOT/test/cluster.sh" env)"
fi
unset PGDATABASE
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"

PGDUMP=${PGDUMP:-pg_dump}
PGRESTORE=${PGRESTORE:-pg_restore}
PSQL=${PSQL:-psql}

cleanup() {
    local rc=$?
    set +e
    for db in "$SRC" "$DST" "$SQLDB"; do
        "$PSQL" -X -q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 ||
            echo "dump_restore: warning: could not drop database $db" >&2
    done
    if [ -n "$WORK" ]; then rm -rf "$WORK"; fi
    if [ -n "$STARTED_CLUSTER" ]; then bash "$ROOT/test/cluster.sh" stop >/dev/null 2>&1; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

WORK=$(mktemp -d)
chmod 755 "$WORK"

# psql in one database, unaligned tuples only, stop at the first error.
q() {   # db sql
    "$PSQL" -X -q -A -t -v ON_ERROR_STOP=1 -d "$1" -c "$2"
}

pass() { PASSED=$((PASSED + 1)); say "ok - $*"; }
fail() {   # message [detail]
    FAILED=$((FAILED + 1))
    say "FAIL - $1"
    if [ $# -gt 1 ] && [ -n "$2" ]; then printf '%s\n' "$2" | sed 's/^/    | /'; fi
}

# Run SQL that must succeed and print exactly EXPECTED.
check_eq() {   # label db sql expected
    local label=$1 db=$2 sql=$3 expected=$4 out
    if out=$(q "$db" "$sql" 2>&1); then
        if [ "$out" = "$expected" ]; then
            pass "$label"
        else
            fail "$label" "expected:
$expected
got:
$out"
        fi
    else
        fail "$label" "query failed: $out"
    fi
}

# Run SQL that must fail with an error whose text matches PATTERN (grep -E).
check_fails() {   # label db sql pattern
    local label=$1 db=$2 sql=$3 pattern=$4 out
    if out=$(q "$db" "$sql" 2>&1); then
        fail "$label" "the statement succeeded; it should have failed with /$pattern/
output: $out"
    elif printf '%s\n' "$out" | grep -Eq -- "$pattern"; then
        pass "$label"
    else
        fail "$label" "failed, but not with /$pattern/:
$out"
    fi
}

# --------------------------------------------------------- the source database
for db in "$SRC" "$DST" "$SQLDB"; do
    q postgres "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
done
q postgres "CREATE DATABASE $SRC" >/dev/null

if ! setup_out=$("$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$SRC" 2>&1 <<'SQL'
CREATE EXTENSION pg_readmodel;

CREATE TABLE tb_org (pk_org int PRIMARY KEY, name text);
CREATE TABLE tb_user (pk_user int PRIMARY KEY, fk_org int REFERENCES tb_org,
                      name text NOT NULL, email text);
CREATE TABLE tb_post (pk_post int PRIMARY KEY,
                      fk_user int NOT NULL REFERENCES tb_user ON DELETE CASCADE,
                      title text NOT NULL);

INSERT INTO tb_org VALUES (1, 'acme'), (2, 'globex'), (3, 'empty org');
INSERT INTO tb_user VALUES
    (1, 1, 'alice', 'alice@acme.test'),
    (2, 1, 'bob', NULL),
    (3, 2, 'carol', 'carol@globex.test'),
    (4, 2, 'dave', 'dave@globex.test'),
    (5, NULL, 'eve', NULL);
INSERT INTO tb_post VALUES
    (1, 1, 'hello'), (2, 1, 'second'), (3, 2, 'bob writes'),
    (4, 3, 'carol one'), (5, 4, 'dave one'), (6, 4, 'dave two'), (7, 5, 'eve');

SELECT readmodel.create('tv_user', $$
    SELECT u.pk_user, u.fk_org,
           jsonb_build_object('name', u.name, 'email', u.email) AS data
    FROM tb_user u
$$);

SELECT readmodel.create('tv_post', $$
    SELECT p.pk_post, p.fk_user,
           jsonb_build_object('title', p.title, 'author', a.data) AS data
    FROM tb_post p JOIN tv_user a ON a.pk_user = p.fk_user
$$);

SELECT readmodel.create('tv_org', $$
    SELECT o.pk_org,
           jsonb_build_object(
               'name', o.name,
               'members', (SELECT coalesce(jsonb_agg(u.data ORDER BY u.pk_user), '[]')
                           FROM tv_user u WHERE u.fk_org = o.pk_org),
               'posts', (SELECT count(*) FROM tv_post p JOIN tb_user u ON u.pk_user = p.fk_user
                         WHERE u.fk_org = o.pk_org)) AS data
    FROM tb_org o
$$);

CREATE SCHEMA reports;
SELECT readmodel.create('reports.tv_user_activity', $$
    SELECT u.pk_user,
           jsonb_build_object('name', u.name,
                              'posts', (SELECT count(*) FROM public.tb_post p
                                        WHERE p.fk_user = u.pk_user)) AS data
    FROM public.tb_user u
$$, options => '{"mode": "statement"}');
SQL
); then
    die "could not build $SRC:
$setup_out"
fi

MODELS_SQL="SELECT name::text || '|' || key || '|' || mode FROM readmodel.models ORDER BY name::text"
SRC_MODELS=$(q "$SRC" "$MODELS_SQL")
MODEL_NAMES=$(q "$SRC" "SELECT name::text FROM readmodel.models ORDER BY name::text")
[ "$(printf '%s\n' "$MODEL_NAMES" | wc -l)" -eq 4 ] ||
    die "$SRC should have 4 read models, has:
$SRC_MODELS"

# The expected verify result: one "name|0" line per model.
VERIFY_EXPECTED=$(printf '%s\n' "$MODEL_NAMES" | sed 's/$/|0/')
VERIFY_SQL=$(printf '%s\n' "$MODEL_NAMES" | while read -r m; do
    printf "SELECT '%s' || '|' || (SELECT count(*) FROM readmodel.verify('%s')) UNION ALL\n" "$m" "$m"
done | sed '$ s/ UNION ALL$//')

check_eq "[source] every model verifies 0 rows before the dump" "$SRC" "$VERIFY_SQL" "$VERIFY_EXPECTED"

# ------------------------------------------------------------ dump and restore
DUMP_FC=$WORK/src.dump
DUMP_SQL=$WORK/src.sql
if ! out=$("$PGDUMP" -Fc -f "$DUMP_FC" "$SRC" 2>&1); then die "pg_dump -Fc failed:
$out"; fi
if ! out=$("$PGDUMP" -Fp -f "$DUMP_SQL" "$SRC" 2>&1); then die "pg_dump (plain) failed:
$out"; fi

q postgres "CREATE DATABASE $DST" >/dev/null
if out=$("$PGRESTORE" -d "$DST" "$DUMP_FC" 2>&1); then
    pass "[custom] pg_restore -d $DST exits 0"
else
    fail "[custom] pg_restore -d $DST exited non-zero" "$out"
fi

q postgres "CREATE DATABASE $SQLDB" >/dev/null
if out=$("$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$SQLDB" -f "$DUMP_SQL" 2>&1 >/dev/null); then
    pass "[plain] psql -v ON_ERROR_STOP=1 -f dump.sql into $SQLDB exits 0"
else
    fail "[plain] psql -v ON_ERROR_STOP=1 -f dump.sql into $SQLDB failed" "$out"
fi

# ------------------------------------------------------- checks per database
check_restored() {   # tag db
    local tag=$1 db=$2

    check_eq "[$tag] readmodel.models lists the source's models (name, key, mode)" \
        "$db" "$MODELS_SQL" "$SRC_MODELS"

    check_eq "[$tag] every model verifies 0 rows right after restore" \
        "$db" "$VERIFY_SQL" "$VERIFY_EXPECTED"

    check_eq "[$tag] health_check() reports nothing but ok" "$db" \
        "SELECT status || ' ' || component || ': ' || message FROM readmodel.health_check() WHERE status <> 'ok'" ""

    # DML on the sources, one committed statement each, then one transaction
    local dml_out
    if dml_out=$("$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$db" 2>&1 <<'SQL'
UPDATE tb_user SET name = 'alice renamed' WHERE pk_user = 1;
UPDATE tb_post SET fk_user = 3 WHERE pk_post = 2;
INSERT INTO tb_post VALUES (100, 1, 'after restore');
DELETE FROM tb_user WHERE pk_user = 4;
BEGIN;
UPDATE tb_user SET fk_org = 2 WHERE pk_user = 2;
INSERT INTO tb_user VALUES (6, 3, 'frank', NULL);
INSERT INTO tb_post VALUES (101, 6, 'frank one');
COMMIT;
SQL
    ); then
        pass "[$tag] DML on the source tables succeeds (rename, move, insert, delete)"
    else
        fail "[$tag] DML on the source tables failed" "$dml_out"
    fi

    check_eq "[$tag] every model verifies 0 rows after DML" \
        "$db" "$VERIFY_SQL" "$VERIFY_EXPECTED"

    check_eq "[$tag] tv_post shows the renamed author" "$db" \
        "SELECT string_agg(pk_post || ':' || (data->'author'->>'name'), ',' ORDER BY pk_post) FROM tv_post WHERE fk_user = 1" \
        "1:alice renamed,100:alice renamed"

    check_eq "[$tag] tv_post follows the moved post and the deleted user" "$db" \
        "SELECT (SELECT data->'author'->>'name' FROM tv_post WHERE pk_post = 2) || ',' ||
                (SELECT count(*) FROM tv_post WHERE pk_post IN (5, 6)) || ',' ||
                (SELECT count(*) FROM tv_user WHERE pk_user = 4)" \
        "carol,0,0"

    check_eq "[$tag] tv_org reflects the changes three levels up" "$db" \
        "SELECT string_agg(pk_org || ':' || (data->>'posts') || ':' || jsonb_array_length(data->'members'), ',' ORDER BY pk_org) FROM tv_org" \
        "1:2:1,2:3:2,3:1:1"

    check_eq "[$tag] the write guard readmodel_guard is on every model table" "$db" \
        "SELECT string_agg(m.name::text, ',' ORDER BY m.name::text) FROM readmodel.models m
         WHERE EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = m.name AND t.tgname = 'readmodel_guard' AND t.tgenabled <> 'D')" \
        "$(printf '%s\n' "$MODEL_NAMES" | paste -sd,)"

    check_fails "[$tag] direct INSERT INTO tv_user is refused by the write guard" "$db" \
        "INSERT INTO tv_user VALUES (999, NULL, '{}')" \
        'cannot change read model "tv_user" directly'

    check_fails "[$tag] readmodel.drop('tv_user') is refused while tv_post reads it" "$db" \
        "SELECT readmodel.drop('tv_user')" \
        'cannot drop read model .*tv_user.* because other read models read it'

    check_eq "[$tag] tv_user is still a read model after the refused drop" "$db" \
        "SELECT count(*) FROM readmodel.models WHERE name = 'tv_user'::regclass" "1"
}

check_restored custom "$DST"
check_restored plain "$SQLDB"

say "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
