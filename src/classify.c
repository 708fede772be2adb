/*
 * classify.c: who sent a RST and why, from the facts the engine gathered.
 *
 * Each signal of SPEC.md is one small collector that appends evidence and
 * scores it; rst_decide() then weighs the scores.  Pure: values in,
 * values out.
 *
 * THE MODEL (written once, here; rstaudit(8), "Verdicts", says the same).
 *
 * Proof decides alone.  Only two things prove a RST was not made by the
 * stack whose address it carries:
 *   - the race: that stack went on with the same incarnation of the
 *     connection after "its" RST (new data or FIN past the RST's seq, an
 *     ACK of data sent after it, or the genuine SYN/ACK to the SYN the RST
 *     answered); not after a new or retransmitted SYN, not data it had
 *     sent before, not a challenge ACK (engine.c, held_continues());
 *     A burst's RST/ACKs share it when new data below their seq came
 *     after them (a socket resets once: one forger's burst);
 *   - made here: the live mode saw it leave this host's output hook for an
 *     address the routing table says is not ours (local); offline, a RST
 *     leaving the capturing host with its initial TTL for an address that
 *     arrives from hops away.
 * Nothing in a RST proves the endpoint made it: an on-path device sees
 * every field it would need to copy.
 *
 * Fingerprints are what a TCP stack does not do and a forger or firewall
 * does.  Each adds its points to F:
 *   ttl off the sender's baseline 2.0    ttls varying over a burst  1.5
 *   RST/ACK seq behind what the sender had sent                       1.5
 *   RST/ACKs with spread seqs (a socket resets once) 2.0, other bursts 1.0
 *   new data from the sender after the RST, yet below its seq         1.5
 *   ip id fixed over a burst       1.0    ip id copied from trigger  1.0
 *   ip id repeating the sender's last one (its ids count up)          1.0
 *   ack no stack sends (SYN, not SYN+1) 1.0
 *   ip id off the sender's series  0.75   DF unlike the sender's     0.75
 *   window copied from the trigger 0.75
 * Hints are what the endpoint's stack does but a forger can copy; they
 * add to E: ip id continuing the sender's series 1.0, timestamp
 * continuing its clock 1.0, ttl matching its baseline 0.5 (the cheapest
 * to copy, so never enough on its own against two fingerprints).
 *
 * Without proof the verdict is middlebox when F >= 2 and F - E >= 1.5:
 * one TTL discontinuity with nothing for the endpoint (an in-path
 * firewall's reject), or several independent fingerprints, which a
 * matching TTL does not outweigh; a TTL change that the sender's own IP
 * ID series or clock explains (a route change) stays endpoint.  The
 * cause is injected when any fingerprint says "copied or crafted" or the
 * RST dresses as a socket's (a window, timestamps), else reject (a
 * firewall's reject is plain: window 0, no options).  Anything else is
 * the endpoint's (unknown with no flow and no baseline), and its cause
 * comes from where the RST falls in the connection (endpoint_cause()).  Zero false forgeries is the rule the
 * weights serve: an endpoint's reset called middlebox or local is the
 * worst error, so without proof a forgery needs two independent
 * fingerprints or a TTL off with no hint against it.
 *
 * Confidence is the probability that the origin is right, as measured on
 * the lab and the captures under tests/ (tests/verdicts.sh prints the
 * table, confidence band against accuracy): proof 0.95 and above;
 * fingerprints 0.6 + 0.1 per point of F - E, up to 0.95; endpoint 0.5 +
 * 0.2 E - 0.15 F (0.3 lower without a baseline), between 0.1 and 0.9.
 */
#include <stddef.h>
#include <string.h>

#include "rst.h"

#define SEQ_SPAN (1u << 20)	/* "near" in sequence space */
#define TS_SPAN (1u << 22)	/* a clock ahead by less: the same clock */

/* What a piece of evidence adds to the scores (see the model above). */
enum lean {
	LEAN_NONE,
	LEAN_ENDPOINT,		/* a hint: adds to E */
	LEAN_FORGED,		/* a fingerprint: adds to F */
	LEAN_CRAFTED		/* a fingerprint of a crafted packet: F, injected */
};

