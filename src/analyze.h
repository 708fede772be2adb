/* analyze.h: the `rstaudit analyze` command. */
#ifndef RSTAUDIT_ANALYZE_H
#define RSTAUDIT_ANALYZE_H

#include "exitcode.h"

/* Returns the worst of the files' exit statuses (exitcode.h). */
int analyze_main(int argc, char **argv);

#endif
