/*
 * classify.c: who sent a RST and why, from the facts the engine gathered.
 *
 * Each signal of SPEC.md is one small collector that appends evidence and
 * says which way it leans (the endpoint sent it, or somebody forged it);
 * rst_decide() then weighs them.  Pure: values in, values out.
 */
#include <string.h>

#include "rst.h"

/* How far each kind of evidence leans, and which way. */
enum lean { LEAN_NONE, LEAN_ENDPOINT, LEAN_FORGED };

struct signals {
	int have_base;		/* a TTL baseline for the claimed sender */
	uint8_t base_lo, base_hi;
	int ttl_match, ttl_off;	/* TTL fits the baseline / does not */
	int local_out;		/* made by the capturing host itself */
	int race;		/* the claimed sender kept talking */
	int burst;		/* several RSTs, inconsistent seq */
	int fingerprints;	/* fields copied from the trigger, bad ack */
	int ipid_series;	/* continues the sender's own IP ID series */
	int answers_syn, fin_before, stateless, sender_reset;
	float support[3];	/* 1 - product of (1 - weight), per lean */
	float against_endpoint;	/* strongest lean against "endpoint" */
};

static void ev_add(struct rst_event *e, struct signals *s, enum ev_kind k,
		   int64_t a, int64_t b, enum lean lean, float weight)
{
	struct verdict *v = &e->v;

	if (v->n_ev < VERDICT_MAX_EV) {
		v->ev[v->n_ev].kind = (uint8_t)k;
		v->ev[v->n_ev].a = a;
		v->ev[v->n_ev].b = b;
		v->n_ev++;
	}
	if (lean != LEAN_NONE)
		s->support[lean] = 1 - (1 - s->support[lean]) * (1 - weight);
	if (lean == LEAN_FORGED && weight > s->against_endpoint)
		s->against_endpoint = weight;
}

int ttl_initial(uint8_t ttl)
{
	if (ttl <= 32)
		return 32;
	if (ttl <= 64)
		return 64;
	if (ttl <= 128)
		return 128;
	return 255;
}

/* The claimed sender's usual TTL: its own flow first, then its host. */
static void pick_baseline(const struct rst_event *e, struct signals *s)
{
	if (e->snd.f & SIDE_SEEN) {
		s->base_lo = s->base_hi = e->snd.ttl;
	} else if (e->after_pkts > 0 && e->after_ttl) {
		s->base_lo = s->base_hi = e->after_ttl;
	} else if (e->host.n > 0) {
		s->base_lo = e->host.ttl_min;
		s->base_hi = e->host.ttl_max;
	} else {
		return;
	}
	s->have_base = 1;
}

static void signal_ttl(struct rst_event *e, struct signals *s)
{
	uint8_t ttl = e->p.ttl, base;
	int init = ttl_initial(ttl), hops, exp_hops;

	e->v.hops = (int16_t)(init - ttl);
	pick_baseline(e, s);
	if (!s->have_base) {
		ev_add(e, s, EV_NO_BASELINE, 0, 0, LEAN_NONE, 0);
		return;
	}
	base = ttl < s->base_lo ? s->base_lo : s->base_hi;
	exp_hops = ttl_initial(base) - base;
	e->v.expected_hops = (int16_t)exp_hops;
	hops = init - ttl;
	if (ttl >= s->base_lo && ttl <= s->base_hi) {
		s->ttl_match = 1;
		ev_add(e, s, EV_TTL_MATCH, s->base_lo, s->base_hi,
		       LEAN_ENDPOINT, 0.6f);
		return;
	}
	s->ttl_off = 1;
	if (ttl_initial(base) != init)
		ev_add(e, s, EV_TTL_INIT_DIFFERS, base, ttl_initial(base),
		       LEAN_FORGED, 0.6f);
	else if (hops < exp_hops)
		ev_add(e, s, EV_TTL_CLOSER, base, exp_hops - hops,
		       LEAN_FORGED, 0.8f);
	else
		ev_add(e, s, EV_TTL_FARTHER, base, hops - exp_hops,
		       LEAN_FORGED, 0.8f);
	if (e->p.dir == DIR_OUT && hops == 0 && exp_hops > 0 && !s->local_out) {
		s->local_out = 1;
		ev_add(e, s, EV_LOCAL_OUT, ttl, 0, LEAN_NONE, 0);
	}
}

