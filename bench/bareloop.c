/*
 * bareloop.c: the speed of light for reading a capture with libpcap.
 *
 *   bareloop FILE
 *
 * pcap_open_offline and pcap_dispatch(-1) with a callback that counts
 * packets and captured bytes and reads one byte of each packet, so the
 * loop cannot be optimised away.  Whatever rstaudit does per packet comes
 * on top of this.  Prints packets, bytes, seconds and packets/s.
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "clk.h"

struct count {
	uint64_t packets, bytes;
	unsigned touch;
};

static void count_packet(u_char *user, const struct pcap_pkthdr *h,
			 const u_char *bytes)
{
	struct count *c = (struct count *)user;

	c->packets++;
	c->bytes += h->caplen;
	if (h->caplen)
		c->touch += bytes[h->caplen - 1];
}

int main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	struct count c = { 0, 0, 0 };
	double t0, secs;
	pcap_t *p;
	int n;

	if (argc != 2) {
		fprintf(stderr, "usage: bareloop FILE\n");
		return 2;
	}
	t0 = clk_mono_s();
	if (!(p = pcap_open_offline(argv[1], err))) {
		fprintf(stderr, "bareloop: %s\n", err);
		return 1;
	}
	/* -1 reads the whole savefile; loop anyway in case it stops early. */
	while ((n = pcap_dispatch(p, -1, count_packet, (u_char *)&c)) > 0)
		;
	if (n == -1) {
		fprintf(stderr, "bareloop: %s: %s\n", argv[1], pcap_geterr(p));
		pcap_close(p);
		return 1;
	}
	pcap_close(p);
	secs = clk_mono_s() - t0;
	printf("packets=%llu bytes=%llu seconds=%.6f pps=%.0f touch=%u\n",
	       (unsigned long long)c.packets, (unsigned long long)c.bytes,
	       secs, secs > 0 ? (double)c.packets / secs : 0.0, c.touch & 1);
	return 0;
}
