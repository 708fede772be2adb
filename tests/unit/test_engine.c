/*
 * test_engine.c: flows, holding, bursts, copies and bounds, end to end
 * through the core with packets built by value.
 */
#include "engine.h"
#include "fixtures.h"
#include "t.h"

#define CLI "10.0.1.2"
#define SRV "10.0.3.2"

static struct rst_event got[64];
static uint64_t frame;
static int n_got;

static void collect(struct rst_event *e, void *arg)
{
	(void)arg;
	if (n_got < 64)
		got[n_got++] = *e;
}

static struct engine *mk_engine(uint32_t max_flows, uint32_t max_held)
{
	struct engine_conf c;

	engine_conf_default(&c);
	c.max_flows = max_flows;
	c.max_held = max_held;
	c.hold_us = 100000;
	n_got = 0;
	frame = 0;
	return engine_new(&c, collect, NULL);
}


static struct rst_event *feed(struct engine *eng, struct pkt p, uint64_t ms)
{
	return engine_packet(eng, &p, 1000000000ull + ms * 1000, ++frame);
}

/* Handshake and a little data: client ISN 100, server ISN 5000. */
static void handshake(struct engine *eng, uint16_t cport, uint64_t ms)
{
	feed(eng, fx_pkt(CLI, cport, SRV, 80, TH_SYN, 100, 0, 64, 10, 0), ms);
	feed(eng, fx_pkt(SRV, 80, CLI, cport, TH_SYN | TH_ACK, 5000, 101, 62, 300, 0), ms + 1);
	feed(eng, fx_pkt(CLI, cport, SRV, 80, TH_ACK, 101, 5001, 64, 11, 0), ms + 2);
	feed(eng, fx_pkt(CLI, cport, SRV, 80, TH_ACK | TH_PSH, 101, 5001, 64, 12, 50), ms + 3);
	feed(eng, fx_pkt(SRV, 80, CLI, cport, TH_ACK | TH_PSH, 5001, 151, 62, 301, 200), ms + 4);
}

static void test_abort_held_then_released(void)
{
	struct engine *eng = mk_engine(1024, 64);
	struct rst_event *e;

	handshake(eng, 40000, 0);
	e = feed(eng, fx_pkt(SRV, 80, CLI, 40000, TH_RST | TH_ACK, 5201, 151, 62, 302, 0), 10);
	CHECK(e != NULL);
	CHECK_EQ(n_got, 0);		/* held */
	feed(eng, fx_pkt(CLI, 40001, SRV, 80, TH_SYN, 1, 0, 64, 1, 0), 50);
	CHECK_EQ(n_got, 0);		/* 40 ms: still held */
	feed(eng, fx_pkt(CLI, 40001, SRV, 80, TH_SYN, 1, 0, 64, 2, 0), 200);
	CHECK_EQ(n_got, 1);		/* 190 ms > 100 ms hold */
	CHECK_EQ(got[0].frame, 6);
	CHECK_EQ(got[0].v.origin, ORIGIN_ENDPOINT);
	CHECK_EQ(got[0].v.cause, CAUSE_ABORT);
	engine_free(eng);
}

static void test_data_after_rst(void)
{
	struct engine *eng = mk_engine(1024, 64);

	handshake(eng, 40000, 0);
	feed(eng, fx_pkt(SRV, 80, CLI, 40000, TH_RST, 5201, 0, 63, 0, 0), 10);
	feed(eng, fx_pkt(SRV, 80, CLI, 40000, TH_ACK | TH_PSH, 5201, 151, 62, 302, 100), 14);
	engine_flush(eng);
	CHECK_EQ(n_got, 1);
	CHECK_EQ(got[0].after_pkts, 1);
	CHECK_EQ(got[0].after_data, 100);
	CHECK_EQ(got[0].after_us, 4000);
	CHECK_EQ(got[0].v.origin, ORIGIN_MIDDLEBOX);
	CHECK_EQ(got[0].v.cause, CAUSE_INJECTED);
	engine_free(eng);
}

/*
 * Issue 9: a SYN-SENT client answers a stray ACK (a challenge ACK from an
 * old connection on the ports) with R seq=SEG.ACK, retransmits its SYN
 * and the connection proceeds: its data belongs to another incarnation.
 */
