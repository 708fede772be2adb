#!/bin/sh
# tests/locate/run.sh: `rstaudit locate` and the daemon's `locate yes` on
# a chain of six routers (lib.sh), IPv4 and IPv6.  An injector (inject.c)
# sits at one router at a time, on-path (the trigger goes on to the
# server) or in-path (a drop rule stops it), with a fixed TTL or copying
# the trigger's; every check compares the located hop, router, path and
# TTL copying with where the lab put it.  Needs root.
#
#   sh tests/locate/run.sh        from the repository top (make check)
set -u
cd "$(dirname "$0")/../.." || exit 1
TALLY=locate . tests/lib/tally.sh
LAB_PREFIX=${LAB_PREFIX:-rsloc$$}
LAB_DIR=$(pwd)/tests/lab
LOC_DIR=$(pwd)/tests/locate
. tests/lab/lib.sh
. tests/locate/lib.sh
OUT=tests/out/locate
PY=/usr/bin/python3
TRIGGER="FORBIDDEN /page"
rm -rf "$OUT" && mkdir -p "$OUT"
lab_trap

[ -x ./rstaudit ] || { fail "no ./rstaudit: run make"; finish; }
loc_up || { fail "cannot build the chain lab"; finish; }

# locate NAME FAMILY ARGS...: rstaudit locate from the client, JSON into
# $OUT/NAME.json; says how long it took.
locate() {
	_name=$1 _fam=$2; shift 2
	lab_in client ./rstaudit locate --json "$@" --text "$TRIGGER" \
		"$(loc_server_addr "$_fam")" "$LOC_PORT" >"$OUT/$_name.json" \
		2>"$OUT/$_name.err" || { cat "$OUT/$_name.err"; return 1; }
	$PY -c 'import json,sys; e=json.load(open(sys.argv[1]))
print("    %s: %s hop %s router %s %s in %.0f ms" % (sys.argv[2], e["status"],
      e["hop"], e["router"], e["path"], e["elapsed_ms"]))' \
		"$OUT/$_name.json" "$_name"
}

# found NAME FAMILY HOP PATH COPIES [ARGS...]: the located hop, its router
# and the one before (null before hop 1), the path and the TTL copying.
found() {
	_n=$1 _f=$2 _h=$3 _p=$4 _c=$5; shift 5
	_before=null
	[ "$_h" -gt 1 ] && _before="\"$(loc_router_addr $((_h - 1)) "$_f")\""
	locate "$_n" "$_f" "$@" &&
	$PY "$LOC_DIR/expect.py" "$OUT/$_n.json" status='"found"' hop="$_h" \
		router="\"$(loc_router_addr "$_h" "$_f")\"" \
		router_before="$_before" path="\"$_p\"" copies_ttl="$_c"
}

# at NODE MODE HOP PATH COPIES FAMILY [INJECT-ARGS] -- [LOCATE-ARGS]
at() {
	_node=$1 _mode=$2 _hop=$3 _path=$4 _copies=$5 _fam=$6; shift 6
	_ia=
	while [ $# -gt 0 ] && [ "$1" != -- ]; do _ia="$_ia $1"; shift; done
	[ $# -gt 0 ] && shift
	# shellcheck disable=SC2086
	loc_inject "$_node" "$_mode" $_ia || return 1
	found "$_node-$_mode${_ia:+-copy}-$_fam$*" "$_fam" "$_hop" "$_path" \
		"$_copies" "$@"
	_rc=$?
	loc_uninject
	return $_rc
}

# No injector: the trigger draws no RST, so nothing is located, and the
# control reached the server (the path works: the check could fail).
no_injector() {
	locate none-"$1" "$1" &&
	$PY "$LOC_DIR/expect.py" "$OUT/none-$1.json" status='"no-reset"' \
		hop=null router=null control.acked=true full.acked=true
}

# A firewall that resets every connection to the port is not an injector
# the trigger draws: the control is reset too.
control_reset() {
	lab_in r2 nft -f - <<-EOF || return 1
	table inet locrej {
		chain forward {
			type filter hook forward priority 0;
			tcp dport $LOC_PORT tcp flags & psh == psh reject with tcp reset
		}
	}
	EOF
	locate ctlrst-"$1" "$1"
	_rc=$?
	lab_in r2 nft delete table inet locrej
	[ $_rc = 0 ] &&
	$PY "$LOC_DIR/expect.py" "$OUT/ctlrst-$1.json" \
		status='"control-reset"' hop=null control.rst=true
}

# from_event FAMILY: capture a reset connection at the client, analyze
# it, and locate from the middlebox event alone: DEST, PORT and the
# trigger all come from the event and its capture.
from_event() {
	loc_inject r3 on || return 1
	cap_start cap client eth0 "$OUT/ev-$1.pcap" tcp port "$LOC_PORT" &&
	lab_in client "$PY" -c 'import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
s.sendall(b"FORBIDDEN /page")
time.sleep(0.3)' "$(loc_server_addr "$1")" "$LOC_PORT"
	_rc=$?
	cap_stop cap || _rc=1
	loc_uninject
	[ $_rc = 0 ] || return 1
	./rstaudit analyze --json "$OUT/ev-$1.pcap" |
		grep -m1 '"origin":"middlebox"' >"$OUT/ev-$1.json" ||
		{ echo "no middlebox event in the capture"; return 1; }
	loc_inject r3 on || return 1
	lab_in client ./rstaudit locate --json --from-event "$OUT/ev-$1.json" \
		>"$OUT/from-event-$1.json"
	_rc=$?
	loc_uninject
	[ $_rc = 0 ] &&
	$PY "$LOC_DIR/expect.py" "$OUT/from-event-$1.json" status='"found"' \
		hop=3 router="\"$(loc_router_addr 3 "$1")\"" \
		dest="\"$(loc_server_addr "$1")\"" port="$LOC_PORT"
}

for fam in 4 6; do
	check "IPv$fam: no injector, no location" no_injector "$fam"
	check "IPv$fam: r1 in-path: hop 1" at r1 in 1 in-path false "$fam"
	check "IPv$fam: r2 on-path: hop 2" at r2 on 2 on-path false "$fam"
	check "IPv$fam: r4 in-path: hop 4" at r4 in 4 in-path false "$fam"
	check "IPv$fam: r6 on-path: hop 6" at r6 on 6 on-path false "$fam"
	check "IPv$fam: r3 on-path, copies the TTL: hop 3" \
		at r3 on 3 on-path true "$fam" -R
	check "IPv$fam: r4 in-path, copies the TTL: hop 4" \
		at r4 in 4 in-path true "$fam" -R
	check "IPv$fam: r3 in-path, no packet socket: hop 3 (routers by UDP)" \
		at r3 in 3 unknown null "$fam" -- --no-raw
	check "IPv$fam: the control is reset too: no location" \
		control_reset "$fam"
	check "IPv$fam: --from-event: the trigger from an analyzed capture" \
		from_event "$fam"
done

. tests/locate/daemon.sh
# make SANITIZE=1 check: a report on stderr is a failure, exit 0 or not.
check "no sanitizer report from rstaudit locate or the daemon" \
	sh -c "! grep -l 'runtime error\|Sanitizer' $OUT/*.err $OUT/daemon.log"
finish
