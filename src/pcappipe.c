/*
 * pcappipe.c: a mapped classic pcap file analysed by two threads (see
 * pcappipe.h).
 *
 * A reader thread walks the mapping, counts and parses each record and
 * computes its flow key (pcapin_fill()); it hands the frames over in
 * batches, in order, through a ring of batches taken once per file.  The
 * calling thread runs the engine and so the output, as pcapin_run_map()
 * does.  Only the reader touches the mapping (a RST's payload is copied
 * into its slot), so a file that shrinks faults in the reader, where
 * pcapin_read_map() catches it; the frames before it are handed over and
 * judged, and the reason comes back with the last batch.
 */
#include <pthread.h>
#include <stdlib.h>

#include "pcapin_int.h"
#include "pcapmap.h"
#include "pcappipe.h"

#define PIPE_BATCH	256	/* frames a hand-over: one lock per batch */
#define PIPE_BATCHES	16	/* batches in the ring */
#define PIPE_AHEAD	8	/* frames prefetched ahead of the engine */

struct pipe_batch {
	unsigned		 n;
	struct pcapin_slot	 s[PIPE_BATCH];
};

struct pcappipe {
	struct pcapmap		*m;
	const struct engine	*eng;	/* the reader reads only its seed */
	struct pcapin_stats	*st;	/* the reader's until it is joined */
	char			*err;
	size_t			 errlen;
	int			 rc;	/* pcapin_read_map()'s */
	struct pipe_batch	*fill;	/* the reader's batch */
	pthread_mutex_t		 mu;
	pthread_cond_t		 more;	/* to the engine: a batch, or the end */
	pthread_cond_t		 room;	/* to the reader: half the ring free */
	unsigned		 put, got; /* batches handed over, judged */
	int			 done;	/* the last batch is handed over */
	int			 reader_waits, engine_waits;
	struct pipe_batch	 ring[PIPE_BATCHES];
};

/*
 * Hand the reader's batch over and take the next, waiting for room
 * unless it was the last.  A waiting reader is woken only once half the
 * ring is free, so that it sleeps once per many batches, not per batch.
 */
static void pipe_put(struct pcappipe *pp, int last)
{
	pthread_mutex_lock(&pp->mu);
	pp->put++;
	pp->done = last;
	if (pp->engine_waits)
		pthread_cond_signal(&pp->more);
	while (!last && pp->put - pp->got == PIPE_BATCHES) {
		pp->reader_waits = 1;
		pthread_cond_wait(&pp->room, &pp->mu);
	}
	pp->reader_waits = 0;
	pthread_mutex_unlock(&pp->mu);
	if (last)
		return;		/* the next slot may be the engine's */
	pp->fill = &pp->ring[pp->put % PIPE_BATCHES];
	pp->fill->n = 0;
}

/* pcapin_read_map()'s take: one record into the batch being filled. */
static void pipe_take(u_char *arg, const struct pcap_pkthdr *h,
		      const u_char *bytes)
{
	struct pcappipe *pp = (struct pcappipe *)arg;
	struct pipe_batch *b = pp->fill;

	if (pcapin_fill(&b->s[b->n], pp->m->lt, pp->eng, engine_flow_key,
			pp->st, h, bytes) && ++b->n == PIPE_BATCH)
		pipe_put(pp, 0);
}

static void *pipe_reader(void *arg)
{
	struct pcappipe *pp = arg;

	pp->rc = pcapin_read_map(pp->m, pp->st, pipe_take, (u_char *)pp,
				 pp->err, pp->errlen);
	pipe_put(pp, 1);
	return NULL;
}

/* One batch through the engine, prefetching a few frames ahead. */
static void pipe_judge(struct engine *eng, const struct pipe_batch *b)
{
	const struct pcapin_slot *s;
	unsigned i;

	for (i = 0; i < b->n && i < PIPE_AHEAD; i++)
		engine_prefetch_key(eng, &b->s[i].p, b->s[i].key);
	for (i = 0; i < b->n; i++) {
		if (i + PIPE_AHEAD < b->n) {
			s = &b->s[i + PIPE_AHEAD];
			engine_prefetch_key(eng, &s->p, s->key);
		}
		s = &b->s[i];
		engine_packet_key(eng, &s->p, s->key, s->ts_us, s->frame);
	}
}

/* The next batch handed over, or NULL after the last. */
static struct pipe_batch *pipe_get(struct pcappipe *pp)
{
	struct pipe_batch *b = NULL;

	pthread_mutex_lock(&pp->mu);
	while (pp->got == pp->put && !pp->done) {
		pp->engine_waits = 1;
		pthread_cond_wait(&pp->more, &pp->mu);
	}
	pp->engine_waits = 0;
	if (pp->got != pp->put)
		b = &pp->ring[pp->got % PIPE_BATCHES];
	pthread_mutex_unlock(&pp->mu);
	return b;
}

/* The batch pipe_get() gave is judged: its room is the reader's again. */
static void pipe_release(struct pcappipe *pp)
{
	pthread_mutex_lock(&pp->mu);
	pp->got++;
	if (pp->reader_waits && pp->put - pp->got <= PIPE_BATCHES / 2)
		pthread_cond_signal(&pp->room);
	pthread_mutex_unlock(&pp->mu);
}

static void pipe_free(struct pcappipe *pp)
{
	pthread_cond_destroy(&pp->room);
	pthread_cond_destroy(&pp->more);
	pthread_mutex_destroy(&pp->mu);
	free(pp);
}

int pcappipe_run(struct pcapmap *m, struct engine *eng,
		 struct pcapin_stats *st, char *err, size_t errlen,
		 long *offset)
{
	struct pipe_batch *b;
	struct pcappipe *pp;
	pthread_t tid;
	int rc;

	if ((pp = calloc(1, sizeof(*pp))) == NULL)
		return pcapin_run_map(m, eng, st, err, errlen, offset);
	pp->m = m, pp->eng = eng, pp->st = st;
	pp->err = err, pp->errlen = errlen;
	pp->fill = &pp->ring[0];
	pthread_mutex_init(&pp->mu, NULL);
	pthread_cond_init(&pp->more, NULL);
	pthread_cond_init(&pp->room, NULL);
	/* Nothing is read yet: one thread does the same work. */
	if (pthread_create(&tid, NULL, pipe_reader, pp) != 0) {
		pipe_free(pp);
		return pcapin_run_map(m, eng, st, err, errlen, offset);
	}
	while ((b = pipe_get(pp)) != NULL) {
		pipe_judge(eng, b);
		pipe_release(pp);
	}
	pthread_join(tid, NULL);
	rc = pp->rc;
	pipe_free(pp);
	if (rc == 0)
		return 0;
	/* As pcapin_run_map() counts it. */
	*offset = (long)(PCAP_FILE_HDR + st->bytes);
	return -1;
}
