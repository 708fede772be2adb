#!/bin/sh
# tests/live/nft_test.sh: rstaudit's nftables table (src/nft*.c) against the
# running kernel, in network namespaces of its own (rsn<pid>-*), deleted on
# exit.  Must run as root: it fails, it does not skip.  POSIX sh.
#
#   sh tests/live/nft_test.sh            run
#   REGEN=1 sh tests/live/nft_test.sh    rewrite tests/live/rstaudit.expected
#   DEBUG=1 sh tests/live/nft_test.sh    show gw's counters and conntrack
#                                        after each traffic phase
#
# 1. detection, install, the stored dump, rules/rstaudit.nft, nft_render;
# 2. the owner flag, clean removal, other tables, a foreign rstaudit table;
# 3. a client - gw - server line: the rule counters on gw show what would
#    be queued (no consumer is needed: bypass lets packets through).

set -u
cd "$(dirname "$0")/../.." || exit 1

LAB_PREFIX=${LAB_PREFIX:-rsn$$}
LAB_DIR=$(pwd)/tests/lab
. tests/lab/lib.sh
TALLY=nft . tests/lib/tally.sh
P=$LAB_PREFIX
PY=$LAB_PY
EXPECTED=tests/live/rstaudit.expected
RULES=rules/rstaudit.nft

lab_trap
lab_begin || { fail "cannot run here: root and the lab's tools are needed"; finish; }
for _t in cc pkg-config; do
	command -v "$_t" >/dev/null 2>&1 || { fail "missing tool: $_t"; finish; }
done
T=$LAB_TMP

# list NS [FAMILY TABLE]: the table as nft prints it (stderr has the
# libxtables and "managed by iptables-nft" noise an xt target brings).
list() { lab_in "$1" nft list table "${2:-inet}" "${3:-rstaudit}" 2>/dev/null; }
# norm: handles, owner's progname and counter values out; a native
# queue statement in the form nft also prints for the xt target.
norm() {
	sed -E -e 's/ # handle [0-9]+//' -e 's/ # progname .*//' \
	    -e 's/counter packets [0-9]+ bytes [0-9]+/counter/' \
	    -e 's/queue flags ([a-z,]+) to ([0-9-]+)/queue num \2 \1/' | settype
}
# settype: the guard's sets in one form.  The file declares them with
# `typeof ... ip ttl` (nft then lists the TTL as integer); the daemon
# types the TTL icmp_code, a one-byte type nft can sort and print.
settype() {
	sed -E -e 's/typeof ip saddr \. tcp sport \. ip daddr \. tcp dport \. ip ttl/type ipv4_addr . inet_service . ipv4_addr . inet_service . ttl/' \
	    -e 's/typeof ip6 saddr \. tcp sport \. ip6 daddr \. tcp dport \. ip6 hoplimit/type ipv6_addr . inet_service . ipv6_addr . inet_service . ttl/' \
	    -e 's/inet_service \. (integer|icmp_code)$/inet_service . ttl/'
}
no_owner() { sed -e '/^\tflags owner$/{N;d}'; }
# text: an nft file or render output as bare statements.
text() {
	sed -E -e 's/^[[:space:]]+//' -e '/^#/d' -e '/^$/d' \
	    -e '/^(delete )?table inet rstaudit$/d' | settype
}

pid() { eval echo "\$PID_$1"; }
# start NS NAME ARGS...: nft_tool ARGS run in NS, in the background.
start() {
	_ns=$1 _name=$2; shift 2
	# not through lab_in: $! must be the tool (ip netns exec execs it)
	ip netns exec "$P-$_ns" "$T/nft_tool" "$@" run \
	    >"$T/$_name.out" 2>"$T/$_name.err" &
	eval "PID_$_name=$!"
	for _i in $(seq 50); do
		grep -q '^ready' "$T/$_name.out" 2>/dev/null && return 0
		kill -0 "$(pid "$_name")" 2>/dev/null || break
		sleep 0.1
	done
	cat "$T/$_name.err" >&2
	return 1
}
# gone NS: the table disappears within two seconds.
gone() {
	for _i in $(seq 20); do
		list "$1" >/dev/null || return 0
		sleep 0.1
	done
	return 1
}

