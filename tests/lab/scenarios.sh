# tests/lab/scenarios.sh: one function per kind of TCP reset, sourced after
# lib.sh on a lab that is up.  POSIX sh.
#
#   scn_NAME FAMILY     FAMILY is 4 or 6
#
# Each makes exactly the resets its name says, on its own server port
# (7001..7023; the client binds 41001..41023) so flows stay apart in one
# capture, checks that the kernel really reset the connection, and, when
# LAB_EXPECT names a file, appends one line per reset to it:
#
#   scenario family src sport dst dport client_origin client_cause
#   gw_origin gw_cause sender
#
# naming what the analyser should report at the client capture (eth0)
# and at the gateway capture (-i any), "-" where a capture point cannot
# see that reset, and the node that really sent it (ground truth).  Everything waits on a condition, never on a guess, and
# every wait is bounded.

SCENARIOS="refused abort unread after_fin gw_reject_syn gw_reject_keyword
mbox_reject_syn mbox_reject_keyword inject stale reuse inject_ttl gfw1 gfw2
ttl128 ttl255 challenge dnat payload_rst perfect
inject_far"

SCN_GW_KEYWORD=GWBLOCK		# must start the payload (nft @ih match)
SCN_MBOX_KEYWORD=MBOXBLOCK	# anywhere in the payload (xt_string)
SCN_INJECT_KEYWORD=FORBIDDEN	# anywhere in the payload (inject.c)
SCN_LOST_KEYWORD=LOSTDATA	# must start the payload (nft drop on mbox)
SCN_INJECT_DELAY=300		# ms before the forged RST to the server
SCN_REPLY_DELAY=10		# ms the server waits before its genuine reply

# scn_setvars FAMILY PORT: the flow's addresses and ports.
scn_setvars() {
	scn_fam=ipv$1
	scn_cli=$(lab_addr client "$1")
	scn_srv=$(lab_addr server "$1")
	scn_sport=$((41000 + $2 - 7000))
	scn_port=$2
}

# scn_expect SCENARIO FROM CLIENT_VIEW GW_VIEW SENDER: record one reset;
# FROM is "server" or "client" (whose address the RST carries), a view is
# ORIGIN/CAUSE or "-/-", SENDER the node that made it.
scn_expect() {
	[ -n "${LAB_EXPECT:-}" ] || return 0
	if [ "$2" = server ]; then
		_e="$scn_srv	$scn_port	$scn_cli	$scn_sport"
	else
		_e="$scn_cli	$scn_sport	$scn_srv	$scn_port"
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$scn_fam" "$_e" \
		"${3%/*}" "${3#*/}" "${4%/*}" "${4#*/}" "$5" >>"$LAB_EXPECT"
}

scn_expect_header() {
	printf '# scenario\tfamily\tsrc\tsport\tdst\tdport\tclient_origin\tclient_cause\tgw_origin\tgw_cause\tsender\n'
}

# scn_serve TAG MODE [ARGS...]: start the server peer (on node
# SCN_SERVER_NODE, default server) and wait until it listens.
scn_serve() {
	_t=$1 _m=$2; shift 2
	lab_spawn "${SCN_SERVER_NODE:-server}" "$_t" "$LAB_PY" \
		"$LAB_DIR/peer.py" serve "$_m" \
		--addr "$scn_srv" --port "$scn_port" "$@" &&
	lab_wait_log "$_t" '^ready'
}

# scn_connect TAG MODE [ARGS...]: start the client peer.
scn_connect() {
	_t=$1 _m=$2; shift 2
	lab_spawn client "$_t" "$LAB_PY" "$LAB_DIR/peer.py" connect "$_m" \
		--addr "$scn_srv" --port "$scn_port" --sport "$scn_sport" "$@"
}

# scn_done TAG...: wait for each peer to end; fail, with its log, unless
# it saw what its scenario expects.
scn_done() {
	for _t in "$@"; do
		lab_wait "$_t" 10 && continue
		lab_log "$_t failed:"
		lab_show "$_t"
		return 1
	done
}

