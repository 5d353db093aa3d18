/*
 * fuzz.h — shared declarations of the pg_readmodel definition fuzzer.
 *
 * The fuzzer generates a random FraiseQL-style schema per seed, random
 * read-model definitions over it, declares each with readmodel.create(),
 * runs a random DML workload and compares the read-model table with a
 * fresh run of its definition by binary image after every transaction.
 *
 * Files, by job:
 *   util.c      PRNG, libpq helpers (memory, strings, Buf, StrList:
 *               test/common/strbuf.c; res_ok, pg_connect: pgconn.c)
 *   schema.c    random schema, value pools, data fill
 *   frag.c      the fragment tree definitions are built of (for shrinking)
 *   grammar.c   random definitions over a schema
 *   extra.c     extra tables (composite key, arrays, partitions), their
 *               writes, and definitions keyed otherwise (groups, UNION ALL, ...)
 *   workload.c  random DML transactions
 *   compare.c   pinned settings, binary-image comparison, verify() check
 *   trial.c     one definition: clone database, create, workload, verdict
 *   shrink.c    minimise a failing definition
 *   selftest.c  proves the comparator catches corrupted rows
 *   fuzz.c      options, the main loop, statistics
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

#include <libpq-fe.h>

#include "pgconn.h"
#include "strbuf.h"

#define NAMELEN		64
#define MAXTABLES	48			/* base tables plus registered models */
#define MAXCOLS		32
#define MAXDEFS		16			/* models created in one trial */

#define lengthof(a) ((int) (sizeof(a) / sizeof((a)[0])))

/* ------------------------------------------------------------------ */
/* util.c                                                              */
/* ------------------------------------------------------------------ */

typedef struct Rng
{
	uint64_t	state;
} Rng;

extern void rng_seed(Rng *r, uint64_t seed);
extern uint64_t rng_next(Rng *r);
extern int	rnd(Rng *r, int n);
extern int	rnd_range(Rng *r, int lo, int hi);
extern bool chance(Rng *r, int pct);
extern uint64_t mix_seed(uint64_t a, uint64_t b);

#define PICK(r, arr) ((arr)[rnd((r), lengthof(arr))])

extern double now_seconds(void);

extern PGconn *connect_db(const char *conninfo, const char *dbname);
extern PGconn *connect_db_retry(const char *conninfo, const char *dbname);
extern bool conn_lost(PGconn *c);
extern bool exec_quiet(PGconn *c, const char *sql);
extern void exec_or_die(PGconn *c, const char *sql);
extern char *error_text(const PGresult *r);
extern char *quote_literal(const char *s);

/* ------------------------------------------------------------------ */
/* options (fuzz.c)                                                    */
/* ------------------------------------------------------------------ */

typedef struct Options
{
	uint64_t	seed;
	int			definitions;	/* stop after this many (0: no limit) */
	int			seconds;		/* stop after this many seconds (0: no limit) */
	int			transactions;	/* per accepted definition */
	int			per_schema;		/* definitions per random schema */
	const char *conninfo;		/* where to connect for CREATE DATABASE */
	const char *dbprefix;		/* names of the databases we create */
	bool		keep_going;		/* go on with a definition after a wrong check */
	bool		verbose;
	bool		stop_on_failure;
	int			shrink_seconds; /* budget per failure (0: do not shrink) */
	int			max_shrinks;	/* shrink at most this many failures */
	int			profile;		/* -1 random, 0 pinned, 1 hostile */
	int			keep_failures;	/* keep this many failing databases */
	int			gexpr;			/* percent of definitions keyed by grouping
								 * expressions (-1: the usual mix, about 10) */
	int			rollup;			/* percent of definitions in the shapes of
								 * aggregate deltas (rollup.c) */
} Options;

extern Options opt;

/* ------------------------------------------------------------------ */
/* schema.c                                                            */
/* ------------------------------------------------------------------ */

