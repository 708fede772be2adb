#!/bin/sh
# tests/report/check.sh: `rstaudit report`, the fleet report, on event
# files as three gateways would ship them: gw-a's in EVE with its host
# name (as the daemon writes them), gw-b's in ECS and gzipped, gw-c's
# legacy (no host: the file names the gateway).  The events come from
# the golden captures through `rstaudit analyze`.  expect.py counts the
# same tables on its own and compares every row of `report --json`; the
# text output must show the same rows; damaged input is named.  No root.
set -u
cd "$(dirname "$0")/../.." || exit 1
TALLY=report . tests/lib/tally.sh
PY=/usr/bin/python3
BIN=$(pwd)/rstaudit
[ -x "$BIN" ] || { fail "$BIN is missing: run make first"; finish; }
T=${TMPDIR:-/tmp}/rstaudit-report.$$
rm -rf "$T" && mkdir "$T" || exit 2
trap 'rm -rf "$T"' 0
trap 'exit 130' INT TERM

# events FORMAT CAPTURE...: the captures' events in FORMAT.
events() {
	_f=$1; shift
	for _c in "$@"; do
		(cd tests/golden && "$BIN" analyze --format "$_f" "$_c") || return 1
	done
}

G=tests/golden
events eve scenario-gfw.pcap scenario-inject-far.pcap scenario-reject.pcap \
	scenario-inject-race.pcap | sed 's/"event_type":"rst",/&"host":"gw-a",/' >"$T/a.json" &&
events ecs scenario-inject-burst.pcap scenario-inject-far.pcap link-ppp.pcap \
	scenario-abort.pcap | sed 's/"type":"sensor"/&,"hostname":"gw-b"/' |
	gzip >"$T/b.json.gz" &&
events legacy scenario-abort.pcap scenario-refused.pcap scenario-gfw.pcap >"$T/gw-c.json" ||
	{ fail "rstaudit analyze could not make the event files"; finish; }
check "the three files hold events (gw-a EVE, gw-b ECS gzip, gw-c legacy)" sh -c \
	"[ \$(wc -l <$T/a.json) -gt 5 ] && [ \$(zcat $T/b.json.gz | wc -l) -gt 5 ] &&
	 [ \$(wc -l <$T/gw-c.json) -gt 1 ]"

F="$T/a.json $T/b.json.gz $T/gw-c.json"
if "$BIN" report --json $F >"$T/r.json" 2>"$T/r.err"; then
	pass "report --json of three gateways' files: exit 0"
	check_counts "every row of report --json against expect.py's own count" \
		"$T/expect.log" $PY tests/report/expect.py "$T/r.json" $F
else
	fail "report --json failed: $(cat "$T/r.err")"
fi

"$BIN" report $F >"$T/r.txt" 2>&1
check "text: the first line counts resets, files and gateways" \
	grep -Eq "^report: $($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["events"])' "$T/r.json") resets in 3 files from 3 gateways, " "$T/r.txt"
check "text: every row of the JSON report, with its count and gateways" $PY - "$T/r.json" "$T/r.txt" <<'PYEOF'
import json, sys
r, txt = json.load(open(sys.argv[1])), open(sys.argv[2]).read().splitlines()
for t, key in (("by_destination", lambda x: "%s %s" % (x["prefix"], x["port"])),
               ("by_origin_cause", lambda x: "%s %s" % (x["origin"], x["cause"])),
               ("by_injector_hop", lambda x: "hop %s" % x["hop"] if x["hop"] is not None else "unknown")):
    for x in r[t]:
        want = [str(x["count"]), key(x), x["first"], x["last"], ",".join(x["gateways"])]
        if not any(l.split(None, 1)[0] == want[0] and all(w in l for w in want[1:]) for l in txt if l.strip()):
            sys.exit("no text row for %s %s" % (t, want))
PYEOF
check "the forged resets of gw-a and gw-b fall under one destination row seen by both" \
	$PY -c 'import json,sys; r=json.load(open(sys.argv[1]))
x=[x for x in r["by_destination"] if x["prefix"]=="198.51.100.0/24" and x["port"]==80][0]
assert {"gw-a","gw-b","gw-c.json"} <= set(x["gateways"]), x' "$T/r.json"

head -c 300 "$T/b.json.gz" >"$T/cut.json.gz"
check_status "a cut gzip file: exit 3, named" 3 "cut.json.gz: damaged" \
	"$BIN" report "$T/cut.json.gz"
check_status "a missing file: exit 3" 3 "nope.json" "$BIN" report "$T/nope.json"
printf 'not json\n' >"$T/junk.json"
check_status "a line that is no event: counted and said" 0 "1 lines were not events" \
	"$BIN" report "$T/junk.json" "$T/gw-c.json"
check_status "no file: usage, exit 2" 2 "no event file" "$BIN" report
finish
