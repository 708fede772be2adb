/*
 * fixtures.h: build parsed packets by value, for the core's unit tests.
 */
#ifndef RSTAUDIT_FIXTURES_H
#define RSTAUDIT_FIXTURES_H

#include <arpa/inet.h>
#include <string.h>

#include "pkt.h"

/* A TCP segment from "a:ap" to "b:bp" (IPv4 or IPv6 text addresses). */
static inline struct pkt fx_pkt(const char *a, uint16_t ap, const char *b,
				uint16_t bp, uint8_t flags, uint32_t seq,
				uint32_t ack, uint8_t ttl, uint16_t ipid,
				uint32_t len)
{
	struct pkt p;

	memset(&p, 0, sizeof(p));
	p.family = strchr(a, ':') ? 6 : 4;
	inet_pton(p.family == 6 ? AF_INET6 : AF_INET, a, p.src);
	inet_pton(p.family == 6 ? AF_INET6 : AF_INET, b, p.dst);
	p.sport = ap, p.dport = bp;
	p.flags = flags, p.seq = seq, p.ack = ack;
	p.ttl = ttl, p.ipid = p.family == 4 ? ipid : 0, p.df = 1;
	p.win = (flags & TH_RST) ? 0 : 64240;
	p.payload_len = len;
	return p;
}

#endif
