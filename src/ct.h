/*
 * ct.h: what conntrack knows of a RST's connection, via
 * libnetfilter_conntrack over libmnl.
 *
 * Two sources: the conntrack entry attached to the queued packet
 * (NFQA_CT, ct_from_queue()), when the kernel offers it, else one
 * synchronous ctnetlink GET (ct_lookup()).  Either is for RSTs only,
 * never per packet: a GET costs about 2.4 us (PERF.md).
 *
 * "Invalid", without NFQA_CT: our rules queue after conntrack (priority
 * -150 > -200), so by the time we hold the RST conntrack has judged it.
 * A RST conntrack accepts moves the entry to CLOSE; one it finds out of
 * window leaves the state as it was (invalid, or "ignored"); one for a
 * connection it does not know creates nothing (a RST never opens an
 * entry: `ct state invalid`).  We call both "invalid": conntrack did not
 * take the RST.  One exception: a RST that is the first answer to a SYN
 * makes conntrack delete the entry at once (tcp_packet(): "if only reply
 * is a RST ..."), so "no entry" there means it was taken.  So, at the forward and input
 * hooks: no entry, or an entry not in CLOSE (and not already CLOSE
 * before it: TIME_WAIT and CLOSE take RSTs), means conntrack judged the
 * RST invalid.  At the output hook the rule does not hold: a `reject
 * with tcp reset` RST carries the rejected packet's entry and conntrack
 * does not look at it again, so ct_judge() says nothing there.  Two
 * more exceptions: a RST in the window of an established connection at
 * an inexact sequence number is taken but leaves the entry ESTABLISHED
 * (for the challenge ACK, RFC 5961), with the close timeout, so an entry
 * asked for looks like one out of window (the daemon reads the judgement
 * from the table's invalid_mark bit instead, livect.c, and uses
 * ct_judge() only without it); and with NFQA_CT an attached entry means
 * the RST was taken (conntrack detaches it from an invalid packet),
 * which ct_judge() says.
 *
 * Functions return 0, or -1 with errno set (ENOENT: no such entry).
 */
#ifndef RSTAUDIT_CT_H
#define RSTAUDIT_CT_H

#include <stdint.h>

#include "pkt.h"
#include "rst.h"	/* enum ct_source */

struct ct_info {
	uint8_t	 known;		/* conntrack has the connection */
	uint8_t	 tcp_state;	/* enum tcp_conntrack */
	uint8_t	 source;	/* enum ct_source */
	uint8_t	 has_ctinfo;
	uint32_t ctinfo;	/* enum ip_conntrack_info (NFQA_CT_INFO) */
	uint32_t id;
	uint32_t mark;
	uint32_t status;	/* IPS_* */
	char	 state[16];	/* "ESTABLISHED", "SYN_SENT", ... */
};

struct ct_stats {
	uint64_t lookups;	/* GETs sent */
	uint64_t found, missing, errors;
	uint64_t from_queue;	/* answered by NFQA_CT */
	uint64_t from_table;	/* answered by the table's notes alone */
	/* The view (ctview.h), when the worker keeps one. */
	uint64_t from_view;	/* RSTs answered by it */
	uint64_t view_fallbacks; /* RSTs it could not answer: looked up */
	uint64_t view_events;	/* ctnetlink messages applied */
	uint64_t view_lost;	/* event socket overruns (ENOBUFS) */
	uint64_t view_full;	/* entries refused, view full */
	uint64_t view_dumps;	/* dumps: the first, and resyncs */
	uint64_t view_entries;	/* entries held now */
	uint64_t notes_lost;	/* invalid notes overwritten before their RST */
	uint64_t marked;	/* RSTs whose entry carries the mark */
	uint64_t restored;	/* entries put back (ct_state_set) */
	uint64_t restore_errors;
};

struct ct_handle;

/* A ctnetlink socket (one per thread).  NULL with errno set. */
struct ct_handle	*ct_open(void);
void			 ct_close(struct ct_handle *h);

/*
 * Look up the connection of RST p (either direction).  Returns 0 with ci
 * filled, -1 with errno ENOENT (ci->known = 0) or another error.
 */
int	ct_lookup(struct ct_handle *h, const struct pkt *p, struct ct_info *ci);

/* Decode an NFQA_CT attribute's payload; family 4 or 6. */
int	ct_from_queue(struct ct_handle *h, const void *attr, uint16_t len,
	    int family, int has_ctinfo, uint32_t ctinfo, struct ct_info *ci);

/*
 * Count a RST whose entry carries the mark the table's RST rule sets
 * (the kernel marks the connection before it queues the RST; nft.h).
 */
void	ct_note_marked(struct ct_handle *h);

/*
 * Put p's connection in TCP state state (enum tcp_conntrack) with
 * timeout_s seconds to live: after a RST was dropped, conntrack (which
 * saw it before the drop) has moved the entry to CLOSE; this undoes it.
 * ENOENT when the entry is gone.
 */
int	ct_state_set(struct ct_handle *h, const struct pkt *p, uint8_t state,
	    uint32_t timeout_s);

/*
 * Did conntrack judge the RST invalid?  1 yes, 0 no, -1 cannot tell
 * (output hook; see above).  hook is NF_INET_*; answers_syn: the RST
 * answers a SYN and nothing else came back.  With NFQA_CT the same
 * holds: a queued RST without it had no entry (ci->known = 0).
 */
int	ct_judge(const struct ct_info *ci, uint8_t hook, int answers_syn);

/* "ESTABLISHED", ..., "NONE" for an enum tcp_conntrack. */
const char *ct_tcp_state_name(uint8_t state);

void	ct_get_stats(const struct ct_handle *h, struct ct_stats *st);

#endif
