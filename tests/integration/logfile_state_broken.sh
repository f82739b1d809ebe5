#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The logfile source's saved position no longer fits the file: the file
# was rewritten in place (same inode, another first line) while ikelogd
# was stopped, with no copy to finish from. Reported clearly and handled
# by state_fallback: tail reads only new lines, head the whole file.
source "$(dirname "$0")/lib/common.sh"
[ -x "$IKELOGD" ] || fail "build/ikelogd is missing: run make"

log=$WORK/pluto.log
line() { echo "Nov 23 20:25:58.$(printf %06d "$1"): \"westeast\" #$1: initiating IKEv2 connection"; }
for i in $(seq 1 10); do line "$i"; done >"$log"
config() { # $1 = state_fallback, $2 = output
	cat >"$WORK/ikelogd.yaml" <<EOF2
source:
  type: file
  file:
    path: $log
    start: head
state_file: $WORK/position
state_fallback: $1
rules: [$ROOT/conf/rules/libreswan.yaml]
redact:
  key_file: $WORK/pseudonym.key
  generate_key: true
output:
  type: file
  path: $2
EOF2
}
run() { # $1 = name, $2 = fallback, $3 = expected events, $4 = lines to append after start
	config "$2" "$WORK/$1.json"
	"$IKELOGD" run -c "$WORK/ikelogd.yaml" 2>"$WORK/$1.err" &
	local pid=$!
	track $pid
	wait_for 10 grep -q started "$WORK/$1.err" || fail "$1: ikelogd did not start: $(cat "$WORK/$1.err")"
	for i in $(seq 1 "${4:-0}"); do line $((100 + i)) >>"$log"; done
	wait_for 5 bash -c "[ \$(cat '$WORK/$1.json' 2>/dev/null | wc -l) -ge $3 ]" || true
	sleep 0.5
	kill -TERM "$pid"
	wait "$pid" || fail "$1: ikelogd exited $?: $(cat "$WORK/$1.err")"
	local got
	got=$(cat "$WORK/$1.json" 2>/dev/null | wc -l)
	[ "$got" = "$3" ] || fail "$1: $got events, expected $3: $(cat "$WORK/$1.err")"
}

run first tail 10
grep -q '"type":"file"' "$WORK/position" || fail "no file position saved"
ok "first run: 10 lines from the head, file position saved"

# Rewritten in place: same inode, other lines.
ino=$(stat -c %i "$log")
for i in $(seq 201 207); do line "$i"; done >"$log"
[ "$(stat -c %i "$log")" = "$ino" ] || fail "the rewrite changed the inode"
run rewritten_tail tail 3 3
grep -q 'no longer matches the saved position' "$WORK/rewritten_tail.err" ||
	fail "no clear message: $(cat "$WORK/rewritten_tail.err")"
ok "first-line mismatch reported: '$(grep -m1 'no longer matches' "$WORK/rewritten_tail.err" | sed 's/^ikelogd: //')'"
ok "fallback tail: only the 3 lines written after the start"

for i in $(seq 301 305); do line "$i"; done >"$log"
run rewritten_head head 5
grep -q 'starting at the head (state_fallback)' "$WORK/rewritten_head.err" || fail "fallback head not said"
ok "fallback head: the whole rewritten file (5 lines)"

printf 'not a position\n' >"$WORK/position"
run garbage head 5
grep -q 'broken state file' "$WORK/garbage.err" || fail "garbage state not reported"
ok "garbage state file reported, fallback head"
