#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# conf/ikelogd.schema.json against what ikelogd really prints: every event
# `ikelogd normalize` produces from the golden fixtures and the corpus
# sample must validate (python3-jsonschema); and the schema must be strict
# enough to catch what it is for: a misspelt field, a missing required
# field, an unknown event type, an empty string, a bad nested field.
source "$(dirname "$0")/lib/common.sh"
need_cmd python3
python3 -c 'import jsonschema' 2>/dev/null || skip "needs python3-jsonschema"
[ -x "$IKELOGD" ] || skip "build/ikelogd not built"
cd "$ROOT"

inputs=(fixtures/golden/*.log fixtures/corpus/lines-v4.log fixtures/corpus/lines-v5.log fixtures/audit/*.log)
# The rules' own example lines too: the 3.x and error wordings are in no corpus.
if python3 -c 'import yaml' 2>/dev/null; then
	python3 -c 'import sys, yaml
for r in yaml.safe_load(open(sys.argv[1])):
    for e in r.get("examples") or []:
        print(e["line"])' conf/rules/libreswan.yaml >"$WORK/examples.log"
	inputs+=("$WORK/examples.log")
fi
n_in=0
for f in "${inputs[@]}"; do
	[ -r "$f" ] || continue
	"$IKELOGD" normalize -c fixtures/golden/golden.yaml "$f" >>"$WORK/events.jsonl" ||
		fail "ikelogd normalize $f failed"
	n_in=$((n_in + $(grep -c '' "$f")))
done
n_ev=$(grep -c '' "$WORK/events.jsonl")
[ "$n_ev" -eq "$n_in" ] || fail "$n_in input lines gave $n_ev events"
ok "normalize printed one event per input line ($n_ev)"

# Status snapshots (normalize --status): one event per line of each sample.
for f in fixtures/status/trafficstatus-*.txt fixtures/status/showstates-*.txt; do
	n=$("$IKELOGD" normalize -c fixtures/golden/golden.yaml --status "$f" 2>/dev/null |
		tee -a "$WORK/events.jsonl" | grep -c '')
	[ "$n" -eq "$(grep -c '' "$f")" ] || fail "normalize --status $f: $n events for $(grep -c '' "$f") lines"
done
ok "normalize --status printed one event per line of the whack samples in fixtures/status/"

python3 - "$ROOT/conf/ikelogd.schema.json" "$WORK/events.jsonl" <<'PY'
import collections, json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
bad = 0
types = collections.Counter()
# Every event type and every rule is validated; beyond 25 events of one rule
# the rest add nothing but time (the corpus holds thousands of the same).
per_rule = collections.Counter()
checked = 0
with open(sys.argv[2]) as f:
    for n, line in enumerate(f, 1):
        ev = json.loads(line)
        types[ev.get('event_type')] += 1
        key = ev.get('rule', ev.get('event_type'))
        per_rule[key] += 1
        if per_rule[key] > 25:
            continue
        checked += 1
        errs = sorted(v.iter_errors(ev), key=lambda e: list(e.path))
        if errs:
            bad += 1
            if bad <= 10:
                print('event %d: %s: %s' % (n, '/'.join(map(str, errs[0].path)), errs[0].message), file=sys.stderr)
if bad:
    sys.exit('%d events do not validate' % bad)
print('ok: %d events of %d rules validate against the schema (of %d printed), %d event types: %s'
      % (checked, len(per_rule), sum(types.values()), len(types), ' '.join(sorted(types))))
print('figure: schema_events_validated %d' % checked)

# The schema must reject what it exists to catch.
good = {"schema_version": 1, "event_id": "0123456789abcdef", "timestamp": "2026-11-23T20:25:58.047269Z",
        "event_type": "ike_auth", "result": "success", "conn_name": "west", "state_serial": 1,
        "transform": {"encr": "AES_GCM_16_256"}, "child": {"spi_in": "0x1234abcd"}}
assert v.is_valid(good), list(v.iter_errors(good))
bads = {
    'misspelt top-level field': dict(good, conn_nmae='west'),
    'missing event_id': {k: x for k, x in good.items() if k != 'event_id'},
    'unknown event type': dict(good, event_type='ike_authenticated'),
    'unknown result': dict(good, result='ok'),
    'empty string': dict(good, peer_id=''),
    'string serial': dict(good, state_serial='1'),
    'unknown transform key': dict(good, transform={'cipher': 'AES'}),
    'upper-case spi': dict(good, child={'spi_in': '0xABCD'}),
    'port out of range': dict(good, peer_port=70000),
    'timestamp without microseconds': dict(good, timestamp='2026-11-23T20:25:58Z'),
    'daemon_stats without counters': dict(good, event_type='daemon_stats', result='info'),
    'error_code outside the vocabulary': dict(good, error_code='SOMETHING_ELSE'),
    'unknown phase': dict(good, phase='somewhere'),
    'age_s as a string': dict(good, age_s='2.084283'),
    'unknown delete_notify': dict(good, delete_notify='yes'),
    'negative errno': dict(good, errno=-1),
}
good_new = dict(good, event_type='ike_error', result='failure', errno=111, complainant_ip='192.0.2.23',
                phase='network', age_s=2.084283, delete_notify='sent', error_code='INVALID_KE_PAYLOAD',
                proposals_offered=['1:IKE:ENCR=AES_CBC_256'], nat={'natd_ip': '192.0.2.45', 'natd_port': 31065})
assert v.is_valid(good_new), list(v.iter_errors(good_new))
for what, ev in bads.items():
    if v.is_valid(ev):
        sys.exit('schema accepts an event with ' + what)
print('ok: schema rejects %d kinds of bad event (%s)' % (len(bads), ', '.join(bads)))
PY

# The schema's error_code enum is the rules file's error_code vocabulary.
python3 - "$ROOT/conf/ikelogd.schema.json" "$ROOT/conf/rules/libreswan.yaml" <<'PY'
import json, re, sys
schema = json.load(open(sys.argv[1]))
rules = open(sys.argv[2]).read()
m = re.search(r'^- vocabulary: error_code\n  values: \[(.*?)\]', rules, re.S | re.M)
if not m:
    sys.exit('no error_code vocabulary in ' + sys.argv[2])
vocab = {w.strip() for w in re.sub(r'#[^\n]*', '', m.group(1)).split(',') if w.strip()}
enum = set(schema['properties']['error_code']['enum'])
if vocab != enum:
    sys.exit('error_code: only in the rules: %s; only in the schema: %s'
             % (sorted(vocab - enum), sorted(enum - vocab)))
print('ok: the schema lists the %d error_code names of the rules vocabulary' % len(vocab))
PY
