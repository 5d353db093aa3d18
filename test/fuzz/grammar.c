/*
 * grammar.c — random read-model definitions over a schema.
 *
 * A definition has a root table (or an earlier model), N:1 joins on
 * primary keys (inner and outer, multi-hop, self-joins, extra ON
 * conditions, casts), a select list of columns, casts, CASE, COALESCE,
 * nested jsonb_build_object and correlated subqueries (aggregates with
 * ORDER BY, FILTER, DISTINCT; LIMIT/OFFSET, window functions and DISTINCT
 * ON in derived tables; outer joins with the correlation in ON), WHERE
 * conditions with sublinks, GROUP BY the root key over LEFT JOINed
 * children with HAVING, and FROM subqueries (grouped by their join key,
 * DISTINCT, LATERAL ... LIMIT 1).  The schema's views are read like tables
 * (as the root, a parent, the table of a subquery); the root, some parents
 * and some subquery tables are read through a plain subquery in FROM or a
 * WITH query (MATERIALIZED or not, sometimes read twice), and grouped and
 * DISTINCT derived tables sometimes become WITH queries.  A few definitions
 * carry a deliberately bad construct: system columns, TABLESAMPLE, volatile
 * functions, a view with an unread volatile column, a materialized view,
 * WITH RECURSIVE, ...
 *
 * Every definition is deterministic: whatever the plan, a fresh run gives
 * the same bytes.  Orders are completed with primary keys, min/max and
 * DISTINCT only see types whose equal values are identical, and
 * aggregates without ORDER BY only see at most one row.  The shrinker may
 * remove fragments, but never one that this relies on.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#define MAXRELS 12

typedef struct Rel
{
	char		alias[16];
	const Table *tab;
	int			ti;				/* schema index; -1: derived table */
	bool		agg_only;		/* grouped level: only inside aggregates */
	bool		multi;			/* several rows per row of the level */
	bool		nonbase;		/* a view or a subquery: GROUP BY needs its columns */
} Rel;

typedef struct Level
{
	Rel			rels[MAXRELS];
	int			nrels;
	struct Level *outer;
	bool		grouped;
	int			depth;
} Level;

typedef struct Expr
{
	Frag	   *f;
	Column		c;				/* type, scale and collation of the value */
} Expr;

/* a WITH query of the definition, for a second reference */
typedef struct Cte
{
	char		name[16];
	const Table *tab;			/* its output columns */
	int			ti;				/* the table it reads (-1: a grouped derived table) */
	int			keyT;			/* the base table whose key `key` matches */
	const char *key;			/* the output column to join on */
} Cte;

typedef struct Gen
{
	Rng			r;
	Schema	   *s;
	Def		   *d;
	int			nalias;
	int			nitem;
	bool		models;			/* earlier models may be read */
	int			in_agg;			/* inside an aggregate's arguments */
	bool		lean;			/* few, shallow constructs */
	Table	   *derived[32];
	int			nderived;
	Frag	   *with;			/* the top level's WITH list */
	Cte			ctes[8];
	int			nctes;
} Gen;

typedef bool (*ColPred) (const Column *c);

/* Def.constructs, bit by bit (statistics) */
const char *const construct_names[NCONSTRUCTS] = {
	"view", "view over a view", "WITH query", "WITH ... MATERIALIZED",
	"WITH query read twice", "subquery as root", "subquery elsewhere",
	/* the shapes of extra.c */
	"group key, one column", "group key, several", "HAVING (group key)", "SELECT DISTINCT",
	"DISTINCT ON", "composite primary key", "options key [...]", "UNION ALL with a tag",
	"window, partitioned", "= ANY (array)", "OR of equalities", "strategy refresh",
	"RIGHT JOIN", "partitioned table",
	/* grouping expressions as keys */
	"group expr (any)", "group expr: arithmetic", "group expr: text fn", "group expr: timestamptz",
	"group expr + plain column", "group expr IS NOT NULL", "group expr + N:1 parent",
	"group expr HAVING", "DISTINCT ON expr", "group expr via view", "writer TimeZone <> UTC"
};

static Expr gen_expr(Gen *g, Level *l, int depth);
static Frag *gen_cond(Gen *g, Level *l, int depth);
static Expr gen_subquery(Gen *g, Level *l, int depth);

typedef enum WrapKind
{
	W_SUBQ,						/* (SELECT ...) alias */
	W_CTE						/* WITH wN AS (SELECT ...) ... wN alias */
} WrapKind;

static Rel *wrap_source(Gen *g, Level *l, int ti, WrapKind kind, const char *must,
						bool noisy, int depth, Frag **item);

/* ------------------------------------------------------------------ */
/* small helpers                                                       */
/* ------------------------------------------------------------------ */

static Column
col_of_type(TypeKind t)
{
	Column		c;

	memset(&c, 0, sizeof c);
	c.type = t;
	c.scale = -1;
	c.fk = -1;
	return c;
}

static Expr
mk_expr(Frag *f, Column c)
{
	Expr		e;

	e.f = f;
	e.c = c;
	e.c.is_pk = false;
	e.c.fk = -1;
	e.c.not_null = false;
	e.c.hidden = false;
	return e;
}

static char *
null_of(const Column *c)
{
	if (c->type == TY_OTHER)
		return xstrdup("NULL");
	return strf("NULL::%s", type_sql(c));
}

/* record that the definition reads schema table ti */
static void
note_table(Gen *g, int ti)
{
	Def		   *d = g->d;
	const Table *t = &g->s->t[ti];
	int			add[MAXDEFS + 1];
	int			nadd = 0;

	if (t->is_view)
	{
		d->used |= t->used;
		d->constructs |= C_VIEW | (t->view_depth >= 2 ? C_VIEW2 : 0);
		return;
	}
	if (!t->is_model)
	{
		d->used |= UINT64_C(1) << ti;
		return;
	}
	d->used |= t->used;
	for (int i = 0; i < t->ndeps; i++)
		add[nadd++] = t->deps[i];
	add[nadd++] = ti;
	for (int i = 0; i < nadd; i++)
	{
		bool		have = false;
		int			j;

		for (j = 0; j < d->ndeps; j++)
			have |= d->deps[j] == add[i];
		if (have || d->ndeps >= MAXDEFS - 1)
			continue;
		/* keep creation order: insert sorted */
		for (j = d->ndeps; j > 0 && d->deps[j - 1] > add[i]; j--)
			d->deps[j] = d->deps[j - 1];
		d->deps[j] = add[i];
		d->ndeps++;
	}
}

static Rel *
add_rel(Gen *g, Level *l, int ti, const Table *tab, char stem)
{
	Rel		   *rel;

	if (l->nrels >= MAXRELS)
		return NULL;
	rel = &l->rels[l->nrels++];
	memset(rel, 0, sizeof(Rel));
	snprintf(rel->alias, sizeof rel->alias, "%c%d", stem, ++g->nalias);
	rel->ti = ti;
	rel->tab = tab;
	rel->nonbase = tab->is_view;
	if (ti >= 0)
		note_table(g, ti);
	return rel;
}

static Rel *
add_table_rel(Gen *g, Level *l, int ti)
{
	const Table *t = &g->s->t[ti];

	return add_rel(g, l, ti, t, t->is_model ? 'm' : t->stem[0]);
}

static Table *
new_derived(Gen *g)
{
	Table	   *t = xmalloc(sizeof(Table));

	memset(t, 0, sizeof(Table));
	snprintf(t->name, NAMELEN, "(derived)");
	t->root = -1;
	if (g->nderived < lengthof(g->derived))
		g->derived[g->nderived++] = t;
	return t;
}

static Column *
derived_col(Table *t, const char *name, Column type, bool hidden)
{
	Column	   *c = &t->cols[t->ncols++];

	*c = type;
	snprintf(c->name, NAMELEN, "%s", name);
	c->is_pk = false;
	c->fk = -1;
	c->hidden = hidden;
	return c;
}

/* the base table whose key the rel's first column is, or -1 */
static int
key_table(const Rel *rel)
{
	if (rel->ti < 0)
		return -1;
	return rel->tab->root;
}

/* visible tables: base tables and views, plus models when allowed */
static int
n_visible(Gen *g)
{
	return g->models ? g->s->ntables : FIRST_MODEL(g->s);
}

/* a table to read for rows of base table T: T itself, a view or a model of T */
static int
table_for(Gen *g, int T)
{
	int			cands[MAXTABLES];
	int			n = 0;

	if (g->s->nviews > 0 && chance(&g->r, 12))
	{
		for (int i = g->s->nbase; i < FIRST_MODEL(g->s); i++)
			if (g->s->t[i].root == T)
				cands[n++] = i;
		if (n > 0)
			return cands[rnd(&g->r, n)];
	}
	if (!g->models || chance(&g->r, 75))
		return T;
	for (int i = FIRST_MODEL(g->s); i < g->s->ntables; i++)
		if (g->s->t[i].root == T)
			cands[n++] = i;
	return n ? cands[rnd(&g->r, n)] : T;
}

/* pick a random (rel, column) of level l accepted by ok */
static bool
pick_col(Gen *g, Level *l, ColPred ok, bool in_agg, Rel **rel, const Column **col)
{
	Rel		   *rels[MAXRELS * MAXCOLS];
	const Column *cols[MAXRELS * MAXCOLS];
	int			n = 0;

	for (int i = 0; i < l->nrels; i++)
	{
		Rel		   *r = &l->rels[i];

		if (r->agg_only && !in_agg && !g->in_agg)
			continue;
		for (int j = 0; j < r->tab->ncols; j++)
		{
			const Column *c = &r->tab->cols[j];

			if (c->hidden || (ok && !ok(c)))
				continue;
			rels[n] = r;
			cols[n++] = c;
		}
	}
	if (n == 0)
		return false;
	n = rnd(&g->r, n);
	*rel = rels[n];
	*col = cols[n];
	return true;
}

static bool
p_any(const Column *c)
{
	return c->type != TY_OTHER;
}

static bool
p_ordered(const Column *c)
{
	return c->type != TY_OTHER;
}

static bool
p_strict(const Column *c)
{
	return col_strict(c);
}

static bool
p_minmax(const Column *c)
{
	return type_ordered_minmax(c);
}

static bool
p_summable(const Column *c)
{
	return type_summable(c->type);
}

static bool
p_bool(const Column *c)
{
	return c->type == TY_BOOL;
}

static bool
p_text(const Column *c)
{
	return c->type == TY_TEXT || c->type == TY_CITEXT;
}

static bool
p_numeric(const Column *c)
{
	return c->type == TY_NUMERIC;
}

static Expr
colref(const Rel *rel, const Column *c)
{
	return mk_expr(fr_text("%s.%s", rel->alias, c->name), *c);
}

/* a column of l, or a literal when l has none that fits */
static Expr
gen_colref(Gen *g, Level *l, ColPred ok, bool in_agg)
{
	Rel		   *rel;
	const Column *c;

	if (pick_col(g, l, ok, in_agg, &rel, &c))
		return colref(rel, c);
	return mk_expr(fr_text("1"), col_of_type(TY_INT));
}

/* ", a.pk, b.pk": completes an order over the rows of level l */
static void
append_tiebreak(Level *l, Buf *b)
{
	for (int i = 0; i < l->nrels; i++)
		if (l->rels[i].multi)
			buf_append(b, ", %s.%s", l->rels[i].alias, l->rels[i].tab->cols[0].name);
}

static bool
level_multi(const Level *l)
{
	for (int i = 0; i < l->nrels; i++)
		if (l->rels[i].multi)
			return true;
	return false;
}

/* "ORDER BY x [DESC] [NULLS ...], pks" — a total order of l's rows */
static char *
order_by(Gen *g, Level *l, bool in_agg)
{
	Buf			b = {0};
	Rel		   *rel;
	const Column *c;
	static const char *const dirs[] = {"", " DESC", " NULLS FIRST", " DESC NULLS LAST"};

	buf_puts(&b, "ORDER BY ");
	if (pick_col(g, l, p_ordered, in_agg, &rel, &c))
		buf_append(&b, "%s.%s%s", rel->alias, c->name, PICK(&g->r, dirs));
	else
		buf_puts(&b, "1");
	append_tiebreak(l, &b);
	return b.data;
}

/* ------------------------------------------------------------------ */
/* expressions                                                         */
/* ------------------------------------------------------------------ */

static Expr
gen_literal(Gen *g, Column c)
{
	char	   *v = value_literal(&g->r, &c, 0);
	Expr		e = mk_expr(fr_text("%s", v), c);

	free(v);
	e.c.coll = c.coll;
	return e;
}

