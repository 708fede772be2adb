/*
 * table.c: bounded open-addressing hash table (see table.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "table.h"

#define EVICT_WINDOW 16		/* slots examined for an eviction victim */

static inline struct tab_hdr *slot(const struct tab *t, uint32_t i)
{
	return (struct tab_hdr *)(t->slots + (size_t)i * t->esize);
}

int tab_init(struct tab *t, size_t esize, uint32_t max)
{
	uint64_t n = 16;

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
	/*
	 * Anonymous memory: untouched pages stay unbacked until an entry
	 * lands there, and huge pages spare a TLB miss on most lookups in
	 * a table of a million flows.
	 */
	t->bytes = (size_t)n * esize;
	t->slots = mmap(NULL, t->bytes, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t->slots == MAP_FAILED) {
		t->slots = NULL;
		return -1;
	}
	(void)madvise(t->slots, t->bytes, MADV_HUGEPAGE);
	t->esize = esize;
	t->mask = (uint32_t)(n - 1);
	t->max = max;
	return 0;
}

void tab_free(struct tab *t)
{
	if (t->slots)
		munmap(t->slots, t->bytes);
	t->slots = NULL;
}

void tab_prefetch(const struct tab *t, uint64_t key)
{
	__builtin_prefetch(slot(t, (uint32_t)key & t->mask), 1);
}

void *tab_find(const struct tab *t, uint64_t key)
{
	uint32_t i = (uint32_t)key & t->mask;

	for (;;) {
		struct tab_hdr *h = slot(t, i);

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
		h = slot(t, j);
		if (h->key == 0)
			break;
		home = (uint32_t)h->key & t->mask;
		/* Move h back to i unless its home lies cyclically in (i, j]. */
		if (((j - home) & t->mask) >= ((j - i) & t->mask)) {
			memcpy(slot(t, i), h, t->esize);
			i = j;
		}
	}
	memset(slot(t, i), 0, t->esize);
	t->count--;
}

static void tab_evict_near(struct tab *t, uint32_t home,
			   void (*evict_hook)(void *, void *), void *arg)
{
	uint32_t i = home, victim = UINT32_MAX, oldest = UINT32_MAX;
	unsigned seen = 0;

	while (seen < EVICT_WINDOW) {
		struct tab_hdr *h = slot(t, i);

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
		evict_hook(slot(t, victim), arg);
	tab_remove_at(t, victim);
	t->evicted++;
}

void *tab_get(struct tab *t, uint64_t key, uint32_t now_ms, int *created,
	      void (*evict_hook)(void *entry, void *arg), void *arg)
{
	uint32_t home = (uint32_t)key & t->mask, i = home;
	struct tab_hdr *h;

	for (;;) {
		h = slot(t, i);
		if (h->key == key) {
			*created = 0;
			return h;
		}
		if (h->key == 0)
			break;
		i = (i + 1) & t->mask;
	}
	if (t->count >= t->max) {
		tab_evict_near(t, home, evict_hook, arg);
		/* The shift may have moved entries: find the free slot again. */
		for (i = home; slot(t, i)->key != 0; i = (i + 1) & t->mask)
			;
		h = slot(t, i);
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
		struct tab_hdr *h = slot(t, i);

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
