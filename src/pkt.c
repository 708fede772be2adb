/*
 * pkt.c: bounded parsing of one captured frame down to its TCP header.
 *
 * Each layer is handed a pointer and the number of bytes captured from it,
 * and checks before it reads.  The IP layer narrows the captured length to
 * what its own length fields claim, so Ethernet padding never reaches TCP,
 * and passes on the wire length as well, so a snaplen-truncated capture
 * still reports the true payload length.  All loads are byte loads: the
 * frame may sit at any alignment.
 */
#include <string.h>

#include "pkt.h"

const char *const pkt_status_names[PKT_STATUS_MAX] = {
	[PKT_OK]	= "ok",
	[PKT_NOT_IP]	= "not_ip",
	[PKT_NOT_TCP]	= "not_tcp",
	[PKT_FRAGMENT]	= "fragment",
	[PKT_TRUNCATED]	= "truncated",
	[PKT_MALFORMED]	= "malformed",
};

#define ETHER_HDRLEN		14
#define ETHER_TYPE_OFF		12
#define VLAN_TAGLEN		4
#define VLAN_MAX_TAGS		4	/* QinQ is 2; more is a loop, not a frame */
#define ETHERTYPE_IP		0x0800
#define ETHERTYPE_IPV6		0x86dd
#define ETHERTYPE_8021Q		0x8100
#define ETHERTYPE_8021AD	0x88a8
#define ETHERTYPE_QINQ		0x9100	/* pre-802.1ad vendor value */

#define SLL_HDRLEN		16
#define SLL_PROTO_OFF		14
#define SLL2_HDRLEN		20
#define SLL2_PKTTYPE_OFF	10
#define SLL_OUTGOING		4	/* PACKET_OUTGOING */
#define SLL_OTHERHOST		3	/* highest of the received kinds */

#define NULL_HDRLEN		4
#define BSD_AF_INET		2
#define BSD_AF_INET6_BSD	24	/* NetBSD, OpenBSD */
#define BSD_AF_INET6_FREEBSD	28
#define BSD_AF_INET6_DARWIN	30

#define PPP_ADDRESS		0xff	/* RFC 1662: all-stations address */
#define PPP_CONTROL		0x03	/* RFC 1662: unnumbered information */
#define PPP_IP			0x0021
#define PPP_IPV6		0x0057
#define CHDLC_HDRLEN		4	/* address, control, ethertype */
#define CHDLC_UNICAST		0x0f
#define CHDLC_BCAST		0x8f

#define IP4_HDRLEN		20
#define IP4_DF			0x4000
#define IP4_MF			0x2000
#define IP4_OFFMASK		0x1fff

#define IP6_HDRLEN		40
#define IP6_FRAGLEN		8
#define IP6_FRAG_OFF_M		0xfff9	/* offset and M bit, not reserved */
#define IP6_MAX_EXTHDRS		8

#define PROTO_HOPOPTS		0
#define PROTO_TCP		6
#define PROTO_ROUTING		43
#define PROTO_FRAGMENT		44
#define PROTO_AH		51
#define PROTO_DSTOPTS		60

#define TCP_HDRLEN		20
#define TCPOPT_EOL		0
#define TCPOPT_NOP		1
#define TCPOPT_MSS		2
#define TCPOPT_WSCALE		3
#define TCPOPT_SACKOK		4
#define TCPOPT_SACK		5
#define TCPOPT_TS		8
#define TCPOPT_MD5		19
#define TCPOPT_AO		29

/* Where the transport header lies, as the IP layer found it. */
struct l4 {
	const uint8_t *b;	/* first byte of the transport header */
	size_t cap;		/* bytes captured from b, never past the IP length */
	size_t wire;		/* bytes on the wire from b, from the IP length */
};

static inline uint16_t
get16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static inline uint32_t
get32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];
}

/* A link layer's protocol number to IP version: 4, 6, or PKT_NOT_IP. */
static enum pkt_status
proto_ver(uint16_t type, uint16_t ip4, uint16_t ip6, unsigned *ver)
{
	if (type == ip4)
		*ver = 4;
	else if (type == ip6)
		*ver = 6;
	else
		return PKT_NOT_IP;
	return PKT_OK;
}