typedef enum TypeKind
{
	TY_INT,
	TY_BIGINT,
	TY_NUMERIC,
	TY_FLOAT8,
	TY_TEXT,
	TY_CITEXT,
	TY_BOOL,
	TY_JSONB,
	TY_TSTZ,
	TY_INTERVAL,
	TY_BYTEA,
	TY_UUID,
	TY_OTHER,					/* arrays, dates...: only as output */
	NTYPES
} TypeKind;

typedef struct Column
{
	char		name[NAMELEN];
	TypeKind	type;
	int			scale;			/* numeric: typmod scale, -1 unconstrained */
	const char *coll;			/* text: NULL (default), or a collation name */
	bool		not_null;
	bool		is_pk;
	int			fk;				/* referenced table, -1 if not a reference */
	bool		fk_constraint;	/* declared FOREIGN KEY */
	const char *on_delete;		/* "CASCADE", "SET NULL" or NULL */
	bool		on_update_cascade;
	bool		deferred;		/* DEFERRABLE INITIALLY DEFERRED */
	bool		indexed;
	bool		hidden;			/* derived tables: not selectable */
} Column;

typedef struct Table
{
	char		name[NAMELEN];	/* tb_post, tv_f3 */
	char		stem[NAMELEN];	/* post: alias stem */
	bool		is_model;
	int			root;			/* models: base table of the key */
	int			ncols;
	Column		cols[MAXCOLS];	/* cols[0]: primary key or model key */
	int			target_rows;
	int			def_no;			/* models: the definition number */
	uint64_t	used;			/* models: bit per base table read */
	int			ndeps;			/* models: the models it reads, transitively */
	int			deps[MAXDEFS];
	bool		is_view;		/* a generated view (schema.c) */
	int			view_depth;		/* views: 1 over tables, 2 over a view, ... */
} Table;

typedef struct Schema
{
	uint64_t	seed;
	int			ntables;		/* base tables, views, then registered models */
	int			nbase;
	int			nviews;			/* t[nbase .. nbase + nviews - 1]: views */
	Table		t[MAXTABLES];
	StrList		ddl;			/* CREATE statements, in order */
	StrList		fill;			/* INSERT statements of the initial data */
	int			xref;			/* extra tables (extra.c): the base table they reference */
	int			xparts;			/* partitions of tb_xp: 2 or 3 */
} Schema;

extern void schema_generate(Schema *s, uint64_t seed);
extern void schema_print(const Schema *s, FILE *f);
extern const char *type_sql(const Column *c);
extern const char *type_name(TypeKind t);
extern bool col_strict(const Column *c);
extern bool type_ordered_minmax(const Column *c);
extern bool type_summable(TypeKind t);
extern char *value_literal(Rng *r, const Column *c, int null_pct);
extern char *value_copy_text(Rng *r, const Column *c);
extern const char *const *ebd_group(Rng *r, const Column *c, int *n);
extern char *key_literal(const Column *pk, long n);
extern char *key_text(const Column *pk, long n);
extern char *text_to_literal(const Column *c, const char *text);
extern int	schema_fk_cols(const Table *t, int *out);

/* the first registered model of a schema (after base tables and views) */
#define FIRST_MODEL(s) ((s)->nbase + (s)->nviews)

/* ------------------------------------------------------------------ */
/* frag.c: definitions are trees of fragments, so they can be shrunk    */
/* ------------------------------------------------------------------ */

#define F_DROP	0x01			/* the shrinker may remove it */
#define F_ALT	0x02			/* the shrinker may replace it by alt */
#define F_LIST	0x04			/* renders empty when no kid renders */

typedef struct Frag
{
	char	   *text;			/* leaf text */
	char	   *prefix;			/* lists: before the kids */
	char	   *suffix;			/* lists: after the kids */
	const char *sep;			/* between rendered kids */
	struct Frag **kids;
	int			nkids;
	int			cap;
	unsigned	flags;
	char	   *alt;			/* replacement text (F_ALT) */
	bool		dropped;		/* shrink state */
	bool		use_alt;
} Frag;

