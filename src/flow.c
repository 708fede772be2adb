/*
 * flow.c: per-connection, per-direction state (see flow.h).
 */
#include <string.h>

#include "flow.h"

/* IP ID steps up to this count as "the same series". */
#define IPID_SERIES_STEP 64

static inline uint64_t load64(const uint8_t *b)
{
	uint64_t v;

	memcpy(&v, b, sizeof(v));
	return v;
}

/*
 * Any total order of the two endpoints will do, as long as both
 * directions agree on it: compare the addresses as two machine words.
 */
int flow_sender_side(const struct pkt *p)
{
	uint64_t s0 = load64(p->src), d0 = load64(p->dst);
	uint64_t s1 = load64(p->src + 8), d1 = load64(p->dst + 8);

	/*
	 * Without branches: which side sends is a coin toss to the branch
	 * predictor, and a miss cost more than this whole function.
	 */
	return (s0 > d0) | ((s0 == d0) & ((s1 > d1) |
		((s1 == d1) & (p->sport > p->dport))));
}

/* The 128-bit product of a and b, its halves XORed (wyhash's mum). */
static inline uint64_t mum(uint64_t a, uint64_t b)
{
	__uint128_t r = (__uint128_t)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/*
 * One endpoint under the seed: its address (two words, the second zero
 * for IPv4), then its port and the family, in a word of their own.
 * - Folded into an address word, as they once were, the port and family
 *   collided with it whatever the seed (an address and a port XORing to
 *   the same word as another's: two connections in one entry).
 * - Added to the address's hash, the port would let A:1 - B:2 and
 *   A:2 - B:1 share a key (the sum of the endpoints would not tell which
 *   port went with which address): the port goes into a second product.
 * - The seed is in every factor, so that no input zeroes a product
 *   whatever the seed.
 */
static inline uint64_t endpoint_hash(const uint8_t *a, uint16_t port,
				     uint8_t family, uint64_t seed)
{
	uint64_t h = mum(load64(a) ^ seed,
			 load64(a + 8) ^ seed ^ 0xa0761d6478bd642fULL);

	return mum(h ^ ((uint64_t)family << 16 | port) ^ 0xe7037ed1a0b428dbULL,
		   seed ^ 0x8ebc6af09c88c6e3ULL);
}

/*
 * The sum of the endpoints' hashes does not depend on which one sent:
 * no comparison to order them, no branch on a coin toss, and the two
 * endpoints' products run side by side, where the rounds before this
 * one (three for IPv4, five for IPv6) each waited for the last.
 */
uint64_t flow_key(const struct pkt *p, uint64_t seed)
{
	return tab_mix(endpoint_hash(p->src, p->sport, p->family, seed) +
		       endpoint_hash(p->dst, p->dport, p->family, seed));
}

static uint32_t seq_end(const struct pkt *p)
{
	return p->seq + p->payload_len + !!(p->flags & TH_SYN) +
	       !!(p->flags & TH_FIN);
}

/* What identifies a packet well enough to spot it again one hop later. */
static uint32_t packet_sig(const struct pkt *p)
{
	return seq_end(p) ^ ((uint32_t)p->ipid * 0x9e3779b1u);
}

int flow_is_forwarded_copy(const struct flow_side *s, const struct pkt *p)
{
	if (s->last_ttl == 0 || p->ttl + 1 != s->last_ttl)
		return 0;
	if (s->last_sig != packet_sig(p))
		return 0;
	/* A RST leaves s->ack alone (flow_update), so only others can say. */
	return (p->flags & TH_RST) || !(p->flags & TH_ACK) || p->ack == s->ack;
}

int flow_is_new_attempt(const struct flow *f, int side, const struct pkt *p)
{
	const struct flow_side *s = &f->s[side], *r = &f->s[!side];

	if ((p->flags & (TH_SYN | TH_ACK)) != TH_SYN || !(s->f & SIDE_SEEN))
		return 0;
	if ((s->f | r->f) & (SIDE_RST | SIDE_FIN))
		return 1;
	return !(s->f & SIDE_SYN) || s->nxt != p->seq + 1;
}

static void flow_update_ipid(struct flow_side *s, const struct pkt *p)
{
	uint16_t step = (uint16_t)(p->ipid - s->ipid);

	if ((s->f & SIDE_SEEN) && p->ipid != 0 && step >= 1 &&
	    step <= IPID_SERIES_STEP)
		s->f |= SIDE_IPID_SEQ;
	else if (s->f & SIDE_SEEN)
		s->f &= (uint8_t)~SIDE_IPID_SEQ;
	s->ipid = p->ipid;
}

void flow_update(struct flow_side *s, const struct pkt *p)
{
	uint32_t end = seq_end(p);

	s->last_sig = packet_sig(p);
	s->last_ttl = p->ttl;
	if (p->flags & TH_RST) {
		/* A RST says nothing of the sender's usual TTL or series. */
		s->f |= SIDE_RST;
		return;
	}
	if (p->family == 4)
		flow_update_ipid(s, p);
	if (!(s->f & SIDE_SEEN) || SEQ_GT(end, s->nxt))
		s->nxt = end;
	if ((p->flags & TH_ACK) && (!s->sent_ack || SEQ_GT(p->ack, s->ack))) {
		s->ack = p->ack;
		s->sent_ack = 1;
	}
	if (p->flags & TH_SYN) {
		s->f |= (p->flags & TH_ACK) ? SIDE_SYNACK : SIDE_SYN;
		s->wscale = (p->opt.has & TOPT_WSCALE) && p->opt.wscale <= 14
				    ? p->opt.wscale : 15;
	}
	if (p->flags & TH_FIN)
		s->f |= SIDE_FIN;
	if (p->opt.has & TOPT_TS) {
		s->f |= SIDE_TS;
		s->tsval = p->opt.tsval;
	}
	/* Still talking: whatever RST it sent before did not end it. */
	s->f &= (uint8_t)~(SIDE_DF | SIDE_RST);
	s->f |= p->df ? SIDE_DF : 0;
	s->win = p->win;
	s->ttl = p->ttl;
	s->f |= SIDE_SEEN;
}
