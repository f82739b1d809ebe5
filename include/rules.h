/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_RULES_H
#define IKELOGD_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "envelope.h"
#include "event.h"

/*
 * The rule table: YAML files of rules (id, event, result, scope, pattern,
 * set, examples), every pattern compiled with PCRE2 JIT, candidates picked by a
 * literal prefilter. Opaque; one table serves one thread.
 */
struct rules;

/*
 * Loads and compiles every rule of the n files. Problems (bad regex with
 * PCRE2's offset and message, unknown field, duplicate id, missing key, an
 * example that does not produce its expected fields) go to errs as
 * FILE:LINE:COL. Returns 0 and *ret (owned by the caller), or -EINVAL with
 * errs filled, or -errno; *ret is untouched on failure.
 */
int rules_load(const char *const *paths, size_t n, struct rules **ret, struct diags *errs);

/* Frees the table; NULL is fine. */
void rules_free(struct rules *r);

/*
 * Matches one line whose envelope env was read (envelope.h; env's offsets
 * are into line[0..len)). Sets on ev what the envelope holds (conn_name,
 * conn_instance, peer_ip, state_serial, peer_port), matched or not, then
 * tries the rules of env's scope on the remainder, its trailing blanks
 * left out (pluto prints none; a pasted line may have some); on a match sets
 * event_type, result, rule and the captured and constant fields. Returns 1
 * on a match, 0 when no rule matched, -E2BIG when a pattern hit its match
 * or depth limit (counted, treated as no match).
 */
int rules_match(struct rules *r, const struct envelope *env, const char *line, size_t len,
		struct event *ev);

/* Turns the literal prefilter off (every rule tried in order): the benchmark's baseline. */
void rules_set_prefilter(struct rules *r, bool on);

/* Per-rule figures for --stats and the counters: rules by index 0..count-1. */
size_t rules_count(const struct rules *r);
const char *rules_id(const struct rules *r, size_t i);
uint64_t rules_hits(const struct rules *r, size_t i);
uint64_t rules_limit_hits(const struct rules *r);

/* Patterns that could not be JIT-compiled and run in the interpreter (slower, still correct). */
size_t rules_jit_fallbacks(const struct rules *r);

/*
 * Literal k of rule i's prefilter requirement (the line must contain one of
 * them; not NUL-terminated), or NULL past the last: none at all means the
 * rule is tried on every line.
 */
const char *rules_literal(const struct rules *r, size_t i, size_t k, size_t *ret_len);

/* The rule an event came from (event.rule), by id. */
const char *rule_id_of(const void *rule);

/*
 * Each example of every rule: its line, and the expected fields as
 * (short name, value) pairs, with the FILE:LINE:COL of the example.
 */
struct rule_example {
	const char *rule_id;
	const char *line;
	const char *const *expect_keys;
	const char *const *expect_values;
	size_t n_expect;
	const char *versions; /* "3.25,3.29,3.32": the releases that print it, NULL = not said */
	const char *file;
	unsigned line_no;
	unsigned col;
};
size_t rules_example_count(const struct rules *r);
const struct rule_example *rules_example(const struct rules *r, size_t i);

#endif
