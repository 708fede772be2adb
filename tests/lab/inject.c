/*
 * inject.c: an on-path TCP reset injector for the rstaudit lab.
 *
 *	inject -i IFACE -k KEYWORD [-cPRT] [-G 1|2] [-n COUNT] [-o FILE]
 *	    [-p PORT] [-d DELAY_MS] [-t SECONDS]
 *
 * Sniffs the packets arriving on IFACE with an AF_PACKET socket (it never
 * sits in the forwarding path: the routers keep forwarding everything).
 * When a TCP payload contains KEYWORD (and goes to PORT, if given), it
 * forges resets the way censors do:
 *
 *  - to the sender (the client), claiming to be the receiver: a burst of
 *    three RST|ACK at seq = the trigger's ack, +1460, +4380, TTL/hop limit
 *    64, IPv4 ID copied from the trigger, DF clear, window copied from the
 *    trigger, no options; with -n COUNT, a flood of COUNT of them, as fast
 *    as the raw socket takes them, the seqs cycling through those three
 *    (a third of them would take effect);
 *    (with -R, the TTL is the trigger's own as it arrived, as injectors
 *    that copy it do: tests/locate);
 *  - to the receiver (the server), claiming to be the client, DELAY_MS
 *    later (default 300), so the server's genuine reply can still reach
 *    the client after the forged RST: the race an analyser can see.
 *    With -c, no RST to the server at all (client side only): a gateway
 *    between the client and the middlebox can only protect what crosses
 *    it, and the RST to the server leaves the middlebox toward the
 *    server, never through that gateway.  The enforcement test uses -c
 *    so that what it measures is the gateway's work alone.
 *
 * With -T it copies the TTL (hop limit) of the server's packets as they
 * leave IFACE, so that its RSTs arrive with the server's TTL (issue 9's
 * TTL-copying injector), and stamps one fixed IPv4 ID (0x5a5a) on each.
 *
 * With -G it forges the two kinds of reset the Great Firewall was seen to
 * send (Weaver, Sommer and Paxson, NDSS 2009; Wang et al., IMC 2017),
 * three to the client and one to the server:
 *
 *  - -G 1, type 1: RST alone (no ACK, ack 0), every copy at seq = the
 *    trigger's ack, TTLs 47, 112, 201 as they leave IFACE (one fixed
 *    set, so the lab can check what arrives), IPv4 IDs and windows from
 *    a PRNG, DF clear;
 *  - -G 2, type 2: RST|ACK at seq = the trigger's ack, +1460, +4380, TTL
 *    and window counting up by one from one base per burst (TTL 100,
 *    101, 102; window from the PRNG), IPv4 ID from the PRNG, DF clear.
 *
 * With -P it is the perfect injector: one RST|ACK to the client at the
 * exact seq, copying from the server's last packet leaving IFACE its TTL,
 * DF, flow label and window, the next IPv4 ID of its series, and its
 * timestamp (TSval; TSecr the trigger's TSval, as the server would echo).
 * Only the race (the server's genuine data after it) can show it.
 *
 * With -o it creates FILE once its RSTs to the client are sent: the lab's
 * server waits for it before its genuine reply, so that a host too loaded
 * to run the injector at once cannot turn the race around.
 *
 * Forged packets go out through raw IP sockets, so the kernel routes them.
 * Prints "ready" on stdout once capturing; logs each injection on stderr.
 * Exits on SIGINT/SIGTERM or after SECONDS (default 120).
 */
#define _GNU_SOURCE	/* memmem */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clk.h"

#define BURST		3
#define MAX_PENDING	16
#define TH_RST		0x04
#define TH_ACK		0x10
#define FORGED_TTL	64
#define FIXED_IPID	0x5a5a	/* -T: the same ID on every forged RST */
#define MAX_SEEN	16
#define RST_MAX		(40 + 32)	/* IPv6, TCP with a timestamp */

static const uint32_t burst_offset[BURST] = { 0, 1460, 4380 };
static const uint8_t gfw1_ttl[BURST] = { 47, 112, 201 };
#define GFW2_TTL	100	/* -G 2: the first RST's; then 101, 102 */
static long burst_count = BURST;	/* -n */

/* One TCP segment's identity, as seen on the wire (host byte order). */
struct seg {
	int		 family;	/* AF_INET or AF_INET6 */
	uint8_t		 src[16], dst[16];
	uint16_t	 sport, dport;
	uint32_t	 seq, ack;
	uint16_t	 win;
	uint16_t	 ipid;
	uint8_t		 ttl;		/* as received; as sent, for a forged RST
					 * (0: FORGED_TTL) */
	uint8_t		 flags;		/* a forged RST's (0: RST|ACK) */
	uint8_t		 df;		/* IPv4 DF set */
	uint32_t	 flowlabel;	/* IPv6 */
	int		 has_ts;	/* a timestamp option (TSval, TSecr) */
	uint32_t	 tsval, tsecr;
	size_t		 paylen;
};


