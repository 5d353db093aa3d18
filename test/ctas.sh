#!/usr/bin/env bash
# test/ctas.sh — CREATE TABLE tv_x AS SELECT ... with and without the library
# preloaded.  Without preloading the statement is refused (it would create a
# plain table that looks like a read model); preloaded, it declares a read
# model.  Restarts the private cluster of test/cluster.sh with
# READMODEL_PRELOAD=1 and back.  Used by `make test`.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT"

DB=readmodel_ctas
pass=0
fail=0
ok() { echo "ctas: ok - $1"; pass=$((pass + 1)); }
not_ok() { echo "ctas: NOT OK - $1"; fail=$((fail + 1)); }
q() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" "$@"; }
expect_error() {    # description, expected message part, sql
    local out
    if out=$(q -c "$3" 2>&1); then
        not_ok "$1 (no error)"
    elif [[ "$out" == *"$2"* ]]; then
        ok "$1"
    else
        not_ok "$1 (got: $out)"
    fi
}
expect() {          # description, expected output, sql
    local out
    out=$(q -c "$3" 2>&1 || true)
    if [ "$out" = "$2" ]; then ok "$1"; else not_ok "$1 (expected '$2', got '$out')"; fi
}
fresh_db() {
    PGOPTIONS="-c client_min_messages=warning" psql -X -q -d postgres \
        -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
    q <<'SQL'
CREATE EXTENSION pg_readmodel;
CREATE TABLE tb_user (pk_user int PRIMARY KEY, name text NOT NULL);
CREATE TABLE tb_post (pk_post int PRIMARY KEY, fk_user int NOT NULL REFERENCES tb_user, title text);
INSERT INTO tb_user VALUES (1, 'alice'), (2, 'bob');
INSERT INTO tb_post VALUES (1, 1, 'hello'), (2, 2, 'hi');
SQL
}
restart() {
    bash test/cluster.sh stop >/dev/null
    READMODEL_PRELOAD=$1 bash test/cluster.sh start >/dev/null
    eval "$(READMODEL_PRELOAD=$1 bash test/cluster.sh env)"
}
trap 'restart 0 || true' EXIT

POST_DEF="SELECT p.pk_post, p.fk_user, jsonb_build_object('title', p.title, 'author', u.name) AS data
          FROM tb_post p JOIN tb_user u ON u.pk_user = p.fk_user"

# --- not preloaded ---------------------------------------------------------
restart 0
fresh_db
expect "not preloaded: library is not preloaded" "f" "SELECT readmodel._is_preloaded()"
expect_error "not preloaded: CREATE TABLE tv_ AS is refused" \
    "would create a plain table, not a read model" "CREATE TABLE tv_post AS $POST_DEF"
expect "not preloaded: nothing is left behind" "0" \
    "SELECT count(*) FROM pg_class WHERE relname LIKE 'tv\_post%'"
expect "not preloaded: an empty prefix allows a plain table" "plain" \
    "SET readmodel.ctas_prefix = ''; CREATE TABLE tv_plain AS SELECT 1 AS x; SELECT 'plain' FROM tv_plain"
expect "not preloaded: other names are plain CREATE TABLE AS" "2" \
    "CREATE TABLE copy_post AS SELECT * FROM tb_post; SELECT count(*) FROM copy_post"
expect "not preloaded: readmodel.create still works" "tv_post" \
    "SELECT readmodel.create('tv_post', \$\$$POST_DEF\$\$)"

# --- preloaded -------------------------------------------------------------
restart 1
fresh_db
expect "preloaded: library is preloaded" "t" "SELECT readmodel._is_preloaded()"
expect "preloaded: CREATE TABLE tv_ AS declares a read model" "tv_post|pk_post" \
    "CREATE TABLE tv_post AS $POST_DEF; SELECT name, key FROM readmodel.models"
q -c "UPDATE tb_user SET name = 'bobby' WHERE pk_user = 2"
expect "preloaded: it is maintained" "0|bobby" \
    "SELECT (SELECT count(*) FROM readmodel.verify('tv_post')), data->>'author' FROM tv_post WHERE pk_post = 2"
expect "preloaded: the table has the write guard" "1" \
    "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'tv_post'::regclass AND tgname = 'readmodel_guard'"
expect "preloaded: IF NOT EXISTS on an existing model does nothing" "2" \
    "CREATE TABLE IF NOT EXISTS tv_post AS SELECT 1 AS x; SELECT count(*) FROM tv_post"
expect_error "preloaded: a definition that cannot be maintained is refused" \
    "cannot be maintained incrementally" "CREATE TABLE tv_bad AS SELECT p.pk_post FROM tb_post p LIMIT 1"
expect_error "preloaded: a column list is refused" \
    "cannot use a column name list" "CREATE TABLE tv_cols (a, b) AS SELECT p.pk_post, p.title FROM tb_post p"
expect "preloaded: failures leave nothing behind" "0|1" \
    "SELECT (SELECT count(*) FROM pg_class WHERE relname LIKE 'tv\_bad%' OR relname LIKE 'tv\_cols%'),
            (SELECT count(*) FROM readmodel.model)"
expect "preloaded: temporary tables stay plain" "1" \
    "CREATE TEMP TABLE tv_tmp AS SELECT 1 AS x; SELECT count(*) FROM tv_tmp"

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
echo "ctas: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
