/* analyze.h: the `rstaudit analyze` command. */
#ifndef RSTAUDIT_ANALYZE_H
#define RSTAUDIT_ANALYZE_H

#include "exitcode.h"

struct pcapin_stats;

/* Log what the parser skipped in name's frames, and the totals (-v). */
void analyze_warn_frames(const char *name, const struct pcapin_stats *st);


/* Returns the worst of the files' exit statuses (exitcode.h). */
int analyze_main(int argc, char **argv);

#endif
