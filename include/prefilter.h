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
/* Literals shorter than this cannot be indexed: their rules are tried on every line. */
#define PREFILTER_GRAM 4

/* Up to this many literals per rule: the line must contain one of them. */
#define PREFILTER_ALTS 8

struct prefilter_req {
	size_t n; /* 0 = no requirement: the rule is tried on every line */
	char lit[PREFILTER_ALTS][PREFILTER_LITERAL_MAX];
	size_t len[PREFILTER_ALTS];
};

/*
 * Finds in pattern p[0..n) what every match must contain: the longest run
 * of plain characters, inside groups too, or for an alternation one literal
 * per alternative (a disjunction). Nothing under an optional quantifier or
 * in a lookaround counts; runs never cross group boundaries; each literal
 * is at least PREFILTER_GRAM bytes. Patterns with syntax the scanner does
 * not follow (inline flags, \Q..\E, verbs) get no requirement. Returns
 * ret->n.
 */
int prefilter_extract(const char *p, size_t n, struct prefilter_req *ret);

struct prefilter;

/*
 * Indexes n literals (lits[i][0..lens[i]), copied; shorter than
 * PREFILTER_GRAM ignored), literal i standing for rule rule_of[i] (several
 * literals may name one rule, in increasing order). Returns 0 and *ret,
 * or -ENOMEM/-E2BIG.
 */
int prefilter_build(const char *const *lits, const size_t *lens, const uint32_t *rule_of, size_t n,
		    struct prefilter **ret);
void prefilter_free(struct prefilter *pf);

/* Sets bit rule_of[i] in bits for every literal i that occurs in s[0..len). */
void prefilter_scan(const struct prefilter *pf, const char *s, size_t len, uint64_t *bits);

#endif
