/*
 * exitcode.h: rstaudit's exit statuses, the classes of failure
 * rstaudit(8) documents under EXIT STATUS.  Every command returns one
 * of these from its *_main(); nothing else calls exit() with a number.
 */
#ifndef RSTAUDIT_EXITCODE_H
#define RSTAUDIT_EXITCODE_H

enum exit_status {
	EXIT_OK = 0,		/* analyze: every file read to its end;
				 * run: stopped by a signal */
	EXIT_DAMAGED = 1,	/* a file ended in a damaged record */
	EXIT_NODAEMON = 1,	/* stats: no daemon answered */
	EXIT_USAGE = 2,		/* bad command line or configuration */
	EXIT_UNREADABLE = 3,	/* a file could not be opened or decoded */
	EXIT_NOOUTPUT = 3,	/* run: the event file cannot be opened */
	EXIT_INTERNAL = 4,	/* out of memory, or output could not be written */
	EXIT_SETUP = 4,		/* run: the queue, table or privileges failed */
	EXIT_INCOMPLETE = 5,	/* analyze: read to the end, but the flow
				 * table evicted some resets' flow history */
};

#endif
