# SPDX-License-Identifier: Apache-2.0
# An rsyslog TLS receiver for the scenarios, from conf/collector/rsyslog-tls.conf
# (or conf/collector/$RSYSLOG_CONF, e.g. rsyslog-relp.conf) with the
# placeholders filled in. Source common.sh first.
#
#   rsyslog_setup NAME PORT DRIVER PKIDIR [CERTNAME] [PEER]
#       writes $WORK/rsyslog-NAME/{rsyslog.conf,work/}; messages go to
#       $WORK/rsyslog-NAME/out.log (RSYSLOG_OUT_<NAME> is not needed: use
#       rsyslog_out NAME). CERTNAME defaults to "server", PEER to gateway.test.
#   rsyslog_start NAME      starts rsyslogd -n in the background, tracked;
#                           waits until it listens
#   rsyslog_stop NAME [SIG] sends SIG (TERM) to that pid and waits for its end
#   rsyslog_restart NAME    stop (TERM) and start again
#   rsyslog_out NAME        the path of the output file

rsyslog_dir() { echo "$WORK/rsyslog-$1"; }
rsyslog_out() { echo "$WORK/rsyslog-$1/out.log"; }

rsyslog_setup() {
	local name=$1 port=$2 driver=$3 pki=$4 cert=${5:-server} peer=${6:-gateway.test}
	local d
	d=$(rsyslog_dir "$name")
	mkdir -p "$d/work"
	echo "$port" >"$d/port"
	sed -e "s|@WORKDIR@|$d/work|g" -e "s|@DRIVER@|$driver|g" -e "s|@CA@|$pki/ca.pem|g" \
		-e "s|@CERT@|$pki/$cert.pem|g" -e "s|@KEY@|$pki/$cert.key|g" -e "s|@PEER@|$peer|g" \
		-e "s|@PORT@|$port|g" -e "s|@OUT@|$d/out.log|g" \
		"$ROOT/conf/collector/${RSYSLOG_CONF:-rsyslog-tls.conf}" >"$d/rsyslog.conf"
	rsyslogd -N1 -f "$d/rsyslog.conf" >"$d/check.log" 2>&1 ||
		fail "rsyslog rejects the collector config: $(tail -n 3 "$d/check.log")"
}

rsyslog_listening() { ss -Hltn "sport = :$1" | grep -q .; }

rsyslog_start() {
	local name=$1 d pid port
	d=$(rsyslog_dir "$name")
	port=$(cat "$d/port")
	rsyslogd -n -f "$d/rsyslog.conf" -i "$d/rsyslogd.pid" >>"$d/rsyslogd.log" 2>&1 &
	pid=$!
	track "$pid"
	echo "$pid" >"$d/pid"
	wait_for 10 rsyslog_listening "$port" || fail "rsyslog $name did not listen on $port: $(tail -n 5 "$d/rsyslogd.log")"
}

rsyslog_stop() {
	local name=$1 sig=${2:-TERM} d pid
	d=$(rsyslog_dir "$name")
	pid=$(cat "$d/pid")
	kill -s "$sig" "$pid" 2>/dev/null || true
	for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	kill -0 "$pid" 2>/dev/null && fail "rsyslog $name (pid $pid) did not stop on $sig"
	wait "$pid" 2>/dev/null || true
}

rsyslog_restart() {
	rsyslog_stop "$1" TERM
	rsyslog_start "$1"
}

# --- ikelogd side of the TLS scenarios ---

# tls_lines N FILE: N pluto logfile lines, each an IKE SA established with
# state serial #1..#N, so every event says which line it came from.
tls_lines() {
	python3 - "$1" >"$2" <<-'PY'
		import sys
		line = "Nov 23 21:22:23.123456: \"westeast\" #%d: responder established IKE SA; authenticated peer using authby=secret and ID_FQDN '@west'\n"
		sys.stdout.write("".join(line % i for i in range(1, int(sys.argv[1]) + 1)))
	PY
}

