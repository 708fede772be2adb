/*
 * test_flow.c: the bounded hash table and per-flow state.
 */
#include <stdlib.h>

#include "fixtures.h"
#include "flow.h"
#include "host.h"
#include "t.h"
#include "table.h"

struct ent {
	struct tab_hdr h;
	uint64_t payload;
};

static void test_table_insert_find(void)
{
	struct tab t;
	int created, i;

	CHECK_EQ(tab_init(&t, sizeof(struct ent), 1000), 0);
	for (i = 1; i <= 1000; i++) {
		struct ent *e = tab_get(&t, tab_mix((uint64_t)i), 0, &created, NULL, NULL);

		CHECK_EQ(created, 1);
		e->payload = (uint64_t)i;
	}
	CHECK_EQ(t.count, 1000);
	for (i = 1; i <= 1000; i++) {
		struct ent *e = tab_find(&t, tab_mix((uint64_t)i));

		CHECK(e != NULL);
		if (e)
			CHECK_EQ(e->payload, i);
	}
	CHECK(tab_find(&t, tab_mix(5000)) == NULL);
	CHECK_EQ(t.evicted, 0);
	tab_free(&t);
}

static int evict_calls;
static void count_evict(void *entry, void *arg)
{
	(void)entry, (void)arg;
	evict_calls++;
}

/* Full table: each insert evicts one, and every survivor is still found. */
static void test_table_evict(void)
{
	struct tab t;
	int created, i, found = 0;

	CHECK_EQ(tab_init(&t, sizeof(struct ent), 64), 0);
	for (i = 1; i <= 1000; i++) {
		struct ent *e = tab_get(&t, tab_mix((uint64_t)i), (uint32_t)i,
					&created, count_evict, NULL);
		e->payload = (uint64_t)i;
	}
	CHECK_EQ(t.count, 64);
	CHECK_EQ(t.evicted, 1000 - 64);
	CHECK_EQ(evict_calls, 1000 - 64);
	for (i = 1; i <= 1000; i++) {
		struct ent *e = tab_find(&t, tab_mix((uint64_t)i));

		if (e) {
			found++;
			CHECK_EQ(e->payload, i);
		}
	}
	CHECK_EQ(found, 64);
	tab_free(&t);
}

/* Deletions by the sweep keep every other entry reachable (backward shift). */
static void test_table_sweep(void)
{
	struct tab t;
	int created, i, found = 0;

	CHECK_EQ(tab_init(&t, sizeof(struct ent), 5000), 0);
	for (i = 1; i <= 5000; i++)
		tab_get(&t, tab_mix((uint64_t)i), (uint32_t)(i % 2 ? 0 : 100000),
			&created, NULL, NULL);
	tab_sweep(&t, 100000, 50000, t.mask + 1, NULL, NULL);
	CHECK_EQ(t.expired, 2500);
	CHECK_EQ(t.count, 2500);
	for (i = 1; i <= 5000; i++)
		found += tab_find(&t, tab_mix((uint64_t)i)) != NULL;
	CHECK_EQ(found, 2500);
	for (i = 2; i <= 5000; i += 2)
		CHECK(tab_find(&t, tab_mix((uint64_t)i)) != NULL);
	tab_free(&t);
}

static void test_table_bad_init(void)
{
	struct tab t;

	CHECK_EQ(tab_init(&t, 12, 10), -1);
	CHECK_EQ(tab_init(&t, sizeof(struct ent), 0), -1);
}

static void test_flow_key_symmetric(void)
{
	struct pkt a = fx_pkt("10.0.1.2", 40000, "10.0.3.2", 80, TH_SYN, 1, 0, 64, 1, 0);
	struct pkt b = fx_pkt("10.0.3.2", 80, "10.0.1.2", 40000, TH_SYN | TH_ACK, 9, 2, 62, 0, 0);
	struct pkt c = fx_pkt("10.0.1.2", 40001, "10.0.3.2", 80, TH_SYN, 1, 0, 64, 1, 0);
	struct pkt d = fx_pkt("fd00:1::2", 40000, "fd00:3::2", 80, TH_SYN, 1, 0, 64, 0, 0);

	CHECK_EQ(flow_key(&a, 7), flow_key(&b, 7));
	CHECK(flow_key(&a, 7) != flow_key(&c, 7));
	CHECK(flow_key(&a, 7) != flow_key(&d, 7));
	CHECK(flow_key(&a, 7) != flow_key(&a, 8));
	CHECK(flow_sender_side(&a) != flow_sender_side(&b));
	CHECK_EQ(host_key(&a, 1, 3), host_key(&b, 0, 3));
}

/*
 * Keys that only a fold of the ports (or the family) into an address
 * word made equal, whatever the seed: 10.0.0.1:1000 and 10.0.1.1:1001
 * differ by the same bit in the address as in the ports; 8.0.0.5 (as
 * 800:5::, family 6 XOR 4) against 10.0.0.5.
 */
