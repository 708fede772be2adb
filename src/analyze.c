/*
 * analyze.c: `rstaudit analyze [--json | --format F] [options] FILE...`: every TCP reset
 * in capture files, one line (or JSON object) each.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze.h"
#include "conf.h"
#include "engine.h"
#include "flow.h"
#include "log.h"
#include "output.h"
#include "pcapin.h"
#include "pcapmap.h"
#include "pcappipe.h"
#include "writer.h"

#define ANALYZE_MEM_SHARE 4	/* the flow table may take 1/4 of memory */
#define ANALYZE_WRITER_SLOTS 1024 /* events formatted by the writer, in flight */
#define ANALYZE_WRITER_TICK_US 10000

struct analyze_totals {
	uint64_t packets;
	unsigned files;
};

/*
 * One capture being read: classic pcap in a regular file by our reader
 * over mmap, anything else (pcapng, standard input, pipes) by libpcap.
 */
struct analyze_src {
	pcap_t		*p;	/* NULL: m reads it */
	struct pcapmap	 m;
	enum link_type	 lt;
};

static void analyze_usage(FILE *fp)
{
	fprintf(fp,
		"usage: rstaudit analyze [--json | --format text|eve|ecs|legacy] [--hold SECONDS]\n"
		"                        [--max-flows N] [-v] FILE...\n"
		"       (FILE - reads standard input)\n");
}

static void analyze_emit(struct rst_event *e, void *arg)
{
	output_event(arg, e);
}

/*
 * With two threads, a third formats and writes the events, in the
 * engine's order (writer.h): formatting was the engine thread's, the
 * slower one.  Nothing is dropped: a full ring makes the engine wait.
 */
static void analyze_write(struct rst_event *e, const struct evhand_ticket *t,
			  void *arg)
{
	(void)t;
	output_event(arg, e);
}

static void analyze_flush(void *arg)
{
	(void)arg;	/* stdio's buffer; the end of the run flushes it */
}

