/*
 * evring.h: the last N packets a worker queued, for the evidence files.
 *
 * The live daemon sees only what its table queues (SYNs, the first
 * packets of each connection, RSTs, and a reset connection's next
 * packets).  Each worker keeps the newest of those in a ring of
 * preallocated slots, the first EVRING_SNAP bytes of each, so that when
 * an event leaves the engine (after its hold) the packets of its flow,
 * both directions, before and after the RST, can still be found and
 * written out.
 *
 * Slots of one flow are chained (each points to the previous slot with
 * the same hash bucket), so finding a flow's packets walks that flow's
 * chain, not the ring.  Pure: no I/O; all memory is taken by evring_new().
 * A ring is used by one thread.
 */
#ifndef RSTAUDIT_EVRING_H
#define RSTAUDIT_EVRING_H

#include <stdint.h>

#include "pkt.h"

#define EVRING_SNAP	128	/* bytes kept of each packet (the copy range) */
#define EVRING_MIN	256
#define EVRING_MAX	(1u << 22)
#define EVRING_SIDE_MAX	256	/* packets before, and after, a RST at most */

/* One packet as it was queued. */
struct evring_slot {
	uint64_t seq;		/* its number in the ring (from 1); 0: empty */
	uint64_t prev;		/* the previous slot of its bucket, 0: none */
	uint64_t key;		/* its flow's key (evring_key) */
	uint64_t ts_us;		/* when it was read (realtime) */
	uint32_t len;		/* its length on the wire */
	uint32_t ifindex;	/* the interface it came in on or left by */
	uint32_t serial;	/* the engine's serial of its RST event, 0: none */
	uint32_t tcp_seq;	/* its TCP sequence number */
	uint16_t caplen;	/* bytes in data */
	uint8_t	 dir;		/* PCAPNG_DIR_IN or _OUT */
	uint8_t	 tcp_flags;	/* TH_* */
	uint8_t	 data[EVRING_SNAP];
};

struct evring;

/* A ring of slots rounded up to 2^n, EVRING_MIN to EVRING_MAX; NULL, errno. */
struct evring	*evring_new(uint32_t slots);
void		 evring_free(struct evring *r);

/* The flow key of a parsed packet: the same for both directions. */
uint64_t	 evring_key(const struct pkt *p);

/*
 * Keep one packet, parsed as p, in place of the oldest: the first
 * EVRING_SNAP of its caplen bytes, len its length on the wire.  Returns
 * the slot, for the caller to fill ifindex, dir and, once the engine has
 * made its event, serial.
 */
struct evring_slot *evring_push(struct evring *r, const struct pkt *p,
		    const uint8_t *data, uint32_t caplen, uint32_t len,
		    uint64_t ts_us);

/* What evring_flow() found: up to 2 * EVRING_SIDE_MAX + 1 slots. */
struct evring_flow {
	struct evring_slot *slot[2 * EVRING_SIDE_MAX + 1];
	unsigned n;			/* slots found, oldest first */
	unsigned rst;			/* the RST's index among them */
};

/*
 * The packets of the flow of key around the RST whose event is serial:
 * before it, back to the SYN that opened the connection (at most
 * `before`, the nearest); after it, up to the flow's next RST (whose
 * own event's packets they are), a SYN that opens another connection, or
 * until_us (at most `after`, the earliest).  Both directions, in ring
 * order; before and after are cut to EVRING_SIDE_MAX.  Returns 0, or
 * -1 when the RST itself has left the ring (the ring is too small for the
 * hold); f->n is then 0.
 */
int		 evring_flow(struct evring *r, uint64_t key,
		    uint32_t serial, uint64_t until_us, unsigned before,
		    unsigned after, struct evring_flow *f);

/* Slots in the ring (after rounding). */
uint32_t	 evring_size(const struct evring *r);

#endif
