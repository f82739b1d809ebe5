#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Hostile senders against the syslog listener (tcp://, tls://, udp://):
# oversize frames (newline-framed and octet-counted), a length prefix that
# lies and one that is absurd, a 64 MiB line without newline, invalid
# UTF-8 and NUL bytes, garbage, other programs' messages, TLS clients
# without a certificate or with one not permitted, an oversize datagram,
# 1,000 idle connections and more connections than max_connections (each
# closes the longest-idle one).
# Every drop is counted exactly, memory stays bounded (VmHWM), idle
# connections are closed, and a well-behaved sender's lines keep arriving.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/pki.sh"
need_cmd python3 openssl ss
[ -x "$IKELOGD" ] || fail "build/ikelogd is missing: run make"
ulimit -n 4096 2>/dev/null || skip "cannot raise the descriptor limit to 4096"

IDLE=1000
pki=$WORK/pki
pki_make "$pki" || fail "test PKI not made"
pki_leaf "$pki" ikelogd ca ikelogd.test "DNS:ikelogd.test" serverAuth
pki_leaf "$pki" gw-east ca gw-east.test "DNS:gw-east.test" clientAuth
pki_leaf "$pki" gw-evil ca gw-evil.test "DNS:gw-evil.test" clientAuth
# Permitted by its CN only: its one DNS SAN is some other name.
pki_leaf "$pki" gw-cn ca gw-cn.test "DNS:unrelated.test" clientAuth

