/*
 * conf.h: rstaudit.conf, the live daemon's configuration.
 *
 * One `key value` per line; `#` starts a comment (at the start of a line
 * or after blank space); blank lines are ignored.  Keys:
 *
 *	queue N			first NFQUEUE number (0..65535)
 *	queues N		queues, one thread each (1..64)
 *	fanout yes|no		with queues > 1: spread by CPU, not flow hash
 *	hold SECONDS		how long a RST waits for later evidence
 *	json_file PATH		events as JSON lines there ("-": stdout)
 *	json_format NAME	eve (default), ecs, or legacy (deprecated)
 *	syslog yes|no		events (and messages) to syslog as well
 *	max_flows N		connections tracked at once (all queues)
 *	learn_packets N		first packets of each flow queued (0 off)
 *	mark MASK		conntrack mark bit(s) set on a reset flow (0 off)
 *	invalid_mark MASK	packet mark bit(s) a RST conntrack did not take
 *				carries while queued (0: an NFLOG note instead)
 *	queue_length N		packets waiting for a verdict, per queue,
 *				before the next ones fail open
 *	install_rules yes|no	build the nftables table (no: you load it)
 *	log_rejects yes|no	read the NFLOG group below (see nfq.h: RSTs a
 *				reject rule makes for new connections cannot be
 *				queued, so the table logs them instead)
 *	log_group N		that NFLOG group (0..65535)
 *	conntrack_view table|events|lookup  where a RST's conntrack facts come
 *				from where the kernel does not attach them:
 *				the table's notes (default), a view kept from
 *				conntrack's events (ctview.h; yes), or one
 *				ctnetlink GET per RST (no)
 *	user NAME		after setup, run as NAME with CAP_NET_ADMIN only
 *	control_socket PATH	where `rstaudit stats` asks ("none": off)
 *	metrics_listen ADDR	GET /metrics over TCP: PORT (on 127.0.0.1),
 *				ADDRESS:PORT or [IPV6]:PORT; "none" (default)
 *	syslog_target T		events as RFC 5424 with structured data to T:
 *				local, unix:PATH, udp:ADDR:PORT, tcp:ADDR:PORT
 *				or none (default; see slog.h)
 *	syslog_queue N		messages waiting for the receiver, at most
 *	journal auto|yes|no	native journald entries (journal.h); auto: when
 *				standard error is the journal (JOURNAL_STREAM)
 *	evidence_dir PATH	each reset and its flow into pcapng files there
 *				("": off; see evpcap.h)
 *	evidence_file_size N	bytes a file may reach (k, M, G suffixes)
 *	evidence_files N	files kept; the oldest are removed
 *	evidence_packets N	queued packets remembered, per queue
 *	policy MODE		audit (default), dry-run or enforce
 *	rule ACTION TERM...	one policy rule (policy.h); repeated, in order
 *	max_drops_per_flow N	RSTs the policy may drop per connection
 *	suspect_hold MS		hold a suspect RST this long (0: off)
 *	suspect_max N		suspect RSTs held at once, per queue
 *	ct_restore yes|no	after dropping a RST, put conntrack back
 *	guard_timeout S		drop a dropped forgery's kind in the kernel
 *	hold_aborts yes|no	hold unproven endpoint aborts too (suspect_hold)
 *	locate yes|no		after a middlebox verdict, locate the device by
 *				TTL-limited probes (locator.h); default no
 *	locate_interval SECONDS	at most one locate per destination this often
 *	locate_budget N		locates per hour, all destinations together
 *	locate_max_ttl N	highest TTL a locate probes (1..64)
 *
 * Errors are reported as `file:line: message`, all of them, and counted.
 */
#ifndef RSTAUDIT_CONF_H
#define RSTAUDIT_CONF_H

#include <limits.h>
#include <stdint.h>
#include <stdio.h>

#ifndef SYSCONFDIR
#define SYSCONFDIR	"/etc"		/* the Makefile's SYSCONFDIR */
#endif
#define CONF_FILE	SYSCONFDIR "/rstaudit.conf"

