#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Enrichment on the project's real pluto captures (fixtures/lab/*.east.log
# and *.west.log): with labels, an address map (inline and from a file) and
# GeoIP databases built here with libmaxmind-db-writer-perl
# (lib/mmdb-write, documentation ranges only), every event with a peer
# address carries its country, its AS and its map label, and no event
# without one does; every event carries the labels. `ikelogd check`
# refuses a missing and a corrupt database with the file's name. A daemon
# whose country database is replaced on disk (as geoipupdate does: a new
# file renamed over the old) gives the new answer within 5 s, without a
# restart, and loses no event. `ikelogd pseudonym` gives exactly the
# pseudonyms the events carry for the captures' identities, and records
# each use in the journal.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/journald.sh"
need_cmd python3 perl
perl -MMaxMind::DB::Writer::Tree -e 1 2>/dev/null || skip "needs libmaxmind-db-writer-perl (make deps)"
[ -x "$IKELOGD" ] || fail "$IKELOGD not built (make)"
RULES=$ROOT/conf/rules/libreswan.yaml
MMDB=$(dirname "$0")/lib/mmdb-write

"$MMDB" "$WORK/country.mmdb" country 192.0.2.0/25=DE 192.0.2.128/25=FR 2001:db8::/32=NL ||
	fail "could not build the country database"
"$MMDB" "$WORK/asn.mmdb" asn 192.0.2.0/24=64500:Example-Transit || fail "could not build the AS database"
printf '# the lab peers\n192.0.2.1 west-gw\n192.0.2.2 east-gw   # responder\n' >"$WORK/gw.cidr"
head -c 4096 /dev/urandom >"$WORK/corrupt.mmdb"
head -c 32 /dev/urandom >"$WORK/pseudonym.key"
chmod 0600 "$WORK/pseudonym.key"

# write_config FILE COUNTRY_DB PEER_ID_ACTION [SOURCE...]
write_config() {
	cat >"$1" <<EOF
rules: [$RULES]
redact: {key_file: $WORK/pseudonym.key, generate_key: false, fields: {peer_id: $3, initiator_id: $3, responder_id: $3, local_id: $3, cert_subject: $3, cert_issuer: $3, username: $3}}
enrich:
  labels: {site: fra1, environment: lab}
  cidr_maps:
    - {name: region, entries: {192.0.2.0/24: documentation, 0.0.0.0/0: internet}}
    - {name: gw, file: $WORK/gw.cidr}
  geoip: {country_db: $2, asn_db: $WORK/asn.mmdb}
${4:-}
EOF
}

