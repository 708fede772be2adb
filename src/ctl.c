/*
 * ctl.c: the control socket and `rstaudit stats` (see ctl.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netdb.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include "clk.h"
#include "conf.h"
#include "ctl.h"
#include "exitcode.h"
#include "log.h"
#include "output.h"

#define REQ_MAX		64	/* bytes of a request line */
#define HTTP_REQ_MAX	2048	/* bytes of an HTTP request, headers too */
#define HTTP_OK		"HTTP/1.0 200 OK\r\nContent-Type: text/plain; " \
			"version=0.0.4; charset=utf-8\r\nConnection: close\r\n\r\n"
#define HTTP_404	"HTTP/1.0 404 Not Found\r\nContent-Type: text/plain\r\n" \
			"Connection: close\r\n\r\nrstaudit: try /metrics\n"
#define HTTP_400	"HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain\r\n" \
			"Connection: close\r\n\r\nrstaudit: GET /metrics only\n"

struct ctl_client {
	int		 fd;		/* -1: free slot */
	uint64_t	 deadline;	/* monotonic ms */
	char		 req[HTTP_REQ_MAX];
	size_t		 reqlen;
	char		*out;		/* the reply, once rendered */
	size_t		 outlen, outoff;
};

struct ctl {
	int			 fd;
	int			 http;		/* TCP: HTTP requests only */
	size_t			 reqmax;	/* bytes a request may take */
	char			 path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t			 dev;		/* the socket file we made */
	ino_t			 ino;
	struct ctl_client	 cl[CTL_CLIENTS];
	int			 map[CTL_POLLFDS];	/* pfd index -> slot */
};

static int sockaddr_set(struct sockaddr_un *sun, const char *path)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun->sun_path, path, strlen(path) + 1);
	return 0;
}

/* The socket's directory: made (and given to uid) when missing. */
static int ctl_mkdir(const char *path, uid_t uid, gid_t gid)
{
	char buf[sizeof(((struct sockaddr_un *)0)->sun_path)], *dir;

	snprintf(buf, sizeof(buf), "%s", path);
	dir = dirname(buf);
	if (mkdir(dir, 0755) < 0) {
		if (errno == EEXIST)
			return 0;
		log_warn("control socket %s: cannot create %s (set control_socket "
			 "elsewhere, or none)", path, dir);
		return -1;
	}
	if (uid != (uid_t)-1 && chown(dir, uid, gid) < 0) {
		log_warn("control socket %s: cannot give %s to uid %u", path, dir,
			 (unsigned)uid);
		return -1;
	}
	return 0;
}

/*
 * A file already at path: another daemon's live socket (EADDRINUSE), a
 * dead one (removed), or not a socket at all (refused).
 */
static int ctl_clear(const char *path)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		log_warn("control socket %s", path);
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		log_warnx("control socket %s: exists and is not a socket; remove it "
			  "or set control_socket elsewhere", path);
		errno = EEXIST;
		return -1;
	}
	if (sockaddr_set(&sun, path) < 0 ||
	    (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	if (rc == 0) {
		log_warnx("control socket %s: another rstaudit answers there; stop "
			  "it, or give this one its own control_socket", path);
		errno = EADDRINUSE;
		return -1;
	}
	if (errno != ECONNREFUSED) {
		log_warn("control socket %s", path);
		return -1;
	}
	if (unlink(path) < 0) {
		log_warn("control socket %s: cannot remove the dead socket", path);
		return -1;
	}
	log_info("control socket %s: removed a dead daemon's socket", path);
	return 0;
}

static int ctl_listen(struct ctl *c, uid_t uid, gid_t gid)
{
	struct sockaddr_un sun;
	struct stat st;
	mode_t old;
	int rc;

	if (sockaddr_set(&sun, c->path) < 0) {
		log_warn("control socket %s", c->path);
		return -1;
	}
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		log_warn("control socket: socket");
		return -1;
	}
	old = umask(0117);	/* born 0660: no moment when others may connect */
	rc = bind(c->fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (rc < 0) {
		log_warn("control socket %s: bind (set control_socket elsewhere, "
			 "or none)", c->path);
		return -1;
	}
	if (stat(c->path, &st) < 0) {
		log_warn("control socket %s", c->path);
		return -1;
	}
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	if (uid != (uid_t)-1 && chown(c->path, uid, gid) < 0) {
		log_warn("control socket %s: cannot give it to uid %u", c->path,
			 (unsigned)uid);
		return -1;
	}
	if (listen(c->fd, CTL_CLIENTS) < 0) {
		log_warn("control socket %s: listen", c->path);
		return -1;
	}
	return 0;
}

int ctl_configure(const char *conf, const char *path)
{
	if (strcmp(path, "none") == 0 || path[0] == '/')
		return 0;
	log_warnx("%s: control_socket %s: give an absolute path, or none", conf,
		  path);
	return 1;
}

struct ctl *ctl_open(const char *path, uid_t uid, gid_t gid)
{
	struct ctl *c;
	int i, saved;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("control socket");
		return NULL;
	}
	c->fd = -1;
	c->reqmax = REQ_MAX;
	for (i = 0; i < CTL_CLIENTS; i++)
		c->cl[i].fd = -1;
	if (strlen(path) >= sizeof(c->path)) {
		log_warnx("control socket %s: path too long", path);
		errno = ENAMETOOLONG;
		goto fail;
	}
	snprintf(c->path, sizeof(c->path), "%s", path);
	if (ctl_mkdir(path, uid, gid) < 0 || ctl_clear(path) < 0)
		goto fail;
	if (ctl_listen(c, uid, gid) < 0)
		goto fail;
	return c;
fail:
	saved = errno;
	ctl_close(c);
	errno = saved;
	return NULL;
}

