/*
 * stats.c: the daemon's counters as text or Prometheus (see stats.h).
 *
 * One table, families[], says for every counter where its value lives,
 * its Prometheus name, type and help, and where it goes in the text: on
 * its queue's line, on the log group's, or summed over the queues on one
 * of the summary lines.  The text keeps the shape SIGUSR1 has always
 * logged ("queue 0: queued N, ...", "flows N, ..." last), so scripts that
 * read it keep working.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

enum kind {
	K_QUEUE,	/* uint64_t at off in struct stats_queue; per queue */
	K_QUEUE32,	/* uint32_t at off in struct stats_queue; per queue */
	K_LOG,		/* uint64_t at off in struct nfqueue_stats of the log */
	K_GLOBAL,	/* uint64_t at off in struct stats */
	K_PARSE,	/* per queue and parse status */
	K_RESETS,	/* per origin and cause */
	K_EVIDENCE,	/* uint64_t at off in struct evpcap_stats, when on */
	K_SYSLOG,	/* uint64_t at off in struct slog_stats, when on */
	K_POLICY,	/* uint64_t at off in struct enforce_stats, with a policy */
	K_RULE,		/* uint64_t at off in struct enforce_rule_stats, per rule */
	K_DEGRADED,	/* per degrade_cause, from s->degraded */
};

/* Where a family goes in the text, in this order ("flows" line last). */
enum line { L_POLICY, L_RULE, L_UNMATCHED, L_NONE, L_QUEUE, L_LOG,
	     L_ENGINE, L_CT, L_CAUSE, L_EVIDENCE, L_SYSLOG, L_DEGRADED, L_TOTAL,
	     L_MAX };

enum type { COUNTER, GAUGE };

struct family {
	const char	*name;		/* after "rstaudit_"; NULL: text only */
	enum type	 type;
	enum kind	 kind;
	size_t		 off;
	enum line	 line;
	const char	*text;		/* its words in the text; NULL: none;
					 * led by ";() ": its own separator */
	const char	*help;
};

#define Q(f)	K_QUEUE, offsetof(struct stats_queue, f)
#define Q32(f)	K_QUEUE32, offsetof(struct stats_queue, f)
#define LG(f)	K_LOG, offsetof(struct nfqueue_stats, f)
#define G(f)	K_GLOBAL, offsetof(struct stats, f)
#define EV(f)	K_EVIDENCE, offsetof(struct evpcap_stats, f)
#define SL(f)	K_SYSLOG, offsetof(struct slog_stats, f)
#define PO(f)	K_POLICY, offsetof(struct enforce_stats, f)
#define RU(f)	K_RULE, offsetof(struct enforce_rule_stats, f)