# scn_nft NODE RULE...: add a rule to the node's own table inet labfw
# (forward hook), creating the table on first use.
scn_nft() {
	_n=$1; shift
	lab_in "$_n" nft -f - <<EOF
table inet labfw {
	chain forward {
		type filter hook forward priority filter; policy accept;
	}
}
add rule inet labfw forward $*
EOF
}

# 1. A SYN to a closed port: the server's kernel answers RST|ACK.
scn_refused() {
	scn_setvars "$1" 7001
	scn_connect c-refused refused && scn_done c-refused &&
	scn_expect refused server endpoint/refused endpoint/refused server
}

# 2. Data both ways, then the server closes with SO_LINGER {1, 0}.
scn_abort() {
	scn_setvars "$1" 7002
	scn_serve s-abort abort &&
	scn_connect c-abort reset --payload bye &&
	scn_done c-abort s-abort &&
	scn_expect abort server endpoint/abort endpoint/abort server
}

# 3. The server closes with the client's last data unread.
scn_unread() {
	scn_setvars "$1" 7003
	scn_serve s-unread unread &&
	scn_connect c-unread reset --payload "data the server never reads" &&
	scn_done c-unread s-unread &&
	scn_expect unread server endpoint/abort endpoint/abort server
}

# 4. The server sends its reply and FIN; the client closes with the reply
# unread, so it answers with RST after the FIN exchange began.
scn_after_fin() {
	scn_setvars "$1" 7004
	scn_serve s-fin fin &&
	scn_connect c-fin after-fin &&
	scn_done c-fin s-fin &&
	scn_expect after-fin client endpoint/after-fin endpoint/after-fin client
}

# 5. The gateway rejects the SYN with a reset that claims to come from
# the server (a server is listening, so a wrong rule would show).
scn_gw_reject_syn() {
	scn_setvars "$1" 7005
	scn_nft gw "tcp dport $scn_port reject with tcp reset" &&
	scn_serve s-gwsyn listen --go "$(lab_gofile gwsyn)" &&
	scn_connect c-gwsyn refused && scn_done c-gwsyn &&
	lab_go gwsyn && scn_done s-gwsyn &&
	scn_expect gw-reject-syn server middlebox/reject local/reject gw
}

# 6. The gateway resets an established connection when a client segment
# starts with a keyword (nft raw payload match on the inner header).
scn_gw_reject_keyword() {
	scn_setvars "$1" 7006
	_hex=$(printf %s "$SCN_GW_KEYWORD" | od -An -tx1 | tr -d ' \n')
	scn_nft gw "tcp dport $scn_port @ih,0,$((${#SCN_GW_KEYWORD} * 8))" \
		"0x$_hex reject with tcp reset" &&
	scn_serve s-gwkw hold --go "$(lab_gofile gwkw)" &&
	scn_connect c-gwkw reset --payload "$SCN_GW_KEYWORD this request" &&
	scn_done c-gwkw && lab_go gwkw && scn_done s-gwkw &&
	scn_expect gw-reject-keyword server middlebox/reject local/reject gw
}

# 7a. The middlebox (an in-path L3 firewall) rejects the SYN.
scn_mbox_reject_syn() {
	scn_setvars "$1" 7007
	scn_nft mbox "tcp dport $scn_port reject with tcp reset" &&
	scn_serve s-mbsyn listen --go "$(lab_gofile mbsyn)" &&
	scn_connect c-mbsyn refused && scn_done c-mbsyn &&
	lab_go mbsyn && scn_done s-mbsyn &&
	scn_expect mbox-reject-syn server middlebox/reject middlebox/reject mbox
}

