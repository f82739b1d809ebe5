/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_RULES_IMPL_H
#define IKELOGD_RULES_IMPL_H

/*
 * The rule table's insides, shared by its two files only: src/rules.c
 * (the table, matching, figures) and src/rules_load.c (YAML, compiling,
 * the prefilter's literals, the examples). Nothing else includes this.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "prefilter.h"
#include "rules.h"

#define RULES_MAX	  10000
#define RULE_FILE_MAX	  (16u << 20)
#define RULE_DEPTH_MAX	  16 /* nesting of lists and mappings, as the config loader */
#define PATTERN_MAX	  8192
#define SET_MAX		  32
#define DECODE_PER_RULE	  8
#define EXAMPLES_PER_RULE 64
#define EXPECT_MAX	  64
#define MATCH_LIMIT	  200000
#define DEPTH_LIMIT	  2000
#define JIT_STACK_MAX	  (512u << 10)
/*
 * A rule is compiled by the JIT once lines have reached it this many
 * times: the generated table's rare rules stay interpreted and their
 * machine code (about 9 KiB a rule) is never made.
 */
#define JIT_AFTER_TRIES 8

/*
 * A rule's wrapper: key: what the envelope took off before a connection
 * ("ERROR: ", "WARNING: ", "EXPECTATION FAILED: ", an assertion's). A rule's default and "any" are
 * the first RULE_WRAP_ANY (a diagnostic wrapper's message is pluto's own words about its code,
 * which no ordinary rule should type); a rule takes the others by name.
 */
enum {
	RULE_WRAP_NONE,
	RULE_WRAP_ERROR,
	RULE_WRAP_WARNING,
	RULE_WRAP_EXPECTATION,
	RULE_WRAP_ASSERTION,
	RULE_WRAPPERS
};
#define RULE_WRAP_ANY RULE_WRAP_EXPECTATION

struct target {
	uint32_t group;
	int field;   /* >= 0: a field */
	int decoder; /* >= 0: a sub-decoder */
};

struct rule {
	char *id;
	char *event;
	char *result;
	size_t id_len, event_len, result_len;
	unsigned scopes;   /* bit (1 << enum envelope_scope) for each scope it applies to */
	unsigned wrappers; /* RULE_WRAP_* bits: the wrappers before the connection it accepts */
	pcre2_code *code;
	bool jit;		/* compiled by PCRE2's JIT (lazily: see rules.c try_rule) */
	bool jit_failed;	/* JIT compilation was tried and failed: the interpreter runs it */
	uint32_t tries;		/* lines it was tried on before its JIT compilation */
	struct target *targets; /* fields first (group order), then decoders */
	size_t n_targets;
	struct rule_const {
		int field;
		char *value;
		size_t len;
	} * set; /* n_set constants (a rule's struct stays small: the generated table has thousands)
		  */
	size_t n_set;
	/* The literals one of which the line must hold: lit_len[k] bytes each, back to back. */
	char *lits;
	uint8_t n_lits;
	uint8_t lit_len[PREFILTER_ALTS];
	uint64_t hits;
	const char *file;
	unsigned line, col;
};

struct rules {
	struct rule *v;
	size_t n, cap;
	struct rule_example *ex;
	size_t n_ex, cap_ex;
	char **files;
	size_t n_files;
	pcre2_match_context *mctx;
	pcre2_jit_stack *jstack;
	pcre2_match_data *md;
	uint32_t max_groups;
	uint64_t limit_hits;
	size_t jit_fallbacks;
	bool jit_off;	      /* loading (examples run interpreted) or JIT unavailable here */
	bool jit_unavailable; /* the first rule's JIT compilation failed */
	bool prefilter_on;
	struct prefilter *pf;
	uint64_t *always; /* rules without a literal: candidates on every line */
	uint64_t *cand;
	size_t words;
	char **codes; /* the error_code vocabulary, sorted once loaded */
	size_t n_codes, cap_codes;
};

/*
 * Once every file is loaded (rules_check.c): rule ids unique across files;
 * every example matched first by its own rule, with the expected fields.
 * Each returns 0 or -EINVAL with a diagnostic per offender.
 */
int rules_check_duplicates(struct rules *r, struct diags *errs);
int rules_check_examples(struct rules *r, struct diags *errs);

/* Frees what a rule owns (not the rule itself). */
void rules_rule_done(struct rule *ru);

/* Keeps q's literals (copied) as the rule's prefilter requirement. Returns 0 or -ENOMEM. */
int rules_rule_set_literals(struct rule *ru, const struct prefilter_req *q);

/*
 * Whether s is one of the event types ikelogd writes (rules_vocab.c): a
 * rule's event_type outside them needs a vocabulary_reason. s non-NULL.
 */
bool rules_vocab_event_type(const char *s);
/*
 * The error_code vocabulary (rules_vocab.c): add one name (upper case,
 * digits, '_'; -EINVAL otherwise), sort once all files are read, look one
 * up. An empty vocabulary accepts nothing and enforces nothing.
 */
int rules_vocab_add(struct rules *r, const char *s, size_t len);
void rules_vocab_sort(struct rules *r);
bool rules_vocab_has(const struct rules *r, const char *s, size_t len);
/*
 * A matched line's error_code outside the vocabulary is no code: it moves
 * to reason (when that is unset) and error_code is left out.
 */
void rules_vocab_enforce(const struct rules *r, struct event *ev);
/*
 * Returns -EINVAL, with a diagnostic per offender, when a rule's set: or an
 * example's expect: names an error_code outside the vocabulary; 0 else.
 */
int rules_vocab_check(const struct rules *r, struct diags *errs);
/*
 * An example that names its versions states what pluto printed: each
 * expected value occurs in its line (case aside), unless the rule sets it
 * as a constant or the field holds a word of ours rather than pluto's
 * (event_type, result, auth_method, delete_notify, phase, ...). Returns
 * -EINVAL with a diagnostic per value that does not, else 0.
 */
int rules_example_values_in_line(const void *rule, const struct rule_example *e,
				 struct diags *errs);
/* NULL when v[0..len) is a version an example of rule_id may name, else why not. */
const char *rules_version_check(const char *v, size_t len, const char *rule_id);

#endif
