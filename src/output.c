/*
 * output.c: events as text or JSON lines, and the summary (see output.h).
 *
 * Formatting happens once per RST, never per packet.
 */
#include <string.h>
#include <time.h>

#include "hopest.h"
#include "output.h"
#include "policy.h"
#include "sha1.h"

/* The evidence of a RST whose flow the table had evicted (rst.h). */
#define EVICTED_SENTENCE "this connection's earlier packets were evicted " \
	"from the flow table (too many connections at once): judged " \
	"without them"

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

/*
 * A JSON string: valid UTF-8 passes through, but for what JSON or a
 * terminal must not see raw (controls, DEL, C1 controls, U+2028 and
 * U+2029: \uXXXX); a byte that is not UTF-8 becomes the text \xNN.
 */
static void json_str(FILE *fp, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	uint32_t cp;
	size_t n;

	fputc('"', fp);
	while (*s) {
		for (n = 0; s[n] >= 0x20 && s[n] < 0x7f && s[n] != '"' &&
			    s[n] != '\\'; n++)
			;
		fwrite(s, 1, n, fp);	/* the plain ASCII run, whole */
		if (*(s += n) == '\0')
			break;
		if ((n = utf8_len(s, &cp)) == 0) {
			fprintf(fp, "\\\\x%02x", *s++);
			continue;
		}
		if (cp == '"' || cp == '\\')
			fprintf(fp, "\\%c", (int)cp);
		else if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) ||
			 cp == 0x2028 || cp == 0x2029)
			fprintf(fp, "\\u%04x", (unsigned)cp);
		else
			fwrite(s, 1, n, fp);
		s += n;
	}
	fputc('"', fp);
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

