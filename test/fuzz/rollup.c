/*
 * rollup.c — definitions in the shapes aggregate deltas keep (src/delta.h):
 * a base table grouped by its key and joined to one child table, or a
 * child table grouped by its reference column, every output column a
 * grouping column, a bare aggregate of a child column (count, count(x),
 * sum, avg, min, max, bool_and, bool_or, every; some with FILTER, some in
 * COALESCE(..., 0)), or a jsonb_build_object document of them.  With
 * --rollup N, N% of the definitions are made here; some mix in one
 * aggregate deltas cannot keep (jsonb_agg, count(DISTINCT)), which must
 * then be recomputed just as exactly.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

typedef struct Roll
{
	Rng			r;
	Schema	   *s;
	Def		   *d;
	const Table *child;
	const char *ca;				/* the child's alias */
	int			nagg;
} Roll;

/* a literal of the column's type for a condition, never NULL */
static char *
literal(Roll *x, const Column *c)
{
	return value_literal(&x->r, c, 0);
}

/* a condition on one column of the child */
static char *
child_condition(Roll *x)
{
	for (int tries = 0; tries < 8; tries++)
	{
		const Column *c = &x->child->cols[rnd_range(&x->r, 1, x->child->ncols - 1)];

		if (c->hidden)
			continue;
		if (c->type == TY_BOOL)
			return strf("%s.%s IS %sTRUE", x->ca, c->name, chance(&x->r, 50) ? "NOT " : "");
		if (c->type == TY_INT || c->type == TY_BIGINT || c->type == TY_NUMERIC)
		{
			char	   *lit = literal(x, c);
			char	   *r = strf("%s.%s %s %s", x->ca, c->name,
								 PICK(&x->r, ((const char *[]) {"<", ">", "<>", ">="})), lit);

			free(lit);
			return r;
		}
		if (!c->not_null)
			return strf("%s.%s IS %sNULL", x->ca, c->name, chance(&x->r, 70) ? "NOT " : "");
	}
	return strf("%s.%s IS NOT NULL", x->ca, x->child->cols[0].name);
}

/* one aggregate of a child column, as SQL */
static char *
aggregate(Roll *x)
{
	for (int tries = 0; tries < 12; tries++)
	{
		const Column *c = &x->child->cols[rnd(&x->r, x->child->ncols)];
		char	   *filter = chance(&x->r, 25) ?
			strf(" FILTER (WHERE %s)", child_condition(x)) : strf("%s", "");
		const char *fn = NULL;
		bool		coalesce = false;

		if (c->hidden)
			continue;
		x->nagg++;
		switch (rnd(&x->r, 8))
		{
			case 0:
				return strf("count(*)%s", filter);
			case 1:
				return strf("count(%s.%s)%s", x->ca, c->name, filter);
			case 2:
			case 3:
				if (!type_summable(c->type))
					break;
				fn = rnd(&x->r, 2) ? "sum" : "avg";
				coalesce = strcmp(fn, "sum") == 0 && chance(&x->r, 30);
				break;
			case 4:
			case 5:
				if (!type_ordered_minmax(c) || c->type == TY_TEXT || c->type == TY_CITEXT)
					break;
				fn = rnd(&x->r, 2) ? "min" : "max";
				break;
			default:
				if (c->type != TY_BOOL)
					break;
				fn = PICK(&x->r, ((const char *[]) {"bool_and", "bool_or", "every"}));
				break;
		}
		if (fn == NULL)
		{
			x->nagg--;
			free(filter);
			continue;
		}
		if (coalesce)
			return strf("COALESCE(%s(%s.%s)%s, 0)", fn, x->ca, c->name, filter);
		return strf("%s(%s.%s)%s", fn, x->ca, c->name, filter);
	}
	x->nagg++;
	return strf("count(*)");
}

/* one that deltas cannot keep: the model recomputes */
static char *
other_aggregate(Roll *x)
{
	const Column *c = &x->child->cols[0];

	if (chance(&x->r, 50))
		return strf("count(DISTINCT %s.%s)", x->ca, c->name);
	return strf("jsonb_agg(%s.%s ORDER BY %s.%s)", x->ca, c->name, x->ca, c->name);
}

