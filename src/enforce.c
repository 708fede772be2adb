/*
 * enforce.c: the policy at work in one queue's thread (see enforce.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <linux/netfilter/nf_conntrack_tcp.h>

#include "clk.h"
#include "ct.h"
#include "engine.h"
#include "enforce.h"
#include "log.h"
#include "nfq.h"
#include "stats.h"
#include "table.h"

#define LEDGER_FLOWS	16384		/* connections with drops remembered */
#define LEDGER_IDLE_MS	600000		/* a count this stale starts again */
#define CT_TIMEOUT_FILE	\
	"/proc/sys/net/netfilter/nf_conntrack_tcp_timeout_established"
#define CT_TIMEOUT_DEF	432000		/* the kernel's default, 5 days */
#define FOLLOW_MAX	32		/* packets kept behind one held RST */
#define BURST_GAP_MS	1000		/* drops closer than this: one burst */
#define RESTORED_MAX	64		/* connections put back, remembered */

/*
 * A packet of a held RST's flow, kept behind it: with its verdict, or,
 * for a later RST of the flow (serial != 0), decided when it goes out,
 * on what was learnt meanwhile.
 */
struct follower {
	uint32_t id;
	uint32_t serial;	/* a RST's event, still to decide; 0: decided */
	uint8_t	 verdict;	/* NFQUEUE_ACCEPT or NFQUEUE_DROP */
	uint8_t	 has_mark;
	uint32_t mark;
	uint64_t start_us;
	struct policy_decision first;	/* what it would have been at once */
};

/*
 * A RST held in the kernel for more evidence, and the packets of its
 * flow that arrived since: they wait behind it, and go out after its
 * verdict in the order they came, so the hold never reorders the flow.
 */
struct suspect {
	uint32_t id;		/* its packet id in the queue */
	uint32_t serial;	/* its event in the engine */
	uint64_t key;		/* its flow (engine_flow_key()) */
	uint64_t start_us, due_us;
	uint32_t pkts, burst;	/* what its event had seen when last judged */
	struct policy_decision first;
	struct follower next[FOLLOW_MAX];
	unsigned nnext;
};

struct enforce {
	struct enforce_sink	 sink;		/* the queue, or a test's */
	struct ct_handle	*ct;
	struct engine		*eng;
	const struct policy	*pol;
	uint32_t		 ct_timeout_s;
	int			 tfd;
	uint64_t		 armed_us;	/* the timer's expiry, 0: off */
	struct suspect		 held[POLICY_SUSPECT_MAX];
	unsigned		 nheld;
	struct tab		 ledger;	/* h.user: drops on the flow */
	int			 mark_pending;	/* the RST just decided sets a mark */
	uint32_t		 mark_next;
	uint32_t		 behind;	/* serial of a RST that waits behind
						 * the one held on its flow */
	struct policy_decision	 behind_first;	/* ... decided at once */
	struct {
		uint64_t key, ms;
	} restored[RESTORED_MAX];		/* recent ct_restore, a ring */
	unsigned		 restored_next;
	enforce_guard_fn	 guard;
	void			*guard_arg;
	uint64_t		 guard_key;	/* the last signature guarded */
	uint64_t		 guard_until_ms;	/* ... and until when */
	struct enforce_stats	 st;
};

static int q_verdict(void *q, uint32_t id, int verdict, int has_mark,
		     uint32_t mark)
{
	return nfqueue_verdict(q, id, verdict, has_mark, mark);
}

static unsigned q_deferred(void *q)
{
	return nfqueue_deferred(q);
}

static void q_set_mark(void *q, uint32_t mark)
{
	nfqueue_set_mark(q, mark);
}

/* The kernel's established timeout in this namespace, for ct_state_set(). */
static uint32_t established_timeout(void)
{
	unsigned int v = 0;
	FILE *fp = fopen(CT_TIMEOUT_FILE, "r");

	if (fp != NULL) {
		if (fscanf(fp, "%u", &v) != 1)
			v = 0;
		fclose(fp);
	}
	return v ? v : CT_TIMEOUT_DEF;
}

