/*
 * nfq.c: one NFQUEUE queue over libmnl (see nfq.h).
 *
 * Why the sizes: with FAIL_OPEN the kernel lets a packet through, and
 * counts it nowhere, when the queue already holds maxlen packets; when
 * the queue has room but our socket buffer is full the packet also goes
 * through, but only after it was given an id (net/netfilter/
 * nfnetlink_queue.c, __nfqnl_enqueue_packet).  So we set the kernel's
 * queue length well above what the socket buffer holds, making the
 * socket the real bound, and every packet that failed open shows as a
 * gap in the ids we read: an exact count.  The buffer is sized for
 * conf.length messages of NFQUEUE_TRUESIZE (a message with 128 bytes of
 * packet takes about 830 bytes of socket memory on 6.18: 5041 of them
 * filled a 4 MiB buffer); the kernel doubles what we ask for.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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
#include <linux/netfilter/nfnetlink_log.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "clk.h"
#include "log.h"
#include "nfq.h"
#include "nfq_int.h"
#include "nlok.h"
#include "nft.h"

/*
 * KSTATS_PATH is mode 0440 root: opened while the queues are bound, as
 * root, and kept, so the counters still read it after the privilege
 * drop.  Opened and closed by the main thread only (nfqueue_open and
 * nfqueue_close); read with pread(), which any thread may call.
 */
static int kstats_fd = -1, kstats_users;

void nfqueue_conf_default(struct nfqueue_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->copy_range = NFQUEUE_COPY_RANGE;
	c->length = NFQUEUE_LENGTH;
	c->conntrack = 1;
}

const char *nfqueue_hook_name(uint8_t hook)
{
	static const char *const names[NF_INET_NUMHOOKS] = {
		[NF_INET_PRE_ROUTING] = "prerouting",
		[NF_INET_LOCAL_IN] = "input",
		[NF_INET_FORWARD] = "forward",
		[NF_INET_LOCAL_OUT] = "output",
		[NF_INET_POST_ROUTING] = "postrouting",
	};

	return hook < NF_INET_NUMHOOKS ? names[hook] : "?";
}

int nfqueue_fd(const struct nfqueue *q)
{
	return q->fd;
}

int nfqueue_has_conntrack(const struct nfqueue *q)
{
	return q->conntrack;
}

void nfqueue_get_stats(const struct nfqueue *q, struct nfqueue_stats *st)
{
	*st = q->st;
}

/*
 * The packet id of a message too long for our buffer: NFQA_PACKET_HDR
 * is always the first attribute, so it was read even when the rest
 * was cut off.  Returns 0 when it is not there.
 */
static uint32_t truncated_id(const char *buf, size_t len)
{
	size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg));
	const struct nlattr *a = (const struct nlattr *)(buf + off);
	struct nfqnl_msg_packet_hdr ph;

	if (len < off + NLA_HDRLEN + sizeof(ph) ||
	    (a->nla_type & NLA_TYPE_MASK) != NFQA_PACKET_HDR)
		return 0;
	memcpy(&ph, buf + off + NLA_HDRLEN, sizeof(ph));
	return ntohl(ph.packet_id);
}

static void note_id(struct nfqueue *q, uint32_t id)
{
	/* Ids count up from 1 in a fresh queue; a gap failed open. */
	uint32_t gap = id - q->st.last_id - 1;

	if (gap < (1u << 30))
		q->st.failed_open += gap;
	q->st.last_id = id;
}

/* Decode one packet message into p.  Returns -1 when it has no id. */
/*
 * When the packet crossed the hook: the kernel stamps what it queues or
 * logs at prerouting, input and forward with its receive time (while
 * nfqueue_stamps_on() holds; NFLOG, else, with the time it is logged),
 * the same clock as ours.  Else, and
 * for a stamp that cannot be one (a delivery time, a clock stepped):
 * when we read it.  The group is read in batches, so its packets' read
 * times would lag theirs by up to a poll period.
 */
