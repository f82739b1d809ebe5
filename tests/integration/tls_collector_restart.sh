#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The collector (rsyslog, OpenSSL driver) is restarted with SIGTERM three
# times while 100,000 events stream to it: none is lost, and any event
# received twice carries its original's event id both times.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/rsyslog.sh"
source "$(dirname "$0")/lib/pki.sh"
[ -x "$IKELOGD" ] || fail "build/ikelogd is missing: run make"
need_cmd rsyslogd openssl python3 ss

N=${TLS_EVENTS:-100000}
tls_stream c "$N"

# Each restart starts a new output file segment: rsyslog appends, so the
# file holds everything; restarts happen at a quarter, half and three quarters.
during=0
for frac in 1 2 3; do
	wait_count c $(( N * frac / 4 )) 60 || fail "stream stalled ($(tail -n 3 "$WORK/ikelogd.err")) before restart $frac at $(rsyslog_count c) messages"
	# (rsyslog writes behind what it acknowledged: ikelogd may be done already)
	kill -0 "$pid" 2>/dev/null && during=$((during + 1))
	rsyslog_restart c
	echo "restart $frac at $(rsyslog_count c) messages"
done
echo "figure: tls_restart_restarts_while_sending $during"
[ "$during" -ge 1 ] || fail "every restart came after ikelogd had sent everything: use more events"
wait "$pid" || fail "ikelogd exited with $?: $(tail -n 5 "$WORK/ikelogd.err")"
wait_count c "$N" 10 || true
rsyslog_stop c
r=$(tls_check "$N" "$(rsyslog_out c)")
echo "$r"
grep -E 'connection lost|connect:' "$WORK/ikelogd.err" | head -n 6 || true
echo "figure: tls_restart_duplicates $(val dup "$r")"
echo "figure: tls_restart_lost $(val missing "$r")"
echo "figure: tls_restart_resent $(counter resent "$WORK/ikelogd.err")"
echo "figure: tls_restart_reconnects $(counter reconnects "$WORK/ikelogd.err")"
echo "figure: tls_restart_partial_frames_written_by_rsyslog $(val partial "$r")"
[ "$(val invalid "$r")" = 0 ] || fail "$(val invalid "$r") invalid messages"
[ "$(val missing "$r")" = 0 ] || fail "$(val missing "$r") events lost over three collector restarts"
ok "0 of $N events lost over three collector restarts"
[ "$(val dup_eid_mismatch "$r")" = 0 ] || fail "$(val dup_eid_mismatch "$r") duplicates with another event id"
ok "each of the $(val dup "$r") duplicates carries its original's event id"
# A restart after the last acknowledgement needs no reconnect: ikelogd may just stop.
[ "$(counter reconnects "$WORK/ikelogd.err")" -ge 1 ] || fail "no reconnect counted"
ok "$(counter reconnects "$WORK/ikelogd.err") reconnects counted for $during restarts while ikelogd ran"
