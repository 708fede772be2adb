/*
 * test_pkt.c: pkt_parse() on byte-array frames.  IP-and-up fixtures are
 * written once and put behind each link header; variants copy a fixture
 * and poke the bytes under test.
 */
#include <stdint.h>
#include <string.h>

#include "pkt.h"
#include "t.h"

#define FRAME_MAX	256

/* IPv4 10.0.0.1:49152 -> 10.0.0.2:80, SYN, Linux option set. */
static const uint8_t ip4_syn[] = {
	0x45, 0x10, 0x00, 0x3c, 0x12, 0x34, 0x40, 0x00,	/* tos 0x10, DF */
	0x40, 0x06, 0x00, 0x00, 10, 0, 0, 1, 10, 0, 0, 2,
	0xc0, 0x00, 0x00, 0x50, 0x11, 0x22, 0x33, 0x44,	/* seq */
	0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0xfa, 0xf0,	/* doff 10, SYN */
	0x00, 0x00, 0x00, 0x00,
	2, 4, 0x05, 0xb4,				/* MSS 1460 */
	4, 2,						/* SACK permitted */
	8, 10, 0x01, 0x02, 0x03, 0x04, 0, 0, 0, 0,	/* TS */
	1,						/* NOP */
	3, 3, 7,					/* WS 7 */
};

/* IPv4 10.0.0.2:80 -> 10.0.0.1:49152, RST|ACK carrying 5 bytes. */
static const uint8_t ip4_rst_data[] = {
	0x45, 0x00, 0x00, 0x2d, 0xab, 0xcd, 0x00, 0x00,
	0x3f, 0x06, 0x00, 0x00, 10, 0, 0, 2, 10, 0, 0, 1,
	0x00, 0x50, 0xc0, 0x00, 0xde, 0xad, 0xbe, 0xef,
	0x11, 0x22, 0x33, 0x45, 0x50, 0x14, 0x00, 0x00,	/* doff 5, RST|ACK */
	0x00, 0x00, 0x00, 0x00,
	'h', 'e', 'l', 'l', 'o',
};

/* IPv6 2001:db8::1 -> 2001:db8::2, the same SYN; tc 0xb8, flow 0x12345. */
static const uint8_t ip6_syn[] = {
	0x6b, 0x81, 0x23, 0x45, 0x00, 0x28, 0x06, 0x39,	/* plen 40, hlim 57 */
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
	0xc0, 0x00, 0x00, 0x50, 0x11, 0x22, 0x33, 0x44,
	0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0xfa, 0xf0,
	0x00, 0x00, 0x00, 0x00,
	2, 4, 0x05, 0xa0, 4, 2,
	8, 10, 0x01, 0x02, 0x03, 0x04, 0, 0, 0, 0,
	1, 3, 3, 7,
};

/* IPv6 RST behind hop-by-hop, destination options and routing headers. */
static const uint8_t ip6_ext_rst[] = {
	0x60, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x40,	/* plen 44, nh HBH */
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	60, 0, 1, 4, 0, 0, 0, 0,			/* HBH, PadN */
	43, 0, 1, 4, 0, 0, 0, 0,			/* dstopts, PadN */
	6, 0, 4, 0, 0, 0, 0, 0,				/* routing, SRH, no segs */
	0x00, 0x50, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x07,
	0x00, 0x00, 0x00, 0x00, 0x50, 0x04, 0x00, 0x00,	/* RST */
	0x00, 0x00, 0x00, 0x00,
};
#define IP6_EXT_TCP	(40 + 24)

/* Bare TCP headers, put behind an IP header by tcp4(). */

/* NOP NOP TS, NOP NOP SACK with three blocks: 40 bytes of options. */
static const uint8_t tcp_sack3[] = {
	0x00, 0x50, 0xc0, 0x00, 0, 0, 0, 1, 0, 0, 0, 2,
	0xf0, 0x10, 0x01, 0x00, 0, 0, 0, 0,
	1, 1, 8, 10, 0xaa, 0xbb, 0xcc, 0xdd, 0x11, 0x22, 0x33, 0x44,
	1, 1, 5, 26,
	0, 0, 0, 10, 0, 0, 0, 20,
	0, 0, 0, 30, 0, 0, 0, 40,
	0, 0, 0, 50, 0, 0, 0, 60,
};

/* MD5, AO, an unknown option: 40 bytes of options. */
static const uint8_t tcp_sig[] = {
	0x00, 0xb3, 0xc0, 0x00, 0, 0, 0, 1, 0, 0, 0, 2,
	0xf0, 0x14, 0x01, 0x00, 0, 0, 0, 0,
	19, 18, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
	29, 16, 1, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
	254, 4, 0xf9, 0x89,
	1, 1,
};

static size_t
cat(uint8_t *out, const uint8_t *hdr, size_t hlen, const uint8_t *ip,
    size_t iplen)
{
	memcpy(out, hdr, hlen);
	memcpy(out + hlen, ip, iplen);
	return hlen + iplen;
}

/* An IPv4 header (20 bytes, protocol TCP) in front of a bare TCP header. */
static size_t
tcp4(uint8_t *out, const uint8_t *tcp, size_t tcplen)
{
	memcpy(out, ip4_rst_data, 20);
	out[2] = (uint8_t)((20 + tcplen) >> 8);
	out[3] = (uint8_t)(20 + tcplen);
	memcpy(out + 20, tcp, tcplen);
	return 20 + tcplen;
}

static const uint8_t eth_ip4[14] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00,
};
static const uint8_t eth_ip6[14] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x86, 0xdd,
};

