/*
 * test_classify.c: every origin and cause, from facts set by hand.
 */
#include "fixtures.h"
#include "rst.h"
#include "t.h"

/* A RST from the server 10.0.3.2:80 to the client 10.0.1.2:40000. */
static struct rst_event ev_from_server(uint8_t flags, uint32_t seq,
				       uint32_t ack, uint8_t ttl,
				       uint16_t ipid)
{
	struct rst_event e;

	memset(&e, 0, sizeof(e));
	e.serial = 1;
	e.ts_us = 1000000;
	e.p = fx_pkt("10.0.3.2", 80, "10.0.1.2", 40000, flags, seq, ack, ttl, ipid, 0);
	e.p.payload = e.payload;
	e.had_flow = 1;
	return e;
}

/* The client sent a SYN with ISN 1000 at TTL 64, IP ID 7. */
static void client_syn(struct rst_event *e)
{
	e->rcv.f = SIDE_SEEN | SIDE_SYN | SIDE_DF;
	e->rcv.nxt = 1001;
	e->rcv.ipid = 7;
	e->rcv.ttl = e->rcv.last_ttl = 64;
	e->rcv.win = 64240;
	e->rcv.wscale = 7;
}

/* An established connection: server at TTL 62, IDs counting from 500. */
static void established(struct rst_event *e)
{
	e->snd.f = SIDE_SEEN | SIDE_SYNACK | SIDE_DF | SIDE_IPID_SEQ;
	e->snd.nxt = 9001;
	e->snd.ack = 1101;
	e->snd.sent_ack = 1;
	e->snd.ttl = 62;
	e->snd.ipid = 500;
	e->snd.win = 500;
	e->rcv.f = SIDE_SEEN | SIDE_SYN | SIDE_DF | SIDE_IPID_SEQ;
	e->rcv.nxt = 1101;
	e->rcv.ack = 9001;
	e->rcv.sent_ack = 1;
	e->rcv.ttl = 64;
	e->rcv.ipid = 30;
	e->rcv.win = 502;
	e->rcv.wscale = 7;
}

static int has_ev(const struct rst_event *e, enum ev_kind k)
{
	unsigned i;

	for (i = 0; i < e->v.n_ev; i++)
		if (e->v.ev[i].kind == k)
			return 1;
	return 0;
}

static void test_refused(void)
{
	struct rst_event e = ev_from_server(TH_RST | TH_ACK, 0, 1001, 62, 0);

	client_syn(&e);
	e.host.n = 3, e.host.ttl_min = e.host.ttl_max = 62;
	rst_classify(&e);
	CHECK_EQ(e.v.origin, ORIGIN_ENDPOINT);
	CHECK_EQ(e.v.cause, CAUSE_REFUSED);
	CHECK(has_ev(&e, EV_TTL_MATCH));
	CHECK(has_ev(&e, EV_ACCEPT_SYN));
	CHECK_EQ(e.v.hops, 2);
	CHECK_EQ(e.v.expected_hops, 2);
	CHECK(e.v.confidence >= 0.5f);
}

static void test_refused_without_baseline(void)
{
	struct rst_event e = ev_from_server(TH_RST | TH_ACK, 0, 1001, 62, 0);

	client_syn(&e);
	rst_classify(&e);
	CHECK_EQ(e.v.origin, ORIGIN_ENDPOINT);
	CHECK_EQ(e.v.cause, CAUSE_REFUSED);
	CHECK(has_ev(&e, EV_NO_BASELINE));
	CHECK(e.v.confidence < 0.6f);
}

static void test_reject_on_syn_in_path(void)
{
	struct rst_event e = ev_from_server(TH_RST | TH_ACK, 0, 1001, 64, 0);

	client_syn(&e);
	e.host.n = 3, e.host.ttl_min = e.host.ttl_max = 62;
	rst_classify(&e);
	CHECK_EQ(e.v.origin, ORIGIN_MIDDLEBOX);
	CHECK_EQ(e.v.cause, CAUSE_REJECT);
	CHECK(has_ev(&e, EV_TTL_CLOSER));
	CHECK_EQ(e.v.hops, 0);
}

