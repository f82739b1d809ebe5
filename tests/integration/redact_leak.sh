#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# No secret leaves the gateway: pluto debug captures (plutodebug=all, a
# known PSK) go through `ikelogd normalize`, the same stages the daemon
# runs, and the output must not hold the PSK, any key or nonce the capture
# printed (whole or any 8-byte piece of it, in any case, bytes apart or
# not), nor any identity in clear (default policy, and message kept with
# debug lines: identities are hashed there too).
#
# Captures: fixtures/redact/psk-debug-synthetic.log (written by hand from
# pluto's debug shapes, with the PSK dumped as pluto's hex dump prints it)
# always, and the lab's real capture fixtures/lab/psk-debug.log (pluto
# 4.10, plutodebug=all) when it is there. Each has a .secrets.txt: one
# secret a line (the PSK as text, keys and nonces as hex), '#' comments.
# A secret the capture does not hold is reported (pluto 4.10 with
# plutodebug=all never prints the PSK) and still looked for in the output.
source "$(dirname "$0")/lib/common.sh"
need_cmd python3

[ -x "$IKELOGD" ] || fail "$IKELOGD not built (make)"
RULES=$ROOT/conf/rules/libreswan.yaml
[ -f "$RULES" ] || fail "no $RULES"

captures=("$ROOT/fixtures/redact/psk-debug-synthetic")
[ -f "$ROOT/fixtures/lab/psk-debug.log" ] && [ -f "$ROOT/fixtures/lab/psk-debug.secrets.txt" ] &&
	captures+=("$ROOT/fixtures/lab/psk-debug")

# write_config FILE MESSAGE_ACTION KEEP_DEBUG
write_config() {
	cat >"$1" <<EOF
# SPDX-License-Identifier: Apache-2.0
rules: [$RULES]
source:
  keep_debug_lines: $3
redact:
  key_file: $WORK/pseudonym.key
  generate_key: false
  fields:
    message: $2
output:
  type: stdout
EOF
}
# A fixed key, mode 0600: pseudonyms this test can compute itself.
printf '0123456789abcdef0123456789abcdef' >"$WORK/pseudonym.key"
chmod 0600 "$WORK/pseudonym.key"
write_config "$WORK/keep.yaml" keep true
write_config "$WORK/default.yaml" drop false

# check.py OUTPUT CAPTURE SECRETS MODE: exits 1 and says what leaked.
cat >"$WORK/check.py" <<'EOF'
# SPDX-License-Identifier: Apache-2.0
import json, re, sys

out_path, cap_path, sec_path, mode, name = sys.argv[1:6]
raw = open(out_path, encoding="utf-8", errors="replace").read()
capture = open(cap_path, encoding="utf-8", errors="replace").read()
secrets = [l.strip() for l in open(sec_path) if l.strip() and not l.startswith("#")]

# Every string value of every event, decoded (json-c escapes '/').
strings = []
def walk(v):
    if isinstance(v, dict):
        for k, x in v.items():
            # ids ikelogd derives and pseudonyms are hashes of our own: not the capture's hex
            if k in ("event_id", "ike_sa_id", "previous_ike_sa_id"):
                continue
            walk(x)
    elif isinstance(v, list):
        for x in v:
            walk(x)
    elif isinstance(v, str):
        if not re.fullmatch(r"h\d+:[0-9a-f]{16}", v):
            strings.append(v)
events = 0
for line in raw.splitlines():
    if line.strip():
        walk(json.loads(line))
        events += 1
text = "\n".join(strings).lower()
flat = re.sub(r"[\s:,]|0x", "", text)  # bytes apart, colon-separated, 0x-prefixed: all one run
raw_l = raw.lower()
leaks = []

def is_hex(s):
    return re.fullmatch(r"(?:0x)?[0-9a-fA-F]+", s) is not None and len(s) % 2 == 0

n_hex = n_text = n_in_capture = n_public = 0
broken = False

