/*
 * test/bench/bench.c — benchmark harness for pg_readmodel (issues 4 and 11).
 *
 * One run, one server, one or more scales, one or more server settings.
 * For each setting (--settings: "cpu" = fsync, synchronous_commit and
 * full_page_writes off, "durable" = the three on; switched with ALTER SYSTEM
 * and pg_reload_conf(), reset at exit) the harness runs
 *
 *   the rollup: a schema per variant with tb_category (10 rows) and
 *      tb_product (10,000 per category), the model tv_category (count, sum,
 *      avg, max per category); one product INSERT, UPDATE and DELETE;
 *
 * and, for each scale n (number of products),
 *
 *   1. database readmodel_bench with copies of one catalog schema
 *      (tb_category: n/100 categories, at least 10, plus one per fan-out;
 *      tb_supplier: 100; tb_product: n; tb_review: 5 per product;
 *      tb_inventory: one per product), one copy per variant:
 *        bare        no read model
 *        rm, mv, pl  the design's tv_product (GROUP BY over four LEFT JOINs,
 *                    jsonb_agg ... FILTER, AVG) kept by readmodel.create, by
 *                    REFRESH MATERIALIZED VIEW after every write, and by
 *                    hand-written PL/pgSQL row triggers
 *        rmc, mvc, plc  the same documents from correlated subqueries: a
 *                    variant, not the design's shape (--no-correlated leaves
 *                    it out, --no-correlated-refresh its refresh variant)
 *   2. the initial build of each variant (drop and redo, median);
 *   3. the same writes on every variant in lock-step (same keys, same
 *      values, rotating variant order), each its own autocommit
 *      transaction, timed from the client (CLOCK_MONOTONIC around PQexec);
 *   4. the lock-step check: identical base tables, every tv_product equal
 *      to rm's;
 *   5. write throughput with 1, 2 and 4 concurrent clients (fork(), one
 *      connection each) on disjoint products, bare vs rm; each client
 *      cycles over --hot-rows rows of its own (reported: WAL bytes and FPIs
 *      per commit);
 *   6. every model equal to its definition (readmodel.verify, EXCEPT ALL
 *      both ways for pl and mv);
 *   7. unless --no-blog, a blog schema (n/40 users, n/4 posts, 3 comments
 *      per post, plus one post with 10,000 comments and --reps posts with 10)
 *      whose tv_post embeds another model, tv_user (run_blog);
 *
 * then prints a table per scale and setting, and the ratios to bare of
 * every setting side by side; --csv and --markdown write them all.
 *
 * Exit status: 0 when every check passed, 1 when a correctness check
 * failed, 2 on any other error (SQL error, bad option, connection).
 *
 * The server is the one libpq's environment names (PGHOST, PGPORT, PGUSER),
 * or --dsn.  test/bench/run.sh builds this and picks the server;
 * test/bench/frozen.sh runs a frozen build on a server of its own.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <signal.h>
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
 * variants and shapes
 * ------------------------------------------------------------------------ */
enum { V_BARE, V_RM, V_MV, V_PL, V_RMC, V_MVC, V_PLC, NV };
enum { K_BARE, K_RM, K_MV, K_PL };
static const int vkind[NV] = {K_BARE, K_RM, K_MV, K_PL, K_RM, K_MV, K_PL};
static const char *const vschema[NV] = {"bare", "rm", "mv", "pl", "rmc", "mvc", "plc"};
static const char *const vname[NV] = {"bare", "readmodel", "refresh", "plpgsql", "readmodel", "refresh", "plpgsql"};

/*
 * The two shapes of tv_product.  @S is the schema; @W is where a filter goes
 * (the plpgsql sync reads the definition for a set of keys): nothing for the
 * model itself, filter_fmt for the sync.  exists is true for a tv_product
 * row t exactly while the definition returns its key.
 */
enum { S_DESIGN, S_CORR, NSHAPES };
typedef struct {
    const char *id;
    const char *title;
    const char *def;
    const char *filter;
    const char *exists;
    int v[3];   /* its readmodel, refresh and plpgsql variants */
} shape_t;

static const shape_t SHAPES[NSHAPES] = {
    {"design", "tv_product as designed: GROUP BY over four LEFT JOINs, jsonb_agg ... FILTER, AVG",
     "SELECT p.pk_product, p.id, p.fk_category, p.fk_supplier,\n"
     "       jsonb_build_object(\n"
     "         'id', p.id, 'name', p.name, 'price', p.price,\n"
     "         'category', jsonb_build_object('id', c.id, 'name', c.name),\n"
     "         'supplier', jsonb_build_object('id', s.id, 'name', s.name, 'country', s.country),\n"
     "         'stock', i.quantity,\n"
     "         'reviews', COALESCE(jsonb_agg(jsonb_build_object('rating', r.rating, 'body', r.body)\n"
     "                                       ORDER BY r.pk_review) FILTER (WHERE r.pk_review IS NOT NULL),\n"
     "                             '[]'::jsonb),\n"
     "         'avg_rating', AVG(r.rating)) AS data\n"
     "FROM @S.tb_product p\n"
     "LEFT JOIN @S.tb_category c ON c.pk_category = p.fk_category\n"
     "LEFT JOIN @S.tb_supplier s ON s.pk_supplier = p.fk_supplier\n"
     "LEFT JOIN @S.tb_inventory i ON i.fk_product = p.pk_product\n"
     "LEFT JOIN @S.tb_review r ON r.fk_product = p.pk_product\n"
     "@WGROUP BY p.pk_product, p.id, p.fk_category, p.fk_supplier, p.name, p.price,\n"
     "         c.id, c.name, s.id, s.name, s.country, i.quantity",
     "WHERE p.pk_product = ANY(keys)\n",
     "SELECT FROM @S.tb_product p WHERE p.pk_product = t.pk_product",
     {V_RM, V_MV, V_PL}},
    {"correlated", "correlated-subquery tv_product (variant, not the design's shape)",
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
     "LEFT JOIN @S.tb_inventory i ON i.fk_product = p.pk_product@W",
     "\nWHERE p.pk_product = ANY(keys)",
     "SELECT FROM @S.tb_product p JOIN @S.tb_category c ON c.pk_category = p.fk_category\n"
     "                      JOIN @S.tb_supplier s ON s.pk_supplier = p.fk_supplier\n"
     "                      WHERE p.pk_product = t.pk_product",
     {V_RMC, V_MVC, V_PLC}},
};

/* the shape a variant keeps (-1 for bare) */
static int
vshape(int v)
{
    return v == V_BARE ? -1 : (v - 1) / 3;
}

/* ------------------------------------------------------------------------
 * server settings (--settings)
 * ------------------------------------------------------------------------ */
/* The three settings that decide whether a commit waits for the disk; all
 * reloadable (fsync and full_page_writes: sighup, synchronous_commit: user). */
static const char *const DURABILITY_GUCS[] = {"fsync", "synchronous_commit", "full_page_writes"};
#define NGUCS 3

typedef struct {
    const char *id;
    const char *title;
    const char *value;  /* for all of DURABILITY_GUCS; NULL: leave the server as it is */
} setting_t;

