/*
 * nftguard.c: the guard (nft.h): the sets of forgeries' signatures, the
rules that drop them before conntrack, and the elements the daemon adds.
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

const char *nft_guard_set(int v6)
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
	    nftnl_set_set_str(set, NFTNL_SET_NAME, nft_guard_set(v6)) < 0)
		goto out;
	nftnl_set_set_u32(set, NFTNL_SET_FAMILY, family);
	nftnl_set_set_u32(set, NFTNL_SET_FLAGS, NFT_SET_TIMEOUT);
	nftnl_set_set_u32(set, NFTNL_SET_KEY_TYPE, guard_key_type(v6));
	nftnl_set_set_u32(set, NFTNL_SET_KEY_LEN, guard_key_len(v6));
	nftnl_set_set_u32(set, NFTNL_SET_ID, id);
	nftnl_set_set_u32(set, NFTNL_SET_DESC_SIZE, NFT_GUARD_SIZE);
	nftnl_set_set_u64(set, NFTNL_SET_TIMEOUT, NFT_GUARD_TIMEOUT_MS);
	snprintf(what, sizeof(what), "set %s %s %s", nft_family_name(family),
	    NFT_TABLE_NAME, nft_guard_set(v6));
	nlh = nft_batch_hdr(b, NFT_MSG_NEWSET, family, NLM_F_CREATE | NLM_F_EXCL,
	    what);
	if (nlh == NULL)
		goto out;
	nftnl_set_nlmsg_build_payload(nlh, set);
	rc = nft_batch_next(b);
out:
	nftnl_set_free(set);
	return rc;
}

/* payload BASE at off, len bytes, into 32-bit register reg. */
static int put_load(struct nftnl_rule *r, uint32_t base, uint32_t off,
    uint32_t len, uint32_t reg)
{
	struct nftnl_expr *e;

	if (nft_expr_add(r, "payload", &e) < 0)
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
		if (nft_expr_add(r, "meta", &e) < 0)
			return -1;
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, NFT_META_NFPROTO);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
		if (nft_put_cmp(r, NFT_CMP_EQ, &nfproto, 1) < 0)
			return -1;
	}
	if (nft_put_l4proto_tcp(r) < 0 || nft_put_tcp_flag(r, 0x04) < 0 ||
	    put_load(r, N, v6 ? 8 : 12, alen, NFT_REG32_00) < 0 ||
	    put_load(r, T, 0, 2, NFT_REG32_00 + aw) < 0 ||
	    put_load(r, N, v6 ? 24 : 16, alen, NFT_REG32_00 + aw + 1) < 0 ||
	    put_load(r, T, 2, 2, NFT_REG32_00 + 2 * aw + 1) < 0 ||
	    put_load(r, N, v6 ? 7 : 8, 1, NFT_REG32_00 + 2 * aw + 2) < 0 ||
	    nft_expr_add(r, "lookup", &e) < 0)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG32_00);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, set_id);
	return nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, nft_guard_set(v6));
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
	struct shard sh = nft_shard_of(conf, i);
	struct nftnl_rule *r;
	char what[64];
	int ok;

	if ((r = nft_rule_new(family, NFT_TABLE_NAME, guard_chain.name)) == NULL)
		return -1;
	snprintf(what, sizeof(what), "rule %s of chain %s %s guard",
	    nft_guard_set(v6), nft_family_name(family), NFT_TABLE_NAME);
	ok = (conf->queue_total <= 1 || nft_put_shard_match(r, conf, i) == 0) &&
	    put_guard_match(r, family, v6, (uint32_t)(v6 + 1)) == 0 &&
	    nft_put_counter(r) == 0 &&
	    (sh.group == 0 || nft_put_log(r, sh.group, NULL) == 0) &&
	    nft_put_verdict(r, NF_DROP, NULL) == 0;
	return nft_rule_send(b, r, ok, what);
}

/* The guard chain, and per IP family of this table a set and its rules. */
int nft_guard_build(struct nft_batch *b, uint8_t family,
    const struct nft_conf *conf)
{
	uint32_t n = conf->queue_total > 1 ? conf->queue_total : 1;

	if (nft_chain_add(b, family, NFT_TABLE_NAME, &guard_chain) < 0)
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
	nftnl_set_set_str(set, NFTNL_SET_NAME, nft_guard_set(k->v6));
	nftnl_set_set_u32(set, NFTNL_SET_FAMILY, family);
	nftnl_set_elem_set(el, NFTNL_SET_ELEM_KEY, key, guard_key(k, key));
	nftnl_set_elem_set_u64(el, NFTNL_SET_ELEM_TIMEOUT, timeout_ms);
	nftnl_set_elem_add(set, el);		/* the set owns it now */
	pthread_mutex_lock(&h->guard_mu);
	b = h->guard;
	nft_batch_reset(b, h->seq);
	nlh = nft_batch_hdr(b, NFT_MSG_NEWSETELEM, family, NLM_F_CREATE,
	    "guard element");
	if (nlh != NULL) {
		nftnl_set_elems_nlmsg_build_payload(nlh, set);
		if (nft_batch_next(b) == 0 && nft_batch_send(b, h->nl, 1) == 0) {
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