struct enforce *enforce_new(struct nfqueue *q, struct ct_handle *ct,
			    struct engine *eng)
{
	struct enforce *enf = calloc(1, sizeof(*enf));
	int saved;

	if (enf == NULL)
		return NULL;
	enf->sink = (struct enforce_sink){ q_verdict, q_deferred, q_set_mark, q };
	enf->ct = ct;
	enf->eng = eng;
	enf->ct_timeout_s = established_timeout();
	enf->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (enf->tfd < 0 ||
	    tab_init(&enf->ledger, sizeof(struct tab_hdr), LEDGER_FLOWS) < 0)
		goto fail;
	return enf;
fail:
	saved = errno;
	enforce_free(enf);
	errno = saved;
	return NULL;
}

void enforce_free(struct enforce *enf)
{
	if (enf == NULL)
		return;
	if (enf->tfd >= 0)
		close(enf->tfd);
	tab_free(&enf->ledger);
	free(enf);
}

void enforce_set_sink(struct enforce *enf, const struct enforce_sink *sink)
{
	enf->sink = *sink;
}

void enforce_set_policy(struct enforce *enf, const struct policy *pol,
			uint64_t generation)
{
	enf->pol = pol;
	if (generation == enf->st.generation)
		return;
	enf->st.generation = generation;
	enf->st.nrules = pol->nrules;
	memset(enf->st.rule, 0, sizeof(enf->st.rule));
	memset(&enf->st.none, 0, sizeof(enf->st.none));
}

int enforce_fd(const struct enforce *enf)
{
	return enf->tfd;
}

/* ---- the per-flow drop count -------------------------------------------- */

/* Bursts dropped on the flow before the one a RST now would be part of. */
static uint32_t ledger_drops(struct enforce *enf, uint64_t key, uint32_t now_ms)
{
	const struct tab_hdr *h = tab_find(&enf->ledger, key);

	if (h == NULL || now_ms - h->last_ms > LEDGER_IDLE_MS)
		return 0;
	if (h->user > 0 && now_ms - h->last_ms <= BURST_GAP_MS)
		return h->user - 1;	/* it goes on the current burst */
	return h->user;
}

/* One more drop on the flow: a new burst when the last was a while ago. */
static void ledger_count(struct enforce *enf, uint64_t key, uint32_t now_ms)
{
	uint64_t before = enf->ledger.evicted;
	struct tab_hdr *h;
	int created;

	h = tab_get(&enf->ledger, key, now_ms, &created, NULL, NULL);
	if (now_ms - h->last_ms > LEDGER_IDLE_MS)
		h->user = 0;
	if (created || h->user == 0 || now_ms - h->last_ms > BURST_GAP_MS)
		h->user++;
	h->last_ms = now_ms;
	enf->st.flows_evicted += enf->ledger.evicted - before;
}

/* ---- deciding ------------------------------------------------------------ */

static void decide(struct enforce *enf, const struct rst_event *e,
		   struct policy_decision *d)
{
	uint64_t key = engine_flow_key(enf->eng, &e->p);

	policy_decide(enf->pol, e, ledger_drops(enf, key,
			(uint32_t)(clk_mono_us() / 1000)), d);
}

/*
 * Conntrack saw the dropped RST before our chain did and moved the entry
 * to CLOSE (10 s to live, then gone: a NAT mapping with it, and the next
 * packet a ct state new without SYN).  Put it back, when the connection
 * was established and no FIN had been seen.
 */
