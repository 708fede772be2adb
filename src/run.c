/*
 * run.c: `rstaudit run`, the live daemon.
 *
 * main() reads like a script: options, configuration, the event file,
 * the queues (one per thread, each with its own engine and conntrack
 * socket: the kernel's queue balancing hashes both directions of a flow
 * to the same queue), the nftables table, then one poll() loop per queue
 * driven by volatile sig_atomic_t flags.  The first queue's loop runs in
 * the main thread and handles the signals; the others run in threads
 * with every signal blocked.  Events are written by whichever thread
 * releases them, under one mutex.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <linux/netfilter.h>

#include "clk.h"
#include "conf.h"
#include "ct.h"
#include "ctl.h"
#include "slog.h"
#include "journal.h"
#include "engine.h"
#include "evpcap.h"
#include "enforce.h"
#include "exitcode.h"
#include "locate.h"
#include "locator.h"
#include "log.h"
#include "nfq.h"
#include "nft.h"
#include "notify.h"
#include "output.h"
#include "pkt.h"
#include "priv.h"
#include "route.h"
#include "run.h"
#include "safefile.h"
#include "stats.h"

#define TICK_US		100000	/* engine_tick() period, and event flushes */
#define OUT_BUFSZ	65536	/* the event file's buffer */
#define READS_PER_WAKE	16	/* batches read before looking at the timer */
#define LOG_READS_PER_BATCH 64	/* NFLOG batches read before a queue batch */
#define LOG_BUF_FACTOR	8	/* NFLOG socket buffer, in queue lengths */
#define LOG_LENGTH_MAX	65536	/* ... at most (32 MiB) */
#define DEGRADE_SAY_US	10000000	/* a degradation said at most this often */

struct worker_counts {
	struct stats_queue	s;		/* stats.h */
	struct enforce_stats	pol;
};

struct run;

struct worker {
	struct run		*run;
	int			 idx;
	uint16_t		 qnum;
	pthread_t		 tid;
	int			 started;
	struct nfqueue		*q;
	struct nfqueue		*log;		/* the NFLOG group (worker 0) */
	struct ct_handle	*ct;
	struct engine		*eng;
	struct evring		*ring;		/* recent packets (evidence on) */
	struct enforce		*enf;		/* the policy at work */
	uint64_t		 pol_gen;	/* generation of its policy */
	int			 tfd;
	uint64_t		 parse[PKT_STATUS_MAX];
	pthread_mutex_t		 snap_mu;	/* guards snap */
	struct worker_counts	 snap;		/* for the main thread */
};

struct override;

struct run {
	struct conf		 conf;
	const char		*conf_path;
	const struct override	*ov;		/* command line, over the file */
	int			 nov;
	/* The policy the workers use; SIGHUP swaps it (run_policy_publish()). */
	struct policy		*pol, *pol_old;
	uint64_t		 pol_gen;
	int			 verbose, daemonize, check_only;
	pthread_mutex_t		 out_mu;	/* guards out and its file */
	struct output		 out;
	struct evpcap		*ev;		/* evidence files, or NULL */
	struct worker		*w;
	int			 nw;
	int			 failed;	/* a queue failed while running */
	struct ctl		*ctl;		/* the control socket, or NULL */
	struct ctl		*http;		/* metrics_listen, or NULL */
	struct slog		*slog;		/* syslog_target, or NULL */
	struct journal		*journal;	/* native journal entries, or NULL */
	uid_t			 uid;		/* conf.user's, or (uid_t)-1 */
	gid_t			 gid;
	uint64_t		 start_time;	/* seconds since the epoch */
	/* Degradation, watched by the main thread (run_degrade()). */
	uint64_t		 deg_total[DEG_MAX];	/* the causes' totals */
	uint64_t		 deg_last_us[DEG_MAX];	/* when each last grew */
	uint64_t		 deg_said[DEG_MAX];	/* totals when last said */
	uint64_t		 deg_said_us;		/* when last said */
	uint64_t		 deg_checked_us;
	struct locator		*loc;		/* locate yes, or NULL */
	char			 host[256];	/* the events' "host" */
};

static volatile sig_atomic_t run_quit, run_reopen, run_dump;
static int run_stopping;	/* for the threads: __atomic_* only */

static void run_signal(int sig)
{
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		run_quit = 1;
		break;
	case SIGHUP:
		run_reopen = 1;
		break;
	case SIGUSR1:
		run_dump = 1;
		break;
	}
}

static int stopping(void)
{
	return __atomic_load_n(&run_stopping, __ATOMIC_RELAXED);
}

/* The nftables table (nft.c): installed at start, removed at exit. */
static struct nft_handle run_nft;
static int run_nft_installed;

/* The table's settings, from the configuration. */
static void rules_conf(const struct conf *c, struct nft_conf *nc)
{
	nft_conf_default(nc);
	nc->queue_num = c->queue;
	nc->queue_total = c->queues;
	nc->fanout = c->fanout;
	nc->learn_packets = c->learn_packets;
	nc->mark = c->mark;
	nc->log_group = c->log_group;
	nc->log_rejects = c->log_rejects;
}

static int rules_install(const struct conf *c)
{
	struct nft_conf nc;
	struct nft_caps caps;

	rules_conf(c, &nc);
	if (nft_detect(&caps) < 0) {
		log_warn("nftables: cannot probe the kernel");
		return -1;
	}
	if (nft_install(&nc, &caps, &run_nft) < 0)
		return -1;	/* nft_install() said why */
	run_nft_installed = 1;
	return 0;
}

static uint64_t run_guard_fails;	/* __atomic_* only */

