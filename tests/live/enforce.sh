#!/bin/sh
# tests/live/enforce.sh: the policy at work on a real gateway, in the
# four-namespace lab (tests/lab: client - gw - mbox - server).  Run from
# the repository top after building; RSTAUDIT names another binary.
# Needs root: it fails, and never skips, without it.
#
# The daemon runs on gw.  The on-path injector (tests/lab/inject.c) runs
# on mbox with -c: it forges its burst of three RSTs to the client on
# every segment carrying the keyword, and nothing to the server, since
# that RST would leave mbox toward the server and never cross gw.  gw
# also has a strict filter chain (drop ct state invalid, drop ct state
# new without SYN), as many gateways do.  In IPv4 and IPv6:
#
#   - policy enforce + `rule drop origin middlebox cause injected`: a
#     client sending three requests with the keyword on one connection
#     gets every reply and a clean close; the nine forged RSTs' events
#     say drop, rule 2; conntrack is ESTABLISHED again after each burst
#     (ct_restore); closed ports, aborts and the gateway's own rejects
#     still reset the client, their events say accept (or none: the
#     NFLOG'd reject), `rule accept mark 0x42 ...` marks the refused
#     connection's RST (counted by a rule in another table) and
#     `rule log ...` writes the abort to the daemon's log;
#   - SIGHUP with a bad file: every error as file:line, and the old
#     policy still drops (the attacked connection survives);
#   - SIGHUP to dry-run: the connection is reset, the events say
#     "would drop"; to max_drops_per_flow 3: the second burst passes and
#     resets the client, the events say the bound stopped the drops;
#   - the suspect hold: with `confidence >=0.99`, which only the race
#     (the genuine reply after the RST) reaches, each forged RST is held
#     until the server's reply arrives, then dropped: the connection
#     survives; with nothing coming back from the server (mbox drops
#     the request once the injector has seen it), the hold runs out and
#     the RST is accepted; at SIGTERM, a held RST is answered;
#   - ct_restore no: conntrack stays CLOSE after a drop; once the entry
#     expires the next request is a ct state new without SYN and the
#     strict chain drops it (the consequence the manual documents);
#   - rules/enforce.conf, as shipped, protects the connection too;
#   - audit: nothing is dropped, the events carry no policy;
#   - SIGUSR1 and exit counters per rule.
# The last line is "enforce: N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.." || exit 1
LAB_PREFIX=${LAB_PREFIX:-rspo$$}
LAB_DIR=$(pwd)/tests/lab
. tests/lab/lib.sh
. tests/lab/scenarios.sh
PY=/usr/bin/python3
EVCHK="$PY tests/live/policy_events.py"
KEYWORD=FORBIDDEN
TALLY=enforce . tests/lib/tally.sh

lab_need_root || { fail "cannot run the lab here"; finish; }
"${RSTAUDIT:-./rstaudit}" run -h >/dev/null 2>&1 ||
	{ fail "no ./rstaudit: build it first (make)"; finish; }
lab_trap
lab_up || { fail "cannot build the lab"; finish; }
scn_build_injector || { fail "cannot build the injector"; finish; }
CONF=$LAB_TMP/rstaudit.conf
EV=$LAB_TMP/events.json

# The gateway's own strict filter, and a counter of RSTs marked 0x42.
lab_in gw nft -f - <<'EOF' || { fail "cannot load gw's filter"; finish; }
table inet strict {
	chain forward {
		type filter hook forward priority filter; policy accept;
		ct state invalid counter drop
		tcp flags & (syn | ack) != syn ct state new counter drop
		meta mark 0x42 tcp flags rst counter
	}
}
EOF

# conf NAME: write configuration NAME to $CONF.
conf() {
	case $1 in
	enforce) cat <<'EOF' ;;
# the gateway protects its clients from forged resets
policy enforce
max_drops_per_flow 9
rule accept mark 0x42 origin endpoint cause refused
rule drop origin middlebox cause injected
rule log origin endpoint cause abort
EOF
	bad) cat <<'EOF' ;;
policy enforce
rule drop cause injected
rule drop origin endpoint
rule drop origin middlebox mark 7
max_drops_per_flow 0
suspect_hold soon
EOF
	dry-run) cat <<'EOF' ;;
