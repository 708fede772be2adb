/*
 * obuf.h: text built in a bounded buffer, for the event writers.
 *
 * An event used to go to its FILE field by field, and stdio's per-call
 * work (the lock, the format parser, the buffer checks) was most of what
 * formatting cost.  Now it is built here and written with one fwrite().
 * The buffer never overflows: when it is full, a drain hook empties it
 * (the event writers: into the FILE, and go on), or without one the rest
 * is cut and counted, as snprintf() does.  Pure: no I/O here.
 */
#ifndef RSTAUDIT_OBUF_H
#define RSTAUDIT_OBUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct obuf {
	char *p, *end;		/* the next byte; the end of the room */
	char *base;
	char *nul;		/* no drain: where the NUL goes, or NULL */
	size_t cut;		/* no drain: bytes that did not fit */
	void (*drain)(struct obuf *b);	/* write base..p, set p = base */
	void *arg;		/* the drain's (its FILE) */
};

/*
 * A buffer of size bytes at buf.  drain NULL: a string, cut to fit and
 * ended by obuf_cstr() (size > 0 keeps room for the NUL).
 */
void obuf_init(struct obuf *b, char *buf, size_t size,
	       void (*drain)(struct obuf *b), void *arg);

/* The string's end: NUL-terminate it; the length it wanted, as snprintf. */
int obuf_cstr(struct obuf *b);

/* The slow path of obuf_put(): drain, or cut, what does not fit. */
void obuf_spill(struct obuf *b, const char *s, size_t n);

/*
 * memcpy(), but the short copies of names and keys (up to 16 bytes) as
 * two loads and two stores that may overlap, not a call.
 */
static inline void obuf_copy(char *d, const char *s, size_t n)
{
	uint64_t a, z;
	uint32_t x, y;

	if (__builtin_constant_p(n) || n > 16) {
		memcpy(d, s, n);
	} else if (n >= 8) {
		memcpy(&a, s, 8), memcpy(&z, s + n - 8, 8);
		memcpy(d, &a, 8), memcpy(d + n - 8, &z, 8);
	} else if (n >= 4) {
		memcpy(&x, s, 4), memcpy(&y, s + n - 4, 4);
		memcpy(d, &x, 4), memcpy(d + n - 4, &y, 4);
	} else if (n > 0) {
		d[0] = s[0], d[n / 2] = s[n / 2], d[n - 1] = s[n - 1];
	}
}

static inline void obuf_put(struct obuf *b, const char *s, size_t n)
{
	if ((size_t)(b->end - b->p) >= n) {
		obuf_copy(b->p, s, n);
		b->p += n;
	} else {
		obuf_spill(b, s, n);
	}
}

static inline void obuf_puts(struct obuf *b, const char *s)
{
	obuf_put(b, s, strlen(s));
}

static inline void obuf_putc(struct obuf *b, char c)
{
	if (b->p < b->end)
		*b->p++ = c;
	else
		obuf_spill(b, &c, 1);
}

/* v in decimal, as "%llu" and "%lld". */
void obuf_uint(struct obuf *b, uint64_t v);
void obuf_int(struct obuf *b, int64_t v);

/* "%x" and "%02x" of v. */
void obuf_hex(struct obuf *b, unsigned v, int width);

/* "%.2f" of a float (the confidences), the same bytes as printf's. */
void obuf_fixed2(struct obuf *b, float v);

/* "%.3f" of us / 1e3: microseconds as milliseconds, as printf's. */
void obuf_ms(struct obuf *b, int64_t us);

/* "%.3f" of v, as printf's (fast when v is some us / 1e3). */
void obuf_fixed3(struct obuf *b, double v);

/*
 * printf's output for fmt: %s, %d, %u, %lld, %.3f and %% (the evidence
 * sentences') by hand; from the first other conversion on, vsnprintf's
 * (that part cut at 1 KB).
 */
void obuf_format(struct obuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* What the fast formats do not cover, through vsnprintf(). */
void obuf_printf(struct obuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
