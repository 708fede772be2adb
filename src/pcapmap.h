/*
 * pcapmap.h: classic pcap files read in place, from a buffer that is the
 * whole file (mapped with mmap(2) when it is a regular file), record by
 * record as libpcap's reader would hand them out.  Only the common case
 * is taken: version 2.4, micro- or nanosecond magic in either byte order,
 * a link type we decode; anything else is left to libpcap (pcapin.h).
 */
#ifndef RSTAUDIT_PCAPMAP_H
#define RSTAUDIT_PCAPMAP_H

#include <pcap/pcap.h>
#include <stddef.h>
#include <stdint.h>

#include "pkt.h"

struct pcapmap {
	const uint8_t	*buf;		/* the file, whole */
	size_t		 len;		/* its length */
	size_t		 off;		/* where the next record starts */
	uint32_t	 snaplen;	/* the file's, as libpcap adjusts it */
	int		 swapped;	/* written in the other byte order */
	int		 nsec;		/* nanosecond time stamps */
	enum link_type	 lt;
	void		*map;		/* what pcapmap_open mapped, or NULL */
	size_t		 maplen;
	size_t		 released;	/* pages before this given back */
};

/*
 * Take buf[0..len) as a classic pcap file: 0, or -1 when this reader
 * does not take it (too short for a file header, another format or
 * version, a link type we do not decode or with extra bits set), so that
 * libpcap reads it and says what it makes of it.  buf must outlive m.
 */
int pcapmap_init(struct pcapmap *m, const uint8_t *buf, size_t len);

/*
 * pcapmap_init() over the file name, mapped: 0, or -1 for libpcap's turn
 * (not a regular file, cannot be opened or mapped, or refused as above).
 */
int pcapmap_open(struct pcapmap *m, const char *name);

/* Unmap what pcapmap_open() mapped (nothing for a caller's buffer). */
void pcapmap_close(struct pcapmap *m);

/*
 * The next record: 1 with *h and *data (valid as long as the buffer),
 * 0 at a clean end of file, -1 with libpcap's words for the damage in
 * err[errlen] (the same rules and text as its pcap_next_packet(), with
 * time stamps in microseconds).
 */
int pcapmap_next(struct pcapmap *m, struct pcap_pkthdr *h,
		 const uint8_t **data, char *err, size_t errlen);

#endif
