/*
 * rst.h: one TCP reset, what surrounded it, and the verdict on it.
 *
 * The engine fills an rst_event when a RST arrives (the packet and a copy
 * of both sides' flow state at that moment), keeps adding what happens on
 * the flow during the hold window, then asks the classifier for the
 * verdict.  Live-mode facts ride along in rst_event.live.
 */
#ifndef RSTAUDIT_RST_H
#define RSTAUDIT_RST_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "flow.h"
#include "host.h"
#include "pkt.h"
#include "rstdelay.h"

enum origin {
	ORIGIN_UNKNOWN,
	ORIGIN_ENDPOINT,
	ORIGIN_LOCAL,
	ORIGIN_MIDDLEBOX,
	ORIGIN_MAX
};
extern const char *const origin_names[ORIGIN_MAX];

enum cause {
	CAUSE_UNKNOWN,
	CAUSE_REFUSED,
	CAUSE_ABORT,
	CAUSE_AFTER_FIN,
	CAUSE_STALE,
	CAUSE_REJECT,
	CAUSE_INJECTED,
	CAUSE_MAX
};
extern const char *const cause_names[CAUSE_MAX];

/* The kinds of evidence; evidence_format() turns each into a sentence. */
enum ev_kind {
	EV_TTL_MATCH,		/* a: baseline ttl lo, b: hi */
	EV_TTL_CLOSER,		/* a: baseline ttl, b: hops closer */
	EV_TTL_FARTHER,		/* a: baseline ttl, b: hops farther */
	EV_TTL_INIT_DIFFERS,	/* a: baseline ttl, b: baseline initial ttl */
	EV_NO_BASELINE,		/* nothing else from the sender in view */
	EV_LOCAL_OUT,		/* left this host with its initial TTL */
	EV_DATA_AFTER,		/* a: delay us, b: payload bytes */
	EV_PACKET_AFTER,	/* a: delay us, b: packets */
	EV_REPLY_AFTER,		/* a: delay us: the genuine SYN/ACK */
	EV_SEQ_BURST,		/* a: RSTs, b: spread of their seq */
	EV_IPID_SERIES,		/* a: last IP ID of the sender */
	EV_IPID_OFF_SERIES,	/* a: last IP ID of the sender */
	EV_IPID_ZERO,		/* stateless generation */
	EV_IPID_COPIED,		/* a: the trigger's IP ID */
	EV_WIN_COPIED,		/* a: the trigger's window */
	EV_WIN_NONZERO,		/* a RST with a window (Linux sends 0) */
	EV_ACK_IS_SYN,		/* acks the SYN's own seq, not SYN+1 */
	EV_ANSWERS_SYN,		/* answers a SYN, no SYN/ACK before */
	EV_FIN_BEFORE,		/* a: which side (0 sender, 1 receiver) */
	EV_STATELESS,		/* RST without ACK, seq = the trigger's ack */
	EV_SENDER_RESET,	/* the sender had already reset this flow */
	EV_NO_FLOW,		/* no earlier packet of this connection */
	EV_NO_SENDER,		/* the receiver talked, the sender never did */
	EV_ACCEPT_EXACT,	/* seq = receiver's next: it takes effect */
	EV_ACCEPT_WINDOW,	/* a: offset: challenge ACK (RFC 5961) */
	EV_ACCEPT_NO,		/* a: offset: outside the window, ignored */
	EV_ACCEPT_SYN,		/* acks the SYN: a SYN-SENT stack accepts */
	EV_PAYLOAD,		/* carries payload (printed from the event) */
	EV_TS_OPTION,		/* carries timestamps, a: tsval */
	EV_DF_DIFFERS,		/* a: RST's DF */
	EV_MADE_HERE,		/* live: left by the output path, not forwarded */
	EV_SEQ_BEHIND,		/* a: sender's next seq, b: bytes behind it */
	EV_BURST_TTL,		/* a: lowest, b: highest TTL in the burst */
	EV_IPID_FIXED,		/* a: the IP ID, b: RSTs carrying it */
	EV_TS_SERIES,		/* a: the sender's last tsval */
	EV_SYNSENT_ACK,		/* a: the ack it answers, b: SYN+1 */
	EV_NEW_SYN,		/* a: delay us of the SYN that began anew */
	EV_DATA_BELOW,		/* a: delay us, b: bytes of new data below its seq */
	EV_IPID_REPEAT,		/* the sender's own last IP ID, again */
	EV_BURST_RACED,		/* another RST of its burst is raced */
	EV_MAX
};