static uint64_t kernel_ts(const struct nlattr *a, uint64_t read_us)
{
	struct nfqnl_msg_packet_timestamp ts;
	uint64_t us;

	if (a == NULL || mnl_attr_get_payload_len(a) < sizeof(ts))
		return read_us;
	memcpy(&ts, mnl_attr_get_payload(a), sizeof(ts));
	us = be64toh(ts.sec) * 1000000u + be64toh(ts.usec);
	return us <= read_us && read_us - us < KERNEL_TS_MAX_AGE_US ? us : read_us;
}

int nfqueue_stamps_on(void)
{
	int one = 1, fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd >= 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMP, &one, sizeof(one)) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static int packet_decode(const struct nlmsghdr *nlh, struct nfqueue_pkt *p,
			 uint64_t ts_us)
{
	struct nlattr *attr[NFQA_MAX + 1] = { 0 };
	struct nfqnl_msg_packet_hdr ph;

	if (nfq_nlmsg_parse(nlh, attr) < 0 || attr[NFQA_PACKET_HDR] == NULL ||
	    mnl_attr_get_payload_len(attr[NFQA_PACKET_HDR]) < sizeof(ph))
		return -1;
	memset(p, 0, sizeof(*p));
	memcpy(&ph, mnl_attr_get_payload(attr[NFQA_PACKET_HDR]), sizeof(ph));
	p->id = ntohl(ph.packet_id);
	p->hw_proto = ntohs(ph.hw_protocol);
	p->hook = ph.hook;
	p->ts_us = kernel_ts(attr[NFQA_TIMESTAMP], ts_us);
	if (attr[NFQA_MARK]) {
		p->has_mark = 1;
		p->mark = ntohl(mnl_attr_get_u32(attr[NFQA_MARK]));
	}
	if (attr[NFQA_IFINDEX_INDEV])
		p->indev = ntohl(mnl_attr_get_u32(attr[NFQA_IFINDEX_INDEV]));
	if (attr[NFQA_IFINDEX_OUTDEV])
		p->outdev = ntohl(mnl_attr_get_u32(attr[NFQA_IFINDEX_OUTDEV]));
	if (attr[NFQA_PAYLOAD]) {
		p->payload = mnl_attr_get_payload(attr[NFQA_PAYLOAD]);
		p->caplen = mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]);
	}
	p->len = attr[NFQA_CAP_LEN] ? ntohl(mnl_attr_get_u32(attr[NFQA_CAP_LEN]))
				    : p->caplen;
	if (attr[NFQA_CT]) {
		p->ct = mnl_attr_get_payload(attr[NFQA_CT]);
		p->ct_len = mnl_attr_get_payload_len(attr[NFQA_CT]);
	}
	if (attr[NFQA_CT_INFO]) {
		p->has_ctinfo = 1;
		p->ctinfo = ntohl(mnl_attr_get_u32(attr[NFQA_CT_INFO]));
	}
	if (attr[NFQA_SKB_INFO])
		p->skbinfo = ntohl(mnl_attr_get_u32(attr[NFQA_SKB_INFO]));
	return 0;
}

static int nflog_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(a);

	if (type <= NFULA_MAX && mnl_attr_validate(a, MNL_TYPE_UNSPEC) >= 0)
		tb[type] = a;
	return MNL_CB_OK;
}

static uint32_t attr_be32(const struct nlattr *a)
{
	return mnl_attr_get_payload_len(a) >= 4 ? ntohl(mnl_attr_get_u32(a)) : 0;
}

/* Which note a prefix is (nft.h), NFQUEUE_NOTE_NONE for any other. */
static uint8_t note_of(const struct nlattr *a)
{
	static const char *const prefix[NFQUEUE_NOTE_MAX] = {
		[NFQUEUE_NOTE_INVALID] = NFT_INVALID_PREFIX,
		[NFQUEUE_NOTE_DELETED] = NFT_DELETED_PREFIX,
	};
	uint16_t len = mnl_attr_get_payload_len(a);

	for (uint8_t k = 1; k < NFQUEUE_NOTE_MAX; k++)
		if (len == strlen(prefix[k]) + 1 &&
		    memcmp(mnl_attr_get_payload(a), prefix[k], len) == 0)
			return k;
	return NFQUEUE_NOTE_NONE;
}

