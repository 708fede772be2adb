#!/usr/bin/env python3
"""Ordinary TCP traffic for the observer-effect test (tests/live/observer.sh).

    mix.py serve --port P [--port Q ...]
    mix.py run --addr A --port P [--short N] [--keepalive K] [--requests R]
               [--bulk BYTES] [--parallel C]

The server answers one line per connection:

    S <size> client|server   one response of <size> bytes, then the named
                             side closes first (the other closes on EOF)
    K <n> <size>             keep-alive: <n> requests "R", each answered
                             with <size> bytes, then the client closes
    B <bytes>                a bulk transfer to the client, then it closes

`run` makes N short connections (half closed by the client first, half by
the server first), K keep-alive ones and one bulk transfer, C at a time,
checks every byte, and prints "mix: N ok, M failed".  Any reset or error
is a failure: nothing in this traffic resets without an auditor.
Standard library only.
"""

import argparse
import socket
import sys
import threading

WAIT = 30


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def recv_line(sock):
    buf = b""
    while not buf.endswith(b"\n"):
        d = sock.recv(1)
        if not d:
            raise EOFError("connection closed before a line")
        buf += d
    return buf.decode().split()


def recv_exact(sock, n):
    got = 0
    while got < n:
        d = sock.recv(min(65536, n - got))
        if not d:
            raise EOFError("closed after %d of %d bytes" % (got, n))
        got += len(d)


def until_eof(sock):
    while sock.recv(65536):
        pass


def send_size(sock, n):
    chunk = b"x" * 65536
    while n > 0:
        sock.sendall(chunk[:min(n, len(chunk))])
        n -= min(n, len(chunk))


def serve_one(conn):
    try:
        words = recv_line(conn)
        if words[0] == "S":
            send_size(conn, int(words[1]))
            if words[2] == "server":
                conn.shutdown(socket.SHUT_WR)
            until_eof(conn)
        elif words[0] == "K":
            for _ in range(int(words[1])):
                recv_line(conn)
                send_size(conn, int(words[2]))
            until_eof(conn)
        elif words[0] == "B":
            send_size(conn, int(words[1]))
            conn.shutdown(socket.SHUT_WR)
            until_eof(conn)
    except (OSError, EOFError, IndexError, ValueError) as e:
        print("serve: %s" % e, flush=True)
    finally:
        conn.close()


def cmd_serve(args):
    for port in args.port:
        ls = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        ls.bind(("::", port))
        ls.listen(512)
        threading.Thread(target=accept_loop, args=(ls,), daemon=True).start()
    print("ready", flush=True)
    threading.Event().wait()


def accept_loop(ls):
    while True:
        conn, _ = ls.accept()
        threading.Thread(target=serve_one, args=(conn,), daemon=True).start()


def connect(addr, port):
    sock = socket.socket(family_of(addr), socket.SOCK_STREAM)
    sock.settimeout(WAIT)
    sock.connect((addr, port))
    return sock


def job_short(addr, port, size, closer):
    sock = connect(addr, port)
    try:
        sock.sendall(("S %d %s\n" % (size, closer)).encode())
        recv_exact(sock, size)
        if closer == "server":
            until_eof(sock)
        else:
            sock.shutdown(socket.SHUT_WR)
            until_eof(sock)
    finally:
        sock.close()


def job_keepalive(addr, port, n, size):
    sock = connect(addr, port)
    try:
        sock.sendall(("K %d %d\n" % (n, size)).encode())
        for _ in range(n):
            sock.sendall(b"R\n")
            recv_exact(sock, size)
        sock.shutdown(socket.SHUT_WR)
        until_eof(sock)
    finally:
        sock.close()


def job_bulk(addr, port, n):
    sock = connect(addr, port)
    try:
        sock.sendall(("B %d\n" % n).encode())
        recv_exact(sock, n)
        until_eof(sock)
    finally:
        sock.close()


def cmd_run(args):
    jobs = []
    for i in range(args.short):
        jobs.append((job_short, (args.addr, args.port, 200 + 97 * (i % 23),
                                 "client" if i % 2 else "server")))
    for i in range(args.keepalive):
        jobs.append((job_keepalive, (args.addr, args.port, args.requests,
                                     1000 + 500 * (i % 5))))
    if args.bulk:
        jobs.append((job_bulk, (args.addr, args.port, args.bulk)))
    lock = threading.Lock()
    ok, failed = [0], []

    def worker():
        while True:
            with lock:
                if not jobs:
                    return
                fn, a = jobs.pop(0)
            try:
                fn(*a)
                with lock:
                    ok[0] += 1
            except (OSError, EOFError) as e:
                with lock:
                    failed.append("%s%r: %s" % (fn.__name__, a[2:], e))

    ts = [threading.Thread(target=worker) for _ in range(args.parallel)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print("mix: %d ok, %d failed" % (ok[0], len(failed)))
    for f in failed[:10]:
        print("  " + f)
    return 0 if not failed else 1


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--port", type=int, action="append", required=True)
    r = sub.add_parser("run")
    r.add_argument("--addr", required=True)
    r.add_argument("--port", type=int, required=True)
    r.add_argument("--short", type=int, default=100)
    r.add_argument("--keepalive", type=int, default=5)
    r.add_argument("--requests", type=int, default=20)
    r.add_argument("--bulk", type=int, default=0)
    r.add_argument("--parallel", type=int, default=10)
    args = p.parse_args()
    if args.cmd == "serve":
        cmd_serve(args)
        return 0
    return cmd_run(args)


if __name__ == "__main__":
    sys.exit(main())
