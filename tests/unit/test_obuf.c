/*
 * test_obuf.c: the event buffer never overflows, drains or cuts as told,
 * and its numbers are printf's, byte for byte, over every kind of value.
 */
#include <float.h>
#include <math.h>	/* INFINITY, NAN */
#include <stdio.h>
#include <stdlib.h>

#include "obuf.h"
#include "t.h"

/* The drain of the tests: append to a string. */
static char sink[8192];
static size_t sink_len;

static void to_sink(struct obuf *b)
{
	size_t n = (size_t)(b->p - b->base);

	if (sink_len + n <= sizeof(sink)) {
		memcpy(sink + sink_len, b->base, n);
		sink_len += n;
	}
	b->p = b->base;
}

/* Whatever the sizes, the drained bytes are the bytes put, in order. */
static void test_drain(void)
{
	char buf[7], want[8192], piece[300];
	size_t want_len = 0, n;
	struct obuf b;
	int i;

	sink_len = 0;
	obuf_init(&b, buf, sizeof(buf), to_sink, NULL);
	for (i = 0; i < 25; i++) {	/* < 25 * 301 bytes */
		n = (size_t)(t_rnd() % sizeof(piece));
		memset(piece, 'a' + i % 26, n);
		obuf_put(&b, piece, n);
		obuf_putc(&b, '|');
		memcpy(want + want_len, piece, n);
		want_len += n;
		want[want_len++] = '|';
		CHECK(b.p <= b.end);
	}
	to_sink(&b);
	CHECK_EQ(sink_len, want_len);
	CHECK(memcmp(sink, want, want_len) == 0);
}

/* Without a drain: snprintf's cut and its return, every size. */
static void test_cut(void)
{
	static const char text[] = "0123456789abcdef";
	char buf[24], ref[24];
	struct obuf b;
	size_t size;

	for (size = 0; size <= sizeof(buf); size++) {
		memset(buf, 'x', sizeof(buf));
		memset(ref, 'x', sizeof(ref));
		obuf_init(&b, buf, size, NULL, NULL);
		obuf_puts(&b, "0123");
		obuf_puts(&b, text + 4);
		obuf_putc(&b, '!');
		CHECK_EQ(obuf_cstr(&b), snprintf(ref, size, "%s!", text));
		CHECK(memcmp(buf, ref, sizeof(buf)) == 0);
	}
}

static void check_same(struct obuf *b, char *buf, const char *want)
{
	obuf_cstr(b);
	if (strcmp(buf, want) != 0) {
		fprintf(stderr, "got \"%s\", printf \"%s\"\n", buf, want);
		t_failed_checks++;
	}
}

static void test_integers(void)
{
	char buf[64], want[64];
	struct obuf b;
	int i;

	for (i = 0; i < 200000; i++) {
		uint64_t u = t_rnd() >> (t_rnd() % 64);
		int64_t v = (int64_t)u * (i % 2 ? -1 : 1);
		unsigned x = (unsigned)u;

		if (i == 0)
			u = UINT64_MAX, v = INT64_MIN, x = 0;
		obuf_init(&b, buf, sizeof(buf), NULL, NULL);
		obuf_uint(&b, u);
		obuf_putc(&b, ' ');
		obuf_int(&b, v);
		obuf_putc(&b, ' ');
		obuf_hex(&b, x, i % 6);
		snprintf(want, sizeof(want), "%llu %lld %0*x",
			 (unsigned long long)u, (long long)v, i % 6, x);
		check_same(&b, buf, want);
	}
}

/*
 * Every count of digits, either side of each power of ten and of two,
 * into a buffer with room and into ones too short (snprintf's cut).
 */
static void test_uint_edges(void)
{
	char buf[64], want[64], small[24], ref[24];
	struct obuf b;
	uint64_t p, v[6];
	size_t i, size;
	int k;

	for (k = 0; k < 64; k++) {
		p = 1;
		for (i = 0; i < (size_t)k % 20; i++)
			p *= 10;
		v[0] = p - 1, v[1] = p, v[2] = p + 1;
		p = (uint64_t)1 << k;
		v[3] = p - 1, v[4] = p, v[5] = p + 1;
		for (i = 0; i < 6; i++) {
			obuf_init(&b, buf, sizeof(buf), NULL, NULL);
			obuf_uint(&b, v[i]);
			snprintf(want, sizeof(want), "%llu",
				 (unsigned long long)v[i]);
			check_same(&b, buf, want);
			for (size = 0; size <= sizeof(small); size++) {
				memset(small, 'x', sizeof(small));
				memset(ref, 'x', sizeof(ref));
				obuf_init(&b, small, size, NULL, NULL);
				obuf_putc(&b, '<');
				obuf_uint(&b, v[i]);
				CHECK_EQ(obuf_cstr(&b), snprintf(ref, size,
					 "<%llu", (unsigned long long)v[i]));
				CHECK(memcmp(small, ref, sizeof(small)) == 0);
			}
		}
	}
}

static void fixed2_check(float v)
{
	char buf[400], want[400];
	struct obuf b;

	obuf_init(&b, buf, sizeof(buf), NULL, NULL);
	obuf_fixed2(&b, v);
	snprintf(want, sizeof(want), "%.2f", (double)v);
	check_same(&b, buf, want);
}

/*
 * "%.2f": every float near each hundredth and each half hundredth up to
 * 100 (the ties and their neighbours), a thousandth of those in [0, 1],
 * random ones up to past the fast path's end, and what printf keeps.
 */