# Hex that pluto prints in short lines that are no dump: SPIs, cookies, msgids.
DUMP_LINE = re.compile(r"^\|\]?\s{2,}[0-9a-fA-F]{2}(?:\s{1,2}[0-9a-fA-F]{2})*(?:\s{3,}.*)?$")
public = []
for line in capture.splitlines():
    if DUMP_LINE.match(line):
        continue
    runs = [re.sub(r"[\s:]|0x", "", m) for m in
            re.findall(r"(?:0x)?[0-9a-fA-F]{2}(?:[\s:]{1,2}[0-9a-fA-F]{2})*", line)]
    if sum(len(r) for r in runs) < 32:
        public.extend(r.lower() for r in runs if len(r) >= 16)
public = "\n".join(public)
for s in secrets:
    if is_hex(s):
        n_hex += 1
        h = s.lower().removeprefix("0x")
        forms = [h, " ".join(h[i:i + 2] for i in range(0, len(h), 2)),
                 ":".join(h[i:i + 2] for i in range(0, len(h), 2))]
        for f in forms:
            if f in raw_l or f in text:
                leaks.append("whole secret %s... as '%s...'" % (h[:16], f[:24]))
        # any 8-byte piece, wherever its bytes went; except a piece pluto
        # itself prints as a short public value (an IKE SPI in "initiator
        # SPI: 2b 8c f7 52  22 34 17 06"), which a secret list made from
        # packet dumps can hold and which the scrub leaves (under 16 bytes)
        for i in range(0, len(h) - 16 + 1, 2):
            if h[i:i + 16] in public:
                n_public += 1
            elif h[i:i + 16] in flat:
                leaks.append("8-byte piece %s of %s..." % (h[i:i + 16], h[:16]))
                break
    else:
        n_text += 1
        t = s.lower()
        if t in raw_l or t in text:
            leaks.append("text secret %r" % s)
        tf = re.sub(r"\s", "", t)
        for i in range(0, len(tf) - 8 + 1):
            if tf[i:i + 8] in flat:
                leaks.append("8-character piece %r of a text secret" % tf[i:i + 8])
                break
        hx = s.encode().hex()
        for i in range(0, len(hx) - 16 + 1, 2):
            if hx[i:i + 16] in flat:
                leaks.append("8-byte hex piece of a text secret")
                break
    # the capture must really hold it, or this test proves nothing for it
    cap_flat = re.sub(r"[\s:,|]|0x", "", capture.lower())
    if is_hex(s):
        if s.lower().removeprefix("0x")[:16] not in cap_flat:
            print("FAILED: hex secret %s... is not in the capture" % s[:16], file=sys.stderr)
            sys.exit(2)
        n_in_capture += 1
    elif s.lower() in capture.lower() or s.encode().hex()[:16] in cap_flat or \
            re.sub(r"\s", "", s.lower())[:8] in cap_flat:
        n_in_capture += 1
    else:
        print("figure: %s_%s_text_secret_not_printed_by_pluto 1" % (name, mode))

print("figure: %s_%s_secrets_in_capture %d" % (name, mode, n_in_capture))
if n_in_capture == 0:
    print("FAILED: the capture holds none of its secrets", file=sys.stderr)
    sys.exit(2)

def capture_ids():
    ids = set(re.findall(r"(?:ID_)?(?:FQDN|USER_FQDN|IPV4_ADDR|IPV6_ADDR|DER_ASN1_DN|KEY_ID) '([^']+)'", capture))
    for a, b in re.findall(r"secret for (\S+?)->(\S+?) of kind", capture):
        ids |= {a, b}
    return {i for i in ids if not re.fullmatch(r"[0-9.:a-fA-F]+", i)}  # addresses are kept by policy

if mode == "default":
    ids = capture_ids()
    for i in sorted(ids):
        if i.lower() in raw_l or i.lower() in text:
            leaks.append("identity %r in clear" % i)
    print("figure: %s_%s_identities_checked %d" % (name, mode, len(ids)))
    if not ids:
        print("FAILED: no identity found in the capture to check", file=sys.stderr)
        sys.exit(2)
else:
    # Kept messages, debug lines included, do not give the identities back either.
    ids, n_checked = capture_ids(), 0
    for line in raw.splitlines():
        ev = json.loads(line) if line.strip() else {}
        if "message" in ev:
            n_checked += 1
            for i in ids:
                if i.lower() in ev["message"].lower():
                    leaks.append("identity %r in a kept message: %.80s" % (i, ev["message"]))
    print("figure: %s_%s_messages_checked_for_identities %d" % (name, mode, n_checked))
    if n_checked == 0 or not ids:
        print("FAILED: no kept message or no identity to check", file=sys.stderr)
        sys.exit(2)
    if "[redacted]" not in text:
        print("FAILED: nothing was scrubbed: the debug lines did not come through", file=sys.stderr)
        broken = True

