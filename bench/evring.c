/*
 * bench/evring.c: what evidence files cost the live daemon, per queued
 * packet (evpcap_keep: a copy into the ring) and per reset (evhand_take:
 * the flow's walk and its copy for the writer thread; evpcap_event: the
 * blocks, one pwrite).
 *
 *	make bench/evring && ./bench/evring [DIR]
 *
 * 4 M packets of 64 k connections (SYN, SYN/ACK, 6 data packets each,
 * the IPv4 bytes of a queued packet, 60 to 128 bytes kept) through a ring
 * of 65536; one connection in 8 ends with a RST, whose event is written
 * 1 k packets later (as after a hold) into DIR (default: a temporary
 * directory in /dev/shm, removed after).  Prints ns per packet and us per
 * reset, best of 3.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../tests/unit/evfix.h"
#include "clk.h"
#include "evpcap.h"
#include "log.h"

#define PACKETS	(4u << 20)
#define FLOWS	(1u << 16)
#define LAG	1024	/* packets between a RST and its event */
#ifndef RING
#define RING	(1u << 16)	/* evidence_packets; -DRING=n to try others */
#endif

/* The i-th packet: connection i / 8 % FLOWS, its (i % 8)-th packet. */
static struct pkt packet(uint32_t i)
{
	uint32_t f = i / 8 % FLOWS, k = i % 8;
	struct pkt p = fx_pkt("10.0.1.2", (uint16_t)(1024 + f), "10.0.3.2", 443,
			      TH_ACK, 1000 + k * 100, 5000, 64, (uint16_t)i, 100);

	if (k == 0)
		p.flags = TH_SYN, p.payload_len = 0;
	else if (k == 1) {
		memcpy(p.src, "\x0a\x00\x03\x02", 4);
		memcpy(p.dst, "\x0a\x00\x01\x02", 4);
		p.sport = 443, p.dport = (uint16_t)(1024 + f);
		p.flags = TH_SYN | TH_ACK, p.payload_len = 0;
	} else if (k == 7 && f % 8 == 0)
		p.flags = TH_RST | TH_ACK, p.payload_len = 0;
	return p;
}

/* The bytes of the next 8 packets from i, outside what is measured. */
static void make8(uint32_t i, struct pkt pk[8], uint8_t bytes[8][256],
		  uint32_t lens[8])
{
	uint32_t k;

	for (k = 0; k < 8; k++) {
		pk[k] = packet(i + k);
		lens[k] = evfix_bytes(&pk[k], bytes[k], 128);
	}
}

/* One pass; keep: through the ring (else only the packets are made). */
static double pass(struct evring *r, struct evhand *h, struct evpcap *w,
		   int keep, double *tev, uint32_t *events)
{
	static uint8_t bytes[8][256];
	static struct rst_event held[PACKETS / 64 + 1];
	static volatile uint32_t sink;
	uint32_t lens[8], i, nheld = 0, done = 0;
	struct pkt pk[8];
	double t0 = clk_mono_s(), t;

	*tev = 0;
	*events = 0;
	for (i = 0; i < PACKETS; i++) {
		struct pkt *p = &pk[i % 8];
		struct evring_slot *s;

		if (i % 8 == 0)
			make8(i, pk, bytes, lens);
		if (!keep) {
			sink += lens[i % 8];
			continue;
		}
		s = evpcap_keep(r, p, bytes[i % 8], lens[i % 8],
				40 + p->payload_len, i, 2, 0);
		if (p->flags & TH_RST) {
			struct rst_event *e = &held[nheld++];

			memset(e, 0, sizeof(*e));
			e->serial = nheld;
			e->ts_us = i;
			e->p = *p;
			s->serial = nheld;
		}
		while (done < nheld && held[done].ts_us + LAG <= i) {
			struct evhand_ticket tk;

			t = clk_mono_s();
			evhand_take(h, r, &held[done], EVPCAP_BEFORE,
				    EVPCAP_AFTER, &tk);
			evpcap_event(w, h, &tk, &held[done++]);
			evhand_release(h, &tk);
			*tev += clk_mono_s() - t;
			++*events;
		}
	}
	return clk_mono_s() - t0;
}

/* Remove the evidence files in dir, and dir itself. */
static void cleanup(const char *dir)
{
	char path[512];
	struct dirent *de;
	DIR *d = opendir(dir);

	while (d != NULL && (de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "rstaudit-", 9) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	if (d != NULL)
		closedir(d);
	rmdir(dir);
}

int main(int argc, char **argv)
{
	char tmp[] = "/dev/shm/rstaudit-bench.XXXXXX";
	struct evpcap_conf c = { .dir = argc > 1 ? argv[1] : tmp,
				 .file_size = 64u << 20, .files = 4,
				 .hold_us = 2000000, .user = NULL };
	double best_pkt = 1e9, best_ev = 1e9, base, all, tev;
	uint32_t events;
	int round;

	log_init(0, 0);
	if (argc < 2 && mkdtemp(tmp) == NULL) {
		perror(tmp);
		return 1;
	}
	for (round = 0; round < 3; round++) {
		struct evring *r = evring_new(RING);
		struct evpcap *w = evpcap_open(&c);
		struct evhand *h = r != NULL ? evhand_new(evring_size(r),
					c.hold_us, EVHAND_BYTES) : NULL;

		if (h == NULL || w == NULL)
			return 1;
		base = pass(r, h, w, 0, &tev, &events);
		all = pass(r, h, w, 1, &tev, &events);
		if ((all - base - tev) / PACKETS < best_pkt)
			best_pkt = (all - base - tev) / PACKETS;
		if (tev / events < best_ev)
			best_ev = tev / events;
		evpcap_close(w);
		evhand_free(h);
		evring_free(r);
	}
	printf("evpcap_keep   %6.1f ns per queued packet\n", best_pkt * 1e9);
	printf("evpcap_event  %6.2f us per reset (8 packets of its flow, "
	       "written)\n", best_ev * 1e6);
	if (argc < 2)
		cleanup(tmp);
	return 0;
}
