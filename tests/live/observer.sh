#!/bin/sh
# tests/live/observer.sh: the auditor never changes the traffic it audits.
#
# On the lab (tests/lab: client - gw - mbox - server), ordinary traffic
# runs once without rstaudit on gw, then with `rstaudit run` in each
# configuration, and the wire is captured at both ends (the client's and
# the server's interfaces).  The traffic, per run: in IPv4 and IPv6, to
# a port gw forwards as is (7600) and to one it masquerades (7601), 60
# short request/response connections (half closed by the client first,
# half by the server first), 3 keep-alive connections of 10 requests
# each, and a 1 MB bulk transfer: 256 connections.  Nothing in it
# resets.  Variants: none (the baseline), the default configuration,
# rules/enforce.conf, --queues 2, the default under a RST flood to
# other flows, and the default stopped with SIGSTOP for a second.
#
# For each run (tests/lab/wirecmp.py): every connection completes; at
# both ends no RST is on the wire and, for each connection and
# direction, the segments that left the sender reached the receiver,
# nothing lost or added; across gw (captured on its two interfaces, so
# that what the veth links do by themselves does not count) every
# segment left in the order it came.  Retransmissions and the time
# across gw are printed as figures.  With the daemon it
# must also have done its job: learnt from the traffic (NFLOG), reported
# no reset of it, and, under the flood, audited the flood's resets.
#
# Needs root; fails, never skips, without it.  The last line is
# "observer: N passed, N failed, N skipped".
set -u
TALLY=observer
. "$(dirname "$0")/../lib/tally.sh"
LAB_DIR=$(cd "$(dirname "$0")/../lab" && pwd)
. "$LAB_DIR/lib.sh"
. "$LAB_DIR/scenarios.sh"

OUT=${OUT:-tests/out/observer}
RSTAUDIT=${RSTAUDIT:-./rstaudit}
MIX="$LAB_PY $LAB_DIR/mix.py"
PORTS=7600,7601

lab_need_root || { fail "must run as root (namespaces, nftables, tcpdump)"; finish; }
"$RSTAUDIT" run -h >/dev/null 2>&1 ||
	{ fail "$RSTAUDIT has no 'run' command: build it first (make)"; finish; }
