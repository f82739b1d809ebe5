# SPDX-License-Identifier: Apache-2.0
# A Debian container with systemd as PID 1 (systemd-nspawn -b), for the
# scenarios that try ikelogd's unit under a real service manager. Source it
# after common.sh.
#
# The root filesystem is made once by debootstrap from the machine's own
# Debian mirror (apt's sources) and cached outside the checkout under
# $NSPAWN_CACHE, in a directory named by the hash of the package versions
# it holds, so that later runs on the machine reuse it and a new version
# (or a new library of ikelogd's) makes a new one. It is built in a
# temporary directory and renamed into place, so an interrupted build
# leaves nothing that a later run would take for a rootfs. The container
# boots it with --volatile=overlay: what a scenario writes goes to a tmpfs
# and the cache stays as built.

NSPAWN_CACHE=${IKELOGD_TEST_CACHE:-/var/cache/ikelogd-test}
# Bump when the recipe below changes: it is part of the cache key.
NSPAWN_RECIPE=1
NSPAWN_BASE_PKGS=(systemd systemd-sysv dbus procps)
NSPAWN_PID=
NSPAWN_INIT=
NSPAWN_ROOTFS=
NSPAWN_MACHINE=ikelogd-test-$$

# debian_mirror: "URL SUITE" of the Debian archive apt uses on this machine
# for its own release (not the security archive), from the one-line
# sources.list format or the deb822 *.sources files.
debian_mirror() {
	local suite files=()
	suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	[ -n "$suite" ] || return 1
	[ -f /etc/apt/sources.list ] && files+=(/etc/apt/sources.list)
	for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] && files+=("$f")
	done
	[ ${#files[@]} -gt 0 ] || return 1
	awk -v suite="$suite" '
	function has(list, word,   n, i, a) {
		n = split(list, a, /[ \t]+/)
		for (i = 1; i <= n; i++) if (a[i] == word) return 1
		return 0
	}
	function paragraph(   ok) {
		if (has(types, "deb") && has(suites, suite) && has(comps, "main") && uri != "")
			{ print uri, suite; found = 1; exit }
		types = suites = comps = uri = ""
	}
	FNR == 1 { paragraph() }
	/^[ \t]*#/ { next }
	FILENAME ~ /\.sources$/ {
		if ($0 ~ /^[ \t]*$/) { paragraph(); next }
		key = tolower($1); sub(/:$/, "", key); val = $0; sub(/^[^:]*:[ \t]*/, "", val)
		if (key == "types") types = val
		else if (key == "uris") { split(val, u, /[ \t]+/); uri = u[1] }
		else if (key == "suites") suites = val
		else if (key == "components") comps = val
		next
	}
	$1 == "deb" {
		sub(/\[[^]]*\][ \t]*/, "")
		if ($3 == suite && has(substr($0, index($0, $4)), "main")) { print $2, suite; found = 1; exit }
	}
	END { if (!found) paragraph() }
	' "${files[@]}" | head -n 1 | grep .
}

