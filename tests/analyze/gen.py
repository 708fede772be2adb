#!/usr/bin/python3
"""gen.py: captures for tests/analyze_check.sh, written byte by byte.

  gen.py flows N FILE     N connections (handshake, some data) opened one
                          after another, then each reset by its server,
                          in the same order: more flows at once than a
                          small --max-flows holds.
  gen.py payload FILE     one connection reset by a RST whose payload
                          holds a newline, ESC sequences, a backslash,
                          invalid and valid UTF-8.
"""
import importlib.util
import os
import struct
import sys

# The packet builders of the golden inputs (checksums and all).
_spec = importlib.util.spec_from_file_location(
    "make_inputs", os.path.join(os.path.dirname(__file__), "..", "golden",
                                "make-inputs.py"))
mk = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mk)


def tcp(src, dst, sport, dport, seq, ack, flags, payload=b"", ttl=64, ipid=1):
    seg = mk.tcp(src, dst, sport, dport, seq, ack, flags,
                 win=0 if flags & RST else 65535, payload=payload)
    return mk.ipv4(src, dst, seg, ttl=ttl, ipid=ipid)


SYN, RST, PSH, ACK = 0x02, 0x04, 0x08, 0x10


class Pcap:
    def __init__(self, path):
        self.f = open(path, "wb")
        # raw IPv4 link type (228), microseconds
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 228))
        self.us = 1_700_000_000 * 1_000_000

    def put(self, pkt, gap_us=10):
        self.us += gap_us
        self.f.write(struct.pack("<IIII", self.us // 1_000_000,
                                 self.us % 1_000_000, len(pkt), len(pkt)))
        self.f.write(pkt)


def addr(i, side):
    return "10.%d.%d.%d" % (side, (i >> 8) & 0xFF, i & 0xFF)


def flows(n, path):
    p = Pcap(path)
    for i in range(n):
        c, s, cp = addr(i, 1), addr(i, 2), 20000 + i % 30000
        p.put(tcp(c, s, cp, 80, 1000, 0, SYN, ttl=64))
        p.put(tcp(s, c, 80, cp, 5000, 1001, SYN | ACK, ttl=61))
        p.put(tcp(c, s, cp, 80, 1001, 5001, ACK, ttl=64))
        p.put(tcp(c, s, cp, 80, 1001, 5001, PSH | ACK, b"GET / HTTP/1.0\r\n\r\n", ttl=64))
    for i in range(n):
        c, s, cp = addr(i, 1), addr(i, 2), 20000 + i % 30000
        p.put(tcp(s, c, 80, cp, 5001, 1019, RST | ACK, ttl=61))
    p.f.close()


def payload(path):
    p = Pcap(path)
    c, s = "10.0.0.1", "10.0.0.2"
    p.put(tcp(c, s, 40000, 80, 1000, 0, SYN))
    p.put(tcp(s, c, 80, 40000, 5000, 1001, SYN | ACK, ttl=61))
    p.put(tcp(c, s, 40000, 80, 1001, 5001, ACK))
    # Within the bytes an event keeps (RST_PAYLOAD_KEEP, 64).
    evil = (b"\xff\xfe\xc3\xa9\x9b\x1b[2J\x1b]0;t\x07\\x41 \"q\"\x00"
            b"\nfake.pcap:1 forged: middlebox injected\nend")
    p.put(tcp(s, c, 80, 40000, 5001, 1001, RST | ACK, evil, ttl=61))
    p.f.close()


if __name__ == "__main__":
    if sys.argv[1] == "flows":
        flows(int(sys.argv[2]), sys.argv[3])
    else:
        payload(sys.argv[2])
