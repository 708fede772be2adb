/*
 * output.h: one reset as a line of text (evidence indented below it) or
 * as one JSON object, and the closing summary.
 */
#ifndef RSTAUDIT_OUTPUT_H
#define RSTAUDIT_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "rst.h"

/*
 * OUT_JSON is the EVE-compatible JSON (eve.c), OUT_ECS the Elastic Common
 * Schema (ecs.c), OUT_LEGACY the keys before EVE (src, dst, ts, ...),
 * deprecated: kept for one release.
 */
enum out_format { OUT_TEXT, OUT_JSON, OUT_ECS, OUT_LEGACY, OUT_FORMAT_MAX };

extern const char *const out_format_names[OUT_FORMAT_MAX];

struct output {
	FILE *fp;
	enum out_format fmt;
	const char *file;	/* capture file name, or NULL (live mode) */
	const char *host;	/* the observer's name (live), or NULL */
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

/* "json"/"eve", "ecs", "legacy", "text" to a format; -1 if none of them. */
int output_format_parse(const char *name, enum out_format *fmt);

/* The EVE and ECS writers (eve.c, ecs.c): one event, one line. */
void eve_write(const struct output *o, const struct rst_event *e);
void ecs_write(const struct output *o, const struct rst_event *e);
/* The verdict and the RST's header fields, "origin":... to "action":... */
void eve_rst_fields(FILE *fp, const struct rst_event *e);

/* Pieces the JSON writers share (output.c). */
void output_json_str(FILE *fp, const char *s);
void output_json_evidence(FILE *fp, const struct rst_event *e);
void output_json_policy(FILE *fp, const struct rst_policy *pp);
/* "hops" to "rst_delay_ms", then "flow_evicted": eve's optional verdict fields. */
void output_json_extras(FILE *fp, const struct rst_event *e);
void output_json_ct(FILE *fp, const char *key, const struct rst_live *l);
void output_json_evpcap(FILE *fp, const struct rst_live *l);
/* "allowed", "blocked" or "would_block": what became of the RST. */
const char *output_action(const struct rst_event *e);

/* "RA", "R", "RPA": the TCP flags as letters. */
const char *output_flags(uint8_t flags, char buf[9]);

/* Community ID v1 (seed 0) of the RST's flow, "1:" and base64, in buf[32]. */
const char *output_community_id(const struct pkt *p, char buf[32]);

/* RFC 3339 UTC with microseconds, in buf[40]. */
const char *output_time(uint64_t ts_us, char buf[40]);
/* The same with another zone suffix: "+0000" is Suricata's (EVE). */
const char *output_time_zone(uint64_t ts_us, char buf[40], const char *zone);

/*
 * A line built in memory and written once, where fprintf() parsed its
 * format on every event: append str, or v in decimal, at o; the end.
 */
static inline char *output_put_str(char *o, const char *str)
{
	size_t n = strlen(str);

	memcpy(o, str, n);
	return o + n;
}

static inline char *output_put_uint(char *o, uint64_t v)
{
	char t[20];
	int n = 0;

	do
		t[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (n > 0)
		*o++ = t[--n];
	return o;
}

#endif