/* enforce.h's guard: RSTs like e dropped in the kernel for ms. */
static int run_guard(void *arg, const struct rst_event *e, uint32_t ms)
{
	struct nft_guard_key k;
	size_t alen = e->p.family == 6 ? 16 : 4;
	uint64_t t0;
	char src[RST_ADDRSTRLEN], dst[RST_ADDRSTRLEN];

	(void)arg;
	memset(&k, 0, sizeof(k));
	k.v6 = e->p.family == 6;
	memcpy(k.src, e->p.src, alen);
	memcpy(k.dst, e->p.dst, alen);
	k.sport = e->p.sport;
	k.dport = e->p.dport;
	k.ttl = e->p.ttl;	/* as it arrived: the guard sees it before routing */
	t0 = clk_real_us();
	if (nft_guard_add(&run_nft, &k, ms) == 0) {
		log_info("guard: RSTs %s port %u > %s port %u with ttl %u dropped "
			 "in the kernel for %.1f s (%" PRIu64 " us after the RST came, "
			 "%" PRIu64 " us to add)",
			 rst_addr(e->p.family, e->p.src, src), e->p.sport,
			 rst_addr(e->p.family, e->p.dst, dst), e->p.dport, e->p.ttl,
			 ms / 1e3, clk_real_us() - e->ts_us, clk_real_us() - t0);
		return 0;
	}
	/* Said for the first failure and every 1024th: an attack can flood. */
	if ((__atomic_fetch_add(&run_guard_fails, 1, __ATOMIC_RELAXED) & 1023) == 0)
		log_warn("nftables: cannot guard %s port %u > %s port %u ttl %u "
			 "(failure %" PRIu64 "; its RSTs still come to the queue)",
			 rst_addr(e->p.family, e->p.src, src), e->p.sport,
			 rst_addr(e->p.family, e->p.dst, dst), e->p.dport, e->p.ttl,
			 __atomic_load_n(&run_guard_fails, __ATOMIC_RELAXED));
	return -1;
}

static void rules_remove(void)
{
	if (run_nft_installed && nft_remove(&run_nft) == 0)
		run_nft_installed = 0;
}

/* Stop queueing without losing what is queued (nft_quiesce()). */
static void rules_quiesce(void)
{
	if (run_nft_installed)
		(void)nft_quiesce(&run_nft);
}


/* The event also goes to syslog, as one short line. */
static void event_syslog(const struct rst_event *e)
{
	char src[RST_ADDRSTRLEN], dst[RST_ADDRSTRLEN], fl[9];

	syslog(LOG_NOTICE, "reset %s port %u > %s port %u %s: %s %s "
	       "(confidence %.2f) hook %s",
	       rst_addr(e->p.family, e->p.src, src), e->p.sport,
	       rst_addr(e->p.family, e->p.dst, dst), e->p.dport,
	       output_flags(e->p.flags, fl), origin_names[e->v.origin],
	       cause_names[e->v.cause], e->v.confidence,
	       e->live.valid ? e->live.hook_name : "-");
}

static void run_emit(struct rst_event *e, void *arg)
{
	struct worker *w = arg;
	struct run *r = w->run;

	enforce_released(w->enf, e);	/* still held in the queue? decide */
	pthread_mutex_lock(&r->out_mu);
	if (r->ev != NULL)
		evpcap_event(r->ev, w->ring, e);	/* fills e->live.pcap_* */
	output_event(&r->out, e);	/* written out by the next tick */
	if (r->conf.syslog)
		event_syslog(e);
	if (r->slog != NULL)
		slog_event(r->slog, e);		/* queued, never waits */
	if (r->journal != NULL)
		journal_event(r->journal, e);	/* one datagram, never waits */
	pthread_mutex_unlock(&r->out_mu);
	if (r->loc != NULL)	/* queued for the locator thread, if middlebox */
		locator_event(r->loc, w->ring, e);
}

/* The locator thread's follow-up event, linked by community_id. */
static void run_located(const struct locate_request *q,
			const struct locate_result *res, void *arg)
{
	struct run *r = arg;

	pthread_mutex_lock(&r->out_mu);
	locate_print(r->out.fp, q->lc.family, q->lc.dst, q->lc.port, res,
		     r->out.fmt != OUT_TEXT, q->link);
	pthread_mutex_unlock(&r->out_mu);
}

/*
 * Events are buffered and written every tick (TICK_US), not one write(2)
 * each: under a flood of RSTs that write was a tenth of the work per RST
 * (bench/live.sh).  An event waits `hold` seconds anyway.
 */
static void run_flush(struct run *r)
{
	pthread_mutex_lock(&r->out_mu);
	if (fflush(r->out.fp) == EOF)
		log_warn("cannot write events");
	pthread_mutex_unlock(&r->out_mu);
}

/* What conntrack says of the RST, into e->live. */
static void live_ct(struct worker *w, struct rst_event *e,
		    const struct nfqueue_pkt *np)
{
	struct rst_live *l = &e->live;
	const struct conf *c = &w->run->conf;
	struct ct_info ci;
	int judged;

	memset(&ci, 0, sizeof(ci));
	if (np->ct != NULL) {
		if (ct_from_queue(w->ct, np->ct, np->ct_len, e->p.family,
				  np->has_ctinfo, np->ctinfo, &ci) < 0)
			memset(&ci, 0, sizeof(ci));
	} else if (!nfqueue_has_conntrack(w->q) && !np->logged) {
		ct_lookup(w->ct, &e->p, &ci);	/* ENOENT leaves ci.known 0 */
	}
	/*
	 * Else no entry to find: NFQA_CT is on and none came, or the RST was
	 * logged, which the rules do only for a reject's answer to a new
	 * connection, whose entry was never confirmed.
	 */
	if (ci.known) {
		l->ct_known = 1;
		l->ct_id = ci.id;
		snprintf(l->ct_state, sizeof(l->ct_state), "%s", ci.state);
	}
	judged = ct_judge(&ci, np->hook, e->had_flow &&
			  (e->rcv.f & SIDE_SYN) &&
			  !(e->snd.f & (SIDE_SYNACK | SIDE_SEEN)));
	/*
	 * -1 where conntrack's judgement cannot be read: at the output hook,
	 * and on an entry this daemon put back to ESTABLISHED after dropping
	 * an earlier RST of the flow (ct_restore): ESTABLISHED then says what
	 * we did, not what conntrack made of this RST.
	 */
	l->ct_invalid = (int8_t)judged;
	if (judged == 1 && enforce_restored(w->enf, &e->p))
		l->ct_invalid = -1;
	/*
	 * The table's RST rule marked the connection before queueing the
	 * RST, so its next packets queue behind it: the genuine endpoint
	 * talking after "its" RST is the race that shows an injection.
	 */
	if (ci.known && (ci.mark & c->mark) == c->mark)
		ct_note_marked(w->ct);
}

