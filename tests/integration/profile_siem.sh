#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The SIEM profiles through a real sink: the golden fixtures' pluto lines
# sent by ikelogd over mutual TLS to a real rsyslog, once with
# output.profile: ocsf and signing on, once with output.profile: ecs. Every
# event arrives; the JSON of each received message validates against the
# vendored OCSF 1.8.0 or ECS 9.4.0 release (tests/profiles/validate); the
# signed OCSF stream verifies (signatures cover the profile's bytes).
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/rsyslog.sh"
source "$(dirname "$0")/lib/pki.sh"
[ -x "$IKELOGD" ] || fail "build/ikelogd is missing: run make"
need_cmd rsyslogd openssl python3 ss
python3 -c 'import yaml' 2>/dev/null || skip "needs python3-yaml (make deps)"
[ -n "$(find /usr/lib /usr/lib64 -name 'lmnsd_ossl.so' 2>/dev/null | head -n 1)" ] ||
	skip "rsyslog's OpenSSL driver (rsyslog-openssl) is not installed"

pki_make "$WORK/pki" || fail "cannot make the test PKI"
cat "$ROOT"/fixtures/golden/*.log >"$WORK/in.txt"
mkdir "$WORK/keys"
"$IKELOGD" keygen "$WORK/keys" >/dev/null || fail "keygen failed"

# The JSON of each received message (after the structured data), one a line; checkpoints left out.
messages() {
	python3 - "$1" <<-'PY'
		import json, sys
		for line in open(sys.argv[1], encoding="utf-8"):
		    i = line.find("] {")
		    if i < 0:
		        continue
		    msg = line[i + 2:].rstrip("\n")
		    json.loads(msg)
		    print(msg)
	PY
}

for profile in ocsf ecs; do
	port=$(free_port)
	rsyslog_setup "$profile" "$port" ossl "$WORK/pki"
	rsyslog_start "$profile"
	extra=()
	[ "$profile" = ocsf ] && extra=("profile: ocsf") || extra=("profile: ecs")
	tls_config "$WORK/$profile.yaml" "$WORK/pki" "[{host: 127.0.0.1, port: $port}]" "${extra[@]}"
	if [ "$profile" = ocsf ]; then
		echo "sign: {enabled: true, key_file: $WORK/keys/sign.key, state_file: $WORK/sign.state, epoch_events: 100, epoch_seconds: 0}" >>"$WORK/$profile.yaml"
	fi
	"$IKELOGD" check -c "$WORK/$profile.yaml" >/dev/null || fail "$profile: ikelogd check refuses the config"
	"$IKELOGD" run -c "$WORK/$profile.yaml" <"$WORK/in.txt" 2>"$WORK/$profile.err" ||
		fail "ikelogd exited with $? ($profile): $(tail -n 5 "$WORK/$profile.err")"
	sent=$(counter events_out "$WORK/$profile.err")
	wait_count "$profile" "$sent" 10 || true
	rsyslog_stop "$profile"
	out=$(rsyslog_out "$profile")
	messages "$out" >"$WORK/$profile.jsonl" || fail "$profile: a received message's JSON does not parse"
	got=$(wc -l <"$WORK/$profile.jsonl")
	[ "$got" -ge 1 ] && [ "$got" = "$sent" ] || fail "$profile: $got events received, ikelogd sent $sent"
	ok "$profile: all $got events arrived"
	"$ROOT/tests/profiles/validate" "--$profile" "$WORK/$profile.jsonl" >"$WORK/$profile.valid" ||
		{ tail -n 20 "$WORK/$profile.valid"; fail "$profile: received events do not validate"; }
	ok "$(grep "^$profile:" "$WORK/$profile.valid")"
done
grep -q '"class_uid":' "$WORK/ocsf.jsonl" && ! grep -q '"schema_version":' "$WORK/ocsf.jsonl" ||
	fail "ocsf: the collector did not receive OCSF events"
grep -q '"ecs":{"version":"9.4.0"}' "$WORK/ecs.jsonl" || fail "ecs: the collector did not receive ECS events"
# Signing's final daemon_stats: a Base Event, its counters under unmapped.
python3 - "$WORK/ocsf.jsonl" <<'PY' || fail "ocsf: no daemon_stats event with unmapped.counters"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
st = [e for e in evs if e.get("metadata", {}).get("event_code") == "daemon_stats"]
assert st and all(e["class_uid"] == 0 and "delivered" in e["unmapped"]["counters"] for e in st)
PY
ok "ocsf: daemon_stats is a Base Event with unmapped.counters"
"$IKELOGD" verify --key "$WORK/keys/audit.key" --pubkey "$WORK/keys/audit.pub" "$(rsyslog_out ocsf)" >"$WORK/verify.txt" ||
	{ tail -n 10 "$WORK/verify.txt"; fail "verify refuses the signed OCSF stream"; }
ok "the signed OCSF stream verifies: $(tail -n 1 "$WORK/verify.txt")"
