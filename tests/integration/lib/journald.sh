# SPDX-License-Identifier: Apache-2.0
# Helpers for the journal scenarios. Source it after common.sh.
#
#   journald_ensure        a journald serves /run/systemd/journal/socket; started
#                          standalone (and stopped at exit) only when none runs
#   journald_private       starts a journald of our own in a fresh namespace
#                          (systemd-journald NAMESPACE): its own sockets and files,
#                          so rotation and vacuum touch nobody else's journal.
#                          Sets JNS, JSOCK (its native socket), JDIR (its files).
#   journald_private_alive starts the private journald again (same namespace,
#                          same files) if it has gone: a namespace instance
#                          exits after some idle time
#   journal_send SOCK MARKER FIRST COUNT [PER_SECOND]
#                          writes entries FIRST..FIRST+COUNT-1 over the native
#                          protocol: MESSAGE='"westeast" #N: initiating IKEv2
#                          connection', SYSLOG_IDENTIFIER=pluto, IKELOGD_TEST=MARKER
#   journal_count MARKER [NS]   entries the journal holds for MARKER
#   journal_check MARKER NS OUT...  compares ikelogd's outputs with the journal;
#                          prints "key value" lines (see below)
#   ikelogd_journal_config FILE MATCH_MARKER [FILES_DIR] [EXTRA_YAML]
#   ikelogd_start CONFIG OUT_ERR   starts ikelogd run, sets IKELOGD_PID, waits for "started"

JOURNALD_BIN=${JOURNALD_BIN:-/lib/systemd/systemd-journald}
JOURNALD_MADE_DEVLOG=0
JNS=
JSOCK=
JDIR=

