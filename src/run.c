/*
 * run.c: `rstaudit run`, the live daemon.
 *
 * main() reads like a script: options, configuration, the event file,
 * the queues (one per thread, each with its own engine and conntrack
 * socket: the kernel's queue balancing hashes both directions of a flow
 * to the same queue), the nftables table, then one poll() loop per queue
 * in a thread with every signal blocked.  The main thread is the control
 * thread: signals (as volatile sig_atomic_t flags, taken in ppoll()),
 * SIGHUP's reload, the control socket and metrics listener, the
 * degradation watch and the watchdog; nothing it does can stall a
 * queue.  Events are written by whichever queue thread releases them,
 * under one mutex.
 */
#include "run_int.h"

volatile sig_atomic_t run_quit, run_reopen, run_dump;
int run_stopping;	/* for the threads: __atomic_* only */

static void run_signal(int sig)
{
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		run_quit = 1;
		break;
	case SIGHUP:
		run_reopen = 1;
		break;
	case SIGUSR1:
		run_dump = 1;
		break;
	}
}

int run_is_stopping(void)
{
	return __atomic_load_n(&run_stopping, __ATOMIC_RELAXED);
}

/* The nftables table (nft.c): installed at start, removed at exit. */
struct nft_handle run_nft;
int run_nft_installed;

/* The table's settings, from the configuration. */
static void rules_conf(const struct conf *c, struct nft_conf *nc)
{
	nft_conf_default(nc);
	nc->queue_num = c->queue;
	nc->queue_total = c->queues;
	nc->fanout = c->fanout;
	nc->learn_packets = c->learn_packets;
	nc->mark = c->mark;
	nc->invalid_mark = c->invalid_mark;
	nc->log_group = c->log_group;
	nc->log_rejects = c->log_rejects;
}

static int rules_install(const struct conf *c)
{
	struct nft_conf nc;
	struct nft_caps caps;

	rules_conf(c, &nc);
	if (nft_detect(&caps) < 0) {
		log_warn("nftables: cannot probe the kernel");
		return -1;
	}
	if (nft_install(&nc, &caps, &run_nft) < 0)
		return -1;	/* nft_install() said why */
	run_nft_installed = 1;
	return 0;
}

static uint64_t run_guard_fails;	/* __atomic_* only */

/* enforce.h's guard: RSTs like e dropped in the kernel for ms. */
int run_guard(void *arg, const struct rst_event *e, uint32_t ms)
{
	struct nft_guard_key k;
	size_t alen = e->p.family == 6 ? 16 : 4;
	uint64_t t0;
	char src[RST_ADDRSTRLEN], dst[RST_ADDRSTRLEN];

	(void)arg;
	memset(&k, 0, sizeof(k));
	k.v6 = e->p.family == 6;
	memcpy(k.src, e->p.src, alen);
	memcpy(k.dst, e->p.dst, alen);
	k.sport = e->p.sport;
	k.dport = e->p.dport;
	k.ttl = e->p.ttl;	/* as it arrived: the guard sees it before routing */
	t0 = clk_real_us();
	if (nft_guard_add(&run_nft, &k, ms) == 0) {
		log_info("guard: RSTs %s port %u > %s port %u with ttl %u dropped "
			 "in the kernel for %.1f s (%" PRIu64 " us after the RST came, "
			 "%" PRIu64 " us to add)",
			 rst_addr(e->p.family, e->p.src, src), e->p.sport,
			 rst_addr(e->p.family, e->p.dst, dst), e->p.dport, e->p.ttl,
			 ms / 1e3, clk_real_us() - e->ts_us, clk_real_us() - t0);
		return 0;
	}
	/* Said for the first failure and every 1024th: an attack can flood. */
	if ((__atomic_fetch_add(&run_guard_fails, 1, __ATOMIC_RELAXED) & 1023) == 0)
		log_warn("nftables: cannot guard %s port %u > %s port %u ttl %u "
			 "(failure %" PRIu64 "; its RSTs still come to the queue)",
			 rst_addr(e->p.family, e->p.src, src), e->p.sport,
			 rst_addr(e->p.family, e->p.dst, dst), e->p.dport, e->p.ttl,
			 __atomic_load_n(&run_guard_fails, __ATOMIC_RELAXED));
	return -1;
}

static void rules_remove(void)
{
	if (run_nft_installed && nft_remove(&run_nft) == 0)
		run_nft_installed = 0;
}

