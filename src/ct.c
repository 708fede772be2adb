/*
 * ct.c: conntrack lookups and marks for RSTs (see ct.h).
 *
 * Messages are built and parsed by libnetfilter_conntrack and sent over
 * our own libmnl socket, so a lookup is one sendto() and one recv().
 * The socket has a receive timeout: a lookup never stalls the queue for
 * long, whatever ctnetlink does.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "ct.h"
#include "log.h"

#define CT_WAIT_MS	200	/* the longest a lookup may take */
#define CT_BUFSZ	8192	/* a conntrack message, and then some */

struct ct_handle {
	struct mnl_socket	*nl;
	unsigned int		 portid;
	uint32_t		 seq;
	struct nf_conntrack	*reply;		/* what the kernel said */
	struct ct_stats		 st;
	char			 buf[CT_BUFSZ];
};

const char *ct_tcp_state_name(uint8_t state)
{
	static const char *const names[TCP_CONNTRACK_MAX] = {
		[TCP_CONNTRACK_NONE] = "NONE",
		[TCP_CONNTRACK_SYN_SENT] = "SYN_SENT",
		[TCP_CONNTRACK_SYN_RECV] = "SYN_RECV",
		[TCP_CONNTRACK_ESTABLISHED] = "ESTABLISHED",
		[TCP_CONNTRACK_FIN_WAIT] = "FIN_WAIT",
		[TCP_CONNTRACK_CLOSE_WAIT] = "CLOSE_WAIT",
		[TCP_CONNTRACK_LAST_ACK] = "LAST_ACK",
		[TCP_CONNTRACK_TIME_WAIT] = "TIME_WAIT",
		[TCP_CONNTRACK_CLOSE] = "CLOSE",
		[TCP_CONNTRACK_SYN_SENT2] = "SYN_SENT2",
	};

	return state < TCP_CONNTRACK_MAX ? names[state] : "UNKNOWN";
}

struct ct_handle *ct_open(void)
{
	struct timeval tv = { 0, CT_WAIT_MS * 1000 };
	struct ct_handle *h;
	int saved;

	h = calloc(1, sizeof(*h));
	if (h == NULL) {
		log_warn("conntrack");
		return NULL;
	}
	h->seq = (uint32_t)time(NULL);
	h->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (h->nl == NULL) {
		log_warn("conntrack: netlink socket");
		goto fail;
	}
	if (mnl_socket_bind(h->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		log_warn("conntrack: netlink bind");
		goto fail;
	}
	h->portid = mnl_socket_get_portid(h->nl);
	if (setsockopt(mnl_socket_get_fd(h->nl), SOL_SOCKET, SO_RCVTIMEO,
		       &tv, sizeof(tv)) < 0) {
		log_warn("conntrack: receive timeout");
		goto fail;
	}
	h->reply = nfct_new();
	if (h->reply == NULL) {
		log_warn("conntrack");
		goto fail;
	}
	return h;
fail:
	saved = errno;
	ct_close(h);
	errno = saved;
	return NULL;
}

void ct_close(struct ct_handle *h)
{
	if (h == NULL)
		return;
	if (h->reply)
		nfct_destroy(h->reply);
	if (h->nl)
		mnl_socket_close(h->nl);
	free(h);
}

void ct_get_stats(const struct ct_handle *h, struct ct_stats *st)
{
	*st = h->st;
}

/* The message header and nfgenmsg of a ctnetlink request. */
static struct nlmsghdr *msg_start(struct ct_handle *h, uint16_t type,
				  uint16_t flags, int family)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(h->buf);
	struct nfgenmsg *nfh;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++h->seq;
	nfh = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfh));
	nfh->nfgen_family = family == 6 ? AF_INET6 : AF_INET;
	nfh->version = NFNETLINK_V0;
	nfh->res_id = 0;
	return nlh;
}

/* The tuple src -> dst of p, or dst -> src when swap is set. */
static void tuple_put(struct nf_conntrack *ct, const struct pkt *p, int swap)
{
	const uint8_t *a = swap ? p->dst : p->src, *b = swap ? p->src : p->dst;
	uint16_t pa = swap ? p->dport : p->sport, pb = swap ? p->sport : p->dport;
	uint32_t v4;

	if (p->family == 6) {
		nfct_set_attr_u8(ct, ATTR_L3PROTO, AF_INET6);
		nfct_set_attr(ct, ATTR_IPV6_SRC, a);
		nfct_set_attr(ct, ATTR_IPV6_DST, b);
	} else {
		nfct_set_attr_u8(ct, ATTR_L3PROTO, AF_INET);
		memcpy(&v4, a, 4);
		nfct_set_attr_u32(ct, ATTR_IPV4_SRC, v4);
		memcpy(&v4, b, 4);
		nfct_set_attr_u32(ct, ATTR_IPV4_DST, v4);
	}
	nfct_set_attr_u8(ct, ATTR_L4PROTO, IPPROTO_TCP);
	nfct_set_attr_u16(ct, ATTR_PORT_SRC, htons(pa));
	nfct_set_attr_u16(ct, ATTR_PORT_DST, htons(pb));
}

/*
 * Build the request for p's tuple (the query object lives for one
 * request: an IPv4 and an IPv6 tuple must never mix in it).
 */
static int request_build(struct nlmsghdr *nlh, const struct pkt *p, int swap)
{
	struct nf_conntrack *q = nfct_new();
	int rc;

	if (q == NULL)
		return -1;
	tuple_put(q, p, swap);
	rc = nfct_nlmsg_build(nlh, q);
	nfct_destroy(q);
	return rc;
}

