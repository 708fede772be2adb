/*
 * rstflood: TCP segments from a raw socket, over many 4-tuples, as fast
 * as it can or at a fixed rate, for bench/live.sh.
 *
 *	rstflood [-S] -s SRC -d DST [-p dport] [-P sport0] [-f flows]
 *	    [-n count | -t seconds] [-r rate] [-k seed]
 *
 * Tuple i (0 <= i < flows) is SRC:sport -> DST:dport with
 *
 *	sport = sport0 + i % (65536 - sport0)
 *	dport = dport  + i / (65536 - sport0)
 *
 * and an initial sequence number isn(i) that depends on i and the seed.
 *
 *	-S	one SYN per tuple (seq isn(i)), tuples 0..flows-1 in order,
 *		-n times over (default once): opens flows, or fills a table
 *	default	RSTs (flags R, seq isn(i) + 1: the receive-next of a server
 *		that answered the SYN, so conntrack takes it as in-window),
 *		cycling through the tuples, until -n packets or -t seconds
 *	-r	packets per second (0: as fast as the socket takes them)
 *
 * IPv4 only, from a raw socket (IP_HDRINCL).  Sends batches of 64 with
 * sendmmsg().  (An AF_PACKET socket bypassing the qdisc was tried: no
 * faster here, the gateway's enqueue being the sender's real cost.)
 * Prints, at the end, "rstflood: sent N packets in T s (R/s), errors E".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clk.h"

#define BATCH	64
#define PKTLEN	40	/* IPv4 and TCP headers, no options */

struct flood {
	struct in_addr	 src, dst;
	uint16_t	 dport, sport0;
	uint32_t	 flows, seed;
	int		 syn;
};

static uint32_t isn(const struct flood *f, uint32_t i)
{
	uint64_t h = ((uint64_t)f->seed << 32 | i) * 0x9e3779b97f4a7c15ull;

	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	return (uint32_t)(h >> 32);
}

static uint32_t sum16(const void *p, size_t len, uint32_t sum)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* Write tuple i's segment into pkt. */
static void packet_make(const struct flood *f, uint32_t i, uint8_t *pkt)
{
	uint32_t span = 65536u - f->sport0, seq = isn(f, i), sum;
	uint16_t sport = (uint16_t)(f->sport0 + i % span);
	uint16_t dport = (uint16_t)(f->dport + i / span);
	uint8_t *ip = pkt, *tcp = pkt + 20;

	memset(pkt, 0, PKTLEN);
	ip[0] = 0x45;
	ip[2] = 0;
	ip[3] = PKTLEN;
	ip[6] = 0x40;		/* DF, as Linux */
	ip[8] = 64;
	ip[9] = IPPROTO_TCP;
	memcpy(ip + 12, &f->src, 4);
	memcpy(ip + 16, &f->dst, 4);
	sum = sum16(ip, 20, 0);
	memcpy(ip + 10, &(uint16_t){ fold(sum) }, 2);

	if (!f->syn)
		seq++;
	tcp[0] = (uint8_t)(sport >> 8);
	tcp[1] = (uint8_t)sport;
	tcp[2] = (uint8_t)(dport >> 8);
	tcp[3] = (uint8_t)dport;
	tcp[4] = (uint8_t)(seq >> 24);
	tcp[5] = (uint8_t)(seq >> 16);
	tcp[6] = (uint8_t)(seq >> 8);
	tcp[7] = (uint8_t)seq;
	tcp[12] = 5 << 4;
	tcp[13] = f->syn ? 0x02 : 0x04;
	if (f->syn) {
		tcp[14] = 0xfa;	/* window 64240, as Linux */
		tcp[15] = 0xf0;
	}
	/* Pseudo-header: addresses, protocol, TCP length. */
	sum = sum16(ip + 12, 8, IPPROTO_TCP + 20);
	sum = sum16(tcp, 20, sum);
	memcpy(tcp + 16, &(uint16_t){ fold(sum) }, 2);
}