static void
check_ip4_syn(const struct pkt *p)
{
	static const uint8_t src[16] = { 10, 0, 0, 1 };
	static const uint8_t dst[16] = { 10, 0, 0, 2 };

	CHECK_EQ(p->family, 4);
	CHECK_EQ(p->ttl, 64);
	CHECK_EQ(p->tos, 0x10);
	CHECK_EQ(p->df, 1);
	CHECK_EQ(p->ip_opts, 0);
	CHECK_EQ(p->ipid, 0x1234);
	CHECK_EQ(p->flowlabel, 0);
	CHECK(memcmp(p->src, src, 16) == 0);
	CHECK(memcmp(p->dst, dst, 16) == 0);
	CHECK_EQ(p->sport, 49152);
	CHECK_EQ(p->dport, 80);
	CHECK_EQ(p->seq, 0x11223344);
	CHECK_EQ(p->ack, 0);
	CHECK_EQ(p->flags, TH_SYN);
	CHECK_EQ(p->win, 0xfaf0);
	CHECK_EQ(p->opt.has, TOPT_MSS | TOPT_SACKOK | TOPT_TS | TOPT_WSCALE);
	CHECK_EQ(p->opt.mss, 1460);
	CHECK_EQ(p->opt.wscale, 7);
	CHECK_EQ(p->opt.tsval, 0x01020304);
	CHECK_EQ(p->opt.tsecr, 0);
	CHECK_EQ(p->opt.truncated, 0);
	CHECK_EQ(p->payload_len, 0);
	CHECK_EQ(p->payload_caplen, 0);
	CHECK(p->payload != NULL);
}

static void
test_status_names(void)
{
	int i, j;

	for (i = 0; i < PKT_STATUS_MAX; i++) {
		CHECK(pkt_status_names[i] != NULL);
		for (j = 0; j < i; j++)
			CHECK(strcmp(pkt_status_names[i],
			    pkt_status_names[j]) != 0);
	}
	CHECK_STR(pkt_status_names[PKT_OK], "ok");
	CHECK_STR(pkt_status_names[PKT_FRAGMENT], "fragment");
}

static void
test_link_ipv4(void)
{
	struct pkt p;

	CHECK_EQ(pkt_parse(&p, LINK_IPV4, ip4_syn, sizeof(ip4_syn)), PKT_OK);
	check_ip4_syn(&p);
	CHECK_EQ(p.dir, DIR_UNKNOWN);
	CHECK(p.payload == ip4_syn + sizeof(ip4_syn));
	/* An IPv6 packet on an IPv4-only link is nonsense. */
	CHECK_EQ(pkt_parse(&p, LINK_IPV4, ip6_syn, sizeof(ip6_syn)),
	    PKT_MALFORMED);
}

