/*
 * evidence.c: the names of origins and causes, and each evidence item as a
 * sentence a person can check against the capture.
 */
#include <stdio.h>
#include <string.h>

#include "rst.h"

const char *const origin_names[ORIGIN_MAX] = {
	[ORIGIN_UNKNOWN] = "unknown",
	[ORIGIN_ENDPOINT] = "endpoint",
	[ORIGIN_LOCAL] = "local",
	[ORIGIN_MIDDLEBOX] = "middlebox",
};

const char *const cause_names[CAUSE_MAX] = {
	[CAUSE_UNKNOWN] = "unknown",
	[CAUSE_REFUSED] = "refused",
	[CAUSE_ABORT] = "abort",
	[CAUSE_AFTER_FIN] = "after-fin",
	[CAUSE_STALE] = "stale",
	[CAUSE_REJECT] = "reject",
	[CAUSE_INJECTED] = "injected",
};

/* One decimal octet at o, without leading zeros: the end of it. */
static char *octet_put(char *o, uint8_t v)
{
	if (v >= 100)
		*o++ = (char)('0' + v / 100);
	if (v >= 10)
		*o++ = (char)('0' + v / 10 % 10);
	*o++ = (char)('0' + v % 10);
	return o;
}

/* An IPv4 address in dotted decimal at o, terminated. */
static void addr4_put(const uint8_t *a, char *o)
{
	int i;

	for (i = 0; i < 4; i++) {
		if (i)
			*o++ = '.';
		o = octet_put(o, a[i]);
	}
	*o = '\0';
}

/* One 16-bit group in hex, without leading zeros (as "%x"): the end of it. */
static char *group_put(char *o, unsigned w)
{
	static const char hex[] = "0123456789abcdef";
	int shift = 12;

	while (shift > 0 && !(w >> shift))
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		*o++ = hex[(w >> shift) & 0xf];
	return o;
}

/*
 * IPv6 as glibc's inet_ntop() writes it: the first longest run of two
 * or more zero groups as "::", and "::a.b.c.d" or "::ffff:a.b.c.d" for
 * IPv4-compatible and -mapped addresses.  By hand for the same reason.
 */
static void addr6_put(const uint8_t *a, char *o)
{
	unsigned w[8];
	int i, base = -1, len = 0, cur = -1, n = 0;

	for (i = 0; i < 8; i++)
		w[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
	for (i = 0; i <= 8; i++) {
		if (i < 8 && w[i] == 0) {
			if (cur < 0)
				cur = i, n = 0;
			n++;
		} else if (cur >= 0) {
			if (base < 0 || n > len)
				base = cur, len = n;
			cur = -1;
		}
	}
	if (len < 2)
		base = -1;
	for (i = 0; i < 8; i++) {
		if (base >= 0 && i >= base && i < base + len) {
			if (i == base)
				*o++ = ':';
			continue;
		}
		if (i)
			*o++ = ':';
		if (i == 6 && base == 0 &&
		    (len == 6 || (len == 5 && w[5] == 0xffff))) {
			addr4_put(a + 12, o);
			return;
		}
		o = group_put(o, w[i]);
	}
	if (base >= 0 && base + len == 8)
		*o++ = ':';
	*o = '\0';
}

const char *rst_addr(int family, const uint8_t *a, char *buf)
{
	/*
	 * By hand, as inet_ntop() writes them: glibc's goes through
	 * sprintf(), and each event prints its addresses four times.
	 */
	if (family != 6)
		addr4_put(a, buf);
	else
		addr6_put(a, buf);
	return buf;
}

/* Printable payload, escaped, at most n bytes of it. */
static void payload_text(const struct rst_event *e, char *out, size_t len)
{
	size_t o = 0;
	uint32_t i;

	for (i = 0; i < e->p.payload_caplen && o + 5 < len; i++) {
		uint8_t c = e->payload[i];

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, len - o, "\\x%02x", c);
	}
	out[o] = '\0';
}