/* the select list after the key: bare aggregates, or a document of them */
static void
aggregates(Roll *x, Frag *sel)
{
	int			n = rnd_range(&x->r, 1, 4);
	bool		document = chance(&x->r, 30);
	bool		other = chance(&x->r, 12);
	Frag	   *doc = NULL;

	if (document)
	{
		doc = fr_add(sel, fr_seq());
		fr_addt(doc, "jsonb_build_object(");
	}
	for (int i = 0; i < n; i++)
	{
		char	   *a = (other && i == n - 1) ? other_aggregate(x) : aggregate(x);

		if (document)
			fr_addt(doc, "%s'a%d', %s", i ? ", " : "", i, a);
		else
			fr_add(sel, fr_drop(fr_text("%s AS a%d", a, i)));
		free(a);
	}
	if (document)
		fr_addt(doc, ") AS data");
}

/* children of table T: (table, referencing column) pairs */
static int
children(Schema *s, int T, int *tabs, int *cols)
{
	int			n = 0;

	for (int t = 0; t < s->nbase && n < 64; t++)
		for (int c = 1; c < s->t[t].ncols && n < 64; c++)
			if (s->t[t].cols[c].fk == T && !s->t[t].cols[c].hidden && t != T)
			{
				tabs[n] = t;
				cols[n++] = c;
			}
	return n;
}

static bool
rollup(Roll *x, Frag *top)
{
	int			tabs[64];
	int			cols[64];
	int			T = rnd(&x->r, x->s->nbase);
	int			n = children(x->s, T, tabs, cols);
	const Table *root = &x->s->t[T];
	const Column *ref;
	Frag	   *sel;
	int			k;

	if (n == 0)
		return false;
	k = rnd(&x->r, n);
	x->child = &x->s->t[tabs[k]];
	x->ca = "c";
	ref = &x->child->cols[cols[k]];
	x->d->used |= (UINT64_C(1) << T) | (UINT64_C(1) << tabs[k]);
	sel = fr_list(NULL, ", ", NULL);
	if (chance(&x->r, 30) && ref->not_null)
	{
		/* the child alone, grouped by its reference */
		x->d->root = tabs[k];
		fr_addt(top, "SELECT c.%s, ", ref->name);
		fr_add(top, sel);
		aggregates(x, sel);
		fr_addt(top, "\nFROM %s c", x->child->name);
		if (chance(&x->r, 30))
			fr_add(top, fr_drop(fr_text("\nWHERE %s", child_condition(x))));
		fr_addt(top, "\nGROUP BY c.%s", ref->name);
		x->d->shape = "rollup, one table";
		return true;
	}
	x->d->root = T;
	fr_addt(top, "SELECT r.%s, ", root->cols[0].name);
	fr_add(top, sel);
	aggregates(x, sel);
	fr_addt(top, "\nFROM %s r %s %s c ON c.%s = r.%s", root->name,
			chance(&x->r, 40) ? "LEFT JOIN" : "JOIN", x->child->name, ref->name,
			root->cols[0].name);
	if (chance(&x->r, 25))
		fr_add(top, fr_drop(fr_text("\nWHERE %s", child_condition(x))));
	fr_addt(top, "\nGROUP BY r.%s", root->cols[0].name);
	x->d->shape = "rollup";
	return true;
}

Def *
gen_rollup_definition(Schema *s, uint64_t seed, int def_no)
{
	Def		   *d = xmalloc(sizeof(Def));
	Roll		x;

	memset(&x, 0, sizeof x);
	x.s = s;
	rng_seed(&x.r, mix_seed(seed, 0x726f6c6c));
	for (int tries = 0; tries < 50; tries++)
	{
		Frag	   *top = fr_seq();

		memset(d, 0, sizeof(Def));
		d->def_no = def_no;
		snprintf(d->name, NAMELEN, "tv_f%d", def_no);
		x.d = d;
		x.nagg = 0;
		if (rollup(&x, top))
		{
			d->frag = top;
			snprintf(d->options, sizeof d->options, "%s",
					 chance(&x.r, 15) ? "{\"mode\": \"statement\"}" : "{}");
			return d;
		}
		fr_free(top);
	}
	free(d);
	return NULL;
}
