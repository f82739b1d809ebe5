#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Live follow of the system journal: entries written to journald appear as
# events, each with the id of its cursor, and fast: the delay from the
# write to the line in ikelogd's output file, p99 under 100 ms.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/journald.sh"
[ -x "$IKELOGD" ] || fail "build/ikelogd is missing: run make"
journald_ensure

N=300
marker="follow$$r$RANDOM"
ikelogd_journal_config "$WORK/ikelogd.yaml" "$marker"
ikelogd_start "$WORK/ikelogd.yaml" "$WORK/ikelogd.err"

# One writer (10 ms apart) and one watcher of the output file, in one
# process so that both use the same clock.
python3 - /run/systemd/journal/socket "$marker" "$N" "$WORK/out.json" >"$WORK/delays.txt" <<'EOF'
import json, os, socket, sys, threading, time
sock, marker, n, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
sent = {}
def writer():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.connect(sock)
    for i in range(n):
        # pluto's serials start at 1 (#0 is "no state"): entry i is serial i + 1
        msg = ('MESSAGE="westeast" #%d: initiating IKEv2 connection\n'
               'SYSLOG_IDENTIFIER=pluto\nIKELOGD_TEST=%s\n' % (i + 1, marker))
        sent[i] = time.monotonic()
        s.send(msg.encode())
        time.sleep(0.01)
def entry(i):
    return ('MESSAGE="westeast" #%d: initiating IKEv2 connection\n'
            'SYSLOG_IDENTIFIER=pluto\nIKELOGD_TEST=%s\n' % (i, marker)).encode()
# Warm-up, not measured: a journald started just now creates its files and
# ikelogd opens them on the first entries; the figure is the steady follow.
WARM = 20
w = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
w.connect(sock)
for i in range(WARM):
    w.send(entry(1000000 + i))
deadline = time.monotonic() + 30
while not os.path.exists(out) and time.monotonic() < deadline:
    time.sleep(0.001)
f = open(out, "rb")
warm = 0
buf = b""
while warm < WARM and time.monotonic() < deadline:
    chunk = f.read()
    if not chunk:
        time.sleep(0.001)
        continue
    buf += chunk
    *lines, buf = buf.split(b"\n")
    warm += sum(1 for line in lines if json.loads(line).get("event_type") == "ike_init")
t = threading.Thread(target=writer)
t.start()
seen = {}
while len(seen) < n and time.monotonic() < deadline:
    chunk = f.read()
    if not chunk:
        time.sleep(0.0005)
        continue
    now = time.monotonic()
    buf += chunk
    *lines, buf = buf.split(b"\n")
    for line in lines:
        ev = json.loads(line)
        if ev.get("event_type") == "ike_init":
            seen.setdefault(ev["state_serial"] - 1, now)
t.join()
delays = sorted((seen[i] - sent[i]) * 1000 for i in seen if i in sent)
print("seen", len(seen))
if delays:
    print("p50_ms %.1f" % delays[len(delays) // 2])
    print("p99_ms %.1f" % delays[min(len(delays) - 1, int(len(delays) * 0.99))])
    print("max_ms %.1f" % delays[-1])
EOF
cat "$WORK/delays.txt"
seen=$(awk '$1=="seen"{print $2}' "$WORK/delays.txt")
p50=$(awk '$1=="p50_ms"{print $2}' "$WORK/delays.txt")
p99=$(awk '$1=="p99_ms"{print $2}' "$WORK/delays.txt")
[ "$seen" = "$N" ] || fail "$seen of $N entries appeared"
ok "all $N entries written to journald appeared as events"
echo "figure: journal_follow_delay_p50_ms $p50"
echo "figure: journal_follow_delay_p99_ms $p99"
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 100 else 1)" "$p99" ||
	fail "p99 delay ${p99} ms is not under 100 ms"
ok "p99 delay from journald write to output line ${p99} ms < 100 ms"

kill -TERM "$IKELOGD_PID"
wait "$IKELOGD_PID" || fail "ikelogd exited with $?"
journal_check "$marker" "" "$WORK/out.json" >"$WORK/check.txt"
cat "$WORK/check.txt"
# The N measured entries and the 20 warm-up ones.
[ "$(check_value "$WORK/check.txt" journal)" = "$((N + 20))" ] || fail "journal holds $(check_value "$WORK/check.txt" journal) entries, expected $((N + 20))"
[ "$(check_value "$WORK/check.txt" missing)" = 0 ] || fail "entries missing"
[ "$(check_value "$WORK/check.txt" wrong_id)" = 0 ] || fail "events with another id than their cursor's"
[ "$(check_value "$WORK/check.txt" dup)" = 0 ] || fail "duplicates in a single run"
ok "every event carries the id of its journal cursor, none twice"
grep -q '"type":"journal"' "$WORK/position" || fail "no journal position saved"
ok "journal position saved on SIGTERM"
