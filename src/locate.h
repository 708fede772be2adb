/*
 * locate.h: name the device that injects resets, by TTL-limited replay
 * (the method of Censored Planet's CenTrace and OONI's tlsmiddlebox).
 *
 * A probe is one fresh connection to DEST:PORT whose first payload (the
 * trigger that drew the forged reset, or a harmless control) is sent
 * with IP_TTL / IPV6_UNICAST_HOPS k.  Per probe we record what came back:
 * an ICMP time exceeded (and from which router), a RST (its TTL, IP ID,
 * window), the server's acknowledgement of the payload, or nothing.  The
 * first k that draws a RST is the injector's hop; the routers that
 * expired k-1 and k surround it.
 *
 * What sees what (Linux 6.x, measured in tests/locate):
 *  - the connected TCP socket, with IP_RECVERR, learns of a time exceeded
 *    as EHOSTUNREACH and of the RST as ECONNRESET, but TCP queues no
 *    ICMP on an established socket's error queue: no router address,
 *    no RST TTL.  No privilege needed.
 *  - a UDP datagram with the same TTL, with IP_RECVERR / IPV6_RECVERR,
 *    names the router that expired it (SO_EE_OFFENDER).  No privilege.
 *  - a packet socket (AF_PACKET, CAP_NET_RAW) with a BPF filter sees the
 *    RST's TTL and IP ID, the ICMP quoting the trigger itself (the same
 *    path, even after the socket was reset) and the server's ACK of the
 *    trigger (on-path: the trigger got through).
 * Without CAP_NET_RAW the hop is the first k that draws ECONNRESET and
 * the routers come from UDP; in-path/on-path and TTL copying stay unknown.
 *
 * locate_decide() is pure: probes in, a verdict out.  locate_run() does
 * the I/O.
 */
#ifndef RSTAUDIT_LOCATE_H
#define RSTAUDIT_LOCATE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define LOCATE_MAX_TTL	64
#define LOCATE_TTL_FULL	64	/* the TTL of the control and full probes */
#define LOCATE_TRIGGER_MAX 1024	/* trigger bytes replayed */

/* struct locate_probe.got */
#define LP_TIME_EXCEEDED 0x01	/* an ICMP time exceeded (or EHOSTUNREACH) */
#define LP_ROUTER	0x02	/* ... and router holds who sent it */
#define LP_RST		0x04	/* a RST came back (ECONNRESET at least) */
#define LP_RST_TTL	0x08	/* ... and rst_* hold its fingerprint */
#define LP_ACKED	0x10	/* the server acknowledged the payload */
#define LP_DATA		0x20	/* the server sent data */
#define LP_NO_CONNECT	0x40	/* the handshake failed: no probe */

struct locate_probe {
	uint8_t	 ttl;		/* the payload's TTL / hop limit */
	uint8_t	 got;		/* LP_* */
	uint8_t	 rst_ttl;
	uint8_t	 rst_flags;
	uint16_t rst_ipid;
	uint16_t rst_win;
	uint8_t	 router[16];
	uint32_t us;		/* from sending the payload to the last answer */
};

enum locate_status {
	LOC_FOUND,		/* the injector's hop is known */
	LOC_NO_RESET,		/* the trigger draws no RST: nothing to locate */
	LOC_CONTROL_RESET,	/* the harmless payload is reset too */
	LOC_NOT_FOUND,		/* reset at full TTL, at no k up to max_ttl */
	LOC_NO_PATH,		/* the handshake itself fails */
	LOC_STATUS_MAX
};
extern const char *const locate_status_names[LOC_STATUS_MAX];

enum locate_path { LPATH_UNKNOWN, LPATH_IN, LPATH_ON, LPATH_MAX };
extern const char *const locate_path_names[LPATH_MAX];

struct locate_result {
	uint8_t	 status;	/* enum locate_status */
	uint8_t	 path;		/* enum locate_path */
	int8_t	 copies_ttl;	/* 1 yes, 0 no, -1 unknown */
	uint8_t	 raw;		/* the packet socket was used */
	int	 hop;		/* 1 = the first router from the prober */
	int	 first_rst_ttl;	/* the first k that drew a RST */
	int	 has_before, has_at;
	uint8_t	 router_before[16];	/* hop - 1 (none when hop is 1) */
	uint8_t	 router_at[16];		/* hop */
	struct locate_probe rst;	/* the probe whose RST is described */
	struct locate_probe control, full;
	unsigned nprobes;
	struct locate_probe probe[LOCATE_MAX_TTL + 1];	/* probe[i].ttl i+1 */
	uint64_t elapsed_us;
};

struct locate_conf {
	int	 family;	/* 4 or 6 */
	uint8_t	 dst[16];
	uint16_t port;
	const uint8_t *payload;	/* the trigger */
	size_t	 payload_len;
	unsigned max_ttl;	/* 1..LOCATE_MAX_TTL (default 30) */
	unsigned wait_ms;	/* per probe, for an answer (default 1000) */
	int	 no_raw;	/* never open a packet socket */
	const int *cancel;	/* when set and *cancel: stop early (atomic) */
};

void locate_conf_default(struct locate_conf *c);

/*
 * locate_run: the control probe, the trigger at full TTL, then the
 * trigger at k = 1, 2, ... until a RST (and one more, for the TTL-copy
 * test), into r.  Returns 0 (r->status says what was found) or -1 with
 * errno when no socket could be made.
 */
int	 locate_run(const struct locate_conf *c, struct locate_result *r);

/*
 * locate_decide: fill status, hop, routers, path and copies_ttl of r from
 * its control, full and probe[] records.  Pure.
 */
void	 locate_decide(struct locate_result *r);

/*
 * locate_print: r as one text paragraph or one JSON object (a line);
 * link, when not NULL, is written first inside the JSON object (e.g.
 * "\"community_id\":\"1:...\"") so a follow-up event joins its first.
 */
void	 locate_print(FILE *fp, int family, const uint8_t *dst, uint16_t port,
		      const struct locate_result *r, int json, const char *link);

/* `rstaudit locate DEST PORT [--payload FILE | --from-event JSON] ...` */
int	 locate_main(int argc, char **argv);

#endif