extern Frag *fr_text(const char *fmt,...) __attribute__((format(printf, 1, 2)));
extern Frag *fr_seq(void);
extern Frag *fr_list(const char *prefix, const char *sep, const char *suffix);
extern Frag *fr_add(Frag *parent, Frag *kid);
extern Frag *fr_addt(Frag *parent, const char *fmt,...) __attribute__((format(printf, 2, 3)));
extern Frag *fr_drop(Frag *f);
extern Frag *fr_alt(Frag *f, const char *alt);
extern char *fr_render(const Frag *f);
extern int	fr_candidates(Frag *f, Frag ***out);
extern void fr_free(Frag *f);
extern int	fr_size(const Frag *f);
extern void fr_reset(Frag *f);

/* ------------------------------------------------------------------ */
/* grammar.c                                                           */
/* ------------------------------------------------------------------ */

typedef struct Def
{
	char		name[NAMELEN];	/* tv_f3 */
	int			def_no;
	char		options[160];
	Frag	   *frag;
	int			root;			/* schema table index of the root */
	uint64_t	used;			/* bit per base table read */
	int			ndeps;			/* models read, transitively, in order */
	int			deps[MAXDEFS];	/* schema table indexes */
	int			nout;			/* output columns (for models over models) */
	Column		out[MAXCOLS];
	const char *bad;			/* a deliberately bad construct, or NULL */
	const char *shape;			/* plain, grouped, ... (statistics) */
	unsigned	constructs;		/* C_* bits: the sources it reads (statistics) */
	bool		xused;			/* reads an extra table (extra.c) */
	bool		xe;				/* reads tb_xe or tb_xt (extra.c, grouping expressions) */
	bool		tzwrite;		/* its writing session uses other TimeZones */
} Def;

/* sources a definition reads, for the statistics (Def.constructs) */
#define C_VIEW		0x01		/* a generated view */
#define C_VIEW2		0x02		/* a view over a view */
#define C_CTE		0x04		/* a WITH query */
#define C_CTE_MAT	0x08		/* a WITH query AS MATERIALIZED */
#define C_CTE_TWICE 0x10		/* a WITH query read twice */
#define C_SUBQ_ROOT 0x20		/* a plain subquery as the first FROM item */
#define C_SUBQ		0x40		/* a plain subquery elsewhere in FROM */
#define NSOURCES	7			/* the bits above: source constructs */
/* shapes of extra.c: keys other than the root's primary key, ... */
#define C_GKEY1		(1u << 7)	/* GROUP BY one root column: the key */
#define C_GKEYN		(1u << 8)	/* GROUP BY several root columns */
#define C_HAVING	(1u << 9)	/* HAVING over such groups */
#define C_DISTINCT	(1u << 10)	/* SELECT DISTINCT a[, b] */
#define C_DISTINCT_ON (1u << 11)	/* DISTINCT ON (a[, b]) ... ORDER BY ..., key */
#define C_COMPOSITE (1u << 12)	/* a root with PRIMARY KEY (a, b) */
#define C_KEYOPT	(1u << 13)	/* options: "key": [...] */
#define C_UNION		(1u << 14)	/* top-level UNION ALL with a tag */
#define C_WINDOW	(1u << 15)	/* top-level window function, partitioned */
#define C_ANY		(1u << 16)	/* t.pk = ANY (p.array) */
#define C_OR		(1u << 17)	/* c.a = p.k OR c.b = p.k */
#define C_REFRESH	(1u << 18)	/* options: "strategy": "refresh" */
#define C_RIGHT		(1u << 19)	/* RIGHT JOIN, the root on the right */
#define C_PART		(1u << 20)	/* a partitioned source table */
/* grouping expressions as keys (extra.c, xs_gexpr) */
#define C_GX_ANY	(1u << 21)	/* any key that is a grouping expression */
#define C_GX_ARITH	(1u << 22)	/* int arithmetic (x / 10), a cast to a scale */
#define C_GX_TEXT	(1u << 23)	/* text functions (lower, split_part, ...) */
#define C_GX_TIME	(1u << 24)	/* timestamptz: date_trunc, AT TIME ZONE, ::date */
#define C_GX_MIXED	(1u << 25)	/* with a plain group column */
#define C_GX_FILTER (1u << 26)	/* WHERE <expr> IS NOT NULL makes it NOT NULL */
#define C_GX_PARENT (1u << 27)	/* a N:1 parent's columns fixed by a grouped root column */
#define C_GX_HAVING (1u << 28)	/* HAVING */
#define C_GX_DON	(1u << 29)	/* DISTINCT ON (expr) ... ORDER BY expr, ..., pk */
#define C_GX_VIEW	(1u << 30)	/* through a view or FROM subquery that computes it */
#define C_GX_TZ		(1u << 31)	/* writing session in another TimeZone */
#define NCONSTRUCTS 32
extern const char *const construct_names[NCONSTRUCTS];

