/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_REDACT_H
#define IKELOGD_REDACT_H

#include <stddef.h>

#include "config.h"
#include "diag.h"
#include "event.h"
#include "stats.h"

/*
 * The redaction stage: a per-field policy (keep, mask, hash, drop) from
 * the config, then a scrub of kept free text (hex runs of 32 digits or
 * more, configured secret patterns). Fails closed.
 */
struct redactor;

/*
 * Builds the policy and reads the key file (mode 0600, owned by the
 * running user; generated if redact.generate_key and missing). An unknown
 * field or action, a missing or too open key file: -EINVAL/-EPERM with a
 * diag naming it. *ret untouched on failure.
 */
int redactor_new(const struct config *cfg, struct counters *cnt, struct redactor **ret,
		 struct diags *errs);
void redactor_free(struct redactor *r);

/* Applies the policy to ev in place. Returns 0, or -ENOSPC if the arena is full. */
int redact_event(struct redactor *r, struct event *ev);

/*
 * Pure helpers, exposed for tests. redact_mask_ip writes the address with
 * its host bits cleared ("192.0.2.0", "2001:db8:1::") to out; -EINVAL if
 * ip is not an address. redact_pseudonym writes "h<gen>:" + 16 hex digits
 * of HMAC-SHA256(key, value).
 */
int redact_mask_ip(const char *ip, unsigned v4_prefix, unsigned v6_prefix, char *out,
		   size_t size);
int redact_pseudonym(const unsigned char *key, size_t key_len, unsigned generation,
		     const char *value, size_t len, char *out, size_t size);

#endif
