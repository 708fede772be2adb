/*
 * evhand.h: a queue's evidence, handed over to the writer thread.
 *
 * The packets of a reset's flow are in its queue's ring (evring.h), whose
 * slots that queue overwrites as packets come.  The evidence files are
 * written by the writer thread (writer.h), so that a slow or hung disk
 * stalls only that thread: when an event leaves the engine, the queue
 * thread copies its flow's packets (caplen bytes each) into this FIFO
 * arena and hands a ticket over with the event; the writer reads them
 * there, and frees them in the order it takes the events.  Nothing is
 * allocated after evhand_new(); when the arena is full, the ticket says
 * so and the event goes out without its packets (counted as lost).
 *
 * Which packets of the ring are already in which evidence file (so that
 * a later reset of the same flow does not write them again) is the
 * writer's, kept here by ring slot number: evhand_shared(), evhand_mark().
 *
 * One producer (the queue thread: evhand_take(), evhand_cancel()) and one
 * consumer (the writer thread: evhand_read(), evhand_release() and the
 * marks).
 */
#ifndef RSTAUDIT_EVHAND_H
#define RSTAUDIT_EVHAND_H

#include <stddef.h>
#include <stdint.h>

#include "evring.h"
#include "rst.h"

#define EVHAND_BYTES	(4u << 20)	/* the arena of a queue */
#define EVHAND_PKTS	(2 * EVRING_SIDE_MAX + 1)

/* One packet as handed over; its caplen bytes follow, padded to 8. */
struct evhand_pkt {
	uint64_t seq;		/* its slot number in the queue's ring */
	uint64_t ts_us;
	uint32_t len;		/* on the wire */
	uint32_t ifindex;
	uint16_t caplen;
	uint8_t	 dir;		/* PCAPNG_DIR_IN or _OUT */
	uint8_t	 pad[5];
};

enum evhand_status {
	EVHAND_NONE,		/* no evidence asked for */
	EVHAND_OK,		/* the flow is in the arena */
	EVHAND_GONE,		/* the RST had left the ring */
	EVHAND_FULL,		/* the arena had no room */
};

/* What goes to the writer with an event. */
struct evhand_ticket {
	uint32_t queue;		/* the producer's index (the caller's) */
	uint32_t status;	/* enum evhand_status */
	uint64_t off;		/* the flow's bytes in the arena */
	uint32_t len;
};

/* A flow as the writer reads it back. */
struct evhand_flow {
	const struct evhand_pkt *pkt[EVHAND_PKTS];
	unsigned n;		/* oldest first */
	unsigned rst;		/* the RST's index */
};

struct evhand;

/*
 * An arena of bytes (at least twice the largest flow) for a ring of
 * ring_slots, whose events wait hold_us for their later packets.  NULL
 * with errno set.
 */
struct evhand	*evhand_new(uint32_t ring_slots, uint64_t hold_us, size_t bytes);
void		 evhand_free(struct evhand *h);

/*
 * The queue thread's, at emit: copy the packets of e's flow in ring
 * (evring_flow(): before and after) into the arena, and say where in
 * *t (queue left 0 for the caller).  Never waits; t->status says what
 * became of them.
 */
void		 evhand_take(struct evhand *h, struct evring *ring,
		    const struct rst_event *e, unsigned before, unsigned after,
		    struct evhand_ticket *t);

/* More than half the arena waits for the writer (the producer's view). */
int		 evhand_half_full(const struct evhand *h);

/* The writer did not take the event of *t (the last taken): undo. */
void		 evhand_cancel(struct evhand *h, const struct evhand_ticket *t);

/* The writer's: the flow of an EVHAND_OK ticket.  0, or -1 if malformed. */
int		 evhand_read(const struct evhand *h, const struct evhand_ticket *t,
		    struct evhand_flow *f);

/* The writer's, once done with *t: its bytes are free (in order). */
void		 evhand_release(struct evhand *h, const struct evhand_ticket *t);

/* The packet's bytes. */
static inline const uint8_t *evhand_data(const struct evhand_pkt *p)
{
	return (const uint8_t *)(p + 1);
}

/* Is ring packet seq in evidence file gen?  Its record number in *frame. */
int		 evhand_shared(const struct evhand *h, uint64_t seq, uint32_t gen,
		    uint32_t *frame);

/* Ring packet seq went into file gen as record frame. */
void		 evhand_mark(struct evhand *h, uint64_t seq, uint32_t gen,
		    uint32_t frame);

/* Slots of the queue's ring, for a message. */
uint32_t	 evhand_ring_slots(const struct evhand *h);

#endif
