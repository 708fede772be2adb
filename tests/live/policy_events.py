#!/usr/bin/python3
"""Check the policy side of rstaudit's live events (JSON lines).

  policy_events.py FILE --src A --sport P [--dport Q] [--select K=V]...
                   [--want N | --min N [--max M]] [--wait S] [K=V]...
  policy_events.py FILE --src A --sport P [--select K=V]... --count

Takes the events of RSTs from A port P (to port Q, when given), keeps
those whose every --select K=V holds, waits up to S seconds until there
are N of them, then checks that there are exactly N (when --want is
given; at least N and at most M with --min and --max) and that each has
every K=V.  With --count, prints how many there are now, nothing else.  K is a field or a dotted path
(policy.rule, policy.hold.ended, ct.state); V "null" matches a null or
absent field, "true"/"false" a boolean.  Prints the events and "ok" or
what is wrong; exits 0 when all is well.
"""

import argparse
import json
import sys
import time
import os
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../lib"))
import rstevent  # noqa: E402  (tests/lib: any event format, legacy keys)


def events(path):
    out = []
    try:
        with open(path) as f:
            for line in f:
                if not line.endswith("\n"):
                    break       # the daemon is still writing it
                line = line.strip()
                if line:
                    out.append(rstevent.loads(line))
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


def holds(e, kvs):
    return all(field(e, k) == v for k, _, v in (kv.partition("=") for kv in kvs))


def chosen(a):
    return [e for e in events(a.file)
            if e.get("src") == a.src and e.get("sport") == a.sport
            and (a.dport is None or e.get("dport") == a.dport)
            and holds(e, a.select)]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("file")
    p.add_argument("--src", required=True)
    p.add_argument("--sport", type=int, required=True)
    p.add_argument("--dport", type=int)
    p.add_argument("--select", action="append", default=[])
    p.add_argument("--want", type=int)
    p.add_argument("--min", type=int)
    p.add_argument("--max", type=int)
    p.add_argument("--count", action="store_true")
    p.add_argument("--wait", type=float, default=5)
    p.add_argument("expect", nargs="*")
    a = p.parse_intermixed_args()
    if a.count:
        print(len(chosen(a)))
        return 0
    least = a.want if a.want is not None else (a.min or 1)
    end = time.monotonic() + a.wait
    while True:
        found = chosen(a)
        if len(found) >= least or time.monotonic() >= end:
            break
        time.sleep(0.05)
    bad = []
    if a.want is not None and len(found) != a.want:
        bad.append("%d events, want %d" % (len(found), a.want))
    elif a.min is not None and len(found) < a.min:
        bad.append("%d events, want at least %d" % (len(found), a.min))
    elif a.max is not None and len(found) > a.max:
        bad.append("%d events, want at most %d" % (len(found), a.max))
    elif not found:
        bad.append("no event")
    for i, e in enumerate(found):
        print(json.dumps(e))
        for kv in a.expect:
            k, _, want = kv.partition("=")
            got = field(e, k)
            if got != want:
                bad.append("event %d: %s is %s, want %s" % (i + 1, k, got, want))
    print("; ".join(bad) if bad else "ok")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
