#!/bin/sh
# tests/schema/check.sh: the event formats against their definitions.
#
# Every golden capture (tests/golden, external/, lab/) through `rstaudit
# analyze --json` (EVE, the default) and `--format ecs`: every event's
# field names and types against tests/schema/rstaudit-eve.schema.json
# (python3-jsonschema) and against the ECS fields written down in
# tests/schema/ecs.py.  The three formats must carry the same facts:
# EVE and ECS read back by tests/lib/rstevent.py equal `--format legacy`.
# The validators' own selftest first: mutated events must be refused.
# The live daemon's events are held against the same definitions by
# tests/live/events.sh.  No root needed.
set -u
cd "$(dirname "$0")/../.." || exit 1
TALLY=schema . tests/lib/tally.sh
PY=/usr/bin/python3
BIN=$(pwd)/rstaudit
[ -x "$BIN" ] || { fail "$BIN is missing: run make first"; finish; }
$PY -c 'import jsonschema' 2>/dev/null ||
	{ fail "python3-jsonschema is missing (apt-get install python3-jsonschema; tests/deps.sh)"; finish; }
T=${TMPDIR:-/tmp}/rstaudit-schema.$$
rm -rf "$T" && mkdir "$T" || exit 2
trap 'rm -rf "$T"' 0
trap 'exit 130' INT TERM

check "the validators refuse mutated events (selftest)" \
	$PY tests/schema/validate.py selftest

# same_facts EVE ECS LEGACY: one event list, three formats.
same_facts() {
	$PY - "$@" <<-'PYEOF'
	import json, sys
	sys.path.insert(0, "tests/lib")
	import rstevent
	evs = [[json.dumps(rstevent.loads(l), sort_keys=True) for l in open(p)]
	       for p in sys.argv[1:]]
	if not evs[0] == evs[1] == evs[2]:
	    sys.exit("the formats differ: %d/%d/%d events" % tuple(map(len, evs)))
	PYEOF
}

n=0
cd tests/golden || exit 1
for cap in *.pcap *.pcapng external/*.pcap external/*.pcapng lab/*.pcap; do
	[ -f "$cap" ] || continue
	n=$((n + 1))
	o=$T/$(echo "$cap" | tr / _)
	for f in eve ecs legacy; do
		"$BIN" analyze --format $f "$cap" >"$o.$f" 2>/dev/null
	done
	cd ../.. || exit 1
	# captures that hold no reset give no event: nothing to hold
	if [ -s "$o.eve" ]; then
		check "$cap: EVE events match rstaudit-eve.schema.json" \
			$PY tests/schema/validate.py eve "$o.eve"
		check "$cap: ECS events match the ECS field definitions" \
			$PY tests/schema/validate.py ecs "$o.ecs"
		check "$cap: EVE, ECS and legacy carry the same facts" \
			same_facts "$o.eve" "$o.ecs" "$o.legacy"
	else
		check_eq "$cap: no event in any format" \
			"$(cat "$o.eve" "$o.ecs" "$o.legacy" | wc -c)" 0
	fi
	cd tests/golden || exit 1
done
cd ../.. || exit 1
[ "$n" -gt 20 ] || fail "only $n golden captures found"

check_status "analyze --format xml: a usage error" 2 "give text, eve" \
	"$BIN" analyze --format xml tests/golden/link-raw.pcap
check_status "run -n --format text: a configuration error" 2 "json_format text" \
	"$BIN" run -n -c /dev/null --format text
check_status "run -n --format ecs: accepted" 0 "configuration OK" \
	"$BIN" run -n -c /dev/null --format ecs
finish