policy dry-run
max_drops_per_flow 9
rule drop origin middlebox cause injected
queue_length 2048
EOF
	bound) cat <<'EOF' ;;
policy enforce
max_drops_per_flow 1
guard_timeout 0
rule drop origin middlebox cause injected
EOF
	hold) cat <<'EOF' ;;
policy enforce
max_drops_per_flow 20
guard_timeout 0
suspect_hold 500
rule drop origin middlebox cause injected confidence >=0.99
EOF
	short-hold) cat <<'EOF' ;;
policy enforce
guard_timeout 0
suspect_hold 20
rule drop origin middlebox cause injected confidence >=0.99
EOF
	long-hold) cat <<'EOF' ;;
policy enforce
guard_timeout 0
suspect_hold 1000
rule drop origin middlebox cause injected confidence >=0.99
EOF
	no-restore) cat <<'EOF' ;;
policy enforce
ct_restore no
rule drop origin middlebox cause injected
EOF
	audit) cat <<'EOF' ;;
policy audit
rule drop origin middlebox cause injected
EOF
	esac >"$CONF"
}

# reload NAME REGEX: SIGHUP with configuration NAME; wait for a new
# daemon line matching REGEX.
reload() {
	conf "$1"
	_n=$(grep -c -- "$2" "$LAB_TMP/d.log")
	lab_kill d HUP
	lab_poll 5 _more_lines "$2" "$_n" ||
		{ lab_log "no '$2' after SIGHUP"; lab_show d; return 1; }
}
_more_lines() { [ "$(grep -c -- "$1" "$LAB_TMP/d.log")" -gt "$2" ]; }

# attack TAG FAM PORT COUNT [CLIENT-ARGS...]: a server answering
# requests on PORT (server delay $DELAY ms, default 10) and a client
# sending COUNT requests with the keyword from port 40000 + PORT - 7000.
# Starts both; the caller waits for c-TAG.
attack() {
	_t=$1 _f=$2 _p=$3 _c=$4; shift 4
	lab_spawn server "s-$_t" "$LAB_PY" "$LAB_DIR/peer.py" serve requests \
		--addr "$(lab_addr server "$_f")" --port "$_p" \
		--delay "${DELAY:-10}" &&
	lab_wait_log "s-$_t" '^ready' &&
	lab_spawn client "c-$_t" "$LAB_PY" "$LAB_DIR/peer.py" connect requests \
		--addr "$(lab_addr server "$_f")" --port "$_p" \
		--sport $((40000 + _p - 7000)) --payload "GET /?q=$KEYWORD" \
		--count "$_c" "$@"
}

# client_ok TAG: the client ended well; else fail with its log.
client_ok() {
	lab_wait "c-$1" 20 && return 0
	lab_show "c-$1"; lab_show "s-$1"
	return 1
}

# ct_state FAM PORT: the conntrack state of the flow to PORT on gw.
ct_state() {
	lab_in gw conntrack -L -f "ipv$1" -p tcp --dport "$2" 2>/dev/null |
		awk '{ print $4 }' | head -1
}
_ct_is() { [ "$(ct_state "$1" "$2")" = "$3" ]; }
_ct_gone() { [ -z "$(ct_state "$1" "$2")" ]; }

# strict_new: packets the strict chain dropped as ct state new, not SYN.
strict_new() {
	lab_in gw nft list chain inet strict forward |
		sed -n 's/.*ct state new counter packets \([0-9]*\).*/\1/p'
}
_strict_new_above() { [ "$(strict_new)" -gt "$1" ]; }

# guard_drops: the RSTs gw's guard dropped in the kernel (its counters).
guard_drops() {
	lab_in gw nft list chain inet rstaudit guard 2>/dev/null |
		awk '{ for (i = 2; i < NF; i++) if ($(i - 1) == "counter" &&
			$i == "packets") s += $(i + 1) } END { print s + 0 }'
}

conf enforce
if lab_daemon d gw -c "$CONF" --json-file "$EV" --hold 0.5; then
	pass "daemon runs on gw with policy enforce"
else
	fail "daemon did not start"; finish
fi
lab_spawn mbox inj "$LAB_TMP/inject" -c -i g0 -k "$KEYWORD" -t 600 &&
	lab_wait_log inj '^ready' || { fail "injector did not start"; finish; }

