#!/bin/sh
# tests/check.sh GROUP...: run the suites of each GROUP, keep going after
# a failing one, then print one table (suite, passed, failed, skipped,
# seconds) and the totals line "N passed, N failed, N skipped" last.
# Exits 1 when any suite failed (or printed no summary), else 0.
#
#   unit golden corpus conf     need no root
#   fuzz                        no root: every fuzz target for
#                               $FUZZ_SECONDS (make check: 3)
#   schema report               need no root
#   lab live ops locate         need root (tests/deps.sh runs first)
#   receivers                   root: real Prometheus, rsyslog, journald,
#                               a tc mirred mirror
#   verdicts                    no root; last, so that the lab's and the
#                               daemon's output of this run count
#
# make check runs every group, the unprivileged ones first; make
# check-GROUP runs one.  Each suite's full output is shown as it runs.
cd "$(dirname "$0")/.." || exit 1
UNIT=${UNIT:-}

# group_suites GROUP: the suites of GROUP, one "script args" a line.
group_suites() {
	case $1 in
	unit)	echo "tests/run-unit.sh $UNIT" ;;
	golden)	printf '%s\n' "tests/golden.sh check" tests/readers.sh ;;
	corpus)	echo "tests/corpus.sh" ;;
	conf)	printf '%s\n' tests/conf_check.sh tests/analyze_check.sh ;;
	fuzz)	echo "tests/fuzz/run.sh" ;;
	schema)	echo "tests/schema/check.sh" ;;
	report)	echo "tests/report/check.sh" ;;
	lab)	echo "tests/lab/run.sh" ;;
	live)	printf '%s\n' tests/live/nft_test.sh tests/live/events.sh \
			tests/live/run.sh tests/live/evidence.sh tests/live/trust.sh \
			tests/live/enforce.sh tests/live/observer.sh \
			tests/live/route.sh ;;
	ops)	printf '%s\n' tests/ops/live.sh tests/ops/install.sh ;;
	locate)	echo "tests/locate/run.sh" ;;
	receivers) printf '%s\n' tests/receivers/prometheus.sh \
			tests/receivers/watch.sh tests/receivers/syslog.sh \
			tests/receivers/journal.sh ;;
	verdicts) echo "tests/verdicts.sh" ;;
	*)	echo "check: no suite group '$1'" >&2; return 1 ;;
	esac
}

needs_root() { case $1 in lab|live|ops|locate|receivers) return 0 ;; esac; return 1; }

TABLE=$(mktemp "${TMPDIR:-/tmp}/rstaudit-check.XXXXXX") || exit 1
OUT=$(mktemp "${TMPDIR:-/tmp}/rstaudit-suite.XXXXXX") || exit 1
trap 'rm -f "$TABLE" "$OUT" "$OUT.rc" "$OUT.list"' EXIT
trap 'exit 130' INT TERM

# run_suite SCRIPT ARGS...: run one suite, show its output, add its row.
# A suite with no summary line, or failing with none counted, adds one
# failure: a crash is never a pass.
run_suite() {
	_t0=$(date +%s)
	{ sh "$@" 2>&1; echo $? >"$OUT.rc"; } | tee "$OUT"
	_t1=$(date +%s)
	_rc=$(cat "$OUT.rc")
	_row=$(sed -n 's/^\([[:alnum:]_-]*\): \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3 \4/p' \
		"$OUT" | tail -1)
	if [ -z "$_row" ]; then
		echo "check: $1 printed no summary line (status $_rc)"
		_row="${1##*/} 0 1 0"
	fi
	set -- $_row
	if [ "$_rc" != 0 ] && [ "$_rc" != 77 ] && [ "$3" = 0 ]; then
		echo "check: $1 exited $_rc with no failure counted"
		set -- "$1" "$2" 1 "$4"
	fi
	echo "$* $((_t1 - _t0))" >>"$TABLE"
}

deps_done=
for g in "$@"; do
	if needs_root "$g" && [ -z "$deps_done" ]; then
		deps_done=1
		sh tests/deps.sh || echo "check: tests/deps.sh failed: the root suites will name what is missing" >&2
	fi
	group_suites "$g" >"$OUT.list" || { echo "$g 0 1 0 0" >>"$TABLE"; continue; }
	while read -r s; do
		# shellcheck disable=SC2086
		run_suite $s </dev/null
	done <"$OUT.list"
	rm -f "$OUT.list"
done

echo
awk '
	BEGIN { printf "%-14s %7s %7s %7s %8s\n", "suite", "passed", "failed", "skipped", "seconds" }
	{ printf "%-14s %7d %7d %7d %8d\n", $1, $2, $3, $4, $5
	  p += $2; f += $3; s += $4; t += $5; if ($3 > 0) bad++ }
	END { printf "%-14s %7d %7d %7d %8d\n", "total", p, f, s, t
	      printf "%d passed, %d failed, %d skipped\n", p, f, s
	      exit bad > 0 }' "$TABLE"
