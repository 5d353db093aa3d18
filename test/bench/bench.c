/*
 * test/bench/bench.c — benchmark harness for pg_readmodel (issue 4).
 *
 * One run, one server, one or more scales.  For each scale (number of
 * products) it
 *
 *   1. (re)creates database readmodel_bench with four copies of the same
 *      catalog schema (tb_category, tb_supplier, tb_product, tb_review,
 *      tb_inventory), same deterministic data, one copy per variant:
 *        bare   no read model at all
 *        rm     readmodel.create('rm.tv_product', <definition>)
 *        mv     MATERIALIZED VIEW mv.tv_product, refreshed after every write
 *        pl     plain table pl.tv_product kept by hand-written PL/pgSQL
 *               row-level AFTER triggers (INSERT ... ON CONFLICT / DELETE)
 *   2. times the initial build of each variant (drop and redo, median);
 *   3. times the same writes on every variant in lock-step (same keys, same
 *      values, rotating variant order), each as its own autocommit
 *      transaction, from the client (CLOCK_MONOTONIC around PQexec);
 *   4. checks that the four variants hold identical data;
 *   5. measures write throughput with 1, 2 and 4 concurrent clients
 *      (fork(), one connection each) on disjoint products, bare vs rm; each
 *      client cycles over --hot-rows rows of its own, so that the run sees
 *      steady writes rather than the full-page image the first write of a
 *      page after the CHECKPOINT starting each half costs (reported: WAL
 *      bytes and FPIs per commit);
 *   6. checks that every model equals its definition
 *      (readmodel.verify, EXCEPT ALL both ways for pl and mv);
 *   7. unless --no-blog: the same for a blog schema (blog_bare, blog_rm,
 *      blog_mv, blog_pl: tb_user, tb_post, tb_comment; n/40 users, n/4 posts,
 *      3 comments per post) whose read model tv_post embeds another model,
 *      tv_user (run_blog): build of both models, lock-step writes (post
 *      title, comment insert and delete, user renames reaching 10 and 1,000
 *      posts), lock-step check and the same final checks;
 *   8. prints a table per scale (and one for the blog); --csv and --markdown
 *      write all scales.
 *
 * Exit status: 0 when every check passed, 1 when a correctness check
 * failed, 2 on any other error (SQL error, bad option, connection).
 *
 * The server is the one libpq's environment names (PGHOST, PGPORT, PGUSER),
 * or --dsn.  test/bench/run.sh builds this and starts the private cluster.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

/* ------------------------------------------------------------------------
 * variants
 * ------------------------------------------------------------------------ */
enum { V_BARE, V_RM, V_MV, V_PL, NV };
static const char *const vschema[NV] = {"bare", "rm", "mv", "pl"};
static const char *const vname[NV] = {"bare", "readmodel", "refresh", "plpgsql"};

/* ------------------------------------------------------------------------
 * options
 * ------------------------------------------------------------------------ */
#define MAXLIST 16

static struct {
    long scales[MAXLIST];
    int nscales;
    long fanouts[MAXLIST];
    int nfanouts;
    int clients[MAXLIST];
    int nclients;
    int reps;          /* single-row operations */
    int batch_reps;    /* batches, big fan-outs */
    int build_reps;    /* initial build */
    int refresh_reps;  /* cap for the refresh variant, 0 = no cap */
    double refresh_budget; /* seconds per operation for the refresh variant, 0 = none */
    double duration;   /* seconds per throughput run */
    long hot_rows;     /* rows each throughput client cycles over (0: its whole range) */
    double seed;
    const char *db;
    const char *dsn;
    const char *csv;
    const char *markdown;
    const char *trace;
    bool concurrency;
    bool build;
    bool blog;
    bool verbose;
} opt = {
    .scales = {1000, 10000},
    .nscales = 2,
    .fanouts = {10, 100, 1000, 100000},
    .nfanouts = 4,
    .clients = {1, 2, 4},
    .nclients = 3,
    .reps = 30,
    .batch_reps = 5,
    .build_reps = 3,
    .refresh_reps = 0,
    .refresh_budget = 0,
    .duration = 10.0,
    .hot_rows = 1000,
    .seed = 0.42,
    .db = "readmodel_bench",
    .dsn = "",
    .csv = NULL,
    .markdown = NULL,
    .trace = NULL,
    .concurrency = true,
    .build = true,
    .blog = true,
    .verbose = false,
};

/* ------------------------------------------------------------------------
 * small utilities
 * ------------------------------------------------------------------------ */
static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void
die(const char *fmt, ...)
{
    va_list ap;

    fflush(stdout);
    fprintf(stderr, "bench: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(2);
}

static void *
xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (!p)
        die("out of memory");
    return p;
}

static void *
xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        die("out of memory");
    return p;
}

static char *
xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = xmalloc(n);

    memcpy(p, s, n);
    return p;
}

/* growable string */
typedef struct {
    char *s;
    size_t len;
    size_t cap;
} sb_t;

static void
sb_reset(sb_t *b)
{
    if (!b->s) {
        b->cap = 256;
        b->s = xmalloc(b->cap);
    }
    b->len = 0;
    b->s[0] = '\0';
}

static void sb_printf(sb_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void
sb_printf(sb_t *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (!b->s)
        sb_reset(b);
    for (;;) {
        va_start(ap, fmt);
        n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0)
            die("vsnprintf failed");
        if ((size_t) n < b->cap - b->len) {
            b->len += (size_t) n;
            return;
        }
        b->cap = (b->cap + (size_t) n + 1) * 2;
        b->s = xrealloc(b->s, b->cap);
    }
}

static void
sb_free(sb_t *b)
{
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
}

/* Replace every "@S" in tmpl by schema; returns a malloc'ed string. */
static char *
subst(const char *tmpl, const char *schema)
{
    sb_t b = {0};
    const char *p = tmpl, *q;

    sb_reset(&b);
    while ((q = strstr(p, "@S")) != NULL) {
        sb_printf(&b, "%.*s%s", (int) (q - p), p, schema);
        p = q + 2;
    }
    sb_printf(&b, "%s", p);
    return b.s;
}

/* Replace every occurrence of key in s by val; returns a malloc'ed string. */
static char *
replace_all(const char *s, const char *key, const char *val)
{
    sb_t b = {0};
    const char *p = s, *q;
    size_t klen = strlen(key);

    sb_reset(&b);
    while ((q = strstr(p, key)) != NULL) {
        sb_printf(&b, "%.*s%s", (int) (q - p), p, val);
        p = q + klen;
    }
    sb_printf(&b, "%s", p);
    return b.s;
}

static double
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;

    return (x > y) - (x < y);
}

/* Percentile (q in [0,1]) of sorted v[0..n-1], linear interpolation. */
static double
percentile(const double *v, int n, double q)
{
    double pos;
    int lo;

    if (n <= 0)
        return -1;
    pos = (n - 1) * q;
    lo = (int) pos;
    if (lo >= n - 1)
        return v[n - 1];
    return v[lo] + (pos - lo) * (v[lo + 1] - v[lo]);
}

static int
warmup_count(int reps)
{
    int w = reps / 10;

    if (w < 1 && reps >= 2)
        w = 1;
    return w;
}

/* ------------------------------------------------------------------------
 * libpq helpers
 * ------------------------------------------------------------------------ */
static PGconn *
connect_db(const char *db)
{
    const char *keys[] = {"dbname", "dbname", "application_name", NULL};
    const char *vals[] = {opt.dsn, db, "readmodel_bench", NULL};
    PGconn *c;
    PGresult *r;

    c = PQconnectdbParams(keys, vals, 1);
    if (PQstatus(c) != CONNECTION_OK)
        die("cannot connect to database %s: %s", db, PQerrorMessage(c));
    r = PQexec(c, "SET client_min_messages = warning");
    PQclear(r);
    return c;
}

static void
sql_error(PGconn *c, PGresult *r, const char *sql)
{
    fflush(stdout);
    fprintf(stderr, "bench: SQL failed: %s", r ? PQresultErrorMessage(r) : PQerrorMessage(c));
    fprintf(stderr, "bench: statement: %.2000s%s\n", sql, strlen(sql) > 2000 ? " ..." : "");
    exit(2);
}

static bool
res_ok(PGresult *r)
{
    ExecStatusType s = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;

    return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
}

/* Run sql, die on error. */
static void
exec_ok(PGconn *c, const char *sql)
{
    PGresult *r;

    if (opt.verbose)
        fprintf(stderr, "-- %.300s\n", sql);
    r = PQexec(c, sql);
    if (!res_ok(r))
        sql_error(c, r, sql);
    PQclear(r);
}

/* Run sql, die on error, return the result (caller clears). */
static PGresult *
query(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);

    if (!res_ok(r))
        sql_error(c, r, sql);
    return r;
}

/* First column of the first row, malloc'ed ("" for NULL or no row). */
static char *
query_value(PGconn *c, const char *sql)
{
    PGresult *r = query(c, sql);
    char *v = xstrdup(PQntuples(r) > 0 && PQnfields(r) > 0 ? PQgetvalue(r, 0, 0) : "");

    PQclear(r);
    return v;
}

static long
query_long(PGconn *c, const char *sql)
{
    char *v = query_value(c, sql);
    long n = strtol(v, NULL, 10);

    free(v);
    return n;
}

/* Run sql timed; die on error; *rows gets PQcmdTuples (-1 when empty). */
static double
timed_exec(PGconn *c, const char *sql, long *rows)
{
    double t0, t1;
    PGresult *r;
    const char *ct;

    t0 = now_ms();
    r = PQexec(c, sql);
    t1 = now_ms();
    if (!res_ok(r))
        sql_error(c, r, sql);
    ct = PQcmdTuples(r);
    if (rows)
        *rows = (ct && *ct) ? strtol(ct, NULL, 10) : -1;
    PQclear(r);
    return t1 - t0;
}

/* ------------------------------------------------------------------------
 * SQL text
 * ------------------------------------------------------------------------ */

/* The read model ("tv_product aggregate shape"); @S is the schema. */
static const char DEF_TMPL[] =
    "SELECT p.pk_product, p.id, p.fk_category, p.fk_supplier,\n"
    "       jsonb_build_object('id', p.id, 'name', p.name, 'price', p.price,\n"
    "         'category', jsonb_build_object('id', c.id, 'name', c.name),\n"
    "         'supplier', jsonb_build_object('id', s.id, 'name', s.name, 'country', s.country),\n"
    "         'stock', i.quantity,\n"
    "         'reviews', (SELECT coalesce(jsonb_agg(jsonb_build_object('rating', r.rating, 'body', r.body)"
    " ORDER BY r.pk_review), '[]') FROM @S.tb_review r WHERE r.fk_product = p.pk_product),\n"
    "         'avg_rating', (SELECT avg(r.rating) FROM @S.tb_review r WHERE r.fk_product = p.pk_product)) AS data\n"
    "FROM @S.tb_product p JOIN @S.tb_category c ON c.pk_category = p.fk_category\n"
    "JOIN @S.tb_supplier s ON s.pk_supplier = p.fk_supplier\n"
    "LEFT JOIN @S.tb_inventory i ON i.fk_product = p.pk_product";

/* Tables with their keys; foreign keys and indexes come after the load. */
static const char TABLES_TMPL[] =
    "CREATE SCHEMA @S;\n"
    "CREATE TABLE @S.tb_category (pk_category int PRIMARY KEY, id uuid, name text);\n"
    "CREATE TABLE @S.tb_supplier (pk_supplier int PRIMARY KEY, id uuid, name text, country text);\n"
    "CREATE TABLE @S.tb_product (pk_product int PRIMARY KEY, id uuid, fk_category int, fk_supplier int,\n"
    "                            name text, price numeric(10,2), description text);\n"
    "CREATE TABLE @S.tb_review (pk_review int PRIMARY KEY, fk_product int, rating int, body text,\n"
    "                           created_at timestamptz);\n"
    "CREATE TABLE @S.tb_inventory (pk_inventory int PRIMARY KEY, fk_product int UNIQUE,\n"
    "                              quantity int, warehouse text);\n";

static const char CONSTRAINTS_TMPL[] =
    "ALTER TABLE @S.tb_product ADD FOREIGN KEY (fk_category) REFERENCES @S.tb_category,\n"
    "                          ADD FOREIGN KEY (fk_supplier) REFERENCES @S.tb_supplier;\n"
    "ALTER TABLE @S.tb_review ADD FOREIGN KEY (fk_product) REFERENCES @S.tb_product ON DELETE CASCADE;\n"
    "ALTER TABLE @S.tb_inventory ADD FOREIGN KEY (fk_product) REFERENCES @S.tb_product ON DELETE CASCADE;\n"
    "CREATE INDEX ON @S.tb_product (fk_category);\n"
    "CREATE INDEX ON @S.tb_product (fk_supplier);\n"
    "CREATE INDEX ON @S.tb_review (fk_product);\n";
/* tb_inventory.fk_product is indexed by its UNIQUE constraint. */

static const char COPY_TMPL[] =
    "INSERT INTO @S.tb_category SELECT * FROM bare.tb_category;\n"
    "INSERT INTO @S.tb_supplier SELECT * FROM bare.tb_supplier;\n"
    "INSERT INTO @S.tb_product SELECT * FROM bare.tb_product;\n"
    "INSERT INTO @S.tb_review SELECT * FROM bare.tb_review;\n"
    "INSERT INTO @S.tb_inventory SELECT * FROM bare.tb_inventory;\n";

static const char *const TABLES[] = {"tb_category", "tb_supplier", "tb_product", "tb_review", "tb_inventory"};
#define NTABLES 5

/*
 * The do-it-yourself sync: one function that recomputes a set of products
 * from the same definition (upsert, then delete what the definition no
 * longer returns), and row-level AFTER triggers on every source table.
 * The function and trigger functions are created once; the triggers are
 * part of the timed build.  Here @D is replaced by the definition filtered
 * by "p.pk_product = ANY(keys)".
 */
