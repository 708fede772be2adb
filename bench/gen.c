/*
 * gen.c: deterministic capture generator for the offline benchmark.
 *
 *   gen [-n packets] [-f flows] [-s snaplen] [-b burst%] [-S seed] -o FILE
 *
 * Writes a classic pcap file (microsecond, Ethernet) of TCP conversations
 * between a client pool (65536 hosts) and 4096 dual-stack servers, each
 * server with a fixed TTL and IP ID policy.  Flows are kept in `flows`
 * slots; each packet advances one slot's conversation by one segment, and
 * a slot whose flow has ended starts a new one, so about that many flows
 * are open at any time.  About 1% of the packets are resets: refused SYNs,
 * RST/ACK aborts, R-only answers to segments for a dead connection, and
 * forged resets (TTL a few hops off, IP ID copied from the trigger),
 * sometimes followed by the genuine server still sending.
 *
 * No libpcap: records are laid out by hand into a large buffer and written
 * with fwrite.  A xorshift PRNG makes the file identical on every run for
 * the same options.  Prints one line of key=value statistics on stdout.
 *
 * A benchmark input, not a test fixture: nothing checks the classification
 * of these resets against an oracle.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NSERV		4096
#define NCLI		65536
#define EPOCH		1700000000u	/* capture start, seconds */
#define GAP_US		10		/* mean gap: 100 k packets per second */
#define OUTBUF		(4u << 20)
#define MAXFRAME	1600

#define TH_FIN	0x01
#define TH_SYN	0x02
#define TH_RST	0x04
#define TH_PSH	0x08
#define TH_ACK	0x10

enum side { CLI, SRV };

/* Where a flow is in its conversation: the next segment it will send. */
enum state {
	S_DONE,		/* slot free: a new flow starts here */
	S_SYN, S_REFUSE, S_SYNACK, S_HS_ACK,
	S_REQ,		/* client request segments */
	S_SRV_ACK,	/* server acknowledges the request alone */
	S_RESP,		/* server response segments */
	S_CLI_ACK,	/* client delayed ACK */
	S_FIN1, S_FIN2, S_FIN3,
	S_FORGE,	/* injected resets toward the client */
	S_LATE_DATA,	/* the live side sends to a dead peer */
	S_LATE_R,	/* the dead peer's stack answers R */
};

/* How a flow ends; per mille of flows, tuned for ~1% RST packets. */
enum kind { K_NORMAL, K_REFUSED, K_ABORT, K_STALE, K_FORGED, K_MAX };
static const unsigned kind_permille[K_MAX] = {
	[K_REFUSED] = 30, [K_ABORT] = 36, [K_STALE] = 18, [K_FORGED] = 18,
};

/* What a reset was, for the statistics line. */
enum rst_kind { RK_NONE, RK_REFUSED, RK_ABORT, RK_RONLY, RK_FORGED, RK_MAX };
static const char *const rk_names[RK_MAX] = {
	[RK_REFUSED] = "rst_refused", [RK_ABORT] = "rst_abort",
	[RK_RONLY] = "rst_ronly", [RK_FORGED] = "rst_forged",
};

enum opts { O_NONE, O_SYN, O_SYN_TS, O_TS };
static const uint8_t opt_len[] = { 0, 12, 20, 12 };

struct server {
	uint8_t a4[4], a6[16];
	uint16_t port, gid;	/* gid: host-wide IP ID counter */
	uint8_t ttl, idmode, ts_ok, wscale;
};
enum { ID_FLOW, ID_HOST, ID_ZERO };

struct client {
	uint8_t ttl, ts_ok, wscale;
};

struct flow {
	uint32_t cseq, sseq;	/* next sequence number each side sends */
	uint32_t lseq;		/* the live side's segment being retransmitted */
	uint32_t cflow, sflow;	/* IPv6 flow labels */
	uint32_t cts, sts;	/* TCP timestamp clock offsets */
	uint16_t cli, srv, cport;
	uint16_t cid, sid;	/* next IP ID (ID_FLOW) */
	uint16_t cwin, swin;
	uint16_t round, rounds;
	uint16_t left;		/* segments left in this burst */
	uint16_t resp, sent;	/* response segments planned, sent */
	uint16_t req_last, resp_last, late_len;
	uint16_t ev_round, ev_seg;
	uint16_t trig_id;	/* IP ID of the last client data segment */
	uint8_t state, kind, fam, ts;
	uint8_t unacked, closer, live, late_left, late_retx, forged_left;
	uint8_t forged_ack, follow, forged_ttl;
};

