#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Status snapshots against a real pluto (tests/lab/, Debian's libreswan
# 4.10): one ikelogd follows the responder (east: its journal entries, and
# whack --showstates / --trafficstatus on its control socket every second).
#  1. A tunnel up (psk-ok): a snapshot lists it as tunnel_status, its byte
#     counts integers as the kernel reports them (the lab's XFRM shim
#     answers GETSA with an idle SA: 0), with the ike_sa_id the log's
#     child_sa_create of the same serial got.
#  2. east's pluto killed with SIGKILL (it logs nothing): the snapshots
#     fail while it is down (ike_error, phase status); once it is started
#     again (without the connection) the tunnel is gone from its snapshot:
#     exactly one tunnel_down, inferred: true, for that Child SA.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/schema.sh"
source "$(dirname "$0")/lib/journald.sh"
need_root "network namespaces, pluto"
need_cmd ip python3 journalctl
[ -x /usr/libexec/ipsec/pluto ] || skip "libreswan's pluto is not installed"
[ -x /usr/libexec/ipsec/whack ] || skip "libreswan's whack is not installed"
[ -x "$IKELOGD" ] || fail "build/ikelogd is missing: run make"
[ -e "$ROOT/build/lab/xfrm_ok.so" ] || fail "build/lab/xfrm_ok.so is missing: run make lab-libs"
ip netns add "ikelogd-probe-$$" 2>/dev/null || skip "cannot create network namespaces here"
xfrm=0
ip netns exec "ikelogd-probe-$$" ip xfrm state list >/dev/null 2>&1 || xfrm=1
ip netns del "ikelogd-probe-$$"
[ $xfrm = 0 ] || skip "no XFRM inside a network namespace here"
journald_ensure

source "$ROOT/tests/lab/lab.sh"
LAB_DIR=$WORK/lab
mkdir -p "$LAB_DIR"
trap 'lab_down; cleanup_common; journald_cleanup' EXIT

lab_up || fail "the lab did not come up"
ok "two plutos up (east pid $LAB_PID_EAST)"

cat >"$WORK/east.yaml" <<EOF
source:
  type: journal
  journal: {match: [_PID=$LAB_PID_EAST], start: tail}
output: {type: stdout}
stats: {interval_s: 0}
status:
  enabled: true
  whack: /usr/libexec/ipsec/whack
  ctlsocket: $LAB_DIR/east/run/pluto.ctl
  interval_s: 1
  timeout_ms: 3000
$(ikelogd_base_config)
EOF
sed -i "s|^rules: .*|rules: [$ROOT/conf/rules/libreswan.yaml, $ROOT/conf/rules/libreswan-inventory.yaml]|" "$WORK/east.yaml"
EVENTS=$WORK/events.jsonl
"$IKELOGD" run -c "$WORK/east.yaml" >"$EVENTS" 2>"$WORK/east.err" &
IKELOGD_PID=$!
track $IKELOGD_PID
wait_for 10 grep -q 'started' "$WORK/east.err" || fail "ikelogd did not start: $(tail -n 5 "$WORK/east.err")"

# query EXPR: python over the events seen so far (ev: the list), prints the result
query() {
	python3 - "$EVENTS" "$1" <<'PY'
import json, sys
ev = []
for line in open(sys.argv[1]):
    try:
        ev.append(json.loads(line))
    except ValueError:
        pass  # a line being written
print(eval(sys.argv[2]))
PY
}
tunnel_listed() {
	[ "$(query 'sum(1 for e in ev if e["event_type"] == "tunnel_status" and e.get("conn_name") == "psk-ok")')" -gt 0 ]
}

LAB_BEGIN_US=$(date +%s%6N)
lab_add psk-ok || fail "addconn psk-ok"
lab_scn_psk-ok || fail "psk-ok did not establish"
wait_for 10 tunnel_listed || fail "no snapshot listed the psk-ok tunnel: $(tail -n 5 "$WORK/east.err")"
t=$(query 'json.dumps([e for e in ev if e["event_type"] == "tunnel_status" and e.get("conn_name") == "psk-ok"][0])')
echo "tunnel_status: $t"
python3 - "$t" <<'PY' || fail "the tunnel_status lacks a field"
import json, sys
e = json.loads(sys.argv[1])
for k in ("state_serial", "parent_serial", "bytes_in", "bytes_out", "established_s"):
    assert isinstance(e.get(k), int), k
