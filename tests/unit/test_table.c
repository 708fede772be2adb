/*
 * test_table.c: the bounded hash table (src/table.c): insert and find,
 * growth, the bound, which entry eviction picks, and the idle sweep,
 * with keys chosen to collide so that probing and backward-shift
 * deletion are exercised.
 */
#include <sys/mman.h>
#include <sys/resource.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "table.h"
#include "t.h"

#ifndef __has_feature
#define __has_feature(x) 0	/* gcc before 14 */
#endif
#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
#define T_ASAN 1
#else
#define T_ASAN 0
#endif

struct ent {
	struct tab_hdr h;
	uint64_t payload;
};

/* A key whose home slot is home (the low bits), told apart by n. */
static uint64_t key_at(uint32_t home, uint32_t n)
{
	return ((uint64_t)(n + 1) << 32) | home;
}

static uint64_t evicted_keys[64];
static int n_evicted;

static void on_evict(void *entry, void *arg)
{
	(void)arg;
	if (n_evicted < 64)
		evicted_keys[n_evicted++] = ((struct tab_hdr *)entry)->key;
}

static struct ent *get(struct tab *t, uint64_t key, uint32_t now, int *created)
{
	return tab_get(t, key, now, created, on_evict, NULL);
}

static void test_init_rejects(void)
{
	struct tab t;

	errno = 0;
	CHECK_EQ(tab_init(&t, sizeof(struct ent), 0), -1);
	CHECK_EQ(errno, EINVAL);
	CHECK_EQ(tab_init(&t, 12, 10), -1);	/* not a multiple of 8 */
	CHECK_EQ(tab_init(&t, 8, 10), -1);	/* smaller than the header */
	CHECK_EQ(tab_init(&t, sizeof(struct ent), 10), 0);
	CHECK_EQ(t.mask + 1, 32);		/* twice the bound, a power of 2 */
	tab_free(&t);
}

static void test_insert_find(void)
{
	struct tab t;
	struct ent *e;
	int created, i;

	CHECK_EQ(tab_init(&t, sizeof(struct ent), 1000), 0);
	CHECK(tab_find(&t, 42) == NULL);
	for (i = 0; i < 100; i++) {
		e = get(&t, tab_mix((uint64_t)i), 5, &created);
		CHECK_EQ(created, 1);
		CHECK_EQ(e->payload, 0);	/* zeroed */
		CHECK_EQ(e->h.last_ms, 5);
		e->payload = (uint64_t)i + 1000;
	}
	CHECK_EQ(t.count, 100);
	for (i = 0; i < 100; i++) {
		e = get(&t, tab_mix((uint64_t)i), 9, &created);
		CHECK_EQ(created, 0);
		CHECK_EQ(e->payload, (uint64_t)i + 1000);
		CHECK(tab_find(&t, tab_mix((uint64_t)i)) == (void *)e);
	}
	CHECK_EQ(t.count, 100);
	CHECK(tab_find(&t, tab_mix(100)) == NULL);
	tab_free(&t);
}

/* Keys that share one home slot probe past each other. */
static void test_collisions(void)
{
	struct tab t;
	struct ent *e;
	int created, i;

	CHECK_EQ(tab_init(&t, sizeof(struct ent), 64), 0);
	for (i = 0; i < 20; i++) {
		e = get(&t, key_at(7, (uint32_t)i), 1, &created);
		CHECK_EQ(created, 1);
		e->payload = (uint64_t)i;
	}
	for (i = 0; i < 20; i++) {
		e = tab_find(&t, key_at(7, (uint32_t)i));
		CHECK(e != NULL);
		if (e != NULL)
			CHECK_EQ(e->payload, i);
	}
	tab_free(&t);
}

