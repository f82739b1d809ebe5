#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The installed unit under a real systemd as PID 1: a Debian container
# (systemd-nspawn -b, lib/nspawn.sh) gets `make install`'s tree and runs
# ikelogd.service with source: file and output: file. `systemctl start`
# returns only after READY=1 (and a Type=simple control shows the check can
# tell); the watchdog kills a SIGSTOPped ikelogd and systemd restarts it,
# which resumes from its saved position (nothing lost, nothing sent twice);
# `systemctl reload` applies a new configuration and keeps the running one
# when the new one is bad, saying so in the journal; `systemctl stop`
# drains and saves the position, which the next start continues from; and
# the sandbox holds: `systemd-analyze security` rates the running unit at
# 1.5 or less, the service's user can write no directory but its own, its
# private /tmp and /var/tmp and its /dev/mqueue, and even root gets EROFS
# writing /etc, /usr, /var/log, /run/lock or /dev/shm from the service's
# mount namespace. The first run builds the container's rootfs (about a
# minute, cached for later runs); a cached run takes about 20 s.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/nspawn.sh"
nspawn_scenario

log=$CT/var/log/pluto.log
out=$CT/var/log/ikelogd/events.json
pos=$CT/var/lib/private/ikelogd/position
install -m 0644 /dev/null "$log"

# The configuration: $1 = the message field's redaction (drop | keep).
write_config() {
	cat >"$CT/etc/ikelogd/ikelogd.yaml" <<EOF
source:
  type: file
  file: {path: /var/log/pluto.log, start: head}
state_file: /var/lib/ikelogd/position
commit_interval_ms: 200
rules: [/usr/share/ikelogd/rules/libreswan.yaml]
redact:
  key_file: /var/lib/ikelogd/pseudonym.key
  generate_key: true
  fields: {message: $1}
output: {type: file, path: /var/log/ikelogd/events.json}
stats: {interval_s: 0}
EOF
}
write_config drop

# The watchdog fires after 3 s instead of 30 in this test; the rest of the
# unit is as installed.
mkdir -p "$CT/etc/systemd/system/ikelogd.service.d"
printf '[Service]\nWatchdogSec=3\n' >"$CT/etc/systemd/system/ikelogd.service.d/test.conf"
in_ct systemctl daemon-reload

# append FIRST COUNT: pluto lines FIRST .. FIRST+COUNT-1, one write; line k
# is serial "#k+1" (pluto's serials start at 1, #0 is "no state").
append() {
	seq "$1" $(($1 + $2 - 1)) | awk -v stamp="$(date -u '+%b %e %H:%M:%S')" \
		'{ printf "%s.000000: \"westeast\" #%d: initiating IKEv2 connection\n", stamp, $1 + 1 }' >>"$log"
}

# tally: the ike_init events in the output by serial, against the lines in
# the logfile and the saved position. Prints "key value" lines.
tally() {
	python3 - "$out" "$log" "$pos" <<'EOF'
import json, os, sys
out, log, pos = sys.argv[1:4]
seen, with_msg = {}, set()
if os.path.exists(out):
    for line in open(out):
        if not line.endswith("\n"):
            continue
        ev = json.loads(line)
        if ev.get("event_type") != "ike_init":
            continue
        n = ev["state_serial"] - 1
        seen[n] = seen.get(n, 0) + 1
        if "message" in ev:
            with_msg.add(n)
lines = open(log, "rb").read().splitlines(keepends=True)
k = 0
while k in seen:
    k += 1
print("lines", len(lines))
print("events", sum(seen.values()))
print("distinct", len(seen))
print("dups", sum(c - 1 for c in seen.values()))
print("prefix", k)
print("missing", sum(1 for i in range(len(lines)) if i not in seen))
print("prefix_bytes", sum(len(l) for l in lines[:k]))
print("msg_min", min(with_msg) if with_msg else -1)
print("msg_max", max(with_msg) if with_msg else -1)
print("msg_count", len(with_msg))
try:
    print("offset", json.load(open(pos))["offset"])
except (OSError, ValueError, KeyError):
    print("offset", -1)
EOF
}
val() { tally | awk -v k="$1" '$1 == k { print $2 }'; }
delivered() { [ "$(val distinct)" -ge "$1" ]; }
prop() { in_ct systemctl show -p "$1" --value ikelogd.service; }
prop_is() { [ "$(prop "$1")" = "$2" ]; }
cursor() { in_ct journalctl -q -n 0 --show-cursor | sed -n 's/^-- cursor: //p'; }
# unit_log CURSOR: the unit's journal (systemd's lines and ikelogd's) since CURSOR.
unit_log() {
	in_ct journalctl --sync
	in_ct journalctl -q -u ikelogd.service --after-cursor="$1" -o cat
}
# logged CURSOR REGEX: the unit's journal since CURSOR has a line matching
# REGEX (read whole first: grep -q would end journalctl with SIGPIPE).
logged() {
	in_ct journalctl -q -u ikelogd.service --after-cursor="$1" -o cat >"$WORK/logged.txt"
	grep -q -e "$2" "$WORK/logged.txt"
}
position_at_prefix() { [ "$(val offset)" = "$(val prefix_bytes)" ]; }

