#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Two collectors in order, A then B (rsyslog, OpenSSL driver). A is down at
# start: events go to B. A comes back: ikelogd probes it every
# failback_interval_s (1 here) and fails back. A goes away: events go to B
# again. Every event arrives, each where it should. B is named "localhost":
# a host name, resolved without blocking the loop.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/rsyslog.sh"
source "$(dirname "$0")/lib/pki.sh"
[ -x "$IKELOGD" ] || fail "build/ikelogd is missing: run make"
need_cmd rsyslogd openssl python3 ss

pki_make "$WORK/pki" || fail "cannot make the test PKI"
tls_lines 3000 "$WORK/in.txt"
pa=$(free_port)
pb=$(free_port)
rsyslog_setup a "$pa" ossl "$WORK/pki"
rsyslog_setup b "$pb" ossl "$WORK/pki"
rsyslog_start b
export TLS_DRAIN_MS=10000
tls_config "$WORK/c.yaml" "$WORK/pki" "[{host: 127.0.0.1, port: $pa}, {host: localhost, port: $pb}]" \
	"failback_interval_s: 1" "server_name: collector.test"
mkfifo "$WORK/in.fifo"
"$IKELOGD" run -c "$WORK/c.yaml" <"$WORK/in.fifo" 2>"$WORK/ikelogd.err" &
pid=$!
track "$pid"
exec {feed}>"$WORK/in.fifo"

sed -n 1,1000p "$WORK/in.txt" >&"$feed" || fail "ikelogd did not read its input: $(tail -n 3 "$WORK/ikelogd.err")"
wait_count b 1000 10 || fail "B has $(rsyslog_count b) of the first 1000 with A down: $(grep -v counters "$WORK/ikelogd.err" | tail -n 3)"
ok "A down: the first 1000 events went to B"

rsyslog_start a
_back() { grep -q "127.0.0.1:$pa: back, failing back" "$WORK/ikelogd.err"; }
wait_for 10 _back || fail "no failback to A within 10 s: $(grep -v counters "$WORK/ikelogd.err" | tail -n 3)"
ok "A back: ikelogd failed back to it"
sed -n 1001,2000p "$WORK/in.txt" >&"$feed" || fail "ikelogd did not read its input: $(tail -n 3 "$WORK/ikelogd.err")"
wait_count a 1000 10 || fail "A has $(rsyslog_count a) of events 1001..2000 after failback"
ok "events 1001..2000 went to A"

rsyslog_stop a
b_before=$(rsyslog_count b)
sed -n 2001,3000p "$WORK/in.txt" >&"$feed" || fail "ikelogd did not read its input: $(tail -n 3 "$WORK/ikelogd.err")"
wait_count b $(( b_before + 1000 )) 15 || fail "B has $(( $(rsyslog_count b) - b_before )) of events 2001..3000 with A gone"
ok "A gone again: events 2001..3000 went to B"
exec {feed}>&-
wait "$pid" || fail "ikelogd exited with $?"
rsyslog_stop b
r=$(tls_check 3000 "$(rsyslog_out a)" "$(rsyslog_out b)")
echo "$r"
[ "$(val invalid "$r")" = 0 ] || fail "invalid messages"
[ "$(val missing "$r")" = 0 ] || fail "$(val missing "$r") events lost over failover and failback"
ok "0 of 3000 events lost over failover, failback and failover"
# Where each range went: the first 1000 to B, 1001..2000 to A.
python3 - "$(rsyslog_out a)" "$(rsyslog_out b)" <<'PY' || fail "events went to the wrong collector"
import json, re, sys
def serials(p):
    return {json.loads(re.search(r'\] (\{.*)$', l).group(1))["state_serial"] for l in open(p) if "] {" in l}
a, b = serials(sys.argv[1]), serials(sys.argv[2])
assert all(i in b for i in range(1, 1001)), "1..1000 not all at B"
assert all(i in a for i in range(1001, 2001)), "1001..2000 not all at A"
assert all(i in b for i in range(2001, 3001)), "2001..3000 not all at B"
PY
ok "each range arrived at the collector that was first in order and up"
