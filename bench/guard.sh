#!/bin/sh
# Enforcement under a flood: `rstaudit run -c rules/enforce.conf` on the
# lab's gateway while an on-path injector (tests/lab/inject.c, on mbox)
# answers each request of a client with a flood of forged RSTs, as fast
# as it can send them, a third of them with the exact sequence number
# (one reaching the client kills the connection).  Side by side: the
# guard off (guard_timeout 0: every forged RST must go through the
# queue, as before the guard) and on (the default).  Meanwhile ordinary
# traffic (tests/lab/mix.py, 120 short connections) crosses the same
# gateway to another port.  Four runs: "before" (no guard, the default
# queue of 4096: enforcement as it was), the deep queue alone, the guard
# alone, and rules/enforce.conf as shipped (both).  A benchmark, not a
# test: it prints figures and the target (>= 99.9 % of the forged RSTs
# dropped, the connection alive), and fails only when something cannot
# run.
#
#   sh bench/guard.sh                        as root, from the tree's top
#   BENCH_FLOOD=50000 BENCH_REQUESTS=3 sh bench/guard.sh
#
# Per run: the injector's rate, the forged RSTs that reached the client
# (an nft counter in the client's namespace, before anything else), the
# share dropped, whether the connection survived, what the guard dropped
# in the kernel and what the daemon dropped from the queue, the queue's
# failed-open count, and the ordinary traffic's result and time.
set -u
cd "$(dirname "$0")/.." || exit 1
FLOOD=${BENCH_FLOOD:-50000}
REQS=${BENCH_REQUESTS:-3}
LAB_DIR=$(pwd)/tests/lab
. tests/lab/lib.sh
RSTAUDIT=${RSTAUDIT:-./rstaudit}
case $RSTAUDIT in /*) ;; *) RSTAUDIT=$(pwd)/$RSTAUDIT ;; esac
[ -x "$RSTAUDIT" ] || { echo "bench/guard.sh: build rstaudit first (make)" >&2; exit 1; }
lab_trap
[ -n "${BENCH_KEEP:-}" ] && LAB_KEEP=1
lab_up || exit 1
cc -O2 -Isrc -o "$LAB_TMP/inject" tests/lab/inject.c || exit 1
lab_spawn server mix "$LAB_PY" "$LAB_DIR/mix.py" serve --port 7600 &&
	lab_wait_log mix '^ready' || exit 1
lab_in client nft -f - <<'EOF' || exit 1
table inet seen {
	counter forged { }
	chain pre {
		type filter hook prerouting priority -400; policy accept;
		tcp sport 7191 tcp flags rst counter name forged
	}
}
EOF
counter() {
	lab_in "$1" nft list "$2" 2>/dev/null |
		awk '{ for (i = 2; i < NF; i++) if ($(i - 1) == "counter" ||
			$(i - 1) == "packets") if ($i ~ /^[0-9]+$/) { s += $i; break } }
			END { print s + 0 }'
}
forged_seen() { lab_in client nft list counter inet seen forged | awk '/packets/ { print $2 }'; }

# one NAME GUARD_SECONDS QUEUE_LENGTH: a run; prints its row.
one() {
	grep -v "^guard_timeout\|^queue_length" rules/enforce.conf >"$LAB_TMP/$1.conf"
	printf 'guard_timeout %s\nqueue_length %s\n' "$2" "$3" >>"$LAB_TMP/$1.conf"
	lab_daemon "d$1" gw -c "$LAB_TMP/$1.conf" --json-file /dev/null || return 1
	lab_spawn mbox "i$1" "$LAB_TMP/inject" -c -n "$FLOOD" -i g0 -k FLOODME \
		-p 7191 -t 600 && lab_wait_log "i$1" '^ready' || return 1
	lab_spawn server "s$1" "$LAB_PY" "$LAB_DIR/peer.py" serve requests \
		--addr "$(lab_addr server 4)" --port 7191 --delay 10 &&
		lab_wait_log "s$1" '^ready' || return 1
	seen0=$(forged_seen)
	lab_spawn client "m$1" sh -c "sleep 0.2; exec $LAB_PY $LAB_DIR/mix.py run \
		--addr $(lab_addr server 4) --port 7600 --short 120 --keepalive 0 \
		--parallel 8"
	t0=$(date +%s.%N)
	lab_spawn client "c$1" "$LAB_PY" "$LAB_DIR/peer.py" connect requests \
		--addr "$(lab_addr server 4)" --port 7191 --payload "GET /?q=FLOODME" \
		--count "$REQS" --pause 300
	lab_wait "c$1" 60 && survived=yes || survived=no
	lab_wait "m$1" 60 && mix=$(grep -o '[0-9]* ok, [0-9]* failed' "$LAB_TMP/m$1.log") ||
		mix="failed: $(tail -1 "$LAB_TMP/m$1.log")"
	mixt=$(echo "$(date +%s.%N) - $t0" | bc)
	sleep 1
	seen=$(($(forged_seen) - seen0))
	sent=$(grep -o 'in [0-9.]* ms ([0-9]*/s)' "$LAB_TMP/i$1.log" | head -"$REQS")
	nsent=$(($(grep -c "$FLOOD RSTs" "$LAB_TMP/i$1.log") * FLOOD))
	rate=$(echo "$sent" | sed -n 's/.*(\([0-9]*\)\/s).*/\1/p' | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
	guard=$(lab_in gw nft list chain inet rstaudit guard 2>/dev/null |
		awk '{ for (i = 2; i < NF; i++) if ($(i - 1) == "counter" && $i == "packets") s += $(i + 1) } END { print s + 0 }')
	c=$(lab_counters "d$1")
	qdrop=$(echo "$c" | sed -n 's/.*queue 0: .* dropped \([0-9]*\),.*/\1/p')
	fo=$(lab_counter "$c" "failed open")
	lab_kill "d$1" TERM; lab_wait "d$1" 10
	lab_kill "i$1" TERM; lab_wait "i$1" 5
	lab_kill "s$1" TERM; lab_wait "s$1" 5
	pct=$(echo "scale=3; 100 * ($nsent - $seen) / $nsent" | bc)
	printf '%-10s %9s %8s/s %9s %8s%% %9s %9s %9s %8s %10s  %s in %.1f s\n' "$1" \
		"$nsent" "${rate:-?}" "$seen" "$pct" "$survived" "$guard" \
		"${qdrop:-?}" "${fo:-?}" "$([ "$seen" -le $((nsent / 1000)) ] && echo met || echo missed)" \
		"$mix" "$mixt"
}

echo "bench/guard.sh: $REQS requests, each answered by $FLOOD forged RSTs ($(nproc) CPUs)"
printf '%-10s %9s %10s %9s %9s %9s %9s %9s %8s %10s  %s\n' run forged rate \
	"reached" dropped survived "by guard" "by queue" "fail-open" ">=99.9%" \
	"ordinary traffic (120 connections)"
one before 0 4096		# the policy without the guard, the default queue
one queue-only 0 65536
one guard-only 10 4096
one shipped 10 65536		# rules/enforce.conf as shipped
