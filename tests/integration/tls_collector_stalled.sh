#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The collector (rsyslog, OpenSSL driver) freezes (SIGSTOP) in the middle of
# a stream: its TCP stack stops acknowledging once its buffers are full.
# ikelogd notices within output.write_timeout_ms, drops the connection,
# keeps retrying (handshakes time out while it is frozen), and once the
# collector thaws (SIGCONT) delivers everything: 0 lost.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/rsyslog.sh"
source "$(dirname "$0")/lib/pki.sh"
[ -x "$IKELOGD" ] || fail "build/ikelogd is missing: run make"
need_cmd rsyslogd openssl python3 ss

N=${TLS_EVENTS:-50000}
pki_make "$WORK/pki" || fail "cannot make the test PKI"
tls_lines "$N" "$WORK/in.txt"
port=$(free_port)
rsyslog_setup s "$port" ossl "$WORK/pki"
rsyslog_start s
tls_config "$WORK/c.yaml" "$WORK/pki" "[{host: 127.0.0.1, port: $port}]" \
	"write_timeout_ms: 1500" "handshake_timeout_ms: 1000"
"$IKELOGD" run -c "$WORK/c.yaml" <"$WORK/in.txt" 2>"$WORK/ikelogd.err" &
pid=$!
track "$pid"
wait_count s $(( N / 5 )) 60 || fail "stream stalled ($(tail -n 3 "$WORK/ikelogd.err")) at $(rsyslog_count s) messages"
kill -STOP "$(cat "$(rsyslog_dir s)/pid")"
t0=$(date +%s%N)
_noticed() { grep -q 'stopped acknowledging' "$WORK/ikelogd.err"; }
wait_for 20 _noticed || fail "no write timeout while the collector is frozen: $(grep -v counters "$WORK/ikelogd.err" | tail -n 3)"
echo "figure: tls_stalled_noticed_after_ms $(( ($(date +%s%N) - t0) / 1000000 ))"
ok "$(grep -m1 -o 'write: timed out.*acknowledging' "$WORK/ikelogd.err")"
sleep 2
kill -0 "$pid" || fail "ikelogd exited while the collector was frozen"
kill -CONT "$(cat "$(rsyslog_dir s)/pid")"
wait "$pid" || fail "ikelogd exited with $?: $(tail -n 5 "$WORK/ikelogd.err")"
wait_count s "$N" 10 || true
rsyslog_stop s
r=$(tls_check "$N" "$(rsyslog_out s)")
echo "$r"
echo "figure: tls_stalled_lost $(val missing "$r")"
echo "figure: tls_stalled_duplicates $(val dup "$r")"
[ "$(val invalid "$r")" = 0 ] || fail "$(val invalid "$r") invalid messages"
[ "$(val missing "$r")" = 0 ] || fail "$(val missing "$r") events lost"
[ "$(val dup_eid_mismatch "$r")" = 0 ] || fail "duplicates with another event id"
ok "0 of $N events lost across a frozen collector; $(val dup "$r") duplicates, each with its original's event id"
