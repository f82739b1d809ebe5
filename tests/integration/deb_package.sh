#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The Debian package, built and used as an operator would.
#
# Reproducible: `make deb` in two clones of HEAD at different paths, built
# one after the other (so at different times), gives byte-identical .deb
# files; `make deb` has lintian fail on any error or warning.
#
# Under a real systemd (systemd-nspawn -b, lib/nspawn.sh, a rootfs with
# systemd alone): `apt-get install ./ikelogd_*.deb` pulls its dependencies
# and starts the unit with the packaged configuration (events to
# /var/log/ikelogd/events.json), and a `logger -t pluto` line becomes an
# event; `apt-get remove` stops the unit and keeps the configuration; an
# upgrade to a package whose shipped ikelogd.yaml differs keeps the
# operator's edited file, leaves the new default as ikelogd.yaml.dpkg-dist,
# restarts the unit and resumes from the saved position (nothing sent
# twice); `apt-get purge` (and autoremove of the dependencies it pulled)
# leaves the file system as it was before the install.
#
# apt runs in the container's mount namespace with the host's network
# (the container itself has none). Takes about 4 minutes: two package
# builds, the container, apt.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/nspawn.sh"
need_root "dpkg-buildpackage, apt-get and systemd-nspawn"
need_cmd git systemd-nspawn debootstrap nsenter flock sha256sum
cd "$ROOT"
git rev-parse --git-dir >/dev/null 2>&1 || skip "not a git checkout: the builds are made from clones of HEAD"
trap 'nspawn_stop; cleanup_common' EXIT

# ---------------------------------------------------------- reproducible ---
build_deb() { # DIR: clone HEAD into DIR and `make deb` there; prints the .deb
	git clone -q "$ROOT" "$1" || fail "git clone into $1"
	DEB_BUILD_OPTIONS=nocheck make -C "$1" -s deb >"$1.log" 2>&1 ||
		fail "make deb in $1: $(tail -n 20 "$1.log")"
	grep -q '^deb: ' "$1.log" || fail "make deb in $1 printed no result"
	[ -z "$(git -C "$1" status --porcelain)" ] || fail "make deb left the tree unclean: $(git -C "$1" status --porcelain | head -n 3)"
	ls "$1"/build/ikelogd_*.deb
}
deb_a=$(build_deb "$WORK/a/ikelogd")
sleep 2
deb_b=$(build_deb "$WORK/bb/other-name")
sum_a=$(sha256sum <"$deb_a" | cut -d' ' -f1)
sum_b=$(sha256sum <"$deb_b" | cut -d' ' -f1)
if [ "$sum_a" != "$sum_b" ]; then
	for d in "$deb_a" "$deb_b"; do
		mkdir -p "$d.x" && dpkg-deb -R "$d" "$d.x"
	done
	diff -r "$deb_a.x" "$deb_b.x" | head -n 5 >&2
	fail "two builds of one commit differ: $sum_a $sum_b"
fi
ok "two builds at different paths and times are identical (sha256 $sum_a)"
ok "lintian: no error, no warning ($(grep -c '^[EW]: ' "$WORK/a/ikelogd.log" || true) tags)"
version=$(dpkg-deb -f "$deb_a" Version)
[ "$(head -n 1 "$ROOT/debian/changelog" | sed 's/^[^(]*(\([^)]*\)).*/\1/')" = "$version" ] ||
	fail "package version $version is not debian/changelog's"
for f in ./usr/sbin/ikelogd ./etc/ikelogd/ikelogd.yaml ./lib/systemd/system/ikelogd.service \
	./usr/share/ikelogd/rules/libreswan.yaml ./usr/share/ikelogd/ikelogd.schema.json \
	./usr/share/man/man8/ikelogd.8.gz ./usr/share/man/man5/ikelogd.yaml.5.gz ./etc/logrotate.d/ikelogd; do
	dpkg-deb -c "$deb_a" | awk '{ print $6 }' | grep -qx -- "$f" || fail "the package lacks $f"
