/*
 * nftrule.c: the expressions and objects a table is made of.

One function per netlink object and action (nft_table_add, nft_chain_add,
nft_rule_add, nft_table_del), each building a libnftnl object, appending
it to the batch and freeing it; one function per expression a rule is
made of.
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
#include "nft_int.h"


/* --- expressions ---------------------------------------------------- */

int nft_expr_add(struct nftnl_rule *r, const char *name,
    struct nftnl_expr **ep)
{
	if ((*ep = nftnl_expr_alloc(name)) == NULL)
		return -1;
	nftnl_rule_add_expr(r, *ep);	/* the rule owns it from here */
	return 0;
}

int nft_put_cmp(struct nftnl_rule *r, uint32_t op, const void *data,
    uint32_t len)
{
	struct nftnl_expr *e;

	if (nft_expr_add(r, "cmp", &e) < 0)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	return nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
}

/* reg1 = (reg1 & mask) ^ xor (len bytes, in register byte order). */
static int put_bitwise(struct nftnl_rule *r, const void *mask, const void *xor,
    uint32_t len)
{
	struct nftnl_expr *e;

	if (nft_expr_add(r, "bitwise", &e) < 0)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_OP, NFT_BITWISE_BOOL);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
	if (nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len) < 0)
		return -1;
	return nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, xor, len);
}

/* reg1 = reg1 & mask (len bytes, in register byte order). */
static int put_and(struct nftnl_rule *r, const void *mask, uint32_t len)
{
	static const uint8_t zero[4];

	return put_bitwise(r, mask, zero, len);
}

/* reg1 = meta KEY (dreg) or meta KEY = reg1 (sreg). */
static int put_meta(struct nftnl_rule *r, uint32_t key, int set)
{
	struct nftnl_expr *e;

	if (nft_expr_add(r, "meta", &e) < 0)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, set ? NFTNL_EXPR_META_SREG : NFTNL_EXPR_META_DREG,
	    NFT_REG_1);
	return 0;
}

/* reg1 = ct KEY (dreg) or ct KEY = reg1 (sreg). */
static int put_ct(struct nftnl_rule *r, uint32_t key, int set)
{
	struct nftnl_expr *e;

	if (nft_expr_add(r, "ct", &e) < 0)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
	nftnl_expr_set_u32(e, set ? NFTNL_EXPR_CT_SREG : NFTNL_EXPR_CT_DREG,
	    NFT_REG_1);
	return 0;
}

/* meta l4proto tcp: every rule has it, so ICMP errors of a TCP flow
 * (which share its conntrack, mark and counters) are never queued. */
int nft_put_l4proto_tcp(struct nftnl_rule *r)
{
	const uint8_t tcp = IPPROTO_TCP;

	if (put_meta(r, NFT_META_L4PROTO, 0) < 0)
		return -1;
	return nft_put_cmp(r, NFT_CMP_EQ, &tcp, sizeof(tcp));
}

/* tcp flags BIT: any packet with that flag set. */
int nft_put_tcp_flag(struct nftnl_rule *r, uint8_t bit)
{
	const uint8_t zero = 0;
	struct nftnl_expr *e;

	if (nft_expr_add(r, "payload", &e) < 0)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE,
	    NFT_PAYLOAD_TRANSPORT_HEADER);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, 13);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, 1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	if (put_and(r, &bit, 1) < 0)
		return -1;
	return nft_put_cmp(r, NFT_CMP_NEQ, &zero, 1);
}

/* ct mark & mask == mask */
static int put_ct_mark(struct nftnl_rule *r, uint32_t mask)
{
	if (put_ct(r, NFT_CT_MARK, 0) < 0 || put_and(r, &mask, sizeof(mask)) < 0)
		return -1;
	return nft_put_cmp(r, NFT_CMP_EQ, &mask, sizeof(mask));
}

/*
 * ct KEY & bit != 0: `ct status dying` (conntrack is deleting the
 * packet's entry), `ct state invalid` (it did not take the packet, or
 * has no entry).
 */
static int put_ct_bit(struct nftnl_rule *r, uint32_t key, uint32_t bit)
{
	uint32_t zero = 0;

	if (put_ct(r, key, 0) < 0 || put_and(r, &bit, sizeof(bit)) < 0)
		return -1;
	return nft_put_cmp(r, NFT_CMP_NEQ, &zero, sizeof(zero));
}