/* Past half full the slots double, up to what the bound needs. */
static void test_grow(void)
{
	struct tab t;
	uint32_t i, max = 100000, n = 40000;
	int created, lost = 0;

	CHECK_EQ(tab_init(&t, sizeof(struct ent), max), 0);
	CHECK_EQ(t.mask + 1, 65536);		/* starts small */
	CHECK_EQ(t.max_slots, 262144);
	for (i = 0; i < n; i++)
		((struct ent *)get(&t, tab_mix(i), 1, &created))->payload = i;
	CHECK_EQ(t.grown, 1);
	CHECK_EQ(t.mask + 1, 131072);
	CHECK_EQ(t.count, n);
	CHECK_EQ(t.evicted, 0);
	for (i = 0; i < n; i++) {
		struct ent *e = tab_find(&t, tab_mix(i));

		lost += e == NULL || e->payload != i;
	}
	CHECK_EQ(lost, 0);
	for (i = n; i < max; i++)
		get(&t, tab_mix(i), 1, &created);
	CHECK_EQ(t.mask + 1, t.max_slots);	/* grown as far as it goes */
	CHECK_EQ(t.count, max);
	CHECK_EQ(t.evicted, 0);
	tab_free(&t);
}

/*
 * A doubling happens in place but must leave every entry in the slot a
 * copy into a fresh table, in slot order, would give it: sweeps and
 * evictions depend on where entries sit.  Clusters that wrap around the
 * end of the old slots are the hard case, so make some.
 */
static void test_grow_layout(void)
{
	enum { OLD = 65536, NEW = 2 * OLD };
	static struct ent before[OLD], want[NEW];
	struct tab t;
	uint32_t i, j, bad = 0;
	int created;

	CHECK_EQ(tab_init(&t, sizeof(struct ent), 100000), 0);
	for (i = 0; i < OLD / 2; i++) {
		uint64_t key = i < 64 ? key_at(OLD - 8 + i % 8 + (i & 1) * OLD, i)
				      : tab_mix(i);

		((struct ent *)get(&t, key, 1, &created))->payload = i;
	}
	CHECK_EQ(t.grown, 0);
	memcpy(before, t.slots, sizeof(before));
	for (i = 0; i < OLD; i++) {
		if (before[i].h.key == 0)
			continue;
		for (j = (uint32_t)before[i].h.key & (NEW - 1); want[j].h.key;
		     j = (j + 1) & (NEW - 1))
			;
		want[j] = before[i];
	}
	get(&t, tab_mix(OLD), 1, &created);	/* the doubling */
	CHECK_EQ(t.grown, 1);
	CHECK_EQ(t.mask + 1, NEW);
	for (j = (uint32_t)tab_mix(OLD) & (NEW - 1); want[j].h.key;
	     j = (j + 1) & (NEW - 1))
		;
	want[j].h.key = tab_mix(OLD);
	want[j].h.last_ms = 1;
	for (i = 0; i < NEW; i++)
		bad += memcmp(&want[i], tab_slot(&t, i), sizeof(want[i])) != 0;
	CHECK_EQ(bad, 0);
	tab_free(&t);
}

/*
 * Under an address-space limit too low for the reservation, a table
 * doubles by moving to a new mapping, and must end with the very slots
 * a reserving table has.  (Not under ASan: its shadow needs no limit.)
 */
static void test_grow_moving(void)
{
#if !T_ASAN
	struct rlimit saved, low;
	struct tab a, b;
	unsigned long pages = 0;
	uint32_t i, n = 100000, max = 1u << 24;
	int created;
	FILE *fp = fopen("/proc/self/statm", "r");

	if (fp == NULL || fscanf(fp, "%lu", &pages) != 1 ||
	    getrlimit(RLIMIT_AS, &saved) < 0) {
		if (fp)
			fclose(fp);
		return;		/* nothing to limit with: not this test */
	}
	fclose(fp);
	low = saved;
	low.rlim_cur = (rlim_t)pages * 4096 + (256u << 20);
	CHECK_EQ(setrlimit(RLIMIT_AS, &low), 0);
	CHECK_EQ(tab_init(&a, sizeof(struct ent), max), 0);
	CHECK_EQ(a.moving, 1);
	for (i = 0; i < n; i++)
		((struct ent *)get(&a, tab_mix(i), 1, &created))->payload = i;
	CHECK_EQ(setrlimit(RLIMIT_AS, &saved), 0);
	CHECK_EQ(a.grown, 2);
	CHECK_EQ(tab_init(&b, sizeof(struct ent), max), 0);
	CHECK_EQ(b.moving, 0);
	for (i = 0; i < n; i++)
		((struct ent *)get(&b, tab_mix(i), 1, &created))->payload = i;
	CHECK_EQ(a.mask, b.mask);
	CHECK(memcmp(a.slots, b.slots, ((size_t)a.mask + 1) * a.esize) == 0);
	tab_free(&a);
	tab_free(&b);
#endif
}

