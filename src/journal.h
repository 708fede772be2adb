/*
 * journal.h: events as native journald entries (the journal's own
 * protocol on /run/systemd/journal/socket), so that
 * `journalctl RSTAUDIT_ORIGIN=middlebox` finds them.
 *
 * Fields: MESSAGE (the event in one line), MESSAGE_ID (one per origin,
 * journal.c), PRIORITY (as slog_severity()), SYSLOG_IDENTIFIER=rstaudit,
 * RSTAUDIT_TIMESTAMP (RFC 3339, the packet's), RSTAUDIT_ORIGIN, _CAUSE,
 * _CONFIDENCE, _FAMILY, _SRC_IP, _SRC_PORT, _DST_IP, _DST_PORT, _FLAGS,
 * _SEQ, _ACK, _TTL, _COMMUNITY_ID, live _HOOK, _IN, _OUT, _VERDICT,
 * _CT_STATE, _CT_ID, and RSTAUDIT_EVIDENCE once per sentence (the journal
 * keeps the values of a repeated field, not their order).
 *
 * One datagram per event, sent without waiting: when journald's socket is
 * full the entry is dropped and counted, never waited for.
 */
#ifndef RSTAUDIT_JOURNAL_H
#define RSTAUDIT_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "rst.h"

#define JOURNAL_SOCKET	"/run/systemd/journal/socket"
#define JOURNAL_MAX	16384	/* bytes of one entry */

struct journal_stats {
	uint64_t sent, dropped;
};

struct journal;

/* The entry for e into buf[len], native format.  Its length, or 0 when
 * it does not fit. */
size_t		 journal_format(char *buf, size_t len, const struct rst_event *e);

/* The MESSAGE_ID of an origin's events (32 hex digits). */
const char	*journal_message_id(enum origin o);

/*
 * Whether fd is the journal's stream (JOURNAL_STREAM names its device and
 * inode, as systemd sets it for a service's standard error): 1 or 0.
 */
int		 journal_stream_is(int fd);

/* The configuration check of journal (auto, yes, no).  Errors (0 or 1). */
int		 journal_configure(const char *conf, const char *mode);

/* Connect to path (JOURNAL_SOCKET); NULL (logged) when it cannot. */
struct journal	*journal_open(const char *path);

/* Send e's entry; never blocks. */
void		 journal_event(struct journal *j, const struct rst_event *e);

void		 journal_get_stats(const struct journal *j, struct journal_stats *st);
void		 journal_close(struct journal *j);

#endif
