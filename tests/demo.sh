#!/bin/sh
# make demo: rstaudit's main job on the bundled example captures: a real
# injection from the public Zeek corpus, and the namespace lab's client
# and gateway captures of every kind of reset (tests/golden/lab).
set -u
cd "$(dirname "$0")/.." || exit 1
rc=0
show() {
	printf '\n$ rstaudit analyze %s\n' "$*"
	./rstaudit analyze "$@" || rc=1
}
echo "rstaudit: who sent each TCP reset, and why."
show tests/golden/external/rst-inject-rae.pcap
show tests/golden/lab/client-v4.pcap
show tests/golden/lab/gw-v6.pcap
printf '\nThe same as JSON lines: rstaudit analyze --json FILE; see man -l man/rstaudit.8\n'
exit $rc
