/*
 * fuzz_file.c: libFuzzer target for whole capture files: libpcap's reader,
 * the parser, the engine with a tiny hold and small tables (so eviction,
 * early release and bursts run too), and both output formats.
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "output.h"
#include "pcapin.h"

static void emit(struct rst_event *e, void *arg)
{
	struct output *o = arg;

	o->fmt = OUT_TEXT;
	output_event(o, e);
	o->fmt = OUT_JSON;
	output_event(o, e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char errbuf[PCAP_ERRBUF_SIZE], err[PCAP_ERRBUF_SIZE];
	static FILE *devnull;
	struct pcapin_stats st;
	struct engine_conf c;
	struct engine *eng;
	struct output o;
	enum link_type lt;
	char name[64];
	long offset;
	FILE *fp;
	pcap_t *p;

	if (devnull == NULL)
		devnull = fopen("/dev/null", "w");
	fp = fmemopen((void *)data, size, "rb");
	if (fp == NULL)
		return 0;
	p = pcap_fopen_offline(fp, errbuf);	/* owns fp from here */
	if (p == NULL) {
		fclose(fp);
		return 0;
	}
	if (pcapin_link(p, &lt, name) == 0) {
		engine_conf_default(&c);
		c.max_flows = 16, c.max_hosts = 16, c.max_held = 4;
		c.hold_us = 1000;
		output_init(&o, devnull, OUT_TEXT);
		o.file = "fuzz";
		eng = engine_new(&c, emit, &o);
		if (eng) {
			memset(&st, 0, sizeof(st));
			pcapin_run(p, lt, eng, &st, err, sizeof(err), &offset);
			engine_flush(eng);
			engine_free(eng);
		}
	}
	pcap_close(p);
	return 0;
}
