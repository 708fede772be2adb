/*
 * note.h: the table's notes about a RST (nft.h: conntrack did not take
 * it, or it made conntrack delete its entry), kept until the RST's queued
 * copy comes.  A note has a kind (1..3); taking a packet's note gives
 * the kind of its oldest one: the same bytes twice (an injector's
 * repeated RST: the first deletes the entry, the second finds none) pair
 * with their notes in the order they crossed.
 *
 * The note is logged just before the RST is queued, so under load the
 * group runs ahead of the queue by the queue's whole backlog: the set
 * holds four times the queue's length, and under a flood that fails open
 * the oldest notes (of RSTs that passed unread) give way first.  A note
 * is known by a seeded 62-bit hash of the packet's first bytes and its
 * length (the same packet, copied twice at the same hook: whoever sends
 * the bytes cannot aim at another's note); it is used up when taken, matches nothing
 * after NOTE_LIFE_US, and an old one gives way to a new one when its
 * probe window is full.  Pure: no I/O, no clock of its own.
 */
#ifndef RSTAUDIT_NOTE_H
#define RSTAUDIT_NOTE_H

#include <stddef.h>
#include <stdint.h>

#define NOTE_BYTES	80		/* of a RST's first bytes */
#define NOTE_LIFE_US	1000000		/* a note older than this matches nothing */

struct notes;

/* Room for about n notes waiting at once.  NULL (ENOMEM). */
struct notes	*notes_new(uint32_t n);
void		 notes_free(struct notes *ns);

/* Note kind (1..3) of the packet of len bytes, caplen of them in buf,
 * at now_us. */
void	notes_add(struct notes *ns, uint8_t kind, const uint8_t *buf,
	    uint32_t caplen, uint32_t len, uint64_t now_us);

/*
 * Was this packet noted (not too long ago)?  The kind of its oldest note,
 * used up, or 0.
 */
uint8_t	notes_take(struct notes *ns, const uint8_t *buf, uint32_t caplen,
	    uint32_t len, uint64_t now_us);

/* Notes overwritten before their packet came. */
uint64_t notes_lost(const struct notes *ns);

#endif
