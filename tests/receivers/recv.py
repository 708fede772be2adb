#!/usr/bin/python3
"""tests/receivers/recv.py: the receivers suites' client side (stdlib).

  recv.py http URL                 GET URL; print "STATUS" then the body
  recv.py send-raw HOST PORT TEXT  send TEXT over TCP, print the reply
  recv.py prom-wait URL QUERY WANT SECONDS
                                   ask Prometheus's HTTP API (URL is its
                                   base) for the instant QUERY until the
                                   single sample's value is WANT; print it
  recv.py prom-agree URL QUERY SOCKET SECONDS
                                   as prom-wait, WANT read afresh each time
                                   from `$RSTAUDIT stats -p -s SOCKET` (the
                                   sample QUERY names exactly): Prometheus
                                   and the daemon agree, while the counter
                                   may still move
  recv.py prom-get URL QUERY       print the single sample's value (a figure)
  recv.py prom-ready URL SECONDS   wait for /-/ready to say 200
  recv.py sd-check EVENTS RECEIVED INPUT
                                   every event of EVENTS (the daemon's JSON
                                   lines) came through rsyslog's INPUT
                                   (imudp, imtcp, imuxsock) once, in order,
                                   each field in the structured data that
                                   mmpstrucdata parsed back (RECEIVED: one
                                   JSON object a line, see syslog.sh), with
                                   the priority its origin implies; prints
                                   "sd: N passed, N failed"
  recv.py journal-check EVENTS ENTRIES
                                   every event of EVENTS is, once and in
                                   order, a native entry of ENTRIES
                                   (journalctl -o json of the entries with
                                   RSTAUDIT_ORIGIN) carrying every field,
                                   its MESSAGE_ID and PRIORITY; prints
                                   "journal: N passed, N failed"
Exit 0 when it held, 1 when not (with why on stderr).
"""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import rstevent  # noqa: E402  (any event format, read by the legacy keys)


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


def daemon_value(sock, sel):
    out = subprocess.run([os.environ.get("RSTAUDIT", "./rstaudit"), "stats",
                          "-p", "-s", sock], capture_output=True, text=True)
    for line in out.stdout.splitlines():
        if line.startswith(sel + " "):
            return line.split()[-1]
    return None


def cmd_prom_agree(args):
    base, query, sock, secs = args[0], args[1], args[2], float(args[3])
    end = time.monotonic() + secs
    while time.monotonic() < end:
        want = daemon_value(sock, query)
        try:
            got, why = prom_value(base, query)
        except (OSError, ValueError) as e:
            got, why = None, str(e)
        if want is not None and got == want:
            print(got)
            return 0
        time.sleep(0.3)
    return cmd_prom_wait([base, query, str(want), "0"])


def cmd_prom_get(args):
    got, why = prom_value(args[0], args[1])
    print(got if got is not None else "none (%s)" % why)
    return 0 if got is not None else 1


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


SEVERITY = {"middlebox": 4, "endpoint": 6}   # else 5 (slog.h)


def sd_want(ev):
    """The structured data the daemon must have sent for event ev."""
    want = {"origin": ev["origin"], "cause": ev["cause"],
            "confidence": "%.2f" % ev["confidence"], "src": ev["src"],
            "dst": ev["dst"], "flags": ev["flags"], "cid": ev["community_id"]}
    for k in ("sport", "dport", "seq", "ack", "ttl"):
        want[k] = str(ev[k])
    if "hook" in ev:
        want["hook"] = ev["hook"]
        for k in ("in", "out", "verdict"):
            if ev.get(k):
                want[k] = ev[k]
        # What the JSON left out (the table's notes give no id, and no
        # state for a RST conntrack did not take) is left out here too.
        for k in ("state", "id"):
            if (ev.get("ct") or {}).get(k) is not None:
                want["ct_" + k] = str(ev["ct"][k])
    return want