extern Def *gen_definition(Schema *s, uint64_t seed, int def_no, bool allow_models);
extern char *def_text(const Def *d);
extern void def_free(Def *d);
extern int	schema_register_model(Schema *s, const Def *d);

/* ------------------------------------------------------------------ */
/* extra.c: tables and shapes beyond the random schema                 */
/* ------------------------------------------------------------------ */

extern void extra_schema(Schema *s, uint64_t seed);
extern Def *gen_xdefinition(Schema *s, uint64_t seed, int def_no);
extern Def *gen_gxdefinition(Schema *s, uint64_t seed, int def_no);
extern Def *gen_rollup_definition(Schema *s, uint64_t seed, int def_no);
extern char *extra_stmt(Rng *r, const Schema *s, bool *may_fail);
extern char *extra_xe_stmt(Rng *r, const Schema *s, bool *may_fail);
extern const char *extra_timezone(Rng *r);

/* ------------------------------------------------------------------ */
/* workload.c                                                          */
/* ------------------------------------------------------------------ */

typedef struct KeyList
{
	char	  **v;				/* text form of each key, in key order */
	int			n;
	int			cap;
} KeyList;

typedef enum TxEnd
{
	TX_COMMITTED,
	TX_ROLLED_BACK,
	TX_ERROR
} TxEnd;

typedef struct Workload
{
	PGconn	   *conn;
	Schema	   *schema;
	Rng			rng;
	KeyList		keys[MAXTABLES];
	long		next_key[MAXTABLES];
	int			weight[MAXTABLES];
	int			xweight;		/* percent of operations on the extra tables */
	int			xeweight;		/* percent of operations on tb_xe and tb_xt */
	bool		tz;				/* SET [LOCAL] TimeZone in some transactions */
	StrList		log;			/* statements of the current transaction */
	StrList		all;			/* every statement of the session */
	bool		twopc;
	int			txn_no;
	int			sp;
	const char *model_names[MAXDEFS];	/* for refresh() calls */
	int			nmodels;
	int			nadded;			/* columns added by ALTER TABLE */
	bool		failed;			/* an unexpected error happened */
	bool		crashed;		/* the connection was lost */
	char		err_state[6];
	char	   *err_msg;		/* the error, for the report */
	char	   *err_sql;
} Workload;

extern void workload_init(Workload *w, PGconn *c, Schema *s, uint64_t seed);
extern TxEnd workload_txn(Workload *w);
extern void workload_print_log(const Workload *w, Buf *out);
extern void workload_print_all(const Workload *w, Buf *out);
extern void workload_free(Workload *w);

/* ------------------------------------------------------------------ */
/* compare.c                                                           */
/* ------------------------------------------------------------------ */

typedef struct RowImg
{
	unsigned char *img;
	size_t		len;
	char	   *text;			/* for display */
} RowImg;

