/*
 * locate.c: the TTL-limited prober (see locate.h for what each socket
 * can see, and why the packet socket is needed for the RST's TTL).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/errqueue.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "locate.h"
#include "pkt.h"

/* After the first answer, wait this long (plus twice its delay) for more. */
#define GRACE_US	100000
#define UDP_BASE_PORT	33434

const char *const locate_status_names[LOC_STATUS_MAX] = {
	[LOC_FOUND] = "found",
	[LOC_NO_RESET] = "no-reset",
	[LOC_CONTROL_RESET] = "control-reset",
	[LOC_NOT_FOUND] = "not-found",
	[LOC_NO_PATH] = "no-path",
};

const char *const locate_path_names[LPATH_MAX] = {
	[LPATH_UNKNOWN] = "unknown",
	[LPATH_IN] = "in-path",
	[LPATH_ON] = "on-path",
};

/* One run's sockets and what identifies its current probe. */
struct prober {
	const struct locate_conf *c;
	int	 raw;		/* packet socket, or -1 */
	uint8_t	 local[16];	/* the probe connection's own address */
	uint16_t lport;		/* ... and port */
	uint32_t trig_end;	/* sequence end of the payload, once seen */
	int	 have_end;
};

void locate_conf_default(struct locate_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->max_ttl = 30;
	c->wait_ms = 1000;
}

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int cancelled(const struct locate_conf *c)
{
	return c->cancel != NULL && __atomic_load_n(c->cancel, __ATOMIC_RELAXED);
}

static socklen_t sa_fill(struct sockaddr_storage *ss, int family,
			 const uint8_t *a, uint16_t port)
{
	memset(ss, 0, sizeof(*ss));
	if (family == 4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, a, 4);
		return sizeof(*sin);
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	memcpy(&sin6->sin6_addr, a, 16);
	return sizeof(*sin6);
}

static int ttl_set(int fd, int family, int ttl)
{
	if (family == 4)
		return setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
	return setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl,
			  sizeof(ttl));
}

static int recverr_set(int fd, int family)
{
	int on = 1;

	if (family == 4)
		return setsockopt(fd, IPPROTO_IP, IP_RECVERR, &on, sizeof(on));
	return setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &on, sizeof(on));
}

/* A non-blocking TCP connection to the destination, established; -1. */
static int tcp_connect(struct prober *pr)
{
	const struct locate_conf *c = pr->c;
	struct sockaddr_storage ss;
	socklen_t len = sa_fill(&ss, c->family, c->dst, c->port);
	struct pollfd pfd;
	int fd, err = 0;
	socklen_t elen = sizeof(err);

	fd = socket(c->family == 4 ? AF_INET : AF_INET6,
		    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (recverr_set(fd, c->family) < 0 ||
	    (connect(fd, (struct sockaddr *)&ss, len) < 0 &&
	     errno != EINPROGRESS))
		goto fail;
	pfd.fd = fd;
	pfd.events = POLLOUT;
	if (poll(&pfd, 1, (int)c->wait_ms) != 1 ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0 || err)
		goto fail;
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		goto fail;
	if (c->family == 4) {
		memcpy(pr->local, &((struct sockaddr_in *)&ss)->sin_addr, 4);
		pr->lport = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	} else {
		memcpy(pr->local, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
		pr->lport = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	}
	return fd;
fail:
	close(fd);
	return -1;
}

/* Abort the connection at full TTL, so the server forgets it at once. */
static void tcp_abort(int fd, int family)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	ttl_set(fd, family, LOCATE_TTL_FULL);
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

/*
 * The packet socket, filtered in the kernel to the destination's TCP port
 * and to ICMP, so a busy gateway copies nothing else to us.
 */
static int raw_open(const struct locate_conf *c)
{
	char expr[160], host[64];
	struct bpf_program prog;
	struct sock_fprog fp;
	pcap_t *dead;
	int fd, rc;

	if (inet_ntop(c->family == 4 ? AF_INET : AF_INET6, c->dst, host,
		      sizeof(host)) == NULL)
		return -1;
	snprintf(expr, sizeof(expr), "(host %s and tcp port %u) or %s",
		 host, c->port, c->family == 4 ? "icmp" : "icmp6");
	if ((dead = pcap_open_dead(DLT_RAW, 65535)) == NULL)
		return -1;
	rc = pcap_compile(dead, &prog, expr, 1, PCAP_NETMASK_UNKNOWN);
	pcap_close(dead);
	if (rc < 0)
		return -1;
	fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    htons(ETH_P_ALL));
	fp.len = (unsigned short)prog.bf_len;
	fp.filter = (struct sock_filter *)prog.bf_insns;
	if (fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp,
				  sizeof(fp)) < 0) {
		close(fd);
		fd = -1;
	}
	pcap_freecode(&prog);
	return fd;
}