static void test_new_syn_ends_the_race(void)
{
	struct engine *eng = mk_engine(1024, 64);

	feed(eng, fx_pkt(CLI, 40000, SRV, 80, TH_SYN, 100, 0, 64, 10, 0), 0);
	feed(eng, fx_pkt(SRV, 80, CLI, 40000, TH_ACK, 77000, 9999, 62, 300, 0), 1);
	feed(eng, fx_pkt(CLI, 40000, SRV, 80, TH_RST, 9999, 0, 64, 0, 0), 2);
	feed(eng, fx_pkt(CLI, 40000, SRV, 80, TH_SYN, 100, 0, 64, 11, 0), 30);
	feed(eng, fx_pkt(SRV, 80, CLI, 40000, TH_SYN | TH_ACK, 5000, 101, 62, 0, 0), 31);
	feed(eng, fx_pkt(CLI, 40000, SRV, 80, TH_ACK | TH_PSH, 101, 5001, 64, 12, 50), 32);
	engine_flush(eng);
	CHECK_EQ(n_got, 1);
	CHECK_EQ(got[0].after_new_syn, 1);
	CHECK_EQ(got[0].race_pkts, 0);
	CHECK_EQ(got[0].v.origin, ORIGIN_ENDPOINT);
	CHECK_EQ(got[0].v.cause, CAUSE_STALE);
	engine_free(eng);
}

/* What the sender had in flight before its RST is no race. */
static void test_retransmission_is_no_race(void)
{
	struct engine *eng = mk_engine(1024, 64);

	handshake(eng, 40000, 0);
	feed(eng, fx_pkt(SRV, 80, CLI, 40000, TH_RST | TH_ACK, 5201, 151, 62, 302, 0), 10);
	feed(eng, fx_pkt(SRV, 80, CLI, 40000, TH_ACK | TH_PSH, 5001, 151, 62, 303, 200), 12);
	feed(eng, fx_pkt(SRV, 80, CLI, 40000, TH_ACK, 5201, 151, 62, 304, 0), 13);
	engine_flush(eng);
	CHECK_EQ(n_got, 1);
	CHECK_EQ(got[0].after_pkts, 2);
	CHECK_EQ(got[0].race_pkts, 0);
	CHECK_EQ(got[0].v.origin, ORIGIN_ENDPOINT);
	engine_free(eng);
}

static void test_burst_of_three(void)
{
	struct engine *eng = mk_engine(1024, 64);
	int i;

	handshake(eng, 40000, 0);
	feed(eng, fx_pkt(SRV, 80, CLI, 40000, TH_RST | TH_ACK, 5201, 151, 63, 0, 0), 10);
	feed(eng, fx_pkt(SRV, 80, CLI, 40000, TH_RST | TH_ACK, 5201 + 1460, 151, 63, 0, 0), 10);
	feed(eng, fx_pkt(SRV, 80, CLI, 40000, TH_RST | TH_ACK, 5201 + 4380, 151, 63, 0, 0), 10);
	engine_flush(eng);
	CHECK_EQ(n_got, 3);
	for (i = 0; i < n_got; i++) {
		CHECK_EQ(got[i].burst, 3);
		CHECK_EQ(got[i].burst_seq_hi - got[i].burst_seq_lo, 4380);
		CHECK_EQ(got[i].v.cause, CAUSE_INJECTED);
	}
	CHECK(got[0].frame < got[1].frame && got[1].frame < got[2].frame);
	engine_free(eng);
}

/*
 * A forged RST, then nothing from the server until its own abort 2 s
 * later: the abort reads "had already reset" (stale), unless the gateway
 * dropped the forged one, which then never reset anything.
 */
static void abort_after_forged(int dropped)
{
	struct engine *eng = mk_engine(1024, 64);
	struct rst_event *e;

	handshake(eng, 40000, 0);
	e = feed(eng, fx_pkt(SRV, 80, CLI, 40000, TH_RST | TH_ACK, 5201 + 1460, 151, 64, 7, 0), 10);
	CHECK(e != NULL);
	if (dropped)
		engine_rst_dropped(eng, e);
	feed(eng, fx_pkt(SRV, 80, CLI, 40000, TH_RST | TH_ACK, 5201, 151, 62, 302, 0), 2010);
	engine_flush(eng);
	CHECK_EQ(n_got, 2);
	CHECK_EQ(got[1].burst, 1);
	CHECK_EQ(!!(got[1].snd.f & SIDE_RST), !dropped);
	CHECK_EQ(got[1].v.origin, ORIGIN_ENDPOINT);
	CHECK_EQ(got[1].v.cause, dropped ? CAUSE_ABORT : CAUSE_STALE);
	engine_free(eng);
}

static void test_abort_after_forged_dropped(void)
{
	abort_after_forged(1);
	abort_after_forged(0);	/* the same without the drop: stale */
}

/* A gateway capturing on every interface sees a forwarded RST twice. */
static void test_forwarded_copy_is_one_event(void)
{
	struct engine *eng = mk_engine(1024, 64);
	struct engine_stats st;

	handshake(eng, 40000, 0);
	/* An abort acks more than the server's last ACK did. */
	feed(eng, fx_pkt(SRV, 80, CLI, 40000, TH_RST | TH_ACK, 5201, 160, 62, 302, 0), 10);
	CHECK(feed(eng, fx_pkt(SRV, 80, CLI, 40000, TH_RST | TH_ACK, 5201, 160, 61, 302, 0), 10) == NULL);
	engine_flush(eng);
	engine_get_stats(eng, &st);
	CHECK_EQ(n_got, 1);
	CHECK_EQ(st.rst_copies, 1);
	engine_free(eng);
}

