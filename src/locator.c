/*
 * locator.c: a thread that locates injectors after middlebox verdicts,
 * fed by a bounded queue, limited per destination and in all (locator.h).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "locator.h"
#include "log.h"
#include "output.h"

struct dest_seen {
	uint8_t	 family;
	uint8_t	 addr[16];
	uint64_t at_us;		/* 0: free */
};

struct locator {
	struct locator_conf c;
	locator_emit_fn	 emit;
	void		*arg;
	pthread_t	 thread;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	int		 quit;		/* under mu; also read by the prober */
	struct locate_request q[LOCATOR_QUEUE];
	unsigned	 head, n;	/* the queue: q[head], n waiting */
	struct dest_seen seen[LOCATOR_DESTS];
	double		 tokens;	/* the budget's bucket */
	uint64_t	 tokens_at;
	struct locator_stats st;
	struct locate_result res;	/* the thread's */
};

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Was dst located within the interval?  If not, remember it now.  mu held. */
static int dest_recent(struct locator *l, const struct pkt *p, uint64_t now)
{
	struct dest_seen *d, *oldest = &l->seen[0];
	uint64_t span = (uint64_t)l->c.interval_s * 1000000;
	unsigned i;

	for (i = 0; i < LOCATOR_DESTS; i++) {
		d = &l->seen[i];
		if (d->at_us && d->family == p->family &&
		    memcmp(d->addr, p->src, 16) == 0) {
			if (now - d->at_us < span)
				return 1;
			d->at_us = now;
			return 0;
		}
		if (d->at_us < oldest->at_us)
			oldest = d;
	}
	oldest->family = p->family;
	memcpy(oldest->addr, p->src, 16);
	oldest->at_us = now;
	return 0;
}

/* Take one token of the hourly budget, if there is one.  mu held. */
static int budget_take(struct locator *l, uint64_t now)
{
	double cap = l->c.budget;

	l->tokens += (double)(now - l->tokens_at) * cap / 3600e6;
	if (l->tokens > cap)
		l->tokens = cap;
	l->tokens_at = now;
	if (l->tokens < 1)
		return -1;
	l->tokens -= 1;
	return 0;
}

/*
 * The payload that drew the RST: the last one its receiver (the RST's
 * destination) sent the claimed sender before it, from the ring.
 */
static int trigger_find(struct evring *ring, const struct rst_event *e,
			struct locate_request *q)
{
	struct evring_flow f;
	const struct pkt *r = &e->p;
	struct pkt k;
	unsigned i;

	if (ring == NULL || evring_flow(ring, evring_key(r), e->serial,
					e->ts_us, EVRING_SIDE_MAX, 0, &f) < 0)
		return -1;
	for (i = f.rst; i-- > 0;) {
		const struct evring_slot *s = f.slot[i];

		if (pkt_parse(&k, LINK_RAW, s->data, s->caplen) != PKT_OK ||
		    k.payload_caplen == 0 || k.sport != r->dport ||
		    k.dport != r->sport || memcmp(k.src, r->dst, 16) ||
		    memcmp(k.dst, r->src, 16))
			continue;
		q->lc.payload_len = k.payload_caplen;
		memcpy(q->payload, k.payload, k.payload_caplen);
		return 0;
	}
	return -1;
}

static void request_fill(struct locator *l, const struct rst_event *e,
			 struct locate_request *q)
{
	char cid[32], ts[40];

	locate_conf_default(&q->lc);
	q->lc.family = e->p.family;
	memcpy(q->lc.dst, e->p.src, 16);
	q->lc.port = e->p.sport;
	q->lc.max_ttl = l->c.max_ttl;
	if (l->c.wait_ms)
		q->lc.wait_ms = l->c.wait_ms;
	q->lc.cancel = &l->quit;
	snprintf(q->link, sizeof(q->link),
		 "\"community_id\":\"%s\",\"rst_ts\":\"%s\"",
		 output_community_id(&e->p, cid), output_time(e->ts_us, ts));
}