static void test_local_reject(void)
{
	struct rst_event e = ev_from_server(TH_RST | TH_ACK, 0, 1001, 64, 0);

	client_syn(&e);
	e.p.dir = DIR_OUT;
	e.host.n = 3, e.host.ttl_min = e.host.ttl_max = 63;
	rst_classify(&e);
	CHECK_EQ(e.v.origin, ORIGIN_LOCAL);
	CHECK_EQ(e.v.cause, CAUSE_REJECT);
	CHECK(has_ev(&e, EV_LOCAL_OUT));
}

/* Live mode: born on this host's output path, for another's address. */
static void test_live_made_here(void)
{
	struct rst_event e = ev_from_server(TH_RST | TH_ACK, 0, 1001, 64, 0);

	client_syn(&e);
	e.live.valid = 1, e.live.made_here = 1;
	rst_classify(&e);
	CHECK_EQ(e.v.origin, ORIGIN_LOCAL);
	CHECK_EQ(e.v.cause, CAUSE_REJECT);
	CHECK(has_ev(&e, EV_MADE_HERE));
	CHECK(e.v.confidence >= 0.9f);
}

static void test_abort(void)
{
	struct rst_event e = ev_from_server(TH_RST | TH_ACK, 9001, 1101, 62, 501);

	established(&e);
	rst_classify(&e);
	CHECK_EQ(e.v.origin, ORIGIN_ENDPOINT);
	CHECK_EQ(e.v.cause, CAUSE_ABORT);
	CHECK(has_ev(&e, EV_IPID_SERIES));
	CHECK(has_ev(&e, EV_ACCEPT_EXACT));
	CHECK(e.v.confidence >= 0.8f);
}

static void test_after_fin(void)
{
	struct rst_event e = ev_from_server(TH_RST | TH_ACK, 9001, 1102, 62, 501);

	established(&e);
	e.rcv.f |= SIDE_FIN;
	rst_classify(&e);
	CHECK_EQ(e.v.origin, ORIGIN_ENDPOINT);
	CHECK_EQ(e.v.cause, CAUSE_AFTER_FIN);
	CHECK(has_ev(&e, EV_FIN_BEFORE));
}

static void test_stale_stateless(void)
{
	struct rst_event e = ev_from_server(TH_RST, 9001, 0, 62, 0);

	established(&e);
	rst_classify(&e);
	CHECK_EQ(e.v.origin, ORIGIN_ENDPOINT);
	CHECK_EQ(e.v.cause, CAUSE_STALE);
	CHECK(has_ev(&e, EV_STATELESS));
	CHECK(has_ev(&e, EV_IPID_ZERO));
}

static void test_stale_after_own_reset(void)
{
	struct rst_event e = ev_from_server(TH_RST | TH_ACK, 9001, 1101, 62, 502);

	established(&e);
	e.snd.f |= SIDE_RST;
	rst_classify(&e);
	CHECK_EQ(e.v.cause, CAUSE_STALE);
	CHECK(has_ev(&e, EV_SENDER_RESET));
}

static void test_reject_mid_stream(void)
{
	/* Stateless, like the endpoint's, but two hops too close. */
	struct rst_event e = ev_from_server(TH_RST, 9001, 0, 64, 0);

	established(&e);
	rst_classify(&e);
	CHECK_EQ(e.v.origin, ORIGIN_MIDDLEBOX);
	CHECK_EQ(e.v.cause, CAUSE_REJECT);
}

static void test_injected_race(void)
{
	struct rst_event e = ev_from_server(TH_RST | TH_ACK, 9001, 1101, 62, 501);

	established(&e);
	e.after_pkts = 2, e.after_data = 300, e.after_us = 4000;
	e.after_in_seq = 1, e.after_ttl = 62;
	e.race_pkts = 2, e.race_data = 300, e.race_us = 4000;
	rst_classify(&e);
	CHECK_EQ(e.v.origin, ORIGIN_MIDDLEBOX);
	CHECK_EQ(e.v.cause, CAUSE_INJECTED);
	CHECK(has_ev(&e, EV_DATA_AFTER));
	CHECK(e.v.confidence >= 0.95f);
}

/*
 * Issue 9: an injector copying the server's TTL, three RST/ACKs after the
 * reply, one fixed IP ID off the series, DF clear, the first seq behind
 * what the server had sent.  The matching TTL is outvoted.
 */
