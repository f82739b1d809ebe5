#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Signed events through the real rsyslog collector (OpenSSL driver), read
# from pluto's logfile: the collector is restarted while events stream,
# ikelogd is killed with SIGKILL and started again, then stopped cleanly.
# ikelogd verify accepts what the collector wrote (the events read again
# after the kill show as re-sent, not as tampering), and refuses it, naming
# the line and the kind, after each tampering.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/rsyslog.sh"
source "$(dirname "$0")/lib/pki.sh"
[ -x "$IKELOGD" ] || fail "build/ikelogd is missing: run make"
need_cmd rsyslogd openssl python3 ss

N=${SIGN_EVENTS:-20000}
pki_make "$WORK/pki" || fail "cannot make the test PKI"
mkdir "$WORK/keys"
"$IKELOGD" keygen "$WORK/keys" >/dev/null || fail "keygen failed"
"$IKELOGD" keygen "$WORK/keys" >/dev/null 2>&1 && fail "keygen overwrote its keys"
ok "keygen makes sign.key, audit.key, audit.pub and refuses to overwrite them"

tls_lines "$N" "$WORK/pluto.log"
port=$(free_port)
rsyslog_setup c "$port" ossl "$WORK/pki"
rsyslog_start c
{
	echo "source: {type: file, file: {path: $WORK/pluto.log, start: head}}"
	ikelogd_base_config
	echo "commit_every: 64"
	echo "limits: {in_flight: 1024, drain_timeout_ms: 30000}"
	echo "stats: {interval_s: 0}"
	tls_output "$WORK/pki" "$port"
	echo "  backoff_min_ms: 100"
	echo "  backoff_max_ms: 1000"
	echo "sign: {enabled: true, key_file: $WORK/keys/sign.key, state_file: $WORK/sign.state, epoch_events: 1000, epoch_seconds: 0}"
} >"$WORK/c.yaml"
"$IKELOGD" check -c "$WORK/c.yaml" >/dev/null || fail "ikelogd check refuses the config"

"$IKELOGD" run -c "$WORK/c.yaml" 2>"$WORK/ikelogd.err" &
pid=$!
track "$pid"
wait_count c $((N / 4)) 60 || fail "stream stalled: $(tail -n 3 "$WORK/ikelogd.err")"
rsyslog_restart c
echo "collector restarted at $(rsyslog_count c) messages"
wait_count c $((N / 2)) 60 || fail "stream stalled after the collector restart: $(tail -n 3 "$WORK/ikelogd.err")"
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
echo "ikelogd killed at $(rsyslog_count c) messages"
grep -q '^k0 ' "$WORK/keys/sign.key" && fail "K(0) is still in sign.key"
ok "K(0) left the gateway's key file at the first start"

"$IKELOGD" run -c "$WORK/c.yaml" 2>"$WORK/ikelogd2.err" &
pid=$!
track "$pid"
wait_count c "$N" 120 || fail "not every event arrived after the restart: $(tail -n 3 "$WORK/ikelogd2.err")"
sleep 1
kill -TERM "$pid"
wait "$pid" || fail "ikelogd exited with $? on SIGTERM: $(tail -n 5 "$WORK/ikelogd2.err")"
sleep 1
rsyslog_stop c
out=$(rsyslog_out c)
echo "figure: sign_received_lines $(wc -l <"$out")"

verify() { "$IKELOGD" verify --key "$WORK/keys/audit.key" --pubkey "$WORK/keys/audit.pub" "$@"; }
verify "$out" >"$WORK/verify.txt" || { cat "$WORK/verify.txt" | tail -n 20; fail "verify refuses what the collector received"; }
cat "$WORK/verify.txt"
resent=$(sed -n 's/.* \([0-9]*\) re-sent after a restart.*/\1/p' "$WORK/verify.txt")
echo "figure: sign_resent_after_kill $resent"
[ "${resent:-0}" -ge 1 ] || echo "note: no event was read again after the kill (all had been committed)"
ok "verify exits 0 on the collector's file after a collector restart and a kill -9"
"$IKELOGD" verify --pubkey "$WORK/keys/audit.pub" "$out" >/dev/null || fail "public-only verify refuses it"
ok "public-only verify exits 0 too"

