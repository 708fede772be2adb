#!/usr/bin/python3
"""variants.py: one classic pcap file rewritten, for tests/readers.sh.

  variants.py KIND IN OUT

Reads IN (classic pcap, either byte order, micro- or nanoseconds) and
writes OUT as KIND says:

  same          as read, little-endian microseconds (the reference)
  swap          big-endian
  nsec          nanosecond time stamps (little-endian)
  nsec-swap     nanosecond time stamps, big-endian
  v23           version 2.3 in the header (our reader leaves it to libpcap)
  fcs           FCS bits in the link type's upper bits (likewise)
  lt12          link type 12, DLT_RAW's value, for raw IP (likewise)
  snap0         snapshot length 0 (libpcap reads it as its maximum)
  snap60        snapshot length 60: longer records are cut to it
  snap60-cut    the same, the file ending inside the last record, after
                its first 60 bytes
  snap60-short  the same, the file ending within its first 60 bytes
  caplen-max    one more record of 262144 bytes claimed, 100 present
  caplen-over   one more record claiming 262145 bytes
  snapbig       snapshot length 1000000 (kept), caplen-over's record
  snaphuge      snapshot length 2^31 (read as the maximum), the same
  caplen0       every third record with caplen 0 and no data
  negts         time stamps before 1970, a fraction of -1
  negts-swap    the same, big-endian (libpcap reads swapped fields unsigned)
  nsec-big      nanosecond fractions of a second or more (2e9 ns)
  big           the records again and again, an hour apart, past 20 MB
                (the mmap reader gives back pages every 8 MB)
"""
import struct
import sys


def read(path):
    d = open(path, "rb").read()
    order = "<" if d[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    magic, major, minor, zone, sig, snap, lt = struct.unpack(order + "IHHiIII",
                                                             d[:24])
    nsec = magic == 0xA1B23C4D
    recs, off = [], 24
    while off + 16 <= len(d):
        sec, frac, cap, wire = struct.unpack(order + "IIII", d[off:off + 16])
        usec = frac // 1000 if nsec else frac
        recs.append([sec, usec, cap, wire, d[off + 16:off + 16 + cap]])
        off += 16 + cap
    return snap, lt, recs


def write(path, recs, snap, lt, order="<", nsec=False, version=(2, 4),
          tail=b""):
    out = [struct.pack(order + "IHHiIII", 0xA1B23C4D if nsec else 0xA1B2C3D4,
                       version[0], version[1], 0, 0, snap, lt)]
    for sec, usec, cap, wire, data in recs:
        frac = usec * 1000 if nsec and usec >= 0 else usec
        out.append(struct.pack(order + "IIII", sec & 0xFFFFFFFF,
                               frac & 0xFFFFFFFF, cap, wire) + data)
    open(path, "wb").write(b"".join(out) + tail)


def main():
    kind, src, dst = sys.argv[1:4]
    snap, lt, recs = read(src)
    kw = {}
    tail = b""
    if kind in ("swap", "nsec-swap", "negts-swap"):
        kw["order"] = ">"
    if kind in ("nsec", "nsec-swap", "nsec-big"):
        kw["nsec"] = True
    if kind == "v23":
        kw["version"] = (2, 3)
    elif kind == "fcs":
        lt |= 0x04000000
    elif kind == "lt12":
        lt = 12
    elif kind == "snap0":
        snap = 0
    elif kind.startswith("snap60"):
        snap = 60
        if kind != "snap60":
            last = recs.pop()
            keep = 70 if kind == "snap60-cut" else 30
            last[2] = max(last[2], 80)
            tail = struct.pack("<IIII", *last[:4]) + last[4][:keep]
    elif kind == "caplen-max":
        tail = struct.pack("<IIII", 1, 0, 262144, 262144) + b"\0" * 100
    elif kind in ("caplen-over", "snapbig", "snaphuge"):
        snap = {"snapbig": 1000000, "snaphuge": 1 << 31}.get(kind, snap)
        tail = struct.pack("<IIII", 1, 0, 262145, 262145) + b"\0" * 100
    elif kind == "caplen0":
        for i, r in enumerate(recs):
            if i % 3 == 2:
                r[2], r[4] = 0, b""
    elif kind in ("negts", "negts-swap"):
        for r in recs:
            r[0], r[1] = -5 - r[0] % 100, -1
    elif kind == "nsec-big":
        for r in recs:
            r[1] = 2000000      # written as 2e9 ns
    elif kind == "big":
        size = sum(16 + len(r[4]) for r in recs)
        recs = [[r[0] + 3600 * i] + r[1:] for i in range(20_000_000 // size + 1)
                for r in recs]
    elif kind not in ("same", "swap", "nsec", "nsec-swap"):
        sys.exit("variants.py: unknown kind %s" % kind)
    write(dst, recs, snap, lt, tail=tail, **kw)


if __name__ == "__main__":
    main()
