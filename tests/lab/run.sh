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
# The last line is "lab: N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
PY=/usr/bin/python3
LAB=tests/lab
OUT=tests/out/lab
passed=0 failed=0

note() { echo "lab: $*"; }
bad() { echo "lab: FAIL: $*"; failed=$((failed + 1)); }
good() { note "$*"; passed=$((passed + 1)); }
finish() {
	echo "lab: $passed passed, $failed failed"
	[ "$failed" = 0 ]
	exit
}

# checked NAME LOG CMD...: run a check.py command into LOG, add its
# counts, and show its failures.
checked() {
	_name=$1 _log=$2; shift 2
	"$@" >"$_log" 2>&1
	_c=$(sed -n 's/^check: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$_log")
	if [ -z "$_c" ]; then
		bad "$* crashed; see $_log"
		sed 's/^/    /' "$_log" | tail -20
		return
	fi
	# shellcheck disable=SC2086
	set -- $_c
	passed=$((passed + $1)) failed=$((failed + $2))
	grep -E '^(FAIL|       )' "$_log"
	note "$_name: $1 passed, $2 failed"
}

if [ "$(id -u)" != 0 ]; then
	bad "must run as root: the lab builds network namespaces (sudo make check)"
	finish
fi
rm -rf "$OUT" && mkdir -p "$OUT" || { bad "cannot create $OUT"; finish; }

checked "checker self-test" "$OUT/self-test.log" $PY $LAB/check.py self-test

have_rstaudit=1
if [ ! -x ./rstaudit ]; then
	bad "./rstaudit not found: build it first (make); verdicts not checked"
	have_rstaudit=
fi

for fam in 4 6; do
	dir=$OUT/ipv$fam
	if sh $LAB/capture.sh $fam "$dir" >"$OUT/capture-ipv$fam.log" 2>&1; then
		good "ipv$fam: lab built, every scenario reset ($dir)"
	else
		bad "ipv$fam: the lab failed (cannot make namespaces, or a scenario did not reset):"
		sed 's/^/    /' "$OUT/capture-ipv$fam.log" | tail -30
		continue
	fi
	checked "ipv$fam captures" "$dir/wire.log" $PY $LAB/check.py wire "$dir"
	[ -n "$have_rstaudit" ] || continue
	for point in client gw; do
		timeout 120 ./rstaudit analyze --json "$dir/$point.pcap" \
			>"$dir/$point.json" 2>"$dir/$point.err"
		st=$?
		if [ $st != 0 ]; then
			bad "ipv$fam $point: rstaudit analyze --json failed (status $st):"
			sed 's/^/    /' "$dir/$point.err" | tail -10
			continue
		fi
		checked "ipv$fam rstaudit on $point.pcap" "$dir/events-$point.log" $PY $LAB/check.py events \
			"$dir/expect.tsv" "$point" "$dir/$point.json"
	done
done
finish