static void client_close(struct ctl_client *cl)
{
	char buf[512];
	int i;

	if (cl->fd >= 0) {
		/* Bytes left unread would make close() send a reset. */
		for (i = 0; i < 8; i++)
			if (recv(cl->fd, buf, sizeof(buf), MSG_DONTWAIT) <= 0)
				break;
		close(cl->fd);
	}
	free(cl->out);
	memset(cl, 0, sizeof(*cl));
	cl->fd = -1;
}

void ctl_close(struct ctl *c)
{
	struct stat st;
	int i;

	if (c == NULL)
		return;
	for (i = 0; i < CTL_CLIENTS; i++)
		client_close(&c->cl[i]);
	if (c->fd >= 0) {
		close(c->fd);
		/* Only our own: a newer daemon may have replaced it. */
		if (!c->http && stat(c->path, &st) == 0 && st.st_dev == c->dev &&
		    st.st_ino == c->ino && unlink(c->path) < 0)
			log_warn("control socket %s: cannot remove it (the next "
				 "daemon will)", c->path);
	}
	free(c);
}

int ctl_pollfds(struct ctl *c, struct pollfd *pfd)
{
	int i, n = 1, free_slot = 0;

	for (i = 0; i < CTL_CLIENTS; i++) {
		struct ctl_client *cl = &c->cl[i];

		if (cl->fd < 0) {
			free_slot = 1;
			continue;
		}
		pfd[n].fd = cl->fd;
		pfd[n].events = cl->out != NULL ? POLLOUT : POLLIN;
		pfd[n].revents = 0;
		c->map[n++] = i;
	}
	/* Full: the next clients wait in the listen backlog. */
	pfd[0].fd = free_slot ? c->fd : -1;
	pfd[0].events = POLLIN;
	pfd[0].revents = 0;
	c->map[0] = -1;
	return n;
}