struct evidence {
	uint8_t kind;		/* enum ev_kind */
	int64_t a, b;
};

#define VERDICT_MAX_EV 16

struct verdict {
	uint8_t origin;		/* enum origin */
	uint8_t cause;		/* enum cause */
	uint8_t n_ev;
	int16_t hops;		/* -1: unknown */
	int16_t expected_hops;	/* -1: unknown */
	float confidence;
	struct evidence ev[VERDICT_MAX_EV];
};

#define RST_PAYLOAD_KEEP 64	/* payload bytes kept for the evidence */

/*
 * What the daemon's policy did with a queued RST (policy.h, enforce.h).
 * valid is 0 in audit mode, where the policy is not applied.
 */
enum hold_end {
	HOLD_NONE,		/* decided at once */
	HOLD_PACKET,		/* a packet of the flow settled it */
	HOLD_TIMER,		/* suspect_hold ran out */
	HOLD_RELEASED,		/* its event was written first */
	HOLD_SHUTDOWN,		/* the daemon stopped */
	HOLD_FULL,		/* no room to keep the flow's next packet behind it */
	HOLD_END_MAX
};
extern const char *const hold_end_names[HOLD_END_MAX];

struct rst_policy {
	uint8_t valid;
	uint8_t mode;		/* enum policy_mode */
	uint8_t action;		/* enum policy_action of the rule; accept if none */
	uint8_t would_drop;	/* dry-run: the rule says drop */
	uint8_t bound;		/* max_drops_per_flow turned a drop into accept */
	uint8_t has_mark;
	uint8_t ct_restored;	/* conntrack put back to ESTABLISHED */
	uint8_t guarded;	/* its kind now dropped in the kernel (enforce.h) */
	uint16_t rule;		/* 1-based; 0: no rule matched */
	uint32_t line;		/* the rule's line in the file */
	uint32_t mark;
	/* The judgement the decision was made on (the event's may differ). */
	uint8_t origin, cause;
	float confidence;
	/* The suspect hold: how it ended, how long, what it saw. */
	uint8_t held;		/* enum hold_end */
	uint8_t changed;	/* the decision differs from the first one */
	uint32_t held_us;
	uint32_t seen_pkts;	/* the claimed sender's packets during it */
	uint32_t seen_data;	/* and their payload bytes */
};

/* Facts only the live mode has. */
/* Where a RST's conntrack facts came from (the event's conntrack.source). */
enum ct_source {
	CT_SOURCE_LOOKUP,	/* a ctnetlink GET */
	CT_SOURCE_QUEUE,	/* the queued packet's NFQA_CT */
	CT_SOURCE_EVENTS,	/* the view kept from ctnetlink events (ctview.h) */
	CT_SOURCE_TABLE,	/* the table's notes alone (conntrack_view table) */
	CT_SOURCE_MAX
};

struct rst_live {
	uint8_t valid;
	uint8_t made_here;	/* this host made it for an address not its own */
	char hook_name[12];	/* forward, input, output, prerouting */
	uint8_t ct_known;	/* conntrack's facts: ct_invalid, and what of
				 * ct_state ("": unknown) and ct_id is known */
	uint8_t ct_source;	/* enum ct_source */
	int8_t ct_invalid;	/* conntrack judged the RST invalid (1), took it
				 * (0), or cannot tell (-1) */
	uint32_t ct_id;
	char ct_state[16];
	char in[16], out[16];	/* interface names */
	char verdict[16];	/* what the daemon told the kernel */
	/*
	 * The evidence file holding it and its flow (evpcap.c), set by the
	 * writer thread as it writes the event; pcap_file points into the
	 * evidence writer and is good while the event is written.  NULL:
	 * none (off, or not written).
	 */
	const char *pcap_file;
	uint32_t pcap_frame;	/* the RST's record number there, from 1 */
	uint32_t pcap_packets;	/* its flow's packets there, the RST included */
	struct rst_policy pol;
};

/*
 * The conntrack state an event's text shows: its name; "invalid" for a
 * RST conntrack did not take whose entry's state is not known (the
 * table's notes say no more); else "none" (no facts).
 */
static inline const char *rst_ct_word(const struct rst_live *l)
{
	if (!l->ct_known)
		return "none";
	if (l->ct_state[0] != '\0')
		return l->ct_state;
	return l->ct_invalid == 1 ? "invalid" : "unknown";
}