struct seg {
	uint8_t side, flags, ttl, opts, rk;
	uint16_t ipid, win;
	uint32_t flowlabel, seq, ack, len, tsval, tsecr;
};

struct gen {
	uint64_t rng;
	uint64_t now_us;
	uint32_t snaplen;
	FILE *fp;
	uint8_t *out;
	size_t pos;
	struct server srv[NSERV];
	struct client cli[NCLI];
	uint8_t gw_mac[6];
	/* statistics */
	uint64_t packets, file_bytes, wire_bytes, v4, v6;
	uint64_t flows, flows_done, rst, rk[RK_MAX];
};

static const uint8_t pattern[16] = "RSTAUDIT-BENCH\r\n";

static uint64_t rnd(struct gen *g)
{
	/* xorshift64* */
	g->rng ^= g->rng >> 12;
	g->rng ^= g->rng << 25;
	g->rng ^= g->rng >> 27;
	return g->rng * 0x2545f4914f6cdd1dull;
}

/* Uniform in [0, n), n > 0. */
static uint32_t rnd_below(struct gen *g, uint32_t n)
{
	return (uint32_t)(((rnd(g) >> 32) * n) >> 32);
}

static int rnd_pct(struct gen *g, unsigned pct)
{
	return rnd_below(g, 100) < pct;
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void putle32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);	/* pcap headers are in the writer's order */
}

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (; n > 1; p += 2, n -= 2)
		s += (uint32_t)p[0] << 8 | p[1];
	if (n)
		s += (uint32_t)p[0] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static int out_flush(struct gen *g)
{
	if (g->pos && fwrite(g->out, 1, g->pos, g->fp) != g->pos)
		return -1;
	g->file_bytes += g->pos;
	g->pos = 0;
	return 0;
}

/* ---- hosts ---- */

static void hosts_init(struct gen *g)
{
	static const uint8_t first[] = { 23, 31, 45, 52, 91, 104, 142, 151,
					 157, 185, 198, 216 };
	static const uint16_t ports[] = { 443, 443, 443, 443, 443, 443, 443,
					  80, 80, 80, 22, 25, 993, 8080,
					  3306, 5432 };
	static const uint8_t init_ttl[] = { 64, 64, 64, 64, 64, 64, 64, 64,
					    64, 64, 64, 128, 128, 128, 128,
					    128, 128, 255, 255, 255 };
	uint32_t i, k;

	for (i = 0; i < NSERV; i++) {
		struct server *s = &g->srv[i];
		uint64_t r = rnd(g);

		k = i / 12;
		s->a4[0] = first[i % 12];
		s->a4[1] = (uint8_t)((r & 0xfe) | (k >> 8));
		s->a4[2] = (uint8_t)k;
		s->a4[3] = (uint8_t)(1 + (r >> 8) % 254);
		s->a6[0] = 0x2a;
		s->a6[1] = (uint8_t)(r >> 16 & 0x0f);
		for (k = 2; k < 16; k++)
			s->a6[k] = (uint8_t)rnd(g);
		s->port = ports[rnd_below(g, 16)];
		s->ttl = (uint8_t)(init_ttl[rnd_below(g, 20)] -
				   4 - rnd_below(g, 21));
		s->idmode = (uint8_t)rnd_below(g, 3);
		s->gid = (uint16_t)rnd(g);
		s->ts_ok = rnd_pct(g, 85);
		s->wscale = (uint8_t)(7 + rnd_below(g, 3));
	}
	for (i = 0; i < NCLI; i++) {
		struct client *c = &g->cli[i];

		c->ttl = (uint8_t)((rnd_pct(g, 65) ? 64 : 128) -
				   rnd_below(g, 3));
		c->ts_ok = rnd_pct(g, 65);
		c->wscale = (uint8_t)(6 + rnd_below(g, 4));
	}
	memcpy(g->gw_mac, "\x02\x00\x5e\x00\x00\x01", 6);
}

static void addr_cli(const struct flow *f, uint8_t *a)
{
	if (f->fam == 4) {
		a[0] = 10;
		a[1] = 1;
		a[2] = (uint8_t)(f->cli >> 8);
		a[3] = (uint8_t)f->cli;
	} else {
		memset(a, 0, 16);
		a[0] = 0xfd;
		a[7] = 1;
		a[14] = (uint8_t)(f->cli >> 8);
		a[15] = (uint8_t)f->cli;
	}
}

