/*
 * test_evring.c: the ring of queued packets and the pcapng block encoders,
 * on byte arrays.
 */
#include <stdlib.h>

#include "t.h"
#include "evfix.h"
#include "pcapng.h"

#define C "10.0.1.2"
#define S "10.0.3.2"

static uint32_t get32(const uint8_t *b)
{
	uint32_t v;

	memcpy(&v, b, 4);
	return v;
}

static uint16_t get16(const uint8_t *b)
{
	uint16_t v;

	memcpy(&v, b, 2);
	return v;
}

static void test_shb(void)
{
	uint8_t b[128];
	size_t n = pcapng_shb(b, sizeof(b), "rstaudit");

	CHECK_EQ(n, 28 + 4 + 8 + 4);
	CHECK_EQ(get32(b), 0x0a0d0d0a);
	CHECK_EQ(get32(b + 4), n);
	CHECK_EQ(get32(b + 8), 0x1a2b3c4d);
	CHECK_EQ(get16(b + 12), 1);
	CHECK_EQ(get16(b + 14), 0);
	CHECK_EQ(get16(b + 24), 4);		/* shb_userappl */
	CHECK_EQ(get16(b + 26), 8);
	CHECK(memcmp(b + 28, "rstaudit", 8) == 0);
	CHECK_EQ(get32(b + n - 4), n);
	CHECK_EQ(pcapng_shb(b, n - 1, "rstaudit"), 0);	/* does not fit */
	CHECK_EQ(pcapng_shb(b, sizeof(b), NULL), 28);
}

static void test_idb(void)
{
	uint8_t b[128];
	size_t n = pcapng_idb(b, sizeof(b), PCAPNG_LINKTYPE_LINUX_SLL, 144,
			      "eth0");

	CHECK_EQ(n, pcapng_idb_size(4));
	CHECK_EQ(n, 20 + 8 + 4);
	CHECK_EQ(get32(b), 1);
	CHECK_EQ(get32(b + 4), n);
	CHECK_EQ(get16(b + 8), 113);
	CHECK_EQ(get32(b + 12), 144);
	CHECK_EQ(get16(b + 16), 2);		/* if_name */
	CHECK_EQ(get16(b + 18), 4);
	CHECK(memcmp(b + 20, "eth0", 4) == 0);
	CHECK_EQ(get32(b + 24), 0);		/* opt_endofopt */
	CHECK_EQ(get32(b + n - 4), n);
	/* A name of 5 bytes is padded to 8. */
	CHECK_EQ(pcapng_idb(b, sizeof(b), 101, 128, "other"), 20 + 12 + 4);
}

static void test_epb(void)
{
	uint8_t b[256], data[61];
	struct pcapng_pkt p;
	size_t n;

	memset(data, 0xab, sizeof(data));
	memset(&p, 0, sizeof(p));
	p.ifid = 3;
	p.ts_us = 0x0102030405060708ULL;
	p.data = data;
	p.caplen = 61;
	p.len = 1500;
	p.dir = PCAPNG_DIR_OUT;
	p.comment = "hi";
	n = pcapng_epb(b, sizeof(b), &p);
	CHECK_EQ(n, pcapng_epb_size(61, 2));
	CHECK_EQ(n, 28 + 64 + 8 + 8 + 4 + 4);
	CHECK_EQ(n % 4, 0);
	CHECK_EQ(get32(b), 6);
	CHECK_EQ(get32(b + 4), n);
	CHECK_EQ(get32(b + 8), 3);
	CHECK_EQ(get32(b + 12), 0x01020304);
	CHECK_EQ(get32(b + 16), 0x05060708);
	CHECK_EQ(get32(b + 20), 61);
	CHECK_EQ(get32(b + 24), 1500);
	CHECK_EQ(b[28 + 60], 0xab);
	CHECK_EQ(b[28 + 61], 0);		/* padding */
	CHECK_EQ(get16(b + 92), 2);		/* epb_flags */
	CHECK_EQ(get32(b + 96), PCAPNG_DIR_OUT);
	CHECK_EQ(get16(b + 100), 1);		/* opt_comment */
	CHECK_EQ(get16(b + 102), 2);
	CHECK(memcmp(b + 104, "hi", 2) == 0);
	CHECK_EQ(get32(b + 108), 0);
	CHECK_EQ(get32(b + n - 4), n);
	/* The original length is never less than what was captured. */
	p.len = 10;
	p.comment = NULL;
	n = pcapng_epb(b, sizeof(b), &p);
	CHECK_EQ(get32(b + 24), 61);
	CHECK_EQ(pcapng_epb(b, n - 1, &p), 0);
}

