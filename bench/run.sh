#!/bin/sh
# Offline benchmark: rstaudit against the libpcap bare loop and tshark on
# one generated capture, side by side in one run.  A benchmark, not a
# test: it reports and compares with the targets (issue 11: >= 1.0x the
# bare loop, >= 100x tshark), and fails only when
# something cannot run.
#
#   sh bench/run.sh                       5 M packets, 200 k flows
#   BENCH_PACKETS=200000 sh bench/run.sh  a quick run
#
# Environment:
#   BENCH_PACKETS  packets to generate (5000000)
#   BENCH_FLOWS    concurrent flows (200000, at most BENCH_PACKETS/25)
#   BENCH_SNAPLEN  bytes stored per packet (128; 65535 keeps whole frames)
#   BENCH_RUNS     runs of each fast tool, best and median kept (3)
#   BENCH_PAIRS    alternating runs of rstaudit and the bare loop whose
#                  paired ratio is held against the target (9): the bare
#                  loop's best alone swings by half between runs here
#   BENCH_TSHARK   0 to skip tshark (1)
#   BENCH_DIR      where the capture is kept and reused (bench/out);
#                  BENCH_DIR=tmp generates into a temporary directory and
#                  removes it at the end
#   CC             compiler (cc)
set -u

cd "$(dirname "$0")/.." || exit 1
CC=${CC:-cc}
PACKETS=${BENCH_PACKETS:-5000000}
FLOWS=${BENCH_FLOWS:-}
SNAPLEN=${BENCH_SNAPLEN:-128}
RUNS=${BENCH_RUNS:-3}
PAIRS=${BENCH_PAIRS:-9}
TSHARK=${BENCH_TSHARK:-1}
DIR=${BENCH_DIR:-bench/out}
if [ -z "$FLOWS" ]; then
	# Each flow needs ~25 packets to get past its handshake.
	FLOWS=$((PACKETS / 25))
	[ "$FLOWS" -gt 200000 ] && FLOWS=200000
	[ "$FLOWS" -lt 1 ] && FLOWS=1
fi

die() { echo "bench: $*" >&2; exit 1; }

TMP=$(mktemp -d) || die "mktemp failed"
trap 'rm -rf "$TMP"' EXIT INT TERM
if [ "$DIR" = tmp ]; then
	DIR=$TMP
fi
mkdir -p "$DIR" || die "cannot create $DIR"
CAP=$DIR/cap.pcap

[ -x /usr/bin/time ] || {
	[ "$(id -u)" = 0 ] || die "/usr/bin/time missing: apt-get install time (as root)"
	echo "bench: installing the time package" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null ||
		die "apt-get install time failed"
}

# ---- build ----
WARN="-std=gnu11 -Wall -Wextra -Wshadow -Wstrict-prototypes \
-Wmissing-prototypes -Wformat=2 -Wwrite-strings"
PCAP_CFLAGS=$(pkg-config --cflags libpcap 2>/dev/null)
PCAP_LIBS=$(pkg-config --libs libpcap 2>/dev/null || echo -lpcap)
# shellcheck disable=SC2086
$CC -O2 $WARN -o bench/gen bench/gen.c || die "building bench/gen failed"
# shellcheck disable=SC2086
$CC -O2 $WARN -Isrc $PCAP_CFLAGS -o bench/bareloop bench/bareloop.c $PCAP_LIBS ||
	die "building bench/bareloop failed (is libpcap-dev installed?)"

# ---- capture: reuse it when the parameters and the generator match ----
PARAMS="packets=$PACKETS flows=$FLOWS snaplen=$SNAPLEN gen=$(cksum < bench/gen.c | cut -d' ' -f1)"
if [ -f "$CAP" ] && [ -f "$DIR/cap.stats" ] &&
   [ "$(cat "$DIR/cap.params" 2>/dev/null)" = "$PARAMS" ]; then
	echo "bench: reusing $CAP ($PARAMS)"
else
	echo "bench: generating $CAP ($PARAMS)"
	rm -f "$DIR/cap.params"
	t0=$(date +%s%N)
	bench/gen -n "$PACKETS" -f "$FLOWS" -s "$SNAPLEN" -o "$CAP" \
		> "$DIR/cap.stats" || die "bench/gen failed"
	t1=$(date +%s%N)
	echo "$PARAMS" > "$DIR/cap.params"
	awk -v ns=$((t1 - t0)) 'BEGIN { printf "bench: generated in %.2f s\n", ns / 1e9 }'