static const char PL_FUNCS_TMPL[] =
    "CREATE FUNCTION pl.sync_products(keys int[]) RETURNS void LANGUAGE plpgsql AS $fn$\n"
    "BEGIN\n"
    "    INSERT INTO pl.tv_product AS t\n"
    "    @D\n"
    "    ON CONFLICT (pk_product) DO UPDATE\n"
    "        SET id = EXCLUDED.id, fk_category = EXCLUDED.fk_category,\n"
    "            fk_supplier = EXCLUDED.fk_supplier, data = EXCLUDED.data\n"
    "        WHERE (t.id, t.fk_category, t.fk_supplier, t.data)\n"
    "              IS DISTINCT FROM (EXCLUDED.id, EXCLUDED.fk_category, EXCLUDED.fk_supplier, EXCLUDED.data);\n"
    "    DELETE FROM pl.tv_product t\n"
    "    WHERE t.pk_product = ANY(keys)\n"
    "      AND NOT EXISTS (SELECT FROM pl.tb_product p\n"
    "                      JOIN pl.tb_category c ON c.pk_category = p.fk_category\n"
    "                      JOIN pl.tb_supplier s ON s.pk_supplier = p.fk_supplier\n"
    "                      WHERE p.pk_product = t.pk_product);\n"
    "END\n"
    "$fn$;\n"
    "CREATE FUNCTION pl.trg_product() RETURNS trigger LANGUAGE plpgsql AS $fn$\n"
    "BEGIN\n"
    "    IF TG_OP = 'INSERT' THEN PERFORM pl.sync_products(ARRAY[NEW.pk_product]);\n"
    "    ELSIF TG_OP = 'DELETE' THEN PERFORM pl.sync_products(ARRAY[OLD.pk_product]);\n"
    "    ELSIF OLD.pk_product = NEW.pk_product THEN PERFORM pl.sync_products(ARRAY[NEW.pk_product]);\n"
    "    ELSE PERFORM pl.sync_products(ARRAY[OLD.pk_product, NEW.pk_product]);\n"
    "    END IF;\n"
    "    RETURN NULL;\n"
    "END\n"
    "$fn$;\n"
    /* children: tb_review and tb_inventory reach the product by fk_product */
    "CREATE FUNCTION pl.trg_child() RETURNS trigger LANGUAGE plpgsql AS $fn$\n"
    "BEGIN\n"
    "    IF TG_OP = 'INSERT' THEN PERFORM pl.sync_products(ARRAY[NEW.fk_product]);\n"
    "    ELSIF TG_OP = 'DELETE' THEN PERFORM pl.sync_products(ARRAY[OLD.fk_product]);\n"
    "    ELSIF OLD.fk_product IS NOT DISTINCT FROM NEW.fk_product THEN PERFORM pl.sync_products(ARRAY[NEW.fk_product]);\n"
    "    ELSE PERFORM pl.sync_products(ARRAY[OLD.fk_product, NEW.fk_product]);\n"
    "    END IF;\n"
    "    RETURN NULL;\n"
    "END\n"
    "$fn$;\n"
    /* parents: every product of the category / supplier */
    "CREATE FUNCTION pl.trg_category() RETURNS trigger LANGUAGE plpgsql AS $fn$\n"
    "BEGIN\n"
    "    IF TG_OP = 'INSERT' THEN RETURN NULL; END IF;  -- a new category has no product yet\n"
    "    PERFORM pl.sync_products(ARRAY(SELECT p.pk_product FROM pl.tb_product p\n"
    "                                   WHERE p.fk_category = OLD.pk_category));\n"
    "    RETURN NULL;\n"
    "END\n"
    "$fn$;\n"
    "CREATE FUNCTION pl.trg_supplier() RETURNS trigger LANGUAGE plpgsql AS $fn$\n"
    "BEGIN\n"
    "    IF TG_OP = 'INSERT' THEN RETURN NULL; END IF;\n"
    "    PERFORM pl.sync_products(ARRAY(SELECT p.pk_product FROM pl.tb_product p\n"
    "                                   WHERE p.fk_supplier = OLD.pk_supplier));\n"
    "    RETURN NULL;\n"
    "END\n"
    "$fn$;\n";
/* A parent's key cannot change while products reference it (no ON UPDATE
 * CASCADE), so OLD.pk = NEW.pk on UPDATE; DELETE is refused by the FK while
 * products reference it. */

static const char PL_TRIGGERS[] =
    "CREATE TRIGGER pl_sync AFTER INSERT OR DELETE OR UPDATE ON pl.tb_product\n"
    "    FOR EACH ROW EXECUTE FUNCTION pl.trg_product();\n"
    "CREATE TRIGGER pl_sync AFTER INSERT OR DELETE OR UPDATE ON pl.tb_review\n"
    "    FOR EACH ROW EXECUTE FUNCTION pl.trg_child();\n"
    "CREATE TRIGGER pl_sync AFTER INSERT OR DELETE OR UPDATE ON pl.tb_inventory\n"
    "    FOR EACH ROW EXECUTE FUNCTION pl.trg_child();\n"
    "CREATE TRIGGER pl_sync AFTER UPDATE ON pl.tb_category\n"
    "    FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW) EXECUTE FUNCTION pl.trg_category();\n"
    "CREATE TRIGGER pl_sync AFTER UPDATE ON pl.tb_supplier\n"
    "    FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW) EXECUTE FUNCTION pl.trg_supplier();\n";

static const char PL_DROP_TRIGGERS[] =
    "DROP TRIGGER IF EXISTS pl_sync ON pl.tb_product;\n"
    "DROP TRIGGER IF EXISTS pl_sync ON pl.tb_review;\n"
    "DROP TRIGGER IF EXISTS pl_sync ON pl.tb_inventory;\n"
    "DROP TRIGGER IF EXISTS pl_sync ON pl.tb_category;\n"
    "DROP TRIGGER IF EXISTS pl_sync ON pl.tb_supplier;\n"
    "DROP TABLE IF EXISTS pl.tv_product;\n";

/* ------------------------------------------------------------------------
 * blog: SQL text
 * ------------------------------------------------------------------------ */
/*
 * A second, smaller schema where one read model embeds another: tv_post
 * carries its author's tv_user document and its comments.  Same four
 * variants, in schemas blog_bare, blog_rm, blog_mv and blog_pl.
 */
static const char *const bschema[NV] = {"blog_bare", "blog_rm", "blog_mv", "blog_pl"};

static const char BLOG_TABLES_TMPL[] =
    "CREATE SCHEMA @S;\n"
    "CREATE TABLE @S.tb_user (pk_user int PRIMARY KEY, id uuid, name text, email text);\n"
    "CREATE TABLE @S.tb_post (pk_post int PRIMARY KEY, id uuid, fk_user int, title text, body text);\n"
    "CREATE TABLE @S.tb_comment (pk_comment int PRIMARY KEY, id uuid, fk_post int, fk_user int, body text);\n";

static const char BLOG_CONSTRAINTS_TMPL[] =
    "ALTER TABLE @S.tb_post ADD FOREIGN KEY (fk_user) REFERENCES @S.tb_user;\n"
    "ALTER TABLE @S.tb_comment ADD FOREIGN KEY (fk_post) REFERENCES @S.tb_post ON DELETE CASCADE,\n"
    "                          ADD FOREIGN KEY (fk_user) REFERENCES @S.tb_user;\n"
    "CREATE INDEX ON @S.tb_post (fk_user);\n"
    "CREATE INDEX ON @S.tb_comment (fk_post);\n"
    "CREATE INDEX ON @S.tb_comment (fk_user);\n";

static const char BLOG_COPY_TMPL[] =
    "INSERT INTO @S.tb_user SELECT * FROM blog_bare.tb_user;\n"
    "INSERT INTO @S.tb_post SELECT * FROM blog_bare.tb_post;\n"
    "INSERT INTO @S.tb_comment SELECT * FROM blog_bare.tb_comment;\n";

static const char *const BLOG_TABLES[] = {"tb_user", "tb_post", "tb_comment"};
#define NBLOG_TABLES 3

/* tv_user */
static const char BLOG_USER_DEF_TMPL[] =
    "SELECT u.pk_user, u.id, jsonb_build_object('id', u.id, 'name', u.name, 'email', u.email) AS data\n"
    "FROM @S.tb_user u";

/* tv_post over a user model @U (a relation with pk_user and data): the
 * readmodel definition (@U = tv_user), the CTAS yardstick (@U = the CTAS
 * copy of tv_user) and the plpgsql sync (@U = its own tv_user table). */
static const char BLOG_POST_DEF_TMPL[] =
    "SELECT p.pk_post, p.id, p.fk_user,\n"
    "       jsonb_build_object('id', p.id, 'title', p.title, 'author', tu.data,\n"
    "         'comments', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', c.id, 'body', c.body)"
    " ORDER BY c.pk_comment), '[]'::jsonb)\n"
    "                      FROM @S.tb_comment c WHERE c.fk_post = p.pk_post)) AS data\n"
    "FROM @S.tb_post p JOIN @U tu ON tu.pk_user = p.fk_user";

/* The same documents from the base tables alone: the materialized view's
 * definition (a matview is recomputed whole anyway) and what the pl and mv
 * tv_post are checked against at the end. */
static const char BLOG_POST_FLAT_TMPL[] =
    "SELECT p.pk_post, p.id, p.fk_user,\n"
    "       jsonb_build_object('id', p.id, 'title', p.title,\n"
    "         'author', jsonb_build_object('id', u.id, 'name', u.name, 'email', u.email),\n"
    "         'comments', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', c.id, 'body', c.body)"
    " ORDER BY c.pk_comment), '[]'::jsonb)\n"
    "                      FROM @S.tb_comment c WHERE c.fk_post = p.pk_post)) AS data\n"
    "FROM @S.tb_post p JOIN @S.tb_user u ON u.pk_user = p.fk_user";

/* after every write of the refresh variant, in the same transaction */
static const char BLOG_REFRESH[] =
    "REFRESH MATERIALIZED VIEW blog_mv.mv_user;\n"
    "REFRESH MATERIALIZED VIEW blog_mv.mv_post";

/*
 * The do-it-yourself sync of the blog: sync_users / sync_posts recompute a
 * set of keys from the definitions (@DU: tv_user's filtered by
 * "u.pk_user = ANY(keys)", @DP: tv_post's over blog_pl.tv_user filtered by
 * "p.pk_post = ANY(keys)").  Like the models, tv_post is kept from tv_user:
 * a trigger on the tv_user table rewrites the posts of every user whose
 * document changed (a rename rewrites the user's posts).
 */
static const char BLOG_PL_FUNCS_TMPL[] =
    "CREATE FUNCTION blog_pl.sync_users(keys int[]) RETURNS void LANGUAGE plpgsql AS $fn$\n"
    "BEGIN\n"
    "    INSERT INTO blog_pl.tv_user AS t\n"
    "    @DU\n"
    "    ON CONFLICT (pk_user) DO UPDATE SET id = EXCLUDED.id, data = EXCLUDED.data\n"
    "        WHERE (t.id, t.data) IS DISTINCT FROM (EXCLUDED.id, EXCLUDED.data);\n"
    "    DELETE FROM blog_pl.tv_user t\n"
    "    WHERE t.pk_user = ANY(keys)\n"
    "      AND NOT EXISTS (SELECT FROM blog_pl.tb_user u WHERE u.pk_user = t.pk_user);\n"
    "END\n"
    "$fn$;\n"
    "CREATE FUNCTION blog_pl.sync_posts(keys int[]) RETURNS void LANGUAGE plpgsql AS $fn$\n"
    "BEGIN\n"
    "    INSERT INTO blog_pl.tv_post AS t\n"
    "    @DP\n"
    "    ON CONFLICT (pk_post) DO UPDATE\n"
    "        SET id = EXCLUDED.id, fk_user = EXCLUDED.fk_user, data = EXCLUDED.data\n"
    "        WHERE (t.id, t.fk_user, t.data) IS DISTINCT FROM (EXCLUDED.id, EXCLUDED.fk_user, EXCLUDED.data);\n"
    "    DELETE FROM blog_pl.tv_post t\n"
    "    WHERE t.pk_post = ANY(keys)\n"
    "      AND NOT EXISTS (SELECT FROM blog_pl.tb_post p\n"
    "                      JOIN blog_pl.tv_user tu ON tu.pk_user = p.fk_user\n"
    "                      WHERE p.pk_post = t.pk_post);\n"
    "END\n"
    "$fn$;\n"
    "CREATE FUNCTION blog_pl.trg_user() RETURNS trigger LANGUAGE plpgsql AS $fn$\n"
    "BEGIN\n"
    "    IF TG_OP = 'INSERT' THEN PERFORM blog_pl.sync_users(ARRAY[NEW.pk_user]);\n"
    "    ELSIF TG_OP = 'DELETE' THEN PERFORM blog_pl.sync_users(ARRAY[OLD.pk_user]);\n"
    "    ELSIF OLD.pk_user = NEW.pk_user THEN PERFORM blog_pl.sync_users(ARRAY[NEW.pk_user]);\n"
    "    ELSE PERFORM blog_pl.sync_users(ARRAY[OLD.pk_user, NEW.pk_user]);\n"
    "    END IF;\n"
    "    RETURN NULL;\n"
    "END\n"
    "$fn$;\n"
    /* the embedded model: a changed user document rewrites its posts */
    "CREATE FUNCTION blog_pl.trg_user_doc() RETURNS trigger LANGUAGE plpgsql AS $fn$\n"
    "BEGIN\n"
    "    IF TG_OP IN ('UPDATE', 'DELETE') THEN\n"
    "        PERFORM blog_pl.sync_posts(ARRAY(SELECT p.pk_post FROM blog_pl.tb_post p\n"
    "                                         WHERE p.fk_user = OLD.pk_user));\n"
    "    END IF;\n"
    "    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND OLD.pk_user <> NEW.pk_user) THEN\n"
    "        PERFORM blog_pl.sync_posts(ARRAY(SELECT p.pk_post FROM blog_pl.tb_post p\n"
    "                                         WHERE p.fk_user = NEW.pk_user));\n"
    "    END IF;\n"
    "    RETURN NULL;\n"
    "END\n"
    "$fn$;\n"
    "CREATE FUNCTION blog_pl.trg_post() RETURNS trigger LANGUAGE plpgsql AS $fn$\n"
    "BEGIN\n"
    "    IF TG_OP = 'INSERT' THEN PERFORM blog_pl.sync_posts(ARRAY[NEW.pk_post]);\n"
    "    ELSIF TG_OP = 'DELETE' THEN PERFORM blog_pl.sync_posts(ARRAY[OLD.pk_post]);\n"
    "    ELSIF OLD.pk_post = NEW.pk_post THEN PERFORM blog_pl.sync_posts(ARRAY[NEW.pk_post]);\n"
    "    ELSE PERFORM blog_pl.sync_posts(ARRAY[OLD.pk_post, NEW.pk_post]);\n"
    "    END IF;\n"
    "    RETURN NULL;\n"
    "END\n"
    "$fn$;\n"
    "CREATE FUNCTION blog_pl.trg_comment() RETURNS trigger LANGUAGE plpgsql AS $fn$\n"
    "BEGIN\n"
    "    IF TG_OP = 'INSERT' THEN PERFORM blog_pl.sync_posts(ARRAY[NEW.fk_post]);\n"
    "    ELSIF TG_OP = 'DELETE' THEN PERFORM blog_pl.sync_posts(ARRAY[OLD.fk_post]);\n"
    "    ELSIF OLD.fk_post IS NOT DISTINCT FROM NEW.fk_post THEN PERFORM blog_pl.sync_posts(ARRAY[NEW.fk_post]);\n"
    "    ELSE PERFORM blog_pl.sync_posts(ARRAY[OLD.fk_post, NEW.fk_post]);\n"
    "    END IF;\n"
    "    RETURN NULL;\n"
    "END\n"
    "$fn$;\n";

