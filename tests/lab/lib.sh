# tests/lab/lib.sh: a four-namespace lab for rstaudit, sourced by the lab
# scripts, the live-daemon tests and `make demo`.  POSIX sh (dash-clean).
#
#   client 10.0.1.2 fd00:1::2   [eth0]
#     |
#   gw     10.0.1.1 fd00:1::1   [c0]   10.0.2.1 fd00:2::1 [m0]
#     |
#   mbox   10.0.2.2 fd00:2::2   [g0]   10.0.3.1 fd00:3::1 [s0]
#     |
#   server 10.0.3.2 fd00:3::2   [eth0]
#
# gw and mbox are L3 routers, so the server's packets reach the client
# with TTL 62 and the gateway's own packets leave it with TTL 64.
#
# Usage:
#   . tests/lab/lib.sh
#   lab_trap            # delete everything on exit, failure or signal
#   lab_up              # namespaces $LAB_PREFIX-{client,gw,mbox,server}
#   (or lab_begin, then lab_node NAME, lab_link, lab_ip... for a layout
#   of one's own)
#   lab_in gw nft list ruleset
#   lab_spawn server srv /usr/bin/python3 "$LAB_DIR/peer.py" serve ...
#   lab_wait_log srv '^ready' 5 && ... && lab_wait srv 5
#   cap_start cli client eth0 /tmp/out/client.pcap
#   cap_sync cli; cap_stop cli
#   lab_down
#
# Every wait is bounded.  Functions print what went wrong on stderr and
# return non-zero; they never exit, so callers decide.
#
# Set LAB_DIR when sourcing from outside tests/lab (the default looks for
# peer.py next to the sourcing script, then in tests/lab).

LAB_PY=${LAB_PY:-/usr/bin/python3}
LAB_PREFIX=${LAB_PREFIX:-rsa$$}
LAB_NODES="client gw mbox server"
LAB_TMP=
LAB_IS_UP=
LAB_MADE=

if [ -z "${LAB_DIR:-}" ]; then
	for _d in "$(dirname "$0")" "$(dirname "$0")/lab" tests/lab; do
		if [ -f "$_d/peer.py" ]; then LAB_DIR=$(cd "$_d" && pwd); break; fi
	done
	unset _d
fi

lab_log() { echo "lab: $*" >&2; }

# lab_addr NODE FAMILY: the node's address facing the client (4 or 6).
lab_addr() {
	case $1$2 in
	client4) echo 10.0.1.2 ;;	client6) echo fd00:1::2 ;;
	gw4) echo 10.0.1.1 ;;		gw6) echo fd00:1::1 ;;
	mbox4) echo 10.0.2.2 ;;		mbox6) echo fd00:2::2 ;;
	server4) echo 10.0.3.2 ;;	server6) echo fd00:3::2 ;;
	*) lab_log "lab_addr: no node $1 family $2"; return 1 ;;
	esac
}

# lab_ns NODE: the namespace name of NODE for this run.
lab_ns() { echo "$LAB_PREFIX-$1"; }

# lab_in NODE CMD...: run CMD in NODE's namespace, in the foreground.
lab_in() {
	_ns=$(lab_ns "$1"); shift
	ip netns exec "$_ns" "$@"
}

# lab_need_root: fail (not skip) when the lab cannot run here.
lab_need_root() {
	if [ "$(id -u)" != 0 ]; then
		lab_log "must run as root (network namespaces, nftables, tcpdump)"
		return 1
	fi
	for _t in ip nft tcpdump "$LAB_PY"; do
		command -v "$_t" >/dev/null 2>&1 ||
			{ lab_log "missing tool: $_t"; return 1; }
	done
}

# lab_sysctl NODE KEY=VALUE...
lab_sysctl() {
	_n=$1; shift
	lab_in "$_n" sysctl -qw "$@" >/dev/null
}

