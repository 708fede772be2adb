/*
 * nfqbare: the bare accept-all NFQUEUE consumer, the speed of light that
 * bench/live.sh measures `rstaudit run` against.
 *
 *	nfqbare [-q num] [-l length]
 *
 * Same settings as src/nfq.c, so that only the work done per packet
 * differs: libmnl, copy range 128, FAIL_OPEN and GSO in one bind message,
 * a kernel queue of 4 x length, SO_RCVBUFFORCE of length x 1024 / 2
 * bytes, NETLINK_NO_ENOBUFS, recvmmsg() of 64 messages and one
 * VERDICT_BATCH (accept) covering them, sent before the next read.  It
 * does nothing with a packet but read its id.
 *
 * Prints "ready" once bound; on SIGUSR1, and at exit (SIGTERM, SIGINT),
 * one line:
 *
 *	nfqbare: queued N verdicts N failed_open N reads N
 *
 * failed_open counts the ids the kernel gave out but never sent us (gaps,
 * plus the tail after the last id read that is not waiting in the
 * socket), as rstaudit counts them.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#define BATCH		64	/* messages per recvmmsg(), as NFQUEUE_BATCH */
#define MSG_BUFSZ	8192
#define COPY_RANGE	128
#define TRUESIZE	1024

struct bare {
	struct mnl_socket *nl;
	int		 fd;
	uint16_t	 num;
	uint64_t	 queued, verdicts, failed_open, reads;
	uint32_t	 last_id;
	struct mmsghdr	 msgs[BATCH];
	struct iovec	 iov[BATCH];
	struct sockaddr_nl from[BATCH];
	char		*rbuf;
};

static volatile sig_atomic_t quit, dump;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		dump = 1;
	else
		quit = 1;
}

