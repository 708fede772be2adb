/*
 * report.c: `rstaudit report [--json] FILE...` (see report.h).
 *
 * Three tables of rows, each row a key (a destination prefix and port,
 * an origin and cause, an injector hop), its count, first and last time
 * and the gateways that saw it.  Rows are found by linear search: a
 * fleet has thousands of distinct keys, not millions, and REP_ROWS
 * bounds them; what does not fit is counted as "other".  Events are read
 * by key from each line, whichever of the three formats wrote it.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "log.h"
#include "output.h"
#include "report.h"

#define REP_ROWS	4096	/* distinct keys per table */
#define REP_GW		16	/* gateways named per row; the rest counted */
#define REP_GWS		256	/* gateways named in all */
#define REP_TS		26	/* YYYY-MM-DDTHH:MM:SS.ffffff */
#define REP_LINE	65536

enum { BY_DEST, BY_VERDICT, BY_HOP, BY_MAX };

static const char *const rep_table_names[BY_MAX] = {
	[BY_DEST] = "by_destination", [BY_VERDICT] = "by_origin_cause",
	[BY_HOP] = "by_injector_hop",
};

struct rep_row {
	char	 key[80];
	uint64_t count;
	char	 first[REP_TS + 1], last[REP_TS + 1];
	uint16_t ngw, gw_more;
	uint16_t gw[REP_GW];	/* indexes into rep.gws */
};

struct rep {
	struct rep_row *rows[BY_MAX];
	unsigned nrows[BY_MAX];
	uint64_t other[BY_MAX];	/* events whose key found no free row */
	char	 gws[REP_GWS][64];
	unsigned ngws;
	uint64_t events, skipped, bad;
	unsigned files;
	char	 first[REP_TS + 1], last[REP_TS + 1];
};

/* One event's facts, as read from its line. */
struct rep_event {
	char ts[REP_TS + 1];
	char host[64], src[64], dst[64], origin[16], cause[16];
	long sport, dport, hop;	/* hop: -1 null, -2 absent */
};

/* ---- reading an event line ---------------------------------------------- */

/* Just past `"key":` at or after from, outside any string value; or NULL. */
static const char *json_key(const char *from, const char *key)
{
	size_t n = strlen(key);
	const char *p = from;

	while ((p = strstr(p, key)) != NULL) {
		if (p > from && p[-1] == '"' && (p - 1 == from || p[-2] != '\\') &&
		    p[n] == '"' && p[n + 1] == ':')
			return p + n + 2;
		p += n;
	}
	return NULL;
}

/* The string value of key (its first n-1 bytes); -1 when absent or not a string. */
static int json_get_str(const char *from, const char *key, char *out, size_t n)
{
	const char *v = from ? json_key(from, key) : NULL;
	size_t i = 0;

	if (v == NULL || *v != '"')
		return -1;
	for (v++; *v && *v != '"' && i + 1 < n; v++) {
		if (*v == '\\' && v[1])
			v++;
		out[i++] = *v;
	}
	out[i] = '\0';
	return 0;
}

/* The number at key; dflt when absent, -1 when null. */
static long json_get_num(const char *from, const char *key, long dflt)
{
	const char *v = from ? json_key(from, key) : NULL;

	if (v == NULL)
		return dflt;
	if (strncmp(v, "null", 4) == 0)
		return -1;
	return strtol(v, NULL, 10);
}

/* An address and port under EVE's, ECS's or the legacy name. */
static int rep_endpoint(const char *line, const char *eve, const char *ecs,
			const char *legacy, char *addr, size_t n, long *port)
{
	const char *o = json_key(line, ecs);
	char k[16];

	snprintf(k, sizeof(k), "%s_ip", eve);
	if (json_get_str(line, k, addr, n) < 0 &&
	    json_get_str(o, "ip", addr, n) < 0 &&
	    json_get_str(line, legacy, addr, n) < 0)
		return -1;
	snprintf(k, sizeof(k), "%s_port", eve);
	if ((*port = json_get_num(line, k, -2)) == -2 &&
	    (*port = json_get_num(o, "port", -2)) == -2) {
		snprintf(k, sizeof(k), "%sport", legacy[0] == 's' ? "s" : "d");
		*port = json_get_num(line, k, -2);
	}
	return *port < 0 ? -1 : 0;
}

