/*
 * test_output.c: flags, times, Community ID, the JSON lines: EVE (the
 * default), ECS and the legacy keys, and the scan for bytes to escape.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"
#include "output.h"
#include "policy.h"
#include "t.h"

static void test_flags(void)
{
	char b[9];

	CHECK_STR(output_flags(TH_RST | TH_ACK, b), "RA");
	CHECK_STR(output_flags(TH_RST, b), "R");
	CHECK_STR(output_flags(TH_SYN | TH_ACK, b), "SA");
	CHECK_STR(output_flags(0xff, b), "SFRPAUEC");
}

static void test_time(void)
{
	char b[40];

	CHECK_STR(output_time(1231989071582211ull, b), "2009-01-15T03:11:11.582211Z");
	CHECK_STR(output_time(0, b), "1970-01-01T00:00:00.000000Z");
	/* The second is kept between calls: in it, out of it, back again. */
	CHECK_STR(output_time(1231989071000007ull, b), "2009-01-15T03:11:11.000007Z");
	CHECK_STR(output_time_zone(1231989071999999ull, b, "+0000"),
		  "2009-01-15T03:11:11.999999+0000");
	CHECK_STR(output_time(1231989072000000ull, b), "2009-01-15T03:11:12.000000Z");
	CHECK_STR(output_time(1231989071582211ull, b), "2009-01-15T03:11:11.582211Z");
	CHECK_STR(output_time_zone(1231989071582211ull, b, "+00:00 (a zone too long)"),
		  "2009-01-15T03:11:11.582211+00:00 (a zon");
}

/*
 * Addresses as inet_ntop() writes them, which rst_addr() does by hand:
 * every pattern of zero groups (where "::" goes, the first longest run
 * winning), IPv4-mapped and -compatible forms, group widths, and random
 * addresses besides.
 */
static void test_addr(void)
{
	static const uint16_t vals[] = { 1, 0xf, 0x10, 0xab, 0x100, 0xfff,
					 0x1000, 0xffff };
	uint8_t a[16];
	char want[INET6_ADDRSTRLEN], got[RST_ADDRSTRLEN];
	unsigned pat, v, i, bad = 0, seed = 1;

	for (pat = 0; pat < 256; pat++) {
		for (v = 0; v < sizeof(vals) / sizeof(vals[0]); v++) {
			for (i = 0; i < 8; i++) {
				uint16_t w = pat >> i & 1 ? vals[(v + i) % 8] : 0;

				a[2 * i] = (uint8_t)(w >> 8), a[2 * i + 1] = (uint8_t)w;
			}
			inet_ntop(AF_INET6, a, want, sizeof(want));
			bad += strcmp(want, rst_addr(6, a, got)) != 0;
			if (pat == 0x40 || pat == 0xc0) {	/* word 5 0xffff: mapped */
				a[10] = a[11] = 0xff;
				inet_ntop(AF_INET6, a, want, sizeof(want));
				bad += strcmp(want, rst_addr(6, a, got)) != 0;
			}
		}
	}
	for (v = 0; v < 100000; v++) {
		for (i = 0; i < 16; i++) {
			seed = seed * 1103515245u + 12345u;
			/* Mostly zero bytes, so that runs of zero groups come up. */
			a[i] = (seed >> 16) % 3 ? 0 : (uint8_t)(seed >> 24);
		}
		inet_ntop(AF_INET6, a, want, sizeof(want));
		bad += strcmp(want, rst_addr(6, a, got)) != 0;
		inet_ntop(AF_INET, a, want, sizeof(want));
		bad += strcmp(want, rst_addr(4, a, got)) != 0;
	}
	CHECK_EQ(bad, 0);
	CHECK_STR(rst_addr(6, (const uint8_t *)"\0\0\0\0\0\0\0\0\0\0\xff\xff\x0a\0\0\x01", got),
		  "::ffff:10.0.0.1");
}

