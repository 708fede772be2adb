#!/bin/sh
# tests/live/run.sh: `rstaudit run` on a real gateway, in namespaces
# (client - gw - server, see lib.sh).  Run from the repository top after
# building; RSTAUDIT names another binary.  Needs root: it fails, and
# never skips, without it.
#
# Until the daemon installs its own table (nft.c), the gateway gets the
# same queueing with iptables-nft rules (lib.sh rules_add); the daemon
# runs with --no-install-rules.  Checks, in IPv4 and IPv6:
#   - a refused connection, a server abort (SO_LINGER 0) and a gateway
#     `reject with tcp reset` each give one event with the right origin,
#     cause, hook, interfaces, conntrack state and verdict, and the
#     client still gets its reset (a queued reject would be dropped);
#   - malformed TCP in the queue does not hurt the daemon;
#   - SIGHUP reopens the event file; SIGTERM writes held events, prints
#     the counters and exits 0; -n checks a configuration;
#   - SIGKILL: traffic goes on (queue bypass);
#   - SIGSTOP under 2000 connections: traffic goes on (fail-open) and,
#     after SIGCONT, the counters say how much failed open, matching the
#     kernel's id_sequence and the rules' hit counters;
#   - two queues (--queues 2, --queue-balance): one event per reset.
# The last line is "live: N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
LIVE_DIR=tests/live
. "$LIVE_DIR/lib.sh"
RSTAUDIT=${RSTAUDIT:-./rstaudit}
PY=/usr/bin/python3
CHECK="$PY $LIVE_DIR/check.py"
PEER="$PY $LIVE_DIR/peer.py"
passed=0 failed=0

good() { echo "live: ok: $*"; passed=$((passed + 1)); }
bad() { echo "live: FAIL: $*"; failed=$((failed + 1)); }
finish() {
	echo "live: $passed passed, $failed failed"
	[ "$failed" = 0 ]
	exit
}
# expect NAME CMD...: one check, its output shown when it fails.
expect() {
	_name=$1; shift
	if _out=$("$@" 2>&1); then
		good "$_name"
	else
		bad "$_name"
		echo "$_out" | sed 's/^/    /' | tail -15
	fi
}

if [ "$(id -u)" != 0 ]; then
	bad "must run as root: the tests build network namespaces (sudo)"
	finish
fi
for _t in ip nft iptables-nft ip6tables-nft conntrack "$PY"; do
	command -v "$_t" >/dev/null 2>&1 || { bad "missing tool: $_t"; finish; }
done
if ! "$RSTAUDIT" run -h >/dev/null 2>&1; then
	bad "$RSTAUDIT has no 'run' command: build it first (make)"
	finish
fi

trap 'live_down' EXIT
trap 'live_down; trap - EXIT; exit 130' INT
trap 'live_down; trap - EXIT; exit 143' TERM
live_up || { bad "cannot build the namespaces"; finish; }
rules_add 0 && labfw_add || { bad "cannot load the gateway's rules"; finish; }
EV=$LIVE_TMP/events.json

# daemon_start TAG ARGS...: the daemon in gw, up when its queue is bound.
daemon_start() {
	_tag=$1; shift
	spawn "$_tag" gw "$RSTAUDIT" run -v -c /dev/null --no-install-rules "$@" &&
	wait_log "$_tag" "in all), hold" 5
}
# counters TAG: ask for the counters, print the newest set.
counters() {
	_n=$(grep -c '^rstaudit: flows' "$LIVE_TMP/$1.log")
	kill -USR1 "$(pid_of "$1")"
	poll 5 _more_counters "$1" "$_n" || return 1
	grep -E '^rstaudit: (queue [0-9]+:|log group|flows)' "$LIVE_TMP/$1.log" |
		tail -"${2:-3}"
}
_more_counters() { [ "$(grep -c '^rstaudit: flows' "$LIVE_TMP/$1.log")" -gt "$2" ]; }
# counter TEXT NAME: the number after NAME in TEXT.
counter() { echo "$1" | sed -n "s/.*[ (]$2 \([0-9]*\).*/\1/p" | head -1; }

spawn echo server $PEER serve --addr :: --port 7000 --mode echo &&
spawn abort server $PEER serve --addr :: --port 7002 --mode abort &&
wait_log echo ready && wait_log abort ready || { bad "servers did not start"; finish; }

# --- the three resets, per family ----------------------------------------
if daemon_start d1 --json-file "$EV" --hold 1; then
	good "daemon runs (queue 0, NFLOG group 100)"
else
	bad "daemon did not start:"; sed 's/^/    /' "$LIVE_TMP/d1.log"; finish
