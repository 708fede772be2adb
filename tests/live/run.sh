#!/bin/sh
# tests/live/run.sh: `rstaudit run` never blackholes traffic and survives
# what it is sent.  The daemon runs on the lab's gateway (tests/lab:
# client - gw - mbox - server) with the table it installs itself and the
# default configuration.  Run from the repository top after building
# (RSTAUDIT names another binary).  Needs root: it fails, and never
# skips, without it.  Checks:
#   - conntrack's accounting, which learning needs: turned on, said;
#     turned off by hand: the kernel copies nothing, the daemon warns;
#   - malformed and hostile TCP in the queue: the daemon lives, counts
#     them, and still reports the next reset;
#   - RSTs to and from gw itself (input and output hooks), one that
#     conntrack judges invalid (out of window), and one in the window at
#     an inexact sequence (a challenge ACK; the connection lives on);
#   - SIGHUP reopens the event file; a reload that hangs (its file a
#     FIFO nobody writes) stalls no queue: RSTs are still judged;
#   - events that cannot be written (standard output a FIFO whose reader
#     is stopped) stall no queue either: 300 RSTs judged meanwhile, their
#     events written once it goes on, none dropped;
#   - SIGTERM: exit 0, a RST held for 60 s is written, the counters are
#     printed, the table is gone, the queue unbound;
#   - -n on a good and a bad configuration;
#   - SIGKILL: the table goes with the process; connections through gw
#     and the gw's own rejects still work, IPv4 and IPv6;
#   - SIGSTOP under 2000 connections: every one succeeds, none queued;
#     1500 refused ones then fail open past the queue's length, counted;
#     after SIGCONT, failed open = id_sequence - queued, and id_sequence
#     = the table's rule hits: nothing went uncounted; the daemon warns
#     with the count and the cause, and its degradation gauge says so;
#   - time stamps: a reset read 1.5 s late (the daemon stopped) is
#     stamped when it crossed gw (the kernel's time), not when read;
#   - conntrack_view no: a RST's facts by lookup, its judgement from the
#     table's bit (taken, out of window, in window at an inexact seq,
#     a refusal);
#   - two queues (--queues 2): one event per reset, both threads busy.
# The last line is "live: N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.." || exit 1
LAB_PREFIX=${LAB_PREFIX:-rslr$$}
LAB_DIR=$(pwd)/tests/lab
. tests/lab/lib.sh
. tests/lab/scenarios.sh
PY=/usr/bin/python3
CHECK="$PY tests/lab/check.py"
PEER="$LAB_PY $LAB_DIR/peer.py"
OUT=$(pwd)/tests/out/live-run
TALLY=live . tests/lib/tally.sh

# daemon TAG ARGS...: rstaudit run in gw, default configuration.
daemon() {
	_tag=$1; shift
	lab_daemon "$_tag" gw -c /dev/null "$@" ||
		{ fail "daemon $_tag did not start"; finish; }
}
# stop TAG SIGNAL: signal the daemon and wait for its end; its status.
stop() {
	lab_kill "$1" "$2"
	lab_wait "$1" 10
}
alive() { [ ! -f "$LAB_TMP/$1.rc" ]; }
# client ARGS...: peer.py in the client namespace, quiet.
client() { lab_in client $PEER "$@" >/dev/null 2>&1; }
queue_bound() {
	lab_in gw cat /proc/net/netfilter/nfnetlink_queue 2>/dev/null |
		grep -q "^ *$1 "
}
# settled_counters TAG [LINES]: the daemon's counters once no packet
# waits for a verdict.
settled_counters() {
	lab_poll 5 _settled "$@" && echo "$_sc"
}
_settled() {
	_sc=$(lab_counters "$@") || return 1
	! echo "$_sc" | grep -q 'waiting [1-9]'	# in every queue
}

if [ "$(id -u)" != 0 ]; then
	fail "must run as root: the tests build network namespaces (sudo)"
	finish
fi
RSTAUDIT=${RSTAUDIT:-./rstaudit}
"$RSTAUDIT" run -h >/dev/null 2>&1 ||
	{ fail "$RSTAUDIT has no 'run' command: build it first (make)"; finish; }
rm -rf "$OUT" && mkdir -p "$OUT" || { fail "cannot create $OUT"; finish; }