static const char BLOG_PL_TRIGGERS[] =
    "CREATE TRIGGER pl_sync AFTER INSERT OR DELETE OR UPDATE ON blog_pl.tb_user\n"
    "    FOR EACH ROW EXECUTE FUNCTION blog_pl.trg_user();\n"
    "CREATE TRIGGER pl_sync AFTER INSERT OR DELETE OR UPDATE ON blog_pl.tv_user\n"
    "    FOR EACH ROW EXECUTE FUNCTION blog_pl.trg_user_doc();\n"
    "CREATE TRIGGER pl_sync AFTER INSERT OR DELETE OR UPDATE ON blog_pl.tb_post\n"
    "    FOR EACH ROW EXECUTE FUNCTION blog_pl.trg_post();\n"
    "CREATE TRIGGER pl_sync AFTER INSERT OR DELETE OR UPDATE ON blog_pl.tb_comment\n"
    "    FOR EACH ROW EXECUTE FUNCTION blog_pl.trg_comment();\n";

static const char BLOG_PL_DROP_TRIGGERS[] =
    "DROP TRIGGER IF EXISTS pl_sync ON blog_pl.tb_user;\n"
    "DROP TRIGGER IF EXISTS pl_sync ON blog_pl.tb_post;\n"
    "DROP TRIGGER IF EXISTS pl_sync ON blog_pl.tb_comment;\n"
    "DROP TABLE IF EXISTS blog_pl.tv_post;\n"
    "DROP TABLE IF EXISTS blog_pl.tv_user;\n";

/* tv_user's and tv_post's definitions for variant v: the user model is
 * read from user_rel (NULL: the variant's own tv_user). */
static char *
blog_user_def(int v)
{
    return subst(BLOG_USER_DEF_TMPL, bschema[v]);
}

static char *
blog_post_def(int v, const char *user_rel)
{
    char rel[96];
    char *t, *d;

    snprintf(rel, sizeof rel, "%s.tv_user", bschema[v]);
    t = replace_all(BLOG_POST_DEF_TMPL, "@U", user_rel ? user_rel : rel);
    d = subst(t, bschema[v]);
    free(t);
    return d;
}

static char *
blog_post_flat(int v)
{
    return subst(BLOG_POST_FLAT_TMPL, bschema[v]);
}

/* ------------------------------------------------------------------------
 * results
 * ------------------------------------------------------------------------ */
typedef struct {
    char op[48];         /* short id, used in the CSV */
    char label[96];      /* human label */
    long affected;       /* tv_product rows the write reaches */
    int samples[NV];     /* timings kept (warm-up excluded) */
    double p50[NV], p95[NV];
    bool have[NV];
    /* readmodel.queue_stats() deltas per statement (rm connection) */
    bool have_stats;
    double keys_recomputed, rows_patched, rows_written, maint_ms, rebuilds;
} lat_t;

typedef struct {
    int clients;
    double tps[NV];      /* only bare and rm used */
    double wal_bytes[NV];  /* WAL per commit (pg_stat_wal delta / commits) */
    double wal_fpi[NV];    /* full-page images per commit */
    long errors[NV];
} thr_t;

typedef struct {
    long n;
    long reviews;
    int ncategories;
    double seconds;
    char tv_size[32];
    char rm_indexes[256];
    lat_t *lat;
    int nlat;
    thr_t thr[MAXLIST];
    int nthr;
    bool checks_ok;
    int nchecks;
    char checks[1024];
    /* the blog part (opt.blog) */
    bool blog;
    long blog_users, blog_posts, blog_comments;
    double blog_seconds;
    char blog_indexes[256];
    lat_t *blat;
    int nblat;
} scale_res_t;

static scale_res_t results[MAXLIST];
static int nresults;
static bool any_check_failed;

static char server_info[1024];
static char lib_mtime_start[64];
static bool lib_changed;
static char command_line[1024];
static FILE *trace_file;

/* Modification time of the installed library (superuser only; "unknown"
 * otherwise), to detect a reinstall in the middle of a run. */
static void
lib_mtime(PGconn *c, char *buf, size_t n)
{
    PGresult *r = PQexec(c, "SELECT to_char(modification AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || ' UTC'"
                            " FROM pg_stat_file((SELECT setting FROM pg_config WHERE name = 'PKGLIBDIR')"
                            "                   || '/pg_readmodel.so', true)");

    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
        snprintf(buf, n, "%s", PQgetvalue(r, 0, 0));
    else
        snprintf(buf, n, "unknown");
    PQclear(r);
}

/* ------------------------------------------------------------------------
 * per-scale context
 * ------------------------------------------------------------------------ */
typedef struct {
    long fanout;
    long category;   /* pk_category */
    long first, last;/* products owned at load (0,0 for the big one) */
    bool big;        /* owns every product only from its phase on */
} fancat_t;

typedef struct {
    long n;
    PGconn *ctl;
    PGconn *conn[NV];
    fancat_t fan[MAXLIST];
    int nfan;
    int ncategories;
    long next_review;
    scale_res_t *res;
    /* blog */
    bool in_blog;       /* add_lat() goes to the blog table */
    long nusers;        /* users 1..nusers */
    long nposts;        /* posts 1..nposts, 3 comments each */
    long full_users;    /* users 1..full_users own 10 posts each (but see big_user) */
    bool big_user;      /* user 1 owns posts 1..1000; users 2..100 own none */
    long next_comment;
} scale_t;

static long long
gcd_ll(long long a, long long b)
{
    while (b) {
        long long t = a % b;

        a = b;
        b = t;
    }
    return a;
}

/* 1 + ((rep + 1) * mult + add) mod n: distinct for distinct rep < n when
 * gcd(mult, n) = 1; mult is moved up to the next value coprime with n. */
static long
pick(int rep, long long mult, long long add, long n)
{
    mult %= n;
    if (mult == 0)
        mult = 1;
    while (gcd_ll(mult, n) != 1)
        mult++;
    return 1 + (long) ((((long long) rep + 1) * mult + add) % n);
}

/* ------------------------------------------------------------------------
 * dataset
 * ------------------------------------------------------------------------ */
static void
plan_fanouts(scale_t *sc)
{
    long maxf = 0, next_product = 1;
    int i;

    for (i = 0; i < opt.nfanouts; i++)
        if (opt.fanouts[i] > maxf)
            maxf = opt.fanouts[i];
    sc->nfan = 0;
    sc->ncategories = 50;
    for (i = 0; i < opt.nfanouts; i++) {
        long f = opt.fanouts[i];
        fancat_t *fc;

        if (f <= sc->n / 10) {
            fc = &sc->fan[sc->nfan++];
            fc->fanout = f;
            fc->category = ++sc->ncategories;
            fc->first = next_product;
            fc->last = next_product + f - 1;
            fc->big = false;
            next_product += f;
        } else if (f == sc->n && f == maxf) {
            /* the whole table: products move into it just before its turn */
            fc = &sc->fan[sc->nfan++];
            fc->fanout = f;
            fc->category = ++sc->ncategories;
            fc->first = fc->last = 0;
            fc->big = true;
        }
    }
    if (next_product - 1 > sc->n / 2)
        die("scale %ld is too small for the fan-outs asked for", sc->n);
}

static void
build_dataset(scale_t *sc)
{
    sb_t b = {0};
    char *s;
    int v, i;
    double t0 = now_ms();

    sb_reset(&b);
    for (v = 0; v < NV; v++) {
        s = subst(TABLES_TMPL, vschema[v]);
        exec_ok(sc->ctl, s);
        free(s);
    }

    /* data, deterministic: setseed() then random() in one session, no
     * parallel plans for INSERT ... SELECT */
    sb_printf(&b, "SELECT setseed(%g)", opt.seed);
    exec_ok(sc->ctl, b.s);

    sb_reset(&b);
    sb_printf(&b,
              "INSERT INTO bare.tb_category\n"
              "SELECT g, md5('category' || g)::uuid, 'category ' || g FROM generate_series(1, 50) g;\n");
    for (i = 0; i < sc->nfan; i++)
        sb_printf(&b,
                  "INSERT INTO bare.tb_category VALUES (%ld, md5('category' || %ld)::uuid, "
                  "'fan-out %ld category');\n",
                  sc->fan[i].category, sc->fan[i].category, sc->fan[i].fanout);
    sb_printf(&b,
              "INSERT INTO bare.tb_supplier\n"
              "SELECT g, md5('supplier' || g)::uuid, 'supplier ' || g,\n"
              "       (ARRAY['FR','DE','IT','ES','NL','PL','SE','US'])[1 + floor(random() * 8)::int]\n"
              "FROM generate_series(1, 100) g;\n");
    sb_printf(&b,
              "INSERT INTO bare.tb_product\n"
              "SELECT g, md5('product' || g)::uuid,\n"
              "       CASE");
    for (i = 0; i < sc->nfan; i++)
        if (!sc->fan[i].big)
            sb_printf(&b, " WHEN g BETWEEN %ld AND %ld THEN %ld", sc->fan[i].first, sc->fan[i].last,
                      sc->fan[i].category);
    sb_printf(&b,
              " ELSE 1 + g %% 50 END,\n"
              "       1 + g %% 100, 'product ' || g,\n"
              "       round((1 + random() * 998)::numeric, 2),\n"
              "       'description of product ' || g || ': ' || md5('d' || g) || md5('e' || g)\n"
              "FROM generate_series(1, %ld) g;\n",
              sc->n);
    sb_printf(&b,
              "INSERT INTO bare.tb_review\n"
              "SELECT (p - 1) * 5 + k, p, 1 + floor(random() * 5)::int,\n"
              "       'review ' || k || ' of product ' || p || ': ' || md5('r' || ((p - 1) * 5 + k)),\n"
              "       timestamptz '2024-01-01 00:00:00+00' + ((p - 1) * 5 + k) * interval '1 minute'\n"
              "FROM generate_series(1, %ld) p, generate_series(1, 5) k;\n",
              sc->n);
    sb_printf(&b,
              "INSERT INTO bare.tb_inventory\n"
              "SELECT g, g, floor(random() * 1000)::int, 'WH-' || (1 + g %% 5)\n"
              "FROM generate_series(1, %ld) g;\n",
              sc->n);
    exec_ok(sc->ctl, b.s);

    for (v = 0; v < NV; v++) {
        if (v != V_BARE) {
            s = subst(COPY_TMPL, vschema[v]);
            exec_ok(sc->ctl, s);
            free(s);
        }
        s = subst(CONSTRAINTS_TMPL, vschema[v]);
        exec_ok(sc->ctl, s);
        free(s);
    }
    /* the pl variant's functions (its table and triggers are built later) */
    {
        char *def = subst(DEF_TMPL, "pl");
        sb_t d = {0};
        char *f;

        sb_reset(&d);
        sb_printf(&d, "%s\n    WHERE p.pk_product = ANY(keys)", def);
        f = xstrdup(PL_FUNCS_TMPL);
        {
            /* replace @D */
            char *at = strstr(f, "@D");
            sb_t out = {0};

            sb_reset(&out);
            sb_printf(&out, "%.*s%s%s", (int) (at - f), f, d.s, at + 2);
            exec_ok(sc->ctl, out.s);
            sb_free(&out);
        }
        free(f);
        free(def);
        sb_free(&d);
    }
    exec_ok(sc->ctl, "VACUUM (ANALYZE)");
    sc->next_review = sc->n * 5 + 1;
    sb_free(&b);
    printf("  dataset: %ld products, %ld reviews, %d categories, 100 suppliers, x4 schemas (%.1f s)\n",
           sc->n, sc->n * 5, sc->ncategories, (now_ms() - t0) / 1000);
    fflush(stdout);
}

/* ------------------------------------------------------------------------
 * initial build
 * ------------------------------------------------------------------------ */
/* readmodel.drop(name) when the model exists. */
static void
drop_model_if_exists(scale_t *sc, const char *name)
{
    sb_t b = {0};
    char *e;

    sb_reset(&b);
    sb_printf(&b, "SELECT to_regclass('%s') IS NOT NULL", name);
    e = query_value(sc->ctl, b.s);
    if (strcmp(e, "t") == 0) {
        sb_reset(&b);
        sb_printf(&b, "SELECT readmodel.drop('%s')", name);
        exec_ok(sc->ctl, b.s);
    }
    free(e);
    sb_free(&b);
}

static void
drop_variant(scale_t *sc, int v)
{
    switch (v) {
    case V_BARE:
        exec_ok(sc->ctl, "DROP TABLE IF EXISTS bare.ctas_product");
        break;
    case V_RM:
        drop_model_if_exists(sc, "rm.tv_product");
        break;
    case V_MV:
        exec_ok(sc->ctl, "DROP MATERIALIZED VIEW IF EXISTS mv.tv_product");
        break;
    case V_PL:
        exec_ok(sc->ctl, PL_DROP_TRIGGERS);
        break;
    }
}

