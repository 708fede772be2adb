/*
 * note.c: notes of RSTs conntrack did not take (see note.h).  An open-
 * addressing set of 64-bit keys probed over a fixed window: no deletion
 * chain to repair, every operation bounded.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "note.h"

#define WINDOW	8	/* slots probed per key */
#define KIND	3ULL	/* a key's low bits: its kind */

struct slot {
	uint64_t key;	/* hash | kind */
	uint64_t us;	/* when noted; 0: free */
};

struct notes {
	struct slot	*s;
	uint32_t	 mask;
	uint64_t	 seed;
	uint64_t	 lost;
};

struct notes *notes_new(uint32_t n)
{
	struct notes *ns = calloc(1, sizeof(*ns));
	uint32_t size = 1024;

	if (ns == NULL)
		return NULL;
	while (size < 4 * n && size < (1u << 24))
		size <<= 1;
	ns->mask = size - 1;
	if (getrandom(&ns->seed, sizeof(ns->seed), GRND_NONBLOCK) !=
	    sizeof(ns->seed))
		ns->seed = (uint64_t)(uintptr_t)ns ^ 0x9e3779b97f4a7c15ULL;
	if ((ns->s = calloc(size, sizeof(*ns->s))) == NULL) {
		free(ns);
		errno = ENOMEM;
		return NULL;
	}
	return ns;
}

void notes_free(struct notes *ns)
{
	if (ns == NULL)
		return;
	free(ns->s);
	free(ns);
}

/*
 * Eight bytes a round, seeded; the low bits left for the kind.  Byte by
 * byte (FNV-1a, 80 dependent multiplies) this was a RST's costliest
 * hash, and anyone sending RSTs could aim two at one key.
 */
static uint64_t note_hash(const struct notes *ns, const uint8_t *buf,
			  uint32_t caplen, uint32_t len)
{
	uint32_t n = caplen < NOTE_BYTES ? caplen : NOTE_BYTES, i;
	uint64_t h = ns->seed ^ ((uint64_t)len << 32 | n), w;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&w, buf + i, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, buf + i, n - i);
	h = (h ^ w) * 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h & ~KIND;
}

/* The first slot probed: high bits, the low ones say the kind. */
static uint32_t home(uint64_t key)
{
	return (uint32_t)(key >> 32);
}

void notes_add(struct notes *ns, uint8_t kind, const uint8_t *buf,
	       uint32_t caplen, uint32_t len, uint64_t now_us)
{
	uint64_t key = note_hash(ns, buf, caplen, len) | (kind & KIND);
	struct slot *oldest = NULL;

	if (now_us == 0)
		now_us = 1;
	for (uint32_t i = 0; i < WINDOW; i++) {
		struct slot *s = &ns->s[(home(key) + i) & ns->mask];

		if (s->us == 0 || now_us - s->us >= NOTE_LIFE_US) {
			s->key = key;
			s->us = now_us;
			return;
		}
		if (oldest == NULL || s->us < oldest->us)
			oldest = s;
	}
	ns->lost++;		/* a full window: the oldest gives way */
	oldest->key = key;
	oldest->us = now_us;
}

uint8_t notes_take(struct notes *ns, const uint8_t *buf, uint32_t caplen,
		   uint32_t len, uint64_t now_us)
{
	uint64_t hash = note_hash(ns, buf, caplen, len);
	struct slot *found = NULL;

	for (uint32_t i = 0; i < WINDOW; i++) {
		struct slot *s = &ns->s[(home(hash) + i) & ns->mask];

		/* The note may be a little younger than the queue's read. */
		if (s->us != 0 && (s->key & ~KIND) == hash &&
		    (int64_t)(now_us - s->us) < NOTE_LIFE_US &&
		    (found == NULL || s->us < found->us))
			found = s;
	}
	if (found == NULL)
		return 0;
	found->us = 0;
	return (uint8_t)(found->key & KIND);
}

uint64_t notes_lost(const struct notes *ns)
{
	return ns->lost;
}
