/*
 * main.c: rstaudit, who sent that TCP reset, and why.
 */
#include <stdio.h>
#include <string.h>

#include "analyze.h"
#include "ctl.h"
#include "exitcode.h"
#include "locate.h"
#include "report.h"
#include "run.h"
#include "watch.h"

#define RSTAUDIT_VERSION "0.1"

static void usage(FILE *fp)
{
	fprintf(fp,
		"usage: rstaudit analyze [--json | --format text|eve|ecs|legacy] [--hold SECONDS]\n"
		"                        [--max-flows N] [-v] FILE...\n"
		"       rstaudit report [--json] FILE...\n"
		"       rstaudit run [-dnv] [-c file] [-u user] [--json-file path]\n"
		"                    [--format eve|ecs|legacy] [--syslog]\n"
		"                    [--queue n] [--queues n] [--fanout] [--hold seconds]\n"
		"                    [--no-install-rules] [--control-socket path]\n"
		"       rstaudit watch -i interface [-w file] [--json] [--hold seconds]\n"
		"                      [-v] [filter]\n"
		"       rstaudit stats [-p] [-c file] [-s socket]\n"
		"       rstaudit locate [--json] [--no-raw] (--payload file | --text s |\n"
		"                       --from-event file) DEST PORT\n"
		"       rstaudit -n [-v] [-c file]   (check a configuration: run -n)\n"
		"       rstaudit --version\n"
		"See rstaudit(8).\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "analyze") == 0)
		return analyze_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "run") == 0)
		return run_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "locate") == 0)
		return locate_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "report") == 0)
		return report_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "watch") == 0)
		return watch_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "stats") == 0)
		return ctl_main(argc - 1, argv + 1);
	/* `rstaudit -n -c FILE`: the configuration check, as in ntpd -n. */
	if (strcmp(argv[1], "-n") == 0)
		return run_main(argc, argv);
	if (strcmp(argv[1], "--version") == 0) {
		printf("rstaudit %s\n", RSTAUDIT_VERSION);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	fprintf(stderr, "rstaudit: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
