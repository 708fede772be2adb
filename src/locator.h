/*
 * locator.h: the daemon's background locating (`locate yes`).
 *
 * After a middlebox verdict the worker hands the RST's claimed sender
 * (DEST = the RST's source, PORT = its source port) and the payload that
 * drew it (the last one its receiver sent, from the evidence ring) to
 * locator_event().  That call only copies into a bounded queue, under a
 * mutex, and returns: the verdict path never waits for a probe.  One
 * thread runs locate_run() on each request and hands the result to the
 * emit callback, which writes the follow-up event (linked to the first by
 * its community_id).
 *
 * Limits, checked when a request is offered: one locate per destination
 * address per `interval` seconds, `budget` locates per hour in all (a
 * token bucket), `LOCATOR_QUEUE` waiting.  What they turn away is counted.
 */
#ifndef RSTAUDIT_LOCATOR_H
#define RSTAUDIT_LOCATOR_H

#include <stdint.h>

#include "evring.h"
#include "locate.h"
#include "rst.h"

#define LOCATOR_QUEUE	16
#define LOCATOR_DESTS	256	/* destinations remembered for the interval */

struct locator_conf {
	uint32_t interval_s;	/* per destination */
	uint32_t budget;	/* per hour */
	uint32_t max_ttl;
	uint32_t wait_ms;
};

/* One request, and the event it follows. */
struct locate_request {
	struct locate_conf lc;	/* lc.payload points to payload below */
	uint8_t	 payload[LOCATE_TRIGGER_MAX];
	char	 link[128];	/* "\"community_id\":...,\"rst_ts\":..." */
};

struct locator_stats {
	uint64_t offered, queued, no_trigger, limited_dest, limited_budget,
		 queue_full, done, found;
};

typedef void (*locator_emit_fn)(const struct locate_request *q,
				const struct locate_result *r, void *arg);

struct locator;

/* Start the thread; NULL with errno on failure. */
struct locator *locator_start(const struct locator_conf *c,
			      locator_emit_fn emit, void *arg);

/*
 * Offer the event e (any verdict: only middlebox ones are taken) with the
 * worker's evidence ring (NULL: no trigger can be found).  Returns 0 when
 * queued, else -1 with errno: ENOENT no trigger in the ring, EALREADY the
 * destination's interval, EDQUOT the budget, EAGAIN the queue is full,
 * EINVAL not a middlebox verdict.  Never blocks on a probe.
 */
int	 locator_event(struct locator *l, struct evring *ring,
		       const struct rst_event *e);

void	 locator_get_stats(struct locator *l, struct locator_stats *s);

/* Cancel the probe under way, join the thread, free everything. */
void	 locator_stop(struct locator *l);

#endif
