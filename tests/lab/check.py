#!/usr/bin/python3
"""Check the lab's captures and rstaudit's verdicts on them (stdlib only).

  check.py events EXPECT POINT EVENTS [--allow-dup]
      EVENTS is `rstaudit analyze --json` output for POINT's capture
      (POINT: client or gw).  Every reset in EXPECT visible at POINT must
      be reported once, in frame order, with the expected origin and cause;
      any other event fails.
  check.py live EXPECT EVENTS
      EVENTS is `rstaudit run --json-file` output on the lab's gateway
      while the scenarios of EXPECT ran (both families may share one
      file).  As `events` at POINT gw, in the order the daemon wrote
      them, and each event must also carry the hook, interfaces,
      conntrack facts and verdict the lab implies (live_expect()).
  check.py event EVENTS --src A --sport P [--wait S] KEY=VALUE...
      The newest live event from A port P exists (polling up to S
      seconds) and has each KEY=VALUE: KEY a field (origin, cause, hook,
      in, out, verdict, family...) or ct.state / ct.invalid; VALUE "null"
      for a null or absent one.
  check.py count EVENTS --sport P [--want N] [--wait S] [KEY=VALUE...]
      Events from port P: N of them (polling up to S seconds for N),
      and every one with each KEY=VALUE.
  check.py agree EVENTS ANALYZED [--expect EXPECT]
      The daemon's events (EVENTS) and `rstaudit analyze --json` of a
      capture taken on the same gateway meanwhile (ANALYZED) tell the
      same story: each reset in both, with the same origin, cause, TTL,
      hops, confidence and evidence (delays aside: the daemon times a
      packet when it reads it).  The gateway's own RSTs differ by design:
      the daemon saw them made (origin, cause, TTL and hops must agree).
      So do the resets of a flow gw NATs (EXPECT's GW_COPIES scenarios):
      its capture sees the client's packets before DNAT, the daemon
      after, so the capture's evidence may only lack sentences.
  check.py show EXPECT EVENTS
      For `make demo`: each live event on one line beside the scenario
      that made it (who, why, confidence, hook, interfaces, conntrack,
      the most telling evidence), marking any that `live` would fail;
      then each expected reset that no event reports.
  check.py wire OUTDIR
      The captures themselves: every expected reset is on the wire at each
      capture point, with the TTL its real sender implies (and, at the
      gateway, one copy for its own resets, two for forwarded ones).
  check.py self-test
      Prove that `events` catches wrong verdicts, missing, extra and
      duplicated events, on hand-made events.

Each prints one line per check, then `check: N passed, N failed`; exit
status 1 if anything failed.
"""

import argparse
import ipaddress
import json
import os
import struct
import sys
import time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../lib"))
import rstevent  # noqa: E402  (tests/lib: any event format, legacy keys)

POINTS = ("client", "gw")
ORIGINS = {"endpoint", "local", "middlebox", "unknown"}
CAUSES = {"refused", "abort", "after-fin", "stale", "reject", "injected"}
EVENT_FIELDS = ("ts", "family", "src", "sport", "dst", "dport", "flags",
                "seq", "ack", "ttl", "origin", "cause", "confidence",
                "evidence", "frame", "file")
COMMON_FIELDS = EVENT_FIELDS[:-2]
LIVE_FIELDS = COMMON_FIELDS + ("hook", "in", "out", "ct", "verdict")


class Tally:
    def __init__(self):
        self.passed = self.failed = 0

    def ok(self, msg):
        self.passed += 1
        print("ok   " + msg)

    def fail(self, msg, *details):
        self.failed += 1
        print("FAIL " + msg)
        for d in details:
            print("       " + d)

    def done(self):
        print("check: %d passed, %d failed" % (self.passed, self.failed))
        return 1 if self.failed else 0


def addr(a):
    return str(ipaddress.ip_address(a))


def read_expect(path):
    """Rows of expect.tsv as dicts (see scenarios.sh for the columns)."""
    rows, header = [], None
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("# "):
                header = line[2:].split("\t")
                continue
            if not line or line.startswith("#"):
                continue
            row = dict(zip(header, line.split("\t")))
            row["src"], row["dst"] = addr(row["src"]), addr(row["dst"])
            row["sport"], row["dport"] = int(row["sport"]), int(row["dport"])
            rows.append(row)
    return rows


