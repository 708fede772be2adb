/*
 * enforce.h: the policy at work in one queue's thread.
 *
 * For each queued RST the worker asks enforce_rst() for a verdict.  It
 * is decided from the evidence there is at that moment (engine_judge():
 * the event's own hold, seconds long, is for the event, never for the
 * packet), unless the RST is a suspect (policy_suspect()) and the
 * suspect hold is on: then the packet stays in the kernel, unanswered
 * (NFQUEUE_DEFER), while the flow's next packets arrive (the conntrack
 * mark queues them; they are kept behind it, enforce_follow(), so the
 * flow leaves in the order it came), and is answered as soon as one of
 * them settles it,
 * when suspect_hold runs out (a timerfd), when its event is written, or
 * at shutdown, whichever comes first.  At most suspect_max are held;
 * past that a suspect is decided at once, never blocked, never dropped
 * for want of room.
 *
 * A drop is counted against the connection (a small table by flow key)
 * once per burst: RSTs less than a second apart are one burst, so a
 * long burst cannot buy its way through; past max_drops_per_flow bursts
 * the rule's drops become accepts.
 *
 * The guard: when a RST judged middlebox is dropped and its TTL is not
 * its claimed sender's, that signature (addresses, ports, TTL) goes to
 * the kernel (enforce_set_guard()'s function: a set in the table, with
 * the policy's guard_timeout), which drops the following RSTs of it
 * before they reach the queue, at the kernel's speed whatever the
 * queue's load.  The genuine sender's RSTs carry its own TTL and come
 * to the queue as before.  Each burst the daemon sees again counts.  After a drop
 * the connection's conntrack entry, which conntrack moved to CLOSE
 * before our chain dropped the RST, is put back to ESTABLISHED when the
 * flow was established (the policy's ct_restore).
 *
 * The counters are a plain struct (enforce_stats), per rule and in all,
 * for the SIGUSR1 counters and any stats export.
 */
#ifndef RSTAUDIT_ENFORCE_H
#define RSTAUDIT_ENFORCE_H

#include <stdint.h>
#include <stdio.h>

#include "policy.h"
#include "rst.h"

struct nfqueue;
struct ct_handle;
struct engine;

struct enforce_rule_stats {
	uint64_t matched;	/* RSTs the rule decided */
	uint64_t dropped;
	uint64_t would_drop;	/* dry-run */
	uint64_t bound;		/* drops the per-flow bound turned into accepts */
};

struct enforce_stats {
	uint64_t generation;	/* of the policy the per-rule counts are for */
	uint16_t nrules;
	struct enforce_rule_stats rule[POLICY_MAX_RULES];
	struct enforce_rule_stats none;	/* matched: RSTs no rule matched */
	uint64_t decided;	/* RSTs the policy decided (not audit) */
	uint64_t dropped, would_drop, bound, marked, logged;
	uint64_t held;		/* suspects held */
	uint64_t held_now;	/* ... and still held, at the snapshot */
	uint64_t held_end[HOLD_END_MAX]; /* how their hold ended */
	uint64_t held_changed;	/* ... and the hold changed the decision */
	uint64_t held_full;	/* suspects decided at once: no room */
	uint64_t held_next;	/* packets kept behind a held RST of their flow */
	uint64_t ct_restored, ct_restore_failed;
	uint64_t guarded;	/* signatures given to the kernel's guard */
	uint64_t guard_errors;	/* ... that it refused (ENOSPC: full) */
	uint64_t guard_dropped;	/* RSTs the guard dropped (the kernel's count) */
	uint64_t guard_seen;	/* ... whose NFLOG copy the daemon read */
	uint64_t flows_evicted;	/* drop counts forgotten for room */
};

struct enforce;

/*
 * Where the queue's side of enforcement goes: a held packet's verdict
 * (nfqueue_verdict()), the packets kept now (nfqueue_deferred()), and
 * the mark of the verdict being returned (nfqueue_set_mark()).
 * enforce_new() points it at its queue; a test points it at its own
 * recorder to run the hold without a kernel.
 */
struct enforce_sink {
	int		 (*verdict)(void *arg, uint32_t id, int verdict,
			    int has_mark, uint32_t mark);
	unsigned	 (*deferred)(void *arg);
	void		 (*set_mark)(void *arg, uint32_t mark);
	void		*arg;
};

/*
 * One per queue: answers through q, restores conntrack through ct,
 * judges with eng.  NULL (errno set) when its timer or table cannot be
 * had.
 */
struct enforce	*enforce_new(struct nfqueue *q, struct ct_handle *ct,
		    struct engine *eng);
void		 enforce_free(struct enforce *enf);

/* Send verdicts to sink instead of the queue (tests). */
void		 enforce_set_sink(struct enforce *enf,
		    const struct enforce_sink *sink);

/*
 * Use pol from now on (it must stay valid until the next call).  A new
 * generation starts the per-rule counters again; the RSTs held stay held
 * and are decided by pol.
 */
void		 enforce_set_policy(struct enforce *enf, const struct policy *pol,
		    uint64_t generation);

/*
 * The guard's way to the kernel: fn(arg, e) makes the kernel drop RSTs
 * like e (its addresses, ports and TTL) for timeout_ms; 0 or -1.
 */
typedef int (*enforce_guard_fn)(void *arg, const struct rst_event *e,
				uint32_t timeout_ms);
void		 enforce_set_guard(struct enforce *enf, enforce_guard_fn fn,
		    void *arg);

/*
 * Did this daemon put p's connection back to ESTABLISHED (ct_restore)
 * in the last ENFORCE_RESTORED_MS?  Then conntrack's state says what
 * the daemon did, not what conntrack made of p.
 */
#define ENFORCE_RESTORED_MS	10000
int		 enforce_restored(const struct enforce *enf, const struct pkt *p);

/* A RST the guard dropped in the kernel (its NFLOG copy): say so in e. */
void		 enforce_guard_seen(struct enforce *enf, struct rst_event *e);

/* The verdict on a queued RST (NFQUEUE_ACCEPT, _DROP or _DEFER). */
int		 enforce_rst(struct enforce *enf, struct rst_event *e, uint32_t id);

/* After each packet: settle the held RSTs whose flow brought news. */
void		 enforce_observe(struct enforce *enf);

/*
 * Then, for each queued packet p (id) about to get verdict: while a RST
 * of its flow is held, p waits behind it and NFQUEUE_DEFER is returned;
 * it goes out right after that RST's verdict, with its own (and the
 * packet mark enforce_rst() gave it).  When no more can wait, the RST
 * is decided now (its hold ends "full") and verdict is returned.
 */
int		 enforce_follow(struct enforce *enf, const struct pkt *p,
		    uint32_t id, int verdict);

/* The hold timer: poll it for POLLIN, then call enforce_timer(). */
int		 enforce_fd(const struct enforce *enf);
void		 enforce_timer(struct enforce *enf);

/* e is about to be written: if its packet is still held, decide now. */
void		 enforce_released(struct enforce *enf, struct rst_event *e);

/* Answer every held packet (shutdown). */
void		 enforce_finish(struct enforce *enf);

void		 enforce_get_stats(const struct enforce *enf,
		    struct enforce_stats *st);

/* Add b's counts to a (the per-rule ones only for the same generation). */
void		 enforce_stats_add(struct enforce_stats *a,
		    const struct enforce_stats *b);

/* What `-n` says of a good configuration's policy (verbose: each rule). */
void		 enforce_describe(FILE *fp, const struct policy *pol,
		    int verbose);

#endif