/* Decode one NFLOG packet message into p (id: NFULA_SEQ). */
static int nflog_decode(const struct nlmsghdr *nlh, struct nfqueue_pkt *p,
		      uint64_t ts_us)
{
	const struct nlattr *tb[NFULA_MAX + 1] = { 0 };
	struct nfulnl_msg_packet_hdr ph;

	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), nflog_attr_cb, tb) < 0 ||
	    tb[NFULA_PACKET_HDR] == NULL ||
	    mnl_attr_get_payload_len(tb[NFULA_PACKET_HDR]) < sizeof(ph))
		return -1;
	memset(p, 0, sizeof(*p));
	memcpy(&ph, mnl_attr_get_payload(tb[NFULA_PACKET_HDR]), sizeof(ph));
	p->logged = 1;
	p->hw_proto = ntohs(ph.hw_protocol);
	p->hook = ph.hook;
	p->ts_us = kernel_ts(tb[NFULA_TIMESTAMP], ts_us);
	if (tb[NFULA_SEQ])
		p->id = attr_be32(tb[NFULA_SEQ]);
	if (tb[NFULA_MARK]) {
		p->has_mark = 1;
		p->mark = attr_be32(tb[NFULA_MARK]);
	}
	if (tb[NFULA_IFINDEX_INDEV])
		p->indev = attr_be32(tb[NFULA_IFINDEX_INDEV]);
	if (tb[NFULA_IFINDEX_OUTDEV])
		p->outdev = attr_be32(tb[NFULA_IFINDEX_OUTDEV]);
	if (tb[NFULA_PREFIX])
		p->note = note_of(tb[NFULA_PREFIX]);
	if (tb[NFULA_PAYLOAD]) {
		p->payload = mnl_attr_get_payload(tb[NFULA_PAYLOAD]);
		p->caplen = p->len = mnl_attr_get_payload_len(tb[NFULA_PAYLOAD]);
	}
	return 0;
}

/* A logged packet: handed over, nothing to answer. */
static void nflog_handle(struct nfqueue *q, const struct nlmsghdr *nlh,
		       uint64_t ts_us, nfqueue_fn fn, void *arg)
{
	struct nfqueue_pkt p;

	if (nflog_decode(nlh, &p, ts_us) < 0) {
		q->st.bad_msgs++;
		return;
	}
	q->st.queued++;
	/* NFULA_SEQ counts from 0 per group; a gap was lost (socket full). */
	if (q->st.queued > 1 && p.id - q->st.last_id - 1 < (1u << 30))
		q->st.failed_open += p.id - q->st.last_id - 1;
	q->st.last_id = p.id;
	fn(&p, arg);
}

/* A NLMSG_ERROR that is not an ack: the kernel refused a verdict. */
static void error_note(struct nfqueue *q, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*err)) || err->error == 0)
		return;
	q->st.verdict_errors++;
	/* A kernel errno is -1 to -4095; negating INT_MIN would overflow. */
	log_debug("queue %u: the kernel refused a message: %s", q->num,
		  err->error >= -4095 ? strerror(-err->error) : "not an errno");
}

/* Handle every message of one datagram. */
static void datagram_handle(struct nfqueue *q, const char *buf, size_t len,
			    int truncated, uint64_t ts_us, nfqueue_fn fn,
			    void *arg)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	struct nfqueue_pkt p;
	int n = (int)len, v;

	if (truncated) {
		uint32_t id = q->is_log ? 0 : truncated_id(buf, len);

		q->st.bad_msgs++;
		if (id != 0) {
			q->st.queued++;
			note_id(q, id);
			nfqueue_verdict_add(q, id, NF_ACCEPT, 0, 0);
		}
		return;
	}
	for (; nl_msg_ok(nlh, n); nlh = mnl_nlmsg_next(nlh, &n)) {
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			error_note(q, nlh);
			continue;
		}
		if (q->is_log) {
			if (nlh->nlmsg_type ==
			    ((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET))
				nflog_handle(q, nlh, ts_us, fn, arg);
			continue;
		}
		if (nlh->nlmsg_type !=
		    ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET))
			continue;
		if (packet_decode(nlh, &p, ts_us) < 0) {
			q->st.bad_msgs++;
			continue;
		}
		q->st.queued++;
		note_id(q, p.id);
		q->mark_set = 0;
		v = fn(&p, arg);
		if (v == NFQUEUE_DEFER && nfqueue_defer_add(q, p.id) == 0)
			continue;
		nfqueue_verdict_add(q, p.id, v == NFQUEUE_DROP ? NF_DROP : NF_ACCEPT,
			    q->mark_set, q->mark_next);
	}
}

