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
# Every lost event must lie just after what was written before the kill,
# within one in-flight window: what rsyslog held in its queue.
python3 - "$N" "$(rsyslog_out k)" "$at_kill" "$WINDOW" <<'PY' || fail "events lost outside the window rsyslog held at the kill"
import json, re, sys
n, path, at_kill, window = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
seen = set()
for raw in open(path):
    m = re.search(r'\] (\{.*)$', raw)
    if m:
        seen.add(json.loads(m.group(1))["state_serial"])
lost = sorted(i for i in range(1, n + 1) if i not in seen)
if lost:
    print("lost serials %d..%d (received before the kill: %d)" % (lost[0], lost[-1], at_kill))
    if len(lost) > window or lost[0] <= 0 or lost[-1] - lost[0] >= window:
        sys.exit(1)
PY
ok "$lost events lost at the SIGKILL (at most one in-flight window of $WINDOW), the rest delivered"
