# SPDX-License-Identifier: Apache-2.0
# The Libreswan lab: two network namespaces ("west" 192.0.2.1 with
# 198.51.100.0/24 behind it, "east" 192.0.2.2 with 203.0.113.0/24 behind it)
# joined by a veth pair, one real pluto in each, logging through syslog(3)
# into journald. Source this file (bash); it defines functions only:
#
#   lab_up              namespaces, NSS databases, certificates, configs, plutos
#   lab_down            stops what lab_up started (by pid), deletes namespaces
#   lab_run SCENARIO    loads the scenario's connections, drives it with whack,
#                       waits for its end, deletes the connections; LAB_BEGIN_US
#                       and LAB_END_US hold the scenario's window (journal
#                       receive time, microseconds since the epoch)
#   lab_capture SCENARIO DIR   writes DIR/SCENARIO.{export,log,west.log,east.log,
#                       syslog} from the journal entries of both plutos in the
#                       scenario's window
#
# Callers set LAB_DIR (an empty directory) first; LAB_ROOT is the source tree.
# The shim build/lab/xfrm_ok.so is preloaded into both plutos when it exists
# (the kernel here has XFRM but no ESP: without it every Child SA fails to
# install); the scenario psk-noesp switches it off to keep that failure path.

LAB_ROOT=${LAB_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
LAB_PLUTO=${LAB_PLUTO:-/usr/libexec/ipsec/pluto}
LAB_SCENARIOS="psk-ok psk-noesp psk-wrong ike-mismatch esp-mismatch ts-mismatch peer-down delete rekey liveness ikev1 cert-ok cert-unknown-ca cert-id-mismatch"
# Captured, but not in the end-to-end test: how the responder fails to parse
# a Main Mode message sealed with another PSK depends on what the garbage
# decrypts to, so its lines differ from run to run.
LAB_CAPTURE_ONLY="ikev1-psk-wrong"
LAB_W_IP=192.0.2.1
LAB_E_IP=192.0.2.2
LAB_DEAD_IP=192.0.2.3
LAB_PSK='lab-psk: 9c1e4b7a2f60d8e3 5a7b1c9d0e2f4a6b'
LAB_STARTED_JOURNALD=
LAB_PIDS=()

lab_log() { echo "lab: $*" >&2; }

lab_ns() { # lab_ns west|east CMD...: runs CMD inside that peer's namespace
	local side=$1; shift
	ip netns exec "$LAB_NS-$side" "$@"
}

lab_whack() { # lab_whack west|east ARGS...
	local side=$1; shift
	lab_ns "$side" ipsec whack --ctlsocket "$LAB_DIR/$side/run/pluto.ctl" "$@"
}

# lab_journald: makes sure a journald listens on /dev/log (CI has none):
# starts /lib/systemd/systemd-journald standalone when none answers, and
# lab_down stops it again. (The integration tests use journald_ensure from
# tests/integration/lib/journald.sh instead; then this finds one running.)
lab_journald() {
	if [ -S /run/systemd/journal/socket ] && [ -S /run/systemd/journal/dev-log ] &&
		python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM); s.connect(sys.argv[1])' \
			/run/systemd/journal/socket 2>/dev/null; then
		return 0
	fi
	[ -s /etc/machine-id ] || systemd-machine-id-setup >/dev/null 2>&1 || true
	mkdir -p /run/systemd/journal
	/lib/systemd/systemd-journald >"$LAB_DIR/journald.out" 2>&1 &
	LAB_STARTED_JOURNALD=$!
	local i
	for i in $(seq 100); do
		[ -S /run/systemd/journal/dev-log ] && break
		sleep 0.05
	done
	if [ ! -e /dev/log ]; then
		ln -s /run/systemd/journal/dev-log /dev/log && LAB_MADE_DEVLOG=1
	fi
	[ -S /run/systemd/journal/dev-log ] || { lab_log "journald did not start"; return 1; }
	lab_log "started systemd-journald (pid $LAB_STARTED_JOURNALD)"
}

