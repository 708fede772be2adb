#!/usr/bin/python3
"""What `rstaudit report --json` must say about event files, counted here
on its own (tests/lib/rstevent.py reads the three formats, ipaddress
makes the prefixes), and compared field by field.

    expect.py REPORT.json FILE...

Prints one FAIL line per difference and "report-expect: N passed, N
failed" last.
"""

import gzip
import ipaddress
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import rstevent  # noqa: E402

passed = failed = 0


def result(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL %s" % what)


def events(path):
    op = gzip.open if path.endswith(".gz") else open
    with op(path, "rt") as f:
        for line in f:
            if not line.startswith("{"):
                continue
            raw = json.loads(line)
            if raw.get("event_type", "rst") != "rst":
                continue
            host = raw.get("host") or raw.get("observer", {}).get("hostname")
            yield rstevent.legacy(raw), host or os.path.basename(path)


def service(e):
    addr, port = (e["src"], e["sport"]) if e["sport"] < e["dport"] \
        else (e["dst"], e["dport"])
    bits = 24 if ":" not in addr else 48
    net = ipaddress.ip_network("%s/%d" % (addr, bits), strict=False)
    return (str(net), port)


def main():
    got = json.load(open(sys.argv[1]))
    want = {"by_destination": {}, "by_origin_cause": {}, "by_injector_hop": {}}
    n, gws = 0, set()
    for path in sys.argv[2:]:
        for e, gw in events(path):
            n += 1
            gws.add(gw)
            ts = e["ts"][:26] + "Z"
            keys = [("by_destination", service(e)),
                    ("by_origin_cause", (e["origin"], e["cause"]))]
            if "injector_hop" in e:
                keys.append(("by_injector_hop", (e["injector_hop"],)))
            for t, k in keys:
                r = want[t].setdefault(k, {"count": 0, "first": ts,
                                           "last": ts, "gateways": set()})
                r["count"] += 1
                r["first"], r["last"] = min(r["first"], ts), max(r["last"], ts)
                r["gateways"].add(gw)
    result(got["events"] == n, "events: got %s, want %d" % (got["events"], n))
    result(set(got["gateways"]) == gws,
           "gateways: got %s, want %s" % (got["gateways"], sorted(gws)))
    keyof = {"by_destination": lambda r: (r["prefix"], r["port"]),
             "by_origin_cause": lambda r: (r["origin"], r["cause"]),
             "by_injector_hop": lambda r: (r["hop"],)}
    for t, rows in want.items():
        g = {keyof[t](r): r for r in got[t]}
        result(set(g) == set(rows), "%s keys: got %s, want %s"
               % (t, sorted(map(str, g)), sorted(map(str, rows))))
        for k, w in rows.items():
            r = g.get(k)
            if r is None:
                continue
            for f in ("count", "first", "last"):
                result(r[f] == w[f], "%s %s %s: got %s, want %s"
                       % (t, k, f, r[f], w[f]))
            result(set(r["gateways"]) == w["gateways"],
                   "%s %s gateways: got %s, want %s"
                   % (t, k, r["gateways"], sorted(w["gateways"])))
        counts = [r["count"] for r in got[t]]
        result(counts == sorted(counts, reverse=True),
               "%s: rows not by count, most first" % t)
    print("report-expect: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
