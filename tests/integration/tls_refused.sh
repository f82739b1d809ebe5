#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Security fails closed. Each case either stops ikelogd at start with a
# clear error, or makes every TLS handshake fail with a clear error and a
# handshake_failures count, while nothing reaches the collector and
# nothing is ever sent in clear text:
#   untrusted CA, wrong server name (IP and DNS), expired certificate,
#   a server offering only TLS 1.1 (or only 1.2 when tls_min_version is
#   "1.3"), a server demanding a client certificate
#   when none is configured, a pinned fingerprint that does not match;
#   at start: no CA, an unreadable client certificate.
# The collector is rsyslog with its OpenSSL driver (openssl s_server for TLS 1.1).
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/rsyslog.sh"
source "$(dirname "$0")/lib/pki.sh"
[ -x "$IKELOGD" ] || fail "build/ikelogd is missing: run make"
need_cmd rsyslogd openssl python3 ss

pki_make "$WORK/pki" || fail "cannot make the test PKI"
P=$WORK/pki
# SIGTERM waits limits.drain_timeout_ms for undelivered events: keep it short here.
export TLS_DRAIN_MS=1000
tls_lines 20 "$WORK/in.txt"

# run_refused NAME PORT EXPECT(ERE) OUTFILE [output keys...]: runs ikelogd against
# PORT until EXPECT shows in its log, then stops it with SIGTERM.
run_refused() {
	local name=$1 port=$2 expect=$3 out=$4 pid t0 t1
	shift 4
	tls_config "$WORK/$name.yaml" "$P" "[{host: 127.0.0.1, port: $port}]" "$@"
	# stdin stays open (a FIFO held by this shell), so only SIGTERM ends ikelogd
	mkfifo "$WORK/$name.fifo"
	"$IKELOGD" run -c "$WORK/$name.yaml" <"$WORK/$name.fifo" 2>"$WORK/$name.err" &
	pid=$!
	track "$pid"
	exec {feed}>"$WORK/$name.fifo"
	cat "$WORK/in.txt" >&"$feed" || fail "$name: ikelogd did not read its input: $(tail -n 3 "$WORK/$name.err")"
	wait_for 10 grep -Eq "$expect" "$WORK/$name.err" ||
		fail "$name: no error matching /$expect/: $(grep -v counters "$WORK/$name.err" | tail -n 3)"
	# it keeps retrying after backoff, and fails the same way: three attempts, still running
	_thrice() { [ "$(grep -Ec "$expect" "$WORK/$name.err")" -ge 3 ]; }
	wait_for 10 _thrice || fail "$name: fewer than three attempts: $(grep -v counters "$WORK/$name.err" | tail -n 3)"
	kill -0 "$pid" || fail "$name: ikelogd exited on its own"
	t0=$(date +%s%N)
	kill -TERM "$pid"
	# SIGTERM with events undelivered is still a clean stop: 0 (a crash is not).
	wait "$pid" && rc=0 || rc=$?
	t1=$(date +%s%N)
	exec {feed}>&-
	[ $(( (t1 - t0) / 1000000 )) -lt 5000 ] || fail "$name: SIGTERM took $(( (t1 - t0) / 1000000 )) ms"
	[ "$rc" = 0 ] || fail "$name: exit status $rc after SIGTERM: $(grep -v counters "$WORK/$name.err" | tail -n 3)"
	echo "$name: $(grep -Em1 "$expect" "$WORK/$name.err")"
	[ "$(counter handshake_failures "$WORK/$name.err")" -ge 3 ] || fail "$name: handshake_failures not counted"
	[ "$(counter delivered "$WORK/$name.err")" = 0 ] || fail "$name: events counted delivered"
	if [ -s "$out" ] && grep -q 'westeast\|ikelogd' "$out"; then
		fail "$name: the collector received event data"
	fi
	ok "$name: refused ($(grep -Eom1 "$expect" "$WORK/$name.err")), retried, nothing received"
}

# rsyslog_case NAME SERVERCERT EXPECT [output keys...]
rsyslog_case() {
	local name=$1 cert=$2 expect=$3 port
	shift 3
	port=$(free_port)
	rsyslog_setup "$name" "$port" ossl "$P" "$cert"
	rsyslog_start "$name"
	run_refused "$name" "$port" "$expect" "$(rsyslog_out "$name")" "$@"
	rsyslog_stop "$name"
}

rsyslog_case untrusted_ca other-server "certificate verify failed: unable to get local issuer certificate"
rsyslog_case wrong_ip wrongname "certificate verify failed: IP address mismatch"
rsyslog_case wrong_dns wrongname "certificate verify failed: hostname mismatch" "server_name: collector.test"
rsyslog_case expired expired "certificate verify failed: certificate has expired"
rsyslog_case no_client_cert server "TLS session refused: .*did not accept this client" 'cert_file: ""' 'key_file: ""'
rsyslog_case pin_mismatch server "does not match output.pin_sha256" "pin_sha256: \"$(pki_sha256 "$P/other-server.pem")\""