tport=$(free_port)
sport=$(free_port)
uport=$(free_port)
out=$WORK/events.json
prom=$WORK/ikelogd.prom
# Room for the idle ones (plain, TLS without a handshake, one authenticated
# TLS sender) and the well-behaved sender, nothing more.
maxconn=$((IDLE + 1 + 10 + 1))
cat >"$WORK/ikelogd.yaml" <<EOF
source:
  type: syslog
  syslog:
    listen: [tcp://127.0.0.1:$tport, tls://127.0.0.1:$sport, udp://127.0.0.1:$uport]
    ca_file: $pki/ca.pem
    cert_file: $pki/ikelogd.pem
    key_file: $pki/ikelogd.key
    permitted_peers: [gw-east.test, gw-cn.test]
    max_connections: $maxconn
    max_frame_bytes: 4096
    idle_timeout_s: 4
$(ikelogd_base_config)
output:
  type: file
  path: $out
stats:
  interval_s: 1
  prometheus_file: $prom
EOF
"$IKELOGD" run -c "$WORK/ikelogd.yaml" 2>"$WORK/daemon.err" &
dpid=$!
track $dpid
listening() { ss -Hltn "sport = :$tport" | grep -q . && ss -Hltn "sport = :$sport" | grep -q .; }
wait_for 10 listening || fail "ikelogd does not listen: $(tail -n 5 "$WORK/daemon.err")"
wait_for 5 test -s "$prom" || fail "no Prometheus file"
ok "ikelogd listens on tcp, tls and udp"

python3 - "$dpid" "$tport" "$sport" "$uport" "$out" "$prom" "$pki" "$IDLE" <<'EOF' || fail "see above"
import json, os, socket, ssl, sys, time
pid, tport, sport, uport = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
out, prom, pki, idle_n = sys.argv[5], sys.argv[6], sys.argv[7], int(sys.argv[8])

def fail(what):
    print("FAILED:", what, file=sys.stderr)
    sys.exit(1)

def counter(name):
    try:
        for line in open(prom):
            if line.startswith("ikelogd_%s_total " % name):
                return int(line.split()[1])
    except FileNotFoundError:
        pass
    return -1

def wait(cond, secs, what):
    end = time.time() + secs
    while time.time() < end:
        if cond():
            return
        time.sleep(0.1)
    fail(what)

def events():
    evs = []
    try:
        with open(out, "rb") as f:
            for raw in f:
                evs.append(json.loads(raw.decode("utf-8")))  # strict UTF-8: must not raise
    except FileNotFoundError:
        pass
    # ikelogd's own events: the stats, and the summary of an SA whose serial another
    # connection of the same host took over
    return [e for e in evs if e.get("event_type") not in ("daemon_stats", "ike_sa_summary")]

def by_conn(name):
    return [e for e in events() if e.get("conn_name") == name]

def vmhwm():
    # The daemon's and its receiver child's (which reads the senders) peaks, summed.
    pids = [str(pid)] + open("/proc/%d/task/%d/children" % (pid, pid)).read().split()
    total = 0
    for p in pids:
        for line in open("/proc/%s/status" % p):
            if line.startswith("VmHWM:"):
                total += int(line.split()[1])
    return total

def line(conn, serial, host="gw-good", app="pluto"):
    return ('<30>1 2026-11-23T20:25:58.%06dZ %s %s 4242 - - "%s" #%d: initiating IKEv2 connection to 192.1.2.23 using UDP'
            % (serial, host, app, conn, serial)).encode()

def octet(msg):
    return b"%d " % len(msg) + msg

def tcp():
    s = socket.create_connection(("127.0.0.1", tport))
    return s

def closed_by_server(s, secs=5):
    s.settimeout(secs)
    try:
        return s.recv(1) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False

hwm0 = vmhwm()
print("figure: syslog_in_vmhwm_start_kib %d" % hwm0)

# A well-behaved sender with its own connection for the whole test.
good = tcp()
good_sent = 0
def send_good(n, conn="good"):
    global good_sent
    for _ in range(n):
        good_sent += 1
        good.sendall(line(conn, good_sent) + b"\n")
send_good(10)
# As rsyslog forwards a message it received from pluto over /dev/log with an
# RFC 5424 template: the space after "pluto[4242]:" is still in front.
good.sendall(line("leading-space", 1).replace(b' - - - "', b' - - -  "') + b"\n")
wait(lambda: len(by_conn("good")) == 10, 10, "the first 10 good lines did not arrive")
wait(lambda: [e.get("event_type") for e in by_conn("leading-space")] == ["ike_init"], 5,
     "a message with a leading space was not matched: %r" % by_conn("leading-space"))
e = [e for e in by_conn("good") if e["state_serial"] == 7][0]
want = {"timestamp": "2026-11-23T20:25:58.000007Z", "host": "gw-good", "pid": 4242}
got = {"timestamp": e.get("timestamp"), "host": e.get("platform", {}).get("host"),
       "pid": e.get("platform", {}).get("pid")}
if got != want:
    fail("header fields: %r, want %r" % (got, want))
print("ok: a well-behaved sender's first 10 lines arrive with the header's time, HOSTNAME and PROCID")

# The well-behaved sender goes on sending between the hostile acts (which
# also keeps its connection younger than idle_timeout_s).
def passed(msg):
    print("ok: " + msg)
    send_good(1)

drops0 = counter("input_dropped")
if drops0 != 0:
    fail("input_dropped %d before any hostile input" % drops0)
expect_drops = 0

# Oversize newline-framed line, then a good line on the same connection: resynchronised.
s = tcp()
s.sendall(b"<30>1 - h pluto - - - " + b"x" * 10000 + b"\n" + line("after-long-line", 1) + b"\n")
s.close()
expect_drops += 1
# Oversize octet-counted frame, then a good octet-counted one.
s = tcp()
s.sendall(octet(b"<30>1 - h pluto - - - " + b"y" * 20000) + octet(line("after-big-frame", 1)))
s.close()
expect_drops += 1
wait(lambda: len(by_conn("after-long-line")) == 1 and len(by_conn("after-big-frame")) == 1, 10,
     "lines after oversize frames did not arrive")
passed("after an oversize line and an oversize octet-counted frame the next frame arrives")

# A length that lies: 500 promised, fewer sent, then the sender closes.
s = tcp()
s.sendall(b"500 " + line("liar", 1))
s.close()
expect_drops += 1
# An absurd length prefix: the server closes the connection.
s = tcp()
s.sendall(b"99999999999 " + line("absurd", 1))
if not closed_by_server(s):
    fail("an absurd length prefix did not close the connection")
s.close()
expect_drops += 1
passed("an absurd length prefix closes the connection")

# A 64 MiB line without newline, then a newline and a good line.
s = tcp()
chunk = b"z" * 65536
t0 = time.time()
for _ in range(1024):
    s.sendall(chunk)
s.sendall(b"\n" + line("after-endless", 1) + b"\n")
s.close()
expect_drops += 1
wait(lambda: len(by_conn("after-endless")) == 1, 20, "the line after a 64 MiB line did not arrive")
passed("a 64 MiB line without newline is dropped and the next line arrives (%.1f s)" % (time.time() - t0))

# Invalid UTF-8 and NUL bytes in a message: kept, replaced by U+FFFD.
s = tcp()
s.sendall(line("badutf8", 1).replace(b'"badutf8"', b'"bad\xff\xfeutf8"') + b"\n")
s.sendall(line("nul", 2).replace(b'"nul"', b'"n\x00ul"') + b"\n")
s.sendall(line("overlong", 3).replace(b'"overlong"', b'"over\xc0\xaflong"') + b"\n")
s.close()
wait(lambda: len([e for e in events() if e.get("state_serial") in (1, 2, 3) and "\ufffd" in e.get("conn_name", "")]) == 3,
     10, "messages with invalid UTF-8 / NUL did not arrive sanitised: %s" % [e.get("conn_name") for e in events()][-5:])
names = sorted(e["conn_name"] for e in events() if "\ufffd" in e.get("conn_name", ""))
if names != ["bad\ufffd\ufffdutf8", "n\ufffdul", "over\ufffd\ufffdlong"]:
    fail("sanitised names %r" % names)
passed("invalid UTF-8 and NUL arrive as U+FFFD, the output stays valid UTF-8 JSON")

# Garbage and another program's message.
s = tcp()
s.sendall(b"hello world\n" + line("sshd-line", 1, app="sshd") + b"\n")
s.close()
expect_drops += 2

# UDP: an oversize datagram dropped, a good one kept.
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.sendto(b"<30>1 - h pluto - - - " + b"u" * 5000, ("127.0.0.1", uport))
u.sendto(line("udp-good", 1), ("127.0.0.1", uport))
# A nil HOSTNAME: the sender's address stands in.
u.sendto(line("udp-nilhost", 1, host="-"), ("127.0.0.1", uport))
expect_drops += 1
wait(lambda: len(by_conn("udp-good")) == 1 and len(by_conn("udp-nilhost")) == 1, 10,
     "the good datagrams did not arrive")
h = by_conn("udp-nilhost")[0].get("platform", {}).get("host")
if h != "127.0.0.1":
    fail("nil HOSTNAME gave platform.host %r" % h)
passed("an oversize datagram is dropped, good ones arrive; a nil HOSTNAME becomes the sender's address")

# TLS: no client certificate, a certificate not permitted, a permitted one.
hs0 = counter("handshake_failures")
def tls_client(cert):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(pki + "/ca.pem")
    if cert:
        ctx.load_cert_chain(pki + "/%s.pem" % cert, pki + "/%s.key" % cert)
    raw = socket.create_connection(("127.0.0.1", sport))
    return ctx.wrap_socket(raw, server_hostname="ikelogd.test")
for cert in (None, "gw-evil"):
    try:
        t = tls_client(cert)
        t.sendall(line("tls-" + (cert or "nocert"), 1) + b"\n")
        # TLS 1.3: the refusal arrives after our first write.
        t.settimeout(5)
        t.recv(1)
        t.close()
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError, socket.timeout, OSError):
        pass