def key(d):
    return (d["src"], int(d["sport"]), d["dst"], int(d["dport"]))


def flow_name(d):
    return "%s.%s > %s.%s" % (d["src"], d["sport"], d["dst"], d["dport"])


def event_name(e):
    return "%s %s [%s] seq %s ack %s ttl %s" % (
        "frame %s" % e["frame"] if "frame" in e else e.get("ts"),
        flow_name(e), e.get("flags"), e.get("seq"), e.get("ack"), e.get("ttl"))


def read_events(path, t, live=False):
    """Parse the JSON lines; malformed lines and events missing contract
    fields are failures.  Offline events come back in frame order, live
    ones in the order the daemon wrote them."""
    events = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                e = rstevent.loads(line)
            except ValueError as err:
                t.fail("%s:%d: not JSON (%s): %.80s" % (path, n, err, line.strip()))
                continue
            missing = [k for k in (LIVE_FIELDS if live else EVENT_FIELDS)
                       if k not in e]
            extra = [k for k in ("frame", "file") if live and k in e]
            if missing or extra:
                t.fail("%s:%d: event %s" % (path, n, "; ".join(
                    (["lacks " + ", ".join(missing)] if missing else []) +
                    (["has offline " + ", ".join(extra)] if extra else []))),
                       "%.200s" % line.strip())
                continue
            e["src"], e["dst"] = addr(e["src"]), addr(e["dst"])
            events.append(e)
    if not live:
        events.sort(key=lambda e: int(e["frame"]))
    return events


def event_field(e, key):
    """A field as text (ct.state: nested; null or absent: "null")."""
    v = e
    for part in key.split("."):
        if not isinstance(v, dict) or v.get(part) is None:
            return "null"
        v = v[part]
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


# The scenarios whose RST answers a SYN (scenarios.sh).  Conntrack
# deletes the entry of a connection whose only answer was a RST
# (nf_conntrack_proto_tcp), so the daemon's lookup finds none; the
# gateway's own reject of a SYN is logged (NFLOG, its entry never
# confirmed), not queued, so it has no verdict and no lookup.
ANSWERS_SYN = {"refused", "gw-reject-syn", "mbox-reject-syn",
               "refused-ttl128", "refused-ttl255"}


def live_expect(row):
    """{field: value} a live event at the gateway must carry for the reset
    of this expect.tsv row: the gateway's own resets leave through the
    output hook with no input interface; forwarded ones cross the forward
    hook, client side c0, middlebox side m0, with the TTL they arrived
    with; every other reset's entry is in CLOSE, conntrack having taken
    the RST (not invalid; cannot tell, null, at the output hook)."""
    if row["sender"] == "gw":
        want = {"hook": "output", "in": "", "out": "c0"}
    elif row["sender"] == "client":
        want = {"hook": "forward", "in": "c0", "out": "m0"}
    else:
        want = {"hook": "forward", "in": "m0", "out": "c0"}
    # The TTL as the RST reached gw (the daemon undoes the decrement the
    # kernel makes before the forward hook): its first copy at gw.
    want["ttl"] = str(wire_expect(row, "gw")[0][1])
    logged = row["sender"] == "gw" and row["scenario"] in ANSWERS_SYN
    want["verdict"] = "none" if logged else "accept"
    if row["scenario"] in ANSWERS_SYN:
        want["ct"] = "null"
    else:
        want["ct.state"] = "CLOSE"
        # At the output hook conntrack's judgement cannot be read: null.
        want["ct.invalid"] = "null" if row["sender"] == "gw" else "false"
    return want


def live_mismatch(row, ev):
    """The live fields of ev that differ from live_expect(row)."""
    out = []
    for k, want in live_expect(row).items():
        got = event_field(ev, k)
        if got != want:
            out.append("%s %s, want %s" % (k, got or '""', want or '""'))
    # The table's notes (conntrack_view table, the default here) give no
    # id; every other source does.
    ct = ev.get("ct")
    if ct and (ct.get("source") == "table") == isinstance(ct.get("id"), int):
        out.append("ct.id %s from %s, want %s" % (
            ct.get("id"), ct.get("source"),
            "none" if ct.get("source") == "table" else "a number"))
    return out