static void
test_link_ipv6(void)
{
	static const uint8_t src[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	struct pkt p;

	CHECK_EQ(pkt_parse(&p, LINK_IPV6, ip6_syn, sizeof(ip6_syn)), PKT_OK);
	CHECK_EQ(p.family, 6);
	CHECK_EQ(p.ttl, 57);
	CHECK_EQ(p.tos, 0xb8);
	CHECK_EQ(p.flowlabel, 0x12345);
	CHECK_EQ(p.ipid, 0);
	CHECK_EQ(p.df, 0);
	CHECK_EQ(p.ip_opts, 0);
	CHECK(memcmp(p.src, src, 16) == 0);
	CHECK_EQ(p.dst[15], 2);
	CHECK_EQ(p.flags, TH_SYN);
	CHECK_EQ(p.opt.mss, 1440);
	CHECK_EQ(p.opt.has, TOPT_MSS | TOPT_SACKOK | TOPT_TS | TOPT_WSCALE);
	CHECK_EQ(p.payload_len, 0);
	CHECK_EQ(pkt_parse(&p, LINK_IPV6, ip4_syn, sizeof(ip4_syn)),
	    PKT_MALFORMED);
}

static void
test_link_raw(void)
{
	static const uint8_t junk[] = { 0x50, 0, 0, 0 };
	struct pkt p;

	CHECK_EQ(pkt_parse(&p, LINK_RAW, ip4_syn, sizeof(ip4_syn)), PKT_OK);
	check_ip4_syn(&p);
	CHECK_EQ(pkt_parse(&p, LINK_RAW, ip6_syn, sizeof(ip6_syn)), PKT_OK);
	CHECK_EQ(p.family, 6);
	CHECK_EQ(pkt_parse(&p, LINK_RAW, junk, sizeof(junk)), PKT_MALFORMED);
}

static void
test_link_ether(void)
{
	static const uint8_t arp[14 + 28] = { [12] = 0x08, [13] = 0x06 };
	uint8_t f[FRAME_MAX];
	size_t n;
	struct pkt p;

	n = cat(f, eth_ip4, 14, ip4_syn, sizeof(ip4_syn));
	CHECK_EQ(pkt_parse(&p, LINK_ETHER, f, n), PKT_OK);
	check_ip4_syn(&p);
	n = cat(f, eth_ip6, 14, ip6_syn, sizeof(ip6_syn));
	CHECK_EQ(pkt_parse(&p, LINK_ETHER, f, n), PKT_OK);
	CHECK_EQ(p.family, 6);
	CHECK_EQ(pkt_parse(&p, LINK_ETHER, arp, sizeof(arp)), PKT_NOT_IP);
	/* The ethertype promised IPv4; the header is IPv6. */
	n = cat(f, eth_ip4, 14, ip6_syn, sizeof(ip6_syn));
	CHECK_EQ(pkt_parse(&p, LINK_ETHER, f, n), PKT_MALFORMED);
	CHECK_EQ(pkt_parse(&p, LINK_ETHER, f, 13), PKT_TRUNCATED);
	CHECK_EQ(pkt_parse(&p, LINK_ETHER, f, 14), PKT_TRUNCATED);
}

static void
test_vlan(void)
{
	static const uint8_t hdr[18] = {
		[12] = 0x81, 0x00, 0x20, 0x64, 0x08, 0x00,	/* VLAN 100 */
	};
	uint8_t f[FRAME_MAX];
	size_t n;
	struct pkt p;

	n = cat(f, hdr, sizeof(hdr), ip4_syn, sizeof(ip4_syn));
	CHECK_EQ(pkt_parse(&p, LINK_ETHER, f, n), PKT_OK);
	check_ip4_syn(&p);
	CHECK_EQ(pkt_parse(&p, LINK_ETHER, f, 16), PKT_TRUNCATED);
	CHECK_EQ(pkt_parse(&p, LINK_ETHER, f, 18), PKT_TRUNCATED);
}

static void
test_qinq(void)
{
	static const uint8_t ad[22] = {
		[12] = 0x88, 0xa8, 0x00, 0x0a, 0x81, 0x00, 0x00, 0x14,
		0x86, 0xdd,
	};
	static const uint8_t old[22] = {
		[12] = 0x91, 0x00, 0x00, 0x0a, 0x81, 0x00, 0x00, 0x14,
		0x08, 0x00,
	};
	uint8_t f[FRAME_MAX];
	size_t n;
	struct pkt p;

	n = cat(f, ad, sizeof(ad), ip6_syn, sizeof(ip6_syn));
	CHECK_EQ(pkt_parse(&p, LINK_ETHER, f, n), PKT_OK);
	CHECK_EQ(p.family, 6);
	CHECK_EQ(p.opt.mss, 1440);
	n = cat(f, old, sizeof(old), ip4_syn, sizeof(ip4_syn));
	CHECK_EQ(pkt_parse(&p, LINK_ETHER, f, n), PKT_OK);
	check_ip4_syn(&p);
	/* Truncated between the two tags. */
	CHECK_EQ(pkt_parse(&p, LINK_ETHER, f, 20), PKT_TRUNCATED);
}

static void
test_vlan_depth(void)
{
	uint8_t hdr[30] = { 0 }, f[FRAME_MAX];
	size_t n, i;
	struct pkt p;

	/* Four tags are decoded, a fifth is given up on. */
	for (i = 0; i < 4; i++) {
		hdr[12 + 4 * i] = 0x81;
		hdr[13 + 4 * i] = 0x00;
	}
	hdr[28] = 0x08;
	hdr[29] = 0x00;
	n = cat(f, hdr, sizeof(hdr), ip4_syn, sizeof(ip4_syn));
	CHECK_EQ(pkt_parse(&p, LINK_ETHER, f, n), PKT_OK);
	CHECK_EQ(p.seq, 0x11223344);
	f[28] = 0x81;
	f[29] = 0x00;
	CHECK_EQ(pkt_parse(&p, LINK_ETHER, f, n), PKT_NOT_IP);
}

static void
test_link_sll(void)
{
	uint8_t hdr[16] = { 0, 4, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0,
			    0x08, 0x00 };
	uint8_t f[FRAME_MAX];
	size_t n;
	struct pkt p;

	n = cat(f, hdr, sizeof(hdr), ip4_syn, sizeof(ip4_syn));
	CHECK_EQ(pkt_parse(&p, LINK_SLL, f, n), PKT_OK);
	check_ip4_syn(&p);
	CHECK_EQ(p.dir, DIR_OUT);
	for (f[1] = 0; f[1] <= 3; f[1]++) {
		CHECK_EQ(pkt_parse(&p, LINK_SLL, f, n), PKT_OK);
		CHECK_EQ(p.dir, DIR_IN);
	}
	f[1] = 5;	/* PACKET_LOOPBACK: no direction */
	CHECK_EQ(pkt_parse(&p, LINK_SLL, f, n), PKT_OK);
	CHECK_EQ(p.dir, DIR_UNKNOWN);

	hdr[14] = 0x86;
	hdr[15] = 0xdd;
	n = cat(f, hdr, sizeof(hdr), ip6_syn, sizeof(ip6_syn));
	CHECK_EQ(pkt_parse(&p, LINK_SLL, f, n), PKT_OK);
	CHECK_EQ(p.family, 6);
	CHECK_EQ(p.dir, DIR_OUT);
	f[14] = 0x08;
	f[15] = 0x06;
	CHECK_EQ(pkt_parse(&p, LINK_SLL, f, n), PKT_NOT_IP);
	CHECK_EQ(pkt_parse(&p, LINK_SLL, f, 15), PKT_TRUNCATED);
}

static void
test_link_sll2(void)
{
	uint8_t hdr[20] = { 0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6,
			    1, 2, 3, 4, 5, 6, 0, 0 };
	uint8_t f[FRAME_MAX];
	size_t n;
	struct pkt p;

	n = cat(f, hdr, sizeof(hdr), ip4_syn, sizeof(ip4_syn));
	CHECK_EQ(pkt_parse(&p, LINK_SLL2, f, n), PKT_OK);
	check_ip4_syn(&p);
	CHECK_EQ(p.dir, DIR_IN);
	f[10] = 4;
	CHECK_EQ(pkt_parse(&p, LINK_SLL2, f, n), PKT_OK);
	CHECK_EQ(p.dir, DIR_OUT);

	hdr[0] = 0x86;
	hdr[1] = 0xdd;
	n = cat(f, hdr, sizeof(hdr), ip6_syn, sizeof(ip6_syn));
	CHECK_EQ(pkt_parse(&p, LINK_SLL2, f, n), PKT_OK);
	CHECK_EQ(p.family, 6);
	CHECK_EQ(pkt_parse(&p, LINK_SLL2, f, 19), PKT_TRUNCATED);
}

static void
test_link_null(void)
{
	static const uint8_t fam[][4] = {
		{ 2, 0, 0, 0 }, { 0, 0, 0, 2 },
		{ 24, 0, 0, 0 }, { 0, 0, 0, 24 },
		{ 28, 0, 0, 0 }, { 0, 0, 0, 28 },
		{ 30, 0, 0, 0 }, { 0, 0, 0, 30 },
	};
	static const uint8_t other[4] = { 0, 0, 0, 7 };
	uint8_t f[FRAME_MAX];
	size_t i, n;
	struct pkt p;

	for (i = 0; i < sizeof(fam) / sizeof(fam[0]); i++) {
		int v6 = i >= 2;

		n = cat(f, fam[i], 4, v6 ? ip6_syn : ip4_syn,
		    v6 ? sizeof(ip6_syn) : sizeof(ip4_syn));
		CHECK_EQ(pkt_parse(&p, LINK_NULL, f, n), PKT_OK);
		CHECK_EQ(p.family, v6 ? 6 : 4);
	}
	n = cat(f, other, 4, ip4_syn, sizeof(ip4_syn));
	CHECK_EQ(pkt_parse(&p, LINK_NULL, f, n), PKT_NOT_IP);
	CHECK_EQ(pkt_parse(&p, LINK_NULL, f, 3), PKT_TRUNCATED);
}

/* PPP with every header RFC 1661/1662 allows, and what is not IP. */
static void
test_link_ppp(void)
{
	static const struct { uint8_t h[4]; size_t len; int v6; } hdr[] = {
		{ { 0xff, 0x03, 0x00, 0x21 }, 4, 0 },	/* full header */
		{ { 0x00, 0x21 }, 2, 0 },		/* ACFC */
		{ { 0x21 }, 1, 0 },			/* ACFC and PFC */
		{ { 0xff, 0x03, 0x21 }, 3, 0 },		/* PFC */
		{ { 0xff, 0x03, 0x00, 0x57 }, 4, 1 },
		{ { 0x57 }, 1, 1 },
	};
	static const uint8_t lcp[4] = { 0xff, 0x03, 0xc0, 0x21 };
	uint8_t f[FRAME_MAX];
	size_t i, n;
	struct pkt p;

	for (i = 0; i < sizeof(hdr) / sizeof(hdr[0]); i++) {
		n = cat(f, hdr[i].h, hdr[i].len, hdr[i].v6 ? ip6_syn : ip4_syn,
		    hdr[i].v6 ? sizeof(ip6_syn) : sizeof(ip4_syn));
		CHECK_EQ(pkt_parse(&p, LINK_PPP, f, n), PKT_OK);
		CHECK_EQ(p.family, hdr[i].v6 ? 6 : 4);
		if (!hdr[i].v6)
			check_ip4_syn(&p);
		/* PPP in HDLC-like framing reads the same bytes (first not 0x0f/0x8f). */
		CHECK_EQ(pkt_parse(&p, LINK_PPP_HDLC, f, n), PKT_OK);
	}
	n = cat(f, lcp, 4, ip4_syn, sizeof(ip4_syn));
	CHECK_EQ(pkt_parse(&p, LINK_PPP, f, n), PKT_NOT_IP);
	CHECK_EQ(pkt_parse(&p, LINK_PPP, f, 2), PKT_TRUNCATED);	/* ff 03 only */
	CHECK_EQ(pkt_parse(&p, LINK_PPP, f, 3), PKT_TRUNCATED);	/* half a protocol */
	CHECK_EQ(pkt_parse(&p, LINK_PPP, f, 0), PKT_TRUNCATED);
}

/* Cisco HDLC alone (104) and behind PPP_HDLC's first byte (50). */
static void
test_link_chdlc(void)
{
	static const struct {
		uint8_t h[4];
		int lt, v6;
		enum pkt_status want;
	} c[] = {
		{ { 0x0f, 0x00, 0x08, 0x00 }, LINK_CHDLC, 0, PKT_OK },
		{ { 0x0f, 0x00, 0x08, 0x00 }, LINK_PPP_HDLC, 0, PKT_OK },
		/* The same bytes as PPP: protocol 0x0f is not IP. */
		{ { 0x0f, 0x00, 0x08, 0x00 }, LINK_PPP, 0, PKT_NOT_IP },
		{ { 0x8f, 0x00, 0x86, 0xdd }, LINK_CHDLC, 1, PKT_OK },
		{ { 0x8f, 0x00, 0x86, 0xdd }, LINK_PPP_HDLC, 1, PKT_OK },
		{ { 0x8f, 0x00, 0x80, 0x35 }, LINK_CHDLC, 0, PKT_NOT_IP }, /* SLARP */
	};
	uint8_t f[FRAME_MAX];
	size_t i, n;
	struct pkt p;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		n = cat(f, c[i].h, 4, c[i].v6 ? ip6_syn : ip4_syn,
		    c[i].v6 ? sizeof(ip6_syn) : sizeof(ip4_syn));
		CHECK_EQ(pkt_parse(&p, (enum link_type)c[i].lt, f, n), c[i].want);
		if (c[i].want == PKT_OK)
			CHECK_EQ(p.family, c[i].v6 ? 6 : 4);
		if (c[i].want == PKT_OK && !c[i].v6)
			check_ip4_syn(&p);
	}
	CHECK_EQ(pkt_parse(&p, LINK_CHDLC, f, 3), PKT_TRUNCATED);
	CHECK_EQ(pkt_parse(&p, LINK_PPP_HDLC, f, 3), PKT_TRUNCATED);
}

