/*
 * evhand.c: a queue's evidence on its way to the writer (see evhand.h).
 *
 * The arena is a ring of bytes counted from 0 for ever: the producer
 * alone moves head (its own), the consumer alone moves tail (atomic),
 * and a flow never wraps: when it does not fit before the end, it starts
 * at the next lap and the bytes skipped are freed with it.  The bytes of
 * a flow reach the writer behind the writer's mutex (writer_put()); the
 * consumer gives them back with a release store of tail.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "evhand.h"

#define ALIGN8(n)	(((n) + 7) & ~(size_t)7)

/* Before the packets of a flow. */
struct evhand_head {
	uint32_t n;
	uint32_t rst;
};

/* Which file a packet of the ring went into, by its slot number. */
struct evhand_mark {
	uint64_t seq;		/* 0: none */
	uint32_t gen;
	uint32_t frame;
};

struct evhand {
	uint8_t		*buf;
	size_t		 size;
	uint64_t	 head;		/* the producer's */
	uint64_t	 tail;		/* the consumer's (__atomic_*) */
	uint64_t	 hold_us;
	struct evring_flow flow;	/* the producer's scratch */
	struct evhand_mark *marks;	/* the consumer's, one per ring slot */
	uint64_t	 mask;
};

struct evhand *evhand_new(uint32_t ring_slots, uint64_t hold_us, size_t bytes)
{
	size_t most = sizeof(struct evhand_head) + EVHAND_PKTS *
		      (sizeof(struct evhand_pkt) + ALIGN8(EVRING_SNAP));
	struct evhand *h;
	uint64_t n = 1;

	if (bytes < 2 * most || ring_slots == 0) {
		errno = EINVAL;
		return NULL;
	}
	while (n < ring_slots)
		n <<= 1;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	h->size = bytes;
	h->hold_us = hold_us;
	h->mask = n - 1;
	h->buf = malloc(bytes);
	h->marks = calloc(n, sizeof(*h->marks));
	if (h->buf == NULL || h->marks == NULL) {
		evhand_free(h);
		errno = ENOMEM;
		return NULL;
	}
	return h;
}

void evhand_free(struct evhand *h)
{
	if (h == NULL)
		return;
	free(h->buf);
	free(h->marks);
	free(h);
}

uint32_t evhand_ring_slots(const struct evhand *h)
{
	return (uint32_t)(h->mask + 1);
}

/* Room for len contiguous bytes: their offset, or -1 when full. */
static int64_t reserve(struct evhand *h, size_t len)
{
	uint64_t tail = __atomic_load_n(&h->tail, __ATOMIC_ACQUIRE);
	uint64_t at = h->head, pos = at % h->size;

	if (pos + len > h->size)
		at += h->size - pos;		/* the next lap */
	if (at + len - tail > h->size)
		return -1;
	h->head = at + len;
	return (int64_t)at;
}

void evhand_take(struct evhand *h, struct evring *ring,
		 const struct rst_event *e, unsigned before, unsigned after,
		 struct evhand_ticket *t)
{
	struct evring_flow *f = &h->flow;
	struct evhand_head hd;
	size_t len = sizeof(hd);
	int64_t at;
	uint8_t *b;
	unsigned i;

	memset(t, 0, sizeof(*t));
	if (evring_flow(ring, evring_key(&e->p), e->serial,
			e->ts_us + h->hold_us, before, after, f) < 0) {
		t->status = EVHAND_GONE;
		return;
	}
	for (i = 0; i < f->n; i++)
		len += sizeof(struct evhand_pkt) + ALIGN8(f->slot[i]->caplen);
	if ((at = reserve(h, len)) < 0) {
		t->status = EVHAND_FULL;
		return;
	}
	b = h->buf + (uint64_t)at % h->size;
	hd.n = f->n;
	hd.rst = f->rst;
	memcpy(b, &hd, sizeof(hd));
	b += sizeof(hd);
	for (i = 0; i < f->n; i++) {
		const struct evring_slot *s = f->slot[i];
		struct evhand_pkt p;

		memset(&p, 0, sizeof(p));
		p.seq = s->seq;
		p.ts_us = s->ts_us;
		p.len = s->len;
		p.ifindex = s->ifindex;
		p.caplen = s->caplen;
		p.dir = s->dir;
		memcpy(b, &p, sizeof(p));
		memcpy(b + sizeof(p), s->data, s->caplen);
		b += sizeof(p) + ALIGN8(s->caplen);
	}
	t->status = EVHAND_OK;
	t->off = (uint64_t)at;
	t->len = (uint32_t)len;
}

int evhand_half_full(const struct evhand *h)
{
	return h->head - __atomic_load_n(&h->tail, __ATOMIC_ACQUIRE) >
	       h->size / 2;
}

void evhand_cancel(struct evhand *h, const struct evhand_ticket *t)
{
	if (t->status == EVHAND_OK && t->off + t->len == h->head)
		h->head = t->off;	/* a skipped end of lap stays skipped */
}

int evhand_read(const struct evhand *h, const struct evhand_ticket *t,
		struct evhand_flow *f)
{
	const uint8_t *b = h->buf + t->off % h->size, *end = b + t->len;
	struct evhand_head hd;
	unsigned i;

	f->n = f->rst = 0;
	if (t->status != EVHAND_OK || t->len < sizeof(hd))
		return -1;
	memcpy(&hd, b, sizeof(hd));
	if (hd.n > EVHAND_PKTS || hd.rst >= hd.n)
		return -1;
	b += sizeof(hd);
	for (i = 0; i < hd.n; i++) {
		const struct evhand_pkt *p = (const struct evhand_pkt *)b;

		if ((size_t)(end - b) < sizeof(*p) ||
		    (size_t)(end - b) < sizeof(*p) + ALIGN8(p->caplen))
			return -1;
		f->pkt[i] = p;
		b += sizeof(*p) + ALIGN8(p->caplen);
	}
	f->n = hd.n;
	f->rst = hd.rst;
	return 0;
}

void evhand_release(struct evhand *h, const struct evhand_ticket *t)
{
	if (t->status == EVHAND_OK)
		__atomic_store_n(&h->tail, t->off + t->len, __ATOMIC_RELEASE);
}

int evhand_shared(const struct evhand *h, uint64_t seq, uint32_t gen,
		  uint32_t *frame)
{
	const struct evhand_mark *m = &h->marks[seq & h->mask];

	if (m->seq != seq || m->gen != gen || gen == 0)
		return 0;
	*frame = m->frame;
	return 1;
}

void evhand_mark(struct evhand *h, uint64_t seq, uint32_t gen, uint32_t frame)
{
	struct evhand_mark *m = &h->marks[seq & h->mask];

	m->seq = seq;
	m->gen = gen;
	m->frame = frame;
}