# tls_output PKIDIR PORT: the output section sending to the collector on
# 127.0.0.1:PORT with the test PKI's client certificate (more output keys
# may follow it, indented by two spaces).
tls_output() {
	printf '%s\n' "output:" "  type: syslog-tls" "  collectors: [{host: 127.0.0.1, port: $2}]" \
		"  ca_file: $1/ca.pem" "  cert_file: $1/client.pem" "  key_file: $1/client.key" \
		"  server_name: collector.test"
}

# tls_config FILE PKIDIR "COLLECTORS" [EXTRA OUTPUT KEYS...]: an ikelogd
# config reading stdin and sending to COLLECTORS (YAML flow list) over TLS
# with the client certificate; each EXTRA is one more "key: value" line
# under output (a later key wins over the defaults given here).
tls_config() {
	local f=$1 pki=$2 colls=$3
	shift 3
	{
		echo "source: {type: stdin}"
		echo "state_file: $WORK/state"
		echo "rules: [$ROOT/conf/rules/libreswan.yaml]"
		echo "redact: {generate_key: true, key_file: $WORK/pseudonym.key}"
		echo "limits: {in_flight: 4096, drain_timeout_ms: ${TLS_DRAIN_MS:-60000}}"
		echo "output:"
		echo "  type: syslog-tls"
		echo "  collectors: $colls"
		local have_ca=0 have_cert=0 have_key=0 have_backoff=0 x
		for x in "$@"; do
			case $x in
			ca_file:*) have_ca=1 ;; cert_file:*) have_cert=1 ;; key_file:*) have_key=1 ;;
			backoff_min_ms:* | backoff_max_ms:*) have_backoff=1 ;;
			esac
		done
		[ $have_ca = 1 ] || echo "  ca_file: $pki/ca.pem"
		[ $have_cert = 1 ] || echo "  cert_file: $pki/client.pem"
		[ $have_key = 1 ] || echo "  key_file: $pki/client.key"
		[ $have_backoff = 1 ] || { echo "  backoff_min_ms: 100"; echo "  backoff_max_ms: 1000"; }
		for x in "$@"; do echo "  $x"; done
	} >"$f"
}

# tls_stream NAME N [EXTRA OUTPUT KEYS...]: the test PKI, N pluto lines in
# $WORK/in.txt, an rsyslog collector NAME (OpenSSL driver) started on a free
# port ($port), and ikelogd started in the background sending those lines
# to it ($pid; its log in $WORK/ikelogd.err).
tls_stream() {
	local name=$1 n=$2
	shift 2
	pki_make "$WORK/pki" || fail "cannot make the test PKI"
	tls_lines "$n" "$WORK/in.txt"
	port=$(free_port)
	rsyslog_setup "$name" "$port" ossl "$WORK/pki"
	rsyslog_start "$name"
	tls_config "$WORK/c.yaml" "$WORK/pki" "[{host: 127.0.0.1, port: $port}]" "$@"
	"$IKELOGD" run -c "$WORK/c.yaml" <"$WORK/in.txt" 2>"$WORK/ikelogd.err" &
	pid=$!
	track "$pid"
}

# rsyslog_stall_kill NAME SECONDS: the collector stops reading (SIGSTOP) for
# SECONDS, is killed (kill -KILL) and a replacement started on its port.
rsyslog_stall_kill() {
	local name=$1 secs=$2 spid
	spid=$(cat "$(rsyslog_dir "$name")/pid")
	kill -STOP "$spid"
	echo "collector stopped at $(rsyslog_count "$name") messages"
	sleep "$secs"
	echo "collector killed at $(rsyslog_count "$name") messages; starting its replacement"
	kill -KILL "$spid"
	wait "$spid" 2>/dev/null || true
	rsyslog_start "$name"
}

