/*
 * nft.c: see nft.h.
 *
 * One function per netlink object and action (nft_table_add, chain_add,
 * rule_add, nft_table_del), each building a libnftnl object, appending it to
 * the batch and freeing it; one function per expression a rule is made
 * of.  Every message carries NLM_F_ACK, so an error names the object
 * that caused it.
 */
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/x_tables.h>
#include <linux/netfilter/xt_NFQUEUE.h>
#include <linux/netlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#include "log.h"
#include "nft.h"

#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK	10
#endif

#define PROBE_TABLE	"rstaudit_probe"
/* Room for 64 shards in ip and ip6 tables: 2 * (4 + 10 * 64) messages. */
#define BATCH_BUFSZ	(1024 * 1024)
#define BATCH_MSGMAX	1400
#define ACK_TIMEOUT_MS	2000

/* NF_IP_PRI_MANGLE: after conntrack (-200), so ct is attached;
 * before filter (0). */
#define CHAIN_PRIO	(-150)
/* NF_IP_PRI_RAW: before conntrack, which a dropped forgery never reaches. */
#define GUARD_PRIO	(-300)

struct chain_def {
	const char	*name;
	uint32_t	 hook;
	int32_t		 prio;
};

static const struct chain_def chains[] = {
	{ "input",	NF_INET_LOCAL_IN,	CHAIN_PRIO },
	{ "forward",	NF_INET_FORWARD,	CHAIN_PRIO },
	{ "output",	NF_INET_LOCAL_OUT,	CHAIN_PRIO },
};

/*
 * The guard: RSTs of the forgeries the daemon has already dropped on a
 * connection (its addresses, ports and the forger's TTL, in a set with
 * a timeout) are dropped in the kernel, before conntrack (raw, -300)
 * sees them, whatever the queue's load.  A genuine RST of the same
 * connection carries its sender's own TTL and is queued as any other.
 */
static const struct chain_def guard_chain =
	{ "guard", NF_INET_PRE_ROUTING, GUARD_PRIO };
#define NCHAINS	(sizeof(chains) / sizeof(chains[0]))
#define NO_HOOK	UINT32_MAX	/* a chain_def of a regular chain */

enum rule_kind {
	/*
	 * A RST this host makes with a reject rule carries the rejected
	 * packet's unconfirmed conntrack entry, and the kernel drops such a
	 * packet when it is queued (nf_ct_drop_unconfirmed): queueing it
	 * would blackhole the reset.  Log it to NFLOG instead, and accept.
	 * (Only the output hook sees such RSTs; the rule is harmless in the
	 * others, where a RST never creates a conntrack entry.)
	 */
	RULE_LOCAL_REJECT,
	/*
	 * Every RST marks its connection, in the kernel and before it is
	 * queued, so the flow's next packets queue behind it (RULE_MARK):
	 * none can overtake it while it waits for its verdict.
	 */
	RULE_RST_MARK,
	RULE_MARK,	/* flows that had a RST: all of it, in order */
	RULE_RST,	/* RSTs without a conntrack entry to mark */
	RULE_SYN,	/* SYN and SYN/ACK, logged: TTL, IP ID, window, options */
	RULE_LEARN,	/* a flow's first packets, logged: baselines */
	RULE_NKINDS
};

static const char *const rule_names[RULE_NKINDS] = {
	[RULE_LOCAL_REJECT] = "local-reject",
	[RULE_RST_MARK] = "rst-mark",
	[RULE_MARK] = "mark",
	[RULE_RST] = "rst",
	[RULE_SYN] = "syn",
	[RULE_LEARN] = "learn",
};

/* One shard of the table: the queue and NFLOG group of one thread. */
struct shard {
	uint16_t	 queue;
	uint16_t	 group;
};

enum queue_kind {
	QUEUE_NATIVE,	/* nft_queue */
	QUEUE_XT,	/* xt NFQUEUE rev 3 through nft_compat */
};

/* A batch being built, and the fate of each message in it. */
struct nft_batch {
	struct mnl_nlmsg_batch *b;
	char		 buf[BATCH_BUFSZ];
	uint32_t	 seq0;		/* the batch begin's sequence number */
	int		 n;		/* messages after the begin */
	int		 err[BATCH_MSGMAX];
	char		 what[BATCH_MSGMAX][64];
	int		 batch_err;	/* error on the whole batch */
};

static const char *family_name(uint8_t family)
{
	switch (family) {
	case NFPROTO_INET:	return "inet";
	case NFPROTO_IPV4:	return "ip";
	case NFPROTO_IPV6:	return "ip6";
	}
	return "?";
}

/* --- socket and batch ------------------------------------------------ */

static struct mnl_socket *sock_open(void)
{
	struct mnl_socket *nl;
	int one = 1, sndbuf = BATCH_BUFSZ;

	/* CLOEXEC: a child that kept the socket would keep the table. */
	if ((nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC)) == NULL)
		return NULL;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		mnl_socket_close(nl);
		return NULL;
	}
	/* Errors without the request echoed; harmless if refused. */
	(void)mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
	/* A batch is one message: it must fit the send buffer. */
	(void)setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_SNDBUFFORCE,
	    &sndbuf, sizeof(sndbuf));
	return nl;
}

/* A batch with its begin message, or NULL. */
static struct nft_batch *batch_new(uint32_t seq)
{
	struct nft_batch *b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	if ((b->b = mnl_nlmsg_batch_start(b->buf, sizeof(b->buf))) == NULL) {
		free(b);
		return NULL;
	}
	b->seq0 = seq;
	nftnl_batch_begin(mnl_nlmsg_batch_current(b->b), seq);
	mnl_nlmsg_batch_next(b->b);
	return b;
}

/* Empty b for another batch starting at seq. */
static void batch_reset(struct nft_batch *b, uint32_t seq)
{
	mnl_nlmsg_batch_reset(b->b);
	b->seq0 = seq;
	b->n = 0;
	b->batch_err = 0;
	nftnl_batch_begin(mnl_nlmsg_batch_current(b->b), seq);
	mnl_nlmsg_batch_next(b->b);
}

static void batch_free(struct nft_batch *b)
{
	if (b)
		mnl_nlmsg_batch_stop(b->b);
	free(b);
}

/* The header of the next message, acked, described by what. */
static struct nlmsghdr *batch_hdr(struct nft_batch *b, uint16_t type,
    uint8_t family, uint16_t flags, const char *what)
{
	if (b->n >= BATCH_MSGMAX) {
		errno = EMSGSIZE;
		return NULL;
	}
	snprintf(b->what[b->n], sizeof(b->what[b->n]), "%s", what);
	b->err[b->n] = -1;
	return nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b->b), type,
	    family, flags | NLM_F_ACK, b->seq0 + 1 + b->n);
}

static int batch_next(struct nft_batch *b)
{
	if (!mnl_nlmsg_batch_next(b->b)) {
		errno = EMSGSIZE;
		return -1;
	}
	b->n++;
	return 0;
}