# lab_link NODE_A IF_A NODE_B IF_B: a veth pair between two namespaces.
lab_link() {
	ip -n "$(lab_ns "$1")" link add "$2" type veth peer name "$4" \
		netns "$(lab_ns "$3")" &&
	ip -n "$(lab_ns "$1")" link set "$2" up &&
	ip -n "$(lab_ns "$3")" link set "$4" up
}

# lab_ip NODE IF ADDR4/LEN ADDR6/LEN
lab_ip() {
	ip -n "$(lab_ns "$1")" addr add "$3" dev "$2" &&
	ip -n "$(lab_ns "$1")" -6 addr add "$4" dev "$2" nodad
}

# lab_route NODE PREFIX4 VIA4 PREFIX6 VIA6
lab_route() {
	ip -n "$(lab_ns "$1")" route add "$2" via "$3" &&
	ip -n "$(lab_ns "$1")" -6 route add "$4" via "$5"
}

# lab_begin: the lab's temporary directory LAB_TMP (logs, pid files,
# build products); from here on lab_down cleans up.  Fails without root
# or a tool the lab needs.
lab_begin() {
	lab_need_root || return 1
	LAB_TMP=$(mktemp -d "${TMPDIR:-/tmp}/$LAB_PREFIX.XXXXXX") || return 1
	LAB_IS_UP=1
}

# lab_node NODE: a namespace for NODE, loopback up, IPv6 DAD off (before
# any link exists, so addresses work at once); lab_down deletes it.
lab_node() {
	ip netns add "$(lab_ns "$1")" ||
		{ lab_log "cannot create namespace $(lab_ns "$1")"; return 1; }
	LAB_MADE="$LAB_MADE $1"
	lab_sysctl "$1" net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 &&
	ip -n "$(lab_ns "$1")" link set lo up
}

# lab_up: build the four namespaces, links, addresses and routes.
# Fails when the namespaces cannot be made.
lab_up() {
	lab_begin || return 1
	for _n in $LAB_NODES; do
		lab_node "$_n" || return 1
	done
	for _n in gw mbox; do
		lab_sysctl "$_n" net.ipv4.ip_forward=1 \
			net.ipv6.conf.all.forwarding=1 || return 1
	done
	lab_link client eth0 gw c0 &&
	lab_link gw m0 mbox g0 &&
	lab_link mbox s0 server eth0 &&
	lab_ip client eth0 10.0.1.2/24 fd00:1::2/64 &&
	lab_ip gw c0 10.0.1.1/24 fd00:1::1/64 &&
	lab_ip gw m0 10.0.2.1/24 fd00:2::1/64 &&
	lab_ip mbox g0 10.0.2.2/24 fd00:2::2/64 &&
	lab_ip mbox s0 10.0.3.1/24 fd00:3::1/64 &&
	lab_ip server eth0 10.0.3.2/24 fd00:3::2/64 &&
	lab_route client default 10.0.1.1 default fd00:1::1 &&
	lab_route gw 10.0.3.0/24 10.0.2.2 fd00:3::/64 fd00:2::2 &&
	lab_route mbox 10.0.1.0/24 10.0.2.1 fd00:1::/64 fd00:2::1 &&
	lab_route server default 10.0.3.1 default fd00:3::1 ||
		{ lab_log "cannot configure links, addresses or routes"; return 1; }
	lab_csum_off client eth0 && lab_csum_off gw c0 m0 &&
	lab_csum_off mbox g0 s0 && lab_csum_off server eth0 || return 1
	lab_ping 4 && lab_ping 6
}

# lab_csum_off NODE IFACE...: checksums computed before the capture taps,
# as on a real wire (veth otherwise passes partial checksums along).
lab_csum_off() {
	_n=$1; shift
	lab_in "$_n" "$LAB_PY" "$LAB_DIR/peer.py" csum-off "$@" >/dev/null ||
		{ lab_log "cannot turn off checksum offload on $_n $*"; return 1; }
}

