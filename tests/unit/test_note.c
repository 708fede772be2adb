/*
 * test_note.c: the notes that conntrack did not take a RST (note.h):
 * found once, by the same bytes only, not after their life, and a full
 * window gives way oldest first, counted.
 */
#include <stdlib.h>

#include "t.h"
#include "../../src/note.h"

static void pkt_fill(uint8_t *b, uint32_t i)
{
	memset(b, 0x45, 60);
	memcpy(b + 24, &i, sizeof(i));	/* the seq, say */
}

static void test_take_once(void)
{
	struct notes *ns = notes_new(16);
	uint8_t a[60], b[60];

	pkt_fill(a, 1);
	pkt_fill(b, 2);
	notes_add(ns, 1, a, 60, 60, 1000);
	CHECK_EQ(notes_take(ns, b, 60, 60, 1000), 0);	/* other bytes */
	CHECK_EQ(notes_take(ns, a, 60, 61, 1000), 0);	/* other length */
	CHECK_EQ(notes_take(ns, a, 60, 60, 900), 1);	/* read a bit before */
	CHECK_EQ(notes_take(ns, a, 60, 60, 1000), 0);	/* used up */
	/* Two identical packets: two notes. */
	notes_add(ns, 1, b, 60, 60, 2000);
	notes_add(ns, 1, b, 60, 60, 2000);
	CHECK_EQ(notes_take(ns, b, 60, 60, 2000), 1);
	CHECK_EQ(notes_take(ns, b, 60, 60, 2000), 1);
	CHECK_EQ(notes_take(ns, b, 60, 60, 2000), 0);
	notes_free(ns);
}

static void test_life(void)
{
	struct notes *ns = notes_new(16);
	uint8_t a[60];

	pkt_fill(a, 3);
	notes_add(ns, 1, a, 60, 60, 1000);
	CHECK_EQ(notes_take(ns, a, 60, 60, 1000 + NOTE_LIFE_US), 0);
	notes_free(ns);
}

/* Only the first NOTE_BYTES count: a longer copy of the same packet. */
static void test_prefix(void)
{
	struct notes *ns = notes_new(16);
	uint8_t a[200];

	memset(a, 7, sizeof(a));
	notes_add(ns, 1, a, NOTE_BYTES, 200, 1);
	CHECK_EQ(notes_take(ns, a, 200, 200, 1), 1);
	notes_free(ns);
}

/*
 * The same bytes noted twice, deleted then invalid (an injector's RST
 * repeated: the first deletes the entry, the second finds none): taken
 * in that order, whatever order the kinds were asked in before.
 */
static void test_order(void)
{
	struct notes *ns = notes_new(16);
	uint8_t a[60], c[60];

	pkt_fill(a, 7);
	notes_add(ns, 2, a, 60, 60, 5000);
	notes_add(ns, 1, a, 60, 60, 5003);
	CHECK_EQ(notes_take(ns, a, 60, 60, 5010), 2);
	CHECK_EQ(notes_take(ns, a, 60, 60, 5010), 1);
	CHECK_EQ(notes_take(ns, a, 60, 60, 5010), 0);
	/* Bytes that differ in the last one kept, or only past it. */
	pkt_fill(c, 7);
	c[NOTE_BYTES - 1 < 60 ? NOTE_BYTES - 1 : 59] ^= 1;
	notes_add(ns, 1, a, 60, 60, 6000);
	CHECK_EQ(notes_take(ns, c, 60, 60, 6000), 0);
	CHECK_EQ(notes_take(ns, a, 60, 60, 6000), 1);
	notes_free(ns);
}

/* Far more notes than room: the newest are kept, the loss counted. */
static void test_full(void)
{
	struct notes *ns = notes_new(256);	/* 1024 slots */
	uint8_t a[60];
	uint32_t i, found = 0;

	for (i = 0; i < 20000; i++) {
		pkt_fill(a, i);
		notes_add(ns, 1, a, 60, 60, 1000 + i);
	}
	CHECK(notes_lost(ns) >= 20000 - 1024);
	for (i = 20000 - 64; i < 20000; i++) {
		pkt_fill(a, i);
		found += notes_take(ns, a, 60, 60, 30000) == 1;
	}
	CHECK(found >= 60);	/* the youngest survive */
	notes_free(ns);
}

int main(void)
{
	T_RUN(test_take_once);
	T_RUN(test_life);
	T_RUN(test_prefix);
	T_RUN(test_order);
	T_RUN(test_full);
	return T_END("test_note");
}
