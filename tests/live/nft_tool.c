/*
 * nft_tool: drive src/nft.c from tests/live/nft_test.sh.
 *
 *	nft_tool [-n] [-C caps] [-q num] [-t total] [-F] [-l learn] [-m mark]
 *	    command
 *
 *	detect	print what nft_detect() found, one key=value a line
 *	render	print the table in nft syntax (nft_render)
 *	run	install, print "ready", then remove on SIGTERM or SIGINT
 *		and print "removed"; exit 0 only if both worked
 *	leave	install and exit without removing (the owner flag decides)
 *
 *	-n	no owner flag	-F	fanout
 *	-C	pretend the kernel has only: native (the nft queue expression),
 *		inet (xt NFQUEUE in inet tables) or ip (in ip/ip6 tables only)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "nft.h"

static volatile sig_atomic_t quit, quiesce;
static const char *force_caps;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		quiesce = 1;
	else
		quit = 1;
}

static int usage(void)
{
	fprintf(stderr, "usage: nft_tool [-n] [-C native|inet|ip] [-q num] "
	    "[-t total] [-F] [-l learn] [-m mark] [-i invalid_mark] "
	    "detect|render|run|leave\n(run: SIGUSR1 quiesces, SIGTERM removes)\n");
	return 2;
}

static int cmd_detect(void)
{
	struct nft_caps caps;

	if (nft_detect(&caps) < 0)
		return 1;
	printf("queue_native=%d\ntable_owner=%d\ncompat_inet=%d\n"
	    "compat_ip=%d\n", caps.queue_native, caps.table_owner,
	    caps.compat_inet, caps.compat_ip);
	return 0;
}

/* Wait for SIGTERM or SIGINT, without a race; on SIGUSR1, quiesce h. */
static void wait_quit(struct nft_handle *h)
{
	sigset_t block, old;

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &old);
	while (!quit) {
		sigsuspend(&old);
		if (quiesce) {
			quiesce = 0;
			printf(nft_quiesce(h) == 0 ? "quiesced\n" :
			    "quiesce failed\n");
			fflush(stdout);
		}
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static int cmd_install(const struct nft_conf *conf, int hold)
{
	struct nft_handle h;
	struct nft_caps caps;
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	if (nft_detect(&caps) < 0)
		return 1;
	if (force_caps) {
		int owner = caps.table_owner;

		memset(&caps, 0, sizeof(caps));
		caps.table_owner = owner;
		caps.queue_native = strcmp(force_caps, "native") == 0;
		caps.compat_inet = strcmp(force_caps, "inet") == 0;
		caps.compat_ip = strcmp(force_caps, "ip") == 0;
	}
	if (nft_install(conf, &caps, &h) < 0)
		return 1;
	printf("ready pid %d owner %d\n", (int)getpid(), h.owned);
	fflush(stdout);
	if (!hold)
		return 0;	/* exit with the socket, and the table, open */
	wait_quit(&h);
	if (nft_remove(&h) < 0)
		return 1;
	printf("removed\n");
	return 0;
}

int main(int argc, char **argv)
{
	struct nft_conf conf;
	int ch;

	log_init(1, 0);
	nft_conf_default(&conf);
	while ((ch = getopt(argc, argv, "nC:q:t:Fl:m:i:")) != -1) {
		switch (ch) {
		case 'n': conf.owner = 0; break;
		case 'C': force_caps = optarg; break;
		case 'q': conf.queue_num = (uint16_t)strtoul(optarg, NULL, 0); break;
		case 't': conf.queue_total = (uint16_t)strtoul(optarg, NULL, 0); break;
		case 'F': conf.fanout = 1; break;
		case 'l': conf.learn_packets = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'm': conf.mark = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'i': conf.invalid_mark = (uint32_t)strtoul(optarg, NULL, 0); break;
		default: return usage();
		}
	}
	if (optind + 1 != argc)
		return usage();
	if (strcmp(argv[optind], "detect") == 0)
		return cmd_detect();
	if (strcmp(argv[optind], "render") == 0)
		return nft_render(&conf, stdout) < 0;
	if (strcmp(argv[optind], "run") == 0)
		return cmd_install(&conf, 1);
	if (strcmp(argv[optind], "leave") == 0)
		return cmd_install(&conf, 0);
	return usage();
}
