/*
 * slog.c: RFC 5424 syslog with structured data (see slog.h).
 *
 * The packet path formats the message and copies it into a ring of fixed
 * slots under a mutex; one thread takes them out and sends them, so a
 * receiver that is slow, or gone, only fills the ring.  Over TCP a message
 * that could not be sent stays first in the ring and the connection is
 * made again after SLOG_RETRY_MS; over UDP and the local socket (datagrams)
 * it is counted as an error and dropped, as a datagram would be.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "clk.h"
#include "ctl.h"
#include "log.h"
#include "output.h"
#include "slog.h"

#define SLOG_FACILITY	3		/* daemon */
#define SLOG_RETRY_MS	1000
#define SLOG_TIMEOUT_S	2		/* a send or connect, at most */
#define SLOG_LOCAL	"/dev/log"

enum slog_kind { SLOG_UNIX, SLOG_UDP, SLOG_TCP };

struct slog_target {
	enum slog_kind		 kind;
	struct sockaddr_storage	 ss;
	socklen_t		 len;
};

struct slog {
	struct slog_target	 t;
	char			 host[256];
	unsigned		 pid;
	int			 fd;		/* -1: not connected */
	pthread_t		 thread;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	int			 stop;
	uint32_t		 qlen, head, n;	/* the ring */
	uint16_t		*lens;
	char			*slots;		/* qlen * SLOG_MSG_MAX */
	struct slog_stats	 st;
};

/* ---- the message (pure) ---------------------------------------------- */

struct sbuf {
	char	*b;
	size_t	 len, off;
};

static void sb_printf(struct sbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sb_printf(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (sb->off >= sb->len - 1)
		return;
	va_start(ap, fmt);
	k = vsnprintf(sb->b + sb->off, sb->len - sb->off, fmt, ap);
	va_end(ap);
	if (k > 0)
		sb->off += (size_t)k;
	if (sb->off > sb->len - 1)
		sb->off = sb->len - 1;
}

/* name="value", the value escaped as RFC 5424 6.3.3 says. */
static void sb_param(struct sbuf *sb, const char *name, const char *value)
{
	const char *v;

	sb_printf(sb, " %s=\"", name);
	for (v = value; *v != '\0' && sb->off < sb->len - 2; v++) {
		if (*v == '"' || *v == '\\' || *v == ']')
			sb->b[sb->off++] = '\\';
		sb->b[sb->off++] = *v;
	}
	sb->b[sb->off] = '\0';
	sb_printf(sb, "\"");
}

static void sb_uint(struct sbuf *sb, const char *name, unsigned long v)
{
	char num[24];

	snprintf(num, sizeof(num), "%lu", v);
	sb_param(sb, name, num);
}

int slog_severity(const struct rst_event *e)
{
	switch (e->v.origin) {
	case ORIGIN_MIDDLEBOX:	return 4;
	case ORIGIN_ENDPOINT:	return 6;
	default:		return 5;
	}
}

/* The live facts, when the event has them. */
static void sb_live(struct sbuf *sb, const struct rst_live *l)
{
	if (!l->valid)
		return;
	sb_param(sb, "hook", l->hook_name);
	if (l->in[0] != '\0')
		sb_param(sb, "in", l->in);
	if (l->out[0] != '\0')
		sb_param(sb, "out", l->out);
	if (l->verdict[0] != '\0')
		sb_param(sb, "verdict", l->verdict);
	if (l->ct_known && l->ct_state[0] != '\0')
		sb_param(sb, "ct_state", l->ct_state);
	if (rst_ct_has_id(l))
		sb_uint(sb, "ct_id", l->ct_id);
}

size_t slog_format(char *buf, size_t len, const struct rst_event *e,
		   const char *host, const char *app, unsigned pid)
{
	char src[RST_ADDRSTRLEN], dst[RST_ADDRSTRLEN], fl[9], ts[40], cid[32];
	char conf[16];
	const struct pkt *p = &e->p;
	struct sbuf sb = { buf, len, 0 };

	buf[0] = '\0';
	rst_addr(p->family, p->src, src);
	rst_addr(p->family, p->dst, dst);
	sb_printf(&sb, "<%d>1 %s %s %s %u RST [rst@%d",
		  SLOG_FACILITY * 8 + slog_severity(e), output_time(e->ts_us, ts),
		  host[0] != '\0' ? host : "-", app, pid, SLOG_PEN);
	sb_param(&sb, "origin", origin_names[e->v.origin]);
	sb_param(&sb, "cause", cause_names[e->v.cause]);
	snprintf(conf, sizeof(conf), "%.2f", e->v.confidence);
	sb_param(&sb, "confidence", conf);
	sb_param(&sb, "src", src);
	sb_uint(&sb, "sport", p->sport);
	sb_param(&sb, "dst", dst);
	sb_uint(&sb, "dport", p->dport);
	sb_param(&sb, "flags", output_flags(p->flags, fl));
	sb_uint(&sb, "seq", p->seq);
	sb_uint(&sb, "ack", p->ack);
	sb_uint(&sb, "ttl", p->ttl);
	sb_param(&sb, "cid", output_community_id(p, cid));
	sb_live(&sb, &e->live);
	sb_printf(&sb, "] reset %s port %u > %s port %u: %s %s", src, p->sport,
		  dst, p->dport, origin_names[e->v.origin],
		  cause_names[e->v.cause]);
	return sb.off;
}

/* ---- the target -------------------------------------------------------- */

static int target_parse(const char *s, struct slog_target *t)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)&t->ss;
	const char *path = NULL;

	memset(t, 0, sizeof(*t));
	if (strcmp(s, "local") == 0)
		path = SLOG_LOCAL;
	else if (strncmp(s, "unix:", 5) == 0)
		path = s + 5;
	if (path != NULL) {
		if (path[0] != '/' || strlen(path) >= sizeof(sun->sun_path))
			return -1;
		t->kind = SLOG_UNIX;
		sun->sun_family = AF_UNIX;
		memcpy(sun->sun_path, path, strlen(path) + 1);
		t->len = sizeof(*sun);
		return 0;
	}
	if (strncmp(s, "udp:", 4) == 0)
		t->kind = SLOG_UDP;
	else if (strncmp(s, "tcp:", 4) == 0)
		t->kind = SLOG_TCP;
	else
		return -1;
	/* A bare port would mean this host: say the address. */
	if (strchr(s + 4, ':') == NULL)
		return -1;
	return ctl_parse_addr(s + 4, &t->ss, &t->len);
}