lab_trap
lab_up || { fail "cannot build the lab"; finish; }
CLI4=$(lab_addr client 4) CLI6=$(lab_addr client 6)
SRV4=$(lab_addr server 4) SRV6=$(lab_addr server 6)
# Eight more client addresses: --queue-balance hashes addresses only.
for i in 3 4 5 6 7 8 9 10; do
	ip -n "$(lab_ns client)" addr add 10.0.1.$i/24 dev eth0 &&
	ip -n "$(lab_ns client)" -6 addr add fd00:1::$i/64 dev eth0 nodad ||
		{ fail "cannot add client addresses"; finish; }
done
# The echo server behind mbox, and gw's own firewall rejecting port 7005.
lab_spawn server echo $PEER serve echo --addr :: --port 7000 &&
lab_wait_log echo '^ready' &&
scn_nft gw "tcp dport 7005 reject with tcp reset" ||
	{ fail "cannot start the echo server or load gw's reject rule"; finish; }
EV=$OUT/events.json

# --- malformed packets in the queue --------------------------------------
daemon d1 --json-file "$EV" --hold 1
pass "daemon up: table installed, queue 0 bound"
# The tables for max_flows (1 M here) are faulted in at start, so that no
# packet waits for the kernel to clear a page of them: the kernel counts
# them resident before any packet (the flow table alone is 128 MiB).
lab_wait_log d1 'MiB resident' 5
rss=$(awk '/^VmRSS:/ { print int($2 / 1024) }' "/proc/$(cat "$LAB_TMP/d1.pid")/status")
said=$(sed -n 's/.*faulted in: \([0-9]*\) MiB resident.*/\1/p' "$LAB_TMP/d1.log")
[ "${rss:-0}" -ge 128 ] && [ "${said:-0}" -ge 128 ] &&
	pass "tables resident from the start: VmRSS $rss MiB, the daemon says $said" ||
	fail "tables not resident at start: VmRSS ${rss:-?} MiB, the daemon says ${said:-?}"
# Learning needs conntrack's accounting: the learning rule turned it on
# (the lab's namespaces start with it off), and the daemon says so; a
# connection opened while someone has it off is not learnt from (the
# kernel: the rule's counter does not move), and the daemon says that too.
acct() { lab_in gw sysctl -qw net.netfilter.nf_conntrack_acct="$1"; }
learnt() {
	lab_in gw nft list chain inet rstaudit forward |
	    sed -n 's/.*ct packets 1-8 counter packets \([0-9]*\) .*/\1/p'
}
check "the daemon says its learning rule turned conntrack's accounting on" \
    grep -q "conntrack's accounting is now on" "$LAB_TMP/d1.log"
l0=$(learnt) && acct 0 && client connect echo --addr "$SRV4" --port 7000 &&
	l1=$(learnt) || fail "cannot open a connection with accounting off"
check_eq "accounting off: a connection's packets are not copied to learn from" "${l1:-x}" "${l0:-y}"
check "accounting off: the daemon warns (auditing degraded)" \
    lab_wait_log d1 'conntrack accounting is off' 5
acct 1 && client connect echo --addr "$SRV4" --port 7000 &&
	l2=$(learnt) || fail "cannot open a connection with accounting on"
check "accounting on again: the next connection is copied ($l1, then ${l2:-?} packets)" \
    [ "${l2:-0}" -gt "${l1:-0}" ]
check "accounting on again: the daemon says learning resumed" \
    lab_wait_log d1 'learning resumed' 5
if grep -q 'no conntrack (NFQA_CT)' "$LAB_TMP/d1.log"; then
	pass "the kernel attaches no conntrack to queued packets"
	grep -q "conntrack facts from the table's notes" "$LAB_TMP/d1.log" &&
		pass "by default, conntrack's facts come from the table's notes (no events)" ||
		fail "no 'conntrack facts from the table's notes' in the log"
else
	echo "live: note: the kernel attaches conntrack (NFQA_CT) to queued packets"
fi
client garbage --src "$CLI4" --dst "$SRV4" && client garbage --src "$CLI6" --dst "$SRV6" ||
	fail "cannot send the malformed packets"
# The raw packets may still be on their way when sendto() returns.
_garbage_in() {
	c=$(lab_counters d1) || return 2
	[ "$(lab_counter "$c" "malformed packets")" -ge 12 ]
}
lab_poll 5 _garbage_in
n=$(lab_counter "$c" "malformed packets") q=$(lab_counter "$c" queued)
if alive d1 && [ "${n:-0}" -ge 12 ]; then
	pass "malformed and hostile TCP: daemon alive, $n of $q queued counted as truncated or malformed"