# 7b. The middlebox resets an established connection on a keyword found
# anywhere in a client segment (iptables-nft string match).
scn_mbox_reject_keyword() {
	scn_setvars "$1" 7008
	_ipt=iptables; [ "$1" = 6 ] && _ipt=ip6tables
	_rule="FORWARD -p tcp --dport $scn_port -m string --algo bm
		--string $SCN_MBOX_KEYWORD -j REJECT --reject-with tcp-reset"
	# shellcheck disable=SC2086
	{ lab_in mbox "$_ipt" -C $_rule 2>/dev/null ||
		lab_in mbox "$_ipt" -A $_rule; } &&
	scn_serve s-mbkw hold --go "$(lab_gofile mbkw)" &&
	scn_connect c-mbkw reset --payload "GET /?q=$SCN_MBOX_KEYWORD" &&
	scn_done c-mbkw && lab_go mbkw && scn_done s-mbkw &&
	scn_expect mbox-reject-keyword server middlebox/reject middlebox/reject mbox
}

# scn_build_injector: compile inject.c into LAB_TMP once per lab.
scn_build_injector() {
	[ -x "$LAB_TMP/inject" ] && return 0
	${CC:-cc} -std=gnu11 -O2 -Wall -Wextra -I"$LAB_DIR/../../src" \
		-o "$LAB_TMP/inject" \
		"$LAB_DIR/inject.c" ||
		{ lab_log "cannot build inject.c"; return 1; }
}

# 8. An on-path injector on the middlebox sees a keyword in the client's
# request and forges three RSTs to the client (server's address) at once,
# and one to the server 300 ms later.  The real request still reaches
# the server, whose genuine reply (10 ms later) reaches the client after
# the forged RST; the client, whose socket is gone, answers that reply
# with its own RST.  The client's and the gateway's captures cannot see
# the forged RST to the server (it leaves the middlebox toward the server).
scn_inject() {
	scn_setvars "$1" 7009
	scn_inject_run inject inject "mbox mbox mbox"
}

# scn_inject_run TAG SCENARIO "SENDER..." [INJECT_ARGS...]: the injector
# on mbox (or SCN_INJECT_NODE, sniffing SCN_INJECT_IF, default g0), the
# server's late reply (never before the injector's RSTs are out: its go
# file), the client reset; expect.tsv gets the forged RSTs to the client
# (one per SENDER, in order), the client's answer to the genuine reply,
# and the forged RST to the server that no capture point sees.
scn_inject_run() {
	_it=$1 _is=$2 _snds=$3; shift 3
	scn_build_injector || return 1
	_sent=$(lab_gofile "i-$_it")
	lab_spawn "${SCN_INJECT_NODE:-mbox}" "i-$_it" "$LAB_TMP/inject" \
		-i "${SCN_INJECT_IF:-g0}" "$@" -o "$_sent" \
		-k "$SCN_INJECT_KEYWORD" -p "$scn_port" -d "$SCN_INJECT_DELAY" -t 60 &&
	lab_wait_log "i-$_it" '^ready' &&
	scn_serve "s-$_it" late --delay "$SCN_REPLY_DELAY" --go "$_sent" &&
	scn_connect "c-$_it" reset \
		--payload "GET /?q=$SCN_INJECT_KEYWORD HTTP/1.0" &&
	scn_done "c-$_it" "s-$_it" &&
	lab_wait_log "i-$_it" 'RST to the server' 5 &&
	lab_kill "i-$_it" && scn_done "i-$_it" || return 1
	for _snd in $_snds; do
		scn_expect "$_is" server middlebox/injected middlebox/injected "$_snd"
	done
	scn_expect "$_is-late-reply" client endpoint/stale endpoint/stale client
	scn_expect "$_is-to-server" client -/- -/- "${SCN_INJECT_NODE:-mbox}"
}

# 9. The server vanishes silently (its socket removed in TCP repair mode,
# as if the host had crashed); the client then sends data and the
# server's kernel answers with a stateless RST.
scn_stale() {
	scn_setvars "$1" 7010
	scn_serve s-stale vanish &&
	scn_connect c-stale stale --go "$(lab_gofile stale)" &&
	scn_done s-stale && lab_go stale && scn_done c-stale &&
	scn_expect stale server endpoint/stale endpoint/stale server
}

