#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A server that accepts TCP connections and never says a word: every TLS
# handshake times out after output.handshake_timeout_ms, is counted and
# retried, the event loop never hangs, and ikelogd answers SIGTERM at once.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/rsyslog.sh"
source "$(dirname "$0")/lib/pki.sh"
[ -x "$IKELOGD" ] || fail "build/ikelogd is missing: run make"
need_cmd openssl python3 ss

pki_make "$WORK/pki" || fail "cannot make the test PKI"
tls_lines 20 "$WORK/in.txt"
port=$(free_port)
python3 - "$port" >"$WORK/silent.out" 2>&1 <<'PY' &
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(64)
held = []
while True:
    c, _ = s.accept()
    held.append(c)  # accepted, never read, never answered
    print("accepted", len(held), flush=True)
PY
track $!
wait_for 10 rsyslog_listening "$port" || fail "the silent server did not start"

export TLS_DRAIN_MS=1000
tls_config "$WORK/c.yaml" "$WORK/pki" "[{host: 127.0.0.1, port: $port}]" "handshake_timeout_ms: 500"
mkfifo "$WORK/in.fifo"
"$IKELOGD" run -c "$WORK/c.yaml" <"$WORK/in.fifo" 2>"$WORK/ikelogd.err" &
pid=$!
track "$pid"
exec {feed}>"$WORK/in.fifo"
cat "$WORK/in.txt" >&"$feed" || fail "ikelogd did not read its input: $(tail -n 3 "$WORK/ikelogd.err")"
start=$(date +%s%N)
_three() { [ "$(grep -c 'TLS handshake: timed out' "$WORK/ikelogd.err")" -ge 3 ]; }
wait_for 15 _three || fail "no three handshake timeouts: $(grep -v counters "$WORK/ikelogd.err" | tail -n 3)"
took=$(( ($(date +%s%N) - start) / 1000000 ))
grep -m1 'TLS handshake: timed out' "$WORK/ikelogd.err"
ok "handshake timed out and was retried three times in $took ms"
[ "$(grep -c accepted "$WORK/silent.out")" -ge 3 ] || fail "the server saw fewer than 3 connections"
ok "each retry is a new connection ($(grep -c accepted "$WORK/silent.out") accepted)"
kill -0 "$pid" || fail "ikelogd exited"
t0=$(date +%s%N)
kill -TERM "$pid"
# SIGTERM with events undelivered is still a clean stop: 0 (a crash is not).
wait "$pid" && rc=0 || rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
exec {feed}>&-
echo "figure: tls_handshake_timeout_sigterm_ms $ms"
[ "$ms" -lt 3000 ] || fail "SIGTERM took $ms ms"
[ "$rc" = 0 ] || fail "exit status $rc after SIGTERM: $(grep -v counters "$WORK/ikelogd.err" | tail -n 3)"
ok "SIGTERM answered in $ms ms (drain_timeout_ms 1000)"
[ "$(counter handshake_failures "$WORK/ikelogd.err")" -ge 3 ] || fail "handshake_failures not counted"
[ "$(counter delivered "$WORK/ikelogd.err")" = 0 ] || fail "events counted delivered"
ok "handshake_failures=$(counter handshake_failures "$WORK/ikelogd.err"), delivered=0"
