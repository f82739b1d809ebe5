#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Turns one lab scenario's journal export (journalctl -o export) into the
fixtures: PREFIX.export (the entries journald received inside --window
BEGIN_US,END_US, microseconds since the epoch), PREFIX.log (one
MESSAGE per line, both peers in journal order, as `journalctl -o cat` prints
them), PREFIX.<side>.log (one peer's lines) and PREFIX.syslog (RFC 3164
style "Mmm dd hh:mm:ss <side> pluto[pid]: MESSAGE", UTC, the peer's name as
host name, as rsyslog would forward them from two gateways)."""
import argparse
import datetime
import struct
import sys


def read_entries(data):
    """Yields (raw bytes, {field: bytes}) for each entry of an export stream."""
    pos, n = 0, len(data)
    while pos < n:
        start, fields = pos, {}
        while pos < n and data[pos:pos + 1] != b"\n":
            nl = data.index(b"\n", pos)
            line = data[pos:nl]
            if b"=" in line:
                k, v = line.split(b"=", 1)
                pos = nl + 1
            else:  # binary field: name \n le64 size, data \n
                k = line
                size = struct.unpack("<Q", data[nl + 1:nl + 9])[0]
                v = data[nl + 9:nl + 9 + size]
                pos = nl + 9 + size + 1
            fields[k.decode()] = v
        pos += 1  # the empty line that ends the entry
        if fields:
            yield data[start:pos], fields


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--window")
    ap.add_argument("--side", action="append", default=[], help="NAME=PID")
    ap.add_argument("export")
    ap.add_argument("prefix")
    a = ap.parse_args()
    sides = {}
    for s in a.side:
        name, pid = s.split("=", 1)
        sides[pid] = name
    with open(a.export, "rb") as f:
        data = f.read()
    raw, plain, syslog = [], [], []
    per_side = {name: [] for name in sides.values()}
    begin, end = (int(x) for x in a.window.split(",")) if a.window else (0, 1 << 62)
    for blob, e in read_entries(data):
        received = int(e.get("__REALTIME_TIMESTAMP", b"0"))
        if not begin <= received <= end:
            continue
        raw.append(blob)
        msg = e.get("MESSAGE", b"").decode("utf-8", "replace")
        pid = e.get("_PID", b"").decode()
        side = sides.get(pid, "host")
        ts = int(e.get("_SOURCE_REALTIME_TIMESTAMP", e.get("__REALTIME_TIMESTAMP", b"0")))
        t = datetime.datetime.fromtimestamp(ts / 1e6, datetime.timezone.utc)
        ident = e.get("SYSLOG_IDENTIFIER", b"pluto").decode()
        plain.append(msg)
        per_side.setdefault(side, []).append(msg)
        syslog.append("%s %2d %s %s %s[%s]: %s" % (t.strftime("%b"), t.day, t.strftime("%H:%M:%S"),
                                                 side, ident, pid, msg))
    with open(a.prefix + ".export", "wb") as f:
        f.write(b"".join(raw))
    for suffix, lines in [(".log", plain), (".syslog", syslog)] + \
            [("." + s + ".log", l) for s, l in per_side.items()]:
        with open(a.prefix + suffix, "w") as f:
            f.write("".join(x + "\n" for x in lines))
    print("%s: %d entries" % (a.prefix, len(raw)), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