/* Record one ack or error; returns 1 if it answered a new message. */
static int batch_ack(struct nft_batch *b, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e;
	uint32_t i;

	if (nlh->nlmsg_type != NLMSG_ERROR ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
		return 0;
	e = mnl_nlmsg_get_payload(nlh);
	if (nlh->nlmsg_seq == b->seq0) {
		b->batch_err = e->error ? -e->error : EPROTO;
		return 0;
	}
	i = nlh->nlmsg_seq - b->seq0 - 1;
	if (i >= (uint32_t)b->n || b->err[i] != -1)
		return 0;
	b->err[i] = -e->error;
	return 1;
}

/*
 * Send the batch, committed or not (no batch end: the kernel checks
 * every message, reports, and aborts, as `nft -c` does), and collect one
 * answer per message.  The kernel answers during sendmsg; the timeout
 * only guards against a kernel that does not.  Returns -1 on a failure
 * of the batch as a whole; per-message errors are left in b->err.
 */
static int batch_send(struct nft_batch *b, struct mnl_socket *nl, int commit)
{
	char rbuf[16384];
	struct pollfd pfd;
	int pending = b->n, len;

	if (commit) {
		nftnl_batch_end(mnl_nlmsg_batch_current(b->b), b->seq0 + 1 + b->n);
		if (!mnl_nlmsg_batch_next(b->b)) {
			errno = EMSGSIZE;
			return -1;
		}
	}
	if (mnl_socket_sendto(nl, mnl_nlmsg_batch_head(b->b),
	    mnl_nlmsg_batch_size(b->b)) < 0)
		return -1;
	pfd.fd = mnl_socket_get_fd(nl);
	pfd.events = POLLIN;
	while (pending > 0 && b->batch_err == 0) {
		const struct nlmsghdr *nlh;
		int r = poll(&pfd, 1, ACK_TIMEOUT_MS);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = ETIMEDOUT;
			return -1;
		}
		if ((len = (int)mnl_socket_recvfrom(nl, rbuf, sizeof(rbuf))) < 0)
			return -1;
		for (nlh = (const struct nlmsghdr *)rbuf; mnl_nlmsg_ok(nlh, len);
		    nlh = mnl_nlmsg_next(nlh, &len))
			pending -= batch_ack(b, nlh);
	}
	if (b->batch_err) {
		errno = b->batch_err;
		return -1;
	}
	return 0;
}

/* Index of the first message that failed, or -1. */
static int batch_first_err(const struct nft_batch *b)
{
	for (int i = 0; i < b->n; i++)
		if (b->err[i] != 0)
			return i;
	return -1;
}

/* --- expressions ---------------------------------------------------- */

static int expr_add(struct nftnl_rule *r, const char *name,
    struct nftnl_expr **ep)
{
	if ((*ep = nftnl_expr_alloc(name)) == NULL)
		return -1;
	nftnl_rule_add_expr(r, *ep);	/* the rule owns it from here */
	return 0;
}

static int put_cmp(struct nftnl_rule *r, uint32_t op, const void *data,
    uint32_t len)
{
	struct nftnl_expr *e;

	if (expr_add(r, "cmp", &e) < 0)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	return nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
}

/* reg1 = reg1 & mask (len bytes, in register byte order). */
static int put_and(struct nftnl_rule *r, const void *mask, uint32_t len)
{
	static const uint8_t zero[4];
	struct nftnl_expr *e;

	if (expr_add(r, "bitwise", &e) < 0)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_OP, NFT_BITWISE_BOOL);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
	if (nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len) < 0)
		return -1;
	return nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, zero, len);
}

/* meta l4proto tcp: every rule has it, so ICMP errors of a TCP flow
 * (which share its conntrack, mark and counters) are never queued. */
static int put_l4proto_tcp(struct nftnl_rule *r)
{
	const uint8_t tcp = IPPROTO_TCP;
	struct nftnl_expr *e;

	if (expr_add(r, "meta", &e) < 0)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, NFT_META_L4PROTO);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
	return put_cmp(r, NFT_CMP_EQ, &tcp, sizeof(tcp));
}

/* tcp flags BIT: any packet with that flag set. */
static int put_tcp_flag(struct nftnl_rule *r, uint8_t bit)
{
	const uint8_t zero = 0;
	struct nftnl_expr *e;

	if (expr_add(r, "payload", &e) < 0)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE,
	    NFT_PAYLOAD_TRANSPORT_HEADER);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, 13);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, 1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	if (put_and(r, &bit, 1) < 0)
		return -1;
	return put_cmp(r, NFT_CMP_NEQ, &zero, 1);
}

/* ct mark & mask == mask */
static int put_ct_mark(struct nftnl_rule *r, uint32_t mask)
{
	struct nftnl_expr *e;

	if (expr_add(r, "ct", &e) < 0)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_MARK);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	if (put_and(r, &mask, sizeof(mask)) < 0)
		return -1;
	return put_cmp(r, NFT_CMP_EQ, &mask, sizeof(mask));
}

/*
 * ct packets lo-hi, both directions summed.  The counter is 64-bit host
 * order; nft compares it big-endian, so convert, as nft does.
 */
static int put_ct_packets(struct nftnl_rule *r, uint64_t lo, uint64_t hi)
{
	struct nftnl_expr *e;
	uint64_t v;

	if (expr_add(r, "ct", &e) < 0)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_PKTS);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	if (expr_add(r, "byteorder", &e) < 0)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_OP, NFT_BYTEORDER_HTON);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_LEN, sizeof(v));
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_SIZE, sizeof(v));
	v = htobe64(lo);
	if (put_cmp(r, NFT_CMP_GTE, &v, sizeof(v)) < 0)
		return -1;
	v = htobe64(hi);
	return put_cmp(r, NFT_CMP_LTE, &v, sizeof(v));
}

static int put_counter(struct nftnl_rule *r)
{
	struct nftnl_expr *e;

	return expr_add(r, "counter", &e);
}

/*
 * queue num Q bypass: one queue per shard, so no balance and no fanout
 * in the statement itself (the shard jump did that).  Bypass: with no
 * reader, packets pass; FAIL_OPEN on the queue covers a full one.
 */
static int put_queue_native(struct nftnl_rule *r, uint16_t queue)
{
	struct nftnl_expr *e;

	if (expr_add(r, "queue", &e) < 0)
		return -1;
	nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_NUM, queue);
	nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_TOTAL, 1);
	nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_FLAGS, NFT_QUEUE_FLAG_BYPASS);
	return 0;
}

/*
 * -j NFQUEUE --queue-num N --queue-bypass, as iptables-nft emits it.
 * The kernel wants the info padded to XT_ALIGN.  libnftnl keeps the
 * TG_INFO pointer and frees it with the expression (src/expr/target.c),
 * so it is malloc'ed and never freed here.  NFQ_FLAG_BYPASS is
 * NFT_QUEUE_FLAG_BYPASS.
 */
static int put_queue_xt(struct nftnl_rule *r, uint16_t queue)
{
	struct xt_NFQ_info_v3 *info;
	struct nftnl_expr *e;
	const size_t len = XT_ALIGN(sizeof(*info));

	if (expr_add(r, "target", &e) < 0)
		return -1;
	if (nftnl_expr_set_str(e, NFTNL_EXPR_TG_NAME, "NFQUEUE") < 0)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_TG_REV, 3);
	if ((info = calloc(1, len)) == NULL)
		return -1;
	info->queuenum = queue;
	info->queues_total = 1;
	info->flags = NFT_QUEUE_FLAG_BYPASS;
	return nftnl_expr_set(e, NFTNL_EXPR_TG_INFO, info, len);
}

