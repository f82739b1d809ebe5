#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# kill -9 in the middle of 100,000 journal entries: the second run resumes
# from the last saved cursor; the union of both outputs holds every entry,
# duplicates carry their original's event_id and are at most the in-flight
# window (limits.in_flight, 4096 by default).
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/journald.sh"
[ -x "$IKELOGD" ] || fail "build/ikelogd is missing: run make"

N=100000
WINDOW=4096
journal_restart_scenario KILL "$N"
dup=$(check_value "$WORK/check.txt" dup)
echo "figure: journal_kill9_duplicates $dup"
[ "$dup" -le "$WINDOW" ] || fail "$dup duplicates after kill -9, more than the window of $WINDOW"
ok "duplicates after kill -9 ($dup) within the in-flight window ($WINDOW)"
