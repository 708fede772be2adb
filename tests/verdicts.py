#!/usr/bin/env python3
"""The standing rule: no endpoint's reset called middlebox or local.

    python3 tests/verdicts.py RSTAUDIT TOP [--readme]

Holds rstaudit's verdicts against every reset under tests/ whose truth is
known, and prints the confusion matrix (origin by truth) and the
calibration table (confidence band against accuracy):

  golden   tests/golden/truth.tsv (make-inputs.py writes it with the
           captures): `rstaudit analyze --json` of each capture named;
           every event there must have a truth row
  corpus   tests/corpus.tsv's `FRAME origin = X` rules on the public
           captures (their README's truth)
  lab      tests/golden/lab/expect-vN.tsv against client-vN.pcap and
           gw-vN.pcap, and each tests/out/lab/ipvN/expect.tsv against the
           captures this run's lab made (analyze); each
           tests/out/live*/**/expect.tsv against the events.json the
           daemon wrote beside it (run); a reset's truth is the lab's
           expected origin at that capture point

Prints "verdicts: ..." lines; exits 1 on any false forgery, on a golden
event without truth, or on a cause that differs from a pinned one.
"""
import glob
import json
import os
import subprocess
import sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import rstevent  # noqa: E402  (tests/lib: any event format, legacy keys)

ORIGINS = ("endpoint", "local", "middlebox", "unknown")
BANDS = ((0.0, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 0.95), (0.95, 1.01))


class Tally:
    def __init__(self):
        self.rows = []          # (source, where, truth_o, truth_c, event)
        self.problems = []

    def add(self, source, where, origin, cause, ev):
        self.rows.append((source, where, origin, cause, ev))


