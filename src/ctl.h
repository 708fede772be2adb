/*
 * ctl.h: the daemon's control socket, and `rstaudit stats`, its client.
 *
 * An AF_UNIX stream socket (mode 0660, owned by the daemon's user when it
 * drops root), made before the privilege drop and served from the main
 * thread's poll loop.  A client sends one request line and gets one reply,
 * then the daemon closes the connection:
 *
 *	text\n			the counters as text (what SIGUSR1 logs)
 *	prometheus\n		the same counters, Prometheus text format 0.0.4
 *	GET /metrics HTTP/1.x	the Prometheus reply with an HTTP/1.0 header,
 *				for `curl --unix-socket`
 *
 * The same counters are served over TCP by ctl_open_http() (the conf key
 * metrics_listen, off by default, loopback when only a port is given):
 * there only GET /metrics is answered, anything else gets 400 or 404.
 *
 * Nothing blocks: sockets are non-blocking, at most CTL_CLIENTS are
 * served at once (the others wait in the backlog), and a client that has
 * not sent its request and taken its reply within CTL_TIMEOUT_MS is cut
 * off.  Replies are rendered once per request, never on the packet path.
 */
#ifndef RSTAUDIT_CTL_H
#define RSTAUDIT_CTL_H

#include <poll.h>
#include <sys/socket.h>
#include <stdio.h>
#include <sys/types.h>

#include "stats.h"

#define CTL_CLIENTS	8
#define CTL_TIMEOUT_MS	2000
#define CTL_POLLFDS	(1 + CTL_CLIENTS)

/* Write the counters in fmt to fp (the daemon's side). */
typedef void (*ctl_render_fn)(FILE *fp, enum stats_format fmt, void *arg);

struct ctl;

/*
 * Listen at path, creating its directory (mode 0755) when missing; with
 * uid != (uid_t)-1, the socket and a directory made here are given to
 * uid:gid, so the daemon can still remove them after dropping root.  A
 * leftover socket nobody answers on is replaced.  NULL (logged, errno
 * set) on failure: EADDRINUSE when another daemon answers at path.
 */
struct ctl	*ctl_open(const char *path, uid_t uid, gid_t gid);

/* Close every connection and remove the socket file if it is still ours. */
void		 ctl_close(struct ctl *c);

/* Fill up to CTL_POLLFDS entries of pfd; returns how many. */
int		 ctl_pollfds(struct ctl *c, struct pollfd *pfd);

/*
 * After poll(): accept, read requests, answer them with fn, time out
 * slow clients.  pfd and n as ctl_pollfds() gave them.
 */
void		 ctl_serve(struct ctl *c, const struct pollfd *pfd, int n,
		     ctl_render_fn fn, void *arg);

/*
 * The reply to one request into fp, rendered by fn: req is what the
 * client sent (NUL-terminated, at most a line; cut at its first CR or LF
 * here).  An unknown request is named back escaped (output_escape()).
 * http: from the Prometheus listener, where anything but GET is a 400.
 * No I/O but fp's: the fuzzer's way in (tests/fuzz/fuzz_ctl.c).
 */
void		 ctl_request(char *req, int http, FILE *fp, ctl_render_fn fn,
		     void *arg);

/*
 * Listen for Prometheus on addr: "PORT" (127.0.0.1), "ADDRESS:PORT" or
 * "[IPV6]:PORT", numeric.  Served by ctl_pollfds()/ctl_serve() like the
 * control socket.  NULL (logged, errno set) on failure.
 */
struct ctl	*ctl_open_http(const char *addr);

/*
 * "PORT" (127.0.0.1), "ADDRESS:PORT" or "[IPV6]:PORT", numeric only, into
 * ss and *len.  -1 when s is none of them.
 */
int		 ctl_parse_addr(const char *s, struct sockaddr_storage *ss,
		     socklen_t *len);

/* The configuration check of metrics_listen.  Errors (0 or 1). */
int		 ctl_http_configure(const char *conf, const char *addr);

/* The configuration check: path absolute, or "none".  Errors (0 or 1). */
int		 ctl_configure(const char *conf, const char *path);

/* `rstaudit stats`: the command line's main. */
int		 ctl_main(int argc, char **argv);

#endif
