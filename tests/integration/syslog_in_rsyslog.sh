#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# ikelogd as the forwarding target of real rsyslog: two gateways (two
# rsyslogd with their own localHostname, imfile on a pluto logfile, omfwd
# over TLS with x509/name, one RFC 5424 + octet-counted, one RFC 3164
# (omfwd's default template, BSD time) + LF framing) send 5,000 pluto lines each to ikelogd (source syslog,
# mutual TLS, permitted_peers), which ships the events over TLS to a third
# rsyslog, the collector. Every line arrives as the right event with the
# right platform.host, and the same serials #1.. on both gateways make two
# separate sets of IKE SAs.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/pki.sh"
source "$(dirname "$0")/lib/rsyslog.sh"
need_cmd rsyslogd openssl python3 ss
[ -x "$IKELOGD" ] || fail "build/ikelogd is missing: run make"
export TZ=UTC

FAMILIES=${FAMILIES:-1000} # 5 lines each, per gateway

pki=$WORK/pki
pki_make "$pki" || fail "test PKI not made"
pki_leaf "$pki" ikelogd ca ikelogd.test "DNS:ikelogd.test" serverAuth
pki_leaf "$pki" gw-east ca gw-east.test "DNS:gw-east.test" clientAuth
pki_leaf "$pki" gw-west ca gw-west.test "DNS:gw-west.test" clientAuth
chmod 0644 "$pki"/*.key

# The collector: rsyslog with imtcp over TLS, ikelogd's client cert (gateway.test) allowed.
cport=$(free_port)
rsyslog_setup collector "$cport" ossl "$pki"
rsyslog_start collector
out=$(rsyslog_out collector)

lport=$(free_port)
prom=$WORK/ikelogd.prom
cat >"$WORK/ikelogd.yaml" <<EOF
source:
  type: syslog
  syslog:
    listen: [tls://127.0.0.1:$lport]
    ca_file: $pki/ca.pem
    cert_file: $pki/ikelogd.pem
    key_file: $pki/ikelogd.key
    permitted_peers: [gw-east.test, gw-west.test]
    idle_timeout_s: 2
$(ikelogd_base_config)
$(tls_output "$pki" "$cport")
stats:
  interval_s: 1
  prometheus_file: $prom
EOF
"$IKELOGD" run -c "$WORK/ikelogd.yaml" 2>"$WORK/daemon.err" &
dpid=$!
track $dpid
wait_for 10 rsyslog_listening "$lport" || fail "ikelogd does not listen on $lport: $(tail -n 5 "$WORK/daemon.err")"
ok "ikelogd listens on tls://127.0.0.1:$lport"

# The pluto logfiles: gw-east with pluto's time prefix (logtime=yes), gw-west bare.
# Families: IKE SA #(2k-1) and its Child SA #2k, the same serials on both gateways.
base=$(date -u +%s)
for gw in gw-east gw-west; do
	mkdir -p "$WORK/$gw/work"
	python3 - "$gw" "$FAMILIES" "$base" >"$WORK/$gw/pluto.log" <<'EOF'
import sys, time
gw, n, base = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
peer = {"gw-east": "192.1.2.45", "gw-west": "192.1.2.23"}[gw]
i = 0
for k in range(1, n + 1):
    ike, child = 2 * k - 1, 2 * k
    c = '"tunnel-%d"' % (k % 7)
    lines = [
        f"{c} #{ike}: initiating IKEv2 connection to {peer} using UDP",
        f"{c} #{ike}: sent IKE_SA_INIT request to {peer}:UDP/500",
        f"{c} #{ike}: processed IKE_SA_INIT response from {peer}:UDP/500 {{cipher=AES_GCM_16_256 integ=n/a prf=HMAC_SHA2_512 group=DH19}}, initiating IKE_AUTH",
        f"{c} #{ike}: initiator established IKE SA; authenticated peer using authby=secret and ID_FQDN '@{gw}-peer'",
        f"{c} #{child}: initiator established Child SA using #{ike}; IPsec tunnel [192.0.1.0/24===192.0.2.0/24] {{ESP/ESN=>0x{k:08x} <0x{k + 0x10000000:08x} xfrm=AES_GCM_16_256 DPD=passive}}",
    ]
    for l in lines:
        if gw == "gw-east":
            # pluto's logfile time: local (TZ=UTC here), microseconds, no year.
            t = base + i // 1000
            us = i % 1000 * 1000
            l = time.strftime("%b %e %H:%M:%S", time.gmtime(t)) + ".%06d: " % us + l
        print(l)
        i += 1
EOF
done
[ "$(wc -l <"$WORK/gw-east/pluto.log")" -eq $((FAMILIES * 5)) ] || fail "pluto log not written"

start_gateway() { # NAME TEMPLATE FRAMING
	local gw=$1 d=$WORK/$1
	sed -e "s|@WORKDIR@|$d/work|g" -e "s|@HOSTNAME@|$gw|g" -e "s|@DRIVER@|ossl|g" \
		-e "s|@CA@|$pki/ca.pem|g" -e "s|@CERT@|$pki/$gw.pem|g" -e "s|@KEY@|$pki/$gw.key|g" \
		-e "s|@PEER@|ikelogd.test|g" -e "s|@TARGET@|127.0.0.1|g" -e "s|@PORT@|$lport|g" \
		-e "s|@PLUTO_LOG@|$d/pluto.log|g" -e "s|@TEMPLATE@|$2|g" -e "s|@FRAMING@|$3|g" \
		"$ROOT/conf/collector/rsyslog-forward-to-ikelogd.conf" >"$d/rsyslog.conf"
	rsyslogd -N1 -f "$d/rsyslog.conf" >"$d/check.log" 2>&1 ||
		fail "rsyslog rejects the gateway config: $(tail -n 3 "$d/check.log")"
	rsyslogd -n -f "$d/rsyslog.conf" -i "$d/rsyslogd.pid" >>"$d/rsyslogd.log" 2>&1 &
	track $!
}
t0=$(date +%s.%N)
start_gateway gw-east RSYSLOG_SyslogProtocol23Format octet-counted
start_gateway gw-west RSYSLOG_TraditionalForwardFormat traditional
ok "gateway config conf/collector/rsyslog-forward-to-ikelogd.conf passes rsyslogd -N1"

want=$((FAMILIES * 10))
arrived() { [ "$(grep -v '"daemon_stats"' "$out" 2>/dev/null | grep -c '"event_type"')" -ge "$want" ]; }
wait_for 120 arrived || fail "only $(grep -v daemon_stats "$out" 2>/dev/null | grep -c event_type) of $want events reached the collector; ikelogd: $(tail -n 5 "$WORK/daemon.err")"
t1=$(date +%s.%N)
ok "$want events reached the collector"
echo "figure: syslog_in_rsyslog_events_per_s $(python3 -c "print(round($want / ($t1 - $t0)))")"

python3 - "$out" "$FAMILIES" "$base" "$t0" "$t1" <<'EOF' || fail "the events are not right (above)"
import json, sys, collections, datetime
path, n, base = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
t0, t1 = float(sys.argv[4]), float(sys.argv[5])
evs = []
for line in open(path, encoding="utf-8"):
    if "{" not in line:
        continue
    e = json.loads(line[line.index("{"):])
    if e.get("event_type") == "daemon_stats":
        continue
    evs.append(e)
def check(cond, what):
    if not cond:
        print("FAILED:", what, file=sys.stderr)
        sys.exit(1)
check(len(evs) == 10 * n, f"{len(evs)} events, want {10 * n}")
by_host = collections.defaultdict(list)
for e in evs:
    by_host[e.get("platform", {}).get("host")].append(e)
check(sorted(by_host) == ["gw-east", "gw-west"], f"hosts {sorted(by_host, key=str)}")
for h, es in by_host.items():
    types = collections.Counter(e["event_type"] for e in es)
    check(types == {"ike_init": 3 * n, "ike_auth": n, "child_sa_create": n}, f"{h}: {dict(types)}")
print("ok: each gateway: %d ike_init, %d ike_auth, %d child_sa_create, platform.host from HOSTNAME" % (3 * n, n, n))
ids = {}
for h, es in by_host.items():
    fam = collections.defaultdict(set)
    for e in es:
        s = e["state_serial"]
        ike = e.get("parent_serial", s) if e["event_type"] == "child_sa_create" else s
        check(e.get("ike_sa_id"), f"{h}: no ike_sa_id: {e}")
        fam[ike].add(e["ike_sa_id"])
    check(len(fam) == n, f"{h}: {len(fam)} IKE SA families")
    bad = [k for k, v in fam.items() if len(v) != 1]
    check(not bad, f"{h}: families with more than one ike_sa_id: {bad[:5]}")
    ids[h] = {k: next(iter(v)) for k, v in fam.items()}
check(len(set(ids["gw-east"].values())) == n, "gw-east: ike_sa_ids not distinct per IKE SA")
check(ids["gw-east"][1] != ids["gw-west"][1], "serial #1 of both gateways has one ike_sa_id")
check(not set(ids["gw-east"].values()) & set(ids["gw-west"].values()), "the gateways share ike_sa_ids")
print("ok: every IKE SA family has one ike_sa_id within its gateway; #1..#%d of gw-east and gw-west never merge" % (2 * n - 1))
eids = [e["event_id"] for e in evs]
check(len(set(eids)) == len(eids), "event_id not unique")
print("ok: %d distinct event_ids" % len(eids))
# gw-east's lines carry pluto's own time (logfile prefix): line i at base + i//1000 s + (i%1000) ms.
want_first = datetime.datetime.fromtimestamp(base, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000000Z")
ts = sorted(e["timestamp"] for e in by_host["gw-east"])
check(ts[0] == want_first, f"gw-east first timestamp {ts[0]}, want {want_first}")
last = 5 * n - 1
want_last = datetime.datetime.fromtimestamp(base + last // 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + ".%06dZ" % (last % 1000 * 1000)
check(ts[-1] == want_last, f"gw-east last timestamp {ts[-1]}, want {want_last}")
print("ok: gw-east events carry pluto's logfile time (%s .. %s)" % (ts[0], ts[-1]))
# gw-west's bare lines carry the time rsyslog read them, in the BSD format: whole seconds.
def epoch(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp()
ws = sorted(e["timestamp"] for e in by_host["gw-west"])
check(all(s.endswith(".000000Z") for s in ws), "gw-west timestamps not whole seconds: %s" % ws[0])
check(int(t0) - 1 <= epoch(ws[0]) and epoch(ws[-1]) <= t1 + 1, "gw-west timestamps %s .. %s outside the run %f .. %f" % (ws[0], ws[-1], t0, t1))
print("ok: gw-west events carry rsyslog's BSD header time, within the run (%s .. %s)" % (ws[0], ws[-1]))
EOF

# Quiet gateways: longer than idle_timeout_s without a line. rsyslog's TLS
# output would lose its next write on a connection ikelogd closed; the
# authenticated connections stay open and the next lines arrive.
sleep 4
for gw in gw-east gw-west; do
	echo '"after-quiet" #5001: initiating IKEv2 connection to 192.1.2.99 using UDP' >>"$WORK/$gw/pluto.log"
done
quiet_in() { [ "$(grep -c '"conn_name":"after-quiet"' "$out")" -ge 2 ]; }
wait_for 20 quiet_in || fail "after a quiet spell, $(grep -c '"conn_name":"after-quiet"' "$out") of 2 lines arrived"
ok "after 4 s of quiet (idle_timeout_s 2) both gateways' next lines arrive"

# The listener's own counters: two connections, nothing dropped.
wait_for 5 grep -q '^ikelogd_connections_total [1-9]' "$prom" || fail "no connections counted: $(grep -E 'connections|dropped' "$prom")"
grep -q '^ikelogd_input_dropped_total 0$' "$prom" || fail "input dropped: $(grep dropped "$prom")"
grep -q '^ikelogd_connections_total 2$' "$prom" || fail "gateways reconnected: $(grep connections "$prom")"
ok "Prometheus file: $(grep '^ikelogd_connections_total' "$prom" | cut -d' ' -f2) connections, input_dropped 0"