/* meta mark & bits != 0 */
static int put_meta_mark_any(struct nftnl_rule *r, uint32_t bits)
{
	uint32_t zero = 0;

	if (put_meta(r, NFT_META_MARK, 0) < 0 ||
	    put_and(r, &bits, sizeof(bits)) < 0)
		return -1;
	return nft_put_cmp(r, NFT_CMP_NEQ, &zero, sizeof(zero));
}

/*
 * ct packets lo-hi, both directions summed.  The counter is 64-bit host
 * order; nft compares it big-endian, so convert, as nft does.
 */
static int put_ct_packets(struct nftnl_rule *r, uint64_t lo, uint64_t hi)
{
	struct nftnl_expr *e;
	uint64_t v;

	if (put_ct(r, NFT_CT_PKTS, 0) < 0)
		return -1;
	if (nft_expr_add(r, "byteorder", &e) < 0)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_OP, NFT_BYTEORDER_HTON);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_LEN, sizeof(v));
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_SIZE, sizeof(v));
	v = htobe64(lo);
	if (nft_put_cmp(r, NFT_CMP_GTE, &v, sizeof(v)) < 0)
		return -1;
	v = htobe64(hi);
	return nft_put_cmp(r, NFT_CMP_LTE, &v, sizeof(v));
}

int nft_put_counter(struct nftnl_rule *r)
{
	struct nftnl_expr *e;

	return nft_expr_add(r, "counter", &e);
}

/*
 * queue num Q bypass: one queue per shard, so no balance and no fanout
 * in the statement itself (the shard jump did that).  Bypass: with no
 * reader, packets pass; FAIL_OPEN on the queue covers a full one.
 */
static int put_queue_native(struct nftnl_rule *r, uint16_t queue)
{
	struct nftnl_expr *e;

	if (nft_expr_add(r, "queue", &e) < 0)
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

	if (nft_expr_add(r, "target", &e) < 0)
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

	if (put_ct(r, NFT_CT_STATUS, 0) < 0 || put_and(r, &mask, sizeof(mask)) < 0)
		return -1;
	return nft_put_cmp(r, NFT_CMP_EQ, &zero, sizeof(zero));
}

int nft_put_verdict(struct nftnl_rule *r, int verdict, const char *chain)
{
	struct nftnl_expr *e;

	if (nft_expr_add(r, "immediate", &e) < 0)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
	if (chain != NULL &&
	    nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain) < 0)
		return -1;
	return 0;
}

/* log [prefix P] group N: the packet goes on at once, a copy comes to us. */
int nft_put_log(struct nftnl_rule *r, uint16_t group, const char *prefix)
{
	struct nftnl_expr *e;

	if (nft_expr_add(r, "log", &e) < 0)
		return -1;
	if (prefix != NULL && nftnl_expr_set_str(e, NFTNL_EXPR_LOG_PREFIX,
	    prefix) < 0)
		return -1;
	nftnl_expr_set_u16(e, NFTNL_EXPR_LOG_GROUP, group);
	return 0;
}

/* ct mark set ct mark | bits */
static int put_ct_mark_or(struct nftnl_rule *r, uint32_t bits)
{
	uint32_t keep = ~bits;

	return put_ct(r, NFT_CT_MARK, 0) < 0 ||
	    put_bitwise(r, &keep, &bits, sizeof(bits)) < 0 ||
	    put_ct(r, NFT_CT_MARK, 1) < 0 ? -1 : 0;
}

/* meta mark set meta mark | bits (set) or & ~bits (!set) */
static int put_meta_mark_bits(struct nftnl_rule *r, uint32_t bits, int set)
{
	uint32_t keep = ~bits, xor = set ? bits : 0;

	return put_meta(r, NFT_META_MARK, 0) < 0 ||
	    put_bitwise(r, &keep, &xor, sizeof(xor)) < 0 ||
	    put_meta(r, NFT_META_MARK, 1) < 0 ? -1 : 0;
}

/*
 * The shard of a packet: symhash mod N == i (both directions of a flow
 * hash alike), or with fanout jhash meta cpu mod N == i.
 */