# 10. The client vanishes (TCP repair mode, as if it rebooted) and
# connects again from the same port while the server still holds the old
# connection: the server answers the SYN with a challenge ACK (RFC 5961
# 4.2), the client's kernel in SYN-SENT answers that with R seq=SEG.ACK
# (RFC 9293 3.10.7.3), which resets the old connection, retransmits its
# SYN a second later, and the new connection proceeds.  The R is the
# client's own (issue 9): its later data belongs to another incarnation.
scn_reuse() {
	scn_setvars "$1" 7011
	scn_serve s-reuse reuse &&
	scn_connect c-reuse reuse && scn_done c-reuse s-reuse &&
	scn_expect synsent-reuse client endpoint/stale endpoint/stale client
}

# 11. The injector of 8, copying the server's TTL (issue 9): its RSTs
# leave mbox with the TTL the server's packets leave it with, so they
# reach the client and gw with the server's TTL; one fixed IPv4 ID
# (0x5a5a) on each, DF clear, the burst spread as before.  A matching
# TTL must not make them the server's.
scn_inject_ttl() {
	scn_setvars "$1" 7012
	scn_inject_run injttl inject-ttl \
		"mbox-as-server mbox-as-server mbox-as-server" -T
}

# 12. GFW type 1 (inject.c -G 1): three RSTs without ACK, all at the
# client's rcv_nxt, leaving mbox with TTLs 47, 112 and 201 (the sender
# NODE@TTL names the TTL it leaves with), random IDs and windows.  The
# first resets the client; the server's genuine reply follows.
scn_gfw1() {
	scn_setvars "$1" 7013
	scn_inject_run gfw1 gfw-type1 "mbox@47 mbox@112 mbox@201" -G 1
}

# 13. GFW type 2 (inject.c -G 2): three RST|ACKs at the trigger's ack,
# +1460, +4380, TTL 100, 101, 102 and the window counting up by one.
scn_gfw2() {
	scn_setvars "$1" 7014
	scn_inject_run gfw2 gfw-type2 "mbox@100 mbox@101 mbox@102" -G 2
}

# scn_ttl_host FAMILY TTL: a second server host on the server's link,
# its own address sending with initial TTL (hop limit) TTL, as a Windows
# stack (128) or a router's (255) does: the address is added to the
# server's eth0, and a policy route from it carries `hoplimit TTL`, which
# the kernel's sockets and its stateless RSTs both take.  Sets scn_srv.
scn_ttl_host() {
	_h=$(( $2 == 128 ? 128 : 254 ))
	if [ "$1" = 4 ]; then
		scn_srv=10.0.3.$_h _via=10.0.3.1 _len=24 _v=-4 _dad=
	else
		scn_srv=fd00:3::$_h _via=fd00:3::1 _len=64 _v=-6 _dad=nodad
	fi
	ip -n "$(lab_ns server)" $_v rule show | grep -q "from $scn_srv " &&
		return 0
	ip -n "$(lab_ns server)" $_v addr add "$scn_srv/$_len" dev eth0 $_dad &&
	# Tables 253-255 are the kernel's own: 1000 + TTL is ours.
	ip -n "$(lab_ns server)" $_v route add default via $_via \
		table $((1000 + $2)) hoplimit "$2" &&
	ip -n "$(lab_ns server)" $_v rule add from "$scn_srv" \
		table $((1000 + $2)) ||
		{ lab_log "cannot add server address $scn_srv (ttl $2)"; return 1; }
}

# scn_ttl_stack FAMILY TTL PORT: on that host, an abort (SO_LINGER
# {1, 0} after data) and a refused SYN (PORT + 1, nothing listens): the
# stack's own resets, which must stay the endpoint's whatever its TTL.
scn_ttl_stack() {
	scn_setvars "$1" "$3" && scn_ttl_host "$1" "$2" &&
	scn_serve "s-ttl$2" abort &&
	scn_connect "c-ttl$2" reset --payload bye &&
	scn_done "c-ttl$2" "s-ttl$2" || return 1
	scn_expect "abort-ttl$2" server endpoint/abort endpoint/abort "server@$2"
	scn_setvars "$1" $(($3 + 1)) && scn_ttl_host "$1" "$2" &&
	scn_connect "c-ref$2" refused && scn_done "c-ref$2" &&
	scn_expect "refused-ttl$2" server endpoint/refused endpoint/refused \
		"server@$2"
}

