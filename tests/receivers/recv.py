#!/usr/bin/python3
"""tests/receivers/recv.py: the receivers suites' client side (stdlib).

  recv.py http URL                 GET URL; print "STATUS" then the body
  recv.py send-raw HOST PORT TEXT  send TEXT over TCP, print the reply
  recv.py prom-wait URL QUERY WANT SECONDS
                                   ask Prometheus's HTTP API (URL is its
                                   base) for the instant QUERY until the
                                   single sample's value is WANT; print it
  recv.py prom-ready URL SECONDS   wait for /-/ready to say 200
Exit 0 when it held, 1 when not (with why on stderr).
"""
import json
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


def get(url, timeout=5):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def cmd_http(args):
    status, body = get(args[0])
    print(status)
    sys.stdout.write(body)
    return 0


def cmd_send_raw(args):
    s = socket.create_connection((args[0], int(args[1])), timeout=5)
    s.sendall(args[2].encode().decode("unicode_escape").encode())
    out = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
    sys.stdout.write(out.decode(errors="replace"))
    return 0


def prom_value(base, query):
    url = base + "/api/v1/query?" + urllib.parse.urlencode({"query": query})
    status, body = get(url)
    if status != 200:
        return None, "status %d: %s" % (status, body[:200])
    d = json.loads(body)
    res = d.get("data", {}).get("result", [])
    if len(res) != 1:
        return None, "%d samples" % len(res)
    return res[0]["value"][1], None


def cmd_prom_wait(args):
    base, query, want, secs = args[0], args[1], args[2], float(args[3])
    end = time.monotonic() + secs
    got, why = None, None
    while time.monotonic() < end:
        try:
            got, why = prom_value(base, query)
        except (OSError, ValueError) as e:
            got, why = None, str(e)
        if got == want:
            print(got)
            return 0
        time.sleep(0.2)
    print("%s: got %s (%s), want %s" % (query, got, why, want), file=sys.stderr)
    try:   # why the scrapes failed, if they did
        d = json.loads(get(base + "/api/v1/targets")[1])
        for t in d["data"]["activeTargets"]:
            print("target %s: health %s, last error '%s', last scrape %s" % (
                t["scrapeUrl"], t["health"], t["lastError"], t["lastScrape"]),
                file=sys.stderr)
    except (OSError, ValueError, KeyError) as e:
        print("targets: %s" % e, file=sys.stderr)
    return 1


def cmd_prom_ready(args):
    end = time.monotonic() + float(args[1])
    while time.monotonic() < end:
        try:
            if get(args[0] + "/-/ready", 1)[0] == 200:
                return 0
        except OSError:
            pass
        time.sleep(0.2)
    print("prometheus at %s: not ready" % args[0], file=sys.stderr)
    return 1


CMDS = {"http": (cmd_http, 1), "send-raw": (cmd_send_raw, 3),
        "prom-wait": (cmd_prom_wait, 4), "prom-ready": (cmd_prom_ready, 2)}


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in CMDS or \
            len(sys.argv) - 2 != CMDS[sys.argv[1]][1]:
        sys.stderr.write(__doc__)
        return 2
    return CMDS[sys.argv[1]][0](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