done
dpkg-deb -e "$deb_a" "$WORK/control"
grep -qx /etc/ikelogd/ikelogd.yaml "$WORK/control/conffiles" || fail "ikelogd.yaml is no conffile"
ok "version $version from debian/changelog; binary, rules, schema, unit, man pages, logrotate; ikelogd.yaml a conffile"

# The upgrade: the same files as a later version whose shipped default differs.
up=$WORK/up
dpkg-deb -R "$deb_a" "$up"
sed -i "s/^Version: .*/Version: $version+1/" "$up/DEBIAN/control"
printf '# A later default.\n' >>"$up/etc/ikelogd/ikelogd.yaml"
dpkg-deb --root-owner-group -b "$up" "$WORK/ikelogd-up.deb" >/dev/null

# ------------------------------------------------------------- container ---
nspawn_rootfs /bin/true >"$WORK/rootfs.why" || skip "no container rootfs: $(cat "$WORK/rootfs.why")"
nspawn_boot "$NSPAWN_ROOTFS" >"$WORK/boot.why" || skip "systemd-nspawn cannot boot here: $(cat "$WORK/boot.why")"
CT=/proc/$NSPAWN_INIT/root
# in_ct_net COMMAND...: in the container's file system and processes, with
# the host's network (for apt).
in_ct_net() {
	nsenter --target "$NSPAWN_INIT" -m -p -u -i env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}
cp /etc/resolv.conf "$CT/etc/resolv.conf"
cp "$deb_a" "$CT/root/ikelogd.deb"
cp "$WORK/ikelogd-up.deb" "$CT/root/ikelogd-up.deb"

