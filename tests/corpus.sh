#!/bin/sh
# tests/corpus.sh: what the public captures in tests/golden/external/ must
# be called (their README), asserted on `rstaudit analyze --json`.
# The rules are in tests/corpus.tsv; this runs rstaudit once per file
# named there and checks each rule with a small python3 checker.
# Prints every failure, then `corpus: N passed, N failed, N skipped`
# (the checker's log: tests/out/corpus.log).
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
TALLY=corpus . "$top/tests/lib/tally.sh"
bin=$top/rstaudit
if [ ! -x "$bin" ]; then
	fail "$bin is missing: run make first"
	finish
fi
if ! command -v python3 >/dev/null 2>&1; then
	fail "python3 is needed for the checker"
	finish
fi
mkdir -p "$top/tests/out" || { fail "cannot create tests/out"; finish; }

cd "$top/tests/golden" || { fail "no tests/golden"; finish; }
LC_ALL=C TZ=UTC
export LC_ALL TZ
check_counts "rules of tests/corpus.tsv" "$top/tests/out/corpus.log" \
	python3 - "$bin" external "$top/tests/corpus.tsv" <<'EOF'
import json
import re
import subprocess
import sys

sys.path.insert(0, "../lib")   # from tests/golden
import rstevent  # noqa: E402  (any event format, by the legacy keys)

BIN, DIR, TSV = sys.argv[1:4]
ORIGINS = {"endpoint", "local", "middlebox", "unknown"}
CAUSES = {"refused", "abort", "after-fin", "stale", "reject", "injected",
          "unknown"}
REQUIRED = ("ts", "family", "src", "sport", "dst", "dport", "flags", "seq",
            "ack", "ttl", "origin", "cause", "confidence", "evidence",
            "frame", "file")
SANITIZER = re.compile(r"runtime error|AddressSanitizer|LeakSanitizer")
TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")

passed = failed = 0


def result(ok, where, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL %s: %s" % (where, what))


def run(name):
    """Run rstaudit on one file: (events, exit status, stderr, problems)."""
    path = "%s/%s" % (DIR, name)
    p = subprocess.run([BIN, "analyze", "--json", path],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = p.stdout.decode("utf-8", "replace")
    err = p.stderr.decode("utf-8", "replace")
    events, problems = [], []
    for n, line in enumerate(out.splitlines(), 1):
        try:
            e = rstevent.loads(line)
        except ValueError as x:
            problems.append("stdout line %d is not JSON (%s): %.80s"
                            % (n, x, line))
            continue
        if not isinstance(e, dict):
            problems.append("stdout line %d is not an object" % n)
            continue
        events.append(e)
    if p.returncode < 0 or p.returncode >= 128:
        problems.append("killed by signal %d" % abs(p.returncode))
    if SANITIZER.search(err):
        problems.append("sanitizer report in stderr: %.200s" % err)
    for e in events:
        f = e.get("frame", "?")
        missing = [k for k in REQUIRED if k not in e]
        if missing:
            problems.append("frame %s: missing %s" % (f, ", ".join(missing)))
            continue
        if e["origin"] not in ORIGINS or e["cause"] not in CAUSES:
            problems.append("frame %s: origin %r cause %r outside the "
                            "vocabulary" % (f, e["origin"], e["cause"]))
        c = e["confidence"]
        if not isinstance(c, (int, float)) or not 0 <= c <= 1:
            problems.append("frame %s: confidence %r" % (f, c))
        if not isinstance(e["evidence"], list) or not e["evidence"] or \
                not all(isinstance(s, str) and s for s in e["evidence"]):
            problems.append("frame %s: evidence must be a non-empty list "
                            "of sentences" % f)
        if e["file"] != path:
            problems.append("frame %s: file %r, not %r" % (f, e["file"], path))
        if e["family"] not in ("ipv4", "ipv6") or not TS.match(e["ts"]):
            problems.append("frame %s: family %r ts %r"
                            % (f, e["family"], e["ts"]))
    return events, p.returncode, err, problems


def compare(have, op, want):
    """Apply op; have may be a list of strings (evidence)."""
    if op in ("contains", "matches"):
        items = have if isinstance(have, list) else [str(have)]
        if op == "contains":
            return any(want in s for s in items)
        return any(re.search(want, s) for s in items)
    if op == "in":
        return str(have) in want.split(",")
    try:
        h, w = float(have), float(want)
    except (TypeError, ValueError):
        h, w = str(have), want
        if op not in ("=", "!="):
            raise ValueError("%s needs numbers" % op)
    return {"=": h == w, "!=": h != w, "<": h < w, "<=": h <= w,
            ">": h > w, ">=": h >= w}[op]


rules = []
with open(TSV) as f:
    for n, line in enumerate(f, 1):
        line = line.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) != 5:
            print("FAIL %s:%d: want 5 tab-separated columns, got %d"
                  % (TSV, n, len(cols)))
            sys.exit(2)
        rules.append((n, cols))

runs = {}
for n, (name, which, field, op, want) in rules:
    if name not in runs:
        runs[name] = run(name)
        events, rc, err, problems = runs[name]
        result(not problems, name, "; ".join(problems))
    events, rc, err, problems = runs[name]
    where = "%s (tsv line %d: %s %s %s %s)" % (name, n, which, field, op, want)
    try:
        if which == "-":
            have = {"events": len(events), "exit": rc}.get(field)
            if have is None:
                raise ValueError("unknown run field %r" % field)
            result(compare(have, op, want), where, "got %s" % have)
            continue
        if which == "*":
            chosen = events
            if not chosen:
                result(False, where, "no events")
                continue
        else:
            chosen = [e for e in events if str(e.get("frame")) == which]
            if not chosen:
                result(False, where, "no event for frame %s (frames: %s)"
                       % (which, ", ".join(str(e.get("frame"))
                                           for e in events) or "none"))
                continue
        bad = [e for e in chosen if not compare(e.get(field), op, want)]
        result(not bad, where, "; ".join(
            "frame %s has %s %s" % (e.get("frame"), field,
                                    json.dumps(e.get(field)))
            for e in bad))
    except (ValueError, re.error) as x:
        result(False, where, "bad rule: %s" % x)

print("check: %d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
EOF
finish