static enum pkt_status
ethertype_ver(uint16_t type, unsigned *ver)
{
	return proto_ver(type, ETHERTYPE_IP, ETHERTYPE_IPV6, ver);
}

/* BSD address family to IP version; each BSD numbers AF_INET6 its own way. */
static enum pkt_status
af_ver(uint32_t af, unsigned *ver)
{
	switch (af) {
	case BSD_AF_INET:
		*ver = 4;
		return PKT_OK;
	case BSD_AF_INET6_BSD:
	case BSD_AF_INET6_FREEBSD:
	case BSD_AF_INET6_DARWIN:
		*ver = 6;
		return PKT_OK;
	default:
		return PKT_NOT_IP;
	}
}

static uint8_t
sll_dir(unsigned pkttype)
{
	if (pkttype == SLL_OUTGOING)
		return DIR_OUT;
	/* Loopback and fastroute copies (5, 6) say nothing about direction. */
	return pkttype <= SLL_OTHERHOST ? DIR_IN : DIR_UNKNOWN;
}

static int
is_vlan(uint16_t type)
{
	return type == ETHERTYPE_8021Q || type == ETHERTYPE_8021AD ||
	    type == ETHERTYPE_QINQ;
}

static enum pkt_status
ether_decode(const uint8_t *buf, size_t caplen, size_t *off, unsigned *ver)
{
	size_t o = ETHER_HDRLEN;
	uint16_t type;
	int tags = 0;

	if (caplen < ETHER_HDRLEN)
		return PKT_TRUNCATED;
	type = get16(buf + ETHER_TYPE_OFF);
	while (is_vlan(type)) {
		if (++tags > VLAN_MAX_TAGS)
			return PKT_NOT_IP;
		if (caplen - o < VLAN_TAGLEN)
			return PKT_TRUNCATED;
		/* A tag is TCI then the next ethertype. */
		type = get16(buf + o + 2);
		o += VLAN_TAGLEN;
	}
	*off = o;
	return ethertype_ver(type, ver);
}

/*
 * PPP (RFC 1661): the address and control bytes ff 03 may be left out
 * (RFC 1662 ACFC), and a protocol with an odd first byte is one byte long
 * (RFC 1661 PFC), as tcpdump's PPP printer reads them.
 */
static enum pkt_status
ppp_decode(const uint8_t *buf, size_t caplen, size_t *off, unsigned *ver)
{
	size_t o = 0;
	uint16_t proto;

	if (caplen >= 2 && buf[0] == PPP_ADDRESS && buf[1] == PPP_CONTROL)
		o = 2;
	if (caplen - o < 1)
		return PKT_TRUNCATED;
	if (buf[o] & 1) {
		proto = buf[o++];
	} else {
		if (caplen - o < 2)
			return PKT_TRUNCATED;
		proto = get16(buf + o);
		o += 2;
	}
	*off = o;
	return proto_ver(proto, PPP_IP, PPP_IPV6, ver);
}

/* Cisco HDLC (RFC 1547 4.3.1): address, control, then an ethertype. */
static enum pkt_status
chdlc_decode(const uint8_t *buf, size_t caplen, size_t *off, unsigned *ver)
{
	if (caplen < CHDLC_HDRLEN)
		return PKT_TRUNCATED;
	*off = CHDLC_HDRLEN;
	return ethertype_ver(get16(buf + 2), ver);
}

/* PPP in HDLC-like framing (50): the first byte tells PPP from Cisco's. */
static enum pkt_status
ppp_hdlc_decode(const uint8_t *buf, size_t caplen, size_t *off, unsigned *ver)
{
	if (caplen >= 1 && (buf[0] == CHDLC_UNICAST || buf[0] == CHDLC_BCAST))
		return chdlc_decode(buf, caplen, off, ver);
	return ppp_decode(buf, caplen, off, ver);
}

/*
 * Strip the link header.  On PKT_OK, *off is where the IP header starts
 * and *ver the IP version the link layer announced (4 or 6).
 */
