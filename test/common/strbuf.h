/*
 * strbuf.h — memory and string helpers shared by the C test programs
 * (test/fuzz, test/difftest): checked allocation, a growable string
 * buffer, printf into a new string, a growable list of strings.
 *
 * On failure (out of memory, vsnprintf error) they print
 * "<progname>: ..." to stderr and exit 2.  Each program defines
 * progname once, e.g.
 *
 *     const char *const progname = "fuzz";
 */
#ifndef STRBUF_H
#define STRBUF_H

#include <stdarg.h>
#include <stddef.h>

extern const char *const progname;

extern void *xmalloc(size_t n);
extern void *xrealloc(void *p, size_t n);
extern char *xstrdup(const char *s);

/* growable string buffer; {0} is an empty one */
typedef struct Buf
{
	char	   *data;
	size_t		len;
	size_t		cap;
} Buf;

extern void buf_vappend(Buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
extern void buf_append(Buf *b, const char *fmt,...) __attribute__((format(printf, 2, 3)));
extern void buf_puts(Buf *b, const char *s);
extern void buf_reset(Buf *b);
extern void buf_free(Buf *b);
extern const char *buf_str(const Buf *b);

/* a malloc'ed string, printf-style */
extern char *vstrf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
extern char *strf(const char *fmt,...) __attribute__((format(printf, 1, 2)));

/* growable list of malloc'ed strings; {0} is an empty one */
typedef struct StrList
{
	char	  **v;
	int			n;
	int			cap;
} StrList;

extern void sl_add(StrList *l, const char *s);
extern void sl_addf(StrList *l, const char *fmt,...) __attribute__((format(printf, 2, 3)));
extern void sl_reset(StrList *l);

#endif							/* STRBUF_H */