static void test_ttl_copying_burst(void)
{
	static const uint32_t off[3] = { 0, 1460, 2920 };
	int i;

	for (i = 0; i < 3; i++) {
		struct rst_event e = ev_from_server(TH_RST | TH_ACK,
						    8001 + off[i], 1101, 62,
						    4242);

		established(&e);
		e.p.df = 0;
		e.burst = 3, e.burst_seq_lo = 8001, e.burst_seq_hi = 8001 + 2920;
		e.burst_ttl_lo = e.burst_ttl_hi = 62;
		e.burst_ipid = 4242, e.burst_ipid_same = 1;
		rst_classify(&e);
		CHECK_EQ(e.v.origin, ORIGIN_MIDDLEBOX);
		CHECK_EQ(e.v.cause, CAUSE_INJECTED);
		CHECK(has_ev(&e, EV_TTL_MATCH));
		CHECK(has_ev(&e, EV_IPID_FIXED));
		CHECK(has_ev(&e, EV_DF_DIFFERS));
		CHECK(has_ev(&e, EV_SEQ_BURST));
		CHECK_EQ(has_ev(&e, EV_SEQ_BEHIND), i == 0);
	}
}

/* One fingerprint against a matching TTL is not enough: endpoint. */
static void test_one_fingerprint_is_no_forgery(void)
{
	struct rst_event e = ev_from_server(TH_RST | TH_ACK, 8001, 1101, 62, 501);

	established(&e);	/* seq behind: a BSD stack after an RTO */
	rst_classify(&e);
	CHECK_EQ(e.v.origin, ORIGIN_ENDPOINT);
	CHECK(has_ev(&e, EV_SEQ_BEHIND));
}

/* A route change: TTL 2 hops off, but the IP ID continues the series. */
static void test_route_change_stays_endpoint(void)
{
	struct rst_event e = ev_from_server(TH_RST | TH_ACK, 9001, 1101, 60, 501);

	established(&e);
	rst_classify(&e);
	CHECK_EQ(e.v.origin, ORIGIN_ENDPOINT);
	CHECK_EQ(e.v.cause, CAUSE_ABORT);
	CHECK(has_ev(&e, EV_TTL_FARTHER));
	CHECK(has_ev(&e, EV_IPID_SERIES));
}

/* RFC 9293 3.10.7.3: a SYN-SENT client answers a stray ACK with R. */
static void test_synsent_answer(void)
{
	struct rst_event e;

	memset(&e, 0, sizeof(e));
	e.p = fx_pkt("10.0.1.2", 40000, "10.0.3.2", 80, TH_RST, 777777, 0, 64, 0, 0);
	e.had_flow = 1;
	e.snd.f = SIDE_SEEN | SIDE_SYN | SIDE_DF;
	e.snd.nxt = 1001, e.snd.ttl = 64;
	e.rcv.f = SIDE_SEEN | SIDE_DF;	/* a bare ACK, not a SYN/ACK */
	e.rcv.ack = 777777, e.rcv.sent_ack = 1, e.rcv.nxt = 5555;
	e.rcv.ttl = 62;
	rst_classify(&e);
	CHECK_EQ(e.v.origin, ORIGIN_ENDPOINT);
	CHECK_EQ(e.v.cause, CAUSE_STALE);
	CHECK(has_ev(&e, EV_SYNSENT_ACK));
}

/* A bare R answering a segment that arrived late, after both FINs. */
static void test_stale_after_close(void)
{
	struct rst_event e = ev_from_server(TH_RST, 9001 - 300, 0, 62, 0);

	established(&e);
	e.snd.f |= SIDE_FIN, e.rcv.f |= SIDE_FIN;
	rst_classify(&e);
	CHECK_EQ(e.v.origin, ORIGIN_ENDPOINT);
	CHECK_EQ(e.v.cause, CAUSE_STALE);
	CHECK(has_ev(&e, EV_STATELESS));
	CHECK(!has_ev(&e, EV_SEQ_BEHIND));
}

/* Zeek's rst-inject-rae.pcap, frame 2. */
static void test_injected_rae(void)
{
	struct rst_event e = ev_from_server(TH_RST | TH_ACK, 0, 1000, 46, 7);

	client_syn(&e);
	e.p.win = 64240;
	e.after_synack = 1, e.after_pkts = 3, e.after_ttl = 49;
	e.after_us = 1032504;
	rst_classify(&e);
	CHECK_EQ(e.v.origin, ORIGIN_MIDDLEBOX);
	CHECK_EQ(e.v.cause, CAUSE_INJECTED);
	CHECK(has_ev(&e, EV_REPLY_AFTER));
	CHECK(has_ev(&e, EV_TTL_FARTHER));
	CHECK(has_ev(&e, EV_IPID_COPIED));
	CHECK(has_ev(&e, EV_WIN_COPIED));
	CHECK(has_ev(&e, EV_ACK_IS_SYN));
	CHECK(e.v.confidence > 0.95f);
}

