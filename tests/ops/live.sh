#!/bin/sh
# tests/ops/live.sh: the daemon run as an operator runs it, on the lab's
# gateway (tests/lab: client - gw - mbox - server).  Run from the
# repository top after building; RSTAUDIT names another binary.  Needs
# root: it fails, and never skips, without it.
#
#   - privilege drop (user nobody): uid, gid, groups and every thread's
#     capabilities are what rstaudit(8) says (CapEff = CapPrm = CapBnd =
#     CAP_NET_ADMIN alone); connections cross gw; refused, abort and
#     this host's reject still give correct events after the drop
#     (verdicts, NFLOG, conntrack lookups and marks all still work);
#     SIGHUP reopens a rotated event file; SIGTERM removes the table,
#     the control socket and exits 0;
#   - sd_notify: READY=1 once the table is in place (checked the moment
#     it arrives), MAINPID, WATCHDOG=1, RELOADING=1/READY=1 around
#     SIGHUP, STOPPING=1; abstract (@name) and path sockets;
#   - `rstaudit stats`, text and --prometheus (checked by a parser),
#     and GET /metrics, against what was sent; socket mode and owner;
#     who may ask; a client that asks nothing is cut off while others
#     are served; 20 clients at once; clear errors with no daemon, a
#     dead daemon's socket, or a second daemon on the same socket;
#   - two queues after the drop: every thread narrowed, both queues busy;
#   - started as systemd's unit starts it (not root, CAP_NET_ADMIN as an
#     ambient capability, nothing else in the bounding set);
#   - configuration errors: unknown user, relative socket path, a user
#     switch without root.
# The last line is "ops: N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.." || exit 1
TOP=$(pwd)
LAB_PREFIX=${LAB_PREFIX:-rsop$$}
LAB_DIR=$TOP/tests/lab
. tests/lab/lib.sh
. tests/lab/scenarios.sh
RSTAUDIT=${RSTAUDIT:-./rstaudit}
case $RSTAUDIT in /*) ;; *) RSTAUDIT=$TOP/$RSTAUDIT ;; esac
export RSTAUDIT
PY=/usr/bin/python3
OPS="$PY $TOP/tests/ops/ops.py"
OPS_TMP=
TALLY=ops . tests/lib/tally.sh

# says RC WANT OUT PATTERN: status RC is WANT and OUT matches PATTERN.
says() { [ "$1" = "$2" ] && printf '%s\n' "$3" | grep -q -- "$4"; }
# same NAME A B: two numbers agree (and are numbers).
same() {
	case $2$3 in *[!0-9]*|'') fail "$1: '$2' vs '$3'"; return ;; esac
	if [ "$2" = "$3" ]; then pass "$1 ($2)"; else fail "$1: $2 vs $3"; fi
}
cleanup() {
	lab_down
	[ -n "$OPS_TMP" ] && rm -rf "$OPS_TMP"
}

if [ "$(id -u)" != 0 ]; then
	fail "must run as root: the tests build network namespaces (sudo)"
	finish
fi
for _t in ip nft conntrack setpriv "$PY"; do
	command -v "$_t" >/dev/null 2>&1 || { fail "missing tool: $_t"; finish; }
done
if ! "$RSTAUDIT" stats -h >/dev/null 2>&1; then
	fail "$RSTAUDIT has no 'stats' command: build it first (make)"
	finish
fi
$OPS self-test /tmp >/dev/null || { fail "the Prometheus parser's self-test"; finish; }

trap 'cleanup' EXIT
trap 'cleanup; trap - EXIT; exit 130' INT
trap 'cleanup; trap - EXIT; exit 143' TERM
trap 'cleanup; trap - EXIT; exit 129' HUP
lab_up || { fail "cannot build the lab"; finish; }
# A tree nobody can reach: the event directory is the daemon user's.
OPS_TMP=$(mktemp -d /tmp/"$LAB_PREFIX"-ops.XXXXXX) && chmod 0755 "$OPS_TMP" &&
	install -d -o nobody -g nogroup "$OPS_TMP/log" ||
	{ fail "cannot make $OPS_TMP"; finish; }
CTL=$OPS_TMP/run/control.sock		# run/ is made by the daemon
EV=$OPS_TMP/log/events.json
NOTE=@$LAB_PREFIX-notify

status_of() { grep "^$2:" "/proc/$1/status" | cut -f2- | tr -s '\t ' ' ' | sed 's/ $//'; }
pid_of() { cat "$LAB_TMP/$1.pid"; }
msgs() { grep -c "^msg: .*$2" "$LAB_TMP/$1.log"; }
_has_msgs() { [ "$(msgs "$1" "$2")" -ge "$3" ]; }
# wait_msgs TAG TEXT N: the notify listener TAG got N messages with TEXT.
wait_msgs() { lab_poll 5 _has_msgs "$@"; }
_gone() { [ -f "$LAB_TMP/$1.rc" ]; }
no_table() { ! lab_in gw nft list table inet rstaudit >/dev/null 2>&1; }
stats() { "$RSTAUDIT" stats -s "$CTL" "$@"; }

# --- the daemon as nobody, announced to an abstract NOTIFY_SOCKET --------
lab_spawn gw n1 $OPS notify-listen "$NOTE" --on-ready "nft list table inet rstaudit" &&
lab_wait_log n1 '^ready' || { fail "notify listener did not start"; finish; }
export NOTIFY_SOCKET="$NOTE" WATCHDOG_USEC=200000
if lab_daemon d1 gw -c /dev/null -u nobody --control-socket "$CTL" \
	--json-file "$EV" --hold 1; then
	pass "daemon up with -u nobody (queue 0, NFLOG group 100, table)"
else
	fail "daemon with -u nobody did not start"; finish
fi
unset NOTIFY_SOCKET WATCHDOG_USEC
D1=$(pid_of d1)

check "sd_notify: READY=1 with MAINPID=$D1" wait_msgs n1 "READY=1 MAINPID=$D1 " 1
check "sd_notify: the table was in place when READY=1 arrived" \
	lab_wait_log n1 '^on-ready: rc 0$' 5
check "sd_notify: WATCHDOG=1, again and again (WATCHDOG_USEC 200000)" \
	wait_msgs n1 "WATCHDOG=1" 3

check "uid nobody: Uid 65534 (real, effective, saved, fs)" \
	test "$(status_of "$D1" Uid)" = "65534 65534 65534 65534"
check "gid nogroup: Gid 65534, Groups 65534 only" \
	test "$(status_of "$D1" Gid)/$(status_of "$D1" Groups)" = "65534 65534 65534 65534/65534"
caps=$(for c in CapInh CapPrm CapEff CapBnd CapAmb NoNewPrivs; do
	printf '%s=%s ' $c "$(status_of "$D1" $c)"; done)
check "capabilities: CAP_NET_ADMIN alone ($caps)" test "$caps" = \
	"CapInh=0000000000000000 CapPrm=0000000000001000 CapEff=0000000000001000 CapBnd=0000000000001000 CapAmb=0000000000000000 NoNewPrivs=1 "
check "control socket: srw-rw---- nobody nogroup, its directory nobody's" \
	test "$(stat -c '%A %U %G' "$CTL")/$(stat -c '%U' "$OPS_TMP/run")" = \
	"srw-rw---- nobody nogroup/nobody"

# --- resets after the drop -------------------------------------------------
for fam in 4 6; do
	scn_refused $fam && scn_abort $fam && scn_after_fin $fam &&
	scn_gw_reject_syn $fam ||
		fail "ipv$fam: the scenarios did not run (connections through gw)"
	cli=$(lab_addr client $fam) srv=$(lab_addr server $fam)
	check "ipv$fam: a connection with data crosses gw (abort scenario) and its reset is audited" \
		$OPS event "$EV" --wait 5 src="$srv" sport=7002 family=ipv$fam \
		origin=endpoint cause=abort hook=forward ct.state=CLOSE verdict=accept
	check "ipv$fam refused: endpoint refused, verdict accept" \
		$OPS event "$EV" --wait 5 src="$srv" sport=7001 origin=endpoint \
		cause=refused hook=forward verdict=accept
	check "ipv$fam after-fin: endpoint after-fin from the client" \
		$OPS event "$EV" --wait 5 src="$cli" dport=7004 origin=endpoint \
		cause=after-fin
	check "ipv$fam gw reject: local reject read from NFLOG, verdict none" \
		$OPS event "$EV" --wait 5 src="$srv" sport=7005 origin=local \
		cause=reject hook=output verdict=none
	check "ipv$fam: conntrack mark set after the drop (abort flow)" \
		sh -c "ip netns exec $(lab_ns gw) conntrack -L -f ipv$fam -p tcp \
			--dport 7002 --mark 0x20000000/0x20000000 2>/dev/null | grep -q 7002"
done
nev=$($OPS count "$EV")
check "8 events in all ($nev)" test "$nev" = 8

# --- rstaudit stats --------------------------------------------------------
stats >"$OPS_TMP/s.txt" 2>&1 && stats --prometheus >"$OPS_TMP/s.prom" 2>&1
check "stats: text and --prometheus answer" test $? = 0
check "stats --prometheus: valid text format (HELP, TYPE, names, labels, values)" \
	$OPS prom "$OPS_TMP/s.prom"
get() { $OPS prom-get "$OPS_TMP/s.prom" "$1"; }
tget() { $OPS text-get "$OPS_TMP/s.txt" "$1" "$2"; }
same "prometheus: resets_total = events written" "$(get rstaudit_resets_total)" "$nev"
same "text: resets = events written" "$(tget flows resets)" "$nev"
for oc in endpoint/refused endpoint/abort endpoint/after-fin local/reject; do
	same "prometheus: resets_total{$oc} = 2 (IPv4, IPv6)" \
		"$(get "rstaudit_resets_total{origin=\"${oc%/*}\",cause=\"${oc#*/}\"}")" 2
