/*
 * test_ctview.c: the view of conntrack kept from its events (ctview.h),
 * fed the messages ctnetlink sends (built here as the kernel builds
 * them: ctnetlink_conntrack_event(), ctnetlink_fill_info()), and asked
 * what a RST of either direction, or NATed, finds.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tcp.h>

#include "t.h"
#include "../../src/ctview.h"

static char buf[4096];

struct tup {
	int v6;
	const char *src, *dst;
	uint16_t sport, dport;
};

static void tuple_put(struct nlmsghdr *nlh, uint16_t type, const struct tup *t,
		      uint8_t proto)
{
	struct nlattr *tn = mnl_attr_nest_start(nlh, type), *n;
	uint8_t a[16];

	n = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	inet_pton(t->v6 ? AF_INET6 : AF_INET, t->src, a);
	mnl_attr_put(nlh, t->v6 ? CTA_IP_V6_SRC : CTA_IP_V4_SRC, t->v6 ? 16 : 4, a);
	inet_pton(t->v6 ? AF_INET6 : AF_INET, t->dst, a);
	mnl_attr_put(nlh, t->v6 ? CTA_IP_V6_DST : CTA_IP_V4_DST, t->v6 ? 16 : 4, a);
	mnl_attr_nest_end(nlh, n);
	n = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, proto);
	mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(t->sport));
	mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(t->dport));
	mnl_attr_nest_end(nlh, n);
	mnl_attr_nest_end(nlh, tn);
}

/* An event: type IPCTNL_MSG_CT_NEW (new, update) or _DELETE (destroy). */
static struct nlmsghdr *msg(uint8_t type, const struct tup *o,
			    const struct tup *r, uint8_t proto, uint32_t id,
			    uint32_t status, int state)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;
	struct nlattr *pi, *tcp;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = o->v6 ? AF_INET6 : AF_INET;
	tuple_put(nlh, CTA_TUPLE_ORIG, o, proto);
	if (r != NULL)
		tuple_put(nlh, CTA_TUPLE_REPLY, r, proto);
	mnl_attr_put_u32(nlh, CTA_STATUS, htonl(status));
	if (state >= 0) {
		pi = mnl_attr_nest_start(nlh, CTA_PROTOINFO);
		tcp = mnl_attr_nest_start(nlh, CTA_PROTOINFO_TCP);
		mnl_attr_put_u8(nlh, CTA_PROTOINFO_TCP_STATE, (uint8_t)state);
		mnl_attr_nest_end(nlh, tcp);
		mnl_attr_nest_end(nlh, pi);
	}
	mnl_attr_put_u32(nlh, CTA_MARK, htonl(0));
	mnl_attr_put_u32(nlh, CTA_ID, htonl(id));
	return nlh;
}

/* A RST from src:sport to dst:dport. */
static struct pkt rst(const struct tup *t)
{
	struct pkt p;

	memset(&p, 0, sizeof(p));
	p.family = t->v6 ? 6 : 4;
	inet_pton(t->v6 ? AF_INET6 : AF_INET, t->src, p.src);
	inet_pton(t->v6 ? AF_INET6 : AF_INET, t->dst, p.dst);
	p.sport = t->sport;
	p.dport = t->dport;
	p.flags = TH_RST;
	return p;
}

static const struct tup c2s = { 0, "10.0.1.2", "10.0.2.2", 40000, 80 };
static const struct tup s2c = { 0, "10.0.2.2", "10.0.1.2", 80, 40000 };

static void test_new_update_destroy(void)
{
	struct ctview *v = ctview_new(1024);
	struct ct_info ci;
	struct pkt p;

	CHECK(v != NULL);
	ctview_set_synced(v);
	p = rst(&s2c);
	CHECK_EQ(ctview_find(v, &p, &ci), 0);
	CHECK_EQ(ctview_apply(v, msg(IPCTNL_MSG_CT_NEW, &c2s, &s2c, IPPROTO_TCP,
				     7, IPS_CONFIRMED, TCP_CONNTRACK_SYN_SENT)), 0);
	CHECK_EQ(ctview_find(v, &p, &ci), 1);	/* the reply direction */
	CHECK_STR(ci.state, "SYN_SENT");
	CHECK_EQ(ci.id, 7);
	/* An update without protoinfo keeps the state, takes the status. */
	CHECK_EQ(ctview_apply(v, msg(IPCTNL_MSG_CT_NEW, &c2s, &s2c, IPPROTO_TCP,
				     7, IPS_CONFIRMED | IPS_SEEN_REPLY, -1)), 0);
	p = rst(&c2s);
	CHECK_EQ(ctview_find(v, &p, &ci), 1);	/* the original direction */
	CHECK_STR(ci.state, "SYN_SENT");
	CHECK(ci.status & IPS_SEEN_REPLY);
	CHECK_EQ(ctview_apply(v, msg(IPCTNL_MSG_CT_NEW, &c2s, &s2c, IPPROTO_TCP,
				     7, IPS_CONFIRMED | IPS_SEEN_REPLY,
				     TCP_CONNTRACK_ESTABLISHED)), 0);
	CHECK_EQ(ctview_find(v, &p, &ci), 1);
	CHECK_STR(ci.state, "ESTABLISHED");
	/* A destroy of another connection on the tuple leaves this one. */
	CHECK_EQ(ctview_apply(v, msg(IPCTNL_MSG_CT_DELETE, &c2s, &s2c,
				     IPPROTO_TCP, 8, 0, -1)), 0);
	CHECK_EQ(ctview_find(v, &p, &ci), 1);
	CHECK_EQ(ctview_apply(v, msg(IPCTNL_MSG_CT_DELETE, &c2s, &s2c,
				     IPPROTO_TCP, 7, 0, -1)), 0);
	CHECK_EQ(ctview_find(v, &p, &ci), 0);
	p = rst(&s2c);
	CHECK_EQ(ctview_find(v, &p, &ci), 0);
	ctview_free(v);
}

