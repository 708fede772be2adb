# tests/lib/tally.sh: the one tally every shell suite uses.  POSIX sh.
#
#   TALLY=live . tests/lib/tally.sh     # or set TALLY before sourcing
#   pass "what held"                    # counted as passed
#   fail "what did not"                 # counted as failed
#   skip "what could not run, and why"  # counted as skipped, never passed
#   note "what is going on"             # a line of its own, not counted
#   check NAME CMD...                   # pass or fail by CMD's status;
#                                       # its output shown when it fails
#   check_status NAME STATUS REGEX CMD... # CMD exits STATUS and says REGEX
#   check_eq NAME GOT WANT              # pass when GOT = WANT
#   check_counts NAME LOG CMD...        # a checker that prints its own
#                                       # "WORD: N passed, N failed" (to
#                                       # LOG): its counts added, its FAIL
#                                       # lines shown
#   finish                              # summary line, then exit:
#                                       # 1 on any failure, 77 when every
#                                       # check was skipped, else 0
#
# The summary line is "SUITE: N passed, N failed, N skipped", the form
# make check's table and CI read.  A suite that cannot do its job (no
# root, a missing tool) calls fail, not skip: a test that cannot run is
# not a test that passed.  skip is for a check that does not apply here,
# and says why.

TALLY=${TALLY:-test}
_t_passed=0
_t_failed=0
_t_skipped=0

note() { echo "$TALLY: $*"; }
pass() { echo "$TALLY: ok: $*"; _t_passed=$((_t_passed + 1)); }
fail() { echo "$TALLY: FAIL: $*"; _t_failed=$((_t_failed + 1)); }
skip() { echo "$TALLY: skip: $*"; _t_skipped=$((_t_skipped + 1)); }

check() {
	_t_name=$1; shift
	if _t_out=$("$@" 2>&1); then
		pass "$_t_name"
	else
		fail "$_t_name"
		echo "$_t_out" | sed 's/^/    /' | tail -15
	fi
}

check_status() {
	_t_name=$1 _t_want=$2 _t_re=$3; shift 3
	_t_out=$("$@" 2>&1)
	_t_st=$?
	if [ "$_t_st" = "$_t_want" ] && echo "$_t_out" | grep -q -- "$_t_re"; then
		pass "$_t_name"
	else
		fail "$_t_name (status $_t_st, want $_t_want and '$_t_re')"
		echo "$_t_out" | sed 's/^/    /' | tail -10
	fi
}

check_eq() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1 (got $2, want $3)"; fi
}

check_counts() {
	_t_name=$1 _t_log=$2; shift 2
	"$@" >"$_t_log" 2>&1
	_t_st=$?
	_t_c=$(sed -n 's/^[[:alnum:]_-]*: \([0-9]*\) passed, \([0-9]*\) failed.*/\1 \2/p' \
		"$_t_log" | tail -1)
	if [ -z "$_t_c" ]; then
		fail "$_t_name: no count from the checker (status $_t_st); see $_t_log"
		sed 's/^/    /' "$_t_log" | tail -20
		return
	fi
	_t_p=${_t_c% *} _t_f=${_t_c#* }
	_t_passed=$((_t_passed + _t_p)) _t_failed=$((_t_failed + _t_f))
	grep -E '^(FAIL|       )|: CHECK|failed:' "$_t_log"
	note "$_t_name: $_t_p passed, $_t_f failed ($_t_log)"
	if [ "$_t_st" != 0 ] && [ "$_t_f" = 0 ]; then
		fail "$_t_name: status $_t_st, though it counted no failure"
	fi
}

# tally_ok: true while no check failed (for early exits).
tally_ok() { [ "$_t_failed" = 0 ]; }

finish() {
	echo "$TALLY: $_t_passed passed, $_t_failed failed, $_t_skipped skipped"
	if [ "$_t_failed" != 0 ]; then exit 1; fi
	if [ "$_t_passed" = 0 ] && [ "$_t_skipped" != 0 ]; then exit 77; fi
	if [ "$_t_passed" = 0 ]; then
		echo "$TALLY: no check ran" >&2
		exit 1
	fi
	exit 0
}