print("figure: %s_%s_events %d" % (name, mode, events))
print("figure: %s_%s_public_pieces_skipped %d" % (name, mode, n_public))
print("figure: %s_%s_secrets %d (%d hex, %d text)" % (name, mode, len(secrets), n_hex, n_text))
for l in leaks:
    print("LEAK: " + l, file=sys.stderr)
sys.exit(1 if leaks or broken else 0)
EOF

for cap in "${captures[@]}"; do
	name=$(basename "$cap")
	nsec=$(grep -cv '^#' "$cap.secrets.txt")
	ndebug=$(grep -c '^|' "$cap.log" || true)
	echo "figure: ${name}_secrets $nsec"
	echo "figure: ${name}_debug_lines $ndebug"

	"$IKELOGD" normalize -c "$WORK/keep.yaml" --stats "$cap.log" >"$WORK/$name.keep.json" \
		2>"$WORK/$name.keep.err" || { cat "$WORK/$name.keep.err" >&2; fail "$name: normalize (message: keep) failed"; }
	python3 "$WORK/check.py" "$WORK/$name.keep.json" "$cap.log" "$cap.secrets.txt" keep "$name" ||
		fail "$name: a secret leaked with message: keep and keep_debug_lines: true"
	ok "$name: message kept, debug lines kept: none of $nsec secrets and no identity in the output"
	echo "figure: ${name}_values_scrubbed $(grep -o '\[redacted\]' "$WORK/$name.keep.json" | wc -l)"

	"$IKELOGD" normalize -c "$WORK/default.yaml" "$cap.log" >"$WORK/$name.default.json" \
		2>"$WORK/$name.default.err" || { cat "$WORK/$name.default.err" >&2; fail "$name: normalize (default policy) failed"; }
	python3 "$WORK/check.py" "$WORK/$name.default.json" "$cap.log" "$cap.secrets.txt" default "$name" ||
		fail "$name: a secret or an identity leaked with the default policy"
	ok "$name: default policy: no secret and no identity in clear"
done

# The pseudonyms are HMAC-SHA256 under our key, as Python's hmac computes them.
python3 - "$WORK/pseudonym.key" "$WORK/psk-debug-synthetic.default.json" <<'EOF' ||
import hashlib, hmac, json, sys
key = open(sys.argv[1], "rb").read()
want = {"@east": "h1:" + hmac.new(key, b"@east", hashlib.sha256).hexdigest()[:16],
        "@west": "h1:" + hmac.new(key, b"@west", hashlib.sha256).hexdigest()[:16]}
seen = set()
for line in open(sys.argv[2]):
    ev = json.loads(line)
    if ev.get("rule", "").startswith("ike_auth.established"):
        peer = "@east" if ev.get("role") == "initiator" else "@west"
        if ev.get("peer_id") != want[peer]:
            sys.exit("peer_id %r, want %r (HMAC of %s)" % (ev.get("peer_id"), want[peer], peer))
        seen.add(peer)
if seen != {"@east", "@west"}:
    sys.exit("established events for %s only" % sorted(seen))
EOF
	fail "pseudonyms differ from HMAC-SHA256 under the key"
ok "peer_id pseudonyms are h1: + HMAC-SHA256(key, id)[:16], as an independent HMAC computes them"

# A key file others can read stops the tool before it reads a line.
chmod 0644 "$WORK/pseudonym.key"
if "$IKELOGD" normalize -c "$WORK/default.yaml" "${captures[0]}.log" >"$WORK/refused.json" 2>"$WORK/refused.err"; then
	fail "normalize ran with a key file of mode 0644"
fi
grep -q 'mode 0644' "$WORK/refused.err" || { cat "$WORK/refused.err" >&2; fail "no 'mode 0644' in the refusal"; }
[ ! -s "$WORK/refused.json" ] || fail "events were written although the key file was refused"
ok "key file of mode 0644 refused, nothing written"
