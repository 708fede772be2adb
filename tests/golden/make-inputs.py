#!/usr/bin/env python3
"""Craft the golden test captures for rstaudit, byte for byte.

    python3 tests/golden/make-inputs.py [OUTDIR]

Writes small pcap and pcapng files next to this script (or into OUTDIR):
one per decoder path, one per kind of damaged input, and hand-built
connection scenarios whose right verdict a person can check from the
packets alone.  Standard library only, no clock, no randomness: running
it twice gives identical files.

The story behind the addresses and TTLs, so the verdicts can be checked:

  * The capture is taken on the client (192.0.2.10, 2001:db8:a::10), so
    its own packets carry TTL 64.  Linux numbers its IPv4 IDs per
    connection, counting up by one.
  * The server 198.51.100.20 is 6 routers away: its packets arrive with
    TTL 58.  2001:db8:b::20 is 9 away: hop limit 55.
  * An in-path firewall sits 2 routers closer than the server (TTL 60,
    hop limit 57) and its resets carry IP ID 0.
"""

import os
import struct
import sys

OUT = os.path.dirname(os.path.abspath(__file__))

# Link types (pcap LINKTYPE_ values).
LT_NULL, LT_EN10MB, LT_RAW, LT_LOOP = 0, 1, 101, 108
LT_SLL, LT_SLL2, LT_USER0 = 113, 276, 147
LT_PPP, LT_PPP_HDLC, LT_C_HDLC = 9, 50, 104

# TCP flags.
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10

CLI4, SRV4, SRV4B = "192.0.2.10", "198.51.100.20", "203.0.113.5"
CLI6, SRV6 = "2001:db8:a::10", "2001:db8:b::20"
MAC_CLI, MAC_GW = b"\x02\x00\x00\x00\x00\x0a", b"\x02\x00\x00\x00\x00\x01"

T0 = 1700000000  # 2023-11-14T22:13:20Z

# Ground truth: for each capture, (frame, origin, cause) of every RST
# made here; cause None where the story does not pin it.  Written to
# truth.tsv, which tests/verdicts.sh holds rstaudit's verdicts against.
TRUTH = {}


# --- addresses, checksums -------------------------------------------------

def ip4(a):
    return bytes(int(x) for x in a.split("."))


def ip6(a):
    head, _, tail = a.partition("::")
    hs = [int(x, 16) for x in head.split(":") if x]
    ts = [int(x, 16) for x in tail.split(":") if x]
    words = hs + [0] * (8 - len(hs) - len(ts)) + ts
    return struct.pack("!8H", *words)


def family(a):
    return 6 if ":" in a else 4


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


# --- IP and TCP -----------------------------------------------------------

def tcp_opts(*opts):
    """Options from ("mss", 1460), ("ws", 7), ("sackok",), ("ts", v, e),
    ("sack", (l, r), ...), ("md5",), ("nop",), ("eol",); padded to 4."""
    b = b""
    for o in opts:
        k = o[0]
        if k == "mss":
            b += struct.pack("!BBH", 2, 4, o[1])
        elif k == "ws":
            b += struct.pack("!BBB", 3, 3, o[1])
        elif k == "sackok":
            b += b"\x04\x02"
        elif k == "ts":
            b += struct.pack("!BBII", 8, 10, o[1], o[2])
        elif k == "sack":
            b += struct.pack("!BB", 5, 2 + 8 * len(o[1:]))
            for left, right in o[1:]:
                b += struct.pack("!II", left, right)
        elif k == "md5":
            b += struct.pack("!BB", 19, 18) + bytes(range(0xa0, 0xb0))
        elif k == "nop":
            b += b"\x01"
        elif k == "eol":
            b += b"\x00"
    while len(b) % 4:
        b += b"\x00"
    return b


