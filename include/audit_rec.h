/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_AUDIT_REC_H
#define IKELOGD_AUDIT_REC_H

#include <stddef.h>

#include "event.h"

/*
 * pluto's Linux audit records (Libreswan's linux_audit.c): CRYPTO_IKE_SA
 * and CRYPTO_IPSEC_SA, as journald stores them (_TRANSPORT=audit,
 * MESSAGE "CRYPTO_IKE_SA pid=... msg='op=start ...'") or as auditd writes
 * them ("type=CRYPTO_IKE_SA msg=audit(...): pid=... msg='...'").
 */
struct audit_rec;

/* Compiles the patterns. Returns 0, -ENOMEM or -EINVAL. */
int audit_rec_new(struct audit_rec **ret);
void audit_rec_free(struct audit_rec *a);

/*
 * When msg[0..len) is such a record, fills ev (reset by the caller) and
 * returns 1: event_type audit_ike_sa or audit_child_sa, audit_op (start,
 * destroy), result (success; failure for res=failed; info for a
 * destroy), conn_name (hex-encoded names decoded), state_serial
 * (connstate), role (direction), ike_version, auth_method, encr,
 * key_size, integ, prf, dh_group (pfs), child protocol and mode, spi_in
 * and spi_out as the record labels them, peer_ip (raddr), local_ip
 * (addr). Returns 0 for any other text, ev untouched.
 */
int audit_rec_parse(struct audit_rec *a, const char *msg, size_t len, struct event *ev);

#endif
