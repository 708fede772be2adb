/*
 * bench/fmt.c: what formatting one reset event costs the writer thread,
 * per output format (output_event() into a FILE on /dev/null).
 *
 *	make bench/fmt && ./bench/fmt [-d FILE]
 *
 * The events are the engine's verdicts on the golden captures
 * (the captures in tests/golden, run from the top of the tree), each twice: as
 * `analyze` writes it (a capture file name, no live facts) and as the
 * daemon does (host, interfaces, conntrack, hook, verdict, policy with a
 * hold, evidence file), plus a few with the longest names and bytes that
 * need escaping.  Prints ns per event for each format, best of 3.
 * -d FILE writes one pass of every format there instead: two builds'
 * files must be byte for byte the same (cmp).
 */
#include <glob.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tests/unit/fixtures.h"
#include "clk.h"
#include "engine.h"
#include "output.h"
#include "pcapin.h"
#include "policy.h"

#define MAX_EVENTS 4096
#define ROUNDS	3

static struct rst_event events[MAX_EVENTS];
static unsigned n_events;

static void keep(struct rst_event *e, void *arg)
{
	(void)arg;
	if (n_events < MAX_EVENTS) {
		events[n_events] = *e;
		events[n_events].p.payload = events[n_events].payload;
		n_events++;
	}
}

/* Every verdict the engine gives on one capture. */
static void load(const char *path)
{
	struct engine_conf c;
	struct engine *eng;
	struct pcapin_stats st;
	char err[PCAP_ERRBUF_SIZE], name[64];
	enum link_type lt;
	long off;
	pcap_t *p = pcap_open_offline(path, err);

	if (p == NULL)
		return;
	engine_conf_default(&c);
	c.max_flows = 4096, c.max_hosts = 4096, c.max_held = 256;
	if (pcapin_link(p, &lt, name) == 0 &&
	    (eng = engine_new(&c, keep, NULL)) != NULL) {
		memset(&st, 0, sizeof(st));
		(void)pcapin_run(p, lt, eng, &st, err, sizeof(err), &off);
		engine_flush(eng);
		engine_free(eng);
	}
	pcap_close(p);
}

/* The daemon's facts on event e, varied by its number i. */
static void make_live(struct rst_event *e, unsigned i)
{
	static const char *const hooks[] = { "forward", "input", "output",
					     "prerouting" };
	struct rst_live *l = &e->live;

	memset(l, 0, sizeof(*l));
	l->valid = 1;
	snprintf(l->hook_name, sizeof(l->hook_name), "%s", hooks[i % 4]);
	snprintf(l->in, sizeof(l->in), i % 5 ? "enp3s0f%u" : "", i % 4);
	snprintf(l->out, sizeof(l->out), i % 3 ? "wan%u" : "", i % 2);
	l->ct_known = i % 7 != 0, l->ct_source = (uint8_t)(i % CT_SOURCE_MAX);
	l->ct_invalid = (int8_t)(i % 3) - 1, l->ct_id = 3000000000u + i * 7919;
	snprintf(l->ct_state, sizeof(l->ct_state), "ESTABLISHED");
	snprintf(l->verdict, sizeof(l->verdict), i % 2 ? "drop" : "accept");
	if (i % 2)
		l->pcap_file = "/var/lib/rstaudit/evidence-20240611T101500.pcapng";
	l->pcap_frame = 100000 + i, l->pcap_packets = 3 + i % 40;
	l->pol.valid = i % 4 != 3;
	l->pol.mode = (uint8_t)(i % POLICY_MODE_MAX);
	l->pol.rule = (uint16_t)(i % 3), l->pol.line = 10 + i % 50;
	l->pol.action = (uint8_t)(i % PA_MAX), l->pol.would_drop = i % 5 == 1;
	l->pol.has_mark = i % 6 == 0, l->pol.mark = 0x5a0000 + i;
	l->pol.origin = e->v.origin, l->pol.cause = e->v.cause;
	l->pol.confidence = e->v.confidence, l->pol.guarded = i % 9 == 0;
	l->pol.held = (uint8_t)(i % HOLD_END_MAX);
	l->pol.held_us = 1234 * i + i % 1000, l->pol.seen_pkts = i % 4;
	l->pol.seen_data = 1448 * (i % 3), l->pol.changed = i % 8 == 2;
	if (i % 3 == 0) {
		e->delay.valid = 1;
		e->delay.delay_us = 37 * i + 1, e->delay.rtt_us = 20000 + 13 * i;
	}
}