fi
capstat() { tr ' ' '\n' < "$DIR/cap.stats" | sed -n "s/^$1=//p"; }
NPKT=$(capstat packets)

# ---- measure ----
# run_one OUTFILE CMD...: one run, stdout discarded; appends "wall rss rc".
run_one() {
	out=$1; shift
	t0=$(date +%s%N)
	/usr/bin/time -f '%e %M' -o "$TMP/time" "$@" > /dev/null 2> "$TMP/err"
	rc=$?
	t1=$(date +%s%N)
	rss=$(tail -n 1 "$TMP/time" | cut -d' ' -f2)
	awk -v ns=$((t1 - t0)) -v rss="$rss" -v rc=$rc \
		'BEGIN { printf "%.3f %s %d\n", ns / 1e9, rss, rc }' >> "$out"
	return $rc
}

# measure NAME RUNS CMD...: prints "NAME|best|median|pps|rss|note".
measure() {
	name=$1 n=$2; shift 2
	: > "$TMP/runs"
	i=0
	while [ $i -lt "$n" ]; do
		run_one "$TMP/runs" "$@" || break
		i=$((i + 1))
	done
	rc=$(tail -n 1 "$TMP/runs" | cut -d' ' -f3)
	if [ "$rc" != 0 ]; then
		echo "$name|-|-|-|-|exit $rc: $(grep -v 'Running as user' "$TMP/err" | head -n 1)"
		return 1
	fi
	sort -n "$TMP/runs" | awk -v name="$name" -v pk="$NPKT" -v n="$n" '
		{ w[NR] = $1; if ($2 > rss) rss = $2 }
		END {
			med = w[int((NR + 1) / 2)]
			printf "%s|%.3f|%s|%.0f|%.1f|%s\n", name, w[1],
			    (n > 1 ? sprintf("%.3f", med) : "-"), pk / w[1],
			    rss / 1024, (NR > 1 ? NR " runs" : "1 run")
		}'
}

# paired OUT A B: PAIRS runs of command A and of command B (strings, split
# into words), alternating, which goes first swapped each pair; appends
# each pair's wall(B) / wall(A) to OUT: A's speed as a share of B's, both
# measured within the same second, whatever the machine did meanwhile.
paired() {
	p_out=$1 p_a=$2 p_b=$3	# run_one sets out
	: > "$p_out"
	p_i=0
	while [ $p_i -lt "$PAIRS" ]; do
		: > "$TMP/pa"; : > "$TMP/pb"
		# shellcheck disable=SC2086	# commands: split on purpose
		if [ $((p_i % 2)) = 0 ]; then
			run_one "$TMP/pa" $p_a && run_one "$TMP/pb" $p_b
		else
			run_one "$TMP/pb" $p_b && run_one "$TMP/pa" $p_a
		fi || return 1
		awk -v a="$(cut -d' ' -f1 "$TMP/pa")" -v b="$(cut -d' ' -f1 "$TMP/pb")" \
			'BEGIN { if (a > 0) printf "%.4f\n", b / a }' >> "$p_out"
		p_i=$((p_i + 1))
	done
}

cat "$CAP" > /dev/null	# into the page cache: we time parsing, not the disk

: > "$TMP/rows"
if [ -x ./rstaudit ]; then
	measure "rstaudit analyze" "$RUNS" ./rstaudit analyze "$CAP" >> "$TMP/rows"
	measure "rstaudit analyze --json" "$RUNS" \
		./rstaudit analyze --json "$CAP" >> "$TMP/rows"
else
	echo "rstaudit analyze|-|-|-|-|skipped: ./rstaudit not built (make)" >> "$TMP/rows"
	echo "rstaudit analyze --json|-|-|-|-|skipped: ./rstaudit not built (make)" >> "$TMP/rows"
fi
measure "bareloop (pcap_dispatch)" "$RUNS" bench/bareloop "$CAP" >> "$TMP/rows" ||
	die "bench/bareloop failed: $(cat "$TMP/err")"
