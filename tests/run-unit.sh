#!/bin/sh
# Run each unit test binary; fail if any fails.  Each prints its own
# "N passed, N failed" line.
rc=0
for t in "$@"; do
	"./$t" || { echo "unit test $t failed" >&2; rc=1; }
done
exit $rc
