/*
 * nft_int.h: what the files of the nftables adapter share (nft.h is its
 * public face).  nft.c: the socket, batches, detection, install and
 * removal; nftrule.c: the expressions and objects a table is built of;
 * nftguard.c: the guard's sets, rules and elements; nftrender.c: the
 * table in nft syntax.
 */
#ifndef RSTAUDIT_NFT_INT_H
#define RSTAUDIT_NFT_INT_H

#include <stdint.h>

#include <linux/netfilter.h>

#include "nft.h"

struct nlmsghdr;
struct mnl_socket;
struct mnl_nlmsg_batch;
struct nftnl_rule;
struct nftnl_expr;

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

/*
 * One priority after each base chain, a chain clears the invalid_mark
 * bit (nft.h) again: a queued packet resumes at the next hook entry,
 * after its verdict or failing open, so the bit never outlives the
 * table's own chains.
 */
#define UNMARK_PRIO	(CHAIN_PRIO + 1)
static const struct chain_def unmark_chains[] = {
	{ "input_unmark",	NF_INET_LOCAL_IN,	UNMARK_PRIO },
	{ "forward_unmark",	NF_INET_FORWARD,	UNMARK_PRIO },
	{ "output_unmark",	NF_INET_LOCAL_OUT,	UNMARK_PRIO },
};
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
	/*
	 * A RST conntrack did not take (out of window, or no entry) gets
	 * the invalid_mark bit in its packet mark, just before it is queued
	 * (or, with invalid_mark 0, a copy to the group with a prefix): the
	 * daemon reads conntrack's judgement there, not by asking.  Every
	 * RST's bit is cleared first, so only the table sets it.
	 */
	RULE_RST_UNMARK,
	RULE_RST_INVALID,
	RULE_RST_DELETED,	/* ... one that made conntrack delete its entry */
	RULE_MARK,	/* flows that had a RST: all of it, in order */
	RULE_RST,	/* RSTs without a conntrack entry to mark */
	RULE_SYN,	/* SYN and SYN/ACK, logged: TTL, IP ID, window, options */
	RULE_LEARN,	/* a flow's first packets, logged: baselines */
	RULE_NKINDS
};

static const char *const rule_names[RULE_NKINDS] = {
	[RULE_LOCAL_REJECT] = "local-reject",
	[RULE_RST_MARK] = "rst-mark",
	[RULE_RST_UNMARK] = "rst-unmark",
	[RULE_RST_INVALID] = "rst-invalid",
	[RULE_RST_DELETED] = "rst-deleted",
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

/* nft.c */
struct nlmsghdr *nft_batch_hdr(struct nft_batch *b, uint16_t type,
    uint8_t family, uint16_t flags, const char *what);
int nft_batch_next(struct nft_batch *b);
void nft_batch_reset(struct nft_batch *b, uint32_t seq);
int nft_batch_send(struct nft_batch *b, struct mnl_socket *nl, int commit);
const char *nft_family_name(uint8_t family);
int nft_conf_check(const struct nft_conf *conf);

/* nftrule.c */
int nft_chain_add(struct nft_batch *b, uint8_t family, const char *table,
    const struct chain_def *def);
int nft_expr_add(struct nftnl_rule *r, const char *name,
    struct nftnl_expr **ep);
int nft_jump_add(struct nft_batch *b, uint8_t family, const char *table,
    const char *chain, const struct nft_conf *conf, uint32_t i);
int nft_table_add(struct nft_batch *b, uint8_t family, const char *name,
    uint32_t flags);
int nft_table_del(struct nft_batch *b, uint8_t family, const char *name);
int nft_put_cmp(struct nftnl_rule *r, uint32_t op, const void *data,
    uint32_t len);
int nft_put_counter(struct nftnl_rule *r);
int nft_put_l4proto_tcp(struct nftnl_rule *r);
int nft_put_log(struct nftnl_rule *r, uint16_t group, const char *prefix);
int nft_put_shard_match(struct nftnl_rule *r, const struct nft_conf *conf,
    uint32_t i);
int nft_put_tcp_flag(struct nftnl_rule *r, uint8_t bit);
int nft_put_verdict(struct nftnl_rule *r, int verdict, const char *chain);
int nft_rule_add(struct nft_batch *b, uint8_t family, const char *table,
    const char *chain, enum rule_kind kind, const struct nft_conf *conf,
    const struct shard *sh, enum queue_kind qk);
int nft_rule_enabled(enum rule_kind kind, const struct nft_conf *conf);
int nft_unmark_add(struct nft_batch *b, uint8_t family, const char *table,
    const char *chain, uint32_t bits);
struct nftnl_rule *nft_rule_new(uint8_t family, const char *table,
    const char *chain);
int nft_rule_send(struct nft_batch *b, struct nftnl_rule *r, int ok,
    const char *what);
struct shard nft_shard_of(const struct nft_conf *conf, uint32_t i);

/* nftguard.c */
int nft_guard_build(struct nft_batch *b, uint8_t family,
    const struct nft_conf *conf);
const char *nft_guard_set(int v6);

#endif
