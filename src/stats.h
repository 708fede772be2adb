/*
 * stats.h: the live daemon's counters, one struct, two renderings.
 *
 * runstats.c fills a struct stats (each queue's counters and its NFLOG
 * group's, the events by origin and cause, the policy's); stats_write() prints it
 * as text (the lines SIGUSR1 logs and `rstaudit stats` prints) or in the
 * Prometheus text exposition format, both from one table of counter
 * families in stats.c.  Adding a counter: a field here, a line in runstats.c's
 * run_stats() to fill it, a row in that table.  Adding a family with
 * labels of a new kind: a kind and its case in family_sample().
 *
 * No I/O beyond the FILE the caller gives; nothing on the packet path.
 */
#ifndef RSTAUDIT_STATS_H
#define RSTAUDIT_STATS_H

#include <stdint.h>
#include <stdio.h>

#include "conf.h"
#include "ct.h"
#include "enforce.h"
#include "engine.h"
#include "evpcap.h"
#include "nfq.h"
#include "pkt.h"
#include "rst.h"
#include "slog.h"

enum stats_format { STATS_TEXT, STATS_PROMETHEUS };

/*
 * The ways auditing degrades: packets that passed unaudited (failed
 * open), netlink buffers that overflowed, learnt packets lost, flows
 * evicted for room, evidence not written, forgeries the guard refused,
 * events the writer thread could not take.
 */
enum degrade_cause {
	DEG_FAILED_OPEN, DEG_ENOBUFS, DEG_NFLOG_LOST, DEG_FLOWS_EVICTED,
	DEG_EVIDENCE_LOST, DEG_GUARD_REFUSED, DEG_EVENTS_DROPPED,
	DEG_CT_EVENTS_LOST, DEG_MAX
};
extern const char *const degrade_names[DEG_MAX];

/* The window a degradation counts in: the gauge says "within it". */
#define DEGRADE_WINDOW_US	60000000u

/* One queue's counters, as its worker thread last saw them. */
struct stats_queue {
	uint16_t		qnum;
	struct nfqueue_stats	q;
	struct nfqueue_kstats	k;		/* the kernel's view of q */
	struct engine_stats	e;
	struct ct_stats		c;
	uint64_t		parse[PKT_STATUS_MAX];
	uint64_t		bad;		/* parse: truncated + malformed */
	int			has_log;	/* the queue's NFLOG group: */
	uint16_t		log_group;
	struct nfqueue_stats	log;		/* learnt packets, rejects, lost */
};

struct stats {
	int			nq;
	struct stats_queue	q[CONF_MAX_QUEUES];
	int			has_evidence;	/* evidence files are on */
	struct evpcap_stats	ev;
	int			has_syslog;	/* syslog_target is on */
	struct slog_stats	slog;
	uint64_t		events;		/* events written */
	uint64_t		events_dropped;	/* the writer's ring was full */
	uint64_t		events_queued;	/* waiting for the writer */
	uint64_t		by[ORIGIN_MAX][CAUSE_MAX];
	uint64_t		start_time;	/* seconds since the epoch */
	uint64_t		degraded[DEG_MAX]; /* 1: it happened within the
						    * last DEGRADE_WINDOW_US */
	const struct policy	*pol;		/* NULL: no policy counters */
	struct enforce_stats	policy;		/* over every queue */
};

/* "text" or "prometheus" into *fmt; -1 for anything else. */
int	stats_format_parse(const char *name, enum stats_format *fmt);

/*
 * The running totals of each cause in s (counters that only grow), for
 * whoever watches them change (runstats.c warns and sets s->degraded).
 */
void	stats_degrade_totals(const struct stats *s, uint64_t tot[DEG_MAX]);

/* Write s to fp in fmt.  Returns 0, or -1 when fp reports an error. */
int	stats_write(FILE *fp, const struct stats *s, enum stats_format fmt);

/*
 * The policy's counters alone (pol's mode and rules, st's counts), as
 * stats_write() renders them first when s->pol is set.  Returns 0 or -1.
 */
int	stats_write_policy(FILE *fp, const struct policy *pol,
	    const struct enforce_stats *st, enum stats_format fmt);


#endif
