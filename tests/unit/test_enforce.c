/*
 * test_enforce.c: the suspect hold of src/enforce.c without a kernel.
 * The engine is the real one, fed packets built by value; the queue is
 * a recorder behind enforce_set_sink().  A held RST must be answered
 * exactly once: by a packet that settles it, by its timer, by its
 * event's release or at finish; a suspect with no room is decided at
 * once; nothing is left held.
 */
#include <poll.h>

#include "engine.h"
#include "enforce.h"
#include "fixtures.h"
#include "nfq.h"
#include "policy.h"
#include "t.h"

#define CLI "10.0.1.2"
#define SRV "10.0.3.2"

/* The queue as a recorder: the verdicts sent and the packets kept. */
struct rec {
	int n;
	uint32_t id[16];
	int verdict[16];
	unsigned kept;		/* what deferred() reports */
	int marks;
};

static int rec_verdict(void *arg, uint32_t id, int verdict, int has_mark,
		       uint32_t mark)
{
	struct rec *r = arg;

	(void)mark;
	if (r->n < 16) {
		r->id[r->n] = id;
		r->verdict[r->n] = verdict;
	}
	r->n++;
	r->marks += has_mark;
	return 0;
}

static unsigned rec_deferred(void *arg)
{
	return ((struct rec *)arg)->kept;
}

static void rec_set_mark(void *arg, uint32_t mark)
{
	(void)mark;
	((struct rec *)arg)->marks++;
}

struct fix {
	struct engine *eng;
	struct enforce *enf;
	struct policy pol;
	struct rec rec;
	uint64_t frame;
};

/* The engine's release of an event goes to enforce_released(). */
static void on_emit(struct rst_event *e, void *arg)
{
	enforce_released(((struct fix *)arg)->enf, e);
}

/*
 * Enforce, one drop rule that only the race (the genuine endpoint's
 * data after the RST) reaches: every other middlebox RST is a suspect.
 */
static int fix_up(struct fix *f, uint32_t hold_us, uint32_t max)
{
	struct engine_conf c;
	struct enforce_sink sink = { rec_verdict, rec_deferred, rec_set_mark,
				     &f->rec };
	char rule[] = "drop origin middlebox cause injected confidence >=0.95";
	char err[128];

	memset(f, 0, sizeof(*f));
	engine_conf_default(&c);
	c.max_flows = 1024;
	c.max_held = 64;
	c.hold_us = 60000000;	/* the event outlives every test */
	f->eng = engine_new(&c, on_emit, f);
	f->enf = f->eng ? enforce_new(NULL, NULL, f->eng) : NULL;
	if (f->enf == NULL)
		return -1;
	enforce_set_sink(f->enf, &sink);
	policy_default(&f->pol);
	f->pol.mode = POLICY_ENFORCE;
	f->pol.suspect_hold_us = hold_us;
	f->pol.suspect_max = max;
	f->pol.ct_restore = 0;	/* no conntrack here */
	if (policy_rule_parse(&f->pol, rule, 1, err, sizeof(err)) < 0)
		return -1;
	enforce_set_policy(f->enf, &f->pol, 1);
	return 0;
}

static void fix_down(struct fix *f)
{
	enforce_free(f->enf);
	engine_free(f->eng);
}

static struct rst_event *feed(struct fix *f, struct pkt p, uint64_t ms)
{
	return engine_packet(f->eng, &p, 1000000000ull + ms * 1000, ++f->frame);
}

/* Handshake and data on client port cport (server ISN 5000, TTL 62). */
static void handshake(struct fix *f, uint16_t cport)
{
	feed(f, fx_pkt(CLI, cport, SRV, 80, TH_SYN, 100, 0, 64, 10, 0), 0);
	feed(f, fx_pkt(SRV, 80, CLI, cport, TH_SYN | TH_ACK, 5000, 101, 62, 0, 0), 1);
	feed(f, fx_pkt(CLI, cport, SRV, 80, TH_ACK, 101, 5001, 64, 11, 0), 2);
	feed(f, fx_pkt(CLI, cport, SRV, 80, TH_ACK | TH_PSH, 101, 5001, 64, 12, 50), 3);
	feed(f, fx_pkt(SRV, 80, CLI, cport, TH_ACK | TH_PSH, 5001, 151, 62, 301, 200), 4);
}