# ready_order CURSOR: ikelogd's own "started:" line comes before systemd's
# "Started ikelogd.service" in the journal. Both go to journald's one
# datagram socket, ikelogd's before its READY=1, so with Type=notify the
# order is fixed; with Type=simple systemd says Started at the fork.
ready_order() {
	unit_log "$1" >"$WORK/start.log"
	local mine theirs
	mine=$(grep -n -m1 '^started: ' "$WORK/start.log" | cut -d: -f1)
	theirs=$(grep -n -m1 '^Started ikelogd.service' "$WORK/start.log" | cut -d: -f1)
	[ -n "$mine" ] && [ -n "$theirs" ] && [ "$mine" -lt "$theirs" ]
}

# ---- start: returns after READY=1
append 0 1000
c=$(cursor)
t0=$(date +%s%N)
in_ct systemctl start ikelogd.service || fail "systemctl start failed: $(unit_log "$c" | tail -n 20)"
t1=$(date +%s%N)
state=$(prop ActiveState)/$(prop SubState)
[ "$state" = active/running ] || fail "right after systemctl start the unit is $state, not active/running"
ready_order "$c" || fail "the journal does not show ikelogd's start before systemd's Started: $(cat "$WORK/start.log")"
echo "measured: systemctl start took $(((t1 - t0) / 1000000)) ms"
ok "systemctl start returned with the unit active/running, ikelogd's 'started:' logged before systemd's 'Started'"
wait_for 20 delivered 1000 || fail "1000 lines did not arrive: $(tally | tr '\n' ' ')"
[ "$(val dups)" = 0 ] || fail "duplicates after start: $(tally | tr '\n' ' ')"
ok "1000 lines appended before the start arrive once each"

# ---- watchdog: a stopped ikelogd is killed and restarted, and resumes
wait_for 10 position_at_prefix || fail "the position did not reach line 1000: $(tally | tr '\n' ' ')"
pid1=$(prop MainPID)
restarts=$(prop NRestarts)
c=$(cursor)
in_ct kill -STOP "$pid1"
wait_for 5 in_ct grep -q '^State:.*stopped' "/proc/$pid1/status" || fail "pid $pid1 did not stop"
append 1000 500
wait_for 20 prop_is NRestarts $((restarts + 1)) ||
	fail "no restart after SIGSTOP: $(unit_log "$c" | tail -n 20)"
wait_for 10 prop_is ActiveState active ||
	fail "not active again after the watchdog: $(unit_log "$c" | tail -n 20)"
pid2=$(prop MainPID)
[ "$pid2" != "$pid1" ] || fail "MainPID is still $pid1"
unit_log "$c" >"$WORK/watchdog.log"
grep -q 'Watchdog timeout' "$WORK/watchdog.log" || fail "systemd did not log a watchdog timeout: $(cat "$WORK/watchdog.log")"
wait_for 20 delivered 1500 || fail "the 500 lines written while stopped did not arrive: $(tally | tr '\n' ' ')"
sleep 0.5
[ "$(val events)" = 1500 ] && [ "$(val dups)" = 0 ] && [ "$(val missing)" = 0 ] ||
	fail "after the watchdog restart: $(tally | tr '\n' ' ')"
ok "watchdog: SIGSTOPped pid $pid1 killed ($(grep -m1 -o 'Watchdog timeout[^!]*' "$WORK/watchdog.log")), restarted as $pid2; 1500 of 1500 events, 0 duplicates"

