/*
 * test_route.c: route_is_local() against the kernel, in a namespace that
 * tests/live/route.sh prepares (net.ipv4.ip_nonlocal_bind=1 and its IPv6
 * twin, so bind() succeeds for any address and cannot tell).
 *
 *   test_route local|remote ADDR...
 *
 * For each ADDR: route_is_local() must say 1 (local) or 0 (remote); for
 * a remote one, bind() must also succeed, showing that the namespace
 * really has the trap set.  Prints "N passed, N failed".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "route.h"

static int passed, failed;

static void result(int ok, const char *what, const char *addr, int got)
{
	if (ok) {
		passed++;
		return;
	}
	failed++;
	printf("FAIL: %s %s: got %d (%s)\n", what, addr, got,
	       got < 0 ? strerror(errno) : "");
}

/* What the old test said: does bind() to addr succeed? */
static int binds(int family, const uint8_t *a)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	int fd = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0), rc;

	if (fd < 0)
		return 0;
	memcpy(family == 6 ? (void *)&s6.sin6_addr : (void *)&s4.sin_addr, a,
	       family == 6 ? 16 : 4);
	rc = family == 6 ? bind(fd, (struct sockaddr *)&s6, sizeof(s6))
			 : bind(fd, (struct sockaddr *)&s4, sizeof(s4));
	close(fd);
	return rc == 0;
}

int main(int argc, char **argv)
{
	int want, i;

	if (argc < 3 || (strcmp(argv[1], "local") && strcmp(argv[1], "remote"))) {
		fprintf(stderr, "usage: test_route local|remote ADDR...\n");
		return 2;
	}
	want = strcmp(argv[1], "local") == 0;
	for (i = 2; i < argc; i++) {
		uint8_t a[16];
		int fam = strchr(argv[i], ':') ? 6 : 4, got;

		if (inet_pton(fam == 6 ? AF_INET6 : AF_INET, argv[i], a) != 1) {
			fprintf(stderr, "test_route: %s: not an address\n", argv[i]);
			return 2;
		}
		got = route_is_local(fam, a);
		result(got == want, want ? "local" : "remote", argv[i], got);
		if (!want)
			result(binds(fam, a), "bind (ip_nonlocal_bind) to",
			       argv[i], 0);
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
