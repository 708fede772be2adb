/*
 * route.c: is an address this host's own, asked of the routing table
 * (see route.h).  One NETLINK_ROUTE socket per question: the daemon asks
 * only for a RST born on its own output path, so a socket kept open (and
 * shared between queue threads) would buy nothing.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "route.h"

#define ROUTE_BUF 8192

/* The RTM_GETROUTE request for one host address, into buf. */
static size_t route_request(uint8_t *buf, int family, const uint8_t *addr)
{
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	struct rtmsg *rt = NLMSG_DATA(nh);
	struct rtattr *ra;
	size_t alen = family == 6 ? 16 : 4;

	nh->nlmsg_len = NLMSG_LENGTH(sizeof(*rt));
	nh->nlmsg_type = RTM_GETROUTE;
	nh->nlmsg_flags = NLM_F_REQUEST;
	nh->nlmsg_seq = 1;
	rt->rtm_family = family == 6 ? AF_INET6 : AF_INET;
	rt->rtm_dst_len = (unsigned char)(alen * 8);
	ra = (struct rtattr *)(buf + NLMSG_ALIGN(nh->nlmsg_len));
	ra->rta_type = RTA_DST;
	ra->rta_len = (unsigned short)RTA_LENGTH(alen);
	memcpy(RTA_DATA(ra), addr, alen);
	nh->nlmsg_len = NLMSG_ALIGN(nh->nlmsg_len) + RTA_ALIGN(ra->rta_len);
	return nh->nlmsg_len;
}

/* The answer: 1 local, 0 not (or unreachable), -1 errno. */
static int route_answer(const uint8_t *buf, ssize_t n)
{
	const struct nlmsghdr *nh = (const struct nlmsghdr *)buf;

	for (; NLMSG_OK(nh, (size_t)n); nh = NLMSG_NEXT(nh, n)) {
		if (nh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *err = NLMSG_DATA(nh);

			if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*err)))
				break;
			/* No route at all: certainly not ours. */
			if (err->error == -ENETUNREACH ||
			    err->error == -EHOSTUNREACH)
				return 0;
			errno = err->error ? -err->error : EPROTO;
			return -1;
		}
		if (nh->nlmsg_type == RTM_NEWROUTE &&
		    nh->nlmsg_len >= NLMSG_LENGTH(sizeof(struct rtmsg))) {
			const struct rtmsg *rt = NLMSG_DATA(nh);

			return rt->rtm_type == RTN_LOCAL;
		}
	}
	errno = EPROTO;
	return -1;
}

int route_is_local(int family, const uint8_t *addr)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	uint8_t buf[ROUTE_BUF] __attribute__((aligned(NLMSG_ALIGNTO)));
	size_t len;
	ssize_t n;
	int fd, rc = -1, saved;

	if (family != 4 && family != 6) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -1;
	memset(buf, 0, sizeof(buf));
	len = route_request(buf, family, addr);
	if (sendto(fd, buf, len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0)
		goto out;
	do
		n = recv(fd, buf, sizeof(buf), 0);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		rc = route_answer(buf, n);
	else if (n == 0)
		errno = EPROTO;
out:
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}
