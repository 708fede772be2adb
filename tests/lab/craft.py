"""Raw TCP/IP packets for the lab's peers (stdlib only): checksums, a
RST forged through a raw socket, and the genuine-looking RST an
endpoint crafts itself, learnt from its own packets on the wire."""

import socket
import struct

ETH_P_ALL = 3
PACKET_OUTGOING = 4
TH_RST, TH_ACK = 0x04, 0x10


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def ip_tcp(src, dst, tcp, ttl=64, ipid=0, df=True, flowlabel=0):
    """tcp (its checksum field zero) behind an IPv4 or IPv6 header, both
    checksums computed."""
    fam = family_of(dst)
    s, d = socket.inet_pton(fam, src), socket.inet_pton(fam, dst)
    if fam == socket.AF_INET:
        pseudo = s + d + struct.pack("!BBH", 0, 6, len(tcp))
    else:
        pseudo = s + d + struct.pack("!IxxxB", len(tcp), 6)
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    if fam == socket.AF_INET:
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), ipid,
                         0x4000 if df else 0, ttl, 6, 0, s, d)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    else:
        ip = struct.pack("!IHBB16s16s", 6 << 28 | flowlabel, len(tcp), 6,
                         ttl, s, d)
    return ip + tcp


def raw_send(dst, packet):
    raw = socket.socket(family_of(dst), socket.SOCK_RAW, socket.IPPROTO_RAW)
    try:
        raw.sendto(packet, (dst, 0))
    finally:
        raw.close()


def raw_rst(src, sport, dst, dport, seq):
    """Send a RST (no ACK) from src:sport with a correct checksum, through
    a raw socket: our own socket knows nothing of it."""
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, TH_RST,
                      0, 0, 0)
    raw_send(dst, ip_tcp(src, dst, tcp))


def sniff_open(iface):
    """A packet socket on iface (both directions), non-blocking."""
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                      socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    s.setblocking(False)
    return s


def tcp_fields(ip):
    """(src, sport, dst, dport, facts) of an IPv4/IPv6 TCP packet, or
    None; facts: ttl, ipid, flowlabel, win, tsval."""
    if ip[0] >> 4 == 4 and len(ip) >= 40 and ip[9] == 6:
        hl, fam = (ip[0] & 15) * 4, socket.AF_INET
        src, dst = ip[12:16], ip[16:20]
        facts = {"ttl": ip[8], "ipid": struct.unpack("!H", ip[4:6])[0],
                 "flowlabel": 0}
    elif ip[0] >> 4 == 6 and len(ip) >= 60 and ip[6] == 6:
        hl, fam, src, dst = 40, socket.AF_INET6, ip[8:24], ip[24:40]
        facts = {"ttl": ip[7], "ipid": 0,
                 "flowlabel": struct.unpack("!I", ip[0:4])[0] & 0xfffff}
    else:
        return None
    tcp = ip[hl:]
    sport, dport = struct.unpack("!HH", tcp[:4])
    facts["win"] = struct.unpack("!H", tcp[14:16])[0]
    opts, i = tcp[20:(tcp[12] >> 4) * 4], 0
    while i < len(opts) and opts[i] != 0:
        if opts[i] == 1:
            i += 1
            continue
        if i + 1 >= len(opts) or opts[i + 1] < 2:
            break
        if opts[i] == 8 and opts[i + 1] == 10:
            facts["tsval"] = struct.unpack("!I", opts[i + 2:i + 6])[0]
        i += opts[i + 1]
    return (socket.inet_ntop(fam, src), sport, socket.inet_ntop(fam, dst),
            dport, facts)


def flow_last(sniff, local, peer):
    """Drain sniff; the facts of the last packet of the flow local ->
    peer (each an (addr, port)) that left, and the last TSval the peer
    sent: {"out": facts, "peer_tsval": n}."""
    last = {"out": None, "peer_tsval": 0}
    while True:
        try:
            frame, sll = sniff.recvfrom(65535)
        except BlockingIOError:
            return last
        if len(frame) < 14 or frame[12:14] not in (b"\x08\x00", b"\x86\xdd"):
            continue
        f = tcp_fields(frame[14:])
        if f is None:
            continue
        ends = ((f[0], f[1]), (f[2], f[3]))
        if ends == (local, peer) and sll[2] == PACKET_OUTGOING:
            last["out"] = f[4]
        elif ends == (peer, local) and "tsval" in f[4]:
            last["peer_tsval"] = f[4]["tsval"]