static int reply_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ct_handle *h = data;

	if (nfct_nlmsg_parse(nlh, h->reply) < 0)
		return MNL_CB_ERROR;
	return MNL_CB_STOP;
}

/*
 * Send the request and read until its answer: a conntrack message (cb
 * fills h->reply) or an error/ack.  Messages of earlier, timed-out
 * requests are skipped by their sequence number.
 */
static int transact(struct ct_handle *h, struct nlmsghdr *nlh)
{
	uint32_t seq = nlh->nlmsg_seq;
	ssize_t n;
	int rc;

	if (mnl_socket_sendto(h->nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	for (;;) {
		n = mnl_socket_recvfrom(h->nl, h->buf, sizeof(h->buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;	/* EAGAIN: timed out */
		}
		rc = mnl_cb_run(h->buf, (size_t)n, seq, h->portid, reply_cb, h);
		if (rc >= 0)
			return 0;	/* MNL_CB_STOP: reply or ack */
		if (errno != ESRCH)	/* ESRCH: another request's answer */
			return -1;
	}
}

static void info_fill(const struct nf_conntrack *ct, struct ct_info *ci)
{
	memset(ci, 0, sizeof(*ci));
	ci->known = 1;
	if (nfct_attr_is_set(ct, ATTR_TCP_STATE) > 0)
		ci->tcp_state = nfct_get_attr_u8(ct, ATTR_TCP_STATE);
	if (nfct_attr_is_set(ct, ATTR_ID) > 0)
		ci->id = nfct_get_attr_u32(ct, ATTR_ID);
	if (nfct_attr_is_set(ct, ATTR_MARK) > 0)
		ci->mark = nfct_get_attr_u32(ct, ATTR_MARK);
	if (nfct_attr_is_set(ct, ATTR_STATUS) > 0)
		ci->status = nfct_get_attr_u32(ct, ATTR_STATUS);
	snprintf(ci->state, sizeof(ci->state), "%s",
		 ct_tcp_state_name(ci->tcp_state));
}

/* One GET for p's tuple, as it is or swapped. */
static int lookup_one(struct ct_handle *h, const struct pkt *p, int swap)
{
	struct nlmsghdr *nlh;

	nlh = msg_start(h, IPCTNL_MSG_CT_GET, 0, p->family);
	if (request_build(nlh, p, swap) < 0)
		return -1;
	nfct_destroy(h->reply);		/* no attribute of the last answer stays */
	h->reply = nfct_new();
	if (h->reply == NULL)
		return -1;
	h->st.lookups++;
	return transact(h, nlh);
}

int ct_lookup(struct ct_handle *h, const struct pkt *p, struct ct_info *ci)
{
	memset(ci, 0, sizeof(*ci));
	/*
	 * The packet's own tuple is one of the entry's two unless NAT
	 * rewrote the other end: then its reverse is (a reply de-SNATed in
	 * prerouting, or a packet DNATed there).
	 */
	if (lookup_one(h, p, 0) < 0 &&
	    (errno != ENOENT || lookup_one(h, p, 1) < 0)) {
		if (errno == ENOENT)
			h->st.missing++;
		else
			h->st.errors++;
		return -1;
	}
	h->st.found++;
	info_fill(h->reply, ci);
	return 0;
}

int ct_from_queue(struct ct_handle *h, const void *attr, uint16_t len,
		  int family, int has_ctinfo, uint32_t ctinfo,
		  struct ct_info *ci)
{
	nfct_destroy(h->reply);
	h->reply = nfct_new();
	if (h->reply == NULL)
		return -1;
	if (nfct_payload_parse(attr, len, family == 6 ? AF_INET6 : AF_INET,
			       h->reply) < 0)
		return -1;
	info_fill(h->reply, ci);
	ci->source = CT_SOURCE_QUEUE;
	ci->has_ctinfo = (uint8_t)!!has_ctinfo;
	ci->ctinfo = ctinfo;
	h->st.from_queue++;
	return 0;
}

void ct_note_marked(struct ct_handle *h)
{
	h->st.marked++;
}

int ct_state_set(struct ct_handle *h, const struct pkt *p, uint8_t state,
		 uint32_t timeout_s)
{
	struct nlmsghdr *nlh;
	struct nf_conntrack *q;
	int swap, rc;

	for (swap = 0; swap < 2; swap++) {
		nlh = msg_start(h, IPCTNL_MSG_CT_NEW, NLM_F_ACK, p->family);
		if ((q = nfct_new()) == NULL)
			return -1;
		tuple_put(q, p, swap);
		nfct_set_attr_u8(q, ATTR_TCP_STATE, state);
		nfct_set_attr_u32(q, ATTR_TIMEOUT, timeout_s);
		rc = nfct_nlmsg_build(nlh, q);
		nfct_destroy(q);
		if (rc < 0)
			return -1;
		if (transact(h, nlh) == 0) {
			h->st.restored++;
			return 0;
		}
		if (errno != ENOENT)
			break;
	}
	h->st.restore_errors++;
	return -1;
}

int ct_judge(const struct ct_info *ci, uint8_t hook, int answers_syn)
{
	if (hook != NF_INET_FORWARD && hook != NF_INET_LOCAL_IN)
		return -1;
	if (!ci->known)		/* deleted for taking it, or never known */
		return !answers_syn;
	/*
	 * NFQA_CT: conntrack detaches its entry from a packet it finds
	 * invalid (nf_conntrack_in()), so one attached says it was taken,
	 * whatever the state: a RST at an inexact sequence in the window
	 * leaves an entry ESTABLISHED (for the challenge ACK, RFC 5961).
	 */
	if (ci->source == CT_SOURCE_QUEUE)
		return 0;
	return ci->tcp_state != TCP_CONNTRACK_CLOSE;
}
