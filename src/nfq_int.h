/*
 * nfq_int.h: what nfq.c (the queue and NFLOG sockets, reading and
 * decoding) and nfqverdict.c (verdicts: batching, marks, kept packets)
 * share; nfq.h is the adapter's public face.
 */
#ifndef RSTAUDIT_NFQ_INT_H
#define RSTAUDIT_NFQ_INT_H

#include <net/if.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include <linux/netlink.h>

#include "nfq.h"

#define MSG_BUFSZ	8192	/* one message: NLMSG_GOODSIZE */
#define VERDICT_BUFSZ	(NFQUEUE_BATCH * 2 * 64)
#define IFCACHE		64	/* interfaces remembered (direct mapped) */
#define IFCACHE_SEC	10	/* a name is looked up again after this */
#define ACK_WAIT_MS	2000
#define KERNEL_TS_MAX_AGE_US	60000000u	/* older: a clock stepped */
#define KSTATS_PATH	"/proc/net/netfilter/nfnetlink_queue"
#define KSTATS_BUFSZ	16384	/* 65536 queues' lines would not fit; 64 do */

struct ifname_slot {
	uint32_t ifindex;
	time_t	 when;
	char	 name[IF_NAMESIZE];
};

struct nfqueue {
	struct mnl_socket	*nl;
	int			 fd;
	int			 is_log;	/* an NFLOG group: no verdicts */
	uint16_t		 num;
	uint32_t		 seq;
	int			 conntrack;
	int			 bound;
	struct nfqueue_stats	 st;
	/* The verdicts of the batch being read. */
	char			*vbuf;
	size_t			 vlen;
	uint32_t		 accept_max;	/* newest accept not yet sent */
	int			 accept_pending;
	int			 in_read;	/* inside nfqueue_handle() */
	int			 nrecv;		/* datagrams received, not handled */
	uint64_t		 recv_us;	/* when they were */
	int			 mark_set;	/* nfqueue_set_mark() in a callback */
	uint32_t		 mark_next;
	/* Packets kept (NFQUEUE_DEFER): no batch may cover defer_lo. */
	uint32_t		 defer_ids[NFQUEUE_DEFER_MAX];
	unsigned		 ndefer;
	uint32_t		 defer_lo;	/* the oldest kept id */
	/* recvmmsg() state. */
	struct mmsghdr		 msgs[NFQUEUE_BATCH];
	struct iovec		 iov[NFQUEUE_BATCH];
	struct sockaddr_nl	 from[NFQUEUE_BATCH];
	char			*rbuf;		/* NFQUEUE_BATCH * MSG_BUFSZ */
	struct ifname_slot	 ifcache[IFCACHE];
	int			 kstats_ref;	/* holds kstats_fd open */
};

/*
 * A queue with its buffers and no socket (nfqueue_open() then binds one;
 * tests/fuzz/fuzz_nfq.c gives it a socketpair's end as q->nl).  NULL,
 * logged, when out of memory; nfqueue_close() frees it.
 */
struct nfqueue	*nfqueue_alloc(uint16_t num, int is_log);

/*
 * Queue the verdict on id (accepts join the run one VERDICT_BATCH
 * answers, unless marked or behind a kept packet), send what is queued
 * (-1 on a send error), keep id for later (-1 when NFQUEUE_DEFER_MAX
 * are kept).
 */
void	nfqueue_verdict_add(struct nfqueue *q, uint32_t id, int verdict,
	    int has_mark, uint32_t mark);
int	nfqueue_verdict_flush(struct nfqueue *q);
int	nfqueue_defer_add(struct nfqueue *q, uint32_t id);

#endif
