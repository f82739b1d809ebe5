#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The syslog receiver runs in a child process of its own that holds none
# of the daemon's keys and runs under seccomp. ikelogd listens over TLS
# (its own server certificate), signs (sign.key), pseudonymizes
# (pseudonym.key) and ships over TLS with a client key to a real rsyslog
# collector. Checked: the child's /proc/PID/status says "Seccomp: 2"; its
# memory (every readable mapping of /proc/PID/mem) holds none of the
# client key (PEM, DER, private scalar), the pseudonym key or the signing
# key, while the parent's holds them (the search works). Then a real
# rsyslog gateway (imfile, omfwd over TLS with an action queue) streams
# 10,000 pluto lines, the child is killed with SIGKILL in the middle: it
# is back within 1 s, the crash is counted (receiver_crashes 1), and every
# record the parent received (lines_read) reached the collector. The
# figure says how many of the 10,000 arrived. Last, SIGHUPs: unchanged
# options keep the child, a replaced certificate or new listener options
# start a new confined child.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/pki.sh"
source "$(dirname "$0")/lib/rsyslog.sh"
need_root "reads /proc/PID/mem"
need_cmd rsyslogd openssl python3 ss
[ -x "$IKELOGD" ] || fail "build/ikelogd is missing: run make"
export TZ=UTC

