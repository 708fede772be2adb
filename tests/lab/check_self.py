"""check.py self-test: prove that check_events catches wrong verdicts,
missing, extra and duplicated events, and wrong live facts, on
hand-made events (stdlib only)."""

import os

from check import Tally, check_events, live_expect, read_expect


SELF_EXPECT = """\
# scenario\tfamily\tsrc\tsport\tdst\tdport\tclient_origin\tclient_cause\tgw_origin\tgw_cause\tsender
refused\tipv4\t10.0.3.2\t7001\t10.0.1.2\t41001\tendpoint\trefused\tendpoint\trefused\tserver
gw-reject-syn\tipv6\tfd00:3::2\t7005\tfd00:1::2\t41005\tmiddlebox\treject\tlocal\treject\tgw
inject\tipv4\t10.0.3.2\t7009\t10.0.1.2\t41009\tmiddlebox\tinjected\tmiddlebox\tinjected\tmbox
inject\tipv4\t10.0.3.2\t7009\t10.0.1.2\t41009\tmiddlebox\tinjected\tmiddlebox\tinjected\tmbox
inject-to-server\tipv4\t10.0.1.2\t41009\t10.0.3.2\t7009\t-\t-\t-\t-\tmbox
"""


def self_events(rows, point):
    out = []
    for n, r in enumerate(rows):
        if r[point + "_origin"] == "-":
            continue
        out.append({"ts": "2025-01-01T00:00:00.000000Z", "family": r["family"],
                    "src": r["src"], "sport": r["sport"], "dst": r["dst"],
                    "dport": r["dport"], "flags": "RA", "seq": 1000 * n,
                    "ack": 1, "ttl": 63, "origin": r[point + "_origin"],
                    "cause": r[point + "_cause"], "confidence": 0.9,
                    "evidence": ["hand-made"], "frame": 10 * (n + 1),
                    "file": point + ".pcap"})
    return out


def self_test(t):
    """Run check_events on mutated event lists; each mutation must fail."""
    import copy
    import io
    import contextlib
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "expect.tsv")
        with open(p, "w") as f:
            f.write(SELF_EXPECT)
        rows = read_expect(p)
    good = self_events(rows, "gw")
    dup = copy.deepcopy(good[1])
    dup["frame"] += 1
    dup["ttl"] = 62
    extra = copy.deepcopy(good[0])
    extra.update(src="10.0.1.2", sport=41009, dst="10.0.3.2", dport=7009)
    cases = [
        ("correct events", good, 0),
        ("wrong origin", [dict(good[0], origin="middlebox")] + good[1:], 1),
        ("wrong cause", good[:1] + [dict(good[1], cause="refused")] + good[2:], 1),
        ("missing event", good[:2] + good[3:], 1),
        ("unexpected event", good + [extra], 1),
        ("undeduplicated copy", good + [dup], 1),
        ("wrong family", [dict(good[0], family="ipv6")] + good[1:], 1),
        ("copies of one RST with TTLs far apart (GFW type 1)",
         good[:3] + [dict(good[3], seq=good[2]["seq"], ttl=112)], 0),
    ]
    for name, events, want_fail in cases:
        sub = Tally()
        with contextlib.redirect_stdout(io.StringIO()):
            check_events(rows, "gw", sorted(events, key=lambda e: e["frame"]),
                         sub)
        if (sub.failed > 0) == bool(want_fail):
            t.ok("self-test: %s %s" % (name, "caught" if want_fail else "passes"))
        else:
            t.fail("self-test: %s: %d failures reported" % (name, sub.failed))
    sub = Tally()
    with contextlib.redirect_stdout(io.StringIO()):
        check_events(rows, "gw", sorted(good + [dup], key=lambda e: e["frame"]),
                     sub, allow_dup=True)
    if sub.failed:
        t.fail("self-test: --allow-dup still fails on a copy")
    else:
        t.ok("self-test: --allow-dup accepts a copy")
    self_test_live(rows, t)


def self_live_events(rows):
    """What the daemon should write for rows: the offline events without
    frame and file, with live_expect()'s facts."""
    out = []
    for e, r in zip(self_events(rows, "gw"),
                    [r for r in rows if r["gw_origin"] != "-"]):
        del e["frame"], e["file"]
        w = live_expect(r)
        e.update(hook=w["hook"], verdict=w["verdict"], ct=None,
                 ttl=int(w["ttl"]), **{"in": w["in"], "out": w["out"]})
        if "ct.state" in w:
            e["ct"] = {"state": w["ct.state"], "id": 7, "invalid": False}
        out.append(e)
    return out


def self_test_live(rows, t):
    """check_events(live=True) passes the right live facts and catches
    each wrong one."""
    import copy
    import io
    import contextlib
    good = self_live_events(rows)

    def with_change(i, **kw):
        evs = copy.deepcopy(good)
        for k, v in kw.items():
            if k.startswith("ct_"):
                evs[i]["ct"][k[3:]] = v
            else:
                evs[i][k] = v
        return evs

    cases = [
        ("live: correct events", good, 0),
        ("live: forward hook for the gateway's own reset", with_change(1, hook="forward"), 1),
        ("live: wrong input interface", with_change(0, **{"in": "c0"}), 1),
        ("live: verdict of a logged reset", with_change(1, verdict="accept"), 1),
        ("live: conntrack entry where there is none", with_change(0, ct={"state": "CLOSE", "id": 1, "invalid": False}), 1),
        ("live: conntrack judged it invalid", with_change(2, ct_invalid=True), 1),
        ("live: wrong conntrack state", with_change(3, ct_state="ESTABLISHED"), 1),
        ("live: wrong origin", with_change(2, origin="endpoint"), 1),
        ("live: TTL after gw's own decrement", with_change(0, ttl=61), 1),
        ("live: missing event", good[:3], 1),
    ]
    for name, events, want_fail in cases:
        sub = Tally()
        with contextlib.redirect_stdout(io.StringIO()):
            check_events(rows, "gw", events, sub, live=True)
        if (sub.failed > 0) == bool(want_fail):
            t.ok("self-test: %s %s" % (name, "caught" if want_fail else "passes"))
        else:
            t.fail("self-test: %s: %d failures reported" % (name, sub.failed))