static void analyze_hand(struct rst_event *e, void *arg)
{
	(void)writer_put(arg, e, NULL, 1);
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

/*
 * Open the capture into src: 0, or -1 after saying why (shown: its name,
 * escaped).  With use_mmap our reader takes what it can; what it leaves,
 * libpcap opens and judges, in its own words.
 */
static int analyze_open(const char *name, const char *shown, int use_mmap,
			struct analyze_src *src)
{
	char errbuf[PCAP_ERRBUF_SIZE], text[2 * PCAP_ERRBUF_SIZE], lname[64];
	size_t n = strlen(name);

	if (use_mmap && strcmp(name, "-") != 0 &&
	    pcapmap_open(&src->m, name) == 0) {
		src->p = NULL;
		src->lt = src->m.lt;
		log_info("%s: read by mmap", shown);
		return 0;
	}
	src->p = pcap_open_offline_with_tstamp_precision(name,
		PCAP_TSTAMP_PRECISION_MICRO, errbuf);
	if (src->p == NULL) {
		/* libpcap names the file itself in some messages, not in others. */
		output_escape(strncmp(errbuf, name, n) == 0 ? errbuf + n : errbuf,
			      text, sizeof(text));
		log_warnx("%s%s%s", shown, strncmp(errbuf, name, n) == 0 ? ""
			  : ": ", text);
		return -1;
	}
	if (pcapin_link(src->p, &src->lt, lname) < 0) {
		log_warnx("%s: link type %s is not supported (rstaudit reads Ethernet, "
			  "Linux cooked v1 and v2, raw IP, BSD loopback, PPP and "
			  "Cisco HDLC captures)",
			  shown, lname);
		pcap_close(src->p);
		return -1;
	}
	log_info("%s: read by libpcap", shown);
	return 0;
}

static void analyze_close(struct analyze_src *src)
{
	if (src->p != NULL)
		pcap_close(src->p);
	else
		pcapmap_close(&src->m);
}

/* Flows the table had to evict: say so, whatever the verbosity. */
static void analyze_warn_evicted(const char *shown, const struct engine_conf *conf,
				 const struct engine_stats *es)
{
	if (es->flows_evicted == 0)
		return;
	log_warnx("%s: %" PRIu64 " flow%s evicted from the flow table (--max-flows "
		  "%u); %" PRIu64 " reset%s judged without their flow's history, "
		  "marked in their events; raise --max-flows to see them all",
		  shown, es->flows_evicted, es->flows_evicted == 1 ? "" : "s",
		  conf->max_flows, es->rsts_evicted,
		  es->rsts_evicted == 1 ? "" : "s");
}

static int analyze_file(const char *name, const struct engine_conf *conf,
			struct output *out, struct analyze_totals *tot,
			int use_mmap, int threads)
{
	char err[PCAP_ERRBUF_SIZE + 64], shown[1024];
	struct engine_stats es;
	struct pcapin_stats st;
	struct analyze_src src;
	struct writer *wr = NULL;
	struct engine *eng;
	long offset = -1;
	int rc;

	output_escape(name, shown, sizeof(shown));
	if (analyze_open(name, shown, use_mmap, &src) < 0)
		return EXIT_UNREADABLE;
	out->file = name;
	/* Read in a second thread: a third formats; else the engine does. */
	if (src.p == NULL && threads > 1)
		wr = writer_start(ANALYZE_WRITER_SLOTS, ANALYZE_WRITER_TICK_US,
				  analyze_write, analyze_flush, out);
	eng = wr != NULL ? engine_new(conf, analyze_hand, wr) :
			   engine_new(conf, analyze_emit, out);
	if (eng == NULL) {
		log_warn("%s: cannot allocate tables for %u flows", shown, conf->max_flows);
		writer_stop(wr);
		analyze_close(&src);
		return EXIT_INTERNAL;
	}
	memset(&st, 0, sizeof(st));
	if (src.p != NULL)
		rc = pcapin_run(src.p, src.lt, eng, &st, err, sizeof(err), &offset);
	else if (threads > 1)
		rc = pcappipe_run(&src.m, eng, &st, err, sizeof(err), &offset);
	else
		rc = pcapin_run_map(&src.m, eng, &st, err, sizeof(err), &offset);
	engine_flush(eng);	/* everything before a fault is still reported */
	writer_stop(wr);	/* every event out before the file's warnings */
	engine_get_stats(eng, &es);
	tot->packets += st.status[PKT_OK];
	tot->files++;
	out->flows_evicted += es.flows_evicted;
	out->rsts_evicted += es.rsts_evicted;
	analyze_warn_frames(shown, &st);
	analyze_warn_evicted(shown, conf, &es);
	if (rc < 0) {
		if (offset >= 0)
			log_warnx("%s: record %" PRIu64 " at byte %ld: %s; the %" PRIu64
				  " records before it were analysed",
				  shown, st.frames + 1, offset, err, st.frames);
		else
			log_warnx("%s: record %" PRIu64 ": %s; the %" PRIu64
				  " records before it were analysed",
				  shown, st.frames + 1, err, st.frames);
	}
	engine_free(eng);
	analyze_close(&src);
	return rc < 0 ? EXIT_DAMAGED : EXIT_OK;
}

/*
 * The default flow bound: what a quarter of physical memory holds (the
 * table keeps twice as many slots as flows, and grows as they come, so
 * memory is only taken as the capture needs it).
 */
static uint32_t analyze_default_flows(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
	uint64_t n;

	if (pages <= 0 || psize <= 0)
		return 1u << 20;
	n = (uint64_t)pages * (uint64_t)psize / ANALYZE_MEM_SHARE /
	    (2 * sizeof(struct flow));
	if (n < (1u << 16))
		return 1u << 16;
	return n > (1u << 30) ? 1u << 30 : (uint32_t)n;
}

/* Every file in turn, then the summary; the exit status. */
static int analyze_files(const struct engine_conf *conf, enum out_format fmt,
			 int use_mmap, int threads, char **files, int n)
{
	struct analyze_totals tot = { 0, 0 };
	int i, rc, worst = EXIT_OK;
	struct output out;

	output_init(&out, stdout, fmt);
	out.max_flows = conf->max_flows;
	for (i = 0; i < n; i++)
		if ((rc = analyze_file(files[i], conf, &out, &tot, use_mmap,
					threads)) > worst)
			worst = rc;
	if (tot.files > 0)
		output_summary(&out, tot.packets, tot.files);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		log_warn("standard output");
		return EXIT_INTERNAL;
	}
	/* A damaged, unreadable or failed file says more than evictions. */
	if (worst == EXIT_OK && out.rsts_evicted > 0)
		worst = EXIT_INCOMPLETE;
	return worst;
}

