#!/bin/sh
# tests/live/evidence.sh: evidence files of `rstaudit run` on the lab's
# gateway (tests/lab: client - gw - mbox - server).  Run from the
# repository top after building; RSTAUDIT names another binary.  Needs
# root: it fails, and never skips, without it.
#
#   - the evidence keys: -n accepts good ones, names bad ones by file and
#     line; a directory that is missing, not a directory or read-only
#     stops the daemon at start (status 2) with a message naming it;
#   - refused, abort, a gateway reject and an on-path injection, IPv4 and
#     IPv6: every event names a file that exists, is mode 0640 and that
#     tcpdump, tshark and `rstaudit analyze` read; the record it names is
#     its RST, with the verdict as comment, after its flow's SYN; the
#     genuine reply that came after a forged RST is there too
#     (evidence.py events);
#   - the same with two queues (two rings, one writer), without the
#     gateway's reject (its RST reaches the first queue through NFLOG,
#     its SYN maybe the second), and refused connections from 16 client
#     addresses so that both queues have some;
#   - rotation: 4 kB files, 2 kept, 100 resets: 2 files remain, none over
#     4 kB, the newest, the first run's file among the removed
#     (evidence.py rotation);
#   - who writes: over 50 resets, the write(2)/pwrite(2) bytes of each
#     thread (/proc/PID/task/TID/io wchar): the queue thread's
#     (rstaudit-qN) did not grow by the evidence files' bytes, the writer
#     thread's (rstaudit-write) grew by them and the events', so a slow
#     evidence disk cannot stall a queue;
#   - a full disk (a 16 kB tmpfs): one message, the errors counted, every
#     reset still reported, the files written still whole.
# Checker logs go to tests/out/evidence/.
# The last line is "evidence: N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.." || exit 1
LAB_PREFIX=${LAB_PREFIX:-rsev$$}
LAB_DIR=$(pwd)/tests/lab
. tests/lab/lib.sh
. tests/lab/scenarios.sh
RSTAUDIT=${RSTAUDIT:-./rstaudit}
case $RSTAUDIT in /*) ;; *) RSTAUDIT=$(pwd)/$RSTAUDIT ;; esac
export RSTAUDIT
CHECK="$LAB_PY tests/live/evidence.py"
OUT=$(pwd)/tests/out/evidence
TALLY=evidence . tests/lib/tally.sh

# events FILE: how many events FILE holds.
events() { [ -f "$1" ] && wc -l <"$1" || echo 0; }
_has_events() { [ "$(events "$1")" -ge "$2" ]; }
# refuse N: N connections from the client to a closed port of the server.
refuse() {
	lab_in client "$LAB_PY" -c '
import socket, sys
for i in range(int(sys.argv[1])):
    try:
        socket.create_connection(("10.0.3.2", 7001), timeout=5).close()
        sys.exit("port 7001 is open")
    except ConnectionRefusedError:
        pass' "$1"
}
# ev_counters TAG: ask daemon TAG for its counters; print its evidence line.
ev_counters() {
	lab_counters "$1" >/dev/null &&
	grep '^rstaudit: evidence: resets' "$LAB_TMP/$1.log" | tail -1
}
# refuse_from N: one refused connection from each of N more client
# addresses, 10.0.1.100 onwards.
refuse_from() {
	_i=0
	while [ "$_i" -lt "$1" ]; do
		ip -n "$(lab_ns client)" addr add "10.0.1.$((100 + _i))/24" dev eth0 \
			2>/dev/null
		_i=$((_i + 1))
	done
	lab_in client "$LAB_PY" -c '
import socket, sys
for i in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("10.0.1.%d" % (100 + i), 0))
    try:
        s.settimeout(5)
        s.connect(("10.0.3.2", 7001))
        sys.exit("port 7001 is open")
    except ConnectionRefusedError:
        s.close()' "$1"
}
# stop TAG: SIGTERM, and the daemon ends with status 0.
stop() {
	lab_kill "$1" TERM
	if lab_wait "$1" 10; then
		pass "$1: exits 0 on SIGTERM"
	else
		fail "$1: SIGTERM: status $?"
		lab_show "$1"
	fi
}
# wchar PID NAME: the bytes the threads of PID named NAME* (comm) passed
# to write(2), pwrite(2) and the like, summed.
wchar() {
	_sum=0 _seen=0
	for _t in /proc/"$1"/task/*; do
		case $(cat "$_t/comm" 2>/dev/null) in
		"$2"*)	_w=$(sed -n 's/^wchar: //p' "$_t/io")
			_sum=$((_sum + ${_w:-0})) _seen=1 ;;
		esac
	done
	[ "$_seen" = 1 ] && echo "$_sum"
}
# ro_run DIR ARGS...: rstaudit in gw, with a read-only tmpfs on DIR.
ro_run() {
	_d=$1; shift
	lab_in gw unshare -m --propagation private sh -c \
		'mount -t tmpfs -o ro,mode=0700 rsev "$0" && exec "$@"' "$_d" "$RSTAUDIT" "$@"
}

if [ "$(id -u)" != 0 ]; then
	fail "must run as root: the test builds network namespaces (sudo)"
	finish
fi
for _t in tshark tcpdump unshare; do
	command -v "$_t" >/dev/null 2>&1 || { fail "missing tool: $_t"; finish; }
done
"$RSTAUDIT" run -h >/dev/null 2>&1 ||
	{ fail "$RSTAUDIT has no 'run' command: build it first (make)"; finish; }
mkdir -p "$OUT" || { fail "cannot create $OUT"; finish; }
check_counts "checker self-test" "$OUT/self-test.log" $CHECK self-test

lab_trap
lab_up || { fail "cannot build the lab"; finish; }
T=$LAB_TMP
EV=$T/evidence
mkdir -p "$EV" "$T/ro" && : >"$T/plain" || { fail "cannot make $EV"; finish; }

# ---- configuration -------------------------------------------------------

cat >"$T/good.conf" <<EOF
evidence_dir $EV
evidence_file_size 2M
evidence_files 5
evidence_packets 4096
EOF
check_status "-n: evidence keys accepted" 0 "configuration OK" \
	"$RSTAUDIT" run -n -c "$T/good.conf"
printf 'hold 1\nevidence_file_size 10x\nevidence_files 0\nevidence_packets 10\n' \
	>"$T/bad.conf"
check_status "-n: a bad size is named by file and line" 2 \
	"bad.conf:2: evidence_file_size: give bytes" "$RSTAUDIT" run -n -c "$T/bad.conf"
check_status "-n: evidence_files 0 is refused" 2 \
	"bad.conf:3: evidence_files: give a whole number, 1 to 10000" \
	"$RSTAUDIT" run -n -c "$T/bad.conf"
check_status "-n: too small a ring is refused" 2 \
	"bad.conf:4: evidence_packets: give a whole number, 256 to" \
	"$RSTAUDIT" run -n -c "$T/bad.conf"
printf 'evidence_dir %s\n' "$T/missing" >"$T/missing.conf"
check_status "-n: a missing directory" 2 \
	"evidence_dir $T/missing: No such file or directory" \
	"$RSTAUDIT" run -n -c "$T/missing.conf"
check_status "start: a missing directory stops the daemon" 2 \
	"evidence_dir $T/missing: No such file or directory" \
	lab_in gw "$RSTAUDIT" run -c "$T/missing.conf" --control-socket none
printf 'evidence_dir %s\n' "$T/plain" >"$T/plain.conf"
check_status "start: a file, not a directory" 2 \
	"evidence_dir $T/plain: Not a directory" \
	lab_in gw "$RSTAUDIT" run -c "$T/plain.conf" --control-socket none
printf 'evidence_dir %s\n' "$T/ro" >"$T/ro.conf"
check_status "start: a read-only directory" 2 \
	"evidence_dir $T/ro: Read-only file system (the daemon must be able" \
	ro_run "$T/ro" run -c "$T/ro.conf" --control-socket none
if lab_in gw nft list table inet rstaudit >/dev/null 2>&1; then
	fail "a daemon that stopped at start left its table"
else
	pass "no table left by the daemons that did not start"
fi

# ---- every kind of reset, both families --------------------------------

cat >"$T/run.conf" <<EOF
hold 0.5
json_file $T/run.json
evidence_dir $EV
EOF
if lab_daemon ev gw -c "$T/run.conf"; then
	pass "daemon up with evidence_dir"
	for fam in 4 6; do
		for scn in refused abort gw_reject_syn inject; do
			"scn_$scn" "$fam" || fail "scenario $scn (IPv$fam) failed"
		done
	done
	lab_poll 10 _has_events "$T/run.json" 14 ||
		fail "14 events within 10 s: $(events "$T/run.json")"
	stop ev
	if grep -q 'evidence: resets 14, files 1, removed 0, .*write errors 0, resets gone from the ring 0$' \
		"$T/ev.log"; then
		pass "counters: 14 resets kept in one file, no error"
	else
		fail "counters: $(grep 'evidence: resets' "$T/ev.log")"
	fi
	check_counts "events" "$OUT/events.log" $CHECK events "$T/run.json" --expect 14 --inject
else
	fail "daemon with evidence_dir did not start"
fi
first=$(ls "$EV")

# ---- two queues, one writer ------------------------------------------------

cat >"$T/q2.conf" <<EOF
hold 0.5
json_file $T/q2.json
evidence_dir $T/q2
queues 2
EOF
mkdir -p "$T/q2"
if lab_daemon q2 gw -c "$T/q2.conf"; then
	for fam in 4 6; do
		for scn in refused abort inject; do
			"scn_$scn" "$fam" || fail "scenario $scn (IPv$fam) failed"
		done
	done
	# The queues are chosen by a hash of the addresses alone: 16 client
	# addresses reach both (all on one: 1 chance in 65536).
	refuse_from 16 || fail "16 refused connections from 16 addresses"
	lab_poll 10 _has_events "$T/q2.json" 28 ||
		fail "28 events within 10 s: $(events "$T/q2.json")"
	q1=$(lab_counters q2 5 | sed -n 's/.*queue 1: queued \([0-9]*\),.*/\1/p')
	if [ "${q1:-0}" -gt 0 ]; then
		pass "both queues had packets (queue 1: $q1)"
	else
		fail "queue 1 had no packets: the second ring was not tested"
	fi
	stop q2
	check_counts "two queues" "$OUT/two-queues.log" $CHECK events "$T/q2.json" --expect 28 --inject
