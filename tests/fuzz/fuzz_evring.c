/*
 * fuzz_evring.c: libFuzzer target for the evidence ring and the pcapng
 * blocks made from it.  The input is a run of records, each a length
 * byte, an op byte and that many bytes of raw IP: each parsed packet is
 * pushed into a small ring (so it wraps), each RST gets a serial, and
 * after a RST the op asks evring_flow() for that RST's flow with
 * `before` and `after` from the op.  What it finds must be the RST and
 * packets of its flow only, oldest first; each becomes an enhanced
 * packet block of exactly the size pcapng_epb_size() promised.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "evring.h"
#include "pcapng.h"
#include "pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct evring *ring;
static struct evring_flow flow;
static uint8_t block[4096];

static void check_flow(uint64_t key, uint32_t serial, unsigned before,
		       unsigned after)
{
	uint8_t sll[PCAPNG_SLL_LEN];
	struct pcapng_pkt pp;
	unsigned i;

	if (evring_flow(ring, key, serial, UINT64_MAX, before, after, &flow) < 0)
		return;
	if (flow.n == 0 || flow.rst >= flow.n || flow.n > before + after + 1 ||
	    flow.slot[flow.rst]->serial != serial)
		__builtin_trap();
	for (i = 0; i < flow.n; i++) {
		const struct evring_slot *s = flow.slot[i];

		if (s->key != key || (i && s->seq <= flow.slot[i - 1]->seq) ||
		    s->caplen > EVRING_SNAP)
			__builtin_trap();
		memset(&pp, 0, sizeof(pp));
		pcapng_sll(sll, PCAPNG_SLL_HOST, s->data[0]);
		pp.hdr = sll, pp.hdrlen = sizeof(sll);
		pp.data = s->data, pp.caplen = s->caplen, pp.len = s->len;
		pp.ts_us = s->ts_us, pp.dir = s->dir;
		pp.comment = i == flow.rst ? "rstaudit: fuzz\nline" : NULL;
		if (pcapng_epb(block, sizeof(block), &pp) !=
		    pcapng_epb_size(PCAPNG_SLL_LEN + s->caplen,
				    pp.comment ? strlen(pp.comment) : 0))
			__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t serial = 0;
	uint64_t ts = 1;
	size_t off = 0;
	struct pkt p;

	if (ring == NULL && (ring = evring_new(EVRING_MIN)) == NULL)
		abort();
	evring_free(ring);	/* each input from an empty ring */
	if ((ring = evring_new(EVRING_MIN)) == NULL)
		abort();
	while (off + 2 <= size) {
		size_t len = data[off], op = data[off + 1];
		struct evring_slot *s;

		off += 2;
		if (len > size - off)
			len = size - off;
		if (pkt_parse(&p, LINK_RAW, data + off, len) == PKT_OK) {
			s = evring_push(ring, &p, data + off, (uint32_t)len,
					(uint32_t)len + (op & 7), ts++);
			s->dir = op & 1 ? PCAPNG_DIR_OUT : PCAPNG_DIR_IN;
			if (p.flags & TH_RST) {
				s->serial = ++serial;
				check_flow(evring_key(&p), serial,
					   (unsigned)(op >> 4) * 20,
					   (unsigned)((op >> 1) & 7) * 40);
			}
		}
		off += len;
	}
	return 0;
}
