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
#define PATTERN_MAX	  8192
#define SET_MAX		  32
#define DECODE_PER_RULE	  8
#define EXAMPLES_PER_RULE 64
#define EXPECT_MAX	  64
#define MATCH_LIMIT	  200000
#define DEPTH_LIMIT	  2000
#define JIT_STACK_MAX	  (512u << 10)

/* A rule's wrapper: key: the "ERROR: "/"WARNING: " the envelope took off before a connection. */
enum { RULE_WRAP_NONE, RULE_WRAP_ERROR, RULE_WRAP_WARNING, RULE_WRAPPERS };

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
	bool jit;
	struct target *targets; /* fields first (group order), then decoders */
	size_t n_targets;
	struct {
		int field;
		char *value;
		size_t len;
	} set[SET_MAX];
	size_t n_set;
	struct prefilter_req req; /* the literals one of which the line must hold */
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
	bool prefilter_on;
	struct prefilter *pf;
	uint64_t *always; /* rules without a literal: candidates on every line */
	uint64_t *cand;
	size_t words;
};

/* Frees what a rule owns (not the rule itself). */
void rules_rule_done(struct rule *ru);

#endif