/* ---- frames ---- */

static size_t put_opts(uint8_t *t, const struct seg *s, uint16_t mss,
		       uint8_t wscale)
{
	uint8_t *o = t + 20;

	switch (s->opts) {
	case O_SYN:	/* MSS, NOP, WS, NOP, NOP, SACK_PERM */
		memcpy(o, "\x02\x04\x05\xb4\x01\x03\x03\x00\x01\x01\x04\x02", 12);
		put16(o + 2, mss);
		o[7] = wscale;
		break;
	case O_SYN_TS:	/* MSS, SACK_PERM, TS, NOP, WS */
		memcpy(o, "\x02\x04\x05\xb4\x04\x02\x08\x0a", 8);
		put32(o + 8, s->tsval);
		put32(o + 12, s->tsecr);
		put16(o + 2, mss);
		memcpy(o + 16, "\x01\x03\x03\x00", 4);
		o[19] = wscale;
		break;
	case O_TS:
		memcpy(o, "\x01\x01\x08\x0a", 4);
		put32(o + 4, s->tsval);
		put32(o + 8, s->tsecr);
		break;
	}
	return opt_len[s->opts];
}

/* Lay out one frame and its record header at the end of the buffer. */
static int emit(struct gen *g, const struct flow *f, const struct seg *s)
{
	const struct server *sv = &g->srv[f->srv];
	uint8_t ca[16], *rec, *e, *ip, *t, *src, *dst;
	size_t iphl = f->fam == 4 ? 20 : 40, alen = f->fam == 4 ? 4 : 16;
	size_t thl = 20 + opt_len[s->opts], hdr, pl, cap, wire;
	uint32_t sum;

	if (g->pos + 16 + MAXFRAME > OUTBUF && out_flush(g) < 0)
		return -1;
	rec = g->out + g->pos;
	e = rec + 16;
	ip = e + 14;
	t = ip + iphl;
	hdr = 14 + iphl + thl;
	wire = hdr + s->len;
	cap = wire < g->snaplen ? wire : g->snaplen;

	addr_cli(f, ca);
	src = s->side == CLI ? ca : (uint8_t *)(f->fam == 4 ? sv->a4 : sv->a6);
	dst = s->side == CLI ? (uint8_t *)(f->fam == 4 ? sv->a4 : sv->a6) : ca;

	/* Ethernet: clients sit behind the gateway whose MAC we use. */
	if (s->side == CLI) {
		memcpy(e, g->gw_mac, 6);
		memcpy(e + 6, "\x02\x10\x00\x00", 4);
		put16(e + 10, f->cli);
	} else {
		memcpy(e, "\x02\x10\x00\x00", 4);
		put16(e + 4, f->cli);
		memcpy(e + 6, g->gw_mac, 6);
	}
	if (f->fam == 4) {
		put16(e + 12, 0x0800);
		ip[0] = 0x45;
		ip[1] = 0;
		put16(ip + 2, (uint32_t)(iphl + thl + s->len));
		put16(ip + 4, s->ipid);
		put16(ip + 6, 0x4000);	/* DF */
		ip[8] = s->ttl;
		ip[9] = 6;
		put16(ip + 10, 0);
		memcpy(ip + 12, src, 4);
		memcpy(ip + 16, dst, 4);
		put16(ip + 10, fold(sum16(ip, 20, 0)));
		g->v4++;
	} else {
		put16(e + 12, 0x86dd);
		put32(ip, 6u << 28 | (s->flowlabel & 0xfffff));
		put16(ip + 4, (uint32_t)(thl + s->len));
		ip[6] = 6;
		ip[7] = s->ttl;
		memcpy(ip + 8, src, 16);
		memcpy(ip + 24, dst, 16);
		g->v6++;
	}

	put16(t, s->side == CLI ? f->cport : sv->port);
	put16(t + 2, s->side == CLI ? sv->port : f->cport);
	put32(t + 4, s->seq);
	put32(t + 8, s->ack);
	t[12] = (uint8_t)(thl / 4 << 4);
	t[13] = s->flags;
	put16(t + 14, s->win);
	put32(t + 16, 0);	/* checksum, urgent pointer */
	put_opts(t, s, f->fam == 4 ? 1460 : 1440,
		 s->side == CLI ? g->cli[f->cli].wscale : sv->wscale);

	/* Payload: a 16-byte pattern, then zeros, which add nothing to the
	 * checksum; so the checksum is right though most is never stored. */
	pl = s->len < 16 ? s->len : 16;
	memcpy(t + thl, pattern, pl);
	if (cap > hdr + pl)
		memset(t + thl + pl, 0, cap - hdr - pl);
	sum = sum16(src, alen, 0);
	sum = sum16(dst, alen, sum);
	sum += 6 + (uint32_t)(thl + s->len);
	sum = sum16(t, thl + pl, sum);
	put16(t + 16, fold(sum));

	putle32(rec, (uint32_t)(g->now_us / 1000000));
	putle32(rec + 4, (uint32_t)(g->now_us % 1000000));
	putle32(rec + 8, (uint32_t)cap);
	putle32(rec + 12, (uint32_t)wire);
	g->pos += 16 + cap;
	g->packets++;
	g->wire_bytes += wire;
	if (s->flags & TH_RST) {
		g->rst++;
		g->rk[s->rk]++;
	}
	return 0;
}