static void conntrack_put_back(struct enforce *enf, struct rst_event *e)
{
	const struct rst_live *l = &e->live;

	if (!enf->pol->ct_restore || !l->ct_known ||
	    strcmp(l->ct_state, "CLOSE") != 0 ||
	    !(e->snd.f & SIDE_SEEN) || !(e->rcv.f & SIDE_SEEN) ||
	    ((e->snd.f | e->rcv.f) & SIDE_FIN))
		return;
	if (ct_state_set(enf->ct, &e->p, TCP_CONNTRACK_ESTABLISHED,
			 enf->ct_timeout_s) == 0) {
		e->live.pol.ct_restored = 1;
		enf->st.ct_restored++;
		enf->restored[enf->restored_next].key =
			engine_flow_key(enf->eng, &e->p);
		enf->restored[enf->restored_next].ms = clk_mono_us() / 1000;
		enf->restored_next = (enf->restored_next + 1) % RESTORED_MAX;
	} else {
		enf->st.ct_restore_failed++;
	}
}

/*
 * Does e carry a signature the kernel can drop without touching its
 * claimed sender's own RSTs: a TTL that is not the sender's?
 */
static int guardable(const struct rst_event *e)
{
	if (e->v.origin != ORIGIN_MIDDLEBOX || e->live.made_here)
		return 0;
	if (e->snd.f & SIDE_SEEN)
		return e->snd.ttl != 0 && e->p.ttl != e->snd.ttl;
	return e->host.n > 0 &&
	       (e->p.ttl < e->host.ttl_min || e->p.ttl > e->host.ttl_max);
}

/* A dropped forgery: its kind to the kernel, once per signature. */
static void guard(struct enforce *enf, struct rst_event *e, uint32_t now_ms)
{
	uint64_t sig = engine_flow_key(enf->eng, &e->p) ^
		       (uint64_t)e->p.ttl * 0x9e3779b97f4a7c15ULL;
	uint32_t ms = enf->pol->guard_us / 1000;

	if (enf->guard == NULL || ms == 0 || !guardable(e))
		return;
	if (sig == enf->guard_key && now_ms < enf->guard_until_ms) {
		e->live.pol.guarded = 1;	/* in flight before it was */
		return;
	}
	if (enf->guard(enf->guard_arg, e, ms) < 0) {
		enf->st.guard_errors++;
		return;
	}
	enf->guard_key = sig;
	enf->guard_until_ms = now_ms + ms;
	e->live.pol.guarded = 1;
	enf->st.guarded++;
}

int enforce_restored(const struct enforce *enf, const struct pkt *p)
{
	uint64_t key, now;

	if (enf->st.ct_restored == 0)
		return 0;	/* never: no hash, no clock per RST */
	key = engine_flow_key(enf->eng, p);
	now = clk_mono_us() / 1000;
	for (unsigned i = 0; i < RESTORED_MAX; i++)
		if (enf->restored[i].ms != 0 && enf->restored[i].key == key &&
		    now - enf->restored[i].ms < ENFORCE_RESTORED_MS)
			return 1;
	return 0;
}

void enforce_guard_seen(struct enforce *enf, struct rst_event *e)
{
	struct rst_policy *pp = &e->live.pol;

	engine_judge(enf->eng, e);
	engine_rst_dropped(enf->eng, e);	/* it never reached the peer */
	memset(pp, 0, sizeof(*pp));
	pp->valid = 1;
	pp->mode = enf->pol != NULL ? enf->pol->mode : POLICY_ENFORCE;
	pp->action = PA_DROP;
	pp->guarded = 1;
	pp->origin = e->v.origin;
	pp->cause = e->v.cause;
	pp->confidence = e->v.confidence;
	enf->st.guard_seen++;
}

void enforce_set_guard(struct enforce *enf, enforce_guard_fn fn, void *arg)
{
	enf->guard = fn;
	enf->guard_arg = arg;
}