def analyze(binary, path):
    p = subprocess.run([binary, "analyze", "--json", path],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode >= 128 or p.returncode < 0:
        raise RuntimeError("%s: rstaudit killed (%d)" % (path, p.returncode))
    return [rstevent.loads(line) for line in p.stdout.decode().splitlines()
            if line.startswith("{")]


def from_golden(binary, top, t):
    gdir = os.path.join(top, "tests", "golden")
    truth = {}
    with open(os.path.join(gdir, "truth.tsv")) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            name, frame, origin, cause = line.rstrip("\n").split("\t")
            truth.setdefault(name, {})[int(frame)] = (origin, cause)
    for name in sorted(truth):
        path = os.path.join(gdir, name)
        if not os.path.exists(path):
            t.problems.append("golden: %s named in truth.tsv is gone" % name)
            continue
        for ev in analyze(binary, path):
            where = "%s:%s" % (name, ev["frame"])
            if ev["frame"] not in truth[name]:
                t.problems.append("golden: %s: a reset with no truth row "
                                  "(make-inputs.py must mark it)" % where)
                continue
            origin, cause = truth[name][ev["frame"]]
            t.add("golden", where, origin, None if cause == "-" else cause,
                  ev)


def from_corpus(binary, top, t):
    rules = {}
    with open(os.path.join(top, "tests", "corpus.tsv")) as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if line.startswith("#") or len(cols) != 5 or cols[3] != "=":
                continue
            name, which, field, _, want = cols
            if which.isdigit() and field in ("origin", "cause"):
                rules.setdefault(name, {}).setdefault(int(which), {})[
                    field] = want
    for name in sorted(rules):
        path = os.path.join(top, "tests", "golden", "external", name)
        for ev in analyze(binary, path):
            r = rules[name].get(ev["frame"])
            if r and "origin" in r:
                t.add("corpus", "%s:%s" % (name, ev["frame"]), r["origin"],
                      r.get("cause"), ev)


def read_expect(path):
    rows = []
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            c = line.rstrip("\n").split("\t")
            rows.append({"scenario": c[0], "key": (c[2], int(c[3]), c[4],
                                                   int(c[5])),
                         "client": (c[6], c[7]), "gw": (c[8], c[9])})
    return rows


def match_expect(source, label, rows, point, events, t):
    """Pair events with expect rows of the same 4-tuple, in order."""
    pending = {}
    for r in rows:
        if r[point][0] != "-":
            pending.setdefault(r["key"], []).append(r)
    for ev in events:
        k = (ev["src"], ev["sport"], ev["dst"], ev["dport"])
        if pending.get(k):
            r = pending[k].pop(0)
            t.add(source, "%s %s %s" % (label, point, r["scenario"]),
                  r[point][0], r[point][1], ev)


def from_lab(binary, top, t):
    g = os.path.join(top, "tests", "golden", "lab")
    for fam in ("4", "6"):
        rows = read_expect(os.path.join(g, "expect-v%s.tsv" % fam))
        for point in ("client", "gw"):
            evs = analyze(binary, os.path.join(g, "%s-v%s.pcap" %
                                               (point, fam)))
            match_expect("lab", "golden/lab v%s" % fam, rows, point, evs, t)
    out = os.path.join(top, "tests", "out")
    for exp in sorted(glob.glob(os.path.join(out, "lab", "ipv*",
                                             "expect.tsv"))):
        d = os.path.dirname(exp)
        for point in ("client", "gw"):
            cap = os.path.join(d, point + ".pcap")
            if os.path.exists(cap):
                match_expect("lab", os.path.relpath(d, top), read_expect(exp),
                             point, analyze(binary, cap), t)
    for exp in sorted(glob.glob(os.path.join(out, "live*", "**",
                                             "expect.tsv"), recursive=True)):
        evf = os.path.join(os.path.dirname(exp), "events.json")
        if os.path.exists(evf):
            evs = [rstevent.loads(x) for x in open(evf) if x.startswith("{")]
            match_expect("run", os.path.relpath(os.path.dirname(exp), top),
                         read_expect(exp), "gw", evs, t)


def matrix(t):
    m = {}
    for _, _, origin, _, ev in t.rows:
        m[(origin, ev["origin"])] = m.get((origin, ev["origin"]), 0) + 1
    lines = ["    truth \\ said   " + "".join("%11s" % o for o in ORIGINS) +
             "      n"]
    for o in ORIGINS[:3]:
        n = sum(m.get((o, s), 0) for s in ORIGINS)
        lines.append("    %-15s " % o + "".join(
            "%11d" % m.get((o, s), 0) for s in ORIGINS) + "%7d" % n)
    return lines


def calibration(t):
    lines = ["    confidence     resets   origin right   accuracy   mean conf"]
    for lo, hi in BANDS:
        sel = [r for r in t.rows if lo <= r[4]["confidence"] < hi]
        if not sel:
            lines.append("    %.2f-%.2f %10d %14s %10s" %
                         (lo, min(hi, 1.0), 0, "-", "-"))
            continue
        right = sum(1 for r in sel if r[4]["origin"] == r[2])
        mean = sum(r[4]["confidence"] for r in sel) / len(sel)
        lines.append("    %.2f-%.2f %10d %14d %9.1f%% %11.2f" %
                     (lo, min(hi, 1.0), len(sel), right,
                      100.0 * right / len(sel), mean))
    return lines


def main():
    binary, top = sys.argv[1], sys.argv[2]
    t = Tally()
    from_golden(binary, top, t)
    from_corpus(binary, top, t)
    from_lab(binary, top, t)
    false_forgeries = [r for r in t.rows if r[2] == "endpoint" and
                       r[4]["origin"] in ("middlebox", "local")]
    wrong_cause = [r for r in t.rows if r[3] and r[4]["origin"] == r[2]
                   and r[4]["cause"] != r[3]]
    srcs = {}
    for r in t.rows:
        srcs[r[0]] = srcs.get(r[0], 0) + 1
    print("verdicts: %d resets with known truth (%s)" % (len(t.rows), ", ".join(
        "%s %d" % kv for kv in sorted(srcs.items()))))
    print("verdicts: origin by truth:")
    print("\n".join(matrix(t)))
    print("verdicts: calibration (is the origin right, by confidence band):")
    print("\n".join(calibration(t)))
    for r in false_forgeries:
        print("verdicts: FALSE FORGERY: %s: an endpoint's reset called %s/%s"
              " (%.2f): %s" % (r[1], r[4]["origin"], r[4]["cause"],
                               r[4]["confidence"], "; ".join(r[4]["evidence"])))
    for r in wrong_cause:
        print("verdicts: WRONG CAUSE: %s: %s/%s, truth %s/%s" % (
            r[1], r[4]["origin"], r[4]["cause"], r[2], r[3]))
    missed = [r for r in t.rows if r[2] != r[4]["origin"] and r not in
              false_forgeries]
    for r in missed:
        print("verdicts: note: %s: truth %s, said %s/%s (%.2f)" % (
            r[1], r[2], r[4]["origin"], r[4]["cause"], r[4]["confidence"]))
    for p in t.problems:
        print("verdicts: PROBLEM: " + p)
    print("verdicts: false forgeries %d, wrong causes %d, other misses %d, "
          "problems %d" % (len(false_forgeries), len(wrong_cause),
                           len(missed), len(t.problems)))
    sys.exit(1 if false_forgeries or wrong_cause or t.problems else 0)


if __name__ == "__main__":
    main()
