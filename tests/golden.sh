#!/bin/sh
# tests/golden.sh check|regen: golden tests, capture in, expected text out.
#
# For every capture in tests/golden (*.pcap, *.pcapng, and external/), run
# `rstaudit analyze FILE` and `rstaudit analyze --json FILE` from inside
# tests/golden, so that file names in the output are relative and stable,
# and keep stdout, stderr and the exit status in one file per mode:
#
#	FILE.txt, FILE.json:	stdout
#				--- stderr
#				stderr
#				--- exit N
#
# check	compares each with `diff -u` and fails listing every mismatch; also
#	fails on a crash (killed by a signal), on sanitizer reports in
#	stderr (`make SANITIZE=1 check`), on a capture with no expected
#	file and on an expected file whose capture is gone.
# regen	rewrites every expected file (`make golden-regen`) and removes orphans;
#	it still fails on a crash or a sanitizer report, since those must
#	never be recorded as expected.
#
# Inputs are remade with `python3 tests/golden/make-inputs.py`.
set -u

mode=${1:-check}
case $mode in
check|regen) ;;
*)	echo "usage: sh tests/golden.sh check|regen" >&2
	exit 2 ;;
esac

here=$(dirname "$0")
TALLY=golden . "$here/lib/tally.sh"
cd "$here/golden" || { fail "no directory $here/golden"; finish; }
bin=../../rstaudit
if [ ! -x "$bin" ]; then
	fail "$bin (from tests/golden) is missing: run make first"
	finish
fi

LC_ALL=C
TZ=UTC
export LC_ALL TZ

tmp=${TMPDIR:-/tmp}/rstaudit-golden.$$
rm -rf "$tmp"
mkdir "$tmp" || exit 2
trap 'rm -rf "$tmp"' 0
trap 'exit 130' INT TERM

# run MODE CAPTURE OUTFILE: record one run; returns 1 on a crash or a
# sanitizer report.
run() {
	if [ "$1" = json ]; then
		"$bin" analyze --json "$2" >"$tmp/out" 2>"$tmp/err"
	else
		"$bin" analyze "$2" >"$tmp/out" 2>"$tmp/err"
	fi
	rc=$?
	{
		cat "$tmp/out"
		echo "--- stderr"
		cat "$tmp/err"
		echo "--- exit $rc"
	} >"$3"
	bad=0
	if grep -E 'runtime error|AddressSanitizer|LeakSanitizer' \
	    "$tmp/err" >/dev/null; then
		echo "golden: $2 ($1): sanitizer report:" >&2
		grep -E 'runtime error|AddressSanitizer|LeakSanitizer' \
		    "$tmp/err" | head -5 >&2
		bad=1
	fi
	if [ "$rc" -ge 128 ]; then
		echo "golden: $2 ($1): killed by signal $((rc - 128))" >&2
		bad=1
	fi
	return $bad
}

ncap=0
for cap in *.pcap *.pcapng external/*.pcap external/*.pcapng lab/*.pcap; do
	[ -f "$cap" ] || continue
	ncap=$((ncap + 1))
	for m in txt json; do
		exp=$cap.$m
		act=$tmp/$(echo "$exp" | tr / _)
		if ! run "$m" "$cap" "$act"; then
			fail "$exp (crash or sanitizer report)"
			[ "$mode" = regen ] && cp "$act" "$exp"
			continue
		fi
		if [ "$mode" = regen ]; then
			cp "$act" "$exp"
			pass "$exp regenerated"
		elif [ ! -f "$exp" ]; then
			fail "$exp is missing (run make golden-regen)"
		elif diff -u "$exp" "$act"; then
			pass "$exp"
		else
			fail "$exp differs"
		fi
	done
done

# Expected files whose capture is gone.
for exp in *.txt *.json external/*.txt external/*.json lab/*.txt lab/*.json; do
	[ -f "$exp" ] || continue
	cap=${exp%.*}
	[ -f "$cap" ] && continue
	if [ "$mode" = regen ]; then
		rm -f "$exp"
		echo "golden: removed $exp (no capture $cap)"
	else
		fail "$exp (no capture $cap)"
	fi
done

if [ "$ncap" -eq 0 ]; then
	fail "no captures in tests/golden (python3 tests/golden/make-inputs.py)"
fi
if [ "$mode" = check ] && ! tally_ok; then
	note "to accept deliberate changes: make golden-regen, then review git diff tests/golden"
fi
finish