/* Stop queueing without losing what is queued (nft_quiesce()). */
static void rules_quiesce(void)
{
	if (run_nft_installed)
		(void)nft_quiesce(&run_nft);
}


static enum out_format run_format(const struct conf *c)
{
	enum out_format f = OUT_JSON;

	if (c->json_format[0] != '\0' &&
	    (output_format_parse(c->json_format, &f) < 0 || f == OUT_TEXT))
		return OUT_FORMAT_MAX;
	return f;
}

/*
 * The event file, O_NOFOLLOW, 0640 whatever the umask (safefile.h), with
 * a buffer of OUT_BUFSZ in *buf (setvbuf() with no buffer of its own
 * ignores the size: glibc gave 4 KiB, and ext4 zeroed the rest of a
 * large folio for each of those writes, a tenth of the writer's time).
 */
static FILE *event_file_open(struct run *r, const char *path, char **buf)
{
	FILE *fp = safefile_append(path, r->uid);

	if (fp == NULL)
		return NULL;
	if ((*buf = malloc(OUT_BUFSZ)) != NULL)
		setvbuf(fp, *buf, _IOFBF, OUT_BUFSZ);
	return fp;
}

/* Open (or reopen, after SIGHUP) the event file. */
static int run_output_open(struct run *r)
{
	const char *path = r->conf.json_file;
	FILE *fp = stdout;

	if (path[0] != '\0' && strcmp(path, "-") != 0) {
		fp = event_file_open(r, path, &r->out_buf);
		if (fp == NULL) {
			log_warn("%s", path);
			return -1;
		}
		priv_give(fileno(fp), path, r->uid, r->gid);	/* SIGHUP reopens it */
	}
	output_init(&r->out, fp, run_format(&r->conf));
	if (gethostname(r->host, sizeof(r->host) - 1) == 0 && r->host[0])
		r->out.host = r->host;
	return 0;
}

/*
 * Native journal entries with journal yes, or auto under systemd (standard
 * error is the journal).  The JSON lines then leave standard output when
 * it is the journal too: each event would be there twice.
 */
static int run_journal_open(struct run *r)
{
	const char *mode = r->conf.journal;
	FILE *fp;

	if (strcmp(mode, "no") == 0 ||
	    (strcmp(mode, "auto") == 0 && !journal_stream_is(STDERR_FILENO)))
		return 0;
	if ((r->journal = journal_open(JOURNAL_SOCKET)) == NULL)
		return strcmp(mode, "yes") == 0 ? -1 : 0;
	log_info("events to the journal, natively (journalctl RSTAUDIT_ORIGIN=...)");
	if (r->out.fp == stdout && journal_stream_is(STDOUT_FILENO) &&
	    (fp = fopen("/dev/null", "w")) != NULL) {
		r->out.fp = fp;
		log_info("standard output is the journal: no JSON lines there");
	}
	return 0;
}

static void run_journal_close(struct run *r)
{
	struct journal_stats st;

	if (r->journal == NULL)
		return;
	journal_get_stats(r->journal, &st);
	if (st.dropped > 0)
		log_warnx("journal: %llu entries sent, %llu dropped (socket full)",
			  (unsigned long long)st.sent,
			  (unsigned long long)st.dropped);
	journal_close(r->journal);
}

static void run_output_reopen(struct run *r)
{
	const char *path = r->conf.json_file;
	char *buf = NULL;
	FILE *fp;

	if (path[0] == '\0' || strcmp(path, "-") == 0)
		return;
	fp = event_file_open(r, path, &buf);
	if (fp == NULL) {
		log_warn("%s: cannot reopen; still writing to the old file", path);
		return;
	}
	pthread_mutex_lock(&r->out_mu);
	fclose(r->out.fp);
	free(r->out_buf);	/* the old file's, flushed by fclose() */
	r->out.fp = fp;		/* the counts carry on */
	r->out_buf = buf;
	pthread_mutex_unlock(&r->out_mu);
	log_info("%s: reopened", path);
}

static void run_usage(FILE *fp)
{
	fprintf(fp,
		"usage: rstaudit run [-dnv] [-c file] [-u user] [--json-file path]\n"
		"                    [--format eve|ecs|legacy] [--syslog]\n"
		"                    [--queue n] [--queues n] [--fanout] [--hold seconds]\n"
		"                    [--no-install-rules] [--control-socket path]\n");
}

/* Command-line settings, applied over the configuration file. */
struct override {
	const char *key, *value;
};

