/*
 * rstdelay.h: how long after its trigger a RST came, against the round
 * trip to its claimed sender, as this observer saw both.
 *
 * A genuine endpoint cannot answer sooner than one round trip from here
 * (the trigger must reach it, the RST come back); an injector nearer to
 * the observer answers sooner.  The round trip to each side is learnt
 * from the handshake: SYN to SYN/ACK for the side that answers it,
 * SYN/ACK to the first ACK for the other.  The trigger is the last
 * segment with payload the RST's receiver sent.
 *
 * A direct-mapped table of RSTDELAY_SLOTS entries keyed by the engine's
 * flow key: a collision overwrites (the estimate is lost, never wrong).
 * Pure; allocated once.
 */
#ifndef RSTAUDIT_RSTDELAY_H
#define RSTAUDIT_RSTDELAY_H

#include <stdint.h>

#include "pkt.h"

#define RSTDELAY_SLOTS	(1u << 16)

struct rst_delay {
	uint8_t	 valid;		/* both below are known */
	uint32_t delay_us;	/* from the trigger to the RST */
	uint32_t rtt_us;	/* round trip from here to the claimed sender */
};

struct rstdelay;

/* populate: faulted in now (tab_map()).  NULL, errno. */
struct rstdelay	*rstdelay_new(int populate);
void		 rstdelay_free(struct rstdelay *d);

/* Start loading key's entry: a batch of packets hides the cache miss. */
void		 rstdelay_prefetch(const struct rstdelay *d, uint64_t key);

/*
 * Account packet p of the flow key, sent by side (flow_sender_side());
 * when out is not NULL, p is a RST and out receives its delay.
 */
void		 rstdelay_packet(struct rstdelay *d, uint64_t key, int side,
				 const struct pkt *p, uint64_t ts_us,
				 struct rst_delay *out);

#endif