# --- every event of the captures ---
write_config "$WORK/a.yaml" "$WORK/country.mmdb" hash
cat "$ROOT"/fixtures/lab/*.east.log "$ROOT"/fixtures/lab/*.west.log >"$WORK/lab.log"
"$IKELOGD" normalize -c "$WORK/a.yaml" "$WORK/lab.log" >"$WORK/a.json" 2>"$WORK/a.err" ||
	fail "normalize: $(tail -n 3 "$WORK/a.err")"
python3 - "$WORK/a.json" <<'EOF' || fail "enrichment of the captures"
import ipaddress, json, sys
country = {"192.0.2.0/25": "DE", "192.0.2.128/25": "FR"}
gw = {"192.0.2.1": "west-gw", "192.0.2.2": "east-gw"}
n = with_peer = 0
for line in open(sys.argv[1]):
    e = json.loads(line)
    n += 1
    assert e.get("labels") == {"site": "fra1", "environment": "lab"}, e
    ip = e.get("peer_ip")
    if ip is None:
        for k in ("peer_geo", "peer_as", "peer_net"):
            assert k not in e, (k, e)
        continue
    with_peer += 1
    a = ipaddress.ip_address(ip)
    want_cc = next(v for k, v in country.items() if a in ipaddress.ip_network(k))
    assert e["peer_geo"] == {"country_iso": want_cc}, e
    assert e["peer_as"] == {"number": 64500, "org": "Example-Transit"}, e
    want_net = {"region": "documentation"}
    if ip in gw:
        want_net["gw"] = gw[ip]
    assert e["peer_net"] == want_net, (want_net, e)
    if "local_ip" in e:
        assert e["local_net"]["region"] in ("documentation", "internet"), e
assert with_peer > 100 and n > with_peer, (n, with_peer)
print(f"ok: {n} events, {with_peer} with a peer address: country, AS and map labels on each; none on the others")
EOF

# --- the SIEM profiles carry the enrichment where their schemas have it ---
for prof in ocsf ecs; do
	"$IKELOGD" normalize -c "$WORK/a.yaml" --profile $prof "$WORK/lab.log" >"$WORK/a.$prof" 2>/dev/null ||
		fail "normalize --profile $prof"
done
python3 "$ROOT/tests/profiles/validate" --ocsf "$WORK/a.ocsf" --ecs "$WORK/a.ecs" >"$WORK/validate.out" 2>&1 ||
	fail "enriched events do not validate: $(tail -n 5 "$WORK/validate.out")"
python3 - "$WORK/a.ocsf" "$WORK/a.ecs" <<'EOF' || fail "enrichment missing from the profiles"
import json, sys
n_o = n_e = 0
for line in open(sys.argv[1]):
    e = json.loads(line)
    for ep in ("src_endpoint", "dst_endpoint"):
        loc = e.get(ep, {}).get("location")
        if loc:
            assert loc["country"] in ("DE", "FR"), e
            assert e[ep]["autonomous_system"] == {"number": 64500, "name": "Example-Transit"}, e
            n_o += 1
for line in open(sys.argv[2]):
    e = json.loads(line)
    assert e["labels"] == {"site": "fra1", "environment": "lab"}, e
    for s in ("source", "destination"):
        if "geo" in e.get(s, {}):
            assert e[s]["as"] == {"number": 64500, "organization": {"name": "Example-Transit"}}, e
            n_e += 1
assert n_o > 50 and n_e > 100, (n_o, n_e)
print(f"ok: OCSF endpoints with location and AS: {n_o}; ECS events with geo and as: {n_e}; labels on every ECS event; both validate")
EOF

# --- check refuses what cannot be read ---
write_config "$WORK/missing.yaml" "$WORK/nonexistent.mmdb" hash
write_config "$WORK/corrupt.yaml" "$WORK/corrupt.mmdb" hash
for c in missing corrupt; do
	db=$WORK/nonexistent.mmdb
	[ $c = corrupt ] && db=$WORK/corrupt.mmdb
	if "$IKELOGD" check -c "$WORK/$c.yaml" >"$WORK/$c.out" 2>&1; then
		fail "ikelogd check accepted a $c database"
	fi
	grep -q "^$db: GeoIP database: " "$WORK/$c.out" || fail "check's message for a $c database: $(cat "$WORK/$c.out")"
done
ok "ikelogd check refuses a missing and a corrupt database: $(head -n 1 "$WORK/corrupt.out")"

# --- the database replaced under a running daemon ---
"$MMDB" "$WORK/country.live" country 192.0.2.0/24=DE
write_config "$WORK/d.yaml" "$WORK/country.live" hash "source: {type: file, file: {path: $WORK/pluto.log, start: head}}
state_file: $WORK/position
output: {type: file, path: $WORK/events.json}
stats: {interval_s: 0}"
: >"$WORK/pluto.log"
"$IKELOGD" run -c "$WORK/d.yaml" >"$WORK/daemon.log" 2>&1 &
DPID=$!
track "$DPID"
line() { printf '%s.000000: "westeast"[1] 192.0.2.1 #%d: initiating IKEv2 connection\n' "$(date -u '+%b %e %H:%M:%S')" "$1" >>"$WORK/pluto.log"; }
countries() { python3 -c '
import json, sys
print(" ".join(json.loads(l).get("peer_geo", {}).get("country_iso", "-") for l in open(sys.argv[1]) if l.endswith("\n")))' "$WORK/events.json" 2>/dev/null; }
n=1
line $n
wait_for 10 grep -q DE "$WORK/events.json" || fail "no event from the daemon: $(tail -n 3 "$WORK/daemon.log")"
"$MMDB" "$WORK/country.new" country 192.0.2.0/24=FR
mv "$WORK/country.new" "$WORK/country.live"
t0=$(date +%s%N)
while [ $(($(date +%s%N) - t0)) -lt 10000000000 ]; do
	n=$((n + 1))
	line $n
	sleep 0.2
	countries | grep -q FR && break
done
t1=$(date +%s%N)
countries | grep -q FR || fail "still the old database 10 s after the replacement: $(countries)"
ms=$(((t1 - t0) / 1000000))
[ "$ms" -le 5000 ] || fail "the new database answered after $ms ms (more than 5 s)"
wait_for 10 eval '[ "$(countries | wc -w)" -ge '"$n"' ]' || fail "events lost: $n lines, $(countries | wc -w) events"
kill -0 "$DPID" || fail "the daemon died"
[ "$(countries | wc -w)" -eq "$n" ] || fail "$n lines gave $(countries | wc -w) events"
ok "database replaced on disk: FR answered after $ms ms; $n lines, $n events, no restart"
echo "figure: enrich_geo_reopen_ms $ms"

# --- re-identification ---
journald_ensure
write_config "$WORK/clear.yaml" "$WORK/country.mmdb" keep
"$IKELOGD" normalize -c "$WORK/clear.yaml" "$WORK/lab.log" >"$WORK/clear.json" 2>/dev/null
python3 - "$WORK/clear.json" "$WORK/a.json" "$WORK/pairs" <<'EOF' || fail "pairing clear and hashed events"
import json, sys
pairs = {}
for c, h in zip(open(sys.argv[1]), open(sys.argv[2])):
    c, h = json.loads(c), json.loads(h)
    for k in ("peer_id", "initiator_id", "responder_id", "local_id"):
        if k in c:
            assert k in h, (k, c, h)
            assert pairs.setdefault(c[k], h[k]) == h[k], (c[k], h[k])
assert len(pairs) >= 3, pairs
with open(sys.argv[3], "w") as f:
    for clear, ps in sorted(pairs.items()):
        f.write(f"{ps}\t{clear}\n")
EOF
mapfile -t ids < <(cut -f2 "$WORK/pairs")
since=$(date '+%Y-%m-%d %H:%M:%S')
"$IKELOGD" pseudonym -c "$WORK/a.yaml" "${ids[@]}" >"$WORK/pseudonyms" 2>"$WORK/pseudonym.err" ||
	fail "ikelogd pseudonym: $(cat "$WORK/pseudonym.err")"
diff "$WORK/pairs" "$WORK/pseudonyms" >"$WORK/pseudonym.diff" ||
	fail "pseudonyms differ from the events': $(head -n 4 "$WORK/pseudonym.diff")"
journalctl --sync 2>/dev/null || true
wait_for 5 eval 'journalctl -q --since "$since" MESSAGE_ID=8f1f4c3b6a0e4d2e9b7c5a1d3e6f8a20 -o cat | grep -q "${#ids[@]} value(s)"' ||
	fail "no access record in the journal"
journalctl -q --since "$since" MESSAGE_ID=8f1f4c3b6a0e4d2e9b7c5a1d3e6f8a20 -o cat | grep -qF "${ids[0]}" &&
	fail "the access record holds a value"
ok "ikelogd pseudonym: the events' pseudonyms for all ${#ids[@]} identities of the captures; one access record, without the values"
write_config "$WORK/keep.yaml" "$WORK/country.mmdb" keep
"$IKELOGD" pseudonym -c "$WORK/keep.yaml" "${ids[0]}" >/dev/null 2>&1 && fail "pseudonym under a policy that does not hash"
chmod 0644 "$WORK/pseudonym.key"
"$IKELOGD" pseudonym -c "$WORK/a.yaml" "${ids[0]}" >/dev/null 2>"$WORK/mode.err" && fail "pseudonym with a key others can read"
grep -q "mode 0644" "$WORK/mode.err" || fail "the refusal of a readable key: $(cat "$WORK/mode.err")"
ok "ikelogd pseudonym refuses a policy that does not hash and a key others can read"