int nfqueue_recv(struct nfqueue *q)
{
	int i, n;

	if (q->nrecv > 0)
		return q->nrecv;	/* not handled yet */
	for (i = 0; i < NFQUEUE_BATCH; i++) {
		q->msgs[i].msg_hdr.msg_namelen = sizeof(q->from[i]);
		q->msgs[i].msg_hdr.msg_flags = 0;
	}
	n = recvmmsg(q->fd, q->msgs, NFQUEUE_BATCH, MSG_DONTWAIT, NULL);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		if (errno == ENOBUFS) {
			q->st.enobufs++;
			return 0;
		}
		log_warn("queue %u: receive", q->num);
		return -1;
	}
	q->st.reads++;
	q->recv_us = clk_real_us();
	q->nrecv = n;
	return n;
}

/*
 * Datagram i's slot, the 1 to 3 bytes after the datagram zeroed: its
 * last message may end unpadded (an NFQA_PAYLOAD of odd length), and
 * libmnl bounds attributes by the message's aligned length, so a
 * malformed attribute may reach into them.  They are then zeros of
 * ours, never what an earlier datagram left there.
 */
_Static_assert(MSG_BUFSZ % MNL_ALIGNTO == 0, "a slot holds the padding");

static char *slot_of(const struct nfqueue *q, int i)
{
	char *buf = q->rbuf + (size_t)i * MSG_BUFSZ;
	uint32_t len = q->msgs[i].msg_len;

	if (len < MSG_BUFSZ)
		memset(buf + len, 0, MNL_ALIGN(len) - len);
	return buf;
}

int nfqueue_handle(struct nfqueue *q, nfqueue_fn fn, void *arg)
{
	uint64_t before = q->st.queued;
	int i, n = q->nrecv;

	q->nrecv = 0;
	q->in_read = 1;
	for (i = 0; i < n; i++) {
		const struct msghdr *mh = &q->msgs[i].msg_hdr;

		if (q->from[i].nl_pid != 0)	/* only the kernel talks here */
			continue;
		datagram_handle(q, slot_of(q, i), q->msgs[i].msg_len,
				!!(mh->msg_flags & MSG_TRUNC),
				q->recv_us, fn, arg);
	}
	q->in_read = 0;
	if (nfqueue_verdict_flush(q) < 0)
		return -1;
	return (int)(q->st.queued - before);
}

void nfqueue_peek(const struct nfqueue *q, nfqueue_peek_fn fn, void *arg)
{
	for (int i = 0; i < q->nrecv; i++) {
		const struct nlmsghdr *nlh =
			(const struct nlmsghdr *)slot_of(q, i);
		const struct nlattr *a;

		if (q->from[i].nl_pid != 0 ||
		    (q->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) ||
		    !nl_msg_ok(nlh, (int)q->msgs[i].msg_len) ||
		    nlh->nlmsg_type != ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET))
			continue;
		/* Its first message only: the queue sends one a datagram. */
		mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
			if (mnl_attr_get_type(a) == NFQA_PAYLOAD) {
				fn(mnl_attr_get_payload(a),
				   mnl_attr_get_payload_len(a), arg);
				break;
			}
		}
	}
}

/* Accept a packet that arrives while we wait for a config ack. */
static void accept_early(struct nfqueue *q, const struct nlmsghdr *nlh)
{
	struct nfqueue_pkt p;

	if (packet_decode(nlh, &p, 0) < 0)
		return;
	q->st.queued++;
	note_id(q, p.id);
	nfqueue_verdict_add(q, p.id, NF_ACCEPT, 0, 0);
	nfqueue_verdict_flush(q);
}

