#!/bin/sh
# tests/live/events.sh: `rstaudit run` on the lab's gateway (tests/lab)
# while the lab makes every kind of reset, in IPv4 and IPv6; then what
# the gateway queues of a long transfer.  Run from the repository top
# after building (RSTAUDIT names another binary).  Needs root: it fails,
# and never skips, without it.
#
# 1. The daemon, with its own table and the default configuration, sees
#    every scenario of tests/lab/scenarios.sh; `check.py live` compares
#    its events with expect.tsv's gw columns (origin and cause), and
#    with the hook, interfaces, TTL, conntrack facts and verdict each reset
#    implies; one event per reset, none extra.  The reset flows' entries
#    carry the daemon's ct mark.  SIGTERM: exit 0, table gone.  Once with
#    one queue, once with two (one thread each).  With one, gw also
#    captures, and `rstaudit analyze` of that capture must tell the same
#    story as the daemon (check.py agree).
# 2. A fresh daemon; one connection through gw: its first learn_packets
#    (8) packets are queued, and then nothing more while 4 MiB go each
#    way and it closes (the daemon's queued counter, the kernel's
#    id_sequence and the table's rule counters agree).
#
# Events and logs stay in tests/out/live/.  The last line is
# "live-events: N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.." || exit 1
LAB_PREFIX=${LAB_PREFIX:-rsle$$}
LAB_DIR=$(pwd)/tests/lab
. tests/lab/lib.sh
. tests/lab/scenarios.sh
PY=/usr/bin/python3
CHECK="$PY tests/lab/check.py"
OUT=$(pwd)/tests/out/live
LEARN=8			# learn_packets, the default
BULK=$((4 << 20))	# bytes each way
TALLY=live-events . tests/lib/tally.sh

if [ "$(id -u)" != 0 ]; then
	fail "must run as root: the lab builds network namespaces (sudo)"
	finish
fi
RSTAUDIT=${RSTAUDIT:-./rstaudit}
"$RSTAUDIT" run -h >/dev/null 2>&1 ||
	{ fail "$RSTAUDIT has no 'run' command: build it first (make)"; finish; }
command -v conntrack >/dev/null 2>&1 || { fail "missing tool: conntrack"; finish; }
rm -rf "$OUT" && mkdir -p "$OUT" || { fail "cannot create $OUT"; finish; }

lab_trap

