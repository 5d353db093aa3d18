#!/usr/bin/env bash
# test/bench/fanout.sh — fan-out benchmark: one parent row change that reaches
# 10,000 child rows of a read model that embeds the parent.
#
#   bash test/bench/fanout.sh
#
# Server: if PGHOST or PGPORT is set and a server answers there, that server is
# used and nothing is started.  Otherwise the private cluster of this checkout
# is started with `bash test/cluster.sh start` (and stopped again at the end
# if this script was the one that started it).
#
# What it does:
#   1. (re)creates database readmodel_bench_fanout with CREATE EXTENSION
#      pg_readmodel, tables tb_user / tb_post / tb_comment, 1,000 users (user 1
#      owns 10,000 posts, the others 10 each), 3 comments per post;
#   2. declares tv_user and tv_post (tv_post embeds tv_user.data as 'author'),
#      plus two baselines: tb_user_plain (a copy of tb_user no model reads)
#      and mv_post (a materialized view computing the same documents from
#      the base tables);
#   3. runs N repetitions (the first is a discarded warm-up) of four
#      autocommit statements, timed from the client with psql's \timing:
#        patch      UPDATE tb_user SET name = ... WHERE pk_user = 1
#                   with readmodel.enable_patch = on  (in-place jsonb_set)
#        recompute  the same with readmodel.enable_patch = off
#                   (the 10,000 tv_post rows are recomputed from the definition)
#        plain      the same UPDATE on tb_user_plain (bare write cost)
#        refresh    REFRESH MATERIALIZED VIEW mv_post (all posts, for context)
#      The order of the four alternates between repetitions (ABBA) and the
#      written tables are vacuumed (untimed) before every timed statement so
#      that each starts from the same state.  Maintenance runs at COMMIT, which
#      an autocommit statement's client-side time includes;
#   4. checks correctness (readmodel.verify('tv_post') returns no row, the
#      10,000 posts of user 1 carry the last name, mv_post equals tv_post) and
#      exits non-zero if any check fails;
#   5. prints median/min/max per mode, the rows touched, and the
#      readmodel.queue_stats() deltas of one run of each mode.
#
# Environment: BENCH_REPS (default 7, warm-up included), BENCH_DB (default
# readmodel_bench_fanout), PGBIN (default /usr/lib/postgresql/15/bin).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
REPS=${BENCH_REPS:-7}
DB=${BENCH_DB:-readmodel_bench_fanout}
CHILDREN=10000

die() { echo "fanout.sh: $*" >&2; exit 1; }

PSQL=$PGBIN/psql
[ -x "$PSQL" ] || PSQL=$(command -v psql) || die "psql not found"
PG_ISREADY=$PGBIN/pg_isready
[ -x "$PG_ISREADY" ] || PG_ISREADY=$(command -v pg_isready) || die "pg_isready not found"

[ "$REPS" -ge 2 ] 2>/dev/null || die "BENCH_REPS must be at least 2 (the first run is a warm-up)"

# ---- server -------------------------------------------------------------
STARTED_CLUSTER=0
WORK=$(mktemp -d)
cleanup() {
    rm -rf "$WORK"
    if [ "$STARTED_CLUSTER" = 1 ]; then
        bash "$ROOT/test/cluster.sh" stop >&2 || true
    fi
}
trap cleanup EXIT

if { [ -n "${PGHOST:-}" ] || [ -n "${PGPORT:-}" ]; } &&
    "$PG_ISREADY" -q -d postgres -U "${PGUSER:-postgres}" >/dev/null 2>&1; then
    echo "fanout.sh: using the running server at ${PGHOST:-<default socket>}:${PGPORT:-5432}"
else
    if ! bash "$ROOT/test/cluster.sh" status >/dev/null 2>&1; then
        STARTED_CLUSTER=1
    fi
    bash "$ROOT/test/cluster.sh" start
    eval "$(bash "$ROOT/test/cluster.sh" env)"
fi
export PGUSER=${PGUSER:-postgres}

