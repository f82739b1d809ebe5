#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A whack that hangs (a stand-in that sleeps, as whack does on a wedged
# pluto) never blocks the daemon: a pluto line written while it hangs is
# delivered at once; the hung whack is killed at status.timeout_ms, the
# snapshot is an ike_error with phase status, and both are counted.
source "$(dirname "$0")/lib/common.sh"
[ -x "$IKELOGD" ] || fail "build/ikelogd is missing: run make"
need_cmd python3

log=$WORK/pluto.log
: >"$log"
cat >"$WORK/whack" <<EOF
#!/bin/sh
echo "\$\$" >>"$WORK/whack.pids"
exec sleep 60
EOF
chmod +x "$WORK/whack"
cat >"$WORK/ikelogd.yaml" <<EOF
source:
  type: file
  file: {path: $log, start: head}
output: {type: stdout}
stats: {interval_s: 0}
status: {enabled: true, whack: $WORK/whack, ctlsocket: $WORK/pluto.ctl, interval_s: 1, timeout_ms: 4000}
$(ikelogd_base_config)
EOF
"$IKELOGD" run -c "$WORK/ikelogd.yaml" >"$WORK/events.jsonl" 2>"$WORK/err" &
pid=$!
track $pid
wait_for 10 grep -q started "$WORK/err" || fail "ikelogd did not start: $(cat "$WORK/err")"
wait_for 5 test -s "$WORK/whack.pids" || fail "whack was not run"
first=$(head -n 1 "$WORK/whack.pids")
kill -0 "$first" || fail "whack is not running"
# whack hangs now; a line written meanwhile must come out while it still does
t0=$(date +%s%N)
echo '"west" #1: initiating IKEv2 connection' >>"$log"
wait_for 3 grep -q '"ike_init"' "$WORK/events.jsonl" || fail "a line waited for the hung whack"
t1=$(date +%s%N)
kill -0 "$first" 2>/dev/null || fail "whack ended before the line came out: the test proves nothing"
ok "a line written while whack hung was delivered in $(((t1 - t0) / 1000000)) ms"
echo "figure: status_hang_line_ms $(((t1 - t0) / 1000000))"

timed_out() { grep -q 'timed out after 4000 ms' "$WORK/events.jsonl"; }
wait_for 8 timed_out || fail "no ike_error for the hung whack"
! kill -0 "$first" 2>/dev/null || fail "the hung whack ($first) is still running"
python3 - "$WORK/events.jsonl" <<'PY' || fail "the ike_error is not as expected"
import json, sys
e = [json.loads(l) for l in open(sys.argv[1]) if '"ike_error"' in l][0]
assert e["phase"] == "status" and e["result"] == "failure", e
assert e["reason"] == "whack --showstates timed out after 4000 ms (killed)", e["reason"]
PY
ok "the hung whack was killed at status.timeout_ms: ike_error, phase status"
kill -TERM $pid
wait $pid || fail "ikelogd exited $? on SIGTERM"
t=$(grep -o 'status_timeouts=[0-9]*' "$WORK/err" | cut -d= -f2)
f=$(grep -o 'status_failures=[0-9]*' "$WORK/err" | cut -d= -f2)
[ "${t:-0}" -ge 1 ] && [ "$f" -ge "$t" ] || fail "counters: status_timeouts=$t status_failures=$f"
ok "counted: status_timeouts=$t, status_failures=$f"
# the one still running at SIGTERM is killed too
while read -r p; do
	! kill -0 "$p" 2>/dev/null || fail "whack $p outlived ikelogd"
done <"$WORK/whack.pids"
ok "no whack outlives ikelogd"
