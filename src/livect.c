/*
 * livect.c: what conntrack says of a queued RST (live_ct()), for the
 * queue thread: from NFQA_CT where the kernel attaches it, else from the
 * view of its events (ctview.h) and the table's notes, else by asking.
 */
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tcp.h>

#include "run_int.h"

/*
 * Conntrack's facts without asking it.  The table's notes say what
 * conntrack did with the RST: did not take it (out of window, or no
 * entry: the invalid_mark bit in the packet's own mark, or a note by
 * NFLOG where invalid_mark is 0), or took it and deleted the entry (the
 * only answer to a SYN, or a RST before any answer: tcp_packet() in
 * nf_conntrack_proto_tcp.c); any other RST it took moved the entry to
 * CLOSE.  The view (NEW and DESTROY events) says whether the entry
 * exists, and its id.  -1: ask the kernel: the view is not whole, it does
 * not hold yet the entry of a RST conntrack took, or the RST was not
 * taken and the entry's state (which the view does not follow) is
 * wanted.  Without a view (conntrack_view table) the notes are all:
 * never -1; no id, and no state for a RST conntrack did not take (its
 * entry may exist or not).  *noted: the note's judgement, whatever the
 * return.
 */
_Static_assert(NFQUEUE_NOTE_MAX <= 4, "a note's kind is two bits (note.c)");

/*
 * Conntrack's judgement of the RST from the table's bit in its packet
 * mark: 1 not taken, 0 taken, -1 where the table sets no bit
 * (invalid_mark 0: a note by NFLOG instead).  The kernel leaves
 * NFQA_MARK out when the mark is 0, which says "no bit" as well.
 */
static int mark_judge(const struct worker *w, const struct nfqueue_pkt *np)
{
	uint32_t im = w->run->conf.invalid_mark;

	if (im == 0)
		return -1;
	return np->has_mark && (np->mark & im) == im;
}

static int view_judge(struct worker *w, const struct nfqueue_pkt *np,
		      const struct pkt *p, struct ct_info *ci, int *noted)
{
	/* The table's bit rides on the packet itself; else a note by NFLOG. */
	uint8_t note = mark_judge(w, np) == 1 ? NFQUEUE_NOTE_INVALID :
	    notes_take(w->notes, np->payload, np->caplen, np->len, np->ts_us);
	int invalid = note == NFQUEUE_NOTE_INVALID;
	int deleted = note == NFQUEUE_NOTE_DELETED;
	int found;

	*noted = invalid;
	if (deleted) {
		memset(ci, 0, sizeof(*ci));
		found = 0;
	} else if (w->view == NULL) {
		ci->known = 1;		/* conntrack's judgement, at least */
		found = 1;
	} else if ((found = ctview_find(w->view, p, ci)) < 0 ||
		   (invalid && found == 1) || (!invalid && found == 0)) {
		w->view_fallbacks++;
		return -1;
	}
	if (found && !invalid) {
		ci->tcp_state = TCP_CONNTRACK_CLOSE;
		rst_name_copy(ci->state, sizeof(ci->state), "CLOSE");
		ci->mark |= w->run->conf.mark;	/* the RST's rule set it */
	}
	if (w->view == NULL) {
		w->table_hits++;
		ci->source = CT_SOURCE_TABLE;
	} else {
		w->view_hits++;
		ci->source = CT_SOURCE_EVENTS;
	}
	return 0;
}

const char *live_ct_source(const struct worker *w)
{
	if (nfqueue_has_conntrack(w->q))
		return "with the packet (NFQA_CT)";
	if (w->view != NULL)
		return "from its events";
	return w->table_facts ? "from the table's notes" : "by lookup";
}

/* What conntrack says of the RST, into e->live (run_int.h). */
void live_ct(struct worker *w, struct rst_event *e,
	     const struct nfqueue_pkt *np)
{
	struct rst_live *l = &e->live;
	const struct conf *c = &w->run->conf;
	struct ct_info ci;
	int judged, noted = -1, viewed = 0;

	memset(&ci, 0, sizeof(ci));
	if (np->ct != NULL) {
		if (ct_from_queue(w->ct, np->ct, np->ct_len, e->p.family,
				  np->has_ctinfo, np->ctinfo, &ci) < 0)
			memset(&ci, 0, sizeof(ci));
	} else if (!np->logged &&
		   (np->hook == NF_INET_FORWARD || np->hook == NF_INET_LOCAL_IN) &&
		   !enforce_restored(w->enf, &e->p)) {
		/*
		 * Not for a flow this daemon put back to ESTABLISHED after
		 * dropping a RST (ct_restore): the entry then says what we
		 * did, after the RST, which only the kernel knows.  Without
		 * the view, the state comes from a lookup below and the
		 * judgement from the bit: the state alone cannot tell a RST
		 * out of window from one taken at an inexact sequence (both
		 * leave ESTABLISHED, ct.h).
		 */
		if (w->view != NULL || w->table_facts)
			viewed = view_judge(w, np, &e->p, &ci, &noted) == 0;
		else
			noted = mark_judge(w, np);
	}
	if (np->ct == NULL && !viewed && !nfqueue_has_conntrack(w->q) &&
	    !np->logged) {
		memset(&ci, 0, sizeof(ci));
		ct_lookup(w->ct, &e->p, &ci);	/* ENOENT leaves ci.known 0 */
	}
	/*
	 * Else no entry to find: NFQA_CT is on and none came, or the RST was
	 * logged, which the rules do only for a reject's answer to a new
	 * connection, whose entry was never confirmed.
	 */
	if (ci.known) {
		l->ct_known = 1;
		l->ct_source = ci.source;
		l->ct_id = ci.id;
		rst_name_copy(l->ct_state, sizeof(l->ct_state), ci.state);
	}
	/* The table's note is conntrack's own word; else read it from the
	 * state the RST left. */
	judged = noted >= 0 ? noted :
		 ct_judge(&ci, np->hook, e->had_flow && (e->rcv.f & SIDE_SYN) &&
			  !(e->snd.f & (SIDE_SYNACK | SIDE_SEEN)));
	/*
	 * -1 where conntrack's judgement cannot be read: at the output hook,
	 * and on an entry this daemon put back to ESTABLISHED after dropping
	 * an earlier RST of the flow (ct_restore): ESTABLISHED then says what
	 * we did, not what conntrack made of this RST.
	 */
	l->ct_invalid = (int8_t)judged;
	if (judged == 1 && enforce_restored(w->enf, &e->p))
		l->ct_invalid = -1;
	/*
	 * The table's RST rule marked the connection before queueing the
	 * RST, so its next packets queue behind it: the genuine endpoint
	 * talking after "its" RST is the race that shows an injection.
	 */
	if (ci.known && (ci.mark & c->mark) == c->mark)
		ct_note_marked(w->ct);
}