static void raw_drain(int fd)
{
	uint8_t buf[256];

	while (fd >= 0 && recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/*
 * An ICMP time exceeded that quotes the probe's own segment: the router's
 * address into probe->router.  Returns 1 when it was one, else 0.
 */
static int icmp_match(struct prober *pr, const uint8_t *b, size_t n,
		      struct locate_probe *probe)
{
	const struct locate_conf *c = pr->c;
	size_t alen = c->family == 4 ? 4 : 16, hl, ihl;
	const uint8_t *in, *src;

	if (c->family == 4) {
		hl = (size_t)(b[0] & 0x0f) * 4;
		if (n < 20 || b[0] >> 4 != 4 || b[9] != IPPROTO_ICMP ||
		    hl < 20 || n < hl + 8 + 20 || b[hl] != 11)
			return 0;
		src = b + 12;
		in = b + hl + 8;
		ihl = (size_t)(in[0] & 0x0f) * 4;
		if (ihl < 20 || in[9] != IPPROTO_TCP || n < hl + 8 + ihl + 4 ||
		    memcmp(in + 12, pr->local, 4) || memcmp(in + 16, c->dst, 4))
			return 0;
	} else {
		hl = 40;
		if (n < 40 + 8 + 40 + 4 || b[0] >> 4 != 6 ||
		    b[6] != IPPROTO_ICMPV6 || b[hl] != 3)
			return 0;
		src = b + 8;
		in = b + hl + 8;
		ihl = 40;
		if (in[6] != IPPROTO_TCP || memcmp(in + 8, pr->local, 16) ||
		    memcmp(in + 24, c->dst, 16))
			return 0;
	}
	if (get16(in + ihl) != pr->lport || get16(in + ihl + 2) != c->port)
		return 0;
	memcpy(probe->router, src, alen);
	probe->got |= LP_TIME_EXCEEDED | LP_ROUTER;
	return 1;
}

/* A TCP segment of the probe connection, either way. */
static void tcp_match(struct prober *pr, const struct pkt *p, int outgoing,
		      struct locate_probe *probe)
{
	const struct locate_conf *c = pr->c;
	size_t alen = c->family == 4 ? 4 : 16;

	if (outgoing) {
		if (p->sport == pr->lport && p->dport == c->port &&
		    p->payload_len > 0 && !memcmp(p->src, pr->local, alen)) {
			pr->trig_end = p->seq + p->payload_len;
			pr->have_end = 1;
		}
		return;
	}
	if (p->sport != c->port || p->dport != pr->lport ||
	    memcmp(p->src, c->dst, alen) || memcmp(p->dst, pr->local, alen))
		return;
	if (p->flags & TH_RST) {
		if (!(probe->got & LP_RST_TTL)) {
			probe->rst_ttl = p->ttl;
			probe->rst_ipid = p->ipid;
			probe->rst_win = p->win;
			probe->rst_flags = p->flags;
		}
		probe->got |= LP_RST | LP_RST_TTL;
		return;
	}
	if (p->payload_len > 0)
		probe->got |= LP_DATA;
	if (pr->have_end && (p->flags & TH_ACK) && SEQ_GEQ(p->ack, pr->trig_end))
		probe->got |= LP_ACKED;
}

static void raw_read(struct prober *pr, struct locate_probe *probe)
{
	uint8_t buf[2048];
	struct sockaddr_ll sll;
	socklen_t sl = sizeof(sll);
	struct pkt p;
	ssize_t n;

	while ((n = recvfrom(pr->raw, buf, sizeof(buf), MSG_DONTWAIT,
			     (struct sockaddr *)&sll, &sl)) > 0) {
		sl = sizeof(sll);
		if (pkt_parse(&p, LINK_RAW, buf, (size_t)n) == PKT_OK &&
		    p.family == pr->c->family)
			tcp_match(pr, &p, sll.sll_pkttype == PACKET_OUTGOING,
				  probe);
		else if (sll.sll_pkttype != PACKET_OUTGOING)
			icmp_match(pr, buf, (size_t)n, probe);
	}
}

/* What the connected socket says: EHOSTUNREACH, ECONNRESET, data. */
static int sock_read(int fd, struct locate_probe *probe)
{
	uint8_t buf[512];
	int err = 0;
	socklen_t elen = sizeof(err);
	ssize_t n;

	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
	if (err == EHOSTUNREACH || err == ENETUNREACH)
		probe->got |= LP_TIME_EXCEEDED;
	n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n > 0) {
		probe->got |= LP_DATA | LP_ACKED;
		return 0;
	}
	if (n < 0 && (errno == EHOSTUNREACH || errno == ENETUNREACH))
		probe->got |= LP_TIME_EXCEEDED;
	if (err == ECONNRESET || (n < 0 && errno == ECONNRESET)) {
		probe->got |= LP_RST;
		return -1;	/* closed: nothing more from this socket */
	}
	return n == 0 ? -1 : 0;
}

/*
 * Wait for the answers to a payload sent at t0: until the deadline, or a
 * grace period after the first answer, or both a time exceeded and a RST.
 */
static void probe_wait(struct prober *pr, int fd, uint64_t t0,
		       struct locate_probe *probe)
{
	uint64_t deadline = t0 + (uint64_t)pr->c->wait_ms * 1000, t;
	struct pollfd pfd[2] = { { .fd = fd, .events = POLLIN },
				 { .fd = pr->raw, .events = POLLIN } };
	uint8_t seen = 0;

	while ((t = mono_us()) < deadline && !cancelled(pr->c)) {
		if (poll(pfd, 2, (int)((deadline - t + 999) / 1000)) < 0 &&
		    errno != EINTR)
			break;
		if (pfd[0].revents && sock_read(fd, probe) < 0)
			pfd[0].fd = -1;
		if (pfd[1].revents)
			raw_read(pr, probe);
		if (probe->got != seen) {
			seen = probe->got;
			probe->us = (uint32_t)(mono_us() - t0);
		}
		if ((seen & LP_RST) && (seen & LP_TIME_EXCEEDED))
			break;
		if (seen && deadline > t0 + probe->us * 3 + GRACE_US)
			deadline = t0 + probe->us * 3 + GRACE_US;
	}
}

/*
 * The router that expires a UDP datagram sent with this TTL (IP_RECVERR,
 * SO_EE_OFFENDER): for probes whose ICMP we could not read ourselves.
 */
static void udp_router(struct prober *pr, int ttl, struct locate_probe *probe)
{
	const struct locate_conf *c = pr->c;
	struct sockaddr_storage ss, from;
	socklen_t len = sa_fill(&ss, c->family, c->dst,
				(uint16_t)(UDP_BASE_PORT + ttl));
	char ctl[512], data[64];
	struct iovec iov = { data, sizeof(data) };
	struct msghdr mh = { .msg_name = &from, .msg_namelen = sizeof(from),
			     .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	struct pollfd pfd;
	struct cmsghdr *cm;
	int fd;

	fd = socket(c->family == 4 ? AF_INET : AF_INET6,
		    SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (recverr_set(fd, c->family) < 0 || ttl_set(fd, c->family, ttl) < 0 ||
	    connect(fd, (struct sockaddr *)&ss, len) < 0 ||
	    send(fd, "rstaudit locate", 15, 0) < 0)
		goto out;
	pfd.fd = fd;
	pfd.events = 0;		/* POLLERR: the error queue */
	if (poll(&pfd, 1, (int)c->wait_ms) != 1 ||
	    recvmsg(fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
		goto out;
	for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
		struct sock_extended_err *ee = (void *)CMSG_DATA(cm);
		struct sockaddr *off = SO_EE_OFFENDER(ee);
		int te = (c->family == 4 && cm->cmsg_level == IPPROTO_IP &&
			  cm->cmsg_type == IP_RECVERR && ee->ee_type == 11) ||
			 (c->family == 6 && cm->cmsg_level == IPPROTO_IPV6 &&
			  cm->cmsg_type == IPV6_RECVERR && ee->ee_type == 3);

		if (!te)
			continue;
		if (c->family == 4)
			memcpy(probe->router, &((struct sockaddr_in *)off)->sin_addr, 4);
		else
			memcpy(probe->router, &((struct sockaddr_in6 *)off)->sin6_addr, 16);
		probe->got |= LP_ROUTER;
	}
out:
	close(fd);
}

/* One probe: connect, send payload at this TTL, record what answers. */
static void probe_one(struct prober *pr, const uint8_t *payload, size_t len,
		      int ttl, struct locate_probe *probe)
{
	int fd;

	memset(probe, 0, sizeof(*probe));
	probe->ttl = (uint8_t)ttl;
	pr->have_end = 0;
	if ((fd = tcp_connect(pr)) < 0) {
		probe->got = LP_NO_CONNECT;
		return;
	}
	raw_drain(pr->raw);
	if (ttl_set(fd, pr->c->family, ttl) < 0 ||
	    send(fd, payload, len, MSG_NOSIGNAL) != (ssize_t)len) {
		probe->got = LP_NO_CONNECT;
		tcp_abort(fd, pr->c->family);
		return;
	}
	probe_wait(pr, fd, mono_us(), probe);
	tcp_abort(fd, pr->c->family);
	if (ttl < LOCATE_TTL_FULL && !(probe->got & LP_ROUTER) &&
	    (pr->raw < 0 || (probe->got & LP_TIME_EXCEEDED)))
		udp_router(pr, ttl, probe);
}

/* The harmless payload: as long as the trigger, none of its bytes. */
static void control_probe(struct prober *pr, struct locate_result *r)
{
	uint8_t buf[1024];
	size_t len = pr->c->payload_len;

	if (len > sizeof(buf))
		len = sizeof(buf);
	if (len == 0)
		len = 1;
	memset(buf, 'x', len);
	probe_one(pr, buf, len, LOCATE_TTL_FULL, &r->control);
}

int locate_run(const struct locate_conf *c, struct locate_result *r)
{
	struct prober pr = { .c = c, .raw = -1 };
	uint64_t t0 = mono_us();
	unsigned k, max = c->max_ttl;

	memset(r, 0, sizeof(*r));
	if (c->payload_len == 0) {
		errno = EINVAL;
		return -1;
	}
	if (max == 0 || max > LOCATE_MAX_TTL)
		max = LOCATE_MAX_TTL;
	if (!c->no_raw)
		pr.raw = raw_open(c);
	r->raw = pr.raw >= 0;
	control_probe(&pr, r);
	probe_one(&pr, c->payload, c->payload_len, LOCATE_TTL_FULL, &r->full);
	if (!(r->control.got & (LP_NO_CONNECT | LP_RST)) &&
	    (r->full.got & LP_RST)) {
		for (k = 1; k <= max && !cancelled(c); k++) {
			probe_one(&pr, c->payload, c->payload_len, (int)k,
				  &r->probe[k - 1]);
			r->nprobes = k;
			/* One more after the first RST: does its TTL follow k? */
			if (k > 1 && (r->probe[k - 2].got & LP_RST))
				break;
		}
	}
	if (pr.raw >= 0)
		close(pr.raw);
	r->elapsed_us = mono_us() - t0;
	locate_decide(r);
	return 0;
}

/* The hop of the first k whose RST arrived; a copying injector's corrected. */
static void decide_hop(struct locate_result *r, unsigned i)
{
	const struct locate_probe *a = &r->probe[i];
	const struct locate_probe *b = i + 1 < r->nprobes ? &r->probe[i + 1] : NULL;
	int k = a->ttl;

	r->first_rst_ttl = k;
	r->hop = k;
	r->copies_ttl = -1;
	if (!(a->got & LP_RST_TTL) || b == NULL || !(b->got & LP_RST_TTL))
		return;
	/*
	 * A fixed TTL arrives the same whatever k; a copied one (the
	 * trigger's remaining k - hop + 1, then hop - 1 routers back) arrives
	 * as k - 2 hop + 2: one more per k.
	 */
	r->copies_ttl = b->rst_ttl != a->rst_ttl;
	if (r->copies_ttl && k + 2 > a->rst_ttl)
		r->hop = (k + 2 - a->rst_ttl) / 2;
}

void locate_decide(struct locate_result *r)
{
	unsigned i;

	r->path = LPATH_UNKNOWN;
	r->copies_ttl = -1;
	r->hop = 0;
	r->has_before = r->has_at = 0;
	if (r->control.got & LP_NO_CONNECT) {
		r->status = LOC_NO_PATH;
		return;
	}
	if (r->control.got & LP_RST) {
		r->status = LOC_CONTROL_RESET;
		return;
	}
	if (!(r->full.got & LP_RST)) {
		r->status = LOC_NO_RESET;
		return;
	}
	r->rst = r->full;
	if (r->raw)	/* the server acknowledged the trigger: it got through */
		r->path = r->full.got & (LP_ACKED | LP_DATA) ? LPATH_ON : LPATH_IN;
	for (i = 0; i < r->nprobes && !(r->probe[i].got & LP_RST); i++)
		;
	if (i == r->nprobes) {
		r->status = LOC_NOT_FOUND;
		return;
	}
	r->status = LOC_FOUND;
	decide_hop(r, i);
	if (r->hop >= 1 && (unsigned)r->hop <= r->nprobes &&
	    (r->probe[r->hop - 1].got & LP_ROUTER)) {
		r->has_at = 1;
		memcpy(r->router_at, r->probe[r->hop - 1].router, 16);
	}
	if (r->hop >= 2 && (unsigned)r->hop - 1 <= r->nprobes &&
	    (r->probe[r->hop - 2].got & LP_ROUTER)) {
		r->has_before = 1;
		memcpy(r->router_before, r->probe[r->hop - 2].router, 16);
	}
}