static enum pkt_status
link_decode(struct pkt *p, enum link_type lt, const uint8_t *buf,
	    size_t caplen, size_t *off, unsigned *ver)
{
	uint32_t af;

	switch (lt) {
	case LINK_ETHER:
		return ether_decode(buf, caplen, off, ver);
	case LINK_SLL:
		if (caplen < SLL_HDRLEN)
			return PKT_TRUNCATED;
		p->dir = sll_dir(get16(buf));
		*off = SLL_HDRLEN;
		return ethertype_ver(get16(buf + SLL_PROTO_OFF), ver);
	case LINK_SLL2:
		if (caplen < SLL2_HDRLEN)
			return PKT_TRUNCATED;
		p->dir = sll_dir(buf[SLL2_PKTTYPE_OFF]);
		*off = SLL2_HDRLEN;
		return ethertype_ver(get16(buf), ver);
	case LINK_RAW:
		if (caplen < 1)
			return PKT_TRUNCATED;
		*ver = buf[0] >> 4;
		*off = 0;
		return *ver == 4 || *ver == 6 ? PKT_OK : PKT_MALFORMED;
	case LINK_IPV4:
	case LINK_IPV6:
		*ver = lt == LINK_IPV4 ? 4 : 6;
		*off = 0;
		return PKT_OK;
	case LINK_NULL:
		if (caplen < NULL_HDRLEN)
			return PKT_TRUNCATED;
		/* Written in the capturing host's order: the zero half tells. */
		af = get32(buf);
		if ((af & 0xffff) == 0)
			af = __builtin_bswap32(af);
		*off = NULL_HDRLEN;
		return af_ver(af, ver);
	case LINK_LOOP:
		if (caplen < NULL_HDRLEN)
			return PKT_TRUNCATED;
		*off = NULL_HDRLEN;
		return af_ver(get32(buf), ver);
	case LINK_PPP:
		return ppp_decode(buf, caplen, off, ver);
	case LINK_PPP_HDLC:
		return ppp_hdlc_decode(buf, caplen, off, ver);
	case LINK_CHDLC:
		return chdlc_decode(buf, caplen, off, ver);
	}
	return PKT_NOT_IP;
}

/*
 * An IPv4 address into its 16-byte field as one 8-byte store, the upper
 * half zero: flow_sender_side() and flow_key() read the field back as
 * 8-byte words right away, and a load that spans two stores (a 4-byte
 * one and pkt_parse()'s clearing) cannot be forwarded from them; it
 * waited for both to reach the cache, a tenth of a frame's reading.
 */
static inline void put_addr4(uint8_t *dst, const uint8_t *b)
{
	uint64_t w = 0;

	memcpy(&w, b, 4);	/* its bytes first, then zeros, in any byte order */
	memcpy(dst, &w, sizeof(w));
}

static enum pkt_status
ip4_parse(struct pkt *p, const uint8_t *b, size_t cap, struct l4 *l4)
{
	size_t hlen, tot;
	uint16_t frag;

	if (cap < IP4_HDRLEN)
		return PKT_TRUNCATED;
	hlen = (size_t)(b[0] & 0x0f) * 4;
	tot = get16(b + 2);
	/*
	 * Total length 0 is what a capture on the sending host shows for a
	 * TSO/GSO super-segment: take the captured length, as tcpdump does.
	 */
	if (tot == 0)
		tot = cap;
	if (b[0] >> 4 != 4 || hlen < IP4_HDRLEN || tot < hlen)
		return PKT_MALFORMED;
	if (cap < hlen)
		return PKT_TRUNCATED;
	/*
	 * Protocol before fragment: a UDP fragment is not TCP we failed to
	 * see, so PKT_FRAGMENT counts only the TCP that reassembly hides.
	 */
	if (b[9] != PROTO_TCP)
		return PKT_NOT_TCP;
	frag = get16(b + 6);
	if (frag & (IP4_MF | IP4_OFFMASK))
		return PKT_FRAGMENT;

	p->family = 4;
	p->tos = b[1];
	p->ipid = get16(b + 4);
	p->df = (frag & IP4_DF) != 0;
	p->ttl = b[8];
	p->ip_opts = hlen > IP4_HDRLEN;
	put_addr4(p->src, b + 12);
	put_addr4(p->dst, b + 16);

	if (cap > tot)
		cap = tot;	/* the rest is link-layer padding */
	l4->b = b + hlen;
	l4->cap = cap - hlen;
	l4->wire = tot - hlen;
	return PKT_OK;
}