struct signals {
	int have_base;		/* a TTL baseline for the claimed sender */
	uint8_t base_lo, base_hi;
	int ttl_match, ttl_off;	/* TTL fits the baseline / does not */
	int local_out;		/* proof: made by the capturing host itself */
	int race;		/* proof: the claimed sender kept talking */
	int reply_after;	/* the race was the genuine SYN/ACK */
	int crafted;		/* fingerprints of a crafted packet */
	int answers_syn, fin_before, stateless, sender_reset;
	float forged, endpoint;	/* F and E */
};

static void ev_add(struct rst_event *e, struct signals *s, enum ev_kind k,
		   int64_t a, int64_t b, enum lean lean, float points)
{
	struct verdict *v = &e->v;

	if (v->n_ev < VERDICT_MAX_EV) {
		v->ev[v->n_ev].kind = (uint8_t)k;
		v->ev[v->n_ev].a = a;
		v->ev[v->n_ev].b = b;
		v->n_ev++;
	}
	if (lean == LEAN_ENDPOINT)
		s->endpoint += points;
	else if (lean == LEAN_FORGED || lean == LEAN_CRAFTED)
		s->forged += points;
	if (lean == LEAN_CRAFTED)
		s->crafted++;
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

/* TTL off the baseline: which way, and is it this host's own RST? */
static void ttl_off(struct rst_event *e, struct signals *s, uint8_t base,
		    int exp_hops)
{
	uint8_t ttl = e->p.ttl;
	int init = ttl_initial(ttl), hops = init - ttl;

	s->ttl_off = 1;
	if (ttl_initial(base) != init)
		ev_add(e, s, EV_TTL_INIT_DIFFERS, base, ttl_initial(base),
		       LEAN_FORGED, 2.0f);
	else if (hops < exp_hops)
		ev_add(e, s, EV_TTL_CLOSER, base, exp_hops - hops,
		       LEAN_FORGED, 2.0f);
	else
		ev_add(e, s, EV_TTL_FARTHER, base, hops - exp_hops,
		       LEAN_FORGED, 2.0f);
	if (e->p.dir == DIR_OUT && hops == 0 && exp_hops > 0 && !s->local_out) {
		s->local_out = 1;
		ev_add(e, s, EV_LOCAL_OUT, ttl, 0, LEAN_NONE, 0);
	}
}

static void signal_ttl(struct rst_event *e, struct signals *s)
{
	uint8_t ttl = e->p.ttl, base;
	int exp_hops;

	e->v.hops = (int16_t)(ttl_initial(ttl) - ttl);
	pick_baseline(e, s);
	if (!s->have_base) {
		ev_add(e, s, EV_NO_BASELINE, 0, 0, LEAN_NONE, 0);
		return;
	}
	base = ttl < s->base_lo ? s->base_lo : s->base_hi;
	exp_hops = ttl_initial(base) - base;
	e->v.expected_hops = (int16_t)exp_hops;
	if (ttl >= s->base_lo && ttl <= s->base_hi) {
		s->ttl_match = 1;
		ev_add(e, s, EV_TTL_MATCH, s->base_lo, s->base_hi,
		       LEAN_ENDPOINT, 0.5f);
		return;
	}
	ttl_off(e, s, base, exp_hops);
}

/*
 * RST/ACKs with a seq of their own (not 0, the answer to a SYN) come from
 * a socket, and a socket resets once: a spread burst of them within one
 * incarnation is not one stack's doing.
 */
static int burst_of_sockets(const struct rst_event *e)
{
	return (e->p.flags & TH_ACK) && e->burst_seq_lo != 0 &&
	       e->burst_seq_hi != 0;
}

/* Proof: the genuine endpoint went on with the connection after "its" RST. */
static void signal_race(struct rst_event *e, struct signals *s)
{
	if (e->after_synack) {
		s->race = s->reply_after = 1;
		ev_add(e, s, EV_REPLY_AFTER, (int64_t)e->race_us, 0,
		       LEAN_NONE, 0);
	} else if (e->race_pkts > 0) {
		s->race = 1;
		if (e->race_data > 0)
			ev_add(e, s, EV_DATA_AFTER, (int64_t)e->race_us,
			       e->race_data, LEAN_NONE, 0);
		else
			ev_add(e, s, EV_PACKET_AFTER, (int64_t)e->race_us,
			       e->race_pkts, LEAN_NONE, 0);
	}
	if (e->after_new_syn)
		ev_add(e, s, EV_NEW_SYN, (int64_t)e->new_syn_us, 0, LEAN_NONE, 0);
	if (s->race || e->below_data == 0)
		return;
	ev_add(e, s, EV_DATA_BELOW, (int64_t)e->below_us, e->below_data,
	       LEAN_CRAFTED, 1.5f);
	/*
	 * Reordering, the one innocent reading, needs this RST genuine; but
	 * a socket resets once, and a fellow of its burst is proven forged.
	 */
	if (e->burst_raced && burst_of_sockets(e)) {
		s->race = 1;
		ev_add(e, s, EV_BURST_RACED, 0, 0, LEAN_NONE, 0);
	}
}

/* Several RSTs at once: what one stack's RSTs would not look like. */
static void signal_burst(struct rst_event *e, struct signals *s)
{
	if (e->burst < 2)
		return;
	/*
	 * Stateless answers to different segments differ, each an ack the
	 * receiver sent: only a spread past those counts.
	 */
	if (e->burst_seq_hi != e->burst_seq_lo &&
	    !(s->stateless && SEQ_LEQ(e->burst_seq_hi, e->rcv.ack)))
		ev_add(e, s, EV_SEQ_BURST, e->burst,
		       (uint32_t)(e->burst_seq_hi - e->burst_seq_lo),
		       LEAN_CRAFTED, burst_of_sockets(e) ? 2.0f : 1.0f);
	if (e->burst_ttl_lo != e->burst_ttl_hi)
		ev_add(e, s, EV_BURST_TTL, e->burst_ttl_lo, e->burst_ttl_hi,
		       LEAN_CRAFTED, 1.5f);
	if (e->p.family == 4 && e->burst_ipid_same && e->burst_ipid != 0)
		ev_add(e, s, EV_IPID_FIXED, e->burst_ipid, e->burst,
		       LEAN_CRAFTED, 1.0f);
}

static void signal_ipid(struct rst_event *e, struct signals *s)
{
	uint16_t id = e->p.ipid, step = (uint16_t)(id - e->snd.ipid);

	if (e->p.family != 4)
		return;
	if ((e->snd.f & SIDE_SEEN) && id != 0 && step >= 1 && step <= 64) {
		ev_add(e, s, EV_IPID_SERIES, e->snd.ipid, 0, LEAN_ENDPOINT,
		       1.0f);
		return;
	}
	if (id == 0) {
		if ((e->snd.f & SIDE_SEEN) && e->snd.ipid != 0)
			ev_add(e, s, EV_IPID_ZERO, 0, 0, LEAN_NONE, 0);
		return;
	}
	/* A copy only counts where the sender's own ID was not the same. */
	if ((e->rcv.f & SIDE_SEEN) && id == e->rcv.ipid &&
	    (!(e->snd.f & SIDE_SEEN) || e->snd.ipid != id))
		ev_add(e, s, EV_IPID_COPIED, id, 0, LEAN_CRAFTED, 1.0f);
	else if ((e->snd.f & SIDE_IPID_SEQ) && id == e->snd.ipid)
		ev_add(e, s, EV_IPID_REPEAT, id, 0, LEAN_CRAFTED, 1.0f);
	else if ((e->snd.f & (SIDE_SEEN | SIDE_IPID_SEQ)) ==
		 (SIDE_SEEN | SIDE_IPID_SEQ))
		ev_add(e, s, EV_IPID_OFF_SERIES, e->snd.ipid, 0, LEAN_FORGED,
		       0.75f);
}

/* A RST/ACK is sent with the stack's own next seq, never one behind. */
static void signal_seq(struct rst_event *e, struct signals *s)
{
	const struct pkt *p = &e->p;
	uint32_t behind = e->snd.nxt - p->seq;

	if (!(p->flags & TH_ACK) || s->answers_syn || !(e->snd.f & SIDE_SEEN))
		return;
	if (SEQ_LT(p->seq, e->snd.nxt) && behind < SEQ_SPAN)
		ev_add(e, s, EV_SEQ_BEHIND, e->snd.nxt, behind, LEAN_CRAFTED,
		       1.5f);
}

/* Window, options, payload, DF: what the RST itself looks like. */
static void signal_shape(struct rst_event *e, struct signals *s)
{
	const struct pkt *p = &e->p;

	if (p->win != 0 && (e->rcv.f & SIDE_SEEN) && p->win == e->rcv.win &&
	    (!(e->snd.f & SIDE_SEEN) || p->win != e->snd.win))
		ev_add(e, s, EV_WIN_COPIED, p->win, 0, LEAN_CRAFTED, 0.75f);
	else if (p->win != 0)
		ev_add(e, s, EV_WIN_NONZERO, p->win, 0, LEAN_NONE, 0);
	if ((p->opt.has & TOPT_TS) && (e->snd.f & SIDE_TS) &&
	    p->opt.tsval - e->snd.tsval < TS_SPAN)
		ev_add(e, s, EV_TS_SERIES, e->snd.tsval, 0, LEAN_ENDPOINT,
		       1.0f);
	else if (p->opt.has & TOPT_TS)
		ev_add(e, s, EV_TS_OPTION, p->opt.tsval, 0, LEAN_NONE, 0);
	if (p->payload_len > 0)
		ev_add(e, s, EV_PAYLOAD, p->payload_len, 0, LEAN_NONE, 0);
	if (p->family == 4 && (e->snd.f & SIDE_SEEN) &&
	    !!p->df != !!(e->snd.f & SIDE_DF))
		ev_add(e, s, EV_DF_DIFFERS, p->df, 0, LEAN_FORGED, 0.75f);
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
		else if (p->ack == r->nxt - 1)
			ev_add(e, s, EV_ACK_IS_SYN, 0, 0, LEAN_CRAFTED, 1.0f);
		else
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
	/* Behind data the sender had sent: taken only if that was lost. */
	if ((e->snd.f & SIDE_SEEN) && SEQ_LT(p->seq, e->snd.nxt) &&
	    SEQ_GEQ(p->seq, r->ack) && (p->flags & TH_ACK))
		ev_add(e, s, EV_ACCEPT_NO, (int32_t)(p->seq - e->snd.nxt), 0,
		       LEAN_NONE, 0);
	else if (off == 0 || ((e->snd.f & SIDE_SEEN) && p->seq == e->snd.nxt &&
			      SEQ_GEQ(e->snd.nxt, r->ack)))
		ev_add(e, s, EV_ACCEPT_EXACT, 0, 0, LEAN_NONE, 0);
	else if (off < win)
		ev_add(e, s, EV_ACCEPT_WINDOW, off, 0, LEAN_NONE, 0);
	else
		ev_add(e, s, EV_ACCEPT_NO, (int32_t)off, 0, LEAN_NONE, 0);
}

/*
 * A RST without ACK whose seq is an ack the receiver sent: the stateless
 * answer (RFC 9293 3.10.7.1, seq = SEG.ACK) to one of its segments; the
 * latest (b 0), or a late one whose ack lagged (b: how far behind).
 */
static void signal_stateless(struct rst_event *e, struct signals *s)
{
	const struct flow_side *sn = &e->snd, *r = &e->rcv;
	uint32_t behind = r->ack - e->p.seq;

	if ((e->p.flags & TH_ACK) || !(r->f & SIDE_SEEN) || !r->sent_ack ||
	    behind >= SEQ_SPAN)
		return;
	s->stateless = 1;
	ev_add(e, s, EV_STATELESS, 0, behind, LEAN_NONE, 0);
	/* In SYN-SENT: the answer to an ACK that does not ack its SYN. */
	if ((sn->f & SIDE_SYN) && !((sn->f | r->f) & SIDE_SYNACK) &&
	    !(r->f & SIDE_SYN) && behind == 0 && r->ack != sn->nxt)
		ev_add(e, s, EV_SYNSENT_ACK, r->ack, sn->nxt, LEAN_NONE, 0);
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
	signal_stateless(e, s);
}

/* Why an endpoint would have sent it. */
static enum cause endpoint_cause(const struct rst_event *e,
				 const struct signals *s)
{
	if (s->answers_syn)
		return CAUSE_REFUSED;
	if (s->sender_reset || s->stateless)
		return CAUSE_STALE;
	if (s->fin_before)
		return CAUSE_AFTER_FIN;
	if (e->snd.f & SIDE_SEEN)
		return CAUSE_ABORT;
	return e->had_flow && (e->rcv.f & SIDE_SEEN) ? CAUSE_STALE
						      : CAUSE_UNKNOWN;
}

static float clampf(float x, float lo, float hi)
{
	return x < lo ? lo : x > hi ? hi : x;
}

/*
 * A firewall's reject is plain: window 0, no options.  A forged RST that
 * dresses as a socket's (a window, timestamps) was crafted to pass.
 */
static int rst_is_plain(const struct pkt *p)
{
	return p->win == 0 && !(p->opt.has & TOPT_TS);
}

/* The model at the top of this file, applied. */
static void rst_decide(struct rst_event *e, const struct signals *s)
{
	struct verdict *v = &e->v;
	float margin = s->forged - s->endpoint, conf;

	if (s->local_out) {
		v->origin = ORIGIN_LOCAL;
		v->cause = CAUSE_REJECT;
		conf = e->live.valid && e->live.made_here ? 0.99f : 0.9f;
	} else if (s->race) {
		v->origin = ORIGIN_MIDDLEBOX;
		v->cause = CAUSE_INJECTED;
		conf = s->reply_after ? 0.99f : 0.95f + 0.01f * s->forged;
	} else if (s->forged >= 2.0f && margin >= 1.5f) {
		v->origin = ORIGIN_MIDDLEBOX;
		v->cause = s->crafted || !rst_is_plain(&e->p) ? CAUSE_INJECTED
							       : CAUSE_REJECT;
		conf = clampf(0.6f + 0.1f * margin, 0.1f, 0.95f);
	} else {
		v->cause = endpoint_cause(e, s);
		v->origin = (s->have_base || e->had_flow) ? ORIGIN_ENDPOINT
							  : ORIGIN_UNKNOWN;
		conf = 0.5f + 0.2f * s->endpoint - 0.15f * s->forged;
		if (!s->have_base)
			conf -= 0.3f;
		conf = clampf(conf, 0.1f, 0.9f);
	}
	if (v->cause == CAUSE_UNKNOWN)
		conf *= 0.7f;
	v->confidence = clampf(conf, 0.1f, 0.99f);
}

void verdict_clear(struct verdict *v)
{
	/* Only the n_ev first items are ever read: the rest may stay. */
	memset(v, 0, offsetof(struct verdict, ev));
}

void rst_classify(struct rst_event *e)
{
	struct signals s;

	memset(&s, 0, sizeof(s));
	verdict_clear(&e->v);
	e->v.hops = e->v.expected_hops = -1;
	signal_context(e, &s);
	if (e->live.valid && e->live.made_here) {
		/* The live mode saw it born here: no inference needed. */
		s.local_out = 1;
		ev_add(e, &s, EV_MADE_HERE, 0, 0, LEAN_NONE, 0);
	}
	signal_ttl(e, &s);
	signal_race(e, &s);
	signal_burst(e, &s);
	signal_ipid(e, &s);
	signal_seq(e, &s);
	signal_shape(e, &s);
	signal_acceptance(e, &s);
	rst_decide(e, &s);
}
