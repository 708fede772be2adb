#!/bin/sh
# tests/live/route.sh: "made here" asked of the routing table, on hosts
# where bind() cannot tell.  With net.ipv4.ip_nonlocal_bind=1 (and
# net.ipv6.ip_nonlocal_bind=1), as keepalived and other HA gateways set
# it, bind() to any address succeeds, so a bind test calls every address
# this host's own.  Run from the repository top after `make check`'s
# build (tests/unit/test_route, ./rstaudit).  Needs root: it fails, and
# never skips, without it.
#
# 1. A namespace with the sysctls set: tests/unit/test_route asks
#    route_is_local() (rtnetlink RTM_GETROUTE, RTN_LOCAL) about its own
#    addresses (local) and about a neighbour's, an unrouted one and a
#    routed remote one (not local, although bind() to each succeeds).
# 2. The lab with the sysctls set on gw: `rstaudit run` on gw must still
#    call gw's own `reject with tcp reset` local/reject (it forges the
#    server's address, which bind() would accept there), and the
#    middlebox's reject middlebox/reject, in IPv4 and IPv6 (check.py live
#    asserts every fact of each event).
# Logs stay in tests/out/live-route/.
set -u
cd "$(dirname "$0")/../.." || exit 1
TALLY=live-route
. tests/lib/tally.sh
LAB_PREFIX=${LAB_PREFIX:-rsrt$$}
LAB_DIR=$(pwd)/tests/lab
. tests/lab/lib.sh
. tests/lab/scenarios.sh
OUT=$(pwd)/tests/out/live-route
NS=${LAB_PREFIX}-route
SYSCTLS="net.ipv4.ip_nonlocal_bind=1 net.ipv6.ip_nonlocal_bind=1"

if [ "$(id -u)" != 0 ]; then
	fail "must run as root: network namespaces (sudo)"
	finish
fi
for f in tests/unit/test_route ./rstaudit; do
	[ -x "$f" ] || { fail "$f is missing: build it first (make check)"; finish; }
done
rm -rf "$OUT" && mkdir -p "$OUT" || { fail "cannot create $OUT"; finish; }

cleanup() { ip netns delete "$NS" 2>/dev/null; lab_down; }
trap cleanup EXIT
trap 'cleanup; trap - EXIT; exit 130' INT
trap 'cleanup; trap - EXIT; exit 143' TERM

# --- 1. route_is_local() in a namespace with ip_nonlocal_bind ------------
rt_ns() { ip netns exec "$NS" "$@"; }
if ip netns add "$NS" &&
	rt_ns sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 &&
	rt_ns sysctl -qw $SYSCTLS &&
	rt_ns ip link set lo up &&
	rt_ns ip link add v0 type veth peer name v1 &&
	rt_ns ip addr add 10.77.0.1/24 dev v0 &&
	rt_ns ip addr add fd77::1/64 dev v0 &&
	rt_ns ip link set v0 up && rt_ns ip link set v1 up &&
	rt_ns ip route add 198.18.0.0/16 via 10.77.0.2 &&
	rt_ns ip route add fd78::/64 via fd77::2; then
	pass "namespace $NS: $SYSCTLS, 10.77.0.1/24 fd77::1/64 on v0"
	check "route_is_local: this host's addresses (and loopback) are local" \
		rt_ns tests/unit/test_route local 10.77.0.1 fd77::1 127.0.0.1 127.0.0.9 ::1
	check "route_is_local: a neighbour, a routed and an unrouted address are not, though bind() to each succeeds" \
		rt_ns tests/unit/test_route remote 10.77.0.2 198.18.3.4 203.0.113.9 fd77::2 fd78::9 2001:db8::9
else
	fail "cannot build namespace $NS"
fi

# --- 2. the daemon on a gateway with ip_nonlocal_bind --------------------
lab_trap
trap cleanup EXIT
if lab_up && lab_sysctl gw $SYSCTLS; then
	pass "lab up; gw has $SYSCTLS"
	EV=$OUT/events.json
	LAB_EXPECT=$OUT/expect.tsv
	scn_expect_header >"$LAB_EXPECT"
	if lab_daemon d gw -c /dev/null --json-file "$EV" --hold 1; then
		pass "daemon up on gw"
		for fam in 4 6; do
			for s in gw_reject_syn gw_reject_keyword mbox_reject_syn; do
				check "ipv$fam: scenario $s" "scn_$s" "$fam"
			done
		done
		lab_kill d TERM
		lab_wait d 10 || fail "daemon: exit status $? after SIGTERM"
		cp "$LAB_TMP/d.log" "$OUT/daemon.log"
		"$LAB_PY" tests/lab/check.py live "$LAB_EXPECT" "$EV" >"$OUT/live.log" 2>&1
		if grep -q '^check: [0-9]* passed, 0 failed$' "$OUT/live.log"; then
			pass "events: $(tail -1 "$OUT/live.log") (gw's rejects local/reject, mbox's middlebox/reject)"
		else
			fail "events against expect.tsv ($OUT/live.log):"
			grep -E '^(FAIL|check:)' "$OUT/live.log" | head -20 | sed 's/^/    /'
		fi
		# The TTL alone may say "0 hops: made here" when the server's TTL
		# is known; the output hook's fact must say it for every one.
		check "every gw reject: 'made here' from the output hook, for an address route_is_local() says is not gw's" \
			"$LAB_PY" -c '
import sys
sys.path.insert(0, "tests/lib")
import rstevent
evs = [rstevent.loads(l) for l in open(sys.argv[1])]
gw = [e for e in evs if e.get("hook") == "output"]
bad = [e for e in gw if not any("made here (a reject rule)" in x for x in e["evidence"])]
print("%d output-hook events, %d without the made-here fact" % (len(gw), len(bad)))
for e in bad:
    print(e["family"], e["sport"], e["origin"], e["evidence"])
sys.exit(1 if bad or len(gw) != 4 else 0)' "$EV"
	else
		fail "the daemon did not start on gw"
	fi
else
	fail "cannot build the lab with $SYSCTLS on gw"
fi
finish