# runtime_packages BINARY: the Debian packages of BINARY's shared libraries.
runtime_packages() {
	local lib paths=()
	# dpkg knows a library by the path its package ships, which merged /usr
	# and symbolic links can hide: ask for each spelling at once.
	while read -r lib; do
		paths+=("$lib" "$(readlink -f "$lib")" "/usr$lib" "${lib#/usr}")
	done < <(ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }')
	[ ${#paths[@]} -gt 0 ] || return 0
	{ dpkg-query -S "${paths[@]}" 2>/dev/null || true; } | cut -d: -f1 | sort -u
}

# nspawn_rootfs_key URL SUITE PACKAGE...: the hash that names a rootfs, over
# the recipe, the mirror and the version of each package in SUITE's main
# component as apt knows it (apt-cache madison).
nspawn_rootfs_key() {
	local url=$1 suite=$2
	shift 2
	{
		echo "recipe $NSPAWN_RECIPE $(dpkg --print-architecture) $url $suite"
		apt-cache madison "$@" 2>/dev/null | awk -F' *[|] *' -v want="$url $suite/main " -v pkgs="$*" '
			{ sub(/^ */, "", $1) }
			index($3, want) == 1 && !($1 in v) { v[$1] = $2 }
			END {
				n = split(pkgs, p, " ")
				for (i = 1; i <= n; i++) print p[i], (p[i] in v ? v[p[i]] : "unknown")
			}'
	} | sha256sum | cut -c1-16
}

# umount_under DIR: lazily unmounts every mount at or below DIR, deepest first.
umount_under() {
	findmnt -rn -o TARGET | awk -v d="$1" 'index($0, d) == 1' | sort -r | while read -r m; do
		umount -l "$m" 2>/dev/null || true
	done
}

# nspawn_rootfs BINARY: sets NSPAWN_ROOTFS to a cached rootfs that holds
# systemd and BINARY's libraries, building it (about a minute) when the
# cache has none for the current package versions. Returns 1 with the
# reason on stdout when it cannot.
nspawn_rootfs() {
	local mirror url suite pkgs key dir rc=0
	mirror=$(debian_mirror) || { echo "no Debian mirror in apt's sources"; return 1; }
	read -r url suite <<<"$mirror"
	mapfile -t pkgs < <({ printf '%s\n' "${NSPAWN_BASE_PKGS[@]}"; runtime_packages "$1"; } | sort -u)
	key=$(nspawn_rootfs_key "$url" "$suite" "${pkgs[@]}")
	dir=$NSPAWN_CACHE/rootfs-$suite-$key
	NSPAWN_ROOTFS=$dir
	mkdir -p "$NSPAWN_CACHE"
	# One build at a time. A run that finds the rootfs built only tidies up
	# after builds that died, and only when nobody is building.
	exec 8>"$NSPAWN_CACHE/lock"
	if [ -x "$dir/lib/systemd/systemd" ]; then
		! flock -n 8 || nspawn_remove_builds
	elif flock -w 900 8; then
		nspawn_remove_builds
		[ -x "$dir/lib/systemd/systemd" ] || nspawn_build "$dir" "$url" "$suite" "${pkgs[@]}" || rc=1
	else
		echo "$NSPAWN_CACHE/lock is held by another build"
		rc=1
	fi
	exec 8>&-
	return $rc
}

# nspawn_remove_builds: removes what builds that died left (.build-*).
nspawn_remove_builds() {
	local tmp
	for tmp in "$NSPAWN_CACHE"/.build-*; do
		[ -d "$tmp" ] || continue
		umount_under "$tmp"
		rm -rf --one-file-system "$tmp"
	done
}

# nspawn_build DIR URL SUITE PACKAGE...: debootstrap into a temporary
# directory beside DIR, then rename it to DIR. Returns 1 with the reason on
# stdout when debootstrap fails.
nspawn_build() {
	local dir=$1 url=$2 suite=$3 tmp rc=0
	shift 3
	tmp=$(mktemp -d "$NSPAWN_CACHE/.build-XXXXXX")
	echo "building the container rootfs $dir from $url $suite: $*" >&2
	debootstrap --variant=minbase --include="$(
		IFS=,
		echo "$*"
	)" "$suite" "$tmp/root" "$url" >"$tmp/debootstrap.log" 2>&1 || rc=$?
	umount_under "$tmp"
	if [ "$rc" -ne 0 ] || [ ! -x "$tmp/root/lib/systemd/systemd" ]; then
		echo "debootstrap failed (rc=$rc): $(tail -n 3 "$tmp/debootstrap.log" | tr '\n' ' ')"
		rm -rf --one-file-system "$tmp"
		return 1
	fi
	rm -f "$tmp"/root/var/cache/apt/archives/*.deb
	dpkg-query --admindir="$tmp/root/var/lib/dpkg" -W >"$tmp/root/.ikelogd-test-packages"
	mv -T "$tmp/root" "$dir"
	rm -rf --one-file-system "$tmp"
}

# in_ct COMMAND...: runs COMMAND in the container, in every namespace of its
# init, with a plain environment.
in_ct() {
	nsenter --target "$NSPAWN_INIT" --all env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		LANG=C.UTF-8 SYSTEMD_PAGER=cat SYSTEMD_COLORS=0 "$@"
}

# nspawn_find_init: sets NSPAWN_INIT to the child of systemd-nspawn that is
# PID 1 in its own PID namespace.
nspawn_find_init() {
	local c
	for c in $(pgrep -P "$NSPAWN_PID"); do
		if [ "$(awk '$1 == "NSpid:" { print $NF }' "/proc/$c/status" 2>/dev/null)" = 1 ]; then
			NSPAWN_INIT=$c
			return 0
		fi
	done
	return 1
}

# nspawn_boot ROOTFS: boots ROOTFS with systemd as PID 1 and waits until its
# start-up is over; sets NSPAWN_PID (systemd-nspawn) and NSPAWN_INIT (the
# container's systemd, as the host sees it). nspawn does not register the
# machine (that needs systemd-machined) and, on a host without systemd as
# its init (sd_booted(3): no /run/systemd/system), makes no scope unit for
# it either.
nspawn_boot() {
	local state opts=(--register=no)
	[ -d /run/systemd/system ] || opts+=(--keep-unit)
	systemd-nspawn --quiet -D "$1" -M "$NSPAWN_MACHINE" --boot "${opts[@]}" \
		--volatile=overlay --private-network --console=read-only >"$WORK/nspawn.log" 2>&1 &
	NSPAWN_PID=$!
	wait_for 20 nspawn_find_init || {
		echo "systemd-nspawn started no container: $(tail -n 5 "$WORK/nspawn.log" | tr '\n' ' ')"
		return 1
	}
	wait_for 20 in_ct test -S /run/systemd/private || {
		echo "the container's systemd did not come up: $(tail -n 5 "$WORK/nspawn.log" | tr '\n' ' ')"
		return 1
	}
	state=$(in_ct timeout 60 systemctl is-system-running --wait 2>/dev/null || true)
	case $state in
	running | degraded) return 0 ;;
	*)
		echo "the container's start-up ended '$state': $(tail -n 5 "$WORK/nspawn.log" | tr '\n' ' ')"
		return 1
		;;
	esac
}

# nspawn_stop: shuts the container down (SIGTERM makes nspawn ask systemd to
# power off), then kills what is left, and waits for nspawn. nspawn cannot
# remove its propagation directory when the host's /run is no tmpfs: the
# empty directory is removed here.
nspawn_stop() {
	[ -n "$NSPAWN_PID" ] || return 0
	kill "$NSPAWN_PID" 2>/dev/null || true
	for _ in $(seq 100); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$NSPAWN_PID" 2>/dev/null; then
		[ -z "$NSPAWN_INIT" ] || kill -KILL "$NSPAWN_INIT" 2>/dev/null || true
		kill -KILL "$NSPAWN_PID" 2>/dev/null || true
	fi
	wait "$NSPAWN_PID" 2>/dev/null || true
	NSPAWN_PID=
	rmdir "/run/systemd/nspawn/propagate/$NSPAWN_MACHINE" 2>/dev/null || true
}

# nspawn_scenario: what a scenario of the installed unit under systemd as
# PID 1 starts with: root and the tools (or the scenario is skipped),
# `make install` into $WORK/dest, the container booted from the cached
# rootfs (skipped when it cannot be), the installed tree copied in and the
# unit loaded. Sets CT, the container's root as the host sees it through
# its init; the container is stopped when the scenario exits.
nspawn_scenario() {
	local dest=$WORK/dest t0
	need_root "systemd-nspawn boots the container"
	need_cmd systemd-nspawn debootstrap nsenter flock findmnt python3 make tar
	cd "$ROOT"
	trap 'nspawn_stop; cleanup_common' EXIT
	make -s DESTDIR="$dest" PREFIX=/usr SYSCONFDIR=/etc UNITDIR=/lib/systemd/system install \
		>"$WORK/install.log" 2>&1 || { cat "$WORK/install.log" >&2; fail "make install failed"; }
	t0=$(date +%s)
	nspawn_rootfs "$dest/usr/sbin/ikelogd" >"$WORK/rootfs.why" || skip "no container rootfs: $(cat "$WORK/rootfs.why")"
	echo "measured: rootfs $NSPAWN_ROOTFS ready in $(($(date +%s) - t0)) s"
	nspawn_boot "$NSPAWN_ROOTFS" >"$WORK/boot.why" || skip "systemd-nspawn cannot boot here: $(cat "$WORK/boot.why")"
	ok "container booted with $(in_ct systemctl --version | sed -n 1p) as PID 1 (host pid $NSPAWN_INIT)"
	CT=/proc/$NSPAWN_INIT/root
	tar -C "$dest" -cf - . | in_ct tar -C / -xf - --no-overwrite-dir --keep-directory-symlink
	in_ct systemctl daemon-reload
	[ "$(in_ct systemctl show -p LoadState --value ikelogd.service)" = loaded ] ||
		fail "the installed unit does not load: $(in_ct systemctl status ikelogd.service 2>&1 | tail -n 5)"
}
