/*
 * nftrender.c: the table in nft syntax (nft_render()).
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


/* --- nft syntax --------------------------------------------------------- */

static void render_match(enum rule_kind kind, const struct nft_conf *conf,
    FILE *fp)
{
	switch (kind) {
	case RULE_LOCAL_REJECT:
		fputs("tcp flags rst ct status ! confirmed", fp);
		break;
	case RULE_RST_MARK:
	case RULE_RST_UNMARK:
	case RULE_RST:
		fputs("tcp flags rst", fp);
		break;
	case RULE_SYN:
		fputs("tcp flags syn", fp);
		break;
	case RULE_RST_INVALID:
		fputs("tcp flags rst ct state invalid", fp);
		break;
	case RULE_RST_DELETED:
		fputs("tcp flags rst ct status dying", fp);
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
	case RULE_RST_UNMARK:
		fprintf(fp, "meta mark set meta mark & 0x%08x\n",
		    ~conf->invalid_mark);
		break;
	case RULE_RST_INVALID:
		if (conf->invalid_mark != 0) {
			fprintf(fp, "meta mark set meta mark | 0x%08x\n",
			    conf->invalid_mark);
			break;
		}
		/* FALLTHROUGH */
	case RULE_RST_DELETED:
		fprintf(fp, "log prefix \"%s\" group %u\n",
		    kind == RULE_RST_INVALID ? NFT_INVALID_PREFIX :
		    NFT_DELETED_PREFIX, sh->group);
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
	struct shard sh = nft_shard_of(conf, i);

	for (int k = 0; k < RULE_NKINDS; k++) {
		if (!nft_rule_enabled(k, conf))
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
		    "\t\ttimeout %um\n\t}\n\n", nft_guard_set(v6), key[v6],
		    NFT_GUARD_SIZE, NFT_GUARD_TIMEOUT_MS / 60000);
	fprintf(fp, "\tchain %s {\n\t\ttype filter hook prerouting priority "
	    "raw; policy accept;\n", guard_chain.name);
	for (int v6 = 0; v6 < 2; v6++) {
		for (uint32_t i = 0; i < n; i++) {
			struct shard sh = nft_shard_of(conf, i);

			fputs("\t\t", fp);
			if (n > 1)
				render_shard_match(conf, i, 0, fp);
			fprintf(fp, "tcp flags rst %s @%s counter ", key[v6],
			    nft_guard_set(v6));
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
	for (size_t c = 0; conf->invalid_mark != 0 && c < NCHAINS; c++)
		fprintf(fp, "\n\tchain %s {\n\t\ttype filter hook %s priority "
		    "mangle + 1; policy accept;\n\t\tmeta mark & 0x%08x != 0x00000000 "
		    "meta mark set meta mark & 0x%08x\n\t}\n",
		    unmark_chains[c].name, chains[c].name, conf->invalid_mark,
		    ~conf->invalid_mark);
	fputs("}\n", fp);
	if (ferror(fp)) {
		errno = EIO;
		return -1;
	}
	return 0;
}