def endpoint_rst(local, peer, seq, ack, last, payload):
    """The RST|ACK an endpoint's stack would send after the packets in
    last (flow_last), crafted by hand and carrying payload: its TTL, DF,
    the next IPv4 ID of its series, its flow label and window, timestamps
    that continue its clock and echo the peer's."""
    out = last["out"]
    tcp = struct.pack("!HHIIBBHHH", local[1], peer[1], seq, ack, 8 << 4,
                      TH_RST | TH_ACK, out["win"], 0, 0)
    tcp += b"\x01\x01\x08\x0a" + struct.pack(
        "!II", out.get("tsval", 0), last["peer_tsval"]) + payload
    return ip_tcp(local[0], peer[0], tcp, ttl=out["ttl"],
                  ipid=(out["ipid"] + 1) & 0xffff, df=True,
                  flowlabel=out["flowlabel"])


def tcp_bytes(sport, dport, doff, flags, opts=b"", payload=b""):
    return struct.pack("!HHIIBBHHH", sport, dport, 1000, 0, doff << 4, flags,
                       0, 0, 0) + opts + payload


# Malformed and hostile TCP, each from its own source port (40001...).
# RST set so that the gateway's table queues it.
def garbage_tcp(port):
    return [
        tcp_bytes(40001, port, 15, 0x04),              # header past the packet
        tcp_bytes(40002, port, 2, 0x04),               # data offset below 5
        tcp_bytes(40003, port, 15, 0x14, b"\x01" * 8),  # options cut short
        tcp_bytes(40004, port, 5, 0x04)[:12],          # cut TCP header
        tcp_bytes(40005, port, 8, 0x04, b"\x08\x00" + b"\x00" * 10),  # length 0
        tcp_bytes(40006, port, 8, 0x04, b"\x01\x05\xff" + b"\x00" * 9),  # past end
        tcp_bytes(40007, port, 6, 0x04, b"\x02\x04", b"payload"),  # cut MSS
        tcp_bytes(40008, port, 5, 0xff, b"", b"\xff" * 200),  # every flag, data
    ]


def garbage(args):
    """Send each garbage segment as a raw IP packet; IPv4 also with IP
    options, IPv6 also behind a hop-by-hop header."""
    fam = family_of(args.dst)
    sock = socket.socket(fam, socket.SOCK_RAW, socket.IPPROTO_RAW)
    n = 0
    if fam == socket.AF_INET:
        src, dst = socket.inet_aton(args.src), socket.inet_aton(args.dst)
        for i, tcp in enumerate(garbage_tcp(args.port)):
            for opts in (b"", b"\x01\x01\x01\x00"):     # NOP NOP NOP EOL
                ihl = 5 + len(opts) // 4
                ip = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0,
                                 ihl * 4 + len(tcp), 0x1234 + i, 0, 64, 6, 0,
                                 src, dst) + opts
                ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
                sock.sendto(ip + tcp, (args.dst, 0))
                n += 1
    else:
        src = socket.inet_pton(socket.AF_INET6, args.src)
        dst = socket.inet_pton(socket.AF_INET6, args.dst)
        hbh = b"\x06\x00" + b"\x01\x04\x00\x00\x00\x00"  # PadN, next TCP
        for tcp in garbage_tcp(args.port):
            for nxt, ext in ((6, b""), (0, hbh)):
                ip = struct.pack("!IHBB16s16s", 6 << 28, len(ext) + len(tcp),
                                 nxt, 64, src, dst)
                sock.sendto(ip + ext + tcp, (args.dst, 0))
                n += 1
    sock.close()
    return "garbage: sent %d" % n
