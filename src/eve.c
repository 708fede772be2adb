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
	char addr[RST_ADDRSTRLEN], ts[40], cid[32], line[256], *l = line;
	FILE *fp = o->fp;

	l = output_put_str(l, "{\"timestamp\":\"");
	l = output_put_str(l, output_time_zone(e->ts_us, ts, "+0000"));
	*l++ = '"';
	if (e->live.valid && e->live.ct_known) {
		l = output_put_str(l, ",\"flow_id\":");
		l = output_put_uint(l, e->live.ct_id);
	}
	if (o->file) {
		l = output_put_str(l, ",\"pcap_cnt\":");
		l = output_put_uint(l, e->frame);
	}
	fwrite(line, 1, (size_t)(l - line), fp);
	if (o->file)
		eve_opt_str(fp, "pcap_filename", o->file);
	fputs(",\"event_type\":\"rst\"", fp);
	eve_opt_str(fp, "host", o->host);
	if (e->live.valid) {
		eve_opt_str(fp, "in_iface", e->live.in);
		eve_opt_str(fp, "out_iface", e->live.out);
	}
	/* 2 addresses, 3 numbers, a Community ID, 90 bytes of keys: < 230. */
	l = output_put_str(line, ",\"src_ip\":\"");
	l = output_put_str(l, rst_addr(p->family, p->src, addr));
	l = output_put_str(l, "\",\"src_port\":");
	l = output_put_uint(l, p->sport);
	l = output_put_str(l, ",\"dest_ip\":\"");
	l = output_put_str(l, rst_addr(p->family, p->dst, addr));
	l = output_put_str(l, "\",\"dest_port\":");
	l = output_put_uint(l, p->dport);
	l = output_put_str(l, ",\"proto\":\"TCP\",\"ip_v\":");
	l = output_put_uint(l, p->family);
	l = output_put_str(l, ",\"community_id\":\"");
	l = output_put_str(l, output_community_id(p, cid));
	*l++ = '"';
	fwrite(line, 1, (size_t)(l - line), fp);
}

void eve_rst_fields(FILE *fp, const struct rst_event *e)
{
	const struct pkt *p = &e->p;
	char fl[9], line[192], *l;

	fprintf(fp, "\"origin\":\"%s\",\"cause\":\"%s\",\"confidence\":%.2f",
		origin_names[e->v.origin], cause_names[e->v.cause],
		e->v.confidence);
	output_json_extras(fp, e);
	/* 7 numbers, flags, an action and 67 bytes of keys: < 140. */
	l = output_put_str(line, ",\"flags\":\"");
	l = output_put_str(l, output_flags(p->flags, fl));
	l = output_put_str(l, "\",\"seq\":");
	l = output_put_uint(l, p->seq);
	l = output_put_str(l, ",\"ack\":");
	l = output_put_uint(l, p->ack);
	l = output_put_str(l, ",\"ttl\":");
	l = output_put_uint(l, p->ttl);
	if (p->family == 4) {
		l = output_put_str(l, ",\"ipid\":");
		l = output_put_uint(l, p->ipid);
	}
	l = output_put_str(l, ",\"win\":");
	l = output_put_uint(l, p->win);
	l = output_put_str(l, ",\"len\":");
	l = output_put_uint(l, p->payload_len);
	l = output_put_str(l, ",\"action\":\"");
	l = output_put_str(l, output_action(e));
	*l++ = '"';
	fwrite(line, 1, (size_t)(l - line), fp);
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
