#!/usr/bin/env python3
"""Compare the wire at both ends of a path: did anything between them
reorder, drop, add or reset a TCP segment?

    wirecmp.py CLIENT.pcap SERVER.pcap [--ports P,Q,...] [--any-order]

CLIENT.pcap is captured nearer the client, SERVER.pcap nearer the server
(both ends of a path, or both interfaces of a router).  A connection is the client's SYN (its initial sequence number
names it at both ends, so NAT between them changes nothing); each of its
segments is (flags, seq, ack, payload length, IPv4 ID).  For each
connection and direction, the segments as they left the sender must be
the segments that reached the receiver, in the same order.

Prints one summary line (connections, segments compared, RSTs, and the
segments reordered, missing, added, retransmitted), with --transit a
line of the time each segment took from one capture to the other
(meaningful when both captures share a clock: two interfaces of one
router), then the first differences; exits 1 on any RST, reordering, missing or added segment
(with --any-order, reordering is counted but not judged: for a path
whose links may reorder by themselves, such as veth pairs whose sender
moves between CPUs).  Retransmissions are counted, not judged: the
caller compares runs.
"""

import argparse
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check import tcp_segment  # noqa: E402

SYN, RST, ACK = 0x02, 0x04, 0x10


def payload_len(ip):
    """From the IP header's lengths: captures keep the headers only."""
    if ip[0] >> 4 == 4:
        hl = (ip[0] & 15) * 4
        return struct.unpack("!H", ip[2:4])[0] - hl - (ip[hl + 12] >> 4) * 4
    return struct.unpack("!H", ip[4:6])[0] - (ip[40 + 12] >> 4) * 4


def pcap_ethernet(path):
    """(time in s, IP bytes) of each frame of a classic Ethernet pcap."""
    with open(path, "rb") as f:
        data = f.read()
    end = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    nano = data[:4] in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    off = 24
    while off + 16 <= len(data):
        sec, frac, caplen = struct.unpack(end + "III", data[off:off + 12])
        pkt = data[off + 16:off + 16 + caplen]
        off += 16 + caplen
        if len(pkt) >= 14 and pkt[12:14] in (b"\x08\x00", b"\x86\xdd"):
            yield sec + frac / (1e9 if nano else 1e6), pkt[14:]


def segments(path, ports):
    for ts, ip in pcap_ethernet(path):
        s = tcp_segment(ip)
        if s is None:
            continue
        s["paylen"] = payload_len(ip)
        s["ts"] = ts
        if ports and s["sport"] not in ports and s["dport"] not in ports:
            continue
        yield s


def tuple_of(s):
    return (s["src"], s["sport"], s["dst"], s["dport"])


def rev(t):
    return (t[2], t[3], t[0], t[1])


def split(path, ports, server_side):
    """{isn: {"c2s": [sig...], "s2c": [sig...]}} and the RSTs seen."""
    conns, by_tuple, rsts = {}, {}, []
    for s in segments(path, ports):
        t = tuple_of(s)
        if s["flags"] & SYN and not s["flags"] & ACK:
            isn = s["seq"]
            if isn not in conns:
                conns[isn] = {"c2s": [], "s2c": [], "c2s_ts": [],
                              "s2c_ts": [], "name": t}
            by_tuple[t] = (isn, "c2s")
            by_tuple[rev(t)] = (isn, "s2c")
        if s["flags"] & RST:
            rsts.append("%s:%d > %s:%d seq %d" % (t + (s["seq"],)))
        where = by_tuple.get(t)
        if where is None:
            continue
        sig = (s["flags"], s["seq"], s["ack"], s["paylen"], s["ipid"])
        conns[where[0]][where[1]].append(sig)
        conns[where[0]][where[1] + "_ts"].append(s["ts"])
    return conns, rsts


def retransmitted(sigs):
    seen, n = set(), 0
    for flags, seq, _, paylen, _ in sigs:
        if paylen == 0 and not flags & (SYN | 0x01):
            continue
        if (seq, paylen, flags & (SYN | 0x01)) in seen:
            n += 1
        seen.add((seq, paylen, flags & (SYN | 0x01)))
    return n


def compare(sent, got):
    """'same', 'reordered', or 'missing N, added M'."""
    if sent == got:
        return "same"
    if sorted(sent) == sorted(got):
        return "reordered"
    a, b = list(sent), list(got)
    for x in list(a):
        if x in b:
            a.remove(x)
            b.remove(x)
    return "missing %d, added %d" % (len(a), len(b))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("client")
    p.add_argument("server")
    p.add_argument("--ports", default="")
    p.add_argument("--any-order", action="store_true")
    p.add_argument("--transit", action="store_true",
                   help="print the time from one capture to the other")
    args = p.parse_args()
    ports = {int(x) for x in args.ports.split(",") if x}
    cli, cli_rsts = split(args.client, ports, False)
    srv, srv_rsts = split(args.server, ports, True)
    bad, nseg, retx, transit = [], 0, 0, []
    counts = {"reordered": 0, "missing": 0, "added": 0}
    for isn, c in sorted(cli.items()):
        s = srv.get(isn)
        if s is None:
            bad.append("%s:%d > %s:%d: SYN never reached the server" % c["name"])
            counts["missing"] += 1
            continue
        for d, a, b in (("c2s", c, s), ("s2c", s, c)):
            sent, got = a[d], b[d]
            nseg += len(sent)
            retx += retransmitted(sent)
            r = compare(sent, got)
            if r == "same":
                transit += [t1 - t0 for t0, t1 in zip(a[d + "_ts"], b[d + "_ts"])]
                continue
            if r == "reordered":
                counts["reordered"] += 1
            else:
                miss, add = (int(x.split()[-1]) for x in r.split(", "))
                counts["missing"] += miss
                counts["added"] += add
            bad.append("%s:%d > %s:%d %s: %s" % (c["name"] + (d, r)))
    for isn in srv:
        if isn not in cli:
            counts["added"] += 1
            bad.append("%s:%d > %s:%d: a connection the client never opened"
                       % srv[isn]["name"])
    rsts = len(cli_rsts) + len(srv_rsts)

    print("wire: %d connections, %d segments compared, %d RSTs, "
          "%d directions reordered, %d segments missing, %d added, "
          "%d retransmitted" % (len(cli), nseg, rsts, counts["reordered"],
                                counts["missing"], counts["added"], retx))
    if transit and args.transit:
        transit.sort()
        print("transit: %d segments, median %.1f us, 99%% %.1f us, max %.1f us"
              % (len(transit), 1e6 * transit[len(transit) // 2],
                 1e6 * transit[len(transit) * 99 // 100], 1e6 * transit[-1]))
    for line in (cli_rsts + srv_rsts)[:5]:
        print("  RST " + line)
    for line in bad[:10]:
        print("  " + line)
    judged = [b for b in bad if not (args.any_order and b.endswith(": reordered"))]
    return 1 if rsts or judged or not cli else 0


if __name__ == "__main__":
    sys.exit(main())