static void
test_link_loop(void)
{
	static const uint8_t af4[4] = { 0, 0, 0, 2 };
	static const uint8_t af6[4] = { 0, 0, 0, 24 };
	static const uint8_t le4[4] = { 2, 0, 0, 0 };
	uint8_t f[FRAME_MAX];
	size_t n;
	struct pkt p;

	n = cat(f, af4, 4, ip4_syn, sizeof(ip4_syn));
	CHECK_EQ(pkt_parse(&p, LINK_LOOP, f, n), PKT_OK);
	check_ip4_syn(&p);
	n = cat(f, af6, 4, ip6_syn, sizeof(ip6_syn));
	CHECK_EQ(pkt_parse(&p, LINK_LOOP, f, n), PKT_OK);
	CHECK_EQ(p.family, 6);
	/* Network order only: the little-endian form is not IPv4 here. */
	n = cat(f, le4, 4, ip4_syn, sizeof(ip4_syn));
	CHECK_EQ(pkt_parse(&p, LINK_LOOP, f, n), PKT_NOT_IP);
}

static void
test_zero_length(void)
{
	struct pkt p;
	int lt;

	for (lt = LINK_ETHER; lt <= LINK_LOOP; lt++)
		CHECK_EQ(pkt_parse(&p, (enum link_type)lt, NULL, 0),
		    PKT_TRUNCATED);
}