/* A forged RST "from" the server, one hop closer (TTL 63): a suspect. */
static int forged_rst(struct fix *f, uint16_t cport, uint32_t id,
		      struct rst_event **ep)
{
	struct rst_event *e;

	e = feed(f, fx_pkt(SRV, 80, CLI, cport, TH_RST | TH_ACK, 5201, 151,
			   63, 0, 0), 10);
	if (ep)
		*ep = e;
	return e ? enforce_rst(f->enf, e, id) : -1;
}

static struct enforce_stats stats(const struct fix *f)
{
	struct enforce_stats st;

	enforce_get_stats(f->enf, &st);
	return st;
}

/* Nothing is held any more: finish answers nothing new. */
static void check_all_answered(struct fix *f, int verdicts)
{
	CHECK_EQ(stats(f).held_now, 0);
	enforce_finish(f->enf);
	CHECK_EQ(f->rec.n, verdicts);
}

/* The genuine server's data after the RST settles it: injected, drop. */
static void test_settled_by_packet(void)
{
	struct fix f;
	struct rst_event *e = NULL;

	CHECK_EQ(fix_up(&f, 60000000, 16), 0);
	handshake(&f, 40000);
	CHECK_EQ(forged_rst(&f, 40000, 7, &e), NFQUEUE_DEFER);
	CHECK_STR(e->live.verdict, "held");
	CHECK_EQ(stats(&f).held_now, 1);
	enforce_observe(f.enf);		/* nothing new: still held */
	CHECK_EQ(f.rec.n, 0);
	feed(&f, fx_pkt(SRV, 80, CLI, 40000, TH_ACK | TH_PSH, 5201, 151, 62,
			302, 100), 14);
	enforce_observe(f.enf);
	CHECK_EQ(f.rec.n, 1);
	CHECK_EQ(f.rec.id[0], 7);
	CHECK_EQ(f.rec.verdict[0], NFQUEUE_DROP);
	CHECK_STR(e->live.verdict, "drop");
	CHECK_EQ(e->live.pol.held, HOLD_PACKET);
	CHECK_EQ(e->live.pol.changed, 1);
	CHECK_EQ(stats(&f).held_end[HOLD_PACKET], 1);
	CHECK_EQ(stats(&f).dropped, 1);
	check_all_answered(&f, 1);
	fix_down(&f);
}

/* Nothing comes: the timer runs out and the RST is accepted. */
static void test_settled_by_timer(void)
{
	struct fix f;
	struct pollfd pfd;
	int i;

	CHECK_EQ(fix_up(&f, 1000, 16), 0);	/* 1 ms */
	handshake(&f, 40001);
	CHECK_EQ(forged_rst(&f, 40001, 9, NULL), NFQUEUE_DEFER);
	pfd.fd = enforce_fd(f.enf);
	pfd.events = POLLIN;
	/* Bounded, not timed: the timer fires once its 1 ms is over. */
	for (i = 0; i < 50 && f.rec.n == 0; i++) {
		if (poll(&pfd, 1, 100) == 1)
			enforce_timer(f.enf);
	}
	CHECK_EQ(f.rec.n, 1);
	CHECK_EQ(f.rec.id[0], 9);
	CHECK_EQ(f.rec.verdict[0], NFQUEUE_ACCEPT);
	CHECK_EQ(stats(&f).held_end[HOLD_TIMER], 1);
	check_all_answered(&f, 1);
	fix_down(&f);
}

