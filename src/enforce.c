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

/* A RST held in the kernel for more evidence. */
struct suspect {
	uint32_t id;		/* its packet id in the queue */
	uint32_t serial;	/* its event in the engine */
	uint64_t start_us, due_us;
	uint32_t pkts, burst;	/* what its event had seen when last judged */
	struct policy_decision first;
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
	struct enforce_stats	 st;
};

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

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
static uint32_t ct_timeout_read(void)
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
	enf->ct_timeout_s = ct_timeout_read();
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

static uint32_t ledger_drops(struct enforce *enf, uint64_t key, uint32_t now_ms)
{
	const struct tab_hdr *h = tab_find(&enf->ledger, key);

	if (h == NULL || now_ms - h->last_ms > LEDGER_IDLE_MS)
		return 0;
	return h->user;
}

static void ledger_count(struct enforce *enf, uint64_t key, uint32_t now_ms)
{
	uint64_t before = enf->ledger.evicted;
	struct tab_hdr *h;
	int created;

	h = tab_get(&enf->ledger, key, now_ms, &created, NULL, NULL);
	if (now_ms - h->last_ms > LEDGER_IDLE_MS)
		h->user = 0;
	h->last_ms = now_ms;
	h->user++;
	enf->st.flows_evicted += enf->ledger.evicted - before;
}

/* ---- deciding ------------------------------------------------------------ */

static void decide(struct enforce *enf, const struct rst_event *e,
		   struct policy_decision *d)
{
	uint64_t key = engine_flow_key(enf->eng, &e->p);

	policy_decide(enf->pol, e, ledger_drops(enf, key,
			(uint32_t)(mono_us() / 1000)), d);
}

/*
 * Conntrack saw the dropped RST before our chain did and moved the entry
 * to CLOSE (10 s to live, then gone: a NAT mapping with it, and the next
 * packet a ct state new without SYN).  Put it back, when the connection
 * was established and no FIN had been seen.
 */
static void ct_put_back(struct enforce *enf, struct rst_event *e)
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
	} else {
		enf->st.ct_restore_failed++;
	}
}

static void log_action(const struct rst_event *e, const struct rst_policy *pp)
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
			     (uint32_t)(mono_us() / 1000));
	if (d->drop)
		ct_put_back(enf, e);
	if (d->action == PA_LOG) {
		enf->st.logged++;
		log_action(e, pp);
	}
	snprintf(e->live.verdict, sizeof(e->live.verdict), "%s",
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
	uint64_t now = mono_us();

	if (enf->nheld >= enf->pol->suspect_max ||
	    enf->sink.deferred(enf->sink.arg) >= NFQUEUE_DEFER_MAX) {
		enf->st.held_full++;
		return -1;
	}
	s = &enf->held[enf->nheld++];
	s->id = id;
	s->serial = e->serial;
	s->start_us = now;
	s->due_us = now + enf->pol->suspect_hold_us;
	s->pkts = e->after_pkts;
	s->burst = e->burst;
	s->first = *d;
	enf->st.held++;
	snprintf(e->live.verdict, sizeof(e->live.verdict), "held");
	timer_arm(enf);
	return 0;
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
	pp->held_us = (uint32_t)(mono_us() - s.start_us);
	pp->seen_pkts = e->after_pkts;
	pp->seen_data = e->after_data;
	pp->changed = d->rule != s.first.rule || d->drop != s.first.drop ||
		      d->would_drop != s.first.would_drop;
	enf->st.held_end[end]++;
	enf->st.held_changed += pp->changed;
	if (enf->sink.verdict(enf->sink.arg, s.id, v, d->has_mark, d->mark) < 0)
		log_warn("queue: verdict on held packet %u", s.id);
	timer_arm(enf);
}

int enforce_rst(struct enforce *enf, struct rst_event *e, uint32_t id)
{
	struct policy_decision d;
	int v;

	if (enf->pol == NULL || enf->pol->mode == POLICY_AUDIT)
		return NFQUEUE_ACCEPT;
	engine_judge(enf->eng, e);
	decide(enf, e, &d);
	if (policy_suspect(enf->pol, e, &d) && hold(enf, e, id, &d) == 0)
		return NFQUEUE_DEFER;
	v = apply(enf, e, &d);
	if (d.has_mark)
		enf->sink.set_mark(enf->sink.arg, d.mark);
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

void enforce_timer(struct enforce *enf)
{
	struct policy_decision d;
	struct rst_event *e;
	uint64_t expirations, now = mono_us();
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
			enf->sink.verdict(enf->sink.arg, enf->held[i].id,
					  NFQUEUE_ACCEPT, 0, 0);
			enf->held[i--] = enf->held[--enf->nheld];
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
	unsigned i;

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
			enf->sink.verdict(enf->sink.arg, enf->held[0].id,
					  NFQUEUE_ACCEPT, 0, 0);
			enf->held[0] = enf->held[--enf->nheld];
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
	a->ct_restored += b->ct_restored;
	a->ct_restore_failed += b->ct_restore_failed;
	a->flows_evicted += b->flows_evicted;
}

void enforce_stats_write(FILE *fp, const struct policy *pol,
			 const struct enforce_stats *st, int prometheus)
{
	stats_write_policy(fp, pol, st, prometheus ? STATS_PROMETHEUS : STATS_TEXT);
}

void enforce_describe(FILE *fp, const struct policy *pol, int verbose)
{
	char buf[512];
	int i;

	fprintf(fp, "policy %s, %u rule%s, max_drops_per_flow %u, "
		"suspect_hold %.1f ms (at most %u), ct_restore %s\n",
		policy_mode_names[pol->mode], pol->nrules,
		pol->nrules == 1 ? "" : "s", pol->max_drops_per_flow,
		pol->suspect_hold_us / 1e3, pol->suspect_max,
		pol->ct_restore ? "yes" : "no");
	if (pol->mode == POLICY_AUDIT && pol->nrules > 0)
		fprintf(fp, "note: policy audit: the rules are checked, "
			"not applied\n");
	for (i = 0; verbose && i < pol->nrules; i++)
		fprintf(fp, "rule %d (line %u): %s\n", i + 1, pol->rules[i].line,
			policy_rule_format(&pol->rules[i], buf, sizeof(buf)));
}
