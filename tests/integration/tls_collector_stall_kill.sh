#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Plain TLS (syslog-tls) to rsyslog: a collector that completes the
# handshake, stops reading (SIGSTOP) for 20 s and is then killed (kill
# -KILL) and replaced, during a stream of 3,000 events. Its kernel had
# acknowledged what sat unread in its receive queue when it stopped; the
# sink keeps every frame the peer's receive window could still hold unread
# for a resend, so none is lost; what it could not keep would be counted
# in possibly_lost. (relp_delivery.sh runs the same stall over RELP.)
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/rsyslog.sh"
source "$(dirname "$0")/lib/pki.sh"
[ -x "$IKELOGD" ] || fail "build/ikelogd is missing: run make"
need_cmd rsyslogd openssl python3 ss

N=3000
pki_make "$WORK/pki" || fail "cannot make the test PKI"
tls_lines "$N" "$WORK/in.txt"
port=$(free_port)
rsyslog_setup s "$port" ossl "$WORK/pki"
rsyslog_start s
# The default write_timeout_ms (30 s) outlasts the stall: the connection
# breaks only when the collector is killed, 20 s after its last read.
tls_config "$WORK/c.yaml" "$WORK/pki" "[{host: 127.0.0.1, port: $port}]"
# 3,000 lines over about 15 s, so that the stall falls in the middle.
python3 -c '
import sys, time
for line in open(sys.argv[1]):
    sys.stdout.write(line)
    sys.stdout.flush()
    time.sleep(0.005)
' "$WORK/in.txt" | "$IKELOGD" run -c "$WORK/c.yaml" 2>"$WORK/ikelogd.err" &
pid=$!
track "$pid"
wait_count s 600 60 || fail "the stream did not start: $(tail -n 3 "$WORK/ikelogd.err")"
rsyslog_stall_kill s 20
wait "$pid" || fail "ikelogd exited with $?: $(tail -n 5 "$WORK/ikelogd.err")"
wait_count s "$N" 10 || echo "the collector stays at $(rsyslog_count s) lines"
rsyslog_stop s
r=$(tls_check "$N" "$(rsyslog_out s)")
echo "$r"
grep -E 'collector .*(failed|lost|possibly)' "$WORK/ikelogd.err" | head -n 5 || true
echo "figure: tls_stall_kill_lost $(val missing "$r")"
echo "figure: tls_stall_kill_duplicates $(val dup "$r")"
echo "figure: tls_stall_kill_resent $(counter resent "$WORK/ikelogd.err")"
echo "figure: tls_stall_kill_possibly_lost $(counter possibly_lost "$WORK/ikelogd.err")"
[ "$(val invalid "$r")" = 0 ] || fail "$(val invalid "$r") invalid lines"
[ "$(val dup_eid_mismatch "$r")" = 0 ] || fail "duplicates with another event id"
[ "$(val missing "$r")" = 0 ] || fail "$(val missing "$r") of $N events lost to a stalled, killed collector (possibly_lost=$(counter possibly_lost "$WORK/ikelogd.err"))"
ok "0 of $N events lost to a collector stalled 20 s, killed and replaced; $(val dup "$r") duplicates"
[ "$(counter possibly_lost "$WORK/ikelogd.err")" = 0 ] || fail "possibly_lost is $(counter possibly_lost "$WORK/ikelogd.err") although nothing was lost"
ok "possibly_lost 0"
