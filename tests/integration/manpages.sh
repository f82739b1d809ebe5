#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The man pages: groff finds nothing to warn about in either, man renders
# both, and ikelogd.8 names every subcommand and option the binary's usage
# text names.
source "$(dirname "$0")/lib/common.sh"
need_cmd groff man
cd "$ROOT"

for page in conf/man/ikelogd.8 conf/man/ikelogd.yaml.5; do
	[ -f "$page" ] || fail "$page is missing"
	warnings=$(groff -ww -z -man "$page" 2>&1)
	[ -z "$warnings" ] || fail "groff warns about $page: $warnings"
	ok "groff -ww -z -man $page prints nothing"
	MANWIDTH=80 man -l "$page" >"$WORK/rendered" 2>"$WORK/man.err" || fail "man -l $page failed: $(cat "$WORK/man.err")"
	[ ! -s "$WORK/man.err" ] || fail "man -l $page complained: $(cat "$WORK/man.err")"
	lines=$(wc -l <"$WORK/rendered")
	[ "$lines" -gt 40 ] || fail "man -l $page rendered only $lines lines"
	ok "man -l $page renders ($lines lines)"
done

# What ikelogd(8) must describe, read from the rendered page (words as a
# reader sees them). The list is the command line of DESIGN.md.
MANWIDTH=200 man -l conf/man/ikelogd.8 2>/dev/null >"$WORK/ikelogd.8.txt"
for word in run check test-rules normalize -c --config --stats --no-prefilter --journal-file \
	--version SIGHUP SIGTERM SIGINT SIGUSR1 "EXIT STATUS" FILES /etc/ikelogd/ikelogd.yaml \
	at-least-once event_id; do
	grep -q -F -e "$word" "$WORK/ikelogd.8.txt" || fail "ikelogd(8) does not mention $word"
done
ok "ikelogd(8) covers every subcommand, option, signal, exit status and the delivery guarantee"

# Every --option the binary's usage text offers is in the page, when the binary exists.
if [ -x "$IKELOGD" ]; then
	"$IKELOGD" --help >"$WORK/usage" 2>&1 || true
	for opt in $(grep -o -E -e '--[a-z][a-z-]+' "$WORK/usage" | sort -u); do
		grep -q -F -e "$opt" "$WORK/ikelogd.8.txt" || fail "ikelogd(8) lacks $opt from ikelogd --help"
	done
	ok "ikelogd(8) documents every option of ikelogd --help"
fi