psql_admin() { "$PSQL" -X -q -v ON_ERROR_STOP=1 -d postgres "$@"; }
psql_db() { "$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

# ---- database, schema, data, models --------------------------------------
echo "fanout.sh: creating database $DB"
psql_admin -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"

T0=$(date +%s)
psql_db <<'SQL'
CREATE EXTENSION pg_readmodel;

CREATE TABLE tb_user (pk_user int PRIMARY KEY, id uuid, name text, email text);
CREATE TABLE tb_post (pk_post int PRIMARY KEY, id uuid,
                      fk_user int NOT NULL REFERENCES tb_user,
                      title text, body text, score int);
CREATE INDEX ON tb_post (fk_user);
CREATE TABLE tb_comment (pk_comment int PRIMARY KEY,
                         fk_post int REFERENCES tb_post, body text);
CREATE INDEX ON tb_comment (fk_post);

-- 1,000 users; user 1 owns posts 1..10000, users 2..1000 own 10 posts each.
INSERT INTO tb_user
SELECT g, md5('user' || g)::uuid, 'user-' || g, 'user' || g || '@example.com'
FROM generate_series(1, 1000) g;

INSERT INTO tb_post
SELECT g, md5('post' || g)::uuid, 1, 'post ' || g,
       'body of post ' || g || ' ' || repeat('lorem ipsum ', 8), g % 97
FROM generate_series(1, 10000) g;

INSERT INTO tb_post
SELECT 10000 + (u - 2) * 10 + k, md5('post' || (10000 + (u - 2) * 10 + k))::uuid, u,
       'post ' || (10000 + (u - 2) * 10 + k),
       'body of post ' || (10000 + (u - 2) * 10 + k) || ' ' || repeat('lorem ipsum ', 8),
       (u * 10 + k) % 97
FROM generate_series(2, 1000) u, generate_series(1, 10) k;

-- 3 comments per post.
INSERT INTO tb_comment
SELECT (p.pk_post - 1) * 3 + k, p.pk_post, 'comment ' || k || ' on post ' || p.pk_post
FROM tb_post p, generate_series(1, 3) k;

-- Baseline 1: the same users in a table no read model reads.
CREATE TABLE tb_user_plain (pk_user int PRIMARY KEY, id uuid, name text, email text);
INSERT INTO tb_user_plain SELECT * FROM tb_user;

ANALYZE;

SELECT readmodel.create('tv_user', $$
    SELECT u.pk_user, u.id,
           jsonb_build_object('id', u.id, 'name', u.name, 'email', u.email) AS data
    FROM tb_user u
$$) \g /dev/null

SELECT readmodel.create('tv_post', $$
    SELECT p.pk_post, p.id, p.fk_user,
           jsonb_build_object('id', p.id, 'title', p.title, 'body', p.body, 'score', p.score,
                              'author', a.data,
                              'comments', (SELECT coalesce(jsonb_agg(jsonb_build_object('body', c.body)
                                                                     ORDER BY c.pk_comment), '[]')
                                           FROM tb_comment c WHERE c.fk_post = p.pk_post)) AS data
    FROM tb_post p JOIN tv_user a ON a.pk_user = p.fk_user
$$) \g /dev/null
-- The patch finds the rows to rewrite by tv_post.fk_user.
CREATE INDEX ON tv_post (fk_user);

-- Baseline 2: the same documents as a materialized view over the base tables.
CREATE MATERIALIZED VIEW mv_post AS
    SELECT p.pk_post, p.id, p.fk_user,
           jsonb_build_object('id', p.id, 'title', p.title, 'body', p.body, 'score', p.score,
                              'author', jsonb_build_object('id', u.id, 'name', u.name, 'email', u.email),
                              'comments', (SELECT coalesce(jsonb_agg(jsonb_build_object('body', c.body)
                                                                     ORDER BY c.pk_comment), '[]')
                                           FROM tb_comment c WHERE c.fk_post = p.pk_post)) AS data
    FROM tb_post p JOIN tb_user u ON u.pk_user = p.fk_user;

VACUUM ANALYZE;
SQL
echo "fanout.sh: schema and data ready in $(( $(date +%s) - T0 )) s"

read -r N_CHILD N_POSTS N_COMMENTS N_MV <<<"$(psql_db -At -F ' ' -c "
    SELECT (SELECT count(*) FROM tv_post WHERE fk_user = 1), (SELECT count(*) FROM tv_post),
           (SELECT count(*) FROM tb_comment), (SELECT count(*) FROM mv_post)")"
[ "$N_CHILD" = "$CHILDREN" ] || die "user 1 has $N_CHILD posts in tv_post, expected $CHILDREN"

# How each source reaches tv_post: the tv_user -> tv_post 'author' patch must be there.
echo
echo "readmodel.explain('tv_post'), source tv_user:"
psql_db -At -F ' | ' -c "SELECT kind, detail FROM readmodel.explain('tv_post') WHERE source = 'tv_user'::regclass"

# ---- the timed runs ---------------------------------------------------------
# One psql session for all runs, so that prepared maintenance plans are warm
# after the first repetition (which is discarded).  Each timed statement is
# preceded by an "@@RUN mode rep" marker; psql prints "Time: X ms" after it,
# then an "@@STATS" line with the queue_stats() deltas of that statement.
SCRIPT=$WORK/runs.sql
N=0
LAST_NAME=
emit_run() {   # mode rep
    local mode=$1 rep=$2 stmt
    N=$((N + 1))
    case $mode in
    patch)
        LAST_NAME="renamed-$N"
        stmt="UPDATE tb_user SET name = '$LAST_NAME' WHERE pk_user = 1;"
        echo "SET readmodel.enable_patch = on;"
        echo "VACUUM tb_user, tv_user, tv_post;" ;;
    recompute)
        LAST_NAME="renamed-$N"
        stmt="UPDATE tb_user SET name = '$LAST_NAME' WHERE pk_user = 1;"
        echo "SET readmodel.enable_patch = off;"
        echo "VACUUM tb_user, tv_user, tv_post;" ;;
    plain)
        stmt="UPDATE tb_user_plain SET name = 'renamed-$N' WHERE pk_user = 1;"
        echo "VACUUM tb_user_plain;" ;;
    refresh)
        stmt="REFRESH MATERIALIZED VIEW mv_post;" ;;
    esac
    cat <<EOF
