/*
 * journal.c: native journald entries (see journal.h).
 *
 * The protocol (systemd's "Native Journal Protocol"): one datagram of
 * fields, each "NAME=value\n", or, for a value holding a newline,
 * "NAME\n", its length as 64-bit little endian, the value and "\n".
 * A field may repeat: RSTAUDIT_EVIDENCE does, once per sentence.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "journal.h"
#include "log.h"
#include "output.h"
#include "slog.h"

/* One per origin, made once with a random generator (journalctl -x). */
static const char *const message_ids[ORIGIN_MAX] = {
	[ORIGIN_ENDPOINT]	= "bb195f91e5b74326bb35a449792446c5",
	[ORIGIN_LOCAL]		= "010bd5157ea142fd99200c3f8ad2255b",
	[ORIGIN_MIDDLEBOX]	= "1ae8fc9ba2a243da9136f93ccf9ea57a",
	[ORIGIN_UNKNOWN]	= "3be4f29e0b3c46d58c3e43320828748f",
};

struct journal {
	int			fd;
	struct journal_stats	st;
};

const char *journal_message_id(enum origin o)
{
	return o < ORIGIN_MAX && message_ids[o] != NULL ? message_ids[o]
						       : message_ids[ORIGIN_UNKNOWN];
}

struct jbuf {
	char	*b;
	size_t	 len, off;
	int	 full;
};

/* NAME=value, or the binary form when value holds a newline. */
static void jb_field(struct jbuf *jb, const char *name, const char *value)
{
	size_t nl = strlen(name), vl = strlen(value), need;
	uint64_t le = vl;
	int bin = strchr(value, '\n') != NULL;

	need = nl + vl + 2 + (bin ? 8 : 0);
	if (jb->full || jb->off + need > jb->len) {
		jb->full = 1;
		return;
	}
	memcpy(jb->b + jb->off, name, nl);
	jb->off += nl;
	if (bin) {
		jb->b[jb->off++] = '\n';
		for (int i = 0; i < 8; i++, le >>= 8)
			jb->b[jb->off++] = (char)(le & 0xff);
	} else {
		jb->b[jb->off++] = '=';
	}
	memcpy(jb->b + jb->off, value, vl);
	jb->off += vl;
	jb->b[jb->off++] = '\n';
}

static void jb_uint(struct jbuf *jb, const char *name, unsigned long v)
{
	char num[24];

	snprintf(num, sizeof(num), "%lu", v);
	jb_field(jb, name, num);
}

static void jb_live(struct jbuf *jb, const struct rst_live *l)
{
	if (!l->valid)
		return;
	jb_field(jb, "RSTAUDIT_HOOK", l->hook_name);
	if (l->in[0] != '\0')
		jb_field(jb, "RSTAUDIT_IN", l->in);
	if (l->out[0] != '\0')
		jb_field(jb, "RSTAUDIT_OUT", l->out);
	if (l->verdict[0] != '\0')
		jb_field(jb, "RSTAUDIT_VERDICT", l->verdict);
	if (l->ct_known && l->ct_state[0] != '\0')
		jb_field(jb, "RSTAUDIT_CT_STATE", l->ct_state);
	if (rst_ct_has_id(l))
		jb_uint(jb, "RSTAUDIT_CT_ID", l->ct_id);
}

size_t journal_format(char *buf, size_t len, const struct rst_event *e)
{
	char src[RST_ADDRSTRLEN], dst[RST_ADDRSTRLEN], fl[9], ts[40], cid[32];
	char line[512];
	const struct pkt *p = &e->p;
	struct jbuf jb = { buf, len, 0, 0 };
	unsigned i;

	rst_addr(p->family, p->src, src);
	rst_addr(p->family, p->dst, dst);
	snprintf(line, sizeof(line), "reset %s port %u > %s port %u %s: %s %s "
		 "(confidence %.2f)", src, p->sport, dst, p->dport,
		 output_flags(p->flags, fl), origin_names[e->v.origin],
		 cause_names[e->v.cause], e->v.confidence);
	jb_field(&jb, "MESSAGE", line);
	jb_field(&jb, "MESSAGE_ID", journal_message_id(e->v.origin));
	jb_uint(&jb, "PRIORITY", (unsigned long)slog_severity(e));
	jb_field(&jb, "SYSLOG_IDENTIFIER", "rstaudit");
	jb_field(&jb, "RSTAUDIT_TIMESTAMP", output_time(e->ts_us, ts));
	jb_field(&jb, "RSTAUDIT_ORIGIN", origin_names[e->v.origin]);
	jb_field(&jb, "RSTAUDIT_CAUSE", cause_names[e->v.cause]);
	snprintf(line, sizeof(line), "%.2f", e->v.confidence);
	jb_field(&jb, "RSTAUDIT_CONFIDENCE", line);
	jb_field(&jb, "RSTAUDIT_FAMILY", p->family == 6 ? "ipv6" : "ipv4");
	jb_field(&jb, "RSTAUDIT_SRC_IP", src);
	jb_uint(&jb, "RSTAUDIT_SRC_PORT", p->sport);
	jb_field(&jb, "RSTAUDIT_DST_IP", dst);
	jb_uint(&jb, "RSTAUDIT_DST_PORT", p->dport);
	jb_field(&jb, "RSTAUDIT_FLAGS", fl);
	jb_uint(&jb, "RSTAUDIT_SEQ", p->seq);
	jb_uint(&jb, "RSTAUDIT_ACK", p->ack);
	jb_uint(&jb, "RSTAUDIT_TTL", p->ttl);
	jb_field(&jb, "RSTAUDIT_COMMUNITY_ID", output_community_id(p, cid));
	jb_live(&jb, &e->live);
	for (i = 0; i < e->v.n_ev; i++) {
		evidence_format(e, &e->v.ev[i], line, sizeof(line));
		jb_field(&jb, "RSTAUDIT_EVIDENCE", line);
	}
	return jb.full ? 0 : jb.off;
}

int journal_stream_is(int fd)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2 ||
	    fstat(fd, &st) < 0)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

int journal_configure(const char *conf, const char *mode)
{
	if (strcmp(mode, "auto") == 0 || strcmp(mode, "yes") == 0 ||
	    strcmp(mode, "no") == 0)
		return 0;
	log_warnx("%s: journal %s: give auto, yes or no", conf, mode);
	return 1;
}

struct journal *journal_open(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct journal *j;
	int sz = 8 << 20;

	if ((j = calloc(1, sizeof(*j))) == NULL) {
		log_warn("journal");
		return NULL;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	j->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (j->fd < 0 ||
	    connect(j->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		log_warn("journal %s", path);
		journal_close(j);
		return NULL;
	}
	(void)setsockopt(j->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	return j;
}

void journal_event(struct journal *j, const struct rst_event *e)
{
	char buf[JOURNAL_MAX];
	size_t n = journal_format(buf, sizeof(buf), e);

	if (n > 0 && send(j->fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)n)
		j->st.sent++;
	else
		j->st.dropped++;
}

void journal_get_stats(const struct journal *j, struct journal_stats *st)
{
	*st = j->st;
}

void journal_close(struct journal *j)
{
	if (j == NULL)
		return;
	if (j->fd >= 0)
		close(j->fd);
	free(j);
}
