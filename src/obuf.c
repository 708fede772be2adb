/*
 * obuf.c: text built in a bounded buffer (see obuf.h).
 *
 * The numbers are written by hand because printf's format parsing was a
 * large part of an event's cost; each formatter here gives printf's bytes
 * for every value it takes (tests/unit/test_obuf.c holds them against
 * snprintf()) and hands the rest to vsnprintf().
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#include "obuf.h"

void obuf_init(struct obuf *b, char *buf, size_t size,
	       void (*drain)(struct obuf *b), void *arg)
{
	b->base = b->p = buf;
	b->end = buf + size;
	b->nul = NULL;
	if (drain == NULL && size > 0)
		b->nul = --b->end;	/* the string's terminator goes there */
	b->cut = 0;
	b->drain = drain;
	b->arg = arg;
}

int obuf_cstr(struct obuf *b)
{
	if (b->nul != NULL)
		*b->p = '\0';
	return (int)((size_t)(b->p - b->base) + b->cut);
}

void obuf_spill(struct obuf *b, const char *s, size_t n)
{
	size_t room;

	for (;;) {
		room = (size_t)(b->end - b->p);
		if (n <= room)
			break;
		if (room > 0) {
			memcpy(b->p, s, room);
			b->p += room, s += room, n -= room;
		}
		if (b->drain == NULL || b->end == b->base) {
			b->cut += n;
			return;
		}
		b->drain(b);
	}
	if (n > 0) {
		memcpy(b->p, s, n);
		b->p += n;
	}
}

/* How many decimal digits v has (1 for 0). */
static size_t dec_len(uint64_t v)
{
	static const uint64_t pow10[20] = {
		1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull,
		10000000ull, 100000000ull, 1000000000ull, 10000000000ull,
		100000000000ull, 1000000000000ull, 10000000000000ull,
		100000000000000ull, 1000000000000000ull, 10000000000000000ull,
		100000000000000000ull, 1000000000000000000ull,
		10000000000000000000ull,
	};
	/* log10(2) is about 1233 / 4096: v's digits, or one fewer */
	size_t n = (size_t)(64 - __builtin_clzll(v | 1)) * 1233 >> 12;

	return n + ((v | 1) >= pow10[n]);
}

/*
 * v's digits, the last just before end, two at a time from a table:
 * half the divisions (each a multiplication) of one at a time.
 */
static void dec_put(char *end, uint64_t v)
{
	static const char pairs[] =
		"00010203040506070809101112131415161718192021222324"
		"25262728293031323334353637383940414243444546474849"
		"50515253545556575859606162636465666768697071727374"
		"75767778798081828384858687888990919293949596979899";

	while (v >= 100) {
		end -= 2;
		memcpy(end, pairs + v % 100 * 2, 2);
		v /= 100;
	}
	if (v >= 10)
		memcpy(end - 2, pairs + v * 2, 2);
	else
		end[-1] = (char)('0' + v);
}

/* Straight into the buffer when the digits fit, as they nearly always do. */
void obuf_uint(struct obuf *b, uint64_t v)
{
	char t[20];
	size_t n = dec_len(v);

	if ((size_t)(b->end - b->p) >= n) {
		dec_put(b->p + n, v);
		b->p += n;
		return;
	}
	dec_put(t + n, v);
	obuf_spill(b, t, n);
}

void obuf_int(struct obuf *b, int64_t v)
{
	if (v >= 0) {
		obuf_uint(b, (uint64_t)v);
		return;
	}
	obuf_putc(b, '-');
	obuf_uint(b, (uint64_t)-(v + 1) + 1);	/* INT64_MIN too */
}

void obuf_hex(struct obuf *b, unsigned v, int width)
{
	static const char hex[] = "0123456789abcdef";
	char t[8];
	/* v's digits (one for 0), or width of them: 8 at the most */
	size_t n = (size_t)(32 - __builtin_clz(v | 1) + 3) / 4, i;

	if (width > (int)n)
		n = width < 8 ? (size_t)width : 8;
	for (i = n; i-- > 0; v >>= 4)
		t[i] = hex[v & 0xf];
	obuf_put(b, t, n);
}

/* "I.FF" of r / 100, r the rounded hundredths. */
static void hundredths(struct obuf *b, uint64_t r)
{
	char f[3] = { '.', (char)('0' + r / 10 % 10), (char)('0' + r % 10) };

	obuf_uint(b, r / 100);
	obuf_put(b, f, sizeof(f));
}

/*
 * printf rounds the exact binary value, ties to even (in the default
 * rounding mode, the only one rstaudit runs in).  A float times 100 is
 * exact in a double (24 + 7 significant bits), so rounding that to an
 * integer the same way is printf's "%.2f".  Negatives (and -0), NaN and
 * the very large go to printf itself.
 */
