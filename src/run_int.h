/*
 * run_int.h: what the files of `rstaudit run` share (run.h is its public
 * face).  run.c: options, configuration, the event file, the nftables
 * table, signals and main(); worker.c: one queue's loop, from a queued
 * packet to its verdict and event; runstats.c: the counters summed over
 * the workers, and the degradations said in the log.
 */
#ifndef RSTAUDIT_RUN_INT_H
#define RSTAUDIT_RUN_INT_H

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <linux/netfilter.h>

#include "clk.h"
#include "conf.h"
#include "ct.h"
#include "ctview.h"
#include "ctl.h"
#include "slog.h"
#include "journal.h"
#include "engine.h"
#include "evpcap.h"
#include "enforce.h"
#include "exitcode.h"
#include "locate.h"
#include "locator.h"
#include "log.h"
#include "nfq.h"
#include "nft.h"
#include "note.h"
#include "notify.h"
#include "output.h"
#include "pkt.h"
#include "priv.h"
#include "route.h"
#include "run.h"
#include "safefile.h"
#include "stats.h"
#include "writer.h"

#define TICK_US		100000	/* engine_tick() period, and event flushes */
#define OUT_BUFSZ	65536	/* the event file's buffer */
#define READS_PER_WAKE	16	/* batches read before looking at the timer */
#define LOG_READS_PER_BATCH 64	/* NFLOG batches read before a queue batch */
#define LOG_BUF_FACTOR	8	/* NFLOG socket buffer, in queue lengths */
#define LOG_LENGTH_MAX	65536	/* ... at most (32 MiB) */
#define DEGRADE_SAY_US	10000000	/* a degradation said at most this often */
#define QUEUE_STALL_US	10000000	/* a queue loop this long silent is stuck */
#define SNAP_WAIT_US	250000		/* the longest counters wait for a queue */
#define VIEW_READ_US	10000		/* conntrack's events read this often, idle */
#define LOG_READ_US	1000		/* the NFLOG group read this often, idle */
#define WRITER_SLOTS	16384		/* events waiting for the writer, at most */


struct worker_counts {
	struct stats_queue	s;		/* stats.h */
	struct enforce_stats	pol;
};

struct run;

struct worker {
	struct run		*run;
	int			 idx;
	uint16_t		 qnum;
	pthread_t		 tid;
	int			 started;
	struct nfqueue		*q;
	struct nfqueue		*log;		/* the NFLOG group (worker 0) */
	struct ct_handle	*ct;
	struct ctview		*view;		/* the run's, or NULL: ask per RST */
	struct notes		*notes;		/* RSTs conntrack did not take */
	int			 table_facts;	/* no view: the notes alone */
	uint64_t		 table_hits;	/* RSTs answered by them */
	uint64_t		 view_hits;	/* RSTs answered by the view */
	uint64_t		 view_fallbacks; /* ... it could not answer */
	uint64_t		 view_read_us;	/* when it last read the view */
	uint32_t		 view_slot[NFQUEUE_BATCH]; /* a batch's RSTs' */
	unsigned		 nview_slot;
	uint64_t		 log_read_us;	/* ... and the NFLOG group */
	int			 log_busy;	/* that read left some behind */
	struct engine		*eng;
	struct evring		*ring;		/* recent packets (evidence on) */
	struct evhand		*hand;		/* flows to the writer (evidence on) */
	struct enforce		*enf;		/* the policy at work */
	uint64_t		 pol_gen;	/* generation of its policy */
	int			 tfd;
	uint64_t		 tick_us;	/* its last tick (__atomic_*) */
	int			 snap_fd;	/* eventfd: take a snapshot now */
	uint64_t		 snap_gen;	/* the request it last took (__atomic_*) */
	int			 stall_said;	/* control thread's: stuck, said */
	uint64_t		 parse[PKT_STATUS_MAX];
	pthread_mutex_t		 snap_mu;	/* guards snap */
	struct worker_counts	 snap;		/* for the main thread */
};

