/*
 * fuzz_ctev.c: libFuzzer target for ctview_apply_datagram(), the reader
 * of conntrack's event messages.  Each input is one datagram, as recv()
 * gives it to the daemon; one view lives across inputs
 * (as in the daemon), and after each input a RST built from its first
 * bytes is looked up.  The view must never hold more than its bound, and
 * an entry found must carry a state name.  Seeds: real events (TCP and
 * UDP, IPv4 and IPv6, new, update, destroy) recorded from a kernel.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctview.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ctview *v;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint64_t buf[65536 / 8];		/* aligned, as recv() fills it */
	struct ctview_stats st;
	struct ct_info ci;
	struct pkt p;

	if (v == NULL) {
		if ((v = ctview_new(1024)) == NULL)
			abort();
		ctview_set_synced(v);
	}
	if (size > sizeof(buf))
		size = sizeof(buf);
	memcpy(buf, data, size);
	(void)ctview_apply_datagram(v, buf, size);
	memset(&p, 0, sizeof(p));
	p.family = size > 0 && (data[0] & 1) ? 6 : 4;
	memcpy(p.src, data, size < 16 ? size : 16);
	if (size >= 36) {
		memcpy(p.dst, data + 16, 16);
		memcpy(&p.sport, data + 32, 2);
		memcpy(&p.dport, data + 34, 2);
	}
	if (p.family == 4) {
		memset(p.src + 4, 0, 12);
		memset(p.dst + 4, 0, 12);
	}
	if (ctview_find(v, &p, &ci) == 1 && ci.state[0] == '\0')
		abort();
	ctview_get_stats(v, &st);
	if (st.entries > st.max)
		abort();
	return 0;
}
