/*
 * pkt.h: bounded parsing of one captured frame down to its TCP header.
 *
 * Pure: no I/O, no allocation, no libpcap.  Every read is checked against
 * the captured length; any sequence of octets may arrive.
 */
#ifndef RSTAUDIT_PKT_H
#define RSTAUDIT_PKT_H

#include <stddef.h>
#include <stdint.h>

/* Link types we decode.  Adapters map their own numbering (DLT_*) here. */
enum link_type {
	LINK_ETHER,	/* Ethernet II, 802.1Q and QinQ tags */
	LINK_SLL,	/* Linux cooked v1 */
	LINK_SLL2,	/* Linux cooked v2 */
	LINK_RAW,	/* raw IP, version from the first nibble */
	LINK_IPV4,	/* raw IPv4 */
	LINK_IPV6,	/* raw IPv6 */
	LINK_NULL,	/* BSD loopback, family in host byte order of the writer */
	LINK_LOOP,	/* OpenBSD loopback, family in network byte order */
	LINK_PPP,	/* PPP, with or without RFC 1662 address and control */
	LINK_PPP_HDLC,	/* PPP in HDLC-like framing, or Cisco HDLC (0x0f/0x8f) */
	LINK_CHDLC,	/* Cisco HDLC: address, control, ethertype */
};

/* What pkt_parse() made of a frame. */
enum pkt_status {
	PKT_OK,		/* a TCP segment; every field below is valid */
	PKT_NOT_IP,	/* ARP, LLDP, ...: not ours */
	PKT_NOT_TCP,	/* IP, but not TCP (or TCP behind an unknown header) */
	PKT_FRAGMENT,	/* an IP fragment: counted and skipped */
	PKT_TRUNCATED,	/* captured too short to hold the IP and TCP headers */
	PKT_MALFORMED,	/* impossible header lengths or versions */
	PKT_STATUS_MAX
};
extern const char *const pkt_status_names[PKT_STATUS_MAX];

/* TCP flag bits, as on the wire. */
#define TH_FIN	0x01
#define TH_SYN	0x02
#define TH_RST	0x04
#define TH_PSH	0x08
#define TH_ACK	0x10
#define TH_URG	0x20
#define TH_ECE	0x40
#define TH_CWR	0x80

/* TCP options seen (bits of tcp_opts.has). */
#define TOPT_MSS	0x01
#define TOPT_WSCALE	0x02
#define TOPT_SACKOK	0x04
#define TOPT_SACK	0x08
#define TOPT_TS		0x10
#define TOPT_MD5	0x20
#define TOPT_AO		0x40
#define TOPT_OTHER	0x80	/* an option we do not decode */

struct tcp_opts {
	uint8_t has;		/* TOPT_* */
	uint8_t wscale;
	uint8_t sack_blocks;
	uint8_t truncated;	/* the option list ran past the capture */
	uint16_t mss;
	uint32_t tsval, tsecr;
};

/* Link-layer direction, when the link type records it (Linux cooked). */
enum pkt_dir { DIR_UNKNOWN, DIR_IN, DIR_OUT };

struct pkt {
	uint8_t family;		/* 4 or 6 */
	uint8_t ttl;		/* TTL or hop limit */
	uint8_t tos;		/* TOS or traffic class */
	uint8_t df;		/* IPv4 DF bit */
	uint8_t ip_opts;	/* IPv4 options or IPv6 extension headers present */
	uint8_t flags;		/* TH_* */
	uint8_t dir;		/* enum pkt_dir */
	uint8_t pad_;
	uint16_t ipid;		/* IPv4 identification (0 for IPv6) */
	uint16_t sport, dport;
	uint16_t win;		/* raw, unscaled */
	uint32_t flowlabel;	/* IPv6 flow label (0 for IPv4) */
	uint32_t seq, ack;
	uint8_t src[16], dst[16]; /* IPv4 in the first 4 bytes, rest zero */
	uint32_t payload_len;	/* TCP payload length on the wire (from IP) */
	uint32_t payload_caplen; /* how much of it was captured */
	const uint8_t *payload;	/* points into the frame; payload_caplen bytes */
	struct tcp_opts opt;
};

/*
 * Parse one frame of link type lt, caplen bytes captured.  Returns a
 * pkt_status; p is fully set only for PKT_OK.  Never reads outside
 * buf[0..caplen).
 */
enum pkt_status pkt_parse(struct pkt *p, enum link_type lt,
			  const uint8_t *buf, size_t caplen);

/* Sequence space comparisons, wrap-safe. */
#define SEQ_LT(a, b)	((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b)	((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b)	((int32_t)((uint32_t)(a) - (uint32_t)(b)) > 0)
#define SEQ_GEQ(a, b)	((int32_t)((uint32_t)(a) - (uint32_t)(b)) >= 0)

#endif
