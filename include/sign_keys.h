/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_SIGN_KEYS_H
#define IKELOGD_SIGN_KEYS_H

#include <stdbool.h>
#include <stdint.h>

#include "diag.h"
#include "sign.h"

/*
 * The key files of signing, small "name value" text files:
 *   DIR/sign.key   "format ikelogd-sign-key 1", sid, k0, ed25519 (private), mode 0600
 *   DIR/audit.key  "format ikelogd-audit-key 1", sid, k0, mode 0600
 *   DIR/audit.pub  "format ikelogd-audit-pub 1", sid, ed25519-pub
 * Values are lower-case hex. The daemon removes k0 from sign.key once its
 * state file holds the chain (sign_keys_write_sign with has_k0 false).
 */
enum sign_keyfile_kind { SIGN_KEYFILE_SIGN, SIGN_KEYFILE_AUDIT, SIGN_KEYFILE_PUB };

struct sign_keyfile {
	enum sign_keyfile_kind kind;
	bool has_k0; /* only sign.key may lack it (after first use) */
	uint8_t sid[SIGN_SID_LEN];
	uint8_t k0[SIGN_KEY_LEN];
	uint8_t ed[SIGN_ED_LEN]; /* private in sign.key, public in audit.pub */
};

/*
 * Reads path, which must be of kind `kind`. Returns 0, -ENOENT, -EBADMSG
 * (a diag with file:line says what is wrong) or another -errno.
 */
int sign_keys_read(const char *path, enum sign_keyfile_kind kind, struct sign_keyfile *ret,
		   struct diags *errs);

/*
 * Creates DIR/sign.key, DIR/audit.key and DIR/audit.pub from fresh random
 * keys. Refuses (-EEXIST) when any of them exists; never overwrites.
 * Returns 0 or -errno with a diag.
 */
int sign_keys_generate(const char *dir, struct diags *errs);

/* Rewrites sign.key atomically from k (k->has_k0 false: without k0). Returns 0 or -errno. */
int sign_keys_write_sign(const char *path, const struct sign_keyfile *k, struct diags *errs);

#endif
