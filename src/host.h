/*
 * host.h: what each address looks like across all its flows, so that a
 * RST on a flow with no handshake in view is still judged against the
 * claimed sender's usual TTL.
 */
#ifndef RSTAUDIT_HOST_H
#define RSTAUDIT_HOST_H

#include <stdint.h>

#include "pkt.h"
#include "table.h"

struct host {
	struct tab_hdr h;	/* h.user: packets counted (saturating) */
	uint8_t ttl_min, ttl_max; /* TTLs of its packets other than RSTs */
	uint8_t pad_[6];
};

/* The TTL baseline of one address, as the classifier takes it. */
struct host_base {
	uint8_t ttl_min, ttl_max;	/* meaningless when n == 0 */
	uint32_t n;			/* packets it was learnt from */
};

/* The host key of p's source (dst != 0: of its destination). */
uint64_t host_key(const struct pkt *p, int dst, uint64_t seed);

/* Account one more non-RST packet with this TTL. */
void host_update(struct host *h, uint8_t ttl);

/* Copy a host's baseline out (h may be NULL: no baseline). */
void host_baseline(const struct host *h, struct host_base *b);

#endif
