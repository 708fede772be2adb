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

#include "obuf.h"
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

/* The evidence of a RST whose flow the table had evicted (rst.h). */
#define OUTPUT_EVICTED_SENTENCE "this connection's earlier packets were " \
	"evicted from the flow table (too many connections at once): " \
	"judged without them"

/* The RST's source and destination as text, once per event. */
struct output_addrs {
	char src[RST_ADDRSTRLEN], dst[RST_ADDRSTRLEN];
};
void output_addrs(const struct rst_event *e, struct output_addrs *a);

/*
 * The writers of one event (eve.c, ecs.c, text.c), into the buffer that
 * output_event() writes out once; a holds e's addresses.
 */
void eve_write(const struct output *o, struct obuf *b,
	       const struct rst_event *e, const struct output_addrs *a);
void ecs_write(const struct output *o, struct obuf *b,
	       const struct rst_event *e, const struct output_addrs *a);
void text_write(const struct output *o, struct obuf *b,
		const struct rst_event *e, const struct output_addrs *a);
/* The verdict and the RST's header fields, "origin":... to "action":... */
void eve_rst_fields(struct obuf *b, const struct rst_event *e);

/*
 * Pieces the writers share (output.c).  A key is a string literal (""
 * key takes nothing else), with its quotes and colon: its length is the
 * compiler's, not a strlen() per field per event.
 */
/* key, then "value": a name, nothing to escape. */
#define output_json_name(b, key, value) \
	output_json_name_n((b), "" key, sizeof(key) - 1, (value))
/* key, then the JSON string of value. */
#define output_json_key_str(b, key, value) \
	output_json_key_str_n((b), "" key, sizeof(key) - 1, (value))
/* key, then v. */
#define output_json_uint(b, key, v) \
	output_json_uint_n((b), "" key, sizeof(key) - 1, (v))
void output_json_name_n(struct obuf *b, const char *key, size_t keylen,
			const char *value);
void output_json_key_str_n(struct obuf *b, const char *key, size_t keylen,
			   const char *value);
void output_json_uint_n(struct obuf *b, const char *key, size_t keylen,
			uint64_t v);
void output_json_str(struct obuf *b, const char *s);
/* The same, straight to a FILE (the report). */
void output_json_file(FILE *fp, const char *s);
/* A name as text, escaped (keep_bs: its backslashes are escapes already). */
void output_text_str(struct obuf *b, const char *s, int keep_bs);
/*
 * How many of the n bytes at s, from the first, need no escape: printable
 * ASCII (0x20 to 0x7e) other than q1 and q2 (0: no other).
 */
size_t output_plain_len(const char *s, size_t n, unsigned char q1,
			unsigned char q2);
/* Evidence item i of e as its sentence, in buf (evidence_format()'s). */
const char *output_sentence(const struct rst_event *e, unsigned i,
			    const struct output_addrs *a, char buf[512]);
void output_json_evidence(struct obuf *b, const struct rst_event *e,
			  const struct output_addrs *a);
void output_json_policy(struct obuf *b, const struct rst_policy *pp);
/* "hops" to "rst_delay_ms", then "flow_evicted": eve's optional verdict fields. */
void output_json_extras(struct obuf *b, const struct rst_event *e);
void output_json_ct(struct obuf *b, const char *key, const struct rst_live *l);
void output_json_evpcap(struct obuf *b, const struct rst_live *l);
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

#endif
