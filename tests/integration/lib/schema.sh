# SPDX-License-Identifier: Apache-2.0
# schema_check FILE: every JSON event in FILE validates against
# conf/ikelogd.schema.json (python3-jsonschema); prints the event types.
# Returns 2 when jsonschema is missing (the caller says so).
schema_check() {
	python3 -c 'import jsonschema' 2>/dev/null || return 2
	python3 - "$ROOT/conf/ikelogd.schema.json" "$1" <<'PY'
import json, sys
import jsonschema
v = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
types = set()
for n, line in enumerate(open(sys.argv[2]), 1):
    e = json.loads(line)
    types.add(e["event_type"])
    errs = list(v.iter_errors(e))
    if errs:
        print(f"{sys.argv[2]}:{n}: {errs[0].message}: {line.strip()[:300]}")
        sys.exit(1)
print(" ".join(sorted(types)))
PY
}
