/*
 * t.h: the smallest test harness that does the job.  Each test file has
 * one main() that calls T_RUN(fn) per test; a check that fails prints
 * file:line and the expression, and the run ends with the plain line
 * "N passed, N failed" that CI reads.
 */
#ifndef RSTAUDIT_T_H
#define RSTAUDIT_T_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int t_failed_checks, t_pass, t_fail;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: CHECK(%s) failed\n",		\
			__FILE__, __LINE__, #cond);			\
		t_failed_checks++;					\
	}								\
} while (0)

#define CHECK_EQ(a, b) do {						\
	long long t_a_ = (long long)(a), t_b_ = (long long)(b);		\
	if (t_a_ != t_b_) {						\
		fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n",\
			__FILE__, __LINE__, #a, #b, t_a_, t_b_);	\
		t_failed_checks++;					\
	}								\
} while (0)

#define CHECK_STR(a, b) do {						\
	const char *t_a_ = (a), *t_b_ = (b);				\
	if (strcmp(t_a_, t_b_) != 0) {					\
		fprintf(stderr, "%s:%d: %s == \"%s\" failed: \"%s\"\n",	\
			__FILE__, __LINE__, #a, t_b_, t_a_);		\
		t_failed_checks++;					\
	}								\
} while (0)

/* A small xorshift: the same "random" values on every run. */
static inline uint64_t t_rnd(void)
{
	static uint64_t x = 0x9e3779b97f4a7c15ull;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

#define T_RUN(fn) do {							\
	int t_before_ = t_failed_checks;				\
	fn();								\
	if (t_failed_checks == t_before_) {				\
		t_pass++;						\
	} else {							\
		fprintf(stderr, "FAIL %s\n", #fn);			\
		t_fail++;						\
	}								\
} while (0)

#define T_END(name) (printf("%s: %d passed, %d failed\n", (name),	\
			    t_pass, t_fail), t_fail ? 1 : 0)

#endif
