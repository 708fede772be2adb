/*
 * pcapin.c: capture files through libpcap or our own classic pcap reader
 * (see pcapin.h).
 */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "pcapin.h"
#include "pcapin_int.h"
#include "pcapmap.h"

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif

static const struct {
	int dlt;
	enum link_type lt;
} link_map[] = {
	{ DLT_EN10MB, LINK_ETHER },
	{ DLT_LINUX_SLL, LINK_SLL },
	{ DLT_LINUX_SLL2, LINK_SLL2 },
	{ DLT_RAW, LINK_RAW },
	{ DLT_IPV4, LINK_IPV4 },
	{ DLT_IPV6, LINK_IPV6 },
	{ DLT_NULL, LINK_NULL },
	{ DLT_LOOP, LINK_LOOP },
	{ DLT_PPP, LINK_PPP },
	{ DLT_PPP_SERIAL, LINK_PPP_HDLC },
	{ DLT_C_HDLC, LINK_CHDLC },
};

int pcapin_link_type(int dlt, enum link_type *lt)
{
	size_t i;

	for (i = 0; i < sizeof(link_map) / sizeof(link_map[0]); i++) {
		if (link_map[i].dlt == dlt) {
			*lt = link_map[i].lt;
			return 0;
		}
	}
	return -1;
}

int pcapin_link(pcap_t *p, enum link_type *lt, char name[64])
{
	int dlt = pcap_datalink(p);
	const char *dname;

	if (pcapin_link_type(dlt, lt) == 0)
		return 0;
	dname = pcap_datalink_val_to_name(dlt);
	snprintf(name, 64, "%d (%s)", dlt, dname ? dname : "unnamed");
	return -1;
}

/*
 * Frames wait in a small ring for PIPELINE-1 more frames to be parsed, so
 * that each one's flow entry is already on its way into the cache when the
 * engine looks it up.
 */
#define PIPELINE 8

struct pcapin_ctx {
	enum link_type lt;
	struct engine *eng;
	struct pcapin_stats *st;
	pcap_dumper_t *dump;		/* each frame read also goes there */
	unsigned head, n;
	struct pcapin_slot ring[PIPELINE];
};

static void pcapin_drain_one(struct pcapin_ctx *c)
{
	struct pcapin_slot *s = &c->ring[c->head];

	engine_packet_key(c->eng, &s->p, s->key, s->ts_us, s->frame);
	c->head = (c->head + 1) % PIPELINE;
	c->n--;
}

/*
 * The payload of a RST is copied: libpcap reuses its buffer for the next
 * record, and a mapped file may shrink under us (the engine must never
 * read the mapping: see pcapin_read_map()).
 */
int pcapin_fill(struct pcapin_slot *s, enum link_type lt,
		const struct engine *eng, pcapin_key_fn key,
		struct pcapin_stats *st, const struct pcap_pkthdr *h,
		const u_char *bytes)
{
	enum pkt_status ps;

	st->frames++;
	st->bytes += PCAP_RECORD_HDR + h->caplen;
	ps = pkt_parse(&s->p, lt, bytes, h->caplen);
	st->status[ps]++;
	if (ps != PKT_OK) {
		if ((ps == PKT_TRUNCATED || ps == PKT_MALFORMED) &&
		    st->first_bad[ps == PKT_MALFORMED] == 0)
			st->first_bad[ps == PKT_MALFORMED] = st->frames;
		return 0;
	}
	if (s->p.flags & TH_RST) {
		if (s->p.payload_caplen > RST_PAYLOAD_KEEP)
			s->p.payload_caplen = RST_PAYLOAD_KEEP;
		memcpy(s->payload, s->p.payload, s->p.payload_caplen);
		s->p.payload = s->payload;
	} else {
		s->p.payload = NULL;
		s->p.payload_caplen = 0;
	}
	s->ts_us = (uint64_t)h->ts.tv_sec * 1000000 + (uint64_t)h->ts.tv_usec;
	s->frame = st->frames;
	s->key = key(eng, &s->p);
	return 1;
}

/* One record, from either reader: counted, parsed, into the ring. */
static void pcapin_take(struct pcapin_ctx *c, const struct pcap_pkthdr *h,
			const u_char *bytes)
{
	if (c->n == PIPELINE)
		pcapin_drain_one(c);
	if (pcapin_fill(&c->ring[(c->head + c->n) % PIPELINE], c->lt, c->eng,
			engine_prefetch, c->st, h, bytes))
		c->n++;
}