/* ---- conversations ---- */

static uint32_t seg_max(const struct flow *f)
{
	return (f->fam == 4 ? 1460u : 1440u) - (f->ts ? 12u : 0u);
}

/*
 * A genuine segment from `side`: its next sequence number, its IP ID
 * series, TTL and flow label.  Does not advance the sequence number.
 */
static void seg_make(struct gen *g, struct flow *f, int side, uint8_t flags,
		     uint32_t len, struct seg *s)
{
	struct server *sv = &g->srv[f->srv];
	uint32_t ms = (uint32_t)(g->now_us / 1000);

	memset(s, 0, sizeof *s);
	s->side = (uint8_t)side;
	s->flags = flags;
	s->len = len;
	s->seq = side == CLI ? f->cseq : f->sseq;
	if (flags & TH_ACK)
		s->ack = side == CLI ? f->sseq : f->cseq;
	if (side == CLI) {
		s->ttl = g->cli[f->cli].ttl;
		s->ipid = f->cid++;
		s->flowlabel = f->cflow;
		s->win = f->cwin;
		s->tsval = f->cts + ms;
		s->tsecr = f->sts + ms - 1;
	} else {
		s->ttl = sv->ttl;
		s->ipid = sv->idmode == ID_FLOW ? f->sid++ :
			  sv->idmode == ID_HOST ? sv->gid++ : 0;
		s->flowlabel = f->sflow;
		s->win = f->swin;
		s->tsval = f->sts + ms;
		s->tsecr = f->cts + ms - 1;
	}
	if (flags & TH_SYN) {
		s->opts = f->ts ? O_SYN_TS : O_SYN;
		s->win = side == CLI ? 64240 : 65160;
		if (side == CLI)
			s->tsecr = 0;
	} else if (f->ts && !(flags & TH_RST)) {
		s->opts = O_TS;
	}
}

static void seq_advance(struct flow *f, const struct seg *s)
{
	uint32_t n = s->len + !!(s->flags & TH_SYN) + !!(s->flags & TH_FIN);

	if (s->side == CLI)
		f->cseq += n;
	else
		f->sseq += n;
}

static int send_seg(struct gen *g, struct flow *f, int side, uint8_t flags,
		    uint32_t len, uint8_t rk)
{
	struct seg s;

	seg_make(g, f, side, flags, len, &s);
	s.rk = rk;
	seq_advance(f, &s);
	return emit(g, f, &s);
}

static void round_start(struct gen *g, struct flow *f)
{
	uint32_t r = rnd_below(g, 100);

	f->left = rnd_pct(g, 90) ? 1 : (uint16_t)(2 + rnd_below(g, 3));
	f->req_last = (uint16_t)(40 + rnd_below(g, 600));
	f->resp = r < 50 ? 1 : r < 90 ? (uint16_t)(2 + rnd_below(g, 7)) :
		  (uint16_t)(9 + rnd_below(g, 32));
	f->resp_last = (uint16_t)(1 + rnd_below(g, seg_max(f)));
	f->ev_seg = (uint16_t)rnd_below(g, f->resp);
	f->sent = 0;
	f->unacked = 0;
}

