/*
 * watch.c: `rstaudit watch` (see watch.h).
 *
 * libpcap gives TPACKET_V3 on Linux when immediate mode is off: the kernel
 * fills blocks of the ring and hands one over when it is full or when the
 * block timeout (WATCH_BLOCK_MS) runs out.  A packet may thus reach us up
 * to that long after its timestamp, so the engine's clock runs WATCH_LAG_US
 * behind the wall clock: no reset is released before the packets that were
 * captured before its hold ran out are read.  Everything else is what
 * analyze does: the same parser, engine and output.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "clk.h"
#include "conf.h"
#include "engine.h"
#include "log.h"
#include "output.h"
#include "pcapin.h"
#include "watch.h"

#define WATCH_SNAPLEN	262144
#define WATCH_BUFFER	(32 << 20)	/* the ring, bytes */
#define WATCH_BLOCK_MS	100		/* TPACKET_V3 block timeout */
#define WATCH_LAG_US	(5 * WATCH_BLOCK_MS * 1000ull)
#define WATCH_FILTER	"tcp or (vlan and tcp)"

struct watch_opts {
	const char		*iface;
	const char		*wfile;		/* -w, or NULL */
	char			*filter;	/* the BPF words joined, or NULL */
	enum out_format		 fmt;
	int			 verbose;
	struct engine_conf	 ec;
};

struct watch {
	pcap_t			*p;
	pcap_dumper_t		*dump;
	enum link_type		 lt;
	struct engine		*eng;
	struct output		 out;
	struct pcapin_stats	 st;
};

static volatile sig_atomic_t watch_quit;

static void watch_signal(int sig)
{
	(void)sig;
	watch_quit = 1;
}

static void watch_usage(FILE *fp)
{
	fprintf(fp, "usage: rstaudit watch -i interface [-w file] [--json] "
		"[--hold seconds] [-v] [filter]\n");
}

