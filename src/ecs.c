/*
 * ecs.c: one reset as an Elastic Common Schema document, one line
 * (`--format ecs`, see output.h).
 *
 * ECS fields where ECS has one: @timestamp, event.* (kind "alert" for a
 * reset some other device forged, category network, type connection and
 * end, denied when it was dropped), source.*, destination.*, network.*,
 * observer.* with the ingress and egress interfaces, rule.* for the policy
 * rule; the rest of the verdict under rstaudit.*, with EVE's names.
 * tests/schema/ecs.py holds each field against its ECS definition.
 */
#include <string.h>

#include "output.h"
#include "policy.h"

#define ECS_VERSION "8.11.0"

/* event.*: what kind of event, and why. */
static void ecs_event(FILE *fp, const struct rst_event *e)
{
	const char *action = output_action(e);

	fprintf(fp, ",\"event\":{\"kind\":\"%s\",\"category\":[\"network\"],"
		"\"type\":[\"connection\",\"end\"%s],\"action\":\"tcp-reset\","
		"\"reason\":\"%s %s\",\"module\":\"rstaudit\","
		"\"dataset\":\"rstaudit.rst\"}",
		e->v.origin == ORIGIN_MIDDLEBOX ? "alert" : "event",
		strcmp(action, "blocked") == 0 ? ",\"denied\"" : "",
		origin_names[e->v.origin], cause_names[e->v.cause]);
}

/* source.*, destination.*, network.* */
static void ecs_flow(FILE *fp, const struct pkt *p)
{
	char src[RST_ADDRSTRLEN], dst[RST_ADDRSTRLEN], cid[32];

	fprintf(fp, ",\"source\":{\"ip\":\"%s\",\"port\":%u},"
		"\"destination\":{\"ip\":\"%s\",\"port\":%u},"
		"\"network\":{\"transport\":\"tcp\",\"type\":\"%s\","
		"\"iana_number\":\"6\",\"community_id\":\"%s\"}",
		rst_addr(p->family, p->src, src), p->sport,
		rst_addr(p->family, p->dst, dst), p->dport,
		p->family == 6 ? "ipv6" : "ipv4", output_community_id(p, cid));
}

/* ,"DIR":{"interface":{"name":...}} when the interface is known. */
static void ecs_iface(FILE *fp, const char *dir, const char *name)
{
	if (name[0] == '\0')
		return;
	fprintf(fp, ",\"%s\":{\"interface\":{\"name\":", dir);
	output_json_str(fp, name);
	fputs("}}", fp);
}

/* observer.*: this host, and where the RST came in and went out. */
static void ecs_observer(const struct output *o, const struct rst_event *e)
{
	FILE *fp = o->fp;

	fputs(",\"observer\":{\"product\":\"rstaudit\",\"vendor\":\"rstaudit\","
	      "\"type\":\"sensor\"", fp);
	if (o->host != NULL) {
		fputs(",\"hostname\":", fp);
		output_json_str(fp, o->host);
	}
	if (e->live.valid) {
		ecs_iface(fp, "ingress", e->live.in);
		ecs_iface(fp, "egress", e->live.out);
	}
	fputc('}', fp);
	if (e->live.valid && e->live.pol.valid && e->live.pol.rule)
		fprintf(fp, ",\"rule\":{\"id\":\"%u\",\"ruleset\":\"%s\","
			"\"name\":\"line %u\"}", e->live.pol.rule,
			policy_mode_names[e->live.pol.mode < POLICY_MODE_MAX ?
					  e->live.pol.mode : 0],
			e->live.pol.line);
}

/* rstaudit.*: the verdict and the RST's header, EVE's "rst" names. */
static void ecs_rstaudit(const struct output *o, const struct rst_event *e)
{
	FILE *fp = o->fp;

	fputs(",\"rstaudit\":{", fp);
	eve_rst_fields(fp, e);
	if (o->file) {
		fprintf(fp, ",\"pcap_cnt\":%llu,\"pcap_filename\":",
			(unsigned long long)e->frame);
		output_json_str(fp, o->file);
	}
	if (e->live.valid) {
		fputs(",\"hook\":", fp);
		output_json_str(fp, e->live.hook_name);
		fputs(",\"verdict\":", fp);
		output_json_str(fp, e->live.verdict);
		output_json_ct(fp, "conntrack", &e->live);
		if (e->live.pol.valid)
			output_json_policy(fp, &e->live.pol);
		output_json_evpcap(fp, &e->live);
	}
	fputc(',', fp);
	output_json_evidence(fp, e);
	fputc('}', fp);
}

void ecs_write(const struct output *o, const struct rst_event *e)
{
	char ts[40];

	fprintf(o->fp, "{\"@timestamp\":\"%s\",\"ecs\":{\"version\":\""
		ECS_VERSION "\"}", output_time(e->ts_us, ts));
	ecs_event(o->fp, e);
	ecs_flow(o->fp, &e->p);
	ecs_observer(o, e);
	ecs_rstaudit(o, e);
	fputs("}\n", o->fp);
}