static int put_queue(struct nftnl_rule *r, uint16_t queue, enum queue_kind qk)
{
	return qk == QUEUE_NATIVE ? put_queue_native(r, queue) :
	    put_queue_xt(r, queue);
}

/* ct status & confirmed == 0: the entry of a packet not yet let through. */
static int put_ct_unconfirmed(struct nftnl_rule *r)
{
	uint32_t mask = IPS_CONFIRMED, zero = 0;
	struct nftnl_expr *e;

	if (expr_add(r, "ct", &e) < 0)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATUS);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	if (put_and(r, &mask, sizeof(mask)) < 0)
		return -1;
	return put_cmp(r, NFT_CMP_EQ, &zero, sizeof(zero));
}

static int put_verdict(struct nftnl_rule *r, int verdict, const char *chain)
{
	struct nftnl_expr *e;

	if (expr_add(r, "immediate", &e) < 0)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
	if (chain != NULL &&
	    nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain) < 0)
		return -1;
	return 0;
}

/* log group N: the packet goes on at once, a copy comes to us. */
static int put_log(struct nftnl_rule *r, uint16_t group)
{
	struct nftnl_expr *e;

	if (expr_add(r, "log", &e) < 0)
		return -1;
	nftnl_expr_set_u16(e, NFTNL_EXPR_LOG_GROUP, group);
	return 0;
}

/* ct mark set ct mark | bits */
static int put_ct_mark_or(struct nftnl_rule *r, uint32_t bits)
{
	uint32_t keep = ~bits;
	struct nftnl_expr *e;

	if (expr_add(r, "ct", &e) < 0)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_MARK);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	if (expr_add(r, "bitwise", &e) < 0)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_OP, NFT_BITWISE_BOOL);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, sizeof(bits));
	if (nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &keep, sizeof(keep)) < 0 ||
	    nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &bits, sizeof(bits)) < 0)
		return -1;
	if (expr_add(r, "ct", &e) < 0)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_MARK);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_SREG, NFT_REG_1);
	return 0;
}

/*
 * The shard of a packet: symhash mod N == i (both directions of a flow
 * hash alike), or with fanout jhash meta cpu mod N == i.
 */
static int put_shard_match(struct nftnl_rule *r, const struct nft_conf *conf,
    uint32_t i)
{
	struct nftnl_expr *e;

	if (conf->fanout) {
		if (expr_add(r, "meta", &e) < 0)
			return -1;
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, NFT_META_CPU);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
	}
	if (expr_add(r, "hash", &e) < 0)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_HASH_TYPE,
	    conf->fanout ? NFT_HASH_JENKINS : NFT_HASH_SYM);
	if (conf->fanout) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_HASH_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_HASH_LEN, sizeof(uint32_t));
		nftnl_expr_set_u32(e, NFTNL_EXPR_HASH_SEED, 0);
	}
	nftnl_expr_set_u32(e, NFTNL_EXPR_HASH_MODULUS, conf->queue_total);
	nftnl_expr_set_u32(e, NFTNL_EXPR_HASH_DREG, NFT_REG_1);
	return put_cmp(r, NFT_CMP_EQ, &i, sizeof(i));
}

/* The match part of each rule kind; every kind starts with TCP. */
static int put_match(struct nftnl_rule *r, enum rule_kind kind,
    const struct nft_conf *conf)
{
	if (put_l4proto_tcp(r) < 0)
		return -1;
	switch (kind) {
	case RULE_LOCAL_REJECT:
		if (put_tcp_flag(r, 0x04) < 0)
			return -1;
		return put_ct_unconfirmed(r);
	case RULE_RST_MARK:
	case RULE_RST:
		return put_tcp_flag(r, 0x04);
	case RULE_SYN:
		return put_tcp_flag(r, 0x02);
	case RULE_MARK:
		return put_ct_mark(r, conf->mark);
	case RULE_LEARN:
		/* From 1: a flow tracked before accounting was on reads 0. */
		return put_ct_packets(r, 1, conf->learn_packets);
	default:
		errno = EINVAL;
		return -1;
	}
}

/* What a rule of kind does once matched, in shard sh. */
static int put_action(struct nftnl_rule *r, enum rule_kind kind,
    const struct nft_conf *conf, const struct shard *sh, enum queue_kind qk)
{
	switch (kind) {
	case RULE_LOCAL_REJECT:
	case RULE_SYN:
		if (put_log(r, sh->group) < 0)
			return -1;
		return put_verdict(r, NF_ACCEPT, NULL);
	case RULE_LEARN:
		return put_log(r, sh->group);
	case RULE_RST_MARK:
		return put_ct_mark_or(r, conf->mark);
	default:
		return put_queue(r, sh->queue, qk);
	}
}

static int rule_enabled(enum rule_kind kind, const struct nft_conf *conf)
{
	switch (kind) {
	case RULE_LOCAL_REJECT:
		return conf->log_group != 0 && conf->log_rejects;
	case RULE_RST_MARK:
	case RULE_MARK:
		return conf->mark != 0;
	case RULE_SYN:
		return conf->log_group != 0;
	case RULE_LEARN:
		return conf->log_group != 0 && conf->learn_packets != 0;
	default:
		return 1;
	}
}

/* --- objects ---------------------------------------------------------- */

static int nft_table_add(struct nft_batch *b, uint8_t family, const char *name,
    uint32_t flags)
{
	struct nftnl_table *t;
	struct nlmsghdr *nlh;
	char what[64];
	int rc = -1;

	if ((t = nftnl_table_alloc()) == NULL)
		return -1;
	if (nftnl_table_set_str(t, NFTNL_TABLE_NAME, name) < 0)
		goto out;
	nftnl_table_set_u32(t, NFTNL_TABLE_FLAGS, flags);
	snprintf(what, sizeof(what), "table %s %s", family_name(family), name);
	/* EXCL: never adopt, update or flush a table we did not create. */
	nlh = batch_hdr(b, NFT_MSG_NEWTABLE, family,
	    NLM_F_CREATE | NLM_F_EXCL, what);
	if (nlh == NULL)
		goto out;
	nftnl_table_nlmsg_build_payload(nlh, t);
	rc = batch_next(b);
out:
	nftnl_table_free(t);
	return rc;
}

static int nft_table_del(struct nft_batch *b, uint8_t family, const char *name)
{
	struct nftnl_table *t;
	struct nlmsghdr *nlh;
	char what[64];
	int rc = -1;

	if ((t = nftnl_table_alloc()) == NULL)
		return -1;
	if (nftnl_table_set_str(t, NFTNL_TABLE_NAME, name) < 0)
		goto out;
	snprintf(what, sizeof(what), "table %s %s", family_name(family), name);
	if ((nlh = batch_hdr(b, NFT_MSG_DELTABLE, family, 0, what)) == NULL)
		goto out;
	nftnl_table_nlmsg_build_payload(nlh, t);
	rc = batch_next(b);
out:
	nftnl_table_free(t);
	return rc;
}

/* A base chain, policy accept, on def's hook at CHAIN_PRIO; with no
 * def->hook (a shard), a regular chain. */