# --- build ------------------------------------------------------------
CF="-std=gnu11 -Wall -Wextra -Wshadow -Wstrict-prototypes
    -Wmissing-prototypes -Wformat=2 -Wwrite-strings -Wno-format-nonliteral
    -Werror -D_GNU_SOURCE -Isrc"
# shellcheck disable=SC2046,SC2086
if cc $CF -o "$T/nft_tool" tests/live/nft_tool.c src/nft.c src/nftrule.c src/nftguard.c \
    src/nftrender.c src/log.c \
    $(pkg-config --cflags --libs libnftnl libmnl) 2>"$T/cc.err"; then
	pass "build nft_tool"
else
	cat "$T/cc.err"; fail "build nft_tool"; finish
fi
if cc $CF -O2 -o "$T/rstflood" bench/rstflood.c 2>"$T/cc.err"; then
	pass "build rstflood"
else
	cat "$T/cc.err"; fail "build rstflood"; finish
fi

# --- 1. detection ----------------------------------------------------------
lab_node d || { fail "create namespace"; finish; }
if lab_in d "$T/nft_tool" detect >"$T/caps" 2>"$T/detect.err"; then
	pass "detect: $(tr '\n' ' ' <"$T/caps")"
else
	cat "$T/detect.err"; fail "detect"; finish
fi
queue_native=0 table_owner=0 compat_inet=0 compat_ip=0
# shellcheck disable=SC1091
. "$T/caps"
check_eq "detect commits nothing" "$(lab_in d nft list ruleset | wc -l)" 0
# The truth about the native queue, from nft itself.
lab_in d nft add table inet probe && lab_in d nft add chain inet probe c
if lab_in d nft add rule inet probe c queue num 0 bypass 2>/dev/null; then
	nq=1
else
	nq=0
fi
lab_in d nft delete table inet probe
check_eq "detect: native queue as nft finds it" "$queue_native" "$nq"
check "detect: some way to queue" [ "$queue_native$compat_inet$compat_ip" != 000 ]

# --- 1. install, stored dump, expressions ------------------------------------
lab_node a
if start a A; then pass "install"; else fail "install"; finish; fi
list a | norm >"$T/a.list"
if [ "${REGEN:-0}" = 1 ]; then
	cp "$T/a.list" "$EXPECTED" && echo "regenerated $EXPECTED"
fi
if [ "$table_owner" = 1 ]; then
	cp "$EXPECTED" "$T/expected"
else
	no_owner <"$EXPECTED" >"$T/expected"	# kernels before 5.12
fi
check "listing matches $EXPECTED" diff -u "$T/expected" "$T/a.list"
lab_in a nft --debug=netlink list table inet rstaudit >"$T/a.netlink" 2>/dev/null
if [ "$queue_native" = 1 ]; then
	q='\[ queue num 0 .*bypass'
else
	q='\[ target name NFQUEUE rev 3 \]'
fi
check_eq "6 rules queue with $( [ "$queue_native" = 1 ] && echo 'nft queue' ||
    echo 'xt NFQUEUE rev 3')" "$(grep -c "$q" "$T/a.netlink")" 6
check_eq "every rule, the log and guard rules too, matches TCP first" \
    "$(grep -A1 'meta load l4proto' "$T/a.netlink" | grep -c 'cmp eq reg 1 0x00000006')" 29
check_eq "3 unmark chains, one priority after the table's, one rule each" \
    "$(grep -c 'priority mangle + 1; policy accept;$' "$T/a.list") $(grep -c 'meta mark & 0x40000000 != 0x00000000 meta mark set meta mark & 0xbfffffff$' "$T/a.list")" "3 3"
check_eq "9 rules set the packet mark: clear the bit of every RST (3), set it on a RST conntrack did not take (3), clear it after (3)" \
    "$(grep -c '\[ meta set mark with reg 1 \]' "$T/a.netlink")" 9