# ---- reload: a new configuration applies, a bad one is refused
write_config keep
c=$(cursor)
in_ct systemctl reload ikelogd.service || fail "systemctl reload failed"
# systemd says Reloaded once kill(1) has exited: wait for ikelogd's word.
wait_for 10 logged "$c" '^reloaded /etc/ikelogd/ikelogd.yaml$' ||
	fail "ikelogd did not log its reload: $(unit_log "$c" | tail -n 10)"
append 1500 100
wait_for 20 delivered 1600 || fail "lines after the reload did not arrive: $(tally | tr '\n' ' ')"
[ "$(val msg_min)" = 1500 ] && [ "$(val msg_count)" = 100 ] ||
	fail "after the reload, message kept on serials $(val msg_min)..$(val msg_max) ($(val msg_count)), not 1500..1599"
[ "$(prop MainPID)" = "$pid2" ] || fail "reload changed the main process"
ok "systemctl reload: the new redaction (message: keep) applies from the next line, same process"

cp "$CT/etc/ikelogd/ikelogd.yaml" "$WORK/good.yaml"
printf 'no_such_key: 1\n' >>"$CT/etc/ikelogd/ikelogd.yaml"
c=$(cursor)
in_ct systemctl reload ikelogd.service || fail "systemctl reload (bad configuration) failed"
wait_for 10 logged "$c" '^reload refused' ||
	fail "ikelogd did not refuse the bad configuration: $(unit_log "$c" | tail -n 10)"
logged "$c" no_such_key || fail "the journal does not name the bad key: $(cat "$WORK/logged.txt")"
[ "$(prop ActiveState)" = active ] && [ "$(prop MainPID)" = "$pid2" ] ||
	fail "after a bad reload the unit is $(prop ActiveState), pid $(prop MainPID)"
append 1600 100
wait_for 20 delivered 1700 || fail "lines after the bad reload did not arrive: $(tally | tr '\n' ' ')"
[ "$(val msg_count)" = 200 ] || fail "after the bad reload the kept configuration is not in force: $(tally | tr '\n' ' ')"
cp "$WORK/good.yaml" "$CT/etc/ikelogd/ikelogd.yaml"
ok "a bad configuration is refused ('reload refused' naming no_such_key in the journal) and the running one stays"

# ---- stop: drains and saves the position; the next start continues
append 1700 2000
c=$(cursor)
in_ct systemctl stop ikelogd.service
[ "$(prop ActiveState)" = inactive ] && [ "$(prop Result)" = success ] && [ "$(prop ExecMainStatus)" = 0 ] ||
	fail "after stop: $(prop ActiveState) $(prop Result) status $(prop ExecMainStatus)"
unit_log "$c" >"$WORK/stop.log"
grep -q '^SIGTERM: stopping' "$WORK/stop.log" || fail "no 'SIGTERM: stopping': $(cat "$WORK/stop.log")"
! grep -q 'events not delivered' "$WORK/stop.log" || fail "stop did not drain: $(cat "$WORK/stop.log")"
grep -q '^counters: .* in_flight=0 ' "$WORK/stop.log" || fail "in_flight is not 0 at exit: $(cat "$WORK/stop.log")"
at_stop=$(val prefix)
[ "$(val dups)" = 0 ] || fail "duplicates at stop: $(tally | tr '\n' ' ')"
position_at_prefix || fail "the saved position is not the end of the last delivered line: $(tally | tr '\n' ' ')"
ok "systemctl stop: exit 0, nothing left in flight, position saved at the end of line $at_stop (of 3700)"
append 3700 100
in_ct systemctl start ikelogd.service || fail "start after stop failed"
wait_for 30 delivered 3800 || fail "not everything arrived after the restart: $(tally | tr '\n' ' ')"
sleep 0.5
[ "$(val events)" = 3800 ] && [ "$(val dups)" = 0 ] || fail "after the restart: $(tally | tr '\n' ' ')"
ok "the next start continues from the position: 3800 of 3800 events, 0 duplicates"

# ---- the sandbox, on the running service
in_ct systemd-analyze security ikelogd.service >"$WORK/security.out" 2>&1 ||
	{ cat "$WORK/security.out" >&2; fail "systemd-analyze security failed"; }
exposure=$(sed -n 's/.*Overall exposure level for ikelogd.service: \([0-9.]*\).*/\1/p' "$WORK/security.out")
[ -n "$exposure" ] || { cat "$WORK/security.out" >&2; fail "no exposure level in the output"; }
echo "figure: systemd_exposure_running $exposure"
awk -v e="$exposure" 'BEGIN { exit !(e <= 1.5) }' ||
	{ grep '✗' "$WORK/security.out" >&2 || true; fail "exposure $exposure is above 1.5"; }