/* The checks, in order of cost; 0 or an errno.  mu held. */
static int offer_check(struct locator *l, const struct rst_event *e)
{
	uint64_t now = mono_us();

	l->st.offered++;
	if (l->n == LOCATOR_QUEUE) {
		l->st.queue_full++;
		return EAGAIN;
	}
	if (dest_recent(l, &e->p, now)) {
		l->st.limited_dest++;
		return EALREADY;
	}
	if (budget_take(l, now) < 0) {
		l->st.limited_budget++;
		return EDQUOT;
	}
	return 0;
}

int locator_event(struct locator *l, struct evring *ring,
		  const struct rst_event *e)
{
	struct locate_request *q;
	int err;

	if (e->v.origin != ORIGIN_MIDDLEBOX) {	/* most events: no lock */
		errno = EINVAL;
		return -1;
	}
	pthread_mutex_lock(&l->mu);
	if ((err = offer_check(l, e)) != 0)
		goto out;
	q = &l->q[(l->head + l->n) % LOCATOR_QUEUE];
	request_fill(l, e, q);
	if (trigger_find(ring, e, q) < 0) {
		l->st.no_trigger++;
		err = ENOENT;
		goto out;
	}
	l->n++;
	l->st.queued++;
	pthread_cond_signal(&l->cv);
out:
	pthread_mutex_unlock(&l->mu);
	errno = err;
	return err ? -1 : 0;
}

static void *locator_thread(void *arg)
{
	struct locator *l = arg;
	struct locate_request *q;

	pthread_mutex_lock(&l->mu);
	for (;;) {
		while (l->n == 0 && !l->quit)
			pthread_cond_wait(&l->cv, &l->mu);
		if (l->quit)
			break;
		q = &l->q[l->head];	/* stays put: only this thread frees it */
		pthread_mutex_unlock(&l->mu);
		q->lc.payload = q->payload;
		locate_run(&q->lc, &l->res);
		if (!__atomic_load_n(&l->quit, __ATOMIC_RELAXED))
			l->emit(q, &l->res, l->arg);
		pthread_mutex_lock(&l->mu);
		l->st.done++;
		l->st.found += l->res.status == LOC_FOUND;
		l->head = (l->head + 1) % LOCATOR_QUEUE;
		l->n--;
	}
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

struct locator *locator_start(const struct locator_conf *c,
			      locator_emit_fn emit, void *arg)
{
	struct locator *l = calloc(1, sizeof(*l));
	sigset_t all, old;
	int err;

	if (l == NULL)
		return NULL;
	l->c = *c;
	l->emit = emit;
	l->arg = arg;
	l->tokens = c->budget;
	l->tokens_at = mono_us();
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv, NULL);
	/* Signals stay with the main thread, whose poll() they must wake. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&l->thread, NULL, locator_thread, l);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err != 0) {
		pthread_mutex_destroy(&l->mu);
		pthread_cond_destroy(&l->cv);
		free(l);
		errno = err;
		return NULL;
	}
	return l;
}

void locator_get_stats(struct locator *l, struct locator_stats *s)
{
	pthread_mutex_lock(&l->mu);
	*s = l->st;
	pthread_mutex_unlock(&l->mu);
}

void locator_stop(struct locator *l)
{
	if (l == NULL)
		return;
	pthread_mutex_lock(&l->mu);
	__atomic_store_n(&l->quit, 1, __ATOMIC_RELAXED);
	pthread_cond_signal(&l->cv);
	pthread_mutex_unlock(&l->mu);
	pthread_join(l->thread, NULL);
	log_info("locate: %llu offered, %llu run (%llu found), turned away: "
		 "%llu by locate_interval, %llu by locate_budget, %llu with "
		 "no trigger, %llu queue full", (unsigned long long)l->st.offered,
		 (unsigned long long)l->st.done, (unsigned long long)l->st.found,
		 (unsigned long long)l->st.limited_dest,
		 (unsigned long long)l->st.limited_budget,
		 (unsigned long long)l->st.no_trigger,
		 (unsigned long long)l->st.queue_full);
	pthread_mutex_destroy(&l->mu);
	pthread_cond_destroy(&l->cv);
	free(l);
}
