/*
 * route.h: is an address this host's own?  Asked of the kernel's routing
 * table (rtnetlink RTM_GETROUTE, answer type RTN_LOCAL), as `ip route
 * get ADDR` does: bind() cannot tell, since net.ipv4.ip_nonlocal_bind=1
 * (and its IPv6 twin), common on keepalived and other HA gateways, lets
 * every bind succeed.
 */
#ifndef RSTAUDIT_ROUTE_H
#define RSTAUDIT_ROUTE_H

#include <stdint.h>

/*
 * route_is_local: 1 when the kernel routes addr (4 or 16 bytes, by
 * family 4 or 6) to this host (RTN_LOCAL), 0 when it routes it elsewhere
 * or has no route for it, -1 with errno set when it cannot be asked
 * (EAFNOSUPPORT: family; a socket or netlink error otherwise).
 */
int route_is_local(int family, const uint8_t *addr);

#endif