SELECT readmodel.queue_stats() AS s0 \\gset
\\echo @@RUN $mode $rep
\\timing on
$stmt
\\timing off
SELECT format('@@STATS $mode $rep %s %s %s %s %s',
              (s1->>'rows_written')::bigint    - (s0->>'rows_written')::bigint,
              (s1->>'rows_patched')::bigint    - (s0->>'rows_patched')::bigint,
              (s1->>'keys_recomputed')::bigint - (s0->>'keys_recomputed')::bigint,
              (s1->>'keys_queued')::bigint     - (s0->>'keys_queued')::bigint,
              round((s1->>'total_timing_ms')::numeric - (s0->>'total_timing_ms')::numeric, 1))
FROM (SELECT :'s0'::jsonb AS s0, readmodel.queue_stats() AS s1) x;
EOF
}

{
    echo "SELECT readmodel.queue_stats();"   # loads the library
    for rep in $(seq 0 $((REPS - 1))); do
        if [ $((rep % 2)) = 0 ]; then
            order="patch recompute plain refresh"
        else
            order="refresh plain recompute patch"
        fi
        for mode in $order; do emit_run "$mode" "$rep"; done
    done
    echo "RESET readmodel.enable_patch;"
} >"$SCRIPT"

echo
echo "fanout.sh: running $REPS repetitions (first discarded) of patch, recompute, plain, refresh"
T0=$(date +%s)
psql_db -At -f "$SCRIPT" >"$WORK/runs.out"
echo "fanout.sh: runs done in $(( $(date +%s) - T0 )) s"

# "@@RUN mode rep" then "Time: 123.456 ms" -> "mode rep ms"
awk '
    /^@@RUN / { mode = $2; rep = $3; want = 1; next }
    want && /^Time: / { print mode, rep, $2; want = 0 }
' "$WORK/runs.out" >"$WORK/times"
grep '^@@STATS ' "$WORK/runs.out" | cut -d' ' -f2- >"$WORK/stats"   # mode rep written patched recomputed queued maint_ms

[ "$(wc -l <"$WORK/times")" -eq $((4 * REPS)) ] || {
    cat "$WORK/runs.out" >&2
    die "expected $((4 * REPS)) timings, parsed $(wc -l <"$WORK/times")"
}

# ---- correctness ------------------------------------------------------------
echo
echo "fanout.sh: checking correctness (last name '$LAST_NAME')"
psql_db -c "REFRESH MATERIALIZED VIEW mv_post"
read -r BAD_VERIFY N_RENAMED N_MV_DIFF <<<"$(psql_db -At -F ' ' -c "
    SELECT (SELECT count(*) FROM readmodel.verify('tv_post')),
           (SELECT count(*) FROM tv_post WHERE fk_user = 1 AND data->'author'->>'name' = '$LAST_NAME'),
           (SELECT count(*) FROM ((SELECT pk_post, id, fk_user, data FROM mv_post
                                   EXCEPT SELECT pk_post, id, fk_user, data FROM tv_post)
                                  UNION ALL
                                  (SELECT pk_post, id, fk_user, data FROM tv_post
                                   EXCEPT SELECT pk_post, id, fk_user, data FROM mv_post)) d)")"