check_eq "11 rules log to NFLOG group 100 (9, and the guard's 2), never queue" \
    "$(grep -c '\[ log group 100 ' "$T/a.netlink")" 11
check_eq "3 rules mark the RSTs conntrack did not take (ct state invalid)" \
    "$(grep -c 'ct state invalid counter meta mark set meta mark | 0x40000000$' "$T/a.list")" 3
check_eq "no RST conntrack did not take is copied to NFLOG (invalid_mark)" \
    "$(grep -c 'rstaudit invalid' "$T/a.list")" 0
check_eq "3 rules note the RSTs that made conntrack delete their entry (ct status dying)" \
    "$(grep -c '\[ log prefix rstaudit deleted group 100 ' "$T/a.netlink")" 3
check_eq "the guard: 2 rules drop what its sets hold, before conntrack" \
    "$(grep -c '\[ lookup reg 1 set forged[46] ' "$T/a.netlink")" 2
check_eq "every RST marks its connection before it is queued (3 chains)" \
    "$(grep -c '\[ ct set mark with reg 1 \]' "$T/a.netlink")" 3
if [ "$table_owner" = 1 ]; then
	check "table flagged owner" grep -q '^	flags owner$' "$T/a.list"
fi

# --- 1. rules/rstaudit.nft and nft_render ------------------------------------
lab_node b
list a | norm | no_owner >"$T/a.noowner"
if [ "$queue_native" = 1 ]; then
	lab_in b nft -f "$RULES" && list b | norm >"$T/b.list"
else
	# Not loadable here: prove it, then load it with each queue
	# statement as `accept` and put the statement back in the listing.
	if lab_in b nft -f "$RULES" 2>/dev/null; then
		fail "$RULES loads without the native queue"
	else
		pass "$RULES refused without the native queue, as documented"
	fi
	check_eq "refused file left nothing" "$(lab_in b nft list ruleset | wc -l)" 0
	qs=$(grep -Eo 'queue num [0-9-]+ [a-z,]+' "$RULES" | sort -u)
	check_eq "one queue statement in $RULES" "$(echo "$qs" | wc -l)" 1
	sed -E "s/$qs\$/accept/" "$RULES" >"$T/accept.nft"
	lab_in b nft -f "$T/accept.nft" &&
	    list b | norm | sed -E "/log group/!s/ accept\$/ $qs/" >"$T/b.list"
fi
check "installed table = $RULES loaded by nft (listings)" \
    diff -u "$T/b.list" "$T/a.noowner"
"$T/nft_tool" render | text >"$T/render.txt"
text <"$RULES" >"$T/rules.txt"
check "nft_render = $RULES" diff -u "$T/rules.txt" "$T/render.txt"
"$T/nft_tool" -q 2 -t 4 -F -l 5 -m 0x100 render >"$T/render2.nft"
check "nft_render shards by CPU with fanout" \
    grep -q 'meta l4proto tcp jhash meta cpu mod 4 seed 0x0 3 counter jump shard3' \
    "$T/render2.nft"
check "nft_render shard 3: queue 5, group 103, learn 5" sh -c "
    grep -A9 'chain shard3' $T/render2.nft | grep -q 'ct packets 1-5 counter log group 103$' &&
    grep -A9 'chain shard3' $T/render2.nft | grep -q 'counter queue num 5 bypass$'"
check "nft_render mark" grep -q 'ct mark & 0x00000100 == 0x00000100' "$T/render2.nft"
"$T/nft_tool" -i 0 render >"$T/render4.nft"
check_eq "nft_render invalid_mark 0: notes by NFLOG, no mark, no unmark chain" \
    "$(grep -c 'ct state invalid counter log prefix "rstaudit invalid" group 100$' "$T/render4.nft") $(grep -c 'meta mark' "$T/render4.nft")" "3 0"
"$T/nft_tool" -t 2 render >"$T/render3.nft"
check "nft_render shards by flow (symhash) without fanout" \
    grep -q 'meta l4proto tcp symhash mod 2 1 counter jump shard1' "$T/render3.nft"