done
same "text: endpoint resets = prometheus" "$(tget flows endpoint)" \
	"$(get 'rstaudit_resets_total{origin="endpoint"}')"
same "text: refused (by cause) = prometheus" "$(tget 'resets by cause:' refused)" \
	"$(get 'rstaudit_resets_total{cause="refused"}')"
q=$(get 'rstaudit_queue_packets_total{queue="0"}')
same "text: queue 0 queued = prometheus" "$(tget 'queue 0:' queued)" "$q"
same "every queued packet had its verdict" "$(get rstaudit_queue_verdicts_total)" "$q"
same "kernel id_sequence = queued + failed open (read after the drop)" \
	"$(get rstaudit_queue_kernel_id_sequence)" \
	"$((q + $(get rstaudit_queue_failed_open_total)))"
same "NFLOG: every packet the table logged was read (learning, 2 reject RSTs)" \
	"$(get 'rstaudit_nflog_packets_total{group="100"}')" "$(lab_log_hits gw)"
same "conntrack: lookups, text = prometheus" "$(get rstaudit_conntrack_lookups_total)" \
	"$(tget flows 'conntrack lookups')"
check "conntrack: marks set (>= 2)" test "$(get rstaudit_conntrack_marked_total)" -ge 2
check "conntrack: forwarded RSTs' facts from the table's notes (>= 2), no events listened to" sh -c "
	[ $(get rstaudit_conntrack_from_table_total) -ge 2 ] &&
	[ $(get rstaudit_conntrack_from_events_total) = 0 ] &&
	[ $(get rstaudit_conntrack_view_dumps_total) = 0 ] &&
	[ $(get rstaudit_conntrack_events_total) = 0 ]"
