/*
 * host.c: per-address TTL baselines (see host.h).
 */
#include <string.h>

#include "host.h"

/*
 * The family gets a round of its own, as in flow_key(): XORed into the
 * address, it let an IPv6 address and an IPv4 one share a key whatever
 * the seed.
 */
uint64_t host_key(const struct pkt *p, int dst, uint64_t seed)
{
	const uint8_t *a = dst ? p->dst : p->src;
	uint64_t w0, w1, h;

	memcpy(&w0, a, 8);
	memcpy(&w1, a + 8, 8);
	h = tab_mix(tab_mix(seed ^ p->family) ^ w0);
	return p->family != 6 ? h : tab_mix(h ^ w1);
}

void host_update(struct host *h, uint8_t ttl)
{
	if (h->h.user == 0 || ttl < h->ttl_min)
		h->ttl_min = ttl;
	if (h->h.user == 0 || ttl > h->ttl_max)
		h->ttl_max = ttl;
	if (h->h.user != UINT32_MAX)
		h->h.user++;
}

void host_baseline(const struct host *h, struct host_base *b)
{
	memset(b, 0, sizeof(*b));
	if (h == NULL)
		return;
	b->ttl_min = h->ttl_min;
	b->ttl_max = h->ttl_max;
	b->n = h->h.user;
}
