#!/bin/sh
# tests/readers.sh: our classic pcap reader over mmap and libpcap's reader
# must give the same results, byte for byte.  Run from anywhere after
# building; RSTAUDIT names another binary.  Needs no privilege.
#
#   - every capture in tests/golden (external/ and lab/ too), the public
#     corpus (../shared/corpus) and the captures tests/analyze/gen.py
#     makes: `rstaudit analyze` and `analyze --format eve` with
#     RSTAUDIT_PCAP_READER=libpcap and =mmap give the same stdout,
#     stderr and exit status;
#   - golden files rewritten by tests/analyze/variants.py (other byte
#     order, nanoseconds, snapshot lengths, caplen 0 and past the limits,
#     time stamps before 1970, headers our reader leaves to libpcap) and
#     a small file cut at every byte: the same, both readers;
#   - the byte-swapped and nanosecond rewrites say what the original says;
#   - a mapped file another program cuts short while it is read: no
#     crash, the file called damaged and the reason said;
#   - our reader in one thread (RSTAUDIT_ANALYZE_THREADS=1) and in two
#     (=2): the same, on every capture and rewrite above, and on a file
#     cut short while read;
#   - the reader used is the one expected (`analyze -v` names it): mmap
#     for a regular classic pcap, libpcap when forced, for pcapng,
#     standard input, a FIFO and the headers it is left.
# The last line is "readers: N passed, N failed, N skipped".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
RSTAUDIT=${RSTAUDIT:-$top/rstaudit}
TALLY=readers
. "$top/tests/lib/tally.sh"
if [ ! -x "$RSTAUDIT" ]; then
	fail "$RSTAUDIT is missing: run make first"
	finish
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/rsreaders.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
PY=/usr/bin/python3
LC_ALL=C TZ=UTC
export LC_ALL TZ

# run READER[/THREADS] OUT ARGS...: one analyze run (our reader in two
# threads unless THREADS says 1), its stdout, stderr and status in OUT.
run() {
	_r=${1%/*} _t=${1#*/} _o=$2
	[ "$_t" = "$1" ] && _t=2
	shift 2
	RSTAUDIT_PCAP_READER=$_r RSTAUDIT_ANALYZE_THREADS=$_t "$RSTAUDIT" \
		analyze "$@" >"$_o" 2>"$_o.err"
	echo "--- exit $?" >>"$_o.err"
}

# alike A B: the runs in A and B printed the same, and said the same.
alike() {
	cmp -s "$1" "$2" && cmp -s "$1.err" "$2.err"
}

# same CAPTURE [FORMATS]: both readers, ours in one thread and in two,
# text and eve (or FORMATS), alike; quiet (one pass or fail) unless they
# differ.
same() {
	_bad=
	for _f in ${2:-text eve}; do
		run libpcap "$TMP/a" --format "$_f" "$1"
		run mmap "$TMP/b" --format "$_f" "$1"
		run mmap/1 "$TMP/c" --format "$_f" "$1"
		for _x in b c; do
			alike "$TMP/a" "$TMP/$_x" && continue
			_bad="$_bad $_f($_x)"
			diff -u "$TMP/a.err" "$TMP/$_x.err" | head -8
			diff -u "$TMP/a" "$TMP/$_x" | head -8
		done
		if grep -qE 'runtime error|AddressSanitizer|LeakSanitizer|ThreadSanitizer' \
		    "$TMP/a.err" "$TMP/b.err" "$TMP/c.err"; then
			_bad="$_bad $_f(sanitizer)"
		fi
	done
	if [ -n "$_bad" ]; then
		fail "$1: the readers differ (b: two threads, c: one):$_bad"
		return 1
	fi
	return 0
}

# reader EXPECTED PREFERENCE WHAT ARGS...: `analyze -v ARGS`, with
# RSTAUDIT_PCAP_READER=PREFERENCE (empty: the default), names the reader.
reader() {
	_want=$1 _pref=$2 _what=$3
	shift 3
	_got=$(RSTAUDIT_PCAP_READER=$_pref timeout 30 "$RSTAUDIT" analyze -v "$@" \
		2>&1 >/dev/null |
		sed -n 's/.*: read by \([a-z]*\)$/\1/p' | head -1)
	check_eq "$_what: read by ${_want}" "${_got:-nothing}" "$_want"
}

