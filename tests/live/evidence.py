#!/usr/bin/python3
"""tests/live/evidence.py: check the evidence files the daemon wrote.

    evidence.py events JSON [--expect N] [--inject] [--root PREFIX]
        every event names a file that exists (mode 0640), whose blocks are
        whole, where record `frame` is the event's RST (addresses, ports,
        seq, ack, flags) with the verdict as its comment, the flow's
        opening SYN is there before it, each packet once, every record on
        a named interface with a direction and its length on the wire;
        tcpdump, tshark and `rstaudit analyze` read every file.  --inject:
        an injected event's file also holds the genuine reply that came
        after the forged RST.  --root reads the files through a process's
        /proc/PID/root (another mount namespace).
    evidence.py rotation JSON DIR SIZE FILES
        at most FILES files in DIR, none over SIZE bytes unless it holds a
        single reset; every event names a file, the files that remain are
        the newest, and their events check as above.
    evidence.py self-test

Prints "ok: ..." or "FAIL: ...", then "check: N passed, N failed"; exits
non-zero on any failure.  Standard library only.
"""
import ipaddress
import json
import os
import re
import stat
import struct
import subprocess
import sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../lib"))
import rstevent  # noqa: E402  (tests/lib: any event format, legacy keys)

RSTAUDIT = os.environ.get("RSTAUDIT", "./rstaudit")
passed = failed = 0


