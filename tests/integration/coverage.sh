#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Rule-table coverage on the committed corpus sample (fixtures/corpus/,
# real pluto lines of Libreswan 4.10..4.15 and 5.0..HEAD) through the real
# `ikelogd normalize`, measured by tests/tools/coverage:
#   lifecycle lines (SA established/rekeyed/deleted, traffic totals,
#   retransmits, timeouts, initiations, auth/proposal/TS/cert failures)
#   get their specific event type: >= 99% in each file;
#   state lines (" #N: ") get an event type other than unparsed: >= 95%.
# With the shared corpus present (../shared/pluto-corpus beside the project
# root, or the directory PLUTO_CORPUS names), the full corpus is measured too.
source "$(dirname "$0")/lib/common.sh"
need_cmd python3
[ -x "$IKELOGD" ] || skip "build/ikelogd not built"
cov="$ROOT/tests/tools/coverage"

measure() {	# NAME FILE...
	local name=$1; shift
	"$cov" --ikelogd "$IKELOGD" -c "$ROOT/fixtures/golden/golden.yaml" --top 5 \
		--min-lifecycle 99 --min-state 95 "$@" >"$WORK/$name.out" ||
		{ cat "$WORK/$name.out"; fail "$name: coverage below threshold"; }
	life=$(sed -n 's/^figure: coverage_lifecycle_pct //p' "$WORK/$name.out")
	state=$(sed -n 's/^figure: coverage_state_pct //p' "$WORK/$name.out")
	[ -n "$life" ] && [ -n "$state" ] || { cat "$WORK/$name.out"; fail "$name: no figures"; }
	ok "$name: lifecycle lines $life% >= 99%, state lines $state% >= 95% not unparsed"
	echo "figure: coverage_${name}_lifecycle_pct $life"
	echo "figure: coverage_${name}_state_pct $state"
}

measure fixtures_v4 "$ROOT/fixtures/corpus/lines-v4.log"
measure fixtures_v5 "$ROOT/fixtures/corpus/lines-v5.log"

# The classifier must see enough lifecycle lines for the figure to mean
# something: a broken classifier that matched nothing would report 0/0.
total=$(sed -n 's/^lifecycle: [0-9]*\/\([0-9]*\) .*/\1/p' "$WORK/fixtures_v4.out")
[ "${total:-0}" -ge 1000 ] || fail "only ${total:-0} lifecycle lines classified in lines-v4.log"
ok "classifier found $total lifecycle lines in lines-v4.log"

shared=${PLUTO_CORPUS:-$ROOT/../shared/pluto-corpus}
if [ -r "$shared/lines-v4.log" ] && [ -r "$shared/lines-v5.log" ]; then
	measure corpus_v4 "$shared/lines-v4.log"
	measure corpus_v5 "$shared/lines-v5.log"
else
	echo "skip: the full corpus: no lines-v4.log and lines-v5.log in $shared (set PLUTO_CORPUS)"
fi
