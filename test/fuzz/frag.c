/*
 * frag.c — the fragment tree a definition is built of.
 *
 * A fragment is a leaf text or a list of kids joined by a separator, with
 * an optional prefix and suffix.  The grammar marks fragments the shrinker
 * may remove (F_DROP: a select-list item, a join, a WHERE conjunct, a
 * subquery clause) or replace by simpler text (F_ALT: a subquery by NULL).
 * A list marked F_LIST renders as nothing when none of its kids renders,
 * so "WHERE a AND b" loses its WHERE when both conjuncts are dropped.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static Frag *
fr_new(void)
{
	Frag	   *f = xmalloc(sizeof(Frag));

	memset(f, 0, sizeof(Frag));
	f->sep = "";
	return f;
}

Frag *
fr_text(const char *fmt,...)
{
	Frag	   *f = fr_new();
	va_list		ap;

	va_start(ap, fmt);
	f->text = vstrf(fmt, ap);
	va_end(ap);
	return f;
}

Frag *
fr_seq(void)
{
	return fr_new();
}

Frag *
fr_list(const char *prefix, const char *sep, const char *suffix)
{
	Frag	   *f = fr_new();

	f->prefix = prefix ? xstrdup(prefix) : NULL;
	f->suffix = suffix ? xstrdup(suffix) : NULL;
	f->sep = sep;
	f->flags |= F_LIST;
	return f;
}

Frag *
fr_add(Frag *parent, Frag *kid)
{
	if (parent->nkids == parent->cap)
	{
		parent->cap = parent->cap ? parent->cap * 2 : 4;
		parent->kids = xrealloc(parent->kids, sizeof(Frag *) * parent->cap);
	}
	parent->kids[parent->nkids++] = kid;
	return kid;
}

Frag *
fr_addt(Frag *parent, const char *fmt,...)
{
	Frag	   *f = fr_new();
	va_list		ap;

	va_start(ap, fmt);
	f->text = vstrf(fmt, ap);
	va_end(ap);
	return fr_add(parent, f);
}

Frag *
fr_drop(Frag *f)
{
	f->flags |= F_DROP;
	return f;
}

Frag *
fr_alt(Frag *f, const char *alt)
{
	f->flags |= F_ALT;
	free(f->alt);
	f->alt = xstrdup(alt);
	return f;
}

static void
render_into(const Frag *f, Buf *b)
{
	bool		any = false;
	Buf			kids = {0};

	if (f->dropped)
		return;
	if (f->use_alt)
	{
		buf_puts(b, f->alt);
		return;
	}
	if (f->text)
	{
		buf_puts(b, f->text);
		return;
	}
	for (int i = 0; i < f->nkids; i++)
	{
		Buf			one = {0};

		if (f->kids[i]->dropped)
			continue;
		render_into(f->kids[i], &one);
		/* in a list, a kid that renders as nothing takes no separator */
		if (one.len > 0 || !(f->flags & F_LIST))
		{
			if (any)
				buf_puts(&kids, f->sep);
			buf_puts(&kids, buf_str(&one));
			any = true;
		}
		buf_free(&one);
	}
	if (any || !(f->flags & F_LIST))
	{
		if (f->prefix)
			buf_puts(b, f->prefix);
		buf_puts(b, buf_str(&kids));
		if (f->suffix)
			buf_puts(b, f->suffix);
	}
	buf_free(&kids);
}

char *
fr_render(const Frag *f)
{
	Buf			b = {0};

	render_into(f, &b);
	return b.data ? b.data : xstrdup("");
}

/*
 * The fragments the shrinker may still change, outermost first (removing
 * a big piece first saves trials).
 */
static void
collect(Frag *f, Frag ***out, int *n, int *cap)
{
	if (f->dropped || f->use_alt)
		return;
	if (f->flags & (F_DROP | F_ALT))
	{
		if (*n == *cap)
		{
			*cap = *cap ? *cap * 2 : 32;
			*out = xrealloc(*out, sizeof(Frag *) * *cap);
		}
		(*out)[(*n)++] = f;
	}
	for (int i = 0; i < f->nkids; i++)
		collect(f->kids[i], out, n, cap);
}

int
fr_candidates(Frag *f, Frag ***out)
{
	int			n = 0;
	int			cap = 0;

	*out = NULL;
	collect(f, out, &n, &cap);
	return n;
}

/* number of live fragments: a size measure for reports */
int
fr_size(const Frag *f)
{
	int			n = 1;

	if (f->dropped || f->use_alt)
		return f->use_alt ? 1 : 0;
	for (int i = 0; i < f->nkids; i++)
		n += fr_size(f->kids[i]);
	return n;
}

void
fr_free(Frag *f)
{
	if (f == NULL)
		return;
	for (int i = 0; i < f->nkids; i++)
		fr_free(f->kids[i]);
	free(f->kids);
	free(f->text);
	free(f->prefix);
	free(f->suffix);
	free(f->alt);
	free(f);
}

/* undo every shrink change */
void
fr_reset(Frag *f)
{
	f->dropped = false;
	f->use_alt = false;
	for (int i = 0; i < f->nkids; i++)
		fr_reset(f->kids[i]);
}