/* a cast of a column to another type */
static Expr
gen_cast(Gen *g, Level *l, bool in_agg)
{
	Expr		e = gen_colref(g, l, p_any, in_agg);
	Frag	   *f = fr_seq();
	const char *suffix = "::text";
	TypeKind	to = TY_TEXT;
	int			x = rnd(&g->r, 3);

	switch (e.c.type)
	{
		case TY_INT:
			suffix = x == 0 ? "::numeric" : x == 1 ? "::float8" : "::bigint";
			to = x == 0 ? TY_NUMERIC : x == 1 ? TY_FLOAT8 : TY_BIGINT;
			break;
		case TY_BIGINT:
			suffix = x == 0 ? "::numeric" : "::text";
			to = x == 0 ? TY_NUMERIC : TY_TEXT;
			break;
		case TY_NUMERIC:
			suffix = x == 0 ? "::text" : x == 1 ? "::float8" : "::numeric(30,1)";
			to = x == 0 ? TY_TEXT : x == 1 ? TY_FLOAT8 : TY_NUMERIC;
			break;
		case TY_FLOAT8:
			suffix = x == 0 ? "::numeric" : "::text";
			to = x == 0 ? TY_NUMERIC : TY_TEXT;
			break;
		case TY_TEXT:
			suffix = "::citext";
			to = TY_CITEXT;
			break;
		case TY_BOOL:
			suffix = x == 0 ? "::int" : "::text";
			to = x == 0 ? TY_INT : TY_TEXT;
			break;
		case TY_TSTZ:
			suffix = x == 0 ? "::text" : x == 1 ? "::date" : " AT TIME ZONE 'UTC'";
			to = x == 0 ? TY_TEXT : TY_OTHER;
			break;
		default:
			break;
	}
	/* a column reference binds tighter than the cast: no parentheses */
	fr_add(f, e.f);
	fr_add(f, fr_drop(fr_text("%s", suffix)));
	e.c = col_of_type(to);
	e.f = f;
	return e;
}

/* a function or operator applied to a column */
static Expr
gen_op(Gen *g, Level *l, bool in_agg)
{
	Expr		e = gen_colref(g, l, p_any, in_agg);
	Frag	   *f = fr_seq();
	char	   *x = fr_render(e.f);
	Column		rc = e.c;
	int			k = rnd(&g->r, 3);

	switch (e.c.type)
	{
		case TY_INT:
		case TY_BIGINT:
			fr_addt(f, k == 0 ? "(%s + 1)" : k == 1 ? "(%s * 2)" : "abs(%s)", x);
			break;
		case TY_NUMERIC:
			fr_addt(f, k == 0 ? "(%s + 1.0)" : k == 1 ? "round(%s, 1)" : "abs(%s)", x);
			rc.scale = -1;
			break;
		case TY_FLOAT8:
			fr_addt(f, k == 0 ? "(%s * 2)" : "abs(%s)", x);
			break;
		case TY_TEXT:
		case TY_CITEXT:
			if (k == 2)
			{
				fr_addt(f, "length(%s)", x);
				rc = col_of_type(TY_INT);
			}
			else
				fr_addt(f, k == 0 ? "(%s || '!')" : "upper(%s)", x);
			break;
		case TY_BOOL:
			fr_addt(f, "(NOT %s)", x);
			break;
		case TY_JSONB:
			if (k == 2)
			{
				fr_addt(f, "jsonb_typeof(%s)", x);
				rc = col_of_type(TY_TEXT);
			}
			else if (k == 1)
			{
				fr_addt(f, "(%s ->> 'x')", x);
				rc = col_of_type(TY_TEXT);
			}
			else
				fr_addt(f, "(%s -> 'x')", x);
			break;
		case TY_TSTZ:
			if (k == 2)
			{
				fr_addt(f, "extract(epoch FROM %s)", x);
				rc = col_of_type(TY_NUMERIC);
			}
			else
				fr_addt(f, k == 0 ? "(%s + interval '1 hour')" : "date_trunc('day', %s)", x);
			break;
		case TY_INTERVAL:
			fr_addt(f, k == 0 ? "(%s * 2)" : "justify_hours(%s)", x);
			break;
		default:
			fr_addt(f, "%s", x);
			break;
	}
	free(x);
	fr_free(e.f);
	return mk_expr(f, rc);
}

/* CASE WHEN cond THEN x ELSE NULL END, or COALESCE(x, literal) */
static Expr
gen_case(Gen *g, Level *l, int depth, bool in_agg)
{
	Expr		e = gen_colref(g, l, p_any, in_agg);
	Frag	   *f = fr_seq();

	if (chance(&g->r, 50) && !in_agg && !l->grouped)
	{
		char	   *n = null_of(&e.c);

		fr_addt(f, "CASE WHEN ");
		fr_add(f, gen_cond(g, l, depth + 1));
		fr_addt(f, " THEN ");
		fr_add(f, e.f);
		fr_addt(f, " ELSE %s END", n);
		free(n);
	}
	else
	{
		Expr		lit = gen_literal(g, e.c);

		fr_addt(f, "COALESCE(");
		fr_add(f, e.f);
		fr_addt(f, ", ");
		fr_add(f, lit.f);
		fr_addt(f, ")");
	}
	return mk_expr(f, e.c);
}

/* jsonb_build_object('a', e1, 'b', e2, ...): each pair may be dropped */
static Expr
gen_object(Gen *g, Level *l, int depth, int maxpairs)
{
	Frag	   *f = fr_seq();
	Frag	   *pairs = fr_list(NULL, ", ", NULL);
	int			n = rnd_range(&g->r, 1, maxpairs);

	fr_addt(f, "jsonb_build_object(");
	fr_add(f, pairs);
	fr_addt(f, ")");
	for (int i = 0; i < n; i++)
	{
		Frag	   *p = fr_drop(fr_seq());
		Expr		v;

		if (depth < 2 && chance(&g->r, 15))
			v = gen_object(g, l, depth + 1, 3);
		else
			v = gen_expr(g, l, depth + 1);
		fr_addt(p, "'%c', ", 'a' + i);
		fr_add(p, v.f);
		fr_add(pairs, p);
	}
	return mk_expr(f, col_of_type(TY_JSONB));
}

/* ------------------------------------------------------------------ */
/* aggregates                                                          */
/* ------------------------------------------------------------------ */

/* wrap as agg(args [ORDER BY ...]) [FILTER (WHERE ...)] */
static Frag *
agg_call(Gen *g, Level *l, const char *fn, Frag *args, const char *order,
		 int depth)
{
	Frag	   *f = fr_seq();

	fr_addt(f, "%s(", fn);
	fr_add(f, args);
	if (order)
		fr_addt(f, " %s", order);
	fr_addt(f, ")");
	if (chance(&g->r, 20) && depth < 3)
	{
		Frag	   *flt = fr_drop(fr_seq());

		fr_addt(flt, " FILTER (WHERE ");
		fr_add(flt, gen_cond(g, l, 3));
		fr_addt(flt, ")");
		fr_add(f, flt);
	}
	return f;
}

/* the argument of jsonb_agg: a column or a small object */
static Expr
agg_value(Gen *g, Level *l, int depth)
{
	if (chance(&g->r, 35))
		return gen_object(g, l, depth + 1, 3);
	return gen_colref(g, l, p_any, true);
}

/*
 * jsonb_agg: without ORDER BY over at most one row, with DISTINCT over a
 * type whose equal values are identical, else with a total ORDER BY.
 */
static Expr
agg_jsonb(Gen *g, Level *l, int depth, bool multi)
{
	Expr		e;
	Frag	   *f;
	char	   *ord;

	if (!multi && chance(&g->r, 50))
	{
		e = agg_value(g, l, depth);
		return mk_expr(agg_call(g, l, "jsonb_agg", e.f, NULL, depth),
					   col_of_type(TY_JSONB));
	}
	if (chance(&g->r, 25))
	{
		e = gen_colref(g, l, p_strict, true);
		if (col_strict(&e.c))
		{
			f = fr_seq();
			fr_addt(f, "DISTINCT ");
			fr_add(f, e.f);
			return mk_expr(agg_call(g, l, "jsonb_agg", f, NULL, depth),
						   col_of_type(TY_JSONB));
		}
		fr_free(e.f);
	}
	e = agg_value(g, l, depth);
	ord = order_by(g, l, true);
	f = agg_call(g, l, "jsonb_agg", e.f, ord, depth);
	free(ord);
	if (chance(&g->r, 40))
	{
		Frag	   *w = fr_seq();

		fr_addt(w, "COALESCE(");
		fr_add(w, f);
		fr_addt(w, ", '[]'::jsonb)");
		f = w;
	}
	return mk_expr(f, col_of_type(TY_JSONB));
}

static Expr
gen_agg_call(Gen *g, Level *l, int depth)
{
	bool		multi = level_multi(l);
	int			k = rnd(&g->r, 10);
	Expr		e;
	Frag	   *f;
	char	   *ord;

	switch (k)
	{
		case 0:
			return mk_expr(agg_call(g, l, "count", fr_text("*"), NULL, depth),
						   col_of_type(TY_BIGINT));
		case 1:
			e = gen_colref(g, l, p_any, true);
			f = fr_seq();
			fr_add(f, fr_drop(fr_text("DISTINCT ")));
			fr_add(f, e.f);
			return mk_expr(agg_call(g, l, "count", f, NULL, depth),
						   col_of_type(TY_BIGINT));
		case 2:
		case 3:
			e = gen_colref(g, l, p_summable, true);
			if (!type_summable(e.c.type))
				break;
			{
				Column		rc = e.c;
				bool		avg = k == 3;

				rc.scale = -1;
				if (e.c.type == TY_INT)
					rc.type = avg ? TY_NUMERIC : TY_BIGINT;
				else if (e.c.type == TY_BIGINT)
					rc.type = TY_NUMERIC;
				return mk_expr(agg_call(g, l, avg ? "avg" : "sum", e.f, NULL, depth), rc);
			}
		case 4:
			e = gen_colref(g, l, p_minmax, true);
			if (!type_ordered_minmax(&e.c))
				break;
			return mk_expr(agg_call(g, l, chance(&g->r, 50) ? "min" : "max", e.f,
									NULL, depth), e.c);
		case 5:
			e = gen_colref(g, l, p_bool, true);
			if (e.c.type != TY_BOOL)
				break;
			return mk_expr(agg_call(g, l, chance(&g->r, 50) ? "bool_and" : "bool_or",
									e.f, NULL, depth), e.c);
		case 6:
		case 7:
			return agg_jsonb(g, l, depth, multi);
		case 8:
			e = gen_colref(g, l, p_any, true);
			ord = order_by(g, l, true);
			f = agg_call(g, l, "array_agg", e.f, ord, depth);
			free(ord);
			return mk_expr(f, col_of_type(TY_OTHER));
		default:
			e = gen_colref(g, l, p_text, true);
			if (!p_text(&e.c))
				break;
			{
				Frag	   *args = fr_seq();
				Column		rc = col_of_type(TY_TEXT);

				fr_add(args, e.f);
				fr_addt(args, "%s, ','", e.c.type == TY_CITEXT ? "::text" : "");
				ord = order_by(g, l, true);
				f = agg_call(g, l, "string_agg", args, ord, depth);
				free(ord);
				rc.coll = e.c.type == TY_TEXT ? e.c.coll : NULL;
				return mk_expr(f, rc);
			}
	}
	/* no column for the chosen aggregate */
	fr_free(e.f);
	return mk_expr(agg_call(g, l, "count", fr_text("*"), NULL, depth),
				   col_of_type(TY_BIGINT));
}

/* an aggregate over the rows of l; its arguments hold no aggregate */
static Expr
gen_agg(Gen *g, Level *l, int depth)
{
	Expr		e;

	g->in_agg++;
	e = gen_agg_call(g, l, depth);
	g->in_agg--;
	return e;
}

/* ------------------------------------------------------------------ */
/* correlated subqueries                                               */
/* ------------------------------------------------------------------ */

typedef enum CorrKind
{
	CORR_CHILD,					/* c.fk = outer.pk */
	CORR_PARENT,				/* p.pk = outer.fk */
	CORR_SIBLING,				/* s.fk = outer.fk */
	CORR_NONE,					/* uncorrelated */
	CORR_NONEQ,					/* s.x > outer.x */
	CORR_DATA					/* c.x = outer.y: data columns, same type */
} CorrKind;

typedef struct Corr
{
	CorrKind	kind;
	int			ti;				/* table of the inner first rel */
	char		inner_col[NAMELEN];
	char	   *outer_expr;		/* "u1.pk_user" */
	const char *op;
} Corr;

/* an outer rel usable for correlation: a table (not derived), not agg-only */
static Rel *
pick_outer_rel(Gen *g, Level *l)
{
	Rel		   *cands[MAXRELS];
	int			n = 0;

	for (int i = 0; i < l->nrels; i++)
		if (l->rels[i].ti >= 0 && (!l->rels[i].agg_only || g->in_agg))
			cands[n++] = &l->rels[i];
	return n ? cands[rnd(&g->r, n)] : NULL;
}

