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

/*
 * The ports and the family get a round of their own: folded into the
 * first address word, as they were, they collided with it whatever the
 * seed (an address and ports XORing to the same word with another's:
 * two connections in one entry).  An IPv4 address is one word, so its
 * keys take three rounds where IPv6 takes five.
 */
uint64_t flow_key(const struct pkt *p, int side, uint64_t seed)
{
	const uint8_t *lo = side ? p->dst : p->src, *hi = side ? p->src : p->dst;
	uint16_t plo = side ? p->dport : p->sport, phi = side ? p->sport : p->dport;
	uint64_t h;

	h = tab_mix(seed ^ ((uint64_t)p->family << 32 | (uint64_t)plo << 16 | phi));
	h = tab_mix(h ^ load64(lo));
	h = tab_mix(h ^ load64(hi));
	if (p->family != 6)
		return h;
	h = tab_mix(h ^ load64(lo + 8));
	return tab_mix(h ^ load64(hi + 8));
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
