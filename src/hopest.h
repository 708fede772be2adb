/*
 * hopest.h: the passive estimate of where a middlebox's reset was made,
 * counted from this observer (`rstaudit locate` measures it actively).
 *
 * hops is how many routers lowered the RST's TTL on its way here, so the
 * device that made it sits at hop hops + 1 (hop 1: the first router from
 * the observer).  That holds only while the RST looks closer than the
 * claimed sender (hops < expected_hops).  A RST that looks as far as the
 * sender, or farther, has a TTL copied from the trigger or chosen to
 * mimic the sender: the device is then somewhere in [1, expected_hops].
 * Pure; an inline, so the core's object list does not change.
 */
#ifndef RSTAUDIT_HOPEST_H
#define RSTAUDIT_HOPEST_H

#include "rst.h"

struct hop_estimate {
	int	 valid;		/* a middlebox RST with a sender baseline */
	int	 hop;		/* -1: only the interval is known */
	int	 lo, hi;	/* the interval, lo == hi when exact */
};

static inline void hop_estimate(const struct rst_event *e,
				struct hop_estimate *h)
{
	const struct verdict *v = &e->v;

	h->valid = v->origin == ORIGIN_MIDDLEBOX && v->expected_hops >= 0;
	h->hop = -1;
	h->lo = h->hi = 0;
	if (!h->valid)
		return;
	if (v->hops >= 0 && v->hops < v->expected_hops) {
		h->hop = h->lo = h->hi = v->hops + 1;
		return;
	}
	h->lo = 1;
	h->hi = v->expected_hops > 1 ? v->expected_hops : 1;
}

#endif