/* EVE, ECS or legacy names, in that order.  -1: not a reset event. */
static int rep_parse(const char *line, struct rep_event *ev)
{
	char ts[40] = "";

	memset(ev, 0, sizeof(*ev));
	if (json_key(line, "event_type") && !strstr(line, "\"event_type\":\"rst\""))
		return -1;	/* a locate follow-up, say */
	if (json_get_str(line, "timestamp", ts, sizeof(ts)) < 0 &&
	    json_get_str(line, "@timestamp", ts, sizeof(ts)) < 0 &&
	    json_get_str(line, "ts", ts, sizeof(ts)) < 0)
		return -1;
	if (strlen(ts) < REP_TS)
		return -1;
	memcpy(ev->ts, ts, REP_TS);
	if (json_get_str(line, "host", ev->host, sizeof(ev->host)) < 0)
		(void)json_get_str(line, "hostname", ev->host, sizeof(ev->host));
	if (rep_endpoint(line, "src", "source", "src", ev->src,
			 sizeof(ev->src), &ev->sport) < 0 ||
	    rep_endpoint(line, "dest", "destination", "dst", ev->dst,
			 sizeof(ev->dst), &ev->dport) < 0)
		return -1;
	if (json_get_str(line, "origin", ev->origin, sizeof(ev->origin)) < 0 ||
	    json_get_str(line, "cause", ev->cause, sizeof(ev->cause)) < 0)
		return -1;
	ev->hop = json_get_num(line, "injector_hop", -2);
	return 0;
}

/*
 * "198.51.100.0/24 80", "2001:db8:b::/48 443": the connection's
 * destination, its service side: the endpoint with the lower port, as
 * flow tools guess the server (a RST may travel either way).
 */
static int rep_dest_key(const struct rep_event *ev, char *key, size_t n)
{
	int srv_is_src = ev->sport < ev->dport;
	const char *addr = srv_is_src ? ev->src : ev->dst;
	long port = srv_is_src ? ev->sport : ev->dport;
	uint8_t a[16];
	char s[INET6_ADDRSTRLEN];

	if (inet_pton(AF_INET, addr, a) == 1) {
		a[3] = 0;
		inet_ntop(AF_INET, a, s, sizeof(s));
		snprintf(key, n, "%s/24 %ld", s, port);
	} else if (inet_pton(AF_INET6, addr, a) == 1) {
		memset(a + 6, 0, 10);
		inet_ntop(AF_INET6, a, s, sizeof(s));
		snprintf(key, n, "%s/48 %ld", s, port);
	} else {
		return -1;
	}
	return 0;
}

/* ---- counting (no I/O) -------------------------------------------------- */

static unsigned rep_gateway(struct rep *r, const char *name)
{
	unsigned i;

	for (i = 0; i < r->ngws; i++)
		if (strcmp(r->gws[i], name) == 0)
			return i;
	if (r->ngws == REP_GWS)
		return REP_GWS - 1;	/* the last name stands for the rest */
	snprintf(r->gws[r->ngws], sizeof(r->gws[0]), "%s", name);
	return r->ngws++;
}

static void rep_times(char *first, char *last, const char *ts)
{
	if (first[0] == '\0' || strcmp(ts, first) < 0)
		memcpy(first, ts, REP_TS + 1);
	if (strcmp(ts, last) > 0)
		memcpy(last, ts, REP_TS + 1);
}

static void rep_count(struct rep *r, int t, const char *key, const char *ts,
		      unsigned gw)
{
	struct rep_row *row = NULL;
	unsigned i;

	for (i = 0; i < r->nrows[t]; i++)
		if (strcmp(r->rows[t][i].key, key) == 0)
			row = &r->rows[t][i];
	if (row == NULL && r->nrows[t] == REP_ROWS) {
		r->other[t]++;
		return;
	}
	if (row == NULL) {
		row = &r->rows[t][r->nrows[t]++];
		memset(row, 0, sizeof(*row));
		snprintf(row->key, sizeof(row->key), "%s", key);
	}
	row->count++;
	rep_times(row->first, row->last, ts);
	for (i = 0; i < row->ngw; i++)
		if (row->gw[i] == gw)
			return;
	if (row->ngw < REP_GW)
		row->gw[row->ngw++] = (uint16_t)gw;
	else
		row->gw_more++;
}

static void rep_add(struct rep *r, const struct rep_event *ev, const char *file)
{
	unsigned gw = rep_gateway(r, ev->host[0] ? ev->host : file);
	char key[80];

	r->events++;
	rep_times(r->first, r->last, ev->ts);
	if (rep_dest_key(ev, key, sizeof(key)) == 0)
		rep_count(r, BY_DEST, key, ev->ts, gw);
	snprintf(key, sizeof(key), "%s %s", ev->origin, ev->cause);
	rep_count(r, BY_VERDICT, key, ev->ts, gw);
	if (ev->hop >= 0) {
		snprintf(key, sizeof(key), "%ld", ev->hop);
		rep_count(r, BY_HOP, key, ev->ts, gw);
	} else if (ev->hop == -1) {
		rep_count(r, BY_HOP, "unknown", ev->ts, gw);
	}
}