static void action_log(const struct rst_event *e, const struct rst_policy *pp)
{
	char src[RST_ADDRSTRLEN], dst[RST_ADDRSTRLEN];

	log_warnx("rule %u (line %u): reset %s port %u > %s port %u, hook %s: "
		  "%s %s (confidence %.2f)", pp->rule, pp->line,
		  rst_addr(e->p.family, e->p.src, src), e->p.sport,
		  rst_addr(e->p.family, e->p.dst, dst), e->p.dport,
		  e->live.hook_name, origin_names[e->v.origin],
		  cause_names[e->v.cause], e->v.confidence);
}

/* Record decision d in e and the counters; returns the verdict. */
static int apply(struct enforce *enf, struct rst_event *e,
		 const struct policy_decision *d)
{
	struct rst_policy *pp = &e->live.pol;
	struct enforce_rule_stats *rs = d->rule >= 0 ? &enf->st.rule[d->rule]
						     : &enf->st.none;

	pp->valid = 1;
	pp->mode = enf->pol->mode;
	pp->action = d->action;
	pp->would_drop = d->would_drop;
	pp->bound = d->bound;
	pp->has_mark = d->has_mark;
	pp->mark = d->mark;
	pp->rule = (uint16_t)(d->rule + 1);
	pp->line = d->rule >= 0 ? enf->pol->rules[d->rule].line : 0;
	pp->origin = e->v.origin;
	pp->cause = e->v.cause;
	pp->confidence = e->v.confidence;
	enf->st.decided++;
	rs->matched++;
	rs->dropped += d->drop;
	rs->would_drop += d->would_drop;
	rs->bound += d->bound;
	enf->st.dropped += d->drop;
	enf->st.would_drop += d->would_drop;
	enf->st.bound += d->bound;
	enf->st.marked += d->has_mark;
	if (d->drop || d->would_drop)
		ledger_count(enf, engine_flow_key(enf->eng, &e->p),
			     (uint32_t)(clk_mono_us() / 1000));
	if (d->drop) {
		engine_rst_dropped(enf->eng, e);
		conntrack_put_back(enf, e);
		guard(enf, e, (uint32_t)(clk_mono_us() / 1000));
	}
	if (d->action == PA_LOG) {
		enf->st.logged++;
		action_log(e, pp);
	}
	rst_name_copy(e->live.verdict, sizeof(e->live.verdict),
		      d->drop ? "drop" : "accept");
	return d->drop ? NFQUEUE_DROP : NFQUEUE_ACCEPT;
}

/* ---- the suspect hold ---------------------------------------------------- */