# 14. A server stack with initial TTL 128 (10.0.3.128, fd00:3::128),
# ports 7015 (abort) and 7016 (refused).
scn_ttl128() {
	scn_ttl_stack "$1" 128 7015
}

# 15. A server stack with initial TTL 255 (10.0.3.254, fd00:3::254),
# ports 7017 (abort) and 7018 (refused).
scn_ttl255() {
	scn_ttl_stack "$1" 255 7017
}

# scn_netstat NODE COUNTER: a TcpExt counter of NODE's namespace.
scn_netstat() {
	lab_in "$1" awk -v c="$2" '/^TcpExt:/ {
		if (!n) { for (i = 1; i <= NF; i++) if ($i == c) n = i }
		else print $n }' /proc/net/netstat
}

# 16. RFC 5961 challenge ACK, genuine stacks only (port 7019).  mbox
# drops the client's segment that starts with LOSTDATA; the client
# aborts at once (SO_LINGER 0), so its RST's seq is its snd_nxt, past
# the server's rcv_nxt by the lost bytes: in the window, not exact.  The
# server's kernel answers with a challenge ACK (its TCPChallengeACK
# counter must grow), the client's kernel, socket gone, answers that with
# R seq = its ack, which resets the server.  Both RSTs are the client's.
scn_challenge() {
	scn_setvars "$1" 7019
	_hex=$(printf %s "$SCN_LOST_KEYWORD" | od -An -tx1 | tr -d ' \n')
	scn_nft mbox "tcp dport $scn_port @ih,0,$((${#SCN_LOST_KEYWORD} * 8))" \
		"0x$_hex drop" &&
	_n0=$(scn_netstat server TCPChallengeACK) &&
	scn_serve s-chal challenge &&
	scn_connect c-chal lost-abort --payload "$SCN_LOST_KEYWORD never arrives" &&
	scn_done c-chal s-chal || return 1
	_n1=$(scn_netstat server TCPChallengeACK)
	[ "$_n1" -gt "$_n0" ] ||
		{ lab_log "challenge: the server sent no challenge ACK"; return 1; }
	scn_expect challenge-abort client endpoint/abort endpoint/abort client
	scn_expect challenge-answer client endpoint/stale endpoint/stale client
}

# 17. A server behind NAT on the gateway (port 7020): the client
# connects to gw's own address, gw's nft DNAT sends it on to the server,
# which aborts (SO_LINGER {1, 0}).  gw un-NATs the RST after its forward
# hook, so its capture holds two flows: the copy arriving from the server
# (server -> client) and the one leaving as gw's address (gw -> client),
# the only one the client sees; the daemon sees the first.  Both are the
# server's own reset.
scn_dnat() {
	scn_setvars "$1" 7020
	_ip=ip; [ "$1" = 6 ] && _ip=ip6
	lab_in gw nft -f - <<EOF || return 1
table inet labnat {
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
	}
}
add rule inet labnat prerouting $_ip daddr $(lab_addr gw "$1") tcp dport $scn_port dnat $_ip to $scn_srv
EOF
	scn_serve s-dnat abort &&
	scn_connect c-dnat reset --payload bye --addr "$(lab_addr gw "$1")" &&
	scn_done c-dnat s-dnat || return 1
	scn_expect abort-dnat-inside server -/- endpoint/abort server
	scn_srv=$(lab_addr gw "$1")
	scn_expect abort-dnat server endpoint/abort endpoint/abort server
}

# 18. A RST with a payload (port 7021): the server resets the client
# with a RST|ACK that says why in its data, which the kernel cannot send:
# peer.py crafts it as the server's stack would (its TTL, DF, next IP
# ID, flow label, window, timestamps; seq = snd_nxt, ack = rcv_nxt),
# after removing its socket silently.  The server's own reset.
scn_payload_rst() {
	scn_setvars "$1" 7021
	scn_serve s-payload payload-rst &&
	scn_connect c-payload reset --payload bye &&
	scn_done c-payload s-payload &&
	scn_expect payload-rst server endpoint/abort endpoint/abort server
}

