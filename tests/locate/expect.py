#!/usr/bin/python3
"""tests/locate/expect.py FILE KEY=VALUE...: the last JSON object in FILE
(with event_type "locate") has each KEY at VALUE (JSON: 3, "x", null,
true).  A KEY may be dotted (full.acked).  Prints what differs; exit 1."""
import json
import sys
import os
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../lib"))
import rstevent  # noqa: E402  (tests/lib: any event format, legacy keys)


def get(obj, key):
    for part in key.split("."):
        obj = obj.get(part) if isinstance(obj, dict) else None
    return obj


def main():
    events = []
    with open(sys.argv[1]) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                ev = rstevent.loads(line)
                if ev.get("event_type") == "locate":
                    events.append(ev)
    if not events:
        print("no locate object in %s" % sys.argv[1])
        return 1
    ev, bad = events[-1], 0
    for kv in sys.argv[2:]:
        key, want = kv.split("=", 1)
        want = json.loads(want)
        if get(ev, key) != want:
            print("%s: %r, expected %r" % (key, get(ev, key), want))
            bad = 1
    if bad:
        print(json.dumps(ev))
    return bad


sys.exit(main())
