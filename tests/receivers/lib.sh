# tests/receivers/lib.sh: what every receivers suite starts with, sourced
# from the repository top after tests/lib/tally.sh.  POSIX sh.
#
#   recv_begin TOOL...   fail (and finish) unless root and every TOOL is
#                        there; then the lab's trap, and the lab up
#
# Sets TOP, LAB_DIR, RSTAUDIT (absolute, exported), PY and RECV (the
# client side, recv.py).  Each suite's own LAB_PREFIX, when set first,
# names its namespaces.
TOP=$(pwd)
: "${LAB_PREFIX:=rsrv$$}"
LAB_DIR=$TOP/tests/lab
. "$LAB_DIR/lib.sh"
. "$LAB_DIR/scenarios.sh"
RSTAUDIT=$(realpath "${RSTAUDIT:-./rstaudit}")
export RSTAUDIT
PY=/usr/bin/python3
RECV="$PY $TOP/tests/receivers/recv.py"

recv_begin() {
	if [ "$(id -u)" != 0 ]; then
		fail "must run as root: the tests build network namespaces (sudo)"
		finish
	fi
	for _t in ip nft ss "$PY" "$@"; do
		command -v "$_t" >/dev/null 2>&1 ||
			{ fail "missing tool: $_t (sh tests/deps.sh installs it)"; finish; }
	done
	[ -x "$RSTAUDIT" ] || { fail "no $RSTAUDIT: build it first (make)"; finish; }
	lab_trap
	lab_up || { fail "cannot build the lab"; finish; }
}