static void live_fill(struct worker *w, struct rst_event *e,
		      const struct nfqueue_pkt *np)
{
	struct rst_live *l = &e->live;
	char name[IF_NAMESIZE];

	l->valid = 1;
	/*
	 * Born on this host's output path for an address that is not its
	 * own: only a reject rule makes those.  A local socket's RST carries
	 * a local address and is judged as any endpoint's.
	 */
	l->made_here = np->hook == NF_INET_LOCAL_OUT && np->indev == 0 &&
		       route_is_local(e->p.family, e->p.src) == 0;
	snprintf(l->hook_name, sizeof(l->hook_name), "%s",
		 nfqueue_hook_name(np->hook));
	snprintf(l->in, sizeof(l->in), "%s", nfqueue_ifname(w->q, np->indev, name));
	snprintf(l->out, sizeof(l->out), "%s", nfqueue_ifname(w->q, np->outdev, name));
	/* Logged, not queued: we told the kernel nothing (the guard's
	 * copies: it dropped them itself). */
	snprintf(l->verdict, sizeof(l->verdict), "%s",
		 !np->logged ? "accept" :
		 np->hook == NF_INET_PRE_ROUTING ? "drop" : "none");
	live_ct(w, e, np);
}

/* Each queued packet: parse, account, and for a RST add the live facts. */
static int worker_packet(const struct nfqueue_pkt *np, void *arg)
{
	struct worker *w = arg;
	struct evring_slot *kept = NULL;
	struct rst_event *e;
	enum pkt_status s;
	struct pkt p;
	int v = NFQUEUE_ACCEPT;

	s = pkt_parse(&p, LINK_RAW, np->payload, np->caplen);
	w->parse[s]++;
	if (s != PKT_OK)
		return NFQUEUE_ACCEPT;
	/*
	 * ip_forward() and ip6_forward() decrement the TTL before the
	 * forward hook: count the hop back, so forwarded packets show the
	 * TTL they arrived with, as at the input hook and in a capture, and
	 * compare rightly with what this host sends itself.
	 */
	if (np->hook == NF_INET_FORWARD && p.ttl < 255)
		p.ttl++;
	/* Made by this host: it left through the output hook, from no interface. */
	if (np->hook == NF_INET_LOCAL_OUT && np->indev == 0)
		p.dir = DIR_OUT;
	else if (np->hook == NF_INET_LOCAL_IN)
		p.dir = DIR_IN;
	if (w->ring != NULL)
		kept = evpcap_keep(w->ring, &p, np->payload, np->caplen, np->len,
				   np->ts_us, np->indev, np->outdev);
	e = engine_packet(w->eng, &p, np->ts_us, 0);
	if (e != NULL) {
		if (kept != NULL)
			kept->serial = e->serial;	/* its event finds it so */
		live_fill(w, e, np);
		if (!np->logged)	/* a logged RST has no verdict to give */
			v = enforce_rst(w->enf, e, np->id);
		else if (np->hook == NF_INET_PRE_ROUTING)
			enforce_guard_seen(w->enf, e);	/* the guard dropped it */
	}
	enforce_observe(w->enf);
	/* Never past a RST of its flow that is still held. */
	if (!np->logged)
		v = enforce_follow(w->enf, &p, np->id, v);
	return v;
}

/* The worker's counters; called by the thread that reads its queue. */
static void worker_counts(struct worker *w, struct worker_counts *wc)
{
	struct stats_queue *s = &wc->s;

	s->qnum = w->qnum;
	nfqueue_get_stats(w->q, &s->q);
	memset(&s->k, 0, sizeof(s->k));
	if (nfqueue_kernel_stats(w->qnum, &s->k) == 0)
		s->q.failed_open = nfqueue_failed_open(w->q, &s->k);
	memset(&s->log, 0, sizeof(s->log));
	s->has_log = w->log != NULL;
	s->log_group = (uint16_t)(w->run->conf.log_group + w->idx);
	if (w->log != NULL)
		nfqueue_get_stats(w->log, &s->log);
	engine_get_stats(w->eng, &s->e);
	ct_get_stats(w->ct, &s->c);
	memcpy(s->parse, w->parse, sizeof(s->parse));
	s->bad = s->parse[PKT_TRUNCATED] + s->parse[PKT_MALFORMED];
	enforce_get_stats(w->enf, &wc->pol);
}

static void worker_snapshot(struct worker *w)
{
	struct worker_counts wc;

	worker_counts(w, &wc);
	pthread_mutex_lock(&w->snap_mu);
	w->snap = wc;
	pthread_mutex_unlock(&w->snap_mu);
}

static void run_degrade(struct run *r);