/* The example in the Community ID specification. */
static void test_community_id(void)
{
	struct pkt p = fx_pkt("128.232.110.120", 34855, "66.35.250.204", 80, TH_RST, 0, 0, 64, 0, 0);
	struct pkt q = fx_pkt("66.35.250.204", 80, "128.232.110.120", 34855, TH_RST, 0, 0, 64, 0, 0);
	char b[32];

	CHECK_STR(output_community_id(&p, b), "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
	CHECK_STR(output_community_id(&q, b), "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
}

static void test_json_line(void)
{
	struct rst_event e;
	struct output o;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	memset(&e, 0, sizeof(e));
	e.p = fx_pkt("10.0.3.2", 80, "10.0.1.2", 40000, TH_RST | TH_ACK, 0, 1001, 62, 0, 0);
	e.p.payload = e.payload;
	e.frame = 7;
	e.ts_us = 1000000;
	e.v.origin = ORIGIN_ENDPOINT, e.v.cause = CAUSE_REFUSED;
	e.v.confidence = 0.9f, e.v.hops = 2, e.v.expected_hops = 2;
	e.v.n_ev = 1, e.v.ev[0].kind = EV_ANSWERS_SYN;
	output_init(&o, fp, OUT_LEGACY);
	o.file = "a \"b\".pcap";
	output_event(&o, &e);
	fclose(fp);
	CHECK(strstr(buf, "{\"ts\":\"1970-01-01T00:00:01.000000Z\",\"family\":\"ipv4\","
			  "\"src\":\"10.0.3.2\",\"sport\":80,\"dst\":\"10.0.1.2\",\"dport\":40000,"
			  "\"flags\":\"RA\",\"seq\":0,\"ack\":1001,\"ttl\":62,") == buf);
	CHECK(strstr(buf, "\"origin\":\"endpoint\",\"cause\":\"refused\",\"confidence\":0.90") != NULL);
	CHECK(strstr(buf, "\"hops\":2,\"expected_hops\":2") != NULL);
	CHECK(strstr(buf, "\"frame\":7,\"file\":\"a \\\"b\\\".pcap\"") != NULL);
	CHECK(strstr(buf, "\"evidence\":[\"answers 10.0.1.2's SYN; no SYN/ACK came before it\"]}\n") != NULL);
	CHECK_EQ(o.by[ORIGIN_ENDPOINT][CAUSE_REFUSED], 1);
	free(buf);
}

/* A live event: an injected RST the policy dropped, on a forward hook. */
static void live_event(struct rst_event *e)
{
	memset(e, 0, sizeof(*e));
	e->p = fx_pkt("10.0.3.2", 80, "10.0.1.2", 40000, TH_RST, 5, 0, 61, 0, 0);
	e->p.payload = e->payload;
	e->ts_us = 1000000;
	e->v.origin = ORIGIN_MIDDLEBOX, e->v.cause = CAUSE_INJECTED;
	e->v.confidence = 0.95f, e->v.hops = 3, e->v.expected_hops = 6;
	e->live.valid = 1;
	snprintf(e->live.hook_name, sizeof(e->live.hook_name), "forward");
	snprintf(e->live.in, sizeof(e->live.in), "wan0");
	snprintf(e->live.out, sizeof(e->live.out), "lan0");
	snprintf(e->live.verdict, sizeof(e->live.verdict), "drop");
	snprintf(e->live.ct_state, sizeof(e->live.ct_state), "ESTABLISHED");
	e->live.ct_known = 1, e->live.ct_id = 4242;	/* source lookup */
	e->live.ct_invalid = 0;
	e->live.pol.valid = 1, e->live.pol.mode = POLICY_ENFORCE;
	e->live.pol.rule = 2, e->live.pol.line = 5, e->live.pol.action = PA_DROP;
}

static char *write_event(enum out_format fmt, const char *host,
			 const struct rst_event *e)
{
	struct output o;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	output_init(&o, fp, fmt);
	o.host = host;
	output_event(&o, e);
	fclose(fp);
	return buf;
}

static void test_eve_line(void)
{
	struct rst_event e;
	char *buf;

	live_event(&e);
	buf = write_event(OUT_JSON, "gw1", &e);
	CHECK(strstr(buf, "{\"timestamp\":\"1970-01-01T00:00:01.000000+0000\","
		     "\"flow_id\":4242,\"event_type\":\"rst\",\"host\":\"gw1\","
		     "\"in_iface\":\"wan0\",\"out_iface\":\"lan0\","
		     "\"src_ip\":\"10.0.3.2\",\"src_port\":80,"
		     "\"dest_ip\":\"10.0.1.2\",\"dest_port\":40000,"
		     "\"proto\":\"TCP\",\"ip_v\":4,\"community_id\":\"1:") == buf);
	CHECK(strstr(buf, ",\"rst\":{\"origin\":\"middlebox\",\"cause\":"
		     "\"injected\",\"confidence\":0.95,\"hops\":3,"
		     "\"expected_hops\":6,\"injector_hop\":4,") != NULL);
	CHECK(strstr(buf, "\"action\":\"blocked\",\"hook\":\"forward\","
		     "\"verdict\":\"drop\",\"evidence\":[]},\"conntrack\":{"
		     "\"state\":\"ESTABLISHED\",\"id\":4242,\"invalid\":false,"
		     "\"source\":\"lookup\"},"
		     "\"policy\":{\"mode\":\"enforce\",\"rule\":2,") != NULL);
	CHECK(strstr(buf, ",\"evidence_pcap\":null}\n") != NULL);
	free(buf);
	/* dry-run: the policy would have dropped it; it went through. */
	snprintf(e.live.verdict, sizeof(e.live.verdict), "accept");
	e.live.pol.would_drop = 1;
	buf = write_event(OUT_JSON, NULL, &e);
	CHECK(strstr(buf, "\"action\":\"would_block\"") != NULL);
	CHECK(strstr(buf, "\"host\"") == NULL);
	free(buf);
}

/*
 * Facts from the table's notes (conntrack_view table): no id, so no
 * flow_id; a RST conntrack did not take has no state either.  The text
 * says "invalid" there, never a state conntrack did not give.
 */
static void test_table_facts(void)
{
	struct rst_event e;
	char *buf;

	live_event(&e);
	e.live.ct_source = CT_SOURCE_TABLE;
	snprintf(e.live.ct_state, sizeof(e.live.ct_state), "CLOSE");
	buf = write_event(OUT_JSON, NULL, &e);
	CHECK(strstr(buf, "\"flow_id\"") == NULL);
	CHECK(strstr(buf, ",\"conntrack\":{\"state\":\"CLOSE\",\"invalid\":false,"
		     "\"source\":\"table\"},") != NULL);
	free(buf);
	e.live.ct_state[0] = '\0', e.live.ct_invalid = 1;
	buf = write_event(OUT_JSON, NULL, &e);
	CHECK(strstr(buf, ",\"conntrack\":{\"invalid\":true,"
		     "\"source\":\"table\"},") != NULL);
	free(buf);
	buf = write_event(OUT_TEXT, NULL, &e);
	CHECK(strstr(buf, " ct invalid ") != NULL);
	free(buf);
	e.live.ct_known = 0;
	buf = write_event(OUT_JSON, NULL, &e);
	CHECK(strstr(buf, ",\"conntrack\":null,") != NULL);
	free(buf);
}

static void test_ecs_line(void)
{
	struct rst_event e;
	char *buf;

	live_event(&e);
	buf = write_event(OUT_ECS, "gw1", &e);
	CHECK(strstr(buf, "{\"@timestamp\":\"1970-01-01T00:00:01.000000Z\","
		     "\"ecs\":{\"version\":\"") == buf);
	CHECK(strstr(buf, "\"event\":{\"kind\":\"alert\",\"category\":"
		     "[\"network\"],\"type\":[\"connection\",\"end\",\"denied\"],"
		     "\"action\":\"tcp-reset\",\"reason\":\"middlebox injected\"")
	      != NULL);
	CHECK(strstr(buf, "\"source\":{\"ip\":\"10.0.3.2\",\"port\":80},"
		     "\"destination\":{\"ip\":\"10.0.1.2\",\"port\":40000},"
		     "\"network\":{\"transport\":\"tcp\",\"type\":\"ipv4\"") != NULL);
	CHECK(strstr(buf, "\"hostname\":\"gw1\",\"ingress\":{\"interface\":"
		     "{\"name\":\"wan0\"}},\"egress\":{\"interface\":{\"name\":"
		     "\"lan0\"}}},\"rule\":{\"id\":\"2\",\"ruleset\":\"enforce\","
		     "\"name\":\"line 5\"}") != NULL);
	free(buf);
	e.v.origin = ORIGIN_ENDPOINT;
	snprintf(e.live.verdict, sizeof(e.live.verdict), "accept");
	buf = write_event(OUT_ECS, "gw1", &e);
	CHECK(strstr(buf, "\"kind\":\"event\",\"category\":[\"network\"],"
		     "\"type\":[\"connection\",\"end\"],") != NULL);
	free(buf);
}

static void test_format_names(void)
{
	enum out_format f = OUT_TEXT;

	CHECK_EQ(output_format_parse("json", &f), 0);
	CHECK_EQ(f, OUT_JSON);
	CHECK_EQ(output_format_parse("eve", &f), 0);
	CHECK_EQ(f, OUT_JSON);
	CHECK_EQ(output_format_parse("ecs", &f), 0);
	CHECK_EQ(f, OUT_ECS);
	CHECK_EQ(output_format_parse("legacy", &f), 0);
	CHECK_EQ(f, OUT_LEGACY);
	CHECK_EQ(output_format_parse("xml", &f), -1);
}

/*
 * An event longer than the writer's 4 KB buffer (sixteen sentences of
 * escaped payload) comes out whole, each sentence once, in every format.
 */
static void test_long_event(void)
{
	enum out_format f;
	struct rst_event e;
	char *buf, *s;
	unsigned i, n;

	live_event(&e);
	e.p.payload_len = e.p.payload_caplen = RST_PAYLOAD_KEEP;
	for (i = 0; i < RST_PAYLOAD_KEEP; i++)
		e.payload[i] = (uint8_t)(i % 3 ? 0x80 + i : '"');
	e.v.n_ev = VERDICT_MAX_EV;
	for (i = 0; i < VERDICT_MAX_EV; i++)
		e.v.ev[i].kind = EV_PAYLOAD, e.v.ev[i].a = 1000 + i;
	for (f = 0; f < OUT_FORMAT_MAX; f++) {
		buf = write_event(f, "gw1", &e);
		CHECK(strlen(buf) > 4096);	/* past one buffer */
		for (n = 0, s = buf; (s = strstr(s, "carries 10")) != NULL; s++)
			n++;
		CHECK_EQ(n, VERDICT_MAX_EV);
		CHECK(strstr(buf, "carries 1015 bytes") != NULL);
		CHECK(strchr(buf, '\n') == buf + strlen(buf) - 1 ||
		      f == OUT_TEXT);
		free(buf);
	}
}

/* The byte loop output_plain_len() replaces. */
static size_t plain_ref(const unsigned char *s, size_t n, unsigned char q1,
			unsigned char q2)
{
	size_t i = 0;

	while (i < n && s[i] >= 0x20 && s[i] < 0x7f && s[i] != q1 && s[i] != q2)
		i++;
	return i;
}

/* The stops the writers use: JSON's, text's, text's keeping backslashes. */
static const unsigned char plain_q[3][2] = { { '"', '\\' }, { '\\', '\\' },
					     { 0, 0 } };

/*
 * s[0..n) as the byte loop says, for every pair of stops (s ends with
 * its block: ASan sees a read past it).
 */
static void plain_check(const unsigned char *s, size_t n)
{
	unsigned q;

	for (q = 0; q < 3; q++) {
		size_t got = output_plain_len((const char *)s, n, plain_q[q][0],
					      plain_q[q][1]);

		if (got != plain_ref(s, n, plain_q[q][0], plain_q[q][1])) {
			fprintf(stderr, "plain_len n %zu stops %u: %zu\n", n, q,
				got);
			t_failed_checks++;
		}
	}
}

/*
 * Every byte at every position of every length to 40, at each of eight
 * alignments, among plain bytes; then random strings, special bytes
 * often, at random alignments and lengths.
 */
static void test_plain_len(void)
{
	unsigned char *blk, *s;
	size_t a, n, pos, i;
	unsigned c, k;

	for (a = 0; a < 8; a++) {
		for (n = 0; n <= 40; n++) {
			if ((blk = malloc(a + n + 1)) == NULL)
				return;
			s = blk + 1 + a;	/* ends with the block */
			memset(s, 'a', n);
			plain_check(s, n);
			for (pos = 0; pos < n; pos++) {
				for (c = 0; c < 256; c++) {
					s[pos] = (unsigned char)c;
					plain_check(s, n);
				}
				s[pos] = 'a';
			}
			free(blk);
		}
	}
	for (k = 0; k < 200000; k++) {
		a = t_rnd() % 8, n = t_rnd() % 100;
		if ((blk = malloc(a + n + 1)) == NULL)
			return;
		s = blk + 1 + a;	/* ends with the block */
		for (i = 0; i < n; i++)		/* one in 32 anything */
			s[i] = (unsigned char)(t_rnd() % 32 ?
					       0x20 + t_rnd() % 0x5f :
					       t_rnd() % 256);
		plain_check(s, n);
		free(blk);
	}
}

/* Escapes next to the word edges, and UTF-8 cut short at the end. */
static void test_json_str(void)
{
	static const char *const cases[][2] = {
		{ "", "\"\"" },
		{ "abcdefg\"", "\"abcdefg\\\"\"" },
		{ "abcdefgh\\ijklmnop\x01", "\"abcdefgh\\\\ijklmnop\\u0001\"" },
		{ "abcdefg\xe2\x80", "\"abcdefg\\\\xe2\\\\x80\"" },
		{ "caf\xc3\xa9 \xe2\x80\xa8.\x7f",
		  "\"caf\xc3\xa9 \\u2028.\\u007f\"" },
		{ "0123456789abcdef\xff", "\"0123456789abcdef\\\\xff\"" },
	};
	char buf[128];
	struct obuf b;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		obuf_init(&b, buf, sizeof(buf), NULL, NULL);
		output_json_str(&b, cases[i][0]);
		obuf_cstr(&b);
		CHECK_STR(buf, cases[i][1]);
	}
	obuf_init(&b, buf, sizeof(buf), NULL, NULL);
	output_text_str(&b, "abcdefgh\\\x1b[0m", 0);
	output_text_str(&b, "|abcdefgh\\x41", 1);
	obuf_cstr(&b);
	CHECK_STR(buf, "abcdefgh\\\\\\x1b[0m|abcdefgh\\x41");
}

int main(void)
{
	T_RUN(test_flags);
	T_RUN(test_time);
	T_RUN(test_addr);
	T_RUN(test_community_id);
	T_RUN(test_json_line);
	T_RUN(test_eve_line);
	T_RUN(test_table_facts);
	T_RUN(test_ecs_line);
	T_RUN(test_format_names);
	T_RUN(test_long_event);
	T_RUN(test_plain_len);
	T_RUN(test_json_str);
	return T_END("test_output");
}