static int run_options(struct run *r, int argc, char **argv,
		       struct override *ov, int *nov)
{
	static const struct option longopts[] = {
		{ "json-file", required_argument, NULL, 'j' },
		{ "format", required_argument, NULL, 'F' },
		{ "queue", required_argument, NULL, 'q' },
		{ "queues", required_argument, NULL, 'Q' },
		{ "hold", required_argument, NULL, 'H' },
		{ "fanout", no_argument, NULL, 'f' },
		{ "syslog", no_argument, NULL, 's' },
		{ "no-install-rules", no_argument, NULL, 'N' },
		{ "control-socket", required_argument, NULL, 'S' },
		{ "user", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "c:dnu:vh", longopts, NULL)) != -1) {
		const char *key = NULL, *value = optarg;

		switch (ch) {
		case 'c':
			r->conf_path = optarg;
			break;
		case 'd':
			r->daemonize = 1;
			break;
		case 'n':
			r->check_only = 1;
			break;
		case 'v':
			r->verbose++;
			break;
		case 'j': key = "json_file"; break;
		case 'F': key = "json_format"; break;
		case 'q': key = "queue"; break;
		case 'Q': key = "queues"; break;
		case 'H': key = "hold"; break;
		case 'f': key = "fanout"; value = "yes"; break;
		case 's': key = "syslog"; value = "yes"; break;
		case 'N': key = "install_rules"; value = "no"; break;
		case 'S': key = "control_socket"; break;
		case 'u': key = "user"; break;
		case 'h':
			run_usage(stdout);
			exit(EXIT_OK);
		default:
			run_usage(stderr);
			return -1;
		}
		if (key != NULL && *nov < 16) {
			ov[*nov].key = key;
			ov[(*nov)++].value = value;
		}
	}
	if (optind != argc) {
		log_warnx("run: unexpected argument '%s'", argv[optind]);
		run_usage(stderr);
		return -1;
	}
	return 0;
}

/*
 * Configuration file, then the command line over it, into c.  Returns
 * the errors (each logged).
 */
static int run_configure(struct run *r, struct conf *c)
{
	const char *path = r->conf_path ? r->conf_path : CONF_FILE;
	const char *err;
	char msg[PATH_MAX + 128];
	int errors = 0, i;

	conf_default(c);
	errors = conf_load(c, path);
	if (errors < 0) {
		errors = 0;
		if (r->conf_path != NULL || errno != ENOENT) {
			log_warn("%s", path);
			errors = 1;
		}
	}
	for (i = 0; i < r->nov; i++)
		if (conf_set(c, r->ov[i].key, r->ov[i].value, &err) < 0) {
			log_warnx("command line: %s", err);
			errors++;
		}
	if ((unsigned)c->queue + c->queues - 1 > 65535) {
		log_warnx("%s: queues %u from queue %u go past 65535", path,
			  c->queues, c->queue);
		errors++;
	}
	if (c->evidence_dir[0] != '\0' &&
	    evpcap_check(c->evidence_dir, c->user, msg, sizeof(msg)) < 0) {
		log_warnx("%s: %s", path, msg);
		errors++;
	}
	if (run_format(c) == OUT_FORMAT_MAX) {
		log_warnx("%s: json_format %s: give eve, ecs or legacy", path,
			  c->json_format);
		errors++;
	}
	if (r->daemonize && c->json_file[0] != '\0' && c->json_file[0] != '/') {
		log_warnx("json_file %s: give an absolute path with -d",
			  c->json_file);
		errors++;
	}
	errors += priv_configure(path, c->user, &r->uid, &r->gid);
	errors += ctl_configure(path, c->control_socket);
	errors += ctl_http_configure(path, c->metrics_listen);
	errors += slog_configure(path, c->syslog_target);
	errors += journal_configure(path, c->journal);
	return errors;
}


/*
 * Hand the workers a new policy: each takes it up at its next wakeup
 * (worker_policy(); the tick wakes them every TICK_US), and the old one
 * is freed once all have (run_policy_reap()).  Main thread only.
 */
static int run_policy_publish(struct run *r, const struct policy *pol)
{
	struct policy *p;
	int i;

	/* One swap at a time: the one before must be taken up by all. */
	for (i = 0; r->pol_old != NULL && i < 100; i++) {
		run_policy_reap(r);
		if (r->pol_old != NULL)
			usleep(TICK_US / 10);
	}
	if (r->pol_old != NULL) {
		log_warnx("the last policy is not taken up by every queue yet");
		return -1;
	}
	if ((p = malloc(sizeof(*p))) == NULL) {
		log_warn("policy");
		return -1;
	}
	*p = *pol;
	r->pol_old = r->pol;
	__atomic_store_n(&r->pol, p, __ATOMIC_RELEASE);
	__atomic_store_n(&r->pol_gen, r->pol_gen + 1, __ATOMIC_RELEASE);
	if (r->nw > 0)
		worker_policy(&r->w[0]);	/* the main thread's own */
	run_policy_reap(r);
	return 0;
}

