#!/usr/bin/python3
"""Helpers for the operations tests (stdlib only).

  ops.py notify-listen ADDR [--on-ready CMD] [--mode MODE]
        an sd_notify receiver: binds an AF_UNIX datagram socket at ADDR (a
        path, or @name: abstract), prints "ready", then one line per
        message ("msg: READY=1 MAINPID=42 ..."); on READY=1 runs CMD at
        once and prints "on-ready: rc N".  Ends on SIGTERM or after 300 s.
  ops.py prom FILE                 check FILE is valid Prometheus text
        format (0.0.4); print its samples, one per line, labels sorted
  ops.py prom-get FILE SELECTOR    the sum of the samples SELECTOR matches:
        NAME or NAME{k="v",...} (a subset of the labels)
  ops.py text-get FILE LINE WORDS  the number after WORDS on the text
        line starting with LINE ("queue 0:", "flows", "conntrack:")
  ops.py event FILE [--wait S] KEY=VALUE...   an event (JSON line) with
        all those fields exists (dotted keys reach into objects; "null",
        "true", "false" and numbers compare as JSON)
  ops.py count FILE KEY=VALUE...   how many events match
  ops.py ask SOCKET REQUEST        send REQUEST and a newline; print reply
  ops.py slow-client SOCKET        connect, send nothing; wait (at most
        30 s) until the daemon closes; print "closed by the daemon"
  ops.py clients SOCKET N          N clients at once, each asking
        "prometheus"; print "N answered" when all got a whole reply

  ops.py refused ADDR PORT SRC     a connection from SRC is refused
  ops.py self-test DIR             the Prometheus parser refuses bad files

Exit status 0 when the check holds, 1 when not (with the reason).
"""

