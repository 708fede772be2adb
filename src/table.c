/*
 * table.c: bounded open-addressing hash table (see table.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "table.h"

#define EVICT_WINDOW 16		/* slots examined for an eviction victim */
#define TAB_MIN_SLOTS 65536	/* a table starts this small, then doubles */

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23	/* Linux 5.14 */
#endif

void *tab_map(size_t bytes, int populate)
{
	uint8_t *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED)
		return NULL;
	/* Huge pages spare a TLB miss on most lookups in a big table. */
	(void)madvise(m, bytes, MADV_HUGEPAGE);
	if (populate && madvise(m, bytes, MADV_POPULATE_WRITE) < 0) {
		int err = errno;

		if (err != EINVAL) {	/* no memory for it: say so now */
			munmap(m, bytes);
			errno = err;
			return NULL;
		}
		/*
		 * A kernel before 5.14: a write per page (a read would map
		 * the shared zero page, and the first write fault again).
		 */
		for (size_t i = 0; i < bytes; i += 4096)
			((volatile uint8_t *)m)[i] = 0;
	}
	return m;
}

/*
 * A table that grows reserves address space for its bound and for the
 * scratch of its last doubling, inaccessible, and opens it as it grows:
 * every doubling then happens in place, and only the slots the table
 * reaches are ever touched (and zeroed by the kernel).  Opened in steps
 * of a huge page.
 */
#define TAB_OPEN_STEP (2u << 20)

static size_t tab_round(size_t bytes, size_t cap)
{
	bytes = (bytes + TAB_OPEN_STEP - 1) / TAB_OPEN_STEP * TAB_OPEN_STEP;
	return bytes < cap ? bytes : cap;
}

/* Make the first bytes of the reservation usable: 0, or -1 (errno). */
static int tab_open(struct tab *t, size_t bytes)
{
	if (bytes > t->bytes) {
		errno = ENOMEM;
		return -1;
	}
	bytes = tab_round(bytes, t->bytes);
	if (bytes <= t->open)
		return 0;
	if (mprotect(t->slots + t->open, bytes - t->open,
		     PROT_READ | PROT_WRITE) < 0)
		return -1;
	t->open = bytes;
	return 0;
}

static int tab_setup(struct tab *t, size_t esize, uint32_t max, int full)
{
	uint64_t n = 16;
	void *m;

	memset(t, 0, sizeof(*t));
	if (max == 0 || esize < sizeof(struct tab_hdr) || esize % 8) {
		errno = EINVAL;
		return -1;
	}
	while (n < 2ULL * max)
		n <<= 1;
	if (n > (1ULL << 31)) {
		errno = ENOMEM;
		return -1;
	}
	t->max_slots = n;
	t->esize = esize;
	t->max = max;
	if (full || n <= TAB_MIN_SLOTS) {
		t->bytes = t->open = (size_t)n * esize;
		t->slots = tab_map(t->bytes, full);
		if (t->slots == NULL)
			return -1;
		t->mask = (uint32_t)(n - 1);
		return 0;
	}
	/*
	 * The slots the bound needs, and room for the scratch of its last
	 * doubling: at most max (n / 2) entries.
	 */
	t->bytes = (size_t)(n + n / 2) * esize;
	m = mmap(NULL, t->bytes, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED) {
		/*
		 * No room in the address space (ulimit -v): map what is
		 * used, and have each doubling move to a new mapping.
		 */
		t->bytes = t->open = (size_t)TAB_MIN_SLOTS * esize;
		if ((t->slots = tab_map(t->bytes, 0)) == NULL)
			return -1;
		t->moving = 1;
		t->mask = TAB_MIN_SLOTS - 1;
		return 0;
	}
	t->slots = m;
	(void)madvise(m, t->bytes, MADV_HUGEPAGE);
	if (tab_open(t, (size_t)TAB_MIN_SLOTS * esize) < 0) {
		tab_free(t);
		return -1;
	}
	t->mask = TAB_MIN_SLOTS - 1;
	return 0;
}

int tab_init(struct tab *t, size_t esize, uint32_t max)
{
	return tab_setup(t, esize, max, 0);
}

int tab_init_full(struct tab *t, size_t esize, uint32_t max)
{
	return tab_setup(t, esize, max, 1);
}

/* Put the entry at h in its first free slot from its home. */
static void tab_place(struct tab *t, const struct tab_hdr *h)
{
	uint32_t j;

	for (j = (uint32_t)h->key & t->mask; tab_slot(t, j)->key != 0;
	     j = (j + 1) & t->mask)
		;
	memcpy(tab_slot(t, j), h, t->esize);
}

/*
 * The doubling of a table that cannot reserve its bound: into a new
 * mapping, in slot order, the old one given back.
 */
static void tab_grow_moving(struct tab *t)
{
	struct tab old = *t;
	size_t i;

	if ((t->slots = tab_map(2 * t->bytes, 0)) == NULL) {
		t->slots = old.slots;
		return;
	}
	t->bytes = t->open = 2 * old.bytes;
	t->mask = 2 * old.mask + 1;
	for (i = 0; i <= old.mask; i++)
		if (tab_slot(&old, (uint32_t)i)->key != 0)
			tab_place(t, tab_slot(&old, (uint32_t)i));
	munmap(old.slots, old.bytes);
}

