/*
 * ctview.h: conntrack's TCP entries as ctnetlink's events tell them, so
 * that a RST's connection is looked up in memory, not asked of the
 * kernel (a GET is a system call and a third of a verdict's cost).
 *
 * One view for all queue threads: it subscribes to NEW and DESTROY,
 * filtered to TCP in the kernel, and each queue thread drains it between
 * taking a queue batch and handling it, as it reads its NFLOG group; a
 * RST's view then holds every entry made before the RST was queued.
 * Thread-safe: one mutex, held for a drain or a lookup.  The view says
 * which entries exist, and their ids, not their state as it changes:
 * with nobody listening to UPDATE, conntrack builds none (five or more a
 * connection, they cost more than they saved).  What the RST did, the
 * caller knows from the table's notes (nft.h).
 *
 * Synced: the view starts by a dump, and dumps again after it lost
 * events (ENOBUFS) or overflowed.  Until a dump is complete, an entry it
 * does not hold may exist: ctview_find() says it cannot tell, and the
 * caller asks the kernel.  Bounded: at most max entries (the kernel's
 * nf_conntrack_max by default), two index slots each.
 *
 * Functions return 0, or -1 with errno set.
 */
#ifndef RSTAUDIT_CTVIEW_H
#define RSTAUDIT_CTVIEW_H

#include <stdint.h>

#include <libmnl/libmnl.h>

#include "ct.h"
#include "pkt.h"

struct ctview_stats {
	uint64_t events;	/* ctnetlink messages applied (events, dump) */
	uint64_t lost;		/* ENOBUFS on the event socket: events lost */
	uint64_t full;		/* entries refused: the view was full */
	uint64_t dumps;		/* dumps started (the first, and resyncs) */
	uint32_t entries;	/* entries held now */
	uint32_t max;
	uint8_t	 synced;
};

struct ctview;

/*
 * A view of at most max entries (0: the namespace's nf_conntrack_max),
 * with no socket: ctview_apply() feeds it (and the unit tests).
 */
struct ctview	*ctview_new(uint32_t max);
void		 ctview_free(struct ctview *v);

/*
 * Subscribe to conntrack's events and start the first dump (the event
 * socket's buffer is 32 MiB; RSTAUDIT_CT_RCVBUF=BYTES in the environment
 * makes it small, for the tests that overrun it).  Errors:
 * ENOTSUP when the kernel announces no events
 * (net.netfilter.nf_conntrack_events is 0), others from the sockets.
 */
int	ctview_open(struct ctview *v);

/* The event socket, and the dump's (-1 while no dump runs), to poll. */
int	ctview_fd(const struct ctview *v);
int	ctview_dump_fd(struct ctview *v);

/*
 * Apply what waits on both sockets, without blocking on them; starts a
 * new dump when events were lost, or when a full view has room again.
 * wait: take the view's lock whatever it costs (a queue thread before
 * its lookups); else return at once if another thread holds it.  -1 only
 * when a socket fails for another reason.
 */
int	ctview_read(struct ctview *v, int wait);

/*
 * Apply one ctnetlink message: a NEW or DELETE event, or a dump's entry.
 * Non-TCP entries and other messages are ignored.  0, or -1 (EINVAL) when
 * it cannot be read.
 */
int	ctview_apply(struct ctview *v, const struct nlmsghdr *nlh);

/*
 * Apply every message of one datagram (buf aligned for nlmsghdr).  1 when
 * it ends a dump (NLMSG_DONE, or an error), else 0.
 */
int	ctview_apply_datagram(struct ctview *v, const void *buf, size_t len);

/* The view has no dump to finish: what it does not hold, conntrack lacks. */
void	ctview_set_synced(struct ctview *v);

/*
 * The entry of p's connection (p's tuple is its original or its reply
 * tuple, or p's reverse is, when NAT rewrote the other end).  1 with ci
 * filled, 0 when conntrack has none, -1 when the view cannot tell.
 */
int	ctview_find(struct ctview *v, const struct pkt *p, struct ct_info *ci);
/*
 * Start loading the index slot ctview_find() will look at first; its
 * number.  Later, once those slots had time to come, start loading the
 * entries n of them point to (the key compared, the facts copied): a
 * lookup then misses on neither.
 */
uint32_t ctview_prefetch(const struct ctview *v, const struct pkt *p);
void	ctview_prefetch_entries(struct ctview *v, const uint32_t *slot,
	    unsigned n);

void	ctview_get_stats(struct ctview *v, struct ctview_stats *st);

#endif