/* A raw IP socket: the kernel routes each packet. */
static int ip_open(const struct flood *f, struct sockaddr_storage *to,
		   socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)to;
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0 || setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)) < 0) {
		perror("rstflood: raw socket");
		return -1;
	}
	memset(to, 0, sizeof(*to));
	sin->sin_family = AF_INET;
	sin->sin_addr = f->dst;
	*len = sizeof(*sin);
	return fd;
}

static void usage(void)
{
	fprintf(stderr, "usage: rstflood [-S] -s src -d dst [-p dport] "
		"[-P sport0] [-f flows] [-n count | -t seconds] [-r rate] "
		"[-k seed]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static uint8_t pkts[BATCH][PKTLEN];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_storage to;
	socklen_t tolen;
	struct flood f;
	uint64_t count = 0, sent = 0, errors = 0, rate = 0, t0, now, deadline = 0;
	double seconds = 0;
	uint32_t next = 0;
	int ch, fd, i;

	memset(&f, 0, sizeof(f));
	f.dport = 9;
	f.sport0 = 1024;
	f.flows = 16384;
	while ((ch = getopt(argc, argv, "Ss:d:p:P:f:n:t:r:k:")) != -1) {
		switch (ch) {
		case 'S': f.syn = 1; break;
		case 's': if (inet_pton(AF_INET, optarg, &f.src) != 1) usage(); break;
		case 'd': if (inet_pton(AF_INET, optarg, &f.dst) != 1) usage(); break;
		case 'p': f.dport = (uint16_t)strtoul(optarg, NULL, 0); break;
		case 'P': f.sport0 = (uint16_t)strtoul(optarg, NULL, 0); break;
		case 'f': f.flows = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'n': count = strtoull(optarg, NULL, 0); break;
		case 't': seconds = strtod(optarg, NULL); break;
		case 'r': rate = strtoull(optarg, NULL, 0); break;
		case 'k': f.seed = (uint32_t)strtoul(optarg, NULL, 0); break;
		default: usage();
		}
	}
	if (f.src.s_addr == 0 || f.dst.s_addr == 0 || f.flows == 0 ||
	    f.sport0 == 0 || optind != argc)
		usage();
	if (f.syn)
		count = (count ? count : 1) * f.flows;
	else if (count == 0 && seconds <= 0)
		usage();
	if ((fd = ip_open(&f, &to, &tolen)) < 0)
		return 1;
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < BATCH; i++) {
		iov[i].iov_base = pkts[i];
		iov[i].iov_len = PKTLEN;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &to;
		msgs[i].msg_hdr.msg_namelen = tolen;
	}
	t0 = now = clk_ns(CLOCK_MONOTONIC);
	if (seconds > 0)
		deadline = t0 + (uint64_t)(seconds * 1e9);
	for (;;) {
		int n = BATCH, r;

		if (count && sent + errors >= count)
			break;
		if (count && count - sent - errors < BATCH)
			n = (int)(count - sent - errors);
		if (deadline && now >= deadline)
			break;
		/* Paced: wait until the batch is due. */
		while (rate && (sent + errors) * 1000000000ull / rate > now - t0)
			now = clk_ns(CLOCK_MONOTONIC);
		for (i = 0; i < n; i++) {
			packet_make(&f, next, pkts[i]);
			if (++next == f.flows)
				next = 0;
		}
		r = sendmmsg(fd, msgs, (unsigned)n, 0);
		if (r < 0) {
			if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR) {
				perror("rstflood: sendmmsg");
				return 1;
			}
			r = 0;
		}
		sent += (uint64_t)r;
		errors += (uint64_t)(n - r);
		if ((sent & 0xfff) < BATCH || rate || deadline)
			now = clk_ns(CLOCK_MONOTONIC);
	}
	now = clk_ns(CLOCK_MONOTONIC);
	printf("rstflood: sent %llu packets in %.3f s (%.0f/s), errors %llu\n",
	       (unsigned long long)sent, (double)(now - t0) / 1e9,
	       (double)sent * 1e9 / (double)(now - t0 ? now - t0 : 1),
	       (unsigned long long)errors);
	return 0;
}