#include "policy.h"
#define CONF_MAX_QUEUES	64
#define CONF_CONTROL_SOCKET "/run/rstaudit/control.sock"

/*
 * conntrack_view: where a RST's conntrack facts come from when the queued
 * packet carries none (no NFQA_CT).  lookup and events keep the values of
 * the older no and yes.
 */
enum conf_ct_facts {
	CONF_CT_LOOKUP,		/* a ctnetlink GET per RST */
	CONF_CT_EVENTS,		/* a view kept from NEW and DESTROY events */
	CONF_CT_TABLE,		/* the table's notes alone: no events, no GET */
};

struct conf {
	uint16_t queue;
	uint16_t queues;
	int	 fanout;
	uint64_t hold_us;
	char	 json_file[PATH_MAX];	/* "" or "-": stdout */
	char	 json_format[16];	/* "": eve; output_format_parse() */
	int	 syslog;
	uint32_t max_flows;
	uint32_t learn_packets;
	uint32_t mark;
	uint32_t invalid_mark;	/* packet mark bit of a RST conntrack did not take */
	uint32_t queue_length;
	int	 install_rules;
	int	 log_rejects;
	int	 conntrack_view;	/* enum conf_ct_facts */
	uint16_t log_group;
	char	 user[64];		/* "": stay as started */
	char	 control_socket[108];	/* sun_path; "none": off */
	char	 metrics_listen[64];	/* "none": off */
	char	 syslog_target[128];	/* "none": off */
	uint32_t syslog_queue;
	char	 journal[8];		/* auto, yes, no */
	char	 evidence_dir[PATH_MAX];	/* "": no evidence files */
	uint64_t evidence_file_size;
	uint32_t evidence_files;
	uint32_t evidence_packets;
	struct policy policy;
	int	 locate;
	uint32_t locate_interval;	/* seconds, per destination */
	uint32_t locate_budget;		/* per hour */
	uint32_t locate_max_ttl;
};

/* Defaults: queue 0, 1 queue, hold 2 s, stdout, 1 M flows, learn 8,
 * mark 0x20000000, invalid_mark 0x40000000, queue_length NFQUEUE_LENGTH, install rules, log
 * rejects to group NFT_DEFAULT_LOG_GROUP (nft.h has the defaults the
 * table shares: learn, the marks, log group), no user, control socket
 * CONF_CONTROL_SOCKET, no evidence files (when on: 10 files of 10 MB,
 * 65536 packets per queue). */
void	conf_default(struct conf *c);

/*
 * Read path into c (keys not in the file keep their values).  Returns the
 * number of errors (each logged as file:line: message), or -1 with errno
 * set when the file cannot be read.
 */
int	conf_load(struct conf *c, const char *path);

/* The same from an open file; path names it in the messages. */
int	conf_load_file(struct conf *c, FILE *fp, const char *path);

/*
 * Parse one "key value" setting (the command line uses it too).  0, or
 * -1 with *err saying what the key takes (one message per type).
 */
int	conf_set(struct conf *c, const char *key, const char *value,
	    const char **err);

/*
 * The value parsers, for options outside the file too: a whole number
 * lo..hi in decimal digits only (no sign, blank, fraction, exponent, NaN
 * or infinity); a duration "N" or "N.F" of units, at most hi of them,
 * into *v in units / scale (scale 1000000 for seconds into
 * microseconds).  0, or -1 when s is not one.
 */
int	conf_parse_uint(const char *s, uint64_t lo, uint64_t hi, uint64_t *v);
int	conf_parse_time(const char *s, uint64_t scale, uint64_t hi, uint64_t *v);

/*
 * After SIGHUP: log each key whose value differs between the running
 * configuration and the new one (from path) but that only a restart
 * applies (queue numbers, table, engine sizes: all but the policy keys,
 * json_file and syslog).  Returns how many.
 */
int	conf_report_restart(const char *path, const struct conf *running,
	    const struct conf *next);

#endif