# Shards, by flow and by CPU, list as nft_render prints them.
lab_node e
for opt in -t -F; do
	name=E$( [ "$opt" = -F ] && echo F)
	# shellcheck disable=SC2046
	if start e "$name" -q 2 -t 4 $( [ "$opt" = -F ] && echo -F); then
		"$T/nft_tool" -q 2 -t 4 $( [ "$opt" = -F ] && echo -F) render |
		    text >"$T/e.render"
		list e | norm | no_owner | text >"$T/e.list"
		check "install with 4 shards ($opt): listing = nft_render" \
		    diff -u "$T/e.render" "$T/e.list"
		kill "$(pid "$name")"; wait "$(pid "$name")"
		gone e
	else
		fail "install with 4 shards ($opt)"
	fi
done

# Where nft_compat refuses inet: one table per family (forced here).
lab_node s
if start s S -C ip; then
	pass "install as ip and ip6 tables"
	for f in ip ip6; do
		check_eq "$f rstaudit: 6 queueing rules" \
		    "$(list s $f | grep -c 'counter packets 0 bytes 0 queue num 0 bypass$')" 6
	done
	check "no inet table then" sh -c "! ip netns exec $P-s nft list table inet rstaudit 2>/dev/null"
	kill "$(pid S)"; wait "$(pid S)"
	check_eq "ip and ip6 tables removed" "$(lab_in s nft list ruleset | wc -l)" 0
else
	fail "install as ip and ip6 tables"
fi
# A rule the kernel refuses: the whole batch fails, nothing is left.
if [ "$queue_native" = 0 ]; then
	if lab_in s "$T/nft_tool" -C native run >/dev/null 2>"$T/S2.err"; then
		fail "refused rule: install must fail"
	else
		pass "refused rule: install fails"
	fi
	check "refused rule: the message names it" grep -q \
	    'cannot add rule mark of chain inet rstaudit input: No such file' "$T/S2.err"
	check_eq "refused rule: nothing left" "$(lab_in s nft list ruleset | wc -l)" 0
fi

# --- 2. owner flag, clean removal ----------------------------------------
if [ "$table_owner" = 1 ]; then
	lab_in a nft flush ruleset 2>/dev/null
	check "owner: nft flush ruleset leaves the table" list a >/dev/null
	check "owner: nft delete table refused" \
	    sh -c "! ip netns exec $P-a nft delete table inet rstaudit 2>/dev/null"
	lab_node o
	if start o O; then
		kill -9 "$(pid O)"; wait "$(pid O)" 2>/dev/null
		check "owner: killed -9, the table is gone" gone o
	else
		fail "owner: install"
	fi
fi
kill "$(pid A)"; wait "$(pid A)"; rc=$?
check_eq "clean exit: nft_remove succeeds" "$rc" 0
check "clean exit: table removed" gone a
check "clean exit: tool reported removal" grep -q '^removed' "$T/A.out"

lab_node n
if start n N -n; then
	kill "$(pid N)"; wait "$(pid N)"
	check "no owner flag: nft_remove deletes the table" gone n
fi
if lab_in n "$T/nft_tool" -n leave >/dev/null 2>&1; then
	check "no owner flag: the table outlives the process" list n >/dev/null
	lab_in n "$T/nft_tool" run >/dev/null 2>"$T/n.err"
	check "stale table: install fails with a clear message" \
	    grep -q 'table inet rstaudit already exists' "$T/n.err"
	lab_in n nft delete table inet rstaudit
fi

# --- 2. other tables -------------------------------------------------------
lab_node c
lab_in c nft -f - <<'EOF'
table inet other {
	set s { type ipv4_addr; elements = { 192.0.2.1 } }
	chain input {
		type filter hook input priority 0; policy accept;
		ip saddr @s counter
	}
	chain output {
		type filter hook output priority -150; policy accept;
		tcp flags rst counter
	}
}
EOF
lab_in c nft -a list table inet other >"$T/other.before"
if start c C; then
	kill "$(pid C)"; wait "$(pid C)"
