/*
 * table.h: a bounded, preallocated open-addressing hash table of
 * fixed-size entries, shared by the flow and host tables.
 *
 * Every entry starts with struct tab_hdr.  Keys are 64-bit fingerprints
 * (0 means an empty slot); the owner computes them.  Linear probing at a
 * load of at most one half, backward-shift deletion, and when the table
 * holds its bound of entries the least recently used entry near the new
 * key's home is evicted and counted.  The slots start at 64 k and double
 * in place as entries arrive, up to twice the bound: a handful of rehashes
 * in a table's life, none per packet (tab_init_full(): all at once, never
 * a rehash).
 */
#ifndef RSTAUDIT_TABLE_H
#define RSTAUDIT_TABLE_H

#include <stddef.h>
#include <stdint.h>

struct tab_hdr {
	uint64_t key;
	uint32_t last_ms;	/* engine clock at the last touch */
	uint32_t user;		/* the owner's, kept with the entry */
};

struct tab {
	uint8_t *slots;
	size_t bytes;		/* mapped for slots */
	size_t open;		/* of which usable (the rest is reserved) */
	int moving;		/* no reservation: each doubling moves */
	size_t esize;		/* bytes per entry, a multiple of 8 */
	uint32_t mask;		/* slots - 1 */
	uint32_t count, max;	/* live entries, and the bound on them */
	uint64_t max_slots;	/* slots the bound needs: growth stops there */
	uint32_t grown;		/* times the slots doubled */
	uint32_t cursor;	/* where the incremental sweep resumes */
	uint64_t evicted;	/* removed to make room */
	uint64_t expired;	/* removed by the idle sweep */
};

/* Room for max entries of esize bytes.  Returns -1 (errno ENOMEM) on failure. */
int tab_init(struct tab *t, size_t esize, uint32_t max);

/*
 * The same, with every slot the bound needs mapped and faulted in at
 * once (the live daemon's): the table never doubles, so it never stops
 * the packet path to rehash, nor to have the kernel zero a huge page on
 * a first write (100 us to 1 ms each: tab_map()).
 */
int tab_init_full(struct tab *t, size_t esize, uint32_t max);
void tab_free(struct tab *t);

/*
 * Zeroed memory for a large array touched all over, on huge pages
 * where the kernel grants them: a first touch costs one fault per 2 MB
 * instead of one per 4 kB.  populate: every page faulted in now, not on
 * its first write, so that no first write waits for the kernel to zero
 * its page (the live path: a queue thread must not stall); else the
 * memory is only touched as it is used (captures: a small one touches
 * little).  NULL (errno) on failure; tab_unmap() takes the same size
 * back.
 */
void *tab_map(size_t bytes, int populate);
void tab_unmap(void *m, size_t bytes);

/* The header of slot i (the lookups below are inline: every packet). */
static inline struct tab_hdr *tab_slot(const struct tab *t, uint32_t i)
{
	return (struct tab_hdr *)(t->slots + (size_t)i * t->esize);
}

/*
 * Start loading the home slot of key into the cache, and the slot after
 * it: below half full, linear probing still goes on to the next slot
 * for many keys, and that miss was not hidden.  (A prefetch past the
 * last slot cannot fault; the wrap to slot 0 is rare.)
 */
static inline void tab_prefetch(const struct tab *t, uint64_t key)
{
	const uint8_t *e = (const uint8_t *)tab_slot(t, (uint32_t)key & t->mask);

	__builtin_prefetch(e, 1);
	__builtin_prefetch(e + t->esize, 1);
}

/* The entry with this key, or NULL. */
void *tab_find(const struct tab *t, uint64_t key);

/*
 * tab_get()'s insertion: key is absent and slot i is where its probe
 * ended.  Not to be called but by tab_get().
 */
void *tab_insert(struct tab *t, uint64_t key, uint32_t i, uint32_t now_ms,
		 int *created, void (*evict_hook)(void *entry, void *arg),
		 void *arg);

/*
 * The entry with this key, inserted zeroed (but for its header) if it was
 * absent, evicting the stalest nearby entry when the table is full.
 * *created says which.  Pointers into the table are valid only until the
 * next insert or delete.  evict_hook, when set, is told of each eviction.
 */
static inline void *tab_get(struct tab *t, uint64_t key, uint32_t now_ms,
			    int *created,
			    void (*evict_hook)(void *entry, void *arg),
			    void *arg)
{
	uint32_t i = (uint32_t)key & t->mask;

	for (;;) {
		struct tab_hdr *h = tab_slot(t, i);

		if (h->key == key) {
			*created = 0;
			return h;
		}
		if (h->key == 0)
			return tab_insert(t, key, i, now_ms, created,
					  evict_hook, arg);
		i = (i + 1) & t->mask;
	}
}

/*
 * Pass n slots from the sweep cursor, removing the entries idle for
 * more than idle_ms (as judged by keep(), when given: it may extend an
 * entry's life by returning nonzero).
 */
void tab_sweep(struct tab *t, uint32_t now_ms, uint32_t idle_ms, unsigned n,
	       int (*keep)(const void *entry, uint32_t now_ms, void *arg),
	       void *arg);

/* Mix a 64-bit value into a well-spread hash (never 0). */
static inline uint64_t tab_mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h ? h : 1;
}

#endif