/* tables (and columns) referencing base table T */
static int
children_of(Gen *g, int T, int *tabs, int *cols)
{
	int			n = 0;

	for (int i = 0; i < n_visible(g); i++)
	{
		const Table *t = &g->s->t[i];

		for (int j = 1; j < t->ncols; j++)
			if (t->cols[j].fk == T && !t->cols[j].hidden && n < 64)
			{
				tabs[n] = i;
				cols[n++] = j;
			}
	}
	return n;
}

static bool
corr_child(Gen *g, Rel *a, Corr *c)
{
	int			tabs[64];
	int			cols[64];
	int			n = children_of(g, key_table(a), tabs, cols);

	if (n == 0)
		return false;
	n = rnd(&g->r, n);
	c->kind = CORR_CHILD;
	c->ti = tabs[n];
	snprintf(c->inner_col, NAMELEN, "%s", g->s->t[tabs[n]].cols[cols[n]].name);
	c->outer_expr = strf("%s.%s", a->alias, a->tab->cols[0].name);
	return true;
}

static bool
corr_parent(Gen *g, Rel *a, Corr *c, bool sibling)
{
	int			fks[MAXCOLS];
	int			n = schema_fk_cols(a->tab, fks);
	const Column *fk;

	if (n == 0)
		return false;
	fk = &a->tab->cols[fks[rnd(&g->r, n)]];
	c->kind = sibling ? CORR_SIBLING : CORR_PARENT;
	c->ti = sibling ? a->ti : table_for(g, fk->fk);
	snprintf(c->inner_col, NAMELEN, "%s",
			 sibling ? fk->name : g->s->t[c->ti].cols[0].name);
	c->outer_expr = strf("%s.%s", a->alias, fk->name);
	return true;
}

/* text of the default collation and citext: equal after a cast */
static bool
text_citext(const Column *a, const Column *b)
{
	return (a->type == TY_TEXT && a->coll == NULL && b->type == TY_CITEXT) ||
		(b->type == TY_TEXT && b->coll == NULL && a->type == TY_CITEXT);
}

static bool
same_kind(const Column *a, const Column *b)
{
	if (text_citext(a, b))
		return true;
	if (a->type != b->type || a->type == TY_OTHER || a->type == TY_JSONB)
		return false;
	if (a->coll == NULL || b->coll == NULL)
		return a->coll == b->coll;
	return strcmp(a->coll, b->coll) == 0;
}

/* c.x = a.y on data columns of the same type and collation */
static bool
corr_data(Gen *g, Rel *a, Corr *c)
{
	int			j = a->tab->ncols < 2 ? 0 : rnd_range(&g->r, 1, a->tab->ncols - 1);
	bool		prefer_cast = chance(&g->r, 60);
	const Column *y;
	const Column *x;
	bool		cast_inner;
	int			tabs[64];
	int			cols[64];
	int			n = 0;

	if (a->tab->ncols < 2)
		return false;
	for (int i = 1; prefer_cast && i < a->tab->ncols; i++)
		if ((a->tab->cols[i].type == TY_TEXT && a->tab->cols[i].coll == NULL) ||
			a->tab->cols[i].type == TY_CITEXT)
			j = i;
	y = &a->tab->cols[j];
	if (y->fk >= 0 || y->hidden)
		return false;
	/* a text column of a's: look for citext partners first, and back */
	for (int pass = prefer_cast ? 0 : 1; pass < 2 && n == 0; pass++)
		for (int i = 0; i < n_visible(g) && n < 64; i++)
			for (int k = 1; k < g->s->t[i].ncols && n < 64; k++)
				if (g->s->t[i].cols[k].fk < 0 && !g->s->t[i].cols[k].hidden &&
					same_kind(&g->s->t[i].cols[k], y) &&
					(pass == 1 || text_citext(&g->s->t[i].cols[k], y)))
				{
					tabs[n] = i;
					cols[n++] = k;
				}
	if (n == 0)
		return false;
	n = rnd(&g->r, n);
	c->kind = CORR_DATA;
	c->ti = tabs[n];
	x = &g->s->t[tabs[n]].cols[cols[n]];
	/* text = citext: a binary-compatible cast on one side or the other */
	cast_inner = text_citext(x, y) && chance(&g->r, 50);
	snprintf(c->inner_col, NAMELEN, "%s%s", x->name,
			 cast_inner ? (x->type == TY_TEXT ? "::citext" : "::text") : "");
	c->outer_expr = strf("%s.%s%s", a->alias, y->name, text_citext(x, y) && !cast_inner ?
						 (y->type == TY_TEXT ? "::citext" : "::text") : "");
	return true;
}

static bool
pick_corr(Gen *g, Level *outer, Corr *c)
{
	Rel		   *a = pick_outer_rel(g, outer);
	int			x = rnd(&g->r, 100);

	memset(c, 0, sizeof(Corr));
	c->op = "=";
	if (a == NULL)
		return false;
	if (x < 50 && corr_child(g, a, c))
		return true;
	if (x < 68 && corr_parent(g, a, c, false))
		return true;
	if (x < 82 && corr_parent(g, a, c, true))
		return true;
	if (x < 92 && corr_data(g, a, c))
		return true;
	if (x < 96 && a->ti >= 0 && a->tab == &g->s->t[a->ti])
	{
		/* a non-equality correlation on a column of the same table */
		const Table *t = a->tab;
		int			j = rnd_range(&g->r, 0, t->ncols - 1);

		if (t->cols[j].type == TY_INT || t->cols[j].type == TY_NUMERIC)
		{
			c->kind = CORR_NONEQ;
			c->ti = a->ti;
			snprintf(c->inner_col, NAMELEN, "%s", t->cols[j].name);
			c->outer_expr = strf("%s.%s", a->alias, t->cols[j].name);
			c->op = ">";
			return true;
		}
	}
	if (corr_child(g, a, c) || corr_parent(g, a, c, true))
		return true;
	c->kind = CORR_NONE;
	c->ti = rnd(&g->r, g->s->nbase);
	return true;
}

/* the correlation conjunct "c.fk = outer.pk" for the inner first rel */
static Frag *
corr_frag(const Corr *c, const Rel *inner)
{
	if (c->kind == CORR_NONE)
		return NULL;
	return fr_drop(fr_text("%s.%s %s %s", inner->alias, c->inner_col, c->op,
						   c->outer_expr));
}

/* an N:1 join inside a subquery level: JOIN p ON p.pk = c.fk */
static Frag *
inner_parent_join(Gen *g, Level *l, Rel *from, Frag **on)
{
	int			fks[MAXCOLS];
	int			n = schema_fk_cols(from->tab, fks);
	const Column *fk;
	Rel		   *p;
	Frag	   *f;

	if (n == 0)
		return NULL;
	fk = &from->tab->cols[fks[rnd(&g->r, n)]];
	p = add_table_rel(g, l, table_for(g, fk->fk));
	if (p == NULL)
		return NULL;
	f = fr_drop(fr_seq());
	fr_addt(f, " %s %s %s ON ", chance(&g->r, 50) ? "JOIN" : "LEFT JOIN",
			p->tab->name, p->alias);
	*on = fr_add(f, fr_list(NULL, " AND ", NULL));
	fr_addt(*on, "%s.%s = %s.%s", p->alias, p->tab->cols[0].name, from->alias, fk->name);
	return f;
}

/*
 * An outer join of a child inside a subquery, with a reference to the
 * enclosing query in its ON clause.
 */
static Frag *
inner_child_join(Gen *g, Level *l, Rel *from)
{
	int			tabs[64];
	int			cols[64];
	int			n = children_of(g, key_table(from), tabs, cols);
	Rel		   *c;
	Frag	   *f;
	Frag	   *on;
	Rel		   *orel;
	const Column *oc;

	if (n == 0 || from->ti < 0)
		return NULL;
	n = rnd(&g->r, n);
	c = add_table_rel(g, l, tabs[n]);
	if (c == NULL)
		return NULL;
	c->multi = true;
	f = fr_drop(fr_seq());
	fr_addt(f, " LEFT JOIN %s %s ON ", c->tab->name, c->alias);
	on = fr_add(f, fr_list(NULL, " AND ", NULL));
	fr_addt(on, "%s.%s = %s.%s", c->alias, c->tab->cols[cols[n]].name, from->alias,
			from->tab->cols[0].name);
	if (l->outer && pick_col(g, l->outer, p_bool, false, &orel, &oc))
		fr_add(on, fr_drop(fr_text("%s.%s", orel->alias, oc->name)));
	else if (l->outer && pick_col(g, l->outer, p_any, false, &orel, &oc))
		fr_add(on, fr_drop(fr_text("%s.%s IS NOT NULL", orel->alias, oc->name)));
	return f;
}

/* a subquery level below outer, its first rel reading table ti */
static Rel *
open_level(Gen *g, Level *outer, Level *l, int ti, int depth)
{
	memset(l, 0, sizeof(Level));
	l->outer = outer;
	l->depth = depth;
	return add_table_rel(g, l, ti);
}

/*
 * Build the FROM and WHERE of a correlated subquery level: the first rel
 * and its correlation, maybe a join, maybe conditions.
 */
static void
inner_level(Gen *g, Level *outer, Level *l, Corr *cr, Frag *from, Frag *where,
			int depth)
{
	Rel		   *first;
	Frag	   *cf;
	Frag	   *on = NULL;
	Frag	   *j = NULL;

	if (strchr(cr->inner_col, ':') == NULL && chance(&g->r, 5))
	{
		/* the inner table read through a WITH query or a plain subquery */
		Frag	   *item;

		memset(l, 0, sizeof(Level));
		l->outer = outer;
		l->depth = depth;
		first = wrap_source(g, l, cr->ti, chance(&g->r, 60) ? W_CTE : W_SUBQ,
							cr->inner_col[0] ? cr->inner_col : NULL, false, depth + 1,
							&item);
		fr_addt(from, "FROM ");
		fr_add(from, item);
	}
	else
	{
		first = open_level(g, outer, l, cr->ti, depth);
		fr_addt(from, "FROM %s %s", first->tab->name, first->alias);
	}
	first->multi = cr->kind != CORR_PARENT;
	if (chance(&g->r, 25))
		j = inner_parent_join(g, l, first, &on);
	else if (chance(&g->r, 12))
		j = inner_child_join(g, l, first);
	if (j)
		fr_add(from, j);
	cf = corr_frag(cr, first);
	if (cf && on && chance(&g->r, 30))
		fr_add(on, cf);			/* the correlation in the join's ON */
	else if (cf)
		fr_add(where, cf);
	for (int i = rnd_range(&g->r, 0, depth < 2 ? 2 : 1); i > 0; i--)
		fr_add(where, fr_drop(gen_cond(g, l, depth + 1)));
}

static Frag *
sq_open(Frag **sel, Frag **from, Frag **where)
{
	Frag	   *f = fr_seq();

	fr_addt(f, "(SELECT ");
	*sel = fr_add(f, fr_seq());
	fr_addt(f, " ");
	*from = fr_add(f, fr_seq());
	*where = fr_add(f, fr_list(" WHERE ", " AND ", NULL));
	return f;
}

/* (SELECT agg FROM c ... WHERE c.fk = outer.pk ...) */
static Expr
sq_agg(Gen *g, Level *outer, Corr *cr, int depth)
{
	Frag	   *sel, *from, *where;
	Frag	   *f = sq_open(&sel, &from, &where);
	Level		l;
	Expr		e;

	inner_level(g, outer, &l, cr, from, where, depth);
	e = gen_agg(g, &l, depth);
	fr_add(sel, e.f);
	fr_addt(f, ")");
	return mk_expr(f, e.c);
}

/* (SELECT x FROM c ... ORDER BY ..., pk LIMIT 1 [OFFSET n]) */
static Expr
sq_limit1(Gen *g, Level *outer, Corr *cr, int depth)
{
	Frag	   *sel, *from, *where;
	Frag	   *f = sq_open(&sel, &from, &where);
	Level		l;
	Expr		e;

	inner_level(g, outer, &l, cr, from, where, depth);
	e = chance(&g->r, 30) && depth < 2 ? gen_object(g, &l, depth + 1, 3)
		: gen_colref(g, &l, p_any, false);
	fr_add(sel, e.f);
	if (level_multi(&l))
	{
		char	   *ord = order_by(g, &l, false);

		fr_addt(f, " %s LIMIT 1", ord);
		if (chance(&g->r, 25))
			fr_add(f, fr_drop(fr_text(" OFFSET 1")));
		free(ord);
	}
	fr_addt(f, ")");
	return mk_expr(f, e.c);
}