fi
lab_in c nft -a list table inet other >"$T/other.after"
check "install and remove leave inet other untouched" \
    diff -u "$T/other.before" "$T/other.after"

lab_in c nft -f - <<'EOF'
table inet rstaudit {
	chain input {
		type filter hook input priority 0; policy drop;
		tcp dport 22 accept
	}
}
EOF
lab_in c nft -a list ruleset >"$T/foreign.before" 2>/dev/null
if lab_in c "$T/nft_tool" run >"$T/F.out" 2>"$T/F.err"; then
	fail "foreign inet rstaudit: install must fail"
else
	pass "foreign inet rstaudit: install fails"
fi
check "foreign inet rstaudit: message says so" \
    grep -q 'table inet rstaudit already exists.*never replaces' "$T/F.err"
lab_in c nft -a list ruleset >"$T/foreign.after" 2>/dev/null
check "foreign inet rstaudit: ruleset intact" \
    diff -u "$T/foreign.before" "$T/foreign.after"
lab_in c nft delete table inet rstaudit

if [ "$table_owner" = 1 ] && start c C2; then
	list c | norm >"$T/c2.before"
	lab_in c "$T/nft_tool" run >/dev/null 2>"$T/second.err"
	check "second instance: fails, another process's table" \
	    grep -q 'belongs to another process' "$T/second.err"
	list c | norm >"$T/c2.after"
	check "second instance: first table intact" \
	    diff -u "$T/c2.before" "$T/c2.after"
	kill "$(pid C2)"; wait "$(pid C2)"
fi

# --- 3. traffic: client - gw - server ------------------------------------------
cat >"$T/peer.py" <<'EOF'
import socket, struct, sys, threading, time, os

def serve(ports):
    def client(c):
        try:
            while c.recv(65536):
                pass
        except OSError:
            pass
        c.close()
    def accept(s):
        while True:
            c, _ = s.accept()
            threading.Thread(target=client, args=(c,), daemon=True).start()
    for p in ports:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.bind(("::", p)); s.listen(16)
        threading.Thread(target=accept, args=(s,), daemon=True).start()
    print("ready", flush=True)
    while True:
        time.sleep(3600)

def conn(host, port, nbytes, timeout, pause=0):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(float(timeout))
    try:
        s.connect((host, int(port)))
        buf = b"x" * 65536
        if float(pause):
            s.send(buf[:1000])
            time.sleep(float(pause))
        left = int(nbytes)
        while left > 0:
            left -= s.send(buf[:min(left, len(buf))])
        s.shutdown(socket.SHUT_WR)
        s.recv(1)
        print("ok")
    except ConnectionRefusedError:
        print("refused")
    except ConnectionResetError:
        print("reset")
    except socket.timeout:
        print("timeout")
    except OSError as e:
        print("error", e.errno)

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff

def ping(host, count):
    v6 = ":" in host
    if v6:
        s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
        typ = 128
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        typ = 8
    s.settimeout(1)
    got = 0
    for i in range(int(count)):
        h = struct.pack("!BBHHH", typ, 0, 0, os.getpid() & 0xffff, i) + b"rsn" * 8
        if not v6:  # the kernel sums ICMPv6 itself
            h = h[:2] + struct.pack("!H", csum(h)) + h[4:]
        s.sendto(h, (host, 0))
        try:
            while True:
                d = s.recv(2048)
                if not v6:
                    d = d[(d[0] & 15) * 4:]
                if d[0] in (0, 129):
                    got += 1
                    break
        except socket.timeout:
            pass
    print("replies", got)

def udp(host, port, count):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    for i in range(int(count)):
        s.sendto(b"rsn", (host, int(port)))
        time.sleep(0.01)
    print("sent")

cmd = sys.argv[1]
if cmd == "serve":
    serve([int(p) for p in sys.argv[2:]])
elif cmd == "conn":
    conn(*sys.argv[2:7])
elif cmd == "ping":
    ping(*sys.argv[2:4])
elif cmd == "udp":
    udp(*sys.argv[2:5])
EOF