static const struct family families[] = {
	{ "policy_decided_total", COUNTER, PO(decided), L_POLICY, "decided",
	  "RSTs the policy decided." },
	{ "policy_dropped_total", COUNTER, PO(dropped), L_POLICY, "dropped",
	  "RSTs dropped." },
	{ "policy_would_drop_total", COUNTER, PO(would_drop), L_POLICY,
	  "would drop", "RSTs a dry run would have dropped." },
	{ "policy_bound_total", COUNTER, PO(bound), L_POLICY, "bound",
	  "Drops refused by max_drops_per_flow." },
	{ "policy_marked_total", COUNTER, PO(marked), L_POLICY, "marked",
	  "RSTs given a packet mark." },
	{ "policy_logged_total", COUNTER, PO(logged), L_POLICY, "logged",
	  "RSTs a log rule wrote." },
	{ "policy_held_total", COUNTER, PO(held), L_POLICY, "; held",
	  "Suspect RSTs held for more evidence." },
	{ NULL, GAUGE, PO(held_now), L_POLICY, " (now", NULL },
	{ NULL, COUNTER, PO(held_end[HOLD_PACKET]), L_POLICY, "packet", NULL },
	{ NULL, COUNTER, PO(held_end[HOLD_TIMER]), L_POLICY, "timer", NULL },
	{ NULL, COUNTER, PO(held_end[HOLD_RELEASED]), L_POLICY, "released", NULL },
	{ NULL, COUNTER, PO(held_end[HOLD_SHUTDOWN]), L_POLICY, "shutdown", NULL },
	{ NULL, COUNTER, PO(held_end[HOLD_FULL]), L_POLICY, "full", NULL },
	{ "policy_held_changed_total", COUNTER, PO(held_changed), L_POLICY,
	  "; changed", "Held RSTs whose decision the hold changed." },
	{ "policy_held_full_total", COUNTER, PO(held_full), L_POLICY,
	  "), no room", "Suspects decided at once: no room to hold them." },
	{ "policy_held_next_total", COUNTER, PO(held_next), L_POLICY,
	  "packets kept behind",
	  "Packets kept behind a held RST of their flow, in order." },
	{ "policy_ct_restored_total", COUNTER, PO(ct_restored), L_POLICY,
	  "; conntrack restored",
	  "Conntrack entries put back to ESTABLISHED after a drop." },
	{ "policy_ct_restore_failed_total", COUNTER, PO(ct_restore_failed),
	  L_POLICY, "failed", "Conntrack restores that failed." },
	{ "policy_guarded_total", COUNTER, PO(guarded), L_POLICY, "; guarded",
	  "Forgeries whose kind (addresses, ports, TTL) went to the kernel's guard." },
	{ "policy_guard_errors_total", COUNTER, PO(guard_errors), L_POLICY,
	  " (errors", "Forgeries the kernel's guard could not take (full set)." },
	{ "policy_guard_dropped_total", COUNTER, PO(guard_dropped), L_POLICY,
	  "), dropped by the guard",
	  "RSTs the kernel's guard dropped before the queue." },
	{ "policy_unmatched_total", COUNTER, PO(none.matched), L_UNMATCHED,
	  "matched", "RSTs no rule matched." },
	{ "policy_rule_matched_total", COUNTER, RU(matched), L_RULE, "matched",
	  "RSTs per rule: matched." },
	{ "policy_rule_dropped_total", COUNTER, RU(dropped), L_RULE, "dropped",
	  "RSTs per rule: dropped." },
	{ "policy_rule_would_drop_total", COUNTER, RU(would_drop), L_RULE,
	  "would drop", "RSTs per rule: would_drop." },
	{ "policy_rule_bound_total", COUNTER, RU(bound), L_RULE, "bound",
	  "RSTs per rule: bound." },

	{ "queue_packets_total", COUNTER, Q(q.queued), L_QUEUE, "queued",
	  "Packets the kernel handed to the daemon, per queue." },
	{ "queue_verdicts_total", COUNTER, Q(q.verdicts), L_QUEUE, "verdicts",
	  "Packets the daemon gave a verdict." },
	{ "queue_dropped_total", COUNTER, Q(q.dropped), L_QUEUE, "dropped",
	  "Verdicts that were drop." },
	{ "queue_verdict_batches_total", COUNTER, Q(q.batches), L_QUEUE, "batches",
	  "Batch verdict messages sent." },
	{ "queue_verdict_singles_total", COUNTER, Q(q.singles), L_QUEUE, "single",
	  "Single verdict messages sent." },
	{ "queue_failed_open_total", COUNTER, Q(q.failed_open), L_QUEUE, "failed open",
	  "Packets the kernel let pass unseen because the queue or socket was full." },
	{ "queue_enobufs_total", COUNTER, Q(q.enobufs), L_QUEUE, "ENOBUFS",
	  "ENOBUFS errors on the queue's socket." },
	{ "queue_bad_messages_total", COUNTER, Q(q.bad_msgs), L_QUEUE,
	  "undecodable messages", "Netlink messages the daemon could not decode." },
	{ "queue_verdict_errors_total", COUNTER, Q(q.verdict_errors), L_QUEUE,
	  "verdict errors", "Verdicts the kernel refused." },
	{ "queue_send_errors_total", COUNTER, Q(q.send_errors), L_QUEUE,
	  "send errors", "Verdict messages that could not be sent." },
	{ "queue_waiting", GAUGE, Q32(k.waiting), L_QUEUE, "waiting",
	  "Packets waiting in the kernel for a verdict." },
	{ "queue_kernel_id_sequence", GAUGE, Q32(k.id_sequence), L_QUEUE,
	  "id_sequence", "Last packet id the kernel gave out (wraps at 2^32)." },
	{ "queue_kernel_dropped_total", COUNTER, Q32(k.queue_dropped), L_QUEUE,
	  "queue_dropped", "Packets the kernel dropped, queue full (only without fail-open)." },
	{ "queue_kernel_user_dropped_total", COUNTER, Q32(k.user_dropped), L_QUEUE,
	  "user_dropped", "Packets the kernel dropped, socket full (only without fail-open)." },

	{ "nflog_packets_total", COUNTER, LG(queued), L_LOG, "logged",
	  "Packets read from the queue's NFLOG group: SYNs and first packets to learn from, this host's reject RSTs." },
	{ "nflog_lost_total", COUNTER, LG(failed_open), L_LOG, "lost",
	  "NFLOG messages lost (gaps in their sequence numbers)." },

	{ "engine_segments_total", COUNTER, Q(e.packets), L_ENGINE, "segments",
	  "TCP segments given to the engine." },
	{ "engine_copies_total", COUNTER, Q(e.copies), L_ENGINE, "copies",
	  "Forwarded copies of a segment already seen, skipped." },
	{ "engine_released_early_total", COUNTER, Q(e.released_early), L_ENGINE,
	  "released early", "RSTs judged before their hold ended: too many held." },
	{ "hosts", GAUGE, Q(e.hosts), L_ENGINE, "hosts",
	  "Addresses with a TTL and IP ID baseline." },
	{ "hosts_evicted_total", COUNTER, Q(e.hosts_evicted), L_ENGINE,
	  "hosts evicted", "Host baselines evicted, table full." },
	{ "packets_total", COUNTER, K_PARSE, 0, L_NONE, NULL,
	  "Queued packets by how they parsed (ok: a TCP segment)." },

	{ "conntrack_found_total", COUNTER, Q(c.found), L_CT, "found",
	  "Conntrack lookups that found the connection." },
	{ "conntrack_missing_total", COUNTER, Q(c.missing), L_CT, "missing",
	  "Conntrack lookups that found no entry." },
	{ "conntrack_errors_total", COUNTER, Q(c.errors), L_CT, "errors",
	  "Conntrack lookups that failed." },
	{ "conntrack_from_queue_total", COUNTER, Q(c.from_queue), L_CT, "from queue",
	  "Conntrack entries that came with the queued packet." },
	{ "conntrack_from_table_total", COUNTER, Q(c.from_table), L_CT, "from table",
	  "RSTs whose conntrack facts came from the table's notes alone (conntrack_view table)." },
	{ "conntrack_from_events_total", COUNTER, Q(c.from_view), L_CT, "from events",
	  "RSTs whose conntrack facts came from the view kept from conntrack's events." },
	{ "conntrack_view_fallbacks_total", COUNTER, Q(c.view_fallbacks), L_CT,
	  "view fallbacks", "RSTs the view could not answer (a dump unfinished, or an entry it did not hold yet): looked up." },
	{ "conntrack_events_total", COUNTER, Q(c.view_events), L_CT, "events",
	  "Conntrack events and dumped entries applied to the view." },
	{ "conntrack_events_lost_total", COUNTER, Q(c.view_lost), L_CT, "events lost",
	  "Times the event socket overran (ENOBUFS): the view was dumped again." },
	{ "conntrack_view_full_total", COUNTER, Q(c.view_full), L_CT, "view full",
	  "Entries the view refused, full (nf_conntrack_max raised after start)." },
	{ "conntrack_view_dumps_total", COUNTER, Q(c.view_dumps), L_CT, "dumps",
	  "Dumps of conntrack's table into the view: at start, and after a loss." },
	{ "conntrack_view_entries", GAUGE, Q(c.view_entries), L_CT, "view entries",
	  "TCP entries the view holds now." },
	{ "conntrack_invalid_notes_lost_total", COUNTER, Q(c.notes_lost), L_CT,
	  "invalid notes lost", "Notes that conntrack did not take a RST, overwritten before the RST was read (a flood failing open)." },

	{ NULL, COUNTER, K_RESETS, 0, L_CAUSE, "", NULL },

	{ "evidence_resets_total", COUNTER, EV(events), L_EVIDENCE, "resets",
	  "Resets written to evidence files with their flow." },
	{ "evidence_files_total", COUNTER, EV(files), L_EVIDENCE, "files",
	  "Evidence files created." },
	{ "evidence_files_removed_total", COUNTER, EV(removed), L_EVIDENCE,
	  "removed", "Evidence files removed to keep their number bounded." },
	{ "evidence_packets_total", COUNTER, EV(records), L_EVIDENCE, "packets",
	  "Packet records written to evidence files." },
	{ "evidence_bytes_total", COUNTER, EV(bytes), L_EVIDENCE, "bytes",
	  "Bytes written to evidence files." },
	{ "evidence_write_errors_total", COUNTER, EV(errors), L_EVIDENCE,
	  "write errors", "Evidence writes that failed (the reset is still reported)." },
	{ "evidence_lost_total", COUNTER, EV(lost), L_EVIDENCE,
	  "resets gone from the ring", "Resets whose packets had left the ring by their event." },

	{ "syslog_sent_total", COUNTER, SL(sent), L_SYSLOG, "sent",
	  "Syslog messages (syslog_target) the receiver took." },
	{ "syslog_dropped_total", COUNTER, SL(dropped), L_SYSLOG, "dropped",
	  "Syslog messages dropped: queue full, the receiver slow or gone." },
	{ "syslog_errors_total", COUNTER, SL(errors), L_SYSLOG, "errors",
	  "Syslog sends or connections that failed." },
	{ "syslog_queued", GAUGE, SL(queued), L_SYSLOG, "queued",
	  "Syslog messages waiting for the receiver." },

	{ "flows", GAUGE, Q(e.flows), L_TOTAL, "flows",
	  "Connections tracked now." },
	{ "flows_evicted_total", COUNTER, Q(e.flows_evicted), L_TOTAL, "evicted",
	  "Connections forgotten to make room, table full." },
	{ "flows_expired_total", COUNTER, Q(e.flows_expired), L_TOTAL, "expired",
	  "Connections forgotten after being idle." },
	{ "resets_total", COUNTER, K_RESETS, 0, L_TOTAL, "resets",
	  "RST events written, by origin and cause." },
	{ NULL, COUNTER, Q(bad), L_TOTAL, "truncated or malformed packets", NULL },
	{ "events_dropped_total", COUNTER, G(events_dropped), L_TOTAL,
	  "events dropped", "RST events not written: the writer thread's ring was full (a slow disk or receiver)." },
	{ "events_queued", GAUGE, G(events_queued), L_TOTAL, "events queued",
	  "RST events waiting for the writer thread." },
	{ "conntrack_lookups_total", COUNTER, Q(c.lookups), L_TOTAL,
	  "conntrack lookups", "Conntrack lookups sent (one per RST, without NFQA_CT)." },
	{ "conntrack_marked_total", COUNTER, Q(c.marked), L_TOTAL, "marked",
	  "RSTs whose connection carries the mark bit the table sets on a RST, so its next packets queue behind it." },

	{ "auditing_degraded", GAUGE, K_DEGRADED, 0, L_DEGRADED, "",
	  "1 while auditing degraded within the last minute, by cause: packets "
	  "failed open, ENOBUFS, NFLOG messages lost, flows evicted, evidence "
	  "lost, forgeries the guard refused, events dropped, conntrack events "
	  "lost." },
	{ "start_time_seconds", GAUGE, G(start_time), L_NONE, NULL,
	  "When the daemon started, in seconds since the epoch." },
};

