/*
 * output.c: events as the legacy JSON lines, the pieces the other
 * writers share, and the summary (see output.h).
 *
 * Formatting happens once per RST, never per packet.
 */
#include <string.h>
#include <time.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "hopest.h"
#include "output.h"
#include "policy.h"
#include "sha1.h"

void output_init(struct output *o, FILE *fp, enum out_format fmt)
{
	memset(o, 0, sizeof(*o));
	o->fp = fp;
	o->fmt = fmt;
}

const char *output_flags(uint8_t flags, char buf[9])
{
	static const struct { uint8_t bit; char c; } order[] = {
		{ TH_SYN, 'S' }, { TH_FIN, 'F' }, { TH_RST, 'R' },
		{ TH_PSH, 'P' }, { TH_ACK, 'A' }, { TH_URG, 'U' },
		{ TH_ECE, 'E' }, { TH_CWR, 'C' },
	};
	size_t i, n = 0;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (flags & order[i].bit)
			buf[n++] = order[i].c;
	buf[n] = '\0';
	return buf;
}

const char *output_time(uint64_t ts_us, char buf[40])
{
	return output_time_zone(ts_us, buf, "Z");
}

/*
 * Events come many to a second: the date and time of the last second
 * are kept (per thread), and only the fraction is written each time.
 */
const char *output_time_zone(uint64_t ts_us, char buf[40], const char *zone)
{
	static __thread uint64_t last_sec = UINT64_MAX;
	static __thread char last[40];
	static __thread size_t last_n;
	uint64_t sec = ts_us / 1000000;
	unsigned frac = (unsigned)(ts_us % 1000000);
	size_t zlen = strlen(zone);
	int i;

	if (sec != last_sec) {
		time_t t = (time_t)sec;
		struct tm tm;

		if (gmtime_r(&t, &tm) == NULL)
			memset(&tm, 0, sizeof(tm));
		last_n = strftime(last, sizeof(last), "%Y-%m-%dT%H:%M:%S", &tm);
		last_sec = sec;
	}
	memcpy(buf, last, last_n);
	if (last_n + 7 + zlen >= 40) {	/* never for a real zone: snprintf cuts */
		snprintf(buf + last_n, 40 - last_n, ".%06u%s", frac, zone);
		return buf;
	}
	buf[last_n] = '.';
	for (i = 6; i > 0; i--, frac /= 10)
		buf[last_n + (size_t)i] = (char)('0' + frac % 10);
	memcpy(buf + last_n + 7, zone, zlen + 1);
	return buf;
}

static void base64(const uint8_t *in, size_t len, char *out)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		*out++ = tab[v >> 18], *out++ = tab[(v >> 12) & 63];
		*out++ = tab[(v >> 6) & 63], *out++ = tab[v & 63];
	}
	if (len - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;

		*out++ = tab[v >> 18], *out++ = tab[(v >> 12) & 63];
		*out++ = tab[(v >> 6) & 63], *out++ = '=';
	} else if (len - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;

		*out++ = tab[v >> 18], *out++ = tab[(v >> 12) & 63];
		*out++ = '=', *out++ = '=';
	}
	*out = '\0';
}

/* Community ID v1: sha1(seed, saddr, daddr, proto, 0, sport, dport), lower endpoint first. */
const char *output_community_id(const struct pkt *p, char buf[32])
{
	size_t alen = p->family == 6 ? 16 : 4, n = 0;
	const uint8_t *a = p->src, *b = p->dst;
	uint16_t pa = p->sport, pb = p->dport;
	uint8_t in[2 + 32 + 2 + 4], digest[20];
	int c = memcmp(a, b, alen);

	if (c > 0 || (c == 0 && pa > pb)) {
		a = p->dst, b = p->src;
		pa = p->dport, pb = p->sport;
	}
	in[n++] = 0, in[n++] = 0;
	memcpy(in + n, a, alen), n += alen;
	memcpy(in + n, b, alen), n += alen;
	in[n++] = 6, in[n++] = 0;
	in[n++] = (uint8_t)(pa >> 8), in[n++] = (uint8_t)pa;
	in[n++] = (uint8_t)(pb >> 8), in[n++] = (uint8_t)pb;
	sha1(in, n, digest);
	memcpy(buf, "1:", 2);
	base64(digest, sizeof(digest), buf + 2);
	return buf;
}