def cmd_sd_check(args):
    events = [rstevent.loads(l) for l in open(args[0]) if l.strip()]
    got, ok, bad = [], 0, 0
    for line in open(args[1]):
        try:
            got.append(json.loads(line))
        except ValueError:    # mmpstrucdata found no structured data
            print("FAIL not JSON from rsyslog: %s" % line.strip()[:200])
            bad += 1
    got = [g for g in got if g.get("input") == args[2]]
    if len(got) != len(events):
        print("FAIL %d events, %d messages from %s" % (len(events), len(got),
                                                      args[2]))
        bad += 1
    for i, (ev, g) in enumerate(zip(events, got)):
        want = sd_want(ev)
        sd = g.get("sd", {}).get("rfc5424-sd", {}).get("rst@32473")
        pri = 3 * 8 + SEVERITY.get(ev["origin"], 5)
        where = "message %d (%s port %s)" % (i + 1, ev["src"], ev["sport"])
        if sd != want:
            print("FAIL %s: structured data %s, want %s" % (where, sd, want))
            bad += 1
        elif g["msgid"] != "RST" or g["app"] != "rstaudit" or \
                int(g["pri"]) != pri:
            print("FAIL %s: msgid %s app %s pri %s, want RST rstaudit %d" % (
                where, g["msgid"], g["app"], g["pri"], pri))
            bad += 1
        else:
            ok += 1
    print("sd: %d passed, %d failed" % (ok, bad))
    return 1 if bad else 0


MESSAGE_IDS = {"endpoint": "bb195f91e5b74326bb35a449792446c5",
               "local": "010bd5157ea142fd99200c3f8ad2255b",
               "middlebox": "1ae8fc9ba2a243da9136f93ccf9ea57a",
               "unknown": "3be4f29e0b3c46d58c3e43320828748f"}


def journal_want(ev):
    """The native fields the daemon must have sent for event ev."""
    sd = sd_want(ev)
    names = {"origin": "ORIGIN", "cause": "CAUSE", "confidence": "CONFIDENCE",
             "src": "SRC_IP", "sport": "SRC_PORT", "dst": "DST_IP",
             "dport": "DST_PORT", "flags": "FLAGS", "seq": "SEQ",
             "ack": "ACK", "ttl": "TTL", "cid": "COMMUNITY_ID",
             "hook": "HOOK", "in": "IN", "out": "OUT", "verdict": "VERDICT",
             "ct_state": "CT_STATE", "ct_id": "CT_ID"}
    want = {"RSTAUDIT_" + names[k]: v for k, v in sd.items()}
    want["RSTAUDIT_FAMILY"] = ev["family"]
    want["RSTAUDIT_TIMESTAMP"] = ev["ts"]
    ev_list = ev["evidence"]
    if ev_list:
        want["RSTAUDIT_EVIDENCE"] = ev_list if len(ev_list) > 1 else ev_list[0]
    want["MESSAGE_ID"] = MESSAGE_IDS[ev["origin"]]
    want["PRIORITY"] = str(SEVERITY.get(ev["origin"], 5))
    want["SYSLOG_IDENTIFIER"] = "rstaudit"
    return want


def cmd_journal_check(args):
    events = [rstevent.loads(l) for l in open(args[0]) if l.strip()]
    entries = [json.loads(l) for l in open(args[1]) if l.strip()]
    ok = bad = 0
    if len(entries) != len(events):
        print("FAIL %d events, %d native entries" % (len(events), len(entries)))
        bad += 1
    for i, (ev, en) in enumerate(zip(events, entries)):
        want = journal_want(ev)
        got = {k: en.get(k) for k in en
               if k.startswith("RSTAUDIT_") or k in want}
        # The journal keeps a repeated field's values, not their order.
        for d in (got, want):
            if isinstance(d.get("RSTAUDIT_EVIDENCE"), list):
                d["RSTAUDIT_EVIDENCE"] = sorted(d["RSTAUDIT_EVIDENCE"])
        if got != want:
            diff = {k: (got.get(k), want.get(k)) for k in set(got) | set(want)
                    if got.get(k) != want.get(k)}
            print("FAIL entry %d (%s port %s): got/want %s" % (
                i + 1, ev["src"], ev["sport"], diff))
            bad += 1
        else:
            ok += 1
    print("journal: %d passed, %d failed" % (ok, bad))
    return 1 if bad else 0


CMDS = {"http": (cmd_http, 1), "send-raw": (cmd_send_raw, 3),
        "prom-wait": (cmd_prom_wait, 4), "prom-ready": (cmd_prom_ready, 2),
        "prom-agree": (cmd_prom_agree, 4), "prom-get": (cmd_prom_get, 2),
        "sd-check": (cmd_sd_check, 3), "journal-check": (cmd_journal_check, 2)}


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in CMDS or \
            len(sys.argv) - 2 != CMDS[sys.argv[1]][1]:
        sys.stderr.write(__doc__)
        return 2
    return CMDS[sys.argv[1]][0](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