static void
test_unknown_link(void)
{
	struct pkt p;

	CHECK_EQ(pkt_parse(&p, (enum link_type)99, ip4_syn, sizeof(ip4_syn)),
	    PKT_NOT_IP);
}

static void
test_ip4_options(void)
{
	uint8_t f[FRAME_MAX];
	size_t n;
	struct pkt p;

	/* IHL 7: router alert, three NOPs, EOL. */
	memcpy(f, ip4_syn, 20);
	f[0] = 0x47;
	f[3] = 0x3c + 8;
	memcpy(f + 20, "\x94\x04\x00\x00\x01\x01\x01\x00", 8);
	memcpy(f + 28, ip4_syn + 20, sizeof(ip4_syn) - 20);
	n = sizeof(ip4_syn) + 8;
	CHECK_EQ(pkt_parse(&p, LINK_IPV4, f, n), PKT_OK);
	CHECK_EQ(p.ip_opts, 1);
	CHECK_EQ(p.sport, 49152);
	CHECK_EQ(p.opt.mss, 1460);
	CHECK_EQ(p.opt.wscale, 7);
	/* Cut inside the IP options. */
	CHECK_EQ(pkt_parse(&p, LINK_IPV4, f, 24), PKT_TRUNCATED);
}

static void
test_ip6_exthdrs(void)
{
	struct pkt p;

	CHECK_EQ(pkt_parse(&p, LINK_IPV6, ip6_ext_rst, sizeof(ip6_ext_rst)),
	    PKT_OK);
	CHECK_EQ(p.ip_opts, 1);
	CHECK_EQ(p.flags, TH_RST);
	CHECK_EQ(p.sport, 80);
	CHECK_EQ(p.seq, 7);
	CHECK_EQ(p.src[15], 2);
	CHECK_EQ(p.payload_len, 0);
	CHECK(p.payload == ip6_ext_rst + sizeof(ip6_ext_rst));
	/* Cut inside each extension header in turn. */
	CHECK_EQ(pkt_parse(&p, LINK_IPV6, ip6_ext_rst, 41), PKT_TRUNCATED);
	CHECK_EQ(pkt_parse(&p, LINK_IPV6, ip6_ext_rst, 44), PKT_TRUNCATED);
	CHECK_EQ(pkt_parse(&p, LINK_IPV6, ip6_ext_rst, 52), PKT_TRUNCATED);
	CHECK_EQ(pkt_parse(&p, LINK_IPV6, ip6_ext_rst, 60), PKT_TRUNCATED);
	CHECK_EQ(pkt_parse(&p, LINK_IPV6, ip6_ext_rst, IP6_EXT_TCP + 19),
	    PKT_TRUNCATED);
}

static void
test_ip6_ah(void)
{
	uint8_t f[FRAME_MAX];
	size_t n;
	struct pkt p;

	/* AH with a 12-byte ICV: payload length field 4, (4 + 2) * 4 = 24. */
	memcpy(f, ip6_syn, 40);
	f[6] = 51;
	memset(f + 40, 0, 24);
	f[40] = 6;
	f[41] = 4;
	memcpy(f + 64, ip6_syn + 40, sizeof(ip6_syn) - 40);
	n = sizeof(ip6_syn) + 24;
	f[5] = (uint8_t)(n - 40);
	CHECK_EQ(pkt_parse(&p, LINK_IPV6, f, n), PKT_OK);
	CHECK_EQ(p.ip_opts, 1);
	CHECK_EQ(p.opt.mss, 1440);
	CHECK_EQ(p.payload_len, 0);
}

static void
test_ip6_not_tcp(void)
{
	uint8_t f[FRAME_MAX];
	struct pkt p;

	memcpy(f, ip6_syn, sizeof(ip6_syn));
	f[6] = 50;		/* ESP */
	CHECK_EQ(pkt_parse(&p, LINK_IPV6, f, sizeof(ip6_syn)), PKT_NOT_TCP);
	f[6] = 59;		/* no next header */
	CHECK_EQ(pkt_parse(&p, LINK_IPV6, f, sizeof(ip6_syn)), PKT_NOT_TCP);
	f[6] = 17;		/* UDP */
	CHECK_EQ(pkt_parse(&p, LINK_IPV6, f, sizeof(ip6_syn)), PKT_NOT_TCP);
	/* TCP behind a destination options header behind ESP: unreadable. */
	memcpy(f, ip6_ext_rst, sizeof(ip6_ext_rst));
	f[40] = 50;
	CHECK_EQ(pkt_parse(&p, LINK_IPV6, f, sizeof(ip6_ext_rst)),
	    PKT_NOT_TCP);
}

static void
test_ip6_chain_bound(void)
{
	uint8_t f[FRAME_MAX];
	size_t n, i;
	struct pkt p;

	/* Eight destination options headers are walked, nine are not. */
	for (i = 8; i <= 9; i++) {
		memcpy(f, ip6_ext_rst, 40);
		f[6] = 60;
		memset(f + 40, 0, 8 * i);
		for (n = 0; n < i; n++)
			f[40 + 8 * n] = n + 1 < i ? 60 : 6;
		memcpy(f + 40 + 8 * i, ip6_ext_rst + IP6_EXT_TCP, 20);
		n = 40 + 8 * i + 20;
		f[5] = (uint8_t)(n - 40);
		CHECK_EQ(pkt_parse(&p, LINK_IPV6, f, n),
		    i == 8 ? PKT_OK : PKT_NOT_TCP);
	}
}