#define NFAMILIES	(sizeof(families) / sizeof(families[0]))

const char *const degrade_names[DEG_MAX] = {
	[DEG_FAILED_OPEN] = "failed_open",
	[DEG_ENOBUFS] = "enobufs",
	[DEG_NFLOG_LOST] = "nflog_lost",
	[DEG_FLOWS_EVICTED] = "flows_evicted",
	[DEG_EVIDENCE_LOST] = "evidence_lost",
	[DEG_GUARD_REFUSED] = "guard_refused",
	[DEG_EVENTS_DROPPED] = "events_dropped",
	[DEG_CT_EVENTS_LOST] = "conntrack_events_lost",
};

void stats_degrade_totals(const struct stats *s, uint64_t tot[DEG_MAX])
{
	memset(tot, 0, DEG_MAX * sizeof(tot[0]));
	for (int i = 0; i < s->nq; i++) {
		const struct stats_queue *q = &s->q[i];

		tot[DEG_FAILED_OPEN] += q->q.failed_open;
		tot[DEG_ENOBUFS] += q->q.enobufs + q->log.enobufs;
		tot[DEG_NFLOG_LOST] += q->log.failed_open;
		tot[DEG_FLOWS_EVICTED] += q->e.flows_evicted;
		tot[DEG_CT_EVENTS_LOST] += q->c.view_lost + q->c.view_full;
	}
	if (s->has_evidence)
		tot[DEG_EVIDENCE_LOST] = s->ev.errors + s->ev.lost;
	tot[DEG_GUARD_REFUSED] = s->policy.guard_errors;
	tot[DEG_EVENTS_DROPPED] = s->events_dropped;
}