static int
ip6_is_ext(uint8_t nh)
{
	return nh == PROTO_HOPOPTS || nh == PROTO_ROUTING ||
	    nh == PROTO_FRAGMENT || nh == PROTO_AH || nh == PROTO_DSTOPTS;
}

/*
 * Walk the extension headers from b (cap captured, wire on the wire) to
 * TCP.  ESP, "no next header" and anything unknown end the walk as
 * PKT_NOT_TCP: what lies behind them cannot be read.
 */
static enum pkt_status
ip6_exthdrs(struct pkt *p, uint8_t nh, const uint8_t *b, size_t cap,
	    size_t wire, struct l4 *l4)
{
	size_t o = 0, len;
	int n;

	for (n = 0; n <= IP6_MAX_EXTHDRS; n++) {
		if (nh == PROTO_TCP) {
			l4->b = b + o;
			l4->cap = cap - o;
			l4->wire = wire - o;
			return PKT_OK;
		}
		if (!ip6_is_ext(nh) || n == IP6_MAX_EXTHDRS)
			return PKT_NOT_TCP;
		if (wire - o < 2)
			return PKT_MALFORMED;
		if (cap - o < 2)
			return PKT_TRUNCATED;
		if (nh == PROTO_FRAGMENT)
			len = IP6_FRAGLEN;
		else if (nh == PROTO_AH)
			len = ((size_t)b[o + 1] + 2) * 4;
		else
			len = ((size_t)b[o + 1] + 1) * 8;
		if (wire - o < len)
			return PKT_MALFORMED;
		if (cap - o < len)
			return PKT_TRUNCATED;
		/*
		 * An atomic fragment (offset 0, M clear) is a whole packet
		 * and is processed as one (RFC 6946).  Otherwise the next
		 * header still tells whether TCP is inside (RFC 8200 4.5).
		 */
		if (nh == PROTO_FRAGMENT && (get16(b + o + 2) & IP6_FRAG_OFF_M))
			return b[o] == PROTO_TCP || ip6_is_ext(b[o]) ?
			    PKT_FRAGMENT : PKT_NOT_TCP;
		p->ip_opts = 1;
		nh = b[o];
		o += len;
	}
	return PKT_NOT_TCP;
}

static enum pkt_status
ip6_parse(struct pkt *p, const uint8_t *b, size_t cap, struct l4 *l4)
{
	uint32_t vcf;
	size_t plen, wire;

	if (cap < IP6_HDRLEN)
		return PKT_TRUNCATED;
	vcf = get32(b);
	if (vcf >> 28 != 6)
		return PKT_MALFORMED;
	p->family = 6;
	p->tos = (uint8_t)(vcf >> 20);
	p->flowlabel = vcf & 0xfffff;
	p->ttl = b[7];
	memcpy(p->src, b + 8, 16);
	memcpy(p->dst, b + 24, 16);

	cap -= IP6_HDRLEN;
	plen = get16(b + 4);
	/*
	 * Payload length 0 is a jumbogram, or a Linux BIG TCP/GSO
	 * super-packet caught before segmentation: the length is not in the
	 * header, so take what was captured as the wire length.
	 */
	if (plen == 0)
		wire = cap;
	else {
		wire = plen;
		if (cap > wire)
			cap = wire;	/* link-layer padding */
	}
	return ip6_exthdrs(p, b[6], b + IP6_HDRLEN, cap, wire, l4);
}

