/*
 * pcapng.c: section header, interface and enhanced packet blocks (see
 * pcapng.h).
 */
#include <string.h>

#include "pcapng.h"

#define BT_SHB		0x0a0d0d0au
#define BT_IDB		0x00000001u
#define BT_EPB		0x00000006u
#define BYTE_ORDER_MAGIC 0x1a2b3c4du

#define OPT_ENDOFOPT	0
#define OPT_COMMENT	1
#define SHB_USERAPPL	4
#define IF_NAME		2
#define EPB_FLAGS	2

#define PAD4(n)		(((n) + 3) & ~(size_t)3)
#define OPT_SIZE(n)	(4 + PAD4(n))	/* one option: code, length, value */

/* A cursor over the caller's buffer; every put checks the room left. */
struct cur {
	uint8_t *p;
	size_t	 left;
	int	 short_;
};

static void put(struct cur *c, const void *v, size_t n)
{
	if (n == 0)
		return;
	if (c->short_ || n > c->left) {
		c->short_ = 1;
		return;
	}
	memcpy(c->p, v, n);
	c->p += n;
	c->left -= n;
}

static void put32(struct cur *c, uint32_t v)
{
	put(c, &v, sizeof(v));
}

static void put16(struct cur *c, uint16_t v)
{
	put(c, &v, sizeof(v));
}

/* n bytes of v, then zeros up to the next 32-bit boundary. */
static void put_padded(struct cur *c, const void *v, size_t n)
{
	static const uint8_t zero[4];

	put(c, v, n);
	put(c, zero, PAD4(n) - n);
}

static void put_opt(struct cur *c, uint16_t code, const void *v, size_t n)
{
	put16(c, code);
	put16(c, (uint16_t)n);
	put_padded(c, v, n);
}

/* Close a block that started at start: its trailing length. */
static size_t finish(struct cur *c, const uint8_t *start, size_t total)
{
	put32(c, (uint32_t)total);
	if (c->short_ || (size_t)(c->p - start) != total)
		return 0;
	return total;
}

/* Option values are at most 65535 bytes; longer text is cut. */
static size_t opt_len(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n > 65535 ? 65535 : n;
}

size_t pcapng_idb_size(size_t name_len)
{
	return 20 + (name_len ? OPT_SIZE(name_len) + 4 : 0);
}

size_t pcapng_epb_size(uint32_t caplen, size_t comment_len)
{
	size_t n = 32 + PAD4((size_t)caplen) + OPT_SIZE(4);

	if (comment_len)
		n += OPT_SIZE(comment_len);
	return n + 4;	/* opt_endofopt */
}

size_t pcapng_shb(uint8_t *buf, size_t len, const char *appl)
{
	struct cur c = { buf, len, 0 };
	size_t an = opt_len(appl);
	size_t total = 28 + (an ? OPT_SIZE(an) + 4 : 0);

	put32(&c, BT_SHB);
	put32(&c, (uint32_t)total);
	put32(&c, BYTE_ORDER_MAGIC);
	put16(&c, 1);			/* version 1.0 */
	put16(&c, 0);
	put32(&c, 0xffffffffu);		/* section length: not given (-1) */
	put32(&c, 0xffffffffu);
	if (an) {
		put_opt(&c, SHB_USERAPPL, appl, an);
		put_opt(&c, OPT_ENDOFOPT, NULL, 0);
	}
	return finish(&c, buf, total);
}

size_t pcapng_idb(uint8_t *buf, size_t len, uint16_t linktype,
		  uint32_t snaplen, const char *name)
{
	struct cur c = { buf, len, 0 };
	size_t nn = opt_len(name), total = pcapng_idb_size(nn);

	put32(&c, BT_IDB);
	put32(&c, (uint32_t)total);
	put16(&c, linktype);
	put16(&c, 0);
	put32(&c, snaplen);
	if (nn) {
		put_opt(&c, IF_NAME, name, nn);
		put_opt(&c, OPT_ENDOFOPT, NULL, 0);
	}
	return finish(&c, buf, total);
}

void pcapng_sll(uint8_t hdr[PCAPNG_SLL_LEN], uint16_t pkttype, uint8_t ip0)
{
	uint16_t proto = ip0 >> 4 == 6 ? 0x86dd : 0x0800;

	memset(hdr, 0, PCAPNG_SLL_LEN);
	hdr[0] = (uint8_t)(pkttype >> 8), hdr[1] = (uint8_t)pkttype;
	hdr[2] = 0xff, hdr[3] = 0xfe;	/* ARPHRD_NONE: no link layer kept */
	/* No link-layer address (length 0). */
	hdr[14] = (uint8_t)(proto >> 8), hdr[15] = (uint8_t)proto;
}

size_t pcapng_epb(uint8_t *buf, size_t len, const struct pcapng_pkt *p)
{
	struct cur c = { buf, len, 0 };
	size_t cn = opt_len(p->comment);
	uint32_t cap = p->hdrlen + p->caplen;
	uint32_t orig = p->hdrlen + (p->len > p->caplen ? p->len : p->caplen);
	size_t total = pcapng_epb_size(cap, cn);
	uint32_t flags = p->dir & 3;
	static const uint8_t zero[4];

	put32(&c, BT_EPB);
	put32(&c, (uint32_t)total);
	put32(&c, p->ifid);
	put32(&c, (uint32_t)(p->ts_us >> 32));
	put32(&c, (uint32_t)p->ts_us);
	put32(&c, cap);
	put32(&c, orig);
	put(&c, p->hdr, p->hdrlen);
	put(&c, p->data, p->caplen);
	put(&c, zero, PAD4((size_t)cap) - cap);
	put_opt(&c, EPB_FLAGS, &flags, sizeof(flags));
	if (cn)
		put_opt(&c, OPT_COMMENT, p->comment, cn);
	put_opt(&c, OPT_ENDOFOPT, NULL, 0);
	return finish(&c, buf, total);
}