/* The text's summary lines, and their prefixes. */
static const char *const line_prefix[L_MAX] = {
	[L_UNMATCHED] = "policy no rule: ",
	[L_ENGINE] = "engine: ",
	[L_CT] = "conntrack: ",
	[L_CAUSE] = "resets by cause: ",
	[L_EVIDENCE] = "evidence: ",
	[L_SYSLOG] = "syslog: ",
	[L_DEGRADED] = "degraded in the last minute: ",
	[L_TOTAL] = "",
};

int stats_format_parse(const char *name, enum stats_format *fmt)
{
	if (strcmp(name, "text") == 0)
		*fmt = STATS_TEXT;
	else if (strcmp(name, "prometheus") == 0)
		*fmt = STATS_PROMETHEUS;
	else
		return -1;
	return 0;
}

/* family_sample() for the policy's kinds: nothing without a policy. */
static int policy_sample(const struct family *f, const struct stats *s,
			 int i, char *labels, size_t len, uint64_t *v)
{
	if (s->pol == NULL || i >= (f->kind == K_RULE ? s->pol->nrules : 1))
		return -1;
	if (f->kind == K_POLICY) {
		memcpy(v, (const char *)&s->policy + f->off, sizeof(*v));
		return 0;
	}
	snprintf(labels, len, "rule=\"%d\",line=\"%u\",action=\"%s\"",
		 i + 1, s->pol->rules[i].line,
		 policy_action_names[s->pol->rules[i].action]);
	memcpy(v, (const char *)&s->policy.rule[i] + f->off, sizeof(*v));
	return 0;
}

