#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The detection tests (tests/integration/detect.sh): real pluto lines
(fixtures/lab, fixtures/detect/corpus.log) replayed N times with new
serials and syslog timestamps some seconds apart, through
`ikelogd normalize --detect`; each detection has a case that must alert
and one that must not. Expected values come from the input lines."""
import datetime
import json
import os
import re
import subprocess
import sys

IKELOGD, WORK, ROOT = sys.argv[1], sys.argv[2], sys.argv[3]
LAB = os.path.join(ROOT, 'fixtures/lab')
T0 = datetime.datetime(2026, 11, 23, 21, 45, 51)
failures = []


def lab_lines(scenario, host, serials=None):
    """One peer's lines of a lab capture; with serials, only those states' lines."""
    out = []
    for line in open(os.path.join(LAB, scenario + '.syslog')):
        line = line.rstrip('\n')
        if line[16:].split(' ', 1)[0] != host:
            continue
        m = re.search(r' #(\d+): ', line)
        if serials is not None and (not m or int(m.group(1)) not in serials):
            continue
        out.append(line)
    return out


def corpus_lines(*prefixes):
    """Lines of fixtures/detect/corpus.log starting with each prefix, in that order."""
    lines = [l.rstrip('\n') for l in open(os.path.join(ROOT, 'fixtures/detect/corpus.log'))]
    return [next(l for l in lines if l.startswith(p)) for p in prefixes]


def stamp(line, t):
    """The line with a syslog prefix for time t (a bare corpus line gets host gw)."""
    if re.match(r'^[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d ', line):
        return t.strftime('%b %d %H:%M:%S') + line[15:]
    return t.strftime('%b %d %H:%M:%S') + ' gw pluto[4242]: ' + line


def replay(lines, times, step_s, start=0, edit=None, renumber=True, base=0):
    """lines replayed `times` times, step_s apart, every #N made new each time."""
    out = []
    for i in range(times):
        t = T0 + datetime.timedelta(seconds=start + i * step_s)
        for line in lines:
            if renumber:
                line = re.sub(r'#(\d+)', lambda m: '#%d' % (1000 * (base + i + 1) + int(m.group(1))), line)
            if edit:
                line = edit(i, line)
            out.append(stamp(line, t))
    return out