static void
build_sql(sb_t *b, int v)
{
    char *def = subst(DEF_TMPL, vschema[v]);

    sb_reset(b);
    switch (v) {
    case V_BARE:
        /* CREATE TABLE AS + its unique index: the yardstick.  Not named
         * tv_*: with the library preloaded that would declare a model. */
        sb_printf(b, "CREATE TABLE bare.ctas_product AS\n%s;\n"
                     "CREATE UNIQUE INDEX ON bare.ctas_product (pk_product)", def);
        break;
    case V_RM:
        sb_printf(b, "SELECT readmodel.create('rm.tv_product', $def$\n%s\n$def$)", def);
        break;
    case V_MV:
        sb_printf(b, "CREATE MATERIALIZED VIEW mv.tv_product AS\n%s;\n"
                     "CREATE UNIQUE INDEX ON mv.tv_product (pk_product)", def);
        break;
    case V_PL:
        sb_printf(b, "CREATE TABLE pl.tv_product (pk_product int PRIMARY KEY, id uuid, fk_category int,\n"
                     "                            fk_supplier int, data jsonb);\n"
                     "INSERT INTO pl.tv_product\n%s;\n%s", def, PL_TRIGGERS);
        break;
    }
    free(def);
}

static void
add_lat(scale_t *sc, lat_t *l)
{
    scale_res_t *r = sc->res;

    if (sc->in_blog) {
        r->blat = xrealloc(r->blat, sizeof(lat_t) * (size_t) (r->nblat + 1));
        r->blat[r->nblat++] = *l;
        return;
    }
    r->lat = xrealloc(r->lat, sizeof(lat_t) * (size_t) (r->nlat + 1));
    r->lat[r->nlat++] = *l;
}

typedef void (*drop_fn_t)(scale_t *sc, int v);
typedef void (*build_fn_t)(sb_t *b, int v);

/* Drop and rebuild every variant reps times (rotating order, CHECKPOINT
 * before each build), report the median as operation id; cleanup runs after
 * the last build (drops the bare CTAS yardstick). */
static void
measure_build_with(scale_t *sc, drop_fn_t drop, build_fn_t build, const char *cleanup, const char *id,
                   const char *label, long affected)
{
    int reps = opt.build ? opt.build_reps : 1;
    double *t[NV];
    int cnt[NV] = {0};
    int i, j, v;
    sb_t b = {0};
    lat_t l;

    for (v = 0; v < NV; v++)
        t[v] = xmalloc(sizeof(double) * (size_t) reps);
    printf("  initial build: %d repetition%s per variant%s\n", reps, reps == 1 ? "" : "s",
           opt.build ? "" : " (--no-build: built once, not reported)");
    fflush(stdout);
    for (i = 0; i < reps; i++) {
        for (j = 0; j < NV; j++) {
            v = (i + j) % NV;
            drop(sc, v);
            exec_ok(sc->ctl, "CHECKPOINT");
            build(&b, v);
            t[v][cnt[v]++] = timed_exec(sc->ctl, b.s, NULL);
            if (opt.verbose)
                fprintf(stderr, "build %s rep %d: %.1f ms\n", vname[v], i, t[v][cnt[v] - 1]);
        }
    }
    /* the CTAS copy is only the yardstick */
    exec_ok(sc->ctl, cleanup);
    exec_ok(sc->ctl, "VACUUM (ANALYZE)");

    if (opt.build) {
        memset(&l, 0, sizeof l);
        snprintf(l.op, sizeof l.op, "%s", id);
        snprintf(l.label, sizeof l.label, "%s", label);
        l.affected = affected;
        for (v = 0; v < NV; v++) {
            qsort(t[v], (size_t) cnt[v], sizeof(double), cmp_double);
            l.samples[v] = cnt[v];
            l.p50[v] = percentile(t[v], cnt[v], 0.5);
            l.p95[v] = percentile(t[v], cnt[v], 0.95);
            l.have[v] = true;
        }
        add_lat(sc, &l);
    }
    for (v = 0; v < NV; v++)
        free(t[v]);
    sb_free(&b);
}

static void
measure_build(scale_t *sc)
{
    measure_build_with(sc, drop_variant, build_sql, "DROP TABLE IF EXISTS bare.ctas_product", "initial_build",
                       "initial build (bare: CTAS + unique index)", sc->n);
}

/* ------------------------------------------------------------------------
 * timed operations
 * ------------------------------------------------------------------------ */
enum op_kind {
    OP_PRICE, OP_REVIEW_INS, OP_REVIEW_DEL, OP_SUPPLIER, OP_CATEGORY, OP_BATCH, OP_10K,
    /* blog (op_t.blog) */
    OP_B_TITLE, OP_B_COMMENT_INS, OP_B_COMMENT_DEL, OP_B_USER_10, OP_B_USER_1000
};

typedef struct {
    enum op_kind kind;
    const fancat_t *fan; /* OP_CATEGORY */
    int reps;
    bool blog;           /* blog schemas (bschema) and refresh (BLOG_REFRESH) */
} op_t;

/* The statement of repetition rep of op for variant schema S; *expect gets
 * the number of rows it must report (PQcmdTuples). */
static void
op_sql(sb_t *b, scale_t *sc, const op_t *op, const char *S, int rep, long *expect)
{
    long n = sc->n, x, m;

    sb_reset(b);
    *expect = 1;
    switch (op->kind) {
    case OP_PRICE:
        sb_printf(b, "UPDATE %s.tb_product SET price = price + 1 WHERE pk_product = %ld", S,
                  pick(rep, 7919, 3, n));
        break;
    case OP_REVIEW_INS:
        sb_printf(b,
                  "INSERT INTO %s.tb_review (pk_review, fk_product, rating, body, created_at) "
                  "VALUES (%ld, %ld, %d, 'benchmark review %d', "
                  "timestamptz '2024-06-01 00:00:00+00' + interval '%d minutes')",
                  S, sc->next_review + rep, pick(rep, 104729, 11, n), 1 + rep % 5, rep, rep);
        break;
    case OP_REVIEW_DEL:
        /* an original review of a different product each time */
        sb_printf(b, "DELETE FROM %s.tb_review WHERE pk_review = %ld", S,
                  5 * (pick(rep, 15485863, 29, n) - 1) + 1 + rep % 5);
        break;
    case OP_SUPPLIER:
        x = 1 + (rep * 37L) % 100;
        sb_printf(b, "UPDATE %s.tb_supplier SET name = 'supplier %ld rev %d' WHERE pk_supplier = %ld", S, x,
                  rep, x);
        break;
    case OP_CATEGORY:
        sb_printf(b, "UPDATE %s.tb_category SET name = 'fan-out %ld category rev %d' WHERE pk_category = %ld",
                  S, op->fan->fanout, rep, op->fan->category);
        break;
    case OP_BATCH:
        m = n / 100;
        x = 1 + ((rep * 13L) % 100) * m;
        sb_printf(b, "UPDATE %s.tb_product SET price = price + 1 WHERE pk_product BETWEEN %ld AND %ld", S, x,
                  x + m - 1);
        *expect = m;
        break;
    case OP_10K:
        m = n / 10000;
        x = 1 + ((rep * 3L) % m) * 10000;
        sb_printf(b, "UPDATE %s.tb_product SET price = price + 1 WHERE pk_product BETWEEN %ld AND %ld", S, x,
                  x + 9999);
        *expect = 10000;
        break;
    case OP_B_TITLE:
        x = pick(rep, 7919, 3, sc->nposts);
        sb_printf(b, "UPDATE %s.tb_post SET title = 'post %ld rev %d' WHERE pk_post = %ld", S, x, rep, x);
        break;
    case OP_B_COMMENT_INS:
        x = sc->next_comment + rep;
        sb_printf(b,
                  "INSERT INTO %s.tb_comment (pk_comment, id, fk_post, fk_user, body) "
                  "VALUES (%ld, md5('comment' || %ld)::uuid, %ld, %ld, 'benchmark comment %d')",
                  S, x, x, pick(rep, 104729, 11, sc->nposts), pick(rep, 31, 7, sc->nusers), rep);
        break;
    case OP_B_COMMENT_DEL:
        /* an original comment of a different post each time */
        sb_printf(b, "DELETE FROM %s.tb_comment WHERE pk_comment = %ld", S,
                  3 * (pick(rep, 15485863, 29, sc->nposts) - 1) + 1 + rep % 3);
        break;
    case OP_B_USER_10:
        /* a user owning exactly 10 posts, a different one each time when
         * there are enough */
        if (sc->big_user)
            x = 100 + pick(rep, 7919, 5, sc->full_users - 100);
        else
            x = pick(rep, 7919, 5, sc->full_users);
        sb_printf(b, "UPDATE %s.tb_user SET name = 'user %ld rev %d' WHERE pk_user = %ld", S, x, rep, x);
        break;
    case OP_B_USER_1000:
        sb_printf(b, "UPDATE %s.tb_user SET name = 'user 1 rev %d' WHERE pk_user = 1", S, rep);
        break;
    }
}

typedef struct {
    double keys_recomputed, rows_patched, rows_written, maint_ms, rebuilds;
} qstats_t;

static void
rm_stats(PGconn *c, qstats_t *q)
{
    PGresult *r = query(c,
                        "SELECT coalesce(s->>'keys_recomputed', '0'), coalesce(s->>'rows_patched', '0'),"
                        "       coalesce(s->>'rows_written', '0'), coalesce(s->>'total_timing_ms', '0'),"
                        "       coalesce(s->>'rebuilds_chosen', '0')"
                        " FROM readmodel.queue_stats() s");

    q->keys_recomputed = atof(PQgetvalue(r, 0, 0));
    q->rows_patched = atof(PQgetvalue(r, 0, 1));
    q->rows_written = atof(PQgetvalue(r, 0, 2));
    q->maint_ms = atof(PQgetvalue(r, 0, 3));
    q->rebuilds = atof(PQgetvalue(r, 0, 4));
    PQclear(r);
}

static void
vacuum_all(scale_t *sc)
{
    exec_ok(sc->ctl, "VACUUM");
}

static void
run_op(scale_t *sc, const op_t *op, const char *id, const char *label, long affected)
{
    double *t[NV];
    int cnt[NV] = {0};
    int reps = op->reps, mv_reps, warm, kept, i, j, v;
    double mv_spent = 0;
    sb_t b = {0}, full = {0};
    qstats_t q0, q1;
    lat_t l;
    double t0 = now_ms();
    const char *const *schema = op->blog ? bschema : vschema;
    const char *refresh = op->blog ? BLOG_REFRESH : "REFRESH MATERIALIZED VIEW mv.tv_product";

    mv_reps = (opt.refresh_reps > 0 && opt.refresh_reps < reps) ? opt.refresh_reps : reps;
    for (v = 0; v < NV; v++)
        t[v] = xmalloc(sizeof(double) * (size_t) reps);
    warm = warmup_count(reps);
    for (i = 0; i < reps; i++) {
        if (i == warm)  /* stats cover the kept repetitions only */
            rm_stats(sc->conn[V_RM], &q0);
        for (j = 0; j < NV; j++) {
            long expect, got;

            v = (i + j) % NV;
            op_sql(&b, sc, op, schema[v], i, &expect);
            /* --refresh-reps / --refresh-budget (at least 5 samples after
             * the warm-up): past the cap the write still goes to mv, untimed
             * and without a refresh, so the four schemas stay in lock-step */
            if (v == V_MV &&
                (i >= mv_reps || (opt.refresh_budget > 0 && mv_spent >= opt.refresh_budget * 1000 &&
                                  cnt[v] - warmup_count(cnt[v]) >= 5))) {
                exec_ok(sc->conn[v], b.s);
                continue;
            }
            if (v == V_MV) {
                /* write + refresh in one transaction (one simple query) */
                sb_reset(&full);
                sb_printf(&full, "%s;\n%s", b.s, refresh);
                t[v][cnt[v]++] = timed_exec(sc->conn[v], full.s, NULL);
                mv_spent += t[v][cnt[v] - 1];
            } else {
                qstats_t s0, s1;

                if (trace_file && v == V_RM)
                    rm_stats(sc->conn[v], &s0);
                t[v][cnt[v]++] = timed_exec(sc->conn[v], b.s, &got);
                if (got != expect)
                    die("%s: statement reported %ld rows, expected %ld: %s", vname[v], got, expect, b.s);
                if (trace_file && v == V_RM) {
                    rm_stats(sc->conn[v], &s1);
                    fprintf(trace_file, "%ld,%s,%d,%d,%s,%.3f,%.3f\n", sc->n, id, i, i < warm, vname[v],
                            t[v][cnt[v] - 1], s1.maint_ms - s0.maint_ms);
                    continue;
                }
            }
            if (trace_file)
                fprintf(trace_file, "%ld,%s,%d,%d,%s,%.3f,\n", sc->n, id, i, i < warm, vname[v], t[v][cnt[v] - 1]);
        }
    }
    rm_stats(sc->conn[V_RM], &q1);
    if (warm >= reps)
        q0 = q1;

    memset(&l, 0, sizeof l);
    snprintf(l.op, sizeof l.op, "%s", id);
    snprintf(l.label, sizeof l.label, "%s", label);
    l.affected = affected;
    for (v = 0; v < NV; v++) {
        int w = warmup_count(cnt[v]);

        qsort(t[v] + w, (size_t) (cnt[v] - w), sizeof(double), cmp_double);
        l.samples[v] = cnt[v] - w;
        l.p50[v] = percentile(t[v] + w, cnt[v] - w, 0.5);
        l.p95[v] = percentile(t[v] + w, cnt[v] - w, 0.95);
        l.have[v] = cnt[v] - w > 0;
    }
    l.have_stats = true;
    kept = reps - warm > 0 ? reps - warm : 1;
    l.keys_recomputed = (q1.keys_recomputed - q0.keys_recomputed) / kept;
    l.rows_patched = (q1.rows_patched - q0.rows_patched) / kept;
    l.rows_written = (q1.rows_written - q0.rows_written) / kept;
    l.maint_ms = (q1.maint_ms - q0.maint_ms) / kept;
    l.rebuilds = (q1.rebuilds - q0.rebuilds) / kept;
    add_lat(sc, &l);
    if (op->kind == OP_REVIEW_INS)
        sc->next_review += reps;
    if (op->kind == OP_B_COMMENT_INS)
        sc->next_comment += reps;

    printf("  %-44s p50 bare %9.2f  readmodel %9.2f  refresh %10.2f  plpgsql %9.2f ms  (%.0f s)\n", label,
           l.p50[V_BARE], l.p50[V_RM], l.p50[V_MV], l.p50[V_PL], (now_ms() - t0) / 1000);
    fflush(stdout);
    for (v = 0; v < NV; v++)
        free(t[v]);
    sb_free(&b);
    sb_free(&full);
    vacuum_all(sc);
}