/* --hold (c 'H') or --max-flows ('F') into conf: 0, or -1 after saying why. */
static int analyze_value(int c, const char *arg, struct engine_conf *conf)
{
	uint64_t v;

	if (c == 'H') {
		if (conf_parse_time(arg, 1000000, 3600, &v) < 0) {
			log_warnx("--hold %s: give seconds, 0 to 3600", arg);
			return -1;
		}
		conf->hold_us = v;
		return 0;
	}
	if (conf_parse_uint(arg, 1, 1 << 30, &v) < 0) {
		log_warnx("--max-flows %s: give a count, 1 to 1073741824", arg);
		return -1;
	}
	conf->max_flows = (uint32_t)v;
	return 0;
}

/*
 * RSTAUDIT_PCAP_READER, a preference for tests and comparisons: 1 for our
 * reader where it can (the default, "mmap"), 0 for libpcap always, -1
 * after saying the value is not one of these (a typo must not quietly
 * test the default twice).
 */
static int analyze_reader(void)
{
	const char *v = getenv("RSTAUDIT_PCAP_READER");

	if (v == NULL || *v == '\0' || strcmp(v, "mmap") == 0)
		return 1;
	if (strcmp(v, "libpcap") == 0)
		return 0;
	log_warnx("RSTAUDIT_PCAP_READER=%.64s: give mmap or libpcap", v);
	return -1;
}

/*
 * RSTAUDIT_ANALYZE_THREADS: 1 runs a mapped file in one thread, 2 reads
 * it in a second thread even on one CPU (both for tests and comparisons);
 * unset, 2 where there are two CPUs or more.  -1 after saying the value
 * is not one of these.
 */
static int analyze_threads(void)
{
	const char *v = getenv("RSTAUDIT_ANALYZE_THREADS");

	if (v == NULL || *v == '\0')
		return sysconf(_SC_NPROCESSORS_ONLN) >= 2 ? 2 : 1;
	if (strcmp(v, "1") == 0 || strcmp(v, "2") == 0)
		return *v - '0';
	log_warnx("RSTAUDIT_ANALYZE_THREADS=%.64s: give 1 or 2", v);
	return -1;
}

static void analyze_bad_option(char **argv)
{
	if (optopt == 'H' || optopt == 'F' || optopt == 'f')
		log_warnx("analyze: %s needs a value",
			  optopt == 'H' ? "--hold" : optopt == 'F' ?
			  "--max-flows" : "--format");
	else if (optopt)
		log_warnx("analyze: unknown option -%c", optopt);
	else
		log_warnx("analyze: unknown option or missing value: %s",
			  argv[optind - 1]);
	analyze_usage(stderr);
}

int analyze_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "format", required_argument, NULL, 'f' },
		{ "hold", required_argument, NULL, 'H' },
		{ "max-flows", required_argument, NULL, 'F' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum out_format fmt = OUT_TEXT;
	struct engine_conf conf;
	int c, verbose = 0, use_mmap, threads;

	engine_conf_default(&conf);
	conf.max_flows = analyze_default_flows();
	opterr = 0;	/* we say it ourselves, naming the command */
	while ((c = getopt_long(argc, argv, "jf:H:F:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			fmt = OUT_JSON;
			break;
		case 'f':
			if (output_format_parse(optarg, &fmt) < 0) {
				log_warnx("--format %s: give text, eve (or json), ecs "
					  "or legacy", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'H':
		case 'F':
			if (analyze_value(c, optarg, &conf) < 0)
				return EXIT_USAGE;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			analyze_usage(stdout);
			return EXIT_OK;
		default:
			analyze_bad_option(argv);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		log_warnx("analyze: no capture file given");
		analyze_usage(stderr);
		return EXIT_USAGE;
	}
	log_init(verbose, 0);
	if ((use_mmap = analyze_reader()) < 0 || (threads = analyze_threads()) < 0)
		return EXIT_USAGE;
	return analyze_files(&conf, fmt, use_mmap, threads, argv + optind,
			     argc - optind);
}
