#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# output.type syslog-tcp: refused unless output.allow_plaintext is true;
# when allowed, a loud warning at start, then the same framing and
# acknowledgement as over TLS, to a plain rsyslog imtcp listener.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/rsyslog.sh"
[ -x "$IKELOGD" ] || fail "build/ikelogd is missing: run make"
need_cmd rsyslogd python3 ss

N=5000
tls_lines "$N" "$WORK/in.txt"
port=$(free_port)
d=$(rsyslog_dir plain)
mkdir -p "$d/work"
echo "$port" >"$d/port"
cat >"$d/rsyslog.conf" <<EOT
global(workDirectory="$d/work" maxMessageSize="64k")
module(load="imtcp")
template(name="raw" type="string" string="%timegenerated:::date-rfc3339% %rawmsg%\n")
ruleset(name="in") { action(type="omfile" file="$d/out.log" template="raw") stop }
input(type="imtcp" port="$port" ruleset="in")
EOT
rsyslog_start plain

cfg() {
	cat >"$WORK/$1.yaml" <<-EOT
		source: {type: stdin}
		state_file: $WORK/state
		rules: [$ROOT/conf/rules/libreswan.yaml]
		redact: {generate_key: true, key_file: $WORK/pseudonym.key}
		output:
		  type: syslog-tcp
		  collectors: [{host: 127.0.0.1, port: $port}]
		  $2
	EOT
}

cfg refused "backoff_min_ms: 100"
rc=0
timeout 10 "$IKELOGD" run -c "$WORK/refused.yaml" <"$WORK/in.txt" 2>"$WORK/refused.err" || rc=$?
[ "$rc" != 0 ] && [ "$rc" != 124 ] || fail "syslog-tcp without allow_plaintext was not refused (rc=$rc)"
grep -q "allow_plaintext" "$WORK/refused.err" || fail "no word of allow_plaintext: $(head -n 3 "$WORK/refused.err")"
[ "$(rsyslog_count plain)" = 0 ] || fail "something was sent"
ok "syslog-tcp refused without allow_plaintext: $(grep -m1 -o '[^:]*allow_plaintext[^;]*' "$WORK/refused.err" | head -n 1)"

cfg allowed "allow_plaintext: true"
"$IKELOGD" run -c "$WORK/allowed.yaml" <"$WORK/in.txt" 2>"$WORK/allowed.err" || fail "ikelogd failed: $(tail -n 3 "$WORK/allowed.err")"
grep -q "WARNING: .*UNENCRYPTED" "$WORK/allowed.err" || fail "no loud warning"
ok "loud warning: $(grep -m1 -o 'WARNING: .*' "$WORK/allowed.err")"
wait_count plain "$N" 10 || true
rsyslog_stop plain
r=$(tls_check "$N" "$d/out.log")
echo "$r"
[ "$(val lines "$r")" = "$N" ] && [ "$(val invalid "$r")" = 0 ] && [ "$(val missing "$r")" = 0 ] &&
	[ "$(val out_of_order "$r")" = 0 ] || fail "plain TCP delivery: $r"
[ "$(counter acknowledged "$WORK/allowed.err")" = "$N" ] || fail "acknowledged is not $N"
ok "$N events over plain TCP, valid RFC 5424 with JSON MSG, in order, acknowledged"
