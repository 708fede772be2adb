#!/usr/bin/python3
"""Client and server ends of the rstaudit lab scenarios (stdlib only).

  peer.py serve MODE --addr A --port P [--go FILE] [--delay MS] [--iface I]
  peer.py connect MODE --addr A --port P --sport S [--keyword K] [--go FILE]
  peer.py serve requests ... [--delay MS]   answer each request line
  peer.py connect requests ... --payload P --count N [--expect-reset K]
  peer.py serve echo --addr A --port P    echo every connection, until killed
  peer.py connect echo --addr A --port P [--src S]   one echo exchange
  peer.py bulk --addr A --port P --bytes N [--rounds R] [--go FILE]
  peer.py load --addr A --port P --count N --parallel K
  peer.py garbage --src S --dst D [--port P]
  peer.py probe --addr A         a TCP SYN to port 9 answered (refused)
  peer.py mark --addr A --text T one UDP datagram to port 9
  peer.py csum-off IFACE...      turn off transmit checksum offload

Each run makes exactly the packets its scenario needs and checks that the
kernel did what the scenario claims (a reset where one is expected), so a
wrong lab fails loudly instead of producing a wrong capture.  Exit status 0
means the expected outcome happened; the last line of output says what.
A server prints "ready" once it listens.  Every wait is bounded.  Among
the modes: serve challenge waits for the client's reset after the
challenge ACK its first RST earns (RFC 5961), connect lost-abort aborts
with its last data unacknowledged, serve payload-rst resets with a RST
that carries a payload (crafted with craft.py as its stack's own, on
--iface), serve late --go FILE replies no earlier than FILE appears.

The live daemon's tests add: an echo server that serves until killed;
`bulk`, one connection that first exchanges R small messages (its first
packets, which the gateway queues), prints "warm", waits for --go, then
sends N bytes while reading them back, and closes; `load`, N short echo
connections K at a time ("load: N ok, N failed, S s"); `garbage`, raw
malformed and hostile TCP segments (a header longer than the packet, a
data offset below 5, a cut header, options that loop or overrun, IP
options, an IPv6 extension header) that a router forwards and a RST
rule queues.
"""

import argparse
import ctypes
import fcntl
import os
import select
import socket
import struct
import sys
import termios
import threading
import time

from craft import (endpoint_rst, family_of, flow_last, garbage, raw_rst,
                   raw_send, sniff_open)

TCP_REPAIR = 19
TCP_CLOSE_WAIT = 8
WAIT = 5.0  # seconds, for any single step

HELLO = b"hello from the client\n"
ECHO = b"hello from the server\n"
OK = b"bye"


class Failed(Exception):
    """The kernel did not do what the scenario expects."""


def say(*words):
    print(*words, flush=True)


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise Failed("peer closed after %d of %d bytes" % (len(data), n))
        data += chunk
    return data


def wait_until(what, pred, timeout=WAIT):
    end = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > end:
            raise Failed("timed out waiting for " + what)
        time.sleep(0.002)


def wait_go(path):
    """Block until the lab script creates PATH (its go signal)."""
    if path:
        wait_until("go file " + path, lambda: os.path.exists(path), 30)


def outq(sock):
    """Bytes sent but not yet acknowledged by the peer."""
    buf = fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0")
    return struct.unpack("i", buf)[0]


def inq(sock):
    buf = fcntl.ioctl(sock.fileno(), termios.FIONREAD, b"\0\0\0\0")
    return struct.unpack("i", buf)[0]


def tcp_state(sock):
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[0]


def wait_acked(sock):
    """Wait until the peer acknowledged all our data, so no ACK of it is
    still in flight to hit a socket we are about to remove."""
    wait_until("peer to acknowledge our data", lambda: outq(sock) == 0)


def vanish(sock):
    """Remove the socket without sending anything (TCP repair mode), as if
    the host crashed: no FIN, no RST."""
    sock.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR, 1)
    sock.close()