else
	fail "daemon with two queues did not start"
fi

# ---- rotation ------------------------------------------------------------

cat >"$T/rot.conf" <<EOF
hold 0.2
json_file $T/rot.json
evidence_dir $EV
evidence_file_size 4k
evidence_files 2
EOF
if lab_daemon rot gw -c "$T/rot.conf"; then
	refuse 100 || fail "100 refused connections"
	lab_poll 10 _has_events "$T/rot.json" 100 ||
		fail "100 events within 10 s: $(events "$T/rot.json")"
	ev_counters rot >"$T/rot.counters"
	if grep -q 'evidence: resets 100, files [0-9]*, removed [1-9][0-9]*,' \
		"$T/rot.counters"; then
		pass "counters: $(cat "$T/rot.counters")"
	else
		fail "counters: $(cat "$T/rot.counters")"
	fi
	stop rot
	check_counts "rotation" "$OUT/rotation.log" $CHECK rotation "$T/rot.json" "$EV" 4096 2
	if [ -n "$first" ] && [ ! -e "$EV/$first" ]; then
		pass "the first run's file counts in the set and was removed"
	else
		fail "the first run's file $first is still there"
	fi
else
	fail "daemon for rotation did not start"
fi

# ---- who writes the evidence -------------------------------------------------

mkdir -p "$T/io"
cat >"$T/io.conf" <<EOF
hold 0.2
json_file $T/io.json
evidence_dir $T/io
EOF
if lab_daemon io gw -c "$T/io.conf"; then
	pid=$(cat "$T/io.pid")
	j0=$(cat "$T/io.json" 2>/dev/null | wc -c)
	q0=$(wchar "$pid" rstaudit-q) w0=$(wchar "$pid" rstaudit-write)
	refuse 50 || fail "50 refused connections"
	lab_poll 10 _has_events "$T/io.json" 50 ||
		fail "50 events within 10 s: $(events "$T/io.json")"
	# An event is written after its evidence: the files are whole now.
	# The events' bytes before the threads': all of them were counted.
	j1=$(wc -c <"$T/io.json")
	q1=$(wchar "$pid" rstaudit-q) w1=$(wchar "$pid" rstaudit-write)
	pcap=$(cat "$T"/io/rstaudit-*.pcapng | wc -c)
	if [ -z "$q0" ] || [ -z "$w0" ] || [ -z "$q1" ] || [ -z "$w1" ]; then
		fail "threads rstaudit-q* and rstaudit-write: not found in $pid"
	elif [ "$pcap" -gt 0 ] && [ $((q1 - q0)) -lt "$pcap" ]; then
		pass "the queue thread wrote $((q1 - q0)) bytes, not the $pcap of the evidence files"
	else
		fail "the queue thread wrote $((q1 - q0)) bytes; the evidence files hold $pcap"
	fi
	if [ "$pcap" -gt 0 ] && [ $((w1 - w0)) -ge $((pcap + j1 - j0)) ]; then
		pass "the writer thread wrote $((w1 - w0)) bytes: the $pcap of the evidence files and the $((j1 - j0)) of the events"
	else
		fail "the writer thread wrote $((w1 - w0)) bytes; the evidence files hold $pcap, the events $((j1 - j0))"
	fi
	stop io
	check_counts "who writes: the files" "$OUT/who-writes.log" $CHECK events "$T/io.json" --expect 50
