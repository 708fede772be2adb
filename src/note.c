/*
 * note.c: notes of RSTs conntrack did not take (see note.h).  An open-
 * addressing set of 64-bit keys probed over a fixed window: no deletion
 * chain to repair, every operation bounded.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "note.h"

#define WINDOW	8	/* slots probed per key */

struct slot {
	uint64_t key;
	uint64_t us;	/* when noted; 0: free */
};

struct notes {
	struct slot	*s;
	uint32_t	 mask;
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

/* FNV-1a over the kind and the bytes, then a final mix; never 0. */
static uint64_t note_key(uint8_t kind, const uint8_t *buf, uint32_t caplen,
			 uint32_t len)
{
	uint64_t h = (0xcbf29ce484222325ULL ^ len ^ (uint64_t)kind << 32) *
		     0x100000001b3ULL;
	uint32_t n = caplen < NOTE_BYTES ? caplen : NOTE_BYTES;

	for (uint32_t i = 0; i < n; i++)
		h = (h ^ buf[i]) * 0x100000001b3ULL;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h | 1;
}

void notes_add(struct notes *ns, uint8_t kind, const uint8_t *buf,
	       uint32_t caplen, uint32_t len, uint64_t now_us)
{
	uint64_t key = note_key(kind, buf, caplen, len);
	struct slot *oldest = NULL;

	if (now_us == 0)
		now_us = 1;
	for (uint32_t i = 0; i < WINDOW; i++) {
		struct slot *s = &ns->s[(key + i) & ns->mask];

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

int notes_take(struct notes *ns, uint8_t kind, const uint8_t *buf,
	       uint32_t caplen, uint32_t len, uint64_t now_us)
{
	uint64_t key = note_key(kind, buf, caplen, len);

	for (uint32_t i = 0; i < WINDOW; i++) {
		struct slot *s = &ns->s[(key + i) & ns->mask];

		/* The note may be a little younger than the queue's read. */
		if (s->us != 0 && s->key == key &&
		    (int64_t)(now_us - s->us) < NOTE_LIFE_US) {
			s->us = 0;
			return 1;
		}
	}
	return 0;
}

uint64_t notes_lost(const struct notes *ns)
{
	return ns->lost;
}