# lab_ping FAMILY: the client reaches the server (also primes ARP/ND so
# the first scenario's packets are not delayed by resolution).
lab_ping() {
	_dst=$(lab_addr server "$1")
	lab_in client "$LAB_PY" "$LAB_DIR/peer.py" probe --addr "$_dst" >/dev/null ||
		{ lab_log "client cannot reach $_dst"; return 1; }
}

# lab_down: stop every process in the lab's namespaces, delete them and
# LAB_TMP (kept when LAB_KEEP is set, for debugging).  Idempotent; safe to
# call from a trap at any point.
lab_down() {
	[ -n "$LAB_IS_UP" ] || return 0
	for _n in $LAB_MADE; do
		_ns=$(lab_ns "$_n")
		_pids=$(ip netns pids "$_ns" 2>/dev/null)
		# shellcheck disable=SC2086
		[ -n "$_pids" ] && kill -KILL $_pids 2>/dev/null
		ip netns delete "$_ns" 2>/dev/null
	done
	if [ -n "${LAB_KEEP:-}" ]; then
		lab_log "kept $LAB_TMP (logs, pid files)"
	elif [ -n "$LAB_TMP" ]; then
		# lab_spawn's wrappers may still be writing the status of
		# what was just killed: try again until the directory is gone.
		lab_poll 5 _lab_rm_tmp || lab_log "cannot remove $LAB_TMP"
	fi
	LAB_IS_UP='' LAB_MADE=''
}
_lab_rm_tmp() { rm -rf "$LAB_TMP" 2>/dev/null; [ ! -e "$LAB_TMP" ]; }

# lab_trap: call lab_down on exit, and exit on INT, TERM and HUP.
lab_trap() {
	trap 'lab_down' EXIT
	trap 'lab_down; trap - EXIT; exit 130' INT
	trap 'lab_down; trap - EXIT; exit 143' TERM
	trap 'lab_down; trap - EXIT; exit 129' HUP
}

# lab_spawn NODE TAG CMD...: start CMD in NODE's namespace in the
# background.  Output goes to $LAB_TMP/TAG.log, the process id (of CMD
# itself) to TAG.pid, and its exit status to TAG.rc when it ends.
lab_spawn() {
	_ns=$(lab_ns "$1"); _tag=$2; shift 2
	rm -f "$LAB_TMP/$_tag.rc" "$LAB_TMP/$_tag.pid"
	# The pid and rc files appear whole (mv), so a poll never reads half.
	(
		sh -c 'echo $$ >"$0.new" && mv "$0.new" "$0" && exec "$@"' \
			"$LAB_TMP/$_tag.pid" ip netns exec "$_ns" "$@" \
			>"$LAB_TMP/$_tag.log" 2>&1
		echo $? 2>/dev/null >"$LAB_TMP/$_tag.rc.new" &&
		mv "$LAB_TMP/$_tag.rc.new" "$LAB_TMP/$_tag.rc" 2>/dev/null
	) &
	lab_poll 5 test -s "$LAB_TMP/$_tag.pid"
}

# lab_poll SECONDS CMD...: run CMD every 10 ms until it succeeds (0);
# fail after SECONDS, or at once when CMD returns 2 (no point waiting).
lab_poll() {
	_left=$(($1 * 100)); shift
	while :; do
		"$@"
		case $? in 0) return 0 ;; 2) return 2 ;; esac
		_left=$((_left - 1))
		[ "$_left" -gt 0 ] || return 1
		sleep 0.01
	done
}

