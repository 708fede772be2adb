/* run.h: the `rstaudit run` command, the live daemon. */
#ifndef RSTAUDIT_RUN_H
#define RSTAUDIT_RUN_H

/*
 * Exit statuses (with analyze.h's): 0 clean exit, 2 bad command line or
 * configuration (also -n on a bad file), 3 the event file cannot be
 * opened, 4 the queue, conntrack or nftables could not be set up, or a
 * queue failed while running.
 */
int run_main(int argc, char **argv);

#endif
