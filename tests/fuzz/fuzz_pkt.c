/*
 * fuzz_pkt.c: libFuzzer target for pkt_parse().  Every input is parsed as
 * a frame of each link type, so a seed captured on one link exercises the
 * decoders of all the others.  The buffer libFuzzer hands over is exactly
 * size bytes long, so ASan catches any read past the capture; the payload
 * bytes are read back for the same reason, and the length invariants the
 * rest of rstaudit relies on are checked with a trap.
 */
#include <stddef.h>
#include <stdint.h>

#include "pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint8_t sink;

static void
check(const struct pkt *p, const uint8_t *data, size_t size)
{
	uint8_t sum = 0;
	uint32_t i;

	if (p->family != 4 && p->family != 6)
		__builtin_trap();
	if (p->payload_caplen > p->payload_len)
		__builtin_trap();
	if (p->payload < data || p->payload > data + size ||
	    p->payload_caplen > (size_t)(data + size - p->payload))
		__builtin_trap();
	if (p->opt.sack_blocks > 4 || p->dir > DIR_OUT)
		__builtin_trap();
	for (i = 0; i < p->payload_caplen; i++)
		sum ^= p->payload[i];
	sink = sum;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkt p;
	enum pkt_status st;
	int lt;

	for (lt = LINK_ETHER; lt <= LINK_CHDLC; lt++) {
		st = pkt_parse(&p, (enum link_type)lt, data, size);
		if ((unsigned)st >= PKT_STATUS_MAX ||
		    pkt_status_names[st] == NULL)
			__builtin_trap();
		if (st == PKT_OK)
			check(&p, data, size);
	}
	return 0;
}