# --- 1. every kind of reset ------------------------------------------------
# every_reset QUEUES: a fresh lab, the daemon with that many queues
# (threads), both families' scenarios, then its events checked.  With
# two queues the kernel spreads the flows by address hash, and the
# gateway's logged rejects all reach queue 0's engine.
every_reset() {
	_q=$1 _dir=$OUT/queues$1
	mkdir -p "$_dir"
	lab_up || { fail "queues $_q: cannot build the lab"; return; }
	EV=$_dir/events.json
	# One queue: the default JSON (EVE); two: ECS.  check.py reads both.
	_fmt=eve
	[ "$_q" = 2 ] && _fmt=ecs
	LAB_EXPECT=$_dir/expect.tsv
	scn_expect_header >"$LAB_EXPECT"
	if lab_daemon d gw -c /dev/null --json-file "$EV" --hold 1 --queues "$_q" \
		--format "$_fmt"; then
		pass "queues $_q: daemon up on gw: its table, NFLOG group 100"
	else
		fail "queues $_q: the daemon did not start"; lab_down; return
	fi
	# What the daemon sees, captured on gw for rstaudit analyze to
	# compare: each packet as it arrives, and those gw sends itself
	# (TTL 64: every forwarded copy leaving has one less).  Not the
	# forwarded copies leaving: the queue delays them, so their order
	# differs from the arriving ones', which the offline analyser's
	# in/out copy matching (one packet of memory per side) cannot take.
	_cap=
	if [ "$_q" = 1 ]; then
		cap_start cap gw any "$_dir/gw.pcap" -y LINUX_SLL2 \
			'inbound or (ip and ip[8] = 64) or (ip6 and ip6[7] = 64)' && _cap=1 ||
			fail "queues $_q: cannot capture on gw"
	fi
	for fam in 4 6; do
		_ok=1
		for ev_scn in $SCENARIOS; do
			"scn_$ev_scn" $fam >>"$_dir/scenarios-ipv$fam.log" 2>&1 || { _ok=; break; }
			[ "$ev_scn" = abort ] || continue
			# Set before the RST's verdict; the entry, in CLOSE, lives 10 s.
			if lab_in gw conntrack -L -f ipv$fam -p tcp --dport 7002 \
				--mark 0x20000000/0x20000000 2>/dev/null | grep -q 'dport=7002'; then
				pass "queues $_q: ipv$fam: the reset flow's conntrack entry has the daemon's mark 0x20000000"
			else
				fail "queues $_q: ipv$fam: the abort flow's entry is not marked"
			fi
		done
		if [ -n "$_ok" ]; then
			pass "queues $_q: ipv$fam: every scenario reset its connection through the daemon"
		else
			fail "queues $_q: ipv$fam: scenario $ev_scn failed with the daemon on gw:"
			tail -20 "$_dir/scenarios-ipv$fam.log" | sed 's/^/    /'
		fi
	done
	if [ -n "$_cap" ]; then
		cap_sync cap && cap_stop cap || { fail "queues $_q: the capture on gw failed"; _cap=; }
	fi
	lab_kill d TERM
	if lab_wait d 10; then pass "queues $_q: SIGTERM: exit 0"; else fail "queues $_q: SIGTERM: exit status $?"; fi
	cp "$LAB_TMP/d.log" "$_dir/daemon.log"
	if lab_has_table gw; then fail "queues $_q: the table outlived the daemon"; else pass "queues $_q: table gone after exit"; fi
	check_counts "queues $_q: events against expect.tsv" "$_dir/live.log" $CHECK live "$LAB_EXPECT" "$EV"
	check "queues $_q: every event's fields and types match the $_fmt definition (tests/schema)" \
		$PY tests/schema/validate.py "$_fmt" "$EV"
	_hk=host
	[ "$_fmt" = ecs ] && _hk=hostname
	check_eq "queues $_q: every event names this host ($_hk $(hostname))" \
		"$(grep -c "\"$_hk\":\"$(hostname)\"" "$EV")" "$(grep -c . "$EV")"
	if [ -n "$_cap" ]; then
		if "$RSTAUDIT" analyze --json "$_dir/gw.pcap" >"$_dir/gw.json" 2>"$_dir/gw.err"; then
			check_counts "queues $_q: events against rstaudit analyze of gw's capture" \
				"$_dir/agree.log" $CHECK agree "$EV" "$_dir/gw.json" \
				--expect "$LAB_EXPECT"
		else
			fail "queues $_q: rstaudit analyze of gw's capture failed"
		fi
	fi
	# The counters it printed at exit, after the last held RST was written.
	_c=$(grep -E '^rstaudit: (queue [0-9]+:|log group|flows)' "$_dir/daemon.log" |
		tail -$((2 * _q + 1)))
	_nev=$(grep -c . "$EV")
	_fo=$(echo "$_c" | sed -n 's/.*failed open \([0-9]*\).*/\1/p' | sort -u)
	# Which queue a flow reaches depends on the kernel's hash seed: with
	# one client and one server address per family, say which did.
	_used=$(echo "$_c" | sed -n 's/^rstaudit: queue \([0-9]*\): queued \([1-9][0-9]*\),.*/\1 (\2)/p' |
		tr '\n' ' ')
	_lost=$(echo "$_c" | sed -n 's/^rstaudit: log group .*lost \([0-9]*\).*/\1/p' | sort -u)
	_groups=$(echo "$_c" | grep -c '^rstaudit: log group')
	if [ "$(lab_counter "$_c" resets)" = "$_nev" ] && [ "$_lost" = 0 ] &&
		[ "$_groups" = "$_q" ] && [ "$_fo" = 0 ]; then
		pass "queues $_q: counters: $_nev resets reported, none failed open, $_q NFLOG groups, none lost; packets queued by queue: $_used"
	else
		fail "queues $_q: counters do not match $_nev events, 0 failed open, $_q groups, 0 lost:"
		echo "$_c" | sed 's/^/    /'
	fi
	lab_down
}
every_reset 1
every_reset 2