def abort(sock):
    """close() with SO_LINGER {1, 0}: the kernel sends RST at once."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def expect_reset(sock, what):
    try:
        data = sock.recv(4096)
    except ConnectionResetError:
        return
    except socket.timeout:
        raise Failed("no reset within %ds after %s" % (WAIT, what))
    raise Failed("expected a reset after %s, got %r" % (what, data))


def greet_client(sock):
    sock.sendall(HELLO)
    got = recv_exact(sock, len(ECHO))
    if got != ECHO:
        raise Failed("bad echo %r" % got)


def greet_server(sock):
    got = recv_exact(sock, len(HELLO))
    if got != HELLO:
        raise Failed("bad hello %r" % got)
    sock.sendall(ECHO)


# --- server modes: each gets the accepted socket --------------------------

def serve_abort(conn, args):
    """Exchange data, read everything, then abort with SO_LINGER 0."""
    greet_server(conn)
    recv_exact(conn, len(OK))
    wait_acked(conn)
    abort(conn)
    return "aborted with SO_LINGER 0"


def serve_unread(conn, args):
    """Close while the client's last data sits unread: the kernel resets."""
    greet_server(conn)
    wait_until("unread data", lambda: inq(conn) > 0)
    wait_acked(conn)
    conn.close()
    return "closed with %s unread" % "data"


def serve_fin(conn, args):
    """Answer the request, then close (FIN), HTTP style."""
    recv_exact(conn, len(args.request))
    conn.sendall(b"HTTP/1.0 200 OK\r\n\r\n" + b"x" * 200)
    conn.close()
    return "sent the response and FIN"


def serve_hold(conn, args):
    """Exchange data, then wait for the go signal and vanish silently
    (the client was reset by a firewall and is gone)."""
    greet_server(conn)
    wait_go(args.go)
    vanish(conn)
    return "held the connection, then vanished"


def serve_late(conn, args):
    """Answer the request after --delay ms; the client was already reset by
    a forgery, so our genuine reply arrives after that RST."""
    greet_server(conn)
    # Pingpong (delayed-ACK) mode: the request's ACK rides on our reply
    # instead of leaving at once, so the only segment we send after the
    # request is the reply itself.
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 0)
    req = conn.recv(4096)
    if not req:
        raise Failed("no request")
    # --go: the injector's RSTs are out (inject.c -o); reply --delay ms
    # after the request, or at once if the injector took longer.
    t0 = time.monotonic()
    wait_go(args.go)
    time.sleep(max(0.0, args.delay / 1000.0 - (time.monotonic() - t0)))
    conn.sendall(b"HTTP/1.0 200 OK\r\n\r\nthe genuine reply\n")
    expect_reset(conn, "the late reply")
    return "replied %d ms late; the client answered with RST" % args.delay


def serve_challenge(conn, args):
    """Exchange data, then wait for the client's reset: its first RST
    lies ahead of what we received (its last data was lost), so our
    kernel answers it with a challenge ACK (RFC 5961 3.2) and only the
    client's answer to that resets us."""
    greet_server(conn)
    expect_reset(conn, "the client's abort")
    return "reset by the client after our challenge ACK"


# draft-ietf-tcpm-rst-diagnostic-payload's idea: the reason, in the RST.
RST_PAYLOAD = b"reason: the application aborted this connection"


