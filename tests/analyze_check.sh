#!/bin/sh
# tests/analyze_check.sh: `rstaudit analyze` at its limits and on hostile
# input.  Run from the repository top after building; RSTAUDIT names
# another binary.  Needs no privilege.
#
#   - a capture with more connections open at once than --max-flows
#     holds (tests/analyze/gen.py flows): the evictions are counted on
#     standard error (without -v) and in the summary, each event whose
#     flow was evicted says so (evidence line, "flow_evicted":true) and
#     their number agrees everywhere, exit 5; by default the table fits
#     the capture: no eviction, exit 0, no reset judged unknown;
#   - hostile capture file names (newline with a forged event, ESC
#     sequences, invalid UTF-8, valid UTF-8, a backslash) and a RST
#     payload with all of these: text output is printable ASCII, one
#     event line, every name escaped; JSON parses, passes valid UTF-8
#     through and escapes the rest (tests/analyze/lines.py); error
#     messages with such a name stay on one line.
# The last line is "analyze: N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/.." || exit 1
RSTAUDIT=${RSTAUDIT:-./rstaudit}
TALLY=analyze
. tests/lib/tally.sh
TMP=$(mktemp -d "${TMPDIR:-/tmp}/rsanalyze.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
PY=/usr/bin/python3
N=3000

# --- more flows than the table holds ------------------------------------------
$PY tests/analyze/gen.py flows $N "$TMP/flows.pcap" || fail "gen.py flows"
"$RSTAUDIT" analyze --max-flows 256 "$TMP/flows.pcap" >"$TMP/small.txt" 2>"$TMP/small.err"
rc=$?
"$RSTAUDIT" analyze --json --max-flows 256 "$TMP/flows.pcap" >"$TMP/small.json" 2>/dev/null
rcj=$?
# "FILE: F flows evicted ... (--max-flows 256); R resets judged without ..."
f=$(sed -n 's/.* \([0-9]*\) flows evicted from the flow table (--max-flows 256); \([0-9]*\) resets judged without.*/\1/p' "$TMP/small.err")
r=$(sed -n 's/.*(--max-flows 256); \([0-9]*\) resets judged without.*/\1/p' "$TMP/small.err")
marked=$(grep -c '"flow_evicted":true' "$TMP/small.json")
said=$(grep -c '"flow_evicted":true.*"evidence":\[.*evicted from the flow table' "$TMP/small.json")
if [ $rc = 5 ] && [ $rcj = 5 ] && [ -n "$f" ] && [ "${f:-0}" -gt 0 ] &&
   [ "${r:-0}" -gt 0 ] && [ "${r:-0}" -le $N ] && [ "$marked" = "$r" ] &&
   [ "$said" = "$r" ]; then
	pass "--max-flows 256, $N connections: exit 5, stderr counts $f flows evicted, $r resets; $marked JSON events marked, each with the evidence"
else
	fail "--max-flows 256: exit $rc/$rcj, stderr '$(cat "$TMP/small.err")', $marked marked, $said with the sentence"
fi
if grep -q "^incomplete: $f flows evicted from a table of 256 (--max-flows); $r resets judged without their history\$" "$TMP/small.txt" &&
   [ "$(grep -c 'evicted from the flow table' "$TMP/small.txt")" = "$r" ]; then
	pass "text: the summary counts the evictions, $r events carry the evidence line"
else
	fail "text summary or evidence lines"
	tail -4 "$TMP/small.txt" | sed 's/^/    /'
fi
"$RSTAUDIT" analyze --json "$TMP/flows.pcap" >"$TMP/big.json" 2>"$TMP/big.err"
rc=$?
n=$(grep -c '"cause":"abort"' "$TMP/big.json")
if [ $rc = 0 ] && [ ! -s "$TMP/big.err" ] && [ "$n" = $N ] &&
   ! grep -q flow_evicted "$TMP/big.json"; then
	pass "default --max-flows fits the capture: exit 0, nothing evicted, all $N resets judged abort"
else
	fail "default --max-flows: exit $rc, $n of $N abort; $(head -2 "$TMP/big.err")"
fi

# --- hostile names and payloads -----------------------------------------------
$PY tests/analyze/gen.py payload "$TMP/p.pcap" || fail "gen.py payload"
nl='
'
esc=$(printf '\033')
for name in "new${nl}x.pcap:9 2000-01-01T00:00:00.000000Z forged: middlebox injected" \
	    "esc${esc}[31mred${esc}]0;title$(printf '\007').pcap" \
	    "$(printf 'bad\377\376\300\257.pcap')" "$(printf 'utf8\303\251\342\202\254.pcap')" \
	    'back\slash\x41.pcap' "$(printf 'c1\302\233[2J.pcap')"; do
	cp "$TMP/p.pcap" "$TMP/$name"
	# The label, printable and free of backslashes (echo may read them).
	shown=$($PY -c 'import os, sys; print("".join(chr(c) if 32 <= c < 127 and c != 92 else "?" for c in os.fsencode(sys.argv[1]))[:48])' "$name")
	"$RSTAUDIT" analyze "$TMP/$name" >"$TMP/out.txt" 2>&1
	check "text, name '$shown': one event line, every byte printable, name escaped" \
		$PY tests/analyze/lines.py text "$TMP/$name" "$TMP/out.txt"
	"$RSTAUDIT" analyze --json "$TMP/$name" >"$TMP/out.json" 2>&1
	check "JSON, name '$shown': parses, UTF-8 passed, the rest escaped" \
		$PY tests/analyze/lines.py json "$TMP/$name" "$TMP/out.json"
	"$RSTAUDIT" analyze "$TMP/$name.gone" >"$TMP/out.txt" 2>"$TMP/err.txt"
	if [ $? = 3 ] && [ "$(wc -l <"$TMP/err.txt")" = 1 ] &&
	   ! LC_ALL=C grep -q '[^ -~]' "$TMP/err.txt"; then
		pass "a missing file named '$shown': exit 3, one printable line"
	else
		fail "a missing file named '$shown'"; cat -A "$TMP/err.txt" | sed 's/^/    /'
	fi
	rm -f "$TMP/$name"
done
finish