same "text: conntrack from table = prometheus" "$(tget conntrack: 'from table')" \
	"$(get rstaudit_conntrack_from_table_total)"
same "text: flows = prometheus" "$(tget flows flows)" "$(get rstaudit_flows)"
$OPS ask "$CTL" "GET /metrics HTTP/1.0" >"$OPS_TMP/http.out" 2>&1
sed '1,/^\r*$/d' "$OPS_TMP/http.out" >"$OPS_TMP/http.prom"
check "GET /metrics: HTTP/1.0 200, version=0.0.4, a valid body" sh -c \
	"head -1 $OPS_TMP/http.out | grep -q '^HTTP/1.0 200 OK' &&
	 grep -q 'version=0.0.4' $OPS_TMP/http.out && $OPS prom $OPS_TMP/http.prom >/dev/null"
check "an unknown request gets an error line" sh -c \
	"$OPS ask $CTL colour | grep -q '^error: unknown request'"

check "stats as the daemon's user (nobody): allowed by the socket's mode" \
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$RSTAUDIT" stats -s "$CTL"
out=$(setpriv --reuid=daemon --regid=daemon --clear-groups "$RSTAUDIT" stats -s "$CTL" 2>&1)
rc=$?
check "stats as another user: refused, exit 1, says why ($out)" \
	says $rc 1 "$out" 'permission denied; run as root'