line_up() {
	for _n in cl gw sv; do lab_node $_n || return 1; done
	lab_link cl eth0 gw c0 && lab_link sv eth0 gw s0 &&
	lab_ip cl eth0 10.0.1.2/24 fd00:1::2/64 &&
	lab_ip gw c0 10.0.1.1/24 fd00:1::1/64 &&
	lab_ip gw s0 10.0.2.1/24 fd00:2::1/64 &&
	lab_ip sv eth0 10.0.2.2/24 fd00:2::2/64 &&
	lab_route cl default 10.0.1.1 default fd00:1::1 &&
	lab_route sv default 10.0.2.1 default fd00:2::1 &&
	lab_sysctl gw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
}

# snap: gw's rstaudit counters, "chain rule packets" a line; rule 1
# local reject (logged), 2 rst-mark, 3 rst-unmark, 4 rst-invalid (its
# packet mark) and 5 rst-deleted (a logged note of a RST also queued),
# 6 mark (queued), 7 rst (queued), 8 syn (logged), 9 learn (logged).
snap() {
	list gw | awk '/^\tchain / { c = $2; i = 0 }
	    / counter packets / { i++; for (k = 1; k < NF; k++)
	    if ($k == "counter" && $(k + 1) == "packets") print c, i, $(k + 2) }' \
	    >"$T/snap.$1"
}
# d CHAIN RULE: the change between snapshots "before" and "after".
d() {
	awk -v c="$1" -v r="$2" 'FNR == 1 { f++ }
	    $1 == c && $2 == r { v[f] = $3 } END { print v[2] - v[1] }' \
	    "$T/snap.before" "$T/snap.after"
}
# all CHAIN: the change over every rule of CHAIN but rst-mark (which
# only marks) and the notes (of a RST queued too); queued
# CHAIN: over the two that queue.
all() { echo $(($(d "$1" 1) + $(d "$1" 6) + $(d "$1" 7) + $(d "$1" 8) + $(d "$1" 9))); }
queued() { echo $(($(d "$1" 6) + $(d "$1" 7))); }
# meter NAME: a counter of gw's own "inet probes" table.
meter() {
	lab_in gw nft list counter inet probes "$1" |
	    awk '/packets/ { for (k = 1; k <= NF; k++)
	    if ($k == "packets") print $(k + 1) }'
}
client() { lab_in cl "$PY" "$T/peer.py" "$@"; }

if ! line_up; then
	fail "client - gw - server line"; finish
fi
lab_in gw nft -f - <<'EOF'
table inet probes {
	counter ctcp { }
	counter cother { }
	counter leaked { }
	chain early {
		type filter hook forward priority raw; policy accept;
		meta l4proto tcp counter name ctcp
		meta l4proto != tcp counter name cother
	}
	chain late {
		type filter hook forward priority filter + 10; policy accept;
		meta mark & 0x40000000 != 0 counter name leaked
	}
}
table inet hostfw {
	counter rstdrop { }
	chain forward {
		type filter hook forward priority filter; policy accept;
		tcp dport 8081 reject with tcp reset
		tcp dport 8084 reject with icmpx type port-unreachable
		tcp sport 8091 tcp flags rst counter name rstdrop drop
	}
	chain input {
		type filter hook input priority filter; policy accept;
		tcp dport 8082 reject with tcp reset
	}
	chain marker {
		type filter hook forward priority -160; policy accept;
		tcp dport 8085 ct mark set ct mark | 0x20000000
	}
}
EOF
ip netns exec "$P-sv" "$PY" "$T/peer.py" serve 8080 8085 >"$T/srv.out" 2>&1 &
start gw G || { fail "install on gw"; finish; }
for _i in $(seq 50); do grep -q ready "$T/srv.out" && break; sleep 0.1; done
check "conntrack accounting on once installed" \
    [ "$(lab_in gw sysctl -n net.netfilter.nf_conntrack_acct)" = 1 ]