static int chain_add(struct nft_batch *b, uint8_t family, const char *table,
    const struct chain_def *def)
{
	struct nftnl_chain *c;
	struct nlmsghdr *nlh;
	char what[64];
	int rc = -1;

	if ((c = nftnl_chain_alloc()) == NULL)
		return -1;
	if (nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, table) < 0 ||
	    nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, def->name) < 0)
		goto out;
	if (def->hook != NO_HOOK) {
		if (nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter") < 0)
			goto out;
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, def->hook);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, def->prio);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	}
	snprintf(what, sizeof(what), "chain %s %s %s", family_name(family),
	    table, def->name);
	nlh = batch_hdr(b, NFT_MSG_NEWCHAIN, family,
	    NLM_F_CREATE | NLM_F_EXCL, what);
	if (nlh == NULL)
		goto out;
	nftnl_chain_nlmsg_build_payload(nlh, c);
	rc = batch_next(b);
out:
	nftnl_chain_free(c);
	return rc;
}

static struct nftnl_rule *rule_new(uint8_t family, const char *table,
    const char *chain)
{
	struct nftnl_rule *r;

	if ((r = nftnl_rule_alloc()) == NULL)
		return NULL;
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, family);
	if (nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table) < 0 ||
	    nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain) < 0) {
		nftnl_rule_free(r);
		return NULL;
	}
	return r;
}

/* Append r to its chain in the batch (ok: it was built whole); frees r. */
static int rule_send(struct nft_batch *b, struct nftnl_rule *r, int ok,
    const char *what)
{
	struct nlmsghdr *nlh;
	int rc = -1;

	if (!ok)
		goto out;
	nlh = batch_hdr(b, NFT_MSG_NEWRULE,
	    (uint8_t)nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY),
	    NLM_F_CREATE | NLM_F_APPEND, what);
	if (nlh == NULL)
		goto out;
	nftnl_rule_nlmsg_build_payload(nlh, r);
	rc = batch_next(b);
out:
	nftnl_rule_free(r);
	return rc;
}

/* TCP match of kind, counter, action in shard sh: appended to chain. */
static int rule_add(struct nft_batch *b, uint8_t family, const char *table,
    const char *chain, enum rule_kind kind, const struct nft_conf *conf,
    const struct shard *sh, enum queue_kind qk)
{
	struct nftnl_rule *r;
	char what[64];

	if ((r = rule_new(family, table, chain)) == NULL)
		return -1;
	snprintf(what, sizeof(what), "rule %s of chain %s %s %s",
	    rule_names[kind], family_name(family), table, chain);
	return rule_send(b, r, put_match(r, kind, conf) == 0 &&
	    put_counter(r) == 0 && put_action(r, kind, conf, sh, qk) == 0, what);
}

/* meta l4proto tcp, shard i's match, counter, jump shard<i>. */
static int jump_add(struct nft_batch *b, uint8_t family, const char *table,
    const char *chain, const struct nft_conf *conf, uint32_t i)
{
	struct nftnl_rule *r;
	char what[64], target[16];

	if ((r = rule_new(family, table, chain)) == NULL)
		return -1;
	snprintf(target, sizeof(target), "shard%u", i);
	snprintf(what, sizeof(what), "rule jump %s of chain %s %s %s", target,
	    family_name(family), table, chain);
	return rule_send(b, r, put_l4proto_tcp(r) == 0 &&
	    put_shard_match(r, conf, i) == 0 && put_counter(r) == 0 &&
	    put_verdict(r, NFT_JUMP, target) == 0, what);
}

/* --- detection --------------------------------------------------------- */

/*
 * A dormant probe table (no hook is registered) with one base chain and
 * one rule queueing by qk.  Returns the index of the rule's message.
 */
static int probe_add(struct nft_batch *b, uint8_t family, enum queue_kind qk,
    const struct nft_conf *conf)
{
	static const struct shard probe_shard = { 0, 0 };

	if (nft_table_add(b, family, PROBE_TABLE, NFT_TABLE_F_DORMANT) < 0 ||
	    chain_add(b, family, PROBE_TABLE, &chains[1]) < 0 ||
	    rule_add(b, family, PROBE_TABLE, chains[1].name, RULE_RST, conf,
	    &probe_shard, qk) < 0)
		return -1;
	return b->n - 1;
}

/*
 * The answer to the probe whose messages are first..last: 1 supported,
 * 0 not, -1 (errno set) when the probe itself failed.  Unsupported is
 * EOPNOTSUPP (a flag or family refused), ENOENT (no such expression or
 * target, or one that cannot be loaded) or EPROTONOSUPPORT (no such
 * target revision), on the last message only.
 */
static int probe_result(const struct nft_batch *b, int first, int last)
{
	int err;

	for (int i = first; i < last; i++) {
		if (b->err[i] != 0) {
			errno = b->err[i];
			return -1;
		}
	}
	err = b->err[last];
	if (err == 0)
		return 1;
	if (err == EOPNOTSUPP || err == ENOENT || err == EPROTONOSUPPORT)
		return 0;
	errno = err;
	return -1;
}

int nft_detect(struct nft_caps *caps)
{
	struct mnl_socket *nl = NULL;
	struct nft_conf conf;
	struct nft_batch *b;
	int owner, q, xip, xinet, rc = -1;

	memset(caps, 0, sizeof(*caps));
	nft_conf_default(&conf);
	/* Each probe in its own transaction-local table of one batch;
	 * ip before inet: on modular kernels the ip probe autoloads
	 * xt_NFQUEUE (ipt_NFQUEUE), which nft_compat cannot request for
	 * inet (there is no inet prefix for xt module names). */
	if ((b = batch_new((uint32_t)time(NULL))) == NULL ||
	    (nl = sock_open()) == NULL)
		goto fail;
	if (nft_table_add(b, NFPROTO_INET, PROBE_TABLE,
	    NFT_TABLE_F_DORMANT | NFT_TABLE_F_OWNER) < 0)
		goto fail;
	owner = b->n - 1;
	if (nft_table_del(b, NFPROTO_INET, PROBE_TABLE) < 0 ||
	    (q = probe_add(b, NFPROTO_INET, QUEUE_NATIVE, &conf)) < 0 ||
	    nft_table_del(b, NFPROTO_INET, PROBE_TABLE) < 0 ||
	    (xip = probe_add(b, NFPROTO_IPV4, QUEUE_XT, &conf)) < 0 ||
	    (xinet = probe_add(b, NFPROTO_INET, QUEUE_XT, &conf)) < 0)
		goto fail;
	if (batch_send(b, nl, 0) < 0)
		goto fail;
	/* a probe's table and chain come two and one before its rule */
	if ((caps->table_owner = probe_result(b, owner, owner)) < 0 ||
	    (caps->queue_native = probe_result(b, q - 2, q)) < 0 ||
	    (caps->compat_ip = probe_result(b, xip - 2, xip)) < 0 ||
	    (caps->compat_inet = probe_result(b, xinet - 2, xinet)) < 0)
		goto fail;
	rc = 0;
fail:
	if (rc < 0) {
		int saved = errno;

		log_warn("nftables: cannot probe the kernel");
		memset(caps, 0, sizeof(*caps));
		errno = saved;
	}
	if (nl)
		mnl_socket_close(nl);
	batch_free(b);
	return rc;
}