def serve_payload_rst(conn, args):
    """Exchange data, then reset the client with a RST that carries a
    payload (which the kernel cannot send), crafted by hand as this
    stack's own: read snd_nxt and rcv_nxt in TCP repair mode, remove the
    socket silently, and copy TTL, DF, the next IP ID, the flow label,
    the window and the timestamps from our own packets on --iface."""
    sniff = sniff_open(args.iface)
    greet_server(conn)
    recv_exact(conn, len(OK))
    wait_acked(conn)
    local, peer = conn.getsockname()[:2], conn.getpeername()[:2]
    conn.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR, 1)
    conn.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE)
    seq = conn.getsockopt(socket.IPPROTO_TCP, TCP_QUEUE_SEQ) & 0xffffffff
    conn.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR_QUEUE, TCP_RECV_QUEUE)
    ack = conn.getsockopt(socket.IPPROTO_TCP, TCP_QUEUE_SEQ) & 0xffffffff
    conn.close()
    last = flow_last(sniff, local, peer)
    sniff.close()
    if last["out"] is None:
        raise Failed("none of our packets seen on " + args.iface)
    raw_send(peer[0], endpoint_rst(local, peer, seq, ack, last, RST_PAYLOAD))
    return "reset the client with a %d-byte payload (seq %u, ip id %d)" % (
        len(RST_PAYLOAD), seq, (last["out"]["ipid"] + 1) & 0xffff)


def serve_vanish(conn, args):
    """Exchange data, then disappear without telling the client."""
    greet_server(conn)
    wait_acked(conn)
    vanish(conn)
    return "vanished without FIN or RST"


def read_line(sock, buf):
    """One line from sock (buf: bytes already read); (line, rest), or
    (None, rest) at EOF."""
    while b"\n" not in buf:
        chunk = sock.recv(4096)
        if not chunk:
            return None, buf
        buf += chunk
    line, rest = buf.split(b"\n", 1)
    return line, rest


def serve_requests(conn, args):
    """Answer every request line with "reply N", --delay ms after it,
    until the client closes: the server end of a connection that an
    on-path injector attacks on every request (rstaudit's enforcement
    test).  A reset ends it early; that is not an error here, the
    client's side says whether the connection had to survive.  A line
    "ABORT" is answered by this end's own reset (SO_LINGER 0): the
    genuine reset that must still get through."""
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 0)
    conn.settimeout(3 * WAIT)
    buf, n = b"", 0
    try:
        while True:
            line, buf = read_line(conn, buf)
            if line is None:
                break
            n += 1
            time.sleep(args.delay / 1000.0)
            if line.startswith(b"ABORT"):
                abort(conn)
                return "aborted on request %d, as asked" % n
            conn.sendall(b"reply %d, %d bytes\n" % (n, len(line)))
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 0)
    except ConnectionResetError:
        return "reset after %d requests" % n
    except socket.timeout:
        return "no request after %d: the client is gone" % n
    conn.close()
    return "answered %d requests; the client closed" % n


SERVE = {
    "requests": serve_requests,
    "abort": serve_abort,
    "unread": serve_unread,
    "fin": serve_fin,
    "hold": serve_hold,
    "late": serve_late,
    "vanish": serve_vanish,
    "challenge": serve_challenge,
    "payload-rst": serve_payload_rst,
}


def serve_reuse(lsock, args):
    """Keep the first connection open while its client vanishes and
    connects again from the same port: our kernel answers that SYN with
    a challenge ACK (RFC 5961 4.2), the client's in SYN-SENT with R
    seq=SEG.ACK, which resets this first connection; the retransmitted
    SYN then opens a second one, which ends with a clean close."""
    old, _ = lsock.accept()
    old.settimeout(WAIT)
    greet_server(old)
    new, _ = lsock.accept()
    lsock.close()
    new.settimeout(WAIT)
    greet_server(new)
    expect_reset(old, "the client came back on the same ports")
    if new.recv(4096):
        raise Failed("data after the greeting on the new connection")
    new.close()
    return "the old connection was reset by the client's R; the new one closed cleanly"


def echo_one(conn):
    """Send back everything until the peer closes, then close."""
    try:
        conn.settimeout(30)
        while True:
            data = conn.recv(65536)
            if not data:
                break
            conn.sendall(data)
    except OSError:
        pass
    finally:
        conn.close()


