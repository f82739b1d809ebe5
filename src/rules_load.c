/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Loading the rule table: YAML files (format at the top of rules.c),
 * patterns compiled with PCRE2 JIT, named groups mapped to fields and
 * sub-decoders, the prefilter's literals, and every example checked.
 * Every problem becomes a FILE:LINE:COL diagnostic from libyaml's marks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "decode.h"
#include "rules_impl.h"
#include "yaml_items.h"

/* ---- YAML helpers ---- */

struct loader {
	struct rules *r;
	const char *file;
	yaml_document_t *doc;
	struct diags *errs;
	int nerr;
};

#define ERR(ld, node, col_add, ...)                                                                \
	do {                                                                                       \
		diag_add((ld)->errs, (ld)->file, (unsigned)(node)->start_mark.line + 1,            \
			 (unsigned)((node)->start_mark.column + 1 + (col_add)), __VA_ARGS__);      \
		(ld)->nerr++;                                                                      \
	} while (0)

static const char *scalar(yaml_node_t *n, size_t *len)
{
	if (!n || n->type != YAML_SCALAR_NODE)
		return NULL;
	if (len)
		*len = n->data.scalar.length;
	return (const char *)n->data.scalar.value;
}

static bool is_null(yaml_node_t *n)
{
	const char *s = scalar(n, NULL);

	return s && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       (strcmp(s, "null") == 0 || strcmp(s, "~") == 0 || s[0] == '\0' ||
		strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0);
}

static char *dup_scalar(yaml_node_t *n)
{
	size_t len;
	const char *s = scalar(n, &len);

	return s ? strndup(s, len) : NULL;
}

