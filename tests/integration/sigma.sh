#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# conf/sigma: one file per detection of ikelogd's engine, each valid YAML
# with the Sigma fields (title, id as a UUID, status, description,
# logsource product ikelogd, detection with a condition naming its
# selections, or a v2 correlation over rules of the same file; level), and
# every field name it uses present in conf/ikelogd.schema.json.
source "$(dirname "$0")/lib/common.sh"
need_cmd python3
python3 -c 'import yaml' 2>/dev/null || skip "needs python3-yaml"
cd "$ROOT"

python3 - conf/sigma conf/ikelogd.schema.json <<'PY' || fail "Sigma rules"
import glob, json, os, re, sys, uuid
import yaml

sigma_dir, schema = sys.argv[1], json.load(open(sys.argv[2]))
props = schema['properties']
LEVELS = {'informational', 'low', 'medium', 'high', 'critical'}
STATUS = {'stable', 'test', 'experimental', 'deprecated', 'unsupported'}
KEYWORDS = {'and', 'or', 'not', 'of', '1', 'all', 'them'}
bad = []
ids = set()

def field_exists(name):
    p = props
    for part in name.split('.'):
        if part not in p:
            return False
        p = p[part].get('properties', {})
    return True

def need(cond, what):
    if not cond:
        bad.append(what)
    return cond

files = sorted(glob.glob(os.path.join(sigma_dir, '*.yml')))
names = {os.path.basename(f)[:-4] for f in files}
need(names == set(props['detection']['enum']), 'one file per detection: %s' % sorted(names ^ set(props['detection']['enum'])))
n_fields = 0
for f in files:
    try:
        docs = [d for d in yaml.safe_load_all(open(f)) if d is not None]
    except yaml.YAMLError as e:
        bad.append('%s: %s' % (f, e))
        continue
    local = set()
    for d in docs:
        w = '%s: %s' % (f, d.get('title'))
        for k in ('title', 'id', 'status', 'description', 'level'):
            need(isinstance(d.get(k), str) and d[k], '%s: no %s' % (w, k))
        try:
            u = str(uuid.UUID(d.get('id', '')))
            need(u == d['id'] and u not in ids, '%s: id %s not a unique UUID' % (w, d['id']))
            ids.add(u)
            local.add(u)
        except ValueError:
            bad.append('%s: id is not a UUID' % w)
        need(d.get('level') in LEVELS, '%s: level %s' % (w, d.get('level')))
        need(d.get('status') in STATUS, '%s: status %s' % (w, d.get('status')))
        if 'correlation' in d:
            c = d['correlation']
            need(c.get('type') in ('event_count', 'value_count'), '%s: correlation type' % w)
            need(all(r in local for r in c.get('rules', [])) and c.get('rules'), '%s: rules not in this file' % w)
            need(re.fullmatch(r'\d+[smhd]', str(c.get('timespan', ''))), '%s: timespan' % w)
            cond = c.get('condition', {})
            need(isinstance(cond, dict) and any(k in cond for k in ('gt', 'gte', 'lt', 'lte', 'eq')), '%s: condition' % w)
            used = list(c.get('group-by', []))
            if c.get('type') == 'value_count':
                need('field' in cond, '%s: value_count without field' % w)
                used.append(cond.get('field', ''))
        else:
            ls = d.get('logsource', {})
            need(ls.get('product') == 'ikelogd' and ls.get('service') == 'events', '%s: logsource' % w)
            det = d.get('detection', {})
            cond = det.get('condition')
            need(isinstance(cond, str), '%s: no condition' % w)
            sels = {k for k in det if k != 'condition'}
            for tok in re.findall(r'[A-Za-z0-9_*]+', cond or ''):
                if tok in KEYWORDS:
                    continue
                pat = re.compile('^' + re.escape(tok).replace(r'\*', '.*') + '$')
                need(any(pat.match(s) for s in sels), '%s: condition names %s, no such selection' % (w, tok))
            used = []
            for s in sels:
                for item in (det[s] if isinstance(det[s], list) else [det[s]]):
                    need(isinstance(item, dict), '%s: selection %s is not a map' % (w, s))
                    used += [k.split('|')[0] for k in item]
        for name in used:
            n_fields += 1
            need(field_exists(name), '%s: field %s not in the schema' % (w, name))
for b in bad:
    print('FAILED: ' + b, file=sys.stderr)
print('ok: %d Sigma files, %d rules, %d field uses, all in the schema' % (len(files), len(ids), n_fields))
sys.exit(1 if bad else 0)
PY
