#!/bin/sh
# tests/lab/capture.sh FAMILY OUTDIR: bring the lab up, capture every
# scenario, bring it down.  Leaves in OUTDIR:
#
#   client.pcap  on the client's eth0 (Ethernet)
#   gw.pcap      on the gateway, -i any (Linux cooked v2, with direction)
#   expect.tsv   one line per reset, what the analyser should report at
#                each capture point (see scenarios.sh)
#
# FAMILY is 4 or 6.  Exit status 0 when every scenario did what it claims.
set -u
[ $# -eq 2 ] && { [ "$1" = 4 ] || [ "$1" = 6 ]; } ||
	{ echo "usage: $0 4|6 OUTDIR" >&2; exit 2; }
family=$1 out=$2
LAB_PREFIX=${LAB_PREFIX:-rsa$$-$family}

. "$(dirname "$0")/lib.sh"
. "$LAB_DIR/scenarios.sh"

mkdir -p "$out" && out=$(cd "$out" && pwd) || exit 1
rm -f "$out/client.pcap" "$out/gw.pcap" "$out/expect.tsv"

lab_trap
lab_up || exit 1
LAB_EXPECT=$out/expect.tsv
scn_expect_header >"$LAB_EXPECT"

# Cooked v2 carries the interface index and direction of each packet.
gwlink=LINUX_SLL2
tcpdump -i any -L 2>&1 | grep -q LINUX_SLL2 || gwlink=LINUX_SLL

cap_start cap-client client eth0 "$out/client.pcap" &&
cap_start cap-gw gw any "$out/gw.pcap" -y "$gwlink" || exit 1

rc=0
scn_all "$family" || rc=1
cap_sync cap-client cap-gw || rc=1
cap_stop cap-client || rc=1
cap_stop cap-gw || rc=1
lab_down
[ $rc = 0 ] && echo "capture IPv$family: $(($(wc -l <"$LAB_EXPECT") - 1)) resets in $out"
exit $rc
