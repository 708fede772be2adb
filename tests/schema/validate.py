#!/usr/bin/python3
"""Hold rstaudit's events against their definitions, line by line.

    validate.py eve FILE...   every line against rstaudit-eve.schema.json
    validate.py ecs FILE...   every line against the ECS fields (ecs.py)
    validate.py selftest      the validators reject what they must

Prints "ok FILE: N events" or one line per bad field naming the event's
line and the field's path, and exits 1 if any event is bad (or a file has
none, unless --allow-empty).  The EVE schema is checked with
python3-jsonschema (Debian), format checks (ipv4, ipv6) included.
"""

import ipaddress
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ecs  # noqa: E402

try:
    import jsonschema
except ImportError:
    sys.exit("validate: python3-jsonschema is missing: apt-get install "
             "python3-jsonschema (tests/deps.sh does it)")

HERE = os.path.dirname(os.path.abspath(__file__))


def eve_validator():
    with open(os.path.join(HERE, "rstaudit-eve.schema.json")) as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=jsonschema.FormatChecker())


def eve_errors(v, ev):
    if v.is_valid(ev):
        return []
    # Name the errors against the definition of the event's own type,
    # not oneOf's "valid under none".
    kind = "rst_event" if ev.get("event_type") != "locate" else "locate_event"
    sub = type(v)({"$ref": "#/definitions/" + kind,
                   "definitions": v.schema["definitions"]},
                  format_checker=v.format_checker)
    out = ["%s: %s" % ("/".join(str(p) for p in e.absolute_path) or "(top)",
                       e.message[:160]) for e in sub.iter_errors(ev)]
    return sorted(set(out)) or ["(top): matches no event type"]


def check_file(kind, path, v, allow_empty):
    bad = n = 0
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            n += 1
            try:
                ev = json.loads(line)
            except ValueError as x:
                print("FAIL %s:%d: not JSON: %s" % (path, lineno, x))
                bad += 1
                continue
            errs = eve_errors(v, ev) if kind == "eve" else ecs.errors(ev)
            for e in errs:
                print("FAIL %s:%d: %s" % (path, lineno, e))
            bad += bool(errs)
    if n == 0 and not allow_empty:
        print("FAIL %s: no events" % path)
        return False
    if not bad:
        print("ok %s: %d events" % (path, n))
    return bad == 0


def selftest(v):
    """Each mutation of a good event must be refused."""
    good = {"timestamp": "2023-11-14T22:13:20.045750+0000", "pcap_cnt": 7,
            "pcap_filename": "a.pcap", "event_type": "rst",
            "src_ip": "198.51.100.20", "src_port": 80,
            "dest_ip": "192.0.2.10", "dest_port": 40100, "proto": "TCP",
            "ip_v": 4, "community_id": "1:DqjaPoSXV7AukH/aqDvM6mNyUuA=",
            "rst": {"origin": "endpoint", "cause": "abort",
                    "confidence": 0.8, "flags": "RA", "seq": 1, "ack": 2,
                    "ttl": 58, "ipid": 3, "win": 0, "len": 0,
                    "action": "allowed", "evidence": ["x"]}}
    bad = 0
    if eve_errors(v, good):
        print("FAIL selftest: the good event is refused: %s"
              % eve_errors(v, good))
        bad += 1
    muts = {
        "unknown top-level field": lambda e: e.update(bogus=1),
        "unknown rst field": lambda e: e["rst"].update(bogus=1),
        "src_port as a string": lambda e: e.update(src_port="80"),
        "dest_ip not an address": lambda e: e.update(dest_ip="999.1.1.1"),
        "origin outside the vocabulary": lambda e: e["rst"].update(origin="peer"),
        "confidence above 1": lambda e: e["rst"].update(confidence=1.5),
        "legacy key src": lambda e: e.update(src="198.51.100.20"),
        "ipv6 event with ipid": lambda e: e.update(ip_v=6),
        "timestamp in another form": lambda e: e.update(timestamp="2023-11-14T22:13:20Z"),
        "rst missing": lambda e: e.pop("rst"),
        "conntrack without an id from a lookup": lambda e: e.update(
            conntrack={"state": "CLOSE", "invalid": False, "source": "lookup"}),
        "conntrack with an id from the table's notes": lambda e: e.update(
            conntrack={"state": "CLOSE", "id": 7, "invalid": False,
                       "source": "table"}),
    }
    for name, m in muts.items():
        e = json.loads(json.dumps(good))
        m(e)
        if not eve_errors(v, e):
            print("FAIL selftest: eve accepts an event with %s" % name)
            bad += 1
    bad += ecs.selftest()
    if not bad:
        print("ok selftest: %d mutations refused" % (len(muts) + ecs.NMUT))
    return bad == 0


def main(argv):
    allow_empty = "--allow-empty" in argv
    argv = [a for a in argv if a != "--allow-empty"]
    if not argv or argv[0] not in ("eve", "ecs", "selftest"):
        sys.exit(__doc__)
    v = eve_validator()
    if argv[0] == "selftest":
        return 0 if selftest(v) else 1
    ok = all([check_file(argv[0], p, v, allow_empty) for p in argv[1:]])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