# --- a client that stalls does not stall the daemon ------------------------
lab_spawn gw slow $OPS slow-client "$CTL" && lab_wait_log slow '^connected' ||
	fail "slow client did not connect"
check "while a client sits silent: stats answers" sh -c \
	"$RSTAUDIT stats -s $CTL | grep -q '^queue 0: queued'"
lab_in client $PY "$LAB_DIR/peer.py" connect refused --addr 10.0.3.2 --port 7011 >/dev/null
check "while a client sits silent: a refused connection is audited" \
	$OPS event "$EV" --wait 5 sport=7011 cause=refused
check "the silent client is cut off (status 0: the daemon closed it)" lab_wait slow 10
check "20 clients at once (8 served at a time): all answered" \
	$OPS clients "$CTL" 20

# --- SIGUSR1 still logs the counters ---------------------------------------
c=$(lab_counters d1)
check "SIGUSR1: the same text in the log (queue 0, log group, flows)" sh -c \
	"echo '$c' | grep -q '^rstaudit: queue 0: queued' &&
	 echo '$c' | grep -q '^rstaudit: flows .*, resets $((nev + 1)),'"

# --- SIGHUP: reopen as nobody, RELOADING=1 then READY=1 ---------------------
mv "$EV" "$EV.1"
lab_kill d1 HUP
_reloaded() {
	_r=$(grep -n '^msg: RELOADING=1' "$LAB_TMP/n1.log" | head -1 | cut -d: -f1)
	_y=$(grep -n '^msg: READY=1' "$LAB_TMP/n1.log" | sed -n 2p | cut -d: -f1)
	[ -n "$_r" ] && [ -n "$_y" ] && [ "$_r" -lt "$_y" ]
}
if lab_poll 5 _reloaded &&
	grep -q '^msg: RELOADING=1 MONOTONIC_USEC=[0-9]' "$LAB_TMP/n1.log"; then
	pass "SIGHUP: RELOADING=1 (with MONOTONIC_USEC), then READY=1 again"
else
	fail "SIGHUP: no RELOADING=1 before a second READY=1"
	sed 's/^/    /' "$LAB_TMP/n1.log" | grep -v WATCHDOG
fi
lab_in client $PY "$LAB_DIR/peer.py" connect refused --addr 10.0.3.2 --port 7012 >/dev/null
check "SIGHUP as nobody: the next event goes to a new $EV, made by nobody" sh -c \
	"$OPS event $EV --wait 5 sport=7012 cause=refused >/dev/null &&
	 [ \$(stat -c %U $EV) = nobody ]"