/* The genuine endpoint kept talking after "its" RST. */
static void signal_race(struct rst_event *e, struct signals *s)
{
	if (e->after_synack) {
		s->race = 1;
		ev_add(e, s, EV_REPLY_AFTER, (int64_t)e->after_us, 0,
		       LEAN_FORGED, 0.95f);
	} else if (e->after_pkts > 0 && e->after_in_seq) {
		s->race = 1;
		if (e->after_data > 0)
			ev_add(e, s, EV_DATA_AFTER, (int64_t)e->after_us,
			       e->after_data, LEAN_FORGED, 0.9f);
		else
			ev_add(e, s, EV_PACKET_AFTER, (int64_t)e->after_us,
			       e->after_pkts, LEAN_FORGED, 0.8f);
	}
	if (e->burst > 1 && e->burst_seq_hi != e->burst_seq_lo) {
		s->burst = 1;
		ev_add(e, s, EV_SEQ_BURST, e->burst,
		       (uint32_t)(e->burst_seq_hi - e->burst_seq_lo),
		       LEAN_FORGED, 0.7f);
	}
}

static void signal_ipid(struct rst_event *e, struct signals *s)
{
	uint16_t id = e->p.ipid, step = (uint16_t)(id - e->snd.ipid);

	if (e->p.family != 4)
		return;
	if ((e->snd.f & SIDE_SEEN) && id != 0 && step >= 1 && step <= 64) {
		s->ipid_series = 1;
		ev_add(e, s, EV_IPID_SERIES, e->snd.ipid, 0, LEAN_ENDPOINT,
		       0.6f);
		return;
	}
	if (id == 0) {
		if ((e->snd.f & SIDE_SEEN) && e->snd.ipid != 0)
			ev_add(e, s, EV_IPID_ZERO, 0, 0, LEAN_NONE, 0);
		return;
	}
	/* A copy only counts where the sender's own ID was not the same. */
	if ((e->rcv.f & SIDE_SEEN) && id == e->rcv.ipid &&
	    (!(e->snd.f & SIDE_SEEN) || e->snd.ipid != id)) {
		s->fingerprints++;
		ev_add(e, s, EV_IPID_COPIED, id, 0, LEAN_FORGED, 0.5f);
	} else if ((e->snd.f & (SIDE_SEEN | SIDE_IPID_SEQ)) ==
		   (SIDE_SEEN | SIDE_IPID_SEQ)) {
		ev_add(e, s, EV_IPID_OFF_SERIES, e->snd.ipid, 0, LEAN_FORGED,
		       0.2f);
	}
}

/* Window, options, payload, DF: what the RST itself looks like. */
static void signal_shape(struct rst_event *e, struct signals *s)
{
	const struct pkt *p = &e->p;

	if (p->win != 0 && (e->rcv.f & SIDE_SEEN) && p->win == e->rcv.win &&
	    (!(e->snd.f & SIDE_SEEN) || p->win != e->snd.win)) {
		s->fingerprints++;
		ev_add(e, s, EV_WIN_COPIED, p->win, 0, LEAN_FORGED, 0.4f);
	} else if (p->win != 0) {
		ev_add(e, s, EV_WIN_NONZERO, p->win, 0, LEAN_NONE, 0);
	}
	if (p->opt.has & TOPT_TS)
		ev_add(e, s, EV_TS_OPTION, p->opt.tsval, 0, LEAN_NONE, 0);
	if (p->payload_len > 0)
		ev_add(e, s, EV_PAYLOAD, p->payload_len, 0, LEAN_NONE, 0);
	if (p->family == 4 && (e->snd.f & SIDE_SEEN) &&
	    !!p->df != !!(e->snd.f & SIDE_DF))
		ev_add(e, s, EV_DF_DIFFERS, p->df, 0, LEAN_NONE, 0);
}

/* Would the receiver's stack take it?  (RFC 793 SYN-SENT, RFC 5961.) */
static void signal_acceptance(struct rst_event *e, struct signals *s)
{
	const struct pkt *p = &e->p;
	const struct flow_side *r = &e->rcv;
	uint32_t win, off;

	if (s->answers_syn) {
		if (!(p->flags & TH_ACK))
			ev_add(e, s, EV_ACCEPT_NO, 0, 0, LEAN_NONE, 0);
		else if (p->ack == r->nxt)
			ev_add(e, s, EV_ACCEPT_SYN, 0, 0, LEAN_NONE, 0);
		else if (p->ack == r->nxt - 1) {
			s->fingerprints++;
			ev_add(e, s, EV_ACK_IS_SYN, 0, 0, LEAN_FORGED, 0.4f);
		} else
			ev_add(e, s, EV_ACCEPT_NO, (int32_t)(p->ack - r->nxt),
			       0, LEAN_NONE, 0);
		return;
	}
	if (!(r->f & SIDE_SEEN) || !r->sent_ack)
		return;
	/*
	 * The receiver expects at least what it acknowledged, and everything
	 * the sender had sent by then if it arrived (a delayed ACK lags).
	 */
	off = p->seq - r->ack;
	win = (uint32_t)r->win << (r->wscale <= 14 ? r->wscale : 0);
	if (off == 0 || ((e->snd.f & SIDE_SEEN) && p->seq == e->snd.nxt &&
			 SEQ_GEQ(e->snd.nxt, r->ack)))
		ev_add(e, s, EV_ACCEPT_EXACT, 0, 0, LEAN_NONE, 0);
	else if (off < win)
		ev_add(e, s, EV_ACCEPT_WINDOW, off, 0, LEAN_NONE, 0);
	else
		ev_add(e, s, EV_ACCEPT_NO, (int32_t)off, 0, LEAN_NONE, 0);
}

