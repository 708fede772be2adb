/*
 * log.c: see log.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "log.h"

static int log_verbose, log_syslog;

void log_init(int verbose, int use_syslog)
{
	log_verbose = verbose;
	log_syslog = use_syslog;
	if (use_syslog)
		openlog("rstaudit", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

static void log_vemit(int pri, const char *emsg, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_syslog) {
		if (emsg)
			syslog(pri, "%s: %s", msg, emsg);
		else
			syslog(pri, "%s", msg);
	}
	if (emsg)
		fprintf(stderr, "rstaudit: %s: %s\n", msg, emsg);
	else
		fprintf(stderr, "rstaudit: %s\n", msg);
}

void log_warn(const char *fmt, ...)
{
	const char *emsg = strerror(errno);
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_WARNING, emsg, fmt, ap);
	va_end(ap);
}

void log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_WARNING, NULL, fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	if (log_verbose < 1)
		return;
	va_start(ap, fmt);
	log_vemit(LOG_INFO, NULL, fmt, ap);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_verbose < 2)
		return;
	va_start(ap, fmt);
	log_vemit(LOG_DEBUG, NULL, fmt, ap);
	va_end(ap);
}

void log_lines(char *text)
{
	char *line, *next;

	for (line = text; (next = strchr(line, '\n')) != NULL; line = next + 1) {
		*next = '\0';
		log_warnx("%s", line);
		*next = '\n';
	}
}