def live_name(e):
    ct = e.get("ct")
    return "%s in %s out %s ct %s verdict %s" % (
        e.get("hook"), e.get("in") or "-", e.get("out") or "-",
        "%s%s" % (ct.get("state", "?"), " invalid" if ct.get("invalid") else "")
        if ct else "none", e.get("verdict"))


def is_copy(e, matched):
    """e repeats a matched event: same seq, ack and flags, and a TTL at
    most one apart (a forwarded RST's arriving and leaving copies).  The
    GFW's type-1 copies share seq, ack and flags, not their TTL."""
    return any((e["seq"], e["ack"], e["flags"]) ==
               (m["seq"], m["ack"], m["flags"]) and
               abs(int(e["ttl"]) - int(m["ttl"])) <= 1 for m in matched)


def check_events(rows, point, events, t, allow_dup=False, live=False):
    """Match the k-th expected reset of a flow (src, sport, dst, dport) to
    the k-th reported one, in frame order; a report repeating one already
    matched (is_copy) is an undeduplicated copy.  live: the
    events come from the daemon, and also carry live_expect()'s facts."""
    want = [r for r in rows if r[point + "_origin"] != "-" and
            not (live and r["scenario"] in LIVE_UNSEEN)]
    by_key = {}
    for e in events:
        by_key.setdefault(key(e), []).append(e)
    used = set()
    matched = {}              # id(event): its expect.tsv row
    seen = {}
    total, nth = {}, {}
    for r in want:
        total[key(r)] = total.get(key(r), 0) + 1
    for r in want:
        k = key(r)
        nth[k] = nth.get(k, 0) + 1
        label = "%s %s %s %s" % (point, r["family"], r["scenario"],
                                 flow_name(r))
        if total[k] > 1:
            label += " (RST %d of %d)" % (nth[k], total[k])
        ev = None
        for e in by_key.get(k, []):
            if id(e) in used:
                continue
            if is_copy(e, seen.get(k, [])):
                continue          # a copy; reported below if not allowed
            ev = e
            break
        if ev is None:
            t.fail(label + ": no event reported",
                   "want %s/%s" % (r[point + "_origin"], r[point + "_cause"]))
            continue
        used.add(id(ev))
        matched[id(ev)] = r
        seen.setdefault(k, []).append(ev)
        wo, wc = r[point + "_origin"], r[point + "_cause"]
        if r["family"] != ev["family"] or (wo, wc) != (ev["origin"], ev["cause"]):
            t.fail(label + ": wrong verdict",
                   "- want %s %s/%s" % (r["family"], wo, wc),
                   "+ got  %s %s/%s (confidence %s)" % (
                       ev["family"], ev["origin"], ev["cause"],
                       ev["confidence"]),
                   "  " + event_name(ev),
                   *["  evidence: " + str(x) for x in ev["evidence"]])
        elif live and live_mismatch(r, ev):
            t.fail(label + ": %s/%s, but wrong live facts" % (wo, wc),
                   *["  " + m for m in live_mismatch(r, ev)],
                   "  " + event_name(ev), "  " + live_name(ev))
        elif live:
            t.ok("%s: %s/%s, %s" % (label, wo, wc, live_name(ev)))
        else:
            t.ok("%s: %s/%s (frame %s)" % (label, wo, wc, ev["frame"]))
    for e in events:
        if id(e) in used:
            continue
        k = key(e)
        if is_copy(e, seen.get(k, [])):
            if allow_dup:
                continue
            t.fail("%s: duplicate event %s/%s (a forwarded RST seen in and "
                   "out must be one event)" % (point, e["origin"], e["cause"]),
                   "  " + event_name(e))
            continue
        t.fail("%s: unexpected event: %s/%s" % (point, e["origin"], e["cause"]),
               "  " + event_name(e),
               *["  evidence: " + str(x) for x in e["evidence"]])
    return matched


# --- agree: live and offline, one gateway ----------------------------------