fi
grep -q 'no conntrack (NFQA_CT)' "$LIVE_TMP/d1.log" &&
	good "kernel refuses NFQA_CFG_F_CONNTRACK alone; the queue works without it" ||
	echo "live: note: the kernel accepted NFQA_CFG_F_CONNTRACK"

for fam in 4 6; do
	cli=$(addr client $fam) srv=$(addr server $fam)
	expect "ipv$fam refused: client gets a reset" \
		in_ns client $PEER connect --addr "$srv" --port 7001 --expect refused --src "$cli"
	expect "ipv$fam refused: endpoint refused, forward s0 > c0, conntrack deleted the entry" \
		$CHECK event "$EV" --src "$srv" --sport 7001 --wait 5 \
		family=ipv$fam origin=endpoint cause=refused hook=forward in=s0 out=c0 \
		ct=null verdict=accept
	expect "ipv$fam abort: client gets a reset" \
		in_ns client $PEER connect --addr "$srv" --port 7002 --expect reset --src "$cli"
	expect "ipv$fam abort: endpoint abort, forward s0 > c0, ct CLOSE, valid" \
		$CHECK event "$EV" --src "$srv" --sport 7002 --wait 5 \
		family=ipv$fam origin=endpoint cause=abort hook=forward in=s0 out=c0 \
		ct.state=CLOSE ct.invalid=false verdict=accept
	expect "ipv$fam abort: the flow's conntrack entry has mark 0x20000000" \
		sh -c "ip netns exec $(ns gw) conntrack -L -f ipv$fam -p tcp --dport 7002 \
			--mark 0x20000000/0x20000000 2>/dev/null | grep -q 7002"
	expect "ipv$fam reject: client gets the gateway's reset (not dropped in the queue)" \
		in_ns client $PEER connect --addr "$srv" --port 7003 --expect refused --src "$cli"
	expect "ipv$fam reject: local reject, output hook, no input interface, out c0" \
		$CHECK event "$EV" --src "$srv" --sport 7003 --wait 5 \
		family=ipv$fam origin=local cause=reject hook=output in= out=c0 \
		verdict=none
done

# --- malformed packets in the queue --------------------------------------
in_ns client $PEER garbage --src 10.0.1.2 --dst 10.0.2.2 >/dev/null &&
in_ns client $PEER garbage --src fd00:1::2 --dst fd00:2::2 >/dev/null ||
	bad "cannot send the malformed packets"
sleep 0.3
c=$(counters d1)
n=$(counter "$c" "packets")
if alive d1 && [ "${n:-0}" -ge 4 ]; then
	good "malformed TCP queued: daemon alive, $n counted as truncated or malformed"
else
	bad "malformed TCP: daemon alive? counted ${n:-none}"; echo "$c" | sed 's/^/    /'
fi
expect "after the garbage: a refused connection still gives its event" \
	sh -c "ip netns exec $(ns client) $PEER connect --addr 10.0.2.2 --port 7004 \
		--expect refused --src 10.0.1.3 >/dev/null &&
		$CHECK event $EV --src 10.0.2.2 --sport 7004 --wait 5 cause=refused"

# --- SIGHUP reopens the event file ----------------------------------------
mv "$EV" "$EV.1"
kill -HUP "$(pid_of d1)"
sleep 0.3
in_ns client $PEER connect --addr 10.0.2.2 --port 7005 --expect refused >/dev/null
expect "SIGHUP: the next event goes to a new $EV" \
	$CHECK event "$EV" --src 10.0.2.2 --sport 7005 --wait 5 cause=refused

# --- SIGTERM: held events written, counters, exit 0 -----------------------
kill -TERM "$(pid_of d1)"
if wait_gone d1 5; then good "SIGTERM: the daemon exits"; else bad "SIGTERM: still running"; fi
grep -q '^rstaudit: flows' "$LIVE_TMP/d1.log" && good "SIGTERM: counters printed at exit" ||
	bad "SIGTERM: no counters at exit"

rm -f "$EV"
daemon_start d2 --json-file "$EV" --hold 60 || bad "daemon (hold 60) did not start"
in_ns client $PEER connect --addr 10.0.2.2 --port 7006 --expect refused >/dev/null
sleep 0.5
n=$($CHECK count "$EV" --sport 7006)
kill -INT "$(pid_of d2)"
wait_gone d2 5
expect "SIGINT: the RST held for 60 s is written at exit (none before: $n)" \
	sh -c "[ $n = 0 ] && $CHECK event $EV --src 10.0.2.2 --sport 7006 cause=refused"
expect "after exit: queue 0 unbound" \
	sh -c "! ip netns exec $(ns gw) grep -q '^ *0 ' /proc/net/netfilter/nfnetlink_queue"

