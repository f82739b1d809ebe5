#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# 100,000 events through ikelogd to a real rsyslog over mutual TLS, with
# rsyslog's OpenSSL driver and then its GnuTLS driver: every one arrives,
# once, in order, as a valid RFC 5424 message whose MSG is valid JSON.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/rsyslog.sh"
source "$(dirname "$0")/lib/pki.sh"
[ -x "$IKELOGD" ] || fail "build/ikelogd is missing: run make"
need_cmd rsyslogd openssl python3 ss

N=${TLS_EVENTS:-100000}
pki_make "$WORK/pki" || fail "cannot make the test PKI"
tls_lines "$N" "$WORK/in.txt"

# rsyslog's drivers: rsyslog-openssl (ossl) and rsyslog-gnutls (gtls), both
# installed by make deps. A missing one skips its half only.
have_driver() {
	[ -e "/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_$1.so" ] ||
		[ -n "$(find /usr/lib /usr/lib64 -name "lmnsd_$1.so" 2>/dev/null | head -n 1)" ]
}
have_driver ossl || have_driver gtls || skip "neither of rsyslog's TLS drivers (ossl, gtls) is installed"
for driver in ossl gtls; do
	if ! have_driver "$driver"; then
		echo "skip: the $driver half: rsyslog's $driver driver is not installed (make deps installs it)"
		continue
	fi
	port=$(free_port)
	rsyslog_setup "$driver" "$port" "$driver" "$WORK/pki"
	rsyslog_start "$driver"
	tls_config "$WORK/$driver.yaml" "$WORK/pki" "[{host: 127.0.0.1, port: $port}]"
	start=$(date +%s%N)
	"$IKELOGD" run -c "$WORK/$driver.yaml" <"$WORK/in.txt" 2>"$WORK/$driver.err" ||
		fail "ikelogd exited with $? ($driver): $(tail -n 5 "$WORK/$driver.err")"
	end=$(date +%s%N)
	# Everything ikelogd counted delivered is in rsyslog's queue; give it a moment to write.
	wait_count "$driver" "$N" 10 || true
	rsyslog_stop "$driver"
	r=$(tls_check "$N" "$(rsyslog_out "$driver")")
	echo "$driver: $r"
	[ "$(val lines "$r")" = "$N" ] || fail "$driver: $(val lines "$r") messages received, $N sent"
	[ "$(val invalid "$r")" = 0 ] && [ "$(val partial "$r")" = 0 ] || fail "$driver: $(val invalid "$r") invalid and $(val partial "$r") partial messages"
	[ "$(val missing "$r")" = 0 ] || fail "$driver: $(val missing "$r") events missing"
	[ "$(val dup "$r")" = 0 ] || fail "$driver: $(val dup "$r") duplicates without any reconnect"
	[ "$(val out_of_order "$r")" = 0 ] || fail "$driver: $(val out_of_order "$r") events out of order"
	ok "$driver: $N events, each a valid RFC 5424 message with a JSON MSG, in order, none twice"
	# 100,000 IKE SAs in a 65,536-entry table: each eviction also sends the SA's summary.
	sums=$(counter summaries "$WORK/$driver.err")
	[ "$(counter delivered "$WORK/$driver.err")" = "$((N + sums))" ] || fail "$driver: ikelogd counted $(counter delivered "$WORK/$driver.err") delivered, $N lines and $sums summaries sent"
	[ "$(counter acknowledged "$WORK/$driver.err")" = "$((N + sums))" ] || fail "$driver: acknowledged counter is not $N + $sums"
	ok "$driver: ikelogd counted $N sent, acknowledged and delivered"
	grep -q "connected, TLSv1.[23]" "$WORK/$driver.err" || fail "$driver: no TLS connection logged"
	ok "$driver: $(grep -o 'connected, TLSv1.[23] [A-Z0-9_-]*' "$WORK/$driver.err" | head -n 1)"
	echo "figure: tls_delivery_${driver}_events_per_s $(( N * 1000000000 / (end - start) ))"
done