static void flow_init(struct gen *g, struct flow *f)
{
	uint32_t n = (uint32_t)g->flows++, r, k;
	float u = (float)rnd_below(g, 1u << 24) / (float)(1u << 24);

	memset(f, 0, sizeof *f);
	/* A bijection from flow number to (client, port): 5-tuples are
	 * unique across the whole file. */
	f->cli = (uint16_t)(n * 40503u);
	f->cport = (uint16_t)(32768 + ((n >> 16) + f->cli * 7u) % 28232);
	f->srv = (uint16_t)(u * u * NSERV);	/* a few popular servers */
	f->fam = rnd_pct(g, 30) ? 6 : 4;
	f->ts = g->cli[f->cli].ts_ok && g->srv[f->srv].ts_ok;
	f->cseq = (uint32_t)rnd(g);
	f->sseq = (uint32_t)rnd(g);
	f->cid = (uint16_t)rnd(g);
	f->sid = (uint16_t)rnd(g);
	f->cflow = (uint32_t)rnd(g) & 0xfffff;
	f->sflow = (uint32_t)rnd(g) & 0xfffff;
	f->cts = (uint32_t)rnd(g);
	f->sts = (uint32_t)rnd(g);
	f->cwin = (uint16_t)(200 + rnd_below(g, 3000));
	f->swin = (uint16_t)(200 + rnd_below(g, 3000));
	r = rnd_below(g, 100);
	f->rounds = r < 70 ? 1 : r < 95 ? (uint16_t)(2 + rnd_below(g, 3)) :
		    (uint16_t)(5 + rnd_below(g, 8));
	f->closer = rnd_pct(g, 60) ? CLI : SRV;
	r = rnd_below(g, 1000);
	for (k = 1; k < K_MAX; k++) {
		if (r < kind_permille[k])
			break;
		r -= kind_permille[k];
	}
	f->kind = (uint8_t)(k < K_MAX ? k : K_NORMAL);
	f->ev_round = (uint16_t)rnd_below(g, f->rounds);
	f->state = S_SYN;
}

static void late_start(struct flow *f, int live, uint8_t n, int retx)
{
	f->live = (uint8_t)live;
	f->late_left = n;
	f->late_retx = (uint8_t)retx;
	f->state = retx ? S_LATE_R : S_LATE_DATA;
}

/* The server's next response segment, or the event that replaces it. */
static int step_resp(struct gen *g, struct flow *f)
{
	int ev = f->round == f->ev_round && f->sent == f->ev_seg;
	uint32_t len = f->left > 1 ? seg_max(f) : f->resp_last;
	int side;

	if (ev && f->kind == K_ABORT) {
		side = rnd_pct(g, 50) ? CLI : SRV;
		if (rnd_pct(g, 30))
			late_start(f, !side, 1, 0);
		else
			f->state = S_DONE;
		return send_seg(g, f, side, TH_RST | TH_ACK, 0, RK_ABORT);
	}
	if (ev && f->kind == K_STALE) {
		/* The client lost its state; this segment and 0-1
		 * retransmissions are answered with R. */
		f->lseq = f->sseq;
		f->late_len = (uint16_t)len;
		late_start(f, SRV, (uint8_t)(1 + rnd_below(g, 2)), 1);
		return send_seg(g, f, SRV, TH_ACK | TH_PSH, len, RK_NONE);
	}
	f->sent++;
	f->unacked++;
	f->left--;
	if (f->unacked == 2 || f->left == 0)
		f->state = S_CLI_ACK;
	return send_seg(g, f, SRV, TH_ACK | (f->left ? 0 : TH_PSH), len,
			RK_NONE);
}

/* The injector's TTL: the server's, 3 to 8 hops off either way. */
static uint8_t forged_ttl(struct gen *g, uint8_t ttl)
{
	int d = (int)(3 + rnd_below(g, 6));

	d = ttl > 200 || rnd_pct(g, 50) ? ttl - d : ttl + d;
	return (uint8_t)(d < 1 ? 1 : d);
}

static int step_req(struct gen *g, struct flow *f)
{
	uint32_t len = f->left > 1 ? seg_max(f) : f->req_last;
	struct seg s;

	seg_make(g, f, CLI, TH_ACK | (f->left > 1 ? 0 : TH_PSH), len, &s);
	seq_advance(f, &s);
	f->trig_id = s.ipid;
	if (--f->left == 0) {
		if (f->kind == K_FORGED && f->round == f->ev_round) {
			f->forged_left = rnd_pct(g, 60) ? 1 : 3;
			f->forged_ack = rnd_pct(g, 50);
			f->follow = rnd_pct(g, 50);
			f->forged_ttl = forged_ttl(g, g->srv[f->srv].ttl);
			f->state = S_FORGE;
		} else {
			f->left = f->resp;
			f->state = rnd_pct(g, 30) ? S_SRV_ACK : S_RESP;
		}
	}
	return emit(g, f, &s);
}