def tcp(src, dst, sport, dport, seq, ack, flags, win=64240, opts=b"",
        payload=b"", doff=None):
    """A TCP segment with a correct checksum (doff overrides the header
    length field, for malformed segments)."""
    hlen = 20 + len(opts)
    off = (doff if doff is not None else hlen // 4) << 4
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xffffffff,
                      ack & 0xffffffff, off, flags, win, 0, 0) + opts
    seg = hdr + payload
    if family(src) == 4:
        pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 6, len(seg))
    else:
        pseudo = ip6(src) + ip6(dst) + struct.pack("!IxxxB", len(seg), 6)
    c = csum(pseudo + seg)
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def ipv4(src, dst, payload, ttl=64, ipid=0, df=True, tos=0, proto=6,
         opts=b"", frag=0, mf=False, ihl=None, totlen=None, version=4):
    while len(opts) % 4:
        opts += b"\x00"
    hlen = 20 + len(opts)
    ihl = hlen // 4 if ihl is None else ihl
    tot = hlen + len(payload) if totlen is None else totlen
    ff = (0x4000 if df else 0) | (0x2000 if mf else 0) | (frag // 8)
    h = struct.pack("!BBHHHBBH4s4s", version << 4 | ihl, tos, tot, ipid,
                    ff, ttl, proto, 0, ip4(src), ip4(dst)) + opts
    c = csum(h)
    return h[:10] + struct.pack("!H", c) + h[12:] + payload


def ipv6(src, dst, payload, hlim=64, nh=6, tclass=0, flow=0, exts=()):
    """exts: (type, body) pairs in order; each body is padded to 8 and
    gets its next-header and length bytes in front (not for type 44,
    whose body is the 6 bytes after next-header and reserved)."""
    chain = b""
    types = [t for t, _ in exts] + [nh]
    for i, (t, body) in enumerate(exts):
        if t == 44:
            chain += struct.pack("!BB", types[i + 1], 0) + body
        else:
            raw = body
            while (len(raw) + 2) % 8:
                raw += b"\x00"
            chain += struct.pack("!BB", types[i + 1],
                                 (len(raw) + 2) // 8 - 1) + raw
    first = types[0]
    body = chain + payload
    h = struct.pack("!IHBB16s16s", 6 << 28 | tclass << 20 | flow,
                    len(body), first, hlim, ip6(src), ip6(dst))
    return h + body


# --- link layers ----------------------------------------------------------

def ether(ippkt, out=False, vlans=(), etype=None):
    """Ethernet II; vlans: (tpid, vid) pairs, outermost first."""
    if etype is None:
        etype = 0x86dd if ippkt[0] >> 4 == 6 else 0x0800
    dst, src = (MAC_GW, MAC_CLI) if out else (MAC_CLI, MAC_GW)
    h = dst + src
    for tpid, vid in vlans:
        h += struct.pack("!HH", tpid, vid)
    return h + struct.pack("!H", etype) + ippkt


def ether_pad(frame):
    return frame + b"\x00" * max(0, 60 - len(frame))


def sll(ippkt, out=False):
    proto = 0x86dd if ippkt[0] >> 4 == 6 else 0x0800
    return struct.pack("!HHH8sH", 4 if out else 0, 1, 6, MAC_CLI + b"\0\0",
                       proto) + ippkt


def sll2(ippkt, out=False, ifindex=2):
    proto = 0x86dd if ippkt[0] >> 4 == 6 else 0x0800
    return struct.pack("!HHIHBB8s", proto, 0, ifindex, 1, 4 if out else 0, 6,
                       MAC_CLI + b"\0\0") + ippkt


def raw(ippkt, out=False):
    return ippkt


def null_hdr(ippkt, out=False):
    """DLT_NULL: family in the writer's (here little-endian) order."""
    return struct.pack("<I", 30 if ippkt[0] >> 4 == 6 else 2) + ippkt


def ppp(ippkt, out=False, acfc=False, pfc=False):
    """PPP (RFC 1661); acfc drops ff 03, pfc sends a one-byte protocol."""
    proto = 0x57 if ippkt[0] >> 4 == 6 else 0x21
    h = b"" if acfc else b"\xff\x03"
    return h + (bytes([proto]) if pfc else struct.pack("!H", proto)) + ippkt


def chdlc(ippkt, out=False, bcast=False):
    """Cisco HDLC (RFC 1547 4.3.1): address, control 0, ethertype."""
    etype = 0x86dd if ippkt[0] >> 4 == 6 else 0x0800
    return struct.pack("!BBH", 0x8f if bcast else 0x0f, 0, etype) + ippkt


def loop_hdr(ippkt, out=False):
    """DLT_LOOP: family in network order, OpenBSD's AF_INET6 (24)."""
    return struct.pack("!I", 24 if ippkt[0] >> 4 == 6 else 2) + ippkt


# --- a capture being built ------------------------------------------------

class Capture:
    """Frames with timestamps (microseconds, or nanoseconds for nsec)."""

    def __init__(self, link=ether, start=T0, nsec=False):
        self.link = link
        self.t = start * (10 ** 9 if nsec else 10 ** 6)
        self.nsec = nsec
        self.recs = []          # (ts, frame, origlen)
        self.truth = []         # (frame, origin, cause)

    def mark(self, origin, cause=None):
        """The frame just added is a RST that origin made (for cause)."""
        self.truth.append((len(self.recs), origin, cause))

    def wait(self, us):
        self.t += us * (1000 if self.nsec else 1)

    def add(self, frame, dt=100, origlen=None):
        self.wait(dt)
        self.recs.append((self.t, frame, len(frame) if origlen is None
                          else origlen))

    def ip(self, ippkt, dt=100, **linkargs):
        self.add(self.link(ippkt, **linkargs), dt)


class Host:
    """An address as the capture sees it: arriving TTL, IP ID series."""

    def __init__(self, addr, ttl, ipid=None):
        self.addr, self.ttl, self.ipid = addr, ttl, ipid

    def next_id(self):
        if self.ipid is None:
            return 0
        self.ipid = (self.ipid + 1) & 0xffff
        return self.ipid


class Conn:
    """One TCP connection between side 0 (client) and side 1 (server);
    tracks each side's next sequence number so segments come out right."""

    def __init__(self, cap, cli, srv, cport, sport, cisn, sisn,
                 local=0, linkargs=None):
        self.cap = cap
        self.h = [cli, srv]
        self.port = [cport, sport]
        self.nxt = [cisn, sisn]
        self.isn = [cisn, sisn]
        self.local = local      # which side the capturing host is
        self.linkargs = linkargs or {}

    def ippkt(self, side, seg, ttl=None, ipid=None, df=True, tos=0,
              flow=0, exts=(), ipopts=b""):
        h, o = self.h[side], self.h[1 - side]
        ttl = h.ttl if ttl is None else ttl
        if family(h.addr) == 4:
            ipid = h.next_id() if ipid is None else ipid
            return ipv4(h.addr, o.addr, seg, ttl=ttl, ipid=ipid, df=df,
                        tos=tos, opts=ipopts)
        return ipv6(h.addr, o.addr, seg, hlim=ttl, flow=flow, exts=exts)

    def seg(self, side, flags, payload=b"", seq=None, ack=None, win=None,
            opts=b"", dt=100, advance=True, ip=None, link=None, truth=None):
        """Send a segment from side; ack defaults to all the other side
        sent.  ip: keyword arguments for ippkt (ttl, ipid, df, ...).
        truth: (origin, cause) of a RST; by default the endpoint's own,
        cause unpinned (forgers and firewalls must say so)."""
        s = self.nxt[side] if seq is None else seq
        if ack is None:
            ack = self.nxt[1 - side] if flags & ACK else 0
        if win is None:
            win = 0 if flags & RST else (64240 if side == 0 else 65160)
        seg = tcp(self.h[side].addr, self.h[1 - side].addr, self.port[side],
                  self.port[1 - side], s, ack, flags, win, opts, payload)
        pkt = self.ippkt(side, seg, **(ip or {}))
        la = {"out": side == self.local}
        la.update(self.linkargs)
        la.update(link or {})
        self.cap.ip(pkt, dt, **la)
        if flags & RST:
            self.cap.mark(*(truth or ("endpoint",)))
        if advance and not flags & RST:
            end = s + len(payload) + bool(flags & SYN) + bool(flags & FIN)
            if (end - self.nxt[side]) & 0x80000000 == 0:
                self.nxt[side] = end & 0xffffffff
        return pkt

    def handshake(self, rtt=20000, syn_opts=None, synack_opts=None):
        o = tcp_opts(("mss", 1460), ("sackok",), ("ts", 100, 0), ("nop",),
                     ("ws", 7)) if syn_opts is None else syn_opts
        so = tcp_opts(("mss", 1400), ("sackok",), ("ts", 900, 100),
                      ("nop",), ("ws", 7)) if synack_opts is None \
            else synack_opts
        self.seg(0, SYN, opts=o)
        self.seg(1, SYN | ACK, opts=so, dt=rtt)
        self.seg(0, ACK, dt=150)

    def request(self, text=b"GET / HTTP/1.1\r\nHost: example.test\r\n\r\n",
                dt=300):
        self.seg(0, PSH | ACK, text, dt=dt)

    def reply(self, size=1200, rtt=20000, flags=PSH | ACK):
        self.seg(1, flags, b"HTTP/1.1 200 OK\r\n\r\n".ljust(size, b"x"),
                 dt=rtt)

    def rst(self, side, ack=True, dt=100, **kw):
        """A stack's RST: window 0, seq = its next, ack = the peer's next."""
        return self.seg(side, RST | (ACK if ack else 0), dt=dt, **kw)


def close_both(c, dt=100):
    """Orderly close: client FIN, server FIN, client ACK."""
    c.seg(0, FIN | ACK, dt=dt)
    c.seg(1, FIN | ACK, dt=20000)
    c.seg(0, ACK, dt=150)


# --- writers --------------------------------------------------------------

def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def pcap_bytes(recs, linktype=LT_EN10MB, snaplen=262144, nsec=False,
               endian="<", caplen_override=None):
    magic = 0xa1b23c4d if nsec else 0xa1b2c3d4
    b = struct.pack(endian + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype)
    div = 10 ** 9 if nsec else 10 ** 6
    for i, (t, frame, orig) in enumerate(recs):
        data = frame[:snaplen]
        caplen = len(data)
        if caplen_override and i in caplen_override:
            caplen = caplen_override[i]
        b += struct.pack(endian + "IIII", t // div, t % div, caplen,
                         max(orig, len(data))) + data
    return b


def write_pcap(name, cap, linktype=LT_EN10MB, snaplen=262144, **kw):
    TRUTH[name] = list(cap.truth)
    write(name, pcap_bytes(cap.recs, linktype, snaplen, nsec=cap.nsec, **kw))


def pad4(b):
    return b + b"\0" * (-len(b) % 4)


def ng_opt(code, value):
    return struct.pack("<HH", code, len(value)) + pad4(value)


def ng_block(btype, body):
    n = 12 + len(body)
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


def ng_shb():
    opts = ng_opt(4, b"rstaudit make-inputs.py") + ng_opt(0, b"")
    return ng_block(0x0a0d0d0a, struct.pack("<IHHq", 0x1a2b3c4d, 1, 0, -1)
                    + opts)


def ng_idb(linktype, snaplen=262144, tsresol=None, name=None):
    opts = b""
    if name:
        opts += ng_opt(2, name)
    if tsresol is not None:
        opts += ng_opt(9, bytes([tsresol]))
    if opts:
        opts += ng_opt(0, b"")
    return ng_block(1, struct.pack("<HHI", linktype, 0, snaplen) + opts)


def ng_epb(iface, ts, frame, comment=None):
    opts = b""
    if comment:
        opts = ng_opt(1, comment) + ng_opt(0, b"")
    body = struct.pack("<IIIII", iface, ts >> 32, ts & 0xffffffff,
                       len(frame), len(frame)) + pad4(frame) + opts
    return ng_block(6, body)


def ng_isb(iface, ts):
    return ng_block(5, struct.pack("<III", iface, ts >> 32, ts & 0xffffffff))


# --- reusable conversations -----------------------------------------------

def hosts4(srv_ttl=58):
    return Host(CLI4, 64, 0x1a00), Host(SRV4, srv_ttl, 0x4c00)


def hosts6(srv_hlim=55):
    return Host(CLI6, 64), Host(SRV6, srv_hlim)


def abort_conn(cap, cli, srv, cport=40100, sport=80, **kw):
    """Handshake, request, reply, then the server aborts (Linux-style
    RST/ACK: window 0, IP ID in its series, seq exactly its next)."""
    c = Conn(cap, cli, srv, cport, sport, 0x10000000 + cport,
             0x60000000 + sport, **kw)
    c.handshake()
    c.request()
    c.reply()
    c.seg(0, ACK, dt=200)
    c.rst(1, dt=5000, truth=("endpoint", "abort"))
    return c


def refused_conn(cap, cli, srv, cport=40200, sport=8080, srv_ttl=None,
                 **kw):
    """A SYN answered by a Linux-style refusal: RST/ACK, seq 0, ack SYN+1,
    window 0, IP ID 0."""
    c = Conn(cap, cli, srv, cport, sport, 0x20000000 + cport, 0, **kw)
    c.seg(0, SYN, opts=tcp_opts(("mss", 1460), ("sackok",), ("ts", 7, 0),
                                ("nop",), ("ws", 7)))
    c.seg(1, RST | ACK, seq=0, win=0, dt=20000,
          ip={"ipid": 0} if family(srv.addr) == 4 else {},
          truth=("endpoint", "refused"))
    return c


def censored_conn(cap, cli, srv, port, cisn, sisn, **kw):
    """A connection whose request carries the word a censor looks for."""
    c = Conn(cap, cli, srv, port, 80, cisn, sisn, **kw)
    c.handshake()
    c.request(b"GET /?q=forbidden-word HTTP/1.1\r\nHost: x.test\r\n\r\n")
    return c


def client_answers(c, v4, dt=100):
    """The client, reset by a forgery, answers what the server sends next
    with a Linux stateless R (seq = its ack, IPv4 ID 0): its own."""
    c.seg(0, RST, seq=c.nxt[0], ack=0, win=0, dt=dt,
          ip={"ipid": 0} if v4 else {}, truth=("endpoint", "stale"))


# --- decoder paths --------------------------------------------------------

def make_link_files():
    # 802.1Q: one tag, VLAN 100.
    cap = Capture(lambda p, out=False: ether(p, out, vlans=((0x8100, 100),)))
    abort_conn(cap, *hosts4())
    abort_conn(cap, *hosts6(), cport=40101)
    write_pcap("link-8021q.pcap", cap)

    # QinQ: 802.1ad outer tag, 802.1Q inner, and the old 0x9100 outer.
    cap = Capture(lambda p, out=False: ether(
        p, out, vlans=((0x88a8, 200), (0x8100, 100))))
    abort_conn(cap, *hosts4())
    refused_conn(cap, *hosts4())
    cap.link = lambda p, out=False: ether(p, out,
                                          vlans=((0x9100, 300), (0x8100, 7)))
    abort_conn(cap, *hosts6(), cport=40102)
    write_pcap("link-qinq.pcap", cap)

    # Linux cooked v1: outgoing packet type on the client's own frames.
    cap = Capture(sll)
    abort_conn(cap, *hosts4())
    abort_conn(cap, *hosts6(), cport=40103)
    write_pcap("link-sll.pcap", cap, LT_SLL)

    # Linux cooked v2 on a gateway capturing on every interface
    # (192.0.2.1 routes for the LAN; the client sits right behind it, so
    # its packets arrive with TTL 64).  Every forwarded packet is seen
    # twice: coming in, and going out with TTL one lower.  Then the
    # gateway's own firewall rejects a SYN to port 23: its RST leaves
    # (OUTGOING) with TTL 64 and the server's address: origin local.
    cap = Capture(sll2)
    cli, srv = Host(CLI4, 64, 0x1a00), Host(SRV4, 58, 0x4c00)
    c = Conn(cap, cli, srv, 40300, 443, 0x30000000, 0x70000000, local=-1)
    c.handshake()
    c.request()
    c.reply()
    close_both(c)
    recs, cap.recs = cap.recs, []
    for t, frame, orig in recs:
        # each packet, then its forwarded copy out of the other interface
        ipb = bytearray(frame[20:])
        ipb[8] -= 1
        ipb[10:12] = b"\0\0"
        ipb[10:12] = struct.pack("!H", csum(bytes(ipb[:20])))
        cap.recs.append((t, frame, orig))
        cap.recs.append((t + 30, sll2(bytes(ipb), out=True, ifindex=3),
                         orig))
    c = Conn(cap, cli, srv, 40301, 23, 0x30001000, 0, local=-1)
    c.seg(0, SYN, opts=tcp_opts(("mss", 1460), ("sackok",), ("ts", 7, 0),
                                ("nop",), ("ws", 7)), dt=100000)
    c.seg(1, RST | ACK, seq=0, win=0, dt=40, ip={"ttl": 64, "ipid": 0},
          link={"out": True}, truth=("local", "reject"))
    write_pcap("link-sll2.pcap", cap, LT_SLL2)

    # Raw IP (LINKTYPE_RAW): version from the first nibble.
    cap = Capture(raw)
    abort_conn(cap, *hosts4())
    abort_conn(cap, *hosts6(), cport=40104)
    write_pcap("link-raw.pcap", cap, LT_RAW)

    # DLT_NULL, little-endian writer: AF_INET 2, Darwin's AF_INET6 30.
    cap = Capture(null_hdr)
    lo4, lo6 = Host("127.0.0.1", 64, 0x0100), Host("::1", 64)
    lo4b, lo6b = Host("127.0.0.1", 64, 0x0900), Host("::1", 64)
    c = Conn(cap, lo4, lo4b, 50000, 5432, 0x11111111, 0x22222222)
    c.handshake(rtt=50)
    c.request(b"SELECT 1;", dt=50)
    c.rst(1, dt=60)
    c = Conn(cap, lo6, lo6b, 50001, 5432, 0x33333333, 0x44444444)
    c.handshake(rtt=50)
    c.request(b"SELECT 1;", dt=50)
    c.rst(1, dt=60)
    write_pcap("link-null.pcap", cap, LT_NULL)

    # DLT_LOOP (OpenBSD): family in network order, AF_INET6 24.
    cap = Capture(loop_hdr)
    c = Conn(cap, Host("127.0.0.1", 64, 0x0100), Host("127.0.0.1", 64, 0x0900),
             50002, 5432, 0x11111111, 0x22222222)
    c.handshake(rtt=50)
    c.request(b"SELECT 1;", dt=50)
    c.rst(1, dt=60)
    refused_conn(cap, Host("::1", 64), Host("::1", 64), cport=50003,
                 sport=5433)
    write_pcap("link-loop.pcap", cap, LT_LOOP)
    make_serial_files()


def make_serial_files():
    # PPP (LINKTYPE_PPP): ff 03 and a two-byte protocol, then a peer that
    # negotiated ACFC and PFC (RFC 1661, 1662) and sends the protocol alone.
    cap = Capture(ppp)
    abort_conn(cap, *hosts4())
    cap.link = lambda p, out=False: ppp(p, out, acfc=True, pfc=True)
    refused_conn(cap, *hosts4())
    abort_conn(cap, *hosts6(), cport=40105)
    write_pcap("link-ppp.pcap", cap, LT_PPP)

    # PPP in HDLC-like framing (LINKTYPE_PPP_HDLC): PPP frames, then Cisco
    # HDLC ones, told apart by their first byte (0xff against 0x0f/0x8f).
    cap = Capture(ppp)
    abort_conn(cap, *hosts4())
    cap.link = chdlc
    abort_conn(cap, *hosts6(), cport=40106)
    write_pcap("link-ppp-hdlc.pcap", cap, LT_PPP_HDLC)

    # Cisco HDLC (LINKTYPE_C_HDLC): unicast address, a broadcast one too.
    cap = Capture(chdlc)
    abort_conn(cap, *hosts4())
    cap.link = lambda p, out=False: chdlc(p, out, bcast=True)
    refused_conn(cap, *hosts6(), cport=40107)
    write_pcap("link-chdlc.pcap", cap, LT_C_HDLC)


def make_ip_files():
    # IPv4 with options: record route on the SYN, router alert and a
    # timestamp option on later packets; the RST carries router alert.
    cap = Capture()
    cli, srv = hosts4()
    c = Conn(cap, cli, srv, 40400, 80, 0x40000000, 0x80000000)
    rr = bytes([7, 11, 4]) + b"\0" * 8                  # record route
    ra = bytes([148, 4, 0, 0])                          # router alert
    tsopt = bytes([68, 12, 13, 0]) + struct.pack("!II", 1, 2)
    c.seg(0, SYN, opts=tcp_opts(("mss", 1460)), ip={"ipopts": rr})
    c.seg(1, SYN | ACK, opts=tcp_opts(("mss", 1400)), dt=20000,
          ip={"ipopts": ra})
    c.seg(0, ACK, ip={"ipopts": tsopt})
    c.request()
    c.reply()
    c.rst(1, dt=3000, ip={"ipopts": ra})
    write_pcap("ip4-options.pcap", cap)

    # IPv6 with hop-by-hop (router alert, PadN) and destination options.
    cap = Capture()
    cli, srv = hosts6()
    c = Conn(cap, cli, srv, 40401, 80, 0x40000001, 0x80000001)
    hbh = (0, bytes([5, 2, 0, 0]))                     # router alert
    dst = (60, bytes([1, 2, 0, 0]))                    # PadN
    c.handshake()
    c.seg(0, PSH | ACK, b"GET / HTTP/1.1\r\n\r\n", ip={"exts": (hbh, dst)})
    c.reply()
    c.rst(1, dt=3000, ip={"exts": (hbh, dst)})
    write_pcap("ip6-exthdrs.pcap", cap)


def make_fragments():
    """IPv4 and IPv6 fragments are counted and skipped (no reassembly);
    an IPv6 atomic fragment (offset 0, M clear) is a whole packet and its
    RST counts.  Ends with an ordinary RST."""
    cap = Capture()
    cli, srv = hosts4()
    c = Conn(cap, cli, srv, 40500, 80, 0x50000000, 0x90000000)
    c.handshake()
    c.request()
    seg = tcp(SRV4, CLI4, 80, 40500, c.nxt[1], c.nxt[0], PSH | ACK,
              win=65160, payload=b"y" * 1400)
    c.nxt[1] += 1400
    cap.ip(ipv4(SRV4, CLI4, seg[:1000], ttl=58, ipid=0x4d00, df=False,
                mf=True), dt=20000)
    cap.ip(ipv4(SRV4, CLI4, seg[1000:], ttl=58, ipid=0x4d00, df=False,
                frag=1000))
    c.rst(1, dt=4000)

    cli6, srv6 = hosts6()
    c = Conn(cap, cli6, srv6, 40501, 80, 0x50000001, 0x90000001)
    c.handshake()
    c.request()
    seg = tcp(SRV6, CLI6, 80, 40501, c.nxt[1], c.nxt[0], PSH | ACK,
              win=65160, payload=b"z" * 1400)
    c.nxt[1] += 1400
    cap.ip(ipv6(SRV6, CLI6, seg[:1000], hlim=55,
                exts=((44, struct.pack("!HI", 0 | 1, 0xabcd)),)), dt=20000)
    cap.ip(ipv6(SRV6, CLI6, seg[1000:], hlim=55,
                exts=((44, struct.pack("!HI", 1000, 0xabcd)),)))
    # The server's abort, in an atomic fragment (RFC 6946).
    rst = tcp(SRV6, CLI6, 80, 40501, c.nxt[1], c.nxt[0], RST | ACK, win=0)
    cap.ip(ipv6(SRV6, CLI6, rst, hlim=55,
                exts=((44, struct.pack("!HI", 0, 0xabce)),)), dt=4000)
    cap.mark("endpoint", "abort")
    write_pcap("fragments.pcap", cap)


def make_not_tcp():
    """ARP, UDP, ICMP, ICMPv6 and LLDP around one RST: only TCP counts."""
    cap = Capture()
    arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, MAC_CLI,
                      ip4(CLI4), b"\0" * 6, ip4("192.0.2.1"))
    cap.add(ether_pad(ether(arp, etype=0x0806)))
    udp = struct.pack("!HHHH", 53000, 53, 8 + 12, 0) + b"\x12\x34" + b"\0" * 10
    cap.ip(ipv4(CLI4, "192.0.2.53", udp, proto=17, ipid=0x1000))
    icmp = struct.pack("!BBHHH", 8, 0, 0, 1, 1) + b"ping"
    cap.ip(ipv4(CLI4, SRV4, icmp, proto=1, ipid=0x1001))
    cap.ip(ipv6(CLI6, SRV6, struct.pack("!BBHHH", 128, 0, 0, 1, 1), nh=58))
    lldp = b"\x02\x07\x04" + MAC_GW + b"\x04\x02\x07\x31\x00\x00"
    cap.add(ether_pad(b"\x01\x80\xc2\x00\x00\x0e" + MAC_GW + b"\x88\xcc"
                      + lldp))
    refused_conn(cap, *hosts4())
    write_pcap("not-tcp.pcap", cap)


def make_tcp_options():
    """Every option on the SYNs; a BGP session signed with TCP-MD5 whose
    peer resets (BSD-style RST with a timestamp option and MD5)."""
    cap = Capture()
    cli, srv = hosts4()
    c = Conn(cap, cli, srv, 40600, 443, 0x60000000, 0xa0000000)
    c.handshake(syn_opts=tcp_opts(("mss", 1460), ("sackok",),
                                  ("ts", 12345, 0), ("nop",), ("ws", 14)),
                synack_opts=tcp_opts(("mss", 1380), ("nop",), ("nop",),
                                     ("sackok",), ("nop",), ("ws", 9),
                                     ("nop",), ("nop",), ("ts", 777, 12345)))
    c.request()
    c.reply()
    c.seg(0, ACK, opts=tcp_opts(("nop",), ("nop",), ("ts", 12400, 800),
                                ("nop",), ("nop",),
                                ("sack", (c.nxt[1] + 100, c.nxt[1] + 200))))
    c.rst(1, dt=3000)

    bgp_a, bgp_b = Host("192.0.2.10", 64, 0x2200), Host(SRV4B, 255, 0x0010)
    c = Conn(cap, bgp_a, bgp_b, 40601, 179, 0x61000000, 0xb1000000)
    md5 = tcp_opts(("md5",), ("nop",), ("nop",))
    c.handshake(syn_opts=tcp_opts(("mss", 1460), ("md5",), ("eol",)),
                synack_opts=tcp_opts(("mss", 1460), ("md5",), ("eol",)))
    c.seg(0, PSH | ACK, b"\xff" * 16 + b"\x00\x1d\x01\x04", opts=md5)
    c.seg(1, ACK, opts=md5, dt=20000)
    c.rst(1, dt=50000, opts=tcp_opts(("md5",), ("nop",), ("nop",),
                                     ("ts", 4242, 0)))
    write_pcap("tcp-options.pcap", cap)


def make_rst_payload():
    """A RST/ACK whose payload says why (draft-ietf-tcpm-rst-diagnostic-
    payload style), with a quote, a backslash and a control byte in it
    to check escaping; then one with 200 bytes of payload."""
    cap = Capture()
    cli, srv = hosts4()
    c = Conn(cap, cli, srv, 40700, 80, 0x70000000, 0xc0000000)
    c.handshake()
    c.request()
    c.rst(1, dt=20000, payload=b'policy "deny-all"\\ rule 7\r\n')
    cli6, srv6 = hosts6()
    c = Conn(cap, cli6, srv6, 40701, 80, 0x70000001, 0xc0000001)
    c.handshake()
    c.request()
    c.rst(1, dt=20000, payload=bytes(range(200)))
    write_pcap("rst-payload.pcap", cap)


def make_seq_wrap():
    """Both sequence spaces wrap past 2^32 mid-connection; the server's
    RST comes after the wrap with seq exactly the client's next."""
    cap = Capture()
    cli, srv = hosts4()
    c = Conn(cap, cli, srv, 40800, 80, 0xfffffc00, 0xfffff000)
    c.handshake()
    for i in range(3):
        c.seg(0, PSH | ACK, b"u" * 500)
        c.seg(1, PSH | ACK, b"d" * 1400, dt=20000)
        c.seg(1, PSH | ACK, b"d" * 1400)
        c.seg(0, ACK)
    assert c.nxt[0] < 0x1000 and c.nxt[1] < 0x3000, "no wrap"
    c.rst(1, dt=3000)
    write_pcap("seq-wrap.pcap", cap)


def make_snaplen54():
    """Snaplen 54: Ethernet + IPv4 + 20 bytes of TCP.  SYN options and
    all payload are cut; the RST, carrying no options, is whole."""
    cap = Capture()
    abort_conn(cap, *hosts4())
    refused_conn(cap, *hosts4())
    write_pcap("snaplen-54.pcap", cap, snaplen=54)


def make_time_formats():
    """pcap with nanosecond timestamps, big-endian pcap, and pcapng with
    microsecond and nanosecond resolution (with a comment and an
    interface statistics block libpcap must skip)."""
    cap = Capture(nsec=True, start=T0 + 1)
    abort_conn(cap, *hosts4())
    cap.recs = [(t + 789, f, o) for t, f, o in cap.recs]   # sub-us digits
    write_pcap("pcap-nsec.pcap", cap)

    cap = Capture(start=T0 + 2)
    abort_conn(cap, *hosts6())
    write_pcap("pcap-bigendian.pcap", cap, endian=">")

    cap = Capture(start=T0 + 3)
    abort_conn(cap, *hosts4())
    refused_conn(cap, *hosts6())
    b = ng_shb() + ng_idb(LT_EN10MB, name=b"eth0")
    for i, (t, f, _) in enumerate(cap.recs):
        b += ng_epb(0, t, f, b"the server's abort" if i == 6 else None)
    b += ng_isb(0, cap.recs[-1][0] + 1)
    TRUTH["pcapng-basic.pcapng"] = list(cap.truth)
    write("pcapng-basic.pcapng", b)

    cap = Capture(nsec=True, start=T0 + 4)
    abort_conn(cap, *hosts6())
    b = ng_shb() + ng_idb(LT_EN10MB, tsresol=9)
    for t, f, _ in cap.recs:
        b += ng_epb(0, t + 123, f)
    TRUTH["pcapng-nsec.pcapng"] = list(cap.truth)
    write("pcapng-nsec.pcapng", b)


# --- damaged and unsupported input ----------------------------------------

def good_then(fault, name, linktype=LT_EN10MB, snaplen=262144):
    """A server abort (frames 1-7, the RST is 7), the faulty frame(s)
    from fault(cap), then a refused SYN: both RSTs must be reported."""
    cap = Capture()
    abort_conn(cap, *hosts4())
    fault(cap)
    refused_conn(cap, *hosts4(), cport=40201)
    write_pcap(name, cap, linktype, snaplen)


def bad_frame(ippkt):
    return lambda cap: cap.add(ether(ippkt))


def make_bad_frames():
    seg = tcp(SRV4, CLI4, 80, 40100, 1, 1, RST | ACK, win=0)
    # IHL 3 (below the minimum 5) and IHL 15 with total length 40.
    good_then(lambda cap: (cap.add(ether(ipv4(SRV4, CLI4, seg, ihl=3))),
                           cap.add(ether(ipv4(SRV4, CLI4, seg, ihl=15)))),
              "bad-ip-ihl.pcap")
    good_then(bad_frame(ipv4(SRV4, CLI4, seg, totlen=16)),
              "bad-ip-totlen.pcap")
    good_then(bad_frame(ipv4(SRV4, CLI4, seg, version=5)),
              "bad-ip-version5.pcap")
    small = tcp(SRV4, CLI4, 80, 40100, 1, 1, RST | ACK, win=0, doff=4)
    good_then(bad_frame(ipv4(SRV4, CLI4, small)), "bad-tcp-doff-small.pcap")
    large = tcp(SRV4, CLI4, 80, 40100, 1, 1, RST | ACK, win=0, doff=15)
    good_then(bad_frame(ipv4(SRV4, CLI4, large)), "bad-tcp-doff-large.pcap")
    good_then(lambda cap: cap.add(b"\x02\x00\x00\x00\x00\x0a\x02\x00\x00\x00"),
              "bad-tiny-frame.pcap")
    good_then(lambda cap: cap.add(b""), "bad-caplen-zero.pcap")


def make_bad_files():
    write("bad-empty.pcap", b"")

    x, junk = 0x2545f491, bytearray()
    for _ in range(300):                                 # xorshift32
        x ^= (x << 13) & 0xffffffff
        x ^= x >> 17
        x ^= (x << 5) & 0xffffffff
        junk.append(x & 0xff)
    write("bad-garbage.pcap", b"This is not a capture file.\n" + bytes(junk))

    write("bad-header-only.pcap", pcap_bytes([]))

    # A refusal (RST frame 2), an abort (RST frame 9), then the client's
    # next packet (frame 10) is cut 30 bytes into its data...
    cap = Capture()
    refused_conn(cap, *hosts4())
    c = abort_conn(cap, *hosts4(), cport=40101)
    c.seg(0, PSH | ACK, b"more data after the reset")
    good = pcap_bytes(cap.recs)
    cut = len(good) - len(cap.recs[-1][1]) + 30
    TRUTH["bad-truncated-record.pcap"] = list(cap.truth)
    write("bad-truncated-record.pcap", good[:cut])
    # ... or 7 bytes into its 16-byte record header.
    cut = len(good) - len(cap.recs[-1][1]) - 16 + 7
    TRUTH["bad-short-record-header.pcap"] = list(cap.truth)
    write("bad-short-record-header.pcap", good[:cut])

    # A record claiming 0x7fffffff bytes, after two good RSTs.
    cap = Capture()
    refused_conn(cap, *hosts4())
    abort_conn(cap, *hosts4(), cport=40101)
    cap.add(b"\0" * 60)
    write_pcap("bad-caplen-huge.pcap", cap,
               caplen_override={len(cap.recs) - 1: 0x7fffffff})

    # Snaplen 128, but a data record of 1254 bytes (caplen > snaplen);
    # its reply and the RST follow.
    cap = Capture()
    cli, srv = hosts4()
    c = Conn(cap, cli, srv, 40900, 80, 0x12340000, 0x56780000)
    c.handshake()
    c.request()
    c.reply()
    c.rst(0, dt=200)
    big = len(cap.recs) - 2
    b = pcap_bytes(cap.recs[:big], snaplen=128)
    t, f, o = cap.recs[big]
    b += struct.pack("<IIII", t // 10 ** 6, t % 10 ** 6, len(f), o) + f
    b += pcap_bytes(cap.recs[big + 1:], snaplen=128)[24:]
    TRUTH["bad-caplen-over-snaplen.pcap"] = list(cap.truth)
    write("bad-caplen-over-snaplen.pcap", b)

    # A link type rstaudit does not decode (LINKTYPE_USER0).
    cap = Capture()
    refused_conn(cap, *hosts4())
    write_pcap("bad-linktype-147.pcap", cap, LT_USER0)

    # pcapng cut in the middle of an enhanced packet block (frame 10,
    # after the RSTs of frames 2 and 9).
    cap = Capture()
    refused_conn(cap, *hosts4())
    c = abort_conn(cap, *hosts4(), cport=40101)
    c.seg(0, PSH | ACK, b"more data after the reset")
    b = ng_shb() + ng_idb(LT_EN10MB)
    for t, f, _ in cap.recs:
        b += ng_epb(0, t, f)
    TRUTH["bad-pcapng-truncated.pcapng"] = list(cap.truth)
    write("bad-pcapng-truncated.pcapng", b[:-40])

    # pcapng whose second interface has another link type (raw IP):
    # libpcap cannot give one link type for the file.
    cap = Capture()
    refused_conn(cap, *hosts4())
    b = ng_shb() + ng_idb(LT_EN10MB)
    for t, f, _ in cap.recs:
        b += ng_epb(0, t, f)
    b += ng_idb(LT_RAW)
    cap2 = Capture(raw, start=T0 + 10)
    refused_conn(cap2, *hosts6())
    for t, f, _ in cap2.recs:
        b += ng_epb(1, t, f)
    TRUTH["bad-pcapng-two-linktypes.pcapng"] = list(cap.truth) + [
        (f + len(cap.recs), o, c) for f, o, c in cap2.truth]
    write("bad-pcapng-two-linktypes.pcapng", b)


# --- connection scenarios -------------------------------------------------

def scenario_refused():
    """A busy server's port 443 answers (its TTL 58 / hop limit 55 is now
    known); port 8443 is closed: Linux answers the SYN with RST/ACK,
    seq 0, ack = SYN+1, window 0, IP ID 0, the same TTL.  The IPv4 client
    retries once after 1 s and is refused again."""
    cap = Capture()
    cli, srv = hosts4()
    c = Conn(cap, cli, srv, 41000, 443, 0x41000000, 0xe1000000)
    c.handshake()
    c.request()
    c.reply()
    close_both(c)
    c = refused_conn(cap, cli, srv, cport=41001, sport=8443)
    c.seg(0, SYN, seq=c.isn[0], opts=tcp_opts(("mss", 1460), ("sackok",),
                                               ("ts", 1007, 0), ("nop",),
                                               ("ws", 7)), dt=1000000)
    c.seg(1, RST | ACK, seq=0, ack=c.isn[0] + 1, win=0, dt=20000,
          ip={"ipid": 0}, truth=("endpoint", "refused"))
    cli6, srv6 = hosts6()
    c = Conn(cap, cli6, srv6, 41002, 443, 0x41000002, 0xe1000002)
    c.handshake()
    c.request()
    c.reply()
    close_both(c)
    refused_conn(cap, cli6, srv6, cport=41003, sport=8443)
    write_pcap("scenario-refused.pcap", cap)


def scenario_abort():
    """The server aborts mid-response (SO_LINGER 0): RST/ACK with window
    0, seq exactly its next, IPv4 ID continuing its own series."""
    cap = Capture()
    cli, srv = hosts4()
    c = Conn(cap, cli, srv, 41100, 80, 0x42000000, 0xe2000000)
    c.handshake()
    c.request(b"POST /upload HTTP/1.1\r\nContent-Length: 100000\r\n\r\n")
    c.seg(0, ACK, b"p" * 1400)
    c.seg(1, ACK, dt=20000)
    c.seg(1, PSH | ACK, b"HTTP/1.1 413 Payload Too Large\r\n\r\n", dt=100)
    c.rst(1, dt=200, truth=("endpoint", "abort"))
    cli6, srv6 = hosts6()
    c = Conn(cap, cli6, srv6, 41101, 80, 0x42000001, 0xe2000001)
    c.handshake()
    c.request(b"POST /upload HTTP/1.1\r\nContent-Length: 100000\r\n\r\n")
    c.seg(0, ACK, b"p" * 1400)
    c.seg(1, ACK, dt=20000)
    c.seg(1, PSH | ACK, b"HTTP/1.1 413 Payload Too Large\r\n\r\n", dt=100)
    c.rst(1, dt=200, truth=("endpoint", "abort"))
    write_pcap("scenario-abort.pcap", cap)


def scenario_after_fin():
    """HTTP/1.0: the server sends the response and its FIN; the client
    acknowledges, then closes with unread data: RST/ACK from the client
    (its own TTL 64, next IP ID of its series)."""
    cap = Capture()
    for cli, srv, port in (hosts4() + (41200,), hosts6() + (41201,)):
        c = Conn(cap, cli, srv, port, 80, 0x43000000 + port, 0xe3000000)
        c.handshake()
        c.request(b"GET /big HTTP/1.0\r\n\r\n")
        c.reply(1400)
        c.seg(1, FIN | PSH | ACK, b"z" * 800, dt=100)
        c.seg(0, ACK, dt=200)
        c.rst(0, dt=800, truth=("endpoint", "after-fin"))
    write_pcap("scenario-after-fin.pcap", cap)


def scenario_stale():
    """The server rebooted during a 40 s pause; the client's next request
    is answered statelessly: RST without ACK, seq = the client's ack
    field, window 0, IP ID 0, the server's usual TTL."""
    cap = Capture()
    for cli, srv, port in (hosts4() + (41300,), hosts6() + (41301,)):
        c = Conn(cap, cli, srv, port, 80, 0x44000000 + port, 0xe4000000)
        c.handshake()
        c.request()
        c.reply()
        c.seg(0, ACK, dt=200)
        c.cap.wait(40 * 10 ** 6)
        c.request(b"GET /again HTTP/1.1\r\nHost: example.test\r\n\r\n")
        c.seg(1, RST, seq=c.nxt[1], ack=0, win=0, dt=20000,
              ip={"ipid": 0} if port == 41300 else {},
              truth=("endpoint", "stale"))
    write_pcap("scenario-stale.pcap", cap)


def scenario_reject():
    """An in-path firewall 2 hops closer than the server, rejecting with
    TCP reset (IP ID 0, window 0, TTL 60 where the server's is 58; hop
    limit 57 against 55): first a SYN to port 25, then a request on an
    open connection (the server's reply never comes: the firewall drops
    it)."""
    cap = Capture()
    for (cli, srv), base in ((hosts4(), 41400), (hosts6(), 41410)):
        v4 = family(srv.addr) == 4
        fw = {"ttl": 60 if v4 else 57}
        if v4:
            fw["ipid"] = 0
        c = Conn(cap, cli, srv, base, 443, 0x45000000 + base, 0xe5000000)
        c.handshake()
        c.request()
        c.reply()
        close_both(c)
        c = Conn(cap, cli, srv, base + 1, 25, 0x45100000 + base, 0)
        c.seg(0, SYN, opts=tcp_opts(("mss", 1460), ("sackok",),
                                    ("ts", 7, 0), ("nop",), ("ws", 7)))
        c.seg(1, RST | ACK, seq=0, win=0, dt=12000, ip=fw,
              truth=("middlebox", "reject"))
        c = Conn(cap, cli, srv, base + 2, 80, 0x45200000 + base, 0xe5200000)
        c.handshake()
        c.request(b"GET /blocked/content HTTP/1.1\r\nHost: x.test\r\n\r\n")
        c.rst(1, dt=12000, ip=fw, truth=("middlebox", "reject"))
    write_pcap("scenario-reject.pcap", cap)


def scenario_inject_race():
    """An on-path injector races the server: right after the client's
    request, a RST/ACK with the server's address, exact sequence number
    and a plausible TTL (IPv4: 58, as the server; IPv6: hop limit 61, not
    55) but an IP ID off the server's series; 15 ms later the genuine
    server's response arrives in sequence.  The client, whose socket the
    forgery killed, answers that response with its own stateless RST."""
    cap = Capture()
    for (cli, srv), port in ((hosts4(), 41500), (hosts6(), 41501)):
        v4 = family(srv.addr) == 4
        c = censored_conn(cap, cli, srv, port, 0x46000000 + port, 0xe6000000)
        c.rst(1, dt=5000, ip={"ipid": 0x7a31} if v4 else {"ttl": 61},
              truth=("middlebox", "injected"))
        c.reply(rtt=15000)
        client_answers(c, v4)
    write_pcap("scenario-inject-race.pcap", cap)


def scenario_inject_burst():
    """A censor's burst: three RST/ACKs claiming the server's address
    within a millisecond, at seq base, base+1460, base+4380, TTL 47
    (the server's is 58), IP IDs all 0x3039."""
    cap = Capture()
    cli, srv = hosts4()
    c = Conn(cap, cli, srv, 41600, 80, 0x47000000, 0xe7000000)
    c.handshake()
    c.request(b"GET /?q=forbidden-word HTTP/1.1\r\nHost: x.test\r\n\r\n")
    base = c.nxt[1]
    for i, off in enumerate((0, 1460, 4380)):
        c.rst(1, seq=base + off, dt=3000 if i == 0 else 300,
              ip={"ttl": 47, "ipid": 0x3039},
              truth=("middlebox", "injected"))
    write_pcap("scenario-inject-burst.pcap", cap)


# --- issue 9: adversarial injectors and real endpoints' patterns ----------

class RandHost(Host):
    """A stack with random IPv4 IDs (OpenBSD-style), deterministic."""

    def __init__(self, addr, ttl, seed):
        Host.__init__(self, addr, ttl, 0)
        self.x = seed

    def next_id(self):
        self.x ^= (self.x << 13) & 0xffffffff
        self.x ^= self.x >> 17
        self.x ^= (self.x << 5) & 0xffffffff
        return self.x & 0xffff


def both_families(cli_ttl=64, srv_ttl=(58, 55)):
    """(client, server) in IPv4, then IPv6: the usual story."""
    return ((Host(CLI4, cli_ttl, 0x1a00), Host(SRV4, srv_ttl[0], 0x4c00)),
            (Host(CLI6, cli_ttl), Host(SRV6, srv_ttl[1])))


def forged(c, v4, **ip):
    """IP fields of a forged packet: only IPv4 has an ID and DF."""
    return ip if v4 else {k: v for k, v in ip.items() if k == "ttl"}


def scenario_ttl_copy():
    """Issue 9's first wrong answer.  An on-path injector that copies the
    server's TTL (58 / hop limit 55) fires on the request, but the first
    1460 bytes of the genuine reply beat it: three RST/ACKs at the
    trigger's ack (behind what the server had sent), +1460, +2920; IPv4
    ID 0x5a5a on all three, DF clear.  The client takes the second; the
    server's next segment (continuing past the first two) gets the
    client's stateless R.  IPv6 has no ID nor DF: the seq behind, the
    spread burst, the race and the new data below the third's seq tell.
    Then the same without the race, as the issue saw it: the reply was
    whole, and only the RSTs' own fields can tell."""
    cap = Capture()
    for (cli, srv), port in zip(both_families(), (42000, 42001)):
        v4 = family(srv.addr) == 4
        c = censored_conn(cap, cli, srv, port, 0x48000000 + port, 0xe8000000)
        base = c.nxt[1]
        c.reply(1460, flags=ACK)
        for i, off in enumerate((0, 1460, 2920)):
            c.rst(1, seq=base + off, dt=300 if i == 0 else 20,
                  ip=forged(c, v4, ipid=0x5a5a, df=False),
                  truth=("middlebox", "injected"))
        c.seg(1, PSH | ACK, b"y" * 1000, dt=2000)
        client_answers(c, v4)
        # As the issue saw it: the reply was whole, nothing follows.
        c = censored_conn(cap, cli, srv, port + 2, 0x48100000 + port, 0xe8100000)
        base = c.nxt[1]
        c.reply(1460)
        for i, off in enumerate((0, 1460, 2920)):
            c.rst(1, seq=base + off, dt=300 if i == 0 else 20,
                  ip=forged(c, v4, ipid=0x5a5b, df=False),
                  truth=("middlebox", "injected"))
    write_pcap("scenario-ttl-copy.pcap", cap)


def scenario_perfect_inject():
    """Issue 9 item 4's perfect injector, offline: one RST/ACK with the
    server's TTL, DF, the next IPv4 ID of its series, its window and a
    timestamp continuing its clock, seq exactly the client's next.
    Nothing in the RST gives it away; the genuine reply arriving 10 ms
    later does (the race), and the client answers it with its R."""
    cap = Capture()
    for (cli, srv), port in zip(both_families(), (42100, 42101)):
        v4 = family(srv.addr) == 4
        c = censored_conn(cap, cli, srv, port, 0x49000000 + port, 0xe9000000)
        c.rst(1, dt=400, win=65160, opts=tcp_opts(("nop",), ("nop",),
                                                  ("ts", 905, 100)),
              truth=("middlebox", "injected"))
        c.reply(rtt=10000)
        client_answers(c, v4)
    write_pcap("scenario-perfect-inject.pcap", cap)


def scenario_gfw():
    """The GFW's two kinds (Wang et al., IMC 2017; INTANG).  Type 1: RST
    without ACK, three copies, seq = the trigger's ack, TTL, window and
    IPv4 ID varying, DF clear; the server, reset too, never answers.
    Type 2: three RST/ACKs at base, base+1460, base+4380, TTL counting up
    from another initial TTL; the genuine reply follows 20 ms later."""
    cap = Capture()
    for (cli, srv), port in zip(both_families(), (42200, 42201)):
        v4 = family(srv.addr) == 4
        c = censored_conn(cap, cli, srv, port, 0x4a000000 + port, 0xea000000)
        for i, (ttl, win, ipid) in enumerate(((47, 5840, 0x1234),
                                              (112, 17280, 0xbeef),
                                              (203, 29440, 0x0f0f))):
            c.seg(1, RST, ack=0, win=win, dt=500 if i == 0 else 40,
                  ip=forged(c, v4, ttl=ttl, ipid=ipid, df=False),
                  truth=("middlebox", "injected"))
        c = censored_conn(cap, cli, srv, port + 2, 0x4a100000 + port, 0xea100000)
        base = c.nxt[1]
        for i, off in enumerate((0, 1460, 4380)):
            c.rst(1, seq=base + off, win=2000 + i, dt=500 if i == 0 else 40,
                  ip=forged(c, v4, ttl=101 + i, ipid=0x7000 + 17 * i,
                            df=False),
                  truth=("middlebox", "injected"))
        c.reply(rtt=20000)
    write_pcap("scenario-gfw.pcap", cap)


def scenario_inject_far():
    """An injector 3 routers from the client (TTL / hop limit 61), the
    server 6 / 9 away: one RST/ACK with the exact seq, the trigger's IPv4
    ID and window copied, DF clear.  It forged toward the server too, so
    no genuine reply comes: only the RST's own fields can tell."""
    cap = Capture()
    for (cli, srv), port in zip(both_families(), (42300, 42301)):
        v4 = family(srv.addr) == 4
        c = censored_conn(cap, cli, srv, port, 0x4b000000 + port, 0xeb000000)
        trig = cli.ipid
        c.rst(1, dt=600, win=64240,
              ip=forged(c, v4, ttl=61, ipid=trig, df=False),
              truth=("middlebox", "injected"))
    write_pcap("scenario-inject-far.pcap", cap)


def scenario_inject_both():
    """Taken on the monitoring port of the link where the injector sits:
    the client is 2 routers away (TTL 62), the server 4 (TTL 60), the
    injector on this link (TTL 64).  On the client's request it forges a
    RST/ACK to the client claiming the server (the trigger's IPv4 ID and
    window copied) and one to the server claiming the client (the
    client's own last IPv4 ID again); DF clear on both.  Both ends die:
    nothing follows."""
    cap = Capture()
    for (cli, srv), port in zip(both_families(62, (60, 60)), (42400, 42401)):
        v4 = family(srv.addr) == 4
        c = censored_conn(cap, cli, srv, port, 0x4c000000 + port, 0xec000000, local=-1)
        trig = cli.ipid
        c.rst(1, dt=40, win=64240,
              ip=forged(c, v4, ttl=64, ipid=trig, df=False),
              truth=("middlebox", "injected"))
        c.rst(0, dt=5, win=64240,
              ip=forged(c, v4, ttl=64, ipid=trig, df=False),
              truth=("middlebox", "injected"))
    write_pcap("scenario-inject-both.pcap", cap)


def scenario_route_change():
    """Benign: the server's route changes mid-connection, 2 routers
    shorter (TTL 60 / hop limit 57).  First its abort is the first packet
    on the new route: IPv4 ID next in its series, timestamp continuing
    its clock (a socket's RST carries them).  Then on another connection
    a data segment comes on the new route before the abort."""
    cap = Capture()
    for (cli, srv), port in zip(both_families(), (42500, 42501)):
        new_ttl = srv.ttl + 2
        c = Conn(cap, cli, srv, port, 80, 0x4d000000 + port, 0xed000000)
        c.handshake()
        c.request()
        c.reply()
        c.seg(0, ACK, dt=200)
        c.rst(1, dt=30000, win=502, ip={"ttl": new_ttl},
              opts=tcp_opts(("nop",), ("nop",), ("ts", 960, 100)),
              truth=("endpoint", "abort"))
        c = Conn(cap, cli, srv, port + 2, 80, 0x4d100000 + port, 0xed100000)
        c.handshake()
        c.request()
        c.reply()
        c.seg(1, PSH | ACK, b"more" * 100, dt=30000, ip={"ttl": new_ttl})
        c.seg(0, ACK, dt=200)
        c.rst(1, dt=300, ip={"ttl": new_ttl}, truth=("endpoint", "abort"))
    write_pcap("scenario-route-change.pcap", cap)


def scenario_ttl_stacks():
    """Benign: stacks with initial TTL 128 (Windows: arrives with 122)
    and 255 (arrives with 249), each refusing a SYN and aborting a
    connection; IPv4 IDs from a counter."""
    cap = Capture()
    port = 42600
    for ttl in (122, 249):
        for cli, srv in both_families(64, (ttl, ttl)):
            refused_conn(cap, cli, srv, cport=port, sport=8443)
            abort_conn(cap, cli, srv, cport=port + 1)
            port += 2
    write_pcap("scenario-ttl-stacks.pcap", cap)


def scenario_ipid_kinds():
    """Benign: a server whose IPv4 IDs are always 0 (DF set), one whose
    IDs are random; each aborts.  IPv6, which has no ID: the same."""
    cap = Capture()
    abort_conn(cap, Host(CLI4, 64, 0x1a00), Host(SRV4, 58), cport=42700)
    abort_conn(cap, Host(CLI4, 64, 0x1a00), RandHost(SRV4, 58, 0x2545f491),
               cport=42701)
    abort_conn(cap, Host(CLI6, 64), Host(SRV6, 55), cport=42702)
    write_pcap("scenario-ipid-kinds.pcap", cap)


def scenario_synsent_reuse():
    """Issue 9's second wrong answer.  A Windows client (TTL 128) reuses
    a 4-tuple the server still holds an old connection on: its SYN is
    answered by a bare ACK with an unrelated ack (RFC 5961 challenge
    ACK); the client, in SYN-SENT, answers R seq=SEG.ACK (RFC 9293
    3.10.7.3), retransmits the same SYN 3 s later and the connection
    proceeds.  The R is the client's own: stale."""
    cap = Capture()
    for (cli, srv), port in zip(both_families(128), (42800, 42801)):
        c = Conn(cap, cli, srv, port, 443, 0x4e000000 + port, 0xee000000)
        syn = tcp_opts(("mss", 1460), ("nop",), ("ws", 8), ("nop",),
                       ("nop",), ("sackok",))
        c.seg(0, SYN, opts=syn)
        c.seg(1, ACK, seq=0x9abc0000, ack=0x12345678, win=502, dt=20000,
              advance=False)
        c.seg(0, RST, seq=0x12345678, ack=0, win=0, dt=150,
              truth=("endpoint", "stale"))
        c.seg(0, SYN, seq=c.isn[0], opts=syn, dt=3000000, advance=False)
        c.seg(1, SYN | ACK, opts=tcp_opts(("mss", 1400), ("nop",), ("ws", 7),
                                          ("sackok",)), dt=20000)
        c.seg(0, ACK, dt=150)
        c.request()
        c.reply()
        close_both(c)
    write_pcap("scenario-synsent-reuse.pcap", cap)


def scenario_challenge_ack():
    """Benign RFC 5961 exchange.  The client's last 1000 bytes are lost
    on the way; it aborts (RST/ACK at its own next seq, 1000 past what the
    server expects: in the window, not exact).  The server sends a
    challenge ACK; the client, whose socket is gone, answers with R at
    that ack, which takes effect.  Both are the client's."""
    cap = Capture()
    for (cli, srv), port in zip(both_families(), (42900, 42901)):
        v4 = family(srv.addr) == 4
        c = Conn(cap, cli, srv, port, 80, 0x4f000000 + port, 0xef000000)
        c.handshake()
        c.request()
        c.reply()
        c.seg(0, ACK, dt=200)
        lost = c.nxt[0]
        c.seg(0, PSH | ACK, b"u" * 1000, dt=1000)
        c.rst(0, dt=500, win=501, truth=("endpoint", "abort"))
        c.seg(1, ACK, ack=lost, dt=20000)
        c.seg(0, RST, seq=lost, ack=0, win=0, dt=100,
              ip={"ipid": 0} if v4 else {}, truth=("endpoint", "stale"))
    write_pcap("scenario-challenge-ack.pcap", cap)


def scenario_nat():
    """Benign: the capture is a NAT gateway's (`tcpdump -i any`, cooked
    v2).  The server 10.1.0.20 / fd00:1::20 sits right behind it, the
    client right in front; the client talks to the public address
    203.0.113.5 / 2001:db8:b::5, so each packet shows once per side,
    with other addresses: two flows, each whole.  The server aborts one
    connection and refuses another (a forwarded port with nothing
    listening)."""
    cap = Capture(sll2)
    inner4, inner6 = "10.1.0.20", "fd00:1::20"
    for pub, inner, port in ((SRV4B, inner4, 43000),
                             ("2001:db8:b::5", inner6, 43001)):
        v4 = family(pub) == 4
        outs = Conn(cap, Host(CLI4 if v4 else CLI6, 64, 0x1a00 if v4 else None),
                    Host(pub, 63, 0x4c00 if v4 else None), port, 443,
                    0x50000000 + port, 0xf0000000, local=-1)
        ins = Conn(cap, Host(CLI4 if v4 else CLI6, 63, 0x1a00 if v4 else None),
                   Host(inner, 64, 0x4c00 if v4 else None), port, 8443,
                   0x50000000 + port, 0xf0000000, local=-1)

        def both(side, flags, payload=b"", dt=100, **kw):
            a, b = (outs, ins) if side == 0 else (ins, outs)
            a.seg(side, flags, payload, dt=dt, link={"ifindex": 2 if side == 0 else 3}, **kw)
            b.seg(side, flags, payload, dt=20,
                  link={"out": True, "ifindex": 3 if side == 0 else 2}, **kw)
        both(0, SYN, opts=tcp_opts(("mss", 1460), ("sackok",), ("nop",),
                                   ("ws", 7)))
        both(1, SYN | ACK, dt=300, opts=tcp_opts(("mss", 1460), ("sackok",),
                                                 ("nop",), ("ws", 7)))
        both(0, ACK)
        both(0, PSH | ACK, b"GET / HTTP/1.1\r\n\r\n")
        both(1, ACK, dt=300)
        both(1, RST | ACK, dt=5000, win=0, truth=("endpoint", "abort"))
        outs.port[0] = ins.port[0] = port + 2
        outs.nxt[0] = ins.nxt[0] = outs.isn[0] = ins.isn[0] = 0x51000000 + port
        both(0, SYN, dt=100000, opts=tcp_opts(("mss", 1460),))
        both(1, RST | ACK, seq=0, win=0, dt=300, truth=("endpoint", "refused"))
    write_pcap("scenario-nat.pcap", cap, LT_SLL2)


def scenario_stale_after_close():
    """Issue 8 item 3.  Client and server close (FIN both ways); then a
    late client segment reaches the server, whose socket is gone: first
    a retransmission of the request (its ack is older than the client's
    last), then a retransmitted final ACK.  The server answers each with
    a bare R at the segment's ack, IPv4 ID 0, window 0: stale, although
    FINs were seen."""
    cap = Capture()
    for (cli, srv), port in zip(both_families(), (43100, 43101)):
        v4 = family(srv.addr) == 4
        c = Conn(cap, cli, srv, port, 80, 0x52000000 + port, 0xf2000000)
        c.handshake()
        req_seq, req_ack = c.nxt[0], c.nxt[1]
        c.request()
        c.reply()
        close_both(c)
        c.seg(0, PSH | ACK, b"GET / HTTP/1.1\r\nHost: example.test\r\n\r\n",
              seq=req_seq, ack=req_ack, dt=200000, advance=False)
        c.seg(1, RST, seq=req_ack, ack=0, win=0, dt=20000,
              ip={"ipid": 0} if v4 else {}, truth=("endpoint", "stale"))
        c.seg(0, ACK, dt=300000)
        c.seg(1, RST, seq=c.nxt[1], ack=0, win=0, dt=20000,
              ip={"ipid": 0} if v4 else {}, truth=("endpoint", "stale"))
    write_pcap("scenario-stale-after-close.pcap", cap)


def write_truth():
    lines = ["# file\tframe\torigin\tcause (- where the story does not "
             "pin it); made by make-inputs.py\n"]
    for name in sorted(TRUTH):
        for frame, origin, cause in TRUTH[name]:
            lines.append("%s\t%d\t%s\t%s\n" % (name, frame, origin,
                                                  cause or "-"))
    write("truth.tsv", "".join(lines).encode())


def main():
    global OUT
    if len(sys.argv) > 1:
        OUT = sys.argv[1]
    make_link_files()
    make_ip_files()
    make_fragments()
    make_not_tcp()
    make_tcp_options()
    make_rst_payload()
    make_seq_wrap()
    make_snaplen54()
    make_time_formats()
    make_bad_frames()
    make_bad_files()
    scenario_refused()
    scenario_abort()
    scenario_after_fin()
    scenario_stale()
    scenario_reject()
    scenario_inject_race()
    scenario_inject_burst()
    scenario_ttl_copy()
    scenario_perfect_inject()
    scenario_gfw()
    scenario_inject_far()
    scenario_inject_both()
    scenario_route_change()
    scenario_ttl_stacks()
    scenario_ipid_kinds()
    scenario_synsent_reuse()
    scenario_challenge_ack()
    scenario_nat()
    scenario_stale_after_close()
    write_truth()


if __name__ == "__main__":
    main()
