/*
 * test_ct.c: the conntrack adapter's pure parts.
 *
 * Our kernel never attaches NFQA_CT to a queued packet, so the live tests
 * cannot reach ct_from_queue().  Here it gets what a kernel with
 * CONFIG_NETFILTER_NETLINK_GLUE_CT sends: the ctnetlink attributes of the
 * entry, nested as in ctnetlink_glue_build() (tuples, status, mark, id,
 * protoinfo), built with libmnl.  ct_judge() is checked on every hook and
 * state that decides it.
 */
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netinet/in.h>

#include "ct.h"
#include "t.h"

static char buf[4096];

/* CTA_TUPLE_ORIG or _REPLY: addresses (v4 or v6), TCP ports. */
static void put_tuple(struct nlmsghdr *nlh, uint16_t type, int family,
		      const char *src, const char *dst, uint16_t sport,
		      uint16_t dport)
{
	struct nlattr *tuple, *ip, *proto;
	unsigned char a[16], b[16];

	tuple = mnl_attr_nest_start(nlh, type);
	ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	if (family == 6) {
		inet_pton(AF_INET6, src, a);
		inet_pton(AF_INET6, dst, b);
		mnl_attr_put(nlh, CTA_IP_V6_SRC, 16, a);
		mnl_attr_put(nlh, CTA_IP_V6_DST, 16, b);
	} else {
		inet_pton(AF_INET, src, a);
		inet_pton(AF_INET, dst, b);
		mnl_attr_put(nlh, CTA_IP_V4_SRC, 4, a);
		mnl_attr_put(nlh, CTA_IP_V4_DST, 4, b);
	}
	mnl_attr_nest_end(nlh, ip);
	proto = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, IPPROTO_TCP);
	mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(sport));
	mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(dport));
	mnl_attr_nest_end(nlh, proto);
	mnl_attr_nest_end(nlh, tuple);
}

/* The NFQA_CT payload of an entry: its attributes, no message header. */
static const void *ct_attr(int family, uint8_t state, uint32_t id,
			   uint32_t mark, uint16_t *len)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nlattr *pi, *tcp;
	const char *c = family == 6 ? "fd00:1::2" : "10.0.1.2";
	const char *s = family == 6 ? "fd00:3::2" : "10.0.3.2";

	put_tuple(nlh, CTA_TUPLE_ORIG, family, c, s, 41002, 7002);
	put_tuple(nlh, CTA_TUPLE_REPLY, family, s, c, 7002, 41002);
	mnl_attr_put_u32(nlh, CTA_STATUS,
			 htonl(IPS_CONFIRMED | IPS_SEEN_REPLY | IPS_ASSURED));
	mnl_attr_put_u32(nlh, CTA_MARK, htonl(mark));
	mnl_attr_put_u32(nlh, CTA_ID, htonl(id));
	pi = mnl_attr_nest_start(nlh, CTA_PROTOINFO);
	tcp = mnl_attr_nest_start(nlh, CTA_PROTOINFO_TCP);
	mnl_attr_put_u8(nlh, CTA_PROTOINFO_TCP_STATE, state);
	mnl_attr_nest_end(nlh, tcp);
	mnl_attr_nest_end(nlh, pi);
	*len = (uint16_t)(nlh->nlmsg_len - MNL_NLMSG_HDRLEN);
	return (const char *)nlh + MNL_NLMSG_HDRLEN;
}

static struct ct_handle *h;

static void test_from_queue_v4(void)
{
	struct ct_info ci;
	const void *a;
	uint16_t len;

	a = ct_attr(4, TCP_CONNTRACK_CLOSE, 0xdeadbeef, 0x20000001, &len);
	CHECK_EQ(ct_from_queue(h, a, len, 4, 1, IP_CT_ESTABLISHED_REPLY, &ci), 0);
	CHECK_EQ(ci.known, 1);
	CHECK_EQ(ci.source, CT_SOURCE_QUEUE);
	CHECK_EQ(ci.tcp_state, TCP_CONNTRACK_CLOSE);
	CHECK_STR(ci.state, "CLOSE");
	CHECK_EQ(ci.id, 0xdeadbeef);
	CHECK_EQ(ci.mark, 0x20000001);
	CHECK(ci.status & IPS_ASSURED);
	CHECK_EQ(ci.has_ctinfo, 1);
	CHECK_EQ(ci.ctinfo, IP_CT_ESTABLISHED_REPLY);
}

static void test_from_queue_v6(void)
{
	struct ct_info ci;
	const void *a;
	uint16_t len;

	a = ct_attr(6, TCP_CONNTRACK_ESTABLISHED, 7, 0, &len);
	CHECK_EQ(ct_from_queue(h, a, len, 6, 0, 0, &ci), 0);
	CHECK_EQ(ci.known, 1);
	CHECK_STR(ci.state, "ESTABLISHED");
	CHECK_EQ(ci.id, 7);
	CHECK_EQ(ci.mark, 0);
	CHECK_EQ(ci.has_ctinfo, 0);
}

