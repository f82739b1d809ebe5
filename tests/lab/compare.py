#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Compares the events a collector received from the lab's two gateways
with the hand-written lists in fixtures/lab/<scenario>.expected.

Input: the collector's file (one received message per line: rsyslog's
receive time, then the RFC 5424 message whose MSG is the JSON event; or
plain JSON lines), --window SCENARIO=BEGIN_US,END_US (journal realtime,
microseconds) per scenario and --side NAME=PID per pluto. An event belongs
to a scenario when its timestamp lies in the scenario's window, and to a
side when its platform.pid is that side's pluto.

An expected line is "SIDE EVENT_TYPE RESULT [KEY=VALUE ...]", shell-quoted,
'#' starts a comment. Keys (a key left out means the field must be absent):
  sa=LABEL     the event's ike_sa_id; labels stand for ids: the events with
               one label must share one id and different labels different ids
  err=CODE     error_code
  peer=IP      peer_ip
  conn=NAME    conn_name (default: the scenario's name; conn=- for none)
  iid=ID rid=ID  initiator_id / responder_id, the identity as pluto logged
               it; compared like labels (a pseudonym stands for one identity);
               with --redacted, no identity of the scenario may appear in
               clear anywhere in its events (reason and message included)
  tf=ENCR/INTEG/PRF/DH  transform (empty parts for absent members)
Not compared: events of the types in IGNORED, and the progress notes of a
negotiation (result "info" of the types in PROGRESS: "initiating", "sent
request", "proposal chosen"); their outcomes (success, failure) are. Prints "ok: ..." per
matching (scenario, side) and a diff for each mismatch; exits 1 on any."""
import argparse
import difflib
import json
import re
import shlex
import sys

# impair: the lab's own impairments (pluto's IMPAIR: lines), not what a gateway reports.
# alert: the detections' own events (tests/integration/detect.sh checks them), not pluto's lines.
# ike_sa_summary: one per IKE SA that ended, checked on the replayed captures
# by tests/tools/sa-story (exactly one each, outcome, duration), not here.
IGNORED = {"unparsed", "conn_add", "conn_delete", "daemon_start", "daemon_stop", "daemon_stats",
           "alert", "ike_sa_summary", "impair"}
PROGRESS = {"ike_init", "ike_auth", "child_sa_create", "child_sa_rekey", "ike_sa_rekey"}
KEYS = ["sa", "err", "peer", "conn", "iid", "rid", "tf"]


def parse_time(ts):
    """RFC 3339 UTC with microseconds -> microseconds since the epoch."""
    import datetime
    m = re.match(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?Z$", ts or "")
    if not m:
        return None
    y, mo, d, h, mi, s, frac = m.groups()
    t = datetime.datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), tzinfo=datetime.timezone.utc)
    return int(t.timestamp()) * 1000000 + int((frac or "0").ljust(6, "0"))


def read_events(path):
    events = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            i = line.find("{")
            if i < 0:
                continue
            try:
                ev = json.loads(line[i:])
                ev["_raw"] = line[i:]
                # rsyslog's receive time, when the line starts with it
                m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?)\+00:00 ", line)
                ev["_received"] = parse_time(m.group(1) + "Z") if m else None
                events.append(ev)
            except ValueError:
                print("unreadable event: %s" % line.strip()[:200])
    return events


def row_of(ev, scenario):
    t = ev.get("transform")
    row = {"type": ev.get("event_type"), "result": ev.get("result"),
           "sa": ev.get("ike_sa_id"), "err": ev.get("error_code"), "peer": ev.get("peer_ip"),
           "conn": ev.get("conn_name"), "iid": ev.get("initiator_id"), "rid": ev.get("responder_id"),
           "tf": "/".join(str(t.get(k, "")) for k in ("encr", "integ", "prf", "dh_group")) if t else None}
    return row


def read_expected(path, scenario):
    rows = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            words = shlex.split(line, comments=True)
            if not words:
                continue
            if len(words) < 3:
                raise SystemExit("%s:%d: want SIDE TYPE RESULT [KEY=VALUE...]" % (path, n))
            side, row = words[0], {"type": words[1], "result": words[2], "conn": scenario}
            for w in words[3:]:
                k, sep, v = w.partition("=")
                if not sep or k not in KEYS:
                    raise SystemExit("%s:%d: unknown key in %r" % (path, n, w))
                row[k] = None if (k == "conn" and v == "-") else v
            rows.setdefault(side, []).append(row)
    return rows


def canonical(rows):
    """Renders rows as text, with sa and identity values renamed by first
    appearance (A, B, ... and I1, I2, ...), so that labels compare with ids."""
    names = {"sa": {}, "id": {}}
    out = []
    for r in rows:
        parts = [r["type"], r["result"]]
        for k in KEYS:
            v = r.get(k)
            if v is None:
                continue
            if k == "sa":
                v = names["sa"].setdefault(v, chr(ord("A") + len(names["sa"])))
            elif k in ("iid", "rid"):
                v = names["id"].setdefault(v, "I%d" % (len(names["id"]) + 1))
            parts.append("%s=%s" % (k, v))
        out.append(" ".join(parts))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--window", action="append", default=[], help="SCENARIO=BEGIN_US,END_US")
    ap.add_argument("--side", action="append", default=[], help="NAME=PID")
    ap.add_argument("--expected-dir", required=True)
    ap.add_argument("--redacted", action="store_true")
    ap.add_argument("received")
    a = ap.parse_args()
    sides = dict((pid, name) for name, _, pid in (s.partition("=") for s in a.side))
    windows = []
    for w in a.window:
        name, _, span = w.partition("=")
        b, _, e = span.partition(",")
        windows.append((name, int(b), int(e)))
    events = read_events(a.received)
    got, raws = {}, {}
    stray = 0
    for ev in events:
        if ev.get("event_type") in IGNORED or \
                (ev.get("result") == "info" and ev.get("event_type") in PROGRESS):
            continue
        t = parse_time(ev.get("timestamp"))
        side = sides.get(str((ev.get("platform") or {}).get("pid")))
        scen = next((n for n, b, e in windows if t is not None and b <= t <= e), None)
        if side is None or scen is None:
            stray += 1
            continue
        got.setdefault((scen, side), []).append(row_of(ev, scen))
        raws.setdefault((scen, side), []).append(ev["_raw"])
    bad = 0
    oks, fails = [], []
    seen_ids = {}  # identity -> the values it was delivered as, over all scenarios
    for name, _, _ in windows:
        exp = read_expected("%s/%s.expected" % (a.expected_dir, name), name)
        for side in sorted(set(sides.values())):
            want = exp.get(side, [])
            have = got.get((name, side), [])
            if a.redacted:
                # No identity the scenario uses may appear in clear anywhere
                # in an event (fields, reason, message).
                ids = {r[k] for rows in exp.values() for r in rows for k in ("iid", "rid") if r.get(k)}
                leaked = sorted({i for i in ids for text in raws.get((name, side), []) if i in text})
                if leaked:
                    bad += 1
                    fails.append("FAIL %s %s: identities in clear in the events: %s" % (name, side, leaked))
                    for text in raws.get((name, side), []):
                        if any(i in text for i in leaked):
                            fails.append("    " + text.strip()[:300])
            cw, ch = canonical(want), canonical(have)
            if cw == ch:
                oks.append("ok: %s %s: the %d events expected" % (name, side, len(cw)))
                for w, h in zip(want, have):
                    for k in ("iid", "rid"):
                        if w.get(k):
                            seen_ids.setdefault(w[k], set()).add(h[k])
                continue
            bad += 1
            fails.append("FAIL %s %s: %d events expected, %d received" % (name, side, len(cw), len(ch)))
            for d in difflib.unified_diff(cw, ch, "expected", "received", lineterm="", n=1):
                if not d.startswith(("---", "+++")):
                    fails.append("    " + d)
    # One identity, one pseudonym, whatever the scenario and gateway; two
    # identities, two pseudonyms.
    owners = {}
    for ident, values in sorted(seen_ids.items()):
        if len(values) != 1:
            bad += 1
            fails.append("FAIL identity %s was delivered as %d different values: %s" % (ident, len(values), sorted(values)))
        for v in values:
            owners.setdefault(v, set()).add(ident)
    for v, idents in sorted(owners.items()):
        if len(idents) > 1:
            bad += 1
            fails.append("FAIL identities %s were all delivered as %s" % (sorted(idents), v))
    if seen_ids and not any(f.startswith("FAIL identit") for f in fails):
        oks.append("ok: each of the %d identities is delivered as one value of its own, in every scenario" % len(seen_ids))
    # the failures last, next to the figures: the runner shows an output's tail
    print("\n".join(oks + fails))
    lat = sorted(ev["_received"] - parse_time(ev.get("timestamp")) for ev in events
                 if ev.get("_received") is not None and parse_time(ev.get("timestamp")) is not None)
    if lat:
        print("figure: lab_delivery_latency_ms_p50 %.1f" % (lat[len(lat) // 2] / 1000.0))
        print("figure: lab_delivery_latency_ms_max %.1f" % (lat[-1] / 1000.0))
    print("figure: lab_events_received %d" % len(events))
    print("figure: lab_events_outside_scenarios %d" % stray)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
