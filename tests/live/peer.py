#!/usr/bin/python3
"""Ends of the rstaudit live tests (stdlib only).

  peer.py serve --addr A --port P --mode echo|abort
  peer.py connect --addr A --port P --expect ok|refused|reset [--src S]
  peer.py load --addr A --port P --count N --parallel K
  peer.py garbage --src S --dst D --port P

serve prints "ready" once it listens and serves until killed: echo sends
each request back and closes; abort reads the request and resets the
connection (SO_LINGER 0).  connect exits 0 when the kernel did what
--expect says.  load makes N short echo connections, K at a time, and
prints "load: N ok, N failed, S s".  garbage sends malformed TCP packets
(raw IP: header longer than the packet, data offset below 5, a cut TCP
header) that a router forwards and a RST rule still queues.
"""

import argparse
import socket
import struct
import sys
import threading
import time

REQ = b"hello from the client\n"


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def serve(args):
    s = socket.socket(family_of(args.addr), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((args.addr, args.port))
    s.listen(1024)
    print("ready", flush=True)
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve_one, args=(c, args.mode), daemon=True).start()


def serve_one(c, mode):
    try:
        c.settimeout(10)
        data = c.recv(4096)
        if mode == "abort":
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        elif data:
            c.sendall(data)
        c.close()
    except OSError:
        c.close()


def connect(args):
    s = socket.socket(family_of(args.addr), socket.SOCK_STREAM)
    s.settimeout(5)
    if args.src:
        s.bind((args.src, 0))
    try:
        s.connect((args.addr, args.port))
    except ConnectionRefusedError:
        got = "refused"
    except OSError as e:
        got = "error: %s" % e
    else:
        try:
            s.sendall(REQ)
            data = s.recv(4096)
            time.sleep(0.2)
            s.sendall(REQ)   # after an abort: answered by a RST, or already reset
            data2 = s.recv(4096)
            got = "ok" if data == REQ else ("reset" if not data and not data2 else "closed")
        except ConnectionResetError:
            got = "reset"
        except BrokenPipeError:
            got = "reset"
        except OSError as e:
            got = "error: %s" % e
    s.close()
    print("connect: %s" % got, flush=True)
    return 0 if got == args.expect else 1


def one_echo(addr, port):
    s = socket.socket(family_of(addr), socket.SOCK_STREAM)
    s.settimeout(20)
    try:
        s.connect((addr, port))
        s.sendall(REQ)
        data = b""
        while len(data) < len(REQ):
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        return data == REQ
    except OSError:
        return False
    finally:
        s.close()


def load(args):
    lock = threading.Lock()
    left = [args.count]
    ok = [0]
    bad = [0]

    def work():
        while True:
            with lock:
                if left[0] == 0:
                    return
                left[0] -= 1
            r = one_echo(args.addr, args.port)
            with lock:
                if r:
                    ok[0] += 1
                else:
                    bad[0] += 1

    t0 = time.monotonic()
    ts = [threading.Thread(target=work) for _ in range(args.parallel)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print("load: %d ok, %d failed, %.1f s" % (ok[0], bad[0], time.monotonic() - t0),
          flush=True)
    return 0 if bad[0] == 0 else 1


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def tcp_bytes(sport, dport, doff, flags, extra=b""):
    return struct.pack("!HHIIBBHHH", sport, dport, 1000, 0, doff << 4, flags,
                       0, 0, 0) + extra


def garbage(args):
    fam = family_of(args.dst)
    tcps = [
        tcp_bytes(40001, args.port, 15, 0x04),        # header past the packet
        tcp_bytes(40002, args.port, 2, 0x04),         # data offset below 5
        tcp_bytes(40003, args.port, 15, 0x14, b"\x01" * 8),
        tcp_bytes(40004, args.port, 5, 0x04)[:12],    # cut TCP header
    ]
    if fam == socket.AF_INET:
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
        src = socket.inet_aton(args.src)
        dst = socket.inet_aton(args.dst)
        for i, t in enumerate(tcps):
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(t), 0x1234 + i,
                             0, 64, 6, 0, src, dst)
            ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
            s.sendto(ip + t, (args.dst, 0))
    else:
        s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_RAW)
        src = socket.inet_pton(socket.AF_INET6, args.src)
        dst = socket.inet_pton(socket.AF_INET6, args.dst)
        for t in tcps:
            ip = struct.pack("!IHBB16s16s", 6 << 28, len(t), 6, 64, src, dst)
            s.sendto(ip + t, (args.dst, 0))
    s.close()
    print("garbage: sent %d" % len(tcps), flush=True)
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("serve")
    p.add_argument("--addr", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--mode", choices=["echo", "abort"], default="echo")
    p = sub.add_parser("connect")
    p.add_argument("--addr", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--expect", choices=["ok", "refused", "reset"], required=True)
    p.add_argument("--src")
    p = sub.add_parser("load")
    p.add_argument("--addr", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--count", type=int, default=2000)
    p.add_argument("--parallel", type=int, default=200)
    p = sub.add_parser("garbage")
    p.add_argument("--src", required=True)
    p.add_argument("--dst", required=True)
    p.add_argument("--port", type=int, default=7009)
    args = ap.parse_args()
    return {"serve": serve, "connect": connect, "load": load,
            "garbage": garbage}[args.cmd](args) or 0


if __name__ == "__main__":
    sys.exit(main())