static double ms(int64_t us)
{
	return (double)us / 1000.0;
}

int evidence_format(const struct rst_event *e, const struct evidence *ev,
		    char *buf, size_t len)
{
	char snd[RST_ADDRSTRLEN], rcv[RST_ADDRSTRLEN], text[RST_PAYLOAD_KEEP * 4 + 1];
	int ttl = e->p.ttl;
	int64_t a = ev->a, b = ev->b;

	rst_addr(e->p.family, e->p.src, snd);
	rst_addr(e->p.family, e->p.dst, rcv);
	switch ((enum ev_kind)ev->kind) {
	case EV_TTL_MATCH:
		if (a == b)
			return snprintf(buf, len, "ttl %d matches %s's other packets (ttl %d)", ttl, snd, (int)a);
		return snprintf(buf, len, "ttl %d within %s's range (ttl %d to %d)", ttl, snd, (int)a, (int)b);
	case EV_TTL_CLOSER:
		return snprintf(buf, len, "ttl %d, but %s arrives with ttl %d (%d hop%s closer)", ttl, snd, (int)a, (int)b, b == 1 ? "" : "s");
	case EV_TTL_FARTHER:
		return snprintf(buf, len, "ttl %d, but %s arrives with ttl %d (%d hop%s farther)", ttl, snd, (int)a, (int)b, b == 1 ? "" : "s");
	case EV_TTL_INIT_DIFFERS:
		return snprintf(buf, len, "ttl %d (initial %d), but %s arrives with ttl %d (initial %d): another stack", ttl, ttl_initial((uint8_t)ttl), snd, (int)a, (int)b);
	case EV_NO_BASELINE:
		return snprintf(buf, len, "nothing else from %s in view: its ttl cannot be checked", snd);
	case EV_LOCAL_OUT:
		return snprintf(buf, len, "left this host with ttl %d (0 hops): made here, not forwarded", (int)a);
	case EV_DATA_AFTER:
		return snprintf(buf, len, "%s sent %lld bytes of data %.3f ms after this RST", snd, (long long)b, ms(a));
	case EV_PACKET_AFTER:
		return snprintf(buf, len, "%s sent %lld more packet%s, the first %.3f ms after this RST", snd, (long long)b, b == 1 ? "" : "s", ms(a));
	case EV_REPLY_AFTER:
		return snprintf(buf, len, "the genuine SYN/ACK from %s arrived %.3f ms after this RST", snd, ms(a));
	case EV_SEQ_BURST:
		return snprintf(buf, len, "%lld RSTs in a burst, sequence numbers spread over %lld", (long long)a, (long long)b);
	case EV_IPID_SERIES:
		return snprintf(buf, len, "ip id %u continues %s's series (last %u)", e->p.ipid, snd, (unsigned)a);
	case EV_IPID_OFF_SERIES:
		return snprintf(buf, len, "ip id %u is off %s's series (last %u)", e->p.ipid, snd, (unsigned)a);
	case EV_IPID_ZERO:
		return snprintf(buf, len, "ip id 0 while %s's ids are not: a stateless reply (kernel without a socket, or a firewall)", snd);
	case EV_IPID_COPIED:
		return snprintf(buf, len, "ip id %u copied from the packet it answers", (unsigned)a);
	case EV_WIN_COPIED:
		return snprintf(buf, len, "window %u copied from the packet it answers", (unsigned)a);
	case EV_WIN_NONZERO:
		return snprintf(buf, len, "window %u (a stateless Linux RST has 0)", (unsigned)a);
	case EV_ACK_IS_SYN:
		return snprintf(buf, len, "acks the SYN's own sequence number, not SYN+1 as a TCP stack would");
	case EV_ANSWERS_SYN:
		return snprintf(buf, len, "answers %s's SYN; no SYN/ACK came before it", rcv);
	case EV_FIN_BEFORE:
		return snprintf(buf, len, "comes after %s's FIN", a == 0 ? snd : rcv);
	case EV_STATELESS:
		if (b == 0)
			return snprintf(buf, len, "no ACK flag and seq = the ack of %s's last segment: a stateless reply", rcv);
		return snprintf(buf, len, "no ACK flag and seq = an ack %s sent, %lld behind its latest: a stateless reply to a late segment", rcv, (long long)b);
	case EV_SENDER_RESET:
		return snprintf(buf, len, "%s had already reset this connection", snd);
	case EV_NO_FLOW:
		return snprintf(buf, len, "no earlier packet of this connection in view");
	case EV_NO_SENDER:
		return snprintf(buf, len, "no earlier packet from %s on this connection", snd);
	case EV_ACCEPT_EXACT:
		return snprintf(buf, len, "seq is exactly what %s expects: it takes effect", rcv);
	case EV_ACCEPT_WINDOW:
		return snprintf(buf, len, "seq is %lld past what %s expects, inside its window: an RFC 5961 stack answers with a challenge ACK", (long long)a, rcv);
	case EV_ACCEPT_NO:
		return snprintf(buf, len, "outside what %s accepts: it has no effect there", rcv);
	case EV_ACCEPT_SYN:
		return snprintf(buf, len, "acknowledges %s's SYN: it takes effect", rcv);
	case EV_PAYLOAD:
		payload_text(e, text, sizeof(text));
		return snprintf(buf, len, "carries %lld bytes of payload: \"%s\"%s", (long long)a, text, (uint64_t)a > e->p.payload_caplen ? "..." : "");
	case EV_TS_OPTION:
		return snprintf(buf, len, "carries a timestamp option (tsval %lld)", (long long)a);
	case EV_DF_DIFFERS:
		return snprintf(buf, len, "DF %s where %s's packets %s it", a ? "set" : "clear", snd, a ? "clear" : "set");
	case EV_MADE_HERE:
		return snprintf(buf, len, "left through this host's output hook with no input interface, from an address that is not this host's: made here (a reject rule)");
	case EV_SEQ_BEHIND:
		return snprintf(buf, len, "seq lies %lld bytes behind what %s had already sent (next %u): a stack resets with its own next seq", (long long)b, snd, (unsigned)a);
	case EV_BURST_TTL:
		return snprintf(buf, len, "ttl varies from %lld to %lld over the burst: one stack sends one ttl", (long long)a, (long long)b);
	case EV_IPID_FIXED:
		return snprintf(buf, len, "ip id %lld on all %lld RSTs of the burst: a stack's ids move", (long long)a, (long long)b);
	case EV_TS_SERIES:
		return snprintf(buf, len, "timestamp %u continues %s's clock (last %u)", e->p.opt.tsval, snd, (unsigned)a);
	case EV_SYNSENT_ACK:
		return snprintf(buf, len, "answers %s's ACK %u to %s's SYN, which does not acknowledge it (SYN+1 is %u): a SYN-SENT stack resets with seq = SEG.ACK (RFC 9293 3.10.7.3); an ACK like that is an RFC 5961 challenge ACK from an old connection on these ports", rcv, (unsigned)a, snd, (unsigned)b);
	case EV_NEW_SYN:
		return snprintf(buf, len, "a new SYN on these ports %.3f ms after this RST began another connection: what follows it is no race", ms(a));
	case EV_DATA_BELOW:
		return snprintf(buf, len, "%s sent %lld bytes of new data %.3f ms after this RST, below its seq: its stack would have sent them before resetting", snd, (long long)b, ms(a));
	case EV_IPID_REPEAT:
		return snprintf(buf, len, "ip id %lld repeats %s's last packet's, where its ids count up", (long long)a, snd);
	case EV_BURST_RACED:
		return snprintf(buf, len, "another RST/ACK of this burst is proven forged, and a socket resets once: the same forger's");
	case EV_MAX:
		break;
	}
	return snprintf(buf, len, "?");
}