/* tab_init_full(): every slot at once; filling it to its bound never
 * doubles it (the daemon's packet path never waits for a rehash). */
static void test_full(void)
{
	struct tab t;
	uint32_t i, max = 100000, lost = 0;
	int created;

	CHECK_EQ(tab_init_full(&t, sizeof(struct ent), max), 0);
	CHECK_EQ(t.mask + 1, t.max_slots);
	CHECK_EQ(t.max_slots, 262144);
	for (i = 0; i < max; i++)
		((struct ent *)get(&t, tab_mix(i), 1, &created))->payload = i;
	CHECK_EQ(t.grown, 0);
	CHECK_EQ(t.count, max);
	CHECK_EQ(t.evicted, 0);
	for (i = 0; i < max; i++) {
		struct ent *e = tab_find(&t, tab_mix(i));

		lost += e == NULL || e->payload != i;
	}
	CHECK_EQ(lost, 0);
	get(&t, tab_mix(max), 2, &created);	/* past the bound: evicts */
	CHECK_EQ(t.count, max);
	CHECK_EQ(t.evicted, 1);
	tab_free(&t);
}

/* Pages of [m, m + bytes) not resident (mincore()), or -1. */
static long not_resident(const void *m, size_t bytes)
{
	long psz = sysconf(_SC_PAGESIZE), n = 0;
	size_t i, pages = (bytes + (size_t)psz - 1) / (size_t)psz;
	unsigned char *vec = malloc(pages);

	if (vec == NULL || mincore((void *)m, bytes, vec) < 0) {
		free(vec);
		return -1;
	}
	for (i = 0; i < pages; i++)
		n += !(vec[i] & 1);
	free(vec);
	return n;
}

/*
 * A full table's memory is resident before its first entry: no packet
 * waits for the kernel to clear a page of it.  A growing table's and
 * an unpopulated map's are not (a small capture touches little).
 */
static void test_full_resident(void)
{
	struct tab t;
	uint8_t *m;

	CHECK_EQ(tab_init_full(&t, sizeof(struct ent), 100000), 0);
	CHECK_EQ(not_resident(t.slots, t.bytes), 0);
	tab_free(&t);
	CHECK_EQ(tab_init(&t, sizeof(struct ent), 100000), 0);
	CHECK(not_resident(t.slots, t.open) > 0);
	tab_free(&t);
	CHECK((m = tab_map(4u << 20, 1)) != NULL);
	CHECK_EQ(not_resident(m, 4u << 20), 0);
	tab_unmap(m, 4u << 20);
	CHECK((m = tab_map(4u << 20, 0)) != NULL);
	CHECK_EQ(not_resident(m, 4u << 20), 1024);
	tab_unmap(m, 4u << 20);
}

/* A full table stays at its bound: each insert evicts one, counted. */
static void test_bound(void)
{
	struct tab t;
	uint32_t i;
	int created;

	CHECK_EQ(tab_init(&t, sizeof(struct ent), 100), 0);
	n_evicted = 0;
	for (i = 0; i < 1000; i++)
		get(&t, tab_mix(i), i, &created);
	CHECK_EQ(t.count, 100);
	CHECK_EQ(t.evicted, 900);
	CHECK_EQ(t.grown, 0);			/* 256 slots from the start */
	CHECK(tab_find(&t, tab_mix(999)) != NULL);	/* the newest stays */
	tab_free(&t);
}