def reset_key(e):
    return (e["family"], e["src"], int(e["sport"]), e["dst"], int(e["dport"]),
            e["seq"], e["ack"], e["flags"])


def no_delays(sentences):
    import re
    return [re.sub(r"[0-9.]+ ms", "N ms", x) for x in sentences]


def check_agree(live, offline, t, natted=()):
    """natted: (src, sport) of the resets whose flow gw NATs."""
    left = {}
    for e in offline:
        left.setdefault(reset_key(e), []).append(e)
    for e in live:
        label = "agree %s %s [%s] seq %s" % (e["family"], flow_name(e),
                                            e["flags"], e["seq"])
        if not left.get(reset_key(e)):
            t.fail(label + ": not in the capture's analysis")
            continue
        o = left[reset_key(e)].pop(0)
        fields = ["origin", "cause", "ttl", "hops", "expected_hops"]
        made_here = any("made here" in x for x in e["evidence"])
        if not made_here:
            fields.append("confidence")
        bad = ["%s %s live, %s offline" % (f, e.get(f), o.get(f))
               for f in fields if e.get(f) != o.get(f)]
        lev, oev = no_delays(e["evidence"]), no_delays(o["evidence"])
        if (e["src"], int(e["sport"])) in natted:
            if not set(oev) <= set(lev):
                bad.append("the capture's evidence is not the daemon's "
                           "without the client's side")
        elif not made_here and lev != oev:
            bad.append("evidence differs")
        if bad:
            t.fail(label + ": " + "; ".join(bad),
                   *["live:    " + x for x in e["evidence"]],
                   *["offline: " + x for x in o["evidence"]])
        else:
            t.ok("%s: both %s/%s, ttl %s%s" % (
                label, e["origin"], e["cause"], e["ttl"],
                " (made here: seen by the daemon)" if made_here else ""))
    for k, rest in left.items():
        for o in rest:
            t.fail("agree: the capture has a reset the daemon did not report",
                   "  " + event_name(o))


# --- show, for make demo ---------------------------------------------------

LAB_NAMES = {"10.0.1.2": "client", "fd00:1::2": "client",
             "10.0.3.2": "server", "fd00:3::2": "server",
             "10.0.3.128": "server128", "fd00:3::128": "server128",
             "10.0.3.254": "server255", "fd00:3::254": "server255",
             "10.0.6.2": "far", "fd00:6::2": "far"}

# Evidence worth a place on the one line, most telling first.
TELLING = ("made here", "after this RST", "in a burst", "genuine",
           "hops closer", "hop closer", "hops farther", "hop farther",
           "answers", "comes after", "a stateless reply", "continues", "matches")


def telling(evidence):
    for word in TELLING:
        for sentence in evidence:
            if word in sentence:
                return sentence
    return evidence[0] if evidence else ""


def show_line(e, row):
    """One event as a line of the demo's table."""
    def end(a, port):
        return "%s:%s" % (LAB_NAMES.get(a, a), port)
    ct = e.get("ct")
    note = ""
    if row is None:
        note = "  <- no scenario made this reset"
    elif (row["gw_origin"], row["gw_cause"]) != (e["origin"], e["cause"]):
        note = "  <- want %s/%s" % (row["gw_origin"], row["gw_cause"])
    elif live_mismatch(row, e):
        note = "  <- " + "; ".join(live_mismatch(row, e))
    return "%-20s %-27s %-2s  %-9s %-9s %4.2f  %-7s %-5s  %-6s %s%s" % (
        row["scenario"] if row else "?",
        "%s > %s" % (end(e["src"], e["sport"]), end(e["dst"], e["dport"])),
        e["flags"], e["origin"], e["cause"], e["confidence"], e["hook"],
        "%s>%s" % (e["in"] or "-", e["out"] or "-"),
        ct.get("state", "?") + ("!" if ct.get("invalid") else "") if ct else "-",
        telling(e["evidence"]), note)


