/*
 * locate_cmd.c: `rstaudit locate`, its trigger (a file, a string, or the
 * packet before the RST of an event), and the report in text or JSON.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "locate.h"
#include "pcapin.h"
#include "pkt.h"
#include "rst.h"

#define TRIGGER_MAX LOCATE_TRIGGER_MAX

/* What an event line tells: the RST's addresses and where its packets are. */
struct ev_ref {
	int	 family;
	uint8_t	 src[16], dst[16];
	uint16_t sport, dport;
	char	 file[4096];
	unsigned long frame;
};

static int addr_parse(const char *s, int *family, uint8_t a[16])
{
	memset(a, 0, 16);
	if (inet_pton(AF_INET, s, a) == 1)
		*family = 4;
	else if (inet_pton(AF_INET6, s, a) == 1)
		*family = 6;
	else
		return -1;
	return 0;
}

/* The string value of "key" at or after from; -1 when absent. */
static int json_str_at(const char *from, const char *key, char *out, size_t size)
{
	char pat[64];
	const char *p, *e;

	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	if ((p = strstr(from, pat)) == NULL)
		return -1;
	p += strlen(pat);
	if ((e = strchr(p, '"')) == NULL || (size_t)(e - p) >= size)
		return -1;
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
	return 0;
}

static long json_num_at(const char *from, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	if ((p = strstr(from, pat)) == NULL)
		return -1;
	return strtol(p + strlen(pat), NULL, 10);
}

/*
 * An event line: the claimed sender (whom we probe), the receiver, and
 * the packets: the live event's evidence_pcap, else the offline event's
 * own capture file and frame.  EVE names (src_ip, dest_port, pcap_cnt...)
 * first, then the legacy ones (src, dport, frame...).
 */
static int ev_parse(const char *line, struct ev_ref *ev)
{
	const char *pc = strstr(line, "\"evidence_pcap\":{");
	int eve = strstr(line, "\"src_ip\":\"") != NULL;
	char s[64], d[64];
	int f2;

	memset(ev, 0, sizeof(*ev));
	if (json_str_at(line, eve ? "src_ip" : "src", s, sizeof(s)) < 0 ||
	    json_str_at(line, eve ? "dest_ip" : "dst", d, sizeof(d)) < 0 ||
	    addr_parse(s, &ev->family, ev->src) < 0 ||
	    addr_parse(d, &f2, ev->dst) < 0)
		return -1;
	ev->sport = (uint16_t)json_num_at(line, eve ? "src_port" : "sport");
	ev->dport = (uint16_t)json_num_at(line, eve ? "dest_port" : "dport");
	if (pc != NULL || !eve) {
		if (pc == NULL)
			pc = line;
		if (json_str_at(pc, "file", ev->file, sizeof(ev->file)) == 0)
			ev->frame = (unsigned long)json_num_at(pc, "frame");
	} else if (json_str_at(line, "pcap_filename", ev->file,
			       sizeof(ev->file)) == 0) {
		ev->frame = (unsigned long)json_num_at(line, "pcap_cnt");
	}
	return 0;
}

/* The last payload its receiver sent the claimed sender before the RST. */
static int ev_trigger(const struct ev_ref *ev, uint8_t *buf, size_t *len)
{
	char err[PCAP_ERRBUF_SIZE], name[64];
	struct pcap_pkthdr *h;
	const u_char *data;
	enum link_type lt;
	unsigned long n = 0;
	size_t alen = ev->family == 4 ? 4 : 16;
	pcap_t *p;
	struct pkt k;

	*len = 0;
	if ((p = pcap_open_offline(ev->file, err)) == NULL) {
		fprintf(stderr, "rstaudit: locate: %s\n", err);
		return -1;
	}
	if (pcapin_link(p, &lt, name) < 0)
		goto done;
	while (++n < ev->frame && pcap_next_ex(p, &h, &data) == 1) {
		if (pkt_parse(&k, lt, data, h->caplen) != PKT_OK ||
		    k.payload_caplen == 0 || k.sport != ev->dport ||
		    k.dport != ev->sport || memcmp(k.src, ev->dst, alen) ||
		    memcmp(k.dst, ev->src, alen))
			continue;
		*len = k.payload_caplen < TRIGGER_MAX ? k.payload_caplen : TRIGGER_MAX;
		memcpy(buf, k.payload, *len);
	}
done:
	pcap_close(p);
	return *len ? 0 : -1;
}

