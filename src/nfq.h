/*
 * nfq.h: one NFQUEUE queue (or one NFLOG group), consumed over libmnl.
 *
 * nfqueue_open() binds the queue in a single config message (bind, copy
 * mode, queue length, FAIL_OPEN and GSO: the kernel applies it whole or
 * not at all), then asks for NFQA_CFG_F_CONNTRACK alone, because a kernel
 * without CONFIG_NETFILTER_NETLINK_GLUE_CT rejects any message that
 * carries it.  nfqueue_recv() takes up to NFQUEUE_BATCH messages with
 * one recvmmsg(), nfqueue_handle() hands each packet to the caller and
 * answers them in the same call: one VERDICT_BATCH per run of accepts, a single verdict
 * for anything else, all in one sendto().  Nothing waits for a timer.
 * Verdicts only: a packet is never sent back modified.
 *
 * An NFLOG group is the same source without verdicts, for the packets
 * that must not be queued: nfnetlink_queue drops a packet whose
 * conntrack entry is unconfirmed and shared (nf_ct_drop_unconfirmed()),
 * and that is every RST a `reject with tcp reset` makes for a new
 * connection: it carries the rejected SYN's entry.  Queued, such a
 * reset would vanish; logged, it is seen and goes on its way.
 *
 * The names are nfqueue_*, not nfq_*: libnetfilter_queue owns nfq_*.
 * All memory is taken by nfqueue_open(); nothing is allocated per packet.
 * Functions return -1 (NULL) with errno set, and log once.
 */
#ifndef RSTAUDIT_NFQ_H
#define RSTAUDIT_NFQ_H

#include <net/if.h>
#include <stdint.h>

#define NFQUEUE_BATCH		64	/* messages per recvmmsg() */
#define NFQUEUE_COPY_RANGE	128	/* IPv6 + TCP with options, and some payload */
#define NFQUEUE_LENGTH		4096	/* packets waiting at most; see nfq.c */
#define NFQUEUE_TRUESIZE	1024	/* socket memory a message takes, about */

/* Verdicts a callback may return (the kernel's NF_DROP and NF_ACCEPT). */
#define NFQUEUE_DROP	0
#define NFQUEUE_ACCEPT	1
/*
 * Or: keep the packet in the kernel, unanswered, and answer it later with
 * nfqueue_verdict().  While any packet is kept, the accepts of the
 * packets after it go one by one instead of in a VERDICT_BATCH, since a
 * batch answers every id up to its own; so keep few, briefly.
 */
#define NFQUEUE_DEFER	2
#define NFQUEUE_DEFER_MAX 256	/* packets kept at once, per queue */

struct nfqueue_conf {
	uint16_t num;		/* queue number */
	uint32_t copy_range;	/* bytes of each packet copied to us */
	uint32_t length;	/* packets waiting for a verdict, at most */
	int	 conntrack;	/* ask for NFQA_CT (where the kernel has it) */
};

/* One queued (or logged) packet, valid during the callback only. */
struct nfqueue_pkt {
	uint32_t	 id;
	uint16_t	 hw_proto;	/* ETH_P_IP, ETH_P_IPV6 (host order) */
	uint8_t		 hook;		/* NF_INET_LOCAL_IN, _FORWARD, _LOCAL_OUT, ... */
	uint8_t		 has_mark;
	uint8_t		 logged;	/* from an NFLOG group: no verdict */
	uint8_t		 note;		/* logged as a note: enum nfqueue_note */
	uint32_t	 mark;		/* skb mark */
	uint32_t	 indev, outdev;	/* ifindex, 0: none */
	const uint8_t	*payload;	/* the IP packet, caplen bytes of len */
	uint32_t	 caplen, len;
	const void	*ct;		/* NFQA_CT payload (ctnetlink attributes) */
	uint16_t	 ct_len;
	uint8_t		 has_ctinfo;
	uint32_t	 ctinfo;	/* enum ip_conntrack_info */
	uint32_t	 skbinfo;	/* NFQA_SKB_* */
	uint64_t	 ts_us;		/* when the batch was read (realtime) */
};

/* The table's notes about a RST (nft.h), logged just before it is queued. */
enum nfqueue_note {
	NFQUEUE_NOTE_NONE,
	NFQUEUE_NOTE_INVALID,	/* NFT_INVALID_PREFIX: conntrack did not take it */
	NFQUEUE_NOTE_DELETED,	/* NFT_DELETED_PREFIX: it deleted the entry */
	NFQUEUE_NOTE_MAX
};

struct nfqueue_stats {
	uint64_t queued;	/* packets received */
	uint64_t verdicts;	/* packets answered */
	uint64_t dropped;	/* of which NF_DROP */
	uint64_t batches;	/* VERDICT_BATCH messages sent */
	uint64_t singles;	/* single VERDICT messages sent */
	uint64_t reads;		/* recvmmsg() calls that returned messages */
	uint64_t enobufs;	/* ENOBUFS on the socket (NO_ENOBUFS is set) */
	uint64_t failed_open;	/* ids the kernel gave out but never sent us
				 * (NFLOG: sequence numbers lost) */
	uint64_t bad_msgs;	/* messages we could not decode */
	uint64_t verdict_errors; /* the kernel refused a verdict */
	uint64_t send_errors;	/* verdict messages that could not be sent */
	uint64_t deferred;	/* packets kept for a later verdict */
	uint64_t defer_full;	/* ... refused (accepted): too many kept */
	uint64_t marked;	/* accepts that set a packet mark */
	uint32_t last_id;	/* newest packet id */
};