# --- enforce: the attacked connection survives -------------------------
for fam in 4 6; do
	srv=$(lab_addr server $fam) port=$((7100 + fam))
	attack e$fam $fam $port 3 --go "$(lab_gofile e$fam)"
	if lab_wait_log c-e$fam '^got reply 1' 10 &&
	   lab_poll 5 _ct_is $fam $port ESTABLISHED; then
		pass "ipv$fam enforce: after the first burst, conntrack is ESTABLISHED again (ct_restore)"
	else
		fail "ipv$fam enforce: conntrack is $(ct_state $fam $port) after the first burst"
	fi
	lab_go e$fam
	check "ipv$fam enforce: the client gets all 3 replies under attack" client_ok e$fam
	check "ipv$fam enforce: 9 forged RSTs dropped, each said so" \
		$EVCHK "$EV" --src "$srv" --sport $port --want 9 verdict=drop \
		origin=middlebox policy.mode=enforce policy.action=drop \
		policy.judged.origin=middlebox policy.hold=null policy.guarded=true
	# The first burst reaches the queue, and rule 2 drops it: its
	# signature (addresses, ports, the injector's TTL) goes to the guard,
	# which drops the next bursts in the kernel, before conntrack.
	check "ipv$fam enforce: the first by rule 2, its kind given to the guard" \
		$EVCHK "$EV" --src "$srv" --sport $port --select policy.rule=2 \
		--min 1 --max 3 policy.line=5 policy.guarded=true
	check "ipv$fam enforce: the 2 later bursts dropped by the guard in the kernel" \
		$EVCHK "$EV" --src "$srv" --sport $port --select policy.rule=null \
		--min 6 --max 8 policy.guarded=true
	check "ipv$fam enforce: only the first burst reached conntrack, put back once" \
		$EVCHK "$EV" --src "$srv" --sport $port --select policy.ct_restored=true --want 1
	check "ipv$fam enforce: the injector really fired 3 times" \
		sh -c "[ \$(grep -c 'trigger.*\.$((40000 + port - 7000)) >' $LAB_TMP/inj.log) = 3 ]"

	# Every other kind of reset still resets, and is let through.  (The
	# scenarios' go files are per lab, made for one family: clear them.)
	rm -f "$LAB_TMP/gwsyn.go" "$LAB_TMP/gwkw.go"
	scn_refused $fam && scn_abort $fam && scn_gw_reject_syn $fam &&
		scn_gw_reject_keyword $fam &&
		pass "ipv$fam enforce: refused, abort and gw's own rejects still reset the client" ||
		fail "ipv$fam enforce: a reset did not reach the client"
	check "ipv$fam enforce: refused: accept, rule 1, marked 0x42" \
		$EVCHK "$EV" --src "$srv" --sport 7001 --want 1 verdict=accept \
		origin=endpoint cause=refused policy.rule=1 policy.action=accept \
		policy.mark=66
	check "ipv$fam enforce: abort: accept, rule 3 logs it" \
		$EVCHK "$EV" --src "$srv" --sport 7002 --want 1 verdict=accept \
		origin=endpoint cause=abort policy.rule=3 policy.action=log
	check "ipv$fam enforce: abort: the daemon's log names rule 3 and the reset" \
		grep -q "rule 3 (line 6): reset $srv port 7002 > .* port 41002, hook forward: endpoint abort" \
		"$LAB_TMP/d.log"
	check "ipv$fam enforce: gw's reject of the SYN: logged, no verdict, no policy" \
		$EVCHK "$EV" --src "$srv" --sport 7005 --want 1 verdict=none \
		origin=local policy=null
	check "ipv$fam enforce: gw's mid-stream reject: accept, no rule" \
		$EVCHK "$EV" --src "$srv" --sport 7006 --want 1 verdict=accept \
		origin=local hook=output policy.rule=null
done
m=$(lab_in gw nft list chain inet strict forward |
	sed -n 's/.*meta mark 0x00000042 .*counter packets \([0-9]*\).*/\1/p')
[ "${m:-0}" = 2 ] && pass "mark: 2 refused RSTs reached the filter chain with mark 0x42" ||
	fail "mark: ${m:-no} RSTs with mark 0x42, want 2"