# --- 2. what one long connection costs the queue ---------------------------
lab_up || { fail "cannot build the lab"; finish; }
lab_spawn server echo "$LAB_PY" "$LAB_DIR/peer.py" serve echo --addr :: --port 7000 &&
lab_wait_log echo '^ready' || { fail "echo server did not start"; finish; }
lab_daemon d2 gw -c /dev/null --json-file "$OUT/bulk.json" ||
	{ fail "the second daemon did not start"; finish; }

# queue_state TAG: "queued id_sequence waiting rule-hits logged" of
# daemon TAG.
queue_state() {
	_c=$(lab_counters "$1") || return 1
	echo "$(lab_counter "$_c" queued) $(lab_counter "$_c" id_sequence)" \
		"$(lab_counter "$_c" waiting) $(lab_queue_hits gw)" \
		"$(lab_counter "$_c" logged)"
}
# settled TAG: queue_state once nothing waits for a verdict.
settled() {
	lab_poll 5 _settled "$1" && echo "$_qs"
}
_settled() {
	_qs=$(queue_state "$1") || return 1
	# shellcheck disable=SC2086
	set -- $_qs
	[ "$3" = 0 ]
}
s0=$(settled d2)
lab_spawn client bulk "$LAB_PY" "$LAB_DIR/peer.py" bulk --addr "$(lab_addr server 4)" \
	--port 7000 --bytes $BULK --rounds 5 --go "$(lab_gofile bulk)" &&
lab_wait_log bulk '^warm' || { fail "bulk: the connection did not start"; finish; }
s1=$(settled d2)
lab_go bulk
if lab_wait bulk 60; then
	pass "bulk: $(sed -n 's/^bulk: //p' "$LAB_TMP/bulk.log") through gw"
else
	fail "bulk transfer failed:"; lab_show bulk
fi
# Closed on both sides: the entry is in TIME_WAIT, every packet has
# crossed gw's hooks.
_tw() {
	lab_in gw conntrack -L -p tcp --dport 7000 --state TIME_WAIT 2>/dev/null |
		grep -q 'dport=7000'
}
lab_poll 5 _tw || fail "bulk: the connection's entry never reached TIME_WAIT"
s2=$(settled d2)
pkts=$(lab_in gw conntrack -L -p tcp --dport 7000 -o extended 2>/dev/null |
	sed -n 's/.*packets=\([0-9]*\).*packets=\([0-9]*\).*/\1 packets out, \2 back/p' | head -1)
# shellcheck disable=SC2086
set -- $s0 $s1 $s2
if [ $# = 15 ]; then
	q0=$1 seq0=$2 h0=$4 l0=$5 q1=$6 seq1=$7 h1=$9 l1=${10}
	q2=${11} seq2=${12} h2=${14} l2=${15}
	warm=$((q1 - q0)) bulk=$((q2 - q1))
	if [ $((l1 - l0)) = $LEARN ] && [ $warm = 0 ] && [ $((seq1 - seq0)) = 0 ] &&
		[ $((h1 - h0)) = 0 ]; then
		pass "bulk: its first $LEARN packets logged (handshake and round trips), as learn_packets says, none queued"
	else
		fail "bulk: first packets logged $((l1 - l0)) (want $LEARN); queued $warm, id_sequence +$((seq1 - seq0)), rule hits +$((h1 - h0)) (want 0 each)"
	fi
	if [ $bulk = 0 ] && [ $((seq2 - seq1)) = 0 ] && [ $((h2 - h1)) = 0 ] &&
		[ $((l2 - l1)) = 0 ]; then
		pass "bulk: then nothing queued or logged for $BULK bytes each way and the close (flow: ${pkts:-?})"
	else
		fail "bulk: queued $bulk more, id_sequence +$((seq2 - seq1)), rule hits +$((h2 - h1)), logged +$((l2 - l1)) (flow: ${pkts:-?}); want 0"
	fi
else
	fail "bulk: cannot read the daemon's counters ($s0 / $s1 / $s2)"
fi
lab_kill d2 TERM
lab_wait d2 10 || fail "second daemon: exit status $?"
[ -s "$OUT/bulk.json" ] && fail "bulk: a connection without a reset made events"
cp "$LAB_TMP/d2.log" "$OUT/daemon-bulk.log"
finish
