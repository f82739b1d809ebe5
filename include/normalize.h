/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_NORMALIZE_H
#define IKELOGD_NORMALIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "envelope.h"
#include "event.h"
#include "record.h"
#include "rules.h"
#include "stats.h"

/* True for pluto's debug lines ("| ...", "|] ..."), which may carry key material. */
bool normalize_is_debug(const char *body, size_t len);

#define NORMALIZE_WEAK_MAX 16

/*
 * The normalizer's options, filled by the config loader
 * (config_pipeline_options): weak_crypto, source.keep_debug_lines,
 * limits.max_match_bytes, and whether the redaction policy keeps the
 * message field at all. Strings are borrowed from the configuration.
 */
struct normalizer_options {
	const char *weak_crypto[NORMALIZE_WEAK_MAX]; /* algorithm names flagged weak */
	size_t n_weak_crypto;
	bool keep_debug_lines;
	unsigned max_match_bytes; /* rules see at most this much of a line */
	bool keep_message;	  /* false when redact.fields drops message anyway */
};

/*
 * The normalizer: rules, then the derived fields (role, ike_version,
 * exchange, severity by result, weak_crypto), timestamp, event_id and
 * platform. Copies o (its strings stay borrowed); borrows rules and
 * counters.
 */
struct normalizer;
int normalizer_new(const struct normalizer_options *o, struct rules *rules, struct counters *cnt,
		   struct normalizer **ret);
void normalizer_free(struct normalizer *n);

/*
 * Turns rec (pluto's message: the source took the log prefix off with
 * envelope_log_prefix) into ev: reads pluto's prefix (envelope_pluto) and
 * matches the rules on the remainder. Returns 1 with ev filled (an
 * unmatched line is event_type "unparsed" and still carries the
 * envelope's conn_name, conn_instance, peer_ip and state_serial), or 0
 * when the line is dropped by policy (debug lines), counted. Only the
 * first limits.max_match_bytes of a longer line are matched (counted in
 * match_truncated); the message kept is whole.
 */
int normalize_record(struct normalizer *n, const struct record *rec, struct event *ev);

/*
 * Sets initiator_id and responder_id from peer_id and local_id by the
 * event's role, where they are not set yet. normalize_record does it; the
 * pipeline does it again after correlation, which may have supplied the
 * role of the IKE SA.
 */
void normalize_identities(struct event *ev);

#endif