else
	fail "malformed TCP: daemon alive? ${n:-no} counted as truncated or malformed"
	echo "$c" | sed 's/^/    /'
fi
check "after the garbage: a refused connection still gives its event" \
	sh -c "ip netns exec $(lab_ns client) $PEER connect refused --addr $SRV4 --port 7001 \
		>/dev/null && $CHECK event $EV --src $SRV4 --sport 7001 --wait 5 \
		origin=endpoint cause=refused hook=forward"

# --- gw as an endpoint: RSTs at the input and output hooks ----------------
for fam in 4 6; do
	srv=$(lab_addr server $fam) gw=$(lab_addr gw $fam)
	lab_in gw $PEER connect refused --addr "$srv" --port 7011 >/dev/null 2>&1 ||
		fail "ipv$fam: gw's connection to a closed port was not refused"
	check "ipv$fam: a RST to gw itself: endpoint refused, input hook, in m0" \
		$CHECK event "$EV" --src "$srv" --sport 7011 --wait 5 family=ipv$fam \
		origin=endpoint cause=refused hook=input in=m0 out= ct=null verdict=accept ttl=63
	client connect refused --addr "$gw" --port 7012 ||
		fail "ipv$fam: a connection to gw's closed port was not refused"
	check "ipv$fam: gw's own stack's RST: endpoint refused (not local), output hook, out c0" \
		$CHECK event "$EV" --src "$gw" --sport 7012 --wait 5 family=ipv$fam \
		origin=endpoint cause=refused hook=output in= out=c0 ct=null verdict=accept ttl=64
done

# own_rst MODE SPORT WHAT EXPECT...: for IPv4 and IPv6, the client forges
# a RST of its own connection from port SPORT and the family's digit
# (peer.py connect MODE), the connection survives it, and its event
# (forward c0>m0, let through, ttl 64) has every EXPECT.
own_rst() {
	_mode=$1 _sport=$2 _what=$3; shift 3
	for fam in 4 6; do
		check "ipv$fam: $_what does not break the connection" \
			lab_in client $PEER connect "$_mode" --addr "$(lab_addr server $fam)" \
			--port 7000 --src "$(lab_addr client $fam)" --sport "$_sport$fam"
		check "ipv$fam: ...and its event: $*" \
			$CHECK event "$EV" --src "$(lab_addr client $fam)" --sport "$_sport$fam" \
			--wait 5 family=ipv$fam hook=forward in=c0 out=m0 verdict=accept ttl=64 "$@"
	done
}

# --- a RST conntrack finds out of window ----------------------------------
# Half the sequence space away: conntrack ignores it (the table notes it
# invalid; conntrack gave it no entry to mark, so the flow is not held
# behind it), so does the server, and the echo after it still works.
# That conntrack did not take it comes from the table's bit, and that
# is all the table's notes can say (conntrack detached the RST from the
# entry before any rule saw it): no state, no id, and nothing asked.
own_rst oow-rst 4200 "an out-of-window RST" \
	ct.state=null ct.id=null ct.invalid=true ct.source=table

# --- a RST in the window at an inexact sequence ---------------------------
# 1000 past the sequence number the server expects: the server answers
# with a challenge ACK (RFC 5961) and the echo after it still works
# through the daemon.  Conntrack takes the RST (no mark bit: not invalid)
# but keeps the entry ESTABLISHED with the close timeout, which neither
# the table nor the events can tell from CLOSE (rstaudit(8), source
# events): the notes say CLOSE.
own_rst inwin-rst 6106 "a RST in the window but not at the expected sequence" \
	ct.state=CLOSE ct.id=null ct.invalid=false ct.source=table

# --- SIGHUP reopens the event file ----------------------------------------
mv "$EV" "$EV.1"
lab_kill d1 HUP
lab_wait_log d1 'reopened' 5 || fail "SIGHUP: no 'reopened' message"
client connect refused --addr "$SRV4" --port 7002
check "SIGHUP: the next event goes to a new $EV" \
	$CHECK event "$EV" --src "$SRV4" --sport 7002 --wait 5 cause=refused
stop d1 INT || fail "SIGINT: exit status $?"