struct pending {
	struct seg	 rst;
	double		 due;
};

static volatile sig_atomic_t quit;
static struct pending pending[MAX_PENDING];
static int npending;
static int raw4 = -1, raw6 = -1;
static int client_only, copy_ttl, trigger_ttl, gfw_type;
static uint32_t prng_state = 0x2545f491;
static int perfect;
static const char *sent_file;	/* -o */
static struct seg seen[MAX_SEEN];	/* -T, -P: by source, the last
					 * packet leaving IFACE */
static int nseen;

static void
on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static uint32_t
csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	for (; len > 1; p += 2, len -= 2)
		sum += get16(p);
	if (len)
		sum += p[0] << 8;
	return sum;
}

static uint16_t
csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The timestamp option among len bytes of TCP options, into s. */
static void
opt_ts(const uint8_t *o, size_t len, struct seg *s)
{
	size_t i = 0;

	while (i < len && o[i] != 0) {
		if (o[i] == 1) {
			i++;
			continue;
		}
		if (i + 1 >= len || o[i + 1] < 2 || i + o[i + 1] > len)
			return;
		if (o[i] == 8 && o[i + 1] == 10) {
			s->has_ts = 1;
			s->tsval = get32(o + i + 2);
			s->tsecr = get32(o + i + 6);
		}
		i += o[i + 1];
	}
}

/*
 * Parse an Ethernet frame into a TCP segment.  Returns the payload offset
 * in frame, or -1 when it is not an unfragmented TCP segment.
 */
static long
seg_parse(const uint8_t *frame, size_t len, struct seg *s)
{
	const uint8_t *ip = frame + ETH_HLEN, *tcp;
	size_t iplen, thl;

	if (len < ETH_HLEN)
		return -1;
	memset(s, 0, sizeof(*s));
	len -= ETH_HLEN;
	switch (get16(frame + 12)) {
	case ETHERTYPE_IP:
		if (len < 20 || ip[9] != IPPROTO_TCP ||
		    (get16(ip + 6) & 0x3fff) != 0)
			return -1;
		s->family = AF_INET;
		iplen = (ip[0] & 0x0f) * 4;
		if (iplen < 20 || get16(ip + 2) < iplen || get16(ip + 2) > len)
			return -1;
		len = get16(ip + 2);
		s->ipid = get16(ip + 4);
		s->df = (get16(ip + 6) & 0x4000) != 0;
		s->ttl = ip[8];
		memcpy(s->src, ip + 12, 4);
		memcpy(s->dst, ip + 16, 4);
		break;
	case ETHERTYPE_IPV6:
		if (len < 40 || ip[6] != IPPROTO_TCP ||
		    40 + (size_t)get16(ip + 4) > len)
			return -1;
		s->family = AF_INET6;
		iplen = 40;
		s->ttl = ip[7];
		s->flowlabel = get32(ip) & 0xfffff;
		len = 40 + get16(ip + 4);
		memcpy(s->src, ip + 8, 16);
		memcpy(s->dst, ip + 24, 16);
		break;
	default:
		return -1;
	}
	tcp = ip + iplen;
	if (len < iplen + 20)
		return -1;
	thl = (tcp[12] >> 4) * 4;
	if (thl < 20 || len < iplen + thl)
		return -1;
	s->sport = get16(tcp);
	s->dport = get16(tcp + 2);
	s->seq = get32(tcp + 4);
	s->ack = get32(tcp + 8);
	s->win = get16(tcp + 14);
	s->paylen = len - iplen - thl;
	opt_ts(tcp + 20, thl - 20, s);
	return (long)(ETH_HLEN + iplen + thl);
}

/* Same segment (a retransmission): same flow and sequence number. */
static int
seg_same(const struct seg *a, const struct seg *b)
{
	return a->family == b->family && a->sport == b->sport &&
	    a->dport == b->dport && a->seq == b->seq &&
	    memcmp(a->src, b->src, 16) == 0 && memcmp(a->dst, b->dst, 16) == 0;
}

/*
 * Build an RST (s->flags, default RST|ACK) for segment s (addresses as
 * given) into buf, RST_MAX bytes; its length.
 */