def run(lines, config=None, name='case'):
    """ikelogd normalize --detect over lines; returns (events, alerts)."""
    path = os.path.join(WORK, name + '.log')
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    cmd = [IKELOGD, 'normalize', '--detect']
    if config is not None:
        cfg = os.path.join(WORK, name + '.yaml')
        with open(cfg, 'w') as f:
            f.write('rules: [%s/conf/rules/libreswan.yaml, %s/conf/rules/libreswan-inventory.yaml]\n'
                    'redact:\n  key_file: %s/pseudonym.key\n  generate_key: true\n%s'
                    % (ROOT, ROOT, WORK, config))
        cmd += ['-c', cfg]
    p = subprocess.run(cmd + [path], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit('FAILED: %s: ikelogd exited %d: %s' % (name, p.returncode, p.stderr))
    events = [json.loads(l) for l in p.stdout.splitlines()]
    with open(os.path.join(WORK, 'alerts.jsonl'), 'a') as f:
        for e in events:
            if e['event_type'] == 'alert':
                f.write(json.dumps(e) + '\n')
    return events, [e for e in events if e['event_type'] == 'alert']


def check(name, cond, what):
    if cond:
        print('ok: %s: %s' % (name, what))
    else:
        failures.append(name)
        print('FAILED: %s: %s' % (name, what), file=sys.stderr)


def of(alerts, detection):
    return [a for a in alerts if a['detection'] == detection]


DETECT = 'detect:\n%s'
CONFIG = ''  # the shipped defaults

# ---- auth_failure_burst: the acceptance test, with the built-in defaults (no -c) ----
psk_wrong = lab_lines('psk-wrong', 'east', {5})
assert len(psk_wrong) == 7, psk_wrong
ev, al = run(replay(psk_wrong, 6, 5), name='auth6')
failed_ids = [e['event_id'] for e in ev if e.get('result') == 'failure']
check('auth_failure_burst', len(failed_ids) == 6, 'six replays give six failure events')
check('auth_failure_burst', len(al) == 1 and al[0]['detection'] == 'auth_failure_burst',
      'six failures from one peer in 25 s: exactly one alert (%d)' % len(al))
if al:
    a = al[0]
    check('auth_failure_burst', a.get('peer_ip') == '192.0.2.1', 'it names peer_ip 192.0.2.1')
    check('auth_failure_burst', a.get('event_ids') == failed_ids,
          'it carries the six failures\' event ids, oldest first')
    check('auth_failure_burst', (a['count'], a['threshold'], a['window_s']) == (6, 5, 300),
          'count 6, threshold 5, window_s 300')
    check('auth_failure_burst', a['first_event_id'] == failed_ids[0] and
          a['last_event_id'] == failed_ids[-1], 'first and last event ids')
ev2, al2 = run(replay(psk_wrong, 6, 5), name='auth6')
check('auth_failure_burst', al2 == al, 'the same input gives the same alert (event time, not wall clock)')
ev, al = run(replay(psk_wrong, 5, 5), name='auth5')
check('auth_failure_burst', al == [], 'five failures: no alert (%d)' % len(al))
# The window is 300 s: six failures 61 s apart span 305 s, never more than five in one window.
ev, al = run(replay(psk_wrong, 6, 61), name='auth6-slow')
check('auth_failure_burst', of(al, 'auth_failure_burst') == [], 'six failures over 305 s: no alert')

# ---- identity_spray: one IP, four identities (threshold 3) ----
def ident(i, line):
    return line.replace("'@west-psk-wrong'", "'@user%d.example'" % i)

ev, al = run(replay(psk_wrong, 4, 5, edit=ident), CONFIG, name='spray4')
sp = of(al, 'identity_spray')
ids = {e['peer_id'] for e in ev if e.get('peer_id')}
check('identity_spray', len(ids) == 4, 'four pseudonyms in the events')
check('identity_spray', len(sp) == 1 and sp[0].get('peer_ip') == '192.0.2.1' and sp[0]['count'] == 4,
      'four distinct identities from 192.0.2.1: one alert')
ev, al = run(replay(psk_wrong, 4, 5), CONFIG, name='spray-same')
check('identity_spray', of(al, 'identity_spray') == [], 'four tries of one identity: no alert')

# ---- half_open_flood: IKE_SA_INIT answered, IKE_AUTH never comes ----
init_only = [l for l in psk_wrong if 'IKE_SA_INIT reply' in l or 'chosen from remote' in l]
assert len(init_only) == 2
later = lab_lines('psk-ok', 'east')[:1]  # any later line moves the event clock on
ev, al = run(replay(init_only, 11, 2) + replay(later, 1, 0, start=100, base=50), CONFIG, name='half11')
ho = of(al, 'half_open_flood')
check('half_open_flood', len(ho) == 1 and ho[0].get('conn_name') == 'psk-wrong' and ho[0]['count'] == 11,
      '11 half-open IKE SAs of one peer (pluto names only the connection): one alert')
ev, al = run(replay(init_only, 10, 2) + replay(later, 1, 0, start=100, base=50), CONFIG, name='half10')
check('half_open_flood', of(al, 'half_open_flood') == [], '10 half-open: no alert')
ev, al = run(replay(psk_wrong, 11, 2) + replay(later, 1, 0, start=100, base=50), CONFIG, name='half-auth')
check('half_open_flood', of(al, 'half_open_flood') == [], '11 SAs that reached IKE_AUTH: no alert')
inits = []
for s in ('psk-wrong', 'delete', 'rekey', 'cert-ok'):
    inits += [l for l in lab_lines(s, 'east') if 'IKE_SA_INIT reply' in l][:1]
cfg = DETECT % '  half_open_flood:\n    distinct_ips: 3\n'
ev, al = run(replay(inits, 1, 0) + replay(later, 1, 0, start=100, base=50), cfg, name='half-all4')
ho = [a for a in of(al, 'half_open_flood') if 'peer_ip' not in a and 'conn_name' not in a]
check('half_open_flood', len(ho) == 1 and ho[0]['count'] == 4,
      'four peers half open, distinct_ips 3: one alert across peers')
ev, al = run(replay(inits[:3], 1, 0) + replay(later, 1, 0, start=100, base=50), cfg, name='half-all3')
check('half_open_flood', of(al, 'half_open_flood') == [], 'three peers: no alert')

# ---- rekey_storm: the rekey capture (a Child SA and an IKE SA rekey) replayed ----
rekey = lab_lines('rekey', 'east')
rekey = [l for l in rekey if re.search(r' #\d+: ', l)]
ev, al = run(replay(rekey, 6, 60), CONFIG, name='rekey6')
n = sum(1 for e in ev if e['event_type'] in ('ike_sa_rekey', 'child_sa_rekey') and e['result'] == 'success')
rs = of(al, 'rekey_storm')
check('rekey_storm', n == 12 and len(rs) == 1 and rs[0].get('conn_name') == 'rekey' and rs[0]['count'] == 11,
      '12 rekeys of connection rekey in 5 min: one alert at the 11th')
ev, al = run(replay(rekey, 5, 60), CONFIG, name='rekey5')
check('rekey_storm', of(al, 'rekey_storm') == [], '10 rekeys: no alert')

# ---- short_lifetime: established, deleted within a second ----
delete = lab_lines('delete', 'east', {16, 17})
ev, al = run(replay(delete, 4, 5), CONFIG, name='short4')
sl = of(al, 'short_lifetime')
check('short_lifetime', len(sl) == 1 and sl[0].get('conn_name') == 'delete' and sl[0]['count'] == 4,
      'four IKE SAs deleted 0.33 s after establishing: one alert')
ev, al = run(replay(delete, 3, 5), CONFIG, name='short3')
check('short_lifetime', of(al, 'short_lifetime') == [], 'three: no alert')
ev, al = run(replay(rekey, 4, 5), CONFIG, name='short-rekey')
check('short_lifetime', of(al, 'short_lifetime') == [], 'IKE SAs deleted because a rekey replaced them: no alert')

# ---- weak_crypto ----
ev, al = run(replay(corpus_lines('"westnet-eastnet-dh15" #1:'), 1, 0), CONFIG, name='weak')
wk = of(al, 'weak_crypto')
check('weak_crypto', len(wk) == 1 and '3DES_CBC_192' in wk[0]['summary'] and 'HMAC_SHA1' in wk[0]['summary'],
      'an IKE SA with 3DES and SHA1: one alert naming both')
psk_ok = lab_lines('psk-ok', 'east')
ev, al = run(replay(psk_ok, 1, 0), CONFIG, name='weak-dh14')
wk = of(al, 'weak_crypto')
check('weak_crypto', len(wk) == 1 and 'MODP2048' in wk[0]['summary'],
      'AES-GCM with DH group 14 (MODP2048, in the default list): one alert naming MODP2048')
cfg = DETECT % '  weak_crypto:\n    algorithms: [3DES, SHA1, MD5, MODP1024]\n'
ev, al = run(replay(psk_ok, 1, 0), cfg, name='weak-none')
check('weak_crypto', of(al, 'weak_crypto') == [], 'AES-GCM, SHA2_512, MODP2048 with a list without MODP2048: no alert')

# ---- crypto_change ----
ev, al = run(replay(corpus_lines('"westnet-eastnet" #11:', '"westnet-eastnet" #1:'), 1, 0, renumber=False),
             CONFIG, name='change')
cc = of(al, 'crypto_change')
ids = [e['event_id'] for e in ev if e['event_type'] == 'ike_auth']
check('crypto_change', len(cc) == 1 and cc[0].get('conn_name') == 'westnet-eastnet' and
      cc[0]['event_ids'] == ids and '3DES_CBC_192' in cc[0]['summary'],
      'AES_CBC_256/SHA2_256 then 3DES/SHA1 on one connection: one alert with both events')
ev, al = run(replay(corpus_lines('"westnet-eastnet" #11:', '"westnet-eastnet" #13:', '"westnet-eastnet" #15:'),
                    1, 0, renumber=False), CONFIG, name='change-none')
check('crypto_change', of(al, 'crypto_change') == [], 'three SAs with one suite: no alert')

# ---- delete_without_notify (off by default) ----
cfg = DETECT % '  delete_without_notify:\n    enabled: true\n'
ev, al = run(replay(lab_lines('liveness', 'east'), 1, 0), cfg, name='dwn')
dw = of(al, 'delete_without_notify')
ike = [e for e in ev if e['event_type'] == 'ike_sa_delete']
check('delete_without_notify', len(dw) == 1 and ike and dw[0].get('ike_sa_id') == ike[-1]['ike_sa_id'],
      'liveness timeout cleared the IKE SA without a Delete: one alert for its ike_sa_id')
ev, al = run(replay(lab_lines('liveness', 'east'), 1, 0), CONFIG, name='dwn-default')
check('delete_without_notify', of(al, 'delete_without_notify') == [], 'off by default')
ev, al = run(replay(lab_lines('delete', 'west'), 1, 0), cfg, name='dwn-sent')
check('delete_without_notify', of(al, 'delete_without_notify') == [], 'deleted sending the notification: no alert')
ev, al = run(replay(rekey, 1, 0), cfg, name='dwn-rekey')
check('delete_without_notify', of(al, 'delete_without_notify') == [], 'replaced by a rekey: no alert')

# ---- address_flap: one IKE SA's MOBIKE updates ----
mob = corpus_lines('"east-any"[1] 192.1.3.209 #1:')
ev, al = run(replay(mob, 6, 10, renumber=False), CONFIG, name='flap6')
fl = of(al, 'address_flap')
check('address_flap', len(fl) == 1 and fl[0]['count'] == 6 and fl[0].get('ike_sa_id') == ev[0]['ike_sa_id'],
      'six MOBIKE updates of one IKE SA in 50 s: one alert')
ev, al = run(replay(mob, 5, 10, renumber=False), CONFIG, name='flap5')
check('address_flap', of(al, 'address_flap') == [], 'five: no alert')

# ---- cert_problem ----
ev, al = run(replay(lab_lines('cert-unknown-ca', 'east'), 1, 0), CONFIG, name='cert-ca')
cp = of(al, 'cert_problem')
check('cert_problem', len(cp) == 1 and 'SEC_ERROR_UNKNOWN_ISSUER' in cp[0]['summary'],
      'a certificate from an unknown CA: one alert')
ev, al = run(replay(lab_lines('cert-id-mismatch', 'east'), 1, 0), CONFIG, name='cert-id')
check('cert_problem', len(of(al, 'cert_problem')) == 1, 'a certificate that does not match the ID: one alert')
ev, al = run(replay(lab_lines('cert-ok', 'east'), 1, 0), CONFIG, name='cert-ok')
check('cert_problem', of(al, 'cert_problem') == [], 'a good certificate: no alert')

# ---- suppression and cleared ----
ev, al = run(replay(psk_wrong, 12, 5), CONFIG, name='suppress')
check('suppress', len(of(al, 'auth_failure_burst')) == 1, 'twelve failures in one window: still one alert')
cfg = DETECT % '  cleared: true\n'
ev, al = run(replay(psk_wrong, 6, 5) + replay(psk_wrong, 1, 0, start=700, base=10), cfg, name='cleared')
af = of(al, 'auth_failure_burst')
check('cleared', len(af) == 2 and af[1].get('cleared') is True and af[1].get('peer_ip') == '192.0.2.1',
      'the peer seen again after a quiet window: a cleared alert')

if failures:
    sys.exit('FAILED: %s' % ', '.join(sorted(set(failures))))
