/*
 * pcapin.c: capture files through libpcap (see pcapin.h).
 */
#include <stdio.h>
#include <string.h>

#include "pcapin.h"

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
};

int pcapin_link(pcap_t *p, enum link_type *lt, const char **name)
{
	int dlt = pcap_datalink(p);
	size_t i;

	for (i = 0; i < sizeof(link_map) / sizeof(link_map[0]); i++) {
		if (link_map[i].dlt == dlt) {
			*lt = link_map[i].lt;
			return 0;
		}
	}
	*name = pcap_datalink_val_to_name(dlt);
	if (*name == NULL)
		*name = "unnamed";
	return -1;
}

struct pcapin_ctx {
	enum link_type lt;
	struct engine *eng;
	struct pcapin_stats *st;
};

static void pcapin_frame(u_char *arg, const struct pcap_pkthdr *h,
			 const u_char *bytes)
{
	struct pcapin_ctx *c = (struct pcapin_ctx *)arg;
	enum pkt_status s;
	struct pkt p;

	c->st->frames++;
	s = pkt_parse(&p, c->lt, bytes, h->caplen);
	c->st->status[s]++;
	if ((s == PKT_TRUNCATED || s == PKT_MALFORMED) && c->st->first_bad == 0)
		c->st->first_bad = c->st->frames;
	if (s == PKT_OK)
		engine_packet(c->eng, &p,
			      (uint64_t)h->ts.tv_sec * 1000000 + (uint64_t)h->ts.tv_usec,
			      c->st->frames);
}

int pcapin_run(pcap_t *p, enum link_type lt, struct engine *eng,
	       struct pcapin_stats *st, char *err, size_t errlen, long *offset)
{
	struct pcapin_ctx c = { lt, eng, st };
	int n;

	while ((n = pcap_dispatch(p, -1, pcapin_frame, (u_char *)&c)) > 0)
		;
	if (n == 0 || n == PCAP_ERROR_BREAK)
		return 0;
	snprintf(err, errlen, "%s", pcap_geterr(p));
	*offset = pcap_file(p) ? ftell(pcap_file(p)) : -1;
	return -1;
}