void obuf_fixed2(struct obuf *b, float v)
{
	double d;
	uint64_t r;

	if (!(v >= 0.0f && v < 1e6f) || signbit(v)) {
		obuf_printf(b, "%.2f", (double)v);
		return;
	}
	d = (double)v * 100.0;
	r = (uint64_t)d;		/* d - r is exact: both below 2^27 */
	if (d - (double)r > 0.5 || (d - (double)r == 0.5 && (r & 1)))
		r++;
	hundredths(b, r);
}

/*
 * us / 1e3 is within half an ulp of the exact thousandths, and below
 * 2^39 us that is far less than half a thousandth: printf's "%.3f" of it
 * is the decimal digits of us.  Larger ones go to printf itself.
 */
void obuf_ms(struct obuf *b, int64_t us)
{
	static const int64_t lim = (int64_t)1 << 39;
	char f[4];
	uint64_t u;

	if (us <= -lim || us >= lim) {
		obuf_printf(b, "%.3f", (double)us / 1e3);
		return;
	}
	if (us < 0)
		obuf_putc(b, '-');
	u = (uint64_t)(us < 0 ? -us : us);
	obuf_uint(b, u / 1000);
	f[0] = '.', f[1] = (char)('0' + u / 100 % 10);
	f[2] = (char)('0' + u / 10 % 10), f[3] = (char)('0' + u % 10);
	obuf_put(b, f, sizeof(f));
}

/*
 * "%.3f" of any double: when it is some us / 1e3 (the evidence's
 * milliseconds are), obuf_ms(us) is printf's; else printf itself.
 */
void obuf_fixed3(struct obuf *b, double v)
{
	int64_t us;

	if (v > -5e8 && v < 5e8) {	/* us below 2^39 */
		us = (int64_t)(v * 1e3 + (v < 0 ? -0.5 : 0.5));
		if ((double)us / 1e3 == v && !(us == 0 && signbit(v))) {
			obuf_ms(b, us);
			return;
		}
	}
	obuf_printf(b, "%.3f", v);
}

/* The conversions obuf_format() does itself. */
enum fmt_conv { FMT_NONE, FMT_STR, FMT_INT, FMT_UINT, FMT_LLONG, FMT_MS,
		FMT_PCT };

/* The conversion at f (just past a '%'), and its length in *n. */
static enum fmt_conv fmt_conv(const char *f, size_t *n)
{
	*n = 1;
	switch (f[0]) {
	case 's':
		return FMT_STR;
	case 'd':
		return FMT_INT;
	case 'u':
		return FMT_UINT;
	case '%':
		return FMT_PCT;
	case 'l':
		*n = 3;
		return f[1] == 'l' && f[2] == 'd' ? FMT_LLONG : FMT_NONE;
	case '.':
		*n = 3;
		return f[1] == '3' && f[2] == 'f' ? FMT_MS : FMT_NONE;
	}
	return FMT_NONE;
}

/* Through vsnprintf(): 1 KB, past the longest evidence sentence. */
static void obuf_vprintf(struct obuf *b, const char *fmt, va_list ap)
{
	char t[1024];
	int n = vsnprintf(t, sizeof(t), fmt, ap);

	if (n > 0)
		obuf_put(b, t, (size_t)n < sizeof(t) ? (size_t)n : sizeof(t) - 1);
}

/*
 * fmt's output in one pass.  From the first conversion not done here on,
 * the rest of fmt goes to vsnprintf() with the arguments not yet taken:
 * printf's output is its pieces' one after another, so the bytes are
 * the same (%n aside, and no format here has one).
 */
static void fmt_run(struct obuf *b, const char *fmt, va_list ap)
{
	const char *pct;
	size_t n;

	for (;;) {
		pct = strchrnul(fmt, '%');
		obuf_put(b, fmt, (size_t)(pct - fmt));
		if (*pct == '\0')
			return;
		switch (fmt_conv(pct + 1, &n)) {
		case FMT_STR:
			obuf_puts(b, va_arg(ap, const char *));
			break;
		case FMT_INT:
			obuf_int(b, va_arg(ap, int));
			break;
		case FMT_UINT:
			obuf_uint(b, va_arg(ap, unsigned));
			break;
		case FMT_LLONG:
			obuf_int(b, va_arg(ap, long long));
			break;
		case FMT_MS:
			obuf_fixed3(b, va_arg(ap, double));
			break;
		case FMT_PCT:
			obuf_putc(b, '%');
			break;
		case FMT_NONE:
			obuf_vprintf(b, pct, ap);
			return;
		}
		fmt = pct + 1 + n;
	}
}

void obuf_format(struct obuf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fmt_run(b, fmt, ap);
	va_end(ap);
}

void obuf_printf(struct obuf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	obuf_vprintf(b, fmt, ap);
	va_end(ap);
}
