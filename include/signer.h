/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_SIGNER_H
#define IKELOGD_SIGNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "encode.h"
#include "sign.h"

/*
 * The gateway's side of signing: one chain (sign.h) per daemon, its key
 * ratcheted every epoch_events events or epoch_seconds seconds, its state
 * kept in a state file written atomically (state_write_text) before any
 * message leaves with a sequence the file does not cover: sequences are
 * reserved in blocks, so a restart never reuses one. A restart after an
 * unclean stop declares, in its first message (rs="N"), the sequences
 * from N on that may have been signed but never delivered; its MAC links
 * to the MAC of N - 1, the last delivered one the state file knew of.
 */
struct signer_opts {
	const char *key_file;	/* sign.key; NULL with a key given to signer_new */
	const char *state_file; /* NULL or "": nothing persisted (tools, tests) */
	unsigned epoch_events;	/* 0 = no limit by count */
	unsigned epoch_seconds; /* 0 = no limit by time */
	unsigned pen;		/* the SD-IDs' enterprise number */
	unsigned reserve;	/* sequences reserved per state write; 0 = 64 */
	size_t ring;		/* in-flight events mapped to chain sequences; 0 = 8192 */
	uint64_t (*now)(void);	/* seconds; NULL = CLOCK_MONOTONIC-free time(NULL) */
};

struct signer_stats {
	uint64_t signed_events, epochs, checkpoints, state_writes, restarts;
};

struct signer;

/*
 * Opens the chain: from o->state_file when it exists, else from K(0) in
 * o->key_file, which is then rewritten without K(0) (forward security:
 * K(0) must not stay on the gateway). Returns 0 or -errno with diags.
 */
int signer_open(const struct signer_opts *o, struct signer **ret, struct diags *errs);

/* A chain from the given keys (copied), nothing read nor written: tools, tests, bench. */
int signer_new(const struct signer_opts *o, const uint8_t sid[SIGN_SID_LEN],
	       const uint8_t k0[SIGN_KEY_LEN], const uint8_t ed[SIGN_ED_LEN], struct signer **ret);

/* Wipes the keys and frees; s may be NULL. */
void signer_free(struct signer *s);

/*
 * Signs msg[0..len), the exact MSG of the event of pipeline sequence seq:
 * writes the chain element (and a checkpoint element when this event ends
 * an epoch or is the final one) into sd[0..size). Returns the length, or
 * -errno (the state file could not be written: the message must not go).
 */
int signer_sign(struct signer *s, uint64_t seq, const char *msg, size_t len, char *sd, size_t size);

/* The next signed event ends the stream (clean shutdown): it gets a final checkpoint. */
void signer_final_next(struct signer *s);

/* The sink delivered every event up to pipeline sequence seq. */
void signer_delivered(struct signer *s, uint64_t seq);

/*
 * Clean stop: writes the state with nothing reserved beyond what was
 * signed, so the next start continues without a restart declaration
 * when everything was delivered. Returns 0 or -errno with a diag.
 */
int signer_close(struct signer *s, struct diags *errs);

void signer_get_stats(const struct signer *s, struct signer_stats *ret);

/*
 * Hooks s into an encode_input: in->sign and in->sign_ud, through call
 * (caller's storage, must live until encode_rfc5424 returns). s NULL:
 * nothing is set (unsigned).
 */
struct signer_call {
	struct signer *s;
	uint64_t seq;
};
void signer_attach(struct encode_input *in, struct signer_call *call, struct signer *s,
		   uint64_t seq);

#endif