def serve_echo(lsock):
    """Serve every connection in its own thread, until killed."""
    while True:
        conn, _ = lsock.accept()
        threading.Thread(target=echo_one, args=(conn,), daemon=True).start()


def cmd_serve(args):
    lsock = socket.socket(family_of(args.addr), socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind((args.addr, args.port))
    lsock.listen(1024 if args.mode == "echo" else 4)
    say("ready %s port %d" % (args.addr, args.port))
    if args.mode == "echo":
        serve_echo(lsock)
    if args.mode == "reuse":
        lsock.settimeout(WAIT)
        return serve_reuse(lsock, args)
    if args.mode == "listen":
        # Only listen: a firewall is expected to answer the SYN.
        wait_go(args.go)
        if select.select([lsock], [], [], 0)[0]:
            raise Failed("a connection got through the firewall")
        return "listened; no connection arrived"
    lsock.settimeout(WAIT)
    conn, peer = lsock.accept()
    lsock.close()
    conn.settimeout(WAIT)
    return SERVE[args.mode](conn, args)


# --- client modes ---------------------------------------------------------

def connect_refused(sock, args):
    try:
        sock.connect((args.addr, args.port))
    except ConnectionRefusedError:
        return "connection refused"
    raise Failed("connected; expected a reset to the SYN")


def connect_reset(sock, args):
    """Greet, send args.payload, and expect the connection to be reset."""
    sock.connect((args.addr, args.port))
    greet_client(sock)
    sock.sendall(args.payload)
    expect_reset(sock, "sending %r" % args.payload)
    return "connection reset after sending %r" % args.payload


def connect_lost_abort(sock, args):
    """Greet, send args.payload (which the path drops), and abort at once
    with SO_LINGER 0: the RST's seq is our snd_nxt, past the server's
    rcv_nxt by the lost bytes (in its window, not exact)."""
    sock.connect((args.addr, args.port))
    greet_client(sock)
    wait_acked(sock)
    sock.sendall(args.payload)
    if outq(sock) != len(args.payload):
        raise Failed("%d bytes unacknowledged, want the %d just sent" %
                     (outq(sock), len(args.payload)))
    abort(sock)
    return "aborted with %d bytes unacknowledged" % len(args.payload)


def connect_after_fin(sock, args):
    """Send a request, wait for the whole reply and the server's FIN, then
    close without reading: the kernel answers with RST (HTTP client)."""
    sock.connect((args.addr, args.port))
    sock.sendall(args.request)
    wait_until("the server's FIN",
               lambda: tcp_state(sock) == TCP_CLOSE_WAIT and inq(sock) > 0)
    sock.close()
    return "closed with the reply unread after the server's FIN"


def connect_stale(sock, args):
    """Greet, wait for the go signal (the server is gone by then), send."""
    sock.connect((args.addr, args.port))
    greet_client(sock)
    wait_go(args.go)
    sock.sendall(b"anyone there?\n")
    expect_reset(sock, "writing to a vanished server")
    return "reset by the server's stateless RST"


def connect_reuse(sock, args):
    """Greet, vanish (no FIN, no RST: as if this host rebooted), then
    connect again from the same port while the server still has the old
    connection; the kernel's SYN-SENT reset and SYN retransmission do the
    rest.  The new connection greets and closes cleanly."""
    sock.connect((args.addr, args.port))
    greet_client(sock)
    local = sock.getsockname()
    vanish(sock)
    again = socket.socket(family_of(args.addr), socket.SOCK_STREAM)
    again.settimeout(WAIT)
    again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    again.bind(local[:2])
    t0 = time.monotonic()
    again.connect((args.addr, args.port))
    took = time.monotonic() - t0
    greet_client(again)
    again.shutdown(socket.SHUT_WR)
    if again.recv(4096):
        raise Failed("data after the greeting on the new connection")
    again.close()
    return "connected again from the same port after %.1f s" % took


def connect_echo(sock, args):
    """One exchange with the echo server: the path works both ways."""
    sock.connect((args.addr, args.port))
    sock.sendall(HELLO)
    got = recv_exact(sock, len(HELLO))
    if got != HELLO:
        raise Failed("bad echo %r" % got)
    return "echo ok"


def connect_abort(sock, args):
    """One exchange with the echo server, then abort (SO_LINGER 0): a RST
    at exactly the server's rcv_nxt, which conntrack takes."""
    connect_echo(sock, args)
    abort(sock)
    return "echo ok, then aborted"


def connect_oow_rst(sock, args):
    """Echo once, forge a RST of our own connection with a sequence number
    half the space away (out of window: conntrack and the server ignore
    it), then echo again: the connection survived."""
    connect_echo(sock, args)
    src, sport = sock.getsockname()[:2]
    seq = (snd_nxt(sock) + (1 << 31)) & 0xffffffff
    raw_rst(src, sport, args.addr, args.port, seq)
    connect_echo_again(sock)
    return "survived an out-of-window RST (seq %u)" % seq


def connect_inwin_rst(sock, args):
    """Echo once, forge a RST of our own connection inside the server's
    window but 1000 past the sequence number it expects: the server
    answers with a challenge ACK (RFC 5961 3.2) and stays, conntrack
    takes it but keeps the entry ESTABLISHED, and the echo after it
    still works."""
    connect_echo(sock, args)
    src, sport = sock.getsockname()[:2]
    seq = (snd_nxt(sock) + 1000) & 0xffffffff
    raw_rst(src, sport, args.addr, args.port, seq)
    connect_echo_again(sock)
    return "survived an in-window RST 1000 past the expected seq (%u)" % seq


TCP_REPAIR_QUEUE, TCP_QUEUE_SEQ, TCP_RECV_QUEUE, TCP_SEND_QUEUE = 20, 21, 1, 2
TCP_REPAIR_OFF_NO_WP = -1


def snd_nxt(sock):
    """The socket's next sequence number to send (all sent, nothing
    unacknowledged), read in TCP repair mode, left without a probe."""
    wait_acked(sock)
    sock.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR, 1)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE)
        seq = sock.getsockopt(socket.IPPROTO_TCP, TCP_QUEUE_SEQ)
    finally:
        sock.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR, TCP_REPAIR_OFF_NO_WP)
    return seq & 0xffffffff


