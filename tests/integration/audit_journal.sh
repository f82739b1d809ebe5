#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# pluto's audit records in the journal: entries as journald stores a
# CRYPTO_IKE_SA / CRYPTO_IPSEC_SA record (_TRANSPORT=audit, SYSLOG_IDENTIFIER
# audit, _AUDIT_TYPE_NAME, MESSAGE "TYPE text"; systemd's journald-audit.c),
# with the text of Libreswan's linux_audit.c, beside pluto's own log lines of
# the same SAs, written into a journal file by systemd-journal-remote (this
# kernel's audit does not reach journald from the lab's namespaces).
# `normalize --journal-file` with the audit types in source.journal.match:
# the records become audit_ike_sa / audit_child_sa events with the
# ike_sa_id of the log's events of the same SA; other audit records are
# not read.
source "$(dirname "$0")/lib/common.sh"
[ -x "$IKELOGD" ] || fail "build/ikelogd is missing: run make"
need_cmd python3
JR=/lib/systemd/systemd-journal-remote
[ -x "$JR" ] || skip "needs systemd-journal-remote"

t=1733450000000000
entry() { # entry USEC IDENT MESSAGE [FIELD=VALUE...]
	local us=$1 ident=$2 msg=$3
	shift 3
	printf '__REALTIME_TIMESTAMP=%s\n__MONOTONIC_TIMESTAMP=%s\n_BOOT_ID=0123456789abcdef0123456789abcdef\n_HOSTNAME=gw1\nSYSLOG_IDENTIFIER=%s\n' \
		"$us" "$((us - t + 1000))" "$ident"
	for f in "$@"; do printf '%s\n' "$f"; done
	printf 'MESSAGE=%s\n\n' "$msg"
}
audit() { # audit USEC TYPE NUMBER TEXT-IN-MSG
	entry "$1" audit "$2 pid=4242 uid=0 auid=4294967295 ses=4294967295 subj=unconfined msg='$4 exe=\"/usr/libexec/ipsec/pluto\" hostname=? addr=192.0.2.1 terminal=? res=success'" \
		_TRANSPORT=audit "_AUDIT_TYPE=$3" "_AUDIT_TYPE_NAME=$2" _PID=4242
}
{
	entry $((t + 1)) pluto '"west" #1: initiating IKEv2 connection' _TRANSPORT=syslog _PID=4242
	entry $((t + 2)) pluto '"west" #1: sent IKE_SA_INIT request to 192.0.2.2:500' _TRANSPORT=syslog _PID=4242
	audit $((t + 3)) CRYPTO_IKE_SA 2408 'op=start direction=initiator conn-name="west" connstate=1 ike-version=2.0 auth=PRESHARED_KEY cipher=aes_gcm_16 ksize=256 integ=none prf=sha512 pfs=DH19 raddr=192.0.2.2'
	audit $((t + 4)) CRYPTO_IPSEC_SA 2409 'op=start conn-name="west" connstate=2, satype=ipsec-esp samode=tunnel cipher=AES_GCM_C ksize=256 integ=NONE in-spi=3386048211(0xc9d2b1d3) out-spi=2406510769(0x8f7ad2b1) in-ipcomp=0(0x00000000) out-ipcomp=0(0x00000000) raddr=192.0.2.2'
	entry $((t + 5)) audit 'USER_LOGIN pid=77 uid=0 msg='"'"'op=login acct="root" res=success'"'" _TRANSPORT=audit _AUDIT_TYPE=1112 _AUDIT_TYPE_NAME=USER_LOGIN
	entry $((t + 6)) pluto '"west" #2: initiator established Child SA using #1; IPsec tunnel [198.51.100.0/24===203.0.113.0/24] {ESPinUDP=>0x8f7ad2b1 <0xc9d2b1d3 xfrm=AES_GCM_16_256-NONE DPD=passive}' _TRANSPORT=syslog _PID=4242
} >"$WORK/entries.export"
"$JR" --output="$WORK/gw1.journal" "$WORK/entries.export" 2>"$WORK/jr.err" || fail "journal-remote: $(cat "$WORK/jr.err")"
cat >"$WORK/c.yaml" <<EOF
source:
  journal:
    match: [SYSLOG_IDENTIFIER=pluto, _AUDIT_TYPE_NAME=CRYPTO_IKE_SA, _AUDIT_TYPE_NAME=CRYPTO_IPSEC_SA]
$(ikelogd_base_config)
EOF
"$IKELOGD" normalize -c "$WORK/c.yaml" --journal-file "$WORK/gw1.journal" >"$WORK/events.jsonl" 2>"$WORK/err" ||
	fail "normalize: $(cat "$WORK/err")"
python3 - "$WORK/events.jsonl" <<'PY' || fail "the audit events are not as expected"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
types = [e["event_type"] for e in ev]
print("events:", types)
assert len(ev) == 5, "USER_LOGIN must not be read"
ike = [e for e in ev if e["event_type"] == "audit_ike_sa"][0]
child = [e for e in ev if e["event_type"] == "audit_child_sa"][0]
init = [e for e in ev if e["event_type"] == "ike_init"][0]
assert ike["ike_sa_id"] == init["ike_sa_id"], "the IKE SA's record and its log lines share an ike_sa_id"
assert child["ike_sa_id"] == init["ike_sa_id"], "the Child SA's record is its IKE SA's"
assert ike["transform"] == {"encr": "AES_GCM_16", "prf": "SHA512", "dh_group": "DH19", "key_size": 256}, ike["transform"]
assert ike["role"] == "initiator" and ike["audit_op"] == "start" and ike["result"] == "success"
assert child["child"]["spi_in"] == "0xc9d2b1d3" and child["child"]["spi_out"] == "0x8f7ad2b1"
assert child["transform"]["key_size"] == 256
assert ike["platform"]["host"] == "gw1"
PY
ok "CRYPTO_IKE_SA / CRYPTO_IPSEC_SA journal entries became audit_ike_sa / audit_child_sa with the SA's ike_sa_id; USER_LOGIN was not read"
