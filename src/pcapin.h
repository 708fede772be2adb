/*
 * pcapin.h: frames from a capture file (pcap or pcapng, via libpcap) into
 * the engine.
 */
#ifndef RSTAUDIT_PCAPIN_H
#define RSTAUDIT_PCAPIN_H

#include <pcap/pcap.h>
#include <stdint.h>

#include "engine.h"
#include "pkt.h"

struct pcapin_stats {
	uint64_t frames;		/* records read */
	uint64_t status[PKT_STATUS_MAX];/* what the parser made of them */
	uint64_t first_bad;		/* first truncated or malformed frame */
};

/*
 * The link type of an open capture, or -1 when we do not decode it
 * (*name then says which it is).
 */
int pcapin_link(pcap_t *p, enum link_type *lt, const char **name);

/*
 * Feed every record of p to eng.  Returns 0 at a clean end of file, or -1
 * when a record could not be read: err then holds libpcap's reason and
 * *offset the byte position in the file (-1 where that is not known,
 * as on a pipe).
 */
int pcapin_run(pcap_t *p, enum link_type lt, struct engine *eng,
	       struct pcapin_stats *st, char *err, size_t errlen, long *offset);

#endif
