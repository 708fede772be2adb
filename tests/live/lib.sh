# tests/live/lib.sh: a three-namespace line for the live daemon's tests,
# sourced by tests/live/run.sh.  POSIX sh.
#
#   client 10.0.1.2  fd00:1::2  [eth0]
#     |
#   gw     10.0.1.1  fd00:1::1  [c0]    10.0.2.1 fd00:2::1 [s0]
#     |
#   server 10.0.2.2  fd00:2::2  [eth0]
#
# Namespaces are $LIVE_PREFIX-{client,gw,server}, with LIVE_PREFIX
# rsq<pid> unique per run; live_down removes them and every process in
# them, and is safe to call from a trap at any point.

LIVE_PREFIX=${LIVE_PREFIX:-rsq$$}
LIVE_DIR=${LIVE_DIR:-tests/live}
LIVE_NODES="client gw server"
LIVE_TMP=
LIVE_IS_UP=

CLIENT4=10.0.1.2 CLIENT6=fd00:1::2
GW4=10.0.1.1 GW6=fd00:1::1
SERVER4=10.0.2.2 SERVER6=fd00:2::2

live_log() { echo "live: $*" >&2; }
ns() { echo "$LIVE_PREFIX-$1"; }
in_ns() { _in_ns=$(ns "$1"); shift; ip netns exec "$_in_ns" "$@"; }

# addr NODE FAMILY
addr() { eval "echo \${$(echo "$1" | tr a-z A-Z)$2}"; }

live_up() {
	LIVE_TMP=$(mktemp -d "${TMPDIR:-/tmp}/$LIVE_PREFIX.XXXXXX") || return 1
	LIVE_IS_UP=1
	for _n in $LIVE_NODES; do
		ip netns add "$(ns "$_n")" || { live_log "cannot create namespace $(ns "$_n")"; return 1; }
		in_ns "$_n" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0 >/dev/null || return 1
		ip -n "$(ns "$_n")" link set lo up || return 1
	done
	in_ns gw sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
		>/dev/null || return 1
	ip -n "$(ns client)" link add eth0 type veth peer name c0 netns "$(ns gw)" &&
	ip -n "$(ns gw)" link add s0 type veth peer name eth0 netns "$(ns server)" &&
	ip -n "$(ns client)" link set eth0 up && ip -n "$(ns gw)" link set c0 up &&
	ip -n "$(ns gw)" link set s0 up && ip -n "$(ns server)" link set eth0 up &&
	ip -n "$(ns client)" addr add 10.0.1.2/24 dev eth0 &&
	ip -n "$(ns client)" -6 addr add fd00:1::2/64 dev eth0 nodad &&
	ip -n "$(ns gw)" addr add 10.0.1.1/24 dev c0 &&
	ip -n "$(ns gw)" -6 addr add fd00:1::1/64 dev c0 nodad &&
	ip -n "$(ns gw)" addr add 10.0.2.1/24 dev s0 &&
	ip -n "$(ns gw)" -6 addr add fd00:2::1/64 dev s0 nodad &&
	ip -n "$(ns server)" addr add 10.0.2.2/24 dev eth0 &&
	ip -n "$(ns server)" -6 addr add fd00:2::2/64 dev eth0 nodad &&
	ip -n "$(ns client)" route add default via 10.0.1.1 &&
	ip -n "$(ns client)" -6 route add default via fd00:1::1 &&
	ip -n "$(ns server)" route add default via 10.0.2.1 &&
	ip -n "$(ns server)" -6 route add default via fd00:2::1 ||
		{ live_log "cannot configure links, addresses or routes"; return 1; }
	# Extra client addresses, so several queues get flows (--queue-balance
	# hashes addresses only).
	for _i in 3 4 5 6 7 8 9 10; do
		ip -n "$(ns client)" addr add 10.0.1.$_i/24 dev eth0 &&
		ip -n "$(ns client)" -6 addr add fd00:1::$_i/64 dev eth0 nodad || return 1
	done
	# Reachability (and ARP/ND primed): a SYN to port 9 is refused.
	in_ns client python3 "$LIVE_DIR/peer.py" connect --addr 10.0.2.2 \
		--port 9 --expect refused >/dev/null &&
	in_ns client python3 "$LIVE_DIR/peer.py" connect --addr fd00:2::2 \
		--port 9 --expect refused >/dev/null ||
		{ live_log "client cannot reach server"; return 1; }
}

