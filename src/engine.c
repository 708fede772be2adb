/*
 * engine.c: flows, hosts, held RSTs, verdicts (see engine.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#include "engine.h"
#include "flow.h"
#include "host.h"
#include "table.h"

#define SWEEP_BATCH_MIN 64	/* the idle sweep runs in steps of at least... */
#define SWEEP_BATCH_MAX 4096	/* ...and at most this many slots */
#define BURST_US 1000000	/* RSTs this close together form one burst */
#define CHAIN_MAX 8		/* held RSTs of one flow a packet updates */
#define IN_SEQ_SPAN (1u << 20)	/* "in the sender's sequence space" */
#define EVICTED_BITS_MIN (1ull << 23)	/* the evicted set: 1 MB... */
#define EVICTED_BITS_MAX (1ull << 30)	/* ...to 128 MB */
#define EVICTED_BITS_PER_FLOW 16	/* about 0.5% false "evicted" */

struct engine {
	struct engine_conf conf;
	struct tab flows, hosts;
	struct rstdelay *rd;	/* the RST's delay against the round trip */
	struct rst_event *held;	/* ring of conf.max_held */
	uint32_t held_mask;
	uint32_t head, next;	/* serials: oldest held, next to assign */
	uint64_t t0_us, now_us;	/* first packet time, latest packet time */
	uint32_t sweep_ms;	/* engine clock of the last sweep step */
	int started;
	engine_emit_fn emit;
	void *arg;
	struct engine_stats st;
	/*
	 * The keys of evicted flows, a Bloom filter (3 bits a key), made at
	 * the first eviction: a flow that comes back knows its history was
	 * lost.  No false negative; a false positive only calls a flow seen
	 * for the first time evicted.  NULL after an eviction: every new
	 * flow counts as evicted (no room for the set).
	 */
	uint64_t *evicted;
	uint64_t evicted_mask;	/* bits - 1 */
	int evicted_nomem;
};

void engine_conf_default(struct engine_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->max_flows = 1u << 20;
	c->max_hosts = 1u << 18;
	c->max_held = 8192;
	c->hold_us = 5000000;
	c->idle_ms = 300000;
	c->seed = 0x5851f42d4c957f2dULL;
}

struct engine *engine_new(const struct engine_conf *c, engine_emit_fn emit,
			  void *arg)
{
	struct engine *eng = calloc(1, sizeof(*eng));
	uint32_t n = 1;

	if (eng == NULL)
		return NULL;
	eng->conf = *c;
	while (n < c->max_held && n < (1u << 24))
		n <<= 1;
	eng->held_mask = n - 1;
	eng->head = eng->next = 1;
	eng->emit = emit;
	eng->arg = arg;
	/*
	 * Every slot is touched in turn: on huge pages, far fewer faults.
	 * With its tables full, all faulted in now (the live path's).
	 */
	eng->held = tab_map((size_t)n * sizeof(*eng->held), c->full);
	if (eng->held == NULL ||
	    (c->full ? tab_init_full : tab_init)(&eng->flows,
						sizeof(struct flow), c->max_flows) < 0 ||
	    (c->full ? tab_init_full : tab_init)(&eng->hosts,
						sizeof(struct host), c->max_hosts) < 0 ||
	    (eng->rd = rstdelay_new(c->full)) == NULL) {
		int saved = errno;

		engine_free(eng);
		errno = saved;
		return NULL;
	}
	return eng;
}

void engine_free(struct engine *eng)
{
	if (eng == NULL)
		return;
	tab_free(&eng->flows);
	tab_free(&eng->hosts);
	free(eng->evicted);
	rstdelay_free(eng->rd);
	tab_unmap(eng->held, (size_t)(eng->held_mask + 1) * sizeof(*eng->held));
	free(eng);
}

static uint32_t engine_ms(const struct engine *eng)
{
	return (uint32_t)((eng->now_us - eng->t0_us) / 1000);
}

static struct rst_event *held_find(struct engine *eng, uint32_t serial)
{
	if (serial == 0 || serial - eng->head >= eng->next - eng->head)
		return NULL;
	return &eng->held[serial & eng->held_mask];
}

