/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_VERIFY_H
#define IKELOGD_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sign.h"

/*
 * The verifier of signed event streams (sign.h): fed what a collector
 * wrote, one line at a time (an RFC 5424 message, possibly after the
 * collector's own timestamp and a space, as rsyslog's "%rawmsg%" and
 * syslog-ng's "${RAWMSG}" templates in conf/collector/ write them), it
 * follows every stream (HOSTNAME + sid) and reports each problem with the
 * file:line where it shows.
 */
enum verify_kind {
	VERIFY_ALTERED,	  /* the MAC does not match the bytes */
	VERIFY_MISSING,	  /* a sequence range never arrived */
	VERIFY_REORDERED, /* a sequence arrived after a later one */
	VERIFY_INSERTED,  /* a second message claims a sequence already verified */
	VERIFY_REPLAYED,  /* a verified message of an older epoch, sent again */
	VERIFY_TRUNCATED, /* the stream does not end with a final checkpoint */
	VERIFY_WRONG_KEY, /* the stream is not the audit key's, or its checkpoint fails the public
			     key */
	VERIFY_MALFORMED, /* a chain or checkpoint element that does not parse */
	VERIFY__MAX
};

/* "altered", "missing", ...; NULL out of range. */
const char *verify_kind_name(enum verify_kind k);

struct verify_problem {
	enum verify_kind kind;
	const char *file; /* owned by the verifier */
	unsigned long line;
	char detail[200];
};

struct verify_opts {
	bool have_key; /* K(0) and the stream id of the audit key */
	uint8_t k0[SIGN_KEY_LEN];
	uint8_t sid[SIGN_SID_LEN];
	bool have_pub; /* the Ed25519 public key */
	uint8_t pub[SIGN_ED_LEN];
	size_t max_held; /* messages held waiting for a gap to fill; 0 = 65536 */
};

struct verify;

/* A verifier with a copy of o. Returns 0 or -ENOMEM; -EINVAL without a key nor a pubkey. */
int verify_new(const struct verify_opts *o, struct verify **ret);
void verify_free(struct verify *v);

/*
 * One line of file (copied) at lineno: line[0..len), its newline removed
 * or not. Lines without an ikelogd-chain element are counted and skipped.
 * Returns 0 or -ENOMEM.
 */
int verify_line(struct verify *v, const char *file, unsigned long lineno, const char *line,
		size_t len);

/*
 * Ends the input: resolves what is still held, checks each stream's end,
 * and writes one report per stream and every problem to out (may be
 * NULL). Returns the number of problems; call once.
 */
size_t verify_finish(struct verify *v, FILE *out);

/* The problems found (valid until verify_free), in the order found. */
const struct verify_problem *verify_problems(const struct verify *v, size_t *ret_n);

/* Totals over every stream: events verified, duplicates ignored, events re-sent after a restart. */
struct verify_totals {
	uint64_t verified, duplicates, resent, streams, skipped_lines;
};
void verify_get_totals(const struct verify *v, struct verify_totals *ret);

#endif
