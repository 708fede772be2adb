/*
 * test_sha1.c: both SHA-1 implementations give FIPS 180's digests, and
 * the SHA extensions' (where this CPU has them) the portable one's, over
 * random inputs of every length across one, two and several blocks.
 */
#include <stdio.h>

#include "sha1.h"
#include "t.h"

static void hex(const uint8_t d[20], char out[41])
{
	int i;

	for (i = 0; i < 20; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void test_vectors(void)
{
	static const struct { const char *in, *digest; } v[] = {
		{ "", "da39a3ee5e6b4b0d3255bfef95601890afd80709" },
		{ "abc", "a9993e364706816aba3e25717850c26c9cd0d89d" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "84983e441c3bd26ebaae4aa1f95129e5e54670f1" },
	};
	uint8_t d[20];
	char h[41];
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		sha1((const uint8_t *)v[i].in, strlen(v[i].in), d);
		hex(d, h);
		CHECK_STR(h, v[i].digest);
		sha1_portable((const uint8_t *)v[i].in, strlen(v[i].in), d);
		hex(d, h);
		CHECK_STR(h, v[i].digest);
	}
}

static void test_same(void)
{
	static uint8_t data[300];
	uint8_t a[20], b[20];
	uint64_t x = 88172645463325252ull;
	size_t len, i;
	int round;

	printf("test_sha1: sha1() %s the SHA extensions\n",
	       sha1_ni_available() ? "uses" : "does not use (this CPU lacks)");
	for (round = 0; round < 100; round++) {
		for (len = 0; len <= sizeof(data); len++) {
			for (i = 0; i < len; i++) {
				x ^= x << 13, x ^= x >> 7, x ^= x << 17;
				data[i] = (uint8_t)x;
			}
			sha1(data, len, a);
			sha1_portable(data, len, b);
			CHECK(memcmp(a, b, sizeof(a)) == 0);
		}
	}
}

int main(void)
{
	T_RUN(test_vectors);
	T_RUN(test_same);
	return T_END("test_sha1");
}