static void pcapin_frame(u_char *arg, const struct pcap_pkthdr *h,
			 const u_char *bytes)
{
	struct pcapin_ctx *c = (struct pcapin_ctx *)arg;

	if (c->dump != NULL)
		pcap_dump((u_char *)c->dump, h, bytes);
	pcapin_take(c, h, bytes);
}

static void pcapin_init(struct pcapin_ctx *c, enum link_type lt,
			struct engine *eng, struct pcapin_stats *st)
{
	memset(c, 0, sizeof(*c));
	c->lt = lt, c->eng = eng, c->st = st;
}

static void pcapin_drain(struct pcapin_ctx *c)
{
	while (c->n > 0)
		pcapin_drain_one(c);
}

int pcapin_dispatch(pcap_t *p, enum link_type lt, struct engine *eng,
		    struct pcapin_stats *st, pcap_dumper_t *dump)
{
	struct pcapin_ctx c;
	int n;

	pcapin_init(&c, lt, eng, st);
	c.dump = dump;
	n = pcap_dispatch(p, -1, pcapin_frame, (u_char *)&c);
	pcapin_drain(&c);
	return n;
}

int pcapin_run(pcap_t *p, enum link_type lt, struct engine *eng,
	       struct pcapin_stats *st, char *err, size_t errlen, long *offset)
{
	struct pcapin_ctx c;
	int n;

	pcapin_init(&c, lt, eng, st);
	while ((n = pcap_dispatch(p, -1, pcapin_frame, (u_char *)&c)) > 0)
		;
	pcapin_drain(&c);
	if (n == 0 || n == PCAP_ERROR_BREAK)
		return 0;
	snprintf(err, errlen, "%s", pcap_geterr(p));
	/*
	 * In a classic pcap file the bad record starts where the good ones
	 * end; pcapng blocks vary, so there we can only say where libpcap
	 * stopped.
	 */
	if (pcap_major_version(p) == 2 && pcap_minor_version(p) == 4)
		*offset = (long)(PCAP_FILE_HDR + st->bytes);
	else
		*offset = pcap_file(p) ? ftell(pcap_file(p)) : -1;
	return -1;
}

/*
 * A mapped file cut short by another program (a capture ring reusing its
 * files, say) faults on the next page read: SIGBUS.  Reads of the mapping
 * happen only in pcapmap_next() and pcapin_fill(), before a frame is
 * handed to take's ring, so the jump out leaves the engine whole and the
 * frames before the one being read are still judged.  The signal goes to
 * the thread that faulted, the one that called sigsetjmp(): one reader
 * at a time.
 */
static sigjmp_buf pcapin_bus;

static void pcapin_on_bus(int sig)
{
	(void)sig;
	siglongjmp(pcapin_bus, 1);
}

int pcapin_read_map(struct pcapmap *m, struct pcapin_stats *st,
		    pcap_handler take, u_char *arg, char *err, size_t errlen)
{
	struct sigaction sa, old;
	struct pcap_pkthdr h;
	volatile uint64_t frames = 0, bytes = 0;	/* read after the jump */
	const uint8_t *data;
	int n;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = pcapin_on_bus;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(pcapin_bus, 1) != 0) {
		sigaction(SIGBUS, &old, NULL);
		st->frames = frames;	/* the record being read is not counted */
		st->bytes = bytes;
		snprintf(err, errlen, "the file shrank while it was read (cut "
			 "short by another program?)");
		return -1;
	}
	for (;;) {
		frames = st->frames, bytes = st->bytes;
		if ((n = pcapmap_next(m, &h, &data, err, errlen)) <= 0)
			break;
		take(arg, &h, data);
	}
	sigaction(SIGBUS, &old, NULL);
	return n;
}

int pcapin_run_map(struct pcapmap *m, struct engine *eng,
		   struct pcapin_stats *st, char *err, size_t errlen,
		   long *offset)
{
	struct pcapin_ctx c;
	int rc;

	pcapin_init(&c, m->lt, eng, st);
	rc = pcapin_read_map(m, st, pcapin_frame, (u_char *)&c, err, errlen);
	pcapin_drain(&c);
	if (rc == 0)
		return 0;
	/*
	 * Counted as pcapin_run() counts it, so that both readers name the
	 * same byte even after a record cut to the snapshot length.
	 */
	*offset = (long)(PCAP_FILE_HDR + st->bytes);
	return -1;
}