# expect_tamper NAME KIND LINE FILE: verify exits 1 and names KIND at LINE.
expect_tamper() {
	local name=$1 kind=$2 line=$3 f=$4
	if verify "$f" >"$WORK/t.txt"; then fail "$name: verify exits 0"; fi
	grep -q -F "$f:$line: $kind:" "$WORK/t.txt" || { grep -E ': (altered|missing|reordered|inserted|replayed|truncated|wrong key|malformed):' "$WORK/t.txt" | head -n 5; fail "$name: no '$kind' at line $line"; }
	ok "$name: exit 1, $kind at line $line"
}
L=$(( $(wc -l <"$out") / 2 ))
# A line that holds an event (not the cut frame of a collector restart).
while ! grep -q 'ike_auth' <(sed -n "${L}p" "$out"); do L=$((L + 1)); done
python3 - "$out" "$WORK" "$L" <<'PY'
import sys
src, work, L = sys.argv[1], sys.argv[2], int(sys.argv[3])
lines = open(src, "rb").read().split(b"\n")[:-1]
def w(name, ls): open("%s/%s" % (work, name), "wb").write(b"".join(l + b"\n" for l in ls))
f = list(lines); i = f[L-1].rindex(b'"state_serial":') + 15; f[L-1] = f[L-1][:i] + (b"9" if f[L-1][i:i+1] != b"9" else b"8") + f[L-1][i+1:]; w("flip", f)
f = list(lines); del f[L-1]; w("delete", f)
f = list(lines); f[L-1], f[L] = f[L], f[L-1]; w("swap", f)
f = list(lines); f.insert(L + 10, lines[L-1]); w("dup", f)
last_cp = max(i for i, l in enumerate(lines[:-1]) if b'ikelogd-checkpoint@' in l and b'final="0"' in l)
w("droplast", lines[:last_cp + 1])
first_epoch = [l for l in lines if b' ep="0" ' in l]
w("replay", lines + first_epoch)
PY
expect_tamper "flip one byte" altered "$L" "$WORK/flip"
expect_tamper "delete one line" missing "$L" "$WORK/delete"
expect_tamper "swap two lines" reordered "$((L + 1))" "$WORK/swap"
expect_tamper "duplicate a line" inserted "$((L + 11))" "$WORK/dup"
n=$(wc -l <"$WORK/droplast")
expect_tamper "drop the last epoch" truncated "$n" "$WORK/droplast"
expect_tamper "replay an old epoch" replayed "$(( $(wc -l <"$out") + 1 ))" "$WORK/replay"
# Splice: the first half of this stream, then another gateway's (other keys).
mkdir "$WORK/keys2"
"$IKELOGD" keygen "$WORK/keys2" >/dev/null
tls_lines 100 "$WORK/pluto2.log"
{
	echo "source: {type: file, file: {path: $WORK/pluto2.log, start: head}}"
	printf 'state_file: %s\nrules: [%s]\nredact: {key_file: %s, generate_key: true}\n' \
		"$WORK/position2" "$ROOT/conf/rules/libreswan.yaml" "$WORK/pseudonym.key"
	echo "stats: {interval_s: 0}"
	echo "output: {type: file, path: $WORK/other.log}"
	echo "sign: {enabled: true, key_file: $WORK/keys2/sign.key, state_file: $WORK/sign2.state}"
} >"$WORK/c2.yaml"
"$IKELOGD" run -c "$WORK/c2.yaml" 2>"$WORK/ikelogd3.err" &
p3=$!
track "$p3"
other_written() { [ -e "$WORK/other.log" ] && [ "$(wc -l <"$WORK/other.log")" -ge 100 ]; }
wait_for 30 other_written || fail "second stream not written: $(tail -n 3 "$WORK/ikelogd3.err")"
kill -TERM "$p3"; wait "$p3" || true
{ head -n "$L" "$out"; sed -n '50,$p' "$WORK/other.log"; } >"$WORK/splice"
if verify "$WORK/splice" >"$WORK/t.txt"; then fail "splice: verify exits 0"; fi
grep -q ': wrong key:' "$WORK/t.txt" || fail "splice: no 'wrong key'"
grep -q -F "$WORK/splice:$L: truncated:" "$WORK/t.txt" || fail "splice: the first stream is not cut at line $L"
ok "splice two streams: exit 1, wrong key for the other stream, truncated at line $L"
