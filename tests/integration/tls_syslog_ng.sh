#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# syslog-ng as the collector, with conf/collector/syslog-ng-tls.conf:
# 20,000 events over mutual TLS arrive once each, in order, as valid RFC
# 5424 messages whose MSG is the event's JSON, and syslog-ng's json-parser
# finds their fields (event_id, event_type, result, conn_name,
# state_serial). A gateway certificate with another CN is refused by the
# config's trusted-dn: nothing of its events arrives.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/rsyslog.sh"
source "$(dirname "$0")/lib/syslog_ng.sh"
source "$(dirname "$0")/lib/pki.sh"
[ -x "$IKELOGD" ] || fail "build/ikelogd is missing: run make"
need_cmd openssl python3 ss
syslog_ng_get

N=20000
P=$WORK/pki
pki_make "$P" || fail "cannot make the test PKI"
pki_leaf "$P" intruder ca intruder.test "DNS:gateway.test" clientAuth
chmod 0644 "$P"/intruder.*
tls_lines "$N" "$WORK/in.txt"
port=$(free_port)
syslog_ng_setup "$port" "$P" gateway.test
syslog_ng_start
out=$SYSLOG_NG_DIR/out.log

tls_config "$WORK/ikelogd.yaml" "$P" "[{host: 127.0.0.1, port: $port}]"
"$IKELOGD" run -c "$WORK/ikelogd.yaml" <"$WORK/in.txt" 2>"$WORK/ikelogd.err" ||
	fail "ikelogd exited with $?: $(tail -n 5 "$WORK/ikelogd.err")"
[ "$(counter delivered "$WORK/ikelogd.err")" = "$N" ] ||
	fail "ikelogd counted $(counter delivered "$WORK/ikelogd.err") delivered, not $N"
_all_written() { [ -e "$out.fields" ] && [ "$(wc -l <"$out.fields")" -ge "$N" ]; }
wait_for 20 _all_written || true

r=$(tls_check "$N" "$out")
echo "syslog-ng: $r"
[ "$(val lines "$r")" = "$N" ] || fail "$(val lines "$r") messages received, $N sent"
[ "$(val invalid "$r")" = 0 ] && [ "$(val partial "$r")" = 0 ] ||
	fail "$(val invalid "$r") invalid and $(val partial "$r") partial messages"
[ "$(val missing "$r")" = 0 ] && [ "$(val dup "$r")" = 0 ] && [ "$(val out_of_order "$r")" = 0 ] ||
	fail "missing $(val missing "$r"), duplicated $(val dup "$r"), out of order $(val out_of_order "$r")"
ok "$N events, each a valid RFC 5424 message with a JSON MSG, in order, none twice"

python3 - "$N" "$out" <<'EOF' || fail "see above"
import json, sys
n, out = int(sys.argv[1]), sys.argv[2]
ids = {}
for line in open(out):
    ev = json.loads(line.split("] ", 1)[1])
    ids[ev["event_id"]] = ev
serials = []
for no, line in enumerate(open(out + ".fields"), 1):
    f = line.split()
    if len(f) != 5:
        sys.exit("FAILED: fields line %d: %r" % (no, line))
    eid, etype, result, conn, serial = f
    ev = ids.get(eid)
    if not ev or (etype, result, conn, int(serial)) != (ev["event_type"], ev["result"],
                                                        ev["conn_name"], ev["state_serial"]):
        sys.exit("FAILED: fields line %d %r do not match the event %r" % (no, line, ev))
    serials.append(int(serial))
if serials != list(range(1, n + 1)):
    sys.exit("FAILED: parsed serials are not 1..%d" % n)
print("ok: json-parser: event_id, event_type, result, conn_name and state_serial of all %d events" % n)
EOF

# A client certificate from the same CA with another CN: refused by trusted-dn.
# SIGTERM then waits limits.drain_timeout_ms for the undelivered events: 1 s here.
before=$(wc -l <"$out")
export TLS_DRAIN_MS=1000
tls_config "$WORK/intruder.yaml" "$P" "[{host: 127.0.0.1, port: $port}]" \
	"cert_file: $P/intruder.pem" "key_file: $P/intruder.key"
sed -i "s|^state_file: .*|state_file: $WORK/intruder.state|" "$WORK/intruder.yaml"
mkfifo "$WORK/intruder.fifo"
"$IKELOGD" run -c "$WORK/intruder.yaml" <"$WORK/intruder.fifo" 2>"$WORK/intruder.err" &
ipid=$!
track "$ipid"
exec {feed}>"$WORK/intruder.fifo"
head -n 20 "$WORK/in.txt" >&"$feed"
_refused() { grep -q "certificate\|handshake\|closed\|reset" "$WORK/intruder.err"; }
wait_for 10 _refused || fail "no refusal logged: $(tail -n 3 "$WORK/intruder.err")"
sleep 2
kill -TERM "$ipid"
wait "$ipid" || true
exec {feed}>&-
[ "$(wc -l <"$out")" = "$before" ] || fail "syslog-ng wrote events from a certificate trusted-dn refuses"
[ "$(counter delivered "$WORK/intruder.err")" = 0 ] || fail "ikelogd counted events delivered to a collector that refused it"
ok "a gateway certificate with CN=intruder.test is refused: $(grep -m1 -o 'certificate[^;]*\|handshake[^;]*' "$WORK/intruder.err" | head -n 1)"
syslog_ng_stop