/* Decode one option of known length; -1 if its length is wrong for it. */
static int
tcp_opt_one(struct tcp_opts *o, uint8_t kind, const uint8_t *b, size_t len)
{
	switch (kind) {
	case TCPOPT_MSS:
		if (len != 4)
			return -1;
		o->mss = get16(b + 2);
		o->has |= TOPT_MSS;
		break;
	case TCPOPT_WSCALE:
		if (len != 3)
			return -1;
		o->wscale = b[2];
		o->has |= TOPT_WSCALE;
		break;
	case TCPOPT_SACKOK:
		if (len != 2)
			return -1;
		o->has |= TOPT_SACKOK;
		break;
	case TCPOPT_SACK:
		if (len < 10 || (len - 2) % 8 != 0)
			return -1;
		o->sack_blocks = (uint8_t)((len - 2) / 8);
		o->has |= TOPT_SACK;
		break;
	case TCPOPT_TS:
		if (len != 10)
			return -1;
		o->tsval = get32(b + 2);
		o->tsecr = get32(b + 6);
		o->has |= TOPT_TS;
		break;
	case TCPOPT_MD5:
		if (len != 18)
			return -1;
		o->has |= TOPT_MD5;
		break;
	case TCPOPT_AO:
		if (len < 4)	/* KeyID, RNextKeyID, then the MAC */
			return -1;
		o->has |= TOPT_AO;
		break;
	default:
		o->has |= TOPT_OTHER;
		break;
	}
	return 0;
}

/*
 * Options occupy len bytes on the wire, cap of them captured.  A bad
 * length ends the walk quietly, keeping what came before: the segment is
 * still worth explaining.  Running into the capture end sets truncated.
 */
static void
tcp_opts_parse(struct tcp_opts *o, const uint8_t *b, size_t len, size_t cap)
{
	size_t i = 0, olen;

	while (i < cap) {
		if (b[i] == TCPOPT_EOL)
			return;
		if (b[i] == TCPOPT_NOP) {
			i++;
			continue;
		}
		if (len - i < 2)
			return;
		if (cap - i < 2)
			break;
		olen = b[i + 1];
		if (olen < 2 || olen > len - i)
			return;
		if (olen > cap - i)
			break;
		if (tcp_opt_one(o, b[i], b + i, olen) < 0)
			return;
		i += olen;
	}
	if (cap < len)
		o->truncated = 1;
}

static enum pkt_status
tcp_parse(struct pkt *p, const struct l4 *l4)
{
	const uint8_t *b = l4->b;
	size_t hlen, hcap;

	if (l4->wire < TCP_HDRLEN)
		return PKT_MALFORMED;
	if (l4->cap < TCP_HDRLEN)
		return PKT_TRUNCATED;
	hlen = (size_t)(b[12] >> 4) * 4;
	if (hlen < TCP_HDRLEN || hlen > l4->wire)
		return PKT_MALFORMED;

	p->sport = get16(b);
	p->dport = get16(b + 2);
	p->seq = get32(b + 4);
	p->ack = get32(b + 8);
	p->flags = b[13];
	p->win = get16(b + 14);

	hcap = l4->cap < hlen ? l4->cap : hlen;
	if (hlen > TCP_HDRLEN)
		tcp_opts_parse(&p->opt, b + TCP_HDRLEN, hlen - TCP_HDRLEN,
		    hcap - TCP_HDRLEN);

	/* l4->cap <= l4->wire, so the captured part never exceeds the wire. */
	p->payload_len = (uint32_t)(l4->wire - hlen);
	p->payload = b + hcap;
	p->payload_caplen = (uint32_t)(l4->cap - hcap);
	return PKT_OK;
}

static const struct pkt pkt_zero;

enum pkt_status
pkt_parse(struct pkt *p, enum link_type lt, const uint8_t *buf, size_t caplen)
{
	struct l4 l4;
	size_t off = 0;
	unsigned ver = 0;
	enum pkt_status st;

	/* Copied from a zero, not memset(): gcc clears 100 bytes of
	 * unknown alignment with rep stos, whose start-up was a fifth of
	 * this function's time; a copy is a few vector moves. */
	*p = pkt_zero;
	if (caplen == 0)
		return PKT_TRUNCATED;	/* and buf may be NULL */
	st = link_decode(p, lt, buf, caplen, &off, &ver);
	if (st != PKT_OK)
		return st;
	if (ver == 4)
		st = ip4_parse(p, buf + off, caplen - off, &l4);
	else
		st = ip6_parse(p, buf + off, caplen - off, &l4);
	if (st != PKT_OK)
		return st;
	return tcp_parse(p, &l4);
}