struct rst_event *engine_held(struct engine *eng, uint32_t serial)
{
	return held_find(eng, serial);
}

uint64_t engine_flow_key(const struct engine *eng, const struct pkt *p)
{
	return flow_key(p, eng->conf.seed);
}

void engine_rst_dropped(struct engine *eng, const struct rst_event *e)
{
	struct flow *f = tab_find(&eng->flows, engine_flow_key(eng, &e->p));

	/* Unless a later RST of the flow has set it since. */
	if (f != NULL && f->h.user == e->serial)
		f->s[e->side].f &= (uint8_t)~SIDE_RST;
}

void engine_judge(struct engine *eng, struct rst_event *e)
{
	const struct host *h;

	h = tab_find(&eng->hosts, host_key(&e->p, 0, eng->conf.seed));
	host_baseline(h, &e->host);
	e->p.payload = e->payload;
	rst_classify(e);
}

static void held_release_one(struct engine *eng)
{
	struct rst_event *e = &eng->held[eng->head & eng->held_mask];

	engine_judge(eng, e);
	eng->head++;
	if (eng->emit)
		eng->emit(e, eng->arg);
}

void engine_tick(struct engine *eng, uint64_t now_us)
{
	while (eng->head != eng->next) {
		const struct rst_event *e = &eng->held[eng->head & eng->held_mask];

		if (now_us < e->ts_us + eng->conf.hold_us)
			break;
		held_release_one(eng);
	}
}

void engine_flush(struct engine *eng)
{
	while (eng->head != eng->next)
		held_release_one(eng);
}

static uint32_t seq_end_of(const struct pkt *p)
{
	return p->seq + p->payload_len + !!(p->flags & TH_SYN) +
	       !!(p->flags & TH_FIN);
}

/* a is past b, by less than IN_SEQ_SPAN (wrap-safe). */
static int seq_past(uint32_t a, uint32_t b)
{
	return SEQ_GT(a, b) && a - b < IN_SEQ_SPAN;
}

/*
 * Does p, from the RST's claimed sender, continue the connection past the
 * RST?  A stack that reset has no socket left to do so.  What a genuine
 * sender may still have in flight does not count: data ending at or
 * before the RST's seq (a stack resets with its snd_nxt), ACKs up to its
 * ack (a retransmission, an RFC 5961 challenge ACK).
 */
static int held_continues(const struct rst_event *e, const struct pkt *p)
{
	uint32_t seq_done = e->snd.nxt, ack_done = e->rcv.nxt;

	if ((p->flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK))
		return (e->rcv.f & SIDE_SYN) && p->ack == e->rcv.nxt;
	if ((e->p.flags & TH_ACK) && seq_past(e->p.seq, seq_done))
		seq_done = e->p.seq;
	if ((e->p.flags & TH_ACK) && seq_past(e->p.ack, ack_done))
		ack_done = e->p.ack;
	if ((e->snd.f & SIDE_SEEN) && seq_past(seq_end_of(p), seq_done))
		return 1;
	/* It acknowledges what the receiver sent after the RST. */
	return (p->flags & TH_ACK) && (e->rcv.f & SIDE_SEEN) &&
	       seq_past(p->ack, ack_done);
}

/*
 * A bare SYN after the RST: from its claimed sender, or a new attempt by
 * the other side, it begins another incarnation on the same ports, and
 * nothing after it is a race.  The receiver's retransmission of the SYN
 * the RST answered is not one: its genuine SYN/ACK may still come.
 */
static void held_syn(struct rst_event *e, int side, const struct pkt *p,
		     uint64_t ts_us)
{
	if (e->after_new_syn)
		return;
	if (e->side != side && (e->rcv.f & SIDE_SYN) &&
	    p->seq + 1 == e->rcv.nxt)
		return;
	e->after_new_syn = 1;
	e->new_syn_us = ts_us - e->ts_us;
}

