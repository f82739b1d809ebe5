#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# status.certs: the daemon lists an NSS database made here (certutil, as
# pluto's) and sends one cert_status per certificate with its subject,
# issuer and days to expiry (certificates made to expire in 30 and 400
# days: 29 and 399 whole days left); a database that does not exist is an
# ike_error with phase status.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/schema.sh"
[ -x "$IKELOGD" ] || fail "build/ikelogd is missing: run make"
need_cmd certutil openssl python3

db=$WORK/nss
mkdir -p "$db"
certutil -N -d "sql:$db" --empty-password
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/k1.pem" -out "$WORK/c1.pem" -days 30 \
	-subj "/CN=east.example/O=Lab" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/k2.pem" -out "$WORK/c2.pem" -days 400 \
	-subj "/CN=Lab CA" 2>/dev/null
certutil -A -d "sql:$db" -n east -t "P,," -i "$WORK/c1.pem"
certutil -A -d "sql:$db" -n "Lab CA" -t "CT,," -i "$WORK/c2.pem"
: >"$WORK/pluto.log"
run() { # run NSSDB OUT: the daemon for three seconds
	cat >"$WORK/c.yaml" <<EOF
source: {type: file, file: {path: $WORK/pluto.log}}
output: {type: stdout}
stats: {interval_s: 0}
status: {enabled: true, interval_s: 2, ctlsocket: $WORK/none.ctl, certs: true, nssdb: "$1"}
$(ikelogd_base_config)
  fields: {cert_subject: keep, cert_issuer: keep}
EOF
	"$IKELOGD" run -c "$WORK/c.yaml" >"$2" 2>"$2.err" &
	local pid=$!
	track $pid
	sleep 3
	kill -TERM $pid
	wait $pid || fail "ikelogd exited $? on SIGTERM: $(tail -n 3 "$2.err")"
}
run "sql:$db" "$WORK/ok.jsonl"
python3 - "$WORK/ok.jsonl" <<'PY' || fail "the cert_status events are not as expected"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
c = {e["cert_subject"]: e for e in ev if e["event_type"] == "cert_status"}
print(sorted((k, v["days_to_expiry"]) for k, v in c.items()))
assert len(c) == 2, c
assert c["O=Lab,CN=east.example"]["days_to_expiry"] == 29
assert c["O=Lab,CN=east.example"]["cert_issuer"] == "O=Lab,CN=east.example"
assert c["CN=Lab CA"]["days_to_expiry"] == 399
PY
ok "one cert_status per certificate: subject, issuer, 29 and 399 days to expiry"
run "sql:$WORK/missing" "$WORK/bad.jsonl"
grep -q '"reason":"certutil -L exited with status' "$WORK/bad.jsonl" ||
	fail "no ike_error for a missing database: $(head -c 600 "$WORK/bad.jsonl")"
ok "a database certutil cannot open: ike_error, phase status"
cat "$WORK"/*.jsonl >"$WORK/all.events"
rc=0
types=$(schema_check "$WORK/all.events") || rc=$?
[ $rc = 2 ] && echo "note: python3-jsonschema missing, the events are not checked against the schema"
[ $rc = 0 ] || [ $rc = 2 ] || fail "an event does not validate: $types"
[ $rc = 2 ] || ok "every event validates against the schema ($types)"