/* Where in the connection's life the RST fell. */
static void signal_context(struct rst_event *e, struct signals *s)
{
	const struct flow_side *sn = &e->snd, *r = &e->rcv;

	if (!e->had_flow) {
		ev_add(e, s, EV_NO_FLOW, 0, 0, LEAN_NONE, 0);
		return;
	}
	if ((r->f & SIDE_SYN) && !(sn->f & (SIDE_SYNACK | SIDE_SEEN))) {
		s->answers_syn = 1;
		ev_add(e, s, EV_ANSWERS_SYN, 0, 0, LEAN_NONE, 0);
	} else if (!(sn->f & SIDE_SEEN)) {
		ev_add(e, s, EV_NO_SENDER, 0, 0, LEAN_NONE, 0);
	}
	if (sn->f & SIDE_RST) {
		s->sender_reset = 1;
		ev_add(e, s, EV_SENDER_RESET, 0, 0, LEAN_NONE, 0);
	}
	if (sn->f & SIDE_FIN || r->f & SIDE_FIN) {
		s->fin_before = 1;
		ev_add(e, s, EV_FIN_BEFORE, (sn->f & SIDE_FIN) ? 0 : 1, 0,
		       LEAN_NONE, 0);
	}
	if (!(e->p.flags & TH_ACK) && (r->f & SIDE_SEEN) &&
	    r->sent_ack && e->p.seq == r->ack) {
		s->stateless = 1;
		ev_add(e, s, EV_STATELESS, 0, 0, LEAN_NONE, 0);
	}
}

/* Why an endpoint would have sent it. */
static enum cause endpoint_cause(const struct rst_event *e,
				 const struct signals *s)
{
	if (s->answers_syn)
		return CAUSE_REFUSED;
	if (s->sender_reset)
		return CAUSE_STALE;
	if (s->fin_before)
		return s->stateless ? CAUSE_STALE : CAUSE_AFTER_FIN;
	if (s->stateless)
		return CAUSE_STALE;
	if (e->snd.f & SIDE_SEEN)
		return CAUSE_ABORT;
	return e->had_flow && (e->rcv.f & SIDE_SEEN) ? CAUSE_STALE
						      : CAUSE_UNKNOWN;
}

static void rst_decide(struct rst_event *e, const struct signals *s)
{
	struct verdict *v = &e->v;
	float conf;

	if (s->local_out) {
		v->origin = ORIGIN_LOCAL;
		v->cause = CAUSE_REJECT;
		conf = s->support[LEAN_FORGED];
	} else if (s->race || s->ttl_off || (s->burst && !s->ttl_match) ||
		   s->fingerprints >= 2) {
		v->origin = ORIGIN_MIDDLEBOX;
		v->cause = (s->race || s->burst || s->fingerprints)
				   ? CAUSE_INJECTED : CAUSE_REJECT;
		conf = s->support[LEAN_FORGED];
		if (s->ipid_series)
			conf *= 0.7f;
	} else {
		v->cause = endpoint_cause(e, s);
		v->origin = (s->have_base || e->had_flow) ? ORIGIN_ENDPOINT
							  : ORIGIN_UNKNOWN;
		conf = s->support[LEAN_ENDPOINT];
		if (!s->have_base)
			conf = 0.3f + 0.2f * conf;
		conf *= 1 - 0.5f * s->against_endpoint;
	}
	if (v->cause == CAUSE_UNKNOWN)
		conf *= 0.7f;
	if (conf < 0.1f)
		conf = 0.1f;
	if (conf > 0.99f)
		conf = 0.99f;
	v->confidence = conf;
}

void rst_classify(struct rst_event *e)
{
	struct signals s;

	memset(&s, 0, sizeof(s));
	memset(&e->v, 0, sizeof(e->v));
	e->v.hops = e->v.expected_hops = -1;
	signal_context(e, &s);
	if (e->live.valid && e->live.made_here) {
		/* The live mode saw it born here: no inference needed. */
		s.local_out = 1;
		ev_add(e, &s, EV_MADE_HERE, 0, 0, LEAN_FORGED, 0.95f);
	}
	signal_ttl(e, &s);
	signal_race(e, &s);
	signal_ipid(e, &s);
	signal_shape(e, &s);
	signal_acceptance(e, &s);
	rst_decide(e, &s);
}