/* A packet of the RST's claimed sender after it. */
static void held_after(struct rst_event *e, const struct pkt *p,
		       uint64_t ts_us)
{
	if (e->after_pkts++ == 0) {
		e->after_us = ts_us - e->ts_us;
		e->after_ttl = p->ttl;
	}
	e->after_data += p->payload_len;
	if (e->after_new_syn)
		return;
	if (!held_continues(e, p)) {
		if (p->payload_len && (e->snd.f & SIDE_SEEN) &&
		    seq_past(seq_end_of(p), e->snd.nxt)) {
			if (e->below_data == 0)
				e->below_us = ts_us - e->ts_us;
			e->below_data += p->payload_len;
		}
		return;
	}
	if (p->flags & TH_SYN)
		e->after_synack = 1;
	if (e->race_pkts++ == 0)
		e->race_us = ts_us - e->ts_us;
	e->race_data += p->payload_len;
	e->after_in_seq = 1;
}

/* A raced RST's burst fellows (one forger's burst) learn it. */
static void held_burst_raced(struct engine *eng, uint32_t serial,
			     const struct rst_event *raced)
{
	int n;

	for (n = 0; n < CHAIN_MAX; n++) {
		struct rst_event *e = held_find(eng, serial);

		if (e == NULL)
			break;
		if (e->side == raced->side && e->burst > 1 &&
		    e->burst_seq_lo == raced->burst_seq_lo &&
		    e->burst_seq_hi == raced->burst_seq_hi)
			e->burst_raced = 1;
		serial = e->prev;
	}
}

/* A packet of the flow arrives while RSTs of it are held: note it. */
static void held_observe(struct engine *eng, const struct flow *f, int side,
			 const struct pkt *p, uint64_t ts_us)
{
	const struct rst_event *raced = NULL;
	uint32_t serial = f->h.user;
	int syn = (p->flags & (TH_SYN | TH_ACK)) == TH_SYN, n;

	if (p->flags & TH_RST)
		return;
	for (n = 0; n < CHAIN_MAX; n++) {
		struct rst_event *e = held_find(eng, serial);

		if (e == NULL)
			break;
		if (syn)
			held_syn(e, side, p, ts_us);
		else if (e->side == side)
			held_after(e, p, ts_us);
		if (e->race_pkts > 0 && e->burst > 1)
			raced = e;
		serial = e->prev;
	}
	if (raced)
		held_burst_raced(eng, f->h.user, raced);
}

/* A second RST from the same side soon after: one burst. */
static void held_burst(struct engine *eng, struct rst_event *e)
{
	struct rst_event *prev = held_find(eng, e->prev);
	uint32_t serial = e->prev;
	int n;

	e->burst = 1;
	e->burst_seq_lo = e->burst_seq_hi = e->p.seq;
	e->burst_ttl_lo = e->burst_ttl_hi = e->p.ttl;
	e->burst_ipid = e->p.ipid;
	e->burst_ipid_same = 1;
	/* One burst: the same side, the same kind (R or RA), close together. */
	if (prev == NULL || prev->side != e->side || prev->after_new_syn ||
	    (prev->p.flags & TH_ACK) != (e->p.flags & TH_ACK) ||
	    e->ts_us - prev->ts_us > BURST_US)
		return;
	e->burst = prev->burst + 1;
	e->burst_seq_lo = SEQ_LT(prev->burst_seq_lo, e->p.seq) ? prev->burst_seq_lo : e->p.seq;
	e->burst_seq_hi = SEQ_GT(prev->burst_seq_hi, e->p.seq) ? prev->burst_seq_hi : e->p.seq;
	e->burst_ttl_lo = prev->burst_ttl_lo < e->p.ttl ? prev->burst_ttl_lo : e->p.ttl;
	e->burst_ttl_hi = prev->burst_ttl_hi > e->p.ttl ? prev->burst_ttl_hi : e->p.ttl;
	e->burst_ipid_same = prev->burst_ipid_same && prev->burst_ipid == e->p.ipid;
	for (n = 0; n < CHAIN_MAX; n++) {
		prev = held_find(eng, serial);
		if (prev == NULL || prev->side != e->side ||
		    (prev->p.flags & TH_ACK) != (e->p.flags & TH_ACK))
			break;
		prev->burst = e->burst;
		prev->burst_seq_lo = e->burst_seq_lo;
		prev->burst_seq_hi = e->burst_seq_hi;
		prev->burst_ttl_lo = e->burst_ttl_lo;
		prev->burst_ttl_hi = e->burst_ttl_hi;
		prev->burst_ipid_same = e->burst_ipid_same;
		serial = prev->prev;
	}
}