# lab_wait_log TAG REGEX [SECONDS]: wait until TAG's log has a line
# matching REGEX.  Fails early, showing the log, if TAG exits first.
lab_wait_log() {
	_tag=$1 _re=$2 _s=${3:-5}
	lab_poll "$_s" _lab_log_has "$_tag" "$_re" && return 0
	if [ -f "$LAB_TMP/$_tag.rc" ]; then
		lab_log "$_tag: exited (status $(cat "$LAB_TMP/$_tag.rc")) before '$_re'"
	else
		lab_log "$_tag: no '$_re' within ${_s}s"
	fi
	lab_show "$_tag"
	return 1
}
_lab_log_has() {
	grep -q -- "$2" "$LAB_TMP/$1.log" 2>/dev/null && return 0
	# Ended without it: look once more (it may have written and exited).
	if [ -f "$LAB_TMP/$1.rc" ]; then
		grep -q -- "$2" "$LAB_TMP/$1.log" 2>/dev/null && return 0
		return 2
	fi
	return 1
}

# lab_show TAG: copy TAG's log to stderr, indented.
lab_show() {
	sed "s/^/    $1: /" "$LAB_TMP/$1.log" >&2 2>/dev/null
}

# lab_wait TAG [SECONDS]: wait until TAG ends; return its exit status.
# On timeout, kill it and fail.
lab_wait() {
	_tag=$1 _s=${2:-5}
	if ! lab_poll "$_s" test -f "$LAB_TMP/$_tag.rc"; then
		lab_log "$_tag: still running after ${_s}s; killed"
		lab_kill "$_tag" KILL
		return 124
	fi
	return "$(cat "$LAB_TMP/$_tag.rc")"
}

# lab_kill TAG [SIGNAL]: signal TAG's process, if it still runs.
lab_kill() {
	[ -f "$LAB_TMP/$1.rc" ] && return 0
	kill -"${2:-TERM}" "$(cat "$LAB_TMP/$1.pid")" 2>/dev/null
	return 0
}

# lab_go NAME: create the flag file peers wait for with --go (see peer.py).
# lab_gofile NAME: its path, for a peer's --go; the flag of an earlier
# run (the other family, in the same lab) is removed first, or the new
# peer would go at once.
lab_go() { : >"$LAB_TMP/$1.go"; }
lab_gofile() { rm -f "$LAB_TMP/$1.go"; echo "$LAB_TMP/$1.go"; }

# cap_start TAG NODE IFACE FILE [TCPDUMP-ARGS...]: capture everything on
# IFACE in NODE to FILE, each packet written as it arrives.  Returns when
# tcpdump is really capturing (its "listening on" line).
cap_start() {
	_tag=$1 _node=$2 _if=$3 _file=$4; shift 4
	# Immediate mode uses one ring slot per packet, sized by the snap
	# length: 64 KiB slots in a 64 MiB ring hold a thousand packets,
	# where tcpdump's defaults (256 KiB, 2 MiB) hold eight.
	lab_spawn "$_node" "$_tag" tcpdump -n -i "$_if" -U --immediate-mode \
		-s 65535 -B 65536 -Z root -w "$_file" "$@" || return 1
	lab_wait_log "$_tag" "listening on" 10 || return 1
	echo "$_tag $_file" >>"$LAB_TMP/captures"
}

# cap_sync TAG...: send a UDP marker from client to server (port 9) and
# wait until every named capture has written it, so everything sent
# before is in the files.  The marker's payload is "rstaudit-lab-sync N".
cap_sync() {
	LAB_SYNC=$((${LAB_SYNC:-0} + 1))
	lab_in client "$LAB_PY" "$LAB_DIR/peer.py" mark \
		--addr "$(lab_addr server 4)" --text "rstaudit-lab-sync $LAB_SYNC" \
		>/dev/null ||
		return 1
	for _tag in "$@"; do
		_file=$(awk -v t="$_tag" '$1 == t { print $2 }' "$LAB_TMP/captures")
		lab_poll 5 _cap_has_sync "$_file" "$LAB_SYNC" || {
			lab_log "$_tag: sync marker $LAB_SYNC not captured within 5s"
			return 1
		}
	done
}
_cap_has_sync() {
	tcpdump -r "$1" -nn -A 'udp dst port 9' 2>/dev/null |
		grep -q "rstaudit-lab-sync $2\$"
}