/*
 * Double the slots, up to what max entries need: memory is only touched
 * as the table fills, and a small table stays in cache.  Runs log2 times
 * in a table's life, never per packet.  On failure the table stays as it
 * is (fuller, still correct).
 *
 * In place: the entries go, in slot order, to a scratch just past the
 * doubled slots (where the next doubling will reach anyway), the old
 * slots are cleared, and the entries come back in that order.  That is
 * the order a copy into a fresh table inserts them in, so every entry
 * lands in the same slot as it did then.
 */
static void tab_grow(struct tab *t)
{
	size_t n = (size_t)t->mask + 1, i, k = 0;
	uint8_t *scratch = t->slots + 2 * n * t->esize;

	if (t->moving)
		tab_grow_moving(t);
	else if (tab_open(t, (2 * n + t->count) * t->esize) == 0) {
		for (i = 0; i < n; i++) {
			const struct tab_hdr *h = tab_slot(t, (uint32_t)i);

			if (h->key != 0)
				memcpy(scratch + k++ * t->esize, h, t->esize);
		}
		/* Slots n.. are still zero. */
		memset(t->slots, 0, n * t->esize);
		t->mask = (uint32_t)(2 * n - 1);
		for (i = 0; i < k; i++)
			tab_place(t, (const void *)(scratch + i * t->esize));
		/* The next doubling's new half must read as empty. */
		memset(scratch, 0, k * t->esize);
	}
	if (t->mask + 1 == n)
		return;		/* no memory: stays as it is */
	t->cursor = 0;
	t->grown++;
}

void tab_unmap(void *m, size_t bytes)
{
	if (m != NULL)
		munmap(m, bytes);
}

void tab_free(struct tab *t)
{
	if (t->slots)
		munmap(t->slots, t->bytes);
	t->slots = NULL;
}

void *tab_find(const struct tab *t, uint64_t key)
{
	uint32_t i = (uint32_t)key & t->mask;

	for (;;) {
		struct tab_hdr *h = tab_slot(t, i);

		if (h->key == key)
			return h;
		if (h->key == 0)
			return NULL;
		i = (i + 1) & t->mask;
	}
}

/* Remove the entry in slot i, shifting later members of its cluster back. */
static void tab_remove_at(struct tab *t, uint32_t i)
{
	uint32_t j = i;

	for (;;) {
		struct tab_hdr *h;
		uint32_t home;

		j = (j + 1) & t->mask;
		h = tab_slot(t, j);
		if (h->key == 0)
			break;
		home = (uint32_t)h->key & t->mask;
		/* Move h back to i unless its home lies cyclically in (i, j]. */
		if (((j - home) & t->mask) >= ((j - i) & t->mask)) {
			memcpy(tab_slot(t, i), h, t->esize);
			i = j;
		}
	}
	memset(tab_slot(t, i), 0, t->esize);
	t->count--;
}

static void tab_evict_near(struct tab *t, uint32_t home,
			   void (*evict_hook)(void *, void *), void *arg)
{
	uint32_t i = home, victim = UINT32_MAX, oldest = UINT32_MAX;
	unsigned seen = 0;

	while (seen < EVICT_WINDOW) {
		struct tab_hdr *h = tab_slot(t, i);

		if (h->key != 0) {
			seen++;
			if (h->last_ms <= oldest) {
				oldest = h->last_ms;
				victim = i;
			}
		}
		i = (i + 1) & t->mask;
		if (i == home)
			break;
	}
	if (victim == UINT32_MAX)
		return;
	if (evict_hook)
		evict_hook(tab_slot(t, victim), arg);
	tab_remove_at(t, victim);
	t->evicted++;
}

void *tab_insert(struct tab *t, uint64_t key, uint32_t i, uint32_t now_ms,
		 int *created, void (*evict_hook)(void *entry, void *arg),
		 void *arg)
{
	uint32_t home = (uint32_t)key & t->mask;
	struct tab_hdr *h = tab_slot(t, i);

	if (2 * ((size_t)t->count + 1) > (size_t)t->mask + 1 &&
	    (size_t)t->mask + 1 < t->max_slots) {
		tab_grow(t);
		return tab_get(t, key, now_ms, created, evict_hook, arg);
	}
	if (t->count >= t->max) {
		tab_evict_near(t, home, evict_hook, arg);
		/* The shift may have moved entries: find the free slot again. */
		for (i = home; tab_slot(t, i)->key != 0; i = (i + 1) & t->mask)
			;
		h = tab_slot(t, i);
	}
	memset(h, 0, t->esize);
	h->key = key;
	h->last_ms = now_ms;
	t->count++;
	*created = 1;
	return h;
}

void tab_sweep(struct tab *t, uint32_t now_ms, uint32_t idle_ms, unsigned n,
	       int (*keep)(const void *entry, uint32_t now_ms, void *arg),
	       void *arg)
{
	/* n counts slots passed; each removal also shrinks the table, so
	 * the loop is bounded by n + count. */
	while (n > 0) {
		uint32_t i = t->cursor;
		struct tab_hdr *h = tab_slot(t, i);

		if (h->key != 0 && now_ms - h->last_ms > idle_ms &&
		    !(keep && keep(h, now_ms, arg))) {
			/* A later entry may shift into slot i: look again. */
			tab_remove_at(t, i);
			t->expired++;
			continue;
		}
		t->cursor = (i + 1) & t->mask;
		n--;
	}
}
