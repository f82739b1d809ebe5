#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The logfile source follows pluto's logfile= while a writer appends and
# the file is rotated, alternately by rename-and-create (the writer keeps
# writing to the renamed file for a while before it reopens, as pluto does
# until it is told) and by copytruncate (copy, then truncate; done by the
# writer between two of its lines, so that rotation itself loses nothing).
# Every line written appears exactly once, with a distinct event id; then a
# restart (SIGTERM) and a kill -9 resume without loss.
source "$(dirname "$0")/lib/common.sh"
[ -x "$IKELOGD" ] || fail "build/ikelogd is missing: run make"
need_cmd python3

log=$WORK/log/pluto.log
mkdir -p "$WORK/log"
: >"$log"
cat >"$WORK/ikelogd.yaml" <<EOF
source:
  type: file
  file:
    path: $log
    start: head
$(ikelogd_base_config)
output:
  type: file
  path: $WORK/out1.json
EOF

start_ikelogd() { # $1 = output file; the daemon's messages go to $1.err
	sed -i "s|^  path: $WORK/out.*\$|  path: $1|" "$WORK/ikelogd.yaml"
	"$IKELOGD" run -c "$WORK/ikelogd.yaml" 2>"$1.err" &
	pid=$!
	track $pid
	wait_for 10 grep -q started "$1.err" || fail "ikelogd did not start: $(cat "$1.err")"
}
# stop_ikelogd SIGNAL: the running daemon must still be there to get it.
stop_ikelogd() {
	local rc=0
	if ! kill -0 "$pid" 2>/dev/null; then
		wait "$pid" || rc=$?
		fail "ikelogd died early (exit $rc): $(tail -5 "$WORK"/out*.err)"
	fi
	kill -"$1" "$pid"
	wait "$pid" || rc=$?
	[ "$1" = KILL ] || [ "$rc" = 0 ] || fail "ikelogd exited $rc on SIG$1: $(tail -5 "$WORK"/out*.err)"
}

# writer FIRST COUNT PER_SECOND ROTATE_EVERY: lines FIRST.., rotating every
# ROTATE_EVERY lines (0: never), alternately by rename and copytruncate.
writer() {
	python3 - "$log" "$@" <<'EOF'
import os, shutil, sys, time
log, first, count, rate, every = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
rot = len([n for n in os.listdir(os.path.dirname(log)) if n.startswith("pluto.log.")])
old = None
t0 = time.monotonic()
for k, i in enumerate(range(first, first + count)):
    t = time.time()
    stamp = time.strftime("%b %e %H:%M:%S", time.gmtime(t)) + ".%06d" % int((t % 1) * 1e6)
    # pluto's serials start at 1 (#0 is "no state"): line i is serial i + 1
    line = '%s: "westeast" #%d: initiating IKEv2 connection\n' % (stamp, i + 1)
    target = old if old is not None else fd
    os.write(target, line.encode())
    if old is not None and k % 100 == 50:
        os.close(old)          # the writer reopens: later lines go to the new file
        old = None
    if every and k % every == every - 1:
        rot += 1
        if rot % 2:
            os.rename(log, "%s.%d" % (log, rot))
            old = fd           # keeps writing to the renamed file for a while
            fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        else:
            shutil.copyfile(log, "%s.%d" % (log, rot))
            os.truncate(log, 0)
    ahead = (k + 1) / rate - (time.monotonic() - t0)
    if ahead > 0:
        time.sleep(ahead)
if old is not None:
    os.close(old)
os.close(fd)
print(rot)
EOF
}

check() { # $1 = expected lines (0..N-1), $@ = outputs
	local n=$1
	shift
	python3 - "$n" "$@" <<'EOF'
import json, sys
n = int(sys.argv[1])
ids = {}
lines = 0
for p in sys.argv[2:]:
    try:
        f = open(p)
    except FileNotFoundError:
        continue
    for line in f:
        if not line.endswith("\n"):
            continue  # being written
        ev = json.loads(line)
        if ev.get("event_type") != "ike_init":
            continue
        lines += 1
        ids.setdefault(ev["state_serial"] - 1, set()).add(ev["event_id"])
missing = [i for i in range(n) if i not in ids]
print("events", lines)
print("missing", len(missing), missing[:10])
print("multi_id", sum(1 for s in ids.values() if len(s) > 1))
print("dup", lines - len(ids))
EOF
}
value() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }

N=20000
start_ikelogd "$WORK/out1.json"
rotations=$(writer 0 "$N" 4000 2000)
wait_for 30 bash -c "[ \$(wc -l <'$WORK/out1.json') -ge $N ]" || true
check "$N" "$WORK/out1.json" >"$WORK/check1.txt"
cat "$WORK/check1.txt"
echo "figure: logfile_rotations $rotations"
[ "$(value "$WORK/check1.txt" missing)" = 0 ] || fail "lines lost across rotation"
ok "all $N lines delivered across $rotations rotations (rename and copytruncate, alternately)"
[ "$(value "$WORK/check1.txt" dup)" = 0 ] || fail "$(value "$WORK/check1.txt" dup) lines delivered twice"
ok "no line delivered twice"

# A clean restart and a kill -9, each while the writer appends and rotates.
M=$((N + 20000))
writer "$N" 20000 4000 3000 >/dev/null &
wpid=$!
track $wpid
sleep 1.5
stop_ikelogd TERM
start_ikelogd "$WORK/out2.json"
sleep 1.5
stop_ikelogd KILL
start_ikelogd "$WORK/out3.json"
wait "$wpid" || fail "the writer failed"
wait_for 30 bash -c "[ \$(cat '$WORK'/out*.json | wc -l) -ge $M ]" || true
sleep 0.5
stop_ikelogd TERM
check "$M" "$WORK"/out1.json "$WORK"/out2.json "$WORK"/out3.json >"$WORK/check2.txt"
cat "$WORK/check2.txt"
[ "$(value "$WORK/check2.txt" missing)" = 0 ] || fail "lines lost across restarts"
ok "all $M lines delivered across a SIGTERM restart and a kill -9, with rotations"
[ "$(value "$WORK/check2.txt" multi_id)" = 0 ] || fail "a line delivered twice with different ids"
ok "re-delivered lines carry their original event id"
echo "figure: logfile_restart_duplicates $(value "$WORK/check2.txt" dup)"
[ "$(value "$WORK/check2.txt" dup)" -le 4096 ] || fail "more duplicates than the in-flight window"
ok "duplicates within the in-flight window"