/* the correlation of a derived table, applied outside it: x.f = outer.pk */
static char *
outside_corr(const Corr *cr, const char *xalias)
{
	if (cr->kind == CORR_NONE)
		return NULL;
	return strf("%s.f %s %s", xalias, cr->op, cr->outer_expr);
}

/* an aggregate over derived table x(k, f, v), ordered by k */
static Expr
agg_over_x(Gen *g, const char *x, const Column *v)
{
	int			k = rnd(&g->r, 4);

	if (k == 0)
		return mk_expr(fr_text("count(*)"), col_of_type(TY_BIGINT));
	if (k == 1 && type_summable(v->type))
	{
		Column		rc = *v;

		rc.scale = -1;
		rc.type = v->type == TY_INT ? TY_BIGINT : v->type == TY_BIGINT ? TY_NUMERIC : v->type;
		return mk_expr(fr_text("sum(%s.v)", x), rc);
	}
	if (k == 2 && type_ordered_minmax(v))
		return mk_expr(fr_text("max(%s.v)", x), *v);
	return mk_expr(fr_text("jsonb_agg(%s.v ORDER BY %s.k)", x, x),
				   col_of_type(TY_JSONB));
}

/*
 * (SELECT agg FROM (inner) x [WHERE x.f = outer.pk]): agg over derived
 * table x, the correlation applied outside x unless it is inside.
 */
static Expr
over_derived(Expr agg, Frag *inner, const char *x, const Corr *cr, bool inside)
{
	Frag	   *f = fr_seq();
	char	   *oc = inside ? NULL : outside_corr(cr, x);

	fr_addt(f, "(SELECT ");
	fr_add(f, agg.f);
	fr_addt(f, " FROM (");
	fr_add(f, inner);
	fr_addt(f, ") %s", x);
	if (oc)
		fr_add(f, fr_drop(fr_text(" WHERE %s", oc)));
	fr_addt(f, ")");
	free(oc);
	return mk_expr(f, agg.c);
}

/*
 * (SELECT agg FROM (SELECT c.pk AS k, c.fk AS f, c.v AS v FROM c ...
 *  ORDER BY ..., c.pk LIMIT n OFFSET m) x [WHERE x.f = outer.pk])
 * The correlation is inside the limited level or outside it.
 */
static Expr
sq_limited(Gen *g, Level *outer, Corr *cr, int depth)
{
	Frag	   *inner = fr_seq();
	Frag	   *where = fr_list(" WHERE ", " AND ", NULL);
	Level		l;
	bool		inside = chance(&g->r, 50) || cr->kind == CORR_NONE;
	Corr		none = *cr;
	char		x[16];
	Rel		   *first;
	const Column *v;
	Rel		   *vrel;
	char	   *ord;

	if (!inside)
		none.kind = CORR_NONE;
	snprintf(x, sizeof x, "x%d", ++g->nalias);
	first = open_level(g, outer, &l, cr->ti, depth);
	first->multi = true;
	if (!pick_col(g, &l, p_any, false, &vrel, &v))
		v = &first->tab->cols[0];
	fr_addt(inner, "SELECT %s.%s AS k, %s.%s AS f, %s.%s AS v FROM %s %s",
			first->alias, first->tab->cols[0].name, first->alias,
			cr->kind == CORR_NONE ? first->tab->cols[0].name : cr->inner_col,
			first->alias, v->name, first->tab->name, first->alias);
	fr_add(inner, where);
	if (inside && cr->kind != CORR_NONE)
		fr_add(where, corr_frag(&none, first));
	if (chance(&g->r, 40))
		fr_add(where, fr_drop(gen_cond(g, &l, depth + 1)));
	/* the order stays: without it LIMIT and OFFSET pick arbitrary rows */
	ord = order_by(g, &l, false);
	fr_addt(inner, " %s", ord);
	fr_add(inner, fr_drop(fr_text(" LIMIT %d", rnd_range(&g->r, 1, 3))));
	if (chance(&g->r, 30))
		fr_add(inner, fr_drop(fr_text(" OFFSET %d", rnd_range(&g->r, 1, 2))));
	free(ord);

	return over_derived(agg_over_x(g, x, v), inner, x, cr, inside);
}

/* a window function over the rows of l, first rel c */
static char *
window_call(Gen *g, Level *l, Rel *c, const char *part, Column *type)
{
	Rel		   *rel;
	const Column *col;
	char	   *ord = order_by(g, l, false);
	char	   *r;
	int			k = rnd(&g->r, 5);

	*type = col_of_type(TY_BIGINT);
	if (k == 0)
		r = strf("row_number() OVER (PARTITION BY %s.%s %s)", c->alias, part, ord);
	else if (k == 1 && pick_col(g, l, p_ordered, false, &rel, &col))
		r = strf("rank() OVER (ORDER BY %s.%s)", rel->alias, col->name);
	else if (k == 2)
		r = strf("count(*) OVER (PARTITION BY %s.%s)", c->alias, part);
	else if (k == 3 && pick_col(g, l, p_summable, false, &rel, &col))
	{
		*type = *col;
		type->scale = -1;
		if (col->type == TY_INT)
			type->type = TY_BIGINT;
		else if (col->type == TY_BIGINT)
			type->type = TY_NUMERIC;
		r = strf("sum(%s.%s) OVER (PARTITION BY %s.%s)", rel->alias, col->name,
				 c->alias, part);
	}
	else if (pick_col(g, l, p_any, false, &rel, &col))
	{
		*type = *col;
		r = strf("%s(%s.%s) OVER (PARTITION BY %s.%s %s)",
				 chance(&g->r, 50) ? "lag" : "first_value", rel->alias, col->name,
				 c->alias, part, ord);
	}
	else
		r = strf("row_number() OVER (%s)", ord);
	free(ord);
	return r;
}

/*
 * (SELECT agg FROM (SELECT c.pk AS k, c.fk AS f, <window> AS v FROM c
 *  [WHERE corr]) x [WHERE x.f = outer.pk])
 */
static Expr
sq_window(Gen *g, Level *outer, Corr *cr, int depth)
{
	Frag	   *inner = fr_seq();
	Frag	   *where = fr_list(" WHERE ", " AND ", NULL);
	Level		l;
	bool		inside = chance(&g->r, 40) || cr->kind == CORR_NONE;
	Corr		in = *cr;
	char		x[16];
	Rel		   *first;
	char	   *win;
	Column		wt;
	const char *fcol;

	snprintf(x, sizeof x, "x%d", ++g->nalias);
	first = open_level(g, outer, &l, cr->ti, depth);
	first->multi = true;
	fcol = cr->kind == CORR_NONE ? first->tab->cols[0].name : cr->inner_col;
	win = window_call(g, &l, first, fcol, &wt);
	fr_addt(inner, "SELECT %s.%s AS k, %s.%s AS f, %s AS v FROM %s %s",
			first->alias, first->tab->cols[0].name, first->alias, fcol, win,
			first->tab->name, first->alias);
	free(win);
	fr_add(inner, where);
	if (inside && cr->kind != CORR_NONE)
		fr_add(where, corr_frag(&in, first));
	if (chance(&g->r, 30))
		fr_add(where, fr_drop(gen_cond(g, &l, depth + 1)));

	return over_derived(agg_over_x(g, x, &wt), inner, x, cr, inside);
}

/*
 * (SELECT jsonb_agg(x.v ORDER BY x.g) FROM (SELECT DISTINCT ON (c.g)
 *  c.g AS g, c.v AS v FROM c WHERE corr ORDER BY c.g, ..., c.pk) x)
 * or a DISTINCT subquery counted.
 */
static Expr
sq_distinct(Gen *g, Level *outer, Corr *cr, int depth)
{
	Frag	   *sel, *from, *where;
	Frag	   *inner = fr_seq();
	Frag	   *f = fr_seq();
	Level		l;
	char		x[16];
	Rel		   *grel, *vrel;
	const Column *gc, *vc;
	Expr		res;

	snprintf(x, sizeof x, "x%d", ++g->nalias);
	fr_addt(inner, "SELECT ");
	sel = fr_add(inner, fr_seq());
	fr_addt(inner, " ");
	from = fr_add(inner, fr_seq());
	where = fr_add(inner, fr_list(" WHERE ", " AND ", NULL));
	inner_level(g, outer, &l, cr, from, where, depth);
	if (!pick_col(g, &l, p_any, false, &vrel, &vc))
	{
		vrel = &l.rels[0];
		vc = &vrel->tab->cols[0];
	}
	if (chance(&g->r, 50) && pick_col(g, &l, p_strict, false, &grel, &gc))
	{
		char	   *ord = order_by(g, &l, false);

		fr_addt(sel, "DISTINCT ON (%s.%s) %s.%s AS g, %s.%s AS v", grel->alias,
				gc->name, grel->alias, gc->name, vrel->alias, vc->name);
		/* DISTINCT ON needs its expression first in ORDER BY */
		fr_addt(inner, " ORDER BY %s.%s, %s", grel->alias, gc->name, ord + 9);
		free(ord);
		res = mk_expr(fr_text("jsonb_agg(%s.v ORDER BY %s.g)", x, x),
					  col_of_type(TY_JSONB));
	}
	else
	{
		fr_addt(sel, "DISTINCT %s.%s AS v", vrel->alias, vc->name);
		if (col_strict(vc))
			res = mk_expr(fr_text("jsonb_agg(%s.v ORDER BY %s.v)", x, x),
						  col_of_type(TY_JSONB));
		else
			res = mk_expr(fr_text("count(*)"), col_of_type(TY_BIGINT));
	}
	fr_addt(f, "(SELECT ");
	fr_add(f, res.f);
	fr_addt(f, " FROM (");
	fr_add(f, inner);
	fr_addt(f, ") %s)", x);
	return mk_expr(f, res.c);
}

static Expr
gen_subquery(Gen *g, Level *l, int depth)
{
	Corr		cr;
	Expr		e;
	int			k = rnd(&g->r, 100);
	char	   *n;

	if (!pick_corr(g, l, &cr))
		return gen_colref(g, l, p_any, false);
	if (g->lean)
		k = k % 70;
	if (cr.kind == CORR_PARENT && k < 30)
		e = sq_limit1(g, l, &cr, depth);	/* an N:1 lookup */
	else if (k < 70)
		e = sq_agg(g, l, &cr, depth);
	else if (k < 78)
		e = sq_limit1(g, l, &cr, depth);
	else if (k < 85)
		e = sq_limited(g, l, &cr, depth);
	else if (k < 92)
		e = sq_window(g, l, &cr, depth);
	else
		e = sq_distinct(g, l, &cr, depth);
	free(cr.outer_expr);
	n = null_of(&e.c);
	fr_alt(e.f, n);
	free(n);
	return e;
}

/* ------------------------------------------------------------------ */
/* conditions                                                          */
/* ------------------------------------------------------------------ */

/* x = lit, x > lit, x IN (...), jsonb @> ... */
static Frag *
cond_compare(Gen *g, Level *l, bool in_agg)
{
	Rel		   *rel;
	const Column *c;
	char	   *v1, *v2;
	Frag	   *f;
	static const char *const ops[] = {"=", "<>", ">", "<=", "IS DISTINCT FROM"};

	if (!pick_col(g, l, p_any, in_agg, &rel, &c))
		return fr_text("true");
	v1 = value_literal(&g->r, c, 0);
	v2 = value_literal(&g->r, c, 0);
	if (c->type == TY_JSONB && chance(&g->r, 50))
		f = fr_text("%s.%s @> '{\"x\": 10.5}'", rel->alias, c->name);
	else if (c->type == TY_BOOL)
		f = fr_text("%s%s.%s", chance(&g->r, 30) ? "NOT " : "", rel->alias, c->name);
	else if (chance(&g->r, 25))
		f = fr_text("%s.%s IN (%s, %s)", rel->alias, c->name, v1, v2);
	else
		f = fr_text("%s.%s %s %s", rel->alias, c->name, PICK(&g->r, ops), v1);
	free(v1);
	free(v2);
	return f;
}

/* [NOT] EXISTS (SELECT 1 FROM c WHERE c.fk = outer.pk ...) */
static Frag *
cond_exists(Gen *g, Level *l, int depth)
{
	Corr		cr;
	Frag	   *sel, *from, *where;
	Frag	   *f = fr_seq();
	Frag	   *sq;
	Level		in;

	if (!pick_corr(g, l, &cr))
		return fr_text("true");
	fr_addt(f, chance(&g->r, 35) ? "NOT EXISTS " : "EXISTS ");
	sq = fr_add(f, sq_open(&sel, &from, &where));
	fr_addt(sel, "1");
	inner_level(g, l, &in, &cr, from, where, depth);
	if (chance(&g->r, 4))
		fr_add(sq, fr_drop(fr_text(" LIMIT 1")));
	fr_addt(sq, ")");
	free(cr.outer_expr);
	return f;
}

