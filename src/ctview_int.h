/*
 * ctview_int.h: what ctview.c (the view) and ctvmsg.c (reading one
 * ctnetlink message) share.
 */
#ifndef RSTAUDIT_CTVIEW_INT_H
#define RSTAUDIT_CTVIEW_INT_H

#include <stdint.h>

#include <libmnl/libmnl.h>

struct ctv_key {			/* 40 bytes, no hole: hashed whole */
	uint8_t	 family;
	uint8_t	 pad_[3];
	uint16_t sport, dport;		/* host order */
	uint8_t	 src[16], dst[16];
};

/* What one message says of a TCP entry; has_*: the attribute was there. */
struct ctv_msg {
	struct ctv_key k[2];
	int have[2];
	uint8_t proto, state, has_state, has_status, has_mark, has_id;
	uint32_t status, mark, id;
};

/*
 * Read a ctnetlink conntrack message (an event, or a dump's entry).  0:
 * read (proto says whether it is TCP; only TCP's are read whole), -1:
 * malformed.
 */
int	ctv_msg_get(const struct nlmsghdr *nlh, struct ctv_msg *m);

#endif
