/*
 * log.h: messages to stderr (and, in the daemon, to syslog), in the
 * OpenBSD daemons' manner: log_warn appends strerror(errno), log_warnx
 * does not.  Nothing here exits: callers unwind and return an exit
 * status (exitcode.h).
 */
#ifndef RSTAUDIT_LOG_H
#define RSTAUDIT_LOG_H

#include <stdarg.h>

void log_init(int verbose, int use_syslog);
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Each line of text (ending in a newline) as one log_warnx(). */
void log_lines(char *text);

#endif