/* Before the whole-table fan-out: every product joins the big category, in
 * every variant (untimed; rm and pl maintain, mv is refreshed). */
static void
move_into_big(scale_t *sc, const fancat_t *fc)
{
    sb_t b = {0};
    int v;
    double t0 = now_ms();

    for (v = 0; v < NV; v++) {
        sb_reset(&b);
        sb_printf(&b, "UPDATE %s.tb_product SET fk_category = %ld WHERE pk_product <= %ld", vschema[v],
                  fc->category, fc->fanout);
        if (v == V_MV)
            sb_printf(&b, ";\nREFRESH MATERIALIZED VIEW mv.tv_product");
        exec_ok(sc->conn[v], b.s);
    }
    exec_ok(sc->ctl, "VACUUM (ANALYZE)");
    printf("  (moved %ld products into category %ld for the whole-table fan-out: %.1f s, untimed)\n", fc->fanout,
           fc->category, (now_ms() - t0) / 1000);
    fflush(stdout);
    sb_free(&b);
}

static void
run_ops(scale_t *sc)
{
    op_t op;
    char id[48], label[96];
    int i;

    memset(&op, 0, sizeof op);
    op.reps = opt.reps;

    op.kind = OP_PRICE;
    run_op(sc, &op, "product_price_update", "UPDATE tb_product.price, 1 row (root)", 1);
    op.kind = OP_REVIEW_INS;
    run_op(sc, &op, "review_insert", "INSERT tb_review, 1 row (child)", 1);
    op.kind = OP_REVIEW_DEL;
    run_op(sc, &op, "review_delete", "DELETE tb_review, 1 row (child)", 1);
    op.kind = OP_SUPPLIER;
    run_op(sc, &op, "supplier_rename", "UPDATE tb_supplier.name (parent, fan-out)", sc->n / 100);
    for (i = 0; i < sc->nfan; i++) {
        if (sc->fan[i].big)
            continue;
        op.kind = OP_CATEGORY;
        op.fan = &sc->fan[i];
        snprintf(id, sizeof id, "category_rename_%ld", sc->fan[i].fanout);
        snprintf(label, sizeof label, "UPDATE tb_category.name, fan-out %ld", sc->fan[i].fanout);
        run_op(sc, &op, id, label, sc->fan[i].fanout);
    }
    op.reps = opt.batch_reps;
    op.kind = OP_BATCH;
    snprintf(label, sizeof label, "UPDATE 1%% batch (%ld products)", sc->n / 100);
    run_op(sc, &op, "batch_1pct", label, sc->n / 100);
    if (sc->n >= 10000) {
        op.kind = OP_10K;
        run_op(sc, &op, "update_10000", "UPDATE 10,000 products", 10000);
    }
    for (i = 0; i < sc->nfan; i++) {
        if (!sc->fan[i].big)
            continue;
        move_into_big(sc, &sc->fan[i]);
        op.kind = OP_CATEGORY;
        op.fan = &sc->fan[i];
        snprintf(id, sizeof id, "category_rename_%ld", sc->fan[i].fanout);
        snprintf(label, sizeof label, "UPDATE tb_category.name, fan-out %ld", sc->fan[i].fanout);
        run_op(sc, &op, id, label, sc->fan[i].fanout);
    }
}

/* ------------------------------------------------------------------------
 * throughput
 * ------------------------------------------------------------------------ */
typedef struct {
    long count;
    long errors;
    double elapsed_ms;
} child_res_t;

static void
child_main(const char *schema, long lo, long size, double duration, int ready_fd, int go_fd, int res_fd)
{
    PGconn *c;
    PGresult *r;
    child_res_t res = {0, 0, 0};
    char sql[256], byte = 'r';
    double t0, deadline, t;
    long j = 0;
    ssize_t n;

    {
        const char *keys[] = {"dbname", "dbname", "application_name", NULL};
        const char *vals[] = {opt.dsn, opt.db, "readmodel_bench_client", NULL};

        c = PQconnectdbParams(keys, vals, 1);
    }
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "bench: client cannot connect: %s", PQerrorMessage(c));
        res.errors = -1;
    }
    if (write(ready_fd, &byte, 1) != 1)
        _exit(3);
    /* wait until the parent closes the go pipe */
    while ((n = read(go_fd, &byte, 1)) < 0 && errno == EINTR)
        ;
    if (opt.hot_rows > 0 && opt.hot_rows < size)
        size = opt.hot_rows;
    t0 = now_ms();
    deadline = t0 + duration * 1000;
    if (res.errors == 0) {
        do {
            snprintf(sql, sizeof sql, "UPDATE %s.tb_product SET price = price + 1 WHERE pk_product = %ld",
                     schema, lo + (j++ % size));
            r = PQexec(c, sql);
            if (PQresultStatus(r) == PGRES_COMMAND_OK)
                res.count++;
            else {
                if (res.errors++ < 3)
                    fprintf(stderr, "bench: client error: %s", PQresultErrorMessage(r));
            }
            PQclear(r);
            t = now_ms();
        } while (t < deadline);
        res.elapsed_ms = t - t0;
    }
    PQfinish(c);
    if (write(res_fd, &res, sizeof res) != (ssize_t) sizeof res)
        _exit(3);
    _exit(0);
}

static double
run_clients(scale_t *sc, int v, int k, double duration, long *errors)
{
    int ready[2], go[2], resp[2], i, status;
    pid_t pids[MAXLIST * 8];
    long size = sc->n / k, total = 0;
    double maxel = 0;
    char byte;

    if (k > (int) (sizeof pids / sizeof pids[0]))
        die("too many clients");
    if (pipe(ready) || pipe(go) || pipe(resp))
        die("pipe: %s", strerror(errno));
    fflush(stdout);
    fflush(stderr);
    for (i = 0; i < k; i++) {
        pids[i] = fork();
        if (pids[i] < 0)
            die("fork: %s", strerror(errno));
        if (pids[i] == 0) {
            close(ready[0]);
            close(go[1]);
            close(resp[0]);
            child_main(vschema[v], 1 + i * size, size, duration, ready[1], go[0], resp[1]);
        }
    }
    close(ready[1]);
    close(go[0]);
    close(resp[1]);
    for (i = 0; i < k; i++)
        if (read(ready[0], &byte, 1) != 1)
            die("a client did not start");
    close(go[1]);   /* go */
    *errors = 0;
    for (i = 0; i < k; i++) {
        child_res_t cr;
        ssize_t n = read(resp[0], &cr, sizeof cr);

        if (n != (ssize_t) sizeof cr)
            die("a client did not report (read %zd)", n);
        if (cr.errors)
            *errors += cr.errors < 0 ? 1 : cr.errors;
        total += cr.count;
        if (cr.elapsed_ms > maxel)
            maxel = cr.elapsed_ms;
    }
    for (i = 0; i < k; i++)
        waitpid(pids[i], &status, 0);
    close(ready[0]);
    close(resp[0]);
    return maxel > 0 ? total / (maxel / 1000) : 0;
}

static const char *
hot_rows_text(void)
{
    static char buf[96];

    if (opt.hot_rows > 0)
        snprintf(buf, sizeof buf, "each client cycling over %ld rows of its own", opt.hot_rows);
    else
        snprintf(buf, sizeof buf, "each client walking its own share of the rows once");
    return buf;
}

/*
 * Cluster-wide WAL counters.  The clients' backends report theirs when they
 * exit, so wait until they are gone before reading.
 */
static void
wal_counters(scale_t *sc, double *bytes, double *fpi)
{
    PGresult *r;
    int tries;

    for (tries = 0; tries < 200; tries++) {
        r = query(sc->ctl, "SELECT count(*) FROM pg_stat_activity"
                           " WHERE application_name = 'readmodel_bench_client'");
        if (atol(PQgetvalue(r, 0, 0)) == 0) {
            PQclear(r);
            break;
        }
        PQclear(r);
        nanosleep(&(struct timespec) {0, 10 * 1000 * 1000}, NULL);
    }
    r = query(sc->ctl, "SELECT wal_bytes, wal_fpi FROM pg_stat_wal");
    *bytes = atof(PQgetvalue(r, 0, 0));
    *fpi = atof(PQgetvalue(r, 0, 1));
    PQclear(r);
}

static void
run_throughput(scale_t *sc)
{
    int i, j, v;
    scale_res_t *r = sc->res;

    printf("  throughput: %.0f s per variant and client count (as bare, rm, rm, bare halves), "
           "UPDATE tb_product.price on disjoint products, %s\n", opt.duration, hot_rows_text());
    fflush(stdout);
    r->nthr = 0;
    for (i = 0; i < opt.nclients; i++) {
        thr_t *th = &r->thr[r->nthr++];

        memset(th, 0, sizeof *th);
        th->clients = opt.clients[i];
        /* ABBA: bare, rm, rm, bare, each half the duration, so that drift
         * (checkpoints, autovacuum) hits both variants alike */
        {
            double commits[NV] = {0}, secs[NV] = {0}, wal[NV] = {0}, fpi[NV] = {0};

            for (j = 0; j < 4; j++) {
                double tps, b0, f0, b1, f1;
                long errs = 0;

                v = (j == 0 || j == 3) ? V_BARE : V_RM;
                exec_ok(sc->ctl, "VACUUM bare.tb_product, rm.tb_product, rm.tv_product");
                exec_ok(sc->ctl, "CHECKPOINT");
                wal_counters(sc, &b0, &f0);
                tps = run_clients(sc, v, th->clients, opt.duration / 2, &errs);
                wal_counters(sc, &b1, &f1);
                commits[v] += tps * opt.duration / 2;
                secs[v] += opt.duration / 2;
                wal[v] += b1 - b0;
                fpi[v] += f1 - f0;
                th->errors[v] += errs;
                if (errs)
                    die("%ld errors in the %s throughput run with %d clients", errs, vname[v], th->clients);
            }
            for (v = 0; v < 2; v++) {
                th->tps[v] = commits[v] / secs[v];
                th->wal_bytes[v] = commits[v] > 0 ? wal[v] / commits[v] : 0;
                th->wal_fpi[v] = commits[v] > 0 ? fpi[v] / commits[v] : 0;
            }
        }
        printf("  %d client%s: bare %.0f tps, readmodel %.0f tps (%.0f%%); WAL per commit: "
               "bare %.0f B, %.3f FPI; readmodel %.0f B, %.3f FPI\n", th->clients,
               th->clients == 1 ? " " : "s", th->tps[V_BARE], th->tps[V_RM],
               th->tps[V_BARE] > 0 ? 100 * th->tps[V_RM] / th->tps[V_BARE] : 0,
               th->wal_bytes[V_BARE], th->wal_fpi[V_BARE], th->wal_bytes[V_RM], th->wal_fpi[V_RM]);
        fflush(stdout);
    }
    vacuum_all(sc);
}

/* ------------------------------------------------------------------------
 * correctness
 * ------------------------------------------------------------------------ */
static void
check(scale_t *sc, const char *what, const char *sql)
{
    long bad = query_long(sc->ctl, sql);
    size_t len = strlen(sc->res->checks);

    printf("  check %-62s %s\n", what, bad == 0 ? "ok" : "FAILED");
    if (bad != 0) {
        printf("        (%ld differing rows)\n", bad);
        sc->res->checks_ok = false;
        any_check_failed = true;
    }
    sc->res->nchecks++;
    if (bad != 0)
        snprintf(sc->res->checks + len, sizeof sc->res->checks - len, "%sFAILED: %s (%ld rows)", len ? "; " : "",
                 what, bad);
    fflush(stdout);
}

/* Check that queries a and bq return the same rows (EXCEPT ALL both ways). */
static void
check_same_rows(scale_t *sc, const char *what, const char *a, const char *bq)
{
    sb_t b = {0};

    sb_reset(&b);
    sb_printf(&b, "SELECT count(*) FROM (((%s) EXCEPT ALL (%s)) UNION ALL ((%s) EXCEPT ALL (%s))) d",
              a, bq, bq, a);
    check(sc, what, b.s);
    sb_free(&b);
}

/* Every base table of every variant schema equals the bare one (schemas[0]). */
static void
check_base_tables(scale_t *sc, const char *const *schemas, const char *const *tables, int ntables)
{
    sb_t a = {0}, c = {0}, w = {0};
    int t, v;

    for (t = 0; t < ntables; t++) {
        for (v = 1; v < NV; v++) {
            sb_reset(&a);
            sb_reset(&c);
            sb_reset(&w);
            sb_printf(&a, "TABLE %s.%s", schemas[0], tables[t]);
            sb_printf(&c, "TABLE %s.%s", schemas[v], tables[t]);
            sb_printf(&w, "%s.%s = %s.%s", schemas[v], tables[t], schemas[0], tables[t]);
            check_same_rows(sc, w.s, a.s, c.s);
        }
    }
    sb_free(&a);
    sb_free(&c);
    sb_free(&w);
}

/* Lock-step check: every variant received the same writes. */
static void
check_variants_equal(scale_t *sc)
{
    sb_t c = {0}, w = {0};
    int v;

    exec_ok(sc->ctl, "REFRESH MATERIALIZED VIEW mv.tv_product");
    check_base_tables(sc, vschema, TABLES, NTABLES);
    for (v = V_MV; v < NV; v++) {
        sb_reset(&c);
        sb_reset(&w);
        sb_printf(&c, "SELECT pk_product, id, fk_category, fk_supplier, data FROM %s.tv_product", vschema[v]);
        sb_printf(&w, "%s.tv_product = rm.tv_product", vschema[v]);
        check_same_rows(sc, w.s, "SELECT pk_product, id, fk_category, fk_supplier, data FROM rm.tv_product", c.s);
    }
    sb_free(&c);
    sb_free(&w);
}