/* outer.pk [NOT] IN (SELECT c.fk FROM c WHERE ...) */
static Frag *
cond_in(Gen *g, Level *l, int depth)
{
	Corr		cr;
	Frag	   *sel, *from, *where;
	Frag	   *f = fr_seq();
	Frag	   *sq;
	Level		in;
	Corr		none;
	bool		neg = chance(&g->r, 35);

	if (!pick_corr(g, l, &cr) || cr.kind == CORR_NONE || cr.kind == CORR_NONEQ)
	{
		free(cr.outer_expr);
		return cond_compare(g, l, false);
	}
	none = cr;
	none.kind = CORR_NONE;
	fr_addt(f, "%s %sIN ", cr.outer_expr, neg ? "NOT " : "");
	sq = fr_add(f, sq_open(&sel, &from, &where));
	inner_level(g, l, &in, &none, from, where, depth);
	fr_addt(sel, "%s.%s", in.rels[0].alias, cr.inner_col);
	fr_addt(sq, ")");
	free(cr.outer_expr);
	return f;
}

/* (SELECT count(*) ...) > n */
static Frag *
cond_scalar(Gen *g, Level *l, int depth)
{
	Frag	   *f = fr_seq();
	Expr		e;
	Corr		cr;

	if (!pick_corr(g, l, &cr))
		return fr_text("true");
	e = sq_agg(g, l, &cr, depth);
	free(cr.outer_expr);
	fr_add(f, e.f);
	if (e.c.type == TY_BOOL)
		fr_addt(f, " IS NOT FALSE");
	else if (e.c.type == TY_INT || e.c.type == TY_BIGINT || e.c.type == TY_NUMERIC ||
			 e.c.type == TY_FLOAT8)
		fr_addt(f, " > %d", rnd_range(&g->r, 0, 2));
	else
		fr_addt(f, " IS NOT NULL");
	return f;
}

/* a.x = b.x for two rels' columns of the same type and collation */
static Frag *
cond_cross(Gen *g, Level *l)
{
	Rel		   *r1, *r2;
	const Column *c1, *c2;

	for (int tries = 0; tries < 8; tries++)
	{
		if (!pick_col(g, l, p_any, false, &r1, &c1) ||
			!pick_col(g, l, p_any, false, &r2, &c2))
			break;
		if (r1 != r2 && c1->type == c2->type && c1->scale == c2->scale &&
			((c1->coll == NULL && c2->coll == NULL) ||
			 (c1->coll && c2->coll && strcmp(c1->coll, c2->coll) == 0)))
			return fr_text("%s.%s = %s.%s", r1->alias, c1->name, r2->alias, c2->name);
	}
	return cond_compare(g, l, false);
}

static Frag *
gen_cond(Gen *g, Level *l, int depth)
{
	int			k = rnd(&g->r, 100);
	Rel		   *rel;
	const Column *c;

	if (depth >= 3 || (g->lean && depth >= 2))
		k = k % 45;
	if (k < 15 && pick_col(g, l, p_any, false, &rel, &c))
		return fr_text("%s.%s IS %sNULL", rel->alias, c->name,
					   chance(&g->r, 50) ? "NOT " : "");
	if (k < 45)
		return cond_compare(g, l, false);
	if (k < 60)
		return cond_exists(g, l, depth);
	if (k < 72)
		return cond_in(g, l, depth);
	if (k < 82)
		return cond_scalar(g, l, depth);
	if (k < 90)
		return cond_cross(g, l);
	{
		Frag	   *f = fr_seq();

		fr_addt(f, "(");
		fr_add(f, cond_compare(g, l, false));
		fr_addt(f, " OR ");
		fr_add(f, gen_cond(g, l, depth + 1));
		fr_addt(f, ")");
		return f;
	}
}

/* ------------------------------------------------------------------ */
/* plain subqueries and WITH queries over a table                      */
/* ------------------------------------------------------------------ */

/* a column of a wrapped source: native ones keep their reference */
static Column *
wrap_col(Table *t, const Column *src, const char *name, bool native)
{
	Column	   *c;

	if (t->ncols >= MAXCOLS)
		return NULL;
	c = &t->cols[t->ncols++];
	*c = *src;
	snprintf(c->name, NAMELEN, "%s", name);
	c->hidden = false;
	if (!native)
	{
		c->fk = -1;
		c->is_pk = false;
	}
	return c;
}

static void
note_cte(Gen *g, const char *name, const Table *tab, int ti, int keyT, const char *key)
{
	Cte		   *c;

	if (g->nctes >= lengthof(g->ctes))
		return;
	c = &g->ctes[g->nctes++];
	snprintf(c->name, sizeof c->name, "%s", name);
	c->tab = tab;
	c->ti = ti;
	c->keyT = keyT;
	c->key = tab->cols[0].name;
	if (key)
		c->key = key;
}

/* "wN AS [NOT] [MATERIALIZED] (body)" added to the WITH list; counted unless bad */
static void
add_cte(Gen *g, const char *name, Frag *body, bool count)
{
	Frag	   *c = fr_drop(fr_seq());
	int			m = rnd(&g->r, 100);

	fr_addt(c, "%s AS %s(", name, m < 35 ? "MATERIALIZED " : m < 45 ? "NOT MATERIALIZED " : "");
	fr_add(c, body);
	fr_addt(c, ")");
	fr_add(g->with, c);
	if (count)
		g->d->constructs |= C_CTE | (m < 35 ? C_CTE_MAT : 0);
}

/*
 * A plain subquery over table (or view, or model) ti that only selects,
 * joins and filters: SELECT its key, some of its columns (always `must`),
 * sometimes columns of a parent joined N:1, FROM ti [JOIN parent] [WHERE
 * ...].  `noisy` adds an unread random() column (a bad construct).  As a
 * FROM item "(...) alias", or a WITH query wN read as "wN alias".  The rel
 * is added to l; it stands for rows of ti, so correlations may treat it
 * like ti for the columns ti has.  *item gets the FROM item.
 */
static Rel *
wrap_source(Gen *g, Level *l, int ti, WrapKind kind, const char *must, bool noisy,
			int depth, Frag **item)
{
	const Table *src = &g->s->t[ti];
	Table	   *pt = new_derived(g);
	Level		il;
	Rel		   *r;
	Rel		   *rel;
	Frag	   *body = fr_seq();
	Frag	   *cols;
	Frag	   *where;
	Frag	   *join = NULL;
	int			fks[MAXCOLS];
	int			nfk = schema_fk_cols(src, fks);

	memset(&il, 0, sizeof il);
	il.depth = depth;
	r = add_table_rel(g, &il, ti);
	snprintf(pt->name, NAMELEN, "(subquery)");
	pt->root = src->root;
	fr_addt(body, "SELECT ");
	cols = fr_add(body, fr_list(NULL, ", ", NULL));
	fr_addt(cols, "%s.%s", r->alias, src->cols[0].name);
	wrap_col(pt, &src->cols[0], src->cols[0].name, true);
	for (int i = 1; i < src->ncols; i++)
	{
		const Column *c = &src->cols[i];

		if (c->hidden)
			continue;
		if (must && strcmp(c->name, must) == 0)
			fr_addt(cols, "%s.%s", r->alias, c->name);
		else if (chance(&g->r, 55))
			fr_add(cols, fr_drop(fr_text("%s.%s", r->alias, c->name)));
		else
			continue;
		wrap_col(pt, c, c->name, true);
	}
	if (nfk > 0 && !noisy && chance(&g->r, 30) && il.nrels < MAXRELS)
	{
		const Column *fk = &src->cols[fks[rnd(&g->r, nfk)]];
		Rel		   *p = add_table_rel(g, &il, table_for(g, fk->fk));
		bool		left = chance(&g->r, 60);

		join = fr_text(" %s %s %s ON %s.%s = %s.%s", left ? "LEFT JOIN" : "JOIN",
					   p->tab->name, p->alias, p->alias, p->tab->cols[0].name,
					   r->alias, fk->name);
		for (int k = rnd_range(&g->r, 1, 2); k > 0 && p->tab->ncols > 1; k--)
		{
			const Column *c = &p->tab->cols[rnd_range(&g->r, 1, p->tab->ncols - 1)];
			char		name[NAMELEN];
			Column	   *wc;
			bool		dup = false;

			snprintf(name, NAMELEN, "%s_%.40s", p->alias, c->name);
			for (int i = 0; i < pt->ncols; i++)
				dup |= strcmp(pt->cols[i].name, name) == 0;
			if (dup || c->hidden)
				continue;
			fr_add(cols, fr_drop(fr_text("%s.%s AS %s", p->alias, c->name, name)));
			wc = wrap_col(pt, c, name, false);
			if (wc && left)
				wc->not_null = false;
		}
	}
	if (noisy)
		fr_addt(cols, "random() AS noise");
	fr_addt(body, " FROM %s %s", src->name, r->alias);
	if (join)
		fr_add(body, join);
	where = fr_add(body, fr_list(" WHERE ", " AND ", NULL));
	if (chance(&g->r, 50))
		fr_add(where, fr_drop(cond_compare(g, &il, false)));
	if (chance(&g->r, 15))
		fr_add(where, fr_drop(gen_cond(g, &il, depth + 1)));

	rel = add_rel(g, l, ti, pt, kind == W_CTE ? 'w' : 's');
	if (rel == NULL)
		rel = &l->rels[l->nrels - 1];	/* full: share the last one */
	rel->nonbase = true;
	if (kind == W_SUBQ)
	{
		*item = fr_seq();
		fr_addt(*item, "(");
		fr_add(*item, body);
		fr_addt(*item, ") %s", rel->alias);
		if (!noisy && (l->outer != NULL || l->nrels > 1))
			g->d->constructs |= C_SUBQ;
	}
	else
	{
		char		name[16];

		snprintf(name, sizeof name, "q%d", ++g->nalias);
		add_cte(g, name, body, !noisy);
		if (!noisy)
			note_cte(g, name, pt, ti, src->root, NULL);
		*item = fr_text("%s %s", name, rel->alias);
	}
	return rel;
}

/* ------------------------------------------------------------------ */
/* expressions (dispatcher)                                            */
/* ------------------------------------------------------------------ */

static Expr
gen_expr(Gen *g, Level *l, int depth)
{
	int			k = rnd(&g->r, 100);

	if (l->grouped && !g->in_agg && k < 30)
		return gen_agg(g, l, depth);
	if (depth >= 3 || (g->lean && depth >= 1))
		k = k % 55;
	if (k < 30)
		return gen_colref(g, l, p_any, false);
	if (k < 38)
		return gen_cast(g, l, false);
	if (k < 46)
		return gen_op(g, l, false);
	if (k < 53)
		return gen_case(g, l, depth, false);
	if (k < 55)
	{
		Expr		e = gen_colref(g, l, p_numeric, false);

		if (e.c.type != TY_NUMERIC)
			return e;
		{
			Frag	   *f = fr_seq();

			fr_addt(f, "fn_immutable(");
			fr_add(f, e.f);
			fr_addt(f, ")");
			e.c.scale = -1;
			return mk_expr(f, e.c);
		}
	}
	if (k < 78)
		return gen_subquery(g, l, depth);
	if (k < 88)
		return gen_object(g, l, depth, 4);
	if (k < 93)
	{
		Frag	   *f = fr_seq();
		Expr		e = gen_expr(g, l, depth + 1);

		fr_addt(f, "to_jsonb(");
		fr_add(f, e.f);
		fr_addt(f, ")");
		return mk_expr(f, col_of_type(TY_JSONB));
	}
	{
		Expr		e = gen_colref(g, l, p_any, false);
		char	   *x = fr_render(e.f);
		Expr		lit = gen_literal(g, e.c);
		char	   *y = fr_render(lit.f);
		Frag	   *f;

		if (chance(&g->r, 50))
			f = fr_text("ARRAY[%s, %s]", x, y);
		else
			f = fr_text("jsonb_build_array(%s, %s)", x, y);
		free(x);
		free(y);
		fr_free(e.f);
		fr_free(lit.f);
		return mk_expr(f, col_of_type(f->text[0] == 'A' ? TY_OTHER : TY_JSONB));
	}
}

/* ------------------------------------------------------------------ */
/* the top level                                                       */
/* ------------------------------------------------------------------ */

typedef struct Top
{
	Frag	   *frag;
	Frag	   *with;
	Frag	   *selkw;
	Frag	   *sel;
	Frag	   *from;
	Frag	   *where;
	Frag	   *groupby;
	Frag	   *having;
	Frag	   *tail;
	Level		l;
	Rel		   *root;
} Top;