# lab_nss SIDE: the peer's NSS database, with the lab CA trusted and its
# certificate (and, for west, a certificate from a CA east does not know).
lab_nss() {
	local side=$1 db="sql:$LAB_DIR/$1/nss"
	mkdir -p "$LAB_DIR/$side/nss"
	certutil -N -d "$db" --empty-password </dev/null
	certutil -A -d "$db" -n lab-ca -t "CT,," -a -i "$LAB_DIR/pki/lab-ca.pem"
	pk12util -i "$LAB_DIR/pki/$side.p12" -d "$db" -W "" -K "" >/dev/null
	if [ "$side" = west ]; then
		pk12util -i "$LAB_DIR/pki/west-rogue.p12" -d "$db" -W "" -K "" >/dev/null
		certutil -M -d "$db" -n rogue-ca -t ",," 2>/dev/null || true
	fi
}

# lab_pki: two CAs (the lab CA both peers trust, a rogue one only west's
# rogue certificate comes from) and the peers' certificates, as PKCS#12.
lab_pki() {
	local ca="$LAB_DIR/pki/ca"
	mkdir -p "$ca"
	certutil -N -d "sql:$ca" --empty-password </dev/null
	head -c 64 /dev/urandom >"$LAB_DIR/pki/noise"
	local n=1 name subj
	for name in lab-ca rogue-ca; do
		case $name in
		lab-ca) subj="CN=Lab CA,O=ikelogd lab,C=XX" ;;
		rogue-ca) subj="CN=Rogue CA,O=elsewhere,C=XX" ;;
		esac
		printf 'y\n0\ny\n' | certutil -S -d "sql:$ca" -n "$name" -s "$subj" -x -t "CT,C,C" \
			-k rsa -g 2048 -Z SHA256 -m $n -v 12 -z "$LAB_DIR/pki/noise" -2 \
			--keyUsage certSigning,crlSigning >/dev/null 2>&1
		certutil -L -d "sql:$ca" -n "$name" -a >"$LAB_DIR/pki/$name.pem"
		n=$((n + 1))
	done
	for name in west east west-rogue; do
		local issuer=lab-ca cn=$name
		local org="ikelogd lab"
		[ "$name" = west-rogue ] && issuer=rogue-ca cn=west org="rogue lab"
		certutil -S -d "sql:$ca" -n "$name" -s "CN=$cn.lab.example,O=$org,C=XX" \
			-c "$issuer" -t ",," -k rsa -g 2048 -Z SHA256 -m $n -v 12 \
			-z "$LAB_DIR/pki/noise" --extSAN "dns:$cn.lab.example" \
			--keyUsage digitalSignature --extKeyUsage serverAuth,clientAuth >/dev/null 2>&1
		pk12util -o "$LAB_DIR/pki/$name.p12" -n "$name" -d "sql:$ca" -W "" -K "" >/dev/null
		n=$((n + 1))
	done
}