import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../lib"))
import rstevent  # noqa: E402  (tests/lib: any event format, legacy keys)

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\["\\n])*)"'
SAMPLE = re.compile(r"^(%s)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$" % NAME)


class Failed(Exception):
    pass


def say(*words):
    print(*words, flush=True)


def parse_labels(text, where):
    labels = {}
    pos = 0
    while pos < len(text):
        m = re.compile(LABEL).match(text, pos)
        if not m:
            raise Failed("%s: bad label syntax at %r" % (where, text[pos:]))
        if m.group(1) in labels:
            raise Failed("%s: label %s twice" % (where, m.group(1)))
        labels[m.group(1)] = m.group(2)
        pos = m.end()
        if pos < len(text):
            if text[pos] != ",":
                raise Failed("%s: expected ',' at %r" % (where, text[pos:]))
            pos += 1
    return labels


def parse_prom(path):
    """The samples of a Prometheus text file, checked as the format says:
    # HELP and # TYPE once per family, before its samples; a family's
    samples together; counters named *_total with values >= 0; no series
    twice; values numbers.  Returns [(name, labels, value)]."""
    types, helps, samples, seen, done = {}, {}, [], set(), set()
    current = None
    with open(path) as f:
        text = f.read()
    if not text.endswith("\n"):
        raise Failed("does not end with a newline")
    for n, line in enumerate(text.split("\n")[:-1], 1):
        where = "%s:%d" % (path, n)
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            parts = line.split(" ", 3)
            if len(parts) < 4 or not re.fullmatch(NAME, parts[2]):
                raise Failed("%s: malformed %s line" % (where, parts[1]))
            table = helps if parts[1] == "HELP" else types
            if parts[2] in table:
                raise Failed("%s: second %s for %s" % (where, parts[1], parts[2]))
            if any(s[0] == parts[2] for s in samples):
                raise Failed("%s: %s after its samples" % (where, parts[1]))
            if parts[1] == "TYPE" and parts[3] not in (
                    "counter", "gauge", "histogram", "summary", "untyped"):
                raise Failed("%s: unknown type %s" % (where, parts[3]))
            table[parts[2]] = parts[3]
            continue
        if line.startswith("#") or line == "":
            continue
        m = SAMPLE.match(line)
        if not m:
            raise Failed("%s: not a sample: %r" % (where, line))
        name, labels = m.group(1), parse_labels(m.group(2) or "", where)
        try:
            value = float(m.group(3))
        except ValueError:
            raise Failed("%s: value %r is not a number" % (where, m.group(3)))
        if name != current:
            if name in done:
                raise Failed("%s: samples of %s are not together" % (where, name))
            if current:
                done.add(current)
            current = name
        if name not in types:
            raise Failed("%s: %s has no # TYPE before it" % (where, name))
        if name not in helps:
            raise Failed("%s: %s has no # HELP" % (where, name))
        if types[name] == "counter":
            if not name.endswith("_total"):
                raise Failed("%s: counter %s not named *_total" % (where, name))
            if value < 0:
                raise Failed("%s: counter %s negative" % (where, name))
        key = (name, tuple(sorted(labels.items())))
        if key in seen:
            raise Failed("%s: series %s twice" % (where, line.rsplit(" ", 1)[0]))
        seen.add(key)
        samples.append((name, labels, value))
    for name in types:
        if not any(s[0] == name for s in samples):
            raise Failed("family %s has no samples" % name)
    if not samples:
        raise Failed("no samples")
    return samples


def fmt_value(v):
    return str(int(v)) if v == int(v) else repr(v)


def cmd_prom(args):
    samples = parse_prom(args[0])
    for name, labels, value in samples:
        lab = ",".join('%s="%s"' % kv for kv in sorted(labels.items()))
        say("%s{%s} %s" % (name, lab, fmt_value(value)))


def cmd_prom_get(args):
    m = re.fullmatch(r"(%s)(?:\{(.*)\})?" % NAME, args[1])
    if not m:
        raise Failed("bad selector %r" % args[1])
    want = parse_labels(m.group(2) or "", "selector")
    hits = [v for n, l, v in parse_prom(args[0]) if n == m.group(1) and
            all(l.get(k) == v for k, v in want.items())]
    if not hits:
        raise Failed("no sample matches %s" % args[1])
    say(fmt_value(sum(hits)))


def cmd_text_get(args):
    path, line_start, words = args
    with open(path) as f:
        for line in f:
            if not line.startswith(line_start):
                continue
            m = re.search(r"(?:^|[ ,:]) ?%s (\d+)" % re.escape(words), line)
            if m:
                say(m.group(1))
                return
    raise Failed("no line %r with %r" % (line_start, words))


def field(event, key):
    for part in key.split("."):
        if not isinstance(event, dict) or part not in event:
            return KeyError
        event = event[part]
    return event


def matches(event, conds):
    for key, want in conds:
        got = field(event, key)
        if got is KeyError:
            return False
        try:
            want_v = json.loads(want)
        except ValueError:
            want_v = want
        if got != want_v and str(got) != want:
            return False
    return True


def read_events(path):
    try:
        with open(path) as f:
            return [rstevent.loads(l) for l in f if l.strip()]
    except FileNotFoundError:
        return []


def split_conds(args):
    conds = []
    for a in args:
        if "=" not in a:
            raise Failed("not KEY=VALUE: %r" % a)
        conds.append(tuple(a.split("=", 1)))
    return conds


def cmd_event(args):
    wait = 0.0
    if args[1] == "--wait":
        wait = float(args[2])
        args = [args[0]] + args[3:]
    conds = split_conds(args[1:])
    end = time.monotonic() + wait
    while True:
        events = read_events(args[0])
        if any(matches(e, conds) for e in events):
            say("found")
            return
        if time.monotonic() >= end:
            break
        time.sleep(0.05)
    raise Failed("no event with %s among %d:\n%s" % (
        " ".join(args[1:]), len(events),
        "\n".join(json.dumps(e)[:300] for e in events[-6:])))


def cmd_count(args):
    conds = split_conds(args[1:])
    say(sum(1 for e in read_events(args[0]) if matches(e, conds)))


def unix_connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    return s


def read_all(s):
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return data
        data += chunk


def cmd_ask(args):
    s = unix_connect(args[0])
    s.sendall(args[1].encode() + b"\n")
    sys.stdout.write(read_all(s).decode())


def cmd_slow_client(args):
    s = unix_connect(args[0])
    s.settimeout(30)
    say("connected")
    if s.recv(1) != b"":
        raise Failed("the daemon sent something to a client that asked nothing")
    say("closed by the daemon")


def cmd_clients(args):
    """All connect at once; those past the daemon's slots and its listen
    backlog wait in a blocking connect(), as `rstaudit stats` does."""
    n = int(args[1])
    results = [None] * n

    def one(i):
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(args[0])
            s.settimeout(20)
            s.sendall(b"prometheus\n")
            results[i] = read_all(s)
            s.close()
        except OSError as e:
            results[i] = e

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    good = sum(1 for r in results if isinstance(r, bytes) and
               r.startswith(b"# HELP") and r.endswith(b"\n"))
    if good != n:
        raise Failed("%d of %d answered: %r" % (good, n, results))
    say("%d answered" % n)


def cmd_refused(args):
    """connect(ADDR, PORT) from SRC: the SYN must be answered by a reset."""
    fam = socket.AF_INET6 if ":" in args[0] else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(5)
    s.bind((args[2], 0))
    try:
        s.connect((args[0], int(args[1])))
    except ConnectionRefusedError:
        say("refused")
        return
    raise Failed("connected; expected a reset to the SYN")


def cmd_notify_listen(args):
    addr, on_ready = args[0], None
    if "--on-ready" in args:
        on_ready = args[args.index("--on-ready") + 1]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind("\0" + addr[1:] if addr.startswith("@") else addr)
    if not addr.startswith("@"):
        os.chmod(addr, 0o666)    # a daemon that dropped root sends too
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    say("ready")
    end = time.monotonic() + 300
    while time.monotonic() < end:
        if not select.select([s], [], [], 1)[0]:
            continue
        msg = s.recv(4096).decode(errors="replace")
        say("msg: " + " ".join(msg.strip().split("\n")))
        if on_ready and "READY=1" in msg.split("\n"):
            rc = subprocess.call(on_ready, shell=True,
                                 stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
            say("on-ready: rc %d" % rc)
            on_ready = None     # only the first


BAD_PROM = [
    ("no TYPE", "# HELP a_total x\na_total 1\n"),
    ("no HELP", "# TYPE a_total counter\na_total 1\n"),
    ("counter name", "# HELP a x\n# TYPE a counter\na 1\n"),
    ("label syntax", "# HELP a_total x\n# TYPE a_total counter\na_total{q=0} 1\n"),
    ("duplicate", "# HELP a_total x\n# TYPE a_total counter\na_total 1\na_total 2\n"),
    ("value", "# HELP g x\n# TYPE g gauge\ng one\n"),
    ("split family", "# HELP a x\n# TYPE a gauge\n# HELP b x\n# TYPE b gauge\n"
     "a 1\nb 1\na{x=\"1\"} 1\n"),
    ("TYPE late", "# HELP g x\ng 1\n# TYPE g gauge\n"),
    ("no newline", "# HELP g x\n# TYPE g gauge\ng 1"),
    ("empty family", "# HELP g x\n# TYPE g gauge\n"),
]
GOOD_PROM = ('# HELP a_total x\n# TYPE a_total counter\na_total{q="0"} 1\n'
             'a_total{q="1"} 2\n# HELP g y z\n# TYPE g gauge\ng 7\n')


def cmd_self_test(args):
    """The parser rejects what Prometheus would, and takes what it takes."""
    path = os.path.join(args[0], "self-test.prom")
    for what, text in BAD_PROM:
        with open(path, "w") as f:
            f.write(text)
        try:
            parse_prom(path)
        except Failed:
            continue
        raise Failed("the parser took a file with a bad %s" % what)
    with open(path, "w") as f:
        f.write(GOOD_PROM)
    if len(parse_prom(path)) != 3:
        raise Failed("the parser lost samples of a good file")
    os.unlink(path)
    say("parser: %d bad files refused, the good one read" % len(BAD_PROM))


COMMANDS = {
    "self-test": (cmd_self_test, 1),
    "prom": (cmd_prom, 1), "prom-get": (cmd_prom_get, 2),
    "text-get": (cmd_text_get, 3), "event": (cmd_event, 2),
    "count": (cmd_count, 1), "ask": (cmd_ask, 2),
    "slow-client": (cmd_slow_client, 1), "clients": (cmd_clients, 2),
    "notify-listen": (cmd_notify_listen, 1), "refused": (cmd_refused, 3),
}


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.stderr.write(__doc__)
        return 2
    fn, nargs = COMMANDS[sys.argv[1]]
    args = sys.argv[2:]
    if len(args) < nargs:
        sys.stderr.write(__doc__)
        return 2
    try:
        fn(args)
    except (Failed, OSError, ValueError) as e:
        say("FAIL: %s" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