/* Compiles the pattern and maps its named groups to fields and decoders. */
static int compile_pattern(struct loader *ld, struct rule *ru, yaml_node_t *pn, yaml_node_t *dn)
{
	size_t plen;
	const char *p = scalar(pn, &plen);
	int errcode, quoted = pn->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
			      pn->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	PCRE2_SIZE erroff;
	uint32_t count = 0, esize = 0;
	PCRE2_SPTR table;
	int dec_groups[DECODE_PER_RULE];
	yaml_node_t *dkeys[DECODE_PER_RULE];
	int dec_of[DECODE_PER_RULE];
	size_t n_dec = 0;

	if (plen > PATTERN_MAX) {
		ERR(ld, pn, 0, "pattern longer than %d bytes", PATTERN_MAX);
		return -EINVAL;
	}
	if (dn && dn->type != YAML_MAPPING_NODE) {
		ERR(ld, dn, 0, "decode must be a map of group name to decoder");
		return -EINVAL;
	}
	for (yaml_node_pair_t *pr = dn ? dn->data.mapping.pairs.start : NULL;
	     dn && pr < dn->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(ld->doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(ld->doc, pr->value);
		size_t vl;
		const char *vs = scalar(v, &vl);
		int d = vs ? decoder_lookup(vs, vl) : -ENOENT;

		if (!scalar(k, NULL) || d < 0) {
			ERR(ld, v ? v : k, 0,
			    "unknown decoder '%s' (brace_algs, esp_block, traffic_selectors, "
			    "delete_notify)",
			    vs ? vs : "?");
			return -EINVAL;
		}
		if (n_dec == DECODE_PER_RULE) {
			ERR(ld, k, 0, "more than %d decoders", DECODE_PER_RULE);
			return -EINVAL;
		}
		dkeys[n_dec] = k;
		dec_of[n_dec] = d;
		dec_groups[n_dec++] = -1;
	}
	ru->code = pcre2_compile((PCRE2_SPTR)p, plen, PCRE2_DUPNAMES, &errcode, &erroff, NULL);
	if (!ru->code) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(errcode, msg, sizeof(msg));
		ERR(ld, pn, quoted + (int)erroff, "bad regex at offset %zu: %s", (size_t)erroff,
		    (const char *)msg);
		return -EINVAL;
	}
	pcre2_pattern_info(ru->code, PCRE2_INFO_NAMECOUNT, &count);
	pcre2_pattern_info(ru->code, PCRE2_INFO_NAMEENTRYSIZE, &esize);
	pcre2_pattern_info(ru->code, PCRE2_INFO_NAMETABLE, &table);
	ru->targets = calloc(count + 1, sizeof(*ru->targets));
	if (!ru->targets)
		return -ENOMEM;
	for (uint32_t i = 0; i < count; i++) {
		PCRE2_SPTR e = table + i * esize;
		uint32_t g = ((uint32_t)e[0] << 8) | e[1];
		const char *name = (const char *)e + 2;
		int f = field_lookup(name, strlen(name));
		bool is_dec = false;

		for (size_t k = 0; k < n_dec; k++)
			if (strcmp(scalar(dkeys[k], NULL), name) == 0) {
				is_dec = true;
				dec_groups[k] = (int)g;
				ru->targets[ru->n_targets++] = (struct target){g, -1, dec_of[k]};
			}
		if (is_dec)
			continue;
		if (f < 0) {
			const char *at = strstr(p, name);

			ERR(ld, pn, quoted + (at ? (int)(at - p) : 0),
			    "unknown field name '%s' in pattern (not a field, not a decode: key)",
			    name);
			return -EINVAL;
		}
		ru->targets[ru->n_targets++] = (struct target){g, f, -1};
	}
	for (size_t k = 0; k < n_dec; k++)
		if (dec_groups[k] < 0) {
			ERR(ld, dkeys[k], 0,
			    "decode group '%s' is not a named group of the pattern",
			    scalar(dkeys[k], NULL));
			return -EINVAL;
		}
	/* Decoders run after the plain captures. */
	for (size_t a = 0; a < ru->n_targets; a++)
		for (size_t b = a + 1; b < ru->n_targets; b++)
			if (ru->targets[a].field < 0 && ru->targets[b].field >= 0) {
				struct target t = ru->targets[a];

				ru->targets[a] = ru->targets[b];
				ru->targets[b] = t;
			}
	uint32_t cap = 0;

	pcre2_pattern_info(ru->code, PCRE2_INFO_CAPTURECOUNT, &cap);
	if (cap + 1 > ld->r->max_groups)
		ld->r->max_groups = cap + 1;
	/* Compiled by the JIT when lines reach it (rules.c try_rule); the first rule probes for it.
	 */
	if (ru == &ld->r->v[0]) {
		if (pcre2_jit_compile(ru->code, PCRE2_JIT_COMPLETE) == 0)
			ru->jit = true;
		else
			ld->r->jit_unavailable = true;
	}
	struct prefilter_req q;

	prefilter_extract(p, plen, &q);
	return rules_rule_set_literals(ru, &q);
}

