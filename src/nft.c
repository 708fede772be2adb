/*
 * nft.c: see nft.h (and nft_int.h for how the adapter is split).

The socket, batches of messages (one NLM_F_ACK each, so an error names
the object that caused it), detection, install, quiesce and removal.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
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
#include "nlok.h"


#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK	10
#endif

#define PROBE_TABLE	"rstaudit_probe"

const char *nft_family_name(uint8_t family)
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
void nft_batch_reset(struct nft_batch *b, uint32_t seq)
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
struct nlmsghdr *nft_batch_hdr(struct nft_batch *b, uint16_t type,
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

int nft_batch_next(struct nft_batch *b)
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
int nft_batch_send(struct nft_batch *b, struct mnl_socket *nl, int commit)
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
		for (nlh = (const struct nlmsghdr *)rbuf; nl_msg_ok(nlh, len);
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
	    nft_chain_add(b, family, PROBE_TABLE, &chains[1]) < 0 ||
	    nft_rule_add(b, family, PROBE_TABLE, chains[1].name, RULE_RST, conf,
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
	if (nft_batch_send(b, nl, 0) < 0)
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

/* --- install and remove ------------------------------------------------ */

void nft_conf_default(struct nft_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->queue_total = 1;
	conf->learn_packets = NFT_DEFAULT_LEARN;
	conf->mark = NFT_DEFAULT_MARK;
	conf->invalid_mark = NFT_DEFAULT_INVALID_MARK;
	conf->log_group = NFT_DEFAULT_LOG_GROUP;
	conf->log_rejects = 1;
	conf->guard = 1;
	conf->owner = 1;
}

int nft_conf_check(const struct nft_conf *conf)
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
	struct shard sh = nft_shard_of(conf, i);

	for (int k = 0; k < RULE_NKINDS; k++)
		if (nft_rule_enabled(k, conf) && nft_rule_add(b, family,
		    NFT_TABLE_NAME, chain, k, conf, &sh, qk) < 0)
			return -1;
	return 0;
}

/* The unmark chains, or with rules only (rules_only) their rules. */
static int unmark_build(struct nft_batch *b, uint8_t family,
    uint32_t invalid_mark, int rules_only)
{
	size_t c;

	for (c = 0; invalid_mark != 0 && c < NCHAINS; c++)
		if ((!rules_only && nft_chain_add(b, family, NFT_TABLE_NAME,
		    &unmark_chains[c]) < 0) || nft_unmark_add(b, family,
		    NFT_TABLE_NAME, unmark_chains[c].name, invalid_mark) < 0)
			return -1;
	return 0;
}

/*
 * The table: three base chains; with one queue they hold the rules,
 * with more each jumps to its shard's chain; then the unmark chains.
 */
static int nft_table_build(struct nft_batch *b, uint8_t family, uint32_t flags,
    const struct nft_conf *conf, enum queue_kind qk)
{
	uint32_t n = conf->queue_total > 1 ? conf->queue_total : 1;
	char name[16];

	if (nft_table_add(b, family, NFT_TABLE_NAME, flags) < 0)
		return -1;
	if (conf->guard && nft_guard_build(b, family, conf) < 0)
		return -1;
	for (size_t c = 0; c < NCHAINS; c++)
		if (nft_chain_add(b, family, NFT_TABLE_NAME, &chains[c]) < 0)
			return -1;
	if (n == 1) {
		for (size_t c = 0; c < NCHAINS; c++)
			if (shard_rules(b, family, chains[c].name, conf, 0, qk) < 0)
				return -1;
		return unmark_build(b, family, conf->invalid_mark, 0);
	}
	for (uint32_t i = 0; i < n; i++) {
		struct chain_def def = { name, NO_HOOK, 0 };

		snprintf(name, sizeof(name), "shard%u", i);
		if (nft_chain_add(b, family, NFT_TABLE_NAME, &def) < 0 ||
		    shard_rules(b, family, name, conf, i, qk) < 0)
			return -1;
	}
	for (size_t c = 0; c < NCHAINS; c++)
		for (uint32_t i = 0; i < n; i++)
			if (nft_jump_add(b, family, NFT_TABLE_NAME, chains[c].name,
			    conf, i) < 0)
				return -1;
	return unmark_build(b, family, conf->invalid_mark, 0);
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
	int saved, acct;

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
	acct = nft_rule_enabled(RULE_LEARN, conf) ? nft_ct_acct() : 1;
	h->seq = (uint32_t)time(NULL);
	if ((b = batch_new(h->seq)) == NULL || (h->nl = sock_open()) == NULL)
		goto fail_sys;
	for (int f = 0; f < h->nfamily; f++)
		if (nft_table_build(b, h->family[f], flags, conf, qk) < 0)
			goto fail_sys;
	if (nft_batch_send(b, h->nl, 1) < 0 || batch_first_err(b) >= 0) {
		saved = install_report(b);
		goto fail;
	}
	h->seq += b->n + 2;
	h->owned = flags != 0;
	h->invalid_mark = conf->invalid_mark;
	if (conf->guard) {
		pthread_mutex_init(&h->guard_mu, NULL);
		h->guard = b;		/* kept for the guard's elements */
		b = NULL;
	}
	log_info("nftables: table %s %s installed (%s, queue %u%s)",
	    plan_family(h), NFT_TABLE_NAME,
	    qk == QUEUE_NATIVE ? "nft queue" : "xt NFQUEUE", conf->queue_num,
	    h->owned ? ", owner" : "");
	if (acct != 1 && nft_ct_acct() == 1)
		log_info("nftables: conntrack's accounting is now on "
		    "(net.netfilter.nf_conntrack_acct 1), for the learning "
		    "rule's ct packets; the kernel keeps it on after rstaudit "
		    "stops");
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

int nft_ct_acct(void)
{
	char c = 0;
	int fd = open("/proc/sys/net/netfilter/nf_conntrack_acct",
	    O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (read(fd, &c, 1) != 1)
		c = 0;
	close(fd);
	return c == '0' ? 0 : c == '1' ? 1 : -1;
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
	snprintf(what, sizeof(what), "rules of table %s %s", nft_family_name(family),
	    table);
	if ((nlh = nft_batch_hdr(b, NFT_MSG_DELRULE, family, 0, what)) == NULL)
		goto out;
	nftnl_rule_nlmsg_build_payload(nlh, r);
	rc = nft_batch_next(b);
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
	/*
	 * The unmark rules come back in the same transaction: packets still
	 * queued get their verdicts after this, and must lose the bit too.
	 */
	for (int f = 0; f < h->nfamily; f++)
		if (rules_del(b, h->family[f], NFT_TABLE_NAME) < 0 ||
		    unmark_build(b, h->family[f], h->invalid_mark, 1) < 0)
			goto out;
	h->seq += (uint32_t)b->n + 2;
	if (nft_batch_send(b, h->nl, 1) < 0)
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
	if (nft_batch_send(b, h->nl, 1) < 0)
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