static void
out_col(Def *d, const char *name, Column c)
{
	Column	   *o;

	if (d->nout >= MAXCOLS)
		return;
	o = &d->out[d->nout++];
	*o = c;
	snprintf(o->name, NAMELEN, "%s", name);
	o->hidden = false;
}

static void
add_item(Gen *g, Top *t, Expr e)
{
	Frag	   *item = fr_drop(fr_seq());
	char		name[16];

	snprintf(name, sizeof name, "c%d", ++g->nitem);
	fr_add(item, e.f);
	fr_addt(item, " AS %s", name);
	fr_add(t->sel, item);
	out_col(g->d, name, e.c);
}

/* JOIN / LEFT JOIN t ON t.pk = a.fk [AND ...]: many-to-one */
static void
join_n1(Gen *g, Top *t)
{
	Rel		   *a = NULL;
	int			fks[MAXCOLS];
	int			n = 0;
	const Column *fk;
	Rel		   *b;
	Frag	   *j;
	Frag	   *on;
	const char *kind;
	const char *lcast = "";
	const char *rcast = "";
	Frag	   *item = NULL;
	int			w;

	for (int tries = 0; tries < 6 && n == 0; tries++)
	{
		a = pick_outer_rel(g, &t->l);
		if (a)
			n = schema_fk_cols(a->tab, fks);
	}
	if (n == 0 || t->l.nrels >= MAXRELS - 2)
		return;
	fk = &a->tab->cols[fks[rnd(&g->r, n)]];
	w = rnd(&g->r, 100);
	if (w < 8)
		b = wrap_source(g, &t->l, table_for(g, fk->fk), w < 5 ? W_CTE : W_SUBQ, NULL, false,
						1, &item);
	else
		b = add_table_rel(g, &t->l, table_for(g, fk->fk));
	kind = chance(&g->r, 55) ? "LEFT JOIN" : "JOIN";
	if (chance(&g->r, 4))
	{
		kind = chance(&g->r, 50) ? "RIGHT JOIN" : "FULL JOIN";
		g->d->bad = "RIGHT or FULL join";
	}
	if (chance(&g->r, 10) && (fk->type == TY_INT || fk->type == TY_BIGINT ||
							  fk->type == TY_NUMERIC))
	{
		/* int4 = numeric and friends */
		if (chance(&g->r, 50))
			lcast = "::numeric";
		else
			rcast = "::numeric";
	}
	j = fr_drop(fr_seq());
	if (item)
	{
		fr_addt(j, "\n%s ", kind);
		fr_add(j, item);
		fr_addt(j, " ON ");
	}
	else
		fr_addt(j, "\n%s %s %s ON ", kind, b->tab->name, b->alias);
	on = fr_add(j, fr_list(NULL, " AND ", NULL));
	fr_addt(on, "%s.%s%s = %s.%s%s", b->alias, b->tab->cols[0].name, lcast,
			a->alias, fk->name, rcast);
	if (chance(&g->r, 25))
	{
		Level		only = {0};

		only.rels[0] = *b;
		only.nrels = 1;
		fr_add(on, fr_drop(cond_compare(g, &only, false)));
	}
	fr_add(t->from, j);
	if (t->l.grouped)
		fr_add(t->groupby, fr_drop(fr_text("%s.%s", b->alias, b->tab->cols[0].name)));
}

/*
 * LEFT JOIN (t x RIGHT|FULL|LEFT JOIN u y ON y.pk = x.fk) ON x.pk = a.fk:
 * an outer join nested on the nullable side, the root stays preserved.
 */
static bool
join_nested(Gen *g, Top *t)
{
	Rel		   *a = pick_outer_rel(g, &t->l);
	int			fks[MAXCOLS];
	int			n;
	const Column *fk;
	const Column *fk2;
	Rel		   *x, *y;
	static const char *const kinds[] = {"RIGHT JOIN", "FULL JOIN", "LEFT JOIN", "JOIN"};

	if (a == NULL || t->l.nrels >= MAXRELS - 3 || (n = schema_fk_cols(a->tab, fks)) == 0)
		return false;
	fk = &a->tab->cols[fks[rnd(&g->r, n)]];
	if ((n = schema_fk_cols(&g->s->t[fk->fk], fks)) == 0)
		return false;
	fk2 = &g->s->t[fk->fk].cols[fks[rnd(&g->r, n)]];
	x = add_table_rel(g, &t->l, fk->fk);
	y = add_table_rel(g, &t->l, fk2->fk);
	fr_add(t->from, fr_drop(fr_text("\nLEFT JOIN (%s %s %s %s %s ON %s.%s = %s.%s) ON %s.%s = %s.%s",
									x->tab->name, x->alias, PICK(&g->r, kinds),
									y->tab->name, y->alias, y->alias, y->tab->cols[0].name,
									x->alias, fk2->name, x->alias, x->tab->cols[0].name,
									a->alias, fk->name)));
	if (t->l.grouped)
	{
		fr_add(t->groupby, fr_drop(fr_text("%s.%s", x->alias, x->tab->cols[0].name)));
		fr_add(t->groupby, fr_drop(fr_text("%s.%s", y->alias, y->tab->cols[0].name)));
	}
	return true;
}

/* LEFT JOIN t ON t.pk = a.<int column>: a lookup by a data column */
static void
join_by_data(Gen *g, Top *t)
{
	Rel		   *a = pick_outer_rel(g, &t->l);
	int			T = rnd(&g->r, g->s->nbase);
	const Column *pk = &g->s->t[T].cols[0];
	const Column *dc = NULL;
	Rel		   *b;

	if (a == NULL || (pk->type != TY_INT && pk->type != TY_NUMERIC))
		return;
	for (int i = 1; i < a->tab->ncols; i++)
		if ((a->tab->cols[i].type == TY_INT || a->tab->cols[i].type == TY_NUMERIC) &&
			a->tab->cols[i].fk < 0 && !a->tab->cols[i].hidden)
			dc = &a->tab->cols[i];
	if (dc == NULL)
		return;
	b = add_table_rel(g, &t->l, T);
	fr_add(t->from, fr_drop(fr_text("\nLEFT JOIN %s %s ON %s.%s = %s.%s", b->tab->name,
									b->alias, b->alias, pk->name, a->alias, dc->name)));
	if (t->l.grouped)
		fr_add(t->groupby, fr_drop(fr_text("%s.%s", b->alias, pk->name)));
}

/* LEFT JOIN c ON c.fk = a.pk: children, aggregated by GROUP BY */
static void
join_children(Gen *g, Top *t)
{
	Rel		   *a = pick_outer_rel(g, &t->l);
	int			tabs[64];
	int			cols[64];
	int			n;
	Rel		   *c;
	Frag	   *j;
	Frag	   *on;

	if (a == NULL || t->l.nrels >= MAXRELS - 2)
		return;
	n = children_of(g, key_table(a), tabs, cols);
	if (n == 0)
		return;
	n = rnd(&g->r, n);
	c = add_table_rel(g, &t->l, tabs[n]);
	c->agg_only = c->multi = true;
	j = fr_drop(fr_seq());
	fr_addt(j, "\n%s %s %s ON ", chance(&g->r, 80) ? "LEFT JOIN" : "JOIN",
			c->tab->name, c->alias);
	on = fr_add(j, fr_list(NULL, " AND ", NULL));
	fr_addt(on, "%s.%s = %s.%s", c->alias, c->tab->cols[cols[n]].name, a->alias,
			a->tab->cols[0].name);
	if (chance(&g->r, 20))
	{
		Level		only = {0};

		only.rels[0] = *c;
		only.rels[0].agg_only = false;
		only.nrels = 1;
		fr_add(on, fr_drop(cond_compare(g, &only, false)));
	}
	fr_add(t->from, j);
	/* a grandchild sometimes */
	if (chance(&g->r, 30))
	{
		int			n2 = children_of(g, key_table(c), tabs, cols);
		Rel		   *gc;

		if (n2 == 0 || c->ti < 0)
			return;
		n2 = rnd(&g->r, n2);
		gc = add_table_rel(g, &t->l, tabs[n2]);
		gc->agg_only = gc->multi = true;
		fr_add(t->from, fr_drop(fr_text("\nLEFT JOIN %s %s ON %s.%s = %s.%s",
										gc->tab->name, gc->alias, gc->alias,
										gc->tab->cols[cols[n2]].name, c->alias,
										c->tab->cols[0].name)));
	}
}

/* a FROM subquery over the children c of rel a, being built */
typedef struct Derived
{
	Rel		   *a;				/* the rel it is joined to */
	Level		l;				/* its own level: c */
	Rel		   *c;
	const char *fkname;			/* c's reference to a */
	Column		kc;				/* its type */
	Table	   *dt;				/* its output columns */
	Frag	   *j;				/* the join */
	Frag	   *where;			/* its WHERE */
	bool		cte;			/* grouped and DISTINCT ones: as a WITH query */
} Derived;

/* the body of a derived table as WITH query qN, joined as "LEFT JOIN qN" */
static void
derived_cte(Gen *g, Derived *x, Frag *body)
{
	char		name[16];

	snprintf(name, sizeof name, "q%d", ++g->nalias);
	add_cte(g, name, body, true);
	note_cte(g, name, x->dt, -1, key_table(x->a), "k");
	fr_addt(x->j, "\nLEFT JOIN %s", name);
}

/* aggregates over c as output columns a1, a2, ... */
static Frag *
derived_aggs(Gen *g, Derived *x)
{
	Frag	   *aggs = fr_list(NULL, ", ", NULL);

	for (int i = rnd_range(&g->r, 1, 3); i > 0; i--)
	{
		char		name[16];
		Expr		e = gen_agg(g, &x->l, 2);
		Frag	   *item = fr_drop(fr_seq());

		snprintf(name, sizeof name, "a%d", x->dt->ncols);
		fr_add(item, e.f);
		fr_addt(item, " AS %s", name);
		fr_add(aggs, item);
		derived_col(x->dt, name, e.c, false);
	}
	return aggs;
}

/* c.fk = a.pk, the correlation of a LATERAL subquery */
static void
derived_correlate(Gen *g, Derived *x)
{
	fr_add(x->where, fr_text("%s.%s = %s.%s", x->c->alias, x->fkname, x->a->alias,
							 x->a->tab->cols[0].name));
	if (chance(&g->r, 30))
		fr_add(x->where, fr_drop(gen_cond(g, &x->l, 2)));
}

/* LEFT JOIN (SELECT c.fk AS k, aggs FROM c GROUP BY c.fk) g ON g.k = a.pk */
static void
derived_grouped(Gen *g, Derived *x)
{
	Frag	   *aggs;
	Frag	   *b = x->cte ? fr_seq() : x->j;

	derived_col(x->dt, "k", x->kc, true);
	aggs = derived_aggs(g, x);
	if (chance(&g->r, 40))
		fr_add(x->where, fr_drop(gen_cond(g, &x->l, 2)));
	fr_addt(b, "%sSELECT %s.%s AS k, ", x->cte ? "" : "\nLEFT JOIN (", x->c->alias, x->fkname);
	fr_add(b, aggs);
	fr_addt(b, " FROM %s %s", x->c->tab->name, x->c->alias);
	fr_add(b, x->where);
	fr_addt(b, " GROUP BY %s.%s%s", x->c->alias, x->fkname, x->cte ? "" : ")");
	if (x->cte)
		derived_cte(g, x, b);
}

/* LEFT JOIN (SELECT DISTINCT c.fk AS k, true AS hit FROM c WHERE ...) d ON d.k = a.pk */
static void
derived_distinct(Gen *g, Derived *x)
{
	Frag	   *b = x->cte ? fr_seq() : x->j;

	derived_col(x->dt, "k", x->kc, true);
	derived_col(x->dt, "hit", col_of_type(TY_BOOL), false);
	fr_add(x->where, fr_drop(gen_cond(g, &x->l, 2)));
	fr_addt(b, "%sSELECT DISTINCT %s.%s AS k, true AS hit FROM %s %s",
			x->cte ? "" : "\nLEFT JOIN (", x->c->alias, x->fkname, x->c->tab->name,
			x->c->alias);
	fr_add(b, x->where);
	if (x->cte)
		derived_cte(g, x, b);
	else
		fr_addt(b, ")");
}

