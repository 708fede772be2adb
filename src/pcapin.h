/*
 * pcapin.h: frames from a capture file into the engine: pcap or pcapng
 * via libpcap, or classic pcap through our own reader (pcapmap.h).
 */
#ifndef RSTAUDIT_PCAPIN_H
#define RSTAUDIT_PCAPIN_H

#include <pcap/pcap.h>
#include <stdint.h>

#include "engine.h"
#include "pkt.h"

struct pcapmap;

struct pcapin_stats {
	uint64_t frames;		/* records read */
	uint64_t status[PKT_STATUS_MAX];/* what the parser made of them */
	uint64_t first_bad[2];		/* first truncated, first malformed */
	uint64_t bytes;			/* record headers and data read */
};

/* The link type we decode for libpcap's DLT_ value dlt: 0, or -1. */
int pcapin_link_type(int dlt, enum link_type *lt);

/*
 * The link type of an open capture, or -1 when we do not decode it
 * (*name then says which it is, e.g. "147 (USER0)", in name[64]).
 */
int pcapin_link(pcap_t *p, enum link_type *lt, char name[64]);

/*
 * Feed every record of p to eng.  Returns 0 at a clean end of file, or -1
 * when a record could not be read: err then holds libpcap's reason and
 * *offset the byte position where that record starts (pcapng: where
 * reading stopped; -1 where not known, as on a pipe); the bad record is
 * number st->frames + 1.
 */
int pcapin_run(pcap_t *p, enum link_type lt, struct engine *eng,
	       struct pcapin_stats *st, char *err, size_t errlen, long *offset);

/*
 * pcapin_run() over a file our own reader took (pcapmap_open() or
 * pcapmap_init()): the same frames, counts, error text and offset.
 */
int pcapin_run_map(struct pcapmap *m, struct engine *eng,
		   struct pcapin_stats *st, char *err, size_t errlen,
		   long *offset);

/*
 * What a live capture has ready (one pcap_dispatch()), into eng; with dump
 * not NULL each frame is written there too, so that its record number in
 * that file is the event's frame.  Returns pcap_dispatch()'s value.
 */
int pcapin_dispatch(pcap_t *p, enum link_type lt, struct engine *eng,
		    struct pcapin_stats *st, pcap_dumper_t *dump);

#endif
