#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# journalctl --rotate and --vacuum-files while ikelogd follows a journal
# being written: no entry the journal retains is lost, and entries read
# before their file was vacuumed keep their ids.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/journald.sh"
[ -x "$IKELOGD" ] || fail "build/ikelogd is missing: run make"

N=30000
marker="rotate$$r$RANDOM"
journald_private
ikelogd_journal_config "$WORK/ikelogd.yaml" "$marker" "$JDIR"
ikelogd_start "$WORK/ikelogd.yaml" "$WORK/ikelogd.err"

# write_rotating FIRST COUNT: entries at 5000/s, a rotation every 0.5 s,
# every second rotation followed by a vacuum down to 3 files.
rotations=0
write_rotating() {
	journal_send "$JSOCK" "$marker" "$1" "$2" 5000 &
	local writer=$!
	track $writer
	while kill -0 "$writer" 2>/dev/null; do
		sleep 0.5
		journalctl --namespace="$JNS" --rotate >/dev/null 2>&1 || fail "journalctl --rotate failed"
		rotations=$((rotations + 1))
		if [ $((rotations % 2)) = 0 ]; then
			journalctl --namespace="$JNS" --vacuum-files=3 >>"$WORK/vacuum.log" 2>&1 ||
				fail "journalctl --vacuum-files failed: $(tail -2 "$WORK/vacuum.log")"
		fi
	done
	wait "$writer" || fail "the writer failed"
}
# Following while the files turn over.
write_rotating 0 10000
# Stopped while files it has not read are archived and vacuumed, then on.
kill -STOP "$IKELOGD_PID"
write_rotating 10000 10000
kill -CONT "$IKELOGD_PID"
write_rotating 20000 10000
ok "$rotations rotations and $(grep -c 'Deleted archived journal' "$WORK/vacuum.log") archived files vacuumed while writing"
echo "figure: journal_rotate_rotations $rotations"

retained=$(journal_count "$marker" "$JNS")
[ "$retained" -gt 0 ] || fail "vacuum removed every entry: nothing left to check"
[ "$retained" -lt "$N" ] || echo "note: vacuum removed no entry of this run"
wait_for 30 bash -c "[ \$(wc -l <'$WORK/out.json') -ge $retained ]" || true
sleep 0.5
kill -TERM "$IKELOGD_PID"
wait "$IKELOGD_PID" || fail "ikelogd exited $? on SIGTERM"
journal_check "$marker" "$JNS" "$WORK/out.json" >"$WORK/check.txt"
cat "$WORK/check.txt"
[ "$(check_value "$WORK/check.txt" missing)" = 0 ] ||
	fail "$(check_value "$WORK/check.txt" missing) of $retained retained entries missing"
ok "every one of the $retained retained entries was delivered"
[ "$(check_value "$WORK/check.txt" wrong_id)" = 0 ] || fail "events with another id than their cursor's"
[ "$(check_value "$WORK/check.txt" dup)" = 0 ] || fail "duplicates across rotation"
ok "ids are those of the cursors, none twice across rotations"
echo "figure: journal_rotate_entries_written $N"
echo "figure: journal_rotate_entries_retained $retained"
echo "figure: journal_rotate_events_delivered $(check_value "$WORK/check.txt" serials)"
