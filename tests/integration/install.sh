#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make install` into a DESTDIR: the binary, the configuration, the rules,
# the systemd unit with its placeholders replaced and both man pages land
# where they belong; a second install keeps an edited configuration; and
# `make uninstall` removes what install added but the configuration. The
# real system is never touched: the test checks that too.
source "$(dirname "$0")/lib/common.sh"
need_cmd make install sed cmp
cd "$ROOT"

# A build that fails is a failure of this scenario, not a reason to skip it.
if ! make -s build/ikelogd >"$WORK/make.log" 2>&1; then
	fail "build/ikelogd does not build: $(grep -m1 -E 'error|Error' "$WORK/make.log" || tail -n 1 "$WORK/make.log")"
fi

root="$WORK/root"
vars=(DESTDIR="$root" PREFIX=/usr SYSCONFDIR=/etc)
real_paths=(/usr/sbin/ikelogd /usr/local/sbin/ikelogd /etc/ikelogd /usr/share/ikelogd
	/usr/local/share/ikelogd /lib/systemd/system/ikelogd.service
	/usr/lib/systemd/system/ikelogd.service /usr/share/man/man8/ikelogd.8
	/usr/share/man/man5/ikelogd.yaml.5 /var/lib/ikelogd)
real_state() { for p in "${real_paths[@]}"; do [ -e "$p" ] && stat -c '%n %s %Y' "$p" || echo "$p absent"; done; }
real_state >"$WORK/real.before"

make -s "${vars[@]}" install >"$WORK/install1.log" 2>&1 ||
	{ cat "$WORK/install1.log" >&2; fail "make install failed"; }
ok "make install DESTDIR=... PREFIX=/usr SYSCONFDIR=/etc succeeded"

bin="$root/usr/sbin/ikelogd"
[ -f "$bin" ] && [ -x "$bin" ] || fail "$bin is missing or not executable"
[ "$(head -c 4 "$bin" | od -An -c | tr -d ' ')" = '177ELF' ] || fail "$bin is not an ELF file"
"$bin" --version >"$WORK/version" 2>&1 || fail "$bin --version failed: $(cat "$WORK/version")"
[ "$(stat -c %a "$bin")" = 755 ] || fail "$bin has mode $(stat -c %a "$bin"), not 755"
ok "binary installed at /usr/sbin/ikelogd, mode 755, runs: $(head -n 1 "$WORK/version")"

conf="$root/etc/ikelogd/ikelogd.yaml"
cmp -s conf/ikelogd.yaml "$conf" || fail "$conf is not conf/ikelogd.yaml"
ok "configuration installed at /etc/ikelogd/ikelogd.yaml"

n_rules=0
for r in conf/rules/*.yaml; do
	[ -e "$r" ] || continue
	cmp -s "$r" "$root/usr/share/ikelogd/rules/$(basename "$r")" || fail "rule file $r not installed"
	n_rules=$((n_rules + 1))
done
[ "$n_rules" -gt 0 ] || fail "no rule file in conf/rules to install"
[ -f "$root/usr/share/ikelogd/rules/libreswan.yaml" ] || fail "libreswan.yaml not installed"
ok "$n_rules rule file(s) installed under /usr/share/ikelogd/rules, libreswan.yaml among them"

mapfile -t units < <(find "$root" -name ikelogd.service)
[ "${#units[@]}" -eq 1 ] || fail "expected one ikelogd.service, found ${#units[@]}: ${units[*]}"
unit="${units[0]}"
case "$unit" in "$root"/*/systemd/system/ikelogd.service) ;; *) fail "unit in an odd place: $unit" ;; esac
! grep -n '@[A-Z]*@' "$unit" || fail "placeholders left in the installed unit"
grep -q -x 'ExecStart=/usr/sbin/ikelogd run -c /etc/ikelogd/ikelogd.yaml' "$unit" ||
	fail "installed ExecStart= is not '/usr/sbin/ikelogd run -c /etc/ikelogd/ikelogd.yaml'"
[ "$(stat -c %a "$unit")" = 644 ] || fail "unit has mode $(stat -c %a "$unit")"
ok "unit installed at ${unit#"$root"} with @SBINDIR@ and @SYSCONFDIR@ replaced"

for m in man8/ikelogd.8 man5/ikelogd.yaml.5; do
	f="$root/usr/share/man/$m"
	cmp -s "conf/man/$(basename "$m")" "$f" || fail "man page $m not installed"
	[ "$(stat -c %a "$f")" = 644 ] || fail "$m has mode $(stat -c %a "$f")"
done
ok "man pages installed at /usr/share/man/man8/ikelogd.8 and man5/ikelogd.yaml.5"

# The installed binary accepts the installed configuration and rules, with
# the paths moved into the DESTDIR and the key made in the test's own dir.
sed -e "s|/usr/share/ikelogd/rules/|$root/usr/share/ikelogd/rules/|" \
	-e "s|key_file: /var/lib/ikelogd/pseudonym.key|key_file: $WORK/pseudonym.key|" \
	-e "s|^state_file: .*|state_file: $WORK/position|" "$conf" >"$WORK/check.yaml"
if "$bin" check -c "$WORK/check.yaml" >"$WORK/check.out" 2>&1; then
	ok "installed ikelogd check accepts the installed configuration and rules"
else
	cat "$WORK/check.out" >&2
	fail "installed ikelogd check refused the installed configuration and rules"
fi

# An operator's edit survives a second install.
echo "# edited by the operator" >>"$conf"
cp "$conf" "$WORK/edited.yaml"
make -s "${vars[@]}" install >"$WORK/install2.log" 2>&1 ||
	{ cat "$WORK/install2.log" >&2; fail "second make install failed"; }
cmp -s "$WORK/edited.yaml" "$conf" || fail "the second install overwrote the edited configuration"
ok "a second make install keeps the edited /etc/ikelogd/ikelogd.yaml"

make -s "${vars[@]}" uninstall >"$WORK/uninstall.log" 2>&1 ||
	{ cat "$WORK/uninstall.log" >&2; fail "make uninstall failed"; }
left=$(cd "$root" && find . \( -type f -o -type l \) | sort)
[ "$left" = "./etc/ikelogd/ikelogd.yaml" ] || fail "after uninstall, files left: $left"
cmp -s "$WORK/edited.yaml" "$conf" || fail "uninstall changed the configuration"
ok "make uninstall removes everything install added and keeps the configuration"

real_state >"$WORK/real.after"
cmp -s "$WORK/real.before" "$WORK/real.after" ||
	fail "the real system changed: $(diff "$WORK/real.before" "$WORK/real.after")"
ok "nothing outside DESTDIR changed (${#real_paths[@]} system paths compared)"