def connect_echo_again(sock):
    sock.sendall(HELLO)
    if recv_exact(sock, len(HELLO)) != HELLO:
        raise Failed("bad echo after the forged RST")


def connect_requests(sock, args):
    """Send --count request lines (each carries --payload) on one
    connection and read each reply before the next.  With
    --expect-reset K the K-th request must be answered by a reset (and
    every one before it by its reply); without it every request must get
    its reply and the connection must end with a clean close."""
    sock.connect((args.addr, args.port))
    buf = b""
    if args.abort_last:
        args.expect_reset = args.count
    for i in range(1, args.count + 1):
        if i > 1:
            wait_go(args.go)
            time.sleep(args.pause / 1000.0)
        payload = b"ABORT" if args.abort_last and i == args.count else args.payload
        sock.sendall(b"%s %d\n" % (payload, i))
        try:
            line, buf = read_line(sock, buf)
        except ConnectionResetError:
            if args.expect_reset == i:
                return "reset on request %d, as expected" % i
            raise Failed("reset on request %d of %d" % (i, args.count))
        except socket.timeout:
            raise Failed("no reply to request %d within %ds" % (i, WAIT))
        if line is None:
            raise Failed("the server closed before reply %d" % i)
        if not line.startswith(b"reply %d," % i):
            raise Failed("request %d: unexpected reply %r" % (i, line))
        if args.expect_reset == i:
            raise Failed("request %d got its reply; expected a reset" % i)
        say("got reply %d" % i)
    if args.expect_reset:
        raise Failed("no reset in %d requests" % args.count)
    sock.shutdown(socket.SHUT_WR)
    line, buf = read_line(sock, buf)
    if line is not None or buf:
        raise Failed("data after the last reply: %r" % (line or buf))
    sock.close()
    return "got all %d replies, then a clean close" % args.count


