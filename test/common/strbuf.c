/*
 * strbuf.c — memory and string helpers shared by the C test programs;
 * see strbuf.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

/* ------------------------------------------------------------------ */
/* memory                                                              */
/* ------------------------------------------------------------------ */

void *
xmalloc(size_t n)
{
	return xrealloc(NULL, n);
}

void *
xrealloc(void *p, size_t n)
{
	void	   *r = realloc(p, n ? n : 1);

	if (r == NULL)
	{
		fprintf(stderr, "%s: out of memory\n", progname);
		exit(2);
	}
	return r;
}

char *
xstrdup(const char *s)
{
	size_t		n = strlen(s) + 1;
	char	   *r = xmalloc(n);

	memcpy(r, s, n);
	return r;
}

/* ------------------------------------------------------------------ */
/* growable string buffer                                              */
/* ------------------------------------------------------------------ */

void
buf_vappend(Buf *b, const char *fmt, va_list ap)
{
	for (;;)
	{
		va_list		aq;
		int			n;
		size_t		avail = b->cap - b->len;

		va_copy(aq, ap);
		n = vsnprintf(b->data ? b->data + b->len : NULL, avail, fmt, aq);
		va_end(aq);
		if (n < 0)
		{
			fprintf(stderr, "%s: vsnprintf failed\n", progname);
			exit(2);
		}
		if ((size_t) n < avail)
		{
			b->len += n;
			return;
		}
		b->cap = (b->cap + n + 1) * 2;
		b->data = xrealloc(b->data, b->cap);
	}
}

void
buf_append(Buf *b, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	buf_vappend(b, fmt, ap);
	va_end(ap);
}

void
buf_puts(Buf *b, const char *s)
{
	buf_append(b, "%s", s);
}

void
buf_reset(Buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void
buf_free(Buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

const char *
buf_str(const Buf *b)
{
	return b->data ? b->data : "";
}

char *
vstrf(const char *fmt, va_list ap)
{
	Buf			b = {0};

	buf_vappend(&b, fmt, ap);
	if (b.data == NULL)
		return xstrdup("");
	return b.data;
}

char *
strf(const char *fmt,...)
{
	va_list		ap;
	char	   *r;

	va_start(ap, fmt);
	r = vstrf(fmt, ap);
	va_end(ap);
	return r;
}

/* ------------------------------------------------------------------ */
/* list of strings                                                     */
/* ------------------------------------------------------------------ */

void
sl_add(StrList *l, const char *s)
{
	if (l->n == l->cap)
	{
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = xrealloc(l->v, sizeof(char *) * l->cap);
	}
	l->v[l->n++] = xstrdup(s);
}

void
sl_addf(StrList *l, const char *fmt,...)
{
	va_list		ap;
	char	   *s;

	va_start(ap, fmt);
	s = vstrf(fmt, ap);
	va_end(ap);
	sl_add(l, s);
	free(s);
}

void
sl_reset(StrList *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->v[i]);
	l->n = 0;
}