# 19. The perfect injector (inject.c -P, port 7022): one RST|ACK to the
# client at the exact seq, with what the server's last packet leaving
# mbox had (TTL, DF, flow label, window, the next IP ID, its timestamp,
# the trigger's echoed): no fingerprint tells it from the server's own.
# The server's genuine reply, 10 ms later, is the race that shows it.
scn_perfect() {
	scn_setvars "$1" 7022
	scn_inject_run perfect inject-perfect mbox-as-server -P
}

# scn_far_up: once per lab, a branch of two more routers behind mbox
# and a server at its end, both families:
#
#   mbox [f0] 10.0.4.1 -- [m0] r1 [r0] 10.0.5.1 -- [q0] r2 [s0] 10.0.6.1
#     -- [eth0] far 10.0.6.2 (fd00:4::, fd00:5::, fd00:6:: alike)
#
# so far's packets reach the client through four routers (TTL 60), and
# an injector on r2 sits three routers from the client.  Only this
# scenario's packets take the branch: every other path stays as it was.
scn_far_up() {
	ip netns pids "$(lab_ns far)" >/dev/null 2>&1 && return 0
	for _n in r1 r2 far; do lab_node $_n || return 1; done
	for _n in r1 r2; do
		lab_sysctl $_n net.ipv4.ip_forward=1 \
			net.ipv6.conf.all.forwarding=1 || return 1
	done
	lab_link mbox f0 r1 m0 && lab_link r1 r0 r2 q0 &&
	lab_link r2 s0 far eth0 || return 1
	# node interface host-number subnet: 10.0.N.H/24, fd00:N::H/64
	for _a in "mbox f0 1 4" "r1 m0 2 4" "r1 r0 1 5" "r2 q0 2 5" \
		"r2 s0 1 6" "far eth0 2 6"; do
		set -- $_a
		lab_ip "$1" "$2" "10.0.$4.$3/24" "fd00:$4::$3/64" || return 1
	done
	# node via-host via-subnet prefix4 prefix6
	for _r in "gw 2 2 10.0.6.0/24 fd00:6::/64" "mbox 2 4 10.0.6.0/24 fd00:6::/64" \
		"r1 1 4 default default" "r1 2 5 10.0.6.0/24 fd00:6::/64" \
		"r2 1 5 default default" "far 1 6 default default"; do
		set -- $_r
		lab_route "$1" "$4" "10.0.$3.$2" "$5" "fd00:$3::$2" ||
			{ lab_log "cannot route the far branch"; return 1; }
	done
	lab_csum_off mbox f0 && lab_csum_off r1 m0 r0 &&
	lab_csum_off r2 q0 s0 && lab_csum_off far eth0
}

# 20. An injector three routers away (port 7023): the inject.c of 7009
# on r2, sniffing the client's request as it arrives from r1, toward the
# server far; its RSTs reach the client with TTL 61, far's packets with
# 60.  Then the late reply and the client's stale RST, as in 7009.
scn_inject_far() {
	scn_setvars "$1" 7023
	scn_far_up || return 1
	[ "$1" = 4 ] && scn_srv=10.0.6.2 || scn_srv=fd00:6::2
	SCN_INJECT_NODE=r2 SCN_INJECT_IF=q0 SCN_SERVER_NODE=far
	scn_inject_run far inject-far "r2 r2 r2"
	_rc=$?
	unset SCN_INJECT_NODE SCN_INJECT_IF SCN_SERVER_NODE
	return $_rc
}

# scn_all FAMILY: every scenario in order.
scn_all() {
	for _scn in $SCENARIOS; do
		"scn_$_scn" "$1" ||
			{ lab_log "scenario $_scn (IPv$1) failed"; return 1; }
	done
}