/* A second entry leaves nothing of the first behind. */
static void test_from_queue_fresh(void)
{
	struct ct_info ci;
	struct ct_stats st;
	const void *a;
	uint16_t len;

	a = ct_attr(4, TCP_CONNTRACK_TIME_WAIT, 1, 0x5, &len);
	CHECK_EQ(ct_from_queue(h, a, len, 4, 0, 0, &ci), 0);
	a = ct_attr(4, TCP_CONNTRACK_SYN_SENT, 2, 0, &len);
	CHECK_EQ(ct_from_queue(h, a, len, 4, 0, 0, &ci), 0);
	CHECK_STR(ci.state, "SYN_SENT");
	CHECK_EQ(ci.mark, 0);
	CHECK_EQ(ci.id, 2);
	ct_get_stats(h, &st);
	CHECK(st.from_queue >= 2);
	CHECK_EQ(st.lookups, 0);	/* nothing asked of the kernel */
}

/* A cut or garbled attribute is refused or yields a partial entry;
 * it never reads past len. */
static void test_from_queue_garbage(void)
{
	static const unsigned char junk[] = { 0xff, 0xff, 0x01, 0x00, 1, 2 };
	struct ct_info ci;
	const void *a;
	uint16_t len;
	int rc;

	a = ct_attr(4, TCP_CONNTRACK_CLOSE, 9, 0, &len);
	rc = ct_from_queue(h, a, 10, 4, 0, 0, &ci);
	CHECK(rc == -1 || rc == 0);
	rc = ct_from_queue(h, junk, sizeof(junk), 4, 0, 0, &ci);
	CHECK(rc == -1 || rc == 0);
	rc = ct_from_queue(h, junk, 0, 6, 0, 0, &ci);
	CHECK(rc == -1 || rc == 0);
}

static void test_judge(void)
{
	struct ct_info ci;

	memset(&ci, 0, sizeof(ci));
	/* No entry: taken when it answered a lone SYN (conntrack deletes
	 * the entry), invalid otherwise. */
	CHECK_EQ(ct_judge(&ci, NF_INET_FORWARD, 1), 0);
	CHECK_EQ(ct_judge(&ci, NF_INET_FORWARD, 0), 1);
	CHECK_EQ(ct_judge(&ci, NF_INET_LOCAL_IN, 0), 1);
	ci.known = 1;
	ci.tcp_state = TCP_CONNTRACK_CLOSE;
	CHECK_EQ(ct_judge(&ci, NF_INET_FORWARD, 0), 0);
	ci.tcp_state = TCP_CONNTRACK_ESTABLISHED;	/* out of window */
	CHECK_EQ(ct_judge(&ci, NF_INET_FORWARD, 0), 1);
	/* Attached to the queued RST (NFQA_CT): taken, in any state (an
	 * inexact sequence in the window leaves ESTABLISHED); no entry
	 * attached, invalid. */
	ci.source = CT_SOURCE_QUEUE;
	CHECK_EQ(ct_judge(&ci, NF_INET_FORWARD, 0), 0);
	CHECK_EQ(ct_judge(&ci, NF_INET_LOCAL_IN, 0), 0);
	ci.known = 0;
	CHECK_EQ(ct_judge(&ci, NF_INET_FORWARD, 0), 1);
	ci.known = 1;
	ci.source = CT_SOURCE_LOOKUP;
	/* Our own rejects: conntrack never looked at them. */
	CHECK_EQ(ct_judge(&ci, NF_INET_LOCAL_OUT, 0), -1);
	CHECK_EQ(ct_judge(&ci, NF_INET_POST_ROUTING, 0), -1);
}

static void test_state_names(void)
{
	CHECK_STR(ct_tcp_state_name(TCP_CONNTRACK_SYN_SENT2), "SYN_SENT2");
	CHECK_STR(ct_tcp_state_name(TCP_CONNTRACK_NONE), "NONE");
	CHECK_STR(ct_tcp_state_name(200), "UNKNOWN");
}

int main(void)
{
	h = ct_open();
	if (h == NULL) {
		fprintf(stderr, "test_ct: cannot open a netlink socket\n");
		return 1;
	}
	T_RUN(test_from_queue_v4);
	T_RUN(test_from_queue_v6);
	T_RUN(test_from_queue_fresh);
	T_RUN(test_from_queue_garbage);
	T_RUN(test_judge);
	T_RUN(test_state_names);
	ct_close(h);
	return T_END("test_ct");
}