t = tls_client("gw-east")
t.sendall(octet(line("tls-permitted", 1)) + line("tls-permitted", 2) + b"\n")
t.close()
t = tls_client("gw-cn")
t.sendall(line("tls-permitted", 3) + b"\n")
t.close()
wait(lambda: len(by_conn("tls-permitted")) == 3, 10, "the permitted TLS senders' lines did not arrive")
wait(lambda: counter("handshake_failures") - hs0 == 2, 5,
     "handshake_failures went from %d to %d, want +2" % (hs0, counter("handshake_failures")))
if by_conn("tls-nocert") or by_conn("tls-gw-evil"):
    fail("a refused TLS peer's line arrived")
passed("TLS without a client certificate and with one not in permitted_peers refused (handshake_failures +2); permitted ones (by DNS SAN, by CN) deliver")

wait(lambda: counter("input_dropped") == expect_drops, 5,
     "input_dropped %d, want %d" % (counter("input_dropped"), expect_drops))
passed("input_dropped counts exactly the %d hostile frames" % expect_drops)
hwm1 = vmhwm()
print("figure: syslog_in_vmhwm_after_hostile_kib %d" % hwm1)

# 1,000 idle connections: accepted, bounded, closed after idle_timeout_s.
conns0 = counter("connections")
idle = [tcp() for _ in range(idle_n)]
# And 10 that open a TLS connection and never say hello.
idle += [socket.create_connection(("127.0.0.1", sport)) for _ in range(10)]
idle_n += 10
# An authenticated TLS sender that says nothing: it may stay (rsyslog's TLS
# output would lose its next write on a connection closed under it).
quiet = tls_client("gw-east")
wait(lambda: counter("connections") - conns0 >= idle_n + 1, 10,
     "only %d of %d idle connections accepted" % (counter("connections") - conns0, idle_n))
