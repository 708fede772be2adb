/*
 * rstdelay.c: the RST's delay after its trigger against the round trip
 * to its claimed sender (see rstdelay.h).
 */
#include <stdlib.h>
#include <string.h>

#include "rstdelay.h"
#include "table.h"

struct rd_entry {
	uint64_t key;		/* 0: free */
	uint64_t syn_us;	/* the SYN, from side syn_side */
	uint64_t synack_us;	/* the SYN/ACK answering it */
	uint64_t data_us[2];	/* each side's last segment with payload */
	uint32_t rtt_us[2];	/* round trip from here to each side */
	uint8_t	 rtt_known;	/* bit n: rtt_us[n] is known */
	uint8_t	 syn_side;
	uint8_t	 acked;		/* the first ACK after the SYN/ACK came */
} __attribute__((aligned(64)));	/* one cache line: one miss, prefetched */

struct rstdelay {
	struct rd_entry e[RSTDELAY_SLOTS];
};

/*
 * Mapped, not allocated: aligned to the line, on huge pages where the
 * kernel grants them (a few TLB entries for the whole table, instead of
 * a page walk on most packets).
 */
struct rstdelay *rstdelay_new(int populate)
{
	return tab_map(sizeof(struct rstdelay), populate);
}

void rstdelay_free(struct rstdelay *d)
{
	tab_unmap(d, sizeof(struct rstdelay));
}

void rstdelay_prefetch(const struct rstdelay *d, uint64_t key)
{
	__builtin_prefetch(&d->e[key & (RSTDELAY_SLOTS - 1)], 1);
}

static void handshake(struct rd_entry *r, int side, const struct pkt *p,
		      uint64_t ts_us)
{
	uint8_t fl = p->flags & (TH_SYN | TH_ACK);

	if (fl == TH_SYN) {	/* a new attempt starts again */
		uint64_t key = r->key;

		memset(r, 0, sizeof(*r));
		r->key = key;
		r->syn_us = ts_us;
		r->syn_side = (uint8_t)side;
	} else if (fl == (TH_SYN | TH_ACK) && r->syn_us && side != r->syn_side &&
		   !r->synack_us) {
		r->synack_us = ts_us;
		r->rtt_us[side] = (uint32_t)(ts_us - r->syn_us);
		r->rtt_known |= (uint8_t)(1 << side);
	} else if (fl == TH_ACK && r->synack_us && side == r->syn_side &&
		   !r->acked) {
		r->acked = 1;
		r->rtt_us[side] = (uint32_t)(ts_us - r->synack_us);
		r->rtt_known |= (uint8_t)(1 << side);
	}
}

void rstdelay_packet(struct rstdelay *d, uint64_t key, int side,
		     const struct pkt *p, uint64_t ts_us,
		     struct rst_delay *out)
{
	struct rd_entry *r = &d->e[key & (RSTDELAY_SLOTS - 1)];

	if (r->key != key) {
		if (out != NULL || !(p->flags & TH_SYN))
			goto none;	/* its handshake is not in view */
		memset(r, 0, sizeof(*r));
		r->key = key;
	}
	if (out == NULL) {
		handshake(r, side, p, ts_us);
		if (p->payload_len > 0)
			r->data_us[side] = ts_us;
		return;
	}
	/* A RST from side: its trigger came from the other. */
	if (!(r->rtt_known & (1 << side)) || r->data_us[!side] == 0 ||
	    ts_us < r->data_us[!side])
		goto none;
	out->valid = 1;
	out->delay_us = (uint32_t)(ts_us - r->data_us[!side]);
	out->rtt_us = r->rtt_us[side];
	return;
none:
	if (out != NULL)
		memset(out, 0, sizeof(*out));
}
