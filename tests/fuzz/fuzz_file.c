/*
 * fuzz_file.c: libFuzzer target for whole capture files: libpcap's reader
 * and, where it takes the input, our classic pcap reader (pcapmap.h) fed
 * the same bytes; the parser, the engine with a tiny hold and small tables
 * (so eviction, early release and bursts run too), and both output
 * formats.  The two readers must agree on everything they report, events
 * included: a difference aborts, as a crash would.
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "output.h"
#include "pcapin.h"
#include "pcapmap.h"

/* What one reader made of the input. */
struct run {
	struct pcapin_stats st;
	char err[PCAP_ERRBUF_SIZE];
	long offset;
	int rc;
	char *out;			/* the events, text and JSON */
	size_t outlen;
};

static void emit(struct rst_event *e, void *arg)
{
	struct output *o = arg;

	o->fmt = OUT_TEXT;
	output_event(o, e);
	o->fmt = OUT_JSON;
	output_event(o, e);
}

/* The input through libpcap (p) or our reader (m), into r. */
static void fuzz_run(pcap_t *p, struct pcapmap *m, enum link_type lt,
		     struct run *r)
{
	struct engine_conf c;
	struct engine *eng;
	struct output o;
	FILE *fp;

	memset(r, 0, sizeof(*r));
	r->offset = -1;
	if ((fp = open_memstream(&r->out, &r->outlen)) == NULL)
		abort();
	engine_conf_default(&c);
	c.max_flows = 16, c.max_hosts = 16, c.max_held = 4;
	c.hold_us = 1000;
	output_init(&o, fp, OUT_TEXT);
	o.file = "fuzz";
	if ((eng = engine_new(&c, emit, &o)) == NULL)
		abort();
	if (p != NULL)
		r->rc = pcapin_run(p, lt, eng, &r->st, r->err, sizeof(r->err),
				   &r->offset);
	else
		r->rc = pcapin_run_map(m, eng, &r->st, r->err, sizeof(r->err),
				       &r->offset);
	engine_flush(eng);
	engine_free(eng);
	fclose(fp);
}

static void fuzz_compare(const struct run *a, const struct run *b)
{
	if (a->rc != b->rc || a->offset != b->offset ||
	    strcmp(a->err, b->err) != 0 ||
	    memcmp(&a->st, &b->st, sizeof(a->st)) != 0 ||
	    a->outlen != b->outlen || memcmp(a->out, b->out, a->outlen) != 0) {
		fprintf(stderr, "readers differ: libpcap rc %d offset %ld '%s' "
			"frames %llu; mmap rc %d offset %ld '%s' frames %llu\n",
			a->rc, a->offset, a->err, (unsigned long long)a->st.frames,
			b->rc, b->offset, b->err, (unsigned long long)b->st.frames);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char errbuf[PCAP_ERRBUF_SIZE], name[64];
	struct run lib, map;
	struct pcapmap m;
	enum link_type lt;
	int mapped;
	FILE *fp;
	pcap_t *p;

	mapped = pcapmap_init(&m, data, size) == 0;
	fp = fmemopen((void *)data, size, "rb");
	if (fp == NULL)
		return 0;
	p = pcap_fopen_offline(fp, errbuf);	/* owns fp from here */
	if (p == NULL) {
		fclose(fp);
		if (mapped)
			abort();	/* we took what libpcap refuses */
		return 0;
	}
	if (pcapin_link(p, &lt, name) < 0) {
		pcap_close(p);
		if (mapped)
			abort();
		return 0;
	}
	fuzz_run(p, NULL, lt, &lib);
	pcap_close(p);
	if (mapped) {
		if (m.lt != lt)
			abort();
		fuzz_run(NULL, &m, lt, &map);
		fuzz_compare(&lib, &map);
		free(map.out);
	}
	free(lib.out);
	return 0;
}