static int load_set(struct loader *ld, struct rule *ru, yaml_node_t *sn, struct event *scratch)
{
	if (sn->type != YAML_MAPPING_NODE) {
		ERR(ld, sn, 0, "set must be a map of field to value");
		return -EINVAL;
	}
	for (yaml_node_pair_t *pr = sn->data.mapping.pairs.start; pr < sn->data.mapping.pairs.top;
	     pr++) {
		yaml_node_t *k = yaml_document_get_node(ld->doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(ld->doc, pr->value);
		size_t kl, vl;
		const char *ks = scalar(k, &kl), *vs = scalar(v, &vl);
		int f = ks ? field_lookup(ks, kl) : -ENOENT;

		if (f < 0) {
			ERR(ld, k, 0, "unknown field name '%s' in set", ks ? ks : "?");
			return -EINVAL;
		}
		event_reset(scratch);
		if (!vs || event_set_text(scratch, f, vs, vl) < 0) {
			ERR(ld, v, 0, "value '%s' is not valid for field %s", vs ? vs : "?", ks);
			return -EINVAL;
		}
		if (ru->n_set == SET_MAX) {
			ERR(ld, k, 0, "more than %d constants in set", SET_MAX);
			return -EINVAL;
		}
		if (!ru->set) {
			size_t np =
			    (size_t)(sn->data.mapping.pairs.top - sn->data.mapping.pairs.start);

			if (!(ru->set = calloc(np < SET_MAX ? np : SET_MAX, sizeof(*ru->set))))
				return -ENOMEM;
		}
		ru->set[ru->n_set].field = f;
		ru->set[ru->n_set].len = vl;
		if (!(ru->set[ru->n_set++].value = strndup(vs, vl)))
			return -ENOMEM;
	}
	return 0;
}

/* An example's versions: [3.25, 4.10, main], kept as "3.25,4.10,main". */
static int load_versions(struct loader *ld, const struct rule *ru, yaml_node_t *vn,
			 const char **ret)
{
	char buf[512];
	size_t bl = 0;

	if (vn->type != YAML_SEQUENCE_NODE ||
	    vn->data.sequence.items.start == vn->data.sequence.items.top) {
		ERR(ld, vn, 0,
		    "versions must be a list of Libreswan versions ([3.25, 4.10, main])");
		return -EINVAL;
	}
	for (yaml_node_item_t *it = vn->data.sequence.items.start; it < vn->data.sequence.items.top;
	     it++) {
		yaml_node_t *v = yaml_document_get_node(ld->doc, *it);
		size_t vl;
		const char *vs = scalar(v, &vl), *why;

		if (!vs) {
			ERR(ld, v ? v : vn, 0, "a version must be a scalar");
			return -EINVAL;
		}
		if ((why = rules_version_check(vs, vl, ru->id)) != NULL) {
			ERR(ld, v, 0, "version '%.*s': %s", (int)vl, vs, why);
			return -EINVAL;
		}
		if (bl + vl + 2 > sizeof(buf)) {
			ERR(ld, v, 0, "too many versions");
			return -EINVAL;
		}
		if (bl)
			buf[bl++] = ',';
		memcpy(buf + bl, vs, vl);
		bl += vl;
	}
	*ret = strndup(buf, bl);
	return *ret ? 0 : -ENOMEM;
}

static int load_examples(struct loader *ld, struct rule *ru, yaml_node_t *en)
{
	struct rules *r = ld->r;
	size_t n = 0;
	int ret;

	if (en->type != YAML_SEQUENCE_NODE) {
		ERR(ld, en, 0, "examples must be a list of {line, expect}");
		return -EINVAL;
	}
	for (yaml_node_item_t *it = en->data.sequence.items.start; it < en->data.sequence.items.top;
	     it++, n++) {
		yaml_node_t *x = yaml_document_get_node(ld->doc, *it), *line = NULL, *exp = NULL,
			    *vers = NULL;

		if (n == EXAMPLES_PER_RULE) {
			ERR(ld, x, 0, "more than %d examples", EXAMPLES_PER_RULE);
			return -EINVAL;
		}
		if (!x || x->type != YAML_MAPPING_NODE) {
			ERR(ld, x ? x : en, 0, "an example must be a map with line and expect");
			return -EINVAL;
		}
		for (yaml_node_pair_t *pr = x->data.mapping.pairs.start;
		     pr < x->data.mapping.pairs.top; pr++) {
			const char *k = scalar(yaml_document_get_node(ld->doc, pr->key), NULL);

			if (k && strcmp(k, "line") == 0)
				line = yaml_document_get_node(ld->doc, pr->value);
			else if (k && strcmp(k, "expect") == 0)
				exp = yaml_document_get_node(ld->doc, pr->value);
			else if (k && strcmp(k, "versions") == 0)
				vers = yaml_document_get_node(ld->doc, pr->value);
			else {
				ERR(ld, yaml_document_get_node(ld->doc, pr->key), 0,
				    "unknown key '%s' in example", k ? k : "?");
				return -EINVAL;
			}
		}
		if (!scalar(line, NULL)) {
			ERR(ld, x, 0, "example without line");
			return -EINVAL;
		}
		if (exp && exp->type != YAML_MAPPING_NODE) {
			ERR(ld, exp, 0, "expect must be a map of field to value");
			return -EINVAL;
		}
		size_t ne =
		    exp ? (size_t)(exp->data.mapping.pairs.top - exp->data.mapping.pairs.start) : 0;

		if (ne > EXPECT_MAX) {
			ERR(ld, exp, 0, "more than %d expected fields", EXPECT_MAX);
			return -EINVAL;
		}
		if (r->n_ex == r->cap_ex) {
			size_t nc = r->cap_ex ? r->cap_ex * 2 : 64;
			struct rule_example *nv = realloc(r->ex, nc * sizeof(*nv));

			if (!nv)
				return -ENOMEM;
			r->ex = nv;
			r->cap_ex = nc;
		}
		struct rule_example *e = &r->ex[r->n_ex];

		*e = (struct rule_example){
		    .rule_id = ru->id,
		    .file = ld->file,
		    .line_no = (unsigned)line->start_mark.line + 1,
		    .col = (unsigned)line->start_mark.column + 1,
		};
		e->line = dup_scalar(line);
		e->expect_keys = calloc(ne + 1, sizeof(char *));
		e->expect_values = calloc(ne + 1, sizeof(char *));
		r->n_ex++;
		if (!e->line || !e->expect_keys || !e->expect_values)
			return -ENOMEM;
		if (vers && (ret = load_versions(ld, ru, vers, &e->versions)) < 0)
			return ret;
		for (size_t k = 0; k < ne; k++) {
			yaml_node_pair_t *pr = &exp->data.mapping.pairs.start[k];
			yaml_node_t *kn = yaml_document_get_node(ld->doc, pr->key);
			yaml_node_t *vn = yaml_document_get_node(ld->doc, pr->value);
			size_t kl;
			const char *ks = scalar(kn, &kl);

			if (!ks || field_lookup(ks, kl) < 0) {
				ERR(ld, kn, 0, "unknown field name '%s' in expect", ks ? ks : "?");
				return -EINVAL;
			}
			if (!scalar(vn, NULL)) {
				ERR(ld, vn ? vn : kn, 0, "expected value of %s must be a scalar",
				    ks);
				return -EINVAL;
			}
			((const char **)e->expect_keys)[k] = strndup(ks, kl);
			/* NULL value = expected absent */
			((const char **)e->expect_values)[k] = is_null(vn) ? NULL : dup_scalar(vn);
			e->n_expect++;
			if (!e->expect_keys[k] || (!is_null(vn) && !e->expect_values[k]))
				return -ENOMEM;
		}
	}
	return 0;
}

/* The wrapper pluto put before a connection: none, "ERROR: ", ... (rules_impl.h). */
static int wrapper_lookup(const char *s, size_t len)
{
	static const char *const names[RULE_WRAPPERS] = {"none", "error", "warning", "expectation",
							 "assertion"};

	for (int i = 0; i < RULE_WRAPPERS; i++)
		if (strlen(names[i]) == len && memcmp(s, names[i], len) == 0)
			return i;
	return -1;
}

/* One name of a key into *mask: a bit by lookup's number, or the first count of them for "any". */
static int name_bit(struct loader *ld, yaml_node_t *v, int (*lookup)(const char *, size_t),
		    int count, const char *what, unsigned *mask)
{
	size_t l;
	const char *s = scalar(v, &l);
	int i = s ? lookup(s, l) : -1;

	if (s && l == 3 && memcmp(s, "any", 3) == 0) {
		*mask |= (1u << count) - 1;
		return 0;
	}
	if (i < 0) {
		ERR(ld, v, 0, "%s, not '%s'", what, s ? s : "?");
		return -EINVAL;
	}
	*mask |= 1u << i;
	return 0;
}

/* A key that takes a name or a list of names (scope:, wrapper:) into *ret_mask. */
static int load_names(struct loader *ld, yaml_node_t *n, int (*lookup)(const char *, size_t),
		      int count, const char *what, unsigned *ret_mask)
{
	unsigned mask = 0;

	if (n->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = n->data.sequence.items.start;
		     it < n->data.sequence.items.top; it++)
			if (name_bit(ld, yaml_document_get_node(ld->doc, *it), lookup, count, what,
				     &mask) < 0)
				return -EINVAL;
	} else if (name_bit(ld, n, lookup, count, what, &mask) < 0) {
		return -EINVAL;
	}
	if (!mask) {
		ERR(ld, n, 0, "%s", what);
		return -EINVAL;
	}
	*ret_mask = mask;
	return 0;
}

