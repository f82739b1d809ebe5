#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The detections (detect.c) on real pluto lines: each replayed with new
# serials and syslog timestamps through `ikelogd normalize --detect`, a
# case that must alert and one that must not per detection (the cases are
# in lib/detect_replay.py; the acceptance test of auth_failure_burst runs
# with the built-in defaults). Every alert printed must validate against
# conf/ikelogd.schema.json.
source "$(dirname "$0")/lib/common.sh"
need_cmd python3
[ -x "$IKELOGD" ] || skip "build/ikelogd not built"
cd "$ROOT"

python3 tests/integration/lib/detect_replay.py "$IKELOGD" "$WORK" "$ROOT" ||
	fail "detection cases"
n=$(grep -c '' "$WORK/alerts.jsonl")
[ "$n" -gt 0 ] || fail "no alerts at all"
if python3 -c 'import jsonschema' 2>/dev/null; then
	python3 - "$ROOT/conf/ikelogd.schema.json" "$WORK/alerts.jsonl" <<'PY' || fail "alerts do not validate"
import json, sys
import jsonschema
v = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
bad = 0
for n, line in enumerate(open(sys.argv[2]), 1):
    for e in v.iter_errors(json.loads(line)):
        bad += 1
        print('alert %d: %s: %s' % (n, '/'.join(map(str, e.path)), e.message), file=sys.stderr)
sys.exit(1 if bad else 0)
PY
	ok "all $n alerts validate against the schema"
else
	echo "skip: schema check (needs python3-jsonschema)"
fi