/* Send what the socket takes now; 1 when all is sent, -1 on error. */
static int client_flush(struct ctl_client *cl)
{
	ssize_t k;

	while (cl->outoff < cl->outlen) {
		k = send(cl->fd, cl->out + cl->outoff, cl->outlen - cl->outoff,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (k < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		cl->outoff += (size_t)k;
	}
	return 1;
}

/* The request line names the Prometheus endpoint: GET /metrics[?...]. */
static int request_is_metrics(const char *req)
{
	return strncmp(req, "GET /metrics", 12) == 0 &&
	       (req[12] == ' ' || req[12] == '\0' || req[12] == '?');
}

void ctl_request(char *req, int http, FILE *fp, ctl_render_fn fn, void *arg)
{
	char shown[4 * 32 + 1];
	enum stats_format fmt;

	req[strcspn(req, "\r\n")] = '\0';
	if (request_is_metrics(req)) {
		fputs(HTTP_OK, fp);
		fn(fp, STATS_PROMETHEUS, arg);
	} else if (strncmp(req, "GET ", 4) == 0) {
		fputs(HTTP_404, fp);
	} else if (http) {
		fputs(HTTP_400, fp);
	} else if (req[0] == '\0') {
		fn(fp, STATS_TEXT, arg);
	} else if (stats_format_parse(req, &fmt) == 0) {
		fn(fp, fmt, arg);
	} else {
		req[strnlen(req, 32)] = '\0';
		fprintf(fp, "error: unknown request '%s'; send text or "
			"prometheus\n", output_escape(req, shown, sizeof(shown)));
	}
}

/* Render the reply to the request in cl->req. */
static int client_answer(const struct ctl *c, struct ctl_client *cl,
			 ctl_render_fn fn, void *arg)
{
	FILE *fp;

	fp = open_memstream(&cl->out, &cl->outlen);
	if (fp == NULL)
		return -1;
	ctl_request(cl->req, c->http, fp, fn, arg);
	if (fclose(fp) != 0)
		return -1;
	return client_flush(cl) < 0 ? -1 : 0;
}

/*
 * Whole: a line (control socket), or the headers' blank line (HTTP); a
 * first line that is not HTTP/1.x has no headers to wait for.
 */
static int request_whole(const struct ctl *c, const char *req)
{
	const char *nl = strchr(req, '\n');

	if (nl == NULL || !c->http)
		return nl != NULL;
	if (memmem(req, (size_t)(nl - req), " HTTP/1.", 8) == NULL)
		return 1;
	return strstr(req, "\r\n\r\n") != NULL || strstr(req, "\n\n") != NULL;
}

/* Read the request; answer it once it is whole (or the client shut). */
static int client_read(const struct ctl *c, struct ctl_client *cl,
		       ctl_render_fn fn, void *arg)
{
	ssize_t k;

	k = recv(cl->fd, cl->req + cl->reqlen, c->reqmax - 1 - cl->reqlen,
		 MSG_DONTWAIT);
	if (k < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (k == 0 && cl->reqlen == 0)
		return -1;	/* gone without asking */
	cl->reqlen += (size_t)k;
	cl->req[cl->reqlen] = '\0';
	if (!request_whole(c, cl->req) && k > 0 && cl->reqlen < c->reqmax - 1)
		return 0;	/* more to come */
	cl->req[strcspn(cl->req, "\n")] = '\0';
	return client_answer(c, cl, fn, arg);
}

static void ctl_accept(struct ctl *c)
{
	int i, fd;

	for (i = 0; i < CTL_CLIENTS; i++) {
		if (c->cl[i].fd >= 0)
			continue;
		fd = accept4(c->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_warn("control socket: accept");
			return;
		}
		c->cl[i].fd = fd;
		c->cl[i].deadline = clk_mono_us() / 1000 + CTL_TIMEOUT_MS;
	}
}

void ctl_serve(struct ctl *c, const struct pollfd *pfd, int n,
	       ctl_render_fn fn, void *arg)
{
	uint64_t now = clk_mono_us() / 1000;
	int i, rc;

	for (i = 1; i < n; i++) {
		struct ctl_client *cl = &c->cl[c->map[i]];

		rc = 0;
		if (pfd[i].revents & (POLLERR | POLLNVAL))
			rc = -1;
		else if (cl->out == NULL && pfd[i].revents & (POLLIN | POLLHUP))
			rc = client_read(c, cl, fn, arg);
		else if (cl->out != NULL && pfd[i].revents & (POLLOUT | POLLHUP))
			rc = client_flush(cl) < 0 ? -1 : 0;
		if (rc < 0 || (cl->out != NULL && cl->outoff == cl->outlen)) {
			client_close(cl);
		} else if (now >= cl->deadline) {
			log_debug("control socket: a client too slow; cut off");
			client_close(cl);
		}
	}
	if (n > 0 && pfd[0].fd >= 0 && pfd[0].revents & POLLIN)
		ctl_accept(c);
}

/* ---- the /metrics listener over TCP ------------------------------------ */

int ctl_parse_addr(const char *s, struct sockaddr_storage *ss,
		     socklen_t *len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *ai;
	char host[INET6_ADDRSTRLEN + 2];
	const char *port = strrchr(s, ':');
	size_t hl;

	if (port == NULL) {
		snprintf(host, sizeof(host), "127.0.0.1");
		port = s;
	} else {
		hl = (size_t)(port - s);
		if (s[0] == '[' && hl >= 2 && s[hl - 1] == ']')
			s++, hl -= 2;
		if (hl == 0 || hl >= sizeof(host))
			return -1;
		memcpy(host, s, hl);
		host[hl] = '\0';
		port++;
	}
	if (port[0] < '0' || port[0] > '9' || atoi(port) < 1 || atoi(port) > 65535)
		return -1;
	if (getaddrinfo(host, port, &hints, &ai) != 0)
		return -1;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

int ctl_http_configure(const char *conf, const char *addr)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (strcmp(addr, "none") == 0 || ctl_parse_addr(addr, &ss, &len) == 0)
		return 0;
	log_warnx("%s: metrics_listen %s: give PORT, ADDRESS:PORT, "
		  "[IPV6]:PORT or none", conf, addr);
	return 1;
}

struct ctl *ctl_open_http(const char *addr)
{
	struct sockaddr_storage ss;
	struct ctl *c;
	socklen_t len;
	int i, on = 1;

	if (ctl_parse_addr(addr, &ss, &len) < 0) {
		log_warnx("metrics_listen %s: not an address and port", addr);
		errno = EINVAL;
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("metrics_listen");
		return NULL;
	}
	c->http = 1;
	c->reqmax = HTTP_REQ_MAX;
	for (i = 0; i < CTL_CLIENTS; i++)
		c->cl[i].fd = -1;
	snprintf(c->path, sizeof(c->path), "%s", addr);
	c->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0 ||
	    setsockopt(c->fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0 ||
	    bind(c->fd, (struct sockaddr *)&ss, len) < 0 ||
	    listen(c->fd, CTL_CLIENTS) < 0) {
		log_warn("metrics_listen %s (set another, or none)", addr);
		ctl_close(c);
		return NULL;
	}
	return c;
}

/* ---- rstaudit stats ------------------------------------------------------ */

static void ctl_usage(FILE *fp)
{
	fprintf(fp, "usage: rstaudit stats [-p] [-c file] [-s socket]\n");
}

/* Say why the daemon cannot be reached, and what to do. */
static void ctl_unreachable(const char *path)
{
	switch (errno) {
	case ENOENT:
		log_warnx("%s: no control socket; is `rstaudit run` running? "
			  "(it listens where control_socket says)", path);
		break;
	case ECONNREFUSED:
		log_warnx("%s: nobody answers; the daemon that made it has exited",
			  path);
		break;
	case EACCES:
	case EPERM:
		log_warnx("%s: permission denied; run as root, or as the daemon's "
			  "user or a member of its group", path);
		break;
	case EAGAIN:
		log_warnx("%s: no answer within %d s", path, CTL_TIMEOUT_MS / 1000 + 3);
		break;
	default:
		log_warn("%s", path);
	}
}

/* Ask the daemon at path for fmt; copy the reply to out.  0 or -1. */
static int ctl_query(const char *path, enum stats_format fmt, FILE *out)
{
	struct timeval tv = { CTL_TIMEOUT_MS / 1000 + 3, 0 };
	struct sockaddr_un sun;
	const char *req = fmt == STATS_PROMETHEUS ? "prometheus\n" : "text\n";
	char buf[4096];
	size_t got = 0;
	ssize_t k;
	int fd;

	if (sockaddr_set(&sun, path) < 0 ||
	    (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    send(fd, req, strlen(req), MSG_NOSIGNAL) < 0)
		goto fail;
	while ((k = recv(fd, buf, sizeof(buf), 0)) > 0) {
		fwrite(buf, 1, (size_t)k, out);
		got += (size_t)k;
	}
	if (k < 0)
		goto fail;
	close(fd);
	if (got == 0) {
		log_warnx("%s: the daemon closed the connection without an answer",
			  path);
		errno = EPROTO;
		return -1;
	}
	return 0;
fail:
	k = errno;
	close(fd);
	errno = (int)k;
	return -1;
}

/* The socket the configuration names ("none" when it has none). */
static int ctl_conf_socket(const char *conf_path, char *path, size_t len)
{
	struct conf c;
	int errors;

	conf_default(&c);
	errors = conf_load(&c, conf_path ? conf_path : CONF_FILE);
	if (errors != 0 && (conf_path != NULL || errno != ENOENT)) {
		if (errors < 0)
			log_warn("%s", conf_path ? conf_path : CONF_FILE);
		if (conf_path != NULL)
			return -1;
	}
	snprintf(path, len, "%s", c.control_socket);
	return 0;
}

int ctl_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "prometheus", no_argument, NULL, 'p' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum stats_format fmt = STATS_TEXT;
	const char *sock = NULL, *conf_path = NULL;
	char path[PATH_MAX];
	int ch;

	log_init(0, 0);
	while ((ch = getopt_long(argc, argv, "c:ps:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			conf_path = optarg;
			break;
		case 'p':
			fmt = STATS_PROMETHEUS;
			break;
		case 's':
			sock = optarg;
			break;
		case 'h':
			ctl_usage(stdout);
			return EXIT_OK;
		default:
			ctl_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		log_warnx("stats: unexpected argument '%s'", argv[optind]);
		ctl_usage(stderr);
		return EXIT_USAGE;
	}
	if (sock == NULL) {
		if (ctl_conf_socket(conf_path, path, sizeof(path)) < 0)
			return EXIT_USAGE;
		sock = path;
	}
	if (strcmp(sock, "none") == 0) {
		log_warnx("the configuration says control_socket none: the daemon "
			  "has no control socket");
		return EXIT_NODAEMON;
	}
	if (ctl_query(sock, fmt, stdout) < 0) {
		if (errno != EPROTO)
			ctl_unreachable(sock);
		return EXIT_NODAEMON;
	}
	return fflush(stdout) == EOF ? EXIT_INTERNAL : EXIT_OK;
}
