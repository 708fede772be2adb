# tests/lib/tally.sh: the one tally every shell suite uses.  POSIX sh.
#
#   TALLY=live . tests/lib/tally.sh     # or set TALLY before sourcing
#   pass "what held"                    # counted as passed
#   fail "what did not"                 # counted as failed
#   skip "what could not run, and why"  # counted as skipped, never passed
#   check NAME CMD...                   # pass or fail by CMD's status;
#                                       # its output shown when it fails
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
