# SPDX-License-Identifier: Apache-2.0
# A syslog-ng TLS receiver for the scenarios, from
# conf/collector/syslog-ng-tls.conf with the placeholders filled in. Source
# common.sh first.
#
# Debian's syslog-ng-core conflicts with rsyslog (both are the system's log
# daemon), so it is not installed: its package is downloaded once with
# apt-get download into build/syslog-ng/ and unpacked there, and that copy
# runs with its own modules. Its libraries (libivykis0, libnet1, libwrap0)
# are among make deps' packages.
#
#   syslog_ng_get           the unpacked copy; skips the scenario when it cannot be had
#   syslog_ng_setup PORT PKIDIR [PEER]
#                           writes $WORK/syslog-ng/{syslog-ng.conf}; messages go to
#                           $WORK/syslog-ng/out.log, parsed fields to out.log.fields
#   syslog_ng_start         starts it in the foreground, in the background, tracked;
#                           waits until it listens
#   syslog_ng_stop          SIGTERM to that pid, and waits for its end

SYSLOG_NG_ROOT=$ROOT/build/syslog-ng/root
SYSLOG_NG_DIR=$WORK/syslog-ng

# Runs the copy with its own libraries and modules. With `exec` first, in
# place of the calling (sub)shell: a start in the background then gives
# syslog-ng's own pid as $!, which the stop and the exit trap kill (a
# subshell's pid would die and leave syslog-ng running).
syslog_ng_run() {
	local e=
	if [ "${1:-}" = exec ]; then
		e=exec
		shift
	fi
	LD_LIBRARY_PATH=$SYSLOG_NG_ROOT/usr/lib/syslog-ng $e "$SYSLOG_NG_ROOT/usr/sbin/syslog-ng" \
		--module-path="$SYSLOG_NG_ROOT/usr/lib/syslog-ng/3.38" "$@"
}

syslog_ng_get() {
	local d=$ROOT/build/syslog-ng
	if [ ! -x "$SYSLOG_NG_ROOT/usr/sbin/syslog-ng" ]; then
		need_cmd apt-get dpkg
		mkdir -p "$d"
		(cd "$d" && rm -f ./*.deb && apt-get download -q syslog-ng-core >"$d/download.log" 2>&1) ||
			skip "cannot download Debian's syslog-ng-core: $(tail -n 1 "$d/download.log")"
		dpkg -x "$d"/syslog-ng-core_*.deb "$d/root.new" && rm -rf "$SYSLOG_NG_ROOT" &&
			mv "$d/root.new" "$SYSLOG_NG_ROOT" || fail "cannot unpack syslog-ng-core"
	fi
	syslog_ng_run --version >"$d/version.txt" 2>&1 ||
		skip "the unpacked syslog-ng does not run (its libraries: make deps): $(tail -n 1 "$d/version.txt")"
}

syslog_ng_setup() {
	local port=$1 pki=$2 peer=${3:-gateway.test}
	mkdir -p "$SYSLOG_NG_DIR"
	echo "$port" >"$SYSLOG_NG_DIR/port"
	sed -e "s|@ADDR@|127.0.0.1|g" -e "s|@PORT@|$port|g" -e "s|@CA@|$pki/ca.pem|g" \
		-e "s|@CERT@|$pki/server.pem|g" -e "s|@KEY@|$pki/server.key|g" -e "s|@PEER@|$peer|g" \
		-e "s|@OUT@|$SYSLOG_NG_DIR/out.log|g" \
		"$ROOT/conf/collector/syslog-ng-tls.conf" >"$SYSLOG_NG_DIR/syslog-ng.conf"
	syslog_ng_run --syntax-only -f "$SYSLOG_NG_DIR/syslog-ng.conf" >"$SYSLOG_NG_DIR/check.log" 2>&1 ||
		fail "syslog-ng rejects the collector config: $(tail -n 5 "$SYSLOG_NG_DIR/check.log")"
}

syslog_ng_listening() { ss -Hltn "sport = :$1" | grep -q .; }

syslog_ng_start() {
	local d=$SYSLOG_NG_DIR pid port
	port=$(cat "$d/port")
	syslog_ng_run exec -F --no-caps -f "$d/syslog-ng.conf" --persist-file="$d/persist" \
		--pidfile="$d/syslog-ng.pid" --control="$d/ctl" >>"$d/syslog-ng.log" 2>&1 &
	pid=$!
	track "$pid"
	echo "$pid" >"$d/pid"
	wait_for 10 syslog_ng_listening "$port" ||
		fail "syslog-ng did not listen on $port: $(tail -n 5 "$d/syslog-ng.log")"
	[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = syslog-ng ] ||
		fail "the pid tracked ($pid) is not syslog-ng's own: stopping it would leave syslog-ng running"
}

syslog_ng_stop() {
	local pid
	pid=$(cat "$SYSLOG_NG_DIR/pid")
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	kill -0 "$pid" 2>/dev/null && fail "syslog-ng (pid $pid) did not stop on SIGTERM"
	wait "$pid" 2>/dev/null || true
}