hwm2 = vmhwm()
print("figure: syslog_in_vmhwm_1000_idle_kib %d" % hwm2)
# The well-behaved sender still gets through while they hang around.
send_good(100)
wait(lambda: len(by_conn("good")) == good_sent, 10, "the good sender's 100 lines did not arrive with %d idle connections" % idle_n)
print("ok: %d idle connections held, the well-behaved sender's next 100 lines arrive" % idle_n)
# Past max_connections: each new connection closes the longest-idle one
# (one without a client certificate first), counted; silent connections
# cannot hold every slot, and the quiet authenticated sender is not touched.
extra = [tcp() for _ in range(30)]
expect_drops += 30
wait(lambda: counter("input_dropped") == expect_drops, 5,
     "input_dropped %d, want %d" % (counter("input_dropped"), expect_drops))
import select
poller = select.poll()
# (The quiet TLS sender is readable anyway, TLS 1.3 session tickets; it is
# checked below by delivering.)
for s in idle + extra + [good]:
    poller.register(s, select.POLLIN)
time.sleep(0.5)
ready = {fd for fd, _ in poller.poll(0)}
evicted = [s for s in idle if s.fileno() in ready]
if len(evicted) != 30 or not all(closed_by_server(s, 0.1) for s in evicted):
    fail("%d idle connections closed for the 30 past max_connections, want 30" % len(evicted))
if any(s.fileno() in ready for s in extra + [good]):
    fail("a new connection or the good sender's was closed")
print("ok: 30 connections past max_connections each closed the longest-idle one, counted")
# Idle ones are closed by the server after idle_timeout_s (4 s); keep the good one busy.
t0 = time.time()
while time.time() - t0 < 6:
    send_good(1)
    time.sleep(0.5)
closed = sum(closed_by_server(s, 0.5) for s in idle)
if closed != idle_n:
    fail("only %d of %d idle connections were closed after the idle timeout" % (closed, idle_n))
print("ok: all %d idle connections closed after idle_timeout_s" % idle_n)
quiet.sendall(line("quiet-tls", 1) + b"\n")
wait(lambda: len(by_conn("quiet-tls")) == 1, 5, "the quiet authenticated TLS sender was cut off")
quiet.close()
print("ok: a quiet authenticated TLS sender stays connected past idle_timeout_s and delivers")
wait(lambda: len(by_conn("good")) == good_sent, 10, "good lines lost: %d of %d" % (len(by_conn("good")), good_sent))
print("ok: all %d lines of the well-behaved sender arrived" % good_sent)
# UDP while ikelogd is stopped: the kernel drops what its buffer cannot hold,
# SO_RXQ_OVFL tells, and every datagram is either an event or counted.
import signal
drops_before = counter("input_dropped")
# Enough to overflow the receive buffer however large the host made it.
FLOOD = max(20000, int(open("/proc/sys/net/core/rmem_default").read()) // 100)
os.kill(pid, signal.SIGSTOP)
try:
    for i in range(1, FLOOD + 1):
        u.sendto(line("udp-flood", i), ("127.0.0.1", uport))
finally:
    os.kill(pid, signal.SIGCONT)
def flood_settled():
    got = len(by_conn("udp-flood"))
    return got + counter("input_dropped") - drops_before == FLOOD
wait(flood_settled, 15, "udp flood: %d events + %d counted drops != %d sent" %
     (len(by_conn("udp-flood")), counter("input_dropped") - drops_before, FLOOD))
lost = counter("input_dropped") - drops_before
if lost == 0:
    fail("no datagram lost with ikelogd stopped: the test proved nothing")
print("ok: UDP flood while stopped: %d events + %d drops counted by the kernel = %d sent" %
      (FLOOD - lost, lost, FLOOD))
growth = vmhwm() - hwm0
print("figure: syslog_in_vmhwm_growth_kib %d" % growth)
# A 64 MiB line, 20 kB frames and 1,000 connections: buffering any of it whole would show here.
if growth > 24 * 1024:
    fail("VmHWM grew by %d KiB" % growth)
print("ok: VmHWM grew by %d KiB (bound 24 MiB) through all of it" % growth)
for s in idle + extra:
    s.close()
good.close()
EOF
kill -0 $dpid || fail "ikelogd died"
ok "ikelogd still running"