static void die(const char *what)
{
	fprintf(stderr, "nfqbare: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Send one config message with an ack request; -1 with errno on refusal. */
static int config_send(struct bare *b, struct nlmsghdr *nlh)
{
	char buf[MSG_BUFSZ];
	struct pollfd pfd = { .fd = b->fd, .events = POLLIN };
	const struct nlmsghdr *m;
	ssize_t len;
	int n;

	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = 1;
	if (mnl_socket_sendto(b->nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	for (;;) {
		if (poll(&pfd, 1, 2000) <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		len = recv(b->fd, buf, sizeof(buf), 0);
		if (len < 0)
			return -1;
		m = (const struct nlmsghdr *)buf;
		for (n = (int)len; mnl_nlmsg_ok(m, n); m = mnl_nlmsg_next(m, &n)) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(m);

			if (m->nlmsg_type != NLMSG_ERROR)
				continue;
			if (e->error == 0)
				return 0;
			errno = -e->error;
			return -1;
		}
	}
}

static void bare_open(struct bare *b, uint32_t length)
{
	uint32_t flags = NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_GSO;
	int one = 1, size = (int)(length * TRUESIZE / 2), i;
	char buf[MSG_BUFSZ];
	struct nlmsghdr *nlh;

	b->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (b->nl == NULL || mnl_socket_bind(b->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		die("netlink socket");
	b->fd = mnl_socket_get_fd(b->nl);
	if (setsockopt(b->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		die("SO_RCVBUFFORCE");
	if (setsockopt(b->fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof(one)) < 0)
		die("NETLINK_NO_ENOBUFS");
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, b->num);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_BIND);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, COPY_RANGE);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, 4 * length);
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(flags));
	if (config_send(b, nlh) < 0)
		die("bind queue");
	b->rbuf = malloc((size_t)BATCH * MSG_BUFSZ);
	if (b->rbuf == NULL)
		die("malloc");
	for (i = 0; i < BATCH; i++) {
		b->iov[i].iov_base = b->rbuf + (size_t)i * MSG_BUFSZ;
		b->iov[i].iov_len = MSG_BUFSZ;
		b->msgs[i].msg_hdr.msg_iov = &b->iov[i];
		b->msgs[i].msg_hdr.msg_iovlen = 1;
		b->msgs[i].msg_hdr.msg_name = &b->from[i];
	}
}

static void note_id(struct bare *b, uint32_t id)
{
	uint32_t gap = id - b->last_id - 1;

	if (gap < (1u << 30))
		b->failed_open += gap;
	b->last_id = id;
	b->queued++;
}

/* The packet ids of one datagram; returns the newest, or 0. */
static uint32_t datagram_ids(struct bare *b, const char *buf, size_t len)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	int n = (int)len;
	uint32_t newest = 0;

	for (; mnl_nlmsg_ok(nlh, n); nlh = mnl_nlmsg_next(nlh, &n)) {
		struct nlattr *attr[NFQA_MAX + 1] = { 0 };
		struct nfqnl_msg_packet_hdr ph;

		if (nlh->nlmsg_type != ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET))
			continue;
		if (nfq_nlmsg_parse(nlh, attr) < 0 || attr[NFQA_PACKET_HDR] == NULL)
			continue;
		memcpy(&ph, mnl_attr_get_payload(attr[NFQA_PACKET_HDR]), sizeof(ph));
		newest = ntohl(ph.packet_id);
		note_id(b, newest);
	}
	return newest;
}

/* One recvmmsg() and the one VERDICT_BATCH that answers it. */
static int bare_read(struct bare *b)
{
	char vbuf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	uint32_t newest = 0, id;
	uint64_t before = b->queued;
	int i, n;

	for (i = 0; i < BATCH; i++) {
		b->msgs[i].msg_hdr.msg_namelen = sizeof(b->from[i]);
		b->msgs[i].msg_hdr.msg_flags = 0;
	}
	n = recvmmsg(b->fd, b->msgs, BATCH, MSG_DONTWAIT, NULL);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR || errno == ENOBUFS ? 0 : -1;
	b->reads++;
	for (i = 0; i < n; i++)
		if (b->from[i].nl_pid == 0 &&
		    (id = datagram_ids(b, b->rbuf + (size_t)i * MSG_BUFSZ,
				       b->msgs[i].msg_len)) != 0)
			newest = id;
	if (newest == 0)
		return 0;
	nlh = nfq_nlmsg_put(vbuf, NFQNL_MSG_VERDICT_BATCH, b->num);
	nfq_nlmsg_verdict_put(nlh, (int)newest, NF_ACCEPT);
	if (mnl_socket_sendto(b->nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	b->verdicts += b->queued - before;
	return 1;
}

/* queue_total and id_sequence of our queue, from the kernel. */
static int kernel_tail(uint16_t num, uint32_t *waiting, uint32_t *idseq)
{
	unsigned int qn, pid, total, mode, range, qd, ud, seq, one;
	char line[256];
	FILE *fp = fopen("/proc/net/netfilter/nfnetlink_queue", "r");
	int rc = -1;

	if (fp == NULL)
		return -1;
	while (rc < 0 && fgets(line, sizeof(line), fp))
		if (sscanf(line, "%u %u %u %u %u %u %u %u %u", &qn, &pid, &total,
			   &mode, &range, &qd, &ud, &seq, &one) == 9 && qn == num) {
			*waiting = total;
			*idseq = seq;
			rc = 0;
		}
	fclose(fp);
	return rc;
}

static void bare_print(const struct bare *b)
{
	uint32_t waiting, idseq, tail = 0;

	if (kernel_tail(b->num, &waiting, &idseq) == 0) {
		tail = idseq - b->last_id - waiting;
		if (tail >= (1u << 30))
			tail = 0;
	}
	printf("nfqbare: queued %llu verdicts %llu failed_open %llu reads %llu\n",
	       (unsigned long long)b->queued, (unsigned long long)b->verdicts,
	       (unsigned long long)(b->failed_open + tail),
	       (unsigned long long)b->reads);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct bare b;
	struct sigaction sa;
	struct pollfd pfd;
	uint32_t length = 1024;
	int ch;

	memset(&b, 0, sizeof(b));
	while ((ch = getopt(argc, argv, "q:l:")) != -1) {
		switch (ch) {
		case 'q': b.num = (uint16_t)strtoul(optarg, NULL, 0); break;
		case 'l': length = (uint32_t)strtoul(optarg, NULL, 0); break;
		default:
			fprintf(stderr, "usage: nfqbare [-q num] [-l length]\n");
			return 2;
		}
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: poll() returns */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	bare_open(&b, length);
	printf("ready: queue %u\n", b.num);
	fflush(stdout);
	pfd.fd = b.fd;
	pfd.events = POLLIN;
	while (!quit) {
		if (dump) {
			dump = 0;
			bare_print(&b);
		}
		if (poll(&pfd, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		/* Drain, a bounded number of batches, as rstaudit does. */
		for (ch = 0; ch < 16; ch++) {
			int r = bare_read(&b);

			if (r < 0)
				die("queue");
			if (r == 0)
				break;
		}
	}
	while (bare_read(&b) > 0)
		;
	bare_print(&b);
	mnl_socket_close(b.nl);
	free(b.rbuf);
	return 0;
}
