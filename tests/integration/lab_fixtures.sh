#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The lab captures in fixtures/lab are whole and agree with each other
# (no root, no pluto needed): every scenario (and the plutos' start and
# stop) has its export, its plain and per-peer logs, its syslog variant and
# (scenarios) its expected events; the plain lines
# are the export's MESSAGE fields in order; the per-peer logs partition them;
# psk-debug.secrets.txt starts with the PSK of the lab's ipsec.secrets and
# every other line is a hex dump one of the plutos printed in psk-debug.
source "$(dirname "$0")/lib/common.sh"
need_cmd python3
F=$ROOT/fixtures/lab
[ -d "$F" ] || fail "fixtures/lab is missing"
source "$ROOT/tests/lab/lab.sh"

n=0
ALL="$LAB_SCENARIOS $LAB_CAPTURE_ONLY psk-debug daemon-start daemon-stop"
for s in $ALL; do
	for ext in export log west.log east.log syslog; do
		[ -s "$F/$s.$ext" ] || fail "$s: fixtures/lab/$s.$ext is missing or empty"
	done
	case " psk-debug daemon-start daemon-stop $LAB_CAPTURE_ONLY " in *" $s "*) ;; *) [ -s "$F/$s.expected" ] || fail "$s: no $s.expected" ;; esac
	n=$((n + 1))
done
ok "$n scenarios, each with .export, .log, .west.log, .east.log, .syslog (and .expected)"

python3 - "$F" "$ROOT/tests/lab/export_split.py" $ALL <<'EOF' || fail "the fixtures disagree with each other"
import importlib.util, sys
F = sys.argv[1]
spec = importlib.util.spec_from_file_location("export_split", sys.argv[2])
es = importlib.util.module_from_spec(spec)
spec.loader.exec_module(es)
pids = {}
for l in open(F + "/pids.txt"):
    name, west, east = l.split()
    pids[name] = {"west": west, "east": east}
bad = 0
for s in sys.argv[3:]:
    if s not in pids:
        print("%s: not in pids.txt" % s); bad += 1; continue
    entries = [e for _, e in es.read_entries(open("%s/%s.export" % (F, s), "rb").read())]
    msgs = [e["MESSAGE"].decode("utf-8", "replace") for e in entries]
    plain = open("%s/%s.log" % (F, s), encoding="utf-8").read().splitlines()
    if msgs != plain:
        print("%s: .log is not the export's MESSAGE fields" % s); bad += 1
    for side in ("west", "east"):
        mine = [m for m, e in zip(msgs, entries) if e.get("_PID", b"").decode() == pids[s][side]]
        lines = open("%s/%s.%s.log" % (F, s, side), encoding="utf-8").read().splitlines()
        if mine != lines:
            print("%s: .%s.log is not %s's entries" % (s, side, side)); bad += 1
    if any(e.get("SYSLOG_IDENTIFIER") != b"pluto" for e in entries):
        print("%s: an entry not from pluto" % s); bad += 1
    syslog = open("%s/%s.syslog" % (F, s), encoding="utf-8").read().splitlines()
    if len(syslog) != len(msgs) or any(not l.endswith(": " + m) for l, m in zip(syslog, msgs)):
        print("%s: .syslog lines do not end with the messages" % s); bad += 1
sys.exit(1 if bad else 0)
EOF
ok "every .log is its .export's messages; .west.log and .east.log are each pluto's; .syslog agrees"

psk=$LAB_PSK
[ "$(head -n 1 "$F/psk-debug.secrets.txt")" = "$psk" ] || fail "psk-debug.secrets.txt does not start with the lab's PSK"
python3 - "$F" <<'EOF' || fail "a secret in psk-debug.secrets.txt is not in psk-debug.log"
import re, sys
F = sys.argv[1]
log = open(F + "/psk-debug.west.log", encoding="utf-8").read() + "\n" + \
    open(F + "/psk-debug.east.log", encoding="utf-8").read()
# the dumps' hex, without separators, line by line joined per dump
flat = re.sub(r"[^0-9a-f\n]", "", "\n".join(
    " ".join(re.findall(r"\b[0-9a-f]{2}\b", l.split("   ")[1] if "   " in l else ""))
    for l in log.splitlines() if l.startswith("|   ")))
joined = flat.replace("\n", "")
secrets = open(F + "/psk-debug.secrets.txt").read().splitlines()[1:]
missing = [s for s in secrets if s not in joined]
print("secrets: %d hex strings, %d of them at least 32 bytes" % (len(secrets), sum(len(s) >= 64 for s in secrets)))
if len(secrets) < 4 or missing or any(len(s) < 32 for s in secrets):
    print("missing or short:", missing[:3])
    sys.exit(1)
EOF
ok "psk-debug.secrets.txt: the PSK, then hex dumps of 16 bytes or more that psk-debug.log printed"

# The comparison of lab_e2e itself: events written here by hand to match
# psk-ok.expected pass; the same with the Child SA moved to another IKE SA,
# or with an identity in clear, do not.
python3 - "$WORK" <<'PY'
import json, sys
w = sys.argv[1]
def ev(pid, us, typ, res, **kw):
    d = {"event_type": typ, "result": res, "timestamp": "2026-11-23T21:00:00.%06dZ" % us,
         "platform": {"pid": pid}, "conn_name": "psk-ok"}
    d.update(kw)
    return d