/* An injected reset toward the client, claiming to be the server. */
static int step_forge(struct gen *g, struct flow *f)
{
	static const uint32_t off[] = { 0, 1460, 4380 };
	struct seg s;

	memset(&s, 0, sizeof s);
	s.side = SRV;
	s.rk = RK_FORGED;
	s.flags = TH_RST | (f->forged_ack ? TH_ACK : 0);
	s.seq = f->sseq + off[3 - f->forged_left];
	s.ack = f->forged_ack ? f->cseq : 0;
	s.win = (uint16_t)rnd(g);
	s.ipid = f->trig_id;
	s.ttl = f->forged_ttl;
	if (--f->forged_left == 0) {
		if (f->follow)
			late_start(f, SRV, (uint8_t)(1 + rnd_below(g, 3)), 0);
		else
			f->state = S_DONE;
	}
	return emit(g, f, &s);
}

/* The live side sends to a peer that has lost the connection. */
static int step_late_data(struct gen *g, struct flow *f)
{
	uint32_t len = f->live == SRV ? seg_max(f) : 0;
	struct seg s;

	if (f->late_retx) {
		seg_make(g, f, f->live, TH_ACK | TH_PSH, f->late_len, &s);
		s.seq = f->lseq;
	} else {
		seg_make(g, f, f->live, TH_ACK, len, &s);
		seq_advance(f, &s);
	}
	f->state = S_LATE_R;
	return emit(g, f, &s);
}

/* The dead peer's stack: RST, seq = the trigger's ACK, no ACK flag. */
static int step_late_r(struct gen *g, struct flow *f)
{
	struct seg s;

	seg_make(g, f, !f->live, TH_RST, 0, &s);
	s.rk = RK_RONLY;
	s.win = 0;
	f->state = --f->late_left ? S_LATE_DATA : S_DONE;
	return emit(g, f, &s);
}

static int step_cli_ack(struct gen *g, struct flow *f)
{
	f->unacked = 0;
	if (f->left)
		f->state = S_RESP;
	else if (++f->round < f->rounds) {
		round_start(g, f);
		f->state = S_REQ;
	} else
		f->state = S_FIN1;
	return send_seg(g, f, CLI, TH_ACK, 0, RK_NONE);
}

/* Emit exactly one packet of this flow and move it on. */
static int flow_step(struct gen *g, struct flow *f)
{
	struct seg s;

	switch (f->state) {
	case S_DONE:
	case S_SYN:
		f->state = f->kind == K_REFUSED ? S_REFUSE : S_SYNACK;
		return send_seg(g, f, CLI, TH_SYN, 0, RK_NONE);
	case S_REFUSE:
		seg_make(g, f, SRV, TH_RST | TH_ACK, 0, &s);
		s.seq = 0;
		s.win = 0;
		s.rk = RK_REFUSED;
		f->state = S_DONE;
		return emit(g, f, &s);
	case S_SYNACK:
		f->state = S_HS_ACK;
		return send_seg(g, f, SRV, TH_SYN | TH_ACK, 0, RK_NONE);
	case S_HS_ACK:
		round_start(g, f);
		f->state = S_REQ;
		return send_seg(g, f, CLI, TH_ACK, 0, RK_NONE);
	case S_REQ:
		return step_req(g, f);
	case S_SRV_ACK:
		f->state = S_RESP;
		return send_seg(g, f, SRV, TH_ACK, 0, RK_NONE);
	case S_RESP:
		return step_resp(g, f);
	case S_CLI_ACK:
		return step_cli_ack(g, f);
	case S_FIN1:
		f->state = S_FIN2;
		return send_seg(g, f, f->closer, TH_FIN | TH_ACK, 0, RK_NONE);
	case S_FIN2:
		f->state = S_FIN3;
		return send_seg(g, f, !f->closer, TH_FIN | TH_ACK, 0, RK_NONE);
	case S_FIN3:
		f->state = S_DONE;
		return send_seg(g, f, f->closer, TH_ACK, 0, RK_NONE);
	case S_FORGE:
		return step_forge(g, f);
	case S_LATE_DATA:
		return step_late_data(g, f);
	case S_LATE_R:
		return step_late_r(g, f);
	}
	return -1;
}

