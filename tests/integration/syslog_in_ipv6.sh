#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The syslog listener on IPv6 loopback: tcp://[::1]:P and udp://[::1]:Q.
# 200 messages over TCP (newline-framed and octet-counted, alternately)
# and 100 datagrams arrive as 300 events, each once, with the sender's
# HOSTNAME as platform.host; a TCP sender on IPv4 loopback is refused
# (nothing listens there).
source "$(dirname "$0")/lib/common.sh"
need_cmd python3 ss
[ -x "$IKELOGD" ] || fail "build/ikelogd is missing: run make"
python3 -c 'import socket; s = socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null ||
	skip "no IPv6 loopback (::1) here"

tport=$(free_port)
uport=$(free_port)
out=$WORK/events.json
cat >"$WORK/ikelogd.yaml" <<EOF
source:
  type: syslog
  syslog:
    listen: ["tcp://[::1]:$tport", "udp://[::1]:$uport"]
$(ikelogd_base_config)
output:
  type: file
  path: $out
EOF
"$IKELOGD" run -c "$WORK/ikelogd.yaml" 2>"$WORK/daemon.err" &
dpid=$!
track $dpid
listening() { ss -Hltn "sport = :$tport" | grep -q '\[::1\]'; }
wait_for 10 listening || fail "ikelogd does not listen on [::1]:$tport: $(tail -n 5 "$WORK/daemon.err")"
ok "ikelogd listens on [::1]"

python3 - "$tport" "$uport" "$out" <<'EOF' || fail "see above"
import json, socket, sys, time
tport, uport, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]

def fail(what):
    print("FAILED:", what, file=sys.stderr)
    sys.exit(1)

def msg(serial, host):
    return ('<30>1 2026-11-23T20:25:58.%06dZ %s pluto 4242 - - "v6-%d" #%d: initiating IKEv2 '
            'connection to 192.1.2.23 using UDP' % (serial, host, serial, serial)).encode()

t = socket.create_connection(("::1", tport))
for i in range(200):
    m = msg(i, "gw-tcp6")
    t.sendall(m + b"\n" if i % 2 else b"%d %s" % (len(m), m))
t.close()
u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
for i in range(200, 300):
    u.sendto(msg(i, "gw-udp6"), ("::1", uport))
    time.sleep(0.001)  # loopback datagrams: give the reader a chance, none may be lost here
u.close()
try:
    socket.create_connection(("127.0.0.1", tport), timeout=2).close()
    fail("a connection to 127.0.0.1:%d was accepted; only [::1] was configured" % tport)
except OSError:
    pass

def events():
    try:
        with open(out) as f:
            return [e for e in map(json.loads, f) if e.get("event_type") != "daemon_stats"]
    except FileNotFoundError:
        return []

end = time.time() + 10
while time.time() < end and len(events()) < 300:
    time.sleep(0.1)
evs = events()
names = sorted(int(e["conn_name"][3:]) for e in evs if e.get("conn_name", "").startswith("v6-"))
if names != list(range(300)):
    missing = sorted(set(range(300)) - set(names))
    fail("%d events for 300 messages; missing %s, duplicated %d"
         % (len(names), missing[:10], len(names) - len(set(names))))
hosts = {e["conn_name"]: e.get("platform", {}).get("host") for e in evs}
wrong = [c for c, h in hosts.items() if h != ("gw-tcp6" if int(c[3:]) < 200 else "gw-udp6")]
if wrong:
    fail("platform.host wrong for %s" % wrong[:5])
bad_type = [e for e in evs if e.get("event_type") != "ike_init"]
if bad_type:
    fail("event types %s" % sorted({e.get("event_type") for e in bad_type}))
print("ok: 300 messages over tcp and udp on [::1]: 300 ike_init events, each once, "
      "with the sender's hostname")
print("ok: nothing accepted on 127.0.0.1:%d" % tport)
EOF