def cmd_show(args, t):
    import io
    import contextlib
    rows = read_expect(args.expect)
    events = read_events(args.events, t, live=True)
    with contextlib.redirect_stdout(io.StringIO()):
        matched = check_events(rows, "gw", events, t, live=True)
    print("%-20s %-27s %-2s  %-9s %-9s %4s  %-7s %-5s  %-6s %s" % (
        "what the lab did", "the reset", "", "who", "why", "conf", "hook",
        "in>out", "ct", "evidence (the most telling)"))
    for e in events:
        print(show_line(e, matched.get(id(e))))
    missing = [r for r in rows if r["gw_origin"] != "-" and
               r["scenario"] not in LIVE_UNSEEN]
    for r in matched.values():
        missing.remove(r)
    for r in missing:
        print("%-20s %s:%s > %s:%s: NOT REPORTED (want %s/%s)" % (
            r["scenario"], LAB_NAMES.get(r["src"], r["src"]), r["sport"],
            LAB_NAMES.get(r["dst"], r["dst"]), r["dport"],
            r["gw_origin"], r["gw_cause"]))


# --- pcap reading, for the wire check -------------------------------------

LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2 = 1, 113, 276
PACKET_OUTGOING = 4


def pcap_packets(path):
    """Yield (frame, direction, ip_bytes) for a classic pcap file; direction
    is "in", "out" or None (unknown, e.g. Ethernet)."""
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        raise ValueError("%s: not a pcap file" % path)
    linktype = struct.unpack(end + "I", data[20:24])[0] & 0x0fffffff
    off, frame = 24, 0
    while off + 16 <= len(data):
        caplen = struct.unpack(end + "I", data[off + 8:off + 12])[0]
        pkt = data[off + 16:off + 16 + caplen]
        off += 16 + caplen
        frame += 1
        if linktype == LINKTYPE_ETHERNET and len(pkt) >= 14:
            proto, direction, ip = pkt[12:14], None, pkt[14:]
        elif linktype == LINKTYPE_LINUX_SLL2 and len(pkt) >= 20:
            proto, ip = pkt[0:2], pkt[20:]
            direction = "out" if pkt[10] == PACKET_OUTGOING else "in"
        elif linktype == LINKTYPE_LINUX_SLL and len(pkt) >= 16:
            proto, ip = pkt[14:16], pkt[16:]
            direction = "out" if pkt[0:2] == b"\x00\x04" else "in"
        else:
            continue
        if proto in (b"\x08\x00", b"\x86\xdd"):
            yield frame, direction, ip


def tcp_segment(ip):
    """Parse IPv4/IPv6 + TCP into a dict, or None."""
    if ip[0] >> 4 == 4 and len(ip) >= 20 and ip[9] == 6:
        hl = (ip[0] & 15) * 4
        s = {"family": "ipv4", "ttl": ip[8], "ipid": struct.unpack("!H", ip[4:6])[0],
             "src": addr(ip[12:16]), "dst": addr(ip[16:20]), "tcp": ip[hl:]}
    elif ip[0] >> 4 == 6 and len(ip) >= 40 and ip[6] == 6:
        s = {"family": "ipv6", "ttl": ip[7], "ipid": None,
             "src": addr(ip[8:24]), "dst": addr(ip[24:40]), "tcp": ip[40:]}
    else:
        return None
    tcp = s.pop("tcp")
    if len(tcp) < 20:
        return None
    s["sport"], s["dport"], s["seq"], s["ack"] = struct.unpack("!HHII", tcp[:12])
    s["flags"] = tcp[13]
    s["win"] = struct.unpack("!H", tcp[14:16])[0]
    s["paylen"] = len(tcp) - (tcp[12] >> 4) * 4
    return s


# Routers between each real sender and each capture point, for the TTL a
# reset must carry there (64 minus routers crossed).
# "mbox-as-server": the injector copying the server's TTL (inject.c -T).
# r2: the injector three routers from the client (scn_inject_far).
HOPS_TO_CLIENT = {"client": 0, "gw": 0, "mbox": 1, "server": 2,
                  "mbox-as-server": 2, "r2": 3}
HOPS_TO_GW_IN = {"client": 0, "mbox": 0, "server": 1, "mbox-as-server": 1,
                 "r2": 2}


