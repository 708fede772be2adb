/*
 * writer.h: the event writer, a thread of its own (the live daemon's,
 * and analyze's when it reads in a second thread: there, with no
 * ticket, and writer_put() waits for room, so nothing is dropped).
 *
 * A queue thread hands each released event over (writer_put(): a copy
 * into a bounded ring, never a wait), with the ticket of its flow's
 * packets (evhand.h); the writer thread writes its evidence file, formats
 * and writes it through the owner's callback (the evidence file, the
 * event file, syslog(3), the syslog target's queue, the journal) and
 * flushes every tick.  A slow
 * disk or a blocked receiver then stalls only this thread: while it is
 * stalled, the ring fills, and what no longer fits is dropped and
 * counted, never waited for (but at shutdown, when nothing may be lost).
 */
#ifndef RSTAUDIT_WRITER_H
#define RSTAUDIT_WRITER_H

#include <stdint.h>

#include "evhand.h"
#include "rst.h"

struct writer_stats {
	uint64_t	put;		/* events handed over */
	uint64_t	written;	/* given to the callback */
	uint64_t	dropped;	/* the ring was full */
	uint32_t	queued;		/* waiting now */
	uint32_t	slots;
};

/*
 * Write one event (in the writer thread), its ticket t as handed over
 * (NULL: none); the callback may fill e->live, and releases t.
 */
typedef void writer_event_fn(struct rst_event *e,
			     const struct evhand_ticket *t, void *arg);
/* Push out what was written (in the writer thread, every tick_us). */
typedef void writer_flush_fn(void *arg);

struct writer;

/*
 * Start the thread, with room for slots events (a power of two).  NULL
 * with errno set.
 */
struct writer	*writer_start(uint32_t slots, uint64_t tick_us,
		    writer_event_fn *ev, writer_flush_fn *flush, void *arg);

/*
 * Hand e over, with t (NULL: none).  0, or -1 when the ring is full and e
 * was dropped (and counted: the caller takes t back); with wait set,
 * waits for room instead (shutdown).
 */
int		 writer_put(struct writer *w, const struct rst_event *e,
		    const struct evhand_ticket *t, int wait);

/* Write what is queued now, not at the next tick (a producer runs short). */
void		 writer_wake(struct writer *w);

/* Write what is queued, flush, end the thread and free it.  NULL: none. */
void		 writer_stop(struct writer *w);

void		 writer_get_stats(struct writer *w, struct writer_stats *st);

#endif