CONNECT = {
    "requests": connect_requests,
    "echo": connect_echo,
    "oow-rst": connect_oow_rst,
    "inwin-rst": connect_inwin_rst,
    "abort": connect_abort,
    "refused": connect_refused,
    "reset": connect_reset,
    "lost-abort": connect_lost_abort,
    "after-fin": connect_after_fin,
    "stale": connect_stale,
    "reuse": connect_reuse,
}


def cmd_connect(args):
    args.payload = args.payload.encode()
    sock = socket.socket(family_of(args.addr), socket.SOCK_STREAM)
    sock.settimeout(WAIT)
    if args.sport or args.src:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((args.src or "", args.sport))
    return CONNECT[args.mode](sock, args)


def cmd_bulk(args):
    """Warm up with small messages, wait for --go, then move --bytes each
    way (a thread sends while this one reads the echo back)."""
    sock = socket.socket(family_of(args.addr), socket.SOCK_STREAM)
    sock.settimeout(WAIT)
    sock.connect((args.addr, args.port))
    for _ in range(args.rounds):
        sock.sendall(HELLO)
        if recv_exact(sock, len(HELLO)) != HELLO:
            raise Failed("bad echo while warming up")
    say("warm: %d round trips" % args.rounds)
    wait_go(args.go)
    block = bytes(range(256)) * 256
    err = []

    def send():
        try:
            left = args.bytes
            while left > 0:
                n = min(left, len(block))
                sock.sendall(block[:n])
                left -= n
        except OSError as e:
            err.append(e)

    t = threading.Thread(target=send)
    t.start()
    got = 0
    while got < args.bytes:
        data = sock.recv(min(len(block), args.bytes - got))
        if not data:
            break
        if data != (block * 2)[got % len(block):got % len(block) + len(data)]:
            raise Failed("echoed bytes differ at %d" % got)
        got += len(data)
    t.join()
    if err or got != args.bytes:
        raise Failed("sent %s, echoed %d of %d" % (err or "all", got, args.bytes))
    sock.close()
    return "bulk: %d bytes each way" % got


def one_echo(addr, port):
    sock = socket.socket(family_of(addr), socket.SOCK_STREAM)
    sock.settimeout(20)
    try:
        sock.connect((addr, port))
        sock.sendall(HELLO)
        return recv_exact(sock, len(HELLO)) == HELLO
    except (OSError, Failed):
        return False
    finally:
        sock.close()


def one_refused(addr, port):
    sock = socket.socket(family_of(addr), socket.SOCK_STREAM)
    sock.settimeout(20)
    try:
        sock.connect((addr, port))
        return False
    except ConnectionRefusedError:
        return True
    except OSError:
        return False
    finally:
        sock.close()