/* The queue's line in /proc/net/netfilter/nfnetlink_queue (see nfq.c). */
struct nfqueue_kstats {
	uint32_t portid;	/* our netlink port */
	uint32_t waiting;	/* packets queued, no verdict yet */
	uint32_t copy_mode, copy_range;
	uint32_t queue_dropped;	/* dropped, queue full, without FAIL_OPEN */
	uint32_t user_dropped;	/* dropped, socket full, without FAIL_OPEN */
	uint32_t id_sequence;	/* last id given out */
};

/* Called for each packet; returns NFQUEUE_ACCEPT or NFQUEUE_DROP. */
typedef int (*nfqueue_fn)(const struct nfqueue_pkt *p, void *arg);

struct nfqueue;

/* Defaults: queue 0, NFQUEUE_COPY_RANGE, NFQUEUE_LENGTH. */
void		 nfqueue_conf_default(struct nfqueue_conf *c);

/*
 * Bind the queue.  Errors: EPERM when another process has it (or without
 * CAP_NET_ADMIN), others from the socket.
 */
struct nfqueue	*nfqueue_open(const struct nfqueue_conf *c);

/*
 * Bind NFLOG group c->num (copy mode and range from c; the packets come
 * one by one, numbered).  The callback's return value is ignored.
 * Errors: EBUSY when another process has the group.
 */
struct nfqueue	*nfqueue_open_log(const struct nfqueue_conf *c);

/* Unbind (dropping nothing: every packet read has had its verdict), close. */
void		 nfqueue_close(struct nfqueue *q);

int		 nfqueue_fd(const struct nfqueue *q);

/* Did the kernel accept NFQA_CFG_F_CONNTRACK? */
int		 nfqueue_has_conntrack(const struct nfqueue *q);

/*
 * Have the kernel stamp every packet it receives (as tcpdump does: a
 * socket with SO_TIMESTAMP turns on net_enable_timestamp(), for the whole
 * host, for as long as it is open), so that what it queues or logs at
 * prerouting, input and forward carries the time it arrived, whenever we
 * read it.  Returns that socket, to close at the end, or -1 (errno).
 */
int		 nfqueue_stamps_on(void);

/*
 * Read one batch (without blocking) and answer it, in two steps, so
 * that a caller can read another source in between: nfqueue_recv()
 * takes one batch off the socket (returns the datagrams, 0 when none,
 * -1 on error; a batch not yet handled is kept and counted again; fewer
 * than NFQUEUE_BATCH: the socket was emptied), nfqueue_handle() hands
 * its packets to fn and answers them (returns the packets handled, -1
 * on a send error).
 */
int		 nfqueue_recv(struct nfqueue *q);
int		 nfqueue_handle(struct nfqueue *q, nfqueue_fn fn, void *arg);

/*
 * Between the two: fn on the bytes of each packet of the batch taken,
 * in order, before any is handled, so that the caller can start loading
 * what each will need (prefetch): the cache misses of a batch then
 * overlap, where one packet at a time each waited for its own.  The
 * bytes are the kernel's, unchecked (caplen of them).
 */
typedef void (*nfqueue_peek_fn)(const uint8_t *payload, uint32_t caplen,
				void *arg);
void		 nfqueue_peek(const struct nfqueue *q, nfqueue_peek_fn fn,
			      void *arg);

/*
 * In a callback: the verdict it is about to return for its packet also
 * sets the packet's mark (skb->mark) to mark.
 */
void		 nfqueue_set_mark(struct nfqueue *q, uint32_t mark);

/*
 * Answer a packet kept with NFQUEUE_DEFER: NFQUEUE_ACCEPT (with mark,
 * when has_mark) or NFQUEUE_DROP.  From a callback it goes out with the
 * batch being read; otherwise at once.  Returns 0, or -1 with errno
 * ENOENT (no such packet kept) or the socket's error.
 */
int		 nfqueue_verdict(struct nfqueue *q, uint32_t id, int verdict,
		     int has_mark, uint32_t mark);

/* Packets kept now. */
unsigned	 nfqueue_deferred(const struct nfqueue *q);

void		 nfqueue_get_stats(const struct nfqueue *q,
		     struct nfqueue_stats *st);

/*
 * The interface name of ifindex into buf ("" for 0, "if<N>" when it is
 * gone), from a small cache refreshed every few seconds.
 */
const char	*nfqueue_ifname(struct nfqueue *q, uint32_t ifindex,
		     char buf[IF_NAMESIZE]);

/* "prerouting", "input", "forward", "output", "postrouting", "?". */
const char	*nfqueue_hook_name(uint8_t hook);

/* Read queue num's line of /proc/net/netfilter/nfnetlink_queue. */
int		 nfqueue_kernel_stats(uint16_t num, struct nfqueue_kstats *ks);

/*
 * Packets of q that failed open: the gaps between the ids we read, and
 * the ids given out after the last one we read that are not waiting in
 * our socket (ks: read just before, by the thread that reads q).
 */
uint64_t	 nfqueue_failed_open(const struct nfqueue *q,
		     const struct nfqueue_kstats *ks);

#endif