/*
 * Length of the valid UTF-8 sequence at s (RFC 3629: no overlong form,
 * no surrogate, nothing past U+10FFFF), 0 when there is none; *cp gets
 * its code point.
 */
static size_t utf8_len(const unsigned char *s, uint32_t *cp)
{
	static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t n, i;
	uint32_t c;

	if (s[0] < 0x80)
		n = 1, c = s[0];
	else if ((s[0] & 0xe0) == 0xc0)
		n = 2, c = s[0] & 0x1fu;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, c = s[0] & 0x0fu;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4, c = s[0] & 0x07u;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)	/* a NUL stops here too */
			return 0;
		c = c << 6 | (s[i] & 0x3fu);
	}
	if (c < min[n] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* One byte in each of a word's eight, and their high bits. */
#define ONES	0x0101010101010101ull
#define HIGHS	0x8080808080808080ull

/*
 * Some byte of w is below 0x20, 0x7f or above, q1 or q2.  Each test is
 * exact for "is there one" (a borrow only runs on past a byte that is
 * already one), which is all the caller asks.
 */
static int word_special(uint64_t w, uint64_t q1, uint64_t q2)
{
	uint64_t low = (w - ONES * 0x20) & ~w;
	uint64_t high = ((w & ~HIGHS) + ONES) | w;	/* no carry: exact */
	uint64_t x1 = w ^ q1, x2 = w ^ q2;

	x1 = (x1 - ONES) & ~x1;
	x2 = (x2 - ONES) & ~x2;
	return ((low | high | x1 | x2) & HIGHS) != 0;
}

#ifdef __SSE2__
/* The first of the 16 bytes at s that word_special() looks for, or 16. */
static unsigned block_special(const unsigned char *s, unsigned char q1,
			      unsigned char q2)
{
	__m128i v = _mm_loadu_si128((const void *)s);
	/* Signed: 0x80 and up are below 0x20 too. */
	__m128i hit = _mm_cmplt_epi8(v, _mm_set1_epi8(0x20));
	unsigned m;

	hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f)));
	hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, _mm_set1_epi8((char)q1)));
	hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, _mm_set1_epi8((char)q2)));
	m = (unsigned)_mm_movemask_epi8(hit);
	return m != 0 ? (unsigned)__builtin_ctz(m) : 16;
}
#endif

size_t output_plain_len(const char *str, size_t n, unsigned char q1,
			unsigned char q2)
{
	const unsigned char *s = (const unsigned char *)str;
	uint64_t w;
	size_t i = 0;

#ifdef __SSE2__
	unsigned k;

	/* x86-64 always has SSE2: sixteen bytes a round. */
	for (; n - i >= 16; i += 16)
		if ((k = block_special(s + i, q1, q2)) < 16)
			return i + k;
#endif
	/* Eight bytes a round, each load inside the n bytes. */
	for (; n - i >= 8; i += 8) {
		memcpy(&w, s + i, 8);
		if (word_special(w, ONES * q1, ONES * q2))
			break;
	}
	for (; i < n && s[i] >= 0x20 && s[i] < 0x7f && s[i] != q1 &&
	     s[i] != q2; i++)
		;
	return i;
}

/*
 * A JSON string: valid UTF-8 passes through, but for what JSON or a
 * terminal must not see raw (controls, DEL, C1 controls, U+2028 and
 * U+2029: \uXXXX); a byte that is not UTF-8 becomes the text \xNN.
 */
void output_json_str(struct obuf *b, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	const unsigned char *end = s + strlen(str);
	uint32_t cp;
	size_t n;

	obuf_putc(b, '"');
	while (s < end) {
		n = output_plain_len((const char *)s, (size_t)(end - s), '"',
				     '\\');
		obuf_put(b, (const char *)s, n);	/* the plain ASCII run */
		if ((s += n) == end)
			break;
		if ((n = utf8_len(s, &cp)) == 0) {
			obuf_put(b, "\\\\x", 3);
			obuf_hex(b, *s++, 2);
			continue;
		}
		if (cp == '"' || cp == '\\') {
			obuf_putc(b, '\\');
			obuf_putc(b, (char)cp);
		} else if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) ||
			   cp == 0x2028 || cp == 0x2029) {
			obuf_put(b, "\\u", 2);
			obuf_hex(b, cp, 4);
		} else {
			obuf_put(b, (const char *)s, n);
		}
		s += n;
	}
	obuf_putc(b, '"');
}

