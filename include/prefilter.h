/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_PREFILTER_H
#define IKELOGD_PREFILTER_H

#include <stddef.h>
#include <stdint.h>

/*
 * The rule table's literal prefilter (used by rules.c): the required
 * literal of a pattern, and one Aho-Corasick automaton over all of them.
 */
#define PREFILTER_LITERAL_MAX 32

/*
 * Writes into out (at most cap <= PREFILTER_LITERAL_MAX bytes, no NUL) the
 * longest run of plain characters every match of pattern p[0..n) must
 * contain: top level only, not under an optional quantifier. Returns its
 * length, 0 when there is none or the pattern uses syntax the scanner does
 * not follow (top-level alternation, inline flags, \Q..\E, verbs).
 */
size_t prefilter_extract(const char *p, size_t n, char *out, size_t cap);

struct prefilter {
	uint8_t cls[256]; /* byte -> class; 0 = bytes in no literal */
	uint32_t n_cls;
	uint32_t n_states;
	uint32_t *delta;   /* n_states * n_cls */
	uint32_t *out_off; /* n_states + 1: state's outputs are out[out_off[s]..out_off[s+1]) */
	uint32_t *out;	   /* literal indices */
};

/*
 * Builds the automaton over n literals (lits[i][0..lens[i]), empty ones
 * ignored). Returns 0 and *ret, or -ENOMEM/-E2BIG.
 */
int prefilter_build(const char *const *lits, const size_t *lens, size_t n, struct prefilter **ret);
void prefilter_free(struct prefilter *pf);

/* Sets bit i in bits for every literal i that occurs in s[0..len). */
void prefilter_scan(const struct prefilter *pf, const char *s, size_t len, uint64_t *bits);

#endif
