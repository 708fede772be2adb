/*
 * clk.h: the one clock helper.  Every time rstaudit, its tests and its
 * benchmarks measure comes from here: nanoseconds of a clock, or the
 * microseconds the daemon works in.  The monotonic clock for durations
 * and deadlines, the realtime one for timestamps a person reads.
 * (clk_, not clock_: POSIX keeps clock_ for <time.h>.)
 */
#ifndef RSTAUDIT_CLK_H
#define RSTAUDIT_CLK_H

#include <stdint.h>
#include <time.h>

/* Nanoseconds of clock id (CLOCK_MONOTONIC, CLOCK_REALTIME). */
static inline uint64_t clk_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t clk_mono_us(void)
{
	return clk_ns(CLOCK_MONOTONIC) / 1000;
}

static inline uint64_t clk_real_us(void)
{
	return clk_ns(CLOCK_REALTIME) / 1000;
}

/* Monotonic seconds, for benchmarks' rates. */
static inline double clk_mono_s(void)
{
	return (double)clk_ns(CLOCK_MONOTONIC) / 1e9;
}

#endif
