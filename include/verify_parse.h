/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_VERIFY_PARSE_H
#define IKELOGD_VERIFY_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sign.h"

/*
 * One collector line as the verifier reads it: an RFC 5424 message,
 * optionally after one token and a space (the collector's own timestamp),
 * with a trailing "\n" or "\r\n" not part of MSG. Pointers borrow the line.
 */
struct verify_parsed {
	const char *host;
	size_t host_len;
	uint8_t sid[SIGN_SID_LEN];
	uint64_t seq, ep, rs; /* rs: the first sequence a restart declares lost, 0 = none */
	uint8_t mac[SIGN_MAC_LEN];
	bool has_cp;
	struct sign_checkpoint cp; /* sid left zero: it is the chain's */
	const char *eid;	   /* the ikelogd@ element's eid value, escapes kept; NULL = none */
	size_t eid_len;
	const char *msg;
	size_t msg_len;
};

/*
 * Parses line[0..len). Returns 0 with *ret filled, 1 when the line is no
 * RFC 5424 message or has no ikelogd-chain element (not ours: skipped),
 * or a negative code for a message whose chain or checkpoint element is
 * malformed (verify_parse_error() names it). VERIFY_PARSE_CUT: the line
 * ends inside the structured data, as the partial frame a collector
 * writes when it stops mid-frame. Never reads past len.
 */
int verify_parse(const char *line, size_t len, struct verify_parsed *ret);

#define VERIFY_PARSE_CUT (-5)

/* What a negative code of verify_parse means. */
const char *verify_parse_error(int code);

#endif
