/*
 * pcapmap.c: classic pcap files read in place (see pcapmap.h).
 *
 * Results must not depend on which reader took a file, so every rule
 * below is libpcap 1.10's (sf-pcap.c: pcap_check_header() and
 * pcap_next_packet(), the savefile opened with microsecond precision),
 * down to the text of its errors.  What that reader does in cases we do
 * not take here (versions before 2.4, the "modified" magic, extended link
 * types) is left to it.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pcapin.h"
#include "pcapmap.h"

#define MAGIC_USEC	0xa1b2c3d4u
#define MAGIC_NSEC	0xa1b23c4du
#define FILE_HDR	24	/* magic, version, zone, sigfigs, snaplen, type */
#define RECORD_HDR	16	/* seconds, fraction, caplen, len */
#define LINKTYPE_RAW	101	/* raw IP in files; DLT_RAW is 12 or 14 */
#define LINKTYPE_EXT	0xfc000000u	/* FCS length and other extra bits */
/* libpcap's MAXIMUM_SNAPLEN: its max_snaplen_for_dlt() of every type we decode. */
#define MAX_SNAPLEN	262144u
#define RELEASE_STEP	(8u << 20)	/* a multiple of any page size */

static uint32_t pcapmap_u32(const struct pcapmap *m, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return m->swapped ? __builtin_bswap32(v) : v;
}

/*
 * The DLT that libpcap's linktype_to_dlt() gives for a file's link type,
 * or -1 for those we leave to it.  For the types we decode the values
 * agree but for raw IP; a file saying 12 (DLT_RAW as a LINKTYPE) is odd
 * enough to go to libpcap as well.
 */
static int pcapmap_dlt(uint32_t linktype)
{
	if (linktype & LINKTYPE_EXT)
		return -1;
	if (linktype == LINKTYPE_RAW)
		return DLT_RAW;
	if (linktype == DLT_RAW)
		return -1;
	return (int)linktype;
}

int pcapmap_init(struct pcapmap *m, const uint8_t *buf, size_t len)
{
	uint32_t magic, snaplen;
	uint16_t major, minor;
	int dlt;

	memset(m, 0, sizeof(*m));
	if (len < FILE_HDR)
		return -1;	/* libpcap says how short it is */
	m->buf = buf, m->len = len, m->off = FILE_HDR;
	memcpy(&magic, buf, sizeof(magic));
	if (magic != MAGIC_USEC && magic != MAGIC_NSEC) {
		magic = __builtin_bswap32(magic);
		if (magic != MAGIC_USEC && magic != MAGIC_NSEC)
			return -1;
		m->swapped = 1;
	}
	m->nsec = magic == MAGIC_NSEC;
	memcpy(&major, buf + 4, sizeof(major));
	memcpy(&minor, buf + 6, sizeof(minor));
	if (m->swapped)
		major = __builtin_bswap16(major), minor = __builtin_bswap16(minor);
	if (major != 2 || minor != 4)
		return -1;
	if ((dlt = pcapmap_dlt(pcapmap_u32(m, buf + 20))) < 0 ||
	    pcapin_link_type(dlt, &m->lt) < 0)
		return -1;
	/*
	 * pcap_adjust_snapshot(): none, or too large for an int, means the
	 * maximum; a length between the two stays, and decides which of its
	 * messages an insane record gets.
	 */
	snaplen = pcapmap_u32(m, buf + 16);
	m->snaplen = snaplen == 0 || snaplen > INT32_MAX ? MAX_SNAPLEN : snaplen;
	return 0;
}

