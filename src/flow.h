/*
 * flow.h: what we remember of each TCP connection, per direction.
 *
 * A flow's two sides are ordered canonically (side 0 is the endpoint
 * whose address and port sort lower), so both directions of a connection
 * find the same entry.  Entries are 64 bytes: one cache line.
 */
#ifndef RSTAUDIT_FLOW_H
#define RSTAUDIT_FLOW_H

#include <stdint.h>

#include "pkt.h"
#include "table.h"

/* flow_side.f */
#define SIDE_SEEN	0x01	/* sent a packet other than a RST */
#define SIDE_SYN	0x02	/* sent a SYN (no ACK) */
#define SIDE_SYNACK	0x04	/* sent a SYN/ACK */
#define SIDE_FIN	0x08	/* sent a FIN */
#define SIDE_RST	0x10	/* sent a RST, and nothing since */
#define SIDE_DF		0x20	/* its last packet had DF set */
#define SIDE_TS		0x40	/* it uses TCP timestamps */
#define SIDE_IPID_SEQ	0x80	/* its IP IDs count up in small steps */

/* The state of one direction: what one endpoint has sent. */
struct flow_side {
	uint32_t nxt;		/* highest sequence end sent (SYN, FIN count) */
	uint32_t ack;		/* highest ack sent: its receive next */
	uint32_t tsval;		/* last TS value sent */
	uint32_t last_sig;	/* its last packet of any kind: end seq and IP ID */
	uint16_t win;		/* last window, unscaled */
	uint16_t ipid;		/* IP ID of its last packet other than a RST */
	uint8_t ttl;		/* TTL of its last packet other than a RST */
	uint8_t last_ttl;	/* TTL of its last packet of any kind */
	uint8_t wscale : 4;	/* window scale it announced (15: none) */
	uint8_t sent_ack : 1;	/* it has sent a segment with ACK: ack is valid */
	uint8_t evicted : 1;	/* s[0]: the flow was evicted before, its
				 * earlier history is lost (engine.c) */
	uint8_t spare_ : 2;
	uint8_t f;		/* SIDE_* */
};

struct flow {
	struct tab_hdr h;	/* h.user: serial of the newest held RST */
	struct flow_side s[2];
};

/* Which side of its flow the packet's sender is (0 or 1). */
int flow_sender_side(const struct pkt *p);

/* The flow key of a packet: the same for both directions. */
uint64_t flow_key(const struct pkt *p, uint64_t seed);

/*
 * Is p the same packet as the last one this side sent, captured again
 * after a router decremented its TTL (a gateway capturing on every
 * interface sees each forwarded packet twice)?
 */
int flow_is_forwarded_copy(const struct flow_side *s, const struct pkt *p);

/*
 * Does this SYN open a new connection on the ports of an old one (the old
 * one was reset or closed, or the SYN carries another ISN)?  A
 * retransmitted SYN does not.
 */
int flow_is_new_attempt(const struct flow *f, int side, const struct pkt *p);

/* Account packet p, sent by side s, in the flow's state. */
void flow_update(struct flow_side *s, const struct pkt *p);

#endif