/* A cooked header in front of the IP bytes: both lengths grow by 16. */
static void test_epb_sll(void)
{
	uint8_t b[256], hdr[PCAPNG_SLL_LEN], ip6[40] = { 0x60 };
	struct pcapng_pkt p;
	size_t n;

	pcapng_sll(hdr, PCAPNG_SLL_OUTGOING, ip6[0]);
	CHECK_EQ(hdr[1], 4);
	CHECK_EQ(hdr[2], 0xff);
	CHECK_EQ(hdr[3], 0xfe);
	CHECK_EQ(hdr[14], 0x86);
	CHECK_EQ(hdr[15], 0xdd);
	pcapng_sll(hdr, PCAPNG_SLL_HOST, 0x45);
	CHECK_EQ(hdr[1], 0);
	CHECK_EQ(hdr[14], 0x08);
	CHECK_EQ(hdr[15], 0x00);
	memset(&p, 0, sizeof(p));
	p.hdr = hdr;
	p.hdrlen = sizeof(hdr);
	p.data = ip6;
	p.caplen = sizeof(ip6);
	p.len = 1280;
	n = pcapng_epb(b, sizeof(b), &p);
	CHECK_EQ(n, pcapng_epb_size(16 + 40, 0));
	CHECK_EQ(get32(b + 20), 56);
	CHECK_EQ(get32(b + 24), 16 + 1280);
	CHECK(memcmp(b + 28, hdr, 16) == 0);
	CHECK_EQ(b[44], 0x60);
	CHECK_EQ(get32(b + n - 4), n);
}

/* A handshake, data, a RST and what follows, with another flow between. */
static void test_flow_both_ways(void)
{
	struct evring *r = evring_new(256);
	struct evring_flow f;
	struct pkt syn = fx_pkt(C, 41002, S, 7002, TH_SYN, 100, 0, 64, 1, 0);
	struct pkt sa = fx_pkt(S, 7002, C, 41002, TH_SYN | TH_ACK, 900, 101, 62, 0, 0);
	struct pkt ack = fx_pkt(C, 41002, S, 7002, TH_ACK, 101, 901, 64, 2, 0);
	struct pkt other = fx_pkt(C, 41003, S, 7003, TH_SYN, 5, 0, 64, 3, 0);
	struct pkt rst = fx_pkt(S, 7002, C, 41002, TH_RST | TH_ACK, 901, 101, 62, 0, 0);
	struct pkt late = fx_pkt(C, 41002, S, 7002, TH_ACK, 101, 901, 64, 4, 10);

	CHECK(r != NULL);
	CHECK_EQ(evring_size(r), 256);
	CHECK_EQ(evring_key(&syn), evring_key(&sa));	/* both directions */
	CHECK(evring_key(&syn) != evring_key(&other));
	evfix_push(r, &syn, 1000, 2);
	evfix_push(r, &other, 1001, 2);
	evfix_push(r, &sa, 1002, 3);
	evfix_push(r, &ack, 1003, 2);
	evfix_push(r, &rst, 1004, 3)->serial = 7;
	evfix_push(r, &other, 1005, 2);
	evfix_push(r, &late, 1006, 2);
	evfix_push(r, &late, 9000, 2);		/* after the hold */
	CHECK_EQ(evring_flow(r, evring_key(&rst), 7, 2000, 64, 64, &f), 0);
	CHECK_EQ(f.n, 5);
	CHECK_EQ(f.rst, 3);
	CHECK_EQ(f.slot[0]->ts_us, 1000);
	CHECK_EQ(f.slot[1]->ts_us, 1002);
	CHECK_EQ(f.slot[2]->ts_us, 1003);
	CHECK_EQ(f.slot[3]->serial, 7);
	CHECK_EQ(f.slot[4]->ts_us, 1006);
	CHECK_EQ(f.slot[4]->len, 20 + 20 + 10);
	CHECK_EQ(f.slot[3]->ifindex, 3);
	CHECK_EQ(f.slot[0]->caplen, 40);
	CHECK(memcmp(f.slot[0]->data + 12, syn.src, 4) == 0);
	/* No serial, or a serial never tagged: nothing. */
	CHECK_EQ(evring_flow(r, evring_key(&rst), 8, 2000, 64, 64, &f), -1);
	CHECK_EQ(f.n, 0);
	CHECK_EQ(evring_flow(r, evring_key(&rst), 0, 2000, 64, 64, &f), -1);
	evring_free(r);
}