FAIL=0
echo "  readmodel.verify('tv_post') rows:                 $BAD_VERIFY (want 0)"
[ "$BAD_VERIFY" = 0 ] || FAIL=1
echo "  tv_post rows of user 1 with author '$LAST_NAME': $N_RENAMED (want $CHILDREN)"
[ "$N_RENAMED" = "$CHILDREN" ] || FAIL=1
echo "  rows differing between mv_post and tv_post:       $N_MV_DIFF (want 0)"
[ "$N_MV_DIFF" = 0 ] || FAIL=1

# ---- report -------------------------------------------------------------------
IFS='|' read -r PGVER FSYNC SYNC_COMMIT FPW SCOPE <<<"$(psql_db -At -F '|' -c "
    SELECT split_part(current_setting('server_version'), ' ', 1), current_setting('fsync'),
           current_setting('synchronous_commit'), current_setting('full_page_writes'),
           readmodel.queue_stats()->>'scope'")"
MEM=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo 2>/dev/null || echo "?")

echo
echo "Fan-out: UPDATE of tb_user.name for user 1, whose $CHILDREN posts embed it"
echo "  data: 1000 users, $N_POSTS posts, $N_COMMENTS comments; mv_post has $N_MV rows"
echo "  server: PostgreSQL $PGVER, fsync=$FSYNC, synchronous_commit=$SYNC_COMMIT, full_page_writes=$FPW, queue_stats scope=$SCOPE"
echo "  machine: $(nproc) cores, $MEM; $REPS repetitions per mode, first discarded; wall time per autocommit statement (client side, psql timing)"
echo

# rows touched: read-model rows written (tv_user + tv_post) for patch/recompute,
# 1 for the plain UPDATE, the view's row count for REFRESH.
printf '%-10s %10s %10s %10s %14s\n' mode median_ms min_ms max_ms rows_touched
printf '%-10s %10s %10s %10s %14s\n' ---------- ---------- ---------- ---------- --------------
for mode in patch recompute plain refresh; do
    awk -v m="$mode" '$1 == m && $2 > 0 { print $3 }' "$WORK/times" | sort -g >"$WORK/t.$mode"
    read -r MED MIN MAX <<<"$(awk '{ v[NR] = $1 } END {
        med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "%.1f %.1f %.1f", med, v[1], v[NR] }' "$WORK/t.$mode")"
    case $mode in
    patch | recompute)
        TOUCHED=$(awk -v m="$mode" '$1 == m { r = $3 } END { print r }' "$WORK/stats") ;;
    plain) TOUCHED=1 ;;
    refresh) TOUCHED=$N_MV ;;
    esac
    printf '%-10s %10s %10s %10s %14s\n' "$mode" "$MED" "$MIN" "$MAX" "$TOUCHED"
done

echo
echo "all timings (ms), in run order; rep 0 is the warm-up:"
awk '{ printf "  %-10s rep %s  %s\n", $1, $2, $3 }' "$WORK/times"

echo
echo "readmodel.queue_stats() deltas of the last run of each mode (tv_user + tv_post):"
echo "(maintenance_ms: the queue_stats() total_timing_ms delta, the time spent applying at commit)"
printf '  %-10s %13s %13s %16s %12s %15s\n' mode rows_written rows_patched keys_recomputed keys_queued maintenance_ms
for mode in patch recompute; do
    awk -v m="$mode" '$1 == m { l = $0 } END { split(l, f, " ");
        printf "  %-10s %13s %13s %16s %12s %15s\n", f[1], f[3], f[4], f[5], f[6], f[7] }' "$WORK/stats"
done

# Every run of a mode must have taken the same path.
for mode in patch recompute; do
    n=$(awk -v m="$mode" '$1 == m { print $3, $4, $5 }' "$WORK/stats" | sort -u | wc -l)
    if [ "$n" != 1 ]; then
        echo "fanout.sh: the $mode runs did not all write the same rows:" >&2
        grep "^$mode " "$WORK/stats" >&2
        FAIL=1
    fi
done
P_PATCHED=$(awk '$1 == "patch" { r = $4 } END { print r }' "$WORK/stats")
R_PATCHED=$(awk '$1 == "recompute" { r = $4 } END { print r }' "$WORK/stats")
if [ "$SCOPE" = backend ]; then
    # Per-backend counters are exact: check which path ran.
    [ "$P_PATCHED" -ge "$CHILDREN" ] || { echo "fanout.sh: patch mode patched only $P_PATCHED rows" >&2; FAIL=1; }
    [ "$R_PATCHED" = 0 ] || { echo "fanout.sh: recompute mode patched $R_PATCHED rows" >&2; FAIL=1; }
fi

if [ "$FAIL" != 0 ]; then
    die "FAILED: see the checks above"
fi
echo
echo "fanout.sh: OK"
