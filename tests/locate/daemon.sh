# tests/locate/daemon.sh: `locate yes` in the daemon, sourced by run.sh
# on its chain lab.  rstaudit run on r1 (a gateway one hop from the
# client), the injector at r2 in-path (hop 1 from r1), at r4 on-path
# (hop 3) and at r6 in-path (hop 5), one daemon each; the client's
# trigger draws forged RSTs; the daemon writes the middlebox events,
# then a follow-up locate event with the same community_id naming the
# hop and the router.  Its own probes are reset too: the
# per-destination interval must turn those away, not locate again.

# client_trigger FAMILY: one connection sending the trigger.  The forged
# RSTs race the server's genuine reply: when the reply wins, the client's
# rcv_nxt has moved past their seq and it is not reset (RFC 5961), but
# the gateway saw them either way; followed() checks that it did.
client_trigger() {
	lab_in client "$PY" -c 'import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
s.sendall(sys.argv[3].encode())
try:
    s.recv(100)
except ConnectionResetError:
    pass' "$(loc_server_addr "$1")" "$LOC_PORT" "$TRIGGER"
}

# followed FAMILY K PATH: the follow-up names rK at hop K-1 (from r1),
# in-path or on-path, and joins the event.
followed() {
	$PY - "$LAB_TMP/d.json" "$1" "$(loc_router_addr "$2" "$1")" \
		"$(loc_router_addr $(($2 - 1)) "$1")" $(($2 - 1)) "$3" <<-'EOF'
	import sys
	sys.path.insert(0, "tests/lib")
	import rstevent
	path, fam, r4, r3, hop, where = sys.argv[1:]
	hop = int(hop)
	evs = [rstevent.loads(l) for l in open(path) if l.startswith("{")]
	fam = "ipv" + fam
	mb = [e for e in evs if e.get("origin") == "middlebox" and
	      e["family"] == fam and e.get("hook") == "forward"]
	loc = [e for e in evs if e.get("event_type") == "locate" and
	       e["family"] == fam]
	if not mb or len(loc) != 1:
	    sys.exit("%d middlebox events, %d locate events" % (len(mb), len(loc)))
	l = loc[0]
	want = {"status": "found", "hop": hop, "router": r4,
	        "router_before": r3, "path": where,
	        "community_id": mb[0]["community_id"], "rst_ts": mb[0]["ts"]}
	if hop == 1:
	    want["router_before"] = None	# the gateway itself probes
	bad = {k: (l.get(k), v) for k, v in want.items() if l.get(k) != v}
	# The passive estimate (hopest.h) of the same RST agrees.
	if mb[0].get("injector_hop") != hop:
	    bad["event injector_hop"] = (mb[0].get("injector_hop"), hop)
	if bad:
	    sys.exit("differs (got, want): %r" % bad)
	print("    daemon, %s: hop %d router %s in %.0f ms" %
	      (fam, l["hop"], l["router"], l["elapsed_ms"]))
	EOF
}

# locate_count FAMILY: locate events of the family in the events file.
locate_count() {
	grep -c "\"event_type\":\"locate\",\"family\":\"ipv$1\"" "$LAB_TMP/d.json"
}

# daemon_test K MODE: the injector at rK, in-path (in) or on-path (on).
daemon_test() {
	_k=$1 _mode=$2 _path=$([ "$2" = in ] && echo in-path || echo on-path)
	rm -f "$LAB_TMP/d.json"
	printf 'locate yes\nlocate_interval 600\n' >"$LAB_TMP/d.conf"
	lab_daemon d r1 -c "$LAB_TMP/d.conf" --json-file "$LAB_TMP/d.json" \
		--hold 1 || { fail "daemon: did not start"; return; }
	loc_inject "r$_k" "$_mode" || { fail "daemon: no injector"; return; }
	for fam in 4 6; do
		check "daemon, IPv$fam: the client sends the trigger" client_trigger "$fam"
	done
	for fam in 4 6; do
		# The event waits for its hold, then the locate runs (~0.5 s).
		if lab_poll 30 sh -c "[ \"\$(grep -c '\"event_type\":\"locate\",\"family\":\"ipv$fam\"' '$LAB_TMP/d.json')\" -ge 1 ]"; then
			check "daemon, IPv$fam: follow-up event locates r$_k ($_path) at hop $((_k - 1))" \
				followed "$fam" "$_k" "$_path"
		else
			fail "daemon, IPv$fam: no locate event within 30 s"
		fi
	done
	loc_uninject
	lab_kill d TERM
	lab_wait d 10 || fail "daemon: did not exit cleanly"
	cp "$LAB_TMP/d.json" "$OUT/daemon-r$_k.json"
	cp "$LAB_TMP/d.log" "$OUT/daemon-r$_k.log"
	# Its own probes drew RSTs (middlebox verdicts, input hook): turned
	# away by locate_interval, never a second locate of the server.
	check "daemon, r$_k: one locate per destination (locate_interval)" \
		sh -c "grep -q 'locate: [0-9]* offered, 2 run (2 found), turned away: [1-9][0-9]* by locate_interval' '$OUT/daemon-r$_k.log' && [ \$(grep -c '\"event_type\":\"locate\"' '$OUT/daemon-r$_k.json') = 2 ]"
}
daemon_test 2 in
daemon_test 4 on
daemon_test 6 in
