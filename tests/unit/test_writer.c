/*
 * test_writer.c: the event writer thread.  Events come out in the order
 * they went in, a full ring drops (and counts) rather than wait, waiting
 * puts lose nothing, an event comes with its own evidence ticket (or none)
 * and no file name from the producer, and what was written is flushed.
 */
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "t.h"
#include "writer.h"

#define TICK_US	10000

static pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
static uint32_t seen[4096];
static struct evhand_ticket seen_t[8];	/* status EVHAND_NONE: no ticket */
static int seen_named, nseen, nflush;

static void rec_event(struct rst_event *e, const struct evhand_ticket *t,
		      void *arg)
{
	(void)arg;
	pthread_mutex_lock(&gate);	/* held by a test: the writer stalls */
	if (nseen < 8 && t != NULL)
		seen_t[nseen] = *t;
	seen_named += e->live.pcap_file != NULL;
	if (nseen < 4096)
		seen[nseen] = e->serial;
	nseen++;
	pthread_mutex_unlock(&gate);
}

static void rec_flush(void *arg)
{
	(void)arg;
	__atomic_add_fetch(&nflush, 1, __ATOMIC_RELAXED);
}

static struct writer *mk(uint32_t slots)
{
	nseen = nflush = seen_named = 0;
	memset(seen_t, 0, sizeof(seen_t));
	return writer_start(slots, TICK_US, rec_event, rec_flush, NULL);
}

static void test_order_and_stop(void)
{
	struct writer *w = mk(64);
	struct rst_event e;
	struct writer_stats st;
	int i, in_order = 1;

	CHECK(w != NULL);
	memset(&e, 0, sizeof(e));
	for (i = 1; i <= 1000; i++) {
		e.serial = (uint32_t)i;
		CHECK_EQ(writer_put(w, &e, NULL, 1), 0);	/* waits for room */
	}
	writer_get_stats(w, &st);
	CHECK_EQ(st.put, 1000);
	CHECK_EQ(st.dropped, 0);
	writer_stop(w);
	CHECK_EQ(nseen, 1000);
	for (i = 0; i < 1000; i++)
		in_order &= seen[i] == (uint32_t)i + 1;
	CHECK(in_order);
	CHECK(nflush >= 1);
}

static void test_full_drops(void)
{
	struct writer *w;
	struct writer_stats st;
	struct rst_event e;
	int i, fails = 0;

	pthread_mutex_lock(&gate);	/* the writer stalls on its first */
	w = mk(8);
	CHECK(w != NULL);
	memset(&e, 0, sizeof(e));
	for (i = 1; i <= 13; i++) {
		e.serial = (uint32_t)i;
		fails += writer_put(w, &e, NULL, 0) < 0;
	}
	writer_get_stats(w, &st);
	CHECK_EQ(fails, 5);
	CHECK_EQ(st.dropped, 5);
	CHECK_EQ(st.put, 8);
	CHECK_EQ(st.queued, 8);
	pthread_mutex_unlock(&gate);
	writer_stop(w);
	CHECK_EQ(nseen, 8);
	CHECK_EQ(seen[0], 1);
	CHECK_EQ(seen[7], 8);
}

/* The evidence file is the writer's to write and name: a ticket goes. */
static void test_ticket_is_copied(void)
{
	struct evhand_ticket t = { .queue = 3, .status = EVHAND_OK,
				   .off = 4096, .len = 200 };
	struct rst_event e;
	struct writer *w;

	pthread_mutex_lock(&gate);
	w = mk(8);
	memset(&e, 0, sizeof(e));
	e.serial = 1;
	e.live.pcap_file = "/var/lib/rstaudit/ev/not-ours.pcapng";
	CHECK_EQ(writer_put(w, &e, &t, 0), 0);
	t.off = 9999;			/* the producer's copy moves on */
	e.serial = 2;
	CHECK_EQ(writer_put(w, &e, NULL, 0), 0);
	pthread_mutex_unlock(&gate);
	writer_stop(w);
	CHECK_EQ(nseen, 2);
	CHECK_EQ(seen_named, 0);
	CHECK_EQ(seen_t[0].queue, 3);
	CHECK_EQ(seen_t[0].status, EVHAND_OK);
	CHECK_EQ(seen_t[0].off, 4096);
	CHECK_EQ(seen_t[0].len, 200);
	CHECK_EQ(seen_t[1].status, EVHAND_NONE);	/* none given */
}

static void test_idle_flush(void)
{
	struct writer *w = mk(8);
	struct rst_event e;
	int i;

	memset(&e, 0, sizeof(e));
	e.serial = 1;
	writer_put(w, &e, NULL, 0);
	for (i = 0; i < 100 && __atomic_load_n(&nflush, __ATOMIC_RELAXED) == 0; i++)
		usleep(TICK_US);
	CHECK(__atomic_load_n(&nflush, __ATOMIC_RELAXED) >= 1);	/* not at stop */
	writer_stop(w);
	CHECK_EQ(nseen, 1);
}

/* A producer short of room wakes the writer before its (long) tick. */
static void test_wake(void)
{
	struct writer *w;
	struct rst_event e;
	int i;

	nseen = nflush = 0;
	w = writer_start(8, 60 * 1000000, rec_event, rec_flush, NULL);
	CHECK(w != NULL);
	if (w == NULL)
		return;
	memset(&e, 0, sizeof(e));
	e.serial = 1;
	writer_put(w, &e, NULL, 0);
	writer_wake(w);
	for (i = 0; i < 200 && __atomic_load_n(&nflush, __ATOMIC_RELAXED) == 0; i++)
		usleep(TICK_US);
	CHECK(__atomic_load_n(&nflush, __ATOMIC_RELAXED) >= 1);
	writer_stop(w);
	CHECK_EQ(nseen, 1);
}

int main(void)
{
	T_RUN(test_order_and_stop);
	T_RUN(test_full_drops);
	T_RUN(test_ticket_is_copied);
	T_RUN(test_idle_flush);
	T_RUN(test_wake);
	return T_END("test_writer");
}