static struct shard shard_of(const struct nft_conf *conf, uint32_t i)
{
	struct shard sh = {
		.queue = (uint16_t)(conf->queue_num + i),
		.group = conf->log_group ? (uint16_t)(conf->log_group + i) : 0,
	};

	return sh;
}

/* --- the guard: forgeries dropped in the kernel ------------------------- */

/*
 * nftables' datatype ids (its datatype.h), so that nft lists the sets.
 * The TTL is typed icmp_code, a one-byte type that prints as a number
 * (nft has no name for a TTL, and a bare integer, of no length, makes
 * nft 1.0.6 abort while it sorts the elements for a listing).
 */
#define DT_ICMP_CODE	32
#define DT_IPADDR	7
#define DT_IP6ADDR	8
#define DT_INET_SERVICE	13
#define DT_BITS		6

static const char *guard_set(int v6)
{
	return v6 ? NFT_GUARD_SET6 : NFT_GUARD_SET4;
}

/* The key: saddr . sport . daddr . dport . ttl, each in 32-bit words. */
static uint32_t guard_key_len(int v6)
{
	return v6 ? 16 + 4 + 16 + 4 + 4 : 4 + 4 + 4 + 4 + 4;
}

static uint32_t guard_key_type(int v6)
{
	uint32_t a = v6 ? DT_IP6ADDR : DT_IPADDR;

	return ((((a << DT_BITS | DT_INET_SERVICE) << DT_BITS | a) << DT_BITS |
	    DT_INET_SERVICE) << DT_BITS) | DT_ICMP_CODE;
}

static int set_add(struct nft_batch *b, uint8_t family, int v6, uint32_t id)
{
	struct nftnl_set *set;
	struct nlmsghdr *nlh;
	char what[64];
	int rc = -1;

	if ((set = nftnl_set_alloc()) == NULL)
		return -1;
	if (nftnl_set_set_str(set, NFTNL_SET_TABLE, NFT_TABLE_NAME) < 0 ||
	    nftnl_set_set_str(set, NFTNL_SET_NAME, guard_set(v6)) < 0)
		goto out;
	nftnl_set_set_u32(set, NFTNL_SET_FAMILY, family);
	nftnl_set_set_u32(set, NFTNL_SET_FLAGS, NFT_SET_TIMEOUT);
	nftnl_set_set_u32(set, NFTNL_SET_KEY_TYPE, guard_key_type(v6));
	nftnl_set_set_u32(set, NFTNL_SET_KEY_LEN, guard_key_len(v6));
	nftnl_set_set_u32(set, NFTNL_SET_ID, id);
	nftnl_set_set_u32(set, NFTNL_SET_DESC_SIZE, NFT_GUARD_SIZE);
	nftnl_set_set_u64(set, NFTNL_SET_TIMEOUT, NFT_GUARD_TIMEOUT_MS);
	snprintf(what, sizeof(what), "set %s %s %s", family_name(family),
	    NFT_TABLE_NAME, guard_set(v6));
	nlh = batch_hdr(b, NFT_MSG_NEWSET, family, NLM_F_CREATE | NLM_F_EXCL,
	    what);
	if (nlh == NULL)
		goto out;
	nftnl_set_nlmsg_build_payload(nlh, set);
	rc = batch_next(b);
out:
	nftnl_set_free(set);
	return rc;
}

/* payload BASE at off, len bytes, into 32-bit register reg. */
static int put_load(struct nftnl_rule *r, uint32_t base, uint32_t off,
    uint32_t len, uint32_t reg)
{
	struct nftnl_expr *e;

	if (expr_add(r, "payload", &e) < 0)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, reg);
	return 0;
}

/*
 * meta nfproto ipvX, tcp flags rst, the key into registers 0..n, lookup
 * in the family's set: the match of the guard rule.
 */
static int put_guard_match(struct nftnl_rule *r, uint8_t family, int v6,
    uint32_t set_id)
{
	const uint8_t nfproto = v6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
	const uint32_t alen = v6 ? 16 : 4, aw = alen / 4;
	const uint32_t N = NFT_PAYLOAD_NETWORK_HEADER;
	const uint32_t T = NFT_PAYLOAD_TRANSPORT_HEADER;
	struct nftnl_expr *e;

	/* An ip or ip6 table has only its own; an inet table asks. */
	if (family == NFPROTO_INET) {
		if (expr_add(r, "meta", &e) < 0)
			return -1;
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, NFT_META_NFPROTO);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
		if (put_cmp(r, NFT_CMP_EQ, &nfproto, 1) < 0)
			return -1;
	}
	if (put_l4proto_tcp(r) < 0 || put_tcp_flag(r, 0x04) < 0 ||
	    put_load(r, N, v6 ? 8 : 12, alen, NFT_REG32_00) < 0 ||
	    put_load(r, T, 0, 2, NFT_REG32_00 + aw) < 0 ||
	    put_load(r, N, v6 ? 24 : 16, alen, NFT_REG32_00 + aw + 1) < 0 ||
	    put_load(r, T, 2, 2, NFT_REG32_00 + 2 * aw + 1) < 0 ||
	    put_load(r, N, v6 ? 7 : 8, 1, NFT_REG32_00 + 2 * aw + 2) < 0 ||
	    expr_add(r, "lookup", &e) < 0)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG32_00);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, set_id);
	return nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, guard_set(v6));
}

/*
 * The guard's rule for IP family v6 in shard i: the forgery is copied to
 * the shard's NFLOG group (its event, "dropped by the guard") and
 * dropped.  With more than one shard, the rule first asks the shard
 * match, as the shard chains' jumps do.
 */
static int guard_rule_add(struct nft_batch *b, uint8_t family, int v6,
    const struct nft_conf *conf, uint32_t i)
{
	struct shard sh = shard_of(conf, i);
	struct nftnl_rule *r;
	char what[64];
	int ok;

	if ((r = rule_new(family, NFT_TABLE_NAME, guard_chain.name)) == NULL)
		return -1;
	snprintf(what, sizeof(what), "rule %s of chain %s %s guard",
	    guard_set(v6), family_name(family), NFT_TABLE_NAME);
	ok = (conf->queue_total <= 1 || put_shard_match(r, conf, i) == 0) &&
	    put_guard_match(r, family, v6, (uint32_t)(v6 + 1)) == 0 &&
	    put_counter(r) == 0 &&
	    (sh.group == 0 || put_log(r, sh.group) == 0) &&
	    put_verdict(r, NF_DROP, NULL) == 0;
	return rule_send(b, r, ok, what);
}

/* The guard chain, and per IP family of this table a set and its rules. */
static int guard_build(struct nft_batch *b, uint8_t family,
    const struct nft_conf *conf)
{
	uint32_t n = conf->queue_total > 1 ? conf->queue_total : 1;

	if (chain_add(b, family, NFT_TABLE_NAME, &guard_chain) < 0)
		return -1;
	for (int v6 = 0; v6 < 2; v6++) {
		if ((family == NFPROTO_IPV4 && v6) ||
		    (family == NFPROTO_IPV6 && !v6))
			continue;
		if (set_add(b, family, v6, (uint32_t)(v6 + 1)) < 0)
			return -1;
		for (uint32_t i = 0; i < n; i++)
			if (guard_rule_add(b, family, v6, conf, i) < 0)
				return -1;
	}
	return 0;
}