# --- SIGTERM ------------------------------------------------------------------
lab_kill d1 TERM
lab_wait d1 10
rc=$?
check "SIGTERM: exit status 0 ($rc)" test "$rc" = 0
check "SIGTERM: STOPPING=1" wait_msgs n1 "STOPPING=1" 1
check "SIGTERM: the table is gone (removed with CAP_NET_ADMIN alone)" no_table
check "SIGTERM: the control socket is gone" test ! -e "$CTL"
check "SIGTERM: queue 0 unbound" sh -c \
	"! ip netns exec $(lab_ns gw) grep -q '^ *0 ' /proc/net/netfilter/nfnetlink_queue"
check "SIGTERM: counters at exit" grep -q '^rstaudit: flows' "$LAB_TMP/d1.log"
lab_kill n1

out=$(stats 2>&1); rc=$?
check "no daemon: stats exits 1 and says what to check ($out)" \
	says $rc 1 "$out" 'no control socket; is .rstaudit run. running'

# --- a dead daemon's socket; a second daemon on a live one ------------------
lab_daemon d2 gw -c /dev/null --control-socket "$CTL" --json-file "$EV" ||
	fail "daemon d2 did not start"
lab_kill d2 KILL; lab_wait d2 5
out=$(stats 2>&1); rc=$?
check "dead daemon's socket: stats exits 1, says nobody answers ($out)" \
	says $rc 1 "$out" 'nobody answers'
if lab_daemon d3 gw -c /dev/null --control-socket "$CTL" --json-file "$EV"; then
	pass "a new daemon replaces the dead one's socket"
else
	fail "a new daemon did not start over a dead socket"
fi
check "... and answers on it" sh -c "$RSTAUDIT stats -s $CTL | grep -q '^flows'"
lab_spawn gw d4 "$RSTAUDIT" run -c /dev/null --queue 5 --control-socket "$CTL" \
	--json-file "$OPS_TMP/log/d4.json"
lab_wait d4 10
rc=$?
check "second daemon on a live socket: exit 4, says another answers ($rc)" sh -c \
	"[ $rc = 4 ] && grep -q 'another rstaudit answers there' $LAB_TMP/d4.log"
check "... and the first still answers, its table in place" sh -c \
	"$RSTAUDIT stats -s $CTL | grep -q '^flows' &&
	 ip netns exec $(lab_ns gw) nft list table inet rstaudit >/dev/null"
lab_kill d3 TERM; lab_wait d3 10 || fail "d3 did not exit cleanly"

# --- two queues, dropped --------------------------------------------------------
rm -f "$EV"
lab_daemon d5 gw -c /dev/null -u nobody --queues 2 --hold 0.5 \
	--control-socket "$CTL" --json-file "$EV" || fail "daemon d5 did not start"
