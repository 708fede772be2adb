/*
 * evidence.c: the names of origins and causes, and each evidence item as a
 * sentence a person can check against the capture.
 */
#include <stdio.h>
#include <string.h>

#include "obuf.h"
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

/*
 * The sentences go through obuf_format(), not snprintf(): the same
 * bytes, for a fraction of the cost (several per event, every event).
 */
void evidence_put(struct obuf *ob, const struct rst_event *e,
		  const struct evidence *ev, const char *snd, const char *rcv)
{
	char text[RST_PAYLOAD_KEEP * 4 + 1];
	int ttl = e->p.ttl;
	int64_t a = ev->a, b = ev->b;

	switch ((enum ev_kind)ev->kind) {
	case EV_TTL_MATCH:
		if (a == b) {
			obuf_format(ob, "ttl %d matches %s's other packets (ttl %d)", ttl, snd, (int)a);
			break;
		}
		obuf_format(ob, "ttl %d within %s's range (ttl %d to %d)", ttl, snd, (int)a, (int)b);
		break;
	case EV_TTL_CLOSER:
		obuf_format(ob, "ttl %d, but %s arrives with ttl %d (%d hop%s closer)", ttl, snd, (int)a, (int)b, b == 1 ? "" : "s");
		break;
	case EV_TTL_FARTHER:
		obuf_format(ob, "ttl %d, but %s arrives with ttl %d (%d hop%s farther)", ttl, snd, (int)a, (int)b, b == 1 ? "" : "s");
		break;
	case EV_TTL_INIT_DIFFERS:
		obuf_format(ob, "ttl %d (initial %d), but %s arrives with ttl %d (initial %d): another stack", ttl, ttl_initial((uint8_t)ttl), snd, (int)a, (int)b);
		break;
	case EV_NO_BASELINE:
		obuf_format(ob, "nothing else from %s in view: its ttl cannot be checked", snd);
		break;
	case EV_LOCAL_OUT:
		obuf_format(ob, "left this host with ttl %d (0 hops): made here, not forwarded", (int)a);
		break;
	case EV_DATA_AFTER:
		obuf_format(ob, "%s sent %lld bytes of data %.3f ms after this RST", snd, (long long)b, ms(a));
		break;
	case EV_PACKET_AFTER:
		obuf_format(ob, "%s sent %lld more packet%s, the first %.3f ms after this RST", snd, (long long)b, b == 1 ? "" : "s", ms(a));
		break;
	case EV_REPLY_AFTER:
		obuf_format(ob, "the genuine SYN/ACK from %s arrived %.3f ms after this RST", snd, ms(a));
		break;
	case EV_SEQ_BURST:
		obuf_format(ob, "%lld RSTs in a burst, sequence numbers spread over %lld", (long long)a, (long long)b);
		break;
	case EV_IPID_SERIES:
		obuf_format(ob, "ip id %u continues %s's series (last %u)", e->p.ipid, snd, (unsigned)a);
		break;
	case EV_IPID_OFF_SERIES:
		obuf_format(ob, "ip id %u is off %s's series (last %u)", e->p.ipid, snd, (unsigned)a);
		break;
	case EV_IPID_ZERO:
		obuf_format(ob, "ip id 0 while %s's ids are not: a stateless reply (kernel without a socket, or a firewall)", snd);
		break;
	case EV_IPID_COPIED:
		obuf_format(ob, "ip id %u copied from the packet it answers", (unsigned)a);
		break;
	case EV_WIN_COPIED:
		obuf_format(ob, "window %u copied from the packet it answers", (unsigned)a);
		break;
	case EV_WIN_NONZERO:
		obuf_format(ob, "window %u (a stateless Linux RST has 0)", (unsigned)a);
		break;
	case EV_ACK_IS_SYN:
		obuf_format(ob, "acks the SYN's own sequence number, not SYN+1 as a TCP stack would");
		break;
	case EV_ANSWERS_SYN:
		obuf_format(ob, "answers %s's SYN; no SYN/ACK came before it", rcv);
		break;
	case EV_FIN_BEFORE:
		obuf_format(ob, "comes after %s's FIN", a == 0 ? snd : rcv);
		break;
	case EV_STATELESS:
		if (b == 0) {
			obuf_format(ob, "no ACK flag and seq = the ack of %s's last segment: a stateless reply", rcv);
			break;
		}
		obuf_format(ob, "no ACK flag and seq = an ack %s sent, %lld behind its latest: a stateless reply to a late segment", rcv, (long long)b);
		break;
	case EV_SENDER_RESET:
		obuf_format(ob, "%s had already reset this connection", snd);
		break;
	case EV_NO_FLOW:
		obuf_format(ob, "no earlier packet of this connection in view");
		break;
	case EV_NO_SENDER:
		obuf_format(ob, "no earlier packet from %s on this connection", snd);
		break;
	case EV_ACCEPT_EXACT:
		obuf_format(ob, "seq is exactly what %s expects: it takes effect", rcv);
		break;
	case EV_ACCEPT_WINDOW:
		obuf_format(ob, "seq is %lld past what %s expects, inside its window: an RFC 5961 stack answers with a challenge ACK", (long long)a, rcv);
		break;
	case EV_ACCEPT_NO:
		obuf_format(ob, "outside what %s accepts: it has no effect there", rcv);
		break;
	case EV_ACCEPT_SYN:
		obuf_format(ob, "acknowledges %s's SYN: it takes effect", rcv);
		break;
	case EV_PAYLOAD:
		payload_text(e, text, sizeof(text));
		obuf_format(ob, "carries %lld bytes of payload: \"%s\"%s", (long long)a, text, (uint64_t)a > e->p.payload_caplen ? "..." : "");
		break;
	case EV_TS_OPTION:
		obuf_format(ob, "carries a timestamp option (tsval %lld)", (long long)a);
		break;
	case EV_DF_DIFFERS:
		obuf_format(ob, "DF %s where %s's packets %s it", a ? "set" : "clear", snd, a ? "clear" : "set");
		break;
	case EV_MADE_HERE:
		obuf_format(ob, "left through this host's output hook with no input interface, from an address that is not this host's: made here (a reject rule)");
		break;
	case EV_SEQ_BEHIND:
		obuf_format(ob, "seq lies %lld bytes behind what %s had already sent (next %u): a stack resets with its own next seq", (long long)b, snd, (unsigned)a);
		break;
	case EV_BURST_TTL:
		obuf_format(ob, "ttl varies from %lld to %lld over the burst: one stack sends one ttl", (long long)a, (long long)b);
		break;
	case EV_IPID_FIXED:
		obuf_format(ob, "ip id %lld on all %lld RSTs of the burst: a stack's ids move", (long long)a, (long long)b);
		break;
	case EV_TS_SERIES:
		obuf_format(ob, "timestamp %u continues %s's clock (last %u)", e->p.opt.tsval, snd, (unsigned)a);
		break;
	case EV_SYNSENT_ACK:
		obuf_format(ob, "answers %s's ACK %u to %s's SYN, which does not acknowledge it (SYN+1 is %u): a SYN-SENT stack resets with seq = SEG.ACK (RFC 9293 3.10.7.3); an ACK like that is an RFC 5961 challenge ACK from an old connection on these ports", rcv, (unsigned)a, snd, (unsigned)b);
		break;
	case EV_NEW_SYN:
		obuf_format(ob, "a new SYN on these ports %.3f ms after this RST began another connection: what follows it is no race", ms(a));
		break;
	case EV_DATA_BELOW:
		obuf_format(ob, "%s sent %lld bytes of new data %.3f ms after this RST, below its seq: its stack would have sent them before resetting", snd, (long long)b, ms(a));
		break;
	case EV_IPID_REPEAT:
		obuf_format(ob, "ip id %lld repeats %s's last packet's, where its ids count up", (long long)a, snd);
		break;
	case EV_BURST_RACED:
		obuf_format(ob, "another RST/ACK of this burst is proven forged, and a socket resets once: the same forger's");
		break;
	case EV_MAX:
	default:
		obuf_putc(ob, '?');
		break;
	}
}

int evidence_format(const struct rst_event *e, const struct evidence *ev,
		    char *buf, size_t len)
{
	char snd[RST_ADDRSTRLEN], rcv[RST_ADDRSTRLEN];
	struct obuf ob;

	obuf_init(&ob, buf, len, NULL, NULL);
	evidence_put(&ob, e, ev, rst_addr(e->p.family, e->p.src, snd),
		     rst_addr(e->p.family, e->p.dst, rcv));
	return obuf_cstr(&ob);
}
