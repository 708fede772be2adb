/*
 * sha1.c: SHA-1 (FIPS 180-4) of a buffer held in memory.  Used only to
 * compute Community IDs, which are defined over SHA-1; not for security.
 *
 * Each event hashes one block, and the portable rounds were the largest
 * single cost of formatting it: where the CPU has the SHA extensions
 * (x86 SHA-NI) the block goes through them instead.  Both give the same
 * digest (tests/unit/test_sha1.c holds one against the other).
 */
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#define SHA1_HAVE_NI 1
#endif

#include "sha1.h"

typedef void sha1_block_fn(uint32_t h[5], const uint8_t b[64]);

static uint32_t rol(uint32_t x, int n)
{
	return x << n | x >> (32 - n);
}

static void sha1_block(uint32_t h[5], const uint8_t b[64])
{
	uint32_t w[80], a = h[0], bb = h[1], c = h[2], d = h[3], e = h[4];
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)b[4 * i] << 24 | (uint32_t)b[4 * i + 1] << 16 |
		       (uint32_t)b[4 * i + 2] << 8 | b[4 * i + 3];
	for (; i < 80; i++)
		w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	for (i = 0; i < 80; i++) {
		uint32_t f, k, t;

		if (i < 20)
			f = (bb & c) | (~bb & d), k = 0x5a827999;
		else if (i < 40)
			f = bb ^ c ^ d, k = 0x6ed9eba1;
		else if (i < 60)
			f = (bb & c) | (bb & d) | (c & d), k = 0x8f1bbcdc;
		else
			f = bb ^ c ^ d, k = 0xca62c1d6;
		t = rol(a, 5) + f + e + k + w[i];
		e = d, d = c, c = rol(bb, 30), bb = a, a = t;
	}
	h[0] += a, h[1] += bb, h[2] += c, h[3] += d, h[4] += e;
}

#ifdef SHA1_HAVE_NI
/*
 * Four rounds g (0 to 19) with the SHA extensions, after Intel's public
 * sample: m[g % 4] holds the message words of these rounds, and the
 * other three slots carry on the schedule of the next ones (sha1msg1,
 * the xor, sha1msg2).  prev is ABCD before the last four rounds, from
 * which sha1nexte makes E.  g is a constant: the branches fold away.
 */
#define NI_ROUNDS(g) do {						\
	if ((g) < 4)							\
		m[g] = _mm_shuffle_epi8(_mm_loadu_si128(		\
			(const __m128i *)(b + 16 * (g))), swap);	\
	if ((g) == 0)							\
		e = _mm_add_epi32(e, m[0]);				\
	else								\
		e = _mm_sha1nexte_epu32(prev, m[(g) % 4]);		\
	prev = abcd;							\
	abcd = _mm_sha1rnds4_epu32(abcd, e, (g) / 5);			\
	if ((g) >= 3 && (g) < 19)					\
		m[((g) + 1) % 4] = _mm_sha1msg2_epu32(m[((g) + 1) % 4],\
						      m[(g) % 4]);	\
	if ((g) >= 1 && (g) < 17)					\
		m[((g) + 3) % 4] = _mm_sha1msg1_epu32(m[((g) + 3) % 4],\
						      m[(g) % 4]);	\
	if ((g) >= 2 && (g) < 18)					\
		m[((g) + 2) % 4] = _mm_xor_si128(m[((g) + 2) % 4],	\
						 m[(g) % 4]);		\
} while (0)

__attribute__((target("sha,sse4.1")))
static void sha1_block_ni(uint32_t h[5], const uint8_t b[64])
{
	/* Big-endian words, the first in the high lane. */
	const __m128i swap = _mm_set_epi64x(0x0001020304050607LL,
					    0x08090a0b0c0d0e0fLL);
	__m128i abcd, abcd0, e, e0, prev, m[4];

	abcd = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)h), 0x1b);
	e = e0 = _mm_set_epi32((int)h[4], 0, 0, 0);
	abcd0 = abcd;
	NI_ROUNDS(0); NI_ROUNDS(1); NI_ROUNDS(2); NI_ROUNDS(3);
	NI_ROUNDS(4); NI_ROUNDS(5); NI_ROUNDS(6); NI_ROUNDS(7);
	NI_ROUNDS(8); NI_ROUNDS(9); NI_ROUNDS(10); NI_ROUNDS(11);
	NI_ROUNDS(12); NI_ROUNDS(13); NI_ROUNDS(14); NI_ROUNDS(15);
	NI_ROUNDS(16); NI_ROUNDS(17); NI_ROUNDS(18); NI_ROUNDS(19);
	e = _mm_sha1nexte_epu32(prev, e0);
	abcd = _mm_add_epi32(abcd, abcd0);
	_mm_storeu_si128((__m128i *)h, _mm_shuffle_epi32(abcd, 0x1b));
	h[4] = (uint32_t)_mm_extract_epi32(e, 3);
}
#endif

/*
 * CPUID, asked once (in a VM each CPUID traps to the hypervisor): SSE4.1
 * (leaf 1, ECX) and the SHA extensions (leaf 7, EBX).  Not
 * __builtin_cpu_supports("sha"), which clang 14 does not know.
 */
int sha1_ni_available(void)
{
#ifdef SHA1_HAVE_NI
	static int known = -1;
	int v = __atomic_load_n(&known, __ATOMIC_RELAXED);
	unsigned a, b, c, d;

	if (v < 0) {
		v = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_SSE4_1) &&
		    __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_SHA);
		__atomic_store_n(&known, v, __ATOMIC_RELAXED);
	}
	return v;
#else
	return 0;
#endif
}

static void sha1_with(sha1_block_fn *block, const uint8_t *data, size_t len,
		      uint8_t out[20])
{
	uint32_t h[5] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476,
			  0xc3d2e1f0 };
	uint8_t last[128];
	uint64_t bits = (uint64_t)len * 8;
	size_t i, rest, n;

	for (i = 0; i + 64 <= len; i += 64)
		block(h, data + i);
	rest = len - i;
	memset(last, 0, sizeof(last));
	memcpy(last, data + i, rest);
	last[rest] = 0x80;
	n = rest + 1 + 8 <= 64 ? 64 : 128;
	for (i = 0; i < 8; i++)
		last[n - 1 - i] = (uint8_t)(bits >> (8 * i));
	block(h, last);
	if (n == 128)
		block(h, last + 64);
	for (i = 0; i < 20; i++)
		out[i] = (uint8_t)(h[i / 4] >> (24 - 8 * (i % 4)));
}

void sha1(const uint8_t *data, size_t len, uint8_t out[20])
{
#ifdef SHA1_HAVE_NI
	if (sha1_ni_available()) {
		sha1_with(sha1_block_ni, data, len, out);
		return;
	}
#endif
	sha1_with(sha1_block, data, len, out);
}

void sha1_portable(const uint8_t *data, size_t len, uint8_t out[20])
{
	sha1_with(sha1_block, data, len, out);
}