# rsyslog_count NAME: the messages NAME received, but ikelogd's own summaries and alerts.
rsyslog_count() {
	local f
	f=$(rsyslog_out "$1")
	[ -e "$f" ] && { grep -vcE ' (ike_sa_summary|alert) \[ikelogd@' "$f" || true; } || echo 0
}

# wait_count NAME N SECONDS: until NAME has received at least N messages.
wait_count() {
	local name=$1 n=$2 limit=$3
	_count_ge() { [ "$(rsyslog_count "$name")" -ge "$n" ]; }
	wait_for "$limit" _count_ge
}

# tls_check N FILE... : checks every received line (receive time, then the
# raw RFC 5424 message) and prints key=value figures: lines, invalid,
# partial, unique, missing, dup, dup_eid_mismatch, out_of_order. A line is
# valid when it is "<85>1 TIMESTAMP HOST ikelogd PID ike_auth
# [ikelogd@32473 eid=...] JSON" with JSON parsing, its event_id equal to
# eid, its event_type equal to MSGID and its timestamp equal to TIMESTAMP.
# A line that is not valid but is the beginning of a valid one is partial:
# rsyslog writes out the incomplete frame of a session it closes while
# shutting down (the event itself arrives whole after the reconnect).
tls_check() {
	python3 - "$@" <<-'PY'
		import json, re, sys
		n = int(sys.argv[1])
		rx = re.compile(r'^(\S+) <(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) \[ikelogd@32473 eid="((?:[^"\\\]]|\\.)*)"\] (.*)$')
		lines = dup = mismatch = ooo = 0
		first = {}
		valid_raw = []
		bad = []
		last_new = 0
		for path in sys.argv[2:]:
		    for raw in open(path, encoding="utf-8", errors="replace"):
		        lines += 1
		        raw = raw.rstrip("\n")
		        m = rx.match(raw)
		        ev = None
		        if m:
		            recv, pri, ts, host, app, pid, msgid, eid, msg = m.groups()
		            try:
		                ev = json.loads(msg)
		            except ValueError:
		                pass
		        if ev is not None and ev.get("event_type") in ("daemon_stats", "ike_sa_summary", "alert"):
		            # the stats timer's events carry no serial; a summary (one per IKE SA
		            # that ends, or is evicted from a full table) or an alert is ikelogd's
		            # own, not one of the lines sent
		            lines -= 1
		            continue
		        if (ev is None or pri != "85" or app != "ikelogd" or msgid != ev.get("event_type") or
		                ts != ev.get("timestamp") or eid != ev.get("event_id") or
		                not isinstance(ev.get("state_serial"), int)):
		            bad.append((path, lines, raw))
		            continue
		        valid_raw.append(raw.split(" ", 1)[1])
		        s = ev["state_serial"]
		        if s in first:
		            dup += 1
		            if first[s] != eid:
		                mismatch += 1
		            continue
		        first[s] = eid
		        if s < last_new:
		            ooo += 1
		        last_new = s
		partial = invalid = 0
		for path, no, raw in bad:
		    body = raw.split(" ", 1)[1] if " " in raw else ""
		    if body and any(v.startswith(body) for v in valid_raw):
		        partial += 1
		        continue
		    if invalid < 3:
		        sys.stderr.write("invalid line %d of %s: %r\n" % (no, path, raw[:400]))
		    invalid += 1
		missing = sum(1 for i in range(1, n + 1) if i not in first)
		print("lines=%d invalid=%d partial=%d unique=%d missing=%d dup=%d dup_eid_mismatch=%d out_of_order=%d" %
		      (lines, invalid, partial, len(first), missing, dup, mismatch, ooo))
	PY
}

# val KEY "k=v k=v ...": the value of KEY.
val() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"; }

# counter NAME LOGFILE: the value of ikelogd's counter NAME in its final counters line.
counter() { grep 'counters:' "$2" | tail -n 1 | tr ' ' '\n' | sed -n "s/^$1=//p"; }