static size_t
rst_build(const struct seg *s, uint8_t *buf)
{
	size_t alen = s->family == AF_INET ? 4 : 16;
	size_t iplen = s->family == AF_INET ? 20 : 40;
	size_t thl = s->has_ts ? 32 : 20;
	uint8_t *tcp = buf + iplen;
	uint32_t sum;

	memset(buf, 0, iplen + thl);
	if (s->family == AF_INET) {
		buf[0] = 0x45;
		put16(buf + 2, iplen + thl);
		put16(buf + 4, s->ipid);
		put16(buf + 6, s->df ? 0x4000 : 0);
		buf[8] = s->ttl ? s->ttl : FORGED_TTL;
		buf[9] = IPPROTO_TCP;
		memcpy(buf + 12, s->src, 4);
		memcpy(buf + 16, s->dst, 4);
		put16(buf + 10, csum_fold(csum_add(0, buf, 20)));
	} else {
		put32(buf, 0x60000000 | s->flowlabel);
		put16(buf + 4, thl);
		buf[6] = IPPROTO_TCP;
		buf[7] = s->ttl ? s->ttl : FORGED_TTL;
		memcpy(buf + 8, s->src, 16);
		memcpy(buf + 24, s->dst, 16);
	}
	put16(tcp, s->sport);
	put16(tcp + 2, s->dport);
	put32(tcp + 4, s->seq);
	put32(tcp + 8, s->ack);
	tcp[12] = (uint8_t)(thl / 4 << 4);
	tcp[13] = s->flags ? s->flags : TH_RST | TH_ACK;
	put16(tcp + 14, s->win);
	if (s->has_ts) {
		memcpy(tcp + 20, "\x01\x01\x08\x0a", 4);
		put32(tcp + 24, s->tsval);
		put32(tcp + 28, s->tsecr);
	}
	/* Pseudo-header: addresses, protocol, TCP length. */
	sum = csum_add(0, s->src, alen);
	sum = csum_add(sum, s->dst, alen);
	sum += IPPROTO_TCP + (uint32_t)thl;
	put16(tcp + 16, csum_fold(csum_add(sum, tcp, thl)));
	return iplen + thl;
}