/*
 * Send one config message with NLM_F_ACK and wait for its answer.
 * Returns 0 or -1 with errno set to the kernel's error.
 */
static int config_send(struct nfqueue *q, struct nlmsghdr *nlh)
{
	char buf[MSG_BUFSZ];
	uint32_t seq = ++q->seq;
	struct pollfd pfd = { .fd = q->fd, .events = POLLIN };

	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	for (;;) {
		const struct nlmsghdr *m = (const struct nlmsghdr *)buf;
		ssize_t len;
		int n;

		if (poll(&pfd, 1, ACK_WAIT_MS) == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		len = recv(q->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (len < 0) {
			if (errno == EAGAIN || errno == EINTR || errno == ENOBUFS)
				continue;
			return -1;
		}
		for (n = (int)len; nl_msg_ok(m, n); m = mnl_nlmsg_next(m, &n)) {
			const struct nlmsgerr *e;

			if (m->nlmsg_type ==
			    ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET)) {
				accept_early(q, m);
				continue;
			}
			if (m->nlmsg_type != NLMSG_ERROR || m->nlmsg_seq != seq)
				continue;
			e = mnl_nlmsg_get_payload(m);
			if (m->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
				continue;	/* no error code in it */
			if (e->error == 0)
				return 0;
			/* A kernel errno is -1 to -4095. */
			errno = e->error < 0 && e->error >= -4095 ? -e->error : EPROTO;
			return -1;
		}
	}
}

static int queue_bind(struct nfqueue *q, const struct nfqueue_conf *c)
{
	char buf[MSG_BUFSZ];
	uint32_t flags = NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_GSO;
	struct nlmsghdr *nlh;

	/* Bind, copy mode, length and flags: applied together or not at all. */
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, q->num);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_BIND);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, (int)c->copy_range);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, 4 * c->length);	/* the socket binds first */
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(flags));
	if (config_send(q, nlh) < 0) {
		if (errno == EPERM)
			log_warnx("queue %u: cannot bind: another process has it, "
				  "or we lack CAP_NET_ADMIN", q->num);
		else
			log_warn("queue %u: cannot bind", q->num);
		return -1;
	}
	q->bound = 1;
	if (!c->conntrack)
		return 0;
	/* Alone: a kernel without NETLINK_GLUE_CT rejects the whole message. */
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, q->num);
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(NFQA_CFG_F_CONNTRACK));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_CONNTRACK));
	if (config_send(q, nlh) == 0)
		q->conntrack = 1;
	else if (errno == EOPNOTSUPP)
		log_info("queue %u: the kernel attaches no conntrack (NFQA_CT) to "
			 "queued packets", q->num);
	else
		log_warn("queue %u: NFQA_CFG_F_CONNTRACK", q->num);
	return 0;
}

/* The NFLOG config message header for group q->num. */
static struct nlmsghdr *nflog_msg(char *buf, uint16_t group)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(group);
	return nlh;
}

static int nflog_bind(struct nfqueue *q, const struct nfqueue_conf *c)
{
	struct nfulnl_msg_config_cmd cmd = { .command = NFULNL_CFG_CMD_BIND };
	struct nfulnl_msg_config_mode mode;
	char buf[MSG_BUFSZ];
	struct nlmsghdr *nlh;

	memset(&mode, 0, sizeof(mode));
	mode.copy_range = htonl(c->copy_range);
	mode.copy_mode = NFULNL_COPY_PACKET;
	nlh = nflog_msg(buf, q->num);
	mnl_attr_put(nlh, NFULA_CFG_CMD, sizeof(cmd), &cmd);
	mnl_attr_put(nlh, NFULA_CFG_MODE, sizeof(mode), &mode);
	mnl_attr_put_u32(nlh, NFULA_CFG_QTHRESH, htonl(1));	/* send at once */
	mnl_attr_put_u16(nlh, NFULA_CFG_FLAGS, htons(NFULNL_CFG_F_SEQ));
	if (config_send(q, nlh) < 0) {
		if (errno == EBUSY)
			log_warnx("log group %u: another process has it", q->num);
		else
			log_warn("log group %u: cannot bind", q->num);
		return -1;
	}
	q->bound = 1;
	return 0;
}