static int rep_row_cmp(const void *a, const void *b)
{
	const struct rep_row *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->key, y->key);
}

/* ---- files --------------------------------------------------------------- */

/* Read one file (gzip or plain: zlib reads both); -1 when unreadable. */
static int rep_file(struct rep *r, const char *path, char *line)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	struct rep_event ev;
	unsigned long n = 0;
	gzFile gz;
	int err;

	if ((gz = strcmp(path, "-") == 0 ? gzdopen(0, "rb") : gzopen(path, "rb")) == NULL) {
		log_warn("report: %s", path);
		return -1;
	}
	while (gzgets(gz, line, REP_LINE) != NULL) {
		n++;
		/* A line without its newline: the file's last, or cut short. */
		if (strchr(line, '\n') == NULL && (gzerror(gz, &err), err != Z_OK))
			break;
		if (line[strspn(line, " \t\r\n")] == '\0')
			continue;
		if (line[0] != '{') {
			if (r->bad++ == 0)
				log_warnx("report: %s:%lu: not an event line", path, n);
			continue;
		}
		if (rep_parse(line, &ev) < 0)
			r->skipped++;
		else
			rep_add(r, &ev, base);
	}
	gzerror(gz, &err);
	gzclose(gz);
	r->files++;
	if (err != Z_OK) {	/* Z_BUF_ERROR: a gzip stream cut short */
		log_warnx("report: %s: damaged after line %lu", path, n);
		return -1;
	}
	return 0;
}

/* ---- printing ------------------------------------------------------------ */

static const char *const rep_titles[BY_MAX] = {
	[BY_DEST] = "per destination prefix and port",
	[BY_VERDICT] = "per origin and cause",
	[BY_HOP] = "per estimated injector hop (middlebox resets)",
};

static void rep_gw_text(FILE *fp, const struct rep *r, const struct rep_row *row)
{
	unsigned i;

	for (i = 0; i < row->ngw; i++)
		fprintf(fp, "%s%s", i ? "," : "", r->gws[row->gw[i]]);
	if (row->gw_more)
		fprintf(fp, ",+%u more", row->gw_more);
}

/* The row's key in words: "198.51.100.0/24 80", "middlebox injected", "hop 4". */
static const char *rep_key_text(int t, const struct rep_row *row, char *buf,
				size_t n)
{
	if (t == BY_HOP && strcmp(row->key, "unknown") != 0)
		snprintf(buf, n, "hop %s", row->key);
	else
		snprintf(buf, n, "%s", row->key);
	return buf;
}

static void rep_text(FILE *fp, const struct rep *r)
{
	char key[96];
	unsigned t, i;

	fprintf(fp, "report: %llu resets in %u file%s from %u gateway%s",
		(unsigned long long)r->events, r->files, r->files == 1 ? "" : "s",
		r->ngws, r->ngws == 1 ? "" : "s");
	if (r->events)
		fprintf(fp, ", %sZ to %sZ", r->first, r->last);
	fputc('\n', fp);
	for (t = 0; t < BY_MAX; t++) {
		fprintf(fp, "%s:\n", rep_titles[t]);
		for (i = 0; i < r->nrows[t]; i++) {
			const struct rep_row *row = &r->rows[t][i];

			fprintf(fp, "  %8llu  %-30s %sZ %sZ  ",
				(unsigned long long)row->count,
				rep_key_text(t, row, key, sizeof(key)),
				row->first, row->last);
			rep_gw_text(fp, r, row);
			fputc('\n', fp);
		}
		if (r->other[t])
			fprintf(fp, "  %8llu  (other: more than %u keys)\n",
				(unsigned long long)r->other[t], REP_ROWS);
	}
}

/* The key's own fields: prefix and port, origin and cause, or hop. */
static void rep_key_json(FILE *fp, int t, const char *key)
{
	const char *sp = strchr(key, ' ');
	int n = sp ? (int)(sp - key) : (int)strlen(key);

	if (t == BY_DEST)
		fprintf(fp, "\"prefix\":\"%.*s\",\"port\":%s", n, key, sp ? sp + 1 : "null");
	else if (t == BY_VERDICT)
		fprintf(fp, "\"origin\":\"%.*s\",\"cause\":\"%s\"", n, key,
			sp ? sp + 1 : "");
	else
		fprintf(fp, "\"hop\":%s", strcmp(key, "unknown") ? key : "null");
}

