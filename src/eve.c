/*
 * eve.c: one reset as an EVE-compatible JSON line (see output.h).
 *
 * The names follow Suricata's EVE JSON, so that the pipelines that parse
 * EVE (Filebeat's suricata module, Vector, Fluent Bit, a SIEM) read the
 * flow without a parser of their own: timestamp, flow_id, pcap_cnt,
 * pcap_filename, event_type, host, in_iface, out_iface, src_ip, src_port,
 * dest_ip, dest_port, proto, ip_v, community_id; the verdict goes in an
 * "rst" object, as Suricata puts an alert's in "alert".  The conntrack,
 * policy and evidence-file objects stand beside it.  The JSON Schema is
 * tests/schema/rstaudit-eve.schema.json (installed in DOCDIR); rstaudit(8)
 * shows an example.
 */

#include "output.h"

/* key (a literal, as output_json_key_str()'s), then value, when it is set. */
#define eve_opt_str(b, key, value) \
	eve_opt_str_n((b), "" key, sizeof(key) - 1, (value))

static void eve_opt_str_n(struct obuf *b, const char *key, size_t keylen,
			  const char *value)
{
	if (value == NULL || value[0] == '\0')
		return;
	obuf_put(b, key, keylen);
	output_json_str(b, value);
}

/* Who, where, when: the EVE header every event type shares. */
static void eve_header(const struct output *o, struct obuf *b,
		       const struct rst_event *e, const struct output_addrs *a)
{
	const struct pkt *p = &e->p;
	char ts[40], cid[32];

	output_json_name(b, "{\"timestamp\":", output_time_zone(e->ts_us, ts, "+0000"));
	if (e->live.valid && rst_ct_has_id(&e->live))
		output_json_uint(b, ",\"flow_id\":", e->live.ct_id);
	if (o->file) {
		output_json_uint(b, ",\"pcap_cnt\":", e->frame);
		eve_opt_str(b, ",\"pcap_filename\":", o->file);
	}
	obuf_puts(b, ",\"event_type\":\"rst\"");
	eve_opt_str(b, ",\"host\":", o->host);
	if (e->live.valid) {
		eve_opt_str(b, ",\"in_iface\":", e->live.in);
		eve_opt_str(b, ",\"out_iface\":", e->live.out);
	}
	output_json_name(b, ",\"src_ip\":", a->src);
	output_json_uint(b, ",\"src_port\":", p->sport);
	output_json_name(b, ",\"dest_ip\":", a->dst);
	output_json_uint(b, ",\"dest_port\":", p->dport);
	output_json_uint(b, ",\"proto\":\"TCP\",\"ip_v\":", p->family);
	output_json_name(b, ",\"community_id\":", output_community_id(p, cid));
}

void eve_rst_fields(struct obuf *b, const struct rst_event *e)
{
	const struct pkt *p = &e->p;
	char fl[9];

	output_json_name(b, "\"origin\":", origin_names[e->v.origin]);
	output_json_name(b, ",\"cause\":", cause_names[e->v.cause]);
	obuf_puts(b, ",\"confidence\":");
	obuf_fixed2(b, e->v.confidence);
	output_json_extras(b, e);
	output_json_name(b, ",\"flags\":", output_flags(p->flags, fl));
	output_json_uint(b, ",\"seq\":", p->seq);
	output_json_uint(b, ",\"ack\":", p->ack);
	output_json_uint(b, ",\"ttl\":", p->ttl);
	if (p->family == 4)
		output_json_uint(b, ",\"ipid\":", p->ipid);
	output_json_uint(b, ",\"win\":", p->win);
	output_json_uint(b, ",\"len\":", p->payload_len);
	output_json_name(b, ",\"action\":", output_action(e));
}

/* "rst":{...}: the verdict, the RST's own header fields, the evidence. */
static void eve_rst(struct obuf *b, const struct rst_event *e,
		    const struct output_addrs *a)
{
	obuf_puts(b, ",\"rst\":{");
	eve_rst_fields(b, e);
	if (e->live.valid) {
		eve_opt_str(b, ",\"hook\":", e->live.hook_name);
		eve_opt_str(b, ",\"verdict\":", e->live.verdict);
	}
	obuf_putc(b, ',');
	output_json_evidence(b, e, a);
	obuf_putc(b, '}');
}

/* The live daemon's objects beside "rst": conntrack, policy, evidence file. */
static void eve_live(struct obuf *b, const struct rst_live *l)
{
	output_json_ct(b, "conntrack", l);
	if (l->pol.valid)
		output_json_policy(b, &l->pol);
	output_json_evpcap(b, l);
}

void eve_write(const struct output *o, struct obuf *b,
	       const struct rst_event *e, const struct output_addrs *a)
{
	eve_header(o, b, e, a);
	eve_rst(b, e, a);
	if (e->live.valid)
		eve_live(b, &e->live);
	obuf_put(b, "}\n", 2);
}
