/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The meanings of error codes (enrich.h): conf/rules/error-codes.yaml read
 * into a table sorted by code, each with its description, probable cause
 * and severity, looked up by the enrichment stage for every error_code.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "enrich.h"
#include "enrich_impl.h"
#include "util.h"

static int cmp_meaning(const void *a, const void *b)
{
	return strcmp(((const struct enrich_meaning *)a)->code,
		      ((const struct enrich_meaning *)b)->code);
}

static const char *const severities[] = {"emerg", "alert",  "crit", "err",
					 "warning", "notice", "info", "debug"};

static bool severity_ok(const char *s)
{
	for (size_t i = 0; i < sizeof(severities) / sizeof(severities[0]); i++)
		if (strcmp(s, severities[i]) == 0)
			return true;
	return false;
}

static const char *scalar(yaml_document_t *d, int id)
{
	yaml_node_t *n = yaml_document_get_node(d, id);

	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* One "CODE: {severity, description, cause}" entry into *m; false after a diag. */
static bool meaning_parse(yaml_document_t *d, yaml_node_pair_t *p, const char *path,
			  struct enrich_meaning *m, struct diags *errs)
{
	yaml_node_t *kn = yaml_document_get_node(d, p->key), *vn = yaml_document_get_node(d, p->value);
	unsigned line = kn ? (unsigned)kn->start_mark.line + 1 : 0;
	const char *code = scalar(d, p->key);
	char *v[3] = {NULL, NULL, NULL};
	static const char *const keys[3] = {"severity", "description", "cause"};

	if (!code || !*code || !vn || vn->type != YAML_MAPPING_NODE) {
		diag_add(errs, path, line, 0, "expected CODE: {severity, description, cause}");
		return false;
	}
	for (yaml_node_pair_t *q = vn->data.mapping.pairs.start; q < vn->data.mapping.pairs.top; q++) {
		const char *k = scalar(d, q->key), *val = scalar(d, q->value);
		size_t i = 0;

		while (i < 3 && (!k || strcmp(k, keys[i]) != 0))
			i++;
		if (i == 3 || !val || !*val || v[i]) {
			diag_add(errs, path, line, 0, "%s: '%s' is not severity, description or cause",
				 code, k ? k : "?");
			goto fail;
		}
		v[i] = strdup(val);
		if (!v[i])
			goto fail;
	}
	if (!v[0] || !severity_ok(v[0]) || !v[1]) {
		diag_add(errs, path, line, 0, "%s: needs a severity (syslog name) and a description",
			 code);
		goto fail;
	}
	*m = (struct enrich_meaning){
	    .code = strdup(code), .severity = v[0], .description = v[1], .cause = v[2]};
	if (!m->code)
		goto fail;
	return true;
fail:
	for (size_t i = 0; i < 3; i++)
		free(v[i]);
	return false;
}

int enrich_meanings_load(struct enrich *e, const char *path, struct diags *errs)
{
	FILE *f = fopen(path, "re");
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	int r = -EINVAL;

	if (!f) {
		diag_add(errs, path, 0, 0, "enrich.error_meanings: %s", strerror(errno));
		return -EINVAL;
	}
	if (!yaml_parser_initialize(&parser)) {
		fclose(f);
		return -ENOMEM;
	}
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		diag_add(errs, path, (unsigned)parser.problem_mark.line + 1,
			 (unsigned)parser.problem_mark.column + 1, "%s",
			 parser.problem ? parser.problem : "YAML error");
		yaml_parser_delete(&parser);
		fclose(f);
		return -EINVAL;
	}
	root = yaml_document_get_root_node(&doc);
	if (!root || root->type != YAML_MAPPING_NODE) {
		diag_add(errs, path, 1, 0, "expected a mapping of error codes");
		goto out;
	}
	e->n_meanings = 0;
	e->meanings = calloc((size_t)(root->data.mapping.pairs.top - root->data.mapping.pairs.start) + 1,
			     sizeof(*e->meanings));
	if (!e->meanings) {
		r = -ENOMEM;
		goto out;
	}
	r = 0;
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
	     p++) {
		if (meaning_parse(&doc, p, path, &e->meanings[e->n_meanings], errs))
			e->n_meanings++;
		else
			r = -EINVAL;
	}
	qsort(e->meanings, e->n_meanings, sizeof(*e->meanings), cmp_meaning);
	for (size_t i = 1; i < e->n_meanings; i++)
		if (strcmp(e->meanings[i - 1].code, e->meanings[i].code) == 0) {
			diag_add(errs, path, 0, 0, "%s: twice", e->meanings[i].code);
			r = -EINVAL;
		}
out:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	fclose(f);
	return r;
}

const struct enrich_meaning *enrich_meaning(const struct enrich *e, const char *code, size_t len)
{
	size_t lo = 0, hi = e ? e->n_meanings : 0;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strncmp(code, e->meanings[mid].code, len);

		if (c == 0 && e->meanings[mid].code[len])
			c = -1;
		if (c == 0)
			return &e->meanings[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

size_t enrich_n_meanings(const struct enrich *e)
{
	return e ? e->n_meanings : 0;
}
