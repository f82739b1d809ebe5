#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# systemd/ikelogd.service, with its placeholders replaced the way
# `make install` does, pointing at the built binary: systemd-analyze verify
# accepts it without a single warning (a misspelled directive is only a
# warning, so the test demands silence and checks that a broken copy is not
# silent), it carries the hardening the design asks for, and
# `systemd-analyze security --offline=yes` rates its exposure at 2.0 or less.
source "$(dirname "$0")/lib/common.sh"
need_cmd systemd-analyze man
cd "$ROOT"

if [ ! -x "$IKELOGD" ]; then
	make -s build/ikelogd >"$WORK/make.log" 2>&1 ||
		fail "build/ikelogd does not build ($(tail -n 1 "$WORK/make.log"))"
fi

mkdir -p "$WORK/unit" "$WORK/etc/ikelogd" "$WORK/man/man5" "$WORK/man/man8"
unit="$WORK/unit/ikelogd.service"
sed -e "s|@SBINDIR@|$(dirname "$IKELOGD")|g" -e "s|@SYSCONFDIR@|$WORK/etc|g" \
	systemd/ikelogd.service >"$unit"
! grep -n '@[A-Z]*@' "$unit" || fail "placeholders left in the unit"
grep -q "^ExecStart=$IKELOGD run -c $WORK/etc/ikelogd/ikelogd.yaml\$" "$unit" ||
	fail "ExecStart= is not '$IKELOGD run -c .../ikelogd.yaml'"
ok "placeholders replaced; ExecStart= runs the built binary with -c SYSCONFDIR/ikelogd/ikelogd.yaml"

# Documentation=man:... is checked by verify through man(1): offer our pages.
cp conf/man/ikelogd.yaml.5 "$WORK/man/man5/"
cp conf/man/ikelogd.8 "$WORK/man/man8/"
export MANPATH="$WORK/man"

# This machine has no systemd as PID 1; verify works offline on unit files
# and still loads the units named in After=/Wants= from the system's unit
# path, so a typo there would show too.
rc=0
(cd "$WORK/unit" && systemd-analyze verify ./ikelogd.service) >"$WORK/verify.out" 2>&1 || rc=$?
if [ "$rc" -ne 0 ] || [ -s "$WORK/verify.out" ]; then
	cat "$WORK/verify.out" >&2
	fail "systemd-analyze verify: rc=$rc, output above"
fi
ok "systemd-analyze verify: exit 0 and no warning"

# The check above must be able to fail: a misspelled directive and a
# missing man page each produce output.
sed -e 's/^ProtectHome=yes/ProtectHomes=yes/' "$unit" >"$WORK/unit/broken.service"
(cd "$WORK/unit" && MANPATH=/nonexistent systemd-analyze verify ./broken.service) \
	>"$WORK/broken.out" 2>&1 || true
grep -q "Unknown key 'ProtectHomes'" "$WORK/broken.out" ||
	fail "verify did not report a misspelled directive: $(cat "$WORK/broken.out")"
grep -q "man ikelogd(8)" "$WORK/broken.out" ||
	fail "verify did not report a missing man page: $(cat "$WORK/broken.out")"
ok "systemd-analyze verify reports a misspelled directive and a missing man page (control)"

# The settings the design names, each as written.
for want in Type=notify "ExecReload=/bin/kill -HUP \$MAINPID" WatchdogSec=30 Restart=on-failure \
	DynamicUser=yes SupplementaryGroups=systemd-journal StateDirectory=ikelogd \
	ConfigurationDirectory=ikelogd NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes \
	PrivateTmp=yes PrivateDevices=yes ProtectKernelTunables=yes ProtectKernelModules=yes \
	ProtectKernelLogs=yes ProtectControlGroups=yes ProtectClock=yes ProtectHostname=yes \
	RestrictNamespaces=yes RestrictRealtime=yes RestrictSUIDSGID=yes LockPersonality=yes \
	"RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6" SystemCallFilter=@system-service \
	SystemCallArchitectures=native CapabilityBoundingSet= UMask=0077 ProtectProc=invisible \
	ProcSubset=pid DevicePolicy=closed RemoveIPC=yes KeyringMode=private \
	MemoryDenyWriteExecute=no; do
	grep -q -x -F -e "$want" "$unit" || fail "the unit lacks the line '$want'"
done
grep -q 'Measured with tests/bench/jit' "$unit" || fail "the MemoryDenyWriteExecute comment is missing"
ok "the unit carries every hardening setting of the design"

systemd-analyze security --offline=yes "$unit" >"$WORK/security.out" 2>&1 ||
	{ cat "$WORK/security.out" >&2; fail "systemd-analyze security failed"; }
exposure=$(sed -n 's/.*Overall exposure level for ikelogd.service: \([0-9.]*\).*/\1/p' "$WORK/security.out")
[ -n "$exposure" ] || { cat "$WORK/security.out" >&2; fail "no exposure level in the output"; }
echo "figure: systemd_exposure $exposure"
awk -v e="$exposure" 'BEGIN { exit !(e <= 2.0) }' ||
	{ grep '✗' "$WORK/security.out" >&2 || true; fail "exposure $exposure is above 2.0"; }
ok "systemd-analyze security --offline=yes: exposure $exposure <= 2.0"
