#!/usr/bin/python3
"""tests/locate/server.py PORT: the lab's server.  Answers every segment of
every connection with "ok\n" until the peer goes; IPv4 and IPv6.  Prints
"ready" once listening."""
import socket
import sys
import threading


def serve(conn):
    with conn:
        try:
            while conn.recv(4096):
                conn.sendall(b"ok\n")
        except OSError:
            pass


def main():
    lsock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    lsock.bind(("::", int(sys.argv[1])))
    lsock.listen(1024)
    print("ready", flush=True)
    while True:
        conn, _ = lsock.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


main()
