#!/bin/sh
# Build the libFuzzer targets with clang and run each for $FUZZ_SECONDS
# (default 60) from its seed corpus tests/fuzz/corpus_<name>/.  A crash,
# leak, timeout or sanitizer report fails the run and leaves the input that
# caused it in tests/fuzz/ (crash-*, leak-*, timeout-*); replay it with
# ./tests/fuzz/fuzz_<name> FILE.  New inputs the fuzzer finds go to a
# scratch directory, so the committed seeds stay as they are
# (FUZZ_CORPUS=DIR keeps them in DIR/<name> instead, for a long run).
#
# One target per parser: fuzz_pkt (a frame, every link type), fuzz_file
# (whole capture files through the engine and both outputs, read by
# libpcap and by our mmap reader, which must agree), fuzz_rule
# (policy rule lines), fuzz_conf (whole configuration files), fuzz_ctl
# (control socket requests), fuzz_evring (the evidence ring and its
# pcapng blocks), fuzz_ctev (conntrack's event messages, into the view),
# fuzz_nfq (NFQUEUE and NFLOG datagrams, decoded and answered).
# `make check-fuzz` runs each for a few seconds
# (FUZZ_SECONDS=3); `make fuzz` for a minute; the long run is
#     FUZZ_SECONDS=3600 FUZZ_CORPUS=/var/tmp/rstaudit-fuzz make fuzz
# (an hour per target, the corpus kept between runs).
# The last line is "fuzz: N passed, N failed, N skipped" (tests/lib/tally.sh).
set -u
cd "$(dirname "$0")/../.." || exit 1
TALLY=fuzz
. tests/lib/tally.sh

secs=${FUZZ_SECONDS:-60}
FUZZ_CC=${FUZZ_CC:-clang}
FUZZ_CFLAGS="-std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
-fno-sanitize-recover=undefined -D_GNU_SOURCE -Isrc"
core="src/pkt.c src/table.c src/flow.c src/host.c src/classify.c src/evidence.c \
src/engine.c src/policy.c src/output.c src/eve.c src/ecs.c src/text.c src/sha1.c \
src/pcapin.c src/pcapmap.c src/rstdelay.c src/obuf.c"
conf="src/conf.c src/log.c src/policy.c src/evidence.c src/classify.c src/obuf.c"

if ! command -v "$FUZZ_CC" >/dev/null 2>&1; then
	fail "$FUZZ_CC not found; install clang (make deps)"
	finish
fi

# fuzz NAME SOURCE... [-- LDFLAGS...]: build and run tests/fuzz/NAME.
fuzz() {
	name=$1
	shift
	srcs=
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		srcs="$srcs $1"
		shift
	done
	[ $# -gt 0 ] && shift
	# shellcheck disable=SC2086
	if ! $FUZZ_CC $FUZZ_CFLAGS -o "tests/fuzz/$name" "tests/fuzz/$name.c" \
	    $srcs "$@"; then
		fail "$name: build failed"
		return 0
	fi
	seeds=tests/fuzz/corpus_${name#fuzz_}
	if [ -n "${FUZZ_CORPUS:-}" ]; then
		scratch=$FUZZ_CORPUS/$name
		mkdir -p "$scratch"
	else
		scratch=$(mktemp -d "${TMPDIR:-/tmp}/rstaudit-$name.XXXXXX") || {
			fail "$name: no scratch directory"
			return 0
		}
	fi
	# stderr closed for the target (the configuration parser logs each
	# error); libFuzzer and the sanitizers still report on their own copy.
	if out=$(./"tests/fuzz/$name" -max_total_time="$secs" -max_len=4096 \
	    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	    -close_fd_mask=2 -artifact_prefix=tests/fuzz/ "$scratch" \
	    "$seeds" 2>&1); then
		runs=$(echo "$out" | sed -n 's/^stat::number_of_executed_units: *//p')
		pass "$name: ${secs}s, ${runs:-?} inputs, corpus $(ls "$scratch" | wc -l), clean"
	else
		fail "$name: FAILED; reproducer in tests/fuzz/"
		echo "$out" | grep -E 'ERROR|SUMMARY|==[0-9]+==|#[0-9]+ ' | head -20
	fi
	[ -n "${FUZZ_CORPUS:-}" ] || rm -rf "$scratch"
}

# One line per target: its sources, then -- and what it links against.
fuzz fuzz_pkt src/pkt.c
fuzz fuzz_rule src/policy.c src/evidence.c src/classify.c src/obuf.c
# shellcheck disable=SC2046,SC2086	# word splitting wanted
fuzz fuzz_file $core -- $(pkg-config --libs libpcap 2>/dev/null || echo -lpcap)
# shellcheck disable=SC2086
fuzz fuzz_conf $conf
# shellcheck disable=SC2086
fuzz fuzz_ctl src/ctl.c src/output.c src/eve.c src/ecs.c src/text.c src/sha1.c src/stats.c src/pkt.c $conf
fuzz fuzz_evring src/evring.c src/pcapng.c src/pkt.c src/flow.c
# shellcheck disable=SC2046	# word splitting wanted
fuzz fuzz_ctev src/ctview.c src/ctvmsg.c src/ct.c src/log.c src/table.c -- $(pkg-config --libs \
    libmnl libnetfilter_conntrack 2>/dev/null || echo -lmnl -lnetfilter_conntrack)
# shellcheck disable=SC2046	# word splitting wanted
fuzz fuzz_nfq src/nfq.c src/nfqverdict.c src/log.c -- $(pkg-config --libs \
    libmnl libnetfilter_queue 2>/dev/null || echo -lmnl -lnetfilter_queue)

finish