/* Final check: every model equals its definition. */
static void
check_models(scale_t *sc)
{
    char *def;

    check(sc, "readmodel.verify('rm.tv_product') returns no row",
          "SELECT count(*) FROM readmodel.verify('rm.tv_product')");

    def = subst(DEF_TMPL, "pl");
    check_same_rows(sc, "pl.tv_product = its definition (EXCEPT ALL both ways)",
                    "SELECT pk_product, id, fk_category, fk_supplier, data FROM pl.tv_product", def);
    free(def);

    exec_ok(sc->ctl, "REFRESH MATERIALIZED VIEW mv.tv_product");
    def = subst(DEF_TMPL, "mv");
    check_same_rows(sc, "mv.tv_product (refreshed) = its definition",
                    "SELECT pk_product, id, fk_category, fk_supplier, data FROM mv.tv_product", def);
    free(def);
}

/* ------------------------------------------------------------------------
 * blog: a model embedding another model
 * ------------------------------------------------------------------------ */
static long
blog_posts_for(long n)
{
    return n / 4;
}

static void
blog_dataset(scale_t *sc)
{
    sb_t b = {0};
    char *s, *du, *dp, *f1, *f2;
    int v;
    double t0 = now_ms();

    sc->nposts = blog_posts_for(sc->n);
    sc->nusers = (sc->nposts + 9) / 10;
    sc->full_users = sc->nposts / 10;
    /* fan-out 1,000 when 1,000 <= posts / 10, as for the categories */
    sc->big_user = sc->nposts / 10 >= 1000;
    sc->next_comment = 3 * sc->nposts + 1;

    for (v = 0; v < NV; v++) {
        s = subst(BLOG_TABLES_TMPL, bschema[v]);
        exec_ok(sc->ctl, s);
        free(s);
    }
    sb_reset(&b);
    sb_printf(&b,
              "INSERT INTO blog_bare.tb_user\n"
              "SELECT g, md5('user' || g)::uuid, 'user ' || g, 'user' || g || '@example.com'\n"
              "FROM generate_series(1, %ld) g;\n",
              sc->nusers);
    /* user u owns posts 10(u-1)+1 .. 10u; with big_user, user 1 owns posts
     * 1..1000 instead (users 2..100 then have no post) */
    sb_printf(&b,
              "INSERT INTO blog_bare.tb_post\n"
              "SELECT g, md5('post' || g)::uuid, CASE WHEN g <= %d THEN 1 ELSE 1 + (g - 1) / 10 END,\n"
              "       'post ' || g, 'body of post ' || g || ': ' || md5('b' || g) || md5('c' || g)\n"
              "FROM generate_series(1, %ld) g;\n",
              sc->big_user ? 1000 : 0, sc->nposts);
    sb_printf(&b,
              "INSERT INTO blog_bare.tb_comment\n"
              "SELECT (p - 1) * 3 + k, md5('comment' || ((p - 1) * 3 + k))::uuid, p,\n"
              "       1 + ((p - 1) * 3 + k) * 7 %% %ld,\n"
              "       'comment ' || k || ' on post ' || p || ': ' || md5('m' || ((p - 1) * 3 + k))\n"
              "FROM generate_series(1, %ld) p, generate_series(1, 3) k;\n",
              sc->nusers, sc->nposts);
    exec_ok(sc->ctl, b.s);

    for (v = 0; v < NV; v++) {
        if (v != V_BARE) {
            s = subst(BLOG_COPY_TMPL, bschema[v]);
            exec_ok(sc->ctl, s);
            free(s);
        }
        s = subst(BLOG_CONSTRAINTS_TMPL, bschema[v]);
        exec_ok(sc->ctl, s);
        free(s);
    }

    /* the pl variant's functions (its tables and triggers are built later) */
    s = blog_user_def(V_PL);
    du = replace_all("@D\n    WHERE u.pk_user = ANY(keys)", "@D", s);
    free(s);
    s = blog_post_def(V_PL, NULL);
    dp = replace_all("@D\n    WHERE p.pk_post = ANY(keys)", "@D", s);
    free(s);
    f1 = replace_all(BLOG_PL_FUNCS_TMPL, "@DU", du);
    f2 = replace_all(f1, "@DP", dp);
    exec_ok(sc->ctl, f2);
    free(f1);
    free(f2);
    free(du);
    free(dp);

    exec_ok(sc->ctl, "VACUUM (ANALYZE)");
    sb_free(&b);
    printf("  blog dataset: %ld users, %ld posts, %ld comments%s, x4 schemas (%.1f s)\n", sc->nusers, sc->nposts,
           3 * sc->nposts, sc->big_user ? ", user 1 owns 1000 posts" : "", (now_ms() - t0) / 1000);
    fflush(stdout);
}

static void
blog_drop_variant(scale_t *sc, int v)
{
    switch (v) {
    case V_BARE:
        exec_ok(sc->ctl, "DROP TABLE IF EXISTS blog_bare.ctas_post, blog_bare.ctas_user");
        break;
    case V_RM:
        /* tv_post reads tv_user: drop it first */
        drop_model_if_exists(sc, "blog_rm.tv_post");
        drop_model_if_exists(sc, "blog_rm.tv_user");
        break;
    case V_MV:
        exec_ok(sc->ctl, "DROP MATERIALIZED VIEW IF EXISTS blog_mv.mv_post, blog_mv.mv_user");
        break;
    case V_PL:
        exec_ok(sc->ctl, BLOG_PL_DROP_TRIGGERS);
        break;
    }
}

static void
blog_build_sql(sb_t *b, int v)
{
    char *du = blog_user_def(v), *dp = NULL;

    sb_reset(b);
    switch (v) {
    case V_BARE:
        /* CTAS + unique index of both, tv_post's over the CTAS copy of
         * tv_user: the yardstick (not named tv_*, see build_sql) */
        dp = blog_post_def(v, "blog_bare.ctas_user");
        sb_printf(b, "CREATE TABLE blog_bare.ctas_user AS\n%s;\n"
                     "CREATE UNIQUE INDEX ON blog_bare.ctas_user (pk_user);\n"
                     "CREATE TABLE blog_bare.ctas_post AS\n%s;\n"
                     "CREATE UNIQUE INDEX ON blog_bare.ctas_post (pk_post)", du, dp);
        break;
    case V_RM:
        dp = blog_post_def(v, NULL);
        sb_printf(b, "SELECT readmodel.create('blog_rm.tv_user', $def$\n%s\n$def$);\n"
                     "SELECT readmodel.create('blog_rm.tv_post', $def$\n%s\n$def$)", du, dp);
        break;
    case V_MV:
        dp = blog_post_flat(v);
        sb_printf(b, "CREATE MATERIALIZED VIEW blog_mv.mv_user AS\n%s;\n"
                     "CREATE UNIQUE INDEX ON blog_mv.mv_user (pk_user);\n"
                     "CREATE MATERIALIZED VIEW blog_mv.mv_post AS\n%s;\n"
                     "CREATE UNIQUE INDEX ON blog_mv.mv_post (pk_post)", du, dp);
        break;
    case V_PL:
        dp = blog_post_def(v, NULL);
        sb_printf(b, "CREATE TABLE blog_pl.tv_user (pk_user int PRIMARY KEY, id uuid, data jsonb);\n"
                     "INSERT INTO blog_pl.tv_user\n%s;\n"
                     "CREATE TABLE blog_pl.tv_post (pk_post int PRIMARY KEY, id uuid, fk_user int, data jsonb);\n"
                     "INSERT INTO blog_pl.tv_post\n%s;\n%s", du, dp, BLOG_PL_TRIGGERS);
        break;
    }
    free(du);
    free(dp);
}

static void
run_blog_ops(scale_t *sc)
{
    op_t op;

    memset(&op, 0, sizeof op);
    op.reps = opt.reps;
    op.blog = true;

    op.kind = OP_B_TITLE;
    run_op(sc, &op, "blog_post_title_update", "UPDATE tb_post.title, 1 row (root)", 1);
    op.kind = OP_B_COMMENT_INS;
    run_op(sc, &op, "blog_comment_insert", "INSERT tb_comment, 1 row (child)", 1);
    op.kind = OP_B_COMMENT_DEL;
    run_op(sc, &op, "blog_comment_delete", "DELETE tb_comment, 1 row (child)", 1);
    op.kind = OP_B_USER_10;
    run_op(sc, &op, "blog_user_rename_10", "UPDATE tb_user.name, 10 posts (via tv_user)", 11);
    if (sc->big_user) {
        op.kind = OP_B_USER_1000;
        run_op(sc, &op, "blog_user_rename_1000", "UPDATE tb_user.name, 1,000 posts (via tv_user)", 1001);
    }
}

/* Lock-step check of the blog: identical base tables, and the tv_user /
 * tv_post of mv and pl equal rm's. */
static void
check_blog_variants_equal(scale_t *sc)
{
    sb_t c = {0}, w = {0};
    int v;

    exec_ok(sc->ctl, BLOG_REFRESH);
    check_base_tables(sc, bschema, BLOG_TABLES, NBLOG_TABLES);
    for (v = V_MV; v < NV; v++) {
        const char *u = v == V_MV ? "mv_user" : "tv_user", *p = v == V_MV ? "mv_post" : "tv_post";

        sb_reset(&c);
        sb_reset(&w);
        sb_printf(&c, "SELECT pk_user, id, data FROM %s.%s", bschema[v], u);
        sb_printf(&w, "%s.%s = blog_rm.tv_user", bschema[v], u);
        check_same_rows(sc, w.s, "SELECT pk_user, id, data FROM blog_rm.tv_user", c.s);
        sb_reset(&c);
        sb_reset(&w);
        sb_printf(&c, "SELECT pk_post, id, fk_user, data FROM %s.%s", bschema[v], p);
        sb_printf(&w, "%s.%s = blog_rm.tv_post", bschema[v], p);
        check_same_rows(sc, w.s, "SELECT pk_post, id, fk_user, data FROM blog_rm.tv_post", c.s);
    }
    sb_free(&c);
    sb_free(&w);
}

/* Final check of the blog: every model equals its definition; tv_post is
 * compared with the documents computed from the base tables alone. */
static void
check_blog_models(scale_t *sc)
{
    char *def;

    check(sc, "readmodel.verify('blog_rm.tv_user') returns no row",
          "SELECT count(*) FROM readmodel.verify('blog_rm.tv_user')");
    check(sc, "readmodel.verify('blog_rm.tv_post') returns no row",
          "SELECT count(*) FROM readmodel.verify('blog_rm.tv_post')");

    def = blog_user_def(V_PL);
    check_same_rows(sc, "blog_pl.tv_user = its definition (EXCEPT ALL both ways)",
                    "SELECT pk_user, id, data FROM blog_pl.tv_user", def);
    free(def);
    def = blog_post_flat(V_PL);
    check_same_rows(sc, "blog_pl.tv_post = its definition (EXCEPT ALL both ways)",
                    "SELECT pk_post, id, fk_user, data FROM blog_pl.tv_post", def);
    free(def);

    exec_ok(sc->ctl, BLOG_REFRESH);
    def = blog_user_def(V_MV);
    check_same_rows(sc, "blog_mv.mv_user (refreshed) = its definition",
                    "SELECT pk_user, id, data FROM blog_mv.mv_user", def);
    free(def);
    def = blog_post_flat(V_MV);
    check_same_rows(sc, "blog_mv.mv_post (refreshed) = its definition",
                    "SELECT pk_post, id, fk_user, data FROM blog_mv.mv_post", def);
    free(def);
}

/* The blog part of a scale, after the product part, on the same database. */
static void
run_blog(scale_t *sc)
{
    scale_res_t *r = sc->res;
    double t0 = now_ms();
    char label[96];
    int v;

    printf("\n  --- blog: n/40 users, n/4 posts, 3 comments per post; tv_post embeds tv_user ---\n");
    fflush(stdout);
    sc->in_blog = true;
    r->blog = true;
    blog_dataset(sc);
    r->blog_users = sc->nusers;
    r->blog_posts = sc->nposts;
    r->blog_comments = 3 * sc->nposts;

    snprintf(label, sizeof label, "initial build (bare: CTAS + unique indexes)");
    measure_build_with(sc, blog_drop_variant, blog_build_sql,
                       "DROP TABLE IF EXISTS blog_bare.ctas_post, blog_bare.ctas_user", "blog_initial_build",
                       label, sc->nusers + sc->nposts);
    {
        PGresult *q = query(sc->ctl,
                            "SELECT pg_size_pretty(pg_total_relation_size('blog_rm.tv_post')),"
                            " (SELECT string_agg(indexdef, '; ' ORDER BY indexname) FROM pg_indexes"
                            "  WHERE schemaname = 'blog_rm' AND tablename IN ('tv_user', 'tv_post'))");

        snprintf(r->blog_indexes, sizeof r->blog_indexes, "%s", PQgetvalue(q, 0, 1));
        printf("  blog_rm.tv_post: %s; indexes: %s\n", PQgetvalue(q, 0, 0), r->blog_indexes);
        PQclear(q);
    }

    /* fresh sessions, as for the product part: opened after the build */
    for (v = 0; v < NV; v++) {
        PQfinish(sc->conn[v]);
        sc->conn[v] = connect_db(opt.db);
        if (v == V_RM)
            exec_ok(sc->conn[v], "SELECT readmodel.queue_stats()");
    }
    run_blog_ops(sc);
    check_blog_variants_equal(sc);
    check_blog_models(sc);
    sc->in_blog = false;
    r->blog_seconds = (now_ms() - t0) / 1000;
    printf("  blog done in %.0f s\n", r->blog_seconds);
    fflush(stdout);
}

/* ------------------------------------------------------------------------
 * output
 * ------------------------------------------------------------------------ */
static double
ratio(double a, double b)
{
    return (a >= 0 && b > 0) ? a / b : -1;
}