struct override;

struct run {
	struct conf		 conf;
	const char		*conf_path;
	const struct override	*ov;		/* command line, over the file */
	int			 nov;
	/* The policy the workers use; SIGHUP swaps it (run_policy_publish()). */
	struct policy		*pol, *pol_old;
	uint64_t		 pol_gen;
	int			 verbose, daemonize, check_only;
	pthread_mutex_t		 out_mu;	/* guards out and its file */
	char			*out_buf;	/* the event file's stdio buffer */
	struct output		 out;
	struct writer		*wr;		/* the event writer thread */
	struct ctview		*view;		/* conntrack, from its events; or NULL */
	/* Events written, by origin and cause (__atomic_*: out_mu may be
	 * held by a writer waiting on a full pipe or a hung disk). */
	uint64_t		 nevents;
	uint64_t		 nby[ORIGIN_MAX][CAUSE_MAX];
	/* The writer thread's alone: a hung evidence disk stalls only it. */
	struct evpcap		*ev;		/* evidence files, or NULL */
	pthread_mutex_t		 ev_mu;		/* guards ev_st */
	struct evpcap_stats	 ev_st;		/* ev's counters, after each event */
	struct worker		*w;
	int			 nw;
	int			 failed;	/* a queue failed while running */
	int			 stamp_fd;	/* nfqueue_stamps_on()'s, or -1 */
	struct ctl		*ctl;		/* the control socket, or NULL */
	struct ctl		*http;		/* metrics_listen, or NULL */
	struct slog		*slog;		/* syslog_target, or NULL */
	struct journal		*journal;	/* native journal entries, or NULL */
	uid_t			 uid;		/* conf.user's, or (uid_t)-1 */
	gid_t			 gid;
	uint64_t		 start_time;	/* seconds since the epoch */
	/* Degradation, watched by the main thread (run_degrade()). */
	uint64_t		 deg_total[DEG_MAX];	/* the causes' totals */
	uint64_t		 deg_last_us[DEG_MAX];	/* when each last grew */
	uint64_t		 deg_said[DEG_MAX];	/* totals when last said */
	uint64_t		 deg_said_us;		/* when last said */
	uint64_t		 deg_checked_us;
	int			 acct_off;	/* conntrack accounting read off */
	uint64_t		 snap_gen;	/* counters asked for (control thread) */
	struct locator		*loc;		/* locate yes, or NULL */
	char			 host[256];	/* the events' "host" */
};

/* run.c: the signals' flags, and the table. */
extern volatile sig_atomic_t run_quit, run_reopen, run_dump;
extern int run_stopping;	/* for the threads: __atomic_* only */
extern struct nft_handle run_nft;
extern int run_nft_installed;

/* run.c */
int run_is_stopping(void);
int run_guard(void *arg, const struct rst_event *e, uint32_t ms);
void run_policy_reap(struct run *r);
void run_reload(struct run *r);

/* worker.c */
void run_write(struct rst_event *e, const struct evhand_ticket *t, void *arg);
void run_flush(void *arg);
void workers_snapshot(struct run *r);
void run_located(const struct locate_request *q,
		 const struct locate_result *res, void *arg);
void worker_policy(struct worker *w);
int worker_open(struct run *r, struct worker *w, int idx);
void worker_close(struct worker *w);
int workers_start(struct run *r);
void workers_stop(struct run *r);

/* livect.c: what conntrack says of a queued RST, into e->live. */
void live_ct(struct worker *w, struct rst_event *e,
	     const struct nfqueue_pkt *np);
/* Where the queue's RSTs get those facts, for the log. */
const char *live_ct_source(const struct worker *w);

/* runstats.c */
void counters_render(FILE *fp, enum stats_format fmt, void *arg);
void run_degrade(struct run *r);
void counters_print(struct run *r);

#endif
