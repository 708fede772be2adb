#!/bin/sh
# tests/verdicts.sh: zero false forgeries, the standing rule (issue 9).
# Every reset under tests/ whose truth is known (the golden captures'
# truth.tsv, the public captures' corpus.tsv, the lab's captures and the
# live daemon's events this run made, next to their expect.tsv) is held
# against rstaudit's verdict by tests/verdicts.py, which prints the
# confusion matrix (origin by truth) and the calibration table
# (confidence band against accuracy).  Fails on any endpoint's reset
# called middlebox or local, on a golden reset without truth, and on a
# cause that differs from the one the truth pins.  Run last in make
# check, so that the lab's and the daemon's output of this run count.
set -u
cd "$(dirname "$0")/.." || exit 1
TALLY=verdicts
. tests/lib/tally.sh
out=tests/out/verdicts.log
mkdir -p tests/out
if [ ! -x ./rstaudit ]; then
	fail "./rstaudit is missing: run make first"
	finish
fi
python3 tests/verdicts.py ./rstaudit . >"$out" 2>&1
rc=$?
sed -n '/^verdicts: [0-9]* resets/,/^verdicts: false forgeries/p' "$out" |
	grep -v '^verdicts: note:'
if [ "$rc" = 0 ]; then
	pass "$(tail -1 "$out" | sed 's/^verdicts: //')"
else
	grep -E '^verdicts: (FALSE|WRONG|PROBLEM)' "$out" | head -20
	tail -5 "$out" | grep -v '^verdicts: (FALSE|WRONG|PROBLEM)' | grep -q Traceback &&
		tail -5 "$out"
	fail "see $out"
fi
if [ "$(sed -n 's/^verdicts: \([0-9]*\) resets.*/\1/p' "$out")" -gt 0 ] 2>/dev/null; then
	pass "resets with known truth: $(sed -n 's/^verdicts: [0-9]* resets with known truth (\(.*\))/\1/p' "$out")"
else
	fail "no reset with known truth was found"
fi
finish