/* A RST on a flow with nothing before it is judged by its host's TTL. */
static void test_host_baseline(void)
{
	struct engine *eng = mk_engine(1024, 64);

	handshake(eng, 40000, 0);
	feed(eng, fx_pkt(SRV, 80, CLI, 41000, TH_RST, 7, 0, 64, 0, 0), 10);
	engine_flush(eng);
	CHECK_EQ(n_got, 1);
	CHECK_EQ(got[0].host.n, 1);
	CHECK_EQ(got[0].v.origin, ORIGIN_MIDDLEBOX);
	CHECK_EQ(got[0].v.expected_hops, 2);
	engine_free(eng);
}

static void test_bounds(void)
{
	struct engine *eng = mk_engine(8, 2);
	struct engine_stats st;
	int i;

	for (i = 0; i < 40; i++)
		handshake(eng, (uint16_t)(30000 + i), (uint64_t)i);
	for (i = 0; i < 5; i++)
		feed(eng, fx_pkt(SRV, 80, CLI, 30039, TH_RST, (uint32_t)(5201 + i), 0, 62, 0, 0), 50);
	engine_get_stats(eng, &st);
	CHECK(st.flows <= 8);
	CHECK(st.flows_evicted >= 32);
	CHECK_EQ(st.released_early, 3);
	CHECK_EQ(n_got, 3);
	engine_flush(eng);
	CHECK_EQ(n_got, 5);
	for (i = 1; i < n_got; i++)
		CHECK(got[i - 1].frame < got[i].frame);
	engine_free(eng);
}

static void test_idle_expiry(void)
{
	struct engine *eng = mk_engine(1024, 64);
	struct engine_stats st;
	int i;

	handshake(eng, 40000, 0);
	/* 400 s later, enough packets for the sweep to pass every slot. */
	for (i = 0; i < 2048; i++)
		feed(eng, fx_pkt(CLI, 50000, SRV, 80, TH_ACK, 1, 1, 64, 1, 0), 400000);
	engine_get_stats(eng, &st);
	CHECK_EQ(st.flows_expired, 1);
	CHECK_EQ(st.flows, 1);
	engine_free(eng);
}

static void test_ipv6_flow(void)
{
	struct engine *eng = mk_engine(1024, 64);

	feed(eng, fx_pkt("fd00:1::2", 40000, "fd00:3::2", 9, TH_SYN, 100, 0, 64, 0, 0), 0);
	feed(eng, fx_pkt("fd00:3::2", 9, "fd00:1::2", 40000, TH_RST | TH_ACK, 0, 101, 62, 0, 0), 1);
	engine_flush(eng);
	CHECK_EQ(n_got, 1);
	CHECK_EQ(got[0].v.cause, CAUSE_REFUSED);
	CHECK_EQ(got[0].p.family, 6);
	engine_free(eng);
}

/* A new SYN on the ports of a reset connection starts afresh. */
static void test_port_reuse(void)
{
	struct engine *eng = mk_engine(1024, 64);
	unsigned i;

	feed(eng, fx_pkt(CLI, 40000, SRV, 9, TH_SYN, 100, 0, 64, 1, 0), 0);
	feed(eng, fx_pkt(SRV, 9, CLI, 40000, TH_RST | TH_ACK, 0, 101, 62, 0, 0), 1);
	feed(eng, fx_pkt(CLI, 40000, SRV, 9, TH_SYN, 7000, 0, 64, 2, 0), 1000);
	feed(eng, fx_pkt(SRV, 9, CLI, 40000, TH_RST | TH_ACK, 0, 7001, 62, 0, 0), 1001);
	engine_flush(eng);
	CHECK_EQ(n_got, 2);
	CHECK_EQ(got[1].v.cause, CAUSE_REFUSED);
	for (i = 0; i < got[1].v.n_ev; i++)
		CHECK(got[1].v.ev[i].kind != EV_SENDER_RESET);
	engine_free(eng);
}

int main(void)
{
	T_RUN(test_port_reuse);
	T_RUN(test_abort_held_then_released);
	T_RUN(test_data_after_rst);
	T_RUN(test_new_syn_ends_the_race);
	T_RUN(test_retransmission_is_no_race);
	T_RUN(test_burst_of_three);
	T_RUN(test_abort_after_forged_dropped);
	T_RUN(test_forwarded_copy_is_one_event);
	T_RUN(test_host_baseline);
	T_RUN(test_bounds);
	T_RUN(test_idle_expiry);
	T_RUN(test_ipv6_flow);
	return T_END("test_engine");
}