journald_cleanup() {
	if [ -n "$JNS" ]; then
		rm -rf "/run/systemd/journal.$JNS" "/run/systemd/journald@$JNS.conf.d" \
			/var/log/journal/*."$JNS" /run/log/journal/*."$JNS" \
			2>/dev/null || true
	fi
	if [ "$JOURNALD_MADE_DEVLOG" = 1 ] && [ -L /dev/log ]; then
		rm -f /dev/log
	fi
}
trap 'cleanup_common; journald_cleanup' EXIT

# journald_alive SOCK: a journald listens on the datagram socket SOCK.
journald_alive() {
	python3 - "$1" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
try:
    s.connect(sys.argv[1])
except OSError:
    sys.exit(1)
EOF
}

journald_need() {
	need_root "journald"
	need_cmd journalctl python3
	[ -x "$JOURNALD_BIN" ] || skip "no $JOURNALD_BIN"
	# A container may come without a machine id; journald needs one.
	[ -s /etc/machine-id ] || systemd-machine-id-setup >/dev/null 2>&1 ||
		skip "no /etc/machine-id and systemd-machine-id-setup failed"
}

journald_ensure() {
	journald_need
	journald_alive /run/systemd/journal/socket && return 0
	mkdir -p /run/systemd/journal
	"$JOURNALD_BIN" >"$WORK/journald.log" 2>&1 &
	track $!
	wait_for 10 journald_alive /run/systemd/journal/socket ||
		fail "systemd-journald did not start: $(tail -5 "$WORK/journald.log")"
	if [ ! -e /dev/log ]; then
		ln -s /run/systemd/journal/dev-log /dev/log
		JOURNALD_MADE_DEVLOG=1
	fi
	echo "started systemd-journald (pid $!)"
}

journald_private_alive() {
	journald_alive "$JSOCK" && return 0
	echo "journald $JNS had exited (idle): starting it again"
	"$JOURNALD_BIN" "$JNS" >>"$WORK/journald-$JNS.log" 2>&1 &
	track $!
	wait_for 10 journald_alive "$JSOCK" ||
		fail "systemd-journald $JNS did not start again: $(tail -5 "$WORK/journald-$JNS.log")"
}

journald_private() {
	local mid
	journald_need
	JNS="ikelogdit$$r$RANDOM"
	# Our instance only: no rate limit, so a burst of test entries is never
	# suppressed (the test also checks that journald holds every entry).
	mkdir -p "/run/systemd/journald@$JNS.conf.d"
	printf '[Journal]\nRateLimitIntervalSec=0\n' >"/run/systemd/journald@$JNS.conf.d/ikelogd-test.conf"
	"$JOURNALD_BIN" "$JNS" >"$WORK/journald-$JNS.log" 2>&1 &
	track $!
	JSOCK=/run/systemd/journal.$JNS/socket
	wait_for 10 journald_alive "$JSOCK" ||
		fail "systemd-journald $JNS did not start: $(tail -5 "$WORK/journald-$JNS.log")"
	mid=$(cat /etc/machine-id)
	# Persistent if /var/log/journal exists, else volatile.
	for d in "/var/log/journal/$mid.$JNS" "/run/log/journal/$mid.$JNS"; do
		if [ -d "$d" ]; then JDIR=$d; break; fi
	done
	if [ -z "$JDIR" ]; then
		# The directory appears with the first entry.
		python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM); s.connect(sys.argv[1]); s.send(b"MESSAGE=journal opened\nSYSLOG_IDENTIFIER=ikelogd-test\n")' "$JSOCK"
		wait_for 5 bash -c "ls -d /var/log/journal/$mid.$JNS /run/log/journal/$mid.$JNS 2>/dev/null | grep -q ." ||
			fail "journald $JNS made no journal directory"
		JDIR=$(ls -d "/var/log/journal/$mid.$JNS" "/run/log/journal/$mid.$JNS" 2>/dev/null | head -1)
	fi
}

journal_send() {
	python3 - "$@" <<'EOF'
import socket, sys, time
sock, marker, first, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rate = float(sys.argv[5]) if len(sys.argv) > 5 else 0
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.connect(sock)
t0 = time.monotonic()
for i in range(first, first + count):
    msg = ('MESSAGE="westeast" #%d: initiating IKEv2 connection\n'
           'SYSLOG_IDENTIFIER=pluto\nIKELOGD_TEST=%s\n' % (i, marker))
    s.send(msg.encode())  # blocks while journald's queue is full: nothing dropped here
    if rate:
        ahead = (i - first + 1) / rate - (time.monotonic() - t0)
        if ahead > 0:
            time.sleep(ahead)
EOF
}

journal_count() {
	local ns=()
	[ -z "${2:-}" ] || ns=(--namespace="$2")
	journalctl "${ns[@]}" "IKELOGD_TEST=$1" -o cat 2>/dev/null | wc -l
}

# Prints, one per line:
#   journal N        entries the journal holds for the marker
#   events N         lines in the outputs (all files together)
#   unique N         distinct event ids among them
#   missing N        journal entries with no event of their id
#   wrong_id N       events whose id is not the id of their entry's cursor
#                    (among entries the journal still holds)
#   dup N            events beyond the first for an id
#   dup_mismatch N   duplicates whose serial differs from their original's
#   not_in_journal N events whose entry the journal no longer holds (vacuumed)
#   serials N        distinct entry numbers (#N) among the events
journal_check() {
	local marker=$1 ns=$2
	shift 2
	local nsarg=()
	[ -z "$ns" ] || nsarg=(--namespace="$ns")
	journalctl "${nsarg[@]}" "IKELOGD_TEST=$marker" -o json --output-fields=MESSAGE \
		>"$WORK/journal-$marker.json"
	python3 - "$WORK/journal-$marker.json" "$@" <<'EOF'
import hashlib, json, re, sys
entries = {}  # serial -> expected id
for line in open(sys.argv[1]):
    e = json.loads(line)
    serial = int(re.search(r'#(\d+):', e["MESSAGE"]).group(1))
    cur = e["__CURSOR"]
    # The documented id: SHA-256 of "journal:" and the cursor's s= and i= fields.
    si = ";".join(cur.split(";")[:2])
    entries[serial] = hashlib.sha256(("journal:" + si).encode()).hexdigest()[:32]
seen = {}  # id -> serial of its first event
events = dup = wrong = mismatch = gone = 0
series = set()
for path in sys.argv[2:]:
    try:
        f = open(path)
    except FileNotFoundError:
        continue
    for line in f:
        if not line.endswith("\n"):
            continue
        ev = json.loads(line)
        # ike_sa_summary: made by ikelogd (an IKE SA that ended or left the
        # correlation table), no journal entry of its own
        if ev.get("event_type") in ("daemon_stats", "ike_sa_summary"):
            continue
        events += 1
        eid, serial = ev.get("event_id"), ev.get("state_serial")
        series.add(serial)
        if serial not in entries:
            gone += 1  # its entry is no longer in the journal (vacuumed)
        elif entries[serial] != eid:
            wrong += 1
        if eid in seen:
            dup += 1
            if seen[eid] != serial:
                mismatch += 1
        else:
            seen[eid] = serial
missing = sum(1 for s, i in entries.items() if i not in seen)
print("journal", len(entries))
print("events", events)
print("unique", len(seen))
print("missing", missing)
print("wrong_id", wrong)
print("dup", dup)
print("dup_mismatch", mismatch)
print("not_in_journal", gone)
print("serials", len(series))
EOF
}

# check_value FILE KEY: the value of "KEY N" in a journal_check result.
check_value() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }

ikelogd_journal_config() {
	local file=$1 marker=$2 dir=${3:-} extra=${4:-}
	local files="[]"
	[ -z "$dir" ] || files="[$dir]"
	cat >"$file" <<EOF
source:
  type: journal
  journal:
    match: [IKELOGD_TEST=$marker]
    files: $files
    start: tail
$(ikelogd_base_config)
output:
  type: file
  path: $WORK/out.json
$extra
EOF
}

# ikelogd_start CONFIG ERRFILE [OUTPUT]: output path patched in when given.
ikelogd_start() {
	local cfg=$1 err=$2
	if [ -n "${3:-}" ]; then
		sed -i "s|^  path: .*\$|  path: $3|" "$cfg"
	fi
	"$IKELOGD" run -c "$cfg" 2>"$err" &
	IKELOGD_PID=$!
	track $IKELOGD_PID
	wait_for 10 grep -q 'started' "$err" || fail "ikelogd did not start: $(cat "$err")"
}

# lines FILE...: complete lines in the files together.
lines() { cat "$@" 2>/dev/null | wc -l; }

# journal_restart_scenario SIGNAL N: N entries written to a private journald
# while ikelogd follows it; at about a third, ikelogd gets SIGNAL and a second
# ikelogd takes over from the saved position. Leaves the journal_check
# result in $WORK/check.txt and the second run's pid stopped.
journal_restart_scenario() {
	local sig=$1 n=$2 marker="restart$$r$RANDOM" writer first
	journald_private
	ikelogd_journal_config "$WORK/ikelogd.yaml" "$marker" "$JDIR"
	ikelogd_start "$WORK/ikelogd.yaml" "$WORK/run1.err" "$WORK/out1.json"
	first=$IKELOGD_PID
	journal_send "$JSOCK" "$marker" 0 "$n" &
	writer=$!
	track $writer
	wait_for 60 bash -c "[ \$(wc -l <'$WORK/out1.json') -ge $((n / 3)) ]" ||
		fail "the first run did not reach $((n / 3)) events: $(tail -3 "$WORK/run1.err")"
	kill -"$sig" "$first"
	local rc=0
	wait "$first" || rc=$?
	echo "first run: SIG$sig at $(lines "$WORK/out1.json") events, exit $rc"
	if [ "$sig" = TERM ]; then
		[ "$rc" = 0 ] || fail "ikelogd exited $rc on SIGTERM"
	fi
	ikelogd_start "$WORK/ikelogd.yaml" "$WORK/run2.err" "$WORK/out2.json"
	wait "$writer" || fail "the writer failed"
	[ "$(journal_count "$marker" "$JNS")" = "$n" ] ||
		fail "journald holds $(journal_count "$marker" "$JNS") of $n entries: it dropped some"
	ok "journald holds all $n entries"
	wait_for 120 bash -c "[ \$(cat '$WORK/out1.json' '$WORK/out2.json' | wc -l) -ge $n ]" ||
		echo "union stays at $(lines "$WORK/out1.json" "$WORK/out2.json") lines"
	sleep 0.5
	kill -TERM "$IKELOGD_PID"
	wait "$IKELOGD_PID" || fail "second run exited $? on SIGTERM"
	journal_check "$marker" "$JNS" "$WORK/out1.json" "$WORK/out2.json" >"$WORK/check.txt"
	cat "$WORK/check.txt"
	[ "$(check_value "$WORK/check.txt" journal)" = "$n" ] || fail "journal count differs"
	[ "$(check_value "$WORK/check.txt" missing)" = 0 ] ||
		fail "$(check_value "$WORK/check.txt" missing) entries missing from the union"
	ok "the union of both runs holds every one of the $n entries"
	[ "$(check_value "$WORK/check.txt" wrong_id)" = 0 ] ||
		fail "$(check_value "$WORK/check.txt" wrong_id) events with another id than their cursor's"
	[ "$(check_value "$WORK/check.txt" dup_mismatch)" = 0 ] ||
		fail "duplicates that differ from their original"
	ok "every event (duplicates too) carries the id of its journal cursor"
}