void run_policy_reap(struct run *r)
{
	int i;

	if (r->pol_old == NULL)
		return;
	for (i = 0; i < r->nw; i++)
		if (r->w[i].enf != NULL &&
		    __atomic_load_n(&r->w[i].pol_gen, __ATOMIC_ACQUIRE) !=
		    r->pol_gen)
			return;
	free(r->pol_old);
	r->pol_old = NULL;
}


/*
 * SIGHUP: read the configuration again.  With any error keep all of the
 * running one; else take up the policy, the event file and syslog, and
 * name the keys that changed but need a restart.  The event file is
 * reopened either way (log rotation).
 */
void run_reload(struct run *r)
{
	const char *path = r->conf_path ? r->conf_path : CONF_FILE;
	struct conf *c = malloc(sizeof(*c));
	int errors;

	if (c == NULL) {
		log_warn("reload");
		run_output_reopen(r);
		return;
	}
	errors = run_configure(r, c);
	if (errors) {
		log_warnx("%s: %d error%s; still running the configuration read "
			  "before", path, errors, errors == 1 ? "" : "s");
		free(c);
		run_output_reopen(r);
		return;
	}
	conf_report_restart(path, &r->conf, c);
	if (run_policy_publish(r, &c->policy) == 0)
		r->conf.policy = c->policy;
	memcpy(r->conf.json_file, c->json_file, sizeof(c->json_file));
	if (r->conf.syslog != c->syslog) {
		pthread_mutex_lock(&r->out_mu);	/* the queue threads read it */
		r->conf.syslog = c->syslog;
		pthread_mutex_unlock(&r->out_mu);
		log_init(r->verbose, r->conf.syslog || r->daemonize);
	}
	free(c);
	run_output_reopen(r);
	log_warnx("%s: reloaded: policy %s, %u rule%s", path,
		  policy_mode_names[r->conf.policy.mode], r->conf.policy.nrules,
		  r->conf.policy.nrules == 1 ? "" : "s");
}

/* The control socket's poll entries, then the metrics listener's. */
static int control_pollfds(struct run *r, struct pollfd *pfd, int *nctl)
{
	int n;

	n = *nctl = r->ctl != NULL ? ctl_pollfds(r->ctl, pfd) : 0;
	if (r->http != NULL)
		n += ctl_pollfds(r->http, pfd + n);
	return n;
}

static void control_serve(struct run *r, struct pollfd *pfd, int n, int nctl)
{
	if (nctl > 0)
		ctl_serve(r->ctl, pfd, nctl, counters_render, r);
	if (n > nctl)
		ctl_serve(r->http, pfd + nctl, n - nctl, counters_render, r);
}

/*
 * systemd's watchdog is told "alive" only while every queue's loop is:
 * each stamps its tick (worker.c); one silent for QUEUE_STALL_US is
 * stuck, said once, and the service manager may restart us.
 */
static void control_watchdog(struct run *r)
{
	uint64_t now = clk_mono_us(), t;
	int i, stuck = 0;

	for (i = 0; i < r->nw; i++) {
		t = __atomic_load_n(&r->w[i].tick_us, __ATOMIC_RELAXED);
		if (now - t < QUEUE_STALL_US) {
			r->w[i].stall_said = 0;
			continue;
		}
		stuck = 1;
		if (!r->w[i].stall_said)
			log_warnx("queue %u: its loop has not run for %.1f s",
				  r->w[i].qnum, (now - t) / 1e6);
		r->w[i].stall_said = 1;
	}
	if (!stuck)
		notify_watchdog();
}

/*
 * The control thread's loop, until SIGTERM or SIGINT.  The signals are
 * blocked but in ppoll(), so a flag set just before it cannot be missed.
 */