live_down() {
	[ -n "$LIVE_IS_UP" ] || return 0
	for _n in $LIVE_NODES; do
		_ns=$(ns "$_n")
		ip netns list 2>/dev/null | grep -q "^$_ns\\b" || continue
		_pids=$(ip netns pids "$_ns" 2>/dev/null)
		# SIGSTOPped processes die on SIGKILL too.
		[ -n "$_pids" ] && kill -KILL $_pids 2>/dev/null
		ip netns delete "$_ns" 2>/dev/null
	done
	if [ -n "${LIVE_KEEP:-}" ]; then
		live_log "kept $LIVE_TMP"
	elif [ -n "$LIVE_TMP" ]; then
		rm -rf "$LIVE_TMP"
	fi
	LIVE_IS_UP=
}

# poll SECONDS CMD...: every 20 ms until CMD succeeds.
poll() {
	_left=$(($1 * 50)); shift
	while ! "$@"; do
		_left=$((_left - 1))
		[ "$_left" -gt 0 ] || return 1
		sleep 0.02
	done
}

# rules_add QUEUE [QUEUES]: what nft.c's table queues, written with
# iptables-nft in the mangle tables (priority -150, after conntrack):
# RSTs, SYNs, the first 8 packets of each flow, and flows whose ct mark
# has 0x20000000; NFQUEUE with bypass.  Output RSTs whose conntrack
# entry is unconfirmed (a reject's answer to a new connection) go to
# NFLOG group 100 instead: nfnetlink_queue would drop them.
rules_add() {
	_q=$1 _n=${2:-1}
	for _t in iptables-nft ip6tables-nft; do
		in_ns gw $_t -t mangle -A OUTPUT -p tcp --tcp-flags RST RST \
			-m conntrack ! --ctstatus CONFIRMED -j NFLOG --nflog-group 100 &&
		in_ns gw $_t -t mangle -A OUTPUT -p tcp --tcp-flags RST RST \
			-m conntrack ! --ctstatus CONFIRMED -j ACCEPT || return 1
	done
	if [ "$_n" -gt 1 ]; then
		_target="NFQUEUE --queue-balance $_q:$((_q + _n - 1)) --queue-bypass"
	else
		_target="NFQUEUE --queue-num $_q --queue-bypass"
	fi
	for _t in iptables-nft ip6tables-nft; do
		for _c in FORWARD INPUT OUTPUT; do
			in_ns gw $_t -t mangle -A $_c -p tcp --tcp-flags RST RST -j $_target &&
			in_ns gw $_t -t mangle -A $_c -p tcp --tcp-flags SYN SYN -j $_target &&
			in_ns gw $_t -t mangle -A $_c -p tcp -m connmark \
				--mark 0x20000000/0x20000000 -j $_target &&
			in_ns gw $_t -t mangle -A $_c -p tcp -m connbytes \
				--connbytes 1:8 --connbytes-dir both \
				--connbytes-mode packets -j $_target || return 1
		done
	done
}

rules_flush() {
	in_ns gw iptables-nft -t mangle -F && in_ns gw ip6tables-nft -t mangle -F
}

# rule_hits: packets that hit the queueing rules (both families).
rule_hits() {
	{ in_ns gw iptables-nft -t mangle -L -v -x -n; in_ns gw ip6tables-nft -t mangle -L -v -x -n; } |
		awk '/NFQUEUE/ { s += $1 } END { print s + 0 }'
}

# labfw: the gateway's own firewall rejects port 7003 with a TCP reset.
labfw_add() {
	in_ns gw nft -f - <<'NFT'
table inet labfw {
	chain reject_7003 {
		type filter hook forward priority 0; policy accept;
		tcp dport 7003 reject with tcp reset
	}
}
NFT
}

# spawn TAG NODE CMD...: run CMD in NODE in the background; its output in
# $LIVE_TMP/TAG.log, its pid (the command's own) in $LIVE_TMP/TAG.pid.
spawn() {
	_tag=$1 _sp_ns=$(ns "$2"); shift 2
	rm -f "$LIVE_TMP/$_tag.pid"
	sh -c 'echo $$ >"$0"; exec "$@"' "$LIVE_TMP/$_tag.pid" \
		ip netns exec "$_sp_ns" "$@" >"$LIVE_TMP/$_tag.log" 2>&1 &
	poll 5 test -s "$LIVE_TMP/$_tag.pid"
}
pid_of() { cat "$LIVE_TMP/$1.pid"; }
alive() { kill -0 "$(pid_of "$1")" 2>/dev/null; }
log_has() { grep -q -- "$2" "$LIVE_TMP/$1.log" 2>/dev/null; }
wait_log() { poll "${3:-5}" log_has "$1" "$2"; }
# wait_gone TAG SECONDS
wait_gone() { poll "${2:-5}" _gone "$1"; }
_gone() { ! alive "$1"; }
