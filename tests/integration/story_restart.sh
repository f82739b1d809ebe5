#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# An IKE SA open across a clean restart keeps its story: pluto's logfile
# has the SA's first lines (its peer's address and ID), ikelogd is stopped
# (SIGTERM: the correlation table is saved beside the position), the SA's
# later lines (a Child SA's traffic, the delete) come while it is down,
# and the next run still gives those events the peer's address and ID and
# emits exactly one ike_sa_summary for the SA, spanning both runs. A
# damaged table file is counted and ignored, never fatal.
source "$(dirname "$0")/lib/common.sh"
[ -x "$IKELOGD" ] || fail "build/ikelogd is missing: run make"
need_cmd python3

log=$WORK/pluto.log
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

start_ikelogd() { # $1 = output file
	sed -i "s|^  path: $WORK/out.*\$|  path: $1|" "$WORK/ikelogd.yaml"
	"$IKELOGD" run -c "$WORK/ikelogd.yaml" 2>"$1.err" &
	pid=$!
	track $pid
	wait_for 10 grep -q started "$1.err" || fail "ikelogd did not start: $(cat "$1.err")"
}
stop_ikelogd() {
	local rc=0
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	[ "$rc" = 0 ] || fail "ikelogd exited $rc on SIGTERM: $(tail -5 "$WORK"/out*.err)"
}
# Lines as pluto's logfile= has them (logtime), the time now.
say() {
	local t
	for l in "$@"; do
		t=$(date -u '+%b %e %H:%M:%S.%6N')
		printf '%s: %s\n' "$t" "$l" >>"$log"
	done
}
count() { grep -c "$2" "$1" 2>/dev/null || true; }

# From the lab's "delete" capture (west, the initiator): the IKE SA #13 is
# established with 192.0.2.2, ID @east, and its Child SA #14.
say '"delete" #13: initiating IKEv2 connection' \
	'"delete" #13: sent IKE_SA_INIT request to 192.0.2.2:500' \
	'"delete" #13: sent IKE_AUTH request {cipher=AES_GCM_16_256 integ=n/a prf=HMAC_SHA2_512 group=MODP2048}' \
	"\"delete\" #13: initiator established IKE SA; authenticated peer using authby=secret and ID_FQDN '@east'" \
	'"delete" #14: initiator established Child SA using #13; IPsec tunnel [198.51.100.0-198.51.100.255:0-65535 0] -> [203.0.113.0-203.0.113.255:0-65535 0] {ESP/ESN=>0xf6f2d43c <0xf0d3f5ec xfrm=AES_GCM_16_256-NONE DPD=passive}'
start_ikelogd "$WORK/out1.json"
wait_for 10 bash -c "[ \$(wc -l <'$WORK/out1.json') -ge 5 ]" || fail "run 1: $(wc -l <"$WORK/out1.json") of 5 events"
stop_ikelogd
[ -s "$WORK/position.sa" ] || fail "no correlation table saved beside the position at SIGTERM"
[ "$(count "$WORK/out1.json" '"ike_sa_summary"')" = 0 ] || fail "run 1 summarised the SA that is still open"
ok "SIGTERM: the open SA is saved (position.sa), not summarised"

sleep 0.2
say '"delete" #13: deleting state (STATE_V2_ESTABLISHED_IKE_SA) aged 0.314786s and sending notification' \
	'"delete" #14: ESP traffic information: in=84B out=168B'
start_ikelogd "$WORK/out2.json"
grep -q "1 SAs\|2 SAs" "$WORK/out2.json.err" || fail "run 2 did not carry the SAs on: $(cat "$WORK/out2.json.err")"
[ -e "$WORK/position.sa" ] && fail "the table file is still there after it was read"
wait_for 10 grep -q '"ike_sa_summary"' "$WORK/out2.json" || fail "run 2: no summary: $(cat "$WORK/out2.json")"
stop_ikelogd
python3 - "$WORK/out1.json" "$WORK/out2.json" <<'EOF' || fail "the SA's story did not survive the restart"
import json, sys
run1 = [json.loads(l) for l in open(sys.argv[1])]
run2 = [json.loads(l) for l in open(sys.argv[2])]
sa = {e["ike_sa_id"] for e in run1 if e.get("state_serial") == 13}
assert len(sa) == 1, sa
sa = sa.pop()
later = [e for e in run2 if e.get("event_type") != "ike_sa_summary" and e.get("ike_sa_id") == sa]
# the delete line and the traffic line: both of the SA, both say who the peer is
assert len(later) == 2, [e.get("event_type") for e in run2]
for e in later:
    assert "peer_ip" in e and "peer_id" in e, e
sums = [e for e in run1 + run2 if e.get("event_type") == "ike_sa_summary"]
assert len(sums) == 1, sums
s = sums[0]
assert s["ike_sa_id"] == sa and s["outcome"] == "established" and s["end_reason"] == "deleted", s
assert s["start_time"] == min(e["timestamp"] for e in run1 if e.get("ike_sa_id") == sa), s
assert s["child_sa_created"] == 1 and s["bytes_in"] == 84 and s["bytes_out"] == 168, s
assert "peer_ip" in s and "peer_id" in s, s
assert s["duration_s"] >= 0.2, s
print("figure: story_restart_duration_s %.3f" % s["duration_s"])
EOF
ok "after the restart the SA's events carry peer_ip and peer_id, and it has exactly one summary, spanning both runs"

# A damaged table file: counted, ignored, the daemon runs.
say '"delete" #15: initiating IKEv2 connection'
printf 'ikelogd-sa\nnot a table' >"$WORK/position.sa"
start_ikelogd "$WORK/out3.json"
grep -q "position.sa: .*ignored" "$WORK/out3.json.err" || fail "the damaged table file is not reported: $(cat "$WORK/out3.json.err")"
wait_for 10 grep -q '"state_serial":15' "$WORK/out3.json" || fail "run 3 delivered nothing"
stop_ikelogd
grep -q "state_corrupt=1" "$WORK/out3.json.err" || fail "state_corrupt not counted: $(tail -3 "$WORK/out3.json.err")"
ok "a damaged table file is counted (state_corrupt) and ignored"