static void rep_row_json(FILE *fp, const struct rep *r, int t,
			 const struct rep_row *row)
{
	unsigned i;

	fputc('{', fp);
	rep_key_json(fp, t, row->key);
	fprintf(fp, ",\"count\":%llu,\"first\":\"%sZ\",\"last\":\"%sZ\","
		"\"gateways\":[", (unsigned long long)row->count, row->first,
		row->last);
	for (i = 0; i < row->ngw; i++) {
		if (i)
			fputc(',', fp);
		output_json_file(fp, r->gws[row->gw[i]]);
	}
	fprintf(fp, "],\"gateways_more\":%u}", row->gw_more);
}

static void rep_json(FILE *fp, const struct rep *r)
{
	unsigned t, i;

	fprintf(fp, "{\"events\":%llu,\"files\":%u,\"skipped\":%llu,"
		"\"bad_lines\":%llu,", (unsigned long long)r->events, r->files,
		(unsigned long long)r->skipped, (unsigned long long)r->bad);
	if (r->events)
		fprintf(fp, "\"first\":\"%sZ\",\"last\":\"%sZ\",", r->first, r->last);
	else
		fputs("\"first\":null,\"last\":null,", fp);
	fputs("\"gateways\":[", fp);
	for (i = 0; i < r->ngws; i++) {
		if (i)
			fputc(',', fp);
		output_json_file(fp, r->gws[i]);
	}
	fputc(']', fp);
	for (t = 0; t < BY_MAX; t++) {
		fprintf(fp, ",\"%s\":[", rep_table_names[t]);
		for (i = 0; i < r->nrows[t]; i++) {
			if (i)
				fputc(',', fp);
			rep_row_json(fp, r, (int)t, &r->rows[t][i]);
		}
		fprintf(fp, "],\"%s_other\":%llu", rep_table_names[t],
			(unsigned long long)r->other[t]);
	}
	fputs("}\n", fp);
}

/* ---- the command ---------------------------------------------------------- */

static void report_usage(FILE *fp)
{
	fprintf(fp, "usage: rstaudit report [--json] FILE...\n"
		"       (event files: JSON lines, EVE, ECS or legacy; gzip too;"
		" - reads standard input)\n");
}

static int rep_alloc(struct rep *r)
{
	int t;

	memset(r, 0, sizeof(*r));
	for (t = 0; t < BY_MAX; t++)
		if ((r->rows[t] = calloc(REP_ROWS, sizeof(struct rep_row))) == NULL)
			return -1;
	return 0;
}

static void rep_free(struct rep *r)
{
	int t;

	for (t = 0; t < BY_MAX; t++)
		free(r->rows[t]);
}

/* --json and --help; -1 on a usage error, 1 after --help, else 0. */
static int report_options(int argc, char **argv, int *json)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "jh", longopts, NULL)) != -1) {
		if (c == 'j') {
			*json = 1;
		} else if (c == 'h') {
			report_usage(stdout);
			return 1;
		} else {
			log_warnx("report: unknown option %s", argv[optind - 1]);
			report_usage(stderr);
			return -1;
		}
	}
	if (optind >= argc) {
		log_warnx("report: no event file given");
		report_usage(stderr);
		return -1;
	}
	return 0;
}

int report_main(int argc, char **argv)
{
	int i, json = 0, rc = EXIT_OK, t;
	char *line;
	struct rep r;

	if ((i = report_options(argc, argv, &json)) != 0)
		return i < 0 ? EXIT_USAGE : EXIT_OK;
	log_init(0, 0);
	line = malloc(REP_LINE);
	if (line == NULL || rep_alloc(&r) < 0) {
		log_warn("report: tables");
		free(line);
		return EXIT_INTERNAL;
	}
	for (i = optind; i < argc; i++)
		if (rep_file(&r, argv[i], line) < 0)
			rc = EXIT_UNREADABLE;
	for (t = 0; t < BY_MAX; t++)
		qsort(r.rows[t], r.nrows[t], sizeof(struct rep_row), rep_row_cmp);
	if (r.bad)
		log_warnx("report: %llu lines were not events",
			  (unsigned long long)r.bad);
	if (json)
		rep_json(stdout, &r);
	else
		rep_text(stdout, &r);
	free(line);
	rep_free(&r);
	if (fflush(stdout) == EOF)
		return EXIT_INTERNAL;
	return rc;
}
