/*
 * runstats.c: the daemon's counters summed over its workers (SIGUSR1,
 * the control socket, stats exports) and its degradations said in the
 * log at most every DEGRADE_SAY_US.
 */
#include "run_int.h"

/*
 * A queue's counters as its thread last took them (every tick, and once
 * more when it stops): the control thread never reads a queue's own.
 */
static void worker_snap(struct worker *w, struct worker_counts *wc)
{
	pthread_mutex_lock(&w->snap_mu);
	*wc = w->snap;
	pthread_mutex_unlock(&w->snap_mu);
}

/* The policy's counters over every queue. */
static void run_policy_stats(struct run *r, struct enforce_stats *sum)
{
	struct worker_counts wc;
	int i;

	memset(sum, 0, sizeof(*sum));
	sum->generation = r->pol_gen;
	sum->nrules = r->pol->nrules;
	for (i = 0; i < r->nw; i++) {
		worker_snap(&r->w[i], &wc);
		enforce_stats_add(sum, &wc.pol);
	}
	/* The kernel's own count: those never reached a queue. */
	if (run_nft_installed &&
	    nft_guard_dropped(&run_nft, &sum->guard_dropped) < 0)
		log_debug("nftables: cannot read the guard's counters");
}

/* Every counter, into s. */
static void run_stats(struct run *r, struct stats *s)
{
	struct worker_counts wc;
	int i, a, c;

	memset(s, 0, sizeof(*s));
	s->nq = r->nw;
	s->start_time = r->start_time;
	for (i = 0; i < r->nw; i++) {
		worker_snap(&r->w[i], &wc);
		s->q[i] = wc.s;
	}
	if (r->wr != NULL) {
		struct writer_stats ws;

		writer_get_stats(r->wr, &ws);
		s->events_dropped = ws.dropped;
		s->events_queued = ws.queued;
	}
	if (r->ev != NULL) {
		/* Not ev itself: the writer may be in a write to a hung disk. */
		pthread_mutex_lock(&r->ev_mu);
		s->has_evidence = 1;
		s->ev = r->ev_st;
		pthread_mutex_unlock(&r->ev_mu);
	}
	/* Not under out_mu: the writer may hold it, waiting on its file. */
	s->events = __atomic_load_n(&r->nevents, __ATOMIC_RELAXED);
	for (a = 0; a < ORIGIN_MAX; a++)
		for (c = 0; c < CAUSE_MAX; c++)
			s->by[a][c] = __atomic_load_n(&r->nby[a][c], __ATOMIC_RELAXED);
	if (r->slog != NULL) {
		s->has_syslog = 1;
		slog_get_stats(r->slog, &s->slog);	/* its own lock */
	}
}

/* Every counter and the policy's, with the degradation gauges. */
static void run_stats_all(struct run *r, struct stats *s)
{
	uint64_t now = clk_mono_us();

	run_stats(r, s);
	s->pol = r->pol;		/* the policy's counters first */
	run_policy_stats(r, &s->policy);
	for (int c = 0; c < DEG_MAX; c++)
		s->degraded[c] = r->deg_last_us[c] != 0 &&
				 now - r->deg_last_us[c] < DEGRADE_WINDOW_US;
}

void counters_render(FILE *fp, enum stats_format fmt, void *arg)
{
	struct run *r = arg;
	struct stats s;

	workers_snapshot(r);	/* what they counted up to now */
	run_stats_all(r, &s);
	stats_write(fp, &s, fmt);	/* its "flows" line last, as scripts expect */
}

static const char *const degrade_why[DEG_MAX] = {
	[DEG_FAILED_OPEN] = "packets failed open (a queue was full or the "
			    "daemon too slow: they passed unaudited, never blocked)",
	[DEG_ENOBUFS] = "ENOBUFS on a netlink socket (messages lost)",
	[DEG_NFLOG_LOST] = "NFLOG messages lost (what the engine learns from: "
			   "weaker verdicts)",
	[DEG_FLOWS_EVICTED] = "flows evicted for room (their history lost: "
			      "raise max_flows)",
	[DEG_EVIDENCE_LOST] = "resets without their evidence file (write errors, "
			      "or the ring overwrote them)",
	[DEG_GUARD_REFUSED] = "forgeries the guard refused (its set full): they "
			      "go through the queue",
	[DEG_EVENTS_DROPPED] = "events dropped, not written (the writer thread "
			       "fell behind: a slow disk or receiver; the "
			       "verdicts were given)",
	[DEG_CT_EVENTS_LOST] = "conntrack events lost, or the view of conntrack "
			       "full: RSTs ask the kernel instead until it is "
			       "whole again (slower, not wrong)",
};

/*
 * Learning needs conntrack's accounting (nft_ct_acct()): say when someone
 * turns it off, and when it is back.
 */
static void learn_watch(struct run *r)
{
	int acct;

	if (r->conf.learn_packets == 0 || r->conf.log_group == 0 ||
	    (acct = nft_ct_acct()) < 0 || acct == !r->acct_off)
		return;
	r->acct_off = !acct;
	if (r->acct_off)
		log_warnx("auditing degraded: conntrack accounting is off "
		    "(net.netfilter.nf_conntrack_acct 0): the first packets "
		    "of connections opened from now on are not copied, so "
		    "nothing is learnt of them (weaker verdicts); set it to 1");
	else
		log_info("conntrack accounting is on again: learning resumed");
}

/*
 * Once a second (the control thread): has auditing degraded?  Each cause that
 * grew is remembered (the gauges) and said in the log, with how much
 * and why, at most every DEGRADE_SAY_US.
 */
void run_degrade(struct run *r)
{
	uint64_t tot[DEG_MAX], now = clk_mono_us();
	char msg[1024];
	size_t len = 0;
	struct stats s;

	if (now - r->deg_checked_us < 1000000)
		return;
	r->deg_checked_us = now;
	learn_watch(r);
	run_stats(r, &s);
	run_policy_stats(r, &s.policy);
	stats_degrade_totals(&s, tot);
	for (int c = 0; c < DEG_MAX; c++) {
		if (tot[c] > r->deg_total[c])
			r->deg_last_us[c] = now;
		r->deg_total[c] = tot[c];
	}
	if (r->deg_said_us != 0 && now - r->deg_said_us < DEGRADE_SAY_US)
		return;
	msg[0] = '\0';
	for (int c = 0; c < DEG_MAX && len < sizeof(msg); c++)
		if (tot[c] > r->deg_said[c])
			len += (size_t)snprintf(msg + len, sizeof(msg) - len,
				"%s%" PRIu64 " %s", len ? "; " : "",
				tot[c] - r->deg_said[c], degrade_why[c]);
	if (len == 0)
		return;
	log_warnx("auditing degraded: %s", msg);
	memcpy(r->deg_said, tot, sizeof(tot));
	r->deg_said_us = now;
}

/* The counters as text in the log (SIGUSR1, and at exit). */
void counters_print(struct run *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	if ((fp = open_memstream(&buf, &len)) == NULL) {
		log_warn("counters");
		return;
	}
	counters_render(fp, STATS_TEXT, r);
	if (fclose(fp) == 0)
		log_lines(buf);
	free(buf);
}

/* json_format: eve unless set; never text. */