/* An earlier connection on the same ports stays out; a retransmitted SYN is in. */
static void test_flow_opening_syn(void)
{
	struct evring *r = evring_new(256);
	struct evring_flow f;
	struct pkt old = fx_pkt(C, 41001, S, 7001, TH_SYN, 50, 0, 64, 1, 0);
	struct pkt oldrst = fx_pkt(S, 7001, C, 41001, TH_RST | TH_ACK, 0, 51, 62, 0, 0);
	struct pkt syn = fx_pkt(C, 41001, S, 7001, TH_SYN, 100, 0, 64, 1, 0);
	struct pkt rst = fx_pkt(S, 7001, C, 41001, TH_RST | TH_ACK, 0, 101, 62, 0, 0);

	evfix_push(r, &old, 1, 2);
	evfix_push(r, &oldrst, 2, 3)->serial = 1;
	evfix_push(r, &syn, 3, 2);
	evfix_push(r, &syn, 4, 2);		/* retransmitted */
	evfix_push(r, &rst, 5, 3)->serial = 2;
	CHECK_EQ(evring_flow(r, evring_key(&rst), 2, 100, 64, 64, &f), 0);
	CHECK_EQ(f.n, 3);
	CHECK_EQ(f.rst, 2);
	CHECK_EQ(f.slot[0]->ts_us, 3);
	CHECK_EQ(f.slot[1]->ts_us, 4);
	/* The first RST's flow ends where the next connection's SYN starts. */
	CHECK_EQ(evring_flow(r, evring_key(&rst), 1, 100, 64, 64, &f), 0);
	CHECK_EQ(f.n, 2);
	CHECK_EQ(f.rst, 1);
	CHECK_EQ(f.slot[0]->ts_us, 1);
	evring_free(r);
}

/* A burst: each RST's "after" ends at the next RST, tagged yet or not. */
static void test_flow_burst(void)
{
	struct evring *r = evring_new(256);
	struct evring_flow f;
	struct pkt syn = fx_pkt(C, 41009, S, 7009, TH_SYN, 100, 0, 64, 1, 0);
	struct pkt rst = fx_pkt(S, 7009, C, 41009, TH_RST | TH_ACK, 901, 200, 63, 0, 0);
	struct pkt reply = fx_pkt(S, 7009, C, 41009, TH_ACK, 901, 200, 62, 9, 30);
	struct pkt crst = fx_pkt(C, 41009, S, 7009, TH_RST, 200, 0, 64, 0, 0);

	evfix_push(r, &syn, 1, 2);
	evfix_push(r, &rst, 2, 3)->serial = 10;
	evfix_push(r, &rst, 2, 3)->serial = 11;
	evfix_push(r, &reply, 3, 3);
	evfix_push(r, &crst, 4, 2)->serial = 12;
	evfix_push(r, &reply, 5, 3);
	CHECK_EQ(evring_flow(r, evring_key(&rst), 10, 100, 64, 64, &f), 0);
	CHECK_EQ(f.n, 2);			/* SYN, RST 10 */
	CHECK_EQ(evring_flow(r, evring_key(&rst), 11, 100, 64, 64, &f), 0);
	CHECK_EQ(f.n, 4);			/* SYN, RST 10, RST 11, reply */
	CHECK_EQ(f.rst, 2);
	CHECK_EQ(f.slot[1]->serial, 10);
	CHECK_EQ(f.slot[3]->ts_us, 3);
	CHECK_EQ(evring_flow(r, evring_key(&rst), 12, 100, 64, 64, &f), 0);
	CHECK_EQ(f.n, 6);
	CHECK_EQ(f.rst, 4);
	CHECK_EQ(f.slot[5]->ts_us, 5);
	/* A later bare SYN opens another connection: the after part ends. */
	evfix_push(r, &syn, 6, 2);
	evfix_push(r, &reply, 7, 3);
	CHECK_EQ(evring_flow(r, evring_key(&rst), 12, 100, 64, 64, &f), 0);
	CHECK_EQ(f.n, 6);
	/* A RST the engine has not made an event of yet (no serial) cuts too. */
	evring_free(r);
	r = evring_new(256);
	evfix_push(r, &syn, 1, 2);
	evfix_push(r, &rst, 2, 3)->serial = 10;
	evfix_push(r, &reply, 3, 3);
	evfix_push(r, &crst, 3, 2);
	CHECK_EQ(evring_flow(r, evring_key(&rst), 10, 3, 64, 64, &f), 0);
	CHECK_EQ(f.n, 3);			/* SYN, RST, reply; not crst */
	CHECK_EQ(f.slot[2]->ts_us, 3);
	CHECK_EQ(f.slot[2]->tcp_flags, TH_ACK);
	evring_free(r);
}