def ok(cond, what, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok: " + what)
    else:
        failed += 1
        print("FAIL: " + what + (": " + detail if detail else ""))
    return cond


# ---- pcapng --------------------------------------------------------------

class Record:
    pass


def parse_options(buf, off, end, bo):
    opts = {}
    while off + 4 <= end:
        code, olen = struct.unpack_from(bo + "HH", buf, off)
        if code == 0:
            break
        opts.setdefault(code, []).append(buf[off + 4:off + 4 + olen])
        off += 4 + ((olen + 3) & ~3)
    return opts


def read_pcapng(path):
    """(interfaces, records) of a pcapng file; ValueError when broken."""
    buf = open(path, "rb").read()
    off, bo, ifs, recs = 0, "<", [], []
    while off < len(buf):
        if off + 12 > len(buf):
            raise ValueError("%d bytes left over at %d" % (len(buf) - off, off))
        btype, = struct.unpack_from("<I", buf, off)
        if btype == 0x0A0D0D0A:
            magic, = struct.unpack_from("<I", buf, off + 8)
            bo = "<" if magic == 0x1A2B3C4D else ">"
        blen, = struct.unpack_from(bo + "I", buf, off + 4)
        if blen < 12 or blen % 4 or off + blen > len(buf):
            raise ValueError("block at %d: length %d" % (off, blen))
        tail, = struct.unpack_from(bo + "I", buf, off + blen - 4)
        if tail != blen:
            raise ValueError("block at %d: trailer %d != %d" % (off, tail, blen))
        btype, = struct.unpack_from(bo + "I", buf, off)
        if btype == 1:
            lt, _, snap = struct.unpack_from(bo + "HHI", buf, off + 8)
            o = parse_options(buf, off + 16, off + blen - 4, bo)
            ifs.append((lt, snap, o.get(2, [b"?"])[0].decode()))
        elif btype == 6:
            r = Record()
            (r.ifid, hi, lo, r.caplen, r.len) = struct.unpack_from(
                bo + "IIIII", buf, off + 8)
            r.ts = hi << 32 | lo
            r.data = buf[off + 28:off + 28 + r.caplen]
            o = parse_options(buf, off + 28 + ((r.caplen + 3) & ~3),
                              off + blen - 4, bo)
            r.flags = struct.unpack(bo + "I", o[2][0])[0] if 2 in o else None
            r.comment = o[1][0].decode() if 1 in o else None
            r.frame = len(recs) + 1
            recs.append(r)
        off += blen
    return ifs, recs


def decode(r):
    """Fill r with the cooked header's and the IP/TCP header's fields."""
    d = r.data
    r.pkttype, = struct.unpack_from(">H", d, 0)
    r.proto, = struct.unpack_from(">H", d, 14)
    ip = d[16:]
    if ip[0] >> 4 == 4:
        ihl = (ip[0] & 15) * 4
        r.iplen, = struct.unpack_from(">H", ip, 2)
        r.src = str(ipaddress.IPv4Address(ip[12:16]))
        r.dst = str(ipaddress.IPv4Address(ip[16:20]))
        r.ttl = ip[8]
    else:
        ihl = 40
        r.iplen = 40 + struct.unpack_from(">H", ip, 4)[0]
        r.src = str(ipaddress.IPv6Address(ip[8:24]))
        r.dst = str(ipaddress.IPv6Address(ip[24:40]))
        r.ttl = ip[7]
    t = ip[ihl:]
    r.sport, r.dport, r.seq, r.ack = struct.unpack_from(">HHII", t, 0)
    r.tcpflags = t[13]
    r.payload = r.iplen - ihl - (t[12] >> 4) * 4
    r.tuple = frozenset([(r.src, r.sport), (r.dst, r.dport)])
    return r


FLAG_LETTERS = [(0x02, "S"), (0x01, "F"), (0x04, "R"), (0x08, "P"),
                (0x10, "A"), (0x20, "U"), (0x40, "E"), (0x80, "C")]


def flag_text(f):
    return "".join(c for bit, c in FLAG_LETTERS if f & bit)


# ---- checks ----------------------------------------------------------------

def load_events(path):
    with open(path) as fp:
        return [rstevent.loads(line) for line in fp if line.strip()]


def tools_read(path, frames):
    """tcpdump, tshark and rstaudit analyze read path; frames are RSTs."""
    p = subprocess.run(["tcpdump", "-nn", "-r", path], capture_output=True,
                       text=True)
    ok(p.returncode == 0 and "truncated" not in p.stderr
       and "rror" not in p.stderr,
       "tcpdump -r %s" % os.path.basename(path), p.stderr.strip()[-300:])
    p = subprocess.run(["tshark", "-n", "-r", path, "-T", "fields", "-e",
                        "frame.number", "-e", "frame.comment"],
                       capture_output=True, text=True)
    commented = set()
    for line in p.stdout.splitlines():
        num, _, comment = line.partition("\t")
        if comment.startswith("rstaudit: "):
            commented.add(int(num))
    ok(p.returncode == 0 and frames <= commented,
       "tshark -r %s: the RSTs' comments %s" % (os.path.basename(path),
                                                 sorted(frames)),
       "rc %d, commented %s %s" % (p.returncode, sorted(commented),
                                   p.stderr.strip()[-300:]))
    p = subprocess.run([RSTAUDIT, "analyze", "--json", path],
                       capture_output=True, text=True)
    seen = set()
    if p.returncode == 0:
        seen = {rstevent.loads(line)["frame"] for line in p.stdout.splitlines()}
    ok(p.returncode == 0 and frames <= seen,
       "rstaudit analyze %s finds the RSTs" % os.path.basename(path),
       "rc %d, frames %s %s" % (p.returncode, sorted(seen), p.stderr[-300:]))


def check_file(path, cache):
    """The file's records, decoded, once per file; None when broken."""
    if path in cache:
        return cache[path]
    cache[path] = None
    try:
        st = os.stat(path)
        ifs, recs = read_pcapng(path)
        for r in recs:
            decode(r)
    except (OSError, ValueError, struct.error, IndexError) as e:
        ok(False, "%s reads" % path, str(e))
        return None
    ok(stat.S_IMODE(st.st_mode) == 0o640, "%s is mode 0640" % path,
       oct(stat.S_IMODE(st.st_mode)))
    ok(ifs and all(lt == 113 for lt, _, _ in ifs),
       "%s: interfaces are Linux cooked (113)" % os.path.basename(path),
       str(ifs))
    bad = [r.frame for r in recs if r.ifid >= len(ifs)
           or r.flags not in (1, 2)
           or r.pkttype != (0 if r.flags == 1 else 4)
           or r.proto not in (0x0800, 0x86DD)
           or r.len != 16 + r.iplen or r.caplen > ifs[r.ifid][1]]
    ok(not bad, "%s: every record has an interface, a direction and its "
       "length on the wire" % os.path.basename(path), "frames %s" % bad)
    keys = [(r.ts, r.data) for r in recs]
    ok(len(set(keys)) == len(keys),
       "%s: each packet once" % os.path.basename(path))
    cache[path] = (ifs, recs)
    return cache[path]


def check_event(e, got, inject_seen):
    ifs, recs = got
    ev = e["evidence_pcap"]
    name = "%s %s:%s > %s:%s %s %s/%s" % (
        os.path.basename(ev["file"]), e["src"], e["sport"], e["dst"],
        e["dport"], e["flags"], e["origin"], e["cause"])
    fr = ev["frame"]
    if not ok(1 <= fr <= len(recs), name + ": frame %d in the file" % fr):
        return
    r = recs[fr - 1]
    ok((r.src, r.sport, r.dst, r.dport, r.seq, r.ack, flag_text(r.tcpflags))
       == (e["src"], e["sport"], e["dst"], e["dport"], e["seq"], e["ack"],
           e["flags"]), name + ": record %d is its RST" % fr,
       "%s:%d > %s:%d seq %d ack %d %s" % (r.src, r.sport, r.dst, r.dport,
                                          r.seq, r.ack, flag_text(r.tcpflags)))
    head = "rstaudit: %s %s (confidence %.2f); hook %s" % (
        e["origin"], e["cause"], e["confidence"], e["hook"])
    ok(r.comment is not None and r.comment.startswith(head)
       and all(s in r.comment for s in e["evidence"]),
       name + ": its comment is the verdict and the evidence", repr(r.comment))
    iface = e["in"] or e["out"]
    ok(ifs[r.ifid][2] == iface and r.flags == (1 if e["in"] else 2),
       name + ": seen %s on %s" % ("in" if e["in"] else "out", iface),
       "%s flags %s" % (ifs[r.ifid][2], r.flags))
    flow = [x for x in recs if x.tuple == r.tuple]
    ok(2 <= ev["packets"] <= len(flow),
       name + ": %d packets of the flow" % ev["packets"],
       "%d in the file" % len(flow))
    client = (e["dst"], e["dport"]) if e["sport"] < 10000 else \
        (e["src"], e["sport"])
    syn = [x for x in flow if x.tcpflags & 0x12 == 0x02
           and (x.src, x.sport) == client and x.frame < fr]
    ok(syn, name + ": the flow's SYN is before it")
    if e["cause"] == "injected":
        later = [x for x in flow if x.frame > fr and x.payload > 0
                 and (x.src, x.sport) == (e["src"], e["sport"])]
        if later:
            inject_seen.append(name)


def cmd_events(args):
    path, expect, inject, root = args[0], None, False, ""
    i = 1
    while i < len(args):
        if args[i] == "--expect":
            expect, i = int(args[i + 1]), i + 2
        elif args[i] == "--inject":
            inject, i = True, i + 1
        elif args[i] == "--root":
            root, i = args[i + 1], i + 2
        else:
            raise SystemExit("events: unknown argument " + args[i])
    events = load_events(path)
    if expect is not None:
        ok(len(events) == expect, "%d events" % expect, "got %d" % len(events))
    check_events(events, root, inject)


def check_events(events, root="", inject=False):
    cache, frames, inject_seen = {}, {}, []
    for e in events:
        ev = e.get("evidence_pcap")
        if not ok(isinstance(ev, dict) and "file" in ev,
                  "%s:%s > %s:%s names its evidence file" % (
                      e["src"], e["sport"], e["dst"], e["dport"]),
                  repr(ev)):
            continue
        got = check_file(root + ev["file"], cache)
        if got is not None:
            check_event(e, got, inject_seen)
            frames.setdefault(root + ev["file"], set()).add(ev["frame"])
    for path in sorted(frames):
        tools_read(path, frames[path])
    if inject:
        ok(inject_seen, "an injected RST's file holds the genuine data sent "
           "after it (the race)")


def file_seq(path):
    m = re.search(r"-(\d+)\.pcapng$", path)
    return int(m.group(1)) if m else -1


def cmd_rotation(args):
    path, d, size, files = args[0], args[1], int(args[2]), int(args[3])
    events = load_events(path)
    names = sorted(f for f in os.listdir(d) if f.startswith("rstaudit-"))
    ok(1 <= len(names) <= files, "%d files at most (%d)" % (files, len(names)),
       str(names))
    for n in names:
        p = os.path.join(d, n)
        resets = 0
        try:
            resets = sum(1 for r in read_pcapng(p)[1] if r.comment)
        except ValueError as err:
            ok(False, n + " reads", str(err))
        sz = os.path.getsize(p)
        ok(sz <= size or resets == 1,
           "%s: %d bytes, bound %d (%d resets)" % (n, sz, size, resets))
    named = [e for e in events if e.get("evidence_pcap")]
    ok(len(named) == len(events), "every event names a file",
       "%d of %d" % (len(named), len(events)))
    kept = [e for e in named if os.path.exists(e["evidence_pcap"]["file"])]
    gone = [e for e in named if not os.path.exists(e["evidence_pcap"]["file"])]
    ok(gone, "older files were removed (%d events name one)" % len(gone))
    ok(not gone or not kept or
       max(file_seq(e["evidence_pcap"]["file"]) for e in gone) <
       min(file_seq(e["evidence_pcap"]["file"]) for e in kept),
       "the files kept are the newest")
    check_events(kept)


def cmd_self_test():
    global passed, failed
    import tempfile
    shb = struct.pack("<IIIHHq", 0x0A0D0D0A, 28, 0x1A2B3C4D, 1, 0, -1) + \
        struct.pack("<I", 28)
    name = b"c0\0\0"  # "c0", padded
    idb = struct.pack("<IIHHI", 1, 32, 113, 0, 144) + \
        struct.pack("<HH", 2, 2) + name + struct.pack("<HHI", 0, 0, 32)
    ip = bytes([0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 0, 1, 2,
                10, 0, 3, 2]) + struct.pack(">HHIIBBHHH", 41001, 7001, 5, 0,
                                            0x50, 0x02, 64240, 0, 0)
    pkt = struct.pack(">HHH8sH", 0, 0xFFFE, 0, b"", 0x0800) + ip
    opts = struct.pack("<HHI", 2, 4, 1) + struct.pack("<HH", 1, 3) + \
        b"hi!\0" + struct.pack("<HH", 0, 0)
    blen = 28 + len(pkt) + len(opts) + 4
    epb = struct.pack("<IIIIIII", 6, blen, 0, 0, 7, len(pkt), len(pkt)) + \
        pkt + opts + struct.pack("<I", blen)
    with tempfile.NamedTemporaryFile(suffix=".pcapng") as f:
        f.write(shb + idb + epb)
        f.flush()
        ifs, recs = read_pcapng(f.name)
        r = decode(recs[0])
        ok(ifs == [(113, 144, "c0")], "self-test: interface", str(ifs))
        ok((r.src, r.sport, r.dst, r.dport, flag_text(r.tcpflags), r.comment,
            r.flags, r.payload, r.iplen) ==
           ("10.0.1.2", 41001, "10.0.3.2", 7001, "S", "hi!", 1, 0, 40),
           "self-test: record")
        f.write(b"\0" * 8)
        f.flush()
        try:
            read_pcapng(f.name)
            ok(False, "self-test: a broken tail is found")
        except ValueError:
            ok(True, "self-test: a broken tail is found")


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "events":
        cmd_events(args)
    elif cmd == "rotation":
        cmd_rotation(args)
    elif cmd == "self-test":
        cmd_self_test()
    else:
        raise SystemExit(__doc__)
    print("check: %d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
