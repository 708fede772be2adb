/*
 * pcapin_int.h: what pcapin.c (one thread) and pcappipe.c (a reader
 * thread handing frames to the engine's) share.
 */
#ifndef RSTAUDIT_PCAPIN_INT_H
#define RSTAUDIT_PCAPIN_INT_H

#include <pcap/pcap.h>
#include <stdint.h>

#include "engine.h"
#include "pcapin.h"
#include "pkt.h"
#include "rst.h"

#define PCAP_FILE_HDR 24	/* classic pcap: file header, record header */
#define PCAP_RECORD_HDR 16

/* One frame parsed for the engine: what engine_packet_key() takes. */
struct pcapin_slot {
	struct pkt p;
	uint64_t key, ts_us, frame;
	uint8_t payload[RST_PAYLOAD_KEEP];
};

/* engine_prefetch() or engine_flow_key(). */
typedef uint64_t (*pcapin_key_fn)(const struct engine *, const struct pkt *);

/*
 * Count record h/bytes in st and parse it into s, with its flow key from
 * key(eng, ...): 1 when s is a TCP segment for the engine, 0 when the
 * record was only counted.  s->p.payload never points into bytes.
 */
int pcapin_fill(struct pcapin_slot *s, enum link_type lt,
		const struct engine *eng, pcapin_key_fn key,
		struct pcapin_stats *st, const struct pcap_pkthdr *h,
		const u_char *bytes);

/*
 * Every record of m to take(arg, ...), which must count it in st (by
 * pcapin_fill()), SIGBUS caught: 0 at a clean end of file, -1 with the
 * reason in err[errlen] and st counting the records before the bad one
 * (a file that shrank as well).  Not two at once (one jump buffer).
 */
int pcapin_read_map(struct pcapmap *m, struct pcapin_stats *st,
		    pcap_handler take, u_char *arg, char *err, size_t errlen);

#endif