static void timer_arm(struct enforce *enf)
{
	struct itimerspec its;
	uint64_t due = 0;
	unsigned i;

	for (i = 0; i < enf->nheld; i++)
		if (due == 0 || enf->held[i].due_us < due)
			due = enf->held[i].due_us;
	if (due == enf->armed_us)
		return;
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = (time_t)(due / 1000000);
	its.it_value.tv_nsec = (long)(due % 1000000) * 1000;
	if (timerfd_settime(enf->tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		log_warn("suspect hold timer");
	enf->armed_us = due;
}

static int hold(struct enforce *enf, struct rst_event *e, uint32_t id,
		const struct policy_decision *d)
{
	struct suspect *s;
	uint64_t now = clk_mono_us();

	if (enf->nheld >= enf->pol->suspect_max ||
	    enf->sink.deferred(enf->sink.arg) >= NFQUEUE_DEFER_MAX) {
		enf->st.held_full++;
		return -1;
	}
	s = &enf->held[enf->nheld++];
	s->id = id;
	s->serial = e->serial;
	s->key = engine_flow_key(enf->eng, &e->p);
	s->nnext = 0;
	s->start_us = now;
	s->due_us = now + enf->pol->suspect_hold_us;
	s->pkts = e->after_pkts;
	s->burst = e->burst;
	s->first = *d;
	enf->st.held++;
	rst_name_copy(e->live.verdict, sizeof(e->live.verdict), "held");
	timer_arm(enf);
	return 0;
}

/* A RST that waited behind a held one: decide it now; its verdict in f. */
static void follower_decide(struct enforce *enf, struct follower *f,
			    enum hold_end end)
{
	struct rst_event *e = engine_held(enf->eng, f->serial);
	struct policy_decision d;

	f->serial = 0;
	f->verdict = NFQUEUE_ACCEPT;
	if (e == NULL)		/* cannot happen: enforce_released() decides */
		return;
	engine_judge(enf->eng, e);
	decide(enf, e, &d);
	f->verdict = (uint8_t)apply(enf, e, &d);
	f->has_mark = d.has_mark && !d.drop;
	f->mark = d.mark;
	e->live.pol.held = (uint8_t)end;
	e->live.pol.held_us = (uint32_t)(clk_mono_us() - f->start_us);
	e->live.pol.seen_pkts = e->after_pkts;
	e->live.pol.seen_data = e->after_data;
	e->live.pol.changed = d.rule != f->first.rule ||
			      d.drop != f->first.drop ||
			      d.would_drop != f->first.would_drop;
	enf->st.held_end[end]++;
	enf->st.held_changed += e->live.pol.changed;
}

/* The packets that waited behind s, after it, in their order. */
static void release_next(struct enforce *enf, struct suspect *s,
			 enum hold_end end)
{
	for (unsigned k = 0; k < s->nnext; k++) {
		struct follower *f = &s->next[k];

		if (f->serial != 0)
			follower_decide(enf, f, end);
		if (enf->sink.verdict(enf->sink.arg, f->id, f->verdict,
				      f->has_mark, f->mark) < 0)
			log_warn("queue: verdict on kept packet %u", f->id);
	}
}

/* Decide held RST i (its event e, judged) for good and answer it. */
static void settle(struct enforce *enf, unsigned i, struct rst_event *e,
		   const struct policy_decision *d, enum hold_end end)
{
	struct suspect s = enf->held[i];
	struct rst_policy *pp = &e->live.pol;
	int v;

	enf->held[i] = enf->held[--enf->nheld];
	v = apply(enf, e, d);
	pp->held = (uint8_t)end;
	pp->held_us = (uint32_t)(clk_mono_us() - s.start_us);
	pp->seen_pkts = e->after_pkts;
	pp->seen_data = e->after_data;
	pp->changed = d->rule != s.first.rule || d->drop != s.first.drop ||
		      d->would_drop != s.first.would_drop;
	enf->st.held_end[end]++;
	enf->st.held_changed += pp->changed;
	if (enf->sink.verdict(enf->sink.arg, s.id, v, d->has_mark, d->mark) < 0)
		log_warn("queue: verdict on held packet %u", s.id);
	release_next(enf, &s, end);
	timer_arm(enf);
}

/* Held RST i without its event (cannot happen): let it and its flow go. */
static void unhold(struct enforce *enf, unsigned i)
{
	struct suspect s = enf->held[i];

	enf->held[i] = enf->held[--enf->nheld];
	enf->sink.verdict(enf->sink.arg, s.id, NFQUEUE_ACCEPT, 0, 0);
	release_next(enf, &s, HOLD_RELEASED);
}

static int held_index(const struct enforce *enf, uint64_t key)
{
	for (unsigned i = 0; i < enf->nheld; i++)
		if (enf->held[i].key == key)
			return (int)i;
	return -1;
}

/* Decide held RST i now, on what there is, with end as the reason. */
static void settle_now(struct enforce *enf, unsigned i, enum hold_end end)
{
	struct policy_decision d;
	struct rst_event *e = engine_held(enf->eng, enf->held[i].serial);

	if (e == NULL) {
		unhold(enf, i);
		return;
	}
	engine_judge(enf->eng, e);
	decide(enf, e, &d);
	settle(enf, i, e, &d, end);
}

int enforce_rst(struct enforce *enf, struct rst_event *e, uint32_t id)
{
	struct policy_decision d;
	int v;

	if (enf->pol == NULL || enf->pol->mode == POLICY_AUDIT)
		return NFQUEUE_ACCEPT;
	/*
	 * One held RST per flow: a later one (of a burst, say) waits behind
	 * it, undecided, and is decided when it goes out (enforce_follow()).
	 */
	engine_judge(enf->eng, e);
	decide(enf, e, &d);
	if (held_index(enf, engine_flow_key(enf->eng, &e->p)) >= 0) {
		enf->behind = e->serial;
		enf->behind_first = d;
		rst_name_copy(e->live.verdict, sizeof(e->live.verdict), "held");
		return NFQUEUE_DEFER;
	}
	if (policy_suspect(enf->pol, e, &d) && hold(enf, e, id, &d) == 0)
		return NFQUEUE_DEFER;
	v = apply(enf, e, &d);
	if (d.has_mark) {
		enf->sink.set_mark(enf->sink.arg, d.mark);
		enf->mark_pending = 1;	/* for enforce_follow() */
		enf->mark_next = d.mark;
	}
	return v;
}

void enforce_observe(struct enforce *enf)
{
	struct policy_decision d;
	struct rst_event *e;
	unsigned i;

	for (i = 0; i < enf->nheld; i++) {
		struct suspect *s = &enf->held[i];

		e = engine_held(enf->eng, s->serial);
		if (e == NULL || (e->after_pkts == s->pkts && e->burst == s->burst))
			continue;	/* released: enforce_released() saw it */
		s->pkts = e->after_pkts;
		s->burst = e->burst;
		engine_judge(enf->eng, e);
		decide(enf, e, &d);
		if (policy_suspect(enf->pol, e, &d))
			continue;
		settle(enf, i--, e, &d, HOLD_PACKET);
	}
}

int enforce_follow(struct enforce *enf, const struct pkt *p, uint32_t id,
		   int verdict)
{
	struct follower fl = {
		.id = id, .serial = enf->behind, .verdict = (uint8_t)verdict,
		.has_mark = (uint8_t)enf->mark_pending, .mark = enf->mark_next,
		.start_us = clk_mono_us(), .first = enf->behind_first,
	};
	struct suspect *s;
	int i;

	enf->mark_pending = 0;
	enf->behind = 0;
	if (verdict == NFQUEUE_DEFER && fl.serial == 0)
		return verdict;		/* a suspect, held on its own */
	if (enf->nheld == 0 ||
	    (i = held_index(enf, engine_flow_key(enf->eng, p))) < 0)
		return verdict;
	s = &enf->held[i];
	if (s->nnext == FOLLOW_MAX ||
	    enf->sink.deferred(enf->sink.arg) >= NFQUEUE_DEFER_MAX) {
		/* No room behind it: decide the RST now; p goes after it. */
		settle_now(enf, (unsigned)i, HOLD_FULL);
		if (fl.serial != 0)
			follower_decide(enf, &fl, HOLD_FULL);
		if (fl.has_mark)
			enf->sink.set_mark(enf->sink.arg, fl.mark);
		return fl.verdict;
	}
	s->next[s->nnext++] = fl;
	enf->st.held_next++;
	return NFQUEUE_DEFER;
}

void enforce_timer(struct enforce *enf)
{
	struct policy_decision d;
	struct rst_event *e;
	uint64_t expirations, now = clk_mono_us();
	unsigned i;

	if (read(enf->tfd, &expirations, sizeof(expirations)) < 0 &&
	    errno != EAGAIN)
		log_warn("suspect hold timer");
	enf->armed_us = 0;
	for (i = 0; i < enf->nheld; i++) {
		if (enf->held[i].due_us > now)
			continue;
		e = engine_held(enf->eng, enf->held[i].serial);
		if (e == NULL) {	/* cannot happen: released ones are settled */
			unhold(enf, i--);
			continue;
		}
		engine_judge(enf->eng, e);
		decide(enf, e, &d);
		settle(enf, i--, e, &d, HOLD_TIMER);
	}
	timer_arm(enf);
}

void enforce_released(struct enforce *enf, struct rst_event *e)
{
	struct policy_decision d;
	unsigned i, k;

	/* Waiting behind another: decided now, let go with it later. */
	for (i = 0; i < enf->nheld; i++)
		for (k = 0; k < enf->held[i].nnext; k++)
			if (enf->held[i].next[k].serial == e->serial)
				follower_decide(enf, &enf->held[i].next[k],
						HOLD_RELEASED);
	for (i = 0; i < enf->nheld; i++) {
		if (enf->held[i].serial != e->serial)
			continue;
		decide(enf, e, &d);	/* e->v: the release's judgement */
		settle(enf, i, e, &d, HOLD_RELEASED);
		return;
	}
}

void enforce_finish(struct enforce *enf)
{
	struct policy_decision d;
	struct rst_event *e;

	while (enf->nheld > 0) {
		e = engine_held(enf->eng, enf->held[0].serial);
		if (e == NULL) {	/* cannot happen: released ones are settled */
			unhold(enf, 0);
			continue;
		}
		engine_judge(enf->eng, e);
		decide(enf, e, &d);
		settle(enf, 0, e, &d, HOLD_SHUTDOWN);
	}
}

void enforce_get_stats(const struct enforce *enf, struct enforce_stats *st)
{
	*st = enf->st;
	st->held_now = enf->nheld;
}

static void rule_add(struct enforce_rule_stats *a,
		     const struct enforce_rule_stats *b)
{
	a->matched += b->matched;
	a->dropped += b->dropped;
	a->would_drop += b->would_drop;
	a->bound += b->bound;
}

void enforce_stats_add(struct enforce_stats *a, const struct enforce_stats *b)
{
	unsigned i;

	if (a->generation == b->generation) {
		for (i = 0; i < b->nrules && i < POLICY_MAX_RULES; i++)
			rule_add(&a->rule[i], &b->rule[i]);
		rule_add(&a->none, &b->none);
	}
	a->decided += b->decided;
	a->dropped += b->dropped;
	a->would_drop += b->would_drop;
	a->bound += b->bound;
	a->marked += b->marked;
	a->logged += b->logged;
	a->held += b->held;
	a->held_now += b->held_now;
	for (i = 0; i < HOLD_END_MAX; i++)
		a->held_end[i] += b->held_end[i];
	a->held_changed += b->held_changed;
	a->held_full += b->held_full;
	a->held_next += b->held_next;
	a->guarded += b->guarded;
	a->guard_errors += b->guard_errors;
	a->guard_seen += b->guard_seen;
	a->ct_restored += b->ct_restored;
	a->ct_restore_failed += b->ct_restore_failed;
	a->flows_evicted += b->flows_evicted;
}

void enforce_describe(FILE *fp, const struct policy *pol, int verbose)
{
	char buf[512];
	int i;

	fprintf(fp, "policy %s, %u rule%s, max_drops_per_flow %u, "
		"suspect_hold %.1f ms (at most %u%s), ct_restore %s, "
		"guard_timeout %.1f s\n",
		policy_mode_names[pol->mode], pol->nrules,
		pol->nrules == 1 ? "" : "s", pol->max_drops_per_flow,
		pol->suspect_hold_us / 1e3, pol->suspect_max,
		pol->hold_aborts ? ", aborts too" : "",
		pol->ct_restore ? "yes" : "no", pol->guard_us / 1e6);
	if (pol->mode == POLICY_AUDIT && pol->nrules > 0)
		fprintf(fp, "note: policy audit: the rules are checked, "
			"not applied\n");
	for (i = 0; verbose && i < pol->nrules; i++)
		fprintf(fp, "rule %d (line %u): %s\n", i + 1, pol->rules[i].line,
			policy_rule_format(&pol->rules[i], buf, sizeof(buf)));
}