else
	fail "daemon for the writer's check did not start"
fi

# ---- a full disk -----------------------------------------------------------

mkdir -p "$T/full"
# No control socket: the default one is the machine's, and another
# daemon (another test run) may answer there.
cat >"$T/full.conf" <<EOF
hold 0.2
json_file $T/full.json
evidence_dir $T/full
control_socket $T/full.sock
EOF
if lab_spawn gw full unshare -m --propagation private sh -c \
	'mount -t tmpfs -o size=16k,mode=0700 rsev "$0" && exec "$@"' "$T/full" \
	"$RSTAUDIT" run -v -c "$T/full.conf" --control-socket none &&
	lab_wait_log full 'in all), hold' 10; then
	pid=$(cat "$T/full.pid")
	refuse 80 || fail "80 refused connections"
	lab_poll 10 _has_events "$T/full.json" 80 ||
		fail "80 events within 10 s: $(events "$T/full.json")"
	n=$(grep -c 'evidence: cannot write' "$T/full.log")
	if [ "$n" = 1 ] && grep -q 'No space left on device' "$T/full.log"; then
		pass "the disk is full: said once"
	else
		fail "the disk is full: said $n times"
		lab_show full
	fi
	nulls=$(grep -c '"evidence_pcap":null' "$T/full.json")
	if [ "$nulls" -gt 0 ] && [ "$nulls" -lt 80 ]; then
		pass "80 resets reported, $nulls without a file"
	else
		fail "80 resets: $nulls without a file"
	fi
	errors=$(ev_counters full | sed -n 's/.*write errors \([0-9]*\),.*/\1/p')
	if [ "$errors" = "$nulls" ]; then
		pass "write errors counted: $errors"
	else
		fail "write errors '$errors', events without a file $nulls"
	fi
	grep -v '"evidence_pcap":null' "$T/full.json" >"$T/full-named.json"
	check_counts "full disk: the files written are whole" "$OUT/full-disk.log" $CHECK events \
		"$T/full-named.json" --root "/proc/$pid/root"
	stop full
else
	fail "daemon on a 16 kB tmpfs did not start"
fi
finish