/*
 * Text: printable ASCII as it is, every other byte as \xNN, and a
 * backslash doubled (unless keep_bs: sentences evidence_format() made,
 * whose backslashes are its own escapes).  No name can start a line or
 * move the cursor.
 */
static const char *text_byte(unsigned char c, int keep_bs, char buf[5])
{
	if (c == '\\' && !keep_bs)
		return "\\\\";
	if (c >= 0x20 && c < 0x7f) {
		buf[0] = (char)c, buf[1] = '\0';
		return buf;
	}
	snprintf(buf, 5, "\\x%02x", c);
	return buf;
}

void output_text_str(struct obuf *b, const char *str, int keep_bs)
{
	const unsigned char *s = (const unsigned char *)str;
	const unsigned char *end = s + strlen(str);
	unsigned char bs = keep_bs ? 0 : '\\';	/* 0 stops a run anyway */
	size_t n;
	char t[5];

	while (s < end) {
		/* Runs that need nothing go in whole. */
		n = output_plain_len((const char *)s, (size_t)(end - s), bs,
				     bs);
		obuf_put(b, (const char *)s, n);
		s += n;
		if (s < end)
			obuf_puts(b, text_byte(*s++, keep_bs, t));
	}
}

const char *output_escape(const char *str, char *buf, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	const char *t;
	size_t o = 0, n;
	char b[5];

	for (; *s; s++) {
		t = text_byte(*s, 0, b);
		if (o + (n = strlen(t)) >= len)
			break;
		memcpy(buf + o, t, n);
		o += n;
	}
	if (len > 0)
		buf[o] = '\0';
	return buf;
}

/* key, then "true" or "false". */
static void json_bool(struct obuf *b, const char *key, int v)
{
	obuf_puts(b, key);
	obuf_puts(b, v ? "true" : "false");
}

void output_json_name_n(struct obuf *b, const char *key, size_t keylen,
			const char *value)
{
	obuf_put(b, key, keylen);
	obuf_putc(b, '"');
	obuf_puts(b, value);
	obuf_putc(b, '"');
}

void output_json_uint_n(struct obuf *b, const char *key, size_t keylen,
			uint64_t v)
{
	obuf_put(b, key, keylen);
	obuf_uint(b, v);
}

/* key, then v or null. */
static void json_uint_or_null(struct obuf *b, const char *key, int set,
			      uint64_t v)
{
	obuf_puts(b, key);
	if (set)
		obuf_uint(b, v);
	else
		obuf_puts(b, "null");
}

/* "hold":{...} or null: how the suspect hold ended (enforce.h). */
static void json_hold(struct obuf *b, const struct rst_policy *pp)
{
	obuf_puts(b, ",\"hold\":");
	if (pp->held == HOLD_NONE || pp->held >= HOLD_END_MAX) {
		obuf_puts(b, "null}");
		return;
	}
	obuf_puts(b, "{\"ms\":");
	obuf_ms(b, pp->held_us);
	output_json_name(b, ",\"ended\":", hold_end_names[pp->held]);
	output_json_uint(b, ",\"packets\":", pp->seen_pkts);
	output_json_uint(b, ",\"bytes\":", pp->seen_data);
	json_bool(b, ",\"changed\":", pp->changed);
	obuf_puts(b, "}}");
}