/* Caps: the nearest packets before, the earliest after. */
static void test_flow_caps(void)
{
	struct evring *r = evring_new(1024);
	struct evring_flow f;
	struct pkt d = fx_pkt(C, 41002, S, 7002, TH_ACK, 101, 901, 64, 2, 100);
	struct pkt rst = fx_pkt(S, 7002, C, 41002, TH_RST | TH_ACK, 901, 101, 62, 0, 0);
	uint64_t t;

	for (t = 1; t <= 100; t++)
		evfix_push(r, &d, t, 2);
	evfix_push(r, &rst, 101, 3)->serial = 1;
	for (t = 102; t <= 200; t++)
		evfix_push(r, &d, t, 2);
	CHECK_EQ(evring_flow(r, evring_key(&rst), 1, 1000, 10, 5, &f), 0);
	CHECK_EQ(f.n, 16);
	CHECK_EQ(f.rst, 10);
	CHECK_EQ(f.slot[0]->ts_us, 91);
	CHECK_EQ(f.slot[9]->ts_us, 100);
	CHECK_EQ(f.slot[11]->ts_us, 102);
	CHECK_EQ(f.slot[15]->ts_us, 106);
	CHECK_EQ(evring_flow(r, evring_key(&rst), 1, 150, 0, 0, &f), 0);
	CHECK_EQ(f.n, 1);
	/* until_us: only what came within the hold. */
	CHECK_EQ(evring_flow(r, evring_key(&rst), 1, 104, 0, 64, &f), 0);
	CHECK_EQ(f.n, 4);
	/* Caps past EVRING_SIDE_MAX are cut to it; here all 200 fit. */
	CHECK_EQ(evring_flow(r, evring_key(&rst), 1, 1000, 5000, 5000, &f), 0);
	CHECK_EQ(f.n, 200);
	evring_free(r);
}

/* Many flows in a small ring: buckets shared, old slots overwritten. */
static void test_overwrite(void)
{
	struct evring *r = evring_new(10);	/* rounded up to EVRING_MIN */
	struct evring_flow f;
	struct pkt syn = fx_pkt(C, 40000, S, 7001, TH_SYN, 1, 0, 64, 1, 0);
	struct pkt rst = fx_pkt(S, 7001, C, 40000, TH_RST | TH_ACK, 0, 2, 62, 0, 0);
	unsigned i, found = 0;

	CHECK_EQ(evring_size(r), EVRING_MIN);
	for (i = 0; i < 1000; i++) {
		syn.sport = rst.dport = (uint16_t)(40000 + i);
		evfix_push(r, &syn, 2 * i, 2);
		evfix_push(r, &rst, 2 * i + 1, 3)->serial = i + 1;
	}
	for (i = 0; i < 1000; i++) {
		rst.dport = (uint16_t)(40000 + i);
		if (evring_flow(r, evring_key(&rst), i + 1, 1u << 30, 64, 64, &f) < 0)
			continue;
		found++;
		CHECK_EQ(f.n, 2);
		CHECK_EQ(f.slot[0]->tcp_flags, TH_SYN);
		CHECK_EQ(f.slot[0]->ts_us + 1, f.slot[1]->ts_us);
	}
	CHECK_EQ(found, EVRING_MIN / 2);	/* the newest 128 flows */
	/* The oldest RST is gone; its flow says so. */
	rst.dport = 40000;
	CHECK_EQ(evring_flow(r, evring_key(&rst), 1, 1u << 30, 64, 64, &f), -1);
	evring_free(r);
}

/* IPv6, and a packet longer than the slot. */
static void test_ipv6_snap(void)
{
	struct evring *r = evring_new(256);
	struct evring_flow f;
	struct pkt d = fx_pkt("fd00:1::2", 41002, "fd00:3::2", 7002, TH_ACK, 1,
			      1, 64, 0, 1400);
	struct pkt rst = fx_pkt("fd00:3::2", 7002, "fd00:1::2", 41002,
				TH_RST | TH_ACK, 1, 1401, 62, 0, 0);

	evfix_push(r, &d, 1, 2);
	evfix_push(r, &rst, 2, 3)->serial = 3;
	CHECK_EQ(evring_flow(r, evring_key(&rst), 3, 10, 64, 64, &f), 0);
	CHECK_EQ(f.n, 2);
	CHECK_EQ(f.slot[0]->caplen, EVRING_SNAP);
	CHECK_EQ(f.slot[0]->len, 40 + 20 + 1400);
	CHECK_EQ(f.slot[1]->caplen, 60);
	evring_free(r);
}

int main(void)
{
	T_RUN(test_shb);
	T_RUN(test_idb);
	T_RUN(test_epb);
	T_RUN(test_epb_sll);
	T_RUN(test_flow_both_ways);
	T_RUN(test_flow_opening_syn);
	T_RUN(test_flow_burst);
	T_RUN(test_flow_caps);
	T_RUN(test_overwrite);
	T_RUN(test_ipv6_snap);
	return T_END("test_evring");
}