int nft_put_shard_match(struct nftnl_rule *r, const struct nft_conf *conf,
    uint32_t i)
{
	struct nftnl_expr *e;

	if (conf->fanout && put_meta(r, NFT_META_CPU, 0) < 0)
		return -1;
	if (nft_expr_add(r, "hash", &e) < 0)
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
	return nft_put_cmp(r, NFT_CMP_EQ, &i, sizeof(i));
}

/* The match part of each rule kind; every kind starts with TCP. */
static int put_match(struct nftnl_rule *r, enum rule_kind kind,
    const struct nft_conf *conf)
{
	if (nft_put_l4proto_tcp(r) < 0)
		return -1;
	switch (kind) {
	case RULE_LOCAL_REJECT:
		if (nft_put_tcp_flag(r, 0x04) < 0)
			return -1;
		return put_ct_unconfirmed(r);
	case RULE_RST_MARK:
	case RULE_RST_UNMARK:
	case RULE_RST:
		return nft_put_tcp_flag(r, 0x04);
	case RULE_RST_INVALID:
		if (nft_put_tcp_flag(r, 0x04) < 0)
			return -1;
		return put_ct_bit(r, NFT_CT_STATE, NF_CT_STATE_INVALID_BIT);
	case RULE_RST_DELETED:
		if (nft_put_tcp_flag(r, 0x04) < 0)
			return -1;
		return put_ct_bit(r, NFT_CT_STATUS, IPS_DYING);
	case RULE_SYN:
		return nft_put_tcp_flag(r, 0x02);
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
		if (nft_put_log(r, sh->group, NULL) < 0)
			return -1;
		return nft_put_verdict(r, NF_ACCEPT, NULL);
	case RULE_LEARN:
		return nft_put_log(r, sh->group, NULL);
	case RULE_RST_UNMARK:
		return put_meta_mark_bits(r, conf->invalid_mark, 0);
	case RULE_RST_INVALID:
		if (conf->invalid_mark != 0)
			return put_meta_mark_bits(r, conf->invalid_mark, 1);
		return nft_put_log(r, sh->group, NFT_INVALID_PREFIX);
	case RULE_RST_DELETED:
		return nft_put_log(r, sh->group, NFT_DELETED_PREFIX);
	case RULE_RST_MARK:
		return put_ct_mark_or(r, conf->mark);
	default:
		return put_queue(r, sh->queue, qk);
	}
}

int nft_rule_enabled(enum rule_kind kind, const struct nft_conf *conf)
{
	switch (kind) {
	case RULE_LOCAL_REJECT:
		return conf->log_group != 0 && conf->log_rejects;
	case RULE_RST_MARK:
	case RULE_MARK:
		return conf->mark != 0;
	case RULE_RST_UNMARK:
		return conf->invalid_mark != 0;
	case RULE_RST_INVALID:
		return conf->invalid_mark != 0 || conf->log_group != 0;
	case RULE_SYN:
	case RULE_RST_DELETED:
		return conf->log_group != 0;
	case RULE_LEARN:
		return conf->log_group != 0 && conf->learn_packets != 0;
	default:
		return 1;
	}
}

/* --- objects ---------------------------------------------------------- */

int nft_table_add(struct nft_batch *b, uint8_t family, const char *name,
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
	snprintf(what, sizeof(what), "table %s %s", nft_family_name(family), name);
	/* EXCL: never adopt, update or flush a table we did not create. */
	nlh = nft_batch_hdr(b, NFT_MSG_NEWTABLE, family,
	    NLM_F_CREATE | NLM_F_EXCL, what);
	if (nlh == NULL)
		goto out;
	nftnl_table_nlmsg_build_payload(nlh, t);
	rc = nft_batch_next(b);
out:
	nftnl_table_free(t);
	return rc;
}

int nft_table_del(struct nft_batch *b, uint8_t family, const char *name)
{
	struct nftnl_table *t;
	struct nlmsghdr *nlh;
	char what[64];
	int rc = -1;

	if ((t = nftnl_table_alloc()) == NULL)
		return -1;
	if (nftnl_table_set_str(t, NFTNL_TABLE_NAME, name) < 0)
		goto out;
	snprintf(what, sizeof(what), "table %s %s", nft_family_name(family), name);
	if ((nlh = nft_batch_hdr(b, NFT_MSG_DELTABLE, family, 0, what)) == NULL)
		goto out;
	nftnl_table_nlmsg_build_payload(nlh, t);
	rc = nft_batch_next(b);
out:
	nftnl_table_free(t);
	return rc;
}