/* The policy's decision: "policy":{...} (see rstaudit(8), run). */
void output_json_policy(struct obuf *b, const struct rst_policy *pp)
{
	output_json_name(b, ",\"policy\":{\"mode\":",
		  policy_mode_names[pp->mode < POLICY_MODE_MAX ? pp->mode : 0]);
	json_uint_or_null(b, ",\"rule\":", pp->rule != 0, pp->rule);
	json_uint_or_null(b, ",\"line\":", pp->rule != 0, pp->line);
	output_json_name(b, ",\"action\":",
		  policy_action_names[pp->action < PA_MAX ? pp->action : 0]);
	json_bool(b, ",\"dry_run\":", pp->mode == POLICY_DRY_RUN);
	json_bool(b, ",\"would_drop\":", pp->would_drop);
	json_bool(b, ",\"bound\":", pp->bound);
	json_uint_or_null(b, ",\"mark\":", pp->has_mark, pp->mark);
	output_json_name(b, ",\"judged\":{\"origin\":",
		  origin_names[pp->origin < ORIGIN_MAX ? pp->origin : 0]);
	output_json_name(b, ",\"cause\":",
		  cause_names[pp->cause < CAUSE_MAX ? pp->cause : 0]);
	obuf_puts(b, ",\"confidence\":");
	obuf_fixed2(b, pp->confidence);
	json_bool(b, "},\"ct_restored\":", pp->ct_restored);
	json_bool(b, ",\"guarded\":", pp->guarded);
	json_hold(b, pp);
}

void output_json_key_str_n(struct obuf *b, const char *key, size_t keylen,
			   const char *value)
{
	obuf_put(b, key, keylen);
	output_json_str(b, value);
}

static void json_live(struct obuf *b, const struct rst_live *l)
{
	output_json_key_str(b, ",\"hook\":", l->hook_name);
	output_json_key_str(b, ",\"in\":", l->in);
	output_json_key_str(b, ",\"out\":", l->out);
	output_json_ct(b, "ct", l);
	output_json_key_str(b, ",\"verdict\":", l->verdict);
	if (l->pol.valid)
		output_json_policy(b, &l->pol);
	output_json_evpcap(b, l);
}

/*
 * ,"KEY":{state, id, invalid, source} or null: conntrack's view of the
 * flow, and where it came from (the packet's NFQA_CT, or a lookup).
 */
void output_json_ct(struct obuf *b, const char *key, const struct rst_live *l)
{
	static const char *const source[CT_SOURCE_MAX] = {
		[CT_SOURCE_LOOKUP] = "lookup",
		[CT_SOURCE_QUEUE] = "queue",
		[CT_SOURCE_EVENTS] = "events",
		[CT_SOURCE_TABLE] = "table",
	};

	obuf_put(b, ",\"", 2);
	obuf_puts(b, key);
	if (!l->ct_known) {
		obuf_puts(b, "\":null");
		return;
	}
	/* The table's notes give conntrack's judgement, not always the state,
	 * never the id: what is not known is left out. */
	obuf_puts(b, "\":{");
	if (l->ct_state[0] != '\0') {
		output_json_key_str(b, "\"state\":", l->ct_state);
		obuf_putc(b, ',');
	}
	if (rst_ct_has_id(l)) {
		output_json_uint(b, "\"id\":", l->ct_id);
		obuf_putc(b, ',');
	}
	if (l->ct_invalid < 0)
		obuf_puts(b, "\"invalid\":null");
	else
		json_bool(b, "\"invalid\":", l->ct_invalid);
	output_json_name(b, ",\"source\":",
		  source[l->ct_source < CT_SOURCE_MAX ? l->ct_source : 0]);
	obuf_putc(b, '}');
}

/* ,"evidence_pcap":{file, frame, packets} or null. */
void output_json_evpcap(struct obuf *b, const struct rst_live *l)
{
	if (l->pcap_file == NULL) {
		obuf_puts(b, ",\"evidence_pcap\":null");
		return;
	}
	output_json_key_str(b, ",\"evidence_pcap\":{\"file\":", l->pcap_file);
	output_json_uint(b, ",\"frame\":", l->pcap_frame);
	output_json_uint(b, ",\"packets\":", l->pcap_packets);
	obuf_putc(b, '}');
}

/* Where a middlebox's RST was made, from here (hopest.h). */
static void json_injector_hop(struct obuf *b, const struct rst_event *e)
{
	struct hop_estimate h;

	hop_estimate(e, &h);
	if (!h.valid)
		return;
	obuf_puts(b, ",\"injector_hop\":");
	if (h.hop > 0)
		obuf_int(b, h.hop);
	else
		obuf_puts(b, "null");
	obuf_puts(b, ",\"injector_hops\":[");
	obuf_int(b, h.lo);
	obuf_putc(b, ',');
	obuf_int(b, h.hi);
	obuf_putc(b, ']');
}