static int socket_setup(struct nfqueue *q, const struct nfqueue_conf *c)
{
	int one = 1, size = (int)(c->length * NFQUEUE_TRUESIZE / 2);

	q->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (q->nl == NULL) {
		log_warn("queue %u: netlink socket", q->num);
		return -1;
	}
	q->fd = mnl_socket_get_fd(q->nl);
	if (mnl_socket_bind(q->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		log_warn("queue %u: netlink bind", q->num);
		return -1;
	}
	/* SO_RCVBUF is capped by net.core.rmem_max; SO_RCVBUFFORCE is not. */
	if (setsockopt(q->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0 &&
	    setsockopt(q->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) < 0)
		log_warn("queue %u: receive buffer of %d bytes", q->num, size);
	/* Overruns fail open and show as id gaps: no error to read. */
	if (mnl_socket_setsockopt(q->nl, NETLINK_NO_ENOBUFS, &one, sizeof(one)) < 0) {
		log_warn("queue %u: NETLINK_NO_ENOBUFS", q->num);
		return -1;
	}
	return 0;
}

struct nfqueue *nfqueue_alloc(uint16_t num, int is_log)
{
	struct nfqueue *q;
	int i;

	q = calloc(1, sizeof(*q));
	if (q == NULL) {
		log_warn("queue %u", num);
		return NULL;
	}
	q->num = num;
	q->is_log = is_log;
	q->fd = -1;
	q->seq = (uint32_t)time(NULL);
	q->rbuf = malloc((size_t)NFQUEUE_BATCH * MSG_BUFSZ);
	q->vbuf = malloc(VERDICT_BUFSZ);
	if (q->rbuf == NULL || q->vbuf == NULL) {
		log_warn("queue %u: buffers", num);
		nfqueue_close(q);
		return NULL;
	}
	for (i = 0; i < NFQUEUE_BATCH; i++) {
		q->iov[i].iov_base = q->rbuf + (size_t)i * MSG_BUFSZ;
		q->iov[i].iov_len = MSG_BUFSZ;
		q->msgs[i].msg_hdr.msg_iov = &q->iov[i];
		q->msgs[i].msg_hdr.msg_iovlen = 1;
		q->msgs[i].msg_hdr.msg_name = &q->from[i];
	}
	return q;
}

static struct nfqueue *source_open(const struct nfqueue_conf *c, int is_log)
{
	struct nfqueue *q;
	int saved;

	if ((q = nfqueue_alloc(c->num, is_log)) == NULL)
		return NULL;
	if (socket_setup(q, c) < 0 ||
	    (is_log ? nflog_bind(q, c) : queue_bind(q, c)) < 0)
		goto fail;
	if (!is_log) {
		if (kstats_fd < 0)
			kstats_fd = open(KSTATS_PATH, O_RDONLY | O_CLOEXEC);
		q->kstats_ref = 1;
		kstats_users++;
	}
	return q;
fail:
	saved = errno;
	nfqueue_close(q);
	errno = saved;
	return NULL;
}

struct nfqueue *nfqueue_open(const struct nfqueue_conf *c)
{
	return source_open(c, 0);
}

struct nfqueue *nfqueue_open_log(const struct nfqueue_conf *c)
{
	return source_open(c, 1);
}

void nfqueue_close(struct nfqueue *q)
{
	char buf[MSG_BUFSZ];
	struct nlmsghdr *nlh;

	if (q == NULL)
		return;
	/* Never blackhole: a packet still kept goes on its way. */
	while (q->ndefer > 0)
		nfqueue_verdict(q, q->defer_ids[0], NFQUEUE_ACCEPT, 0, 0);
	if (q->bound && q->is_log) {
		struct nfulnl_msg_config_cmd cmd = {
			.command = NFULNL_CFG_CMD_UNBIND
		};

		nlh = nflog_msg(buf, q->num);
		mnl_attr_put(nlh, NFULA_CFG_CMD, sizeof(cmd), &cmd);
		if (config_send(q, nlh) < 0)
			log_warn("log group %u: unbind", q->num);
	} else if (q->bound) {
		nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, q->num);
		nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_UNBIND);
		if (config_send(q, nlh) < 0)
			log_warn("queue %u: unbind", q->num);
	}
	if (q->nl)
		mnl_socket_close(q->nl);
	if (q->kstats_ref && --kstats_users == 0 && kstats_fd >= 0) {
		close(kstats_fd);
		kstats_fd = -1;
	}
	free(q->rbuf);
	free(q->vbuf);
	free(q);
}

