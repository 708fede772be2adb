/*
 * bench/ctview.c: what the view of conntrack (src/ctview.c) costs per
 * event and per lookup, on messages shaped as the kernel sends them
 * (ctnetlink_conntrack_event(): both tuples, status, timeout, mark,
 * TCP protoinfo, both counters, use, id), for N connections each making
 * a NEW, five UPDATEs (SYN_RECV, ESTABLISHED, FIN_WAIT, LAST_ACK,
 * TIME_WAIT) and a DESTROY, 256 connections open at a time.
 *
 *   make bench/ctview && ./bench/ctview [N]      (default 200000)
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tcp.h>

#include "../src/ctview.h"

#define MSG_MAX	320	/* bytes a message takes here, at most */
#define OPEN	256	/* connections open at a time */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void tuple(struct nlmsghdr *nlh, uint16_t type, uint32_t a, uint32_t b,
		  uint16_t pa, uint16_t pb)
{
	struct nlattr *t = mnl_attr_nest_start(nlh, type), *n;

	n = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	mnl_attr_put_u32(nlh, CTA_IP_V4_SRC, htonl(a));
	mnl_attr_put_u32(nlh, CTA_IP_V4_DST, htonl(b));
	mnl_attr_nest_end(nlh, n);
	n = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, IPPROTO_TCP);
	mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(pa));
	mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(pb));
	mnl_attr_nest_end(nlh, n);
	mnl_attr_nest_end(nlh, t);
}

static void counters(struct nlmsghdr *nlh, uint16_t type, uint64_t pkts)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, type);

	mnl_attr_put_u64(nlh, CTA_COUNTERS_PACKETS, htobe64(pkts));
	mnl_attr_put_u64(nlh, CTA_COUNTERS_BYTES, htobe64(pkts * 80));
	mnl_attr_nest_end(nlh, n);
}

/* Event k (0 new, 1..5 updates, 6 destroy) of connection c, into buf. */
static size_t event(char *buf, uint32_t c, int k)
{
	static const uint8_t state[] = {
		TCP_CONNTRACK_SYN_SENT, TCP_CONNTRACK_SYN_RECV,
		TCP_CONNTRACK_ESTABLISHED, TCP_CONNTRACK_FIN_WAIT,
		TCP_CONNTRACK_LAST_ACK, TCP_CONNTRACK_TIME_WAIT,
		TCP_CONNTRACK_TIME_WAIT };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	uint32_t cli = 0x0a000000u | (c >> 12), srv = 0x0a800001u;
	uint16_t port = (uint16_t)(1024 + (c & 0xfff));
	struct nfgenmsg *nfg;
	struct nlattr *pi, *tcp;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) |
			  (k == 6 ? IPCTNL_MSG_CT_DELETE : IPCTNL_MSG_CT_NEW);
	nlh->nlmsg_flags = k == 0 ? NLM_F_CREATE | NLM_F_EXCL : 0;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_INET;
	tuple(nlh, CTA_TUPLE_ORIG, cli, srv, port, 80);
	tuple(nlh, CTA_TUPLE_REPLY, srv, cli, 80, port);
	mnl_attr_put_u32(nlh, CTA_STATUS, htonl(IPS_CONFIRMED |
			 (k ? IPS_SEEN_REPLY : 0) | (k > 1 ? IPS_ASSURED : 0)));
	if (k < 6) {
		mnl_attr_put_u32(nlh, CTA_TIMEOUT, htonl(120));
		pi = mnl_attr_nest_start(nlh, CTA_PROTOINFO);
		tcp = mnl_attr_nest_start(nlh, CTA_PROTOINFO_TCP);
		mnl_attr_put_u8(nlh, CTA_PROTOINFO_TCP_STATE, state[k]);
		mnl_attr_put_u8(nlh, CTA_PROTOINFO_TCP_WSCALE_ORIGINAL, 7);
		mnl_attr_put_u8(nlh, CTA_PROTOINFO_TCP_WSCALE_REPLY, 7);
		mnl_attr_nest_end(nlh, tcp);
		mnl_attr_nest_end(nlh, pi);
	}
	counters(nlh, CTA_COUNTERS_ORIG, (uint64_t)k + 1);
	counters(nlh, CTA_COUNTERS_REPLY, (uint64_t)k);
	mnl_attr_put_u32(nlh, CTA_USE, htonl(1));
	mnl_attr_put_u32(nlh, CTA_ID, htonl(c * 2654435761u));
	mnl_attr_put_u32(nlh, CTA_MARK, htonl(0));
	return nlh->nlmsg_len;
}

int main(int argc, char **argv)
{
	uint32_t n = argc > 1 ? (uint32_t)atoi(argv[1]) : 200000, i, found = 0;
	uint64_t nev = (uint64_t)n * 7, t0, t1;
	char *buf = aligned_alloc(8, nev * MSG_MAX);
	size_t *len = calloc(nev, sizeof(*len)), *off = calloc(nev, sizeof(*off));
	struct ctview *v = ctview_new(262144);
	struct ctview_stats st;
	struct ct_info ci;
	size_t at = 0, e = 0;

	if (buf == NULL || len == NULL || off == NULL || v == NULL)
		return 1;
	ctview_set_synced(v);
	/* Round robin over OPEN connections: each advances one event a turn. */
	for (uint32_t base = 0; base < n; base += OPEN)
		for (int k = 0; k < 7; k++)
			for (i = base; i < base + OPEN && i < n; i++) {
				off[e] = at;
				len[e] = event(buf + at, i, k);
				at += (len[e] + 7) & ~(size_t)7;
				e++;
			}
	t0 = now_ns();
	for (e = 0; e < nev; e++) {
		ctview_apply_datagram(v, buf + off[e], len[e]);
		/* A RST lookup every 7 events, on a connection open now. */
		if (e % 7 == 0) {
			struct pkt p;
			uint32_t c = (uint32_t)(e / 7 / OPEN * OPEN + e % OPEN);
			uint32_t cli = htonl(0x0a000000u | (c >> 12));
			uint32_t srv = htonl(0x0a800001u);

			memset(&p, 0, sizeof(p));
			p.family = 4;
			memcpy(p.src, &srv, 4);
			memcpy(p.dst, &cli, 4);
			p.sport = 80;
			p.dport = (uint16_t)(1024 + (c & 0xfff));
			found += ctview_find(v, &p, &ci) == 1;
		}
	}
	t1 = now_ns();
	ctview_get_stats(v, &st);
	printf("ctview: %u connections, %llu events (%zu bytes each, about), "
	       "%u lookups found\n", n, (unsigned long long)nev, at / nev, found);
	printf("ctview: %.0f ns per event, lookups included; %llu applied, "
	       "%u entries left\n", (double)(t1 - t0) / (double)nev,
	       (unsigned long long)st.events, st.entries);
	ctview_free(v);
	free(buf);
	free(len);
	free(off);
	return 0;
}
