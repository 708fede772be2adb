# tests/locate/lib.sh: a chain of LOC_ROUTERS (default 6) routers between
# a client and a server, for `rstaudit locate`.  POSIX sh; sourced after
# tests/lab/lib.sh, whose lab_in/lab_spawn/lab_wait_log/lab_down/lab_trap
# it reuses (LAB_MADE names these nodes, so lab_down removes them).
#
#   client 10.14.0.1 fd14:0::1
#   r1     [c0] 10.14.0.2 fd14:0::2 | [s0] 10.14.1.1 fd14:1::1
#   r2     [c0] 10.14.1.2           | [s0] 10.14.2.1
#   ...
#   rN     [c0] 10.14.N-1.2         | [s0] 10.14.N.1
#   server 10.14.N.2 fd14:N::2
#
# Router i is hop i from the client; its address facing the client (the
# source of its time exceeded) is loc_router_addr i FAMILY.  ICMP rate
# limits are off on the routers, so every probe's time exceeded comes back
# however many suites run.
#
#   loc_up                      build it (fails, never exits)
#   loc_inject NODE MODE [-R]   injector on NODE's client side: MODE on
#                               (lets the trigger through) or in (drops it)
#   loc_uninject                stop it, remove its drop rule

LOC_ROUTERS=${LOC_ROUTERS:-6}
LOC_PORT=8080
LOC_KEYWORD=FORBIDDEN
LOC_INJ_NODE=

loc_routers() { seq 1 "$LOC_ROUTERS" | sed 's/^/r/'; }

# loc_link_addr LINK SIDE FAMILY: the address of SIDE (1 left, 2 right).
loc_link_addr() {
	if [ "$3" = 4 ]; then echo "10.14.$1.$2"
	elif [ "$1" = 0 ]; then echo "fd14::$2"	# as inet_ntop writes it
	else echo "fd14:$1::$2"; fi
}
loc_router_addr() { loc_link_addr $(($1 - 1)) 2 "$2"; }
loc_server_addr() { loc_link_addr "$LOC_ROUTERS" 2 "$1"; }

# loc_wire NODE IF LINK SIDE: addresses of both families on NODE's IF.
loc_wire() {
	ip -n "$(lab_ns "$1")" addr add "$(loc_link_addr "$3" "$4" 4)/24" dev "$2" &&
	ip -n "$(lab_ns "$1")" -6 addr add "$(loc_link_addr "$3" "$4" 6)/64" \
		dev "$2" nodad
}

# loc_route NODE LINK VIA_LINK VIA_SIDE: LINK's prefixes through a neighbour.
loc_route() {
	ip -n "$(lab_ns "$1")" route add "10.14.$2.0/24" \
		via "$(loc_link_addr "$3" "$4" 4)" &&
	ip -n "$(lab_ns "$1")" -6 route add "fd14:$2::/64" \
		via "$(loc_link_addr "$3" "$4" 6)"
}

loc_node_up() {
	ip netns add "$(lab_ns "$1")" || return 1
	LAB_MADE="$LAB_MADE $1"
	lab_sysctl "$1" net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 &&
	ip -n "$(lab_ns "$1")" link set lo up
}

# loc_router_up I: router I's routes to every link but its own two.
loc_router_up() {
	lab_sysctl "r$1" net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
		net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0 || return 1
	for _j in $(seq 0 "$LOC_ROUTERS"); do
		if [ "$_j" -lt $(($1 - 1)) ]; then
			loc_route "r$1" "$_j" $(($1 - 1)) 1 || return 1
		elif [ "$_j" -gt "$1" ]; then
			loc_route "r$1" "$_j" "$1" 2 || return 1
		fi
	done
}

loc_up() {
	lab_need_root || return 1
	LAB_TMP=$(mktemp -d "${TMPDIR:-/tmp}/$LAB_PREFIX.XXXXXX") || return 1
	LAB_IS_UP=1
	_prev=client _pif=eth0
	loc_node_up client || return 1
	for _r in $(loc_routers) server; do
		loc_node_up "$_r" || return 1
		_if=c0; [ "$_r" = server ] && _if=eth0
		_i=${_r#r}; [ "$_r" = server ] && _i=$((LOC_ROUTERS + 1))
		lab_link "$_prev" "$_pif" "$_r" "$_if" &&
		loc_wire "$_prev" "$_pif" $((_i - 1)) 1 &&
		loc_wire "$_r" "$_if" $((_i - 1)) 2 &&
		lab_csum_off "$_prev" "$_pif" && lab_csum_off "$_r" "$_if" ||
			{ lab_log "cannot wire $_prev to $_r"; return 1; }
		_prev=$_r _pif=s0
	done
	ip -n "$(lab_ns client)" route add default via 10.14.0.2 &&
	ip -n "$(lab_ns client)" -6 route add default via fd14:0::2 &&
	ip -n "$(lab_ns server)" route add default \
		via "$(loc_link_addr "$LOC_ROUTERS" 1 4)" &&
	ip -n "$(lab_ns server)" -6 route add default \
		via "$(loc_link_addr "$LOC_ROUTERS" 1 6)" || return 1
	for _i in $(seq 1 "$LOC_ROUTERS"); do
		loc_router_up "$_i" || { lab_log "cannot route r$_i"; return 1; }
	done
	lab_spawn server srv "$LAB_PY" "$LOC_DIR/server.py" "$LOC_PORT" &&
	lab_wait_log srv '^ready' 5
}

# loc_build_injector: tests/lab/inject.c into LAB_TMP, once.
loc_build_injector() {
	[ -x "$LAB_TMP/inject" ] && return 0
	${CC:-cc} -O2 -I"$LAB_DIR/../../src" -o "$LAB_TMP/inject" "$LAB_DIR/inject.c" ||
		{ lab_log "cannot build the injector"; return 1; }
}

# loc_inject NODE MODE [-R]: sniff NODE's client-facing side and reset
# every connection whose payload holds LOC_KEYWORD; in-path also drops
# what starts with it (nft matches the payload's first bytes only).
loc_inject() {
	_node=$1 _mode=$2; shift 2
	loc_build_injector || return 1
	LOC_INJ_NODE=$_node
	if [ "$_mode" = in ]; then
		_hex=$(printf %s "$LOC_KEYWORD" | od -An -tx1 | tr -d ' \n')
		lab_in "$_node" nft -f - <<-EOF || return 1
		table inet locdrop {
			chain forward {
				type filter hook forward priority 0;
				tcp dport $LOC_PORT @ih,0,$((${#LOC_KEYWORD} * 8)) 0x$_hex drop
			}
		}
		EOF
	fi
	lab_spawn "$_node" inj "$LAB_TMP/inject" -i c0 -k "$LOC_KEYWORD" -c \
		-p "$LOC_PORT" "$@" &&
	lab_wait_log inj '^ready' 5
}

loc_uninject() {
	[ -n "$LOC_INJ_NODE" ] || return 0
	if [ -f "$LAB_TMP/inj.pid" ]; then
		lab_kill inj TERM
		lab_wait inj 5
		rm -f "$LAB_TMP/inj.pid" "$LAB_TMP/inj.rc"
	fi
	lab_in "$LOC_INJ_NODE" nft delete table inet locdrop 2>/dev/null
	LOC_INJ_NODE=
	return 0
}