N=10000
pki=$WORK/pki
pki_make "$pki" || fail "test PKI not made"
pki_leaf "$pki" ikelogd ca ikelogd.test "DNS:ikelogd.test" serverAuth
pki_leaf "$pki" gw-east ca gw-east.test "DNS:gw-east.test" clientAuth
chmod 0644 "$pki"/*.key
mkdir -m 0700 "$WORK/keys"
"$IKELOGD" keygen "$WORK/keys" >/dev/null || fail "keygen failed"
# As made: ikelogd removes K(0) from sign.key once it has ratcheted past it.
cp "$WORK/keys/sign.key" "$WORK/sign.key.orig"

cport=$(free_port)
rsyslog_setup collector "$cport" ossl "$pki"
rsyslog_start collector
out=$(rsyslog_out collector)

lport=$(free_port)
lport2=$(free_port)
prom=$WORK/ikelogd.prom
config() { # IDLE_TIMEOUT EXTRA_LISTEN
	cat <<EOF
source:
  type: syslog
  syslog:
    listen: [tls://127.0.0.1:$lport$2]
    ca_file: $pki/ca.pem
    cert_file: $pki/ikelogd.pem
    key_file: $pki/ikelogd.key
    permitted_peers: [gw-east.test]
    idle_timeout_s: $1
$(ikelogd_base_config)
sign: {enabled: true, key_file: $WORK/keys/sign.key, state_file: $WORK/sign.state}
limits: {in_flight: 4096}
$(tls_output "$pki" "$cport")
  backoff_min_ms: 100
  backoff_max_ms: 1000
stats:
  interval_s: 1
  prometheus_file: $prom
EOF
}
config 30 "" >"$WORK/ikelogd.yaml"
"$IKELOGD" run -c "$WORK/ikelogd.yaml" 2>"$WORK/daemon.err" &
dpid=$!
track $dpid
wait_for 10 rsyslog_listening "$lport" || fail "ikelogd does not listen on $lport: $(tail -n 5 "$WORK/daemon.err")"
# The receiver child of the daemon (builtins only: polled every 10 ms).
child() {
	local c kids=() args=()
	read -r -a kids <"/proc/$dpid/task/$dpid/children" || true
	for c in "${kids[@]}"; do
		mapfile -d '' args <"/proc/$c/cmdline" 2>/dev/null || continue
		[ "${args[1]:-}" = receiver-child ] && { echo "$c"; return 0; }
	done
	return 0
}
wait_for 5 eval '[ -n "$(child)" ]' || fail "no receiver child under $dpid: $(tail -n 5 "$WORK/daemon.err")"
kid=$(child)
ok "ikelogd $dpid listens on tls://127.0.0.1:$lport through receiver child $kid"

grep -q '^Seccomp:[[:space:]]*2$' "/proc/$kid/status" ||
	fail "child $kid is not under a seccomp filter: $(grep Seccomp "/proc/$kid/status")"
grep -q '^Seccomp:[[:space:]]*0$' "/proc/$dpid/status" || fail "the parent has a filter of its own?"
ok "child $kid: Seccomp: 2 (filter mode); parent $dpid: Seccomp: 0"

# The needles: the output's client key as its file (PEM), as DER and as its
# private scalar (big-endian, and little-endian as OpenSSL's BIGNUM keeps
# it in 64-bit words); the pseudonym key file's bytes; the Ed25519 private
# key of sign.key and its first chain key K(0), hex-decoded, and the hex text.
openssl pkey -in "$pki/client.key" -outform DER -out "$WORK/client.der" 2>/dev/null || fail "DER"
scalar=$(openssl pkey -in "$pki/client.key" -noout -text 2>/dev/null |
	sed -n '/^priv:/,/^pub:/{/^priv:/d;/^pub:/d;p}' | tr -d ' :\n' | grep -o '.\{64\}$')
[ ${#scalar} -eq 64 ] || fail "no P-256 private scalar read from client.key (${#scalar} hex digits)"
memscan() { # PID: one line per needle, "name found|absent"
	python3 - "$1" "$pki/client.key" "$WORK/client.der" "$scalar" "$WORK/pseudonym.key" \
		"$WORK/sign.key.orig" <<'PY'
import re, sys
pid, pem, der, scalar, pseudo, sign = sys.argv[1:]
be = bytes.fromhex(scalar)
needles = {
    "client_key_pem": open(pem, "rb").read().split(b"-----")[2].strip()[:48],
    "client_key_der": open(der, "rb").read(),
    "client_key_scalar_be": be,
    "client_key_scalar_bn": be[::-1],
    "pseudonym_key": open(pseudo, "rb").read(),
}
fields = dict(l.split(None, 1) for l in open(sign).read().splitlines() if l and l[0] != "#")
needles["sign_key_ed25519"] = bytes.fromhex(fields["ed25519"])
needles["sign_key_k0"] = bytes.fromhex(fields["k0"])
needles["sign_key_ed25519_hex"] = fields["ed25519"].encode()
for k, v in needles.items():
    assert len(v) >= 16, k
found = {k: False for k in needles}
regions = 0
with open("/proc/%s/maps" % pid) as maps, open("/proc/%s/mem" % pid, "rb", 0) as mem:
    for line in maps:
        f = line.split()
        lo, hi = (int(x, 16) for x in f[0].split("-"))
        if not f[1].startswith("r") or (len(f) > 5 and f[5] == "[vvar]"):
            continue
        try:
            mem.seek(lo)
            data = mem.read(hi - lo)
        except (OSError, ValueError, OverflowError):
            continue
        regions += 1
        for k, v in needles.items():
            if not found[k] and v in data:
                found[k] = True
print("regions %d" % regions)
for k, v in found.items():
    print(k, "found" if v else "absent")
PY
}
# The parent loads the signing key and the pseudonym key before it serves.
memscan "$dpid" >"$WORK/parent.scan" || fail "cannot read the parent's memory"
memscan "$kid" >"$WORK/child.scan" || fail "cannot read the child's memory"
sed 's/^/    parent: /' "$WORK/parent.scan"
sed 's/^/    child: /' "$WORK/child.scan"
grep -q '^regions [1-9]' "$WORK/child.scan" || fail "no region of the child read"
grep -q 'found' "$WORK/child.scan" && fail "the child holds a key: $(grep found "$WORK/child.scan" | tr '\n' ' ')"
grep -q '^pseudonym_key found' "$WORK/parent.scan" || fail "the search misses the pseudonym key in the parent"
grep -q '^sign_key_ed25519 found' "$WORK/parent.scan" || fail "the search misses the signing key in the parent"
ok "child $kid: none of $(grep -c -e absent "$WORK/child.scan") key needles in its memory; the parent holds $(grep -c found "$WORK/parent.scan") of them (the search finds what is there)"

# The gateway: real rsyslog, imfile on a pluto logfile written as the test
# goes, omfwd over TLS with a disk-assisted action queue (it resends what
# it could not send).
gw=$WORK/gw-east
mkdir -p "$gw/work"
: >"$gw/pluto.log"
sed -e "s|@WORKDIR@|$gw/work|g" -e "s|@HOSTNAME@|gw-east|g" -e "s|@DRIVER@|ossl|g" \
	-e "s|@CA@|$pki/ca.pem|g" -e "s|@CERT@|$pki/gw-east.pem|g" -e "s|@KEY@|$pki/gw-east.key|g" \
	-e "s|@PEER@|ikelogd.test|g" -e "s|@TARGET@|127.0.0.1|g" -e "s|@PORT@|$lport|g" \
	-e "s|@PLUTO_LOG@|$gw/pluto.log|g" -e "s|@TEMPLATE@|RSYSLOG_SyslogProtocol23Format|g" \
	-e "s|@FRAMING@|octet-counted|g" \
	"$ROOT/conf/collector/rsyslog-forward-to-ikelogd.conf" >"$gw/rsyslog.conf"
rsyslogd -N1 -f "$gw/rsyslog.conf" >"$gw/check.log" 2>&1 || fail "gateway config: $(tail -n 3 "$gw/check.log")"
rsyslogd -n -f "$gw/rsyslog.conf" -i "$gw/rsyslogd.pid" >>"$gw/rsyslogd.log" 2>&1 &
track $!
# 10,000 lines (IKE SA #1..#10000), 50 every 10 ms: a steady stream of 2 s or more.
python3 - "$N" "$gw/pluto.log" <<'PY' &
import sys, time
n, path = int(sys.argv[1]), sys.argv[2]
line = "\"westeast\" #%d: responder established IKE SA; authenticated peer using authby=secret and ID_FQDN '@west'\n"
with open(path, "a") as f:
    for i in range(1, n + 1):
        f.write(line % i)
        if i % 50 == 0:
            f.flush()
            time.sleep(0.01)
PY
writer=$!
track $writer

events() { { grep -v '"daemon_stats"' "$out" 2>/dev/null || true; } | grep -c '"event_type"' || true; }
wait_for 60 eval '[ "$(events)" -ge 3000 ]' || fail "the stream did not start: $(events) events; $(tail -n 3 "$WORK/daemon.err")"
before=$(events)
written=$(wc -l <"$gw/pluto.log")
t_kill=$(date +%s.%N)
kill -KILL "$kid"
new=""
for _ in $(seq 300); do
	new=$(child)
	[ -n "$new" ] && [ "$new" != "$kid" ] && grep -q '^Seccomp:[[:space:]]*2$' "/proc/$new/status" 2>/dev/null && break
	new=""
	sleep 0.01
done
t_back=$(date +%s.%N)
[ -n "$new" ] || fail "no new receiver child within 3 s: $(tail -n 5 "$WORK/daemon.err")"
back_ms=$(python3 -c "print(round(($t_back - $t_kill) * 1000))")
echo "figure: syslog_privsep_restart_ms $back_ms"
[ "$back_ms" -lt 1000 ] || fail "the child came back after $back_ms ms"
ok "child $kid killed (SIGKILL) with $written of $N lines written, $before events at the collector; child $new under seccomp after $back_ms ms"
wait $writer 2>/dev/null || true

# The stream ends: nothing more for 6 s (rsyslog retries every second).
last=-1
stable=0
for _ in $(seq 120); do
	now=$(events)
	[ "$now" -ge "$N" ] && break
	if [ "$now" = "$last" ]; then
		stable=$((stable + 1))
		[ "$stable" -ge 12 ] && break
	else
		stable=0
	fi
	last=$now
	sleep 0.5
done
metric() { sed -n "s/^ikelogd_$1_total //p" "$prom"; }
# Settled: the collector holds as many events as the parent received records
# (the stats timer's own events, one a second, are not counted on either side).
settled() { [ "$(events)" = "$(metric lines_read)" ]; }
wait_for 20 settled || fail "the parent received $(metric lines_read) records, the collector has $(events) events; delivered $(metric delivered)"
read_n=$(metric lines_read)
crashes=$(metric receiver_crashes)
# The events' serials (the signed stream's SD elements are not tls_check's format).
res=$(python3 - "$N" "$out" <<'PY'
import collections, json, sys
n, path = int(sys.argv[1]), sys.argv[2]
seen = collections.Counter()
invalid = 0
for line in open(path, encoding="utf-8", errors="replace"):
    try:
        ev = json.loads(line[line.index("{"):])
    except ValueError:
        invalid += 1
        continue
    if ev.get("event_type") == "daemon_stats":
        continue
    s = ev.get("state_serial")
    if not isinstance(s, int) or not 1 <= s <= n:
        invalid += 1
        continue
    seen[s] += 1
print("invalid=%d unique=%d missing=%d dup=%d" % (invalid, len(seen), n - len(seen),
      sum(c - 1 for c in seen.values())))
PY
)
echo "    collector: $res"
unique=$(val unique "$res")
dup=$(val dup "$res")
[ "$(val invalid "$res")" = 0 ] || fail "invalid events at the collector: $res"
[ "$crashes" = 1 ] || fail "receiver_crashes is '$crashes', want 1"
grep -q "syslog: receiver $kid killed by signal 9" "$WORK/daemon.err" || fail "the crash is not logged"
# Every record the parent received became an event at the collector.
[ "$((unique + dup))" = "$read_n" ] ||
	fail "the parent received $read_n records, the collector has $unique + $dup duplicates"
echo "figure: syslog_privsep_arrived_of_10000 $unique"
echo "figure: syslog_privsep_duplicates $dup"
ok "receiver_crashes 1 and logged; the parent received $read_n records and all $read_n reached the collector: $unique of $N distinct lines arrived ($((N - unique)) lost inside the killed child or its socket, $dup sent twice by rsyslog)"

# SIGHUP with the same options keeps the child; a server certificate
# replaced under the same name restarts it.
reloads() { grep -c '^ikelogd: reloaded ' "$WORK/daemon.err" || true; }
n=$(reloads)
kill -HUP "$dpid"
wait_for 10 eval '[ "$(reloads)" -gt "$n" ]' || fail "no reload logged"
[ "$(child)" = "$new" ] || fail "an unchanged reload restarted the child ($new -> $(child))"
cp "$pki/ikelogd.pem" "$WORK/ikelogd.pem.new"
mv "$WORK/ikelogd.pem.new" "$pki/ikelogd.pem"
kill -HUP "$dpid"
replaced() { c=$(child); [ -n "$c" ] && [ "$c" != "$new" ]; }
wait_for 10 replaced || fail "a replaced certificate did not restart the child"
new=$(child)
ok "SIGHUP: unchanged options keep child; a replaced server certificate starts child $new"

# SIGHUP with new listener options: a new child on them, the old one gone.
config 31 ", tcp://127.0.0.1:$lport2" >"$WORK/ikelogd.yaml"
kill -HUP "$dpid"
wait_for 10 rsyslog_listening "$lport2" || fail "no listener on $lport2 after SIGHUP: $(tail -n 5 "$WORK/daemon.err")"
reloaded() { c=$(child); [ -n "$c" ] && [ "$c" != "$new" ] && ! kill -0 "$new" 2>/dev/null; }
wait_for 10 reloaded || fail "the old child $new still runs or no new one: $(pgrep -P "$dpid" -a)"
kid3=$(child)
grep -q '^Seccomp:[[:space:]]*2$' "/proc/$kid3/status" || fail "the new child is not confined"
tr '\0' ' ' <"/proc/$kid3/cmdline" | grep -q 'receiver-child' || fail "not the receiver"
printf '<86>1 2026-11-23T20:25:58Z gw-east pluto 42 - - "westeast" #%d: responder established IKE SA; authenticated peer using authby=secret and ID_FQDN '"'"'@west'"'"'\n' $((N + 1)) |
	python3 -c "import socket,sys; s=socket.create_connection(('127.0.0.1',$lport2)); s.sendall(sys.stdin.buffer.read()); s.close()"
wait_for 10 grep -q "\"state_serial\":$((N + 1))[,}]" "$out" || fail "the reloaded listener's line did not arrive"
[ "$(metric receiver_crashes)" = 1 ] || fail "a reload counted as a crash: $(metric receiver_crashes)"
ok "SIGHUP: child $new stopped, child $kid3 (Seccomp: 2) listens on tls://:$lport and tcp://:$lport2 too; its line arrived; receiver_crashes still 1"