# --- every capture we have, both readers ----------------------------------------
cd "$top/tests/golden" || { fail "no tests/golden"; finish; }
n=0 good=0
for cap in *.pcap *.pcapng external/*.pcap external/*.pcapng lab/*.pcap \
	   "$top"/../shared/corpus/*/*.pcap "$top"/../shared/corpus/*/*.pcapng; do
	[ -f "$cap" ] || continue
	n=$((n + 1))
	same "$cap" && good=$((good + 1))
done
if [ "$n" -gt 60 ] && [ "$good" = "$n" ]; then
	pass "$n golden and corpus captures: both readers alike, text and eve"
elif [ "$n" -le 60 ]; then
	fail "only $n captures found under tests/golden and the corpus"
fi
$PY "$top/tests/analyze/gen.py" flows 500 "$TMP/flows.pcap" &&
	$PY "$top/tests/analyze/gen.py" payload "$TMP/payload.pcap" ||
	fail "tests/analyze/gen.py"
same "$TMP/flows.pcap" && same "$TMP/payload.pcap" &&
	pass "tests/analyze/gen.py captures (flows, hostile payload): alike"
# Evictions and held resets: the ring's order must not change either.
good=0
for cap in "$TMP/flows.pcap" scenario-inject-race.pcap; do
	run libpcap "$TMP/a" --json --max-flows 64 --hold 0.5 "$cap"
	run mmap "$TMP/b" --json --max-flows 64 --hold 0.5 "$cap"
	run mmap/1 "$TMP/c" --json --max-flows 64 --hold 0.5 "$cap"
	alike "$TMP/a" "$TMP/b" && alike "$TMP/a" "$TMP/c" && good=$((good + 1))
done
check_eq "--max-flows 64 --hold 0.5: alike, one thread or two" "$good" 2

# --- rewritten golden files ---------------------------------------------------
for kind in same swap nsec nsec-swap v23 fcs lt12 snap0 snap60 snap60-cut \
	    snap60-short caplen-max caplen-over snapbig snaphuge caplen0 negts negts-swap \
	    nsec-big; do
	mkdir -p "$TMP/$kind"
	good=0 all=0
	for src in scenario-inject-race.pcap rst-payload.pcap link-raw.pcap \
		   link-sll2.pcap ip6-exthdrs.pcap pcap-bigendian.pcap \
		   pcap-nsec.pcap; do
		all=$((all + 1))
		$PY "$top/tests/analyze/variants.py" "$kind" "$src" \
		    "$TMP/$kind/$src" || { fail "variants.py $kind $src"; continue; }
		(cd "$TMP/$kind" && same "$src") && good=$((good + 1))
	done
	check_eq "$kind rewrites of $all golden files: both readers alike" \
		"$good" "$all"
done
# Past the first pages the mmap reader gives back.
$PY "$top/tests/analyze/variants.py" big scenario-inject-race.pcap "$TMP/big.pcap" &&
	same "$TMP/big.pcap" &&
	pass "a $(($(wc -c <"$TMP/big.pcap") >> 20)) MB file: both readers alike"
# --- a file cut short while it is read -----------------------------------------
# Another program truncates the mapped file (a capture ring reusing its
# files): the next page read faults.  Stopped once the file is mapped,
# cut to 60 MB, let go: the records before the cut are judged, the file
# is called damaged (exit 1) with the reason, and nothing crashes.  The
# fault is the reader thread's when there are two: the same is said.
# shrink THREADS: that, into $TMP/shrinkTHREADS and its .err.
shrink() {
	{ cat "$TMP/big.pcap"
	  for i in 1 2 3 4 5; do tail -c +25 "$TMP/big.pcap"; done; } >"$TMP/shrink.pcap"
	RSTAUDIT_ANALYZE_THREADS=$1 "$RSTAUDIT" analyze "$TMP/shrink.pcap" \
		>"$TMP/shrink$1" 2>"$TMP/shrink$1.err" &
	pid=$! i=0
	while [ $i -lt 3000 ] && ! grep -q shrink.pcap "/proc/$pid/maps" 2>/dev/null; do
		i=$((i + 1))
	done
	kill -STOP "$pid" 2>/dev/null
	truncate -s 60M "$TMP/shrink.pcap"
	kill -CONT "$pid" 2>/dev/null
	wait "$pid"
	st=$?
	echo "--- exit $st" >>"$TMP/shrink$1.err"
	check "a file cut short while read, $1 thread(s): exit 1, 'the file shrank' said, no crash (status $st)" \
		sh -c "[ $st = 1 ] && grep -q 'the file shrank while it was read' '$TMP/shrink$1.err'"
	rm -f "$TMP/shrink.pcap"
}
if [ -s "$TMP/big.pcap" ]; then
	shrink 1
	shrink 2
	check "a file cut short while read: one thread and two alike" \
		alike "$TMP/shrink1" "$TMP/shrink2"
else
	fail "a file cut short while read: no big file to cut"
fi
rm -f "$TMP/big.pcap"
# The byte order and the time stamps' unit are the reader's business:
# what comes out is the original's.
for kind in swap nsec nsec-swap; do
	good=0
	for src in scenario-inject-race.pcap rst-payload.pcap ip6-exthdrs.pcap; do
		(cd "$TMP/same" && "$RSTAUDIT" analyze --json "$src") >"$TMP/o1" 2>&1
		(cd "$TMP/$kind" && "$RSTAUDIT" analyze --json "$src") >"$TMP/o2" 2>&1
		cmp -s "$TMP/o1" "$TMP/o2" && [ -s "$TMP/o1" ] && good=$((good + 1))
	done
	check_eq "$kind: the events of the little-endian microsecond original" \
		"$good" 3
done

# --- a small file cut at every byte ---------------------------------------------
src=external/syn-then-ack-then-rst.pcap
size=$(wc -c <"$src")
good=0 i=0
while [ "$i" -le "$size" ]; do
	head -c "$i" "$src" >"$TMP/cut.pcap"
	same "$TMP/cut.pcap" text && good=$((good + 1))
	i=$((i + 1))
done
check_eq "$src cut at each of its $((size + 1)) lengths: alike" "$good" $((size + 1))

# --- which reader ---------------------------------------------------------------
reader mmap "" "a classic pcap" rst-payload.pcap
reader mmap "" "a big-endian pcap" "$TMP/swap/rst-payload.pcap"
reader mmap "" "a nanosecond pcap" "$TMP/nsec-swap/rst-payload.pcap"
reader mmap mmap "RSTAUDIT_PCAP_READER=mmap" rst-payload.pcap
reader libpcap libpcap "RSTAUDIT_PCAP_READER=libpcap" rst-payload.pcap
reader libpcap mmap "pcapng, mmap asked for" pcapng-basic.pcapng
reader libpcap "" "version 2.3" "$TMP/v23/rst-payload.pcap"
reader libpcap "" "FCS bits in the link type" "$TMP/fcs/rst-payload.pcap"
reader libpcap "" "standard input" - <rst-payload.pcap
# Bounded: a reader that peeked at the FIFO would leave libpcap waiting.
mkfifo "$TMP/fifo" &&
	{ timeout 30 sh -c 'cat rst-payload.pcap >"$1"' sh "$TMP/fifo" & }
reader libpcap mmap "a FIFO, mmap asked for" "$TMP/fifo"
wait
RSTAUDIT_PCAP_READER=mmap "$RSTAUDIT" analyze rst-payload.pcap >/dev/null 2>&1
a=$?
RSTAUDIT_PCAP_READER=mmpa "$RSTAUDIT" analyze rst-payload.pcap >/dev/null 2>"$TMP/err"
check_eq "RSTAUDIT_PCAP_READER=mmpa: refused, exit 2 (mmap: $a)" \
	"$?:$(grep -c 'give mmap or libpcap' "$TMP/err")" "2:1"
RSTAUDIT_ANALYZE_THREADS=3 "$RSTAUDIT" analyze rst-payload.pcap >/dev/null 2>"$TMP/err"
check_eq "RSTAUDIT_ANALYZE_THREADS=3: refused, exit 2" \
	"$?:$(grep -c 'give 1 or 2' "$TMP/err")" "2:1"

# --- a generated capture, one thread and two -----------------------------------
# The bench capture where there is one (a million frames: BENCH_PACKETS=
# 1000000 BENCH_TSHARK=0 sh bench/run.sh makes it), else 300,000 frames
# made here by the same generator: many batches, a ring that fills,
# evictions and held resets.
cap=${BENCH_CAP:-$top/bench/out/cap.pcap}
if [ ! -s "$cap" ]; then
	cap=$TMP/gen.pcap
	${CC:-cc} -O2 -o "$TMP/gen" "$top/bench/gen.c" &&
		"$TMP/gen" -n 300000 -f 12000 -s 128 -o "$cap" >/dev/null ||
		fail "bench/gen could not make a capture"
fi
for f in --verbose --json; do
	run mmap "$TMP/b" "$f" "$cap"
	run mmap/1 "$TMP/c" "$f" "$cap"
	check "${cap##*/}, $f: one thread and two alike" alike "$TMP/b" "$TMP/c"
done
finish
