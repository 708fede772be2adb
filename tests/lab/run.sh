#!/bin/sh
# tests/lab/run.sh: the namespace lab, for `make check` (run from the
# repository top, after ./rstaudit is built).  Needs root: it fails, and
# never skips, when it cannot build the lab.
#
# For IPv4 and IPv6: capture.sh puts every scenario's resets on the wire
# (client.pcap, gw.pcap and expect.tsv in tests/out/lab/ipvN), `check.py
# wire` verifies the captures themselves, then `rstaudit analyze --json`
# runs on each capture and `check.py events` compares its verdicts with
# expect.tsv.  Full logs stay in tests/out/lab/; failures are shown here.
# The last line is "lab: N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.." || exit 1
PY=/usr/bin/python3
LAB=tests/lab
OUT=tests/out/lab
TALLY=lab . tests/lib/tally.sh

if [ "$(id -u)" != 0 ]; then
	fail "must run as root: the lab builds network namespaces (sudo make check)"
	finish
fi
rm -rf "$OUT" && mkdir -p "$OUT" || { fail "cannot create $OUT"; finish; }

check_counts "checker self-test" "$OUT/self-test.log" $PY $LAB/check.py self-test

have_rstaudit=1
if [ ! -x ./rstaudit ]; then
	fail "./rstaudit not found: build it first (make); verdicts not checked"
	have_rstaudit=
fi

for fam in 4 6; do
	dir=$OUT/ipv$fam
	if sh $LAB/capture.sh $fam "$dir" >"$OUT/capture-ipv$fam.log" 2>&1; then
		pass "ipv$fam: lab built, every scenario reset ($dir)"
	else
		fail "ipv$fam: the lab failed (cannot make namespaces, or a scenario did not reset):"
		sed 's/^/    /' "$OUT/capture-ipv$fam.log" | tail -30
		continue
	fi
	check_counts "ipv$fam captures" "$dir/wire.log" $PY $LAB/check.py wire "$dir"
	[ -n "$have_rstaudit" ] || continue
	for point in client gw; do
		timeout 120 ./rstaudit analyze --json "$dir/$point.pcap" \
			>"$dir/$point.json" 2>"$dir/$point.err"
		st=$?
		if [ $st != 0 ]; then
			fail "ipv$fam $point: rstaudit analyze --json failed (status $st):"
			sed 's/^/    /' "$dir/$point.err" | tail -10
			continue
		fi
		check_counts "ipv$fam rstaudit on $point.pcap" "$dir/events-$point.log" $PY $LAB/check.py events \
			"$dir/expect.tsv" "$point" "$dir/$point.json"
	done
done
finish
