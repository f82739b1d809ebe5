#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The RELP output fails closed: against rsyslog's imrelp over TLS, a
# collector whose certificate comes from another CA, and one whose
# certificate does not carry output.server_name, get no event: ikelogd
# logs why, counts handshake_failures (name refusals) and keeps retrying;
# relp-tcp (clear text) is refused without output.allow_plaintext; and
# with allow_plaintext, a TLS-only imrelp writes nothing sent in clear.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/rsyslog.sh"
source "$(dirname "$0")/lib/pki.sh"
[ -x "$IKELOGD" ] || fail "build/ikelogd is missing: run make"
need_cmd rsyslogd openssl python3 ss
ls /usr/lib/*/rsyslog/imrelp.so >/dev/null 2>&1 || skip "rsyslog's imrelp is not installed (package rsyslog-relp)"
export RSYSLOG_CONF=rsyslog-relp.conf

pki_make "$WORK/pki" || fail "cannot make the test PKI"
P=$WORK/pki
tls_lines 20 "$WORK/in.txt"

# relp_run NAME PORT TYPE EXPECT(ERE) [output keys...]: runs ikelogd against
# PORT until EXPECT shows twice in its log (it retries), then stops it.
relp_run() {
	local name=$1 port=$2 type=$3 expect=$4 pid
	shift 4
	{
		echo "source: {type: stdin}"
		echo "state_file: $WORK/state-$name"
		echo "rules: [$ROOT/conf/rules/libreswan.yaml]"
		echo "redact: {generate_key: true, key_file: $WORK/pseudonym.key}"
		echo "limits: {drain_timeout_ms: 500}"
		echo "output:"
		echo "  type: $type"
		echo "  collectors: [{host: 127.0.0.1, port: $port}]"
		echo "  ca_file: $P/ca.pem"
		echo "  cert_file: $P/client.pem"
		echo "  key_file: $P/client.key"
		echo "  server_name: collector.test"
		echo "  backoff_min_ms: 100"
		echo "  backoff_max_ms: 300"
		local x
		for x in "$@"; do echo "  $x"; done
	} >"$WORK/$name.yaml"
	mkfifo "$WORK/$name.fifo"
	"$IKELOGD" run -c "$WORK/$name.yaml" <"$WORK/$name.fifo" 2>"$WORK/$name.err" &
	pid=$!
	track "$pid"
	exec {feed}>"$WORK/$name.fifo"
	cat "$WORK/in.txt" >&"$feed"
	_twice() { [ "$(grep -Ec "$expect" "$WORK/$name.err")" -ge 2 ]; }
	wait_for 20 _twice || fail "$name: no repeated error matching /$expect/: $(grep -v counters "$WORK/$name.err" | tail -n 3)"
	kill -0 "$pid" || fail "$name: ikelogd exited on its own"
	kill -TERM "$pid"
	wait "$pid" || true
	exec {feed}>&-
	grep -m1 -E "$expect" "$WORK/$name.err"
}

# another CA: the chain does not verify
port=$(free_port)
rsyslog_setup other "$port" ossl "$P" other-server
rsyslog_start other
relp_run other "$port" relp 'RELP connect failed'
grep -q 'certificate validation failed\|certificate verify failed\|refused' "$WORK/other.err" ||
	fail "other CA: the reason is not the certificate: $(grep -m1 'connect failed' "$WORK/other.err")"
[ "$(rsyslog_count other)" = 0 ] || fail "other CA: $(rsyslog_count other) events reached the collector"
[ "$(counter delivered "$WORK/other.err")" = 0 ] || fail "other CA: events counted delivered"
ok "a collector certified by another CA gets nothing, and the reason is logged"
rsyslog_stop other

# the right CA, the wrong name
port=$(free_port)
rsyslog_setup wrong "$port" ossl "$P" wrongname
rsyslog_start wrong
relp_run wrong "$port" relp 'collector certificate refused'
[ "$(rsyslog_count wrong)" = 0 ] || fail "wrong name: $(rsyslog_count wrong) events reached the collector"
[ "$(counter handshake_failures "$WORK/wrong.err")" -ge 1 ] || fail "wrong name: no handshake_failures counted"
ok "a collector without the name collector.test gets nothing; handshake_failures $(counter handshake_failures "$WORK/wrong.err")"
rsyslog_stop wrong

# clear text needs allow_plaintext, at start
relp_run_start() { "$IKELOGD" check -c "$1" >"$2" 2>&1; }
sed -e 's/type: relp$/type: relp-tcp/' "$WORK/wrong.yaml" >"$WORK/plain.yaml"
if relp_run_start "$WORK/plain.yaml" "$WORK/plain-check.out"; then
	fail "relp-tcp without allow_plaintext accepted: $(cat "$WORK/plain-check.out")"
fi
grep -q 'relp-tcp sends events in clear text' "$WORK/plain-check.out" ||
	fail "relp-tcp refused without the reason: $(cat "$WORK/plain-check.out")"
ok "$(grep -m1 -o 'plain.yaml:[0-9]*:[0-9]*: output.type: relp-tcp sends events in clear text' "$WORK/plain-check.out")"

# with allow_plaintext, a TLS-only collector takes nothing sent in clear
port=$(free_port)
rsyslog_setup tlsonly "$port" ossl "$P"
rsyslog_start tlsonly
relp_run tlsonly "$port" relp-tcp 'RELP connect failed' "allow_plaintext: true"
[ "$(rsyslog_count tlsonly)" = 0 ] || fail "a TLS-only imrelp wrote $(rsyslog_count tlsonly) events sent in clear"
ok "a TLS-only imrelp writes nothing from a plain RELP client"
rsyslog_stop tlsonly