rm -rf "$OUT" && mkdir -p "$OUT" || { fail "cannot create $OUT"; finish; }
case $RSTAUDIT in /*) ;; *) RSTAUDIT=$(pwd)/$RSTAUDIT ;; esac
ENFORCE=$(pwd)/rules/enforce.conf

lab_trap
lab_up || { fail "cannot build the lab"; finish; }
SRV4=$(lab_addr server 4) SRV6=$(lab_addr server 6)
lab_spawn server mix $MIX serve --port 7600 --port 7601 &&
	lab_wait_log mix '^ready' ||
	{ fail "cannot start the traffic server"; finish; }
# gw masquerades port 7601: the server sees gw's address, not the client's.
lab_in gw nft -f - <<EOF || { fail "cannot load gw's NAT"; finish; }
table inet labnat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		ip daddr $SRV4 tcp dport 7601 masquerade
		ip6 daddr $SRV6 tcp dport 7601 masquerade
	}
}
EOF
# gw handles each interface's packets on one CPU (RPS), in the order
# they reach it: a veth link hands a packet to the CPU that sent it, and
# a sender on two CPUs would otherwise have gw forward one flow on both
# at once, in either order, daemon or not (seen here without it).
for _if in c0 m0; do
	lab_in gw sh -c "echo 1 >/sys/class/net/$_if/queues/rx-0/rps_cpus" ||
		{ fail "cannot steer gw's $_if to one CPU"; finish; }
done
# The flood: RSTs from the client to server ports no one uses.
cc -O2 -D_GNU_SOURCE -Isrc -o "$LAB_TMP/rstflood" bench/rstflood.c ||
	{ fail "cannot build bench/rstflood.c"; finish; }

# traffic NAME: the whole mix, IPv4 and IPv6, both ports, at once.
traffic() {
	_n=0
	for _a in "$SRV4" "$SRV6"; do
		for _p in 7600 7601; do
			_n=$((_n + 1))
			lab_in client $MIX run --addr "$_a" --port $_p --short 60 \
				--keepalive 3 --requests 10 --bulk 1000000 --parallel 8 \
				>"$OUT/$1.mix$_n" 2>&1 &
		done
	done
	wait
	cat "$OUT/$1".mix* >"$OUT/$1.mix"
	[ "$(grep -c '^mix: 64 ok, 0 failed' "$OUT/$1.mix")" = 4 ]
}

# capture TAG NODE IFACE FILE: headers only (the bulk would fill a ring
# of whole packets), the traffic's ports and cap_sync's marker.
capture() {
	lab_spawn "$2" "$1" tcpdump -n -i "$3" -U --immediate-mode -s 128 \
		-B 65536 -Z root -w "$4" tcp port 7600 or tcp port 7601 or \
		udp port 9 && lab_wait_log "$1" "listening on" 10 &&
	echo "$1 $4" >>"$LAB_TMP/captures"
}

# compare NAME WHAT A B [--any-order]: wirecmp.py of two captures.
compare() {
	_n=$1 _what=$2 _a=$3 _b=$4; shift 4
	$LAB_PY "$LAB_DIR/wirecmp.py" --ports $PORTS "$@" "$_a" "$_b" \
		>"$OUT/$_n.$_what" 2>&1
	_rc=$?
	_w=$(head -1 "$OUT/$_n.$_what")
	if [ $_rc = 0 ]; then
		pass "$_n: $_what: ${_w#wire: }"
	else
		fail "$_n: $_what: $_w"; sed 's/^/    /' "$OUT/$_n.$_what" | tail -n +2
	fi
}

# run NAME [DAEMON ARGS...]: the traffic, captured at both ends and on
# gw, with the daemon (and its variant's extra: FLOOD=1, STOP=1) or
# without (no args).
run() {
	_name=$1; shift
	_caps="c$_name s$_name gc$_name gm$_name"
	capture "c$_name" client eth0 "$OUT/$_name.client.pcap" &&
	capture "s$_name" server eth0 "$OUT/$_name.server.pcap" &&
	capture "gc$_name" gw c0 "$OUT/$_name.gw-c0.pcap" &&
	capture "gm$_name" gw m0 "$OUT/$_name.gw-m0.pcap" ||
		{ fail "$_name: cannot start the captures"; return 1; }
	if [ $# -gt 0 ]; then
		lab_daemon "d$_name" gw --json-file "$OUT/$_name.events.json" "$@" ||
			{ fail "$_name: the daemon did not start"; return 1; }
	fi
	if [ "${FLOOD:-0}" = 1 ]; then
		lab_spawn client "f$_name" "$LAB_TMP/rstflood" -s "$(lab_addr client 4)" \
			-d "$SRV4" -p 9000 -f 5000 -t 60 -r 20000
	fi
	traffic "$_name" &
	_t=$!
	if [ "${STOP:-0}" = 1 ]; then
		sleep 0.3
		lab_kill "d$_name" STOP
		sleep 1
		lab_kill "d$_name" CONT
	fi
	wait $_t && pass "$_name: all 256 connections complete" ||
		{ fail "$_name: traffic failed"; sed 's/^/    /' "$OUT/$_name.mix" | head; }
	[ "${FLOOD:-0}" = 1 ] && lab_kill "f$_name" TERM
	# shellcheck disable=SC2086
	cap_sync $_caps || fail "$_name: the captures missed the sync marker"
	for _t in $_caps; do
		cap_stop "$_t" || fail "$_name: capture $_t incomplete"
	done
	compare "$_name" ends "$OUT/$_name.client.pcap" "$OUT/$_name.server.pcap" \
		--any-order
	compare "$_name" gw "$OUT/$_name.gw-c0.pcap" "$OUT/$_name.gw-m0.pcap" \
		--transit
	_w=$(head -1 "$OUT/$_name.ends")
	_tr=$(sed -n 's/^transit: [0-9]* segments, //p' "$OUT/$_name.gw")
	_retx=$(echo "$_w" | sed -n 's/.* \([0-9]*\) retransmitted$/\1/p')
	printf '%-8s %5s %5s %6s   %s\n' "$_name" \
		$(echo "$_w" | sed -n 's/^wire: \([0-9]*\) connections, \([0-9]*\) segments.*/\1 \2/p') \
		"${_retx:-?}" "${_tr:-?}" >>"$OUT/figures"
	[ $# -gt 0 ] || return 0
	_c=$(lab_counters "d$_name" 99)
	lab_kill "d$_name" TERM
	lab_wait "d$_name" 10 || fail "$_name: the daemon's exit status is $?"
	cp "$LAB_TMP/d$_name.log" "$OUT/$_name.daemon.log"
	_logged=$(echo "$_c" | sed -n 's/.*log group.*logged \([0-9]*\).*/\1/p' |
		awk '{ s += $1 } END { print s + 0 }')
	[ "$_logged" -ge 256 ] &&
		pass "$_name: the daemon learnt from the traffic ($_logged packets logged)" ||
		fail "$_name: the daemon logged $_logged packets, want one SYN each at least"
	if grep -Eq '"(sport|dport|src_port|dest_port)":760[01][,}]' "$OUT/$_name.events.json"; then
		fail "$_name: the daemon reported a reset of the traffic"
	else
		pass "$_name: no reset of the traffic reported"
	fi
	if [ "${FLOOD:-0}" = 1 ]; then
		_q=$(lab_counter "$_c" queued)
		[ "${_q:-0}" -ge 1000 ] &&
			pass "$_name: meanwhile it audited the flood ($_q RSTs queued, $(lab_counter "$_c" 'failed open') failed open)" ||
			fail "$_name: the flood did not load the daemon (${_q:-?} queued)"
	fi
}

run none
run default -c /dev/null
run enforce -c "$ENFORCE"
run queues2 -c /dev/null --queues 2
FLOOD=1 run flood -c /dev/null
STOP=1 run sigstop -c /dev/null
# Figures, not checks: retransmissions happen on these veth links without
# the daemon too (tail loss probes under load), and times vary.
echo "observer: figures (run, connections, segments, retransmissions, time across gw):"
sed 's/^/    /' "$OUT/figures"
finish
