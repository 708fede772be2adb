#!/bin/sh
# tests/receivers/watch.sh: `rstaudit watch` on a mirror port.  The lab
# gateway's client-side link (c0) is mirrored, both directions, with tc
# mirred (u32, match all: this kernel has no matchall) to a veth whose other end (mir1) is in a monitor namespace of its
# own, as a switch's SPAN port would be; every scenario runs, both
# families, and there:
#
#   - watch -i mir1 --json reports every reset the client sees, with the
#     verdict the lab's ground truth expects (tests/lab/check.py events);
#   - `analyze --json` of its -w file says exactly what watch said, byte
#     for byte (frames numbered as in that file);
#   - `analyze --json` of tcpdump's own capture of mir1, taken meanwhile,
#     gives the same events (every field but the frame number, file and
#     times: each socket stamps its copy of a packet itself);
#   - the -w file holds the packets it judged and nothing else (TCP only);
#   - libpcap gave a TPACKET_V3 ring (strace), the kernel dropped nothing;
#   - bad usage: no interface, a missing one, a bad filter.
# Needs root; fails, never skips, without it or without tc, tcpdump, strace.
# The last line is "watch: N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.." || exit 1
LAB_PREFIX=${LAB_PREFIX:-rswa$$}
TALLY=watch . tests/lib/tally.sh
. tests/receivers/lib.sh

recv_begin tc tcpdump strace
T=$LAB_TMP

# --- usage -----------------------------------------------------------------
check_status "no -i: usage error, exit 2" 2 'give the interface' \
	"$RSTAUDIT" watch
check_status "a missing interface: exit 3, named" 3 'nosuch0' \
	"$RSTAUDIT" watch -i nosuch0
check_status "a bad filter: exit 3, the filter named" 3 "filter 'tcp and and'" \
	lab_in gw "$RSTAUDIT" watch -i c0 tcp and and

# --- the mirror port -------------------------------------------------------
lab_node mon && lab_link gw mir0 mon mir1 &&
	ip -n "$(lab_ns mon)" link set mir1 up &&
	lab_in gw tc qdisc add dev c0 clsact &&
	lab_in gw tc filter add dev c0 ingress protocol all u32 match u32 0 0 action mirred egress mirror dev mir0 &&
	lab_in gw tc filter add dev c0 egress protocol all u32 match u32 0 0 action mirred egress mirror dev mir0 ||
	{ fail "cannot mirror c0 to mir0 (tc mirred)"; finish; }
pass "gw c0 mirrored both ways to mon mir1 (tc mirred)"

# PACKET_VERSION 2 is TPACKET_V3 (if_packet.h: V1 0, V2 1, V3 2).
lab_in mon timeout -s INT 2 strace -f -e trace=setsockopt -o "$T/strace.out" \
	"$RSTAUDIT" watch -i mir1 >/dev/null 2>&1
check "libpcap gives watch a TPACKET_V3 ring (strace: PACKET_VERSION 2)" \
	grep -Eq 'PACKET_VERSION, \[(2|TPACKET_V3)\]' "$T/strace.out"

cap_start cap-mon mon mir1 "$T/mon.pcap" || { fail "tcpdump on mir1"; finish; }
# Events to watch.log, messages to watch.err.
lab_spawn mon watch sh -c 'exec "$@" 2>"$0"' "$T/watch.err" \
	"$RSTAUDIT" watch -v -i mir1 --json -w "$T/watch.pcap" ||
	{ fail "watch did not start"; finish; }
watch_says() { grep -q -- "$1" "$T/watch.err"; }
if lab_poll 10 watch_says 'capturing'; then
	pass "watch -i mir1 started"
else
	fail "watch -i mir1 did not start"; finish
fi
LAB_EXPECT=$T/expect.tsv
scn_expect_header >"$LAB_EXPECT"
for fam in 4 6; do
	scn_all $fam || fail "ipv$fam: a scenario did not do what it claims"
done
cap_sync cap-mon || fail "the sync marker did not reach the tcpdump on mir1"
cap_stop cap-mon || fail "tcpdump on mir1 lost packets or failed"
lab_kill watch
check "watch exits 0 on SIGTERM" lab_wait watch 10
cp "$T/watch.log" "$T/watch.json"
nexp=$(($(wc -l <"$LAB_EXPECT") - 1))
nev=$(wc -l <"$T/watch.json")
note "$nexp resets made, $nev events from watch"

check_counts "watch: every reset the client sees, with its expected verdict" \
	"$T/check.log" $PY "$LAB_DIR/check.py" events "$LAB_EXPECT" client "$T/watch.json"
"$RSTAUDIT" analyze --json "$T/watch.pcap" 2>/dev/null | grep '^{' >"$T/again.json"
check "analyze of watch's -w file: the same events, byte for byte" \
	diff -u "$T/watch.json" "$T/again.json"
"$RSTAUDIT" analyze --json "$T/mon.pcap" 2>/dev/null | grep '^{' >"$T/tcpdump.json"
# Each packet socket stamps its own copy of a mirrored packet: times may
# differ by a microsecond, so they are left out (and the delays in words).
# strip FILE: EVE events without what differs between two captures of
# the same packets (frame, file, times).
strip() {
	jq -c 'del(.pcap_cnt, .pcap_filename, .timestamp, .rst.rst_delay_ms,
		.rst.sender_rtt_ms) |
		.rst.evidence |= map(gsub("[0-9.]+ ms"; "N ms"))' "$1"
}
strip "$T/watch.json" >"$T/watch.cmp" && strip "$T/tcpdump.json" >"$T/tcpdump.cmp"
check "analyze of tcpdump's capture of mir1: the same events (frame, file, times aside)" \
	diff -u "$T/tcpdump.cmp" "$T/watch.cmp"
check_eq "the same number of events ($nev)" "$(wc -l <"$T/tcpdump.json")" "$nev"

tcp_w=$(tcpdump -r "$T/watch.pcap" -nn tcp 2>/dev/null | wc -l)
all_w=$(tcpdump -r "$T/watch.pcap" -nn 2>/dev/null | wc -l)
tcp_m=$(tcpdump -r "$T/mon.pcap" -nn tcp 2>/dev/null | wc -l)
check_eq "-w file: TCP packets only ($all_w)" "$all_w" "$tcp_w"
check_eq "-w file: every TCP packet the mirror carried ($tcp_m)" "$tcp_w" "$tcp_m"
check "watch: no packet dropped by the kernel" \
	sh -c "! grep -q 'dropped by the kernel' '$T/watch.err'"
check "watch: every packet received was read" sh -c \
	"grep -Eq 'mir1: ([0-9]+) packets received, \\1 read' '$T/watch.err'"
finish