if [ -x ./rstaudit ] && [ "$PAIRS" -gt 0 ]; then
	for f in text json; do
		a="./rstaudit analyze $CAP"
		[ "$f" = json ] && a="./rstaudit analyze --json $CAP"
		paired "$TMP/pair.$f" "$a" "bench/bareloop $CAP" ||
			die "paired runs failed: $(cat "$TMP/err")"
	done
fi
if [ "$TSHARK" != 0 ] && command -v tshark > /dev/null; then
	measure "tshark -Y tcp.flags.reset==1" 1 \
		tshark -r "$CAP" -Y tcp.flags.reset==1 >> "$TMP/rows"
else
	echo "tshark -Y tcp.flags.reset==1|-|-|-|-|skipped" >> "$TMP/rows"
fi

# ---- report ----
echo
echo "machine: $(nproc) CPUs, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1), load $(cut -d' ' -f1-3 /proc/loadavg)"
awk -v size="$(wc -c < "$CAP")" -v cap="$CAP" '
	{ for (i = 1; i <= NF; i++) { split($i, kv, "="); s[kv[1]] = kv[2] } }
	END {
		printf "capture: %s, %.1f MB, %d packets (snaplen %d, %.0f MB on the wire), %.1f s\n",
		    cap, size / 1e6, s["packets"], s["snaplen"],
		    s["wire_bytes"] / 1e6, s["duration_s"]
		printf "         %d flows (%d closed), IPv4 %.0f%%, IPv6 %.0f%%\n",
		    s["flows"], s["flows_closed"], 100 * s["ipv4"] / s["packets"],
		    100 * s["ipv6"] / s["packets"]
		printf "         %d RSTs (%.2f%%): refused %d, abort %d, R-only %d, forged %d\n",
		    s["rst"], 100 * s["rst"] / s["packets"], s["rst_refused"],
		    s["rst_abort"], s["rst_ronly"], s["rst_forged"]
	}' "$DIR/cap.stats"
echo
awk -F'|' '
	BEGIN {
		printf "%-30s %9s %9s %13s %10s  %s\n", "", "best s",
		    "median s", "packets/s", "peak RSS", ""
	}
	{
		if ($2 == "-")
			printf "%-30s %9s %9s %13s %10s  %s\n", $1, "-", "-", "-", "-", $6
		else
			printf "%-30s %9s %9s %13s %7s MB  %s\n", $1, $2, $3,
			    sprintf("%.2f M", $4 / 1e6), $5, $6
		pps[$1] = $4
	}
	END {
		print ""
		ratio("rstaudit analyze", "tshark -Y tcp.flags.reset==1", 100)
		ratio("rstaudit analyze --json", "tshark -Y tcp.flags.reset==1", 100)
	}
	function ratio(a, b, target,   r) {
		label = sprintf("%s / %s", a, b)
		sub(/ \(pcap_dispatch\)/, "", label)
		sub(/ -Y tcp.flags.reset==1/, "", label)
		if (pps[a] == "-" || pps[b] == "-" || pps[a] == "" || pps[b] == "") {
			printf "%-40s %9s   target >= %gx\n", label, "n/a", target
			return
		}
		r = pps[a] / pps[b]
		printf "%-40s %8.2fx   target >= %gx  %s\n", label, r, target,
		    (r >= target ? "met" : "MISSED")
	}' "$TMP/rows"
# The bare loop's targets from the paired runs: the median of the pairs'
# ratios, and their range.
for f in text json; do
	if [ ! -s "$TMP/pair.$f" ]; then
		printf '%-40s %9s   target >= 1x  (no paired runs: BENCH_PAIRS=0, or no ./rstaudit)\n' \
		    "rstaudit analyze$([ $f = json ] && echo ' --json') / bareloop" n/a
		continue
	fi
	sort -n "$TMP/pair.$f" | awk -v f="$f" '
		{ r[NR] = $1 }
		END {
			med = (NR % 2) ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2
			label = "rstaudit analyze" (f == "json" ? " --json" : "") " / bareloop"
			printf "%-40s %8.2fx   target >= 1x  %s  (median of %d alternating pairs, %.2fx-%.2fx)\n",
			    label, med, (med >= 1 ? "met" : "MISSED"), NR, r[1], r[NR]
		}'
done
