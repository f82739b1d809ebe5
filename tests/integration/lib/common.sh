# SPDX-License-Identifier: Apache-2.0
# Shared helpers for the integration scenarios. Source it; it sets -eu.
set -eu -o pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
IKELOGD=${IKELOGD:-$ROOT/build/ikelogd}
WORK=$(mktemp -d /tmp/ikelogd-it.XXXXXX)
PIDS_TO_STOP=()

# skip REASON: the scenario cannot run here (exit 77).
skip() { echo "skip: $*"; exit 77; }
# fail REASON: the scenario failed.
fail() { echo "FAILED: $*" >&2; exit 1; }
# ok WHAT: one passed assertion, echoed into the runner's summary.
ok() { echo "ok: $*"; }
need_root() { [ "$(id -u)" = 0 ] || skip "needs root ($*)"; }
need_cmd() { for c in "$@"; do command -v "$c" >/dev/null || skip "needs $c"; done; }

# free_port: a TCP port on 127.0.0.1 nobody listens on.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_for SECONDS COMMAND...: polls every 0.1 s until COMMAND succeeds.
wait_for() {
	local limit=$1; shift
	local end=$(( $(date +%s%N) + limit * 1000000000 ))
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s%N)" -lt "$end" ] || return 1
		sleep 0.1
	done
}

# ikelogd_base_config: the configuration lines most scenarios share, for a
# here-document: the position file, the repository's rules and a pseudonym
# key of the scenario's own, all under $WORK.
ikelogd_base_config() {
	printf 'state_file: %s\nrules: [%s]\nredact:\n  key_file: %s\n  generate_key: true\n' \
		"$WORK/position" "$ROOT/conf/rules/libreswan.yaml" "$WORK/pseudonym.key"
}

# track PID: stopped (TERM, then KILL) when the scenario exits.
track() { PIDS_TO_STOP+=("$1"); }

cleanup_common() {
	local p
	for p in "${PIDS_TO_STOP[@]:-}"; do
		[ -n "$p" ] || continue
		kill "$p" 2>/dev/null || true
	done
	for p in "${PIDS_TO_STOP[@]:-}"; do
		[ -n "$p" ] || continue
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null || true
	done
	[ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}
trap cleanup_common EXIT