/* The TTL's hop counts, the injector's hop and the RST's delay after its
 * trigger against the round trip (rstdelay.h), if known: the same
 * fields, in the same order, in the legacy and eve events. */
static void json_hops(struct obuf *b, const struct rst_event *e)
{
	if (e->v.hops >= 0) {
		obuf_puts(b, ",\"hops\":");
		obuf_int(b, e->v.hops);
	}
	if (e->v.expected_hops >= 0) {
		obuf_puts(b, ",\"expected_hops\":");
		obuf_int(b, e->v.expected_hops);
	}
	json_injector_hop(b, e);
	if (!e->delay.valid)
		return;
	obuf_puts(b, ",\"rst_delay_ms\":");
	obuf_ms(b, e->delay.delay_us);
	obuf_puts(b, ",\"sender_rtt_ms\":");
	obuf_ms(b, e->delay.rtt_us);
}

/* The legacy event's packet: "ts" to "len", then the verdict. */
static void legacy_packet(struct obuf *b, const struct rst_event *e,
			  const struct output_addrs *a)
{
	const struct pkt *p = &e->p;
	char fl[9], ts[40];

	output_json_name(b, "{\"ts\":", output_time(e->ts_us, ts));
	output_json_name(b, ",\"family\":", p->family == 6 ? "ipv6" : "ipv4");
	output_json_name(b, ",\"src\":", a->src);
	output_json_uint(b, ",\"sport\":", p->sport);
	output_json_name(b, ",\"dst\":", a->dst);
	output_json_uint(b, ",\"dport\":", p->dport);
	output_json_name(b, ",\"flags\":", output_flags(p->flags, fl));
	output_json_uint(b, ",\"seq\":", p->seq);
	output_json_uint(b, ",\"ack\":", p->ack);
	output_json_uint(b, ",\"ttl\":", p->ttl);
	if (p->family == 4) {
		obuf_puts(b, ",\"ipid\":");
		obuf_uint(b, p->ipid);
	}
	output_json_uint(b, ",\"win\":", p->win);
	output_json_uint(b, ",\"len\":", p->payload_len);
	output_json_name(b, ",\"origin\":", origin_names[e->v.origin]);
	output_json_name(b, ",\"cause\":", cause_names[e->v.cause]);
	obuf_puts(b, ",\"confidence\":");
	obuf_fixed2(b, e->v.confidence);
}

static void output_json(const struct output *o, struct obuf *b,
			const struct rst_event *e, const struct output_addrs *a)
{
	char cid[32];

	legacy_packet(b, e, a);
	json_hops(b, e);
	output_json_name(b, ",\"community_id\":", output_community_id(&e->p, cid));
	if (o->file) {
		obuf_puts(b, ",\"frame\":");
		obuf_uint(b, e->frame);
		output_json_key_str(b, ",\"file\":", o->file);
	}
	if (e->live.valid)
		json_live(b, &e->live);
	if (e->flow_evicted)
		obuf_puts(b, ",\"flow_evicted\":true");
	obuf_putc(b, ',');
	output_json_evidence(b, e, a);
	obuf_put(b, "}\n", 2);
}

/* The event's FILE, when its buffer is full and at the event's end. */
static void output_drain(struct obuf *b)
{
	fwrite(b->base, 1, (size_t)(b->p - b->base), b->arg);
	b->p = b->base;
}

/*
 * An event is built in memory and written once (obuf.h).  4 KB holds a
 * live event with room to spare; a longer one drains as it goes.  The
 * addresses are made once: the header and every sentence show them.
 */
void output_event(struct output *o, const struct rst_event *e)
{
	struct output_addrs a;
	char buf[4096];
	struct obuf b;

	o->events++;
	if (e->v.origin < ORIGIN_MAX && e->v.cause < CAUSE_MAX)
		o->by[e->v.origin][e->v.cause]++;
	obuf_init(&b, buf, sizeof(buf), output_drain, o->fp);
	output_addrs(e, &a);
	if (o->fmt == OUT_JSON)
		eve_write(o, &b, e, &a);
	else if (o->fmt == OUT_ECS)
		ecs_write(o, &b, e, &a);
	else if (o->fmt == OUT_LEGACY)
		output_json(o, &b, e, &a);
	else
		text_write(o, &b, e, &a);
	output_drain(&b);
}

