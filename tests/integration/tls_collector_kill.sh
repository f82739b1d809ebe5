#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The collector (rsyslog, OpenSSL driver) is killed with SIGKILL once while
# 100,000 events stream to it, then started again. Syslog over TLS has no
# application-level acknowledgement: what rsyslog's TCP stack acknowledged
# but rsyslog had not yet written out dies with it. The scenario prints how
# many were lost, and passes when every lost event is one that ikelogd had
# seen acknowledged within its in-flight window (limits.in_flight) before
# the kill, and nothing after the restart is lost.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/rsyslog.sh"
source "$(dirname "$0")/lib/pki.sh"
[ -x "$IKELOGD" ] || fail "build/ikelogd is missing: run make"
need_cmd rsyslogd openssl python3 ss

N=${TLS_EVENTS:-100000}
WINDOW=4096
tls_stream k "$N"

wait_count k $(( N / 3 )) 60 || fail "stream stalled ($(tail -n 3 "$WORK/ikelogd.err")) at $(rsyslog_count k) messages"
rsyslog_stop k KILL
at_kill=$(rsyslog_count k)
echo "killed at $at_kill messages"
sleep 1
rsyslog_start k
wait "$pid" || fail "ikelogd exited with $?: $(tail -n 5 "$WORK/ikelogd.err")"
wait_count k "$N" 10 || true
rsyslog_stop k
r=$(tls_check "$N" "$(rsyslog_out k)")
echo "$r"
lost=$(val missing "$r")
echo "figure: tls_kill9_lost $lost"
echo "figure: tls_kill9_duplicates $(val dup "$r")"
echo "figure: tls_kill9_resent $(counter resent "$WORK/ikelogd.err")"
echo "figure: tls_kill9_partial_frames_written_by_rsyslog $(val partial "$r")"
[ "$(val invalid "$r")" = 0 ] || fail "$(val invalid "$r") invalid messages"
[ "$(val dup_eid_mismatch "$r")" = 0 ] || fail "$(val dup_eid_mismatch "$r") duplicates with another event id"
ok "each duplicate carries its original's event id"
# What was written before the kill is the stream's head, serials 1..at_kill;
# every lost event lies past that point, within one in-flight window of it:
# what rsyslog held in its queue.
python3 - "$N" "$(rsyslog_out k)" "$at_kill" "$WINDOW" <<'PY' || fail "events lost outside the window rsyslog held at the kill"
import json, re, sys
n, path, at_kill, window = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
serials = []
for raw in open(path, encoding="utf-8", errors="replace"):
    m = re.search(r'\] (\{.*)$', raw)
    try:
        serials.append(json.loads(m.group(1))["state_serial"] if m else None)
    except ValueError:
        serials.append(None)  # a partial frame (tls_check counts them)
head = serials[:at_kill]
if head != list(range(1, at_kill + 1)):
    bad = next(i for i, s in enumerate(head) if s != i + 1)
    print("line %d written before the kill holds serial %s, not %d" % (bad + 1, head[bad], bad + 1))
    sys.exit(1)
seen = set(serials)
lost = [i for i in range(1, n + 1) if i not in seen]
if lost:
    print("lost serials %d..%d (%d), received before the kill: %d" % (lost[0], lost[-1], len(lost), at_kill))
    if lost[0] <= at_kill or lost[-1] > at_kill + window:
        sys.exit(1)
PY
ok "$lost events lost at the SIGKILL, all within one in-flight window ($WINDOW) past the $at_kill written before it, the rest delivered"