typedef struct CompareResult
{
	bool		query_error;	/* the fresh definition failed to run */
	char	   *error;
	int			table_rows;
	int			def_rows;
	int			only_table;		/* rows only in the model table */
	int			only_def;		/* rows only in the fresh run */
	bool		shape_differs;	/* column count or types */
	int			verify_rows;	/* rows returned by readmodel.verify() */
	Buf			report;			/* differing rows, verify rows */
} CompareResult;

extern void apply_pinned_settings(PGconn *c);
extern void apply_profile(PGconn *c, int profile, Buf *log);
extern const char *profile_name(int profile);
extern bool compare_model(PGconn *c, const char *name, const char *definition,
						  CompareResult *out);
extern int	compare_images(RowImg *a, int na, RowImg *b, int nb,
						   bool *only_a, bool *only_b);
extern bool definition_is_nondeterministic(PGconn *c, const char *name,
										   const char *definition);
extern void compare_result_free(CompareResult *r);
extern bool compare_differs(const CompareResult *r);

/* ------------------------------------------------------------------ */
/* trial.c                                                             */
/* ------------------------------------------------------------------ */

typedef enum Outcome
{
	OUT_OK,
	OUT_REFUSED,
	OUT_WRONG,					/* model table differs from its definition */
	OUT_VERIFY,					/* verify() disagrees with the comparison */
	OUT_LEFTOVER,				/* refused or dropped model left objects */
	OUT_ERROR,					/* a write failed because of maintenance */
	OUT_HEALTH,					/* health_check() reports a problem */
	OUT_DEFERROR,				/* the definition itself fails on the data */
	OUT_NONDET,					/* the definition depends on the plan */
	OUT_SETUP,					/* a dependency could not be created */
	OUT_CRASH,					/* the server process died */
	NOUTCOMES
} Outcome;

typedef struct Trial
{
	Schema	   *schema;
	const char *template_db;
	Def		   *defs[MAXDEFS];	/* created in order; the last is the candidate */
	int			ndefs;
	uint64_t	work_seed;
	int			ntxns;
	int			profile;
	int			weight[MAXTABLES];
	int			xweight;		/* percent of operations on the extra tables */
	int			xeweight;		/* percent of operations on tb_xe and tb_xt */
	bool		tz;				/* other TimeZones: before create, in transactions */
	unsigned	engine;			/* bits: maintenance settings (trial.c) */
	bool		sabotage;		/* self-test: disable capture after create */
	const char *keep_db;		/* leave the database under this name */
} Trial;

typedef struct TrialResult
{
	Outcome		kind;
	int			model;			/* index in defs of the failing model */
	int			txn;			/* failing transaction; 0: right after create */
	char		sqlstate[6];
	char	   *reason;			/* refusals: normalized reason */
	char	   *headline;		/* failures: normalized first line */
	Buf			report;
	long		comparisons;
	long		txns;
	int			verify_disagree;
	bool		verify_missed;	/* wrong, and verify() found nothing */
} TrialResult;

extern const char *outcome_name(Outcome o);
extern bool outcome_is_failure(Outcome o);
extern void run_trial(const Trial *t, TrialResult *res);
extern void trial_result_free(TrialResult *r);
extern void trial_describe(const Trial *t, Buf *out);
extern char *work_db_name(void);
extern int	n_engine_settings(void);
extern void drop_our_databases(void);
extern void drop_work_databases(void);
extern void build_template(const Schema *s, const char *name);

/* ------------------------------------------------------------------ */
/* shrink.c                                                            */
/* ------------------------------------------------------------------ */

extern void shrink_failure(Trial *t, TrialResult *res, double budget_s, Buf *out);

/* ------------------------------------------------------------------ */
/* selftest.c                                                          */
/* ------------------------------------------------------------------ */

extern int	run_selftest(void);

#endif							/* FUZZ_H */
