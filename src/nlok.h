/*
 * nlok.h: is there a whole netlink message at nlh, in len bytes?
 *
 * mnl_nlmsg_ok() compares the message's length to len as an int, so a
 * length of 2^31 or more passes as negative, and the message is then
 * read far past the datagram (fuzz_ctev found it).  Our sockets take
 * only the kernel's messages, but no byte sequence may crash us.
 */
#ifndef RSTAUDIT_NLOK_H
#define RSTAUDIT_NLOK_H

#include <stdint.h>

#include <libmnl/libmnl.h>

static inline int nl_msg_ok(const struct nlmsghdr *nlh, int len)
{
	return mnl_nlmsg_ok(nlh, len) && nlh->nlmsg_len <= (uint32_t)len;
}

#endif