/* The element's key bytes, as the rule's registers hold them. */
static uint32_t guard_key(const struct nft_guard_key *k, uint8_t *key)
{
	const uint32_t alen = k->v6 ? 16 : 4;
	uint8_t *p = key;

	memset(key, 0, NFT_GUARD_KEYMAX);
	memcpy(p, k->src, alen);
	p += alen;
	p[0] = (uint8_t)(k->sport >> 8);
	p[1] = (uint8_t)k->sport;
	p += 4;
	memcpy(p, k->dst, alen);
	p += alen;
	p[0] = (uint8_t)(k->dport >> 8);
	p[1] = (uint8_t)k->dport;
	p += 4;
	p[0] = k->ttl;
	return guard_key_len(k->v6);
}

/* The table that holds k's family's set. */
static uint8_t guard_family(const struct nft_handle *h, int v6)
{
	if (h->nfamily == 1)
		return h->family[0];
	return v6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
}

int nft_guard_add(struct nft_handle *h, const struct nft_guard_key *k,
    uint32_t timeout_ms)
{
	uint8_t key[NFT_GUARD_KEYMAX], family;
	struct nftnl_set_elem *el;
	struct nftnl_set *set;
	struct nlmsghdr *nlh;
	struct nft_batch *b;
	int rc = -1, saved = EIO;

	if (h->nl == NULL || h->guard == NULL) {
		errno = ENOENT;
		return -1;
	}
	family = guard_family(h, k->v6);
	if ((set = nftnl_set_alloc()) == NULL)
		return -1;
	if ((el = nftnl_set_elem_alloc()) == NULL) {
		nftnl_set_free(set);
		return -1;
	}
	nftnl_set_set_str(set, NFTNL_SET_TABLE, NFT_TABLE_NAME);
	nftnl_set_set_str(set, NFTNL_SET_NAME, guard_set(k->v6));
	nftnl_set_set_u32(set, NFTNL_SET_FAMILY, family);
	nftnl_set_elem_set(el, NFTNL_SET_ELEM_KEY, key, guard_key(k, key));
	nftnl_set_elem_set_u64(el, NFTNL_SET_ELEM_TIMEOUT, timeout_ms);
	nftnl_set_elem_add(set, el);		/* the set owns it now */
	pthread_mutex_lock(&h->guard_mu);
	b = h->guard;
	batch_reset(b, h->seq);
	nlh = batch_hdr(b, NFT_MSG_NEWSETELEM, family, NLM_F_CREATE,
	    "guard element");
	if (nlh != NULL) {
		nftnl_set_elems_nlmsg_build_payload(nlh, set);
		if (batch_next(b) == 0 && batch_send(b, h->nl, 1) == 0) {
			saved = b->err[0];
			rc = saved == 0 ? 0 : -1;
		} else {
			saved = errno;
		}
	}
	h->seq += (uint32_t)b->n + 2;
	pthread_mutex_unlock(&h->guard_mu);
	nftnl_set_free(set);
	errno = saved;
	return rc;
}

/* Sum the packets of the guard chain's rules into *n. */
static int guard_counter_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftnl_expr_iter *it;
	struct nftnl_rule *r;
	struct nftnl_expr *e;
	uint64_t *n = data;

	if ((r = nftnl_rule_alloc()) == NULL)
		return MNL_CB_ERROR;
	if (nftnl_rule_nlmsg_parse(nlh, r) == 0 &&
	    (it = nftnl_expr_iter_create(r)) != NULL) {
		while ((e = nftnl_expr_iter_next(it)) != NULL)
			if (strcmp(nftnl_expr_get_str(e, NFTNL_EXPR_NAME),
			    "counter") == 0)
				*n += nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_PACKETS);
		nftnl_expr_iter_destroy(it);
	}
	nftnl_rule_free(r);
	return MNL_CB_OK;
}

int nft_guard_dropped(struct nft_handle *h, uint64_t *n)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nftnl_rule *r;
	struct nlmsghdr *nlh;
	uint32_t seq, portid;
	int rc = 0, len;

	*n = 0;
	if (h->nl == NULL || h->guard == NULL)
		return 0;
	pthread_mutex_lock(&h->guard_mu);
	portid = mnl_socket_get_portid(h->nl);
	for (int f = 0; f < h->nfamily && rc == 0; f++) {
		if ((r = nftnl_rule_alloc()) == NULL) {
			rc = -1;
			break;
		}
		seq = h->seq++;
		nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETRULE, h->family[f],
		    NLM_F_DUMP, seq);
		nftnl_rule_set_str(r, NFTNL_RULE_TABLE, NFT_TABLE_NAME);
		nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, guard_chain.name);
		nftnl_rule_nlmsg_build_payload(nlh, r);
		nftnl_rule_free(r);
		if (mnl_socket_sendto(h->nl, nlh, nlh->nlmsg_len) < 0) {
			rc = -1;
			break;
		}
		while ((len = (int)mnl_socket_recvfrom(h->nl, buf,
		    sizeof(buf))) > 0) {
			rc = mnl_cb_run(buf, (size_t)len, seq, portid,
			    guard_counter_cb, n);
			if (rc <= 0)
				break;
		}
		rc = rc < 0 || len < 0 ? -1 : 0;
	}
	pthread_mutex_unlock(&h->guard_mu);
	return rc;
}

/* --- install and remove ------------------------------------------------ */

void nft_conf_default(struct nft_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->queue_total = 1;
	conf->learn_packets = NFT_DEFAULT_LEARN;
	conf->mark = NFT_DEFAULT_MARK;
	conf->log_group = NFT_DEFAULT_LOG_GROUP;
	conf->log_rejects = 1;
	conf->guard = 1;
	conf->owner = 1;
}