# --- -n: check the configuration -------------------------------------------
cat >"$LIVE_TMP/good.conf" <<'EOF'
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
cat >"$LIVE_TMP/bad.conf" <<'EOF'
queue 70000
colour blue
hold
hold soon
syslog maybe
queues 2
queues 3
EOF
expect "-n: a good configuration exits 0" "$RSTAUDIT" run -n -c "$LIVE_TMP/good.conf"
"$RSTAUDIT" run -n -c "$LIVE_TMP/bad.conf" >"$LIVE_TMP/bad.out" 2>&1
rc=$?
n=$(grep -c "bad.conf:[0-9]*: " "$LIVE_TMP/bad.out")
if [ $rc = 2 ] && [ "$n" = 6 ] && grep -q 'bad.conf:2: unknown key' "$LIVE_TMP/bad.out"; then
	good "-n: a bad configuration exits 2 with each error as file:line"
else
	bad "-n: bad configuration: status $rc, $n errors"; sed 's/^/    /' "$LIVE_TMP/bad.out"
fi

# --- SIGKILL: the queue is bypassed ---------------------------------------
daemon_start d3 --json-file "$EV" || bad "daemon d3 did not start"
kill -KILL "$(pid_of d3)"
wait_gone d3 5
for fam in 4 6; do
	expect "SIGKILL: ipv$fam echo through gw still works (bypass)" \
		in_ns client $PEER connect --addr "$(addr server $fam)" --port 7000 --expect ok
	expect "SIGKILL: ipv$fam reject still answers" \
		in_ns client $PEER connect --addr "$(addr server $fam)" --port 7003 --expect refused
done

# --- SIGSTOP under load: fail-open, and counted ---------------------------
daemon_start d4 --json-file "$EV" || bad "daemon d4 did not start"
in_ns gw iptables-nft -t mangle -Z && in_ns gw ip6tables-nft -t mangle -Z
kill -STOP "$(pid_of d4)"
load=$(in_ns client timeout 120 $PEER load --addr 10.0.2.2 --port 7000 --count 2000 --parallel 200)
case $load in
"load: 2000 ok, 0 failed"*) good "SIGSTOP: 2000 connections through gw ($load)" ;;
*) bad "SIGSTOP: traffic stopped: $load" ;;
esac
hits=$(rule_hits)
kill -CONT "$(pid_of d4)"
sleep 0.5
c=$(counters d4)
fo=$(counter "$c" "failed open") q=$(counter "$c" "queued") seq=$(counter "$c" "id_sequence")
echo "$c" | sed 's/^/    /'
if [ "${fo:-0}" -gt 0 ] && [ $((q + fo)) = "$seq" ] && [ "$seq" = "$hits" ]; then
	good "SIGSTOP: failed open $fo = id_sequence $seq - queued $q; rule hits $hits: none uncounted"
else
	bad "SIGSTOP: failed open ${fo:-?}, queued ${q:-?}, id_sequence ${seq:-?}, rule hits $hits"
fi
alive d4 && good "SIGSTOP/SIGCONT: daemon still running" || bad "daemon died after SIGCONT"
kill -TERM "$(pid_of d4)"; wait_gone d4 5

# --- two queues ----------------------------------------------------------------
rm -f "$EV"
rules_flush && rules_add 0 2 || bad "cannot load the two-queue rules"
daemon_start d5 --json-file "$EV" --queues 2 --hold 0.5 || bad "daemon d5 did not start"
for i in 3 4 5 6 7 8 9 10; do
	in_ns client $PEER connect --addr 10.0.2.2 --port 7007 --src 10.0.1.$i --expect refused >/dev/null
	in_ns client $PEER connect --addr fd00:2::2 --port 7007 --src fd00:1::$i --expect refused >/dev/null
done
expect "two queues: 16 refused connections, 16 events" $CHECK count "$EV" --sport 7007 --wait 5 --want 16
c=$(counters d5 4)
q0=$(echo "$c" | sed -n 's/.*queue 0: queued \([0-9]*\).*/\1/p')
q1=$(echo "$c" | sed -n 's/.*queue 1: queued \([0-9]*\).*/\1/p')
if [ "${q0:-0}" -gt 0 ] && [ "${q1:-0}" -gt 0 ]; then
	good "two queues: both threads got packets ($q0, $q1)"
else
	bad "two queues: queued ${q0:-?} and ${q1:-?}"; echo "$c" | sed 's/^/    /'
fi
kill -TERM "$(pid_of d5)"
wait_gone d5 5 && good "two queues: SIGTERM stops every thread" || bad "two queues: no exit"

finish
