/*
 * connrate: new TCP connections per second, for bench/live.sh.
 *
 *	connrate -l port			server: accept, close, repeat
 *	connrate [-c conc] [-t seconds] [-w warmup] addr port
 *
 * The client keeps conc non-blocking connects in flight (epoll).  A
 * connection is complete when the server has closed it (read returns 0:
 * handshake, accept, FIN all happened); the client then closes its end
 * (the server holds the TIME_WAIT) and opens the next.  Completions
 * during [warmup, seconds] give the rate.  Prints:
 *
 *	connrate: N connections in T s: R/s, failed F, total C
 *
 * (C: every connection completed, warm-up and stragglers included.)
 *
 * The server prints "ready" once it listens; it exits on SIGTERM.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clk.h"

#define CONC_MAX	1024

static int serve(uint16_t port)
{
	struct sockaddr_in6 sa;
	int l, fd, one = 1;

	l = socket(AF_INET6, SOCK_STREAM, 0);	/* v4-mapped too */
	if (l < 0) {
		perror("connrate: socket");
		return 1;
	}
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin6_family = AF_INET6;
	sa.sin6_port = htons(port);
	sa.sin6_addr = in6addr_any;
	if (bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 4096) < 0) {
		perror("connrate: bind/listen");
		return 1;
	}
	printf("ready: port %u\n", port);
	fflush(stdout);
	for (;;) {
		fd = accept(l, NULL, NULL);
		if (fd >= 0)
			close(fd);
		else if (errno != EINTR && errno != ECONNABORTED && errno != EMFILE &&
			 errno != ENFILE)
			return 1;
	}
}

struct target {
	struct sockaddr_storage ss;
	socklen_t len;
};

static int target_parse(struct target *t, const char *addr, uint16_t port)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&t->ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&t->ss;

	memset(t, 0, sizeof(*t));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		t->len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		t->len = sizeof(*s6);
		return 0;
	}
	return -1;
}

/* Start one connection; returns 0, or -1 when it failed at once. */
static int conn_start(int ep, const struct target *t)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };
	int fd;

	fd = socket(t->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)&t->ss, t->len) < 0 &&
	    errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	ev.data.fd = fd;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		close(fd);
		return -1;
	}
	return 0;
}

static int client(const struct target *t, int conc, double seconds, double warm)
{
	struct epoll_event evs[256];
	uint64_t done = 0, failed = 0, total = 0;
	double t0 = clk_mono_s(), now = t0, t_warm = t0 + warm, t_end = t0 + seconds;
	int ep, i, n, inflight = 0;
	char b;

	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		return 1;
	while (now < t_end || inflight > 0) {
		while (now < t_end && inflight < conc) {
			if (conn_start(ep, t) < 0) {
				failed++;
				if (failed > 100000) {
					perror("connrate: connect");
					return 1;
				}
				break;
			}
			inflight++;
		}
		n = epoll_wait(ep, evs, 256, 100);
		if (n < 0 && errno != EINTR)
			return 1;
		now = clk_mono_s();
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			ssize_t r = read(fd, &b, 1);

			if (r < 0 && errno == EAGAIN)
				continue;
			close(fd);	/* removed from the epoll set */
			inflight--;
			if (r == 0 && !(evs[i].events & EPOLLERR)) {
				total++;
				if (now >= t_warm && now <= t_end)
					done++;
			} else {
				failed++;
			}
		}
		if (now > t_end + 10)	/* stragglers: give up on them */
			break;
	}
	printf("connrate: %llu connections in %.3f s: %.0f/s, failed %llu, "
	       "total %llu\n", (unsigned long long)done, seconds - warm,
	       (double)done / (seconds - warm), (unsigned long long)failed,
	       (unsigned long long)total);
	return 0;
}

int main(int argc, char **argv)
{
	struct target t;
	double seconds = 3, warm = 0.5;
	int ch, conc = 64, listen_port = 0;

	while ((ch = getopt(argc, argv, "l:c:t:w:")) != -1) {
		switch (ch) {
		case 'l': listen_port = atoi(optarg); break;
		case 'c': conc = atoi(optarg); break;
		case 't': seconds = atof(optarg); break;
		case 'w': warm = atof(optarg); break;
		default: goto usage;
		}
	}
	if (listen_port > 0 && listen_port < 65536 && optind == argc)
		return serve((uint16_t)listen_port);
	if (optind + 2 != argc || conc < 1 || conc > CONC_MAX || warm < 0 ||
	    seconds <= warm ||
	    target_parse(&t, argv[optind], (uint16_t)atoi(argv[optind + 1])) < 0)
		goto usage;
	return client(&t, conc, seconds, warm);
usage:
	fprintf(stderr, "usage: connrate -l port\n"
		"       connrate [-c conc] [-t seconds] [-w warmup] addr port\n");
	return 2;
}