static int load_rule(struct loader *ld, yaml_node_t *node, struct event *scratch)
{
	struct rules *r = ld->r;
	yaml_node_t *id = NULL, *ev = NULL, *res = NULL, *pat = NULL, *set = NULL, *dec = NULL,
		    *exs = NULL, *key = NULL, *reason = NULL, *scope = NULL, *wrap = NULL;
	struct rule *ru;
	int ret;

	if (node->type != YAML_MAPPING_NODE) {
		ERR(ld, node, 0, "a rule must be a map");
		return -EINVAL;
	}
	for (yaml_node_pair_t *pr = node->data.mapping.pairs.start;
	     pr < node->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(ld->doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(ld->doc, pr->value);
		const char *ks = scalar(k, NULL);
		static const char *const names[] = {
		    "id",	"event", "result", "pattern",		"set",	       "decode",
		    "examples", "key",	 "scope",  "vocabulary_reason", "description", "wrapper"};
		yaml_node_t **slots[] = {&id,  &ev,  &res,   &pat,    &set, &dec,
					 &exs, &key, &scope, &reason, NULL, &wrap};
		size_t i;

		for (i = 0; ks && i < sizeof(names) / sizeof(names[0]); i++)
			if (strcmp(names[i], ks) == 0)
				break;
		if (!ks || i == sizeof(names) / sizeof(names[0])) {
			ERR(ld, k, 0, "unknown key '%s' in rule", ks ? ks : "?");
			return -EINVAL;
		}
		if (slots[i])
			*slots[i] = v;
	}
	static const char *const req[] = {"id", "event", "result", "pattern"};
	yaml_node_t *reqn[] = {id, ev, res, pat};

	for (size_t i = 0; i < 4; i++)
		if (!scalar(reqn[i], NULL)) {
			ERR(ld, reqn[i] ? reqn[i] : node, 0, "rule %s %s",
			    reqn[i] ? "has a non-scalar" : "is missing", req[i]);
			return -EINVAL;
		}
	if (!scope) {
		ERR(ld, id, 0, "rule %s is missing scope (state, conn, packet, global or any)",
		    scalar(id, NULL));
		return -EINVAL;
	}
	if (!rules_vocab_event_type(scalar(ev, NULL)) && !scalar(reason, NULL)) {
		ERR(ld, ev, 0,
		    "unknown event type '%s' (add vocabulary_reason: to extend the vocabulary)",
		    scalar(ev, NULL));
		return -EINVAL;
	}
	const char *rs = scalar(res, NULL);

	if (strcmp(rs, "success") && strcmp(rs, "failure") && strcmp(rs, "info")) {
		ERR(ld, res, 0, "result must be success, failure or info, not '%s'", rs);
		return -EINVAL;
	}
	if (r->n == RULES_MAX) {
		ERR(ld, node, 0, "more than %d rules", RULES_MAX);
		return -E2BIG;
	}
	if (r->n == r->cap) {
		size_t nc = r->cap ? r->cap * 2 : 64;
		struct rule *nv = realloc(r->v, nc * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		r->v = nv;
		r->cap = nc;
	}
	ru = &r->v[r->n++];
	memset(ru, 0, sizeof(*ru));
	ru->file = ld->file;
	ru->line = (unsigned)id->start_mark.line + 1;
	ru->col = (unsigned)id->start_mark.column + 1;
	ru->id = dup_scalar(id);
	ru->event = dup_scalar(ev);
	ru->result = dup_scalar(res);
	if (!ru->id || !ru->event || !ru->result)
		return -ENOMEM;
	ru->id_len = strlen(ru->id);
	ru->event_len = strlen(ru->event);
	ru->result_len = strlen(ru->result);
	ru->wrappers = (1u << RULE_WRAP_ANY) - 1;
	if ((ret = load_names(ld, scope, envelope_scope_lookup, ENVELOPE_SCOPE__MAX,
			      "scope must be state, conn, packet, global or any", &ru->scopes)) < 0)
		return ret;
	if (wrap &&
	    (ret = load_names(ld, wrap, wrapper_lookup, RULE_WRAP_ANY,
			      "wrapper must be none, error, warning, expectation, assertion "
			      "or any",
			      &ru->wrappers)) < 0)
		return ret;
	if ((ret = compile_pattern(ld, ru, pat, dec)) < 0)
		return ret;
	if (key) {
		size_t kl;
		const char *ks = scalar(key, &kl);

		if (!ks || kl == 0) {
			ERR(ld, key, 0, "key must be a non-empty literal");
			return -EINVAL;
		}
		struct prefilter_req q = {.n = 1};

		q.len[0] = kl < PREFILTER_LITERAL_MAX ? kl : PREFILTER_LITERAL_MAX;
		memcpy(q.lit[0], ks, q.len[0]);
		if ((ret = rules_rule_set_literals(ru, &q)) < 0)
			return ret;
	}
	if (set && (ret = load_set(ld, ru, set, scratch)) < 0)
		return ret;
	if (exs && (ret = load_examples(ld, ru, exs)) < 0)
		return ret;
	return 0;
}

/* An entry of the rule list that is no rule: a map whose first key is "vocabulary". */
static bool is_vocabulary(struct loader *ld, yaml_node_t *n)
{
	const char *k;

	if (!n || n->type != YAML_MAPPING_NODE ||
	    n->data.mapping.pairs.start == n->data.mapping.pairs.top)
		return false;
	k = scalar(yaml_document_get_node(ld->doc, n->data.mapping.pairs.start->key), NULL);
	return k && strcmp(k, "vocabulary") == 0;
}

/*
 * - vocabulary: error_code
 *   description: ...
 *   values: [NAME, ...]
 * The only vocabulary so far is error_code's.
 */
static int load_vocabulary(struct loader *ld, yaml_node_t *n)
{
	yaml_node_t *vals = NULL, *which = NULL;

	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
	     pr++) {
		yaml_node_t *k = yaml_document_get_node(ld->doc, pr->key);
		const char *ks = scalar(k, NULL);

		if (ks && strcmp(ks, "vocabulary") == 0)
			which = yaml_document_get_node(ld->doc, pr->value);
		else if (ks && strcmp(ks, "values") == 0)
			vals = yaml_document_get_node(ld->doc, pr->value);
		else if (!ks || strcmp(ks, "description") != 0) {
			ERR(ld, k, 0, "unknown key '%s' in vocabulary", ks ? ks : "?");
			return -EINVAL;
		}
	}
	if (!scalar(which, NULL) || strcmp(scalar(which, NULL), "error_code") != 0) {
		ERR(ld, which ? which : n, 0, "the only vocabulary is error_code");
		return -EINVAL;
	}
	if (!vals || vals->type != YAML_SEQUENCE_NODE) {
		ERR(ld, vals ? vals : n, 0, "values must be a list of names");
		return -EINVAL;
	}
	for (yaml_node_item_t *it = vals->data.sequence.items.start;
	     it < vals->data.sequence.items.top; it++) {
		yaml_node_t *v = yaml_document_get_node(ld->doc, *it);
		size_t vl;
		const char *vs = scalar(v, &vl);
		int r = vs ? rules_vocab_add(ld->r, vs, vl) : -EINVAL;

		if (r == -ENOMEM)
			return r;
		if (r < 0) {
			ERR(ld, v ? v : vals, 0, "'%s' is no error_code name (A-Z, 0-9, _)",
			    vs ? vs : "?");
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * libyaml reads the file through this, a block at a time: no copy of the
 * whole file, and a file past max bytes is refused where it goes over.
 */
struct capped_input {
	FILE *f;
	size_t total, max;
	bool over;
};

static int read_capped(void *data, unsigned char *buf, size_t size, size_t *size_read)
{
	struct capped_input *in = data;
	size_t n = fread(buf, 1, size, in->f);

	*size_read = n;
	in->total += n;
	in->over = in->total > in->max;
	return !ferror(in->f) && !in->over;
}

static int load_file(struct rules *r, const char *path, struct diags *errs, struct event *scratch)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	bool have_parser = false;
	struct capped_input in = {.max = RULE_FILE_MAX};
	FILE *f = NULL;
	int ret = 0;
	char **nf = realloc(r->files, (r->n_files + 1) * sizeof(*nf));
	struct loader ld = {.r = r, .doc = &doc, .errs = errs};

	if (!nf)
		return -ENOMEM;
	r->files = nf;
	if (!(r->files[r->n_files] = strdup(path)))
		return -ENOMEM;
	ld.file = r->files[r->n_files++];
	in.f = f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		diag_add(errs, path, 0, 0, "cannot open rule file: %s", strerror(errno));
		goto out;
	}
	if (!yaml_parser_initialize(&parser)) {
		ret = -ENOMEM;
		goto out;
	}
	have_parser = true;
	yaml_parser_set_input(&parser, read_capped, &in);
	/* One rule at a time: the generated table's whole node tree would take ~40 MB. */
	struct yaml_items items = {.parser = &parser, .max_depth = RULE_DEPTH_MAX};
	int got;

	while ((got = yaml_items_next(&items, &doc)) > 0) {
		yaml_node_t *item = yaml_document_get_root_node(&doc);
		int rr = is_vocabulary(&ld, item) ? load_vocabulary(&ld, item)
						  : load_rule(&ld, item, scratch);

		yaml_document_delete(&doc);
		if (rr == -ENOMEM || rr == -E2BIG) {
			ret = rr;
			goto out;
		}
	}
	if (got == -ENOTDIR) {
		diag_add(errs, ld.file, (unsigned)items.root_mark.line + 1,
			 (unsigned)items.root_mark.column + 1, "a rule file is a list of rules");
		ret = -EINVAL;
		goto out;
	}
	if (got == -ELOOP) {
		/* Refused as soon as it is seen, like the config loader's files. */
		diag_add(errs, ld.file, (unsigned)items.problem_mark.line + 1,
			 (unsigned)items.problem_mark.column + 1, "nested deeper than %u levels",
			 RULE_DEPTH_MAX);
		ret = -EINVAL;
		goto out;
	}
	if (got == -EINVAL && (in.over || ferror(f))) {
		diag_add(errs, path, 0, 0, "%s",
			 in.over ? "rule file larger than 16 MiB" : "read error");
		ret = -EINVAL;
		goto out;
	}
	if (got == -EINVAL) {
		diag_add(errs, path, (unsigned)items.problem_mark.line + 1,
			 (unsigned)items.problem_mark.column + 1, "YAML: %s%s%s", items.problem,
			 parser.context ? " " : "", parser.context ? parser.context : "");
		ret = -EINVAL;
		goto out;
	}
	if (got < 0) {
		ret = got;
		goto out;
	}
	if (ld.nerr)
		ret = -EINVAL;
out:
	if (have_parser)
		yaml_parser_delete(&parser);
	if (f)
		fclose(f);
	return ret;
}

static int build_prefilter(struct rules *r)
{
	size_t total = 0, k = 0;
	const char **lits = NULL;
	size_t *lens = NULL;
	uint32_t *rule_of = NULL;
	int ret = -ENOMEM;

	for (size_t i = 0; i < r->n; i++)
		total += r->v[i].n_lits;
	r->words = (r->n + 63) / 64 + 1;
	r->always = calloc(r->words, sizeof(uint64_t));
	r->cand = calloc(r->words, sizeof(uint64_t));
	lits = calloc(total + 1, sizeof(*lits));
	lens = calloc(total + 1, sizeof(*lens));
	rule_of = calloc(total + 1, sizeof(*rule_of));
	if (!lits || !lens || !rule_of || !r->always || !r->cand)
		goto out;
	for (size_t i = 0; i < r->n; i++) {
		const struct rule *ru = &r->v[i];
		const char *p = ru->lits;
		bool short_lit = ru->n_lits == 0;

		for (size_t a = 0; a < ru->n_lits; p += ru->lit_len[a++]) {
			short_lit = short_lit || ru->lit_len[a] < PREFILTER_GRAM;
			lits[k] = p;
			lens[k] = ru->lit_len[a];
			rule_of[k++] = (uint32_t)i;
		}
		if (short_lit) /* a literal too short to index: the rule is tried on every line */
			r->always[i / 64] |= UINT64_C(1) << (i % 64);
	}
	ret = prefilter_build(lits, lens, rule_of, k, &r->pf);
out:
	free(lits);
	free(lens);
	free(rule_of);
	return ret;
}

int rules_load(const char *const *paths, size_t n, struct rules **ret, struct diags *errs)
{
	struct rules *r = calloc(1, sizeof(*r));
	struct event scratch = {.text = NULL};
	int rv = -ENOMEM, bad = 0;

	if (!r || event_init(&scratch, 4096) < 0)
		goto out;
	r->prefilter_on = true;
	r->max_groups = 1;
	r->jit_off = true; /* the examples run interpreted */
	for (size_t i = 0; i < n; i++) {
		rv = load_file(r, paths[i], errs, &scratch);
		if (rv == -ENOMEM || rv == -E2BIG)
			goto out;
		if (rv < 0)
			bad = rv;
	}
	if ((rv = rules_check_duplicates(r, errs)) < 0)
		bad = rv;
	rules_vocab_sort(r);
	if ((rv = rules_vocab_check(r, errs)) < 0)
		bad = rv;
	if (bad) {
		rv = bad == -EINVAL ? -EINVAL : bad;
		goto out;
	}
	rv = -ENOMEM;
	r->md = pcre2_match_data_create(r->max_groups, NULL);
	r->mctx = pcre2_match_context_create(NULL);
	r->jstack = pcre2_jit_stack_create(32u << 10, JIT_STACK_MAX, NULL);
	if (!r->md || !r->mctx || !r->jstack)
		goto out;
	pcre2_set_match_limit(r->mctx, MATCH_LIMIT);
	pcre2_set_depth_limit(r->mctx, DEPTH_LIMIT);
	pcre2_jit_stack_assign(r->mctx, NULL, r->jstack);
	if ((rv = build_prefilter(r)) < 0)
		goto out;
	if ((rv = rules_check_examples(r, errs)) < 0)
		goto out;
	/* The figures count the lines of the run, not the examples. */
	for (size_t i = 0; i < r->n; i++)
		r->v[i].hits = r->v[i].tries = 0;
	r->limit_hits = 0;
	/* Without a JIT here (executable memory denied) every rule runs interpreted. */
	r->jit_off = r->jit_unavailable;
	if (r->jit_unavailable)
		r->jit_fallbacks = r->n;
	*ret = r;
	r = NULL;
	rv = 0;
out:
	event_done(&scratch);
	rules_free(r);
	return rv;
}
