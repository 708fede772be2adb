/*
 * engine.h: the core both modes share.  Packets in (parsed), verdicts
 * out: the engine keeps the flow and host tables, holds each RST for a
 * while of packet time so that evidence arriving after it (the genuine
 * reply, data after the RST) counts, then classifies it and hands it to
 * the emit callback, in arrival order.
 *
 * All memory is taken by engine_new(); nothing is allocated per packet.
 */
#ifndef RSTAUDIT_ENGINE_H
#define RSTAUDIT_ENGINE_H

#include <stdint.h>

#include "pkt.h"
#include "rst.h"

struct engine_conf {
	uint32_t max_flows;	/* connections tracked at once */
	uint32_t max_hosts;	/* addresses with a TTL baseline */
	uint32_t max_held;	/* RSTs held at once (rounded to 2^n) */
	uint64_t hold_us;	/* how long a RST waits for later evidence */
	uint32_t idle_ms;	/* a flow idle this long is forgotten */
	uint64_t seed;		/* hash seed (the live mode randomises it) */
	int	 full;		/* map the tables to their bound and fault
				 * them in at once: no rehash, no page
				 * zeroed on the packet path (tab_init_full()) */
};

struct engine_stats {
	uint64_t packets;	/* TCP segments given to engine_packet() */
	uint64_t rsts;		/* RST events made */
	uint64_t copies;	/* forwarded copies skipped (RSTs among them) */
	uint64_t rst_copies;
	uint64_t released_early; /* hold cut short: too many RSTs held */
	uint64_t flows, flows_evicted, flows_expired;
	uint64_t rsts_evicted;	/* RSTs whose flow had been evicted before */
	uint64_t hosts, hosts_evicted;
};

typedef void (*engine_emit_fn)(struct rst_event *e, void *arg);

struct engine;

/* Defaults: 1 M flows, 256 k hosts, 8192 held, 5 s hold, 300 s idle. */
void engine_conf_default(struct engine_conf *c);

/* NULL (errno set) when the tables cannot be allocated. */
struct engine *engine_new(const struct engine_conf *c, engine_emit_fn emit,
			  void *arg);
void engine_free(struct engine *eng);

/*
 * Account one TCP segment seen at ts_us (frame: its 1-based number, or 0).
 * Releases held RSTs whose hold is over.  Returns the new held event when
 * p is a RST (the caller may add live facts to it), else NULL.
 */
struct rst_event *engine_packet(struct engine *eng, const struct pkt *p,
				uint64_t ts_us, uint64_t frame);

/*
 * For batches: engine_prefetch() starts loading p's flow into the cache
 * and returns its key; engine_packet_key() is engine_packet() given that
 * key.  Prefetching a few packets ahead hides most of the memory latency
 * of a table of a million flows.
 */
uint64_t engine_prefetch(const struct engine *eng, const struct pkt *p);
/*
 * The prefetch alone, for a key computed elsewhere (engine_flow_key(),
 * which reads nothing but the seed: another thread may compute it).
 */
void engine_prefetch_key(const struct engine *eng, const struct pkt *p,
			 uint64_t key);
struct rst_event *engine_packet_key(struct engine *eng, const struct pkt *p,
				    uint64_t key, uint64_t ts_us,
				    uint64_t frame);

/*
 * Judge a held RST now, from the evidence so far, writing e->v, without
 * releasing it: the live mode's verdict cannot wait for the hold.  The
 * release classifies it again, with everything that came by then.
 */
void engine_judge(struct engine *eng, struct rst_event *e);

/* The held RST with this serial, or NULL once it has been released. */
struct rst_event *engine_held(struct engine *eng, uint32_t serial);

/*
 * The gateway dropped held RST e: it never reached the peer, so its
 * sender did not reset the connection.  The sender's next RST must not
 * read "had already reset" (a genuine abort after a dropped forgery).
 */
void engine_rst_dropped(struct engine *eng, const struct rst_event *e);

/* The key of p's connection, the same for both directions. */
uint64_t engine_flow_key(const struct engine *eng, const struct pkt *p);

/* Release the RSTs whose hold is over at now_us (a timer, in live mode). */
void engine_tick(struct engine *eng, uint64_t now_us);

/* Release every held RST now (end of input). */
void engine_flush(struct engine *eng);

void engine_get_stats(const struct engine *eng, struct engine_stats *st);

#endif