/* The victim is the least recently touched entry near the new key. */
static void test_lru_eviction(void)
{
	struct tab t;
	struct ent *e;
	uint32_t i;
	int created;

	CHECK_EQ(tab_init(&t, sizeof(struct ent), 8), 0);	/* 16 slots */
	n_evicted = 0;
	for (i = 0; i < 8; i++)
		get(&t, key_at(i, 0), 100 + i, &created);
	/* Touch the oldest: the owner stamps last_ms on use. */
	e = tab_find(&t, key_at(0, 0));
	CHECK(e != NULL);
	if (e != NULL)
		e->h.last_ms = 200;
	get(&t, key_at(0, 1), 300, &created);
	CHECK_EQ(created, 1);
	CHECK_EQ(t.count, 8);
	CHECK_EQ(t.evicted, 1);
	CHECK_EQ(n_evicted, 1);
	CHECK_EQ(evicted_keys[0], key_at(1, 0));	/* last_ms 101 */
	CHECK(tab_find(&t, key_at(1, 0)) == NULL);
	CHECK(tab_find(&t, key_at(0, 0)) != NULL);	/* touched: kept */
	CHECK(tab_find(&t, key_at(0, 1)) != NULL);
	for (i = 2; i < 8; i++)
		CHECK(tab_find(&t, key_at(i, 0)) != NULL);
	tab_free(&t);
}

static int keep_odd(const void *entry, uint32_t now_ms, void *arg)
{
	(void)now_ms, (void)arg;
	return ((const struct ent *)entry)->payload & 1;
}

/* The sweep removes what is idle too long, unless keep() says not to,
 * and leaves a cluster every survivor can still be found in. */
static void test_idle_sweep(void)
{
	struct tab t;
	struct ent *e;
	uint32_t i;
	int created, lost = 0;

	CHECK_EQ(tab_init(&t, sizeof(struct ent), 16), 0);	/* 32 slots */
	for (i = 0; i < 12; i++) {
		e = get(&t, key_at(3, i), i < 6 ? 0 : 1000, &created);
		e->payload = i;
	}
	/* Idle more than 500 ms: the first six, of which 1, 3, 5 kept. */
	tab_sweep(&t, 1200, 500, 32, keep_odd, NULL);
	CHECK_EQ(t.expired, 3);
	CHECK_EQ(t.count, 9);
	for (i = 0; i < 12; i++) {
		e = tab_find(&t, key_at(3, i));
		if (i < 6 && i % 2 == 0)
			lost += e != NULL;
		else
			lost += e == NULL || e->payload != i;
	}
	CHECK_EQ(lost, 0);
	/*
	 * A partial pass stops after n slots and resumes there.  Slots 0-3
	 * hold the cluster's home: each removal there shifts the next
	 * member back into it, so the whole cluster goes; slot 20's entry
	 * waits for the next pass.
	 */
	get(&t, key_at(20, 0), 1000, &created);
	tab_sweep(&t, 5000, 500, 4, NULL, NULL);
	CHECK_EQ(t.cursor, 4);
	CHECK_EQ(t.count, 1);
	CHECK(tab_find(&t, key_at(20, 0)) != NULL);
	tab_sweep(&t, 5000, 500, 28, NULL, NULL);
	CHECK_EQ(t.count, 0);
	CHECK_EQ(t.cursor, 0);
	CHECK_EQ(t.expired, 13);
	tab_free(&t);
}

int main(void)
{
	T_RUN(test_init_rejects);
	T_RUN(test_insert_find);
	T_RUN(test_collisions);
	T_RUN(test_grow);
	T_RUN(test_grow_layout);
	T_RUN(test_grow_moving);
	T_RUN(test_full);
	T_RUN(test_full_resident);
	T_RUN(test_bound);
	T_RUN(test_lru_eviction);
	T_RUN(test_idle_sweep);
	return T_END("test_table");
}