# snapshot NAME: every path in the container's own file system with its
# type and mode, but the package manager's and the journal's bookkeeping.
snapshot() {
	in_ct find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /run -o -path /tmp \
		-o -path /var/tmp -o -path /var/lib/dpkg -o -path /var/lib/apt -o -path /var/cache \
		-o -path /var/log/journal -o -path /var/log/apt -o -path /root \) -prune -o \
		\( -path /var/log/dpkg.log -o -path /etc/ld.so.cache \) -prune -o \
		-printf '%p %y %m\n' | sort >"$WORK/$1.files"
}
active() { [ "$(in_ct systemctl is-active ikelogd.service)" = "$1" ]; }
events() { [ -f "$CT/var/log/ikelogd/events.json" ] && grep -c . "$CT/var/log/ikelogd/events.json" || echo 0; }
has_event() { grep -q "\"state_serial\":$1[,}]" "$CT/var/log/ikelogd/events.json" 2>/dev/null; }
apt_in() { in_ct_net apt-get -q -y -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@" \
	>>"$WORK/apt.log" 2>&1 || fail "apt-get $*: $(tail -n 5 "$WORK/apt.log")"; }

snapshot before
in_ct dpkg-query -W -f='${Package}\n' | sort >"$WORK/pkgs.before"
apt_in update
apt_in install --no-install-recommends ./root/ikelogd.deb
in_ct dpkg-query -W -f='${Package}\n' | sort >"$WORK/pkgs.after"
pulled=$(comm -13 "$WORK/pkgs.before" "$WORK/pkgs.after" | grep -vx ikelogd | tr '\n' ' ')
[ -n "$pulled" ] || fail "apt-get installed no dependency; the rootfs had them all"
for lib in $(dpkg-deb -f "$deb_a" Depends | tr ',' '\n' | sed 's/(.*//; s/ //g'); do
	in_ct dpkg-query -W -f='${Status}' "$lib" | grep -q 'ok installed' || fail "dependency $lib is not installed"
done
ok "apt-get install ./ikelogd.deb pulled $pulled"

wait_for 10 active active || fail "the unit is $(in_ct systemctl is-active ikelogd.service) after the install"
[ "$(in_ct ikelogd --version)" = "ikelogd $version" ] || fail "ikelogd --version says '$(in_ct ikelogd --version)'"
in_ct systemctl is-enabled -q ikelogd.service || fail "the unit is not enabled"
in_ct logger -t pluto '"westeast" #7: deleting state (STATE_V2_ESTABLISHED_IKE_SA) aged 2.084283s and sending notification'
wait_for 10 has_event 7 || fail "no event for the logger line: $(tail -n 3 "$CT/var/log/ikelogd/events.json" 2>/dev/null)"
grep '"state_serial":7[,}]' "$CT/var/log/ikelogd/events.json" | grep -q '"event_type":"ike_sa_delete"' ||
	fail "the logger line is not an ike_sa_delete event"
ok "ikelogd --version: $version; the unit runs with the packaged configuration; a logger -t pluto line became an ike_sa_delete event"

apt_in remove ikelogd
active active && fail "the unit still runs after apt-get remove"
[ ! -e "$CT/usr/sbin/ikelogd" ] || fail "apt-get remove left the binary"
[ -f "$CT/etc/ikelogd/ikelogd.yaml" ] || fail "apt-get remove took the configuration"
ok "apt-get remove stopped the unit and kept /etc/ikelogd/ikelogd.yaml"

# Reinstall, edit the configuration as an operator would, upgrade.
apt_in install --no-install-recommends ./root/ikelogd.deb
wait_for 10 active active || fail "the unit did not start after the reinstall"
sed -i 's/^  interval_s: 60$/  interval_s: 3600/' "$CT/etc/ikelogd/ikelogd.yaml"
grep -q '^  interval_s: 3600$' "$CT/etc/ikelogd/ikelogd.yaml" || fail "could not edit the configuration"
edited=$(sha256sum <"$CT/etc/ikelogd/ikelogd.yaml")
in_ct systemctl restart ikelogd.service
in_ct logger -t pluto '"westeast" #8: deleting state (STATE_V2_ESTABLISHED_IKE_SA) aged 1.5s and sending notification'
wait_for 10 has_event 8 || fail "no event for serial 8 before the upgrade"
before=$(events)
pid=$(in_ct systemctl show -p MainPID --value ikelogd.service)
apt_in install --no-install-recommends ./root/ikelogd-up.deb
[ "$(in_ct dpkg-query -W -f='${Version}' ikelogd)" = "$version+1" ] || fail "the upgrade did not install"
[ "$(sha256sum <"$CT/etc/ikelogd/ikelogd.yaml")" = "$edited" ] || fail "the upgrade replaced the edited configuration"
grep -q '^# A later default\.$' "$CT/etc/ikelogd/ikelogd.yaml.dpkg-dist" 2>/dev/null ||
	fail "the new default is not in ikelogd.yaml.dpkg-dist"
wait_for 10 active active || fail "the unit does not run after the upgrade"
[ "$(in_ct systemctl show -p MainPID --value ikelogd.service)" != "$pid" ] || fail "the upgrade did not restart the unit"
in_ct logger -t pluto '"westeast" #9: deleting state (STATE_V2_ESTABLISHED_IKE_SA) aged 1.5s and sending notification'
wait_for 10 has_event 9 || fail "no event after the upgrade"
after=$(events)
n9=$(grep -c '"state_serial":9[,}]' "$CT/var/log/ikelogd/events.json")
[ "$after" -eq $((before + n9)) ] ||
	fail "after the upgrade the unit sent $((after - before - n9)) earlier events again ($before, then $after)"
ok "upgrade to $version+1: edited ikelogd.yaml kept, new default in ikelogd.yaml.dpkg-dist, restarted, resumed with no event sent twice"

apt_in purge ikelogd
apt_in autoremove --purge
snapshot after
if ! diff "$WORK/before.files" "$WORK/after.files" >"$WORK/purge.diff"; then
	head -n 20 "$WORK/purge.diff" >&2
	fail "after the purge the file system differs from before the install"
fi
ok "apt-get purge (and autoremove --purge of $pulled) left the file system as before the install"
