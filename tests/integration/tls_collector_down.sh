#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The collector (rsyslog, OpenSSL driver) goes away for 60 seconds in the
# middle of a stream and comes back: ikelogd keeps retrying with backoff,
# keeps running, and delivers every event once it is back (0 lost).
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/rsyslog.sh"
source "$(dirname "$0")/lib/pki.sh"
[ -x "$IKELOGD" ] || fail "build/ikelogd is missing: run make"
need_cmd rsyslogd openssl python3 ss

N=${TLS_EVENTS:-20000}
DOWN=${TLS_DOWN_S:-60}
tls_stream d "$N" "backoff_min_ms: 100" "backoff_max_ms: 5000"

wait_count d $(( N / 4 )) 60 || fail "stream stalled ($(tail -n 3 "$WORK/ikelogd.err")) at $(rsyslog_count d) messages"
rsyslog_stop d TERM
before=$(rsyslog_count d)
echo "collector down at $before messages, for $DOWN s"
sleep "$DOWN"
kill -0 "$pid" 2>/dev/null || fail "ikelogd exited while the collector was down: $(tail -n 5 "$WORK/ikelogd.err")"
ok "ikelogd kept running through $DOWN s without a collector"
attempts=$(grep -c 'connect: Connection refused' "$WORK/ikelogd.err" || true)
echo "figure: tls_down_connect_attempts $attempts"
[ "$attempts" -ge 5 ] || fail "only $attempts reconnect attempts in $DOWN s"
[ "$attempts" -le $(( DOWN * 20 )) ] || fail "$attempts reconnect attempts in $DOWN s: no backoff"
ok "$attempts reconnect attempts in $DOWN s (backoff up to 5 s)"
back=$(date +%s%N)
rsyslog_start d
wait "$pid" || fail "ikelogd exited with $?: $(tail -n 5 "$WORK/ikelogd.err")"
done_ns=$(date +%s%N)
wait_count d "$N" 10 || true
rsyslog_stop d
r=$(tls_check "$N" "$(rsyslog_out d)")
echo "$r"
echo "figure: tls_down_lost $(val missing "$r")"
echo "figure: tls_down_duplicates $(val dup "$r")"
echo "figure: tls_down_catch_up_ms $(( (done_ns - back) / 1000000 ))"
echo "figure: tls_down_partial_frames_written_by_rsyslog $(val partial "$r")"
[ "$(val invalid "$r")" = 0 ] || fail "$(val invalid "$r") invalid messages"
[ "$(val missing "$r")" = 0 ] || fail "$(val missing "$r") events lost over a $DOWN s outage"
ok "0 of $N events lost over a $DOWN s collector outage"
[ "$(val dup_eid_mismatch "$r")" = 0 ] || fail "duplicates with another event id"
ok "each of the $(val dup "$r") duplicates carries its original's event id"