static void
test_ip4_fragments(void)
{
	uint8_t f[FRAME_MAX];
	struct pkt p;

	memcpy(f, ip4_syn, sizeof(ip4_syn));
	f[6] = 0x20;		/* MF, offset 0: the first fragment */
	f[7] = 0x00;
	CHECK_EQ(pkt_parse(&p, LINK_IPV4, f, sizeof(ip4_syn)), PKT_FRAGMENT);
	f[6] = 0x00;		/* last fragment, offset 8 * 0x20 */
	f[7] = 0x20;
	CHECK_EQ(pkt_parse(&p, LINK_IPV4, f, sizeof(ip4_syn)), PKT_FRAGMENT);
	f[9] = 17;		/* a UDP fragment is just not TCP */
	CHECK_EQ(pkt_parse(&p, LINK_IPV4, f, sizeof(ip4_syn)), PKT_NOT_TCP);
	f[9] = 6;
	f[6] = 0x00;		/* DF clear, not a fragment */
	f[7] = 0x00;
	CHECK_EQ(pkt_parse(&p, LINK_IPV4, f, sizeof(ip4_syn)), PKT_OK);
	CHECK_EQ(p.df, 0);
}

static void
test_ip6_fragments(void)
{
	uint8_t f[FRAME_MAX];
	size_t n;
	struct pkt p;

	memcpy(f, ip6_syn, 40);
	f[6] = 44;
	memcpy(f + 40, "\x06\x00\x00\x01\x00\x00\x00\x2a", 8);	/* M=1 */
	memcpy(f + 48, ip6_syn + 40, sizeof(ip6_syn) - 40);
	n = sizeof(ip6_syn) + 8;
	f[5] = (uint8_t)(n - 40);
	CHECK_EQ(pkt_parse(&p, LINK_IPV6, f, n), PKT_FRAGMENT);
	f[42] = 0x01;		/* offset 32, M=0: the last fragment */
	f[43] = 0x00;
	CHECK_EQ(pkt_parse(&p, LINK_IPV6, f, n), PKT_FRAGMENT);
	f[40] = 17;
	CHECK_EQ(pkt_parse(&p, LINK_IPV6, f, n), PKT_NOT_TCP);
	/* Atomic fragment (RFC 6946): a whole packet, parsed through. */
	f[40] = 6;
	f[42] = 0x00;
	f[43] = 0x06;		/* reserved bits set: still atomic */
	CHECK_EQ(pkt_parse(&p, LINK_IPV6, f, n), PKT_OK);
	CHECK_EQ(p.ip_opts, 1);
	CHECK_EQ(p.opt.mss, 1440);
	/* Cut inside the fragment header. */
	CHECK_EQ(pkt_parse(&p, LINK_IPV6, f, 45), PKT_TRUNCATED);
}

static void
test_tcp_sack3_ts(void)
{
	uint8_t f[FRAME_MAX];
	size_t n;
	struct pkt p;

	n = tcp4(f, tcp_sack3, sizeof(tcp_sack3));
	CHECK_EQ(pkt_parse(&p, LINK_IPV4, f, n), PKT_OK);
	CHECK_EQ(p.flags, TH_ACK);
	CHECK_EQ(p.opt.has, TOPT_TS | TOPT_SACK);
	CHECK_EQ(p.opt.sack_blocks, 3);
	CHECK_EQ(p.opt.tsval, 0xaabbccdd);
	CHECK_EQ(p.opt.tsecr, 0x11223344);
	CHECK_EQ(p.opt.truncated, 0);
	CHECK_EQ(p.payload_len, 0);
}

static void
test_tcp_md5_ao_other(void)
{
	uint8_t f[FRAME_MAX];
	size_t n;
	struct pkt p;

	n = tcp4(f, tcp_sig, sizeof(tcp_sig));
	CHECK_EQ(pkt_parse(&p, LINK_IPV4, f, n), PKT_OK);
	CHECK_EQ(p.sport, 179);
	CHECK_EQ(p.flags, TH_RST | TH_ACK);
	CHECK_EQ(p.opt.has, TOPT_MD5 | TOPT_AO | TOPT_OTHER);
	CHECK_EQ(p.opt.truncated, 0);
}

static void
test_tcp_bad_option_len(void)
{
	uint8_t f[FRAME_MAX];
	size_t n;
	struct pkt p;

	/* TS with length 12 stops the walk; what came before is kept. */
	n = tcp4(f, ip4_syn + 20, 40);
	f[20 + 20 + 4 + 2 + 1] = 12;	/* TS length 10 -> 12 */
	CHECK_EQ(pkt_parse(&p, LINK_IPV4, f, n), PKT_OK);
	CHECK_EQ(p.opt.has, TOPT_MSS | TOPT_SACKOK);
	CHECK_EQ(p.opt.truncated, 0);
	/* Length 0 and 1 would loop or underflow. */
	n = tcp4(f, ip4_syn + 20, 40);
	f[41] = 0;
	CHECK_EQ(pkt_parse(&p, LINK_IPV4, f, n), PKT_OK);
	CHECK_EQ(p.opt.has, 0);
	f[41] = 1;
	CHECK_EQ(pkt_parse(&p, LINK_IPV4, f, n), PKT_OK);
	CHECK_EQ(p.opt.has, 0);
	/* WS length 4 overruns the header: stop, but not "truncated". */
	n = tcp4(f, ip4_syn + 20, 40);
	f[58] = 4;
	CHECK_EQ(pkt_parse(&p, LINK_IPV4, f, n), PKT_OK);
	CHECK_EQ(p.opt.has, TOPT_MSS | TOPT_SACKOK | TOPT_TS);
	CHECK_EQ(p.opt.truncated, 0);
	/* A kind in the last byte, with no room for its length. */
	f[57] = 1;
	f[58] = 1;
	f[59] = 2;
	CHECK_EQ(pkt_parse(&p, LINK_IPV4, f, n), PKT_OK);
	CHECK_EQ(p.opt.has, TOPT_MSS | TOPT_SACKOK | TOPT_TS);
	/* SACK with a partial block. */
	n = tcp4(f, tcp_sack3, sizeof(tcp_sack3));
	f[20 + 20 + 15] = 25;
	CHECK_EQ(pkt_parse(&p, LINK_IPV4, f, n), PKT_OK);
	CHECK_EQ(p.opt.has, TOPT_TS);
	CHECK_EQ(p.opt.sack_blocks, 0);
}

