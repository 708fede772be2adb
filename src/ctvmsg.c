/*
 * ctvmsg.c: one ctnetlink conntrack message, read for the view (see
 * ctview.h): the tuples, status, mark, id and TCP state, nothing else.
 */
#include <string.h>

#include <arpa/inet.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "ctview_int.h"

/*
 * Bytes to walk attribute by attribute.  Our own walker, inline: a
 * message is read once, without callbacks or a table per nesting level
 * (libmnl's took half of an event's cost).
 */
struct span {
	const uint8_t	*p;
	size_t		 n;
};

/* The next attribute of s: 1 (type, its payload), 0 at the end, -1 malformed. */
static inline int attr_next(struct span *s, uint16_t *type, struct span *pl)
{
	struct nlattr a;
	size_t adv;

	if (s->n == 0)
		return 0;
	if (s->n < sizeof(a))
		return -1;
	memcpy(&a, s->p, sizeof(a));
	if (a.nla_len < sizeof(a) || a.nla_len > s->n)
		return -1;
	*type = a.nla_type & NLA_TYPE_MASK;
	pl->p = s->p + sizeof(a);
	pl->n = a.nla_len - sizeof(a);
	adv = NLA_ALIGN(a.nla_len);
	if (adv > s->n)
		adv = s->n;
	s->p += adv;
	s->n -= adv;
	return 1;
}

static int u8_of(const struct span *pl, uint8_t *v)
{
	if (pl->n != 1)
		return -1;
	*v = pl->p[0];
	return 0;
}

static int be16_of(const struct span *pl, uint16_t *v)
{
	if (pl->n != 2)
		return -1;
	*v = (uint16_t)(pl->p[0] << 8 | pl->p[1]);
	return 0;
}

static int be32_of(const struct span *pl, uint32_t *v, uint8_t *has)
{
	uint32_t be;

	if (pl->n != 4)
		return -1;
	memcpy(&be, pl->p, 4);
	*v = ntohl(be);
	*has = 1;
	return 0;
}

static int addr_of(const struct span *pl, uint8_t *dst, size_t len)
{
	if (pl->n != len)
		return -1;
	memcpy(dst, pl->p, len);
	return 0;
}

/* CTA_TUPLE_IP's addresses: one family's, len bytes each. */
static int tuple_ip(struct span s, int v6, struct ctv_key *k, int *got)
{
	struct span pl;
	uint16_t type;
	int rc;

	while ((rc = attr_next(&s, &type, &pl)) > 0) {
		if (type == (v6 ? CTA_IP_V6_SRC : CTA_IP_V4_SRC)) {
			if (addr_of(&pl, k->src, v6 ? 16 : 4) < 0)
				return -1;
			*got |= 1;
		} else if (type == (v6 ? CTA_IP_V6_DST : CTA_IP_V4_DST)) {
			if (addr_of(&pl, k->dst, v6 ? 16 : 4) < 0)
				return -1;
			*got |= 2;
		}
	}
	return rc;
}

/* CTA_TUPLE_PROTO: the protocol, and the ports for TCP. */
static int tuple_proto(struct span s, struct ctv_key *k, uint8_t *proto,
		       int *got)
{
	struct span pl;
	uint16_t type;
	int rc;

	while ((rc = attr_next(&s, &type, &pl)) > 0) {
		if (type == CTA_PROTO_NUM) {
			if (u8_of(&pl, proto) < 0)
				return -1;
			*got |= 4;
		} else if (type == CTA_PROTO_SRC_PORT) {
			if (be16_of(&pl, &k->sport) < 0)
				return -1;
			*got |= 8;
		} else if (type == CTA_PROTO_DST_PORT) {
			if (be16_of(&pl, &k->dport) < 0)
				return -1;
			*got |= 16;
		}
	}
	return rc;
}

/* CTA_TUPLE_* into k; *proto its layer 4 protocol (ports only for TCP). */
static int tuple_get(struct span s, int family, struct ctv_key *k,
		     uint8_t *proto)
{
	int v6 = family == AF_INET6, got = 0, rc;
	struct span pl;
	uint16_t type;

	memset(k, 0, sizeof(*k));
	k->family = v6 ? 6 : 4;
	*proto = 0;
	while ((rc = attr_next(&s, &type, &pl)) > 0) {
		if (type == CTA_TUPLE_IP && tuple_ip(pl, v6, k, &got) < 0)
			return -1;
		if (type == CTA_TUPLE_PROTO && tuple_proto(pl, k, proto, &got) < 0)
			return -1;
	}
	if (rc < 0 || !(got & 4))
		return -1;
	return *proto != IPPROTO_TCP || got == 31 ? 0 : -1;
}

/* CTA_PROTOINFO: TCP's state, when there. */
static int protoinfo_get(struct span s, struct ctv_msg *m)
{
	struct span pl, in;
	uint16_t type;
	int rc, rc2;

	while ((rc = attr_next(&s, &type, &pl)) > 0) {
		if (type != CTA_PROTOINFO_TCP)
			continue;
		in = pl;
		while ((rc2 = attr_next(&in, &type, &pl)) > 0)
			if (type == CTA_PROTOINFO_TCP_STATE) {
				if (u8_of(&pl, &m->state) < 0)
					return -1;
				m->has_state = 1;
			}
		if (rc2 < 0)
			return -1;
	}
	return rc;
}

int ctv_msg_get(const struct nlmsghdr *nlh, struct ctv_msg *m)
{
	struct span s, pl, orig = { NULL, 0 }, reply = { NULL, 0 };
	const struct nfgenmsg *nfg;
	uint16_t type;
	uint8_t proto;
	int rc;

	memset(m, 0, sizeof(*m));
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*nfg)))
		return -1;
	nfg = mnl_nlmsg_get_payload(nlh);
	if (nfg->nfgen_family != AF_INET && nfg->nfgen_family != AF_INET6)
		return -1;
	s.p = (const uint8_t *)nfg + MNL_ALIGN(sizeof(*nfg));
	s.n = nlh->nlmsg_len - mnl_nlmsg_size(MNL_ALIGN(sizeof(*nfg)));
	while ((rc = attr_next(&s, &type, &pl)) > 0) {
		switch (type) {
		case CTA_TUPLE_ORIG:
			orig = pl;
			break;
		case CTA_TUPLE_REPLY:
			reply = pl;
			break;
		case CTA_STATUS:
			rc = be32_of(&pl, &m->status, &m->has_status);
			break;
		case CTA_MARK:
			rc = be32_of(&pl, &m->mark, &m->has_mark);
			break;
		case CTA_ID:
			rc = be32_of(&pl, &m->id, &m->has_id);
			break;
		case CTA_PROTOINFO:
			rc = protoinfo_get(pl, m);
			break;
		default:
			break;
		}
		if (rc < 0)
			return -1;
	}
	if (rc < 0 || orig.p == NULL ||
	    tuple_get(orig, nfg->nfgen_family, &m->k[0], &m->proto) < 0)
		return -1;
	if (m->proto != IPPROTO_TCP)
		return 0;
	m->have[0] = 1;
	if (reply.p != NULL) {
		if (tuple_get(reply, nfg->nfgen_family, &m->k[1], &proto) < 0 ||
		    proto != IPPROTO_TCP)
			return -1;
		m->have[1] = 1;
	}
	return 0;
}