static void text_put(FILE *fp, const char *str, int keep_bs)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n;
	char b[5];

	while (*s) {
		/* Runs that need nothing go out whole (once per event, not per byte). */
		for (n = 0; s[n] >= 0x20 && s[n] < 0x7f &&
			    (s[n] != '\\' || keep_bs); n++)
			;
		fwrite(s, 1, n, fp);
		s += n;
		if (*s)
			fputs(text_byte(*s++, keep_bs, b), fp);
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

/* The policy's decision: "policy":{...} (see rstaudit(8), run). */
static void json_policy(FILE *fp, const struct rst_policy *pp)
{
	fprintf(fp, ",\"policy\":{\"mode\":\"%s\",\"rule\":",
		policy_mode_names[pp->mode < POLICY_MODE_MAX ? pp->mode : 0]);
	if (pp->rule)
		fprintf(fp, "%u,\"line\":%u", pp->rule, pp->line);
	else
		fputs("null,\"line\":null", fp);
	fprintf(fp, ",\"action\":\"%s\",\"dry_run\":%s,\"would_drop\":%s,"
		"\"bound\":%s,\"mark\":",
		policy_action_names[pp->action < PA_MAX ? pp->action : 0],
		pp->mode == POLICY_DRY_RUN ? "true" : "false",
		pp->would_drop ? "true" : "false", pp->bound ? "true" : "false");
	if (pp->has_mark)
		fprintf(fp, "%u", pp->mark);
	else
		fputs("null", fp);
	fprintf(fp, ",\"judged\":{\"origin\":\"%s\",\"cause\":\"%s\","
		"\"confidence\":%.2f},\"ct_restored\":%s,\"guarded\":%s,"
		"\"hold\":",
		origin_names[pp->origin < ORIGIN_MAX ? pp->origin : 0],
		cause_names[pp->cause < CAUSE_MAX ? pp->cause : 0],
		pp->confidence, pp->ct_restored ? "true" : "false",
		pp->guarded ? "true" : "false");
	if (pp->held == HOLD_NONE || pp->held >= HOLD_END_MAX) {
		fputs("null}", fp);
		return;
	}
	fprintf(fp, "{\"ms\":%.3f,\"ended\":\"%s\",\"packets\":%u,"
		"\"bytes\":%u,\"changed\":%s}}", pp->held_us / 1e3,
		hold_end_names[pp->held], pp->seen_pkts, pp->seen_data,
		pp->changed ? "true" : "false");
}

static void json_live(FILE *fp, const struct rst_live *l)
{
	fputs(",\"hook\":", fp);
	json_str(fp, l->hook_name);
	fputs(",\"in\":", fp);
	json_str(fp, l->in);
	fputs(",\"out\":", fp);
	json_str(fp, l->out);
	output_json_ct(fp, "ct", l);
	fputs(",\"verdict\":", fp);
	json_str(fp, l->verdict);
	if (l->pol.valid)
		json_policy(fp, &l->pol);
	output_json_evpcap(fp, l);
}

/*
 * ,"KEY":{state, id, invalid, source} or null: conntrack's view of the
 * flow, and where it came from (the packet's NFQA_CT, or a lookup).
 */
void output_json_ct(FILE *fp, const char *key, const struct rst_live *l)
{
	static const char *const source[CT_SOURCE_MAX] = {
		[CT_SOURCE_LOOKUP] = "lookup",
		[CT_SOURCE_QUEUE] = "queue",
		[CT_SOURCE_EVENTS] = "events",
	};

	if (l->ct_known) {
		fprintf(fp, ",\"%s\":{\"state\":", key);
		json_str(fp, l->ct_state);
		fprintf(fp, ",\"id\":%u,\"invalid\":%s,\"source\":\"%s\"}",
			l->ct_id, l->ct_invalid < 0 ? "null" :
			l->ct_invalid ? "true" : "false",
			source[l->ct_source < CT_SOURCE_MAX ? l->ct_source : 0]);
	} else {
		fprintf(fp, ",\"%s\":null", key);
	}
}

/* ,"evidence_pcap":{file, frame, packets} or null. */
void output_json_evpcap(FILE *fp, const struct rst_live *l)
{
	if (l->pcap_file != NULL) {
		fputs(",\"evidence_pcap\":{\"file\":", fp);
		json_str(fp, l->pcap_file);
		fprintf(fp, ",\"frame\":%u,\"packets\":%u}", l->pcap_frame,
			l->pcap_packets);
	} else {
		fputs(",\"evidence_pcap\":null", fp);
	}
}

/* " rule 2 drop", " rule 1 would drop (dry-run)", " no rule", ... */
static void text_policy(FILE *fp, const struct rst_policy *pp)
{
	if (pp->rule == 0 && pp->guarded)
		fprintf(fp, " policy %s: dropped in the kernel by the guard",
			policy_mode_names[pp->mode]);
	else if (pp->rule == 0)
		fprintf(fp, " policy %s: no rule", policy_mode_names[pp->mode]);
	else
		fprintf(fp, " policy %s: rule %u (line %u) %s%s%s",
			policy_mode_names[pp->mode], pp->rule, pp->line,
			pp->would_drop ? "would " : "",
			policy_action_names[pp->action],
			pp->bound ? ", stopped by max_drops_per_flow" : "");
	if (pp->has_mark)
		fprintf(fp, " mark 0x%x", pp->mark);
	if (pp->guarded && pp->rule != 0)
		fputs(", its kind dropped in the kernel from now on", fp);
	if (pp->held != HOLD_NONE && pp->held < HOLD_END_MAX)
		fprintf(fp, "; held %.1f ms until %s, saw %u packets%s",
			pp->held_us / 1e3, hold_end_names[pp->held],
			pp->seen_pkts, pp->changed ? ", changed the decision" : "");
}

/* Where a middlebox's RST was made, from here (hopest.h). */
static void json_injector_hop(FILE *fp, const struct rst_event *e)
{
	struct hop_estimate h;

	hop_estimate(e, &h);
	if (!h.valid)
		return;
	if (h.hop > 0)
		fprintf(fp, ",\"injector_hop\":%d", h.hop);
	else
		fputs(",\"injector_hop\":null", fp);
	fprintf(fp, ",\"injector_hops\":[%d,%d]", h.lo, h.hi);
}

/* The RST's delay after its trigger, against the round trip (rstdelay.h). */
static void json_delay(FILE *fp, const struct rst_event *e)
{
	if (!e->delay.valid)
		return;
	fprintf(fp, ",\"rst_delay_ms\":%.3f,\"sender_rtt_ms\":%.3f",
		e->delay.delay_us / 1e3, e->delay.rtt_us / 1e3);
}

/* The TTL's hop counts, the injector's hop and the RST's delay, if known:
 * the same fields, in the same order, in the legacy and eve events. */
static void json_hops(FILE *fp, const struct rst_event *e)
{
	if (e->v.hops >= 0)
		fprintf(fp, ",\"hops\":%d", e->v.hops);
	if (e->v.expected_hops >= 0)
		fprintf(fp, ",\"expected_hops\":%d", e->v.expected_hops);
	json_injector_hop(fp, e);
	json_delay(fp, e);
}

static void output_json(struct output *o, const struct rst_event *e)
{
	const struct pkt *p = &e->p;
	char src[RST_ADDRSTRLEN], dst[RST_ADDRSTRLEN], fl[9], ts[40], cid[32];
	FILE *fp = o->fp;

	fprintf(fp, "{\"ts\":\"%s\",\"family\":\"%s\",\"src\":\"%s\","
		"\"sport\":%u,\"dst\":\"%s\",\"dport\":%u,\"flags\":\"%s\","
		"\"seq\":%u,\"ack\":%u,\"ttl\":%u,",
		output_time(e->ts_us, ts), p->family == 6 ? "ipv6" : "ipv4",
		rst_addr(p->family, p->src, src), p->sport,
		rst_addr(p->family, p->dst, dst), p->dport,
		output_flags(p->flags, fl), p->seq, p->ack, p->ttl);
	if (p->family == 4)
		fprintf(fp, "\"ipid\":%u,", p->ipid);
	fprintf(fp, "\"win\":%u,\"len\":%u,\"origin\":\"%s\",\"cause\":\"%s\","
		"\"confidence\":%.2f", p->win, p->payload_len,
		origin_names[e->v.origin], cause_names[e->v.cause],
		e->v.confidence);
	json_hops(fp, e);
	fprintf(fp, ",\"community_id\":\"%s\"", output_community_id(p, cid));
	if (o->file) {
		fprintf(fp, ",\"frame\":%llu,\"file\":", (unsigned long long)e->frame);
		json_str(fp, o->file);
	}
	if (e->live.valid)
		json_live(fp, &e->live);
	if (e->flow_evicted)
		fputs(",\"flow_evicted\":true", fp);
	fputc(',', fp);
	output_json_evidence(fp, e);
	fputs("}\n", fp);
}

/* addr:port, [addr]:port for IPv6, at o: the end. */
static char *endpoint_put(char *o, const struct pkt *p, const uint8_t *a,
			  uint16_t port)
{
	char addr[RST_ADDRSTRLEN];

	if (p->family == 6)
		*o++ = '[';
	o = output_put_str(o, rst_addr(p->family, a, addr));
	if (p->family == 6)
		*o++ = ']';
	*o++ = ':';
	return output_put_uint(o, port);
}

/* " hook forward in eth0 out eth1 ct ESTABLISHED verdict accept ...", escaped. */
static void text_live(FILE *fp, const struct rst_live *l)
{
	static const char *const label[] = { " hook ", " in ", " out ", " ct ",
					     " verdict " };
	const char *val[] = { l->hook_name, l->in[0] ? l->in : "-",
			      l->out[0] ? l->out : "-",
			      l->ct_known ? l->ct_state : "none", l->verdict };
	size_t i;

	for (i = 0; i < sizeof(val) / sizeof(val[0]); i++) {
		fputs(label[i], fp);
		text_put(fp, val[i], 0);
	}
	if (l->pcap_file != NULL) {
		fputs(" pcap ", fp);
		text_put(fp, l->pcap_file, 0);
		fprintf(fp, " frame %u (%u packets)", l->pcap_frame,
			l->pcap_packets);
	}
	if (l->pol.valid)
		text_policy(fp, &l->pol);
}

static void output_text(struct output *o, const struct rst_event *e)
{
	const struct pkt *p = &e->p;
	char fl[9], ts[40], sentence[512], line[320], *l = line;
	FILE *fp = o->fp;
	unsigned i;

	if (o->file) {
		text_put(fp, o->file, 0);
		*l++ = ':';
		l = output_put_uint(l, e->frame);
		*l++ = ' ';
	}
	/* 22 + 39 + 2 * 53 + 8 + 3 * 10 + 2 * 9 + 24 bytes at most: < 250. */
	l = output_put_str(l, output_time(e->ts_us, ts));
	*l++ = ' ';
	l = endpoint_put(l, p, p->src, p->sport);
	l = output_put_str(l, " > ");
	l = endpoint_put(l, p, p->dst, p->dport);
	*l++ = ' ';
	l = output_put_str(l, output_flags(p->flags, fl));
	l = output_put_str(l, " seq ");
	l = output_put_uint(l, p->seq);
	l = output_put_str(l, " ack ");
	l = output_put_uint(l, p->ack);
	l = output_put_str(l, " ttl ");
	l = output_put_uint(l, p->ttl);
	l = output_put_str(l, ": ");
	l = output_put_str(l, origin_names[e->v.origin]);
	*l++ = ' ';
	l = output_put_str(l, cause_names[e->v.cause]);
	fwrite(line, 1, (size_t)(l - line), fp);
	fprintf(fp, " (confidence %.2f)", e->v.confidence);
	if (e->live.valid)
		text_live(fp, &e->live);
	fputc('\n', fp);
	for (i = 0; i < e->v.n_ev; i++) {
		evidence_format(e, &e->v.ev[i], sentence, sizeof(sentence));
		fputs("    ", fp);
		text_put(fp, sentence, 1);
		fputc('\n', fp);
	}
	if (e->flow_evicted)
		fprintf(fp, "    %s\n", EVICTED_SENTENCE);
}

void output_event(struct output *o, const struct rst_event *e)
{
	o->events++;
	if (e->v.origin < ORIGIN_MAX && e->v.cause < CAUSE_MAX)
		o->by[e->v.origin][e->v.cause]++;
	if (o->fmt == OUT_JSON)
		eve_write(o, e);
	else if (o->fmt == OUT_ECS)
		ecs_write(o, e);
	else if (o->fmt == OUT_LEGACY)
		output_json(o, e);
	else
		output_text(o, e);
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

void output_json_str(FILE *fp, const char *s)
{
	json_str(fp, s);
}

void output_json_policy(FILE *fp, const struct rst_policy *pp)
{
	json_policy(fp, pp);
}

/* "evidence":[...], the sentences of the verdict. */
void output_json_evidence(FILE *fp, const struct rst_event *e)
{
	char sentence[512];
	unsigned i;

	fputs("\"evidence\":[", fp);
	for (i = 0; i < e->v.n_ev; i++) {
		evidence_format(e, &e->v.ev[i], sentence, sizeof(sentence));
		if (i)
			fputc(',', fp);
		json_str(fp, sentence);
	}
	if (e->flow_evicted) {
		if (i)
			fputc(',', fp);
		json_str(fp, EVICTED_SENTENCE);
	}
	fputc(']', fp);
}

/* The injector's hop and the RST's delay, when known (",key":value...). */
void output_json_extras(FILE *fp, const struct rst_event *e)
{
	json_hops(fp, e);
	if (e->flow_evicted)	/* only then: its history was evicted */
		fputs(",\"flow_evicted\":true", fp);
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