lab_counters d >/dev/null
r2=$($EVCHK "$EV" --src 10.0.3.2 --sport 7104 --select policy.rule=2 --count)
r2=$((r2 + $($EVCHK "$EV" --src fd00:3::2 --sport 7106 --select policy.rule=2 --count)))
g=$(guard_drops)
check "SIGUSR1: rule 2 dropped $r2 (its events), rule 1 matched 2 (marked), rule 3 logged 2; the guard $g" sh -c "
	grep -q 'policy rule 2 (line 5, drop): matched $r2, dropped $r2, would drop 0, bound 0' $LAB_TMP/d.log &&
	grep -q 'policy rule 1 (line 4, accept): matched 2,' $LAB_TMP/d.log &&
	grep -q 'policy rule 3 (line 6, log): matched 2,' $LAB_TMP/d.log &&
	grep -q 'policy enforce: decided [0-9]*, dropped $r2, .* marked 2, logged 2;' $LAB_TMP/d.log &&
	grep -q 'guarded 2 (errors 0), dropped by the guard $g\$' $LAB_TMP/d.log"
check "the guard: $g dropped in the kernel, 18 in all with rule 2's $r2" [ $((g + r2)) = 18 ]
lab_stats d --prometheus >"$LAB_TMP/d.prom" 2>&1
check "rstaudit stats --prometheus: rule 2 dropped $r2, the guard $g" sh -c "
	grep -qx 'rstaudit_policy_rule_dropped_total{rule=\"2\",line=\"5\",action=\"drop\"} $r2' $LAB_TMP/d.prom &&
	grep -qx 'rstaudit_policy_dropped_total $r2' $LAB_TMP/d.prom &&
	grep -qx 'rstaudit_policy_guard_dropped_total $g' $LAB_TMP/d.prom"

# --- SIGHUP with a bad file: the old policy stays -----------------------
if reload bad 'still running the configuration read before'; then
	n=$(grep -c "rstaudit.conf:[0-9]*: " "$LAB_TMP/d.log")
	[ "$n" = 5 ] && pass "SIGHUP, bad file: 5 errors as file:line, old configuration kept" ||
		{ fail "SIGHUP, bad file: $n file:line errors, want 5"; lab_show d; }
else
	fail "SIGHUP, bad file: no refusal"
fi
attack kept 4 7111 2
check "after the bad SIGHUP: the old policy still protects the connection" client_ok kept
check "after the bad SIGHUP: 6 drops by the old rule 2 and its guard" \
	$EVCHK "$EV" --src 10.0.3.2 --sport 7111 --want 6 verdict=drop policy.guarded=true

# --- dry-run: would drop ----------------------------------------------
reload dry-run 'reloaded: policy dry-run' &&
	pass "SIGHUP: policy dry-run taken up" || fail "SIGHUP: dry-run not taken up"
grep -q 'queue_length changed: it takes effect at the next start' "$LAB_TMP/d.log" &&
	pass "SIGHUP: a key that needs a restart is named" ||
	fail "SIGHUP: queue_length change not reported"
for fam in 4 6; do
	srv=$(lab_addr server $fam) port=$((7120 + fam))
	attack dry$fam $fam $port 2 --expect-reset 1
	check "ipv$fam dry-run: the client is reset" client_ok dry$fam
	lab_kill s-dry$fam
	check "ipv$fam dry-run: 3 events say 'would drop', verdict accept" \
		$EVCHK "$EV" --src "$srv" --sport $port --want 3 verdict=accept \
		policy.mode=dry-run policy.dry_run=true policy.would_drop=true \
		policy.action=drop policy.rule=1
done

# --- the per-flow bound -------------------------------------------------
reload bound 'reloaded: policy enforce, 1 rule' || fail "SIGHUP: bound not taken up"
# It counts bursts (RSTs less than a second apart), not RSTs: the second
# request comes 1.5 s after the first reply.
attack bound 4 7131 2 --expect-reset 2 --pause 1500
check "bound 1: the first burst is dropped, the second resets the client" client_ok bound
lab_kill s-bound
check "bound 1: 3 drops, one burst" \
	$EVCHK "$EV" --src 10.0.3.2 --sport 7131 --select verdict=drop --want 3 policy.bound=false
# After the first RST's drop put conntrack back to ESTABLISHED, the
# entry says what the daemon did, not what conntrack made of the next
# RSTs of the burst: their events say invalid null, not true.
check "bound 1: the RSTs after a restore: ct ESTABLISHED, invalid null (cannot tell)" \
	$EVCHK "$EV" --src 10.0.3.2 --sport 7131 --select ct.state=ESTABLISHED \
	--min 1 ct.invalid=null