D5=$(pid_of d5)
threads=0 narrowed=0
for t in /proc/"$D5"/task/*; do
	threads=$((threads + 1))
	[ "$(status_of "${t#/proc/}" CapEff)/$(status_of "${t#/proc/}" Uid)" = \
		"0000000000001000/65534 65534 65534 65534" ] && narrowed=$((narrowed + 1))
done
check "two queues: all $threads threads nobody with CAP_NET_ADMIN alone" \
	test "$threads" -ge 2 -a "$narrowed" = "$threads"
# The queues are chosen by a hash of the addresses: eight clients.
for i in 3 4 5 6 7 8 9 10; do
	lab_in client ip addr add 10.0.1.$i/24 dev eth0 &&
	lab_in client ip addr add fd00:1::$i/64 dev eth0 nodad &&
	lab_in client $OPS refused 10.0.3.2 7013 10.0.1.$i >/dev/null &&
	lab_in client $OPS refused fd00:3::2 7013 fd00:1::$i >/dev/null ||
		fail "client 10.0.1.$i / fd00:1::$i: no refused connection"
done
_16() { [ "$($OPS count "$EV" sport=7013 cause=refused)" = 16 ]; }
check "two queues: 16 refused connections, 16 events" lab_poll 5 _16
stats --prometheus >"$OPS_TMP/s2.prom"
v0=$($OPS prom-get "$OPS_TMP/s2.prom" 'rstaudit_queue_verdicts_total{queue="0"}')
v1=$($OPS prom-get "$OPS_TMP/s2.prom" 'rstaudit_queue_verdicts_total{queue="1"}')
check "two queues: both queues gave verdicts ($v0, $v1)" \
	test "${v0:-0}" -gt 0 -a "${v1:-0}" -gt 0
lab_kill d5 TERM; lab_wait d5 10
rc=$?
check "two queues: SIGTERM, exit 0 ($rc), table gone" sh -c "[ $rc = 0 ]" &&
	check "two queues: table gone after SIGTERM" no_table

# --- started as the systemd unit starts it ----------------------------------
# Not root; CAP_NET_ADMIN ambient; bounding set CAP_NET_ADMIN alone; the
# notify socket a path.  The unit's RuntimeDirectory is played by a
# directory nobody owns.
install -d -o nobody -g nogroup "$OPS_TMP/unit"
lab_spawn gw n2 $OPS notify-listen "$OPS_TMP/notify.sock" &&
lab_wait_log n2 '^ready' || fail "path notify listener did not start"
export NOTIFY_SOCKET="$OPS_TMP/notify.sock"
lab_spawn gw d6 setpriv --reuid=nobody --regid=nogroup --clear-groups \
	--inh-caps=-all,+net_admin --ambient-caps=-all,+net_admin \
	--bounding-set=-all,+net_admin -- "$RSTAUDIT" run -v -c /dev/null \
	--control-socket "$OPS_TMP/unit/control.sock" --json-file "$OPS_TMP/unit/ev.json"
unset NOTIFY_SOCKET
check "unit-like start: READY=1 on a path NOTIFY_SOCKET" wait_msgs n2 "READY=1" 1
D6=$(pid_of d6)
check "unit-like start: uid nobody, CapEff CAP_NET_ADMIN" test \
	"$(status_of "$D6" Uid)/$(status_of "$D6" CapEff)" = "65534 65534 65534 65534/0000000000001000"
lab_in client $PY "$LAB_DIR/peer.py" connect refused --addr 10.0.3.2 --port 7014 >/dev/null
check "unit-like start: a refused connection is audited" \
	$OPS event "$OPS_TMP/unit/ev.json" --wait 5 sport=7014 cause=refused verdict=accept
check "unit-like start: stats" sh -c \
	"$RSTAUDIT stats -s $OPS_TMP/unit/control.sock | grep -q '^flows 1,'"
lab_kill d6 TERM; lab_wait d6 10
rc=$?
check "unit-like start: SIGTERM, exit 0 ($rc), table gone, STOPPING=1" sh -c \
	"[ $rc = 0 ] && ! ip netns exec $(lab_ns gw) nft list table inet rstaudit >/dev/null 2>&1 &&
	 grep -q '^msg: STOPPING=1' $LAB_TMP/n2.log"
lab_kill n2

# --- configuration errors ------------------------------------------------------
out=$("$RSTAUDIT" run -n -c /dev/null -u rsop-no-such-user 2>&1); rc=$?
check "-n -u unknown: exit 2, names the user ($out)" \
	says $rc 2 "$out" 'user rsop-no-such-user: no such user'
out=$("$RSTAUDIT" run -n -c /dev/null --control-socket run/x.sock 2>&1); rc=$?
check "-n relative control_socket: exit 2 ($out)" \
	says $rc 2 "$out" 'give an absolute path, or none'
lab_spawn gw d7 setpriv --reuid=daemon --regid=daemon --clear-groups \
	--inh-caps=-all,+net_admin --ambient-caps=-all,+net_admin -- \
	"$RSTAUDIT" run -c /dev/null -u nobody --control-socket none \
	--json-file /dev/null
lab_wait d7 10
rc=$?
check "-u nobody without root: exit 4, says why, no table left ($rc)" sh -c \
	"[ $rc = 4 ] && grep -q 'cannot switch from uid 1 to 65534 without root' $LAB_TMP/d7.log &&
	 ! ip netns exec $(lab_ns gw) nft list table inet rstaudit >/dev/null 2>&1"

finish