/* The worst names: full length, and bytes every format must escape. */
static void add_odd(void)
{
	static const char *const names[] = {
		"a\"b\\c\x01\x7f\xc3\xa9", "\xe2\x80\xa8\xff\xfe\t\n",
		"eth0.4094@br-lan",
	};
	unsigned i;

	for (i = 0; i < 3 && n_events > 0 && n_events < MAX_EVENTS; i++) {
		struct rst_event *e = &events[n_events];

		*e = events[i * 7 % n_events];
		e->p.payload = e->payload;
		make_live(e, i + 1);
		snprintf(e->live.in, sizeof(e->live.in), "%s", names[i]);
		snprintf(e->live.out, sizeof(e->live.out), "%s", names[2 - i]);
		e->v.confidence = i == 0 ? 0.125f : i == 1 ? 0.995f : 0.1f;
		e->flow_evicted = 1;
		n_events++;
	}
}

/* Events [from, to) as fmt, into fp, with the capture name or the host. */
static void format(FILE *fp, enum out_format fmt, unsigned from, unsigned to,
		   int live)
{
	struct output o;
	unsigned i;

	output_init(&o, fp, fmt);
	o.file = live ? NULL : "scenario-\"gfw\"\\caf\xc3\xa9.pcap";
	o.host = live ? "gw-edge-01.example.net" : NULL;
	for (i = from; i < to; i++)
		output_event(&o, &events[i]);
}

static double ns_per_event(FILE *fp, enum out_format fmt, unsigned from,
			   unsigned to, int live, unsigned reps)
{
	double best = 1e30, t;
	unsigned r, k;

	for (r = 0; r < ROUNDS; r++) {
		t = clk_mono_s();
		for (k = 0; k < reps; k++)
			format(fp, fmt, from, to, live);
		fflush(fp);
		t = (clk_mono_s() - t) * 1e9 / ((double)reps * (to - from));
		if (t < best)
			best = t;
	}
	return best;
}

int main(int argc, char **argv)
{
	glob_t g;
	size_t i;
	unsigned n_off, f;
	FILE *fp;

	if (glob("tests/golden/*.pcap*", 0, NULL, &g) != 0) {
		fprintf(stderr, "fmt: no tests/golden/*.pcap: run from the top\n");
		return 1;
	}
	for (i = 0; i < g.gl_pathc; i++)
		load(g.gl_pathv[i]);
	globfree(&g);
	n_off = n_events;
	for (f = 0; f < n_off && n_events < MAX_EVENTS; f++) {
		events[n_events] = events[f];
		events[n_events].p.payload = events[n_events].payload;
		make_live(&events[n_events], f);
		n_events++;
	}
	add_odd();
	if (argc == 3 && strcmp(argv[1], "-d") == 0) {
		if ((fp = fopen(argv[2], "w")) == NULL) {
			perror(argv[2]);
			return 1;
		}
		for (f = 0; f < OUT_FORMAT_MAX; f++) {
			format(fp, (enum out_format)f, 0, n_off, 0);
			format(fp, (enum out_format)f, n_off, n_events, 1);
		}
		return fclose(fp) == 0 ? 0 : 1;
	}
	if ((fp = fopen("/dev/null", "w")) == NULL)
		return 1;
	printf("%u events offline, %u live; ns per event, best of %d\n",
	       n_off, n_events - n_off, ROUNDS);
	printf("%-8s %10s %10s\n", "format", "offline", "live");
	for (f = 0; f < OUT_FORMAT_MAX; f++)
		printf("%-8s %10.0f %10.0f\n", out_format_names[f],
		       ns_per_event(fp, (enum out_format)f, 0, n_off, 0, 200),
		       ns_per_event(fp, (enum out_format)f, n_off, n_events, 1,
				    200));
	fclose(fp);
	return 0;
}