const char *nfqueue_ifname(struct nfqueue *q, uint32_t ifindex,
			   char buf[IF_NAMESIZE])
{
	struct ifname_slot *s = &q->ifcache[ifindex % IFCACHE];
	time_t now = time(NULL);

	if (ifindex == 0) {
		buf[0] = '\0';
		return buf;
	}
	if (s->ifindex != ifindex || now - s->when >= IFCACHE_SEC) {
		if (if_indextoname(ifindex, s->name) == NULL)
			snprintf(s->name, sizeof(s->name), "if%u", ifindex);
		s->ifindex = ifindex;
		s->when = now;
	}
	memcpy(buf, s->name, IF_NAMESIZE);
	return buf;
}

/*
 * /proc/net/netfilter/nfnetlink_queue, one line per queue of this network
 * namespace (seq_show in nfnetlink_queue.c, unchanged through 6.x):
 *
 *   queue_num peer_portid queue_total copy_mode copy_range
 *   queue_dropped queue_user_dropped id_sequence 1
 *
 * queue_total is the packets waiting for a verdict now.  queue_dropped
 * counts packets dropped because the queue was full and user_dropped
 * those dropped because the socket was full, both only WITHOUT
 * FAIL_OPEN: a packet that failed open is counted in neither.  Under
 * FAIL_OPEN the socket-full case still takes an id, so id_sequence minus
 * the ids we read is what failed open (nfqueue_stats.failed_open); the
 * queue-full case takes none and is visible only to a counter on the
 * queueing rule (rule hits - id_sequence).
 */
/* The whole of KSTATS_PATH into buf (NUL-terminated).  -1 on error. */
static int kstats_read(char *buf, size_t size)
{
	size_t got = 0;
	ssize_t k;
	int fd = kstats_fd, rc = 0;

	if (fd < 0 && (fd = open(KSTATS_PATH, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	while (got < size - 1 &&
	       (k = pread(fd, buf + got, size - 1 - got, (off_t)got)) != 0) {
		if (k < 0) {
			rc = -1;
			break;
		}
		got += (size_t)k;
	}
	buf[got] = '\0';
	if (fd != kstats_fd)
		close(fd);
	return rc;
}

int nfqueue_kernel_stats(uint16_t num, struct nfqueue_kstats *ks)
{
	unsigned int qn, pid, total, mode, range, qd, ud, seq, one;
	char buf[KSTATS_BUFSZ], *line, *save;

	if (kstats_read(buf, sizeof(buf)) < 0)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%u %u %u %u %u %u %u %u %u", &qn, &pid, &total,
			   &mode, &range, &qd, &ud, &seq, &one) != 9 || qn != num)
			continue;
		ks->portid = pid;
		ks->waiting = total;
		ks->copy_mode = mode;
		ks->copy_range = range;
		ks->queue_dropped = qd;
		ks->user_dropped = ud;
		ks->id_sequence = seq;
		return 0;
	}
	errno = ENOENT;
	return -1;
}

uint64_t nfqueue_failed_open(const struct nfqueue *q,
			     const struct nfqueue_kstats *ks)
{
	/* The packets we keep (NFQUEUE_DEFER) wait in the kernel too. */
	uint32_t unread = ks->waiting > q->ndefer ? ks->waiting - q->ndefer : 0;
	uint32_t tail = ks->id_sequence - q->st.last_id - unread;

	return q->st.failed_open + (tail < (1u << 30) ? tail : 0);
}
