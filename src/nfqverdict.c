/*
 * nfqverdict.c: the verdicts of one queue (nfq.h): one VERDICT_BATCH per
 * run of accepts, single verdicts for drops, marks and packets kept
 * (NFQUEUE_DEFER), which no batch may answer; all sent in one sendto()
 * per batch read.  Pure bookkeeping over q's buffer but for the send.
 */
#include <errno.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "log.h"
#include "nfq.h"
#include "nfq_int.h"

/* Append one verdict message to the batch's send buffer. */
static void verdict_put(struct nfqueue *q, int type, uint32_t id, int verdict)
{
	struct nlmsghdr *nlh;

	nlh = nfq_nlmsg_put(q->vbuf + q->vlen, type, q->num);
	nfq_nlmsg_verdict_put(nlh, (int)id, verdict);
	q->vlen += NLMSG_ALIGN(nlh->nlmsg_len);
}

/* A single accept that also sets the packet's mark. */
static void verdict_put_mark(struct nfqueue *q, uint32_t id, uint32_t mark)
{
	struct nlmsghdr *nlh;

	nlh = nfq_nlmsg_put(q->vbuf + q->vlen, NFQNL_MSG_VERDICT, q->num);
	nfq_nlmsg_verdict_put(nlh, (int)id, NF_ACCEPT);
	nfq_nlmsg_verdict_put_mark(nlh, mark);
	q->vlen += NLMSG_ALIGN(nlh->nlmsg_len);
}

/* Ids wrap: is a after b?  (The kernel's nfq_id_after.) */
static int id_after(uint32_t a, uint32_t b)
{
	return (int32_t)(b - a) < 0;
}

/* Close the run of accepts: one VERDICT_BATCH covers every id up to it. */
static void accept_close(struct nfqueue *q)
{
	if (!q->accept_pending)
		return;
	verdict_put(q, NFQNL_MSG_VERDICT_BATCH, q->accept_max, NF_ACCEPT);
	q->st.batches++;
	q->accept_pending = 0;
}

/*
 * Queue the verdict on id.  Accepts join the run that one VERDICT_BATCH
 * answers, unless they carry a mark or a kept packet is older than them
 * (the batch would answer it too): those go one by one.
 */
void nfqueue_verdict_add(struct nfqueue *q, uint32_t id, int verdict,
			int has_mark, uint32_t mark)
{
	/* Two messages per packet at most: a full buffer cannot happen. */
	if (q->vlen + 2 * 64 > VERDICT_BUFSZ)
		nfqueue_verdict_flush(q);
	q->st.verdicts++;
	if (verdict == NF_ACCEPT && !has_mark &&
	    (q->ndefer == 0 || !id_after(id, q->defer_lo))) {
		q->accept_max = id;
		q->accept_pending = 1;
		return;
	}
	/* Verdicts stay in arrival order: the accepts before it go first. */
	accept_close(q);
	q->st.singles++;
	if (verdict == NF_ACCEPT && has_mark) {
		verdict_put_mark(q, id, mark);
		q->st.marked++;
	} else {
		verdict_put(q, NFQNL_MSG_VERDICT, id, verdict);
		q->st.dropped += verdict == NF_DROP;
	}
}

/* Keep id for a later verdict.  -1 when NFQUEUE_DEFER_MAX are kept. */
int nfqueue_defer_add(struct nfqueue *q, uint32_t id)
{
	if (q->ndefer == NFQUEUE_DEFER_MAX) {
		q->st.defer_full++;
		return -1;
	}
	if (q->ndefer == 0 || id_after(q->defer_lo, id))
		q->defer_lo = id;
	q->defer_ids[q->ndefer++] = id;
	q->st.deferred++;
	return 0;
}

static int defer_remove(struct nfqueue *q, uint32_t id)
{
	unsigned i, j;

	for (i = 0; i < q->ndefer; i++)
		if (q->defer_ids[i] == id)
			break;
	if (i == q->ndefer)
		return -1;
	q->defer_ids[i] = q->defer_ids[--q->ndefer];
	for (j = 0; j < q->ndefer; j++)
		if (j == 0 || id_after(q->defer_lo, q->defer_ids[j]))
			q->defer_lo = q->defer_ids[j];
	return 0;
}

void nfqueue_set_mark(struct nfqueue *q, uint32_t mark)
{
	q->mark_set = 1;
	q->mark_next = mark;
}

unsigned nfqueue_deferred(const struct nfqueue *q)
{
	return q->ndefer;
}

int nfqueue_verdict(struct nfqueue *q, uint32_t id, int verdict, int has_mark,
		    uint32_t mark)
{
	if (defer_remove(q, id) < 0) {
		errno = ENOENT;
		return -1;
	}
	/* One by one: a kept packet is never answered by a batch. */
	has_mark = has_mark && verdict != NFQUEUE_DROP;
	if (q->vlen + 2 * 64 > VERDICT_BUFSZ)
		nfqueue_verdict_flush(q);
	accept_close(q);
	q->st.verdicts++;
	q->st.singles++;
	if (has_mark) {
		verdict_put_mark(q, id, mark);
		q->st.marked++;
	} else {
		verdict_put(q, NFQNL_MSG_VERDICT, id,
			    verdict == NFQUEUE_DROP ? NF_DROP : NF_ACCEPT);
		q->st.dropped += verdict == NFQUEUE_DROP;
	}
	return q->in_read ? 0 : nfqueue_verdict_flush(q);
}

int nfqueue_verdict_flush(struct nfqueue *q)
{
	ssize_t n;

	accept_close(q);
	if (q->vlen == 0)
		return 0;
	n = mnl_socket_sendto(q->nl, q->vbuf, q->vlen);
	q->vlen = 0;
	if (n < 0) {
		q->st.send_errors++;
		log_warn("queue %u: cannot send verdicts", q->num);
		return -1;
	}
	return 0;
}
