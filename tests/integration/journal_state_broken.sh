#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A broken state file: garbage, a truncated one, a cursor of another
# journal, each reported clearly, never a crash. A broken one resumes from
# the previous position kept beside it (position.prev), or from the head
# when there is none, whatever state_fallback says (the tail would lose
# what came while ikelogd was stopped), counted in state_corrupt; only a
# position that is not there (another journal's cursor) is state_fallback's.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/journald.sh"
[ -x "$IKELOGD" ] || fail "build/ikelogd is missing: run make"

marker="broken$$r$RANDOM"
journald_private
ikelogd_journal_config "$WORK/ikelogd.yaml" "$marker" "$JDIR"
journal_send "$JSOCK" "$marker" 0 50
wait_for 5 bash -c "[ \$(journalctl --namespace=$JNS IKELOGD_TEST=$marker -o cat | wc -l) = 50 ]" ||
	fail "journald does not hold the 50 entries"

# run NAME FALLBACK EXPECTED_EVENTS NEW_ENTRIES: one daemon run over the
# prepared state file. NEW_ENTRIES (at least one) are written after it
# started; the journal is read in order, so once the last of them is out,
# every older entry it was going to read is out too: then it is stopped and
# the events counted exactly, and its exit status checked.
next=1000
run() {
	local name=$1 fallback=$2 want=$3 new=$4 last
	sed -i '/^state_fallback:/d' "$WORK/ikelogd.yaml"
	echo "state_fallback: $fallback" >>"$WORK/ikelogd.yaml"
	ikelogd_start "$WORK/ikelogd.yaml" "$WORK/$name.err" "$WORK/$name.json"
	journal_send "$JSOCK" "$marker" "$next" "$new"
	last=$((next + new - 1))
	next=$((next + new))
	wait_for 10 grep -q "\"state_serial\":$last[,}]" "$WORK/$name.json" ||
		fail "$name: entry #$last not read: $(cat "$WORK/$name.err")"
	kill -TERM "$IKELOGD_PID"
	wait "$IKELOGD_PID" || fail "$name: ikelogd exited $? (a crash?): $(cat "$WORK/$name.err")"
	local got
	got=$(lines "$WORK/$name.json")
	case $want in
	'>='*) [ "$got" -ge "${want#>=}" ] || fail "$name: $got events, expected $want: $(cat "$WORK/$name.err")" ;;
	*) [ "$got" = "$want" ] || fail "$name: $got events, expected $want: $(cat "$WORK/$name.err")" ;;
	esac
	grep -q '"type":"journal"' "$WORK/position" || fail "$name: no valid position saved afterwards"
}

# Garbage, no previous position: reported, the head (all 50, then the new
# one) though state_fallback says tail.
printf 'PK\003\004 this is not a position file\n' >"$WORK/position"
run garbage tail 51 1
grep -q 'broken state file: not a JSON object' "$WORK/garbage.err" || fail "garbage: no clear message: $(cat "$WORK/garbage.err")"
grep -q 'unusable and no previous position; starting at the head (counted in state_corrupt)' "$WORK/garbage.err" ||
	fail "garbage: head not said: $(cat "$WORK/garbage.err")"
grep -q 'state_corrupt=1\|"state_corrupt":1' "$WORK/garbage.err" "$WORK/garbage.json" ||
	fail "garbage: state_corrupt not counted: $(cat "$WORK/garbage.err")"
ok "garbage state file: '$(grep -m1 'broken state' "$WORK/garbage.err" | sed 's/^ikelogd: //')', read from the head: all 50 and the new one, state_corrupt 1"

# A normal run: now a good position and a good one before it.
run steady tail 1 1
[ -s "$WORK/position.prev" ] || fail "no previous position kept beside the state file"

# Stopped: 50 entries logged, then the position truncated (a valid file cut
# in half). The previous position is resumed: all 50 arrive, and the 5 new.
journal_send "$JSOCK" "$marker" 2000 50
wait_for 5 bash -c "[ \$(journalctl --namespace=$JNS IKELOGD_TEST=$marker -o cat | wc -l) = 102 ]" ||
	fail "journald does not hold the 50 entries logged while stopped"
len=$(wc -c <"$WORK/position")
head -c $((len / 2)) "$WORK/position" >"$WORK/position.half"
mv "$WORK/position.half" "$WORK/position"
run truncated tail '>=55' 5
grep -q 'broken state file' "$WORK/truncated.err" || fail "truncated: no clear message: $(cat "$WORK/truncated.err")"
grep -q 'resuming from the previous position' "$WORK/truncated.err" || fail "truncated: previous position not said: $(cat "$WORK/truncated.err")"
for i in $(seq 2000 2049); do
	grep -q "\"state_serial\":$i[,}]" "$WORK/truncated.json" || fail "truncated: entry #$i logged while stopped is lost"
done
ok "truncated state file reported, resumed from the previous position: the 50 entries logged while stopped and the 5 new all delivered ($(($(lines "$WORK/truncated.json") - 55)) sent again)"

# A cursor of another journal (the system journal's), with a valid checksum:
# fallback head reads all the journal holds (50 + 1 + 1 + 50 + 5) and the new one.
journald_ensure
cursor_of_last() { journalctl -n 1 --show-cursor -o cat 2>/dev/null | sed -n 's/^-- cursor: //p'; }
foreign=$(cursor_of_last)
[ -n "$foreign" ] || { logger -t ikelogd-test "cursor source"
	wait_for 5 bash -c "journalctl -n 1 --show-cursor -o cat | grep -q '^-- cursor: '"
	foreign=$(cursor_of_last); }
[ -n "$foreign" ] || fail "no cursor from the system journal"
python3 - "$foreign" >"$WORK/position" <<'EOF'
import hashlib, json, sys
cursor = sys.argv[1]
canon = "ikelogd-position 1 journal %s\n" % cursor
print(json.dumps({"format": "ikelogd-position", "version": 1, "type": "journal",
                  "cursor": cursor, "checksum": hashlib.sha256(canon.encode()).hexdigest()}))
EOF
run foreign head 108 1
grep -q 'not from this journal' "$WORK/foreign.err" || fail "foreign: no clear message: $(cat "$WORK/foreign.err")"
ok "foreign cursor: '$(grep -m1 'not from this journal' "$WORK/foreign.err" | sed 's/^ikelogd: //')'"

# And the position it saved works: a restart reads nothing old, only the new one.
run resumed head 1 1
grep -q 'resuming the journal after the saved cursor' "$WORK/resumed.err" || fail "no resume after the fallback"
ok "after a fallback, the saved position resumes normally"
