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
# regen	rewrites every expected file (`make golden`) and removes orphans;
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
cd "$here/golden" || exit 2
bin=../../rstaudit
if [ ! -x "$bin" ]; then
	echo "golden: $bin (from tests/golden) is missing: run make first" >&2
	exit 2
fi

LC_ALL=C
TZ=UTC
export LC_ALL TZ

tmp=${TMPDIR:-/tmp}/rstaudit-golden.$$
rm -rf "$tmp"
mkdir "$tmp" || exit 2
trap 'rm -rf "$tmp"' 0
trap 'exit 130' INT TERM

pass=0
fail=0
failed=

note_fail() {
	fail=$((fail + 1))
	failed="$failed
    $1"
}

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
			note_fail "$exp (crash or sanitizer report)"
			[ "$mode" = regen ] && cp "$act" "$exp"
			continue
		fi
		if [ "$mode" = regen ]; then
			cp "$act" "$exp"
			pass=$((pass + 1))
		elif [ ! -f "$exp" ]; then
			echo "golden: $exp is missing (run make golden)"
			note_fail "$exp (missing)"
		elif diff -u "$exp" "$act"; then
			pass=$((pass + 1))
		else
			note_fail "$exp"
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
		note_fail "$exp (no capture $cap)"
	fi
done

if [ "$ncap" -eq 0 ]; then
	echo "golden: no captures in tests/golden (python3 tests/golden/make-inputs.py)" >&2
	exit 1
fi
if [ "$fail" -gt 0 ]; then
	echo "golden: failed:$failed"
	[ "$mode" = check ] && echo "golden: to accept deliberate changes: make golden, then review git diff tests/golden"
fi
if [ "$mode" = regen ]; then
	echo "golden: regenerated $pass expected files from $ncap captures, $fail failed"
else
	echo "golden: $pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