assert e["bytes_in"] == 0 and e["bytes_out"] == 0, "the shim's idle SA has no bytes"
assert e["child"]["protocol"] == "ESP"
assert e["peer_ip"] == "192.0.2.1"
assert e["peer_id"].startswith("h1:")  # redacted as every ID
assert e.get("ike_sa_id")
PY
ok "a snapshot lists the tunnel: serial, parent serial, integer byte counts (0: the shim's idle SA), redacted peer ID"
serial=$(query '[e for e in ev if e["event_type"] == "tunnel_status" and e.get("conn_name") == "psk-ok"][0]["state_serial"]')
log_id=$(query "[e.get('ike_sa_id') for e in ev if e['event_type'] == 'child_sa_create' and e.get('state_serial') == $serial]")
st_id=$(query "sorted({e.get('ike_sa_id') for e in ev if e['event_type'] in ('tunnel_status', 'sa_status') and e.get('conn_name') == 'psk-ok' and e.get('state_serial') == $serial})")
echo "child_sa_create #$serial ike_sa_id $log_id; snapshot events of #$serial: $st_id"
[ "$log_id" != "[]" ] || fail "no child_sa_create event for #$serial from the log"
python3 -c 'import ast, sys; a = ast.literal_eval(sys.argv[1]); b = ast.literal_eval(sys.argv[2]); sys.exit(0 if len(b) == 1 and b[0] in a else 1)' "$log_id" "$st_id" ||
	fail "the snapshot's ike_sa_id differs from the log's"
ok "the snapshot's events carry the ike_sa_id of the log's events of the same SA"
ups=$(query 'sum(1 for e in ev if e["event_type"] == "tunnel_up" and e.get("conn_name") == "psk-ok")')
echo "figure: status_lab_inferred_up $ups (0 unless a snapshot ran before the log line was read)"

# The tunnel goes without a log line: east's pluto killed, then started again.
kill -9 "$LAB_PID_EAST"
wait "$LAB_PID_EAST" 2>/dev/null || true
failures() { query 'sum(1 for e in ev if e["event_type"] == "ike_error" and e.get("phase") == "status")'; }
failed_once() { [ "$(failures)" -gt 0 ]; }
wait_for 10 failed_once ||
	fail "no ike_error while pluto was down: $(query 'ev[-3:]') $(tail -n 3 "$WORK/east.err")"
query '[e["reason"] for e in ev if e["event_type"] == "ike_error" and e.get("phase") == "status"][0]'
ok "while pluto is down each snapshot is an ike_error with phase status"
rm -f "$LAB_DIR/east/run/pluto.pid" "$LAB_DIR/east/run/pluto.ctl"
lab_start_pluto east || fail "east's pluto did not start again"
n_fail=$(failures)
downs() { query 'sum(1 for e in ev if e["event_type"] == "tunnel_down")'; }
down_once() { [ "$(downs)" -gt 0 ]; }
wait_for 15 down_once || fail "no tunnel_down after the tunnel vanished"
sleep 3 # three more snapshots: the change must not be inferred again
d=$(query 'json.dumps([e for e in ev if e["event_type"] == "tunnel_down"])')
echo "tunnel_down: $d"
python3 - "$d" "$serial" <<'PY' || fail "not exactly one inferred tunnel_down for #$serial"
import json, sys
d = json.loads(sys.argv[1])
assert len(d) == 1, len(d)
e = d[0]
assert e["inferred"] is True
assert e["conn_name"] == "psk-ok" and e["state_serial"] == int(sys.argv[2])
PY
ok "exactly one tunnel_down (inferred: true) for psk-ok #$serial after pluto was killed with SIGKILL"
kill -TERM $IKELOGD_PID
wait $IKELOGD_PID || fail "ikelogd exited $? on SIGTERM"
grep -o 'status_[a-z_]*=[0-9]*' "$WORK/east.err" | tr '\n' ' '
echo
echo "figure: status_lab_failed_snapshots $n_fail"
cat "$WORK"/*.jsonl >"$WORK/all.events"
rc=0
types=$(schema_check "$WORK/all.events") || rc=$?
[ $rc = 2 ] && echo "note: python3-jsonschema missing, the events are not checked against the schema"
[ $rc = 0 ] || [ $rc = 2 ] || fail "an event does not validate: $types"
[ $rc = 2 ] || ok "every event validates against the schema ($types)"