static void control_loop(struct run *r)
{
	struct pollfd pfd[2 * CTL_POLLFDS];
	struct timespec tick = { 0, TICK_US * 1000 };
	sigset_t sigs, old;
	uint64_t last = 0;
	int n, nctl;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &sigs, &old);
	while (!run_quit) {
		if (run_reopen) {
			run_reopen = 0;
			notify_reloading();
			run_reload(r);
			notify_ready("reloaded");
		}
		run_policy_reap(r);
		if (run_dump) {
			run_dump = 0;
			counters_print(r);
		}
		if (clk_mono_us() - last >= TICK_US) {
			last = clk_mono_us();
			control_watchdog(r);
			run_degrade(r);
		}
		n = control_pollfds(r, pfd, &nctl);
		if (ppoll(pfd, (nfds_t)n, &tick, &old) < 0) {
			if (errno != EINTR)
				log_warn("control: poll");
			continue;
		}
		control_serve(r, pfd, n, nctl);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* This process's resident memory in MiB, from the kernel (0: unknown). */
static unsigned long resident_mib(void)
{
	FILE *fp = fopen("/proc/self/statm", "re");
	unsigned long size, pages = 0;

	if (fp != NULL) {
		if (fscanf(fp, "%lu %lu", &size, &pages) != 2)
			pages = 0;
		fclose(fp);
	}
	return pages * (unsigned long)sysconf(_SC_PAGESIZE) >> 20;
}

static void signals_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = run_signal;	/* no SA_RESTART: poll() returns */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/*
 * The one way out, from wherever the start stopped: the table first
 * (packets pass again), then the threads and what they write to.
 */
static void run_teardown(struct run *r)
{
	int i;

	rules_remove();
	writer_stop(r->wr);	/* it writes to what follows */
	locator_stop(r->loc);
	for (i = 0; i < r->nw; i++)
		worker_close(&r->w[i]);
	free(r->w);
	ctview_free(r->view);
	if (r->stamp_fd >= 0)
		close(r->stamp_fd);
	evpcap_close(r->ev);
	free(r->pol);
	free(r->pol_old);
	if (r->out.fp != NULL && r->out.fp != stdout)
		fclose(r->out.fp);
	free(r->out_buf);
	pthread_mutex_destroy(&r->out_mu);
	pthread_mutex_destroy(&r->ev_mu);
	ctl_close(r->ctl);
	ctl_close(r->http);
	slog_close(r->slog);
	run_journal_close(r);
	notify_close();
}

/* -n: the configuration checked, the policy and (-v -v) the table shown. */
static int run_check(struct run *r, int errors)
{
	struct nft_conf nc;

	if (errors != 0) {
		fprintf(stderr, "%d error%s\n", errors, errors == 1 ? "" : "s");
		return EXIT_USAGE;
	}
	fprintf(stderr, "configuration OK\n");
	enforce_describe(stderr, &r->conf.policy, r->verbose);
	rules_conf(&r->conf, &nc);
	if (r->verbose > 1 && nft_render(&nc, stdout) < 0)
		return EXIT_USAGE;	/* nft_render() said why */
	return EXIT_OK;
}

/*
 * Everything that needs privileges, in order: outputs, sockets, queues,
 * the table, then the privilege drop.  EXIT_OK, or the exit status after
 * saying why; run_teardown() undoes what was done either way.
 */
static int run_open(struct run *r)
{
	char err[256];
	int i;

	if (run_output_open(r) < 0 || run_journal_open(r) < 0)
		return EXIT_NOOUTPUT;
	/* While we may still make its directory and give it to our user. */
	if (strcmp(r->conf.control_socket, "none") != 0 &&
	    (r->ctl = ctl_open(r->conf.control_socket, r->uid, r->gid)) == NULL)
		return EXIT_SETUP;
	if (strcmp(r->conf.metrics_listen, "none") != 0 &&
	    (r->http = ctl_open_http(r->conf.metrics_listen)) == NULL)
		return EXIT_SETUP;
	if (evpcap_setup(&r->conf, &r->ev) < 0)
		return EXIT_NOOUTPUT;
	if (run_policy_publish(r, &r->conf.policy) < 0)
		return EXIT_SETUP;
	/* Before the queues: what they carry is stamped when it came. */
	if ((r->stamp_fd = nfqueue_stamps_on()) < 0)
		log_warn("SO_TIMESTAMP: packets carry the time they are read");
	if ((r->w = calloc((size_t)r->conf.queues, sizeof(*r->w))) == NULL) {
		log_warn("workers");
		return EXIT_SETUP;
	}
	for (i = 0; i < r->conf.queues; i++) {
		r->nw = i + 1;	/* run_teardown() closes what it opened */
		if (worker_open(r, &r->w[i], i) < 0)
			return EXIT_SETUP;
	}
	/* Queues first: from the first rule on, someone listens. */
	if (r->conf.install_rules && rules_install(&r->conf) < 0)
		return EXIT_SETUP;
	/* Everything privileged is open; before any thread: caps are per thread. */
	if (r->conf.user[0] != '\0' && priv_drop(r->conf.user, r->uid, r->gid) < 0)
		return EXIT_SETUP;
	/* Evidence files are made as that user: it must be able to. */
	if (r->ev != NULL && r->conf.user[0] != '\0' &&
	    evpcap_check(r->conf.evidence_dir, r->conf.user, err, sizeof(err)) < 0) {
		log_warnx("%s (as user %s)", err, r->conf.user);
		return EXIT_SETUP;
	}
	return EXIT_OK;
}

/*
 * The threads started, the control loop until a signal or a failure,
 * then the orderly stop: the exit status.
 */
static int run_serve(struct run *r)
{
	int rc = EXIT_OK;

	log_info("queue %u (%d in all), hold %.1f s, conntrack %s, events to %s",
		 r->conf.queue, r->nw, r->conf.hold_us / 1e6,
		 live_ct_source(&r->w[0]),
		 r->conf.json_file[0] ? r->conf.json_file : "stdout");
	/* rstaudit.conf(5), max_flows: what that bound costs, paid now. */
	log_info("tables for %u flows faulted in: %lu MiB resident",
		 r->conf.max_flows, resident_mib());
	log_info("policy %s, %u rule%s", policy_mode_names[r->conf.policy.mode],
		 r->conf.policy.nrules, r->conf.policy.nrules == 1 ? "" : "s");
	if (r->daemonize && daemon(0, 0) < 0) {
		log_warn("daemon");
		return EXIT_SETUP;
	}
	/* A thread: after the privilege drop and daemon(), as the locator. */
	if (strcmp(r->conf.syslog_target, "none") != 0 &&
	    (r->slog = slog_open(r->conf.syslog_target, r->conf.syslog_queue)) == NULL)
		log_warnx("syslog_target %s: events not sent there",
			  r->conf.syslog_target);
	if (r->conf.locate && (r->loc = locator_start(&(struct locator_conf){
		.interval_s = r->conf.locate_interval,
		.budget = r->conf.locate_budget,
		.max_ttl = r->conf.locate_max_ttl }, run_located, r)) == NULL)
		log_warn("locate: no thread; not locating");
	/* The writer before the queues, which hand it their events. */
	if ((r->wr = writer_start(WRITER_SLOTS, TICK_US, run_write, run_flush,
				  r)) == NULL) {
		log_warn("cannot start the event writer thread");
		rc = EXIT_SETUP;
	} else if (workers_start(r) < 0) {
		rc = EXIT_SETUP;
	} else {
		notify_ready("auditing");	/* the table and queues are up */
		control_loop(r);
	}

	notify_stopping();
	/*
	 * No new packets, then answer what is left (the held RSTs too) and
	 * release the RSTs; only then the chains, whose removal would drop
	 * every packet still waiting for a verdict.
	 */
	rules_quiesce();
	workers_stop(r);	/* each answers what is left, releases its RSTs */
	writer_stop(r->wr);	/* and every event is written */
	r->wr = NULL;
	rules_remove();
	if (__atomic_load_n(&r->failed, __ATOMIC_RELAXED))
		rc = EXIT_SETUP;
	counters_print(r);
	log_info("exiting");
	return rc;
}

int run_main(int argc, char **argv)
{
	struct override ov[16];
	struct run r;
	int nov = 0, errors, rc;

	memset(&r, 0, sizeof(r));
	r.stamp_fd = -1;
	pthread_mutex_init(&r.out_mu, NULL);
	pthread_mutex_init(&r.ev_mu, NULL);
	log_init(1, 0);
	if (run_options(&r, argc, argv, ov, &nov) < 0)
		return EXIT_USAGE;
	r.ov = ov;
	r.nov = nov;
	errors = run_configure(&r, &r.conf);
	if (r.check_only)
		return run_check(&r, errors);
	if (errors) {
		log_warnx("%d error%s in the configuration", errors,
			  errors == 1 ? "" : "s");
		return EXIT_USAGE;
	}
	log_init(r.verbose, r.conf.syslog || r.daemonize);
	signals_install();
	notify_init();
	r.start_time = clk_real_us() / 1000000;
	if ((rc = run_open(&r)) == EXIT_OK)
		rc = run_serve(&r);
	run_teardown(&r);
	return rc;
}