static int from_event(const char *path, struct locate_conf *c, uint8_t *buf)
{
	char line[16384];
	struct ev_ref ev;
	FILE *fp = strcmp(path, "-") ? fopen(path, "r") : stdin;

	if (fp == NULL || fgets(line, sizeof(line), fp) == NULL) {
		fprintf(stderr, "rstaudit: locate: %s: %s\n", path,
			fp ? "empty" : strerror(errno));
		return -1;
	}
	if (fp != stdin)
		fclose(fp);
	if (ev_parse(line, &ev) < 0 || ev.file[0] == '\0') {
		fprintf(stderr, "rstaudit: locate: %s: not an event with its "
			"packets (evidence_pcap, or an analyzed file)\n", path);
		return -1;
	}
	if (c->family == 0) {
		c->family = ev.family;
		memcpy(c->dst, ev.src, 16);
		c->port = ev.sport;
	}
	if (ev_trigger(&ev, buf, &c->payload_len) < 0) {
		fprintf(stderr, "rstaudit: locate: %s: no payload to %s port %u "
			"before frame %lu\n", ev.file, "the sender", ev.sport,
			ev.frame);
		return -1;
	}
	c->payload = buf;
	return 0;
}

static int payload_file(const char *path, struct locate_conf *c, uint8_t *buf)
{
	FILE *fp = fopen(path, "rb");

	if (fp == NULL) {
		fprintf(stderr, "rstaudit: locate: %s: %s\n", path, strerror(errno));
		return -1;
	}
	c->payload_len = fread(buf, 1, TRIGGER_MAX, fp);
	fclose(fp);
	c->payload = buf;
	return c->payload_len ? 0 : -1;
}

static void probe_text(FILE *fp, int family, const struct locate_probe *p)
{
	char a[RST_ADDRSTRLEN];

	fprintf(fp, "    ttl %2u:", p->ttl);
	if (p->got & LP_NO_CONNECT)
		fputs(" no connection", fp);
	if (p->got & LP_TIME_EXCEEDED)
		fputs(" time exceeded", fp);
	if (p->got & LP_ROUTER)
		fprintf(fp, " %s %s", p->got & LP_TIME_EXCEEDED ? "from" :
			"(udp) router", rst_addr(family, p->router, a));
	if (p->got & LP_RST_TTL)
		fprintf(fp, " RST ttl %u ipid %u win %u", p->rst_ttl,
			p->rst_ipid, p->rst_win);
	else if (p->got & LP_RST)
		fputs(" RST (ECONNRESET)", fp);
	if (p->got & LP_ACKED)
		fputs(" server acked", fp);
	if (!(p->got & ~LP_ROUTER))
		fputs(" nothing", fp);
	fprintf(fp, " (%.3f ms)\n", p->us / 1e3);
}

static void text_print(FILE *fp, int family, const char *dst, uint16_t port,
		       const struct locate_result *r)
{
	char a[RST_ADDRSTRLEN], b[RST_ADDRSTRLEN];
	unsigned i;

	fprintf(fp, "locate %s port %u: %s", dst, port,
		locate_status_names[r->status]);
	if (r->status == LOC_FOUND) {
		fprintf(fp, ", injector at hop %d, router %s (hop %d: %s), %s",
			r->hop, r->has_at ? rst_addr(family, r->router_at, a) : "?",
			r->hop - 1, r->hop == 1 ? "this host" : r->has_before ?
			rst_addr(family, r->router_before, b) : "?",
			locate_path_names[r->path]);
		fprintf(fp, ", %s", r->copies_ttl < 0 ? "TTL copy unknown" :
			r->copies_ttl ? "copies the TTL" : "fixed TTL");
	}
	if (r->rst.got & LP_RST_TTL)
		fprintf(fp, ", RST ttl %u ipid %u win %u", r->rst.rst_ttl,
			r->rst.rst_ipid, r->rst.rst_win);
	fprintf(fp, "; %u probes in %.0f ms (%s)\n", r->nprobes + 2,
		r->elapsed_us / 1e3, r->raw ? "packet socket" :
		"connected socket and UDP only");
	fputs("    control:", fp);
	probe_text(fp, family, &r->control);
	fputs("    full:   ", fp);
	probe_text(fp, family, &r->full);
	for (i = 0; i < r->nprobes; i++)
		probe_text(fp, family, &r->probe[i]);
}

static void probe_json(FILE *fp, int family, const struct locate_probe *p)
{
	char a[RST_ADDRSTRLEN];

	fprintf(fp, "{\"ttl\":%u,\"time_exceeded\":%s,\"router\":", p->ttl,
		p->got & LP_TIME_EXCEEDED ? "true" : "false");
	if (p->got & LP_ROUTER)
		fprintf(fp, "\"%s\"", rst_addr(family, p->router, a));
	else
		fputs("null", fp);
	fprintf(fp, ",\"rst\":%s", p->got & LP_RST ? "true" : "false");
	if (p->got & LP_RST_TTL)
		fprintf(fp, ",\"rst_ttl\":%u,\"rst_ipid\":%u,\"rst_win\":%u",
			p->rst_ttl, p->rst_ipid, p->rst_win);
	fprintf(fp, ",\"acked\":%s,\"connected\":%s,\"ms\":%.3f}",
		p->got & LP_ACKED ? "true" : "false",
		p->got & LP_NO_CONNECT ? "false" : "true", p->us / 1e3);
}

