/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_REDACT_KEY_H
#define IKELOGD_REDACT_KEY_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

#define REDACT_KEY_MIN_BYTES 16	  /* shorter keys are refused: too easy to brute-force */
#define REDACT_KEY_MAX_BYTES 1024 /* a key file larger than this is not a key file */
#define REDACT_KEY_GEN_BYTES 32	  /* what redact.generate_key writes */

/*
 * Where the pseudonym key is (redact.key_file, redact.generate_key),
 * filled by the config loader; config_path names the configuration in
 * messages. Strings are borrowed.
 */
struct redact_key_options {
	const char *config_path;
	const char *key_file;
	bool generate_key;
};

/*
 * Reads the pseudonym key from o->key_file into key (room for
 * REDACT_KEY_MAX_BYTES). A missing file is created first, with random
 * bytes, mode 0600 and O_EXCL, when o->generate_key is set. The
 * file is refused unless it is a regular file owned by the running user
 * with no group or other permission bits, of REDACT_KEY_MIN_BYTES to
 * REDACT_KEY_MAX_BYTES. Returns 0 with *ret_len set, or -errno with a
 * diag saying which check failed.
 */
int redact_key_load(const struct redact_key_options *o, unsigned char *key, size_t *ret_len,
		    struct diags *errs);

/*
 * The same for `ikelogd pseudonym`: never creates the key, and lets root
 * read a key its service user owns (the mode checks stay).
 */
int redact_key_load_auditor(const struct redact_key_options *o, unsigned char *key, size_t *ret_len,
			    struct diags *errs);

/*
 * Pseudonyms under one key: "h<generation>:" + 16 hex digits of
 * HMAC-SHA256(key, value), as redact_pseudonym() computes them, through
 * one OpenSSL context and a small cache of recent values.
 * pseudonymizer_new copies what it needs of key (the caller may wipe it):
 * 0, -EINVAL for an empty key, -ENOMEM, or -EIO when OpenSSL has no
 * HMAC-SHA256. pseudonymizer_get writes the pseudonym and its NUL to out:
 * 0, -ENOSPC if out is too small, -EIO.
 */
struct pseudonymizer;
int pseudonymizer_new(const unsigned char *key, size_t key_len, unsigned generation,
		      struct pseudonymizer **ret);
void pseudonymizer_free(struct pseudonymizer *p);
int pseudonymizer_get(struct pseudonymizer *p, const char *value, size_t len, char *out,
		      size_t size);

#endif
