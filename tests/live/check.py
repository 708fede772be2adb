#!/usr/bin/python3
"""Check rstaudit's live events (JSON lines) for the live tests.

  check.py event FILE --src A --sport P [--wait S] KEY=VALUE...
      the newest event from A port P must exist (waiting up to S seconds)
      and have each KEY=VALUE: KEY a field (origin, cause, hook, in, out,
      verdict, family) or ct.state / ct.invalid; VALUE "null" for a null
      (or absent) one.  Prints the event, then "ok" or the mismatches.
  check.py count FILE --sport P [--wait S --want N]
      how many events come from port P (waiting until N when given).
"""

import argparse
import json
import sys
import time


def events(path):
    out = []
    try:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line:
                    out.append(json.loads(line))
    except FileNotFoundError:
        pass
    return out


def field(e, key):
    v = e
    for part in key.split("."):
        if not isinstance(v, dict) or part not in v or v[part] is None:
            return "null"
        v = v[part]
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def cmd_event(a):
    end = time.monotonic() + a.wait
    while True:
        found = [e for e in events(a.file)
                 if e.get("src") == a.src and e.get("sport") == a.sport]
        if found or time.monotonic() >= end:
            break
        time.sleep(0.1)
    if not found:
        print("no event from %s port %d in %s" % (a.src, a.sport, a.file))
        return 1
    e = found[-1]
    print(json.dumps(e))
    bad = []
    for kv in a.expect:
        k, _, want = kv.partition("=")
        got = field(e, k)
        if got != want:
            bad.append("%s is %s, want %s" % (k, got, want))
    print("; ".join(bad) if bad else "ok")
    return 1 if bad else 0


def cmd_count(a):
    end = time.monotonic() + a.wait
    while True:
        n = len([e for e in events(a.file) if e.get("sport") == a.sport])
        if a.want is None or n >= a.want or time.monotonic() >= end:
            break
        time.sleep(0.1)
    print(n)
    return 0 if a.want is None or n == a.want else 1


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("event", "count"):
        print(__doc__, file=sys.stderr)
        return 2
    p = argparse.ArgumentParser(prog="check.py " + sys.argv[1])
    p.add_argument("file")
    p.add_argument("--sport", type=int, required=True)
    p.add_argument("--wait", type=float, default=0)
    if sys.argv[1] == "event":
        p.add_argument("--src", required=True)
        p.add_argument("expect", nargs="*")
        return cmd_event(p.parse_intermixed_args(sys.argv[2:]))
    p.add_argument("--want", type=int)
    return cmd_count(p.parse_args(sys.argv[2:]))


if __name__ == "__main__":
    sys.exit(main())
