"""The ECS fields rstaudit's --format ecs writes, with their ECS types.

Written down from the Elastic Common Schema reference (8.x: base, ecs,
event, source, destination, network, observer, interface, rule fields
and the categorization fields' allowed values).  Every field of an event
must be one of these, or sit under "rstaudit." (the custom namespace,
whose names follow the EVE "rst" object: see rstaudit-eve.schema.json).
"""

import datetime
import ipaddress

# name: (ECS type, level, allowed values or None); "array" marks the
# categorization fields ECS defines as arrays of keywords.
FIELDS = {
    "@timestamp":            ("date", "core", None),
    "ecs.version":           ("keyword", "core", None),
    "event.kind":            ("keyword", "core",
                              {"alert", "asset", "enrichment", "event",
                               "metric", "state", "pipeline_error",
                               "signal"}),
    "event.category":        ("keyword[]", "core",
                              {"api", "authentication", "configuration",
                               "database", "driver", "email", "file",
                               "host", "iam", "intrusion_detection",
                               "library", "malware", "network", "package",
                               "process", "registry", "session", "threat",
                               "vulnerability", "web"}),
    "event.type":            ("keyword[]", "core",
                              {"access", "admin", "allowed", "change",
                               "connection", "creation", "deletion",
                               "denied", "device", "end", "error", "group",
                               "indicator", "info", "installation",
                               "protocol", "start", "user"}),
    "event.action":          ("keyword", "core", None),
    "event.reason":          ("keyword", "extended", None),
    "event.module":          ("keyword", "core", None),
    "event.dataset":         ("keyword", "core", None),
    "source.ip":             ("ip", "core", None),
    "source.port":           ("long", "core", None),
    "destination.ip":        ("ip", "core", None),
    "destination.port":      ("long", "core", None),
    "network.transport":     ("keyword", "core", None),
    "network.type":          ("keyword", "core", None),
    "network.iana_number":   ("keyword", "extended", None),
    "network.community_id":  ("keyword", "extended", None),
    "observer.product":      ("keyword", "extended", None),
    "observer.vendor":       ("keyword", "core", None),
    "observer.type":         ("keyword", "core", None),
    "observer.hostname":     ("keyword", "core", None),
    "observer.ingress.interface.name": ("keyword", "extended", None),
    "observer.egress.interface.name":  ("keyword", "extended", None),
    "rule.id":               ("keyword", "extended", None),
    "rule.name":             ("keyword", "extended", None),
    "rule.ruleset":          ("keyword", "extended", None),
}
REQUIRED = ("@timestamp", "ecs.version", "event.kind", "event.category",
            "event.type", "event.action", "source.ip", "source.port",
            "destination.ip", "destination.port", "network.transport",
            "network.community_id", "rstaudit.origin", "rstaudit.cause")
CUSTOM = "rstaudit"
CUSTOM_KEYS = {"origin", "cause", "confidence", "hops", "expected_hops",
               "injector_hop", "injector_hops", "rst_delay_ms", "flow_evicted",
               "sender_rtt_ms", "flags", "seq", "ack", "ttl", "ipid", "win",
               "len", "action", "evidence", "pcap_cnt", "pcap_filename",
               "hook", "verdict", "conntrack", "policy", "evidence_pcap"}


def flatten(d, prefix=""):
    """Dotted leaves; a custom-namespace value stays whole below its key."""
    for k, v in d.items():
        name = prefix + k
        if isinstance(v, dict) and name != CUSTOM and \
                not name.startswith(CUSTOM + "."):
            yield from flatten(v, name + ".")
        elif name == CUSTOM and isinstance(v, dict):
            for ck, cv in v.items():
                yield name + "." + ck, cv
        else:
            yield name, v


def type_ok(t, v):
    if t == "keyword":
        return isinstance(v, str)
    if t == "keyword[]":
        return isinstance(v, list) and v and all(isinstance(x, str) for x in v)
    if t == "long":
        return isinstance(v, int) and not isinstance(v, bool)
    if t == "ip":
        try:
            ipaddress.ip_address(v)
            return True
        except (ValueError, TypeError):
            return False
    if t == "date":
        try:
            datetime.datetime.strptime(v, "%Y-%m-%dT%H:%M:%S.%fZ")
            return True
        except (ValueError, TypeError):
            return False
    return False


def errors(ev):
    out = []
    seen = dict(flatten(ev))
    for name, v in seen.items():
        if name.startswith(CUSTOM + "."):
            if name[len(CUSTOM) + 1:] not in CUSTOM_KEYS:
                out.append("%s: not a field of the rstaudit namespace" % name)
            continue
        if name not in FIELDS:
            out.append("%s: not an ECS field rstaudit writes" % name)
            continue
        t, _, allowed = FIELDS[name]
        if not type_ok(t, v):
            out.append("%s: %r is not an ECS %s" % (name, v, t))
        elif allowed is not None:
            vals = v if isinstance(v, list) else [v]
            out += ["%s: %r is not an allowed value" % (name, x)
                    for x in vals if x not in allowed]
    out += ["%s: missing" % r for r in REQUIRED if r not in seen]
    return out


NMUT = 5


def selftest():
    good = {"@timestamp": "2023-11-14T22:13:20.045750Z",
            "ecs": {"version": "8.11.0"},
            "event": {"kind": "alert", "category": ["network"],
                      "type": ["connection", "end"], "action": "tcp-reset"},
            "source": {"ip": "10.0.0.1", "port": 80},
            "destination": {"ip": "::1", "port": 1},
            "network": {"transport": "tcp", "community_id": "1:x"},
            "rstaudit": {"origin": "middlebox", "cause": "injected"}}
    bad = 0
    if errors(good):
        print("FAIL selftest: ecs refuses the good event: %s" % errors(good))
        bad += 1
    muts = [("source.port as a string", lambda e: e["source"].update(port="80")),
            ("event.kind outside ECS", lambda e: e["event"].update(kind="rst")),
            ("a field ECS does not have", lambda e: e["network"].update(hops=1)),
            ("source.ip not an address", lambda e: e["source"].update(ip="x")),
            ("an unknown rstaudit field", lambda e: e["rstaudit"].update(x=1))]
    assert len(muts) == NMUT
    import json
    for name, m in muts:
        e = json.loads(json.dumps(good))
        m(e)
        if not errors(e):
            print("FAIL selftest: ecs accepts an event with %s" % name)
            bad += 1
    return bad
