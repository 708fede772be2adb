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

/* ,"key":"value" when value is set. */
static void eve_opt_str(FILE *fp, const char *key, const char *value)
{
	if (value == NULL || value[0] == '\0')
		return;
	fprintf(fp, ",\"%s\":", key);
	output_json_str(fp, value);
}

/* Who, where, when: the EVE header every event type shares. */
static void eve_header(const struct output *o, const struct rst_event *e)
{
	const struct pkt *p = &e->p;
	char src[RST_ADDRSTRLEN], dst[RST_ADDRSTRLEN], ts[40], cid[32];
	FILE *fp = o->fp;

	fprintf(fp, "{\"timestamp\":\"%s\"", output_time_zone(e->ts_us, ts, "+0000"));
	if (e->live.valid && e->live.ct_known)
		fprintf(fp, ",\"flow_id\":%u", e->live.ct_id);
	if (o->file) {
		fprintf(fp, ",\"pcap_cnt\":%llu", (unsigned long long)e->frame);
		eve_opt_str(fp, "pcap_filename", o->file);
	}
	fputs(",\"event_type\":\"rst\"", fp);
	eve_opt_str(fp, "host", o->host);
	if (e->live.valid) {
		eve_opt_str(fp, "in_iface", e->live.in);
		eve_opt_str(fp, "out_iface", e->live.out);
	}
	fprintf(fp, ",\"src_ip\":\"%s\",\"src_port\":%u,\"dest_ip\":\"%s\","
		"\"dest_port\":%u,\"proto\":\"TCP\",\"ip_v\":%u,"
		"\"community_id\":\"%s\"",
		rst_addr(p->family, p->src, src), p->sport,
		rst_addr(p->family, p->dst, dst), p->dport, p->family,
		output_community_id(p, cid));
}

void eve_rst_fields(FILE *fp, const struct rst_event *e)
{
	const struct pkt *p = &e->p;
	char fl[9];

	fprintf(fp, "\"origin\":\"%s\",\"cause\":\"%s\",\"confidence\":%.2f",
		origin_names[e->v.origin], cause_names[e->v.cause],
		e->v.confidence);
	output_json_extras(fp, e);
	fprintf(fp, ",\"flags\":\"%s\",\"seq\":%u,\"ack\":%u,\"ttl\":%u",
		output_flags(p->flags, fl), p->seq, p->ack, p->ttl);
	if (p->family == 4)
		fprintf(fp, ",\"ipid\":%u", p->ipid);
	fprintf(fp, ",\"win\":%u,\"len\":%u,\"action\":\"%s\"", p->win,
		p->payload_len, output_action(e));
}

/* "rst":{...}: the verdict, the RST's own header fields, the evidence. */
static void eve_rst(const struct output *o, const struct rst_event *e)
{
	FILE *fp = o->fp;

	fputs(",\"rst\":{", fp);
	eve_rst_fields(fp, e);
	if (e->live.valid) {
		eve_opt_str(fp, "hook", e->live.hook_name);
		eve_opt_str(fp, "verdict", e->live.verdict);
	}
	fputc(',', fp);
	output_json_evidence(fp, e);
	fputc('}', fp);
}

/* The live daemon's objects beside "rst": conntrack, policy, evidence file. */
static void eve_live(FILE *fp, const struct rst_live *l)
{
	output_json_ct(fp, "conntrack", l);
	if (l->pol.valid)
		output_json_policy(fp, &l->pol);
	output_json_evpcap(fp, l);
}

void eve_write(const struct output *o, const struct rst_event *e)
{
	eve_header(o, e);
	eve_rst(o, e);
	if (e->live.valid)
		eve_live(o->fp, &e->live);
	fputs("}\n", o->fp);
}