/*
 * A datagram whose last message ends unpadded, inside its last attribute
 * (CTA_ID): libmnl would read that attribute on to the aligned end, past
 * the datagram, into whatever an earlier datagram left in the buffer
 * (nfq.c zeroes those bytes for its own messages).  The view's walker is
 * bounded by the message's own length: the message is refused whole.
 */
static void test_unpadded_end(void)
{
	struct ctview *v = ctview_new(1024);
	struct nlmsghdr *nlh;
	struct ct_info ci;
	struct pkt p = rst(&c2s);

	CHECK(v != NULL);
	ctview_set_synced(v);
	nlh = msg(IPCTNL_MSG_CT_NEW, &c2s, &s2c, IPPROTO_TCP, 0x01020304,
		  IPS_CONFIRMED, TCP_CONNTRACK_ESTABLISHED);
	nlh->nlmsg_len -= 3;
	CHECK_EQ(ctview_apply_datagram(v, buf, nlh->nlmsg_len), 0);
	CHECK_EQ(ctview_find(v, &p, &ci), 0);
	nlh->nlmsg_len += 3;
	CHECK_EQ(ctview_apply_datagram(v, buf, nlh->nlmsg_len), 0);
	CHECK_EQ(ctview_find(v, &p, &ci), 1);
	CHECK_EQ(ci.id, 0x01020304);
	ctview_free(v);
}

/* DNAT: the client asked 10.9.9.9; the server's RST shows the real
 * address, whose reverse is the reply tuple. */
static void test_nat(void)
{
	static const struct tup o = { 0, "10.0.1.2", "10.9.9.9", 40001, 80 };
	static const struct tup r = { 0, "10.0.2.2", "10.0.1.2", 80, 40001 };
	static const struct tup after = { 0, "10.0.1.2", "10.0.2.2", 40001, 80 };
	struct ctview *v = ctview_new(1024);
	struct ct_info ci;
	struct pkt p;

	ctview_set_synced(v);
	ctview_apply(v, msg(IPCTNL_MSG_CT_NEW, &o, &r, IPPROTO_TCP, 9,
			    IPS_CONFIRMED | IPS_DST_NAT, TCP_CONNTRACK_ESTABLISHED));
	p = rst(&after);	/* the client's RST, DNATed before forward */
	CHECK_EQ(ctview_find(v, &p, &ci), 1);
	CHECK_EQ(ci.id, 9);
	p = rst(&r);		/* the server's, before its de-NAT */
	CHECK_EQ(ctview_find(v, &p, &ci), 1);
	ctview_free(v);
}

static void test_v6_and_other_protocols(void)
{
	static const struct tup o6 = { 1, "fd00:1::2", "fd00:2::2", 40002, 443 };
	static const struct tup r6 = { 1, "fd00:2::2", "fd00:1::2", 443, 40002 };
	struct ctview *v = ctview_new(1024);
	struct ctview_stats st;
	struct ct_info ci;
	struct pkt p;

	ctview_set_synced(v);
	ctview_apply(v, msg(IPCTNL_MSG_CT_NEW, &o6, &r6, IPPROTO_TCP, 11,
			    IPS_CONFIRMED, TCP_CONNTRACK_SYN_SENT));
	ctview_apply(v, msg(IPCTNL_MSG_CT_NEW, &c2s, &s2c, IPPROTO_UDP, 12,
			    IPS_CONFIRMED, -1));
	p = rst(&r6);
	CHECK_EQ(ctview_find(v, &p, &ci), 1);
	CHECK_EQ(ci.id, 11);
	p = rst(&c2s);		/* UDP's entry is not kept */
	CHECK_EQ(ctview_find(v, &p, &ci), 0);
	ctview_get_stats(v, &st);
	CHECK_EQ(st.entries, 1);
	ctview_free(v);
}

