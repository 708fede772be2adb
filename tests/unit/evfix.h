/*
 * evfix.h: packets as bytes and as parsed values, for the evidence tests.
 */
#ifndef RSTAUDIT_EVFIX_H
#define RSTAUDIT_EVFIX_H

#include "fixtures.h"
#include "evring.h"

/*
 * The IPv4 or IPv6 bytes of p (no options, payload_len zero bytes of
 * payload, of which at most what fits in buf), into buf; returns the
 * bytes written.  Checksums are left zero: the tests do not need them.
 */
static inline uint32_t evfix_bytes(const struct pkt *p, uint8_t *buf,
				   size_t len)
{
	uint32_t ihl = p->family == 6 ? 40 : 20, tot = ihl + 20 + p->payload_len;
	uint32_t n = tot < len ? tot : (uint32_t)len;
	uint8_t *t = buf + ihl;

	memset(buf, 0, n);
	if (p->family == 6) {
		buf[0] = 0x60;
		buf[4] = (uint8_t)((tot - 40) >> 8), buf[5] = (uint8_t)(tot - 40);
		buf[6] = 6, buf[7] = p->ttl;
		memcpy(buf + 8, p->src, 16), memcpy(buf + 24, p->dst, 16);
	} else {
		buf[0] = 0x45;
		buf[2] = (uint8_t)(tot >> 8), buf[3] = (uint8_t)tot;
		buf[4] = (uint8_t)(p->ipid >> 8), buf[5] = (uint8_t)p->ipid;
		buf[6] = p->df ? 0x40 : 0;
		buf[8] = p->ttl, buf[9] = 6;
		memcpy(buf + 12, p->src, 4), memcpy(buf + 16, p->dst, 4);
	}
	t[0] = (uint8_t)(p->sport >> 8), t[1] = (uint8_t)p->sport;
	t[2] = (uint8_t)(p->dport >> 8), t[3] = (uint8_t)p->dport;
	t[4] = (uint8_t)(p->seq >> 24), t[5] = (uint8_t)(p->seq >> 16);
	t[6] = (uint8_t)(p->seq >> 8), t[7] = (uint8_t)p->seq;
	t[8] = (uint8_t)(p->ack >> 24), t[9] = (uint8_t)(p->ack >> 16);
	t[10] = (uint8_t)(p->ack >> 8), t[11] = (uint8_t)p->ack;
	t[12] = 0x50, t[13] = p->flags;
	t[14] = (uint8_t)(p->win >> 8), t[15] = (uint8_t)p->win;
	return n;
}

/* Push p into r as a queued packet would be, cut to EVRING_SNAP. */
static inline struct evring_slot *evfix_push(struct evring *r,
					     const struct pkt *p,
					     uint64_t ts_us, uint32_t ifindex)
{
	uint8_t buf[2048];
	uint32_t n = evfix_bytes(p, buf, sizeof(buf));
	uint32_t ihl = p->family == 6 ? 40 : 20;
	struct evring_slot *s;

	s = evring_push(r, p, buf, n, ihl + 20 + p->payload_len, ts_us);
	s->ifindex = ifindex;
	s->dir = 1;
	return s;
}

#endif
