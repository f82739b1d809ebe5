#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Clean restart (SIGTERM) in the middle of 100,000 journal entries: the
# second run resumes after the saved cursor; the union of both outputs
# holds every entry, and any duplicate has its original's event_id.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/journald.sh"
[ -x "$IKELOGD" ] || fail "build/ikelogd is missing: run make"

N=100000
journal_restart_scenario TERM "$N"
dup=$(check_value "$WORK/check.txt" dup)
echo "figure: journal_restart_duplicates $dup"
[ "$dup" = 0 ] || fail "$dup duplicates after a clean restart (the position is saved at SIGTERM)"
ok "no duplicate after a clean restart"
