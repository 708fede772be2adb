/*
 * output.h: one reset as a line of text (evidence indented below it) or
 * as one JSON object, and the closing summary.
 */
#ifndef RSTAUDIT_OUTPUT_H
#define RSTAUDIT_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rst.h"

enum out_format { OUT_TEXT, OUT_JSON };

struct output {
	FILE *fp;
	enum out_format fmt;
	const char *file;	/* capture file name, or NULL (live mode) */
	uint64_t events;
	uint64_t by[ORIGIN_MAX][CAUSE_MAX];
	/* For the summary, from the caller: flows the table evicted, the
	 * flow bound, and the events whose flow had been evicted. */
	uint64_t flows_evicted, rsts_evicted;
	uint32_t max_flows;
};

void output_init(struct output *o, FILE *fp, enum out_format fmt);

/* Write one event; counts it for the summary. */
void output_event(struct output *o, const struct rst_event *e);

/* The closing summary by origin and cause, and the flows evicted
 * (text mode only). */
void output_summary(struct output *o, uint64_t packets, unsigned files);

/*
 * str for a line of text, in buf: printable ASCII as it is, a backslash
 * doubled, any other byte as \xNN (cut to fit len).  Returns buf.
 */
const char *output_escape(const char *str, char *buf, size_t len);

/* "RA", "R", "RPA": the TCP flags as letters. */
const char *output_flags(uint8_t flags, char buf[9]);

/* Community ID v1 (seed 0) of the RST's flow, "1:" and base64, in buf[32]. */
const char *output_community_id(const struct pkt *p, char buf[32]);

/* RFC 3339 UTC with microseconds, in buf[40]. */
const char *output_time(uint64_t ts_us, char buf[40]);

#endif