# --- a reload that hangs stalls no queue ----------------------------------
# The configuration file becomes a FIFO nobody writes: SIGHUP's reload
# (the control thread's) waits in open(2) for a writer.  Every queue has
# its own thread: a RST crossing gw meanwhile is still judged and let
# through, its event written, and nothing fails open.  Then the FIFO gives
# an empty configuration, and the reload ends.
SLOW=$OUT/slow.conf
: >"$SLOW"
rm -f "$EV"
daemon d1b -c "$SLOW" --json-file "$EV" --hold 0.2
rm -f "$SLOW" && mkfifo "$SLOW" || fail "cannot make the FIFO $SLOW"
lab_kill d1b HUP
sleep 0.5	# the control thread is in open(2) on the FIFO by now
client connect refused --addr "$SRV4" --port 7004
check "a reload stuck reading its file: a RST still judged, let through, its event written" \
	$CHECK event "$EV" --src "$SRV4" --sport 7004 --wait 5 \
	origin=endpoint cause=refused verdict=accept
if grep -q 'reloaded' "$LAB_TMP/d1b.log"; then
	fail "a reload stuck reading its file: it ended before the FIFO was written"
else
	pass "a reload stuck reading its file: still waiting for it meanwhile"
fi
: >"$SLOW" &	# a writer: open(2) returns, then end of file
_writer=$!
lab_wait_log d1b 'reloaded' 5 &&
	pass "the FIFO written: the reload ends" ||
	fail "the FIFO written: no 'reloaded' message"
kill "$_writer" 2>/dev/null; wait "$_writer" 2>/dev/null
c=$(settled_counters d1b)
check "a reload stuck reading its file: nothing failed open meanwhile" \
	[ "$(lab_counter "$c" 'failed open')" = 0 ]
stop d1b TERM || fail "SIGTERM after the slow reload: exit status $?"
rm -f "$SLOW"

# --- a stalled event file stalls no queue --------------------------------
# The events go to the standard output, a FIFO whose reader is stopped
# (an event file must be a regular file): once the pipe and the stdio
# buffer are full, the writer thread waits in write(2).  300
# refused connections cross gw meanwhile: every RST is still judged and
# let through at once (each connection refused, nothing failed open),
# their events wait in the writer's ring (the events queued gauge says
# so), and every one comes out once the reader goes on.
PIPE=$OUT/events.pipe
rm -f "$PIPE" "$OUT/piped.json" && mkfifo -m 600 "$PIPE" ||
	fail "cannot make the FIFO $PIPE"