static int
rst_send(const struct seg *s)
{
	uint8_t buf[RST_MAX];
	size_t len = rst_build(s, buf);
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	ssize_t n;

	if (s->family == AF_INET) {
		memcpy(&sin.sin_addr, s->dst, 4);
		n = sendto(raw4, buf, len, 0, (struct sockaddr *)&sin,
		    sizeof(sin));
	} else {
		memcpy(&sin6.sin6_addr, s->dst, 16);
		n = sendto(raw6, buf, len, 0, (struct sockaddr *)&sin6,
		    sizeof(sin6));
	}
	if (n != (ssize_t)len) {
		fprintf(stderr, "inject: sendto: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static const char *
seg_name(const struct seg *s, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

	inet_ntop(s->family, s->src, a, sizeof(a));
	inet_ntop(s->family, s->dst, b, sizeof(b));
	snprintf(buf, size, "%s.%u > %s.%u", a, s->sport, b, s->dport);
	return buf;
}

/* -T, -P: remember a packet leaving IFACE, by its source. */
static void
seen_learn(const struct seg *s)
{
	int i;

	for (i = 0; i < nseen; i++)
		if (seen[i].family == s->family &&
		    memcmp(seen[i].src, s->src, 16) == 0)
			break;
	if (i == MAX_SEEN)
		return;
	if (i == nseen)
		nseen++;
	seen[i] = *s;
}

/* -T, -P: the last packet addr sent out of IFACE, or NULL. */
static const struct seg *
seen_of(int family, const uint8_t *addr)
{
	int i;

	for (i = 0; i < nseen; i++)
		if (seen[i].family == family &&
		    memcmp(seen[i].src, addr, 16) == 0)
			return &seen[i];
	return NULL;
}

/*
 * -P: the RST the server's stack would send next, from its last packet
 * v: its TTL, DF, flow label, window, next IPv4 ID and timestamp, the
 * trigger's (t) TSval echoed.
 */
static void
perfect_shape(struct seg *c, const struct seg *t, const struct seg *v)
{
	c->ttl = v->ttl;
	c->df = v->df;
	c->flowlabel = v->flowlabel;
	c->win = v->win;
	c->ipid = (uint16_t)(v->ipid + 1);
	c->has_ts = v->has_ts && t->has_ts;
	c->tsval = v->tsval;
	c->tsecr = t->tsval;
}

/* -o: create path (the lab's go file). */
static void
sent_mark(const char *path)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fclose(f) != 0)
		fprintf(stderr, "inject: %s: %s\n", path, strerror(errno));
}

/* xorshift32: the GFW modes' "random" IDs and windows. */
static uint16_t
prng16(void)
{
	prng_state ^= prng_state << 13;
	prng_state ^= prng_state >> 17;
	prng_state ^= prng_state << 5;
	return (uint16_t)(prng_state >> 8);
}

/*
 * -G: shape the i-th RST of a burst to the client the way GFW type 1 or
 * type 2 does (see the top of the file); base is the burst's first
 * window (type 2).
 */
static void
gfw_shape(struct seg *c, const struct seg *t, long i, uint16_t base)
{
	c->ipid = prng16();
	if (gfw_type == 1) {
		c->flags = TH_RST;
		c->seq = t->ack;
		c->ack = 0;
		c->ttl = gfw1_ttl[i % BURST];
		c->win = prng16();
	} else {
		c->ttl = (uint8_t)(GFW2_TTL + i % BURST);
		c->win = (uint16_t)(base + i % BURST);
	}
}

/* Forge the burst to the client now; queue the RST to the server. */
static void
inject(const struct seg *t, double delay)
{
	struct seg c = *t, sv = *t;
	const struct seg *v;
	long n = perfect ? 1 : burst_count;
	char name[128];
	uint16_t base;
	double t0;
	long i;

	/* To the client, from the server. */
	memcpy(c.src, t->dst, 16);
	memcpy(c.dst, t->src, 16);
	c.sport = t->dport;
	c.dport = t->sport;
	c.ack = t->seq + (uint32_t)t->paylen;
	c.ttl = sv.ttl = 0;
	c.df = sv.df = 0;
	c.flowlabel = sv.flowlabel = 0;
	c.has_ts = sv.has_ts = 0;
	v = seen_of(c.family, c.src);
	if (copy_ttl) {
		c.ttl = v ? v->ttl : 0;
		c.ipid = sv.ipid = FIXED_IPID;
	}
	if (trigger_ttl)
		c.ttl = t->ttl;
	base = prng16();
	t0 = clk_mono_s();
	for (i = 0; i < n; i++) {
		c.seq = t->ack + burst_offset[i % BURST];
		if (gfw_type)
			gfw_shape(&c, t, i, base);
		if (perfect && v)
			perfect_shape(&c, t, v);
		rst_send(&c);
	}
	t0 = clk_mono_s() - t0;
	fprintf(stderr, "inject: trigger %s seq %u ack %u: %ld RSTs to the "
	    "client at seq %u%s, ttl %u%s, in %.3f ms (%.0f/s)\n",
	    seg_name(t, name, sizeof(name)), t->seq, t->ack, n,
	    t->ack, gfw_type == 1 ? " (type 1: R, no ACK)" :
	    n == 1 ? "" : " +1460 +4380",
	    c.ttl ? c.ttl : FORGED_TTL, gfw_type ? " (last)" : "", t0 * 1e3,
	    t0 > 0 ? n / t0 : 0.0);
	if (sent_file != NULL)
		sent_mark(sent_file);
	if (perfect)
		fprintf(stderr, "inject: perfect: %s, ip id %u, window %u, "
		    "df %d, tsval %u tsecr %u\n", v ? "copied the server's "
		    "last packet" : "NO server packet seen", c.ipid, c.win,
		    c.df, c.tsval, c.tsecr);

	if (client_only)
		return;
	/* To the server, from the client, later. */
	sv.seq = t->seq + (uint32_t)t->paylen;
	sv.ack = t->ack;
	sv.ttl = FORGED_TTL;
	if (gfw_type == 1) {
		sv.flags = TH_RST;
		sv.ack = 0;
	}
	if (npending == MAX_PENDING) {
		fprintf(stderr, "inject: too many pending resets; dropped\n");
		return;
	}
	pending[npending].rst = sv;
	pending[npending].due = clk_mono_s() + delay;
	npending++;
}

static void
pending_run(void)
{
	char name[128];
	int i;

	for (i = 0; i < npending; i++) {
		if (pending[i].due > clk_mono_s())
			continue;
		if (rst_send(&pending[i].rst) == 0)
			fprintf(stderr, "inject: RST to the server %s seq %u\n",
			    seg_name(&pending[i].rst, name, sizeof(name)),
			    pending[i].rst.seq);
		pending[i--] = pending[--npending];
	}
}

static int
pending_timeout_ms(void)
{
	double next = 1.0, t = clk_mono_s();
	int i;

	for (i = 0; i < npending; i++)
		if (pending[i].due - t < next)
			next = pending[i].due - t;
	return next <= 0 ? 0 : (int)(next * 1000) + 1;
}

static int
sniff_open(const char *ifname)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
	};
	int fd;

	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (sll.sll_ifindex == 0) {
		fprintf(stderr, "inject: %s: no such interface\n", ifname);
		return -1;
	}
	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (fd == -1 || bind(fd, (struct sockaddr *)&sll, sizeof(sll)) == -1) {
		fprintf(stderr, "inject: packet socket on %s: %s\n", ifname,
		    strerror(errno));
		return -1;
	}
	return fd;
}