# phase NAME CMD...: counters around CMD, output kept in $T/NAME.
phase() {
	_name=$1; shift
	snap before; m0=$(meter ctcp); o0=$(meter cother)
	"$@" >"$T/$_name" 2>&1
	sleep 0.2
	snap after; mt=$(($(meter ctcp) - m0)); mo=$(($(meter cother) - o0))
	[ -n "${DEBUG:-}" ] && { echo "== $_name"; list gw | grep -A5 "chain forward"; lab_in gw conntrack -L 2>/dev/null; }
}

phase nontcp sh -c "
	$(command -v ip) netns exec $P-cl $PY $T/peer.py ping 10.0.2.2 5
	$(command -v ip) netns exec $P-cl $PY $T/peer.py ping fd00:2::2 5
	$(command -v ip) netns exec $P-cl $PY $T/peer.py udp 10.0.2.2 9999 5
	$(command -v ip) netns exec $P-cl $PY $T/peer.py udp fd00:2::2 9999 5"
check_eq "ping and UDP: answered" "$(grep -c 'replies 5' "$T/nontcp")" 2
check "ping and UDP: forwarded ($mo non-TCP packets)" [ "$mo" -ge 20 ]
check_eq "ping and UDP (and ICMP errors): nothing queued" \
    $(($(all input) + $(all forward) + $(all output))) 0

for fam in 10.0.2.2 fd00:2::2; do
	phase bulk client conn $fam 8080 2000000 5
	check_eq "bulk to $fam: transfer" "$(cat "$T/bulk")" ok
	check_eq "bulk to $fam: none of its $mt packets queued" "$(queued forward)" 0
	check "bulk to $fam: $(all forward) of $mt packets logged, at most 8" \
	    [ "$(all forward)" -le 8 -a "$mt" -ge 50 ]
	check_eq "bulk to $fam: SYN and SYN/ACK logged" "$(d forward 8)" 2
	check "bulk to $fam: early packets logged ($(d forward 9))" \
	    [ "$(d forward 9)" -ge 1 ]
	check_eq "bulk to $fam: no RST, no mark" "$(d forward 2)$(d forward 6)" 00
	check_eq "bulk to $fam: input and output chains untouched" \
	    $(($(all input) + $(all output))) 0
done

phase refused sh -c "
	$(command -v ip) netns exec $P-cl $PY $T/peer.py conn 10.0.2.2 8090 1 3
	$(command -v ip) netns exec $P-cl $PY $T/peer.py conn fd00:2::2 8090 1 3"
check_eq "refused by the server: client sees it" "$(grep -c refused "$T/refused")" 2
check_eq "refused by the server: RSTs marked and queued in forward" \
    "$(d forward 2) $(queued forward)" "2 2"
check_eq "refused by the server: conntrack took both RSTs and deleted their entries (notes)" \
    "$(d forward 4) $(d forward 5)" "0 2"

phase rejfwd sh -c "
	$(command -v ip) netns exec $P-cl $PY $T/peer.py conn 10.0.2.2 8081 1 3
	$(command -v ip) netns exec $P-cl $PY $T/peer.py conn fd00:2::2 8081 1 3"
check_eq "gw forward reject: client refused" "$(grep -c refused "$T/rejfwd")" 2
check_eq "gw forward reject: RSTs (v4, v6) logged in output, not queued" "$(d output 1)$(queued output)" 20
check_eq "gw forward reject: not in forward" "$(d forward 2)$(queued forward)" 00

phase rejin sh -c "
	$(command -v ip) netns exec $P-cl $PY $T/peer.py conn 10.0.1.1 8082 1 3
	$(command -v ip) netns exec $P-cl $PY $T/peer.py conn fd00:1::1 8082 1 3"
check_eq "gw input reject: client refused" "$(grep -c refused "$T/rejin")" 2
check_eq "gw input reject: SYNs logged in input" "$(d input 8)" 2
check_eq "gw input reject: RSTs (v4, v6) logged in output, not queued" "$(d output 1)$(queued output)" 20

phase stack sh -c "
	$(command -v ip) netns exec $P-cl $PY $T/peer.py conn 10.0.1.1 8083 1 3
	$(command -v ip) netns exec $P-cl $PY $T/peer.py conn fd00:1::1 8083 1 3"