/*
 * Sample i of f: its labels (Prometheus syntax, no braces; "" for none)
 * and value.  Returns 0, 1 when there is none at i but may be after it
 * (a queue without an NFLOG group), or -1 past the last.
 */
static int family_sample(const struct family *f, const struct stats *s,
			 int i, char *labels, size_t len, uint64_t *v)
{
	const struct stats_queue *q;
	int n;

	labels[0] = '\0';
	switch (f->kind) {
	case K_QUEUE:
	case K_QUEUE32:
		if (i >= s->nq)
			return -1;
		q = &s->q[i];
		snprintf(labels, len, "queue=\"%u\"", q->qnum);
		if (f->kind == K_QUEUE)
			memcpy(v, (const char *)q + f->off, sizeof(*v));
		else
			*v = *(const uint32_t *)(const void *)((const char *)q + f->off);
		return 0;
	case K_LOG:
		if (i >= s->nq)
			return -1;
		q = &s->q[i];
		if (!q->has_log)
			return 1;	/* none here; others may have one */
		snprintf(labels, len, "group=\"%u\"", q->log_group);
		memcpy(v, (const char *)&q->log + f->off, sizeof(*v));
		return 0;
	case K_GLOBAL:
		if (i > 0)
			return -1;
		memcpy(v, (const char *)s + f->off, sizeof(*v));
		return 0;
	case K_PARSE:
		if (i >= s->nq * PKT_STATUS_MAX)
			return -1;
		q = &s->q[i / PKT_STATUS_MAX];
		n = i % PKT_STATUS_MAX;
		snprintf(labels, len, "queue=\"%u\",status=\"%s\"", q->qnum,
			 pkt_status_names[n]);
		*v = q->parse[n];
		return 0;
	case K_RESETS:
		if (i >= ORIGIN_MAX * CAUSE_MAX)
			return -1;
		snprintf(labels, len, "origin=\"%s\",cause=\"%s\"",
			 origin_names[i / CAUSE_MAX], cause_names[i % CAUSE_MAX]);
		*v = s->by[i / CAUSE_MAX][i % CAUSE_MAX];
		return 0;
	case K_EVIDENCE:
		if (i > 0 || !s->has_evidence)
			return -1;
		memcpy(v, (const char *)&s->ev + f->off, sizeof(*v));
		return 0;
	case K_SYSLOG:
		if (i > 0 || !s->has_syslog)
			return -1;
		memcpy(v, (const char *)&s->slog + f->off, sizeof(*v));
		return 0;
	case K_POLICY:
	case K_RULE:
		return policy_sample(f, s, i, labels, len, v);
	case K_DEGRADED:
		if (i >= DEG_MAX)
			return -1;
		snprintf(labels, len, "cause=\"%s\"", degrade_names[i]);
		*v = s->degraded[i];
		return 0;
	}
	return -1;
}