/* A base chain, policy accept, on def's hook at CHAIN_PRIO; with no
 * def->hook (a shard), a regular chain. */
int nft_chain_add(struct nft_batch *b, uint8_t family, const char *table,
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
	snprintf(what, sizeof(what), "chain %s %s %s", nft_family_name(family),
	    table, def->name);
	nlh = nft_batch_hdr(b, NFT_MSG_NEWCHAIN, family,
	    NLM_F_CREATE | NLM_F_EXCL, what);
	if (nlh == NULL)
		goto out;
	nftnl_chain_nlmsg_build_payload(nlh, c);
	rc = nft_batch_next(b);
out:
	nftnl_chain_free(c);
	return rc;
}

struct nftnl_rule *nft_rule_new(uint8_t family, const char *table,
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
int nft_rule_send(struct nft_batch *b, struct nftnl_rule *r, int ok,
    const char *what)
{
	struct nlmsghdr *nlh;
	int rc = -1;

	if (!ok)
		goto out;
	nlh = nft_batch_hdr(b, NFT_MSG_NEWRULE,
	    (uint8_t)nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY),
	    NLM_F_CREATE | NLM_F_APPEND, what);
	if (nlh == NULL)
		goto out;
	nftnl_rule_nlmsg_build_payload(nlh, r);
	rc = nft_batch_next(b);
out:
	nftnl_rule_free(r);
	return rc;
}

/* TCP match of kind, counter, action in shard sh: appended to chain. */
int nft_rule_add(struct nft_batch *b, uint8_t family, const char *table,
    const char *chain, enum rule_kind kind, const struct nft_conf *conf,
    const struct shard *sh, enum queue_kind qk)
{
	struct nftnl_rule *r;
	char what[64];

	if ((r = nft_rule_new(family, table, chain)) == NULL)
		return -1;
	snprintf(what, sizeof(what), "rule %s of chain %s %s %s",
	    rule_names[kind], nft_family_name(family), table, chain);
	return nft_rule_send(b, r, put_match(r, kind, conf) == 0 &&
	    nft_put_counter(r) == 0 && put_action(r, kind, conf, sh, qk) == 0, what);
}

/* meta mark & bits != 0 meta mark set meta mark & ~bits */
int nft_unmark_add(struct nft_batch *b, uint8_t family, const char *table,
    const char *chain, uint32_t bits)
{
	struct nftnl_rule *r;
	char what[64];

	if ((r = nft_rule_new(family, table, chain)) == NULL)
		return -1;
	snprintf(what, sizeof(what), "rule unmark of chain %s %s %s",
	    nft_family_name(family), table, chain);
	return nft_rule_send(b, r, put_meta_mark_any(r, bits) == 0 &&
	    put_meta_mark_bits(r, bits, 0) == 0, what);
}

/* meta l4proto tcp, shard i's match, counter, jump shard<i>. */
int nft_jump_add(struct nft_batch *b, uint8_t family, const char *table,
    const char *chain, const struct nft_conf *conf, uint32_t i)
{
	struct nftnl_rule *r;
	char what[64], target[16];

	if ((r = nft_rule_new(family, table, chain)) == NULL)
		return -1;
	snprintf(target, sizeof(target), "shard%u", i);
	snprintf(what, sizeof(what), "rule jump %s of chain %s %s %s", target,
	    nft_family_name(family), table, chain);
	return nft_rule_send(b, r, nft_put_l4proto_tcp(r) == 0 &&
	    nft_put_shard_match(r, conf, i) == 0 && nft_put_counter(r) == 0 &&
	    nft_put_verdict(r, NFT_JUMP, target) == 0, what);
}

struct shard nft_shard_of(const struct nft_conf *conf, uint32_t i)
{
	struct shard sh = {
		.queue = (uint16_t)(conf->queue_num + i),
		.group = conf->log_group ? (uint16_t)(conf->log_group + i) : 0,
	};

	return sh;
}