static void test_burst(void)
{
	struct rst_event e = ev_from_server(TH_RST, 9001, 0, 63, 0);

	established(&e);
	e.burst = 3, e.burst_seq_lo = 9001, e.burst_seq_hi = 9001 + 4380;
	rst_classify(&e);
	CHECK_EQ(e.v.origin, ORIGIN_MIDDLEBOX);
	CHECK_EQ(e.v.cause, CAUSE_INJECTED);
	CHECK(has_ev(&e, EV_SEQ_BURST));
}

static void test_nothing_known(void)
{
	struct rst_event e = ev_from_server(TH_RST, 0, 0, 64, 1);

	e.had_flow = 0;
	rst_classify(&e);
	CHECK_EQ(e.v.origin, ORIGIN_UNKNOWN);
	CHECK_EQ(e.v.cause, CAUSE_UNKNOWN);
	CHECK(has_ev(&e, EV_NO_FLOW));
	CHECK(has_ev(&e, EV_NO_BASELINE));
	CHECK(e.v.confidence < 0.5f);
}

static void test_ipv6_hop_limit(void)
{
	struct rst_event e;

	memset(&e, 0, sizeof(e));
	e.p = fx_pkt("fd00:3::2", 80, "fd00:1::2", 40000, TH_RST | TH_ACK, 9001, 1101, 63, 0, 0);
	e.had_flow = 1;
	established(&e);
	rst_classify(&e);
	CHECK_EQ(e.v.origin, ORIGIN_MIDDLEBOX);
	CHECK(!has_ev(&e, EV_IPID_SERIES));
	CHECK(has_ev(&e, EV_TTL_CLOSER));
}

static void test_every_evidence_has_words(void)
{
	struct rst_event e = ev_from_server(TH_RST | TH_ACK, 0, 0, 64, 0);
	struct evidence ev;
	char buf[512];
	int k;

	memcpy(e.payload, "Access\tDenied\"", 14);
	e.p.payload_len = 20, e.p.payload_caplen = 14;
	for (k = 0; k < EV_MAX; k++) {
		ev.kind = (uint8_t)k, ev.a = 3, ev.b = 1;
		CHECK(evidence_format(&e, &ev, buf, sizeof(buf)) > 5);
		CHECK(strcmp(buf, "?") != 0);
	}
	ev.kind = EV_PAYLOAD, ev.a = 20;
	evidence_format(&e, &ev, buf, sizeof(buf));
	CHECK_STR(buf, "carries 20 bytes of payload: \"Access\\x09Denied\\x22\"...");
}

static void test_ttl_initial(void)
{
	CHECK_EQ(ttl_initial(1), 32);
	CHECK_EQ(ttl_initial(63), 64);
	CHECK_EQ(ttl_initial(64), 64);
	CHECK_EQ(ttl_initial(65), 128);
	CHECK_EQ(ttl_initial(200), 255);
	CHECK_STR(origin_names[ORIGIN_MIDDLEBOX], "middlebox");
	CHECK_STR(cause_names[CAUSE_AFTER_FIN], "after-fin");
}

int main(void)
{
	T_RUN(test_refused);
	T_RUN(test_refused_without_baseline);
	T_RUN(test_reject_on_syn_in_path);
	T_RUN(test_local_reject);
	T_RUN(test_live_made_here);
	T_RUN(test_abort);
	T_RUN(test_after_fin);
	T_RUN(test_stale_stateless);
	T_RUN(test_stale_after_own_reset);
	T_RUN(test_reject_mid_stream);
	T_RUN(test_injected_race);
	T_RUN(test_ttl_copying_burst);
	T_RUN(test_one_fingerprint_is_no_forgery);
	T_RUN(test_route_change_stays_endpoint);
	T_RUN(test_synsent_answer);
	T_RUN(test_stale_after_close);
	T_RUN(test_injected_rae);
	T_RUN(test_burst);
	T_RUN(test_nothing_known);
	T_RUN(test_ipv6_hop_limit);
	T_RUN(test_every_evidence_has_words);
	T_RUN(test_ttl_initial);
	return T_END("test_classify");
}
