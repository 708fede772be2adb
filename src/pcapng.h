/*
 * pcapng.h: the few pcapng blocks the evidence files need, encoded into a
 * caller's buffer (draft-ietf-opsawg-pcapng).
 *
 * Pure: bytes out, no I/O, no allocation.  Blocks are written in the host's
 * byte order, which the section header's byte-order magic announces; every
 * block is padded to 32 bits and ends with its own length, as readers
 * (libpcap, Wireshark) check.  Each encoder returns the bytes it wrote, or
 * 0 when the block does not fit in len (nothing useful is left in buf).
 */
#ifndef RSTAUDIT_PCAPNG_H
#define RSTAUDIT_PCAPNG_H

#include <stddef.h>
#include <stdint.h>

/*
 * Linux cooked v1: a 16-byte header with the direction and the protocol.
 * Not raw IP (101): libpcap 1.10 maps 101 to DLT_RAW (12) for the first
 * interface, then rejects every further interface of type 101 as
 * "different from the type of the first interface".  113 is the same
 * number in both spaces.
 */
#define PCAPNG_LINKTYPE_LINUX_SLL 113
#define PCAPNG_SLL_LEN		16
#define PCAPNG_SLL_HOST		0	/* sll_pkttype: sent to this host */
#define PCAPNG_SLL_OUTGOING	4	/* sent by this host */

/* epb_flags: the packet's direction (bits 0-1). */
#define PCAPNG_DIR_UNKNOWN	0
#define PCAPNG_DIR_IN		1
#define PCAPNG_DIR_OUT		2

/* Bytes an EPB takes: header, data (caplen, link header included)
 * padded, options, trailer. */
size_t	pcapng_epb_size(uint32_t caplen, size_t comment_len);

/* A Linux cooked v1 header for an IP packet (version from ip[0]). */
void	pcapng_sll(uint8_t hdr[PCAPNG_SLL_LEN], uint16_t pkttype,
	    uint8_t ip0);

/* Bytes an IDB with this name takes. */
size_t	pcapng_idb_size(size_t name_len);

/* The section header block; appl names the writer (shb_userappl). */
size_t	pcapng_shb(uint8_t *buf, size_t len, const char *appl);

/* An interface of link type linktype, snaplen, called name (if_name). */
size_t	pcapng_idb(uint8_t *buf, size_t len, uint16_t linktype,
	    uint32_t snaplen, const char *name);

/* The fields of one enhanced packet block. */
struct pcapng_pkt {
	uint32_t	 ifid;		/* the IDB's number in the section */
	uint64_t	 ts_us;		/* microseconds since the epoch */
	const uint8_t	*hdr;		/* a link header written first, or NULL */
	uint32_t	 hdrlen;
	const uint8_t	*data;
	uint32_t	 caplen;	/* bytes of data */
	uint32_t	 len;		/* the packet's length on the wire, from
					 * data on (the header adds hdrlen) */
	uint8_t		 dir;		/* PCAPNG_DIR_* (epb_flags) */
	const char	*comment;	/* opt_comment, or NULL */
};

size_t	pcapng_epb(uint8_t *buf, size_t len, const struct pcapng_pkt *p);

#endif
