#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Large events must not pin memory (hostile finding 1). A sender relays
# 10,000 ordinary pluto lines over syslog/TCP (RSS then is the steady
# state), then 10,000 whose connection name is 60 KB, then 10,000
# ordinary ones again; ikelogd sends them on to rsyslog over syslog-tls
# and, when rsyslog's imrelp is installed, over RELP. Every event is
# delivered (the source pauses when limits.max_queue_bytes is full,
# nothing is dropped), and RSS afterwards is within 20% of the steady
# state. The same serials are used in every phase, so the correlation
# table holds as many SAs at the end as at the steady point.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/rsyslog.sh"
source "$(dirname "$0")/lib/pki.sh"
[ -x "$IKELOGD" ] || fail "build/ikelogd is missing: run make"
need_cmd rsyslogd openssl python3 ss

pki_make "$WORK/pki" || fail "cannot make the test PKI"
outputs="syslog-tls"
if [ -e /usr/lib/x86_64-linux-gnu/rsyslog/imrelp.so ] || ls /usr/lib/*/rsyslog/imrelp.so >/dev/null 2>&1; then
	outputs="$outputs relp"
else
	echo "rsyslog's imrelp is not installed (package rsyslog-relp): syslog-tls only"
fi

# SINK_MEMORY_OUTPUTS="relp" runs one of them.
for out in ${SINK_MEMORY_OUTPUTS:-$outputs}; do
	name=${out%%-*}
	cport=$(free_port)
	lport=$(free_port)
	if [ "$out" = relp ]; then
		RSYSLOG_CONF=rsyslog-relp.conf rsyslog_setup "$name" "$cport" ossl "$WORK/pki"
	else
		rsyslog_setup "$name" "$cport" ossl "$WORK/pki"
	fi
	# 600 MB of events: the collector throws them away.
	sed -i "s|$(rsyslog_out "$name")|/dev/null|" "$(rsyslog_dir "$name")/rsyslog.conf"
	rsyslog_start "$name"
	prom=$WORK/$name.prom
	{
		printf 'source:\n  type: syslog\n  syslog:\n    listen: [tcp://127.0.0.1:%s]\n' "$lport"
		ikelogd_base_config | sed "s|$WORK/position|$WORK/position-$name|"
		# The rules see the whole line, so the 60 kB name makes a 60 kB event
		# (with the default max_match_bytes such a line is a small unparsed one).
		echo "limits: {drain_timeout_ms: 60000, max_match_bytes: 65536}"
		# Each phase's new connection names end the previous phase's 10,000 IKE
		# SAs; their summaries (60 kB names too) keep about 9 MiB more after the
		# large phase (measured with summaries on: 1.28-1.30 of steady). This
		# scenario measures the sinks, so they are off here.
		echo "correlate: {summary: false}"
		echo "stats: {interval_s: 1, prometheus_file: $prom}"
		tls_output "$WORK/pki" "$cport" | sed "s|type: syslog-tls|type: $out|"
	} >"$WORK/$name.yaml"
	"$IKELOGD" run -c "$WORK/$name.yaml" 2>"$WORK/$name.err" &
	pid=$!
	track "$pid"
	_listening() { ss -Hltn "sport = :$lport" | grep -q .; }
	wait_for 10 _listening || fail "$out: ikelogd does not listen: $(tail -n 3 "$WORK/$name.err")"
	python3 - "$pid" "$lport" "$prom" "$out" <<-'PY' || fail "$out: see above"
		import socket, sys, time
		pid, port, prom, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
		N = 10000
		def fail(what):
		    print("FAILED: %s: %s" % (out, what), file=sys.stderr)
		    sys.exit(1)
		def status(key):
		    for l in open("/proc/%d/status" % pid):
		        if l.startswith(key + ":"):
		            return int(l.split()[1])
		def counter(name):
		    try:
		        for l in open(prom):
		            if l.startswith("ikelogd_%s " % name) or l.startswith("ikelogd_%s_total " % name):
		                return int(l.split()[1])
		    except FileNotFoundError:
		        pass
		    return -1
		s = socket.create_connection(("127.0.0.1", port))
		sent = 0
		def phase(conn):
		    global sent
		    buf = []
		    for i in range(1, N + 1):
		        buf.append(('<30>1 2026-11-23T20:25:58.%06dZ gw-mem pluto 4242 - - "%s" #%d: '
		                    'initiating IKEv2 connection to 192.1.2.23 using UDP\n' % (i, conn, i)).encode())
		        if len(buf) == 100:
		            s.sendall(b"".join(buf))
		            buf = []
		    sent += N
		    # every line read and delivered: the Prometheus file is written just
		    # after a daemon_stats event is handed over, so one is in flight
		    end = time.time() + 300
		    while time.time() < end:
		        if counter("lines_read") >= sent and 0 <= counter("in_flight") <= 1:
		            break
		        time.sleep(0.2)
		    else:
		        fail("%d of %d lines read, %d in flight" % (counter("lines_read"), sent, counter("in_flight")))
		    time.sleep(2)  # a stats tick after the drain
		    return status("VmRSS")
		def maps():
		    m, cur = {}, None
		    for l in open("/proc/%d/smaps" % pid):
		        f = l.split()
		        if "-" in f[0] and not f[0].endswith(":"):
		            cur = "%s %s" % (f[0], f[5] if len(f) > 5 else "[anon]")
		        elif f[0] == "Rss:":
		            m[cur] = int(f[1])
		    return m
		steady = phase("ordinary")
		m0 = maps()
		large = phase("L" * 60000)
		hwm = status("VmHWM")
		after = phase("ordinary")
		m1 = maps()
		grew = sorted(((m1[k] - m0.get(k, 0), k) for k in m1), reverse=True)[:4]
		print("mappings that grew most (KiB): %s" % ", ".join("%s +%d" % (k, d) for d, k in grew))
		name = out.replace("-", "_")
		print("figure: %s_rss_steady_kib %d" % (name, steady))
		print("figure: %s_rss_after_large_kib %d" % (name, large))
		print("figure: %s_vmhwm_kib %d" % (name, hwm))
		print("figure: %s_rss_after_kib %d" % (name, after))
		print("figure: %s_rss_after_over_steady %.3f" % (name, after / steady))
		# 600 MB went through: the peak shows they were large, and is bounded
		# by limits.max_queue_bytes (64 MiB) with room for the rest.
		if hwm < steady + 8 * 1024:
		    fail("VmHWM %d KiB: the large events were not large (steady %d KiB)" % (hwm, steady))
		if hwm > steady + 96 * 1024:
		    fail("VmHWM %d KiB: more than 96 MiB over the steady %d KiB" % (hwm, steady))
		for c in ("delivered", "truncated", "in_flight_bytes", "possibly_lost", "input_dropped"):
		    print("figure: %s_%s %d" % (name, c, counter(c)))
		if counter("input_dropped") != 0:
		    fail("%d frames dropped by the listener" % counter("input_dropped"))
		if counter("lines_read") != 3 * N:
		    fail("%d lines read of %d" % (counter("lines_read"), 3 * N))
		if after > 1.2 * steady:
		    fail("RSS %d KiB after the large events, steady %d KiB: more than 20%% over" % (after, steady))
		print("ok: %s: RSS back to %d KiB after 10,000 60 kB events (steady %d KiB, peak %d KiB)" %
		      (out, after, steady, hwm))
	PY
	# Everything delivered: the delivered counter covers every line.
	d=$(grep -m1 '^ikelogd_delivered_total ' "$prom" | cut -d' ' -f2)
	[ "$d" -ge 30000 ] || fail "$out: $d delivered of 30000"
	ok "$out: $d events delivered (30,000 lines and the stats events)"
	kill -TERM "$pid"
	wait "$pid" || fail "$out: ikelogd exited with $?: $(tail -n 3 "$WORK/$name.err")"
	rsyslog_stop "$name"
done
