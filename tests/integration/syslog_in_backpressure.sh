#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Backpressure instead of loss: with the collector down, the syslog
# listener stops reading once limits.in_flight events wait, so the
# sender's TCP connection fills and blocks; ikelogd neither drops nor
# grows. When the collector comes up every line arrives, once.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/pki.sh"
source "$(dirname "$0")/lib/rsyslog.sh"
need_cmd rsyslogd openssl python3 ss
[ -x "$IKELOGD" ] || fail "build/ikelogd is missing: run make"

N=${N:-100000}
INFLIGHT=64
pki=$WORK/pki
pki_make "$pki" || fail "test PKI not made"
cport=$(free_port)
rsyslog_setup collector "$cport" ossl "$pki"
out=$(rsyslog_out collector)

lport=$(free_port)
prom=$WORK/ikelogd.prom
cat >"$WORK/ikelogd.yaml" <<EOF
source:
  type: syslog
  syslog:
    listen: [tcp://127.0.0.1:$lport]
$(ikelogd_base_config)
$(tls_output "$pki" "$cport")
  backoff_min_ms: 100
  backoff_max_ms: 500
limits:
  in_flight: $INFLIGHT
  # 100,000 distinct serials fill the correlation table, whose memory is
  # bounded by its own size (about 0.5 KiB an IKE SA); kept small here so
  # that VmHWM measures what backpressure buffers
  max_ike_sas: 4096
stats:
  interval_s: 1
  prometheus_file: $prom
EOF
"$IKELOGD" run -c "$WORK/ikelogd.yaml" 2>"$WORK/daemon.err" &
dpid=$!
track $dpid
wait_for 10 rsyslog_listening "$lport" || fail "ikelogd does not listen: $(tail -n 5 "$WORK/daemon.err")"
ok "ikelogd listens, collector down"

# The sender writes N lines with blocking sends and notes when it is done.
python3 - "$lport" "$N" "$WORK/sender.done" <<'EOF' &
import socket, sys, time
port, n, done = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
s = socket.create_connection(("127.0.0.1", port))
buf = bytearray()
for i in range(1, n + 1):
    buf += (b'<30>1 2026-11-23T20:25:58.%06dZ gw-bp pluto 77 - - "bp-%d" #%d: initiating IKEv2 connection to 192.1.2.23 using UDP\n'
            % (i % 1000000, i % 97, i))
s.sendall(buf)
open(done, "w").write("%f\n" % time.time())
s.close()
EOF
track $!

counter() { sed -n "s/^ikelogd_$1_total //p" "$prom" 2>/dev/null; }
# The daemon's and its receiver child's peak RSS, summed: either one may buffer.
hwm() {
	for p in $dpid $(pgrep -P "$dpid" -f receiver-child || true); do
		awk '/^VmHWM:/ {print $2}' "/proc/$p/status"
	done | awk '{s += $1} END {if (NR) print s}'
}
# The window fills: in_flight events wait, the lines ikelogd has read (and
# a daemon_stats event, when the stats timer fired before they came) ...
window_full() { [ "$(sed -n 's/^ikelogd_in_flight //p' "$prom" 2>/dev/null)" -ge "$INFLIGHT" ] 2>/dev/null; }
wait_for 30 window_full || fail "ikelogd read $(counter lines_read) lines, in flight $(sed -n 's/^ikelogd_in_flight //p' "$prom"), fewer than in_flight $INFLIGHT"
# ... the sender's bytes wait unread in ikelogd's receive queue ...
queued() { ss -Htn state established "( sport = :$lport )" | awk '$1 > 0 {f = 1} END {exit !f}'; }
wait_for 30 queued || fail "no bytes wait in ikelogd's receive queue: $(ss -tn "( sport = :$lport )")"
# ... and the counters written after that (two stats intervals) say what it did with them.
stats_lines() { grep -c 'stats: ' "$WORK/daemon.err"; }
n0=$(stats_lines)
later_stats() { [ "$(stats_lines)" -ge $((n0 + 2)) ]; }
wait_for 10 later_stats || fail "no stats written: $(tail -n 3 "$WORK/daemon.err")"
queued || fail "the receive queue emptied with the collector down"
[ ! -e "$WORK/sender.done" ] || fail "the sender could write all $N lines while the collector was down"
read_now=$(counter lines_read)
[ -n "$read_now" ] || fail "no lines_read counter"
[ "$read_now" -le $((INFLIGHT + 1)) ] || fail "ikelogd read $read_now lines with in_flight $INFLIGHT and no collector"
[ "$(counter input_dropped)" = 0 ] || fail "input dropped: $(counter input_dropped)"
hwm_down=$(hwm)
[ -n "$hwm_down" ] || fail "no VmHWM for pid $dpid"
ok "collector down: sender blocked, ikelogd read $read_now lines (in_flight $INFLIGHT), nothing dropped"
echo "figure: syslog_in_backpressure_vmhwm_kib $hwm_down"

rsyslog_start collector
t0=$(date +%s.%N)
arrived() { [ "$(grep '"bp-' "$out" 2>/dev/null | grep -vc ike_sa_summary)" -ge "$N" ]; }
wait_for 120 arrived || fail "only $(grep -c '"bp-' "$out" 2>/dev/null) of $N events reached the collector"
t1=$(date +%s.%N)
ok "collector up: all $N lines arrived"
echo "figure: syslog_in_backpressure_drain_events_per_s $(python3 -c "print(round($N / ($t1 - $t0)))")"
wait_for 10 test -e "$WORK/sender.done" || fail "the sender never finished"
python3 - "$out" "$N" <<'EOF' || fail "duplicates or gaps"
import json, sys
serials = []
for line in open(sys.argv[1], encoding="utf-8"):
    if '"bp-' in line:
        ev = json.loads(line[line.index("{"):])
        if ev["event_type"] != "ike_sa_summary":  # ikelogd's own: one per SA evicted
            serials.append(ev["state_serial"])
n = int(sys.argv[2])
if sorted(serials) != list(range(1, n + 1)):
    print("FAILED: %d events, %d distinct serials" % (len(serials), len(set(serials))), file=sys.stderr)
    sys.exit(1)
print("ok: serials 1..%d each exactly once, in order: %s" % (n, serials == sorted(serials)))
EOF
[ "$(counter input_dropped)" = 0 ] || fail "input dropped: $(counter input_dropped)"
hwm_end=$(hwm)
[ -n "$hwm_end" ] || fail "no VmHWM for pid $dpid"
[ $((hwm_end - hwm_down)) -lt 16384 ] || fail "VmHWM grew from $hwm_down to $hwm_end KiB"
ok "input_dropped 0; VmHWM $hwm_down -> $hwm_end KiB"