# cap_stop TAG: stop a capture, letting tcpdump flush and close the file.
# Fails when the kernel dropped packets: the capture would be incomplete.
cap_stop() {
	lab_kill "$1" INT
	lab_wait "$1" 10 || { lab_log "$1: tcpdump failed"; lab_show "$1"; return 1; }
	grep -q '^0 packets dropped by kernel' "$LAB_TMP/$1.log" || {
		lab_log "$1: tcpdump lost packets"; lab_show "$1"; return 1; }
}

# lab_daemon TAG NODE ARGS...: start `rstaudit run -v ARGS` in NODE
# (RSTAUDIT names the binary; default ./rstaudit from the repository
# top).  Returns when its queues are bound and its table is installed
# (the "queue N (M in all), hold" line), or fails with its log.  Its
# control socket is $LAB_TMP/TAG.sock (lab_stats), so daemons in other
# namespaces never share one; --control-socket in ARGS overrides it.
lab_daemon() {
	_tag=$1 _node=$2; shift 2
	_bin=${RSTAUDIT:-./rstaudit}
	case $_bin in /*) ;; *) _bin=$(pwd)/$_bin ;; esac
	lab_spawn "$_node" "$_tag" "$_bin" run -v \
		--control-socket "$LAB_TMP/$_tag.sock" "$@" &&
	lab_wait_log "$_tag" 'in all), hold' 10
}

# lab_stats TAG [ARGS...]: `rstaudit stats ARGS` from daemon TAG's
# control socket (--prometheus for that format).
lab_stats() {
	_tag=$1; shift
	${RSTAUDIT:-./rstaudit} stats -s "$LAB_TMP/$_tag.sock" "$@"
}

# lab_counters TAG [LINES]: ask daemon TAG for its counters (SIGUSR1) and
# print the newest set (the last LINES lines starting "rstaudit: queue",
# "log group" or "flows"; default 3).
lab_counters() {
	_n=$(grep -c '^rstaudit: flows' "$LAB_TMP/$1.log")
	lab_kill "$1" USR1
	lab_poll 5 _lab_more_counters "$1" "$_n" || return 1
	grep -E '^rstaudit: (queue [0-9]+:|log group|flows)' "$LAB_TMP/$1.log" |
		tail -"${2:-3}"
}
_lab_more_counters() {
	[ "$(grep -c '^rstaudit: flows' "$LAB_TMP/$1.log")" -gt "$2" ]
}

# lab_counter TEXT NAME: the number after NAME in lab_counters output
# (the first one: "queued", "failed open", "id_sequence", "waiting"...).
lab_counter() {
	echo "$1" | sed -n "s/.*[ (:]$2 \([0-9][0-9]*\).*/\1/p" | head -1
}

# lab_queue_hits NODE: packets the queueing rules of NODE's rstaudit
# table sent to NFQUEUE (its rule counters; the NFLOG rules not counted).
lab_queue_hits() {
	lab_in "$1" nft list table inet rstaudit 2>/dev/null |
		awk '/queue/ && !/log group/ {
			for (i = 2; i < NF; i++)
				if ($(i - 1) == "counter" && $i == "packets") s += $(i + 1)
		} END { print s + 0 }'
}

# lab_log_hits NODE: packets the NFLOG rules of NODE's rstaudit table
# copied to the daemon (learning, this host's reject RSTs, and the notes
# of RSTs conntrack did not take).
lab_log_hits() {
	lab_in "$1" nft list table inet rstaudit 2>/dev/null |
		awk '/ log (group|prefix) / {
			for (i = 2; i < NF; i++)
				if ($(i - 1) == "counter" && $i == "packets") s += $(i + 1)
		} END { print s + 0 }'
}

# lab_has_table NODE: does NODE have rstaudit's table (any family)?
lab_has_table() {
	lab_in "$1" nft list tables 2>/dev/null | grep -q ' rstaudit$'
}