static void
test_tcp_eol(void)
{
	uint8_t f[FRAME_MAX];
	size_t n;
	struct pkt p;

	/* EOL ends the list even if garbage follows; cut after it is fine. */
	n = tcp4(f, ip4_syn + 20, 40);
	f[44] = 0;
	f[45] = 0xff;
	CHECK_EQ(pkt_parse(&p, LINK_IPV4, f, n), PKT_OK);
	CHECK_EQ(p.opt.has, TOPT_MSS);
	CHECK_EQ(pkt_parse(&p, LINK_IPV4, f, 50), PKT_OK);
	CHECK_EQ(p.opt.truncated, 0);
}

static void
test_snaplen_in_options(void)
{
	struct pkt p;
	size_t cut;

	/* Cut in the TS option: MSS and SACKOK are kept. */
	CHECK_EQ(pkt_parse(&p, LINK_IPV4, ip4_syn, 20 + 20 + 6 + 5), PKT_OK);
	CHECK_EQ(p.opt.has, TOPT_MSS | TOPT_SACKOK);
	CHECK_EQ(p.opt.mss, 1460);
	CHECK_EQ(p.opt.truncated, 1);
	CHECK_EQ(p.seq, 0x11223344);
	CHECK_EQ(p.payload_len, 0);
	CHECK_EQ(p.payload_caplen, 0);
	CHECK(p.payload == ip4_syn + 51);
	/* Cut between an option's kind and length byte. */
	CHECK_EQ(pkt_parse(&p, LINK_IPV4, ip4_syn, 20 + 20 + 5), PKT_OK);
	CHECK_EQ(p.opt.has, TOPT_MSS);
	CHECK_EQ(p.opt.truncated, 1);
	/* Cut on every byte of the options: never worse than that. */
	for (cut = 40; cut < sizeof(ip4_syn); cut++) {
		CHECK_EQ(pkt_parse(&p, LINK_IPV4, ip4_syn, cut), PKT_OK);
		CHECK_EQ(p.opt.truncated, 1);
		CHECK_EQ(p.payload_caplen, 0);
	}
}

static void
test_truncated_headers(void)
{
	uint8_t f[FRAME_MAX];
	size_t n, cut;
	struct pkt p;

	for (cut = 1; cut < 20; cut++)
		CHECK_EQ(pkt_parse(&p, LINK_IPV4, ip4_syn, cut), PKT_TRUNCATED);
	for (cut = 20; cut < 40; cut++)
		CHECK_EQ(pkt_parse(&p, LINK_IPV4, ip4_syn, cut), PKT_TRUNCATED);
	for (cut = 1; cut < 60; cut++)
		CHECK_EQ(pkt_parse(&p, LINK_IPV6, ip6_syn, cut), PKT_TRUNCATED);
	n = cat(f, eth_ip4, 14, ip4_syn, sizeof(ip4_syn));
	CHECK_EQ(pkt_parse(&p, LINK_ETHER, f, 14 + 10), PKT_TRUNCATED);
	CHECK_EQ(pkt_parse(&p, LINK_ETHER, f, 14 + 30), PKT_TRUNCATED);
	CHECK_EQ(pkt_parse(&p, LINK_ETHER, f, n), PKT_OK);
}

static void
test_bogus_lengths(void)
{
	uint8_t f[FRAME_MAX];
	struct pkt p;
	size_t n = sizeof(ip4_syn);

	memcpy(f, ip4_syn, n);
	f[0] = 0x44;		/* IHL 4 */
	CHECK_EQ(pkt_parse(&p, LINK_IPV4, f, n), PKT_MALFORMED);
	f[0] = 0x4f;		/* IHL 15: 60 bytes, more than total 60? */
	f[3] = 59;
	CHECK_EQ(pkt_parse(&p, LINK_IPV4, f, n), PKT_MALFORMED);
	f[0] = 0x45;
	f[3] = 19;		/* total length shorter than the header */
	CHECK_EQ(pkt_parse(&p, LINK_IPV4, f, n), PKT_MALFORMED);
	f[3] = 30;		/* no room for a TCP header */
	CHECK_EQ(pkt_parse(&p, LINK_IPV4, f, n), PKT_MALFORMED);
	f[3] = 50;		/* room for TCP, not for its options */
	CHECK_EQ(pkt_parse(&p, LINK_IPV4, f, n), PKT_MALFORMED);
	f[3] = 60;
	f[32] = 0x40;		/* data offset 4 */
	CHECK_EQ(pkt_parse(&p, LINK_IPV4, f, n), PKT_MALFORMED);
	f[32] = 0xf0;		/* data offset 15: past the IP payload */
	CHECK_EQ(pkt_parse(&p, LINK_IPV4, f, n), PKT_MALFORMED);
	f[32] = 0xa0;
	f[0] = 0x55;		/* version 5 */
	CHECK_EQ(pkt_parse(&p, LINK_IPV4, f, n), PKT_MALFORMED);

	/* IPv6: an extension header longer than the payload length. */
	memcpy(f, ip6_ext_rst, sizeof(ip6_ext_rst));
	f[41] = 10;
	CHECK_EQ(pkt_parse(&p, LINK_IPV6, f, sizeof(ip6_ext_rst)),
	    PKT_MALFORMED);
	memcpy(f, ip6_syn, sizeof(ip6_syn));
	f[5] = 19;		/* payload shorter than a TCP header */
	CHECK_EQ(pkt_parse(&p, LINK_IPV6, f, sizeof(ip6_syn)), PKT_MALFORMED);
	f[5] = 39;		/* shorter than this TCP header */
	CHECK_EQ(pkt_parse(&p, LINK_IPV6, f, sizeof(ip6_syn)), PKT_MALFORMED);
	f[5] = 40;
	f[0] = 0x4b;
	CHECK_EQ(pkt_parse(&p, LINK_IPV6, f, sizeof(ip6_syn)), PKT_MALFORMED);
}

