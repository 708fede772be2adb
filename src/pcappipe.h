/*
 * pcappipe.h: pcapin_run_map() in two threads: one reads and parses the
 * mapped file, the caller's runs the engine (and so the output).
 */
#ifndef RSTAUDIT_PCAPPIPE_H
#define RSTAUDIT_PCAPPIPE_H

#include <stddef.h>

#include "engine.h"
#include "pcapin.h"

struct pcapmap;

/*
 * pcapin_run_map(), the same frames, events in the same order, counts,
 * error text and offset; it is what runs when no thread can be started.
 * The emit callback runs in the calling thread.
 */
int pcappipe_run(struct pcapmap *m, struct engine *eng,
		 struct pcapin_stats *st, char *err, size_t errlen,
		 long *offset);

#endif