/* LEFT JOIN LATERAL (SELECT ... FROM c WHERE c.fk = a.pk ORDER BY ... LIMIT 1) l ON true */
static void
derived_first(Gen *g, Derived *x, Level *top)
{
	char	   *ord = order_by(g, &x->l, false);
	Frag	   *cols = fr_list(NULL, ", ", NULL);
	Rel		   *vr;
	const Column *vc;

	x->l.outer = top;
	derived_col(x->dt, "k", x->c->tab->cols[0], false);
	fr_addt(cols, "%s.%s AS k", x->c->alias, x->c->tab->cols[0].name);
	for (int i = rnd_range(&g->r, 1, 2); i > 0; i--)
		if (pick_col(g, &x->l, p_any, false, &vr, &vc))
		{
			char		name[16];

			snprintf(name, sizeof name, "v%d", x->dt->ncols);
			fr_add(cols, fr_drop(fr_text("%s.%s AS %s", vr->alias, vc->name, name)));
			derived_col(x->dt, name, *vc, false);
		}
	derived_correlate(g, x);
	fr_addt(x->j, "\nLEFT JOIN LATERAL (SELECT ");
	fr_add(x->j, cols);
	fr_addt(x->j, " FROM %s %s", x->c->tab->name, x->c->alias);
	fr_add(x->j, x->where);
	fr_addt(x->j, " %s LIMIT 1)", ord);
	free(ord);
}

/* [LEFT|CROSS] JOIN LATERAL (SELECT aggs FROM c WHERE c.fk = a.pk) x: one row */
static void
derived_lateral_aggs(Gen *g, Derived *x, Level *top, int *form)
{
	static const char *const forms[] = {"\nLEFT JOIN LATERAL", "\nCROSS JOIN LATERAL",
	"\nJOIN LATERAL"};
	Frag	   *aggs;

	x->l.outer = top;
	*form = rnd(&g->r, lengthof(forms));
	derived_col(x->dt, "k", x->kc, true);
	aggs = derived_aggs(g, x);
	derived_correlate(g, x);
	fr_addt(x->j, "%s (SELECT ", forms[*form]);
	fr_add(x->j, aggs);
	fr_addt(x->j, " FROM %s %s", x->c->tab->name, x->c->alias);
	fr_add(x->j, x->where);
	fr_addt(x->j, ")");
}

/* bad: LEFT JOIN (SELECT c.fk AS k, c.v AS v FROM c) s ON s.k = a.pk */
static void
derived_several(Gen *g, Derived *x)
{
	Rel		   *vr;
	const Column *vc;

	derived_col(x->dt, "k", x->kc, true);
	if (!pick_col(g, &x->l, p_any, false, &vr, &vc))
		vc = &x->c->tab->cols[0];
	derived_col(x->dt, "v", *vc, false);
	fr_addt(x->j, "\nLEFT JOIN (SELECT %s.%s AS k, %s.%s AS v FROM %s %s)",
			x->c->alias, x->fkname, x->c->alias, vc->name, x->c->tab->name, x->c->alias);
	g->d->bad = "FROM subquery with several rows per key";
}

/* a FROM subquery joined to a rel of the top level */
static void
join_derived(Gen *g, Top *t)
{
	Derived		x;
	int			tabs[64];
	int			cols[64];
	int			n;
	int			k = rnd(&g->r, 100);
	int			form = 0;
	Rel		   *rel;
	bool		lateral = false;

	memset(&x, 0, sizeof x);
	x.a = pick_outer_rel(g, &t->l);
	if (x.a == NULL || t->l.nrels >= MAXRELS - 1)
		return;
	n = children_of(g, key_table(x.a), tabs, cols);
	if (n == 0)
		return;
	n = rnd(&g->r, n);
	x.l.depth = 1;
	x.c = add_table_rel(g, &x.l, tabs[n]);
	x.c->multi = true;
	x.fkname = x.c->tab->cols[cols[n]].name;
	x.kc = x.c->tab->cols[cols[n]];
	x.dt = new_derived(g);
	x.j = fr_drop(fr_seq());
	x.where = fr_list(" WHERE ", " AND ", NULL);
	x.cte = k < 30 && chance(&g->r, 20);
	if (k < 20)
		derived_grouped(g, &x);
	else if (k < 30)
		derived_distinct(g, &x);
	else if (k < 45)
		derived_first(g, &x, &t->l);
	else if (k < 90)
		derived_lateral_aggs(g, &x, &t->l, &form);
	else
		derived_several(g, &x);
	lateral = k >= 30 && k < 90;
	rel = add_rel(g, &t->l, -1, x.dt, k < 20 ? 'g' : k < 30 ? 'd' : k < 45 ? 'l' : k < 90 ? 'a' : 's');
	if (lateral && !(k >= 45 && form == 1))
		fr_addt(x.j, " %s ON true", rel->alias);
	else if (lateral)
		fr_addt(x.j, " %s", rel->alias);
	else
		fr_addt(x.j, " %s ON %s.k = %s.%s", rel->alias, rel->alias, x.a->alias,
				x.a->tab->cols[0].name);
	rel->agg_only = t->l.grouped;
	fr_add(t->from, x.j);
}

/* HAVING over the children of a grouped definition */
static void
gen_having(Gen *g, Top *t)
{
	Expr		e = gen_agg(g, &t->l, 2);
	Frag	   *f = fr_drop(fr_seq());

	fr_add(f, e.f);
	if (e.c.type == TY_BIGINT || e.c.type == TY_INT || e.c.type == TY_NUMERIC)
		fr_addt(f, " > %d", rnd_range(&g->r, 0, 2));
	else if (e.c.type == TY_BOOL)
		fr_addt(f, " IS NOT FALSE");
	else
		fr_addt(f, " IS NOT NULL");
	fr_add(t->having, f);
}

/*
 * A WITH query read a second time, by a top-level rel it matches on the
 * key: LEFT JOIN qN x ON x.k = a.pk, or in a sublink in WHERE or in the
 * select list.
 */
static void
cte_again(Gen *g, Top *t)
{
	const Cte  *c = &g->ctes[rnd(&g->r, g->nctes)];
	Rel		   *cands[MAXRELS];
	int			n = 0;
	Rel		   *a;
	char		alias[16];
	int			k = rnd(&g->r, 100);

	for (int i = 0; i < t->l.nrels; i++)
		if (t->l.rels[i].ti >= 0 && !t->l.rels[i].agg_only &&
			key_table(&t->l.rels[i]) == c->keyT)
			cands[n++] = &t->l.rels[i];
	if (n == 0)
		return;
	a = cands[rnd(&g->r, n)];
	g->d->constructs |= C_CTE_TWICE;
	if (k < 50 && t->l.nrels < MAXRELS - 1)
	{
		Rel		   *x = add_rel(g, &t->l, c->ti, c->tab, 'w');

		x->nonbase = true;
		x->agg_only = c->ti < 0 && t->l.grouped;
		if (c->ti < 0)
			x->ti = -1;
		fr_add(t->from, fr_drop(fr_text("\nLEFT JOIN %s %s ON %s.%s = %s.%s", c->name, x->alias,
										x->alias, c->key, a->alias, a->tab->cols[0].name)));
		return;
	}
	snprintf(alias, sizeof alias, "w%d", ++g->nalias);
	if (k < 75)
	{
		fr_add(t->where, fr_drop(fr_text("%sEXISTS (SELECT 1 FROM %s %s WHERE %s.%s = %s.%s)",
										 chance(&g->r, 30) ? "NOT " : "", c->name, alias,
										 alias, c->key, a->alias, a->tab->cols[0].name)));
		return;
	}
	{
		/* (SELECT x.col FROM qN x WHERE x.k = a.pk): one row at most */
		const Column *v = &c->tab->cols[rnd(&g->r, c->tab->ncols)];
		Frag	   *f;
		Expr		e;
		char	   *n;

		if (v->hidden)
			v = &c->tab->cols[c->tab->ncols - 1];
		if (v->hidden)
			return;
		f = fr_text("(SELECT %s.%s FROM %s %s WHERE %s.%s = %s.%s)", alias, v->name, c->name,
					alias, alias, c->key, a->alias, a->tab->cols[0].name);
		e = mk_expr(f, *v);
		n = null_of(&e.c);
		fr_alt(f, n);
		free(n);
		add_item(g, t, e);
	}
}

/*
 * GROUP BY the key makes the root's other columns selectable only when
 * the root is a table: for views and subqueries every column they give
 * the top level goes into GROUP BY too.
 */
static void
group_nonbase(Top *t)
{
	for (int i = 0; i < t->l.nrels; i++)
	{
		const Rel  *r = &t->l.rels[i];

		if (!r->nonbase || r->agg_only)
			continue;
		for (int j = r == t->root ? 1 : 0; j < r->tab->ncols; j++)
			if (!r->tab->cols[j].hidden)
				fr_addt(t->groupby, "%s.%s", r->alias, r->tab->cols[j].name);
	}
}

/* a source the engine must refuse: a volatile column it does not read, ... */
static void
gen_bad_source(Gen *g, Top *t)
{
	Rel		   *a = t->root;
	int			T = key_table(a);
	const Table *bt;
	const Column *vc;
	int			k = rnd(&g->r, 6);
	char		alias[16];

	if (T < 0)
		return;
	bt = &g->s->t[T];
	vc = &bt->cols[rnd(&g->r, bt->ncols)];
	snprintf(alias, sizeof alias, "n%d", ++g->nalias);
	if (k <= 2)
	{
		static const char *const views[] = {"v_noisy_", "v_noisy2_", "v_mat_"};
		static const char *const what[] = {"volatile column in a view",
		"view over a volatile view", "materialized view"};

		fr_add(t->from, fr_drop(fr_text("\nLEFT JOIN %s%s %s ON %s.%s = %s.%s", views[k],
										bt->stem, alias, alias, bt->cols[0].name, a->alias,
										a->tab->cols[0].name)));
		add_item(g, t, mk_expr(fr_text("%s.%s", alias, vc->name), *vc));
		g->d->bad = what[k];
		if (t->l.grouped)
			fr_addt(t->groupby, "%s.%s", alias, vc->name);
	}
	else if (k == 3)
	{
		/* WITH RECURSIVE: a counter, or the tree below each row of a self-referencing table */
		const char *self = NULL;
		char		name[16];

		snprintf(name, sizeof name, "r%d", ++g->nalias);
		for (int i = 1; i < bt->ncols; i++)
			if (bt->cols[i].fk == T)
				self = bt->cols[i].name;
		free(t->with->prefix);
		t->with->prefix = xstrdup("WITH RECURSIVE ");
		if (self)
		{
			fr_add(t->with, fr_text("%s(k, top) AS (SELECT x.%s, x.%s FROM %s x UNION"
									" SELECT y.%s, r.top FROM %s y JOIN %s r ON y.%s = r.k)",
									name, bt->cols[0].name, bt->cols[0].name, bt->name,
									bt->cols[0].name, bt->name, name, self));
			add_item(g, t, mk_expr(fr_text("(SELECT count(*) FROM %s %s WHERE %s.top = %s.%s)",
										   name, alias, alias, a->alias, a->tab->cols[0].name),
								   col_of_type(TY_BIGINT)));
		}
		else
		{
			fr_add(t->with, fr_text("%s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM %s WHERE n < 3)",
									name, name));
			add_item(g, t, mk_expr(fr_text("(SELECT max(%s.n) FROM %s %s)", alias, name, alias),
								   col_of_type(TY_INT)));
		}
		g->d->bad = "WITH RECURSIVE";
	}
	else if (t->l.nrels < MAXRELS - 1)
	{
		/* random() in a column of a WITH query or FROM subquery nobody reads */
		Frag	   *item;
		Rel		   *x = wrap_source(g, &t->l, T, k == 4 ? W_CTE : W_SUBQ, NULL, true, 1, &item);
		Frag	   *j = fr_drop(fr_seq());

		fr_addt(j, "\nLEFT JOIN ");
		fr_add(j, item);
		fr_addt(j, " ON %s.%s = %s.%s", x->alias, x->tab->cols[0].name, a->alias,
				a->tab->cols[0].name);
		fr_add(t->from, j);
		add_item(g, t, mk_expr(fr_text("%s.%s", x->alias, x->tab->cols[0].name),
							   x->tab->cols[0]));
		g->d->bad = k == 4 ? "volatile column in a WITH query" :
			"volatile column in a FROM subquery";
	}
}