/* ct_id is valid: every source gives it but the table's notes. */
static inline int rst_ct_has_id(const struct rst_live *l)
{
	return l->ct_known && l->ct_source != CT_SOURCE_TABLE;
}

struct rst_event {
	uint32_t serial;	/* engine's number for it; never 0 */
	uint32_t prev;		/* serial of the RST held before it on the flow */
	uint8_t side;		/* the claimed sender's side of the flow */
	uint64_t ts_us;
	uint64_t frame;		/* 1-based frame number (offline) */
	struct pkt p;		/* the RST; p.payload points into .payload */
	uint8_t payload[RST_PAYLOAD_KEEP];

	/* The flow as it stood just before the RST. */
	uint8_t had_flow;	/* any earlier packet of this connection */
	uint8_t flow_evicted;	/* but the flow table evicted its history */
	struct flow_side snd;	/* the claimed sender's side */
	struct flow_side rcv;	/* the receiver's side */

	/* What happened on the flow during the hold. */
	uint32_t after_pkts;	/* non-RST packets from the claimed sender */
	uint32_t after_data;	/* their payload bytes */
	uint64_t after_us;	/* delay of the first */
	uint8_t after_ttl;	/* its TTL */
	uint8_t after_synack;	/* a SYN/ACK answering the same SYN */
	uint8_t after_in_seq;	/* one of them continued the connection (race_*) */
	uint32_t burst;		/* RSTs in this burst, this one included */
	uint32_t burst_seq_lo, burst_seq_hi;
	uint8_t burst_ttl_lo, burst_ttl_hi;	/* TTLs over the burst */
	uint16_t burst_ipid;	/* the IP ID of every RST of the burst... */
	uint8_t burst_ipid_same;	/* ...if they all carry the same one */
	/*
	 * The race, within one incarnation of the connection: the claimed
	 * sender's later packets that continue it past the RST (new data or
	 * FIN, an ACK of data sent after it, the SYN/ACK to the SYN it
	 * answered).  Retransmissions, challenge ACKs and anything after a
	 * new SYN are not counted here (after_pkts counts them all).
	 */
	uint32_t race_pkts, race_data;
	uint64_t race_us;	/* delay of the first */
	uint8_t after_new_syn;	/* a SYN began another incarnation... */
	uint64_t new_syn_us;	/* ...this long after the RST */
	/*
	 * New data from the claimed sender after the RST, past all it had
	 * sent before but below the RST's seq: a stack that reset with its
	 * snd_nxt sent it before, and only reordering delayed it.
	 */
	uint32_t below_data;
	uint64_t below_us;	/* delay of the first */
	uint8_t burst_raced;	/* a fellow of its burst is raced (race_*) */
	/* Its delay after the trigger, and the round trip (rstdelay.h). */
	struct rst_delay delay;

	/* The claimed sender's host baseline, at release. */
	struct host_base host;

	struct rst_live live;
	struct verdict v;
};

/*
 * rst_classify: decide origin, cause, confidence and evidence from the
 * facts in e (never from anything else), writing e->v.  Pure.
 */
void rst_classify(struct rst_event *e);
/* An empty verdict: no origin, no cause, no evidence item. */
void verdict_clear(struct verdict *v);

/*
 * evidence_format: one evidence item of e as a sentence, in buf (always
 * terminated).  Returns the length it wrote, as snprintf.
 */
int evidence_format(const struct rst_event *e, const struct evidence *ev,
		    char *buf, size_t len);

struct obuf;
/*
 * The same sentence into b (obuf.h), given the RST's sender and receiver
 * as text (rst_addr()): an event's writer makes those once, not per item.
 */
void evidence_put(struct obuf *b, const struct rst_event *e,
		  const struct evidence *ev, const char *snd, const char *rcv);

#define RST_ADDRSTRLEN 46

/* An address as text, in buf (RST_ADDRSTRLEN bytes); returns buf. */
const char *rst_addr(int family, const uint8_t *a, char *buf);

/* Hops from the nearest initial TTL at or above ttl (32, 64, 128, 255). */
int ttl_initial(uint8_t ttl);

/*
 * src into dst[size], cut to fit and always terminated: the names a live
 * event carries, copied on the verdict path, where snprintf("%s") cost a
 * tenth of the queue thread's own work (bench/live.sh, perf).
 */
static inline void rst_name_copy(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

#endif