check "bound 1: then 3 accepts that say the bound stopped the drop" \
	$EVCHK "$EV" --src 10.0.3.2 --sport 7131 --select verdict=accept --want 3 \
	policy.bound=true policy.action=drop policy.rule=1
# A long burst cannot buy its way through: 60 RSTs at once, one burst.
lab_spawn mbox long "$LAB_TMP/inject" -c -n 60 -i g0 -k LONGBURST -p 7133 -t 600 &&
	lab_wait_log long '^ready' || fail "the long-burst injector did not start"
attack longb 4 7133 2 --payload "GET /?q=LONGBURST"
check "bound 1: a burst of 60 at once is one burst, dropped whole, the client unharmed" \
	client_ok longb
check "bound 1: 120 drops, none stopped by the bound" \
	$EVCHK "$EV" --src 10.0.3.2 --sport 7133 --want 120 verdict=drop policy.bound=false
lab_kill long

# --- the suspect hold -------------------------------------------------
reload hold 'reloaded: policy enforce, 1 rule' || fail "SIGHUP: hold not taken up"
for fam in 4 6; do
	srv=$(lab_addr server $fam) port=$((7140 + fam))
	attack hold$fam $fam $port 2
	check "ipv$fam hold: RSTs held until the genuine reply; the client gets both replies" \
		client_ok hold$fam
	check "ipv$fam hold: 6 drops, each decided by a packet that came during the hold" \
		$EVCHK "$EV" --src "$srv" --sport $port --want 6 verdict=drop \
		policy.rule=1 policy.hold.ended=packet policy.hold.changed=true \
		policy.judged.confidence=0.99
	check "ipv$fam hold: what settled them was the server's data" \
		$EVCHK "$EV" --src "$srv" --sport $port --select policy.hold.packets=1 --want 6
	# A figure, not a check: how long the RSTs waited (the server
	# replies 10 ms after each request).
	$PY - "$EV" "$srv" $port <<'EOF'
import sys
sys.path.insert(0, "tests/lib")
import rstevent
ms = sorted(e["policy"]["hold"]["ms"] for e in map(rstevent.loads, open(sys.argv[1]))
            if e.get("src") == sys.argv[2] and e.get("sport") == int(sys.argv[3])
            and e.get("policy") and e["policy"].get("hold"))
