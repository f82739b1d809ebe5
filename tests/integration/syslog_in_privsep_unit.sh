#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The syslog receiver child under the installed unit and a real systemd as
# PID 1 (the container of systemd_pid1.sh, lib/nspawn.sh): the unit's
# SystemCallFilter= lets the daemon exec the child and the child install
# its own seccomp filter. With source: syslog (tcp and udp on the
# container's loopback) the child runs with "Seccomp: 2" as the service's
# dynamic user; a line sent over TCP and one over UDP become events; a
# SIGKILL of the child is logged and counted (receiver_crashes) and a new
# child listens again while the unit stays active (no service restart);
# `systemctl reload` with a new listen address starts a new child on it;
# `systemctl stop` leaves no receiver behind.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/nspawn.sh"
nspawn_scenario
out=$CT/var/log/ikelogd/events.json

write_config() { # LISTEN (YAML flow list)
	cat >"$CT/etc/ikelogd/ikelogd.yaml" <<EOF
source:
  type: syslog
  syslog: {listen: $1, idle_timeout_s: 5}
state_file: /var/lib/ikelogd/position
rules: [/usr/share/ikelogd/rules/libreswan.yaml]
redact: {key_file: /var/lib/ikelogd/pseudonym.key, generate_key: true}
output: {type: file, path: /var/log/ikelogd/events.json}
stats: {interval_s: 0}
EOF
}
write_config '[tcp://127.0.0.1:1514, udp://127.0.0.1:1514]'
in_ct systemctl start ikelogd.service || fail "start failed: $(in_ct journalctl -q -u ikelogd -o cat | tail -n 5)"
main=$(in_ct systemctl show -p MainPID --value ikelogd.service)
child() { in_ct pgrep -P "$main" -f receiver-child || true; }
wait_for 5 eval '[ -n "$(child)" ]' || fail "no receiver child of $main: $(in_ct journalctl -q -u ikelogd -o cat | tail -n 5)"
kid=$(child)
in_ct grep -q '^Seccomp:[[:space:]]*2$' "/proc/$kid/status" || fail "child $kid: $(in_ct grep Seccomp "/proc/$kid/status")"
[ "$(in_ct stat -c %u "/proc/$kid")" = "$(in_ct stat -c %u "/proc/$main")" ] || fail "the child runs as another user"
ok "ikelogd.service (pid $main, uid $(in_ct stat -c %u "/proc/$main")) runs receiver child $kid with Seccomp: 2"

line() { printf '<86>1 2026-11-23T20:25:58Z gw-east pluto 42 - - "westeast" #%d: responder established IKE SA; authenticated peer using authby=secret and ID_FQDN '"'"'@west'"'"'\n' "$1"; }
send_tcp() { in_ct bash -c "printf '%s\\n' \"\$1\" >/dev/tcp/127.0.0.1/$2" _ "$(line "$1")" "${3:-1514}"; }
send_udp() { in_ct bash -c "printf '%s' \"\$1\" >/dev/udp/127.0.0.1/1514" _ "$(line "$1")"; }
has() { grep -q "\"state_serial\":$1[,}]" "$out" 2>/dev/null; }
send_tcp 1 1514
send_udp 2
wait_for 10 has 1 || fail "the TCP line did not arrive: $(in_ct journalctl -q -u ikelogd -o cat | tail -n 5)"
wait_for 10 has 2 || fail "the UDP line did not arrive"
ok "a line over TCP and one over UDP became events"

c=$(in_ct journalctl -q -n 0 --show-cursor | sed -n 's/^-- cursor: //p')
in_ct kill -KILL "$kid"
wait_for 5 eval 'k=$(child); [ -n "$k" ] && [ "$k" != "$kid" ]' || fail "no new child"
new=$(child)
in_ct grep -q '^Seccomp:[[:space:]]*2$' "/proc/$new/status" || fail "the new child is not confined"
[ "$(in_ct systemctl show -p MainPID --value ikelogd.service)" = "$main" ] || fail "the service restarted"
[ "$(in_ct systemctl is-active ikelogd.service)" = active ] || fail "the unit is not active"
logged() { in_ct journalctl -q -u ikelogd.service --after-cursor="$c" -o cat >"$WORK/log.txt"; grep -q -e "$1" "$WORK/log.txt"; }
wait_for 5 logged "receiver $kid killed by signal 9.*receiver_crashes" || fail "the crash is not logged: $(tail -n 3 "$WORK/log.txt")"
send_tcp 3 1514
wait_for 10 has 3 || fail "no line through the restarted child"
ok "child $kid killed: logged, counted, child $new (Seccomp: 2) took over in the same service (pid $main); its line arrived"

write_config '[tcp://127.0.0.1:1514, tcp://127.0.0.1:1515]'
in_ct systemctl reload ikelogd.service
wait_for 10 logged 'receiver restarted with the new listener options' || fail "no restart on reload: $(tail -n 3 "$WORK/log.txt")"
wait_for 10 eval 'k=$(child); [ -n "$k" ] && [ "$k" != "$new" ] && ! in_ct kill -0 "$new" 2>/dev/null' || fail "the old child still runs"
send_tcp 4 1515
wait_for 10 has 4 || fail "no line through the new listener"
ok "systemctl reload: child $(child) on the new listener tcp://127.0.0.1:1515, its line arrived"

in_ct systemctl stop ikelogd.service
[ -z "$(in_ct pgrep -f receiver-child || true)" ] || fail "a receiver child outlived the service"
ok "systemctl stop: no receiver left"
