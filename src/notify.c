/*
 * notify.c: sd_notify without libsystemd (see notify.h).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "clk.h"
#include "log.h"
#include "notify.h"

static int notify_fd = -1;
static struct sockaddr_un notify_addr;
static socklen_t notify_len;
static uint64_t watchdog_us, watchdog_last;

/* $WATCHDOG_USEC, when it is meant for this process. */
static void watchdog_init(void)
{
	const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	unsigned long long v;
	char *end;

	if (usec != NULL && (pid == NULL || atol(pid) == (long)getpid())) {
		errno = 0;
		v = strtoull(usec, &end, 10);
		if (errno == 0 && *end == '\0' && v > 0)
			watchdog_us = v;
	}
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
}

int notify_init(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	size_t len;

	watchdog_init();
	if (path == NULL || path[0] == '\0')
		return 0;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(notify_addr.sun_path)) {
		log_warnx("NOTIFY_SOCKET %s: not an absolute path or @name; "
			  "systemd will not hear that the daemon is ready", path);
		unsetenv("NOTIFY_SOCKET");
		return -1;
	}
	memset(&notify_addr, 0, sizeof(notify_addr));
	notify_addr.sun_family = AF_UNIX;
	memcpy(notify_addr.sun_path, path, len);
	if (path[0] == '@')
		notify_addr.sun_path[0] = '\0';		/* abstract namespace */
	notify_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	unsetenv("NOTIFY_SOCKET");
	notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (notify_fd < 0) {
		log_warn("NOTIFY_SOCKET: socket");
		return -1;
	}
	return 0;
}

/* Send msg; the first failure is logged, the others only counted. */
static void notify_send(const char *msg)
{
	static int warned;

	if (notify_fd < 0)
		return;
	if (sendto(notify_fd, msg, strlen(msg), MSG_NOSIGNAL,
		   (struct sockaddr *)&notify_addr, notify_len) < 0 && !warned++)
		log_warn("NOTIFY_SOCKET: cannot send %.*s", (int)strcspn(msg, "\n"),
			 msg);
}

void notify_ready(const char *status)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "READY=1\nMAINPID=%ld\nSTATUS=%s\n",
		 (long)getpid(), status);
	notify_send(msg);
	watchdog_last = clk_mono_us();
}

void notify_reloading(void)
{
	char msg[128];

	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu\n",
		 (unsigned long long)clk_mono_us());
	notify_send(msg);
}

void notify_stopping(void)
{
	notify_send("STOPPING=1\n");
}

void notify_watchdog(void)
{
	uint64_t now_us;

	if (watchdog_us == 0 || notify_fd < 0)
		return;
	now_us = clk_mono_us();
	if (now_us - watchdog_last < watchdog_us / 2)
		return;
	watchdog_last = now_us;
	notify_send("WATCHDOG=1\n");
}

void notify_close(void)
{
	if (notify_fd >= 0)
		close(notify_fd);
	notify_fd = -1;
}