def sender_ttl(row):
    """(node, TTL it sends with): the sender column is NODE, or NODE@TTL
    for a sender that picks its own (the GFW injectors, inject.c -G)."""
    node, _, ttl = row["sender"].partition("@")
    return node, int(ttl) if ttl else 64


def wire_expect(row, point):
    """[(direction, ttl)] of the copies of this reset at POINT."""
    sender, sent = sender_ttl(row)
    if point == "client":
        return [(None, sent - HOPS_TO_CLIENT[sender])]
    if sender == "gw":
        return [("out", sent)]
    ttl = sent - HOPS_TO_GW_IN[sender]
    copies = [("in", ttl), ("out", ttl - 1)]
    return [c for c in copies if c[0] in GW_COPIES.get(row["scenario"],
                                                      ("in", "out"))]


# gw's NAT gives a forwarded RST's two copies two flows (scenarios.sh's
# scn_dnat): the server's address arriving, gw's own leaving.
GW_COPIES = {"abort-dnat-inside": ("in",), "abort-dnat": ("out",)}
# Resets at gw that the daemon cannot see as such: it reads a forwarded
# RST at the forward hook, before NAT rewrites the reply's source.
LIVE_UNSEEN = {"abort-dnat"}


# The scenarios whose forged RSTs the server's genuine reply must follow
# at the client (the race), scenarios.sh's scn_inject_run.
RACED = {"inject", "inject-ttl", "gfw-type1", "gfw-type2", "inject-perfect",
         "inject-far"}


def check_wire(outdir, t):
    rows = read_expect(os.path.join(outdir, "expect.tsv"))
    for point in POINTS:
        path = os.path.join(outdir, point + ".pcap")
        rsts = {}
        datas = []
        raced = set()
        for frame, direction, ip in pcap_packets(path):
            s = tcp_segment(ip)
            if s is None:
                continue
            s["frame"], s["dir"] = frame, direction
            if s["flags"] & 0x04:
                rsts.setdefault(key(s), []).append(s)
            elif s["paylen"]:
                datas.append(s)
        for r in rows:
            if r[point + "_origin"] == "-":
                continue
            label = "wire %s %s %s %s" % (point, r["family"], r["scenario"],
                                          flow_name(r))
            want = wire_expect(r, point)
            got = rsts.get(key(r), [])[:len(want)]
            rsts[key(r)] = rsts.get(key(r), [])[len(want):]
            seen = [(s["dir"], s["ttl"]) for s in got]
            if seen != want:
                t.fail(label + ": RST copies (direction, ttl)",
                       "- want %s" % want, "+ got  %s" % seen)
            else:
                t.ok("%s: RST from %s, ttl %s (frame %s)" % (
                    label, r["sender"], "/".join(str(w[1]) for w in want),
                    got[0]["frame"]))
            if r["scenario"] in RACED and point == "client" and got \
                    and r["scenario"] not in raced:
                check_race(label, got[0], datas, t)
                raced.add(r["scenario"])
        for k, left in rsts.items():
            for s in left:
                t.fail("wire %s: RST not caused by any scenario: frame %s %s"
                       % (point, s["frame"], flow_name(s)))


def check_race(label, rst, datas, t):
    """The forged RST must reach the client before the server's genuine
    reply: the evidence an analyser has to find."""
    later = [d for d in datas if d["frame"] > rst["frame"] and
             (d["src"], d["sport"], d["dst"], d["dport"]) ==
             (rst["src"], rst["sport"], rst["dst"], rst["dport"])]
    if later:
        t.ok(label + ": genuine reply (frame %s) after the forged RST"
             % later[0]["frame"])
    else:
        t.fail(label + ": no genuine reply after the forged RST (no race)")
    return True


def newest_event(path, src, sport, wait):
    """The newest event from src port sport, polling up to wait seconds."""
    end = time.monotonic() + wait
    while True:
        found = []
        try:
            with open(path) as f:
                for line in f:
                    try:
                        e = rstevent.loads(line)
                    except ValueError:
                        continue
                    if addr(e.get("src", "0.0.0.0")) == addr(src) and \
                            e.get("sport") == sport:
                        found.append(e)
        except FileNotFoundError:
            pass
        if found or time.monotonic() >= end:
            return found[-1] if found else None
        time.sleep(0.05)