static int nft_conf_check(const struct nft_conf *conf)
{
	uint32_t total = conf->queue_total ? conf->queue_total : 1;

	if ((uint32_t)conf->queue_num + total - 1 > 0xffff) {
		log_warnx("nftables: queues %u to %u: the last queue is 65535",
		    conf->queue_num, conf->queue_num + total - 1);
		errno = EINVAL;
		return -1;
	}
	if (total > NFT_MAX_SHARDS) {
		log_warnx("nftables: %u queues: at most %u", total,
		    NFT_MAX_SHARDS);
		errno = EINVAL;
		return -1;
	}
	if (conf->log_group && (uint32_t)conf->log_group + total - 1 > 0xffff) {
		log_warnx("nftables: NFLOG groups %u to %u: the last group is "
		    "65535", conf->log_group, conf->log_group + total - 1);
		errno = EINVAL;
		return -1;
	}
	/* Without it a RST would wait while its flow's next packets pass. */
	if (conf->mark == 0) {
		log_warnx("nftables: mark 0: a RST must mark its connection, so "
		    "that nothing of the flow overtakes it in the queue");
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* Which families to build, and how to queue; 0 families: impossible. */
static int plan(const struct nft_caps *caps, struct nft_handle *h,
    enum queue_kind *qk)
{
	h->nfamily = 0;
	*qk = caps->queue_native ? QUEUE_NATIVE : QUEUE_XT;
	if (caps->queue_native || caps->compat_inet) {
		h->family[h->nfamily++] = NFPROTO_INET;
	} else if (caps->compat_ip) {
		/* nft_compat refuses inet here (some 6.8-era stable kernels,
		 * or xt_NFQUEUE not loadable for inet): one table per family */
		h->family[h->nfamily++] = NFPROTO_IPV4;
		h->family[h->nfamily++] = NFPROTO_IPV6;
	}
	return h->nfamily;
}

static const char *plan_family(const struct nft_handle *h)
{
	return h->nfamily == 1 ? "inet" : "ip and ip6";
}


/* Every enabled rule of shard i, appended to chain. */
static int shard_rules(struct nft_batch *b, uint8_t family, const char *chain,
    const struct nft_conf *conf, uint32_t i, enum queue_kind qk)
{
	struct shard sh = shard_of(conf, i);

	for (int k = 0; k < RULE_NKINDS; k++)
		if (rule_enabled(k, conf) && rule_add(b, family,
		    NFT_TABLE_NAME, chain, k, conf, &sh, qk) < 0)
			return -1;
	return 0;
}

/*
 * The table: three base chains; with one queue they hold the rules,
 * with more each jumps to its shard's chain.
 */
static int nft_table_build(struct nft_batch *b, uint8_t family, uint32_t flags,
    const struct nft_conf *conf, enum queue_kind qk)
{
	uint32_t n = conf->queue_total > 1 ? conf->queue_total : 1;
	char name[16];

	if (nft_table_add(b, family, NFT_TABLE_NAME, flags) < 0)
		return -1;
	if (conf->guard && guard_build(b, family, conf) < 0)
		return -1;
	for (size_t c = 0; c < NCHAINS; c++)
		if (chain_add(b, family, NFT_TABLE_NAME, &chains[c]) < 0)
			return -1;
	if (n == 1) {
		for (size_t c = 0; c < NCHAINS; c++)
			if (shard_rules(b, family, chains[c].name, conf, 0, qk) < 0)
				return -1;
		return 0;
	}
	for (uint32_t i = 0; i < n; i++) {
		struct chain_def def = { name, NO_HOOK, 0 };

		snprintf(name, sizeof(name), "shard%u", i);
		if (chain_add(b, family, NFT_TABLE_NAME, &def) < 0 ||
		    shard_rules(b, family, name, conf, i, qk) < 0)
			return -1;
	}
	for (size_t c = 0; c < NCHAINS; c++)
		for (uint32_t i = 0; i < n; i++)
			if (jump_add(b, family, NFT_TABLE_NAME, chains[c].name,
			    conf, i) < 0)
				return -1;
	return 0;
}

/* Log the first error of a failed install; returns the errno to report. */
static int install_report(const struct nft_batch *b)
{
	int i = batch_first_err(b);
	int err = i < 0 ? EPROTO : b->err[i];

	if (b->batch_err == EPERM) {
		log_warnx("nftables: permission denied: rstaudit needs "
		    "CAP_NET_ADMIN to install its table");
		return EPERM;
	}
	if (b->batch_err) {
		errno = b->batch_err;
		log_warn("nftables: the kernel refused the batch");
		return b->batch_err;
	}
	if (i >= 0 && strncmp(b->what[i], "table ", 6) == 0 &&
	    (err == EEXIST || err == EPERM)) {
		/* EPERM: an owner table of another socket */
		log_warnx("nftables: %s already exists%s; rstaudit never "
		    "replaces a table it did not create: delete it (nft delete "
		    "%s) or run with --no-install-rules", b->what[i],
		    err == EPERM ? " and belongs to another process (another "
		    "rstaudit?)" : "", b->what[i]);
		return EEXIST;
	}
	errno = err;
	log_warn("nftables: cannot add %s", i >= 0 ? b->what[i] : "table");
	return err;
}

int nft_install(const struct nft_conf *conf, const struct nft_caps *caps,
    struct nft_handle *h)
{
	enum queue_kind qk;
	struct nft_batch *b = NULL;
	uint32_t flags;
	int saved;

	memset(h, 0, sizeof(*h));
	if (nft_conf_check(conf) < 0)
		return -1;
	if (plan(caps, h, &qk) == 0) {
		log_warnx("nftables: this kernel has neither the nft queue "
		    "expression (CONFIG_NFT_QUEUE) nor xt NFQUEUE through "
		    "nft_compat: rstaudit cannot queue packets");
		errno = ENOTSUP;
		return -1;
	}
	flags = conf->owner && caps->table_owner ? NFT_TABLE_F_OWNER : 0;
	if (conf->owner && !caps->table_owner)
		log_warnx("nftables: this kernel has no owner tables (5.12+): "
		    "if rstaudit dies, delete its table yourself (%s)",
		    h->nfamily == 1 ? "nft delete table inet rstaudit" :
		    "nft delete table ip rstaudit; nft delete table ip6 rstaudit");
	h->seq = (uint32_t)time(NULL);
	if ((b = batch_new(h->seq)) == NULL || (h->nl = sock_open()) == NULL)
		goto fail_sys;
	for (int f = 0; f < h->nfamily; f++)
		if (nft_table_build(b, h->family[f], flags, conf, qk) < 0)
			goto fail_sys;
	if (batch_send(b, h->nl, 1) < 0 || batch_first_err(b) >= 0) {
		saved = install_report(b);
		goto fail;
	}
	h->seq += b->n + 2;
	h->owned = flags != 0;
	if (conf->guard) {
		pthread_mutex_init(&h->guard_mu, NULL);
		h->guard = b;		/* kept for the guard's elements */
		b = NULL;
	}
	log_info("nftables: table %s %s installed (%s, queue %u%s)",
	    plan_family(h), NFT_TABLE_NAME,
	    qk == QUEUE_NATIVE ? "nft queue" : "xt NFQUEUE", conf->queue_num,
	    h->owned ? ", owner" : "");
	batch_free(b);
	return 0;
fail_sys:
	saved = errno;
	log_warn("nftables: cannot build the batch for table %s",
	    NFT_TABLE_NAME);
fail:
	if (h->nl)
		mnl_socket_close(h->nl);
	batch_free(b);
	memset(h, 0, sizeof(*h));
	errno = saved;
	return -1;
}

/* Every rule of the table, in every chain: a DELRULE without a chain. */
static int rules_del(struct nft_batch *b, uint8_t family, const char *table)
{
	struct nftnl_rule *r;
	struct nlmsghdr *nlh;
	char what[64];
	int rc = -1;

	if ((r = nftnl_rule_alloc()) == NULL)
		return -1;
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, family);
	if (nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table) < 0)
		goto out;
	snprintf(what, sizeof(what), "rules of table %s %s", family_name(family),
	    table);
	if ((nlh = batch_hdr(b, NFT_MSG_DELRULE, family, 0, what)) == NULL)
		goto out;
	nftnl_rule_nlmsg_build_payload(nlh, r);
	rc = batch_next(b);
out:
	nftnl_rule_free(r);
	return rc;
}

