/*
 * nftload: install rstaudit's own table (src/nft.c, the defaults of
 * `rstaudit run`) without the owner flag, and exit, leaving it in place.
 *
 *	nftload
 *
 * rules/rstaudit.nft is the same table in nft syntax, but nft cannot
 * load it on a kernel without the native `queue` expression (ours): it
 * has no syntax for the xt NFQUEUE target that rstaudit falls back to.
 * bench/live.sh loads the table with this, so that the bare consumer and
 * `rstaudit run --no-install-rules` see the same rules and traffic.
 * Remove it with `nft delete table inet rstaudit`.
 */
#include <stdio.h>

#include "log.h"
#include "nft.h"

int main(void)
{
	struct nft_conf conf;
	struct nft_caps caps;
	struct nft_handle h;

	log_init(1, 0);
	nft_conf_default(&conf);
	conf.owner = 0;
	if (nft_detect(&caps) < 0 || nft_install(&conf, &caps, &h) < 0)
		return 1;
	printf("nftload: table installed (%s queue)\n",
	       caps.queue_native ? "native" : "xt NFQUEUE");
	return 0;	/* the socket closes; without the owner flag the table stays */
}