void output_summary(struct output *o, uint64_t packets, unsigned files)
{
	unsigned a, c;

	if (o->fmt != OUT_TEXT)
		return;
	fprintf(o->fp, "summary: %llu reset%s in %llu TCP segment%s, %u file%s\n",
		(unsigned long long)o->events, o->events == 1 ? "" : "s",
		(unsigned long long)packets, packets == 1 ? "" : "s", files,
		files == 1 ? "" : "s");
	for (a = 0; a < ORIGIN_MAX; a++)
		for (c = 0; c < CAUSE_MAX; c++)
			if (o->by[a][c])
				fprintf(o->fp, "    %-10s %-10s %llu\n",
					origin_names[a], cause_names[c],
					(unsigned long long)o->by[a][c]);
	if (o->flows_evicted)
		fprintf(o->fp, "incomplete: %llu flow%s evicted from a table of "
			"%u (--max-flows); %llu reset%s judged without their "
			"history\n", (unsigned long long)o->flows_evicted,
			o->flows_evicted == 1 ? "" : "s", o->max_flows,
			(unsigned long long)o->rsts_evicted,
			o->rsts_evicted == 1 ? "" : "s");
}

/* ---- shared with the EVE and ECS writers (eve.c, ecs.c) ------------------ */

const char *const out_format_names[OUT_FORMAT_MAX] = {
	[OUT_TEXT] = "text", [OUT_JSON] = "eve", [OUT_ECS] = "ecs",
	[OUT_LEGACY] = "legacy",
};

int output_format_parse(const char *name, enum out_format *fmt)
{
	int i;

	if (strcmp(name, "json") == 0) {
		*fmt = OUT_JSON;
		return 0;
	}
	for (i = 0; i < OUT_FORMAT_MAX; i++) {
		if (strcmp(name, out_format_names[i]) == 0) {
			*fmt = (enum out_format)i;
			return 0;
		}
	}
	return -1;
}

void output_json_file(FILE *fp, const char *s)
{
	char buf[256];
	struct obuf b;

	obuf_init(&b, buf, sizeof(buf), output_drain, fp);
	output_json_str(&b, s);
	output_drain(&b);
}

void output_addrs(const struct rst_event *e, struct output_addrs *a)
{
	rst_addr(e->p.family, e->p.src, a->src);
	rst_addr(e->p.family, e->p.dst, a->dst);
}

const char *output_sentence(const struct rst_event *e, unsigned i,
			    const struct output_addrs *a, char buf[512])
{
	struct obuf s;

	obuf_init(&s, buf, 512, NULL, NULL);	/* cut as evidence_format() */
	evidence_put(&s, e, &e->v.ev[i], a->src, a->dst);
	obuf_cstr(&s);
	return buf;
}

/* "evidence":[...], the sentences of the verdict. */
void output_json_evidence(struct obuf *b, const struct rst_event *e,
			  const struct output_addrs *a)
{
	char sentence[512];
	unsigned i;

	obuf_puts(b, "\"evidence\":[");
	for (i = 0; i < e->v.n_ev; i++) {
		output_sentence(e, i, a, sentence);
		if (i)
			obuf_putc(b, ',');
		output_json_str(b, sentence);
	}
	if (e->flow_evicted) {
		if (i)
			obuf_putc(b, ',');
		output_json_str(b, OUTPUT_EVICTED_SENTENCE);
	}
	obuf_putc(b, ']');
}

/* The injector's hop and the RST's delay, when known (",key":value...). */
void output_json_extras(struct obuf *b, const struct rst_event *e)
{
	json_hops(b, e);
	if (e->flow_evicted)	/* only then: its history was evicted */
		obuf_puts(b, ",\"flow_evicted\":true");
}

const char *output_action(const struct rst_event *e)
{
	const struct rst_live *l = &e->live;

	if (!l->valid)
		return "allowed";	/* it was on the wire */
	if (strcmp(l->verdict, "drop") == 0 ||
	    (l->pol.valid && l->pol.guarded && l->pol.rule == 0))
		return "blocked";
	if (l->pol.valid && l->pol.would_drop)
		return "would_block";
	return "allowed";
}