static void test_fixed2(void)
{
	static const float odd[] = { 0.0f, -0.0f, -0.125f, 0.125f, 0.375f,
				     0.625f, 0.875f, 1e6f, 999999.94f,
				     FLT_MAX, FLT_MIN, -1.0f, INFINITY,
				     -INFINITY, NAN };
	uint32_t k, bits, b0;
	float v;
	int d;

	for (k = 0; k < 20000; k++) {
		v = (float)k / 200.0f;
		memcpy(&b0, &v, sizeof(b0));
		for (d = k ? -8 : 0; d <= 8; d++) {
			bits = b0 + (uint32_t)d;	/* the floats either side */
			memcpy(&v, &bits, sizeof(v));
			fixed2_check(v);
		}
	}
	for (bits = 0; bits <= 0x3f800000u; bits += 997) {
		memcpy(&v, &bits, sizeof(v));
		fixed2_check(v);
	}
	for (k = 0; k < 200000; k++)
		fixed2_check((float)(t_rnd() % 1100000000u) / 1000.0f);
	for (k = 0; k < sizeof(odd) / sizeof(odd[0]); k++)
		fixed2_check(odd[k]);
}

static void ms_check(int64_t us)
{
	char buf[400], want[400];
	struct obuf b;

	obuf_init(&b, buf, sizeof(buf), NULL, NULL);
	obuf_ms(&b, us);
	snprintf(want, sizeof(want), "%.3f", (double)us / 1e3);
	check_same(&b, buf, want);
}

/* "%.3f" of us / 1e3: small ones all, then spread, to the limit and past. */
static void test_ms(void)
{
	int64_t us, lim = (int64_t)1 << 39;
	int i;

	for (us = -3000; us <= 300000; us++)
		ms_check(us);
	for (i = 0; i < 300000; i++)
		ms_check((int64_t)(t_rnd() >> (t_rnd() % 64)) *
			 (i % 2 ? -1 : 1));
	for (us = -2; us <= 2; us++) {
		ms_check(lim + us);
		ms_check(-lim + us);
	}
	ms_check(INT64_MAX);
	ms_check(INT64_MIN);
}

static void fixed3_check(double v)
{
	char buf[400], want[400];
	struct obuf b;

	obuf_init(&b, buf, sizeof(buf), NULL, NULL);
	obuf_fixed3(&b, v);
	snprintf(want, sizeof(want), "%.3f", v);
	check_same(&b, buf, want);
}

/* "%.3f" of any double: the evidence's us / 1e3, and everything else. */
static void test_fixed3(void)
{
	static const double odd[] = { 0.0, -0.0, 0.0005, -0.0005, 0.0015,
				      0.0025, 1e-300, 5e8, -5e8, 4.99999e8,
				      1e300, INFINITY, -INFINITY, NAN };
	uint64_t bits;
	double v;
	int i;

	for (i = 0; i < 100000; i++) {
		int64_t us = (int64_t)(t_rnd() >> (t_rnd() % 64)) *
			     (i % 2 ? -1 : 1);

		fixed3_check((double)us / 1000.0);
		bits = t_rnd();
		memcpy(&v, &bits, sizeof(v));
		fixed3_check(v);			/* any bits */
		fixed3_check((double)(t_rnd() % 2000000000) / 997.0);
	}
	for (i = 0; i < (int)(sizeof(odd) / sizeof(odd[0])); i++)
		fixed3_check(odd[i]);
}

/*
 * The conversions done by hand, a format handed to vsnprintf() whole,
 * and one handed over after its first conversions.
 */
static void test_format(void)
{
	char buf[256], want[256];
	struct obuf b;
	int i;

	for (i = 0; i < 20000; i++) {
		int d = (int)t_rnd();
		unsigned u = (unsigned)t_rnd();
		long long ll = (long long)(t_rnd() >> (t_rnd() % 64)) *
			       (i % 2 ? -1 : 1);
		double ms = (double)(ll % 100000000) / 1000.0;

		obuf_init(&b, buf, sizeof(buf), NULL, NULL);
		obuf_format(&b, "a %d b %s c %u%% %lld %.3f ms", d, "x\"y", u,
			    ll, ms);
		snprintf(want, sizeof(want), "a %d b %s c %u%% %lld %.3f ms", d,
			 "x\"y", u, ll, ms);
		check_same(&b, buf, want);
		obuf_init(&b, buf, sizeof(buf), NULL, NULL);
		obuf_format(&b, "%5d|%.1f|%x|%lu", d, ms, u, (unsigned long)u);
		snprintf(want, sizeof(want), "%5d|%.1f|%x|%lu", d, ms, u,
			 (unsigned long)u);
		check_same(&b, buf, want);
		obuf_init(&b, buf, sizeof(buf), NULL, NULL);
		obuf_format(&b, "%s %d %u%%|%5d|%.3f %lld %x", "a", d, u, d,
			    ms, ll, u);
		snprintf(want, sizeof(want), "%s %d %u%%|%5d|%.3f %lld %x",
			 "a", d, u, d, ms, ll, u);
		check_same(&b, buf, want);
	}
}

int main(void)
{
	T_RUN(test_drain);
	T_RUN(test_cut);
	T_RUN(test_integers);
	T_RUN(test_uint_edges);
	T_RUN(test_fixed2);
	T_RUN(test_ms);
	T_RUN(test_fixed3);
	T_RUN(test_format);
	return T_END("test_obuf");
}