/* ---- main ---- */

static int write_header(struct gen *g)
{
	uint8_t h[24];

	putle32(h, 0xa1b2c3d4);
	h[4] = 2; h[5] = 0; h[6] = 4; h[7] = 0;	/* version 2.4, LE */
	putle32(h + 8, 0);
	putle32(h + 12, 0);
	putle32(h + 16, g->snaplen);
	putle32(h + 20, 1);	/* LINKTYPE_ETHERNET */
	memcpy(g->out, h, sizeof h);
	g->pos = sizeof h;
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: gen [-n packets] [-f flows] [-s snaplen] "
		"[-b burst%%] [-S seed] -o file\n");
	exit(2);
}

static unsigned long long num(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || end == s)
		usage();
	return v;
}

static int generate(struct gen *g, struct flow *fl, uint64_t npkts,
		    uint32_t nflows, unsigned burst)
{
	uint64_t i, ramp = npkts / 10 ? npkts / 10 : 1, active;
	uint32_t slot = 0;
	int cont = 0;

	for (i = 0; i < npkts; i++) {
		if (!cont) {
			/* Open slots gradually over the first tenth so the
			 * start is not all handshakes. */
			active = 1 + i * nflows / ramp;
			if (active > nflows)
				active = nflows;
			slot = rnd_below(g, (uint32_t)active);
		}
		if (fl[slot].state == S_DONE)
			flow_init(g, &fl[slot]);
		g->now_us += rnd_below(g, 2 * GAP_US + 1);
		if (flow_step(g, &fl[slot]) < 0)
			return -1;
		if (fl[slot].state == S_DONE)
			g->flows_done++;
		cont = fl[slot].state != S_DONE && rnd_pct(g, burst);
	}
	return out_flush(g);
}

int main(int argc, char **argv)
{
	uint64_t npkts = 5000000, seed = 0x5eed5eedcafef00dull;
	uint32_t nflows = 200000, snaplen = 128;
	unsigned burst = 50;
	const char *path = NULL;
	struct gen *g;
	struct flow *fl;
	int c, k;

	while ((c = getopt(argc, argv, "n:f:s:b:S:o:")) != -1) {
		switch (c) {
		case 'n': npkts = num(optarg); break;
		case 'f': nflows = (uint32_t)num(optarg); break;
		case 's': snaplen = (uint32_t)num(optarg); break;
		case 'b': burst = (unsigned)num(optarg); break;
		case 'S': seed = num(optarg); break;
		case 'o': path = optarg; break;
		default: usage();
		}
	}
	if (!path || optind != argc || nflows == 0 || burst > 99 ||
	    snaplen < 64 || snaplen > 262144)
		usage();
	g = calloc(1, sizeof *g);
	fl = calloc(nflows, sizeof *fl);
	if (!g || !fl || !(g->out = malloc(OUTBUF))) {
		fprintf(stderr, "gen: out of memory\n");
		return 1;
	}
	g->rng = seed ? seed : 1;
	g->now_us = (uint64_t)EPOCH * 1000000;
	g->snaplen = snaplen;
	if (!(g->fp = fopen(path, "wb"))) {
		fprintf(stderr, "gen: %s: %s\n", path, strerror(errno));
		return 1;
	}
	hosts_init(g);
	write_header(g);
	if (generate(g, fl, npkts, nflows, burst) < 0 || fclose(g->fp) != 0) {
		fprintf(stderr, "gen: %s: write failed: %s\n", path,
			strerror(errno));
		return 1;
	}
	printf("packets=%llu flows=%llu flows_closed=%llu rst=%llu",
	       (unsigned long long)g->packets, (unsigned long long)g->flows,
	       (unsigned long long)g->flows_done,
	       (unsigned long long)g->rst);
	for (k = 1; k < RK_MAX; k++)
		printf(" %s=%llu", rk_names[k], (unsigned long long)g->rk[k]);
	printf(" ipv4=%llu ipv6=%llu file_bytes=%llu wire_bytes=%llu "
	       "snaplen=%u duration_s=%.1f\n",
	       (unsigned long long)g->v4, (unsigned long long)g->v6,
	       (unsigned long long)g->file_bytes,
	       (unsigned long long)g->wire_bytes, g->snaplen,
	       (double)(g->now_us - (uint64_t)EPOCH * 1000000) / 1e6);
	return 0;
}