int pcapmap_open(struct pcapmap *m, const char *name)
{
	struct stat sb;
	void *map;
	int fd;

	memset(m, 0, sizeof(*m));
	/*
	 * Opening a FIFO would let its writer go and take data libpcap then
	 * never sees, so look before opening; and never wait in open() for
	 * something swapped in meanwhile.
	 */
	if (stat(name, &sb) < 0 || !S_ISREG(sb.st_mode))
		return -1;
	if ((fd = open(name, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size < FILE_HDR ||
	    (uint64_t)sb.st_size > SIZE_MAX) {
		close(fd);
		return -1;
	}
	map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);	/* the mapping keeps the file */
	if (map == MAP_FAILED)
		return -1;
	if (pcapmap_init(m, map, (size_t)sb.st_size) < 0) {
		munmap(map, (size_t)sb.st_size);
		return -1;
	}
	/* Read once, front to back: read ahead, drop behind. */
	madvise(map, (size_t)sb.st_size, MADV_SEQUENTIAL);
	m->map = map, m->maplen = (size_t)sb.st_size;
	return 0;
}

void pcapmap_close(struct pcapmap *m)
{
	if (m->map != NULL)
		munmap(m->map, m->maplen);
	m->map = NULL;
}

/*
 * A mapped file's pages stay in our resident set once read, though they
 * are never read again: give back those a step or more behind the reader
 * (the frames in pcapin's ring are much closer; and a page touched again
 * would only be read back from the file).
 */
static void pcapmap_release(struct pcapmap *m)
{
	size_t upto;

	if (m->map == NULL || m->off - m->released < 2 * RELEASE_STEP)
		return;
	upto = (m->off / RELEASE_STEP - 1) * RELEASE_STEP;
	madvise((uint8_t *)m->map + m->released, upto - m->released,
		MADV_DONTNEED);
	m->released = upto;
}

int pcapmap_next(struct pcapmap *m, struct pcap_pkthdr *h,
		 const uint8_t **data, char *err, size_t errlen)
{
	const uint8_t *r = m->buf + m->off;
	size_t left = m->len - m->off;
	uint32_t caplen;

	pcapmap_release(m);
	if (left == 0)
		return 0;
	if (left < RECORD_HDR) {
		snprintf(err, errlen, "truncated dump file; tried to read %d "
			 "header bytes, only got %zu", RECORD_HDR, left);
		return -1;
	}
	/*
	 * Widened as libpcap 1.10 does: signed 32-bit fields in a file of
	 * our byte order, but unsigned once swapped (its SWAPLONG() gives
	 * an unsigned value): a fraction of 0xfc000064 is 4227858532, not
	 * -67108764.  The fuzz target found it.
	 */
	if (m->swapped) {
		h->ts.tv_sec = (time_t)pcapmap_u32(m, r);
		h->ts.tv_usec = (suseconds_t)pcapmap_u32(m, r + 4);
	} else {
		h->ts.tv_sec = (int32_t)pcapmap_u32(m, r);
		h->ts.tv_usec = (int32_t)pcapmap_u32(m, r + 4);
	}
	if (m->nsec)
		h->ts.tv_usec /= 1000;
	h->caplen = caplen = pcapmap_u32(m, r + 8);
	h->len = pcapmap_u32(m, r + 12);
	if (caplen > MAX_SNAPLEN) {
		if (caplen > m->snaplen)
			snprintf(err, errlen, "invalid packet capture length %u, "
				 "bigger than snaplen of %u", caplen, m->snaplen);
		else
			snprintf(err, errlen, "invalid packet capture length %u, "
				 "bigger than maximum of %u", caplen, MAX_SNAPLEN);
		return -1;
	}
	left -= RECORD_HDR;
	/*
	 * Longer than the file's snapshot length but sane: libpcap reads
	 * the snapshot length, skips the rest and hands out the part read;
	 * when the file ends first it names the length it was after.
	 */
	if (caplen > m->snaplen && left < m->snaplen) {
		snprintf(err, errlen, "truncated dump file; tried to read %u "
			 "captured bytes, only got %zu", m->snaplen, left);
		return -1;
	}
	if (left < caplen) {
		snprintf(err, errlen, "truncated dump file; tried to read %u "
			 "captured bytes, only got %zu", caplen, left);
		return -1;
	}
	if (caplen > m->snaplen)
		h->caplen = m->snaplen;
	*data = r + RECORD_HDR;
	m->off += RECORD_HDR + (size_t)caplen;
	return 1;
}
