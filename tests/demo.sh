#!/bin/sh
# make demo: rstaudit's live mode on a throwaway gateway.  Builds the
# namespace lab (tests/lab: client - gw - mbox - server), runs
# `rstaudit run` on gw, makes each kind of reset, prints what the daemon
# reported (one line per reset) and its counters, removes everything,
# then shows the same core reading a capture.  Needs root.  Exit status
# 0 when every reset was reported as the lab made it.
#
#   DEMO_FAMILIES="4 6" make demo     IPv6 as well (default: 4)
set -u
cd "$(dirname "$0")/.." || exit 1
LAB_PREFIX=${LAB_PREFIX:-rsdemo$$}
LAB_DIR=$(pwd)/tests/lab
. tests/lab/lib.sh
. tests/lab/scenarios.sh
PY=/usr/bin/python3
FAMILIES=${DEMO_FAMILIES:-4}

fail() { echo "demo: $*" >&2; exit 1; }
say() { printf '%s\n' "$*"; }

# What each scenario does, as the demo announces it.
what() {
	case $1 in
	refused) echo "the client connects to a closed port on the server" ;;
	abort) echo "the server aborts (SO_LINGER 0) after an exchange" ;;
	unread) echo "the server closes with the client's data unread" ;;
	after_fin) echo "the client closes with the server's reply unread, after its FIN" ;;
	gw_reject_syn) echo "gw's own nft rule rejects the SYN (reject with tcp reset)" ;;
	gw_reject_keyword) echo "gw's own nft rule resets a request starting GWBLOCK" ;;
	mbox_reject_syn) echo "mbox, an in-path firewall, rejects the SYN" ;;
	mbox_reject_keyword) echo "mbox resets a request containing MBOXBLOCK (iptables)" ;;
	inject) echo "an on-path injector on mbox forges 3 RSTs on FORBIDDEN; the real reply follows" ;;
	stale) echo "the server vanishes silently; the client writes and gets its RST" ;;
	inject_ttl) echo "the injector again, now copying the server's TTL and stamping one IP ID" ;;
	reuse) echo "the client vanishes and reconnects from its old port: its SYN-SENT RST answers the server's challenge ACK" ;;
	gfw1) echo "a GFW type-1 injector: 3 RSTs without ACK, one seq, TTLs all over" ;;
	gfw2) echo "a GFW type-2 injector: 3 RST/ACKs, seq +1460 +4380, TTL and window counting up" ;;
	ttl128) echo "a second server with initial TTL 128 aborts, then refuses a SYN" ;;
	ttl255) echo "a third server with initial TTL 255 aborts, then refuses a SYN" ;;
	challenge) echo "the client's data is lost and it aborts: a challenge ACK, then its second RST" ;;
	dnat) echo "the server, behind gw's DNAT, aborts" ;;
	payload_rst) echo "the server resets with a RST carrying its reason as payload" ;;
	perfect) echo "the perfect injector: one RST with the server's TTL, IP ID, window, timestamps" ;;
	esac
}

[ "$(id -u)" = 0 ] || fail "run as root (sudo make demo): the demo builds network namespaces"
[ -x ./rstaudit ] || fail "build first: make"
lab_trap
say "rstaudit: who sent each TCP reset, and why; live, on a Linux gateway."
say ""
say "A throwaway lab of network namespaces ($LAB_PREFIX-*):"
say "  client 10.0.1.2 -- [c0] gw [m0] -- mbox (firewall, injector) -- server 10.0.3.2"
lab_up || fail "cannot build the lab"
EV=$LAB_TMP/events.json
LAB_EXPECT=$LAB_TMP/expect.tsv
scn_expect_header >"$LAB_EXPECT"

say ""
say "gw# rstaudit run -v -c /dev/null --json-file events.json --hold 1"
lab_daemon d gw -c /dev/null --json-file "$EV" --hold 1 ||
	fail "the daemon did not start"
sed -n 's/^rstaudit: /    /p' "$LAB_TMP/d.log"

for fam in $FAMILIES; do
	say ""
	say "Making each kind of reset (IPv$fam):"
	for scn in $SCENARIOS; do
		printf '  %-20s %s\n' "$(echo "$scn" | tr _ -)" "$(what "$scn")"
		"scn_$scn" "$fam" >"$LAB_TMP/scn.log" 2>&1 || {
			sed 's/^/    /' "$LAB_TMP/scn.log"
			fail "scenario $scn (IPv$fam) failed"
		}
	done
done

# SIGTERM: the RSTs still held for later evidence are written, the
# counters printed, the table removed.
lab_kill d TERM
lab_wait d 10 || fail "the daemon did not exit cleanly (status $?)"
say ""
say "What rstaudit run on gw reported, one line per reset (--json-file has all of it):"
say ""
$PY "$LAB_DIR/check.py" show "$LAB_EXPECT" "$EV" >"$LAB_TMP/show.out" 2>&1
rc=$?
grep -v '^check: ' "$LAB_TMP/show.out" | sed 's/^/  /'
counts=$(sed -n 's/^check: //p' "$LAB_TMP/show.out")
say ""
say "Its counters at exit:"
grep -E '^rstaudit: (queue [0-9]+:|log group|flows)' "$LAB_TMP/d.log" | tail -3 |
	sed 's/^rstaudit: /  /'
lab_has_table gw && rc=1

# Which device was it?  The injector on mbox again, on a port of its own
# with an echo server behind it; `rstaudit locate` from the client.
say ""
say "Which device injected?  The injector watches port 7100 now; from the client:"
say "client# rstaudit locate --text 'GET /?q=FORBIDDEN HTTP/1.0' 10.0.3.2 7100"
say ""
scn_build_injector &&
lab_spawn server s-loc "$PY" "$LAB_DIR/peer.py" serve echo \
	--addr 10.0.3.2 --port 7100 && lab_wait_log s-loc '^ready' &&
lab_spawn mbox i-loc "$LAB_TMP/inject" -i g0 -k FORBIDDEN -c -p 7100 -t 60 &&
lab_wait_log i-loc '^ready' ||
	fail "cannot start the injector for locate"
lab_in client ./rstaudit locate --text 'GET /?q=FORBIDDEN HTTP/1.0' \
	10.0.3.2 7100 >"$LAB_TMP/locate.out" 2>&1 || rc=1
sed 's/^/  /' "$LAB_TMP/locate.out"
# mbox is the client's second router; 10.0.2.2 is its side facing gw.
grep -q 'found, injector at hop 2, router 10.0.2.2 (hop 1: 10.0.1.1), on-path' \
	"$LAB_TMP/locate.out" || { rc=1; say "demo: locate did not name mbox"; }
lab_down
say ""
if [ $rc = 0 ]; then
	say "Every reset reported as the lab made it ($counts): who, why, hook,"
	say "interfaces, conntrack and verdict.  The lab is gone."
else
	say "demo: FAILED: the daemon's report differs from what the lab did ($counts)"
fi

say ""
say "The same core reads captures (rstaudit analyze), here a public one of a real injection:"
say ""
./rstaudit analyze tests/golden/external/rst-inject-rae.pcap | sed 's/^/  /' || rc=1
exit $rc
