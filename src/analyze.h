/* analyze.h: the `rstaudit analyze` command. */
#ifndef RSTAUDIT_ANALYZE_H
#define RSTAUDIT_ANALYZE_H

/* Exit statuses of rstaudit (see rstaudit(8), EXIT STATUS). */
enum exit_status {
	EXIT_OK = 0,		/* every file read to its end */
	EXIT_DAMAGED = 1,	/* a file ended in a damaged record */
	EXIT_USAGE = 2,		/* bad command line or configuration */
	EXIT_UNREADABLE = 3,	/* a file could not be opened or decoded */
	EXIT_INTERNAL = 4,	/* out of memory, or output could not be written */
	EXIT_INCOMPLETE = 5,	/* read to the end, but the flow table evicted
				 * the history of some resets' flows */
};

int analyze_main(int argc, char **argv);

#endif
