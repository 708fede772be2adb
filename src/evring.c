/*
 * evring.c: the ring of recently queued packets (see evring.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "evring.h"
#include "flow.h"

#define EVRING_SEED 0x243f6a8885a308d3ULL	/* any constant: keys stay in the ring */

struct evring {
	struct evring_slot *slots;
	uint64_t	*bucket;	/* newest slot of each hash bucket, 0: none */
	uint64_t	 mask;		/* slots - 1; also the bucket mask */
	uint64_t	 next;		/* the number the next packet gets */
};

struct evring *evring_new(uint32_t slots)
{
	struct evring *r;
	uint64_t n = EVRING_MIN;

	while (n < slots && n < EVRING_MAX)
		n <<= 1;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->mask = n - 1;
	r->next = 1;
	r->slots = calloc(n, sizeof(*r->slots));
	r->bucket = calloc(n, sizeof(*r->bucket));
	if (r->slots == NULL || r->bucket == NULL) {
		evring_free(r);
		errno = ENOMEM;
		return NULL;
	}
	return r;
}

void evring_free(struct evring *r)
{
	if (r == NULL)
		return;
	free(r->slots);
	free(r->bucket);
	free(r);
}

uint32_t evring_size(const struct evring *r)
{
	return (uint32_t)(r->mask + 1);
}

uint64_t evring_key(const struct pkt *p)
{
	return flow_key(p, EVRING_SEED);
}

struct evring_slot *evring_push(struct evring *r, const struct pkt *p,
				const uint8_t *data, uint32_t caplen,
				uint32_t len, uint64_t ts_us)
{
	uint64_t key = evring_key(p), *b = &r->bucket[key & r->mask];
	struct evring_slot *s = &r->slots[r->next & r->mask];

	s->seq = r->next++;
	s->prev = *b;
	*b = s->seq;
	s->key = key;
	s->ts_us = ts_us;
	s->caplen = (uint16_t)(caplen < EVRING_SNAP ? caplen : EVRING_SNAP);
	s->len = len > caplen ? len : caplen;
	s->ifindex = 0;
	s->serial = 0;
	s->dir = 0;
	s->tcp_flags = p->flags;
	s->tcp_seq = p->seq;
	memcpy(s->data, data, s->caplen);
	return s;
}

/* The slot numbered seq, or NULL when it has been overwritten (or is 0). */
static struct evring_slot *slot_at(struct evring *r, uint64_t seq)
{
	struct evring_slot *s;

	if (seq == 0)
		return NULL;
	s = &r->slots[seq & r->mask];
	return s->seq == seq ? s : NULL;
}

static int bare_syn(const struct evring_slot *s)
{
	return (s->tcp_flags & (TH_SYN | TH_ACK | TH_RST)) == TH_SYN;
}

/* Where the walk is: after the RST (it goes back in time), or before it. */
struct walk {
	struct evring_slot *aft[EVRING_SIDE_MAX];	/* a circle: the latest kept */
	unsigned na, wa;		/* kept, and the next place to write */
	unsigned nb;			/* before: in f->slot, newest first */
	int	 syn;			/* the opening SYN is among them */
	uint32_t syn_seq;
};

/* A packet later than the RST, met newest first: keep the earliest `after`. */
static void walk_after(struct walk *w, struct evring_slot *s, unsigned after)
{
	if (after == 0)
		return;
	/*
	 * A SYN that opens another connection, or a later RST (the packets
	 * after that one are its own event's evidence): what came later
	 * belongs elsewhere.  By its flags, not its serial: the RST being
	 * handed to the engine right now has none yet, and the engine may
	 * release this event on that very packet.
	 */
	if (bare_syn(s) || (s->tcp_flags & TH_RST)) {
		w->na = w->wa = 0;
		return;
	}
	w->aft[w->wa] = s;
	w->wa = (w->wa + 1) % after;
	if (w->na < after)
		w->na++;
}

/* A packet earlier than the RST.  Returns 0 to stop the walk. */
static int walk_before(struct walk *w, struct evring_flow *f,
		       struct evring_slot *s, unsigned before)
{
	if (w->nb == before)
		return 0;
	if (w->syn) {
		/* Only retransmissions of the opening SYN are still this connection. */
		if (!bare_syn(s) || s->tcp_seq != w->syn_seq)
			return 0;
	} else if (bare_syn(s)) {
		w->syn = 1;
		w->syn_seq = s->tcp_seq;
	}
	f->slot[w->nb++] = s;
	return 1;
}

/* Into time order: before (kept newest first), the RST, after. */
static void walk_order(struct walk *w, struct evring_flow *f,
		       struct evring_slot *rst, unsigned after)
{
	unsigned i, j;

	for (i = 0, j = w->nb; i + 1 < j; i++, j--) {
		struct evring_slot *t = f->slot[i];

		f->slot[i] = f->slot[j - 1];
		f->slot[j - 1] = t;
	}
	f->rst = w->nb;
	f->slot[w->nb] = rst;
	f->n = w->nb + 1;
	/* The last written in the circle is the earliest in time. */
	for (i = 0; i < w->na; i++)
		f->slot[f->n++] = w->aft[(w->wa + after - 1 - i) % after];
}

int evring_flow(struct evring *r, uint64_t key, uint32_t serial,
		uint64_t until_us, unsigned before, unsigned after,
		struct evring_flow *f)
{
	struct evring_slot *s, *rst = NULL;
	struct walk w;

	if (before > EVRING_SIDE_MAX)
		before = EVRING_SIDE_MAX;
	if (after > EVRING_SIDE_MAX)
		after = EVRING_SIDE_MAX;
	memset(&w, 0, sizeof(w));
	f->n = f->rst = 0;
	for (s = slot_at(r, r->bucket[key & r->mask]); s != NULL;
	     s = slot_at(r, s->prev)) {
		if (s->key != key)
			continue;	/* another flow in the same bucket */
		if (rst == NULL) {
			if (s->serial == serial && serial != 0)
				rst = s;
			else if (s->ts_us <= until_us)
				walk_after(&w, s, after);
		} else if (!walk_before(&w, f, s, before)) {
			break;
		}
	}
	if (rst == NULL)
		return -1;
	walk_order(&w, f, rst, after);
	return 0;
}