static uint64_t family_sum(const struct family *f, const struct stats *s)
{
	char labels[128];
	uint64_t v, sum = 0;
	int i, rc;

	for (i = 0; (rc = family_sample(f, s, i, labels, sizeof(labels), &v)) >= 0;
	     i++)
		if (rc == 0)
			sum += v;
	return sum;
}

static void prom_family(FILE *fp, const struct family *f, const struct stats *s)
{
	char labels[128];
	uint64_t v;
	int i, rc, n = 0;

	for (i = 0; (rc = family_sample(f, s, i, labels, sizeof(labels), &v)) >= 0;
	     i++) {
		if (rc > 0)
			continue;	/* no sample there */
		if (n++ == 0)
			fprintf(fp, "# HELP rstaudit_%s %s\n# TYPE rstaudit_%s %s\n",
				f->name, f->help, f->name,
				f->type == GAUGE ? "gauge" : "counter");
		if (labels[0] != '\0')
			fprintf(fp, "rstaudit_%s{%s} %" PRIu64 "\n", f->name,
				labels, v);
		else
			fprintf(fp, "rstaudit_%s %" PRIu64 "\n", f->name, v);
	}
}

/* The resets, by origin (endpoint first, as always) or by cause. */
static void text_resets(FILE *fp, const struct stats *s, enum line line)
{
	uint64_t sum;
	int a, c;

	if (line == L_CAUSE) {
		for (c = 0; c < CAUSE_MAX; c++) {
			for (sum = 0, a = 0; a < ORIGIN_MAX; a++)
				sum += s->by[a][c];
			fprintf(fp, "%s%s %" PRIu64, c ? ", " : "",
				cause_names[c], sum);
		}
		return;
	}
	fprintf(fp, "resets %" PRIu64, s->events);
	for (a = 1; a <= ORIGIN_MAX; a++) {
		for (sum = 0, c = 0; c < CAUSE_MAX; c++)
			sum += s->by[a % ORIGIN_MAX][c];
		fprintf(fp, ", %s %" PRIu64, origin_names[a % ORIGIN_MAX], sum);
	}
}