static void test_keys_no_fold(void)
{
	struct pkt a = fx_pkt("10.0.0.1", 1000, "10.0.0.9", 80, TH_SYN, 1, 0, 64, 1, 0);
	struct pkt b = fx_pkt("10.0.1.1", 1001, "10.0.0.9", 80, TH_SYN, 1, 0, 64, 1, 0);
	struct pkt c = fx_pkt("10.0.0.5", 1000, "10.0.0.9", 80, TH_SYN, 1, 0, 64, 1, 0);
	struct pkt d = fx_pkt("800:5::", 1000, "fd00::9", 80, TH_SYN, 1, 0, 64, 0, 0);
	/* The ports swapped between the endpoints: another connection. */
	struct pkt e = fx_pkt("10.0.0.1", 80, "10.0.0.9", 1000, TH_SYN, 1, 0, 64, 1, 0);
	struct pkt f = fx_pkt("fd00::1", 1000, "fd00::9", 80, TH_SYN, 1, 0, 64, 0, 0);
	struct pkt g = fx_pkt("fd00::1", 80, "fd00::9", 1000, TH_SYN, 1, 0, 64, 0, 0);
	uint64_t seed;

	for (seed = 0; seed < 64; seed++) {
		CHECK(flow_key(&a, seed) != flow_key(&b, seed));
		CHECK(flow_key(&a, seed) != flow_key(&e, seed));
		CHECK(flow_key(&f, seed) != flow_key(&g, seed));
		CHECK(host_key(&c, 0, seed) != host_key(&d, 0, seed));
	}
}

static void test_flow_update(void)
{
	struct flow_side s;
	struct pkt p = fx_pkt("10.0.3.2", 80, "10.0.1.2", 40000, TH_SYN | TH_ACK, 1000, 501, 62, 100, 0);

	memset(&s, 0, sizeof(s));
	p.opt.has = TOPT_WSCALE | TOPT_TS;
	p.opt.wscale = 7;
	p.opt.tsval = 42;
	flow_update(&s, &p);
	CHECK_EQ(s.nxt, 1001);
	CHECK_EQ(s.ack, 501);
	CHECK(s.sent_ack);
	CHECK_EQ(s.wscale, 7);
	CHECK(s.f & SIDE_SYNACK);
	CHECK(s.f & SIDE_TS);
	CHECK_EQ(s.tsval, 42);
	p = fx_pkt("10.0.3.2", 80, "10.0.1.2", 40000, TH_ACK | TH_PSH, 1001, 501, 62, 101, 100);
	flow_update(&s, &p);
	CHECK_EQ(s.nxt, 1101);
	CHECK(s.f & SIDE_IPID_SEQ);
	/* An old retransmission does not move nxt back. */
	p = fx_pkt("10.0.3.2", 80, "10.0.1.2", 40000, TH_ACK, 1001, 501, 62, 102, 10);
	flow_update(&s, &p);
	CHECK_EQ(s.nxt, 1101);
	p = fx_pkt("10.0.3.2", 80, "10.0.1.2", 40000, TH_RST, 1101, 0, 62, 0, 0);
	flow_update(&s, &p);
	CHECK(s.f & SIDE_RST);
	CHECK_EQ(s.ttl, 62);
	/* Talking again after the RST: the RST did not end it. */
	p = fx_pkt("10.0.3.2", 80, "10.0.1.2", 40000, TH_ACK, 1101, 501, 62, 103, 0);
	flow_update(&s, &p);
	CHECK(!(s.f & SIDE_RST));
}

static void test_flow_seq_wrap(void)
{
	struct flow_side s;
	struct pkt p = fx_pkt("10.0.3.2", 80, "10.0.1.2", 40000, TH_ACK, 0xffffff00u, 1, 62, 1, 0x200);

	memset(&s, 0, sizeof(s));
	flow_update(&s, &p);
	CHECK_EQ(s.nxt, 0x100);
	p.seq = 0xfffffe00u;	/* older, before the wrap */
	flow_update(&s, &p);
	CHECK_EQ(s.nxt, 0x100);
}

static void test_forwarded_copy(void)
{
	struct flow_side s;
	struct pkt p = fx_pkt("10.0.3.2", 80, "10.0.1.2", 40000, TH_ACK, 5, 7, 63, 9, 10);
	struct pkt q = p;

	memset(&s, 0, sizeof(s));
	flow_update(&s, &p);
	q.ttl = 62;
	CHECK(flow_is_forwarded_copy(&s, &q));
	q.ttl = 63;	/* same TTL: a retransmission, not a copy */
	CHECK(!flow_is_forwarded_copy(&s, &q));
	q.ttl = 62;
	q.ipid = 10;
	CHECK(!flow_is_forwarded_copy(&s, &q));
}

int main(void)
{
	T_RUN(test_table_insert_find);
	T_RUN(test_keys_no_fold);
	T_RUN(test_table_evict);
	T_RUN(test_table_sweep);
	T_RUN(test_table_bad_init);
	T_RUN(test_flow_key_symmetric);
	T_RUN(test_flow_update);
	T_RUN(test_flow_seq_wrap);
	T_RUN(test_forwarded_copy);
	return T_END("test_flow");
}
