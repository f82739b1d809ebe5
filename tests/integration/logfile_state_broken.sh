#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The logfile source's saved position no longer fits the file: the file
# was rewritten in place (same inode, another first line) while ikelogd
# was stopped, with no copy to finish from. Reported clearly and handled
# by state_fallback: tail reads only new lines, head the whole file.
# A broken position file is not state_fallback's: the previous position
# kept beside it (position.prev) is resumed, or the head of the file when
# there is none, and counted in state_corrupt, so that lines written while
# ikelogd was stopped are not lost.
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
# run NAME FALLBACK EXPECTED_EVENTS APPENDED: one daemon run; APPENDED lines
# (at least one) are written after it started. The file is read in order, so
# once the last of them is out, every older line it was going to read is out
# too: then it is stopped and the events counted exactly.
next=1000
run() {
	config "$2" "$WORK/$1.json"
	"$IKELOGD" run -c "$WORK/ikelogd.yaml" 2>"$WORK/$1.err" &
	local pid=$! last=$((next + $4 - 1))
	track $pid
	wait_for 10 grep -q started "$WORK/$1.err" || fail "$1: ikelogd did not start: $(cat "$WORK/$1.err")"
	for i in $(seq "$next" "$last"); do line "$i" >>"$log"; done
	next=$((last + 1))
	wait_for 10 grep -q "\"state_serial\":$last[,}]" "$WORK/$1.json" ||
		fail "$1: line #$last not read: $(cat "$WORK/$1.err")"
	kill -TERM "$pid"
	wait "$pid" || fail "$1: ikelogd exited $?: $(cat "$WORK/$1.err")"
	local got
	got=$(cat "$WORK/$1.json" 2>/dev/null | wc -l)
	case $3 in
	'>='*) [ "$got" -ge "${3#>=}" ] || fail "$1: $got events, expected $3: $(cat "$WORK/$1.err")" ;;
	*) [ "$got" = "$3" ] || fail "$1: $got events, expected $3: $(cat "$WORK/$1.err")" ;;
	esac
}

run first tail 11 1
grep -q '"type":"file"' "$WORK/position" || fail "no file position saved"
ok "first run: 10 lines from the head and the one appended, file position saved"

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
run rewritten_head head 6 1
grep -q 'starting at the head (state_fallback)' "$WORK/rewritten_head.err" || fail "fallback head not said"
ok "fallback head: the whole rewritten file (5 lines) and the one appended"

# A normal run: the position and the one before it are both of this content.
run steady tail 1 1

# Stopped: 50 lines written, then the position file broken. The tail (the
# old behaviour) would never deliver them; the previous position does.
[ -s "$WORK/position.prev" ] || fail "no previous position kept beside the state file"
for i in $(seq 401 450); do line "$i"; done >>"$log"
printf 'not a position\n' >"$WORK/position"
run garbage tail '>=51' 1
grep -q 'broken state file' "$WORK/garbage.err" || fail "garbage state not reported"
grep -q 'resuming from the previous position' "$WORK/garbage.err" ||
	fail "previous position not said: $(cat "$WORK/garbage.err")"
grep -q 'state_corrupt=1' "$WORK/garbage.err" || fail "state_corrupt not counted: $(cat "$WORK/garbage.err")"
for i in $(seq 401 450); do
	grep -q "\"state_serial\":$i[,}]" "$WORK/garbage.json" || fail "line #$i written while stopped is lost"
done
ok "garbage state file reported, resumed from the previous position: the 50 lines written while stopped and the one appended all delivered ($(($(wc -l <"$WORK/garbage.json") - 51)) sent again), state_corrupt 1"

# Broken, and no previous position: the head of the file, whatever
# state_fallback says (6 + 1 + 50 + 1 lines, and the one appended).
rm -f "$WORK/position.prev"
printf 'not a position either\n' >"$WORK/position"
run garbage_noprev tail 59 1
grep -q 'no previous position; starting at the head' "$WORK/garbage_noprev.err" ||
	fail "head not said: $(cat "$WORK/garbage_noprev.err")"
ok "broken state file without a previous one: the whole file from its head and the one appended"