static const setting_t SETTINGS[] = {
    {"cpu", "CPU-bound", "off"},
    {"durable", "durable", "on"},
    {"current", "server as configured", NULL},
};
#define NSETTINGS_KNOWN 3

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
    int settings[NSETTINGS_KNOWN];  /* indexes into SETTINGS */
    int nsettings;
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
    bool rollup;
    bool correlated;
    bool correlated_refresh;
    bool verbose;
} opt = {
    .scales = {1000, 10000},
    .nscales = 2,
    .fanouts = {10, 100, 1000, 100000},
    .nfanouts = 4,
    .clients = {1, 2, 4},
    .nclients = 3,
    .settings = {0, 1},
    .nsettings = 2,
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
    .rollup = true,
    .correlated = true,
    .correlated_refresh = true,
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

/* Replace every "@S" in tmpl by schema; returns a malloc'ed string. */
static char *
subst(const char *tmpl, const char *schema)
{
    return replace_all(tmpl, "@S", schema);
}

/* A definition template for schema, with "@W" replaced by filter ("" for
 * the definition itself); malloc'ed. */
static char *
def_for(const char *tmpl, const char *schema, const char *filter)
{
    char *t = replace_all(tmpl, "@W", filter), *d = subst(t, schema);

    free(t);
    return d;
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
try_connect(const char *db, const char *appname)
{
    const char *keys[] = {"dbname", "dbname", "application_name", NULL};
    const char *vals[] = {opt.dsn, db, appname, NULL};

    return PQconnectdbParams(keys, vals, 1);
}

static PGconn *
connect_db(const char *db)
{
    PGconn *c = try_connect(db, "readmodel_bench");
    PGresult *r;

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

/* Run sql, die on error, return the result (caller clears). */
static PGresult *
query(PGconn *c, const char *sql)
{
    PGresult *r;

    if (opt.verbose)
        fprintf(stderr, "-- %.300s\n", sql);
    r = PQexec(c, sql);
    if (!res_ok(r))
        sql_error(c, r, sql);
    return r;
}

/* Run sql, die on error. */
static void
exec_ok(PGconn *c, const char *sql)
{
    PQclear(query(c, sql));
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

/* Run tmpl with @S = schema. */
static void
exec_tmpl(PGconn *c, const char *tmpl, const char *schema)
{
    char *s = subst(tmpl, schema);

    exec_ok(c, s);
    free(s);
}

/* ------------------------------------------------------------------------
 * parts: the schemas a set of operations runs on
 * ------------------------------------------------------------------------ */
typedef struct {
    const char *schema[NV];   /* NULL: the variant is not in this part */
    const char *refresh[NV];  /* refresh variants: run after each write, in its transaction */
} part_t;

/* filled in main() from --no-correlated and --correlated-refresh */
static part_t PRODUCTS = {{"bare", "rm", "mv", "pl"},
                          {[V_MV] = "REFRESH MATERIALIZED VIEW mv.tv_product",
                           [V_MVC] = "REFRESH MATERIALIZED VIEW mvc.tv_product"}};
static const part_t BLOG = {{"blog_bare", "blog_rm", "blog_mv", "blog_pl"},
                            {[V_MV] = "REFRESH MATERIALIZED VIEW blog_mv.mv_user;\n"
                                      "REFRESH MATERIALIZED VIEW blog_mv.mv_post"}};
static const part_t ROLL = {{"roll_bare", "roll_rm", "roll_mv", "roll_pl"},
                            {[V_MV] = "REFRESH MATERIALIZED VIEW roll_mv.tv_category"}};

/* A model kept in one table per variant (products, rollup): the model
 * table, the bare variant's CTAS copy, the key, the plpgsql table's
 * columns, its triggers and what drops them. */
typedef struct {
    const char *table;
    const char *ctas;
    const char *key;
    const char *columns;     /* the model's columns, as selected for the checks */
    const char *pl_columns;  /* CREATE TABLE of the plpgsql variant */
    const char *pl_triggers; /* @S: the schema */
    const char *pl_drop;
} model_t;

/* tmpl with each key of kv (key, value, ..., NULL) replaced by its value,
 * in order; malloc'ed. */
static char *
fill(const char *tmpl, const char *const *kv)
{
    char *s = xstrdup(tmpl), *t;

    for (; kv[0]; kv += 2) {
        t = replace_all(s, kv[0], kv[1]);
        free(s);
        s = t;
    }
    return s;
}

/* sb += fill(tmpl, kv) */
static void
sb_fill(sb_t *b, const char *tmpl, const char *const *kv)
{
    char *s = fill(tmpl, kv);

    sb_printf(b, "%s", s);
    free(s);
}

/* "a, b" with prefix "t." gives "t.a, t.b"; malloc'ed. */
static char *
prefix_cols(const char *cols, const char *prefix)
{
    sb_t b = {0};
    const char *p = cols;
    size_t n;

    sb_reset(&b);
    for (;;) {
        while (*p == ' ')
            p++;
        n = strcspn(p, ",");
        sb_printf(&b, "%s%s%.*s", b.len ? ", " : "", prefix, (int) n, p);
        p += n;
        if (!*p)
            break;
        p++;
    }
    return b.s;
}

/* ------------------------------------------------------------------------
 * the do-it-yourself sync (plpgsql variants)
 * ------------------------------------------------------------------------ */
/*
 * One function per model, @S.@F(keys int[]): it recomputes those keys from
 * the definition (@D: filtered by "key = ANY(keys)"), upserts them with
 * INSERT ... ON CONFLICT DO UPDATE ... WHERE ... IS DISTINCT FROM, and
 * deletes the keys the definition no longer returns (@E is true for a row
 * t the definition still returns).  Row-level AFTER triggers call it.
 */
static const char PL_SYNC_TMPL[] =
    "CREATE FUNCTION @S.@F(keys int[]) RETURNS void LANGUAGE plpgsql AS $fn$\n"
    "BEGIN\n"
    "    INSERT INTO @S.@T AS t\n"
    "@D\n"
    "    ON CONFLICT (@K) DO UPDATE SET (@P) = ROW(@X)\n"
    "        WHERE (@L) IS DISTINCT FROM (@X);\n"
    "    DELETE FROM @S.@T t\n"
    "    WHERE t.@K = ANY(keys) AND NOT EXISTS (@E);\n"
    "END\n"
    "$fn$;\n";

/* A table whose column @C holds a key of the model: its old and its new key. */
static const char PL_KEY_TRIGGER_TMPL[] =
    "CREATE FUNCTION @S.@N() RETURNS trigger LANGUAGE plpgsql AS $fn$\n"
    "BEGIN\n"
    "    IF TG_OP = 'INSERT' THEN PERFORM @S.@F(ARRAY[NEW.@C]);\n"
    "    ELSIF TG_OP = 'DELETE' THEN PERFORM @S.@F(ARRAY[OLD.@C]);\n"
    "    ELSIF OLD.@C IS NOT DISTINCT FROM NEW.@C THEN PERFORM @S.@F(ARRAY[NEW.@C]);\n"
    "    ELSE PERFORM @S.@F(ARRAY[OLD.@C, NEW.@C]);\n"
    "    END IF;\n"
    "    RETURN NULL;\n"
    "END\n"
    "$fn$;\n";

/* A parent: every key of @T whose @C references it.  Its key cannot change
 * while children reference it (no ON UPDATE CASCADE), and the foreign key
 * refuses a DELETE while they do; a new parent has no child yet. */
static const char PL_PARENT_TRIGGER_TMPL[] =
    "CREATE FUNCTION @S.@N() RETURNS trigger LANGUAGE plpgsql AS $fn$\n"
    "BEGIN\n"
    "    IF TG_OP = 'INSERT' THEN RETURN NULL; END IF;\n"
    "    PERFORM @S.@F(ARRAY(SELECT p.@K FROM @S.@T p WHERE p.@C = OLD.@P));\n"
    "    RETURN NULL;\n"
    "END\n"
    "$fn$;\n";

static void
pl_sync_fn(sb_t *b, const char *schema, const char *fname, const char *table, const char *key, const char *cols,
           const char *def_filtered, const char *exists_tmpl)
{
    char *ex = prefix_cols(cols, "EXCLUDED."), *tc = prefix_cols(cols, "t.");

    sb_fill(b, PL_SYNC_TMPL,
            (const char *[]) {"@E", exists_tmpl, "@D", def_filtered, "@F", fname, "@T", table, "@K", key, "@P",
                              cols, "@X", ex, "@L", tc, "@S", schema, NULL});
    free(ex);
    free(tc);
}

static void
pl_key_trigger_fn(sb_t *b, const char *schema, const char *name, const char *sync, const char *col)
{
    sb_fill(b, PL_KEY_TRIGGER_TMPL, (const char *[]) {"@N", name, "@F", sync, "@C", col, "@S", schema, NULL});
}

static void
pl_parent_trigger_fn(sb_t *b, const char *schema, const char *name, const char *sync, const char *child,
                     const char *child_key, const char *fk, const char *pk)
{
    sb_fill(b, PL_PARENT_TRIGGER_TMPL,
            (const char *[]) {"@N", name, "@F", sync, "@T", child, "@K", child_key, "@C", fk, "@P", pk, "@S", schema,
                              NULL});
}

/* ------------------------------------------------------------------------
 * products: SQL text
 * ------------------------------------------------------------------------ */
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

static const char *const TABLES[] = {"tb_category", "tb_supplier", "tb_product", "tb_review", "tb_inventory"};
#define NTABLES 5

static const char PL_TRIGGERS_TMPL[] =
    "CREATE TRIGGER pl_sync AFTER INSERT OR DELETE OR UPDATE ON @S.tb_product\n"
    "    FOR EACH ROW EXECUTE FUNCTION @S.trg_product();\n"
    "CREATE TRIGGER pl_sync AFTER INSERT OR DELETE OR UPDATE ON @S.tb_review\n"
    "    FOR EACH ROW EXECUTE FUNCTION @S.trg_child();\n"
    "CREATE TRIGGER pl_sync AFTER INSERT OR DELETE OR UPDATE ON @S.tb_inventory\n"
    "    FOR EACH ROW EXECUTE FUNCTION @S.trg_child();\n"
    "CREATE TRIGGER pl_sync AFTER UPDATE ON @S.tb_category\n"
    "    FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW) EXECUTE FUNCTION @S.trg_category();\n"
    "CREATE TRIGGER pl_sync AFTER UPDATE ON @S.tb_supplier\n"
    "    FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW) EXECUTE FUNCTION @S.trg_supplier();\n";

static const char PL_DROP_TMPL[] =
    "DROP TRIGGER IF EXISTS pl_sync ON @S.tb_product;\n"
    "DROP TRIGGER IF EXISTS pl_sync ON @S.tb_review;\n"
    "DROP TRIGGER IF EXISTS pl_sync ON @S.tb_inventory;\n"
    "DROP TRIGGER IF EXISTS pl_sync ON @S.tb_category;\n"
    "DROP TRIGGER IF EXISTS pl_sync ON @S.tb_supplier;\n"
    "DROP TABLE IF EXISTS @S.tv_product;\n";

static const char PRODUCT_COLS[] = "pk_product, id, fk_category, fk_supplier, data";

/* The plpgsql variant's functions for shape (its table and triggers are
 * part of the timed build). */
static void
product_pl_functions(PGconn *c, int shape)
{
    const shape_t *sh = &SHAPES[shape];
    const char *S = vschema[sh->v[2]];
    char *def = def_for(sh->def, S, sh->filter);
    sb_t b = {0};

    sb_reset(&b);
    pl_sync_fn(&b, S, "sync_products", "tv_product", "pk_product", "id, fk_category, fk_supplier, data", def,
               sh->exists);
    pl_key_trigger_fn(&b, S, "trg_product", "sync_products", "pk_product");
    /* children: tb_review and tb_inventory reach the product by fk_product */
    pl_key_trigger_fn(&b, S, "trg_child", "sync_products", "fk_product");
    pl_parent_trigger_fn(&b, S, "trg_category", "sync_products", "tb_product", "pk_product", "fk_category",
                         "pk_category");
    pl_parent_trigger_fn(&b, S, "trg_supplier", "sync_products", "tb_product", "pk_product", "fk_supplier",
                         "pk_supplier");
    exec_ok(c, b.s);
    sb_free(&b);
    free(def);
}

/* ------------------------------------------------------------------------
 * blog: SQL text
 * ------------------------------------------------------------------------ */
/*
 * A second, smaller schema where one read model embeds another: tv_post
 * carries its author's tv_user document and its comments.  Four variants,
 * in schemas blog_bare, blog_rm, blog_mv and blog_pl (BLOG).
 */
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

static const char *const BLOG_TABLES[] = {"tb_user", "tb_post", "tb_comment"};
#define NBLOG_TABLES 3

/* tv_user; @W: the filter of the plpgsql sync */
static const char BLOG_USER_DEF_TMPL[] =
    "SELECT u.pk_user, u.id, jsonb_build_object('id', u.id, 'name', u.name, 'email', u.email) AS data\n"
    "FROM @S.tb_user u@W";

/* tv_post over a user model @U (a relation with pk_user and data): the
 * readmodel definition (@U = tv_user), the CTAS yardstick (@U = the CTAS
 * copy of tv_user) and the plpgsql sync (@U = its own tv_user table). */
static const char BLOG_POST_DEF_TMPL[] =
    "SELECT p.pk_post, p.id, p.fk_user,\n"
    "       jsonb_build_object('id', p.id, 'title', p.title, 'author', tu.data,\n"
    "         'comments', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', c.id, 'body', c.body)"
    " ORDER BY c.pk_comment), '[]'::jsonb)\n"
    "                      FROM @S.tb_comment c WHERE c.fk_post = p.pk_post)) AS data\n"
    "FROM @S.tb_post p JOIN @U tu ON tu.pk_user = p.fk_user@W";

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

/* Like the models, blog_pl.tv_post is kept from blog_pl.tv_user: a trigger
 * on the tv_user table rewrites the posts of every user whose document
 * changed (a rename rewrites the user's posts). */
static const char BLOG_PL_USER_DOC_TMPL[] =
    "CREATE FUNCTION @S.trg_user_doc() RETURNS trigger LANGUAGE plpgsql AS $fn$\n"
    "BEGIN\n"
    "    IF TG_OP IN ('UPDATE', 'DELETE') THEN\n"
    "        PERFORM @S.sync_posts(ARRAY(SELECT p.pk_post FROM @S.tb_post p WHERE p.fk_user = OLD.pk_user));\n"
    "    END IF;\n"
    "    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND OLD.pk_user <> NEW.pk_user) THEN\n"
    "        PERFORM @S.sync_posts(ARRAY(SELECT p.pk_post FROM @S.tb_post p WHERE p.fk_user = NEW.pk_user));\n"
    "    END IF;\n"
    "    RETURN NULL;\n"
    "END\n"
    "$fn$;\n";

static const char BLOG_PL_TRIGGERS_TMPL[] =
    "CREATE TRIGGER pl_sync AFTER INSERT OR DELETE OR UPDATE ON @S.tb_user\n"
    "    FOR EACH ROW EXECUTE FUNCTION @S.trg_user();\n"
    "CREATE TRIGGER pl_sync AFTER INSERT OR DELETE OR UPDATE ON @S.tv_user\n"
    "    FOR EACH ROW EXECUTE FUNCTION @S.trg_user_doc();\n"
    "CREATE TRIGGER pl_sync AFTER INSERT OR DELETE OR UPDATE ON @S.tb_post\n"
    "    FOR EACH ROW EXECUTE FUNCTION @S.trg_post();\n"
    "CREATE TRIGGER pl_sync AFTER INSERT OR DELETE OR UPDATE ON @S.tb_comment\n"
    "    FOR EACH ROW EXECUTE FUNCTION @S.trg_comment();\n";

static const char BLOG_PL_DROP_TMPL[] =
    "DROP TRIGGER IF EXISTS pl_sync ON @S.tb_user;\n"
    "DROP TRIGGER IF EXISTS pl_sync ON @S.tb_post;\n"
    "DROP TRIGGER IF EXISTS pl_sync ON @S.tb_comment;\n"
    "DROP TABLE IF EXISTS @S.tv_post;\n"
    "DROP TABLE IF EXISTS @S.tv_user;\n";

/* tv_user's and tv_post's definitions for variant v, with filter for @W;
 * the user model is read from user_rel (NULL: the variant's own tv_user). */
static char *
blog_user_def(int v, const char *filter)
{
    return def_for(BLOG_USER_DEF_TMPL, BLOG.schema[v], filter);
}

static char *
blog_post_def(int v, const char *user_rel, const char *filter)
{
    char rel[96];
    char *t, *d;

    snprintf(rel, sizeof rel, "%s.tv_user", BLOG.schema[v]);
    t = replace_all(BLOG_POST_DEF_TMPL, "@U", user_rel ? user_rel : rel);
    d = def_for(t, BLOG.schema[v], filter);
    free(t);
    return d;
}

static char *
blog_post_flat(int v)
{
    return subst(BLOG_POST_FLAT_TMPL, BLOG.schema[v]);
}

static void
blog_pl_functions(PGconn *c)
{
    const char *S = BLOG.schema[V_PL];
    char *du = blog_user_def(V_PL, "\nWHERE u.pk_user = ANY(keys)");
    char *dp = blog_post_def(V_PL, NULL, "\nWHERE p.pk_post = ANY(keys)");
    sb_t b = {0};

    sb_reset(&b);
    pl_sync_fn(&b, S, "sync_users", "tv_user", "pk_user", "id, data", du,
               "SELECT FROM @S.tb_user u WHERE u.pk_user = t.pk_user");
    pl_sync_fn(&b, S, "sync_posts", "tv_post", "pk_post", "id, fk_user, data", dp,
               "SELECT FROM @S.tb_post p JOIN @S.tv_user tu ON tu.pk_user = p.fk_user WHERE p.pk_post = t.pk_post");
    pl_key_trigger_fn(&b, S, "trg_user", "sync_users", "pk_user");
    pl_key_trigger_fn(&b, S, "trg_post", "sync_posts", "pk_post");
    pl_key_trigger_fn(&b, S, "trg_comment", "sync_posts", "fk_post");
    sb_fill(&b, BLOG_PL_USER_DOC_TMPL, (const char *[]) {"@S", S, NULL});
    exec_ok(c, b.s);
    sb_free(&b);
    free(du);
    free(dp);
}

/* ------------------------------------------------------------------------
 * rollup: SQL text
 * ------------------------------------------------------------------------ */
/*
 * A model that aggregates many rows into few: 10 categories of 10,000
 * products each, and per category the count, sum, average and maximum of
 * the prices.  Its own database; schemas roll_bare, roll_rm, roll_mv,
 * roll_pl; always this size, whatever --scales says.
 */
#define ROLL_GROUPS 10
#define ROLL_PER_GROUP 10000
#define ROLL_ROWS ((long) ROLL_GROUPS * ROLL_PER_GROUP)

static const char ROLL_TABLES_TMPL[] =
    "CREATE SCHEMA @S;\n"
    "CREATE TABLE @S.tb_category (pk_category int PRIMARY KEY, name text);\n"
    "CREATE TABLE @S.tb_product (pk_product int PRIMARY KEY, fk_category int, name text, price numeric(10,2));\n";

static const char ROLL_CONSTRAINTS_TMPL[] =
    "ALTER TABLE @S.tb_product ADD FOREIGN KEY (fk_category) REFERENCES @S.tb_category;\n"
    "CREATE INDEX ON @S.tb_product (fk_category);\n";

static const char *const ROLL_TABLES[] = {"tb_category", "tb_product"};
#define NROLL_TABLES 2

static const char ROLL_DEF_TMPL[] =
    "SELECT c.pk_category, c.name, count(*) AS products, sum(p.price) AS total_price,\n"
    "       avg(p.price) AS avg_price, max(p.price) AS max_price\n"
    "FROM @S.tb_category c JOIN @S.tb_product p ON p.fk_category = c.pk_category\n"
    "@WGROUP BY c.pk_category, c.name";

static const char ROLL_COLS[] = "pk_category, name, products, total_price, avg_price, max_price";

static const char ROLL_PL_TRIGGERS_TMPL[] =
    "CREATE TRIGGER pl_sync AFTER INSERT OR DELETE OR UPDATE ON @S.tb_category\n"
    "    FOR EACH ROW EXECUTE FUNCTION @S.trg_category();\n"
    "CREATE TRIGGER pl_sync AFTER INSERT OR DELETE OR UPDATE ON @S.tb_product\n"
    "    FOR EACH ROW EXECUTE FUNCTION @S.trg_product();\n";

static const char ROLL_PL_DROP_TMPL[] =
    "DROP TRIGGER IF EXISTS pl_sync ON @S.tb_category;\n"
    "DROP TRIGGER IF EXISTS pl_sync ON @S.tb_product;\n"
    "DROP TABLE IF EXISTS @S.tv_category;\n";

static void
roll_pl_functions(PGconn *c)
{
    const char *S = ROLL.schema[V_PL];
    char *def = def_for(ROLL_DEF_TMPL, S, "WHERE c.pk_category = ANY(keys)\n");
    sb_t b = {0};

    sb_reset(&b);
    pl_sync_fn(&b, S, "sync_categories", "tv_category", "pk_category",
               "name, products, total_price, avg_price, max_price", def,
               "SELECT FROM @S.tb_category c JOIN @S.tb_product p ON p.fk_category = c.pk_category\n"
               "                      WHERE c.pk_category = t.pk_category");
    pl_key_trigger_fn(&b, S, "trg_category", "sync_categories", "pk_category");
    pl_key_trigger_fn(&b, S, "trg_product", "sync_categories", "fk_category");
    exec_ok(c, b.s);
    sb_free(&b);
    free(def);
}

static const model_t PRODUCT_MODEL = {
    "tv_product", "ctas_product", "pk_product", PRODUCT_COLS,
    "pk_product int PRIMARY KEY, id uuid, fk_category int, fk_supplier int, data jsonb", PL_TRIGGERS_TMPL,
    PL_DROP_TMPL};
static const model_t ROLL_MODEL = {
    "tv_category", "ctas_category", "pk_category", ROLL_COLS,
    "pk_category int PRIMARY KEY, name text, products bigint, total_price numeric, avg_price numeric,\n"
    "    max_price numeric",
    ROLL_PL_TRIGGERS_TMPL, ROLL_PL_DROP_TMPL};

/* ------------------------------------------------------------------------
 * results
 * ------------------------------------------------------------------------ */
typedef struct {
    double keys_recomputed, rows_patched, rows_written, maint_ms, rebuilds;
} qstats_t;

typedef struct {
    char op[48];         /* short id, used in the CSV */
    char label[112];     /* human label */
    long affected;       /* model rows the write reaches */
    int shape;           /* -1: in every shape's table; else only in that shape's (builds) */
    int samples[NV];     /* timings kept (warm-up excluded) */
    double p50[NV], p95[NV];
    bool have[NV];
    bool have_stats;     /* readmodel.queue_stats() deltas per statement, readmodel variants */
    qstats_t st[NV];
} lat_t;

typedef struct {
    lat_t *v;
    int n;
} lat_list_t;

typedef struct {
    int clients;
    double tps[2];       /* V_BARE, V_RM */
    double wal_bytes[2]; /* WAL per commit (pg_stat_wal delta / commits) */
    double wal_fpi[2];   /* full-page images per commit */
} thr_t;

typedef struct {
    int setting;             /* index into SETTINGS */
    char settings_text[160]; /* the three settings, as the server reported them at the start */
    bool rollup;             /* the rollup, not a scale */
    long n;                  /* products */
    long reviews;
    int ncategories;
    double seconds;
    char tv_size[32];
    char rm_indexes[256];
    lat_list_t lat;          /* products, or the rollup */
    thr_t thr[MAXLIST];
    int nthr;
    bool checks_ok;
    int nchecks;
    char checks[1024];
    /* the blog part (opt.blog) */
    bool blog;
    long blog_users, blog_posts, blog_comments;
    double blog_seconds;
    lat_list_t blat;
} res_t;

#define MAXRES (MAXLIST * NSETTINGS_KNOWN + NSETTINGS_KNOWN)
static res_t results[MAXRES];
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
 * server settings
 * ------------------------------------------------------------------------ */
static bool settings_touched;
static pid_t main_pid;
/* what postgresql.auto.conf held for DURABILITY_GUCS before the run ("":
 * nothing), put back at exit */
static char saved_auto[NGUCS][64];

static void
save_auto_conf(PGconn *c)
{
    PGresult *r;
    int i, j;

    r = query(c, "SELECT name, setting FROM pg_file_settings WHERE sourcefile LIKE '%/postgresql.auto.conf'"
                 " AND name IN ('fsync', 'synchronous_commit', 'full_page_writes') ORDER BY seqno");
    for (i = 0; i < PQntuples(r); i++)
        for (j = 0; j < NGUCS; j++)
            if (strcmp(PQgetvalue(r, i, 0), DURABILITY_GUCS[j]) == 0)
                snprintf(saved_auto[j], sizeof saved_auto[j], "%s", PQgetvalue(r, i, 1));
    PQclear(r);
}

/* Put back what apply_setting() changed: ALTER SYSTEM RESET, or SET to what
 * postgresql.auto.conf held before (at exit, also after die()). */
static void
reset_settings(void)
{
    PGconn *c;
    char sql[256];
    int i;

    if (!settings_touched || getpid() != main_pid)
        return;
    settings_touched = false;
    c = try_connect("postgres", "readmodel_bench");
    if (PQstatus(c) == CONNECTION_OK) {
        for (i = 0; i < NGUCS; i++) {
            if (saved_auto[i][0])
                snprintf(sql, sizeof sql, "ALTER SYSTEM SET %s = '%s'", DURABILITY_GUCS[i], saved_auto[i]);
            else
                snprintf(sql, sizeof sql, "ALTER SYSTEM RESET %s", DURABILITY_GUCS[i]);
            PQclear(PQexec(c, sql));
            fprintf(stderr, "bench: %s\n", sql);
        }
        PQclear(PQexec(c, "SELECT pg_reload_conf()"));
    } else
        fprintf(stderr, "bench: could not ALTER SYSTEM RESET fsync, synchronous_commit, full_page_writes: %s",
                PQerrorMessage(c));
    PQfinish(c);
}

/* On SIGINT / SIGTERM: reset the settings, then die of the signal.  libpq
 * is not async-signal-safe; the process ends here anyway, and a server left
 * with fsync off would be worse. */
static void
on_signal(int sig)
{
    reset_settings();
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Switch the server to setting s (ALTER SYSTEM, pg_reload_conf(), wait until
 * a new session sees it, CHECKPOINT); text gets the three settings in force. */
static void
apply_setting(int s, char *text, size_t n)
{
    const setting_t *st = &SETTINGS[s];
    PGconn *c = connect_db("postgres");
    PGresult *r;
    sb_t b = {0}, probe = {0};
    int i, tries;

    if (st->value) {
        if (!settings_touched)
            save_auto_conf(c);
        sb_reset(&probe);
        sb_printf(&probe, "SELECT true");
        for (i = 0; i < NGUCS; i++) {
            sb_reset(&b);
            sb_printf(&b, "ALTER SYSTEM SET %s = %s", DURABILITY_GUCS[i], st->value);
            exec_ok(c, b.s);
            settings_touched = true;
            sb_printf(&probe, " AND current_setting('%s') = '%s'", DURABILITY_GUCS[i], st->value);
        }
        exec_ok(c, "SELECT pg_reload_conf()");
        for (tries = 0;; tries++) {
            PGconn *p = connect_db("postgres");
            char *ok = query_value(p, probe.s);
            bool done = strcmp(ok, "t") == 0;

            free(ok);
            PQfinish(p);
            if (done)
                break;
            if (tries >= 200)
                die("the server did not take the %s settings after pg_reload_conf()", st->id);
            nanosleep(&(struct timespec) {0, 50 * 1000 * 1000}, NULL);
        }
        exec_ok(c, "CHECKPOINT");
    }
    r = query(c, "SELECT current_setting('fsync'), current_setting('synchronous_commit'),"
                 " current_setting('full_page_writes')");
    snprintf(text, n, "fsync=%s synchronous_commit=%s full_page_writes=%s", PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1),
             PQgetvalue(r, 0, 2));
    PQclear(r);
    PQfinish(c);
    sb_free(&b);
    sb_free(&probe);
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
    int regular_categories;  /* 1..regular_categories; the fan-out ones follow */
    int ncategories;
    long next_review;
    res_t *res;
    lat_list_t *out;         /* where add_lat() goes */
    /* blog */
    long nusers;        /* users 1..nusers own the regular posts; user nusers + 1 the special ones */
    long nposts;        /* regular posts 1..nposts, 3 comments each */
    long full_users;    /* users 1..full_users own 10 posts each (but see big_user) */
    bool big_user;      /* user 1 owns posts 1..1000; users 2..100 own none */
    long big_post;      /* the post with 10,000 comments ... */
    long big_first;     /* ... pk_comment big_first .. big_first + 9,999 */
    long small_post;    /* posts small_post .. small_post + reps - 1, 10 comments each ... */
    long small_first;   /* ... post small_post + j has big_first + 10 j .. + 9 */
    long next_comment;
    /* rollup */
    long next_product;
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

/* The variants of part p, in order. */
static int
part_variants(const part_t *p, int *vs)
{
    int v, n = 0;

    for (v = 0; v < NV; v++)
        if (p->schema[v])
            vs[n++] = v;
    return n;
}

/* (Re)open the timing sessions of part p's variants (after the builds). */
static void
open_sessions(scale_t *sc, const part_t *p)
{
    int v;

    for (v = 0; v < NV; v++) {
        if (sc->conn[v])
            PQfinish(sc->conn[v]);
        sc->conn[v] = NULL;
        if (!p->schema[v])
            continue;
        sc->conn[v] = connect_db(opt.db);
        /* load the library in readmodel sessions before anything is timed */
        if (vkind[v] == K_RM)
            exec_ok(sc->conn[v], "SELECT readmodel.queue_stats()");
    }
}

static void
close_sessions(scale_t *sc)
{
    int v;

    for (v = 0; v < NV; v++) {
        if (sc->conn[v])
            PQfinish(sc->conn[v]);
        sc->conn[v] = NULL;
    }
}

/* Drop and recreate the benchmark database; sc->ctl connects to it. */
static void
fresh_database(scale_t *sc)
{
    PGconn *admin = connect_db("postgres");
    sb_t b = {0};

    sb_reset(&b);
    sb_printf(&b, "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", opt.db);
    exec_ok(admin, b.s);
    sb_reset(&b);
    sb_printf(&b, "CREATE DATABASE \"%s\"", opt.db);
    exec_ok(admin, b.s);
    PQfinish(admin);
    sb_free(&b);
    sc->ctl = connect_db(opt.db);
    exec_ok(sc->ctl, "CREATE EXTENSION pg_readmodel");
}

/* Create the tables of tables_tmpl in every schema of part p, load the
 * bare one with load, copy it into the others (copy_tables), then add
 * constraints_tmpl everywhere. */
static void
load_part(scale_t *sc, const part_t *p, const char *tables_tmpl, const char *load, const char *const *tables,
          int ntables, const char *constraints_tmpl)
{
    int vs[NV], nv = part_variants(p, vs), i, t;
    sb_t b = {0};

    for (i = 0; i < nv; i++)
        exec_tmpl(sc->ctl, tables_tmpl, p->schema[vs[i]]);
    /* deterministic: setseed() then random() in one session, no parallel
     * plans for INSERT ... SELECT */
    sb_reset(&b);
    sb_printf(&b, "SELECT setseed(%g)", opt.seed);
    exec_ok(sc->ctl, b.s);
    exec_ok(sc->ctl, load);
    for (i = 0; i < nv; i++) {
        const char *S = p->schema[vs[i]];

        if (vs[i] != V_BARE) {
            sb_reset(&b);
            for (t = 0; t < ntables; t++)
                sb_printf(&b, "INSERT INTO %s.%s SELECT * FROM %s.%s;\n", S, tables[t], p->schema[V_BARE],
                          tables[t]);
            exec_ok(sc->ctl, b.s);
        }
        exec_tmpl(sc->ctl, constraints_tmpl, S);
    }
    sb_free(&b);
}

/* ------------------------------------------------------------------------
 * products: dataset
 * ------------------------------------------------------------------------ */
static int
regular_categories_for(long n)
{
    return n / 100 >= 10 ? (int) (n / 100) : 10;
}

static void
plan_fanouts(scale_t *sc)
{
    long maxf = 0, next_product = 1;
    int i;

    for (i = 0; i < opt.nfanouts; i++)
        if (opt.fanouts[i] > maxf)
            maxf = opt.fanouts[i];
    sc->nfan = 0;
    sc->regular_categories = regular_categories_for(sc->n);
    sc->ncategories = sc->regular_categories;
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
    int i;
    double t0 = now_ms();

    sb_reset(&b);
    sb_printf(&b,
              "INSERT INTO bare.tb_category\n"
              "SELECT g, md5('category' || g)::uuid, 'category ' || g FROM generate_series(1, %d) g;\n",
              sc->regular_categories);
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
              " ELSE 1 + g %% %d END,\n"
              "       1 + g %% 100, 'product ' || g,\n"
              "       round((1 + random() * 998)::numeric, 2),\n"
              "       'description of product ' || g || ': ' || md5('d' || g) || md5('e' || g)\n"
              "FROM generate_series(1, %ld) g;\n",
              sc->regular_categories, sc->n);
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
    load_part(sc, &PRODUCTS, TABLES_TMPL, b.s, TABLES, NTABLES, CONSTRAINTS_TMPL);
    /* the plpgsql variants' functions (their tables and triggers are built later) */
    for (i = 0; i < NSHAPES; i++)
        if (PRODUCTS.schema[SHAPES[i].v[2]])
            product_pl_functions(sc->ctl, i);
    exec_ok(sc->ctl, "VACUUM (ANALYZE)");
    sc->next_review = sc->n * 5 + 1;
    sb_free(&b);
    printf("  dataset: %ld products, %ld reviews, %d categories (%d + %d for fan-outs), 100 suppliers, x%d schemas "
           "(%.1f s)\n",
           sc->n, sc->n * 5, sc->ncategories, sc->regular_categories, sc->ncategories - sc->regular_categories,
           part_variants(&PRODUCTS, (int[NV]) {0}), (now_ms() - t0) / 1000);
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

/* Drop what variant kind k of model m keeps in schema S. */
static void
model_drop(scale_t *sc, const char *S, int k, const model_t *m)
{
    sb_t b = {0};

    sb_reset(&b);
    switch (k) {
    case K_BARE:
        sb_printf(&b, "DROP TABLE IF EXISTS %s.%s", S, m->ctas);
        exec_ok(sc->ctl, b.s);
        break;
    case K_RM:
        sb_printf(&b, "%s.%s", S, m->table);
        drop_model_if_exists(sc, b.s);
        break;
    case K_MV:
        sb_printf(&b, "DROP MATERIALIZED VIEW IF EXISTS %s.%s", S, m->table);
        exec_ok(sc->ctl, b.s);
        break;
    case K_PL:
        exec_tmpl(sc->ctl, m->pl_drop, S);
        break;
    }
    sb_free(&b);
}

/* The statements that build variant kind k of model m in schema S from
 * def.  The bare one is the yardstick, CREATE TABLE AS and its unique
 * index, not named tv_* (with the library preloaded that would declare a
 * model). */
static void
model_build(sb_t *b, const char *S, int k, const model_t *m, const char *def)
{
    char *trg;

    sb_reset(b);
    switch (k) {
    case K_BARE:
        sb_printf(b, "CREATE TABLE %s.%s AS\n%s;\nCREATE UNIQUE INDEX ON %s.%s (%s)", S, m->ctas, def, S, m->ctas,
                  m->key);
        break;
    case K_RM:
        sb_printf(b, "SELECT readmodel.create('%s.%s', $def$\n%s\n$def$)", S, m->table, def);
        break;
    case K_MV:
        sb_printf(b, "CREATE MATERIALIZED VIEW %s.%s AS\n%s;\nCREATE UNIQUE INDEX ON %s.%s (%s)", S, m->table, def,
                  S, m->table, m->key);
        break;
    case K_PL:
        trg = subst(m->pl_triggers, S);
        sb_printf(b, "CREATE TABLE %s.%s (%s);\nINSERT INTO %s.%s\n%s;\n%s", S, m->table, m->pl_columns, S, m->table,
                  def, trg);
        free(trg);
        break;
    }
}

/* the definition variant v of the products keeps (shape: the bare
 * variant's yardstick, which has none of its own) */
static char *
product_def(int v, int shape)
{
    return def_for(SHAPES[v == V_BARE ? shape : vshape(v)].def, vschema[v], "");
}

static void
product_drop(scale_t *sc, int v, int shape)
{
    (void) shape;
    model_drop(sc, vschema[v], vkind[v], &PRODUCT_MODEL);
}

static void
product_build(sb_t *b, int v, int shape)
{
    char *def = product_def(v, shape);

    model_build(b, vschema[v], vkind[v], &PRODUCT_MODEL, def);
    free(def);
}

static void
add_lat(scale_t *sc, lat_t *l)
{
    lat_list_t *o = sc->out;

    o->v = xrealloc(o->v, sizeof(lat_t) * (size_t) (o->n + 1));
    o->v[o->n++] = *l;
}

typedef void (*drop_fn_t)(scale_t *sc, int v, int shape);
typedef void (*build_fn_t)(sb_t *b, int v, int shape);

/* Drop and rebuild bare and every variant of part p that keeps shape, reps
 * times (rotating order, CHECKPOINT before each build), and report the
 * medians as operation id; cleanup runs after the last build (drops the bare
 * CTAS yardstick). */
static void
measure_build_with(scale_t *sc, const part_t *p, int shape, drop_fn_t drop, build_fn_t build, const char *cleanup,
                   const char *id, const char *label, long affected)
{
    int reps = opt.build ? opt.build_reps : 1;
    double *t[NV];
    int cnt[NV] = {0}, vs[NV], nv = 0, i, j, v;
    sb_t b = {0};
    lat_t l;

    for (v = 0; v < NV; v++) {
        t[v] = xmalloc(sizeof(double) * (size_t) reps);
        if (p->schema[v] && (v == V_BARE || vshape(v) == shape))
            vs[nv++] = v;
    }
    printf("  %s: %d repetition%s per variant%s\n", id, reps, reps == 1 ? "" : "s",
           opt.build ? "" : " (--no-build: built once, not reported)");
    fflush(stdout);
    for (i = 0; i < reps; i++) {
        for (j = 0; j < nv; j++) {
            v = vs[(i + j) % nv];
            drop(sc, v, shape);
            exec_ok(sc->ctl, "CHECKPOINT");
            build(&b, v, shape);
            t[v][cnt[v]++] = timed_exec(sc->ctl, b.s, NULL);
            if (opt.verbose)
                fprintf(stderr, "build %s (%s) rep %d: %.1f ms\n", vname[v], vschema[v], i, t[v][cnt[v] - 1]);
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
        l.shape = shape;
        for (j = 0; j < nv; j++) {
            v = vs[j];
            qsort(t[v], (size_t) cnt[v], sizeof(double), cmp_double);
            l.samples[v] = cnt[v];
            l.p50[v] = percentile(t[v], cnt[v], 0.5);
            l.p95[v] = percentile(t[v], cnt[v], 0.95);
            l.have[v] = true;
        }
        add_lat(sc, &l);
        printf("  initial build p50:");
        for (j = 0; j < nv; j++)
            printf(" %s %.1f ms%s", vname[vs[j]], l.p50[vs[j]], j + 1 < nv ? "," : "\n");
        fflush(stdout);
    }
    for (v = 0; v < NV; v++)
        free(t[v]);
    sb_free(&b);
}

static void
measure_build(scale_t *sc)
{
    int s;

    for (s = 0; s < NSHAPES; s++) {
        if (!PRODUCTS.schema[SHAPES[s].v[0]])
            continue;
        measure_build_with(sc, &PRODUCTS, s, product_drop, product_build, "DROP TABLE IF EXISTS bare.ctas_product",
                           s == S_DESIGN ? "initial_build" : "initial_build_correlated",
                           "initial build (bare: CTAS + unique index)", sc->n);
    }
}

/* ------------------------------------------------------------------------
 * timed operations
 * ------------------------------------------------------------------------ */
enum op_kind {
    OP_PRICE, OP_REVIEW_INS, OP_REVIEW_DEL, OP_SUPPLIER, OP_CATEGORY, OP_BATCH, OP_10K,
    /* blog */
    OP_B_TITLE, OP_B_COMMENT_INS, OP_B_COMMENT_DEL, OP_B_USER_10, OP_B_USER_1000,
    OP_B_EDIT, OP_B_INS, OP_B_DEL,   /* a comment of the 10,000-comment post (big) or of a 10-comment one */
    /* rollup */
    OP_R_INS, OP_R_UPD, OP_R_DEL
};

typedef struct {
    enum op_kind kind;
    const fancat_t *fan; /* OP_CATEGORY */
    bool big;            /* OP_B_EDIT, OP_B_INS, OP_B_DEL */
    int reps;
    const part_t *part;
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
    case OP_B_INS:
        x = sc->next_comment + rep;
        if (op->kind == OP_B_COMMENT_INS)
            m = pick(rep, 104729, 11, sc->nposts);
        else
            m = op->big ? sc->big_post : sc->small_post + rep;
        sb_printf(b,
                  "INSERT INTO %s.tb_comment (pk_comment, id, fk_post, fk_user, body) "
                  "VALUES (%ld, md5('comment' || %ld)::uuid, %ld, %ld, 'benchmark comment %d')",
                  S, x, x, m, pick(rep, 31, 7, sc->nusers), rep);
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
    case OP_B_EDIT:
        /* a different original comment each time (of post small_post + rep) */
        x = op->big ? sc->big_first + pick(rep, 7919, 1, 10000) - 1 : sc->small_first + 10L * rep + rep % 10;
        sb_printf(b, "UPDATE %s.tb_comment SET body = 'edited comment %ld rev %d' WHERE pk_comment = %ld", S, x,
                  rep, x);
        break;
    case OP_B_DEL:
        x = op->big ? sc->big_first + pick(rep, 104729, 5, 10000) - 1
                    : sc->small_first + 10L * rep + (rep + 5) % 10;
        sb_printf(b, "DELETE FROM %s.tb_comment WHERE pk_comment = %ld", S, x);
        break;
    case OP_R_INS:
        x = sc->next_product + rep;
        sb_printf(b, "INSERT INTO %s.tb_product VALUES (%ld, %d, 'product %ld', %d.%02d)", S, x,
                  1 + rep % ROLL_GROUPS, x, 1 + (rep * 37) % 998, rep % 100);
        break;
    case OP_R_UPD:
        sb_printf(b, "UPDATE %s.tb_product SET price = price + 1 WHERE pk_product = %ld", S,
                  pick(rep, 7919, 3, ROLL_ROWS));
        break;
    case OP_R_DEL:
        sb_printf(b, "DELETE FROM %s.tb_product WHERE pk_product = %ld", S, pick(rep, 104729, 11, ROLL_ROWS));
        break;
    }
}

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

/* Where the refresh variant v stops being timed: past --refresh-reps, or
 * once it spent --refresh-budget seconds and kept at least 5 samples. */
static bool
refresh_capped(int v, int rep, int mv_reps, double spent_ms, int count)
{
    if (vkind[v] != K_MV)
        return false;
    return rep >= mv_reps ||
           (opt.refresh_budget > 0 && spent_ms >= opt.refresh_budget * 1000 && count - warmup_count(count) >= 5);
}

static void
run_op(scale_t *sc, const op_t *op, const char *id, const char *label, long affected)
{
    const part_t *p = op->part;
    double *t[NV], spent[NV] = {0};
    int cnt[NV] = {0}, vs[NV], nv = part_variants(p, vs);
    int reps = op->reps, mv_reps, warm, kept, i, j, v;
    sb_t b = {0}, full = {0};
    qstats_t q0[NV], q1[NV];
    lat_t l;
    double t0 = now_ms();

    mv_reps = (opt.refresh_reps > 0 && opt.refresh_reps < reps) ? opt.refresh_reps : reps;
    for (v = 0; v < NV; v++)
        t[v] = xmalloc(sizeof(double) * (size_t) reps);
    warm = warmup_count(reps);
    for (i = 0; i < reps; i++) {
        if (i == warm)  /* stats cover the kept repetitions only */
            for (j = 0; j < nv; j++)
                if (vkind[vs[j]] == K_RM)
                    rm_stats(sc->conn[vs[j]], &q0[vs[j]]);
        for (j = 0; j < nv; j++) {
            long expect, got;
            qstats_t s0, s1;
            bool stats = trace_file && vkind[vs[(i + j) % nv]] == K_RM;

            v = vs[(i + j) % nv];
            op_sql(&b, sc, op, p->schema[v], i, &expect);
            /* past its cap the write still goes to the refresh variant,
             * untimed and without the refresh, so that every schema stays
             * in lock-step */
            if (refresh_capped(v, i, mv_reps, spent[v], cnt[v])) {
                exec_ok(sc->conn[v], b.s);
                continue;
            }
            if (stats)
                rm_stats(sc->conn[v], &s0);
            if (vkind[v] == K_MV) {
                /* write + refresh in one transaction (one simple query) */
                sb_reset(&full);
                sb_printf(&full, "%s;\n%s", b.s, p->refresh[v]);
                t[v][cnt[v]++] = timed_exec(sc->conn[v], full.s, NULL);
                spent[v] += t[v][cnt[v] - 1];
            } else {
                t[v][cnt[v]++] = timed_exec(sc->conn[v], b.s, &got);
                if (got != expect)
                    die("%s: statement reported %ld rows, expected %ld: %s", p->schema[v], got, expect, b.s);
            }
            if (trace_file) {
                fprintf(trace_file, "%s,%ld,%s,%d,%d,%s,%s,%.3f,", SETTINGS[sc->res->setting].id, sc->n, id, i,
                        i < warm, vname[v], p->schema[v], t[v][cnt[v] - 1]);
                if (stats) {
                    rm_stats(sc->conn[v], &s1);
                    fprintf(trace_file, "%.3f", s1.maint_ms - s0.maint_ms);
                }
                fprintf(trace_file, "\n");
            }
        }
    }
    for (j = 0; j < nv; j++)
        if (vkind[vs[j]] == K_RM) {
            rm_stats(sc->conn[vs[j]], &q1[vs[j]]);
            if (warm >= reps)
                q0[vs[j]] = q1[vs[j]];
        }

    memset(&l, 0, sizeof l);
    snprintf(l.op, sizeof l.op, "%s", id);
    snprintf(l.label, sizeof l.label, "%s", label);
    l.affected = affected;
    l.shape = -1;
    kept = reps - warm > 0 ? reps - warm : 1;
    for (j = 0; j < nv; j++) {
        int w;

        v = vs[j];
        w = warmup_count(cnt[v]);
        qsort(t[v] + w, (size_t) (cnt[v] - w), sizeof(double), cmp_double);
        l.samples[v] = cnt[v] - w;
        l.p50[v] = percentile(t[v] + w, cnt[v] - w, 0.5);
        l.p95[v] = percentile(t[v] + w, cnt[v] - w, 0.95);
        l.have[v] = cnt[v] - w > 0;
        if (vkind[v] == K_RM) {
            l.st[v].keys_recomputed = (q1[v].keys_recomputed - q0[v].keys_recomputed) / kept;
            l.st[v].rows_patched = (q1[v].rows_patched - q0[v].rows_patched) / kept;
            l.st[v].rows_written = (q1[v].rows_written - q0[v].rows_written) / kept;
            l.st[v].maint_ms = (q1[v].maint_ms - q0[v].maint_ms) / kept;
            l.st[v].rebuilds = (q1[v].rebuilds - q0[v].rebuilds) / kept;
        }
    }
    l.have_stats = true;
    add_lat(sc, &l);
    if (op->kind == OP_REVIEW_INS)
        sc->next_review += reps;
    if (op->kind == OP_B_COMMENT_INS || op->kind == OP_B_INS)
        sc->next_comment += reps;
    if (op->kind == OP_R_INS)
        sc->next_product += reps;

    printf("  %-50s p50", label);
    for (j = 0; j < nv; j++)
        printf(" %s %.2f", p->schema[vs[j]], l.p50[vs[j]]);
    printf(" ms (%.0f s)\n", (now_ms() - t0) / 1000);
    fflush(stdout);
    for (v = 0; v < NV; v++)
        free(t[v]);
    sb_free(&b);
    sb_free(&full);
    exec_ok(sc->ctl, "VACUUM");
}

static void
run_kind(scale_t *sc, op_t *op, enum op_kind kind, const char *id, const char *label, long affected)
{
    op->kind = kind;
    run_op(sc, op, id, label, affected);
}

/* Before the whole-table fan-out: every product joins the big category, in
 * every variant (untimed).  readmodel maintains its models; the refresh and
 * plpgsql variants are rebuilt from their definitions instead (the row
 * triggers would recompute each product alone, for minutes). */
static void
move_into_big(scale_t *sc, const fancat_t *fc)
{
    sb_t b = {0};
    int vs[NV], nv = part_variants(&PRODUCTS, vs), i, v;
    double t0 = now_ms();

    for (i = 0; i < nv; i++) {
        const char *S = vschema[vs[i]];

        v = vs[i];
        sb_reset(&b);
        if (vkind[v] == K_PL)
            sb_printf(&b, "BEGIN;\nALTER TABLE %s.tb_product DISABLE TRIGGER pl_sync;\n", S);
        sb_printf(&b, "UPDATE %s.tb_product SET fk_category = %ld WHERE pk_product <= %ld", S, fc->category,
                  fc->fanout);
        if (vkind[v] == K_MV)
            sb_printf(&b, ";\n%s", PRODUCTS.refresh[v]);
        if (vkind[v] == K_PL) {
            char *def = product_def(v, S_DESIGN);

            sb_printf(&b, ";\nALTER TABLE %s.tb_product ENABLE TRIGGER pl_sync;\nTRUNCATE %s.tv_product;\n"
                          "INSERT INTO %s.tv_product\n%s;\nCOMMIT",
                      S, S, S, def);
            free(def);
        }
        exec_ok(sc->conn[v], b.s);
    }
    exec_ok(sc->ctl, "VACUUM (ANALYZE)");
    printf("  (moved %ld products into category %ld for the whole-table fan-out: %.1f s, untimed)\n", fc->fanout,
           fc->category, (now_ms() - t0) / 1000);
    fflush(stdout);
    sb_free(&b);
}

/* The rename of the category of fan-out fc. */
static void
run_category(scale_t *sc, op_t *op, const fancat_t *fc)
{
    char id[48], label[112];

    op->fan = fc;
    snprintf(id, sizeof id, "category_rename_%ld", fc->fanout);
    snprintf(label, sizeof label, "UPDATE tb_category.name, fan-out %ld", fc->fanout);
    run_kind(sc, op, OP_CATEGORY, id, label, fc->fanout);
}

static void
run_ops(scale_t *sc)
{
    op_t op;
    char label[112];
    int i;

    memset(&op, 0, sizeof op);
    op.reps = opt.reps;
    op.part = &PRODUCTS;

    run_kind(sc, &op, OP_PRICE, "product_price_update", "UPDATE tb_product.price, 1 row (root)", 1);
    run_kind(sc, &op, OP_REVIEW_INS, "review_insert", "INSERT tb_review, 1 row (child)", 1);
    run_kind(sc, &op, OP_REVIEW_DEL, "review_delete", "DELETE tb_review, 1 row (child)", 1);
    run_kind(sc, &op, OP_SUPPLIER, "supplier_rename", "UPDATE tb_supplier.name (parent, fan-out)",
             sc->n / 100);
    for (i = 0; i < sc->nfan; i++)
        if (!sc->fan[i].big)
            run_category(sc, &op, &sc->fan[i]);
    op.reps = opt.batch_reps;
    snprintf(label, sizeof label, "UPDATE 1%% batch (%ld products)", sc->n / 100);
    run_kind(sc, &op, OP_BATCH, "batch_1pct", label, sc->n / 100);
    if (sc->n >= 10000)
        run_kind(sc, &op, OP_10K, "update_10000", "UPDATE 10,000 products", 10000);
    for (i = 0; i < sc->nfan; i++) {
        if (!sc->fan[i].big)
            continue;
        move_into_big(sc, &sc->fan[i]);
        run_category(sc, &op, &sc->fan[i]);
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

    c = try_connect(opt.db, "readmodel_bench_client");
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
    res_t *r = sc->res;

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
    exec_ok(sc->ctl, "VACUUM");
}


/* ------------------------------------------------------------------------
 * correctness
 * ------------------------------------------------------------------------ */
static void
check(scale_t *sc, const char *what, const char *sql)
{
    long bad = query_long(sc->ctl, sql);
    size_t len = strlen(sc->res->checks);

    printf("  check %-66s %s\n", what, bad == 0 ? "ok" : "FAILED");
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

/* Check that table S2.t2 holds the rows of S1.t1 (columns cols). */
static void
check_tables_equal(scale_t *sc, const char *cols, const char *S1, const char *t1, const char *S2, const char *t2)
{
    sb_t a = {0}, c = {0}, w = {0};

    sb_reset(&a);
    sb_reset(&c);
    sb_reset(&w);
    sb_printf(&a, "SELECT %s FROM %s.%s", cols, S1, t1);
    sb_printf(&c, "SELECT %s FROM %s.%s", cols, S2, t2);
    sb_printf(&w, "%s.%s = %s.%s", S2, t2, S1, t1);
    check_same_rows(sc, w.s, a.s, c.s);
    sb_free(&a);
    sb_free(&c);
    sb_free(&w);
}

/* Every base table of every variant of part p equals the bare one. */
static void
check_base_tables(scale_t *sc, const part_t *p, const char *const *tables, int ntables)
{
    int vs[NV], nv = part_variants(p, vs), t, i;

    for (t = 0; t < ntables; t++)
        for (i = 1; i < nv; i++)
            check_tables_equal(sc, "*", p->schema[V_BARE], tables[t], p->schema[vs[i]], tables[t]);
}

static void
refresh_all(scale_t *sc, const part_t *p)
{
    int v;

    for (v = 0; v < NV; v++)
        if (p->schema[v] && vkind[v] == K_MV)
            exec_ok(sc->ctl, p->refresh[v]);
}

/* Lock-step check of a part with one model m: every variant received the
 * same writes, and every variant's model table equals the readmodel one. */
static void
check_lockstep(scale_t *sc, const part_t *p, const model_t *m, const char *const *tables, int ntables)
{
    int vs[NV], nv = part_variants(p, vs), i;

    refresh_all(sc, p);
    check_base_tables(sc, p, tables, ntables);
    for (i = 0; i < nv; i++)
        if (vs[i] != V_BARE && vs[i] != V_RM)
            check_tables_equal(sc, m->columns, p->schema[V_RM], m->table, p->schema[vs[i]], m->table);
}

/* Check that readmodel.verify(name) returns no row. */
static void
check_verify(scale_t *sc, const char *S, const char *table)
{
    sb_t w = {0}, q = {0};

    sb_reset(&w);
    sb_reset(&q);
    sb_printf(&w, "readmodel.verify('%s.%s') returns no row", S, table);
    sb_printf(&q, "SELECT count(*) FROM readmodel.verify('%s.%s')", S, table);
    check(sc, w.s, q.s);
    sb_free(&w);
    sb_free(&q);
}

/* Check that S.table (columns cols) holds what def returns. */
static void
check_against_def(scale_t *sc, const char *cols, const char *S, const char *table, const char *def, bool refreshed)
{
    sb_t w = {0}, a = {0};

    sb_reset(&w);
    sb_reset(&a);
    sb_printf(&w, "%s.%s%s = its definition (EXCEPT ALL both ways)", S, table, refreshed ? " (refreshed)" : "");
    sb_printf(&a, "SELECT %s FROM %s.%s", cols, S, table);
    check_same_rows(sc, w.s, a.s, def);
    sb_free(&w);
    sb_free(&a);
}

typedef char *(*def_fn_t)(int v);

/* Final check of a part with one model m: every model equals its
 * definition (readmodel: verify; plpgsql: EXCEPT ALL; refresh: refreshed,
 * then EXCEPT ALL). */
static void
check_models(scale_t *sc, const part_t *p, const model_t *m, def_fn_t def_of)
{
    int vs[NV], nv = part_variants(p, vs), i, v;

    refresh_all(sc, p);
    for (i = 0; i < nv; i++) {
        char *def;

        v = vs[i];
        if (vkind[v] == K_BARE)
            continue;
        if (vkind[v] == K_RM) {
            check_verify(sc, p->schema[v], m->table);
            continue;
        }
        def = def_of(v);
        check_against_def(sc, m->columns, p->schema[v], m->table, def, vkind[v] == K_MV);
        free(def);
    }
}

static char *
product_def_of(int v)
{
    return product_def(v, S_DESIGN);
}

/* ------------------------------------------------------------------------
 * blog: a model embedding another model
 * ------------------------------------------------------------------------ */
static long
blog_posts_for(long n)
{
    return n / 4;
}

#define BIG_POST_COMMENTS 10000
#define SMALL_POST_COMMENTS 10

static void
blog_dataset(scale_t *sc)
{
    sb_t b = {0};
    double t0 = now_ms();

    sc->nposts = blog_posts_for(sc->n);
    sc->nusers = (sc->nposts + 9) / 10;
    sc->full_users = sc->nposts / 10;
    /* fan-out 1,000 when 1,000 <= posts / 10, as for the categories */
    sc->big_user = sc->nposts / 10 >= 1000;
    /* after the regular posts: the post with 10,000 comments, then one post
     * with 10 comments per repetition, all by user nusers + 1 */
    sc->big_post = sc->nposts + 1;
    sc->small_post = sc->nposts + 2;
    sc->big_first = 3 * sc->nposts + 1;
    sc->small_first = sc->big_first + BIG_POST_COMMENTS;
    sc->next_comment = sc->small_first + (long) SMALL_POST_COMMENTS * opt.reps;

    sb_reset(&b);
    sb_printf(&b,
              "INSERT INTO blog_bare.tb_user\n"
              "SELECT g, md5('user' || g)::uuid, 'user ' || g, 'user' || g || '@example.com'\n"
              "FROM generate_series(1, %ld) g;\n",
              sc->nusers + 1);
    /* user u owns posts 10(u-1)+1 .. 10u; with big_user, user 1 owns posts
     * 1..1000 instead (users 2..100 then have no post) */
    sb_printf(&b,
              "INSERT INTO blog_bare.tb_post\n"
              "SELECT g, md5('post' || g)::uuid,\n"
              "       CASE WHEN g > %ld THEN %ld WHEN g <= %d THEN 1 ELSE 1 + (g - 1) / 10 END,\n"
              "       'post ' || g, 'body of post ' || g || ': ' || md5('b' || g) || md5('c' || g)\n"
              "FROM generate_series(1, %ld) g;\n",
              sc->nposts, sc->nusers + 1, sc->big_user ? 1000 : 0, sc->nposts + 1 + opt.reps);
    sb_printf(&b,
              "INSERT INTO blog_bare.tb_comment\n"
              "SELECT (p - 1) * 3 + k, md5('comment' || ((p - 1) * 3 + k))::uuid, p,\n"
              "       1 + ((p - 1) * 3 + k) * 7 %% %ld,\n"
              "       'comment ' || k || ' on post ' || p || ': ' || md5('m' || ((p - 1) * 3 + k))\n"
              "FROM generate_series(1, %ld) p, generate_series(1, 3) k;\n",
              sc->nusers, sc->nposts);
    sb_printf(&b,
              "INSERT INTO blog_bare.tb_comment\n"
              "SELECT c, md5('comment' || c)::uuid, p, 1 + c * 7 %% %ld,\n"
              "       'comment ' || c || ' on post ' || p || ': ' || md5('m' || c)\n"
              "FROM (SELECT %ld + k - 1, %ld FROM generate_series(1, %d) k\n"
              "      UNION ALL\n"
              "      SELECT %ld + %d * j + k - 1, %ld + j\n"
              "      FROM generate_series(0, %d) j, generate_series(1, %d) k) s(c, p);\n",
              sc->nusers, sc->big_first, sc->big_post, BIG_POST_COMMENTS, sc->small_first, SMALL_POST_COMMENTS,
              sc->small_post, opt.reps - 1, SMALL_POST_COMMENTS);
    load_part(sc, &BLOG, BLOG_TABLES_TMPL, b.s, BLOG_TABLES, NBLOG_TABLES, BLOG_CONSTRAINTS_TMPL);
    blog_pl_functions(sc->ctl);
    exec_ok(sc->ctl, "VACUUM (ANALYZE)");
    sb_free(&b);
    printf("  blog dataset: %ld users, %ld posts, %ld comments%s; post %ld has %d comments, posts %ld..%ld %d each; "
           "x4 schemas (%.1f s)\n",
           sc->nusers + 1, sc->nposts + 1 + opt.reps, sc->next_comment - 1,
           sc->big_user ? ", user 1 owns 1000 posts" : "", sc->big_post, BIG_POST_COMMENTS, sc->small_post,
           sc->small_post + opt.reps - 1, SMALL_POST_COMMENTS, (now_ms() - t0) / 1000);
    fflush(stdout);
}

static void
blog_drop_variant(scale_t *sc, int v, int shape)
{
    const char *S = BLOG.schema[v];
    sb_t b = {0};

    (void) shape;
    sb_reset(&b);
    switch (vkind[v]) {
    case K_BARE:
        sb_printf(&b, "DROP TABLE IF EXISTS %s.ctas_post, %s.ctas_user", S, S);
        exec_ok(sc->ctl, b.s);
        break;
    case K_RM:
        /* tv_post reads tv_user: drop it first */
        sb_printf(&b, "%s.tv_post", S);
        drop_model_if_exists(sc, b.s);
        sb_reset(&b);
        sb_printf(&b, "%s.tv_user", S);
        drop_model_if_exists(sc, b.s);
        break;
    case K_MV:
        sb_printf(&b, "DROP MATERIALIZED VIEW IF EXISTS %s.mv_post, %s.mv_user", S, S);
        exec_ok(sc->ctl, b.s);
        break;
    case K_PL:
        exec_tmpl(sc->ctl, BLOG_PL_DROP_TMPL, S);
        break;
    }
    sb_free(&b);
}

static void
blog_build_sql(sb_t *b, int v, int shape)
{
    const char *S = BLOG.schema[v];
    char *du = blog_user_def(v, ""), *dp = NULL, *trg;

    (void) shape;
    sb_reset(b);
    switch (vkind[v]) {
    case K_BARE:
        /* CTAS + unique index of both, tv_post's over the CTAS copy of
         * tv_user: the yardstick (not named tv_*, see model_build) */
        dp = blog_post_def(v, "blog_bare.ctas_user", "");
        sb_printf(b, "CREATE TABLE %s.ctas_user AS\n%s;\n"
                     "CREATE UNIQUE INDEX ON %s.ctas_user (pk_user);\n"
                     "CREATE TABLE %s.ctas_post AS\n%s;\n"
                     "CREATE UNIQUE INDEX ON %s.ctas_post (pk_post)", S, du, S, S, dp, S);
        break;
    case K_RM:
        dp = blog_post_def(v, NULL, "");
        sb_printf(b, "SELECT readmodel.create('%s.tv_user', $def$\n%s\n$def$);\n"
                     "SELECT readmodel.create('%s.tv_post', $def$\n%s\n$def$)", S, du, S, dp);
        break;
    case K_MV:
        dp = blog_post_flat(v);
        sb_printf(b, "CREATE MATERIALIZED VIEW %s.mv_user AS\n%s;\n"
                     "CREATE UNIQUE INDEX ON %s.mv_user (pk_user);\n"
                     "CREATE MATERIALIZED VIEW %s.mv_post AS\n%s;\n"
                     "CREATE UNIQUE INDEX ON %s.mv_post (pk_post)", S, du, S, S, dp, S);
        break;
    case K_PL:
        dp = blog_post_def(v, NULL, "");
        trg = subst(BLOG_PL_TRIGGERS_TMPL, S);
        sb_printf(b, "CREATE TABLE %s.tv_user (pk_user int PRIMARY KEY, id uuid, data jsonb);\n"
                     "INSERT INTO %s.tv_user\n%s;\n"
                     "CREATE TABLE %s.tv_post (pk_post int PRIMARY KEY, id uuid, fk_user int, data jsonb);\n"
                     "INSERT INTO %s.tv_post\n%s;\n%s", S, S, du, S, S, dp, trg);
        free(trg);
        break;
    }
    free(du);
    free(dp);
}

static void
run_blog_ops(scale_t *sc)
{
    static const struct {
        enum op_kind kind;
        const char *id, *what;
    } comment_ops[] = {
        {OP_B_EDIT, "edit", "UPDATE tb_comment.body"},
        {OP_B_INS, "insert", "INSERT tb_comment"},
        {OP_B_DEL, "delete", "DELETE tb_comment"},
    };
    op_t op;
    char id[48], label[112];
    int i, big;

    memset(&op, 0, sizeof op);
    op.reps = opt.reps;
    op.part = &BLOG;

    run_kind(sc, &op, OP_B_TITLE, "blog_post_title_update", "UPDATE tb_post.title, 1 row (root)", 1);
    run_kind(sc, &op, OP_B_COMMENT_INS, "blog_comment_insert", "INSERT tb_comment, 1 row (child)", 1);
    run_kind(sc, &op, OP_B_COMMENT_DEL, "blog_comment_delete", "DELETE tb_comment, 1 row (child)", 1);
    run_kind(sc, &op, OP_B_USER_10, "blog_user_rename_10", "UPDATE tb_user.name, 10 posts (via tv_user)",
             11);
    if (sc->big_user) {
        run_kind(sc, &op, OP_B_USER_1000, "blog_user_rename_1000",
                 "UPDATE tb_user.name, 1,000 posts (via tv_user)", 1001);
    }
    /* one comment of a post with 10 comments, then of the post with 10,000 */
    for (i = 0; i < 3; i++) {
        for (big = 0; big < 2; big++) {
            op.kind = comment_ops[i].kind;
            op.big = big;
            snprintf(id, sizeof id, "blog_comment_%s_%d", comment_ops[i].id,
                     big ? BIG_POST_COMMENTS : SMALL_POST_COMMENTS);
            snprintf(label, sizeof label, "%s, 1 row of a post with %s comments", comment_ops[i].what,
                     big ? "10,000" : "10");
            run_op(sc, &op, id, label, 1);
        }
    }
}

/* Lock-step check of the blog: identical base tables, and the tv_user /
 * tv_post of mv and pl equal rm's. */
static void
check_blog_variants_equal(scale_t *sc)
{
    int v;

    refresh_all(sc, &BLOG);
    check_base_tables(sc, &BLOG, BLOG_TABLES, NBLOG_TABLES);
    for (v = V_MV; v <= V_PL; v++) {
        check_tables_equal(sc, "pk_user, id, data", BLOG.schema[V_RM], "tv_user", BLOG.schema[v],
                           v == V_MV ? "mv_user" : "tv_user");
        check_tables_equal(sc, "pk_post, id, fk_user, data", BLOG.schema[V_RM], "tv_post", BLOG.schema[v],
                           v == V_MV ? "mv_post" : "tv_post");
    }
}

/* Final check of the blog: every model equals its definition; tv_post is
 * compared with the documents computed from the base tables alone. */
static void
check_blog_models(scale_t *sc)
{
    char *def;
    int v;

    check_verify(sc, BLOG.schema[V_RM], "tv_user");
    check_verify(sc, BLOG.schema[V_RM], "tv_post");
    refresh_all(sc, &BLOG);
    for (v = V_MV; v <= V_PL; v++) {
        def = blog_user_def(v, "");
        check_against_def(sc, "pk_user, id, data", BLOG.schema[v], v == V_MV ? "mv_user" : "tv_user", def,
                          v == V_MV);
        free(def);
        def = blog_post_flat(v);
        check_against_def(sc, "pk_post, id, fk_user, data", BLOG.schema[v], v == V_MV ? "mv_post" : "tv_post", def,
                          v == V_MV);
        free(def);
    }
}

/* The blog part of a scale, after the product part, on the same database. */
static void
run_blog(scale_t *sc)
{
    res_t *r = sc->res;
    double t0 = now_ms();

    printf("\n  --- blog: n/40 users, n/4 posts, 3 comments per post, a post with 10,000 comments; "
           "tv_post embeds tv_user ---\n");
    fflush(stdout);
    sc->out = &r->blat;
    r->blog = true;
    blog_dataset(sc);
    r->blog_users = sc->nusers + 1;
    r->blog_posts = sc->nposts + 1 + opt.reps;
    r->blog_comments = sc->next_comment - 1;

    measure_build_with(sc, &BLOG, S_DESIGN, blog_drop_variant, blog_build_sql,
                       "DROP TABLE IF EXISTS blog_bare.ctas_post, blog_bare.ctas_user", "blog_initial_build",
                       "initial build (bare: CTAS + unique indexes)", r->blog_users + r->blog_posts);
    /* fresh sessions, as for the product part: opened after the build */
    open_sessions(sc, &BLOG);
    run_blog_ops(sc);
    check_blog_variants_equal(sc);
    check_blog_models(sc);
    sc->out = &r->lat;
    r->blog_seconds = (now_ms() - t0) / 1000;
    printf("  blog done in %.0f s\n", r->blog_seconds);
    fflush(stdout);
}

/* ------------------------------------------------------------------------
 * rollup: 10 groups of 10,000 rows
 * ------------------------------------------------------------------------ */
static char *
roll_def(int v)
{
    return def_for(ROLL_DEF_TMPL, ROLL.schema[v], "");
}

static void
roll_drop(scale_t *sc, int v, int shape)
{
    (void) shape;
    model_drop(sc, ROLL.schema[v], vkind[v], &ROLL_MODEL);
}

static void
roll_build(sb_t *b, int v, int shape)
{
    char *def = roll_def(v);

    (void) shape;
    model_build(b, ROLL.schema[v], vkind[v], &ROLL_MODEL, def);
    free(def);
}

static void
run_rollup_ops(scale_t *sc)
{
    op_t op;

    memset(&op, 0, sizeof op);
    op.reps = opt.reps;
    op.part = &ROLL;
    sc->next_product = ROLL_ROWS + 1;

    run_kind(sc, &op, OP_R_INS, "rollup_product_insert", "INSERT tb_product, 1 row (group of 10,000)", 1);
    run_kind(sc, &op, OP_R_UPD, "rollup_product_update", "UPDATE tb_product.price, 1 row (group of 10,000)",
             1);
    run_kind(sc, &op, OP_R_DEL, "rollup_product_delete", "DELETE tb_product, 1 row (group of 10,000)", 1);
}

static void
rollup_dataset(scale_t *sc)
{
    sb_t b = {0};
    double t0 = now_ms();

    sb_reset(&b);
    sb_printf(&b,
              "INSERT INTO roll_bare.tb_category SELECT g, 'category ' || g FROM generate_series(1, %d) g;\n"
              "INSERT INTO roll_bare.tb_product\n"
              "SELECT g, 1 + (g - 1) %% %d, 'product ' || g, round((1 + random() * 998)::numeric, 2)\n"
              "FROM generate_series(1, %ld) g;\n",
              ROLL_GROUPS, ROLL_GROUPS, ROLL_ROWS);
    load_part(sc, &ROLL, ROLL_TABLES_TMPL, b.s, ROLL_TABLES, NROLL_TABLES, ROLL_CONSTRAINTS_TMPL);
    roll_pl_functions(sc->ctl);
    exec_ok(sc->ctl, "VACUUM (ANALYZE)");
    sb_free(&b);
    printf("  dataset: %d categories, %ld products (%d each), x4 schemas (%.1f s)\n", ROLL_GROUPS, ROLL_ROWS,
           ROLL_PER_GROUP, (now_ms() - t0) / 1000);
    fflush(stdout);
}

/* ------------------------------------------------------------------------
 * output: the same tables as text (stdout) or Markdown (--markdown)
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

#define MAXCOLS 16
#define CELL 112  /* the longest label */
typedef char cells_t[MAXCOLS][CELL];

/* One table row: Markdown ("| a | b |") or text columns of width w[i] (the
 * first left-aligned).  With sep, the Markdown separator line follows. */
static void
row(FILE *f, bool md, int n, cells_t c, const int *w, bool sep)
{
    int i;

    if (md) {
        for (i = 0; i < n; i++)
            fprintf(f, "| %s ", c[i]);
        fprintf(f, "|\n");
        if (sep) {
            for (i = 0; i < n; i++)
                fprintf(f, i ? "|---:" : "|---");
            fprintf(f, "|\n");
        }
        return;
    }
    for (i = 0; i < n; i++)
        fprintf(f, i ? " %*s" : "%-*s", w[i], c[i]);
    fprintf(f, "\n");
}

/* Fill c[0..n-1] from the strings of s (n of them). */
static void
set_cells(cells_t c, int n, const char *const *s)
{
    int i;

    for (i = 0; i < n; i++)
        snprintf(c[i], CELL, "%s", s[i]);
}

static void
cell_pair(char *c, double p50, double p95)
{
    char a[32], b[32];

    snprintf(c, CELL, "%s / %s", fmt_ms(a, sizeof a, p50), fmt_ms(b, sizeof b, p95));
}

static bool
in_table(const lat_t *l, int shape)
{
    return l->shape < 0 || l->shape == shape;
}

/* The latency table of list L for the variants cols (readmodel, refresh,
 * plpgsql) against bare, the kept samples, and readmodel's maintenance. */
static void
out_lat(FILE *f, bool md, const lat_list_t *L, const int *cols, int shape)
{
    static const char *const head[] = {"operation", "rows", "bare", "readmodel", "x bare", "refresh", "x bare",
                                       "plpgsql", "x bare", "refresh / rm"};
    static const int w[] = {62, 7, 15, 15, 7, 17, 7, 15, 7, 12};
    static const char *const mhead[] = {"operation", "keys recomputed", "rows patched", "rows written",
                                        "maintenance ms (mean)", "rebuilds"};
    static const int mw[] = {62, 15, 12, 12, 21, 8};
    cells_t c;
    int i, k;

    if (md)
        fprintf(f, "Latency in ms per autocommit statement, client side; p50 / p95; \"x bare\" = p50 / p50(bare); "
                   "\"refresh / rm\" = p50(refresh) / p50(readmodel).\n\n");
    set_cells(c, 10, head);
    row(f, md, 10, c, w, true);
    for (i = 0; i < L->n; i++) {
        const lat_t *l = &L->v[i];

        if (!in_table(l, shape))
            continue;
        snprintf(c[0], CELL, "%s", l->label);
        snprintf(c[1], CELL, "%ld", l->affected);
        cell_pair(c[2], l->p50[V_BARE], l->p95[V_BARE]);
        for (k = 0; k < 3; k++) {
            int v = cols[k];

            if (l->have[v])
                cell_pair(c[3 + 2 * k], l->p50[v], l->p95[v]);
            else
                snprintf(c[3 + 2 * k], CELL, "-");
            fmt_ratio(c[4 + 2 * k], CELL, l->have[v] ? ratio(l->p50[v], l->p50[V_BARE]) : -1);
        }
        fmt_ratio(c[9], CELL, l->have[cols[0]] && l->have[cols[1]] ? ratio(l->p50[cols[1]], l->p50[cols[0]]) : -1);
        row(f, md, 10, c, w, false);
    }

    fprintf(f, md ? "\nKept samples (bare / readmodel / refresh / plpgsql):"
               : "kept samples (bare/readmodel/refresh/plpgsql):");
    for (i = k = 0; i < L->n; i++) {
        const lat_t *l = &L->v[i];

        if (in_table(l, shape))
            fprintf(f, "%s %s %d/%d/%d/%d", k++ ? "," : "", l->op, l->samples[V_BARE], l->samples[cols[0]],
                    l->samples[cols[1]], l->samples[cols[2]]);
    }
    fprintf(f, ".\n\n%s", md ? "readmodel maintenance per statement (`readmodel.queue_stats()` deltas):\n\n"
                             : "readmodel.queue_stats() deltas per statement (kept repetitions):\n");
    set_cells(c, 6, mhead);
    row(f, md, 6, c, mw, true);
    for (i = 0; i < L->n; i++) {
        const lat_t *l = &L->v[i];
        const qstats_t *q = &l->st[cols[0]];

        if (!l->have_stats || !in_table(l, shape))
            continue;
        snprintf(c[0], CELL, "%s", l->label);
        snprintf(c[1], CELL, "%.0f", q->keys_recomputed);
        snprintf(c[2], CELL, "%.0f", q->rows_patched);
        snprintf(c[3], CELL, "%.0f", q->rows_written);
        fmt_ms(c[4], CELL, q->maint_ms);
        snprintf(c[5], CELL, "%.2g", q->rebuilds);
        row(f, md, 6, c, mw, false);
    }
}

static void
out_throughput(FILE *f, bool md, const res_t *r)
{
    static const char *const head[] = {"clients", "bare tps", "readmodel tps", "readmodel / bare",
                                       "bare WAL bytes (FPI) per commit", "readmodel WAL bytes (FPI) per commit"};
    static const int w[] = {8, 10, 14, 17, 32, 37};
    cells_t c;
    int i;

    fprintf(f, "\nWrite throughput (single-row `UPDATE tb_product SET price = price + 1` on the design's "
               "tv_product, disjoint products, %s, %.0f s per variant and client count, run as ABBA halves, each "
               "after a CHECKPOINT; WAL per commit from `pg_stat_wal`):\n\n",
            hot_rows_text(), opt.duration);
    set_cells(c, 6, head);
    row(f, md, 6, c, w, true);
    for (i = 0; i < r->nthr; i++) {
        const thr_t *t = &r->thr[i];

        snprintf(c[0], CELL, "%d", t->clients);
        snprintf(c[1], CELL, "%.0f", t->tps[V_BARE]);
        snprintf(c[2], CELL, "%.0f", t->tps[V_RM]);
        snprintf(c[3], CELL, "%.0f%%", 100 * ratio(t->tps[V_RM], t->tps[V_BARE]));
        snprintf(c[4], CELL, "%.0f (%.3f)", t->wal_bytes[V_BARE], t->wal_fpi[V_BARE]);
        snprintf(c[5], CELL, "%.0f (%.3f)", t->wal_bytes[V_RM], t->wal_fpi[V_RM]);
        row(f, md, 6, c, w, false);
    }
}

static void
out_heading(FILE *f, bool md, int level, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void
out_heading(FILE *f, bool md, int level, const char *fmt, ...)
{
    va_list ap;

    fprintf(f, "\n%.*s ", level, md ? "######" : "======");
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fprintf(f, "\n\n");
}

static const char *
setting_text(const res_t *r)
{
    static char buf[256];

    snprintf(buf, sizeof buf, "%s (%s)", SETTINGS[r->setting].title, r->settings_text);
    return buf;
}

/* All the tables of one result (a scale at one setting, or the rollup). */
static void
out_res(FILE *f, bool md, const res_t *r)
{
    int s;

    if (r->rollup) {
        out_heading(f, md, 3, "Rollup, %d categories x %d products — %s", ROLL_GROUPS, ROLL_PER_GROUP,
                    setting_text(r));
        fprintf(f, "`tv_category`: per category `count(*)`, `sum`, `avg` and `max` of the prices (ROLL_DEF_TMPL "
                   "in bench.c); \"rows\" counts the model rows a write reaches.\n\n");
        out_lat(f, md, &r->lat, SHAPES[S_DESIGN].v, S_DESIGN);
    } else {
        out_heading(f, md, 3, "%ld products, %ld reviews, %d categories — %s", r->n, r->reviews, r->ncategories,
                    setting_text(r));
        for (s = 0; s < NSHAPES; s++) {
            if (!PRODUCTS.schema[SHAPES[s].v[0]])
                continue;
            out_heading(f, md, 4, "%s", SHAPES[s].title);
            out_lat(f, md, &r->lat, SHAPES[s].v, s);
        }
        if (r->nthr)
            out_throughput(f, md, r);
        if (r->blog) {
            out_heading(f, md, 4, "Blog: %ld users, %ld posts, %ld comments — %s", r->blog_users, r->blog_posts,
                        r->blog_comments, SETTINGS[r->setting].title);
            fprintf(f, "`tv_post` embeds the `tv_user` document as its author and lists its comments; \"rows\" "
                       "counts the `tv_user` and `tv_post` rows a write reaches. %.0f s for this part.\n\n",
                    r->blog_seconds);
            out_lat(f, md, &r->blat, SHAPES[S_DESIGN].v, S_DESIGN);
        }
    }
    if (r->checks_ok)
        fprintf(f, "\nChecks: all %d passed (identical base tables in every schema; every model table equal to "
                   "the readmodel one; `readmodel.verify` returns no row; plpgsql and refreshed tables equal "
                   "their definition). %.0f s.\n", r->nchecks, r->seconds);
    else
        fprintf(f, "\nChecks: **FAILED**: %s. %.0f s.\n", r->checks, r->seconds);
}

/* ---- the settings side by side ---- */

static const lat_t *
find_lat(const lat_list_t *L, const char *op)
{
    int i;

    for (i = 0; i < L->n; i++)
        if (strcmp(L->v[i].op, op) == 0)
            return &L->v[i];
    return NULL;
}

/* Header cells from c[first] on: each of the n names for each result of
 * rs, with its setting; returns the number of cells. */
static int
setting_cells(cells_t c, int *w, int first, const res_t *const *rs, int nrs, const char *const *names, int n,
              int width)
{
    int j, k, at = first;

    for (j = 0; j < nrs; j++)
        for (k = 0; k < n && at < MAXCOLS; k++) {
            snprintf(c[at], CELL, "%s, %s", names[k], SETTINGS[rs[j]->setting].id);
            w[at++] = width;
        }
    return at;
}

/* Ratios to bare of the lists of rs[0..nrs-1] (one per setting), side by
 * side: per setting the bare p50 and readmodel, refresh and plpgsql / bare. */
static void
out_compare_lat(FILE *f, bool md, const res_t *const *rs, int nrs, bool blog, const int *cols, int shape)
{
    static const char *const names[] = {"bare ms", "readmodel", "refresh", "plpgsql"};
    const lat_list_t *L0 = blog ? &rs[0]->blat : &rs[0]->lat;
    int w[MAXCOLS] = {62, 7}, nc, i, j, k;
    cells_t c;

    snprintf(c[0], CELL, "operation");
    snprintf(c[1], CELL, "rows");
    nc = setting_cells(c, w, 2, rs, nrs, names, 4, 18);
    row(f, md, nc, c, w, true);
    for (i = 0; i < L0->n; i++) {
        if (!in_table(&L0->v[i], shape))
            continue;
        snprintf(c[0], CELL, "%s", L0->v[i].label);
        snprintf(c[1], CELL, "%ld", L0->v[i].affected);
        for (j = 0; j < nrs; j++) {
            const lat_t *l = find_lat(blog ? &rs[j]->blat : &rs[j]->lat, L0->v[i].op);

            fmt_ms(c[2 + 4 * j], CELL, l ? l->p50[V_BARE] : -1);
            for (k = 0; k < 3; k++)
                fmt_ratio(c[3 + 4 * j + k], CELL, l && l->have[cols[k]] ? ratio(l->p50[cols[k]], l->p50[V_BARE]) : -1);
        }
        row(f, md, nc, c, w, false);
    }
}

static void
out_compare_throughput(FILE *f, bool md, const res_t *const *rs, int nrs)
{
    static const char *const names[] = {"bare tps", "readmodel tps", "readmodel / bare"};
    int w[MAXCOLS] = {8}, nc, i, j;
    cells_t c;

    snprintf(c[0], CELL, "clients");
    nc = setting_cells(c, w, 1, rs, nrs, names, 3, 22);
    row(f, md, nc, c, w, true);
    for (i = 0; i < rs[0]->nthr; i++) {
        snprintf(c[0], CELL, "%d", rs[0]->thr[i].clients);
        for (j = 0; j < nrs; j++) {
            const thr_t *t = i < rs[j]->nthr ? &rs[j]->thr[i] : NULL;

            snprintf(c[1 + 3 * j], CELL, "%.0f", t ? t->tps[V_BARE] : 0);
            snprintf(c[2 + 3 * j], CELL, "%.0f", t ? t->tps[V_RM] : 0);
            snprintf(c[3 + 3 * j], CELL, "%.0f%%", t ? 100 * ratio(t->tps[V_RM], t->tps[V_BARE]) : 0);
        }
        row(f, md, nc, c, w, false);
    }
}

/* For every scale (and the rollup) that ran at more than one setting: the
 * ratios to bare of each setting side by side. */
static void
out_comparison(FILE *f, bool md)
{
    const res_t *rs[NSETTINGS_KNOWN];
    bool done[MAXRES] = {false};
    int i, j, nrs, s;

    for (i = 0; i < nresults; i++) {
        if (done[i])
            continue;
        nrs = 0;
        for (j = i; j < nresults; j++)
            if (results[j].rollup == results[i].rollup && results[j].n == results[i].n && nrs < NSETTINGS_KNOWN) {
                rs[nrs++] = &results[j];
                done[j] = true;
            }
        if (nrs < 2)
            continue;
        if (results[i].rollup) {
            out_heading(f, md, 3, "Side by side: rollup, %d categories x %d products", ROLL_GROUPS, ROLL_PER_GROUP);
            fprintf(f, "p50 of bare in ms, and p50 / p50(bare) of each variant, per setting.\n\n");
            out_compare_lat(f, md, rs, nrs, false, SHAPES[S_DESIGN].v, S_DESIGN);
            continue;
        }
        out_heading(f, md, 3, "Side by side: %ld products", results[i].n);
        fprintf(f, "p50 of bare in ms, and p50 / p50(bare) of each variant, per setting.\n");
        for (s = 0; s < NSHAPES; s++) {
            if (!PRODUCTS.schema[SHAPES[s].v[0]])
                continue;
            out_heading(f, md, 4, "%s", SHAPES[s].title);
            out_compare_lat(f, md, rs, nrs, false, SHAPES[s].v, s);
        }
        if (rs[0]->nthr) {
            out_heading(f, md, 4, "Write throughput, %ld products", results[i].n);
            out_compare_throughput(f, md, rs, nrs);
        }
        if (rs[0]->blog) {
            out_heading(f, md, 4, "Blog, %ld products' scale", results[i].n);
            out_compare_lat(f, md, rs, nrs, true, SHAPES[S_DESIGN].v, S_DESIGN);
        }
    }
}

static void
csv_lat(FILE *f, const res_t *r, const char *part, const lat_list_t *L)
{
    int i, v;

    for (i = 0; i < L->n; i++) {
        const lat_t *l = &L->v[i];
        bool build = strstr(l->op, "initial_build") != NULL, products = strcmp(part, "products") == 0;

        for (v = 0; v < NV; v++) {
            int sh = vshape(v);

            if (!l->have[v])
                continue;
            fprintf(f, "%s,%ld,%s,%s,%s,%s,%s,%s,%ld,%d,%.3f,%.3f,,%.4f,", SETTINGS[r->setting].id, r->n, part,
                    build ? "build" : "latency", l->op, vname[v], products && sh >= 0 ? SHAPES[sh].id : "",
                    products ? vschema[v] : (strcmp(part, "blog") == 0 ? BLOG.schema[v] : ROLL.schema[v]),
                    l->affected, l->samples[v], l->p50[v], l->p95[v], ratio(l->p50[v], l->p50[V_BARE]));
            if (vkind[v] == K_RM && l->have[SHAPES[sh].v[1]])
                fprintf(f, "%.4f", ratio(l->p50[SHAPES[sh].v[1]], l->p50[v]));
            fprintf(f, ",");
            if (vkind[v] == K_RM && l->have_stats)
                fprintf(f, "%.1f,%.1f,%.3f", l->st[v].keys_recomputed, l->st[v].rows_patched, l->st[v].maint_ms);
            else
                fprintf(f, ",,");
            fprintf(f, "\n");
        }
    }
}

static void
write_csv(const char *path)
{
    FILE *f = fopen(path, "w");
    int s, i, v;

    if (!f)
        die("cannot write %s: %s", path, strerror(errno));
    fprintf(f, "setting,scale,part,kind,operation,variant,shape,schema,rows_affected,samples,p50_ms,p95_ms,tps,"
               "ratio_to_bare,refresh_over_readmodel,rm_keys_recomputed,rm_rows_patched,rm_maintenance_ms\n");
    for (s = 0; s < nresults; s++) {
        const res_t *r = &results[s];

        if (r->rollup) {
            csv_lat(f, r, "rollup", &r->lat);
            continue;
        }
        csv_lat(f, r, "products", &r->lat);
        for (i = 0; i < r->nthr; i++)
            for (v = 0; v < 2; v++)
                fprintf(f, "%s,%ld,products,throughput,clients_%d,%s,design,%s,,%d,,,%.1f,%.4f,,,,\n",
                        SETTINGS[r->setting].id, r->n, r->thr[i].clients, vname[v], vschema[v], r->thr[i].clients,
                        r->thr[i].tps[v], ratio(r->thr[i].tps[v], r->thr[i].tps[V_BARE]));
        csv_lat(f, r, "blog", &r->blat);
    }
    fclose(f);
}

static void
write_markdown(const char *path)
{
    FILE *f = fopen(path, "w");
    int s;

    if (!f)
        die("cannot write %s: %s", path, strerror(errno));
    fprintf(f, "<!-- generated by test/bench/bench -->\n\nCommand: `%s`  \nServer: %s\n", command_line, server_info);
    if (lib_changed)
        fprintf(f, "\n**Warning: pg_readmodel.so was reinstalled during this run; the numbers mix two builds.**\n");
    for (s = 0; s < nresults; s++)
        out_res(f, true, &results[s]);
    out_comparison(f, true);
    fclose(f);
}

/* ------------------------------------------------------------------------
 * one scale, the rollup
 * ------------------------------------------------------------------------ */
static res_t *
new_result(scale_t *sc, long n, int setting, bool rollup)
{
    res_t *r;

    if (nresults >= MAXRES)
        die("too many results");
    r = &results[nresults++];
    memset(sc, 0, sizeof *sc);
    memset(r, 0, sizeof *r);
    sc->n = n;
    sc->res = r;
    sc->out = &r->lat;
    r->n = n;
    r->setting = setting;
    r->rollup = rollup;
    r->checks_ok = true;
    apply_setting(setting, r->settings_text, sizeof r->settings_text);
    return r;
}

/* After a result: warn if the library changed, close, print. */
static void
end_result(scale_t *sc, double t0)
{
    char now[64];

    lib_mtime(sc->ctl, now, sizeof now);
    if (strcmp(now, lib_mtime_start) != 0) {
        printf("  WARNING: pg_readmodel.so changed during the run (%s, now %s): the numbers mix two builds\n",
               lib_mtime_start, now);
        lib_changed = true;
    }
    close_sessions(sc);
    PQfinish(sc->ctl);
    sc->res->seconds = (now_ms() - t0) / 1000;
    out_res(stdout, false, sc->res);
    printf("done in %.0f s\n", sc->res->seconds);
    fflush(stdout);
    if (opt.csv)
        write_csv(opt.csv);
    if (opt.markdown)
        write_markdown(opt.markdown);
}

static void
run_scale(long n, int setting)
{
    scale_t sc;
    double t0 = now_ms();
    res_t *r = new_result(&sc, n, setting, false);

    r->reviews = n * 5;
    plan_fanouts(&sc);
    printf("\n=== scale %ld products; %s ===\n", n, setting_text(r));
    fflush(stdout);
    fresh_database(&sc);
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

    open_sessions(&sc, &PRODUCTS);
    run_ops(&sc);
    check_lockstep(&sc, &PRODUCTS, &PRODUCT_MODEL, TABLES, NTABLES);
    if (opt.concurrency && opt.nclients > 0)
        run_throughput(&sc);
    check_models(&sc, &PRODUCTS, &PRODUCT_MODEL, product_def_of);
    if (opt.blog)
        run_blog(&sc);
    end_result(&sc, t0);
}

static void
run_rollup(int setting)
{
    scale_t sc;
    double t0 = now_ms();
    res_t *r = new_result(&sc, ROLL_ROWS, setting, true);

    printf("\n=== rollup: %d categories x %d products; %s ===\n", ROLL_GROUPS, ROLL_PER_GROUP, setting_text(r));
    fflush(stdout);
    fresh_database(&sc);
    rollup_dataset(&sc);
    r->ncategories = ROLL_GROUPS;
    measure_build_with(&sc, &ROLL, S_DESIGN, roll_drop, roll_build, "DROP TABLE IF EXISTS roll_bare.ctas_category",
                       "rollup_initial_build", "initial build (bare: CTAS + unique index)", ROLL_GROUPS);
    open_sessions(&sc, &ROLL);
    run_rollup_ops(&sc);
    check_lockstep(&sc, &ROLL, &ROLL_MODEL, ROLL_TABLES, NROLL_TABLES);
    check_models(&sc, &ROLL, &ROLL_MODEL, roll_def);
    end_result(&sc, t0);
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
parse_settings(const char *s)
{
    int n = 0, k;
    size_t len;

    while (*s) {
        len = strcspn(s, ",");
        for (k = 0; k < NSETTINGS_KNOWN; k++)
            if (strlen(SETTINGS[k].id) == len && strncmp(s, SETTINGS[k].id, len) == 0)
                break;
        if (k == NSETTINGS_KNOWN || n >= NSETTINGS_KNOWN)
            die("bad value for --settings: %s (cpu, durable, current)", s);
        opt.settings[n++] = k;
        s += len;
        if (*s == ',')
            s++;
    }
    if (n == 0)
        die("--settings needs at least one of cpu, durable, current");
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
           "  --settings LIST      server settings to run everything at, in turn (default cpu,durable):\n"
           "                       cpu: fsync, synchronous_commit, full_page_writes off; durable: the three on;\n"
           "                       current: the server as it is.  cpu and durable use ALTER SYSTEM SET and\n"
           "                       pg_reload_conf() (superuser) and ALTER SYSTEM RESET the three at exit\n"
           "  --reps N             repetitions of single-row operations (default 30)\n"
           "  --batch-reps N       repetitions of batches and of whole-table fan-out (default 5)\n"
           "  --build-reps N       repetitions of the initial build, median reported (default 3)\n"
           "  --refresh-reps N     at most N repetitions for the refresh variant (default: no cap)\n"
           "  --refresh-budget S   the refresh variant stops repeating an operation once it has spent S\n"
           "                       seconds on it and kept at least 5 samples (default: no budget)\n"
           "  --fanouts LIST       category fan-outs (default 10,100,1000,100000); F is measured at scale n\n"
           "                       when F <= n/10 (dedicated category), or F = n is the largest fan-out\n"
           "                       (every product moves into one category first)\n"
           "  --no-correlated      leave out the correlated-subquery variant of tv_product (rmc, mvc, plc)\n"
           "  --no-correlated-refresh  leave out the correlated variant's REFRESH (mvc)\n"
           "  --clients LIST       concurrent clients for the throughput runs (default 1,2,4)\n"
           "  --duration S         seconds per throughput run (default 10)\n"
           "  --no-concurrency     skip the throughput runs\n"
           "  --hot-rows N         each throughput client cycles over N rows of its own (default 1000);\n"
           "                       0: it walks its whole share of the products, each row once per run\n"
           "  --no-build           build once without timing it\n"
           "  --no-blog            skip the blog part (below)\n"
           "  --no-rollup          skip the rollup (below)\n"
           "  --seed X             setseed() value for the data (default 0.42)\n"
           "  --db NAME            database to (re)create (default readmodel_bench)\n"
           "  --dsn CONNINFO       connection string (default: libpq environment)\n"
           "  --csv FILE           write all results as CSV\n"
           "  --markdown FILE      write all results as Markdown tables\n"
           "  --trace FILE         write every timing as CSV (setting,scale,operation,rep,warmup,variant,schema,ms,\n"
           "                       rm_maintenance_ms); adds an untimed queue_stats() query around each\n"
           "                       readmodel statement\n"
           "  --verbose            echo setup statements\n"
           "Products: tv_product as designed (GROUP BY over LEFT JOINs to category, supplier, inventory and\n"
           "  reviews, jsonb_agg ... FILTER, AVG) in schemas rm, mv, pl; the correlated-subquery variant in\n"
           "  rmc, mvc, plc; bare: no model.\n"
           "Blog part (after the product part of every scale, unless --no-blog): schemas blog_bare, blog_rm,\n"
           "  blog_mv, blog_pl with tb_user (n/40 users), tb_post (n/4 posts, 10 per user; from n = 40000 on,\n"
           "  user 1 owns 1,000 of them; plus one post with 10,000 comments and --reps posts with 10) and\n"
           "  tb_comment (3 per post); models tv_user and tv_post, which embeds tv_user's document as its\n"
           "  author and lists its comments.  Operations: initial build of both models, UPDATE tb_post.title,\n"
           "  INSERT / DELETE of a comment, renames of a user with 10 posts and of user 1 (1,000 posts), and\n"
           "  edit, insert and delete of a comment of a post with 10 and of the post with 10,000 comments.\n"
           "Rollup (first, at every setting, unless --no-rollup; independent of --scales): schemas roll_bare,\n"
           "  roll_rm, roll_mv, roll_pl with 10 categories of 10,000 products and tv_category (count, sum,\n"
           "  avg, max of the prices per category); INSERT, UPDATE and DELETE of one product.\n"
           "Exit status: 0 ok, 1 a correctness check failed, 2 error.\n");
}

/* the options that set a boolean */
static const struct flag {
    const char *name;
    bool *flag;
    bool value;
} FLAGS[] = {
    {"--no-concurrency", &opt.concurrency, false},
    {"--no-build", &opt.build, false},
    {"--no-blog", &opt.blog, false},
    {"--no-rollup", &opt.rollup, false},
    {"--no-correlated", &opt.correlated, false},
    {"--no-correlated-refresh", &opt.correlated_refresh, false},
    {"--verbose", &opt.verbose, true},
};

static const struct flag *
find_flag(const char *a)
{
    size_t i;

    for (i = 0; i < sizeof FLAGS / sizeof FLAGS[0]; i++)
        if (strcmp(a, FLAGS[i].name) == 0)
            return &FLAGS[i];
    return NULL;
}

int
main(int argc, char **argv)
{
    const struct flag *flag;
    int i, s;
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
        } else if (strcmp(a, "--settings") == 0) {
            NEEDVAL();
            opt.nsettings = parse_settings(val);
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
        } else if ((flag = find_flag(a)) != NULL) {
            *flag->flag = flag->value;
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
    if (opt.correlated) {
        PRODUCTS.schema[V_RMC] = vschema[V_RMC];
        PRODUCTS.schema[V_PLC] = vschema[V_PLC];
        if (opt.correlated_refresh)
            PRODUCTS.schema[V_MVC] = vschema[V_MVC];
    }

    /* server description */
    c = connect_db("postgres");
    r = query(c, "SELECT split_part(version(), ' ', 2), current_setting('shared_buffers'),"
                 " current_setting('wal_level'), current_setting('max_wal_size'), current_setting('work_mem'),"
                 " current_setting('jit'), current_setting('shared_preload_libraries'),"
                 " (SELECT default_version FROM pg_available_extensions WHERE name = 'pg_readmodel'),"
                 " (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)");
    {
        long mem_kb = 0;
        FILE *mi = fopen("/proc/meminfo", "r");

        if (mi) {
            if (fscanf(mi, "MemTotal: %ld kB", &mem_kb) != 1)
                mem_kb = 0;
            fclose(mi);
        }
        snprintf(server_info, sizeof server_info,
                 "PostgreSQL %s; shared_buffers=%s wal_level=%s max_wal_size=%s work_mem=%s jit=%s "
                 "shared_preload_libraries='%s'; pg_readmodel %s; client host: %ld cores, %.1f GiB",
                 PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2), PQgetvalue(r, 0, 3),
                 PQgetvalue(r, 0, 4), PQgetvalue(r, 0, 5), PQgetvalue(r, 0, 6), PQgetvalue(r, 0, 7),
                 sysconf(_SC_NPROCESSORS_ONLN), mem_kb / 1048576.0);
        if (PQgetisnull(r, 0, 7))
            die("extension pg_readmodel is not installed on this server");
        for (s = 0; s < opt.nsettings; s++)
            if (SETTINGS[opt.settings[s]].value && strcmp(PQgetvalue(r, 0, 8), "t") != 0)
                die("--settings %s switches the server with ALTER SYSTEM: connect as a superuser, or use "
                    "--settings current", SETTINGS[opt.settings[s]].id);
    }
    PQclear(r);
    lib_mtime(c, lib_mtime_start, sizeof lib_mtime_start);
    {
        size_t len = strlen(server_info);

        snprintf(server_info + len, sizeof server_info - len, "; pg_readmodel.so modified %s", lib_mtime_start);
    }
    PQfinish(c);

    main_pid = getpid();
    atexit(reset_settings);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    printf("bench: %s\nbench: command: %s\n", server_info, command_line);
    printf("bench: scales");
    for (i = 0; i < opt.nscales; i++)
        printf("%s%ld", i ? "," : " ", opt.scales[i]);
    printf("; settings");
    for (s = 0; s < opt.nsettings; s++)
        printf("%s%s", s ? "," : " ", SETTINGS[opt.settings[s]].id);
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
        fprintf(trace_file, "setting,scale,operation,rep,warmup,variant,schema,ms,rm_maintenance_ms\n");
    }
    /* the rollup first, then each scale at every setting in turn: a run cut
     * short still has every setting of the scales it finished */
    if (opt.rollup)
        for (s = 0; s < opt.nsettings; s++)
            run_rollup(opt.settings[s]);
    for (i = 0; i < opt.nscales; i++) {
        for (s = 0; s < opt.nsettings; s++) {
            run_scale(opt.scales[i], opt.settings[s]);
            if (trace_file)
                fflush(trace_file);
        }
    }
    if (trace_file)
        fclose(trace_file);
    if (opt.nsettings > 1)
        out_comparison(stdout, false);
    reset_settings();
    printf("\nbench: total %.0f s; %s\n", (now_ms() - t0) / 1000,
           any_check_failed ? "CORRECTNESS CHECKS FAILED" : "all checks passed");
    return any_check_failed ? 1 : 0;
}