int slog_configure(const char *conf, const char *target)
{
	struct slog_target t;

	if (strcmp(target, "none") == 0 || target_parse(target, &t) == 0)
		return 0;
	log_warnx("%s: syslog_target %s: give local, unix:PATH, "
		  "udp:ADDRESS:PORT, tcp:ADDRESS:PORT or none", conf, target);
	return 1;
}

/* ---- the sender thread ----------------------------------------------- */

static int slog_connect(struct slog *s)
{
	struct timeval tv = { SLOG_TIMEOUT_S, 0 };
	int type = s->t.kind == SLOG_TCP ? SOCK_STREAM : SOCK_DGRAM;

	s->fd = socket(s->t.ss.ss_family, type | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return -1;
	setsockopt(s->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(s->fd, (struct sockaddr *)&s->t.ss, s->t.len) < 0) {
		close(s->fd);
		s->fd = -1;
		return -1;
	}
	return 0;
}

/* One message, framed for TCP (RFC 6587 3.4.1); 0 when all of it went. */
static int slog_send(struct slog *s, const char *msg, size_t len)
{
	char frame[SLOG_MSG_MAX + 16];
	size_t flen = len, off = 0;
	const char *b = msg;
	ssize_t k;

	if (s->fd < 0 && slog_connect(s) < 0)
		return -1;
	if (s->t.kind == SLOG_TCP) {
		flen = (size_t)snprintf(frame, sizeof(frame), "%zu %.*s", len,
					(int)len, msg);
		b = frame;
	}
	while (off < flen) {
		k = send(s->fd, b + off, flen - off, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		off += (size_t)k;
		if (s->t.kind != SLOG_TCP)
			break;		/* a datagram goes whole or not at all */
	}
	if (off == flen)
		return 0;
	close(s->fd);		/* gone, or a frame cut short: start clean */
	s->fd = -1;
	return -1;
}

/* Wait ms, or less when stopped. */
static void slog_pause(struct slog *s, unsigned ms)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	if (!s->stop)
		pthread_cond_timedwait(&s->cv, &s->mu, &until);
}

static void *slog_thread(void *arg)
{
	struct slog *s = arg;
	char msg[SLOG_MSG_MAX];
	size_t len;
	int rc, retried = 0;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (s->n == 0 && !s->stop)
			pthread_cond_wait(&s->cv, &s->mu);
		if (s->n == 0)
			break;
		len = s->lens[s->head];
		memcpy(msg, s->slots + (size_t)s->head * SLOG_MSG_MAX, len);
		pthread_mutex_unlock(&s->mu);
		rc = slog_send(s, msg, len);
		pthread_mutex_lock(&s->mu);
		if (rc == 0 || s->t.kind != SLOG_TCP) {
			s->head = (s->head + 1) % s->qlen;
			s->n--;
			if (rc == 0)
				s->st.sent++;
		}
		if (rc == 0)
			continue;
		s->st.errors++;
		if (s->stop && retried++ > 0)
			break;		/* stopping, and the receiver is gone */
		if (s->t.kind == SLOG_TCP)
			slog_pause(s, SLOG_RETRY_MS);
	}
	s->st.dropped += s->n;
	s->n = 0;
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* ---- the daemon's side ------------------------------------------------ */

struct slog *slog_open(const char *target, uint32_t qlen)
{
	struct slog *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		goto fail;
	if (target_parse(target, &s->t) < 0) {
		log_warnx("syslog_target %s: not a target", target);
		free(s);
		return NULL;
	}
	s->fd = -1;
	s->qlen = qlen > 0 ? qlen : 1;
	s->pid = (unsigned)getpid();
	if (gethostname(s->host, sizeof(s->host) - 1) < 0)
		s->host[0] = '\0';
	s->lens = calloc(s->qlen, sizeof(*s->lens));
	s->slots = malloc((size_t)s->qlen * SLOG_MSG_MAX);
	if (s->lens == NULL || s->slots == NULL)
		goto fail;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	if ((errno = pthread_create(&s->thread, NULL, slog_thread, s)) != 0)
		goto fail;
	return s;
fail:
	log_warn("syslog_target %s", target);
	if (s != NULL) {
		free(s->lens);
		free(s->slots);
		free(s);
	}
	return NULL;
}

void slog_event(struct slog *s, const struct rst_event *e)
{
	char msg[SLOG_MSG_MAX];
	size_t len, slot;

	len = slog_format(msg, sizeof(msg), e, s->host, "rstaudit", s->pid);
	pthread_mutex_lock(&s->mu);
	if (s->n == s->qlen) {
		s->st.dropped++;
	} else {
		slot = (s->head + s->n) % s->qlen;
		memcpy(s->slots + slot * SLOG_MSG_MAX, msg, len);
		s->lens[slot] = (uint16_t)len;
		s->n++;
		pthread_cond_signal(&s->cv);
	}
	pthread_mutex_unlock(&s->mu);
}

void slog_get_stats(struct slog *s, struct slog_stats *st)
{
	pthread_mutex_lock(&s->mu);
	*st = s->st;
	st->queued = s->n;
	pthread_mutex_unlock(&s->mu);
}

void slog_close(struct slog *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = 1;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	if (s->st.dropped > 0 || s->st.errors > 0)
		log_warnx("syslog: %llu messages sent, %llu dropped (queue full "
			  "or receiver gone), %llu send errors",
			  (unsigned long long)s->st.sent,
			  (unsigned long long)s->st.dropped,
			  (unsigned long long)s->st.errors);
	if (s->fd >= 0)
		close(s->fd);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s->lens);
	free(s->slots);
	free(s);
}