if ms:
    print("enforce: figure: held %d RSTs %.1f to %.1f ms, median %.1f"
          % (len(ms), ms[0], ms[-1], ms[len(ms) // 2]))
EOF
done
# For the next two, mbox drops the request after the injector saw it, so
# that nothing of the server's (not even a delayed ACK) can end the hold.
scn_nft mbox "tcp dport { 7151, 7181 } tcp flags & psh == psh drop" ||
	fail "cannot load mbox's rule"
reload short-hold 'reloaded: policy enforce, 1 rule' || fail "SIGHUP: short hold not taken up"
attack timer 4 7151 1 --expect-reset 1
check "hold 20 ms, nothing from the server: the hold runs out, the RST passes" client_ok timer
lab_kill s-timer
check "hold 20 ms: 3 accepts, ended by the timer, nothing seen" \
	$EVCHK "$EV" --src 10.0.3.2 --sport 7151 --want 3 verdict=accept \
	policy.rule=null policy.hold.ended=timer policy.hold.packets=0

# --- ct_restore no: what a strict gateway then does ----------------------
reload no-restore 'reloaded: policy enforce, 1 rule' || fail "SIGHUP: no-restore not taken up"
lab_sysctl gw net.netfilter.nf_conntrack_tcp_timeout_close=1
before=$(strict_new)
attack norest 4 7161 2 --go "$(lab_gofile norest)"
if lab_wait_log c-norest '^got reply 1' 10 && lab_poll 5 _ct_is 4 7161 CLOSE; then
	pass "ct_restore no: after the dropped RSTs conntrack stays CLOSE"
else
	fail "ct_restore no: conntrack is $(ct_state 4 7161)"
fi
lab_poll 5 _ct_gone 4 7161 || fail "ct_restore no: the CLOSE entry did not expire"
lab_go norest
if lab_poll 5 _strict_new_above "$before"; then
	pass "ct_restore no: once CLOSE expired, the next request was ct state new without SYN, dropped"
else
	fail "ct_restore no: the strict chain dropped nothing"
fi
lab_kill c-norest; lab_kill s-norest
lab_sysctl gw net.netfilter.nf_conntrack_tcp_timeout_close=10

# --- the shipped example ------------------------------------------------
cp rules/enforce.conf "$CONF"
_n=$(grep -c 'reloaded: policy enforce' "$LAB_TMP/d.log")
lab_kill d HUP
lab_poll 5 _more_lines 'reloaded: policy enforce' "$_n" || fail "SIGHUP: rules/enforce.conf not taken up"
attack example 4 7165 2
check "rules/enforce.conf: the attacked connection survives" client_ok example
check "rules/enforce.conf: 6 drops, by its rule or its guard" \
	$EVCHK "$EV" --src 10.0.3.2 --sport 7165 --want 6 verdict=drop policy.guarded=true
check "rules/enforce.conf: the second burst dropped by the guard" \
	$EVCHK "$EV" --src 10.0.3.2 --sport 7165 --select policy.rule=null --min 3 \
	verdict=drop

# --- the guard under a flood --------------------------------------------
# 2 x 5000 forged RSTs on one connection, as fast as the injector sends
# them, a third of them with the exact sequence number: one reaching the
# client would kill it.  The first reaches the queue and is dropped by
# the rule; from then on the kernel drops the rest before the queue.
# Then the server resets the connection itself: that RST, with its own
# TTL, is queued, judged endpoint and let through.
lab_in client nft -f - <<'EOF' || fail "cannot load the client's RST counter"
table inet seen {
	chain pre {
		type filter hook prerouting priority -400; policy accept;
		tcp sport 7191 tcp flags rst counter
	}
}
EOF
lab_spawn mbox flood "$LAB_TMP/inject" -c -n 5000 -i g0 -k FLOODME -p 7191 -t 600 &&
	lab_wait_log flood '^ready' || fail "the flooding injector did not start"
g0=$(guard_drops)
attack flood 4 7191 3 --payload "GET /?q=FLOODME" --abort-last
check "flood: the connection survives 10000 forged RSTs, the server's own reset gets through" \
	client_ok flood
g=$(($(guard_drops) - g0))
seen=$(lab_in client nft list table inet seen | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
sent=$(grep -c 'trigger.* 5000 RSTs' "$LAB_TMP/flood.log")
echo "enforce: figure: flood: $((sent * 5000)) forged, $g dropped by the guard in the kernel, $((${seen:-1} - 1)) reached the client"
check "flood: the injector sent 2 floods" [ "$sent" = 2 ]
check "flood: every one dropped: $g by the guard, the other $((10000 - g)) by the rule" \
	$EVCHK "$EV" --src 10.0.3.2 --sport 7191 --select policy.rule=1 \
	--want $((10000 - g)) verdict=drop
# The first RST is dropped, and its signature guarded, before the reply
# to request 1 leaves the queue behind it: the second flood never
# reaches the queue.  How much of the first does depends on how fast the
# daemon wakes while the injector floods (a figure, above).
check "flood: the second flood all dropped by the guard, in the kernel ($g of 10000)" \
	[ "$g" -ge 5000 ]
check "flood: none reached the client, but the server's own reset" [ "${seen:-0}" = 1 ]
check "flood: the server's reset: endpoint abort, accepted" \
	$EVCHK "$EV" --src 10.0.3.2 --sport 7191 --select origin=endpoint --want 1 \
	cause=abort verdict=accept
lab_kill flood

# --- the perfect injector: nothing in its RST, only the race -------------
# inject.c -P sends one RST|ACK as the server's stack would: its TTL, DF,
# next IP ID, window and timestamps, the exact seq.  Judged by itself it
# is an endpoint's abort; rules/enforce.conf's hold_aborts holds such an
# abort of an established connection for suspect_hold (20 ms), and the
# server's genuine reply, 2 ms after the request, settles it: injected,
# dropped.  Genuine aborts wait the 20 ms and go through.
lab_spawn mbox perf "$LAB_TMP/inject" -c -P -i g0 -k PERFECTLY -t 600 &&
	lab_wait_log perf '^ready' || fail "the perfect injector did not start"
for fam in 4 6; do
	srv=$(lab_addr server $fam) port=$((7192 + fam))
	DELAY=2		# the reply well inside the 20 ms hold, even slowed down
	attack perf$fam $fam $port 3 --payload "GET /?q=PERFECTLY"
	unset DELAY
	check "ipv$fam perfect injector: the connection survives its 3 forged RSTs" \
		client_ok perf$fam
	check "ipv$fam perfect injector: each RST held until the server's reply, then dropped" \
		$EVCHK "$EV" --src "$srv" --sport $port --want 3 verdict=drop \
		origin=middlebox cause=injected policy.hold.ended=packet \
		policy.hold.changed=true
done
check "perfect injector: it fired 6 times, one RST each" \
	sh -c "[ \$(grep -c 'trigger.*: 1 RSTs' $LAB_TMP/perf.log) = 6 ]"
lab_kill perf
# Every other genuine reset still reaches the client under the shipped
# policy, held or not.
for fam in 4 6; do
	rm -f "$LAB_TMP"/*.go
	scn_refused $fam && scn_after_fin $fam && scn_stale $fam &&
		scn_gw_reject_syn $fam &&
		pass "ipv$fam enforce.conf: refused, after-fin, stale and gw's own reject still reset the client" ||
		fail "ipv$fam enforce.conf: a genuine reset did not reach the client"
done
# The latency the hold adds to a genuine abort: the whole suspect_hold.
for fam in 4 6 4 6; do
	rm -f "$LAB_TMP/abort.go" 2>/dev/null
	scn_abort $fam || fail "ipv$fam: the server's abort did not reset the client"
done
check "genuine aborts under hold_aborts: held, then let through (4 of them)" \
	$EVCHK "$EV" --src 10.0.3.2 --sport 7002 --select policy.hold.ended=timer \
	--min 2 verdict=accept origin=endpoint cause=abort
$PY - "$EV" <<'PYEOF'
import sys
sys.path.insert(0, "tests/lib")
import rstevent
ms = sorted(e["policy"]["hold"]["ms"] for e in map(rstevent.loads, open(sys.argv[1]))
            if e.get("sport") == 7002 and e.get("policy") and e["policy"].get("hold"))
if ms:
    print("enforce: figure: a genuine abort held %d times: median %.1f ms, max %.1f ms"
          % (len(ms), ms[len(ms) // 2], ms[-1]))
PYEOF

# --- audit: nothing applied -----------------------------------------------
reload audit 'reloaded: policy audit' || fail "SIGHUP: audit not taken up"
attack audit 4 7171 1 --expect-reset 1
check "audit: the client is reset" client_ok audit
lab_kill s-audit
check "audit: 3 events, verdict accept, no policy object" \
	$EVCHK "$EV" --src 10.0.3.2 --sport 7171 --want 3 verdict=accept policy=null

# --- SIGTERM while a RST is held ----------------------------------------
reload long-hold 'reloaded: policy enforce, 1 rule' || fail "SIGHUP: long hold not taken up"
attack term 4 7181 1 --expect-reset 1
_held() { lab_counters d >/dev/null && tail -40 "$LAB_TMP/d.log" | grep -q 'policy enforce: .* held [0-9]* (now [1-9]'; }
if lab_poll 5 _held; then
	lab_kill d TERM
	lab_wait d 10 && pass "SIGTERM with RSTs held: the daemon exits 0" ||
		fail "SIGTERM with RSTs held: exit status $?"
	check "SIGTERM: the held RSTs are answered (accept), the client is reset" client_ok term
	check "SIGTERM: their events say the hold ended at shutdown" \
		$EVCHK "$EV" --src 10.0.3.2 --sport 7181 --select policy.hold.ended=shutdown \
		verdict=accept
	check "exit counters: holds ended at shutdown counted" \
		grep -q 'policy enforce: .*shutdown [1-9]' "$LAB_TMP/d.log"
else
	fail "no RST held for the SIGTERM test"; lab_show d
fi
# Let every process end before the lab is deleted.
for t in s-dry4 s-dry6 s-bound s-longb s-flood s-perf4 s-perf6 s-timer \
	c-norest s-norest s-audit s-term inj long flood perf; do
	lab_kill $t; lab_wait $t 5 >/dev/null 2>&1
done
finish