check_eq "gw closed port: client refused" "$(grep -c refused "$T/stack")" 2
check_eq "gw closed port: its stack's RSTs queued in output, not logged" "$(d output 1)$(queued output)" 02

phase icmp sh -c "
	$(command -v ip) netns exec $P-cl $PY $T/peer.py conn 10.0.2.2 8084 1 3
	$(command -v ip) netns exec $P-cl $PY $T/peer.py conn fd00:2::2 8084 1 3"
check_eq "gw ICMP reject of TCP: client refused" "$(grep -c refused "$T/icmp")" 2
# (a SYN may be retransmitted when an ICMP error is rate-limited)
check "gw ICMP reject of TCP: SYNs logged ($(d forward 8))" [ "$(d forward 8)" -ge 2 ]
check_eq "gw ICMP reject of TCP: ICMP errors (related, young flow) not seen" \
    "$(all output)" 0

rd0=$(lab_in gw nft list counter inet hostfw rstdrop | awk '/packets/ { print $2 }')
phase dropped client conn 10.0.2.2 8091 1 2
rd=$(($(lab_in gw nft list counter inet hostfw rstdrop | awk '/packets/ { print $2 }') - rd0))
check_eq "RST dropped by gw's filter: client never sees it" "$(cat "$T/dropped")" timeout
check "RST dropped by gw's filter: queued first ($(queued forward) queued, $rd dropped)" \
    [ "$(queued forward)" -ge 1 -a "$(queued forward)" -eq "$rd" ]

# RSTs of no connection: conntrack takes none; each gets the mark bit
# just before the queue rule (bypass: no reader here) and loses it one
# priority later, so no later chain sees it.
phase stray lab_in cl "$T/rstflood" -s 10.0.1.2 -d 10.0.2.2 -p 8099 -f 1 -n 3
check_eq "stray RSTs: conntrack took none, each marked, then queued" \
    "$(d forward 3) $(d forward 4) $(d forward 5) $(queued forward)" "3 3 0 3"
check_eq "stray RSTs: no later chain sees the bit" "$(meter leaked)" 0

phase marked client conn 10.0.2.2 8085 1000000 5
check_eq "marked flow: transfer" "$(cat "$T/marked")" ok
check_eq "marked flow: every packet queued, its SYNs too ($mt)" "$(d forward 6)" "$mt"
check_eq "marked flow: learning rules not reached" "$(d forward 8)$(d forward 9)" 00

# Quiesce: the table stops queueing, but packets still queued get their
# verdicts later and must lose the bit: the unmark rules stay.
kill -USR1 "$(pid G)"
lab_poll 20 grep -q '^quiesced' "$T/G.out" || fail "gw: no quiesce"
check_eq "quiesce: no rule left in the table's base chains, the unmark rules stay" \
    "$(list gw | awk '/^\tchain / { c = $2 } / counter packets / && c !~ /unmark/ { n++ } END { print n + 0 }') $(list gw | grep -c 'meta mark set meta mark & 0xbfffffff$')" "0 3"
kill "$(pid G)"; wait "$(pid G)"
check "gw: table removed on exit" gone gw

# A flow tracked before accounting was on has no counters (ct packets
# reads 0): the learning rule must leave it alone, hence `1-N`.
lab_in gw sysctl -qw net.netfilter.nf_conntrack_acct=0
ip netns exec "$P-cl" "$PY" "$T/peer.py" conn 10.0.2.2 8080 500000 5 1.5 \
    >"$T/old" 2>&1 &
old=$!
sleep 0.5
if start gw G2; then
	snap before; m0=$(meter ctcp)
	wait "$old"
	snap after; mt=$(($(meter ctcp) - m0))
	check_eq "flow older than the table: transfer" "$(cat "$T/old")" ok
	check_eq "flow older than the table: none of its $mt packets queued" \
	    "$(all forward)" 0
	kill "$(pid G2)"; wait "$(pid G2)"
else
	fail "flow older than the table: install"
fi
finish
