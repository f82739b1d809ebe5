#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# One sender cannot evict another gateway's IKE SAs (hostile finding 5):
# gw-b opens 100 IKE SAs, gw-a then sends 70,000 distinct serials (more
# than limits.max_ike_sas, 65,536), and gw-b's next line of each of its 100
# SAs still carries the SA's first ike_sa_id: gw-a, over its share
# (limits.max_ike_sas_per_host, a quarter of the table by default), evicts
# its own oldest SAs.
source "$(dirname "$0")/lib/common.sh"
need_cmd python3 ss
[ -x "$IKELOGD" ] || fail "build/ikelogd is missing: run make"

port=$(free_port)
out=$WORK/events.json
cat >"$WORK/ikelogd.yaml" <<EOF
source:
  type: syslog
  syslog:
    listen: [tcp://127.0.0.1:$port]
$(ikelogd_base_config)
output:
  type: file
  path: $out
EOF
"$IKELOGD" run -c "$WORK/ikelogd.yaml" 2>"$WORK/daemon.err" &
track $!
_listening() { ss -Hltn "sport = :$port" | grep -q .; }
wait_for 10 _listening || fail "ikelogd does not listen: $(tail -n 5 "$WORK/daemon.err")"

python3 - "$port" "$out" <<'PY' || fail "see above"
import json, socket, sys, time
port, out = int(sys.argv[1]), sys.argv[2]
def line(host, serial, conn):
    return ('<30>1 2026-11-23T20:25:58.000001Z %s pluto 4242 - - "%s" #%d: '
            'initiating IKEv2 connection to 192.1.2.23 using UDP\n' % (host, conn, serial)).encode()
def events():
    try:
        evs = [json.loads(l) for l in open(out, "rb")]
    except FileNotFoundError:
        return []
    return [e for e in evs if e.get("event_type") != "daemon_stats"]
def wait_for(n):
    end = time.time() + 120
    while time.time() < end:
        evs = events()
        if len(evs) >= n:
            return evs
        time.sleep(0.2)
    sys.exit("FAILED: %d events of %d" % (len(events()), n))
b = socket.create_connection(("127.0.0.1", port))
a = socket.create_connection(("127.0.0.1", port))
b.sendall(b"".join(line("gw-b", i, "road-b") for i in range(1, 101)))
first = {e["state_serial"]: e["ike_sa_id"] for e in wait_for(100)}
for k in range(0, 70000, 1000):
    a.sendall(b"".join(line("gw-a", 1000 + i, "road-a") for i in range(k, k + 1000)))
wait_for(70100)
b.sendall(b"".join(line("gw-b", i, "road-b") for i in range(1, 101)))
evs = wait_for(70200)[70100:]
again = {e["state_serial"]: e["ike_sa_id"] for e in evs if e["platform"]["host"] == "gw-b"}
kept = sum(1 for s in first if again.get(s) == first[s])
print("figure: host_share_gw_b_sas_kept %d" % kept)
if len(first) != 100 or len(again) != 100 or kept != 100:
    sys.exit("FAILED: %d of gw-b's 100 IKE SAs kept their ike_sa_id while gw-a sent 70,000 serials" % kept)
print("ok: all 100 of gw-b's IKE SAs kept their ike_sa_id while gw-a sent 70,000 serials")
PY