def cmd_load(args):
    """N short echo connections (or refused ones: --refused), K at a time;
    every one must end as it should."""
    one = one_refused if args.refused else one_echo
    lock = threading.Lock()
    left, ok, bad = [args.count], [0], [0]

    def work():
        while True:
            with lock:
                if left[0] == 0:
                    return
                left[0] -= 1
            r = one(args.addr, args.port)
            with lock:
                ok[0] += r
                bad[0] += not r

    t0 = time.monotonic()
    ts = [threading.Thread(target=work) for _ in range(args.parallel)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    msg = "load: %d ok, %d failed, %.1f s" % (ok[0], bad[0],
                                               time.monotonic() - t0)
    if bad[0]:
        raise Failed(msg)
    return msg


def cmd_probe(args):
    """One connect to port 9 of ADDR (nothing listens): a reset proves
    the path works both ways.  Retries briefly while routes settle."""
    end = time.monotonic() + WAIT
    while True:
        sock = socket.socket(family_of(args.addr), socket.SOCK_STREAM)
        sock.settimeout(1)
        try:
            sock.connect((args.addr, 9))
        except ConnectionRefusedError:
            return "%s answers" % args.addr
        except OSError as e:
            if time.monotonic() > end:
                raise Failed("%s: %s" % (args.addr, e))
            time.sleep(0.05)
        finally:
            sock.close()


def cmd_mark(args):
    sock = socket.socket(family_of(args.addr), socket.SOCK_DGRAM)
    sock.sendto(args.text.encode(), (args.addr, 9))
    return "sent"


SIOCETHTOOL = 0x8946
ETHTOOL_STXCSUM = 0x17


def cmd_csum_off(args):
    """Have the kernel compute checksums before packets reach the veth
    (ethtool -K IFACE tx off), so captures show correct checksums as on a
    real wire, and not veth's never-filled partial ones."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for name in args.iface:
        value = ctypes.create_string_buffer(struct.pack("II", ETHTOOL_STXCSUM, 0))
        ifreq = struct.pack("16sP", name.encode(), ctypes.addressof(value))
        fcntl.ioctl(sock.fileno(), SIOCETHTOOL, ifreq.ljust(40, b"\0"))
    return "tx checksum offload off on " + " ".join(args.iface)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("mode", choices=sorted(SERVE) + ["echo", "listen", "reuse"])
    c = sub.add_parser("connect")
    c.add_argument("mode", choices=sorted(CONNECT))
    c.add_argument("--sport", type=int, default=0)
    c.add_argument("--payload", default="")
    c.add_argument("--count", type=int, default=1)
    c.add_argument("--expect-reset", type=int, default=0, metavar="K")
    c.add_argument("--abort-last", action="store_true",
                   help="requests: the last asks the server to reset")
    c.add_argument("--pause", type=int, default=0,
                   help="ms between requests (after --go, if given)")
    for q in (s, c):
        q.add_argument("--addr", required=True)
        q.add_argument("--port", type=int, required=True)
        q.add_argument("--go", help="wait for this file before going on")
        q.add_argument("--delay", type=int, default=10, help="ms")
        q.add_argument("--iface", default="eth0",
                       help="payload-rst: where our own packets leave")
    c.add_argument("--src", help="bind this local address")
    b = sub.add_parser("bulk")
    b.add_argument("--bytes", type=int, default=4 << 20)
    b.add_argument("--rounds", type=int, default=5)
    ld = sub.add_parser("load")
    ld.add_argument("--count", type=int, default=2000)
    ld.add_argument("--parallel", type=int, default=200)
    ld.add_argument("--refused", action="store_true",
                    help="to a closed port: each must be refused")
    for q in (b, ld):
        q.add_argument("--addr", required=True)
        q.add_argument("--port", type=int, required=True)
    b.add_argument("--go", help="wait for this file before the bulk")
    g = sub.add_parser("garbage")
    g.add_argument("--src", required=True)
    g.add_argument("--dst", required=True)
    g.add_argument("--port", type=int, default=7009)
    pr = sub.add_parser("probe")
    pr.add_argument("--addr", required=True)
    m = sub.add_parser("mark")
    m.add_argument("--addr", required=True)
    m.add_argument("--text", required=True)
    o = sub.add_parser("csum-off")
    o.add_argument("iface", nargs="+")
    args = p.parse_args()
    args.request = b"GET / HTTP/1.0\r\n\r\n"
    run = {"serve": cmd_serve, "connect": cmd_connect,
           "bulk": cmd_bulk, "load": cmd_load, "garbage": garbage,
           "probe": cmd_probe, "mark": cmd_mark,
           "csum-off": cmd_csum_off}[args.cmd]
    try:
        say(run(args))
    except (Failed, OSError) as e:
        say("error: %s" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