tf = {"encr": "AES_GCM_16_256", "prf": "HMAC_SHA2_512", "dh_group": "MODP2048"}
good = [ev(1, 1, "ike_init", "info", ike_sa_id="w1"),
        ev(1, 2, "ike_auth", "success", ike_sa_id="w1", responder_id="h1:00000000000000aa",
           peer_ip="192.0.2.2", transform=tf),
        ev(1, 3, "child_sa_create", "success", ike_sa_id="w1", transform={"encr": "AES_GCM_16_256"},
           peer_ip="192.0.2.2", responder_id="h1:00000000000000aa"),
        ev(2, 4, "ike_init", "success", ike_sa_id="e1", transform=tf),
        ev(2, 5, "ike_auth", "success", ike_sa_id="e1", initiator_id="h1:00000000000000bb",
           transform=tf),
        ev(2, 6, "child_sa_create", "success", ike_sa_id="e1", transform={"encr": "AES_GCM_16_256"},
           initiator_id="h1:00000000000000bb")]
def write(name, events):
    with open("%s/%s.json" % (w, name), "w") as f:
        f.write("".join("2026-11-23T21:00:01.000000+00:00 <85>1 - " + json.dumps(e) + "\n" for e in events))
write("good", good)
regrouped = [dict(e) for e in good]
regrouped[5]["ike_sa_id"] = "e2"
write("regrouped", regrouped)
clear = [dict(e) for e in good]
clear[4]["initiator_id"] = "@west"
write("clear", clear)
PY
t0=$(python3 -c 'import datetime; print(int(datetime.datetime(2026, 11, 23, 21, 0, 0, tzinfo=datetime.timezone.utc).timestamp()) * 1000000)')
cmp_args=(--redacted --expected-dir "$F" --side west=1 --side east=2 --window "psk-ok=$t0,$((t0 + 10))")
python3 "$ROOT/tests/lab/compare.py" "${cmp_args[@]}" "$WORK/good.json" >"$WORK/good.txt" ||
	fail "compare.py rejects events equal to psk-ok.expected: $(cat "$WORK/good.txt")"
for bad in regrouped clear; do
	python3 "$ROOT/tests/lab/compare.py" "${cmp_args[@]}" "$WORK/$bad.json" >"$WORK/$bad.txt" &&
		fail "compare.py accepts the $bad events"
done
grep -q 'FAIL psk-ok east: 3 events expected, 3 received' "$WORK/regrouped.txt" || fail "no diff for the regrouped Child SA"
grep -q "identities in clear in the events: \['@west'\]" "$WORK/clear.txt" || fail "the identity in clear is not reported"
ok "compare.py: equal events pass; a Child SA in another IKE SA, or an identity in clear, fail"

# The captures replayed through `ikelogd normalize` (each scenario's .syslog:
# both plutos, told apart by host, with their pids) give the events of its
# .expected, as compare.py reads them for the end-to-end test; and the story
# of each IKE SA holds on them (tests/tools/sa-story): every event after the
# first line naming the SA's peer address carries peer_ip (>= 99%), no
# failed exchange has more than one failure event, no failure outcome lacks
# an error code, reason, peer address or peer ID that a line merged into it
# printed, and `normalize --summary`
# gives each IKE SA exactly one ike_sa_summary with the right outcome and
# duration (the .syslog timestamps have whole seconds).
if [ -x "$IKELOGD" ]; then
	for e in "$F"/*.expected; do
		s=$(basename "$e" .expected)
		read -r _ wpid epid < <(grep "^$s " "$F/pids.txt")
		"$IKELOGD" normalize -c "$ROOT/fixtures/golden/golden.yaml" "$F/$s.syslog" >"$WORK/$s.events" 2>/dev/null ||
			fail "$s: normalize failed"
		python3 "$ROOT/tests/lab/compare.py" --expected-dir "$F" --side "west=$wpid" --side "east=$epid" \
			--window "$s=0,99999999999999999" "$WORK/$s.events" >"$WORK/$s.cmp" ||
			{ cat "$WORK/$s.cmp"; fail "$s: the replayed events differ from $s.expected"; }
	done
	ok "every scenario replayed from its .syslog gives the events of its .expected"
	"$ROOT/tests/tools/sa-story" --ikelogd "$IKELOGD" -c "$ROOT/fixtures/golden/golden.yaml" \
				--min-carried 99 --max-multi 0 --max-lacking 0 --summary "$F"/*.syslog >"$WORK/story.out" ||
		{ cat "$WORK/story.out"; fail "an IKE SA's story does not hold on the captures"; }
	sed -n 's/^figure: /figure: lab_/p' "$WORK/story.out"
		ok "$(sed -n 's/^carried peer_ip: //p' "$WORK/story.out"); $(sed -n 's/^failed exchanges: //p' "$WORK/story.out"); $(sed -n 's/^IKE SAs: //p' "$WORK/story.out")"
else
	echo "skip: build/ikelogd not built: the replay of the captures is not checked"
fi