# s_server_start NAME ARGS...: openssl s_server on a free port (in $port).
# s_server ends when its stdin does: give it a FIFO this shell holds open.
s_server_start() {
	local name=$1 fd
	shift
	port=$(free_port)
	mkfifo "$WORK/$name.in"
	openssl s_server -accept "127.0.0.1:$port" "$@" -cert "$P/server.pem" -key "$P/server.key" \
		>"$WORK/$name.out" 2>&1 <"$WORK/$name.in" &
	track $!
	exec {fd}>"$WORK/$name.in"
	wait_for 10 rsyslog_listening "$port" || fail "openssl s_server did not start: $(cat "$WORK/$name.out")"
}

# A server that speaks TLS 1.1 only. OpenSSL 3 allows it only at security level 0.
s_server_start tls11 -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0'
run_refused tls11_only "$port" "TLS handshake failed: no common TLS version" "$WORK/tls11.out"
# A TLS 1.2 server when output.tls_min_version is "1.3".
s_server_start tls12 -tls1_2
run_refused tls12_below_min "$port" "TLS handshake failed: no common TLS version" \
	"$WORK/tls12.out" 'tls_min_version: "1.3"'

# And the positive control: the right pin is accepted.
port=$(free_port)
rsyslog_setup pin_ok "$port" ossl "$P" server
rsyslog_start pin_ok
tls_config "$WORK/pin_ok.yaml" "$P" "[{host: 127.0.0.1, port: $port}]" "pin_sha256: \"$(pki_sha256 "$P/server.pem")\""
"$IKELOGD" run -c "$WORK/pin_ok.yaml" <"$WORK/in.txt" 2>"$WORK/pin_ok.err" || fail "pin_ok: ikelogd failed: $(tail -n 3 "$WORK/pin_ok.err")"
wait_count pin_ok 20 5 || fail "pin_ok: $(rsyslog_count pin_ok) of 20 events received with the right pin"
rsyslog_stop pin_ok
ok "pin_ok: the matching pin is accepted, 20 of 20 events received"

# And a CA directory (output.ca_dir, hashed with openssl rehash) instead of a CA file.
mkdir -p "$WORK/cadir"
cp "$P/ca.pem" "$WORK/cadir/"
openssl rehash "$WORK/cadir" 2>/dev/null || fail "openssl rehash failed"
port=$(free_port)
rsyslog_setup ca_dir "$port" ossl "$P" server
rsyslog_start ca_dir
tls_config "$WORK/ca_dir.yaml" "$P" "[{host: 127.0.0.1, port: $port}]" 'ca_file: ""' "ca_dir: $WORK/cadir"
"$IKELOGD" run -c "$WORK/ca_dir.yaml" <"$WORK/in.txt" 2>"$WORK/ca_dir.err" || fail "ca_dir: ikelogd failed: $(tail -n 3 "$WORK/ca_dir.err")"
wait_count ca_dir 20 5 || fail "ca_dir: $(rsyslog_count ca_dir) of 20 events received"
rsyslog_stop ca_dir
ok "ca_dir: a hashed CA directory verifies the collector, 20 of 20 events received"

# Refused at start: no CA, an unreadable client certificate, a bad pin.
# start_refused NAME EXPECT [output keys...]
start_refused() {
	local name=$1 expect=$2 rc=0
	shift 2
	tls_config "$WORK/$name.yaml" "$P" "[{host: 127.0.0.1, port: 1}]" "$@"
	timeout 10 "$IKELOGD" run -c "$WORK/$name.yaml" <"$WORK/in.txt" 2>"$WORK/$name.err" || rc=$?
	[ "$rc" != 0 ] && [ "$rc" != 124 ] || fail "$name: ikelogd did not refuse to start (rc=$rc)"
	grep -Eq "$expect" "$WORK/$name.err" || fail "$name: no error matching /$expect/: $(head -n 3 "$WORK/$name.err")"
	ok "$name: refused at start: $(grep -Eom1 "$expect" "$WORK/$name.err")"
}
start_refused no_ca "no CA configured" 'ca_file: ""'
start_refused missing_ca "cannot load the CA certificates" "ca_file: $WORK/nonexistent-ca.pem"
start_refused unreadable_cert "cannot load the certificate" "cert_file: $WORK/nonexistent.pem"
start_refused bad_pin "pin_sha256: not a SHA-256 fingerprint" 'pin_sha256: "12:34"'
