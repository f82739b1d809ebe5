/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_REDACT_KEY_H
#define IKELOGD_REDACT_KEY_H

#include <stddef.h>

#include "config.h"
#include "diag.h"

#define REDACT_KEY_MIN_BYTES 16	  /* shorter keys are refused: too easy to brute-force */
#define REDACT_KEY_MAX_BYTES 1024 /* a key file larger than this is not a key file */
#define REDACT_KEY_GEN_BYTES 32	  /* what redact.generate_key writes */

/*
 * Reads the pseudonym key from cfg->redact.key_file into key (room for
 * REDACT_KEY_MAX_BYTES). A missing file is created first, with random
 * bytes, mode 0600 and O_EXCL, when cfg->redact.generate_key is set. The
 * file is refused unless it is a regular file owned by the running user
 * with no group or other permission bits, of REDACT_KEY_MIN_BYTES to
 * REDACT_KEY_MAX_BYTES. Returns 0 with *ret_len set, or -errno with a
 * diag saying which check failed.
 */
int redact_key_load(const struct config *cfg, unsigned char *key, size_t *ret_len,
		    struct diags *errs);

#endif
