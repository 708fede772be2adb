#!/bin/sh
# Build the libFuzzer targets with clang and run each for $FUZZ_SECONDS
# (default 60) from its seed corpus tests/fuzz/corpus_<name>/.  A crash,
# leak, timeout or sanitizer report fails the run and leaves the input that
# caused it in tests/fuzz/ (crash-*, leak-*, timeout-*); replay it with
# ./tests/fuzz/fuzz_<name> FILE.  New inputs the fuzzer finds go to a
# scratch directory, so the committed seeds stay as they are.
set -u
cd "$(dirname "$0")/../.." || exit 1

secs=${FUZZ_SECONDS:-60}
FUZZ_CC=${FUZZ_CC:-clang}
FUZZ_CFLAGS="-std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
-fno-sanitize-recover=undefined -D_GNU_SOURCE -Isrc"
core="src/pkt.c src/table.c src/flow.c src/host.c src/classify.c src/evidence.c \
src/engine.c src/policy.c src/output.c src/eve.c src/ecs.c src/sha1.c src/pcapin.c"
rc=0

if ! command -v "$FUZZ_CC" >/dev/null 2>&1; then
	echo "fuzz: $FUZZ_CC not found; install clang (make deps)" >&2
	exit 1
fi

# fuzz NAME SOURCE... [-- LDFLAGS...]: build and run tests/fuzz/NAME.
fuzz() {
	name=$1
	shift
	if [ ! -f "tests/fuzz/$name.c" ]; then
		echo "fuzz: tests/fuzz/$name.c not written yet, skipped"
		return 0
	fi
	srcs=
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		srcs="$srcs $1"
		shift
	done
	[ $# -gt 0 ] && shift
	# shellcheck disable=SC2086
	if ! $FUZZ_CC $FUZZ_CFLAGS -o "tests/fuzz/$name" "tests/fuzz/$name.c" \
	    $srcs "$@"; then
		echo "fuzz: $name: build failed" >&2
		rc=1
		return 0
	fi
	seeds=tests/fuzz/corpus_${name#fuzz_}
	mkdir -p "$seeds"
	scratch=$(mktemp -d "${TMPDIR:-/tmp}/rstaudit-$name.XXXXXX") || {
		rc=1
		return 0
	}
	echo "fuzz: $name for ${secs}s"
	if ./"tests/fuzz/$name" -max_total_time="$secs" -max_len=4096 \
	    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix=tests/fuzz/ "$scratch" "$seeds"; then
		echo "fuzz: $name: clean"
	else
		echo "fuzz: $name: FAILED; reproducer in tests/fuzz/" >&2
		rc=1
	fi
	rm -rf "$scratch"
}

# One line per target: its sources, then -- and what it links against.
fuzz fuzz_pkt src/pkt.c
fuzz fuzz_rule src/policy.c src/evidence.c src/classify.c
# shellcheck disable=SC2046,SC2086	# word splitting wanted
fuzz fuzz_file $core -- $(pkg-config --libs libpcap 2>/dev/null || echo -lpcap)

exit $rc