static void
test_rst_with_payload(void)
{
	uint8_t f[FRAME_MAX];
	size_t n;
	struct pkt p;

	n = cat(f, eth_ip4, 14, ip4_rst_data, sizeof(ip4_rst_data));
	CHECK_EQ(pkt_parse(&p, LINK_ETHER, f, n), PKT_OK);
	CHECK_EQ(p.flags, TH_RST | TH_ACK);
	CHECK_EQ(p.seq, 0xdeadbeef);
	CHECK_EQ(p.ack, 0x11223345);
	CHECK_EQ(p.ttl, 63);
	CHECK_EQ(p.df, 0);
	CHECK_EQ(p.payload_len, 5);
	CHECK_EQ(p.payload_caplen, 5);
	CHECK(p.payload == f + 14 + 40);
	CHECK(memcmp(p.payload, "hello", 5) == 0);
	/* Snaplen cut inside the payload: wire length stays 5. */
	CHECK_EQ(pkt_parse(&p, LINK_ETHER, f, n - 3), PKT_OK);
	CHECK_EQ(p.payload_len, 5);
	CHECK_EQ(p.payload_caplen, 2);
	CHECK(p.payload == f + 14 + 40);
}

static void
test_ether_padding(void)
{
	uint8_t f[FRAME_MAX] = { 0 };
	size_t n;
	struct pkt p;

	/* A 45-byte IP packet in a minimum 60-byte frame. */
	n = cat(f, eth_ip4, 14, ip4_rst_data, sizeof(ip4_rst_data));
	memset(f + n, 0xee, 60 - n);
	CHECK_EQ(pkt_parse(&p, LINK_ETHER, f, 60), PKT_OK);
	CHECK_EQ(p.payload_len, 5);
	CHECK_EQ(p.payload_caplen, 5);
	/* A bare 40-byte RST: the six padding bytes are not payload. */
	f[14 + 3] = 40;
	CHECK_EQ(pkt_parse(&p, LINK_ETHER, f, 60), PKT_OK);
	CHECK_EQ(p.payload_len, 0);
	CHECK_EQ(p.payload_caplen, 0);
	/* The same for IPv6, padded with its payload length honoured. */
	n = cat(f, eth_ip6, 14, ip6_ext_rst, sizeof(ip6_ext_rst));
	memset(f + n, 0xee, 16);
	CHECK_EQ(pkt_parse(&p, LINK_ETHER, f, n + 16), PKT_OK);
	CHECK_EQ(p.payload_len, 0);
	CHECK_EQ(p.payload_caplen, 0);
}

static void
test_ip6_jumbo(void)
{
	uint8_t f[FRAME_MAX];
	size_t n = sizeof(ip6_syn);
	struct pkt p;

	/* Payload length 0: the captured length stands in for the wire. */
	memcpy(f, ip6_syn, n);
	f[4] = 0;
	f[5] = 0;
	memcpy(f + n, "abc", 3);
	CHECK_EQ(pkt_parse(&p, LINK_IPV6, f, n + 3), PKT_OK);
	CHECK_EQ(p.payload_len, 3);
	CHECK_EQ(p.payload_caplen, 3);
	CHECK(p.payload == f + n);
}

static void
test_struct_cleared(void)
{
	struct pkt p;
	int i, nz = 0;

	CHECK_EQ(pkt_parse(&p, LINK_IPV6, ip6_syn, sizeof(ip6_syn)), PKT_OK);
	CHECK_EQ(pkt_parse(&p, LINK_IPV4, ip4_rst_data, sizeof(ip4_rst_data)),
	    PKT_OK);
	for (i = 4; i < 16; i++)
		nz += p.src[i] | p.dst[i];
	CHECK_EQ(nz, 0);
	CHECK_EQ(p.flowlabel, 0);
	CHECK_EQ(p.opt.has, 0);
	CHECK_EQ(p.opt.mss, 0);
}

static void
test_seq_macros(void)
{
	CHECK(SEQ_LT(0xfffffff0u, 0x10u));
	CHECK(SEQ_GT(0x10u, 0xfffffff0u));
	CHECK(SEQ_LEQ(5u, 5u));
	CHECK(SEQ_GEQ(5u, 5u));
	CHECK(!SEQ_LT(5u, 5u));
}

int
main(void)
{
	T_RUN(test_status_names);
	T_RUN(test_link_ipv4);
	T_RUN(test_link_ipv6);
	T_RUN(test_link_raw);
	T_RUN(test_link_ether);
	T_RUN(test_vlan);
	T_RUN(test_qinq);
	T_RUN(test_vlan_depth);
	T_RUN(test_link_sll);
	T_RUN(test_link_sll2);
	T_RUN(test_link_null);
	T_RUN(test_link_loop);
	T_RUN(test_link_ppp);
	T_RUN(test_link_chdlc);
	T_RUN(test_zero_length);
	T_RUN(test_unknown_link);
	T_RUN(test_ip4_options);
	T_RUN(test_ip6_exthdrs);
	T_RUN(test_ip6_ah);
	T_RUN(test_ip6_not_tcp);
	T_RUN(test_ip6_chain_bound);
	T_RUN(test_ip4_fragments);
	T_RUN(test_ip6_fragments);
	T_RUN(test_tcp_sack3_ts);
	T_RUN(test_tcp_md5_ao_other);
	T_RUN(test_tcp_bad_option_len);
	T_RUN(test_tcp_eol);
	T_RUN(test_snaplen_in_options);
	T_RUN(test_truncated_headers);
	T_RUN(test_bogus_lengths);
	T_RUN(test_rst_with_payload);
	T_RUN(test_ether_padding);
	T_RUN(test_ip6_jumbo);
	T_RUN(test_struct_cleared);
	T_RUN(test_seq_macros);
	return T_END("test_pkt");
}