static struct rst_event *held_new(struct engine *eng, struct flow *f,
				  int side, int created, const struct pkt *p,
				  uint64_t ts_us, uint64_t frame)
{
	struct rst_event *e;

	if (eng->next - eng->head > eng->held_mask) {
		eng->st.released_early++;
		held_release_one(eng);
	}
	e = &eng->held[eng->next & eng->held_mask];
	/*
	 * All but the payload kept (only its caplen bytes are read) and
	 * the evidence items (only the n_ev rst_classify() wrote are): the
	 * whole 912 bytes was 45 % of engine_packet_key() in a RST flood.
	 */
	memset(e, 0, offsetof(struct rst_event, payload));
	memset(&e->had_flow, 0, offsetof(struct rst_event, v) -
	       offsetof(struct rst_event, had_flow));
	verdict_clear(&e->v);
	e->serial = eng->next++;
	e->ts_us = ts_us;
	e->frame = frame;
	e->p = *p;
	e->p.payload_caplen = p->payload_caplen < RST_PAYLOAD_KEEP
				      ? p->payload_caplen : RST_PAYLOAD_KEEP;
	if (e->p.payload_caplen)
		memcpy(e->payload, p->payload, e->p.payload_caplen);
	e->p.payload = e->payload;
	e->had_flow = !created;
	e->flow_evicted = f->s[0].evicted;
	eng->st.rsts_evicted += e->flow_evicted;
	e->side = (uint8_t)side;
	e->snd = f->s[side];
	e->rcv = f->s[!side];
	e->prev = f->h.user;
	held_burst(eng, e);
	/* The RSTs before it in a burst are its fellows, not a reset before. */
	if (e->burst > 1)
		e->snd.f &= (uint8_t)~SIDE_RST;
	f->h.user = e->serial;
	eng->st.rsts++;
	return e;
}

/* The three bits of key in the evicted set. */
static void evicted_bits(const struct engine *eng, uint64_t key, uint64_t bit[3])
{
	uint64_t h2 = tab_mix(key ^ 0x9e3779b97f4a7c15ULL) | 1;
	int i;

	for (i = 0; i < 3; i++)
		bit[i] = (key + (uint64_t)i * h2) & eng->evicted_mask;
}

/* tab_get()'s eviction hook for the flow table: remember the key. */
static void evicted_add(void *entry, void *arg)
{
	struct engine *eng = arg;
	uint64_t bit[3], n = EVICTED_BITS_MIN;
	int i;

	if (eng->evicted == NULL && !eng->evicted_nomem) {
		while (n < EVICTED_BITS_MAX &&
		       n < (uint64_t)eng->conf.max_flows * EVICTED_BITS_PER_FLOW)
			n <<= 1;
		eng->evicted = calloc(n / 64, sizeof(uint64_t));
		eng->evicted_mask = n - 1;
		eng->evicted_nomem = eng->evicted == NULL;
	}
	if (eng->evicted == NULL)
		return;
	evicted_bits(eng, ((struct tab_hdr *)entry)->key, bit);
	for (i = 0; i < 3; i++)
		eng->evicted[bit[i] / 64] |= 1ull << (bit[i] % 64);
}

/* Was the flow with this key evicted before? */
static int evicted_has(const struct engine *eng, uint64_t key)
{
	uint64_t bit[3];
	int i;

	if (eng->flows.evicted == 0)
		return 0;
	if (eng->evicted == NULL)
		return 1;	/* no room to know: say it may have been */
	evicted_bits(eng, key, bit);
	for (i = 0; i < 3; i++)
		if (!(eng->evicted[bit[i] / 64] & (1ull << (bit[i] % 64))))
			return 0;
	return 1;
}