static const char *
fmt_ms(char *buf, size_t n, double v)
{
    if (v < 0)
        snprintf(buf, n, "-");
    else if (v < 10)
        snprintf(buf, n, "%.2f", v);
    else if (v < 1000)
        snprintf(buf, n, "%.1f", v);
    else
        snprintf(buf, n, "%.0f", v);
    return buf;
}

static const char *
fmt_ratio(char *buf, size_t n, double v)
{
    if (v < 0)
        snprintf(buf, n, "-");
    else if (v < 10)
        snprintf(buf, n, "%.2f", v);
    else if (v < 100)
        snprintf(buf, n, "%.1f", v);
    else
        snprintf(buf, n, "%.0f", v);
    return buf;
}

/* Latency table, kept samples and queue_stats() deltas of one list. */
static void
print_lat(const lat_t *lat, int nlat)
{
    char a[32], b[32], c[32], d[32], e[32], f[32], g[32], h[32], i_[32], j_[32], k[32], q[32];
    int i, v;

    printf("%-46s %7s | %15s | %15s %7s | %17s %7s | %15s %7s | %9s\n", "operation", "rows", "bare p50/p95",
           "readmodel", "x bare", "refresh", "x bare", "plpgsql", "x bare", "refresh/rm");
    for (i = 0; i < nlat; i++) {
        const lat_t *l = &lat[i];
        char bare[40], rm[40], mv[40], pl[40];

        snprintf(bare, sizeof bare, "%s/%s", fmt_ms(a, sizeof a, l->p50[V_BARE]), fmt_ms(b, sizeof b, l->p95[V_BARE]));
        snprintf(rm, sizeof rm, "%s/%s", fmt_ms(c, sizeof c, l->p50[V_RM]), fmt_ms(d, sizeof d, l->p95[V_RM]));
        snprintf(mv, sizeof mv, "%s/%s", fmt_ms(e, sizeof e, l->p50[V_MV]), fmt_ms(f, sizeof f, l->p95[V_MV]));
        snprintf(pl, sizeof pl, "%s/%s", fmt_ms(g, sizeof g, l->p50[V_PL]), fmt_ms(h, sizeof h, l->p95[V_PL]));
        printf("%-46s %7ld | %15s | %15s %7s | %17s %7s | %15s %7s | %9s\n", l->label, l->affected, bare, rm,
               fmt_ratio(i_, sizeof i_, ratio(l->p50[V_RM], l->p50[V_BARE])), mv,
               fmt_ratio(j_, sizeof j_, ratio(l->p50[V_MV], l->p50[V_BARE])), pl,
               fmt_ratio(k, sizeof k, ratio(l->p50[V_PL], l->p50[V_BARE])),
               fmt_ratio(q, sizeof q, ratio(l->p50[V_MV], l->p50[V_RM])));
    }
    printf("kept samples per variant (bare/readmodel/refresh/plpgsql):");
    for (i = 0; i < nlat; i++) {
        printf("%s %s", i ? "," : "", lat[i].op);
        for (v = 0; v < NV; v++)
            printf("%s%d", v ? "/" : " ", lat[i].samples[v]);
    }
    printf("\n");

    printf("\nreadmodel.queue_stats() deltas per statement (rm connection, kept repetitions):\n");
    printf("%-46s %12s %12s %12s %14s %9s\n", "operation", "keys_recomp", "rows_patched", "rows_written",
           "maint_ms_mean", "rebuilds");
    for (i = 0; i < nlat; i++) {
        const lat_t *l = &lat[i];

        if (!l->have_stats)
            continue;
        printf("%-46s %12.1f %12.1f %12.1f %14.2f %9.2f\n", l->label, l->keys_recomputed, l->rows_patched,
               l->rows_written, l->maint_ms, l->rebuilds);
    }
}

static void
print_scale(const scale_res_t *r)
{
    int i;

    printf("\n== %ld products, %ld reviews: latency in ms (p50 / p95 of the kept repetitions), "
           "ratio = p50 / p50(bare) ==\n",
           r->n, r->reviews);
    print_lat(r->lat, r->nlat);

    if (r->nthr) {
        printf("\nwrite throughput, single-row UPDATE tb_product.price on disjoint products, %s:\n",
               hot_rows_text());
        printf("%8s %12s %14s %16s %20s %20s\n", "clients", "bare tps", "readmodel tps", "readmodel/bare",
               "bare WAL B (FPI)", "rm WAL B (FPI)");
        for (i = 0; i < r->nthr; i++)
            printf("%8d %12.0f %14.0f %15.0f%% %12.0f (%.3f) %12.0f (%.3f)\n", r->thr[i].clients,
                   r->thr[i].tps[V_BARE], r->thr[i].tps[V_RM],
                   100 * ratio(r->thr[i].tps[V_RM], r->thr[i].tps[V_BARE]), r->thr[i].wal_bytes[V_BARE],
                   r->thr[i].wal_fpi[V_BARE], r->thr[i].wal_bytes[V_RM], r->thr[i].wal_fpi[V_RM]);
    }
    if (r->blog) {
        printf("\n== scale %ld, blog: %ld users, %ld posts, %ld comments; tv_post embeds tv_user: latency in ms "
               "(p50 / p95), ratio = p50 / p50(bare); rows = tv_user + tv_post rows reached ==\n",
               r->n, r->blog_users, r->blog_posts, r->blog_comments);
        print_lat(r->blat, r->nblat);
    }
    printf("\nchecks: %s\n", r->checks_ok ? "all passed" : "FAILED");
    fflush(stdout);
}

static void
csv_lat(FILE *f, long n, const lat_t *lat, int nlat)
{
    int i, v;
    size_t len;

    for (i = 0; i < nlat; i++) {
        const lat_t *l = &lat[i];

        len = strlen(l->op);
        for (v = 0; v < NV; v++) {
            if (!l->have[v])
                continue;
            fprintf(f, "%ld,%s,%s,%s,%ld,%d,%.3f,%.3f,,%.4f,", n,
                    (len >= 13 && strcmp(l->op + len - 13, "initial_build") == 0) ? "build" : "latency", l->op,
                    vname[v], l->affected, l->samples[v], l->p50[v], l->p95[v], ratio(l->p50[v], l->p50[V_BARE]));
            if (v == V_RM)
                fprintf(f, "%.4f", ratio(l->p50[V_MV], l->p50[V_RM]));
            fprintf(f, ",");
            if (v == V_RM && l->have_stats)
                fprintf(f, "%.1f,%.1f,%.3f", l->keys_recomputed, l->rows_patched, l->maint_ms);
            else
                fprintf(f, ",,");
            fprintf(f, "\n");
        }
    }
}

/* The blog rows have operations named blog_*. */
static void
write_csv(const char *path)
{
    FILE *f = fopen(path, "w");
    int s, i, v;

    if (!f)
        die("cannot write %s: %s", path, strerror(errno));
    fprintf(f, "scale,kind,operation,variant,rows_affected,samples,p50_ms,p95_ms,tps,ratio_to_bare,"
               "refresh_over_readmodel,rm_keys_recomputed,rm_rows_patched,rm_maintenance_ms\n");
    for (s = 0; s < nresults; s++) {
        const scale_res_t *r = &results[s];

        csv_lat(f, r->n, r->lat, r->nlat);
        for (i = 0; i < r->nthr; i++)
            for (v = 0; v < 2; v++)
                fprintf(f, "%ld,throughput,clients_%d,%s,,%d,,,%.1f,%.4f,,,,\n", r->n, r->thr[i].clients,
                        vname[v], r->thr[i].clients, r->thr[i].tps[v],
                        ratio(r->thr[i].tps[v], r->thr[i].tps[V_BARE]));
        csv_lat(f, r->n, r->blat, r->nblat);
    }
    fclose(f);
}

