/*
 * text.c: one reset as a line of text, its evidence indented below it
 * (the default of `rstaudit analyze`, see output.h).
 *
 * Every name that came from outside (the capture file, the interfaces,
 * conntrack's state) is escaped: no name can start a line or move the
 * cursor.
 */
#include "output.h"
#include "policy.h"

/* addr:port, [addr]:port for IPv6. */
static void endpoint_put(struct obuf *b, const struct pkt *p, const char *addr,
			 uint16_t port)
{
	if (p->family == 6)
		obuf_putc(b, '[');
	obuf_puts(b, addr);
	if (p->family == 6)
		obuf_putc(b, ']');
	obuf_putc(b, ':');
	obuf_uint(b, port);
}

/* The hold of the suspect RST: "; held 1.2 ms until packet, ...". */
static void text_hold(struct obuf *b, const struct rst_policy *pp)
{
	/* %.1f: halves are rounded as their binary value says; printf's. */
	obuf_printf(b, "; held %.1f ms until ", pp->held_us / 1e3);
	obuf_puts(b, hold_end_names[pp->held]);
	obuf_puts(b, ", saw ");
	obuf_uint(b, pp->seen_pkts);
	obuf_puts(b, " packets");
	if (pp->changed)
		obuf_puts(b, ", changed the decision");
}

/* " rule 2 drop", " rule 1 would drop (dry-run)", " no rule", ... */
static void text_policy(struct obuf *b, const struct rst_policy *pp)
{
	obuf_puts(b, " policy ");
	obuf_puts(b, policy_mode_names[pp->mode]);
	if (pp->rule == 0 && pp->guarded) {
		obuf_puts(b, ": dropped in the kernel by the guard");
	} else if (pp->rule == 0) {
		obuf_puts(b, ": no rule");
	} else {
		obuf_puts(b, ": rule ");
		obuf_uint(b, pp->rule);
		obuf_puts(b, " (line ");
		obuf_uint(b, pp->line);
		obuf_puts(b, pp->would_drop ? ") would " : ") ");
		obuf_puts(b, policy_action_names[pp->action]);
		if (pp->bound)
			obuf_puts(b, ", stopped by max_drops_per_flow");
	}
	if (pp->has_mark) {
		obuf_puts(b, " mark 0x");
		obuf_hex(b, pp->mark, 0);
	}
	if (pp->guarded && pp->rule != 0)
		obuf_puts(b, ", its kind dropped in the kernel from now on");
	if (pp->held != HOLD_NONE && pp->held < HOLD_END_MAX)
		text_hold(b, pp);
}

/* " hook forward in eth0 out eth1 ct ESTABLISHED verdict accept ...", escaped. */
static void text_live(struct obuf *b, const struct rst_live *l)
{
	static const char *const label[] = { " hook ", " in ", " out ", " ct ",
					     " verdict " };
	const char *val[] = { l->hook_name, l->in[0] ? l->in : "-",
			      l->out[0] ? l->out : "-",
			      rst_ct_word(l), l->verdict };
	size_t i;

	for (i = 0; i < sizeof(val) / sizeof(val[0]); i++) {
		obuf_puts(b, label[i]);
		output_text_str(b, val[i], 0);
	}
	if (l->pcap_file != NULL) {
		obuf_puts(b, " pcap ");
		output_text_str(b, l->pcap_file, 0);
		obuf_puts(b, " frame ");
		obuf_uint(b, l->pcap_frame);
		obuf_puts(b, " (");
		obuf_uint(b, l->pcap_packets);
		obuf_puts(b, " packets)");
	}
	if (l->pol.valid)
		text_policy(b, &l->pol);
}

/* The first line: where, when, the RST's header and the verdict. */
static void text_head(const struct output *o, struct obuf *b,
		      const struct rst_event *e, const struct output_addrs *a)
{
	const struct pkt *p = &e->p;
	char fl[9], ts[40];

	if (o->file) {
		output_text_str(b, o->file, 0);
		obuf_putc(b, ':');
		obuf_uint(b, e->frame);
		obuf_putc(b, ' ');
	}
	obuf_puts(b, output_time(e->ts_us, ts));
	obuf_putc(b, ' ');
	endpoint_put(b, p, a->src, p->sport);
	obuf_puts(b, " > ");
	endpoint_put(b, p, a->dst, p->dport);
	obuf_putc(b, ' ');
	obuf_puts(b, output_flags(p->flags, fl));
	obuf_puts(b, " seq ");
	obuf_uint(b, p->seq);
	obuf_puts(b, " ack ");
	obuf_uint(b, p->ack);
	obuf_puts(b, " ttl ");
	obuf_uint(b, p->ttl);
	obuf_puts(b, ": ");
	obuf_puts(b, origin_names[e->v.origin]);
	obuf_putc(b, ' ');
	obuf_puts(b, cause_names[e->v.cause]);
	obuf_puts(b, " (confidence ");
	obuf_fixed2(b, e->v.confidence);
	obuf_putc(b, ')');
}

void text_write(const struct output *o, struct obuf *b,
		const struct rst_event *e, const struct output_addrs *a)
{
	char sentence[512];
	unsigned i;

	text_head(o, b, e, a);
	if (e->live.valid)
		text_live(b, &e->live);
	obuf_putc(b, '\n');
	for (i = 0; i < e->v.n_ev; i++) {
		obuf_puts(b, "    ");
		output_text_str(b, output_sentence(e, i, a, sentence), 1);
		obuf_putc(b, '\n');
	}
	if (e->flow_evicted)
		obuf_puts(b, "    " OUTPUT_EVICTED_SENTENCE "\n");
}
