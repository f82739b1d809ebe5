#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# RELP output to rsyslog's imrelp over TLS, configured from
# conf/collector/rsyslog-relp.conf (an acknowledgement means written):
#  1. RELP_EVENTS (200,000) journal entries while the collector is restarted
#     three times (kill -TERM, then start): none lost, duplicates counted
#     (fewer than 1%: about one RELP window per restart is expected).
#  2. A collector that stops reading (SIGSTOP for 20 s) and is then killed
#     (kill -KILL) and replaced, during a stream of 3,000 entries: none lost.
#  3. Plain syslog-tls in the same test as 1, to rsyslog's imtcp configured
#     from conf/collector/rsyslog-tls.conf: none lost, duplicates measured
#     (a TCP acknowledgement does not say what the collector stored, so
#     ikelogd resends what it kept). RELP_SKIP_TLS=1 leaves it out.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/rsyslog.sh"
source "$(dirname "$0")/lib/pki.sh"
source "$(dirname "$0")/lib/journald.sh"
[ -x "$IKELOGD" ] || fail "build/ikelogd is missing: run make"
need_root "a private journald"
need_cmd rsyslogd openssl python3 ss journalctl
[ -e /usr/lib/x86_64-linux-gnu/rsyslog/imrelp.so ] || ls /usr/lib/*/rsyslog/imrelp.so >/dev/null 2>&1 ||
	skip "rsyslog's imrelp is not installed (package rsyslog-relp)"
export RSYSLOG_CONF=rsyslog-relp.conf

N=${RELP_EVENTS:-200000}
N_STALL=3000

pki_make "$WORK/pki" || fail "cannot make the test PKI"
journald_private

# relp_config FILE MARKER PORT [EXTRA OUTPUT KEYS...]: ikelogd following the
# private journal from its head, sending to 127.0.0.1:PORT over RELP/TLS.
relp_config() {
	local f=$1 marker=$2 port=$3
	shift 3
	{
		printf 'source:\n  type: journal\n  journal:\n    match: [IKELOGD_TEST=%s]\n' "$marker"
		printf '    files: [%s]\n    start: head\n' "$JDIR"
		ikelogd_base_config | sed "s|$WORK/position|$WORK/position-$marker|"
		echo "limits: {in_flight: 4096, drain_timeout_ms: 60000}"
		echo "output:"
		echo "  type: relp"
		echo "  collectors: [{host: 127.0.0.1, port: $port}]"
		echo "  ca_file: $WORK/pki/ca.pem"
		echo "  cert_file: $WORK/pki/client.pem"
		echo "  key_file: $WORK/pki/client.key"
		echo "  server_name: collector.test"
		echo "  backoff_min_ms: 100"
		echo "  backoff_max_ms: 1000"
		local x
		for x in "$@"; do echo "  $x"; done
	} >"$f"
}

# relp_check N FILE: key=value figures over the collector's file: lines,
# invalid, partial, unique, missing (of serials 1..N), dup, dup_eid_mismatch.
# A line that is not valid but begins a valid one is partial: rsyslog's
# imtcp writes out the incomplete frame of a session it closes while it
# shuts down (the event arrives whole after the reconnect); RELP has none.
# lines_delivered ERRFILE: ikelogd's delivered counter less its own summaries.
lines_delivered() { echo $(($(counter delivered "$1") - $(counter summaries "$1"))); }

relp_check() {
	python3 - "$@" <<-'PY'
		import json, re, sys
		n = int(sys.argv[1])
		rx = re.compile(r'^\S+ <(\d+)>1 \S+ \S+ ikelogd \S+ (\S+) \[ikelogd@32473 eid="([^"]*)"\] (\{.*\})$')
		first, lines, invalid, dup, mismatch = {}, 0, 0, 0, 0
		bad, valid = [], []
		for raw in open(sys.argv[2], encoding="utf-8", errors="replace"):
		    lines += 1
		    m = rx.match(raw.rstrip("\n"))
		    try:
		        ev = json.loads(m.group(4)) if m else None
		    except ValueError:
		        ev = None
		    if ev and ev.get("event_type") in ("daemon_stats", "ike_sa_summary", "alert"):
		        lines -= 1  # ikelogd's own events (a summary per IKE SA evicted), not lines sent
		        continue
		    if not ev or ev.get("event_id") != m.group(3) or ev.get("event_type") != m.group(2) \
		            or not isinstance(ev.get("state_serial"), int):
		        bad.append((lines, raw.rstrip("\n")))
		        continue
		    valid.append(raw.rstrip("\n").split(" ", 1)[1])
		    s = ev["state_serial"]
		    if s in first:
		        dup += 1
		        mismatch += first[s] != m.group(3)
		    else:
		        first[s] = m.group(3)
		partial = 0
		for no, raw in bad:
		    body = raw.split(" ", 1)[1] if " " in raw else ""
		    if body and any(v.startswith(body) for v in valid):
		        partial += 1
		        continue
		    if invalid < 3:
		        sys.stderr.write("invalid line %d: %r\n" % (no, raw[:300]))
		    invalid += 1
		missing = sum(1 for i in range(1, n + 1) if i not in first)
		print("lines=%d invalid=%d partial=%d unique=%d missing=%d dup=%d dup_eid_mismatch=%d" %
		      (lines, invalid, partial, len(first), missing, dup, mismatch))
	PY
}

# three_restarts NAME PID ERRFILE FIGURE: restarts collector NAME (kill
# -TERM, then start) at a quarter, half and three quarters of the N
# entries while ikelogd PID sends them, waits until all are delivered
# (acknowledged: the position reaches the end before a clean stop), and
# stops ikelogd and the collector.
three_restarts() {
	local name=$1 p=$2 err=$3 fig=$4 during=0 frac
	for frac in 1 2 3; do
		wait_count "$name" $(( N * frac / 4 )) 120 ||
			fail "$fig: stream stalled ($(tail -n 3 "$err")) before restart $frac at $(rsyslog_count "$name")"
		[ "$(rsyslog_count "$name")" -lt "$N" ] && during=$((during + 1))
		rsyslog_restart "$name"
		echo "$fig: restart $frac at $(rsyslog_count "$name") messages"
	done
	echo "figure: ${fig}_restarts_while_sending $during"
	[ "$during" -ge 3 ] || fail "$fig: only $during of 3 restarts came while events were still on their way: use more"
	wait_count "$name" "$N" 120 || echo "the collector stays at $(rsyslog_count "$name") lines"
	# ikelogd's own summaries (one per IKE SA evicted from the full table) are delivered too
	_all_delivered() { kill -USR1 "$p"; sleep 0.3; [ "$(lines_delivered "$err")" -ge "$N" ]; }
	wait_for 60 _all_delivered || echo "ikelogd reports $(counter delivered "$err") delivered"
	kill -TERM "$p"
	wait "$p" || fail "$fig: ikelogd exited with $? on SIGTERM: $(tail -n 5 "$err")"
	rsyslog_stop "$name"
}

# ---- 1. three restarts ----
marker="relp$$r$RANDOM"
journal_send "$JSOCK" "$marker" 1 "$N"
[ "$(journal_count "$marker" "$JNS")" = "$N" ] || fail "journald holds $(journal_count "$marker" "$JNS") of $N entries"
ok "journald holds all $N entries"
port=$(free_port)
rsyslog_setup c "$port" ossl "$WORK/pki"
rsyslog_start c
relp_config "$WORK/c.yaml" "$marker" "$port"
"$IKELOGD" run -c "$WORK/c.yaml" 2>"$WORK/ikelogd.err" &
pid=$!
track "$pid"
three_restarts c "$pid" "$WORK/ikelogd.err" relp_restart
r=$(relp_check "$N" "$(rsyslog_out c)")
echo "$r"
grep -E 'RELP (send failed|close not|connect failed|session reopened)' "$WORK/ikelogd.err" | head -n 8 || true
echo "figure: relp_restart_lost $(val missing "$r")"
echo "figure: relp_restart_duplicates $(val dup "$r")"
echo "figure: relp_restart_resent $(counter resent "$WORK/ikelogd.err")"
echo "figure: relp_restart_reconnects $(counter reconnects "$WORK/ikelogd.err")"
echo "figure: relp_restart_delivered $(counter delivered "$WORK/ikelogd.err")"
[ "$(val invalid "$r")" = 0 ] || fail "$(val invalid "$r") invalid lines in the collector's file"
[ "$(val partial "$r")" = 0 ] || fail "$(val partial "$r") partial frames over RELP"
[ "$(val missing "$r")" = 0 ] || fail "$(val missing "$r") of $N events lost over three collector restarts"
ok "0 of $N events lost over three restarts of the RELP collector"
[ "$(val dup_eid_mismatch "$r")" = 0 ] || fail "duplicates with another event id"
[ "$(val dup "$r")" -lt $(( N / 100 )) ] || fail "$(val dup "$r") duplicates: 1% ($(( N / 100 ))) or more"
ok "$(val dup "$r") duplicates (under 1% of $N), each with its original's event id"
[ "$(lines_delivered "$WORK/ikelogd.err")" = "$N" ] ||
	fail "ikelogd reports $(lines_delivered "$WORK/ikelogd.err") of $N lines delivered (acknowledged)"
ok "all $N acknowledged and committed"
grep -q 'RELP session reopened' "$WORK/ikelogd.err" || fail "no session reopened through librelp (relpCltReconnect)"
ok "$(grep -c 'RELP session reopened' "$WORK/ikelogd.err") sessions reopened through librelp, which resends only unanswered frames"

# ---- 2. a collector that stops reading, then is killed and replaced ----
marker2="relpstall$$r$RANDOM"
journald_private_alive
port2=$(free_port)
rsyslog_setup s "$port2" ossl "$WORK/pki"
rsyslog_start s
relp_config "$WORK/s.yaml" "$marker2" "$port2" "write_timeout_ms: 3000" "connect_timeout_ms: 1000"
"$IKELOGD" run -c "$WORK/s.yaml" 2>"$WORK/ikelogd-s.err" &
pid2=$!
track "$pid2"
# 3,000 entries over about 15 s, so that the stall falls in the middle.
journal_send "$JSOCK" "$marker2" 1 "$N_STALL" 200 &
writer=$!
track "$writer"
wait_count s 600 60 || fail "the stream did not start: $(tail -n 3 "$WORK/ikelogd-s.err")"
rsyslog_stall_kill s 20
wait "$writer" || fail "the journal writer failed"
[ "$(journal_count "$marker2" "$JNS")" = "$N_STALL" ] || fail "journald holds $(journal_count "$marker2" "$JNS") of $N_STALL"
wait_count s "$N_STALL" 60 || echo "the collector stays at $(rsyslog_count s) lines"
_all_delivered2() { kill -USR1 "$pid2"; sleep 0.3; [ "$(lines_delivered "$WORK/ikelogd-s.err")" -ge "$N_STALL" ]; }
wait_for 30 _all_delivered2 || echo "ikelogd reports $(counter delivered "$WORK/ikelogd-s.err") delivered"
kill -TERM "$pid2"
wait "$pid2" || fail "ikelogd exited with $? on SIGTERM: $(tail -n 5 "$WORK/ikelogd-s.err")"
rsyslog_stop s
r=$(relp_check "$N_STALL" "$(rsyslog_out s)")
echo "$r"
grep -E 'RELP (send failed|close not|connect failed|session)' "$WORK/ikelogd-s.err" | head -n 8 || true
echo "figure: relp_stall_lost $(val missing "$r")"
echo "figure: relp_stall_duplicates $(val dup "$r")"
echo "figure: relp_stall_resent $(counter resent "$WORK/ikelogd-s.err")"
[ "$(val invalid "$r")" = 0 ] || fail "$(val invalid "$r") invalid lines"
[ "$(val missing "$r")" = 0 ] || fail "$(val missing "$r") of $N_STALL events lost to a stalled, killed collector"
ok "0 of $N_STALL events lost to a collector stalled 20 s, killed and replaced"
[ "$(val dup_eid_mismatch "$r")" = 0 ] || fail "duplicates with another event id"
[ "$(lines_delivered "$WORK/ikelogd-s.err")" = "$N_STALL" ] ||
	fail "ikelogd reports $(lines_delivered "$WORK/ikelogd-s.err") of $N_STALL lines delivered"
ok "all $N_STALL acknowledged and committed; $(val dup "$r") duplicates"

# ---- 3. the same three restarts over plain syslog-tls ----
[ -z "${RELP_SKIP_TLS:-}" ] || exit 0
marker3="tls$$r$RANDOM"
journald_private_alive
journal_send "$JSOCK" "$marker3" 1 "$N"
[ "$(journal_count "$marker3" "$JNS")" = "$N" ] || fail "journald holds $(journal_count "$marker3" "$JNS") of $N entries"
port3=$(free_port)
RSYSLOG_CONF=rsyslog-tls.conf rsyslog_setup t "$port3" ossl "$WORK/pki"
rsyslog_start t
relp_config "$WORK/t.yaml" "$marker3" "$port3"
sed -i 's/^  type: relp$/  type: syslog-tls/' "$WORK/t.yaml"
"$IKELOGD" run -c "$WORK/t.yaml" 2>"$WORK/ikelogd-t.err" &
pid3=$!
track "$pid3"
three_restarts t "$pid3" "$WORK/ikelogd-t.err" tls_restart_journal
r=$(relp_check "$N" "$(rsyslog_out t)")
echo "$r"
echo "figure: tls_restart_journal_lost $(val missing "$r")"
echo "figure: tls_restart_journal_duplicates $(val dup "$r")"
echo "figure: tls_restart_journal_resent $(counter resent "$WORK/ikelogd-t.err")"
echo "figure: tls_restart_journal_possibly_lost $(counter possibly_lost "$WORK/ikelogd-t.err")"
[ "$(val invalid "$r")" = 0 ] || fail "syslog-tls: $(val invalid "$r") invalid lines"
[ "$(val missing "$r")" = 0 ] || fail "syslog-tls: $(val missing "$r") of $N events lost over three collector restarts"
[ "$(val dup_eid_mismatch "$r")" = 0 ] || fail "syslog-tls: duplicates with another event id"
ok "syslog-tls: 0 of $N events lost over three restarts; $(val dup "$r") duplicates, $(val partial "$r") partial frames written by rsyslog"