/* suspect_max held: the next suspect is decided at once, not held. */
static void test_full_array(void)
{
	struct fix f;

	CHECK_EQ(fix_up(&f, 60000000, 2), 0);
	handshake(&f, 40010);
	handshake(&f, 40011);
	handshake(&f, 40012);
	CHECK_EQ(forged_rst(&f, 40010, 20, NULL), NFQUEUE_DEFER);
	CHECK_EQ(forged_rst(&f, 40011, 21, NULL), NFQUEUE_DEFER);
	CHECK_EQ(forged_rst(&f, 40012, 22, NULL), NFQUEUE_ACCEPT);
	CHECK_EQ(stats(&f).held, 2);
	CHECK_EQ(stats(&f).held_full, 1);
	CHECK_EQ(f.rec.n, 0);
	/* The queue full of kept packets refuses the hold as well. */
	handshake(&f, 40013);
	enforce_finish(f.enf);
	f.rec.kept = NFQUEUE_DEFER_MAX;
	CHECK_EQ(forged_rst(&f, 40013, 23, NULL), NFQUEUE_ACCEPT);
	CHECK_EQ(stats(&f).held_full, 2);
	fix_down(&f);
}

/* At finish every held RST is answered, once. */
static void test_finish(void)
{
	struct fix f;

	CHECK_EQ(fix_up(&f, 60000000, 16), 0);
	handshake(&f, 40020);
	handshake(&f, 40021);
	CHECK_EQ(forged_rst(&f, 40020, 30, NULL), NFQUEUE_DEFER);
	CHECK_EQ(forged_rst(&f, 40021, 31, NULL), NFQUEUE_DEFER);
	enforce_finish(f.enf);
	CHECK_EQ(f.rec.n, 2);
	CHECK(f.rec.id[0] != f.rec.id[1]);
	CHECK(f.rec.id[0] == 30 || f.rec.id[0] == 31);
	CHECK(f.rec.id[1] == 30 || f.rec.id[1] == 31);
	CHECK_EQ(f.rec.verdict[0], NFQUEUE_ACCEPT);
	CHECK_EQ(stats(&f).held_end[HOLD_SHUTDOWN], 2);
	check_all_answered(&f, 2);
	fix_down(&f);
}

/* The event is written while its packet is held: decided then. */
static void test_released(void)
{
	struct fix f;

	CHECK_EQ(fix_up(&f, 60000000, 16), 0);
	handshake(&f, 40030);
	CHECK_EQ(forged_rst(&f, 40030, 40, NULL), NFQUEUE_DEFER);
	engine_flush(f.eng);			/* on_emit: enforce_released() */
	CHECK_EQ(f.rec.n, 1);
	CHECK_EQ(f.rec.id[0], 40);
	CHECK_EQ(stats(&f).held_end[HOLD_RELEASED], 1);
	check_all_answered(&f, 1);
	fix_down(&f);
}

/* Audit, or no hold: never deferred, no verdict through the sink. */
static void test_no_hold(void)
{
	struct fix f;

	CHECK_EQ(fix_up(&f, 0, 16), 0);
	handshake(&f, 40040);
	CHECK_EQ(forged_rst(&f, 40040, 50, NULL), NFQUEUE_ACCEPT);
	f.pol.mode = POLICY_AUDIT;
	handshake(&f, 40041);
	CHECK_EQ(forged_rst(&f, 40041, 51, NULL), NFQUEUE_ACCEPT);
	CHECK_EQ(stats(&f).held, 0);
	CHECK_EQ(stats(&f).decided, 1);
	CHECK_EQ(f.rec.n, 0);
	fix_down(&f);
}

int main(void)
{
	T_RUN(test_settled_by_packet);
	T_RUN(test_settled_by_timer);
	T_RUN(test_full_array);
	T_RUN(test_finish);
	T_RUN(test_released);
	T_RUN(test_no_hold);
	return T_END("test_enforce");
}
