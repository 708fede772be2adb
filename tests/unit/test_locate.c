/*
 * test_locate.c: locate_decide() on recorded probes, and the passive
 * hop_estimate(): the hop, the routers around it, in-path or on-path,
 * TTL copying, and every case where nothing may be located.
 */
#include "t.h"
#include "hopest.h"
#include "locate.h"
#include "rstdelay.h"

/* k = 1..n time exceeded from 10.0.k.1; RSTs from k = rst_from on. */
static void chain(struct locate_result *r, unsigned n, unsigned rst_from,
		  int copies, int hop)
{
	unsigned k;

	memset(r, 0, sizeof(*r));
	r->raw = 1;
	r->control.got = LP_ACKED;
	r->full.got = LP_RST | LP_RST_TTL;
	for (k = 1; k <= n; k++) {
		struct locate_probe *p = &r->probe[k - 1];

		p->ttl = (uint8_t)k;
		p->got = LP_TIME_EXCEEDED | LP_ROUTER;
		p->router[0] = 10, p->router[2] = (uint8_t)k, p->router[3] = 1;
		if (k >= rst_from) {
			p->got |= LP_RST | LP_RST_TTL;
			/* Fixed: 64 - (hop - 1); copied: k - 2 hop + 2. */
			p->rst_ttl = (uint8_t)(copies ? (int)k - 2 * hop + 2 :
					       64 - (hop - 1));
		}
	}
	r->nprobes = n;
}

static void test_fixed_in_path(void)
{
	struct locate_result r;

	chain(&r, 5, 4, 0, 4);
	locate_decide(&r);
	CHECK_EQ(r.status, LOC_FOUND);
	CHECK_EQ(r.hop, 4);
	CHECK_EQ(r.copies_ttl, 0);
	CHECK_EQ(r.path, LPATH_IN);	/* the server never acked */
	CHECK(r.has_at && r.router_at[2] == 4);
	CHECK(r.has_before && r.router_before[2] == 3);
}

static void test_copied_on_path(void)
{
	struct locate_result r;

	/* A copying injector at hop 3 is first seen at k = 5, TTL 1. */
	chain(&r, 6, 5, 1, 3);
	r.full.got |= LP_ACKED;
	locate_decide(&r);
	CHECK_EQ(r.status, LOC_FOUND);
	CHECK_EQ(r.first_rst_ttl, 5);
	CHECK_EQ(r.copies_ttl, 1);
	CHECK_EQ(r.hop, 3);
	CHECK_EQ(r.path, LPATH_ON);
	CHECK(r.router_at[2] == 3 && r.router_before[2] == 2);
}

static void test_hop_one(void)
{
	struct locate_result r;

	chain(&r, 2, 1, 0, 1);
	locate_decide(&r);
	CHECK_EQ(r.hop, 1);
	CHECK(r.has_at && !r.has_before);	/* before hop 1: this host */
}

static void test_nothing_to_locate(void)
{
	struct locate_result r;

	chain(&r, 0, 1, 0, 1);
	r.full.got = LP_ACKED;		/* no injector: the trigger passes */
	locate_decide(&r);
	CHECK_EQ(r.status, LOC_NO_RESET);
	CHECK_EQ(r.hop, 0);
	chain(&r, 3, 2, 0, 2);
	r.control.got = LP_RST;		/* everything is reset */
	locate_decide(&r);
	CHECK_EQ(r.status, LOC_CONTROL_RESET);
	chain(&r, 3, 9, 0, 9);		/* reset at 64, at no k up to 3 */
	locate_decide(&r);
	CHECK_EQ(r.status, LOC_NOT_FOUND);
	chain(&r, 3, 2, 0, 2);
	r.control.got = LP_NO_CONNECT;
	locate_decide(&r);
	CHECK_EQ(r.status, LOC_NO_PATH);
}

static void test_unprivileged(void)
{
	struct locate_result r;

	chain(&r, 3, 2, 0, 2);
	r.raw = 0;
	for (unsigned i = 0; i < 3; i++)
		r.probe[i].got &= (uint8_t)~LP_RST_TTL;
	locate_decide(&r);
	CHECK_EQ(r.hop, 2);
	CHECK_EQ(r.copies_ttl, -1);
	CHECK_EQ(r.path, LPATH_UNKNOWN);
}

static void test_hop_estimate(void)
{
	struct rst_event e;
	struct hop_estimate h;

	memset(&e, 0, sizeof(e));
	e.v.origin = ORIGIN_MIDDLEBOX;
	e.v.hops = 1, e.v.expected_hops = 2;	/* the lab's mbox, from client */
	hop_estimate(&e, &h);
	CHECK(h.valid);
	CHECK_EQ(h.hop, 2);
	CHECK_EQ(h.lo, 2);
	CHECK_EQ(h.hi, 2);
	e.v.hops = 17, e.v.expected_hops = 6;	/* farther than the sender */
	hop_estimate(&e, &h);
	CHECK_EQ(h.hop, -1);
	CHECK_EQ(h.lo, 1);
	CHECK_EQ(h.hi, 6);
	e.v.expected_hops = -1;			/* no baseline: nothing */
	hop_estimate(&e, &h);
	CHECK(!h.valid);
	e.v.origin = ORIGIN_ENDPOINT, e.v.expected_hops = 3;
	hop_estimate(&e, &h);
	CHECK(!h.valid);
}

static void rd_pkt(struct rstdelay *d, int side, uint8_t flags,
		   uint32_t len, uint64_t ts, struct rst_delay *out)
{
	struct pkt p;

	memset(&p, 0, sizeof(p));
	p.flags = flags;
	p.payload_len = len;
	rstdelay_packet(d, 42, side, &p, ts, out);
}

static void test_rst_delay(void)
{
	struct rstdelay *d = rstdelay_new(0);
	struct rst_delay out;

	CHECK(d != NULL);
	rd_pkt(d, 1, TH_RST, 0, 10, &out);	/* no handshake in view */
	CHECK(!out.valid);
	rd_pkt(d, 0, TH_SYN, 0, 1000, NULL);
	rd_pkt(d, 1, TH_SYN | TH_ACK, 0, 1100, NULL);	/* 100 us to side 1 */
	rd_pkt(d, 0, TH_ACK, 0, 1150, NULL);		/* 50 us to side 0 */
	rd_pkt(d, 0, TH_ACK | TH_PSH, 20, 2000, NULL);	/* the trigger */
	rd_pkt(d, 1, TH_RST | TH_ACK, 0, 2030, &out);	/* sooner than 100 */
	CHECK(out.valid);
	CHECK_EQ(out.delay_us, 30);
	CHECK_EQ(out.rtt_us, 100);
	rd_pkt(d, 0, TH_RST, 0, 2500, &out);	/* side 1 never sent data */
	CHECK(!out.valid);
	rd_pkt(d, 1, TH_ACK, 5, 3000, NULL);
	rd_pkt(d, 0, TH_RST, 0, 3080, &out);
	CHECK(out.valid);
	CHECK_EQ(out.delay_us, 80);
	CHECK_EQ(out.rtt_us, 50);
	rstdelay_free(d);
}

int main(void)
{
	T_RUN(test_rst_delay);
	T_RUN(test_fixed_in_path);
	T_RUN(test_copied_on_path);
	T_RUN(test_hop_one);
	T_RUN(test_nothing_to_locate);
	T_RUN(test_unprivileged);
	T_RUN(test_hop_estimate);
	return T_END("test_locate");
}
