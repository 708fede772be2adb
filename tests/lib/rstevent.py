"""Read rstaudit's events, whatever their JSON format, by the legacy keys.

    import rstevent
    ev = rstevent.loads(line)     # or rstevent.legacy(dict)

rstaudit writes EVE-compatible JSON by default (timestamp, src_ip,
dest_port, an "rst" object, ...), ECS with --format ecs, and the keys
before EVE (ts, src, dport, origin, ...) with --format legacy.  The test
readers were written against the legacy keys: legacy() gives any of the
three as a legacy event, so they read one shape.  It is a reader's
convenience, not a check: tests/schema/ holds the formats themselves
against their schemas.  Events of other types (event_type "locate")
come back unchanged.
"""

import json

_RST_KEYS = ("origin", "cause", "confidence", "hops", "expected_hops",
             "injector_hop", "injector_hops", "rst_delay_ms",
             "sender_rtt_ms", "flags", "seq", "ack", "ttl", "ipid", "win",
             "len", "evidence")


def _ts(t):
    return t[:-5] + "Z" if t.endswith("+0000") else t


def _from_eve(e):
    r = e["rst"]
    out = {"ts": _ts(e["timestamp"]),
           "family": "ipv%d" % e["ip_v"],
           "src": e["src_ip"], "sport": e["src_port"],
           "dst": e["dest_ip"], "dport": e["dest_port"],
           "community_id": e["community_id"]}
    out.update((k, r[k]) for k in _RST_KEYS if k in r)
    if "pcap_cnt" in e:
        out["frame"] = e["pcap_cnt"]
        out["file"] = e["pcap_filename"]
    if "hook" in r:
        out.update(hook=r["hook"], verdict=r.get("verdict"),
                   ct=e.get("conntrack"))
        out["in"] = e.get("in_iface", "")
        out["out"] = e.get("out_iface", "")
        for k in ("policy", "evidence_pcap"):
            if k in e:
                out[k] = e[k]
    return out


def _from_ecs(e):
    r = e["rstaudit"]
    out = {"ts": e["@timestamp"],
           "family": e["network"]["type"],
           "src": e["source"]["ip"], "sport": e["source"]["port"],
           "dst": e["destination"]["ip"], "dport": e["destination"]["port"],
           "community_id": e["network"]["community_id"]}
    out.update((k, r[k]) for k in _RST_KEYS if k in r)
    if "pcap_cnt" in r:
        out["frame"], out["file"] = r["pcap_cnt"], r["pcap_filename"]
    if "hook" in r:
        obs = e["observer"]
        out.update(hook=r["hook"], verdict=r["verdict"], ct=r["conntrack"],
                   evidence_pcap=r["evidence_pcap"])
        out["in"] = obs.get("ingress", {}).get("interface", {}).get("name", "")
        out["out"] = obs.get("egress", {}).get("interface", {}).get("name", "")
        if "policy" in r:
            out["policy"] = r["policy"]
    return out


def legacy(e):
    """The event e (a dict of any format) with the legacy keys."""
    if e.get("event_type") == "rst":
        return _from_eve(e)
    if "rstaudit" in e and "@timestamp" in e:
        return _from_ecs(e)
    return e


def loads(line):
    return legacy(json.loads(line))
