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
static void ecs_event(struct obuf *b, const struct rst_event *e)
{
	const char *action = output_action(e);

	output_json_name(b, ",\"event\":{\"kind\":",
			 e->v.origin == ORIGIN_MIDDLEBOX ? "alert" : "event");
	obuf_puts(b, ",\"category\":[\"network\"],\"type\":[\"connection\","
		  "\"end\"");
	if (strcmp(action, "blocked") == 0)
		obuf_puts(b, ",\"denied\"");
	obuf_puts(b, "],\"action\":\"tcp-reset\",\"reason\":\"");
	obuf_puts(b, origin_names[e->v.origin]);
	obuf_putc(b, ' ');
	obuf_puts(b, cause_names[e->v.cause]);
	obuf_puts(b, "\",\"module\":\"rstaudit\",\"dataset\":\"rstaudit.rst\"}");
}

/* source.*, destination.*, network.* */
static void ecs_flow(struct obuf *b, const struct pkt *p,
		     const struct output_addrs *a)
{
	char cid[32];

	output_json_name(b, ",\"source\":{\"ip\":", a->src);
	output_json_uint(b, ",\"port\":", p->sport);
	output_json_name(b, "},\"destination\":{\"ip\":", a->dst);
	output_json_uint(b, ",\"port\":", p->dport);
	output_json_name(b, "},\"network\":{\"transport\":\"tcp\",\"type\":",
			 p->family == 6 ? "ipv6" : "ipv4");
	output_json_name(b, ",\"iana_number\":\"6\",\"community_id\":",
			 output_community_id(p, cid));
	obuf_putc(b, '}');
}

/* ,"DIR":{"interface":{"name":...}} when the interface is known. */
static void ecs_iface(struct obuf *b, const char *dir, const char *name)
{
	if (name[0] == '\0')
		return;
	obuf_put(b, ",\"", 2);
	obuf_puts(b, dir);
	output_json_key_str(b, "\":{\"interface\":{\"name\":", name);
	obuf_put(b, "}}", 2);
}

/* rule.*: the policy rule that matched. */
static void ecs_rule(struct obuf *b, const struct rst_policy *pp)
{
	obuf_puts(b, ",\"rule\":{\"id\":\"");
	obuf_uint(b, pp->rule);
	output_json_name(b, "\",\"ruleset\":",
			 policy_mode_names[pp->mode < POLICY_MODE_MAX ?
					   pp->mode : 0]);
	output_json_uint(b, ",\"name\":\"line ", pp->line);
	obuf_put(b, "\"}", 2);
}

/* observer.*: this host, and where the RST came in and went out. */
static void ecs_observer(const struct output *o, struct obuf *b,
			 const struct rst_event *e)
{
	obuf_puts(b, ",\"observer\":{\"product\":\"rstaudit\","
		  "\"vendor\":\"rstaudit\",\"type\":\"sensor\"");
	if (o->host != NULL)
		output_json_key_str(b, ",\"hostname\":", o->host);
	if (e->live.valid) {
		ecs_iface(b, "ingress", e->live.in);
		ecs_iface(b, "egress", e->live.out);
	}
	obuf_putc(b, '}');
	if (e->live.valid && e->live.pol.valid && e->live.pol.rule)
		ecs_rule(b, &e->live.pol);
}

/* rstaudit.*: the verdict and the RST's header, EVE's "rst" names. */
static void ecs_rstaudit(const struct output *o, struct obuf *b,
			 const struct rst_event *e, const struct output_addrs *a)
{
	obuf_puts(b, ",\"rstaudit\":{");
	eve_rst_fields(b, e);
	if (o->file) {
		output_json_uint(b, ",\"pcap_cnt\":", e->frame);
		output_json_key_str(b, ",\"pcap_filename\":", o->file);
	}
	if (e->live.valid) {
		output_json_key_str(b, ",\"hook\":", e->live.hook_name);
		output_json_key_str(b, ",\"verdict\":", e->live.verdict);
		output_json_ct(b, "conntrack", &e->live);
		if (e->live.pol.valid)
			output_json_policy(b, &e->live.pol);
		output_json_evpcap(b, &e->live);
	}
	obuf_putc(b, ',');
	output_json_evidence(b, e, a);
	obuf_putc(b, '}');
}

void ecs_write(const struct output *o, struct obuf *b,
	       const struct rst_event *e, const struct output_addrs *a)
{
	char ts[40];

	output_json_name(b, "{\"@timestamp\":", output_time(e->ts_us, ts));
	obuf_puts(b, ",\"ecs\":{\"version\":\"" ECS_VERSION "\"}");
	ecs_event(b, e);
	ecs_flow(b, &e->p, a);
	ecs_observer(o, b, e);
	ecs_rstaudit(o, b, e, a);
	obuf_put(b, "}\n", 2);
}