static void host_learn(struct engine *eng, const struct pkt *p)
{
	struct host *h;
	int created;

	h = tab_get(&eng->hosts, host_key(p, 0, eng->conf.seed),
		    engine_ms(eng), &created, NULL, NULL);
	h->h.last_ms = engine_ms(eng);
	host_update(h, p->ttl);
}

/*
 * Pass the flow table at a pace of one full round per quarter of the idle
 * timeout in packet time, in steps, so idle flows go without the sweep
 * streaming through the table on every packet.
 */
static void engine_sweep(struct engine *eng)
{
	uint32_t now = engine_ms(eng);
	uint64_t span = (uint64_t)(now - eng->sweep_ms) * (eng->flows.mask + 1ull);
	uint64_t per = eng->conf.idle_ms / 4 + 1, due;

	/*
	 * Most packets find no step due: say so without the division,
	 * whose latency was a quarter of this function's time.
	 */
	if (span < SWEEP_BATCH_MIN * per)
		return;
	due = span / per;
	tab_sweep(&eng->flows, now, eng->conf.idle_ms,
		  due > SWEEP_BATCH_MAX ? SWEEP_BATCH_MAX : (unsigned)due,
		  NULL, NULL);
	eng->sweep_ms = now;
}

uint64_t engine_prefetch(const struct engine *eng, const struct pkt *p)
{
	uint64_t key = engine_flow_key(eng, p);

	engine_prefetch_key(eng, p, key);
	return key;
}

void engine_prefetch_key(const struct engine *eng, const struct pkt *p,
			 uint64_t key)
{
	tab_prefetch(&eng->flows, key);
	rstdelay_prefetch(eng->rd, key);
	/*
	 * A side's first packet, most often its SYN or SYN/ACK, looks its
	 * sender up in the host table (host_learn()): a miss there costs as
	 * much as the flow's own.
	 */
	if (p->flags & TH_SYN)
		tab_prefetch(&eng->hosts, host_key(p, 0, eng->conf.seed));
}

struct rst_event *engine_packet_key(struct engine *eng, const struct pkt *p,
				    uint64_t key, uint64_t ts_us,
				    uint64_t frame)
{
	struct rst_event *e = NULL;
	struct flow_side *s;
	struct flow *f;
	int side = flow_sender_side(p), created;

	if (!eng->started) {
		eng->started = 1;
		eng->t0_us = eng->now_us = ts_us;
	}
	if (ts_us > eng->now_us)
		eng->now_us = ts_us;
	engine_tick(eng, eng->now_us);
	eng->st.packets++;

	f = tab_get(&eng->flows, key, engine_ms(eng), &created, evicted_add,
		    eng);
	if (created && evicted_has(eng, key))
		f->s[0].evicted = 1;
	s = &f->s[side];
	if (!created && flow_is_forwarded_copy(s, p)) {
		eng->st.copies++;
		eng->st.rst_copies += !!(p->flags & TH_RST);
		return NULL;
	}
	f->h.last_ms = engine_ms(eng);
	if (!created && flow_is_new_attempt(f, side, p))
		memset(f->s, 0, sizeof(f->s));
	if (f->h.user)
		held_observe(eng, f, side, p, ts_us);
	if (p->flags & TH_RST)
		e = held_new(eng, f, side, created, p, ts_us, frame);
	else if (!(s->f & SIDE_SEEN) || s->ttl != p->ttl)
		host_learn(eng, p);
	rstdelay_packet(eng->rd, key, side, p, ts_us, e ? &e->delay : NULL);
	/* host_learn() does not move flows: f is still good. */
	flow_update(s, p);
	engine_sweep(eng);
	return e;
}

struct rst_event *engine_packet(struct engine *eng, const struct pkt *p,
				uint64_t ts_us, uint64_t frame)
{
	return engine_packet_key(eng, p,
				 flow_key(p, eng->conf.seed),
				 ts_us, frame);
}

void engine_get_stats(const struct engine *eng, struct engine_stats *st)
{
	*st = eng->st;
	st->flows = eng->flows.count;
	st->flows_evicted = eng->flows.evicted;
	st->flows_expired = eng->flows.expired;
	st->hosts = eng->hosts.count;
	st->hosts_evicted = eng->hosts.evicted;
}