ok "systemd-analyze security on the running unit: exposure $exposure <= 1.5"

pid=$(prop MainPID)
status=$(in_ct cat "/proc/$pid/status")
uid=$(awk '$1 == "Uid:" { print $2 }' <<<"$status")
[ "$uid" -ne 0 ] || fail "ikelogd runs as root"
grep -q -x $'NoNewPrivs:\t1' <<<"$status" || fail "NoNewPrivs is not set"
grep -q -x $'CapEff:\t0000000000000000' <<<"$status" || fail "ikelogd has capabilities: $(grep ^Cap <<<"$status")"
grep -q -x $'Seccomp:\t2' <<<"$status" || fail "ikelogd runs without a seccomp filter"
# What the service's own user (and groups) can write, from its mount
# namespace: only its state and logs directories, its private /tmp and
# /var/tmp and its IPC namespace's /dev/mqueue; the rest of the tree is a
# read-only mount or not the service's.
gid=$(awk '$1 == "Gid:" { print $2 }' <<<"$status")
groups=$(awk '$1 == "Groups:" { $1 = ""; print }' <<<"$status" | xargs | tr ' ' ,)
as_service() { in_ct nsenter --target "$pid" --mount setpriv --reuid="$uid" --regid="$gid" --groups="$groups" "$@"; }
as_service find / \( -path /proc -o -path /sys \) -prune -o -type d -writable -print 2>/dev/null |
	sort >"$WORK/writable" || true
grep -q -x /var/lib/private/ikelogd "$WORK/writable" && grep -q -x /var/log/private/ikelogd "$WORK/writable" ||
	fail "the service cannot write its own directories: $(tr '\n' ' ' <"$WORK/writable")"
extra=$(grep -v -x -E '/dev/mqueue|/(var/)?tmp(/.*)?|/var/(lib|log)/private/ikelogd(/.*)?' "$WORK/writable" || true)
[ -z "$extra" ] || fail "the service's user can write outside its directories: $(tr "\n" " " <<<"$extra")"
as_service touch /etc/ikelogd/probe 2>/dev/null && fail "the service's user can write /etc/ikelogd"
ok "the service's user (uid $uid) can write only: $(tr '\n' ' ' <"$WORK/writable")"
# Even root cannot write the read-only mounts of the service's namespace.
for p in /etc/probe /usr/sbin/probe /var/log/probe /run/lock/probe /dev/shm/probe; do
	if in_ct nsenter --target "$pid" --mount touch "$p" 2>"$WORK/touch.err"; then
		fail "$p is writable in the service's mount namespace"
	fi
	grep -q 'Read-only file system' "$WORK/touch.err" || fail "touch $p: $(cat "$WORK/touch.err")"
	# Control: outside the service's namespace the same path is writable.
	in_ct touch "$p" && in_ct rm "$p" || fail "$p is not writable outside the service"
done
ok "sandbox: no capabilities, no new privileges, seccomp; /etc, /usr, /var/log, /run/lock, /dev/shm read-only in its namespace (EROFS even for root), writable outside"

# ---- control: under Type=simple, systemctl start returns before ikelogd is ready
in_ct systemctl stop ikelogd.service
printf '[Service]\nType=simple\n' >"$CT/etc/systemd/system/ikelogd.service.d/simple.conf"
in_ct systemctl daemon-reload
c=$(cursor)
in_ct systemctl start ikelogd.service
if ready_order "$c"; then
	fail "the readiness check passes for Type=simple too: $(cat "$WORK/start.log")"
fi
in_ct systemctl stop ikelogd.service
ok "control: with Type=simple the same check sees systemd's 'Started' before ikelogd's 'started:'"

# ---- nothing left behind
nspawn_stop
! findmnt -rn -o TARGET,SOURCE | grep -F -e "$NSPAWN_ROOTFS" -e "$NSPAWN_MACHINE" ||
	fail "mounts left behind (above)"
[ ! -e "/run/systemd/nspawn/propagate/$NSPAWN_MACHINE" ] || fail "nspawn's propagation directory is left"
[ ! -e "$NSPAWN_ROOTFS/var/log/pluto.log" ] || fail "the cached rootfs was written to"
ok "container stopped, no mount left, the cached rootfs untouched"
