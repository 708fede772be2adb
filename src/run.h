/* run.h: the `rstaudit run` command, the live daemon. */
#ifndef RSTAUDIT_RUN_H
#define RSTAUDIT_RUN_H

#include "exitcode.h"

/*
 * Exit statuses (exitcode.h): EXIT_OK after a signal, EXIT_USAGE for a
 * bad command line or configuration (also -n on a bad file),
 * EXIT_NOOUTPUT when the event file cannot be opened, EXIT_SETUP when
 * the queue, conntrack or nftables could not be set up, or a queue
 * failed while running.
 */
int run_main(int argc, char **argv);

#endif