/* a construct the engine must refuse (or maintain anyway) */
static void
gen_bad(Gen *g, Top *t)
{
	const char *alias = t->root->alias;
	int			k = rnd(&g->r, 15);

	if (k <= 3 && t->root->nonbase)
	{
		/* system columns and TABLESAMPLE need a table */
		gen_bad_source(g, t);
		return;
	}
	switch (k)
	{
		case 0:
			fr_add(t->sel, fr_drop(fr_text("%s.xmin::text AS c%d", alias, ++g->nitem)));
			g->d->bad = "system column xmin";
			break;
		case 1:
			fr_add(t->sel, fr_drop(fr_text("%s.ctid::text AS c%d", alias, ++g->nitem)));
			g->d->bad = "system column ctid";
			break;
		case 2:
			fr_add(t->where, fr_drop(fr_text("%s.tableoid::regclass::text <> 'x'", alias)));
			g->d->bad = "system column tableoid";
			break;
		case 3:
			{
				/* TABLESAMPLE belongs right after the root table */
				Frag	   *rootf = fr_seq();

				fr_add(rootf, t->from->kids[0]);
				fr_add(rootf, fr_drop(fr_text(" TABLESAMPLE %s", chance(&g->r, 50) ?
											  "BERNOULLI (50) REPEATABLE (1)" :
											  "SYSTEM (100)")));
				t->from->kids[0] = rootf;
			}
			g->d->bad = "TABLESAMPLE";
			break;
		case 4:
			fr_add(t->sel, fr_drop(fr_text("random() AS c%d", ++g->nitem)));
			g->d->bad = "random()";
			break;
		case 5:
			fr_add(t->sel, fr_drop(fr_text("now()::text AS c%d", ++g->nitem)));
			g->d->bad = "now()";
			break;
		case 6:
			fr_add(t->sel, fr_drop(fr_text("current_setting('TimeZone') AS c%d", ++g->nitem)));
			g->d->bad = "current_setting()";
			break;
		case 7:
			fr_add(t->sel, fr_drop(fr_text("to_jsonb(%s) AS c%d", alias, ++g->nitem)));
			g->d->bad = "whole-row reference";
			break;
		case 8:
			free(t->selkw->text);
			t->selkw->text = xstrdup("SELECT DISTINCT ");
			g->d->bad = "top-level DISTINCT";
			break;
		case 9:
			fr_addt(t->tail, "\nORDER BY 1 LIMIT 5");
			g->d->bad = "top-level LIMIT";
			break;
		case 10:
			fr_add(t->sel, fr_drop(fr_text("row_number() OVER (ORDER BY %s.%s) AS c%d",
										   alias, t->root->tab->cols[0].name, ++g->nitem)));
			g->d->bad = "top-level window function";
			break;
		case 11:
			fr_add(t->sel, fr_drop(fr_text("fn_stable(1) AS c%d", ++g->nitem)));
			g->d->bad = "STABLE user function";
			break;
		case 12:
			fr_add(t->sel, fr_drop(fr_text("generate_series(1, 2) AS c%d", ++g->nitem)));
			g->d->bad = "set-returning function";
			break;
		case 13:
			gen_bad_source(g, t);
			break;
		default:
			fr_addt(t->tail, "\nFOR UPDATE");
			g->d->bad = "FOR UPDATE";
			break;
	}
}

/* the top level; wrap: -1 reads the root directly, else a WrapKind */
static void
top_init(Gen *g, Top *t, int root_ti, int wrap)
{
	memset(t, 0, sizeof(Top));
	t->frag = fr_seq();
	t->with = g->with = fr_add(t->frag, fr_list("WITH ", ",\n     ", "\n"));
	t->selkw = fr_addt(t->frag, "SELECT ");
	t->sel = fr_add(t->frag, fr_list(NULL, ",\n       ", NULL));
	fr_addt(t->frag, "\nFROM ");
	t->from = fr_add(t->frag, fr_seq());
	t->where = fr_add(t->frag, fr_list("\nWHERE ", "\n  AND ", NULL));
	t->groupby = fr_add(t->frag, fr_list("\nGROUP BY ", ", ", NULL));
	t->having = fr_add(t->frag, fr_list("\nHAVING ", " AND ", NULL));
	t->tail = fr_add(t->frag, fr_seq());
	if (wrap < 0)
	{
		t->root = add_table_rel(g, &t->l, root_ti);
		fr_addt(t->from, "%s %s", t->root->tab->name, t->root->alias);
	}
	else
	{
		Frag	   *item;

		t->root = wrap_source(g, &t->l, root_ti, (WrapKind) wrap, NULL, false, 1, &item);
		fr_add(t->from, item);
		if (wrap == W_SUBQ)
			g->d->constructs |= C_SUBQ_ROOT;
	}
}

/* the key, then the root's references passed through (models over models) */
static void
key_and_refs(Gen *g, Top *t, bool key_later)
{
	const Table *rt = t->root->tab;
	Column		kc = rt->cols[0];

	kc.hidden = false;
	out_col(g->d, kc.name, kc);
	if (!key_later)
		fr_addt(t->sel, "%s.%s", t->root->alias, kc.name);
	for (int i = 1; i < rt->ncols; i++)
	{
		const Column *c = &rt->cols[i];

		if (c->fk < 0 || c->hidden || !chance(&g->r, 60))
			continue;
		fr_add(t->sel, fr_drop(fr_text("%s.%s", t->root->alias, c->name)));
		out_col(g->d, c->name, *c);
		g->d->out[g->d->nout - 1].is_pk = false;
	}
	if (key_later)
		fr_addt(t->sel, "%s.%s", t->root->alias, kc.name);
}

static void
gen_options(Gen *g, Def *d, bool key_option)
{
	int			m = rnd(&g->r, 100);
	const char *mode = m < 35 ? "\"mode\": \"statement\"" :
		m < 50 ? "\"mode\": \"commit\"" : NULL;

	if (key_option)
		snprintf(d->options, sizeof d->options, "{%s%s\"key\": \"%s\"}",
				 mode ? mode : "", mode ? ", " : "", d->out[0].name);
	else
		snprintf(d->options, sizeof d->options, "{%s}", mode ? mode : "");
}

static int
pick_root(Gen *g)
{
	int			first = FIRST_MODEL(g->s);

	if (g->models && g->s->ntables > first && chance(&g->r, 15))
		return rnd_range(&g->r, first, g->s->ntables - 1);
	if (g->s->nviews > 0 && chance(&g->r, 14))
		return rnd_range(&g->r, g->s->nbase, first - 1);
	return rnd(&g->r, g->s->nbase);
}

/* how the root is read: directly (-1), through a plain subquery or a WITH query */
static int
pick_root_wrap(Gen *g)
{
	int			x = rnd(&g->r, 100);

	return x < 10 ? W_SUBQ : x < 18 ? W_CTE : -1;
}

Def *
gen_definition(Schema *s, uint64_t seed, int def_no, bool allow_models)
{
	Gen			g;
	Def		   *d = xmalloc(sizeof(Def));
	Top			t;
	int			shape;
	bool		key_later;

	/* --gexpr N: that share keyed by grouping expressions, the rest as usual */
	if (opt.gexpr >= 0)
	{
		Rng			gr;

		rng_seed(&gr, mix_seed(seed, 0x67786472));
		if (chance(&gr, opt.gexpr))
		{
			free(d);
			return gen_gxdefinition(s, mix_seed(seed, 0x78), def_no);
		}
	}
	/* --rollup N: that share in the shapes aggregate deltas keep (rollup.c) */
	if (opt.rollup > 0)
	{
		Rng			rr;

		rng_seed(&rr, mix_seed(seed, 0x726f6c6d));
		if (chance(&rr, opt.rollup))
		{
			Def		   *r = gen_rollup_definition(s, seed, def_no);

			if (r != NULL)
			{
				free(d);
				return r;
			}
		}
	}
	/* keys other than the root's primary key, and their sources: extra.c */
	{
		Rng			xr;

		rng_seed(&xr, mix_seed(seed, 0x78646566));
		if (chance(&xr, 35))
		{
			free(d);
			return gen_xdefinition(s, mix_seed(seed, 0x78), def_no);
		}
	}
	memset(d, 0, sizeof(Def));
	memset(&g, 0, sizeof g);
	rng_seed(&g.r, seed);
	g.s = s;
	g.d = d;
	g.models = allow_models;
	d->def_no = def_no;
	snprintf(d->name, NAMELEN, "tv_f%d", def_no);

	d->root = pick_root(&g);
	top_init(&g, &t, d->root, pick_root_wrap(&g));
	shape = rnd(&g.r, 100);
	g.lean = chance(&g.r, 35);
	t.l.grouped = shape < 28;
	d->shape = t.l.grouped ? (g.lean ? "grouped, lean" : "grouped") :
		shape < 45 ? (g.lean ? "derived, lean" : "derived") : (g.lean ? "plain, lean" : "plain");
	key_later = chance(&g.r, 10);
	key_and_refs(&g, &t, key_later);
	if (t.l.grouped)
		fr_addt(t.groupby, "%s.%s", t.root->alias, t.root->tab->cols[0].name);

	for (int i = rnd_range(&g.r, 0, 3); i > 0; i--)
		join_n1(&g, &t);
	if (chance(&g.r, 6))
		join_nested(&g, &t);
	if (chance(&g.r, 8))
		join_by_data(&g, &t);
	if (chance(&g.r, 4))
	{
		/* the root joined to itself */
		Rel		   *b = add_table_rel(&g, &t.l, d->root);

		fr_add(t.from, fr_drop(fr_text("\nJOIN %s %s ON %s.%s = %s.%s", b->tab->name,
									   b->alias, b->alias, b->tab->cols[0].name,
									   t.root->alias, t.root->tab->cols[0].name)));
		if (t.l.grouped)
			fr_add(t.groupby, fr_drop(fr_text("%s.%s", b->alias, b->tab->cols[0].name)));
	}
	if (t.l.grouped)
		for (int i = rnd_range(&g.r, 1, 2); i > 0; i--)
			join_children(&g, &t);
	if (strcmp(d->shape, "derived") == 0 || chance(&g.r, 10))
		for (int i = rnd_range(&g.r, 1, 2); i > 0; i--)
			join_derived(&g, &t);
	if (!t.l.grouped && chance(&g.r, 2))
	{
		join_children(&g, &t);	/* bad: 1:N without GROUP BY */
		t.l.rels[t.l.nrels - 1].agg_only = false;
	}
	if (g.nctes > 0 && chance(&g.r, 45))
		cte_again(&g, &t);

	for (int i = rnd_range(&g.r, 1, g.lean ? 2 : 4); i > 0; i--)
		add_item(&g, &t, gen_expr(&g, &t.l, 0));
	/* the documents of the models it joins, embedded */
	for (int i = 0; i < t.l.nrels; i++)
	{
		Rel		   *m = &t.l.rels[i];

		if (m->ti >= 0 && m->tab->is_model && !m->agg_only && chance(&g.r, 50))
			for (int j = 0; j < m->tab->ncols; j++)
				if (strcmp(m->tab->cols[j].name, "data") == 0)
					add_item(&g, &t, colref(m, &m->tab->cols[j]));
	}
	if (chance(&g.r, 60))
	{
		Expr		e = gen_object(&g, &t.l, 0, g.lean ? 3 : 5);
		Frag	   *item = fr_drop(fr_seq());

		fr_add(item, e.f);
		fr_addt(item, " AS data");
		fr_add(t.sel, item);
		out_col(d, "data", e.c);
	}
	for (int i = chance(&g.r, 50) ? rnd_range(&g.r, 1, 2) : 0; i > 0; i--)
		fr_add(t.where, fr_drop(gen_cond(&g, &t.l, 1)));
	if (t.l.grouped && chance(&g.r, 40))
		gen_having(&g, &t);
	if (chance(&g.r, g.lean ? 3 : 10))
		gen_bad(&g, &t);
	else if (chance(&g.r, g.lean ? 2 : 4))
		gen_bad_source(&g, &t);
	if (t.l.grouped)
		group_nonbase(&t);

	d->frag = t.frag;
	gen_options(&g, d, key_later);
	for (int i = 0; i < g.nderived; i++)
		free(g.derived[i]);
	return d;
}

char *
def_text(const Def *d)
{
	return fr_render(d->frag);
}

void
def_free(Def *d)
{
	if (d == NULL)
		return;
	fr_free(d->frag);
	free(d);
}

/*
 * Make an accepted model readable by later definitions: a pseudo table
 * with its output columns (cols[0] is the key), its sources and models.
 */
int
schema_register_model(Schema *s, const Def *d)
{
	Table	   *t;
	int			ti;

	if (s->ntables >= MAXTABLES || d->ndeps >= MAXDEFS - 2 || d->nout == 0)
		return -1;
	ti = s->ntables++;
	t = &s->t[ti];
	memset(t, 0, sizeof(Table));
	snprintf(t->name, NAMELEN, "%s", d->name);
	snprintf(t->stem, NAMELEN, "m");
	t->is_model = true;
	t->root = s->t[d->root].root;
	t->def_no = d->def_no;
	t->used = d->used;
	t->ncols = d->nout;
	memcpy(t->cols, d->out, sizeof(Column) * d->nout);
	t->cols[0].is_pk = true;
	t->cols[0].not_null = true;
	t->ndeps = d->ndeps;
	memcpy(t->deps, d->deps, sizeof(int) * d->ndeps);
	return ti;
}