int nft_quiesce(struct nft_handle *h)
{
	struct nft_batch *b;
	int rc = -1, i;

	if (h->nl == NULL)
		return 0;
	if (h->guard != NULL)
		pthread_mutex_lock(&h->guard_mu);
	if ((b = batch_new(h->seq)) == NULL)
		goto out;
	for (int f = 0; f < h->nfamily; f++)
		if (rules_del(b, h->family[f], NFT_TABLE_NAME) < 0)
			goto out;
	h->seq += (uint32_t)b->n + 2;
	if (batch_send(b, h->nl, 1) < 0)
		goto out;
	if ((i = batch_first_err(b)) >= 0) {
		errno = b->err[i];
		goto out;
	}
	rc = 0;
out:
	if (rc < 0)
		log_warn("nftables: cannot delete the rules of table %s",
		    NFT_TABLE_NAME);
	batch_free(b);
	if (h->guard != NULL)
		pthread_mutex_unlock(&h->guard_mu);
	return rc;
}

int nft_remove(struct nft_handle *h)
{
	struct nft_batch *b;
	int rc = -1, saved = 0;

	if (h->nl == NULL)
		return 0;
	if (h->guard != NULL) {
		pthread_mutex_lock(&h->guard_mu);	/* no element in flight */
		batch_free(h->guard);
		h->guard = NULL;
		pthread_mutex_unlock(&h->guard_mu);
		pthread_mutex_destroy(&h->guard_mu);
	}
	if ((b = batch_new(h->seq)) == NULL)
		goto fail;
	for (int f = 0; f < h->nfamily; f++)
		if (nft_table_del(b, h->family[f], NFT_TABLE_NAME) < 0)
			goto fail;
	if (batch_send(b, h->nl, 1) < 0)
		goto fail;
	for (int i = 0; i < b->n; i++) {
		if (b->err[i] == ENOENT) {
			/* someone else's doing; nothing left to remove */
			log_info("nftables: %s was already gone", b->what[i]);
		} else if (b->err[i] != 0) {
			errno = saved = b->err[i];
			log_warn("nftables: cannot delete %s", b->what[i]);
			goto out;
		}
	}
	rc = 0;
	goto out;
fail:
	saved = errno;
	log_warn("nftables: cannot delete table %s", NFT_TABLE_NAME);
out:
	mnl_socket_close(h->nl);
	batch_free(b);
	memset(h, 0, sizeof(*h));
	errno = saved;
	return rc;
}

/* --- nft syntax --------------------------------------------------------- */

static void render_match(enum rule_kind kind, const struct nft_conf *conf,
    FILE *fp)
{
	switch (kind) {
	case RULE_LOCAL_REJECT:
		fputs("tcp flags rst ct status ! confirmed", fp);
		break;
	case RULE_RST_MARK:
	case RULE_RST:
		fputs("tcp flags rst", fp);
		break;
	case RULE_SYN:
		fputs("tcp flags syn", fp);
		break;
	case RULE_MARK:
		fprintf(fp, "meta l4proto tcp ct mark & 0x%08x == 0x%08x",
		    conf->mark, conf->mark);
		break;
	case RULE_LEARN:
		fprintf(fp, "meta l4proto tcp ct packets 1-%u",
		    conf->learn_packets);
		break;
	default:
		break;
	}
}

static void render_action(enum rule_kind kind, const struct nft_conf *conf,
    const struct shard *sh, FILE *fp)
{
	switch (kind) {
	case RULE_LOCAL_REJECT:
	case RULE_SYN:
		fprintf(fp, "log group %u accept\n", sh->group);
		break;
	case RULE_LEARN:
		fprintf(fp, "log group %u\n", sh->group);
		break;
	case RULE_RST_MARK:
		fprintf(fp, "ct mark set ct mark | 0x%08x\n", conf->mark);
		break;
	default:
		fprintf(fp, "queue num %u bypass\n", sh->queue);
		break;
	}
}

static void render_shard(const struct nft_conf *conf, uint32_t i, FILE *fp)
{
	struct shard sh = shard_of(conf, i);

	for (int k = 0; k < RULE_NKINDS; k++) {
		if (!rule_enabled(k, conf))
			continue;
		fputs("\t\t", fp);
		render_match(k, conf, fp);
		fputs(" counter ", fp);
		render_action(k, conf, &sh, fp);
	}
}

/* The shard match; tcp: "meta l4proto tcp " before it (nft omits it
 * where a tcp match follows, as in the guard's rules). */
static void render_shard_match(const struct nft_conf *conf, uint32_t i,
    int tcp, FILE *fp)
{
	if (tcp)
		fputs("meta l4proto tcp ", fp);
	if (conf->fanout)
		fprintf(fp, "jhash meta cpu mod %u seed 0x0 %u ",
		    conf->queue_total, i);
	else
		fprintf(fp, "symhash mod %u %u ", conf->queue_total, i);
}

static void render_jumps(const struct nft_conf *conf, FILE *fp)
{
	for (uint32_t i = 0; i < conf->queue_total; i++) {
		fputs("\t\t", fp);
		render_shard_match(conf, i, 1, fp);
		fprintf(fp, "counter jump shard%u\n", i);
	}
}

static void render_guard(const struct nft_conf *conf, FILE *fp)
{
	static const char *const key[2] = {
		"ip saddr . tcp sport . ip daddr . tcp dport . ip ttl",
		"ip6 saddr . tcp sport . ip6 daddr . tcp dport . ip6 hoplimit",
	};
	uint32_t n = conf->queue_total > 1 ? conf->queue_total : 1;

	for (int v6 = 0; v6 < 2; v6++)
		fprintf(fp, "\tset %s {\n\t\ttypeof %s\n\t\tsize %u\n"
		    "\t\ttimeout %um\n\t}\n\n", guard_set(v6), key[v6],
		    NFT_GUARD_SIZE, NFT_GUARD_TIMEOUT_MS / 60000);
	fprintf(fp, "\tchain %s {\n\t\ttype filter hook prerouting priority "
	    "raw; policy accept;\n", guard_chain.name);
	for (int v6 = 0; v6 < 2; v6++) {
		for (uint32_t i = 0; i < n; i++) {
			struct shard sh = shard_of(conf, i);

			fputs("\t\t", fp);
			if (n > 1)
				render_shard_match(conf, i, 0, fp);
			fprintf(fp, "tcp flags rst %s @%s counter ", key[v6],
			    guard_set(v6));
			if (sh.group)
				fprintf(fp, "log group %u ", sh.group);
			fputs("drop\n", fp);
		}
	}
	fputs("\t}\n\n", fp);
}

int nft_render(const struct nft_conf *conf, FILE *fp)
{
	uint32_t n = conf->queue_total > 1 ? conf->queue_total : 1;

	if (nft_conf_check(conf) < 0)
		return -1;
	fprintf(fp, "table inet %s {\n", NFT_TABLE_NAME);
	if (conf->guard)
		render_guard(conf, fp);
	for (size_t c = 0; c < NCHAINS; c++) {
		fprintf(fp, "%s\tchain %s {\n", c ? "\n" : "", chains[c].name);
		fprintf(fp, "\t\ttype filter hook %s priority mangle; "
		    "policy accept;\n", chains[c].name);
		if (n == 1)
			render_shard(conf, 0, fp);
		else
			render_jumps(conf, fp);
		fputs("\t}\n", fp);
	}
	for (uint32_t i = 0; n > 1 && i < n; i++) {
		fprintf(fp, "\n\tchain shard%u {\n", i);
		render_shard(conf, i, fp);
		fputs("\t}\n", fp);
	}
	fputs("}\n", fp);
	if (ferror(fp)) {
		errno = EIO;
		return -1;
	}
	return 0;
}