static void worker_tick(struct worker *w)
{
	uint64_t expirations;

	if (read(w->tfd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		log_warn("queue %u: timer", w->qnum);
	engine_tick(w->eng, clk_real_us());
	run_flush(w->run);
	worker_snapshot(w);
	if (w->idx == 0) {
		notify_watchdog();	/* the main thread's loop is alive */
		run_degrade(w->run);
	}
}

/*
 * The NFLOG group's packets logged so far (bounded: under a flood of
 * new connections the queue must still be served).
 */
static int worker_learn(struct worker *w)
{
	int i, n;

	for (i = 0; w->log != NULL && i < LOG_READS_PER_BATCH; i++) {
		n = nfqueue_read(w->log, worker_packet, w);
		if (n <= 0)
			return n;
	}
	return 0;
}

/*
 * Read what is waiting, a bounded number of batches.  The kernel logs
 * and queues in the order packets cross the hook, each to its own
 * socket: so between taking a batch off the queue and handling it, read
 * the group, which then holds everything logged before those packets
 * were queued (a RST's SYN, say).  The engine sees each flow in order.
 */
static int worker_drain(struct worker *w)
{
	int i, n;

	for (i = 0; i < READS_PER_WAKE; i++) {
		if ((n = nfqueue_recv(w->q)) < 0 || worker_learn(w) < 0)
			return -1;
		if (n == 0)
			return 0;
		if (nfqueue_handle(w->q, worker_packet, w) < 0)
			return -1;
	}
	return 1;
}

static void counters_print(struct run *r);
static void counters_render(FILE *fp, enum stats_format fmt, void *arg);
static void run_output_reopen(struct run *r);
static void run_reload(struct run *r);
static void run_policy_reap(struct run *r);

/* Take up the newest policy, if the main thread published one. */
static void worker_policy(struct worker *w)
{
	uint64_t gen = __atomic_load_n(&w->run->pol_gen, __ATOMIC_ACQUIRE);

	if (gen == w->pol_gen)
		return;
	enforce_set_policy(w->enf, __atomic_load_n(&w->run->pol,
						   __ATOMIC_ACQUIRE), gen);
	__atomic_store_n(&w->pol_gen, gen, __ATOMIC_RELEASE);
}

/* The control socket's poll entries, then the metrics listener's. */
static int main_pollfds(struct run *r, struct pollfd *pfd, int *nctl)
{
	int n;

	n = *nctl = r->ctl != NULL ? ctl_pollfds(r->ctl, pfd) : 0;
	if (r->http != NULL)
		n += ctl_pollfds(r->http, pfd + n);
	return n;
}

static void main_serve(struct run *r, struct pollfd *pfd, int n, int nctl)
{
	if (nctl > 0)
		ctl_serve(r->ctl, pfd, nctl, counters_render, r);
	if (n > nctl)
		ctl_serve(r->http, pfd + nctl, n - nctl, counters_render, r);
}

/*
 * One queue's loop: its queue, tick timer, NFLOG group and suspect-hold
 * timer (pfd[0..3]).  The main thread's (is_main) also serves signals
 * and the control socket and metrics listener (pfd[4] on).
 */
static int worker_loop(struct worker *w, int is_main)
{
	struct pollfd pfd[4 + 2 * CTL_POLLFDS];
	int n = 4, nctl = 0;

	pfd[0].fd = nfqueue_fd(w->q);
	pfd[0].events = POLLIN;
	pfd[1].fd = w->tfd;
	pfd[1].events = POLLIN;
	pfd[2].fd = w->log != NULL ? nfqueue_fd(w->log) : -1;	/* -1: ignored */
	pfd[2].events = POLLIN;
	pfd[3].fd = enforce_fd(w->enf);
	pfd[3].events = POLLIN;
	for (;;) {
		if (is_main) {
			if (run_quit)
				break;
			if (run_reopen) {
				run_reopen = 0;
				notify_reloading();
				run_reload(w->run);
				notify_ready("reloaded");
			}
			run_policy_reap(w->run);
			if (run_dump) {
				run_dump = 0;
				counters_print(w->run);
			}
			n = 4 + main_pollfds(w->run, pfd + 4, &nctl);
		}
		if (stopping())
			break;
		worker_policy(w);
		if (poll(pfd, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_warn("queue %u: poll", w->qnum);
			return -1;
		}
		if (n > 4)
			main_serve(w->run, pfd + 4, n - 4, nctl);
		/* A hold that ran out ends before any later packet is seen. */
		if (pfd[3].revents & POLLIN)
			enforce_timer(w->enf);
		if ((pfd[0].revents | pfd[2].revents) & (POLLIN | POLLERR) &&
		    worker_drain(w) < 0)
			return -1;
		if (pfd[1].revents & POLLIN)
			worker_tick(w);
	}
	return 0;
}

/* After the loop: answer what is left, release every held RST. */
static void worker_finish(struct worker *w)
{
	while (worker_drain(w) > 0)
		;
	enforce_finish(w->enf);		/* the held RSTs, before their events */
	engine_flush(w->eng);
	worker_snapshot(w);
}

static void *worker_thread(void *arg)
{
	struct worker *w = arg;

	if (worker_loop(w, 0) < 0) {
		__atomic_store_n(&w->run->failed, 1, __ATOMIC_RELAXED);
		kill(getpid(), SIGTERM);	/* wake the main thread */
	}
	worker_finish(w);
	return NULL;
}

static int worker_open(struct run *r, struct worker *w, int idx)
{
	struct itimerspec its = {
		.it_interval = { 0, TICK_US * 1000 },
		.it_value = { 0, TICK_US * 1000 },
	};
	struct nfqueue_conf qc;
	struct engine_conf ec;

	w->run = r;
	w->idx = idx;
	w->qnum = (uint16_t)(r->conf.queue + idx);
	w->tfd = -1;
	pthread_mutex_init(&w->snap_mu, NULL);
	engine_conf_default(&ec);
	ec.max_flows = r->conf.max_flows / r->conf.queues;
	if (ec.max_flows < 1024)
		ec.max_flows = 1024;
	ec.hold_us = r->conf.hold_us;
	/*
	 * No rehash while packets wait: a doubling toward 1 M flows stopped
	 * the queue for 26-250 ms, and what came meanwhile failed open.
	 */
	ec.full = 1;
	if (getrandom(&ec.seed, sizeof(ec.seed), 0) != sizeof(ec.seed))
		ec.seed ^= (uint64_t)clk_real_us() * 0x9e3779b97f4a7c15ULL;
	w->eng = engine_new(&ec, run_emit, w);
	if (w->eng == NULL) {
		log_warn("queue %u: cannot allocate tables for %u flows", w->qnum,
			 ec.max_flows);
		return -1;
	}
	if ((r->ev != NULL || r->conf.locate) &&	/* locate: the trigger */
	    (w->ring = evring_new(r->conf.evidence_packets)) == NULL) {
		log_warn("queue %u: cannot allocate %u evidence packets", w->qnum,
			 r->conf.evidence_packets);
		return -1;
	}
	nfqueue_conf_default(&qc);
	qc.num = w->qnum;
	qc.length = r->conf.queue_length;
	if ((w->q = nfqueue_open(&qc)) == NULL)
		return -1;
	/*
	 * This queue's NFLOG group: the packets the engine learns from and
	 * the reject RSTs of new connections (nfq.h), of the same flows as
	 * the queue's (nft.h: one shard each).  A bigger buffer: every new
	 * connection sends a few, and a loss there weakens baselines.
	 */
	if (r->conf.log_group != 0) {
		qc.num = (uint16_t)(r->conf.log_group + idx);
		qc.length = r->conf.queue_length < LOG_LENGTH_MAX / LOG_BUF_FACTOR ?
			    r->conf.queue_length * LOG_BUF_FACTOR : LOG_LENGTH_MAX;
		if ((w->log = nfqueue_open_log(&qc)) == NULL)
			return -1;
	}
	if ((w->ct = ct_open()) == NULL)
		return -1;
	if ((w->enf = enforce_new(w->q, w->ct, w->eng)) == NULL) {
		log_warn("queue %u: policy", w->qnum);
		return -1;
	}
	if (r->conf.install_rules)
		enforce_set_guard(w->enf, run_guard, NULL);
	worker_policy(w);
	w->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (w->tfd < 0 || timerfd_settime(w->tfd, 0, &its, NULL) < 0) {
		log_warn("queue %u: timer", w->qnum);
		return -1;
	}
	worker_snapshot(w);
	return 0;
}

static void worker_close(struct worker *w)
{
	enforce_free(w->enf);	/* before its queue: it answers nothing now */
	nfqueue_close(w->q);
	nfqueue_close(w->log);
	ct_close(w->ct);
	engine_free(w->eng);
	evring_free(w->ring);
	if (w->tfd >= 0)
		close(w->tfd);
	pthread_mutex_destroy(&w->snap_mu);
}

/* Start queues 1..n-1 in threads that never take a signal. */
static int workers_start(struct run *r)
{
	sigset_t all, old;
	int i, err = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 1; i < r->nw && err == 0; i++) {
		err = pthread_create(&r->w[i].tid, NULL, worker_thread, &r->w[i]);
		if (err == 0)
			r->w[i].started = 1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		errno = err;
		log_warn("cannot start the thread of queue %u", r->w[i - 1].qnum);
		return -1;
	}
	return 0;
}

static void workers_stop(struct run *r)
{
	int i;

	__atomic_store_n(&run_stopping, 1, __ATOMIC_RELAXED);
	for (i = 1; i < r->nw; i++)
		if (r->w[i].started)
			pthread_join(r->w[i].tid, NULL);
}

/*
 * The policy's counters over every queue, from the workers' snapshots
 * (the first queue's fresh when the caller is the main thread): for the
 * SIGUSR1 counters and any stats export.
 */
static void run_policy_stats(struct run *r, struct enforce_stats *sum, int fresh)
{
	struct worker_counts wc;
	int i;

	memset(sum, 0, sizeof(*sum));
	sum->generation = r->pol_gen;
	sum->nrules = r->pol->nrules;
	for (i = 0; i < r->nw; i++) {
		struct worker *w = &r->w[i];

		if (i == 0 && fresh) {
			enforce_get_stats(w->enf, &wc.pol);
		} else {
			pthread_mutex_lock(&w->snap_mu);
			wc.pol = w->snap.pol;
			pthread_mutex_unlock(&w->snap_mu);
		}
		enforce_stats_add(sum, &wc.pol);
	}
	/* The kernel's own count: those never reached a queue. */
	if (run_nft_installed &&
	    nft_guard_dropped(&run_nft, &sum->guard_dropped) < 0)
		log_debug("nftables: cannot read the guard's counters");
}

/* Every counter, into s: queue 0's read here (the main thread reads it). */
static void run_stats(struct run *r, struct stats *s)
{
	struct worker_counts wc;
	int i, a, c;

	memset(s, 0, sizeof(*s));
	s->nq = r->nw;
	s->start_time = r->start_time;
	for (i = 0; i < r->nw; i++) {
		struct worker *w = &r->w[i];

		if (i == 0) {
			worker_counts(w, &wc);
		} else {
			pthread_mutex_lock(&w->snap_mu);
			wc = w->snap;
			pthread_mutex_unlock(&w->snap_mu);
		}
		s->q[i] = wc.s;
	}
	pthread_mutex_lock(&r->out_mu);
	s->events = r->out.events;
	for (a = 0; a < ORIGIN_MAX; a++)
		for (c = 0; c < CAUSE_MAX; c++)
			s->by[a][c] = r->out.by[a][c];
	if (r->ev != NULL) {
		s->has_evidence = 1;
		evpcap_get_stats(r->ev, &s->ev);
	}
	if (r->slog != NULL) {
		s->has_syslog = 1;
		slog_get_stats(r->slog, &s->slog);
	}
	pthread_mutex_unlock(&r->out_mu);
}

/* Every counter and the policy's, with the degradation gauges. */
static void run_stats_all(struct run *r, struct stats *s)
{
	uint64_t now = clk_mono_us();

	run_stats(r, s);
	s->pol = r->pol;		/* the policy's counters first */
	run_policy_stats(r, &s->policy, 1);
	for (int c = 0; c < DEG_MAX; c++)
		s->degraded[c] = r->deg_last_us[c] != 0 &&
				 now - r->deg_last_us[c] < DEGRADE_WINDOW_US;
}

static void counters_render(FILE *fp, enum stats_format fmt, void *arg)
{
	struct run *r = arg;
	struct stats s;

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
};

/*
 * Once a second (main thread): has auditing degraded?  Each cause that
 * grew is remembered (the gauges) and said in the log, with how much
 * and why, at most every DEGRADE_SAY_US.
 */
static void run_degrade(struct run *r)
{
	uint64_t tot[DEG_MAX], now = clk_mono_us();
	char msg[1024];
	size_t len = 0;
	struct stats s;

	if (now - r->deg_checked_us < 1000000)
		return;
	r->deg_checked_us = now;
	run_stats(r, &s);
	run_policy_stats(r, &s.policy, 1);
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
static void counters_print(struct run *r)
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
static enum out_format run_format(const struct conf *c)
{
	enum out_format f = OUT_JSON;

	if (c->json_format[0] != '\0' &&
	    (output_format_parse(c->json_format, &f) < 0 || f == OUT_TEXT))
		return OUT_FORMAT_MAX;
	return f;
}

/* Open (or reopen, after SIGHUP) the event file. */
static int run_output_open(struct run *r)
{
	const char *path = r->conf.json_file;
	FILE *fp = stdout;

	if (path[0] != '\0' && strcmp(path, "-") != 0) {
		/* O_NOFOLLOW, 0640 whatever the umask (safefile.h). */
		fp = safefile_append(path, r->uid);
		if (fp == NULL) {
			log_warn("%s", path);
			return -1;
		}
		setvbuf(fp, NULL, _IOFBF, OUT_BUFSZ);
		priv_give(fileno(fp), path, r->uid, r->gid);	/* SIGHUP reopens it */
	}
	output_init(&r->out, fp, run_format(&r->conf));
	if (gethostname(r->host, sizeof(r->host) - 1) == 0 && r->host[0])
		r->out.host = r->host;
	return 0;
}

/*
 * Native journal entries with journal yes, or auto under systemd (standard
 * error is the journal).  The JSON lines then leave standard output when
 * it is the journal too: each event would be there twice.
 */
static int run_journal_open(struct run *r)
{
	const char *mode = r->conf.journal;
	FILE *fp;

	if (strcmp(mode, "no") == 0 ||
	    (strcmp(mode, "auto") == 0 && !journal_stream_is(STDERR_FILENO)))
		return 0;
	if ((r->journal = journal_open(JOURNAL_SOCKET)) == NULL)
		return strcmp(mode, "yes") == 0 ? -1 : 0;
	log_info("events to the journal, natively (journalctl RSTAUDIT_ORIGIN=...)");
	if (r->out.fp == stdout && journal_stream_is(STDOUT_FILENO) &&
	    (fp = fopen("/dev/null", "w")) != NULL) {
		r->out.fp = fp;
		log_info("standard output is the journal: no JSON lines there");
	}
	return 0;
}

static void run_journal_close(struct run *r)
{
	struct journal_stats st;

	if (r->journal == NULL)
		return;
	journal_get_stats(r->journal, &st);
	if (st.dropped > 0)
		log_warnx("journal: %llu entries sent, %llu dropped (socket full)",
			  (unsigned long long)st.sent,
			  (unsigned long long)st.dropped);
	journal_close(r->journal);
}

static void run_output_reopen(struct run *r)
{
	const char *path = r->conf.json_file;
	FILE *fp;

	if (path[0] == '\0' || strcmp(path, "-") == 0)
		return;
	fp = safefile_append(path, r->uid);
	if (fp == NULL) {
		log_warn("%s: cannot reopen; still writing to the old file", path);
		return;
	}
	setvbuf(fp, NULL, _IOFBF, OUT_BUFSZ);
	pthread_mutex_lock(&r->out_mu);
	fclose(r->out.fp);
	r->out.fp = fp;		/* the counts carry on */
	pthread_mutex_unlock(&r->out_mu);
	log_info("%s: reopened", path);
}

static void run_usage(FILE *fp)
{
	fprintf(fp,
		"usage: rstaudit run [-dnv] [-c file] [-u user] [--json-file path]\n"
		"                    [--format eve|ecs|legacy] [--syslog]\n"
		"                    [--queue n] [--queues n] [--fanout] [--hold seconds]\n"
		"                    [--no-install-rules] [--control-socket path]\n");
}

/* Command-line settings, applied over the configuration file. */
struct override {
	const char *key, *value;
};

static int run_options(struct run *r, int argc, char **argv,
		       struct override *ov, int *nov)
{
	static const struct option longopts[] = {
		{ "json-file", required_argument, NULL, 'j' },
		{ "format", required_argument, NULL, 'F' },
		{ "queue", required_argument, NULL, 'q' },
		{ "queues", required_argument, NULL, 'Q' },
		{ "hold", required_argument, NULL, 'H' },
		{ "fanout", no_argument, NULL, 'f' },
		{ "syslog", no_argument, NULL, 's' },
		{ "no-install-rules", no_argument, NULL, 'N' },
		{ "control-socket", required_argument, NULL, 'S' },
		{ "user", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "c:dnu:vh", longopts, NULL)) != -1) {
		const char *key = NULL, *value = optarg;

		switch (ch) {
		case 'c':
			r->conf_path = optarg;
			break;
		case 'd':
			r->daemonize = 1;
			break;
		case 'n':
			r->check_only = 1;
			break;
		case 'v':
			r->verbose++;
			break;
		case 'j': key = "json_file"; break;
		case 'F': key = "json_format"; break;
		case 'q': key = "queue"; break;
		case 'Q': key = "queues"; break;
		case 'H': key = "hold"; break;
		case 'f': key = "fanout"; value = "yes"; break;
		case 's': key = "syslog"; value = "yes"; break;
		case 'N': key = "install_rules"; value = "no"; break;
		case 'S': key = "control_socket"; break;
		case 'u': key = "user"; break;
		case 'h':
			run_usage(stdout);
			exit(EXIT_OK);
		default:
			run_usage(stderr);
			return -1;
		}
		if (key != NULL && *nov < 16) {
			ov[*nov].key = key;
			ov[(*nov)++].value = value;
		}
	}
	if (optind != argc) {
		log_warnx("run: unexpected argument '%s'", argv[optind]);
		run_usage(stderr);
		return -1;
	}
	return 0;
}

/*
 * Configuration file, then the command line over it, into c.  Returns
 * the errors (each logged).
 */
static int run_configure(struct run *r, struct conf *c)
{
	const char *path = r->conf_path ? r->conf_path : CONF_FILE;
	const char *err;
	char msg[PATH_MAX + 128];
	int errors = 0, i;

	conf_default(c);
	errors = conf_load(c, path);
	if (errors < 0) {
		errors = 0;
		if (r->conf_path != NULL || errno != ENOENT) {
			log_warn("%s", path);
			errors = 1;
		}
	}
	for (i = 0; i < r->nov; i++)
		if (conf_set(c, r->ov[i].key, r->ov[i].value, &err) < 0) {
			log_warnx("command line: %s", err);
			errors++;
		}
	if ((unsigned)c->queue + c->queues - 1 > 65535) {
		log_warnx("%s: queues %u from queue %u go past 65535", path,
			  c->queues, c->queue);
		errors++;
	}
	if (c->evidence_dir[0] != '\0' &&
	    evpcap_check(c->evidence_dir, c->user, msg, sizeof(msg)) < 0) {
		log_warnx("%s: %s", path, msg);
		errors++;
	}
	if (run_format(c) == OUT_FORMAT_MAX) {
		log_warnx("%s: json_format %s: give eve, ecs or legacy", path,
			  c->json_format);
		errors++;
	}
	if (r->daemonize && c->json_file[0] != '\0' && c->json_file[0] != '/') {
		log_warnx("json_file %s: give an absolute path with -d",
			  c->json_file);
		errors++;
	}
	errors += priv_configure(path, c->user, &r->uid, &r->gid);
	errors += ctl_configure(path, c->control_socket);
	errors += ctl_http_configure(path, c->metrics_listen);
	errors += slog_configure(path, c->syslog_target);
	errors += journal_configure(path, c->journal);
	return errors;
}


/*
 * Hand the workers a new policy: each takes it up at its next wakeup
 * (worker_policy(); the tick wakes them every TICK_US), and the old one
 * is freed once all have (run_policy_reap()).  Main thread only.
 */
static int run_policy_publish(struct run *r, const struct policy *pol)
{
	struct policy *p;
	int i;

	/* One swap at a time: the one before must be taken up by all. */
	for (i = 0; r->pol_old != NULL && i < 100; i++) {
		run_policy_reap(r);
		if (r->pol_old != NULL)
			usleep(TICK_US / 10);
	}
	if (r->pol_old != NULL) {
		log_warnx("the last policy is not taken up by every queue yet");
		return -1;
	}
	if ((p = malloc(sizeof(*p))) == NULL) {
		log_warn("policy");
		return -1;
	}
	*p = *pol;
	r->pol_old = r->pol;
	__atomic_store_n(&r->pol, p, __ATOMIC_RELEASE);
	__atomic_store_n(&r->pol_gen, r->pol_gen + 1, __ATOMIC_RELEASE);
	if (r->nw > 0)
		worker_policy(&r->w[0]);	/* the main thread's own */
	run_policy_reap(r);
	return 0;
}

static void run_policy_reap(struct run *r)
{
	int i;

	if (r->pol_old == NULL)
		return;
	for (i = 0; i < r->nw; i++)
		if (r->w[i].enf != NULL &&
		    __atomic_load_n(&r->w[i].pol_gen, __ATOMIC_ACQUIRE) !=
		    r->pol_gen)
			return;
	free(r->pol_old);
	r->pol_old = NULL;
}


/*
 * SIGHUP: read the configuration again.  With any error keep all of the
 * running one; else take up the policy, the event file and syslog, and
 * name the keys that changed but need a restart.  The event file is
 * reopened either way (log rotation).
 */
static void run_reload(struct run *r)
{
	const char *path = r->conf_path ? r->conf_path : CONF_FILE;
	struct conf *c = malloc(sizeof(*c));
	int errors;

	if (c == NULL) {
		log_warn("reload");
		run_output_reopen(r);
		return;
	}
	errors = run_configure(r, c);
	if (errors) {
		log_warnx("%s: %d error%s; still running the configuration read "
			  "before", path, errors, errors == 1 ? "" : "s");
		free(c);
		run_output_reopen(r);
		return;
	}
	conf_report_restart(path, &r->conf, c);
	if (run_policy_publish(r, &c->policy) == 0)
		r->conf.policy = c->policy;
	memcpy(r->conf.json_file, c->json_file, sizeof(c->json_file));
	if (r->conf.syslog != c->syslog) {
		r->conf.syslog = c->syslog;
		log_init(r->verbose, r->conf.syslog || r->daemonize);
	}
	free(c);
	run_output_reopen(r);
	log_warnx("%s: reloaded: policy %s, %u rule%s", path,
		  policy_mode_names[r->conf.policy.mode], r->conf.policy.nrules,
		  r->conf.policy.nrules == 1 ? "" : "s");
}

static void signals_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = run_signal;	/* no SA_RESTART: poll() returns */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

static void run_teardown(struct run *r)
{
	int i;

	locator_stop(r->loc);
	for (i = 0; i < r->nw; i++)
		worker_close(&r->w[i]);
	free(r->w);
	evpcap_close(r->ev);
	free(r->pol);
	free(r->pol_old);
	if (r->out.fp != NULL && r->out.fp != stdout)
		fclose(r->out.fp);
	pthread_mutex_destroy(&r->out_mu);
	ctl_close(r->ctl);
	ctl_close(r->http);
	slog_close(r->slog);
	run_journal_close(r);
	notify_close();
}

int run_main(int argc, char **argv)
{
	char err[256];
	struct override ov[16];
	struct run r;
	int nov = 0, i, errors, rc = EXIT_OK;

	memset(&r, 0, sizeof(r));
	pthread_mutex_init(&r.out_mu, NULL);
	log_init(1, 0);
	if (run_options(&r, argc, argv, ov, &nov) < 0)
		return EXIT_USAGE;
	r.ov = ov;
	r.nov = nov;
	errors = run_configure(&r, &r.conf);
	if (r.check_only) {
		if (errors == 0) {
			struct nft_conf nc;

			fprintf(stderr, "configuration OK\n");
			enforce_describe(stderr, &r.conf.policy, r.verbose);
			rules_conf(&r.conf, &nc);
			if (r.verbose > 1 && nft_render(&nc, stdout) < 0)
				errors++;	/* nft_render() said why */
		} else {
			fprintf(stderr, "%d error%s\n", errors,
				errors == 1 ? "" : "s");
		}
		return errors ? EXIT_USAGE : EXIT_OK;
	}
	if (errors) {
		log_warnx("%d error%s in the configuration", errors,
			  errors == 1 ? "" : "s");
		return EXIT_USAGE;
	}
	log_init(r.verbose, r.conf.syslog || r.daemonize);
	signals_install();
	notify_init();
	r.start_time = clk_real_us() / 1000000;

	if (run_output_open(&r) < 0)
		return EXIT_NOOUTPUT;
	if (run_journal_open(&r) < 0) {
		run_teardown(&r);
		return EXIT_NOOUTPUT;
	}
	/* While we may still make its directory and give it to our user. */
	if (strcmp(r.conf.control_socket, "none") != 0 &&
	    (r.ctl = ctl_open(r.conf.control_socket, r.uid, r.gid)) == NULL) {
		run_teardown(&r);
		return EXIT_SETUP;
	}
	if (strcmp(r.conf.metrics_listen, "none") != 0 &&
	    (r.http = ctl_open_http(r.conf.metrics_listen)) == NULL) {
		run_teardown(&r);
		return EXIT_SETUP;
	}
	if (evpcap_setup(&r.conf, &r.ev) < 0) {
		run_teardown(&r);
		return EXIT_NOOUTPUT;
	}
	if (run_policy_publish(&r, &r.conf.policy) < 0) {
		run_teardown(&r);
		return EXIT_SETUP;
	}
	r.nw = r.conf.queues;
	if ((r.w = calloc((size_t)r.nw, sizeof(*r.w))) == NULL) {
		log_warn("workers");
		run_teardown(&r);
		return EXIT_SETUP;
	}
	for (i = 0; i < r.nw; i++) {
		if (worker_open(&r, &r.w[i], i) < 0) {
			r.nw = i + 1;
			run_teardown(&r);
			return EXIT_SETUP;
		}
	}
	/* Queues first: from the first rule on, someone listens. */
	if (r.conf.install_rules && rules_install(&r.conf) < 0) {
		run_teardown(&r);
		return EXIT_SETUP;
	}
	/* Everything privileged is open; before any thread: caps are per thread. */
	if (r.conf.user[0] != '\0' && priv_drop(r.conf.user, r.uid, r.gid) < 0) {
		rules_remove();
		run_teardown(&r);
		return EXIT_SETUP;
	}
	/* Evidence files are made as that user: it must be able to. */
	if (r.ev != NULL && r.conf.user[0] != '\0' &&
	    evpcap_check(r.conf.evidence_dir, r.conf.user, err, sizeof(err)) < 0) {
		log_warnx("%s (as user %s)", err, r.conf.user);
		rules_remove();
		run_teardown(&r);
		return EXIT_SETUP;
	}
	log_info("queue %u (%d in all), hold %.1f s, conntrack %s, events to %s",
		 r.conf.queue, r.nw, r.conf.hold_us / 1e6,
		 nfqueue_has_conntrack(r.w[0].q) ? "with the packet (NFQA_CT)"
						   : "by lookup",
		 r.conf.json_file[0] ? r.conf.json_file : "stdout");
	log_info("policy %s, %u rule%s", policy_mode_names[r.conf.policy.mode],
		 r.conf.policy.nrules, r.conf.policy.nrules == 1 ? "" : "s");
	if (r.daemonize && daemon(0, 0) < 0) {
		log_warn("daemon");
		rules_remove();
		run_teardown(&r);
		return EXIT_SETUP;
	}
	/* A thread: after the privilege drop and daemon(), as the locator. */
	if (strcmp(r.conf.syslog_target, "none") != 0 &&
	    (r.slog = slog_open(r.conf.syslog_target, r.conf.syslog_queue)) == NULL)
		log_warnx("syslog_target %s: events not sent there",
			  r.conf.syslog_target);
	if (r.conf.locate && (r.loc = locator_start(&(struct locator_conf){
		.interval_s = r.conf.locate_interval,
		.budget = r.conf.locate_budget,
		.max_ttl = r.conf.locate_max_ttl }, run_located, &r)) == NULL)
		log_warn("locate: no thread; not locating");
	if (workers_start(&r) < 0) {
		rc = EXIT_SETUP;
	} else {
		notify_ready("auditing");	/* the table and queues are up */
		if (worker_loop(&r.w[0], 1) < 0)
			rc = EXIT_SETUP;
	}

	notify_stopping();
	/*
	 * No new packets, then answer what is left (the held RSTs too) and
	 * release the RSTs; only then the chains, whose removal would drop
	 * every packet still waiting for a verdict.
	 */
	rules_quiesce();
	workers_stop(&r);
	worker_finish(&r.w[0]);
	rules_remove();
	if (__atomic_load_n(&r.failed, __ATOMIC_RELAXED))
		rc = EXIT_SETUP;
	counters_print(&r);
	log_info("exiting");
	run_teardown(&r);
	return rc;
}
