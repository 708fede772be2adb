#!/usr/bin/python3
"""lines.py MODE NAME OUT: check rstaudit analyze's output, line by line,
for a capture file called NAME (bytes, as the file system has them).

  text: every byte printable ASCII but the newlines; the event line
        starts with NAME escaped as rstaudit(8) says (printable ASCII as
        is, backslash doubled, any other byte \\xNN); evidence lines are
        indented; only the event, evidence and summary lines are there.
  json: each line one JSON object, no raw control byte in it; "file" is
        NAME itself when NAME is valid UTF-8, else NAME with each byte
        that is not UTF-8 as the text \\xNN.
Prints what is wrong and exits 1, or exits 0.
"""
import json
import os
import sys


def text_escape(b):
    out = []
    for c in b:
        if c == 0x5C:
            out.append("\\\\")
        elif 0x20 <= c < 0x7F:
            out.append(chr(c))
        else:
            out.append("\\x%02x" % c)
    return "".join(out)


def json_expect(b):
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError:
        pass
    out, i = [], 0
    while i < len(b):
        for n in (1, 2, 3, 4):
            try:
                out.append(b[i:i + n].decode("utf-8"))
                i += n
                break
            except UnicodeDecodeError:
                continue
        else:
            out.append("\\x%02x" % b[i])
            i += 1
    return "".join(out)


def main():
    mode, name, path = sys.argv[1], os.fsencode(sys.argv[2]), sys.argv[3]
    data = open(path, "rb").read()
    lines = data.split(b"\n")
    if lines[-1] != b"":
        return "output does not end in a newline"
    lines = lines[:-1]
    if mode == "text":
        for i, l in enumerate(lines):
            bad = [c for c in l if not 0x20 <= c < 0x7F]
            if bad:
                return "line %d has raw byte 0x%02x: %r" % (i + 1, bad[0], l)
        want = text_escape(name).encode() + b":4 "
        if not lines or not lines[0].startswith(want):
            return "event line does not start with %r: %r" % (want, lines[:1])
        for l in lines[1:]:
            if not (l.startswith(b"    ") or l.startswith(b"summary: ")):
                return "a line that is neither evidence nor summary: %r" % l
        if sum(1 for l in lines if not l.startswith(b" ")) != 2:
            return "not exactly one event line and one summary line"
        return None
    if len(lines) != 1:
        return "%d JSON lines, want 1" % len(lines)
    if any(c < 0x20 for c in lines[0]):
        return "raw control byte in the JSON line"
    ev = json.loads(lines[0].decode("utf-8"))
    got = ev.get("pcap_filename", ev.get("file"))     # EVE, or legacy
    if got != json_expect(name):
        return "file %r, want %r" % (got, json_expect(name))
    return None


if __name__ == "__main__":
    err = main()
    if err:
        print(err)
        sys.exit(1)