def cmd_event(args, t):
    e = newest_event(args.events, args.src, args.sport, args.wait)
    label = "event from %s port %d" % (args.src, args.sport)
    if e is None:
        t.fail("%s: none in %s" % (label, args.events))
        return
    bad = []
    for kv in args.kv:          # K=V, or K!=V
        neg = "!=" in kv
        k, _, v = kv.partition("!=" if neg else "=")
        if (event_field(e, k) == v) == neg:
            bad.append("%s is %s, want %s%s" % (k, event_field(e, k),
                                                "not " if neg else "", v))
    if bad:
        t.fail(label + ": " + "; ".join(bad), json.dumps(e))
    else:
        t.ok("%s: %s" % (label, " ".join(args.kv) or "present"))


def port_events(path, sport):
    try:
        with open(path) as f:
            # A last line without its newline is still being written.
            return [e for e in (rstevent.loads(line) for line in f
                                if line.strip() and line.endswith("\n"))
                    if e.get("sport") == sport]
    except FileNotFoundError:
        return []


def cmd_count(args, t):
    end = time.monotonic() + args.wait
    while True:
        evs = port_events(args.events, args.sport)
        if args.want is None or len(evs) >= args.want or \
                time.monotonic() >= end:
            break
        time.sleep(0.05)
    n = len(evs)
    if args.want is not None and n != args.want:
        t.fail("events from port %d: %d, want %d" % (args.sport, n, args.want))
        return
    odd = [e for e in evs for kv in args.kv
           if event_field(e, kv.partition("=")[0]) != kv.partition("=")[2]]
    if odd:
        t.fail("events from port %d: %d, not all with %s" % (
            args.sport, n, " ".join(args.kv)), json.dumps(odd[0]))
    else:
        t.ok("events from port %d: %d %s" % (args.sport, n, " ".join(args.kv)))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("events")
    e.add_argument("expect")
    e.add_argument("point", choices=POINTS)
    e.add_argument("events")
    e.add_argument("--allow-dup", action="store_true")
    lv = sub.add_parser("live")
    lv.add_argument("expect")
    lv.add_argument("events")
    ag = sub.add_parser("agree")
    ag.add_argument("events")
    ag.add_argument("analyzed")
    ag.add_argument("--expect")
    sh = sub.add_parser("show")
    sh.add_argument("expect")
    sh.add_argument("events")
    ev = sub.add_parser("event")
    ev.add_argument("events")
    ev.add_argument("--src", required=True)
    ct = sub.add_parser("count")
    ct.add_argument("events")
    ct.add_argument("--want", type=int)
    for q in (ev, ct):
        q.add_argument("--sport", type=int, required=True)
        q.add_argument("--wait", type=float, default=0)
    w = sub.add_parser("wire")
    w.add_argument("outdir")
    sub.add_parser("self-test")
    # KEY=VALUE words (event, count) may follow options: taken here.
    args, rest = p.parse_known_args()
    if rest and (args.cmd not in ("event", "count") or
                 not all("=" in w for w in rest)):
        p.error("unexpected: " + " ".join(rest))
    args.kv = rest
    t = Tally()
    try:
        if args.cmd == "events":
            check_events(read_expect(args.expect), args.point,
                         read_events(args.events, t), t, args.allow_dup)
        elif args.cmd == "live":
            check_events(read_expect(args.expect), "gw",
                         read_events(args.events, t, live=True), t, live=True)
        elif args.cmd == "agree":
            natted = {(r["src"], r["sport"])
                      for r in read_expect(args.expect)
                      if r["scenario"] in GW_COPIES} if args.expect else ()
            check_agree(read_events(args.events, t, live=True),
                        read_events(args.analyzed, t), t, natted)
        elif args.cmd == "show":
            cmd_show(args, t)
        elif args.cmd == "event":
            cmd_event(args, t)
        elif args.cmd == "count":
            cmd_count(args, t)
        elif args.cmd == "wire":
            check_wire(args.outdir, t)
        else:
            from check_self import self_test
            self_test(t)
    except (OSError, ValueError, KeyError) as err:
        t.fail("%s: %s" % (args.cmd, err))
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