sh -c 'exec cat "$1" >"$2"' sh "$PIPE" "$OUT/piped.json" &
_cat=$!
case $RSTAUDIT in /*) _bin=$RSTAUDIT ;; *) _bin=$(pwd)/$RSTAUDIT ;; esac
lab_spawn gw d1c sh -c 'exec "$0" run -v --control-socket "$1" -c /dev/null \
	--json-file - --hold 0.1 >"$2"' "$_bin" "$LAB_TMP/d1c.sock" "$PIPE" &&
	lab_wait_log d1c 'in all), hold' 10 || { fail "daemon d1c did not start"; finish; }
kill -STOP "$_cat"
load=$(lab_in client timeout 60 $PEER load --refused --addr "$SRV4" --port 7006 \
	--count 300 --parallel 20 2>&1)
check "event file stalled: 300 connections refused through gw all the same ($load)" \
	sh -c "echo '$load' | grep -q '^load: 300 ok, 0 failed'"
c=$(settled_counters d1c)
check "event file stalled: nothing failed open, 300 RSTs judged" \
	sh -c "[ '$(lab_counter "$c" 'failed open')' = 0 ] && [ '$(lab_counter "$c" verdicts)' -ge 300 ]"
# Once released (after --hold), what the pipe cannot take waits.
_stuck() {
	_sc=$(lab_counters d1c) || return 1
	[ "$(lab_counter "$_sc" 'events queued')" -ge 1 ]
}
if lab_poll 5 _stuck; then
	pass "event file stalled: the writer was stuck, events waited ($(lab_counter "$_sc" 'events queued') queued, $(lab_counter "$_sc" resets) written)"
else
	fail "event file stalled: no event waited for the writer: $(echo "$_sc" | tail -1)"
fi
kill -CONT "$_cat"
_piped() { [ "$(grep -c '"src_port":7006' "$OUT/piped.json" 2>/dev/null)" -ge 300 ]; }
lab_poll 10 _piped && pass "event file going again: all 300 events came out" ||
	fail "event file going again: $(grep -c '"src_port":7006' "$OUT/piped.json") of 300 events came out"
c=$(settled_counters d1c)
check "event file going again: none dropped" [ "$(lab_counter "$c" 'events dropped')" = 0 ]
stop d1c TERM || fail "SIGTERM after the stalled event file: exit status $?"
kill "$_cat" 2>/dev/null; wait "$_cat" 2>/dev/null
rm -f "$PIPE"

# --- SIGTERM: held events written, counters, table gone, exit 0 -----------
rm -f "$EV"
daemon d2 --json-file "$EV" --hold 60
client connect refused --addr "$SRV6" --port 7003
# The SYN and its RST read (the RST is held), before asking the file.
c=$(settled_counters d2)
[ "$(lab_counter "$c" queued)" -ge 1 ] && [ "$(lab_counter "$c" logged)" -ge 1 ] ||
	fail "SIGTERM: the SYN was not logged or the RST not queued: $c"
n=$($PY -c "import json,sys; print(sum(1 for l in open(sys.argv[1]) if l.strip()))" \
	"$EV" 2>/dev/null || echo 0)
m=$(grep -c '^rstaudit: flows' "$LAB_TMP/d2.log")
st=0; stop d2 TERM || st=$?
[ $st = 0 ] && pass "SIGTERM: exit 0" || fail "SIGTERM: exit status $st"
check "SIGTERM: the RST held for 60 s is written at exit (none before: $n)" \
	sh -c "[ $n = 0 ] && $CHECK event $EV --src $SRV6 --sport 7003 cause=refused"
[ "$(grep -c '^rstaudit: flows' "$LAB_TMP/d2.log")" -gt "$m" ] &&
	pass "SIGTERM: counters printed at exit" || fail "SIGTERM: no counters at exit"
lab_has_table gw && fail "SIGTERM: table still there" || pass "SIGTERM: table gone"
queue_bound 0 && fail "SIGTERM: queue 0 still bound" || pass "SIGTERM: queue 0 unbound"

# --- -n: check the configuration -------------------------------------------
cat >"$LAB_TMP/good.conf" <<'EOF'
# rstaudit.conf
queue 3
queues 2
hold 1.5          # seconds
json_file /var/log/rstaudit.json
syslog no
max_flows 100000
learn_packets 8
mark 0x20000000
EOF
cat >"$LAB_TMP/bad.conf" <<'EOF'
queue 70000
colour blue
hold
hold soon
syslog maybe
queues 2
queues 3
EOF
check "-n: a good configuration exits 0" "$RSTAUDIT" run -n -c "$LAB_TMP/good.conf"
"$RSTAUDIT" run -n -c "$LAB_TMP/bad.conf" >"$LAB_TMP/bad.out" 2>&1
rc=$?
n=$(grep -c "bad.conf:[0-9]*: " "$LAB_TMP/bad.out")
if [ $rc = 2 ] && [ "$n" = 6 ] && grep -q 'bad.conf:2: unknown key' "$LAB_TMP/bad.out"; then
	pass "-n: a bad configuration exits 2 with each error as file:line"
else
	fail "-n: bad configuration: status $rc, $n errors"; sed 's/^/    /' "$LAB_TMP/bad.out"
fi

# --- SIGKILL: the table goes with the process ------------------------------
daemon d3 --json-file "$EV"
lab_has_table gw || fail "SIGKILL: no table before the kill"
stop d3 KILL
lab_has_table gw && fail "SIGKILL: the table outlived the process" ||
	pass "SIGKILL: the owner table went with the process"
for fam in 4 6; do
	srv=$(lab_addr server $fam)
	check "SIGKILL: ipv$fam connection through gw still works" \
		lab_in client $PEER connect echo --addr "$srv" --port 7000
	check "SIGKILL: ipv$fam gw's reject still answers" \
		lab_in client $PEER connect refused --addr "$srv" --port 7005
done

# --- SIGSTOP under load: fail-open, and counted ---------------------------
# Ordinary connections never wait for the daemon: stopped, it holds none
# of them (their first packets are only logged).  Resets do wait, and
# past the queue's length fail open, every one counted.
# A queue of 1024 (the default is 4096), so that 1500 fail open.
echo "queue_length 1024" >"$LAB_TMP/q1024.conf"
lab_daemon d4 gw -c "$LAB_TMP/q1024.conf" --json-file "$EV" ||
	{ fail "daemon d4 did not start"; finish; }
h0=$(lab_queue_hits gw)
lab_kill d4 STOP
load=$(lab_in client timeout 120 $PEER load --addr "$SRV4" --port 7000 \
	--count 2000 --parallel 500 2>&1)
case $load in
"load: 2000 ok, 0 failed"*) pass "SIGSTOP: 2000 connections through gw ($load)" ;;
*) fail "SIGSTOP: traffic stopped: $load" ;;
esac
h1=$(lab_queue_hits gw)
[ "$h1" = "$h0" ] && pass "SIGSTOP: none of their packets was queued" ||
	fail "SIGSTOP: $((h1 - h0)) packets of ordinary connections queued"
load=$(lab_in client timeout 120 $PEER load --refused --addr "$SRV4" --port 7004 \
	--count 1500 --parallel 500 2>&1)
case $load in
"load: 1500 ok, 0 failed"*) pass "SIGSTOP: 1500 refused connections refused ($load)" ;;
*) fail "SIGSTOP: refused connections: $load" ;;
esac
lab_kill d4 CONT
# Once the queue is quiet (nothing waiting, the rule counters the same
# before and after the daemon's), every count must agree.
_quiet() {
	_h1=$(lab_queue_hits gw)
	c=$(lab_counters d4) || return 1
	hits=$(lab_queue_hits gw)
	[ "$(lab_counter "$c" waiting)" = 0 ] && [ "$_h1" = "$hits" ] &&
		[ "$hits" = "$(lab_counter "$c" id_sequence)" ]
}
lab_poll 5 _quiet
fo=$(lab_counter "$c" "failed open") q=$(lab_counter "$c" queued)
seq=$(lab_counter "$c" id_sequence)
echo "$c" | sed 's/^/    /'
if [ "${fo:-0}" -gt 0 ] && [ $((q + fo)) = "$seq" ] && [ "$seq" = "$hits" ]; then
	pass "SIGSTOP: failed open $fo = id_sequence $seq - queued $q; rule hits $hits: none uncounted"
else
	fail "SIGSTOP: failed open ${fo:-?}, queued ${q:-?}, id_sequence ${seq:-?}, rule hits $hits"
fi
# Said, not silent: a warning with the count and the cause, and a gauge
# an alert rule can watch.
_said() { grep -q "auditing degraded: $fo packets failed open" "$LAB_TMP/d4.log"; }
if lab_poll 5 _said; then
	pass "SIGSTOP: the daemon says so: $(grep -m1 -o 'auditing degraded: [^(]*' "$LAB_TMP/d4.log")"
else
	fail "SIGSTOP: no 'auditing degraded: $fo packets failed open' in the log"
	grep 'degraded' "$LAB_TMP/d4.log" | sed 's/^/    /'
fi
lab_stats d4 --prometheus >"$LAB_TMP/d4.prom" 2>&1
check "SIGSTOP: rstaudit_auditing_degraded{cause=\"failed_open\"} 1, the others 0" sh -c "
	grep -qx 'rstaudit_auditing_degraded{cause=\"failed_open\"} 1' $LAB_TMP/d4.prom &&
	grep -qx 'rstaudit_auditing_degraded{cause=\"flows_evicted\"} 0' $LAB_TMP/d4.prom"
alive d4 && pass "SIGSTOP/SIGCONT: daemon still running" || fail "daemon died after SIGCONT"
stop d4 TERM || fail "SIGTERM after SIGCONT: exit status $?"

# --- time stamps: when the reset crossed gw, not when it was read ----------
# Stopped, the daemon reads the server's refusal 1.5 s after it came: the
# event must still say when it crossed gw's forward hook (the kernel's
# stamp), a few ms after the client's SYN, and the client's connect must
# end once the daemon goes on.
daemon d5 --json-file "$LAB_TMP/ts.json"
lab_kill d5 STOP
t0=$(date +%s.%N)
lab_in client timeout 20 $PEER connect refused --addr "$SRV4" --port 7006 \
	>"$LAB_TMP/ts.client" 2>&1 &
tsc=$!
sleep 1.5
lab_kill d5 CONT
wait $tsc && pass "stamps: the refused connect ended once the daemon went on" ||
	fail "stamps: the refused connect: $(cat "$LAB_TMP/ts.client")"
_ts_event() { grep -q '"src_port":7006' "$LAB_TMP/ts.json"; }
lab_poll 10 _ts_event || fail "stamps: no event for the refusal"
lag=$($LAB_PY - "$LAB_TMP/ts.json" "$t0" <<'PY'
import datetime, json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("src_port") == 7006:
        t = datetime.datetime.strptime(e["timestamp"], "%Y-%m-%dT%H:%M:%S.%f%z")
        print("%.3f" % (t.timestamp() - float(sys.argv[2])))
        break
PY
)
case $lag in
0.[0-4]*) pass "stamps: the event says ${lag} s after the SYN, not 1.5 s: the kernel's time" ;;
*) fail "stamps: the event's time is ${lag:-?} s after the SYN (read 1.5 s late)" ;;
esac
stop d5 TERM || fail "stamps: exit status $?"

# --- conntrack's events lost: the view dumps again, facts stay right ---------
# The daemon keeps conntrack's facts from its events.  With an event
# socket of 8 KiB, stopped while 300 connections come and go, it must
# lose events (ENOBUFS), say so, dump conntrack again, and after that a
# RST's facts must still be conntrack's own.
export RSTAUDIT_CT_RCVBUF=8192
rm -f "$EV"
printf 'conntrack_view events\n' >"$LAB_TMP/events.conf"
lab_daemon d6 gw -c "$LAB_TMP/events.conf" --json-file "$EV" --hold 0.5 ||
	{ fail "conntrack events: daemon d6 did not start"; finish; }
unset RSTAUDIT_CT_RCVBUF
grep -q 'conntrack facts from its events' "$LAB_TMP/d6.log" &&
	pass "conntrack events: the daemon says its facts come from conntrack's events" ||
	fail "conntrack events: no 'conntrack facts from its events' in the log"
lab_kill d6 STOP
lab_in client timeout 60 $PEER load --addr "$SRV4" --port 7000 --count 300 \
	--parallel 100 >/dev/null 2>&1 || fail "conntrack events: the load failed"
lab_kill d6 CONT
_ct_line() { lab_stats d6 2>/dev/null | grep '^conntrack:'; }
_resynced() { _l=$(_ct_line) && [ "$(lab_counter "$_l" 'events lost')" -ge 1 ] &&
	[ "$(lab_counter "$_l" dumps)" -ge 2 ]; }
# A RST it sees once the new dump is done (the client's half a window
# away, which conntrack does not take).
lab_poll 10 _resynced
l=$(_ct_line)
check "conntrack events: overrun $(lab_counter "$l" 'events lost') times, dumped again ($(lab_counter "$l" dumps) dumps)" _resynced
_said_ct() { grep -q 'auditing degraded:.*conntrack events lost' "$LAB_TMP/d6.log"; }
check "conntrack events: the daemon says so (auditing degraded)" lab_poll 5 _said_ct
# Source ports above the ephemeral range: the loads above leave their
# own ports in TIME_WAIT.
# abort_taken SPORT WHAT [SOURCE]: the client aborts a connection from
# SPORT; its RST is judged taken by conntrack, CLOSE, its facts from
# SOURCE (events: the view, or lookup).
abort_taken() {
	lab_in client $PEER connect abort --addr "$SRV4" --port 7000 --src "$CLI4" \
		--sport "$1" >"$LAB_TMP/abort.out" 2>&1 ||
		{ fail "$2: the client's abort failed"; cat "$LAB_TMP/abort.out"; }
	check "$2: an abort conntrack takes: CLOSE, from ${3:-events}" \
		$CHECK event "$EV" --src "$CLI4" --sport "$1" --wait 5 ct.state=CLOSE \
		ct.invalid=false ct.source="${3:-events}"
}
abort_taken 61010 "conntrack events: after the dump"
# The view knows the entry of a RST conntrack did not take exists, and
# its state is asked: ESTABLISHED, or already closing when a slow daemon
# (under the sanitizers) asks after the echo went on; never CLOSE, which
# a RST conntrack took would leave.
own_rst oow-rst 6108 "conntrack events: an out-of-window RST" \
	ct.state!=CLOSE ct.state!=null ct.invalid=true ct.source=lookup
# A rule of the host's own sets invalid_mark's bit on every packet before
# the table: the table clears it first, so a RST conntrack took is
# still judged taken, and no chain after the table sees the bit.
lab_in gw nft -f - <<'NFT'
table inet opmark {
	counter seen { }
	chain early {
		type filter hook forward priority -160; policy accept;
		meta mark set meta mark | 0x40000000
	}
	chain late {
		type filter hook forward priority filter; policy accept;
		meta mark & 0x40000000 != 0 counter name seen
	}
}
NFT
abort_taken 61012 "invalid_mark: a host rule's bit on every packet"
check_eq "invalid_mark: no chain after the table sees the bit" \
	"$(lab_in gw nft list counter inet opmark seen | awk '/packets/ { print $2 }')" 0
lab_in gw nft delete table inet opmark
client connect refused --addr "$SRV4" --port 7001 --sport 61011
check "conntrack events: and a refusal: conntrack deleted the entry (no facts), endpoint refused" \
	$CHECK event "$EV" --src "$SRV4" --sport 7001 --wait 5 ct=null \
	origin=endpoint cause=refused
stop d6 TERM || fail "conntrack events: SIGTERM: exit status $?"

# --- conntrack's facts by lookup (conntrack_view no) ---------------------
# no, the older spelling of lookup, still means it.
# Without the view the daemon asks conntrack for a RST's entry (a GET)
# and reads conntrack's judgement from the table's bit: an abort it took
# (CLOSE), a RST out of window it did not take, one in the window at an
# inexact sequence it took but left ESTABLISHED (both look alike by
# state), and a refusal that made it delete the entry.  A slow daemon
# (the sanitizers) may ask once the echo after the forged RST has gone
# on: the state may be closing then, never CLOSE.
printf 'conntrack_view no\n' >"$LAB_TMP/lookup.conf"
rm -f "$EV"
lab_daemon d7 gw -c "$LAB_TMP/lookup.conf" --json-file "$EV" --hold 0.5 ||
	{ fail "lookup: daemon d7 did not start"; finish; }
grep -q 'conntrack facts: one lookup per RST (conntrack_view lookup)' "$LAB_TMP/d7.log" &&
	pass "lookup: the daemon says it asks per RST" ||
	fail "lookup: no 'one lookup per RST' in the log"
abort_taken 61020 lookup lookup
# Source ports above the ephemeral range (61044 and up): the loads
# above leave their own ports in TIME_WAIT.
own_rst oow-rst 6104 "lookup: an out-of-window RST" \
	ct.state!=CLOSE ct.state!=null ct.invalid=true ct.source=lookup
own_rst inwin-rst 6105 "lookup: a RST in the window but not at the expected sequence" \
	ct.state!=CLOSE ct.state!=null ct.invalid=false ct.source=lookup
client connect refused --addr "$SRV4" --port 7001 --sport 61021
check "lookup: a refusal: conntrack deleted the entry (no facts), endpoint refused" \
	$CHECK event "$EV" --src "$SRV4" --sport 7001 --wait 5 ct=null \
	origin=endpoint cause=refused
stop d7 TERM || fail "lookup: SIGTERM: exit status $?"

# --- two queues ----------------------------------------------------------------
rm -f "$EV"
daemon d5 --json-file "$EV" --queues 2 --hold 0.5
for i in 3 4 5 6 7 8 9 10; do
	for port in 7004 7005; do
		client connect refused --addr "$SRV4" --port $port --src 10.0.1.$i
		client connect refused --addr "$SRV6" --port $port --src fd00:1::$i
	done
done
check "two queues: 16 refused connections, 16 events" \
	$CHECK count "$EV" --sport 7004 --wait 5 --want 16 origin=endpoint cause=refused
# gw's rejects of a SYN are logged to the group of the shard that had
# their SYN, so the same engine sees both: "made here" tells them.
check "two queues: 16 rejected by gw, 16 local reject events" \
	$CHECK count "$EV" --sport 7005 --wait 5 --want 16 origin=local cause=reject verdict=none
c=$(settled_counters d5 5)
q0=$(echo "$c" | sed -n 's/.*queue 0: queued \([0-9]*\).*/\1/p')
q1=$(echo "$c" | sed -n 's/.*queue 1: queued \([0-9]*\).*/\1/p')
if [ "${q0:-0}" -gt 0 ] && [ "${q1:-0}" -gt 0 ]; then
	pass "two queues: both threads got packets ($q0, $q1)"
else
	fail "two queues: queued ${q0:-?} and ${q1:-?}"; echo "$c" | sed 's/^/    /'
fi
st=0; stop d5 TERM || st=$?
[ $st = 0 ] && pass "two queues: SIGTERM stops every thread, exit 0" ||
	fail "two queues: exit status $st"
check "two queues: still 16 events each after exit (each reset once)" \
	sh -c "$CHECK count $EV --sport 7004 --want 16 && $CHECK count $EV --sport 7005 --want 16"
cp "$LAB_TMP"/d*.log "$OUT/" 2>/dev/null
finish