/* Not synced (a dump unfinished): a miss cannot be trusted. */
static void test_unsynced(void)
{
	struct ctview *v = ctview_new(1024);
	struct ct_info ci;
	struct pkt p = rst(&c2s);

	CHECK_EQ(ctview_find(v, &p, &ci), -1);
	ctview_apply(v, msg(IPCTNL_MSG_CT_NEW, &c2s, &s2c, IPPROTO_TCP, 7,
			    IPS_CONFIRMED, TCP_CONNTRACK_SYN_SENT));
	CHECK_EQ(ctview_find(v, &p, &ci), 1);	/* a hit is a hit */
	ctview_free(v);
}

/* Bytes no kernel sends: refused, nothing kept, no crash. */
static void test_garbage(void)
{
	struct ctview *v = ctview_new(1024);
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_INET;
	mnl_attr_put_u32(nlh, CTA_TUPLE_ORIG, 5);	/* not nested */
	CHECK_EQ(ctview_apply(v, nlh), -1);
	nlh = msg(IPCTNL_MSG_CT_NEW, &c2s, &s2c, IPPROTO_TCP, 7, 0, 3);
	nfg = mnl_nlmsg_get_payload(nlh);
	nfg->nfgen_family = AF_INET6;	/* 4-byte addresses under IPv6 */
	CHECK_EQ(ctview_apply(v, nlh), -1);
	ctview_free(v);
}

/*
 * Many entries in, every other one out, in an order that makes deletions
 * shift probe runs: every survivor is still found, every removed one
 * gone; then the view fills and says so.
 */
static void test_many_and_full(void)
{
	struct ctview *v = ctview_new(1024);
	struct ctview_stats st;
	struct ct_info ci;
	char a[32];
	int bad = 0;

	ctview_set_synced(v);
	for (uint32_t i = 0; i < 1024; i++) {
		struct tup o = { 0, "10.0.1.2", a, (uint16_t)(1000 + i), 80 };
		struct tup r = { 0, a, "10.0.1.2", 80, (uint16_t)(1000 + i) };

		snprintf(a, sizeof(a), "10.1.%u.%u", i >> 8, i & 255);
		ctview_apply(v, msg(IPCTNL_MSG_CT_NEW, &o, &r, IPPROTO_TCP,
				    i + 1, IPS_CONFIRMED, TCP_CONNTRACK_SYN_SENT));
	}
	ctview_get_stats(v, &st);
	CHECK_EQ(st.entries, 1024);
	CHECK_EQ(st.synced, 1);
	for (uint32_t i = 0; i < 1024; i += 2) {
		struct tup o = { 0, "10.0.1.2", a, (uint16_t)(1000 + i), 80 };

		snprintf(a, sizeof(a), "10.1.%u.%u", i >> 8, i & 255);
		ctview_apply(v, msg(IPCTNL_MSG_CT_DELETE, &o, NULL, IPPROTO_TCP,
				    i + 1, 0, -1));
	}
	for (uint32_t i = 0; i < 1024; i++) {
		struct tup r = { 0, a, "10.0.1.2", 80, (uint16_t)(1000 + i) };
		struct pkt p;

		snprintf(a, sizeof(a), "10.1.%u.%u", i >> 8, i & 255);
		p = rst(&r);
		bad += ctview_find(v, &p, &ci) != (int)(i & 1);
		bad += (i & 1) && ci.id != i + 1;
	}
	CHECK_EQ(bad, 0);
	for (uint32_t i = 0; i < 513; i++) {	/* 512 free places, one more */
		struct tup o = { 0, "10.0.3.2", a, (uint16_t)(1000 + i), 80 };
		struct tup r = { 0, a, "10.0.3.2", 80, (uint16_t)(1000 + i) };

		snprintf(a, sizeof(a), "10.2.%u.%u", i >> 8, i & 255);
		ctview_apply(v, msg(IPCTNL_MSG_CT_NEW, &o, &r, IPPROTO_TCP,
				    5000 + i, IPS_CONFIRMED, TCP_CONNTRACK_SYN_SENT));
	}
	ctview_get_stats(v, &st);
	CHECK_EQ(st.entries, 1024);
	CHECK_EQ(st.full, 1);
	CHECK_EQ(st.synced, 0);		/* misses are not trusted now */
	ctview_free(v);
}

int main(void)
{
	T_RUN(test_new_update_destroy);
	T_RUN(test_nat);
	T_RUN(test_v6_and_other_protocols);
	T_RUN(test_unsynced);
	T_RUN(test_garbage);
	T_RUN(test_unpadded_end);
	T_RUN(test_many_and_full);
	return T_END("test_ctview");
}