# lab_conn SIDE NAME: the conn section NAME as SIDE writes it. West always
# initiates; the mismatches come from what each side writes here.
lab_conn() {
	local side=$1 name=$2
	local wid=@west eid=@east extra="" wsub=198.51.100.0/24 esub=203.0.113.0/24
	local auth="authby=secret" right=$LAB_E_IP
	case $name in
	psk-ok | psk-noesp | delete | psk-debug) ;;
	psk-wrong) wid=@west-psk-wrong eid=@east-psk-wrong ;;
	ike-mismatch)
		if [ "$side" = west ]; then extra="ike=aes256-sha2_512-modp4096"; else extra="ike=aes128-sha1-modp2048"; fi ;;
	esp-mismatch)
		if [ "$side" = west ]; then extra="esp=aes256-sha2_512"; else extra="esp=aes128-sha1"; fi ;;
	ts-mismatch)
		[ "$side" = west ] && esub=203.0.113.128/25
		[ "$side" = east ] && wsub=198.51.100.0/25 ;;
	peer-down) right=$LAB_DEAD_IP ;;
	rekey) extra="rekeymargin=2s" ;;
	liveness) extra=$'dpddelay=1\n\tdpdtimeout=3\n\tdpdaction=clear' ;;
	ikev1) extra=$'ikev2=no\n\tike=aes256-sha2_256-modp2048\n\tesp=aes256-sha2_256'
		wid=@west-v1 eid=@east-v1 ;;
	ikev1-psk-wrong) extra=$'ikev2=no\n\tike=aes256-sha2_256-modp2048\n\tesp=aes256-sha2_256'
		wid=@west-v1-psk-wrong eid=@east-v1-psk-wrong ;;
	cert-ok | cert-unknown-ca | cert-id-mismatch)
		auth="authby=rsasig"
		# FQDN identities, as the certificates' DNS subjectAltNames say
		wid=@west.lab.example eid=@east.lab.example
		local wcert=west
		[ "$name" = cert-unknown-ca ] && wcert=west-rogue
		[ "$name" = cert-id-mismatch ] && [ "$side" = east ] &&
			wid=@someone-else.lab.example
		if [ "$side" = west ]; then
			extra=$'leftcert='$wcert$'\n\tleftsendcert=always'
		else
			extra=$'rightca=%any\n\tleftcert=east\n\tleftsendcert=always'
		fi ;;
	*) lab_log "unknown scenario $name"; return 1 ;;
	esac
	# Pluto decides which side is "left" by its own addresses: west is left.
	if [ "$side" = east ] && [ "${extra#*leftcert=east}" != "$extra" ]; then
		extra=${extra//leftcert=east/rightcert=east}
		extra=${extra//leftsendcert/rightsendcert}
		extra=${extra//rightca=%any/leftca=%any}
	fi
	cat <<EOF
conn $name
	left=$LAB_W_IP
	leftid=$wid
	leftsubnet=$wsub
	right=$right
	rightid=$eid
	rightsubnet=$esub
	$auth
	auto=ignore
	keyingtries=1
	retransmit-timeout=5s
	retransmit-interval=250
	ikelifetime=1h
	salifetime=30m
	${extra}

EOF
}

lab_write_conf() { # lab_write_conf SIDE
	local side=$1 d=$LAB_DIR/$1 s
	{
		echo "# SPDX-License-Identifier: Apache-2.0"
		echo "config setup"
		echo "	uniqueids=no"
		echo "	audit-log=no"
		echo "	ikev1-policy=accept"
		echo
		for s in $LAB_SCENARIOS $LAB_CAPTURE_ONLY psk-debug; do
			lab_conn "$side" "$s"
		done
	} >"$d/ipsec.conf"
	{
		echo "@west @east : PSK \"$LAB_PSK\""
		echo "@west-v1 @east-v1 : PSK \"$LAB_PSK v1\""
		for w in psk-wrong v1-psk-wrong; do
			echo "@west-$w @east-$w : PSK \"what $side believes the shared secret is\""
		done
		echo ": RSA \"$side\""
	} >"$d/ipsec.secrets"
	chmod 600 "$d/ipsec.secrets"
}

lab_start_pluto() { # lab_start_pluto SIDE
	local side=$1 d=$LAB_DIR/$1 pre=""
	[ -z "${LAB_NO_SHIM:-}" ] && [ -e "$LAB_ROOT/build/lab/xfrm_ok.so" ] && pre="LD_PRELOAD=$LAB_ROOT/build/lab/xfrm_ok.so"
	mkdir -p "$d/run"
	ip netns exec "$LAB_NS-$side" env $pre XFRM_OK_OFF="$LAB_DIR/xfrm-off" \
		"$LAB_PLUTO" --nofork --config "$d/ipsec.conf" --rundir "$d/run" \
		--nssdir "$d/nss" --secretsfile "$d/ipsec.secrets" --ipsecdir "$d" \
		--dumpdir "$d/run" >"$d/pluto.out" 2>&1 &
	local pid=$!
	LAB_PIDS+=("$pid")
	eval "LAB_PID_${side^^}=$pid"
	local i
	for i in $(seq 100); do
		[ -S "$d/run/pluto.ctl" ] && lab_whack "$side" --status >/dev/null 2>&1 && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	lab_log "pluto ($side) did not start:"; cat "$d/pluto.out" >&2
	return 1
}

lab_up() {
	: "${LAB_DIR:?set LAB_DIR}"
	LAB_NS=${LAB_NS:-ikl$$}
	command -v ip >/dev/null && [ -x "$LAB_PLUTO" ] || { lab_log "needs ip and $LAB_PLUTO"; return 1; }
	lab_journald || return 1
	mkdir -p "$LAB_DIR/west" "$LAB_DIR/east" "$LAB_DIR/pki"
	LAB_NETNS_MOUNTED=
	mountpoint -q /run/netns 2>/dev/null || LAB_NETNS_MOUNTED=1
	LAB_NETNS_MADE=1
	ip netns add "$LAB_NS-west" && ip netns add "$LAB_NS-east" || return 1
	ip link add "$LAB_NS-w" netns "$LAB_NS-west" type veth peer name "$LAB_NS-e" netns "$LAB_NS-east" || return 1
	lab_ns west ip link set lo up
	lab_ns east ip link set lo up
	lab_ns west ip addr add $LAB_W_IP/24 dev "$LAB_NS-w"
	lab_ns east ip addr add $LAB_E_IP/24 dev "$LAB_NS-e"
	lab_ns west ip link set "$LAB_NS-w" up
	lab_ns east ip link set "$LAB_NS-e" up
	lab_ns west ip addr add 198.51.100.1/24 dev lo
	lab_ns east ip addr add 203.0.113.1/24 dev lo
	lab_ns west ip route add 203.0.113.0/24 via $LAB_E_IP
	lab_ns east ip route add 198.51.100.0/24 via $LAB_W_IP
	# Nobody answers at the dead peer's address: a neighbour that is not there.
	lab_ns west ip neigh add $LAB_DEAD_IP lladdr 02:00:00:00:00:03 dev "$LAB_NS-w" nud permanent
	lab_pki || { lab_log "certificates failed"; return 1; }
	local side
	for side in west east; do
		lab_nss "$side" || return 1
		lab_write_conf "$side"
		lab_start_pluto "$side" || return 1
		# A failed connection is not revived: each scenario ends where it ends
		# (on a gateway pluto would try again and log the same lines again).
		lab_whack "$side" --impair revival >/dev/null
	done
}

# lab_kernel_esp: the kernel installs ESP SAs (then psk-noesp cannot show
# the failure it is about; the lab kernel this was written on has XFRM
# without ESP). Run after lab_up; leaves no SA behind.
lab_kernel_esp() {
	local rc=0
	lab_ns west ip xfrm state add src $LAB_W_IP dst $LAB_E_IP proto esp spi 0x1ab mode tunnel \
		enc 'cbc(aes)' 0x000102030405060708090a0b0c0d0e0f \
		auth 'hmac(sha256)' 0x000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f \
		>/dev/null 2>&1 || rc=1
	lab_ns west ip xfrm state flush >/dev/null 2>&1 || true
	return $rc
}

lab_down() { # safe under set -e: every step may find its object gone
	local p
	for p in "${LAB_PIDS[@]:-}"; do
		[ -z "$p" ] || kill "$p" 2>/dev/null || true
	done
	for p in "${LAB_PIDS[@]:-}"; do
		[ -n "$p" ] || continue
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	LAB_PIDS=()
	if [ -n "${LAB_NETNS_MADE:-}" ]; then
		ip netns del "$LAB_NS-west" 2>/dev/null || true
		ip netns del "$LAB_NS-east" 2>/dev/null || true
		LAB_NETNS_MADE=
		# ip made /run/netns a mount point for our namespaces: undo that too
		# when it was not one before and no namespace is left in it.
		if [ -n "${LAB_NETNS_MOUNTED:-}" ] && [ -z "$(ip netns list 2>/dev/null)" ]; then
			umount /run/netns 2>/dev/null || true
		fi
	fi
	if [ -n "$LAB_STARTED_JOURNALD" ]; then
		kill "$LAB_STARTED_JOURNALD" 2>/dev/null || true
		wait "$LAB_STARTED_JOURNALD" 2>/dev/null || true
		LAB_STARTED_JOURNALD=
	fi
	if [ -n "${LAB_MADE_DEVLOG:-}" ] && [ -L /dev/log ]; then
		rm -f /dev/log || true
		LAB_MADE_DEVLOG=
	fi
	return 0
}

# lab_wait_log SECONDS PATTERN: waits until a pluto line since LAB_BEGIN_US
# matches the extended regular expression PATTERN.
lab_wait_log() {
	local limit=$1 pat=$2 end=$(($(date +%s) + $1))
	while [ "$(date +%s)" -le "$end" ]; do
		journalctl -q --no-pager -o cat --since="@${LAB_BEGIN_US:0:-6}.${LAB_BEGIN_US: -6}" \
			_PID="$LAB_PID_WEST" _PID="$LAB_PID_EAST" 2>/dev/null | grep -Eq -- "$pat" && return 0
		sleep 0.2
	done
	lab_log "timed out after ${limit}s waiting for /$pat/"
	return 1
}

lab_add() { # lab_add NAME: both sides load conn NAME
	local side
	for side in west east; do
		lab_ns "$side" ipsec addconn --ctlsocket "$LAB_DIR/$side/run/pluto.ctl" \
			--config "$LAB_DIR/$side/ipsec.conf" "$1" >/dev/null || return 1
	done
}

lab_del() { # lab_del NAME: both sides delete conn NAME (and its SAs)
	lab_whack west --delete --name "$1" >/dev/null 2>&1
	lab_whack east --delete --name "$1" >/dev/null 2>&1
	return 0
}

lab_initiate() { # lab_initiate NAME: west initiates without waiting
	lab_whack west --initiate --asynchronous --name "$1" >/dev/null 2>&1
}

# The scenarios. Each ends when the last line it is about has been logged.
lab_scn_psk-ok() {
	lab_initiate psk-ok
	lab_wait_log 10 'initiator established Child SA' || return 1
	sleep 0.3
}
lab_scn_psk-debug() {
	lab_initiate psk-debug
	lab_wait_log 20 'established Child SA' || return 1
	sleep 1
}
lab_scn_psk-noesp() {
	lab_initiate psk-noesp
	lab_wait_log 10 'NO_PROPOSAL_CHOSEN|TS_UNACCEPTABLE|errno 38|(failed|FAILED).*(add|install)'
	sleep 1
}
lab_scn_psk-wrong() {
	lab_initiate psk-wrong
	lab_wait_log 10 'request rejected by peer: AUTHENTICATION_FAILED' || return 1
	sleep 0.5
}
lab_scn_ike-mismatch() {
	lab_initiate ike-mismatch
	lab_wait_log 15 'timeout exceeded' || return 1
	sleep 0.5
}
lab_scn_esp-mismatch() {
	lab_initiate esp-mismatch
	lab_wait_log 10 'NO_PROPOSAL_CHOSEN'
	sleep 1
}
lab_scn_ts-mismatch() {
	lab_initiate ts-mismatch
	lab_wait_log 10 'TS_UNACCEPTABLE'
	sleep 1
}
lab_scn_peer-down() {
	lab_initiate peer-down
	lab_wait_log 15 'timeout exceeded' || return 1
	sleep 0.5
}
lab_scn_delete() {
	lab_initiate delete
	lab_wait_log 10 'established Child SA' || return 1
	lab_whack west --terminate --name delete >/dev/null 2>&1
	lab_wait_log 10 'received Delete SA payload|deleting IKE SA|deleting state' || return 1
	sleep 1
}
lab_scn_rekey() {
	lab_initiate rekey
	lab_wait_log 10 'established Child SA' || return 1
	lab_whack west --rekey-ipsec --name rekey >/dev/null 2>&1
	lab_wait_log 10 'rekeyed Child SA|established Child SA.*#3' || return 1
	lab_whack west --rekey-ike --name rekey >/dev/null 2>&1
	lab_wait_log 10 'rekeyed IKE SA|established IKE SA.*#4|#4.*established' || return 1
	sleep 1
}
lab_scn_liveness() {
	lab_initiate liveness
	lab_wait_log 10 'established Child SA' || return 1
	# The peer vanishes: its frames now go to a neighbour that is not there.
	lab_ns west ip neigh replace $LAB_E_IP lladdr 02:00:00:00:00:02 dev "$LAB_NS-w" nud permanent
	lab_wait_log 20 'liveness_check|not responded|liveness action|dead peer' || true
	sleep 1
	lab_ns west ip neigh del $LAB_E_IP dev "$LAB_NS-w" 2>/dev/null
	return 0
}
lab_scn_ikev1() {
	lab_initiate ikev1
	lab_wait_log 10 'IPsec SA established' || return 1
	sleep 0.5
}
lab_scn_ikev1-psk-wrong() {
	lab_initiate ikev1-psk-wrong
	lab_wait_log 15 'STATE_MAIN_I3: .*timeout exceeded' || return 1
	lab_wait_log 10 'STATE_MAIN_R2: .*timeout exceeded' || return 1
	sleep 0.5
}
lab_scn_cert-ok() {
	lab_initiate cert-ok
	lab_wait_log 10 'initiator established Child SA' || return 1
	sleep 0.3
}
lab_scn_cert-unknown-ca() {
	lab_initiate cert-unknown-ca
	lab_wait_log 10 'AUTHENTICATION_FAILED' || return 1
	sleep 1
}
lab_scn_cert-id-mismatch() {
	lab_initiate cert-id-mismatch
	lab_wait_log 10 'AUTHENTICATION_FAILED' || return 1
	sleep 1
}

lab_run() { # lab_run SCENARIO
	local name=$1 rc=0
	rm -f "$LAB_DIR/xfrm-off"
	[ "$name" = psk-noesp ] && : >"$LAB_DIR/xfrm-off"
	if [ "$name" = psk-debug ]; then
		lab_whack west --debug all >/dev/null
		lab_whack east --debug all >/dev/null
	fi
	LAB_BEGIN_US=$(date +%s%6N)
	lab_add "$name" || return 1
	"lab_scn_$name" || rc=1
	journalctl --sync 2>/dev/null || sleep 0.5
	LAB_END_US=$(date +%s%6N)
	if [ "$name" = psk-debug ]; then
		lab_whack west --debug none >/dev/null
		lab_whack east --debug none >/dev/null
	fi
	lab_del "$name"
	rm -f "$LAB_DIR/xfrm-off"
	return $rc
}

# lab_capture SCENARIO DIR: the scenario's entries of both plutos.
lab_capture() {
	local name=$1 dir=$2
	journalctl -q --no-pager -o export --since="@$((${LAB_BEGIN_US:0:-6} - 1))" \
		_PID="$LAB_PID_WEST" _PID="$LAB_PID_EAST" >"$dir/$name.export.tmp"
	python3 "$LAB_ROOT/tests/lab/export_split.py" --window "$LAB_BEGIN_US,$LAB_END_US" \
		--side "west=$LAB_PID_WEST" --side "east=$LAB_PID_EAST" \
		"$dir/$name.export.tmp" "$dir/$name"
	rm -f "$dir/$name.export.tmp"
}
