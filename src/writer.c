/*
 * writer.c: the event writer thread (see writer.h).
 *
 * One ring of event copies, many producers (the queue threads) and one
 * consumer, under one mutex held only to copy an event in or to move
 * the indices: the consumer writes a batch of slots without it, as the
 * producers only ever fill slots past the batch.
 *
 * An event's evidence file (rst_live.pcap_file) is written, and named,
 * in this thread, by the callback: the slot keeps the ticket of its
 * packets (evhand.h), not a name.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "writer.h"

struct writer_slot {
	struct rst_event	e;
	struct evhand_ticket	t;
	int			has_t;
};

struct writer {
	pthread_mutex_t		 mu;
	pthread_cond_t		 more;		/* to the writer: events, or stop */
	pthread_cond_t		 room;		/* to a waiting producer */
	pthread_t		 tid;
	int			 stopping;
	int			 wake;		/* half full, or stopping: now */
	uint32_t		 mask;
	uint64_t		 head, tail;	/* put at head, written from tail */
	uint64_t		 tick_us;
	writer_event_fn		*ev;
	writer_flush_fn		*flush;
	void			*arg;
	struct writer_stats	 st;
	struct writer_slot	*slots;
};

/* The absolute time tick_us from now, for pthread_cond_timedwait(). */
static struct timespec writer_deadline(uint64_t us)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)(us / 1000000);
	ts.tv_nsec += (long)(us % 1000000) * 1000;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

/* Write one slot's event. */
static void writer_one(struct writer *w, struct writer_slot *s)
{
	s->e.p.payload = s->e.payload;
	w->ev(&s->e, s->has_t ? &s->t : NULL, w->arg);
}

/*
 * Once a tick, or at once when the ring is half full: write what is
 * queued, then flush it.  Not a wake-up per event: on a loaded core that
 * cost the queue thread a context switch per RST (bench/live.sh: 16.5
 * to 21.7 us of CPU per verdict), and an event has waited its hold in
 * the engine anyway.
 */
static void *writer_main(void *arg)
{
	struct writer *w = arg;
	uint64_t from, to, dirty = 0;
	struct timespec until;
	int stop;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		until = writer_deadline(w->tick_us);
		while (!w->wake && !w->stopping)
			if (pthread_cond_timedwait(&w->more, &w->mu, &until) ==
			    ETIMEDOUT)
				break;
		w->wake = 0;
		from = w->tail, to = w->head, stop = w->stopping;
		pthread_mutex_unlock(&w->mu);
		for (uint64_t i = from; i < to; i++)
			writer_one(w, &w->slots[i & w->mask]);
		dirty += to - from;
		if (dirty) {
			w->flush(w->arg);
			dirty = 0;
		}
		pthread_mutex_lock(&w->mu);
		w->tail = to;
		w->st.written += to - from;
		if (to != from)
			pthread_cond_broadcast(&w->room);
		if (stop && w->head == w->tail)
			break;
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

struct writer *writer_start(uint32_t slots, uint64_t tick_us,
			    writer_event_fn *ev, writer_flush_fn *flush,
			    void *arg)
{
	pthread_condattr_t ca;
	struct writer *w;
	int err;

	if (slots == 0 || (slots & (slots - 1)) != 0) {
		errno = EINVAL;
		return NULL;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	if ((w->slots = calloc(slots, sizeof(*w->slots))) == NULL) {
		free(w);
		return NULL;
	}
	w->mask = slots - 1;
	w->st.slots = slots;
	w->tick_us = tick_us;
	w->ev = ev, w->flush = flush, w->arg = arg;
	pthread_mutex_init(&w->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->more, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&w->room, NULL);
	if ((err = pthread_create(&w->tid, NULL, writer_main, w)) != 0) {
		pthread_cond_destroy(&w->more);
		pthread_cond_destroy(&w->room);
		pthread_mutex_destroy(&w->mu);
		free(w->slots);
		free(w);
		errno = err;
		return NULL;
	}
	(void)pthread_setname_np(w->tid, "rstaudit-write");
	return w;
}

int writer_put(struct writer *w, const struct rst_event *e,
	       const struct evhand_ticket *t, int wait)
{
	struct writer_slot *s;

	pthread_mutex_lock(&w->mu);
	while (w->head - w->tail > w->mask) {
		if (!wait) {
			w->st.dropped++;
			pthread_mutex_unlock(&w->mu);
			return -1;
		}
		w->wake = 1;
		pthread_cond_signal(&w->more);
		pthread_cond_wait(&w->room, &w->mu);
	}
	s = &w->slots[w->head & w->mask];
	s->e = *e;
	s->e.live.pcap_file = NULL;	/* the callback's */
	s->has_t = t != NULL;
	if (t != NULL)
		s->t = *t;
	if (++w->head - w->tail == (w->mask + 1) / 2) {
		w->wake = 1;		/* room left for a tick or so */
		pthread_cond_signal(&w->more);
	}
	w->st.put++;
	pthread_mutex_unlock(&w->mu);
	return 0;
}

void writer_wake(struct writer *w)
{
	pthread_mutex_lock(&w->mu);
	w->wake = 1;
	pthread_cond_signal(&w->more);
	pthread_mutex_unlock(&w->mu);
}

void writer_stop(struct writer *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stopping = 1;
	pthread_cond_signal(&w->more);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->tid, NULL);
	pthread_cond_destroy(&w->more);
	pthread_cond_destroy(&w->room);
	pthread_mutex_destroy(&w->mu);
	free(w->slots);
	free(w);
}

void writer_get_stats(struct writer *w, struct writer_stats *st)
{
	pthread_mutex_lock(&w->mu);
	*st = w->st;
	st->queued = (uint32_t)(w->head - w->tail);
	pthread_mutex_unlock(&w->mu);
}