/* What a text line starts with: whose counters these are. */
static void text_prefix(FILE *fp, const struct stats *s, enum line line, int i)
{
	const struct policy *pol = s->pol;

	if (line == L_QUEUE)
		fprintf(fp, "queue %u: ", s->q[i].qnum);
	else if (line == L_LOG)
		fprintf(fp, "log group %u: ", s->q[i].log_group);
	else if (line == L_POLICY)
		fprintf(fp, "policy %s: ", policy_mode_names[pol->mode]);
	else if (line == L_RULE)
		fprintf(fp, "policy rule %d (line %u, %s): ", i + 1,
			pol->rules[i].line,
			policy_action_names[pol->rules[i].action]);
	else
		fputs(line_prefix[line], fp);
}

/*
 * One line: queue i's (L_QUEUE), rule i's (L_RULE), the log group's, or
 * a summary.
 */
static void text_line(FILE *fp, const struct stats *s, enum line line, int i)
{
	char labels[128];
	const struct family *f;
	uint64_t v;
	size_t k;
	int n = 0;

	text_prefix(fp, s, line, i);
	for (k = 0; k < NFAMILIES; k++) {
		f = &families[k];
		if (f->line != line || f->text == NULL)
			continue;
		if (strchr(";() ", f->text[0]) == NULL)
			fputs(n ? ", " : "", fp);
		n++;
		if (f->kind == K_RESETS) {
			text_resets(fp, s, line);
			continue;
		}
		if (f->kind == K_DEGRADED) {
			for (int c = 0; c < DEG_MAX; c++)
				fprintf(fp, "%s%s %" PRIu64, c ? ", " : "",
					degrade_names[c], s->degraded[c]);
			continue;
		}
		if (line == L_QUEUE || line == L_LOG || line == L_RULE)
			family_sample(f, s, i, labels, sizeof(labels), &v);
		else
			v = family_sum(f, s);
		fprintf(fp, "%s %" PRIu64, f->text, v);
	}
	fputc('\n', fp);
}

/* The policy's lines: its mode's, one per rule, the unmatched. */
static void text_policy(FILE *fp, const struct stats *s)
{
	int i;

	if (s->pol->mode == POLICY_AUDIT) {
		fprintf(fp, "policy audit: %u rule%s, not applied\n",
			s->pol->nrules, s->pol->nrules == 1 ? "" : "s");
		return;
	}
	text_line(fp, s, L_POLICY, 0);
	for (i = 0; i < s->pol->nrules; i++)
		text_line(fp, s, L_RULE, i);
	text_line(fp, s, L_UNMATCHED, 0);
}

/* The policy's families (policy: 1) or all the others (0). */
static void write_part(FILE *fp, const struct stats *s, enum stats_format fmt,
		       int policy)
{
	size_t i;
	int line;

	if (fmt == STATS_PROMETHEUS) {
		for (i = 0; i < NFAMILIES; i++)
			if (families[i].name != NULL &&
			    (families[i].line < L_NONE) == policy)
				prom_family(fp, &families[i], s);
	} else if (policy) {
		text_policy(fp, s);
	} else {
		for (i = 0; i < (size_t)s->nq; i++)
			text_line(fp, s, L_QUEUE, (int)i);
		for (i = 0; i < (size_t)s->nq; i++)
			if (s->q[i].has_log)
				text_line(fp, s, L_LOG, (int)i);
		for (line = L_ENGINE; line < L_MAX; line++)
			if ((line != L_EVIDENCE || s->has_evidence) &&
			    (line != L_SYSLOG || s->has_syslog))
				text_line(fp, s, (enum line)line, 0);
	}
}

int stats_write(FILE *fp, const struct stats *s, enum stats_format fmt)
{
	if (s->pol != NULL)
		write_part(fp, s, fmt, 1);
	write_part(fp, s, fmt, 0);
	return ferror(fp) ? -1 : 0;
}

int stats_write_policy(FILE *fp, const struct policy *pol,
		       const struct enforce_stats *st, enum stats_format fmt)
{
	struct stats *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return -1;
	s->pol = pol;
	s->policy = *st;
	write_part(fp, s, fmt, 1);
	free(s);
	return ferror(fp) ? -1 : 0;
}
