#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The daemon as a service: READY=1 over NOTIFY_SOCKET, the stats event and
# the Prometheus file, SIGHUP with a broken config (the old one keeps
# running) and with new rules (used for the next lines), SIGUSR1 counters,
# and SIGTERM during a stream (exit 0, position saved, nothing lost on
# restart).
source "$(dirname "$0")/lib/common.sh"
[ -x "$IKELOGD" ] || fail "build/ikelogd is missing: run make"

log=$WORK/pluto.log
out=$WORK/events.json
state=$WORK/position
prom=$WORK/ikelogd.prom
: >"$log"

write_config() { # $1 = rules file, $2 = extra top-level YAML
	cat >"$WORK/ikelogd.yaml" <<EOF
source:
  type: file
  file:
    path: $log
    start: head
state_file: $state
rules: [$1]
redact:
  key_file: $WORK/pseudonym.key
  generate_key: true
output:
  type: file
  path: $out
limits:
  in_flight: 512
stats:
  interval_s: 1
  prometheus_file: $prom
log_level: debug
$2
EOF
}
write_config "$ROOT/conf/rules/libreswan.yaml" ""

# A notify socket of our own stands in for systemd's.
notify=$WORK/notify.sock
python3 - "$notify" >"$WORK/notify.txt" <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
while True:
    msg = s.recv(4096).decode(errors="replace")
    print(msg.replace("\n", "|"), flush=True)
EOF
track $!
wait_for 5 test -S "$notify" || fail "notify listener did not start"

NOTIFY_SOCKET=$notify "$IKELOGD" run -c "$WORK/ikelogd.yaml" 2>"$WORK/daemon.err" &
pid=$!
track $pid
wait_for 10 grep -q 'READY=1' "$WORK/notify.txt" || fail "no READY=1: $(cat "$WORK/daemon.err")"
ok "READY=1 sent over NOTIFY_SOCKET"

line='"westeast" #1: responder established IKE SA; authenticated peer using authby=secret and ID_FQDN '\''@west'\'''
for i in $(seq 1 50); do echo "$line" >>"$log"; done
wait_for 10 bash -c "[ \$(grep -c '\"ike_auth\"' '$out') -ge 50 ]" || fail "50 ike_auth events did not arrive"
ok "50 lines appended to the logfile arrive as ike_auth events"

wait_for 5 grep -q '"daemon_stats"' "$out" || fail "no daemon_stats event"
ok "a daemon_stats event is in the output stream"
wait_for 5 grep -q '^ikelogd_lines_read_total 50$' "$prom" || fail "prometheus file: $(head -c 600 "$prom" 2>/dev/null)"
grep -q '^ikelogd_rule_matches_total{rule="' "$prom" || fail "no per-rule counters in $prom"
ok "Prometheus file holds lines_read 50 and per-rule counters"
wait_for 5 grep -q 'STATUS=read 50' "$WORK/notify.txt" || fail "no STATUS with the counters"
ok "STATUS= carries the counters"

# A broken config: refused, the daemon keeps running on the old one.
cp "$WORK/ikelogd.yaml" "$WORK/good.yaml"
printf 'no_such_key: 1\nlimits: {in_flight: many}\n' >>"$WORK/ikelogd.yaml"
kill -HUP $pid
wait_for 5 grep -q 'reload refused' "$WORK/daemon.err" || fail "bad reload not reported"
grep -q 'no_such_key' "$WORK/daemon.err" || fail "the unknown key is not named"
kill -0 $pid || fail "daemon died on a bad reload"
echo "$line" >>"$log"
wait_for 10 bash -c "[ \$(grep -c '\"ike_auth\"' '$out') -ge 51 ]" || fail "old config stopped working after a bad reload"
ok "SIGHUP with a broken config: refused, named, the old config keeps working"

# New rules: the same line now matches a rule of our own.
cat >"$WORK/rules2.yaml" <<'EOF'
# SPDX-License-Identifier: Apache-2.0
- id: test.reloaded
  event: conn_add
  result: info
  scope: state
  pattern: '^responder established IKE SA'
EOF
write_config "$WORK/rules2.yaml" ""
kill -HUP $pid
wait_for 5 grep -q 'reloaded' "$WORK/daemon.err" || fail "good reload not reported: $(tail -5 "$WORK/daemon.err")"
echo "$line" >>"$log"
wait_for 10 grep -q '"rule":"test.reloaded"' "$out" || fail "new rules not used after reload"
ok "SIGHUP with new rules: the next line is matched by the new rule"

kill -USR1 $pid
wait_for 5 grep -q 'counters: .*reloads=1 reload_failures=1' "$WORK/daemon.err" || fail "SIGUSR1 counters: $(grep counters "$WORK/daemon.err" | tail -1)"
ok "SIGUSR1 logs the counters (reloads=1 reload_failures=1)"

# SIGTERM in the middle of a stream: exit 0, position saved, restart loses nothing.
write_config "$ROOT/conf/rules/libreswan.yaml" ""
kill -HUP $pid
python3 - "$log" <<'EOF' &
import sys, time
with open(sys.argv[1], "a") as f:
    for i in range(20000):
        f.write('"stream" #%d: initiating IKEv2 connection\n' % (i + 1))
        if i % 500 == 0:
            f.flush(); time.sleep(0.01)
EOF
writer=$!
# Stopped once the stream's events come out, while the writer still writes.
streaming() { grep -q '"conn_name":"stream"' "$out"; }
wait_for 10 streaming || fail "the stream does not reach the output: $(tail -n 3 "$WORK/daemon.err")"
kill -0 $writer 2>/dev/null || fail "the writer finished before the SIGTERM: not in the middle of a stream"
kill -TERM $pid
wait $pid && rc=0 || rc=$?
[ "$rc" = 0 ] || fail "exit status $rc after SIGTERM"
[ -s "$state" ] || fail "no position saved"
ok "SIGTERM during a stream: exit 0 and the position saved"
wait $writer
"$IKELOGD" run -c "$WORK/ikelogd.yaml" 2>>"$WORK/daemon.err" &
pid=$!
track $pid
wait_for 30 bash -c "[ \$(grep -c '\"conn_name\":\"stream\"' '$out') -ge 20000 ]" || true
kill -TERM $pid
wait $pid || fail "exit status $? after SIGTERM (the restarted daemon)"
python3 - "$out" <<'EOF' || fail "events lost across the restart"
import json, sys
seen = set()
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e.get("conn_name") == "stream":
        seen.add(e["state_serial"])
missing = set(range(1, 20001)) - seen
print("figure: restart_missing %d" % len(missing))
sys.exit(1 if missing else 0)
EOF
ok "after restart every one of 20000 streamed lines has its event"
