/*
 * notify.h: systemd's readiness protocol (sd_notify(3)) without
 * libsystemd: datagrams of "KEY=VALUE" lines to the AF_UNIX socket named
 * by $NOTIFY_SOCKET (a path, or "@name" for the abstract namespace).
 *
 * With no NOTIFY_SOCKET every call does nothing, so the daemon calls
 * them unconditionally.  notify_init() takes the variables out of the
 * environment and opens the socket (before the privilege drop).  The
 * watchdog: when $WATCHDOG_USEC is set (and $WATCHDOG_PID, if set, is
 * this process), notify_watchdog() sends WATCHDOG=1 every half period;
 * the main thread calls it from its timer tick, so a main loop that
 * hangs is restarted.  Errors are logged once and otherwise ignored:
 * readiness is a courtesy, never a reason to stop auditing.
 */
#ifndef RSTAUDIT_NOTIFY_H
#define RSTAUDIT_NOTIFY_H

/* 0, or -1 (logged) when NOTIFY_SOCKET is set but unusable. */
int	notify_init(void);

/* READY=1, with MAINPID (a daemon that forked) and a STATUS line. */
void	notify_ready(const char *status);

/* RELOADING=1 with MONOTONIC_USEC, before a SIGHUP's work. */
void	notify_reloading(void);

/* STOPPING=1, as the shutdown begins. */
void	notify_stopping(void);

/* WATCHDOG=1 when half the watchdog period has passed since the last. */
void	notify_watchdog(void);

void	notify_close(void);

#endif