/* The filter words after the options, joined by spaces; NULL if none. */
static char *watch_join(int argc, char **argv)
{
	size_t len = 1;
	char *s;
	int i;

	if (argc == 0)
		return NULL;
	for (i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	if ((s = calloc(1, len)) == NULL)
		return NULL;
	for (i = 0; i < argc; i++) {
		if (i > 0)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

static int watch_options(int argc, char **argv, struct watch_opts *o)
{
	static const struct option longopts[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "write", required_argument, NULL, 'w' },
		{ "json", no_argument, NULL, 'j' },
		{ "hold", required_argument, NULL, 'H' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t us;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+i:w:jH:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'i': o->iface = optarg; break;
		case 'w': o->wfile = optarg; break;
		case 'j': o->fmt = OUT_JSON; break;
		case 'v': o->verbose++; break;
		case 'h': watch_usage(stdout); return 1;
		case 'H':
			if (conf_parse_time(optarg, 1000000, 3600, &us) < 0) {
				log_warnx("--hold %s: give seconds, 0 to 3600", optarg);
				return -1;
			}
			o->ec.hold_us = us;
			break;
		default:
			log_warnx("watch: unknown option, or one without its value: %s",
				  argv[optind - 1]);
			return -1;
		}
	}
	if (o->iface == NULL) {
		log_warnx("watch: give the interface to capture on: -i name");
		return -1;
	}
	o->filter = watch_join(argc - optind, argv + optind);
	return 0;
}

/* Compile and set the filter (the default one when none is given). */
static int watch_filter(pcap_t *p, const struct watch_opts *o)
{
	const char *expr = o->filter != NULL ? o->filter : WATCH_FILTER;
	struct bpf_program prog;
	int rc;

	if (pcap_compile(p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		log_warnx("watch: filter '%s': %s", expr, pcap_geterr(p));
		return -1;
	}
	rc = pcap_setfilter(p, &prog);
	pcap_freecode(&prog);
	if (rc < 0)
		log_warnx("watch: filter '%s': %s", expr, pcap_geterr(p));
	return rc;
}

/* Open the interface: TPACKET_V3 ring, promiscuous, microseconds. */
static pcap_t *watch_open(const struct watch_opts *o)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *p;
	int rc;

	if ((p = pcap_create(o->iface, errbuf)) == NULL) {
		log_warnx("watch: %s: %s", o->iface, errbuf);
		return NULL;
	}
	pcap_set_snaplen(p, WATCH_SNAPLEN);
	pcap_set_promisc(p, 1);
	pcap_set_timeout(p, WATCH_BLOCK_MS);
	pcap_set_buffer_size(p, WATCH_BUFFER);
	pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_MICRO);
	rc = pcap_activate(p);
	if (rc < 0) {
		log_warnx("watch: %s: %s (capturing needs root or CAP_NET_RAW)",
			  o->iface, pcap_geterr(p));
		pcap_close(p);
		return NULL;
	}
	if (rc > 0)
		log_warnx("watch: %s: %s", o->iface, pcap_geterr(p));
	if (watch_filter(p, o) < 0 || pcap_setnonblock(p, 1, errbuf) < 0) {
		pcap_close(p);
		return NULL;
	}
	return p;
}

static void watch_emit(struct rst_event *e, void *arg)
{
	output_event(arg, e);
}

/* Until a signal: read what the ring has, let held resets go in time. */
static int watch_loop(struct watch *w)
{
	struct pollfd pfd = { .fd = pcap_get_selectable_fd(w->p), .events = POLLIN };
	int n;

	while (!watch_quit) {
		if (poll(&pfd, 1, WATCH_BLOCK_MS) < 0 && errno != EINTR) {
			log_warn("watch: poll");
			return -1;
		}
		n = pcapin_dispatch(w->p, w->lt, w->eng, &w->st, w->dump);
		if (n < 0 && n != PCAP_ERROR_BREAK) {
			log_warnx("watch: %s", pcap_geterr(w->p));
			return -1;
		}
		engine_tick(w->eng, clk_real_us() - WATCH_LAG_US);
		if (w->dump != NULL)
			pcap_dump_flush(w->dump);
		fflush(w->out.fp);
	}
	/* What the kernel still holds in a block it hands over on timeout. */
	for (n = 0; n < 3; n++) {
		(void)poll(&pfd, 1, WATCH_BLOCK_MS);
		while (pcapin_dispatch(w->p, w->lt, w->eng, &w->st, w->dump) > 0)
			;
	}
	return 0;
}

/* The kernel's counts: a drop means events may be missing, so say it. */
static void watch_report(struct watch *w, const char *iface)
{
	struct pcap_stat ps;

	analyze_warn_frames(iface, &w->st);
	if (pcap_stats(w->p, &ps) < 0) {
		log_warnx("watch: %s: %s", iface, pcap_geterr(w->p));
		return;
	}
	if (ps.ps_drop > 0 || ps.ps_ifdrop > 0)
		log_warnx("watch: %s: %u packets dropped by the kernel, %u by the "
			  "interface: resets among them were not judged", iface,
			  ps.ps_drop, ps.ps_ifdrop);
	log_info("watch: %s: %u packets received, %" PRIu64 " read", iface,
		 ps.ps_recv, w->st.frames);
}

static int watch_setup(struct watch *w, const struct watch_opts *o)
{
	char lname[64];

	if ((w->p = watch_open(o)) == NULL)
		return EXIT_UNREADABLE;
	if (pcapin_link(w->p, &w->lt, lname) < 0) {
		log_warnx("watch: %s: link type %s is not supported", o->iface,
			  lname);
		return EXIT_UNREADABLE;
	}
	if (o->wfile != NULL &&
	    (w->dump = pcap_dump_open(w->p, o->wfile)) == NULL) {
		log_warnx("watch: -w %s: %s", o->wfile, pcap_geterr(w->p));
		return EXIT_NOOUTPUT;
	}
	if ((w->eng = engine_new(&o->ec, watch_emit, &w->out)) == NULL) {
		log_warn("watch: cannot allocate tables for %u flows",
			 o->ec.max_flows);
		return EXIT_INTERNAL;
	}
	output_init(&w->out, stdout, o->fmt);
	/* Frames are numbered as in the -w file, or counted on the interface. */
	w->out.file = o->wfile != NULL ? o->wfile : o->iface;
	return EXIT_OK;
}

static void watch_close(struct watch *w)
{
	engine_free(w->eng);
	if (w->dump != NULL)
		pcap_dump_close(w->dump);
	if (w->p != NULL)
		pcap_close(w->p);
}

int watch_main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = watch_signal };
	struct watch_opts o = { .fmt = OUT_TEXT };
	struct watch w = { 0 };
	int rc;

	engine_conf_default(&o.ec);
	log_init(1, 0);
	if ((rc = watch_options(argc, argv, &o)) != 0) {
		if (rc < 0)
			watch_usage(stderr);
		return rc < 0 ? EXIT_USAGE : EXIT_OK;
	}
	log_init(o.verbose, 0);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if ((rc = watch_setup(&w, &o)) == EXIT_OK) {
		log_info("watch: %s: capturing (%s)", o.iface,
			 o.filter != NULL ? o.filter : WATCH_FILTER);
		if (watch_loop(&w) < 0)
			rc = EXIT_UNREADABLE;
		engine_flush(w.eng);
		fflush(stdout);		/* the events, before the last words */
		watch_report(&w, o.iface);
		output_summary(&w.out, w.st.status[PKT_OK], 1);
		if (fflush(stdout) == EOF || ferror(stdout)) {
			log_warn("standard output");
			rc = EXIT_INTERNAL;
		}
	}
	watch_close(&w);
	free(o.filter);
	return rc;
}