static void json_print(FILE *fp, int family, const char *dst, uint16_t port,
		       const struct locate_result *r, const char *link)
{
	char a[RST_ADDRSTRLEN];
	unsigned i;

	fputc('{', fp);
	if (link != NULL)
		fprintf(fp, "%s,", link);
	fprintf(fp, "\"event_type\":\"locate\",\"family\":\"ipv%d\",\"dest\":"
		"\"%s\",\"port\":%u,\"status\":\"%s\",\"hop\":", family, dst,
		port, locate_status_names[r->status]);
	fprintf(fp, r->status == LOC_FOUND ? "%d" : "null", r->hop);
	fputs(",\"router\":", fp);
	fprintf(fp, r->has_at ? "\"%s\"" : "null", rst_addr(family, r->router_at, a));
	fputs(",\"router_before\":", fp);
	fprintf(fp, r->has_before ? "\"%s\"" : "null",
		rst_addr(family, r->router_before, a));
	fprintf(fp, ",\"path\":\"%s\",\"copies_ttl\":%s,\"first_rst_ttl\":%d,"
		"\"packet_socket\":%s,\"elapsed_ms\":%.1f,\"control\":",
		locate_path_names[r->path], r->copies_ttl < 0 ? "null" :
		r->copies_ttl ? "true" : "false", r->first_rst_ttl,
		r->raw ? "true" : "false", r->elapsed_us / 1e3);
	probe_json(fp, family, &r->control);
	fputs(",\"full\":", fp);
	probe_json(fp, family, &r->full);
	fputs(",\"probes\":[", fp);
	for (i = 0; i < r->nprobes; i++) {
		if (i)
			fputc(',', fp);
		probe_json(fp, family, &r->probe[i]);
	}
	fputs("]}\n", fp);
}

void locate_print(FILE *fp, int family, const uint8_t *dst, uint16_t port,
		  const struct locate_result *r, int json, const char *link)
{
	char d[RST_ADDRSTRLEN];

	rst_addr(family, dst, d);
	if (json)
		json_print(fp, family, d, port, r, link);
	else
		text_print(fp, family, d, port, r);
}

static void locate_usage(FILE *fp)
{
	fprintf(fp, "usage: rstaudit locate [--json] [--no-raw] [--max-ttl N] "
		"[--wait MS]\n"
		"           (--payload FILE | --text STRING) DEST PORT\n"
		"       rstaudit locate [options] --from-event EVENT.json "
		"[DEST PORT]\n");
}

static int locate_options(int argc, char **argv, struct locate_conf *c,
			  int *json, uint8_t *buf)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "no-raw", no_argument, NULL, 'n' },
		{ "max-ttl", required_argument, NULL, 'm' },
		{ "wait", required_argument, NULL, 'w' },
		{ "payload", required_argument, NULL, 'p' },
		{ "text", required_argument, NULL, 't' },
		{ "from-event", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	const char *event = NULL;
	int ch;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'j': *json = 1; break;
		case 'n': c->no_raw = 1; break;
		case 'm': c->max_ttl = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'w': c->wait_ms = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'p':
			if (payload_file(optarg, c, buf) < 0)
				return -1;
			break;
		case 't':
			c->payload_len = strnlen(optarg, TRIGGER_MAX);
			memcpy(buf, optarg, c->payload_len);
			c->payload = buf;
			break;
		case 'e': event = optarg; break;
		default: return -1;
		}
	}
	if (argc - optind == 2) {
		if (addr_parse(argv[optind], &c->family, c->dst) < 0)
			return -1;
		c->port = (uint16_t)strtoul(argv[optind + 1], NULL, 10);
	} else if (argc != optind || event == NULL) {
		return -1;
	}
	if (event != NULL && from_event(event, c, buf) < 0)
		return -1;
	if (c->payload_len == 0 || c->port == 0 || c->max_ttl == 0 ||
	    c->max_ttl > LOCATE_MAX_TTL || c->wait_ms == 0)
		return -1;
	return 0;
}

int locate_main(int argc, char **argv)
{
	static uint8_t buf[TRIGGER_MAX];
	static struct locate_result r;
	struct locate_conf c;
	int json = 0;

	locate_conf_default(&c);
	if (locate_options(argc, argv, &c, &json, buf) < 0) {
		locate_usage(stderr);
		return EXIT_USAGE;
	}
	if (locate_run(&c, &r) < 0) {
		fprintf(stderr, "rstaudit: locate: %s\n", strerror(errno));
		return EXIT_INTERNAL;
	}
	locate_print(stdout, c.family, c.dst, c.port, &r, json, NULL);
	if (fflush(stdout) == EOF)
		return EXIT_INTERNAL;
	return r.status == LOC_NO_PATH ? EXIT_UNREADABLE : EXIT_OK;
}