static void
usage(void)
{
	fprintf(stderr, "usage: inject -i IFACE -k KEYWORD [-cPRT] [-G 1|2] "
	    "[-n COUNT] [-o FILE] [-p PORT] [-d DELAY_MS] [-t SECONDS]\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	const char *ifname = NULL, *keyword = NULL;
	struct sched_param sp = { .sched_priority = 10 };
	struct seg s, last = { 0 };
	uint8_t frame[2048];
	long port = 0, off;
	double delay = 0.3, deadline, seconds = 120;
	int fd, ch;

	while ((ch = getopt(argc, argv, "cG:i:k:n:o:p:d:t:PRT")) != -1) {
		switch (ch) {
		case 'c': client_only = 1; break;
		case 'P': perfect = 1; break;
		case 'o': sent_file = optarg; break;
		case 'G': gfw_type = (int)strtol(optarg, NULL, 10); break;
		case 'n': burst_count = strtol(optarg, NULL, 10); break;
		case 'R': trigger_ttl = 1; break;
		case 'T': copy_ttl = 1; break;
		case 'i': ifname = optarg; break;
		case 'k': keyword = optarg; break;
		case 'p': port = strtol(optarg, NULL, 10); break;
		case 'd': delay = strtol(optarg, NULL, 10) / 1000.0; break;
		case 't': seconds = strtol(optarg, NULL, 10); break;
		default: usage();
		}
	}
	if (ifname == NULL || keyword == NULL || *keyword == '\0' ||
	    gfw_type < 0 || gfw_type > 2)
		usage();
	prng_state ^= (uint32_t)getpid() << 16 ^ (uint32_t)time(NULL);
	deadline = clk_mono_s() + seconds;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	/* Answer faster than the server's reply, even on a loaded host. */
	sched_setscheduler(0, SCHED_FIFO, &sp);

	raw4 = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	raw6 = socket(AF_INET6, SOCK_RAW, IPPROTO_RAW);
	if (raw4 == -1 || raw6 == -1) {
		fprintf(stderr, "inject: raw socket: %s\n", strerror(errno));
		return 1;
	}
	if ((fd = sniff_open(ifname)) == -1)
		return 1;
	/*
	 * The socket also sees what leaves IFACE, our own floods among it:
	 * 5000 RSTs fill its buffer, and a trigger arriving meanwhile would
	 * be lost.  Only -P and -T need the outgoing packets (the server's);
	 * for them, a buffer that holds a whole flood.
	 */
	if (!copy_ttl && !perfect) {
		int one = 1;

		if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one,
		    sizeof(one)) == -1)
			fprintf(stderr, "inject: PACKET_IGNORE_OUTGOING: %s\n",
			    strerror(errno));
	}
	{
		int size = 16 << 20;

		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size,
		    sizeof(size)) == -1)
			fprintf(stderr, "inject: SO_RCVBUFFORCE: %s\n",
			    strerror(errno));
	}
	printf("ready on %s, keyword \"%s\"\n", ifname, keyword);
	fflush(stdout);

	while (!quit && clk_mono_s() < deadline) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		struct sockaddr_ll from;
		socklen_t fromlen = sizeof(from);
		ssize_t n;

		pending_run();
		if (poll(&pfd, 1, pending_timeout_ms()) <= 0)
			continue;
		n = recvfrom(fd, frame, sizeof(frame), 0,
		    (struct sockaddr *)&from, &fromlen);
		if (n <= 0)
			continue;
		off = seg_parse(frame, (size_t)n, &s);
		if (from.sll_pkttype == PACKET_OUTGOING) {
			if ((copy_ttl || perfect) && off >= 0)
				seen_learn(&s);
			continue;
		}
		if (off < 0 || s.paylen == 0 || (port && s.dport != port))
			continue;
		if (memmem(frame + off, s.paylen, keyword, strlen(keyword)) ==
		    NULL)
			continue;
		/* A retransmitted trigger gets no second burst. */
		if (seg_same(&s, &last))
			continue;
		last = s;
		inject(&s, delay);
	}
	return 0;
}
