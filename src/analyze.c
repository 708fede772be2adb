/*
 * analyze.c: `rstaudit analyze [--json] [options] FILE...`: every TCP reset
 * in capture files, one line (or JSON object) each.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "engine.h"
#include "log.h"
#include "output.h"
#include "pcapin.h"

struct analyze_totals {
	uint64_t packets;
	unsigned files;
};

static void analyze_usage(FILE *fp)
{
	fprintf(fp,
		"usage: rstaudit analyze [--json] [--hold SECONDS] [--max-flows N] [-v] FILE...\n"
		"       (FILE - reads standard input)\n");
}

static void analyze_emit(struct rst_event *e, void *arg)
{
	output_event(arg, e);
}

void analyze_warn_frames(const char *name, const struct pcapin_stats *st)
{
	uint64_t tr = st->status[PKT_TRUNCATED], mal = st->status[PKT_MALFORMED];

	if (tr)
		log_warnx("%s: %" PRIu64 " frame%s cut short before the end of the TCP "
			  "header, skipped (first: frame %" PRIu64 ")",
			  name, tr, tr == 1 ? "" : "s", st->first_bad[0]);
	if (mal)
		log_warnx("%s: %" PRIu64 " frame%s with impossible header lengths or "
			  "versions, skipped (first: frame %" PRIu64 ")",
			  name, mal, mal == 1 ? "" : "s", st->first_bad[1]);
	log_info("%s: %" PRIu64 " frames: %" PRIu64 " TCP, %" PRIu64 " not IP, %" PRIu64
		 " not TCP, %" PRIu64 " fragments, %" PRIu64 " truncated, %" PRIu64 " malformed",
		 name, st->frames, st->status[PKT_OK], st->status[PKT_NOT_IP],
		 st->status[PKT_NOT_TCP], st->status[PKT_FRAGMENT], tr, mal);
}

static int analyze_file(const char *name, const struct engine_conf *conf,
			struct output *out, struct analyze_totals *tot)
{
	char errbuf[PCAP_ERRBUF_SIZE], err[PCAP_ERRBUF_SIZE + 64];
	struct pcapin_stats st;
	struct engine *eng;
	enum link_type lt;
	char lname[64];
	long offset = -1;
	pcap_t *p;
	int rc;

	p = pcap_open_offline_with_tstamp_precision(name,
		PCAP_TSTAMP_PRECISION_MICRO, errbuf);
	if (p == NULL) {
		/* libpcap names the file itself in some messages, not in others. */
		if (strncmp(errbuf, name, strlen(name)) == 0)
			log_warnx("%s", errbuf);
		else
			log_warnx("%s: %s", name, errbuf);
		return EXIT_UNREADABLE;
	}
	if (pcapin_link(p, &lt, lname) < 0) {
		log_warnx("%s: link type %s is not supported (rstaudit reads Ethernet, "
			  "Linux cooked v1 and v2, raw IP and BSD loopback captures)",
			  name, lname);
		pcap_close(p);
		return EXIT_UNREADABLE;
	}
	eng = engine_new(conf, analyze_emit, out);
	if (eng == NULL) {
		log_warn("%s: cannot allocate tables for %u flows", name, conf->max_flows);
		pcap_close(p);
		return EXIT_INTERNAL;
	}
	memset(&st, 0, sizeof(st));
	out->file = name;
	rc = pcapin_run(p, lt, eng, &st, err, sizeof(err), &offset);
	engine_flush(eng);	/* everything before a fault is still reported */
	tot->packets += st.status[PKT_OK];
	tot->files++;
	analyze_warn_frames(name, &st);
	if (rc < 0) {
		if (offset >= 0)
			log_warnx("%s: record %" PRIu64 " at byte %ld: %s; the %" PRIu64
				  " records before it were analysed",
				  name, st.frames + 1, offset, err, st.frames);
		else
			log_warnx("%s: record %" PRIu64 ": %s; the %" PRIu64
				  " records before it were analysed",
				  name, st.frames + 1, err, st.frames);
	}
	engine_free(eng);
	pcap_close(p);
	return rc < 0 ? EXIT_DAMAGED : EXIT_OK;
}

int analyze_number(const char *s, double lo, double hi, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	return errno || end == s || *end || *v < lo || *v > hi ? -1 : 0;
}

int analyze_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "hold", required_argument, NULL, 'H' },
		{ "max-flows", required_argument, NULL, 'F' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct analyze_totals tot = { 0, 0 };
	enum out_format fmt = OUT_TEXT;
	struct engine_conf conf;
	struct output out;
	int c, i, verbose = 0, worst = EXIT_OK;
	double v;

	engine_conf_default(&conf);
	opterr = 0;	/* we say it ourselves, naming the command */
	while ((c = getopt_long(argc, argv, "jH:F:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			fmt = OUT_JSON;
			break;
		case 'H':
			if (analyze_number(optarg, 0, 3600, &v) < 0) {
				log_warnx("--hold %s: give seconds, 0 to 3600", optarg);
				return EXIT_USAGE;
			}
			conf.hold_us = (uint64_t)(v * 1e6);
			break;
		case 'F':
			if (analyze_number(optarg, 1, 1 << 30, &v) < 0) {
				log_warnx("--max-flows %s: give a count, 1 to 1073741824", optarg);
				return EXIT_USAGE;
			}
			conf.max_flows = (uint32_t)v;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			analyze_usage(stdout);
			return EXIT_OK;
		default:
			if (optopt == 'H' || optopt == 'F')
				log_warnx("analyze: %s needs a value",
					  optopt == 'H' ? "--hold" : "--max-flows");
			else if (optopt)
				log_warnx("analyze: unknown option -%c", optopt);
			else
				log_warnx("analyze: unknown option or missing value: %s",
					  argv[optind - 1]);
			analyze_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		log_warnx("analyze: no capture file given");
		analyze_usage(stderr);
		return EXIT_USAGE;
	}
	log_init(verbose, 0);
	output_init(&out, stdout, fmt);
	for (i = optind; i < argc; i++) {
		int rc = analyze_file(argv[i], &conf, &out, &tot);

		if (rc > worst)
			worst = rc;
	}
	if (tot.files > 0)
		output_summary(&out, tot.packets, tot.files);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		log_warn("standard output");
		return EXIT_INTERNAL;
	}
	return worst;
}
