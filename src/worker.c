/*
 * worker.c: one queue's loop, in a thread of its own: read packets,
 * fill the live facts (conntrack's, livect.c; the gateway's own
 * rejects), hand them to the engine, give verdicts, hand the events it
 * releases to the writer thread (writer.h; run_write() is what that
 * thread does).
 */
#include <linux/netfilter/nf_conntrack_common.h>

#include "run_int.h"

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

/*
 * A released event, with a copy of its flow's packets from this queue's
 * ring (which this thread overwrites), to the writer thread, which writes
 * its evidence file too: no write of ours is ever waited for (but at
 * shutdown: nothing is dropped then).
 */
static void run_emit(struct rst_event *e, void *arg)
{
	struct worker *w = arg;
	struct run *r = w->run;
	struct evhand_ticket t, *tp = NULL;

	enforce_released(w->enf, e);	/* still held in the queue? decide */
	if (w->hand != NULL) {
		evhand_take(w->hand, w->ring, e, EVPCAP_BEFORE, EVPCAP_AFTER, &t);
		/* At shutdown nothing is lost: wait for the writer's room. */
		while (t.status == EVHAND_FULL && run_is_stopping()) {
			writer_wake(r->wr);
			nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
			evhand_take(w->hand, w->ring, e, EVPCAP_BEFORE,
				    EVPCAP_AFTER, &t);
		}
		t.queue = (uint32_t)w->idx;
		tp = &t;
	}
	if (writer_put(r->wr, e, tp, run_is_stopping()) < 0 && tp != NULL)
		evhand_cancel(w->hand, tp);	/* dropped, and counted */
	/* Big flows fill the hand-over before the writer's ring: no tick. */
	if (tp != NULL && evhand_half_full(w->hand))
		writer_wake(r->wr);
	if (r->loc != NULL)	/* queued for the locator thread, if middlebox */
		locator_event(r->loc, w->ring, e);
}

/*
 * The writer thread's: one event's evidence file (fills e->live.pcap_*),
 * then the event to the event file and the log receivers.
 */
void run_write(struct rst_event *e, const struct evhand_ticket *t, void *arg)
{
	struct run *r = arg;

	if (r->ev != NULL && t != NULL) {
		struct evhand *h = r->w[t->queue].hand;

		evpcap_event(r->ev, h, t, e);
		evhand_release(h, t);
		pthread_mutex_lock(&r->ev_mu);
		evpcap_get_stats(r->ev, &r->ev_st);
		pthread_mutex_unlock(&r->ev_mu);
	}
	pthread_mutex_lock(&r->out_mu);
	output_event(&r->out, e);	/* written out by the next flush */
	if (r->conf.syslog)
		event_syslog(e);
	if (r->slog != NULL)
		slog_event(r->slog, e);		/* queued, never waits */
	if (r->journal != NULL)
		journal_event(r->journal, e);	/* one datagram, never waits */
	pthread_mutex_unlock(&r->out_mu);
	__atomic_add_fetch(&r->nevents, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&r->nby[e->v.origin][e->v.cause], 1, __ATOMIC_RELAXED);
}

