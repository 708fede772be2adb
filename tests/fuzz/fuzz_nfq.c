/*
 * fuzz_nfq.c: libFuzzer target for the NFQUEUE and NFLOG readers
 * (nfqueue_peek(), nfqueue_handle()), fed as if recvmmsg() had filled
 * the receive slots.  An input is a run of datagrams, each
 *
 *	flags (1 byte)  length (2 bytes, little endian)  bytes
 *
 * flags bit 0: the kernel cut it (MSG_TRUNC); bit 1: it came from a
 * process, not the kernel (nl_pid != 0).  A length past the input takes
 * what is left; NFQUEUE_BATCH datagrams at most.  Every input goes to a
 * queue and to an NFLOG group, each alive across inputs as in the
 * daemon.  The callbacks read every byte they are given, and each slot's
 * bytes past its datagram are poisoned, so that a read past what the
 * kernel wrote is caught even inside the slot.  The callback answers
 * accept, drop, keep (NFQUEUE_DEFER), accept with a mark, in turn, and
 * the kept packets are answered after each input.
 *
 * The verdicts go to one end of a SOCK_SEQPACKET socketpair, which, unlike
 * a datagram or stream socket, ignores the netlink address sendto() is
 * given: nothing reaches the kernel, no send fails, and each input reads
 * back what was sent, which must be whole verdict messages (and none at
 * all from the NFLOG group).
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>

#include "nfq.h"
#include "nfq_int.h"
#include "nlok.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/asan_interface.h>
#endif
#endif
#ifndef ASAN_POISON_MEMORY_REGION
#define ASAN_POISON_MEMORY_REGION(a, n)		((void)(a), (void)(n))
#define ASAN_UNPOISON_MEMORY_REGION(a, n)	((void)(a), (void)(n))
#endif

#define FUZZ_TRUNC	0x01
#define FUZZ_FOREIGN	0x02
#define FUZZ_NOW_US	1700000000000000ull	/* the batch's read time */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct source {
	struct nfqueue	*q;
	int		 peer;		/* the other end: verdicts arrive here */
};

static volatile uint8_t sink;
static unsigned turn;

/* Every byte, so that ASan sees a read past the datagram. */
static void read_all(const void *buf, size_t len)
{
	const uint8_t *b = buf;
	uint8_t x = 0;

	for (size_t i = 0; i < len; i++)
		x ^= b[i];
	sink ^= x;
}

static void peek_cb(const uint8_t *payload, uint32_t caplen, void *arg)
{
	(void)arg;
	read_all(payload, caplen);
}

static int packet_cb(const struct nfqueue_pkt *p, void *arg)
{
	struct source *s = arg;

	if (p->logged != s->q->is_log)
		abort();
	read_all(p->payload, p->caplen);
	read_all(p->ct, p->ct_len);
	switch (turn++ % 4) {
	case 0:
		return NFQUEUE_ACCEPT;
	case 1:
		return NFQUEUE_DROP;
	case 2:
		return NFQUEUE_DEFER;
	default:
		nfqueue_set_mark(s->q, p->id);
		return NFQUEUE_ACCEPT;
	}
}

static void source_new(struct source *s, int is_log)
{
	int sv[2];

	if ((s->q = nfqueue_alloc(7, is_log)) == NULL ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv) < 0 ||
	    (s->q->nl = mnl_socket_fdopen(sv[0])) == NULL)
		abort();
	s->q->fd = sv[0];
	s->peer = sv[1];
	ASAN_POISON_MEMORY_REGION(s->q->rbuf, (size_t)NFQUEUE_BATCH * MSG_BUFSZ);
}

/* Lay the datagrams of data into q's slots, as recvmmsg() would. */
static void slots_fill(struct nfqueue *q, const uint8_t *data, size_t size)
{
	int n;

	for (n = 0; n < NFQUEUE_BATCH && size >= 3; n++) {
		char *slot = q->rbuf + (size_t)n * MSG_BUFSZ;
		size_t len = (size_t)data[1] | (size_t)data[2] << 8;
		uint8_t flags = data[0];

		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		if (len > MSG_BUFSZ)
			len = MSG_BUFSZ;
		ASAN_POISON_MEMORY_REGION(slot, MSG_BUFSZ);
		/* Up to the next 4-byte boundary the slot is nfq.c's to zero. */
		ASAN_UNPOISON_MEMORY_REGION(slot, MNL_ALIGN(len) < MSG_BUFSZ ?
					    MNL_ALIGN(len) : MSG_BUFSZ);
		memcpy(slot, data, len);
		data += len;
		size -= len;
		q->msgs[n].msg_len = (unsigned)len;
		q->msgs[n].msg_hdr.msg_flags = flags & FUZZ_TRUNC ? MSG_TRUNC : 0;
		q->from[n].nl_family = AF_NETLINK;
		q->from[n].nl_pid = flags & FUZZ_FOREIGN ? 4242 : 0;
	}
	q->nrecv = n;
	q->recv_us = FUZZ_NOW_US;
}

/* What the peer got must be whole verdicts: none from an NFLOG group. */
static void verdicts_check(const struct source *s)
{
	static uint64_t buf[VERDICT_BUFSZ / 8];
	ssize_t len;

	while ((len = recv(s->peer, buf, sizeof(buf), MSG_DONTWAIT)) >= 0) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
		int n = (int)len;

		if (s->q->is_log || len == 0)
			abort();
		for (; nl_msg_ok(nlh, n); nlh = mnl_nlmsg_next(nlh, &n))
			if (nlh->nlmsg_type >> 8 != NFNL_SUBSYS_QUEUE ||
			    ((nlh->nlmsg_type & 0xff) != NFQNL_MSG_VERDICT &&
			     (nlh->nlmsg_type & 0xff) != NFQNL_MSG_VERDICT_BATCH))
				abort();
		if (n != 0)
			abort();
	}
	if (errno != EAGAIN)
		abort();
}

static void source_run(struct source *s, const uint8_t *data, size_t size)
{
	struct nfqueue *q = s->q;

	slots_fill(q, data, size);
	nfqueue_peek(q, peek_cb, NULL);
	if (nfqueue_handle(q, packet_cb, s) < 0)
		abort();	/* only a send error: the peer never fills */
	/* The kept packets, answered as the daemon does later. */
	while (nfqueue_deferred(q) > 0) {
		int v = turn % 2 ? NFQUEUE_DROP : NFQUEUE_ACCEPT;

		if (nfqueue_verdict(q, q->defer_ids[0], v, turn++ % 3 == 0, 1) < 0)
			abort();
	}
	verdicts_check(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct source queue, group;

	if (queue.q == NULL) {
		source_new(&queue, 0);
		source_new(&group, 1);
	}
	turn = 0;
	source_run(&queue, data, size);
	source_run(&group, data, size);
	return 0;
}