/* Markdown latency table, kept samples and maintenance table of one list. */
static void
md_lat(FILE *f, const lat_t *lat, int nlat)
{
    char a[32], b[32], c[32], d[32], e[32], g[32], h[32], i_[32], j_[32], k[32], m[32], q[32];
    int i;

    fprintf(f, "Latency in ms per autocommit statement, client side; p50 / p95; "
               "\"x bare\" = p50 / p50(bare); \"refresh / rm\" = p50(refresh) / p50(readmodel).\n\n");
    fprintf(f, "| operation | rows | bare | readmodel | x bare | refresh | x bare | plpgsql | x bare | "
               "refresh / rm |\n");
    fprintf(f, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (i = 0; i < nlat; i++) {
        const lat_t *l = &lat[i];

        fprintf(f, "| %s | %ld | %s / %s | %s / %s | %s | %s / %s | %s | %s / %s | %s | %s |\n", l->label,
                l->affected, fmt_ms(a, sizeof a, l->p50[V_BARE]), fmt_ms(b, sizeof b, l->p95[V_BARE]),
                fmt_ms(c, sizeof c, l->p50[V_RM]), fmt_ms(d, sizeof d, l->p95[V_RM]),
                fmt_ratio(e, sizeof e, ratio(l->p50[V_RM], l->p50[V_BARE])),
                fmt_ms(g, sizeof g, l->p50[V_MV]), fmt_ms(h, sizeof h, l->p95[V_MV]),
                fmt_ratio(i_, sizeof i_, ratio(l->p50[V_MV], l->p50[V_BARE])),
                fmt_ms(j_, sizeof j_, l->p50[V_PL]), fmt_ms(k, sizeof k, l->p95[V_PL]),
                fmt_ratio(m, sizeof m, ratio(l->p50[V_PL], l->p50[V_BARE])),
                fmt_ratio(q, sizeof q, ratio(l->p50[V_MV], l->p50[V_RM])));
    }
    fprintf(f, "\nKept samples (bare / readmodel / refresh / plpgsql):");
    for (i = 0; i < nlat; i++)
        fprintf(f, "%s %s %d/%d/%d/%d", i ? "," : "", lat[i].op, lat[i].samples[V_BARE], lat[i].samples[V_RM],
                lat[i].samples[V_MV], lat[i].samples[V_PL]);
    fprintf(f, ".\n");

    fprintf(f, "\nreadmodel maintenance per statement (`readmodel.queue_stats()` deltas):\n\n");
    fprintf(f, "| operation | keys recomputed | rows patched | rows written | maintenance ms (mean) |\n");
    fprintf(f, "|---|---:|---:|---:|---:|\n");
    for (i = 0; i < nlat; i++) {
        const lat_t *l = &lat[i];

        if (l->have_stats)
            fprintf(f, "| %s | %.0f | %.0f | %.0f | %s |\n", l->label, l->keys_recomputed, l->rows_patched,
                    l->rows_written, fmt_ms(a, sizeof a, l->maint_ms));
    }
}

static void
write_markdown(const char *path)
{
    FILE *f = fopen(path, "w");
    int s, i;

    if (!f)
        die("cannot write %s: %s", path, strerror(errno));
    fprintf(f, "<!-- generated by test/bench/bench -->\n\nCommand: `%s`  \nServer: %s\n", command_line, server_info);
    if (lib_changed)
        fprintf(f, "\n**Warning: pg_readmodel.so was reinstalled during this run; the numbers mix two builds.**\n");
    for (s = 0; s < nresults; s++) {
        const scale_res_t *r = &results[s];

        fprintf(f, "\n### %ld products, %ld reviews\n\n", r->n, r->reviews);
        md_lat(f, r->lat, r->nlat);
        if (r->nthr) {
            fprintf(f, "\nWrite throughput (single-row `UPDATE tb_product SET price = price + 1`, disjoint "
                       "products, %s, %.0f s per variant and client count, run as ABBA halves, each after a "
                       "CHECKPOINT; WAL per commit from `pg_stat_wal`):\n\n", hot_rows_text(), opt.duration);
            fprintf(f, "| clients | bare tps | readmodel tps | readmodel / bare | bare WAL bytes (FPI) per commit "
                       "| readmodel WAL bytes (FPI) per commit |\n|---:|---:|---:|---:|---:|---:|\n");
            for (i = 0; i < r->nthr; i++)
                fprintf(f, "| %d | %.0f | %.0f | %.0f%% | %.0f (%.3f) | %.0f (%.3f) |\n", r->thr[i].clients,
                        r->thr[i].tps[V_BARE], r->thr[i].tps[V_RM],
                        100 * ratio(r->thr[i].tps[V_RM], r->thr[i].tps[V_BARE]), r->thr[i].wal_bytes[V_BARE],
                        r->thr[i].wal_fpi[V_BARE], r->thr[i].wal_bytes[V_RM], r->thr[i].wal_fpi[V_RM]);
        }
        if (r->blog) {
            fprintf(f, "\n### Scale %ld, blog: %ld users, %ld posts, %ld comments\n\n"
                       "`tv_post` embeds the `tv_user` document as its author and lists its comments; "
                       "\"rows\" counts the `tv_user` and `tv_post` rows a write reaches. "
                       "%.0f s for this part.\n\n",
                    r->n, r->blog_users, r->blog_posts, r->blog_comments, r->blog_seconds);
            md_lat(f, r->blat, r->nblat);
        }
        if (r->checks_ok)
            fprintf(f, "\nChecks: all %d passed (the four schemas hold identical base tables; mv.tv_product and "
                       "pl.tv_product equal rm.tv_product; `readmodel.verify` returns no row; pl and mv equal their "
                       "definition%s). %.0f s for this scale.\n", r->nchecks,
                    r->blog ? "; the same for the blog's tv_user and tv_post" : "", r->seconds);
        else
            fprintf(f, "\nChecks: **FAILED**: %s. %.0f s for this scale.\n", r->checks, r->seconds);
    }
    fclose(f);
}

/* ------------------------------------------------------------------------
 * one scale
 * ------------------------------------------------------------------------ */
static void
run_scale(long n)
{
    PGconn *admin;
    scale_t sc;
    sb_t b = {0};
    int v;
    double t0 = now_ms();
    scale_res_t *r = &results[nresults++];

    memset(&sc, 0, sizeof sc);
    memset(r, 0, sizeof *r);
    sc.n = n;
    sc.res = r;
    r->n = n;
    r->reviews = n * 5;
    r->checks_ok = true;
    plan_fanouts(&sc);

    printf("\n=== scale %ld products ===\n", n);
    fflush(stdout);
    admin = connect_db("postgres");
    sb_reset(&b);
    sb_printf(&b, "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", opt.db);
    exec_ok(admin, b.s);
    sb_reset(&b);
    sb_printf(&b, "CREATE DATABASE \"%s\"", opt.db);
    exec_ok(admin, b.s);
    PQfinish(admin);

    sc.ctl = connect_db(opt.db);
    exec_ok(sc.ctl, "CREATE EXTENSION pg_readmodel");
    build_dataset(&sc);
    r->ncategories = sc.ncategories;

    measure_build(&sc);
    {
        PGresult *q = query(sc.ctl,
                            "SELECT pg_size_pretty(pg_total_relation_size('rm.tv_product')),"
                            " (SELECT string_agg(indexdef, '; ' ORDER BY indexname) FROM pg_indexes"
                            "  WHERE schemaname = 'rm' AND tablename = 'tv_product')");

        snprintf(r->tv_size, sizeof r->tv_size, "%s", PQgetvalue(q, 0, 0));
        snprintf(r->rm_indexes, sizeof r->rm_indexes, "%s", PQgetvalue(q, 0, 1));
        PQclear(q);
        printf("  rm.tv_product: %s; indexes: %s\n", r->tv_size, r->rm_indexes);
    }

    for (v = 0; v < NV; v++) {
        sc.conn[v] = connect_db(opt.db);
        /* load the library in the rm session before anything is timed */
        if (v == V_RM)
            exec_ok(sc.conn[v], "SELECT readmodel.queue_stats()");
    }
    run_ops(&sc);
    check_variants_equal(&sc);
    if (opt.concurrency && opt.nclients > 0)
        run_throughput(&sc);
    check_models(&sc);
    if (opt.blog)
        run_blog(&sc);

    {
        char now[64];

        lib_mtime(sc.ctl, now, sizeof now);
        if (strcmp(now, lib_mtime_start) != 0) {
            printf("  WARNING: pg_readmodel.so changed during the run (%s, now %s): the numbers mix two builds\n",
                   lib_mtime_start, now);
            lib_changed = true;
        }
    }
    for (v = 0; v < NV; v++)
        PQfinish(sc.conn[v]);
    PQfinish(sc.ctl);
    r->seconds = (now_ms() - t0) / 1000;
    sb_free(&b);
    print_scale(r);
    printf("scale %ld done in %.0f s\n", n, r->seconds);
}

/* ------------------------------------------------------------------------
 * main
 * ------------------------------------------------------------------------ */
static int
parse_list_long(const char *s, long *out, const char *what)
{
    int n = 0;
    char *end;

    while (*s) {
        if (n >= MAXLIST)
            die("too many values for %s", what);
        errno = 0;
        out[n] = strtol(s, &end, 10);
        if (end == s || errno || out[n] <= 0)
            die("bad value for %s: %s", what, s);
        n++;
        s = end;
        if (*s == ',')
            s++;
        else if (*s)
            die("bad value for %s: %s", what, s);
    }
    return n;
}

static int
parse_int(const char *s, const char *what, int min)
{
    char *end;
    long v = strtol(s, &end, 10);

    if (end == s || *end || v < min || v > 1000000)
        die("bad value for %s: %s", what, s);
    return (int) v;
}

static void
usage(void)
{
    printf("usage: bench [options]\n"
           "  --scales LIST        product counts, comma separated (default 1000,10000)\n"
           "  --reps N             repetitions of single-row operations (default 30)\n"
           "  --batch-reps N       repetitions of batches and of whole-table fan-out (default 5)\n"
           "  --build-reps N       repetitions of the initial build, median reported (default 3)\n"
           "  --refresh-reps N     at most N repetitions for the refresh variant (default: no cap)\n"
           "  --refresh-budget S   the refresh variant stops repeating an operation once it has spent S\n"
           "                       seconds on it and kept at least 5 samples (default: no budget)\n"
           "  --fanouts LIST       category fan-outs (default 10,100,1000,100000); F is measured at scale n\n"
           "                       when F <= n/10 (dedicated category), or F = n is the largest fan-out\n"
           "                       (every product moves into one category first)\n"
           "  --clients LIST       concurrent clients for the throughput runs (default 1,2,4)\n"
           "  --duration S         seconds per throughput run (default 10)\n"
           "  --no-concurrency     skip the throughput runs\n"
           "  --hot-rows N         each throughput client cycles over N rows of its own (default 1000);\n"
           "                       0: it walks its whole share of the products, each row once per run\n"
           "  --no-build           build once without timing it\n"
           "  --no-blog            skip the blog part (below)\n"
           "  --seed X             setseed() value for the data (default 0.42)\n"
           "  --db NAME            database to (re)create (default readmodel_bench)\n"
           "  --dsn CONNINFO       connection string (default: libpq environment)\n"
           "  --csv FILE           write all results as CSV\n"
           "  --markdown FILE      write all results as Markdown tables\n"
           "  --trace FILE         write every timing as CSV (scale,operation,rep,warmup,variant,ms,rm_maintenance_ms);\n"
           "                       adds an untimed queue_stats() query around each readmodel statement\n"
           "  --verbose            echo setup statements\n"
           "Blog part (after the product part of every scale, unless --no-blog): schemas blog_bare, blog_rm,\n"
           "  blog_mv, blog_pl with tb_user (n/40 users), tb_post (n/4 posts, 10 per user; from n = 40000 on,\n"
           "  user 1 owns 1,000 of them) and tb_comment (3 per post); models tv_user and tv_post, which\n"
           "  embeds tv_user's document as its author and lists its comments (refresh: matviews mv_user and\n"
           "  mv_post, both refreshed after each write; plpgsql: tables and row triggers, a changed tv_user\n"
           "  row rewrites its posts).  Timed like the products (same --reps, --build-reps,\n"
           "  --refresh-reps, --refresh-budget): initial build of both models, UPDATE tb_post.title,\n"
           "  INSERT / DELETE of a comment, UPDATE tb_user.name of a user with 10 posts and of user 1\n"
           "  (1,000 posts).  Checks: identical base tables, readmodel.verify of both models, pl and mv\n"
           "  equal to their definitions.  CSV operations blog_*; --reps must not exceed n/4.\n"
           "Exit status: 0 ok, 1 a correctness check failed, 2 error.\n");
}

int
main(int argc, char **argv)
{
    int i;
    PGconn *c;
    PGresult *r;
    double t0 = now_ms();

    {
        size_t len = 0;

        for (i = 0; i < argc && len < sizeof command_line; i++)
            len += (size_t) snprintf(command_line + len, sizeof command_line - len, "%s%s", i ? " " : "",
                                     i ? argv[i] : "bench");
    }
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = (i + 1 < argc) ? argv[i + 1] : NULL;

#define NEEDVAL()                                    \
    do {                                             \
        if (!val)                                    \
            die("option %s needs a value", a);       \
        i++;                                         \
    } while (0)
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage();
            return 0;
        } else if (strcmp(a, "--scales") == 0) {
            NEEDVAL();
            opt.nscales = parse_list_long(val, opt.scales, a);
        } else if (strcmp(a, "--fanouts") == 0) {
            NEEDVAL();
            opt.nfanouts = parse_list_long(val, opt.fanouts, a);
        } else if (strcmp(a, "--clients") == 0) {
            long tmp[MAXLIST];
            int k;

            NEEDVAL();
            opt.nclients = parse_list_long(val, tmp, a);
            for (k = 0; k < opt.nclients; k++) {
                if (tmp[k] > 64)
                    die("at most 64 clients");
                opt.clients[k] = (int) tmp[k];
            }
        } else if (strcmp(a, "--reps") == 0) {
            NEEDVAL();
            opt.reps = parse_int(val, a, 1);
        } else if (strcmp(a, "--batch-reps") == 0) {
            NEEDVAL();
            opt.batch_reps = parse_int(val, a, 1);
        } else if (strcmp(a, "--build-reps") == 0) {
            NEEDVAL();
            opt.build_reps = parse_int(val, a, 1);
        } else if (strcmp(a, "--refresh-reps") == 0) {
            NEEDVAL();
            opt.refresh_reps = parse_int(val, a, 0);
        } else if (strcmp(a, "--refresh-budget") == 0) {
            NEEDVAL();
            opt.refresh_budget = atof(val);
            if (opt.refresh_budget < 0)
                die("bad value for --refresh-budget: %s", val);
        } else if (strcmp(a, "--duration") == 0) {
            NEEDVAL();
            opt.duration = atof(val);
            if (opt.duration <= 0)
                die("bad value for --duration: %s", val);
        } else if (strcmp(a, "--seed") == 0) {
            NEEDVAL();
            opt.seed = atof(val);
        } else if (strcmp(a, "--db") == 0) {
            NEEDVAL();
            opt.db = val;
        } else if (strcmp(a, "--dsn") == 0) {
            NEEDVAL();
            opt.dsn = val;
        } else if (strcmp(a, "--csv") == 0) {
            NEEDVAL();
            opt.csv = val;
        } else if (strcmp(a, "--markdown") == 0) {
            NEEDVAL();
            opt.markdown = val;
        } else if (strcmp(a, "--trace") == 0) {
            NEEDVAL();
            opt.trace = val;
        } else if (strcmp(a, "--hot-rows") == 0) {
            NEEDVAL();
            opt.hot_rows = atol(val);
            if (opt.hot_rows < 0)
                die("bad value for --hot-rows: %s", val);
        } else if (strcmp(a, "--no-concurrency") == 0) {
            opt.concurrency = false;
        } else if (strcmp(a, "--no-build") == 0) {
            opt.build = false;
        } else if (strcmp(a, "--no-blog") == 0) {
            opt.blog = false;
        } else if (strcmp(a, "--verbose") == 0) {
            opt.verbose = true;
        } else {
            usage();
            die("unknown option %s", a);
        }
#undef NEEDVAL
    }
    if (strcmp(opt.db, "postgres") == 0 || strcmp(opt.db, "template1") == 0 || strcmp(opt.db, "template0") == 0)
        die("--db %s: the benchmark drops and recreates its database; choose another name", opt.db);
    for (i = 0; i < opt.nscales; i++) {
        if (opt.scales[i] < 1000)
            die("scale %ld: at least 1000 products", opt.scales[i]);
        if (opt.reps > opt.scales[i] || opt.batch_reps > 100)
            die("too many repetitions for scale %ld", opt.scales[i]);
        /* the blog deletes an original comment of a different post each time */
        if (opt.blog && opt.reps > blog_posts_for(opt.scales[i]))
            die("too many repetitions for the blog at scale %ld (%ld posts); or use --no-blog", opt.scales[i],
                blog_posts_for(opt.scales[i]));
    }

    /* server description */
    c = connect_db("postgres");
    r = query(c, "SELECT split_part(version(), ' ', 2), current_setting('shared_buffers'),"
                 " current_setting('fsync'), current_setting('synchronous_commit'),"
                 " current_setting('full_page_writes'), current_setting('wal_level'),"
                 " current_setting('max_wal_size'), current_setting('work_mem'), current_setting('jit'),"
                 " current_setting('shared_preload_libraries'),"
                 " (SELECT default_version FROM pg_available_extensions WHERE name = 'pg_readmodel')");
    {
        long mem_kb = 0;
        FILE *mi = fopen("/proc/meminfo", "r");

        if (mi) {
            if (fscanf(mi, "MemTotal: %ld kB", &mem_kb) != 1)
                mem_kb = 0;
            fclose(mi);
        }
        snprintf(server_info, sizeof server_info,
                 "PostgreSQL %s; shared_buffers=%s fsync=%s synchronous_commit=%s full_page_writes=%s "
                 "wal_level=%s max_wal_size=%s work_mem=%s jit=%s shared_preload_libraries='%s'; "
                 "pg_readmodel %s; client host: %ld cores, %.1f GiB",
                 PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2), PQgetvalue(r, 0, 3),
                 PQgetvalue(r, 0, 4), PQgetvalue(r, 0, 5), PQgetvalue(r, 0, 6), PQgetvalue(r, 0, 7),
                 PQgetvalue(r, 0, 8), PQgetvalue(r, 0, 9), PQgetvalue(r, 0, 10), sysconf(_SC_NPROCESSORS_ONLN),
                 mem_kb / 1048576.0);
        if (PQgetisnull(r, 0, 10))
            die("extension pg_readmodel is not installed on this server");
    }
    PQclear(r);
    lib_mtime(c, lib_mtime_start, sizeof lib_mtime_start);
    {
        size_t len = strlen(server_info);

        snprintf(server_info + len, sizeof server_info - len, "; pg_readmodel.so modified %s", lib_mtime_start);
    }
    PQfinish(c);
    printf("bench: %s\nbench: command: %s\n", server_info, command_line);
    printf("bench: scales");
    for (i = 0; i < opt.nscales; i++)
        printf("%s%ld", i ? "," : " ", opt.scales[i]);
    printf("; %d reps single-row, %d batches, %d builds", opt.reps, opt.batch_reps, opt.build_reps);
    if (opt.refresh_reps)
        printf(", refresh variant capped at %d reps", opt.refresh_reps);
    if (opt.refresh_budget > 0)
        printf(", refresh variant budget %.0f s per operation (at least 5 kept samples)", opt.refresh_budget);
    printf("; first 10%% (at least 1) of each series discarded\n");
    fflush(stdout);

    if (opt.trace) {
        trace_file = fopen(opt.trace, "w");
        if (!trace_file)
            die("cannot write %s: %s", opt.trace, strerror(errno));
        fprintf(trace_file, "scale,operation,rep,warmup,variant,ms,rm_maintenance_ms\n");
    }
    for (i = 0; i < opt.nscales; i++) {
        run_scale(opt.scales[i]);
        if (trace_file)
            fflush(trace_file);
        /* write what we have after every scale, so a long run that is
         * interrupted still leaves the finished scales */
        if (opt.csv)
            write_csv(opt.csv);
        if (opt.markdown)
            write_markdown(opt.markdown);
    }
    if (trace_file)
        fclose(trace_file);
    printf("\nbench: total %.0f s; %s\n", (now_ms() - t0) / 1000,
           any_check_failed ? "CORRECTNESS CHECKS FAILED" : "all checks passed");
    return any_check_failed ? 1 : 0;
}