/* The locator thread's follow-up event, linked by community_id. */
void run_located(const struct locate_request *q,
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
void run_flush(void *arg)
{
	struct run *r = arg;

	pthread_mutex_lock(&r->out_mu);
	if (fflush(r->out.fp) == EOF)
		log_warn("cannot write events");
	pthread_mutex_unlock(&r->out_mu);
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
	rst_name_copy(l->hook_name, sizeof(l->hook_name),
		      nfqueue_hook_name(np->hook));
	rst_name_copy(l->in, sizeof(l->in), nfqueue_ifname(w->q, np->indev, name));
	rst_name_copy(l->out, sizeof(l->out), nfqueue_ifname(w->q, np->outdev, name));
	/* Logged, not queued: we told the kernel nothing (the guard's
	 * copies: it dropped them itself). */
	rst_name_copy(l->verdict, sizeof(l->verdict),
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

	if (np->note != NFQUEUE_NOTE_NONE) {	/* a fact for its queued copy */
		if (w->notes != NULL)
			notes_add(w->notes, np->note, np->payload, np->caplen,
				  np->len, np->ts_us);
		return NFQUEUE_ACCEPT;
	}
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
	s->c.from_table = w->table_hits;
	s->c.from_view = w->view_hits;
	s->c.view_fallbacks = w->view_fallbacks;
	if (w->notes != NULL)
		s->c.notes_lost = notes_lost(w->notes);
	if (w->view != NULL && w->idx == 0) {	/* the run's view: counted once */
		struct ctview_stats vs;

		ctview_get_stats(w->view, &vs);
		s->c.view_events = vs.events;
		s->c.view_lost = vs.lost;
		s->c.view_full = vs.full;
		s->c.view_dumps = vs.dumps;
		s->c.view_entries = vs.entries;
	}
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


static void worker_tick(struct worker *w)
{
	uint64_t expirations;

	if (read(w->tfd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		log_warn("queue %u: timer", w->qnum);
	engine_tick(w->eng, clk_real_us());
	worker_snapshot(w);
	/* For the control thread's watchdog: this queue's loop is alive. */
	__atomic_store_n(&w->tick_us, clk_mono_us(), __ATOMIC_RELAXED);
}

/*
 * The NFLOG group's packets logged so far (bounded: under a flood of
 * new connections the queue must still be served).
 */
static int worker_learn(struct worker *w)
{
	int i, n;

	if (w->log == NULL)
		return 0;
	w->log_read_us = clk_mono_us();
	w->log_busy = 0;
	for (i = 0; i < LOG_READS_PER_BATCH; i++) {
		/* A short batch emptied the socket: no read for EAGAIN. */
		if ((n = nfqueue_recv(w->log)) <= 0)
			return n;
		if (nfqueue_handle(w->log, worker_packet, w) < 0)
			return -1;
		if (n < NFQUEUE_BATCH)
			return 0;
	}
	w->log_busy = 1;	/* more waiting: read again at once */
	return 0;
}

/*
 * Conntrack's changes so far, into the view.  wait: before this queue's
 * lookups, whoever else is reading them (else another thread is).
 */
static int worker_view(struct worker *w, int wait)
{
	if (w->view == NULL)
		return 0;
	w->view_read_us = clk_mono_us();
	if (ctview_read(w->view, wait) == 0)
		return 0;
	log_warn("queue %u: conntrack events", w->qnum);
	return -1;
}

/*
 * Each packet of a batch taken, before any is handled: its flow, its
 * delay slot and, for a RST, its conntrack entry start loading, while
 * the NFLOG group and the events are read.
 */
static void worker_peek(const uint8_t *payload, uint32_t caplen, void *arg)
{
	struct worker *w = arg;
	struct pkt p;

	if (pkt_parse(&p, LINK_RAW, payload, caplen) != PKT_OK)
		return;
	engine_prefetch(w->eng, &p);
	if ((p.flags & TH_RST) && w->view != NULL &&
	    w->nview_slot < NFQUEUE_BATCH)
		w->view_slot[w->nview_slot++] = ctview_prefetch(w->view, &p);
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
		/* The view, only when a batch came: only RSTs look it up. */
		w->nview_slot = 0;
		if ((n = nfqueue_recv(w->q)) > 0)
			nfqueue_peek(w->q, worker_peek, w);
		if (n < 0 || worker_learn(w) < 0 ||
		    (n > 0 && worker_view(w, 1) < 0))
			return -1;
		/* The view's slots came meanwhile: now their entries. */
		if (w->nview_slot > 0)
			ctview_prefetch_entries(w->view, w->view_slot,
						w->nview_slot);
		if (n == 0)
			return 0;
		if (nfqueue_handle(w->q, worker_packet, w) < 0)
			return -1;
		if (n < NFQUEUE_BATCH)
			return 0;	/* emptied: poll says when more come */
	}
	return 1;
}


/* Take up the newest policy, if the main thread published one. */
void worker_policy(struct worker *w)
{
	uint64_t gen = __atomic_load_n(&w->run->pol_gen, __ATOMIC_ACQUIRE);

	if (gen == w->pol_gen)
		return;
	enforce_set_policy(w->enf, __atomic_load_n(&w->run->pol,
						   __ATOMIC_ACQUIRE), gen);
	__atomic_store_n(&w->pol_gen, gen, __ATOMIC_RELEASE);
}

/* A queue thread's poll slots. */
enum { PFD_QUEUE, PFD_TICK, PFD_LOG, PFD_HOLD, PFD_SNAP, PFD_CT, PFD_CTDUMP,
       PFD_MAX };

/* The control thread wants counters: a snapshot now, after the packets. */
static void worker_snap_asked(struct worker *w)
{
	uint64_t n;

	if (read(w->snap_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_warn("queue %u: eventfd", w->qnum);
	/* What the group holds counts as of now: it is read lazily. */
	if (worker_drain(w) < 0)
		log_warnx("queue %u: cannot read before the snapshot", w->qnum);
	worker_snapshot(w);
	__atomic_store_n(&w->snap_gen, __atomic_load_n(&w->run->snap_gen,
			 __ATOMIC_ACQUIRE), __ATOMIC_RELEASE);
}

/*
 * Counters as of now, for the control thread: each running queue takes
 * a snapshot once it has handled what it had read, waited for at most
 * SNAP_WAIT_US (a stuck queue's stay as its last tick left them).
 */
void workers_snapshot(struct run *r)
{
	uint64_t one = 1, gen, t0 = clk_mono_us();
	int i, behind;

	if (run_is_stopping())
		return;		/* their last snapshots are taken */
	gen = __atomic_add_fetch(&r->snap_gen, 1, __ATOMIC_RELEASE);
	for (i = 0; i < r->nw; i++)
		if (r->w[i].started && write(r->w[i].snap_fd, &one, sizeof(one)) < 0)
			log_warn("queue %u: eventfd", r->w[i].qnum);
	do {
		for (i = behind = 0; i < r->nw; i++)
			behind |= r->w[i].started &&
				  __atomic_load_n(&r->w[i].snap_gen,
						  __ATOMIC_ACQUIRE) < gen;
		if (behind)
			nanosleep(&(struct timespec){ 0, 200000 }, NULL);
	} while (behind && clk_mono_us() - t0 < SNAP_WAIT_US);
}

/*
 * fd to poll if a period has passed since it was last read, else -1 and
 * *timeout (ms, -1: none) shortened to when it will have.
 */
static int read_due(int fd, uint64_t since, uint64_t period, int *timeout)
{
	int left;

	if (fd < 0 || since >= period)
		return fd;
	left = (int)((period - since + 999) / 1000);
	if (*timeout < 0 || left < *timeout)
		*timeout = left;
	return -1;
}

/*
 * One queue's loop: nothing but its packets, its tick and its suspect
 * holds.  Signals, reloads, the control socket and the degradation
 * watch are the control thread's (run.c): none of them can stall a
 * queue.
 */
static int worker_loop(struct worker *w)
{
	struct pollfd pfd[PFD_MAX];
	int ct_fd = w->view != NULL && w->idx == 0 ? ctview_fd(w->view) : -1;
	int log_fd = w->log != NULL ? nfqueue_fd(w->log) : -1;
	int timeout;
	uint64_t now;

	pfd[PFD_QUEUE].fd = nfqueue_fd(w->q);
	pfd[PFD_TICK].fd = w->tfd;
	pfd[PFD_HOLD].fd = enforce_fd(w->enf);
	pfd[PFD_SNAP].fd = w->snap_fd;
	for (int i = 0; i < PFD_MAX; i++)
		pfd[i].events = POLLIN;
	while (!run_is_stopping()) {
		worker_policy(w);
		/*
		 * The NFLOG group, and in the first queue the view, are read
		 * while no RST comes, but at most every LOG_READ_US and
		 * VIEW_READ_US: each packet logged and each event is a
		 * datagram, and a wakeup for each cost more than it (15 us of
		 * CPU per new connection for the events, 18 for the packets
		 * learnt: bench/live.sh conn).  Before a queue batch both are read anyway, so the
		 * engine still sees each flow in order, and a packet learnt
		 * carries the kernel's time stamp, not ours (nfq.c).
		 */
		now = clk_mono_us();
		timeout = -1;
		pfd[PFD_CT].fd = read_due(ct_fd, now - w->view_read_us,
					  VIEW_READ_US, &timeout);
		pfd[PFD_LOG].fd = read_due(log_fd, w->log_busy ? LOG_READ_US :
					   now - w->log_read_us, LOG_READ_US,
					   &timeout);
		/* A dump runs at start, and after events were lost. */
		pfd[PFD_CTDUMP].fd = w->view != NULL && w->idx == 0 ?
				     ctview_dump_fd(w->view) : -1;
		if (poll(pfd, PFD_MAX, timeout) < 0) {
			if (errno == EINTR)
				continue;
			log_warn("queue %u: poll", w->qnum);
			return -1;
		}
		/* A hold that ran out ends before any later packet is seen. */
		if (pfd[PFD_HOLD].revents & POLLIN)
			enforce_timer(w->enf);
		if ((pfd[PFD_QUEUE].revents | pfd[PFD_LOG].revents) &
		    (POLLIN | POLLERR) && worker_drain(w) < 0)
			return -1;
		if ((pfd[PFD_CT].revents | pfd[PFD_CTDUMP].revents) & (POLLIN | POLLERR) &&
		    worker_view(w, 0) < 0)
			return -1;
		if (pfd[PFD_TICK].revents & POLLIN)
			worker_tick(w);
		if (pfd[PFD_SNAP].revents & POLLIN)
			worker_snap_asked(w);
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

	if (worker_loop(w) < 0) {
		__atomic_store_n(&w->run->failed, 1, __ATOMIC_RELAXED);
		kill(getpid(), SIGTERM);	/* wake the control thread */
	}
	worker_finish(w);
	return NULL;
}

/*
 * Where the kernel does not attach conntrack's facts to queued packets,
 * take them from the table's notes of the RSTs conntrack did not take or
 * deleted (that needs the NFLOG group), and with conntrack_view events
 * from its events as well: the first queue opens the run's one view; the
 * others share it.  Else, or if the view cannot start, one GET per RST.
 */
static void worker_view_open(struct worker *w)
{
	struct run *r = w->run;
	const struct conf *c = &r->conf;
	struct ctview_stats vs;

	if (nfqueue_has_conntrack(w->q) ||
	    (c->conntrack_view == CONF_CT_EVENTS && w->idx > 0 && r->view == NULL))
		return;
	if (c->conntrack_view == CONF_CT_LOOKUP || c->log_group == 0) {
		if (w->idx == 0)
			log_info("conntrack facts: one lookup per RST (%s)",
				 c->log_group == 0 ? "log_group 0: no notes"
						   : "conntrack_view lookup");
		return;
	}
	if ((w->notes = notes_new(c->queue_length)) == NULL) {
		log_warn("queue %u: conntrack notes; one lookup per RST", w->qnum);
		return;
	}
	if (c->conntrack_view == CONF_CT_TABLE) {
		w->table_facts = 1;
		if (w->idx == 0)
			log_info("conntrack facts from the table's notes "
				 "(conntrack_view table): no events, not asked per RST");
		return;
	}
	if (w->idx > 0) {
		w->view = r->view;
		return;
	}
	if ((r->view = ctview_new(0)) == NULL || ctview_open(r->view) < 0) {
		if (errno == ENOTSUP)
			log_info("conntrack announces no changes "
				 "(net.netfilter.nf_conntrack_events=0): one "
				 "lookup per RST");
		else
			log_warn("conntrack events; one lookup per RST");
		ctview_free(r->view);
		notes_free(w->notes);
		r->view = NULL;
		w->notes = NULL;
		return;
	}
	w->view = r->view;
	ctview_get_stats(r->view, &vs);
	log_info("conntrack facts from its events (a view of up to %u "
		 "entries), not asked per RST", vs.max);
}

/*
 * The queue's engine, with its share of the flow bound, and the evidence
 * ring and hand-over where evidence or locating needs them: 0, or -1
 * after saying why.
 */
static int worker_engine_open(struct run *r, struct worker *w)
{
	struct engine_conf ec;

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
	if (r->ev != NULL && (w->hand = evhand_new(evring_size(w->ring),
			r->conf.hold_us, EVHAND_BYTES)) == NULL) {
		log_warn("queue %u: cannot allocate %u kB for the evidence writer",
			 w->qnum, EVHAND_BYTES >> 10);
		return -1;
	}
	return 0;
}

int worker_open(struct run *r, struct worker *w, int idx)
{
	struct itimerspec its = {
		.it_interval = { 0, TICK_US * 1000 },
		.it_value = { 0, TICK_US * 1000 },
	};
	struct nfqueue_conf qc;

	w->run = r;
	w->idx = idx;
	w->qnum = (uint16_t)(r->conf.queue + idx);
	w->tfd = -1;
	w->snap_fd = -1;
	pthread_mutex_init(&w->snap_mu, NULL);
	if (worker_engine_open(r, w) < 0)
		return -1;
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
	worker_view_open(w);
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
	w->snap_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->snap_fd < 0) {
		log_warn("queue %u: eventfd", w->qnum);
		return -1;
	}
	worker_snapshot(w);
	return 0;
}

void worker_close(struct worker *w)
{
	enforce_free(w->enf);	/* before its queue: it answers nothing now */
	nfqueue_close(w->q);
	nfqueue_close(w->log);
	ct_close(w->ct);
	notes_free(w->notes);	/* the view is the run's */
	engine_free(w->eng);
	evring_free(w->ring);
	evhand_free(w->hand);
	if (w->tfd >= 0)
		close(w->tfd);
	if (w->snap_fd >= 0)
		close(w->snap_fd);
	pthread_mutex_destroy(&w->snap_mu);
}

/* Start every queue in a thread of its own that never takes a signal. */
int workers_start(struct run *r)
{
	sigset_t all, old;
	char name[16];
	int i, err = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 0; i < r->nw && err == 0; i++) {
		__atomic_store_n(&r->w[i].tick_us, clk_mono_us(), __ATOMIC_RELAXED);
		err = pthread_create(&r->w[i].tid, NULL, worker_thread, &r->w[i]);
		if (err == 0) {
			r->w[i].started = 1;
			snprintf(name, sizeof(name), "rstaudit-q%u", r->w[i].qnum);
			(void)pthread_setname_np(r->w[i].tid, name);	/* for ps, top */
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		errno = err;
		log_warn("cannot start the thread of queue %u", r->w[i - 1].qnum);
		return -1;
	}
	return 0;
}

void workers_stop(struct run *r)
{
	int i;

	__atomic_store_n(&run_stopping, 1, __ATOMIC_RELAXED);
	for (i = 0; i < r->nw; i++)
		if (r->w[i].started)
			pthread_join(r->w[i].tid, NULL);
}

