/*
 * slog.h: events as RFC 5424 syslog messages with structured data, to the
 * local socket or a remote receiver over UDP or TCP (RFC 6587 octet
 * counting), through a bounded queue: a slow or absent receiver costs
 * counted drops, never a delay on the packet path.
 *
 *	<29>1 2026-12-06T19:37:23.826007Z gw rstaudit 812 RST [rst@32473
 *	origin="middlebox" cause="injected" confidence="0.99" src="10.0.3.2"
 *	sport="7009" dst="10.0.1.2" dport="41009" flags="RA" seq="..."
 *	ack="..." ttl="63" cid="1:..." hook="forward" in="m0" out="c0"
 *	verdict="accept"] reset 10.0.3.2 port 7009 > 10.0.1.2 port 41009:
 *	middlebox injected
 *
 * SD-ID rst@32473: 32473 is the private enterprise number RFC 5612
 * reserves for documentation, until rstaudit has its own.  Facility
 * daemon; severity by origin (slog_severity()).  Parameter values escape
 * '"', '\' and ']' with a backslash (RFC 5424 6.3.3).
 */
#ifndef RSTAUDIT_SLOG_H
#define RSTAUDIT_SLOG_H

#include <stddef.h>
#include <stdint.h>

#include "rst.h"

#define SLOG_PEN	32473
#define SLOG_MSG_MAX	2048	/* RFC 5424 6.1: receivers SHOULD take 2048 */
#define SLOG_QUEUE	1024	/* messages waiting, by default */

struct slog_stats {
	uint64_t sent;		/* messages the receiver took */
	uint64_t dropped;	/* queue full (receiver slow or gone), or
				 * still queued when the daemon stopped */
	uint64_t errors;	/* sends or connects that failed */
	uint64_t queued;	/* waiting now */
};

struct slog;

/*
 * The message for e into buf[len] (no newline, no framing), with host,
 * app and pid in the header.  Returns its length, cut to len - 1.
 */
size_t		 slog_format(char *buf, size_t len, const struct rst_event *e,
		    const char *host, const char *app, unsigned pid);

/* The severity of e's message: 4 (warning) for a middlebox's, 5 (notice)
 * for this host's own and unknown, 6 (info) for an endpoint's. */
int		 slog_severity(const struct rst_event *e);

/* The configuration check of syslog_target.  Errors (0 or 1). */
int		 slog_configure(const char *conf, const char *target);

/*
 * Start sending to target ("local", "unix:PATH", "udp:ADDRESS:PORT" or
 * "tcp:ADDRESS:PORT"; ADDRESS as ctl_parse_addr() takes it) with a queue
 * of qlen messages: one thread of its own.  NULL (logged) on failure.
 */
struct slog	*slog_open(const char *target, uint32_t qlen);

/* Queue e's message; never blocks.  A full queue counts a drop. */
void		 slog_event(struct slog *s, const struct rst_event *e);

void		 slog_get_stats(struct slog *s, struct slog_stats *st);

/* Send what is queued (one more try, at most 2 s), then stop and free. */
void		 slog_close(struct slog *s);

#endif
