#!/bin/sh
# tests/run-unit.sh BINARY...: run each unit test binary (tests/unit/t.h
# prints "test_NAME: N passed, N failed") and add their counts into one
# summary, "unit: N passed, N failed, N skipped".  Each binary's output
# is kept in tests/out/unit/NAME.log; failing checks are shown here.
cd "$(dirname "$0")/.." || exit 1
TALLY=unit . tests/lib/tally.sh
mkdir -p tests/out/unit || { fail "cannot create tests/out/unit"; finish; }
[ $# -gt 0 ] || { fail "no unit test binary given"; finish; }
for t in "$@"; do
	check_counts "${t##*/}" "tests/out/unit/${t##*/}.log" "./$t"
done
finish
