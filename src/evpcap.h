/*
 * evpcap.h: evidence files.  Each reset the live daemon reports goes,
 * with the packets of its flow around it, into a rotating set of pcapng
 * files, and its event names the file and the record.
 *
 * Files are `rstaudit-YYYYmmddTHHMMSSZ-N.pcapng` in one directory (UTC
 * creation time; N counts up and never repeats, also across restarts,
 * since the directory is read at start).  A new file starts when the next
 * reset's packets would take the current one past file_size; then the
 * oldest are removed so that at most `files` of them exist.  A daemon
 * never appends to a file an earlier run left.  Files are created mode
 * 0640 (whatever the umask), never through a symbolic link.  Only regular
 * files owned by the daemon's user are taken up, rotated or removed: a
 * file someone else left under one of our names stays, untouched.
 *
 * Link type Linux cooked v1 (see pcapng.h for why not raw IP), one
 * interface block per network interface (its name), the direction of each
 * packet (in on the interface that received it, out on the one that sent
 * a packet this host made), and the verdict with its evidence as the
 * comment of the RST's record.  Only the packets the daemon
 * was given are there, cut to EVRING_SNAP bytes; each record keeps the
 * packet's length on the wire.
 *
 * One writer for all queues, the writer thread (writer.h): the queue
 * threads only keep packets (evpcap_keep()) and hand a reset's flow over
 * (evhand.h), so that a slow or hung disk never stalls a queue.  Nothing
 * is allocated after evpcap_open().  A failed write is logged once
 * (until a write works again), counted, cut off the file, and never stops
 * the audit: the event goes out without a file.
 */
#ifndef RSTAUDIT_EVPCAP_H
#define RSTAUDIT_EVPCAP_H

#include <stddef.h>
#include <stdint.h>

#include "evhand.h"
#include "evring.h"
#include "rst.h"

#define EVPCAP_BEFORE	64	/* packets of the flow kept before a RST */
#define EVPCAP_AFTER	64	/* and after it */
#define EVPCAP_FILES_MAX 10000

struct evpcap_conf {
	const char	*dir;
	uint64_t	 file_size;	/* bytes a file may reach */
	uint32_t	 files;		/* files kept, 1..EVPCAP_FILES_MAX */
	uint64_t	 hold_us;	/* the engine's hold: the "after" window */
	const char	*user;		/* who makes the files (NULL or "": the
					 * caller); only that user's are ours */
};

struct evpcap_stats {
	uint64_t events;	/* resets written with their flow */
	uint64_t records;	/* packet records written */
	uint64_t shared;	/* packets already in the file for an
				 * earlier reset of the same flow */
	uint64_t bytes;		/* written, file headers included */
	uint64_t files;		/* files created */
	uint64_t removed;	/* files removed to keep the count */
	uint64_t errors;	/* failed writes (and files not created) */
	uint64_t lost;		/* RSTs gone from the ring by their event,
				 * or with no room in the hand-over */
};

struct evpcap;

/*
 * Can the daemon, as user (NULL or "": as it is), trust dir and create
 * files there?  The directory must pass safefile_dir_check() (owned by
 * root or user, writable by no one else, its parents too).  0, or -1 with
 * errno and a message in err ("evidence_dir DIR: reason").
 */
int	 evpcap_check(const char *dir, const char *user, char *err,
	    size_t errlen);

/* Open dir and read the files there.  NULL, errno set, after a log line. */
struct evpcap *evpcap_open(const struct evpcap_conf *c);

void	 evpcap_close(struct evpcap *w);

/*
 * Keep a packet the daemon was given, parsed as p, in ring: caplen bytes of
 * data, len on the wire, seen coming in on indev or, from this host (indev
 * 0), leaving by outdev.  Returns its slot (for the RST's serial).
 */
struct evring_slot *evpcap_keep(struct evring *ring, const struct pkt *p,
	    const uint8_t *data, uint32_t caplen, uint32_t len,
	    uint64_t ts_us, uint32_t indev, uint32_t outdev);

/*
 * In the writer thread: write e's RST and its flow's packets, as handed
 * over in h with ticket t (evhand_take()), into the current file, and say
 * where in e->live (pcap_file, pcap_frame, pcap_packets).  A packet
 * already in the file for an earlier reset is not written again.  Returns
 * 0, or -1 when the event goes out without them (t said none, they were
 * lost, or the write failed).  The caller then releases t.
 */
int	 evpcap_event(struct evpcap *w, struct evhand *h,
	    const struct evhand_ticket *t, struct rst_event *e);

void	 evpcap_get_stats(const struct evpcap *w, struct evpcap_stats *st);

struct conf;

/*
 * The daemon's writer from its configuration: *w NULL when evidence_dir
 * is not set.  -1 (after a log line) when the directory cannot be used.
 */
int	 evpcap_setup(const struct conf *c, struct evpcap **w);

#endif
